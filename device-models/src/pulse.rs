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

use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section, Value};

mod exponential;
mod soft_bounds;

pub use crate::pulse_table::{MeasuredCurve, StepTable};
pub use exponential::{
    a_from_nl, exponential_update, exponential_update_tallied, max_gap, nl_from_a, ExponentialCurve,
};
pub use soft_bounds::{soft_bounds_update, soft_bounds_update_tallied};
use soft_bounds::{soft_steps, soft_sweep_pulses};

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

    /// The same model with the cycle-to-cycle σ `c2c` (relative, as
    /// [`PulseSpec::c2c`]); a measured curve, whose σ is per bin, as is.
    ///
    /// ```
    /// use xbar_devices::pulse::PulseSpec;
    /// let soft = PulseSpec::SoftBounds { alpha_up: 0.1, alpha_down: 0.5, c2c: 0.02 };
    /// assert_eq!(soft.with_c2c(0.0).c2c(), 0.0);
    /// assert_eq!(soft.with_c2c(0.0).full_sweep_pulses(), soft.full_sweep_pulses());
    /// ```
    pub fn with_c2c(&self, c2c: f64) -> PulseSpec {
        match self.clone() {
            PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                nl_ltp,
                nl_ltd,
                ..
            } => PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                nl_ltp,
                nl_ltd,
                c2c,
            },
            PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                ..
            } => PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                c2c,
            },
            measured @ PulseSpec::Measured(_) => measured,
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

    /// Whether the model remembers each device's last pulse polarity (a
    /// measured curve with a turn step at a reversal); the array keeps it
    /// in [`CellPulse::last`].
    pub fn remembers_polarity(&self) -> bool {
        matches!(self, PulseSpec::Measured(curve) if curve.has_turn())
    }

    /// Applies `n` pulses (positive: LTP, negative: LTD) to one device of
    /// conductance `g` (S) with its own parameters `cell`, on a device whose
    /// nominal range is `nominal = (G_min, G_max)`; returns the new
    /// conductance and `Σ g` over the pulses (S) — what
    /// [`crate::DeviceArray::apply_pulses`] calls for every device.
    pub fn update_cell<R: rand::Rng + ?Sized>(
        &self,
        g: f64,
        n: i32,
        cell: &CellPulse,
        nominal: (f64, f64),
        rng: &mut R,
    ) -> (f64, f64) {
        match self {
            PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                c2c,
                ..
            } => {
                let curve = |p_max: u32, a: f64| ExponentialCurve {
                    g_min: cell.g_min,
                    g_max: cell.g_max,
                    p_max: f64::from(p_max),
                    a,
                };
                let ltp = curve(*pulses_ltp, cell.a_ltp);
                let ltd = curve(*pulses_ltd, cell.a_ltd);
                exponential_update_tallied(g, n, &ltp, &ltd, *c2c, rng)
            }
            PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                c2c,
            } => soft_bounds_update_tallied(
                g,
                n,
                cell.g_min,
                cell.g_max,
                *alpha_up,
                *alpha_down,
                *c2c,
                rng,
            ),
            PulseSpec::Measured(curve) => {
                let (lo, hi) = (cell.g_min, cell.g_max);
                let map = (nominal.0, (hi - lo) / (nominal.1 - nominal.0));
                curve.update(g, n, cell.last, (lo, hi), map, rng)
            }
        }
    }

    /// Weight change of one nominal pulse relative to `G_max − G_min`:
    /// `1/P_max` (exponential model), `α_up/2` (soft bounds, at mid-range)
    /// or the mean LTP step at mid-range over the range (measured curve) —
    /// the in-situ trainers' smallest weight step.
    ///
    /// ```
    /// use xbar_devices::pulse::PulseSpec;
    /// assert_eq!(PulseSpec::default().step_fraction(), 1e-3); // 1000 pulses
    /// ```
    pub fn step_fraction(&self) -> f64 {
        match self {
            PulseSpec::Exponential { pulses_ltp, .. } => 1.0 / f64::from(*pulses_ltp),
            PulseSpec::SoftBounds { alpha_up, .. } => alpha_up / 2.0,
            PulseSpec::Measured(curve) => {
                let (g_min, g_max) = curve.span();
                curve.mid_step_fraction(g_min, g_max)
            }
        }
    }

    /// The model in three short cells, as a device table lists it:
    /// levels (pulses each way), nonlinearity, and cycle-to-cycle σ as a
    /// percentage of the model's reference (`None` where σ is per bin).
    pub fn summary(&self) -> PulseSummary {
        match self {
            PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                nl_ltp,
                nl_ltd,
                c2c,
            } => PulseSummary {
                levels: format!("{pulses_ltp}/{pulses_ltd}"),
                nonlinearity: format!("{nl_ltp}/{nl_ltd}"),
                c2c: Some(*c2c),
            },
            PulseSpec::SoftBounds {
                alpha_up,
                alpha_down,
                c2c,
            } => PulseSummary {
                levels: "soft bounds".to_string(),
                nonlinearity: format!("α {alpha_up}/{alpha_down}"),
                c2c: Some(*c2c),
            },
            PulseSpec::Measured(curve) => PulseSummary {
                levels: format!("measured {}/{} bins", curve.ltp.bins(), curve.ltd.bins()),
                nonlinearity: "-".to_string(),
                c2c: None,
            },
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

/// One device's own pulse parameters, as its array draws them device to
/// device, and its pulse history where the model needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellPulse {
    /// The device's G_min (S).
    pub g_min: f64,
    /// The device's G_max (S).
    pub g_max: f64,
    /// The device's signed `A` of its LTP curve (exponential model only).
    pub a_ltp: f64,
    /// The device's signed `A` of its LTD curve (exponential model only).
    pub a_ltd: f64,
    /// The polarity of the device's last pulse (±1, 0 = none), where the
    /// model [remembers it](PulseSpec::remembers_polarity).
    pub last: i8,
}

/// A pulse model in a device table's three cells ([`PulseSpec::summary`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PulseSummary {
    /// Pulses each way (`"256/256"`), or the model's kind.
    pub levels: String,
    /// Nonlinearity labels (`"2.4/-4.88"`, `"α 0.1/0.2"`), `"-"` if none.
    pub nonlinearity: String,
    /// Cycle-to-cycle σ (relative), `None` when given per bin.
    pub c2c: Option<f64>,
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
