//! A digest of every output bit of the f32 kernels over all 2^32 inputs, per backend: two
//! commits whose digests agree give the same bits on every input, so a change that should
//! not touch the results (a slice driver, a loop order) keeps the exhaustive proof of the
//! commit before it without a new sweep against MPFR (ACCURACY.md).
//!
//! ```text
//! cargo run --release -p tessera-kernels --example output_digest -- FUNC[,FUNC...] [BACKEND ...]
//! ```
//! Functions: `expm1`, `exp`, `log1p`, `log`, `tanh`, `sigmoid`, `softplus`, and the same
//! with a `high_` prefix (`tessera_kernels::high`). Backends: `Scalar`, `V3`, `V4` (default:
//! every available one). Prints `FUNC BACKEND DIGEST`, the 64-bit FNV-1a hash of the 2^32
//! result bit patterns (NaN payloads included) in input order, computed in chunks of 2^20.

use tessera_kernels::*;

type Kernel = fn(&[f32], &mut [f32]);

fn kernel(name: &str) -> Kernel {
    match name {
        "expm1" => expm1_f32,
        "exp" => exp_f32,
        "log1p" => log1p_f32,
        "log" => log_f32,
        "tanh" => tanh_f32,
        "sigmoid" => sigmoid_f32,
        "softplus" => softplus_f32,
        "high_expm1" => high::expm1_f32,
        "high_exp" => high::exp_f32,
        "high_log1p" => high::log1p_f32,
        "high_log" => high::log_f32,
        "high_tanh" => high::tanh_f32,
        "high_sigmoid" => high::sigmoid_f32,
        "high_softplus" => high::softplus_f32,
        other => panic!("output_digest: unknown function {other}"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let funcs = args
        .first()
        .expect("output_digest: name the functions (log,log1p,...)");
    let wanted = &args[1..];
    const CHUNK: u64 = 1 << 20;
    let mut x = vec![0f32; CHUNK as usize];
    let mut y = vec![0f32; CHUNK as usize];
    for name in funcs.split(',') {
        let f = kernel(name);
        for b in available_backends() {
            if !wanted.is_empty() && !wanted.iter().any(|w| *w == format!("{b:?}")) {
                continue;
            }
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for c in 0..(1u64 << 32) / CHUNK {
                for (i, v) in x.iter_mut().enumerate() {
                    *v = f32::from_bits((c * CHUNK + i as u64) as u32);
                }
                with_backend(b, || f(&x, &mut y));
                for v in &y {
                    h = (h ^ v.to_bits() as u64).wrapping_mul(0x0000_0100_0000_01b3);
                }
            }
            println!("{name} {b:?} {h:016x}");
        }
    }
}
