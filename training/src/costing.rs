//! Evaluation on arrays with the activity the cost model prices: for every
//! tile, the reads (products with at least one non-zero input), the active
//! rows and their DAC levels, `Σ Vᵢ²` for the word lines' charge, and the
//! exact array energy `Σ_reads Vᵀ·Y·V·t_read` from each tile's input
//! admittance `Y` ([`xbar_cost::InputAdmittance`]: the read conductances
//! with the array's wires, by its solver — IR drop included).
//!
//! Input voltages are what the arrays see: the DAC's output (or the input
//! itself without a DAC) over the layer's input full scale, times
//! `V_read`. Sums over inputs evaluated in parallel are kept in 128-bit
//! fixed point (energy in units of 1e-30 J, `V²` in units of 1e-18 V²),
//! so that they do not depend on the order the threads add in: the same
//! seed gives the same bits.
//!
//! The products go through the same tile-wise path as
//! [`ProgrammedNetwork::accuracy_at`] with converters; without converters
//! the tiles are not collapsed into one matrix (the partial sums are added
//! in `f32` tile by tile), and the converter ranges are always calibrated
//! (one extra read at `t₀`), so the accuracy can differ from
//! `accuracy_at` in the last image or two.

use std::sync::atomic::{AtomicU64, Ordering};

use nalgebra::DMatrix;
use xbar_cost::{InputAdmittance, LayerActivity, TileActivity};

use crate::bptt::{predict, EncodingKey, Synapses};
use crate::hardware::{ConvertedLayer, HardwareError, ProgrammedNetwork};
use crate::mnist::Dataset;
use crate::network::NetworkKind;
use crate::train::{fraction_correct, EVALUATION_PASS};

/// Accuracy and measured activity of one evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct CostedEvaluation {
    /// Test accuracy (fraction).
    pub accuracy: f64,
    /// Inputs evaluated.
    pub inferences: u64,
    /// Per layer: what its arrays did, summed over the inputs.
    pub layers: Vec<LayerActivity>,
}

/// A 128-bit fixed-point sum that threads add to in any order.
#[derive(Default)]
struct FixedSum {
    lo: AtomicU64,
    hi: AtomicU64,
}

impl FixedSum {
    fn add(&self, value: f64, quantum: f64) {
        let units = (value / quantum).round();
        // Energies and V² are ≥ 0; zero (or a NaN, which cannot happen)
        // adds nothing.
        if units.is_nan() || units <= 0.0 {
            return;
        }
        let units = units as u128;
        let (lo, hi) = (units as u64, (units >> 64) as u64);
        let prev = self.lo.fetch_add(lo, Ordering::Relaxed);
        let carry = u64::from(prev.overflowing_add(lo).1);
        if hi + carry > 0 {
            self.hi.fetch_add(hi + carry, Ordering::Relaxed);
        }
    }

    fn value(&self, quantum: f64) -> f64 {
        let units = (u128::from(self.hi.load(Ordering::Relaxed)) << 64)
            | u128::from(self.lo.load(Ordering::Relaxed));
        units as f64 * quantum
    }
}

const ENERGY_QUANTUM_J: f64 = 1e-30;
const V2_QUANTUM: f64 = 1e-18;

#[derive(Default)]
struct TileProbe {
    reads: AtomicU64,
    active_rows: AtomicU64,
    levels: AtomicU64,
    wordline_v2: FixedSum,
    energy: FixedSum,
}

/// A converted layer that records what its tiles do.
struct CostedLayer {
    inner: ConvertedLayer,
    admittances: Vec<InputAdmittance>,
    probes: Vec<TileProbe>,
    calls: AtomicU64,
    /// Volts per input unit: `V_read / x_max`.
    volts_per_unit: f64,
    read_time_s: f64,
}

impl Synapses<f32> for CostedLayer {
    fn product(&self, x: &[f32], out: &mut [f32]) {
        self.inner.product(x, out);
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut active: Vec<(usize, f64)> = Vec::new();
        for ((t, y), probe) in self
            .inner
            .tiles
            .iter()
            .zip(&self.admittances)
            .zip(&self.probes)
        {
            active.clear();
            let mut levels = 0u64;
            let mut v2 = 0.0;
            for r in 0..t.rows {
                let xi = f64::from(x[t.row0 + r]);
                if xi == 0.0 {
                    continue;
                }
                let (xq, level) = match &self.inner.dac {
                    Some(dac) => {
                        let q = dac.convert_one(xi);
                        (q, (q.abs() / dac.step()).round() as u64)
                    }
                    None => (xi, 1),
                };
                if xq == 0.0 {
                    continue;
                }
                let v = xq * self.volts_per_unit;
                active.push((r, v));
                levels += level;
                v2 += v * v;
            }
            if active.is_empty() {
                continue;
            }
            let y = y.matrix();
            let mut p = 0.0;
            for &(k, vk) in &active {
                let col = y.column(k);
                let mut s = 0.0;
                for &(l, vl) in &active {
                    s += col[l] * vl;
                }
                p += vk * s;
            }
            probe.reads.fetch_add(1, Ordering::Relaxed);
            probe
                .active_rows
                .fetch_add(active.len() as u64, Ordering::Relaxed);
            probe.levels.fetch_add(levels, Ordering::Relaxed);
            probe.wordline_v2.add(v2, V2_QUANTUM);
            probe.energy.add(p * self.read_time_s, ENERGY_QUANTUM_J);
        }
    }
}

