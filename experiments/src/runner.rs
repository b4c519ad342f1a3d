//! Parallel, resumable, shardable sweeps.
//!
//! A run is a set of **units**, one per point and repeat. Units run in
//! parallel on a rayon pool of `jobs` threads; each finished unit is written
//! at once, durably, as `points/pPPPPPP-rRRRR.json` (write, fsync, rename):
//! running the same config into the same directory again — after Ctrl-C,
//! `kill -9` or a power cut — skips every unit on disk and computes only
//! the rest. The directory layout:
//!
//! | file | what |
//! |---|---|
//! | `config.toml` | the config, exactly as given |
//! | `experiment.json` | the [`Manifest`]: config hash, points, swept values, plots |
//! | `points/` | one JSON file per finished unit |
//! | `models/` | trained networks (`inference-drift`), reused on resume |
//! | `results.parquet`, `results.csv` | the table, once every unit is done |
//! | `run.json` | program version, config hash, seeds, timings, machine |
//! | `figures/` | the config's `[[plot]]` figures, SVG and PNG |
//!
//! **Sharding.** `--shard K/N` runs the points `p` with `p mod N = K − 1`
//! (all their repeats) and writes only unit files; [`merge`] joins the unit
//! files of any number of directories into the table, which is the table an
//! unsharded run writes, bit for bit, because both come from the same unit
//! files through the same code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use xbar_plots::PlotSpec;

use crate::context::{hex, Context};
use crate::durable::{reason, write_bytes};
use crate::kinds::{Kind, KindError};
use crate::lock::{DirLock, LockError};
use crate::spec::{swept_keys, Experiment};
use crate::table::{self, Cell, Rows};

/// The program name and version written into every output.
pub const PROGRAM: &str = concat!("xbarsim ", env!("CARGO_PKG_VERSION"));

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

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The results directory.
    pub out: PathBuf,
    /// Threads (≥ 1).
    pub jobs: usize,
    /// Replace another config's results in `out`.
    pub force: bool,
    /// Run one slice of the points only.
    pub shard: Option<Shard>,
    /// Replaces every `data.dir`.
    pub data_override: Option<PathBuf>,
    /// Testing hook: abort the process (as `kill -9` would) after this many
    /// units were written.
    pub abort_after: Option<usize>,
}

