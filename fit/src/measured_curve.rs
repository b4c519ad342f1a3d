//! The measured-curve pulse model built from pulse trains: binned `ΔG(G)`
//! per polarity with the cycle-to-cycle σ per bin
//! ([`xbar_devices::pulse_table`]), scored on the same steps and with the
//! same likelihood convention as the analytic fits of [`crate::pulse`].
//!
//! ## Construction
//! Each device `k` is normalised by its measured extremes,
//! `u = (g − g_min,k)/(g_max,k − g_min,k)` (the library's D2D map of a
//! table), and its steps `(u₀, u₁)` are pooled over devices by polarity. A
//! step whose previous step had the other polarity is a *turn* step (the
//! first pulse after a reversal); the others build the branch tables:
//!
//! * a branch spans `[min, max]` of its steps' `u₀` and `u₁` (its own
//!   bounds: LTP saturates at its top, LTD at its bottom), cut into `bins`
//!   equal bins by `u₀`; from the left, a bin with fewer than
//!   [`MIN_STEPS_PER_BIN`] steps is merged with the next (a short last group
//!   with the previous one), so bins are unequal where data are sparse;
//!   then a bin whose mean step is not of the branch's sign (zero or
//!   against the pulse, where read noise near a plateau can put it, and
//!   where the noiseless curve would stick) is pooled with a neighbour
//!   until every mean step has the sign;
//! * per bin: `μ` = mean of `u₁ − u₀`, `σ` = its sample standard deviation
//!   (the C2C σ of the bin, including what the devices do differently);
//! * the turn steps of each polarity build a turn table the same way (over
//!   the range of their `u₀`), kept only when it lowers the criterion.
//!
//! * **read noise**: where the residuals of neighbouring steps from those
//!   tables are anti-correlated (lag-1 autocorrelation below `−2/√pairs`,
//!   the closed forms' test), each step is replaced by the local line
//!   through the points around it (`instrumented`: the step placed by a
//!   position that shares no read with it, the step its slope), and every
//!   bin's σ is the C2C σ of the state-space likelihood of the records with
//!   the tables as the map (`state_space_noise`), net of the read noise the
//!   raw spread mostly is. The scores below still use the raw steps with
//!   each bin's gross σ.
//!
//! The tables go to siemens through the nominal range: `g_min`, `g_max` =
//! the means of the devices' extremes (the same as the exponential fit's).
//!
//! ## Likelihood and criteria
//! A step's residual is `r = u₁ − ū₁`, `ū₁` the model's noiseless next state
//! (interpolated mean step, branch saturation, clamp to `[0, 1]`), normal
//! with the interpolated σ. With the analytic fits' convention (`−2 ln L`
//! less `n·(ln 2π + 1)`, which for a constant ML σ is `n·ln(RSS/n)`), a
//! device scores `Σ (ln σᵢ² + rᵢ²/σᵢ²) − n`. Parameters, counted honestly:
//! every bin value (`μ` and `σ`) and the two bounds of every table, once
//! for the population, and the two extremes of every device (as the
//! exponential fit counts its clamp levels). Totals: `AIC = Σ_k L_k + 2K`,
//! `BIC = Σ_k (L_k + 2·ln n_k) + K_table·ln N` (`N` all steps).
//!
//! ```
//! use xbar_fit::measurements::{PulseData, Table};
//! use xbar_fit::measured_curve::fit_measured;
//! // A device whose steps shrink linearly: +0.1·(1 − u) per up pulse, −0.1·u per
//! // down pulse on [1, 2] µS, 3 cycles of 30 + 30 pulses, no noise.
//! let mut text = String::from("pulse_voltage_V,dev\n1,1e-6\n");
//! let mut u: f64 = 0.0;
//! for _ in 0..3 {
//!     for _ in 0..30 { u += 0.1 * (1.0 - u); text += &format!("1,{:e}\n", 1e-6 * (1.0 + u)); }
//!     for _ in 0..30 { u -= 0.1 * u; text += &format!("-1,{:e}\n", 1e-6 * (1.0 + u)); }
//! }
//! let data = PulseData::from_table(&Table::from_csv_text("d.csv", &text, b',').unwrap()).unwrap();
//! let fit = fit_measured(&data, 10).unwrap();
//! assert!(fit.curve.ltp.bins() >= 2);
//! ```

