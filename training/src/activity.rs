//! What a network's arrays do during an evaluation, measured for the cost
//! model: for every tile, the reads (products with at least one non-zero
//! input), the active rows and their DAC levels, `Σ Vᵢ²` for the word
//! lines' charge, and the exact array energy `Σ_reads Vᵀ·Y·V·t_read` from
//! each tile's input admittance `Y` ([`InputAdmittance`]: the read
//! conductances with the array's wires, by its solver — IR drop
//! included). [`ProgrammedNetwork::evaluate_at`] records them into an
//! [`ActivityProbe`]; the cost crate prices them (`xbar_cost::NetworkCost`).
//!
//! The circuit of a programmed array is linear, so the power its sources
//! deliver for input voltages `V` is `P = Vᵀ·Y·V` with the input admittance
//! `Y` (M×M, symmetric). [`InputAdmittance`] computes `Y` once per read
//! array from `M` unit inputs through the factorised nodal matrix, after
//! which the exact power of any input vector costs one quadratic form; the
//! energy of one read is `P·t_read` (the read pulse width).
//!
//! Input voltages are what the arrays see: the DAC's output (or the input
//! itself without a DAC) over the layer's input full scale, times
//! `V_read` (the full scale is calibrated at `t₀`, see
//! [`ProgrammedNetwork::evaluate_at`]). Sums over inputs evaluated in
//! parallel are kept in 128-bit fixed point (energy in units of 1e-30 J,
//! `V²` in units of 1e-18 V²), so that they do not depend on the order the
//! threads add in: the same seed gives the same bits.

use std::sync::atomic::{AtomicU64, Ordering};

use nalgebra::DMatrix;
use xbar_crossbar::{Crossbar, CrossbarError, Dac, ExactSolver, Solver, Wires};

#[cfg(doc)]
use crate::hardware::ProgrammedNetwork;
use crate::network::NetworkKind;

/// What one array did over all evaluated inputs.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct TileActivity {
    /// Word lines.
    pub rows: usize,
    /// Bit lines.
    pub cols: usize,
    /// Reads (products with at least one non-zero input).
    pub reads: u64,
    /// Active rows, summed over reads.
    pub active_rows: u64,
    /// DAC levels of the active rows, summed over reads.
    pub input_levels: u64,
    /// `Σ_reads Σ_active Vᵢ²` (V²), for the word lines' `C·V²`.
    pub wordline_v2: f64,
    /// `Σ_reads Vᵀ·Y·V·t_read` (J): the exact array energy.
    pub array_energy_j: f64,
}

/// What one layer did over all evaluated inputs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LayerActivity {
    /// Logical inputs (word lines of the layer).
    pub inputs: usize,
    /// Logical outputs (neurons).
    pub outputs: usize,
    /// Products per inference (time steps × output pixels, or 1).
    pub products_per_inference: usize,
    /// Output positions that share the weights (a convolution's output
    /// pixels; 1 for a dense layer): the layer computes `2·inputs·outputs·
    /// pixels` operations per inference.
    pub pixels: usize,
    /// Neuron updates, summed over inputs.
    pub neuron_updates: u64,
    /// Its arrays.
    pub tiles: Vec<TileActivity>,
}

/// Where an evaluation records what its arrays did: pass one to
/// [`ProgrammedNetwork::evaluate_at`], read [`layers`](Self::layers) and
/// [`inferences`](Self::inferences) after it (each evaluation replaces
/// them).
///
/// ```
/// use xbar_training::activity::ActivityProbe;
/// let probe = ActivityProbe::new(10e-9);
/// assert!(probe.layers.is_empty() && probe.inferences == 0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityProbe {
    /// The read pulse width (s) that turns the exact power of each read
    /// into energy.
    pub read_time_s: f64,
    /// Inputs evaluated.
    pub inferences: u64,
    /// Per layer: what its arrays did, summed over the inputs.
    pub layers: Vec<LayerActivity>,
}

impl ActivityProbe {
    /// A probe with nothing recorded, for reads of `read_time_s` (s).
    pub fn new(read_time_s: f64) -> Self {
        ActivityProbe {
            read_time_s,
            inferences: 0,
            layers: Vec::new(),
        }
    }
}

