//! MATLAB level-5 MAT files (MathWorks, "MAT-File Format", R2024a, chapter 1), as far as
//! EMNIST's `matlab.zip` needs: numeric and char arrays, structs, cells, compressed elements.
//! `emnist-letters.mat` holds one variable, `dataset`, a struct with `train` and `test`
//! (each with `images` N x 784 uint8, `labels` N x 1, `writers`) and `mapping`.

use super::dataset::DatasetKind;
use super::idx::IdxImages;
use super::prepare::{PIXELS, RawSet, SIDE, to_split};
use super::{DataError, inflate};
use flate2::read::ZlibDecoder;

use super::mat_value::*;
pub use super::mat_value::{MatValue, NumData};

struct Parser<'a> {
    b: &'a [u8],
    p: usize,
}

impl<'a> Parser<'a> {
    /// One data element: (type, data). Handles the small-element form and 8-byte padding.
    fn element(&mut self) -> Result<(u32, &'a [u8]), String> {
        if self.p + 8 > self.b.len() {
            return Err(format!("truncated at byte {}", self.p));
        }
        let w0 = u32::from_le_bytes(self.b[self.p..self.p + 4].try_into().expect("4"));
        if w0 >> 16 != 0 {
            let (ty, n) = (w0 & 0xFFFF, (w0 >> 16) as usize);
            if n > 4 {
                return Err(format!("bad small element at byte {}", self.p));
            }
            let data = &self.b[self.p + 4..self.p + 4 + n];
            self.p += 8;
            return Ok((ty, data));
        }
        let n = u32::from_le_bytes(self.b[self.p + 4..self.p + 8].try_into().expect("4")) as usize;
        let start = self.p + 8;
        if n > self.b.len() - start {
            return Err(format!(
                "element at byte {} claims {n} bytes but only {} remain; the file is truncated",
                self.p,
                self.b.len() - start
            ));
        }
        let pad = if w0 == MI_COMPRESSED {
            0
        } else {
            (8 - n % 8) % 8
        };
        self.p = (start + n + pad).min(self.b.len());
        Ok((w0, &self.b[start..start + n]))
    }

    fn done(&self) -> bool {
        self.p >= self.b.len()
    }
}

fn int32s(data: &[u8]) -> Vec<i64> {
    data.chunks_exact(4)
        .map(|c| i32::from_le_bytes(c.try_into().expect("4")) as i64)
        .collect()
}

/// How deep structs and cells may nest. EMNIST's files nest three levels (`dataset.train.images`);
/// the limit keeps a hostile file from exhausting the stack.
pub const MAX_DEPTH: usize = 32;

