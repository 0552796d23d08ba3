//! Just enough of the zip format (PKWARE APPNOTE 6.3) to take a few members out of a large
//! archive through random reads: the end-of-central-directory record, the central directory,
//! local headers, stored and deflated members, zip64 sizes and offsets.
//!
//! Reads go through [`RangeRead`], which the CLI implements for a local file and for HTTP range
//! requests, so the official 562 MB `gzip.zip` is never read whole.

use super::{DataError, inflate};
use flate2::read::DeflateDecoder;

/// Random reads from something of known length.
pub trait RangeRead {
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Exactly `len` bytes starting at `offset`.
    fn read_range(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, DataError>;
}

/// A zip held in memory.
impl RangeRead for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }

    fn read_range(&mut self, offset: u64, len: u64) -> Result<Vec<u8>, DataError> {
        let end = offset
            .checked_add(len)
            .filter(|&e| e <= <[u8]>::len(self) as u64);
        match end {
            Some(end) => Ok(self[offset as usize..end as usize].to_vec()),
            None => Err(DataError::Source(format!(
                "read of {len} bytes at {offset} is past the end ({} bytes)",
                <[u8]>::len(self)
            ))),
        }
    }
}

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD64_LOCATOR_SIG: u32 = 0x0706_4b50;
const EOCD64_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;
/// EOCD is 22 bytes plus a comment of at most 65,535.
const EOCD_SEARCH: u64 = 22 + 65_535;

/// One member as the central directory describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub name: String,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub size: u64,
    pub local_header_offset: u64,
}

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}
fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn le64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// Reads the central directory of the archive called `file` (for messages).
// Over 80 lines: the end record, the zip64 locator and record, then every central
// directory entry, in file order, each field checked where it is read.
pub fn read_index(file: &str, src: &mut impl RangeRead) -> Result<Vec<Entry>, DataError> {
    let bad = |detail: String| DataError::Zip {
        file: file.to_string(),
        detail,
    };
    let len = src.len();
    if len < 22 {
        return Err(bad(format!("{len} bytes is too short for a zip archive")));
    }
    // Most archives have no comment: try a small tail first, the largest possible one second.
    let mut found = None;
    for want in [1024, EOCD_SEARCH] {
        let tail_len = want.min(len);
        let tail = src.read_range(len - tail_len, tail_len)?;
        if let Some(at) = (0..=tail.len() - 22)
            .rev()
            .find(|&i| le32(&tail, i) == EOCD_SIG)
        {
            found = Some((tail, tail_len, at));
            break;
        }
        if tail_len == len {
            break;
        }
    }
    let (tail, tail_len, at) = found.ok_or_else(|| {
        bad("no end-of-central-directory record; the archive is truncated or not a zip".into())
    })?;
    let eocd_pos = len - tail_len + at as u64;
    let mut entries = le16(&tail, at + 10) as u64;
    let mut cd_size = le32(&tail, at + 12) as u64;
    let mut cd_offset = le32(&tail, at + 16) as u64;

    if (entries == 0xFFFF || cd_size == 0xFFFF_FFFF || cd_offset == 0xFFFF_FFFF) && eocd_pos >= 20 {
        let loc = src.read_range(eocd_pos - 20, 20)?;
        if le32(&loc, 0) == EOCD64_LOCATOR_SIG {
            let eocd64_pos = le64(&loc, 8);
            let rec = src.read_range(eocd64_pos, 56)?;
            if le32(&rec, 0) != EOCD64_SIG {
                return Err(bad("broken zip64 end-of-central-directory record".into()));
            }
            entries = le64(&rec, 32);
            cd_size = le64(&rec, 40);
            cd_offset = le64(&rec, 48);
        }
    }
    if cd_offset
        .checked_add(cd_size)
        .is_none_or(|end| end > eocd_pos)
    {
        return Err(bad(format!(
            "central directory at {cd_offset} (+{cd_size}) lies outside the {len}-byte archive; it is truncated"
        )));
    }
    let cd = src.read_range(cd_offset, cd_size)?;
    // Each entry takes at least 46 bytes: the count from the header cannot size more than that.
    if entries > (cd.len() / 46) as u64 {
        return Err(bad(format!(
            "the end record lists {entries} entries but the {}-byte central directory holds at most {}; the archive is damaged",
            cd.len(),
            cd.len() / 46
        )));
    }
    let mut out = Vec::with_capacity(entries as usize);
    let mut p = 0usize;
    for _ in 0..entries {
        if p + 46 > cd.len() || le32(&cd, p) != CENTRAL_SIG {
            return Err(bad(format!(
                "central directory entry {} is damaged",
                out.len()
            )));
        }
        let method = le16(&cd, p + 10);
        let crc32 = le32(&cd, p + 16);
        let mut compressed_size = le32(&cd, p + 20) as u64;
        let mut size = le32(&cd, p + 24) as u64;
        let name_len = le16(&cd, p + 28) as usize;
        let extra_len = le16(&cd, p + 30) as usize;
        let comment_len = le16(&cd, p + 32) as usize;
        let mut local_header_offset = le32(&cd, p + 42) as u64;
        let end = p + 46 + name_len + extra_len + comment_len;
        if end > cd.len() {
            return Err(bad(format!(
                "central directory entry {} is damaged",
                out.len()
            )));
        }
        let name = String::from_utf8_lossy(&cd[p + 46..p + 46 + name_len]).into_owned();
        // zip64 extended information: the 0xFFFFFFFF fields, in this order, each read only
        // from inside both its own block and the entry's extra field.
        let mut e = p + 46 + name_len;
        let extra_end = e + extra_len;
        while e + 4 <= extra_end {
            let (id, sz) = (le16(&cd, e), le16(&cd, e + 2) as usize);
            let block_end = e + 4 + sz;
            if block_end > extra_end {
                return Err(bad(format!(
                    "central directory entry {} ({name}): an extra field of {sz} bytes runs past its entry; the archive is damaged",
                    out.len()
                )));
            }
            if id == 0x0001 {
                let mut q = e + 4;
                for field in [&mut size, &mut compressed_size, &mut local_header_offset] {
                    if *field == 0xFFFF_FFFF && q + 8 <= block_end {
                        *field = le64(&cd, q);
                        q += 8;
                    }
                }
            }
            e = block_end;
        }
        out.push(Entry {
            name,
            method,
            crc32,
            compressed_size,
            size,
            local_header_offset,
        });
        p = end;
    }
    Ok(out)
}

