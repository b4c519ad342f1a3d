//! Read noise from repeated reads: the relative Gaussian model and, when the
//! reads carry their time since programming, the PCM 1/f model, chosen by
//! an information criterion.
//!
//! The library's two models ([`xbar_devices::read_noise`]):
//!
//! * **relative**: `g_read = g·(1 + σ·ξ)`;
//! * **PCM 1/f** (Nandakumar et al., ICECS 2019; Joshi et al., Nat. Commun.
//!   11, 2473, 2020):
//!   `g_read = g + |g|·Q_s(g_r)·√(ln((t + t_read)/(2·t_read)))·ξ`,
//!   `Q_s(g_r) = min(q_coeff / max(g_r^q_exponent, g_r_floor), q_max)`,
//!   `g_r = g/g_max`.
//!
//! **Table.** Wide: an optional `time_s` column (time since programming of
//! the read, s; an optional `read` index column is ignored), then one
//! conductance column (S) per device, one row per read. Long: `device`,
//! optional `time_s`, `conductance_S`. A *group* is the reads of one device
//! at one `time_s` value (all of a device's reads when there is no
//! `time_s`): give the reads of one burst the same `time_s`.
//!
//! **Drift.** Each read's residual is taken about its group's mean, so the
//! drift between reads at different times (the device's `G(t)` moving
//! between bursts) is absorbed by the group means and never counts as
//! noise; drift within a burst does, so a burst should be short compared
//! with its time since programming. A group of `n` reads gives `k = n − 1`
//! independent residual degrees of freedom with sum of squares `SS`.
//!
//! **Relative fit** (always): `σ² = Σ (SS/m²) / Σ k` over the groups (`m` the
//! group mean), the χ² interval; per device the same pooled over its groups.
//! Without `time_s` this is the sample σ/mean of each device, pooled.
//!
//! **1/f fit** (when `time_s` is given and the device means span at least a
//! factor [`MIN_RANGE`]): the group's read σ is
//! `m·q_coeff·g_r^(−q_exponent)·L(t)`, `L(t) = √ln((t + t_read)/(2·t_read))`,
//! with `g_r = m/g_max` (the floor and the clip `q_max` are not active in the
//! fit; the kept model's reason says when they act at the smallest device).
//! `SS/σ²` is χ²ₖ, so `v = SS/(k·m²·L²)` is a gamma variable of mean
//! `exp(η)`, `η = 2·ln q_coeff − 2·q_exponent·ln g_r`: maximum likelihood by
//! Fisher scoring (a gamma GLM with log link, weights `k`), the covariance
//! the inverse Fisher information `(Σ (k/2)·d·dᵀ)⁻¹`, `d = (2, −2 ln g_r)`;
//! `q_coeff`'s interval is `exp` of that of `ln q_coeff`. `g_r_floor`,
//! `q_max` and `t_read` are the library's IBM PCM values (preset `ibm-pcm`)
//! unless given.
//!
//! **Choice.** Both models' Gaussian log-likelihoods of the same residuals,
//! `ℓ = −½ Σ (k·ln(2π·σ²) + SS/σ²)`, give `AIC = −2ℓ + 2p` and
//! `BIC = −2ℓ + p·ln(Σ k)` (p = 1 and 2); the smaller by the chosen
//! criterion is kept, as for the pulse models.
//!
//! **As the user runs it.** The kept model's σ at each group's mean and
//! time (the library's [`ReadNoiseSpec::sigma`], floor and clip included)
//! against the measured spread: per device `√(Σ SS / Σ k·σ²_model)`, the
//! measured σ over the model's, with its χ² interval; the report gives its
//! median and range, and **warns** for devices whose interval excludes 1
//! by more than [`WARN_RATIO`] either way (one σ for all does not describe
//! them).
//!
//! ```
//! use xbar_fit::measurements::Table;
//! use xbar_fit::read_noise::fit_read_noise;
//!
//! let text = "a,b\n0.99e-6,2.02e-6\n1.01e-6,1.98e-6\n1.0e-6,2.0e-6\n";
//! let fit = fit_read_noise(&Table::from_csv_text("n.csv", text, b',').unwrap()).unwrap();
//! assert!((fit.devices[0].sigma.value - 0.01).abs() < 1e-12);
//! assert_eq!(fit.chosen, "relative");
//! ```

