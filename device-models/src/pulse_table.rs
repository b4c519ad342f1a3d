//! Measured-curve pulse model: the step `ΔG(G)` of one pulse, read from a
//! table binned over the conductance, for each polarity.
//!
//! For data the closed forms of [`crate::pulse`] cannot follow — different
//! bounds for the two branches, a conductance jump at the turn from
//! potentiation to depression (reported as unsupported in MLP_NeuroSim
//! V3.0, issue #13), steps that grow before they shrink — the device is
//! described by what was measured: for each polarity, bins over the
//! conductance and, in each bin, the mean step and its cycle-to-cycle σ.
//!
//! ## Update rule
//! A branch ([`StepTable`]) has `N` bins with edges `e_0 < … < e_N` (S),
//! a mean step `μ_i` and a σ `s_i ≥ 0` per bin, both signed/absolute in S.
//! Its node `i` sits at the bin centre `c_i = (e_i + e_{i+1})/2`. At a
//! conductance `g`, the step's mean and σ are interpolated linearly between
//! the two nearest centres and held constant beyond the outermost ones:
//!
//! ```text
//! c_i ≤ g < c_{i+1}:  q = (g − c_i)/(c_{i+1} − c_i)
//!                     μ(g) = (1 − q)·μ_i + q·μ_{i+1},   s(g) likewise
//! g < c_0:  μ(g) = μ_0;   g ≥ c_{N−1}:  μ(g) = μ_{N−1}
//! ```
//!
//! One pulse of polarity `d = ±1` moves `g → g + μ(g) + s(g)·ξ`, `ξ ~ N(0, 1)`
//! (one draw per pulse from the array's pulse stream). A potentiating
//! pulse never takes `g` above the top edge of the LTP table (the branch's
//! own saturation) unless `g` already is there, a depressing pulse never
//! below the bottom edge of the LTD table; the result is then clamped to
//! the device's `[g_min, g_max]`.
//!
//! **Turn.** The optional tables `turn_ltp` and `turn_ltd` give the step of
//! the *first* pulse after a reversal of polarity (into LTP and into LTD):
//! that pulse follows the turn table instead of its branch (same rule).
//! This is how a jump at the turn is written. The array remembers each
//! device's last polarity; a freshly made or programmed device has none,
//! so its first pulse follows the branch.
//!
//! **Device-to-device.** The tables are in nominal siemens; a device whose
//! drawn bounds are `[g_min,k, g_max,k]` (the library's D2D convention on
//! the bounds) uses them through the affine map that takes its range onto
//! the nominal one: `g_nom = g_min + (g − g_min,k)/s_k`, steps and σ times
//! `s_k = (g_max,k − g_min,k)/(g_max − g_min)`. The nonlinearity label (and
//! its D2D σ) has no meaning for a table and is not used.
//!
//! ## Sources
//! The idea is that of CrossSim's lookup-table devices (Sandia, CrossSim
//! v2, `examples/lookup_table_generation`: measured increasing/decreasing
//! pulse trains binned over G, 50 bins by default, the distribution of ΔG
//! kept per bin) and of aihwkit's `PiecewiseStepDevice` (IBM, aihwkit
//! `simulator/configs/devices.py`: step sizes given on nodes equally spaced
//! from `w_min` to `w_max`, linearly interpolated between the two adjacent
//! nodes, with multiplicative C2C noise). Here the nodes are bin centres
//! (so a fitter may merge sparse bins into wider, unequal ones), the
//! steps are absolute in siemens, and the C2C σ is additive and given per
//! bin, as measured, instead of one relative σ; CrossSim keeps the whole
//! ΔG distribution per bin, this model only its mean and σ (normal).

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section, Value};

