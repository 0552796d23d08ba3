//! The lab's own shards (fetched by the worker, so as hostile as any download).
#![no_main]
use distill_lab::data::shard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = shard::decode("fuzz.shard", data) {
        assert_eq!(d.pixels.len(), d.labels.len() * d.rows * d.cols);
    }
});
