//! A closed form refined by the free-running criterion: the model fitted
//! to the measured median curve run free, written instead of the
//! per-device fits' means where its curve runs closer to the median.
//!
//! The per-device fits condition each step on the measured previous point
//! (or, with read noise, fit each device's own trajectory); the device
//! file built from their means (the labels' means, the pulse counts'
//! medians, the clamp levels' means) runs free away from the measured
//! median where the model describes the devices only roughly or their
//! ramps drift from cycle to cycle: soft bounds at 3.7 % of the range on
//! `data/pulse-trains-synthetic.csv` against 1.5 % for scipy's trajectory
//! fit of the same model, the exponential model at 7.9 % on CrossSim's
//! measured ramps against 6.5 %. The same model fitted to the median curve
//! run free (output-error least squares, Ljung, *System Identification*,
//! 1999, §7.3: the per-model trajectory fits of
//! [`super::trajectory`] and [`super::soft_bounds`]) is written where its
//! noiseless curve runs closer to the median than the built one's by the
//! per-device rule's margin (a quarter plus 0.2 % of the range); the
//! C2C σ and the D2D spread stay the devices'. Both curves are the device
//! file's own, run through the library's update rule
//! ([`crate::free_run::simulate_runs`], one device, no noise).

use serde::{Deserialize, Serialize};
use xbar_devices::pulse::PulseSpec;
use xbar_devices::variability::VariabilitySpec;

use super::soft_bounds::AtLimit;
use super::trajectory::Trajectory;
use super::{exponential, soft_bounds, written::build, DeviceFit, PulseModel};
use crate::free_run::{pulse_device, simulate_runs, FreeRunError, Reference};
use crate::measurements::PulseData;

/// A closed form fitted to the measured median curve run free, beside the
/// per-device fits' means ([`super::PulseFit::soft_bounds_median`],
/// [`super::PulseFit::exponential_median`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)] // units in the names, as the report's keys
pub struct MedianCurveFit {
    /// The model.
    pub model: PulseModel,
    /// Its pulse model as fitted (C2C 0: the devices' is written).
    pub pulse: PulseSpec,
    /// The lower bound or asymptote (S, at least 0).
    pub g_min_S: f64,
    /// The upper bound or asymptote (S).
    pub g_max_S: f64,
    /// This fit's noiseless curve run free against the median (RMS,
    /// relative to the median's range).
    pub free_run_relative: f64,
    /// The per-device fits' means run the same way.
    pub devices_free_run_relative: f64,
    /// Whether it is written (closer by the margin).
    pub kept: bool,
    /// Soft bounds: the asymptotes held at their limit (0 S for `g_min`,
    /// or [`super::FAR_LIMIT_RANGES`]).
    #[serde(default, skip_serializing_if = "AtLimit::is_none")]
    pub at_limit: AtLimit,
}

/// `model` fitted to the median curve of the devices it fits, against the
/// device file their fits' means build; `None` where the model fits no
/// device or the median curve no fit.
pub(super) fn fit_median(
    data: &PulseData,
    devices: &[DeviceFit],
    model: PulseModel,
) -> Option<MedianCurveFit> {
    let exponential = model == PulseModel::Exponential;
    let fits = |d: &DeviceFit| {
        if exponential {
            d.exponential.is_some()
        } else {
            d.soft_bounds.is_some()
        }
    };
    let reference = Reference::of(data, |k| devices.get(k).is_some_and(fits))?;
    let median = &reference.median_S;
    let lo = median.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = median.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    if median.len() < 4 || range.is_nan() || range <= 0.0 {
        return None;
    }
    let traj = Trajectory {
        v: median.iter().map(|g| (g - lo) / range).collect(),
        up: reference.polarity.iter().map(|&p| p > 0).collect(),
    };
    let built = build(devices, exponential, None);
    let to_v = |g: f64| (g - lo) / range;
    let (pulse, g_min, g_max, at_limit) = match &built.pulse {
        PulseSpec::Exponential { .. } => {
            let (p, g0, g1) = exponential::median_candidate(&traj, lo, range, &built.pulse)?;
            (p, g0, g1, AtLimit::default())
        }
        PulseSpec::SoftBounds {
            alpha_up,
            alpha_down,
            ..
        } => {
            // Asymptotes the devices' fits hold at their limit are held
            // first here too (a near-linear median curve).
            let held = devices
                .iter()
                .filter_map(|d| d.soft_bounds.as_ref())
                .any(|s| !s.at_limit.is_none());
            let q = [*alpha_up, to_v(built.g_max), *alpha_down, to_v(built.g_min)];
            soft_bounds::median_candidate(&traj, lo, range, q, held)?
        }
        PulseSpec::Measured(_) => return None,
    };
    // Both device files' noiseless curves through the library.
    let noiseless = |pulse: &PulseSpec, g_min: f64, g_max: f64| {
        let quiet = pulse.with_c2c(0.0);
        let spec = pulse_device(g_min, g_max, quiet, VariabilitySpec::default());
        simulate_runs(&spec, &reference, 1, 0)
            .ok()
            .map_or(f64::INFINITY, |s| {
                FreeRunError::of(&s, &reference).mean_relative
            })
    };
    let free_run = noiseless(&pulse, g_min, g_max);
    let devices_free = noiseless(&built.pulse, built.g_min, built.g_max);
    if !free_run.is_finite() {
        return None;
    }
    Some(MedianCurveFit {
        model,
        pulse,
        g_min_S: g_min,
        g_max_S: g_max,
        free_run_relative: free_run,
        devices_free_run_relative: devices_free,
        kept: devices_free > 1.25 * free_run + 0.002,
        at_limit,
    })
}
