//! One entry point, [`Crossbar::solve`], and the choice of method: every
//! question another crate asks of a [`Solver`] is a method here, each an
//! exhaustive `match`, so that a new method is added in this crate alone.
//!
//! | [`Solver`] | cost for B vectors on M×N | exact with wires | nonlinear cells |
//! |---|---|---|---|
//! | `Ideal` | `2·B·M·N` flops | no (ignores wires) | no |
//! | `Exact` | factorisation + `B` solve pairs | yes | yes (Newton) |
//! | `Transfer` | factorisation + `M` solve pairs + `2·B·M·N` | yes | no |
//! | `Linearised` | as `Transfer` | yes (it is `Transfer` for ohmic cells) | network tiles of any cell, to first order in the IR drop; an access device's cell through a separable expansion of its current, `K` terms ([`crate::nonlinear::CellArray::linearised`]) |
//! | `Auto` | see [`Solver::resolve`] | yes | yes (Newton) |
//!
//! What `Auto` becomes depends on the wires and on what the currents are
//! for ([`Workload`]), and is decided in one place, [`Solver::resolve`]:
//!
//! | [`Workload`] | ideal wires | wires |
//! |---|---|---|
//! | `Batch { vectors, rows }` (one array, [`Crossbar::solve`], `xbarsim solve`) | `Ideal` | `Transfer` when `vectors > rows`, else `Exact` |
//! | `Tile` (a network tile's `G_eff`, [`Solver::effective_conductances`]) | `Ideal` | `Transfer` |
//! | `Reference` (the currents the ideal product is compared against, `crossbar-ir-drop`) | `Exact` | `Exact` |

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use xbar_devices::{AccessSpec, Cell, IvSpec};

use crate::circuit::{Crossbar, Wires};
use crate::error::{CrossbarError, Result};
use crate::exact::ExactSolver;
use crate::ideal;
use crate::nonlinear::{CellArray, NewtonOptions};
use crate::transfer::TransferMatrix;

/// How [`Crossbar::solve`] computes the currents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solver {
    /// The cheapest exact method for the workload ([`Solver::resolve`]).
    #[default]
    Auto,
    /// `I = V·G`, ignoring every resistance.
    Ideal,
    /// Nodal solve for every vector (factorised once).
    Exact,
    /// Build `G_eff`, then one dense product.
    Transfer,
    /// `Transfer` for ohmic cells. A network tile of nonlinear cells is
    /// read through its small-signal network at the read voltage: first
    /// order in the IR drop with wires; exact with ideal wires for
    /// two-terminal cells, and for a cell with an access device to the
    /// measured error of the separable expansion of its current
    /// ([`crate::nonlinear::CellArray::linearised`]).
    Linearised,
}

/// What the currents are computed for: with the wires, what decides the
/// method `Auto` stands for (see the [module table](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `vectors` input vectors through one array of `rows` word lines, once:
    /// the cheapest exact method for that batch.
    Batch {
        /// Input vectors in the batch (`B`).
        vectors: usize,
        /// Word lines of the array (`M`).
        rows: usize,
    },
    /// The effective conductances of a network tile, which then serve
    /// every input the network reads (far more than `M`): the transfer
    /// matrix, or the read conductances themselves with ideal wires.
    Tile,
    /// The currents an experiment compares the ideal product against: the
    /// nodal solve of every vector, whatever the wires.
    Reference,
}

/// How the cells of one array conduct, and so how it is solved
/// ([`Solver::for_cells`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ArraySolve {
    /// Ohmic cells, by this method (never `Auto`).
    Linear(Solver),
    /// Nonlinear cells (a sinh I-V, an access device), by Newton
    /// iterations on the nodal equations ([`Crossbar::solve_cells`]).
    Nonlinear(Cell),
}