use serde::{Deserialize, Serialize};
use xbar_devices::pulse::{MeasuredCurve, PulseSpec, StepTable};
use xbar_devices::variability::VariabilitySpec;

use crate::measurements::{DataError, PulseData};
use crate::pulse::{
    population_of, Criterion, ModelChoice, ModelTotals, PulseFit, PulseModel, Quality,
};
use crate::stats::{mean, median};

mod read_noise;
use read_noise::{instrumented, read_noise_of, state_space_noise};

/// Default bins per branch (CrossSim's generator uses 50 on long records;
/// 20 keeps ≥ 5 steps per bin on a few hundred pulses per polarity).
pub const DEFAULT_BINS: usize = 20;

/// Fewest steps in a bin; sparser bins are merged with a neighbour.
pub const MIN_STEPS_PER_BIN: usize = 5;

/// Smallest σ (relative to the range) a bin may have in the likelihood
/// (noiseless data would otherwise score −∞).
const SIGMA_FLOOR: f64 = 1e-9;

/// The measured curve on one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct MeasuredDevice {
    /// The device (column) name.
    pub name: String,
    /// Its smallest measured conductance (S).
    pub g_min_S: f64,
    /// Its largest measured conductance (S).
    pub g_max_S: f64,
    /// How well the table follows it (AIC/BIC with its 2 extremes only).
    pub quality: Quality,
}

/// The result of [`fit_measured`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct MeasuredFit {
    /// The tables, in siemens of the nominal range.
    pub curve: MeasuredCurve,
    /// Nominal g_min (S): mean of the devices' smallest conductances.
    pub g_min_S: f64,
    /// Nominal g_max (S): mean of the devices' largest conductances.
    pub g_max_S: f64,
    /// Per device.
    pub devices: Vec<MeasuredDevice>,
    /// Totals over the devices, the table's parameters included once.
    pub totals: ModelTotals,
    /// Parameters of the tables (bin values and bounds).
    pub table_parameters: usize,
    /// Bins merged away for having fewer than [`MIN_STEPS_PER_BIN`] steps.
    pub merged_bins: usize,
    /// Branch bins pooled with a neighbour for a mean step of the wrong
    /// sign (zero or against the pulse: the noiseless curve would stick).
    #[serde(default)]
    pub pooled_bins: usize,
    /// Read-noise σ relative to each device's range, where the steps show
    /// it (the tables then bin by the instrumented position and their σ are
    /// net of it: the module docs); `None` where they do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_noise: Option<f64>,
    /// Turn steps (first pulse after a reversal) into LTP and into LTD.
    pub turn_steps: [usize; 2],
    /// Devices left out of the tables, each with why (located: file, column).
    #[serde(default)]
    pub excluded: Vec<String>,
}

/// One pooled step in normalised units.
#[derive(Clone, Copy)]
struct UStep {
    u0: f64,
    u1: f64,
    up: bool,
    turn: bool,
    device: usize,
    /// The measured step `u₁ − u₀` (kept where `read_noise::instrumented` replaces
    /// the step): the value whose spread is a bin's σ.
    spread: f64,
}

/// Bins `steps` (by `u0`) over `[lo, hi]`: `(table in u, merged bins)`,
/// without pooling by sign.
#[cfg(test)]
fn bin_table(steps: &[&UStep], lo: f64, hi: f64, bins: usize) -> (StepTable, usize) {
    let (t, merged, _) = bin_table_signed(steps, lo, hi, bins, 0.0);
    (t, merged)
}

