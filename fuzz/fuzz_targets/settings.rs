//! Share links: no NaN gets in, and the settings survive their own link.
#![no_main]
use distill_lab::settings::Settings;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (s, _) = Settings::from_query(&String::from_utf8_lossy(data));
    assert!(s.temperature.is_finite() && s.lambda.is_finite());
    assert_eq!(Settings::from_query(&s.to_query()).0, s);
});
