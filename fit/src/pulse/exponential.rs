//! The NeuroSim exponential pulse model fitted to one device: the step map
//! `Δu = c + m·u` per polarity with the library's clamp and the censored
//! mean of its C2C draw near the bounds (the module docs of
//! [`crate::pulse`] derive it), `(A, P_max)` and the `NL` label from the
//! map, and the model's noiseless curve through the library's update rule.

use serde::{Deserialize, Serialize};
use xbar_devices::pulse::nl_from_a;

use super::{huber_weights, lm, ls_fit, ols, quality, Quality, Steps};
use crate::stats::{sigma_estimate, Estimate};

/// The exponential model fitted to one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
    /// Fit quality.
    pub quality: Quality,
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

pub(super) fn fit_exponential(steps: &Steps, robust: bool) -> Result<ExponentialFit, String> {
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
    let nl_ltp = fit.derived(|q| nl_of(q[0], q[1], true));
    let nl_ltd = fit.derived(|q| nl_of(q[2], q[3], false));
    let pulses_ltp = fit.derived(|q| pulses_of(q[0], q[1], true));
    let pulses_ltd = fit.derived(|q| pulses_of(q[2], q[3], false));
    Ok(ExponentialFit {
        nl_ltp,
        nl_ltd,
        pulses_ltp,
        pulses_ltd,
        c2c: sigma_estimate(sigma, n.saturating_sub(4)),
        quality: quality(&fit, steps, 7),
    })
}

impl ExponentialFit {
    /// The noiseless conductance after each pulse of `polarities` from `g0`
    /// on `[g_min, g_max]` (the device's measured extremes), through the
    /// library's update rule.
    pub fn curve(&self, g_min: f64, g_max: f64, polarities: &[i8], g0: f64) -> Vec<f64> {
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
