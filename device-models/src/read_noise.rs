//! Read noise: the conductance a read sees, around the drifted one.
//!
//! Two models:
//!
//! * **relative Gaussian**: `g_read = g·(1 + σ·ξ)`, `ξ ~ N(0, 1)`;
//! * **PCM 1/f** (Nandakumar et al., ICECS 2019; Joshi et al., Nat. Commun.
//!   11, 2473, 2020): the integrated 1/f noise grows with the log of the time
//!   since programming,
//!   ```text
//!   Q_s(g_r) = min(q_coeff / max(g_r^q_exponent, g_r_floor), q_max)
//!   g_read   = g + |g|·Q_s(g_r)·√(ln((t + t_read)/(2·t_read)))·ξ
//!   ```
//!   with `g_r = g/g_max`, `t` the time since programming and `t_read` the
//!   read duration (IBM PCM: `q_coeff = 0.0088`, `q_exponent = 0.65`,
//!   `g_r_floor = 1e-3`, `q_max = 0.2`, `t_read = 250 ns`).
//!
//! Both are clipped at 0 S. Each read draws fresh noise.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section};

const TITLE: &str = "Read noise";
const TABLE: Option<&str> = Some("read_noise");

/// A read-noise model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ReadNoiseSpec {
    /// `g·(1 + σ·ξ)`.
    Relative {
        /// Relative standard deviation σ.
        sigma: f64,
    },
    /// The PCM 1/f model with `σ ∝ √ln(t)`.
    #[serde(rename = "pcm-1/f")]
    PcmOneOverF {
        /// Numerator of Q_s.
        q_coeff: f64,
        /// Exponent of g_r in Q_s.
        q_exponent: f64,
        /// Floor of `g_r^q_exponent`.
        g_r_floor: f64,
        /// Upper clip of Q_s.
        q_max: f64,
        /// Read duration (s).
        t_read_s: f64,
    },
}

/// Noiseless reads: the relative model with `σ = 0`.
impl Default for ReadNoiseSpec {
    fn default() -> Self {
        ReadNoiseSpec::Relative { sigma: 0.0 }
    }
}

impl ReadNoiseSpec {
    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            ReadNoiseSpec::Relative { sigma } => {
                check::non_negative("read_noise.sigma", *sigma)?;
            }
            ReadNoiseSpec::PcmOneOverF {
                q_coeff,
                q_exponent,
                g_r_floor,
                q_max,
                t_read_s,
            } => {
                check::non_negative("read_noise.q_coeff", *q_coeff)?;
                check::finite("read_noise.q_exponent", *q_exponent)?;
                check::positive("read_noise.g_r_floor", *g_r_floor)?;
                check::non_negative("read_noise.q_max", *q_max)?;
                check::positive("read_noise.t_read_s", *t_read_s)?;
            }
        }
        Ok(())
    }

    /// The model's name, as the `model` key of a device file spells it.
    pub fn model(&self) -> &'static str {
        match self {
            ReadNoiseSpec::Relative { .. } => "relative",
            ReadNoiseSpec::PcmOneOverF { .. } => "pcm-1/f",
        }
    }

    /// The PCM model's `Q_s(g_r)`, the relative σ of a read at the time
    /// where `ln((t + t_read)/(2·t_read)) = 1`; `None` for the relative model.
    pub fn q_s(&self, g_r: f64) -> Option<f64> {
        match self {
            ReadNoiseSpec::Relative { .. } => None,
            ReadNoiseSpec::PcmOneOverF {
                q_coeff,
                q_exponent,
                g_r_floor,
                q_max,
                ..
            } => Some(q_s(*q_coeff, *q_exponent, *g_r_floor, *q_max, g_r.ln())),
        }
    }

    /// The section of a device whose reads are noiseless.
    pub fn describe_absent() -> Section {
        Section::absent(TITLE, TABLE, "reads are noiseless")
    }

    /// The parameters, with the derived `Q_s` at a few conductances for the
    /// PCM model.
    pub fn describe(&self) -> Section {
        let mut s = Section::new(TITLE, TABLE);
        match self {
            ReadNoiseSpec::Relative { sigma } => {
                s.parameter(Parameter::text(
                    "model",
                    self.model(),
                    "g_read = g·(1 + σ·ξ)",
                ));
                s.parameter(Parameter::number(
                    "sigma",
                    *sigma,
                    "",
                    "relative σ of each read",
                ));
            }
            ReadNoiseSpec::PcmOneOverF {
                q_coeff,
                q_exponent,
                g_r_floor,
                q_max,
                t_read_s,
            } => {
                s.parameter(Parameter::text(
                    "model",
                    self.model(),
                    "σ = |g|·Q_s(g_r)·√ln((t + t_read)/(2·t_read))",
                ));
                s.parameter(Parameter::number(
                    "q_coeff",
                    *q_coeff,
                    "",
                    "Q_s = min(q_coeff / max(g_r^q_exponent, g_r_floor), q_max)",
                ));
                s.parameter(Parameter::number(
                    "q_exponent",
                    *q_exponent,
                    "",
                    "exponent of g_r",
                ));
                s.parameter(Parameter::number(
                    "g_r_floor",
                    *g_r_floor,
                    "",
                    "floor of g_r^q_exponent",
                ));
                s.parameter(Parameter::number("q_max", *q_max, "", "upper clip of Q_s"));
                s.parameter(Parameter::number(
                    "t_read_s",
                    *t_read_s,
                    "s",
                    "read duration",
                ));
                for (key, g_r) in [
                    ("Q_s at g_r 0.01", 0.01),
                    ("Q_s at g_r 0.1", 0.1),
                    ("Q_s at g_r 1", 1.0),
                ] {
                    if let Some(q) = self.q_s(g_r) {
                        s.derive(Parameter::number(
                            key,
                            q,
                            "",
                            "σ/|g| of a read at ln((t + t_read)/(2·t_read)) = 1",
                        ));
                    }
                }
            }
        }
        s
    }

    /// Standard deviation (S) of a read of conductance `g` on a device with
    /// range end `g_max`, at time `t` (s) since programming.
    pub fn sigma(&self, g: f64, g_max: f64, t: f64) -> f64 {
        self.at_time(t).sigma(g, (g / g_max).ln())
    }

    /// One noisy read of conductance `g`.
    pub fn read_one<R: rand::Rng + ?Sized>(&self, g: f64, g_max: f64, t: f64, rng: &mut R) -> f64 {
        let xi: f64 = StandardNormal.sample(rng);
        (g + self.sigma(g, g_max, t) * xi).max(0.0)
    }

    /// The model at one read time, with everything that does not depend on
    /// the device computed once.
    pub fn at_time(&self, t: f64) -> ReadNoiseAt {
        match self {
            ReadNoiseSpec::Relative { sigma } => ReadNoiseAt::Relative { sigma: *sigma },
            ReadNoiseSpec::PcmOneOverF {
                q_coeff,
                q_exponent,
                g_r_floor,
                q_max,
                t_read_s,
            } => {
                let log_term = ((t.max(0.0) + t_read_s) / (2.0 * t_read_s)).ln().max(0.0);
                ReadNoiseAt::PcmOneOverF {
                    q_coeff: *q_coeff,
                    q_exponent: *q_exponent,
                    g_r_floor: *g_r_floor,
                    q_max: *q_max,
                    time_term: log_term.sqrt(),
                }
            }
        }
    }
}

