//! `set_default_validate_args` (its own test binary: it changes a global default).

use tessera_core::tensor;
use tessera_distributions::*;

#[test]
fn default_validation_can_be_switched_off_and_on() {
    assert!(default_validate_args());
    set_default_validate_args(false);
    let d = Normal::new(&tensor!(0.0), &tensor!(-1.0)).unwrap();
    assert!(!d.validate_args());
    assert!(Gamma::new(&tensor!(1.0), &tensor!(1.0))
        .unwrap()
        .log_prob(&tensor!(-1.0))
        .is_ok());
    set_default_validate_args(true);
    assert!(Normal::new(&tensor!(0.0), &tensor!(-1.0)).is_err());
}
