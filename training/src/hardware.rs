//! A trained network on programmed arrays: mapping, tiling, programming,
//! drift, read noise, IR drop, converters, and test accuracy over time.
//!
//! Each layer's weights `W` (inputs × outputs) go onto differential pairs,
//! `w = (G⁺ − G⁻)·w_max/Δg` with `w_max = max|W|` of the layer
//! ([`xbar_crossbar::Mapping`]), laid out `[G⁺₀, G⁻₀, G⁺₁, …]` on
//! physical arrays of at most `tile_rows × tile_cols` cells
//! ([`xbar_crossbar::Tiling`]). Every tile is its own
//! [`DeviceArray`]: programmed once per instance (programming noise, finite
//! levels, faults, device-to-device spread), then for each time `t`
//! drifted and read once (read noise), optionally scaled by global drift
//! compensation (Joshi et al., Nat. Commun. 11, 2473, 2020), and turned
//! into effective conductances `G_eff` (the conductances that give the
//! bit-line currents of the tile, wires included, as one product) by the
//! array's [`Solver`] ([`Solver::effective_conductances`], where `Auto` is
//! resolved for a tile):
//!
//! | [`ArrayConfig::solver`] | `G_eff` of each tile |
//! |---|---|
//! | `Auto` (default) | the read conductances when every wire resistance is 0, else as `Transfer` |
//! | `Transfer` | the IR-drop-exact [`xbar_crossbar::TransferMatrix`] (M unit inputs through the factorised nodal matrix's port block), even with ideal wires |
//! | `Ideal` | the read conductances, ignoring every wire resistance |
//! | `Exact` | row by row from a full sparse nodal solve ([`xbar_crossbar::ExactSolver::node_voltages`]) of each unit input: a slower, independent reference for `Transfer` (the two agree to rounding, ≤ 1e-12 relative) |
//!
//! Inputs (spikes, pixels) are
//! word-line voltages `x·V_read` through the DAC; each tile's
//! differential bit-line currents are sensed, digitised by the ADC and
//! added digitally across tiles; biases and neurons are digital.
//!
//! With [`ArrayConfig::mapping`] the weights are instead bit-sliced over
//! cells of a few levels, the inputs fed a few bits per DAC step and every
//! slice's partial sum converted by its own ADC ([`crate::sliced`]).
//!
//! Without an ADC the whole layer is linear, so its tiles collapse into one
//! effective weight matrix and inference costs what the software forward
//! pass costs. The ADC's full scale is calibrated per layer as the largest
//! partial sum the programmed network produces at `t₀` on the first
//! [`CALIBRATION_IMAGES`] images evaluated.

use std::sync::atomic::{AtomicU32, Ordering};

use nalgebra::DMatrix;
use rand::Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xbar_crossbar::{Adc, CrossbarError, Dac, Mapping, MappingScheme, Solver, Tile, Tiling, Wires};
use xbar_devices::{Cell, DeviceArray, DeviceError, DeviceSpec};

use crate::bptt::Synapses;
use crate::cells::{BuiltArrays, CellReadKind, CellTile};
use crate::mnist::Dataset;
use crate::network::{Layer, Network, NetworkConfig};
use crate::rng::{stream, Stream};
use crate::sliced::SlicedLayout;

/// Images used to calibrate converter ranges.
pub const CALIBRATION_IMAGES: usize = 64;

mod config;

pub use config::ArrayConfig;

/// What went wrong on the arrays.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HardwareError {
    /// An [`ArrayConfig`] field.
    #[error("array.{field}: {message}")]
    Config {
        /// Key name.
        field: String,
        /// Expected and found.
        message: String,
    },
    /// The device model refused.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The crossbar solver refused.
    #[error(transparent)]
    Crossbar(#[from] xbar_crossbar::CrossbarError),
    /// The data does not fit the network.
    #[error("data: {0}")]
    Data(String),
}