use serde::{Deserialize, Serialize};
use xbar_devices::read_noise::ReadNoiseSpec;
use xbar_devices::units::format_significant as sig;

use crate::measurements::{series, DataError, Table};
use crate::pulse::Criterion;
use crate::report::{with_ci, Section};
use crate::stats::{mean, sigma_estimate, Estimate};

/// The smallest ratio of the largest to the smallest device mean for which
/// the 1/f model's `q_exponent` is fitted.
pub const MIN_RANGE: f64 = 2.0;

/// Measured over modelled σ beyond which (either way, with the device's
/// interval excluding 1) the report warns.
pub const WARN_RATIO: f64 = 1.25;

/// One device's read noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceReadNoise {
    /// Device name.
    pub name: String,
    /// Reads.
    pub reads: usize,
    /// Mean conductance (S).
    pub mean_s: f64,
    /// Relative σ (pooled over the device's time groups).
    pub sigma: Estimate,
    /// The measured σ over the kept model's at this device's reads, with
    /// its χ² interval.
    #[serde(default)]
    pub written_ratio: Option<Estimate>,
}

/// A model's likelihood and information criteria on the residuals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelScore {
    /// Gaussian log-likelihood of the residuals.
    pub log_likelihood: f64,
    /// Fitted parameters.
    pub parameters: usize,
    /// `−2ℓ + 2p`.
    pub aic: f64,
    /// `−2ℓ + p·ln(dof)`.
    pub bic: f64,
}

impl ModelScore {
    fn new(log_likelihood: f64, parameters: usize, dof: usize) -> Self {
        let p = parameters as f64;
        ModelScore {
            log_likelihood,
            parameters,
            aic: -2.0 * log_likelihood + 2.0 * p,
            bic: -2.0 * log_likelihood + p * (dof as f64).ln(),
        }
    }

    fn by(&self, c: Criterion) -> f64 {
        c.pick(self.aic, self.bic)
    }
}

/// The PCM 1/f fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OneOverFFit {
    /// Numerator of `Q_s`.
    pub q_coeff: Estimate,
    /// Exponent of `g_r` in `Q_s`.
    pub q_exponent: Estimate,
    /// Floor of `g_r^q_exponent` (not fitted).
    pub g_r_floor: f64,
    /// Clip of `Q_s` (not fitted).
    pub q_max: f64,
    /// Read duration (s, not fitted).
    pub t_read_s: f64,
    /// The `g_max` of `g_r = g/g_max` (S).
    pub g_max_s: f64,
    /// Which of `g_r_floor`, `q_max`, `t_read_s` are the library's IBM
    /// PCM values rather than given.
    pub library_defaults: Vec<String>,
    /// Likelihood and criteria.
    pub score: ModelScore,
}

/// The read-noise fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadNoiseFit {
    /// Per device.
    pub devices: Vec<DeviceReadNoise>,
    /// Pooled relative σ.
    pub sigma: Estimate,
    /// Groups (device × time) with at least two reads.
    pub groups: usize,
    /// Distinct `time_s` values (0 without the column).
    pub times: usize,
    /// The relative model's likelihood and criteria.
    pub relative: ModelScore,
    /// The 1/f fit, when the reads carry `time_s` and span a range.
    pub one_over_f: Option<OneOverFFit>,
    /// The kept model: `relative` or `pcm-1/f`.
    pub chosen: String,
    /// Why.
    pub reason: String,
    /// The device file's section.
    pub read_noise: ReadNoiseSpec,
    /// What the report must say: devices the kept model does not describe.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// Options of [`fit_read_noise_with`]; `None` = the library's IBM PCM value
/// (or, for `g_max_s`, the largest device mean).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReadNoiseOptions {
    /// Criterion of the choice.
    pub criterion: Criterion,
    /// `g_max` of `g_r` (S), e.g. the pulse fit's.
    pub g_max_s: Option<f64>,
    /// Floor of `g_r^q_exponent`.
    pub g_r_floor: Option<f64>,
    /// Clip of `Q_s`.
    pub q_max: Option<f64>,
    /// Read duration (s).
    pub t_read_s: Option<f64>,
}

