//! `TESSERA_DONT_CHECK_COMPILER_ABI` skips the check (its own test process: it sets
//! an environment variable).

use tessera_extension::{get_compiler_abi_compatibility_and_version as check, Version};

#[test]
fn the_variable_skips_the_check() {
    assert!(!check("no-such-compiler-anywhere").0);
    for v in ["1", "ON", "yes", "True", "y"] {
        std::env::set_var("TESSERA_DONT_CHECK_COMPILER_ABI", v);
        assert_eq!(
            check("no-such-compiler-anywhere"),
            (true, Version::new(0, 0, 0)),
            "{v}"
        );
    }
    for v in ["0", "off", ""] {
        std::env::set_var("TESSERA_DONT_CHECK_COMPILER_ABI", v);
        assert!(!check("no-such-compiler-anywhere").0, "{v}");
    }
}
