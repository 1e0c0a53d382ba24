//! Random tensors: a seedable [`Generator`] and the global one behind
//! `Tensor::rand`, `randn` and `randint`.

use super::Tensor;
use crate::storage::alloc_from_fn;
use crate::{dispatch, DType, Element};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use std::sync::{Mutex, OnceLock};

/// The seed of the global generator at start-up (a fixed value, so programs are
/// reproducible until seeded otherwise, as in PyTorch).
pub const DEFAULT_SEED: u64 = 67_280_421_310_721;

/// A seedable random generator (`torch.Generator`), a ChaCha8 stream: the same seed
/// gives the same tensors on every platform.
#[derive(Clone, Debug)]
pub struct Generator {
    rng: ChaCha8Rng,
}

impl Generator {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Generator {
        Generator {
            rng: ChaCha8Rng::seed_from_u64(seed),
        }
    }

    /// Restarts from `seed` (`g.manual_seed(seed)`).
    pub fn manual_seed(&mut self, seed: u64) {
        *self = Generator::new(seed);
    }

    /// Uniform samples in `[0, 1)` of a float `dtype`.
    ///
    /// # Panics
    /// If `dtype` is not a float dtype.
    pub fn rand(&mut self, shape: &[usize], dtype: DType) -> Tensor {
        match dtype {
            DType::F32 => Tensor::from_vec(
                alloc_from_fn("rand", shape, |_| self.rng.random::<f32>()),
                shape,
            ),
            DType::F64 => Tensor::from_vec(
                alloc_from_fn("rand", shape, |_| self.rng.random::<f64>()),
                shape,
            ),
            d => panic!(
                "rand: \"check_uniform_bounds\" not implemented for '{d}'; use a float dtype"
            ),
        }
    }

    /// Standard normal samples of a float `dtype`.
    ///
    /// # Panics
    /// If `dtype` is not a float dtype.
    pub fn randn(&mut self, shape: &[usize], dtype: DType) -> Tensor {
        match dtype {
            DType::F32 => Tensor::from_vec(
                alloc_from_fn("randn", shape, |_| {
                    self.rng.sample::<f32, _>(StandardNormal)
                }),
                shape,
            ),
            DType::F64 => Tensor::from_vec(
                alloc_from_fn("randn", shape, |_| {
                    self.rng.sample::<f64, _>(StandardNormal)
                }),
                shape,
            ),
            d => {
                panic!("randn: \"normal_kernel_cpu\" not implemented for '{d}'; use a float dtype")
            }
        }
    }

    /// Integers uniform in `[low, high)` of `dtype` (`torch.randint(low, high, shape)`).
    ///
    /// # Panics
    /// If `low >= high`.
    pub fn randint(&mut self, low: i64, high: i64, shape: &[usize], dtype: DType) -> Tensor {
        assert!(
            low < high,
            "randint: random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        );
        dispatch!(dtype, T => Tensor::from_vec(
            alloc_from_fn("randint", shape, |_| T::from_i64(self.rng.random_range(low..high))),
            shape
        ))
    }

    /// A uniform `f64` in `[0, 1)`, for code that samples scalars.
    pub fn next_f64(&mut self) -> f64 {
        self.rng.random()
    }

    /// A uniform index in `[0, n)`.
    ///
    /// # Panics
    /// If `n` is 0.
    pub fn next_below(&mut self, n: usize) -> usize {
        assert!(n > 0, "Generator::next_below: empty range");
        self.rng.random_range(0..n)
    }

    /// A fresh `u64`, e.g. to seed another generator.
    pub fn next_u64(&mut self) -> u64 {
        self.rng.random()
    }
}

fn global() -> &'static Mutex<Generator> {
    static G: OnceLock<Mutex<Generator>> = OnceLock::new();
    G.get_or_init(|| Mutex::new(Generator::new(DEFAULT_SEED)))
}

/// Reseeds the global generator (`torch.manual_seed`).
pub fn manual_seed(seed: u64) {
    global()
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .manual_seed(seed);
}

/// Runs `f` with the global generator locked.
pub fn with_default_generator<R>(f: impl FnOnce(&mut Generator) -> R) -> R {
    f(&mut global().lock().unwrap_or_else(|e| e.into_inner()))
}

impl Tensor {
    /// Uniform `[0, 1)` samples in the default float dtype from the global generator.
    pub fn rand(shape: &[usize]) -> Tensor {
        with_default_generator(|g| g.rand(shape, DType::DEFAULT_FLOAT))
    }

    /// Standard normal samples in the default float dtype from the global generator.
    pub fn randn(shape: &[usize]) -> Tensor {
        with_default_generator(|g| g.randn(shape, DType::DEFAULT_FLOAT))
    }

    /// `I64` integers uniform in `[low, high)` from the global generator.
    ///
    /// # Panics
    /// If `low >= high`.
    pub fn randint(low: i64, high: i64, shape: &[usize]) -> Tensor {
        with_default_generator(|g| g.randint(low, high, shape, DType::I64))
    }

    /// Uniform samples with the shape and dtype of `self`.
    pub fn rand_like(&self) -> Tensor {
        with_default_generator(|g| g.rand(self.shape(), self.dtype()))
    }

    /// Normal samples with the shape and dtype of `self`.
    pub fn randn_like(&self) -> Tensor {
        with_default_generator(|g| g.randn(self.shape(), self.dtype()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_generators_repeat() {
        let a = Generator::new(3).randn(&[5], DType::F64).to_vec::<f64>();
        let b = Generator::new(3).randn(&[5], DType::F64).to_vec::<f64>();
        assert_eq!(a, b);
        let c = Generator::new(4).randn(&[5], DType::F64).to_vec::<f64>();
        assert_ne!(a, c);
    }

    #[test]
    fn ranges_hold() {
        let mut g = Generator::new(0);
        let u = g.rand(&[1000], DType::F32).to_vec::<f32>();
        assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
        let mean = u.iter().sum::<f32>() / 1000.0;
        assert!((mean - 0.5).abs() < 0.05, "mean {mean}");
        let r = g.randint(-2, 3, &[1000], DType::I64).to_vec::<i64>();
        assert!(r.iter().all(|&x| (-2..3).contains(&x)));
        assert!((-2..3).all(|k| r.contains(&k)));
    }

    #[test]
    #[should_panic(expected = "rand: \"check_uniform_bounds\" not implemented for 'torch.int64'")]
    fn rand_int_dtype_panics() {
        Generator::new(0).rand(&[2], DType::I64);
    }
}
