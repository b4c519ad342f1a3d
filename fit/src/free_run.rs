//! A fitted device judged as the user will run it: the device file's pulse
//! model, range and device-to-device spread simulated *free* — each pulse
//! from the simulated state, never from the measured one — over the
//! measured pulse sequence, by the library's own array
//! ([`xbar_devices::DeviceArray::apply_pulses`], the code `xbarsim device
//! pulse` runs), many seeded devices at once; and the distance of the
//! simulated mean (and median) curve from the measured median curve.
//!
//! * **Measured reference**: the longest device's pulse sequence; after
//!   each pulse, the median (and 10 % and 90 % quantiles) of the devices
//!   that have that point with the same polarity.
//! * **Simulation**: [`RUNS`] devices drawn with the file's D2D spread
//!   (seed [`SEED`]), each programmed (exactly, without the programming
//!   noise) to the measured median's first point, at the same fraction of
//!   its own range, then pulsed with the reference's polarities. Read noise,
//!   drift and faults are left out: the pulse model alone is judged.
//! * **Free-running error**: the root mean square over the pulses of
//!   (simulated mean − measured median), relative to the range of the
//!   measured median curve (a denominator that does not depend on the
//!   model, so that models and estimators compare like with like); the same
//!   of the simulated median. One-step-ahead RMSE (each step predicted from
//!   the *measured* previous point, [`crate::pulse::Quality`]) does not
//!   measure this: a model can follow each step and still drift away from
//!   the curve when run on its own (the "simulation error" of system
//!   identification, Ljung, *System Identification*, 2nd ed., 1999, §7.3).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use xbar_devices::{Conductance, DeviceArray, DeviceError, DeviceSpec, FaultSpec};

use crate::measurements::PulseData;
use crate::stats::median;

/// Simulated devices per free-running curve (the Monte Carlo error of the
/// simulated mean is the simulated σ over √128, about a tenth of it).
pub const RUNS: usize = 128;

/// The seed of the simulated devices (fixed: a report is reproducible).
pub const SEED: u64 = 0x005E_EDF1;

/// The free-running error above which the report warns that the model does
/// not reproduce the measured curve (fraction of the measured range).
pub const WARN_ERROR: f64 = 0.10;

/// The measured curve the simulation is compared with.
#[derive(Debug, Clone, PartialEq)]
#[allow(non_snake_case)] // units in the names
pub struct Reference {
    /// The pulse index of each point.
    pub pulse: Vec<usize>,
    /// The polarity of the pulse before each point (the first point's
    /// is not applied: it is the start).
    pub polarity: Vec<i8>,
    /// Median over the devices after each pulse (S).
    pub median_S: Vec<f64>,
    /// 10 % quantile (S).
    pub p10_S: Vec<f64>,
    /// 90 % quantile (S).
    pub p90_S: Vec<f64>,
    /// Devices behind each point.
    pub devices: Vec<usize>,
    /// Range of the median curve (S): the errors' denominator.
    pub range_S: f64,
}

/// Linear-interpolation quantile of sorted `x` (NumPy's default).
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * q;
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

impl Reference {
    /// The median curve of `data`'s devices (all of them), or of those
    /// whose index `keep` returns true.
    pub fn of(data: &PulseData, keep: impl Fn(usize) -> bool) -> Option<Self> {
        let kept: Vec<_> = data
            .devices
            .iter()
            .enumerate()
            .filter(|(k, _)| keep(*k))
            .map(|(_, d)| d)
            .collect();
        let longest = kept.iter().max_by_key(|d| d.points.len())?;
        let n = longest.points.len();
        let mut out = Reference {
            pulse: Vec::with_capacity(n),
            polarity: Vec::with_capacity(n),
            median_S: Vec::with_capacity(n),
            p10_S: Vec::with_capacity(n),
            p90_S: Vec::with_capacity(n),
            devices: Vec::with_capacity(n),
            range_S: 0.0,
        };
        let mut values = Vec::with_capacity(kept.len());
        for (i, p) in longest.points.iter().enumerate() {
            values.clear();
            values.extend(
                kept.iter()
                    .filter_map(|d| d.points.get(i))
                    .filter(|q| q.polarity == p.polarity)
                    .map(|q| q.g),
            );
            values.sort_by(f64::total_cmp);
            out.pulse.push(p.pulse);
            out.polarity.push(p.polarity);
            out.median_S.push(quantile(&values, 0.5));
            out.p10_S.push(quantile(&values, 0.1));
            out.p90_S.push(quantile(&values, 0.9));
            out.devices.push(values.len());
        }
        let lo = out.median_S.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = out
            .median_S
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        out.range_S = hi - lo;
        (out.range_S > 0.0).then_some(out)
    }
}

/// The median of `x` (reordered), as [`quantile`] at ½ of the sorted
/// values, by selection.
fn median_in_place(x: &mut [f64]) -> f64 {
    let n = x.len();
    let h = (n - 1) as f64 * 0.5;
    let lo = h.floor() as usize;
    let (_, &mut a, rest) = x.select_nth_unstable_by(lo, f64::total_cmp);
    if lo + 1 < n && h > lo as f64 {
        let b = rest.iter().copied().fold(f64::INFINITY, f64::min);
        a + (h - lo as f64) * (b - a)
    } else {
        a
    }
}

