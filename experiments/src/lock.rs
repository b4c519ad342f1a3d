//! One run per results directory at a time.
//!
//! A run holds an advisory lock (`flock(2)`, through the `fs4` crate) on
//! `DIR/.xbarsim-lock` for as long as it works in `DIR`:
//!
//! - **exclusive** while it checks the directory against its config and
//!   writes the manifest (so that "this directory holds another config" and
//!   "write my manifest" are one atomic step), and for the whole of an
//!   unsharded run, a merge and the writing of the final table;
//! - **shared** for the units of a shard (`--shard K/N`): the shards of one
//!   config run side by side in one directory, each writing its own unit
//!   files, and no other run can take the directory while they do.
//!
//! The lock file records who took it last exclusively (process id, host,
//! start time, experiment), so that a run refused a busy directory names
//! the run that holds it. The operating system releases the lock when the
//! process ends, however it ends (`kill -9` included): a stale lock file
//! never blocks a later run.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fs4::{FileExt, TryLockError};

/// The lock file's name inside a results directory.
pub const LOCK_FILE: &str = ".xbarsim-lock";

/// A held lock on a results directory; released when dropped.
#[derive(Debug)]
pub struct DirLock {
    file: File,
    path: PathBuf,
}

/// Why a directory could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another run holds the directory.
    #[error("{dir} is in use by another xbarsim run ({holder}); wait for it to finish, or choose another --out directory")]
    Busy {
        /// The directory.
        dir: String,
        /// What the lock file says about its holder.
        holder: String,
    },
    /// The lock file could not be created or locked.
    #[error("{0}: cannot lock: {1}")]
    Io(String, String),
}

impl DirLock {
    /// Creates `dir` if needed and locks it exclusively, recording
    /// `experiment` and this process as the holder.
    ///
    /// # Errors
    /// [`LockError::Busy`] naming the holder when another run holds it (in
    /// either mode); I/O.
    pub fn exclusive(dir: &Path, experiment: &str) -> Result<DirLock, LockError> {
        let lock = DirLock::open(dir)?;
        match FileExt::try_lock(&lock.file) {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(lock.busy(dir)),
            Err(TryLockError::Error(e)) => return Err(lock.io(&e)),
        }
        lock.record(experiment)?;
        Ok(lock)
    }

    /// Locks `dir` shared (beside other shards of one run). The directory
    /// must exist.
    ///
    /// # Errors
    /// [`LockError::Busy`] when a run holds it exclusively; I/O.
    pub fn shared(dir: &Path) -> Result<DirLock, LockError> {
        let lock = DirLock::open(dir)?;
        match FileExt::try_lock_shared(&lock.file) {
            Ok(()) => Ok(lock),
            Err(TryLockError::WouldBlock) => Err(lock.busy(dir)),
            Err(TryLockError::Error(e)) => Err(lock.io(&e)),
        }
    }

    /// Turns an exclusive lock into a shared one, letting other shards of
    /// the same run in (and still keeping every other run out).
    ///
    /// # Errors
    /// I/O.
    pub fn downgrade(self) -> Result<DirLock, LockError> {
        // flock(2) may convert by unlocking first: another run could take
        // the directory in between. Not blocking, that run is then refused
        // to this one like any holder.
        match FileExt::try_lock_shared(&self.file) {
            Ok(()) => Ok(self),
            Err(TryLockError::WouldBlock) => Err(self.busy_at_path()),
            Err(TryLockError::Error(e)) => Err(self.io(&e)),
        }
    }

    fn busy_at_path(self) -> LockError {
        let dir = self
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        self.busy(&dir)
    }

    fn open(dir: &Path) -> Result<DirLock, LockError> {
        let shown = || dir.display().to_string();
        if dir.exists() && !dir.is_dir() {
            return Err(LockError::Io(
                shown(),
                "exists and is not a directory".into(),
            ));
        }
        std::fs::create_dir_all(dir)
            .map_err(|e| LockError::Io(shown(), crate::durable::reason(&e)))?;
        let path = dir.join(LOCK_FILE);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| LockError::Io(path.display().to_string(), crate::durable::reason(&e)))?;
        Ok(DirLock { file, path })
    }

    fn io(&self, e: &std::io::Error) -> LockError {
        LockError::Io(self.path.display().to_string(), crate::durable::reason(e))
    }

    /// The holder's record, for a refusal.
    fn busy(mut self, dir: &Path) -> LockError {
        let mut text = String::new();
        let _ = self.file.seek(SeekFrom::Start(0));
        let _ = self.file.read_to_string(&mut text);
        let holder = text.trim();
        LockError::Busy {
            dir: dir.display().to_string(),
            holder: if holder.is_empty() {
                "its process is starting".into()
            } else {
                holder.to_string()
            },
        }
    }

    /// Writes this process as the holder (under the exclusive lock).
    fn record(&self, experiment: &str) -> Result<(), LockError> {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_else(|_| "this host".into());
        let since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let text = format!(
            "pid {} on {host}, experiment `{experiment}`, since unix time {since}",
            std::process::id()
        );
        let mut file = &self.file;
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(|_| ()))
            .and_then(|()| file.write_all(text.as_bytes()))
            .map_err(|e| self.io(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_exclusive_lock_is_refused_naming_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let first = DirLock::exclusive(&out, "first").unwrap();
        let err = DirLock::exclusive(&out, "second").unwrap_err().to_string();
        assert!(err.contains("in use by another xbarsim run"), "{err}");
        assert!(
            err.contains(&format!("pid {}", std::process::id())),
            "{err}"
        );
        assert!(err.contains("experiment `first`"), "{err}");
        // Shared is refused too while it is held exclusively.
        assert!(DirLock::shared(&out).is_err());
        drop(first);
        // Released on drop: both modes can be taken again.
        let _again = DirLock::exclusive(&out, "second").unwrap();
    }

    #[test]
    fn shards_share_a_downgraded_lock_and_keep_others_out() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let first = DirLock::exclusive(&out, "shards")
            .unwrap()
            .downgrade()
            .unwrap();
        let second = DirLock::shared(&out).unwrap();
        let err = DirLock::exclusive(&out, "other").unwrap_err().to_string();
        assert!(err.contains("experiment `shards`"), "{err}");
        drop((first, second));
        DirLock::exclusive(&out, "other").unwrap();
    }

    #[test]
    fn a_file_in_place_of_the_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("file");
        std::fs::write(&out, "x").unwrap();
        let err = DirLock::exclusive(&out, "x").unwrap_err().to_string();
        assert!(err.ends_with("exists and is not a directory"), "{err}");
    }
}
