//! The devices of the protocol, normalised to `g ∈ [0, 1]`: each cell's
//! LTP/LTD curves, drift state, pulse tallies, and the random streams and
//! ν draws of an update.

use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use xbar_devices::drift::DriftSpec;
use xbar_devices::pulse::{ExponentialCurve, PulseSpec};
use xbar_devices::{AccessSpec, DeviceError, DeviceSpec};

use super::config::NeurosimConfig;

use crate::hardware::HardwareError;
use crate::train::TrainError;

/// The LTP and LTD curves of one cell, normalised to `g ∈ [0, 1]`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Curves {
    pub(super) ltp: ExponentialCurve,
    pub(super) ltd: ExponentialCurve,
}

/// Drift state of one layer's devices.
#[derive(Debug, Clone)]
pub(super) struct DriftState {
    /// Time of each device's last write (s).
    pub(super) t_write: Vec<f64>,
    /// Each device's drift exponent, drawn at its last write.
    pub(super) nu: Vec<f64>,
}

/// One layer's devices: `outputs` rows of `inputs` cells (one row per
/// output neuron, NeuroSim's `cell[j][k]`), normalised conductances.
#[derive(Debug, Clone)]
pub(super) struct DeviceLayer {
    pub(super) inputs: usize,
    pub(super) outputs: usize,
    /// `g` (reference) or `g⁺` (pair), at the last write.
    pub(super) g: Vec<f64>,
    /// `g⁻` (pair only).
    pub(super) gm: Vec<f64>,
    /// Per-cell curves (D2D), or one shared.
    pub(super) curves: Vec<Curves>,
    /// Drift of `g` and `gm` (same layout), when drift is on.
    pub(super) drift: Option<[DriftState; 2]>,
    /// Pulses applied so far.
    pub(super) pulses: u64,
    /// `Σ g` (normalised) over those pulses of the conductance each met.
    pub(super) sum_g_rel: f64,
}

impl DeviceLayer {
    pub(super) fn curves(&self, idx: usize) -> &Curves {
        if self.curves.len() == 1 {
            &self.curves[0]
        } else {
            &self.curves[idx]
        }
    }
}

/// Everything about the device the protocol needs, normalised.
#[derive(Debug, Clone)]
pub(super) struct DeviceModel {
    pub(super) pulses_ltp: u32,
    pub(super) pulses_ltd: u32,
    pub(super) nl_ltp: f64,
    pub(super) nl_ltd: f64,
    pub(super) c2c: f64,
    /// `G_min/(G_max − G_min)`: the offset of a normalised conductance.
    pub(super) g_min_rel: f64,
    /// `G_max/(G_max − G_min)`.
    pub(super) g_max_rel: f64,
    /// `G_max − G_min` (S).
    pub(super) range_s: f64,
    pub(super) drift: Option<DriftSpec>,
    /// The access resistance in series with each cell in a read (Ω).
    pub(super) access_ohm: f64,
}

impl DeviceModel {
    pub(super) fn from_spec(
        device: &DeviceSpec,
        config: &NeurosimConfig,
    ) -> Result<Self, TrainError> {
        device
            .validate()
            .map_err(|e| HardwareError::from(DeviceError::from(e)))?;
        let Some(PulseSpec::Exponential {
            pulses_ltp,
            pulses_ltd,
            nl_ltp,
            nl_ltd,
            c2c,
        }) = device.pulse.clone()
        else {
            return Err(TrainError::Config {
                field: "protocol".into(),
                message: format!(
                    "protocol \"neurosim\" needs a device with an exponential pulse model; {} has {}",
                    device.name,
                    if device.pulse.is_some() {
                        "another pulse model"
                    } else {
                        "none"
                    }
                ),
            });
        };
        let (g_min, g_max) = (device.g_min.siemens(), device.g_max.siemens());
        let range = g_max - g_min;
        let access_ohm = access_ohm(device, config)?;
        Ok(DeviceModel {
            pulses_ltp,
            pulses_ltd,
            nl_ltp,
            nl_ltd,
            c2c,
            g_min_rel: g_min / range,
            g_max_rel: g_max / range,
            range_s: range,
            drift: device.drift.clone(),
            access_ohm,
        })
    }

    pub(super) fn curves(&self, nl_ltp: f64, nl_ltd: f64) -> Curves {
        Curves {
            ltp: ExponentialCurve::from_nl(0.0, 1.0, self.pulses_ltp, nl_ltp),
            ltd: ExponentialCurve::from_nl(0.0, 1.0, self.pulses_ltd, nl_ltd),
        }
    }
}

