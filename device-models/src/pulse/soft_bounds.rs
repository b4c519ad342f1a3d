//! The soft-bounds model's update (aihwkit's `SoftBoundsDevice`; equations
//! in the [parent module](super)).

use rand_distr::{Distribution, StandardNormal};

/// Pulses of a soft-bounds sweep that cover 99 % of the range: the distance
/// to the bound after `n` pulses is `(1 − α)ⁿ` of the range.
pub(super) fn soft_sweep_pulses(alpha: f64) -> u32 {
    let n = (100f64.ln() / -(1.0 - alpha).ln()).ceil();
    n.clamp(1.0, 1_000_000.0) as u32
}

/// First and last step (S) of `pulses` soft-bounds pulses across `range`:
/// step `k` (from 1) is `α·range·(1 − α)^(k − 1)`.
pub(super) fn soft_steps(alpha: f64, pulses: u32, range: f64) -> (f64, f64) {
    let first = alpha * range;
    let last = first * (1.0 - alpha).powi(pulses.saturating_sub(1) as i32);
    (first, last)
}

/// Applies `n` pulses to one device on the soft-bounds model, one step at a
/// time (each step has its own C2C draw).
#[allow(clippy::too_many_arguments)]
pub fn soft_bounds_update<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    g_min: f64,
    g_max: f64,
    alpha_up: f64,
    alpha_down: f64,
    c2c: f64,
    rng: &mut R,
) -> f64 {
    soft_bounds_update_tallied(g, n, g_min, g_max, alpha_up, alpha_down, c2c, rng).0
}

/// [`soft_bounds_update`], also returning `Σ g` (S) over the `|n|` pulses
/// of the conductance each pulse meets (`g` itself for the first pulse;
/// one addition per pulse, which the update loops over anyway).
#[allow(clippy::too_many_arguments)]
pub fn soft_bounds_update_tallied<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    g_min: f64,
    g_max: f64,
    alpha_up: f64,
    alpha_down: f64,
    c2c: f64,
    rng: &mut R,
) -> (f64, f64) {
    let mut sum = 0.0;
    if n != 0 {
        sum = g - g.clamp(g_min, g_max);
    }
    let mut g = g.clamp(g_min, g_max);
    for _ in 0..n.unsigned_abs() {
        sum += g;
        let step = if n > 0 {
            alpha_up * (g_max - g)
        } else {
            -alpha_down * (g - g_min)
        };
        let factor = if c2c > 0.0 {
            let xi: f64 = StandardNormal.sample(rng);
            1.0 + c2c * xi
        } else {
            1.0
        };
        g = (g + step * factor).clamp(g_min, g_max);
    }
    (g, sum)
}
