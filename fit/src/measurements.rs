//! Measurement files: CSV, TSV and Excel `.xlsx` tables, and the pulse-train
//! layouts read from them.
//!
//! A table is a header row (column names, units in the names) and rows of
//! numbers; an empty cell means "not measured". CSV and TSV are read with the
//! `csv` crate (lines starting with `#` are comments: put the data's
//! attribution there), `.xlsx`/`.xlsm`/`.xls`/`.ods` with `calamine` (the
//! first worksheet). Every value keeps its location, so that an error names
//! the file, the line (the spreadsheet row) and the column.
//!
//! ## Pulse trains
//! * **wide**: a `pulse_voltage_V` column whose sign marks potentiation (+)
//!   or depression (−), or a `polarity` column of ±1; an optional
//!   `read_voltage_V` column; every other column holds one device's
//!   conductance (S) after the pulse of its row, rows in time order.
//! * **long**: columns `device`, `pulse`, `polarity`, `conductance_S` and an
//!   optional `cycle`; each device's rows are ordered by (`cycle`, `pulse`).
//!
//! Each pair of consecutive measured points of a device is one **step**,
//! caused by the pulse of the later point (its polarity). A polarity change
//! starts a new half-cycle.
//!
//! ```
//! use xbar_fit::measurements::{PulseData, Table};
//!
//! let text = "pulse_voltage_V,dev1\n1.2,1e-6\n1.2,1.5e-6\n-1.2,1.2e-6\n";
//! let table = Table::from_csv_text("data.csv", text, b',').unwrap();
//! let data = PulseData::from_table(&table).unwrap();
//! assert_eq!(data.devices[0].steps.len(), 2);
//! assert_eq!(data.devices[0].steps[1].polarity, -1);
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

/// An error in a measurement file or fit: the file, where in it, and what was
/// expected. Displays as one line, `file:line: column `c`: message`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct DataError {
    /// The file as the user named it.
    pub file: String,
    /// 1-based line (or spreadsheet row), when the error has one.
    pub line: Option<usize>,
    /// The column, when the error has one.
    pub column: Option<String>,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": ")?;
        if let Some(column) = &self.column {
            write!(f, "column `{column}`: ")?;
        }
        write!(f, "{}", self.message)
    }
}

impl DataError {
    /// An error about the whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// An error about a column.
    pub fn column(file: &str, column: &str, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line: None,
            column: Some(column.to_string()),
            message: message.into(),
        }
    }

    /// An error about one cell.
    pub fn cell(file: &str, line: usize, column: &str, message: impl Into<String>) -> Self {
        DataError {
            file: file.to_string(),
            line: Some(line),
            column: Some(column.to_string()),
            message: message.into(),
        }
    }
}

/// One cell of a table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Not measured.
    Empty,
    /// A number (spreadsheet numbers, or text that parses as one).
    Number(f64),
    /// Text that is not a number.
    Text(String),
}

/// A table read from a file: header and rows, each row with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file as the user named it.
    pub file: String,
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// `(line, cells)`, cells padded to the header's length.
    pub rows: Vec<(usize, Vec<Cell>)>,
}

fn parse_cell(text: &str) -> Cell {
    let t = text.trim();
    if t.is_empty() {
        Cell::Empty
    } else {
        match t.parse::<f64>() {
            Ok(x) => Cell::Number(x),
            Err(_) => Cell::Text(t.to_string()),
        }
    }
}

impl Table {
    /// Reads a file by its extension: `.xlsx`, `.xlsm`, `.xls`, `.ods`
    /// through calamine (first worksheet), `.tsv`/`.tab` as tab-separated,
    /// anything else as CSV (tab-separated when the header has tabs and no
    /// commas).
    ///
    /// # Errors
    /// Unreadable file, empty file, no header, rows longer than the header.
    pub fn read(path: &Path) -> Result<Table, DataError> {
        let name = path.display().to_string();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        if matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "xlsb" | "ods") {
            return Self::read_spreadsheet(path, &name);
        }
        let bytes =
            std::fs::read(path).map_err(|e| DataError::file(&name, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| DataError::file(&name, "expected a UTF-8 text table (CSV or TSV)"))?;
        let delimiter = if matches!(ext.as_str(), "tsv" | "tab") {
            b'\t'
        } else {
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .unwrap_or("");
            if first.contains('\t') && !first.contains(',') {
                b'\t'
            } else {
                b','
            }
        };
        Self::from_csv_text(&name, &text, delimiter)
    }

