//! Layout: shape, strides and offset of a tensor into its storage, broadcasting,
//! and the strided walk that gathers elements in logical (row-major) order.
//!
//! Every [`Layout`] proves on construction, with checked arithmetic, that its element
//! count and its storage extent (one past the largest index it reaches) fit in `isize`.
//! So no walk over a layout can overflow, and a tensor only has to compare the extent
//! with its storage's length once, when it is made, for every index to be in bounds.

/// Shape, strides (in elements) and starting offset of a view into a storage.
///
/// Invariant (checked by every constructor): the number of elements and
/// [`Layout::storage_extent`] are computed without overflow and are at most `isize::MAX`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    shape: Vec<usize>,
    strides: Vec<usize>,
    offset: usize,
    numel: usize,
    extent: usize,
}

/// The number of elements of `shape`.
///
/// # Panics
/// With a message naming `op` and the shape if the count overflows (exceeds `isize::MAX`,
/// as PyTorch's element counts are `int64`).
#[track_caller]
pub fn checked_numel(op: &str, shape: &[usize]) -> usize {
    if shape.contains(&0) {
        return 0;
    }
    shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= isize::MAX as usize)
        .unwrap_or_else(|| {
            panic!("{op}: shape {shape:?} has too many elements (the count overflows int64)")
        })
}

/// Element count and storage extent of a layout, if they fit in `isize`.
fn numel_and_extent(shape: &[usize], strides: &[usize], offset: usize) -> Option<(usize, usize)> {
    if shape.contains(&0) {
        // Empty: touches nothing, whatever the other sizes are.
        return Some((0, 0));
    }
    let numel = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    let reach = shape
        .iter()
        .zip(strides)
        .try_fold(offset, |a, (&d, &s)| a.checked_add((d - 1).checked_mul(s)?))?;
    let extent = reach.checked_add(1)?;
    (numel <= isize::MAX as usize && extent <= isize::MAX as usize).then_some((numel, extent))
}

/// Row-major (C-contiguous) strides for a shape.
///
/// The products saturate instead of overflowing: they can only overflow for a shape with
/// a zero-size dim (a non-empty layout's element count bounds them), whose strides never
/// address an element.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut acc = 1usize;
    for (s, &d) in strides.iter_mut().zip(shape).rev() {
        *s = acc;
        acc = acc.saturating_mul(d.max(1));
    }
    strides
}

/// Normalizes a possibly negative `dim` for a tensor of rank `rank`.
///
/// # Panics
/// With a message naming `op` when `dim` is outside `[-rank, rank)`.
pub fn normalize_dim(op: &str, dim: isize, rank: usize) -> usize {
    let r = rank.max(1) as isize;
    let d = if dim < 0 { dim + r } else { dim };
    assert!(
        (0..r).contains(&d),
        "{op}: dimension out of range (expected to be in range of [{}, {}], but got {}{dim})",
        -r,
        r - 1,
        if dim == isize::MAX { ">= " } else { "" }
    );
    d as usize
}

/// The broadcast shape of two shapes, as in NumPy and PyTorch.
///
/// # Panics
/// With a message naming `op` and both shapes if they do not broadcast, or if the
/// broadcast shape has more than `isize::MAX` elements.
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            panic!(
                "{op}: shapes {a:?} and {b:?} do not broadcast (size {da} vs {db} at dim {i} of the result)"
            );
        };
    }
    // Two valid shapes can broadcast to one whose element count overflows.
    checked_numel(op, &out);
    out
}

impl Layout {
    /// A contiguous layout for `shape` at offset 0.
    ///
    /// # Panics
    /// If the shape has more than `isize::MAX` elements.
    #[track_caller]
    pub fn contiguous(shape: &[usize]) -> Layout {
        Layout::contiguous_for("Layout::contiguous", shape)
    }

    /// [`Layout::contiguous`], naming `op` in its panic.
    #[track_caller]
    pub fn contiguous_for(op: &str, shape: &[usize]) -> Layout {
        checked_numel(op, shape);
        Layout::new_for(op, shape.to_vec(), contiguous_strides(shape), 0)
    }

