//! The f32 hard cases of `log1p` and `log` (inputs whose exact result lies within about
//! 2^-52 of an f32 rounding boundary): each listed input against its correctly rounded
//! result as MPFR decided it (`tests/data/hard_cases_f32.txt`, made by the `hard_cases`
//! binary of crates/tessera-accuracy), on every backend and at every lane position. The
//! random known-value test skips exactly these inputs, as ambiguous for an f64 reference.

mod common;
use common::*;
use tessera_kernels::*;

/// `(function, input, correctly rounded result)` from the data file.
fn cases() -> Vec<(String, f32, f32)> {
    include_str!("data/hard_cases_f32.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let bits = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).unwrap();
            (
                f[0].to_string(),
                f32::from_bits(bits(f[1])),
                f32::from_bits(bits(f[2])),
            )
        })
        .collect()
}

fn kernel(name: &str) -> F32Fn {
    F32_FNS
        .iter()
        .find(|(n, _)| *n == name)
        .unwrap_or_else(|| panic!("no f32 kernel {name}"))
        .1
}

fn kernel_inplace(name: &str) -> fn(&mut [f32]) {
    match name {
        "log1p" => log1p_f32_inplace,
        "log" => log_f32_inplace,
        _ => panic!("no hard cases expected for {name}"),
    }
}

#[test]
fn listed_inputs_give_the_mpfr_result_on_every_backend() {
    let cases = cases();
    let funcs: Vec<&str> = cases.iter().map(|c| c.0.as_str()).collect();
    assert!(
        funcs.iter().filter(|&&f| f == "log1p").count() == 9
            && funcs.iter().filter(|&&f| f == "log").count() == 5,
        "the data file should hold the 9 log1p and 5 log cases of ACCURACY.md"
    );
    // 19 elements: the hard input at every position of two 8-lane vectors and the tail.
    const LEN: usize = 19;
    for backend in available_backends() {
        with_backend(backend, || {
            for (name, x, want) in &cases {
                let f = kernel(name);
                for pos in 0..LEN {
                    let mut xs = vec![1.5f32; LEN];
                    xs[pos] = *x;
                    let mut y = vec![0.0f32; LEN];
                    f(&xs, &mut y);
                    kernel_inplace(name)(&mut xs);
                    for (form, got) in [("", y[pos]), ("_inplace", xs[pos])] {
                        assert_eq!(
                            got.to_bits(),
                            want.to_bits(),
                            "{name}_f32{form}({x:e} = {:#010x}) at position {pos} on {backend:?}: got {:#010x}, MPFR says {:#010x}",
                            x.to_bits(),
                            got.to_bits(),
                            want.to_bits()
                        );
                    }
                }
            }
        });
    }
}
