//! The training loop: shuffled mini-batches, surrogate-gradient BPTT, Adam,
//! and hardware-aware noise injection.
//!
//! **Noise injection** (Joshi et al., "Accurate deep neural network
//! inference using computational phase-change memory", Nat. Commun. 11,
//! 2473, 2020): each mini-batch runs forward and backward on perturbed
//! weights `W̃ = W + σ·max|W|·ξ`, `ξ ~ N(0, 1)` drawn fresh per batch and
//! per layer, and the gradient updates the clean `W` (straight-through).
//! Optionally the perturbation comes from a device model instead: every
//! batch the layer is programmed onto a fresh instance of the device and
//! read back ([`crate::hardware::DeviceInjection`]), at a random time with
//! global drift compensation when drift is in the loop. Weights are clipped
//! to `±clip·std(W)` after each step, which keeps outliers from setting
//! the conductance scale.

use std::time::Instant;

use rand::seq::SliceRandom;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use xbar_devices::pulse::WriteTally;

use crate::bptt::{
    fraction_correct, loss_and_gradients, predict, Batch, EncodingKey, Firing, EVALUATION_PASS,
};
use crate::hardware::DeviceInjection;
use crate::mnist::Dataset;
use crate::network::{Layer, Network};
use crate::optim::{Adam, AdamConfig};
use crate::real::Real;
use crate::rng::{stream, Stream};

/// Learning-rate schedule over the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Schedule {
    /// The same step size throughout.
    Constant,
    /// `lr·½(1 + cos(π·k/K))` over the `K` batches of the run
    /// (Loshchilov & Hutter, ICLR 2017, without restarts).
    Cosine,
}

impl Schedule {
    /// The step size's factor at `step` of `total_steps`.
    pub(crate) fn scale(self, step: u64, total_steps: f64) -> f64 {
        match self {
            Schedule::Constant => 1.0,
            Schedule::Cosine => {
                0.5 * (1.0 + (std::f64::consts::PI * step as f64 / total_steps).cos())
            }
        }
    }
}

/// Hardware-aware training. [`NoiseInjection::default`] is off; one switch,
/// [`NoiseInjection::on`], gives the settings the README's table uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NoiseInjection {
    /// Gaussian weight noise, σ relative to each layer's max |w|; 0 = none.
    pub weight_noise: f64,
    /// Clip weights to `±clip·std(W)` after each step; `None` = no clip.
    pub clip_sigma: Option<f64>,
    /// Program and read each batch's weights through this device model.
    pub device: Option<DeviceInjection>,
}

impl Default for NoiseInjection {
    fn default() -> Self {
        NoiseInjection {
            weight_noise: 0.0,
            clip_sigma: None,
            device: None,
        }
    }
}

impl NoiseInjection {
    /// The hardware-aware default: 7 % weight noise, clip at 2.5σ.
    pub fn on() -> Self {
        NoiseInjection {
            weight_noise: 0.07,
            clip_sigma: Some(2.5),
            device: None,
        }
    }

    /// Whether anything is injected or clipped.
    pub fn is_on(&self) -> bool {
        self.weight_noise > 0.0 || self.clip_sigma.is_some() || self.device.is_some()
    }
}

/// How to train.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TrainConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per mini-batch (the last batch may be smaller).
    pub batch_size: usize,
    /// Adam.
    pub optimizer: AdamConfig,
    /// Learning-rate schedule.
    pub schedule: Schedule,
    /// Seed of initialisation, shuffling, input spikes and noise.
    pub seed: u64,
    /// Hardware-aware training (off by default).
    pub noise: NoiseInjection,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 1,
            batch_size: 128,
            optimizer: AdamConfig::default(),
            schedule: Schedule::Constant,
            seed: 1,
            noise: NoiseInjection::default(),
        }
    }
}

