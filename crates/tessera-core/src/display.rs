//! Printing tensors as PyTorch does.

use crate::Tensor;
use std::fmt;

impl fmt::Display for Tensor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Interim form until the torch-compatible printer lands.
        let v = self.to_dtype(crate::DType::F64).to_vec::<f64>();
        write!(
            f,
            "tensor({v:?}, shape={:?}, dtype={})",
            self.shape(),
            self.dtype()
        )
    }
}
