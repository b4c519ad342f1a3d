//! Pulse updates: long-term potentiation (LTP) and depression (LTD) by
//! identical programming pulses.
//!
//! ## Exponential model (NeuroSim)
//! From the MLP_NeuroSim V3.0 manual (pp. 5–6; Chen & Yu, IEEE Design & Test
//! 2019), with `P` the pulse number on a curve of `P_max` pulses:
//!
//! ```text
//! G_LTP(P) = B·(1 − e^(−P/A)) + G_min
//! G_LTD(P) = −B·(1 − e^((P − P_max)/A)) + G_max
//! B        = (G_max − G_min) / (1 − e^(−P_max/A))
//! ```
//!
//! `A` comes from the nonlinearity label `NL` that device papers quote. On the
//! curve normalised to `P_max = 1`, `G_max − G_min = 1`, the largest vertical
//! gap between the curve and the straight line from (0, 0) to (1, 1) is
//! `0.0989949·|NL|` (NeuroSim's 900-entry NL → A table satisfies this to
//! about 2e-6), so `A(NL)` is the root of that closed-form gap; NL = 0 is the
//! linear device. The sign follows NeuroSim: a positive LTP label gives the
//! usual saturating potentiation; a **negative** LTD label gives the usual
//! saturating depression (large steps near G_max), which is the mirror curve
//! above. Internally both directions use `G(x) = G_min + B·(1 − e^(−x/A))`
//! with a signed `A`, which equals the mirror form for `A_LTD = −|A|`.
//!
//! One update of `n` pulses inverts the present conductance to its pulse
//! number on the curve of the update's direction, moves `n` pulses along it
//! (within `[0, P_max]`), maps back, adds cycle-to-cycle noise
//! `N(0, σ_C2C·(G_max − G_min))·√|n|` and clamps to `[G_min, G_max]`.
//!
//! ## Soft-bounds model
//! As in aihwkit's `SoftBoundsDevice` (after Gong et al., Nat. Commun. 2018):
//! each up pulse moves `Δg = α_up·(G_max − g)`, each down pulse
//! `Δg = −α_down·(g − G_min)`, every step multiplied by `(1 + σ_C2C·ξ)`,
//! result clamped to `[G_min, G_max]`.
//!
//! ## Measured curve
//! `model = "measured"`: the step `ΔG(G)` of each polarity read from binned
//! tables, with a per-bin C2C σ and an optional turn step at a reversal;
//! see [`crate::pulse_table`] for the rule and its sources.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section, Value};

pub use crate::pulse_table::{MeasuredCurve, StepTable};

const TITLE: &str = "Pulse updates";
const TABLE: Option<&str> = Some("pulse");

/// Slope of NeuroSim's NL → A table: the largest gap between the normalised
/// curve and the straight line is `NL_GAP_PER_UNIT · |NL|`.
pub const NL_GAP_PER_UNIT: f64 = 0.098_994_949_366_116_65;

/// Largest |NL| label accepted (the range of NeuroSim's table).
pub const NL_MAX: f64 = 9.0;

/// A pulse-update model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PulseSpec {
    /// NeuroSim's exponential LTP/LTD curves.
    Exponential {
        /// Pulses from G_min to G_max on the LTP curve (P_max, "levels").
        pulses_ltp: u32,
        /// Pulses from G_max to G_min on the LTD curve.
        pulses_ltd: u32,
        /// Nonlinearity label of LTP (NeuroSim convention, |NL| ≤ 9).
        nl_ltp: f64,
        /// Nonlinearity label of LTD (NeuroSim convention: negative for the
        /// usual saturating depression).
        nl_ltd: f64,
        /// Cycle-to-cycle σ of one pulse, relative to G_max − G_min.
        #[serde(default)]
        c2c: f64,
    },
    /// Soft bounds: steps proportional to the distance to the bound.
    SoftBounds {
        /// Fraction of `G_max − g` gained per up pulse, in (0, 1).
        alpha_up: f64,
        /// Fraction of `g − G_min` lost per down pulse, in (0, 1).
        alpha_down: f64,
        /// Cycle-to-cycle σ of each step, relative to the step.
        #[serde(default)]
        c2c: f64,
    },
    /// A measured curve: binned step tables per polarity
    /// ([`crate::pulse_table`]).
    Measured(Box<MeasuredCurve>),
}

