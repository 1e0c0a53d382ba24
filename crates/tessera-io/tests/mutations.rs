//! Thousands of mutated files fed to `load` and `safetensors::load`: each is an `Ok` or
//! an `Err`, never a panic, and no single allocation exceeds a small bound (a global
//! allocator in this test binary records the largest request). The fuzz target in
//! `fuzz/` explores the same entry points without bound.

mod common;

use common::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Records the largest allocation requested.
struct Tracking;

static LARGEST: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged (the
// size is only recorded), so `System`'s guarantees are this allocator's.
unsafe impl GlobalAlloc for Tracking {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn alloc_zeroed(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc_zeroed(l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LARGEST.fetch_max(new, Ordering::Relaxed);
        System.realloc(p, l, new)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
}

#[global_allocator]
static ALLOC: Tracking = Tracking;

/// The bound: the inputs are a few KB, so anything near this is a length taken from
/// the file without a check.
const LIMIT: usize = 16 << 20;

/// xorshift64*: a fixed, seedable stream of mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One to four random edits: bit flips, interesting bytes, big integers, truncation,
/// duplicated or deleted runs, inserted bytes.
fn mutate(src: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut v = src.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            v.push(0x80);
        }
        let at = rng.below(v.len());
        match rng.below(8) {
            0 => v[at] ^= 1 << rng.below(8),
            1 => v[at] = [0, 0xff, 0x7f, 0x80, b'(', b'.', b'R', b'q'][rng.below(8)],
            2 => {
                let big = [u32::MAX, i32::MAX as u32, 0x8000_0000, 0xffff][rng.below(4)];
                let end = (at + 4).min(v.len());
                v[at..end].copy_from_slice(&big.to_le_bytes()[..end - at]);
            }
            3 => v.truncate(at),
            4 => {
                let n = rng.below(32).min(v.len() - at);
                let run = v[at..at + n].to_vec();
                v.splice(at..at, run);
            }
            5 => {
                let n = rng.below(16).min(v.len() - at);
                v.drain(at..at + n);
            }
            6 => {
                let b = (rng.next() & 0xff) as u8;
                v.insert(at, b);
            }
            _ => {
                let end = (at + 8).min(v.len());
                v[at..end].copy_from_slice(&u64::MAX.to_le_bytes()[..end - at]);
            }
        }
    }
    v
}

fn check(case: &str, f: impl FnOnce() + std::panic::UnwindSafe) {
    LARGEST.store(0, Ordering::Relaxed);
    if std::panic::catch_unwind(f).is_err() {
        panic!("{case}: the loader panicked");
    }
    let big = LARGEST.load(Ordering::Relaxed);
    assert!(big < LIMIT, "{case}: an allocation of {big} bytes");
}

#[test]
fn mutated_files_never_panic_or_allocate_hugely() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    // Whole files: the zip layer (and its CRC check), and the legacy format, which has
    // no checksum, so mutations reach its pickles and storage records.
    for name in ["views.pth", "nested.pth", "legacy.pth", "dtypes.pth"] {
        let src = read(name);
        let n = if name == "legacy.pth" { 1500 } else { 400 };
        for i in 0..n {
            let m = mutate(&src, &mut rng);
            check(&format!("{name} mutation {i}"), || {
                let _ = tessera_io::load_bytes(&m);
            });
            runs += 1;
        }
    }
    // Pickles inside well-formed archives, past the CRC check.
    for name in ["nested.pth", "state_dict.pth", "views.pth"] {
        let entries = unzip(&read(name));
        let pkl = entries
            .iter()
            .position(|(n, _)| n.ends_with("data.pkl"))
            .unwrap();
        for i in 0..600 {
            let mut e = entries.clone();
            e[pkl].1 = mutate(&entries[pkl].1, &mut rng);
            let z = rezip(&e);
            check(&format!("{name} data.pkl mutation {i}"), || {
                let _ = tessera_io::load_bytes(&z);
            });
            let p = e[pkl].1.clone();
            check(&format!("{name} bare pickle mutation {i}"), || {
                let _ = tessera_io::pickle::unpickle_only(&p);
            });
            runs += 2;
        }
    }
    let st = read("tensors.safetensors");
    for i in 0..500 {
        let m = mutate(&st, &mut rng);
        check(&format!("safetensors mutation {i}"), || {
            let _ = tessera_io::safetensors::load(&m);
        });
        runs += 1;
    }
    // The memory-mapped paths (`load` and `safetensors::load_file` on files), whose
    // storages borrow the map, on a share of the same kind of mutations.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m");
    for (name, n) in [
        ("views.pth", 150),
        ("dtypes.pth", 150),
        ("tensors.safetensors", 150),
    ] {
        let src = read(name);
        for i in 0..n {
            std::fs::write(&path, mutate(&src, &mut rng)).unwrap();
            check(&format!("{name} mapped mutation {i}"), || {
                if name.ends_with(".pth") {
                    if let Ok(v) = tessera_io::load(&path) {
                        let _ = v.to_state_dict();
                    }
                } else {
                    let _ = tessera_io::safetensors::load_file(&path);
                }
            });
            runs += 1;
        }
    }
    assert!(runs >= 5000);
}
