//! Typed result rows: a kind's row struct *is* its table schema.
//!
//! A kind declares one `#[derive(Serialize, Deserialize)]` struct whose
//! field names are its output columns, units in the names
//! (`conductance_mean_S`, `time_s`). [`columns`] reads the names from the
//! type itself (no instance needed: they are known before anything runs,
//! for checking `[[plot]]` columns), and [`cells`] turns one row into the
//! table's cells in that order. There is no second list of names to keep
//! in step with the struct.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use xbar_experiments::row::{cells, columns};
//! use xbar_experiments::table::Cell;
//!
//! #[allow(non_snake_case)]
//! #[derive(Serialize, Deserialize)]
//! struct Row {
//!     time_s: f64,
//!     count: u32,
//!     conductance_mean_S: f64,
//! }
//! assert_eq!(columns::<Row>(), ["time_s", "count", "conductance_mean_S"]);
//! let row = Row { time_s: 1.0, count: 3, conductance_mean_S: 2e-6 };
//! assert_eq!(cells(&row).unwrap(), [Cell::Float(1.0), Cell::Int(3), Cell::Float(2e-6)]);
//! // NaN never reaches a table.
//! let bad = Row { time_s: f64::NAN, count: 3, conductance_mean_S: 2e-6 };
//! assert_eq!(cells(&bad).unwrap_err().to_string(), "output `time_s` is not a finite number");
//! ```

use serde::de::{self, DeserializeOwned, Visitor};
use serde::Serialize;
use serde_json::Value;

use crate::table::Cell;

/// Why a row cannot become table cells, or cells a row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RowError {
    /// A value that is NaN or ±∞ (or not a number, text or boolean).
    #[error("output `{column}` is not a finite number")]
    NotFinite {
        /// The column.
        column: String,
    },
    /// A row type that does not serialise as a struct (a programming
    /// error in a kind).
    #[error("{type_name} does not serialise as a struct")]
    NotAStruct {
        /// The Rust type.
        type_name: &'static str,
    },
    /// A row read back with a different number of cells than columns.
    #[error("a row has {found} values where the table has {} columns ({})", columns.len(), columns.join(", "))]
    Shape {
        /// Cells found.
        found: usize,
        /// The table's columns.
        columns: Vec<&'static str>,
    },
    /// A cell that does not fit its field's type.
    #[error("{0}")]
    Field(String),
}

/// The field names of struct `R`, in declaration order (serde renames
/// applied).
///
/// # Panics
/// If `R` does not deserialise as a struct (a programming error in a kind's
/// row type, caught by every test that runs the kind).
pub fn columns<R: DeserializeOwned>() -> Vec<&'static str> {
    let mut names = None;
    let _ = R::deserialize(FieldNames(&mut names));
    names.unwrap_or_else(|| {
        panic!(
            "{} is not a struct: a row type must be a struct with named fields",
            std::any::type_name::<R>()
        )
    })
}

/// One row as cells, in [`columns`] order: integers stay integers, floats
/// must be finite (serde_json writes NaN and ±∞ as null).
///
/// # Errors
/// The column whose value is not finite (or not a number, text or boolean).
pub fn cells<R: Serialize + DeserializeOwned>(row: &R) -> Result<Vec<Cell>, RowError> {
    let Ok(Value::Object(map)) = serde_json::to_value(row) else {
        return Err(RowError::NotAStruct {
            type_name: std::any::type_name::<R>(),
        });
    };
    let not_finite = |name: &str| RowError::NotFinite {
        column: name.to_string(),
    };
    columns::<R>()
        .into_iter()
        .map(|name| match map.get(name) {
            Some(Value::Bool(b)) => Ok(Cell::Bool(*b)),
            Some(Value::String(s)) => Ok(Cell::Str(s.clone())),
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) if !n.is_f64() => Ok(Cell::Int(i)),
                (_, Some(x)) if x.is_finite() => Ok(Cell::Float(x)),
                _ => Err(not_finite(name)),
            },
            _ => Err(not_finite(name)),
        })
        .collect()
}

