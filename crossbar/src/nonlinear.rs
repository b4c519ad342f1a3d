//! Nonlinear cells: Newton iterations on the nodal equations.
//!
//! A cell is its device's I-V `f(g, Δv)` (e.g. `(g/a)·sinh(a·Δv)`, from
//! [`xbar_devices::CellIv`]) in series with an access device
//! ([`xbar_devices::Cell`]); its current `I(V_w, V_b)` from word-line node
//! `V_w` to bit-line node `V_b` comes with its partials, the node between
//! device and access device eliminated cell by cell (a scalar, bracketed
//! Newton solve in [`xbar_devices::access`]). Kirchhoff's law at the
//! unknown nodes is `F(x) = A_w·x − b_w(V) + Σ_cells ±I(V_w, V_b) = 0`,
//! with `A_w` the wires' Laplacian (the four wire, driver and sense
//! resistances). Newton's method solves `J(x_k)·δ = −F(x_k)`,
//! `x_{k+1} = x_k + δ`, where the Jacobian
//! `J = A_w + Σ_cells ∂I/∂(V_w, V_b)` has the sparsity of the linear
//! nodal matrix (eliminating the internal nodes keeps it: `2·M·N`
//! unknowns, not `3·M·N`).
//!
//! * **Two-terminal cells** (no access device, or a resistor): `I`
//!   depends on `V_w − V_b` alone, `J` is symmetric positive definite
//!   (every slope is positive), and the linear solve's machinery is reused
//!   as is: its symbolic factorisation (nested-dissection ordering,
//!   supernodes), with only the numeric Cholesky redone each iteration.
//! * **A transistor** (`nmos-level1`): the gate is held at a fixed
//!   voltage, so the current depends on `V_b` beyond `V_w − V_b` (the
//!   transconductance) and `J` is not symmetric. It is still an M-matrix
//!   with dominant columns, factorised by faer's sparse LU on the same
//!   pattern (its symbolic analysis done once per array). A Krylov method
//!   preconditioned by a symmetric Cholesky would reuse more, but its
//!   iteration count grows with the transconductance (a saturated
//!   transistor is a current source the symmetric part cannot see); the
//!   LU keeps Newton exact, so its quadratic convergence, and costs a few
//!   milliseconds at 64×64.
//!
//! Newton's method for circuits is the one SPICE itself uses (Nagel,
//! "SPICE2", UCB/ERL M520, 1975; the ngspice manual's `.op`); the
//! operating point is unique because every cell's current increases with
//! `V_w` and decreases with `V_b`.
//!
//! Starting from `x = 0`, the first step is the linear solve with the
//! small-signal conductances. Steps longer than [`NewtonOptions::max_step_volts`]
//! are scaled down (damping). The iteration stops when the largest update
//! falls below `relative_tolerance·max|V|` volts (quadratic convergence
//! makes the error at that point far smaller still); otherwise it fails
//! with [`CrossbarError::NotConverged`] after `max_iterations`. The
//! Kirchhoff residual `max|F|` at the final voltages is then measured and
//! reported ([`Convergence`]); a residual above [`RESIDUAL_LIMIT`] of the
//! largest element current is an error too
//! ([`CrossbarError::Residual`]), never a silent wrong answer.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xbar_devices::{AccessSpec, Cell, CellIv, IvSpec};

use crate::circuit::{Crossbar, Wires};
use crate::error::{CrossbarError, Result};
use crate::exact::{check_finite, sense_current, ExactSolver};
use crate::nodal::{FullPattern, Nodal};
use crate::transfer::TransferMatrix;

mod expansion;
mod newton;
mod small_signal;

use expansion::Expansion;
use newton::{newton, System};
use small_signal::SmallSignal;

/// Stopping rule and damping of the Newton iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewtonOptions {
    /// Give up after this many iterations.
    pub max_iterations: usize,
    /// Converged when every node-voltage update is below this fraction of
    /// the largest input voltage.
    pub relative_tolerance: f64,
    /// Largest node-voltage change allowed in one step (V).
    pub max_step_volts: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            max_iterations: 50,
            relative_tolerance: 1e-12,
            max_step_volts: 0.5,
        }
    }
}