impl Solver {
    /// Every method, in the order of `from_name`'s list.
    pub const ALL: [Solver; 5] = [
        Solver::Auto,
        Solver::Ideal,
        Solver::Exact,
        Solver::Transfer,
        Solver::Linearised,
    ];

    /// The method that computes `workload` with `wires`: itself, or for
    /// `Auto` the one of the [module table](self). Never `Auto`.
    ///
    /// ```
    /// use xbar_crossbar::{solver::Workload, Solver, Wires};
    /// let wires = Wires::new(1.0, 1.0, 0.0, 0.0)?;
    /// let batch = Workload::Batch { vectors: 100, rows: 64 };
    /// assert_eq!(Solver::Auto.resolve(&wires, batch), Solver::Transfer);
    /// assert_eq!(Solver::Auto.resolve(&Wires::ideal(), batch), Solver::Ideal);
    /// assert_eq!(Solver::Auto.resolve(&Wires::ideal(), Workload::Reference), Solver::Exact);
    /// assert_eq!(Solver::Exact.resolve(&wires, Workload::Tile), Solver::Exact);
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    pub fn resolve(self, wires: &Wires, workload: Workload) -> Solver {
        match self {
            Solver::Auto => match workload {
                Workload::Reference => Solver::Exact,
                _ if wires.is_ideal() => Solver::Ideal,
                Workload::Batch { vectors, rows } if vectors > rows => Solver::Transfer,
                Workload::Batch { .. } => Solver::Exact,
                Workload::Tile => Solver::Transfer,
            },
            Solver::Ideal => Solver::Ideal,
            Solver::Exact => Solver::Exact,
            // Ohmic cells are their own small-signal network.
            Solver::Transfer | Solver::Linearised => Solver::Transfer,
        }
    }

    /// Whether this method leaves the wires out (`I = V·G`): `Ideal`, and
    /// `Auto` when every resistance is zero (whatever the workload, the
    /// wires then change nothing).
    pub fn ignores_wires(self, wires: &Wires) -> bool {
        match self {
            Solver::Ideal => true,
            Solver::Auto => wires.is_ideal(),
            Solver::Exact | Solver::Transfer | Solver::Linearised => false,
        }
    }

    /// Whether the currents account for the wires exactly (to rounding),
    /// whatever the cells: every method but `Ideal` and `Linearised`
    /// (exact for ohmic cells only).
    pub fn is_exact(self) -> bool {
        match self {
            Solver::Ideal | Solver::Linearised => false,
            Solver::Auto | Solver::Exact | Solver::Transfer => true,
        }
    }

    /// Whether this method can solve nonlinear cells: those that solve the
    /// nodal equations vector by vector (`Auto`, `Exact`); `Ideal` and
    /// `Transfer` rest on linearity, and `Linearised` is a network tile's
    /// approximate read ([`crate::nonlinear::CellArray::linearised`]), not a solve.
    pub fn solves_nonlinear(self) -> bool {
        match self {
            Solver::Auto | Solver::Exact => true,
            Solver::Ideal | Solver::Transfer | Solver::Linearised => false,
        }
    }

    /// How `vectors` input vectors through one array of `rows` word lines
    /// with `wires` are solved when its cells are `cell` (an I-V and an
    /// access device): ohmic cells with no access device by the
    /// [`Solver::resolve`]d method, any other by Newton
    /// ([`Crossbar::solve_cells`]).
    ///
    /// # Errors
    /// [`CrossbarError::InvalidParameter`] at `solver` for nonlinear cells
    /// with a method that cannot solve them ([`Solver::solves_nonlinear`]).
    pub fn for_cells(
        self,
        cell: &Cell,
        wires: &Wires,
        vectors: usize,
        rows: usize,
    ) -> Result<ArraySolve> {
        if cell.is_ohmic() {
            return Ok(ArraySolve::Linear(
                self.resolve(wires, Workload::Batch { vectors, rows }),
            ));
        }
        if !self.solves_nonlinear() {
            return Err(CrossbarError::invalid(
                "solver",
                format!(
                    "{} need the nonlinear nodal solve: use auto or exact, not {}",
                    describe_cell(cell),
                    self.name()
                ),
            ));
        }
        Ok(ArraySolve::Nonlinear(*cell))
    }

