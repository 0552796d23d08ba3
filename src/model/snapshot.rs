//! Weights files: burn's record format (burnpack) behind a small header of metadata, so a file
//! says what it holds (architecture, dataset, classes, training) before anything is loaded.
//!
//! ```text
//! magic "DLWEIGHT" | u32 LE json length | metadata JSON | burnpack record bytes
//! ```
//!
//! The same file comes out of `distill train` and out of the page's "download", and goes into
//! both. Reading parameters is async ([`record_bytes`]): on WebGPU every read is.

use super::{Arch, Classifier, StudentConfig, TeacherConfig};
use burn::module::{ModuleMapper, ModuleVisitor, Param};
use burn::prelude::*;
use burn::store::ModuleRecord;
use burn::tensor::{Bytes, DType, Transaction};
use serde::{Deserialize, Serialize};

pub const MAGIC: &[u8; 8] = b"DLWEIGHT";
pub const FORMAT: u32 = 1;

/// The largest weights file read (see the constant's own docs).
pub const MAX_BYTES: usize = crate::data::MAX_WEIGHTS_BYTES;

/// The most classes a weights file may name (EMNIST byclass has 62).
pub const MAX_CLASSES: usize = 1000;

/// What a weights file holds, readable without loading it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WeightsMeta {
    pub format: u32,
    pub arch: Arch,
    /// "teacher", "baseline" or "distilled".
    pub role: String,
    pub dataset: String,
    pub classes: Vec<String>,
    pub params: usize,
    /// The network's config (`TeacherConfig` or `StudentConfig`) as JSON.
    pub network: serde_json::Value,
    /// Training settings (optimizer, epochs, loss, T, λ...) as JSON.
    pub training: serde_json::Value,
    pub epochs: usize,
    pub val_acc: Option<f32>,
    pub created_by: String,
}

/// Why a weights file was refused. Each message says what to do.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    NotWeights(String),
    Damaged(String),
    Mismatch(String),
}

impl std::fmt::Display for WeightsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WeightsError::NotWeights(s) | WeightsError::Damaged(s) | WeightsError::Mismatch(s) => {
                f.write_str(s)
            }
        }
    }
}

impl std::error::Error for WeightsError {}