/// Bins `steps` (by `u0`) over `[lo, hi]`: `(table in u, sparse bins
/// merged, bins pooled by sign)`. With `sign` ±1 (the branch's polarity),
/// a bin whose mean step is not of that sign — where the noiseless curve
/// would stop or turn back inside the range — is pooled with the
/// neighbour of the larger mean step in that direction, until every bin's
/// mean has the sign or one bin is left (the monotone constraint of
/// pool-adjacent-violators, Ayer et al. 1955, applied to the sign of the
/// steps); `sign` 0 pools nothing.
fn bin_table_signed(
    steps: &[&UStep],
    lo: f64,
    hi: f64,
    bins: usize,
    sign: f64,
) -> (StepTable, usize, usize) {
    let bins = bins.max(1);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1e-6, hi + 1e-6)
    };
    let w = (hi - lo) / bins as f64;
    // Each step's bin, sorted stably by bin (a bin's steps keep their
    // order): memory and time follow the steps, not `bins`, so that a huge
    // bin count costs nothing (its empty bins only widen their group).
    let mut members: Vec<(usize, f64, f64)> = steps
        .iter()
        .map(|s| {
            let i = (((s.u0 - lo) / w).floor().max(0.0) as usize).min(bins - 1);
            (i, s.u1 - s.u0, s.spread)
        })
        .collect();
    members.sort_by_key(|m| m.0);
    // Greedy merge from the left: groups of consecutive bins with ≥ MIN
    // steps, each closed at the end of the bin that completes it (an empty
    // bin never does); the rest joins the last group, which ends at the
    // last bin.
    // (last bin, steps, their spread values)
    let mut groups: Vec<(usize, Vec<f64>, Vec<f64>)> = Vec::new();
    let (mut open, mut open_spread): (Vec<f64>, Vec<f64>) = (Vec::new(), Vec::new());
    let mut k = 0;
    while k < members.len() {
        let bin = members[k].0;
        while k < members.len() && members[k].0 == bin {
            open.push(members[k].1);
            open_spread.push(members[k].2);
            k += 1;
        }
        if open.len() >= MIN_STEPS_PER_BIN {
            groups.push((
                bin,
                std::mem::take(&mut open),
                std::mem::take(&mut open_spread),
            ));
        }
    }
    match groups.last_mut() {
        Some(last) => {
            last.0 = bins - 1;
            last.1.extend(open);
            last.2.extend(open_spread);
        }
        None => groups.push((bins - 1, open, open_spread)),
    }
    let merged = bins - groups.len();
    let mut pooled = 0;
    if sign != 0.0 {
        let along = |v: &[f64]| if v.is_empty() { 0.0 } else { sign * mean(v) };
        while groups.len() > 1 {
            let Some(i) = groups.iter().position(|g| along(&g.1) <= 0.0) else {
                break;
            };
            let j = match (i.checked_sub(1), (i + 1 < groups.len()).then_some(i + 1)) {
                (Some(a), Some(b)) => {
                    if along(&groups[a].1) >= along(&groups[b].1) {
                        a
                    } else {
                        b
                    }
                }
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => break,
            };
            let (keep, gone) = (i.min(j), i.max(j));
            let (last, v, spread) = groups.remove(gone);
            groups[keep].0 = last;
            groups[keep].1.extend(v);
            groups[keep].2.extend(spread);
            pooled += 1;
        }
    }
    let mut edges = vec![lo];
    let (mut dg, mut sigma) = (Vec::new(), Vec::new());
    for (last, v, spread) in &groups {
        edges.push(if *last == bins - 1 {
            hi
        } else {
            lo + w * (*last + 1) as f64
        });
        let m = if v.is_empty() { 0.0 } else { mean(v) };
        let s = if spread.len() > 1 {
            let c = mean(spread);
            (spread.iter().map(|x| (x - c).powi(2)).sum::<f64>() / (spread.len() - 1) as f64).sqrt()
        } else {
            0.0
        };
        dg.push(m);
        sigma.push(s);
    }
    (
        StepTable {
            edges_s: edges,
            dg_s: dg,
            sigma_s: sigma,
        },
        merged,
        pooled,
    )
}

fn range_of<'a>(vals: impl Iterator<Item = &'a UStep>, both: bool) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in vals {
        lo = lo.min(s.u0);
        hi = hi.max(s.u0);
        if both {
            lo = lo.min(s.u1);
            hi = hi.max(s.u1);
        }
    }
    (lo.max(0.0), hi.min(1.0))
}

/// `(Σ over steps of ln σ² + r²/σ² − 1, Σ r², n)` per device of the curve
/// `c` in normalised units.
fn scores(c: &MeasuredCurve, steps: &[UStep], devices: usize) -> Vec<(f64, f64, usize)> {
    let mut out = vec![(0.0, 0.0, 0usize); devices];
    for s in steps {
        let (branch, turn) = if s.up {
            (&c.ltp, &c.turn_ltp)
        } else {
            (&c.ltd, &c.turn_ltd)
        };
        let table = match turn {
            Some(t) if s.turn => t,
            _ => branch,
        };
        let (mu, sigma) = table.at(s.u0);
        let mut next = s.u0 + mu;
        next = if s.up {
            next.min(c.ltp.bounds().1.max(s.u0))
        } else {
            next.max(c.ltd.bounds().0.min(s.u0))
        };
        let r = s.u1 - next.clamp(0.0, 1.0);
        let var = sigma.max(SIGMA_FLOOR).powi(2);
        let o = &mut out[s.device];
        o.0 += var.ln() + r * r / var - 1.0;
        o.1 += r * r;
        o.2 += 1;
    }
    out
}

