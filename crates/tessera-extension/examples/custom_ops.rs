//! Custom ops in C and C++, compiled and loaded while the program runs, called like
//! built-in ops and differentiated by autograd.
//!
//! - `fused_expm1` (C, `examples/csrc/fused_expm1.c`): `expm1(x) * scale` in one pass,
//!   checked against tessera's `x.expm1() * scale`;
//! - `stable_sigmoid` (C++, `examples/csrc/stable_sigmoid.cpp`): checked against
//!   `x.sigmoid()`;
//!
//! both with their gradients checked by `gradcheck` and against the built-in ops'.
//!
//! Run: `cargo run -p tessera-extension --example custom_ops`. The first run compiles the
//! two libraries (into the per-user cache, or `TESSERA_EXTENSIONS_DIR`); later runs load
//! them from the cache without compiling.

use std::path::Path;
use std::time::Instant;
use tessera_core::autograd::gradcheck;
use tessera_core::{DType, Result, Tensor};
use tessera_extension::{get_compiler_abi_compatibility_and_version, load, LoadOptions};

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f64 {
    (a.to_dtype(DType::F64) - b.to_dtype(DType::F64))
        .abs()
        .max()
        .item::<f64>()
}

fn main() -> Result<()> {
    let (ok, version) = get_compiler_abi_compatibility_and_version("cc");
    println!("cc: version {version}, compatible: {ok}");
    let csrc = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/csrc");
    let opts = LoadOptions::new();

    let t = Instant::now();
    let c = load("fused_expm1", &[csrc.join("fused_expm1.c")], &opts)?;
    let cpp = load("stable_sigmoid", &[csrc.join("stable_sigmoid.cpp")], &opts)?;
    println!(
        "loaded in {:.1} ms (C: {}, C++: {})",
        t.elapsed().as_secs_f64() * 1e3,
        if c.was_compiled() {
            "compiled"
        } else {
            "cached"
        },
        if cpp.was_compiled() {
            "compiled"
        } else {
            "cached"
        },
    );
    let fused = c.op("fused_expm1").expect("the table has it");
    let sigmoid = cpp.op("stable_sigmoid").expect("the table has it");

    // Values against the built-in ops, f32 and f64, contiguous and a transposed view.
    for dtype in [DType::F32, DType::F64] {
        let x = Tensor::linspace_dtype(-30.0, 30.0, 600, dtype).reshape([20, 30]);
        for (what, v) in [("contiguous", x.clone()), ("transposed", x.t())] {
            let y = fused.call(&[&v], &[0.5])?.remove(0);
            let rel = max_abs_diff(&y, &(v.expm1() * 0.5)) / y.abs().max().item::<f64>();
            let s = sigmoid.call(&[&v], &[])?.remove(0);
            let ds = max_abs_diff(&s, &v.sigmoid());
            println!("{dtype} {what}: fused_expm1 max rel. diff {rel:.1e}, stable_sigmoid max abs. diff {ds:.1e}");
            assert!(rel < 1e-6 && ds < 1e-6);
        }
    }

    // Gradients: autograd through the C op, against the built-in ops' gradient.
    let x = Tensor::linspace_dtype(-2.0, 2.0, 8, DType::F64);
    x.requires_grad_(true);
    let y = fused.call(&[&x], &[3.0])?.remove(0);
    let z = sigmoid.call(&[&y], &[])?.remove(0);
    z.sum().backward();
    let g_ext = x.grad().expect("x requires grad");
    x.zero_grad();
    (x.expm1() * 3.0).sigmoid().sum().backward();
    let g_builtin = x.grad().expect("x requires grad");
    println!(
        "d/dx sum(sigmoid(3 expm1(x))): extension ops vs built-in ops, max abs. diff {:.1e}",
        max_abs_diff(&g_ext, &g_builtin)
    );
    assert!(max_abs_diff(&g_ext, &g_builtin) < 1e-12);

    // Finite differences (gradcheck, f64).
    let x = Tensor::linspace_dtype(-1.0, 1.0, 5, DType::F64);
    x.requires_grad_(true);
    gradcheck(
        |v| {
            let y = fused.call(&[&v[0]], &[3.0]).unwrap().remove(0);
            sigmoid.call(&[&y], &[]).unwrap().remove(0)
        },
        &[x],
        Default::default(),
    )?;
    println!("gradcheck: ok");
    Ok(())
}
