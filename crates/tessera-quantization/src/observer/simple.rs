//! Observers without statistics: `PlaceholderObserver`, `FixedQParamsObserver`,
//! `ReuseInputObserver` and `NoopObserver`.

use super::{qparams_tensors, Observer, ObserverKind, ObserverSpec};
use tessera_core::Tensor;

macro_rules! passthrough_observer {
    ($(#[$doc:meta])* $name:ident, $msg:expr) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name {
            spec: ObserverSpec,
        }

        impl $name {
            #[doc = concat!("A `", stringify!($name), "` with the arguments of `spec`.")]
            pub fn new(spec: ObserverSpec) -> $name {
                $name { spec }
            }
        }

        impl Observer for $name {
            fn forward(&self, x: &Tensor) -> Tensor {
                x.clone()
            }

            /// # Panics
            /// Always, with PyTorch's text: this observer has no qparams.
            fn calculate_qparams(&self) -> (Tensor, Tensor) {
                panic!($msg)
            }

            fn spec(&self) -> &ObserverSpec {
                &self.spec
            }

            fn quant_range(&self) -> (i64, i64) {
                (self.spec.quant_min.unwrap_or(0), self.spec.quant_max.unwrap_or(0))
            }
        }
    };
}

passthrough_observer!(
    /// `PlaceholderObserver`: records nothing; marks where a value is converted to its
    /// `dtype` (float16, dynamic quantization). `calculate_qparams` panics, as PyTorch's
    /// raises.
    PlaceholderObserver,
    "calculate_qparams should not be called for PlaceholderObserver"
);
passthrough_observer!(
    /// `ReuseInputObserver`: the output reuses the input's observer (ops like `reshape`).
    ReuseInputObserver,
    "calculate_qparams should not be called for ReuseInputObserver"
);
passthrough_observer!(
    /// `NoopObserver`: records nothing (dtype float16 by default).
    NoopObserver,
    "calculate_qparams should not be called for NoopObserver"
);

/// `FixedQParamsObserver`: always the same scale and zero point (ops with a known
/// output range: sigmoid, tanh, softmax, hardsigmoid).
#[derive(Debug)]
pub struct FixedQParamsObserver {
    spec: ObserverSpec,
    scale: f32,
    zero_point: i64,
}

impl FixedQParamsObserver {
    /// A `FixedQParamsObserver` from a `fixed_qparams` spec.
    ///
    /// # Panics
    /// If `spec` is not a `FixedQParams` spec.
    pub fn new(spec: ObserverSpec) -> FixedQParamsObserver {
        let ObserverKind::FixedQParams { scale, zero_point } = spec.kind else {
            panic!(
                "FixedQParamsObserver::new: the spec is a {}",
                spec.kind.class_name()
            );
        };
        FixedQParamsObserver {
            scale: scale as f32,
            zero_point,
            spec,
        }
    }
}

impl Observer for FixedQParamsObserver {
    fn forward(&self, x: &Tensor) -> Tensor {
        x.clone()
    }

    fn calculate_qparams(&self) -> (Tensor, Tensor) {
        qparams_tensors(vec![self.scale], vec![self.zero_point])
    }

    fn spec(&self) -> &ObserverSpec {
        &self.spec
    }

    fn quant_range(&self) -> (i64, i64) {
        (
            self.spec.quant_min.unwrap_or(0),
            self.spec.quant_max.unwrap_or(255),
        )
    }
}