/// Progress of a run, for a progress bar.
#[derive(Debug, Clone)]
pub enum Event {
    /// Units already on disk and units to compute.
    Start {
        /// Finished before this run.
        done: usize,
        /// To compute now.
        todo: usize,
    },
    /// One unit finished (or failed).
    Unit {
        /// Point.
        point: usize,
        /// Repeat.
        repeat: u32,
        /// Whether it succeeded.
        ok: bool,
    },
    /// A unit file on disk was damaged (unreadable, or not of the kind's
    /// row schema); the unit is computed again.
    Damaged {
        /// The file.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}

/// One unit that failed: which, and the kind's error.
#[derive(Debug, thiserror::Error)]
#[error("{unit}: {source}")]
pub struct UnitFailure {
    /// Its point.
    pub point: usize,
    /// Its repeat.
    pub repeat: u32,
    /// The point's swept values, for messages: `point 3 (array.size = 1024), repeat 0`.
    pub unit: String,
    /// Why.
    pub source: KindError,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A file could not be read or written.
    #[error("{0}: {1}")]
    Io(String, String),
    /// The directory holds another config's results.
    #[error("{dir} holds the results of a different config (`{name}`, sha256 {hash}…); use another --out directory, or --force to replace them")]
    OtherConfig {
        /// The directory.
        dir: String,
        /// The other experiment's name.
        name: String,
        /// The start of its hash.
        hash: String,
    },
    /// The directory holds files that are not a run's.
    #[error(
        "{0} is not empty and holds no xbarsim results; choose an empty or new --out directory"
    )]
    NotResults(String),
    /// Units failed; the others are saved.
    #[error("{failed} of {total} units failed (the others are saved; fix the config and run again to compute only what is missing); first: {first}")]
    Units {
        /// How many failed.
        failed: usize,
        /// How many were to run.
        total: usize,
        /// The first failure (lowest point and repeat), with its cause.
        #[source]
        first: Box<UnitFailure>,
    },
    /// Units are missing from the directories being merged.
    #[error("{missing} of {total} units are missing (first: point {point}, repeat {repeat}); run the missing shards, then merge again")]
    Missing {
        /// How many.
        missing: usize,
        /// Of how many.
        total: usize,
        /// First missing point.
        point: usize,
        /// Its repeat.
        repeat: u32,
    },
    /// Directories of different configs were given to merge.
    #[error("{0}")]
    Mismatch(String),
    /// An input the config names (data, a model file) cannot be used;
    /// found before the run created anything.
    #[error(transparent)]
    Input(#[from] crate::config::ConfigError),
    /// Another run holds the directory, or it cannot be locked.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// A unit file of a directory being merged is damaged.
    #[error("{file}: damaged unit file ({reason}); run its shard again (damaged units are recomputed), then merge")]
    Damaged {
        /// The file.
        file: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The table could not be built or written.
    #[error(transparent)]
    Table(#[from] table::TableError),
    /// A figure could not be drawn.
    #[error("figure {file}: {message}")]
    Plot {
        /// The figure's file.
        file: String,
        /// Why.
        message: String,
    },
}

fn io(path: &Path, e: &std::io::Error) -> RunError {
    RunError::Io(path.display().to_string(), reason(e))
}

/// What a finished run reports.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Units found on disk at the start.
    pub resumed: usize,
    /// Units computed now.
    pub computed: usize,
    /// Files written (table, run.json, figures); empty for a shard.
    pub files: Vec<PathBuf>,
    /// Wall time (s).
    pub wall_s: f64,
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

/// The files a run writes into its directory (what `--force` removes).
const OWN: [&str; 8] = [
    "points",
    "models",
    "figures",
    "results.parquet",
    "results.csv",
    "run.json",
    "experiment.json",
    "config.toml",
];

/// Locks `out` for a run of `manifest` and prepares it: creates it, or
/// checks that it holds the same config's results (or nothing), or clears
/// another config's with `force` — or without it, when that config
/// finished nothing (a run that failed before its first unit loses
/// nothing by being replaced). Temporary files left by an interrupted
/// write are removed. Check and manifest are one step under the
/// exclusive lock, so two runs never mix in one directory.
///
/// # Errors
/// [`RunError::Lock`] when another run holds `out`,
/// [`RunError::OtherConfig`] (without `force`), [`RunError::NotResults`]
/// for a directory of other files, I/O.
pub fn claim(
    out: &Path,
    manifest: &Manifest,
    text: &str,
    force: bool,
) -> Result<DirLock, RunError> {
    if out.exists() && !out.is_dir() {
        return Err(RunError::Io(
            out.display().to_string(),
            "exists and is not a directory".into(),
        ));
    }
    let lock = DirLock::exclusive(out, &manifest.name)?;
    match read_manifest(out)? {
        Some(m) if m.config_sha256 == manifest.config_sha256 => {}
        Some(m) if !force && holds_results(out)? => {
            return Err(RunError::OtherConfig {
                dir: out.display().to_string(),
                name: m.name,
                hash: m.config_sha256[..12].to_string(),
            })
        }
        Some(_) => {
            for name in OWN {
                let path = out.join(name);
                let removed = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
                match removed {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io(&path, &e))
                    }
                    _ => {}
                }
            }
        }
        None => {
            // Only a run's own files (from a start cut short) and `slurm/`.
            let entries = std::fs::read_dir(out).map_err(|e| io(out, &e))?;
            let foreign = entries.flatten().any(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                !(OWN.contains(&name.as_str()) || name == "slurm" || is_ours_hidden(&name))
            });
            if foreign {
                return Err(RunError::NotResults(out.display().to_string()));
            }
        }
    }
    remove_temporaries(out)?;
    std::fs::create_dir_all(out.join("points")).map_err(|e| io(out, &e))?;
    let json = serde_json::to_vec_pretty(manifest).expect("a manifest serialises");
    put(&out.join("experiment.json"), &json)?;
    put(&out.join("config.toml"), text.as_bytes())?;
    Ok(lock)
}

/// Files of ours that start with a dot: the lock, and temporaries.
fn is_ours_hidden(name: &str) -> bool {
    name.starts_with(".xbarsim-") || name.starts_with(".xbar-plot-")
}

/// Whether `out` holds anything a run finished: a unit file or a table.
fn holds_results(out: &Path) -> Result<bool, RunError> {
    if out.join("results.parquet").exists() || out.join("results.csv").exists() {
        return Ok(true);
    }
    let points = out.join("points");
    match std::fs::read_dir(&points) {
        Ok(entries) => Ok(entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".json"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io(&points, &e)),
    }
}