/// The input admittance `Y` (S, M×M) of a programmed array: the power of
/// input `V` is `Vᵀ·Y·V` (see the [module docs](self)).
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_training::activity::InputAdmittance;
/// use xbar_crossbar::{Crossbar, Solver, Wires};
/// let g = DMatrix::from_fn(3, 2, |i, j| 1e-5 * (1 + i + j) as f64);
/// let ideal = InputAdmittance::new(&Crossbar::new(g.clone(), Wires::ideal())?, Solver::Auto)?;
/// // No wires: Y is diagonal with the row sums of G.
/// assert!((ideal.power_w(&[1.0, 0.0, 0.0]) - 3e-5).abs() < 1e-18);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct InputAdmittance {
    y: DMatrix<f64>,
}

impl InputAdmittance {
    /// `Y` of `xbar` as `solver` sees it: with `Ideal` (or `Auto` and ideal
    /// wires) the wires are ignored and `Y = diag(Σⱼ g[i,j])`; otherwise `M`
    /// unit inputs through the exact nodal solve
    /// ([`ExactSolver::source_currents`]).
    ///
    /// # Errors
    /// What the solver refuses.
    pub fn new(xbar: &Crossbar, solver: Solver) -> Result<Self, CrossbarError> {
        let m = xbar.rows();
        let y = if solver.ignores_wires(xbar.wires()) {
            let g = xbar.conductances();
            DMatrix::from_diagonal(&nalgebra::DVector::from_fn(m, |i, _| g.row(i).sum()))
        } else {
            let y = ExactSolver::new(xbar)?.source_currents(&DMatrix::identity(m, m))?;
            // Symmetric in exact arithmetic (a reciprocal network):
            // symmetrise the rounding.
            (&y + y.transpose()) * 0.5
        };
        Ok(InputAdmittance { y })
    }

    /// From read conductances and wires, as [`InputAdmittance::new`].
    ///
    /// # Errors
    /// Invalid conductances or wires, or what the solver refuses.
    pub fn of_conductances(
        g: DMatrix<f64>,
        wires: &Wires,
        solver: Solver,
    ) -> Result<Self, CrossbarError> {
        Self::new(&Crossbar::new(g, *wires)?, solver)
    }

    /// The matrix `Y` (S).
    pub fn matrix(&self) -> &DMatrix<f64> {
        &self.y
    }

    /// `Vᵀ·Y·V` (W) for input voltages `v` (V, length M).
    pub fn power_w(&self, v: &[f64]) -> f64 {
        let mut p = 0.0;
        for (k, &vk) in v.iter().enumerate() {
            if vk == 0.0 {
                continue;
            }
            let col = self.y.column(k);
            let mut s = 0.0;
            for (i, &vi) in v.iter().enumerate() {
                s += col[i] * vi;
            }
            p += vk * s;
        }
        p
    }

    /// `Vᵀ·Y·V` (W) for inputs that are `scale` (V) on the rows in `active`
    /// and 0 elsewhere (spikes): `scale²·Σ_{k,l ∈ active} Y[k,l]`.
    pub fn power_of_rows_w(&self, active: &[usize], scale: f64) -> f64 {
        let mut s = 0.0;
        for &k in active {
            let col = self.y.column(k);
            for &l in active {
                s += col[l];
            }
        }
        scale * scale * s
    }
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

/// The place of one tile in its layer: first input row, rows, bit lines.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileSpan {
    pub(crate) row0: usize,
    pub(crate) rows: usize,
    /// Bit lines (two per weight column, or a sliced weight's columns).
    pub(crate) bit_lines: usize,
}

#[derive(Default)]
struct TileCounts {
    reads: AtomicU64,
    active_rows: AtomicU64,
    levels: AtomicU64,
    wordline_v2: FixedSum,
    energy: FixedSum,
}

/// Records what the tiles of one layer do, product after product (any
/// thread, any order).
pub(crate) struct LayerRecorder {
    spans: Vec<TileSpan>,
    /// Per tile, for linear cells.
    admittances: Option<Vec<InputAdmittance>>,
    counts: Vec<TileCounts>,
    calls: AtomicU64,
    /// Volts per input unit: `V_read / x_max`.
    volts_per_unit: f64,
    read_time_s: f64,
}

