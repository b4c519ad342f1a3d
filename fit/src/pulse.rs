//! Fitting the library's LTP/LTD pulse models to measured pulse trains.
//!
//! ## The step map
//! Both pulse models of [`xbar_devices::pulse`] move a device by one pulse
//! with a map that is linear in the present conductance `g`. Normalising
//! `u = (g − g_min)/(g_max − g_min)`:
//!
//! * **NeuroSim exponential** (`G(x) = G_min + B·(1 − e^(−x/A))`, one pulse
//!   moves `x` by ±1): an LTP pulse gives `Δu = (1 − e^(−1/A))·(B − u)` and
//!   an LTD pulse `Δu = (1 − e^(1/A))·(B − u)` (signed `A`, `B` in units of
//!   the range), the result clamped to `[0, 1]` — the device stops at the
//!   bound after `P_max` pulses. With the slope `m` and intercept `c` of
//!   `Δu = c + m·u`: `A = ∓1/ln(1 + m)` (LTP −, LTD +), `B = −c/m`, and the
//!   pulses from bound to bound `P_max = −A·ln(1 − 1/B)`; the label is
//!   `NL = nl_from_a(A/P_max)` ([`xbar_devices::pulse::nl_from_a`]).
//! * **Soft bounds** (aihwkit's `SoftBoundsDevice`): `Δg = α_up·(G_max − g)`,
//!   `Δg = −α_down·(g − G_min)`: the same map with the fixed points at the
//!   bounds themselves, which the device approaches but never reaches.
//!
//! So each device is fitted by nonlinear least squares on its steps
//! `g_{k+1} = f(g_k) + ε` (Levenberg–Marquardt from the ordinary
//! least-squares line of `Δu` on `u`, on the normal equations with analytic
//! gradients, one pass over the steps per iteration: the private `lm`
//! module): four parameters per model, `(m, c)` per polarity for the
//! exponential model (whose bounds are the device's measured extremes, where
//! the clamp holds it; the polarities share no parameter, so each is a
//! 2-parameter problem of its own) and `(α, G_bound)` per polarity for soft
//! bounds (where the optimum holds a step at an asymptote, by the general
//! solver [`crate::stats::least_squares`]). Conditioning on
//! the previous point makes each step's error the model's own cycle-to-cycle
//! draw, independent from step to step, so the Jacobian gives valid 95 %
//! intervals (the sandwich covariance `B⁻¹·(Σ rᵢ²·jᵢjᵢᵀ)·B⁻¹`, `B = JᵀJ`,
//! which stays valid for the soft-bounds model's multiplicative noise and
//! near the clamps; the delta method for `NL` and `P_max`).
//! The library adds the exponential model's C2C draw *before* clamping to
//! `[g_min, g_max]`, so near a bound an observation is a censored normal;
//! the exponential fit uses its mean `E = f(μ) − f(μ − 1)`,
//! `f(x) = x·Φ(x/σ) + σ·φ(x/σ)` (Tobin 1958), with σ re-estimated from the
//! steps more than 3σ from both bounds — dropping or ignoring the censored
//! points biases strongly nonlinear branches towards soft bounds.
//!
//! * C2C, exponential convention: `σ_C2C = s` (the residual σ relative to
//!   `g_max − g_min`), with its χ² interval; soft-bounds convention: `σ`
//!   relative to each step, `√(Σr²/Σ Δû²)`.
//! * Model choice: AIC `n·ln(RSS/n) + 2k` or BIC `n·ln(RSS/n) + k·ln n` of
//!   each device (`k` = 7 for the exponential model, whose clamp levels are
//!   fitted too, 5 for soft bounds, both counting σ), summed over devices.
//! * D2D: the fit per device, then the population of each parameter: mean,
//!   with Student's t interval, σ, and the device-to-device σ with the estimation error removed
//!   (`σ²_D2D = var(θ̂ᵢ) − mean(seᵢ²)`), written as the library's
//!   [`VariabilitySpec`] (relative σ of `g_min`, `g_max`, absolute σ of NL).
//!
//! ```
//! use xbar_fit::measurements::{Table, PulseData};
//! use xbar_fit::pulse::{fit_pulses, PulseOptions};
//!
//! // A noiseless NeuroSim curve, 20 pulses, A = 10 pulses, 1–2 µS.
//! let (g0, g1, p, a) = (1e-6f64, 2e-6f64, 20.0f64, 10.0f64);
//! let b = (g1 - g0) / (1.0 - (-p / a).exp());
//! let mut text = String::from("pulse_voltage_V,dev\n");
//! for cycle in 0..2 {
//!     for k in 1..=20 {
//!         let g = g0 + b * (1.0 - (-(k as f64) / a).exp());
//!         text += &format!("1,{g:e}\n");
//!     }
//!     for k in 1..=20 {
//!         let x = p - k as f64; // depression along the mirror curve
//!         let g = g1 - b * (1.0 - ((x - p) / a).exp());
//!         text += &format!("-1,{g:e}\n");
//!     }
//! }
//! let data = PulseData::from_table(&Table::from_csv_text("d.csv", &text, b',').unwrap()).unwrap();
//! let fit = fit_pulses(&data, &PulseOptions::default()).unwrap();
//! let e = fit.devices[0].exponential.as_ref().unwrap();
//! assert!((e.pulses_ltp.value - 20.0).abs() < 1e-6);
//! ```

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xbar_devices::pulse::PulseSpec;
use xbar_devices::variability::VariabilitySpec;

