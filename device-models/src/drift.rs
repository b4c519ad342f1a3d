//! Conductance drift: `G(t) = G(t₀)·(t/t₀)^(−ν)`.
//!
//! The power law of amorphous-phase structural relaxation in PCM (Ielmini et
//! al., IEEE TED 2007), with the per-device exponent of the IBM statistical
//! model (Nandakumar et al., ICECS 2019; Joshi et al., Nat. Commun. 11, 2473,
//! 2020): each device draws `ν ~ |N(μ_ν(g_r), σ_ν(g_r))|` once, at
//! programming, with
//!
//! ```text
//! μ_ν(g_r) = clip(a_μ·ln g_r + b_μ, μ_lo, μ_hi)
//! σ_ν(g_r) = clip(a_σ·ln g_r + b_σ, σ_lo, σ_hi)        g_r = G(t₀)/g_max
//! ```
//!
//! (IBM PCM: `a_μ = −0.0155, b_μ = 0.0244, [0.049, 0.1]`,
//! `a_σ = −0.0125, b_σ = −0.0059, [0.008, 0.045]`). A constant exponent is
//! `a = 0`. `t` is the time since programming (s); `t₀` is the time of the
//! reference read that defines `G(t₀)`, and times before `t₀` see no drift.
//! Since `ν ≥ 0`, `G(t)` never increases.
//!
//! **Global drift compensation** (Joshi et al. 2020): a reader applies known
//! inputs right after programming and at time `t` and scales its outputs by
//! the ratio of the two summed outputs; see [`compensation_factor`].

use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section, Value};

const TITLE: &str = "Drift";
const TABLE: Option<&str> = Some("drift");
const EQUATION: &str = "G(t) = G(t0)·(t/t0)^(−ν), ν ~ |N(μ_ν(g_r), σ_ν(g_r))|";

/// `clip(slope·ln g_r + intercept, min, max)`: a drift statistic as a
/// function of the normalised conductance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogLinear {
    /// Coefficient of `ln g_r`.
    #[serde(default)]
    pub slope: f64,
    /// Value at `g_r = 1`.
    pub intercept: f64,
    /// Lower clip.
    #[serde(default)]
    pub min: f64,
    /// Upper clip.
    #[serde(default = "infinity")]
    pub max: f64,
}

/// `ln(1e-7)`: the floor of `g_r` inside the drift statistics.
const LN_G_R_FLOOR: f64 = -16.118_095_650_958_32;

fn infinity() -> f64 {
    f64::INFINITY
}

/// The constant 0 (the spread a `nu_std` key left out means).
impl Default for LogLinear {
    fn default() -> Self {
        LogLinear::constant(0.0)
    }
}

impl LogLinear {
    /// A constant value.
    pub const fn constant(value: f64) -> Self {
        LogLinear {
            slope: 0.0,
            intercept: value,
            min: 0.0,
            max: f64::INFINITY,
        }
    }

    /// Evaluates at `g_r` (floored at 1e-7 so that `ln` stays finite, as in
    /// aihwkit).
    pub fn at(&self, g_r: f64) -> f64 {
        self.at_ln(g_r.ln())
    }

    /// Evaluates at `g_r = e^ln_g_r`, for callers that already hold the
    /// logarithm (same floor at `g_r = 1e-7`).
    pub fn at_ln(&self, ln_g_r: f64) -> f64 {
        let x = self.slope * ln_g_r.max(LN_G_R_FLOOR) + self.intercept;
        x.clamp(self.min, self.max)
    }

    /// The smallest and largest value over `g_r ∈ [g_r_low, 1]` (the
    /// function is monotonic in `ln g_r`, so they are at the ends).
    pub fn range_over(&self, g_r_low: f64) -> (f64, f64) {
        let (a, b) = (self.at(g_r_low), self.at(1.0));
        (a.min(b), a.max(b))
    }

    /// The four parameters under `key` (`"nu_mean"`), for the statistic
    /// called `symbol` (`"μ_ν"`).
    fn describe(&self, key: &str, symbol: &str) -> [Parameter; 4] {
        [
            Parameter::number(
                format!("{key}.slope"),
                self.slope,
                "",
                format!("{symbol}: coefficient of ln g_r"),
            ),
            Parameter::number(
                format!("{key}.intercept"),
                self.intercept,
                "",
                format!("{symbol} at g_r = 1"),
            ),
            Parameter::number(format!("{key}.min"), self.min, "", "lower clip"),
            Parameter::number(format!("{key}.max"), self.max, "", "upper clip"),
        ]
    }

    fn validate(&self, field: &str) -> Result<(), SpecError> {
        check::finite(&format!("{field}.slope"), self.slope)?;
        check::finite(&format!("{field}.intercept"), self.intercept)?;
        check::non_negative(&format!("{field}.min"), self.min)?;
        if self.max.is_nan() || self.max < self.min {
            return Err(SpecError::new(
                format!("{field}.max"),
                format!("expected max ≥ min = {}, found {}", self.min, self.max),
            ));
        }
        Ok(())
    }
}

/// Drift model parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriftSpec {
    /// Reference time t₀ (s) of the programmed conductance.
    pub t0_s: f64,
    /// Mean drift exponent μ_ν(g_r).
    pub nu_mean: LogLinear,
    /// Device-to-device spread σ_ν(g_r).
    #[serde(default = "zero_spread")]
    pub nu_std: LogLinear,
}

fn zero_spread() -> LogLinear {
    LogLinear::constant(0.0)
}

/// No drift: `ν = 0` for every device (`t₀ = 1 s`, which then does not
/// matter).
impl Default for DriftSpec {
    fn default() -> Self {
        DriftSpec {
            t0_s: 1.0,
            nu_mean: LogLinear::default(),
            nu_std: zero_spread(),
        }
    }
}

