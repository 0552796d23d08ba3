//! Checkpoints read back from IndexedDB: whatever decodes holds checked settings, finite
//! numbers, and encodes again to the same records.
#![no_main]
use distill_lab::checkpoint::Checkpoint;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Checkpoint::decode(data) {
        let again = c.encode().expect("a decoded checkpoint encodes again");
        assert_eq!(
            Checkpoint::decode(&again).expect("and decodes").records,
            c.records
        );
    }
});
