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
/// file = "ir_drop"            # writes ir_drop.svg, ir_drop.png and ir_drop.pdf
/// x = "array.size"
/// y = "error_mean_rel"
/// series = "array.r_wire_ohm" # one line per wire resistance
/// log_y = true
/// error = "ci95"              # mean with its 95 % confidence band
/// where = { "device.g_max" = 1e-4 }
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlotSpec {
    /// Output file, relative to the output directory unless absolute. The
    /// extension picks the format (`.svg`, `.png` or `.pdf`); with no
    /// extension all three, `<file>.svg`, `<file>.png` and `<file>.pdf`, are
    /// written.
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
    /// string or boolean), or per distinct combination of several columns:
    /// a list (`series = ["a", "b"]`, entries "a, b") or a label template
    /// naming them in braces (`series = "{a}, refresh {b}"`); a list is read
    /// as the template `"{a}, {b}"`. Values carry their column's unit.
    #[serde(default, deserialize_with = "series_from_toml")]
    pub series: Option<String>,
    /// Legend entries to replace, by the entry they would have: `{ "0" =
    /// "one device, no drift" }`. Required for every entry that is only a
    /// sweep point's number (`series = "point"`) or a TOML table.
    #[serde(default)]
    pub series_labels: BTreeMap<String, String>,
    /// Line plots: one panel (sub-plot) per distinct value of this column,
    /// in a grid with shared axes and one legend; each panel is titled
    /// with its value.
    #[serde(default)]
    pub facet: Option<String>,
    /// Line plots: how the spread over the rows averaged into a point is
    /// drawn (stated in the legend).
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
    /// A journal's column: `"single"` (3.5 × 2.6 in, the default) or
    /// `"double"` (7 × 3.5 in, the full width of a two-column page). The
    /// text is 8–9 pt at that size, so ≥ 7 pt in print. `width_in` and
    /// `height_in` override it.
    #[serde(default)]
    pub size: FigureSize,
    /// Figure width in inches; default from `size`.
    #[serde(default)]
    pub width_in: Option<f64>,
    /// Figure height in inches; default from `size`.
    #[serde(default)]
    pub height_in: Option<f64>,
}

/// A figure's size by the journal column it fills.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FigureSize {
    /// One column of a two-column page: 3.5 × 2.6 in.
    #[default]
    Single,
    /// Both columns: 7 × 3.5 in.
    Double,
}

impl FigureSize {
    /// Width and height in inches.
    pub fn inches(self) -> (f64, f64) {
        match self {
            FigureSize::Single => (3.5, 2.6),
            FigureSize::Double => (7.0, 3.5),
        }
    }
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

/// How a line plot shows the spread of the rows averaged into each point
/// (repeats, seeds, devices). The legend states which.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorStyle {
    /// A shaded band from mean − σ to mean + σ (σ the sample standard
    /// deviation).
    #[default]
    Band,
    /// A shaded band over the 95 % confidence interval of the mean,
    /// mean ± t₀.₉₇₅,ₙ₋₁ · σ/√n (Student's t).
    Ci95,
    /// Vertical error bars at each point, mean ± σ.
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
            series_labels: BTreeMap::new(),
            facet: None,
            error: ErrorStyle::Band,
            log_x: false,
            log_y: false,
            title: None,
            x_label: None,
            y_label: None,
            series_label: None,
            filter: BTreeMap::new(),
            size: FigureSize::Single,
            width_in: None,
            height_in: None,
        }
    }
}

impl PlotSpec {
    /// Every column the spec names, with the field that names it (`x`,
    /// `y`, `z`, `series`, `facet`, `where`): for checking them against a table's
    /// columns before a run.
    pub fn columns(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![("x", self.x.clone()), ("y", self.y.clone())];
        if let Some(z) = &self.z {
            out.push(("z", z.clone()));
        }
        if let Some(s) = &self.series {
            out.extend(series_columns(s).into_iter().map(|c| ("series", c)));
        }
        if let Some(f) = &self.facet {
            out.push(("facet", f.clone()));
        }
        out.extend(self.filter.keys().map(|k| ("where", k.clone())));
        out
    }
}

impl PlotSpec {
    /// The problems found without the table, as (field, message): a
    /// `series` template with unbalanced braces, `series_labels` without a
    /// `series`, and a series of sweep point numbers (`point`) without a
    /// label for its entries. [`draw`](crate::draw) checks the same.
    pub fn check(&self) -> Result<(), (&'static str, String)> {
        if let Some(series) = &self.series {
            let (open, close) = (series.matches('{').count(), series.matches('}').count());
            if open != close || (open > 0 && series_columns(series).iter().any(String::is_empty)) {
                return Err((
                    "series",
                    format!("`{series}` is not a template: write each column in braces, e.g. \"{{device}}, {{array.size}} cells\""),
                ));
            }
            if series_columns(series).iter().any(|c| c == "point") && self.series_labels.is_empty()
            {
                return Err((
                    "series",
                    "`point` numbers the sweep's points, which a reader of the legend cannot decode; name the swept columns (`series = [\"a\", \"b\"]`, or a template \"{a}, {b} …\") or label each point with `series_labels = { \"0\" = \"…\", \"1\" = \"…\" }`".to_string(),
                ));
            }
        } else if !self.series_labels.is_empty() {
            return Err((
                "series_labels",
                "relabels legend entries, but there is no `series`; name the column(s) that split the rows into lines".to_string(),
            ));
        }
        Ok(())
    }
}

/// The columns a `series` names: the names in braces of a template, else
/// the value itself.
pub(crate) fn series_columns(series: &str) -> Vec<String> {
    if !series.contains('{') {
        return vec![series.to_string()];
    }
    let mut out: Vec<String> = Vec::new();
    let mut rest = series;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = rest[open + 1..open + close].trim().to_string();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &rest[open + close + 1..];
    }
    out
}

/// `series` as a column name, a template, or a list of columns (read as the
/// template `"{a}, {b}"`).
fn series_from_toml<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a column name, a list of column names, or a template such as \"{device}, {bits} bits\"")
        }

        fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D2: serde::Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(Visit)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            use serde::de::Error;
            let mut names: Vec<String> = Vec::new();
            while let Some(c) = seq.next_element::<String>()? {
                if c.contains(['{', '}']) {
                    return Err(A::Error::custom(format!(
                        "`series` list entry `{c}` has braces; a list names columns, a template is one string"
                    )));
                }
                names.push(format!("{{{c}}}"));
            }
            if names.is_empty() {
                return Err(A::Error::custom(
                    "`series = []` names no column; name one or more, e.g. `series = [\"device\"]`",
                ));
            }
            Ok(Some(names.join(", ")))
        }
    }
    d.deserialize_option(Visit)
}