/// Parse a miMATRIX element's body into (name, value); `depth` counts the enclosing arrays.
// Over 80 lines: the miMATRIX sub-elements in the order the format defines them, each
// checked where it is read (splitting it would separate a field from its check).
fn matrix(body: &[u8], depth: usize) -> Result<(String, MatValue), String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "structs and cells nest deeper than {MAX_DEPTH} levels; this is not an EMNIST file"
        ));
    }
    let mut p = Parser { b: body, p: 0 };
    let (_, flags) = p.element()?;
    if flags.len() < 8 {
        return Err("array flags are missing".into());
    }
    let class = flags[0];
    let complex = flags[1] & 0x08 != 0;
    let (_, dims) = p.element()?;
    let dims: Vec<usize> = int32s(dims)
        .into_iter()
        .map(|d| d.max(0) as usize)
        .collect();
    let (_, name) = p.element()?;
    let name = String::from_utf8_lossy(name).into_owned();
    let count = dims
        .iter()
        .try_fold(1usize, |n, &d| n.checked_mul(d))
        .ok_or_else(|| format!("'{name}' has dimensions {dims:?}, too many elements to address"))?;
    // Every element of a struct or cell is a sub-element of at least 8 bytes: no count from the
    // header may size more than the body holds.
    let room = body.len() / 8;
    let value = match class {
        MX_STRUCT => {
            let (_, len) = p.element()?;
            let len = *int32s(len)
                .first()
                .ok_or("struct field-name length missing")? as usize;
            let (_, names) = p.element()?;
            let fields: Vec<String> = if len == 0 {
                Vec::new()
            } else {
                names
                    .chunks(len)
                    .map(|c| {
                        String::from_utf8_lossy(c)
                            .trim_end_matches('\0')
                            .to_string()
                    })
                    .collect()
            };
            let total = count
                .checked_mul(fields.len())
                .filter(|&t| t <= room)
                .ok_or_else(|| format!("struct '{name}' declares more fields than its {} bytes hold; the file is damaged", body.len()))?;
            let mut values = Vec::with_capacity(total);
            for _ in 0..total {
                values.push(sub_matrix(&mut p, depth)?);
            }
            MatValue::Struct {
                dims,
                fields,
                values,
            }
        }
        MX_CELL => {
            if count > room {
                return Err(format!(
                    "cell array '{name}' declares {count} cells but its {} bytes hold fewer; the file is damaged",
                    body.len()
                ));
            }
            let mut values = Vec::with_capacity(count);
            for _ in 0..count {
                values.push(sub_matrix(&mut p, depth)?);
            }
            MatValue::Cell { dims, values }
        }
        MX_CHAR => {
            let (ty, data) = if p.done() {
                (MI_UTF8, &[][..])
            } else {
                p.element()?
            };
            let text = match ty {
                MI_UINT16 | MI_UTF16 => String::from_utf16_lossy(
                    &data
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect::<Vec<_>>(),
                ),
                _ => String::from_utf8_lossy(data).into_owned(),
            };
            MatValue::Char { dims, text }
        }
        MX_SPARSE => {
            return Err(format!(
                "'{name}' is a sparse array, which is not supported"
            ));
        }
        6..=15 => {
            if complex {
                return Err(format!("'{name}' is complex, which is not supported"));
            }
            let (mi_type, data) = if p.done() {
                (MI_UINT8, &[][..])
            } else {
                p.element()?
            };
            let size =
                elem_size(mi_type).ok_or(format!("'{name}' has unknown data type {mi_type}"))?;
            if count.checked_mul(size) != Some(data.len()) {
                return Err(format!(
                    "'{name}' is {dims:?} but holds {} elements; the file is damaged",
                    data.len() / size
                ));
            }
            MatValue::Numeric {
                dims,
                class,
                data: NumData {
                    mi_type,
                    bytes: data.to_vec(),
                },
            }
        }
        c => return Err(format!("'{name}' has unsupported array class {c}")),
    };
    Ok((name, value))
}

fn sub_matrix(p: &mut Parser, depth: usize) -> Result<MatValue, String> {
    let (ty, body) = p.element()?;
    if ty != MI_MATRIX {
        return Err(format!("expected a matrix element, found type {ty}"));
    }
    if body.is_empty() {
        // An empty field: MATLAB writes a zero-length miMATRIX.
        return Ok(MatValue::Numeric {
            dims: vec![0, 0],
            class: 6,
            data: NumData {
                mi_type: MI_DOUBLE,
                bytes: Vec::new(),
            },
        });
    }
    Ok(matrix(body, depth + 1)?.1)
}

