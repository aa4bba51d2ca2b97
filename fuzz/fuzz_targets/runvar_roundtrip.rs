#![no_main]
//! Fuzzes `hostlife::fuzzing::runvar_roundtrip`: see there for the invariant.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| hostlife::fuzzing::runvar_roundtrip(data));
