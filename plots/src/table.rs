//! Reading columns out of a polars table: numbers, category keys, filters.

use std::cmp::Ordering;

use polars::prelude::{Column, DataFrame, DataType};

use crate::axis::compact;
use crate::error::PlotError;
use crate::spec::FilterValue;

/// One column, read into plain vectors (`None` for nulls).
#[derive(Debug, Clone)]
pub(crate) enum Values {
    Num(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Str(Vec<Option<String>>),
}

/// A category: a series value or a heatmap row/column. Numbers sort
/// numerically, strings lexically.
#[derive(Debug, Clone)]
pub(crate) enum Key {
    Num(f64),
    Bool(bool),
    Str(String),
}

impl Key {
    fn rank(&self) -> u8 {
        match self {
            Key::Num(_) => 0,
            Key::Bool(_) => 1,
            Key::Str(_) => 2,
        }
    }

    /// The label shown in legends and on categorical axes.
    pub(crate) fn label(&self) -> String {
        match self {
            Key::Num(v) => compact(*v),
            Key::Bool(b) => b.to_string(),
            Key::Str(s) => s.clone(),
        }
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Key {}
impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Key {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Num(a), Key::Num(b)) => a.total_cmp(b),
            (Key::Bool(a), Key::Bool(b)) => a.cmp(b),
            (Key::Str(a), Key::Str(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Values {
    pub(crate) fn len(&self) -> usize {
        match self {
            Values::Num(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Str(v) => v.len(),
        }
    }

    /// The key of row `i`; `None` for nulls and NaN.
    pub(crate) fn key(&self, i: usize) -> Option<Key> {
        match self {
            Values::Num(v) => v[i].filter(|x| !x.is_nan()).map(|x| Key::Num(x + 0.0)),
            Values::Bool(v) => v[i].map(Key::Bool),
            Values::Str(v) => v[i].clone().map(Key::Str),
        }
    }
}

/// Reads the table's columns for one plot, turning polars errors into
/// [`PlotError`]s that name the plot and the column.
pub(crate) struct Reader<'a> {
    pub(crate) df: &'a DataFrame,
    pub(crate) file: &'a str,
}

impl Reader<'_> {
    fn column(&self, name: &str, role: &str) -> Result<&Column, PlotError> {
        self.df.column(name).map_err(|_| {
            let names: Vec<String> = self
                .df
                .get_column_names()
                .iter()
                .map(|c| c.as_str().to_string())
                .collect();
            let nearest = names
                .iter()
                .map(|c| (strsim::levenshtein(name, c), c))
                .filter(|(d, c)| *d <= 2.max(c.len() / 3))
                .min_by_key(|(d, _)| *d);
            let hint = match nearest {
                Some((_, c)) => format!(", did you mean `{c}`?"),
                None => String::new(),
            };
            let available = if names.is_empty() {
                "(none: the table is empty)".to_string()
            } else {
                names
                    .iter()
                    .map(|c| format!("`{c}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            PlotError::UnknownColumn {
                file: self.file.to_string(),
                column: name.to_string(),
                role: role.to_string(),
                hint,
                available,
            }
        })
    }

    fn table_error(&self, name: &str, e: impl std::fmt::Display) -> PlotError {
        PlotError::Table {
            file: self.file.to_string(),
            column: name.to_string(),
            message: e.to_string(),
        }
    }

    /// Any supported column: numbers (every integer and float type), booleans
    /// and strings; other types are read as their string form when polars
    /// can cast them.
    pub(crate) fn values(&self, name: &str, role: &str) -> Result<Values, PlotError> {
        let col = self.column(name, role)?;
        let dtype = col.dtype();
        if dtype.is_primitive_numeric() {
            let cast = col
                .cast(&DataType::Float64)
                .map_err(|e| self.table_error(name, e))?;
            let ca = cast.f64().map_err(|e| self.table_error(name, e))?;
            Ok(Values::Num(ca.iter().collect()))
        } else if dtype.is_bool() {
            let ca = col.bool().map_err(|e| self.table_error(name, e))?;
            Ok(Values::Bool(ca.iter().collect()))
        } else if dtype.is_string() {
            let ca = col.str().map_err(|e| self.table_error(name, e))?;
            Ok(Values::Str(
                ca.iter().map(|s| s.map(str::to_string)).collect(),
            ))
        } else {
            let unsupported = || PlotError::UnsupportedType {
                file: self.file.to_string(),
                column: name.to_string(),
                role: role.to_string(),
                dtype: dtype.to_string(),
            };
            let cast = col.cast(&DataType::String).map_err(|_| unsupported())?;
            let ca = cast.str().map_err(|_| unsupported())?;
            Ok(Values::Str(
                ca.iter().map(|s| s.map(str::to_string)).collect(),
            ))
        }
    }

    /// A numeric column as floats (`NaN` for nulls).
    pub(crate) fn numbers(&self, name: &str, role: &str) -> Result<Vec<f64>, PlotError> {
        match self.values(name, role)? {
            Values::Num(v) => Ok(v.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect()),
            _ => {
                let dtype = self.column(name, role)?.dtype().to_string();
                let hint = if role == "x" || role == "y" {
                    "; use it as `series` (one line per value), or draw a heatmap, whose axes may be categorical"
                } else {
                    ""
                };
                Err(PlotError::NotNumeric {
                    file: self.file.to_string(),
                    column: name.to_string(),
                    role: role.to_string(),
                    dtype,
                    hint: hint.to_string(),
                })
            }
        }
    }

    /// The rows that pass every `where` entry (all rows when there is none).
    pub(crate) fn filter_mask(
        &self,
        filter: &std::collections::BTreeMap<String, FilterValue>,
    ) -> Result<Vec<bool>, PlotError> {
        let mut mask = vec![true; self.df.height()];
        for (name, want) in filter {
            let values = self.values(name, "where")?;
            let type_error = |expected: &str| PlotError::FilterType {
                file: self.file.to_string(),
                column: name.clone(),
                dtype: self
                    .df
                    .column(name)
                    .map(|c| c.dtype().to_string())
                    .unwrap_or_default(),
                value: want.to_string(),
                expected: expected.to_string(),
            };
            match (&values, want) {
                (Values::Num(v), FilterValue::Int(_) | FilterValue::Float(_)) => {
                    let w = match want {
                        FilterValue::Int(i) => *i as f64,
                        FilterValue::Float(f) => *f,
                        _ => f64::NAN,
                    };
                    for (m, x) in mask.iter_mut().zip(v) {
                        *m &= x.is_some_and(|x| close(x, w));
                    }
                }
                (Values::Bool(v), FilterValue::Bool(w)) => {
                    for (m, x) in mask.iter_mut().zip(v) {
                        *m &= *x == Some(*w);
                    }
                }
                (Values::Str(v), FilterValue::Str(w)) => {
                    for (m, x) in mask.iter_mut().zip(v) {
                        *m &= x.as_deref() == Some(w.as_str());
                    }
                }
                (Values::Num(_), _) => return Err(type_error("number")),
                (Values::Bool(_), _) => return Err(type_error("true/false")),
                (Values::Str(_), _) => return Err(type_error("string (quoted)")),
            }
        }
        Ok(mask)
    }

    /// "column `a` has 1, 2, 5" for each `where` column: shown when a filter
    /// leaves no rows.
    pub(crate) fn describe_filter_columns(
        &self,
        filter: &std::collections::BTreeMap<String, FilterValue>,
    ) -> String {
        let mut parts = Vec::new();
        for name in filter.keys() {
            let Ok(values) = self.values(name, "where") else {
                continue;
            };
            let mut keys: Vec<Key> = (0..values.len()).filter_map(|i| values.key(i)).collect();
            keys.sort();
            keys.dedup();
            let shown: Vec<String> = keys.iter().take(8).map(Key::label).collect();
            let more = if keys.len() > 8 { ", ..." } else { "" };
            parts.push(format!("`{name}` has {}{more}", shown.join(", ")));
        }
        parts.join("; ")
    }
}

/// Equal to within 1e-9 relative (exact for integers and for floats read
/// from the same decimal).
fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}