impl HardwareError {
    pub(crate) fn config(field: &str, message: impl Into<String>) -> Self {
        HardwareError::Config {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A refused setting of the crossbar crate as a [`Config`](Self::Config)
    /// error of the same field; any other error unchanged.
    fn from_setting(e: CrossbarError) -> Self {
        match e {
            CrossbarError::InvalidParameter { field, message } => {
                HardwareError::Config { field, message }
            }
            other => HardwareError::Crossbar(other),
        }
    }
}

/// One layer on its tiles of devices.
#[derive(Clone)]
pub(crate) struct ProgrammedLayer {
    pub inputs: usize,
    pub outputs: usize,
    pub mapping: Mapping,
    /// Physical tiles (columns in physical bit lines) and their devices.
    pub tiles: Vec<(Tile, DeviceArray)>,
    /// How the device's cells are read (a series resistance composed into
    /// a linear read, or a nonlinear cell).
    pub read_kind: CellReadKind,
    /// Binary inputs at this read voltage (V): a nonlinear cell then reads
    /// linearly, as `I(g, V, 0)/V` ([`CellReadKind::read_conductance`]);
    /// in-situ training of spiking networks sets it.
    pub spikes_at: Option<f64>,
    /// The bit slicing when the layer is sliced ([`crate::sliced`]).
    pub sliced: Option<SlicedLayout>,
    /// The nonlinear arrays last built from its tiles
    /// ([`ProgrammedLayer::read_cells`]).
    pub built: BuiltArrays,
}

impl ProgrammedLayer {
    /// Maps `layer` onto fresh devices, `w_max` (≥ max|w|) at the full
    /// conductance range, and programs them. `seed` keys the device
    /// instances (tile `k` gets `seed + k`).
    pub fn program(
        layer: &Layer<f32>,
        device: &DeviceSpec,
        w_max: f64,
        tile: (usize, usize),
        seed: u64,
    ) -> Result<Self, HardwareError> {
        Self::program_matrix(&weight_matrix(layer), device, w_max, tile, seed)
    }

    /// As [`ProgrammedLayer::program`], for weights `w` (inputs × outputs)
    /// in `f64`.
    pub fn program_matrix(
        w: &DMatrix<f64>,
        device: &DeviceSpec,
        w_max: f64,
        (tile_rows, tile_cols): (usize, usize),
        seed: u64,
    ) -> Result<Self, HardwareError> {
        let mapping = Mapping::for_device(MappingScheme::Differential, device, w_max)?;
        let physical = mapping.weights_to_conductances(w)?.physical_array();
        let tiling = Tiling::new(physical.nrows(), physical.ncols(), tile_rows, tile_cols)?;
        let targets = tiling.split(&physical)?;
        let mut tiles = Vec::with_capacity(targets.len());
        for (k, (tile, target)) in tiling.tiles().into_iter().zip(targets).enumerate() {
            let mut array = DeviceArray::new(
                device,
                target.nrows(),
                target.ncols(),
                seed.wrapping_add(k as u64),
            )?;
            array.program(&target)?;
            tiles.push((tile, array));
        }
        Ok(ProgrammedLayer {
            inputs: w.nrows(),
            outputs: w.ncols(),
            mapping,
            tiles,
            read_kind: CellReadKind::of(device),
            spikes_at: None,
            sliced: None,
            built: BuiltArrays::default(),
        })
    }

    /// Every tile read once at `t` (s): effective weights per tile, in
    /// weight units (inputs × outputs of the tile), with the IR drop of
    /// `wires` as `solver` computes it ([`effective_conductances`]) and
    /// scaled by the tile's drift-compensation factor when `compensate`.
    pub fn read(
        &mut self,
        t: f64,
        wires: &Wires,
        solver: Solver,
        compensate: bool,
    ) -> Result<Vec<TileWeights>, HardwareError> {
        self.read_keeping(t, wires, solver, compensate, None)
    }

    /// As [`ProgrammedLayer::read`], and pushes each tile's read
    /// conductances (S) onto `keep` (the cost model needs them).
    pub fn read_keeping(
        &mut self,
        t: f64,
        wires: &Wires,
        solver: Solver,
        compensate: bool,
        keep: Option<&mut Vec<DMatrix<f64>>>,
    ) -> Result<Vec<TileWeights>, HardwareError> {
        Ok(self
            .read_tiles(t, wires, solver, compensate, keep)?
            .into_iter()
            .map(|(row0, col0, w)| {
                let (rows, cols) = w.shape();
                TileWeights {
                    row0,
                    col0,
                    rows,
                    cols,
                    weights: (0..rows * cols)
                        .map(|k| w[(k / cols, k % cols)] as f32)
                        .collect(),
                }
            })
            .collect())
    }

    /// As [`ProgrammedLayer::read_keeping`], in `f64`: per tile its first
    /// input row, its first weight column and its effective weights
    /// (weight units, inputs × outputs of the tile).
    pub fn read_tiles(
        &mut self,
        t: f64,
        wires: &Wires,
        solver: Solver,
        compensate: bool,
        mut keep: Option<&mut Vec<DMatrix<f64>>>,
    ) -> Result<Vec<(usize, usize, DMatrix<f64>)>, HardwareError> {
        if self.sliced.is_some() {
            return self.sliced_weights(t, wires, solver, compensate, keep);
        }
        let mut out = Vec::with_capacity(self.tiles.len());
        for (tile, array) in &mut self.tiles {
            let read = (self.read_kind, self.spikes_at);
            let (g, factor) = read_tile(array, t, compensate, read, keep.as_deref_mut())?;
            let g_eff = effective_conductances(g, wires, solver)?;
            let w = self.mapping.conductances_to_weights(&g_eff)?;
            out.push((tile.rows.start, tile.cols.start / 2, w * factor));
        }
        Ok(out)
    }

    /// Every tile read once at `t` (s) as a tile of the nonlinear `cell`
    /// on `wires` by `solver` at read voltage `v_read` (V), read one input
    /// vector at a time ([`crate::cells`]); with `compensate`, scaled by
    /// the tile's drift-compensation factor. Each tile's read conductances
    /// (S) are pushed onto `keep`.
    pub fn read_cells(
        &mut self,
        t: f64,
        wires: &Wires,
        (solver, v_read): (Solver, f64),
        cell: Cell,
        compensate: bool,
        mut keep: Option<&mut Vec<DMatrix<f64>>>,
    ) -> Result<Vec<CellTile>, HardwareError> {
        // Reads draw from each array's own stream, in tile order; the
        // tiles are then built in parallel (a linearised tile of 1T1R cells
        // with wires factorises its Jacobian: ~0.1–0.7 s each), or taken
        // as last built when they read the same.
        let mut reads = Vec::with_capacity(self.tiles.len());
        for (tile, array) in &mut self.tiles {
            let (g, factor) = read_tile(array, t, compensate, OWN, keep.as_deref_mut())?;
            reads.push(((tile.rows.start, tile.cols.start / 2), g, factor));
        }
        let mapping = self.mapping;
        reads
            .into_par_iter()
            .enumerate()
            .map(|(k, (at, g, factor))| {
                let array = self.built.array(k, g, (*wires, solver, v_read), cell)?;
                Ok(CellTile::from_array(at, array, mapping, factor))
            })
            .collect()
    }

    /// Collapses tiles into one layer with `bias` (exact when no ADC sits
    /// between the tiles and the digital sum).
    pub fn collapse(&self, tiles: &[TileWeights], bias: &[f32]) -> Layer<f32> {
        let mut layer = Layer::zeros(self.inputs, self.outputs);
        layer.bias.copy_from_slice(bias);
        for t in tiles {
            for r in 0..t.rows {
                let dst = (t.row0 + r) * self.outputs + t.col0;
                layer.weights[dst..dst + t.cols]
                    .copy_from_slice(&t.weights[r * t.cols..(r + 1) * t.cols]);
            }
        }
        layer
    }
}

/// The effective conductances (S, M×N) of a tile of read conductances `g`
/// with `wires`, by `solver` (see the [module docs](self)): row `i` is the
/// bit-line currents for 1 V on word line `i`.
/// A [`read_tile`] of the devices' own conductances.
pub(crate) const OWN: (CellReadKind, Option<f64>) = (CellReadKind::Linear(0.0), None);

/// One tile's read at `t` (s): its conductances (S), each as `kind` reads
/// it at binary inputs of `spikes` volts, if any
/// ([`CellReadKind::read_conductance`]), pushed onto `keep`, and its
/// drift-compensation factor (1 without `compensate`).
pub(crate) fn read_tile(
    array: &mut DeviceArray,
    t: f64,
    compensate: bool,
    (kind, spikes): (CellReadKind, Option<f64>),
    keep: Option<&mut Vec<DMatrix<f64>>>,
) -> Result<(DMatrix<f64>, f64), HardwareError> {
    let mut g = array.read(t)?;
    if kind != CellReadKind::Linear(0.0) {
        g.apply(|g| *g = kind.read_conductance(*g, spikes));
    }
    if let Some(keep) = keep {
        keep.push(g.clone());
    }
    let factor = if compensate {
        array.drift_compensation_factor(t)?
    } else {
        1.0
    };
    Ok((g, factor))
}

pub(crate) fn effective_conductances(
    g: DMatrix<f64>,
    wires: &Wires,
    solver: Solver,
) -> Result<DMatrix<f64>, HardwareError> {
    Ok(solver.effective_conductances(g, wires)?)
}

/// A layer's weights as an inputs × outputs matrix.
fn weight_matrix(layer: &Layer<f32>) -> DMatrix<f64> {
    DMatrix::from_fn(layer.inputs, layer.outputs, |i, j| {
        f64::from(layer.weights[i * layer.outputs + j])
    })
}

/// `w_max` of a layer: its max |w| (an all-zero layer still needs a
/// scale: any maps it to `g_min`).
fn scale(layer: &Layer<f32>) -> f64 {
    layer.max_abs_weight().max(f64::MIN_POSITIVE)
}

/// Effective weights of one tile (weight units), row-major.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TileWeights {
    pub(crate) row0: usize,
    pub(crate) col0: usize,
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    weights: Vec<f32>,
}

/// A layer whose tiles' partial sums go through DAC and ADC.
pub(crate) struct ConvertedLayer {
    bias: Vec<f32>,
    pub(crate) tiles: Vec<TileWeights>,
    /// Full scale in input units (an input of 1 is `V_read`).
    pub(crate) dac: Option<Dac>,
    /// Full scale in weight units (`I·w_per_S/V_read`).
    adc: Option<Adc>,
    /// Largest |input| and |partial sum| seen (f32 bits), for calibration.
    pub(crate) max_input: AtomicU32,
    pub(crate) max_partial: AtomicU32,
}

fn record_max(cell: &AtomicU32, value: f32) {
    let mut current = cell.load(Ordering::Relaxed);
    while value > f32::from_bits(current) {
        match cell.compare_exchange_weak(
            current,
            value.to_bits(),
            Ordering::Relaxed,
            Ordering::Relaxed,
        ) {
            Ok(_) => break,
            Err(seen) => current = seen,
        }
    }
}

impl Synapses<f32> for ConvertedLayer {
    fn product(&self, x: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        // Partial sums of one tile: on the stack for tiles up to 1024 bit
        // lines (512 weight columns), else on the heap.
        let widest = self.tiles.iter().map(|t| t.cols).max().unwrap_or(0);
        let mut stack = [0f32; 512];
        let mut heap = Vec::new();
        let partial: &mut [f32] = if widest <= stack.len() {
            &mut stack
        } else {
            heap.resize(widest, 0.0);
            &mut heap
        };
        let mut max_in = 0f32;
        let mut max_partial = 0f32;
        for t in &self.tiles {
            let p = &mut partial[..t.cols];
            p.fill(0.0);
            for r in 0..t.rows {
                let mut xi = x[t.row0 + r];
                if xi == 0.0 {
                    continue;
                }
                max_in = max_in.max(xi.abs());
                if let Some(dac) = &self.dac {
                    xi = dac.convert_one(f64::from(xi)) as f32;
                }
                crate::bptt::axpy(xi, &t.weights[r * t.cols..(r + 1) * t.cols], p);
            }
            for (o, &v) in out[t.col0..t.col0 + t.cols].iter_mut().zip(p.iter()) {
                max_partial = max_partial.max(v.abs());
                *o += match &self.adc {
                    Some(adc) => adc.convert_one(f64::from(v)) as f32,
                    None => v,
                };
            }
        }
        record_max(&self.max_input, max_in);
        record_max(&self.max_partial, max_partial);
    }
}

/// Per-instance result of an evaluation on arrays.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceAccuracy {
    /// Time since programming (s).
    pub time_s: f64,
    /// Device instance, from 0.
    pub instance: usize,
    /// Test accuracy (fraction).
    pub accuracy: f64,
}

