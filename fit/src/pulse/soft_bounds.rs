//! The soft-bounds pulse model (aihwkit's `SoftBoundsDevice`) fitted to one
//! device: `(α, G_bound)` per polarity, the C2C σ relative to each step,
//! and the model's noiseless curve through the library's update rule.
//!
//! As for the exponential model ([`super::trajectory`]), the step fit
//! conditions each step on the *measured* previous point; where the steps
//! show read noise (the lag-1 autocorrelation of [`super::StepNoise`]), the
//! model is also fitted to the whole trajectory
//! (the noiseless curve run free from the first point against every point:
//! the soft-bounds map `v' = v + α_up·(H − v)`, `v' = v − α_down·(v − L)`
//! is the exponential one's `v' = v + c + m·v` with `m = −α`, `c = α·H` or
//! `α·L` and clamp levels `[L, H]`, so the trajectory and its forward
//! sensitivities are [`super::trajectory::Trajectory`]'s, chained to
//! `(α_up, H, α_down, L)`), and the one whose noiseless curve runs closer
//! to the device is kept (the trajectory fit only when closer by a quarter
//! plus 0.2 % of the range, the exponential model's rule). With read noise
//! the C2C fraction is estimated net of it by the state-space likelihood
//! with the C2C variance `(c2c·step)²` of each step; the trajectory fit's
//! intervals are the Newey–West sandwich's.
//!
//! A near-linear device (almost straight ramps) is a soft-bounds device
//! with far asymptotes: its least-squares `(α, G_bound)` run off to
//! `(0, ∞)` (the exact linear ramp is that limit, `α·G_bound` finite) and
//! the step fit does not converge. Where the step fit fails or puts an
//! asymptote more than [`FAR_LIMIT_RANGES`] measured ranges beyond the
//! data, the trajectory is fitted in the map's linear form `(m, c)`, which
//! stays finite there, with the asymptotes held at their limits (`g_min`
//! at 0 S where that is nearer, as the library needs `g_min ≥ 0`) where
//! the free fit would cross them; the held asymptotes are reported as
//! such, their intervals not identified. A curve that, so held, runs free
//! farther than [`WARN_ERROR`](crate::free_run::WARN_ERROR) of the range
//! from the device (steps growing towards the bound they approach, say) is
//! not a soft-bounds device and stays unfitted, with the reason.

use serde::{Deserialize, Serialize};

use super::exponential::{half_cycle, one_step, rms, state_space_noise, step_noise};
use super::trajectory::Trajectory;
use super::{lm, ls_fit, ols, quality, solve, Estimator, PulseOptions, Quality, StepNoise, Steps};
use crate::stats::{information_criteria, least_squares, sigma_estimate, Estimate, LsFit, Model};
use xbar_devices::pulse::PulseSpec;

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
    /// C2C σ relative to each step (net of read noise where the steps show
    /// it).
    pub c2c: Estimate,
    /// Fit quality: one step ahead, each step from the measured previous
    /// point.
    pub quality: Quality,
    /// The estimator kept.
    #[serde(default)]
    pub estimator: Estimator,
    /// The kept parameters' noiseless curve run free from the first point
    /// through the measured pulses: RMS distance from the device's points,
    /// relative to its measured range.
    #[serde(default)]
    pub free_run_relative: f64,
    /// Read noise in the kept map's steps (absent from older records).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_noise: Option<StepNoise>,
    /// The asymptotes held at their limit ([`FAR_LIMIT_RANGES`]; none in
    /// older records).
    #[serde(default, skip_serializing_if = "AtLimit::is_none")]
    pub at_limit: AtLimit,
}