    /// A layout from its parts.
    ///
    /// # Panics
    /// If the ranks of `shape` and `strides` differ, or the element count or the
    /// storage extent overflows `isize`.
    #[track_caller]
    pub fn new(shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Layout {
        Layout::new_for("Layout::new", shape, strides, offset)
    }

    /// [`Layout::new`], naming `op` in its panic.
    #[track_caller]
    pub fn new_for(op: &str, shape: Vec<usize>, strides: Vec<usize>, offset: usize) -> Layout {
        assert_eq!(
            shape.len(),
            strides.len(),
            "{op}: shape {shape:?} and strides {strides:?} have different ranks"
        );
        let (numel, extent) = numel_and_extent(&shape, &strides, offset).unwrap_or_else(|| {
            panic!(
                "{op}: shape {shape:?} with strides {strides:?} at offset {offset} overflows: its element count or its reach into storage exceeds int64"
            )
        });
        Layout {
            shape,
            strides,
            offset,
            numel,
            extent,
        }
    }

    /// The sizes of the dimensions.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The strides, in elements.
    pub fn strides(&self) -> &[usize] {
        &self.strides
    }

    /// Offset of the first element in the storage.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Number of dimensions.
    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.numel
    }

    /// Whether the elements are laid out row-major without gaps (size-1 dims ignored).
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d == 1 {
                continue;
            }
            if d == 0 {
                return true;
            }
            if s != expected {
                return false;
            }
            expected *= d;
        }
        true
    }

    /// The range of storage indices the contiguous layout covers, if contiguous
    /// (`0..0` when empty: an empty view's offset may lie past the end of its storage).
    pub fn contiguous_range(&self) -> Option<std::ops::Range<usize>> {
        if self.numel == 0 {
            return Some(0..0);
        }
        self.is_contiguous()
            .then(|| self.offset..self.offset + self.numel)
    }

    /// One past the largest storage index this layout touches (0 when empty).
    pub fn storage_extent(&self) -> usize {
        self.extent
    }

    /// This layout seen at a broadcast `shape` (stride 0 on new or size-1 dims).
    ///
    /// # Panics
    /// If the layout's shape cannot be broadcast to `shape`.
    pub fn broadcast_to(&self, op: &str, shape: &[usize]) -> Layout {
        assert!(
            shape.len() >= self.rank(),
            "{op}: cannot expand shape {:?} to {shape:?} (target has fewer dims)",
            self.shape
        );
        let lead = shape.len() - self.rank();
        let mut strides = vec![0; shape.len()];
        for (i, &target) in shape.iter().enumerate() {
            if i < lead {
                continue;
            }
            let (d, s) = (self.shape[i - lead], self.strides[i - lead]);
            if d == target {
                strides[i] = s;
            } else if d == 1 {
                strides[i] = 0;
            } else {
                panic!(
                    "{op}: the size of dim {} ({d}) must match the target size ({target}) at non-singleton dimension {i}; shape {:?} -> {shape:?}",
                    i - lead,
                    self.shape
                );
            }
        }
        Layout::new_for(op, shape.to_vec(), strides, self.offset)
    }

    /// Calls `f` with the storage index of every element, in row-major order.
    #[inline]
    pub fn for_each_index(&self, mut f: impl FnMut(usize)) {
        if self.numel() == 0 {
            return;
        }
        if let Some(r) = self.contiguous_range() {
            r.for_each(f);
            return;
        }
        let rank = self.rank();
        let (inner, inner_stride) = (self.shape[rank - 1], self.strides[rank - 1]);
        let mut idx = vec![0usize; rank - 1];
        let mut base = self.offset;
        loop {
            for j in 0..inner {
                f(base + j * inner_stride);
            }
            // Advance the outer multi-index like an odometer.
            let mut d = rank - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                idx[d] += 1;
                base += self.strides[d];
                if idx[d] < self.shape[d] {
                    break;
                }
                base -= self.strides[d] * self.shape[d];
                idx[d] = 0;
            }
        }
    }

    /// The dims with size-1 dims dropped and each dim merged into the one before it where
    /// the two step as one (`stride[d - 1] == shape[d] * stride[d]`): the same elements
    /// in the same order, in fewer and longer runs (a permuted `[N, C, H, W]` summed over
    /// `C` walks runs of `H * W`). At least one dim.
    fn coalesced(&self) -> (Vec<usize>, Vec<usize>) {
        let mut shape: Vec<usize> = Vec::with_capacity(self.rank().max(1));
        let mut strides: Vec<usize> = Vec::with_capacity(self.rank().max(1));
        for (&n, &st) in self.shape.iter().zip(&self.strides) {
            if n == 1 {
                continue;
            }
            match (shape.last_mut(), strides.last_mut()) {
                (Some(ln), Some(ls)) if *ls == n * st => {
                    *ln *= n;
                    *ls = st;
                }
                _ => {
                    shape.push(n);
                    strides.push(st);
                }
            }
        }
        if shape.is_empty() {
            shape.push(1);
            strides.push(0);
        }
        (shape, strides)
    }

    /// Calls `f(start, stride, len)` for each run of the innermost coalesced dim, in
    /// row-major order: the run is the elements `start + j * stride`, `j < len`.
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize)) {
        if self.numel == 0 {
            return;
        }
        let (shape, strides) = self.coalesced();
        let rank = shape.len();
        let (inner, inner_stride) = (shape[rank - 1], strides[rank - 1]);
        let mut idx = vec![0usize; rank - 1];
        let mut base = self.offset;
        loop {
            f(base, inner_stride, inner);
            // Advance the outer multi-index like an odometer.
            let mut d = rank - 1;
            loop {
                if d == 0 {
                    return;
                }
                d -= 1;
                idx[d] += 1;
                base += strides[d];
                if idx[d] < shape[d] {
                    break;
                }
                base -= strides[d] * shape[d];
                idx[d] = 0;
            }
        }
    }

    /// Copies the viewed elements out of `data` in row-major order: one copy per run of
    /// contiguous elements, a fill per broadcast run, a strided walk otherwise.
    pub fn gather<T: Copy>(&self, data: &[T]) -> Vec<T> {
        if let Some(r) = self.contiguous_range() {
            return data[r].to_vec();
        }
        let mut out = crate::storage::try_with_capacity(self.numel()).unwrap_or_else(|| {
            panic!(
                "gather: not enough memory: you tried to allocate {} elements of {} bytes (shape {:?})",
                self.numel(),
                std::mem::size_of::<T>(),
                self.shape
            )
        });
        self.for_each_run(|at, stride, len| match stride {
            1 => out.extend_from_slice(&data[at..at + len]),
            0 => out.extend(std::iter::repeat_n(data[at], len)),
            _ => out.extend(data[at..=at + (len - 1) * stride].iter().step_by(stride)),
        });
        out
    }

    /// Copies the viewed elements `start..start + out.len()` (in row-major order)
    /// out of `data`: one chunk of [`Layout::gather`], for chunked strided kernels.
    pub fn gather_into<T: Copy>(&self, data: &[T], start: usize, out: &mut [T]) {
        if out.is_empty() {
            return;
        }
        if let Some(r) = self.contiguous_range() {
            out.copy_from_slice(&data[r.start + start..r.start + start + out.len()]);
            return;
        }
        let rank = self.rank();
        // Multi-index of `start`, then walk like an odometer.
        let mut idx = vec![0usize; rank];
        let mut rem = start;
        let mut at = self.offset;
        for d in (0..rank).rev() {
            idx[d] = rem % self.shape[d];
            rem /= self.shape[d];
            at += idx[d] * self.strides[d];
        }
        let (inner, inner_stride) = (self.shape[rank - 1], self.strides[rank - 1]);
        let mut k = 0;
        while k < out.len() {
            let run = (inner - idx[rank - 1]).min(out.len() - k);
            for (j, o) in out[k..k + run].iter_mut().enumerate() {
                *o = data[at + j * inner_stride];
            }
            k += run;
            at += run * inner_stride;
            idx[rank - 1] += run;
            let mut d = rank - 1;
            while idx[d] == self.shape[d] && d > 0 {
                at -= idx[d] * self.strides[d];
                idx[d] = 0;
                d -= 1;
                idx[d] += 1;
                at += self.strides[d];
            }
        }
    }

    /// Writes `values` (row-major) into the viewed elements of `data`.
    pub fn scatter<T: Copy>(&self, data: &mut [T], values: &[T]) {
        debug_assert_eq!(values.len(), self.numel());
        if let Some(r) = self.contiguous_range() {
            data[r].copy_from_slice(values);
            return;
        }
        let mut k = 0;
        self.for_each_run(|at, stride, len| {
            let v = &values[k..k + len];
            if stride == 1 {
                data[at..at + len].copy_from_slice(v);
            } else {
                for (j, &x) in v.iter().enumerate() {
                    data[at + j * stride] = x;
                }
            }
            k += len;
        });
    }

    /// The storage index of a multi-index.
    ///
    /// # Panics
    /// If the index has the wrong rank or is out of bounds (negative indices count from the end).
    pub fn index_of(&self, op: &str, index: &[isize]) -> usize {
        assert_eq!(
            index.len(),
            self.rank(),
            "{op}: index {index:?} has {} entries but the tensor has shape {:?}",
            index.len(),
            self.shape
        );
        let mut at = self.offset;
        for (d, (&i, (&size, &stride))) in index
            .iter()
            .zip(self.shape.iter().zip(&self.strides))
            .enumerate()
        {
            let j = if i < 0 { i + size as isize } else { i };
            assert!(
                (0..size as isize).contains(&j),
                "{op}: index {i} is out of bounds for dimension {d} with size {size} (shape {:?})",
                self.shape
            );
            at += j as usize * stride;
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcast_rules() {
        assert_eq!(broadcast_shapes("t", &[3, 1], &[4]), vec![3, 4]);
        assert_eq!(broadcast_shapes("t", &[], &[2, 3]), vec![2, 3]);
        assert_eq!(broadcast_shapes("t", &[0, 1], &[1, 5]), vec![0, 5]);
    }

    #[test]
    #[should_panic(expected = "t: shapes [3] and [4] do not broadcast")]
    fn broadcast_mismatch_panics() {
        broadcast_shapes("t", &[3], &[4]);
    }

    #[test]
    fn strided_walk() {
        // transpose of a 2x3
        let l = Layout::new(vec![3, 2], vec![1, 3], 0);
        let data = [0, 1, 2, 3, 4, 5];
        assert_eq!(l.gather(&data), vec![0, 3, 1, 4, 2, 5]);
        assert!(!l.is_contiguous());
        assert!(Layout::contiguous(&[2, 1, 3]).is_contiguous());
    }

    #[test]
    fn chunked_gather_matches_full_gather() {
        let data: Vec<i32> = (0..60).collect();
        // a permuted, narrowed 3-D view
        let l = Layout::new(vec![3, 4, 2], vec![2, 12, 1], 3);
        let full = l.gather(&data);
        for chunk in [1, 3, 5, 24] {
            let mut out = vec![0; 24];
            for (c, o) in out.chunks_mut(chunk).enumerate() {
                l.gather_into(&data, c * chunk, o);
            }
            assert_eq!(out, full, "chunk {chunk}");
        }
    }

    /// Every element of `l` by its multi-index, the slow obvious way.
    fn naive_gather(l: &Layout, data: &[i32]) -> Vec<i32> {
        let mut out = vec![];
        let n = l.numel();
        for k in 0..n {
            let (mut rem, mut at) = (k, l.offset());
            for d in (0..l.rank()).rev() {
                at += rem % l.shape()[d] * l.strides()[d];
                rem /= l.shape()[d];
            }
            out.push(data[at]);
        }
        out
    }

    #[test]
    fn gather_and_scatter_over_merged_runs_match_the_naive_walk() {
        let data: Vec<i32> = (0..400).collect();
        let cases = [
            // permuted [2, 3, 4, 5] -> [3, 2, 4, 5]: runs of 20
            Layout::new(vec![3, 2, 4, 5], vec![20, 60, 5, 1], 0),
            // broadcast inner and outer dims, size-1 dims with odd strides
            Layout::new(vec![2, 1, 3, 4], vec![0, 77, 4, 0], 5),
            Layout::new(vec![1, 4, 1, 3], vec![9, 3, 1, 1], 2),
            // a transpose: strided inner runs
            Layout::new(vec![5, 6], vec![1, 5], 1),
            // narrowed rows: contiguous runs that do not merge
            Layout::new(vec![4, 3, 2], vec![30, 10, 1], 7),
            // one element, rank 0, empty
            Layout::new(vec![], vec![], 11),
            Layout::new(vec![1, 1], vec![5, 5], 3),
            Layout::new(vec![3, 0, 2], vec![2, 6, 1], 0),
        ];
        for l in &cases {
            let want = naive_gather(l, &data);
            assert_eq!(l.gather(&data), want, "{l:?}");
            // Scatter the gathered values back into zeros: each viewed slot gets its
            // value (broadcast slots are written repeatedly with the same one).
            if !l.strides().contains(&0) {
                let mut dst = vec![-1; 400];
                l.scatter(&mut dst, &want);
                let mut seen = vec![-1; 400];
                l.for_each_index(|i| seen[i] = data[i]);
                assert_eq!(dst, seen, "{l:?}");
            }
        }
    }

    #[test]
    fn negative_dims() {
        assert_eq!(normalize_dim("op", -1, 3), 2);
        assert_eq!(normalize_dim("op", 0, 0), 0);
    }

    #[test]
    #[should_panic(expected = "sum: dimension out of range")]
    fn dim_out_of_range() {
        normalize_dim("sum", 3, 3);
    }
}