/// One branch of a measured curve: the step of one pulse as a function of
/// the conductance, binned (see the [module doc](self) for the rule).
///
/// ```
/// use xbar_devices::pulse_table::StepTable;
/// // Two bins over [1, 3] µS: +0.2 µS around 1.5 µS, +0.1 µS around 2.5 µS.
/// let t = StepTable {
///     edges_s: vec![1e-6, 2e-6, 3e-6],
///     dg_s: vec![0.2e-6, 0.1e-6],
///     sigma_s: vec![0.0, 0.02e-6],
/// };
/// t.validate("pulse.ltp").unwrap();
/// let (mu, sigma) = t.at(2e-6); // half-way between the centres
/// assert!((mu - 0.15e-6).abs() < 1e-18 && (sigma - 0.01e-6).abs() < 1e-18);
/// assert_eq!(t.at(0.5e-6).0, 0.2e-6); // constant beyond the first centre
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepTable {
    /// Bin edges (S), strictly increasing: one more than the bins.
    #[serde(rename = "edges_S")]
    pub edges_s: Vec<f64>,
    /// Mean conductance change of one pulse in each bin (S, signed:
    /// positive = the conductance grows).
    #[serde(rename = "dg_S")]
    pub dg_s: Vec<f64>,
    /// Cycle-to-cycle σ of that change in each bin (S, ≥ 0).
    #[serde(rename = "sigma_S")]
    pub sigma_s: Vec<f64>,
}

impl StepTable {
    /// The number of bins.
    pub fn bins(&self) -> usize {
        self.dg_s.len()
    }

    /// Lowest and highest edge (S): the range the branch was measured over.
    pub fn bounds(&self) -> (f64, f64) {
        (
            self.edges_s.first().copied().unwrap_or(0.0),
            self.edges_s.last().copied().unwrap_or(0.0),
        )
    }

    fn centre(&self, i: usize) -> f64 {
        0.5 * (self.edges_s[i] + self.edges_s[i + 1])
    }

    /// Mean step and σ (S) at conductance `g` (S): linear between bin
    /// centres, constant beyond the outermost ones.
    pub fn at(&self, g: f64) -> (f64, f64) {
        let n = self.bins();
        if n == 1 || g <= self.centre(0) {
            return (self.dg_s[0], self.sigma_s[0]);
        }
        if g >= self.centre(n - 1) {
            return (self.dg_s[n - 1], self.sigma_s[n - 1]);
        }
        // Largest i with c_i ≤ g (1 ≤ i + 1 ≤ n − 1).
        let (mut lo, mut hi) = (0, n - 1);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.centre(mid) <= g {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let (c0, c1) = (self.centre(lo), self.centre(hi));
        let q = (g - c0) / (c1 - c0);
        (
            (1.0 - q) * self.dg_s[lo] + q * self.dg_s[hi],
            (1.0 - q) * self.sigma_s[lo] + q * self.sigma_s[hi],
        )
    }

    /// Checks lengths, ordering and signs; errors name `field.edges_S`, …
    pub fn validate(&self, field: &str) -> Result<(), SpecError> {
        let name = |key: &str| format!("{field}.{key}");
        if self.dg_s.is_empty() {
            return Err(SpecError::new(
                name("dg_S"),
                "expected at least one bin, found none",
            ));
        }
        if self.edges_s.len() != self.dg_s.len() + 1 {
            return Err(SpecError::new(
                name("edges_S"),
                format!(
                    "expected {} edges (one more than the {} values of dg_S), found {}",
                    self.dg_s.len() + 1,
                    self.dg_s.len(),
                    self.edges_s.len()
                ),
            ));
        }
        if self.sigma_s.len() != self.dg_s.len() {
            return Err(SpecError::new(
                name("sigma_S"),
                format!(
                    "expected {} values (one per bin, as dg_S), found {}",
                    self.dg_s.len(),
                    self.sigma_s.len()
                ),
            ));
        }
        for (i, e) in self.edges_s.iter().enumerate() {
            check::non_negative(&format!("{}[{i}]", name("edges_S")), *e)?;
        }
        for (i, w) in self.edges_s.windows(2).enumerate() {
            if w[1] <= w[0] {
                return Err(SpecError::new(
                    format!("{}[{}]", name("edges_S"), i + 1),
                    format!(
                        "expected strictly increasing edges, found {:e} S after {:e} S",
                        w[1], w[0]
                    ),
                ));
            }
        }
        for (i, d) in self.dg_s.iter().enumerate() {
            check::finite(&format!("{}[{i}]", name("dg_S")), *d)?;
        }
        for (i, s) in self.sigma_s.iter().enumerate() {
            check::non_negative(&format!("{}[{i}]", name("sigma_S")), *s)?;
        }
        Ok(())
    }
}

/// The measured-curve pulse model: a [`StepTable`] per polarity and,
/// optionally, one for the first pulse after each reversal.
///
/// ```
/// use xbar_devices::pulse_table::{MeasuredCurve, StepTable};
/// let branch = |dg: f64| StepTable {
///     edges_s: vec![1e-6, 5.5e-6, 10e-6],
///     dg_s: vec![dg, dg / 2.0],
///     sigma_s: vec![0.0, 0.0],
/// };
/// let curve = MeasuredCurve {
///     ltp: branch(0.3e-6),
///     ltd: branch(-0.2e-6),
///     turn_ltp: None,
///     // The first depressing pulse after potentiation drops 1 µS.
///     turn_ltd: Some(StepTable { edges_s: vec![1e-6, 10e-6], dg_s: vec![-1e-6], sigma_s: vec![0.0] }),
/// };
/// curve.validate(1e-6, 10e-6).unwrap();
/// // From 5 µS after + pulses (last polarity +1), one − pulse:
/// let g = curve.sweep(5e-6, -1, 1, 2, (1e-6, 10e-6));
/// assert!((g[0] - 4e-6).abs() < 1e-15); // the turn step, not the branch's
/// // Then the branch, between its centres 3.25 and 7.75 µS:
/// let q = (4.0 - 3.25) / 4.5;
/// assert!((g[1] - (4e-6 - 0.2e-6 * (1.0 - q) - 0.1e-6 * q)).abs() < 1e-15);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeasuredCurve {
    /// Potentiation: the step of a + pulse.
    pub ltp: StepTable,
    /// Depression: the step of a − pulse (negative means: conductance lost).
    pub ltd: StepTable,
    /// Step of the first + pulse after − pulses (the turn into LTP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_ltp: Option<StepTable>,
    /// Step of the first − pulse after + pulses (the turn into LTD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_ltd: Option<StepTable>,
}

