//! The NeuroSim exponential pulse model fitted to one device: the step map
//! `Δu = c + m·u` per polarity with the library's clamp and the censored
//! mean of its C2C draw near the bounds (the module docs of
//! [`crate::pulse`] derive it), `(A, P_max)` and the `NL` label from the
//! map, and the model's noiseless curve through the library's update rule.

use serde::{Deserialize, Serialize};
use xbar_devices::pulse::nl_from_a;

use super::trajectory::{map_on_bounds, Trajectory};
use super::{huber_weights, lm, ls_fit, ols, quality, Quality, Steps};
use crate::stats::{information_criteria, sigma_estimate, Estimate, LsFit};

/// The exponential model fitted to one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct ExponentialFit {
    /// LTP nonlinearity label.
    pub nl_ltp: Estimate,
    /// LTD nonlinearity label (negative: saturating depression).
    pub nl_ltd: Estimate,
    /// Pulses from g_min to g_max (real-valued).
    pub pulses_ltp: Estimate,
    /// Pulses from g_max to g_min (real-valued).
    pub pulses_ltd: Estimate,
    /// C2C σ per pulse relative to g_max − g_min.
    pub c2c: Estimate,
    /// Fit quality: one step ahead, each step from the measured previous
    /// point (AIC/BIC count the clamp levels and σ).
    pub quality: Quality,
    /// The estimator kept.
    pub estimator: Estimator,
    /// The lower clamp level (S): the device's smallest measured conductance
    /// for the step fit, fitted by the trajectory fit.
    pub g_min_S: Estimate,
    /// The upper clamp level (S).
    pub g_max_S: Estimate,
    /// The kept parameters' noiseless curve run free from the first point
    /// through the measured pulses: RMS distance from the device's points,
    /// relative to its measured range.
    pub free_run_relative: f64,
    /// The same of the step fit (absent when it fails).
    pub steps_free_run_relative: Option<f64>,
    /// The same of the trajectory fit (absent when it fails).
    pub trajectory_free_run_relative: Option<f64>,
    /// Read noise in the steps, and the gross one-step σ.
    pub step_noise: StepNoise,
}

/// One polarity's steps of the exponential model, `p = [m, c]`. The
/// noiseless step `μ = clamp(u + c + m·u, 0, 1)` is followed, as in the
/// library, by the C2C draw and a second clamp, so an observation's mean is
/// that of a normal of mean `μ` and σ `sigma` censored to `[0, 1]`:
/// `E = f(μ) − f(μ − 1)`, `f(x) = x·Φ(x/σ) + σ·φ(x/σ)`. The residuals of
/// the two polarities share no parameter, so each is its own 2-parameter
/// problem (they share only σ and, with `--robust`, the Huber scale).
pub(super) struct Branch {
    pub(super) u0: Vec<f64>,
    pub(super) u1: Vec<f64>,
    pub(super) sigma: f64,
}

