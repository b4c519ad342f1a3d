//! What to draw: [`PlotSpec`], one `[[plot]]` table of an experiment file.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One figure: which columns of a result table go where, and how it looks.
///
/// Deserialises from a TOML `[[plot]]` table; unknown keys are rejected.
/// Only `file`, `x` and `y` are required:
///
/// ```toml
/// [[plot]]
/// file = "ir_drop"            # writes ir_drop.svg and ir_drop.png
/// x = "array.size"
/// y = "error_mean_rel"
/// series = "array.r_wire_ohm" # one line per wire resistance
/// log_y = true
/// where = { "device.g_max" = 1e-4 }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Output file, relative to the output directory unless absolute. The
    /// extension picks the format (`.svg` or `.png`); with no extension both
    /// `<file>.svg` and `<file>.png` are written.
    pub file: String,
    /// `"line"` (the default) or `"heatmap"`.
    #[serde(default)]
    pub kind: PlotKind,
    /// Column on the horizontal axis.
    pub x: String,
    /// Column on the vertical axis.
    pub y: String,
    /// Heatmap only (and required there): the column that colours the cells.
    #[serde(default)]
    pub z: Option<String>,
    /// Line plots: one line per distinct value of this column (numeric,
    /// string or boolean).
    #[serde(default)]
    pub series: Option<String>,
    /// Line plots: how the spread over repeats is drawn.
    #[serde(default)]
    pub error: ErrorStyle,
    /// Logarithmic horizontal axis (line plots; every `x` must be > 0).
    #[serde(default)]
    pub log_x: bool,
    /// Logarithmic vertical axis (line plots; every `y` must be > 0).
    #[serde(default)]
    pub log_y: bool,
    /// Title above the plot; none by default (papers put it in the caption).
    #[serde(default)]
    pub title: Option<String>,
    /// Horizontal axis label; default from the column name, see
    /// [`axis_label`](crate::axis_label).
    #[serde(default)]
    pub x_label: Option<String>,
    /// Vertical axis label; default from the column name.
    #[serde(default)]
    pub y_label: Option<String>,
    /// Legend title (line plots) or colour-bar label (heatmaps); default from
    /// the `series` (or `z`) column name.
    #[serde(default)]
    pub series_label: Option<String>,
    /// Keep only the rows where each named column equals the given value.
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, FilterValue>,
    /// Figure width in inches; default 3.5 (one column of a two-column paper).
    #[serde(default)]
    pub width_in: Option<f64>,
    /// Figure height in inches; default 2.6.
    #[serde(default)]
    pub height_in: Option<f64>,
}

/// The kind of figure.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlotKind {
    /// `y` against `x`: mean over repeats with its spread, one line per
    /// `series` value.
    #[default]
    Line,
    /// The mean of `z` on the grid of distinct `x` and `y` values, with a
    /// colour bar. Both axes are categorical (evenly spaced values).
    Heatmap,
}

/// How a line plot shows the standard deviation over the rows averaged into
/// each point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorStyle {
    /// A shaded band from mean − std to mean + std.
    #[default]
    Band,
    /// Vertical error bars at each point.
    Bars,
    /// The mean only.
    None,
}

/// A value that a `where` entry compares a column with.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum FilterValue {
    /// Matches a boolean column.
    Bool(bool),
    /// Matches a numeric column (compared as a float).
    Int(i64),
    /// Matches a numeric column (equal to within 1e-9 relative).
    Float(f64),
    /// Matches a string column.
    Str(String),
}

impl fmt::Display for FilterValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FilterValue::Bool(b) => write!(f, "{b}"),
            FilterValue::Int(i) => write!(f, "{i}"),
            FilterValue::Float(v) => write!(f, "{v}"),
            FilterValue::Str(s) => write!(f, "{s:?}"),
        }
    }
}

impl PlotSpec {
    /// A line plot of `y` against `x` written to `file`, everything else at
    /// its default.
    pub fn new(file: impl Into<String>, x: impl Into<String>, y: impl Into<String>) -> Self {
        PlotSpec {
            file: file.into(),
            kind: PlotKind::Line,
            x: x.into(),
            y: y.into(),
            z: None,
            series: None,
            error: ErrorStyle::Band,
            log_x: false,
            log_y: false,
            title: None,
            x_label: None,
            y_label: None,
            series_label: None,
            filter: BTreeMap::new(),
            width_in: None,
            height_in: None,
        }
    }
}
