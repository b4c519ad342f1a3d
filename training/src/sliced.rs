//! Network reads through a bit-sliced mapping ([`ArrayConfig::mapping`]):
//! weights quantised and spread over cells of a few levels each, inputs fed
//! a few bits per DAC step, an ADC per slice and step, shift-and-add in
//! digital ([`xbar_crossbar::slicing`] holds the arithmetic).
//!
//! # Mapping a layer
//! A layer's real weights `W` (inputs × outputs) become integers
//! `q = round(W/w_max·W_hi)` of the [`Slicing`] (`w_max = max|W|` of the
//! layer, `W_hi` the slicing's largest weight, `2^B − 1` for differential
//! pairs, `2^(B−1) − 1` for offset columns). Each weight's digits are
//! programmed as levels `L ∈ [0, 2^b_c − 1]` onto cells of the device,
//!
//! ```text
//! G = g_min + L·Δg,   Δg = (g_max − g_min)/(2^b_c − 1),
//! ```
//!
//! through the same [`DeviceArray`] machinery as the unsliced mapping
//! (programming noise, finite device levels, faults, device-to-device
//! spread), on tiles of at most `tile_rows × ⌊tile_cols/c⌋·c` cells (`c`
//! columns per weight: a weight's slices never straddle two tiles). At a
//! read time `t` every tile is drifted and read once (read noise), scaled
//! by its drift-compensation factor `f` when enabled, and turned into
//! effective conductances `G_eff` by the array's solver (IR drop by the
//! transfer map as for unsliced reads); the tile's bit-line sums in units
//! of one level are then
//!
//! ```text
//! Pₛ = dₛ·L_eff,   L_eff = (f·G_eff − g_min)/Δg        (dₛ: the step's input digits)
//! ```
//!
//! i.e. the currents for word-line voltages `dₛ·V_step` with the `g_min`
//! offset removed (a reference column), divided by one level's current.
//! Each `Pₛ` goes through the ADC of its slice, the slices and steps are
//! joined by shift-and-add, and the offset of offset columns removed, by
//! [`xbar_crossbar::slicing::SlicedWeights::product_with`].
//!
//! # Cells
//! An ohmic device behind a resistor conducts `g/(1 + g·R)`. A nonlinear
//! cell (`[iv]`, a transistor `[access]`) is read with binary DAC steps
//! only (`bits_per_dac_step = 1`: every word line at 0 or `V_read`), so it
//! conducts `G = I(g, V_read, 0)/V_read`, exactly, without wires; with
//! wires, `G_eff` is the tile's small-signal network read one word line at
//! a time (`cells::binary_conductances`), which the linearised read
//! of any bit pattern adds up. `L_eff` decodes either against the nominal
//! `g_min` and `Δg`: the I-V's excess current is a weight error.
//!
//! # Inputs
//! A layer's inputs `x` become unsigned integers
//! `round(x/x_max·(2^b_x − 1))`, clipped to `[0, 2^b_x − 1]`, with the
//! layer's input full scale `x_max` (1 for spikes and the first layer of a
//! dense network, otherwise calibrated at `t₀` as for the converters of an
//! unsliced read). A negative input (a graph's input normalisation) is fed
//! in a second pass of `max(−x, 0)` whose product is subtracted. The layer's
//! output is `y = ŷ·(w_max/W_hi)·(x_max/(2^b_x − 1))` from the integer
//! result `ŷ`. On an ideal device, with 0 Ω wires and exact ADCs, `ŷ = x̂·q`
//! exactly: the read is the quantised-weight software product.
//!
//! # Activity
//! Every DAC step of every tile is one read for the cost model
//! ([`crate::activity`]): the word lines carry the step's digits,
//! `V = d·V_read/(2^b_d − 1)`, every bit line of the tile is converted
//! once, and the layer's products per inference are the steps.

use nalgebra::DMatrix;
use rayon::prelude::*;
use xbar_crossbar::slicing::{SignedBy, SlicedWeights, Slicing};
use xbar_crossbar::{Dac, Mapping, MappingScheme, Solver, Tiling, Wires};
use xbar_devices::{DeviceArray, DeviceSpec};

use crate::activity::{LayerRecorder, TileSpan};
use crate::cells::{binary_conductances, CellReadKind};
#[cfg(doc)]
use crate::hardware::ArrayConfig;
use crate::hardware::{effective_conductances, read_tile, HardwareError, ProgrammedLayer, OWN};