pub(super) fn phi(x: f64) -> f64 {
    (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
}

fn cdf(x: f64) -> f64 {
    0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
}

/// The censored mean `E(μ)` and `dE/dμ = Φ(μ/σ) − Φ((μ − 1)/σ)`. A term
/// whose argument lies more than 8σ below 0 (`f(x)` there is below
/// `1e-16·σ`) is left out, and more than 8σ from both bounds `E = μ`.
pub(super) fn censored_mean(mu: f64, s: f64) -> (f64, f64) {
    if s < 1e-12 || (mu > 8.0 * s && mu < 1.0 - 8.0 * s) {
        return (mu, 1.0);
    }
    let f = |x: f64| x * cdf(x / s) + s * phi(x / s);
    let (mut e, mut de) = (0.0, 0.0);
    if mu >= -8.0 * s {
        e += f(mu);
        de += cdf(mu / s);
    }
    if mu - 1.0 >= -8.0 * s {
        e -= f(mu - 1.0);
        de -= cdf((mu - 1.0) / s);
    }
    (e, de)
}

impl Branch {
    /// Steps of one polarity.
    pub(super) fn of(steps: &Steps, up: bool) -> Self {
        let (mut u0, mut u1) = (Vec::new(), Vec::new());
        for i in 0..steps.u0.len() {
            if steps.up[i] == up {
                u0.push(steps.u0[i]);
                u1.push(steps.u1[i]);
            }
        }
        Branch { u0, u1, sigma: 0.0 }
    }

    /// Noiseless step `μ`, whether the clamp is inactive, the observation's
    /// mean and `dE/dμ`.
    pub(super) fn predict(&self, p: &[f64; 2], u0: f64) -> (f64, bool, f64, f64) {
        let raw = u0 + p[1] + p[0] * u0;
        let mu = raw.clamp(0.0, 1.0);
        let free = (0.0..=1.0).contains(&raw);
        let (e, de) = censored_mean(mu, self.sigma);
        (mu, free, e, de)
    }
}

impl lm::Rows<2> for Branch {
    fn len(&self) -> usize {
        self.u0.len()
    }
    fn row(&self, p: &[f64; 2], i: usize) -> (f64, [f64; 2]) {
        let u0 = self.u0[i];
        let (_, free, e, de) = self.predict(p, u0);
        let j = if free { [-u0 * de, -de] } else { [0.0, 0.0] };
        (self.u1[i] - e, j)
    }
}

/// σ of the residuals of the steps (both polarities, `p = [m, c]` of each)
/// whose noiseless value lies more than 3σ from both bounds (there the clamp
/// does not shrink the spread), and their number.
pub(super) fn interior_sigma(branches: [(&Branch, &[f64; 2]); 2]) -> (f64, usize) {
    let (mut ss, mut n) = (0.0, 0usize);
    for (b, p) in branches {
        let margin = 3.0 * b.sigma;
        for i in 0..b.u0.len() {
            let (mu, _, e, _) = b.predict(p, b.u0[i]);
            if mu > margin && mu < 1.0 - margin {
                ss += (b.u1[i] - e).powi(2);
                n += 1;
            }
        }
    }
    let dof = n.saturating_sub(4).max(1);
    ((ss / dof as f64).sqrt(), n)
}

/// The two polarities of the exponential model: each branch's own solver,
/// with `robust` the Huber weights from the residuals of both (one scale).
pub(super) fn solve_branches(
    up: &Branch,
    down: &Branch,
    start: [[f64; 2]; 2],
    robust: bool,
) -> [lm::Solved<2>; 2] {
    let mut fits = [
        lm::minimize(up, start[0], None),
        lm::minimize(down, start[1], None),
    ];
    if robust {
        let n_up = up.u0.len();
        let mut r = vec![0.0; n_up + down.u0.len()];
        for _ in 1..6 {
            for (i, ri) in r.iter_mut().enumerate() {
                *ri = if i < n_up {
                    lm::Rows::residual(up, &fits[0].p, i)
                } else {
                    lm::Rows::residual(down, &fits[1].p, i - n_up)
                };
            }
            let w = huber_weights(&r);
            fits = [
                lm::minimize(up, fits[0].p, Some(&w[..n_up])),
                lm::minimize(down, fits[1].p, Some(&w[n_up..])),
            ];
        }
    }
    fits
}

/// `(A, P_max)` in pulses of one exponential branch from its step map, or
/// `None` when the map does not reach the far bound in finitely many pulses.
pub fn branch_from_map(m: f64, c: f64, ltp: bool) -> Option<(f64, f64)> {
    if 1.0 + m <= 0.0 || !m.is_finite() || !c.is_finite() {
        return None;
    }
    if m.abs() < 1e-12 {
        let p = if ltp { 1.0 / c } else { -1.0 / c };
        return (p > 0.0 && p.is_finite()).then_some((f64::INFINITY.copysign(p), p));
    }
    let l = (1.0 + m).ln();
    let a = if ltp { -1.0 / l } else { 1.0 / l };
    let b = -c / m;
    let arg = 1.0 - 1.0 / b;
    if arg <= 0.0 {
        return None;
    }
    let p = -a * arg.ln();
    (p > 0.0 && p.is_finite()).then_some((a, p))
}

pub(super) fn nl_of(m: f64, c: f64, ltp: bool) -> f64 {
    match branch_from_map(m, c, ltp) {
        Some((a, p)) => nl_from_a(a / p),
        None => f64::NAN,
    }
}

pub(super) fn pulses_of(m: f64, c: f64, ltp: bool) -> f64 {
    branch_from_map(m, c, ltp).map_or(f64::NAN, |(_, p)| p)
}

/// Which estimator gave an exponential fit's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Estimator {
    /// Each step predicted from the measured previous point (the censored
    /// mean of the C2C draw; the module docs of [`crate::pulse`]).
    #[default]
    Steps,
    /// The noiseless curve run free against every point, with the clamp
    /// levels fitted (`fit/src/pulse/trajectory.rs`).
    Trajectory,
}

