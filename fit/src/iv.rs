//! The sinh cell I-V from current-voltage sweeps.
//!
//! The library's nonlinear cell ([`xbar_devices::iv`]) conducts
//! `I = (g/a)·sinh(a·V)` (the Stanford/ASU RRAM form): `g` the small-signal
//! conductance, `a = 1/V₀` the voltage scale. Per device, `(g, a)` are fitted
//! by Levenberg–Marquardt (sandwich standard errors, Student's t intervals,
//! [`crate::stats`]) from the
//! closed-form start of the cubic `I ≈ g·V + (g·a²/6)·V³`; the device file
//! keeps the mean `a` over the devices (`g` is the state, not a parameter
//! of the model).
//!
//! Table: `voltage_V`, `current_A`, and optionally `device` (one sweep per
//! device).
//!
//! **As the user runs it.** The device file holds one `a`; each device's
//! sweep computed with it and the device's own `g` (the state), against the
//! measured currents: RMS relative to the device's largest |I|, its median
//! and largest over the devices in the report. **Warnings**: a device whose
//! `a` is not identified (its 95 % interval wider than [`WARN_SPREAD`] times
//! the value, or holding 0: a sweep that stays in the ohmic region), and a
//! written `a` that misses some device's sweep by more than [`WARN_ERROR`].
//!
//! ```
//! use xbar_fit::iv::fit_iv;
//! use xbar_fit::measurements::Table;
//!
//! let mut text = String::from("voltage_V,current_A\n");
//! for k in -10..=10 {
//!     let v = 0.05 * k as f64;
//!     text += &format!("{v},{:e}\n", 1e-5 / 4.0 * (4.0 * v).sinh());
//! }
//! let fit = fit_iv(&Table::from_csv_text("iv.csv", &text, b',').unwrap()).unwrap();
//! assert!((fit.devices[0].a_per_volt.value - 4.0).abs() < 1e-8);
//! ```

use serde::{Deserialize, Serialize};
use xbar_devices::units::format_significant as sig;
use xbar_devices::IvSpec;

use crate::measurements::{Cell, DataError, Table};
use crate::pulse::Population;
use crate::report::{with_ci, Section};
use crate::stats::{least_squares, Estimate, Model};

/// Half-width of a device's 95 % interval of `a`, relative to `a`, above
/// which the report says `a` is not identified.
pub const WARN_SPREAD: f64 = 0.5;

/// RMS error of the written `a` on one device's sweep (relative to its
/// largest |I|) above which the report warns.
pub const WARN_ERROR: f64 = 0.05;

/// One device's sinh fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceIv {
    /// Device name (`"device"` for a single sweep).
    pub name: String,
    /// Points.
    pub points: usize,
    /// Small-signal conductance (S).
    pub g_s: Estimate,
    /// Voltage scale a (1/V).
    pub a_per_volt: Estimate,
    /// RMSE relative to the largest |I|.
    pub rmse_relative: f64,
    /// The sweep with the device file's `a` and this device's `g`: RMSE
    /// relative to the largest |I|.
    #[serde(default)]
    pub written_rmse_relative: f64,
    /// The sweep (V, A), for the check with the written `a`.
    #[serde(skip)]
    sweep: (Vec<f64>, Vec<f64>),
}

/// The I-V fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IvFit {
    /// Per device.
    pub devices: Vec<DeviceIv>,
    /// `a` over the devices.
    pub a: Population,
    /// The device file's section.
    pub iv: IvSpec,
    /// What the report must say: unidentified `a`, a written `a` that
    /// misses a sweep.
    #[serde(default)]
    pub warnings: Vec<String>,
}

/// `I/I_max = (p₀/p₁)·sinh(p₁·V)·(1/I_max)` with `p₀ = g` scaled.
struct Sinh<'a> {
    v: &'a [f64],
    i: &'a [f64],
    scale: f64,
}

