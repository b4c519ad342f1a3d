//! A graph on programmed arrays: every weighted layer on tiles of devices,
//! the rest digital.
//!
//! ```text
//!  input C_in×H×W ──im2col──► X: (C_in·k_h·k_w) × (H_out·W_out)
//!
//!            column pair per output channel o: (G⁺_o, G⁻_o)
//!          ┌──────────────── tile 0 ────────┐┌──── tile 1 ───┐
//!  k=(c,i,j)│ G⁺₀ G⁻₀ G⁺₁ G⁻₁ …              ││ …             │ rows 0..R
//!  word     ├────────────────────────────────┤├───────────────┤
//!  lines    │ tile 2 …                       ││ tile 3 …      │ rows R..2R
//!          └────────────────────────────────┘└───────────────┘
//!  one read per output pixel p: word lines ← X[:, p]·V_read (DAC),
//!  bit-line pairs → ADC per tile → Σ over tiles (digital) + bias → y[:, p]
//! ```
//!
//! Before mapping, every batch-norm (per-channel affine) that directly
//! follows a convolution or linear layer is folded into its weights and
//! bias ([`Graph::fold_affine`]); the other affines, ReLU, pooling,
//! residual additions and all biases stay digital. A convolution's weights
//! are the `C_in·k_h·k_w × C_out` matrix of the unrolled input, mapped on
//! differential pairs with `w_max = max|W|` of the layer and split over
//! `tile_rows × tile_cols` tiles exactly as a dense layer
//! ([`crate::hardware`]): each tile is its own device array, programmed
//! once, then for each time `t` drifted and read once (read noise), scaled
//! by its drift-compensation factor, and turned into effective
//! conductances by the array's solver (with wires, the IR-drop-exact
//! transfer map: a tile's read for all output pixels is one GEMM).
//!
//! **Reads per image**: a convolution reads its tiles `H_out·W_out` times
//! (one input column per output pixel), a linear layer once
//! ([`Graph::reads_per_image`]).
//!
//! Without converters the tiles of a layer collapse into one effective
//! weight matrix, exactly. With a DAC or ADC, the inputs are quantised
//! over `±x_max` and each tile's partial sums over `±y_max` before the
//! digital sum; both full scales are calibrated per layer at `t₀` on the
//! first [`CALIBRATION_IMAGES`] images (the largest input and partial sum),
//! as for dense networks.

use std::sync::atomic::{AtomicU64, Ordering};

use nalgebra::DMatrix;
use xbar_crossbar::{Adc, Dac};
use xbar_devices::Cell;

use super::{kernels, Graph, Products};
use crate::activity::{ActivityProbe, LayerRecorder};
use crate::bptt::{fraction_correct, EncodingKey, EVALUATION_PASS};
use crate::cells::{CellLayer, CellReadKind};
use crate::hardware::CALIBRATION_IMAGES;
use crate::hardware::{ArrayConfig, HardwareError, ProgrammedLayer};
use crate::mnist::Dataset;
use crate::network::NetworkKind;
use crate::sliced::{volts_per_digit, SlicedProduct};

/// One tile's effective weights (weight units): `rows × cols`, row-major,
/// from input row `row0` and weight column `col0`.
struct TileRead {
    row0: usize,
    col0: usize,
    rows: usize,
    cols: usize,
    weights: Vec<f64>,
}

/// How one weighted layer's product is computed at one read.
enum LayerProduct {
    /// Tiles collapsed into the layer's `inputs × outputs` matrix.
    Collapsed(Vec<f64>),
    /// Tile by tile, each partial sum through the converters; records the
    /// largest |input| and |partial sum| (f64 bits) for calibration.
    Converted {
        tiles: Vec<TileRead>,
        dac: Option<Dac>,
        adc: Option<Adc>,
        max_input: AtomicU64,
        max_partial: AtomicU64,
    },
    /// Tile by tile through nonlinear cells ([`crate::cells`]), one read
    /// per output pixel.
    Cells(CellLayer),
    /// Through a bit-sliced mapping ([`crate::sliced`]), one read per
    /// output pixel and DAC step.
    Sliced(SlicedProduct),
}