/// Linear, noiseless updates: the exponential model with `NL = 0`, 1000
/// pulses across the range each way, no cycle-to-cycle noise (the pulse
/// model of the `ideal` library device).
impl Default for PulseSpec {
    fn default() -> Self {
        PulseSpec::Exponential {
            pulses_ltp: 1000,
            pulses_ltd: 1000,
            nl_ltp: 0.0,
            nl_ltd: 0.0,
            c2c: 0.0,
        }
    }
}

impl PulseSpec {
    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        match self {
            PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                nl_ltp,
                nl_ltd,
                c2c,
            } => {
                if *pulses_ltp < 1 {
                    return Err(SpecError::new(
                        "pulse.pulses_ltp",
                        "expected at least 1 pulse, found 0",
                    ));
                }
                if *pulses_ltd < 1 {
                    return Err(SpecError::new(
                        "pulse.pulses_ltd",
                        "expected at least 1 pulse, found 0",
                    ));
                }
                check::within("pulse.nl_ltp", *nl_ltp, -NL_MAX, NL_MAX)?;
                check::within("pulse.nl_ltd", *nl_ltd, -NL_MAX, NL_MAX)?;
                check::non_negative("pulse.c2c", *c2c)?;
            }
            PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                c2c,
            } => {
                open_unit("pulse.alpha_up", *alpha_up)?;
                open_unit("pulse.alpha_down", *alpha_down)?;
                check::non_negative("pulse.c2c", *c2c)?;
            }
            PulseSpec::Measured(curve) => curve.validate(f64::NEG_INFINITY, f64::INFINITY)?,
        }
        Ok(())
    }

    /// [`PulseSpec::validate`], and for a measured curve also that its
    /// tables lie within the device's `[g_min, g_max]` (S).
    pub fn validate_within(&self, g_min: f64, g_max: f64) -> Result<(), SpecError> {
        match self {
            PulseSpec::Measured(curve) => curve.validate(g_min, g_max),
            _ => self.validate(),
        }
    }

    /// The cycle-to-cycle σ as written in the spec (relative, see each
    /// model); 0 for a measured curve, whose σ is given per bin in siemens.
    pub fn c2c(&self) -> f64 {
        match self {
            PulseSpec::Exponential { c2c, .. } | PulseSpec::SoftBounds { c2c, .. } => *c2c,
            PulseSpec::Measured(_) => 0.0,
        }
    }

    /// The pulses `(LTP, LTD)` of a full noiseless sweep, g_min → g_max →
    /// g_min: `pulses_ltp`/`pulses_ltd` for the exponential model; for soft
    /// bounds, which never reach a bound, the pulses that cover 99 % of the
    /// range, `⌈ln 100 / −ln(1 − α)⌉` (within 1 … 10⁶).
    ///
    /// ```
    /// use xbar_devices::pulse::PulseSpec;
    /// let soft = PulseSpec::SoftBounds { alpha_up: 0.1, alpha_down: 0.5, c2c: 0.0 };
    /// assert_eq!(soft.full_sweep_pulses(), (44, 7)); // 0.9^44 < 0.01 < 0.9^43
    /// ```
    pub fn full_sweep_pulses(&self) -> (u32, u32) {
        match self {
            PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                ..
            } => (*pulses_ltp, *pulses_ltd),
            PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                ..
            } => (soft_sweep_pulses(*alpha_up), soft_sweep_pulses(*alpha_down)),
            PulseSpec::Measured(curve) => {
                let (g_min, g_max) = curve.span();
                curve.full_sweep_pulses(g_min, g_max)
            }
        }
    }

    /// NeuroSim's `A` of the LTP and LTD labels, in units of the curve's
    /// pulses (the table value; `±∞` for a linear curve), by [`a_from_nl`].
    /// `None` for the soft-bounds model.
    pub fn neurosim_a(&self) -> Option<(f64, f64)> {
        match self {
            PulseSpec::Exponential { nl_ltp, nl_ltd, .. } => {
                Some((a_from_nl(*nl_ltp), a_from_nl(*nl_ltd)))
            }
            PulseSpec::SoftBounds { .. } | PulseSpec::Measured(_) => None,
        }
    }

    /// Conductance gained (S) by the first and by the last pulse of a full
    /// noiseless LTP sweep from g_min ([`PulseSpec::full_sweep_pulses`]).
    pub fn ltp_steps(&self, g_min: f64, g_max: f64) -> (f64, f64) {
        match self {
            PulseSpec::Exponential {
                pulses_ltp, nl_ltp, ..
            } => {
                let ltp = ExponentialCurve::from_nl(g_min, g_max, *pulses_ltp, *nl_ltp);
                (ltp.change(0.0, 1.0), ltp.change(ltp.p_max - 1.0, 1.0))
            }
            PulseSpec::SoftBounds { alpha_up, .. } => {
                soft_steps(*alpha_up, soft_sweep_pulses(*alpha_up), g_max - g_min)
            }
            PulseSpec::Measured(curve) => curve.ltp_steps(g_min, g_max),
        }
    }

    /// Conductance lost (S, positive) by the first and by the last pulse of
    /// a full noiseless LTD sweep from g_max
    /// ([`PulseSpec::full_sweep_pulses`]).
    pub fn ltd_steps(&self, g_min: f64, g_max: f64) -> (f64, f64) {
        match self {
            PulseSpec::Exponential {
                pulses_ltd, nl_ltd, ..
            } => {
                // Depression moves down the signed-A curve from P_max.
                let ltd = ExponentialCurve::from_nl(g_min, g_max, *pulses_ltd, *nl_ltd);
                (-ltd.change(ltd.p_max, -1.0), -ltd.change(1.0, -1.0))
            }
            PulseSpec::SoftBounds { alpha_down, .. } => {
                soft_steps(*alpha_down, soft_sweep_pulses(*alpha_down), g_max - g_min)
            }
            PulseSpec::Measured(curve) => curve.ltd_steps(g_min, g_max),
        }
    }

    /// The section of a device without a pulse model.
    pub fn describe_absent() -> Section {
        Section::absent(TITLE, TABLE, "no LTP/LTD pulse model")
    }

    /// The parameters, with the derived `A` of each label, the first and
    /// last step of a full sweep and the C2C σ in siemens, for a device
    /// whose range is `[g_min, g_max]` (S).
    pub fn describe(&self, g_min: f64, g_max: f64) -> Section {
        let mut s = Section::new(TITLE, TABLE);
        let range = g_max - g_min;
        match self {
            PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                nl_ltp,
                nl_ltd,
                c2c,
            } => {
                s.parameter(Parameter::text(
                    "model",
                    "exponential",
                    "NeuroSim exponential LTP/LTD curves",
                ));
                s.parameter(Parameter::count(
                    "pulses_ltp",
                    u64::from(*pulses_ltp),
                    "pulses from g_min to g_max",
                ));
                s.parameter(Parameter::count(
                    "pulses_ltd",
                    u64::from(*pulses_ltd),
                    "pulses from g_max to g_min",
                ));
                s.parameter(Parameter::number(
                    "nl_ltp",
                    *nl_ltp,
                    "",
                    "LTP nonlinearity label (NeuroSim), |NL| ≤ 9",
                ));
                s.parameter(Parameter::number(
                    "nl_ltd",
                    *nl_ltd,
                    "",
                    "LTD nonlinearity label (negative: saturating depression)",
                ));
                s.parameter(Parameter::number(
                    "c2c",
                    *c2c,
                    "",
                    "cycle-to-cycle σ per pulse, relative to g_max − g_min",
                ));
                if let Some((a_ltp, a_ltd)) = self.neurosim_a() {
                    s.derive(Parameter::number(
                        "A_ltp",
                        a_ltp,
                        "",
                        "NeuroSim's A of nl_ltp, in units of pulses_ltp: G(P) = B·(1 − e^(−P/A)) + g_min",
                    ));
                    s.derive(Parameter::number(
                        "A_ltd",
                        a_ltd,
                        "",
                        "NeuroSim's A of nl_ltd, in units of pulses_ltd (inf: linear)",
                    ));
                }
                s.derive(Parameter::number(
                    "C2C σ",
                    c2c * range,
                    "S",
                    "σ of one pulse's cycle-to-cycle noise, c2c·(g_max − g_min)",
                ));
            }
            PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                c2c,
            } => {
                s.parameter(Parameter::text(
                    "model",
                    "soft-bounds",
                    "steps proportional to the distance to the bound",
                ));
                s.parameter(Parameter::number(
                    "alpha_up",
                    *alpha_up,
                    "",
                    "fraction of g_max − g gained per up pulse",
                ));
                s.parameter(Parameter::number(
                    "alpha_down",
                    *alpha_down,
                    "",
                    "fraction of g − g_min lost per down pulse",
                ));
                s.parameter(Parameter::number(
                    "c2c",
                    *c2c,
                    "",
                    "cycle-to-cycle σ of each step, relative to the step",
                ));
                let (up, down) = self.full_sweep_pulses();
                s.derive(Parameter::count(
                    "LTP sweep",
                    u64::from(up),
                    "pulses that cover 99 % of the range, ⌈ln 100 / −ln(1 − alpha_up)⌉",
                ));
                s.derive(Parameter::count(
                    "LTD sweep",
                    u64::from(down),
                    "pulses that cover 99 % of the range, ⌈ln 100 / −ln(1 − alpha_down)⌉",
                ));
            }
            PulseSpec::Measured(curve) => curve.describe_into(&mut s, g_min, g_max),
        }
        let (first, last) = self.ltp_steps(g_min, g_max);
        s.derive(Parameter::new(
            "ΔG LTP",
            Value::Range(first, last),
            "S",
            "gained by the first … last pulse of a full sweep from g_min",
        ));
        let (first, last) = self.ltd_steps(g_min, g_max);
        s.derive(Parameter::new(
            "ΔG LTD",
            Value::Range(first, last),
            "S",
            "lost by the first … last pulse of a full sweep from g_max",
        ));
        s
    }
}

