//! Load options and environment overrides: extra include paths and flags reach the
//! compiler and change the build key; `TESSERA_EXTENSIONS_DIR` and `TESSERA_INCLUDE_DIR`
//! (its own test process: it sets environment variables).

use tessera_extension::{default_build_root, include_paths, load_inline_with, LoadOptions, OpSpec};

const SRC: &str = r#"
    #include "answer.h"
    TESSERA_CPP_OP(answer, call) {
        int64_t one = 1;
        auto y = call.alloc(0, TESSERA_INT64, 1, &one);
        y.flat<int64_t>(0) = ANSWER * FACTOR;
    }
"#;

fn answer(opts: &LoadOptions) -> (i64, bool) {
    let ext = load_inline_with("answer", SRC, &[OpSpec::new("answer").inputs(0)], opts)
        .unwrap_or_else(|e| panic!("{e}"));
    let v = ext
        .call("answer", &[], &[])
        .unwrap()
        .remove(0)
        .to_vec::<i64>()[0];
    (v, ext.was_compiled())
}

#[test]
fn include_paths_flags_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let inc = dir.path().join("inc");
    std::fs::create_dir(&inc).unwrap();
    std::fs::write(inc.join("answer.h"), "#define ANSWER 21\n").unwrap();
    let root = dir.path().join("cache");
    let base = LoadOptions::new()
        .build_directory(&root)
        .extra_include_paths([&inc]);
    assert_eq!(
        answer(&base.clone().extra_cflags(["-DFACTOR=2"])),
        (42, true)
    );
    assert_eq!(
        answer(&base.clone().extra_cflags(["-DFACTOR=2"])),
        (42, false)
    );
    // another flag is another build
    assert_eq!(
        answer(&base.clone().extra_cflags(["-DFACTOR=3"]).verbose(true)),
        (63, true)
    );
    // a missing include path is a compile error naming the header
    let e = load_inline_with(
        "answer",
        SRC,
        &[OpSpec::new("answer").inputs(0)],
        &LoadOptions::new()
            .build_directory(&root)
            .extra_cflags(["-DFACTOR=2"]),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("answer.h"), "{e}");

    // TESSERA_EXTENSIONS_DIR is the default build root
    let env_root = dir.path().join("env-root");
    std::env::set_var("TESSERA_EXTENSIONS_DIR", &env_root);
    assert_eq!(default_build_root(), env_root);
    let opts = LoadOptions::new()
        .extra_include_paths([&inc])
        .extra_cflags(["-DFACTOR=1"]);
    assert_eq!(answer(&opts), (21, true));
    assert!(std::fs::read_dir(&env_root).unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with("answer_")));
    std::env::remove_var("TESSERA_EXTENSIONS_DIR");
    assert!(
        default_build_root().ends_with("tessera/extensions")
            || default_build_root()
                .to_string_lossy()
                .contains("tessera-extensions-")
    );

    // TESSERA_INCLUDE_DIR comes first in include_paths()
    std::env::set_var("TESSERA_INCLUDE_DIR", &inc);
    let dirs = include_paths();
    assert_eq!(dirs[0], inc);
    assert!(dirs[1].join("tessera.h").is_file());
    std::env::remove_var("TESSERA_INCLUDE_DIR");
    assert_eq!(include_paths().len(), 1);
}