/// Every weighted layer as read at one time, and what records its
/// activity for the cost model.
struct Read {
    dims: Vec<(usize, usize)>,
    layers: Vec<LayerProduct>,
    recorders: Vec<Option<LayerRecorder>>,
}

impl Read {
    /// The first error a read through nonlinear cells met.
    fn take_error(&self) -> Result<(), HardwareError> {
        for layer in &self.layers {
            if let LayerProduct::Cells(cells) = layer {
                if let Some(e) = cells.take_error() {
                    return Err(e.into());
                }
            }
        }
        Ok(())
    }
}

impl Products for Read {
    fn product(&self, layer: usize, x: &[f64], p: usize, out: &mut [f64]) {
        let (k, n) = self.dims[layer];
        let recorder = self.recorders.get(layer).and_then(Option::as_ref);
        if let LayerProduct::Sliced(sliced) = &self.layers[layer] {
            // The output pixels as one batch: row q is input column q.
            let batch = DMatrix::from_fn(p, k, |q, r| x[r * p + q]);
            let y = sliced.product(&batch, |xi| {
                if let Some(recorder) = recorder {
                    sliced.record(recorder, xi);
                }
            });
            for j in 0..n {
                for q in 0..p {
                    out[j * p + q] = y[(q, j)];
                }
            }
            return;
        }
        if let LayerProduct::Cells(cells) = &self.layers[layer] {
            // One read of the tiles per output pixel: its input column.
            out.fill(0.0);
            let mut column = vec![0.0; k];
            let mut y = vec![0.0; n];
            for q in 0..p {
                for (r, c) in column.iter_mut().enumerate() {
                    *c = x[r * p + q];
                }
                y.fill(0.0);
                let powers = cells.product(&column, &mut y);
                for (j, &v) in y.iter().enumerate() {
                    out[j * p + q] = v;
                }
                if let Some(recorder) = recorder {
                    let column: Vec<f32> = column.iter().map(|&v| v as f32).collect();
                    recorder.record(&column, cells.dac.as_ref(), Some(&powers));
                }
            }
            return;
        }
        if let Some(recorder) = recorder {
            let dac = match &self.layers[layer] {
                LayerProduct::Converted { dac, .. } => dac.as_ref(),
                LayerProduct::Collapsed(_) | LayerProduct::Cells(_) | LayerProduct::Sliced(_) => {
                    None
                }
            };
            // One read of the tiles per output pixel: its input column.
            let mut column = vec![0f32; k];
            for q in 0..p {
                for (r, c) in column.iter_mut().enumerate() {
                    *c = x[r * p + q] as f32;
                }
                recorder.record(&column, dac, None);
            }
        }
        match &self.layers[layer] {
            LayerProduct::Cells(_) | LayerProduct::Sliced(_) => unreachable!("read above"),
            LayerProduct::Collapsed(w) => kernels::gemm_t(w, k, n, x, p, out),
            LayerProduct::Converted {
                tiles,
                dac,
                adc,
                max_input,
                max_partial,
            } => {
                let largest = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                max_input.fetch_max(largest.to_bits(), Ordering::Relaxed);
                let quantised: Vec<f64>;
                let x = match dac {
                    Some(dac) => {
                        quantised = x.iter().map(|&v| dac.convert_one(v)).collect();
                        &quantised
                    }
                    None => x,
                };
                out.fill(0.0);
                let mut partial = Vec::new();
                let mut largest = 0.0f64;
                for t in tiles {
                    partial.resize(t.cols * p, 0.0);
                    let rows = &x[t.row0 * p..(t.row0 + t.rows) * p];
                    kernels::gemm_t(&t.weights, t.rows, t.cols, rows, p, &mut partial);
                    let dst = &mut out[t.col0 * p..(t.col0 + t.cols) * p];
                    for (o, &v) in dst.iter_mut().zip(&partial) {
                        largest = largest.max(v.abs());
                        *o += match adc {
                            Some(adc) => adc.convert_one(v),
                            None => v,
                        };
                    }
                }
                max_partial.fetch_max(largest.to_bits(), Ordering::Relaxed);
            }
        }
    }
}