/// Read noise seen in one device's steps: the one-step residuals of a
/// noisy reading `y = x + r` of a state `x' = f(x) + w` are
/// `e = r' + w − f'(x)·r`, so neighbouring residuals share `r` and their
/// lag-1 autocovariance is `−f'·σ_r²` (`f' = 1 + m`); the lag-1
/// autocorrelation is about −0.5 when read noise dominates and 0 when the
/// C2C draw does (the first difference of the local level model, Harvey,
/// *Forecasting, Structural Time Series Models and the Kalman Filter*,
/// 1989, §2.3.1). Read noise counts as present when the autocorrelation is
/// below `−2/√n` (`n` neighbouring pairs: the one-sided 2.3 % level of a
/// white sequence, Bartlett 1946); then `σ_r² = −mean(eᵢeᵢ₊₁/f')` and the
/// C2C variance is `mean(e²) − σ_r²·mean(1 + f'²)`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepNoise {
    /// Lag-1 autocorrelation of the one-step residuals (neighbouring steps
    /// of one polarity, both away from the clamps).
    pub lag1: f64,
    /// Neighbouring pairs behind it.
    pub pairs: usize,
    /// Whether read noise is present (`lag1 < −2/√pairs`).
    pub read_noise: bool,
    /// Read-noise σ relative to g_max − g_min (0 without read noise).
    pub read_sigma: f64,
    /// σ of the one-step residuals relative to g_max − g_min (read noise
    /// and C2C together).
    pub gross_sigma: f64,
}

/// The exponential fit's candidate from one estimator.
struct Candidate {
    estimator: Estimator,
    /// `[m_up, c_up, m_down, c_down, L, H]` in units of the measured range.
    params: [f64; 6],
    fit: LsFit,
    /// The noiseless curve's RMS distance from the device, in units of the
    /// measured range.
    free_run: f64,
}

/// RMS of `a − b`.
pub(super) fn rms(a: &[f64], b: &[f64]) -> f64 {
    let ss: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    (ss / a.len().max(1) as f64).sqrt()
}

/// The one-step residuals of `p` (`[m_up, c_up, m_down, c_down, L, H]`) on
/// `t`'s points, each with its slope `1 + m` and whether the noiseless step
/// lies inside `(L, H)` by more than `margin`.
pub(super) fn one_step(t: &Trajectory, p: &[f64; 6], margin: f64) -> Vec<(f64, f64, bool, bool)> {
    (1..t.v.len())
        .map(|i| {
            let o = if t.up[i] { 0 } else { 2 };
            let prev = t.v[i - 1];
            let raw = prev + p[o + 1] + p[o] * prev;
            let pred = raw.clamp(p[4], p[5]);
            let inside = raw > p[4] + margin && raw < p[5] - margin;
            (t.v[i] - pred, 1.0 + p[o], inside, t.up[i])
        })
        .collect()
}

/// [`StepNoise`] of `p` on `t` (relative to `H − L`), and the C2C σ net of
/// the read noise with its degrees of freedom.
pub(super) fn step_noise(t: &Trajectory, p: &[f64; 6]) -> (StepNoise, f64, usize) {
    let scale = p[5] - p[4];
    // Away from the clamps by 3 gross σ (iterated once from 0).
    let mut margin = 0.0;
    let mut out = None;
    for _ in 0..2 {
        let e = one_step(t, p, margin);
        let inner: Vec<&(f64, f64, bool, bool)> = e.iter().filter(|x| x.2).collect();
        let n = inner.len();
        let g0 = inner.iter().map(|x| x.0 * x.0).sum::<f64>() / n.max(1) as f64;
        let (mut g1, mut read, mut pairs) = (0.0, 0.0, 0usize);
        for w in e.windows(2) {
            if w[0].2 && w[1].2 && w[0].3 == w[1].3 {
                g1 += w[0].0 * w[1].0;
                read += w[0].0 * w[1].0 / w[1].1;
                pairs += 1;
            }
        }
        let lag1 = if pairs > 0 && g0 > 0.0 {
            g1 / pairs as f64 / g0
        } else {
            0.0
        };
        let present = pairs >= 4 && lag1 < -2.0 / (pairs as f64).sqrt();
        let read_var = if present {
            (-read / pairs as f64).max(0.0)
        } else {
            0.0
        };
        let gain = inner.iter().map(|x| 1.0 + x.1 * x.1).sum::<f64>() / n.max(1) as f64;
        let c2c_var = (g0 - read_var * gain).max(0.0);
        margin = 3.0 * g0.sqrt();
        out = Some((
            StepNoise {
                lag1,
                pairs,
                read_noise: present,
                read_sigma: read_var.sqrt() / scale,
                gross_sigma: g0.sqrt() / scale,
            },
            c2c_var.sqrt() / scale,
            n.saturating_sub(4),
        ));
    }
    out.expect("two rounds")
}