/// A read-noise model evaluated at one read time (see
/// [`ReadNoiseSpec::at_time`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReadNoiseAt {
    /// `σ = sigma·|g|`.
    Relative {
        /// Relative standard deviation.
        sigma: f64,
    },
    /// `σ = |g|·Q_s(g_r)·time_term`.
    PcmOneOverF {
        /// Numerator of Q_s.
        q_coeff: f64,
        /// Exponent of g_r in Q_s.
        q_exponent: f64,
        /// Floor of `g_r^q_exponent`.
        g_r_floor: f64,
        /// Upper clip of Q_s.
        q_max: f64,
        /// `√ln((t + t_read)/(2·t_read))`.
        time_term: f64,
    },
}

impl ReadNoiseAt {
    /// Standard deviation (S) of a read of `g`, given `ln(g/g_max)` (which
    /// the caller often has already; `−∞` for `g = 0`).
    pub fn sigma(&self, g: f64, ln_g_r: f64) -> f64 {
        match self {
            ReadNoiseAt::Relative { sigma } => sigma * g.abs(),
            ReadNoiseAt::PcmOneOverF {
                q_coeff,
                q_exponent,
                g_r_floor,
                q_max,
                time_term,
            } => g.abs() * q_s(*q_coeff, *q_exponent, *g_r_floor, *q_max, ln_g_r) * time_term,
        }
    }
}

/// `Q_s = min(q_coeff / max(g_r^q_exponent, g_r_floor), q_max)`, given
/// `ln g_r` (`−∞` for `g = 0`).
#[inline]
fn q_s(q_coeff: f64, q_exponent: f64, g_r_floor: f64, q_max: f64, ln_g_r: f64) -> f64 {
    // g_r^q = e^(q·ln g_r); e^(−∞) = 0 covers g = 0.
    let power = if ln_g_r.is_nan() {
        0.0
    } else {
        (q_exponent * ln_g_r).exp()
    };
    (q_coeff / power.max(g_r_floor)).min(q_max)
}

#[cfg(test)]
mod tests {
    use crate::library;

    /// Worked Q_s values of reference/devices.md §2.
    #[test]
    fn pcm_q_s_matches_worked_values() {
        let spec = library::preset("ibm-pcm").unwrap().read_noise.unwrap();
        let g_max = 25e-6;
        // At t such that ln((t + t_r)/(2 t_r)) = 1, σ/g = Q_s.
        let t = 250e-9 * (2.0 * std::f64::consts::E - 1.0);
        for (g_r, q_s) in [(0.01, 0.1756), (0.1, 0.0393), (1.0, 0.0088)] {
            let g = g_r * g_max;
            let ours = spec.sigma(g, g_max, t) / g;
            assert!((ours - q_s).abs() < 5e-5, "g_r {g_r}: Q_s {ours}");
        }
    }
}