use crate::free_run::FreeRunError;
use crate::measurements::{DataError, DeviceTrain, PulseData};
use crate::stats::{information_criteria, mean, median, std_dev, t975, Estimate, LsFit};

mod choice;
mod exponential;
mod lm;
mod median;
mod report;
mod soft_bounds;
#[cfg(test)]
mod tests;
mod trajectory;
mod written;

pub use choice::{Criterion, ModelChoice, PulseModel};
pub use exponential::{branch_from_map, Estimator, ExponentialFit, StepNoise};
pub use median::MedianCurveFit;
pub use soft_bounds::{AtLimit, SoftBoundsFit, FAR_LIMIT_RANGES};

use exponential::fit_exponential;
use soft_bounds::fit_soft_bounds;
use written::{build, Built};
// What the tests reach through `super::*`.
#[cfg(test)]
use {
    crate::stats::sigma_estimate,
    exponential::{
        censored_mean, fit_steps, nl_of, phi, pulses_of, step_estimates, Branch, StepEstimates,
    },
    soft_bounds::SoftBounds,
};

/// Options of [`fit_pulses`].
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PulseOptions {
    /// Huber loss (iteratively reweighted) instead of plain least squares.
    pub robust: bool,
    /// The criterion of the automatic choice.
    pub criterion: Criterion,
    /// The model to keep.
    pub model: ModelChoice,
    /// The closed forms by their step fits alone, without the trajectory
    /// fits ([`Estimator`]): the baseline the comparisons measure against.
    pub steps_only: bool,
}

/// How well a model follows one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Steps fitted.
    pub steps: usize,
    /// RMSE of the conductance after each pulse, relative to g_max − g_min.
    pub rmse_relative: f64,
    /// R² of the conductance after each pulse.
    pub r2: f64,
    /// Akaike information criterion.
    pub aic: f64,
    /// Bayesian information criterion.
    pub bic: f64,
    /// Parameters counted by the criteria (σ included).
    pub parameters: usize,
}

/// Both models fitted to one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct DeviceFit {
    /// The device (column) name.
    pub name: String,
    /// Measured points.
    pub points: usize,
    /// Half-cycles (runs of one polarity).
    pub half_cycles: usize,
    /// Steps ending exactly at the bound their pulse pushes towards.
    pub steps_at_bound: usize,
    /// Smallest measured conductance (S): the exponential model's g_min.
    pub g_min_S: f64,
    /// Largest measured conductance (S): the exponential model's g_max.
    pub g_max_S: f64,
    /// The exponential fit, when the data allow it.
    pub exponential: Option<ExponentialFit>,
    /// Why there is no exponential fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exponential_note: Option<String>,
    /// The soft-bounds fit, when the data allow it.
    pub soft_bounds: Option<SoftBoundsFit>,
    /// Why there is no soft-bounds fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub soft_bounds_note: Option<String>,
}

