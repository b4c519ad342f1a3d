//! The pulse fits against the previous implementation (the general
//! Levenberg–Marquardt of the `levenberg-marquardt` crate on the full
//! `n × 4` problem, kept here verbatim as the reference), and the analytic
//! Jacobians against finite differences.

use super::*;
use crate::synth::{synthesize, SynthModel, SynthSpec};

/// The fits as they were before the normal-equation solver: each model one
/// 4-parameter problem for [`crate::stats::least_squares`].
mod reference {
    use super::super::*;
    use crate::stats::{least_squares, LsFit, Model};

    /// Exponential step map: `[m_ltp, c_ltp, m_ltd, c_ltd]`. The noiseless
    /// step `μ = clamp(u + c + m·u, 0, 1)` is followed, as in the library, by the
    /// C2C draw and a second clamp, so an observation's mean is that of a
    /// normal of mean `μ` and σ `sigma` censored to `[0, 1]`:
    /// `E = f(μ) − f(μ − 1)`, `f(x) = x·Φ(x/σ) + σ·φ(x/σ)`.
    struct Exponential<'a> {
        steps: &'a Steps,
        sigma: f64,
    }

    fn phi(x: f64) -> f64 {
        (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt()
    }

    fn cdf(x: f64) -> f64 {
        0.5 * libm::erfc(-x / std::f64::consts::SQRT_2)
    }

    impl Exponential<'_> {
        /// Noiseless step `μ`, whether the clamp is inactive, mean of the
        /// observation and `dE/dμ`.
        fn predict(&self, p: &[f64], u0: f64, up: bool) -> (f64, bool, f64, f64) {
            let o = if up { 0 } else { 2 };
            let raw = u0 + p[o + 1] + p[o] * u0;
            let mu = raw.clamp(0.0, 1.0);
            let free = (0.0..=1.0).contains(&raw);
            let s = self.sigma;
            // More than 8σ from both bounds the censoring changes the mean by
            // less than 1e-16 of σ: the plain value (and no erfc).
            if s < 1e-12 || (mu > 8.0 * s && mu < 1.0 - 8.0 * s) {
                return (mu, free, mu, 1.0);
            }
            let f = |x: f64| x * cdf(x / s) + s * phi(x / s);
            let e = f(mu) - f(mu - 1.0);
            let de = cdf(mu / s) - cdf((mu - 1.0) / s);
            (mu, free, e, de)
        }
    }

    impl Model for Exponential<'_> {
        fn dim(&self) -> usize {
            4
        }
        fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
            out.clear();
            let s = self.steps;
            for i in 0..s.u0.len() {
                out.push(s.u1[i] - self.predict(p, s.u0[i], s.up[i]).2);
            }
        }
        fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
            out.clear();
            let s = self.steps;
            for i in 0..s.u0.len() {
                let o = if s.up[i] { 0 } else { 2 };
                let (_, free, _, de) = self.predict(p, s.u0[i], s.up[i]);
                let mut row = [0.0; 4];
                if free {
                    row[o] = -s.u0[i] * de;
                    row[o + 1] = -de;
                }
                out.extend(row);
            }
        }
    }

    /// σ of the residuals of the steps whose noiseless value lies more than
    /// 3σ from both bounds (there the clamp does not shrink the spread), and
    /// their number.
    fn interior_sigma(model: &Exponential, p: &[f64]) -> (f64, usize) {
        let s = model.steps;
        let margin = 3.0 * model.sigma;
        let (mut ss, mut n) = (0.0, 0usize);
        for i in 0..s.u0.len() {
            let (mu, _, e, _) = model.predict(p, s.u0[i], s.up[i]);
            if mu > margin && mu < 1.0 - margin {
                ss += (s.u1[i] - e).powi(2);
                n += 1;
            }
        }
        let dof = n.saturating_sub(4).max(1);
        ((ss / dof as f64).sqrt(), n)
    }

    /// Soft-bounds step map: `[α_up, F_up, α_down, F_down]`.
    pub(super) struct SoftBounds<'a>(pub(super) &'a Steps);

    impl SoftBounds<'_> {
        /// Prediction and its gradient.
        fn predict(p: &[f64], u0: f64, up: bool) -> (f64, [f64; 4]) {
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

    pub(super) fn fit_exponential(steps: &Steps, robust: bool) -> Result<StepEstimates, String> {
        let up = ols(steps, true, true).ok_or("fewer than 2 distinct LTP steps below g_max")?;
        let down = ols(steps, false, true).ok_or("fewer than 2 distinct LTD steps above g_min")?;
        let mut start = vec![up.0, up.1, down.0, down.1];
        // σ of the censored mean: from the plain fit, then from the interior
        // residuals of each round.
        let mut model = Exponential { steps, sigma: 0.0 };
        let mut fit = least_squares(&model, &start, robust);
        let mut interior = fit.n;
        for _ in 0..3 {
            let (sigma, n) = interior_sigma(&model, &fit.params);
            model.sigma = sigma;
            interior = n;
            start.clone_from(&fit.params);
            fit = least_squares(&model, &start, robust);
        }
        if !fit.converged {
            return Err("Levenberg–Marquardt did not converge".into());
        }
        let (sigma, n) = interior_sigma(&model, &fit.params);
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
        let _ = interior;
        Ok(StepEstimates {
            nl_ltp,
            nl_ltd,
            pulses_ltp,
            pulses_ltd,
            c2c: sigma_estimate(sigma, n.saturating_sub(4)),
            quality: quality(&fit, steps, 7),
        })
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
        let fit = least_squares(&SoftBounds(steps), &start, robust);
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
            estimator: Estimator::Steps,
            free_run_relative: f64::NAN,
            step_noise: None,
            at_limit: Default::default(),
        })
    }
}

