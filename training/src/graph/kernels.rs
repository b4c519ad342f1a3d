//! The graph's kernels: the unrolled convolution input (im2col), the
//! product `Wᵀ·X` by faer's GEMM, and pooling, in `f64` (evaluation,
//! gradient checks) or `f32` (training).
//!
//! Training runs a chunk of images through all its time steps layer by
//! layer, so its values hold many *planes* at once: `C × n × H·W`,
//! channel-major with the `n` images (or steps × images) inside each
//! channel. [`im2col`] and [`col2im`] take that layout (`planes` = `n`;
//! one image is `planes` = 1), and the pools treat it as `C·n` channels.

use faer::{Accum, MatMut, MatRef, Par};

use super::{Conv2d, Pool, Shape};
use crate::Real;

/// A float the kernels compute in: `f32` or `f64`.
pub(crate) trait Scalar: Real + faer::traits::ComplexField {}

impl Scalar for f32 {}

impl Scalar for f64 {}

/// `out (n × p) = wᵀ·x`, with `w` `k × n` and `x` `k × p`, all row-major.
/// One thread: images already run in parallel.
pub(crate) fn gemm_t<F: Scalar>(w: &[F], k: usize, n: usize, x: &[F], p: usize, out: &mut [F]) {
    debug_assert_eq!(w.len(), k * n);
    debug_assert_eq!(x.len(), k * p);
    debug_assert_eq!(out.len(), n * p);
    let wt = MatRef::from_row_major_slice(w, k, n).transpose();
    let x = MatRef::from_row_major_slice(x, k, p);
    let out = MatMut::from_row_major_slice_mut(out, n, p);
    faer::linalg::matmul::matmul(out, Accum::Replace, wt, x, F::of(1.0), Par::Seq);
}

/// The unrolled input of a convolution over `planes` images stored
/// `C_in × planes × H·W`: `C_in·k_h·k_w × planes·H_out·W_out`,
/// row-major; entry `((c·k_h + i)·k_w + j, (m·H_out + y)·W_out + x)` is
/// input `(c, m, y·s_h − pad_top + i·d_h, x·s_w − pad_left + j·d_w)`, 0
/// in the padding.
pub(crate) fn im2col<F: Copy + Default>(
    input: &[F],
    s: Shape,
    c: &Conv2d,
    out: Shape,
    planes: usize,
) -> Vec<F> {
    let mut cols = vec![F::default(); c.weights.inputs * out.pixels() * planes];
    im2col_into(input, s, c, out, planes, &mut cols);
    cols
}