impl Model for Sinh<'_> {
    fn dim(&self) -> usize {
        2
    }
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let (g, a) = (p[0] * self.scale, p[1]);
        for (v, i) in self.v.iter().zip(self.i) {
            out.push((i - g / a * (a * v).sinh()) / self.scale);
        }
    }
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>) {
        out.clear();
        let (g, a) = (p[0] * self.scale, p[1]);
        for v in self.v {
            let s = (a * v).sinh();
            let c = (a * v).cosh();
            out.push(-s / a);
            out.push(-(g * (v * c / a - s / (a * a))) / self.scale);
        }
    }
}

fn fit_one(name: &str, v: &[f64], i: &[f64], file: &str) -> Result<DeviceIv, DataError> {
    if v.len() < 4 {
        return Err(DataError::column(
            file,
            "current_A",
            format!(
                "device `{name}`: {} points: expected at least 4 to fit g and a",
                v.len()
            ),
        ));
    }
    // Start: least squares of I = c₁·V + c₃·V³.
    let (mut s11, mut s13, mut s33, mut y1, mut y3) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (v, i) in v.iter().zip(i) {
        let (v1, v3) = (*v, v.powi(3));
        s11 += v1 * v1;
        s13 += v1 * v3;
        s33 += v3 * v3;
        y1 += v1 * i;
        y3 += v3 * i;
    }
    let det = s11 * s33 - s13 * s13;
    let vmax = v.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let imax = i.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if det <= 0.0 || vmax == 0.0 || imax == 0.0 {
        return Err(DataError::column(
            file,
            "voltage_V",
            format!("device `{name}`: expected a sweep over several nonzero voltages and currents"),
        ));
    }
    let c1 = (y1 * s33 - y3 * s13) / det;
    let c3 = (s11 * y3 - s13 * y1) / det;
    let a0 = if c1 > 0.0 && c3 > 0.0 {
        (6.0 * c3 / c1).sqrt()
    } else {
        0.1 / vmax
    };
    let scale = imax / vmax;
    let model = Sinh { v, i, scale };
    let fit = least_squares(&model, &[c1.max(1e-300) / scale, a0], false);
    if !fit.converged || fit.params[1] <= 0.0 {
        return Err(DataError::column(
            file,
            "current_A",
            format!(
                "device `{name}`: the sinh fit does not converge (a = {:.3} 1/V); try a sweep that reaches the nonlinear region, or leave the cell ohmic",
                fit.params[1]
            ),
        ));
    }
    Ok(DeviceIv {
        name: name.to_string(),
        points: v.len(),
        g_s: student(fit.params[0] * scale, fit.se(0) * scale, fit.n - 2),
        a_per_volt: student(fit.params[1], fit.se(1), fit.n - 2),
        rmse_relative: (fit.rss / fit.n as f64).sqrt() * scale / imax,
        written_rmse_relative: f64::NAN,
        sweep: (v.to_vec(), i.to_vec()),
    })
}

/// `value ± t₀.₉₇₅(dof)·se`.
fn student(value: f64, se: f64, dof: usize) -> Estimate {
    let t = crate::stats::t975(dof);
    Estimate {
        value,
        std_error: se,
        ci_low: value - t * se,
        ci_high: value + t * se,
    }
}

