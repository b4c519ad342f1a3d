//! Tables from CSV, TSV and spreadsheet files: a header and located cells.

use std::path::Path;

use calamine::Data;

use super::rows::Rows;
use super::{excerpt, DataError};

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

/// What a column's values measure, by the unit its name ends in
/// (`dev1_uS`, `cell_kohm`, `read_current_nA`), with the factor to the SI
/// unit. A name with none of these suffixes holds conductances in S.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ColumnUnit {
    /// Conductance; value × factor = S.
    Conductance(f64),
    /// Resistance; value × factor = Ω, the conductance its inverse.
    Resistance(f64),
    /// Read current; value × factor = A, the conductance `I/V_read` with the
    /// row's `read_voltage_V`.
    Current(f64),
}

/// Unit suffixes of conductance, resistance and current columns.
pub(super) const UNITS: &[(&str, ColumnUnit)] = &[
    ("_S", ColumnUnit::Conductance(1.0)),
    ("_mS", ColumnUnit::Conductance(1e-3)),
    ("_uS", ColumnUnit::Conductance(1e-6)),
    ("_µS", ColumnUnit::Conductance(1e-6)),
    ("_μS", ColumnUnit::Conductance(1e-6)),
    ("_nS", ColumnUnit::Conductance(1e-9)),
    ("_pS", ColumnUnit::Conductance(1e-12)),
    ("_ohm", ColumnUnit::Resistance(1.0)),
    ("_Ohm", ColumnUnit::Resistance(1.0)),
    ("_Ω", ColumnUnit::Resistance(1.0)),
    ("_kohm", ColumnUnit::Resistance(1e3)),
    ("_kOhm", ColumnUnit::Resistance(1e3)),
    ("_kΩ", ColumnUnit::Resistance(1e3)),
    ("_Mohm", ColumnUnit::Resistance(1e6)),
    ("_MOhm", ColumnUnit::Resistance(1e6)),
    ("_MΩ", ColumnUnit::Resistance(1e6)),
    ("_A", ColumnUnit::Current(1.0)),
    ("_mA", ColumnUnit::Current(1e-3)),
    ("_uA", ColumnUnit::Current(1e-6)),
    ("_µA", ColumnUnit::Current(1e-6)),
    ("_μA", ColumnUnit::Current(1e-6)),
    ("_nA", ColumnUnit::Current(1e-9)),
    ("_pA", ColumnUnit::Current(1e-12)),
];

impl ColumnUnit {
    /// The unit `name` ends in and the name without it; `None` when it
    /// ends in none (case matters: `_mS` is millisiemens, `_ms` is not a
    /// conductance).
    ///
    /// ```
    /// use xbar_fit::measurements::ColumnUnit;
    /// assert_eq!(ColumnUnit::of("dev1_uS"), Some((ColumnUnit::Conductance(1e-6), "dev1")));
    /// assert_eq!(ColumnUnit::of("cell_kohm"), Some((ColumnUnit::Resistance(1e3), "cell")));
    /// assert_eq!(ColumnUnit::of("dev1"), None);
    /// ```
    pub fn of(name: &str) -> Option<(ColumnUnit, &str)> {
        UNITS.iter().find_map(|&(suffix, unit)| {
            name.strip_suffix(suffix)
                .filter(|stem| !stem.is_empty())
                .map(|stem| (unit, stem))
        })
    }
}

/// Columns of a wide table that describe its rows, not a device: skipped
/// when devices are read from the other columns.
pub const ROW_COLUMNS: &[&str] = &[
    "pulse",
    "polarity",
    "cycle",
    "index",
    "time_s",
    "read_voltage_V",
    "pulse_voltage_V",
    "pulse_width_s",
    "temperature_K",
];

/// Unit suffixes of quantities that are not a device's conductance.
pub(super) const NOT_A_DEVICE: &[&str] = &[
    "_V", "_mV", "_s", "_ms", "_us", "_ns", "_K", "_Hz", "_W", "_J",
];