fn table_parameters(c: &MeasuredCurve) -> usize {
    [
        Some(&c.ltp),
        Some(&c.ltd),
        c.turn_ltp.as_ref(),
        c.turn_ltd.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|t| 2 * t.bins() + 2)
    .sum()
}

/// Builds the measured curve from every device's steps with `bins` bins
/// per branch, and scores it (see the [module doc](self)).
///
/// # Errors
/// A device whose conductance never changes, or a polarity without steps.
pub fn fit_measured(data: &PulseData, bins: usize) -> Result<MeasuredFit, DataError> {
    let mut steps = Vec::new();
    let mut extremes = Vec::new();
    let mut kept = Vec::new();
    let mut excluded = Vec::new();
    let mut first_error: Option<DataError> = None;
    // A device the table cannot use is left out and reported; when no
    // device is left, the first one's error is the error.
    macro_rules! fail {
        ($e:expr) => {{
            let e: DataError = $e;
            excluded.push(e.to_string());
            first_error.get_or_insert(e);
            continue;
        }};
    }
    for d in &data.devices {
        let k = kept.len();
        let lo = d.points.iter().map(|p| p.g).fold(f64::INFINITY, f64::min);
        let hi = d
            .points
            .iter()
            .map(|p| p.g)
            .fold(f64::NEG_INFINITY, f64::max);
        let range = hi - lo;
        if range <= 1e-9 * hi.max(1e-300) {
            fail!(DataError::column(
                &data.file,
                &d.name,
                format!("the conductance never changes (always {lo:e} S): expected a device that responds to pulses"),
            ));
        }
        // The closed forms' rules: a few steps of each polarity per device,
        let n_up = d.steps.iter().filter(|s| s.polarity > 0).count();
        let n_down = d.steps.len() - n_up;
        let min = crate::pulse::MIN_STEPS_PER_POLARITY;
        if n_up < min || n_down < min {
            fail!(DataError::column(
                &data.file,
                &d.name,
                format!(
                    "{} points ({n_up} LTP and {n_down} LTD steps): expected at least {min} steps of each polarity",
                    d.points.len()
                ),
            ));
        }
        // and + pulses must raise the conductance on
        // average and − pulses lower it (a sign error in the file).
        let mean_of = |up: bool| {
            mean(
                &d.steps
                    .iter()
                    .filter(|s| (s.polarity > 0) == up)
                    .map(|s| s.g1 - s.g0)
                    .collect::<Vec<_>>(),
            )
        };
        let (mean_up, mean_down) = (mean_of(true), mean_of(false));
        if !(mean_up > 0.0 && mean_down < 0.0) {
            fail!(DataError::column(
                &data.file,
                &d.name,
                format!(
                    "potentiating pulses change the conductance by {mean_up:.3e} S and depressing pulses by {mean_down:.3e} S on average; check the sign of pulse_voltage_V/polarity (+ must increase the conductance) and that the device switches"
                ),
            ));
        }
        extremes.push((lo, hi));
        kept.push(d);
        let mut last = 0i8;
        for s in &d.steps {
            steps.push(UStep {
                u0: (s.g0 - lo) / range,
                u1: (s.g1 - lo) / range,
                up: s.polarity > 0,
                turn: last != 0 && last != s.polarity,
                device: k,
                spread: (s.g1 - s.g0) / range,
            });
            last = s.polarity;
        }
    }
    if kept.is_empty() {
        return Err(first_error.expect("a device"));
    }
    // Read noise makes the measured previous point a noisy regressor; the
    // tables are then built from the instrumented steps.
    let read_noise = read_noise_of(&steps, bins);
    let table_steps = if read_noise.is_some() {
        instrumented(&steps)
    } else {
        steps.clone()
    };
    let mut tables = Vec::new();
    let mut merged = 0;
    let mut pooled = 0;
    let mut turn_steps = [0usize; 2];
    for up in [true, false] {
        let branch: Vec<&UStep> = table_steps
            .iter()
            .filter(|s| s.up == up && !s.turn)
            .collect();
        if branch.len() < MIN_STEPS_PER_BIN {
            return Err(DataError::file(
                &data.file,
                format!(
                    "{} {} steps outside the turns: expected at least {MIN_STEPS_PER_BIN} to build the measured curve",
                    branch.len(),
                    if up { "LTP" } else { "LTD" }
                ),
            ));
        }
        let (lo, hi) = range_of(branch.iter().copied(), true);
        let sign = if up { 1.0 } else { -1.0 };
        let (table, m, p) = bin_table_signed(&branch, lo, hi, bins, sign);
        merged += m;
        pooled += p;
        let turns: Vec<&UStep> = table_steps
            .iter()
            .filter(|s| s.up == up && s.turn)
            .collect();
        turn_steps[usize::from(!up)] = turns.len();
        let turn = (turns.len() >= MIN_STEPS_PER_BIN).then(|| {
            let (lo, hi) = range_of(turns.iter().copied(), false);
            bin_table_signed(&turns, lo, hi, bins, sign).0
        });
        tables.push((table, turn));
    }
    let (ltd, turn_ltd) = tables.pop().expect("two polarities");
    let (ltp, turn_ltp) = tables.pop().expect("two polarities");
    let n_dev = kept.len();
    let n_total = steps.len() as f64;
    // Keep each turn table only when it lowers the BIC.
    let total_bic = |c: &MeasuredCurve| {
        let s = scores(c, &steps, n_dev);
        s.iter().map(|x| x.0).sum::<f64>() + table_parameters(c) as f64 * n_total.ln()
    };
    let mut curve = MeasuredCurve {
        ltp,
        ltd,
        turn_ltp: None,
        turn_ltd: None,
    };
    for which in [0, 1] {
        let candidate = if which == 0 { &turn_ltp } else { &turn_ltd };
        if let Some(t) = candidate {
            let mut with = curve.clone();
            if which == 0 {
                with.turn_ltp = Some(t.clone());
            } else {
                with.turn_ltd = Some(t.clone());
            }
            if total_bic(&with) < total_bic(&curve) {
                curve = with;
            }
        }
    }
    let per_device = scores(&curve, &steps, n_dev);
    let k_table = table_parameters(&curve);
    let mut devices = Vec::with_capacity(n_dev);
    for (k, d) in kept.iter().enumerate() {
        let (ll, rss, n) = per_device[k];
        let u1: Vec<f64> = steps
            .iter()
            .filter(|s| s.device == k)
            .map(|s| s.u1)
            .collect();
        let m = mean(&u1);
        let tss: f64 = u1.iter().map(|u| (u - m).powi(2)).sum();
        let nf = n.max(1) as f64;
        devices.push(MeasuredDevice {
            name: d.name.clone(),
            g_min_S: extremes[k].0,
            g_max_S: extremes[k].1,
            quality: Quality {
                steps: n,
                rmse_relative: (rss / nf).sqrt(),
                r2: 1.0 - rss / tss,
                aic: ll + 4.0,
                bic: ll + 2.0 * nf.ln(),
                parameters: 2,
            },
        });
    }
    let g_min = mean(&extremes.iter().map(|e| e.0).collect::<Vec<_>>()).max(0.0);
    let g_max = mean(&extremes.iter().map(|e| e.1).collect::<Vec<_>>());
    let range = g_max - g_min;
    let to_siemens = |t: &mut StepTable| {
        t.edges_s
            .iter_mut()
            .for_each(|e| *e = (g_min + *e * range).clamp(g_min, g_max));
        t.dg_s.iter_mut().for_each(|d| *d *= range);
        t.sigma_s.iter_mut().for_each(|s| *s *= range);
    };
    // Under read noise a bin's spread is mostly the two reads each step
    // carries: the C2C σ and the read noise come from the state-space
    // likelihood of the whole records with the tables as the map, and every
    // bin gets that C2C σ (one per model: a bin's own is not identifiable
    // under the read noise).
    let mut written = curve.clone();
    let mut read_noise = read_noise;
    if read_noise.is_some() {
        if let Some((w, r)) = state_space_noise(&curve, &steps) {
            read_noise = Some(r);
            let set = |t: &mut StepTable| t.sigma_s.iter_mut().for_each(|x| *x = w);
            set(&mut written.ltp);
            set(&mut written.ltd);
            written.turn_ltp.as_mut().map(set);
            written.turn_ltd.as_mut().map(set);
        }
    }
    let mut siemens = written;
    to_siemens(&mut siemens.ltp);
    to_siemens(&mut siemens.ltd);
    siemens.turn_ltp.as_mut().map(to_siemens);
    siemens.turn_ltd.as_mut().map(to_siemens);
    let totals = ModelTotals {
        devices: n_dev,
        aic: devices.iter().map(|d| d.quality.aic).sum::<f64>() + 2.0 * k_table as f64,
        bic: devices.iter().map(|d| d.quality.bic).sum::<f64>() + k_table as f64 * n_total.ln(),
        rmse_relative: median(
            &devices
                .iter()
                .map(|d| d.quality.rmse_relative)
                .collect::<Vec<_>>(),
        ),
        r2: median(&devices.iter().map(|d| d.quality.r2).collect::<Vec<_>>()),
    };
    Ok(MeasuredFit {
        curve: siemens,
        g_min_S: g_min,
        g_max_S: g_max,
        devices,
        totals,
        table_parameters: k_table,
        merged_bins: merged,
        pooled_bins: pooled,
        read_noise,
        turn_steps,
        excluded,
    })
}