/// Fits `(g, a)` per device.
///
/// # Errors
/// Missing columns, bad values, fewer than 4 points, a fit that does not
/// converge.
pub fn fit_iv(table: &Table) -> Result<IvFit, DataError> {
    let vcol = table.require("voltage_V", "one row per point of the sweep")?;
    let icol = table.require("current_A", "one row per point of the sweep")?;
    let dcol = table.find("device");
    let mut order: Vec<String> = Vec::new();
    let mut data: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    for r in 0..table.rows.len() {
        let name = match dcol.map(|c| &table.rows[r].1[c]) {
            None | Some(Cell::Empty) => "device".to_string(),
            Some(Cell::Number(x)) => format!("{x}"),
            Some(Cell::Text(t)) => t.clone(),
        };
        let v = table.required_number(r, vcol, "a voltage in V")?;
        let i = table.required_number(r, icol, "a current in A")?;
        let k = match order.iter().position(|n| *n == name) {
            Some(k) => k,
            None => {
                order.push(name);
                data.push((Vec::new(), Vec::new()));
                order.len() - 1
            }
        };
        data[k].0.push(v);
        data[k].1.push(i);
    }
    if order.is_empty() {
        return Err(DataError::file(
            &table.file,
            "no data rows after the header",
        ));
    }
    let mut devices = order
        .iter()
        .zip(&data)
        .map(|(n, (v, i))| fit_one(n, v, i, &table.file))
        .collect::<Result<Vec<_>, _>>()?;
    let a: Vec<f64> = devices.iter().map(|d| d.a_per_volt.value).collect();
    let se: Vec<f64> = devices.iter().map(|d| d.a_per_volt.std_error).collect();
    let a = crate::pulse::population_of(&a, &se);
    let written = a.mean.value;
    let mut warnings = Vec::new();
    let mut unidentified = Vec::new();
    for d in &mut devices {
        let (v, i) = &d.sweep;
        let imax = i.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let g = d.g_s.value;
        let ss: f64 = v
            .iter()
            .zip(i)
            .map(|(v, i)| (g / written * (written * v).sinh() - i).powi(2))
            .sum();
        d.written_rmse_relative = (ss / v.len() as f64).sqrt() / imax;
        let e = &d.a_per_volt;
        let half = 0.5 * (e.ci_high - e.ci_low);
        if half.is_nan() || half > WARN_SPREAD * e.value || e.ci_low <= 0.0 {
            unidentified.push(format!("{} (a = {} 1/V)", d.name, with_ci(e)));
        }
    }
    if !unidentified.is_empty() {
        warnings.push(format!(
            "a is not identified on {} of {} devices (95 % interval wider than ±{} of the value, or holding 0: the sweep hardly leaves the ohmic region): {}; sweep to higher voltages, or leave the cell ohmic",
            unidentified.len(),
            devices.len(),
            crate::report::percent(WARN_SPREAD),
            unidentified.join(", ")
        ));
    }
    if let Some(worst) = devices
        .iter()
        .max_by(|x, y| x.written_rmse_relative.total_cmp(&y.written_rmse_relative))
    {
        if worst.written_rmse_relative > WARN_ERROR {
            warnings.push(format!(
                "the device file's a = {} 1/V misses the sweep of {} by {} of its largest current (RMS; its own a: {} 1/V)",
                sig(written, 4),
                worst.name,
                crate::report::percent(worst.written_rmse_relative),
                sig(worst.a_per_volt.value, 4)
            ));
        }
    }
    Ok(IvFit {
        devices,
        iv: IvSpec::Sinh {
            a_per_volt: written,
        },
        a,
        warnings,
    })
}

impl IvFit {
    /// The report of the fit of `file`: the voltage scale `a` over the
    /// devices.
    pub fn report(&self, file: &str) -> Section {
        let mut s = Section::new(
            "iv",
            format!(
                "I-V: {file}, {} devices: I = (g/a)·sinh(a·V), a = {} 1/V (mean over devices; D2D σ {})",
                self.devices.len(),
                with_ci(&self.a.mean),
                sig(self.a.d2d_std, 3)
            ),
        );
        let errors: Vec<f64> = self
            .devices
            .iter()
            .map(|d| d.written_rmse_relative)
            .collect();
        s.line(format!(
            "as written (each sweep with the file's a and the device's own g): RMSE relative to its largest current, median {}, largest {} (the device's own fit: median {})",
            crate::report::percent(crate::stats::median(&errors)),
            crate::report::percent(errors.iter().copied().fold(0.0, f64::max)),
            crate::report::percent(crate::stats::median(
                &self.devices.iter().map(|d| d.rmse_relative).collect::<Vec<_>>()
            ))
        ));
        for w in &self.warnings {
            s.line(format!("warning: {w}"));
        }
        s
    }
}
