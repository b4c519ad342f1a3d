//! Forward pass and back-propagation through time, one sample at a time.
//!
//! **Why per sample, not batched GEMM.** In a rate-coded LIF network the
//! layer inputs are binary and sparse: about 13 % of MNIST's pixels are
//! non-zero, and hidden layers fire a few percent of the time. The product
//! `x[t]·W` is then the sum of the rows of `W` whose input spiked
//! (event-driven accumulation: one contiguous, vectorised row add per
//! spike), and the weight gradient `Σₜ x[t]ᵀ·δ[t]` likewise adds `δ[t]` into
//! the rows that spiked. For 784-128-10 at T = 25 this is ~8× fewer
//! operations than the dense GEMMs a framework runs, and every sample's
//! whole forward and backward pass stays in L1/L2 cache. Samples run in
//! parallel (rayon) in a fixed number of chunks whose gradients are summed
//! in chunk order, so results do not depend on the number of threads.
//!
//! The backward pass is exact BPTT of the forward below, except that
//! `dS/dU` is the surrogate derivative ([`Surrogate`]) and, when
//! `detach_reset` is set, the reset term is a constant. With
//! [`Firing::Smooth`] the forward uses the surrogate's antiderivative as
//! spike function, so the gradient is the true gradient of that forward:
//! the finite-difference check in the tests.

use rand::Rng;
use rayon::prelude::*;

use crate::network::{Layer, NetworkConfig, NetworkKind, Readout};
use crate::real::Real;
use crate::rng::{stream, Stream};

/// Spike function of the forward pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Firing {
    /// `H(U − θ)`: the network as it runs.
    Heaviside,
    /// The surrogate's antiderivative (gradient checks only).
    #[cfg_attr(not(test), allow(dead_code))]
    Smooth,
}

/// The synaptic product of one layer: `out = b + x·W`. A software layer,
/// or programmed arrays with converters.
pub(crate) trait Synapses<F: Real>: Sync {
    /// Writes `b + x·W` into `out` (length: the layer's fan-out).
    fn product(&self, x: &[F], out: &mut [F]);
}

impl<F: Real> Synapses<F> for Layer<F> {
    fn product(&self, x: &[F], out: &mut [F]) {
        out.copy_from_slice(&self.bias);
        for (i, &xi) in x.iter().enumerate() {
            if xi != F::zero() {
                axpy(xi, self.row(i), out);
            }
        }
    }
}

/// `y += a·x` (a spike: `a = 1`).
#[inline]
pub(crate) fn axpy<F: Real>(a: F, x: &[F], y: &mut [F]) {
    if a == F::one() {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += x;
        }
    } else {
        for (y, &x) in y.iter_mut().zip(x) {
            *y += a * x;
        }
    }
}

/// Where one sample's random input spikes come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EncodingKey {
    /// The run's seed.
    pub seed: u64,
    /// Epoch (training) or a fixed tag (evaluation).
    pub pass: u32,
}

impl EncodingKey {
    pub(crate) fn counter(&self, sample: usize) -> u64 {
        (u64::from(self.pass) << 32) | sample as u64
    }
}

/// Traces of one sample's forward pass, reused across samples.
pub(crate) struct Sample<F> {
    /// Layer-0 input: `T × n₀` (rate) or `n₀` (direct, ReLU).
    x0: Vec<F>,
    /// Per layer, `T × n` membrane potentials (ReLU: pre-activations).
    u: Vec<Vec<F>>,
    /// Per layer, `T × n` spikes (ReLU: activations).
    s: Vec<Vec<F>>,
    /// Layer-0 current for direct coding (constant over time).
    i0: Vec<F>,
    current: Vec<F>,
    /// Class scores.
    pub logits: Vec<F>,
}