impl NewtonOptions {
    fn validate(&self) -> Result<()> {
        if self.max_iterations == 0 {
            return Err(CrossbarError::invalid(
                "max_iterations",
                "expected ≥ 1, found 0",
            ));
        }
        if !(self.relative_tolerance > 0.0 && self.relative_tolerance < 1.0) {
            return Err(CrossbarError::invalid(
                "relative_tolerance",
                format!(
                    "expected a number in (0, 1), found {}",
                    self.relative_tolerance
                ),
            ));
        }
        if !(self.max_step_volts > 0.0 && self.max_step_volts.is_finite()) {
            return Err(CrossbarError::invalid(
                "max_step_volts",
                format!(
                    "expected a finite voltage > 0, found {}",
                    self.max_step_volts
                ),
            ));
        }
        Ok(())
    }
}

/// The largest Kirchhoff residual accepted at the converged voltages, as a
/// fraction of the largest current through any element.
pub const RESIDUAL_LIMIT: f64 = 1e-9;

/// How a batch of Newton solves converged: the worst vector's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Convergence {
    /// Newton iterations of the slowest vector.
    pub iterations: usize,
    /// Largest Kirchhoff residual at any node at the final voltages (A).
    pub residual_a: f64,
    /// The same, relative to the largest current through any element of
    /// that vector's circuit.
    pub relative_residual: f64,
}

impl Convergence {
    fn worst(self, other: Convergence) -> Convergence {
        Convergence {
            iterations: self.iterations.max(other.iterations),
            residual_a: self.residual_a.max(other.residual_a),
            relative_residual: self.relative_residual.max(other.relative_residual),
        }
    }
}

/// Bit-line currents of a nonlinear solve, and how it converged.
#[derive(Debug, Clone, PartialEq)]
pub struct NonlinearSolve {
    /// Bit-line currents (A, B×N).
    pub currents: DMatrix<f64>,
    /// The worst vector's convergence.
    pub convergence: Convergence,
}

impl Crossbar {
    /// Bit-line currents (A, B×N) for input voltages (V, B×M) when every
    /// cell follows the I-V `iv` (with its programmed conductance as the
    /// small-signal `g`) and has no access device; see
    /// [`Crossbar::solve_cells`].
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::{Crossbar, NewtonOptions, Wires};
    /// use xbar_devices::IvSpec;
    ///
    /// let xbar = Crossbar::new(DMatrix::from_element(16, 16, 2e-5), Wires::new(2.0, 2.0, 0.0, 0.0)?)?;
    /// let v = DMatrix::from_element(1, 16, 0.3);
    /// let sinh = IvSpec::Sinh { a_per_volt: 5.0 };
    /// let nonlinear = xbar.solve_nonlinear(&v, &sinh, &NewtonOptions::default())?;
    /// let linear = xbar.solve_nonlinear(&v, &IvSpec::Linear, &NewtonOptions::default())?;
    /// assert!(nonlinear[(0, 0)] > linear[(0, 0)]); // sinh conducts more than its g at 0.3 V
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    pub fn solve_nonlinear(
        &self,
        inputs: &DMatrix<f64>,
        iv: &IvSpec,
        options: &NewtonOptions,
    ) -> Result<DMatrix<f64>> {
        let cell = Cell::of(*iv, AccessSpec::None);
        Ok(self.solve_cells(inputs, &cell, options)?.currents)
    }