/// A table read from a file: header and rows, each row with its line.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The file as the user named it; for a workbook with the sheet that
    /// was read, `lab.xlsx (sheet `Data`)`, so that every error names it.
    pub file: String,
    /// The workbook's sheet that was read; `None` for a text table.
    pub sheet: Option<String>,
    /// The workbook's other sheets with cells, when no sheet was named and
    /// the first with cells was read (named by [`Table::sheet_note`]).
    pub other_sheets: Vec<String>,
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

/// A spreadsheet value as a cell.
fn cell_of(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::Float(x) => Cell::Number(*x),
        Data::Int(x) => Cell::Number(*x as f64),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::String(s) => parse_cell(s),
        other => Cell::Text(other.to_string()),
    }
}

/// Line numbers from byte offsets, counted once through the text.
struct Lines<'a> {
    text: &'a str,
    /// A byte offset already counted, and its line.
    at: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text,
            at: 0,
            line: 1,
        }
    }

    /// The line a record starting at byte `start` begins on: past the
    /// blank and comment lines (and a `\n` ending a `\r\n`) that the
    /// reader skipped before it. Offsets come in increasing order.
    fn of(&mut self, start: usize) -> usize {
        let bytes = self.text.as_bytes();
        let mut at = start.min(bytes.len());
        loop {
            let end = bytes[at..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(bytes.len(), |i| at + i);
            let line = &bytes[at..end];
            let skipped = line.iter().all(u8::is_ascii_whitespace) || line.first() == Some(&b'#');
            if skipped && end < bytes.len() {
                at = end + 1;
            } else {
                break;
            }
        }
        if at < self.at {
            // Not in order (not expected): count from the start.
            self.at = 0;
            self.line = 1;
        }
        self.line += bytes[self.at..at].iter().filter(|&&b| b == b'\n').count();
        self.at = at;
        self.line
    }
}

/// Extensions of the workbooks read through calamine.
pub const WORKBOOK_EXTENSIONS: &[&str] = &["xlsx", "xlsm", "xls", "xlsb", "ods"];

