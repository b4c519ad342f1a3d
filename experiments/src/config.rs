//! TOML files with errors located at file, line, column and key.
//!
//! Every configuration xbarsim reads — device files now, experiment configs
//! later — goes through [`TomlDocument`]: it keeps the text, the span-carrying
//! `toml_edit` document and the file name, so that any error, whether from the
//! TOML syntax, from serde (unknown key, wrong type, missing key) or from a
//! validation step after parsing, is reported as **one line**
//!
//! ```text
//! my.toml:7:1: pulse.nl_lpt: unknown key, expected one of model, pulses_ltp, ...; did you mean `nl_ltp`?
//! ```
//!
//! `<file>:<line>:<column>: <dotted.key.path>: <what was expected, what was found>`
//! (lines and columns count from 1, columns in characters).
//!
//! ```
//! use std::path::Path;
//! use xbar_experiments::config::parse_device;
//!
//! let text = "name = \"mine\"\ng_min = 1e-6\ng_max = 1e-7\n";
//! let err = parse_device(Path::new("my.toml"), text).unwrap_err();
//! assert_eq!(err.line(), Some(3));
//! assert_eq!(err.key(), Some("g_max"));
//! assert!(err.to_string().starts_with("my.toml:3:9: g_max: expected g_max > g_min"));
//! ```
//!
//! Serde cannot tell which key a value belongs to inside internally tagged
//! enums (`[pulse] model = "exponential"`): it reports the whole table. The
//! key is then recovered from the document: the named key for an unknown or
//! missing key, the value that matches the one serde found for a wrong type.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml_edit::{Item, Table, Value};
use xbar_devices::{DeviceSpec, SpecError};

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

/// The candidate nearest to `given` (Jaro-Winkler similarity), when it is
/// close enough to be a plausible typo (similarity ≥ 0.84: `nl_lpt` →
/// `nl_ltp`, `g_mn` → `g_min`, `pcmo2` → `pcmo`, but `foo` → nothing).
pub fn suggest<'a, I, S>(given: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str> + 'a,
{
    candidates
        .into_iter()
        .map(|c| {
            let score = strsim::jaro_winkler(given, c.as_ref());
            (score, c.as_ref().to_string())
        })
        .filter(|(score, c)| *score >= 0.84 && c != given)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// A position in a file: line and column, both from 1 (column in
/// characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// One segment of a dotted key path: `programming.sigma_poly[2]` is
/// `Key("programming"), Key("sigma_poly"), Index(2)`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

fn split_path(dotted: &str) -> Vec<Segment> {
    // Parts separated by dots outside double quotes: `sweep."array.size"`
    // is the key `array.size` of the table `sweep`.
    let mut parts = Vec::new();
    let mut part = String::new();
    let mut quoted = false;
    for c in dotted.chars() {
        match c {
            '"' => quoted = !quoted,
            '.' if !quoted => parts.push(std::mem::take(&mut part)),
            _ => part.push(c),
        }
    }
    parts.push(part);
    let mut segments = Vec::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part.as_str(), ""),
        };
        if !name.is_empty() {
            segments.push(Segment::Key(name.to_string()));
        }
        while let Some(close) = rest.find(']') {
            if let Ok(k) = rest[1..close].parse() {
                segments.push(Segment::Index(k));
            }
            rest = &rest[close + 1..];
        }
    }
    segments
}

fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_string()
    } else {
        format!("{parent}.{child}")
    }
}

/// A node of the document: a table entry's item, or an array element.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a Table),
}