    /// Parses delimited text (`file` names it in errors).
    ///
    /// # Errors
    /// Empty text, no header, a row with more cells than the header.
    pub fn from_csv_text(file: &str, text: &str, delimiter: u8) -> Result<Table, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for record in reader.records() {
            let record = record.map_err(|e| {
                let line = e.position().map(|p| p.line() as usize);
                DataError {
                    file: file.to_string(),
                    line,
                    column: None,
                    message: format!("not a valid delimited table: {e}"),
                }
            })?;
            let line = record.position().map_or(0, |p| p.line() as usize);
            if record.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            match &header {
                None => header = Some(record.iter().map(|c| c.trim().to_string()).collect()),
                Some(h) => {
                    if record.len() > h.len() {
                        return Err(DataError {
                            file: file.to_string(),
                            line: Some(line),
                            column: None,
                            message: format!(
                                "expected at most {} cells as in the header, found {}",
                                h.len(),
                                record.len()
                            ),
                        });
                    }
                    let mut cells: Vec<Cell> = record.iter().map(parse_cell).collect();
                    cells.resize(h.len(), Cell::Empty);
                    rows.push((line, cells));
                }
            }
        }
        let Some(header) = header else {
            return Err(DataError::file(
                file,
                "empty file: expected a header row of column names and rows of values",
            ));
        };
        Self::new(file, header, rows)
    }

    fn new(
        file: &str,
        header: Vec<String>,
        rows: Vec<(usize, Vec<Cell>)>,
    ) -> Result<Table, DataError> {
        for (i, name) in header.iter().enumerate() {
            if name.is_empty() {
                return Err(DataError {
                    file: file.to_string(),
                    line: None,
                    column: None,
                    message: format!("header cell {} is empty: expected a column name", i + 1),
                });
            }
            if header[..i].contains(name) {
                return Err(DataError::column(file, name, "appears twice in the header"));
            }
        }
        Ok(Table {
            file: file.to_string(),
            header,
            rows,
        })
    }

    fn read_spreadsheet(path: &Path, name: &str) -> Result<Table, DataError> {
        use calamine::{open_workbook_auto, Data, Reader};
        let mut book = open_workbook_auto(path)
            .map_err(|e| DataError::file(name, format!("cannot read the spreadsheet: {e}")))?;
        let sheets = book.sheet_names();
        let Some(first) = sheets.first().cloned() else {
            return Err(DataError::file(
                name,
                "empty file: the workbook has no sheet",
            ));
        };
        let range = book
            .worksheet_range(&first)
            .map_err(|e| DataError::file(name, format!("cannot read sheet `{first}`: {e}")))?;
        let (row0, _) = range.start().unwrap_or((0, 0));
        let mut header: Option<Vec<String>> = None;
        let mut rows = Vec::new();
        for (i, row) in range.rows().enumerate() {
            let line = row0 as usize + i + 1;
            let cells: Vec<Cell> = row
                .iter()
                .map(|d| match d {
                    Data::Empty => Cell::Empty,
                    Data::Float(x) => Cell::Number(*x),
                    Data::Int(x) => Cell::Number(*x as f64),
                    Data::Bool(b) => Cell::Text(b.to_string()),
                    Data::String(s) => parse_cell(s),
                    other => Cell::Text(other.to_string()),
                })
                .collect();
            if cells.iter().all(|c| *c == Cell::Empty) {
                continue;
            }
            if let Some(Cell::Text(t)) = cells.first() {
                if t.starts_with('#') {
                    continue;
                }
            }
            match &header {
                None => {
                    let mut h: Vec<String> = row
                        .iter()
                        .map(|d| d.to_string().trim().to_string())
                        .collect();
                    while h.last().is_some_and(|s| s.is_empty()) {
                        h.pop();
                    }
                    header = Some(h);
                }
                Some(h) => {
                    let mut cells = cells;
                    while cells.len() > h.len() && cells.last() == Some(&Cell::Empty) {
                        cells.pop();
                    }
                    if cells.len() > h.len() {
                        return Err(DataError {
                            file: name.to_string(),
                            line: Some(line),
                            column: None,
                            message: format!(
                                "expected at most {} cells as in the header, found {}",
                                h.len(),
                                cells.len()
                            ),
                        });
                    }
                    cells.resize(h.len(), Cell::Empty);
                    rows.push((line, cells));
                }
            }
        }
        let Some(header) = header else {
            return Err(DataError::file(
                name,
                "empty file: expected a header row of column names and rows of values",
            ));
        };
        Self::new(name, header, rows)
    }

    /// Index of a column by name (case-insensitive).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(name))
    }

    /// Index of a required column, or an error naming what is expected.
    ///
    /// # Errors
    /// The column is missing.
    pub fn require(&self, name: &str, what: &str) -> Result<usize, DataError> {
        self.find(name).ok_or_else(|| {
            DataError::column(
                &self.file,
                name,
                format!(
                    "missing: expected a `{name}` column ({what}); found columns {}",
                    self.header.join(", ")
                ),
            )
        })
    }

    /// The finite number in row `row`, column `col`; `None` when empty.
    ///
    /// # Errors
    /// Text, NaN or infinity in the cell.
    pub fn number(&self, row: usize, col: usize, what: &str) -> Result<Option<f64>, DataError> {
        let (line, cells) = &self.rows[row];
        match &cells[col] {
            Cell::Empty => Ok(None),
            Cell::Number(x) if x.is_finite() => Ok(Some(*x)),
            Cell::Number(x) => Err(DataError::cell(
                &self.file,
                *line,
                &self.header[col],
                format!("expected {what} (a finite number), found {x}"),
            )),
            Cell::Text(t) => Err(DataError::cell(
                &self.file,
                *line,
                &self.header[col],
                format!("expected {what} (a number), found `{t}`"),
            )),
        }
    }

    /// Like [`Table::number`] but the cell must not be empty.
    ///
    /// # Errors
    /// Empty cell, text, NaN or infinity.
    pub fn required_number(&self, row: usize, col: usize, what: &str) -> Result<f64, DataError> {
        self.number(row, col, what)?.ok_or_else(|| {
            DataError::cell(
                &self.file,
                self.rows[row].0,
                &self.header[col],
                format!("expected {what}, found an empty cell"),
            )
        })
    }

    /// A conductance in S (`None` when empty): finite, ≥ 0 and ≤ 1 S.
    ///
    /// # Errors
    /// Text, NaN, a negative value, or a value above 1 S (not siemens).
    pub fn conductance(&self, row: usize, col: usize) -> Result<Option<f64>, DataError> {
        let Some(g) = self.number(row, col, "a conductance in S")? else {
            return Ok(None);
        };
        let line = self.rows[row].0;
        let column = &self.header[col];
        if g < 0.0 {
            return Err(DataError::cell(
                &self.file,
                line,
                column,
                format!("negative conductance {g}: expected a conductance ≥ 0 S"),
            ));
        }
        if g > 1.0 {
            return Err(DataError::cell(
                &self.file,
                line,
                column,
                format!(
                    "conductance {g} is above 1 S: expected siemens (convert µS or mS to S, or name the unit in the column)"
                ),
            ));
        }
        Ok(Some(g))
    }

    /// The line of row `row`.
    pub fn line(&self, row: usize) -> usize {
        self.rows[row].0
    }
}

