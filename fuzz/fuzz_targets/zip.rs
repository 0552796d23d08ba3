//! Zip archives (the official `gzip.zip` and `matlab.zip`): the directory, then every member.
#![no_main]
use distill_lab::data::zip;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(entries) = zip::read_index("fuzz.zip", &mut &data[..]) {
        for e in &entries {
            if let Ok(bytes) = zip::extract("fuzz.zip", &mut &data[..], e) {
                assert_eq!(bytes.len() as u64, e.size);
            }
        }
    }
});
