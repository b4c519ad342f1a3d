//! The device file as written from the per-device fits: each closed
//! form's pulse model, D2D spread and population table from the devices it
//! fits ([`super::PulseFit::device_part`]), and each device's noiseless
//! curve under a fitted model.

use xbar_devices::pulse::{PulseSpec, NL_MAX};
use xbar_devices::variability::VariabilitySpec;

use super::{
    population, DeviceFit, ExponentialFit, MedianCurveFit, ModelChoice, ModelTotals, Population,
    PulseFit, PulseModel, SoftBoundsFit,
};
use crate::free_run::FreeRunError;
use crate::measured_curve::MeasuredFit;
use crate::measurements::{DataError, DeviceTrain};
use crate::stats::{mean, median, Estimate};

/// A closed form's part of the device file from the devices it fits: the
/// pulse model (the labels' means, the pulse counts' medians, the RMS C2C;
/// soft bounds: the α means), the nominal range (the means of the
/// devices' clamp levels), the D2D spread and the population table.
pub(crate) struct Built {
    pub pulse: PulseSpec,
    pub variability: VariabilitySpec,
    pub g_min: f64,
    pub g_max: f64,
    pub population: Vec<(String, Population)>,
}

pub(super) fn build(
    devices: &[DeviceFit],
    exponential: bool,
    median_fit: Option<&MedianCurveFit>,
) -> Built {
    let g_mins: Vec<f64>;
    let g_maxs: Vec<f64>;
    let mut pop = Vec::new();
    let mut pulse;
    let mut variability = VariabilitySpec::default();
    if exponential {
        let fits: Vec<(&DeviceFit, &ExponentialFit)> = devices
            .iter()
            .filter_map(|d| d.exponential.as_ref().map(|e| (d, e)))
            .collect();
        let get = |f: &dyn Fn(&ExponentialFit) -> Estimate| {
            let v: Vec<Estimate> = fits.iter().map(|(_, e)| f(e)).collect();
            population(
                &v.iter().map(|e| e.value).collect::<Vec<_>>(),
                &v.iter().map(|e| e.std_error).collect::<Vec<_>>(),
            )
        };
        let nl_ltp = get(&|e| e.nl_ltp);
        let nl_ltd = get(&|e| e.nl_ltd);
        let p_ltp = get(&|e| e.pulses_ltp);
        let p_ltd = get(&|e| e.pulses_ltd);
        let c2c = get(&|e| e.c2c);
        g_mins = fits.iter().map(|(_, e)| e.g_min_S.value).collect();
        g_maxs = fits.iter().map(|(_, e)| e.g_max_S.value).collect();
        let c2c_rms = mean(
            &fits
                .iter()
                .map(|(_, e)| e.c2c.value.powi(2))
                .collect::<Vec<_>>(),
        )
        .sqrt();
        let round_pulses = |x: f64| x.round().clamp(1.0, f64::from(u32::MAX)) as u32;
        pulse = PulseSpec::Exponential {
            pulses_ltp: round_pulses(median(
                &fits
                    .iter()
                    .map(|(_, e)| e.pulses_ltp.value)
                    .collect::<Vec<_>>(),
            )),
            pulses_ltd: round_pulses(median(
                &fits
                    .iter()
                    .map(|(_, e)| e.pulses_ltd.value)
                    .collect::<Vec<_>>(),
            )),
            nl_ltp: nl_ltp.mean.value.clamp(-NL_MAX, NL_MAX),
            nl_ltd: nl_ltd.mean.value.clamp(-NL_MAX, NL_MAX),
            c2c: c2c_rms,
        };
        variability.nl = ((nl_ltp.d2d_std.powi(2) + nl_ltd.d2d_std.powi(2)) / 2.0)
            .sqrt()
            .min(NL_MAX);
        for (k, p) in [
            ("nl_ltp", nl_ltp),
            ("nl_ltd", nl_ltd),
            ("pulses_ltp", p_ltp),
            ("pulses_ltd", p_ltd),
            ("c2c", c2c),
        ] {
            pop.push((k.to_string(), p));
        }
    } else {
        let fits: Vec<&SoftBoundsFit> = devices
            .iter()
            .filter_map(|d| d.soft_bounds.as_ref())
            .collect();
        let get = |f: &dyn Fn(&SoftBoundsFit) -> Estimate| {
            let v: Vec<Estimate> = fits.iter().map(|e| f(e)).collect();
            population(
                &v.iter().map(|e| e.value).collect::<Vec<_>>(),
                &v.iter().map(|e| e.std_error).collect::<Vec<_>>(),
            )
        };
        let a_up = get(&|e| e.alpha_up);
        let a_down = get(&|e| e.alpha_down);
        let c2c = get(&|e| e.c2c);
        g_mins = fits.iter().map(|e| e.g_min_S.value.max(0.0)).collect();
        g_maxs = fits.iter().map(|e| e.g_max_S.value).collect();
        let c2c_rms = mean(&fits.iter().map(|e| e.c2c.value.powi(2)).collect::<Vec<_>>()).sqrt();
        pulse = PulseSpec::SoftBounds {
            alpha_up: a_up.mean.value,
            alpha_down: a_down.mean.value,
            c2c: c2c_rms,
        };
        for (k, p) in [("alpha_up", a_up), ("alpha_down", a_down), ("c2c", c2c)] {
            pop.push((k.to_string(), p));
        }
    }
    let g_min_pop = population(&g_mins, &vec![0.0; g_mins.len()]);
    let g_max_pop = population(&g_maxs, &vec![0.0; g_maxs.len()]);
    let mut g_min = g_min_pop.mean.value.max(0.0);
    let mut g_max = g_max_pop.mean.value;
    // Refined by the free-running criterion: the median curve's fit where
    // it runs closer (the C2C σ and the D2D spread stay the devices').
    if let Some(m) =
        median_fit.filter(|m| m.kept && (m.model == PulseModel::Exponential) == exponential)
    {
        let c2c = pulse.c2c();
        pulse = m.pulse.with_c2c(c2c);
        g_min = m.g_min_S;
        g_max = m.g_max_S;
    }
    if g_min > 0.0 {
        variability.g_min = (g_min_pop.d2d_std / g_min).min(1.0);
    }
    variability.g_max = (g_max_pop.d2d_std / g_max).min(1.0);
    pop.insert(0, ("g_max_S".to_string(), g_max_pop));
    pop.insert(0, ("g_min_S".to_string(), g_min_pop));
    Built {
        pulse,
        variability,
        g_min,
        g_max,
        population: pop,
    }
}