    /// Bit-line currents (A, B×N) for input voltages (V, B×M) when every
    /// cell is `cell` (its I-V, with the programmed conductance as the
    /// small-signal `g`, in series with its access device), with how the
    /// Newton iterations converged. Each vector is its own Newton solve;
    /// vectors run in parallel.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::{Crossbar, NewtonOptions, Wires};
    /// use xbar_devices::{AccessSpec, Cell, CellIv, IvSpec};
    ///
    /// let xbar = Crossbar::new(DMatrix::from_element(8, 8, 5e-5), Wires::new(2.0, 2.0, 10.0, 10.0)?)?;
    /// let v = DMatrix::from_element(1, 8, 0.3);
    /// let nmos = AccessSpec::NmosLevel1 { kp_A_per_V2: 5e-4, vto_V: 0.4, lambda_per_V: 0.02, gate_V: 1.5 };
    /// let one_t_one_r = xbar.solve_cells(&v, &Cell::of(IvSpec::Sinh { a_per_volt: 3.0 }, nmos), &NewtonOptions::default())?;
    /// let alone = xbar.solve_nonlinear(&v, &IvSpec::Sinh { a_per_volt: 3.0 }, &NewtonOptions::default())?;
    /// assert!(one_t_one_r.currents[(0, 0)] < alone[(0, 0)]); // the transistor's drop
    /// assert!(one_t_one_r.convergence.relative_residual < 1e-9);
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    ///
    /// # Errors
    /// Invalid inputs, options or cell parameters; [`CrossbarError::NotConverged`]
    /// or [`CrossbarError::Residual`] when Newton does not converge;
    /// [`CrossbarError::Singular`] or [`CrossbarError::NonFinite`] when a
    /// Jacobian cannot be factorised or the I-V overflows.
    pub fn solve_cells(
        &self,
        inputs: &DMatrix<f64>,
        cell: &Cell,
        options: &NewtonOptions,
    ) -> Result<NonlinearSolve> {
        self.check_inputs(inputs)?;
        options.validate()?;
        cell.validate()
            .map_err(|e| CrossbarError::invalid(e.field.clone(), e.message.clone()))?;
        let nodal = Nodal::new(self.rows(), self.cols(), self.wires())?;
        let full = if cell.is_two_terminal() || nodal.nodes() == 0 {
            None
        } else {
            Some(nodal.full_pattern()?)
        };
        let system = System {
            nodal: &nodal,
            full: full.as_ref(),
            g: self.conductances(),
            cell,
        };
        // Vectors are independent Newton solves: one per task (rayon).
        let rows: Vec<Result<(Vec<f64>, Convergence)>> = (0..inputs.nrows())
            .into_par_iter()
            .map(|b| {
                let v: Vec<f64> = inputs.row(b).iter().copied().collect();
                let (x, convergence) = newton(&system, &v, options, b)?;
                let currents = (0..self.cols())
                    .map(|j| sense_current(&nodal, self.conductances(), cell, &x, &v, j))
                    .collect();
                Ok((currents, convergence))
            })
            .collect();
        let mut out = DMatrix::zeros(inputs.nrows(), self.cols());
        let mut convergence = Convergence::default();
        for (b, row) in rows.into_iter().enumerate() {
            let (row, c) = row?;
            convergence = convergence.worst(c);
            for (j, current) in row.into_iter().enumerate() {
                out[(b, j)] = current;
            }
        }
        check_finite(&out, "bit-line currents")?;
        Ok(NonlinearSolve {
            currents: out,
            convergence,
        })
    }
}

/// A tile of cells prepared for many reads, one input vector at a time:
/// what a network evaluation calls for every product when its cells are
/// not ohmic.
///
/// How a read is computed, chosen once per tile — each is exact:
///
/// | wires | cell | read |
/// |---|---|---|
/// | all 0 Ω | no access device (ohmic or sinh) | `I_j = Σᵢ g_ij·h(Vᵢ)` with `h(V) = f(1, V)`, because both I-V models are proportional to `g`: one product, as for an ohmic array |
/// | all 0 Ω | with an access device | each cell on its own at `(Vᵢ, 0)` ([`Cell::current`]): `I_j = Σᵢ I(g_ij, Vᵢ, 0)`; a row's currents depend on its voltage alone, so they are memoised by `(i, Vᵢ)` (up to [`ROW_MEMO_BYTES`] per tile): inputs from a DAC, pixels or spikes take few values, and a repeated row costs an addition per bit line instead of a solve per cell |
/// | any > 0 | any | Newton on the nodal equations ([`Crossbar::solve_cells`]), the symbolic analysis of the nodal matrix done once per tile |
///
/// [`CellArray::linearised`] trades exactness for the cost of a few linear
/// reads (see there for its error): with wires the IR drop to first order,
/// and a cell with an access device through a short separable expansion
/// of its current.
///
/// Each read also returns the power the sources deliver, `P = Σ Vᵢ·I_in,i`,
/// computed as what the circuit dissipates (Tellegen's theorem):
/// `Σ_wires g_w·ΔV² + Σ_cells I·ΔV`.
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_crossbar::nonlinear::CellArray;
/// use xbar_crossbar::{NewtonOptions, Wires};
/// use xbar_devices::{AccessSpec, Cell, CellIv, IvSpec};
///
/// let g = DMatrix::from_element(4, 2, 1e-4);
/// let resistor = Cell::of(IvSpec::Linear, AccessSpec::Resistor { r_ohm: 1e4 });
/// let tile = CellArray::new(g, Wires::ideal(), resistor, NewtonOptions::default())?;
/// let read = tile.read(&[0.2, 0.0, 0.0, 0.0])?;
/// // 10 kΩ in series with 10 kΩ at 0.2 V: 10 µA into each bit line.
/// assert!((read.currents_a[0] - 1e-5).abs() < 1e-18);
/// assert!((read.power_w - 2.0 * 0.2 * 1e-5).abs() < 1e-18);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
pub struct CellArray {
    /// Conductances, row-major (M×N).
    g: Vec<f64>,
    rows: usize,
    cols: usize,
    cell: Cell,
    options: NewtonOptions,
    plan: Plan,
}