/// A layer's weights as sliced onto its tiles.
#[derive(Debug, Clone)]
pub(crate) struct SlicedLayout {
    pub(crate) slicing: Slicing,
    /// The real weight of the largest integer weight.
    pub(crate) w_max: f64,
    /// Conductance of level 0 (S).
    pub(crate) g_min: f64,
    /// Conductance per level (S).
    pub(crate) delta_g: f64,
    /// Per tile, in the order of [`ProgrammedLayer::tiles`].
    pub(crate) tiles: Vec<SlicedWeights>,
}

impl SlicedLayout {
    /// Real weight per unit of the integer product (before the input scale).
    fn weight_scale(&self) -> f64 {
        self.w_max / self.slicing.weight_range().1 as f64
    }
}

/// One tile as read at one time: its place and its levels.
pub(crate) struct SlicedTile {
    /// First input row and first weight column of the layer.
    row0: usize,
    col0: usize,
    weights: SlicedWeights,
    /// `L_eff` (rows × bit lines), see the [module docs](self).
    levels: DMatrix<f64>,
}

/// A sliced layer's product at one read (see the [module docs](self)).
pub(crate) struct SlicedProduct {
    slicing: Slicing,
    tiles: Vec<SlicedTile>,
    inputs: usize,
    outputs: usize,
    /// Input full scale (input units).
    x_max: f64,
    /// Output units per unit of the integer product.
    y_scale: f64,
    /// The DAC of one step (levels `0..=2^b_d − 1`, one per unit digit),
    /// for the activity.
    pub(crate) dac: Dac,
}

/// Columns per tile that hold whole weights: `⌊tile_cols/c⌋·c`.
pub(crate) fn tile_columns(slicing: &Slicing, tile_cols: usize) -> usize {
    let c = slicing.columns_per_weight();
    (tile_cols / c) * c
}

/// Volts per unit digit of one DAC step: `V_read/(2^b_d − 1)`.
pub(crate) fn volts_per_digit(slicing: &Slicing, v_read: f64) -> f64 {
    v_read / ((1u64 << slicing.bits_per_dac_step) - 1) as f64
}

impl ProgrammedLayer {
    /// Quantises `w` (inputs × outputs) to `slicing`'s integers with
    /// `w_max` at the largest, slices them and programs the levels onto
    /// fresh devices, tile `k` keyed by `seed + k` (see the
    /// [module docs](self)); a nonlinear cell is read at `v_read` volts.
    pub fn program_sliced(
        w: &DMatrix<f64>,
        device: &DeviceSpec,
        w_max: f64,
        (tile_rows, tile_cols): (usize, usize),
        (slicing, v_read): (&Slicing, f64),
        seed: u64,
    ) -> Result<Self, HardwareError> {
        let c = slicing.columns_per_weight();
        let width = tile_columns(slicing, tile_cols);
        if width == 0 {
            return Err(HardwareError::config(
                "tile_cols",
                format!(
                    "expected at least the {c} columns of one sliced weight, found {tile_cols}"
                ),
            ));
        }
        let q = slicing.quantise(w, w_max);
        let (m, n) = q.shape();
        let tiling = Tiling::new(m, n * c, tile_rows, width)?;
        let (g_min, g_max) = (device.g_min.siemens(), device.g_max.siemens());
        let levels = (1u64 << slicing.bits_per_cell) - 1;
        let delta_g = (g_max - g_min) / levels as f64;
        let mut tiles = Vec::new();
        let mut sliced = Vec::new();
        for (k, tile) in tiling.tiles().into_iter().enumerate() {
            let (rows, cols) = (tile.rows.len(), tile.cols.len());
            let block = q
                .view((tile.rows.start, tile.cols.start / c), (rows, cols / c))
                .into_owned();
            let sw = slicing.slice(&block)?;
            let target = sw.levels().map(|l| g_min + f64::from(l) * delta_g);
            let mut array = DeviceArray::new(device, rows, cols, seed.wrapping_add(k as u64))?;
            array.program(&target)?;
            tiles.push((tile, array));
            sliced.push(sw);
        }
        Ok(ProgrammedLayer {
            inputs: m,
            outputs: n,
            mapping: Mapping::for_device(MappingScheme::Differential, device, w_max)?,
            tiles,
            read_kind: CellReadKind::of(device),
            // Each DAC step drives a word line at 0 or V_read.
            spikes_at: CellReadKind::of(device).nonlinear().map(|_| v_read),
            built: Default::default(),
            sliced: Some(SlicedLayout {
                slicing: *slicing,
                w_max,
                g_min,
                delta_g,
                tiles: sliced,
            }),
        })
    }