impl MeasuredFit {
    /// The index in [`MeasuredFit::devices`] of the device named `name`.
    pub fn device_index(&self, name: &str) -> Option<usize> {
        self.devices.iter().position(|d| d.name == name)
    }

    /// Device `k`'s noiseless conductance after each pulse of `polarities`
    /// from `g0`, through the library's update rule on its own extremes
    /// (the first pulse after a reversal follows the turn table; the
    /// record's first pulse has no history).
    pub fn model_curve(&self, k: usize, polarities: &[i8], g0: f64) -> Option<Vec<f64>> {
        let d = self.devices.get(k)?;
        let scale = (d.g_max_S - d.g_min_S) / (self.g_max_S - self.g_min_S);
        let quiet = |t: &StepTable| StepTable {
            sigma_s: vec![0.0; t.sigma_s.len()],
            ..t.clone()
        };
        let c = MeasuredCurve {
            ltp: quiet(&self.curve.ltp),
            ltd: quiet(&self.curve.ltd),
            turn_ltp: self.curve.turn_ltp.as_ref().map(quiet),
            turn_ltd: self.curve.turn_ltd.as_ref().map(quiet),
        };
        let mut rng = <rand_xoshiro::Xoshiro256PlusPlus as rand::SeedableRng>::seed_from_u64(0);
        let (mut g, mut last) = (g0, 0i8);
        let mut out = Vec::with_capacity(polarities.len());
        for &p in polarities {
            g = c
                .update(
                    g,
                    i32::from(p),
                    last,
                    (d.g_min_S, d.g_max_S),
                    (self.g_min_S, scale),
                    &mut rng,
                )
                .0;
            last = p;
            out.push(g);
        }
        Some(out)
    }
}