pub fn encode(meta: &WeightsMeta, record: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(meta).expect("metadata serialises");
    let mut out = Vec::with_capacity(12 + json.len() + record.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(record);
    out
}

/// Split a weights file into its metadata and record bytes. `name` is for messages.
pub fn decode(name: &str, bytes: &[u8]) -> Result<(WeightsMeta, Vec<u8>), WeightsError> {
    if bytes.len() > MAX_BYTES {
        return Err(WeightsError::NotWeights(format!(
            "{name} is {} MB, larger than any Distill Lab weights file ({} MB at most); pick the .dlw the lab saved",
            bytes.len() >> 20,
            MAX_BYTES >> 20
        )));
    }
    if bytes.len() < 12 || &bytes[..8] != MAGIC {
        return Err(WeightsError::NotWeights(format!(
            "{name} is not a Distill Lab weights file (expected one saved by `distill train` or the page's download)"
        )));
    }
    let len = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize;
    let json = 12usize
        .checked_add(len)
        .and_then(|end| bytes.get(12..end))
        .ok_or_else(|| {
            WeightsError::Damaged(format!(
                "{name} is truncated (metadata cut short); save or download it again"
            ))
        })?;
    let meta: WeightsMeta = serde_json::from_slice(json)
        .map_err(|e| WeightsError::Damaged(format!("{name} has damaged metadata ({e})")))?;
    if meta.format != FORMAT {
        return Err(WeightsError::Mismatch(format!(
            "{name} is weights format {}, this version reads format {FORMAT}",
            meta.format
        )));
    }
    Ok((meta, bytes[12 + len..].to_vec()))
}

impl WeightsMeta {
    /// Refuse weights for another architecture or dataset, naming both.
    pub fn check(
        &self,
        name: &str,
        arch: Arch,
        dataset: &str,
        classes: &[String],
    ) -> Result<(), WeightsError> {
        if self.arch != arch {
            return Err(WeightsError::Mismatch(format!(
                "{name} holds a {} ({}) but a {} is needed here; pick the {} file",
                self.arch.name(),
                self.role,
                arch.name(),
                arch.name()
            )));
        }
        if self.dataset != dataset || self.classes != classes {
            return Err(WeightsError::Mismatch(format!(
                "{name} was trained on {} ({} classes) but the data is {dataset} ({} classes); use weights trained on {dataset}",
                self.dataset,
                self.classes.len(),
                classes.len()
            )));
        }
        Ok(())
    }
}

/// Build the network a weights file describes (fresh parameters; load the record next). The
/// file is data, not code: its network config must be the lab's own for its architecture and
/// class count, compared before anything is allocated, so a file cannot choose layer sizes or
/// dropout rates.
pub fn network_from_meta(meta: &WeightsMeta, device: &Device) -> Result<Network, WeightsError> {
    let classes = meta.classes.len();
    if !(2..=MAX_CLASSES).contains(&classes) {
        return Err(WeightsError::Damaged(format!(
            "the file names {classes} classes; the lab's networks have 2 to {MAX_CLASSES}"
        )));
    }
    Ok(match meta.arch {
        Arch::Cnn => {
            let lab = TeacherConfig::new(classes);
            the_labs_own::<TeacherConfig>(meta, &lab)?;
            Network::Teacher(lab.init(device))
        }
        Arch::Mlp => {
            let lab = StudentConfig::new(classes);
            the_labs_own::<StudentConfig>(meta, &lab)?;
            Network::Student(lab.init(device))
        }
    })
}

/// The file's network config, read as the lab's config type, must serialise exactly as the
/// lab's own (`lab`): any other layer size or dropout rate is refused.
fn the_labs_own<C: Serialize + serde::de::DeserializeOwned>(
    meta: &WeightsMeta,
    lab: &C,
) -> Result<(), WeightsError> {
    let found = serde_json::from_value::<C>(meta.network.clone())
        .map_err(|e| WeightsError::Damaged(format!("network config unreadable ({e})")))?;
    let (found, lab) = (json(&found), json(lab));
    if found != lab {
        return Err(WeightsError::Mismatch(format!(
            "the file's {} is not the lab's (it has {found}, the lab builds {lab}); only networks the lab builds can be loaded",
            meta.arch.name()
        )));
    }
    Ok(())
}

/// A config as JSON, for comparing two of them field by field.
fn json(config: &impl Serialize) -> serde_json::Value {
    serde_json::to_value(config).unwrap_or_default()
}

/// Either network, for code that loads whatever a file holds. (Both variants are handles to
/// device tensors; the size difference is a few hundred bytes of handles, moved rarely.)
#[allow(clippy::large_enum_variant)]
#[derive(Module, Debug)]
pub enum Network {
    Teacher(super::Teacher),
    Student(super::Student),
}

impl Network {
    /// The record of the network inside, so its paths are those of `Teacher` or `Student`
    /// (a file saved here loads into the bare network and back).
    pub async fn record_bytes(&self) -> Result<Vec<u8>, String> {
        self.record_bytes_as(DType::F32).await
    }

    /// The same record with every parameter stored as `dtype` (`F16` halves a file; loading
    /// casts back to the network's own precision).
    pub async fn record_bytes_as(&self, dtype: DType) -> Result<Vec<u8>, String> {
        match self {
            Network::Teacher(m) => record_bytes_as(m, dtype).await,
            Network::Student(m) => record_bytes_as(m, dtype).await,
        }
    }

    /// Load a record (as written by [`Network::record_bytes`]) into the network inside.
    pub fn load(self, name: &str, record: Vec<u8>) -> Result<Network, WeightsError> {
        Ok(match self {
            Network::Teacher(m) => Network::Teacher(load_record(name, m, record)?),
            Network::Student(m) => Network::Student(load_record(name, m, record)?),
        })
    }
}

impl Classifier for Network {
    fn logits(&self, images: Tensor<2>) -> Tensor<2> {
        match self {
            Network::Teacher(m) => m.forward(images),
            Network::Student(m) => m.forward(images),
        }
    }
}

/// Apply record bytes to `model`; a record of another shape is refused, `model` is unchanged. A
/// record stored in another precision (the half-precision published teacher) is cast to the
/// model's own.
pub fn load_record<M: Module>(name: &str, model: M, record: Vec<u8>) -> Result<M, WeightsError> {
    check_finite(name, &record)?;
    let record = ModuleRecord::from_bytes(Bytes::from_bytes_vec(record))
        .map_err(|e| WeightsError::Damaged(format!("{name}: the weights are damaged ({e})")))?
        .cast_to_module_dtype();
    model.try_load_record(record).map_err(|e| {
        WeightsError::Mismatch(format!("{name}: the weights do not fit this network ({e})"))
    })
}

/// Refuse a record holding a number that is not finite (NaN or ±∞: a run that diverged, or a
/// damaged file), naming the parameter, before anything is loaded.
pub fn check_finite(name: &str, record: &[u8]) -> Result<(), WeightsError> {
    let damaged = |e: burn_pack::Error| {
        WeightsError::Damaged(format!("{name}: the weights are damaged ({e})"))
    };
    let reader =
        burn_pack::Reader::from_bytes(Bytes::from_bytes_vec(record.to_vec())).map_err(damaged)?;
    for t in reader.into_tensors().map_err(damaged)? {
        let (path, dtype, shape, _, bytes) = t.into_parts().map_err(damaged)?;
        if !dtype.is_float() {
            continue;
        }
        let data = TensorData::from_bytes(bytes, shape, dtype);
        if let Some(bad) = data.iter::<f32>().find(|v| !v.is_finite()) {
            return Err(WeightsError::Damaged(format!(
                "{name}: {path} holds {bad}, not a finite number (a run that diverged, or a \
                 damaged file); train or download the weights again"
            )));
        }
    }
    Ok(())
}

/// Collects every float parameter into one transaction.
struct Collect(Option<Transaction>);

impl ModuleVisitor for Collect {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tx = self.0.take().expect("transaction present");
        self.0 = Some(tx.register(param.transform_for_save().val()));
    }
}

