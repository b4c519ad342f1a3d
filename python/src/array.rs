//! `solve` (one array, a batch of input vectors: `xbar_api::solve`, as
//! `xbarsim solve`) and `Crossbar` (an array factorised once, solved for
//! many batches).

use numpy::PyArray2;
use pyo3::prelude::*;
use xbar_api::solve::{SolveError, SolveSettings};
use xbar_crossbar::solver::cell_iv;
use xbar_crossbar::{Crossbar, CrossbarError, ExactSolver, Solver, Wires};
use xbar_devices::{AccessSpec, IvSpec};

use crate::convert;
use crate::device::PyDevice;
use crate::errors;

/// The wires from keyword arguments, errors named by the argument.
fn wires(r_wordline: f64, r_bitline: f64, r_source: f64, r_sense: f64) -> PyResult<Wires> {
    Wires::new(r_wordline, r_bitline, r_source, r_sense).map_err(crossbar_error)
}

fn solver_named(name: &str) -> PyResult<Solver> {
    Solver::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Solver::ALL.iter().map(|s| s.name()).collect();
        errors::value(format!(
            "solver: unknown solver `{name}`; expected one of {}",
            names.join(", ")
        ))
    })
}

/// A crossbar error named by the Python argument it came from: `g[i,j]`
/// is `G`, `r_wordline_ohm` is `r_wordline`.
fn crossbar_error(e: CrossbarError) -> PyErr {
    match &e {
        CrossbarError::InvalidParameter { field, .. } if field.starts_with("g[") => {
            errors::value(format!("G: {e}"))
        }
        CrossbarError::InvalidParameter { field, message } if field.starts_with("r_") => {
            errors::value(format!("{}: {message}", field.trim_end_matches("_ohm")))
        }
        _ => errors::value(e),
    }
}

/// Currents, the method used, the node-voltage table when asked, and the
/// solve's own wall time (s, for the binding's overhead benchmark).
type Solved<'py> = (
    Bound<'py, PyArray2<f64>>,
    &'static str,
    Option<Bound<'py, pyo3::types::PyDict>>,
    f64,
);

/// Bit-line currents of the array `G` (S, word lines × bit lines) for the
/// input vectors `V` (V, one per row); see the package's `xbarsim.solve`.
#[pyfunction]
#[pyo3(signature = (g, v, *, r_wordline = 0.0, r_bitline = 0.0, r_source = 0.0, r_sense = 0.0, solver = "auto", sinh_a = None, device = None, max_iterations = 50, node_voltages = false))]
#[allow(clippy::too_many_arguments)]
pub fn solve<'py>(
    py: Python<'py>,
    g: &Bound<'py, PyAny>,
    v: &Bound<'py, PyAny>,
    r_wordline: f64,
    r_bitline: f64,
    r_source: f64,
    r_sense: f64,
    solver: &str,
    sinh_a: Option<f64>,
    device: Option<&PyDevice>,
    max_iterations: usize,
    node_voltages: bool,
) -> PyResult<Solved<'py>> {
    let explicit = sinh_a.map(|a| IvSpec::Sinh { a_per_volt: a });
    let device_iv = device.map_or(IvSpec::Linear, |d| d.device.spec.iv);
    let iv = cell_iv(&device_iv, explicit.as_ref()).map_err(|e| match e {
        CrossbarError::InvalidParameter { message, .. } => {
            errors::value(format!("sinh_a with device: {message}"))
        }
        other => errors::value(other),
    })?;
    let settings = SolveSettings {
        wires: wires(r_wordline, r_bitline, r_source, r_sense)?,
        solver: solver_named(solver)?,
        iv,
        access: device.map_or(AccessSpec::None, |d| d.device.spec.access),
        max_iterations,
        node_voltages,
    };
    let (g, v) = (convert::matrix("G", g)?, convert::matrix("V", v)?);
    let solved = py
        .detach(|| xbar_api::solve::solve(g, &v, &settings))
        .map_err(|e| match e {
            SolveError::Shape { voltages, rows } => errors::value(format!(
                "V: {voltages} voltage{} per vector, but G has {rows} rows (word lines); expected one voltage per word line",
                if voltages == 1 { "" } else { "s" }
            )),
            SolveError::NodeVoltagesNonlinear => errors::value(
                "node_voltages: node voltages are for linear cells with no access device; drop sinh_a (or the device's [iv] and [access]) or node_voltages",
            ),
            SolveError::Crossbar(e @ CrossbarError::InvalidParameter { .. }) => crossbar_error(e),
            other => errors::value(other),
        })?;
    let map = solved
        .node_voltages
        .as_ref()
        .map(|rows| convert::table(py, rows))
        .transpose()?;
    Ok((
        convert::array(py, solved.currents),
        solved.method,
        map,
        solved.solve_time_s,
    ))
}

