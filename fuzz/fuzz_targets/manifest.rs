//! `manifest.json` (fetched by the worker, read by the CLI): whatever is accepted reads back as
//! written and lists only plain shard file names that tile each split from sample 0.
#![no_main]
use distill_lab::data::{Manifest, SplitKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(m) = Manifest::from_json(&String::from_utf8_lossy(data)) else {
        return;
    };
    assert_eq!(Manifest::from_json(&m.to_json()).as_ref(), Ok(&m));
    for split in [SplitKind::Train, SplitKind::Test] {
        let mut next = 0;
        for s in m.shards(split) {
            assert!(!s.file.contains(['/', '\\']) && !s.file.starts_with('.'));
            assert_eq!(s.start, next);
            next += s.count;
        }
    }
});
