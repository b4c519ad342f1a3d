//! `xbarsim run`: the built-in characterisation of devices and arrays (the
//! default job until experiment configs arrive).
//!
//! Writes into DIR (created if missing):
//! * `pulse_curves.csv`: the full LTP/LTD pulse curve of one device of every
//!   preset that has a pulse model (`device,pulse,phase,conductance_S`);
//! * `drift_ibm-pcm.csv`: drift statistics of `ibm-pcm`, 10 000 devices at
//!   each of 5 targets, read from 1 s to 1 year (as `device drift`);
//! * `ir_drop.csv`: how far the IR-drop-exact bit-line currents of
//!   programmed `neurram-rram` arrays fall from the ideal product, over
//!   array size and wire resistance;
//!
//! each with its `.json` provenance sidecar.

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::json;
use xbar_crossbar::{Crossbar, Solver, Wires};
use xbar_devices::{library, DeviceArray, DeviceSpec};

use crate::cli::RunArgs;
use crate::device_cmd::{drift_csv, drift_parameters};
use crate::error::{bail, io_reason, CliError, Result};
use crate::output::{device_json, print, sidecar, write_csv_with_sidecar, Csv, Field};
use crate::sim::{default_pulses, default_targets, drift_stats, pulse_curve, DEFAULT_TIMES};

/// Devices per target in the drift characterisation.
const DRIFT_COUNT: usize = 10_000;

/// The preset whose drift is characterised.
const DRIFT_DEVICE: &str = "ibm-pcm";

/// The preset of the IR-drop table, its array sizes (square), wire
/// resistances (Ω per segment), input vectors and largest input (V).
const IR_DEVICE: &str = "neurram-rram";
const IR_SIZES: [usize; 4] = [32, 64, 128, 256];
const IR_WIRES_OHM: [f64; 3] = [1.0, 2.5, 5.0];
const IR_VECTORS: usize = 64;
const IR_V_MAX: f64 = 0.2;

/// Relative error of the ideal product against the exact IR-drop solve,
/// one row per array size and wire resistance.
fn ir_drop_table(spec: &DeviceSpec, seed: u64) -> Result<Csv> {
    let mut csv = Csv::new(&[
        "rows",
        "cols",
        "r_wire_ohm",
        "mean_rel_error",
        "max_rel_error",
        "current_ratio",
    ]);
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    for (k, &n) in IR_SIZES.iter().enumerate() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ ((k as u64) << 32));
        let targets = DMatrix::from_fn(n, n, |_, _| rng.random_range(g_min..=g_max));
        let inputs = DMatrix::from_fn(IR_VECTORS, n, |_, _| rng.random_range(0.0..=IR_V_MAX));
        let mut array = DeviceArray::new(spec, n, n, seed.wrapping_add(k as u64))?;
        array.program(&targets)?;
        let g = array.conductances().clone();
        let ideal = Crossbar::new(g.clone(), Wires::ideal())
            .and_then(|x| x.solve(&inputs, Solver::Ideal))
            .map_err(|e| CliError::new(e.to_string()))?;
        for r in IR_WIRES_OHM {
            let exact = Wires::new(r, r, 0.0, 0.0)
                .and_then(|w| Crossbar::new(g.clone(), w))
                .and_then(|x| x.solve(&inputs, Solver::Exact))
                .map_err(|e| CliError::new(e.to_string()))?;
            let errors: Vec<f64> = exact
                .iter()
                .zip(ideal.iter())
                .filter(|(_, i)| **i > 0.0)
                .map(|(e, i)| (e - i).abs() / i)
                .collect();
            let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
            let max = errors.iter().fold(0.0f64, |m, e| m.max(*e));
            csv.row(&[
                Field::Int(n as u64),
                Field::Int(n as u64),
                Field::Float(r),
                Field::Float(mean),
                Field::Float(max),
                Field::Float(exact.sum() / ideal.sum()),
            ])?;
        }
    }
    Ok(csv)
}

/// Writes `csv` and its sidecar to `path` and adds a line to `report`.
fn write_table(
    report: &mut String,
    path: &std::path::Path,
    csv: &Csv,
    meta: &serde_json::Value,
    what: &str,
) -> Result<()> {
    write_csv_with_sidecar(path, csv, meta)?;
    report.push_str(&format!(
        "wrote {} ({} rows): {what}\n",
        path.display(),
        csv.rows()
    ));
    Ok(())
}

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
    write_table(
        &mut report,
        &path,
        &csv,
        &meta,
        &format!("pulse curves of {}", names.join(", ")),
    )?;

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
    write_table(
        &mut report,
        &path,
        &csv,
        &meta,
        &format!(
            "drift of {DRIFT_DEVICE}, {DRIFT_COUNT} devices × {} targets, read at 1 s … 1 year",
            targets.len()
        ),
    )?;
    // IR drop of programmed arrays against the ideal product.
    let spec = library::preset(IR_DEVICE).ok_or_else(|| {
        crate::error::CliError::new(format!("internal error: no preset `{IR_DEVICE}`"))
    })?;
    let csv = ir_drop_table(&spec, args.seed)?;
    let path = dir.join("ir_drop.csv");
    let meta = sidecar(
        "run",
        args.seed,
        vec![device_json(&spec, &format!("library:{IR_DEVICE}"))],
        json!({
            "job": "IR drop: N×N arrays programmed to targets uniform in [g_min, g_max] (with the device's programming noise), 64 input vectors uniform in [0, 0.2] V, exact nodal solve against the ideal product V·G",
            "sizes": IR_SIZES,
            "r_wire_ohm": IR_WIRES_OHM,
            "vectors": IR_VECTORS,
            "v_max_V": IR_V_MAX,
            "columns": {
                "rows": "word lines M", "cols": "bit lines N",
                "r_wire_ohm": "word-line and bit-line resistance per segment (Ω); no driver or sense resistance",
                "mean_rel_error": "mean over vectors and bit lines of |I_exact − I_ideal| / I_ideal",
                "max_rel_error": "largest such error",
                "current_ratio": "Σ I_exact / Σ I_ideal",
            },
        }),
    );
    write_table(
        &mut report,
        &path,
        &csv,
        &meta,
        &format!(
            "IR drop of {IR_DEVICE} arrays, {} to {} cells square, wires {} Ω per segment",
            IR_SIZES[0],
            IR_SIZES[IR_SIZES.len() - 1],
            IR_WIRES_OHM.map(|r| r.to_string()).join(", ")
        ),
    )?;
    report.push_str(&format!(
        "each CSV has a .json sidecar (version, command line, seed {}, device specs) in {}\n",
        args.seed,
        dir.display()
    ));
    print(&report)
}
