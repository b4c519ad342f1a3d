//! Training graphs: back-propagation through every op and through time
//! (BPTT), with a surrogate derivative for the spikes.
//!
//! For a weighted layer with unrolled input `X` (`k × p`) and output
//! gradient `G` (`n × p`): `∂W += X·Gᵀ`, `∂b += Σ_p G`, `∂X = W·G`, and
//! the convolution's input gradient is `∂X` added back onto the pixels
//! it was read from (col2im) — two GEMMs per layer and step. Pools route
//! the gradient to the window's maximum or share it over the window;
//! LIF neurons carry `∂L/∂u[t+1]` backwards in time:
//!
//! ```text
//! reset by subtraction: ∂L/∂u[t] = (∂L/∂s[t] − θ·∂L/∂u[t+1])·σ'(u[t] − θ) + β·∂L/∂u[t+1]
//! reset to zero:        ∂L/∂u[t] = (∂L/∂s[t] − β·u[t]·∂L/∂u[t+1])·σ'(u[t] − θ) + β·(1 − s[t])·∂L/∂u[t+1]
//! ```
//!
//! where a detached reset (snnTorch's default) drops the reset's own
//! terms (`θ·∂L/∂u[t+1]`, `β·u[t]·∂L/∂u[t+1]`), and `∂L/∂x[t] = g·∂L/∂u[t]`.
//! The loss is the softmax cross-entropy of the scores (snnTorch's
//! `ce_count_loss` for spike counts). Samples run in parallel in a fixed
//! number of chunks whose gradients are summed in chunk order, so the
//! result does not depend on the thread count.
//!
//! **How a chunk runs.** Only the neurons carry state from one step to
//! the next, so a chunk of images goes through the graph *layer by layer
//! over all its steps*: each layer's input at every step is known once
//! the layer before has run all of them. A convolution is then one GEMM
//! over `steps × images × pixels` columns (forward, `∂W`, `∂X`) instead of
//! one small GEMM per image and step; the neurons run their recurrence
//! over the steps inside the layer, forwards and (BPTT) backwards. A
//! value that does not change over the steps — the image under direct
//! encoding and what only depends on it, e.g. the first convolution and
//! pool — is computed once, and the gradients reaching it are summed
//! over the steps before going further back (`∂W₁ = X₁·(Σ_t G_t)ᵀ`). A
//! convolution whose input is spikes (0/1, at most `SPARSE` = 15 % of them 1)
//! runs event-driven: each 1 adds its weight rows to the outputs it
//! reaches, and `∂W` gathers the output gradients the same way — the
//! GEMMs' sums without the zeros. Training computes in `f32` (as
//! snnTorch does), gradients summed over the chunks and Adam in `f64`;
//! gradient checks run the same code in `f64`. A chunk's buffers are
//! kept from one batch to the next.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::kernels::{self, Scalar};
use super::{Graph, Op, Shape};
use crate::bptt::{Batch, EncodingKey, CHUNKS};
use crate::mnist::Dataset;
use crate::network::{Encoding, Surrogate};
use crate::optim::Adam;
use crate::rng::{stream, Stream};
mod pass;

use crate::train::{
    clip, run_epochs, EpochSchedule, EpochStats, Learner, Progress, TrainConfig, TrainError,
};
pub(crate) use pass::Workspace;
use pass::{
    add_into, leak_backward, leak_forward, lif_backward, lif_forward, sum, Params, Pass, Scratch,
    SPARSE,
};

/// How spikes pass gradients back.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeGradient {
    /// The stand-in for `dH/du`.
    pub surrogate: Surrogate,
    /// Treat the reset as a constant in the backward pass.
    pub detach_reset: bool,
}

impl Default for SpikeGradient {
    /// snnTorch's defaults: fast sigmoid with slope 25, detached reset.
    fn default() -> Self {
        SpikeGradient {
            surrogate: Surrogate::FastSigmoid { slope: 25.0 },
            detach_reset: true,
        }
    }
}

/// A batch's mean loss, number right and gradient of the mean loss (in
/// [`Graph::parameters`]' order).
pub(crate) struct GraphBatch {
    pub loss: f64,
    pub correct: usize,
    pub grads: Vec<f64>,
}

