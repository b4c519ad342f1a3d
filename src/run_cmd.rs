//! `xbarsim run`: the built-in device characterisation (the default job
//! until experiment configs arrive).
//!
//! Writes into DIR (created if missing):
//! * `pulse_curves.csv`: the full LTP/LTD pulse curve of one device of every
//!   preset that has a pulse model (`device,pulse,phase,conductance_S`);
//! * `drift_ibm-pcm.csv`: drift statistics of `ibm-pcm`, 10 000 devices at
//!   each of 5 targets, read from 1 s to 1 year (as `device drift`);
//!
//! each with its `.json` provenance sidecar.

use serde_json::json;
use xbar_devices::library;

use crate::cli::RunArgs;
use crate::device_cmd::{drift_csv, drift_parameters};
use crate::error::{bail, io_reason, Result};
use crate::output::{device_json, print, sidecar, write_csv_with_sidecar, Csv, Field};
use crate::sim::{default_pulses, default_targets, drift_stats, pulse_curve, DEFAULT_TIMES};

/// Devices per target in the drift characterisation.
const DRIFT_COUNT: usize = 10_000;

/// The preset whose drift is characterised.
const DRIFT_DEVICE: &str = "ibm-pcm";

/// `xbarsim run`.
pub fn run(args: &RunArgs) -> Result<()> {
    let dir = &args.out;
    if dir.exists() && !dir.is_dir() {
        bail!(
            "cannot use `{}` as output directory: it is a file",
            dir.display()
        );
    }
    std::fs::create_dir_all(dir).map_err(|e| {
        crate::error::CliError::new(format!(
            "cannot create output directory `{}`: {}",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    let mut report = String::new();

    // Pulse curves of every pulse-programmable preset.
    let mut csv = Csv::new(&["device", "pulse", "phase", "conductance_S"]);
    let mut devices = Vec::new();
    let mut names = Vec::new();
    for spec in library::all() {
        let Some(plan) = default_pulses(&spec) else {
            continue;
        };
        pulse_curve(&spec, 1, plan, args.seed, |pulse, phase, g| {
            csv.row(&[
                Field::Text(&spec.name),
                Field::Int(pulse),
                Field::Text(phase.label()),
                Field::Float(g[0]),
            ])
        })?;
        devices.push(device_json(&spec, &format!("library:{}", spec.name)));
        names.push(spec.name.clone());
    }
    let path = dir.join("pulse_curves.csv");
    let meta = sidecar(
        "run",
        args.seed,
        devices,
        json!({
            "job": "pulse curves: one device of every preset with a pulse model; pulses_ltp single LTP pulses from g_min, then pulses_ltd single LTD pulses",
            "count": 1,
            "columns": {
                "device": "preset name",
                "pulse": "cumulative pulse index (0: before any pulse)",
                "phase": "initial, ltp or ltd",
                "conductance_S": "conductance after the pulse (S)",
            },
        }),
    );
    write_csv_with_sidecar(&path, &csv, &meta)?;
    report.push_str(&format!(
        "wrote {} ({} rows): pulse curves of {}\n",
        path.display(),
        csv.rows(),
        names.join(", ")
    ));

    // Drift statistics of ibm-pcm.
    let spec = library::preset(DRIFT_DEVICE).ok_or_else(|| {
        crate::error::CliError::new(format!("internal error: no preset `{DRIFT_DEVICE}`"))
    })?;
    let targets = default_targets(&spec);
    let rows = drift_stats(
        &spec,
        DRIFT_COUNT,
        &targets,
        &DEFAULT_TIMES,
        args.seed,
        true,
    )?;
    let csv = drift_csv(&rows)?;
    let path = dir.join(format!("drift_{DRIFT_DEVICE}.csv"));
    let meta = sidecar(
        "run",
        args.seed,
        vec![device_json(&spec, &format!("library:{DRIFT_DEVICE}"))],
        drift_parameters(DRIFT_COUNT, &targets, &DEFAULT_TIMES, true),
    );
    write_csv_with_sidecar(&path, &csv, &meta)?;
    report.push_str(&format!(
        "wrote {} ({} rows): drift of {DRIFT_DEVICE}, {DRIFT_COUNT} devices × {} targets, read at 1 s … 1 year\n",
        path.display(),
        csv.rows(),
        targets.len()
    ));
    report.push_str(&format!(
        "each CSV has a .json sidecar (version, command line, seed {}, device specs) in {}\n",
        args.seed,
        dir.display()
    ));
    print(&report)
}
