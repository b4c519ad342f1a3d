//! Conductances against time or read index (retention, read noise),
//! per device, from a wide or long table.

use super::{Cell, DataError, Table};

/// One device's conductances against a second quantity (time, read index).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The device (column) name.
    pub name: String,
    /// The quantity of the `x` column (e.g. time in s); `None` when the
    /// table has no such column (repeated reads).
    pub x: Vec<Option<f64>>,
    /// Conductances (S).
    pub g: Vec<f64>,
    /// Their lines.
    pub lines: Vec<usize>,
}

/// Series per device from a wide table (an `x` column, then one conductance
/// column per device; other known columns skipped) or a long one
/// (`device`, `x`, `conductance_S`).
///
/// # Errors
/// A missing `x` column (when `x_required`), bad numbers, conductances that
/// are negative or above 1 S, no device column.
pub fn series(
    table: &Table,
    x: &str,
    x_required: bool,
    skip: &[&str],
) -> Result<Vec<Series>, DataError> {
    if table.rows.is_empty() {
        return Err(DataError::file(
            &table.file,
            "no data rows after the header",
        ));
    }
    let xcol = if x_required {
        Some(table.require(x, "one row per measurement")?)
    } else {
        table.find(x)
    };
    let mut out: Vec<Series> = Vec::new();
    if let Some(dcol) = table.find("device") {
        let gcol = match table.find_measured(&["conductance", "resistance", "current"]) {
            Some(c) => c,
            None => table.require("conductance_S", "the long layout has device, conductance_S")?,
        };
        for r in 0..table.rows.len() {
            let name = match &table.rows[r].1[dcol] {
                Cell::Text(t) => t.clone(),
                Cell::Number(v) => format!("{v}"),
                Cell::Empty => {
                    return Err(DataError::cell(
                        &table.file,
                        table.line(r),
                        "device",
                        "expected a device name, found an empty cell",
                    ))
                }
            };
            let Some(g) = table.conductance(r, gcol)? else {
                continue;
            };
            let xv = match xcol {
                Some(c) => Some(table.required_number(r, c, x)?),
                None => None,
            };
            let i = match out.iter().position(|s| s.name == name) {
                Some(i) => i,
                None => {
                    out.push(Series {
                        name,
                        x: Vec::new(),
                        g: Vec::new(),
                        lines: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            out[i].x.push(xv);
            out[i].g.push(g);
            out[i].lines.push(table.line(r));
        }
    } else {
        for col in 0..table.header.len() {
            if Some(col) == xcol
                || skip
                    .iter()
                    .any(|s| table.header[col].eq_ignore_ascii_case(s))
            {
                continue;
            }
            let Some(name) = table.device_column(col)? else {
                continue;
            };
            let mut s = Series {
                name,
                x: Vec::new(),
                g: Vec::new(),
                lines: Vec::new(),
            };
            for r in 0..table.rows.len() {
                if let Some(g) = table.conductance(r, col)? {
                    let xv = match xcol {
                        Some(c) => Some(table.required_number(r, c, x)?),
                        None => None,
                    };
                    s.x.push(xv);
                    s.g.push(g);
                    s.lines.push(table.line(r));
                }
            }
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(DataError::file(
            &table.file,
            "no device columns: expected one conductance column (S) per device",
        ));
    }
    Ok(out)
}
