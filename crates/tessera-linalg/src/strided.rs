//! Row-major working copies with padded rows: their row stride and faer views of them,
//! shared by the dense and the blocked paths.

use faer::MatMut;

/// The row stride of tessera's working copies of an `n`-column matrix of `T`: rows
/// whose length in bytes is a multiple of 1 KiB map to the same few L1 sets (a column
/// of a 512x512 f64 matrix would use 1 of 64), so such lengths get 64 bytes of padding.
pub(crate) fn padded_stride<T>(n: usize) -> usize {
    let per_line = 64 / std::mem::size_of::<T>();
    let ld = n.next_multiple_of(per_line);
    if (ld * std::mem::size_of::<T>()).is_multiple_of(1024) {
        ld + per_line
    } else {
        ld
    }
}

/// A mutable row-major `n x m` view with row stride `ld`. (faer 0.24.4's
/// `MatMut::from_row_major_slice_with_stride_mut` swaps the two strides, so this
/// builds the transpose of a column-major view, as faer's `MatRef` version does.)
pub(crate) fn strided_mut<T>(s: &mut [T], n: usize, m: usize, ld: usize) -> MatMut<'_, T> {
    MatMut::from_column_major_slice_with_stride_mut(s, m, n, ld).transpose_mut()
}
