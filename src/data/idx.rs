//! The IDX format of MNIST and its family: big-endian, magic `0x00000801` for labels and
//! `0x00000803` for images (yann.lecun.com/exdb/mnist, and shared/emnist/README.md).

use super::{DataError, inflate};
use flate2::read::GzDecoder;

pub const LABELS_MAGIC: u32 = 0x0000_0801;
pub const IMAGES_MAGIC: u32 = 0x0000_0803;

/// Images as stored: `count` images of `rows x cols` bytes each, in file order.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxImages {
    pub count: usize,
    pub rows: usize,
    pub cols: usize,
    pub pixels: Vec<u8>,
}

/// Decompress a gzip IDX file, naming it in errors. Reading stops at the size the IDX header
/// inside declares (magic, then one 32-bit count per dimension), so a file with more data than
/// its header promises is refused after inflating at most that much.
pub fn gunzip(file: &str, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    gunzip_within(file, bytes, inflate::MAX_INFLATED)
}

/// [`gunzip`] refusing a header that declares more than `cap` bytes. The fuzz target passes
/// less than the real cap, so inputs that inflate to all their header allows do not take all
/// its time; the code run is the same.
pub fn gunzip_within(file: &str, bytes: &[u8], cap: usize) -> Result<Vec<u8>, DataError> {
    inflate::read_declared(GzDecoder::new(bytes), bytes.len(), 16, cap, declared_len).map_err(|e| {
        let (file, detail) = (file.to_string(), e.to_string());
        match e {
            inflate::InflateError::Corrupt(_) => DataError::Gzip { file, detail },
            _ => DataError::Oversized { file, detail },
        }
    })
}

/// The whole length an IDX header declares, from its first 16 bytes: labels are `8 + count`,
/// images `16 + count × rows × cols`. An unknown magic declares just what was read, which the
/// parser then refuses by its magic.
fn declared_len(head: &[u8]) -> Result<usize, String> {
    let count = be_u32(head, 4) as usize;
    let total = match be_u32(head, 0) {
        LABELS_MAGIC => count.checked_add(8),
        IMAGES_MAGIC => (be_u32(head, 8) as usize)
            .checked_mul(be_u32(head, 12) as usize)
            .and_then(|size| size.checked_mul(count))
            .and_then(|n| n.checked_add(16)),
        _ => Some(head.len()),
    };
    total.ok_or_else(|| {
        format!("its header declares {count} items, more than this machine can address")
    })
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn header(file: &str, bytes: &[u8], words: usize) -> Result<(), DataError> {
    if bytes.len() < 4 * words {
        return Err(DataError::Truncated {
            file: file.to_string(),
            expected: 4 * words,
            found: bytes.len(),
        });
    }
    Ok(())
}

fn check_magic(
    file: &str,
    bytes: &[u8],
    expected: u32,
    what: &'static str,
) -> Result<(), DataError> {
    let found = be_u32(bytes, 0);
    if found != expected {
        return Err(DataError::IdxMagic {
            file: file.to_string(),
            found,
            expected,
            what,
        });
    }
    Ok(())
}

/// Parse an uncompressed IDX label file.
pub fn parse_labels(file: &str, bytes: &[u8]) -> Result<Vec<u8>, DataError> {
    header(file, bytes, 1)?;
    check_magic(file, bytes, LABELS_MAGIC, "labels, idx1")?;
    header(file, bytes, 2)?;
    let count = be_u32(bytes, 4) as usize;
    let expected = count.saturating_add(8);
    if bytes.len() != expected {
        return Err(DataError::Truncated {
            file: file.to_string(),
            expected,
            found: bytes.len(),
        });
    }
    Ok(bytes[8..].to_vec())
}

/// Parse an uncompressed IDX image file.
pub fn parse_images(file: &str, bytes: &[u8]) -> Result<IdxImages, DataError> {
    header(file, bytes, 1)?;
    check_magic(file, bytes, IMAGES_MAGIC, "images, idx3")?;
    header(file, bytes, 4)?;
    let count = be_u32(bytes, 4) as usize;
    let rows = be_u32(bytes, 8) as usize;
    let cols = be_u32(bytes, 12) as usize;
    if rows != 28 || cols != 28 {
        return Err(DataError::ImageSize {
            file: file.to_string(),
            rows,
            cols,
        });
    }
    let expected = count.saturating_mul(rows * cols).saturating_add(16);
    if bytes.len() != expected {
        return Err(DataError::Truncated {
            file: file.to_string(),
            expected,
            found: bytes.len(),
        });
    }
    Ok(IdxImages {
        count,
        rows,
        cols,
        pixels: bytes[16..].to_vec(),
    })
}

/// Transpose every `side x side` image in place: EMNIST's column-major storage to upright.
pub fn transpose_images(pixels: &mut [u8], side: usize) {
    let mut tmp = vec![0u8; side * side];
    for img in pixels.chunks_exact_mut(side * side) {
        for r in 0..side {
            for c in 0..side {
                tmp[r * side + c] = img[c * side + r];
            }
        }
        img.copy_from_slice(&tmp);
    }
}