    /// Whether this method can read network tiles of the nonlinear `cell`
    /// one input vector at a time ([`Solver::cell_array`]): `auto`,
    /// `exact`, `ideal` and `linearised` any cell, `transfer` none (it is
    /// linear).
    ///
    /// # Errors
    /// [`CrossbarError::InvalidParameter`] at `solver`, naming the cell
    /// and the methods that can.
    pub fn reads_cells(self, cell: &Cell) -> Result<()> {
        match self {
            Solver::Auto | Solver::Exact | Solver::Ideal | Solver::Linearised => Ok(()),
            Solver::Transfer => Err(CrossbarError::invalid(
                "solver",
                format!(
                    "the transfer matrix is linear, and {} are not: use auto or exact (Newton, exact), \
                     linearised (the small-signal network at the read voltage, first order in the IR \
                     drop) or ideal",
                    describe_cell(cell)
                ),
            )),
        }
    }

    /// A network tile of conductances `g` (S) of the nonlinear `cell` on
    /// `wires`, as this method reads it: `ideal` without the wires,
    /// `linearised` through its small-signal network at `v_read` volts
    /// ([`CellArray::linearised`]), `auto` and `exact` exactly
    /// ([`CellArray::new`]).
    ///
    /// # Errors
    /// What [`Solver::reads_cells`] refuses; what the tile refuses.
    pub fn cell_array(
        self,
        g: DMatrix<f64>,
        wires: Wires,
        cell: Cell,
        v_read: f64,
    ) -> Result<CellArray> {
        self.reads_cells(&cell)?;
        let options = NewtonOptions::default();
        match self {
            Solver::Ideal => CellArray::new(g, Wires::ideal(), cell, options),
            Solver::Linearised => CellArray::linearised(g, wires, cell, v_read),
            Solver::Auto | Solver::Exact | Solver::Transfer => {
                CellArray::new(g, wires, cell, options)
            }
        }
    }

    /// Parses `auto`, `ideal`, `exact`, `transfer` or `linearised`.
    pub fn from_name(name: &str) -> Option<Solver> {
        Solver::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Peak memory (bytes) of solving `batch` vectors on a `rows × cols`
    /// array by this method, roughly — to refuse sizes that cannot fit
    /// before allocating anything, not an accounting:
    /// - every method: the conductances (8 bytes per cell, a few copies),
    ///   the inputs and outputs (`8·B·(M + N)`);
    /// - `exact`, `transfer` (and `auto`, which may be either): the
    ///   Cholesky factor of the `n = 2·M·N` nodal unknowns, about
    ///   `4·n·log₂n` entries of 8 bytes under the fill-reducing ordering
    ///   (this matches the 1.3 GiB measured for 1024×1024, see
    ///   [`crate::exact`]), and the dense `P×P` port block, `P = M + N`.
    ///
    /// ```
    /// use xbar_crossbar::Solver;
    /// let gib = Solver::Exact.memory_bytes(1024, 1024, 64) / (1u64 << 30) as f64;
    /// assert!((1.0..2.0).contains(&gib));
    /// assert!(Solver::Ideal.memory_bytes(1024, 1024, 64) < 0.1 * (1u64 << 30) as f64);
    /// ```
    pub fn memory_bytes(self, rows: usize, cols: usize, batch: usize) -> f64 {
        let (m, n, b) = (rows as f64, cols as f64, batch as f64);
        let dense = 8.0 * (4.0 * m * n + b * (m + n));
        match self {
            Solver::Ideal => dense,
            Solver::Exact | Solver::Transfer | Solver::Linearised | Solver::Auto => {
                let unknowns = 2.0 * m * n;
                let factor = 4.0 * unknowns * unknowns.max(2.0).log2();
                dense + 8.0 * (factor + (m + n) * (m + n))
            }
        }
    }

    /// The name `from_name` accepts.
    pub fn name(self) -> &'static str {
        match self {
            Solver::Auto => "auto",
            Solver::Ideal => "ideal",
            Solver::Exact => "exact",
            Solver::Transfer => "transfer",
            Solver::Linearised => "linearised",
        }
    }

