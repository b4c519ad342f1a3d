//! The measured curve under read noise: its detection (anti-correlated
//! neighbouring step residuals), the steps placed by local lines that share
//! no read with them (errors in variables), and one C2C σ with the read σ
//! by the state-space likelihood of every record.

use xbar_devices::pulse::MeasuredCurve;

use super::{bin_table_signed, range_of, UStep, MIN_STEPS_PER_BIN};

/// C2C σ and read-noise σ (units of each device's range) by maximum
/// likelihood of the state-space model `x' = x + μ(x) + w` (the tables'
/// mean step `μ`, linearly interpolated, the branch's saturation and the
/// clamp to `[0, 1]`), `y = x + r`, over every device's record: the Kalman
/// filter's prediction-error likelihood concentrated in `σ_r²`, the ratio
/// `σ_w²/σ_r²` on a log grid (the exponential fit's, Harvey 1989, §3.4);
/// `None` for too few points.
pub(super) fn state_space_noise(c: &MeasuredCurve, steps: &[UStep]) -> Option<(f64, f64)> {
    if steps.len() < 10 {
        return None;
    }
    let run = |q: f64| -> (f64, f64) {
        let (mut sum_ln, mut sum_v2, mut m) = (0.0, 0.0, 0usize);
        let (mut a, mut var) = (0.0, 1.0);
        for (i, s) in steps.iter().enumerate() {
            if i == 0 || steps[i - 1].device != s.device {
                a = s.u0;
                var = 1.0;
            }
            let (branch, turn) = if s.up {
                (&c.ltp, &c.turn_ltp)
            } else {
                (&c.ltd, &c.turn_ltd)
            };
            let table = match turn {
                Some(t) if s.turn => t,
                _ => branch,
            };
            let h = 1e-4;
            let mu = table.at(a).0;
            let slope = 1.0 + (table.at(a + h).0 - table.at(a - h).0) / (2.0 * h);
            let raw = a + mu;
            let limit = if s.up {
                raw.min(c.ltp.bounds().1.max(a))
            } else {
                raw.max(c.ltd.bounds().0.min(a))
            };
            let pred = limit.clamp(0.0, 1.0);
            let slope = if pred == raw { slope } else { 0.0 };
            let pv = slope * slope * var + q;
            let sv = pv + 1.0;
            let innov = s.u1 - pred;
            sum_ln += sv.ln();
            sum_v2 += innov * innov / sv;
            m += 1;
            let k = pv / sv;
            a = pred + k * innov;
            var = (1.0 - k) * pv;
        }
        let s2 = sum_v2 / m as f64;
        (sum_ln + m as f64 * s2.max(1e-300).ln(), s2)
    };
    let best = (0..=160)
        .map(|k| {
            let q = 10f64.powf(-8.0 + 0.0625 * f64::from(k));
            let (dev, s2) = run(q);
            (q, dev, s2)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    Some(((best.0 * best.2).sqrt(), best.2.sqrt()))
}

/// Half-width (points) of the window that places a step under read noise.
const WINDOW: usize = 20;

/// The read-noise σ (relative to each device's range) seen in `steps`, or
/// `None` where there is none: the residuals `e` of each step from a table
/// of the raw steps (`bins` per branch), over neighbouring branch steps of
/// one device and polarity; read noise `r` on every point makes them
/// anti-correlated, `cov(eᵢ, eᵢ₊₁) ≈ −σ_r²` (each shares a read), and counts
/// as present below `−2/√pairs` (the test of [`crate::pulse::StepNoise`]).
pub(super) fn read_noise_of(steps: &[UStep], bins: usize) -> Option<f64> {
    let mut tables = Vec::new();
    for up in [true, false] {
        let branch: Vec<&UStep> = steps.iter().filter(|s| s.up == up && !s.turn).collect();
        if branch.len() < MIN_STEPS_PER_BIN {
            return None;
        }
        let (lo, hi) = range_of(branch.iter().copied(), true);
        tables.push(bin_table_signed(&branch, lo, hi, bins, 0.0).0);
    }
    let e: Vec<f64> = steps
        .iter()
        .map(|s| {
            let t = &tables[usize::from(!s.up)];
            s.u1 - s.u0 - t.at(s.u0).0
        })
        .collect();
    let (mut c0, mut n) = (0.0, 0usize);
    let (mut c1, mut pairs) = (0.0, 0usize);
    for (i, s) in steps.iter().enumerate() {
        if s.turn {
            continue;
        }
        c0 += e[i] * e[i];
        n += 1;
        if let Some(t) = steps.get(i + 1) {
            if t.device == s.device && t.up == s.up && !t.turn {
                c1 += e[i] * e[i + 1];
                pairs += 1;
            }
        }
    }
    if pairs < 4 || c0 <= 0.0 {
        return None;
    }
    let lag1 = (c1 / pairs as f64) / (c0 / n as f64);
    (lag1 < -2.0 / (pairs as f64).sqrt()).then(|| (-c1 / pairs as f64).max(0.0).sqrt())
}

/// The steps under read noise, from the points around each. A step
/// `u₁ − u₀` binned by its own noisy `u₀` is biased towards mean reversion
/// (the read in `u₀` is in the step too: errors in variables), and a bin's
/// mean step carries two reads of noise per traversal, so noisy bins trap
/// the free-running curve (the time spent in a bin goes as 1/μ). Each step
/// is replaced by the straight line through up to [`WINDOW`] points on
/// each side (at most a tenth of its run) within its run of one polarity,
/// leaving out the step's own two points: placed at the line's value at
/// the step's start, its step the line's slope per pulse (a local linear
/// fit that shares no read with the step it places: an instrument in the
/// sense of errors-in-variables regression, Durbin 1954). Measured on the
/// read-noise set (free-running error, % of the range): raw steps binned
/// by the window's mean 8.5, this line 3.1 with 10 points a side and 2.8
/// with 20 (the truth itself 2.7).
pub(super) fn instrumented(steps: &[UStep]) -> Vec<UStep> {
    let mut out = steps.to_vec();
    let mut start = 0;
    while start < steps.len() {
        // One device's steps in order; its points u_j: u_0, then each u₁.
        let dev = steps[start].device;
        let end = start
            + steps[start..]
                .iter()
                .take_while(|s| s.device == dev)
                .count();
        let d = &steps[start..end];
        let mut points = Vec::with_capacity(d.len() + 1);
        points.push(d[0].u0);
        points.extend(d.iter().map(|s| s.u1));
        let mut a = 0;
        while a < d.len() {
            let b = a + d[a..].iter().take_while(|s| s.up == d[a].up).count() - 1;
            // The run's steps a..=b span the points a..=b+1; the window at
            // most a tenth of the run (the line bends with the curve).
            let w = WINDOW.min(((b + 1 - a) / 10).max(2));
            for i in a..=b {
                let before = i.saturating_sub(w).max(a)..i;
                let after = (i + 2)..(i + 2 + w).min(b + 2);
                // The line through the window's points (index against
                // value): its value at the step's start places the step,
                // its slope per pulse is the step.
                let js: Vec<usize> = before.chain(after).collect();
                if js.len() < 2 {
                    continue;
                }
                let n = js.len() as f64;
                let jm = js.iter().map(|&j| j as f64).sum::<f64>() / n;
                let um = js.iter().map(|&j| points[j]).sum::<f64>() / n;
                let (mut sxy, mut sxx) = (0.0, 0.0);
                for &j in &js {
                    let dx = j as f64 - jm;
                    sxy += dx * (points[j] - um);
                    sxx += dx * dx;
                }
                let slope = sxy / sxx;
                let z = um + slope * (i as f64 - jm);
                let s = &mut out[start + i];
                s.u0 = z;
                s.u1 = z + slope;
            }
            a = b + 1;
        }
        start = end;
    }
    out
}