/// Fits the relative read noise (and the 1/f model when the table has
/// `time_s`) with the default options.
///
/// # Errors
/// As [`fit_read_noise_with`].
pub fn fit_read_noise(table: &Table) -> Result<ReadNoiseFit, DataError> {
    fit_read_noise_with(table, &ReadNoiseOptions::default())
}

/// One group: `k = n − 1`, the mean, `SS`, the time, its device.
struct Group {
    device: usize,
    k: usize,
    mean: f64,
    ss: f64,
    t: Option<f64>,
}

/// Fits the read noise.
///
/// # Errors
/// Bad values, a `time_s` ≤ 0 or ≤ the read duration, a device without two
/// reads at one time or with a zero mean, bad options.
pub fn fit_read_noise_with(
    table: &Table,
    opts: &ReadNoiseOptions,
) -> Result<ReadNoiseFit, DataError> {
    let ibm = match xbar_devices::library::preset("ibm-pcm").and_then(|d| d.read_noise) {
        Some(ReadNoiseSpec::PcmOneOverF {
            g_r_floor,
            q_max,
            t_read_s,
            ..
        }) => (g_r_floor, q_max, t_read_s),
        _ => unreachable!("the ibm-pcm preset has the PCM 1/f read noise"),
    };
    let mut library_defaults = Vec::new();
    let mut pick = |v: Option<f64>, d: f64, name: &str| -> Result<f64, DataError> {
        match v {
            Some(x) if x.is_finite() && x > 0.0 => Ok(x),
            Some(x) => Err(DataError::file(
                &table.file,
                format!("{name}: expected a finite value > 0, found {x}"),
            )),
            None => {
                library_defaults.push(name.to_string());
                Ok(d)
            }
        }
    };
    let g_r_floor = pick(opts.g_r_floor, ibm.0, "g_r_floor")?;
    let q_max = pick(opts.q_max, ibm.1, "q_max")?;
    let t_read = pick(opts.t_read_s, ibm.2, "t_read_s")?;
    let all = series(table, "time_s", false, &["read"])?;
    let has_time = table.find("time_s").is_some();
    let mut groups: Vec<Group> = Vec::new();
    let mut devices = Vec::new();
    let mut times: Vec<f64> = Vec::new();
    for s in &all {
        let m = mean(&s.g);
        // Group the reads by their exact time.
        let mut keys: Vec<Option<f64>> = Vec::new();
        for (x, line) in s.x.iter().zip(&s.lines) {
            if let Some(t) = x {
                if *t <= t_read {
                    return Err(DataError::cell(
                        &table.file,
                        *line,
                        "time_s",
                        format!(
                            "expected a time since programming > 0 s and above the read duration t_read_s = {t_read:e} s, found {t}"
                        ),
                    ));
                }
                if !times.contains(t) {
                    times.push(*t);
                }
            }
            if !keys.contains(x) {
                keys.push(*x);
            }
        }
        let (mut rel2, mut dof) = (0.0, 0usize);
        for key in keys {
            let g: Vec<f64> =
                s.x.iter()
                    .zip(&s.g)
                    .filter(|(x, _)| **x == key)
                    .map(|(_, g)| *g)
                    .collect();
            if g.len() < 2 {
                continue;
            }
            let gm = mean(&g);
            if gm <= 0.0 {
                dof = 0;
                break;
            }
            let ss: f64 = g.iter().map(|v| (v - gm).powi(2)).sum();
            rel2 += ss / (gm * gm);
            dof += g.len() - 1;
            groups.push(Group {
                device: devices.len(),
                k: g.len() - 1,
                mean: gm,
                ss,
                t: key,
            });
        }
        if dof == 0 || m <= 0.0 {
            return Err(DataError::column(
                &table.file,
                &s.name,
                format!(
                    "{} reads with mean {m:e} S: expected at least 2 reads at one time of a conducting device",
                    s.g.len()
                ),
            ));
        }
        devices.push(DeviceReadNoise {
            name: s.name.clone(),
            reads: s.g.len(),
            mean_s: m,
            sigma: sigma_estimate((rel2 / dof as f64).sqrt(), dof),
            written_ratio: None,
        });
    }
    let dof: usize = groups.iter().map(|g| g.k).sum();
    let rel2: f64 = groups.iter().map(|g| g.ss / (g.mean * g.mean)).sum();
    let sigma = sigma_estimate((rel2 / dof as f64).sqrt(), dof);
    let s2 = sigma.value.powi(2).max(1e-300);
    let relative = ModelScore::new(log_likelihood(&groups, |g| s2 * g.mean * g.mean), 1, dof);
    let lo = devices
        .iter()
        .map(|d| d.mean_s)
        .fold(f64::INFINITY, f64::min);
    let hi = devices.iter().map(|d| d.mean_s).fold(0.0, f64::max);
    let g_max = match opts.g_max_s {
        Some(g) if g.is_finite() && g > 0.0 => g,
        Some(g) => {
            return Err(DataError::file(
                &table.file,
                format!("g_max: expected a finite conductance > 0 S, found {g}"),
            ))
        }
        None => hi,
    };
    let mut one_over_f = None;
    let why_not = if !has_time {
        Some("no time_s column: the 1/f model needs the time since programming".to_string())
    } else if hi < MIN_RANGE * lo {
        Some(format!(
            "the device means span {lo:e} … {hi:e} S, less than a factor {MIN_RANGE}: the 1/f exponent is not identified"
        ))
    } else {
        one_over_f = Some(fit_one_over_f(&groups, dof, g_max, t_read).map(
            |(q_coeff, q_exponent, score)| OneOverFFit {
                q_coeff,
                q_exponent,
                g_r_floor,
                q_max,
                t_read_s: t_read,
                g_max_s: g_max,
                library_defaults,
                score,
            },
        ));
        None
    };
    let relative_spec = ReadNoiseSpec::Relative { sigma: sigma.value };
    let (chosen, reason, read_noise) = match (one_over_f.clone().flatten(), why_not) {
        (Some(f), _) => {
            let name = opts.criterion.name();
            let (a, b) = (relative.by(opts.criterion), f.score.by(opts.criterion));
            if b < a {
                // The fit ignores the floor and the clip: say where they act.
                let gr_lo = lo / g_max;
                let q_lo = f.q_coeff.value / gr_lo.powf(f.q_exponent.value).max(g_r_floor);
                let clip = if q_lo > q_max || gr_lo.powf(f.q_exponent.value) < g_r_floor {
                    format!(
                        "; Q_s at the smallest device (g_r {gr_lo:.3}) is {q_lo:.3}: the floor or the clip q_max = {q_max} acts there, the fit did not model it"
                    )
                } else {
                    String::new()
                };
                (
                    "pcm-1/f",
                    format!("{name} {b:.1} against {a:.1} for relative{clip}"),
                    ReadNoiseSpec::PcmOneOverF {
                        q_coeff: f.q_coeff.value,
                        q_exponent: f.q_exponent.value,
                        g_r_floor,
                        q_max,
                        t_read_s: t_read,
                    },
                )
            } else {
                (
                    "relative",
                    format!("{name} {a:.1} against {b:.1} for pcm-1/f"),
                    relative_spec,
                )
            }
        }
        (None, Some(why)) => ("relative", why, relative_spec),
        (None, None) => (
            "relative",
            "the 1/f fit did not converge".to_string(),
            relative_spec,
        ),
    };
    // The kept model at each device's reads.
    let mut off = Vec::new();
    for (k, d) in devices.iter_mut().enumerate() {
        let (mut ss, mut model, mut dof) = (0.0, 0.0, 0usize);
        for g in groups.iter().filter(|g| g.device == k) {
            let t = g.t.unwrap_or(1.0);
            ss += g.ss;
            model += g.k as f64 * read_noise.sigma(g.mean, g_max, t).powi(2);
            dof += g.k;
        }
        if model > 0.0 && dof > 0 {
            let r = sigma_estimate((ss / model).sqrt(), dof);
            if (r.ci_low > WARN_RATIO) || (r.ci_high < 1.0 / WARN_RATIO) {
                off.push(format!("{} ({}×)", d.name, with_ci(&r)));
            }
            d.written_ratio = Some(r);
        }
    }
    let mut warnings = Vec::new();
    if !off.is_empty() {
        warnings.push(format!(
            "the kept {chosen} model does not describe {} of {} devices (measured σ over the model's, 95 % interval beyond {}× either way): {}",
            off.len(),
            devices.len(),
            WARN_RATIO,
            off.join(", ")
        ));
    }
    Ok(ReadNoiseFit {
        warnings,
        devices,
        sigma,
        groups: groups.len(),
        times: times.len(),
        relative,
        one_over_f: one_over_f.flatten(),
        chosen: chosen.to_string(),
        reason,
        read_noise,
    })
}

