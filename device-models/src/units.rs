//! SI quantities used in device specifications.
//!
//! Scalars that carry a unit in a public signature are newtypes, so that a
//! conductance cannot be passed where a resistance is expected. Whole arrays
//! of conductances are `nalgebra::DMatrix<f64>` in siemens (documented at
//! each function), because that is what the crossbar solver consumes.

use serde::{Deserialize, Serialize};

/// A conductance in siemens (S).
///
/// Serialises as a bare number of siemens.
///
/// ```
/// use xbar_devices::Conductance;
///
/// let g = Conductance::from_micro_siemens(25.0);
/// assert_eq!(g.siemens(), 25e-6);
/// assert!((g.ohms() - 40_000.0).abs() < 1e-9);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Conductance(pub f64);

impl Conductance {
    /// From siemens.
    pub const fn siemens_of(value: f64) -> Self {
        Conductance(value)
    }

    /// From microsiemens (µS).
    pub fn from_micro_siemens(value: f64) -> Self {
        Conductance(value / 1e6)
    }

    /// From a resistance in ohms: `G = 1/R`.
    pub fn from_ohms(resistance: f64) -> Self {
        Conductance(1.0 / resistance)
    }

    /// The value in siemens.
    pub const fn siemens(self) -> f64 {
        self.0
    }

    /// The value in microsiemens.
    pub fn micro_siemens(self) -> f64 {
        self.0 * 1e6
    }

    /// The equivalent resistance in ohms, `1/G`.
    pub fn ohms(self) -> f64 {
        1.0 / self.0
    }
}

impl std::fmt::Display for Conductance {
    /// Engineering notation with an SI prefix, e.g. `25 µS`, `38.46 nS`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", format_si(self.0, "S"))
    }
}

/// Formats `value` with an SI prefix (p … G) and four significant digits.
pub fn format_si(value: f64, unit: &str) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value} {unit}");
    }
    const PREFIXES: [(f64, &str); 8] = [
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
        (1e-9, "n"),
        (1e-12, "p"),
    ];
    let magnitude = value.abs();
    let (scale, prefix) = PREFIXES
        .iter()
        .copied()
        .find(|(scale, _)| magnitude >= *scale * 0.999_95)
        .unwrap_or((1e-12, "p"));
    let trimmed = format_significant(value / scale, 4);
    format!("{trimmed} {prefix}{unit}")
}

/// `x` with `digits` significant digits (at least), trailing zeros dropped:
/// `format_significant(3.0769, 3) == "3.08"`.
pub fn format_significant(x: f64, digits: i32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let exponent = x.abs().log10().floor() as i32;
    let decimals = (digits - 1 - exponent).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_formatting_picks_the_right_prefix() {
        assert_eq!(format_si(25e-6, "S"), "25 µS");
        assert_eq!(format_si(3.8462e-8, "S"), "38.46 nS");
        assert_eq!(format_si(26e6, "Ω"), "26 MΩ");
        assert_eq!(format_si(1.0, "V"), "1 V");
        assert_eq!(format_si(3.0769e-9, "S"), "3.077 nS");
        assert_eq!(format_si(0.0, "S"), "0 S");
        assert_eq!(format_si(999.96e-6, "S"), "1 mS");
        assert_eq!(format_significant(3.0769, 3), "3.08");
        assert_eq!(format_significant(0.035 * 100.0, 3), "3.5");
    }
}