/// Removes the temporary files (`.xbarsim-*.tmp`, `.xbar-plot-*`) that a
/// write interrupted by `kill -9` or a power cut left in `out` and its
/// subdirectories. Called under the exclusive lock, when no other run can
/// be writing them.
fn remove_temporaries(out: &Path) -> Result<(), RunError> {
    for dir in [
        out.to_path_buf(),
        out.join("points"),
        out.join("figures"),
        out.join("models"),
    ] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().to_string();
            let temporary = (name.starts_with(".xbarsim-") && name.ends_with(".tmp"))
                || name.starts_with(".xbar-plot-");
            if temporary {
                match std::fs::remove_file(entry.path()) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(io(&entry.path(), &e))
                    }
                    _ => {}
                }
            }
        }
    }
    Ok(())
}

/// Locks `out` for one shard of `manifest`: the first shard to arrive
/// prepares the directory under the exclusive lock, then shares it; later
/// shards of the same config share it at once.
fn claim_shard(
    out: &Path,
    manifest: &Manifest,
    text: &str,
    force: bool,
) -> Result<DirLock, RunError> {
    // A shard that arrives while another prepares waits for it (briefly).
    let mut last = None;
    for _ in 0..50 {
        match claim(out, manifest, text, force) {
            Ok(lock) => return Ok(lock.downgrade()?),
            Err(RunError::Lock(LockError::Busy { .. })) => {}
            Err(e) => return Err(e),
        }
        match DirLock::shared(out) {
            Ok(lock) => {
                return match read_manifest(out)? {
                    Some(m) if m.config_sha256 == manifest.config_sha256 => Ok(lock),
                    Some(m) => Err(RunError::OtherConfig {
                        dir: out.display().to_string(),
                        name: m.name,
                        hash: m.config_sha256[..12].to_string(),
                    }),
                    None => Err(RunError::NotResults(out.display().to_string())),
                };
            }
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Err(last.map_or_else(
        || RunError::Io(out.display().to_string(), "cannot lock".into()),
        RunError::Lock,
    ))
}

fn put(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    write_bytes(path, bytes).map_err(|(p, m)| RunError::Io(p, m))
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
fn finished(
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

/// Runs `exp` (or one shard of it) into `opts.out`, resuming what is there.
///
/// # Errors
/// [`RunError`]: the directory holds another config's results, a file
/// cannot be written, units failed (the rest are kept), the table or a
/// figure cannot be written.
pub fn run(
    exp: &Experiment,
    opts: &RunOptions,
    progress: &(dyn Fn(Event) + Sync),
) -> Result<Summary, RunError> {
    let start = Instant::now();
    let manifest = Manifest::of(exp, opts.data_override.as_deref());
    let ctx = Context::new(
        exp.dir(),
        opts.data_override.clone(),
        Some(opts.out.join("models")),
    );
    // Everything the units read is opened and checked before the results
    // directory is created or touched: a missing or damaged input leaves
    // nothing behind, and is reported at the config line that named it.
    for (i, p) in exp.points.iter().enumerate() {
        p.settings
            .preflight(&ctx)
            .map_err(|e| RunError::Input(exp.locate(i, &e)))?;
    }
    let _lock = match opts.shard {
        None => claim(&opts.out, &manifest, &exp.text, opts.force)?,
        Some(_) => claim_shard(&opts.out, &manifest, &exp.text, opts.force)?,
    };
    let (units, damaged) = finished(&opts.out, &manifest)?;
    for (file, reason) in damaged {
        progress(Event::Damaged { file, reason });
    }
    let done: BTreeSet<(usize, u32)> = units.iter().map(|u| (u.point, u.repeat)).collect();
    let todo: Vec<(usize, u32)> = manifest
        .units(opts.shard)
        .into_iter()
        .filter(|u| !done.contains(u))
        .collect();
    let resumed = manifest.units(opts.shard).len() - todo.len();
    progress(Event::Start {
        done: resumed,
        todo: todo.len(),
    });
    let written = AtomicUsize::new(0);
    let failures: Mutex<Vec<UnitFailure>> = Mutex::new(Vec::new());
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.max(1))
        .build()
        .map_err(|e| RunError::Io("thread pool".into(), e.to_string()))?;
    pool.install(|| {
        todo.par_iter().for_each(|&(point, repeat)| {
            let seed = manifest.repeat_seed(repeat);
            let t0 = Instant::now();
            let p = &exp.points[point];
            let outcome = p.settings.run(&p.device, seed, &ctx).and_then(|rows| {
                let unit = Unit {
                    point,
                    repeat,
                    seed,
                    elapsed_s: t0.elapsed().as_secs_f64(),
                    rows,
                };
                let path = opts.out.join("points").join(unit_file(point, repeat));
                let json = serde_json::to_vec(&unit).expect("finite cells serialise");
                write_bytes(&path, &json).map_err(|(p, m)| KindError::Output(format!("{p}: {m}")))
            });
            let ok = outcome.is_ok();
            if let Err(source) = outcome {
                failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(UnitFailure {
                        point,
                        repeat,
                        unit: describe(exp, point, repeat),
                        source,
                    });
            } else {
                let n = written.fetch_add(1, Ordering::SeqCst) + 1;
                if opts.abort_after == Some(n) {
                    std::process::abort();
                }
            }
            progress(Event::Unit { point, repeat, ok });
        });
    });
    let mut failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    failures.sort_by_key(|f| (f.point, f.repeat));
    let failed = failures.len();
    if let Some(first) = failures.into_iter().next() {
        return Err(RunError::Units {
            failed,
            total: todo.len(),
            first: Box::new(first),
        });
    }
    let computed = todo.len();
    let files = if opts.shard.is_some() {
        Vec::new()
    } else {
        finish(
            &opts.out,
            &manifest,
            std::slice::from_ref(&opts.out),
            start,
            opts.jobs,
        )?
    };
    Ok(Summary {
        resumed,
        computed,
        files,
        wall_s: start.elapsed().as_secs_f64(),
    })
}

/// Swept values of a point, for messages: `point 3 (array.size = 1024), repeat 0`.
fn describe(exp: &Experiment, point: usize, repeat: u32) -> String {
    let values: Vec<String> = exp.swept[point]
        .iter()
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    if values.is_empty() {
        format!("point {point}, repeat {repeat}")
    } else {
        format!("point {point} ({}), repeat {repeat}", values.join(", "))
    }
}

/// Joins the unit files of `dirs` (shards of one config) into `out`: the
/// table, `run.json` and the figures. `out` may be one of `dirs`.
///
/// # Errors
/// Directories of different configs, missing units, I/O.
pub fn merge(dirs: &[PathBuf], out: &Path, jobs: usize) -> Result<Summary, RunError> {
    let start = Instant::now();
    let mut manifest: Option<(Manifest, PathBuf)> = None;
    for dir in dirs {
        let m =
            read_manifest(dir)?.ok_or_else(|| RunError::NotResults(dir.display().to_string()))?;
        match &manifest {
            None => manifest = Some((m, dir.clone())),
            Some((first, first_dir)) if first.config_sha256 != m.config_sha256 => {
                return Err(RunError::Mismatch(format!(
                    "{} and {} hold results of different configs (sha256 {}… and {}…); merge only shards of one config",
                    first_dir.display(),
                    dir.display(),
                    &first.config_sha256[..12],
                    &m.config_sha256[..12]
                )))
            }
            Some(_) => {}
        }
    }
    let (manifest, first_dir) =
        manifest.ok_or_else(|| RunError::Mismatch("no directories to merge were given".into()))?;
    let config = first_dir.join("config.toml");
    let text = std::fs::read_to_string(&config).map_err(|e| io(&config, &e))?;
    let mut sound = Vec::new();
    for dir in dirs {
        let (units, damaged) = finished(dir, &manifest)?;
        if let Some((file, reason)) = damaged.into_iter().next() {
            return Err(RunError::Damaged {
                file: file.display().to_string(),
                reason,
            });
        }
        sound.push(units);
    }
    // The output is locked for the whole merge: no run or other merge
    // writes into it meanwhile, and none holds it (a shard still running
    // there is reported by name).
    let _lock = if dirs.iter().any(|d| same_dir(d, out)) {
        let lock = DirLock::exclusive(out, &manifest.name)?;
        remove_temporaries(out)?;
        lock
    } else {
        let lock = claim(out, &manifest, &text, false)?;
        for unit in sound.into_iter().flatten() {
            let path = out.join("points").join(unit_file(unit.point, unit.repeat));
            if !path.exists() {
                put(&path, &serde_json::to_vec(&unit).expect("serialises"))?;
            }
        }
        lock
    };
    let files = finish(out, &manifest, dirs, start, jobs)?;
    Ok(Summary {
        resumed: manifest.units(None).len(),
        computed: 0,
        files,
        wall_s: start.elapsed().as_secs_f64(),
    })
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// Assembles the table of `out`'s units (every unit must be there), writes
/// it, `run.json` and the figures.
fn finish(
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