/// [`im2col`] into `cols`, whose padding entries must be 0.
pub(crate) fn im2col_into<F: Copy>(
    input: &[F],
    s: Shape,
    c: &Conv2d,
    out: Shape,
    planes: usize,
    cols: &mut [F],
) {
    debug_assert_eq!(cols.len(), c.weights.inputs * out.pixels() * planes);
    for_each_segment(s, c, out, planes, |col, pixel, len, step| {
        let dst = &mut cols[col..col + len];
        if step == 1 {
            dst.copy_from_slice(&input[pixel..pixel + len]);
        } else {
            for (k, d) in dst.iter_mut().enumerate() {
                *d = input[pixel + k * step];
            }
        }
    });
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
    planes: usize,
    mut f: impl FnMut(usize, usize, usize, usize),
) {
    let (kh, kw) = c.kernel;
    let p = out.pixels();
    for ch in 0..s.channels {
        for i in 0..kh {
            let (y_lo, y_hi) = valid(
                out.height,
                s.height,
                c.stride.0,
                i * c.dilation.0,
                c.padding[0],
            );
            for j in 0..kw {
                let row = ((ch * kh + i) * kw + j) * p * planes;
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
                for m in 0..planes {
                    let plane = (ch * planes + m) * s.pixels();
                    let first = row + m * p;
                    for oy in y_lo..y_hi {
                        let y = oy * c.stride.0 + i * c.dilation.0 - c.padding[0];
                        f(
                            first + oy * out.width + x_lo,
                            plane + y * s.width + x0,
                            x_hi - x_lo,
                            c.stride.1,
                        );
                    }
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
pub(crate) fn pool<F: Real>(input: &[F], s: Shape, pool: &Pool, out: Shape, max: bool) -> Vec<F> {
    let mut y = vec![F::zero(); out.len()];
    pool_into(input, s, pool, out, max, &mut y);
    y
}

/// [`pool`] into `y` (`out.len()` values).
pub(crate) fn pool_into<F: Real>(
    input: &[F],
    s: Shape,
    pool: &Pool,
    out: Shape,
    max: bool,
    y: &mut [F],
) {
    let (rows, cols) = pool_windows(s, pool, out);
    let mut y = y.iter_mut();
    for ch in 0..s.channels {
        let plane = &input[ch * s.pixels()..(ch + 1) * s.pixels()];
        for &(y0, y1) in &rows {
            for &(x0, x1) in &cols {
                let mut acc = if max { F::neg_infinity() } else { F::zero() };
                for yy in y0..y1 {
                    for &v in &plane[yy * s.width + x0..yy * s.width + x1] {
                        acc = if max { acc.max(v) } else { acc + v };
                    }
                }
                *y.next().expect("one output per window") = if max {
                    acc
                } else {
                    acc / F::of(((y1 - y0) * (x1 - x0)) as f64)
                };
            }
        }
    }
}

/// Max pooling into `y` that also records in `arg` the index in `input`
/// of each window's first largest pixel (row-major), for
/// [`max_pool_grad_into`].
pub(crate) fn max_pool_into<F: Real>(
    input: &[F],
    s: Shape,
    pool: &Pool,
    out: Shape,
    y: &mut [F],
    arg: &mut [u32],
) {
    let (rows, cols) = pool_windows(s, pool, out);
    let mut o = 0;
    for ch in 0..s.channels {
        let base = ch * s.pixels();
        for &(y0, y1) in &rows {
            for &(x0, x1) in &cols {
                let mut best = base + y0 * s.width + x0;
                let mut top = input[best];
                for yy in y0..y1 {
                    let row = base + yy * s.width;
                    for (k, &v) in input[row + x0..row + x1].iter().enumerate() {
                        let above = v > top;
                        best = if above { row + x0 + k } else { best };
                        top = if above { v } else { top };
                    }
                }
                y[o] = top;
                arg[o] = best as u32;
                o += 1;
            }
        }
    }
}

/// The adjoint of [`max_pool_into`]: each output's gradient added onto
/// the pixel that won its window.
pub(crate) fn max_pool_grad_into<F: Real>(g: &[F], arg: &[u32], dx: &mut [F]) {
    for (&g, &at) in g.iter().zip(arg) {
        dx[at as usize] += g;
    }
}

/// `dw (k × n) += x (k × p) · gᵀ` with `g` `n × p`, all row-major: a
/// weighted layer's weight gradient for its unrolled input `x` and output
/// gradient `g`.
pub(crate) fn gemm_acc_weight_grad<F: Scalar>(
    x: &[F],
    k: usize,
    g: &[F],
    n: usize,
    p: usize,
    dw: &mut [F],
) {
    debug_assert_eq!(x.len(), k * p);
    debug_assert_eq!(g.len(), n * p);
    debug_assert_eq!(dw.len(), k * n);
    let x = MatRef::from_row_major_slice(x, k, p);
    let gt = MatRef::from_row_major_slice(g, n, p).transpose();
    let dw = MatMut::from_row_major_slice_mut(dw, k, n);
    faer::linalg::matmul::matmul(dw, Accum::Add, x, gt, F::of(1.0), Par::Seq);
}

/// `dx (k × p) = w (k × n) · g (n × p)`, row-major: the gradient reaching
/// a weighted layer's (unrolled) input.
pub(crate) fn gemm_input_grad<F: Scalar>(
    w: &[F],
    k: usize,
    n: usize,
    g: &[F],
    p: usize,
    dx: &mut [F],
) {
    debug_assert_eq!(dx.len(), k * p);
    let wm = MatRef::from_row_major_slice(w, k, n);
    let gm = MatRef::from_row_major_slice(g, n, p);
    let out = MatMut::from_row_major_slice_mut(dx, k, p);
    faer::linalg::matmul::matmul(out, Accum::Replace, wm, gm, F::of(1.0), Par::Seq);
}

/// The adjoint of [`im2col`]: adds each unrolled entry back onto the
/// input pixel it was read from (padding entries are dropped).
#[cfg(test)]
pub(crate) fn col2im<F: Real>(
    cols: &[F],
    s: Shape,
    c: &Conv2d,
    out: Shape,
    planes: usize,
) -> Vec<F> {
    let mut dx = vec![F::zero(); s.len() * planes];
    col2im_into(cols, s, c, out, planes, &mut dx);
    dx
}

/// [`col2im`] added into `dx` (`planes·s.len()` values).
pub(crate) fn col2im_into<F: Real>(
    cols: &[F],
    s: Shape,
    c: &Conv2d,
    out: Shape,
    planes: usize,
    dx: &mut [F],
) {
    for_each_segment(s, c, out, planes, |col, pixel, len, step| {
        let src = &cols[col..col + len];
        if step == 1 {
            for (d, &v) in dx[pixel..pixel + len].iter_mut().zip(src) {
                *d += v;
            }
        } else {
            for (k, &v) in src.iter().enumerate() {
                dx[pixel + k * step] += v;
            }
        }
    });
}

/// The adjoint of [`pool`] at `input`: a max pool's gradient goes to the
/// first largest pixel of each window, an average pool's is shared by the
/// window's pixels.
#[cfg(test)]
pub(crate) fn pool_grad<F: Real>(
    input: &[F],
    s: Shape,
    pool: &Pool,
    out: Shape,
    max: bool,
    g: &[F],
) -> Vec<F> {
    let mut dx = vec![F::zero(); s.len()];
    pool_grad_into(input, s, pool, out, max, g, &mut dx);
    dx
}

/// [`pool_grad`] added into `dx` (`s.len()` values).
pub(crate) fn pool_grad_into<F: Real>(
    input: &[F],
    s: Shape,
    pool: &Pool,
    out: Shape,
    max: bool,
    g: &[F],
    dx: &mut [F],
) {
    let (rows, cols) = pool_windows(s, pool, out);
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
                    let share = go / F::of(((y1 - y0) * (x1 - x0)) as f64);
                    for yy in y0..y1 {
                        let row = base + yy * s.width;
                        dx[row + x0..row + x1].iter_mut().for_each(|d| *d += share);
                    }
                }
            }
        }
    }
}

/// `[C][n][H·W]` → `[C·H·W][n]` into `out`: the `n` images' values as
/// the columns of a fan-in × `n` matrix (what a linear layer multiplies).
pub(crate) fn to_features<F: Copy>(x: &[F], s: Shape, n: usize, out: &mut [F]) {
    let hw = s.pixels();
    if hw == 1 {
        out.copy_from_slice(x);
        return;
    }
    for c in 0..s.channels {
        for m in 0..n {
            let src = &x[(c * n + m) * hw..(c * n + m + 1) * hw];
            for (q, &v) in src.iter().enumerate() {
                out[(c * hw + q) * n + m] = v;
            }
        }
    }
}

/// The inverse of [`to_features`], into `out`.
pub(crate) fn from_features<F: Copy>(x: &[F], s: Shape, n: usize, out: &mut [F]) {
    let hw = s.pixels();
    if hw == 1 {
        out.copy_from_slice(x);
        return;
    }
    for c in 0..s.channels {
        for m in 0..n {
            let dst = &mut out[(c * n + m) * hw..(c * n + m + 1) * hw];
            for (q, d) in dst.iter_mut().enumerate() {
                *d = x[(c * hw + q) * n + m];
            }
        }
    }
}

/// The pixels at 1 of a 0/1 value stored `C × planes × H·W` (spikes),
/// plane by plane: what an event-driven convolution reads instead of
/// the unrolled input.
#[derive(Debug, Clone, Default)]
pub(crate) struct Events {
    /// Where each plane's pixels start in `pixels` (one more than planes).
    starts: Vec<usize>,
    /// Pixel indices `y·W + x` within their plane.
    pixels: Vec<u32>,
}

impl Events {
    /// The events of `x` when every value is 0 or 1 and at most
    /// `max_density` of them are 1; `None` otherwise.
    pub(crate) fn of<F: Real>(x: &[F], s: Shape, max_density: f64) -> Option<Events> {
        let (mut ones, mut other) = (0usize, false);
        for &v in x {
            let one = v == F::one();
            ones += usize::from(one);
            other |= !one & (v != F::zero());
        }
        if other {
            return None;
        }
        if ones as f64 > max_density * x.len() as f64 {
            return None;
        }
        let mut starts = Vec::with_capacity(x.len() / s.pixels() + 1);
        let mut pixels = Vec::with_capacity(ones);
        starts.push(0);
        for plane in x.chunks(s.pixels()) {
            for (q, &v) in plane.iter().enumerate() {
                if v == F::one() {
                    pixels.push(q as u32);
                }
            }
            starts.push(pixels.len());
        }
        Some(Events { starts, pixels })
    }

    /// Calls `f(k, col)` for every entry at 1 of the unrolled input
    /// ([`im2col`] over `planes` planes): row `k = (c·k_h + i)·k_w + j`,
    /// column `(m·H_out + y)·W_out + x`.
    fn for_each_entry(
        &self,
        s: Shape,
        c: &Conv2d,
        out: Shape,
        planes: usize,
        mut f: impl FnMut(usize, usize),
    ) {
        let (kh, kw) = c.kernel;
        let p = out.pixels();
        // The output position along one axis whose tap `offset` reads
        // input position `at` (`o·stride + offset − pad = at`), for every
        // `at` and tap: no division in the loop over the events.
        let table = |n_in: usize, k: usize, pad: usize, d: usize, stride: usize, n_out: usize| {
            let mut t = vec![u32::MAX; n_in * k];
            for at in 0..n_in {
                for i in 0..k {
                    if let Some(v) = (at + pad).checked_sub(i * d) {
                        if v % stride == 0 && v / stride < n_out {
                            t[at * k + i] = (v / stride) as u32;
                        }
                    }
                }
            }
            t
        };
        let ty = table(
            s.height,
            kh,
            c.padding[0],
            c.dilation.0,
            c.stride.0,
            out.height,
        );
        let tx = table(
            s.width,
            kw,
            c.padding[1],
            c.dilation.1,
            c.stride.1,
            out.width,
        );
        // Image by image, so that one image's outputs stay in the cache.
        for m in 0..planes {
            for ch in 0..s.channels {
                let plane = ch * planes + m;
                for &px in &self.pixels[self.starts[plane]..self.starts[plane + 1]] {
                    let (y, x) = (px as usize / s.width, px as usize % s.width);
                    for (i, &oy) in ty[y * kh..(y + 1) * kh].iter().enumerate() {
                        if oy == u32::MAX {
                            continue;
                        }
                        let row = m * p + oy as usize * out.width;
                        for (j, &ox) in tx[x * kw..(x + 1) * kw].iter().enumerate() {
                            if ox != u32::MAX {
                                f((ch * kh + i) * kw + j, row + ox as usize);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `Wᵀ·X` of a convolution whose unrolled input `X` is 0/1, from its
/// events: `yt` (`planes·H_out·W_out × n`, pixel-major, zeros on entry)
/// gets, for each entry at 1, weight row `k` (`w` is `k × n`). The same
/// sums as [`gemm_t`] on the unrolled input, without the zeros.
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_events<F: Real>(
    ev: &Events,
    w: &[F],
    n: usize,
    s: Shape,
    c: &Conv2d,
    out: Shape,
    planes: usize,
    yt: &mut [F],
) {
    ev.for_each_entry(s, c, out, planes, |k, col| {
        let src = &w[k * n..(k + 1) * n];
        for (d, &v) in yt[col * n..(col + 1) * n].iter_mut().zip(src) {
            *d += v;
        }
    });
}

/// `dw (k × n) += X·Gᵀ` for a 0/1 unrolled input `X` given by its
/// events and `gt = Gᵀ` (`planes·H_out·W_out × n`, pixel-major).
#[allow(clippy::too_many_arguments)]
pub(crate) fn conv_events_weight_grad<F: Real>(
    ev: &Events,
    gt: &[F],
    n: usize,
    s: Shape,
    c: &Conv2d,
    out: Shape,
    planes: usize,
    dw: &mut [F],
) {
    ev.for_each_entry(s, c, out, planes, |k, col| {
        let src = &gt[col * n..(col + 1) * n];
        for (d, &v) in dw[k * n..(k + 1) * n].iter_mut().zip(src) {
            *d += v;
        }
    });
}

/// `out (c × r) = xᵀ` for `x` `r × c`, row-major.
pub(crate) fn transpose<F: Copy>(x: &[F], r: usize, c: usize, out: &mut [F]) {
    const B: usize = 16;
    for r0 in (0..r).step_by(B) {
        for c0 in (0..c).step_by(B) {
            for i in r0..(r0 + B).min(r) {
                for j in c0..(c0 + B).min(c) {
                    out[j * r + i] = x[i * c + j];
                }
            }
        }
    }
}