/// Largest pulse count of a noiseless sweep ([`MeasuredCurve::sweep`]).
const SWEEP_LIMIT: u32 = 1_000_000;

impl MeasuredCurve {
    /// Checks every table, and that each lies within the device's
    /// `[g_min, g_max]` (with a relative slack of 1e-9; pass infinite
    /// bounds to check the tables alone).
    pub fn validate(&self, g_min: f64, g_max: f64) -> Result<(), SpecError> {
        let tables = [
            ("pulse.ltp", Some(&self.ltp)),
            ("pulse.ltd", Some(&self.ltd)),
            ("pulse.turn_ltp", self.turn_ltp.as_ref()),
            ("pulse.turn_ltd", self.turn_ltd.as_ref()),
        ];
        let slack = if g_max.is_finite() {
            1e-9 * g_max.abs()
        } else {
            0.0
        };
        for (field, table) in tables {
            let Some(t) = table else { continue };
            t.validate(field)?;
            let (lo, hi) = t.bounds();
            if lo < g_min - slack || hi > g_max + slack {
                return Err(SpecError::new(
                    format!("{field}.edges_S"),
                    format!(
                        "expected edges within the device's [g_min, g_max] = [{g_min:e}, {g_max:e}] S, found [{lo:e}, {hi:e}] S"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The lowest and highest edge of the two branches (S): where a sweep
    /// of [`crate::pulse::PulseSpec::full_sweep_pulses`] starts and ends.
    pub fn span(&self) -> (f64, f64) {
        let (a, b) = (self.ltp.bounds(), self.ltd.bounds());
        (a.0.min(b.0), a.1.max(b.1))
    }

    /// Whether the curve has a turn table (the array then keeps each
    /// device's last polarity).
    pub fn has_turn(&self) -> bool {
        self.turn_ltp.is_some() || self.turn_ltd.is_some()
    }

    /// Applies `n` pulses to one device at `g` (S): positive `n`
    /// potentiates, negative depresses, one step (and one C2C draw) per
    /// pulse. `last` is the polarity of the device's previous pulse (0:
    /// none); `(lo, hi)` are the device's bounds; `(g_min, s)` map it to
    /// the nominal table (`g_nom = g_min + (g − lo)/s`, steps times `s`).
    /// Returns the new conductance and `Σ g` over the pulses of the
    /// conductance each met (for the write energy, as
    /// [`crate::pulse::WriteTally`]).
    pub fn update<R: rand::Rng + ?Sized>(
        &self,
        g: f64,
        n: i32,
        last: i8,
        bounds: (f64, f64),
        map: (f64, f64),
        rng: &mut R,
    ) -> (f64, f64) {
        self.walk(g, n, last, bounds, map, || StandardNormal.sample(rng))
    }

    /// [`MeasuredCurve::update`] with the deviates from `draw` (called once
    /// per pulse whose σ is positive).
    fn walk(
        &self,
        g: f64,
        n: i32,
        last: i8,
        (lo, hi): (f64, f64),
        (g_min, s): (f64, f64),
        mut draw: impl FnMut() -> f64,
    ) -> (f64, f64) {
        if n == 0 {
            return (g, 0.0);
        }
        let up = n > 0;
        let branch = if up { &self.ltp } else { &self.ltd };
        let turn = if up { &self.turn_ltp } else { &self.turn_ltd };
        let dir: i8 = if up { 1 } else { -1 };
        // The branch's own saturation, in this device's coordinates.
        let limit = if up {
            lo + s * (self.ltp.bounds().1 - g_min)
        } else {
            lo + s * (self.ltd.bounds().0 - g_min)
        };
        let mut sum = g - g.clamp(lo, hi);
        let mut g = g.clamp(lo, hi);
        for k in 0..n.unsigned_abs() {
            sum += g;
            let table = match turn {
                Some(t) if k == 0 && last != 0 && last != dir => t,
                _ => branch,
            };
            let (mu, sigma) = table.at(g_min + (g - lo) / s);
            let mut next = g + s * mu;
            if sigma > 0.0 {
                next += s * sigma * draw();
            }
            next = if up {
                next.min(limit.max(g))
            } else {
                next.max(limit.min(g))
            };
            g = next.clamp(lo, hi);
        }
        (g, sum)
    }

    /// A noiseless sweep of `pulses` pulses of polarity `sign` from `g`
    /// on the nominal device `[g_min, g_max]`, the previous pulse having
    /// polarity `last` (0: none): the conductance after each pulse.
    pub fn sweep(
        &self,
        g: f64,
        sign: i32,
        last: i8,
        pulses: u32,
        (g_min, g_max): (f64, f64),
    ) -> Vec<f64> {
        let mut out = Vec::with_capacity(pulses as usize);
        let mut g = g;
        let mut last = last;
        for _ in 0..pulses {
            g = self
                .walk(g, sign, last, (g_min, g_max), (g_min, 1.0), || 0.0)
                .0;
            last = sign.signum() as i8;
            out.push(g);
        }
        out
    }

    /// Pulses of a noiseless sweep of polarity `sign` from `from` until the
    /// conductance comes within 0.5 % of the range of the branch's end (the
    /// top edge of LTP, the bottom edge of LTD) or stops moving (a step
    /// below 1e-9 of the range); at most 10⁶. Returns `(pulses, first step,
    /// last step)`, steps in S, signed.
    fn sweep_to_end(&self, from: f64, sign: i32, g_min: f64, g_max: f64) -> (u32, f64, f64) {
        let range = g_max - g_min;
        let end = if sign > 0 {
            self.ltp.bounds().1
        } else {
            self.ltd.bounds().0
        };
        let (mut g, mut first, mut last) = (from, 0.0, 0.0);
        let mut pulses = 0;
        while pulses < SWEEP_LIMIT {
            if (end - g).abs() <= 0.005 * range {
                break;
            }
            let next = self
                .walk(g, sign, 0, (g_min, g_max), (g_min, 1.0), || 0.0)
                .0;
            let step = next - g;
            if step.abs() < 1e-9 * range || (step > 0.0) != (sign > 0) {
                break;
            }
            if pulses == 0 {
                first = step;
            }
            last = step;
            g = next;
            pulses += 1;
        }
        (pulses.max(1), first, last)
    }

    /// The pulses `(LTP, LTD)` of a full noiseless sweep, g_min → top of
    /// LTP → bottom of LTD: each until within 0.5 % of the range of the
    /// branch's end or until the steps stop (at most 10⁶ pulses).
    pub fn full_sweep_pulses(&self, g_min: f64, g_max: f64) -> (u32, u32) {
        let (up, ..) = self.sweep_to_end(g_min, 1, g_min, g_max);
        let top = self.sweep(g_min, 1, 0, up, (g_min, g_max));
        let from = top.last().copied().unwrap_or(g_min);
        let (down, ..) = self.sweep_to_end(from, -1, g_min, g_max);
        (up, down)
    }

    /// Conductance gained (S) by the first and last pulse of the LTP sweep.
    pub fn ltp_steps(&self, g_min: f64, g_max: f64) -> (f64, f64) {
        let (_, first, last) = self.sweep_to_end(g_min, 1, g_min, g_max);
        (first, last)
    }

    /// Conductance lost (S, positive) by the first and last pulse of the
    /// LTD sweep from g_max.
    pub fn ltd_steps(&self, g_min: f64, g_max: f64) -> (f64, f64) {
        let (_, first, last) = self.sweep_to_end(g_max, -1, g_min, g_max);
        (-first, -last)
    }

    /// Mean change of one + pulse at mid-range, relative to `g_max − g_min`
    /// (the analogue of `1/P_max` for the in-situ learning-rate scale); the
    /// mean |step| over the LTP bins where that is 0, and at least 1e-6.
    pub fn mid_step_fraction(&self, g_min: f64, g_max: f64) -> f64 {
        let range = g_max - g_min;
        let mid = self.ltp.at(g_min + 0.5 * range).0.abs();
        let mean = self.ltp.dg_s.iter().map(|d| d.abs()).sum::<f64>() / self.ltp.bins() as f64;
        let step = if mid > 0.0 { mid } else { mean };
        (step / range).max(1e-6)
    }

    /// The section's parameters and derived quantities (see
    /// [`crate::pulse::PulseSpec::describe`]).
    pub fn describe_into(&self, s: &mut Section, g_min: f64, g_max: f64) {
        s.parameter(Parameter::text(
            "model",
            "measured",
            "measured curve: step ΔG(G) per polarity, binned, linear between bin centres",
        ));
        let tables = [
            ("ltp", Some(&self.ltp), "potentiating pulse"),
            ("ltd", Some(&self.ltd), "depressing pulse"),
            (
                "turn_ltp",
                self.turn_ltp.as_ref(),
                "first potentiating pulse after depression",
            ),
            (
                "turn_ltd",
                self.turn_ltd.as_ref(),
                "first depressing pulse after potentiation",
            ),
        ];
        for (key, table, what) in tables {
            let Some(t) = table else { continue };
            s.parameter(Parameter::new(
                format!("{key}.edges_S"),
                Value::List(t.edges_s.clone()),
                "S",
                format!("bin edges of the {what}'s table ({} bins)", t.bins()),
            ));
            s.parameter(Parameter::new(
                format!("{key}.dg_S"),
                Value::List(t.dg_s.clone()),
                "S",
                format!("mean conductance change of a {what}, per bin"),
            ));
            s.parameter(Parameter::new(
                format!("{key}.sigma_S"),
                Value::List(t.sigma_s.clone()),
                "S",
                "cycle-to-cycle σ of that change, per bin".to_string(),
            ));
        }
        let (lo, hi) = self.ltp.bounds();
        s.derive(Parameter::new(
            "LTP bounds",
            Value::Range(lo, hi),
            "S",
            "range of the LTP table (a + pulse saturates at its top)",
        ));
        let (lo, hi) = self.ltd.bounds();
        s.derive(Parameter::new(
            "LTD bounds",
            Value::Range(lo, hi),
            "S",
            "range of the LTD table (a − pulse saturates at its bottom)",
        ));
        s.derive(Parameter::text(
            "NL",
            "undefined",
            "a table has no NeuroSim nonlinearity label (nor A); variability.nl is not used",
        ));
        let (up, down) = self.full_sweep_pulses(g_min, g_max);
        s.derive(Parameter::count(
            "LTP sweep",
            u64::from(up),
            "noiseless pulses from g_min to within 0.5 % of the range of the LTP top (or until the steps stop)",
        ));
        s.derive(Parameter::count(
            "LTD sweep",
            u64::from(down),
            "noiseless pulses from there to within 0.5 % of the range of the LTD bottom",
        ));
        for (name, table) in [
            ("turn into LTP", &self.turn_ltp),
            ("turn into LTD", &self.turn_ltd),
        ] {
            if let Some(t) = table {
                let (a, b) = (
                    t.dg_s.iter().copied().fold(f64::INFINITY, f64::min),
                    t.dg_s.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                );
                s.derive(Parameter::new(
                    format!("ΔG {name}"),
                    Value::Range(a, b),
                    "S",
                    "smallest … largest mean step of the first pulse after a reversal",
                ));
            }
        }
    }
}
