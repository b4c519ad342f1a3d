//! In-situ training: the network learns on the arrays themselves.
//!
//! Each mini-batch reads every layer's array pair once (read noise), runs
//! forward and backward through the read weights (surrogate-gradient BPTT,
//! digital neurons), and turns the SGD update `Δw = −lr·∂L/∂w` into pulses:
//! `n = ⌊|Δw|/Δw_min + u⌋`, `u ~ U(0, 1)` (stochastic rounding), with
//! `Δw_min` the weight change of one nominal pulse, `(G_max − G_min)/P_max`
//! in weight units (NeuroSim; Chen et al., IEEE TCAD 37(12), 2018). The
//! pulses go through the device's LTP/LTD model with its cycle-to-cycle
//! noise ([`xbar_devices::DeviceArray::apply_pulses`]). The sign of `Δw` picks the
//! device: an increase potentiates `G⁺` or depresses `G⁻`, a decrease
//! potentiates `G⁻` or depresses `G⁺` — whichever of the two has more room
//! to move, judged from the batch's read, so that a pair does not stall at
//! a bound (Burr et al., IEEE TED 62(11), 2015, use occasional refresh
//! instead). Nonlinear, asymmetric, noisy and bounded updates are exactly
//! what separates devices here.

use nalgebra::DMatrix;
use rand::Rng;
use serde::{Deserialize, Serialize};
use xbar_crossbar::{Solver, Wires};
use xbar_devices::pulse::WriteTally;
use xbar_devices::{DeviceError, DeviceSpec};

use crate::bptt::{
    fraction_correct, loss_and_gradients, Batch, EncodingKey, Firing, EVALUATION_PASS,
};
use crate::cells::CellReadKind;
use crate::hardware::{HardwareError, ProgrammedLayer};
use crate::mnist::Dataset;
use crate::network::{Layer, Network};
use crate::neurosim::NeurosimConfig;
use crate::rng::{stream, Stream};
use crate::train::{run_epochs, EpochSchedule, EpochStats, Learner, Progress, TrainError};

/// How to train on the arrays: the `[insitu]` section of a config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InsituConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per batch.
    pub batch_size: usize,
    /// SGD step size.
    pub learning_rate: f64,
    /// Weight magnitude mapped to the full conductance range (`w_max`).
    pub w_max: f64,
    /// Voltage (V) of a spike on a word line. It sets how far up a
    /// nonlinear cell's I-V (`[iv]`, `[access]`) a read goes: a spiking
    /// network's binary inputs read each cell as `I(g, V, 0)/V`
    /// ([`crate::cells::CellReadKind::read_conductance`]). Ohmic cells do
    /// not depend on it.
    pub read_voltage_v: f64,
    /// Which training scheme: `"snn"` (this module, the default) or
    /// `"neurosim"` (MLP_NeuroSim's protocol, [`crate::neurosim`]).
    pub protocol: Protocol,
    /// `[insitu.neurosim]`: the NeuroSim protocol's settings (read only
    /// under `protocol = "neurosim"`, which uses `epochs` and none of
    /// `batch_size`, `learning_rate`, `w_max`).
    pub neurosim: NeurosimConfig,
}

/// The in-situ training scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protocol {
    /// The spiking network of `[network]`, mini-batch BPTT, G⁺/G⁻ pairs.
    #[default]
    Snn,
    /// MLP_NeuroSim V3.0's 400-100-10 MLP, per-image SGD, one device per
    /// weight ([`crate::neurosim`]).
    Neurosim,
}

impl Default for InsituConfig {
    /// 1 epoch, batch 64, lr 0.1, `w_max = 0.5`, 0.2 V reads (the
    /// inference arrays' default).
    fn default() -> Self {
        InsituConfig {
            epochs: 1,
            batch_size: 64,
            learning_rate: 0.1,
            w_max: 0.5,
            read_voltage_v: 0.2,
            protocol: Protocol::Snn,
            neurosim: NeurosimConfig::default(),
        }
    }
}

impl InsituConfig {
    /// Checks every field; errors name the field (`learning_rate`).
    ///
    /// # Errors
    /// The first field outside its domain.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |field: &str, message: String| TrainError::Config {
            field: field.into(),
            message,
        };
        if self.epochs == 0 {
            return Err(bad("epochs", "expected ≥ 1, found 0".into()));
        }
        if self.batch_size == 0 {
            return Err(bad("batch_size", "expected ≥ 1, found 0".into()));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Err(bad(
                "learning_rate",
                format!("expected a finite value > 0, found {}", self.learning_rate),
            ));
        }
        if !(self.w_max.is_finite() && self.w_max > 0.0) {
            return Err(bad(
                "w_max",
                format!("expected a finite value > 0, found {}", self.w_max),
            ));
        }
        if !(self.read_voltage_v.is_finite() && self.read_voltage_v > 0.0) {
            return Err(bad(
                "read_voltage_v",
                format!(
                    "expected a finite voltage > 0, found {}",
                    self.read_voltage_v
                ),
            ));
        }
        if self.protocol == Protocol::Neurosim {
            self.neurosim.validate()?;
        }
        Ok(())
    }
}