    /// The effective conductances (S, M×N) of a tile of read conductances
    /// `g` with `wires`, by this method for [`Workload::Tile`]: row `i` is
    /// the bit-line currents for 1 V on word line `i`. `Ideal`: `g` itself;
    /// `Transfer`: the transfer matrix ([`TransferMatrix`]); `Exact`: row
    /// by row from a full nodal solve
    /// ([`ExactSolver::node_voltages`]) of each unit input, a slower,
    /// independent reference for `Transfer` (the two agree to rounding).
    ///
    /// # Errors
    /// Invalid conductances or wires, or a failed factorisation.
    pub fn effective_conductances(self, g: DMatrix<f64>, wires: &Wires) -> Result<DMatrix<f64>> {
        match self.resolve(wires, Workload::Tile) {
            Solver::Ideal => Ok(g),
            Solver::Transfer => {
                let xbar = Crossbar::new(g, *wires)?;
                Ok(TransferMatrix::new(&xbar)?.effective_conductances().clone())
            }
            Solver::Exact => {
                let xbar = Crossbar::new(g, *wires)?;
                let nodal = ExactSolver::new(&xbar)?;
                let (m, n) = (xbar.rows(), xbar.cols());
                let mut g_eff = DMatrix::zeros(m, n);
                let mut unit = vec![0.0; m];
                for i in 0..m {
                    unit[i] = 1.0;
                    let currents = nodal.node_voltages(&unit)?.sense_currents;
                    for (j, c) in currents.into_iter().enumerate() {
                        g_eff[(i, j)] = c;
                    }
                    unit[i] = 0.0;
                }
                Ok(g_eff)
            }
            Solver::Auto | Solver::Linearised => {
                unreachable!("resolve returns neither Auto nor Linearised")
            }
        }
    }
}

/// The I-V of the cells of one array solve, when a front end has both a
/// device (whose `iv` is ohmic unless its file has an `[iv]` section) and
/// possibly an I-V given on its own (`xbarsim solve --sinh-a`): the
/// device's when only it is nonlinear, the explicit one when the device's
/// is ohmic, either when they agree.
///
/// ```
/// use xbar_crossbar::solver::cell_iv;
/// use xbar_devices::{AccessSpec, Cell, IvSpec};
/// let sinh = IvSpec::Sinh { a_per_volt: 2.0 };
/// assert_eq!(cell_iv(&sinh, None)?, sinh);
/// assert_eq!(cell_iv(&IvSpec::Linear, Some(&sinh))?, sinh);
/// assert!(cell_iv(&sinh, Some(&IvSpec::Sinh { a_per_volt: 3.0 })).is_err());
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
///
/// # Errors
/// [`CrossbarError::InvalidParameter`] at `iv` when the device's nonlinear
/// I-V and the explicit one differ.
pub fn cell_iv(device: &IvSpec, explicit: Option<&IvSpec>) -> Result<IvSpec> {
    match (device, explicit) {
        (_, None) => Ok(*device),
        (IvSpec::Linear, Some(iv)) => Ok(*iv),
        (IvSpec::Sinh { .. }, Some(iv)) if iv == device => Ok(*device),
        (IvSpec::Sinh { a_per_volt }, Some(iv)) => Err(CrossbarError::invalid(
            "iv",
            format!(
                "the device's I-V is sinh with a_per_volt = {a_per_volt}, but {} was also given; give one of them, or the same",
                describe_iv(iv)
            ),
        )),
    }
}

