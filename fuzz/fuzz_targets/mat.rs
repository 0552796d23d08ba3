//! MATLAB v5 files (the official `emnist-*.mat`): every element, then EMNIST's layout.
#![no_main]
use distill_lab::data::{DatasetKind, mat};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if mat::parse("fuzz.mat", data).is_ok() {
        let _ = mat::emnist_from_mat(DatasetKind::EmnistLetters, "fuzz.mat", data);
    }
});
