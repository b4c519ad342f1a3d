//! Drift exponent ν from retention measurements.
//!
//! The library's drift law ([`xbar_devices::drift`]) is
//! `G(t) = G(t₀)·(t/t₀)^(−ν)`, so `ln G = ln G(t₀) − ν·ln(t/t₀)`: per device,
//! ν is the negated slope of the least-squares line of `ln G` on `ln t`
//! (Ielmini et al., IEEE TED 2007), with its 95 % interval from the line's
//! standard error. `t₀` is the earliest time of the file (the reference
//! read). Over the devices: the mean ν and the device-to-device σ (the
//! estimation error removed, as for the pulse labels); when the devices
//! start from different conductances, the dependence of ν on
//! `ln g_r = ln(G(t₀)/g_max)` — the IBM model's `μ_ν(g_r) = a·ln g_r + b` —
//! by least squares over the devices, kept in the device file when its
//! 95 % interval excludes 0.
//!
//! Table: `time_s` and one conductance column (S) per device, or long
//! (`device`, `time_s`, `conductance_S`).
//!
//! **As the user runs it.** The device file's drift section drifts each
//! device from its first read with the library's mean exponent at its
//! `g_r` (ν drawn from `|N(μ_ν, σ_ν)|`, [`DriftSpec::mean_nu`]). Per
//! device, the RMS over its reads of `G_model/G_measured − 1` (which
//! includes the device's own departure from the mean law, its D2D); over
//! the population, at each read time the median over the devices of
//! `G_model/G_first` against that of `G_measured/G_first`, the RMS over
//! the times of their ratio less one (the population error).
//! **Warnings**: a mean ν below 0 (the conductance rises with time: the
//! library's drift cannot rise, and the file holds ν = 0), a device whose
//! line has R² below [`WARN_R2`] (ln G is not linear in ln t: the power
//! law does not describe it), and a population error above
//! [`WARN_ERROR`].
//!
//! ```
//! use xbar_fit::measurements::Table;
//! use xbar_fit::retention::fit_retention;
//!
//! let mut text = String::from("time_s,a,b\n");
//! for t in [1.0f64, 10.0, 100.0, 1000.0] {
//!     text += &format!("{t},{:e},{:e}\n", 5e-6 * t.powf(-0.05), 1e-5 * t.powf(-0.07));
//! }
//! let table = Table::from_csv_text("r.csv", &text, b',').unwrap();
//! let fit = fit_retention(&table, 1e-5).unwrap();
//! assert!((fit.devices[0].nu.value - 0.05).abs() < 1e-12);
//! assert!((fit.nu_mean.mean.value - 0.06).abs() < 1e-12);
//! ```

use serde::{Deserialize, Serialize};
use xbar_devices::drift::{DriftSpec, LogLinear};
use xbar_devices::units::{format_si, format_significant as sig};

use crate::measurements::{series, DataError, Table};
use crate::pulse::Population;
use crate::report::{with_ci, Section};
use crate::stats::{mean, t975, Estimate};

/// R² of a device's line below which the report warns.
pub const WARN_R2: f64 = 0.9;

/// The written drift's population error (RMS relative, module docs) above
/// which the report warns.
pub const WARN_ERROR: f64 = 0.05;

/// ν of one device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceDrift {
    /// Device name.
    pub name: String,
    /// Reads.
    pub points: usize,
    /// Conductance at t₀ (S), from the fitted line.
    pub g0_s: f64,
    /// Drift exponent.
    pub nu: Estimate,
    /// R² of the line.
    pub r2: f64,
    /// The device file's drift from the device's first read, against its
    /// reads: RMS of `G_model/G_measured − 1`.
    #[serde(default)]
    pub written_error_relative: f64,
}

/// The retention fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RetentionFit {
    /// Reference time (s).
    pub t0_s: f64,
    /// Per device.
    pub devices: Vec<DeviceDrift>,
    /// ν over the devices.
    pub nu_mean: Population,
    /// Slope of ν against ln g_r over the devices (when ≥ 3 devices).
    pub nu_slope: Option<Estimate>,
    /// The device file's drift section.
    pub drift: DriftSpec,
    /// The device file's drift against the population's median drift: RMS
    /// over the read times of the ratio of the medians less one (module
    /// docs).
    #[serde(default)]
    pub written_error_relative: f64,
    /// What the report must say: poor lines, a rising trace, a written drift
    /// that misses the reads.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// `(slope, intercept, se_slope, se_intercept, rss)` of y on x.