/// A parameter's distribution over the devices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Population {
    /// Devices with the parameter.
    pub devices: usize,
    /// Mean over devices, with the 95 % interval of the mean.
    pub mean: Estimate,
    /// Sample σ of the per-device estimates.
    pub std: f64,
    /// Device-to-device σ with the estimation error removed.
    pub d2d_std: f64,
}

/// A model's totals over the devices.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelTotals {
    /// Devices the model fits.
    pub devices: usize,
    /// Summed AIC over the devices both models fit.
    pub aic: f64,
    /// Summed BIC over the devices both models fit.
    pub bic: f64,
    /// Median RMSE relative to the range.
    pub rmse_relative: f64,
    /// Median R².
    pub r2: f64,
}

/// The result of [`fit_pulses`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct PulseFit {
    /// Per device.
    pub devices: Vec<DeviceFit>,
    /// The criterion used.
    pub criterion: Criterion,
    /// The kept model.
    pub chosen: PulseModel,
    /// Why it was chosen.
    pub reason: String,
    /// Exponential totals over the devices it fits (absent when it fits
    /// none). The choice compares the models on the devices both fit.
    pub exponential: Option<ModelTotals>,
    /// Soft-bounds totals over the devices it fits (absent when none).
    pub soft_bounds: Option<ModelTotals>,
    /// Population of each parameter of the kept model, by key.
    pub population: Vec<(String, Population)>,
    /// Nominal g_min of the device file (S).
    pub g_min_S: f64,
    /// Nominal g_max of the device file (S).
    pub g_max_S: f64,
    /// The pulse model of the device file.
    pub pulse: PulseSpec,
    /// The device-to-device variability of the device file.
    pub variability: VariabilitySpec,
    /// Each fitted model's device-file part simulated free over the
    /// measured pulses ([`crate::free_run`]); filled by
    /// [`crate::device::fit_pulse_models`], empty from [`fit_pulses`] alone.
    #[serde(default)]
    pub free_run: Vec<ModelFreeRun>,
    /// The measured median curve and each model's simulated curves behind
    /// [`PulseFit::free_run`] (for the figure; not recorded).
    #[serde(skip)]
    pub free_run_curves: Option<FreeRunCurves>,
    /// Soft bounds fitted to the measured median curve run free, beside the
    /// per-device fits' means ([`MedianCurveFit`]); written as the
    /// soft-bounds part where it runs closer. Absent where soft bounds fit
    /// no device, with `steps_only`, and in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub soft_bounds_median: Option<MedianCurveFit>,
    /// The exponential model fitted to the measured median curve run free
    /// ([`MedianCurveFit`]); written as the exponential part where it runs
    /// closer. Absent where the exponential model fits no device, with
    /// `steps_only`, and in older records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exponential_median: Option<MedianCurveFit>,
}

/// The curves behind the free-running errors.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeRunCurves {
    /// The measured median curve.
    pub reference: crate::free_run::Reference,
    /// Each model's simulated devices, in [`PulseModel::ALL`]'s order.
    pub simulated: Vec<(PulseModel, crate::free_run::Simulated)>,
}

/// A model's free-running error ([`crate::free_run`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelFreeRun {
    /// The model.
    pub model: PulseModel,
    /// Its device-file part run free against the measured median curve.
    pub error: FreeRunError,
}

/// One device's steps in normalised units.
struct Steps {
    u0: Vec<f64>,
    u1: Vec<f64>,
    up: Vec<bool>,
}

impl Steps {
    /// The device's steps in units of `range` above `g_min`, and how many
    /// end at the bound their pulse pushes towards.
    fn of(d: &DeviceTrain, g_min: f64, range: f64) -> (Self, usize) {
        let n = d.steps.len();
        let mut steps = Steps {
            u0: Vec::with_capacity(n),
            u1: Vec::with_capacity(n),
            up: Vec::with_capacity(n),
        };
        let mut censored = 0;
        for s in &d.steps {
            let (u0, u1) = ((s.g0 - g_min) / range, (s.g1 - g_min) / range);
            let up = s.polarity > 0;
            if (up && u1 >= 1.0) || (!up && u1 <= 0.0) {
                censored += 1;
            }
            steps.u0.push(u0);
            steps.u1.push(u1);
            steps.up.push(up);
        }
        (steps, censored)
    }