/// Take one member out, checking its CRC-32.
pub fn extract(file: &str, src: &mut impl RangeRead, entry: &Entry) -> Result<Vec<u8>, DataError> {
    let bad = |detail: String| DataError::Zip {
        file: file.to_string(),
        detail: format!("member {}: {detail}", entry.name),
    };
    let header = src.read_range(entry.local_header_offset, 30)?;
    if le32(&header, 0) != LOCAL_SIG {
        return Err(bad(
            "local header not found where the central directory says".into(),
        ));
    }
    let data_start = entry
        .local_header_offset
        .checked_add(30 + le16(&header, 26) as u64 + le16(&header, 28) as u64)
        .filter(|start| {
            start
                .checked_add(entry.compressed_size)
                .is_some_and(|end| end <= src.len())
        });
    let Some(data_start) = data_start else {
        return Err(bad(
            "data runs past the end of the archive; it is truncated".into(),
        ));
    };
    if entry.size > inflate::MAX_INFLATED as u64 {
        return Err(bad(format!(
            "it declares {} bytes, more than the {} any dataset file of the lab has",
            entry.size,
            inflate::MAX_INFLATED
        )));
    }
    let raw = src.read_range(data_start, entry.compressed_size)?;
    let data = match entry.method {
        0 => raw,
        // Inflation stops one byte past the size the directory declares.
        8 => inflate::read_at_most(
            DeflateDecoder::new(&raw[..]),
            raw.len(),
            entry.size as usize,
        )
        .map_err(|e| bad(e.to_string()))?,
        m => {
            return Err(bad(format!(
                "compression method {m} is not supported (only stored and deflate)"
            )));
        }
    };
    if data.len() as u64 != entry.size {
        return Err(bad(format!(
            "{} bytes after inflating, expected {}",
            data.len(),
            entry.size
        )));
    }
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    if crc.sum() != entry.crc32 {
        return Err(bad(format!(
            "CRC-32 {:08x} does not match {:08x}; the archive is damaged",
            crc.sum(),
            entry.crc32
        )));
    }
    Ok(data)
}

/// Find a member by name (or by base name, for archives that put the files in another folder).
pub fn find<'a>(entries: &'a [Entry], name: &str) -> Option<&'a Entry> {
    let base = name.rsplit('/').next().unwrap_or(name);
    entries.iter().find(|e| e.name == name).or_else(|| {
        entries
            .iter()
            .find(|e| e.name.rsplit('/').next() == Some(base))
    })
}
