//! `device-drift`: conductance statistics over time after programming.
//! `devices` devices are programmed to each target (one `devices × targets`
//! array: programming noise, device-to-device spread), then read at each
//! time — drifted by the device's `[drift]` model,
//! `G(t) = G(t₀)·(t/t₀)^(−ν)`, with read noise unless `read_noise = false`
//! (see [`xbar_devices::drift`], [`xbar_devices::read_noise`]).
//! `xbarsim device drift` is a one-point run of this kind.

use serde::{Deserialize, Serialize};
use xbar_devices::DeviceSpec;

use crate::context::Context;
use crate::kinds::{at_least_one, check_list, ExperimentKind, FieldError, KindError};
use crate::measure::{drift_stats, DEFAULT_TARGET_FRACTIONS, DEFAULT_TIMES};

/// `[drift]`: `devices` devices at each target, read at each time.
#[allow(non_snake_case)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftSection {
    /// Devices per target (≥ 1).
    pub devices: usize,
    /// Targets as fractions of the range above `g_min`, in `[0, 1]`.
    pub target_fractions: Vec<f64>,
    /// Targets in siemens, instead of `target_fractions`.
    pub targets_S: Option<Vec<f64>>,
    /// Read times after programming (s, ≥ 0).
    pub times_s: Vec<f64>,
    /// Add read noise to each read (else the noiseless drifted value).
    pub read_noise: bool,
}

impl Default for DriftSection {
    fn default() -> Self {
        DriftSection {
            devices: 1000,
            target_fractions: DEFAULT_TARGET_FRACTIONS.to_vec(),
            targets_S: None,
            times_s: DEFAULT_TIMES.to_vec(),
            read_noise: true,
        }
    }
}

impl DriftSection {
    /// The targets (S): `targets_S`, else `g_min + f·(g_max − g_min)` for
    /// each fraction `f`.
    pub fn targets(&self, device: &DeviceSpec) -> Vec<f64> {
        match &self.targets_S {
            Some(t) => t.clone(),
            None => self
                .target_fractions
                .iter()
                .map(|f| device.g_min.siemens() + f * device.range())
                .collect(),
        }
    }
}

crate::sections! {
    /// `device-drift` settings.
    pub struct Settings {
        /// `[drift]`.
        pub drift: DriftSection,
    }
}

/// The conductances at one target and one time.
#[allow(non_snake_case)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Programmed target conductance (S).
    pub target_S: f64,
    /// Time since programming (s).
    pub time_s: f64,
    /// Devices programmed to the target.
    pub devices: u64,
    /// Mean conductance read (S).
    pub conductance_mean_S: f64,
    /// Population standard deviation (S).
    pub conductance_std_S: f64,
    /// Smallest conductance (S).
    pub conductance_min_S: f64,
    /// 5th percentile, linear interpolation between order statistics (S).
    pub conductance_p05_S: f64,
    /// Median (S).
    pub conductance_median_S: f64,
    /// 95th percentile (S).
    pub conductance_p95_S: f64,
    /// Largest conductance (S).
    pub conductance_max_S: f64,
    /// Mean over target.
    pub conductance_ratio: f64,
}

/// The `device-drift` kind.
pub struct DeviceDrift;

impl ExperimentKind for DeviceDrift {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, _: &DeviceSpec) -> Result<(), FieldError> {
        let d = &s.drift;
        at_least_one("drift.devices", d.devices, "device")?;
        match &d.targets_S {
            Some(targets) => {
                if d.target_fractions != DEFAULT_TARGET_FRACTIONS {
                    return Err(FieldError::new(
                        "drift.targets_S",
                        "give either `targets_S` or `target_fractions`, not both",
                    ));
                }
                check_list(
                    "drift.targets_S",
                    targets,
                    |g| g >= 0.0,
                    "conductances ≥ 0 S",
                )?;
            }
            None => check_list(
                "drift.target_fractions",
                &d.target_fractions,
                |f| (0.0..=1.0).contains(&f),
                "fractions in [0, 1]",
            )?,
        }
        check_list("drift.times_s", &d.times_s, |t| t >= 0.0, "times ≥ 0 s")
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        _: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let d = &s.drift;
        let targets = d.targets(device);
        let rows = drift_stats(device, d.devices, &targets, &d.times_s, seed, d.read_noise)?;
        Ok(rows
            .iter()
            .map(|r| Row {
                target_S: r.target,
                time_s: r.time,
                devices: r.stats.count as u64,
                conductance_mean_S: r.stats.mean,
                conductance_std_S: r.stats.std,
                conductance_min_S: r.stats.min,
                conductance_p05_S: r.stats.p05,
                conductance_median_S: r.stats.median,
                conductance_p95_S: r.stats.p95,
                conductance_max_S: r.stats.max,
                conductance_ratio: r.stats.mean / r.target,
            })
            .collect())
    }
}