/// A training setting outside its domain.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// A field of the configuration, with what was expected.
    #[error("training.{field}: {message}")]
    Config {
        /// Key name.
        field: String,
        /// What was expected and found.
        message: String,
    },
    /// The data does not fit the network.
    #[error("data: {0}")]
    Data(String),
    /// The loss became NaN or infinite (learning rate too high?).
    #[error("training diverged at epoch {epoch}, batch {batch}: loss is {loss}; lower the learning rate")]
    Diverged {
        /// Epoch (from 1).
        epoch: usize,
        /// Batch (from 1).
        batch: usize,
        /// The non-finite loss.
        loss: f64,
    },
    /// Device injection failed.
    #[error("device injection: {0}")]
    Hardware(#[from] crate::hardware::HardwareError),
}

fn config_error(field: &str, message: String) -> TrainError {
    TrainError::Config {
        field: field.into(),
        message,
    }
}

impl TrainConfig {
    /// Checks every field's domain.
    pub fn validate(&self) -> Result<(), TrainError> {
        if self.epochs == 0 {
            return Err(config_error("epochs", "expected ≥ 1, found 0".into()));
        }
        if self.batch_size == 0 {
            return Err(config_error("batch_size", "expected ≥ 1, found 0".into()));
        }
        let o = &self.optimizer;
        if !(o.learning_rate.is_finite() && o.learning_rate > 0.0) {
            return Err(config_error(
                "optimizer.learning_rate",
                format!("expected a finite value > 0, found {}", o.learning_rate),
            ));
        }
        for (name, b) in [("optimizer.beta1", o.beta1), ("optimizer.beta2", o.beta2)] {
            if !(0.0..1.0).contains(&b) {
                return Err(config_error(
                    name,
                    format!("expected a value in [0, 1), found {b}"),
                ));
            }
        }
        if !(o.epsilon.is_finite() && o.epsilon > 0.0) {
            return Err(config_error(
                "optimizer.epsilon",
                format!("expected a finite value > 0, found {}", o.epsilon),
            ));
        }
        let n = &self.noise;
        if !(n.weight_noise.is_finite() && (0.0..=1.0).contains(&n.weight_noise)) {
            return Err(config_error(
                "noise.weight_noise",
                format!("expected σ/max|w| in [0, 1], found {}", n.weight_noise),
            ));
        }
        if let Some(c) = n.clip_sigma {
            if !(c.is_finite() && c > 0.0) {
                return Err(config_error(
                    "noise.clip_sigma",
                    format!("expected a finite value > 0, found {c}"),
                ));
            }
        }
        if let Some(d) = &n.device {
            d.validate()?;
        }
        Ok(())
    }
}

/// What happened in one epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// Epoch number, from 1.
    pub epoch: usize,
    /// Mean training loss (cross-entropy, nats).
    pub train_loss: f64,
    /// Fraction of training samples classified right during the epoch.
    pub train_accuracy: f64,
    /// Test accuracy after the epoch, when a test set was given.
    pub test_accuracy: Option<f64>,
    /// Wall time of the epoch's training (s), without the test evaluation.
    pub epoch_time_s: f64,
    /// In-situ training: each array's write pulses and `Σ g` over them,
    /// from the start of training to the end of this epoch (empty for
    /// training in software).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub writes: Vec<WriteTally>,
}

/// Progress reports for a front end (progress bar, log).
#[derive(Debug, Clone, PartialEq)]
pub enum Progress<'a> {
    /// A batch finished.
    Batch {
        /// Epoch, from 1.
        epoch: usize,
        /// Batch, from 1.
        batch: usize,
        /// Batches per epoch.
        batches: usize,
        /// Running mean loss of this epoch.
        loss: f64,
        /// Running training accuracy of this epoch.
        accuracy: f64,
    },
    /// An epoch finished (after its test evaluation).
    Epoch(&'a EpochStats),
}

fn check_data(net: &Network, data: &Dataset, what: &str) -> Result<(), TrainError> {
    let sizes = &net.config().sizes;
    if data.pixels() != sizes[0] {
        return Err(TrainError::Data(format!(
            "{what} images have {} pixels but the network has {} inputs",
            data.pixels(),
            sizes[0]
        )));
    }
    let classes = *sizes.last().unwrap_or(&0);
    if let Some(&l) = data.labels().iter().find(|&&l| usize::from(l) >= classes) {
        return Err(TrainError::Data(format!(
            "{what} set has label {l}, which needs at least {} output neurons; the network has {classes}",
            usize::from(l) + 1
        )));
    }
    if data.is_empty() {
        return Err(TrainError::Data(format!("{what} set is empty")));
    }
    Ok(())
}

