//! Claiming a results directory: one run (or the shards of one config)
//! at a time, another config's results kept unless `--force`, temporaries
//! of an interrupted write removed.

use std::path::Path;

use super::units::{read_manifest, Manifest};
use super::{io, RunError};
use crate::durable::write_bytes;
use crate::lock::{DirLock, LockError};

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
pub(super) fn remove_temporaries(out: &Path) -> Result<(), RunError> {
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
pub(super) fn claim_shard(
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

pub(super) fn put(path: &Path, bytes: &[u8]) -> Result<(), RunError> {
    write_bytes(path, bytes).map_err(|e| RunError::Io(e.file, e.reason))
}