/// How far beyond the measured extremes a fitted asymptote may lie, in
/// measured ranges. With `Δg = α_up·(G_max − g)` an asymptote `K` ranges
/// above the measured maximum changes the step by at most `1/K` across the
/// measured range (the step at the top over the step at the bottom is
/// `K/(K + 1)`): a device whose steps change less is a linear ramp to
/// within that, its least-squares asymptotes run off without bound (the
/// exact linear ramp is the limit `α → 0`, `G_max → ∞`, `α·G_max` finite),
/// and no device file can hold them. Such asymptotes are held at this
/// limit (and `g_min` at 0 S where that is nearer, as the library needs
/// `g_min ≥ 0`), α fitted with them held, the report saying so.
pub const FAR_LIMIT_RANGES: f64 = 10.0;

/// Which asymptotes of a soft-bounds fit are held at their limit
/// ([`FAR_LIMIT_RANGES`], or 0 S for `g_min`) rather than fitted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AtLimit {
    /// The lower asymptote.
    pub g_min: bool,
    /// The upper asymptote.
    pub g_max: bool,
}

impl AtLimit {
    /// Neither is held.
    pub fn is_none(&self) -> bool {
        !self.g_min && !self.g_max
    }
}

/// The asymptotes' limits in units `v = (g − g_lo)/range` of the measured
/// extremes: `H ≤ 1 + K`, `L ≥ −K` and `L ≥` 0 S ([`FAR_LIMIT_RANGES`]).
#[derive(Debug, Clone, Copy)]
struct Limits {
    low: f64,
    high: f64,
    /// Whether `low` is the far limit (not 0 S).
    far_low: bool,
}

impl Limits {
    /// With `floor`, `L` at least 0 S too.
    fn of(g_lo: f64, range: f64, floor: bool) -> Self {
        let zero = -g_lo / range;
        if floor && zero > -FAR_LIMIT_RANGES {
            Limits {
                low: zero,
                high: 1.0 + FAR_LIMIT_RANGES,
                far_low: false,
            }
        } else {
            Limits {
                low: -FAR_LIMIT_RANGES,
                high: 1.0 + FAR_LIMIT_RANGES,
                far_low: true,
            }
        }
    }

    fn within(&self, q: &[f64; 4]) -> bool {
        q[1] <= self.high + 1e-12 && q[3] >= self.low - 1e-12
    }

    /// Whether `q`'s asymptotes lie beyond the far limits (0 S aside).
    fn beyond_far(q: &[f64; 4]) -> bool {
        q[1] > 1.0 + FAR_LIMIT_RANGES || q[3] < -FAR_LIMIT_RANGES
    }
}

/// `[α_up, H, α_down, L]` as the exponential map's `[m_up, c_up, m_down,
/// c_down, L, H]`.
fn as_map(q: &[f64]) -> [f64; 6] {
    [-q[0], q[0] * q[1], -q[2], q[2] * q[3], q[3], q[1]]
}

/// The soft-bounds map run free over a device's trajectory.
struct SoftTrajectory<'a>(&'a Trajectory);

impl Model for SoftTrajectory<'_> {
    fn dim(&self) -> usize {
        4
    }
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
        let x = self.0.run(&as_map(p), None);
        out.clear();
        out.extend(self.0.v.iter().zip(&x).map(|(v, x)| v - x));
    }
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
        let mut s = Vec::new();
        self.0.run(&as_map(p), Some(&mut s));
        out.clear();
        // ∂x/∂q = ∂x/∂p·∂p/∂q; the residual's is its negative.
        for row in s.chunks_exact(6) {
            out.extend([
                row[0] - p[1] * row[1],
                -(p[0] * row[1] + row[5]),
                row[2] - p[3] * row[3],
                -(p[2] * row[3] + row[4]),
            ]);
        }
    }
}

/// Whether `q` is a soft-bounds device: fractions in (0, 1), H above L.
fn valid(q: &[f64]) -> bool {
    q.iter().all(|x| x.is_finite())
        && q[0] > 0.0
        && q[0] < 1.0
        && q[2] > 0.0
        && q[2] < 1.0
        && q[1] > q[3]
}

/// A model of `[α_up, H, α_down, L]` with the asymptotes `held` fixed at
/// `q`'s values, the others free.
struct Held<'a, M: Model> {
    model: &'a M,
    q: [f64; 4],
    free: Vec<usize>,
}

