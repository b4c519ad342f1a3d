//! Network reads through the cell as measured: the device's I-V (`[iv]`)
//! in series with its access device (`[access]`), with the wires' IR drop.
//!
//! A linear read is one effective weight matrix per tile
//! ([`crate::hardware`]); a nonlinear cell's current depends on the
//! voltage across it, so its tiles are read one input vector at a time
//! ([`xbar_crossbar::nonlinear::CellArray`]: one product per read with
//! ideal wires and no access device, each cell on its own with an access
//! device, Newton on the nodal equations with wires).
//!
//! **Input voltages.** An input `x` (input units, after the DAC) drives its
//! word line at `Vᵢ = x·V_read/x_max`, where `x_max` is the layer's input
//! full scale: 1 for pixels and spikes, for hidden layers of an activation
//! network the largest input seen on the first
//! [`crate::hardware::CALIBRATION_IMAGES`] images through the small-signal
//! arrays at `t₀` (the DAC's full scale). The read voltage therefore sets
//! how far up the I-V the cells are driven.
//!
//! **Outputs.** The bit-line currents are decoded as a linear read's are,
//! `y = (I⁺ − I⁻)·w_max/Δg`, over the same voltage scale, so that a tile of
//! ohmic cells gives exactly the product `Σᵢ xᵢ·wᵢⱼ` of its weights (the
//! tests check it to rounding) and a nonlinear cell's extra or missing
//! current appears as a weight error, as on a chip whose periphery was
//! designed for the small-signal conductances.
//!
//! **Exact compositions.** An ohmic device in series with a resistor `R` is
//! the ohmic conductance `g/(1 + g·R)`: such arrays stay linear and are
//! read by the linear path with that conductance
//! ([`series_conductance`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use nalgebra::DMatrix;
use xbar_crossbar::nonlinear::CellArray;
use xbar_crossbar::{CrossbarError, Mapping, Solver, Wires};
use xbar_devices::{AccessSpec, Cell, DeviceSpec};

use crate::bptt::Synapses;

/// The conductance (S) of a device of conductance `g` in series with
/// `r_ohm`: `g/(1 + g·R)`.
///
/// ```
/// // 100 µS in series with 10 kΩ: 50 µS.
/// assert!((xbar_training::cells::series_conductance(1e-4, 1e4) - 5e-5).abs() < 1e-18);
/// ```
pub fn series_conductance(g: f64, r_ohm: f64) -> f64 {
    g / (1.0 + g * r_ohm)
}

/// How a device's arrays are read: `Linear(R)` when the cell is ohmic in
/// series with `R` Ω (0 without an access device), so that the linear
/// read of `g/(1 + g·R)` is exact; otherwise the cell to read through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellReadKind {
    /// Ohmic device, with a series resistance (Ω; 0 for none).
    Linear(f64),
    /// A nonlinear cell: read one input vector at a time.
    Nonlinear(Cell),
}

impl CellReadKind {
    /// How arrays of `device` are read.
    pub fn of(device: &DeviceSpec) -> CellReadKind {
        match (device.iv.is_linear(), device.access) {
            (true, AccessSpec::None) => CellReadKind::Linear(0.0),
            (true, AccessSpec::Resistor { r_ohm }) => CellReadKind::Linear(r_ohm),
            _ => CellReadKind::Nonlinear(Cell::of(device.iv, device.access)),
        }
    }

    /// The conductance (S) a linear read of a device of conductance `g`
    /// uses: `g/(1 + g·R)` for [`CellReadKind::Linear`]; for a nonlinear
    /// cell whose inputs are binary at `spikes` volts, `I(g, V, 0)/V` —
    /// exact, since such a read adds each spiking row's cell currents at
    /// `V` (no wires); `g` itself otherwise (the small-signal conductance).
    ///
    /// ```
    /// use xbar_devices::{AccessSpec, Cell, IvSpec};
    /// use xbar_training::cells::CellReadKind;
    /// let sinh = CellReadKind::Nonlinear(Cell::of(IvSpec::Sinh { a_per_volt: 5.0 }, AccessSpec::None));
    /// // 10 µS read by 0.2 V spikes: sinh(1)/1 = 1.1752 times g.
    /// let g = sinh.read_conductance(1e-5, Some(0.2));
    /// assert!((g / 1e-5 - 1f64.sinh()).abs() < 1e-12);
    /// assert_eq!(CellReadKind::Linear(1e4).read_conductance(1e-4, None), 5e-5);
    /// ```
    pub fn read_conductance(self, g: f64, spikes: Option<f64>) -> f64 {
        match (self, spikes) {
            (CellReadKind::Linear(r_ohm), _) => series_conductance(g, r_ohm),
            (CellReadKind::Nonlinear(cell), Some(v)) => cell.current(g, v, 0.0).current_a / v,
            (CellReadKind::Nonlinear(_), None) => g,
        }
    }

