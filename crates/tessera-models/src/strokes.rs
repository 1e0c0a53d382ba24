//! The examples' synthetic image set: short strokes in four directions on noise.

use tessera_core::{Generator, Tensor};

/// `n` grayscale images `[n, 1, size, size]` and their labels `[n]` (`I64`, 0-3): each
/// image is uniform noise in `[-0.3, 0.3)` with one 7-pixel stroke of brightness
/// `0.8..1.8` added, horizontal (class 0), vertical (1), diagonal (2) or anti-diagonal
/// (3), centred at a random pixel at least 3 from the border. What `train_cnn` trains on
/// and `quantize_cnn` quantizes; the same generator state gives the same images.
///
/// ```
/// let mut g = tessera_core::Generator::new(0);
/// let (x, y) = tessera_models::synthetic_strokes(8, 16, &mut g);
/// assert_eq!((x.shape(), y.shape()), (&[8, 1, 16, 16][..], &[8][..]));
/// assert!(y.to_vec::<i64>().iter().all(|&c| (0..4).contains(&c)));
/// ```
///
/// # Panics
/// If `size < 7` (no room for a stroke).
pub fn synthetic_strokes(n: usize, size: usize, g: &mut Generator) -> (Tensor, Tensor) {
    assert!(size >= 7, "synthetic_strokes: size {size} is below 7");
    let s = size;
    let mut px = vec![0f32; n * s * s];
    let mut labels = vec![0i64; n];
    for (i, label) in labels.iter_mut().enumerate() {
        let class = g.next_below(4);
        *label = class as i64;
        let img = &mut px[i * s * s..(i + 1) * s * s];
        for p in img.iter_mut() {
            *p = (g.next_f64() as f32 - 0.5) * 0.6;
        }
        let (r, c) = (3 + g.next_below(s - 6), 3 + g.next_below(s - 6));
        let v = 0.8 + g.next_f64() as f32;
        for k in -3i64..=3 {
            let (dr, dc) = match class {
                0 => (0, k),
                1 => (k, 0),
                2 => (k, k),
                _ => (k, -k),
            };
            let (rr, cc) = ((r as i64 + dr) as usize, (c as i64 + dc) as usize);
            img[rr * s + cc] += v;
        }
    }
    (
        Tensor::from_vec(px, &[n, 1, s, s]),
        Tensor::from_vec(labels, &[n]),
    )
}