impl ProgrammedNetwork<'_> {
    /// Reads every array at `t` (s), classifies `data` (input spikes from
    /// `input_seed`) and measures what every tile did (see the
    /// [module docs](self)); `read_time_s` is the read pulse width that
    /// turns the exact power of each read into energy.
    ///
    /// # Errors
    /// Data that does not fit the network, or arrays that refuse.
    pub fn costed_accuracy_at(
        &mut self,
        t: f64,
        data: &Dataset,
        input_seed: u64,
        read_time_s: f64,
    ) -> Result<CostedEvaluation, HardwareError> {
        self.check_data(data)?;
        let config = self.net.config().clone();
        let key = EncodingKey {
            seed: input_seed,
            pass: EVALUATION_PASS,
        };
        if self.ranges.is_none() {
            self.calibrate(data, key)?;
        }
        let ranges = self.ranges.clone().unwrap_or_default();
        let v_read = self.array.converters.read_voltage;
        let mut layers = Vec::with_capacity(self.layers.len());
        for ((pl, layer), &(x_max, y_max)) in
            self.layers.iter_mut().zip(self.net.layers()).zip(&ranges)
        {
            let mut conductances: Vec<DMatrix<f64>> = Vec::new();
            let tiles = pl.read_keeping(
                t,
                &self.array.wires,
                self.array.solver,
                self.array.drift_compensation,
                Some(&mut conductances),
            )?;
            let admittances = conductances
                .into_iter()
                .map(|g| InputAdmittance::of_conductances(g, &self.array.wires, self.array.solver))
                .collect::<Result<Vec<_>, _>>()?;
            let periphery = self
                .array
                .converters
                .periphery(f64::from(x_max), f64::from(y_max))?;
            let probes = (0..tiles.len()).map(|_| TileProbe::default()).collect();
            layers.push(CostedLayer {
                inner: ConvertedLayer::new(&layer.bias, tiles, periphery.dac, periphery.adc),
                admittances,
                probes,
                calls: AtomicU64::new(0),
                volts_per_unit: v_read / f64::from(x_max),
                read_time_s,
            });
        }
        let predicted = predict::<f32, _>(&config, &layers, data.images(), key);
        let accuracy = fraction_correct(&predicted, data.labels());
        let inferences = data.len() as u64;
        let activity = layers
            .iter()
            .zip(&self.layers)
            .map(|(cl, pl)| {
                let calls = cl.calls.load(Ordering::Relaxed);
                let outputs = pl.outputs as u64;
                LayerActivity {
                    inputs: pl.inputs,
                    outputs: pl.outputs,
                    products_per_inference: (calls as f64 / inferences.max(1) as f64).round()
                        as usize,
                    neuron_updates: match config.kind {
                        NetworkKind::Spiking => outputs * (config.steps as u64) * inferences,
                        NetworkKind::Relu => outputs * inferences,
                    },
                    tiles: cl
                        .inner
                        .tiles
                        .iter()
                        .zip(&cl.probes)
                        .map(|(t, p)| TileActivity {
                            rows: t.rows,
                            cols: 2 * t.cols,
                            reads: p.reads.load(Ordering::Relaxed),
                            active_rows: p.active_rows.load(Ordering::Relaxed),
                            input_levels: p.levels.load(Ordering::Relaxed),
                            wordline_v2: p.wordline_v2.value(V2_QUANTUM),
                            array_energy_j: p.energy.value(ENERGY_QUANTUM_J),
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(CostedEvaluation {
            accuracy,
            inferences,
            layers: activity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::ArrayConfig;
    use crate::network::{Layer, Network, NetworkConfig};
    use xbar_crossbar::{Converters, Wires};
    use xbar_devices::library;

    /// A small spiking network with fixed weights and a handful of images.
    fn setup(kind: NetworkKind) -> (Network, Dataset) {
        let config = NetworkConfig {
            sizes: vec![12, 6, 3],
            kind,
            steps: 4,
            ..NetworkConfig::default()
        };
        let layers: Vec<Layer<f32>> = [(12usize, 6usize), (6, 3)]
            .iter()
            .map(|&(i, o)| {
                let mut l = Layer::zeros(i, o);
                for (k, w) in l.weights.iter_mut().enumerate() {
                    *w = ((k * 7 % 13) as f32 - 4.0) / 6.0;
                }
                l
            })
            .collect();
        let net = Network::from_layers(config, layers).unwrap();
        let pixels: Vec<u8> = (0..5 * 12).map(|k| ((k * 5 % 9) * 31) as u8).collect();
        (net, idx(&pixels, &[0, 1, 2, 0, 1]))
    }

    /// A data set of 3×4 images from raw IDX bytes.
    fn idx(pixels: &[u8], labels: &[u8]) -> Dataset {
        let n = labels.len() as u32;
        let mut images = Vec::new();
        for v in [0x803u32, n, 3, 4] {
            images.extend_from_slice(&v.to_be_bytes());
        }
        images.extend_from_slice(pixels);
        let mut lab = Vec::new();
        for v in [0x801u32, n] {
            lab.extend_from_slice(&v.to_be_bytes());
        }
        lab.extend_from_slice(labels);
        Dataset::from_idx_bytes(&images, &lab).unwrap()
    }

    fn array(wires: Wires) -> ArrayConfig {
        ArrayConfig {
            tile_rows: 8,
            tile_cols: 8,
            wires,
            converters: Converters {
                dac_bits: None,
                adc_bits: Some(8),
                read_voltage: 0.2,
            },
            drift_compensation: false,
            ..ArrayConfig::new(library::preset("ideal").unwrap())
        }
    }

    #[test]
    fn no_spikes_cost_no_array_energy() {
        let (net, _) = setup(NetworkKind::Spiking);
        let blank = idx(&[0; 3 * 12], &[0, 1, 2]);
        let mut p = ProgrammedNetwork::program(&net, &array(Wires::ideal()), 1).unwrap();
        let e = p.costed_accuracy_at(0.0, &blank, 3, 10e-9).unwrap();
        let first = &e.layers[0];
        for t in &first.tiles {
            assert_eq!((t.reads, t.active_rows, t.input_levels), (0, 0, 0));
            assert_eq!(t.array_energy_j, 0.0);
        }
    }

    #[test]
    fn energy_is_linear_in_the_spikes_for_fixed_weights() {
        // Pixels of exactly 1 spike at every step (no random draw): rows
        // S1 = {0, 3, 5}, S2 = {7, 10}, and both together.
        let (net, _) = setup(NetworkKind::Spiking);
        let image = |rows: &[usize]| {
            let mut p = [0u8; 12];
            rows.iter().for_each(|&r| p[r] = 255);
            p
        };
        let layer0 = |rows: &[usize]| {
            let mut p = ProgrammedNetwork::program(&net, &array(Wires::ideal()), 5).unwrap();
            let e = p
                .costed_accuracy_at(0.0, &idx(&image(rows), &[0]), 3, 10e-9)
                .unwrap();
            let t = e.layers[0]
                .tiles
                .iter()
                .fold((0.0, 0u64, 0.0), |(a, r, v), t| {
                    (a + t.array_energy_j, r + t.active_rows, v + t.wordline_v2)
                });
            t
        };
        let (a1, r1, v1) = layer0(&[0, 3, 5]);
        let (a2, r2, v2) = layer0(&[7, 10]);
        let (a12, r12, v12) = layer0(&[0, 3, 5, 7, 10]);
        // Four steps, one read per step, and every row is in two tiles
        // (12 bit lines over 8-wide tiles): 2·4·3, 2·4·2 and 2·4·5 active rows.
        assert_eq!((r1, r2, r12), (24, 16, 40));
        assert!((v12 - v1 - v2).abs() < 1e-12 * v12);
        assert!(a1 > 0.0 && a2 > 0.0);
        assert!(
            (a12 - a1 - a2).abs() < 1e-12 * a12,
            "{a12:e} vs {a1:e} + {a2:e}"
        );
        assert_eq!(layer0(&[]).0, 0.0);
    }

    #[test]
    fn array_energy_is_the_exact_power_of_the_spikes_and_is_deterministic() {
        let (net, data) = setup(NetworkKind::Spiking);
        let wires = Wires::new(2.0, 2.0, 0.0, 0.0).unwrap();
        let run = || {
            let mut p = ProgrammedNetwork::program(&net, &array(wires), 7).unwrap();
            p.costed_accuracy_at(0.0, &data, 3, 10e-9).unwrap()
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b, "same seed, same bits");
        // Ideal device, ideal wires apart from 2 Ω: each read's energy is
        // close to V²·t·Σ_active Σ_j g, i.e. between g_min and g_max per cell.
        let dev = library::preset("ideal").unwrap();
        let (g_min, g_max) = (dev.g_min.siemens(), dev.g_max.siemens());
        for t in &a.layers[0].tiles {
            let cells = t.active_rows as f64 * t.cols as f64;
            let lo = cells * g_min * 0.04 * 10e-9 * 0.9;
            let hi = cells * g_max * 0.04 * 10e-9;
            assert!(
                t.array_energy_j >= lo && t.array_energy_j <= hi,
                "{t:?} {lo:e} {hi:e}"
            );
            assert!((t.wordline_v2 - t.active_rows as f64 * 0.04).abs() < 1e-9);
        }
    }
}
