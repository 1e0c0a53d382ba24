//! Correctly rounded results for the few f32 inputs the f64-lane evaluation rounds the wrong
//! way: their exact result lies within about 2^-52 (relative) of an f32 rounding boundary, so
//! a double result cannot decide. CORE-MATH handles such inputs the same way. The lists come
//! from the exhaustive sweep (`exhaustive --funcs NAME 2> err; scripts/hard_cases.py`), and the
//! sweep with the lists in place proves them complete (ACCURACY.md). They belong to the
//! accurate path of `log` and `log1p` ([`super::log`]), which the table-driven fast path
//! ([`super::log_t16`]) hands every result it cannot decide.

/// `log1p` (9 inputs of 2^32).
pub(crate) const LOG1P_F32: &[(u32, u32)] = &[
    (0x35400003, 0x353fffff),
    (0x3710001b, 0x370ffff3),
    (0x3efd81ad, 0x3ecdeee1),
    (0x41078feb, 0x400fe5e7),
    (0x65d890d3, 0x4254d1f9),
    (0x6f31a8ec, 0x42845a89),
    (0xb53ffffd, 0xb5400001),
    (0xb70fffe5, 0xb710000d),
    (0xbb0ec8c4, 0xbb0ef0a5),
];

/// `log` (5 inputs of 2^32).
pub(crate) const LOG_F32: &[(u32, u32)] = &[
    (0x3c413d3a, 0xc08e158f),
    (0x41178feb, 0x400fe5e7),
    (0x4c5d65a5, 0x418f034b),
    (0x65d890d3, 0x4254d1f9),
    (0x6f31a8ec, 0x42845a89),
];

#[cfg(test)]
mod tests {
    /// The lists hold exactly the inputs of the MPFR-made data file
    /// (`tests/data/hard_cases_f32.txt`, see `tests/hard_cases.rs`), with its results, in
    /// ascending order (the lookup is a binary search).
    #[test]
    fn lists_match_the_mpfr_data_and_are_sorted() {
        let data = include_str!("../../tests/data/hard_cases_f32.txt");
        for (name, table) in [("log1p", super::LOG1P_F32), ("log", super::LOG_F32)] {
            let want: Vec<(u32, u32)> = data
                .lines()
                .filter(|l| l.split_whitespace().next() == Some(name))
                .map(|l| {
                    let f: Vec<u32> = l
                        .split_whitespace()
                        .skip(1)
                        .map(|h| u32::from_str_radix(h.trim_start_matches("0x"), 16).unwrap())
                        .collect();
                    (f[0], f[1])
                })
                .collect();
            assert_eq!(
                table,
                &want[..],
                "{name}: the list differs from the MPFR data"
            );
            assert!(
                table.windows(2).all(|w| w[0].0 < w[1].0),
                "{name}: the list is not sorted by input"
            );
        }
    }
}
