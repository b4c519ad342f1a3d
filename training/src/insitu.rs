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
//!
//! **Cells with a nonlinear I-V or an access transistor** (`[iv]`,
//! `[access]`). A binary input (a spike at `V_read`) reads a cell as the
//! conductance `I(g, V_read, 0)/V_read`, so a layer of spikes is still one
//! weight matrix. A layer with analogue inputs — every layer of a ReLU
//! network, the first of a direct-coded spiking one — is read through its
//! cells in the forward pass, as an evaluation reads it
//! ([`crate::cells`]): input `x` drives its word line at `x·V_read/x_max`,
//! `x_max` the layer's input full scale (1 for pixels; for a hidden layer
//! the largest input it sees on the first
//! [`crate::hardware::CALIBRATION_IMAGES`] images trained or tested on,
//! through the arrays' first read, fixed from then on), with ideal wires.
//! The backward pass runs through a second read of the arrays as weights
//! at `V_read` (the periphery propagates errors digitally), and the update
//! is `x ⊗ δ`, as for any cell: a straight-through estimate of the cells'
//! nonlinearity, which the forward pass and the test accuracy feel in full.

use nalgebra::DMatrix;
use rand::Rng;
use serde::{Deserialize, Serialize};
use xbar_crossbar::{Solver, Wires};
use xbar_devices::pulse::WriteTally;
use xbar_devices::{Cell, DeviceError, DeviceSpec};

use crate::bptt::{
    fraction_correct, input_maxima, loss_and_gradients_through, Batch, EncodingKey, Firing,
    Synapses, EVALUATION_PASS,
};
use crate::cells::{CellLayer, CellReadKind, CellSynapses};
use crate::hardware::{HardwareError, ProgrammedLayer, CALIBRATION_IMAGES};
use crate::mnist::Dataset;
use crate::network::{Layer, Network, NetworkKind};
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
    /// Read voltage (V): a spike's on a word line, and an analogue input's
    /// at its full scale. It sets how far up a nonlinear cell's I-V
    /// (`[iv]`, `[access]`) a read goes: binary inputs read each cell as
    /// `I(g, V, 0)/V` ([`crate::cells::CellReadKind::read_conductance`]),
    /// analogue ones through the cells (see the module docs). Ohmic cells
    /// do not depend on it.
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
    /// The nonlinear cell of the device, if it has one.
    cell: Option<Cell>,
    /// Which layers take analogue inputs.
    analogue: Vec<bool>,
    /// Each layer's input full scale `x_max`, once calibrated.
    full_scales: Option<Vec<f64>>,
}

/// A layer's forward product in training: its read weights, or a read
/// through its cells.
enum Forward<'a> {
    Weights(&'a Layer<f32>),
    Cells(Box<CellSynapses>),
}