impl PulseFit {
    /// `model`'s part of the device file — `(g_min, g_max, pulse,
    /// variability)` — as it is or would be written: the kept model's own,
    /// a closed form's from the devices it fits, the measured curve's from
    /// `measured`; `None` when the model fits no device.
    pub fn device_part(
        &self,
        model: PulseModel,
        measured: Option<&MeasuredFit>,
    ) -> Option<(f64, f64, PulseSpec, VariabilitySpec)> {
        if model == self.chosen {
            return Some((
                self.g_min_S,
                self.g_max_S,
                self.pulse.clone(),
                self.variability,
            ));
        }
        match model {
            PulseModel::Measured => {
                let m = measured?;
                let (variability, _) = crate::measured_curve::spread(m);
                Some((
                    m.g_min_S,
                    m.g_max_S,
                    PulseSpec::Measured(Box::new(m.curve.clone())),
                    variability,
                ))
            }
            closed => {
                let exponential = closed == PulseModel::Exponential;
                let fits = self.devices.iter().any(|d| {
                    if exponential {
                        d.exponential.is_some()
                    } else {
                        d.soft_bounds.is_some()
                    }
                });
                fits.then(|| {
                    let b = build(&self.devices, exponential, self.median_fit(exponential));
                    (b.g_min, b.g_max, b.pulse, b.variability)
                })
            }
        }
    }