/// An array factorised once: each `solve` of a new batch costs only the
/// triangular solves.
#[pyclass(name = "Crossbar", module = "xbarsim", frozen)]
pub struct PyCrossbar {
    solver: ExactSolver,
}

#[pymethods]
impl PyCrossbar {
    #[new]
    #[pyo3(signature = (g, *, r_wordline = 0.0, r_bitline = 0.0, r_source = 0.0, r_sense = 0.0))]
    fn new(
        py: Python<'_>,
        g: &Bound<'_, PyAny>,
        r_wordline: f64,
        r_bitline: f64,
        r_source: f64,
        r_sense: f64,
    ) -> PyResult<Self> {
        let wires = wires(r_wordline, r_bitline, r_source, r_sense)?;
        let g = convert::matrix("G", g)?;
        let solver = py
            .detach(|| Crossbar::new(g, wires).and_then(|x| ExactSolver::new(&x)))
            .map_err(crossbar_error)?;
        Ok(PyCrossbar { solver })
    }

    /// `(rows, cols)`: word lines × bit lines.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        let x = self.solver.crossbar();
        (x.rows(), x.cols())
    }

    /// Bit-line currents (A, one row per input vector) for the input
    /// vectors `V` (V, one per row), by `solver` (`exact` by default).
    #[pyo3(signature = (v, solver = "exact"))]
    fn solve<'py>(
        &self,
        py: Python<'py>,
        v: &Bound<'py, PyAny>,
        solver: &str,
    ) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let method = solver_named(solver)?;
        let v = convert::matrix("V", v)?;
        let rows = self.solver.crossbar().rows();
        if v.ncols() != rows {
            return Err(errors::value(format!(
                "V: {} voltage{} per vector, but the array has {rows} rows (word lines); expected one voltage per word line",
                v.ncols(),
                if v.ncols() == 1 { "" } else { "s" }
            )));
        }
        let currents = py
            .detach(|| self.solver.solve_by(&v, method))
            .map_err(crossbar_error)?;
        Ok(convert::array(py, currents))
    }
}

/// The array with one input vector as a SPICE netlist (`ngspice -b`), its
/// bit-line currents written to `output` by `wrdata` — to check a solve
/// with a circuit simulator.
#[pyfunction]
#[pyo3(signature = (g, v, *, r_wordline = 0.0, r_bitline = 0.0, r_source = 0.0, r_sense = 0.0, sinh_a = None, output = "currents.txt"))]
#[allow(clippy::too_many_arguments)]
pub fn spice_netlist(
    g: &Bound<'_, PyAny>,
    v: Vec<f64>,
    r_wordline: f64,
    r_bitline: f64,
    r_source: f64,
    r_sense: f64,
    sinh_a: Option<f64>,
    output: &str,
) -> PyResult<String> {
    let wires = wires(r_wordline, r_bitline, r_source, r_sense)?;
    let xbar = Crossbar::new(convert::matrix("G", g)?, wires).map_err(crossbar_error)?;
    if v.len() != xbar.rows() {
        return Err(errors::value(format!(
            "v: {} voltages, but G has {} rows (word lines); expected one voltage per word line",
            v.len(),
            xbar.rows()
        )));
    }
    Ok(xbar_crossbar::spice::netlist(&xbar, &v, sinh_a, output))
}
