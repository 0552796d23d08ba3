//! `distill train` and `distill sweep` checkpoints (cli/resume_file.rs, cli/resume.rs): the file
//! as it is read from disk; then — a crafted file can carry its own records' sha256 — the
//! input as the records of a well-formed file, sealed by `encode` (the input's first two bytes
//! say where the weights end), resumed into the 4-unit student the seeds were made from and
//! trained a step. Refused or trained, never a panic.
#![no_main]
use burn::prelude::*;
use distill_lab::cli::resume::{Head, Saved, resume_from};
use distill_lab::data::batch::Norm;
use distill_lab::data::prepare::Split;
use distill_lab::model::StudentConfig;
use distill_lab::train::{Objective, Schedule, TrainConfig, Trainer};
use libfuzzer_sys::fuzz_target;

thread_local! {
    static DEVICE: Device = Device::flex().autodiff();
    /// Four images of ten classes, one batch.
    static SPLIT: Split = Split {
        labels: vec![0, 3, 6, 9],
        pixels: (0..4 * 784).map(|i| (i * 7 % 251) as u8).collect(),
    };
}

fuzz_target!(|data: &[u8]| {
    let _ = Saved::decode("fuzz.ckpt", data);
    let Some((len, records)) = data.split_first_chunk::<2>() else {
        return;
    };
    let cut = usize::from(u16::from_le_bytes(*len)).min(records.len());
    let (weights, optimizer) = records.split_at(cut);
    let key = serde_json::json!({ "role": "baseline" });
    let saved = Saved {
        head: Head {
            key: key.clone(),
            epoch: 0,
            lr: 1.0,
            schedule: Schedule::new(true, true),
            stopped_early: false,
            history: Vec::new(),
            seconds: 0.0,
        },
        weights: weights.to_vec(),
        optimizer: optimizer.to_vec(),
    };
    let saved = Saved::decode("fuzz.ckpt", &saved.encode()).expect("a sealed file decodes");
    DEVICE.with(|ad| {
        let cfg = TrainConfig {
            epochs: 2,
            batch_size: 4,
            ..TrainConfig::study()
        };
        let model = StudentConfig::new(10).with_hidden(4).init(ad);
        let t = Trainer::new(model, cfg, Objective::CrossEntropy, 4, ad);
        if let Ok((mut t, _)) = resume_from("fuzz.ckpt", saved, &key, t) {
            let norm = Norm {
                mean: 0.3,
                std: 0.4,
            };
            SPLIT.with(|split| t.step(split, norm));
        }
    });
});