impl<M: Model> Held<'_, M> {
    fn full(&self, p: &[f64]) -> [f64; 4] {
        let mut q = self.q;
        for (k, &i) in self.free.iter().enumerate() {
            q[i] = p[k];
        }
        q
    }
}

impl<M: Model> Model for Held<'_, M> {
    fn dim(&self) -> usize {
        self.free.len()
    }
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
        self.model.residuals(&self.full(p), out);
    }
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
        let mut full = Vec::new();
        self.model.jacobian(&self.full(p), &mut full);
        out.clear();
        for row in full.chunks_exact(4) {
            out.extend(self.free.iter().map(|&i| row[i]));
        }
    }
}

/// The soft-bounds map in its linear form, `v' = v + c + m·v` per
/// polarity (`m = −α`, `c = α·H` or `α·L`), unclamped, run free over a
/// trajectory; a polarity whose asymptote is held at `B` by its α alone
/// (`m = −α`, `c = α·B`), the others by `(m, c)` of either sign. These stay
/// finite as the asymptotes recede (the linear ramp is `m = 0`), where
/// `(α, H)` run off to `(0, ∞)` and the solver with them.
struct LinearMap<'a> {
    t: &'a Trajectory,
    high: Option<f64>,
    low: Option<f64>,
}

impl LinearMap<'_> {
    /// `[m_up, c_up, m_down, c_down]` of the parameters.
    fn linear(&self, p: &[f64]) -> [f64; 4] {
        let mut out = [0.0; 4];
        let mut k = 0;
        for (o, bound) in [(0, self.high), (2, self.low)] {
            if let Some(b) = bound {
                out[o] = -p[k];
                out[o + 1] = p[k] * b;
                k += 1;
            } else {
                out[o] = p[k];
                out[o + 1] = p[k + 1];
                k += 2;
            }
        }
        out
    }

    /// The parameters of `[α_up, H, α_down, L]` (a held polarity's α,
    /// the others' `(m, c)`).
    fn params(&self, q: &[f64; 4]) -> Vec<f64> {
        let mut out = Vec::with_capacity(4);
        for (o, bound) in [(0, self.high), (2, self.low)] {
            if bound.is_some() {
                out.push(q[o]);
            } else {
                out.extend([-q[o], q[o] * q[o + 1]]);
            }
        }
        out
    }

    /// `[α_up, H, α_down, L]` of the parameters (non-finite asymptotes for
    /// `m = 0`).
    fn soft(&self, p: &[f64]) -> [f64; 4] {
        let l = self.linear(p);
        [
            -l[0],
            self.high.unwrap_or(-l[1] / l[0]),
            -l[2],
            self.low.unwrap_or(-l[3] / l[2]),
        ]
    }

    fn map(l: &[f64; 4]) -> [f64; 6] {
        [l[0], l[1], l[2], l[3], -1e300, 1e300]
    }
}

impl Model for LinearMap<'_> {
    fn dim(&self) -> usize {
        4 - usize::from(self.high.is_some()) - usize::from(self.low.is_some())
    }
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
        self.t.residuals(&Self::map(&self.linear(p)), out);
    }
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
        let mut full = Vec::new();
        self.t.jacobian(&Self::map(&self.linear(p)), &mut full);
        out.clear();
        for row in full.chunks_exact(6) {
            for (o, bound) in [(0, self.high), (2, self.low)] {
                match bound {
                    Some(b) => out.push(-row[o] + b * row[o + 1]),
                    None => out.extend([row[o], row[o + 1]]),
                }
            }
        }
    }
}

fn params4(p: &[f64]) -> [f64; 4] {
    [p[0], p[1], p[2], p[3]]
}