/// `sinh cells (a_per_volt = 3)`, `linear cells with a 5000 Ω access
/// resistor`, … for messages.
fn describe_cell(cell: &Cell) -> String {
    let iv = match cell.iv {
        IvSpec::Linear => "linear cells".to_string(),
        IvSpec::Sinh { a_per_volt } => format!("sinh cells (a_per_volt = {a_per_volt})"),
    };
    match cell.access {
        AccessSpec::None => iv,
        AccessSpec::Resistor { r_ohm } => format!("{iv} with a {r_ohm} Ω access resistor"),
        AccessSpec::NmosLevel1 { .. } => format!("{iv} with an nmos-level1 access transistor"),
    }
}

/// `sinh with a_per_volt = 3` or `linear`.
fn describe_iv(iv: &IvSpec) -> String {
    match iv {
        IvSpec::Linear => "linear".to_string(),
        IvSpec::Sinh { a_per_volt } => format!("sinh with a_per_volt = {a_per_volt}"),
    }
}

impl Crossbar {
    /// Bit-line currents (A, B×N) for a batch of input voltages (V, B×M,
    /// one vector per row), by `solver`.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::{Crossbar, Solver, Wires};
    /// let xbar = Crossbar::new(DMatrix::from_element(8, 4, 1e-5), Wires::new(1.0, 1.0, 0.0, 0.0)?)?;
    /// let v = DMatrix::from_element(100, 8, 0.1);
    /// let by_transfer = xbar.solve(&v, Solver::Auto)?; // B > M: transfer matrix
    /// let by_nodes = xbar.solve(&v, Solver::Exact)?;
    /// assert!((by_transfer - by_nodes).amax() < 1e-18);
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    pub fn solve(&self, inputs: &DMatrix<f64>, solver: Solver) -> Result<DMatrix<f64>> {
        self.check_inputs(inputs)?;
        let workload = Workload::Batch {
            vectors: inputs.nrows(),
            rows: self.rows(),
        };
        match solver.resolve(self.wires(), workload) {
            Solver::Ideal => Ok(ideal::product(inputs, self.conductances())),
            method @ (Solver::Exact | Solver::Transfer) => {
                ExactSolver::new(self)?.solve_by(inputs, method)
            }
            Solver::Auto | Solver::Linearised => {
                unreachable!("resolve returns neither Auto nor Linearised")
            }
        }
    }
}