    /// Every tile of a sliced layer read once at `t` (s): first input
    /// row, first weight column and `L_eff` per tile (see the
    /// [module docs](self)); each tile's read conductances (S) pushed onto
    /// `keep`.
    ///
    /// # Panics
    /// On a layer that is not sliced (callers check).
    pub(crate) fn read_levels(
        &mut self,
        t: f64,
        wires: &Wires,
        solver: Solver,
        compensate: bool,
        mut keep: Option<&mut Vec<DMatrix<f64>>>,
    ) -> Result<Vec<SlicedTile>, HardwareError> {
        let layout = self.sliced.as_ref().expect("a sliced layer");
        let c = layout.slicing.columns_per_weight();
        let read = (self.read_kind, self.spikes_at);
        let small_signal = match (read.0.nonlinear(), read.1) {
            (Some(cell), Some(v_read)) if !wires.is_ideal() && solver != Solver::Ideal => {
                Some((cell, v_read))
            }
            _ => None,
        };
        // Reads in tile order (each array's own stream); small-signal tiles
        // then built in parallel, or taken as last built (`BuiltArrays`).
        let mut reads = Vec::with_capacity(self.tiles.len());
        for ((tile, array), weights) in self.tiles.iter_mut().zip(&layout.tiles) {
            let at = (tile.rows.start, tile.cols.start / c);
            if small_signal.is_some() {
                let (g, factor) = read_tile(array, t, compensate, OWN, None)?;
                if let Some(keep) = keep.as_deref_mut() {
                    // The cost model: what each cell conducts at V_read.
                    keep.push(g.map(|g| read.0.read_conductance(g, read.1)));
                }
                reads.push((at, weights, g, factor));
            } else {
                // Ohmic cells, or binary steps of nonlinear ones without
                // wires: the conductances `I(g, V_read, 0)/V_read`.
                let (g, factor) = read_tile(array, t, compensate, read, keep.as_deref_mut())?;
                reads.push((
                    at,
                    weights,
                    effective_conductances(g, wires, solver)?,
                    factor,
                ));
            }
        }
        let built = &self.built;
        let out = reads
            .into_par_iter()
            .enumerate()
            .map(|(k, ((row0, col0), weights, g, factor))| {
                let g_eff = match small_signal {
                    Some((cell, v_read)) => {
                        let how = (*wires, Solver::Linearised, v_read);
                        let array = built.array(k, g, how, cell)?;
                        binary_conductances(&array, v_read)?
                    }
                    None => g,
                };
                let levels = g_eff.map(|g| (factor * g - layout.g_min) / layout.delta_g);
                Ok(SlicedTile {
                    row0,
                    col0,
                    weights: weights.clone(),
                    levels,
                })
            })
            .collect::<Result<Vec<_>, HardwareError>>()?;
        Ok(out)
    }

    /// The effective weights (weight units, inputs × outputs of each tile)
    /// a sliced layer's tiles hold: what its read computes with exact ADCs
    /// and inputs, `w = (w_max/W_hi)·(Σₖ 2^(k·b_c)·(L⁺ₖ − L⁻ₖ) − offset)`.
    pub(crate) fn sliced_weights(
        &mut self,
        t: f64,
        wires: &Wires,
        solver: Solver,
        compensate: bool,
        keep: Option<&mut Vec<DMatrix<f64>>>,
    ) -> Result<Vec<(usize, usize, DMatrix<f64>)>, HardwareError> {
        let tiles = self.read_levels(t, wires, solver, compensate, keep)?;
        let layout = self.sliced.as_ref().expect("a sliced layer");
        let s = &layout.slicing;
        let (c, nc) = (s.columns_per_weight(), s.cells_per_weight as usize);
        let offset = match s.signed {
            SignedBy::Offset => 2f64.powi(s.weight_bits() as i32 - 1),
            SignedBy::Differential => 0.0,
        };
        let scale = layout.weight_scale();
        Ok(tiles
            .into_iter()
            .map(|t| {
                let l = &t.levels;
                let w = DMatrix::from_fn(l.nrows(), l.ncols() / c, |i, j| {
                    let mut v = -offset;
                    for k in 0..nc {
                        let shift = 2f64.powi((k as u32 * s.bits_per_cell) as i32);
                        v += shift * l[(i, j * c + k)];
                        if s.signed == SignedBy::Differential {
                            v -= shift * l[(i, j * c + nc + k)];
                        }
                    }
                    scale * v
                });
                (t.row0, t.col0, w)
            })
            .collect())
    }

    /// The tiles' places for the activity recorder: bit lines as
    /// programmed (sliced or differential pairs).
    pub(crate) fn spans(&self) -> Vec<TileSpan> {
        self.tiles
            .iter()
            .map(|(tile, _)| TileSpan {
                row0: tile.rows.start,
                rows: tile.rows.len(),
                bit_lines: tile.cols.len(),
            })
            .collect()
    }
}