impl LayerRecorder {
    /// A recorder for tiles at `spans`: of linear cells, with read
    /// conductances (S) on wires, by a solver (the energy of a read from
    /// the input admittance); `None` for nonlinear cells, whose products
    /// give each read's power ([`LayerRecorder::record`]).
    pub(crate) fn new(
        spans: Vec<TileSpan>,
        linear: Option<(Vec<DMatrix<f64>>, &Wires, Solver)>,
        volts_per_unit: f64,
        read_time_s: f64,
    ) -> Result<Self, CrossbarError> {
        let admittances = match linear {
            Some((conductances, wires, solver)) => Some(
                conductances
                    .into_iter()
                    .map(|g| InputAdmittance::of_conductances(g, wires, solver))
                    .collect::<Result<Vec<_>, _>>()?,
            ),
            None => None,
        };
        let counts = spans.iter().map(|_| TileCounts::default()).collect();
        Ok(LayerRecorder {
            spans,
            admittances,
            counts,
            calls: AtomicU64::new(0),
            volts_per_unit,
            read_time_s,
        })
    }

    /// One product of the layer for input `x`, through `dac` when there
    /// is one; `powers` (W per tile) are what nonlinear cells' reads
    /// delivered (linear cells' energy comes from their admittance).
    pub(crate) fn record(&self, x: &[f32], dac: Option<&Dac>, powers: Option<&[f64]>) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        let mut active: Vec<(usize, f64)> = Vec::new();
        for (k, (t, counts)) in self.spans.iter().zip(&self.counts).enumerate() {
            active.clear();
            let mut levels = 0u64;
            let mut v2 = 0.0;
            for r in 0..t.rows {
                let xi = f64::from(x[t.row0 + r]);
                if xi == 0.0 {
                    continue;
                }
                let (xq, level) = match dac {
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
            let p = match (&self.admittances, powers) {
                (_, Some(powers)) => powers[k],
                (Some(admittances), None) => {
                    let y = admittances[k].matrix();
                    let mut p = 0.0;
                    for &(k, vk) in &active {
                        let col = y.column(k);
                        let mut s = 0.0;
                        for &(l, vl) in &active {
                            s += col[l] * vl;
                        }
                        p += vk * s;
                    }
                    p
                }
                (None, None) => 0.0,
            };
            counts.reads.fetch_add(1, Ordering::Relaxed);
            counts
                .active_rows
                .fetch_add(active.len() as u64, Ordering::Relaxed);
            counts.levels.fetch_add(levels, Ordering::Relaxed);
            counts.wordline_v2.add(v2, V2_QUANTUM);
            counts.energy.add(p * self.read_time_s, ENERGY_QUANTUM_J);
        }
    }

    /// What the layer of `(inputs, outputs)` did over `inferences` inputs
    /// of a network of `kind` with `steps` time steps, at `pixels` output
    /// positions (1 for a dense layer).
    pub(crate) fn activity(
        &self,
        (inputs, outputs, pixels): (usize, usize, usize),
        (kind, steps): (NetworkKind, usize),
        inferences: u64,
    ) -> LayerActivity {
        let calls = self.calls.load(Ordering::Relaxed);
        let neurons = (outputs * pixels) as u64;
        LayerActivity {
            inputs,
            outputs,
            products_per_inference: (calls as f64 / inferences.max(1) as f64).round() as usize,
            pixels,
            neuron_updates: match kind {
                NetworkKind::Spiking => neurons * (steps as u64) * inferences,
                NetworkKind::Relu => neurons * inferences,
            },
            tiles: self
                .spans
                .iter()
                .zip(&self.counts)
                .map(|(t, c)| TileActivity {
                    rows: t.rows,
                    cols: t.bit_lines,
                    reads: c.reads.load(Ordering::Relaxed),
                    active_rows: c.active_rows.load(Ordering::Relaxed),
                    input_levels: c.levels.load(Ordering::Relaxed),
                    wordline_v2: c.wordline_v2.value(V2_QUANTUM),
                    array_energy_j: c.energy.value(ENERGY_QUANTUM_J),
                })
                .collect(),
        }
    }
}
