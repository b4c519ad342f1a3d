//! The soft-bounds pulse model (aihwkit's `SoftBoundsDevice`) fitted to one
//! device: `(α, G_bound)` per polarity, the C2C σ relative to each step,
//! and the model's noiseless curve through the library's update rule.

use serde::{Deserialize, Serialize};

use super::{lm, ls_fit, ols, quality, solve, Quality, Steps};
use crate::stats::{least_squares, sigma_estimate, Estimate, Model};

/// The soft-bounds model fitted to one device.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct SoftBoundsFit {
    /// Fraction of the distance to g_max gained per up pulse.
    pub alpha_up: Estimate,
    /// Fraction of the distance to g_min lost per down pulse.
    pub alpha_down: Estimate,
    /// The lower asymptote (S).
    pub g_min_S: Estimate,
    /// The upper asymptote (S).
    pub g_max_S: Estimate,
    /// C2C σ relative to each step.
    pub c2c: Estimate,
    /// Fit quality.
    pub quality: Quality,
}

/// Soft-bounds step map: `[α_up, F_up, α_down, F_down]`.
pub(super) struct SoftBounds<'a>(pub(super) &'a Steps);

impl SoftBounds<'_> {
    /// Prediction and its gradient.
    pub(super) fn predict(p: &[f64], u0: f64, up: bool) -> (f64, [f64; 4]) {
        let (au, fu, ad, fd) = (p[0], p[1], p[2], p[3]);
        let mut g = [0.0; 4];
        // The library clamps to the bounds first.
        let (v, dv_fu, dv_fd) = if u0 >= fu {
            (fu, 1.0, 0.0)
        } else if u0 <= fd {
            (fd, 0.0, 1.0)
        } else {
            (u0, 0.0, 0.0)
        };
        if up {
            let pred = v + au * (fu - v);
            g[0] = fu - v;
            g[1] = au + (1.0 - au) * dv_fu;
            g[3] = (1.0 - au) * dv_fd;
            (pred, g)
        } else {
            let pred = v - ad * (v - fd);
            g[2] = -(v - fd);
            g[3] = ad + (1.0 - ad) * dv_fd;
            g[1] = (1.0 - ad) * dv_fu;
            (pred, g)
        }
    }
}

impl lm::Rows<4> for SoftBounds<'_> {
    fn len(&self) -> usize {
        self.0.u0.len()
    }
    fn row(&self, p: &[f64; 4], i: usize) -> (f64, [f64; 4]) {
        let s = self.0;
        let (pred, g) = Self::predict(p, s.u0[i], s.up[i]);
        (s.u1[i] - pred, g.map(|x| -x))
    }
}

impl Model for SoftBounds<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let s = self.0;
        for i in 0..s.u0.len() {
            out.push(s.u1[i] - Self::predict(p, s.u0[i], s.up[i]).0);
        }
    }
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let s = self.0;
        for i in 0..s.u0.len() {
            let g = Self::predict(p, s.u0[i], s.up[i]).1;
            out.extend(g.iter().map(|x| -x));
        }
    }
}

pub(super) fn fit_soft_bounds(
    steps: &Steps,
    robust: bool,
    g_min: f64,
    range: f64,
) -> Result<SoftBoundsFit, String> {
    let (mu, cu) = ols(steps, true, false).ok_or("fewer than 2 distinct LTP steps")?;
    let (md, cd) = ols(steps, false, false).ok_or("fewer than 2 distinct LTD steps")?;
    let start = [-mu, -cu / mu, -md, -cd / md];
    if !start.iter().all(|x| x.is_finite()) {
        return Err("the steps do not depend on the conductance".into());
    }
    // Where the optimum holds some step at an asymptote (the library's
    // clamp), the objective has a kink there, which the general solver of
    // `stats::least_squares` (a trust region) walks more reliably than the
    // plain damping of `lm`: such devices (soft-bounds devices measured up
    // to their bounds), and any whose last steps needed heavy damping, are
    // fitted by it.
    let model = SoftBounds(steps);
    let fast = solve(&model, start, robust);
    let clamped = (0..steps.u0.len()).any(|i| steps.u0[i] >= fast.p[1] || steps.u0[i] <= fast.p[3]);
    let fit = if fast.converged && !clamped && fast.lambda <= 1e-2 {
        ls_fit(&[&fast])
    } else {
        least_squares(&model, &start, robust)
    };
    if !fit.converged {
        return Err("Levenberg–Marquardt did not converge".into());
    }
    let p = &fit.params;
    if !(p[0] > 0.0 && p[0] < 1.0 && p[2] > 0.0 && p[2] < 1.0) {
        return Err(format!(
            "the fitted fractions α_up = {:.3}, α_down = {:.3} are outside (0, 1)",
            p[0], p[2]
        ));
    }
    if p[1] <= p[3] {
        return Err("the fitted upper asymptote lies below the lower one".into());
    }
    // C2C relative to the step: √(Σ r² / Σ Δû²).
    let mut steps2 = 0.0;
    for i in 0..steps.u0.len() {
        let pred = SoftBounds::predict(p, steps.u0[i], steps.up[i]).0;
        let v = steps.u0[i].clamp(p[3], p[1]);
        steps2 += (pred - v).powi(2);
    }
    let c2c = (fit.rss / steps2.max(1e-300)).sqrt();
    let dof = fit.n.saturating_sub(4);
    let to_s = |e: Estimate| e.map(|u| g_min + u * range);
    Ok(SoftBoundsFit {
        alpha_up: Estimate::normal(p[0], fit.se(0)),
        alpha_down: Estimate::normal(p[2], fit.se(2)),
        g_max_S: to_s(Estimate::normal(p[1], fit.se(1))),
        g_min_S: to_s(Estimate::normal(p[3], fit.se(3))),
        c2c: sigma_estimate(c2c, dof),
        quality: quality(&fit, steps, 5),
    })
}

impl SoftBoundsFit {
    /// The noiseless conductance after each pulse of `polarities` from `g0`,
    /// through the library's update rule.
    pub fn curve(&self, polarities: &[i8], g0: f64) -> Vec<f64> {
        use rand::SeedableRng;
        use xbar_devices::pulse::soft_bounds_update;
        // No noise is drawn (C2C 0); the update function still takes an RNG.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
        let mut g = g0;
        let mut out = Vec::with_capacity(polarities.len());
        for &p in polarities {
            g = soft_bounds_update(
                g,
                i32::from(p),
                self.g_min_S.value,
                self.g_max_S.value,
                self.alpha_up.value,
                self.alpha_down.value,
                0.0,
                &mut rng,
            );
            out.push(g);
        }
        out
    }
}