impl<F: Real> Sample<F> {
    pub fn new(config: &NetworkConfig) -> Self {
        let t = config.time_steps();
        let n0 = config.sizes[0];
        let x0_len = if config.binary_input() { t * n0 } else { n0 };
        Sample {
            x0: vec![F::zero(); x0_len],
            u: config.sizes[1..]
                .iter()
                .map(|&n| vec![F::zero(); t * n])
                .collect(),
            s: config.sizes[1..]
                .iter()
                .map(|&n| vec![F::zero(); t * n])
                .collect(),
            i0: vec![F::zero(); config.sizes[1]],
            current: vec![F::zero(); *config.sizes.iter().max().unwrap_or(&1)],
            logits: vec![F::zero(); *config.sizes.last().unwrap_or(&1)],
        }
    }

    /// Encodes `image` (pixels in [0, 1]) into the layer-0 input.
    fn encode(&mut self, config: &NetworkConfig, image: &[f32], key: EncodingKey, sample: usize) {
        if config.binary_input() {
            let n0 = image.len();
            let mut rng = stream(key.seed, Stream::Encoding, key.counter(sample));
            self.x0.fill(F::zero());
            for t in 0..config.steps {
                let row = &mut self.x0[t * n0..(t + 1) * n0];
                for (x, &p) in row.iter_mut().zip(image) {
                    // A pixel of intensity 0 never spikes: no draw needed.
                    if p > 0.0 && (p >= 1.0 || rng.random::<f32>() < p) {
                        *x = F::one();
                    }
                }
            }
        } else {
            for (x, &p) in self.x0.iter_mut().zip(image) {
                *x = F::of(f64::from(p));
            }
        }
    }

    /// Input of layer `l` at step `t`.
    fn input(&self, config: &NetworkConfig, l: usize, t: usize) -> &[F] {
        if l == 0 {
            let n0 = config.sizes[0];
            if config.binary_input() {
                &self.x0[t * n0..(t + 1) * n0]
            } else {
                &self.x0
            }
        } else {
            let n = config.sizes[l];
            &self.s[l - 1][t * n..(t + 1) * n]
        }
    }

    /// Runs the network on the encoded input; fills traces and logits.
    fn forward<S: Synapses<F>>(&mut self, config: &NetworkConfig, layers: &[S], firing: Firing) {
        let steps = config.time_steps();
        let last = layers.len() - 1;
        let beta = F::of(config.beta);
        let theta = F::of(config.threshold);
        let surrogate = config.surrogate;
        let direct = !config.binary_input();
        if config.kind == NetworkKind::Relu {
            for (l, layer) in layers.iter().enumerate() {
                let n = config.sizes[l + 1];
                let mut current = std::mem::take(&mut self.current);
                layer.product(self.input(config, l, 0), &mut current[..n]);
                self.u[l].copy_from_slice(&current[..n]);
                for (s, &u) in self.s[l].iter_mut().zip(&current[..n]) {
                    *s = if l == last { u } else { u.max(F::zero()) };
                }
                self.current = current;
            }
            self.logits.copy_from_slice(&self.s[last]);
            return;
        }
        if direct {
            let mut i0 = std::mem::take(&mut self.i0);
            layers[0].product(&self.x0, &mut i0);
            self.i0 = i0;
        }
        for t in 0..steps {
            for (l, layer) in layers.iter().enumerate() {
                let n = config.sizes[l + 1];
                let mut current = std::mem::take(&mut self.current);
                if l == 0 && direct {
                    current[..n].copy_from_slice(&self.i0);
                } else {
                    layer.product(self.input(config, l, t), &mut current[..n]);
                }
                let integrate_only = l == last && config.readout == Readout::Membrane;
                let (u_all, s_all) = (&mut self.u[l], &mut self.s[l]);
                for j in 0..n {
                    let (u_prev, s_prev) = if t == 0 {
                        (F::zero(), F::zero())
                    } else {
                        (u_all[(t - 1) * n + j], s_all[(t - 1) * n + j])
                    };
                    let u = if integrate_only {
                        beta * u_prev + current[j]
                    } else {
                        beta * u_prev + current[j] - theta * s_prev
                    };
                    u_all[t * n + j] = u;
                    s_all[t * n + j] = if integrate_only {
                        F::zero()
                    } else {
                        match firing {
                            Firing::Heaviside => {
                                if u > theta {
                                    F::one()
                                } else {
                                    F::zero()
                                }
                            }
                            Firing::Smooth => surrogate.smooth_step(u - theta),
                        }
                    };
                }
                self.current = current;
            }
        }
        let n = config.sizes[last + 1];
        self.logits.fill(F::zero());
        let readout = if config.readout == Readout::Membrane {
            &self.u[last]
        } else {
            &self.s[last]
        };
        for t in 0..steps {
            for (z, &v) in self.logits.iter_mut().zip(&readout[t * n..(t + 1) * n]) {
                *z += v;
            }
        }
        if config.readout == Readout::Membrane {
            let inv = F::one() / F::of(steps as f64);
            self.logits.iter_mut().for_each(|z| *z *= inv);
        }
    }