/// Typed rows as a table of their columns.
///
/// # Errors
/// A value that is not finite, named by its column.
pub fn table<R: Serialize + DeserializeOwned>(rows: &[R]) -> Result<crate::table::Rows, RowError> {
    Ok(crate::table::Rows {
        columns: columns::<R>().into_iter().map(str::to_string).collect(),
        rows: rows.iter().map(cells).collect::<Result<_, _>>()?,
    })
}

/// Reads cells back as one `R`: exactly one cell per column, each of its
/// field's type — how a unit file read from disk is checked against the
/// kind's schema before it joins a table.
///
/// # Errors
/// A wrong number of cells, or the first cell that does not fit its field.
pub fn parse<R: DeserializeOwned>(cells: &[Cell]) -> Result<R, RowError> {
    let names = columns::<R>();
    if cells.len() != names.len() {
        return Err(RowError::Shape {
            found: cells.len(),
            columns: names,
        });
    }
    let map: serde_json::Map<String, Value> = names
        .iter()
        .zip(cells)
        .map(|(name, cell)| {
            let value = match cell {
                Cell::Bool(b) => Value::Bool(*b),
                Cell::Int(i) => Value::from(*i),
                Cell::Float(x) => serde_json::Number::from_f64(*x)
                    .map(Value::Number)
                    .ok_or_else(|| RowError::NotFinite {
                        column: name.to_string(),
                    })?,
                Cell::Str(s) => Value::String(s.clone()),
            };
            Ok((name.to_string(), value))
        })
        .collect::<Result<_, RowError>>()?;
    serde_json::from_value(Value::Object(map)).map_err(|e| RowError::Field(e.to_string()))
}

/// A deserializer that answers only "which fields?": it records the field
/// list serde passes to `deserialize_struct`, then stops.
struct FieldNames<'a>(&'a mut Option<Vec<&'static str>>);

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("field names read")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        Stop
    }
}

impl<'de> de::Deserializer<'de> for FieldNames<'_> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        _: V,
    ) -> Result<V::Value, Stop> {
        *self.0 = Some(fields.to_vec());
        Err(Stop)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[allow(non_snake_case)]
    #[derive(Debug, Serialize, Deserialize)]
    struct Example {
        pulse: u32,
        phase: String,
        #[serde(rename = "g_S")]
        g: f64,
        ok: bool,
    }

    #[test]
    fn columns_follow_the_struct_and_its_renames() {
        assert_eq!(columns::<Example>(), ["pulse", "phase", "g_S", "ok"]);
    }

    #[test]
    fn cells_keep_types_and_refuse_non_finite_values() {
        let row = Example {
            pulse: 7,
            phase: "ltp".into(),
            g: 3.0,
            ok: true,
        };
        assert_eq!(
            cells(&row).unwrap(),
            [
                Cell::Int(7),
                Cell::Str("ltp".into()),
                Cell::Float(3.0),
                Cell::Bool(true)
            ]
        );
        for bad in [f64::INFINITY, f64::NEG_INFINITY, f64::NAN] {
            let row = Example {
                pulse: 7,
                phase: "ltp".into(),
                g: bad,
                ok: true,
            };
            assert_eq!(
                cells(&row).unwrap_err(),
                RowError::NotFinite {
                    column: "g_S".into()
                }
            );
        }
    }

    #[test]
    fn parse_reads_cells_back_and_refuses_rows_of_another_shape() {
        let cells = vec![
            Cell::Int(7),
            Cell::Str("ltp".into()),
            Cell::Float(3.0),
            Cell::Bool(true),
        ];
        let row: Example = parse(&cells).unwrap();
        assert_eq!(
            (row.pulse, row.phase.as_str(), row.g, row.ok),
            (7, "ltp", 3.0, true)
        );
        let short = parse::<Example>(&cells[..3]).unwrap_err().to_string();
        assert!(
            short.starts_with("a row has 3 values where the table has 4 columns"),
            "{short}"
        );
        let mut swapped = cells.clone();
        swapped.swap(0, 1);
        let err = parse::<Example>(&swapped).unwrap_err().to_string();
        assert!(err.contains("invalid type"), "{err}");
        let negative = [vec![Cell::Int(-1)], cells[1..].to_vec()].concat();
        assert!(parse::<Example>(&negative).is_err());
    }

    #[test]
    #[should_panic(expected = "not a struct")]
    fn a_row_must_be_a_struct() {
        columns::<Vec<f64>>();
    }
}
