//! Sums of slices, accumulated in f64.

use crate::dispatch::dispatch;
use crate::simd::map::Elem;
use crate::simd::sum::Sum;

fn sum<T: Elem>(x: &[T]) -> f64 {
    dispatch(Sum {
        p: x.as_ptr(),
        len: x.len(),
    })
}

/// The sum of an `f32` slice, accumulated and returned in `f64` (round it to `f32` for
/// PyTorch's `sum` of a float tensor).
///
/// Eight partial sums per leaf of 256 elements, leaves combined pairwise: the error is at
/// most about `(8 + 32 + log2(n / 256))` roundings of 2^-53 relative to the sum of `|x|`,
/// so the f32 result is within 1 ULP of the exact sum unless the sum cancels. Identical on
/// every backend. An empty slice gives 0; NaN and infinities propagate as in any sum.
///
/// ```
/// assert_eq!(tessera_kernels::sum_f32(&[1.0, 2.0, 3.5]), 6.5);
/// ```
pub fn sum_f32(x: &[f32]) -> f64 {
    sum(x)
}

/// The sum of an `f64` slice (see [`sum_f32`] for the order of the additions and the
/// error bound).
///
/// ```
/// assert_eq!(tessera_kernels::sum_f64(&[0.5; 1000]), 500.0);
/// ```
pub fn sum_f64(x: &[f64]) -> f64 {
    sum(x)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{available_backends, with_backend};

    /// Reference: the same leaves and pairwise tree, in plain scalar code.
    fn reference(x: &[f64]) -> f64 {
        fn tree(leaves: &[f64]) -> f64 {
            if leaves.len() == 1 {
                return leaves[0];
            }
            let half = leaves.len().next_power_of_two() / 2;
            tree(&leaves[..half]) + tree(&leaves[half..])
        }
        let leaves: Vec<f64> = x
            .chunks(256)
            .map(|c| {
                let mut s = [0.0f64; 8];
                for (i, v) in c.iter().enumerate() {
                    s[i % 8] += v;
                }
                ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
            })
            .collect();
        if leaves.is_empty() {
            0.0
        } else {
            tree(&leaves)
        }
    }

    #[test]
    fn matches_the_pairwise_tree_on_every_backend() {
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        for len in [0usize, 1, 7, 8, 9, 255, 256, 257, 1000, 4096, 100_003] {
            let x: Vec<f64> = (0..len).map(|_| next() * 1e3).collect();
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            let w32: Vec<f64> = x32.iter().map(|&v| v as f64).collect();
            for b in available_backends() {
                with_backend(b, || {
                    assert_eq!(
                        sum_f64(&x).to_bits(),
                        reference(&x).to_bits(),
                        "len {len} {b:?}"
                    );
                    assert_eq!(
                        sum_f32(&x32).to_bits(),
                        reference(&w32).to_bits(),
                        "len {len} {b:?}"
                    );
                });
            }
        }
    }

    #[test]
    fn special_values() {
        assert_eq!(sum_f32(&[]), 0.0);
        assert!(sum_f32(&[1.0, f32::NAN, 2.0]).is_nan());
        assert_eq!(sum_f64(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert!(sum_f64(&[f64::INFINITY, f64::NEG_INFINITY]).is_nan());
        // f32 values whose f32 sum would overflow stay finite in f64.
        assert_eq!(sum_f32(&[f32::MAX, f32::MAX]), 2.0 * f32::MAX as f64);
    }
}
