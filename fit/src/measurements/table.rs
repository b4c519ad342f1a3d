//! Tables from CSV, TSV and spreadsheet files: a header and located cells.

use std::path::Path;

use super::DataError;

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