/// Trains `net` in place on `train`, evaluating on `test` after each epoch
/// when given. Deterministic for a given seed, whatever the thread count.
///
/// # Errors
/// A configuration outside its domain, data that does not fit the network,
/// or a diverging loss.
pub fn train(
    net: &mut Network,
    train: &Dataset,
    test: Option<&Dataset>,
    config: &TrainConfig,
    on_progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<EpochStats>, TrainError> {
    config.validate()?;
    check_data(net, train, "training")?;
    if let Some(test) = test {
        check_data(net, test, "test")?;
    }
    let batches = train.len().div_ceil(config.batch_size);
    let mut learner = OfflineLearner {
        adam: Adam::new(config.optimizer, net.layers()),
        net,
        config,
        total_steps: (batches * config.epochs) as f64,
    };
    let schedule = EpochSchedule {
        epochs: config.epochs,
        batch_size: config.batch_size,
        seed: config.seed,
    };
    run_epochs(&mut learner, train, test, schedule, on_progress)
}

/// One learning step per batch and a test accuracy: what differs between
/// training in software and on the arrays; [`run_epochs`] does the rest.
pub(crate) trait Learner {
    /// Values per input image.
    fn input_len(&self) -> usize;
    /// Learns from one batch (the `step`-th of the run); returns the
    /// batch's mean loss and number classified right.
    fn step(
        &mut self,
        batch: Batch<'_>,
        key: EncodingKey,
        step: u64,
    ) -> Result<(f64, usize), TrainError>;
    /// Accuracy on `test` after an epoch.
    fn test_accuracy(&mut self, test: &Dataset, seed: u64) -> Result<f64, TrainError>;
    /// Write pulses so far, per array (none for training in software).
    fn writes(&self) -> Vec<WriteTally> {
        Vec::new()
    }
}

/// How batches are drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EpochSchedule {
    pub epochs: usize,
    pub batch_size: usize,
    pub seed: u64,
}

/// The epoch loop shared by every trainer: shuffles (seeded per epoch),
/// gathers each batch, calls [`Learner::step`], stops on a non-finite loss,
/// reports progress, and evaluates on `test` after each epoch.
pub(crate) fn run_epochs(
    learner: &mut dyn Learner,
    train: &Dataset,
    test: Option<&Dataset>,
    schedule: EpochSchedule,
    on_progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Vec<EpochStats>, TrainError> {
    let n0 = learner.input_len();
    let size = schedule.batch_size;
    let batches = train.len().div_ceil(size);
    let mut images = vec![0f32; size * n0];
    let mut labels = vec![0u8; size];
    let mut history = Vec::new();
    let mut step = 0u64;
    for epoch in 1..=schedule.epochs {
        let start = Instant::now();
        let mut order: Vec<usize> = (0..train.len()).collect();
        order.shuffle(&mut stream(schedule.seed, Stream::Shuffle, epoch as u64));
        let (mut loss_sum, mut correct, mut seen) = (0.0, 0usize, 0usize);
        for (b, ids) in order.chunks(size).enumerate() {
            for (k, &i) in ids.iter().enumerate() {
                images[k * n0..(k + 1) * n0].copy_from_slice(train.image(i));
                labels[k] = train.label(i);
            }
            let batch = Batch {
                images: &images[..ids.len() * n0],
                labels: &labels[..ids.len()],
                ids,
            };
            let key = EncodingKey {
                seed: schedule.seed,
                pass: epoch as u32,
            };
            let (loss, right) = learner.step(batch, key, step)?;
            if !loss.is_finite() {
                return Err(TrainError::Diverged {
                    epoch,
                    batch: b + 1,
                    loss,
                });
            }
            step += 1;
            loss_sum += loss * ids.len() as f64;
            correct += right;
            seen += ids.len();
            on_progress(Progress::Batch {
                epoch,
                batch: b + 1,
                batches,
                loss: loss_sum / seen as f64,
                accuracy: correct as f64 / seen as f64,
            });
        }
        let epoch_time_s = start.elapsed().as_secs_f64();
        let test_accuracy = match test {
            Some(t) => Some(learner.test_accuracy(t, schedule.seed)?),
            None => None,
        };
        let stats = EpochStats {
            epoch,
            train_loss: loss_sum / seen as f64,
            train_accuracy: correct as f64 / seen as f64,
            test_accuracy,
            epoch_time_s,
            writes: learner.writes(),
        };
        on_progress(Progress::Epoch(&stats));
        history.push(stats);
    }
    Ok(history)
}

/// Training in software: Adam on the clean weights, gradients through the
/// (optionally perturbed) weights.
struct OfflineLearner<'a> {
    net: &'a mut Network,
    adam: Adam,
    config: &'a TrainConfig,
    total_steps: f64,
}