/// Pulses of a soft-bounds sweep that cover 99 % of the range: the distance
/// to the bound after `n` pulses is `(1 − α)ⁿ` of the range.
fn soft_sweep_pulses(alpha: f64) -> u32 {
    let n = (100f64.ln() / -(1.0 - alpha).ln()).ceil();
    n.clamp(1.0, 1_000_000.0) as u32
}

/// First and last step (S) of `pulses` soft-bounds pulses across `range`:
/// step `k` (from 1) is `α·range·(1 − α)^(k − 1)`.
fn soft_steps(alpha: f64, pulses: u32, range: f64) -> (f64, f64) {
    let first = alpha * range;
    let last = first * (1.0 - alpha).powi(pulses.saturating_sub(1) as i32);
    (first, last)
}

fn open_unit(field: &str, value: f64) -> Result<f64, SpecError> {
    check::finite(field, value)?;
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(SpecError::new(
            field,
            format!("expected a fraction in (0, 1), found {value}"),
        ))
    }
}

/// Largest gap between the normalised exponential curve with parameter `a`
/// (in units of P_max) and the straight line: `y(x*) − x*` with
/// `x* = −a·ln(a·(1 − e^(−1/a)))`. Decreasing in `a`, `≈ 1/(8a)` for large `a`.
pub fn max_gap(a: f64) -> f64 {
    let denom = -(-1.0 / a).exp_m1();
    let x = -a * (a * denom).ln();
    -(-x / a).exp_m1() / denom - x
}