    /// Makes `model` the kept one (its device-file part, range, D2D spread
    /// and population) with `reason`; false, and nothing changed, when the
    /// model fits no device.
    pub fn keep(
        &mut self,
        model: PulseModel,
        measured: Option<&MeasuredFit>,
        reason: String,
    ) -> bool {
        match model {
            PulseModel::Measured => {
                let Some(m) = measured else {
                    return false;
                };
                crate::measured_curve::choose(self, m, ModelChoice::Only(PulseModel::Measured));
            }
            closed => {
                let exponential = closed == PulseModel::Exponential;
                let fits = self.devices.iter().any(|d| {
                    if exponential {
                        d.exponential.is_some()
                    } else {
                        d.soft_bounds.is_some()
                    }
                });
                if !fits {
                    return false;
                }
                let b = build(&self.devices, exponential, self.median_fit(exponential));
                self.chosen = closed;
                self.pulse = b.pulse;
                self.variability = b.variability;
                self.g_min_S = b.g_min;
                self.g_max_S = b.g_max;
                self.population = b.population;
            }
        }
        self.reason = reason;
        true
    }

    /// The median curve's fit of the exponential model or soft bounds.
    fn median_fit(&self, exponential: bool) -> Option<&MedianCurveFit> {
        if exponential {
            self.exponential_median.as_ref()
        } else {
            self.soft_bounds_median.as_ref()
        }
    }

    /// The free-running error of `model`, when it was simulated.
    pub fn free_run_of(&self, model: PulseModel) -> Option<FreeRunError> {
        self.free_run
            .iter()
            .find(|f| f.model == model)
            .map(|f| f.error)
    }

    /// `model`'s totals over the devices it fits: the closed forms' from
    /// this fit, the measured curve's from `measured`; `None` when the model
    /// fits no device or was not fitted.
    pub fn totals(&self, model: PulseModel, measured: Option<&MeasuredFit>) -> Option<ModelTotals> {
        match model {
            PulseModel::Exponential => self.exponential,
            PulseModel::SoftBounds => self.soft_bounds,
            PulseModel::Measured => measured.map(|m| m.totals),
        }
    }
}

impl DeviceFit {
    /// A device no model fits: its measured extremes and `why` as both
    /// models' note.
    pub(super) fn failed(d: &DeviceTrain, why: &DataError) -> Self {
        let g = d.points.iter().map(|p| p.g);
        let why = why.to_string();
        DeviceFit {
            name: d.name.clone(),
            points: d.points.len(),
            half_cycles: d.half_cycles(),
            steps_at_bound: 0,
            g_min_S: g.clone().fold(f64::INFINITY, f64::min),
            g_max_S: g.fold(f64::NEG_INFINITY, f64::max),
            exponential: None,
            exponential_note: Some(why.clone()),
            soft_bounds: None,
            soft_bounds_note: Some(why),
        }
    }

    /// Whether neither closed form fits the device.
    pub fn failed_both(&self) -> bool {
        self.exponential.is_none() && self.soft_bounds.is_none()
    }

    /// The device's noiseless conductance under the fitted closed-form
    /// `model` after each pulse of `polarities`, from `g0`, through the
    /// library's own update rules; `None` when that model does not fit the
    /// device (or is the measured curve, which is not fitted per device:
    /// [`crate::measured_curve::MeasuredFit::model_curve`]).
    pub fn model_curve(&self, model: PulseModel, polarities: &[i8], g0: f64) -> Option<Vec<f64>> {
        match model {
            PulseModel::Exponential => Some(self.exponential.as_ref()?.curve(polarities, g0)),
            PulseModel::SoftBounds => Some(self.soft_bounds.as_ref()?.curve(polarities, g0)),
            PulseModel::Measured => None,
        }
    }
}