/// One step: the conductance before and after one pulse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    /// Conductance before the pulse (S).
    pub g0: f64,
    /// Conductance after the pulse (S).
    pub g1: f64,
    /// +1 potentiation, −1 depression.
    pub polarity: i8,
    /// The line of the point after the pulse.
    pub line: usize,
}

/// One measured point of a device in time order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// Pulse index within the device's record, from 0.
    pub pulse: usize,
    /// Conductance after the pulse (S).
    pub g: f64,
    /// The pulse's polarity.
    pub polarity: i8,
    /// Line in the file.
    pub line: usize,
}

/// One device's pulse train.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceTrain {
    /// The device's name (its column in a wide table).
    pub name: String,
    /// Measured points in time order.
    pub points: Vec<Point>,
    /// Consecutive measured pairs.
    pub steps: Vec<Step>,
}

impl DeviceTrain {
    /// Number of half-cycles (runs of one polarity).
    pub fn half_cycles(&self) -> usize {
        let mut n = 0;
        let mut last = 0i8;
        for p in &self.points {
            if p.polarity != last {
                n += 1;
                last = p.polarity;
            }
        }
        n
    }
}

/// Pulse trains of several devices from one file.
#[derive(Debug, Clone, PartialEq)]
pub struct PulseData {
    /// The file as the user named it.
    pub file: String,
    /// `"wide"` or `"long"`.
    pub layout: &'static str,
    /// One entry per device, in file order.
    pub devices: Vec<DeviceTrain>,
}

