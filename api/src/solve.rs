//! `solve`: the bit-line currents of one programmed array for a batch of
//! input vectors, `I = f(G, V)` with the wires' IR drop and the cells' I-V,
//! by the method [`Solver::for_cells`] picks — what `xbarsim solve` and the
//! Python `xbarsim.solve` both call.
//!
//! ```
//! use nalgebra::dmatrix;
//! use xbar_api::solve::{solve, SolveSettings};
//! use xbar_crossbar::Wires;
//!
//! let g = dmatrix![10e-6, 20e-6; 30e-6, 40e-6]; // S, word lines × bit lines
//! let v = dmatrix![0.1, 0.2];                    // V, one vector per row
//! let settings = SolveSettings { wires: Wires::new(2.5, 2.5, 0.0, 0.0)?, ..SolveSettings::default() };
//! let solved = solve(g, &v, &settings)?;
//! assert_eq!(solved.method, "exact"); // `auto` on wires with resistance
//! assert!(solved.currents[(0, 0)] < 0.1 * 10e-6 + 0.2 * 30e-6); // IR drop
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::time::Instant;

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use xbar_crossbar::{
    ArraySolve, Convergence, Crossbar, CrossbarError, ExactSolver, NewtonOptions, Solver, Wires,
};
use xbar_devices::{AccessSpec, Cell, IvSpec};
use xbar_experiments::row::RowError;
use xbar_experiments::table::Rows;

/// How to solve: the wires, the method, the cells' I-V and access device,
/// and whether to map the node voltages. `Default`: ideal wires, `auto`,
/// linear cells with no access device, 50 Newton iterations, no map.
#[derive(Debug, Clone, PartialEq)]
pub struct SolveSettings {
    /// Wire and terminal resistances (Ω).
    pub wires: Wires,
    /// The method asked for (`auto` picks per workload).
    pub solver: Solver,
    /// The cells' I-V: linear, or `sinh` (Newton on the nodal equations).
    pub iv: IvSpec,
    /// The access device in series with every cell (a device file's
    /// `[access]`): any but `none` is solved by Newton.
    pub access: AccessSpec,
    /// Newton's iteration limit for nonlinear cells.
    pub max_iterations: usize,
    /// Also return every cell's node voltages for the first vector (linear
    /// cells only).
    pub node_voltages: bool,
}

impl Default for SolveSettings {
    fn default() -> Self {
        SolveSettings {
            wires: Wires::ideal(),
            solver: Solver::Auto,
            iv: IvSpec::Linear,
            access: AccessSpec::None,
            max_iterations: NewtonOptions::default().max_iterations,
            node_voltages: false,
        }
    }
}

impl SolveSettings {
    /// Checks what can be checked before any data is read.
    ///
    /// # Errors
    /// [`SolveError::NodeVoltagesNonlinear`] for a node-voltage map of
    /// nonlinear cells or cells with an access device.
    pub fn check(&self) -> Result<(), SolveError> {
        if self.node_voltages && !self.cell().is_ohmic() {
            return Err(SolveError::NodeVoltagesNonlinear);
        }
        Ok(())
    }

    /// The cell these settings solve: the I-V in series with the access
    /// device.
    pub fn cell(&self) -> Cell {
        Cell::of(self.iv, self.access)
    }
}

/// Why an array could not be solved. Front ends name the input each
/// refers to (a file, a flag, an argument).
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// Input vectors whose length is not the array's word-line count.
    #[error("{voltages} voltage{} per vector, but the array has {rows} rows (word lines); expected one voltage per word line", if *voltages == 1 { "" } else { "s" })]
    Shape {
        /// Voltages per input vector.
        voltages: usize,
        /// Word lines of the array.
        rows: usize,
    },
    /// The crossbar refused: its `field` says which input (`g[i,j]`, a
    /// wire `r_…_ohm`, `solver`).
    #[error(transparent)]
    Crossbar(#[from] CrossbarError),
    /// Currents that are not finite (they overflow double precision).
    #[error("the currents are not finite numbers (they overflow double precision); expected conductances and voltages of physical size (S, V)")]
    NotFinite,
    /// A node-voltage map asked of nonlinear cells.
    #[error("node voltages are for linear cells with no access device")]
    NodeVoltagesNonlinear,
    /// A node-voltage map that is not finite.
    #[error("node voltages: {0} (it overflows double precision); expected conductances and voltages of physical size (S, V)")]
    Map(RowError),
}