/// `ℓ = −½ Σ (k·ln(2π·σ²) + SS/σ²)` with the group's read variance σ².
fn log_likelihood(groups: &[Group], var: impl Fn(&Group) -> f64) -> f64 {
    -0.5 * groups
        .iter()
        .map(|g| {
            let v = var(g).max(1e-300);
            g.k as f64 * (2.0 * std::f64::consts::PI * v).ln() + g.ss / v
        })
        .sum::<f64>()
}

/// `L(t)² = ln((t + t_read)/(2·t_read))`.
fn log_time(t: f64, t_read: f64) -> f64 {
    ((t + t_read) / (2.0 * t_read)).ln()
}

/// The 1/f fit by Fisher scoring: `(q_coeff, q_exponent, score)`, `None`
/// when it does not converge.
fn fit_one_over_f(
    groups: &[Group],
    dof: usize,
    g_max: f64,
    t_read: f64,
) -> Option<(Estimate, Estimate, ModelScore)> {
    // Per group: weight k, x = ln g_r, v = SS/(k·m²·L²).
    let rows: Vec<(f64, f64, f64)> = groups
        .iter()
        .map(|g| {
            let l2 = log_time(g.t.unwrap_or(f64::NAN), t_read);
            (
                g.k as f64,
                (g.mean / g_max).ln(),
                g.ss / (g.k as f64 * g.mean * g.mean * l2),
            )
        })
        .collect();
    // Weighted least squares of z on (2, −2x): returns (a, p) and the
    // inverse of Σ w·d·dᵀ.
    let wls = |z: &dyn Fn(usize) -> f64| -> Option<([f64; 2], [f64; 3])> {
        let (mut s00, mut s01, mut s11, mut r0, mut r1) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (i, (w, x, _)) in rows.iter().enumerate() {
            let d = [2.0, -2.0 * x];
            s00 += w * d[0] * d[0];
            s01 += w * d[0] * d[1];
            s11 += w * d[1] * d[1];
            r0 += w * d[0] * z(i);
            r1 += w * d[1] * z(i);
        }
        let det = s00 * s11 - s01 * s01;
        if det.abs() <= 1e-12 * s00 * s11 {
            return None;
        }
        let inv = [s11 / det, -s01 / det, s00 / det];
        Some(([inv[0] * r0 + inv[1] * r1, inv[1] * r0 + inv[2] * r1], inv))
    };
    // Start: the log-log line (ln v is biased by a constant, absorbed in a).
    let (mut theta, _) = wls(&|i| rows[i].2.max(1e-300).ln())?;
    let mut converged = false;
    for _ in 0..100 {
        let eta = |i: usize| 2.0 * theta[0] - 2.0 * theta[1] * rows[i].1;
        let (next, _) = wls(&|i| eta(i) + rows[i].2 * (-eta(i)).exp() - 1.0)?;
        let change = (next[0] - theta[0]).abs() + (next[1] - theta[1]).abs();
        theta = next;
        if !theta.iter().all(|v| v.is_finite()) {
            return None;
        }
        if change < 1e-12 {
            converged = true;
            break;
        }
    }
    if !converged {
        return None;
    }
    // Fisher information I = Σ (k/2)·d·dᵀ: I⁻¹ = 2·N⁻¹ with N = Σ k·d·dᵀ the
    // weighted normal matrix.
    let (_, inv) = wls(&|_| 0.0)?;
    let (se_a, se_p) = ((2.0 * inv[0]).sqrt(), (2.0 * inv[2]).sqrt());
    let q_coeff = Estimate::normal(theta[0], se_a).map(f64::exp);
    let q_exponent = Estimate::normal(theta[1], se_p);
    let (q, p) = (theta[0].exp(), theta[1]);
    let ll = log_likelihood(groups, |g| {
        let sd = g.mean * q * (g.mean / g_max).powf(-p);
        sd * sd * log_time(g.t.unwrap_or(f64::NAN), t_read)
    });
    Some((q_coeff, q_exponent, ModelScore::new(ll, 2, dof)))
}

