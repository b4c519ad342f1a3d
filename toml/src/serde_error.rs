//! Serde's messages (`unknown field`, `missing field`, `unknown variant`,
//! `invalid type`) turned into located errors. Inside internally tagged
//! enums serde reports the whole table; the key is then recovered from the
//! document: the named key for an unknown or missing key, the value that
//! matches the one serde found for a wrong type.

use std::ops::Range;

use toml_edit::Value;

use crate::document::{one_line, TomlDocument};
use crate::error::ConfigError;
use crate::suggest::suggest;
use crate::tree::{flatten, join_path, Node, Segment};

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

impl TomlDocument {
    /// The unknown key `name` in the table at `path` or in a table nested
    /// in it: its full path and key span. The table whose other keys are
    /// all `expected` (the struct serde was reading) is preferred; else the
    /// first table holding `name`, the outer ones first.
    fn unknown_key_under(
        &self,
        path: &str,
        node: Node<'_>,
        name: &str,
        expected: &[String],
    ) -> Option<(String, Option<Range<usize>>)> {
        let mut tables = vec![(path.to_string(), node)];
        let mut nested = Vec::new();
        flatten(path, node, &mut nested);
        tables.extend(
            nested
                .into_iter()
                .filter(|e| e.node.is_table_like())
                .map(|e| (e.path, e.node)),
        );
        let wanted = Segment::Key(name.to_string());
        let holding = |strict: bool| {
            tables.iter().find_map(|(path, table)| {
                let children = table.children();
                let (_, key_span, _) = children.iter().find(|(s, _, _)| *s == wanted)?;
                let fits = !strict
                    || expected.is_empty()
                    || children.iter().all(|(s, _, _)| match s {
                        Segment::Key(k) => k == name || expected.contains(k),
                        Segment::Index(_) => true,
                    });
                fits.then(|| (join_path(path, name), key_span.clone()))
            })
        };
        holding(true).or_else(|| holding(false))
    }

    /// Turns serde's `(message, span)` into a located error.
    pub(crate) fn serde_error(&self, message: &str, span: Option<Range<usize>>) -> ConfigError {
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
            // the enclosing table: then find the key in that table or in a
            // table nested in it (`[pulse.ltp]` under `[pulse]`).
            let (key, start) = if at_key || !base_node.is_table_like() {
                (base_path.clone(), span.start)
            } else {
                self.unknown_key_under(&base_path, base_node, name, &expected)
                    .map_or((join_path(&base_path, name), base_start), |(key, k)| {
                        (key, k.map_or(base_start, |k| k.start))
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
