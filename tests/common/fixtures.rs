//! Writers of the formats the lab reads (IDX, zip, MAT v5), for building fixtures: the tests'
//! and the fuzzer's seeds (`fuzz/seeds.rs` includes this file). The lab itself never writes
//! these formats, so they live here, not in `src/data/`.
#![allow(dead_code)]

use distill_lab::data::mat::{MatValue, NumData};

// IDX magics (LeCun et al., "THE MNIST DATABASE"): unsigned bytes, 1 or 3 dimensions.
const LABELS_MAGIC: u32 = 0x0000_0801;
const IMAGES_MAGIC: u32 = 0x0000_0803;
// Zip signatures (PKWARE APPNOTE 4.3.7, 4.3.12, 4.3.16).
const LOCAL_SIG: u32 = 0x0403_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const EOCD_SIG: u32 = 0x0605_4b50;
// MAT v5 data types and array classes (MathWorks, "MAT-File Format", tables 1-1 and 1-3).
const MI_INT8: u32 = 1;
const MI_UINT8: u32 = 2;
const MI_UINT16: u32 = 4;
const MI_UINT32: u32 = 6;
const MI_INT32: u32 = 5;
const MI_DOUBLE: u32 = 9;
const MI_MATRIX: u32 = 14;
const MI_COMPRESSED: u32 = 15;
const MX_CELL: u8 = 1;
const MX_STRUCT: u8 = 2;
const MX_CHAR: u8 = 4;

/// Encode labels as an IDX file .
pub fn idx_labels(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

/// Encode images (`count` x `rows` x `cols`, file order) as an IDX file.
pub fn idx_images(rows: usize, cols: usize, pixels: &[u8]) -> Vec<u8> {
    let count = pixels.len() / (rows * cols);
    let mut out = Vec::with_capacity(16 + pixels.len());
    out.extend_from_slice(&IMAGES_MAGIC.to_be_bytes());
    for v in [count, rows, cols] {
        out.extend_from_slice(&(v as u32).to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

/// A zip holding `members` (name, bytes), deflated or stored.
pub fn zip(members: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    use flate2::{Compression, write::DeflateEncoder};
    use std::io::Write;
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let body = if deflate {
            let mut enc = DeflateEncoder::new(Vec::new(), Compression::default());
            enc.write_all(data).expect("Vec write");
            enc.finish().expect("Vec write")
        } else {
            data.to_vec()
        };
        let method: u16 = if deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        let mut common = Vec::new();
        common.extend_from_slice(&20u16.to_le_bytes()); // version needed
        common.extend_from_slice(&0u16.to_le_bytes()); // flags
        common.extend_from_slice(&method.to_le_bytes());
        common.extend_from_slice(&0u32.to_le_bytes()); // dos time + date
        common.extend_from_slice(&crc.sum().to_le_bytes());
        common.extend_from_slice(&(body.len() as u32).to_le_bytes());
        common.extend_from_slice(&(data.len() as u32).to_le_bytes());
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes()); // extra length
        out.extend_from_slice(&LOCAL_SIG.to_le_bytes());
        out.extend_from_slice(&common);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&body);
        central.extend_from_slice(&CENTRAL_SIG.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        central.extend_from_slice(&common);
        central.extend_from_slice(&[0u8; 6]); // comment len, disk number, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&EOCD_SIG.to_le_bytes());
    out.extend_from_slice(&[0u8; 4]); // disk numbers
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

/// A MAT v5 file (little-endian) holding `vars`, elements zlib-compressed if `compress`.
pub fn mat(vars: &[(&str, MatValue)], compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut header = b"MATLAB 5.0 MAT-file, written by distill-lab tests".to_vec();
    header.resize(116, b' ');
    out.extend_from_slice(&header);
    out.extend_from_slice(&[0u8; 8]);
    out.extend_from_slice(&0x0100u16.to_le_bytes());
    out.extend_from_slice(b"IM");
    for (name, value) in vars {
        let m = matrix_element(name, value);
        if compress {
            use flate2::{Compression, write::ZlibEncoder};
            use std::io::Write;
            let mut enc = ZlibEncoder::new(Vec::new(), Compression::default());
            enc.write_all(&m).expect("Vec write");
            let z = enc.finish().expect("Vec write");
            out.extend_from_slice(&MI_COMPRESSED.to_le_bytes());
            out.extend_from_slice(&(z.len() as u32).to_le_bytes());
            out.extend_from_slice(&z);
        } else {
            out.extend_from_slice(&m);
        }
    }
    out
}

fn push_element(out: &mut Vec<u8>, ty: u32, data: &[u8]) {
    out.extend_from_slice(&ty.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(8) * 8, 0);
}

fn matrix_element(name: &str, value: &MatValue) -> Vec<u8> {
    let mut body = Vec::new();
    let class = match value {
        MatValue::Numeric { class, .. } => *class,
        MatValue::Char { .. } => MX_CHAR,
        MatValue::Struct { .. } => MX_STRUCT,
        MatValue::Cell { .. } => MX_CELL,
    };
    let mut flags = [0u8; 8];
    flags[0] = class;
    push_element(&mut body, MI_UINT32, &flags);
    let dims: Vec<u8> = value
        .dims()
        .iter()
        .flat_map(|&d| (d as i32).to_le_bytes())
        .collect();
    push_element(&mut body, MI_INT32, &dims);
    push_element(&mut body, MI_INT8, name.as_bytes());
    match value {
        MatValue::Numeric { data, .. } => push_element(&mut body, data.mi_type, &data.bytes),
        MatValue::Char { text, .. } => {
            let units: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
            push_element(&mut body, MI_UINT16, &units);
        }
        MatValue::Struct { fields, values, .. } => {
            let len = 32usize;
            push_element(&mut body, MI_INT32, &(len as i32).to_le_bytes());
            let mut names = Vec::new();
            for f in fields {
                let mut b = f.as_bytes().to_vec();
                b.resize(len, 0);
                names.extend_from_slice(&b);
            }
            push_element(&mut body, MI_INT8, &names);
            for v in values {
                body.extend_from_slice(&matrix_element("", v));
            }
        }
        MatValue::Cell { values, .. } => {
            for v in values {
                body.extend_from_slice(&matrix_element("", v));
            }
        }
    }
    let mut out = Vec::new();
    push_element(&mut out, MI_MATRIX, &body);
    out
}

/// A uint8 matrix value (column-major data), for building fixtures.
pub fn uint8_matrix(rows: usize, cols: usize, col_major: Vec<u8>) -> MatValue {
    MatValue::Numeric {
        dims: vec![rows, cols],
        class: 9,
        data: NumData {
            mi_type: MI_UINT8,
            bytes: col_major,
        },
    }
}

/// A double matrix value (column-major data), for building fixtures.
pub fn double_matrix(rows: usize, cols: usize, col_major: &[f64]) -> MatValue {
    MatValue::Numeric {
        dims: vec![rows, cols],
        class: 6,
        data: NumData {
            mi_type: MI_DOUBLE,
            bytes: col_major.iter().flat_map(|v| v.to_le_bytes()).collect(),
        },
    }
}

/// A 1x1 struct value.
pub fn struct_value(fields: Vec<(&str, MatValue)>) -> MatValue {
    let (names, values): (Vec<_>, Vec<_>) =
        fields.into_iter().map(|(n, v)| (n.to_string(), v)).unzip();
    MatValue::Struct {
        dims: vec![1, 1],
        fields: names,
        values,
    }
}