/// A graph programmed onto one instance of arrays.
///
/// ```
/// use xbar_devices::{Conductance, DeviceSpec};
/// use xbar_training::graph::{Graph, Node, Op, ProgrammedGraph, Shape, Weights};
/// use xbar_training::ArrayConfig;
///
/// let fc = Weights { inputs: 3, outputs: 2, weights: vec![0.5, -1.0, 0.25, 0.0, -0.5, 1.0], bias: vec![0.1, 0.0] };
/// let nodes = vec![Node { name: "fc".into(), op: Op::Linear(fc), inputs: vec![0] }];
/// let graph = Graph::new(Shape::new(3, 1, 1), nodes)?;
/// // An ideal device: every conductance as programmed, no drift, no noise.
/// let device = DeviceSpec { name: "ideal".into(), g_min: Conductance(1e-6), g_max: Conductance(1e-4), ..Default::default() };
/// let mut on_arrays = ProgrammedGraph::program(&graph, &ArrayConfig::new(device), 7)?;
/// let image = [0.2f32, 0.7, 1.0];
/// let y = &on_arrays.logits_at(0.0, &image, 0)?[0];
/// let exact = graph.forward(&[0.2f32 as f64, 0.7f32 as f64, 1.0], 0);
/// assert!((y[0] - exact[0]).abs() < 1e-12 && (y[1] - exact[1]).abs() < 1e-12);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ProgrammedGraph {
    graph: Graph,
    array: ArrayConfig,
    layers: Vec<ProgrammedLayer>,
    /// Converter full scales per weighted layer (input units, weight
    /// units), from calibration at `t₀`.
    ranges: Option<Vec<(f64, f64)>>,
}

impl ProgrammedGraph {
    /// Memory (bytes) one programmed instance holds, at least: a
    /// differential pair of conductances (two `f64`) per weight.
    pub fn memory_bytes(graph: &Graph) -> f64 {
        16.0 * graph
            .weighted()
            .map(|(_, w)| w.weights.len())
            .sum::<usize>() as f64
    }

