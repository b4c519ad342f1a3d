//! The one evaluation of a programmed network on its arrays,
//! [`ProgrammedNetwork::evaluate_at`], with an optional
//! [`ActivityProbe`] that records what every tile does for the cost model.
//!
//! At each time `t` every tile is read once (drift, read noise, IR drop by
//! the array's solver, drift compensation; see [`crate::hardware`]). Without
//! converters the tiles of a layer collapse into one effective weight
//! matrix, exactly, and inference is the software forward pass on it; with
//! a DAC or an ADC every tile's partial sums go through them and are added
//! digitally. The converters' full scales are calibrated once, at `t₀`, on
//! the first [`CALIBRATION_IMAGES`] images evaluated, and that calibration
//! read is part of the arrays' history (it draws read noise).
//!
//! A probe only watches: the products, the reads and their random draws
//! are the same with and without one, so the accuracy is the same bit for
//! bit. Without converters the probe still needs each layer's input full
//! scale (the voltage of an input of `x` is `x·V_read/x_max`): it is
//! calibrated the same way on a copy of the arrays, which leaves their
//! read noise untouched.

use std::sync::atomic::Ordering;

use nalgebra::DMatrix;
use xbar_crossbar::Dac;

use crate::activity::{ActivityProbe, LayerRecorder, TileSpan};
use crate::bptt::{fraction_correct, predict, EncodingKey, Synapses, EVALUATION_PASS};
use crate::cells::{CellLayer, CellReadKind, CellSynapses};
use crate::hardware::{
    ConvertedLayer, HardwareError, ProgrammedLayer, ProgrammedNetwork, CALIBRATION_IMAGES,
};
use crate::mnist::Dataset;
use crate::network::{Layer, NetworkKind};
use crate::sliced::{volts_per_digit, SlicedProduct};

/// How a layer's product is computed.
enum Product {
    /// Tiles collapsed into one matrix (no converters).
    Collapsed(Layer<f32>),
    /// Tile by tile through DAC and ADC.
    Converted(ConvertedLayer),
    /// Tile by tile through nonlinear cells ([`crate::cells`]), DAC and
    /// ADC, then the bias.
    Cells(CellSynapses),
    /// Through a bit-sliced mapping ([`crate::sliced`]), then the bias.
    Sliced {
        layer: SlicedProduct,
        bias: Vec<f32>,
    },
}

/// One layer as an evaluation runs it, and what records its activity.
struct EvaluatedLayer {
    product: Product,
    recorder: Option<LayerRecorder>,
}

impl Synapses<f32> for EvaluatedLayer {
    fn product(&self, x: &[f32], out: &mut [f32]) {
        if let Product::Sliced { layer, bias } = &self.product {
            let x64 = DMatrix::from_iterator(1, x.len(), x.iter().map(|&v| f64::from(v)));
            let y = layer.product(&x64, |xi| {
                if let Some(recorder) = &self.recorder {
                    layer.record(recorder, xi);
                }
            });
            for ((o, &v), &b) in out.iter_mut().zip(y.iter()).zip(bias) {
                *o = (v + f64::from(b)) as f32;
            }
            return;
        }
        let (dac, powers): (Option<&Dac>, Option<Vec<f64>>) = match &self.product {
            Product::Sliced { .. } => unreachable!("computed above"),
            Product::Collapsed(layer) => {
                layer.product(x, out);
                (None, None)
            }
            Product::Converted(layer) => {
                layer.product(x, out);
                (layer.dac.as_ref(), None)
            }
            Product::Cells(cells) => {
                let powers = cells.product_with_powers(x, out);
                (cells.layer.dac.as_ref(), Some(powers))
            }
        };
        if let Some(recorder) = &self.recorder {
            recorder.record(x, dac, powers.as_deref());
        }
    }
}

