//! The report of a pulse fit: the models compared, the one kept and why,
//! the population of the kept model's parameters, and each device.

use xbar_devices::units::{format_si, format_significant as sig};

use super::{PulseFit, PulseModel};
use crate::measured_curve::MeasuredFit;
use crate::measurements::PulseData;
use crate::report::{percent, with_ci, Section};

/// `"; g_min at its limit"` and the like, for a median-curve fit.
fn held(at: super::AtLimit) -> String {
    match (at.g_min, at.g_max) {
        (false, false) => String::new(),
        (true, false) => " (g_min held at its limit)".into(),
        (false, true) => " (g_max held at its limit)".into(),
        (true, true) => " (g_min and g_max held at their limits)".into(),
    }
}

impl PulseFit {
    /// Three sections: the models compared on `data` (with the measured
    /// curve's tables, when it was fitted), the population of the kept
    /// model's parameters, and the fit of each device.
    pub fn report(&self, data: &PulseData, measured: Option<&MeasuredFit>) -> Vec<Section> {
        vec![
            self.models_section(data, measured),
            self.population_section(),
            self.devices_section(measured),
        ]
    }

    fn models_section(&self, data: &PulseData, measured: Option<&MeasuredFit>) -> Section {
        let mut s = Section::new(
            "pulses",
            format!(
                "Pulse trains: {} ({} layout), {} devices",
                data.file,
                data.layout,
                data.devices.len()
            ),
        );
        let mut models = Vec::new();
        // Each model's totals over the devices it fits, and its device-file
        // part run free.
        for model in PulseModel::ALL {
            if let Some(m) = self.totals(model, measured) {
                let free = self.free_run_of(model);
                models.push(vec![
                    model.name().to_string(),
                    m.devices.to_string(),
                    percent(m.rmse_relative),
                    sig(m.r2, 5),
                    format!("{:.1}", m.aic),
                    format!("{:.1}", m.bic),
                    free.map_or("-".into(), |f| percent(f.mean_relative)),
                    free.map_or("-".into(), |f| percent(f.median_relative)),
                ]);
            }
        }
        s.table(
            &[
                "model",
                "devices",
                "RMSE/range",
                "R²",
                "AIC",
                "BIC",
                "free-run mean",
                "free-run median",
            ],
            models,
        );
        if let Some(f) = self.free_run.first() {
            s.line(format!(
                "RMSE, R², AIC and BIC are one step ahead (each step from the measured previous point); free-run: the device file's pulse model, range and D2D spread simulated by {} devices over the measured pulses ({}), RMS of the simulated mean (median) against the measured median curve, relative to its range",
                f.error.runs, f.error.pulses
            ));
        }
        s.line(format!("kept: {} ({})", self.chosen, self.reason));
        for line in self.warnings() {
            s.line(format!("warning: {line}"));
        }
        if let Some(line) = self.estimator_line() {
            s.line(line);
        }
        for m in [&self.exponential_median, &self.soft_bounds_median]
            .into_iter()
            .flatten()
        {
            let parameters = match &m.pulse {
                xbar_devices::pulse::PulseSpec::Exponential {
                    pulses_ltp,
                    pulses_ltd,
                    nl_ltp,
                    nl_ltd,
                    ..
                } => format!(
                    "pulses_ltp {pulses_ltp}, pulses_ltd {pulses_ltd}, nl_ltp {}, nl_ltd {}",
                    sig(*nl_ltp, 3),
                    sig(*nl_ltd, 3)
                ),
                xbar_devices::pulse::PulseSpec::SoftBounds {
                    alpha_up,
                    alpha_down,
                    ..
                } => format!("α_up {}, α_down {}", sig(*alpha_up, 3), sig(*alpha_down, 3)),
                xbar_devices::pulse::PulseSpec::Measured(_) => String::new(),
            };
            s.line(format!(
                "{} written from {}: fitted to the measured median curve run free, it lies {} of the range from it (noiseless), the per-device fits' means {} (the median curve's fit is written where it runs closer by a quarter plus 0.2 %; C2C and D2D from the devices); {parameters}, g_min {}, g_max {}",
                m.model,
                if m.kept { "the median curve's fit" } else { "the per-device fits' means" },
                percent(m.free_run_relative),
                percent(m.devices_free_run_relative),
                format_si(m.g_min_S, "S"),
                format_si(m.g_max_S, "S"),
            ) + &held(m.at_limit));
        }
        if let Some(line) = self.at_limit_line() {
            s.line(line);
        }
        if let Some(m) = measured {
            let bins = |t: Option<&xbar_devices::pulse::StepTable>| {
                t.map_or("-".to_string(), |t| t.bins().to_string())
            };
            s.line(format!(
                "measured curve: bins LTP {} / LTD {}, turn tables into LTP {} / into LTD {} (turn steps {} / {}), {} sparse bins merged, {} bins pooled with a neighbour for a mean step of the wrong sign, {} table parameters",
                m.curve.ltp.bins(),
                m.curve.ltd.bins(),
                bins(m.curve.turn_ltp.as_ref()),
                bins(m.curve.turn_ltd.as_ref()),
                m.turn_steps[0],
                m.turn_steps[1],
                m.merged_bins,
                m.pooled_bins,
                m.table_parameters
            ));
            if !m.excluded.is_empty() {
                s.line(format!(
                    "warning: {} of {} devices left out of the measured curve: {}",
                    m.excluded.len(),
                    m.excluded.len() + m.devices.len(),
                    m.excluded.join("; ")
                ));
            }
        }
        s
    }