fn line(x: &[f64], y: &[f64]) -> Option<(f64, f64, f64, f64, f64)> {
    let n = x.len() as f64;
    let (mx, my) = (mean(x), mean(y));
    let sxx: f64 = x.iter().map(|v| (v - mx).powi(2)).sum();
    if x.len() < 3 || sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let slope = sxy / sxx;
    let icpt = my - slope * mx;
    let rss: f64 = x
        .iter()
        .zip(y)
        .map(|(a, b)| (b - icpt - slope * a).powi(2))
        .sum();
    let s2 = rss / (n - 2.0);
    Some((
        slope,
        icpt,
        (s2 / sxx).sqrt(),
        (s2 * (1.0 / n + mx * mx / sxx)).sqrt(),
        rss,
    ))
}

/// Fits ν per device and over the devices; `g_max` (S) normalises `g_r`.
///
/// # Errors
/// A missing `time_s` column, bad values, a time ≤ 0 or a zero
/// conductance (logarithms), a device with fewer than 3 reads at distinct
/// times.
pub fn fit_retention(table: &Table, g_max: f64) -> Result<RetentionFit, DataError> {
    let all = series(table, "time_s", true, &[])?;
    let mut t0 = f64::INFINITY;
    for s in &all {
        for (x, line) in s.x.iter().zip(&s.lines) {
            let t = x.expect("time_s is required");
            if t <= 0.0 {
                return Err(DataError::cell(
                    &table.file,
                    *line,
                    "time_s",
                    format!("expected a time after programming > 0 s, found {t}"),
                ));
            }
            t0 = t0.min(t);
        }
    }
    let mut devices = Vec::new();
    for s in &all {
        if let Some(i) = s.g.iter().position(|g| *g <= 0.0) {
            return Err(DataError::cell(
                &table.file,
                s.lines[i],
                &s.name,
                "expected a conductance > 0 S (the drift law is fitted on ln G)",
            ));
        }
        let x: Vec<f64> = s.x.iter().map(|t| (t.unwrap_or(t0) / t0).ln()).collect();
        let y: Vec<f64> = s.g.iter().map(|g| g.ln()).collect();
        let Some((slope, icpt, se, _, rss)) = line(&x, &y) else {
            return Err(DataError::column(
                &table.file,
                &s.name,
                format!(
                    "{} reads: expected at least 3 reads at 2 or more distinct times to fit ν",
                    s.g.len()
                ),
            ));
        };
        let my = mean(&y);
        let tss: f64 = y.iter().map(|v| (v - my).powi(2)).sum();
        let t = t975(s.g.len() - 2);
        devices.push(DeviceDrift {
            written_error_relative: f64::NAN,
            name: s.name.clone(),
            points: s.g.len(),
            g0_s: icpt.exp(),
            nu: Estimate {
                value: -slope,
                std_error: se,
                ci_low: -slope - t * se,
                ci_high: -slope + t * se,
            },
            r2: if tss > 0.0 { 1.0 - rss / tss } else { 1.0 },
        });
    }
    let nus: Vec<f64> = devices.iter().map(|d| d.nu.value).collect();
    let ses: Vec<f64> = devices.iter().map(|d| d.nu.std_error).collect();
    let nu_mean = crate::pulse::population_of(&nus, &ses);
    let ln_gr: Vec<f64> = devices.iter().map(|d| (d.g0_s / g_max).ln()).collect();
    let nu_slope = line(&ln_gr, &nus).map(|(a, _, se, _, _)| {
        let t = t975(devices.len() - 2);
        Estimate {
            value: a,
            std_error: se,
            ci_low: a - t * se,
            ci_high: a + t * se,
        }
    });
    let mut nu_spec = LogLinear::constant(nu_mean.mean.value.max(0.0));
    if let (Some(s), Some((a, b, _, _, _))) = (nu_slope, line(&ln_gr, &nus)) {
        if s.ci_low > 0.0 || s.ci_high < 0.0 {
            nu_spec = LogLinear {
                slope: a,
                intercept: b,
                min: 0.0,
                max: f64::INFINITY,
            };
        }
    }
    let drift = DriftSpec {
        t0_s: t0,
        nu_mean: nu_spec,
        nu_std: LogLinear::constant(nu_mean.d2d_std),
    };
    // Each device drifted by the written section from its first read:
    // (time, measured G/G_first, model G/G_first) of every read.
    let mut ratios: Vec<(f64, f64, f64)> = Vec::new();
    for (d, s) in devices.iter_mut().zip(&all) {
        let first = (0..s.g.len())
            .min_by(|&a, &b| s.x[a].unwrap_or(t0).total_cmp(&s.x[b].unwrap_or(t0)))
            .expect("3 reads or more");
        let (t_first, g_first) = (s.x[first].unwrap_or(t0), s.g[first]);
        let nu = drift.mean_nu(g_first / g_max);
        let ss: f64 =
            s.x.iter()
                .zip(&s.g)
                .map(|(t, g)| {
                    let t = t.unwrap_or(t0);
                    let model = g_first * drift.factor(nu, t) / drift.factor(nu, t_first);
                    ratios.push((t, g / g_first, model / g_first));
                    (model / g - 1.0).powi(2)
                })
                .sum();
        d.written_error_relative = (ss / s.g.len() as f64).sqrt();
    }
    ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut ss, mut times) = (0.0, 0usize);
    for group in ratios.chunk_by(|a, b| a.0 == b.0) {
        let measured: Vec<f64> = group.iter().map(|r| r.1).collect();
        let model: Vec<f64> = group.iter().map(|r| r.2).collect();
        ss += (crate::stats::median(&model) / crate::stats::median(&measured) - 1.0).powi(2);
        times += 1;
    }
    let written_error = (ss / times.max(1) as f64).sqrt();
    let mut warnings = Vec::new();
    if nu_mean.mean.value < 0.0 {
        warnings.push(format!(
            "the conductance rises with time (mean ν = {} < 0): the library's drift law only decays, so the device file holds ν = 0{}; check the sign and units of the reads, or leave drift out",
            with_ci(&nu_mean.mean),
            if nu_mean.mean.ci_high < 0.0 {
                " although the interval excludes 0"
            } else {
                ""
            }
        ));
    }
    let poor: Vec<String> = devices
        .iter()
        .filter(|d| d.r2 < WARN_R2)
        .map(|d| format!("{} (R² {})", d.name, sig(d.r2, 3)))
        .collect();
    if !poor.is_empty() {
        warnings.push(format!(
            "{} of {} devices follow the power law poorly (R² of ln G on ln t below {WARN_R2}): {}",
            poor.len(),
            devices.len(),
            poor.join(", ")
        ));
    }
    if written_error > WARN_ERROR {
        warnings.push(format!(
            "the device file's drift misses the devices' median drift by {} RMS over the read times (more than {})",
            crate::report::percent(written_error),
            crate::report::percent(WARN_ERROR)
        ));
    }
    Ok(RetentionFit {
        written_error_relative: written_error,
        t0_s: t0,
        devices,
        nu_mean,
        nu_slope,
        drift,
        warnings,
    })
}