    fn tss(&self) -> f64 {
        let m = mean(&self.u1);
        self.u1.iter().map(|u| (u - m).powi(2)).sum()
    }
}

/// Huber weights (`k = 1.345·σ̂`, σ̂ from the median absolute residual) of
/// residuals `r`, as [`crate::stats::least_squares`] computes them.
fn huber_weights(r: &[f64]) -> Vec<f64> {
    let abs: Vec<f64> = r.iter().map(|x| x.abs()).collect();
    let scale = (median(&abs) / 0.6745).max(1e-300);
    let c = 1.345 * scale;
    r.iter()
        .map(|ri| {
            if ri.abs() <= c {
                1.0
            } else {
                (c / ri.abs()).sqrt()
            }
        })
        .collect()
}

/// Levenberg–Marquardt ([`lm::minimize`]) on one problem, with `robust`
/// Huber's loss by six rounds of reweighting (as
/// [`crate::stats::least_squares`]); `lambda` is the largest final damping
/// of the rounds.
fn solve<const K: usize, R: lm::Rows<K>>(rows: &R, start: [f64; K], robust: bool) -> lm::Solved<K> {
    let mut fit = lm::minimize(rows, start, None);
    if robust {
        let mut r = vec![0.0; rows.len()];
        for _ in 1..6 {
            for (i, ri) in r.iter_mut().enumerate() {
                *ri = rows.residual(&fit.p, i);
            }
            let w = huber_weights(&r);
            let next = lm::minimize(rows, fit.p, Some(&w));
            fit = lm::Solved {
                lambda: next.lambda.max(fit.lambda),
                ..next
            };
        }
    }
    fit
}

/// The least-squares result in the form the intervals take ([`LsFit::se`],
/// [`LsFit::derived`]): blocks of `B` parameters solved apart (their rows
/// share no parameter, so the covariance is block-diagonal), the sandwich
/// covariance with HC1's `n/(n − k)` over all `n` rows and `k` parameters,
/// as [`crate::stats::least_squares`] gives it for the whole problem. Its
/// `residuals` are left empty (nothing here reads them).
fn ls_fit<const B: usize>(blocks: &[&lm::Solved<B>]) -> LsFit {
    let k = B * blocks.len();
    let n: usize = blocks.iter().map(|b| b.sums.n).sum();
    let dof = n.saturating_sub(k).max(1);
    let scale = n as f64 / dof as f64;
    let mut params = Vec::with_capacity(k);
    let mut covariance = Some(vec![0.0; k * k]);
    for (o, b) in blocks.iter().enumerate() {
        params.extend(b.p);
        match (b.sums.sandwich(scale), covariance.as_mut()) {
            (Some(c), Some(out)) => {
                for (i, row) in c.iter().enumerate() {
                    for (j, x) in row.iter().enumerate() {
                        out[(o * B + i) * k + o * B + j] = *x;
                    }
                }
            }
            _ => covariance = None,
        }
    }
    let ss_w: f64 = blocks.iter().map(|b| b.sums.ss_w).sum();
    LsFit {
        params,
        covariance,
        rss: blocks.iter().map(|b| b.sums.rss).sum(),
        sigma: (ss_w / dof as f64).sqrt(),
        n,
        residuals: Vec::new(),
        converged: blocks
            .iter()
            .all(|b| b.converged && b.p.iter().all(|x| x.is_finite())),
    }
}

