//! Current-voltage characteristic of one cell, behind the [`CellIv`] trait
//! the crossbar solver calls.
//!
//! * **ohmic**: `I = g·V`;
//! * **sinh**: `I = (g/a)·sinh(a·V)`, the form of the Stanford/ASU RRAM
//!   compact model `I = I₀·e^(−gap/g₀)·sinh(V/V₀)` (Yu et al., IEDM 2012;
//!   Jiang et al., SISPAD 2014) with `a = 1/V₀` and the prefactor chosen so
//!   that the small-signal conductance at 0 V is the programmed `g`
//!   (`dI/dV|₀ = g`). NeuroSim quotes the nonlinearity as the ratio
//!   `r = I(V_w)/I(V_w/2) = 2·cosh(a·V_w/2)`, so
//!   `a = 2·acosh(r/2)/V_w` ([`IvSpec::sinh_from_half_bias_ratio`]).

use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section};

/// The I-V of one cell as a function of its (low-field) conductance `g` (S)
/// and the voltage `v` (V) across it. Implementations must be odd in `v`
/// and increasing, so that the nodal equations stay well posed.
pub trait CellIv: Sync {
    /// Current (A) through a cell of conductance `g` at voltage `v`.
    fn current(&self, g: f64, v: f64) -> f64;
    /// Differential conductance `dI/dV` (S) at `v`.
    fn didv(&self, g: f64, v: f64) -> f64;
}

/// A cell I-V model.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum IvSpec {
    /// `I = g·V`.
    #[default]
    Linear,
    /// `I = (g/a)·sinh(a·V)`.
    Sinh {
        /// Voltage scale `a = 1/V₀` (1/V).
        a_per_volt: f64,
    },
}

impl IvSpec {
    /// The ohmic model.
    pub fn is_linear(&self) -> bool {
        matches!(self, IvSpec::Linear)
    }

    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        if let IvSpec::Sinh { a_per_volt } = self {
            check::positive("iv.a_per_volt", *a_per_volt)?;
        }
        Ok(())
    }

    /// The sinh model's `a` (1/V); `None` for the ohmic one.
    pub fn a_per_volt(&self) -> Option<f64> {
        match self {
            IvSpec::Linear => None,
            IvSpec::Sinh { a_per_volt } => Some(*a_per_volt),
        }
    }

    /// The voltage scale `V₀ = 1/a` (V) of the sinh model; `None` for the
    /// ohmic one.
    pub fn v0(&self) -> Option<f64> {
        match self {
            IvSpec::Linear => None,
            IvSpec::Sinh { a_per_volt } => Some(1.0 / a_per_volt),
        }
    }

    /// NeuroSim's figure of merit `I(V_w)/I(V_w/2) = 2·cosh(a·V_w/2)` at
    /// the write voltage `v_write` (V): 2 for the ohmic model. The inverse
    /// of [`IvSpec::sinh_from_half_bias_ratio`].
    pub fn half_bias_ratio(&self, v_write: f64) -> f64 {
        match self {
            IvSpec::Linear => 2.0,
            IvSpec::Sinh { a_per_volt } => 2.0 * (a_per_volt * v_write / 2.0).cosh(),
        }
    }

    /// The parameters, with the derived `V₀` and `I(1 V)/I(0.5 V)`.
    pub fn describe(&self) -> Section {
        let mut s = Section::new("Cell I-V", Some("iv"));
        match self {
            IvSpec::Linear => s.parameter(Parameter::text("model", "linear", "ohmic, I = g·V")),
            IvSpec::Sinh { a_per_volt } => {
                s.parameter(Parameter::text("model", "sinh", "I = (g/a)·sinh(a·V)"));
                s.parameter(Parameter::number(
                    "a_per_volt",
                    *a_per_volt,
                    "1/V",
                    "voltage scale a = 1/V0",
                ));
            }
        }
        if let Some(v0) = self.v0() {
            s.derive(Parameter::number("V0", v0, "V", "1/a: sinh(V/V0)"));
            s.derive(Parameter::number(
                "I(1 V)/I(0.5 V)",
                self.half_bias_ratio(1.0),
                "",
                "NeuroSim's nonlinearity at a 1 V write (ohmic: 2)",
            ));
        }
        s
    }

    /// The sinh model whose current ratio `I(V_w)/I(V_w/2)` is `ratio`
    /// (NeuroSim's figure of merit; must exceed 2, the ohmic value).
    ///
    /// ```
    /// use xbar_devices::{CellIv, IvSpec};
    /// let iv = IvSpec::sinh_from_half_bias_ratio(10.0, 1.0).unwrap();
    /// let ratio = iv.current(1e-6, 1.0) / iv.current(1e-6, 0.5);
    /// assert!((ratio - 10.0).abs() < 1e-12);
    /// ```
    pub fn sinh_from_half_bias_ratio(ratio: f64, v_write: f64) -> Result<Self, SpecError> {
        if !(ratio > 2.0 && ratio.is_finite()) {
            return Err(SpecError::new(
                "iv.ratio",
                format!("expected I(V)/I(V/2) > 2 (ohmic is 2), found {ratio}"),
            ));
        }
        check::positive("iv.v_write", v_write)?;
        Ok(IvSpec::Sinh {
            a_per_volt: 2.0 * (ratio / 2.0).acosh() / v_write,
        })
    }
}

impl CellIv for IvSpec {
    fn current(&self, g: f64, v: f64) -> f64 {
        match self {
            IvSpec::Linear => g * v,
            IvSpec::Sinh { a_per_volt: a } => g / a * (a * v).sinh(),
        }
    }

    fn didv(&self, g: f64, v: f64) -> f64 {
        match self {
            IvSpec::Linear => g,
            IvSpec::Sinh { a_per_volt: a } => g * (a * v).cosh(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derivative_matches_finite_differences() {
        let iv = IvSpec::Sinh { a_per_volt: 2.5 };
        for v in [-1.0, -0.2, 0.0, 0.3, 0.9] {
            let h = 1e-6;
            let fd = (iv.current(3e-6, v + h) - iv.current(3e-6, v - h)) / (2.0 * h);
            assert!((fd - iv.didv(3e-6, v)).abs() / iv.didv(3e-6, v) < 1e-8);
        }
    }

    #[test]
    fn small_signal_conductance_is_g_and_sinh_is_odd() {
        let iv = IvSpec::Sinh { a_per_volt: 3.0 };
        assert!((iv.didv(5e-6, 0.0) - 5e-6).abs() < 1e-20);
        assert_eq!(iv.current(5e-6, 0.4), -iv.current(5e-6, -0.4));
        assert_eq!(IvSpec::Linear.current(2e-6, 0.5), 1e-6);
    }

    #[test]
    fn a_per_volt_is_the_sinh_scale() {
        assert_eq!(IvSpec::Sinh { a_per_volt: 2.5 }.a_per_volt(), Some(2.5));
        assert_eq!(IvSpec::Linear.a_per_volt(), None);
    }
}