/// Soft bounds (`[α_up, H, α_down, L]`) fitted to `t` run free from each of
/// `starts` within `limits`: free ([`LinearMap`]), and where a polarity's
/// fit is no soft-bounds branch within the limits (α outside (0, 1), the
/// asymptote beyond its limit), that asymptote held at its limit (then
/// both, where the other then fails too; an α outside (0, 1) restarting
/// from `alpha0`). With `hold_first` (a curve whose free fit is known to
/// run off: the step fit failed or put an asymptote beyond its limit),
/// both held first and each then released in turn (the free fit of such a
/// curve wanders for seconds over 10⁴ points). Each result polished as
/// soft bounds from there (the asymptotes held as fitted), the valid one
/// of lowest residual sum kept, as four parameters (a held one's
/// covariance row 0), with the held asymptotes.
fn fit_within(
    t: &Trajectory,
    starts: &[[f64; 4]],
    limits: Limits,
    robust: bool,
    alpha0: f64,
    hold_first: bool,
) -> Option<(LsFit, AtLimit)> {
    let model = SoftTrajectory(t);
    let mut best: Option<(LsFit, AtLimit)> = None;
    let both = AtLimit {
        g_min: true,
        g_max: true,
    };
    let mut consider = |q: [f64; 4], at: AtLimit| {
        if !(valid(&q) && limits.within(&q)) {
            return;
        }
        // Polished as soft bounds, the held asymptotes held.
        let held = Held {
            model: &model,
            q,
            free: free_of(at),
        };
        let start: Vec<f64> = held.free.iter().map(|&i| q[i]).collect();
        let f = least_squares(&held, &start, robust);
        let covariance = f.covariance.as_ref().map(|c| expand(c, &held.free));
        let full = held.full(&f.params);
        let f = LsFit {
            params: full.to_vec(),
            covariance,
            ..f
        };
        if valid(&full)
            && limits.within(&full)
            && f.rss.is_finite()
            && best.as_ref().is_none_or(|b| f.rss < b.0.rss)
        {
            best = Some((f, at));
        }
    };
    let up_ok = |q: &[f64; 4]| q[0] > 0.0 && q[0] < 1.0 && q[1] <= limits.high + 1e-12;
    let down_ok = |q: &[f64; 4]| q[2] > 0.0 && q[2] < 1.0 && q[3] >= limits.low - 1e-12;
    // Both held, the fit is well posed (linear in the α but for the run):
    // one start.
    let starts = if hold_first { &starts[..1] } else { starts };
    for s in starts {
        let fraction = |a: f64| if a > 0.0 && a < 1.0 { a } else { alpha0 };
        let mut start = [fraction(s[0]), s[1], fraction(s[2]), s[3]];
        let mut at = if hold_first { both } else { AtLimit::default() };
        let q = loop {
            let map = LinearMap {
                t,
                high: at.g_max.then_some(limits.high),
                low: at.g_min.then_some(limits.low),
            };
            if at.g_max {
                start[1] = limits.high;
            }
            if at.g_min {
                start[3] = limits.low;
            }
            let f = least_squares(&map, &map.params(&start), robust);
            let q = map.soft(&f.params);
            let next = AtLimit {
                g_min: at.g_min || !down_ok(&q),
                g_max: at.g_max || !up_ok(&q),
            };
            if next == at {
                break q;
            }
            // A polarity that fails is held; one fitted stays the start.
            if up_ok(&q) {
                start[0] = q[0];
                start[1] = q[1];
            }
            if down_ok(&q) {
                start[2] = q[2];
                start[3] = q[3];
            }
            at = next;
        };
        if hold_first && at == both && valid(&q) {
            // An asymptote released from its limit only where the residual
            // sum falls as it moves inwards from there (the held optimum
            // fails the Kuhn–Tucker condition of that limit).
            let (mut r, mut j) = (Vec::new(), Vec::new());
            model.residuals(&q, &mut r);
            model.jacobian(&q, &mut j);
            let gradient = |i: usize| -> f64 {
                r.iter()
                    .zip(j.chunks_exact(4))
                    .map(|(r, row)| r * row[i])
                    .sum()
            };
            let inward = [gradient(1) > 0.0, gradient(3) < 0.0];
            for (release, inward) in [
                (
                    AtLimit {
                        g_min: true,
                        g_max: false,
                    },
                    inward[0],
                ),
                (
                    AtLimit {
                        g_min: false,
                        g_max: true,
                    },
                    inward[1],
                ),
            ] {
                if !inward {
                    continue;
                }
                let map = LinearMap {
                    t,
                    high: release.g_max.then_some(limits.high),
                    low: release.g_min.then_some(limits.low),
                };
                let f = least_squares(&map, &map.params(&q), robust);
                let r = map.soft(&f.params);
                if up_ok(&r) && down_ok(&r) {
                    consider(r, release);
                }
            }
        }
        consider(q, at);
    }
    best
}

