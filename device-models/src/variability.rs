//! Device-to-device variability: each device of an array draws its own
//! parameters once, when the array is made.
//!
//! ```text
//! g_min,i = g_min·(1 + σ_gmin·ξ)      g_max,i = g_max·(1 + σ_gmax·ξ')
//! NL_i    = NL + σ_NL·ξ''             (LTP and LTD labels, independently)
//! ```
//!
//! `ξ ~ N(0, 1)`. A device whose draw would break `0 ≤ g_min,i < g_max,i`
//! has its bounds clamped (`g_min,i ≥ 0`, `g_max,i ≥ g_min,i·(1 + 1e-6)`), and
//! labels are clamped to `[−9, 9]`. The drift exponent ν already varies from
//! device to device through σ_ν (see [`crate::drift`]); cycle-to-cycle
//! variation lives with each model (pulse C2C, programming noise, read noise).
//! NeuroSim models D2D variation of the nonlinearity the same way (NL spread
//! around the nominal label; Chen & Yu, IEEE Design & Test 2019).

use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section};

/// Relative (bounds) and absolute (labels) standard deviations of the
/// device-to-device spread. All zero by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariabilitySpec {
    /// Relative σ of each device's g_min.
    #[serde(default)]
    pub g_min: f64,
    /// Relative σ of each device's g_max.
    #[serde(default)]
    pub g_max: f64,
    /// Absolute σ of each device's nonlinearity labels.
    #[serde(default)]
    pub nl: f64,
}

impl VariabilitySpec {
    /// No device-to-device variation.
    pub fn is_none(&self) -> bool {
        *self == VariabilitySpec::default()
    }

    /// The parameters; absent when there is no variation.
    pub fn describe(&self) -> Section {
        const TITLE: &str = "Device-to-device variability";
        const TABLE: Option<&str> = Some("variability");
        if self.is_none() {
            return Section::absent(TITLE, TABLE, "every device has the nominal parameters");
        }
        let mut s = Section::new(TITLE, TABLE);
        s.parameter(Parameter::number(
            "g_min",
            self.g_min,
            "",
            "relative σ of each device's g_min",
        ));
        s.parameter(Parameter::number(
            "g_max",
            self.g_max,
            "",
            "relative σ of each device's g_max",
        ));
        s.parameter(Parameter::number(
            "nl",
            self.nl,
            "",
            "absolute σ of each device's NL labels",
        ));
        s
    }

    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        check::within("variability.g_min", self.g_min, 0.0, 1.0)?;
        check::within("variability.g_max", self.g_max, 0.0, 1.0)?;
        check::within("variability.nl", self.nl, 0.0, crate::pulse::NL_MAX)?;
        Ok(())
    }
}