/// Replaces every float parameter, in visiting order, by the data read, on `device`, stored as
/// `dtype`.
struct Replace {
    data: std::vec::IntoIter<TensorData>,
    device: Device,
    dtype: DType,
}

impl ModuleMapper for Replace {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let data = self.data.next().expect("one datum per parameter");
        let (device, dtype) = (self.device.clone(), self.dtype);
        param.map(|_| Tensor::from_data(data.convert_dtype(dtype), (&device, dtype)))
    }
}

/// The record bytes of `model`, read from its device in one async transaction (never a blocking
/// read, so this works on WebGPU), then serialised on the CPU.
pub async fn record_bytes<M: Module>(model: &M) -> Result<Vec<u8>, String> {
    record_bytes_as(model, DType::F32).await
}

/// [`record_bytes`] with every parameter stored as `dtype` (`F16`: the shipped teacher).
pub async fn record_bytes_as<M: Module>(model: &M, dtype: DType) -> Result<Vec<u8>, String> {
    let model = model.valid();
    let mut collect = Collect(Some(Transaction::default()));
    model.visit(&mut collect);
    let data = collect
        .0
        .expect("transaction present")
        .execute_async()
        .await
        .map_err(|e| format!("reading the weights from the device failed: {e:?}"))?;
    let cpu = model.map(&mut Replace {
        data: data.into_iter(),
        device: Device::flex(),
        dtype,
    });
    let bytes = cpu
        .into_record()
        .into_bytes()
        .map_err(|e| format!("serialising the weights failed: {e}"))?;
    Ok(bytes.to_vec())
}

impl From<super::Teacher> for Network {
    fn from(m: super::Teacher) -> Self {
        Network::Teacher(m)
    }
}

/// FitNets' stage-1 network seen as its student (the regressor is not part of a student).
impl From<super::HintedStudent> for Network {
    fn from(m: super::HintedStudent) -> Self {
        Network::Student(m.into_student())
    }
}

impl From<super::Student> for Network {
    fn from(m: super::Student) -> Self {
        Network::Student(m)
    }
}
