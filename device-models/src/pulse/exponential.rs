//! The exponential model's curve and update (NeuroSim; equations in the
//! [parent module](super)).

use rand_distr::{Distribution, StandardNormal};

use super::NL_GAP_PER_UNIT;

/// Largest gap between the normalised exponential curve with parameter `a`
/// (in units of P_max) and the straight line: `y(x*) − x*` with
/// `x* = −a·ln(a·(1 − e^(−1/a)))`. Decreasing in `a`, `≈ 1/(8a)` for large `a`.
pub fn max_gap(a: f64) -> f64 {
    let denom = -(-1.0 / a).exp_m1();
    let x = -a * (a * denom).ln();
    -(-x / a).exp_m1() / denom - x
}

/// NeuroSim's `A` (in units of P_max) for a nonlinearity label: signed like
/// `nl`, `+∞` for `nl = 0` (linear device).
///
/// Solves `max_gap(A) = 0.0989949·|NL|` by bisection on `ln A` to machine
/// precision (80 halvings of a bracket of width ln 10¹²).
///
/// ```
/// use xbar_devices::pulse::a_from_nl;
/// // NeuroSim's table: NL 2.40 → A = 0.499181.
/// assert!((a_from_nl(2.40) - 0.499181).abs() < 1e-6);
/// assert!((a_from_nl(-4.88) + 0.200303).abs() < 1e-6);
/// ```
pub fn a_from_nl(nl: f64) -> f64 {
    if nl == 0.0 {
        return f64::INFINITY;
    }
    let target = NL_GAP_PER_UNIT * nl.abs();
    // max_gap(a) decreases from 1 (a → 0) to 0 (a → ∞).
    let (mut lo, mut hi) = (1e-6_f64.ln(), 1e6_f64.ln());
    for _ in 0..80 {
        let mid = 0.5 * (lo + hi);
        if max_gap(mid.exp()) > target {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let a = (0.5 * (lo + hi)).exp();
    a.copysign(nl)
}

/// The nonlinearity label of a curve with parameter `a` (in units of
/// P_max): the inverse of [`a_from_nl`], `sign(a)·max_gap(|a|)/0.0989949`;
/// 0 for the straight line (`a = ±∞`).
///
/// ```
/// use xbar_devices::pulse::{a_from_nl, nl_from_a};
/// assert!((nl_from_a(1.251653) - 1.0).abs() < 1e-5);
/// assert!((nl_from_a(a_from_nl(-6.76)) + 6.76).abs() < 1e-9);
/// ```
pub fn nl_from_a(a: f64) -> f64 {
    if a.is_infinite() {
        return 0.0;
    }
    (max_gap(a.abs()) / NL_GAP_PER_UNIT).copysign(a)
}

/// One exponential curve `G(x) = G_min + B·(1 − e^(−x/A))`, `x ∈ [0, P_max]`,
/// for one device and one direction. `A = ±∞` is the straight line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExponentialCurve {
    /// G_min (S).
    pub g_min: f64,
    /// G_max (S).
    pub g_max: f64,
    /// Pulses from one end to the other.
    pub p_max: f64,
    /// Signed A, in pulses (NeuroSim's table value times P_max).
    pub a: f64,
}

impl ExponentialCurve {
    /// The curve for a nonlinearity label `nl` over `p_max` pulses.
    pub fn from_nl(g_min: f64, g_max: f64, p_max: u32, nl: f64) -> Self {
        ExponentialCurve {
            g_min,
            g_max,
            p_max: f64::from(p_max),
            a: a_from_nl(nl) * f64::from(p_max),
        }
    }

    fn b(&self) -> f64 {
        (self.g_max - self.g_min) / -(-self.p_max / self.a).exp_m1()
    }

    /// Conductance at pulse number `x` (clamped to `[0, P_max]`).
    pub fn conductance(&self, x: f64) -> f64 {
        let x = x.clamp(0.0, self.p_max);
        if self.a.is_infinite() {
            return self.g_min + (self.g_max - self.g_min) * x / self.p_max;
        }
        self.g_min + self.b() * -(-x / self.a).exp_m1()
    }

    /// Conductance change (S, signed) of `pulses` pulses from pulse number
    /// `from`: `conductance(from + pulses) − conductance(from)`.
    pub fn change(&self, from: f64, pulses: f64) -> f64 {
        self.conductance(from + pulses) - self.conductance(from)
    }

    /// `Σ_{k=0}^{m−1} conductance(x0 + s·k)`, `m = |n|`, `s = sign(n)`:
    /// the conductance met by each of `n` pulses from pulse number `x0`
    /// (pulses past `P_max` or 0 meet the bound). `g0` is
    /// `conductance(x0)` and `g_end` is `conductance(x0 + n)`, which an
    /// update has computed already. With `G(x0 + s·k) = G_∞ − D·e^(−kε)`,
    /// `ε = s/A`, the `m` pulses inside the range sum to the geometric
    /// series `m·g0 + (G(x0 + s·m) − g0)·(m/(1 − e^(−mε)) − 1/(1 − e^(−ε)))`;
    /// the bracket is evaluated as `(φ(mε) − φ(ε))/ε + (m − 1)/2` with
    /// `φ(x) = (x/2)·coth(x/2) − 1` (a series for small `x`), which stays
    /// accurate for nearly linear curves and is `(m − 1)/2` for the line.
    /// Cost: O(1) per update, not per pulse: a few flops when every pulse
    /// stays inside the curve and `|m·ε| < 0.1`; two `tanh` beyond, and a
    /// `floor` and an `exp` only when the pulses reach a bound.
    #[inline]
    pub fn pulse_sum(&self, x0: f64, n: i32, g0: f64, g_end: f64) -> f64 {
        if n == 0 {
            return 0.0;
        }
        let m = f64::from(n.unsigned_abs());
        let s = f64::from(n.signum());
        // Common case: every pulse, and the state after the last, inside
        // the curve (no floor, no exp); otherwise the pulses past the end
        // meet the bound and the curve is continued past its end.
        let (inside, g_last, beyond) = if (0.0..=self.p_max).contains(&(x0 + s * m)) {
            (m, g_end, 0.0)
        } else {
            let room = if n > 0 { self.p_max - x0 } else { x0 };
            let inside = m.min(room.max(0.0).floor() + 1.0);
            let bound = if n > 0 { self.g_max } else { self.g_min };
            let x = x0 + s * inside;
            let g_last = if self.a.is_infinite() {
                self.g_min + (self.g_max - self.g_min) * x / self.p_max
            } else {
                self.g_min + self.b() * -(-x / self.a).exp_m1()
            };
            (inside, g_last, (m - inside) * bound)
        };
        let mut h = (inside - 1.0) / 2.0;
        if self.a.is_finite() {
            h += coth_bracket(inside, s / self.a);
        }
        inside * g0 + (g_last - g0) * h + beyond
    }

    /// Pulse number of conductance `g` (clamped to `[G_min, G_max]`): the
    /// inverse of [`ExponentialCurve::conductance`].
    pub fn pulse_number(&self, g: f64) -> f64 {
        let g = g.clamp(self.g_min, self.g_max);
        if self.a.is_infinite() {
            return (g - self.g_min) / (self.g_max - self.g_min) * self.p_max;
        }
        let x = -self.a * (-(g - self.g_min) / self.b()).ln_1p();
        x.clamp(0.0, self.p_max)
    }
}

/// `(φ(m·ε) − φ(ε))/ε` with `φ(x) = (x/2)·coth(x/2) − 1 = x/(1 − e^(−x)) −
/// 1 − x/2` (even in `x`). Below `|m·ε| = 0.1` from φ's Taylor series
/// `x²/12 − x⁴/720 + x⁶/30240 − x⁸/1209600` term by term, with no division
/// and no cancellation (truncation < 3e-15 relative); above, the closed
/// form.
#[inline]
fn coth_bracket(m: f64, eps: f64) -> f64 {
    let x = (m * eps).abs();
    if x < 0.1 {
        let (e2, m2) = (eps * eps, m * m);
        let (m4, m6) = (m2 * m2, m2 * m2 * m2);
        eps * ((m2 - 1.0) / 12.0
            - e2 * ((m4 - 1.0) / 720.0
                - e2 * ((m6 - 1.0) / 30240.0 - e2 * (m4 * m4 - 1.0) / 1_209_600.0)))
    } else {
        let phi = |x: f64| {
            let x = x.abs();
            if x < 0.1 {
                let x2 = x * x;
                x2 * (1.0 / 12.0 - x2 * (1.0 / 720.0 - x2 * (1.0 / 30240.0 - x2 / 1_209_600.0)))
            } else {
                0.5 * x / (0.5 * x).tanh() - 1.0
            }
        };
        (phi(m * eps) - phi(eps)) / eps
    }
}

/// Applies `n` pulses to one device on the exponential model: positive `n`
/// moves along `ltp`, negative along `ltd`; then C2C noise and clamping.
pub fn exponential_update<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    ltp: &ExponentialCurve,
    ltd: &ExponentialCurve,
    c2c: f64,
    rng: &mut R,
) -> f64 {
    exponential_update_tallied(g, n, ltp, ltd, c2c, rng).0
}