/// Ordinary least squares of `Δu = c + m·u` over the steps of one polarity
/// (`(m, c)`; `None` below two distinct `u`).
fn ols(s: &Steps, up: bool, exclude_bound: bool) -> Option<(f64, f64)> {
    let mut n = 0.0;
    let (mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0);
    for i in 0..s.u0.len() {
        if s.up[i] != up {
            continue;
        }
        let x = s.u0[i];
        // A device held at the bound it is pushed towards says nothing of the
        // curve (the clamp holds it).
        if exclude_bound && ((up && x >= 1.0 - 1e-12) || (!up && x <= 1e-12)) {
            continue;
        }
        let y = s.u1[i] - x;
        n += 1.0;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let var = sxx - sx * sx / n;
    if n < 2.0 || var <= 1e-300 {
        return None;
    }
    let m = (sxy - sx * sy / n) / var;
    Some((m, (sy - m * sx) / n))
}

fn quality(fit: &LsFit, steps: &Steps, k: usize) -> Quality {
    let (aic, bic) = information_criteria(fit.rss, fit.n, k);
    Quality {
        steps: fit.n,
        rmse_relative: (fit.rss / fit.n as f64).sqrt(),
        r2: 1.0 - fit.rss / steps.tss(),
        aic,
        bic,
        parameters: k,
    }
}

/// Fewest steps of each polarity a device needs: the four parameters and σ.
pub const MIN_STEPS_PER_POLARITY: usize = 3;

fn fit_device(file: &str, d: &DeviceTrain, opts: &PulseOptions) -> Result<DeviceFit, DataError> {
    let g_min = d.points.iter().map(|p| p.g).fold(f64::INFINITY, f64::min);
    let g_max = d
        .points
        .iter()
        .map(|p| p.g)
        .fold(f64::NEG_INFINITY, f64::max);
    let n_up = d.steps.iter().filter(|s| s.polarity > 0).count();
    let n_down = d.steps.len() - n_up;
    if n_up < MIN_STEPS_PER_POLARITY || n_down < MIN_STEPS_PER_POLARITY {
        return Err(DataError::column(
            file,
            &d.name,
            format!(
                "{} points ({n_up} LTP and {n_down} LTD steps): expected at least {MIN_STEPS_PER_POLARITY} steps of each polarity to fit 2 parameters per polarity and the noise",
                d.points.len()
            ),
        ));
    }
    let range = g_max - g_min;
    if range <= 1e-9 * g_max.max(1e-300) {
        return Err(DataError::column(
            file,
            &d.name,
            format!("the conductance never changes (always {g_min:e} S): expected a device that responds to pulses"),
        ));
    }
    let mean_up = mean(
        &d.steps
            .iter()
            .filter(|s| s.polarity > 0)
            .map(|s| s.g1 - s.g0)
            .collect::<Vec<_>>(),
    );
    let mean_down = mean(
        &d.steps
            .iter()
            .filter(|s| s.polarity < 0)
            .map(|s| s.g1 - s.g0)
            .collect::<Vec<_>>(),
    );
    if mean_up <= 0.0 || mean_down >= 0.0 {
        return Err(DataError::column(
            file,
            &d.name,
            format!(
                "the fit does not converge: potentiating pulses change the conductance by {mean_up:.3e} S and depressing pulses by {mean_down:.3e} S on average; try checking the sign of pulse_voltage_V/polarity (+ must increase the conductance) and that the device switches"
            ),
        ));
    }
    let (steps, censored) = Steps::of(d, g_min, range);
    let traj = trajectory::Trajectory {
        v: d.points.iter().map(|p| (p.g - g_min) / range).collect(),
        up: d.points.iter().map(|p| p.polarity > 0).collect(),
    };
    let exponential = fit_exponential(&steps, opts, &traj, g_min, range);
    let soft = fit_soft_bounds(&steps, opts, &traj, g_min, range);
    if let (Err(e), Err(s)) = (&exponential, &soft) {
        return Err(DataError::column(
            file,
            &d.name,
            format!(
                "the fit does not converge (exponential: {e}; soft bounds: {s}); try --robust against outliers, leaving out cycles where the device did not switch, or more pulses per half-cycle"
            ),
        ));
    }
    let (exponential, exponential_note) = match exponential {
        Ok(e) => (Some(e), None),
        Err(n) => (None, Some(n)),
    };
    let (soft_bounds, soft_bounds_note) = match soft {
        Ok(s) => (Some(s), None),
        Err(n) => (None, Some(n)),
    };
    Ok(DeviceFit {
        name: d.name.clone(),
        points: d.points.len(),
        half_cycles: d.half_cycles(),
        steps_at_bound: censored,
        g_min_S: g_min,
        g_max_S: g_max,
        exponential,
        exponential_note,
        soft_bounds,
        soft_bounds_note,
    })
}

/// The population of per-device estimates `values` with standard errors
/// `errors`: mean with Student's t interval, σ, D2D σ.
pub fn population_of(values: &[f64], errors: &[f64]) -> Population {
    population(values, errors)
}

fn population(values: &[f64], errors: &[f64]) -> Population {
    // Computed on the values divided by a power of two near the largest:
    // the squares below neither underflow nor overflow whatever the unit
    // (conductances scaled to 1e-300 S lost their whole D2D spread, as
    // (1e-302)² is 0), and the division is exact, so values whose squares
    // are representable give the same bits as without it.
    let scale = power_of_two_near(values.iter().copied().map(f64::abs).fold(0.0, f64::max));
    let values: Vec<f64> = values.iter().map(|v| v / scale).collect();
    let errors: Vec<f64> = errors.iter().map(|e| e / scale).collect();
    let p = population_at_unit_scale(&values, &errors);
    let back = |e: Estimate| Estimate {
        value: e.value * scale,
        std_error: e.std_error * scale,
        ci_low: e.ci_low * scale,
        ci_high: e.ci_high * scale,
    };
    Population {
        devices: p.devices,
        mean: back(p.mean),
        std: p.std * scale,
        d2d_std: p.d2d_std * scale,
    }
}

/// The power of two with `x`'s exponent (1 for 0, a non-finite `x`, and
/// beyond the normal exponents, clamped to them).
fn power_of_two_near(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return 1.0;
    }
    let exponent = (x.log2().floor() as i64).clamp(-1022, 1023);
    f64::from_bits(((exponent + 1023) as u64) << 52)
}

