#![no_main]
//! Fuzzes `hostlife::fuzzing::palette`: see there for the invariant.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        hostlife::fuzzing::palette(text);
    }
});