    /// The cell, when reads must go through it.
    pub fn nonlinear(self) -> Option<Cell> {
        match self {
            CellReadKind::Linear(_) => None,
            CellReadKind::Nonlinear(cell) => Some(cell),
        }
    }
}

/// The effective conductances (S, M×N) of a linearised tile of nonlinear
/// cells ([`CellArray::linearised`] at `v_read` volts) for binary inputs at
/// `v_read` (a bit-sliced mapping's DAC steps): row `i` is the bit-line
/// currents of word line `i` alone at `v_read`, over `v_read`. That read is
/// additive over the word lines driven, so the rows give exactly what it
/// reads for any binary input: first order in the IR drop.
///
/// # Errors
/// What the tile's reads report.
pub(crate) fn binary_conductances(
    array: &CellArray,
    v_read: f64,
) -> Result<DMatrix<f64>, CrossbarError> {
    let (m, n) = (array.rows(), array.cols());
    let mut out = DMatrix::zeros(m, n);
    let mut v = vec![0.0; m];
    for i in 0..m {
        v[i] = v_read;
        let read = array.read(&v)?;
        v[i] = 0.0;
        for (j, &current) in read.currents_a.iter().enumerate() {
            out[(i, j)] = current / v_read;
        }
    }
    Ok(out)
}

/// One tile of nonlinear cells as read at one time.
pub(crate) struct CellTile {
    /// First input row of the layer on this tile.
    pub row0: usize,
    /// First weight column of the layer on this tile.
    pub col0: usize,
    /// Word lines.
    pub rows: usize,
    /// Weight columns (half the bit lines).
    pub cols: usize,
    array: Arc<CellArray>,
    mapping: Mapping,
    /// The tile's drift-compensation factor (1 without).
    factor: f64,
}

impl CellTile {
    /// The tile of a built `array` at `(row0, col0)`, decoded by `mapping`
    /// and scaled by `factor`.
    pub(crate) fn from_array(
        (row0, col0): (usize, usize),
        array: Arc<CellArray>,
        mapping: Mapping,
        factor: f64,
    ) -> CellTile {
        CellTile {
            row0,
            col0,
            rows: array.rows(),
            cols: array.cols() / 2,
            array,
            mapping,
            factor,
        }
    }

    /// This tile's partial sums (weight units × input units) into `out`
    /// (length `cols`) for its inputs `x` (input units, after the DAC,
    /// length `rows`) at `volts_per_unit` (V per input unit), and, with
    /// `power`, the power (W) its sources deliver (else 0).
    pub(crate) fn partial(
        &self,
        x: &[f64],
        (volts_per_unit, power): (f64, bool),
        out: &mut [f64],
    ) -> Result<f64, CrossbarError> {
        let v: Vec<f64> = x.iter().map(|&x| x * volts_per_unit).collect();
        let (currents, power_w) = if power {
            let read = self.array.read(&v)?;
            (read.currents_a, read.power_w)
        } else {
            (self.array.read_currents(&v)?, 0.0)
        };
        let currents = DMatrix::from_row_slice(1, currents.len(), &currents);
        let y = self.mapping.decode(&currents)?;
        let scale = self.factor / volts_per_unit;
        for (o, &y) in out.iter_mut().zip(y.iter()) {
            *o = y * scale;
        }
        Ok(power_w)
    }
}

/// A layer read through its cells, then its bias: the synaptic product
/// `out = b + read(x)` of a layer of nonlinear cells.
pub(crate) struct CellSynapses {
    pub(crate) layer: CellLayer,
    pub(crate) bias: Vec<f32>,
}

impl CellSynapses {
    /// `out = b + read(x)`; returns the power (W) each tile's sources
    /// delivered ([`CellLayer::product`]).
    pub(crate) fn product_with_powers(&self, x: &[f32], out: &mut [f32]) -> Vec<f64> {
        let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let mut y: Vec<f64> = self.bias.iter().map(|&b| f64::from(b)).collect();
        let powers = self.layer.product(&x64, &mut y);
        for (o, &v) in out.iter_mut().zip(&y) {
            *o = v as f32;
        }
        powers
    }
}