    /// Adds this sample's gradient (for `dlogits`, the loss gradient with
    /// respect to the logits) into `grads`.
    fn backward(
        &self,
        config: &NetworkConfig,
        layers: &[Layer<F>],
        dlogits: &[F],
        grads: &mut [Layer<F>],
        scratch: &mut Scratch<F>,
    ) {
        let steps = config.time_steps();
        let last = layers.len() - 1;
        let beta = F::of(config.beta);
        let theta = F::of(config.threshold);
        let surrogate = config.surrogate;
        let relu = config.kind == NetworkKind::Relu;
        // g_s: T×n gradient reaching each layer's output (spikes) directly.
        scratch.g_s.clear();
        let membrane = !relu && config.readout == Readout::Membrane;
        for _ in 0..steps {
            scratch.g_s.extend_from_slice(dlogits);
        }
        if membrane {
            let inv = F::one() / F::of(steps as f64);
            scratch.g_s.iter_mut().for_each(|g| *g *= inv);
        }
        for l in (0..layers.len()).rev() {
            let n = config.sizes[l + 1];
            let n_in = config.sizes[l];
            let u = &self.u[l];
            scratch.d_i.clear();
            scratch.d_i.resize(steps * n, F::zero());
            if relu {
                for ((d, &g), &u) in scratch.d_i.iter_mut().zip(&scratch.g_s).zip(u) {
                    *d = if l == last || u > F::zero() {
                        g
                    } else {
                        F::zero()
                    };
                }
            } else {
                let integrate_only = l == last && membrane;
                // dL/dU[t+1], carried backwards in time.
                scratch.g_u_next.clear();
                scratch.g_u_next.resize(n, F::zero());
                for t in (0..steps).rev() {
                    for j in 0..n {
                        let k = t * n + j;
                        let g_next = scratch.g_u_next[j];
                        let g_u = if integrate_only {
                            scratch.g_s[k] + beta * g_next
                        } else {
                            let mut g_spike = scratch.g_s[k];
                            if !config.detach_reset {
                                // U[t+1] contains −θ·S[t].
                                g_spike -= theta * g_next;
                            }
                            g_spike * surrogate.derivative(u[k] - theta) + beta * g_next
                        };
                        scratch.d_i[k] = g_u;
                        scratch.g_u_next[j] = g_u;
                    }
                }
            }
            // Parameter gradients: db += Σₜ dI[t], dW += Σₜ x[t]ᵀ·dI[t].
            let grad = &mut grads[l];
            for t in 0..steps {
                let d = &scratch.d_i[t * n..(t + 1) * n];
                for (b, &g) in grad.bias.iter_mut().zip(d) {
                    *b += g;
                }
            }
            let constant_input = l == 0 && !config.binary_input();
            if constant_input {
                // x is the same at every step: dW += x ⊗ Σₜ dI[t].
                scratch.d_sum.clear();
                scratch.d_sum.resize(n, F::zero());
                for t in 0..steps {
                    axpy(
                        F::one(),
                        &scratch.d_i[t * n..(t + 1) * n],
                        &mut scratch.d_sum,
                    );
                }
                for (i, &x) in self.x0.iter().enumerate() {
                    if x != F::zero() {
                        axpy(x, &scratch.d_sum, &mut grad.weights[i * n..(i + 1) * n]);
                    }
                }
            } else {
                for t in 0..steps {
                    let x = self.input(config, l, t);
                    let d = &scratch.d_i[t * n..(t + 1) * n];
                    for (i, &xi) in x.iter().enumerate() {
                        if xi != F::zero() {
                            axpy(xi, d, &mut grad.weights[i * n..(i + 1) * n]);
                        }
                    }
                }
            }
            if l > 0 {
                // Gradient reaching the spikes of layer l−1: W·dI[t].
                let w = &layers[l];
                scratch.g_below.clear();
                scratch.g_below.resize(steps * n_in, F::zero());
                for t in 0..steps {
                    let d = &scratch.d_i[t * n..(t + 1) * n];
                    for i in 0..n_in {
                        let row = w.row(i);
                        let mut acc = F::zero();
                        for (&a, &b) in row.iter().zip(d) {
                            acc += a * b;
                        }
                        scratch.g_below[t * n_in + i] = acc;
                    }
                }
                std::mem::swap(&mut scratch.g_s, &mut scratch.g_below);
            }
        }
    }
}