    /// Soft-bounds devices whose asymptotes are held at their limit
    /// ([`super::FAR_LIMIT_RANGES`]), and why.
    fn at_limit_line(&self) -> Option<String> {
        let fits: Vec<(&str, &super::SoftBoundsFit)> = self
            .devices
            .iter()
            .filter_map(|d| d.soft_bounds.as_ref().map(|s| (d.name.as_str(), s)))
            .collect();
        let held: Vec<String> = fits
            .iter()
            .filter(|(_, s)| !s.at_limit.is_none())
            .map(|(name, s)| {
                format!(
                    "{name} (g_min {}{}, g_max {}{})",
                    format_si(s.g_min_S.value, "S"),
                    if s.at_limit.g_min { " at limit" } else { "" },
                    format_si(s.g_max_S.value, "S"),
                    if s.at_limit.g_max { " at limit" } else { "" },
                )
            })
            .collect();
        if held.is_empty() {
            return None;
        }
        let shown = held.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
        Some(format!(
            "soft bounds: asymptotes held at their limit on {} of {} devices ({shown}{}): run free, the fitted asymptotes lie beyond {} measured ranges from the data or, for g_min, below 0 S — a near-linear ramp (its steps change by less than 1/{} across the range), which soft bounds reach only with asymptotes at infinity; held at the limit, α fitted by the trajectory run free, the asymptote's interval not identified",
            held.len(),
            fits.len(),
            if held.len() > 5 { ", …" } else { "" },
            super::FAR_LIMIT_RANGES,
            super::FAR_LIMIT_RANGES,
        ))
    }