/// The simulated devices' statistics after each pulse of the reference.
#[derive(Debug, Clone, PartialEq)]
#[allow(non_snake_case)] // units in the names
pub struct Simulated {
    /// Mean over the simulated devices (S).
    pub mean_S: Vec<f64>,
    /// Their σ (S, ÷ n).
    pub std_S: Vec<f64>,
    /// Their median (S).
    pub median_S: Vec<f64>,
}

/// `spec` (its pulse model, range and D2D spread; without programming
/// noise, read noise, drift or faults) run free over `reference`'s pulses
/// by [`RUNS`] devices from the measured median's first point.
///
/// # Errors
/// A device the library refuses (a bug of the fit: it validates its files).
pub fn simulate(spec: &DeviceSpec, reference: &Reference) -> Result<Simulated, DeviceError> {
    simulate_runs(spec, reference, RUNS, SEED)
}

/// [`simulate`] with `runs` devices from `seed`.
///
/// # Errors
/// As [`simulate`].
pub fn simulate_runs(
    spec: &DeviceSpec,
    reference: &Reference,
    runs: usize,
    seed: u64,
) -> Result<Simulated, DeviceError> {
    let quiet = DeviceSpec {
        programming: None,
        read_noise: None,
        drift: None,
        faults: FaultSpec::default(),
        ..spec.clone()
    };
    let mut array = DeviceArray::new(&quiet, 1, runs, seed)?;
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    let start = reference.median_S.first().copied().unwrap_or(g_min);
    let u0 = ((start - g_min) / (g_max - g_min)).clamp(0.0, 1.0);
    let targets = DMatrix::from_fn(1, runs, |_, k| {
        let (lo, hi) = array.bounds(0, k);
        lo + u0 * (hi - lo)
    });
    array.program(&targets)?;
    let n = reference.polarity.len();
    let mut out = Simulated {
        mean_S: Vec::with_capacity(n),
        std_S: Vec::with_capacity(n),
        median_S: Vec::with_capacity(n),
    };
    let mut scratch = vec![0.0; runs];
    let mut record = |g: &[f64], out: &mut Simulated| {
        let m = g.iter().sum::<f64>() / runs as f64;
        let var = g.iter().map(|x| (x - m).powi(2)).sum::<f64>() / runs as f64;
        scratch.copy_from_slice(g);
        out.mean_S.push(m);
        out.std_S.push(var.sqrt());
        out.median_S.push(median_in_place(&mut scratch));
    };
    record(array.conductances().as_slice(), &mut out);
    let up = DMatrix::from_element(1, runs, 1i32);
    let down = DMatrix::from_element(1, runs, -1i32);
    for &p in &reference.polarity[1..] {
        if p != 0 {
            array.apply_pulses(if p > 0 { &up } else { &down })?;
        }
        record(array.conductances().as_slice(), &mut out);
    }
    Ok(out)
}

/// How far a model run free lies from the measured curve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FreeRunError {
    /// RMS over the pulses of (simulated mean − measured median), relative
    /// to the measured median's range.
    pub mean_relative: f64,
    /// The same of the simulated median.
    pub median_relative: f64,
    /// The largest |simulated mean − measured median| over the pulses,
    /// relative to the same range.
    pub max_relative: f64,
    /// Simulated devices.
    pub runs: usize,
    /// Pulses compared.
    pub pulses: usize,
}

impl FreeRunError {
    /// `simulated` against `reference`.
    pub fn of(simulated: &Simulated, reference: &Reference) -> Self {
        let r = reference.range_S;
        let rms = |curve: &[f64]| {
            let ss: f64 = curve
                .iter()
                .zip(&reference.median_S)
                .map(|(s, m)| ((s - m) / r).powi(2))
                .sum();
            (ss / curve.len().max(1) as f64).sqrt()
        };
        let max = simulated
            .mean_S
            .iter()
            .zip(&reference.median_S)
            .map(|(s, m)| ((s - m) / r).abs())
            .fold(0.0, f64::max);
        FreeRunError {
            mean_relative: rms(&simulated.mean_S),
            median_relative: rms(&simulated.median_S),
            max_relative: max,
            runs: RUNS,
            pulses: reference.median_S.len(),
        }
    }
}

/// A device file's pulse part (range, pulse model, D2D spread) as a
/// [`DeviceSpec`] to simulate.
pub fn pulse_device(
    g_min: f64,
    g_max: f64,
    pulse: xbar_devices::pulse::PulseSpec,
    variability: xbar_devices::variability::VariabilitySpec,
) -> DeviceSpec {
    DeviceSpec {
        name: "fitted".into(),
        technology: "measured".into(),
        g_min: Conductance(g_min),
        g_max: Conductance(g_max),
        pulse: Some(pulse),
        variability,
        ..DeviceSpec::default()
    }
}

/// The free-running error of `spec` over `data`'s median curve (`None`:
/// no reference, or a device the library refuses).
pub fn error_of(spec: &DeviceSpec, reference: &Reference) -> Option<FreeRunError> {
    let sim = simulate(spec, reference).ok()?;
    Some(FreeRunError::of(&sim, reference))
}

/// The RMS over one device's points of (noiseless model curve − measured),
/// relative to the device's measured range: its own free-running error.
pub fn device_error(measured: &[f64], curve: &[f64]) -> f64 {
    let lo = measured.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = measured.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let ss: f64 = measured
        .iter()
        .zip(curve)
        .map(|(m, c)| ((c - m) / (hi - lo)).powi(2))
        .sum();
    (ss / measured.len().max(1) as f64).sqrt()
}

/// The median of per-item values (0 for none).
pub fn median_of(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        median(x)
    }
}
