//! gzip IDX files (`distill prepare`'s official inputs): inflate, then parse as images and labels.
//! Headers may declare at most 1 MiB here (the lab's cap is `inflate::MAX_INFLATED`, 1 GiB):
//! with the real cap, mutated streams that inflate to tens of megabytes within what their
//! header declares come to fill the corpus and most of the time (docs/RELIABILITY.md).
#![no_main]
use distill_lab::data::idx;
use libfuzzer_sys::fuzz_target;

/// The most a header may declare in this target (the official EMNIST-letters training labels,
/// a seed, inflate to 124,808 bytes).
const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = idx::gunzip_within("fuzz.gz", data, CAP) {
        assert!(raw.len() <= CAP);
        if let Ok(img) = idx::parse_images("fuzz", &raw) {
            assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
        }
        let _ = idx::parse_labels("fuzz", &raw);
    }
});