/// Buffers of the backward pass.
pub(crate) struct Scratch<F> {
    g_s: Vec<F>,
    g_below: Vec<F>,
    g_u_next: Vec<F>,
    d_i: Vec<F>,
    d_sum: Vec<F>,
}

impl<F> Default for Scratch<F> {
    fn default() -> Self {
        Scratch {
            g_s: Vec::new(),
            g_below: Vec::new(),
            g_u_next: Vec::new(),
            d_i: Vec::new(),
            d_sum: Vec::new(),
        }
    }
}

/// Softmax cross-entropy of `logits` for class `label`: returns the loss
/// and writes `∂loss/∂logits · scale` into `grad`.
pub(crate) fn cross_entropy<F: Real>(logits: &[F], label: usize, scale: F, grad: &mut [F]) -> f64 {
    let max = logits.iter().fold(F::neg_infinity(), |m, &z| m.max(z));
    let mut sum = F::zero();
    for (g, &z) in grad.iter_mut().zip(logits) {
        *g = (z - max).exp();
        sum += *g;
    }
    for (k, g) in grad.iter_mut().enumerate() {
        let p = *g / sum;
        *g = (p - if k == label { F::one() } else { F::zero() }) * scale;
    }
    (sum.ln() - (logits[label] - max)).as_f64()
}

/// Index of the largest score; ties go to the lowest index.
pub(crate) fn argmax<F: Real>(logits: &[F]) -> usize {
    let mut best = 0;
    for (k, &z) in logits.iter().enumerate() {
        if z > logits[best] {
            best = k;
        }
    }
    best
}

/// A batch of images (row-major, `pixels` per image) with labels and the
/// sample indices that key their input spikes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Batch<'a> {
    pub images: &'a [f32],
    pub labels: &'a [u8],
    pub ids: &'a [usize],
}

/// Loss (mean over the batch), number correct, and the gradient of the
/// mean loss with respect to every parameter.
pub(crate) struct BatchResult<F> {
    pub loss: f64,
    pub correct: usize,
    pub grads: Vec<Layer<F>>,
}

/// Samples per gradient chunk is `ceil(B / CHUNKS)`: fixed, so sums do not
/// depend on the thread count.
pub(crate) const CHUNKS: usize = 8;

/// Forward and backward over a batch.
pub(crate) fn loss_and_gradients<F: Real>(
    config: &NetworkConfig,
    layers: &[Layer<F>],
    batch: Batch<'_>,
    key: EncodingKey,
    firing: Firing,
) -> BatchResult<F> {
    loss_and_gradients_through(config, layers, layers, batch, key, firing)
}