impl Graph {
    /// Where each node's parameters start in [`Graph::parameters`].
    fn parameter_offsets(&self) -> (Vec<Option<usize>>, usize) {
        let mut next = 0;
        let offsets = self
            .nodes
            .iter()
            .map(|n| {
                let len = match &n.op {
                    Op::Conv2d(c) => c.weights.weights.len() + c.weights.bias.len(),
                    Op::Linear(w) => w.weights.len() + w.bias.len(),
                    Op::ChannelAffine { scale, .. } => 2 * scale.len(),
                    _ => return None,
                };
                let at = next;
                next += len;
                Some(at)
            })
            .collect();
        (offsets, next)
    }

    /// Every trainable parameter, node by node: a weighted layer's
    /// weights then biases, an affine's scales then shifts.
    pub fn parameters(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.parameter_count());
        for n in &self.nodes {
            match &n.op {
                Op::Conv2d(c) => {
                    out.extend(&c.weights.weights);
                    out.extend(&c.weights.bias);
                }
                Op::Linear(w) => {
                    out.extend(&w.weights);
                    out.extend(&w.bias);
                }
                Op::ChannelAffine { scale, shift } => {
                    out.extend(scale);
                    out.extend(shift);
                }
                _ => {}
            }
        }
        out
    }

    /// Sets the parameters from `values`, in [`Graph::parameters`]' order.
    ///
    /// # Panics
    /// If `values` does not hold [`Graph::parameter_count`] values.
    pub fn set_parameters(&mut self, values: &[f64]) {
        assert_eq!(values.len(), self.parameter_count(), "parameter count");
        let mut rest = values;
        let mut take = |dst: &mut [f64]| {
            let (head, tail) = rest.split_at(dst.len());
            dst.copy_from_slice(head);
            rest = tail;
        };
        for n in &mut self.nodes {
            match &mut n.op {
                Op::Conv2d(c) => {
                    take(&mut c.weights.weights);
                    take(&mut c.weights.bias);
                }
                Op::Linear(w) => {
                    take(&mut w.weights);
                    take(&mut w.bias);
                }
                Op::ChannelAffine { scale, shift } => {
                    take(scale);
                    take(shift);
                }
                _ => {}
            }
        }
    }

    /// Memory (bytes) that training on batches of `batch_size` takes,
    /// roughly: the parameters, Adam's two moments and one gradient per
    /// chunk (`f64`), and for each chunk in flight (one per thread) every
    /// value, unrolled convolution input and membrane of its images at
    /// every step, twice (values and gradients, `f32`).
    pub fn training_memory_bytes(&self, batch_size: usize) -> f64 {
        let values: f64 = self.shapes.iter().map(|s| s.len() as f64).sum();
        let kept: f64 = self
            .nodes
            .iter()
            .enumerate()
            .map(|(k, n)| match &n.op {
                Op::Conv2d(c) => (c.weights.inputs * self.shapes[k + 1].pixels()) as f64,
                Op::Lif(_) => self.shapes[k + 1].len() as f64,
                _ => 0.0,
            })
            .sum();
        let chunk = batch_size.div_ceil(CHUNKS).max(1);
        let in_flight = (CHUNKS.min(rayon::current_num_threads()) * chunk) as f64;
        8.0 * self.parameter_count() as f64 * (3.0 + CHUNKS as f64)
            + 4.0 * 2.0 * (values + kept) * self.time.steps as f64 * in_flight
    }

    /// Mean loss, number right and gradient over `batch`, the spikes by
    /// `H` or (gradient checks) by the surrogate's antiderivative,
    /// computed in `F` (`f32` for training, `f64` for gradient checks)
    /// and summed in `f64`.
    pub(crate) fn loss_and_gradients<F: Scalar>(
        &self,
        batch: Batch<'_>,
        key: EncodingKey,
        spikes: &SpikeGradient,
        smooth: bool,
        workspace: &Workspace<F>,
    ) -> GraphBatch {
        let b = batch.labels.len();
        let chunk = b.div_ceil(CHUNKS).max(1);
        let (offsets, count) = self.parameter_offsets();
        let params = Params::<F>::of(self);
        let parts: Vec<(f64, usize, Vec<f64>)> = (0..b)
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let end = (start + chunk).min(b);
                let mut grads = vec![0.0; count];
                let mut scratch = workspace.take();
                let sc = &mut scratch;
                let pass = self.chunk_forward(&params, batch, start..end, key, spikes, smooth, sc);
                let (loss, correct, dscores) = pass.loss(self, batch, start, b, sc);
                self.chunk_backward(&params, &pass, &dscores, spikes, &offsets, &mut grads, sc);
                pass.release(sc);
                workspace.give(scratch);
                (loss, correct, grads)
            })
            .collect();
        let mut total = vec![0.0; count];
        let (mut loss, mut correct) = (0.0, 0);
        for (l, c, g) in parts {
            loss += l;
            correct += c;
            total.iter_mut().zip(&g).for_each(|(t, g)| *t += g);
        }
        GraphBatch {
            loss: loss / b as f64,
            correct,
            grads: total,
        }
    }

    /// The forward pass of images `range` of `batch` through all the
    /// steps, layer by layer, every value kept for the backward pass.
    #[allow(clippy::too_many_arguments)]
    fn chunk_forward<F: Scalar>(
        &self,
        params: &Params<F>,
        batch: Batch<'_>,
        range: std::ops::Range<usize>,
        key: EncodingKey,
        spikes: &SpikeGradient,
        smooth: bool,
        sc: &mut Scratch<F>,
    ) -> Pass<F> {
        let nb = range.len();
        let steps = self.time.steps;
        let n0 = self.input.len();
        let hw0 = self.input.pixels();
        // The input: constant over the steps (direct), or spikes drawn per
        // image and step as `Graph::run` draws them.
        let rate = self.time.encoding == Encoding::Rate && steps > 1;
        let (input, input_varies) = if self.time.encoding == Encoding::Rate {
            let slices = steps * nb;
            let mut x = sc.zeros(n0 * slices);
            for (m, k) in range.clone().enumerate() {
                let image = &batch.images[k * n0..(k + 1) * n0];
                let mut rng = stream(key.seed, Stream::Encoding, key.counter(batch.ids[k]));
                for t in 0..steps {
                    let slot = t * nb + m;
                    for (i, &v) in image.iter().enumerate() {
                        // A pixel of intensity 0 never spikes: no draw needed.
                        let fire = v > 0.0 && (v >= 1.0 || rng.random::<f32>() < v);
                        let (c, q) = (i / hw0, i % hw0);
                        x[(c * slices + slot) * hw0 + q] = F::of(f64::from(u8::from(fire)));
                    }
                }
            }
            (x, rate)
        } else {
            let mut x = sc.any(n0 * nb);
            for (m, k) in range.clone().enumerate() {
                for (i, &v) in batch.images[k * n0..(k + 1) * n0].iter().enumerate() {
                    let (c, q) = (i / hw0, i % hw0);
                    x[(c * nb + m) * hw0 + q] = F::of(f64::from(v));
                }
            }
            (x, false)
        };
        let firing = smooth.then_some(&spikes.surrogate);
        let mut pass = Pass {
            nb,
            steps,
            values: vec![input],
            varies: vec![input_varies],
            membranes: vec![Vec::new(); self.nodes.len()],
            cols: vec![Vec::new(); self.nodes.len()],
            winners: vec![Vec::new(); self.nodes.len()],
            events: vec![None; self.nodes.len()],
        };
        let mut spread = Vec::new();
        for (k, node) in self.nodes.iter().enumerate() {
            let src = node.inputs[0];
            let in_shape = self.shapes[src];
            let out_shape = self.shapes[k + 1];
            let varies = pass.varies[src];
            let n = pass.slices(varies);
            let x = &pass.values[src];
            let (out, out_varies) = match &node.op {
                Op::Conv2d(c) => {
                    let (w, bias) = &params.of[k];
                    let p = out_shape.pixels() * n;
                    let (k_in, n_out) = (c.weights.inputs, c.weights.outputs);
                    let mut y = sc.any(n_out * p);
                    if let Some(ev) = kernels::Events::of(x, in_shape, SPARSE) {
                        // Spikes: only the weight rows of the 1s.
                        let mut yt = sc.zeros(n_out * p);
                        kernels::conv_events(&ev, w, n_out, in_shape, c, out_shape, n, &mut yt);
                        kernels::transpose(&yt, p, n_out, &mut y);
                        sc.give(yt);
                        pass.events[k] = Some(ev);
                    } else {
                        let mut cols = sc.zeros(k_in * p);
                        kernels::im2col_into(x, in_shape, c, out_shape, n, &mut cols);
                        kernels::gemm_t(w, k_in, n_out, &cols, p, &mut y);
                        pass.cols[k] = cols;
                    }
                    for (row, &b) in y.chunks_mut(p).zip(bias) {
                        row.iter_mut().for_each(|v| *v += b);
                    }
                    (y, varies)
                }
                Op::Linear(wt) => {
                    let (w, bias) = &params.of[k];
                    let mut xf = sc.any(x.len());
                    kernels::to_features(x, in_shape, n, &mut xf);
                    let mut y = sc.any(wt.outputs * n);
                    kernels::gemm_t(w, wt.inputs, wt.outputs, &xf, n, &mut y);
                    sc.give(xf);
                    for (row, &b) in y.chunks_mut(n).zip(bias) {
                        row.iter_mut().for_each(|v| *v += b);
                    }
                    (y, varies)
                }
                Op::ChannelAffine { .. } => {
                    let (scale, shift) = &params.of[k];
                    let mut y = sc.any(x.len());
                    y.copy_from_slice(x);
                    let p = in_shape.pixels() * n;
                    for ((row, &s), &t) in y.chunks_mut(p).zip(scale).zip(shift) {
                        row.iter_mut().for_each(|v| *v = *v * s + t);
                    }
                    (y, varies)
                }
                Op::Relu => {
                    let mut y = sc.any(x.len());
                    y.iter_mut()
                        .zip(x)
                        .for_each(|(y, &v)| *y = v.max(F::zero()));
                    (y, varies)
                }
                Op::MaxPool(pool) | Op::AvgPool(pool) => {
                    let max = matches!(node.op, Op::MaxPool(_));
                    let planes = |s: Shape| Shape::new(s.channels * n, s.height, s.width);
                    let (i, o) = (planes(in_shape), planes(out_shape));
                    let mut y = sc.any(o.len());
                    if max {
                        let mut arg = vec![0; o.len()];
                        kernels::max_pool_into(x, i, pool, o, &mut y, &mut arg);
                        pass.winners[k] = arg;
                    } else {
                        kernels::pool_into(x, i, pool, o, false, &mut y);
                    }
                    (y, varies)
                }
                Op::GlobalAvgPool => {
                    let p = in_shape.pixels();
                    let y = x
                        .chunks(p)
                        .map(|c| c.iter().fold(F::zero(), |a, &v| a + v) / F::of(p as f64))
                        .collect();
                    (y, varies)
                }
                Op::Flatten => {
                    let mut y = sc.any(x.len());
                    kernels::to_features(x, in_shape, n, &mut y);
                    (y, varies)
                }
                Op::Add => {
                    let other = node.inputs[1];
                    let both = varies || pass.varies[other];
                    let (a, b) = (&pass.values[src], &pass.values[other]);
                    let mut y = Vec::new();
                    pass.spread(a, in_shape, varies, both, &mut y);
                    pass.spread(b, in_shape, pass.varies[other], both, &mut spread);
                    y.iter_mut().zip(&spread).for_each(|(y, &b)| *y += b);
                    (y, both)
                }
                Op::Lif(lif) => {
                    let len = in_shape.len() * pass.slices(steps > 1);
                    let x = if varies || steps == 1 {
                        x
                    } else {
                        pass.spread(x, in_shape, varies, true, &mut spread);
                        &spread
                    };
                    let (mut s, mut u) = (sc.any(len), sc.any(len));
                    lif_forward(lif, in_shape, x, nb, steps, firing, &mut s, &mut u);
                    pass.membranes[k] = u;
                    (s, steps > 1)
                }
                Op::Leaky(leak) => {
                    let len = in_shape.len() * pass.slices(steps > 1);
                    let x = if varies || steps == 1 {
                        x
                    } else {
                        pass.spread(x, in_shape, varies, true, &mut spread);
                        &spread
                    };
                    let mut v = sc.any(len);
                    leak_forward(leak, in_shape, x, nb, steps, &mut v);
                    (v, steps > 1)
                }
            };
            pass.values.push(out);
            pass.varies.push(out_varies);
        }
        sc.give(spread);
        pass
    }

    /// The parameter gradients of a chunk's `pass` for the score gradients
    /// `dscores` (`[image][class]`), added into `grads`.
    #[allow(clippy::too_many_arguments)]
    fn chunk_backward<F: Scalar>(
        &self,
        params: &Params<F>,
        pass: &Pass<F>,
        dscores: &[Vec<f64>],
        spikes: &SpikeGradient,
        offsets: &[Option<usize>],
        grads: &mut [f64],
        sc: &mut Scratch<F>,
    ) {
        let nodes = &self.nodes;
        let (nb, steps) = (pass.nb, pass.steps);
        let last = nodes.len();
        let out_shape = self.output_shape();
        let classes = out_shape.len();
        // The scores are the sum of the last value over the steps.
        let last_varies = pass.varies[last];
        let n_last = pass.slices(last_varies);
        let mut g_last = sc.any(classes * n_last);
        for (l, row) in g_last.chunks_mut(n_last).enumerate() {
            for (j, g) in row.iter_mut().enumerate() {
                let d = dscores[j % nb][l];
                *g = F::of(if last_varies { d } else { d * steps as f64 });
            }
        }
        let mut g: Vec<Option<Vec<F>>> = vec![None; pass.values.len()];
        let mut g_out = sc.any(g_last.len());
        kernels::from_features(&g_last, out_shape, n_last, &mut g_out);
        sc.give(g_last);
        g[last] = Some(g_out);
        for (k, node) in nodes.iter().enumerate().rev() {
            let Some(gy) = g[k + 1].take() else {
                continue;
            };
            let src = node.inputs[0];
            let x = &pass.values[src];
            let in_shape = self.shapes[src];
            let out_shape = self.shapes[k + 1];
            let varies = pass.varies[src];
            let n = pass.slices(varies);
            // The image needs no gradient.
            let wants_dx = node.inputs.iter().any(|&v| v > 0);
            // The gradient reaching input 0, in the output's time layout.
            let dx: Vec<F> = match &node.op {
                Op::Conv2d(c) => {
                    let wt = &c.weights;
                    let (w, _) = &params.of[k];
                    let p = out_shape.pixels() * n;
                    let mut dw = vec![F::zero(); wt.weights.len()];
                    if let Some(ev) = &pass.events[k] {
                        let mut gt = sc.any(gy.len());
                        kernels::transpose(&gy, wt.outputs, p, &mut gt);
                        let (s, o) = (in_shape, out_shape);
                        kernels::conv_events_weight_grad(ev, &gt, wt.outputs, s, c, o, n, &mut dw);
                        sc.give(gt);
                    } else {
                        let cols = &pass.cols[k];
                        kernels::gemm_acc_weight_grad(cols, wt.inputs, &gy, wt.outputs, p, &mut dw);
                    }
                    let at = offsets[k].expect("weighted");
                    add_into(&mut grads[at..], &dw);
                    let db: Vec<F> = gy.chunks(p).map(sum).collect();
                    add_into(&mut grads[at + wt.weights.len()..], &db);
                    if !wants_dx {
                        sc.give(gy);
                        continue;
                    }
                    let mut dcols = sc.any(wt.inputs * p);
                    kernels::gemm_input_grad(w, wt.inputs, wt.outputs, &gy, p, &mut dcols);
                    let mut dx = sc.zeros(in_shape.len() * n);
                    kernels::col2im_into(&dcols, in_shape, c, out_shape, n, &mut dx);
                    sc.give(dcols);
                    sc.give(gy);
                    dx
                }
                Op::Linear(wt) => {
                    let (w, _) = &params.of[k];
                    let mut xf = sc.any(x.len());
                    kernels::to_features(x, in_shape, n, &mut xf);
                    let mut dw = vec![F::zero(); wt.weights.len()];
                    kernels::gemm_acc_weight_grad(&xf, wt.inputs, &gy, wt.outputs, n, &mut dw);
                    sc.give(xf);
                    let at = offsets[k].expect("weighted");
                    add_into(&mut grads[at..], &dw);
                    let db: Vec<F> = gy.chunks(n).map(sum).collect();
                    add_into(&mut grads[at + wt.weights.len()..], &db);
                    if !wants_dx {
                        sc.give(gy);
                        continue;
                    }
                    let mut dxf = sc.any(wt.inputs * n);
                    kernels::gemm_input_grad(w, wt.inputs, wt.outputs, &gy, n, &mut dxf);
                    let mut dx = sc.any(dxf.len());
                    kernels::from_features(&dxf, in_shape, n, &mut dx);
                    sc.give(dxf);
                    sc.give(gy);
                    dx
                }
                Op::ChannelAffine { .. } => {
                    let (scale, _) = &params.of[k];
                    let at = offsets[k].expect("affine");
                    let c = scale.len();
                    let p = in_shape.pixels() * n;
                    for ch in 0..c {
                        let (xs, gs) = (&x[ch * p..(ch + 1) * p], &gy[ch * p..(ch + 1) * p]);
                        grads[at + ch] += xs
                            .iter()
                            .zip(gs)
                            .map(|(&a, &b)| (a * b).as_f64())
                            .sum::<f64>();
                        grads[at + c + ch] += gs.iter().map(|v| v.as_f64()).sum::<f64>();
                    }
                    let mut dx = gy;
                    for (row, &s) in dx.chunks_mut(p).zip(scale) {
                        row.iter_mut().for_each(|g| *g *= s);
                    }
                    dx
                }
                Op::Relu => {
                    let mut dx = gy;
                    for (g, &x) in dx.iter_mut().zip(x) {
                        if x <= F::zero() {
                            *g = F::zero();
                        }
                    }
                    dx
                }
                Op::MaxPool(pool) | Op::AvgPool(pool) => {
                    let max = matches!(node.op, Op::MaxPool(_));
                    let planes = |s: Shape| Shape::new(s.channels * n, s.height, s.width);
                    let mut dx = sc.zeros(in_shape.len() * n);
                    if max {
                        kernels::max_pool_grad_into(&gy, &pass.winners[k], &mut dx);
                    } else {
                        let (i, o) = (planes(in_shape), planes(out_shape));
                        kernels::pool_grad_into(x, i, pool, o, false, &gy, &mut dx);
                    }
                    sc.give(gy);
                    dx
                }
                Op::GlobalAvgPool => {
                    let p = in_shape.pixels();
                    let share = F::of(1.0 / p as f64);
                    gy.iter()
                        .flat_map(|&g| std::iter::repeat_n(g * share, p))
                        .collect()
                }
                Op::Flatten => {
                    let mut dx = sc.any(gy.len());
                    kernels::from_features(&gy, in_shape, n, &mut dx);
                    sc.give(gy);
                    dx
                }
                Op::Add => gy,
                Op::Lif(lif) => {
                    let u = &pass.membranes[k];
                    let s = &pass.values[k + 1];
                    let mut dx = gy;
                    lif_backward(lif, in_shape, &mut dx, u, s, nb, steps, spikes);
                    dx
                }
                Op::Leaky(leak) => {
                    let mut dx = gy;
                    leak_backward(leak, in_shape, &mut dx, nb, steps);
                    dx
                }
            };
            if !wants_dx {
                sc.give(dx);
                continue;
            }
            let out_varies = pass.varies[k + 1];
            for &v in &node.inputs {
                if v == 0 {
                    continue;
                }
                // A value constant over the steps gets the sum over them.
                let d = if out_varies == pass.varies[v] || steps == 1 {
                    let mut d = sc.any(dx.len());
                    d.copy_from_slice(&dx);
                    d
                } else {
                    let mut d = sc.zeros(dx.len() / steps);
                    pass.fold(&dx, self.shapes[v], &mut d);
                    d
                };
                match &mut g[v] {
                    Some(acc) => {
                        acc.iter_mut().zip(&d).for_each(|(a, d)| *a += *d);
                        sc.give(d);
                    }
                    slot => *slot = Some(d),
                }
            }
            sc.give(dx);
        }
        for v in g.into_iter().flatten() {
            sc.give(v);
        }
    }
}