/// Each device of `data` in normalised steps, as `fit_device` builds them.
fn device_steps(data: &PulseData) -> Vec<Steps> {
    data.devices
        .iter()
        .map(|d| {
            let g_min = d.points.iter().map(|p| p.g).fold(f64::INFINITY, f64::min);
            let g_max = d.points.iter().map(|p| p.g).fold(0.0, f64::max);
            Steps::of(d, g_min, g_max - g_min).0
        })
        .collect()
}

/// `|a − b| ≤ rel·max(|a|, |b|)`, or both the same infinity/NaN.
fn close(a: f64, b: f64, rel: f64) -> bool {
    a == b || (a.is_nan() && b.is_nan()) || (a - b).abs() <= rel * a.abs().max(b.abs())
}

/// Values within `dv` of their standard error, standard errors within `ds`
/// relative (the interval's ends follow).
fn same_estimate(what: &str, a: &Estimate, b: &Estimate, dv: f64, ds: f64) {
    assert!(
        (a.value - b.value).abs() <= dv * b.std_error,
        "{what}: value {} vs reference {} (se {})",
        a.value,
        b.value,
        b.std_error
    );
    assert!(
        close(a.std_error, b.std_error, ds),
        "{what}: se {} vs reference {}",
        a.std_error,
        b.std_error
    );
}

/// Quality: the fast fit's RMSE within 1e-4 of the reference's, and never
/// above it (beyond rounding) for least squares (where the reference stopped
/// short on a kink, below; the robust loss minimises another sum), AIC and
/// BIC within 0.1, R² within 1e-6.
fn same_quality(what: &str, a: &Quality, b: &Quality, robust: bool) {
    assert_eq!(a.steps, b.steps);
    assert_eq!(a.parameters, b.parameters);
    assert!(
        a.rmse_relative <= b.rmse_relative * (1.0 + if robust { 1e-4 } else { 1e-9 })
            && a.rmse_relative >= b.rmse_relative * (1.0 - 1e-4),
        "{what}: RMSE {} vs reference {}",
        a.rmse_relative,
        b.rmse_relative
    );
    assert!(
        (a.r2 - b.r2).abs() < 1e-6,
        "{what}: R² {} vs {}",
        a.r2,
        b.r2
    );
    assert!(
        (a.aic - b.aic).abs() < 0.1,
        "{what}: AIC {} vs {}",
        a.aic,
        b.aic
    );
    assert!(
        (a.bic - b.bic).abs() < 0.1,
        "{what}: BIC {} vs {}",
        a.bic,
        b.bic
    );
}