/// The solved array.
#[derive(Debug, Clone)]
pub struct Solved {
    /// Bit-line currents (A), one row per input vector.
    pub currents: DMatrix<f64>,
    /// The method used (`ideal`, `exact`, `transfer`, `nonlinear`).
    pub method: &'static str,
    /// Every cell's node voltages for the first vector ([`CellVoltages`]
    /// rows), when asked.
    pub node_voltages: Option<Rows>,
    /// Wall time of the solve (s).
    pub solve_time_s: f64,
    /// How Newton converged (iterations, Kirchhoff residual), for
    /// nonlinear cells; `None` for a linear solve.
    pub convergence: Option<Convergence>,
}

/// Solves the array `g` (S, word lines × bit lines) for the input vectors
/// `v` (V, one per row).
///
/// # Errors
/// [`SolveError`]: a shape that does not fit, a conductance or wire the
/// crossbar refuses, a method that cannot solve the cells, a result that is
/// not finite.
pub fn solve(g: DMatrix<f64>, v: &DMatrix<f64>, s: &SolveSettings) -> Result<Solved, SolveError> {
    s.check()?;
    if v.ncols() != g.nrows() {
        return Err(SolveError::Shape {
            voltages: v.ncols(),
            rows: g.nrows(),
        });
    }
    let xbar = Crossbar::new(g, s.wires)?;
    let plan = s
        .solver
        .for_cells(&s.cell(), &s.wires, v.nrows(), xbar.rows())?;
    let started = Instant::now();
    let mut exact: Option<ExactSolver> = None;
    let mut convergence = None;
    let (currents, method) = match plan {
        ArraySolve::Nonlinear(cell) => {
            let options = NewtonOptions {
                max_iterations: s.max_iterations,
                ..NewtonOptions::default()
            };
            let solved = xbar.solve_cells(v, &cell, &options)?;
            convergence = Some(solved.convergence);
            (solved.currents, "nonlinear")
        }
        ArraySolve::Linear(method) => {
            // One factorisation serves the currents and the voltage map.
            let currents = if method == Solver::Ideal && !s.node_voltages {
                xbar.solve(v, method)?
            } else {
                let solver = ExactSolver::new(&xbar)?;
                let currents = solver.solve_by(v, method)?;
                exact = Some(solver);
                currents
            };
            (currents, method.name())
        }
    };
    if currents.iter().any(|i| !i.is_finite()) {
        return Err(SolveError::NotFinite);
    }
    let solve_time_s = started.elapsed().as_secs_f64();
    let node_voltages = match (s.node_voltages, &exact) {
        (true, Some(solver)) => Some(voltage_map(solver, v)?),
        _ => None,
    };
    Ok(Solved {
        currents,
        method,
        node_voltages,
        solve_time_s,
        convergence,
    })
}

/// One cell of the node-voltage map: a row of `solve --node-voltages`.
#[allow(non_snake_case)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellVoltages {
    /// Word line.
    pub row: u64,
    /// Bit line.
    pub col: u64,
    /// Word-line node voltage (V).
    pub wordline_V: f64,
    /// Bit-line node voltage (V).
    pub bitline_V: f64,
    /// Voltage across the cell (V).
    pub cell_V: f64,
    /// Current through the cell (A).
    pub cell_current_A: f64,
}

/// Every cell's word-line and bit-line voltage for the first input vector,
/// from the full nodal solve, as a table.
fn voltage_map(solver: &ExactSolver, inputs: &DMatrix<f64>) -> Result<Rows, SolveError> {
    let xbar = solver.crossbar();
    let first: Vec<f64> = inputs.row(0).iter().copied().collect();
    let nodes = solver.node_voltages(&first)?;
    let mut cells = Vec::with_capacity(xbar.rows() * xbar.cols());
    for i in 0..xbar.rows() {
        for j in 0..xbar.cols() {
            let (w, b) = (nodes.wordline[(i, j)], nodes.bitline[(i, j)]);
            cells.push(CellVoltages {
                row: i as u64,
                col: j as u64,
                wordline_V: w,
                bitline_V: b,
                cell_V: w - b,
                cell_current_A: xbar.conductances()[(i, j)] * (w - b),
            });
        }
    }
    xbar_experiments::row::table(&cells).map_err(SolveError::Map)
}

/// The wires' own keys (`r_wordline_ohm`, …) added to sidecar parameters.
pub fn add_wires(parameters: &mut serde_json::Value, wires: &Wires) {
    if let (Some(map), Ok(serde_json::Value::Object(keys))) =
        (parameters.as_object_mut(), serde_json::to_value(wires))
    {
        map.extend(keys);
    }
}
