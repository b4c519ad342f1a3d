//! The transfer matrix: IR-drop-exact inference at the cost of the ideal
//! product.
//!
//! The circuit is linear in the inputs, so the bit-line currents are
//! `I = V·G_eff` for an M×N effective conductance matrix. Row `i` of
//! `G_eff` is the output for the unit input `eᵢ` (1 V on word line `i`, 0 V
//! elsewhere): M solves that reuse the one factorisation of
//! [`ExactSolver`]. After that, every batch costs one dense product
//! (`2·B·M·N` flops), whatever the wire resistance. `G_eff ≥ 0`, and each
//! row sums to at most the same row of `G` (IR drop only lowers the total
//! current a word line delivers); single entries can exceed `G`, since
//! current leaks to neighbouring bit lines through the shared wires.
//!
//! Cost to build: the factorisation plus `M` solves with the ports' dense
//! block (`2·P²·M` flops, `P = M + N`; see [`crate::exact`]). Error: that of
//! the exact solve (the rows of `G_eff` are exact solves), then ordinary
//! floating-point rounding of the product.

use nalgebra::DMatrix;

use crate::circuit::Crossbar;
use crate::error::Result;
use crate::exact::ExactSolver;
use crate::ideal;

/// `G_eff` of a programmed array (S, M×N).
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_crossbar::{Crossbar, ExactSolver, TransferMatrix, Wires};
///
/// let g = DMatrix::from_fn(16, 8, |i, j| 1e-6 * (1 + (i * 8 + j) % 7) as f64);
/// let xbar = Crossbar::new(g, Wires::new(10.0, 10.0, 0.0, 0.0)?)?;
/// let t = TransferMatrix::new(&xbar)?;
/// let v = DMatrix::from_fn(1000, 16, |b, i| 0.01 * ((b + i) % 20) as f64);
/// let fast = t.apply(&v)?;                         // one GEMM
/// let exact = ExactSolver::new(&xbar)?.solve(&v)?; // 1000 nodal solves
/// assert!((fast - exact).amax() < 1e-12 * 1e-6 * 16.0 * 0.2);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TransferMatrix {
    g_eff: DMatrix<f64>,
    xbar: Crossbar,
}

impl TransferMatrix {
    /// Factorises the array and computes `G_eff` from `M` unit inputs.
    pub fn new(xbar: &Crossbar) -> Result<Self> {
        Self::from_solver(&ExactSolver::new(xbar)?)
    }

    /// `G_eff` from an existing factorisation.
    pub fn from_solver(solver: &ExactSolver) -> Result<Self> {
        let m = solver.crossbar().rows();
        let g_eff = solver.solve(&DMatrix::identity(m, m))?;
        Ok(TransferMatrix {
            g_eff,
            xbar: solver.crossbar().clone(),
        })
    }

    /// The effective conductance matrix (S, M×N).
    pub fn effective_conductances(&self) -> &DMatrix<f64> {
        &self.g_eff
    }

    /// Bit-line currents (A, B×N) for input voltages (V, B×M).
    pub fn apply(&self, inputs: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.xbar.check_inputs(inputs)?;
        Ok(ideal::product(inputs, &self.g_eff))
    }
}