/// The normal-equation solver (each polarity of the exponential model its
/// own 2-parameter problem) gives the estimates, intervals and criteria of
/// the previous implementation (the `levenberg-marquardt` crate on the full
/// 4-parameter problems), with and without the robust loss, on exponential
/// and soft-bounds data of fixed seeds: values within 0.5 % of their standard
/// error, standard errors within 0.5 % (a step held exactly at a clamp at the
/// optimum may count as free for one solver and not the other: one row of
/// several hundred); see `same_quality` for the criteria.
#[test]
fn fast_fits_equal_the_reference_implementation() {
    const TOL_VALUE: f64 = 5e-3;
    const TOL_SE: f64 = 5e-3;
    let soft = SynthSpec {
        devices: 6,
        model: SynthModel::SoftBounds {
            alpha_up: 0.05,
            alpha_down: 0.08,
        },
        c2c: 0.1,
        ..SynthSpec::default()
    };
    let exponential = SynthSpec {
        devices: 8,
        ..SynthSpec::default()
    };
    let (mut n_exp, mut n_soft) = (0, 0);
    for (spec, seed) in [(exponential, 3), (exponential, 11), (soft, 5)] {
        let data = synthesize(&spec, seed);
        for robust in [false, true] {
            for (k, steps) in device_steps(&data).iter().enumerate() {
                let what = format!("seed {seed} robust {robust} device {k}");
                let (fast, slow) = (
                    fit_steps(steps, robust).map(|f| step_estimates(&f, steps)),
                    reference::fit_exponential(steps, robust),
                );
                assert_eq!(fast.is_ok(), slow.is_ok(), "{what}: {fast:?} vs {slow:?}");
                if let (Ok(a), Ok(b)) = (&fast, &slow) {
                    n_exp += 1;
                    same_estimate(&what, &a.nl_ltp, &b.nl_ltp, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.nl_ltd, &b.nl_ltd, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.pulses_ltp, &b.pulses_ltp, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.pulses_ltd, &b.pulses_ltd, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.c2c, &b.c2c, TOL_VALUE, TOL_SE);
                    same_quality(&what, &a.quality, &b.quality, robust);
                }
                let range = 1e-5;
                let (fast, slow) = (
                    fit_soft_bounds(
                        steps,
                        &PulseOptions {
                            robust,
                            steps_only: true,
                            ..PulseOptions::default()
                        },
                        &trajectory_of(steps),
                        1e-6,
                        range,
                    ),
                    reference::fit_soft_bounds(steps, robust, 1e-6, range),
                );
                assert_eq!(fast.is_ok(), slow.is_ok(), "{what}: {fast:?} vs {slow:?}");
                if let (Ok(a), Ok(b)) = (&fast, &slow) {
                    n_soft += 1;
                    same_estimate(&what, &a.alpha_up, &b.alpha_up, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.alpha_down, &b.alpha_down, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.g_min_S, &b.g_min_S, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.g_max_S, &b.g_max_S, TOL_VALUE, TOL_SE);
                    same_estimate(&what, &a.c2c, &b.c2c, TOL_VALUE, TOL_SE);
                    same_quality(&what, &a.quality, &b.quality, robust);
                }
            }
        }
    }
    // Both models were compared on most devices (the exponential model
    // does not fit soft-bounds devices, which never reach their bounds).
    assert!(n_exp >= 2 * 16, "{n_exp} exponential fits compared");
    assert!(n_soft >= 2 * 20, "{n_soft} soft-bounds fits compared");
}

/// A device's record from its steps (consecutive: each starts where the
/// last ended).
fn trajectory_of(steps: &Steps) -> trajectory::Trajectory {
    let mut v = vec![steps.u0[0]];
    v.extend(&steps.u1);
    let mut up = vec![true];
    up.extend(&steps.up);
    trajectory::Trajectory { v, up }
}

/// Central differences of one row's residual.
fn numeric_gradient<const K: usize, R: lm::Rows<K>>(rows: &R, p: &[f64; K], i: usize) -> [f64; K] {
    std::array::from_fn(|a| {
        let h = 1e-6 * p[a].abs().max(1e-3);
        let (mut up, mut down) = (*p, *p);
        up[a] += h;
        down[a] -= h;
        (rows.residual(&up, i) - rows.residual(&down, i)) / (2.0 * h)
    })
}

