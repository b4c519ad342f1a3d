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

mod error;
mod pulses;
mod series;
mod table;

pub use error::{excerpt, DataError};
pub use pulses::{DeviceTrain, Point, PulseData, Step};
pub use series::{series, Series};
pub use table::{sha256_file, Cell, ColumnUnit, Table, ROW_COLUMNS};