impl Learner for OfflineLearner<'_> {
    fn input_len(&self) -> usize {
        self.net.config().sizes[0]
    }

    fn step(
        &mut self,
        batch: Batch<'_>,
        key: EncodingKey,
        step: u64,
    ) -> Result<(f64, usize), TrainError> {
        let config = self.config;
        let net_config = self.net.config();
        let result = if perturbs(&config.noise) {
            let noisy = perturbed(self.net.layers(), &config.noise, config.seed, step)?;
            loss_and_gradients(net_config, &noisy, batch, key, Firing::Heaviside)
        } else {
            loss_and_gradients(net_config, self.net.layers(), batch, key, Firing::Heaviside)
        };
        if result.loss.is_finite() {
            let lr_scale = config.schedule.scale(step, self.total_steps);
            self.adam
                .step(self.net.layers_mut(), &result.grads, lr_scale);
            if let Some(c) = config.noise.clip_sigma {
                self.net
                    .layers_mut()
                    .iter_mut()
                    .for_each(|l| clip(&mut l.weights, c));
            }
        }
        Ok((result.loss, result.correct))
    }

    fn test_accuracy(&mut self, test: &Dataset, seed: u64) -> Result<f64, TrainError> {
        Ok(accuracy(self.net, test, seed))
    }
}

/// Whether the forward pass runs on perturbed weights (clipping alone
/// acts on the clean weights after the step).
fn perturbs(noise: &NoiseInjection) -> bool {
    noise.weight_noise > 0.0 || noise.device.is_some()
}

/// This batch's perturbed copy of `layers`.
fn perturbed(
    layers: &[Layer<f32>],
    noise: &NoiseInjection,
    seed: u64,
    step: u64,
) -> Result<Vec<Layer<f32>>, TrainError> {
    let mut out = match &noise.device {
        Some(device) => device.inject(layers, seed, step)?,
        None => layers.to_vec(),
    };
    if noise.weight_noise > 0.0 {
        for (l, layer) in out.iter_mut().enumerate() {
            let sigma = (noise.weight_noise * layers[l].max_abs_weight()) as f32;
            let mut rng = stream(seed, Stream::WeightNoise, (step << 8) | l as u64);
            for w in &mut layer.weights {
                let xi: f32 = StandardNormal.sample(&mut rng);
                *w += sigma * xi;
            }
        }
    }
    Ok(out)
}

/// Clips `weights` to `±c·std(W)`.
pub(crate) fn clip<F: Real>(weights: &mut [F], c: f64) {
    let n = weights.len() as f64;
    let mean = weights.iter().map(|w| w.as_f64()).sum::<f64>() / n;
    let var = weights
        .iter()
        .map(|w| (w.as_f64() - mean).powi(2))
        .sum::<f64>()
        / n;
    let bound = F::of(c * var.sqrt());
    if bound > F::zero() {
        weights
            .iter_mut()
            .for_each(|w| *w = w.max(-bound).min(bound));
    }
}

/// Fraction of `data` that `net` classifies right (software forward pass;
/// rate-coded inputs drawn from `seed`).
pub fn accuracy(net: &Network, data: &Dataset, seed: u64) -> f64 {
    let key = EncodingKey {
        seed,
        pass: EVALUATION_PASS,
    };
    let predicted = predict::<f32, _>(net.config(), net.layers(), data.images(), key);
    fraction_correct(&predicted, data.labels())
}
