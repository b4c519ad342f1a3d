//! `xbarsim solve`: bit-line currents of a programmed array for a batch of
//! input vectors, from CSV files, through the crossbar crate.

use std::time::Instant;

use serde_json::json;
use xbar_crossbar::solver::cell_iv;
use xbar_crossbar::{
    ArraySolve, Crossbar, CrossbarError, ExactSolver, NewtonOptions, Solver, Wires,
};
use xbar_devices::IvSpec;

use crate::cli::SolveArgs;
use crate::error::{bail, CliError, Result};
use crate::matrix_csv::{self, Quantity};
use xbar_experiments::table::Rows;

use crate::output;

const CONDUCTANCES: Quantity = Quantity {
    name: "conductances",
    one: "conductance",
    unit: "S",
    signed: false,
};

const VOLTAGES: Quantity = Quantity {
    name: "voltages",
    one: "voltage",
    unit: "V",
    signed: true,
};

/// Runs `xbarsim solve`.
pub fn solve(args: &SolveArgs) -> Result<()> {
    // Fail on an unwritable output or impossible request before any work.
    output::check_output_path(&args.output)?;
    let device = args
        .device
        .as_deref()
        .map(crate::device_arg::resolve)
        .transpose()?;
    let explicit = args.sinh_a.map(|a| IvSpec::Sinh { a_per_volt: a });
    let device_iv = device.as_ref().map_or(IvSpec::Linear, |d| d.spec.iv);
    let iv = cell_iv(&device_iv, explicit.as_ref()).map_err(|e| match e {
        CrossbarError::InvalidParameter { message, .. } => CliError::new(format!(
            "--sinh-a with --device {}: {message}",
            args.device.as_deref().unwrap_or_default()
        )),
        other => CliError::new(other.to_string()),
    })?;
    // Where a nonlinear I-V came from, for the messages.
    let iv_source = match &args.device {
        Some(d) if args.sinh_a.is_none() => format!("--device {d} (its [iv])"),
        _ => "--sinh-a".to_string(),
    };
    if let Some(path) = &args.node_voltages {
        output::check_output_path(path)?;
        if !iv.is_linear() {
            bail!("--node-voltages is for linear cells: drop {iv_source} or --node-voltages");
        }
    }
    let g = matrix_csv::read(&args.conductances, &CONDUCTANCES)?.matrix;
    let inputs = matrix_csv::read(&args.inputs, &VOLTAGES)?;
    let v = inputs.matrix;
    if v.ncols() != g.nrows() {
        bail!(
            "{}:{}: {} voltage{} per line, but `{}` has {} rows (word lines); expected one voltage per word line",
            args.inputs.display(),
            inputs.first_line,
            v.ncols(),
            if v.ncols() == 1 { "" } else { "s" },
            args.conductances.display(),
            g.nrows()
        );
    }
    let wires = args.wires.wires();
    let xbar = Crossbar::new(g, wires).map_err(|e| cli_error(e, args))?;
    let plan = args
        .solver
        .for_cells(&iv, &wires, v.nrows(), xbar.rows())
        .map_err(|e| match e {
            CrossbarError::InvalidParameter { message, .. } => CliError::new(format!(
                "{iv_source} with --solver {}: {message}",
                args.solver.name()
            )),
            other => CliError::new(other.to_string()),
        })?;
    let started = Instant::now();
    let mut solver: Option<ExactSolver> = None;
    let (currents, method) = match plan {
        ArraySolve::Nonlinear(iv) => {
            let options = NewtonOptions {
                max_iterations: args.max_iterations,
                ..NewtonOptions::default()
            };
            let currents = xbar
                .solve_nonlinear(&v, &iv, &options)
                .map_err(|e| cli_error(e, args))?;
            (currents, "nonlinear")
        }
        ArraySolve::Linear(method) => {
            // One factorisation serves the currents and the voltage map.
            let currents = if method == Solver::Ideal && args.node_voltages.is_none() {
                xbar.solve(&v, method)
            } else {
                ExactSolver::new(&xbar).and_then(|s| {
                    let currents = s.solve_by(&v, method)?;
                    solver = Some(s);
                    Ok(currents)
                })
            }
            .map_err(|e| cli_error(e, args))?;
            (currents, method.name())
        }
    };
    if currents.iter().any(|i| !i.is_finite()) {
        bail!(
            "the currents of `{}` with `{}` are not finite numbers (they overflow double precision); expected conductances and voltages of physical size (S, V)",
            args.conductances.display(),
            args.inputs.display()
        );
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut parameters = json!({
        "conductances_file": args.conductances.display().to_string(),
        "inputs_file": args.inputs.display().to_string(),
        "rows": xbar.rows(),
        "cols": xbar.cols(),
        "vectors": v.nrows(),
        "solver_requested": args.solver.name(),
        "solver_used": method,
        "sinh_a_per_volt": iv.a_per_volt(),
        "device": device.as_ref().map(|d| d.source.clone()),
        "solve_time_s": seconds,
        "output_columns": "one line per input vector, one current (A) per bit line",
    });
    add_wires(&mut parameters, &wires);
    let sidecar = output::provenance("solve", parameters);
    let map = match (&args.node_voltages, &solver) {
        (Some(_), Some(solver)) => Some(voltage_map(solver, &v)?),
        _ => None,
    };
    output::write_text_with_sidecar(&args.output, &matrix_csv::to_text(&currents), &sidecar)?;
    if let (Some(path), Some(map)) = (&args.node_voltages, map) {
        let mut parameters = json!({
            "conductances_file": args.conductances.display().to_string(),
            "inputs_file": args.inputs.display().to_string(),
            "input_vector": 0,
        });
        add_wires(&mut parameters, &wires);
        let sidecar = output::provenance("solve --node-voltages", parameters);
        crate::point_cmd::write_table(path, &map, &sidecar)?;
    }
    eprintln!(
        "solved {} input vector(s) on a {}×{} array with the {} solver in {:.3} s → {}",
        v.nrows(),
        xbar.rows(),
        xbar.cols(),
        method,
        seconds,
        args.output.display()
    );
    Ok(())
}

/// One cell of the node-voltage map.
#[allow(non_snake_case)]
#[derive(serde::Serialize, serde::Deserialize)]
struct CellVoltages {
    /// Word line.
    row: u64,
    /// Bit line.
    col: u64,
    /// Word-line node voltage (V).
    wordline_V: f64,
    /// Bit-line node voltage (V).
    bitline_V: f64,
    /// Voltage across the cell (V).
    cell_V: f64,
    /// Current through the cell (A).
    cell_current_A: f64,
}

/// Every cell's word-line and bit-line voltage for the first input vector,
/// from the full nodal solve, as a table.
fn voltage_map(solver: &ExactSolver, inputs: &nalgebra::DMatrix<f64>) -> Result<Rows> {
    let xbar = solver.crossbar();
    let first: Vec<f64> = inputs.row(0).iter().copied().collect();
    let nodes = solver
        .node_voltages(&first)
        .map_err(|e| CliError::new(e.to_string()))?;
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
    xbar_experiments::row::table(&cells)
        .map_err(|e| CliError::new(format!("node voltages: {e} (it overflows double precision); expected conductances and voltages of physical size (S, V)")))
}

/// The wires' own keys (`r_wordline_ohm`, …) into the sidecar parameters.
fn add_wires(parameters: &mut serde_json::Value, wires: &Wires) {
    if let (Some(map), Ok(serde_json::Value::Object(keys))) =
        (parameters.as_object_mut(), serde_json::to_value(wires))
    {
        map.extend(keys);
    }
}

fn cli_error(e: CrossbarError, args: &SolveArgs) -> CliError {
    match &e {
        CrossbarError::InvalidParameter { field, .. } if field.starts_with("g[") => {
            CliError::new(format!("{}: {e}", args.conductances.display()))
        }
        // `r_wordline_ohm` is the flag `--r-wordline`.
        CrossbarError::InvalidParameter { field, .. } if field.starts_with("r_") => {
            let flag = field.trim_end_matches("_ohm").replace('_', "-");
            CliError::new(format!("--{flag}: {e}"))
        }
        _ => CliError::new(e.to_string()),
    }
}