impl ExactSolver {
    /// Bit-line currents by `solver` on this factorisation: `Exact` solves
    /// every vector, `Transfer` builds `G_eff` first, `Ideal` ignores the
    /// wires, `Auto` picks as [`Crossbar::solve`] does. For callers that
    /// also want [`node_voltages`](ExactSolver::node_voltages) without
    /// factorising twice.
    pub fn solve_by(&self, inputs: &DMatrix<f64>, solver: Solver) -> Result<DMatrix<f64>> {
        let xbar = self.crossbar();
        let workload = Workload::Batch {
            vectors: inputs.nrows(),
            rows: xbar.rows(),
        };
        match solver.resolve(xbar.wires(), workload) {
            Solver::Ideal => {
                xbar.check_inputs(inputs)?;
                Ok(ideal::product(inputs, xbar.conductances()))
            }
            Solver::Exact => self.solve(inputs),
            Solver::Transfer => TransferMatrix::from_solver(self)?.apply(inputs),
            Solver::Auto | Solver::Linearised => {
                unreachable!("resolve returns neither Auto nor Linearised")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wired() -> Wires {
        Wires::new(2.0, 3.0, 0.5, 0.0).unwrap()
    }

    fn g() -> DMatrix<f64> {
        DMatrix::from_fn(5, 3, |i, j| 1e-5 * (1.0 + ((3 * i + j) % 4) as f64))
    }

    #[test]
    fn all_lists_every_variant_once() {
        // A new variant fails to compile here: add it to `ALL` too.
        for s in Solver::ALL {
            match s {
                Solver::Auto
                | Solver::Ideal
                | Solver::Exact
                | Solver::Transfer
                | Solver::Linearised => {}
            }
        }
        let mut names: Vec<_> = Solver::ALL.iter().map(|s| s.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), 5);
    }

    #[test]
    fn from_name_inverts_name() {
        for s in Solver::ALL {
            assert_eq!(Solver::from_name(s.name()), Some(s));
        }
        assert_eq!(Solver::from_name("nodal"), None);
        assert_eq!(Solver::from_name("Exact"), None);
    }

    #[test]
    fn resolve_follows_the_module_table() {
        let (w, ideal) = (wired(), Wires::ideal());
        let small = Workload::Batch {
            vectors: 4,
            rows: 4,
        };
        let large = Workload::Batch {
            vectors: 5,
            rows: 4,
        };
        let auto = |wires: &Wires, load| Solver::Auto.resolve(wires, load);
        assert_eq!(auto(&w, small), Solver::Exact);
        assert_eq!(auto(&w, large), Solver::Transfer);
        assert_eq!(auto(&w, Workload::Tile), Solver::Transfer);
        assert_eq!(auto(&w, Workload::Reference), Solver::Exact);
        for load in [small, large, Workload::Tile] {
            assert_eq!(auto(&ideal, load), Solver::Ideal);
        }
        assert_eq!(auto(&ideal, Workload::Reference), Solver::Exact);
        for s in [Solver::Ideal, Solver::Exact, Solver::Transfer] {
            for load in [small, large, Workload::Tile, Workload::Reference] {
                assert_eq!(s.resolve(&w, load), s);
                assert_eq!(s.resolve(&ideal, load), s);
            }
        }
    }

    #[test]
    fn ignores_wires_is_resolving_to_an_inexact_method() {
        let (w, ideal) = (wired(), Wires::ideal());
        assert!(Solver::Ideal.ignores_wires(&w));
        assert!(Solver::Auto.ignores_wires(&ideal));
        assert!(!Solver::Auto.ignores_wires(&w));
        assert!(!Solver::Exact.ignores_wires(&ideal));
        assert!(!Solver::Transfer.ignores_wires(&ideal));
        for s in Solver::ALL {
            for wires in [w, ideal] {
                let load = Workload::Batch {
                    vectors: 1,
                    rows: 5,
                };
                assert_eq!(
                    s.ignores_wires(&wires),
                    !s.resolve(&wires, load).is_exact(),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn only_ideal_is_inexact() {
        let exact: Vec<_> = Solver::ALL.into_iter().filter(|s| s.is_exact()).collect();
        assert_eq!(exact, [Solver::Auto, Solver::Exact, Solver::Transfer]);
        // And an exact method's currents are the nodal solve's.
        let xbar = Crossbar::new(g(), wired()).unwrap();
        let v = DMatrix::from_fn(2, 5, |b, i| 0.1 * (b + i) as f64);
        let reference = xbar.solve(&v, Solver::Exact).unwrap();
        for s in exact {
            let i = xbar.solve(&v, s).unwrap();
            assert!((i - &reference).amax() < 1e-12 * reference.amax());
        }
        let ideal = xbar.solve(&v, Solver::Ideal).unwrap();
        assert!((ideal - &reference).amax() > 1e-6 * reference.amax());
    }

    #[test]
    fn for_cells_sends_nonlinear_cells_to_newton_only_where_it_can() {
        let sinh = IvSpec::Sinh { a_per_volt: 2.0 };
        let w = wired();
        for s in Solver::ALL {
            assert_eq!(
                s.solves_nonlinear(),
                matches!(s, Solver::Auto | Solver::Exact)
            );
            let linear = s.for_cells(&Cell::default(), &w, 9, 5).unwrap();
            let load = Workload::Batch {
                vectors: 9,
                rows: 5,
            };
            assert_eq!(linear, ArraySolve::Linear(s.resolve(&w, load)));
            let resistor = Cell::of(IvSpec::Linear, AccessSpec::Resistor { r_ohm: 1e3 });
            assert_eq!(
                s.for_cells(&resistor, &w, 9, 5).is_ok(),
                s.solves_nonlinear()
            );
            let sinh = Cell::of(sinh, AccessSpec::None);
            match s.for_cells(&sinh, &w, 9, 5) {
                Ok(plan) => {
                    assert!(s.solves_nonlinear());
                    assert_eq!(plan, ArraySolve::Nonlinear(sinh));
                }
                Err(CrossbarError::InvalidParameter { field, message }) => {
                    assert!(!s.solves_nonlinear());
                    assert_eq!(field, "solver");
                    assert!(message.contains(s.name()), "{message}");
                }
                Err(other) => panic!("{other}"),
            }
        }
    }

    #[test]
    fn memory_bytes_counts_the_factor_for_every_wired_method() {
        let ideal = Solver::Ideal.memory_bytes(256, 128, 10);
        let exact = Solver::Exact.memory_bytes(256, 128, 10);
        assert_eq!(ideal, 8.0 * (4.0 * 256.0 * 128.0 + 10.0 * 384.0));
        assert!(exact > 10.0 * ideal);
        // Auto may be either wired method: it is counted as one.
        assert_eq!(Solver::Auto.memory_bytes(256, 128, 10), exact);
        assert_eq!(Solver::Transfer.memory_bytes(256, 128, 10), exact);
    }

    #[test]
    fn effective_conductances_by_every_method() {
        let (g, w) = (g(), wired());
        assert_eq!(
            Solver::Ideal.effective_conductances(g.clone(), &w).unwrap(),
            g
        );
        let ideal_wires = Wires::ideal();
        assert_eq!(
            Solver::Auto
                .effective_conductances(g.clone(), &ideal_wires)
                .unwrap(),
            g
        );
        let transfer = Solver::Transfer
            .effective_conductances(g.clone(), &w)
            .unwrap();
        let exact = Solver::Exact.effective_conductances(g.clone(), &w).unwrap();
        let auto = Solver::Auto.effective_conductances(g.clone(), &w).unwrap();
        assert_eq!(auto, transfer);
        assert!((&transfer - &exact).amax() <= 1e-12 * g.amax());
        // Row i is the currents of 1 V on word line i.
        let xbar = Crossbar::new(g.clone(), w).unwrap();
        let unit = DMatrix::identity(5, 5);
        let currents = xbar.solve(&unit, Solver::Exact).unwrap();
        assert!((&currents - &exact).amax() <= 1e-12 * g.amax());
        // IR drop lowers every row's total current.
        for i in 0..5 {
            assert!(exact.row(i).sum() < g.row(i).sum());
        }
    }

    #[test]
    fn cell_iv_takes_the_device_s_or_the_explicit_one() {
        let two = IvSpec::Sinh { a_per_volt: 2.0 };
        let three = IvSpec::Sinh { a_per_volt: 3.0 };
        assert_eq!(cell_iv(&IvSpec::Linear, None).unwrap(), IvSpec::Linear);
        assert_eq!(cell_iv(&two, None).unwrap(), two);
        assert_eq!(cell_iv(&IvSpec::Linear, Some(&three)).unwrap(), three);
        assert_eq!(cell_iv(&two, Some(&two)).unwrap(), two);
        let e = cell_iv(&two, Some(&three)).unwrap_err();
        let CrossbarError::InvalidParameter { field, message } = e else {
            panic!("{e}")
        };
        assert_eq!(field, "iv");
        assert!(message.contains("a_per_volt = 2") && message.contains("a_per_volt = 3"));
        assert!(cell_iv(&two, Some(&IvSpec::Linear)).is_err());
    }
}