/// How a [`CellArray`] reads (see its table).
enum Plan {
    /// No wires, no access device: `I_j = Σᵢ g_ij·h(Vᵢ)`; the row sums of
    /// `g` give the power.
    Separable { row_sums: Vec<f64> },
    /// No wires: every cell on its own, each row's currents memoised by
    /// its voltage.
    PerCell(RowMemo),
    /// Wires: Newton on the nodal equations.
    Nodal(Box<NodalPlan>),
    /// Wires, linearised at the read voltage ([`CellArray::linearised`]).
    Linearised(Box<LinearisedPlan>),
    /// No wires, an access device: the cells' current expanded in
    /// separable terms ([`CellArray::linearised`]).
    Expanded(Box<ExpandedPlan>),
    /// Wires, an access device: the small-signal network of the expanded
    /// cells ([`CellArray::linearised`]); Newton for a read beyond the
    /// expansion's cover.
    SmallSignal(Box<SmallSignalPlan>),
}

/// A tile without wires whose cells' current is expanded.
struct ExpandedPlan {
    expansion: Expansion,
    /// `aₖ(gᵢⱼ)`, laid out as [`Expansion::tile`].
    a_k: Vec<f64>,
    /// `Σⱼ aₖ(gᵢⱼ)` (M×K), for the power.
    row_sums: Vec<f64>,
}

/// A tile with wires read through its small-signal network.
struct SmallSignalPlan {
    expansion: Expansion,
    maps: SmallSignal,
    /// For reads beyond the cover.
    exact: NodalPlan,
}

/// How far beyond the read voltage [`CellArray::linearised`] expands a
/// cell with an access device: inputs within `±COVER·V_read` are read by
/// the expansion, others exactly.
pub const EXPANSION_COVER: f64 = 2.0;

/// The largest error [`CellArray::linearised`] accepts in the expansion of
/// a cell with an access device, as a fraction of the largest cell current
/// within its cover.
pub const EXPANSION_TOLERANCE: f64 = 1e-6;

/// The small-signal network of a tile at its read voltage.
struct LinearisedPlan {
    /// Its transfer matrix (S, M×N), row-major.
    g_eff: Vec<f64>,
    /// Its input admittance (S, M×M), row-major: row `i` is the source
    /// currents of a unit input on word line `i`.
    y: Vec<f64>,
    /// `h'(V_r)`, the slope of `h(V) = f(1, V)` at the read voltage.
    slope: f64,
}

/// Bytes of row currents a [`CellArray`] without wires keeps memoised.
pub const ROW_MEMO_BYTES: usize = 16 << 20;

/// The bit-line currents one word line drives through its cells at one
/// voltage, and the power it delivers.
struct RowCurrents {
    currents_a: Box<[f64]>,
    power_w: f64,
}

/// Row currents by `(row, voltage bits)`, at most `capacity` of them.
struct RowMemo {
    rows: RwLock<HashMap<(usize, u64), Arc<RowCurrents>>>,
    capacity: usize,
}

/// The nodal equations of a tile with wires, analysed once.
struct NodalPlan {
    nodal: Nodal,
    full: Option<FullPattern>,
    g: DMatrix<f64>,
}

/// One read of a [`CellArray`].
#[derive(Debug, Clone, PartialEq)]
pub struct CellRead {
    /// Current into each bit line's virtual ground (A, length N).
    pub currents_a: Vec<f64>,
    /// Power the sources deliver (W).
    pub power_w: f64,
    /// Newton iterations (0 without wires).
    pub iterations: usize,
}

