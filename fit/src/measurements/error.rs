//! [`DataError`]: where in a measurement file something is wrong, and what
//! was expected.

use std::fmt;

/// An error in a measurement file or fit: the file, where in it, and what was
/// expected. Displays as one line, `file:line: column `c`: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct DataError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line (or spreadsheet row), when the error has one.
    pub line: Option<usize>,
    /// The column, when the error has one.
    pub column: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl DataError {
    /// An error about the whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error about a column.
    pub fn column(file: &str, column: &str, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line: None,
            column: Some(column.to_string()),
            message: message.into(),
        }
    }

    /// An error about one cell.
    pub fn cell(file: &str, line: usize, column: &str, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line: Some(line),
            column: Some(column.to_string()),
            message: message.into(),
        }
    }
}
