//! The ideal product `I = V·G` (B×M inputs times M×N conductances), the
//! limit of zero wire, driver and sense resistance.
//!
//! Cost: `2·B·M·N` flops, done by faer's cache-blocked, multithreaded GEMM
//! (rayon; all cores). nalgebra's column-major storage is handed to faer
//! without a copy.

use faer::{Accum, MatMut, MatRef, Par};
use nalgebra::DMatrix;

/// `a·b` for column-major nalgebra matrices, by faer's GEMM on all cores.
pub(crate) fn matmul(a: &DMatrix<f64>, b: &DMatrix<f64>) -> DMatrix<f64> {
    debug_assert_eq!(a.ncols(), b.nrows());
    let mut out = DMatrix::<f64>::zeros(a.nrows(), b.ncols());
    let (m, k, n) = (a.nrows(), a.ncols(), b.ncols());
    if m == 0 || n == 0 {
        return out;
    }
    let a = MatRef::from_column_major_slice(a.as_slice(), m, k);
    let b = MatRef::from_column_major_slice(b.as_slice(), k, n);
    let c = MatMut::from_column_major_slice_mut(out.as_mut_slice(), m, n);
    let par = if m * k * n >= 1 << 18 {
        Par::rayon(0)
    } else {
        Par::Seq
    };
    faer::linalg::matmul::matmul(c, Accum::Replace, a, b, 1.0, par);
    out
}

/// `I = V·G`: currents (A, B×N) for input voltages `inputs` (V, B×M) on
/// conductances `g` (S, M×N). The caller checks shapes.
pub fn product(inputs: &DMatrix<f64>, g: &DMatrix<f64>) -> DMatrix<f64> {
    matmul(inputs, g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_naive_triple_loop() {
        let (b, m, n) = (7, 65, 33);
        let v = DMatrix::from_fn(b, m, |r, c| ((r * 31 + c * 7) % 13) as f64 * 0.01 - 0.05);
        let g = DMatrix::from_fn(m, n, |r, c| 1e-6 * (1.0 + ((r * 5 + c * 3) % 11) as f64));
        let fast = product(&v, &g);
        for r in 0..b {
            for c in 0..n {
                let naive: f64 = (0..m).map(|k| v[(r, k)] * g[(k, c)]).sum();
                assert!((fast[(r, c)] - naive).abs() <= 1e-15 * naive.abs().max(1e-6));
            }
        }
    }
}
