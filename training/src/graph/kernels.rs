//! The graph's kernels: the unrolled convolution input (im2col), the
//! product `Wᵀ·X` by faer's GEMM, and pooling.

use faer::{Accum, MatMut, MatRef, Par};

use super::{Conv2d, Pool, Shape};

/// `out (n × p) = wᵀ·x`, with `w` `k × n` and `x` `k × p`, all row-major.
/// One thread: images already run in parallel.
pub(crate) fn gemm_t(w: &[f64], k: usize, n: usize, x: &[f64], p: usize, out: &mut [f64]) {
    debug_assert_eq!(w.len(), k * n);
    debug_assert_eq!(x.len(), k * p);
    debug_assert_eq!(out.len(), n * p);
    let wt = MatRef::from_row_major_slice(w, k, n).transpose();
    let x = MatRef::from_row_major_slice(x, k, p);
    let out = MatMut::from_row_major_slice_mut(out, n, p);
    faer::linalg::matmul::matmul(out, Accum::Replace, wt, x, 1.0, Par::Seq);
}

/// The unrolled input of a convolution: `C_in·k_h·k_w × H_out·W_out`,
/// row-major; entry `((c·k_h + i)·k_w + j, y·W_out + x)` is input
/// `(c, y·s_h − pad_top + i·d_h, x·s_w − pad_left + j·d_w)`, 0 in the
/// padding.
pub(crate) fn im2col(input: &[f64], s: Shape, c: &Conv2d, out: Shape) -> Vec<f64> {
    let mut cols = vec![0.0; c.weights.inputs * out.pixels()];
    for_each_tap(s, c, out, |col, pixel| cols[col] = input[pixel]);
    cols
}

/// Calls `f(column entry, input pixel)` for every entry of the unrolled
/// input that reads an input pixel (padding entries are skipped): the
/// index map that [`im2col`] and [`col2im`] share.
fn for_each_tap(s: Shape, c: &Conv2d, out: Shape, mut f: impl FnMut(usize, usize)) {
    let (kh, kw) = c.kernel;
    let p = out.pixels();
    for ch in 0..s.channels {
        let plane = ch * s.pixels();
        for i in 0..kh {
            for j in 0..kw {
                let row = ((ch * kh + i) * kw + j) * p;
                for oy in 0..out.height {
                    let y = (oy * c.stride.0 + i * c.dilation.0).checked_sub(c.padding[0]);
                    let Some(y) = y.filter(|&y| y < s.height) else {
                        continue;
                    };
                    for ox in 0..out.width {
                        let x = (ox * c.stride.1 + j * c.dilation.1).checked_sub(c.padding[1]);
                        if let Some(x) = x.filter(|&x| x < s.width) {
                            f(row + oy * out.width + ox, plane + y * s.width + x);
                        }
                    }
                }
            }
        }
    }
}

/// Max or average pooling; padding never wins a max and is not counted in
/// an average.
pub(crate) fn pool(input: &[f64], s: Shape, pool: &Pool, out: Shape, max: bool) -> Vec<f64> {
    let mut y = Vec::with_capacity(out.len());
    for ch in 0..s.channels {
        let plane = &input[ch * s.pixels()..(ch + 1) * s.pixels()];
        for oy in 0..out.height {
            for ox in 0..out.width {
                let mut acc = if max { f64::NEG_INFINITY } else { 0.0 };
                let mut count = 0usize;
                for i in 0..pool.kernel.0 {
                    let Some(yy) = (oy * pool.stride.0 + i)
                        .checked_sub(pool.padding[0])
                        .filter(|&v| v < s.height)
                    else {
                        continue;
                    };
                    for j in 0..pool.kernel.1 {
                        let Some(xx) = (ox * pool.stride.1 + j)
                            .checked_sub(pool.padding[1])
                            .filter(|&v| v < s.width)
                        else {
                            continue;
                        };
                        let v = plane[yy * s.width + xx];
                        if max {
                            acc = acc.max(v);
                        } else {
                            acc += v;
                        }
                        count += 1;
                    }
                }
                // A window always covers an input pixel: padding < window.
                y.push(if max { acc } else { acc / count.max(1) as f64 });
            }
        }
    }
    y
}

/// `dw (k × n) += x (k × p) · gᵀ` with `g` `n × p`, all row-major: a
/// weighted layer's weight gradient for its unrolled input `x` and output
/// gradient `g`.
pub(crate) fn gemm_acc_weight_grad(
    x: &[f64],
    k: usize,
    g: &[f64],
    n: usize,
    p: usize,
    dw: &mut [f64],
) {
    debug_assert_eq!(x.len(), k * p);
    debug_assert_eq!(g.len(), n * p);
    debug_assert_eq!(dw.len(), k * n);
    let x = MatRef::from_row_major_slice(x, k, p);
    let gt = MatRef::from_row_major_slice(g, n, p).transpose();
    let dw = MatMut::from_row_major_slice_mut(dw, k, n);
    faer::linalg::matmul::matmul(dw, Accum::Add, x, gt, 1.0, Par::Seq);
}

/// `dx (k × p) = w (k × n) · g (n × p)`, row-major: the gradient reaching
/// a weighted layer's (unrolled) input.
pub(crate) fn gemm_input_grad(w: &[f64], k: usize, n: usize, g: &[f64], p: usize) -> Vec<f64> {
    let mut dx = vec![0.0; k * p];
    let wm = MatRef::from_row_major_slice(w, k, n);
    let gm = MatRef::from_row_major_slice(g, n, p);
    let out = MatMut::from_row_major_slice_mut(&mut dx, k, p);
    faer::linalg::matmul::matmul(out, Accum::Replace, wm, gm, 1.0, Par::Seq);
    dx
}

/// The adjoint of [`im2col`]: adds each unrolled entry back onto the
/// input pixel it was read from (padding entries are dropped).
pub(crate) fn col2im(cols: &[f64], s: Shape, c: &Conv2d, out: Shape) -> Vec<f64> {
    let mut dx = vec![0.0; s.len()];
    for_each_tap(s, c, out, |col, pixel| dx[pixel] += cols[col]);
    dx
}

/// The adjoint of [`pool`] at `input`: a max pool's gradient goes to the
/// first largest pixel of each window, an average pool's is shared by the
/// window's pixels.
pub(crate) fn pool_grad(
    input: &[f64],
    s: Shape,
    pool: &Pool,
    out: Shape,
    max: bool,
    g: &[f64],
) -> Vec<f64> {
    let mut dx = vec![0.0; s.len()];
    for ch in 0..s.channels {
        let base = ch * s.pixels();
        for oy in 0..out.height {
            for ox in 0..out.width {
                let go = g[(ch * out.height + oy) * out.width + ox];
                let mut window = Vec::with_capacity(pool.kernel.0 * pool.kernel.1);
                for i in 0..pool.kernel.0 {
                    let Some(yy) = (oy * pool.stride.0 + i)
                        .checked_sub(pool.padding[0])
                        .filter(|&v| v < s.height)
                    else {
                        continue;
                    };
                    for j in 0..pool.kernel.1 {
                        if let Some(xx) = (ox * pool.stride.1 + j)
                            .checked_sub(pool.padding[1])
                            .filter(|&v| v < s.width)
                        {
                            window.push(base + yy * s.width + xx);
                        }
                    }
                }
                if max {
                    let mut best = window[0];
                    for &k in &window[1..] {
                        if input[k] > input[best] {
                            best = k;
                        }
                    }
                    dx[best] += go;
                } else {
                    let share = go / window.len() as f64;
                    window.iter().for_each(|&k| dx[k] += share);
                }
            }
        }
    }
    dx
}
