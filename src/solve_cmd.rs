//! `xbarsim solve`: bit-line currents of a programmed array for a batch of
//! input vectors, from CSV files, through the crossbar crate.

use serde_json::json;
use xbar_api::solve::{add_wires, SolveError, SolveSettings};
use xbar_crossbar::solver::cell_iv;
use xbar_crossbar::CrossbarError;
use xbar_devices::{AccessSpec, IvSpec};

use std::path::PathBuf;

use clap::Args;
use xbar_crossbar::Solver;

use crate::cli::WiresArgs;
use crate::error::{bail, CliError, Result};
use crate::matrix_csv::{self, Quantity};
use crate::parse::{parse_positive, parse_solver};

use crate::output;

pub(crate) const SOLVE_ABOUT: &str = "\
Bit-line currents of a programmed crossbar for a batch of input vectors, with \
the exact IR drop of word-line, bit-line, driver and sense resistance.

Word line i is driven at its column-0 end by V[i] through r_source + r_wordline, \
with one r_wordline segment between neighbouring cells; bit line j has one \
r_bitline segment between neighbouring cells and leaves the last row through \
r_bitline + r_sense into a virtual ground; I[j] is the current into it.

Files are CSV without header: the conductances file has M lines of N values \
(siemens), the inputs file B lines of M values (volts, one input vector per \
line); the output has B lines of N currents (amperes) with 17 significant \
digits. A sidecar OUTPUT.json records the parameters, the solver used and the \
time.

Solvers: `ideal` ignores every resistance (I = V·G); `exact` factorises the \
nodal matrix once (sparse Cholesky) and solves every vector; `transfer` builds \
the effective matrix G_eff from M unit solves, then one product; `auto` picks \
ideal when all resistances are 0, transfer when there are more vectors than \
word lines, exact otherwise. --sinh-a A makes every cell nonlinear, \
I = (g/A)·sinh(A·V), solved by Newton iterations. --device FILE takes the \
cells' [iv] and their access device ([access]: a series resistor or a \
level-1 NMOS, 1T1R) from a device file; any of them is solved by Newton \
iterations, whose iteration count and Kirchhoff residual go to the sidecar \
(a solve that does not converge is an error).";

pub(crate) const SOLVE_EXAMPLES: &str = "\
Examples:
  xbarsim solve --conductances G.csv --inputs V.csv --output I.csv
  xbarsim solve --conductances G.csv --inputs V.csv --r-wordline 2.5 --r-bitline 2.5 --output I.csv
  xbarsim solve -g G.csv -i V.csv --r-wordline 1 --r-bitline 1 --r-source 100 --r-sense 50 \\
      --solver exact --output I.csv
  xbarsim solve -g G.csv -i V.csv --r-wordline 2 --r-bitline 2 --sinh-a 3 --output I.csv";

/// `xbarsim solve`.
#[derive(Debug, Args)]
pub struct SolveArgs {
    /// Conductance matrix: M lines of N comma-separated conductances (S), no header
    #[arg(short = 'g', long, value_name = "G.csv")]
    pub conductances: PathBuf,
    /// Input vectors: B lines of M comma-separated voltages (V), no header
    #[arg(short, long, value_name = "V.csv")]
    pub inputs: PathBuf,
    #[command(flatten)]
    pub wires: WiresArgs,
    /// auto, ideal, exact or transfer
    #[arg(long, value_name = "SOLVER", default_value = "auto", value_parser = parse_solver)]
    pub solver: Solver,
    /// Nonlinear cells, I = (g/A)·sinh(A·V), with A in 1/V (Newton solve)
    #[arg(long, value_name = "A", value_parser = parse_positive, allow_hyphen_values = true)]
    pub sinh_a: Option<f64>,
    /// The cells from a device (library name or .toml file): its `[iv]` and
    /// `[access]` sections, if any (nothing else of the device is used)
    #[arg(long, value_name = "DEVICE")]
    pub device: Option<String>,
    /// Newton iteration limit of the nonlinear solve
    #[arg(
        long,
        value_name = "N",
        default_value_t = 50,
        hide_short_help = true,
        allow_hyphen_values = true
    )]
    pub max_iterations: usize,
    /// Output CSV file of currents (A); a sidecar OUTPUT.json is written next to it
    #[arg(short, long, value_name = "I.csv")]
    pub output: PathBuf,
    /// Also write the word-line and bit-line voltage of every cell for the
    /// first input vector (CSV with header: row,col,wordline_V,bitline_V,cell_V,cell_current_A)
    #[arg(long, value_name = "FILE")]
    pub node_voltages: Option<PathBuf>,
}

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