/// Accuracy statistics over instances at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeSummary {
    /// Time since programming (s).
    pub time_s: f64,
    /// Number of instances.
    pub instances: usize,
    /// Mean accuracy.
    pub mean: f64,
    /// Sample standard deviation (0 for one instance).
    pub std: f64,
    /// Worst instance.
    pub min: f64,
    /// Best instance.
    pub max: f64,
}

/// Mean, std, min and max per time, in order of first appearance.
pub fn summarise(results: &[InstanceAccuracy]) -> Vec<TimeSummary> {
    let mut times: Vec<f64> = Vec::new();
    for r in results {
        if !times.contains(&r.time_s) {
            times.push(r.time_s);
        }
    }
    times
        .into_iter()
        .map(|t| {
            let a: Vec<f64> = results
                .iter()
                .filter(|r| r.time_s == t)
                .map(|r| r.accuracy)
                .collect();
            let n = a.len() as f64;
            let mean = a.iter().sum::<f64>() / n;
            let std = if a.len() > 1 {
                (a.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
            } else {
                0.0
            };
            TimeSummary {
                time_s: t,
                instances: a.len(),
                mean,
                std,
                min: a.iter().copied().fold(f64::INFINITY, f64::min),
                max: a.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

/// A network programmed onto one instance of arrays.
pub struct ProgrammedNetwork<'n> {
    pub(crate) net: &'n Network,
    pub(crate) array: ArrayConfig,
    pub(crate) layers: Vec<ProgrammedLayer>,
    /// Converter full scales per layer (input units, weight units), from
    /// calibration at `t₀`.
    pub(crate) ranges: Option<Vec<(f32, f32)>>,
}

impl ProgrammedNetwork<'_> {
    /// Memory (bytes) one programmed instance of `net` holds, at least:
    /// a differential pair of conductances (two `f64`) per parameter — to
    /// refuse instance counts that cannot be held at once before any is
    /// programmed.
    ///
    /// ```
    /// use xbar_training::{NetworkConfig, ProgrammedNetwork};
    /// let bytes = ProgrammedNetwork::memory_bytes(&NetworkConfig::default());
    /// assert!(bytes >= 16.0 * 101_770.0 && bytes < 1e8);
    /// ```
    pub fn memory_bytes(net: &NetworkConfig) -> f64 {
        16.0 * net.parameter_count() as f64 + std::mem::size_of::<ProgrammedNetwork<'_>>() as f64
    }
}

impl<'n> ProgrammedNetwork<'n> {
    /// Programs every layer of `net` onto a fresh device instance keyed by
    /// `seed`.
    pub fn program(
        net: &'n Network,
        array: &ArrayConfig,
        seed: u64,
    ) -> Result<Self, HardwareError> {
        array.validate()?;
        let layers = net
            .layers()
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let seed = seed
                    .wrapping_mul(0x9E37_79B9)
                    .wrapping_add((l as u64) << 20);
                let tile = (array.tile_rows, array.tile_cols);
                match &array.mapping {
                    None => {
                        ProgrammedLayer::program(layer, &array.device, scale(layer), tile, seed)
                    }
                    Some(slicing) => ProgrammedLayer::program_sliced(
                        &weight_matrix(layer),
                        &array.device,
                        scale(layer),
                        tile,
                        (slicing, array.converters.read_voltage),
                        seed,
                    ),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProgrammedNetwork {
            net,
            array: array.clone(),
            layers,
            ranges: None,
        })
    }

    /// The network as the arrays hold it at `t` (s): one read of every
    /// tile, effective weights (IR drop, drift compensation) collapsed per
    /// layer, digital biases. What inference computes when there are no
    /// converters.
    pub fn read_network(&mut self, t: f64) -> Result<Network, HardwareError> {
        let mut layers = Vec::with_capacity(self.layers.len());
        for (pl, layer) in self.layers.iter_mut().zip(self.net.layers()) {
            let tiles = pl.read(
                t,
                &self.array.wires,
                self.array.solver,
                self.array.drift_compensation,
            )?;
            layers.push(pl.collapse(&tiles, &layer.bias));
        }
        Network::from_layers(self.net.config().clone(), layers)
            .map_err(|e| HardwareError::Data(e.to_string()))
    }

    /// The images must have one pixel per network input.
    pub(crate) fn check_data(&self, data: &Dataset) -> Result<(), HardwareError> {
        let inputs = self.net.config().sizes[0];
        if data.pixels() != inputs {
            return Err(HardwareError::Data(format!(
                "images have {} pixels but the network has {inputs} inputs",
                data.pixels()
            )));
        }
        Ok(())
    }
}

impl ConvertedLayer {
    pub(crate) fn new(
        bias: &[f32],
        tiles: Vec<TileWeights>,
        dac: Option<Dac>,
        adc: Option<Adc>,
    ) -> Self {
        ConvertedLayer {
            bias: bias.to_vec(),
            tiles,
            dac,
            adc,
            max_input: AtomicU32::new(0),
            max_partial: AtomicU32::new(0),
        }
    }
}

/// Test accuracy of `net` on `instances` independent device instances,
/// each programmed once and read at every time in `times` (s). Instance `i`
/// uses device seed `seed + i`; the input spikes are the same for all
/// ([`crate::Model::evaluate`] of the dense network).
pub fn evaluate(
    net: &Network,
    data: &Dataset,
    array: &ArrayConfig,
    times: &[f64],
    instances: usize,
    seed: u64,
    on_result: &mut dyn FnMut(&InstanceAccuracy),
) -> Result<Vec<InstanceAccuracy>, HardwareError> {
    crate::Model::Dense(net.clone()).evaluate(data, array, times, instances, seed, on_result)
}

/// Device-model noise injection for hardware-aware training: every batch,
/// each layer is programmed onto a fresh instance of `device` (one array
/// per layer, ideal wires) and read back — at `t₀`, or with drift in the
/// loop at a time drawn log-uniformly from `[t₀, drift_max_s]` with global
/// drift compensation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceInjection {
    /// The device.
    pub device: DeviceSpec,
    /// Latest read time (s) with drift in the loop; `None` = read at `t₀`.
    pub drift_max_s: Option<f64>,
}

impl DeviceInjection {
    /// Checks the device and the time.
    pub fn validate(&self) -> Result<(), HardwareError> {
        self.device.validate().map_err(DeviceError::from)?;
        if let Some(t) = self.drift_max_s {
            if !(t.is_finite() && t > 0.0) {
                return Err(HardwareError::config(
                    "drift_max_s",
                    format!("expected a finite time > 0 s, found {t}"),
                ));
            }
        }
        Ok(())
    }

    /// The layers as one fresh device instance reads them for batch `step`.
    pub(crate) fn inject(
        &self,
        layers: &[Layer<f32>],
        seed: u64,
        step: u64,
    ) -> Result<Vec<Layer<f32>>, HardwareError> {
        let t0 = self.device.drift.as_ref().map_or(0.0, |d| d.t0_s);
        let mut rng = stream(seed, Stream::DriftInLoop, step);
        layers
            .iter()
            .enumerate()
            .map(|(l, layer)| {
                let t = match self.drift_max_s {
                    Some(t_max) if t_max > t0 && t0 > 0.0 => {
                        (t0.ln() + rng.random::<f64>() * (t_max / t0).ln()).exp()
                    }
                    _ => t0,
                };
                let key = seed ^ (step << 16) ^ (l as u64);
                let whole = (layer.inputs, 2 * layer.outputs);
                let mut pl =
                    ProgrammedLayer::program(layer, &self.device, scale(layer), whole, key)?;
                let tiles =
                    pl.read(t, &Wires::ideal(), Solver::Auto, self.drift_max_s.is_some())?;
                Ok(pl.collapse(&tiles, &layer.bias))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xbar_crossbar::Converters;
    use xbar_devices::library;

    /// A 6×8 tile of conductances from 10 to 100 µS.
    fn tile() -> DMatrix<f64> {
        DMatrix::from_fn(6, 8, |i, j| 1e-5 * (1.0 + ((3 * i + 5 * j) % 10) as f64))
    }

    #[test]
    fn exact_and_transfer_agree_and_ideal_ignores_the_wires() {
        let g = tile();
        let wires = Wires::new(200.0, 150.0, 500.0, 300.0).unwrap();
        let transfer = effective_conductances(g.clone(), &wires, Solver::Transfer).unwrap();
        let exact = effective_conductances(g.clone(), &wires, Solver::Exact).unwrap();
        for (e, t) in exact.iter().zip(transfer.iter()) {
            assert!(*t > 0.0);
            assert!(
                (e - t).abs() <= 1e-12 * t.abs(),
                "exact {e:e} vs transfer {t:e}"
            );
        }
        // The wires matter: IR drop lowers the total current.
        assert!(
            transfer.sum() < 0.95 * g.sum(),
            "{:e} vs {:e}",
            transfer.sum(),
            g.sum()
        );
        // `Auto` with wires is the transfer matrix, bit for bit.
        let auto = effective_conductances(g.clone(), &wires, Solver::Auto).unwrap();
        assert_eq!(auto, transfer);
        // `Ideal` ignores the wires; so does `Auto` when there are none.
        assert_eq!(
            effective_conductances(g.clone(), &wires, Solver::Ideal).unwrap(),
            g
        );
        let none = Wires::ideal();
        assert_eq!(
            effective_conductances(g.clone(), &none, Solver::Auto).unwrap(),
            g
        );
        // With ideal wires every method gives the conductances.
        for solver in [Solver::Transfer, Solver::Exact] {
            let geff = effective_conductances(g.clone(), &none, solver).unwrap();
            assert!((geff - &g).amax() <= 1e-15 * g.amax(), "{solver:?}");
        }
    }

    #[test]
    fn the_solver_reaches_the_tiles_read() {
        let device = library::preset("ideal").unwrap();
        let mut layer = Layer::<f32>::zeros(6, 4);
        for (k, w) in layer.weights.iter_mut().enumerate() {
            *w = ((k * 7 % 11) as f32 - 5.0) / 10.0;
        }
        let wires = Wires::new(200.0, 200.0, 0.0, 0.0).unwrap();
        let read = |wires: &Wires, solver| {
            let mut pl = ProgrammedLayer::program(&layer, &device, 0.5, (6, 8), 3).unwrap();
            let tiles = pl.read(0.0, wires, solver, false).unwrap();
            pl.collapse(&tiles, &layer.bias).weights
        };
        let plain = read(&Wires::ideal(), Solver::Auto);
        assert_eq!(read(&wires, Solver::Ideal), plain);
        let transfer = read(&wires, Solver::Transfer);
        assert_ne!(transfer, plain);
        assert_eq!(read(&wires, Solver::Auto), transfer);
        let exact = read(&wires, Solver::Exact);
        for (e, t) in exact.iter().zip(&transfer) {
            assert!((e - t).abs() <= 1e-6 * t.abs().max(1e-3), "{e} vs {t}");
        }
    }

    #[test]
    fn validate_reports_the_config_key() {
        let base = ArrayConfig::new(library::preset("ideal").unwrap());
        base.validate().unwrap();
        assert_eq!(base.solver, Solver::Auto);
        let field = |a: ArrayConfig| match a.validate().unwrap_err() {
            HardwareError::Config { field, .. } => field,
            other => panic!("expected a config error, got {other:?}"),
        };
        let with_wires = |r_sense| ArrayConfig {
            wires: Wires {
                r_sense,
                ..Wires::ideal()
            },
            ..base.clone()
        };
        assert_eq!(field(with_wires(-1.0)), "r_sense_ohm");
        let converters = |dac_bits, read_voltage| ArrayConfig {
            converters: Converters {
                dac_bits,
                adc_bits: None,
                read_voltage,
            },
            ..base.clone()
        };
        assert_eq!(field(converters(Some(1), 0.2)), "dac_bits");
        assert_eq!(field(converters(None, 0.0)), "read_voltage_v");
        let odd = ArrayConfig {
            tile_cols: 7,
            ..base.clone()
        };
        assert_eq!(field(odd.clone()), "tile_cols");
        let message = odd.validate().unwrap_err().to_string();
        assert!(message.starts_with("array.tile_cols: "), "{message}");
        let message = with_wires(f64::NAN).validate().unwrap_err().to_string();
        assert!(message.starts_with("array.r_sense_ohm: "), "{message}");
    }

    #[test]
    fn array_config_serde_round_trips() {
        let a = ArrayConfig {
            wires: Wires::new(1.0, 2.0, 3.0, 4.0).unwrap(),
            converters: Converters {
                dac_bits: Some(6),
                adc_bits: Some(8),
                read_voltage: 0.3,
            },
            solver: Solver::Exact,
            ..ArrayConfig::new(library::preset("ideal").unwrap())
        };
        let json = serde_json::to_value(&a).unwrap();
        assert_eq!(json["wires"]["r_bitline_ohm"], 2.0);
        assert_eq!(json["converters"]["read_voltage_v"], 0.3);
        assert_eq!(json["solver"], "exact");
        assert_eq!(serde_json::from_value::<ArrayConfig>(json).unwrap(), a);
    }
}