/// Parse a whole MAT v5 file into its named variables.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Vec<(String, MatValue)>, DataError> {
    let bad = |detail: String| DataError::Mat {
        file: file.to_string(),
        detail,
    };
    if bytes.len() < 128 {
        return Err(bad(
            "shorter than the 128-byte MAT header; the file is truncated".into(),
        ));
    }
    let text = String::from_utf8_lossy(&bytes[..116]);
    if text.contains("MATLAB 7.3") || bytes.starts_with(b"\x89HDF") {
        return Err(bad("MATLAB 7.3 (HDF5) files are not supported; use the official matlab.zip, whose files are level 5".into()));
    }
    if !text.starts_with("MATLAB 5.0 MAT-file") {
        return Err(bad(
            "not a MATLAB level-5 MAT-file (header text does not start with 'MATLAB 5.0 MAT-file')"
                .into(),
        ));
    }
    if &bytes[126..128] != b"IM" {
        return Err(bad("big-endian MAT files are not supported".into()));
    }
    let mut p = Parser { b: bytes, p: 128 };
    let mut vars = Vec::new();
    while !p.done() {
        let (ty, body) = p.element().map_err(bad)?;
        let inflated;
        let body = if ty == MI_COMPRESSED {
            // A compressed element declares no size: it may inflate to the cap, no further.
            inflated =
                inflate::read_at_most(ZlibDecoder::new(body), body.len(), inflate::MAX_INFLATED)
                    .map_err(|e| bad(format!("compressed element: {e}")))?;
            let mut inner = Parser { b: &inflated, p: 0 };
            let (ty, body) = inner.element().map_err(bad)?;
            if ty != MI_MATRIX {
                continue;
            }
            body
        } else if ty == MI_MATRIX {
            body
        } else {
            continue;
        };
        vars.push(matrix(body, 0).map_err(bad)?);
    }
    Ok(vars)
}

/// Read an EMNIST `.mat` (e.g. `emnist-letters.mat`) into the canonical set. The images matrix
/// is N x 784, column-major in the file; each row is the same 784 bytes as the IDX file's image.
pub fn emnist_from_mat(kind: DatasetKind, file: &str, bytes: &[u8]) -> Result<RawSet, DataError> {
    let bad = |detail: String| DataError::Mat {
        file: file.to_string(),
        detail,
    };
    let vars = parse(file, bytes)?;
    let names: Vec<_> = vars.iter().map(|(n, _)| n.as_str()).collect();
    let dataset = vars
        .iter()
        .find(|(n, _)| n == "dataset")
        .map(|(_, v)| v)
        .ok_or_else(|| {
            bad(format!(
                "no 'dataset' struct (variables: {}); expected an official EMNIST .mat",
                names.join(", ")
            ))
        })?;
    if !matches!(dataset, MatValue::Struct { .. }) {
        return Err(bad(format!(
            "'dataset' is a {}, expected a struct",
            dataset.kind()
        )));
    }
    let split = |name: &str| -> Result<_, DataError> {
        let s = dataset
            .field(name)
            .ok_or_else(|| bad(format!("'dataset' has no '{name}' field")))?;
        let images = s
            .field("images")
            .ok_or_else(|| bad(format!("'dataset.{name}' has no 'images'")))?;
        let labels = s
            .field("labels")
            .ok_or_else(|| bad(format!("'dataset.{name}' has no 'labels'")))?;
        let (MatValue::Numeric { dims, data, .. }, MatValue::Numeric { data: ldata, .. }) =
            (images, labels)
        else {
            return Err(bad(format!(
                "'dataset.{name}.images' and '.labels' must be numeric arrays"
            )));
        };
        if dims.len() != 2 || dims[1] != PIXELS {
            return Err(bad(format!(
                "'dataset.{name}.images' is {dims:?}, expected N x {PIXELS}"
            )));
        }
        let n = dims[0];
        let col_major = data.to_u8(&format!("dataset.{name}.images")).map_err(bad)?;
        let mut pixels = vec![0u8; n * PIXELS];
        for j in 0..PIXELS {
            for (i, &v) in col_major[j * n..(j + 1) * n].iter().enumerate() {
                pixels[i * PIXELS + j] = v;
            }
        }
        let labels = ldata
            .to_u8(&format!("dataset.{name}.labels"))
            .map_err(bad)?;
        let images = IdxImages {
            count: n,
            rows: SIDE,
            cols: SIDE,
            pixels,
        };
        to_split(
            kind,
            name,
            images,
            labels,
            &format!("{file}: dataset.{name}.labels"),
        )
    };
    Ok(RawSet {
        kind,
        source: "official MATLAB file".to_string(),
        train: split("train")?,
        test: split("test")?,
    })
}
