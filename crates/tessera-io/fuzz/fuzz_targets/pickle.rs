//! The unpickler alone, on any bytes.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tessera_io::pickle::unpickle_only(data);
});
