//! The exponential model fitted to a device's whole trajectory: the
//! noiseless curve run free from the first measured point through the
//! measured pulses, against every measured point (output-error least
//! squares, the "simulation" criterion of Ljung, *System Identification*,
//! 2nd ed., 1999, §7.3), where the step fit predicts each point from the
//! measured previous one.
//!
//! The step fit is the efficient estimator when the steps' noise is the
//! device's own pulse-to-pulse (C2C) draw; when the *reading* is noisy, the
//! regressor (the measured previous conductance) carries the noise
//! (errors in variables), which biases the slope of the step map towards
//! mean reversion: the fitted curve saturates too early and runs free far
//! from the data. The trajectory fit has no noisy regressor, so read noise
//! only adds variance. Both are fitted; [`super::exponential`] keeps the
//! one whose noiseless curve lies closer to the device (a stated margin).
//!
//! Parameters, in units `v = (g − g_lo)/(g_hi − g_lo)` of the measured
//! extremes: `(m, c)` per polarity and the clamp levels `(L, H)`, which read
//! noise pushes beyond the device's true bounds (the measured extremes are
//! the noisiest reads, not the bounds). The map `v' = clamp(v + c + m·v, L,
//! H)` becomes the library's on `[L, H]`: `u = (v − L)/(H − L)`, slope `m`
//! and intercept `(c + m·L)/(H − L)`. The Jacobian is the forward
//! sensitivity of the recursion (`∂x' = (1 + m)·∂x + ∂(c + m·x)` while
//! free, a unit vector at a clamp).
//!
//! Intervals: the trajectory's residuals are autocorrelated (each C2C draw
//! stays in the state), so the Jacobian's sandwich does not apply. The
//! standard errors come from a parametric bootstrap ([`bootstrap`]: the
//! fitted map with the fitted C2C and read noise simulated [`REPLICATES`]
//! times and refitted; Efron & Tibshirani, *An Introduction to the
//! Bootstrap*, 1993, §6.5), normal intervals from them. The covariance
//! kept in the least-squares result, for a fit whose replicates fail, is
//! the sandwich with the Newey–West (1987) Bartlett-weighted middle, its
//! bandwidth Andrews' (1991) AR(1) plug-in `1.1447·(α̂·n)^(1/3)`,
//! `α̂ = 4ρ̂²/((1 − ρ̂)²·(1 + ρ̂)²)` (too narrow where the C2C walk persists
//! over hundreds of pulses: the bootstrap is what the fit reports).

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};

use crate::stats::{least_squares, LsFit, Model};

/// Bootstrap replicates of a trajectory fit.
pub(super) const REPLICATES: usize = 40;

/// Parameters: `[m_up, c_up, m_down, c_down, L, H]`.
pub(super) const DIM: usize = 6;

/// One device's record in units of its measured extremes.
pub(super) struct Trajectory {
    /// Every measured point.
    pub v: Vec<f64>,
    /// The polarity of the pulse before each point (the first: unused).
    pub up: Vec<bool>,
}

impl Trajectory {
    /// The noiseless curve from the first point and, with `sens`, its
    /// sensitivities (row-major `n × DIM`).
    pub fn run(&self, p: &[f64], mut sens: Option<&mut Vec<f64>>) -> Vec<f64> {
        let (lo, hi) = (p[4], p[5]);
        let n = self.v.len();
        let mut x = Vec::with_capacity(n);
        let mut d = [0.0; DIM];
        let v0 = self.v[0];
        let x0 = if v0 < lo {
            d[4] = 1.0;
            lo
        } else if v0 > hi {
            d[5] = 1.0;
            hi
        } else {
            v0
        };
        x.push(x0);
        if let Some(s) = sens.as_deref_mut() {
            s.clear();
            s.extend(d);
        }
        for i in 1..n {
            let o = if self.up[i] { 0 } else { 2 };
            let (m, c) = (p[o], p[o + 1]);
            let prev = x[i - 1];
            let raw = prev + c + m * prev;
            let next = if raw < lo {
                d = [0.0; DIM];
                d[4] = 1.0;
                lo
            } else if raw > hi {
                d = [0.0; DIM];
                d[5] = 1.0;
                hi
            } else {
                for dk in &mut d {
                    *dk *= 1.0 + m;
                }
                d[o] += prev;
                d[o + 1] += 1.0;
                raw
            };
            x.push(next);
            if let Some(s) = sens.as_deref_mut() {
                s.extend(d);
            }
        }
        x
    }
}

impl Model for Trajectory {
    fn dim(&self) -> usize {
        DIM
    }
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
        let x = self.run(p, None);
        out.clear();
        out.extend(self.v.iter().zip(&x).map(|(v, x)| v - x));
    }
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
        self.run(p, Some(out));
        out.iter_mut().for_each(|j| *j = -*j);
    }
}

