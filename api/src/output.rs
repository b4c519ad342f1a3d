//! Output files written as a set: each file beside its JSON provenance
//! sidecar (`<output>.json`), with the command's other files (figures, a
//! second table) as one [`OutputSet`]: together or not at all, one writer
//! of them at a time, so that a failure (or a full disk, or a second
//! writer of the same output) never leaves a partial file, a file without
//! its sidecar or a mixed set.
//!
//! Every path is checked with [`check_output_path`] before a measurement
//! starts, so that a typo in an output path does not cost a run.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use xbar_devices::DeviceSpec;
use xbar_experiments::config::device_to_toml;
use xbar_experiments::durable::reason;

mod set;

pub use set::{OutputSet, Step, OUTPUT_LOCK_FILE};

/// The program's name in every sidecar and model file.
pub const PROGRAM: &str = "xbarsim";

/// The program's version in every sidecar.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// An output file that cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutputError {
    /// The path is empty.
    #[error("empty output path")]
    Empty,
    /// The file cannot be created or written; `reason` says why.
    #[error("cannot write `{}`: {reason}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why, in words (the operating system's reason without its code).
        reason: String,
    },
}

impl OutputError {
    fn write(path: &Path, reason: impl Into<String>) -> Self {
        OutputError::Write {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}

/// The sidecar's path: `<output>.json`.
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_os_string();
    name.push(".json");
    PathBuf::from(name)
}

/// How a device was named and what it is, for a sidecar: its source, its
/// specification as JSON, and the TOML device file that reads it back.
pub fn device_json(spec: &DeviceSpec, source: &str) -> Value {
    json!({
        "source": source,
        "spec": spec,
        "toml": device_to_toml(spec),
    })
}

/// Who asked for a result: the front end's command and its command line,
/// recorded in every sidecar.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Invocation {
    /// The command, e.g. `device pulse`.
    pub command: String,
    /// The command line (or the front end's equivalent) as given.
    pub command_line: Vec<String>,
}

impl Invocation {
    /// `command` with this process's command line.
    pub fn from_process(command: &str) -> Self {
        Invocation {
            command: command.into(),
            command_line: std::env::args_os()
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        }
    }

    /// The sidecar of a result: program, version, command, command line
    /// and `parameters`.
    pub fn provenance(&self, parameters: Value) -> Value {
        json!({
            "program": PROGRAM,
            "version": VERSION,
            "command": self.command,
            "command_line": self.command_line,
            "parameters": parameters,
        })
    }
}

/// Checks that `path` can be created: its directory exists and is
/// writable, and it is not itself a directory. Returns the directory.
///
/// # Errors
/// An [`OutputError`] naming `path`.
pub fn check_output_path(path: &Path) -> Result<PathBuf, OutputError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.as_os_str().is_empty() {
        return Err(OutputError::Empty);
    }
    if !dir.is_dir() {
        return Err(OutputError::write(
            path,
            format!("directory `{}` does not exist", dir.display()),
        ));
    }
    if path.is_dir() {
        return Err(OutputError::write(path, "it is a directory"));
    }
    // A probe file created and removed now: a read-only file system or a
    // directory without write permission is found before the work, not
    // after it (the probe is deleted when dropped).
    tempfile::Builder::new()
        .prefix(".xbarsim-probe-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| {
            OutputError::write(
                path,
                format!(
                    "directory `{}` is not writable ({})",
                    dir.display(),
                    reason(&e)
                ),
            )
        })?;
    Ok(dir)
}

/// Checks every output path of a command before any work.
///
/// # Errors
/// The first path that cannot be written.
pub fn check_outputs(paths: &[Option<&Path>]) -> Result<(), OutputError> {
    for p in paths.iter().flatten() {
        check_output_path(p)?;
    }
    Ok(())
}

/// Refuses an output that is one of the command's inputs: `output` and its
/// sidecar (`<output>.json`) against each `(what, input)`, compared as
/// files (the same file under another name or through a link counts), so
/// that writing the result cannot destroy what it was computed from.
///
/// # Errors
/// `cannot write `X`: it is the model file this command reads; …`.
pub fn check_not_inputs(output: &Path, inputs: &[(&str, &Path)]) -> Result<(), OutputError> {
    for out in [output.to_path_buf(), sidecar_path(output)] {
        for (what, input) in inputs {
            if same_file(&out, input) {
                return Err(OutputError::write(
                    &out,
                    format!(
                        "it is the {what} this command reads (`{}`); choose another output",
                        input.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Whether `a` and `b` name one existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        x.dev() == y.dev() && x.ino() == y.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (x, y);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(p), Ok(q)) if p == q
        )
    }
}

/// Writes `bytes` to `path` and `sidecar` to `<path>.json` as one
/// [`OutputSet`]; on any error neither file is created or changed.
///
/// # Errors
/// A missing directory, a permission problem, a full disk — naming the path.
pub fn write_with_sidecar(path: &Path, bytes: &[u8], sidecar: &Value) -> Result<(), OutputError> {
    let mut set = OutputSet::new();
    set.with_sidecar(path, bytes.to_vec(), sidecar)?;
    set.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_and_its_sidecar_appear_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        write_with_sidecar(&path, b"a\n1\n", &json!({"seed": 7})).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a\n1\n");
        let side: Value =
            serde_json::from_str(&std::fs::read_to_string(sidecar_path(&path)).unwrap()).unwrap();
        assert_eq!(side["seed"], 7);
    }

    #[test]
    fn nothing_is_written_when_the_sidecar_cannot_be() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.csv");
        // The sidecar's path is a directory: the pair is refused whole.
        std::fs::create_dir(sidecar_path(&path)).unwrap();
        let e = write_with_sidecar(&path, b"x", &json!({})).unwrap_err();
        assert!(e.to_string().contains("it is a directory"), "{e}");
        assert!(!path.exists());
    }

    #[test]
    fn missing_directories_are_named() {
        let e = check_output_path(Path::new("/no/such/dir/out.csv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "cannot write `/no/such/dir/out.csv`: directory `/no/such/dir` does not exist"
        );
        assert_eq!(
            check_output_path(Path::new("")).unwrap_err(),
            OutputError::Empty
        );
    }
}