/// A network living on arrays, trained by pulses.
pub struct InsituNetwork {
    net: Network,
    layers: Vec<ProgrammedLayer>,
    device: DeviceSpec,
    config: InsituConfig,
    seed: u64,
    /// Each layer's array: pulses applied and `Σ g` over them, so far.
    writes: Vec<WriteTally>,
}

impl InsituNetwork {
    /// Programs `net`'s initial weights (clipped to `±w_max`) onto fresh
    /// arrays of `device`, one G⁺/G⁻ array per layer. `seed` drives the
    /// devices, shuffling, input spikes and pulse rounding.
    ///
    /// # Errors
    /// A setting outside its domain, or a device without a pulse model.
    pub fn new(
        net: Network,
        device: DeviceSpec,
        config: InsituConfig,
        seed: u64,
    ) -> Result<Self, TrainError> {
        config.validate()?;
        device
            .validate()
            .map_err(|e| HardwareError::from(DeviceError::from(e)))?;
        if device.pulse.is_none() {
            return Err(
                HardwareError::Device(DeviceError::NoPulseModel(device.name.clone())).into(),
            );
        }
        // A nonlinear cell reads binary inputs linearly (`I(g, V, 0)/V`),
        // analogue ones not: BPTT needs one weight matrix per layer.
        let spikes_at = match CellReadKind::of(&device) {
            CellReadKind::Linear(_) => None,
            CellReadKind::Nonlinear(_) if net.config().binary_input() => {
                Some(config.read_voltage_v)
            }
            CellReadKind::Nonlinear(_) => {
                return Err(TrainError::Config {
                    field: "device.iv".into(),
                    message: format!(
                        "device `{}` has a nonlinear I-V or a transistor ([iv]/[access]), and in-situ training reads it through one weight matrix per layer, which a nonlinear cell has for binary inputs only: train a rate-coded spiking network (network.kind = \"spiking\", encoding = \"rate\"), or remove [iv]/[access]",
                        device.name
                    ),
                });
            }
        };
        let layers = net
            .layers()
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let mut clipped = layer.clone();
                let w = config.w_max as f32;
                clipped.weights.iter_mut().for_each(|v| *v = v.clamp(-w, w));
                let mut pl = ProgrammedLayer::program(
                    &clipped,
                    &device,
                    config.w_max,
                    (layer.inputs, 2 * layer.outputs),
                    seed.wrapping_mul(0x9E37_79B9).wrapping_add(l as u64),
                )?;
                pl.spikes_at = spikes_at;
                Ok(pl)
            })
            .collect::<Result<Vec<_>, HardwareError>>()?;
        let writes = layers
            .iter()
            .map(|pl| {
                let (rows, cols) = pl.tiles[0].1.shape();
                WriteTally::new(rows, cols)
            })
            .collect();
        Ok(InsituNetwork {
            net,
            layers,
            device,
            config,
            seed,
            writes,
        })
    }

    /// Each layer's array (one per layer): the write pulses applied since
    /// the start of training and `Σ g` of the conductance each met
    /// ([`xbar_devices::DeviceArray::apply_pulses`]), for the write energy
    /// (`xbar_cost::write_cost`).
    pub fn writes(&self) -> &[WriteTally] {
        &self.writes
    }

    /// The weights as the arrays hold them now (one noisy read at t = 0).
    pub fn read(&mut self) -> Result<Network, TrainError> {
        let layers = self.read_layers()?;
        Network::from_layers(self.net.config().clone(), layers).map_err(|e| TrainError::Config {
            field: "network".into(),
            message: e.to_string(),
        })
    }

    fn read_layers(&mut self) -> Result<Vec<Layer<f32>>, TrainError> {
        let mut out = Vec::with_capacity(self.layers.len());
        for (pl, layer) in self.layers.iter_mut().zip(self.net.layers()) {
            let tiles = pl.read(0.0, &Wires::ideal(), Solver::Auto, false)?;
            out.push(pl.collapse(&tiles, &layer.bias));
        }
        Ok(out)
    }

    /// Test accuracy through one read of the arrays.
    pub fn accuracy(&mut self, data: &Dataset) -> Result<f64, TrainError> {
        let layers = self.read_layers()?;
        let key = EncodingKey {
            seed: self.seed,
            pass: EVALUATION_PASS,
        };
        let predicted =
            crate::bptt::predict::<f32, _>(self.net.config(), &layers, data.images(), key);
        Ok(fraction_correct(&predicted, data.labels()))
    }

    /// Trains on `train` for the configured epochs; biases are digital and
    /// follow plain SGD.
    pub fn train(
        &mut self,
        train: &Dataset,
        test: Option<&Dataset>,
        on_progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Vec<EpochStats>, TrainError> {
        let n0 = self.net.config().sizes[0];
        if train.pixels() != n0 {
            return Err(TrainError::Data(format!(
                "training images have {} pixels but the network has {n0} inputs",
                train.pixels()
            )));
        }
        let schedule = EpochSchedule {
            epochs: self.config.epochs,
            batch_size: self.config.batch_size,
            seed: self.seed,
        };
        run_epochs(self, train, test, schedule, on_progress)
    }
}