/// The analytic gradients of both models' residuals equal central finite
/// differences, on rows in the interior, within a few σ of each bound (the
/// censored mean) and held by the clamp.
#[test]
fn analytic_jacobians_match_finite_differences() {
    let u0: Vec<f64> = (0..=40).map(|k| f64::from(k) / 40.0).collect();
    let u1: Vec<f64> = u0.iter().map(|u| (u + 0.03).min(1.0)).collect();
    for sigma in [0.0, 0.005, 0.05] {
        let b = Branch {
            u0: u0.clone(),
            u1: u1.clone(),
            sigma,
        };
        // μ = 0.98·u + 0.035: from 0.035 to 1.015 (the last rows clamped).
        let p = [-0.02, 0.035];
        let mut checked = 0;
        for (i, u) in u0.iter().enumerate() {
            let raw = u * (1.0 + p[0]) + p[1];
            if (raw - 1.0).abs() < 1e-4 {
                continue; // the kink of the clamp
            }
            let j = lm::Rows::row(&b, &p, i).1;
            let n = numeric_gradient(&b, &p, i);
            for a in 0..2 {
                assert!(
                    (j[a] - n[a]).abs() <= 1e-6 * n[a].abs().max(1e-3),
                    "σ {sigma} row {i} ∂/∂p{a}: analytic {} numeric {}",
                    j[a],
                    n[a]
                );
            }
            checked += 1;
        }
        assert!(checked >= 38);
    }
    // Censored mean: E(μ) from its integral, by the midpoint rule over the
    // normal density, for μ near 0 and 1 (independent of f(x)).
    for (mu, s) in [(0.004, 0.005), (0.997, 0.005), (0.5, 0.2)] {
        let steps = 200_000;
        let (lo, hi) = (mu - 10.0 * s, mu + 10.0 * s);
        let h = (hi - lo) / f64::from(steps);
        let mut e = 0.0;
        for k in 0..steps {
            let x: f64 = lo + (f64::from(k) + 0.5) * h;
            e += x.clamp(0.0, 1.0) * phi((x - mu) / s) / s * h;
        }
        let (c, _) = censored_mean(mu, s);
        assert!((c - e).abs() < 1e-9, "μ {mu} σ {s}: {c} vs integral {e}");
    }
    // Soft bounds, with rows beyond either asymptote.
    let steps = Steps {
        u0: u0.clone(),
        u1: u1.clone(),
        up: (0..u0.len()).map(|k| k % 3 != 0).collect(),
    };
    let model = SoftBounds(&steps);
    let p = [0.05, 0.93, 0.08, 0.06];
    for (i, u) in u0.iter().enumerate() {
        if (u - p[1]).abs() < 1e-3 || (u - p[3]).abs() < 1e-3 {
            continue;
        }
        let j = lm::Rows::row(&model, &p, i).1;
        let n = numeric_gradient(&model, &p, i);
        for a in 0..4 {
            assert!(
                (j[a] - n[a]).abs() <= 1e-6 * n[a].abs().max(1e-3),
                "soft bounds row {i} ∂/∂p{a}: analytic {} numeric {}",
                j[a],
                n[a]
            );
        }
    }
}

/// Rosenbrock's valley as least squares (`r = (10·(y − x²), 1 − x)`) from
/// the classic start (−1.2, 1): the minimum (1, 1) to 1e-10, with the
/// covariance of the closed-form Jacobian there.
#[test]
fn solver_finds_the_rosenbrock_minimum() {
    struct Rosenbrock;
    impl lm::Rows<2> for Rosenbrock {
        fn len(&self) -> usize {
            2
        }
        fn row(&self, p: &[f64; 2], i: usize) -> (f64, [f64; 2]) {
            if i == 0 {
                (10.0 * (p[1] - p[0] * p[0]), [-20.0 * p[0], 10.0])
            } else {
                (1.0 - p[0], [-1.0, 0.0])
            }
        }
    }
    let fit = lm::minimize(&Rosenbrock, [-1.2, 1.0], None);
    assert!(fit.converged);
    assert!(
        (fit.p[0] - 1.0).abs() < 1e-10 && (fit.p[1] - 1.0).abs() < 1e-10,
        "{:?}",
        fit.p
    );
    assert!(fit.sums.rss < 1e-20);
    // At (1, 1): JᵀJ = [[401, −200], [−200, 100]].
    let i = fit.sums.info;
    assert!((i[0][0] - 401.0).abs() < 1e-6 && (i[0][1] + 200.0).abs() < 1e-6);
    assert!((i[1][1] - 100.0).abs() < 1e-6);
}