/// Starts for the trajectory fit that do not come from the steps: both
/// branches of the library's curve with `A/P_max` of 0.1, 0.3, 1 and 3 and
/// `P_max` of ½, 1 and 2 half-cycles of the record (the median run of LTP
/// pulses), on the measured extremes; `grid` false: `A = P_max` = one
/// half-cycle alone.
pub(super) fn curve_starts(t: &Trajectory, grid: bool) -> Vec<[f64; 6]> {
    let half = half_cycle(t);
    // LTP: m = e^(−1/A) − 1, B = 1/(1 − e^(−P/A)); LTD (A < 0, saturating
    // depression): m = e^(−1/|A|) − 1, B = 1/(1 − e^(P/|A|)); c = −m·B.
    let branch = |a: f64, p: f64, ltp: bool| {
        let m = (-1.0 / a).exp_m1();
        let b = if ltp {
            1.0 / -(-p / a).exp_m1()
        } else {
            1.0 / -(p / a).exp_m1()
        };
        (m, -m * b)
    };
    let (ratios, scales): (&[f64], &[f64]) = if grid {
        (&[0.1, 0.3, 1.0, 3.0], &[0.5, 1.0, 2.0])
    } else {
        (&[1.0], &[1.0])
    };
    let mut out = Vec::new();
    for &r in ratios {
        for &f in scales {
            let p = f * half;
            let (mu, cu) = branch(r * p, p, true);
            let (md, cd) = branch(r * p, p, false);
            out.push([mu, cu, md, cd, 0.0, 1.0]);
        }
    }
    out
}

/// The median run of LTP pulses of `t` (at least 2): a half-cycle.
pub(super) fn half_cycle(t: &Trajectory) -> f64 {
    let mut runs = Vec::new();
    let mut len = 0usize;
    for i in 1..t.up.len() {
        if t.up[i] {
            len += 1;
        } else if len > 0 {
            runs.push(len as f64);
            len = 0;
        }
    }
    if len > 0 {
        runs.push(len as f64);
    }
    crate::stats::median(&runs).max(2.0)
}