impl Learner for InsituNetwork {
    fn input_len(&self) -> usize {
        self.net.config().sizes[0]
    }

    /// Reads the arrays, back-propagates through the read weights and
    /// applies the update as pulses.
    fn step(
        &mut self,
        batch: Batch<'_>,
        key: EncodingKey,
        step: u64,
    ) -> Result<(f64, usize), TrainError> {
        let (cfg, device) = (&self.config, &self.device);
        let pulse = device
            .pulse
            .as_ref()
            .ok_or_else(|| HardwareError::Device(DeviceError::NoPulseModel(device.name.clone())))?;
        let dw_min = pulse.step_fraction() * cfg.w_max;
        let (lr, seed) = (cfg.learning_rate, self.seed);
        let range = (device.g_min.siemens(), device.g_max.siemens());
        let read = self.read_layers()?;
        let result = loss_and_gradients(self.net.config(), &read, batch, key, Firing::Heaviside);
        if !result.loss.is_finite() {
            return Ok((result.loss, result.correct));
        }
        let mut rng = stream(seed, Stream::Pulses, step);
        for (l, grad) in result.grads.iter().enumerate() {
            // One array per layer (see `new`).
            let array = &mut self.layers[l].tiles[0].1;
            let pulses = pulse_counts(array.conductances(), grad, lr, dw_min, range, &mut rng);
            let tally = array.apply_pulses(&pulses).map_err(HardwareError::from)?;
            self.writes[l] += tally;
            let bias = &mut self.net.layers_mut()[l].bias;
            for (b, g) in bias.iter_mut().zip(&grad.bias) {
                *b -= lr as f32 * g;
            }
        }
        Ok((result.loss, result.correct))
    }

    fn test_accuracy(&mut self, test: &Dataset, _seed: u64) -> Result<f64, TrainError> {
        self.accuracy(test)
    }

    fn writes(&self) -> Vec<WriteTally> {
        self.writes.clone()
    }
}

/// Pulse counts for the physical array (inputs × 2·outputs, columns
/// `[G⁺₀, G⁻₀, …]`, conductances `g` in S) that realise `Δw = −lr·grad`.
fn pulse_counts(
    g: &DMatrix<f64>,
    grad: &Layer<f32>,
    lr: f64,
    dw_min: f64,
    (g_min, g_max): (f64, f64),
    rng: &mut impl Rng,
) -> DMatrix<i32> {
    let (rows, outs) = (grad.inputs, grad.outputs);
    let mut pulses = DMatrix::<i32>::zeros(rows, 2 * outs);
    for i in 0..rows {
        for j in 0..outs {
            let dw = -lr * f64::from(grad.weights[i * outs + j]);
            let x = dw.abs() / dw_min;
            let n = (x.floor() + f64::from(u8::from(rng.random::<f64>() < x.fract()))) as i32;
            if n == 0 {
                continue;
            }
            let (gp, gm) = (g[(i, 2 * j)], g[(i, 2 * j + 1)]);
            // An increase raises G⁺ (room g_max − G⁺) or lowers G⁻ (room
            // G⁻ − g_min); a decrease raises G⁻ or lowers G⁺.
            let (plus, minus) = if dw > 0.0 {
                if g_max - gp >= gm - g_min {
                    (n, 0)
                } else {
                    (0, -n)
                }
            } else if g_max - gm >= gp - g_min {
                (0, n)
            } else {
                (-n, 0)
            };
            pulses[(i, 2 * j)] = plus;
            pulses[(i, 2 * j + 1)] = minus;
        }
    }
    pulses
}