impl CellArray {
    /// A tile of conductances `g` (S, M×N) with `wires`, every cell
    /// `cell`.
    ///
    /// # Errors
    /// Invalid conductances, wires, options or cell parameters.
    pub fn new(
        g: DMatrix<f64>,
        wires: Wires,
        cell: Cell,
        options: NewtonOptions,
    ) -> Result<CellArray> {
        let xbar = Crossbar::new(g, wires)?;
        options.validate()?;
        cell.validate()
            .map_err(|e| CrossbarError::invalid(e.field.clone(), e.message.clone()))?;
        let (rows, cols) = (xbar.rows(), xbar.cols());
        let g = xbar.conductances();
        let row_major = (0..rows * cols).map(|k| g[(k / cols, k % cols)]).collect();
        let plan = if wires.is_ideal() {
            if cell.access.is_none() {
                Plan::Separable {
                    row_sums: (0..rows).map(|i| g.row(i).sum()).collect(),
                }
            } else {
                Plan::PerCell(RowMemo {
                    rows: RwLock::new(HashMap::new()),
                    capacity: ROW_MEMO_BYTES / (8 * cols.max(1) + 64),
                })
            }
        } else {
            let nodal = Nodal::new(rows, cols, &wires)?;
            let full = if cell.is_two_terminal() || nodal.nodes() == 0 {
                None
            } else {
                Some(nodal.full_pattern()?)
            };
            Plan::Nodal(Box::new(NodalPlan {
                nodal,
                full,
                g: g.clone(),
            }))
        };
        Ok(CellArray {
            g: row_major,
            rows,
            cols,
            cell,
            options,
            plan,
        })
    }

    /// A tile of conductances `g` (S, M×N) on `wires`, every cell `cell`
    /// (a two-terminal I-V with no access device), read through its
    /// small-signal network at the read voltage `v_read` (V) — at the cost
    /// of a linear read: two products per input vector, however strong
    /// the nonlinearity.
    ///
    /// **The approximation.** Such a cell conducts `g·h(V)` (`h(V) = V` or
    /// `sinh(a·V)/a`). With wires, cell `(i, j)` sees `Vᵢ − δᵢⱼ`, `δ` the IR
    /// drop at it, and conducts `g·h(Vᵢ) − g·h'(Vᵢ)·δᵢⱼ + O(δ²)`. The
    /// linear network of cells `g·h'(V_r)` driven by `uᵢ = h(Vᵢ)/h'(V_r)`
    /// puts the same currents `g·h(Vᵢ)` into the wires, hence the same `δ`
    /// to first order, and loses `g·h'(V_r)·δ` per cell: the read is
    /// `I = uᵀ·G'_eff` with `G'_eff` that network's transfer matrix
    /// ([`crate::TransferMatrix`]), and the power `Σᵢ Vᵢ·(uᵀ·Y')ᵢ` with
    /// `Y'` its input admittance ([`crate::ExactSolver::source_currents`]).
    ///
    /// **Its error.** None with ideal wires or ohmic cells (then this is
    /// the exact transfer read). With wires, a cell at `Vᵢ` loses
    /// `g·h'(Vᵢ)·δ` to the IR drop, and the read takes `g·h'(V_r)·δ`: exact
    /// to first order for cells at `±V_r`, too large by `h'(V_r)/h'(Vᵢ)`
    /// for the others — for sinh cells at most `cosh(a·V_r)` times, at the
    /// cells of rows at 0 V, whose current the rising bit line drives
    /// backwards — plus `O(δ²)` terms. The error is therefore a fraction
    /// of at most `cosh(a·V_r) − 1` of the IR drop's loss, itself a few %
    /// of the current on realistic tiles. On a 64×32 tile of 1–100 µS sinh
    /// cells (a = 4/V, `V_r` = 0.2 V, bound 0.34) on 2.5 Ω wires the tests
    /// measure 7 % of the loss for inputs at 0 or `V_r` and 14 % for
    /// analogue inputs, against the Newton solve.
    ///
    /// Cost to build: the transfer matrix and the input admittance of the
    /// small-signal network (one factorisation, `M` solves).
    ///
    /// **Cells with an access device** conduct `I(g, V)`, not `g·h(V)`.
    /// Their current is expanded in separable terms,
    /// `I(g, V, 0) ≈ Σₖ aₖ(g)·bₖ(V)`, over the tile's conductances and
    /// `|V| ≤` [`EXPANSION_COVER`]`·V_read`, to [`EXPANSION_TOLERANCE`] of
    /// the largest cell current there (measured when the tile is built:
    /// [`CellArray::expansion_terms`]); a read is then `K` products
    /// without wires. With wires, each cell is linearised about its
    /// ideal-wire operating point with its partials at `(V_read, 0)` — the
    /// transistor's transconductance included — and every output's
    /// sensitivity to each term is found by one transposed sparse LU
    /// solve per output (`N + M` solves), so that a read is `K + 1`
    /// products for the currents and as many for the power: the same
    /// first-order error as above. An input beyond the cover is read
    /// exactly (cell by cell without wires, Newton with wires), and a cell
    /// whose expansion does not reach the tolerance keeps the exact plan.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::nonlinear::CellArray;
    /// use xbar_crossbar::{NewtonOptions, Wires};
    /// use xbar_devices::{AccessSpec, Cell, IvSpec};
    ///
    /// let g = DMatrix::from_fn(32, 16, |i, j| 1e-5 * (1.0 + ((i + 3 * j) % 9) as f64));
    /// let wires = Wires::new(1.0, 1.0, 0.0, 0.0)?;
    /// let sinh = Cell::of(IvSpec::Sinh { a_per_volt: 4.0 }, AccessSpec::None);
    /// let fast = CellArray::linearised(g.clone(), wires, sinh, 0.2)?;
    /// let exact = CellArray::new(g.clone(), wires, sinh, NewtonOptions::default())?;
    /// let ideal = CellArray::new(g, Wires::ideal(), sinh, NewtonOptions::default())?;
    /// let v = [0.2; 32]; // every input at the read voltage
    /// let (a, b, c) = (fast.read(&v)?, exact.read(&v)?, ideal.read(&v)?);
    /// for j in 0..16 {
    ///     let (a, b, c) = (a.currents_a[j], b.currents_a[j], c.currents_a[j]);
    ///     // The IR drop costs over 2 % of the current; with every input
    ///     // at V_r the read misses under 2 % of that (its second order).
    ///     assert!(c - b > 0.02 * b);
    ///     assert!((a - b).abs() < 0.02 * (c - b));
    /// }
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    ///
    /// # Errors
    /// Invalid conductances, wires, cell or read voltage; a small-signal
    /// Jacobian that cannot be factorised.
    pub fn linearised(g: DMatrix<f64>, wires: Wires, cell: Cell, v_read: f64) -> Result<CellArray> {
        if !(v_read > 0.0 && v_read.is_finite()) {
            return Err(CrossbarError::invalid(
                "read_voltage_v",
                format!("expected a finite voltage > 0, found {v_read}"),
            ));
        }
        let mut tile = CellArray::new(g, wires, cell, NewtonOptions::default())?;
        if !cell.access.is_none() {
            tile.expand(v_read)?;
            return Ok(tile);
        }
        if let Plan::Nodal(nodal) = &tile.plan {
            let slope = cell.iv.didv(1.0, v_read);
            let small_signal = Crossbar::new(nodal.g.map(|g| g * slope), wires)?;
            let solver = ExactSolver::new(&small_signal)?;
            let unit = DMatrix::identity(tile.rows, tile.rows);
            let row_major = |m: &DMatrix<f64>| m.transpose().as_slice().to_vec();
            let g_eff = row_major(TransferMatrix::from_solver(&solver)?.effective_conductances());
            let y = row_major(&solver.source_currents(&unit)?);
            tile.plan = Plan::Linearised(Box::new(LinearisedPlan { g_eff, y, slope }));
        }
        Ok(tile)
    }