/// [`exponential_update`], also returning `Σ g` (S) over the `|n|` pulses
/// of the conductance each pulse meets: `g` for the first, then the curve's
/// values one pulse apart, [`ExponentialCurve::pulse_sum`] (C2C noise is
/// drawn once per update, after the pulses, so the states in between are
/// on the curve). This is what a pulse's energy `V²·g·t` needs.
pub fn exponential_update_tallied<R: rand::Rng + ?Sized>(
    g: f64,
    n: i32,
    ltp: &ExponentialCurve,
    ltd: &ExponentialCurve,
    c2c: f64,
    rng: &mut R,
) -> (f64, f64) {
    if n == 0 {
        return (g, 0.0);
    }
    let curve = if n > 0 { ltp } else { ltd };
    let x0 = curve.pulse_number(g);
    let x = x0 + f64::from(n);
    let mut next = curve.conductance(x);
    let g0 = g.clamp(curve.g_min, curve.g_max);
    let sum = g - g0 + curve.pulse_sum(x0, n, g0, next);
    if c2c > 0.0 {
        let xi: f64 = StandardNormal.sample(rng);
        next += c2c * (curve.g_max - curve.g_min) * f64::from(n.unsigned_abs()).sqrt() * xi;
    }
    (next.clamp(curve.g_min, curve.g_max), sum)
}