impl ReadNoiseFit {
    /// The report of the fit of `file`: the relative model (pooled σ, its
    /// range over the devices, criteria), the 1/f model when fitted, and
    /// the model kept. `g_max_from` says where the 1/f fit's `g_max` came
    /// from (the pulse fit's, or the largest measured conductance).
    pub fn report(&self, file: &str, g_max_from: &str) -> Section {
        let per_device = |f: fn(f64, f64) -> f64, start: f64| {
            sig(self.devices.iter().map(|d| d.sigma.value).fold(start, f), 3)
        };
        let mut s = Section::new(
            "read-noise",
            format!(
                "Read noise: {file}, {} devices, {} groups at {} times: relative σ {} (pooled; per device {} … {}); AIC {}, BIC {}",
                self.devices.len(),
                self.groups,
                self.times,
                with_ci(&self.sigma),
                per_device(f64::min, f64::INFINITY),
                per_device(f64::max, 0.0),
                sig(self.relative.aic, 6),
                sig(self.relative.bic, 6),
            ),
        );
        if let Some(f) = &self.one_over_f {
            let defaults = if f.library_defaults.is_empty() {
                String::new()
            } else {
                format!(
                    " ({}: the library's IBM PCM values)",
                    f.library_defaults.join(", ")
                )
            };
            s.line(format!(
                "  PCM 1/f: q_coeff {}, q_exponent {} (g_max {} S, {g_max_from}; t_read {} s, g_r_floor {}, q_max {}{defaults}); AIC {}, BIC {}",
                with_ci(&f.q_coeff),
                with_ci(&f.q_exponent),
                sig(f.g_max_s, 4),
                f.t_read_s,
                f.g_r_floor,
                f.q_max,
                sig(f.score.aic, 6),
                sig(f.score.bic, 6),
            ));
        }
        s.line(format!(
            "  read noise kept: {} ({})",
            self.chosen, self.reason
        ));
        let ratios: Vec<f64> = self
            .devices
            .iter()
            .filter_map(|d| d.written_ratio.map(|r| r.value))
            .collect();
        if !ratios.is_empty() {
            s.line(format!(
                "  as written (the kept model at each device's reads): measured σ over the model's, median {}, range {} … {}",
                sig(crate::stats::median(&ratios), 3),
                sig(ratios.iter().copied().fold(f64::INFINITY, f64::min), 3),
                sig(ratios.iter().copied().fold(0.0, f64::max), 3)
            ));
        }
        for w in &self.warnings {
            s.line(format!("  warning: {w}"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact group variances on the 1/f law: the scoring returns the law's
    /// parameters to rounding (v = its mean for every group).
    #[test]
    fn noiseless_variances_give_the_law_back() {
        let (q, p, t_read, g_max) = (0.0088, 0.65, 250e-9, 25e-6);
        let mut groups = Vec::new();
        for gr in [0.05f64, 0.1, 0.3, 0.6, 1.0] {
            for t in [1.0, 100.0, 1e4] {
                let m = gr * g_max;
                let sd: f64 = m * q * gr.powf(-p) * log_time(t, t_read).sqrt();
                groups.push(Group {
                    device: 0,
                    k: 9,
                    mean: m,
                    ss: 9.0 * sd * sd,
                    t: Some(t),
                });
            }
        }
        let (qc, qe, _) = fit_one_over_f(&groups, 9 * 15, g_max, t_read).unwrap();
        assert!((qc.value / q - 1.0).abs() < 1e-10, "{qc:?}");
        assert!((qe.value - p).abs() < 1e-10, "{qe:?}");
    }
}
