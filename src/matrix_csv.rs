//! Plain numeric CSV matrices (no header, one row per line) as used by
//! `xbarsim solve`: reading with errors that name the file, line and value,
//! and writing with full `f64` precision (17 significant digits).

use std::path::Path;

use nalgebra::DMatrix;

use crate::error::{bail, io_reason, Result};

/// What the values of a matrix file are, for error messages.
pub struct Quantity {
    /// Plural noun: "conductances".
    pub name: &'static str,
    /// Singular noun: "conductance".
    pub one: &'static str,
    /// SI unit symbol: "S".
    pub unit: &'static str,
    /// Whether negative values are allowed.
    pub signed: bool,
}

/// Reads a rectangular matrix of finite numbers. Blank lines are skipped;
/// every other line must have as many comma-separated values as the first.
///
/// # Errors
/// A missing or unreadable file, an empty file, a ragged row, a value that
/// is not a number, non-finite, or negative when `quantity` is unsigned —
/// each naming `path:line`, and the value's position in its line.
pub fn read(path: &Path, quantity: &Quantity) -> Result<Table> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => bail!("cannot read `{}`: {}", path.display(), io_reason(&e)),
    };
    let file = path.display();
    let mut values = Vec::new();
    let mut width = None;
    let mut first_line = 0;
    let mut rows = 0;
    for (k, line) in text.lines().enumerate() {
        let line_no = k + 1;
        if line.trim().is_empty() {
            continue;
        }
        let start = values.len();
        for (c, item) in line.split(',').enumerate() {
            let item = item.trim();
            let position = c + 1;
            let value: f64 = match item.parse() {
                Ok(v) => v,
                Err(_) if item.is_empty() => bail!(
                    "{file}:{line_no}: value {position} is empty; expected comma-separated {} in {}",
                    quantity.name,
                    quantity.unit
                ),
                Err(_) => bail!(
                    "{file}:{line_no}: value {position} `{item}` is not a number; expected {} in {}",
                    quantity.name,
                    quantity.unit
                ),
            };
            if !value.is_finite() {
                bail!(
                    "{file}:{line_no}: value {position} is `{item}`; expected a finite {} in {}",
                    quantity.one,
                    quantity.unit
                );
            }
            if !quantity.signed && value < 0.0 {
                bail!(
                    "{file}:{line_no}: value {position} is {item}; expected a {} ≥ 0 {}",
                    quantity.one,
                    quantity.unit
                );
            }
            values.push(value);
        }
        let found = values.len() - start;
        match width {
            None => {
                width = Some(found);
                first_line = line_no;
            }
            Some(w) if w != found => bail!(
                "{file}:{line_no}: {found} value{}, but line {first_line} has {w}; every row must have the same number of {}",
                if found == 1 { "" } else { "s" },
                quantity.name
            ),
            Some(_) => {}
        }
        rows += 1;
    }
    let Some(width) = width else {
        bail!(
            "{file}: no data; expected rows of comma-separated {} in {}",
            quantity.name,
            quantity.unit
        );
    };
    Ok(Table {
        matrix: DMatrix::from_row_slice(rows, width, &values),
        first_line,
    })
}

/// A matrix read from a file, and where its data start (for messages).
pub struct Table {
    /// The values, one row per non-blank line.
    pub matrix: DMatrix<f64>,
    /// Line number (from 1) of the first non-blank line.
    pub first_line: usize,
}

/// The matrix as CSV text: one row per line, values with 17 significant
/// digits (`f64` round-trips exactly), no header.
pub fn to_text(matrix: &DMatrix<f64>) -> String {
    let mut text = String::with_capacity(matrix.len() * 24);
    for r in 0..matrix.nrows() {
        for c in 0..matrix.ncols() {
            if c > 0 {
                text.push(',');
            }
            text.push_str(&format!("{:.16e}", matrix[(r, c)]));
        }
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seventeen_digits_round_trip_exactly() {
        let m = DMatrix::from_row_slice(2, 2, &[1.0 / 3.0, -2.5e-7, 0.0, 1e-300]);
        let text = to_text(&m);
        assert_eq!(text.lines().count(), 2);
        let back: Vec<f64> = text
            .lines()
            .flat_map(|l| l.split(',').map(|v| v.parse::<f64>().unwrap()))
            .collect();
        assert_eq!(back, vec![1.0 / 3.0, -2.5e-7, 0.0, 1e-300]);
        assert!(text.starts_with("3.3333333333333331e-1,"));
    }
}
