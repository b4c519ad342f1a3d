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

use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use super::neurons::Reset;
use super::{kernels, Graph, Op, Software, Trace};
use crate::bptt::{argmax, cross_entropy, Batch, EncodingKey, CHUNKS};
use crate::mnist::Dataset;
use crate::network::Surrogate;
use crate::optim::Adam;
use crate::rng::{stream, Stream};
use crate::train::{
    clip, run_epochs, EpochSchedule, EpochStats, Learner, Progress, TrainConfig, TrainError,
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
    /// roughly: four copies of the parameters (weights, gradients, two
    /// Adam moments) per chunk, and every value at every step of the
    /// samples in flight.
    pub fn training_memory_bytes(&self, batch_size: usize) -> f64 {
        let values: f64 = self.shapes.iter().map(|s| s.len() as f64).sum();
        let in_flight = batch_size.min(CHUNKS * rayon::current_num_threads()) as f64;
        8.0 * self.parameter_count() as f64 * (3.0 + CHUNKS as f64)
            + 8.0 * 2.0 * values * self.time.steps as f64 * in_flight
    }

    /// The loss gradient of one image's run `trace` for the score
    /// gradient `dscores`, added into `grads`.
    fn backward(
        &self,
        trace: &Trace,
        dscores: &[f64],
        spikes: &SpikeGradient,
        offsets: &[Option<usize>],
        grads: &mut [f64],
    ) {
        let nodes = &self.nodes;
        // ∂L/∂u[t+1] of each neuron node.
        let mut carry: Vec<Vec<f64>> = vec![Vec::new(); nodes.len()];
        for t in (0..trace.values.len()).rev() {
            let values = &trace.values[t];
            let mut g: Vec<Option<Vec<f64>>> = vec![None; values.len()];
            g[values.len() - 1] = Some(dscores.to_vec());
            for (k, node) in nodes.iter().enumerate().rev() {
                let stateful = matches!(node.op, Op::Lif(_) | Op::Leaky(_));
                let gy = match g[k + 1].take() {
                    Some(gy) => gy,
                    None if stateful && !carry[k].is_empty() => vec![0.0; values[k + 1].len()],
                    None => continue,
                };
                let src = node.inputs[0];
                let x = &values[src];
                let in_shape = self.shapes[src];
                let out_shape = self.shapes[k + 1];
                // The image needs no gradient.
                let wants_dx = node.inputs.iter().any(|&v| v > 0);
                let dx: Vec<f64> = match &node.op {
                    Op::Conv2d(c) => {
                        let w = &c.weights;
                        let p = out_shape.pixels();
                        let cols = &trace.cols[t][k];
                        let at = offsets[k].expect("weighted");
                        let (dw, db) = grads[at..at + w.weights.len() + w.bias.len()]
                            .split_at_mut(w.weights.len());
                        kernels::gemm_acc_weight_grad(cols, w.inputs, &gy, w.outputs, p, dw);
                        for (b, row) in db.iter_mut().zip(gy.chunks(p)) {
                            *b += row.iter().sum::<f64>();
                        }
                        if !wants_dx {
                            continue;
                        }
                        let dcols =
                            kernels::gemm_input_grad(&w.weights, w.inputs, w.outputs, &gy, p);
                        kernels::col2im(&dcols, in_shape, c, out_shape)
                    }
                    Op::Linear(w) => {
                        let at = offsets[k].expect("weighted");
                        let (dw, db) = grads[at..at + w.weights.len() + w.bias.len()]
                            .split_at_mut(w.weights.len());
                        kernels::gemm_acc_weight_grad(x, w.inputs, &gy, w.outputs, 1, dw);
                        db.iter_mut().zip(&gy).for_each(|(b, g)| *b += g);
                        if !wants_dx {
                            continue;
                        }
                        kernels::gemm_input_grad(&w.weights, w.inputs, w.outputs, &gy, 1)
                    }
                    Op::ChannelAffine { scale, .. } => {
                        let at = offsets[k].expect("affine");
                        let c = scale.len();
                        let p = in_shape.pixels();
                        for ch in 0..c {
                            let (xs, gs) = (&x[ch * p..(ch + 1) * p], &gy[ch * p..(ch + 1) * p]);
                            grads[at + ch] += xs.iter().zip(gs).map(|(a, b)| a * b).sum::<f64>();
                            grads[at + c + ch] += gs.iter().sum::<f64>();
                        }
                        gy.chunks(p)
                            .zip(scale)
                            .flat_map(|(row, s)| row.iter().map(move |g| g * s))
                            .collect()
                    }
                    Op::Relu => gy
                        .iter()
                        .zip(x)
                        .map(|(&g, &x)| if x > 0.0 { g } else { 0.0 })
                        .collect(),
                    Op::MaxPool(pool) => {
                        kernels::pool_grad(x, in_shape, pool, out_shape, true, &gy)
                    }
                    Op::AvgPool(pool) => {
                        kernels::pool_grad(x, in_shape, pool, out_shape, false, &gy)
                    }
                    Op::GlobalAvgPool => {
                        let p = in_shape.pixels();
                        gy.iter()
                            .flat_map(|&g| std::iter::repeat_n(g / p as f64, p))
                            .collect()
                    }
                    Op::Flatten | Op::Add => gy,
                    Op::Lif(lif) => {
                        let u = &trace.membranes[t][k];
                        let s = &values[k + 1];
                        let next = std::mem::take(&mut carry[k]);
                        let mut g_u = vec![0.0; gy.len()];
                        let mut dx = vec![0.0; gy.len()];
                        for i in 0..gy.len() {
                            let (beta, gain, _) = lif.leak.at(in_shape, i);
                            let theta = super::neurons::threshold(lif, in_shape, i);
                            let gn = next.get(i).copied().unwrap_or(0.0);
                            let sd = spikes.surrogate.derivative(u[i] - theta);
                            let keep = !spikes.detach_reset;
                            g_u[i] = match lif.reset {
                                Reset::Subtract => {
                                    let g_s = gy[i] - if keep { theta * gn } else { 0.0 };
                                    g_s * sd + beta * gn
                                }
                                Reset::Zero => {
                                    let g_s = gy[i] - if keep { beta * u[i] * gn } else { 0.0 };
                                    g_s * sd + beta * (1.0 - s[i]) * gn
                                }
                            };
                            dx[i] = gain * g_u[i];
                        }
                        carry[k] = g_u;
                        dx
                    }
                    Op::Leaky(leak) => {
                        let next = std::mem::take(&mut carry[k]);
                        let mut g_v = vec![0.0; gy.len()];
                        let mut dx = vec![0.0; gy.len()];
                        for i in 0..gy.len() {
                            let (beta, gain, _) = leak.at(in_shape, i);
                            g_v[i] = gy[i] + beta * next.get(i).copied().unwrap_or(0.0);
                            dx[i] = gain * g_v[i];
                        }
                        carry[k] = g_v;
                        dx
                    }
                };
                if !wants_dx {
                    continue;
                }
                for &v in &node.inputs {
                    if v == 0 {
                        continue;
                    }
                    match &mut g[v] {
                        Some(acc) => acc.iter_mut().zip(&dx).for_each(|(a, d)| *a += d),
                        slot => *slot = Some(dx.clone()),
                    }
                }
            }
        }
    }

    /// Mean loss, number right and gradient over `batch`, the spikes by
    /// `H` or (gradient checks) by the surrogate's antiderivative.
    pub(crate) fn loss_and_gradients(
        &self,
        batch: Batch<'_>,
        key: EncodingKey,
        spikes: &SpikeGradient,
        smooth: bool,
    ) -> GraphBatch {
        let n0 = self.input.len();
        let b = batch.labels.len();
        let scale = 1.0 / b as f64;
        let chunk = b.div_ceil(CHUNKS).max(1);
        let (offsets, count) = self.parameter_offsets();
        let software = Software(self.weighted().map(|(_, w)| w).collect());
        let firing = smooth.then_some(&spikes.surrogate);
        let classes = self.output_shape().len();
        let parts: Vec<(f64, usize, Vec<f64>)> = (0..b)
            .step_by(chunk)
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|start| {
                let mut grads = vec![0.0; count];
                let mut dscores = vec![0.0; classes];
                let (mut loss, mut correct) = (0.0, 0);
                for k in start..(start + chunk).min(b) {
                    let image: Vec<f64> = batch.images[k * n0..(k + 1) * n0]
                        .iter()
                        .map(|&v| f64::from(v))
                        .collect();
                    let mut trace = Trace::default();
                    let scores = self.run(
                        &image,
                        &software,
                        (key, batch.ids[k]),
                        firing,
                        Some(&mut trace),
                    );
                    let label = usize::from(batch.labels[k]);
                    correct += usize::from(argmax(&scores) == label);
                    loss += cross_entropy(&scores, label, scale, &mut dscores);
                    self.backward(&trace, &dscores, spikes, &offsets, &mut grads);
                }
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
            noisy.loss_and_gradients(batch, key, &self.spikes, false)
        } else {
            self.graph
                .loss_and_gradients(batch, key, &self.spikes, false)
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