/// The access resistance of a read (Ω): the device's `[access]` resistor,
/// else `neurosim.access_ohm` (0 if unset) for a 1T1R cell and 0 for a
/// FeFET (`Array::ReadCell`: `cmosAccess && !FeFET`).
///
/// # Errors
/// A device with a nonlinear I-V or a transistor access device (NeuroSim's
/// read is `V/(1/G + R)`), or with both `[access]` and
/// `neurosim.access_ohm`.
pub(super) fn access_ohm(device: &DeviceSpec, config: &NeurosimConfig) -> Result<f64, TrainError> {
    let refuse = |field: &str, message: String| {
        Err(TrainError::Config {
            field: field.into(),
            message,
        })
    };
    if !device.iv.is_linear() {
        return refuse(
            "device.iv",
            format!(
                "protocol \"neurosim\" reads a linear cell (NeuroSim's nonlinearIV is off in its 1T1R array); {} has a nonlinear [iv]: remove it",
                device.name
            ),
        );
    }
    let own = match device.access {
        AccessSpec::None => None,
        AccessSpec::Resistor { r_ohm } => Some(r_ohm),
        AccessSpec::NmosLevel1 { .. } => {
            return refuse(
                "device.access",
                format!(
                    "protocol \"neurosim\" reads through a resistor (NeuroSim's resistanceAccess, V/(1/G + R)); {} has an nmos-level1 access device: give `model = \"resistor\"` with its on-resistance r_ohm, or set insitu.neurosim.access_ohm",
                    device.name
                ),
            );
        }
    };
    match (config.access_ohm, own) {
        (Some(_), Some(_)) => refuse(
            "neurosim.access_ohm",
            format!(
                "{} has its own [access] resistor; remove one of the two",
                device.name
            ),
        ),
        (None, Some(r)) => Ok(r),
        (_, None) if device.technology.eq_ignore_ascii_case("fefet") => Ok(0.0),
        (Some(r), None) => Ok(r),
        (None, None) => Ok(0.0),
    }
}

/// NeuroSim's `RealDevice::Write` for `n ≠ 0` pulses from normalised
/// conductance `g`: the pulse number on the curve of the direction,
/// `x = x₀ + n` *not* bounded to `[0, P]` (the curve's formula beyond its
/// end, `NonlinearWeight`), C2C noise `σ·√|n|·ξ`, then the clamp to
/// `[0, 1]`. Returns the new conductance and the write tally's `Σ g` of
/// [`xbar_devices::pulse::exponential_update_tallied`] (the same pulses).
pub(super) fn extrapolated_update(
    g: f64,
    n: i32,
    curves: &Curves,
    c2c: f64,
    rng: &mut impl Rng,
) -> (f64, f64) {
    if n == 0 {
        return (g, 0.0);
    }
    let curve = if n > 0 { &curves.ltp } else { &curves.ltd };
    let x0 = curve.pulse_number(g);
    let x = x0 + f64::from(n);
    let span = curve.g_max - curve.g_min;
    let mut next = if curve.a.is_infinite() {
        curve.g_min + span * x / curve.p_max
    } else {
        let b = span / -(-curve.p_max / curve.a).exp_m1();
        curve.g_min + b * -(-x / curve.a).exp_m1()
    };
    let g0 = g.clamp(curve.g_min, curve.g_max);
    let end = curve.conductance(x);
    let sum = g - g0 + curve.pulse_sum(x0, n, g0, end);
    if c2c > 0.0 {
        let xi: f64 = StandardNormal.sample(rng);
        next += c2c * span * f64::from(n.unsigned_abs()).sqrt() * xi;
    }
    (next.clamp(curve.g_min, curve.g_max), sum)
}

/// The two random streams of one update: C2C noise, and ν draws (kept
/// apart so that drift with ν = 0 leaves the C2C draws untouched).
pub(super) struct Rngs {
    pub(super) c2c: rand_xoshiro::Xoshiro256PlusPlus,
    pub(super) drift: rand_xoshiro::Xoshiro256PlusPlus,
}

/// ν ~ |N(μ_ν(g_r), σ_ν(g_r))| at normalised conductance `g`.
pub(super) fn draw_nu(model: &DeviceModel, g: f64, rng: &mut impl Rng) -> f64 {
    let Some(spec) = &model.drift else {
        return 0.0;
    };
    let g_r = ((g + model.g_min_rel) / model.g_max_rel).max(1e-12);
    let mu = spec.nu_mean.at(g_r);
    let sigma = spec.nu_std.at(g_r);
    let xi: f64 = StandardNormal.sample(rng);
    (mu + sigma * xi).abs()
}
