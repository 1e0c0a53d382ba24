//! tessera's `Display` against PyTorch's `str(tensor)`, case by case.
//!
//! The cases and PyTorch's output are in `tests/data/print_cases.txt`, written by
//! `scripts/make_print_data.py` (see its docstring for the format).

mod common;
use std::collections::BTreeSet;
use tessera_core::{DType, PrintOptions, Tensor};

const DATA: &str = include_str!("data/print_cases.txt");

struct Case {
    name: String,
    tensor: Tensor,
    opts: Option<PrintOptions>,
    expected: String,
}

fn parse_opts(line: &str) -> PrintOptions {
    let mut o = PrintOptions::default();
    for kv in line.split_whitespace() {
        let (k, v) = kv.split_once('=').expect("key=value");
        match k {
            "precision" => o.precision = v.parse().unwrap(),
            "threshold" if v == "inf" => o.threshold = usize::MAX,
            "threshold" => o.threshold = v.parse().unwrap(),
            "edgeitems" => o.edgeitems = v.parse().unwrap(),
            "linewidth" => o.linewidth = v.parse().unwrap(),
            "sci_mode" => {
                o.sci_mode = match v {
                    "none" => None,
                    "true" => Some(true),
                    "false" => Some(false),
                    _ => panic!("bad sci_mode {v}"),
                }
            }
            _ => panic!("unknown option {k}"),
        }
    }
    o
}

fn field<'a>(lines: &mut impl Iterator<Item = &'a str>, key: &str) -> &'a str {
    let line = lines.next().unwrap_or_else(|| panic!("missing {key}"));
    line.strip_prefix(key)
        .unwrap_or_else(|| panic!("expected {key:?}, got {line:?}"))
        .trim()
}

fn parse_cases() -> Vec<Case> {
    let mut lines = DATA.lines().filter(|l| !l.starts_with('#')).peekable();
    let mut cases = Vec::new();
    while lines.peek().is_some() {
        let name = field(&mut lines, "case").to_string();
        let dtype = common::parse_dtype(field(&mut lines, "dtype"));
        let shape: Vec<usize> = field(&mut lines, "shape")
            .split_whitespace()
            .map(|s| s.parse().unwrap())
            .collect();
        let mut permute = None;
        let mut opts = None;
        let mut line = lines.next().expect("values");
        if let Some(p) = line.strip_prefix("permute ") {
            permute = Some(
                p.split_whitespace()
                    .map(|s| s.parse::<usize>().unwrap())
                    .collect::<Vec<_>>(),
            );
            line = lines.next().expect("values");
        }
        if let Some(o) = line.strip_prefix("opts ") {
            opts = Some(parse_opts(o));
            line = lines.next().expect("values");
        }
        let values = line.strip_prefix("values").expect("values line");
        let mut tensor = common::build_tensor(dtype, &shape, values.split_whitespace());
        if let Some(p) = permute {
            tensor = tensor.permute(p);
        }
        let n: usize = field(&mut lines, "expected").parse().unwrap();
        let expected: Vec<&str> = (0..n).map(|_| lines.next().expect("line")).collect();
        assert_eq!(lines.next(), Some("end"), "case {name}: missing end");
        cases.push(Case {
            name,
            tensor,
            opts,
            expected: expected.join("\n"),
        });
    }
    cases
}

#[test]
fn display_matches_pytorch() {
    let cases = parse_cases();
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        let got = match &c.opts {
            Some(o) => c.tensor.format_with(o),
            None => c.tensor.to_string(),
        };
        if got != c.expected {
            failures.push(format!(
                "case {}:\n--- pytorch\n{}\n--- tessera\n{}",
                c.name, c.expected, got
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn data_covers_every_dtype_rank_and_feature() {
    let cases = parse_cases();
    let dtypes: BTreeSet<DType> = cases.iter().map(|c| c.tensor.dtype()).collect();
    assert_eq!(dtypes.len(), DType::ALL.len(), "dtypes covered: {dtypes:?}");
    let ranks: BTreeSet<usize> = cases.iter().map(|c| c.tensor.dim()).collect();
    assert!(
        (0..=4).all(|r| ranks.contains(&r)),
        "ranks covered: {ranks:?}"
    );
    let has = |pred: &dyn Fn(&Case) -> bool| cases.iter().any(pred);
    assert!(has(
        &|c| c.tensor.numel() > 1000 && c.expected.contains("...")
    ));
    assert!(has(&|c| c.tensor.numel() == 0));
    assert!(has(
        &|c| c.expected.contains("e+") || c.expected.contains("e-")
    ));
    assert!(has(
        &|c| c.expected.contains("nan") && c.expected.contains("inf")
    ));
    assert!(has(&|c| !c.tensor.is_contiguous()));
    assert!(has(&|c| c.opts.is_some()));
}

#[test]
fn debug_is_display() {
    for c in parse_cases().iter().filter(|c| c.opts.is_none()) {
        assert_eq!(format!("{:?}", c.tensor), c.expected, "case {}", c.name);
    }
}

#[test]
fn format_precision_sets_print_precision() {
    let mut checked = 0;
    for c in parse_cases() {
        let Some(o) = &c.opts else { continue };
        if *o != PrintOptions::default().precision(o.precision) {
            continue;
        }
        let p = o.precision;
        assert_eq!(format!("{:.p$}", c.tensor), c.expected, "case {}", c.name);
        assert_eq!(format!("{:.p$?}", c.tensor), c.expected, "case {}", c.name);
        checked += 1;
    }
    assert!(checked >= 2, "only {checked} precision-only cases");
}