/// Trains `graph` in place on `train` (BPTT, Adam on the clean weights,
/// gradients through the perturbed ones when `config.noise` injects weight
/// noise), evaluating on `test` after each epoch when given. Deterministic
/// for a seed, whatever the thread count.
///
/// # Errors
/// A configuration outside its domain (device injection is for dense
/// networks only), data that does not fit the graph, or a diverging loss.
pub fn train_graph(
    graph: &mut Graph,
    train: &Dataset,
    test: Option<&Dataset>,
    config: &TrainConfig,
    spikes: SpikeGradient,
    on_progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<EpochStats>, TrainError> {
    config.validate()?;
    if config.noise.device.is_some() {
        return Err(TrainError::Config {
            field: "noise.device".into(),
            message: "device injection trains dense networks only; use noise.weight_noise for layer networks".into(),
        });
    }
    for (data, what) in [(Some(train), "training"), (test, "test")] {
        if let Some(data) = data {
            super::arrays::check_data(graph, data)
                .map_err(|e| TrainError::Data(format!("{what} set: {e}")))?;
            if data.is_empty() {
                return Err(TrainError::Data(format!("{what} set is empty")));
            }
        }
    }
    let batches = train.len().div_ceil(config.batch_size);
    let mut learner = GraphLearner {
        adam: Adam::for_sizes(config.optimizer, &[graph.parameter_count()]),
        workspace: Workspace::default(),
        graph,
        config,
        spikes,
        total_steps: (batches * config.epochs) as f64,
    };
    let schedule = EpochSchedule {
        epochs: config.epochs,
        batch_size: config.batch_size,
        seed: config.seed,
    };
    run_epochs(&mut learner, train, test, schedule, on_progress)
}

struct GraphLearner<'a> {
    graph: &'a mut Graph,
    adam: Adam<f64>,
    workspace: Workspace<f32>,
    config: &'a TrainConfig,
    spikes: SpikeGradient,
    total_steps: f64,
}

