//! Sweeps from config files: the shipped configs by name, and the SLURM
//! array scripts that shard a sweep over a cluster. Running and merging
//! are [`xbar_experiments::run`] and [`xbar_experiments::merge`].

use std::path::{Path, PathBuf};

use xbar_experiments::config::suggest;
use xbar_experiments::slurm::{scripts, SlurmJob};
use xbar_experiments::{shipped, Experiment, Manifest};

use crate::output::OutputError;
use crate::Error;

/// A shipped config asked for by a name it does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no shipped config `{name}`; expected one of {}{}", names.join(", "), suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
pub struct UnknownShipped {
    /// The name asked for.
    pub name: String,
    /// The names there are.
    pub names: Vec<&'static str>,
    /// The nearest name, if one is near.
    pub suggestion: Option<String>,
}

/// The names of the configs shipped with the program.
pub fn shipped_names() -> Vec<&'static str> {
    shipped::ALL.iter().map(|(n, _)| *n).collect()
}

/// The shipped config `name`, parsed (its file name as in the
/// repository, `experiments/configs/<name>.toml`, for located errors).
///
/// # Errors
/// An unknown name, with the nearest one.
pub fn shipped(name: &str) -> Result<Experiment, Error> {
    let Some(text) = shipped::get(name) else {
        let names = shipped_names();
        return Err(Error::Shipped(UnknownShipped {
            name: name.into(),
            suggestion: suggest(name, names.iter().copied()),
            names,
        }));
    };
    Ok(Experiment::parse(
        Path::new(&format!("experiments/configs/{name}.toml")),
        text,
    )?)
}

/// How to shard a sweep over a SLURM cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmSettings {
    /// Array tasks (at most the config's points).
    pub shards: usize,
    /// Threads per task.
    pub cpus_per_task: usize,
    /// Wall-time limit per task, e.g. `12:00:00`.
    pub time: Option<String>,
    /// Partition.
    pub partition: Option<String>,
}

/// The scripts [`slurm`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlurmScripts {
    /// The directory holding them (`<out>/slurm`).
    pub dir: PathBuf,
    /// Each script written, executable.
    pub files: Vec<PathBuf>,
}

/// Writes `<out>/slurm/shards.sbatch`, `merge.sbatch` and `submit.sh` for
/// the config at `config`, run by `program`. The results directory is
/// claimed first (its manifest written), so that a directory of another
/// config, or one in use, is refused here and not on the cluster.
///
/// # Errors
/// A bad config, more shards than points, a directory in use or of
/// another config, a file that cannot be written.
pub fn slurm(
    config: &Path,
    out: &Path,
    program: &Path,
    settings: &SlurmSettings,
) -> Result<(Experiment, SlurmScripts), Error> {
    let exp = Experiment::read(config)?;
    let points = exp.points.len();
    if settings.shards > points {
        return Err(Error::TooManyShards {
            shards: settings.shards,
            points,
        });
    }
    let absolute = |p: &Path| {
        std::path::absolute(p).map_err(|e| OutputError::Write {
            path: p.to_path_buf(),
            reason: xbar_experiments::durable::reason(&e),
        })
    };
    let out = absolute(out)?;
    let config = absolute(config)?;
    let manifest = Manifest::of(&exp, None);
    let _lock = xbar_experiments::runner::claim(&out, &manifest, &exp.text, false)?;
    let job = SlurmJob {
        shards: settings.shards,
        program,
        config: &config,
        out: &out,
        cpus: settings.cpus_per_task,
        time: settings.time.as_deref(),
        partition: settings.partition.as_deref(),
        name: &exp.name,
    };
    let dir = out.join("slurm");
    let cannot = |path: &Path, reason: String| OutputError::Write {
        path: path.to_path_buf(),
        reason,
    };
    std::fs::create_dir_all(&dir)
        .map_err(|e| cannot(&dir, xbar_experiments::durable::reason(&e)))?;
    let mut files = Vec::new();
    for (name, text) in scripts(&job) {
        let path = dir.join(name);
        xbar_experiments::durable::write_bytes(&path, text.as_bytes())
            .map_err(|e| cannot(&path, e.reason))?;
        make_executable(&path).map_err(|why| cannot(&path, why))?;
        files.push(path);
    }
    Ok((exp, SlurmScripts { dir, files }))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| xbar_experiments::durable::reason(&e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), String> {
    Ok(())
}
