//! A table assembled from its rows, the one place where both text tables
//! and workbook sheets become a header and rows: title rows above the
//! header are skipped, and a unit row under it is folded into the column
//! names.
//!
//! Lab exports often read
//!
//! ```text
//! LTP/LTD of device A, 2025-03-02      a title: one text cell, a wider row next
//! pulse_voltage_V | dev1 | dev2        the header
//! V               | uS   | uS          a unit row: text only, units
//! 1.2             | 10.1 | 9.8
//! ```
//!
//! and are read as the header `pulse_voltage_V, dev1_uS, dev2_uS`: each unit
//! becomes the suffix that [`ColumnUnit`] reads (a name that already ends
//! in it is left alone). Every row keeps its line, so that errors below a
//! skipped title still name the line of the file.

use super::table::{Cell, ColumnUnit, NOT_A_DEVICE, ROW_COLUMNS, UNITS};
use super::{excerpt, DataError};

/// Units of the row columns (`pulse_voltage_V`, `read_voltage_V`,
/// `time_s`) a unit row may name, beside [`UNITS`]' conductances,
/// resistances and currents.
const ROW_UNITS: &[&str] = &["V", "s"];

/// The units a unit row may hold, for messages.
const UNIT_LIST: &str = "S, mS, uS (µS), nS, pS, ohm (Ω), kohm, Mohm, A, mA, uA, nA, pA, or V and s for voltages and times, optionally in () or []";

/// Columns without a unit: a unit under them is refused.
const UNITLESS: &[&str] = &["pulse", "polarity", "cycle", "index", "device"];

/// The header's line, the column names, and the rows `(line, cells)`.
pub(super) type Assembled = (usize, Vec<String>, Vec<(usize, Vec<Cell>)>);

/// Rows in file order, assembled into a header and data rows.
pub(super) struct Rows<'a> {
    file: &'a str,
    /// One-cell text rows before the header: titles when a wider row with
    /// text follows, else the first is a one-column header.
    pending: Vec<(usize, Vec<Cell>)>,
    /// The header's line and names.
    header: Option<(usize, Vec<String>)>,
    /// Whether a row under the header has been seen.
    seen_row: bool,
    /// The unit row, when there is one.
    units: Option<(usize, Vec<Cell>)>,
    rows: Vec<(usize, Vec<Cell>)>,
}

/// Trailing empty cells dropped.
fn trimmed(mut cells: Vec<Cell>) -> Vec<Cell> {
    while cells.last() == Some(&Cell::Empty) {
        cells.pop();
    }
    cells
}

/// A unit cell's text without blanks and one pair of `()` or `[]`.
fn unit_text(text: &str) -> &str {
    let t = text.trim();
    t.strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .or_else(|| t.strip_prefix('[').and_then(|t| t.strip_suffix(']')))
        .map_or(t, str::trim)
}

/// The conductance, resistance or current unit `unit` names (`uS`).
fn device_unit(unit: &str) -> Option<ColumnUnit> {
    UNITS
        .iter()
        .find(|(suffix, _)| &suffix[1..] == unit)
        .map(|&(_, u)| u)
}

/// Whether `unit` is one a unit row may hold.
fn is_unit(unit: &str) -> bool {
    device_unit(unit).is_some() || ROW_UNITS.contains(&unit)
}

/// A row of text only, at least one cell of it a unit: a unit row.
fn is_unit_row(cells: &[Cell]) -> bool {
    cells
        .iter()
        .all(|c| matches!(c, Cell::Empty | Cell::Text(_)))
        && cells
            .iter()
            .any(|c| matches!(c, Cell::Text(t) if is_unit(unit_text(t))))
}

/// The name of column `name` with the unit row's `unit`: `Ok(None)` to
/// leave it as it is, `Err` what was expected.
fn fold(name: &str, unit: &str) -> Result<Option<String>, String> {
    let u = unit_text(unit);
    if u.is_empty() {
        return Ok(None);
    }
    // The name already ends in it.
    if name.len() > u.len() + 1 && name.ends_with(&format!("_{u}")) {
        return Ok(None);
    }
    if !is_unit(u) {
        return Err(format!(
            "expected a unit in the unit row under the header ({UNIT_LIST}) or an empty cell, found `{}`",
            excerpt(unit.trim())
        ));
    }
    let own = ColumnUnit::of(name)
        .map(|(own, stem)| (Some(own), &name[stem.len() + 1..]))
        .or_else(|| {
            NOT_A_DEVICE
                .iter()
                .find(|s| name.len() > s.len() && name.ends_with(*s))
                .map(|s| (None, &s[1..]))
        });
    if let Some((own, suffix)) = own {
        if own.is_some() && own == device_unit(u) {
            // `_uS` and `µS`, `_ohm` and `Ω`: the same unit.
            return Ok(None);
        }
        return Err(format!(
            "the unit row says `{u}`, the column's name says `{suffix}`: expected `{suffix}` or an empty cell under it (or rename the column)"
        ));
    }
    if UNITLESS.iter().any(|c| name.eq_ignore_ascii_case(c))
        || ROW_COLUMNS.iter().any(|c| name.eq_ignore_ascii_case(c))
    {
        return Err(format!(
            "a column without a unit: expected an empty cell under it in the unit row, found `{}`",
            excerpt(unit.trim())
        ));
    }
    Ok(Some(format!("{name}_{u}")))
}

