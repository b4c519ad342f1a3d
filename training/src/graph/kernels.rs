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
    for_each_segment(s, c, out, |col, pixel, len, step| {
        let dst = &mut cols[col..col + len];
        if step == 1 {
            dst.copy_from_slice(&input[pixel..pixel + len]);
        } else {
            for (k, d) in dst.iter_mut().enumerate() {
                *d = input[pixel + k * step];
            }
        }
    });
    cols
}

/// The `[lo, hi)` range of output positions `o < n_out` whose tap
/// `o·stride + offset − pad` falls inside `0..n_in`.
fn valid(n_out: usize, n_in: usize, stride: usize, offset: usize, pad: usize) -> (usize, usize) {
    // o·stride + offset ≥ pad  ⇔  o ≥ ⌈(pad − offset)/stride⌉.
    let lo = pad.saturating_sub(offset).div_ceil(stride);
    // o·stride + offset − pad < n_in  ⇔  o < ⌈(n_in + pad − offset)/stride⌉.
    let hi = (n_in + pad)
        .saturating_sub(offset)
        .div_ceil(stride)
        .min(n_out);
    (lo, hi.max(lo))
}

/// Calls `f(column entry, input pixel, len, input step)` for every run of
/// the unrolled input that reads `len` input pixels `step` apart along one
/// output row (padding entries are skipped): the index map that
/// [`im2col`] and [`col2im`] share, one call per run rather than per entry.
fn for_each_segment(
    s: Shape,
    c: &Conv2d,
    out: Shape,
    mut f: impl FnMut(usize, usize, usize, usize),
) {
    let (kh, kw) = c.kernel;
    let p = out.pixels();
    for ch in 0..s.channels {
        let plane = ch * s.pixels();
        for i in 0..kh {
            let (y_lo, y_hi) = valid(
                out.height,
                s.height,
                c.stride.0,
                i * c.dilation.0,
                c.padding[0],
            );
            for j in 0..kw {
                let row = ((ch * kh + i) * kw + j) * p;
                let (x_lo, x_hi) = valid(
                    out.width,
                    s.width,
                    c.stride.1,
                    j * c.dilation.1,
                    c.padding[1],
                );
                if x_lo >= x_hi {
                    continue;
                }
                let x0 = x_lo * c.stride.1 + j * c.dilation.1 - c.padding[1];
                for oy in y_lo..y_hi {
                    let y = oy * c.stride.0 + i * c.dilation.0 - c.padding[0];
                    f(
                        row + oy * out.width + x_lo,
                        plane + y * s.width + x0,
                        x_hi - x_lo,
                        c.stride.1,
                    );
                }
            }
        }
    }
}

/// The input range `[lo, hi)` of each output position's pooling window
/// along one axis (padding cut off; never empty, as padding is smaller
/// than the window).
fn windows(n_out: usize, n_in: usize, stride: usize, pad: usize, k: usize) -> Vec<(usize, usize)> {
    (0..n_out)
        .map(|o| {
            let start = o * stride;
            (
                start.saturating_sub(pad),
                (start + k).saturating_sub(pad).min(n_in),
            )
        })
        .collect()
}

/// `[lo, hi)` input ranges, one per output position along an axis.
type Ranges = Vec<(usize, usize)>;

/// The input rows and columns of every pooling window of `pool` on `s`
/// giving `out`: the ranges [`pool`] and [`pool_grad`] both walk.
fn pool_windows(s: Shape, pool: &Pool, out: Shape) -> (Ranges, Ranges) {
    let (k, st, pad) = (pool.kernel, pool.stride, pool.padding);
    (
        windows(out.height, s.height, st.0, pad[0], k.0),
        windows(out.width, s.width, st.1, pad[1], k.1),
    )
}

/// Max or average pooling; padding never wins a max and is not counted in
/// an average.
pub(crate) fn pool(input: &[f64], s: Shape, pool: &Pool, out: Shape, max: bool) -> Vec<f64> {
    let (rows, cols) = pool_windows(s, pool, out);
    let mut y = Vec::with_capacity(out.len());
    for ch in 0..s.channels {
        let plane = &input[ch * s.pixels()..(ch + 1) * s.pixels()];
        for &(y0, y1) in &rows {
            for &(x0, x1) in &cols {
                let mut acc = if max { f64::NEG_INFINITY } else { 0.0 };
                for yy in y0..y1 {
                    for &v in &plane[yy * s.width + x0..yy * s.width + x1] {
                        acc = if max { acc.max(v) } else { acc + v };
                    }
                }
                y.push(if max {
                    acc
                } else {
                    acc / ((y1 - y0) * (x1 - x0)) as f64
                });
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
    for_each_segment(s, c, out, |col, pixel, len, step| {
        for (k, &v) in cols[col..col + len].iter().enumerate() {
            dx[pixel + k * step] += v;
        }
    });
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
    let (rows, cols) = pool_windows(s, pool, out);
    let mut dx = vec![0.0; s.len()];
    let mut go = g.iter();
    for ch in 0..s.channels {
        let base = ch * s.pixels();
        for &(y0, y1) in &rows {
            for &(x0, x1) in &cols {
                let go = *go.next().expect("one gradient per output");
                if max {
                    // The first largest pixel, in row-major order.
                    let mut best = base + y0 * s.width + x0;
                    for yy in y0..y1 {
                        for k in base + yy * s.width + x0..base + yy * s.width + x1 {
                            if input[k] > input[best] {
                                best = k;
                            }
                        }
                    }
                    dx[best] += go;
                } else {
                    let share = go / ((y1 - y0) * (x1 - x0)) as f64;
                    for yy in y0..y1 {
                        let row = base + yy * s.width;
                        dx[row + x0..row + x1].iter_mut().for_each(|d| *d += share);
                    }
                }
            }
        }
    }
    dx
}
