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
    Ok(RetentionFit {
        t0_s: t0,
        devices,
        nu_mean,
        nu_slope,
        drift: DriftSpec {
            t0_s: t0,
            nu_mean: nu_spec,
            nu_std: LogLinear::constant(nu_mean.d2d_std),
        },
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
                ]
            })
            .collect();
        s.table(&["device", "reads", "G(t0)", "ν [95 % CI]", "R²"], rows);
        s
    }
}