/// [`population`] of values near 1.
fn population_at_unit_scale(values: &[f64], errors: &[f64]) -> Population {
    let n = values.len();
    let m = mean(values);
    let sd = std_dev(values);
    // Estimates without a finite standard error do not lower the D2D σ.
    let se2 = mean(
        &errors
            .iter()
            .filter(|e| e.is_finite())
            .map(|e| e * e)
            .collect::<Vec<_>>(),
    );
    let d2d = (sd * sd - se2).max(0.0).sqrt();
    // Student's t interval of the mean over the devices.
    let mean_ci = if n > 1 {
        let se = sd / (n as f64).sqrt();
        let t = t975(n - 1);
        Estimate {
            value: m,
            std_error: se,
            ci_low: m - t * se,
            ci_high: m + t * se,
        }
    } else {
        Estimate::normal(m, errors.first().copied().unwrap_or(f64::INFINITY))
    };
    Population {
        devices: n,
        mean: mean_ci,
        std: sd,
        d2d_std: d2d,
    }
}

/// Sums of AIC and BIC, medians of RMSE and R² over per-device qualities.
pub(crate) fn totals(qs: Vec<Quality>) -> ModelTotals {
    ModelTotals {
        devices: qs.len(),
        aic: qs.iter().map(|q| q.aic).sum(),
        bic: qs.iter().map(|q| q.bic).sum(),
        rmse_relative: median(&qs.iter().map(|q| q.rmse_relative).collect::<Vec<_>>()),
        r2: median(&qs.iter().map(|q| q.r2).collect::<Vec<_>>()),
    }
}

