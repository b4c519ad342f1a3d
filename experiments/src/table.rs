//! The results table: one row per point, repeat and output row, typed
//! columns with units in their names, written as Parquet and CSV (polars).
//!
//! Columns: `point`, `repeat`, `seed`, one per swept key (named by its
//! dotted path, e.g. `array.r_wire_ohm`), then the kind's outputs: the
//! fields of its row type (see [`crate::row`] and
//! [`crate::kinds::Kind::outputs`]).

use std::path::Path;

use polars::prelude::{
    Column, CsvWriter, DataFrame, NamedFrom, ParquetReader, ParquetWriter, SerReader, SerWriter,
    Series,
};
use serde::{Deserialize, Serialize};
use toml::Value;

/// One value of a results table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (never NaN or infinite in a written table).
    Float(f64),
    /// Text.
    Str(String),
}

impl Cell {
    /// A swept TOML value as a cell: arrays and tables become their TOML text.
    pub fn from_toml(value: &Value) -> Cell {
        match value {
            Value::Boolean(b) => Cell::Bool(*b),
            Value::Integer(i) => Cell::Int(*i),
            Value::Float(f) => Cell::Float(*f),
            Value::String(s) => Cell::Str(s.clone()),
            other => Cell::Str(other.to_string()),
        }
    }

    fn as_f64(&self) -> Option<f64> {
        match self {
            Cell::Int(i) => Some(*i as f64),
            Cell::Float(f) => Some(*f),
            _ => None,
        }
    }
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Float(x) => write!(f, "{x}"),
            Cell::Str(s) => write!(f, "{s}"),
        }
    }
}

/// A table under construction: column names and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each as long as `columns`.
    pub rows: Vec<Vec<Cell>>,
}

/// Why a table could not be built or written.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// A column mixes incompatible types.
    #[error("column `{0}` mixes {1}")]
    Mixed(String, String),
    /// A row with more or fewer cells than the table has columns.
    #[error("row {row} has {cells} values where the table has {columns} columns")]
    Ragged {
        /// The row, from 0.
        row: usize,
        /// Its cells.
        cells: usize,
        /// The columns.
        columns: usize,
    },
    /// polars failed (I/O or format).
    #[error("{path}: {message}")]
    Polars {
        /// The file.
        path: String,
        /// polars' message.
        message: String,
    },
    /// A file of the table that could not be written.
    #[error(transparent)]
    Write(#[from] crate::durable::WriteError),
}

impl Rows {
    /// The rows as a typed DataFrame: a column of only integers is `i64`,
    /// integers and floats `f64`, booleans `bool`, text `str`.
    ///
    /// # Errors
    /// A column that mixes numbers with text or booleans.
    pub fn to_frame(&self) -> Result<DataFrame, TableError> {
        let height = self.rows.len();
        if let Some((i, row)) = self
            .rows
            .iter()
            .enumerate()
            .find(|(_, r)| r.len() != self.columns.len())
        {
            return Err(TableError::Ragged {
                row: i,
                cells: row.len(),
                columns: self.columns.len(),
            });
        }
        let mut columns = Vec::with_capacity(self.columns.len());
        for (j, name) in self.columns.iter().enumerate() {
            let cells: Vec<&Cell> = self.rows.iter().map(|r| &r[j]).collect();
            let all = |f: fn(&Cell) -> bool| cells.iter().all(|c| f(c));
            let series = if all(|c| matches!(c, Cell::Int(_))) {
                let v: Vec<i64> = cells
                    .iter()
                    .map(|c| match c {
                        Cell::Int(i) => *i,
                        _ => unreachable!("checked above"),
                    })
                    .collect();
                Series::new(name.as_str().into(), v)
            } else if all(|c| matches!(c, Cell::Int(_) | Cell::Float(_))) {
                let v: Vec<f64> = cells.iter().filter_map(|c| c.as_f64()).collect();
                Series::new(name.as_str().into(), v)
            } else if all(|c| matches!(c, Cell::Bool(_))) {
                let v: Vec<bool> = cells
                    .iter()
                    .map(|c| matches!(c, Cell::Bool(true)))
                    .collect();
                Series::new(name.as_str().into(), v)
            } else if all(|c| matches!(c, Cell::Str(_))) {
                let v: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
                Series::new(name.as_str().into(), v)
            } else {
                return Err(TableError::Mixed(
                    name.clone(),
                    "numbers, text and/or booleans".into(),
                ));
            };
            columns.push(Column::from(series));
        }
        DataFrame::new(height, columns).map_err(|e| TableError::Polars {
            path: "results".into(),
            message: e.to_string(),
        })
    }
}

/// Writes `frame` to `dir/results.parquet` and `dir/results.csv`, each
/// through a temporary file renamed into place.
///
/// # Errors
/// An I/O or format error, naming the file.
pub fn write(frame: &DataFrame, dir: &Path) -> Result<(), TableError> {
    let mut frame = frame.clone();
    crate::durable::write_with(&dir.join("results.parquet"), |file| {
        ParquetWriter::new(file)
            .finish(&mut frame)
            .map(|_| ())
            .map_err(|e| e.to_string())
    })
    .map_err(TableError::from)?;
    let csv = csv_bytes(&frame)?;
    crate::durable::write_bytes(&dir.join("results.csv"), &csv).map_err(TableError::from)
}

/// `frame` as CSV text: a header of column names, one line per row. Every
/// CSV table xbarsim writes — a run's `results.csv` and the tables of the
/// measuring commands — comes from here.
///
/// # Errors
/// polars' formatting error.
pub fn csv_bytes(frame: &DataFrame) -> Result<Vec<u8>, TableError> {
    let mut frame = frame.clone();
    let mut bytes = Vec::new();
    CsvWriter::new(&mut bytes)
        .finish(&mut frame)
        .map_err(|e| TableError::Polars {
            path: "CSV".into(),
            message: e.to_string(),
        })?;
    Ok(bytes)
}

/// Reads `dir/results.parquet`.
///
/// # Errors
/// A missing or unreadable file, named.
pub fn read(dir: &Path) -> Result<DataFrame, TableError> {
    let path = dir.join("results.parquet");
    let err = |message: String| TableError::Polars {
        path: path.display().to_string(),
        message,
    };
    let file = std::fs::File::open(&path).map_err(|e| err(crate::durable::reason(&e)))?;
    ParquetReader::new(file)
        .finish()
        .map_err(|e| err(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ragged_row_is_an_error_not_a_panic() {
        let rows = Rows {
            columns: vec!["a".into(), "b".into()],
            rows: vec![vec![Cell::Int(1), Cell::Float(2.0)], vec![Cell::Int(3)]],
        };
        let err = rows.to_frame().unwrap_err().to_string();
        assert_eq!(err, "row 1 has 1 values where the table has 2 columns");
        let whole = Rows {
            rows: vec![vec![Cell::Int(1), Cell::Float(2.0)]],
            ..rows
        };
        assert_eq!(whole.to_frame().unwrap().shape(), (1, 2));
    }
}