/// Read-noise and C2C σ by maximum likelihood of the state-space model
/// `x' = clamp(x + c + m·x, L, H) + w`, `y = x + r` (`w ~ N(0, σ_w²)` the
/// C2C draw, `r ~ N(0, σ_r²)` the read noise), the map `p` fixed: the
/// Kalman filter's prediction-error likelihood (the map linear in `x`
/// between the clamps, slope 0 at them), concentrated in `σ_r²` with
/// `q = σ_w²/σ_r²` searched on a log grid (Harvey 1989, §3.4; Durbin &
/// Koopman, *Time Series Analysis by State Space Methods*, 2nd ed., 2012,
/// §2.10). Returns `(σ_w, σ_r, profile-likelihood 95 % interval of σ_w)`
/// in units of `v`, or `None` for too few points. With `relative` (the
/// soft-bounds model's C2C, a fraction of each step), the C2C variance of a
/// step is `σ_w²·(c + m·x)²` at the filtered state `x`, and `σ_w` is that
/// fraction.
pub(super) fn state_space_noise(
    t: &Trajectory,
    p: &[f64; 6],
    relative: bool,
) -> Option<(f64, f64, f64, f64)> {
    let n = t.v.len();
    if n < 10 {
        return None;
    }
    // (−2·concentrated log-likelihood, σ_r²) at q.
    let run = |q: f64| -> (f64, f64) {
        let (mut a, mut var) = (t.v[0], 1.0);
        let (mut sum_ln, mut sum_v2) = (0.0, 0.0);
        for i in 1..n {
            let o = if t.up[i] { 0 } else { 2 };
            let raw = a + p[o + 1] + p[o] * a;
            let (pred, slope) = if raw < p[4] {
                (p[4], 0.0)
            } else if raw > p[5] {
                (p[5], 0.0)
            } else {
                (raw, 1.0 + p[o])
            };
            let scale = if relative {
                (p[o + 1] + p[o] * a).powi(2)
            } else {
                1.0
            };
            let pv = slope * slope * var + q * scale;
            let s = pv + 1.0;
            let innov = t.v[i] - pred;
            sum_ln += s.ln();
            sum_v2 += innov * innov / s;
            let k = pv / s;
            a = pred + k * innov;
            var = (1.0 - k) * pv;
        }
        let m = (n - 1) as f64;
        let s2 = sum_v2 / m;
        (sum_ln + m * s2.max(1e-300).ln(), s2)
    };
    // q from 1e-8 to 1e2 (relative: to 1e6, a C2C of up to 1 000 read-noise
    // σ per step).
    let top = if relative { 224 } else { 160 };
    let grid: Vec<(f64, f64, f64)> = (0..=top)
        .map(|k| {
            let q = 10f64.powf(-8.0 + 0.0625 * k as f64);
            let (dev, s2) = run(q);
            (q, dev, s2)
        })
        .collect();
    let best = grid.iter().copied().min_by(|a, b| a.1.total_cmp(&b.1))?;
    let sigma_w = |(q, _, s2): (f64, f64, f64)| (q * s2).sqrt();
    // The profile interval: every q whose deviance lies within 3.84.
    let inside: Vec<f64> = grid
        .iter()
        .filter(|g| g.1 - best.1 <= 3.841_458_820_694_124)
        .map(|g| sigma_w(*g))
        .collect();
    let lo = inside.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = inside.iter().copied().fold(0.0, f64::max);
    Some((sigma_w(best), best.2.sqrt(), lo, hi))
}

