//! Stuck-at faults: devices that ignore programming and pulses.
//!
//! Each device is independently stuck at ON (its g_max) with probability
//! `stuck_on`, stuck at OFF (its g_min) with probability `stuck_off`, and
//! healthy otherwise: the independent stuck-at-fault model used by the peer
//! simulators (NeuroSim, MemTorch, CrossSim). The pattern is a
//! pure function of the array's seed: the same seed always breaks the same
//! devices.

use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section};

/// Fault rates (probabilities per device).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Probability that a device is stuck at g_max.
    #[serde(default)]
    pub stuck_on: f64,
    /// Probability that a device is stuck at g_min.
    #[serde(default)]
    pub stuck_off: f64,
}

/// The state of one device of a fault map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// Works.
    Healthy,
    /// Always reads g_max.
    StuckOn,
    /// Always reads g_min.
    StuckOff,
}

impl FaultSpec {
    /// No faults.
    pub fn is_none(&self) -> bool {
        self.stuck_on == 0.0 && self.stuck_off == 0.0
    }

    /// The probability that a device works, `1 − stuck_on − stuck_off`.
    pub fn healthy_fraction(&self) -> f64 {
        1.0 - self.stuck_on - self.stuck_off
    }

    /// The parameters, with the derived healthy fraction; absent when no
    /// device fails.
    pub fn describe(&self) -> Section {
        const TITLE: &str = "Stuck-at faults";
        const TABLE: Option<&str> = Some("faults");
        if self.is_none() {
            return Section::absent(TITLE, TABLE, "every device works");
        }
        let mut s = Section::new(TITLE, TABLE);
        s.parameter(Parameter::number(
            "stuck_on",
            self.stuck_on,
            "",
            "probability of a device stuck at g_max",
        ));
        s.parameter(Parameter::number(
            "stuck_off",
            self.stuck_off,
            "",
            "probability of a device stuck at g_min",
        ));
        s.derive(Parameter::number(
            "healthy",
            self.healthy_fraction(),
            "",
            "probability of a working device",
        ));
        s
    }

    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        check::within("faults.stuck_on", self.stuck_on, 0.0, 1.0)?;
        check::within("faults.stuck_off", self.stuck_off, 0.0, 1.0)?;
        if self.stuck_on + self.stuck_off > 1.0 {
            return Err(SpecError::new(
                "faults.stuck_off",
                format!(
                    "expected stuck_on + stuck_off ≤ 1, found {}",
                    self.stuck_on + self.stuck_off
                ),
            ));
        }
        Ok(())
    }

    /// The fault of a device given a uniform draw `u ∈ [0, 1)`.
    pub fn classify(&self, u: f64) -> Fault {
        if u < self.stuck_on {
            Fault::StuckOn
        } else if u < self.stuck_on + self.stuck_off {
            Fault::StuckOff
        } else {
            Fault::Healthy
        }
    }
}
