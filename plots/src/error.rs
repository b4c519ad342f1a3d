//! [`PlotError`]: what went wrong, and what to change.

use std::path::PathBuf;

/// Why a figure could not be drawn. Every message names the offending column,
/// key or path and says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlotError {
    /// A column named by the spec is not in the table.
    #[error("plot `{file}`: no column `{column}` (used as `{role}`){hint}; available columns: {available}")]
    UnknownColumn {
        /// The plot's `file`.
        file: String,
        /// The missing column.
        column: String,
        /// Which spec field named it (`x`, `y`, `z`, `series`, `where`).
        role: String,
        /// ", did you mean `...`?" or empty.
        hint: String,
        /// The table's columns, comma separated.
        available: String,
    },
    /// An axis or value column does not hold numbers.
    #[error("plot `{file}`: column `{column}` (used as `{role}`) has type {dtype}, but `{role}` must be numeric{hint}")]
    NotNumeric {
        /// The plot's `file`.
        file: String,
        /// The column.
        column: String,
        /// Which spec field named it.
        role: String,
        /// Its data type.
        dtype: String,
        /// What to do instead.
        hint: String,
    },
    /// A column whose data type cannot be used (neither numeric, string nor
    /// boolean).
    #[error("plot `{file}`: column `{column}` (used as `{role}`) has type {dtype}, which cannot be plotted; use a numeric, string or boolean column")]
    UnsupportedType {
        /// The plot's `file`.
        file: String,
        /// The column.
        column: String,
        /// Which spec field named it.
        role: String,
        /// Its data type.
        dtype: String,
    },
    /// A `where` value of the wrong kind for its column.
    #[error("plot `{file}`: `where` compares column `{column}` (type {dtype}) with {value}; give a {expected} value")]
    FilterType {
        /// The plot's `file`.
        file: String,
        /// The filtered column.
        column: String,
        /// Its data type.
        dtype: String,
        /// The value given.
        value: String,
        /// The kind of value the column needs.
        expected: String,
    },
    /// A logarithmic axis over values that are zero or negative.
    #[error("plot `{file}`: `{axis}` is set but column `{column}` has {count} of {total} rows with values <= 0; exclude them with `where` or set `{axis} = false`")]
    LogNonPositive {
        /// The plot's `file`.
        file: String,
        /// `log_x` or `log_y`.
        axis: String,
        /// The column.
        column: String,
        /// Rows with a value <= 0.
        count: usize,
        /// Rows plotted.
        total: usize,
    },
    /// Nothing left to draw.
    #[error("plot `{file}`: nothing to draw: {reason}")]
    Empty {
        /// The plot's `file`.
        file: String,
        /// Why, and which values exist.
        reason: String,
    },
    /// A spec field that is missing, not allowed for this kind of plot, or
    /// out of range.
    #[error("plot `{file}`: {message}")]
    Spec {
        /// The plot's `file`.
        file: String,
        /// What is wrong and what to set instead.
        message: String,
    },
    /// Reading the table failed inside polars.
    #[error("plot `{file}`: cannot read column `{column}`: {message}")]
    Table {
        /// The plot's `file`.
        file: String,
        /// The column.
        column: String,
        /// The polars error.
        message: String,
    },
    /// Creating or writing an output file failed.
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// plotters failed to draw (a bug or an exotic size).
    #[error("cannot draw `{}`: {message}", path.display())]
    Render {
        /// The output file.
        path: PathBuf,
        /// The plotters error.
        message: String,
    },
}