/// The exponential model of one device: the step fit and, where the steps
/// show read noise ([`StepNoise`]) or the step fit fails, the trajectory
/// fit; the one whose noiseless curve runs closer to the device is kept
/// (the trajectory fit only when it is closer by a quarter, plus 0.2 % of
/// the range); C2C net of read noise where the steps show it.
pub(super) fn fit_exponential(
    steps: &Steps,
    opts: &super::PulseOptions,
    traj: &Trajectory,
    g_min: f64,
    range: f64,
) -> Result<ExponentialFit, String> {
    let robust = opts.robust;
    let steps_fit = fit_steps(steps, robust);
    let mut candidates = Vec::new();
    let mut why = String::new();
    match &steps_fit {
        Ok((fit, _, _)) => {
            let p = &fit.params;
            let params = [p[0], p[1], p[2], p[3], 0.0, 1.0];
            let free_run = rms(&traj.v, &traj.run(&params, None));
            candidates.push(Candidate {
                estimator: Estimator::Steps,
                params,
                fit: fit.clone(),
                free_run,
            });
        }
        Err(e) => why.clone_from(e),
    }
    // From the step fit alone when it stands and the steps show no read
    // noise (then the two agree and one descent suffices); otherwise from a
    // grid of curves too (the trajectory's criterion has local minima).
    let steps_noise = candidates.first().map(|c| step_noise(traj, &c.params).0);
    let grid = steps_noise.is_none_or(|n| n.read_noise);
    // Without read noise the step fit is unbiased and efficient: the
    // trajectory fit runs only where the steps show read noise or the step
    // fit fails.
    let mut starts = curve_starts(traj, true);
    if let Some(c) = candidates.first() {
        starts.insert(0, c.params);
    }
    let trajectory = if opts.steps_only || !grid {
        None
    } else {
        super::trajectory::fit(traj, &starts, robust)
    };
    if let Some(fit) = trajectory {
        let q = &fit.params;
        let reach = |o: usize, ltp: bool| {
            let (m, c) = map_on_bounds(q[o], q[o + 1], q[4], q[5]);
            branch_from_map(m, c, ltp).is_some()
        };
        if reach(0, true) && reach(2, false) {
            let params = [q[0], q[1], q[2], q[3], q[4], q[5]];
            let free_run = (fit.rss / fit.n.max(1) as f64).sqrt();
            candidates.push(Candidate {
                estimator: Estimator::Trajectory,
                params,
                fit,
                free_run,
            });
        }
    }
    let steps_free_run = candidates
        .iter()
        .find(|c| c.estimator == Estimator::Steps)
        .map(|c| c.free_run);
    let trajectory_free_run = candidates
        .iter()
        .find(|c| c.estimator == Estimator::Trajectory)
        .map(|c| c.free_run);
    let kept = match (steps_free_run, trajectory_free_run) {
        (Some(s), Some(t)) if s > 1.25 * t + 0.002 => candidates.pop(),
        (Some(_), _) => candidates.into_iter().next(),
        (None, Some(_)) => candidates.pop(),
        (None, None) => None,
    };
    let Some(kept) = kept else {
        return Err(if why.is_empty() {
            "Levenberg–Marquardt did not converge".into()
        } else {
            why
        });
    };
    let (mut noise, c2c_net, dof) = step_noise(traj, &kept.params);
    // With read noise, σ_w and σ_r by the state-space likelihood (the
    // moment estimate of `StepNoise` differs two large numbers).
    let scale = kept.params[5] - kept.params[4];
    let net = if noise.read_noise {
        match state_space_noise(traj, &kept.params, false) {
            Some((w, r, lo, hi)) => {
                noise.read_sigma = r / scale;
                let (w, lo, hi) = (w / scale, lo / scale, hi / scale);
                Estimate {
                    value: w,
                    std_error: (hi - lo) / (2.0 * crate::stats::Z95),
                    ci_low: lo,
                    ci_high: hi,
                }
            }
            None => sigma_estimate(c2c_net, dof),
        }
    } else {
        sigma_estimate(c2c_net, dof)
    };
    let fit = &kept.fit;
    let (nl_ltp, nl_ltd, pulses_ltp, pulses_ltd, g_lo, g_hi, c2c, quality) = match kept.estimator {
        Estimator::Steps => {
            let e = step_estimates(&steps_fit.expect("the step fit was kept"), steps);
            (
                e.nl_ltp,
                e.nl_ltd,
                e.pulses_ltp,
                e.pulses_ltd,
                Estimate::normal(g_min, 0.0),
                Estimate::normal(g_min + range, 0.0),
                if noise.read_noise { net } else { e.c2c },
                e.quality,
            )
        }
        Estimator::Trajectory => {
            let branch = |q: &[f64], o: usize| map_on_bounds(q[o], q[o + 1], q[4], q[5]);
            let nl = |q: &[f64], o: usize, ltp: bool| {
                let (m, c) = branch(q, o);
                nl_of(m, c, ltp)
            };
            let pulses = |q: &[f64], o: usize, ltp: bool| {
                let (m, c) = branch(q, o);
                pulses_of(m, c, ltp)
            };
            let c2c = if noise.read_noise {
                net
            } else {
                sigma_estimate(noise.gross_sigma, dof)
            };
            // One-step quality of the kept map, on the same steps and the
            // same scale as the step fit's and soft bounds'.
            let e = one_step(traj, &kept.params, 0.0);
            let rss: f64 = e.iter().map(|x| x.0 * x.0).sum();
            let n = e.len();
            let (aic, bic) = information_criteria(rss, n, 9);
            // Standard errors by the parametric bootstrap; the HAC sandwich
            // where too few replicates fit.
            let (w, r) = if noise.read_noise {
                (c2c.value * scale, noise.read_sigma * scale)
            } else {
                (c2c.value * scale, 0.0)
            };
            let reps = super::trajectory::bootstrap(
                traj,
                &kept.params,
                w,
                r,
                super::trajectory::REPLICATES,
                robust,
            );
            let estimate = |f: &dyn Fn(&[f64]) -> f64| {
                let values: Vec<f64> = reps
                    .iter()
                    .map(|q| f(q))
                    .filter(|x| x.is_finite())
                    .collect();
                if values.len() >= super::trajectory::REPLICATES / 2 {
                    Estimate::normal(f(&fit.params), crate::stats::std_dev(&values))
                } else {
                    fit.derived(f)
                }
            };
            (
                estimate(&|q| nl(q, 0, true)),
                estimate(&|q| nl(q, 2, false)),
                estimate(&|q| pulses(q, 0, true)),
                estimate(&|q| pulses(q, 2, false)),
                estimate(&|q| g_min + q[4] * range),
                estimate(&|q| g_min + q[5] * range),
                c2c,
                Quality {
                    steps: n,
                    rmse_relative: (rss / n.max(1) as f64).sqrt(),
                    r2: 1.0 - rss / steps.tss(),
                    aic,
                    bic,
                    parameters: 9,
                },
            )
        }
    };
    Ok(ExponentialFit {
        nl_ltp,
        nl_ltd,
        pulses_ltp,
        pulses_ltd,
        c2c,
        quality,
        estimator: kept.estimator,
        g_min_S: g_lo,
        g_max_S: g_hi,
        free_run_relative: kept.free_run,
        steps_free_run_relative: steps_free_run,
        trajectory_free_run_relative: trajectory_free_run,
        step_noise: noise,
    })
}

