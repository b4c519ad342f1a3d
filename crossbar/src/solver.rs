//! One entry point, [`Crossbar::solve`], and the choice of method.
//!
//! | [`Solver`] | cost for B vectors on M×N | exact with wires |
//! |---|---|---|
//! | `Ideal` | `2·B·M·N` flops | no (ignores wires) |
//! | `Exact` | factorisation + `B` solve pairs | yes |
//! | `Transfer` | factorisation + `M` solve pairs + `2·B·M·N` | yes |
//! | `Auto` | `Ideal` when all resistances are 0, `Transfer` when `B > M`, else `Exact` | yes |

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::circuit::Crossbar;
use crate::error::Result;
use crate::exact::ExactSolver;
use crate::ideal;
use crate::transfer::TransferMatrix;

/// How [`Crossbar::solve`] computes the currents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Solver {
    /// The cheapest exact method for the batch (see the module table).
    #[default]
    Auto,
    /// `I = V·G`, ignoring every resistance.
    Ideal,
    /// Nodal solve for every vector (factorised once).
    Exact,
    /// Build `G_eff`, then one dense product.
    Transfer,
}

impl Solver {
    /// The method `Auto` resolves to for a batch of `batch` vectors.
    pub fn resolve(self, xbar: &Crossbar, batch: usize) -> Solver {
        match self {
            Solver::Auto if xbar.wires().is_ideal() => Solver::Ideal,
            Solver::Auto if batch > xbar.rows() => Solver::Transfer,
            Solver::Auto => Solver::Exact,
            other => other,
        }
    }

    /// Parses `auto`, `ideal`, `exact` or `transfer`.
    pub fn from_name(name: &str) -> Option<Solver> {
        match name {
            "auto" => Some(Solver::Auto),
            "ideal" => Some(Solver::Ideal),
            "exact" => Some(Solver::Exact),
            "transfer" => Some(Solver::Transfer),
            _ => None,
        }
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
            Solver::Exact | Solver::Transfer | Solver::Auto => {
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
        }
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
        match solver.resolve(self, inputs.nrows()) {
            Solver::Ideal => Ok(ideal::product(inputs, self.conductances())),
            method => ExactSolver::new(self)?.solve_by(inputs, method),
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
        match solver.resolve(xbar, inputs.nrows()) {
            Solver::Ideal => {
                xbar.check_inputs(inputs)?;
                Ok(ideal::product(inputs, xbar.conductances()))
            }
            Solver::Exact => self.solve(inputs),
            Solver::Transfer => TransferMatrix::from_solver(self)?.apply(inputs),
            Solver::Auto => unreachable!("resolve never returns Auto"),
        }
    }
}