impl Synapses<f32> for CellSynapses {
    fn product(&self, x: &[f32], out: &mut [f32]) {
        self.product_with_powers(x, out);
    }
}

/// The array last built for each tile of a layer, reused while the tile
/// reads the same conductances the same way: a device without drift or
/// read noise reads the same at every time (and at the calibration), and a
/// linearised tile of 1T1R cells with wires costs ~0.1–0.7 s to build
/// (`N + M` sparse solves). Clones of a layer share it; a tile whose
/// conductances, wires, solver, read voltage or cell changed is rebuilt.
#[derive(Clone, Default)]
pub(crate) struct BuiltArrays(Arc<Mutex<Vec<Option<Built>>>>);

struct Built {
    g: DMatrix<f64>,
    how: (Wires, Solver, f64),
    cell: Cell,
    array: Arc<CellArray>,
}

impl BuiltArrays {
    /// Tile `tile`'s array of read conductances `g` (S), its cells `cell`
    /// read `how` (wires, solver, read voltage): the last one built when
    /// all of these are the same, else a new one ([`Solver::cell_array`]).
    pub(crate) fn array(
        &self,
        tile: usize,
        g: DMatrix<f64>,
        how: (Wires, Solver, f64),
        cell: Cell,
    ) -> Result<Arc<CellArray>, CrossbarError> {
        let same = |b: &Built| b.how == how && b.cell == cell && b.g == g;
        if let Some(built) = self.lock().get(tile).and_then(Option::as_ref) {
            if same(built) {
                return Ok(Arc::clone(&built.array));
            }
        }
        // Built without the lock: the tiles of a layer build in parallel.
        let (wires, solver, v_read) = how;
        let array = Arc::new(solver.cell_array(g.clone(), wires, cell, v_read)?);
        let mut built = self.lock();
        if built.len() <= tile {
            built.resize_with(tile + 1, || None);
        }
        built[tile] = Some(Built {
            g,
            how,
            cell,
            array: Arc::clone(&array),
        });
        Ok(array)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Option<Built>>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A layer's tiles of nonlinear cells at one read, with the converters:
/// each tile's inputs through the DAC, its partial sums through the ADC,
/// added digitally (the caller adds the bias). Records the largest |input|
/// and |partial sum| for calibration, and keeps the first error a read
/// met (a product cannot return one; [`CellLayer::take_error`] after the
/// pass).
pub(crate) struct CellLayer {
    pub(crate) tiles: Vec<CellTile>,
    pub(crate) dac: Option<xbar_crossbar::Dac>,
    adc: Option<xbar_crossbar::Adc>,
    /// V per input unit: `V_read/x_max`.
    volts_per_unit: f64,
    /// Whether the reads price their power (a cost recorder reads it).
    power: bool,
    max_input: AtomicU64,
    max_partial: AtomicU64,
    error: Mutex<Option<CrossbarError>>,
}

impl CellLayer {
    pub(crate) fn new(
        tiles: Vec<CellTile>,
        dac: Option<xbar_crossbar::Dac>,
        adc: Option<xbar_crossbar::Adc>,
        (volts_per_unit, power): (f64, bool),
    ) -> CellLayer {
        CellLayer {
            tiles,
            dac,
            adc,
            volts_per_unit,
            power,
            max_input: AtomicU64::new(0),
            max_partial: AtomicU64::new(0),
            error: Mutex::new(None),
        }
    }

    /// Adds every tile's converted partial sums for the layer input `x`
    /// (input units) to `out` (weight units); returns the power (W) each
    /// tile's sources delivered (0 for a tile with no non-zero input).
    pub(crate) fn product(&self, x: &[f64], out: &mut [f64]) -> Vec<f64> {
        let mut powers = vec![0.0; self.tiles.len()];
        let mut max_in = 0f64;
        let mut max_partial = 0f64;
        let mut partial = Vec::new();
        for (t, power) in self.tiles.iter().zip(powers.iter_mut()) {
            let inputs: Vec<f64> = x[t.row0..t.row0 + t.rows]
                .iter()
                .map(|&xi| {
                    max_in = max_in.max(xi.abs());
                    match &self.dac {
                        Some(dac) if xi != 0.0 => dac.convert_one(xi),
                        _ => xi,
                    }
                })
                .collect();
            if inputs.iter().all(|&v| v == 0.0) {
                continue;
            }
            partial.clear();
            partial.resize(t.cols, 0.0);
            match t.partial(&inputs, (self.volts_per_unit, self.power), &mut partial) {
                Ok(p) => *power = p,
                Err(e) => {
                    let mut first = self.error.lock().unwrap_or_else(|p| p.into_inner());
                    first.get_or_insert(e);
                    continue;
                }
            }
            for (o, &v) in out[t.col0..t.col0 + t.cols].iter_mut().zip(&partial) {
                max_partial = max_partial.max(v.abs());
                *o += match &self.adc {
                    Some(adc) => adc.convert_one(v),
                    None => v,
                };
            }
        }
        // Bits of non-negative f64s order as their values.
        self.max_input
            .fetch_max(max_in.to_bits(), Ordering::Relaxed);
        self.max_partial
            .fetch_max(max_partial.to_bits(), Ordering::Relaxed);
        powers
    }

    /// The largest |input| and |partial sum| the products saw.
    pub(crate) fn maxima(&self) -> (f64, f64) {
        (
            f64::from_bits(self.max_input.load(Ordering::Relaxed)),
            f64::from_bits(self.max_partial.load(Ordering::Relaxed)),
        )
    }

    /// The first error a read met, if any.
    pub(crate) fn take_error(&self) -> Option<CrossbarError> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::{Graph, Node, Op, ProgrammedGraph, Shape, Weights};
    use crate::hardware::{ArrayConfig, HardwareError};
    use xbar_crossbar::{MappingScheme, NewtonOptions};
    use xbar_devices::{Conductance, IvSpec};

    fn ideal_device() -> DeviceSpec {
        DeviceSpec {
            name: "ideal".into(),
            g_min: Conductance(1e-6),
            g_max: Conductance(1e-4),
            ..Default::default()
        }
    }

    /// The tile at `(0, 0)` of read conductances `g` (S), cells `cell` on
    /// `wires` read by `solver` at `v_read` volts ([`Solver::cell_array`]).
    fn tile(
        g: DMatrix<f64>,
        (wires, solver, v_read): (Wires, Solver, f64),
        cell: Cell,
        mapping: Mapping,
        factor: f64,
    ) -> CellTile {
        let array = solver.cell_array(g, wires, cell, v_read).unwrap();
        CellTile::from_array((0, 0), Arc::new(array), mapping, factor)
    }

    fn tile_conductances() -> DMatrix<f64> {
        DMatrix::from_fn(5, 6, |i, j| 1e-6 + 9e-6 * ((3 * i + 5 * j) % 11) as f64)
    }

    #[test]
    fn ohmic_cells_read_one_at_a_time_give_the_linear_product() {
        let g = tile_conductances();
        let wires = Wires::new(2.0, 3.0, 20.0, 10.0).unwrap();
        let mapping = Mapping::new(MappingScheme::Differential, 1e-6, 1e-4, 0.8).unwrap();
        let w = mapping
            .conductances_to_weights(
                &Solver::Transfer
                    .effective_conductances(g.clone(), &wires)
                    .unwrap(),
            )
            .unwrap();
        // Newton, and the small-signal network (the cells themselves).
        for solver in [Solver::Auto, Solver::Linearised] {
            let how = (wires, solver, 0.25);
            let tile = tile(g.clone(), how, Cell::default(), mapping, 1.5);
            let x = [0.3, 0.0, 1.0, 0.55, 0.8];
            let mut y = vec![0.0; 3];
            tile.partial(&x, (0.25, true), &mut y).unwrap();
            for j in 0..3 {
                let expected: f64 = 1.5 * (0..5).map(|i| x[i] * w[(i, j)]).sum::<f64>();
                assert!(
                    (y[j] - expected).abs() < 1e-12 * expected.abs().max(1.0),
                    "{solver:?} {j}"
                );
            }
        }
    }

    #[test]
    fn a_series_resistor_composes_into_the_linear_read() {
        // The linear path's g/(1 + g·R) against the cell read that solves
        // the node between device and resistor, with wires.
        let r_ohm = 2e4;
        let g = tile_conductances();
        let wires = Wires::new(1.0, 1.5, 5.0, 5.0).unwrap();
        let mapping = Mapping::new(MappingScheme::Differential, 1e-6, 1e-4, 1.0).unwrap();
        let composed = g.map(|g| series_conductance(g, r_ohm));
        let w = mapping
            .conductances_to_weights(
                &Solver::Transfer
                    .effective_conductances(composed, &wires)
                    .unwrap(),
            )
            .unwrap();
        let cell = Cell::of(IvSpec::Linear, AccessSpec::Resistor { r_ohm });
        let tile = tile(g, (wires, Solver::Auto, 0.2), cell, mapping, 1.0);
        let x = [1.0, 0.2, 0.0, 0.7, 0.4];
        let mut y = vec![0.0; 3];
        tile.partial(&x, (0.2, false), &mut y).unwrap();
        for j in 0..3 {
            let expected: f64 = (0..5).map(|i| x[i] * w[(i, j)]).sum();
            assert!(
                (y[j] - expected).abs() < 1e-10 * expected.abs().max(1e-3),
                "{j}: {} vs {expected}",
                y[j]
            );
        }
        assert_eq!(
            CellReadKind::of(&DeviceSpec {
                access: AccessSpec::Resistor { r_ohm },
                ..ideal_device()
            }),
            CellReadKind::Linear(r_ohm)
        );
    }

    #[test]
    fn a_tile_is_rebuilt_only_when_its_read_changes() {
        use crate::hardware::ProgrammedLayer;
        let w = DMatrix::from_fn(6, 3, |i, j| ((i * 3 + j) % 5) as f64 / 4.0 - 0.5);
        let wires = Wires::new(1.0, 1.0, 2.0, 20.0).unwrap();
        let how = (Solver::Linearised, 0.2);
        let sinh = IvSpec::Sinh { a_per_volt: 4.0 };
        let cell = Cell::of(sinh, AccessSpec::None);
        // Without drift or read noise every time reads the same: one build
        // per tile, shared by a clone (the calibration's copy).
        let steady = DeviceSpec {
            iv: sinh,
            ..ideal_device()
        };
        let mut pl = ProgrammedLayer::program_matrix(&w, &steady, 1.0, (4, 4), 5).unwrap();
        let first = pl.read_cells(1.0, &wires, how, cell, false, None).unwrap();
        assert_eq!(first.len(), 4);
        let mut copy = pl.clone();
        for (t, layer) in [(3600.0, &mut pl), (1e6, &mut copy)] {
            let again = layer.read_cells(t, &wires, how, cell, false, None).unwrap();
            for (a, b) in first.iter().zip(&again) {
                assert!(Arc::ptr_eq(&a.array, &b.array));
            }
        }
        // Another read voltage, wires or cell: every tile rebuilt.
        let other_cell = Cell::of(IvSpec::Sinh { a_per_volt: 3.0 }, AccessSpec::None);
        let other_wires = Wires::new(2.0, 1.0, 2.0, 20.0).unwrap();
        for (wires, how, cell) in [
            (wires, (Solver::Linearised, 0.25), cell),
            (other_wires, how, cell),
            (wires, how, other_cell),
        ] {
            let again = pl.read_cells(1.0, &wires, how, cell, false, None).unwrap();
            for (a, b) in first.iter().zip(&again) {
                assert!(!Arc::ptr_eq(&a.array, &b.array));
            }
        }
        // A drifting, noisy device reads anew at every time, and its tiles
        // read what a fresh build of those conductances reads.
        let mut pcm = xbar_devices::library::preset("ibm-pcm").unwrap();
        pcm.iv = sinh;
        let mut pl = ProgrammedLayer::program_matrix(&w, &pcm, 1.0, (4, 4), 5).unwrap();
        let first = pl.read_cells(1.0, &wires, how, cell, false, None).unwrap();
        let mut kept = Vec::new();
        let again = pl
            .read_cells(3600.0, &wires, how, cell, false, Some(&mut kept))
            .unwrap();
        let v = [0.2, 0.05, 0.0, 0.15];
        for ((a, b), g) in first.iter().zip(&again).zip(kept) {
            assert!(!Arc::ptr_eq(&a.array, &b.array));
            let fresh = Solver::Linearised.cell_array(g, wires, cell, 0.2).unwrap();
            let v = &v[..fresh.rows()];
            assert_eq!(b.array.read(v).unwrap(), fresh.read(v).unwrap());
            assert_ne!(a.array.read(v).unwrap(), fresh.read(v).unwrap());
        }
    }

    /// A one-layer graph of 3 inputs and 2 outputs on an ideal device.
    fn linear_graph() -> (Graph, Weights) {
        let fc = Weights {
            inputs: 3,
            outputs: 2,
            weights: vec![0.5, -1.0, 0.25, 0.0, -0.5, 1.0],
            bias: vec![0.1, 0.0],
        };
        let nodes = vec![Node {
            name: "fc".into(),
            op: Op::Linear(fc.clone()),
            inputs: vec![0],
        }];
        (Graph::new(Shape::new(3, 1, 1), nodes).unwrap(), fc)
    }

    /// The differential mapping of `device` and the conductances (S) it
    /// programs `fc`'s weights to, noiseless.
    fn programmed(device: &DeviceSpec, fc: &Weights) -> (Mapping, DMatrix<f64>) {
        let mapping = Mapping::for_device(MappingScheme::Differential, device, 1.0).unwrap();
        let w = DMatrix::from_row_slice(fc.inputs, fc.outputs, &fc.weights);
        let g = mapping
            .weights_to_conductances(&w)
            .unwrap()
            .physical_array();
        (mapping, g)
    }

    #[test]
    fn sinh_cells_without_wires_read_the_closed_form() {
        // y_j = b_j + Σᵢ w_ij·sinh(a·Vᵢ)/(a·V_read/x_max), Vᵢ = xᵢ·V_read/x_max.
        let (graph, fc) = linear_graph();
        let a = 6.0;
        let device = DeviceSpec {
            iv: IvSpec::Sinh { a_per_volt: a },
            ..ideal_device()
        };
        let mut array = ArrayConfig::new(device);
        array.converters.read_voltage = 0.3;
        let image = [0.2f32, 0.7, 1.0];
        let mut on_arrays = ProgrammedGraph::program(&graph, &array, 7).unwrap();
        let y = &on_arrays.logits_at(0.0, &image, 0).unwrap()[0];
        let vpu = 0.3; // x_max = 1: the largest input
        for (j, &yj) in y.iter().enumerate() {
            let expected = fc.bias[j]
                + (0..3)
                    .map(|i| {
                        let v = f64::from(image[i]) * vpu;
                        fc.weights[i * 2 + j] * (a * v).sinh() / (a * vpu)
                    })
                    .sum::<f64>();
            assert!((yj - expected).abs() < 1e-12, "{j}: {yj} vs {expected}");
        }
        // The linear read differs by the sinh's excess current: at 0.3 V,
        // sinh(1.8)/1.8 = 1.63.
        let linear = graph.forward(&[0.2f32 as f64, 0.7f32 as f64, 1.0], 0);
        assert!((y[1] - linear[1]).abs() > 0.2);
    }

    #[test]
    fn cells_with_wires_read_what_the_nodal_newton_solve_gives() {
        // y_j = b_j + (I⁺_j − I⁻_j)·w_max/Δg / (V_read/x_max), the currents
        // from the crossbar crate's Newton solve of the programmed array.
        let (graph, fc) = linear_graph();
        let access = AccessSpec::NmosLevel1 {
            kp_A_per_V2: 4e-4,
            vto_V: 0.4,
            lambda_per_V: 0.05,
            gate_V: 1.0,
        };
        let device = DeviceSpec {
            iv: IvSpec::Sinh { a_per_volt: 5.0 },
            access,
            ..ideal_device()
        };
        let mut array = ArrayConfig::new(device.clone());
        array.wires = Wires::new(3.0, 4.0, 30.0, 15.0).unwrap();
        array.drift_compensation = false;
        let image = [0.2f32, 0.7, 1.0];
        let mut on_arrays = ProgrammedGraph::program(&graph, &array, 7).unwrap();
        let y = &on_arrays.logits_at(0.0, &image, 0).unwrap()[0];
        let (mapping, g) = programmed(&device, &fc);
        let v_read = array.converters.read_voltage;
        let v = DMatrix::from_fn(1, 3, |_, i| f64::from(image[i]) * v_read);
        let currents = xbar_crossbar::Crossbar::new(g, array.wires)
            .unwrap()
            .solve_cells(&v, &Cell::of(device.iv, access), &NewtonOptions::default())
            .unwrap()
            .currents;
        let decoded = mapping.decode(&currents).unwrap();
        for j in 0..2 {
            let expected = fc.bias[j] + decoded[(0, j)] / v_read;
            assert!(
                (y[j] - expected).abs() < 1e-10,
                "{j}: {} vs {expected}",
                y[j]
            );
        }
    }

    #[test]
    fn the_array_solver_chooses_how_cells_are_read() {
        // `linearised` and `ideal` reach the tile: the graph's outputs are
        // the crossbar crate's reads of the programmed array, decoded.
        let (graph, fc) = linear_graph();
        let device = DeviceSpec {
            iv: IvSpec::Sinh { a_per_volt: 5.0 },
            ..ideal_device()
        };
        let wires = Wires::new(3.0, 4.0, 30.0, 15.0).unwrap();
        let image = [0.2f32, 0.7, 1.0];
        let one_t_one_r = DeviceSpec {
            access: AccessSpec::NmosLevel1 {
                kp_A_per_V2: 5e-4,
                vto_V: 0.45,
                lambda_per_V: 0.06,
                gate_V: 1.2,
            },
            ..device.clone()
        };
        for (device, solver) in [
            (&device, Solver::Linearised),
            (&device, Solver::Ideal),
            (&one_t_one_r, Solver::Linearised),
        ] {
            let (mapping, g) = programmed(device, &fc);
            let cell = Cell::of(device.iv, device.access);
            let tile = match solver {
                Solver::Ideal => {
                    CellArray::new(g.clone(), Wires::ideal(), cell, NewtonOptions::default())
                }
                _ => CellArray::linearised(g.clone(), wires, cell, 0.2),
            }
            .unwrap();
            let mut array = ArrayConfig::new(device.clone());
            array.wires = wires;
            array.solver = solver;
            array.drift_compensation = false;
            array.validate().unwrap();
            let mut on_arrays = ProgrammedGraph::program(&graph, &array, 7).unwrap();
            let y = &on_arrays.logits_at(0.0, &image, 0).unwrap()[0];
            let v: Vec<f64> = image.iter().map(|&x| f64::from(x) * 0.2).collect();
            let currents = tile.read(&v).unwrap().currents_a;
            let decoded = mapping
                .decode(&DMatrix::from_row_slice(1, 4, &currents))
                .unwrap();
            for j in 0..2 {
                let expected = fc.bias[j] + decoded[(0, j)] / 0.2;
                assert!(
                    (y[j] - expected).abs() < 1e-10,
                    "{solver:?} {j}: {} vs {expected}",
                    y[j]
                );
            }
        }
        // `transfer` cannot read these cells.
        let mut array = ArrayConfig::new(one_t_one_r);
        array.solver = Solver::Transfer;
        let e = array.validate().unwrap_err();
        assert!(
            matches!(&e, HardwareError::Config { field, .. } if field == "solver"),
            "{e}"
        );
    }

    #[test]
    fn nonlinear_reads_price_the_power_they_drew() {
        // Ideal wires, sinh cells: a read's energy is t_read·Σᵢ Vᵢ·h(Vᵢ)·Σⱼ g_ij.
        let (graph, fc) = linear_graph();
        let a = 4.0;
        let device = DeviceSpec {
            iv: IvSpec::Sinh { a_per_volt: a },
            ..ideal_device()
        };
        let array = ArrayConfig::new(device.clone());
        let mut on_arrays = ProgrammedGraph::program(&graph, &array, 3).unwrap();
        let data =
            crate::mnist::Dataset::from_parts(vec![0.2, 0.7, 1.0], vec![0], Shape::new(3, 1, 1));
        let mut probe = crate::activity::ActivityProbe::new(1e-8);
        on_arrays
            .evaluate_at(0.0, &data, 0, Some(&mut probe))
            .unwrap();
        let (_, g) = programmed(&device, &fc);
        let v_read = array.converters.read_voltage;
        let expected: f64 = (0..3)
            .map(|i| {
                let v = [0.2f32, 0.7, 1.0][i] as f64 * v_read;
                v * (a * v).sinh() / a * g.row(i).sum()
            })
            .sum::<f64>()
            * 1e-8;
        let tile = &probe.layers[0].tiles[0];
        assert_eq!(tile.reads, 1);
        assert!(
            (tile.array_energy_j - expected).abs() < 1e-9 * expected,
            "{} vs {expected}",
            tile.array_energy_j
        );
    }
}
