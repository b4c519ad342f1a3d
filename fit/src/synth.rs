//! Synthetic pulse trains from known parameters, through the library's own
//! update rules ([`xbar_devices::pulse::exponential_update`],
//! [`xbar_devices::pulse::soft_bounds_update`]) and its D2D convention
//! ([`xbar_devices::variability`]): what the fit must give back. Used by the
//! recovery tests, the shipped synthetic example and the benchmark.
//!
//! Every device starts at its own `g_min` and receives `cycles` times
//! `pulses_per_half` potentiating then as many depressing pulses; the
//! conductance is recorded after every pulse, with read noise when
//! [`SynthSpec::read_noise`] asks for it.
//!
//! ```
//! use xbar_fit::synth::{synthesize, SynthSpec};
//! let data = synthesize(&SynthSpec::default(), 7);
//! assert_eq!(data.devices.len(), SynthSpec::default().devices);
//! ```

use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use xbar_devices::pulse::{exponential_update, soft_bounds_update, ExponentialCurve, NL_MAX};

use crate::measurements::{DeviceTrain, Point, PulseData, Step};

/// The pulse model of the synthetic devices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SynthModel {
    /// NeuroSim exponential with these labels and pulse counts.
    Exponential {
        /// P_max of LTP.
        pulses_ltp: u32,
        /// P_max of LTD.
        pulses_ltd: u32,
        /// LTP label.
        nl_ltp: f64,
        /// LTD label.
        nl_ltd: f64,
    },
    /// Soft bounds.
    SoftBounds {
        /// α_up.
        alpha_up: f64,
        /// α_down.
        alpha_down: f64,
    },
}

/// What to synthesise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SynthSpec {
    /// Devices.
    pub devices: usize,
    /// LTP/LTD cycles.
    pub cycles: usize,
    /// Pulses of each half-cycle.
    pub pulses_per_half: usize,
    /// Nominal g_min (S).
    pub g_min: f64,
    /// Nominal g_max (S).
    pub g_max: f64,
    /// The model.
    pub model: SynthModel,
    /// C2C σ in the model's own convention.
    pub c2c: f64,
    /// Relative D2D σ of g_min and g_max.
    pub d2d_g: f64,
    /// Absolute D2D σ of the labels.
    pub d2d_nl: f64,
    /// σ of a Gaussian read noise added to every recorded conductance
    /// (not to the device's state), relative to the device's
    /// g_max − g_min; 0: none. Drawn from its own stream, so the states
    /// do not depend on it.
    pub read_noise: f64,
}

impl Default for SynthSpec {
    /// 20 devices, 3 cycles of 120 + 120 pulses, 1–10 µS, NL 2.4/−2 over
    /// 100 pulses, C2C 0.5 %, D2D 5 % and 0.3.
    fn default() -> Self {
        SynthSpec {
            devices: 20,
            cycles: 3,
            pulses_per_half: 120,
            g_min: 1e-6,
            g_max: 10e-6,
            model: SynthModel::Exponential {
                pulses_ltp: 100,
                pulses_ltd: 100,
                nl_ltp: 2.4,
                nl_ltd: -2.0,
            },
            c2c: 0.005,
            d2d_g: 0.05,
            d2d_nl: 0.3,
            read_noise: 0.0,
        }
    }
}

/// One synthetic device's true parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DeviceTruth {
    /// g_min (S).
    pub g_min: f64,
    /// g_max (S).
    pub g_max: f64,
    /// LTP label (exponential).
    pub nl_ltp: f64,
    /// LTD label (exponential).
    pub nl_ltd: f64,
}