    /// Folds batch-norm into the weights and programs every weighted layer
    /// onto a fresh device instance keyed by `seed`.
    ///
    /// # Errors
    /// A refused array setting or device.
    pub fn program(graph: &Graph, array: &ArrayConfig, seed: u64) -> Result<Self, HardwareError> {
        array.validate()?;
        let graph = graph.fold_affine();
        let layers = graph
            .weighted()
            .enumerate()
            .map(|(l, (_, w))| {
                let m = DMatrix::from_row_slice(w.inputs, w.outputs, &w.weights);
                let w_max = w.max_abs_weight().max(f64::MIN_POSITIVE);
                let tile = (array.tile_rows, array.tile_cols);
                let seed = seed
                    .wrapping_mul(0x9E37_79B9)
                    .wrapping_add((l as u64) << 20);
                match &array.mapping {
                    None => ProgrammedLayer::program_matrix(&m, &array.device, w_max, tile, seed),
                    Some(slicing) => ProgrammedLayer::program_sliced(
                        &m,
                        &array.device,
                        w_max,
                        tile,
                        (slicing, array.converters.read_voltage),
                        seed,
                    ),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ProgrammedGraph {
            graph,
            array: array.clone(),
            layers,
            ranges: None,
        })
    }

    /// The graph as mapped (batch-norm folded).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Every tile read once at `t` (s), as products with the converters
    /// of `ranges` (`None`: ideal converters, tiles collapsed).
    /// With `keep`, each layer's tiles' read conductances (S) are pushed
    /// onto it. With `cells`, every layer is read through its nonlinear
    /// cells instead ([`crate::cells`]).
    fn read(
        &mut self,
        t: f64,
        compensate: bool,
        ranges: Option<&[(f64, f64)]>,
        tile_by_tile: bool,
        mut keep: Option<&mut Vec<Vec<DMatrix<f64>>>>,
        cells: Option<CellsRead<'_>>,
    ) -> Result<Read, HardwareError> {
        // A bit-sliced mapping reads through its slices once calibrated
        // (the calibration itself reads tile by tile the weights the
        // slices hold).
        let sliced = match (&self.array.mapping, tile_by_tile) {
            (Some(_), false) => self.ranges.clone(),
            _ => None,
        };
        let (wires, solver) = (self.array.wires, self.array.solver);
        let mut dims = Vec::with_capacity(self.layers.len());
        let mut layers = Vec::with_capacity(self.layers.len());
        for (l, pl) in self.layers.iter_mut().enumerate() {
            let (k, n) = (pl.inputs, pl.outputs);
            dims.push((k, n));
            let mut kept = Vec::new();
            if let (Some(ranges), Some(_)) = (&sliced, &pl.sliced) {
                let tiles = pl.read_levels(
                    t,
                    &wires,
                    solver,
                    compensate,
                    keep.is_some().then_some(&mut kept),
                )?;
                layers.push(LayerProduct::Sliced(SlicedProduct::new(
                    pl,
                    tiles,
                    ranges[l].0,
                )?));
                if let Some(keep) = keep.as_deref_mut() {
                    keep.push(kept);
                }
                continue;
            }
            if let Some(CellsRead {
                cell,
                ranges,
                converters,
            }) = cells
            {
                let (x_max, y_max) = ranges[l];
                let (dac, adc) = if converters {
                    let p = self.array.converters.periphery(x_max, y_max)?;
                    (p.dac, p.adc)
                } else {
                    (None, None)
                };
                let tiles = pl.read_cells(
                    t,
                    &wires,
                    (self.array.solver, self.array.converters.read_voltage),
                    cell,
                    compensate,
                    keep.is_some().then_some(&mut kept),
                )?;
                let volts_per_unit = self.array.converters.read_voltage / x_max;
                // The power only for a cost recording (it keeps conductances).
                let power = keep.is_some();
                layers.push(LayerProduct::Cells(CellLayer::new(
                    tiles,
                    dac,
                    adc,
                    (volts_per_unit, power),
                )));
                if let Some(keep) = keep.as_deref_mut() {
                    keep.push(kept);
                }
                continue;
            }
            let tiles: Vec<TileRead> = pl
                .read_tiles(
                    t,
                    &wires,
                    solver,
                    compensate,
                    keep.is_some().then_some(&mut kept),
                )?
                .into_iter()
                .map(|(row0, col0, w)| {
                    let (rows, cols) = w.shape();
                    TileRead {
                        row0,
                        col0,
                        rows,
                        cols,
                        weights: w.transpose().as_slice().to_vec(),
                    }
                })
                .collect();
            let product = match ranges {
                Some(ranges) => {
                    let (x_max, y_max) = ranges[l];
                    let p = self.array.converters.periphery(x_max, y_max)?;
                    converted(tiles, p.dac, p.adc)
                }
                None if tile_by_tile => converted(tiles, None, None),
                None => {
                    let mut w = vec![0.0; k * n];
                    for t in &tiles {
                        for r in 0..t.rows {
                            let dst = (t.row0 + r) * n + t.col0;
                            w[dst..dst + t.cols]
                                .copy_from_slice(&t.weights[r * t.cols..(r + 1) * t.cols]);
                        }
                    }
                    LayerProduct::Collapsed(w)
                }
            };
            layers.push(product);
            if let Some(keep) = keep.as_deref_mut() {
                keep.push(kept);
            }
        }
        let recorders = layers.iter().map(|_| None).collect();
        Ok(Read {
            dims,
            layers,
            recorders,
        })
    }

    /// The converters' full scales from a read at `t₀` without
    /// compensation on the first [`CALIBRATION_IMAGES`] of `images`; on a
    /// copy of the arrays when `on_copy` (their read noise then stays as
    /// it was).
    fn calibrate(
        &mut self,
        images: &[f32],
        on_copy: bool,
        seed: u64,
    ) -> Result<Vec<(f64, f64)>, HardwareError> {
        let t0 = self.array.device.drift.as_ref().map_or(0.0, |d| d.t0_s);
        let kept = on_copy.then(|| self.layers.clone());
        let read = self.read(t0, false, None, true, None, None)?;
        if let Some(layers) = kept {
            self.layers = layers;
        }
        let n = (images.len() / self.graph.input_shape().len()).min(CALIBRATION_IMAGES);
        let images = &images[..n * self.graph.input_shape().len()];
        self.graph.predict_with(images, &read, seed);
        let mut ranges: Vec<(f64, f64)> = read.layers.iter().map(maxima).collect();
        let cells = CellReadKind::of(&self.array.device).nonlinear();
        // (A bit-sliced mapping reads nonlinear cells as level matrices:
        // the calibration above read them.)
        if let Some(cell) = cells.filter(|_| self.array.mapping.is_none()) {
            // The partial sums of nonlinear cells at those input full
            // scales, read on a copy of the arrays.
            let kept = self.layers.clone();
            let cells = CellsRead {
                cell,
                ranges: &ranges,
                converters: false,
            };
            let read = self.read(t0, false, None, true, None, Some(cells))?;
            self.layers = kept;
            self.graph.predict_with(images, &read, seed);
            read.take_error()?;
            for (range, layer) in ranges.iter_mut().zip(&read.layers) {
                range.1 = maxima(layer).1;
            }
        }
        Ok(ranges)
    }

    /// Reads every array at `t` (s): the products of this read, converters
    /// calibrated on `images` the first time (as for dense networks, with
    /// ideal converters a probe's input full scales are calibrated on a
    /// copy of the arrays). With `read_time_s`, every layer records its
    /// activity.
    fn read_at(
        &mut self,
        t: f64,
        images: &[f32],
        read_time_s: Option<f64>,
        seed: u64,
    ) -> Result<Read, HardwareError> {
        let ideal = self.array.converters.is_ideal();
        let cell = CellReadKind::of(&self.array.device).nonlinear();
        let mapping = self.array.mapping;
        if self.ranges.is_none()
            && (!ideal || read_time_s.is_some() || cell.is_some() || mapping.is_some())
        {
            self.ranges = Some(self.calibrate(images, ideal, seed)?);
        }
        let ranges = self.ranges.clone();
        let used = if ideal { None } else { ranges.as_deref() };
        let mut kept = Vec::new();
        let keep = read_time_s.is_some().then_some(&mut kept);
        let cells = match (cell, ranges.as_deref()) {
            (Some(cell), Some(ranges)) => Some(CellsRead {
                cell,
                ranges,
                converters: true,
            }),
            _ => None,
        };
        let compensate = self.array.drift_compensation;
        let mut read = self.read(t, compensate, used, false, keep, cells)?;
        if let (Some(read_time_s), Some(ranges)) = (read_time_s, ranges) {
            let v_read = self.array.converters.read_voltage;
            let wires = (&self.array.wires, self.array.solver);
            read.recorders = self
                .layers
                .iter()
                .zip(kept)
                .zip(&ranges)
                .map(|((pl, conductances), &(x_max, _))| {
                    let linear = cell.is_none().then_some((conductances, wires.0, wires.1));
                    let volts_per_unit = match &mapping {
                        Some(slicing) => volts_per_digit(slicing, v_read),
                        None => v_read / x_max,
                    };
                    LayerRecorder::new(pl.spans(), linear, volts_per_unit, read_time_s).map(Some)
                })
                .collect::<Result<Vec<_>, _>>()?;
        }
        Ok(read)
    }

    fn check_images(&self, images: &[f32]) -> Result<(), HardwareError> {
        let len = self.graph.input_shape().len();
        if images.len() % len != 0 {
            return Err(HardwareError::Data(format!(
                "{} values are not a whole number of {} images",
                images.len(),
                self.graph.input_shape()
            )));
        }
        Ok(())
    }

    /// The class scores of every image of `images` (as
    /// [`Graph::predict`] takes them) after one read of the arrays at `t`;
    /// rate-coded inputs draw their spikes from `seed`.
    ///
    /// # Errors
    /// Images that are not a whole number of inputs; arrays that refuse.
    pub fn logits_at(
        &mut self,
        t: f64,
        images: &[f32],
        seed: u64,
    ) -> Result<Vec<Vec<f64>>, HardwareError> {
        self.check_images(images)?;
        let read = self.read_at(t, images, None, seed)?;
        let graph = &self.graph;
        let key = EncodingKey {
            seed,
            pass: EVALUATION_PASS,
        };
        let logits = images
            .chunks(graph.input_shape().len())
            .enumerate()
            .map(|(i, image)| {
                let image: Vec<f64> = image.iter().map(|&v| f64::from(v)).collect();
                graph.forward_with(&image, &read, (key, i))
            })
            .collect();
        read.take_error()?;
        Ok(logits)
    }

    /// Reads every array at `t` (s) and returns the fraction of `data`
    /// classified right (rate-coded inputs drawn from `seed`).
    ///
    /// # Errors
    /// Data that does not fit the graph's input; arrays that refuse.
    ///
    /// With a `probe`, also records what every tile did into it (reads per
    /// output pixel, active rows, the exact array energy; see
    /// [`crate::activity`]); the accuracy is the same, bit for bit, with or
    /// without one.
    pub fn evaluate_at(
        &mut self,
        t: f64,
        data: &Dataset,
        seed: u64,
        probe: Option<&mut ActivityProbe>,
    ) -> Result<f64, HardwareError> {
        check_data(&self.graph, data)?;
        let read_time_s = probe.as_ref().map(|p| p.read_time_s);
        let read = self.read_at(t, data.images(), read_time_s, seed)?;
        let predicted = self.graph.predict_with(data.images(), &read, seed);
        read.take_error()?;
        if let Some(probe) = probe {
            let inferences = data.len() as u64;
            probe.inferences = inferences;
            let pixels = self.graph.reads_per_image();
            let neurons = match self.graph.is_spiking() {
                true => (NetworkKind::Spiking, self.graph.time().steps),
                false => (NetworkKind::Relu, 1),
            };
            probe.layers = read
                .recorders
                .iter()
                .zip(&read.dims)
                .zip(pixels)
                .filter_map(|((r, &(k, n)), p)| {
                    Some(r.as_ref()?.activity((k, n, p), neurons, inferences))
                })
                .collect();
        }
        Ok(fraction_correct(&predicted, data.labels()))
    }
}

/// The largest |input| and |partial sum| a tile-by-tile product saw
/// (at least the smallest positive number, a usable full scale).
fn maxima(layer: &LayerProduct) -> (f64, f64) {
    let (x, y) = match layer {
        LayerProduct::Converted {
            max_input,
            max_partial,
            ..
        } => (
            f64::from_bits(max_input.load(Ordering::Relaxed)),
            f64::from_bits(max_partial.load(Ordering::Relaxed)),
        ),
        LayerProduct::Cells(cells) => cells.maxima(),
        LayerProduct::Collapsed(_) | LayerProduct::Sliced(_) => {
            unreachable!("calibration reads tile by tile")
        }
    };
    (x.max(f64::MIN_POSITIVE), y.max(f64::MIN_POSITIVE))
}

/// A read through nonlinear cells: the cell, the layers' full scales
/// (input units, weight units), and whether the converters are applied.
#[derive(Clone, Copy)]
struct CellsRead<'r> {
    cell: Cell,
    ranges: &'r [(f64, f64)],
    converters: bool,
}

fn converted(tiles: Vec<TileRead>, dac: Option<Dac>, adc: Option<Adc>) -> LayerProduct {
    LayerProduct::Converted {
        tiles,
        dac,
        adc,
        max_input: AtomicU64::new(0),
        max_partial: AtomicU64::new(0),
    }
}

/// The data's images must have the graph's input shape and its labels
/// a class among the outputs.
///
/// # Errors
/// [`HardwareError::Data`] saying what differs.
pub fn check_data(graph: &Graph, data: &Dataset) -> Result<(), HardwareError> {
    let want = graph.input_shape();
    let got = data.image_shape();
    if got != want {
        return Err(HardwareError::Data(format!(
            "the images are {got} (C×H×W) but the network takes {want}"
        )));
    }
    let classes = graph.output_shape().len();
    if let Some(&bad) = data.labels().iter().find(|&&l| usize::from(l) >= classes) {
        return Err(HardwareError::Data(format!(
            "a label is {bad} but the network has {classes} outputs (classes 0..{})",
            classes - 1
        )));
    }
    Ok(())
}

/// The software accuracy of `graph` on `data` (rate-coded inputs drawn
/// from `seed`).
///
/// # Errors
/// Data that does not fit the graph's input.
pub fn accuracy(graph: &Graph, data: &Dataset, seed: u64) -> Result<f64, HardwareError> {
    check_data(graph, data)?;
    Ok(fraction_correct(
        &graph.predict(data.images(), seed),
        data.labels(),
    ))
}