/// The pulse fit of data that neither closed form fits (`why`: their
/// error): the measured curve alone, kept.
pub fn measured_only(measured: &MeasuredFit, criterion: Criterion, why: &str) -> PulseFit {
    let mut fit = PulseFit {
        devices: Vec::new(),
        criterion,
        chosen: PulseModel::Measured,
        reason: String::new(),
        exponential: None,
        soft_bounds: None,
        population: Vec::new(),
        g_min_S: measured.g_min_S,
        g_max_S: measured.g_max_S,
        pulse: PulseSpec::Measured(Box::new(measured.curve.clone())),
        variability: VariabilitySpec::default(),
        free_run: Vec::new(),
        free_run_curves: None,
        soft_bounds_median: None,
        exponential_median: None,
    };
    choose(&mut fit, measured, ModelChoice::Only(PulseModel::Measured));
    fit.reason = format!("the closed forms do not fit: {why}");
    fit
}

/// Applies the model choice with the measured curve in the running:
/// when the user chose it, or with [`ModelChoice::Auto`] when the measured
/// curve has the lowest criterion total of the fitted models, the device
/// file's pulse model, range, variability and population become the
/// measured curve's (D2D: the relative σ of the devices' extremes; no NL).
pub fn choose(fit: &mut PulseFit, measured: &MeasuredFit, choice: ModelChoice) {
    let crit = fit.criterion.name();
    let score = |t: &ModelTotals| fit.criterion.pick(t.aic, t.bic);
    // The measured curve's total on the devices the closed forms are
    // compared on (like with like): its devices' terms there, and the
    // tables' own terms once.
    let compared: Vec<&str> = fit
        .devices
        .iter()
        .filter(|d| !d.failed_both())
        .map(|d| d.name.as_str())
        .collect();
    let ours = if compared.is_empty() {
        score(&measured.totals)
    } else {
        let on = |q: &dyn Fn(&Quality) -> f64| {
            measured
                .devices
                .iter()
                .filter(|d| compared.contains(&d.name.as_str()))
                .map(|d| q(&d.quality))
                .sum::<f64>()
        };
        let all = |q: &dyn Fn(&Quality) -> f64| {
            measured.devices.iter().map(|d| q(&d.quality)).sum::<f64>()
        };
        let t = &measured.totals;
        score(&ModelTotals {
            aic: t.aic - all(&|q| q.aic) + on(&|q| q.aic),
            bic: t.bic - all(&|q| q.bic) + on(&|q| q.bic),
            ..*t
        })
    };
    // The analytic totals on the same devices: a model that fails on a
    // device is not comparable and is left out of the choice.
    // (Devices no closed form fits are reported and left out of them.)
    let n = fit.devices.iter().filter(|d| !d.failed_both()).count();
    let complete =
        |t: Option<ModelTotals>| t.filter(|t| n > 0 && t.devices == n).map(|t| score(&t));
    let mut analytic: Vec<(&str, f64)> = Vec::new();
    let mut left_out = Vec::new();
    for (model, total) in [
        (PulseModel::Exponential, complete(fit.exponential)),
        (PulseModel::SoftBounds, complete(fit.soft_bounds)),
    ] {
        let name = model.words();
        match total {
            Some(t) => analytic.push((name, t)),
            None => left_out.push(name),
        }
    }
    let mut listing = analytic
        .iter()
        .map(|(n, s)| format!("{n} {s:.1}"))
        .chain(std::iter::once(format!("measured {ours:.1}")))
        .collect::<Vec<_>>()
        .join(", ");
    if !left_out.is_empty() {
        listing += &format!("; {} fits not every device", left_out.join(" and "));
    }
    let take = match choice {
        ModelChoice::Only(model) => model == PulseModel::Measured,
        ModelChoice::Auto => analytic.iter().all(|(_, s)| ours < *s),
    };
    if choice == ModelChoice::Auto {
        fit.reason = format!("{crit} summed over {n} devices: {listing}");
    }
    if !take {
        return;
    }
    if choice.is(PulseModel::Measured) {
        fit.reason = format!("chosen by the user ({crit}: {listing})");
    }
    let (variability, population) = spread(measured);
    fit.chosen = PulseModel::Measured;
    fit.pulse = PulseSpec::Measured(Box::new(measured.curve.clone()));
    fit.g_min_S = measured.g_min_S;
    fit.g_max_S = measured.g_max_S;
    fit.variability = variability;
    fit.population = population;
}

/// The measured curve's D2D spread (the relative σ of the devices'
/// extremes; no NL) and the population of the extremes.
pub(crate) fn spread(
    measured: &MeasuredFit,
) -> (VariabilitySpec, Vec<(String, crate::pulse::Population)>) {
    let lows: Vec<f64> = measured.devices.iter().map(|d| d.g_min_S).collect();
    let highs: Vec<f64> = measured.devices.iter().map(|d| d.g_max_S).collect();
    let low = population_of(&lows, &vec![0.0; lows.len()]);
    let high = population_of(&highs, &vec![0.0; highs.len()]);
    let mut variability = VariabilitySpec::default();
    if measured.g_min_S > 0.0 {
        variability.g_min = (low.d2d_std / measured.g_min_S).min(1.0);
    }
    variability.g_max = (high.d2d_std / measured.g_max_S).min(1.0);
    (
        variability,
        vec![("g_min_S".to_string(), low), ("g_max_S".to_string(), high)],
    )
}

#[cfg(test)]
mod tests;