/// Fits both pulse models to every device, chooses one, and builds the
/// device file's pulse model and variability.
///
/// # Errors
/// A device with too few steps, one whose pulses do not move it the way
/// their polarity says, or one neither model fits (named by its column);
/// the chosen model fitting no device.
pub fn fit_pulses(data: &PulseData, opts: &PulseOptions) -> Result<PulseFit, DataError> {
    // In parallel. A device no model fits is kept with the reason and left
    // out of the population; when no device fits, the first failing device
    // in file order is the error.
    let results: Vec<Result<DeviceFit, DataError>> = data
        .devices
        .par_iter()
        .map(|d| fit_device(&data.file, d, opts))
        .collect();
    if let Some(Err(first)) = results.iter().find(|r| r.is_err()) {
        if results.iter().all(Result::is_err) {
            return Err(first.clone());
        }
    }
    let devices: Vec<DeviceFit> = results
        .into_iter()
        .zip(&data.devices)
        .map(|(r, d)| r.unwrap_or_else(|e| DeviceFit::failed(d, &e)))
        .collect();
    let n = devices.len();
    let n_exp = devices.iter().filter(|d| d.exponential.is_some()).count();
    let n_soft = devices.iter().filter(|d| d.soft_bounds.is_some()).count();
    let both: Vec<&DeviceFit> = devices
        .iter()
        .filter(|d| d.exponential.is_some() && d.soft_bounds.is_some())
        .collect();
    let exponential_quality = |d: &DeviceFit| d.exponential.as_ref().map(|e| e.quality);
    let soft_quality = |d: &DeviceFit| d.soft_bounds.as_ref().map(|e| e.quality);
    // Each model's totals over the devices it fits (the report's rows)…
    let exp_totals =
        (n_exp > 0).then(|| totals(devices.iter().filter_map(exponential_quality).collect()));
    let soft_totals =
        (n_soft > 0).then(|| totals(devices.iter().filter_map(soft_quality).collect()));
    let score = |t: &ModelTotals| opts.criterion.pick(t.aic, t.bic);
    // … and the comparison over the devices both fit, like with like.
    let on_both = |q: &dyn Fn(&DeviceFit) -> Option<Quality>| {
        score(&totals(both.iter().filter_map(|d| q(d)).collect()))
    };
    let crit = opts.criterion.name();
    // A model that fits at most half the devices is not offered; one that
    // fits more is compared on the devices both fit (a device it fails on
    // is reported and left out, never removes the model for the others).
    // (of the devices some closed form fits: one that none fits is only
    // reported).
    let n_ok = devices.iter().filter(|d| !d.failed_both()).count();
    let usable = |k: usize| 2 * k > n_ok;
    let (exponential, reason) = match opts.model {
        ModelChoice::Only(PulseModel::Exponential) => (true, "chosen by the user".to_string()),
        ModelChoice::Only(PulseModel::SoftBounds) => (false, "chosen by the user".to_string()),
        // The measured curve is chosen against the better closed form
        // ([`crate::measured_curve::choose`]).
        ModelChoice::Auto | ModelChoice::Only(PulseModel::Measured) => {
            match (usable(n_exp), usable(n_soft)) {
                (true, true) => {
                    let (e, s) = (on_both(&exponential_quality), on_both(&soft_quality));
                    (
                        e <= s,
                        format!(
                            "{crit} summed over {} devices: exponential {e:.1}, soft bounds {s:.1}",
                            both.len()
                        ),
                    )
                }
                (true, false) => (
                    true,
                    format!("soft bounds fits only {n_soft} of {n} devices"),
                ),
                (false, true) => (
                    false,
                    format!("the exponential model fits only {n_exp} of {n} devices"),
                ),
                (false, false) => (
                    n_exp >= n_soft,
                    format!("neither model fits more than half the devices (exponential {n_exp}, soft bounds {n_soft} of {n_ok})"),
                ),
            }
        }
    };
    let kept = if exponential { n_exp } else { n_soft };
    if kept == 0 {
        let name = if exponential {
            "exponential"
        } else {
            "soft-bounds"
        };
        let note = devices
            .iter()
            .find_map(|d| {
                if exponential {
                    d.exponential_note.clone()
                } else {
                    d.soft_bounds_note.clone()
                }
            })
            .unwrap_or_default();
        return Err(DataError::file(
            &data.file,
            format!("the {name} model fits no device ({note}); try the other model (--model auto)"),
        ));
    }
    let median_of = |model: PulseModel, n: usize| {
        (n > 0 && !opts.steps_only)
            .then(|| median::fit_median(data, &devices, model))
            .flatten()
    };
    let soft_bounds_median = median_of(PulseModel::SoftBounds, n_soft);
    let exponential_median = median_of(PulseModel::Exponential, n_exp);
    let Built {
        pulse,
        variability,
        g_min,
        g_max,
        population: pop,
    } = build(
        &devices,
        exponential,
        if exponential {
            exponential_median.as_ref()
        } else {
            soft_bounds_median.as_ref()
        },
    );
    Ok(PulseFit {
        devices,
        criterion: opts.criterion,
        chosen: if exponential {
            PulseModel::Exponential
        } else {
            PulseModel::SoftBounds
        },
        reason,
        exponential: exp_totals,
        soft_bounds: soft_totals,
        population: pop,
        g_min_S: g_min,
        g_max_S: g_max,
        pulse,
        variability,
        free_run: Vec::new(),
        free_run_curves: None,
        soft_bounds_median,
        exponential_median,
    })
}