impl SlicedProduct {
    /// The product of a sliced layer read as `tiles`, with input full
    /// scale `x_max` (input units).
    pub(crate) fn new(
        layer: &ProgrammedLayer,
        tiles: Vec<SlicedTile>,
        x_max: f64,
    ) -> Result<Self, HardwareError> {
        let layout = layer.sliced.as_ref().expect("a sliced layer");
        let s = layout.slicing;
        let x_hi = s.max_input() as f64;
        let digits = ((1u64 << s.bits_per_dac_step) - 1) as f64;
        Ok(SlicedProduct {
            slicing: s,
            tiles,
            inputs: layer.inputs,
            outputs: layer.outputs,
            x_max,
            y_scale: layout.weight_scale() * x_max / x_hi,
            dac: Dac::new(s.bits_per_dac_step + 1, digits)?,
        })
    }

    /// Unsigned integer inputs `round(max(±x, 0)/x_max·(2^b_x − 1))`.
    fn integers(&self, x: &DMatrix<f64>, sign: f64) -> DMatrix<i64> {
        let hi = self.slicing.max_input();
        let per_unit = hi as f64 / self.x_max;
        x.map(|v| (((sign * v).max(0.0) * per_unit).round() as i64).clamp(0, hi))
    }

    /// The product of a batch of inputs (`B × inputs`, input units):
    /// `B × outputs`, output units; each pass's inputs are handed to
    /// `record` (unsigned integers, `B × inputs`).
    pub(crate) fn product(
        &self,
        x: &DMatrix<f64>,
        mut record: impl FnMut(&DMatrix<i64>),
    ) -> DMatrix<f64> {
        let mut y = DMatrix::<f64>::zeros(x.nrows(), self.outputs);
        let negative = x.iter().any(|v| *v < 0.0);
        for sign in [1.0, -1.0] {
            if sign < 0.0 && !negative {
                break;
            }
            let xi = self.integers(x, sign);
            record(&xi);
            for t in &self.tiles {
                let (rows, cols) = (t.levels.nrows(), t.weights.weights());
                let xt = xi.columns(t.row0, rows).into_owned();
                let p = t
                    .weights
                    .product_with(&xt, |d| d * &t.levels)
                    .expect("inputs within the slicing's range, one column sum per bit line");
                let mut dst = y.columns_mut(t.col0, cols);
                dst += p * (sign * self.y_scale);
            }
        }
        y
    }