    /// Replaces an exact plan of a cell with an access device by the
    /// expansion of its current (and, with wires, its small-signal
    /// network at `v_read`); keeps the exact plan when no expansion
    /// reaches [`EXPANSION_TOLERANCE`].
    fn expand(&mut self, v_read: f64) -> Result<()> {
        let (lo, hi) = self.g.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), &g| {
            (lo.min(g), hi.max(g))
        });
        if self.g.is_empty() {
            return Ok(());
        }
        let cover = EXPANSION_COVER * v_read;
        let Some(expansion) = Expansion::new(&self.cell, (lo, hi), cover, EXPANSION_TOLERANCE)
        else {
            return Ok(());
        };
        let (n, k_count) = (self.cols, expansion.terms());
        let plan = std::mem::replace(&mut self.plan, Plan::Separable { row_sums: vec![] });
        self.plan = match plan {
            Plan::PerCell(_) => {
                let a_k = expansion.tile(&self.g, n);
                let row_sums = (0..self.rows * k_count)
                    .map(|r| a_k[r * n..(r + 1) * n].iter().sum())
                    .collect();
                Plan::Expanded(Box::new(ExpandedPlan {
                    expansion,
                    a_k,
                    row_sums,
                }))
            }
            Plan::Nodal(mut exact) => {
                let full = match exact.full.take() {
                    Some(full) => full,
                    None => exact.nodal.full_pattern()?,
                };
                let maps = SmallSignal::new(
                    &exact.nodal,
                    &full,
                    &exact.g,
                    &self.cell,
                    v_read,
                    &expansion,
                )?;
                if !self.cell.is_two_terminal() {
                    exact.full = Some(full);
                }
                Plan::SmallSignal(Box::new(SmallSignalPlan {
                    expansion,
                    maps,
                    exact: *exact,
                }))
            }
            other => other,
        };
        Ok(())
    }

    /// How many separable terms a linearised tile of cells with an access
    /// device reads through, with the expansion's measured error (A) and
    /// its largest cell current (A); `None` for other tiles.
    pub fn expansion_terms(&self) -> Option<(usize, f64, f64)> {
        let e = match &self.plan {
            Plan::Expanded(p) => &p.expansion,
            Plan::SmallSignal(p) => &p.expansion,
            _ => return None,
        };
        Some((e.terms(), e.error_a, e.scale_a))
    }

    /// Word lines.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Bit lines.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// The bit-line currents and source power for input voltages `v` (V,
    /// length M).
    ///
    /// # Errors
    /// A wrong length or non-finite voltage; with wires, what
    /// [`Crossbar::solve_cells`] reports (no convergence, a residual
    /// above [`RESIDUAL_LIMIT`], an overflowing I-V).
    pub fn read(&self, v: &[f64]) -> Result<CellRead> {
        self.read_with(v, true)
    }

    /// The bit-line currents (A, length N) for input voltages `v` (V,
    /// length M), as [`CellArray::read`] gives them, without the power:
    /// a linearised read with wires then skips half its products.
    ///
    /// # Errors
    /// As [`CellArray::read`].
    pub fn read_currents(&self, v: &[f64]) -> Result<Vec<f64>> {
        Ok(self.read_with(v, false)?.currents_a)
    }

    /// A read; its power only when `power` (else 0 for the linearised
    /// plans with wires).
    fn read_with(&self, v: &[f64], power: bool) -> Result<CellRead> {
        if v.len() != self.rows {
            return Err(CrossbarError::invalid(
                "inputs",
                format!("expected {} voltages, found {}", self.rows, v.len()),
            ));
        }
        if let Some(k) = v.iter().position(|e| !e.is_finite()) {
            return Err(CrossbarError::invalid(
                format!("inputs[{k}]"),
                format!("expected a finite voltage, found {}", v[k]),
            ));
        }
        let n = self.cols;
        let mut currents_a = vec![0.0; n];
        let mut power_w = 0.0;
        let mut iterations = 0;
        match &self.plan {
            Plan::Separable { row_sums } => {
                for (i, &vi) in v.iter().enumerate() {
                    if vi == 0.0 {
                        continue;
                    }
                    let h = self.cell.iv.current(1.0, vi);
                    power_w += vi * h * row_sums[i];
                    add_scaled(&mut currents_a, h, &self.g[i * n..(i + 1) * n]);
                }
            }
            Plan::PerCell(memo) => {
                for (i, &vi) in v.iter().enumerate() {
                    if vi == 0.0 {
                        continue;
                    }
                    let row = self.row_currents(memo, i, vi);
                    for (c, r) in currents_a.iter_mut().zip(row.currents_a.iter()) {
                        *c += r;
                    }
                    power_w += row.power_w;
                }
            }
            Plan::Nodal(plan) => {
                (power_w, iterations) = self.newton_read(plan, v, &mut currents_a)?;
            }
            Plan::Expanded(plan) => {
                let k_count = plan.expansion.terms();
                let mut b = vec![0.0; k_count];
                for (i, &vi) in v.iter().enumerate() {
                    if vi == 0.0 {
                        continue;
                    }
                    if vi.abs() > plan.expansion.cover {
                        // Beyond the expansion: cell by cell.
                        let row = self.solve_row(i, vi);
                        add_scaled(&mut currents_a, 1.0, &row.currents_a);
                        power_w += row.power_w;
                        continue;
                    }
                    plan.expansion.b_of(vi, &mut b);
                    for (k, &bk) in b.iter().enumerate() {
                        let r = i * k_count + k;
                        add_scaled(&mut currents_a, bk, &plan.a_k[r * n..(r + 1) * n]);
                        power_w += vi * bk * plan.row_sums[r];
                    }
                }
            }
            Plan::SmallSignal(plan) => {
                if v.iter().any(|vi| vi.abs() > plan.expansion.cover) {
                    (power_w, iterations) = self.newton_read(&plan.exact, v, &mut currents_a)?;
                } else {
                    let (m, stride) = (self.rows, plan.maps.terms + 1);
                    let mut coefficients = vec![0.0; stride];
                    let mut sources = vec![0.0; m];
                    for (i, &vi) in v.iter().enumerate() {
                        if vi == 0.0 {
                            continue;
                        }
                        coefficients[0] = vi;
                        plan.expansion.b_of(vi, &mut coefficients[1..]);
                        for (c, &coefficient) in coefficients.iter().enumerate() {
                            let r = i * stride + c;
                            add_scaled(
                                &mut currents_a,
                                coefficient,
                                &plan.maps.sense[r * n..(r + 1) * n],
                            );
                            if power {
                                add_scaled(
                                    &mut sources,
                                    coefficient,
                                    &plan.maps.source[r * m..(r + 1) * m],
                                );
                            }
                        }
                    }
                    power_w = v.iter().zip(&sources).map(|(v, c)| v * c).sum();
                }
            }
            Plan::Linearised(plan) => {
                let LinearisedPlan { g_eff, y, slope } = plan.as_ref();
                let m = self.rows;
                for (i, &vi) in v.iter().enumerate() {
                    if vi == 0.0 {
                        continue;
                    }
                    let u = self.cell.iv.current(1.0, vi) / slope;
                    add_scaled(&mut currents_a, u, &g_eff[i * n..(i + 1) * n]);
                    if !power {
                        continue;
                    }
                    let sources: f64 = v
                        .iter()
                        .zip(&y[i * m..(i + 1) * m])
                        .map(|(vk, yk)| vk * yk)
                        .sum();
                    power_w += u * sources;
                }
            }
        }
        if currents_a.iter().any(|c| !c.is_finite()) || !power_w.is_finite() {
            return Err(CrossbarError::NonFinite(
                "bit-line currents of a cell read (the I-V overflows at these voltages)".into(),
            ));
        }
        Ok(CellRead {
            currents_a,
            power_w,
            iterations,
        })
    }
}