/// The step fit's estimates (C2C from the interior steps, without the
/// read-noise correction).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct StepEstimates {
    pub nl_ltp: Estimate,
    pub nl_ltd: Estimate,
    pub pulses_ltp: Estimate,
    pub pulses_ltd: Estimate,
    pub c2c: Estimate,
    pub quality: Quality,
}

pub(super) fn step_estimates(fitted: &(LsFit, f64, usize), steps: &Steps) -> StepEstimates {
    let (fit, sigma, n) = fitted;
    StepEstimates {
        nl_ltp: fit.derived(|q| nl_of(q[0], q[1], true)),
        nl_ltd: fit.derived(|q| nl_of(q[2], q[3], false)),
        pulses_ltp: fit.derived(|q| pulses_of(q[0], q[1], true)),
        pulses_ltd: fit.derived(|q| pulses_of(q[2], q[3], false)),
        c2c: sigma_estimate(*sigma, n.saturating_sub(4)),
        quality: quality(fit, steps, 7),
    }
}

/// The step fit: its least-squares result (`[m_up, c_up, m_down, c_down]`),
/// the C2C σ from the interior steps and their number.
pub(super) fn fit_steps(steps: &Steps, robust: bool) -> Result<(LsFit, f64, usize), String> {
    let up = ols(steps, true, true).ok_or("fewer than 2 distinct LTP steps below g_max")?;
    let down = ols(steps, false, true).ok_or("fewer than 2 distinct LTD steps above g_min")?;
    let (mut ltp, mut ltd) = (Branch::of(steps, true), Branch::of(steps, false));
    // σ of the censored mean: from the plain fit, then from the interior
    // residuals of each round.
    let mut fits = solve_branches(&ltp, &ltd, [[up.0, up.1], [down.0, down.1]], robust);
    for _ in 0..3 {
        let (sigma, _) = interior_sigma([(&ltp, &fits[0].p), (&ltd, &fits[1].p)]);
        ltp.sigma = sigma;
        ltd.sigma = sigma;
        fits = solve_branches(&ltp, &ltd, [fits[0].p, fits[1].p], robust);
    }
    let fit = ls_fit(&[&fits[0], &fits[1]]);
    if !fit.converged {
        return Err("Levenberg–Marquardt did not converge".into());
    }
    let (sigma, n) = interior_sigma([(&ltp, &fits[0].p), (&ltd, &fits[1].p)]);
    let p = &fit.params;
    for (ltp, o, name) in [(true, 0, "LTP"), (false, 2, "LTD")] {
        if branch_from_map(p[o], p[o + 1], ltp).is_none() {
            return Err(format!(
                "the {name} steps do not reach the far bound in finitely many pulses (their fixed point lies inside the measured range: a soft-bounds device)"
            ));
        }
    }
    Ok((fit, sigma, n))
}

