//! The report of a pulse fit: the models compared, the one kept and why,
//! the population of the kept model's parameters, and each device.

use xbar_devices::units::{format_si, format_significant as sig};

use super::{PulseFit, PulseModel};
use crate::measured_curve::MeasuredFit;
use crate::measurements::PulseData;
use crate::report::{percent, with_ci, Section};

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
        // Each model's totals over the devices it fits.
        for model in PulseModel::ALL {
            if let Some(m) = self.totals(model, measured) {
                models.push(vec![
                    model.name().to_string(),
                    m.devices.to_string(),
                    percent(m.rmse_relative),
                    sig(m.r2, 5),
                    format!("{:.1}", m.aic),
                    format!("{:.1}", m.bic),
                ]);
            }
        }
        s.table(
            &["model", "devices", "RMSE/range", "R²", "AIC", "BIC"],
            models,
        );
        s.line(format!("kept: {} ({})", self.chosen, self.reason));
        if let Some(m) = measured {
            let bins = |t: Option<&xbar_devices::pulse::StepTable>| {
                t.map_or("-".to_string(), |t| t.bins().to_string())
            };
            s.line(format!(
                "measured curve: bins LTP {} / LTD {}, turn tables into LTP {} / into LTD {} (turn steps {} / {}), {} sparse bins merged, {} table parameters",
                m.curve.ltp.bins(),
                m.curve.ltd.bins(),
                bins(m.curve.turn_ltp.as_ref()),
                bins(m.curve.turn_ltd.as_ref()),
                m.turn_steps[0],
                m.turn_steps[1],
                m.merged_bins,
                m.table_parameters
            ));
        }
        s
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
                    ]),
                    None => {
                        row.push(format!(
                            "no fit: {}",
                            d.exponential_note.clone().unwrap_or_default()
                        ));
                        row.extend(std::iter::repeat_n(String::new(), 5));
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
        let mut s = Section::new("pulse-devices", "Per device:");
        s.table(header, rows);
        s
    }
}
