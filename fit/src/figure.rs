//! The figure of a pulse fit as plain data: the measured pulses of the
//! first devices, their median, and the device file's pulse model
//! simulated over the same pulses (mean ± σ of the simulated devices), as
//! named series of `(x, y)` points with their axes. Drawing is a front
//! end's business (`xbar-plots` draws it for `xbarsim device fit
//! --figure`); nothing here knows pixels.

use serde::Serialize;

use crate::measured_curve::MeasuredFit;
use crate::measurements::PulseData;
use crate::pulse::{PulseFit, PulseModel};

/// An axis: the quantity, its label and SI unit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    /// The quantity as a column name, unit in the name (`"conductance_S"`).
    pub key: &'static str,
    /// The label without the unit (`"conductance"`).
    pub label: &'static str,
    /// SI unit symbol; `""` for a count or a ratio.
    pub unit: &'static str,
}

impl Axis {
    /// `label (unit)`, or the label alone without a unit.
    pub fn title(&self) -> String {
        if self.unit.is_empty() {
            self.label.to_string()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesKind {
    /// One device's measured points, one per `x`: a line.
    Measured,
    /// One curve per device, concatenated: drawn as the mean over the
    /// points sharing an `x` with a band of ± their σ (the population).
    Population,
}

/// A named series of points.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// The legend's name for it.
    pub label: String,
    /// How it is drawn.
    pub kind: SeriesKind,
    /// `(x, y)` in the axes' units, in drawing order.
    pub points: Vec<(f64, f64)>,
}

/// The figure of a pulse fit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    /// Horizontal axis: the pulse index.
    pub x: Axis,
    /// Vertical axis: the conductance.
    pub y: Axis,
    /// The series, in legend order.
    pub series: Vec<Series>,
    /// Suggested size `(width, height)` in inches.
    pub size_in: (f64, f64),
}

/// The pulse index and the conductance after each pulse.
const PULSE: Axis = Axis {
    key: "pulse",
    label: "pulse",
    unit: "",
};
const CONDUCTANCE: Axis = Axis {
    key: "conductance_S",
    label: "conductance",
    unit: "S",
};

/// Every device's noiseless `model` curve from its first measured point,
/// concatenated (a population series).
fn noiseless(
    data: &PulseData,
    fit: &PulseFit,
    measured: Option<&MeasuredFit>,
    model: PulseModel,
    end: usize,
) -> Vec<(f64, f64)> {
    let mut points = Vec::new();
    for (train, dfit) in data.devices.iter().zip(&fit.devices) {
        let Some(first) = train.points.first() else {
            continue;
        };
        let pols: Vec<i8> = train.points[1..].iter().map(|p| p.polarity).collect();
        let curve = match (model, measured) {
            (PulseModel::Measured, Some(m)) => m
                .device_index(&train.name)
                .and_then(|k| m.model_curve(k, &pols, first.g)),
            (PulseModel::Measured, None) => None,
            (model, _) => dfit.model_curve(model, &pols, first.g),
        };
        let Some(curve) = curve else {
            continue;
        };
        points.push((first.pulse as f64, first.g));
        points.extend(
            train.points[1..]
                .iter()
                .zip(curve)
                .take_while(|(p, _)| p.pulse < end)
                .map(|(p, g)| (p.pulse as f64, g)),
        );
    }
    points
}

impl Figure {
    /// Measured pulses of the first three devices over the first LTP/LTD
    /// cycle, the measured median over the devices, and the kept model's
    /// device-file part simulated free over the same pulses as `device
    /// pulse` runs it ([`crate::free_run`]: the simulated devices' mean ± σ);
    /// beside a kept measured curve, also the closed form that fits every
    /// device (exponential first), for comparison. A fit without simulated
    /// curves (from [`crate::pulse::fit_pulses`] alone) draws each
    /// device's noiseless curve instead (mean ± σ over the devices).
    pub fn of_pulses(data: &PulseData, fit: &PulseFit, measured: Option<&MeasuredFit>) -> Self {
        // The first LTP/LTD cycle of the first device: where its polarity
        // changes the second time.
        let first = &data.devices[0].points;
        let end = first
            .windows(2)
            .filter(|w| w[1].polarity != w[0].polarity)
            .nth(1)
            .map_or(usize::MAX, |w| w[1].pulse);
        let mut series = Vec::new();
        for d in data.devices.iter().take(3) {
            let points: Vec<(f64, f64)> = d
                .points
                .iter()
                .take_while(|p| p.pulse < end)
                .map(|p| (p.pulse as f64, p.g))
                .collect();
            if !points.is_empty() {
                series.push(Series {
                    label: format!("measured {}", d.name),
                    kind: SeriesKind::Measured,
                    points,
                });
            }
        }
        // The measured median over the devices, beside them.
        let curves = fit.free_run_curves.as_ref();
        if let Some(c) = curves.filter(|_| data.devices.len() > 1) {
            let r = &c.reference;
            series.push(Series {
                label: "measured median".into(),
                kind: SeriesKind::Measured,
                points: (0..r.pulse.len())
                    .take_while(|&i| r.pulse[i] < end)
                    .map(|i| (r.pulse[i] as f64, r.median_S[i]))
                    .collect(),
            });
        }
        let mut models = vec![fit.chosen];
        if fit.chosen == PulseModel::Measured {
            let fits_all = |f: &dyn Fn(&crate::pulse::DeviceFit) -> bool| fit.devices.iter().all(f);
            if fits_all(&|d| d.exponential.is_some()) {
                models.push(PulseModel::Exponential);
            } else if fits_all(&|d| d.soft_bounds.is_some()) {
                models.push(PulseModel::SoftBounds);
            }
        }
        // Each model's device-file part as `device pulse` runs it: the
        // simulated devices' mean ± σ after each pulse, as two points
        // `mean ± σ/√2` per pulse (whose mean and sample σ are exactly
        // those); without simulated curves, the noiseless per-device curves.
        for model in models {
            let simulated = curves.and_then(|c| {
                c.simulated
                    .iter()
                    .find(|(m, _)| *m == model)
                    .map(|(_, s)| (&c.reference, s))
            });
            let points = match simulated {
                Some((r, sim)) => {
                    let mut points = Vec::new();
                    for i in (0..r.pulse.len()).take_while(|&i| r.pulse[i] < end) {
                        let d = sim.std_S[i] / std::f64::consts::SQRT_2;
                        let x = r.pulse[i] as f64;
                        points.push((x, sim.mean_S[i] - d));
                        points.push((x, sim.mean_S[i] + d));
                    }
                    points
                }
                None => noiseless(data, fit, measured, model, end),
            };
            // A model that follows no device draws nothing (no empty entry
            // in the legend).
            if !points.is_empty() {
                let label = if simulated.is_some() {
                    format!("simulated {model} (device file), mean ± σ")
                } else {
                    format!("fit ({model}), mean ± σ")
                };
                series.push(Series {
                    label,
                    kind: SeriesKind::Population,
                    points,
                });
            }
        }
        Figure {
            x: PULSE,
            y: CONDUCTANCE,
            series,
            size_in: (5.0, 3.2),
        }
    }
}