    /// Records one pass of integer inputs (`B × inputs`) step by step: the
    /// digits of each DAC step as one product of the layer.
    pub(crate) fn record(&self, recorder: &LayerRecorder, xi: &DMatrix<i64>) {
        let s = &self.slicing;
        let mask = (1i64 << s.bits_per_dac_step) - 1;
        let mut digits = vec![0f32; self.inputs];
        for b in 0..xi.nrows() {
            for step in 0..s.steps() {
                let shift = step as u32 * s.bits_per_dac_step;
                for (d, v) in digits.iter_mut().zip(xi.row(b).iter()) {
                    *d = ((v >> shift) & mask) as f32;
                }
                recorder.record(&digits, Some(&self.dac), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity::ActivityProbe;
    use crate::graph::{Conv2d, Graph, Node, Op, ProgrammedGraph, Shape, Weights};
    use crate::hardware::{ArrayConfig, ProgrammedNetwork};
    use crate::network::NetworkKind;
    use xbar_crossbar::slicing::AdcRange;
    use xbar_crossbar::Converters;
    use xbar_devices::Conductance;

    /// No programming noise, no drift, no read noise, no levels.
    fn ideal() -> DeviceSpec {
        DeviceSpec {
            name: "ideal".into(),
            g_min: Conductance(1e-6),
            g_max: Conductance(1e-4),
            ..Default::default()
        }
    }

    /// A deterministic value in [−1, 1) for index `k`.
    fn val(k: usize, salt: usize) -> f64 {
        (((k * 7919 + salt * 104_729) % 2003) as f64) / 1001.5 - 1.0
    }

    /// 6-bit weights on three 2-bit cells, 4-bit inputs one bit per step,
    /// an ADC per slice of `adc`.
    fn slicing(signed: SignedBy, adc: Option<(u32, AdcRange)>) -> Slicing {
        Slicing::new(2, 3, signed, 4, 1, adc).unwrap()
    }

    /// `Σᵢ xᵢ·qᵢⱼ·w_max/W_hi` for integer weights `q`, in real units.
    fn software(x: &[f64], q: &DMatrix<i64>, w_max: f64, s: &Slicing) -> Vec<f64> {
        let scale = w_max / s.weight_range().1 as f64;
        (0..q.ncols())
            .map(|j| {
                (0..q.nrows())
                    .map(|i| x[i] * q[(i, j)] as f64 * scale)
                    .sum()
            })
            .collect()
    }

    #[test]
    fn a_dense_layer_read_through_the_slices_is_the_quantised_product() {
        // 20 inputs × 7 outputs on tiles of 8 rows × 13 bit lines: 12
        // usable (two weights of 6 columns, or four of 3), so 3 × 4 (or
        // 3 × 2) tiles; 0 Ω wires, an ideal device, exact or wide ADCs.
        let w = DMatrix::from_fn(20, 7, |i, j| val(i * 7 + j, 3));
        let w_max = w.amax();
        // Inputs on the 4-bit grid over x_max = 1, with signs.
        let x: Vec<f64> = (0..20)
            .map(|i| ((i * 7 % 31) as f64 - 15.0) / 15.0)
            .collect();
        let wide = Some((12, AdcRange::Clip));
        for s in [
            slicing(SignedBy::Differential, None),
            slicing(SignedBy::Offset, None),
            slicing(SignedBy::Differential, wide),
            slicing(SignedBy::Offset, Some((12, AdcRange::Clip))),
        ] {
            let mut layer =
                ProgrammedLayer::program_sliced(&w, &ideal(), w_max, (8, 13), (&s, 0.2), 5)
                    .unwrap();
            assert_eq!(
                layer.tiles.len(),
                3 * 7usize.div_ceil(12 / s.columns_per_weight())
            );
            let tiles = layer
                .read_levels(1.0, &Wires::ideal(), Solver::Auto, false, None)
                .unwrap();
            let product = SlicedProduct::new(&layer, tiles, 1.0).unwrap();
            let y = product.product(&DMatrix::from_row_slice(1, 20, &x), |_| {});
            let want = software(&x, &s.quantise(&w, w_max), w_max, &s);
            for (j, v) in want.iter().enumerate() {
                assert!(
                    (y[(0, j)] - v).abs() < 1e-9,
                    "{s:?} {j}: {} vs {v}",
                    y[(0, j)]
                );
            }
            // The weights the slices hold, as the unsliced read reports them.
            let held = layer
                .read_tiles(1.0, &Wires::ideal(), Solver::Auto, false, None)
                .unwrap();
            let q = s.quantise(&w, w_max);
            let scale = w_max / s.weight_range().1 as f64;
            for (r0, c0, t) in held {
                for ((i, j), v) in t
                    .iter()
                    .enumerate()
                    .map(|(k, v)| ((k % t.nrows(), k / t.nrows()), v))
                {
                    let want = q[(r0 + i, c0 + j)] as f64 * scale;
                    assert!((v - want).abs() < 1e-9, "{v} vs {want}");
                }
            }
        }
    }

    #[test]
    fn binary_steps_read_nonlinear_cells_at_the_read_voltage() {
        // Without wires every cell conducts I(g, V_read, 0)/V_read: sinh
        // cells scale each conductance by sinh(a·V)/(a·V), and the levels
        // are (g·gain − g_min)/Δg, the reference at the nominal g_min (the
        // periphery is designed for the small-signal cell).
        let (a, v_read): (f64, f64) = (4.0, 0.25);
        let gain = (a * v_read).sinh() / (a * v_read);
        let s = slicing(SignedBy::Differential, None);
        let w = DMatrix::from_fn(7, 3, |i, j| val(i * 3 + j, 5));
        let sinh = DeviceSpec {
            iv: xbar_devices::IvSpec::Sinh { a_per_volt: a },
            ..ideal()
        };
        let program = |device: &DeviceSpec| {
            ProgrammedLayer::program_sliced(&w, device, 1.0, (4, 12), (&s, v_read), 3).unwrap()
        };
        let (mut ohmic, mut nonlinear) = (program(&ideal()), program(&sinh));
        let ideal_wires = Wires::ideal();
        let linear = ohmic
            .read_levels(1.0, &ideal_wires, Solver::Auto, false, None)
            .unwrap();
        let mut kept = Vec::new();
        let read = nonlinear
            .read_levels(1.0, &ideal_wires, Solver::Auto, false, Some(&mut kept))
            .unwrap();
        let layout = ohmic.sliced.as_ref().unwrap();
        let (g_min, dg) = (layout.g_min, layout.delta_g);
        for ((l, n), g) in linear.iter().zip(&read).zip(&kept) {
            for ((&ll, &nl), &gk) in l.levels.iter().zip(n.levels.iter()).zip(g.iter()) {
                let want = ((ll * dg + g_min) * gain - g_min) / dg;
                assert!((nl - want).abs() < 1e-9, "{nl} vs {want}");
                // The cost model gets what each cell conducts at V_read.
                assert!((gk - (ll * dg + g_min) * gain).abs() < 1e-18, "{gk}");
            }
        }
        // With wires, through the small-signal network: the rows are what
        // the linearised tile reads for one word line, and they add up to
        // what it reads for any binary input.
        let wires = Wires::new(2.0, 2.0, 5.0, 5.0).unwrap();
        let read = nonlinear
            .read_levels(1.0, &wires, Solver::Linearised, false, None)
            .unwrap();
        let cell = CellReadKind::of(&sinh).nonlinear().unwrap();
        let (_, array) = &mut nonlinear.tiles[0];
        let g = array.read(1.0).unwrap();
        let tile = xbar_crossbar::nonlinear::CellArray::linearised(g.clone(), wires, cell, v_read)
            .unwrap();
        let bits = [1.0, 0.0, 1.0, 1.0];
        let v: Vec<f64> = bits.iter().map(|b| b * v_read).collect();
        let currents = tile.read(&v).unwrap().currents_a;
        let levels = &read[0].levels;
        let mut ideal_current = 0.0;
        for (j, &current) in currents.iter().enumerate() {
            let sum: f64 = (0..4)
                .map(|i| bits[i] * (levels[(i, j)] * dg + g_min))
                .sum();
            assert!(
                (sum * v_read - current).abs() < 1e-12 * current.abs(),
                "{j}"
            );
            ideal_current += (0..4)
                .map(|i| bits[i] * g[(i, j)] * gain * v_read)
                .sum::<f64>();
        }
        // The wires cost current: the read is not the ideal one.
        let total: f64 = currents.iter().sum();
        assert!(
            total < ideal_current * (1.0 - 1e-4),
            "{total} vs {ideal_current}"
        );
    }

    #[test]
    fn an_adc_per_slice_clips_by_hand() {
        // 4-bit weights on two 2-bit cells (differential), 2-bit inputs
        // one bit per step, a 2-bit clipping ADC per slice, 3 rows, one
        // output, w_max = 1: every weight 1 → 15 = digits (3, 3).
        // x = [1, 1, 1/3] over x_max = 1 → [3, 3, 1]: step 0 bits
        // [1, 1, 1], step 1 bits [1, 1, 0]; partial sums 9 and 6 per
        // slice, both clipped to 3: ŷ = 3·(1 + 4) + 2·3·(1 + 4) = 45
        // (exact: 7·15 = 105). y = 45·(1/15)·(1/3) = 1 (exact 7/3).
        let s = Slicing::new(
            2,
            2,
            SignedBy::Differential,
            2,
            1,
            Some((2, AdcRange::Clip)),
        )
        .unwrap();
        let w = DMatrix::from_element(3, 1, 1.0);
        let mut layer =
            ProgrammedLayer::program_sliced(&w, &ideal(), 1.0, (3, 4), (&s, 0.2), 1).unwrap();
        let tiles = layer
            .read_levels(0.0, &Wires::ideal(), Solver::Auto, false, None)
            .unwrap();
        let product = SlicedProduct::new(&layer, tiles, 1.0).unwrap();
        let mut seen = Vec::new();
        let y = product.product(
            &DMatrix::from_row_slice(1, 3, &[1.0, 1.0, 1.0 / 3.0]),
            |xi| seen.push(xi.clone()),
        );
        assert!((y[(0, 0)] - 1.0).abs() < 1e-12, "{}", y[(0, 0)]);
        assert_eq!(seen, vec![DMatrix::from_row_slice(1, 3, &[3, 3, 1])]);
        // A 4-bit ADC holds 9: exact, 7/3.
        let wide = Slicing {
            adc: Some((4, AdcRange::Clip)),
            ..s
        };
        let mut layer =
            ProgrammedLayer::program_sliced(&w, &ideal(), 1.0, (3, 4), (&wide, 0.2), 1).unwrap();
        let tiles = layer
            .read_levels(0.0, &Wires::ideal(), Solver::Auto, false, None)
            .unwrap();
        let y = SlicedProduct::new(&layer, tiles, 1.0).unwrap().product(
            &DMatrix::from_row_slice(1, 3, &[1.0, 1.0, 1.0 / 3.0]),
            |_| {},
        );
        assert!((y[(0, 0)] - 7.0 / 3.0).abs() < 1e-12, "{}", y[(0, 0)]);
    }

    #[test]
    fn a_dense_network_on_sliced_arrays_is_the_quantised_network() {
        // Spikes are 0 or 1 at every layer: exact on the 1-bit input grid.
        let (net, data) = crate::evaluation::tests::setup(NetworkKind::Spiking);
        let s = Slicing::new(
            2,
            3,
            SignedBy::Differential,
            1,
            1,
            Some((8, AdcRange::Clip)),
        )
        .unwrap();
        let array = ArrayConfig {
            tile_rows: 5,
            tile_cols: 12,
            mapping: Some(s),
            ..ArrayConfig::new(ideal())
        };
        let mut quantised = net.clone();
        for layer in quantised.layers_mut() {
            let w_max = layer.max_abs_weight();
            let hi = s.weight_range().1 as f64;
            for w in layer.weights.iter_mut() {
                *w = ((f64::from(*w) / w_max * hi).round() * w_max / hi) as f32;
            }
        }
        let mut on_arrays = ProgrammedNetwork::program(&net, &array, 3).unwrap();
        let held = on_arrays.read_network(0.0).unwrap();
        for (a, b) in held.layers().iter().zip(quantised.layers()) {
            for (x, y) in a.weights.iter().zip(&b.weights) {
                assert!((x - y).abs() < 1e-6, "{x} vs {y}");
            }
        }
        let mut probe = ActivityProbe::new(10e-9);
        let accuracy = on_arrays
            .evaluate_at(0.0, &data, 7, Some(&mut probe))
            .unwrap();
        assert_eq!(accuracy, crate::train::accuracy(&quantised, &data, 7));
        // Every read is one 1-bit step: products = spikes' time steps;
        // each tile is 6 bit lines per weight, 12 per tile.
        let first = &probe.layers[0];
        assert_eq!(first.products_per_inference, 4);
        assert!(first.tiles.iter().all(|t| t.cols == 12 || t.cols == 6));
        assert!(first.tiles.iter().all(|t| t.input_levels == t.active_rows));
    }

    #[test]
    fn a_sliced_network_reads_through_nonlinear_cells() {
        // A nearly ohmic sinh cell (gain 1 + 1e-8) classifies as the
        // quantised network, through the calibration and the read, with
        // ideal wires and through the small-signal network of 0 Ω wires; a
        // strong one (gain 1.19) reads other weights.
        let (net, data) = crate::evaluation::tests::setup(NetworkKind::Spiking);
        let s = Slicing::new(2, 3, SignedBy::Differential, 1, 1, None).unwrap();
        let mut quantised = net.clone();
        for layer in quantised.layers_mut() {
            let w_max = layer.max_abs_weight();
            let hi = s.weight_range().1 as f64;
            for w in layer.weights.iter_mut() {
                *w = ((f64::from(*w) / w_max * hi).round() * w_max / hi) as f32;
            }
        }
        let expected = crate::train::accuracy(&quantised, &data, 7);
        let array = |a_per_volt: f64, wires: Wires, solver: Solver| ArrayConfig {
            tile_rows: 5,
            tile_cols: 12,
            mapping: Some(s),
            wires,
            solver,
            ..ArrayConfig::new(DeviceSpec {
                iv: xbar_devices::IvSpec::Sinh { a_per_volt },
                ..ideal()
            })
        };
        let small = Wires::new(1e-9, 1e-9, 0.0, 0.0).unwrap();
        for (wires, solver) in [(Wires::ideal(), Solver::Auto), (small, Solver::Linearised)] {
            let config = array(1e-3, wires, solver);
            config.validate().unwrap();
            let mut on_arrays = ProgrammedNetwork::program(&net, &config, 3).unwrap();
            let accuracy = on_arrays.evaluate_at(0.0, &data, 7, None).unwrap();
            assert_eq!(accuracy, expected, "{solver:?}");
        }
        let mut strong =
            ProgrammedNetwork::program(&net, &array(6.0, Wires::ideal(), Solver::Auto), 3).unwrap();
        let held = strong.read_network(0.0).unwrap();
        let largest = held
            .layers()
            .iter()
            .zip(quantised.layers())
            .flat_map(|(a, b)| a.weights.iter().zip(&b.weights).map(|(x, y)| (x - y).abs()))
            .fold(0f32, f32::max);
        assert!(largest > 1e-3, "{largest}");
    }

    #[test]
    fn a_conv_network_read_through_the_slices_is_the_quantised_product() {
        // 2×5×5 → 3 channels (3×3, padding 1): 18 rows × 3 weights, on
        // tiles of 8 rows × 12 bit lines (two differential weights of six).
        let conv = |weights: Vec<f64>| Conv2d {
            weights: Weights {
                inputs: 18,
                outputs: 3,
                weights,
                bias: vec![0.1, -0.2, 0.05],
            },
            kernel: (3, 3),
            stride: (1, 1),
            padding: [1, 1, 1, 1],
            dilation: (1, 1),
        };
        let node = |c| Node {
            name: "conv".into(),
            op: Op::Conv2d(c),
            inputs: vec![0],
        };
        let w: Vec<f64> = (0..54).map(|k| val(k, 8)).collect();
        let graph = Graph::new(Shape::new(2, 5, 5), vec![node(conv(w.clone()))]).unwrap();
        // Images on the 4-bit grid over ±1, the largest |x| exactly 1.
        let images: Vec<f32> = (0..3 * 50)
            .map(|k| {
                if k % 50 == 7 {
                    -1.0
                } else {
                    ((k * 11 % 31) as f32 - 15.0) / 15.0
                }
            })
            .collect();
        for s in [
            slicing(SignedBy::Differential, Some((10, AdcRange::Clip))),
            slicing(SignedBy::Offset, None),
        ] {
            let array = ArrayConfig {
                tile_rows: 8,
                tile_cols: 12,
                mapping: Some(s),
                ..ArrayConfig::new(ideal())
            };
            let mut on_arrays = ProgrammedGraph::program(&graph, &array, 2).unwrap();
            let logits = on_arrays.logits_at(0.0, &images, 0).unwrap();
            let w_max = w.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            let hi = s.weight_range().1 as f64;
            let q: Vec<f64> = w
                .iter()
                .map(|v| (v / w_max * hi).round() * w_max / hi)
                .collect();
            let quantised = Graph::new(Shape::new(2, 5, 5), vec![node(conv(q))]).unwrap();
            for (image, got) in images.chunks(50).zip(&logits) {
                // The f32 images on the 4-bit grid the DAC steps feed.
                let x: Vec<f64> = image
                    .iter()
                    .map(|&v| (f64::from(v) * 15.0).round() / 15.0)
                    .collect();
                let want = quantised.forward(&x, 0);
                assert_eq!(got.len(), 75);
                for (a, b) in got.iter().zip(&want) {
                    assert!((a - b).abs() < 1e-9, "{s:?}: {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn unsupported_combinations_are_refused_at_their_key() {
        let s = slicing(SignedBy::Differential, None);
        let message = |a: ArrayConfig| a.validate().unwrap_err().to_string();
        let base = ArrayConfig {
            mapping: Some(s),
            ..ArrayConfig::new(ideal())
        };
        base.validate().unwrap();
        let with_adc = ArrayConfig {
            converters: Converters {
                adc_bits: Some(8),
                ..Converters::default()
            },
            ..base.clone()
        };
        assert!(message(with_adc).starts_with("array.adc_bits: a bit-sliced mapping"));
        let narrow = ArrayConfig {
            tile_cols: 4,
            ..base.clone()
        };
        assert_eq!(
            message(narrow),
            "array.tile_cols: expected at least the 6 columns of one sliced weight (mapping), found 4"
        );
        // A nonlinear cell: binary DAC steps, and the small-signal read
        // with wires.
        let nonlinear = ArrayConfig {
            device: DeviceSpec {
                iv: xbar_devices::IvSpec::Sinh { a_per_volt: 3.0 },
                ..ideal()
            },
            ..base.clone()
        };
        nonlinear.validate().unwrap();
        let multi_bit = ArrayConfig {
            mapping: Some(Slicing {
                bits_per_dac_step: 2,
                ..s
            }),
            ..nonlinear.clone()
        };
        assert!(message(multi_bit).starts_with("array.mapping.bits_per_dac_step: device `ideal`"));
        let wired = ArrayConfig {
            wires: Wires::new(1.0, 1.0, 0.0, 0.0).unwrap(),
            ..nonlinear.clone()
        };
        assert!(message(wired.clone()).starts_with("array.solver: a bit-sliced mapping reads"));
        for solver in [Solver::Linearised, Solver::Ideal] {
            ArrayConfig {
                solver,
                ..wired.clone()
            }
            .validate()
            .unwrap();
        }
        let bad = ArrayConfig {
            mapping: Some(Slicing {
                bits_per_dac_step: 9,
                ..s
            }),
            ..base
        };
        assert_eq!(
            message(bad),
            "array.mapping.bits_per_dac_step: expected an integer in 1..=4, found 9"
        );
    }
}
