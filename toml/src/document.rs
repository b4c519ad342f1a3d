//! [`TomlDocument`]: a file's name, its text and its span-carrying document,
//! to deserialize from and to locate keys in.

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use crate::error::{read_reason, ConfigError};
use crate::tree::{split_path, Node};

/// A position in a file: line and column, both from 1 (column in
/// characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// A parsed TOML file: its name, its text and its span-carrying document,
/// to deserialize from and to locate keys in.
#[derive(Debug, Clone)]
pub struct TomlDocument {
    pub(crate) path: PathBuf,
    pub(crate) doc: toml_edit::Document<String>,
}

impl TomlDocument {
    /// Reads and parses `path`.
    ///
    /// # Errors
    /// [`ConfigError::Read`] if the file cannot be read as UTF-8 text,
    /// [`ConfigError::Syntax`] if it is not TOML.
    pub fn read(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_path_buf(),
            reason: read_reason(&e),
        })?;
        TomlDocument::parse(path, &text)
    }

    /// Parses `text`, which came from `path` (used in messages only).
    ///
    /// # Errors
    /// [`ConfigError::Syntax`] with the line and column of the first TOML
    /// syntax error.
    pub fn parse(path: &Path, text: &str) -> Result<Self, ConfigError> {
        match toml_edit::Document::parse(text.to_string()) {
            Ok(doc) => Ok(TomlDocument {
                path: path.to_path_buf(),
                doc,
            }),
            Err(e) => {
                let span = e.span().unwrap_or(0..0);
                let mut message = one_line(e.message());
                if message == "duplicate key" {
                    let key = text.get(span.clone()).unwrap_or("").trim();
                    if !key.is_empty() {
                        message = format!("duplicate key `{key}`");
                    }
                }
                let at = location_in(text, span.start);
                Err(ConfigError::Syntax {
                    path: path.to_path_buf(),
                    line: at.line,
                    column: at.column,
                    message: format!("TOML syntax error: {message}"),
                })
            }
        }
    }

    /// The file name given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text of the file.
    pub fn text(&self) -> &str {
        self.doc.raw()
    }

    /// Line and column of byte `offset` of the text.
    pub fn location(&self, offset: usize) -> Location {
        location_in(self.text(), offset)
    }

    /// Deserializes the whole file into `T`.
    ///
    /// # Errors
    /// [`ConfigError::UnknownKey`] (with the nearest valid key) or
    /// [`ConfigError::Invalid`] (wrong type, out-of-range integer, missing
    /// key, unknown variant), located at the offending key or value.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text()).map_err(|e| self.serde_error(e.message(), e.span()))
    }

    /// Deserializes the whole file through `read` (for a type chosen at run
    /// time, such as a kind's sections), errors located as in
    /// [`TomlDocument::deserialize`].
    ///
    /// # Errors
    /// As [`TomlDocument::deserialize`].
    pub fn deserialize_with<T>(
        &self,
        read: impl FnOnce(toml::Deserializer<'_>) -> Result<T, toml::de::Error>,
    ) -> Result<T, ConfigError> {
        toml::Deserializer::parse(self.text())
            .and_then(read)
            .map_err(|e| self.serde_error(e.message(), e.span()))
    }

    /// An [`ConfigError::Invalid`] error about the key at dotted path
    /// `field` (e.g. `pulse.nl_ltp`, `programming.sigma_poly[1]`), located at
    /// its value — or, for a key the file does not set, at the nearest
    /// enclosing key or table header that it does.
    pub fn invalid(&self, field: &str, message: &str) -> ConfigError {
        let at = self.locate(field);
        ConfigError::Invalid {
            path: self.path.clone(),
            line: at.line,
            column: at.column,
            key: field.to_string(),
            message: one_line(message),
        }
    }

    /// As [`TomlDocument::invalid`], located at the key itself rather than
    /// its value: for an error about a whole entry, such as a technology
    /// file's `read_time_s = { value = -1.0, source = "…" }`.
    pub fn invalid_at_key(&self, field: &str, message: &str) -> ConfigError {
        let at = self.location(self.find(field, true));
        ConfigError::Invalid {
            path: self.path.clone(),
            line: at.line,
            column: at.column,
            key: field.to_string(),
            message: one_line(message),
        }
    }

    /// Where the key at dotted path `field` is: its value's position (the
    /// table header for a table), else the nearest ancestor that the file
    /// sets, else line 1, column 1.
    pub fn locate(&self, field: &str) -> Location {
        self.location(self.find(field, false))
    }

    /// The byte offset of `field`'s value (of its key when `at_key`), else
    /// of the nearest ancestor the file sets, else 0.
    fn find(&self, field: &str, at_key: bool) -> usize {
        let mut node = Node::Table(self.doc.as_table());
        let mut found: Option<usize> = None;
        for segment in split_path(field) {
            let Some((_, key_span, child)) =
                node.children().into_iter().find(|(s, _, _)| *s == segment)
            else {
                break;
            };
            // Values are pointed at themselves; tables at their header, or
            // at their key when they have none (dotted and inline tables).
            let value = child
                .span()
                .filter(|_| !child.is_table_like())
                .or_else(|| child.span().filter(|s| !s.is_empty()));
            found = if at_key {
                key_span.or(value)
            } else {
                value.or(key_span)
            }
            .map(|s| s.start)
            .or(found);
            node = child;
        }
        found.unwrap_or(0)
    }
}