/// NeuroSim's `A` (in units of P_max) for a nonlinearity label: signed like
/// `nl`, `+∞` for `nl = 0` (linear device).
///
/// Solves `max_gap(A) = 0.0989949·|NL|` by bisection on `ln A` to machine
/// precision (80 halvings of a bracket of width ln 10¹²).
///
/// ```
/// use xbar_devices::pulse::a_from_nl;
/// // NeuroSim's table: NL 2.40 → A = 0.499181.
/// assert!((a_from_nl(2.40) - 0.499181).abs() < 1e-6);
/// assert!((a_from_nl(-4.88) + 0.200303).abs() < 1e-6);
/// ```
pub fn a_from_nl(nl: f64) -> f64 {
    if nl == 0.0 {
        return f64::INFINITY;
    }
    let target = NL_GAP_PER_UNIT * nl.abs();
    // max_gap(a) decreases from 1 (a → 0) to 0 (a → ∞).
    let (mut lo, mut hi) = (1e-6_f64.ln(), 1e6_f64.ln());
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if max_gap(mid.exp()) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = (0.5 * (lo + hi)).exp();
    a.copysign(nl)
}

/// The nonlinearity label of a curve with parameter `a` (in units of
/// P_max): the inverse of [`a_from_nl`], `sign(a)·max_gap(|a|)/0.0989949`;
/// 0 for the straight line (`a = ±∞`).
///
/// ```
/// use xbar_devices::pulse::{a_from_nl, nl_from_a};
/// assert!((nl_from_a(1.251653) - 1.0).abs() < 1e-5);
/// assert!((nl_from_a(a_from_nl(-6.76)) + 6.76).abs() < 1e-9);
/// ```
pub fn nl_from_a(a: f64) -> f64 {
    if a.is_infinite() {
        return 0.0;
    }
    (max_gap(a.abs()) / NL_GAP_PER_UNIT).copysign(a)
}