/// The trajectory fit from `starts` within `limits` ([`fit_within`]), kept
/// where no asymptote is held at its far limit or the curve so held runs
/// free within [`WARN_ERROR`](crate::free_run::WARN_ERROR) of the range
/// from the points (a near-linear ramp); a curve that bends away from the
/// bound it approaches (growing steps) runs farther and is no soft-bounds
/// device, far bounds or not. With `hac`, the Newey–West covariance of the
/// parameters fitted (the held ones' rows 0).
fn fit_trajectory(
    t: &Trajectory,
    starts: &[[f64; 4]],
    limits: Limits,
    robust: bool,
    hac: bool,
    hold_first: bool,
) -> Option<(LsFit, AtLimit)> {
    let alpha0 = 1.0 / (half_cycle(t) * FAR_LIMIT_RANGES);
    let model = SoftTrajectory(t);
    let (mut f, at) = fit_within(t, starts, limits, robust, alpha0, hold_first)?;
    let far = at.g_max || (at.g_min && limits.far_low);
    if far && (f.rss / f.n.max(1) as f64).sqrt() > crate::free_run::WARN_ERROR {
        return None;
    }
    if hac {
        let q = params4(&f.params);
        let held = Held {
            model: &model,
            q,
            free: free_of(at),
        };
        let free_fit = LsFit {
            params: held.free.iter().map(|&i| q[i]).collect(),
            ..f.clone()
        };
        f.covariance =
            super::trajectory::hac_covariance(&held, &free_fit).map(|c| expand(&c, &held.free));
    }
    Some((f, at))
}

/// The parameters of `[α_up, H, α_down, L]` left free by `at`.
fn free_of(at: AtLimit) -> Vec<usize> {
    (0..4)
        .filter(|&i| !(i == 1 && at.g_max || i == 3 && at.g_min))
        .collect()
}