fn polarity_of(table: &Table, row: usize, col: usize, voltage: bool) -> Result<i8, DataError> {
    let what = if voltage {
        "a pulse voltage in V"
    } else {
        "a polarity of +1 or -1"
    };
    let v = table.required_number(row, col, what)?;
    if voltage {
        if v == 0.0 {
            return Err(DataError::cell(
                &table.file,
                table.line(row),
                &table.header[col],
                "expected a nonzero pulse voltage (its sign is the polarity), found 0",
            ));
        }
        Ok(if v > 0.0 { 1 } else { -1 })
    } else if v == 1.0 || v == -1.0 {
        Ok(v as i8)
    } else {
        Err(DataError::cell(
            &table.file,
            table.line(row),
            &table.header[col],
            format!("expected a polarity of +1 or -1, found {v}"),
        ))
    }
}

impl PulseData {
    /// Reads a pulse-train file (wide or long layout, by its columns).
    ///
    /// # Errors
    /// See [`PulseData::from_table`] and [`Table::read`].
    pub fn read(path: &Path) -> Result<PulseData, DataError> {
        Self::from_table(&Table::read(path)?)
    }

    /// Interprets a table: long when it has a `device` column, else wide.
    ///
    /// # Errors
    /// A missing column, text or a non-finite value, a negative conductance
    /// or one above 1 S, fewer than two rows.
    pub fn from_table(table: &Table) -> Result<PulseData, DataError> {
        if table.rows.is_empty() {
            return Err(DataError::file(
                &table.file,
                "no data rows after the header: expected one row per pulse",
            ));
        }
        if table.rows.len() == 1 {
            return Err(DataError {
                file: table.file.clone(),
                line: Some(table.line(0)),
                column: None,
                message: "a single measured point: expected a pulse train (one row per pulse, several pulses of each polarity)".into(),
            });
        }
        let data = if table.find("device").is_some() {
            Self::long(table)?
        } else {
            Self::wide(table)?
        };
        if data.devices.is_empty() {
            return Err(DataError::file(
                &table.file,
                "no device columns: expected one conductance column (S) per device after pulse_voltage_V",
            ));
        }
        Ok(data)
    }