/// One exponential curve `G(x) = G_min + B·(1 − e^(−x/A))`, `x ∈ [0, P_max]`,
/// for one device and one direction. `A = ±∞` is the straight line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialCurve {
    /// G_min (S).
    pub g_min: f64,
    /// G_max (S).
    pub g_max: f64,
    /// Pulses from one end to the other.
    pub p_max: f64,
    /// Signed A, in pulses (NeuroSim's table value times P_max).
    pub a: f64,
}

impl ExponentialCurve {
    /// The curve for a nonlinearity label `nl` over `p_max` pulses.
    pub fn from_nl(g_min: f64, g_max: f64, p_max: u32, nl: f64) -> Self {
        ExponentialCurve {
            g_min,
            g_max,
            p_max: f64::from(p_max),
            a: a_from_nl(nl) * f64::from(p_max),
        }
    }

    fn b(&self) -> f64 {
        (self.g_max - self.g_min) / -(-self.p_max / self.a).exp_m1()
    }

    /// Conductance at pulse number `x` (clamped to `[0, P_max]`).
    pub fn conductance(&self, x: f64) -> f64 {
        let x = x.clamp(0.0, self.p_max);
        if self.a.is_infinite() {
            return self.g_min + (self.g_max - self.g_min) * x / self.p_max;
        }
        self.g_min + self.b() * -(-x / self.a).exp_m1()
    }

    /// Conductance change (S, signed) of `pulses` pulses from pulse number
    /// `from`: `conductance(from + pulses) − conductance(from)`.
    pub fn change(&self, from: f64, pulses: f64) -> f64 {
        self.conductance(from + pulses) - self.conductance(from)
    }

    /// `Σ_{k=0}^{m−1} conductance(x0 + s·k)`, `m = |n|`, `s = sign(n)`:
    /// the conductance met by each of `n` pulses from pulse number `x0`
    /// (pulses past `P_max` or 0 meet the bound). `g0` is
    /// `conductance(x0)` and `g_end` is `conductance(x0 + n)`, which an
    /// update has computed already. With `G(x0 + s·k) = G_∞ − D·e^(−kε)`,
    /// `ε = s/A`, the `m` pulses inside the range sum to the geometric
    /// series `m·g0 + (G(x0 + s·m) − g0)·(m/(1 − e^(−mε)) − 1/(1 − e^(−ε)))`;
    /// the bracket is evaluated as `(φ(mε) − φ(ε))/ε + (m − 1)/2` with
    /// `φ(x) = (x/2)·coth(x/2) − 1` (a series for small `x`), which stays
    /// accurate for nearly linear curves and is `(m − 1)/2` for the line.
    /// Cost: O(1) per update, not per pulse: a few flops when every pulse
    /// stays inside the curve and `|m·ε| < 0.1`; two `tanh` beyond, and a
    /// `floor` and an `exp` only when the pulses reach a bound.
    #[inline]
    pub fn pulse_sum(&self, x0: f64, n: i32, g0: f64, g_end: f64) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let m = f64::from(n.unsigned_abs());
        let s = f64::from(n.signum());
        // Common case: every pulse, and the state after the last, inside
        // the curve (no floor, no exp); otherwise the pulses past the end
        // meet the bound and the curve is continued past its end.
        let (inside, g_last, beyond) = if (0.0..=self.p_max).contains(&(x0 + s * m)) {
            (m, g_end, 0.0)
        } else {
            let room = if n > 0 { self.p_max - x0 } else { x0 };
            let inside = m.min(room.max(0.0).floor() + 1.0);
            let bound = if n > 0 { self.g_max } else { self.g_min };
            let x = x0 + s * inside;
            let g_last = if self.a.is_infinite() {
                self.g_min + (self.g_max - self.g_min) * x / self.p_max
            } else {
                self.g_min + self.b() * -(-x / self.a).exp_m1()
            };
            (inside, g_last, (m - inside) * bound)
        };
        let mut h = (inside - 1.0) / 2.0;
        if self.a.is_finite() {
            h += coth_bracket(inside, s / self.a);
        }
        inside * g0 + (g_last - g0) * h + beyond
    }

    /// Pulse number of conductance `g` (clamped to `[G_min, G_max]`): the
    /// inverse of [`ExponentialCurve::conductance`].
    pub fn pulse_number(&self, g: f64) -> f64 {
        let g = g.clamp(self.g_min, self.g_max);
        if self.a.is_infinite() {
            return (g - self.g_min) / (self.g_max - self.g_min) * self.p_max;
        }
        let x = -self.a * (-(g - self.g_min) / self.b()).ln_1p();
        x.clamp(0.0, self.p_max)
    }
}

