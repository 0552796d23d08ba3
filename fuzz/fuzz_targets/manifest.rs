//! `manifest.json` (fetched by the worker, read by the CLI).
#![no_main]
use distill_lab::data::Manifest;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Manifest::from_json(&String::from_utf8_lossy(data));
});
