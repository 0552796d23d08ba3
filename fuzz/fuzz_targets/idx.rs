//! gzip IDX files (`distill prepare`'s official inputs): inflate, then parse as images and labels.
//! Headers may declare at most 256 KiB here (the lab's cap is `inflate::MAX_INFLATED`, 1 GiB):
//! with the real cap, mutated streams that inflate to tens of megabytes within what their
//! header declares come to fill the corpus and most of the time (docs/RELIABILITY.md).
#![no_main]
use distill_lab::data::idx;
use libfuzzer_sys::fuzz_target;

/// The most a header may declare in this target: twice the largest seed's inflated size (the
/// official EMNIST-letters training labels, 124,808 bytes).
const CAP: usize = 256 << 10;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = idx::gunzip_within("fuzz.gz", data, CAP) {
        assert!(raw.len() <= CAP);
        if let Ok(img) = idx::parse_images("fuzz", &raw) {
            assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
        }
        let _ = idx::parse_labels("fuzz", &raw);
    }
});
