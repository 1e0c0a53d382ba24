//! Any bytes given to `tessera_io::load_bytes` are an `Ok` or an `Err`, never a panic,
//! a hang or a huge allocation (run with `-rss_limit_mb=512 -malloc_limit_mb=64`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tessera_io::load_bytes(data);
});