/// As [`loss_and_gradients`], with the forward pass through `forward`
/// (layers read through nonlinear cells) and the backward pass through
/// the weights `layers`: the gradient is exact where `forward` is the
/// product with `layers`, a straight-through estimate elsewhere.
pub(crate) fn loss_and_gradients_through<F: Real, S: Synapses<F>>(
    config: &NetworkConfig,
    forward: &[S],
    layers: &[Layer<F>],
    batch: Batch<'_>,
    key: EncodingKey,
    firing: Firing,
) -> BatchResult<F> {
    let n0 = config.sizes[0];
    let b = batch.labels.len();
    let scale = F::one() / F::of(b as f64);
    let chunk = b.div_ceil(CHUNKS).max(1);
    let zeros = || -> Vec<Layer<F>> {
        layers
            .iter()
            .map(|l| Layer::zeros(l.inputs, l.outputs))
            .collect()
    };
    let parts: Vec<(f64, usize, Vec<Layer<F>>)> = (0..b)
        .step_by(chunk)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            let mut grads = zeros();
            let mut sample = Sample::<F>::new(config);
            let mut scratch = Scratch::default();
            let mut dlogits = vec![F::zero(); *config.sizes.last().unwrap_or(&1)];
            let (mut loss, mut correct) = (0.0, 0);
            for k in start..(start + chunk).min(b) {
                sample.encode(
                    config,
                    &batch.images[k * n0..(k + 1) * n0],
                    key,
                    batch.ids[k],
                );
                sample.forward(config, forward, firing);
                let label = usize::from(batch.labels[k]);
                correct += usize::from(argmax(&sample.logits) == label);
                loss += cross_entropy(&sample.logits, label, scale, &mut dlogits);
                sample.backward(config, layers, &dlogits, &mut grads, &mut scratch);
            }
            (loss, correct, grads)
        })
        .collect();
    let mut total = zeros();
    let (mut loss, mut correct) = (0.0, 0);
    for (l, c, g) in parts {
        loss += l;
        correct += c;
        for (t, g) in total.iter_mut().zip(&g) {
            axpy(F::one(), &g.weights, &mut t.weights);
            axpy(F::one(), &g.bias, &mut t.bias);
        }
    }
    BatchResult {
        loss: loss / b as f64,
        correct,
        grads: total,
    }
}

/// Evaluation passes draw input spikes from this tag, distinct from every
/// training epoch.
pub(crate) const EVALUATION_PASS: u32 = u32::MAX;

/// Predicted class of every image (forward only), in parallel.
pub(crate) fn predict<F: Real, S: Synapses<F>>(
    config: &NetworkConfig,
    layers: &[S],
    images: &[f32],
    key: EncodingKey,
) -> Vec<usize> {
    each_forward(config, layers, images, key, |sample: &Sample<F>| {
        argmax(&sample.logits)
    })
}

/// The largest |input| each layer sees over `images` (forward through
/// `layers`, every time step).
pub(crate) fn input_maxima<F: Real, S: Synapses<F>>(
    config: &NetworkConfig,
    layers: &[S],
    images: &[f32],
    key: EncodingKey,
) -> Vec<f64> {
    let per_image = each_forward(config, layers, images, key, |sample: &Sample<F>| {
        (0..layers.len())
            .map(|l| {
                (0..config.time_steps())
                    .flat_map(|t| sample.input(config, l, t))
                    .fold(0.0f64, |m, x| m.max(x.as_f64().abs()))
            })
            .collect::<Vec<f64>>()
    });
    per_image.into_iter().fold(vec![0.0; layers.len()], |a, b| {
        a.iter().zip(&b).map(|(a, b)| a.max(*b)).collect()
    })
}

/// `out` of every image's forward pass (in image order), in parallel.
fn each_forward<F: Real, S: Synapses<F>, T: Send>(
    config: &NetworkConfig,
    layers: &[S],
    images: &[f32],
    key: EncodingKey,
    out: impl Fn(&Sample<F>) -> T + Sync + Send,
) -> Vec<T> {
    let n0 = config.sizes[0];
    let count = images.len() / n0;
    (0..count)
        .into_par_iter()
        .map_init(
            || Sample::<F>::new(config),
            |sample, k| {
                sample.encode(config, &images[k * n0..(k + 1) * n0], key, k);
                sample.forward(config, layers, Firing::Heaviside);
                out(sample)
            },
        )
        .collect()
}

