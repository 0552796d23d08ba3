//! The trainer's optimizer: built fresh for an [`OptimizerKind`], and the check that a saved
//! state (a CLI checkpoint's, [`super::Trainer::restore_optimizer`]) fits the model before burn
//! loads it — burn keeps state for parameters the model lacks and panics at the next step on
//! state of another shape.

use super::OptimizerKind;
use super::adadelta::AdadeltaConfig;
use burn::module::{ModuleVisitor, Param};
use burn::optim::{AdamConfig, ModuleOptimizer};
use burn::prelude::*;
/// A new optimizer of `kind`, with no state.
pub(super) fn fresh(kind: OptimizerKind) -> ModuleOptimizer {
    match kind {
        OptimizerKind::Adadelta => AdadeltaConfig::new().init(),
        // Keras' Adam epsilon (1e-7) rather than burn's 1e-5.
        OptimizerKind::Adam => AdamConfig::new().with_epsilon(1e-7).init(),
    }
}

/// Each float parameter's id and shape.
struct ParamShapes(Vec<(u64, Vec<usize>)>);

impl ModuleVisitor for ParamShapes {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push((param.id.val(), param.shape().to_vec()));
    }
}

/// Whether the optimizer state `record` fits `model`: every state tensor belongs to one of its
/// parameters (by id, each id once in the model; the id its name begins with, which is where
/// burn files it, and its `param_id` alike), has that parameter's shape and finite values;
/// every stored rank is its parameter's.
pub(super) fn fits<M: Module>(model: &M, record: &[u8]) -> Result<(), String> {
    let mut shapes = ParamShapes(Vec::new());
    model.visit(&mut shapes);
    let by_id: std::collections::HashMap<u64, Vec<usize>> = shapes.0.iter().cloned().collect();
    if by_id.len() != shapes.0.len() {
        return Err("two of the model's parameters share an id (damaged weights)".into());
    }
    let damaged = |e: burn_pack::Error| format!("the optimizer's state is damaged ({e})");
    let reader =
        burn_pack::Reader::from_bytes(burn::tensor::Bytes::from_bytes_vec(record.to_vec()))
            .map_err(damaged)?;
    for (name, value) in reader.scalars() {
        let Some(id) = name
            .strip_suffix(".__rank")
            .and_then(|id| id.parse::<u64>().ok())
        else {
            continue;
        };
        let shape = by_id.get(&id).ok_or_else(|| {
            format!("the optimizer's state names parameter {id}, not in the model")
        })?;
        if usize::try_from(*value).ok() != Some(shape.len()) {
            return Err(format!(
                "the optimizer's state gives parameter {id} another rank"
            ));
        }
    }
    for t in reader.into_tensors().map_err(damaged)? {
        let (path, dtype, shape, id, bytes) = t.into_parts().map_err(damaged)?;
        // burn files a state tensor under the parameter its name begins with, not under its
        // `param_id`: the two must agree, or a tensor checked against one parameter would be
        // stepped with another.
        let named = path
            .split_once('.')
            .and_then(|(id, _)| id.parse::<u64>().ok());
        let want = (id.filter(|&id| named == Some(id)))
            .and_then(|id| by_id.get(&id))
            .ok_or_else(|| {
                format!("the optimizer's state {path} belongs to no parameter of the model")
            })?;
        if !dtype.is_float() || shape.as_slice() != want.as_slice() {
            return Err(format!(
                "the optimizer's state {path} is {dtype:?} {:?}, its parameter {want:?}",
                shape.as_slice()
            ));
        }
        let data = TensorData::from_bytes(bytes, shape, dtype);
        if data.iter::<f32>().any(|v| !v.is_finite()) {
            return Err(format!(
                "the optimizer's state {path} holds a number that is not finite"
            ));
        }
    }
    Ok(())
}
