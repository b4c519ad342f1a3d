//! What can go wrong with a TOML file, located.

use std::path::{Path, PathBuf};

/// A configuration file that could not be used, with where and why.
///
/// Displays as one line, `file:line:column: key: message` (see the module
/// documentation); [`ConfigError::line`] and [`ConfigError::key`] give the
/// parts to programs.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, a directory, not UTF-8, ...).
    #[error("{}: cannot read file: {reason}", .path.display())]
    Read {
        /// The file as given.
        path: PathBuf,
        /// The operating system's reason, e.g. `No such file or directory`.
        reason: String,
    },
    /// The text is not valid TOML.
    #[error("{}:{line}:{column}: {message}", .path.display())]
    Syntax {
        /// The file as given.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        column: usize,
        /// The parser's description.
        message: String,
    },
    /// A key that the file format does not have.
    #[error("{}:{line}:{column}: {key}: unknown key{}", .path.display(), unknown_key_tail(.expected, .suggestion.as_deref()))]
    UnknownKey {
        /// The file as given.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        column: usize,
        /// Dotted path of the unknown key, e.g. `pulse.nl_lpt`.
        key: String,
        /// The keys valid at that place.
        expected: Vec<String>,
        /// The valid key nearest to the unknown one, when close enough.
        suggestion: Option<String>,
    },
    /// A key whose value is missing, of the wrong type or out of range.
    #[error("{}:{line}:{column}: {key}: {message}", .path.display())]
    Invalid {
        /// The file as given.
        path: PathBuf,
        /// Line, from 1.
        line: usize,
        /// Column in characters, from 1.
        column: usize,
        /// Dotted path of the offending key, e.g. `pulse.nl_ltp`.
        key: String,
        /// What was expected and what was found.
        message: String,
    },
}

fn unknown_key_tail(expected: &[String], suggestion: Option<&str>) -> String {
    let mut tail = if expected.is_empty() {
        ", this table takes no keys".to_string()
    } else {
        format!(", expected one of {}", expected.join(", "))
    };
    if let Some(s) = suggestion {
        tail.push_str(&format!("; did you mean `{s}`?"));
    }
    tail
}

impl ConfigError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ConfigError::Read { path, .. }
            | ConfigError::Syntax { path, .. }
            | ConfigError::UnknownKey { path, .. }
            | ConfigError::Invalid { path, .. } => path,
        }
    }

    /// The line (from 1), when the error has one.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { line, .. }
            | ConfigError::UnknownKey { line, .. }
            | ConfigError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The column in characters (from 1), when the error has one.
    pub fn column(&self) -> Option<usize> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { column, .. }
            | ConfigError::UnknownKey { column, .. }
            | ConfigError::Invalid { column, .. } => Some(*column),
        }
    }

    /// The dotted key path, when the error is about one key.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. } | ConfigError::Invalid { key, .. } => Some(key),
            _ => None,
        }
    }
}

/// The operating system's reason without the `(os error N)` suffix
/// (`No such file or directory`).
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Why a text file could not be read: [`io_reason`], or `not UTF-8 text`.
pub(crate) fn read_reason(error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::InvalidData {
        return "not UTF-8 text".to_string();
    }
    io_reason(error)
}
