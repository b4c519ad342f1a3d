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
//! | `figures/` | the config's `[[plot]]` figures, SVG, PNG and PDF |
//!
//! **Sharding.** `--shard K/N` runs the points `p` with `p mod N = K − 1`
//! (all their repeats) and writes only unit files; [`merge`] joins the unit
//! files of any number of directories into the table, which is the table an
//! unsharded run writes, bit for bit, because both come from the same unit
//! files through the same code.
//!
//! | module | contents |
//! |---|---|
//! | `units` | [`Manifest`], [`Shard`], [`Unit`]: the directory's record and its unit files |
//! | `directory` | [`claim`]: locking and preparing a results directory |
//! | `output` | the table, `run.json` and figures ([`draw`], [`assemble`]); [`one_unit`], [`point_provenance`] |

mod directory;
mod output;
mod units;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rayon::prelude::*;

pub use directory::claim;
use directory::{claim_shard, put, remove_temporaries};
use output::finish;
pub use output::{assemble, draw, machine, one_unit, point_provenance};
use units::finished;
pub use units::{read_manifest, unit_file, Manifest, Shard, Unit};

use crate::context::Context;
use crate::durable::{reason, write_bytes};
use crate::kinds::KindError;
use crate::lock::{DirLock, LockError};
use crate::spec::Experiment;
use crate::table;

/// The program name and version written into every output.
pub const PROGRAM: &str = concat!("xbarsim ", env!("CARGO_PKG_VERSION"));

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
    /// Set by a front end to stop (Ctrl-C in Python): units not yet started
    /// are skipped, started ones finish and are saved, and the run ends
    /// with [`RunError::Stopped`]; running again resumes.
    pub stop: Option<Arc<AtomicBool>>,
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
    /// Stopped by the front end; the units computed are saved.
    #[error(
        "stopped: {computed} of {total} units computed and saved; run again to compute the rest"
    )]
    Stopped {
        /// Units computed and saved.
        computed: usize,
        /// Units this run was to compute.
        total: usize,
    },
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
            if opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
                return;
            }
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
                write_bytes(&path, &json).map_err(KindError::Write)
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
    let computed = written.load(Ordering::SeqCst);
    if computed < todo.len() {
        return Err(RunError::Stopped {
            computed,
            total: todo.len(),
        });
    }
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