impl Synapses<f32> for Forward<'_> {
    fn product(&self, x: &[f32], out: &mut [f32]) {
        match self {
            Forward::Weights(layer) => layer.product(x, out),
            Forward::Cells(cells) => cells.product(x, out),
        }
    }
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
        // analogue ones through the cells (see the module docs).
        let cell = CellReadKind::of(&device).nonlinear();
        let spikes_at = cell.map(|_| config.read_voltage_v);
        let analogue: Vec<bool> = (0..net.layers().len())
            .map(|l| {
                let c = net.config();
                c.kind == NetworkKind::Relu || (l == 0 && !c.binary_input())
            })
            .collect();
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
            cell,
            analogue,
            full_scales: None,
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

    /// Each layer's input full scale: calibrated on the first
    /// [`CALIBRATION_IMAGES`] of `images` through the `read` weights when
    /// not yet — the largest input each layer sees (pixels: 1, the DAC's
    /// full scale as in an evaluation) — and fixed from then on.
    fn full_scales(&mut self, read: &[Layer<f32>], images: &[f32]) -> Vec<f64> {
        if let Some(scales) = &self.full_scales {
            return scales.clone();
        }
        let n0 = self.net.config().sizes[0];
        let count = (images.len() / n0).min(CALIBRATION_IMAGES);
        let key = EncodingKey {
            seed: self.seed,
            pass: EVALUATION_PASS,
        };
        let maxima = input_maxima::<f32, _>(self.net.config(), read, &images[..count * n0], key);
        let scales: Vec<f64> = maxima
            .iter()
            .enumerate()
            .map(|(l, &m)| {
                if l == 0 {
                    1.0
                } else {
                    m.max(f64::from(f32::MIN_POSITIVE))
                }
            })
            .collect();
        self.full_scales = Some(scales.clone());
        scales
    }

    /// The forward products of a step: each layer's `read` weights, or,
    /// for a layer with analogue inputs on a nonlinear cell, a read of its
    /// array through the cells at its input full scale (calibrated on
    /// `images` when not yet).
    fn forward<'a>(
        &mut self,
        read: &'a [Layer<f32>],
        images: &[f32],
    ) -> Result<Vec<Forward<'a>>, TrainError> {
        let Some(cell) = self.cell.filter(|_| self.analogue.contains(&true)) else {
            return Ok(read.iter().map(Forward::Weights).collect());
        };
        let full_scales = self.full_scales(read, images);
        let v_read = self.config.read_voltage_v;
        let mut out = Vec::with_capacity(read.len());
        for (l, (pl, weights)) in self.layers.iter_mut().zip(read).enumerate() {
            if !self.analogue[l] {
                out.push(Forward::Weights(weights));
                continue;
            }
            let how = (Solver::Linearised, v_read);
            let tiles = pl.read_cells(0.0, &Wires::ideal(), how, cell, false, None)?;
            out.push(Forward::Cells(Box::new(CellSynapses {
                layer: CellLayer::new(tiles, None, None, (v_read / full_scales[l], false)),
                bias: weights.bias.clone(),
            })));
        }
        Ok(out)
    }

    /// Test accuracy through one read of the arrays (through their cells
    /// where the inputs are analogue).
    pub fn accuracy(&mut self, data: &Dataset) -> Result<f64, TrainError> {
        let layers = self.read_layers()?;
        let forward = self.forward(&layers, data.images())?;
        let key = EncodingKey {
            seed: self.seed,
            pass: EVALUATION_PASS,
        };
        let predicted =
            crate::bptt::predict::<f32, _>(self.net.config(), &forward, data.images(), key);
        first_error(&forward)?;
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
        if self.cell.is_some() && self.analogue.contains(&true) {
            // The input full scales from the training images.
            let read = self.read_layers()?;
            self.full_scales(&read, train.images());
        }
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
        let forward = self.forward(&read, batch.images)?;
        let config = self.net.config();
        let result =
            loss_and_gradients_through(config, &forward, &read, batch, key, Firing::Heaviside);
        first_error(&forward)?;
        drop(forward);
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

/// The first error a read through cells met in a pass.
fn first_error(forward: &[Forward<'_>]) -> Result<(), TrainError> {
    for layer in forward {
        if let Forward::Cells(cells) = layer {
            if let Some(e) = cells.layer.take_error() {
                return Err(HardwareError::from(e).into());
            }
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::network::NetworkConfig;
    use xbar_devices::{library, IvSpec};

    #[test]
    fn analogue_inputs_are_read_through_the_cells() {
        // A ReLU layer on sinh cells: y_j = b_j + Σᵢ w_ij·sinh(a·xᵢ·u)/(a·u),
        // u = V_read/x_max, w the ohmic weights (the chord weights at V_read
        // divided by sinh(a·V_read)/(a·V_read)); x_max = 1 for pixels.
        let config = NetworkConfig {
            sizes: vec![6, 4, 3],
            kind: NetworkKind::Relu,
            ..NetworkConfig::default()
        };
        let net = Network::new(config, 3).unwrap();
        let (a, v_read) = (5.0, 0.3);
        let mut device = library::preset("ag-a-si").unwrap();
        device.iv = IvSpec::Sinh { a_per_volt: a };
        device.read_noise = None;
        let settings = InsituConfig {
            read_voltage_v: v_read,
            ..InsituConfig::default()
        };
        let mut insitu = InsituNetwork::new(net, device, settings, 1).unwrap();
        let images = [0.0f32, 0.2, 1.0, 0.7, 0.05, 0.4];
        let read = insitu.read_layers().unwrap();
        let forward = insitu.forward(&read, &images).unwrap();
        let scales = insitu.full_scales.clone().unwrap();
        assert_eq!(scales[0], 1.0);
        assert!(matches!(forward[0], Forward::Cells(_)) && matches!(forward[1], Forward::Cells(_)));
        let gain = (a * v_read).sinh() / (a * v_read);
        let mut y = vec![0f32; 4];
        forward[0].product(&images, &mut y);
        let mut hidden = vec![0f32; 4];
        read[0].product(&images, &mut hidden);
        for j in 0..4 {
            let expected = f64::from(read[0].bias[j])
                + (0..6)
                    .map(|i| {
                        let w = f64::from(read[0].weights[i * 4 + j]) / gain;
                        let v = f64::from(images[i]) * v_read;
                        w * (a * v).sinh() / (a * v_read)
                    })
                    .sum::<f64>();
            assert!(
                (f64::from(y[j]) - expected).abs() < 1e-5 * expected.abs().max(0.1),
                "{j}: {} vs {expected}",
                y[j]
            );
            // The nonlinearity is felt: the linear read differs.
            assert!((y[j] - hidden[j]).abs() > 1e-3, "{j}");
        }
        // The hidden layer's full scale: its largest input on the images.
        let x1: Vec<f32> = hidden.iter().map(|v| v.max(0.0)).collect();
        let largest = x1.iter().fold(0f32, |m, v| m.max(*v));
        assert!(largest > 0.0);
        assert!(
            (scales[1] - f64::from(largest)).abs() < 1e-6 * scales[1],
            "{scales:?}"
        );
        // Rate-coded spikes read every layer as one weight matrix.
        let config = NetworkConfig {
            sizes: vec![6, 4, 3],
            encoding: crate::network::Encoding::Rate,
            ..NetworkConfig::default()
        };
        let mut device = library::preset("ag-a-si").unwrap();
        device.iv = IvSpec::Sinh { a_per_volt: a };
        let net = Network::new(config, 3).unwrap();
        let mut insitu = InsituNetwork::new(net, device, InsituConfig::default(), 1).unwrap();
        let read = insitu.read_layers().unwrap();
        let forward = insitu.forward(&read, &images).unwrap();
        assert!(forward.iter().all(|f| matches!(f, Forward::Weights(_))));
    }
}