/// Whether `path` names a workbook (by its extension, as [`Table::read`]
/// reads it), not a text table.
pub fn is_workbook(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| WORKBOOK_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// `lab.xlsx (sheet `Data`)`: a workbook's sheet where errors name a file.
fn sheet_label(file: &str, sheet: &str) -> String {
    format!("{file} (sheet `{}`)", excerpt(sheet))
}

/// Sheet names as `` `A`, `B` ``.
fn sheet_list(sheets: &[String]) -> String {
    sheets
        .iter()
        .map(|s| format!("`{}`", excerpt(s)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// How the note of [`with_sheet_note`] ends.
const SHEET_NOTE_END: &str = ": --sheet NAME, or sheet= in Python, reads another)";

/// `e` with the sheets that were not read, when `file` (a workbook's
/// label) was the first of several sheets with cells.
fn with_sheet_note(e: DataError, file: &str, sheet: &str, others: &[String]) -> DataError {
    if others.is_empty() || e.file != file || e.message.ends_with(SHEET_NOTE_END) {
        return e;
    }
    DataError {
        message: format!(
            "{} (sheet `{}` was read, the first with cells; the workbook also has {}{SHEET_NOTE_END}",
            e.message,
            excerpt(sheet),
            sheet_list(others)
        ),
        ..e
    }
}

/// Empty-table message.
const EMPTY: &str = "empty file: expected a header row of column names and rows of values";

impl Table {
    /// Reads a file by its extension: `.xlsx`, `.xlsm`, `.xls`, `.xlsb`,
    /// `.ods` through calamine (the first sheet with cells), `.tsv`/`.tab`
    /// as tab-separated, anything else as CSV (tab-separated when the
    /// header has tabs and no commas, semicolon-separated with decimal
    /// commas allowed when it has semicolons and no commas). Title rows
    /// above the header and a unit row under it are read as the module
    /// [`crate::measurements`] says.
    ///
    /// # Errors
    /// Unreadable file, empty file, no header, rows longer than the header,
    /// a unit row with a cell that is not a unit or contradicts its column.
    pub fn read(path: &Path) -> Result<Table, DataError> {
        Self::read_sheet(path, None)
    }

    /// [`Table::read`], a workbook's sheet `sheet` when it is `Some`
    /// (text tables have one table: `sheet` is ignored for them). Without
    /// a sheet, a workbook's first sheet with cells is read, and when
    /// others have cells too, [`Table::other_sheets`] names them.
    ///
    /// # Errors
    /// Those of [`Table::read`]; a workbook without the sheet `sheet`
    /// (the error lists its sheets).
    pub fn read_sheet(path: &Path, sheet: Option<&str>) -> Result<Table, DataError> {
        let name = path.display().to_string();
        if is_workbook(path) {
            return Self::read_workbook(path, &name, sheet);
        }
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        let bytes =
            std::fs::read(path).map_err(|e| DataError::file(&name, format!("cannot read: {e}")))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| DataError::file(&name, "expected a UTF-8 text table (CSV or TSV)"))?;
        let delimiter = if matches!(ext.as_str(), "tsv" | "tab") {
            b'\t'
        } else {
            // The first line with a delimiter in it: a title line above
            // the header has none (or is padded with the delimiter).
            let first = text
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .find(|l| l.contains([',', ';', '\t']))
                .unwrap_or("");
            if first.contains('\t') && !first.contains(',') {
                b'\t'
            } else if first.contains(';') && !first.contains(',') {
                // A European spreadsheet's CSV: `;` between cells, and
                // perhaps a decimal comma (read by `from_csv_text`).
                b';'
            } else {
                b','
            }
        };
        Self::from_csv_text(&name, &text, delimiter)
    }

    /// Parses delimited text (`file` names it in errors). Every row keeps
    /// the line it starts on, counted from the bytes (`\n`, `\r\n`,
    /// blank and comment lines, line breaks inside quoted cells). Empty
    /// cells at the end of a row are dropped (spreadsheet exports pad rows
    /// to the widest).
    ///
    /// # Errors
    /// Empty text, no header, a row with more cells than the header, a bad
    /// unit row.
    pub fn from_csv_text(file: &str, text: &str, delimiter: u8) -> Result<Table, DataError> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .comment(Some(b'#'))
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let mut lines = Lines::new(text);
        let mut rows = Rows::new(file);
        for record in reader.records() {
            let record = record.map_err(|e| DataError {
                file: file.to_string(),
                line: e.position().map(|p| lines.of(p.byte() as usize)),
                column: None,
                message: format!("not a valid delimited table: {}", excerpt(&e.to_string())),
            })?;
            let line = record.position().map_or(0, |p| lines.of(p.byte() as usize));
            let cells: Vec<Cell> = record
                .iter()
                .map(|text| match parse_cell(text) {
                    // `1,5e-6`: a decimal comma, where `;` separates cells.
                    Cell::Text(t)
                        if delimiter == b';' && t.matches(',').count() == 1 && !t.contains('.') =>
                    {
                        parse_cell(&t.replace(',', "."))
                    }
                    cell => cell,
                })
                .collect();
            rows.push(line, cells, || record.iter().map(str::to_string).collect())?;
        }
        let (line, header, rows) = rows.finish(EMPTY)?;
        Self::new(file, line, header, rows)
    }

    /// The table of `header` (on line `line`) and `rows`.
    ///
    /// # Errors
    /// An empty or repeated column name, located at the header's line.
    fn new(
        file: &str,
        line: usize,
        header: Vec<String>,
        rows: Vec<(usize, Vec<Cell>)>,
    ) -> Result<Table, DataError> {
        for (i, name) in header.iter().enumerate() {
            if name.is_empty() {
                return Err(DataError {
                    file: file.to_string(),
                    line: Some(line),
                    column: None,
                    message: format!("header cell {} is empty: expected a column name", i + 1),
                });
            }
            if header[..i].contains(name) {
                return Err(DataError::cell(
                    file,
                    line,
                    name,
                    format!(
                        "appears twice in the header (cells {} and {})",
                        header[..i]
                            .iter()
                            .position(|h| h == name)
                            .map_or(0, |j| j + 1),
                        i + 1
                    ),
                ));
            }
        }
        Ok(Table {
            file: file.to_string(),
            sheet: None,
            other_sheets: Vec::new(),
            header,
            rows,
        })
    }

    /// `e` (an error in this table) naming the workbook's other sheets with
    /// cells and how to read one of them, when the first sheet with cells
    /// was read without being named; else `e` as it is.
    pub fn sheet_note(&self, e: DataError) -> DataError {
        match &self.sheet {
            Some(sheet) => with_sheet_note(e, &self.file, sheet, &self.other_sheets),
            None => e,
        }
    }

    /// A workbook's sheet `sheet`, or without one its first sheet with
    /// cells (the others with cells are probed for their first cell).
    fn read_workbook(path: &Path, name: &str, sheet: Option<&str>) -> Result<Table, DataError> {
        use calamine::{open_workbook_auto, Reader};
        let mut book = open_workbook_auto(path)
            .map_err(|e| DataError::file(name, format!("cannot read the spreadsheet: {e}")))?;
        let sheets = book.sheet_names();
        if sheets.is_empty() {
            return Err(DataError::file(
                name,
                "empty file: the workbook has no sheet",
            ));
        }
        let (read, cells, others) = match sheet {
            Some(wanted) => {
                let Some(found) = sheets.iter().find(|s| *s == wanted) else {
                    return Err(DataError::file(
                        name,
                        format!(
                            "the workbook has no sheet `{}`; its sheets: {}",
                            excerpt(wanted),
                            sheet_list(&sheets)
                        ),
                    ));
                };
                let cells = sheet_cells(&mut book, name, found, None)?;
                (found.clone(), cells, Vec::new())
            }
            None => {
                let mut read = None;
                let mut others = Vec::new();
                let mut failed = None;
                for s in &sheets {
                    if read.is_none() {
                        match sheet_cells(&mut book, name, s, None) {
                            Ok(cells) if !cells.is_empty() => read = Some((s.clone(), cells)),
                            Ok(_) => {}
                            // A sheet without cells to read (a chart):
                            // the next one.
                            Err(e) => {
                                failed.get_or_insert(e);
                            }
                        }
                    } else if sheet_cells(&mut book, name, s, Some(1)).is_ok_and(|c| !c.is_empty())
                    {
                        others.push(s.clone());
                    }
                }
                let Some((s, cells)) = read else {
                    return Err(failed.unwrap_or_else(|| {
                        DataError::file(
                            name,
                            format!(
                                "{EMPTY}; no sheet has cells (its sheets: {})",
                                sheet_list(&sheets)
                            ),
                        )
                    }));
                };
                (s, cells, others)
            }
        };
        let file = sheet_label(name, &read);
        if cells.is_empty() {
            return Err(DataError::file(
                &file,
                "empty sheet: expected a header row of column names and rows of values",
            ));
        }
        let mut table = Self::from_cells(&file, cells)
            .map_err(|e| with_sheet_note(e, &file, &read, &others))?;
        table.sheet = Some(read);
        table.other_sheets = others;
        Ok(table)
    }

    /// The table of a sheet's non-empty cells `((row, column), value)`
    /// (0-based): rows from the first used column on, each row's line its
    /// spreadsheet row.
    fn from_cells(name: &str, mut cells: SheetCells) -> Result<Table, DataError> {
        let col0 = cells.iter().map(|((_, c), _)| *c).min().unwrap_or(0);
        cells.sort_by_key(|(pos, _)| *pos);
        let mut rows = Rows::new(name);
        let mut i = 0;
        while i < cells.len() {
            let row = cells[i].0 .0;
            let j = i + cells[i..]
                .iter()
                .take_while(|((r, _), _)| *r == row)
                .count();
            let line = row as usize + 1;
            // The row from the first used column to its last cell (a far
            // cell makes it long: refused against the header).
            let width = (cells[j - 1].0 .1 - col0) as usize + 1;
            let mut data = vec![Data::Empty; width];
            for ((_, c), d) in cells[i..j].iter_mut() {
                data[(*c - col0) as usize] = std::mem::take(d);
            }
            i = j;
            let cells: Vec<Cell> = data.iter().map(cell_of).collect();
            if let Some(Cell::Text(t)) = cells.first() {
                if t.starts_with('#') {
                    continue;
                }
            }
            rows.push(line, cells, || {
                data.iter()
                    .map(|d| d.to_string().trim().to_string())
                    .collect()
            })?;
        }
        let (line, header, rows) = rows.finish(EMPTY)?;
        Self::new(name, line, header, rows)
    }

    /// Index of the first column named `quantity` with one of the
    /// [`ColumnUnit`] suffixes (`conductance_uS`, `resistance_kohm`,
    /// `current_nA`) for each of `quantities` in turn.
    pub fn find_measured(&self, quantities: &[&str]) -> Option<usize> {
        quantities.iter().find_map(|q| {
            self.header.iter().position(|h| {
                ColumnUnit::of(h).is_some_and(|(_, stem)| stem.eq_ignore_ascii_case(q))
            })
        })
    }

    /// The device a column of a wide table holds (its name without a unit
    /// suffix), `None` for a [`ROW_COLUMNS`] column.
    ///
    /// # Errors
    /// A column whose unit is not a conductance's, a resistance's or a
    /// current's (`temperature_C_V`, `delay_ms`): not a device, and not a
    /// column this layout knows.
    pub fn device_column(&self, col: usize) -> Result<Option<String>, DataError> {
        let name = &self.header[col];
        if ROW_COLUMNS.iter().any(|c| name.eq_ignore_ascii_case(c)) {
            return Ok(None);
        }
        if let Some((_, stem)) = ColumnUnit::of(name) {
            return Ok(Some(stem.to_string()));
        }
        if let Some(unit) = NOT_A_DEVICE
            .iter()
            .find(|u| name.len() > u.len() && name.ends_with(*u))
        {
            return Err(DataError::column(
                &self.file,
                name,
                format!(
                    "a column in {} is not a device: expected one column per device holding its conductance (S, or named `…_uS`, `…_kohm`, `…_nA`), and row columns {}; remove or rename it",
                    &unit[1..],
                    ROW_COLUMNS.join(", ")
                ),
            ));
        }
        Ok(Some(name.clone()))
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
                    self.header
                        .iter()
                        .map(|h| excerpt(h))
                        .collect::<Vec<_>>()
                        .join(", ")
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
                format!("expected {what} (a number), found `{}`", excerpt(t)),
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

    /// A conductance in S (`None` when empty): finite, ≥ 0 and ≤ 1 S, and
    /// 0 or a normal double (≥ 2.2e-308 S). The column's name says the unit
    /// ([`ColumnUnit`]): siemens without a suffix, `_mS`, `_uS`, `_nS`,
    /// `_pS`; a resistance (`_ohm`, `_kohm`, `_Mohm`) is inverted; a read
    /// current (`_A`, `_mA`, `_uA`, `_nA`, `_pA`) is divided by the row's
    /// `read_voltage_V`.
    ///
    /// # Errors
    /// Text, NaN, a negative value, a value above 1 S (not siemens), or a
    /// subnormal one (a scaling mistake; its digits and the devices' spread
    /// would be lost); a resistance ≤ 0; a current without a nonzero
    /// `read_voltage_V` in its row.
    pub fn conductance(&self, row: usize, col: usize) -> Result<Option<f64>, DataError> {
        let unit = ColumnUnit::of(&self.header[col]).map_or(ColumnUnit::Conductance(1.0), |u| u.0);
        let what = match unit {
            ColumnUnit::Conductance(1.0) => "a conductance in S",
            ColumnUnit::Conductance(_) => "a conductance",
            ColumnUnit::Resistance(_) => "a resistance",
            ColumnUnit::Current(_) => "a read current",
        };
        let Some(x) = self.number(row, col, what)? else {
            return Ok(None);
        };
        let line = self.rows[row].0;
        let column = &self.header[col];
        let g = match unit {
            ColumnUnit::Conductance(f) => x * f,
            ColumnUnit::Resistance(f) => {
                if x <= 0.0 {
                    return Err(DataError::cell(
                        &self.file,
                        line,
                        column,
                        format!("expected a resistance > 0, found {x}"),
                    ));
                }
                1.0 / (x * f)
            }
            ColumnUnit::Current(f) => {
                let Some(vcol) = self.find("read_voltage_V") else {
                    return Err(DataError::column(
                        &self.file,
                        column,
                        "a read-current column needs a `read_voltage_V` column (each row's read voltage) to give the conductance I/V; or give the conductance (`_S`, `_uS`, …)",
                    ));
                };
                let v = self.required_number(row, vcol, "a read voltage in V")?;
                if v == 0.0 {
                    return Err(DataError::cell(
                        &self.file,
                        line,
                        &self.header[vcol],
                        "expected a nonzero read voltage (the conductance is I/V), found 0",
                    ));
                }
                x * f / v
            }
        };
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
                    "conductance {g} is above 1 S: expected siemens (convert, or name the unit at the end of the column's name: `{}_uS`, `_mS`, `_nS`, `_kohm`, `_nA`)",
                    ColumnUnit::of(column).map_or(column.as_str(), |u| u.1)
                ),
            ));
        }
        if g > 0.0 && !g.is_normal() {
            // A subnormal double keeps fewer digits the smaller it is (and
            // none of a device's spread); no device conducts this little,
            // so the file's unit or scale is wrong.
            return Err(DataError::cell(
                &self.file,
                line,
                column,
                format!(
                    "conductance {g:e} is below {:e} S, the smallest normal double: expected siemens (is the column scaled?)",
                    f64::MIN_POSITIVE
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

/// A sheet's non-empty cells, `((row, column), value)`, 0-based.
type SheetCells = Vec<((u32, u32), Data)>;

/// The non-empty cells `((row, column), value)` of sheet `sheet`, at most
/// `limit` of them. `.xlsx` and `.xlsb` sheets are read cell by cell, so
/// that memory follows the cells the file holds, not the extent they span
/// (a lone value in a far cell of an otherwise small sheet spans 2³⁴
/// cells); other formats through calamine's ranges.
fn sheet_cells<RS: std::io::Read + std::io::Seek>(
    book: &mut calamine::Sheets<RS>,
    name: &str,
    sheet: &str,
    limit: Option<usize>,
) -> Result<SheetCells, DataError> {
    use calamine::{Reader, Sheets};
    let cannot = |e: &dyn std::fmt::Display| {
        DataError::file(name, format!("cannot read sheet `{}`: {e}", excerpt(sheet)))
    };
    let limit = limit.unwrap_or(usize::MAX);
    let mut cells = Vec::new();
    match book {
        Sheets::Xlsx(book) => {
            let mut reader = book.worksheet_cells_reader(sheet).map_err(|e| cannot(&e))?;
            while cells.len() < limit {
                let Some(cell) = reader.next_cell().map_err(|e| cannot(&e))? else {
                    break;
                };
                let data = Data::from(cell.get_value().clone());
                if data != Data::Empty {
                    cells.push((cell.get_position(), data));
                }
            }
        }
        Sheets::Xlsb(book) => {
            let mut reader = book.worksheet_cells_reader(sheet).map_err(|e| cannot(&e))?;
            while cells.len() < limit {
                let Some(cell) = reader.next_cell().map_err(|e| cannot(&e))? else {
                    break;
                };
                let data = Data::from(cell.get_value().clone());
                if data != Data::Empty {
                    cells.push((cell.get_position(), data));
                }
            }
        }
        book => {
            let range = book.worksheet_range(sheet).map_err(|e| cannot(&e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            cells.extend(
                range
                    .used_cells()
                    .filter(|(_, _, d)| **d != Data::Empty)
                    .take(limit)
                    .map(|(r, c, d)| ((r0 + r as u32, c0 + c as u32), d.clone())),
            );
        }
    }
    Ok(cells)
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
