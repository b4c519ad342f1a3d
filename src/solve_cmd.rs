//! `xbarsim solve`: bit-line currents of a programmed array for a batch of
//! input vectors, from CSV files, through the crossbar crate.

use serde_json::json;
use xbar_api::solve::{add_wires, SolveError, SolveSettings};
use xbar_crossbar::solver::cell_iv;
use xbar_crossbar::CrossbarError;
use xbar_devices::{AccessSpec, IvSpec};

use crate::cli::SolveArgs;
use crate::error::{bail, CliError, Result};
use crate::matrix_csv::{self, Quantity};

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
    let access = device.as_ref().map_or(AccessSpec::None, |d| d.spec.access);
    // Where a nonlinear cell came from, for the messages.
    let iv_source = match &args.device {
        Some(d) if !access.is_none() => format!("--device {d} (its [access])"),
        Some(d) if args.sinh_a.is_none() => format!("--device {d} (its [iv])"),
        _ => "--sinh-a".to_string(),
    };
    if let Some(path) = &args.node_voltages {
        output::check_output_path(path)?;
        if !iv.is_linear() || !access.is_none() {
            bail!("--node-voltages is for linear cells with no access device: drop {iv_source} or --node-voltages");
        }
    }
    let g = matrix_csv::read(&args.conductances, &CONDUCTANCES)?.matrix;
    let inputs = matrix_csv::read(&args.inputs, &VOLTAGES)?;
    let v = inputs.matrix;
    let settings = SolveSettings {
        wires: args.wires.wires(),
        solver: args.solver,
        iv,
        access,
        max_iterations: args.max_iterations,
        node_voltages: args.node_voltages.is_some(),
    };
    let (rows, cols) = (g.nrows(), g.ncols());
    let solved = xbar_api::solve::solve(g, &v, &settings).map_err(|e| match e {
        SolveError::Shape { voltages, rows } => CliError::new(format!(
            "{}:{}: {} voltage{} per line, but `{}` has {} rows (word lines); expected one voltage per word line",
            args.inputs.display(),
            inputs.first_line,
            voltages,
            if voltages == 1 { "" } else { "s" },
            args.conductances.display(),
            rows
        )),
        SolveError::Crossbar(CrossbarError::InvalidParameter { field, message })
            if field == "solver" =>
        {
            CliError::new(format!(
                "{iv_source} with --solver {}: {message}",
                args.solver.name()
            ))
        }
        SolveError::Crossbar(e) => cli_error(e, args),
        SolveError::NotFinite => CliError::new(format!(
            "the currents of `{}` with `{}` are not finite numbers (they overflow double precision); expected conductances and voltages of physical size (S, V)",
            args.conductances.display(),
            args.inputs.display()
        )),
        other => CliError::new(other.to_string()),
    })?;
    let (currents, method, seconds) = (solved.currents, solved.method, solved.solve_time_s);
    let convergence = solved.convergence;
    let mut parameters = json!({
        "conductances_file": args.conductances.display().to_string(),
        "inputs_file": args.inputs.display().to_string(),
        "rows": rows,
        "cols": cols,
        "vectors": v.nrows(),
        "solver_requested": args.solver.name(),
        "solver_used": method,
        "sinh_a_per_volt": iv.a_per_volt(),
        "access": (!access.is_none()).then_some(access),
        "newton_iterations": convergence.map(|c| c.iterations),
        "kirchhoff_residual_A": convergence.map(|c| c.residual_a),
        "kirchhoff_relative_residual": convergence.map(|c| c.relative_residual),
        "device": device.as_ref().map(|d| d.source.clone()),
        "solve_time_s": seconds,
        "output_columns": "one line per input vector, one current (A) per bit line",
    });
    add_wires(&mut parameters, &settings.wires);
    let sidecar = output::provenance("solve", parameters);
    let map = solved.node_voltages;
    // One set: the currents and the node-voltage map with their sidecars,
    // or nothing.
    let mut set = xbar_api::output::OutputSet::new();
    set.with_sidecar(
        &args.output,
        matrix_csv::to_text(&currents).into_bytes(),
        &sidecar,
    )
    .map_err(|e| CliError::new(e.to_string()))?;
    if let (Some(path), Some(map)) = (&args.node_voltages, map) {
        let mut parameters = json!({
            "conductances_file": args.conductances.display().to_string(),
            "inputs_file": args.inputs.display().to_string(),
            "input_vector": 0,
        });
        add_wires(&mut parameters, &settings.wires);
        let sidecar = output::provenance("solve --node-voltages", parameters);
        xbar_api::point::add_table(&mut set, path, &map, &sidecar)
            .map_err(|e| CliError::new(e.to_string()))?;
    }
    set.commit().map_err(|e| CliError::new(e.to_string()))?;
    let newton = convergence.map_or_else(String::new, |c| {
        format!(
            " ({} Newton iteration{} at most, Kirchhoff residual {:.1e} of the largest element current)",
            c.iterations,
            if c.iterations == 1 { "" } else { "s" },
            c.relative_residual
        )
    });
    eprintln!(
        "solved {} input vector(s) on a {}×{} array with the {} solver{newton} in {:.3} s → {}",
        v.nrows(),
        rows,
        cols,
        method,
        seconds,
        args.output.display()
    );
    Ok(())
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