/// Line and column (from 1, column in characters) of byte `offset`.
fn location_in(text: &str, offset: usize) -> Location {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    Location { line, column }
}

/// Parses `text` (from file `path`, named in errors) as a `T`.
///
/// # Errors
/// A located [`ConfigError`]: syntax, unknown key, wrong type, missing key.
pub fn parse_toml<T: DeserializeOwned>(path: &Path, text: &str) -> Result<T, ConfigError> {
    TomlDocument::parse(path, text)?.deserialize()
}

/// Reads `path` and parses it as a `T`.
///
/// # Errors
/// As [`parse_toml`], and [`ConfigError::Read`] for an unreadable file.
pub fn read_toml<T: DeserializeOwned>(path: &Path) -> Result<T, ConfigError> {
    TomlDocument::read(path)?.deserialize()
}

/// The message without any line break, so that an error stays one line.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PULSE: &str = "\
name = \"mine\"
g_min = 1e-6
g_max = 1e-5

[pulse]
model = \"exponential\"
pulses_ltp = 100
pulses_ltd = 100
nl_ltp = 1.5
nl_ltd = -2.0
c2c = 0.01
";

    #[test]
    fn locate_falls_back_to_the_nearest_ancestor() {
        let doc = TomlDocument::parse(Path::new("a.toml"), PULSE).unwrap();
        assert_eq!(doc.locate("pulse.c2c").line, 11);
        assert_eq!(doc.locate("pulse.not_set").line, 5);
        assert_eq!(doc.locate("drift.t0_s"), Location { line: 1, column: 1 });
        assert_eq!(doc.locate("g_min"), Location { line: 2, column: 9 });
    }

    #[test]
    fn an_entry_is_located_at_its_key_or_its_value() {
        let text = "name = \"n\"\n  read_time_s = { value = -1.0, source = \"x\" }\n";
        let doc = TomlDocument::parse(Path::new("t.toml"), text).unwrap();
        let e = doc.invalid_at_key("read_time_s", "expected > 0");
        assert_eq!(e.to_string(), "t.toml:2:3: read_time_s: expected > 0");
        let e = doc.invalid("read_time_s.value", "expected > 0");
        assert_eq!((e.line(), e.column()), (Some(2), Some(27)));
        // A key the file does not set: its nearest ancestor, else 1:1.
        let e = doc.invalid_at_key("read_time_s.unit", "m");
        assert_eq!((e.line(), e.column()), (Some(2), Some(3)));
        assert_eq!(doc.invalid_at_key("feature_size_m", "m").line(), Some(1));
    }

    #[test]
    fn generic_parse_toml_locates_errors_in_any_type() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Sweep {
            seeds: Vec<u64>,
            runs: Vec<Run>,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Run {
            device: String,
        }
        let text = "seeds = [1, 2]\n[[runs]]\ndevice = \"pcmo\"\n[[runs]]\ndevise = \"x\"\n";
        let e = parse_toml::<Sweep>(Path::new("sweep.toml"), text).unwrap_err();
        assert_eq!(e.line(), Some(5));
        assert_eq!(e.key(), Some("runs[1].devise"));
        assert!(e.to_string().ends_with("did you mean `device`?"), "{e}");
        let text = "seeds = [1, -2]\nruns = []\n";
        let e = parse_toml::<Sweep>(Path::new("sweep.toml"), text).unwrap_err();
        assert_eq!(e.key(), Some("seeds[1]"));
        assert_eq!(e.column(), Some(13));
    }

    #[test]
    fn an_unknown_key_in_a_table_nested_in_a_tagged_enum_is_located_at_itself() {
        // Inside an internally tagged enum serde reports the enum's table;
        // the key is in a table nested in it (before: `pulse.bogus`, at
        // `[pulse]`).
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Device {
            pulse: Pulse,
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
        #[allow(dead_code)]
        enum Pulse {
            Measured { ltp: Table, ltd: Table },
        }
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Table {
            edges: Vec<f64>,
            steps: Vec<f64>,
        }
        let text = "[pulse]\nmodel = \"measured\"\n[pulse.ltp]\nedges = [0.0, 1.0]\nsteps = [0.1]\n[pulse.ltd]\nedges = [0.0, 1.0]\n  stpes = [0.1]\n";
        let e = parse_toml::<Device>(Path::new("d.toml"), text).unwrap_err();
        assert_eq!(
            (e.line(), e.column(), e.key()),
            (Some(8), Some(3), Some("pulse.ltd.stpes")),
            "{e}"
        );
        assert!(e.to_string().ends_with("did you mean `steps`?"), "{e}");
    }

    #[test]
    fn unreadable_files_name_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        let e = read_toml::<toml::Table>(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot read file: No such file or directory",
                path.display()
            )
        );
        assert_eq!((e.line(), e.key()), (None, None));
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let e = read_toml::<toml::Table>(&path).unwrap_err();
        assert!(
            e.to_string().ends_with("cannot read file: not UTF-8 text"),
            "{e}"
        );
    }
}
