//! `Dropout` reseeded through the process-wide generator (`manual_seed`).
//!
//! In a file of its own: test files are separate processes, but the tests of one file
//! run on parallel threads and share the global generator, so any other test that
//! builds a module (its default initialization draws from that generator) could draw
//! between `manual_seed` and the forward pass and change the mask.

use tessera_core::Tensor;
use tessera_nn::{Dropout, Module};

#[test]
fn dropout_in_eval_is_identity_and_seeded_in_training() {
    let d = Dropout::new(0.3);
    let x = Tensor::ones(&[2000]);
    tessera_core::manual_seed(3);
    let a = d.forward(&x).to_vec::<f32>();
    tessera_core::manual_seed(3);
    let b = d.forward(&x).to_vec::<f32>();
    assert_eq!(a, b);
    let zeros = a.iter().filter(|&&v| v == 0.0).count() as f64 / 2000.0;
    assert!((zeros - 0.3).abs() < 0.05, "dropped fraction {zeros}");
    d.eval();
    assert_eq!(d.forward(&x).to_vec::<f32>(), vec![1.0; 2000]);
}