impl RetentionFit {
    /// The report of the fit of `file`: ν over the devices (and its slope
    /// against the conductance, kept or not), then each device.
    pub fn report(&self, file: &str) -> Section {
        let mut s = Section::new(
            "retention",
            format!(
                "Retention: {file}, {} devices, t0 = {} s",
                self.devices.len(),
                self.t0_s
            ),
        );
        let mut nu = format!(
            "ν: mean {}, σ {}, D2D σ {}",
            with_ci(&self.nu_mean.mean),
            sig(self.nu_mean.std, 3),
            sig(self.nu_mean.d2d_std, 3)
        );
        if let Some(slope) = &self.nu_slope {
            let kept = if self.drift.nu_mean.slope != 0.0 {
                "kept"
            } else {
                "not kept: its interval holds 0"
            };
            nu += &format!("; slope against ln g_r {} ({kept})", with_ci(slope));
        }
        s.line(nu);
        let errors: Vec<f64> = self
            .devices
            .iter()
            .map(|d| d.written_error_relative)
            .collect();
        if !errors.is_empty() {
            s.line(format!(
                "as written (each device drifted by the file's section from its first read): the devices' median drift missed by {} RMS over the read times; per device (its D2D included) RMS of G_model/G_measured − 1, median {}, largest {}",
                crate::report::percent(self.written_error_relative),
                crate::report::percent(crate::stats::median(&errors)),
                crate::report::percent(errors.iter().copied().fold(0.0, f64::max))
            ));
        }
        for w in &self.warnings {
            s.line(format!("warning: {w}"));
        }
        let rows: Vec<Vec<String>> = self
            .devices
            .iter()
            .map(|d| {
                vec![
                    d.name.clone(),
                    d.points.to_string(),
                    format_si(d.g0_s, "S"),
                    with_ci(&d.nu),
                    sig(d.r2, 4),
                    crate::report::percent(d.written_error_relative),
                ]
            })
            .collect();
        s.table(
            &[
                "device",
                "reads",
                "G(t0)",
                "ν [95 % CI]",
                "R²",
                "as written",
            ],
            rows,
        );
        s
    }
}