/// `(φ(m·ε) − φ(ε))/ε` with `φ(x) = (x/2)·coth(x/2) − 1 = x/(1 − e^(−x)) −
/// 1 − x/2` (even in `x`). Below `|m·ε| = 0.1` from φ's Taylor series
/// `x²/12 − x⁴/720 + x⁶/30240 − x⁸/1209600` term by term, with no division
/// and no cancellation (truncation < 3e-15 relative); above, the closed
/// form.
#[inline]
fn coth_bracket(m: f64, eps: f64) -> f64 {
    let x = (m * eps).abs();
    if x < 0.1 {
        let (e2, m2) = (eps * eps, m * m);
        let (m4, m6) = (m2 * m2, m2 * m2 * m2);
        eps * ((m2 - 1.0) / 12.0
            - e2 * ((m4 - 1.0) / 720.0
                - e2 * ((m6 - 1.0) / 30240.0 - e2 * (m4 * m4 - 1.0) / 1_209_600.0)))
    } else {
        let phi = |x: f64| {
            let x = x.abs();
            if x < 0.1 {
                let x2 = x * x;
                x2 * (1.0 / 12.0 - x2 * (1.0 / 720.0 - x2 * (1.0 / 30240.0 - x2 / 1_209_600.0)))
            } else {
                0.5 * x / (0.5 * x).tanh() - 1.0
            }
        };
        (phi(m * eps) - phi(eps)) / eps
    }
}

/// Applies `n` pulses to one device on the exponential model: positive `n`
/// moves along `ltp`, negative along `ltd`; then C2C noise and clamping.
pub fn exponential_update<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    ltp: &ExponentialCurve,
    ltd: &ExponentialCurve,
    c2c: f64,
    rng: &mut R,
) -> f64 {
    exponential_update_tallied(g, n, ltp, ltd, c2c, rng).0
}

/// [`exponential_update`], also returning `Σ g` (S) over the `|n|` pulses
/// of the conductance each pulse meets: `g` for the first, then the curve's
/// values one pulse apart, [`ExponentialCurve::pulse_sum`] (C2C noise is
/// drawn once per update, after the pulses, so the states in between are
/// on the curve). This is what a pulse's energy `V²·g·t` needs.
pub fn exponential_update_tallied<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    ltp: &ExponentialCurve,
    ltd: &ExponentialCurve,
    c2c: f64,
    rng: &mut R,
) -> (f64, f64) {
    if n == 0 {
        return (g, 0.0);
    }
    let curve = if n > 0 { ltp } else { ltd };
    let x0 = curve.pulse_number(g);
    let x = x0 + f64::from(n);
    let mut next = curve.conductance(x);
    let g0 = g.clamp(curve.g_min, curve.g_max);
    let sum = g - g0 + curve.pulse_sum(x0, n, g0, next);
    if c2c > 0.0 {
        let xi: f64 = StandardNormal.sample(rng);
        next += c2c * (curve.g_max - curve.g_min) * f64::from(n.unsigned_abs()).sqrt() * xi;
    }
    (next.clamp(curve.g_min, curve.g_max), sum)
}

/// What writing did to one array of `rows × cols` devices: the pulses
/// applied and the sum over them of the conductance each pulse met just
/// before it (what the write energy `Σ V²·g·t` needs). The one write tally
/// of the workspace: [`crate::DeviceArray::apply_pulses`] returns it,
/// in-situ training sums it per array, and the cost crate prices it
/// (`xbar_cost::write_cost`).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct WriteTally {
    /// Word lines of the array.
    pub rows: usize,
    /// Bit lines of the array.
    pub cols: usize,
    /// Pulses applied (`Σ |n|`).
    pub pulses: u64,
    /// `Σ g` over those pulses (S).
    pub sum_g_s: f64,
}

impl WriteTally {
    /// No pulses yet on an array of `rows × cols`.
    pub fn new(rows: usize, cols: usize) -> Self {
        WriteTally {
            rows,
            cols,
            ..WriteTally::default()
        }
    }
}

/// Adds the pulses and `Σ g` of `other` (written to the same array: the
/// shape stays `self`'s).
impl std::ops::AddAssign for WriteTally {
    fn add_assign(&mut self, other: WriteTally) {
        self.pulses += other.pulses;
        self.sum_g_s += other.sum_g_s;
    }
}

