//! Files that are either absent or complete: written to a temporary file in
//! the same directory, flushed to disk (`fsync`) and renamed into place, so
//! that a crash, Ctrl-C or `kill -9` never leaves a half-written result.

use std::fs::File;
use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

/// A file that could not be written: the file as shown to the user and the
/// reason (the operating system's, or the filler's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {reason}")]
pub struct WriteError {
    /// The target file.
    pub file: String,
    /// Why.
    pub reason: String,
}

impl WriteError {
    fn new(target: &Path, reason: impl Into<String>) -> Self {
        WriteError {
            file: target.display().to_string(),
            reason: reason.into(),
        }
    }
}

/// A temporary file `.xbarsim-*.tmp` beside `target`, filled by `fill` and
/// flushed to disk, ready to be renamed onto `target`
/// ([`tempfile::NamedTempFile::persist`]); dropped unpersisted, it is
/// deleted.
///
/// # Errors
/// The directory cannot hold a temporary file, or `fill` or the flush fails.
pub fn stage(
    target: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), String>,
) -> Result<NamedTempFile, WriteError> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(".xbarsim-").suffix(".tmp");
    // A temporary file is private (0600); the output is an ordinary file
    // (0666 less the umask, as `File::create` would make it), readable
    // where results are shared.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder
        .tempfile_in(parent(target))
        .map_err(|e| WriteError::new(target, reason(&e)))?;
    fill(tmp.as_file_mut()).map_err(|m| WriteError::new(target, m))?;
    tmp.as_file_mut()
        .flush()
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| WriteError::new(target, reason(&e)))?;
    Ok(tmp)
}

/// The directory `path` is in (`.` for a bare file name).
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// Writes `path` through `fill`, durably and atomically.
///
/// # Errors
/// The directory cannot hold a temporary file, `fill` fails, or the
/// rename fails.
pub fn write_with(
    path: &Path,
    fill: impl FnOnce(&mut File) -> Result<(), String>,
) -> Result<(), WriteError> {
    let tmp = stage(path, fill)?;
    tmp.persist(path)
        .map_err(|e| WriteError::new(path, reason(&e.error)))?;
    // The rename itself reaches the disk with the directory.
    if let Ok(d) = File::open(parent(path)) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Writes `bytes` to `path`, durably and atomically.
///
/// # Errors
/// As [`write_with`].
pub fn write_bytes(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    write_with(path, |f| f.write_all(bytes).map_err(|e| reason(&e)))
}

/// The operating system's reason without the `(os error N)` suffix
/// (`No such file or directory`), as every located error gives it.
pub use xbar_toml::io_reason as reason;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_fill_leaves_neither_the_file_nor_a_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        let err = write_with(&path, |f| {
            f.write_all(b"half").unwrap();
            Err("stopped".into())
        })
        .unwrap_err();
        assert_eq!(err.reason, "stopped");
        assert_eq!(err.file, path.display().to_string());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        write_bytes(&path, b"whole").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"whole");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
