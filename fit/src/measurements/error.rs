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
            write!(f, "column `{}`: ", excerpt(column))?;
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

/// Longest quote of a file's text in a message (characters).
const EXCERPT_CHARS: usize = 40;

/// At most a short excerpt of `text` for a one-line message: its first
/// 40 characters (then `…`), line breaks and other control characters
/// escaped (`\n`), so that a cell holding half a file (an unterminated
/// quote) is quoted in a few words on one line.
pub fn excerpt(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == EXCERPT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_and_on_one_line() {
        assert_eq!(excerpt("abc"), "abc");
        assert_eq!(excerpt("a\r\nb\tc"), "a\\r\\nb\\tc");
        let long = "x".repeat(3000);
        assert_eq!(excerpt(&long), format!("{}…", "x".repeat(40)));
        let e = DataError::column("f.csv", &format!("a\n{long}"), "appears twice");
        assert_eq!(e.to_string().lines().count(), 1);
        assert!(e.to_string().len() < 100, "{e}");
    }
}