/// The pulse trains, and the true parameters of each device.
pub fn synthesize_with_truth(spec: &SynthSpec, seed: u64) -> (PulseData, Vec<DeviceTruth>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut reads = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x5EAD_0015_E000);
    let normal = |rng: &mut Xoshiro256PlusPlus| -> f64 { StandardNormal.sample(rng) };
    let mut devices = Vec::with_capacity(spec.devices);
    let mut truths = Vec::with_capacity(spec.devices);
    for i in 0..spec.devices {
        let g_min = (spec.g_min * (1.0 + spec.d2d_g * normal(&mut rng))).max(0.0);
        let g_max = (spec.g_max * (1.0 + spec.d2d_g * normal(&mut rng))).max(g_min * (1.0 + 1e-6));
        let (nl_ltp, nl_ltd) = match spec.model {
            SynthModel::Exponential { nl_ltp, nl_ltd, .. } => (
                (nl_ltp + spec.d2d_nl * normal(&mut rng)).clamp(-NL_MAX, NL_MAX),
                (nl_ltd + spec.d2d_nl * normal(&mut rng)).clamp(-NL_MAX, NL_MAX),
            ),
            SynthModel::SoftBounds { .. } => (0.0, 0.0),
        };
        truths.push(DeviceTruth {
            g_min,
            g_max,
            nl_ltp,
            nl_ltd,
        });
        let mut g = g_min;
        let mut points = Vec::new();
        let mut pulse = 0;
        for _ in 0..spec.cycles {
            for polarity in [1i32, -1] {
                for _ in 0..spec.pulses_per_half {
                    g = match spec.model {
                        SynthModel::Exponential {
                            pulses_ltp,
                            pulses_ltd,
                            ..
                        } => {
                            let ltp = ExponentialCurve::from_nl(g_min, g_max, pulses_ltp, nl_ltp);
                            let ltd = ExponentialCurve::from_nl(g_min, g_max, pulses_ltd, nl_ltd);
                            exponential_update(g, polarity, &ltp, &ltd, spec.c2c, &mut rng)
                        }
                        SynthModel::SoftBounds {
                            alpha_up,
                            alpha_down,
                        } => soft_bounds_update(
                            g, polarity, g_min, g_max, alpha_up, alpha_down, spec.c2c, &mut rng,
                        ),
                    };
                    let read = if spec.read_noise > 0.0 {
                        let xi: f64 = StandardNormal.sample(&mut reads);
                        g + spec.read_noise * (g_max - g_min) * xi
                    } else {
                        g
                    };
                    points.push(Point {
                        pulse,
                        g: read,
                        polarity: polarity as i8,
                        line: pulse + 2,
                    });
                    pulse += 1;
                }
            }
        }
        let steps = points
            .windows(2)
            .map(|w| Step {
                g0: w[0].g,
                g1: w[1].g,
                polarity: w[1].polarity,
                line: w[1].line,
            })
            .collect();
        devices.push(DeviceTrain {
            name: format!("device_{:02}", i + 1),
            points,
            steps,
        });
    }
    (
        PulseData {
            file: format!("synthetic(seed {seed})"),
            layout: "wide",
            devices,
        },
        truths,
    )
}

/// The pulse trains only.
pub fn synthesize(spec: &SynthSpec, seed: u64) -> PulseData {
    synthesize_with_truth(spec, seed).0
}

/// The trains as a wide CSV table (`pulse_voltage_V` of ±`volts`, one
/// column per device), every conductance written exactly (shortest
/// round-trip form).
pub fn to_wide_csv(data: &PulseData, volts: f64, comment: &str) -> String {
    let mut out = String::new();
    for line in comment.lines() {
        out += &format!("# {line}\n");
    }
    out += "pulse_voltage_V";
    for d in &data.devices {
        out += &format!(",{}", d.name);
    }
    out.push('\n');
    let rows = data
        .devices
        .iter()
        .map(|d| d.points.len())
        .max()
        .unwrap_or(0);
    for r in 0..rows {
        let pol = data.devices[0].points[r].polarity;
        out += &format!("{}", f64::from(pol) * volts);
        for d in &data.devices {
            match d.points.get(r) {
                Some(p) => out += &format!(",{:e}", p.g),
                None => out.push(','),
            }
        }
        out.push('\n');
    }
    out
}
