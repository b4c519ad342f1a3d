//! What a finished run writes besides its units: the table, `run.json`
//! and the figures; and the provenance of one-point runs.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::directory::put;
use super::units::{finished, Manifest, Unit};
use super::{io, RunError, PROGRAM};
use crate::table::{self, Cell, Rows};

/// Assembles the table of `out`'s units (every unit must be there), writes
/// it, `run.json` and the figures.
pub(super) fn finish(
    out: &Path,
    manifest: &Manifest,
    sources: &[PathBuf],
    start: Instant,
    jobs: usize,
) -> Result<Vec<PathBuf>, RunError> {
    let (mut units, damaged) = finished(out, manifest)?;
    if let Some((file, reason)) = damaged.into_iter().next() {
        return Err(RunError::Damaged {
            file: file.display().to_string(),
            reason,
        });
    }
    units.sort_by_key(|u| (u.point, u.repeat));
    let have: BTreeSet<(usize, u32)> = units.iter().map(|u| (u.point, u.repeat)).collect();
    let all = manifest.units(None);
    let missing: Vec<&(usize, u32)> = all.iter().filter(|u| !have.contains(u)).collect();
    if let Some(&&(point, repeat)) = missing.first() {
        return Err(RunError::Missing {
            missing: missing.len(),
            total: all.len(),
            point,
            repeat,
        });
    }
    let rows = assemble(manifest, &units);
    let frame = rows.to_frame()?;
    table::write(&frame, out)?;
    let mut files = vec![out.join("results.parquet"), out.join("results.csv")];
    let compute_s: f64 = units.iter().map(|u| u.elapsed_s).sum();
    let info = serde_json::json!({
        "program": PROGRAM,
        "name": manifest.name,
        "kind": manifest.kind,
        "config": "config.toml",
        "config_sha256": manifest.config_sha256,
        "seed": manifest.seed,
        "repeats": manifest.repeats,
        "repeat_seeds": (0..manifest.repeats).map(|r| manifest.repeat_seed(r)).collect::<Vec<_>>(),
        "points": manifest.points,
        "units": all.len(),
        "rows": rows.rows.len(),
        "columns": rows.columns,
        "data_override": manifest.data_override,
        "sources": sources,
        "timings": {
            "wall_s": start.elapsed().as_secs_f64(),
            "unit_compute_s_total": compute_s,
            "unit_compute_s_max": units.iter().map(|u| u.elapsed_s).fold(0.0, f64::max),
            "jobs": jobs,
        },
        "finished_unix_s": std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        "machine": machine(),
    });
    let path = out.join("run.json");
    put(
        &path,
        &serde_json::to_vec_pretty(&info).expect("serialises"),
    )?;
    files.push(path);
    files.extend(draw(manifest, &frame, out)?);
    Ok(files)
}

/// Draws the manifest's figures from `frame` into `out/figures`.
///
/// # Errors
/// A figure that cannot be drawn (e.g. a log axis over zero), named.
pub fn draw(
    manifest: &Manifest,
    frame: &polars::prelude::DataFrame,
    out: &Path,
) -> Result<Vec<PathBuf>, RunError> {
    if manifest.plots.is_empty() {
        return Ok(Vec::new());
    }
    let dir = out.join("figures");
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, &e))?;
    let mut files = Vec::new();
    for spec in &manifest.plots {
        let drawn = xbar_plots::draw(spec, frame, &dir).map_err(|e| RunError::Plot {
            file: spec.file.clone(),
            message: e.to_string(),
        })?;
        files.extend(drawn);
    }
    Ok(files)
}

/// The table's rows from sorted, complete units.
pub fn assemble(manifest: &Manifest, units: &[Unit]) -> Rows {
    let mut rows = Vec::new();
    for u in units {
        for out in &u.rows {
            let mut row = vec![
                Cell::Int(u.point as i64),
                Cell::Int(i64::from(u.repeat)),
                Cell::Int(u.seed as i64),
            ];
            row.extend(manifest.swept[u.point].iter().cloned());
            row.extend(out.iter().cloned());
            rows.push(row);
        }
    }
    Rows {
        columns: manifest.columns(),
        rows,
    }
}

/// The table of one unit computed outside a sweep — a measuring command of
/// the CLI is a one-point run of its kind: the same columns as a run's
/// results (`point` 0, `repeat` 0, `seed`, then the outputs).
pub fn one_unit(seed: u64, outputs: Rows) -> Rows {
    let prefix = [Cell::Int(0), Cell::Int(0), Cell::Int(seed as i64)];
    Rows {
        columns: ["point", "repeat", "seed"]
            .into_iter()
            .map(str::to_string)
            .chain(outputs.columns)
            .collect(),
        rows: outputs
            .rows
            .into_iter()
            .map(|r| prefix.iter().cloned().chain(r).collect())
            .collect(),
    }
}

/// The provenance of a one-point run: program and version, kind, seed,
/// and the config that reproduces it with `xbarsim run` (TOML text).
///
/// # Errors
/// A setting TOML cannot represent (reported as text).
pub fn point_provenance(point: &crate::spec::Point, seed: u64) -> serde_json::Value {
    let mut config = format!(
        "# Reproduces this table: xbarsim run THIS-FILE.toml\nname = {:?}\nkind = {:?}\nseed = {seed}\ndevice = \"device.toml\"\n",
        point.name,
        point.kind.name()
    );
    match toml::to_string(&point.settings) {
        Ok(sections) => config.push_str(&sections),
        Err(e) => config.push_str(&format!("# sections not representable in TOML: {e}\n")),
    }
    serde_json::json!({
        "program": PROGRAM,
        "kind": point.kind,
        "seed": seed,
        "config": config,
        "columns": crate::spec::columns(point.kind, &[]),
    })
}

/// The machine, for `run.json`: host, CPU model, logical CPUs, OS.
pub fn machine() -> serde_json::Value {
    let read = |p: &str| std::fs::read_to_string(p).ok();
    let host = read("/proc/sys/kernel/hostname")
        .or_else(|| read("/etc/hostname"))
        .map(|s| s.trim().to_string());
    let cpu = read("/proc/cpuinfo").and_then(|s| {
        s.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    });
    serde_json::json!({
        "hostname": host,
        "cpu": cpu,
        "logical_cpus": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
    })
}
