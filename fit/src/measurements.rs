//! Measurement files: CSV, TSV and Excel `.xlsx` tables, and the pulse-train
//! layouts read from them.
//!
//! A table is a header row (column names, units in the names) and rows of
//! numbers; an empty cell means "not measured". CSV and TSV are read with the
//! `csv` crate (lines starting with `#` are comments: put the data's
//! attribution there), `.xlsx`/`.xlsm`/`.xls`/`.xlsb`/`.ods` with `calamine`
//! (the sheet named by [`Table::read_sheet`], else the first sheet with
//! cells). Every value keeps its location, so that an error names the file
//! (and a workbook's sheet: `lab.xlsx (sheet `Data`)`), the line (the
//! spreadsheet row) and the column.
//!
//! Spreadsheet exports often carry a **title row** above the header (one
//! text cell, a wider row next: skipped) and a **unit row** under it (text
//! only, units such as `V`, `uS`, `(kohm)`, `[nA]` or empty cells): each
//! unit becomes its column's suffix (`dev1` over `uS` is `dev1_uS`, read
//! by [`ColumnUnit`]); a unit that is not one, or that contradicts the
//! suffix the name has, is an error at the unit row.
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
//!
//! let export = "LTP of device A\npulse_voltage_V,dev1\nV,uS\n1.2,1\n1.2,1.5\n";
//! let table = Table::from_csv_text("export.csv", export, b',').unwrap();
//! assert_eq!(table.header, ["pulse_voltage_V", "dev1_uS"]);
//! let g = table.conductance(1, 1).unwrap().unwrap();
//! assert!((g - 1.5e-6).abs() < 1e-20);
//! assert_eq!(table.line(1), 5);
//! ```

mod error;
mod pulses;
mod rows;
mod series;
mod table;

pub use error::{excerpt, DataError};
pub use pulses::{DeviceTrain, Point, PulseData, Step};
pub use series::{series, Series};
pub use table::{
    is_workbook, sha256_file, Cell, ColumnUnit, Table, ROW_COLUMNS, WORKBOOK_EXTENSIONS,
};
