//! The values a MAT v5 file holds (MathWorks, "MAT-File Format", R2024a, chapter 1): numeric
//! arrays as stored, char arrays, structs and cells; and the element types and array classes
//! that name them.

// Data types (table 1-1) and array classes (table 1-3).
pub(super) const MI_INT8: u32 = 1;
pub(super) const MI_UINT8: u32 = 2;
pub(super) const MI_INT16: u32 = 3;
pub(super) const MI_UINT16: u32 = 4;
pub(super) const MI_INT32: u32 = 5;
pub(super) const MI_UINT32: u32 = 6;
pub(super) const MI_SINGLE: u32 = 7;
pub(super) const MI_DOUBLE: u32 = 9;
pub(super) const MI_INT64: u32 = 12;
pub(super) const MI_UINT64: u32 = 13;
pub(super) const MI_MATRIX: u32 = 14;
pub(super) const MI_COMPRESSED: u32 = 15;
pub(super) const MI_UTF8: u32 = 16;
pub(super) const MI_UTF16: u32 = 17;
pub(super) const MX_CELL: u8 = 1;
pub(super) const MX_STRUCT: u8 = 2;
pub(super) const MX_CHAR: u8 = 4;
pub(super) const MX_SPARSE: u8 = 5;

/// A numeric array's raw data as stored: MATLAB may store a double array as uint8 to save space.
#[derive(Debug, Clone, PartialEq)]
pub struct NumData {
    pub mi_type: u32,
    pub bytes: Vec<u8>,
}

impl NumData {
    pub fn len(&self) -> usize {
        self.bytes.len() / elem_size(self.mi_type).unwrap_or(1)
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Element `i` as f64.
    pub fn get(&self, i: usize) -> f64 {
        let b = &self.bytes;
        macro_rules! at {
            ($t:ty, $n:expr) => {
                <$t>::from_le_bytes(b[i * $n..i * $n + $n].try_into().expect("sized")) as f64
            };
        }
        match self.mi_type {
            MI_INT8 => b[i] as i8 as f64,
            MI_UINT8 => b[i] as f64,
            MI_INT16 => at!(i16, 2),
            MI_UINT16 => at!(u16, 2),
            MI_INT32 => at!(i32, 4),
            MI_UINT32 => at!(u32, 4),
            MI_SINGLE => at!(f32, 4),
            MI_DOUBLE => at!(f64, 8),
            MI_INT64 => at!(i64, 8),
            MI_UINT64 => at!(u64, 8),
            _ => f64::NAN,
        }
    }

    /// All elements as bytes, refusing anything that is not an integer in 0..=255.
    pub fn to_u8(&self, what: &str) -> Result<Vec<u8>, String> {
        if self.mi_type == MI_UINT8 {
            return Ok(self.bytes.clone());
        }
        (0..self.len())
            .map(|i| {
                let v = self.get(i);
                if v.fract() == 0.0 && (0.0..=255.0).contains(&v) {
                    Ok(v as u8)
                } else {
                    Err(format!("{what}[{i}] = {v} is not a byte value"))
                }
            })
            .collect()
    }
}

pub(super) fn elem_size(mi_type: u32) -> Option<usize> {
    match mi_type {
        MI_INT8 | MI_UINT8 | MI_UTF8 => Some(1),
        MI_INT16 | MI_UINT16 | MI_UTF16 => Some(2),
        MI_INT32 | MI_UINT32 | MI_SINGLE => Some(4),
        MI_DOUBLE | MI_INT64 | MI_UINT64 => Some(8),
        _ => None,
    }
}

/// A MATLAB value.
#[derive(Debug, Clone, PartialEq)]
pub enum MatValue {
    Numeric {
        dims: Vec<usize>,
        class: u8,
        data: NumData,
    },
    Char {
        dims: Vec<usize>,
        text: String,
    },
    /// `values[element * fields.len() + field]`, elements in column-major order.
    Struct {
        dims: Vec<usize>,
        fields: Vec<String>,
        values: Vec<MatValue>,
    },
    Cell {
        dims: Vec<usize>,
        values: Vec<MatValue>,
    },
}

impl MatValue {
    /// Field `name` of a 1x1 struct.
    pub fn field(&self, name: &str) -> Option<&MatValue> {
        match self {
            MatValue::Struct { fields, values, .. } => fields
                .iter()
                .position(|f| f == name)
                .and_then(|i| values.get(i)),
            _ => None,
        }
    }

    pub fn dims(&self) -> &[usize] {
        match self {
            MatValue::Numeric { dims, .. }
            | MatValue::Char { dims, .. }
            | MatValue::Struct { dims, .. }
            | MatValue::Cell { dims, .. } => dims,
        }
    }

    pub(super) fn kind(&self) -> &'static str {
        match self {
            MatValue::Numeric { .. } => "numeric array",
            MatValue::Char { .. } => "char array",
            MatValue::Struct { .. } => "struct",
            MatValue::Cell { .. } => "cell array",
        }
    }
}
