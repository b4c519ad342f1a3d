//! The one error type of the crate. Every solver, mapping and periphery
//! function returns `Result<_, CrossbarError>`; none returns NaN.

use thiserror::Error;

/// What went wrong, with the field or quantity named so that a caller (the
/// CLI, the experiment runner) can say it to the user in one line.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum CrossbarError {
    /// A parameter is outside its domain (negative resistance, NaN
    /// conductance, zero ADC bits, ...).
    #[error("{field}: {message}")]
    InvalidParameter {
        /// The parameter, as the user knows it (`r_wordline`, `g[3,7]`).
        field: String,
        /// What was expected and what was found.
        message: String,
    },
    /// Two operands do not fit together (input width ≠ rows, ...).
    #[error("{what}: expected {expected}, found {found}")]
    ShapeMismatch {
        /// Which quantity has the wrong shape.
        what: String,
        /// The expected size.
        expected: usize,
        /// The size found.
        found: usize,
    },
    /// The nodal matrix could not be factorised (not positive definite to
    /// working precision, or out of memory).
    #[error("nodal solve failed: {0}")]
    Singular(String),
    /// The nonlinear (Newton) solve did not converge.
    #[error(
        "nonlinear solve did not converge for input vector {vector} after {iterations} Newton iterations \
         (last update {last_update_volts:.3e} V, tolerance {tolerance_volts:.1e} V); \
         lower the input voltages or the I-V nonlinearity, or raise the iteration limit"
    )]
    NotConverged {
        /// Index of the input vector (row of the input batch).
        vector: usize,
        /// Iterations done.
        iterations: usize,
        /// Largest node-voltage update of the last iteration (V).
        last_update_volts: f64,
        /// The requested tolerance (V).
        tolerance_volts: f64,
    },
    /// The Newton iteration settled, but Kirchhoff's law is not met to the
    /// accuracy the solve promises at the voltages it settled on.
    #[error(
        "nonlinear solve for input vector {vector} stopped after {iterations} Newton iterations with a \
         Kirchhoff residual of {relative_residual:.2e} of the largest element current (limit {limit:.0e}); \
         lower the input voltages or the I-V nonlinearity"
    )]
    Residual {
        /// Index of the input vector (row of the input batch).
        vector: usize,
        /// Iterations done.
        iterations: usize,
        /// `max|F|` over the largest element current.
        relative_residual: f64,
        /// The largest accepted.
        limit: f64,
    },
    /// A result came out non-finite (overflow in the I-V model, ...).
    #[error("{0}: result is not finite")]
    NonFinite(String),
}

impl CrossbarError {
    /// An [`InvalidParameter`](Self::InvalidParameter) error.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        CrossbarError::InvalidParameter {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A [`ShapeMismatch`](Self::ShapeMismatch) error.
    pub fn shape(what: impl Into<String>, expected: usize, found: usize) -> Self {
        CrossbarError::ShapeMismatch {
            what: what.into(),
            expected,
            found,
        }
    }
}

/// Shorthand for this crate's results.
pub type Result<T> = std::result::Result<T, CrossbarError>;