impl Learner for GraphLearner<'_> {
    fn input_len(&self) -> usize {
        self.graph.input_shape().len()
    }

    fn step(
        &mut self,
        batch: Batch<'_>,
        key: EncodingKey,
        step: u64,
    ) -> Result<(f64, usize), TrainError> {
        let noise = &self.config.noise;
        let result = if noise.weight_noise > 0.0 {
            let mut noisy = self.graph.clone();
            for (l, node) in noisy
                .nodes
                .iter_mut()
                .filter_map(|n| n.op.weights_mut())
                .enumerate()
            {
                let sigma = noise.weight_noise * node.max_abs_weight();
                let mut rng = stream(
                    self.config.seed,
                    Stream::WeightNoise,
                    (step << 8) | l as u64,
                );
                for w in &mut node.weights {
                    let xi: f64 = StandardNormal.sample(&mut rng);
                    *w += sigma * xi;
                }
            }
            noisy.loss_and_gradients(batch, key, &self.spikes, false, &self.workspace)
        } else {
            self.graph
                .loss_and_gradients(batch, key, &self.spikes, false, &self.workspace)
        };
        if result.loss.is_finite() {
            let lr_scale = self.config.schedule.scale(step, self.total_steps);
            let mut params = self.graph.parameters();
            self.adam.update(
                std::iter::once(&mut params[..]),
                std::iter::once(&result.grads[..]),
                lr_scale,
            );
            self.graph.set_parameters(&params);
            if let Some(c) = noise.clip_sigma {
                for w in self
                    .graph
                    .nodes
                    .iter_mut()
                    .filter_map(|n| n.op.weights_mut())
                {
                    clip(&mut w.weights, c);
                }
            }
        }
        Ok((result.loss, result.correct))
    }

    fn test_accuracy(&mut self, test: &Dataset, seed: u64) -> Result<f64, TrainError> {
        super::arrays::accuracy(self.graph, test, seed).map_err(|e| TrainError::Data(e.to_string()))
    }
}