/// The fraction of `predicted` classes that equal `labels`.
pub(crate) fn fraction_correct(predicted: &[usize], labels: &[u8]) -> f64 {
    let correct = predicted
        .iter()
        .zip(labels)
        .filter(|(&p, &l)| p == usize::from(l))
        .count();
    correct as f64 / labels.len().max(1) as f64
}

/// Mean loss of a batch (forward only) — for finite differences.
#[cfg(test)]
pub(crate) fn loss_only<F: Real>(
    config: &NetworkConfig,
    layers: &[Layer<F>],
    batch: Batch<'_>,
    key: EncodingKey,
    firing: Firing,
) -> f64 {
    let n0 = config.sizes[0];
    let b = batch.labels.len();
    let mut sample = Sample::<F>::new(config);
    let mut dlogits = vec![F::zero(); *config.sizes.last().unwrap_or(&1)];
    let mut loss = 0.0;
    for k in 0..b {
        sample.encode(
            config,
            &batch.images[k * n0..(k + 1) * n0],
            key,
            batch.ids[k],
        );
        sample.forward(config, layers, firing);
        loss += cross_entropy(
            &sample.logits,
            usize::from(batch.labels[k]),
            F::one(),
            &mut dlogits,
        );
    }
    loss / b as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::{Encoding, Network, NetworkKind, Readout, Surrogate};

    /// A tiny network in f64 and a batch of 3 random "images".
    fn tiny(config: &NetworkConfig, seed: u64) -> (Vec<Layer<f64>>, Vec<f32>, Vec<u8>) {
        let net = Network::new(config.clone(), seed).unwrap();
        // Scale up so that the smooth neurons are well inside their
        // sensitive range and every path carries gradient.
        let layers: Vec<Layer<f64>> = net
            .layers()
            .iter()
            .map(|l| {
                let mut l = l.cast::<f64>();
                l.weights.iter_mut().for_each(|w| *w *= 3.0);
                l
            })
            .collect();
        let mut rng = stream(seed, Stream::Shuffle, 99);
        let images = (0..3 * config.sizes[0])
            .map(|_| rng.random::<f32>())
            .collect();
        (layers, images, vec![0, 2, 1])
    }

    /// Largest relative error between the BPTT gradient and central finite
    /// differences of the smooth forward, over every parameter.
    fn gradient_error(config: &NetworkConfig) -> f64 {
        let (layers, images, labels) = tiny(config, 5);
        let ids = [0, 1, 2];
        let batch = Batch {
            images: &images,
            labels: &labels,
            ids: &ids,
        };
        let key = EncodingKey { seed: 3, pass: 0 };
        let analytic = loss_and_gradients(config, &layers, batch, key, Firing::Smooth).grads;
        let mut worst: f64 = 0.0;
        let mut norm: f64 = 0.0;
        let h = 1e-6;
        for l in 0..layers.len() {
            let count = layers[l].weights.len() + layers[l].bias.len();
            for p in 0..count {
                let perturbed = |delta: f64| {
                    let mut ls = layers.clone();
                    let n = ls[l].weights.len();
                    if p < n {
                        ls[l].weights[p] += delta;
                    } else {
                        ls[l].bias[p - n] += delta;
                    }
                    loss_only(config, &ls, batch, key, Firing::Smooth)
                };
                let numeric = (perturbed(h) - perturbed(-h)) / (2.0 * h);
                let n = analytic[l].weights.len();
                let exact = if p < n {
                    analytic[l].weights[p]
                } else {
                    analytic[l].bias[p - n]
                };
                worst = worst.max((numeric - exact).abs());
                norm = norm.max(exact.abs());
            }
        }
        assert!(
            norm > 1e-3,
            "gradient vanishes ({norm}): the check would be empty"
        );
        worst / norm
    }

    fn config(encoding: Encoding, surrogate: Surrogate, readout: Readout) -> NetworkConfig {
        NetworkConfig {
            sizes: vec![5, 4, 3, 3],
            kind: NetworkKind::Spiking,
            steps: 6,
            beta: 0.8,
            threshold: 0.7,
            encoding,
            surrogate,
            readout,
            detach_reset: false,
            layers: Vec::new(),
        }
    }

    #[test]
    fn bptt_matches_finite_differences_of_the_smooth_forward() {
        let cases = [
            (
                Encoding::Direct,
                Surrogate::FastSigmoid { slope: 2.0 },
                Readout::SpikeCount,
            ),
            (
                Encoding::Direct,
                Surrogate::Arctan { alpha: 2.0 },
                Readout::Membrane,
            ),
            (
                Encoding::Rate,
                Surrogate::FastSigmoid { slope: 3.0 },
                Readout::Membrane,
            ),
            (
                Encoding::Rate,
                Surrogate::Arctan { alpha: 1.5 },
                Readout::SpikeCount,
            ),
        ];
        for (encoding, surrogate, readout) in cases {
            let err = gradient_error(&config(encoding, surrogate, readout));
            assert!(
                err < 1e-4,
                "{encoding:?} {surrogate:?} {readout:?}: relative error {err:e}"
            );
        }
    }

    #[test]
    fn relu_gradient_matches_finite_differences() {
        let mut c = config(
            Encoding::Direct,
            Surrogate::FastSigmoid { slope: 1.0 },
            Readout::Membrane,
        );
        c.kind = NetworkKind::Relu;
        let err = gradient_error(&c);
        assert!(err < 1e-4, "relative error {err:e}");
    }

    #[test]
    fn detached_reset_drops_exactly_the_reset_path() {
        // With the reset detached the gradient differs from the full one
        // (the check above would catch a wrong reset path only if it
        // mattered): make sure it does matter here.
        let full = config(
            Encoding::Direct,
            Surrogate::FastSigmoid { slope: 2.0 },
            Readout::SpikeCount,
        );
        let detached = NetworkConfig {
            detach_reset: true,
            ..full.clone()
        };
        let (layers, images, labels) = tiny(&full, 5);
        let ids = [0, 1, 2];
        let batch = Batch {
            images: &images,
            labels: &labels,
            ids: &ids,
        };
        let key = EncodingKey { seed: 3, pass: 0 };
        let a = loss_and_gradients(&full, &layers, batch, key, Firing::Smooth).grads;
        let b = loss_and_gradients(&detached, &layers, batch, key, Firing::Smooth).grads;
        let diff = a[0]
            .weights
            .iter()
            .zip(&b[0].weights)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f64::max);
        assert!(diff > 1e-4, "reset path carries no gradient ({diff})");
    }

    #[test]
    fn gradients_do_not_depend_on_thread_count() {
        let c = NetworkConfig::default();
        let net = Network::new(c.clone(), 1).unwrap();
        let mut rng = stream(1, Stream::Shuffle, 1);
        let images: Vec<f32> = (0..37 * 784).map(|_| rng.random::<f32>() * 0.5).collect();
        let labels: Vec<u8> = (0..37).map(|k| (k % 10) as u8).collect();
        let ids: Vec<usize> = (0..37).collect();
        let batch = Batch {
            images: &images,
            labels: &labels,
            ids: &ids,
        };
        let key = EncodingKey { seed: 9, pass: 2 };
        let run = |threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap()
                .install(|| loss_and_gradients(&c, net.layers(), batch, key, Firing::Heaviside))
        };
        let (one, two) = (run(1), run(2));
        assert_eq!(one.loss, two.loss);
        assert_eq!(one.grads, two.grads);
        assert!(one.grads[0].weights.iter().any(|&g| g != 0.0));
    }
}