impl<'a> Rows<'a> {
    pub(super) fn new(file: &'a str) -> Self {
        Rows {
            file,
            pending: Vec::new(),
            header: None,
            seen_row: false,
            units: None,
            rows: Vec::new(),
        }
    }

    /// The next non-blank row, on line `line`; `text` gives its cells'
    /// text (called only when the row is the header).
    ///
    /// # Errors
    /// A row longer than the header.
    pub(super) fn push(
        &mut self,
        line: usize,
        cells: Vec<Cell>,
        text: impl FnOnce() -> Vec<String>,
    ) -> Result<(), DataError> {
        let cells = trimmed(cells);
        if cells.is_empty() {
            return Ok(());
        }
        if self.header.is_some() {
            return self.row(line, cells);
        }
        let filled = cells.iter().filter(|c| **c != Cell::Empty).count();
        let text_cells = cells.iter().any(|c| matches!(c, Cell::Text(_)));
        if filled == 1 && text_cells {
            self.pending.push((line, cells));
            return Ok(());
        }
        if self.pending.is_empty() || text_cells {
            // The pending rows (if any) were titles.
            self.pending.clear();
            let mut names: Vec<String> = text().into_iter().map(|t| t.trim().to_string()).collect();
            while names.last().is_some_and(String::is_empty) {
                names.pop();
            }
            self.header = Some((line, names));
            return Ok(());
        }
        // Numbers after one-cell rows: the first was a one-column header.
        self.promote()?;
        self.row(line, cells)
    }

    /// The first pending row as the header, the others as rows.
    fn promote(&mut self) -> Result<(), DataError> {
        let mut pending = std::mem::take(&mut self.pending).into_iter();
        if let Some((line, cells)) = pending.next() {
            let names = cells
                .iter()
                .map(|c| match c {
                    Cell::Text(t) => t.clone(),
                    Cell::Number(x) => x.to_string(),
                    Cell::Empty => String::new(),
                })
                .collect();
            self.header = Some((line, names));
        }
        for (line, cells) in pending {
            self.row(line, cells)?;
        }
        Ok(())
    }

    /// A row under the header.
    fn row(&mut self, line: usize, mut cells: Vec<Cell>) -> Result<(), DataError> {
        let width = self.header.as_ref().map_or(0, |(_, h)| h.len());
        if cells.len() > width {
            return Err(DataError {
                file: self.file.to_string(),
                line: Some(line),
                column: None,
                message: format!(
                    "expected at most {width} cells as in the header, found {}",
                    cells.len()
                ),
            });
        }
        cells.resize(width, Cell::Empty);
        let first = !self.seen_row;
        self.seen_row = true;
        if first && is_unit_row(&cells) {
            self.units = Some((line, cells));
        } else {
            self.rows.push((line, cells));
        }
        Ok(())
    }

    /// The header's line, the column names (with the unit row's units),
    /// and the rows.
    ///
    /// # Errors
    /// No header (an empty file), a unit that is not one, or that
    /// contradicts its column's name (located at the unit row).
    pub(super) fn finish(mut self, empty: &str) -> Result<Assembled, DataError> {
        if self.header.is_none() {
            self.promote()?;
        }
        let Some((line, mut header)) = self.header else {
            return Err(DataError::file(self.file, empty));
        };
        if let Some((unit_line, units)) = &self.units {
            for (name, unit) in header.iter_mut().zip(units) {
                let Cell::Text(unit) = unit else { continue };
                match fold(name, unit) {
                    Ok(Some(folded)) => *name = folded,
                    Ok(None) => {}
                    Err(message) => {
                        return Err(DataError::cell(self.file, *unit_line, name, message))
                    }
                }
            }
        }
        Ok((line, header, self.rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_fold_into_the_names_the_column_units_read() {
        assert_eq!(fold("dev1", "uS"), Ok(Some("dev1_uS".into())));
        assert_eq!(fold("dev1", " (µS) "), Ok(Some("dev1_µS".into())));
        assert_eq!(fold("cell", "[kΩ]"), Ok(Some("cell_kΩ".into())));
        assert_eq!(
            fold("pulse_voltage", "V"),
            Ok(Some("pulse_voltage_V".into()))
        );
        assert_eq!(fold("pulse_voltage_V", "V"), Ok(None));
        assert_eq!(fold("time_s", "(s)"), Ok(None));
        assert_eq!(fold("dev1_uS", "µS"), Ok(None));
        assert_eq!(fold("dev1", ""), Ok(None));
        assert!(fold("dev1_uS", "nS").unwrap_err().contains("says `uS`"));
        assert!(fold("pulse_voltage_V", "uS")
            .unwrap_err()
            .contains("expected `V`"));
        assert!(fold("polarity", "V")
            .unwrap_err()
            .contains("without a unit"));
        assert!(fold("dev1", "furlongs")
            .unwrap_err()
            .contains("found `furlongs`"));
        // Case matters: `us` is microseconds, not microsiemens.
        assert!(fold("dev1", "us").is_err());
    }

    #[test]
    fn a_unit_row_is_text_with_a_unit_in_it() {
        let t = |s: &str| Cell::Text(s.into());
        assert!(is_unit_row(&[Cell::Empty, t("uS"), t("(uS)")]));
        assert!(is_unit_row(&[t("V"), t("furlongs")]));
        assert!(!is_unit_row(&[t("V"), Cell::Number(1.0)]));
        assert!(!is_unit_row(&[t("Pulse voltage"), t("device one")]));
    }
}
