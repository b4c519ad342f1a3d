//! The errors of experiment kinds: a setting that breaks a constraint
//! ([`FieldError`], located at its key path) and a unit that could not be
//! computed ([`KindError`], keeping the physics crates' errors as sources).

use std::sync::Arc;

use xbar_devices::DeviceError;

use crate::measure::MeasureError;

/// A value that breaks a constraint: its dotted key path in the config and
/// what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct FieldError {
    /// Dotted key path, e.g. `array.r_source_ohm`.
    pub path: String,
    /// What was expected and what was found.
    pub message: String,
}

impl FieldError {
    /// An error at `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The error of a physics type's field `field` inside section
    /// `section`: `section.field`.
    pub fn at(section: &str, field: &str, message: impl Into<String>) -> Self {
        let path = if field.is_empty() {
            section.to_string()
        } else {
            format!("{section}.{field}")
        };
        FieldError::new(path, message)
    }

    /// A training-settings error of section `section` (`[training]`,
    /// `[insitu]`) at its `section.<key>` path.
    pub fn train(section: &str, e: &xbar_training::train::TrainError) -> Self {
        match e {
            xbar_training::train::TrainError::Config { field, message } => {
                FieldError::at(section, field, message.clone())
            }
            other => FieldError::new(section, other.to_string()),
        }
    }

    /// A device validation error: `device.<field>`.
    pub fn device(e: &xbar_devices::SpecError) -> Self {
        FieldError::at("device", &e.field, e.message.clone())
    }
}

/// Why a unit could not be computed. The physics crates' own errors are
/// kept as sources.
#[derive(Debug, thiserror::Error)]
pub enum KindError {
    /// A constraint on a setting.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// A characterisation refused.
    #[error(transparent)]
    Measure(#[from] MeasureError),
    /// The device model refused.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The crossbar solver refused.
    #[error(transparent)]
    Crossbar(#[from] xbar_crossbar::CrossbarError),
    /// The arrays of a network refused.
    #[error(transparent)]
    Hardware(#[from] xbar_training::hardware::HardwareError),
    /// Training refused or diverged.
    #[error(transparent)]
    Train(#[from] xbar_training::train::TrainError),
    /// The network shape is invalid.
    #[error(transparent)]
    Network(#[from] xbar_training::network::ConfigError),
    /// Data that cannot be read (the message names the file).
    #[error("data: {0}")]
    Data(#[from] crate::data::DataError),
    /// A model file that cannot be read or written.
    #[error("model `{file}`: {message}")]
    Model {
        /// The file.
        file: String,
        /// Why.
        message: String,
    },
    /// A row that cannot become table cells (an output that is not a
    /// finite number).
    #[error(transparent)]
    Row(#[from] crate::row::RowError),
    /// A unit's file that could not be written.
    #[error(transparent)]
    Write(#[from] crate::durable::WriteError),
    /// An output the kind could not produce.
    #[error("{0}")]
    Output(String),
    /// An error computed once and shared by several units.
    #[error(transparent)]
    Shared(Arc<KindError>),
}

/// Checks that every value of `values` is finite and passes `ok`, and that
/// there is at least one: `(path, expected)` otherwise.
///
/// # Errors
/// An empty list or the first value outside the domain.
pub fn check_list(
    path: &str,
    values: &[f64],
    ok: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<(), FieldError> {
    if values.is_empty() {
        return Err(FieldError::new(
            path,
            format!("expected a non-empty list of {expected}"),
        ));
    }
    if let Some(v) = values.iter().find(|&&v| !(v.is_finite() && ok(v))) {
        return Err(FieldError::new(
            path,
            format!("expected {expected}, found {v}"),
        ));
    }
    Ok(())
}

/// `Ok` if `n ≥ 1`, else an error at `path`.
///
/// # Errors
/// `n` is 0.
pub fn at_least_one(path: &str, n: usize, what: &str) -> Result<(), FieldError> {
    if n == 0 {
        return Err(FieldError::new(
            path,
            format!("expected at least 1 {what}, found 0"),
        ));
    }
    Ok(())
}