    /// What the report must say about a fit that does not reproduce the
    /// data: the kept model running free more than
    /// [`WARN_ERROR`](crate::free_run::WARN_ERROR) of the range from the
    /// measured curve, another model running free at most two thirds as far,
    /// and devices no model fits.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        let kept = self.free_run_of(self.chosen);
        if let Some(k) = kept {
            if k.mean_relative > crate::free_run::WARN_ERROR {
                out.push(format!(
                    "the kept {} model does not reproduce the measured curve: run free, its simulated mean lies {} of the range from the measured median (RMS; at most {} at one pulse); the one-step figures above do not show this",
                    self.chosen,
                    percent(k.mean_relative),
                    percent(k.max_relative)
                ));
            }
            if let Some(better) = self
                .free_run
                .iter()
                .filter(|f| f.model != self.chosen)
                .min_by(|a, b| a.error.mean_relative.total_cmp(&b.error.mean_relative))
            {
                if better.error.mean_relative < k.mean_relative * 2.0 / 3.0
                    && k.mean_relative - better.error.mean_relative > 0.01
                {
                    out.push(format!(
                        "run free, {} follows the measured curve closer than the kept {} ({} against {} of the range); consider --model {}",
                        better.model.words(),
                        self.chosen,
                        percent(better.error.mean_relative),
                        percent(k.mean_relative),
                        better.model.name()
                    ));
                }
            }
        }
        let failed: Vec<String> = self
            .devices
            .iter()
            .filter(|d| d.failed_both())
            .map(|d| {
                format!(
                    "{} ({})",
                    d.name,
                    d.exponential_note.clone().unwrap_or_default()
                )
            })
            .collect();
        if !failed.is_empty() {
            out.push(format!(
                "{} of {} devices fitted by no closed form, left out of the population: {}",
                failed.len(),
                self.devices.len(),
                failed.join("; ")
            ));
        }
        out
    }

    /// Which estimator the exponential fits kept, and the read noise found
    /// in the steps.
    fn estimator_line(&self) -> Option<String> {
        let fits: Vec<&super::ExponentialFit> = self
            .devices
            .iter()
            .filter_map(|d| d.exponential.as_ref())
            .collect();
        if fits.is_empty() {
            return None;
        }
        let trajectory = fits
            .iter()
            .filter(|e| e.estimator == super::Estimator::Trajectory)
            .count();
        let noisy: Vec<&&super::ExponentialFit> =
            fits.iter().filter(|e| e.step_noise.read_noise).collect();
        let median = |v: Vec<f64>| crate::free_run::median_of(&v);
        let mut line = format!(
            "exponential estimator: step fit on {} devices, trajectory fit on {trajectory} (kept where its noiseless curve runs closer to the device by a quarter); lag-1 autocorrelation of the one-step residuals, median {}",
            fits.len() - trajectory,
            sig(median(fits.iter().map(|e| e.step_noise.lag1).collect()), 2)
        );
        if noisy.is_empty() {
            line += " (no read noise seen)";
        } else {
            line += &format!(
                "; read noise on {} of {} devices (lag-1 below −2/√pairs; −0.5 when it dominates), σ_read median {} of the range, C2C net of it by the state-space likelihood",
                noisy.len(),
                fits.len(),
                percent(median(noisy.iter().map(|e| e.step_noise.read_sigma).collect()))
            );
        }
        Some(line)
    }

    fn population_section(&self) -> Section {
        let rows: Vec<Vec<String>> = self
            .population
            .iter()
            .map(|(key, p)| {
                let num = |x: f64| {
                    if key.ends_with("_S") {
                        format_si(x, "S")
                    } else {
                        sig(x, 3)
                    }
                };
                let mean = if key.ends_with("_S") {
                    format!(
                        "{} [{}, {}]",
                        num(p.mean.value),
                        num(p.mean.ci_low),
                        num(p.mean.ci_high)
                    )
                } else {
                    with_ci(&p.mean)
                };
                vec![
                    key.clone(),
                    mean,
                    num(p.std),
                    num(p.d2d_std),
                    p.devices.to_string(),
                ]
            })
            .collect();
        let mut s = Section::new(
            "pulse-population",
            "Population (mean [95 % CI of the mean], σ of the per-device fits, device-to-device σ):",
        );
        s.table(
            &["parameter", "mean [95 % CI]", "σ", "D2D σ", "devices"],
            rows,
        );
        s
    }

    fn devices_section(&self, measured: Option<&MeasuredFit>) -> Section {
        let mut rows = Vec::new();
        for d in &self.devices {
            let mut row = vec![
                d.name.clone(),
                format_si(d.g_min_S, "S"),
                format_si(d.g_max_S, "S"),
            ];
            match self.chosen {
                PulseModel::Measured => {
                    let q = measured
                        .and_then(|m| m.devices.iter().find(|x| x.name == d.name))
                        .map(|x| x.quality);
                    row.push(q.map_or(String::new(), |q| percent(q.rmse_relative)));
                }
                PulseModel::Exponential => match &d.exponential {
                    Some(e) => row.extend([
                        with_ci(&e.nl_ltp),
                        with_ci(&e.nl_ltd),
                        with_ci(&e.pulses_ltp),
                        with_ci(&e.pulses_ltd),
                        with_ci(&e.c2c),
                        percent(e.quality.rmse_relative),
                        percent(e.free_run_relative),
                        match e.estimator {
                            super::Estimator::Steps => "steps".into(),
                            super::Estimator::Trajectory => "trajectory".into(),
                        },
                    ]),
                    None => {
                        row.push(format!(
                            "no fit: {}",
                            d.exponential_note.clone().unwrap_or_default()
                        ));
                        row.extend(std::iter::repeat_n(String::new(), 7));
                    }
                },
                PulseModel::SoftBounds => match &d.soft_bounds {
                    Some(s) => row.extend([
                        with_ci(&s.alpha_up),
                        with_ci(&s.alpha_down),
                        with_ci(&s.c2c),
                        percent(s.quality.rmse_relative),
                    ]),
                    None => {
                        row.push(format!(
                            "no fit: {}",
                            d.soft_bounds_note.clone().unwrap_or_default()
                        ));
                        row.extend(std::iter::repeat_n(String::new(), 3));
                    }
                },
            }
            rows.push(row);
        }
        let header: &[&str] = match self.chosen {
            PulseModel::Measured => &["device", "g_min", "g_max", "RMSE/range"],
            PulseModel::Exponential => &[
                "device",
                "g_min",
                "g_max",
                "nl_ltp",
                "nl_ltd",
                "pulses_ltp",
                "pulses_ltd",
                "c2c",
                "RMSE/range",
                "free-run",
                "estimator",
            ],
            PulseModel::SoftBounds => &[
                "device",
                "g_min",
                "g_max",
                "alpha_up",
                "alpha_down",
                "c2c",
                "RMSE/range",
            ],
        };
        let title = if self.chosen == PulseModel::Exponential {
            "Per device (RMSE one step ahead; free-run: the device's noiseless curve from its first point, RMS against its points, relative to its range):"
        } else {
            "Per device:"
        };
        let mut s = Section::new("pulse-devices", title);
        s.table(header, rows);
        s
    }
}