impl<'a> Node<'a> {
    fn span(self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
            Node::Table(t) => t.span(),
        }
    }

    fn value(self) -> Option<&'a Value> {
        match self {
            Node::Item(i) => i.as_value(),
            Node::Value(v) => Some(v),
            Node::Table(_) => None,
        }
    }

    fn is_table_like(self) -> bool {
        match self {
            Node::Item(i) => i.is_table_like(),
            Node::Value(v) => v.is_inline_table(),
            Node::Table(_) => true,
        }
    }

    /// `(key name, key span, child)` for every direct child.
    fn children(self) -> Vec<(Segment, Option<Range<usize>>, Node<'a>)> {
        let table_like: Option<&'a dyn toml_edit::TableLike> = match self {
            Node::Item(i) => i.as_table_like(),
            Node::Value(v) => v.as_inline_table().map(|t| t as &dyn toml_edit::TableLike),
            Node::Table(t) => Some(t as &dyn toml_edit::TableLike),
        };
        if let Some(t) = table_like {
            return t
                .iter()
                .filter_map(|(name, _)| {
                    let (key, item) = t.get_key_value(name)?;
                    Some((Segment::Key(name.to_string()), key.span(), Node::Item(item)))
                })
                .collect();
        }
        match self {
            Node::Item(Item::ArrayOfTables(a)) => a
                .iter()
                .enumerate()
                .map(|(k, t)| (Segment::Index(k), t.span(), Node::Table(t)))
                .collect(),
            _ => match self.value().and_then(Value::as_array) {
                Some(a) => a
                    .iter()
                    .enumerate()
                    .map(|(k, v)| (Segment::Index(k), v.span(), Node::Value(v)))
                    .collect(),
                None => Vec::new(),
            },
        }
    }
}

/// One entry of the flattened document.
struct Entry<'a> {
    path: String,
    key_span: Option<Range<usize>>,
    node: Node<'a>,
}

fn flatten<'a>(path: &str, node: Node<'a>, out: &mut Vec<Entry<'a>>) {
    for (segment, key_span, child) in node.children() {
        let child_path = match &segment {
            Segment::Key(name) => join_path(path, name),
            Segment::Index(k) => format!("{path}[{k}]"),
        };
        out.push(Entry {
            path: child_path.clone(),
            key_span,
            node: child,
        });
        flatten(&child_path, child, out);
    }
}

/// What serde said it found, parsed from its `invalid type/value` message.
#[derive(Debug, PartialEq)]
enum Found {
    Str(String),
    Int(String),
    Float(f64),
    Bool(String),
    Table,
    Array,
    Other(String),
}

impl Found {
    fn parse(text: &str) -> Found {
        let ticked = |prefix: &str| {
            text.strip_prefix(prefix)
                .map(|rest| rest.trim_matches('`').to_string())
        };
        if let Some(s) = text.strip_prefix("string ") {
            Found::Str(s.to_string())
        } else if let Some(i) = ticked("integer ") {
            Found::Int(i)
        } else if let Some(f) = ticked("floating point ") {
            Found::Float(f.parse().unwrap_or(f64::NAN))
        } else if let Some(b) = ticked("boolean ") {
            Found::Bool(b)
        } else if text == "map" {
            Found::Table
        } else if text == "sequence" {
            Found::Array
        } else {
            Found::Other(text.to_string())
        }
    }

    fn matches(&self, node: Node<'_>) -> bool {
        if node.is_table_like() {
            return *self == Found::Table;
        }
        let Some(value) = node.value() else {
            return false;
        };
        match (self, value) {
            (Found::Str(s), Value::String(v)) => format!("{:?}", v.value()) == *s,
            (Found::Int(s), Value::Integer(v)) => v.value().to_string() == *s,
            (Found::Float(f), Value::Float(v)) => {
                let v = *v.value();
                v == *f || (v.is_nan() && f.is_nan())
            }
            (Found::Bool(s), Value::Boolean(v)) => v.value().to_string() == *s,
            (Found::Array, Value::Array(_)) => true,
            _ => false,
        }
    }

    fn describe(&self) -> String {
        match self {
            Found::Str(s) => format!("the string {s}"),
            Found::Int(s) | Found::Bool(s) => s.clone(),
            Found::Float(f) => format!("{f}"),
            Found::Table => "a table".to_string(),
            Found::Array => "an array".to_string(),
            Found::Other(s) => s.clone(),
        }
    }
}

