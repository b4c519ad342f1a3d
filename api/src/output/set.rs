//! One output transaction: every file a command writes (a table, its
//! sidecar, a figure in each format, a second table) written as one set.
//!
//! [`OutputSet::commit`] does, in order:
//!
//! 1. checks every path ([`check_output_path`]) and refuses a path given
//!    twice;
//! 2. takes an exclusive advisory lock (`flock(2)` through `fs4`) on
//!    `.outputs.xbarsim-lock` in **each directory the set writes into**, in
//!    the order of the directories' canonical paths (so that two sets over
//!    the same directories cannot deadlock), waiting while another writer
//!    holds one;
//! 3. removes the temporaries that killed writers of the set's files left
//!    (`.<file name>.<pid>-<n>.xbarsim-tmp`, and only those);
//! 4. stages every file in a temporary beside its target (written and
//!    `fsync`ed), then renames them all into place and syncs the
//!    directories;
//! 5. releases the locks (closing the lock files).
//!
//! **Why a lock per directory, beside the outputs.** A rename is atomic
//! only within a file system, so the temporaries must live in the
//! target's directory; the lock lives with them. Every writer of *any*
//! file in that directory holds its lock for as long as its temporaries
//! exist, so a temporary of this scheme found under the lock belongs to a
//! writer that died (`kill -9`, power loss) and can be removed without
//! asking whose it is; and two writers sharing any one file (the same
//! `--output`, or only the same `--figure`) never interleave their
//! renames: the last complete writer's set is there whole. The lock is
//! held only while files are staged and renamed (the work and the
//! rendering happen before), so unrelated writers in one directory wait
//! milliseconds. The lock file is never removed: removing it would let a
//! writer that opened it before the removal lock a file nobody else sees.
//! It is not the results directory's run lock (`.xbarsim-lock`,
//! [`xbar_experiments::lock`]), so an output written into a directory
//! where a sweep runs does not wait for the sweep.
//!
//! **Temporaries' names** carry the process id and a per-process counter,
//! so that concurrent writers (processes, or threads of one process) never
//! share one, and the file name of their target, so that cleaning is done
//! by the next writer *of that output* and touches nothing else.
//!
//! What no rename order can give: a writer killed between two of its
//! renames leaves the files it renamed (the next writer of that output
//! replaces them); a file replaced before a later rename failed (a race
//! with another program, a disk error) cannot be restored. A file that did
//! not exist before is removed again then.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use fs4::{FileExt, TryLockError};
use serde_json::Value;
use xbar_experiments::durable::reason;

use super::{check_output_path, sidecar_path, OutputError};

/// The lock file in each directory an [`OutputSet`] writes into.
pub const OUTPUT_LOCK_FILE: &str = ".outputs.xbarsim-lock";

/// The suffix of an [`OutputSet`]'s temporaries.
const TEMP_SUFFIX: &str = ".xbarsim-tmp";

/// Temporaries made by this process so far (with the process id, a
/// temporary's name is unique among live writers).
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The files of one command's output, written together or not at all,
/// one writer of them at a time: [`commit`](OutputSet::commit) checks the
/// paths, locks `.outputs.xbarsim-lock` in each directory written (waiting
/// for another writer), removes the temporaries killed writers of these
/// files left, stages every file beside its target and renames them all
/// into place.
///
/// ```
/// use xbar_api::output::OutputSet;
///
/// let dir = tempfile::tempdir()?;
/// let table = dir.path().join("out.csv");
/// let mut set = OutputSet::new();
/// set.with_sidecar(&table, b"a\n1\n".to_vec(), &serde_json::json!({"seed": 1}))?;
/// set.file(dir.path().join("fig.svg"), b"<svg/>".to_vec());
/// let written = set.commit()?;
/// assert_eq!(written.len(), 3); // out.csv, out.csv.json, fig.svg
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OutputSet {
    files: Vec<(PathBuf, Vec<u8>)>,
}