impl ExponentialFit {
    /// The noiseless conductance after each pulse of `polarities` from `g0`
    /// on the fit's clamp levels `[g_min_S, g_max_S]`, through the library's
    /// update rule.
    pub fn curve(&self, polarities: &[i8], g0: f64) -> Vec<f64> {
        let (g_min, g_max) = (self.g_min_S.value, self.g_max_S.value);
        use rand::SeedableRng;
        use xbar_devices::pulse::{a_from_nl, exponential_update, ExponentialCurve};
        // No noise is drawn (C2C 0); the update function still takes an RNG.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
        let curve = |nl: f64, p: f64| ExponentialCurve {
            g_min,
            g_max,
            p_max: p,
            a: a_from_nl(nl) * p,
        };
        let ltp = curve(self.nl_ltp.value, self.pulses_ltp.value);
        let ltd = curve(self.nl_ltd.value, self.pulses_ltd.value);
        let mut g = g0;
        let mut out = Vec::with_capacity(polarities.len());
        for &p in polarities {
            g = exponential_update(g, i32::from(p), &ltp, &ltd, 0.0, &mut rng);
            out.push(g);
        }
        out
    }
}

/// The exponential model fitted to the median curve `traj` (in units of
/// its extremes, `lo` + `range` S) run free (the trajectory fit of
/// [`super::trajectory`]) from the device file's `built` pulse model (its curves on the
/// extremes) and from one e-folding per half-cycle. The pulse model (C2C
/// 0, pulses rounded, labels within ±9 as written) and `g_min`, `g_max`
/// (S: the fitted clamp levels, `g_min` at least 0) ([`super::median`]);
/// `None` where no fit reaches both bounds.
pub(super) fn median_candidate(
    traj: &Trajectory,
    lo: f64,
    range: f64,
    built: &xbar_devices::pulse::PulseSpec,
) -> Option<(xbar_devices::pulse::PulseSpec, f64, f64)> {
    use xbar_devices::pulse::{a_from_nl, PulseSpec, NL_MAX};
    let mut starts = curve_starts(traj, false);
    if let PulseSpec::Exponential {
        pulses_ltp,
        pulses_ltd,
        nl_ltp,
        nl_ltd,
        ..
    } = built
    {
        // LTP: m = e^(−1/A) − 1, B = 1/(1 − e^(−P/A)); LTD likewise with
        // the signed A of its label; c = −m·B (as `curve_starts`).
        let branch = |nl: f64, p: u32, ltp: bool| {
            let p = f64::from(p);
            let a = (a_from_nl(nl) * p).abs().min(1e9);
            let m = (-1.0 / a).exp_m1();
            let b = if ltp {
                1.0 / -(-p / a).exp_m1()
            } else {
                1.0 / -(p / a).exp_m1()
            };
            (m, -m * b)
        };
        let (mu, cu) = branch(*nl_ltp, *pulses_ltp, true);
        let (md, cd) = branch(*nl_ltd, *pulses_ltd, false);
        let s = [mu, cu, md, cd, 0.0, 1.0];
        if s.iter().all(|x| x.is_finite()) {
            starts.insert(0, s);
        }
    }
    // The lowest residual sum of the starts (no covariance: nothing reads
    // it here).
    let q = starts
        .iter()
        .map(|s| crate::stats::least_squares(traj, s, false))
        .filter(|f| {
            f.params.iter().all(|x| x.is_finite()) && f.rss.is_finite() && f.params[5] > f.params[4]
        })
        .min_by(|a, b| a.rss.total_cmp(&b.rss))?
        .params;
    let (mu, cu) = map_on_bounds(q[0], q[1], q[4], q[5]);
    let (md, cd) = map_on_bounds(q[2], q[3], q[4], q[5]);
    let (nl_ltp, nl_ltd) = (nl_of(mu, cu, true), nl_of(md, cd, false));
    let (p_ltp, p_ltd) = (pulses_of(mu, cu, true), pulses_of(md, cd, false));
    if ![nl_ltp, nl_ltd, p_ltp, p_ltd].iter().all(|x| x.is_finite()) {
        return None;
    }
    let round_pulses = |x: f64| x.round().clamp(1.0, f64::from(u32::MAX)) as u32;
    Some((
        PulseSpec::Exponential {
            pulses_ltp: round_pulses(p_ltp),
            pulses_ltd: round_pulses(p_ltd),
            nl_ltp: nl_ltp.clamp(-NL_MAX, NL_MAX),
            nl_ltd: nl_ltd.clamp(-NL_MAX, NL_MAX),
            c2c: 0.0,
        },
        (lo + q[4] * range).max(0.0),
        lo + q[5] * range,
    ))
}