/// The library's step map `(m, c)` on `[L, H]` from `v`-units parameters.
pub(super) fn map_on_bounds(m: f64, c: f64, lo: f64, hi: f64) -> (f64, f64) {
    (m, (c + m * lo) / (hi - lo))
}

/// The trajectory fit from each of `starts` (the lowest residual sum kept),
/// with the Newey–West covariance; `None` when none gives finite values.
pub(super) fn fit(t: &Trajectory, starts: &[[f64; DIM]], robust: bool) -> Option<LsFit> {
    let mut best: Option<LsFit> = None;
    for s in starts {
        let f = least_squares(t, s, robust);
        let ok = f.params.iter().all(|x| x.is_finite())
            && f.rss.is_finite()
            && f.params[5] > f.params[4];
        if ok && best.as_ref().is_none_or(|b| f.rss < b.rss) {
            best = Some(f);
        }
    }
    let mut f = best?;
    f.covariance = hac_covariance(t, &f);
    Some(f)
}

/// The HAC covariance `B⁻¹·S·B⁻¹·n/(n − k)`, `B = JᵀJ`,
/// `S = Σ_ℓ w_ℓ·Σ_i (rᵢjᵢ)(r_{i−ℓ}j_{i−ℓ})ᵀ + transpose` (Bartlett weights
/// `w_ℓ = 1 − ℓ/(b + 1)`, `w_0 = 1` counted once), the bandwidth `b` by
/// Andrews' AR(1) rule from the residuals' lag-1 autocorrelation, of
/// `model` (a trajectory's residuals) at `f`.
pub(super) fn hac_covariance<M: Model>(model: &M, f: &LsFit) -> Option<Vec<f64>> {
    use nalgebra::{DMatrix, DVector};
    let mut j = Vec::new();
    model.jacobian(&f.params, &mut j);
    let n = f.residuals.len();
    let k = model.dim();
    if n <= k {
        return None;
    }
    let r = &f.residuals;
    let (mut c0, mut c1) = (0.0, 0.0);
    for i in 0..n {
        c0 += r[i] * r[i];
        if i > 0 {
            c1 += r[i] * r[i - 1];
        }
    }
    let rho = if c0 > 0.0 {
        (c1 / c0).clamp(-0.97, 0.97)
    } else {
        0.0
    };
    let alpha = 4.0 * rho * rho / ((1.0 - rho).powi(2) * (1.0 + rho).powi(2));
    let bandwidth = (1.1447 * (alpha * n as f64).cbrt())
        .floor()
        .min((n - 1) as f64) as usize;
    let scores: Vec<DVector<f64>> = (0..n)
        .map(|i| DVector::from_iterator(k, j[i * k..(i + 1) * k].iter().map(|x| x * r[i])))
        .collect();
    let mut meat = DMatrix::<f64>::zeros(k, k);
    for s in &scores {
        meat += s * s.transpose();
    }
    for lag in 1..=bandwidth {
        let w = 1.0 - lag as f64 / (bandwidth + 1) as f64;
        let mut g = DMatrix::<f64>::zeros(k, k);
        for i in lag..n {
            g += &scores[i] * scores[i - lag].transpose();
        }
        meat += (&g + g.transpose()) * w;
    }
    let jm = DMatrix::from_row_slice(n, k, &j);
    let info = jm.transpose() * &jm;
    let inv = info.try_inverse()?;
    let cov = &inv * meat * &inv * (n as f64 / (n - k) as f64);
    let c: Vec<f64> = cov.transpose().as_slice().to_vec();
    (0..k)
        .all(|i| c[i * k + i].is_finite() && c[i * k + i] >= 0.0)
        .then_some(c)
}

/// The parameters refitted to `reps` records simulated from `p` with C2C
/// `sigma_w` (added before the clamp, as the library does) and read noise
/// `sigma_r` (on the record only), in `v` units, over `t`'s pulses from
/// its first point; replicates whose fit fails are left out.
pub(super) fn bootstrap(
    t: &Trajectory,
    p: &[f64; DIM],
    sigma_w: f64,
    sigma_r: f64,
    reps: usize,
    robust: bool,
) -> Vec<Vec<f64>> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0xB007_5712);
    let mut normal = move || -> f64 { StandardNormal.sample(&mut rng) };
    let n = t.v.len();
    let mut out = Vec::with_capacity(reps);
    for _ in 0..reps {
        let mut x = t.v[0].clamp(p[4], p[5]);
        let mut v = Vec::with_capacity(n);
        v.push(x + sigma_r * normal());
        for i in 1..n {
            let o = if t.up[i] { 0 } else { 2 };
            x = (x + p[o + 1] + p[o] * x + sigma_w * normal()).clamp(p[4], p[5]);
            v.push(x + sigma_r * normal());
        }
        let replica = Trajectory {
            v,
            up: t.up.clone(),
        };
        let f = least_squares(&replica, p, robust);
        if f.params.iter().all(|x| x.is_finite()) && f.params[5] > f.params[4] {
            out.push(f.params);
        }
    }
    out
}