impl DriftSpec {
    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        check::positive("drift.t0_s", self.t0_s)?;
        self.nu_mean.validate("drift.nu_mean")?;
        self.nu_std.validate("drift.nu_std")?;
        Ok(())
    }

    /// The smallest and largest mean exponent μ_ν over a device's
    /// conductance range `[g_min, g_max]` (S).
    pub fn nu_mean_range(&self, g_min: f64, g_max: f64) -> (f64, f64) {
        self.nu_mean.range_over(g_min / g_max)
    }

    /// The section of a device that does not drift.
    pub fn describe_absent() -> Section {
        Section::absent(TITLE, TABLE, "conductances do not drift").with_equation(EQUATION)
    }

    /// The parameters, with the derived ranges of μ_ν and σ_ν over a
    /// device's conductance range `[g_min, g_max]` (S).
    pub fn describe(&self, g_min: f64, g_max: f64) -> Section {
        let mut s = Section::new(TITLE, TABLE).with_equation(EQUATION);
        s.parameter(Parameter::number(
            "t0_s",
            self.t0_s,
            "s",
            "time of the reference read; no drift before it",
        ));
        for p in self.nu_mean.describe("nu_mean", "μ_ν") {
            s.parameter(p);
        }
        for p in self.nu_std.describe("nu_std", "σ_ν") {
            s.parameter(p);
        }
        let (lo, hi) = self.nu_mean_range(g_min, g_max);
        s.derive(Parameter::new(
            "μ_ν over the range",
            Value::Range(lo, hi),
            "",
            "μ_ν(g_r) = clip(slope·ln g_r + intercept, min, max)",
        ));
        let (lo, hi) = self.nu_std.range_over(g_min / g_max);
        s.derive(Parameter::new(
            "σ_ν over the range",
            Value::Range(lo, hi),
            "",
            "σ_ν(g_r), the same form",
        ));
        s
    }

    /// The drift factor `(t/t₀)^(−ν)` for a device with exponent `nu` at
    /// time `t` (s) since programming; 1 for `t ≤ t₀`.
    pub fn factor(&self, nu: f64, t: f64) -> f64 {
        (-nu * self.log_time_ratio(t)).exp()
    }

    /// `ln(t/t₀)` for `t > t₀`, else 0: the drift factor is `e^(−ν·this)`.
    pub fn log_time_ratio(&self, t: f64) -> f64 {
        if t <= self.t0_s {
            0.0
        } else {
            (t / self.t0_s).ln()
        }
    }

    /// Mean of the folded normal `|N(μ, σ)|` that ν is drawn from at `g_r`:
    /// `σ·√(2/π)·e^(−μ²/2σ²) + μ·(1 − 2Φ(−μ/σ))`.
    pub fn mean_nu(&self, g_r: f64) -> f64 {
        let mu = self.nu_mean.at(g_r);
        let sigma = self.nu_std.at(g_r);
        if sigma == 0.0 {
            return mu.abs();
        }
        let z = mu / sigma;
        sigma * (2.0 / std::f64::consts::PI).sqrt() * (-0.5 * z * z).exp()
            + mu * (1.0 - 2.0 * normal_cdf(-z))
    }
}

/// Standard normal CDF Φ(x), via the complementary error function.
fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function, relative error < 1.2e-7 everywhere
/// (Numerical Recipes' Chebyshev fit `erfcc`), enough for a mean-ν formula.
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 {
        r
    } else {
        2.0 - r
    }
}

/// Global drift compensation factor: `Σ|reference| / Σ|now|`, the ratio of
/// two reads of the same array with the same known input (for an all-ones
/// input, the sums of the conductances). Multiply drifted outputs by it.
/// Returns 1 when `now` sums to zero.
///
/// ```
/// use xbar_devices::drift::compensation_factor;
/// let before = [2.0, 4.0];
/// let after = [1.0, 2.0];
/// assert_eq!(compensation_factor(&before, &after), 2.0);
/// ```
pub fn compensation_factor(reference: &[f64], now: &[f64]) -> f64 {
    let before: f64 = reference.iter().map(|x| x.abs()).sum();
    let after: f64 = now.iter().map(|x| x.abs()).sum();
    if after > 0.0 {
        before / after
    } else {
        1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library;

    /// Worked values of reference/devices.md §2 (IBM PCM model).
    #[test]
    fn ibm_drift_statistics_match_worked_values() {
        let spec = library::preset("ibm-pcm").unwrap().drift.unwrap();
        for (g_r, mu, sigma) in [
            (0.01, 0.0958, 0.0450),
            (0.1, 0.0601, 0.0229),
            (1.0, 0.049, 0.008),
        ] {
            assert!((spec.nu_mean.at(g_r) - mu).abs() < 5e-5, "μ at {g_r}");
            assert!((spec.nu_std.at(g_r) - sigma).abs() < 5e-5, "σ at {g_r}");
        }
    }

    #[test]
    fn erfc_is_accurate() {
        // Values from tables of erfc.
        for (x, v) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 0.004_677_734_981_047_266),
            (-1.0, 1.842_700_792_949_715),
        ] {
            assert!((erfc(x) - v).abs() / v < 2e-7, "erfc({x})");
        }
    }

    #[test]
    fn factor_is_one_before_t0_and_a_power_law_after() {
        let d = DriftSpec {
            t0_s: 20.0,
            nu_mean: LogLinear::constant(0.05),
            nu_std: LogLinear::constant(0.0),
        };
        assert_eq!(d.factor(0.05, 1.0), 1.0);
        assert!((d.factor(0.05, 2000.0) - 100f64.powf(-0.05)).abs() < 1e-15);
    }
}
