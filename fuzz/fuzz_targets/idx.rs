//! gzip IDX files (`distill prepare`'s official inputs): inflate, then parse as images and labels.
#![no_main]
use distill_lab::data::idx;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = idx::gunzip("fuzz.gz", data) {
        if let Ok(img) = idx::parse_images("fuzz", &raw) {
            assert_eq!(img.pixels.len(), img.count * img.rows * img.cols);
        }
        let _ = idx::parse_labels("fuzz", &raw);
    }
});
