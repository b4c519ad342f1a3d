//! What a results directory holds: its [`Manifest`], shards, and the unit
//! files of `points/`, read back and checked.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xbar_plots::PlotSpec;

use super::{io, RunError, PROGRAM};
use crate::context::hex;
use crate::durable::reason;
use crate::kinds::Kind;
use crate::spec::{swept_keys, Experiment};
use crate::table::Cell;

/// What a results directory holds: enough to assemble its table and draw
/// its figures without the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Program and version that started the run.
    pub program: String,
    /// The experiment's name.
    pub name: String,
    /// Its kind.
    pub kind: Kind,
    /// SHA-256 of the resolved points (devices expanded; comments, plots and
    /// the description excluded): equal hashes mean equal computations.
    pub config_sha256: String,
    /// Base seed; repeat `r` uses `seed + r`.
    pub seed: u64,
    /// Repeats per point.
    pub repeats: u32,
    /// Number of points.
    pub points: usize,
    /// Swept keys, in column order.
    pub swept_keys: Vec<String>,
    /// `swept[p]`: point `p`'s values of the swept keys.
    pub swept: Vec<Vec<Cell>>,
    /// Figures to draw.
    pub plots: Vec<PlotSpec>,
    /// The data directory given on the command line, if any.
    pub data_override: Option<PathBuf>,
}

impl Manifest {
    /// The manifest of `exp` (with `--data` = `data_override`).
    pub fn of(exp: &Experiment, data_override: Option<&Path>) -> Manifest {
        let mut points: Vec<_> = exp.points.clone();
        for p in &mut points {
            p.name.clear();
        }
        let identity = serde_json::json!({
            "points": points,
            "swept": exp.swept,
            "repeats": exp.repeats,
            "seed": exp.seed,
            "data_override": data_override,
        });
        Manifest {
            program: PROGRAM.into(),
            name: exp.name.clone(),
            kind: exp.kind,
            config_sha256: hex(&Sha256::digest(identity.to_string().as_bytes())),
            seed: exp.seed,
            repeats: exp.repeats,
            points: exp.points.len(),
            swept_keys: swept_keys(&exp.dimensions),
            swept: exp
                .swept
                .iter()
                .map(|pairs| pairs.iter().map(|(_, v)| Cell::from_toml(v)).collect())
                .collect(),
            plots: exp.plots.clone(),
            data_override: data_override.map(Path::to_path_buf),
        }
    }

    /// Seed of repeat `r`.
    pub fn repeat_seed(&self, r: u32) -> u64 {
        self.seed.wrapping_add(u64::from(r))
    }

    /// Every `(point, repeat)` of the run, or of shard `(k, n)`.
    pub fn units(&self, shard: Option<Shard>) -> Vec<(usize, u32)> {
        (0..self.points)
            .filter(|p| shard.is_none_or(|s| p % s.count == s.index - 1))
            .flat_map(|p| (0..self.repeats).map(move |r| (p, r)))
            .collect()
    }

    /// The table's column names.
    pub fn columns(&self) -> Vec<String> {
        crate::spec::columns(self.kind, &self.swept_keys)
    }
}

/// Shard `index` of `count` (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, `1..=count`.
    pub index: usize,
    /// Number of shards.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || format!("expected K/N with 1 ≤ K ≤ N, e.g. 2/8, found `{text}`");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// One finished unit, as written to `points/`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Point index.
    pub point: usize,
    /// Repeat index.
    pub repeat: u32,
    /// Its seed.
    pub seed: u64,
    /// Wall time of the computation (s).
    pub elapsed_s: f64,
    /// The kind's output rows.
    pub rows: Vec<Vec<Cell>>,
}

/// File name of a unit.
pub fn unit_file(point: usize, repeat: u32) -> String {
    format!("p{point:06}-r{repeat:04}.json")
}

/// Reads the manifest of a results directory, if it has one.
///
/// # Errors
/// An unreadable or malformed `experiment.json`.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, RunError> {
    let path = dir.join("experiment.json");
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            RunError::Io(
                path.display().to_string(),
                format!("not a run manifest: {e}"),
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path, &e)),
    }
}

/// The unit files of `dir/points`: those that are sound, and the damaged
/// ones with what is wrong with them. A sound unit parses, is named after
/// its point and repeat, belongs to the manifest (point and repeat in
/// range, the repeat's seed) and holds at least one row, each row of the
/// kind's schema ([`Kind::check_row`]).
///
/// # Errors
/// The directory cannot be read.
#[allow(clippy::type_complexity)] // the units found, and each damaged file with why
pub(super) fn finished(
    dir: &Path,
    manifest: &Manifest,
) -> Result<(Vec<Unit>, Vec<(PathBuf, String)>), RunError> {
    let points = dir.join("points");
    let entries = match std::fs::read_dir(&points) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), Vec::new())),
        Err(e) => return Err(io(&points, &e)),
    };
    let mut units = Vec::new();
    let mut damaged = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !(name.starts_with('p') && name.ends_with(".json")) {
            continue;
        }
        match read_unit(&entry.path(), &name, manifest) {
            Ok(unit) => units.push(unit),
            Err(reason) => damaged.push((entry.path(), reason)),
        }
    }
    damaged.sort();
    Ok((units, damaged))
}

/// One unit file, checked (see [`finished`]).
fn read_unit(path: &Path, name: &str, manifest: &Manifest) -> Result<Unit, String> {
    let bytes = std::fs::read(path).map_err(|e| reason(&e))?;
    let unit: Unit = serde_json::from_slice(&bytes).map_err(|e| format!("not a unit file: {e}"))?;
    if name != unit_file(unit.point, unit.repeat) {
        return Err(format!(
            "it holds point {}, repeat {}",
            unit.point, unit.repeat
        ));
    }
    if unit.point >= manifest.points || unit.repeat >= manifest.repeats {
        return Err(format!(
            "the run has {} points × {} repeats",
            manifest.points, manifest.repeats
        ));
    }
    if unit.seed != manifest.repeat_seed(unit.repeat) {
        return Err(format!(
            "seed {}, where repeat {} of this run uses {}",
            unit.seed,
            unit.repeat,
            manifest.repeat_seed(unit.repeat)
        ));
    }
    if unit.rows.is_empty() {
        return Err("it has no rows".into());
    }
    if !(unit.elapsed_s.is_finite() && unit.elapsed_s >= 0.0) {
        return Err("its elapsed_s is not a time".into());
    }
    for (i, row) in unit.rows.iter().enumerate() {
        manifest
            .kind
            .check_row(row)
            .map_err(|e| format!("row {i}: {e}"))?;
    }
    Ok(unit)
}
