fn main() {
    for bits in [0x3e317421u32, 0xbeb17005] {
        let x = f32::from_bits(bits);
        let mut y = [0.0f32; 1];
        tessera_kernels::high::tanh_f32(&[x], &mut y);
        let mut z = [0.0f32; 1];
        tessera_kernels::high::sigmoid_f32(&[x], &mut z);
        let mut e = [0.0f32; 1];
        tessera_kernels::high::expm1_f32(&[2.0 * x], &mut e);
        println!("x={x:e} tanh={:e} ref={:e} sig={:e} ref={:e} expm1(2x)={:e} ref={:e}", y[0], (x as f64).tanh(), z[0], 1.0/(1.0+(-(x as f64)).exp()), e[0], (2.0*x as f64).exp_m1());
    }
}
