//! # xbar-toml — TOML files with errors located at file, line, column and key
//!
//! Every TOML file xbarsim reads — experiment configs, device files,
//! technology files — goes through [`TomlDocument`]: it keeps the text, the
//! span-carrying `toml_edit` document and the file name, so that any error,
//! whether from the TOML syntax, from serde (unknown key, wrong type,
//! missing key) or from a validation step after parsing, is reported as
//! **one line**
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
//! use xbar_toml::{parse_toml, TomlDocument};
//!
//! #[derive(Debug, serde::Deserialize)]
//! #[serde(deny_unknown_fields)]
//! struct Node { feature_size_m: f64 }
//!
//! let err = parse_toml::<Node>(Path::new("t.toml"), "feature_size_n = 1e-9\n").unwrap_err();
//! assert_eq!(err.to_string(), "t.toml:1:1: feature_size_n: unknown key, \
//!     expected one of feature_size_m; did you mean `feature_size_m`?");
//!
//! // A check after parsing is located at the key it names.
//! let doc = TomlDocument::parse(Path::new("t.toml"), "\nfeature_size_m = -1\n").unwrap();
//! let node: Node = doc.deserialize().unwrap();
//! assert!(node.feature_size_m < 0.0);
//! let err = doc.invalid("feature_size_m", "expected a size > 0");
//! assert_eq!(err.to_string(), "t.toml:2:18: feature_size_m: expected a size > 0");
//! ```
//!
//! | module | contents |
//! |---|---|
//! | `error` | [`ConfigError`] (read, syntax, unknown key, invalid value) and [`io_reason`] |
//! | `document` | [`TomlDocument`]: parse, deserialize, locate a key; [`parse_toml`], [`read_toml`] |
//! | `serde_error` | serde's messages turned into located errors (keys recovered inside tagged enums) |
//! | `tree` | dotted key paths and the document's nodes with their spans |
//! | `suggest` | [`suggest`]: the nearest valid name for a misspelling |
//!
//! Serde cannot tell which key a value belongs to inside internally tagged
//! enums (`[pulse] model = "exponential"`): it reports the whole table. The
//! key is then recovered from the document: the named key for an unknown or
//! missing key, the value that matches the one serde found for a wrong type.

mod document;
mod error;
mod serde_error;
mod suggest;
mod tree;

pub use document::{parse_toml, read_toml, Location, TomlDocument};
pub use error::{io_reason, ConfigError};
pub use suggest::suggest;