/// Where [`OutputSet::commit_observed`] is (for tests that stop a writer at
/// a given point).
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step<'a> {
    /// Another writer holds this lock file; this one waits for it.
    Waiting(&'a Path),
    /// Every file is staged; nothing is renamed yet.
    Staged,
    /// This file is in place.
    Renamed(&'a Path),
}

impl OutputSet {
    /// An empty set.
    pub fn new() -> Self {
        OutputSet::default()
    }

    /// Adds `bytes` as the file `path`.
    pub fn file(&mut self, path: impl Into<PathBuf>, bytes: Vec<u8>) -> &mut Self {
        self.files.push((path.into(), bytes));
        self
    }

    /// Adds `bytes` as `path` and `sidecar` as `<path>.json`.
    ///
    /// # Errors
    /// The sidecar cannot be written as JSON.
    pub fn with_sidecar(
        &mut self,
        path: &Path,
        bytes: Vec<u8>,
        sidecar: &Value,
    ) -> Result<&mut Self, OutputError> {
        let json_path = sidecar_path(path);
        let mut text = serde_json::to_string_pretty(sidecar).map_err(|e| OutputError::Write {
            path: json_path.clone(),
            reason: format!("sidecar JSON: {e}"),
        })?;
        text.push('\n');
        self.file(path, bytes);
        self.file(json_path, text.into_bytes());
        Ok(self)
    }

    /// The files of the set, in the order they were added.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|(p, _)| p.as_path())
    }

    /// Writes every file of the set: all of them, or (on an error) none.
    /// Returns the files written.
    ///
    /// # Errors
    /// A path that cannot be written (a missing or read-only directory, a
    /// directory in its place, a path given twice), a lock that cannot be
    /// taken, a full disk — naming the file.
    pub fn commit(self) -> Result<Vec<PathBuf>, OutputError> {
        self.commit_observed(&mut |_| {})
    }

    /// [`commit`](Self::commit), telling `observe` each [`Step`].
    #[doc(hidden)]
    pub fn commit_observed(
        self,
        observe: &mut dyn FnMut(Step<'_>),
    ) -> Result<Vec<PathBuf>, OutputError> {
        let mut targets: Vec<Target> = Vec::with_capacity(self.files.len());
        for (path, bytes) in self.files {
            let target = Target::new(path, bytes)?;
            if targets.iter().any(|t| t.same_as(&target)) {
                return Err(OutputError::Write {
                    path: target.path,
                    reason: "it is given twice among this command's outputs".into(),
                });
            }
            targets.push(target);
        }
        let _locks = lock_directories(&targets, observe)?;
        for t in &targets {
            t.remove_stale();
        }
        let mut staged = Staged(Vec::with_capacity(targets.len()));
        for t in &targets {
            staged.0.push(t.stage()?);
        }
        observe(Step::Staged);
        let mut created: Vec<&Path> = Vec::new();
        for (i, t) in targets.iter().enumerate() {
            let existed = t.path.symlink_metadata().is_ok();
            if let Err(e) = std::fs::rename(&staged.0[i], &t.path) {
                // Together or not at all: no new file without the others
                // (`staged` removes the temporaries not yet renamed).
                for p in created {
                    let _ = std::fs::remove_file(p);
                }
                return Err(OutputError::Write {
                    path: t.path.clone(),
                    reason: reason(&e),
                });
            }
            staged.0[i] = PathBuf::new();
            if !existed {
                created.push(&t.path);
            }
            observe(Step::Renamed(&t.path));
        }
        // The renames reach the disk with their directories.
        for dir in targets.iter().map(|t| &t.dir) {
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        Ok(targets.into_iter().map(|t| t.path).collect())
    }
}

/// One file of a set: where it goes and what it holds.
struct Target {
    path: PathBuf,
    /// Its directory as written (`.` for a bare name).
    dir: PathBuf,
    /// Its directory's canonical path: the lock's identity.
    canonical_dir: PathBuf,
    name: OsString,
    bytes: Vec<u8>,
}

impl Target {
    fn new(path: PathBuf, bytes: Vec<u8>) -> Result<Target, OutputError> {
        let dir = check_output_path(&path)?;
        // A rename replaces what is there: a device (`-o /dev/null`, run as
        // root), a FIFO or a socket would become an ordinary file.
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            let kind = meta.file_type();
            if !(kind.is_file() || kind.is_symlink()) {
                return Err(OutputError::Write {
                    path,
                    reason:
                        "it is not a regular file (a device, a FIFO or a socket); choose a file"
                            .into(),
                });
            }
        }
        let Some(name) = path.file_name().map(OsStr::to_os_string) else {
            return Err(OutputError::Write {
                path,
                reason: "expected a file name".into(),
            });
        };
        let canonical_dir = std::fs::canonicalize(&dir).map_err(|e| OutputError::Write {
            path: path.clone(),
            reason: reason(&e),
        })?;
        Ok(Target {
            path,
            dir,
            canonical_dir,
            name,
            bytes,
        })
    }

    fn same_as(&self, other: &Target) -> bool {
        self.canonical_dir == other.canonical_dir && self.name == other.name
    }

    fn error(&self, e: &std::io::Error) -> OutputError {
        OutputError::Write {
            path: self.path.clone(),
            reason: reason(e),
        }
    }

    /// A new temporary beside the target, written and synced; its path.
    fn stage(&self) -> Result<PathBuf, OutputError> {
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut temp = OsString::from(".");
            temp.push(&self.name);
            temp.push(format!(".{}-{n}{TEMP_SUFFIX}", std::process::id()));
            let temp = self.dir.join(temp);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            // An ordinary new file (0666 less the umask), as the output.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o666);
            let mut file = match options.open(&temp) {
                Ok(f) => f,
                // A leftover of a dead process that had this id and
                // number: take the next number.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(self.error(&e)),
            };
            let written = file.write_all(&self.bytes).and_then(|()| file.sync_all());
            if let Err(e) = written {
                drop(file);
                let _ = std::fs::remove_file(&temp);
                return Err(self.error(&e));
            }
            return Ok(temp);
        }
    }

    /// Removes the temporaries of killed writers of this file (under the
    /// directory's lock every temporary of the scheme is a dead one's).
    fn remove_stale(&self) {
        let Some(name) = self.name.to_str() else {
            return;
        };
        let Ok(entries) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for entry in entries.flatten() {
            let file = entry.file_name();
            if file.to_str().is_some_and(|f| is_temporary_of(f, name)) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

/// Whether `file` is a temporary of the scheme for the target `name`:
/// `.<name>.<pid>-<n>.xbarsim-tmp`, digits only in `<pid>` and `<n>`.
pub(crate) fn is_temporary_of(file: &str, name: &str) -> bool {
    let Some(rest) = file
        .strip_prefix('.')
        .and_then(|f| f.strip_prefix(name))
        .and_then(|f| f.strip_prefix('.'))
        .and_then(|f| f.strip_suffix(TEMP_SUFFIX))
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    matches!(rest.split_once('-'), Some((pid, n)) if digits(pid) && digits(n))
}

/// The staged temporaries not yet renamed, removed when dropped (an error,
/// a panic): a failed commit leaves no temporary. An empty path is one
/// already renamed.
struct Staged(Vec<PathBuf>);

impl Drop for Staged {
    fn drop(&mut self) {
        for p in self.0.iter().filter(|p| !p.as_os_str().is_empty()) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Locks every directory of `targets` exclusively, in the order of their
/// canonical paths; the locks are released when the files are dropped.
fn lock_directories(
    targets: &[Target],
    observe: &mut dyn FnMut(Step<'_>),
) -> Result<Vec<File>, OutputError> {
    let dirs: BTreeMap<&Path, &Target> = targets
        .iter()
        .map(|t| (t.canonical_dir.as_path(), t))
        .collect();
    let mut locks = Vec::with_capacity(dirs.len());
    for (dir, target) in dirs {
        let path = dir.join(OUTPUT_LOCK_FILE);
        let cannot = |e: &std::io::Error| OutputError::Write {
            path: target.path.clone(),
            reason: format!("cannot lock `{}`: {}", path.display(), reason(e)),
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| cannot(&e))?;
        match FileExt::try_lock(&file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                observe(Step::Waiting(&path));
                FileExt::lock(&file).map_err(|e| cannot(&e))?;
            }
            Err(TryLockError::Error(e)) => return Err(cannot(&e)),
        }
        locks.push(file);
    }
    Ok(locks)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_schemes_temporaries_of_that_file_are_recognised() {
        assert!(is_temporary_of(".out.csv.123-0.xbarsim-tmp", "out.csv"));
        assert!(is_temporary_of(
            ".out.csv.json.9-17.xbarsim-tmp",
            "out.csv.json"
        ));
        // Another output's, or not of the scheme.
        assert!(!is_temporary_of(
            ".out.csv.json.9-17.xbarsim-tmp",
            "out.csv"
        ));
        assert!(!is_temporary_of(".out.csv.123.xbarsim-tmp", "out.csv"));
        assert!(!is_temporary_of(".out.csv.12a-0.xbarsim-tmp", "out.csv"));
        assert!(!is_temporary_of(".out.csv.-0.xbarsim-tmp", "out.csv"));
        assert!(!is_temporary_of("out.csv.123-0.xbarsim-tmp", "out.csv"));
        assert!(!is_temporary_of(".out.csv.123-0.tmp", "out.csv"));
        assert!(!is_temporary_of(".xbarsim-abc.tmp", "out.csv"));
    }

    #[test]
    #[cfg(unix)]
    fn a_target_that_is_not_a_regular_file_is_refused_not_replaced() {
        // As `-o /dev/null` is, without touching /dev/null: a socket.
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("out.csv");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let mut set = OutputSet::new();
        set.with_sidecar(&socket, b"a\n".to_vec(), &serde_json::json!({}))
            .unwrap();
        let e = set.commit().unwrap_err().to_string();
        assert!(
            e.ends_with("it is not a regular file (a device, a FIFO or a socket); choose a file"),
            "{e}"
        );
        let kind = std::fs::symlink_metadata(&socket).unwrap().file_type();
        assert!(std::os::unix::fs::FileTypeExt::is_socket(&kind));
        assert!(!dir.path().join("out.csv.json").exists());
    }

    #[test]
    fn a_path_given_twice_is_refused_and_nothing_written() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.csv");
        let mut set = OutputSet::new();
        set.file(&a, b"1".to_vec());
        set.file(dir.path().join(".").join("a.csv"), b"2".to_vec());
        let e = set.commit().unwrap_err().to_string();
        assert!(
            e.ends_with("it is given twice among this command's outputs"),
            "{e}"
        );
        assert!(!a.exists());
    }
}