/// Serde's name for an expected type, in words.
fn describe_expected(expected: &str) -> String {
    match expected {
        "f32" | "f64" => "a number".to_string(),
        "u8" | "u16" | "u32" | "u64" | "u128" | "usize" => {
            let max = match expected {
                "u8" => u8::MAX.to_string(),
                "u16" => u16::MAX.to_string(),
                "u32" => u32::MAX.to_string(),
                _ => u64::MAX.to_string(),
            };
            format!("a whole number from 0 to {max}")
        }
        "i8" | "i16" | "i32" | "i64" | "i128" | "isize" => "a whole number".to_string(),
        "a sequence" => "an array".to_string(),
        "a boolean" => "true or false".to_string(),
        "a map" => "a table".to_string(),
        other if other.starts_with("struct ") || other.starts_with("internally tagged enum") => {
            "a table".to_string()
        }
        other => other.to_string(),
    }
}

/// Names in backticks, in order: "`a`, `b` or `c`" → `[a, b, c]`.
fn ticked_names(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// The message without any line break, so that an error stays one line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A parsed TOML file: its name, its text and its span-carrying document,
/// to deserialize from and to locate keys in.
#[derive(Debug, Clone)]
pub struct TomlDocument {
    path: PathBuf,
    doc: toml_edit::Document<String>,
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
            reason: io_reason(&e),
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

    /// Maps a [`SpecError`] from a validation step to a located error.
    pub fn spec_error(&self, error: &SpecError) -> ConfigError {
        self.invalid(&error.field, &error.message)
    }

    /// Where the key at dotted path `field` is: its value's position (the
    /// table header for a table), else the nearest ancestor that the file
    /// sets, else line 1, column 1.
    pub fn locate(&self, field: &str) -> Location {
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
            found = child
                .span()
                .filter(|_| !child.is_table_like())
                .or_else(|| child.span().filter(|s| !s.is_empty()))
                .or(key_span)
                .map(|s| s.start)
                .or(found);
            node = child;
        }
        self.location(found.unwrap_or(0))
    }

    /// Turns serde's `(message, span)` into a located error.
    fn serde_error(&self, message: &str, span: Option<Range<usize>>) -> ConfigError {
        let span = span.unwrap_or(0..0);
        let mut entries = Vec::new();
        flatten("", Node::Table(self.doc.as_table()), &mut entries);
        let contains = |s: &Range<usize>| {
            s.start <= span.start && (span.end <= s.end) && (s.start < s.end || s == &span)
        };
        // The entry serde pointed at: a key (unknown keys), else the value or
        // table whose span is exactly the error's, else the smallest one
        // containing it, else the root table.
        // An empty span at the start is the root table (a missing top-level
        // key).
        let at_root = span.is_empty() && span.start == 0;
        let entry = entries
            .iter()
            .filter(|_| !at_root)
            .find(|e| e.key_span.as_ref() == Some(&span) && !e.node.is_table_like())
            .or_else(|| entries.iter().find(|e| e.node.span() == Some(span.clone())))
            .or_else(|| {
                entries
                    .iter()
                    .filter(|e| !at_root && e.key_span.as_ref().is_some_and(contains))
                    .min_by_key(|e| e.key_span.as_ref().map_or(usize::MAX, |k| k.len()))
            })
            .or_else(|| {
                entries
                    .iter()
                    .filter(|e| !at_root && e.node.span().is_some_and(|s| contains(&s)))
                    .min_by_key(|e| e.node.span().map_or(usize::MAX, |s| s.len()))
            });
        let (base_path, base_node, base_start) = match entry {
            Some(e) => (
                e.path.clone(),
                e.node,
                e.node
                    .span()
                    .filter(|s| !s.is_empty())
                    .or(e.key_span.clone())
                    .map_or(span.start, |s| s.start),
            ),
            None => (String::new(), Node::Table(self.doc.as_table()), 0),
        };
        let at_key = entry.is_some_and(|e| e.key_span.as_ref() == Some(&span));
        // The entry under the base table whose value serde quoted (a tagged
        // enum's table reports its errors at the table), else the base.
        let child_holding = |found: &Found| -> (String, usize) {
            if !base_node.is_table_like() {
                return (base_path.clone(), base_start);
            }
            let mut children = Vec::new();
            flatten(&base_path, base_node, &mut children);
            children
                .into_iter()
                .find(|e| found.matches(e.node))
                .map_or((base_path.clone(), base_start), |e| {
                    (e.path, e.node.span().map_or(base_start, |s| s.start))
                })
        };
        let invalid = |key: String, start: usize, message: String| {
            let at = self.location(start);
            ConfigError::Invalid {
                path: self.path.clone(),
                line: at.line,
                column: at.column,
                key,
                message,
            }
        };

        // unknown field `nl_lpt`, expected one of `pulses_ltp`, ...
        if let Some(rest) = message.strip_prefix("unknown field ") {
            let (name, expected) = match rest.split_once(", ") {
                Some((name, expected)) => (name.trim_matches('`'), ticked_names(expected)),
                None => (rest.trim_matches('`'), Vec::new()),
            };
            // serde points at the key itself, or (inside a tagged enum) at
            // the enclosing table: then find the key in that table.
            let (key, start) = if at_key || !base_node.is_table_like() {
                (base_path.clone(), span.start)
            } else {
                base_node
                    .children()
                    .into_iter()
                    .find(|(s, _, _)| *s == Segment::Key(name.to_string()))
                    .map_or((join_path(&base_path, name), base_start), |(_, k, _)| {
                        (
                            join_path(&base_path, name),
                            k.map_or(base_start, |k| k.start),
                        )
                    })
            };
            let at = self.location(start);
            return ConfigError::UnknownKey {
                path: self.path.clone(),
                line: at.line,
                column: at.column,
                key,
                suggestion: suggest(name, &expected),
                expected,
            };
        }

        // missing field `g_max`
        if let Some(rest) = message.strip_prefix("missing field ") {
            let name = rest.trim_matches('`');
            return invalid(
                join_path(&base_path, name),
                base_start,
                format!("missing key `{name}`, which is required here"),
            );
        }

        // unknown variant `expo`, expected `exponential` or `soft-bounds`
        if let Some(rest) = message.strip_prefix("unknown variant ") {
            let (variant, expected) = match rest.split_once(", ") {
                Some((v, e)) => (v.trim_matches('`'), ticked_names(e)),
                None => (rest.trim_matches('`'), Vec::new()),
            };
            let (key, start) = child_holding(&Found::Str(format!("{variant:?}")));
            let what = key.rsplit('.').next().unwrap_or("value").to_string();
            let mut text = format!("unknown {what} `{variant}`");
            if !expected.is_empty() {
                text.push_str(&format!(", expected one of {}", expected.join(", ")));
            }
            if let Some(s) = suggest(variant, &expected) {
                text.push_str(&format!("; did you mean `{s}`?"));
            }
            return invalid(key, start, text);
        }

        // invalid type: string "big", expected f64
        // invalid value: integer `-3`, expected u32
        let body = message
            .strip_prefix("invalid type: ")
            .or_else(|| message.strip_prefix("invalid value: "))
            .or_else(|| message.strip_prefix("invalid length "));
        if let Some((found, expected)) = body.and_then(|b| b.rsplit_once(", expected ")) {
            let found = Found::parse(found);
            let (key, start) = if found == Found::Table {
                (base_path.clone(), base_start)
            } else {
                child_holding(&found)
            };
            return invalid(
                key,
                start,
                format!(
                    "expected {}, found {}",
                    describe_expected(expected),
                    found.describe()
                ),
            );
        }

        invalid(base_path, base_start, one_line(message))
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

/// Why a text file could not be read: [`crate::durable::reason`], or
/// `not UTF-8 text`.
fn io_reason(error: &std::io::Error) -> String {
    if error.kind() == std::io::ErrorKind::InvalidData {
        return "not UTF-8 text".to_string();
    }
    crate::durable::reason(error)
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

/// Parses and validates a device file's text (`path` names it in errors).
///
/// # Errors
/// A located [`ConfigError`]; a value that breaks a physical constraint
/// ([`DeviceSpec::validate`]: `g_min ≥ g_max`, `nan`, an out-of-range
/// label...) is located at its line.
pub fn parse_device(path: &Path, text: &str) -> Result<DeviceSpec, ConfigError> {
    let doc = TomlDocument::parse(path, text)?;
    device_from(&doc)
}

/// Reads, parses and validates a TOML device file: the fields of
/// [`DeviceSpec`], in SI units (S, s).
///
/// # Errors
/// A one-line, located [`ConfigError`]; see the module documentation.
pub fn load_device_file(path: &Path) -> Result<DeviceSpec, ConfigError> {
    let doc = TomlDocument::read(path)?;
    device_from(&doc)
}

fn device_from(doc: &TomlDocument) -> Result<DeviceSpec, ConfigError> {
    let spec: DeviceSpec = doc.deserialize()?;
    spec.validate().map_err(|e| doc.spec_error(&e))?;
    Ok(spec)
}

/// A device as the text of a TOML device file, that
/// [`load_device_file`] reads back to an equal [`DeviceSpec`].
///
/// Floats keep their shortest round-trip digits; very small or very large
/// ones (conductances, read times) are written in exponent notation
/// (`2.5e-5`, not `0.000025`).
pub fn device_to_toml(spec: &DeviceSpec) -> String {
    let text = toml::to_string_pretty(spec).expect("a device spec always serializes to TOML");
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .expect("toml's own output is valid TOML for toml_edit");
    reformat_floats(doc.as_item_mut());
    doc.to_string()
}

fn reformat_floats(item: &mut Item) {
    match item {
        Item::Value(v) => reformat_value(v),
        Item::Table(t) => t.iter_mut().for_each(|(_, i)| reformat_floats(i)),
        Item::ArrayOfTables(a) => a
            .iter_mut()
            .for_each(|t| t.iter_mut().for_each(|(_, i)| reformat_floats(i))),
        Item::None => {}
    }
}

fn reformat_value(value: &mut Value) {
    match value {
        Value::Float(f) => {
            let x = *f.value();
            let magnitude = x.abs();
            if x.is_finite() && x != 0.0 && !(1e-3..1e6).contains(&magnitude) {
                if let Ok(mut v) = format!("{x:e}").parse::<Value>() {
                    *v.decor_mut() = f.decor().clone();
                    *value = v;
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(reformat_value),
        Value::InlineTable(t) => t.iter_mut().for_each(|(_, v)| reformat_value(v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name = \"mine\"\ng_min = 1e-6\ng_max = 1e-5\n";

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

    fn err(text: &str) -> ConfigError {
        parse_device(Path::new("my.toml"), text).unwrap_err()
    }

    /// `(line, key)` of an error, and its one-line message.
    fn check(text: &str, line: usize, key: &str) -> String {
        let e = err(text);
        let message = e.to_string();
        assert_eq!(e.line(), Some(line), "{message}");
        assert_eq!(e.key(), Some(key), "{message}");
        assert!(
            message.starts_with(&format!("my.toml:{line}:")),
            "{message}"
        );
        assert!(message.contains(&format!(": {key}: ")), "{message}");
        assert!(!message.contains('\n'), "{message}");
        message
    }

    #[test]
    fn a_valid_file_parses() {
        let spec = parse_device(Path::new("my.toml"), PULSE).unwrap();
        assert_eq!(spec.name, "mine");
        assert_eq!(spec.g_max.siemens(), 1e-5);
        assert!(spec.pulse.is_some());
    }

    #[test]
    fn missing_file_names_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my.toml");
        let e = load_device_file(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot read file: No such file or directory",
                path.display()
            )
        );
        assert_eq!(e.line(), None);
    }

    #[test]
    fn load_device_file_reads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my.toml");
        std::fs::write(&path, PULSE).unwrap();
        assert_eq!(load_device_file(&path).unwrap().name, "mine");
        std::fs::write(&path, PULSE.replace("nl_ltp", "nl_lpt")).unwrap();
        let e = load_device_file(&path).unwrap_err();
        assert!(e
            .to_string()
            .starts_with(&format!("{}:9:1:", path.display())));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = err(&format!("{BASE}[pulse\nmodel = 1\n"));
        assert!(matches!(e, ConfigError::Syntax { line: 4, .. }), "{e}");
        assert!(e.to_string().starts_with("my.toml:4:"), "{e}");
        let e = err("name = \"x\"\ng_min = 1\ng_min = 2\n");
        assert_eq!(
            e.to_string(),
            "my.toml:3:1: TOML syntax error: duplicate key `g_min`"
        );
    }

    #[test]
    fn unknown_key_in_a_tagged_section_is_located_and_suggested() {
        let text = PULSE.replace("nl_ltp", "nl_lpt");
        let message = check(&text, 9, "pulse.nl_lpt");
        assert!(message.starts_with("my.toml:9:1: pulse.nl_lpt: unknown key, expected one of "));
        assert!(message.ends_with("; did you mean `nl_ltp`?"), "{message}");
    }

    #[test]
    fn unknown_key_at_the_top_level_and_in_plain_tables() {
        let message = check(&format!("{BASE}g_mn = 3\n"), 4, "g_mn");
        assert!(message.ends_with("did you mean `g_min`?"), "{message}");
        let message = check(
            &format!("{BASE}[variability]\ng_mxa = 0.1\n"),
            5,
            "variability.g_mxa",
        );
        assert!(
            message.contains("expected one of g_min, g_max, nl"),
            "{message}"
        );
        // Far from every key: no suggestion.
        let message = check(&format!("{BASE}colour = 3\n"), 4, "colour");
        assert!(!message.contains("did you mean"), "{message}");
        // Inline and dotted tables.
        let text =
            format!("{BASE}[drift]\nt0_s = 20\nnu_mean = {{ intercept = 0.05, slop = 1 }}\n");
        let message = check(&text, 6, "drift.nu_mean.slop");
        assert!(message.contains("did you mean `slope`?"), "{message}");
        check(
            &format!("{BASE}faults.stuck_of = 0.1\n"),
            4,
            "faults.stuck_of",
        );
    }

    #[test]
    fn wrong_type_is_located_at_the_value() {
        let text = PULSE.replace("nl_ltp = 1.5", "nl_ltp = \"big\"");
        let message = check(&text, 9, "pulse.nl_ltp");
        assert!(
            message.ends_with("expected a number, found the string \"big\""),
            "{message}"
        );
        assert!(message.starts_with("my.toml:9:10:"), "{message}");
        let message = check(
            &format!("{BASE}[citation]\nauthors = 3\n"),
            5,
            "citation.authors",
        );
        assert!(message.ends_with("expected a string, found 3"), "{message}");
        let message = check("name = \"x\"\ng_min = true\ng_max = 1\n", 2, "g_min");
        assert!(
            message.ends_with("expected a number, found true"),
            "{message}"
        );
        let text = format!("{BASE}[programming]\nsigma_poly = [1e-7, \"a\"]\n");
        check(&text, 5, "programming.sigma_poly[1]");
    }

    #[test]
    fn negative_integer_for_an_unsigned_field() {
        let message = check(
            &format!("{BASE}[programming]\nlevels = -3\n"),
            5,
            "programming.levels",
        );
        assert!(
            message.ends_with("expected a whole number from 0 to 4294967295, found -3"),
            "{message}"
        );
        // Inside the tagged [pulse] table.
        let text = PULSE.replace("pulses_ltp = 100", "pulses_ltp = -3");
        let message = check(&text, 7, "pulse.pulses_ltp");
        assert!(message.ends_with("found -3"), "{message}");
    }

    #[test]
    fn missing_key_and_unknown_model() {
        let message = check("name = \"x\"\ng_max = 1e-5\n", 1, "g_min");
        assert!(message.contains("missing key `g_min`"), "{message}");
        let text = PULSE.replace("nl_ltd = -2.0\n", "");
        check(&text, 5, "pulse.nl_ltd");
        let text = PULSE.replace("\"exponential\"", "\"exponentail\"");
        let message = check(&text, 6, "pulse.model");
        assert!(
            message.contains("unknown model `exponentail`, expected one of exponential, soft-bounds, measured; did you mean `exponential`?"),
            "{message}"
        );
    }

    #[test]
    fn validation_errors_point_at_their_line() {
        // g_min ≥ g_max: the spec names g_max.
        let message = check("name = \"x\"\ng_min = 1e-5\ng_max = 1e-6\n", 3, "g_max");
        assert!(message.contains("expected g_max > g_min"), "{message}");
        // NaN parses, then validation rejects it.
        let text = PULSE.replace("nl_ltp = 1.5", "nl_ltp = nan");
        let message = check(&text, 9, "pulse.nl_ltp");
        assert!(
            message.contains("expected a finite number, found NaN"),
            "{message}"
        );
        // A label out of range, and a nested key.
        check(
            &PULSE.replace("nl_ltd = -2.0", "nl_ltd = -12"),
            10,
            "pulse.nl_ltd",
        );
        let text =
            format!("{BASE}[drift]\nt0_s = 20\n[drift.nu_mean]\nintercept = 0.05\nmin = -1\n");
        check(&text, 8, "drift.nu_mean.min");
        let text = format!("{BASE}[programming]\nsigma_poly = [1e-7, nan]\n");
        check(&text, 5, "programming.sigma_poly[1]");
        let message = check(
            &format!("{BASE}[programming]\nlevels = 1\n"),
            5,
            "programming.levels",
        );
        assert!(message.starts_with("my.toml:5:10:"), "{message}");
    }

    #[test]
    fn locate_falls_back_to_the_nearest_ancestor() {
        let doc = TomlDocument::parse(Path::new("a.toml"), PULSE).unwrap();
        assert_eq!(doc.locate("pulse.c2c").line, 11);
        assert_eq!(doc.locate("pulse.not_set").line, 5);
        assert_eq!(doc.locate("drift.t0_s"), Location { line: 1, column: 1 });
        assert_eq!(doc.locate("g_min"), Location { line: 2, column: 9 });
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
    fn every_preset_round_trips_through_its_toml_file() {
        for spec in xbar_devices::library::all() {
            let text = device_to_toml(&spec);
            let back = parse_device(Path::new("preset.toml"), &text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", spec.name));
            assert_eq!(back, spec, "{text}");
        }
        let text = device_to_toml(&xbar_devices::library::preset("ibm-pcm").unwrap());
        assert!(text.contains("g_max = 2.5e-5"), "{text}");
    }

    #[test]
    fn suggestions_need_to_be_close() {
        assert_eq!(suggest("pcmo2", ["pcmo", "ideal"]).as_deref(), Some("pcmo"));
        assert_eq!(suggest("foo", ["faults", "g_min"]), None);
        assert_eq!(suggest("pcmo", ["pcmo"]), None);
    }

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            split_path("programming.sigma_poly[2]"),
            vec![
                Segment::Key("programming".into()),
                Segment::Key("sigma_poly".into()),
                Segment::Index(2)
            ]
        );
    }
}