/// The `k × k` covariance `c` of the parameters `free` as the four
/// parameters' (a held one's rows and columns 0).
fn expand(c: &[f64], free: &[usize]) -> Vec<f64> {
    let k = free.len();
    let mut out = vec![0.0; 16];
    for (a, &i) in free.iter().enumerate() {
        for (b, &j) in free.iter().enumerate() {
            out[i * 4 + j] = c[a * k + b];
        }
    }
    out
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

/// The soft-bounds model of one device: the step fit and, where its steps
/// show read noise, the trajectory fit; the one whose
/// noiseless curve runs closer to the device is kept (the module docs).
pub(super) fn fit_soft_bounds(
    steps: &Steps,
    opts: &PulseOptions,
    traj: &Trajectory,
    g_min: f64,
    range: f64,
) -> Result<SoftBoundsFit, String> {
    let robust = opts.robust;
    let stepped = fit_steps(steps, robust);
    let step_params = stepped
        .as_ref()
        .ok()
        .map(|(f, _)| [f.params[0], f.params[1], f.params[2], f.params[3]]);
    let step_free = step_params.map(|q| rms(&traj.v, &traj.run(&as_map(&q), None)));
    let step_noise_of = |q: &[f64; 4]| step_noise(traj, &as_map(q)).0;
    // The trajectory fit where the step fit stands and its steps show read
    // noise, and where the step fit fails or puts an asymptote beyond its
    // far limit (a near-linear ramp: `FAR_LIMIT_RANGES`; there the lower
    // asymptote is held at 0 S at least, as written). A device the map
    // does not describe (its steps moving away from the bound they
    // approach, by more than a near-linear ramp's) stays unfitted, not
    // forced onto a curve ([`fit_trajectory`]).
    let read = step_params
        .as_ref()
        .is_some_and(|q| step_noise_of(q).read_noise);
    let far = step_params.is_none_or(|q| Limits::beyond_far(&q));
    let limits = Limits::of(g_min, range, far);
    let trajectory = if opts.steps_only || !(read || far) {
        None
    } else {
        // From the step fit and from curves with 1/3, 1 and 3 e-foldings per
        // half-cycle on the measured extremes.
        let half = half_cycle(traj);
        let mut starts: Vec<[f64; 4]> = [1.0, 3.0, 0.3]
            .iter()
            .map(|k| {
                let a = (k / half).min(0.5);
                [a, 1.0, a, 0.0]
            })
            .collect();
        if let Some(q) = step_params {
            starts.insert(0, q);
        }
        fit_trajectory(traj, &starts, limits, robust, true, far)
    };
    let trajectory_free = trajectory
        .as_ref()
        .map(|(f, _)| (f.rss / f.n.max(1) as f64).sqrt());
    // A step fit beyond the far limits gives way to the trajectory fit
    // within them.
    let use_trajectory = match (step_free, trajectory_free) {
        (Some(s), Some(t)) => far || s > 1.25 * t + 0.002,
        (None, Some(_)) => true,
        _ => false,
    };
    if !use_trajectory {
        let (fit, c2c) = stepped.map_err(|e| {
            if opts.steps_only {
                e
            } else {
                format!("{e}; nor the trajectory run free within the asymptotes' limits ({FAR_LIMIT_RANGES} measured ranges beyond the data, g_min ≥ 0 S) within {} of the range", crate::report::percent(crate::free_run::WARN_ERROR))
            }
        })?;
        let q = [fit.params[0], fit.params[1], fit.params[2], fit.params[3]];
        let noise = step_noise_of(&q);
        let to_s = |e: Estimate| e.map(|u| g_min + u * range);
        let dof = fit.n.saturating_sub(4);
        return Ok(SoftBoundsFit {
            alpha_up: Estimate::normal(q[0], fit.se(0)),
            alpha_down: Estimate::normal(q[2], fit.se(2)),
            g_max_S: to_s(Estimate::normal(q[1], fit.se(1))),
            g_min_S: to_s(Estimate::normal(q[3], fit.se(3))),
            c2c: sigma_estimate(c2c, dof),
            quality: quality(&fit, steps, 5),
            estimator: Estimator::Steps,
            free_run_relative: step_free.unwrap_or(f64::NAN),
            step_noise: Some(noise),
            at_limit: AtLimit::default(),
        });
    }
    let (fit, at_limit) = trajectory.expect("kept");
    let q = [fit.params[0], fit.params[1], fit.params[2], fit.params[3]];
    let map = as_map(&q);
    let (mut noise, _, dof) = step_noise(traj, &map);
    let scale = q[1] - q[3];
    // C2C net of read noise by the state-space likelihood (the fraction of
    // each step); without read noise, the trajectory's own one-step σ over
    // the steps' RMS size.
    let e = one_step(traj, &map, 0.0);
    let rss: f64 = e.iter().map(|x| x.0 * x.0).sum();
    let c2c = match (noise.read_noise, state_space_noise(traj, &map, true)) {
        (true, Some((w, r, lo, hi))) => {
            noise.read_sigma = r / scale;
            Estimate {
                value: w,
                std_error: (hi - lo) / (2.0 * crate::stats::Z95),
                ci_low: lo,
                ci_high: hi,
            }
        }
        _ => {
            let steps2: f64 = (1..traj.v.len())
                .map(|i| {
                    let o = if traj.up[i] { 0 } else { 2 };
                    let x = traj.v[i - 1].clamp(q[3], q[1]);
                    (map[o + 1] + map[o] * x).powi(2)
                })
                .sum();
            sigma_estimate((rss / steps2.max(1e-300)).sqrt(), dof)
        }
    };
    let n = e.len();
    let (aic, bic) = information_criteria(rss, n, 6);
    let to_s = |e: Estimate| e.map(|u| g_min + u * range);
    Ok(SoftBoundsFit {
        alpha_up: Estimate::normal(q[0], fit.se(0)),
        alpha_down: Estimate::normal(q[2], fit.se(2)),
        g_max_S: held(
            to_s(Estimate::normal(q[1], fit.se(1))),
            at_limit.g_max,
            true,
        ),
        g_min_S: held(
            to_s(Estimate::normal(q[3], fit.se(3))),
            at_limit.g_min,
            false,
        ),
        c2c,
        quality: Quality {
            steps: n,
            rmse_relative: (rss / n.max(1) as f64).sqrt(),
            r2: 1.0 - rss / steps.tss(),
            aic,
            bic,
            parameters: 6,
        },
        estimator: Estimator::Trajectory,
        free_run_relative: trajectory_free.unwrap_or(f64::NAN),
        step_noise: Some(noise),
        at_limit,
    })
}

/// An asymptote held at its limit: not identified (infinite standard
/// error), the interval from the limit outwards (`above`: up to +∞, else
/// down to 0 S).
fn held(e: Estimate, at_limit: bool, above: bool) -> Estimate {
    if !at_limit {
        return e;
    }
    let (ci_low, ci_high) = if above {
        (e.value, f64::INFINITY)
    } else {
        (0f64.min(e.value), e.value)
    };
    Estimate {
        value: e.value,
        std_error: f64::INFINITY,
        ci_low,
        ci_high,
    }
}

/// The step fit: its least-squares result (`[α_up, F_up, α_down, F_down]`)
/// and the C2C fraction `√(Σ r² / Σ Δû²)`.
fn fit_steps(steps: &Steps, robust: bool) -> Result<(LsFit, f64), String> {
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
    Ok((fit, c2c))
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

/// Soft bounds fitted to the median curve `traj` (in units of its extremes,
/// `lo` + `range` S) run free, from the device file's `built` map
/// (`[α_up, H, α_down, L]` in the same units) and from 1/3, 1 and 3
/// e-foldings per half-cycle; the asymptotes within their limits (the
/// lower one at 0 S at least, the library's `g_min ≥ 0` — a clamped
/// asymptote would move the written curve —, both at most
/// [`FAR_LIMIT_RANGES`] beyond the extremes), held first with
/// `hold_first`. The pulse model (C2C 0), `g_min`, `g_max` (S) and the
/// held asymptotes ([`super::median`]).
pub(super) fn median_candidate(
    traj: &Trajectory,
    lo: f64,
    range: f64,
    built: [f64; 4],
    hold_first: bool,
) -> Option<(PulseSpec, f64, f64, AtLimit)> {
    let half = half_cycle(traj);
    let mut starts: Vec<[f64; 4]> = [1.0, 3.0, 0.3]
        .iter()
        .map(|k| {
            let a = (k / half).min(0.5);
            [a, 1.0, a, 0.0]
        })
        .collect();
    if valid(&built) {
        starts.insert(0, built);
    }
    let limits = Limits::of(lo, range, true);
    let (fit, at_limit) = fit_trajectory(traj, &starts, limits, false, false, hold_first)?;
    let q = params4(&fit.params);
    Some((
        PulseSpec::SoftBounds {
            alpha_up: q[0],
            alpha_down: q[2],
            c2c: 0.0,
        },
        (lo + q[3] * range).max(0.0),
        lo + q[1] * range,
        at_limit,
    ))
}
