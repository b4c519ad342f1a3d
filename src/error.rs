//! The one error type of the command line: a one-line message for the user.
//!
//! `main` prints it as `error: <message>` on stderr and exits with code 2.
//! Every message is one line: the constructors collapse line breaks.

use std::fmt;

use xbar_devices::DeviceError;
use xbar_experiments::config::ConfigError;

/// A user-facing error: what went wrong, in one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(String);

impl CliError {
    /// An error with `message`, line breaks collapsed to spaces.
    pub fn new(message: impl AsRef<str>) -> Self {
        CliError(
            message
                .as_ref()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" "),
        )
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CliError {}

impl From<ConfigError> for CliError {
    fn from(e: ConfigError) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<xbar_experiments::measure::MeasureError> for CliError {
    fn from(e: xbar_experiments::measure::MeasureError) -> Self {
        CliError::new(e.to_string())
    }
}

impl From<DeviceError> for CliError {
    fn from(e: DeviceError) -> Self {
        CliError::new(e.to_string())
    }
}

/// The result of a command.
pub type Result<T> = std::result::Result<T, CliError>;

/// Returns early with a [`CliError`] built by `format!`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::CliError::new(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// The operating system's reason for an I/O error, without `(os error N)`.
pub use xbar_experiments::durable::reason as io_reason;