/// Applies `n` pulses to one device on the soft-bounds model, one step at a
/// time (each step has its own C2C draw).
#[allow(clippy::too_many_arguments)]
pub fn soft_bounds_update<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    g_min: f64,
    g_max: f64,
    alpha_up: f64,
    alpha_down: f64,
    c2c: f64,
    rng: &mut R,
) -> f64 {
    soft_bounds_update_tallied(g, n, g_min, g_max, alpha_up, alpha_down, c2c, rng).0
}

/// [`soft_bounds_update`], also returning `Σ g` (S) over the `|n|` pulses
/// of the conductance each pulse meets (`g` itself for the first pulse;
/// one addition per pulse, which the update loops over anyway).
#[allow(clippy::too_many_arguments)]
pub fn soft_bounds_update_tallied<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    g_min: f64,
    g_max: f64,
    alpha_up: f64,
    alpha_down: f64,
    c2c: f64,
    rng: &mut R,
) -> (f64, f64) {
    let mut sum = 0.0;
    if n != 0 {
        sum = g - g.clamp(g_min, g_max);
    }
    let mut g = g.clamp(g_min, g_max);
    for _ in 0..n.unsigned_abs() {
        sum += g;
        let step = if n > 0 {
            alpha_up * (g_max - g)
        } else {
            -alpha_down * (g - g_min)
        };
        let factor = if c2c > 0.0 {
            let xi: f64 = StandardNormal.sample(rng);
            1.0 + c2c * xi
        } else {
            1.0
        };
        g = (g + step * factor).clamp(g_min, g_max);
    }
    (g, sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NeuroSim's table samples (reference/devices.md §1).
    #[test]
    fn nl_to_a_matches_neurosim_table() {
        for (nl, a) in [
            (0.01, 126.268958),
            (1.00, 1.251653),
            (2.40, 0.499181),
            (4.88, 0.200303),
        ] {
            let ours = a_from_nl(nl);
            assert!(
                ((ours - a) / a).abs() < 5e-6,
                "NL {nl}: A = {ours}, NeuroSim {a}"
            );
            assert!((a_from_nl(-nl) + a).abs() / a < 5e-6);
        }
    }

    #[test]
    fn nl_and_a_round_trip() {
        for nl in [-9.0, -4.88, -0.63, -0.01, 0.0, 0.04, 1.0, 3.68, 9.0] {
            assert!((nl_from_a(a_from_nl(nl)) - nl).abs() < 1e-9, "NL {nl}");
        }
    }

    #[test]
    fn gap_is_proportional_to_nl_across_the_table() {
        for k in 1..=900 {
            let nl = f64::from(k) * 0.01;
            let gap = max_gap(a_from_nl(nl));
            assert!(((gap / nl) - 0.0989949).abs() / 0.0989949 < 2e-6);
        }
    }

    #[test]
    fn curve_endpoints_and_midpoint_follow_the_equation() {
        let (g_min, g_max) = (3.0769e-9, 3.8462e-8);
        let p = 97;
        let ltp = ExponentialCurve::from_nl(g_min, g_max, p, 2.40);
        assert!((ltp.conductance(0.0) - g_min).abs() < 1e-22);
        assert!((ltp.conductance(97.0) - g_max).abs() < 1e-20);
        // Midpoint from the manual's equation with A = 0.499181·P_max.
        let a: f64 = 0.499181 * 97.0;
        let b = (g_max - g_min) / (1.0 - (-97.0 / a).exp());
        let mid = b * (1.0 - (-48.5 / a).exp()) + g_min;
        assert!((ltp.conductance(48.5) - mid).abs() / mid < 1e-6);
        // The LTD curve (negative label) equals the manual's mirror form.
        let ltd = ExponentialCurve::from_nl(g_min, g_max, p, -4.88);
        let a: f64 = 0.200303 * 97.0;
        let b = (g_max - g_min) / (1.0 - (-97.0 / a).exp());
        for x in [0.0, 10.0, 48.5, 90.0, 97.0] {
            let mirror = -b * (1.0 - ((x - 97.0) / a).exp()) + g_max;
            assert!(
                (ltd.conductance(x) - mirror).abs() / g_max < 1e-6,
                "x = {x}"
            );
        }
        // Inverse.
        for x in [0.0, 1.0, 33.3, 96.0, 97.0] {
            assert!((ltp.pulse_number(ltp.conductance(x)) - x).abs() < 1e-9);
            assert!((ltd.pulse_number(ltd.conductance(x)) - x).abs() < 1e-9);
        }
    }

    #[test]
    fn linear_device_is_a_straight_line() {
        let c = ExponentialCurve::from_nl(1e-6, 2e-6, 10, 0.0);
        assert!((c.conductance(5.0) - 1.5e-6).abs() < 1e-18);
        assert!((c.pulse_number(1.25e-6) - 2.5).abs() < 1e-12);
    }

    /// The closed-form tally against a pulse-by-pulse walk along the curve
    /// (each pulse meets the clamped curve value one pulse further), for
    /// saturating, mirrored, nearly linear and linear curves, both
    /// directions, from inside the range and into the bounds.
    #[test]
    fn tallied_updates_sum_the_conductance_each_pulse_meets() {
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(1);
        for (nl_ltp, nl_ltd) in [
            (2.4, -4.88),
            (1.0, 1.0),
            (0.01, -0.01),
            (0.0, 0.0),
            (9.0, -9.0),
        ] {
            let ltp = ExponentialCurve::from_nl(1e-6, 11e-6, 40, nl_ltp);
            let ltd = ExponentialCurve::from_nl(1e-6, 11e-6, 60, nl_ltd);
            for g in [1e-6, 1.3e-6, 4.1e-6, 7.7e-6, 10.9e-6, 11e-6] {
                for n in [1i32, 2, 5, 17, 39, 80, -1, -3, -20, -59, -100] {
                    let curve = if n > 0 { &ltp } else { &ltd };
                    let x0 = curve.pulse_number(g);
                    let s = f64::from(n.signum());
                    let walk: f64 = (0..n.unsigned_abs())
                        .map(|k| {
                            if k == 0 {
                                g
                            } else {
                                curve.conductance(x0 + s * f64::from(k))
                            }
                        })
                        .sum();
                    let (next, sum) = exponential_update_tallied(g, n, &ltp, &ltd, 0.0, &mut rng);
                    assert!(
                        (sum - walk).abs() < 1e-12 * walk,
                        "NL {nl_ltp}/{nl_ltd}, g {g:e}, n {n}: {sum:e} vs {walk:e}"
                    );
                    assert_eq!(next, exponential_update(g, n, &ltp, &ltd, 0.0, &mut rng));
                }
            }
        }
        // Soft bounds, no noise: 3 up pulses from 0.5 with α = 0.1 on
        // [0, 1] meet 0.5, 0.55, 0.595.
        let (g, sum) = soft_bounds_update_tallied(0.5, 3, 0.0, 1.0, 0.1, 0.1, 0.0, &mut rng);
        assert!((sum - 1.645).abs() < 1e-14 && (g - 0.6355).abs() < 1e-14);
        assert_eq!(
            exponential_update_tallied(3e-6, 0, &ltp_of(), &ltp_of(), 0.0, &mut rng),
            (3e-6, 0.0)
        );
    }

    #[test]
    fn a_write_tally_adds_pulses_and_sums_on_its_array() {
        let mut t = WriteTally::new(4, 6);
        assert_eq!((t.rows, t.cols, t.pulses, t.sum_g_s), (4, 6, 0, 0.0));
        t += WriteTally {
            rows: 4,
            cols: 6,
            pulses: 3,
            sum_g_s: 6e-5,
        };
        t += WriteTally {
            pulses: 2,
            sum_g_s: 1e-5,
            ..WriteTally::default()
        };
        assert_eq!((t.rows, t.cols, t.pulses), (4, 6, 5));
        assert!((t.sum_g_s - 7e-5).abs() < 1e-18);
    }

    fn ltp_of() -> ExponentialCurve {
        ExponentialCurve::from_nl(1e-6, 11e-6, 40, 1.0)
    }

    #[test]
    fn validation_rejects_out_of_range_labels() {
        let spec = PulseSpec::Exponential {
            pulses_ltp: 10,
            pulses_ltd: 10,
            nl_ltp: 12.0,
            nl_ltd: -1.0,
            c2c: 0.0,
        };
        assert_eq!(spec.validate().unwrap_err().field, "pulse.nl_ltp");
        let spec = PulseSpec::SoftBounds {
            alpha_up: 0.1,
            alpha_down: 1.5,
            c2c: 0.0,
        };
        assert_eq!(spec.validate().unwrap_err().field, "pulse.alpha_down");
    }
}
