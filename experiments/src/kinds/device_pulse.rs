//! `device-pulse`: the LTP/LTD conductance curve of `devices` devices under
//! identical pulses — the initial state, `pulses_ltp` single +1 pulses,
//! then `pulses_ltd` single −1 pulses (one 1 × `devices` array, so each
//! device draws its own device-to-device parameters and cycle-to-cycle
//! noise; the update model is the device's `[pulse]` section, see
//! [`xbar_devices::pulse`]). `xbarsim device pulse` is a one-point run of
//! this kind.

use serde::{Deserialize, Serialize};
use xbar_devices::DeviceSpec;

use crate::context::Context;
use crate::kinds::{at_least_one, ExperimentKind, FieldError, KindError};
use crate::measure::{default_pulses, no_pulse_model, pulse_curve, MeasureError};

/// `[pulse]`: the pulse curve of `devices` devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PulseSection {
    /// Devices pulsed together (mean and spread over them; ≥ 1).
    pub devices: usize,
    /// +1 pulses; default: the device's full range.
    pub pulses_ltp: Option<u32>,
    /// −1 pulses after the LTP pulses; default: the device's full range.
    pub pulses_ltd: Option<u32>,
}

impl Default for PulseSection {
    fn default() -> Self {
        PulseSection {
            devices: 100,
            pulses_ltp: None,
            pulses_ltd: None,
        }
    }
}

crate::sections! {
    /// `device-pulse` settings.
    pub struct Settings {
        /// `[pulse]`.
        pub pulse: PulseSection,
    }
}

/// One step of the curve: the conductances of all devices after it.
#[allow(non_snake_case)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Cumulative pulse index (0: before any pulse).
    pub pulse: u64,
    /// `initial`, `ltp` (+1 pulse per step) or `ltd` (−1 pulse per step).
    pub phase: String,
    /// Mean conductance over the devices (S).
    pub conductance_mean_S: f64,
    /// Population standard deviation over the devices (S).
    pub conductance_std_S: f64,
    /// Smallest conductance (S).
    pub conductance_min_S: f64,
    /// Largest conductance (S).
    pub conductance_max_S: f64,
    /// `(mean − g_min)/(g_max − g_min)`.
    pub conductance_norm: f64,
}

/// The `device-pulse` kind.
pub struct DevicePulse;

impl ExperimentKind for DevicePulse {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
        at_least_one("pulse.devices", s.pulse.devices, "device")?;
        if device.pulse.is_none() {
            return Err(FieldError::new(
                "device",
                no_pulse_model(device).to_string(),
            ));
        }
        Ok(())
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        _: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let p = &s.pulse;
        let (ltp, ltd) = default_pulses(device).ok_or_else(|| no_pulse_model(device))?;
        let plan = (p.pulses_ltp.unwrap_or(ltp), p.pulses_ltd.unwrap_or(ltd));
        let (g_min, range) = (device.g_min.siemens(), device.range());
        let mut rows = Vec::new();
        pulse_curve::<MeasureError>(device, p.devices, plan, seed, |pulse, phase, g| {
            let n = g.len() as f64;
            let mean = g.iter().sum::<f64>() / n;
            let std = (g.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n).sqrt();
            rows.push(Row {
                pulse,
                phase: phase.label().into(),
                conductance_mean_S: mean,
                conductance_std_S: std,
                conductance_min_S: g.iter().copied().fold(f64::INFINITY, f64::min),
                conductance_max_S: g.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                conductance_norm: (mean - g_min) / range,
            });
            Ok(())
        })?;
        Ok(rows)
    }
}