/// `out += scale·row`.
fn add_scaled(out: &mut [f64], scale: f64, row: &[f64]) {
    for (o, &r) in out.iter_mut().zip(row) {
        *o += scale * r;
    }
}

impl CellArray {
    /// The exact read by Newton on the nodal equations: the bit-line
    /// currents into `currents_a`, and the power and the iterations.
    fn newton_read(
        &self,
        plan: &NodalPlan,
        v: &[f64],
        currents_a: &mut [f64],
    ) -> Result<(f64, usize)> {
        let NodalPlan { nodal, full, g } = plan;
        let system = System {
            nodal,
            full: full.as_ref(),
            g,
            cell: &self.cell,
        };
        let (x, convergence) = newton(&system, v, &self.options, 0)?;
        for (j, c) in currents_a.iter_mut().enumerate() {
            *c = sense_current(nodal, g, &self.cell, &x, v, j);
        }
        Ok((system.dissipation(&x, v), convergence.iterations))
    }

    /// Row `i`'s cell currents at `vi` volts, bit lines at 0 V: from the
    /// memo, or solved cell by cell and memoised while it has room. The
    /// same arithmetic either way, so a read does not depend on what was
    /// read before.
    fn row_currents(&self, memo: &RowMemo, i: usize, vi: f64) -> Arc<RowCurrents> {
        let key = (i, vi.to_bits());
        if let Some(row) = memo
            .rows
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&key)
        {
            return Arc::clone(row);
        }
        let row = Arc::new(self.solve_row(i, vi));
        let mut rows = memo.rows.write().unwrap_or_else(PoisonError::into_inner);
        if rows.len() < memo.capacity {
            rows.entry(key).or_insert_with(|| Arc::clone(&row));
        }
        row
    }

    /// Row `i`'s cell currents at `vi` volts, bit lines at 0 V, each cell
    /// solved on its own, and the power the row delivers.
    fn solve_row(&self, i: usize, vi: f64) -> RowCurrents {
        let n = self.cols;
        let currents_a: Box<[f64]> = self.g[i * n..(i + 1) * n]
            .iter()
            .map(|&g| self.cell.current(g, vi, 0.0).current_a)
            .collect();
        let power_w = vi * currents_a.iter().sum::<f64>();
        RowCurrents {
            currents_a,
            power_w,
        }
    }
}

#[cfg(test)]
mod tests;