impl ProgrammedNetwork<'_> {
    /// Reads every array at `t` (s) and classifies `data` (input spikes
    /// from `input_seed`); returns the fraction classified right. With a
    /// `probe`, also records what every tile did into it (see
    /// [`crate::activity`]); the accuracy is the same, bit for bit, with
    /// or without a probe (see the [module docs](self)).
    ///
    /// The first evaluation with converters calibrates their full scales
    /// at `t₀` (one extra read of every array); later evaluations reuse
    /// them.
    ///
    /// # Errors
    /// Data that does not fit the network, or arrays that refuse.
    pub fn evaluate_at(
        &mut self,
        t: f64,
        data: &Dataset,
        input_seed: u64,
        probe: Option<&mut ActivityProbe>,
    ) -> Result<f64, HardwareError> {
        self.check_data(data)?;
        let key = EncodingKey {
            seed: input_seed,
            pass: EVALUATION_PASS,
        };
        let ideal = self.array.converters.is_ideal();
        let cell = CellReadKind::of(&self.array.device).nonlinear();
        let sliced = self.array.mapping;
        if self.ranges.is_none() {
            if !ideal {
                self.ranges = Some(self.calibrate(data, key, false)?);
            } else if probe.is_some() || cell.is_some() || sliced.is_some() {
                self.ranges = Some(self.calibrate(data, key, true)?);
            }
        }
        let read_time_s = probe.as_ref().map(|p| p.read_time_s);
        let v_read = self.array.converters.read_voltage;
        let (wires, solver) = (self.array.wires, self.array.solver);
        let mut layers = Vec::with_capacity(self.layers.len());
        for (l, (pl, layer)) in self.layers.iter_mut().zip(self.net.layers()).enumerate() {
            let mut conductances: Vec<DMatrix<f64>> = Vec::new();
            let keep = read_time_s.is_some().then_some(&mut conductances);
            let ranges = self.ranges.as_deref().unwrap_or_default();
            let compensate = self.array.drift_compensation;
            if let Some(slicing) = &sliced {
                let tiles = pl.read_levels(t, &wires, solver, compensate, keep)?;
                let x_max = f64::from(ranges[l].0);
                let recorder = read_time_s
                    .map(|read_time_s| {
                        LayerRecorder::new(
                            pl.spans(),
                            Some((conductances, &wires, solver)),
                            volts_per_digit(slicing, v_read),
                            read_time_s,
                        )
                    })
                    .transpose()?;
                layers.push(EvaluatedLayer {
                    product: Product::Sliced {
                        layer: SlicedProduct::new(pl, tiles, x_max)?,
                        bias: layer.bias.clone(),
                    },
                    recorder,
                });
                continue;
            }
            if let Some(cell) = cell {
                let tiles = pl.read_cells(t, &wires, (solver, v_read), cell, compensate, None)?;
                let spans = tiles
                    .iter()
                    .map(|t| TileSpan {
                        row0: t.row0,
                        rows: t.rows,
                        bit_lines: 2 * t.cols,
                    })
                    .collect();
                let (x_max, y_max) = ranges[l];
                let periphery = self
                    .array
                    .converters
                    .periphery(f64::from(x_max), f64::from(y_max))?;
                let volts_per_unit = v_read / f64::from(x_max);
                let recorder = read_time_s
                    .map(|read_time_s| LayerRecorder::new(spans, None, volts_per_unit, read_time_s))
                    .transpose()?;
                let power = (volts_per_unit, recorder.is_some());
                let cells = CellLayer::new(tiles, periphery.dac, periphery.adc, power);
                layers.push(EvaluatedLayer {
                    product: Product::Cells(CellSynapses {
                        layer: cells,
                        bias: layer.bias.clone(),
                    }),
                    recorder,
                });
                continue;
            }
            let tiles = pl.read_keeping(t, &wires, solver, compensate, keep)?;
            let spans: Vec<TileSpan> = tiles
                .iter()
                .map(|t| TileSpan {
                    row0: t.row0,
                    rows: t.rows,
                    bit_lines: 2 * t.cols,
                })
                .collect();
            let product = if ideal {
                Product::Collapsed(pl.collapse(&tiles, &layer.bias))
            } else {
                let (x_max, y_max) = ranges[l];
                let periphery = self
                    .array
                    .converters
                    .periphery(f64::from(x_max), f64::from(y_max))?;
                Product::Converted(ConvertedLayer::new(
                    &layer.bias,
                    tiles,
                    periphery.dac,
                    periphery.adc,
                ))
            };
            let recorder = match read_time_s {
                Some(read_time_s) => Some(LayerRecorder::new(
                    spans,
                    Some((conductances, &wires, solver)),
                    v_read / f64::from(ranges[l].0),
                    read_time_s,
                )?),
                None => None,
            };
            layers.push(EvaluatedLayer { product, recorder });
        }
        let config = self.net.config();
        let predicted = predict::<f32, _>(config, &layers, data.images(), key);
        for el in &layers {
            if let Product::Cells(CellSynapses { layer, .. }) = &el.product {
                if let Some(e) = layer.take_error() {
                    return Err(e.into());
                }
            }
        }
        if let Some(probe) = probe {
            let inferences = data.len() as u64;
            probe.inferences = inferences;
            probe.layers = layers
                .iter()
                .zip(&self.layers)
                .filter_map(|(el, pl)| {
                    let recorder = el.recorder.as_ref()?;
                    Some(recorder.activity(
                        (pl.inputs, pl.outputs, 1),
                        (config.kind, config.steps),
                        inferences,
                    ))
                })
                .collect();
        }
        Ok(fraction_correct(&predicted, data.labels()))
    }

    /// Converter ranges from the programmed arrays at `t₀` on the first
    /// [`CALIBRATION_IMAGES`] images: the largest input and partial sum of
    /// each layer (input units, weight units). On a copy of the arrays
    /// when `on_copy` (their read noise then stays as it was).
    fn calibrate(
        &mut self,
        data: &Dataset,
        key: EncodingKey,
        on_copy: bool,
    ) -> Result<Vec<(f32, f32)>, HardwareError> {
        let t0 = self.array.device.drift.as_ref().map_or(0.0, |d| d.t0_s);
        let mut copy: Vec<ProgrammedLayer>;
        let arrays = if on_copy {
            copy = self.layers.clone();
            &mut copy
        } else {
            &mut self.layers
        };
        let mut probes = Vec::new();
        for (pl, layer) in arrays.iter_mut().zip(self.net.layers()) {
            // Ideal converters, no compensation: what the ranges must hold.
            let tiles = pl.read(t0, &self.array.wires, self.array.solver, false)?;
            probes.push(ConvertedLayer::new(&layer.bias, tiles, None, None));
        }
        let n = data.len().min(CALIBRATION_IMAGES) * data.pixels();
        predict::<f32, _>(self.net.config(), &probes, &data.images()[..n], key);
        let spiking = self.net.config().kind == NetworkKind::Spiking;
        let mut ranges: Vec<(f32, f32)> = probes
            .iter()
            .enumerate()
            .map(|(l, p)| {
                let x = f32::from_bits(p.max_input.load(Ordering::Relaxed));
                let y = f32::from_bits(p.max_partial.load(Ordering::Relaxed));
                // Spikes and pixels are at most 1: the DAC spans [0, 1].
                let x_max = if spiking || l == 0 {
                    1.0
                } else {
                    x.max(f32::MIN_POSITIVE)
                };
                (x_max, y.max(f32::MIN_POSITIVE))
            })
            .collect();
        let cells = CellReadKind::of(&self.array.device).nonlinear();
        // (A bit-sliced mapping reads nonlinear cells as level matrices:
        // the calibration above read them.)
        if let Some(cell) = cells.filter(|_| self.array.mapping.is_none()) {
            // The partial sums of nonlinear cells at those input full
            // scales, read on a copy of the arrays.
            let v_read = self.array.converters.read_voltage;
            let mut copy = self.layers.clone();
            let mut cells = Vec::with_capacity(copy.len());
            for ((pl, layer), &(x_max, _)) in copy.iter_mut().zip(self.net.layers()).zip(&ranges) {
                let how = (self.array.solver, v_read);
                let tiles = pl.read_cells(t0, &self.array.wires, how, cell, false, None)?;
                let volts_per_unit = v_read / f64::from(x_max);
                cells.push(EvaluatedLayer {
                    product: Product::Cells(CellSynapses {
                        layer: CellLayer::new(tiles, None, None, (volts_per_unit, false)),
                        bias: layer.bias.clone(),
                    }),
                    recorder: None,
                });
            }
            predict::<f32, _>(self.net.config(), &cells, &data.images()[..n], key);
            for (range, el) in ranges.iter_mut().zip(&cells) {
                if let Product::Cells(CellSynapses { layer, .. }) = &el.product {
                    if let Some(e) = layer.take_error() {
                        return Err(e.into());
                    }
                    range.1 = (layer.maxima().1 as f32).max(f32::MIN_POSITIVE);
                }
            }
        }
        Ok(ranges)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::hardware::ArrayConfig;
    use crate::network::{Network, NetworkConfig};
    use xbar_crossbar::{Converters, Wires};
    use xbar_devices::library;

    /// A 12-6-3 network with fixed weights and five 3×4 images (also the
    /// sliced arrays' test network).
    pub(crate) fn setup(kind: NetworkKind) -> (Network, Dataset) {
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

    /// One evaluation with a probe: the accuracy and what was recorded.
    fn costed(
        p: &mut ProgrammedNetwork<'_>,
        data: &Dataset,
        seed: u64,
        read_time_s: f64,
    ) -> (f64, ActivityProbe) {
        let mut probe = ActivityProbe::new(read_time_s);
        let accuracy = p.evaluate_at(0.0, data, seed, Some(&mut probe)).unwrap();
        (accuracy, probe)
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
        let (_, e) = costed(&mut p, &blank, 3, 10e-9);
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
            let (_, e) = costed(&mut p, &idx(&image(rows), &[0]), 3, 10e-9);
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
            costed(&mut p, &data, 3, 10e-9)
        };
        let (a, b) = (run(), run());
        assert_eq!(a, b, "same seed, same bits");
        // Ideal device, ideal wires apart from 2 Ω: each read's energy is
        // close to V²·t·Σ_active Σ_j g, i.e. between g_min and g_max per cell.
        let dev = library::preset("ideal").unwrap();
        let (g_min, g_max) = (dev.g_min.siemens(), dev.g_max.siemens());
        for t in &a.1.layers[0].tiles {
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

    /// Accuracies at three times, with or without a probe, on a fresh
    /// programming of `net` (ibm-pcm: drift and read noise), and the
    /// network the arrays hold after them (their next read).
    fn accuracies(
        net: &Network,
        data: &Dataset,
        array: &ArrayConfig,
        probe: bool,
    ) -> (Vec<f64>, Network) {
        let mut p = ProgrammedNetwork::program(net, array, 11).unwrap();
        let accuracies = [1.0, 3600.0, 86400.0]
            .iter()
            .map(|&t| {
                let mut probe = probe.then(|| ActivityProbe::new(10e-9));
                let a = p.evaluate_at(t, data, 3, probe.as_mut()).unwrap();
                if let Some(probe) = probe {
                    assert_eq!(probe.layers.len(), 2);
                    assert_eq!(probe.inferences, data.len() as u64);
                }
                a
            })
            .collect();
        (accuracies, p.read_network(1e5).unwrap())
    }

    #[test]
    fn a_probe_does_not_change_the_accuracy_with_or_without_converters() {
        let pcm = library::preset("ibm-pcm").unwrap();
        let wires = Wires::new(2.0, 2.0, 0.0, 0.0).unwrap();
        for kind in [NetworkKind::Spiking, NetworkKind::Relu] {
            let (net, data) = setup(kind);
            let with_adc = ArrayConfig {
                device: pcm.clone(),
                ..array(wires)
            };
            let ideal = ArrayConfig {
                converters: Converters::default(),
                ..with_adc.clone()
            };
            assert!(ideal.converters.is_ideal());
            for a in [&with_adc, &ideal] {
                let (plain, after) = accuracies(&net, &data, a, false);
                let (probed, after_probed) = accuracies(&net, &data, a, true);
                assert_eq!(plain, probed, "{kind:?}");
                // The probe drew no read noise of its own: the arrays'
                // next read is the same, bit for bit.
                assert_eq!(after, after_probed, "{kind:?}");
            }
        }
    }

    #[test]
    fn without_converters_the_tiles_collapse_into_the_read_network() {
        // The evaluation without converters is the software forward pass
        // of the network the arrays hold (one read at t).
        let pcm = library::preset("ibm-pcm").unwrap();
        let (net, data) = setup(NetworkKind::Spiking);
        let a = ArrayConfig {
            device: pcm,
            converters: Converters::default(),
            ..array(Wires::new(2.0, 2.0, 0.0, 0.0).unwrap())
        };
        let mut p = ProgrammedNetwork::program(&net, &a, 5).unwrap();
        let read = p.read_network(60.0).unwrap();
        let software = crate::train::accuracy(&read, &data, 3);
        let mut q = ProgrammedNetwork::program(&net, &a, 5).unwrap();
        let mut probe = ActivityProbe::new(10e-9);
        assert_eq!(
            q.evaluate_at(60.0, &data, 3, Some(&mut probe)).unwrap(),
            software
        );
        // The probe saw the spikes of the first layer on every tile.
        assert!(probe.layers[0].tiles.iter().all(|t| t.reads > 0));
    }
}
