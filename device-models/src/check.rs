//! What every section's `validate` returns and the checks it uses: the
//! lowest module of the crate (the models and [`spec`](crate::spec) import
//! it; it imports none of them).

/// A parameter that breaks a physical constraint.
///
/// `field` is the dotted path of the offending key as it appears in a TOML
/// device file (e.g. `"pulse.nl_ltp"`), so that a front end can locate it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("field `{field}`: {message}")]
pub struct SpecError {
    /// Dotted key path, e.g. `"drift.t0_s"`.
    pub field: String,
    /// What was expected and what was found.
    pub message: String,
}

impl SpecError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        SpecError {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// `value` must be finite.
pub fn finite(field: &str, value: f64) -> Result<f64, SpecError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(SpecError::new(
            field,
            format!("expected a finite number, found {value}"),
        ))
    }
}

/// `value` must be finite and ≥ 0.
pub fn non_negative(field: &str, value: f64) -> Result<f64, SpecError> {
    finite(field, value)?;
    if value >= 0.0 {
        Ok(value)
    } else {
        Err(SpecError::new(
            field,
            format!("expected a value ≥ 0, found {value}"),
        ))
    }
}

/// `value` must be finite and > 0.
pub fn positive(field: &str, value: f64) -> Result<f64, SpecError> {
    finite(field, value)?;
    if value > 0.0 {
        Ok(value)
    } else {
        Err(SpecError::new(
            field,
            format!("expected a value > 0, found {value}"),
        ))
    }
}

/// A conductance `value` (S) must be 0 or a normal double (≥ 2.2e-308):
/// a subnormal one keeps fewer digits the smaller it is, and arrays clamp
/// conductances to [`f64::MIN_POSITIVE`], so the devices' spread would be
/// lost; no device conducts this little (the unit or scale is wrong).
pub fn conductance(field: &str, value: f64) -> Result<f64, SpecError> {
    if value == 0.0 || value.is_normal() {
        Ok(value)
    } else {
        Err(SpecError::new(
            field,
            format!(
                "expected siemens, found {value:e} S, below {:e} S (the smallest normal double)",
                f64::MIN_POSITIVE
            ),
        ))
    }
}

/// `value` must lie in `[lo, hi]`.
pub fn within(field: &str, value: f64, lo: f64, hi: f64) -> Result<f64, SpecError> {
    finite(field, value)?;
    if (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(SpecError::new(
            field,
            format!("expected a value in [{lo}, {hi}], found {value}"),
        ))
    }
}