    fn wide(table: &Table) -> Result<PulseData, DataError> {
        let (pcol, voltage) = match (table.find("pulse_voltage_V"), table.find("polarity")) {
            (Some(c), _) => (c, true),
            (None, Some(c)) => (c, false),
            (None, None) => {
                return Err(DataError::column(
                    &table.file,
                    "pulse_voltage_V",
                    format!(
                        "missing: expected a `pulse_voltage_V` column (sign: + potentiation, − depression), a `polarity` column of ±1, or a long table with `device`, `pulse`, `polarity`, `conductance_S`; found columns {}",
                        table.header.join(", ")
                    ),
                ))
            }
        };
        let skip: Vec<usize> = [
            Some(pcol),
            table.find("read_voltage_V"),
            table.find("pulse"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut polarity = Vec::with_capacity(table.rows.len());
        for r in 0..table.rows.len() {
            polarity.push(polarity_of(table, r, pcol, voltage)?);
        }
        let mut devices = Vec::new();
        for col in 0..table.header.len() {
            if skip.contains(&col) {
                continue;
            }
            let mut points = Vec::new();
            for (r, &pol) in polarity.iter().enumerate() {
                if let Some(g) = table.conductance(r, col)? {
                    points.push(Point {
                        pulse: r,
                        g,
                        polarity: pol,
                        line: table.line(r),
                    });
                }
            }
            devices.push(train(table.header[col].clone(), points));
        }
        Ok(PulseData {
            file: table.file.clone(),
            layout: "wide",
            devices,
        })
    }

    fn long(table: &Table) -> Result<PulseData, DataError> {
        let what = "the long layout has device, pulse, polarity, conductance_S";
        let dcol = table.require("device", what)?;
        let pcol = table.require("pulse", what)?;
        let polcol = table.require("polarity", what)?;
        let gcol = table.require("conductance_S", what)?;
        let ccol = table.find("cycle");
        // device → [(cycle, pulse, g, polarity, line)]
        let mut order: Vec<String> = Vec::new();
        let mut by_device: BTreeMap<String, Vec<LongRow>> = BTreeMap::new();
        for r in 0..table.rows.len() {
            let line = table.line(r);
            let name = match &table.rows[r].1[dcol] {
                Cell::Empty => {
                    return Err(DataError::cell(
                        &table.file,
                        line,
                        "device",
                        "expected a device name, found an empty cell",
                    ))
                }
                Cell::Number(x) => format!("{x}"),
                Cell::Text(t) => t.clone(),
            };
            let pulse = table.required_number(r, pcol, "a pulse index")?;
            if pulse.fract() != 0.0 || pulse < 0.0 {
                return Err(DataError::cell(
                    &table.file,
                    line,
                    &table.header[pcol],
                    format!("expected a pulse index (an integer ≥ 0), found {pulse}"),
                ));
            }
            let cycle = match ccol {
                Some(c) => table.required_number(r, c, "a cycle number")? as i64,
                None => 0,
            };
            let pol = polarity_of(table, r, polcol, false)?;
            let Some(g) = table.conductance(r, gcol)? else {
                continue;
            };
            if !by_device.contains_key(&name) {
                order.push(name.clone());
            }
            by_device
                .entry(name)
                .or_default()
                .push((cycle, pulse as i64, g, pol, line));
        }
        let mut devices = Vec::new();
        for name in order {
            let mut rows = by_device.remove(&name).unwrap_or_default();
            rows.sort_by_key(|&(c, p, _, _, _)| (c, p));
            let mut points = Vec::with_capacity(rows.len());
            let mut index = 0usize;
            let mut previous: Option<(i64, i64)> = None;
            for (c, p, g, pol, line) in rows {
                if let Some((pc, pp)) = previous {
                    if pc == c && p == pp {
                        return Err(DataError::cell(
                            &table.file,
                            line,
                            &table.header[pcol],
                            format!("pulse {p} of device `{name}` appears twice in cycle {c}"),
                        ));
                    }
                    // A skipped pulse number within a cycle is a gap.
                    index += if pc == c { (p - pp) as usize } else { 1 };
                }
                previous = Some((c, p));
                points.push(Point {
                    pulse: index,
                    g,
                    polarity: pol,
                    line,
                });
            }
            devices.push(train(name, points));
        }
        Ok(PulseData {
            file: table.file.clone(),
            layout: "long",
            devices,
        })
    }
}

/// `(cycle, pulse, conductance, polarity, line)` of one long-layout row.
type LongRow = (i64, i64, f64, i8, usize);

fn train(name: String, points: Vec<Point>) -> DeviceTrain {
    let steps = points
        .windows(2)
        .filter(|w| w[1].pulse == w[0].pulse + 1)
        .map(|w| Step {
            g0: w[0].g,
            g1: w[1].g,
            polarity: w[1].polarity,
            line: w[1].line,
        })
        .collect();
    DeviceTrain {
        name,
        points,
        steps,
    }
}

/// SHA-256 of a file's bytes, lower-case hex.
///
/// # Errors
/// The file cannot be read.
pub fn sha256_file(path: &Path) -> Result<String, DataError> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path)
        .map_err(|e| DataError::file(&path.display().to_string(), format!("cannot read: {e}")))?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_table_with_gaps_makes_steps_only_between_measured_neighbours() {
        let text = "pulse_voltage_V,read_voltage_V,a,b\n1,0.1,1e-6,2e-6\n1,0.1,2e-6,\n-1,0.1,1.5e-6,3e-6\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let d = PulseData::from_table(&t).unwrap();
        assert_eq!(d.devices.len(), 2);
        assert_eq!(d.devices[0].steps.len(), 2);
        assert_eq!(d.devices[1].steps.len(), 0);
        assert_eq!(d.devices[0].steps[0].line, 3);
        assert_eq!(d.devices[0].half_cycles(), 2);
    }

    #[test]
    fn text_in_a_value_is_located() {
        let text = "polarity,a\n1,1e-6\n1,oops\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let e = PulseData::from_table(&t).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert_eq!(e.column.as_deref(), Some("a"));
        assert!(e.to_string().starts_with("x.csv:3: column `a`:"), "{e}");
    }

    #[test]
    fn long_table_orders_by_cycle_then_pulse() {
        let text = "device,cycle,pulse,polarity,conductance_S\nd,1,0,-1,3e-6\nd,0,1,1,2e-6\nd,0,0,1,1e-6\nd,1,1,-1,2.5e-6\n";
        let t = Table::from_csv_text("x.csv", text, b',').unwrap();
        let d = PulseData::from_table(&t).unwrap();
        let g: Vec<f64> = d.devices[0].points.iter().map(|p| p.g).collect();
        assert_eq!(g, vec![1e-6, 2e-6, 3e-6, 2.5e-6]);
        assert_eq!(d.devices[0].steps.len(), 3);
        assert_eq!(d.devices[0].steps[1].polarity, -1);
    }
}

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
        let gcol = table.require("conductance_S", "the long layout has device, conductance_S")?;
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
            let mut s = Series {
                name: table.header[col].clone(),
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
