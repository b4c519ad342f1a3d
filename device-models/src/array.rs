//! A whole array of devices: program, pulse, drift and read a matrix of
//! devices at once, reproducibly from one seed.
//!
//! A [`DeviceArray`] holds, for each of its `rows × cols` devices, the
//! device-to-device parameters drawn when it was made (bounds, nonlinearity,
//! fault), its conductance at the reference time `t₀` and its drift exponent.
//! Every operation is parallel over devices (rayon) and draws from the
//! streams described in [`crate::rng`], so that the result depends
//! only on the seed and the sequence of operations — not on the thread count.
//!
//! Cost: every operation is `O(rows·cols)` time; the array keeps about five
//! `f64` per device (≈ 40 MiB for 1024 × 1024).

use std::sync::OnceLock;

use nalgebra::DMatrix;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::check::SpecError;
use crate::faults::Fault;
use crate::pulse::{self, CellPulse, PulseSpec, NL_MAX};
use crate::rng::{par_map, Purpose, StreamKey};
use crate::spec::DeviceSpec;

/// Why an array operation was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviceError {
    /// The device specification breaks a constraint.
    #[error("invalid device: {0}")]
    Spec(#[from] SpecError),
    /// An array must have at least one row and one column.
    #[error("an array needs at least one row and one column, found {rows} × {cols}")]
    EmptyArray {
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
    },
    /// An input matrix does not have the array's shape.
    #[error("expected a {expected_rows} × {expected_cols} matrix, found {rows} × {cols}")]
    Shape {
        /// The array's rows.
        expected_rows: usize,
        /// The array's columns.
        expected_cols: usize,
        /// The input's rows.
        rows: usize,
        /// The input's columns.
        cols: usize,
    },
    /// A target conductance is negative, infinite or NaN.
    #[error(
        "target conductance at row {row}, column {col} is {value}; expected a finite value ≥ 0 S"
    )]
    BadTarget {
        /// Row of the offending entry.
        row: usize,
        /// Column of the offending entry.
        col: usize,
        /// The value found.
        value: f64,
    },
    /// A time is negative or not finite.
    #[error("time {0} s is not a finite value ≥ 0")]
    BadTime(f64),
    /// Pulses were applied to a device that has no pulse model.
    #[error("device `{0}` has no pulse-update model (add a [pulse] section)")]
    NoPulseModel(String),
}

/// A per-device parameter: one value for all devices, or one each.
#[derive(Debug, Clone, PartialEq)]
enum PerDevice {
    Uniform(f64),
    Each(Vec<f64>),
}

impl PerDevice {
    fn get(&self, k: usize) -> f64 {
        match self {
            PerDevice::Uniform(v) => *v,
            PerDevice::Each(values) => values[k],
        }
    }

    /// `nominal·(1 + σ·ξ)` (relative) or `nominal + σ·ξ` (absolute) for
    /// every device; uniform when `sigma` is 0.
    fn draw(
        nominal: f64,
        sigma: f64,
        relative: bool,
        n: usize,
        key: StreamKey,
        clamp: impl Fn(f64) -> f64 + Sync,
    ) -> Self {
        if sigma == 0.0 {
            return PerDevice::Uniform(nominal);
        }
        let mut values = vec![0.0; n];
        key.fill(&mut values, |_, rng| {
            let xi: f64 = StandardNormal.sample(rng);
            let v = if relative {
                nominal * (1.0 + sigma * xi)
            } else {
                nominal + sigma * xi
            };
            clamp(v)
        });
        PerDevice::Each(values)
    }
}

/// Per-device quantities fixed by the last write, computed on first use:
/// the drift exponent ν (drawn from the programmed state, so that an array
/// that is programmed and never drifted pays nothing for it) and
/// `ln(g/g_max)` of the present conductance (which the drift statistics and
/// the PCM read noise both need; computed once instead of at every read).
#[derive(Debug, Clone)]
struct WriteState {
    nu: DMatrix<f64>,
    ln_g_r: Vec<f64>,
}

/// An array of devices of one kind.
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_devices::{library, DeviceArray};
///
/// let pcm = library::preset("ibm-pcm").unwrap();
/// let mut array = DeviceArray::new(&pcm, 64, 64, 42).unwrap();
/// array.program(&DMatrix::from_element(64, 64, 10e-6)).unwrap();
/// let day = array.drift_to(86_400.0).unwrap();   // noiseless, drifted
/// let read = array.read(86_400.0).unwrap();      // with read noise
/// assert!(day.mean() < 10e-6 && read.mean() < 10e-6);
/// // Same seed, same operations: bit-identical.
/// let mut again = DeviceArray::new(&pcm, 64, 64, 42).unwrap();
/// again.program(&DMatrix::from_element(64, 64, 10e-6)).unwrap();
/// assert_eq!(again.conductances(), array.conductances());
/// ```
#[derive(Debug, Clone)]
pub struct DeviceArray {
    device: DeviceSpec,
    seed: u64,
    g_min: PerDevice,
    g_max: PerDevice,
    a_ltp: PerDevice,
    a_ltd: PerDevice,
    faults: Option<Vec<Fault>>,
    conductance: DMatrix<f64>,
    /// Drawn on first use after each write (see [`WriteState`]).
    state: OnceLock<WriteState>,
    programs: u64,
    reads: u64,
    pulses: u64,
    /// Each device's last pulse polarity (±1, 0 = none since made or
    /// programmed), kept only for a measured curve with a turn table.
    polarity: Option<Vec<i8>>,
}

impl DeviceArray {
    /// A `rows × cols` array of `device`, every device reset to its g_min,
    /// with its device-to-device parameters and faults drawn from `seed`.
    ///
    /// # Errors
    /// [`DeviceError::Spec`] for an invalid device, [`DeviceError::EmptyArray`]
    /// for zero rows or columns.
    pub fn new(
        device: &DeviceSpec,
        rows: usize,
        cols: usize,
        seed: u64,
    ) -> Result<Self, DeviceError> {
        device.validate()?;
        if rows == 0 || cols == 0 {
            return Err(DeviceError::EmptyArray { rows, cols });
        }
        let n = rows * cols;
        let d2d = &device.variability;
        let key = |k| StreamKey::new(seed, Purpose::DeviceToDevice, k);
        let g_min = PerDevice::draw(device.g_min.siemens(), d2d.g_min, true, n, key(0), |g| {
            g.max(0.0)
        });
        let g_max = PerDevice::draw(device.g_max.siemens(), d2d.g_max, true, n, key(1), |g| {
            g.max(0.0)
        });
        let (a_ltp, a_ltd) = match &device.pulse {
            Some(PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                nl_ltp,
                nl_ltd,
                ..
            }) => {
                let label = |nominal, k, p: u32| {
                    let labels = PerDevice::draw(nominal, d2d.nl, false, n, key(k), |nl| {
                        nl.clamp(-NL_MAX, NL_MAX)
                    });
                    let scale = f64::from(p);
                    match labels {
                        PerDevice::Uniform(nl) => PerDevice::Uniform(pulse::a_from_nl(nl) * scale),
                        PerDevice::Each(mut v) => {
                            par_map(&mut v, |_, nl| pulse::a_from_nl(nl) * scale);
                            PerDevice::Each(v)
                        }
                    }
                };
                (
                    label(*nl_ltp, 2, *pulses_ltp),
                    label(*nl_ltd, 3, *pulses_ltd),
                )
            }
            _ => (
                PerDevice::Uniform(f64::INFINITY),
                PerDevice::Uniform(f64::INFINITY),
            ),
        };
        let faults = (!device.faults.is_none()).then(|| {
            let mut u = vec![0.0; n];
            StreamKey::new(seed, Purpose::Faults, 0).fill(&mut u, |_, rng| rng.random::<f64>());
            u.into_iter().map(|u| device.faults.classify(u)).collect()
        });
        let mut array = DeviceArray {
            device: device.clone(),
            seed,
            g_min,
            g_max,
            a_ltp,
            a_ltd,
            faults,
            conductance: DMatrix::zeros(rows, cols),
            state: OnceLock::new(),
            programs: 0,
            reads: 0,
            pulses: 0,
            polarity: None,
        };
        // Keep each device's bounds ordered after the D2D draws.
        if let (PerDevice::Each(_), _) | (_, PerDevice::Each(_)) = (&array.g_min, &array.g_max) {
            let g_min = array.g_min.clone();
            let mut upper: Vec<f64> = (0..n).map(|k| array.g_max.get(k)).collect();
            par_map(&mut upper, |k, g| {
                g.max(g_min.get(k) * (1.0 + 1e-6)).max(f64::MIN_POSITIVE)
            });
            array.g_max = PerDevice::Each(upper);
        }
        let g_min = array.g_min.clone();
        par_map(array.conductance.as_mut_slice(), |k, _| g_min.get(k));
        array.apply_faults();
        Ok(array)
    }

    /// The device this array is made of.
    pub fn device(&self) -> &DeviceSpec {
        &self.device
    }

    /// The seed every draw of this array derives from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// `(rows, cols)`.
    pub fn shape(&self) -> (usize, usize) {
        self.conductance.shape()
    }

    /// Conductances (S) at the reference time t₀, noiseless.
    pub fn conductances(&self) -> &DMatrix<f64> {
        &self.conductance
    }

    /// Drift exponent ν of every device (0 for a device without drift).
    pub fn drift_exponents(&self) -> &DMatrix<f64> {
        &self.write_state().nu
    }

    /// This device's own `(g_min, g_max)` (S), after D2D variation.
    pub fn bounds(&self, row: usize, col: usize) -> (f64, f64) {
        let k = self.index(row, col);
        (self.g_min.get(k), self.g_max.get(k))
    }

    /// The fault of device `(row, col)`.
    pub fn fault(&self, row: usize, col: usize) -> Fault {
        let k = self.index(row, col);
        self.faults.as_ref().map_or(Fault::Healthy, |f| f[k])
    }

    /// Number of `(stuck-on, stuck-off)` devices.
    pub fn fault_counts(&self) -> (usize, usize) {
        self.faults.as_ref().map_or((0, 0), |f| {
            f.iter().fold((0, 0), |(on, off), fault| match fault {
                Fault::StuckOn => (on + 1, off),
                Fault::StuckOff => (on, off + 1),
                Fault::Healthy => (on, off),
            })
        })
    }

    fn index(&self, row: usize, col: usize) -> usize {
        let (rows, cols) = self.shape();
        assert!(
            row < rows && col < cols,
            "device ({row}, {col}) outside a {rows} × {cols} array"
        );
        col * rows + row
    }

    fn check_shape(&self, rows: usize, cols: usize) -> Result<(), DeviceError> {
        let (expected_rows, expected_cols) = self.shape();
        if (rows, cols) == (expected_rows, expected_cols) {
            Ok(())
        } else {
            Err(DeviceError::Shape {
                expected_rows,
                expected_cols,
                rows,
                cols,
            })
        }
    }

    /// Writes `targets` (S) into every device with the device's programming
    /// model (levels, noise, write-verify; exact when the device has none),
    /// then draws each device's drift exponent from its programmed state.
    /// Stuck devices keep their stuck conductance.
    ///
    /// # Errors
    /// [`DeviceError::Shape`] if `targets` is not `rows × cols`,
    /// [`DeviceError::BadTarget`] for a negative or non-finite target.
    pub fn program(&mut self, targets: &DMatrix<f64>) -> Result<(), DeviceError> {
        self.check_shape(targets.nrows(), targets.ncols())?;
        if let Some(k) = targets
            .as_slice()
            .par_iter()
            .position_first(|g| !(g.is_finite() && *g >= 0.0))
        {
            let rows = targets.nrows();
            return Err(DeviceError::BadTarget {
                row: k % rows,
                col: k / rows,
                value: targets.as_slice()[k],
            });
        }
        let key = StreamKey::new(self.seed, Purpose::Programming, self.programs);
        self.programs += 1;
        let targets = targets.as_slice();
        let (g_min, g_max) = (&self.g_min, &self.g_max);
        let conductance = self.conductance.as_mut_slice();
        match &self.device.programming {
            Some(model) if model.write_verify.is_some() => key.fill(conductance, |k, rng| {
                model.program_one(targets[k], g_min.get(k), g_max.get(k), rng)
            }),
            // One write: exactly one deviate per device, drawn in blocks.
            Some(model) => key.update_with_normals(conductance, |k, _, xi| {
                model.program_with(targets[k], g_min.get(k), g_max.get(k), xi)
            }),
            None => par_map(conductance, |k, _| targets[k]),
        }
        self.apply_faults();
        self.state = OnceLock::new();
        // A programmed device has no pulse history (no turn step next).
        self.polarity = None;
        Ok(())
    }

    /// Applies `pulses[(i, j)]` pulses to device `(i, j)`: positive counts
    /// potentiate (LTP), negative ones depress (LTD), with the device's
    /// pulse model and cycle-to-cycle noise. Conductances stay within each
    /// device's `[g_min, g_max]`; drift exponents are kept. Returns the
    /// pulses applied and the sum of the conductance each met just before
    /// it, on this array's shape ([`pulse::WriteTally`], for the write
    /// energy; a stuck device counts its pulses along its model's
    /// trajectory).
    ///
    /// # Errors
    /// [`DeviceError::NoPulseModel`] if the device has no `[pulse]` model,
    /// [`DeviceError::Shape`] for a wrongly shaped `pulses`.
    pub fn apply_pulses(
        &mut self,
        pulses: &DMatrix<i32>,
    ) -> Result<pulse::WriteTally, DeviceError> {
        self.check_shape(pulses.nrows(), pulses.ncols())?;
        let model = self
            .device
            .pulse
            .clone()
            .ok_or_else(|| DeviceError::NoPulseModel(self.device.name.clone()))?;
        // Drift exponents belong to the programmed state: fix them first.
        self.write_state();
        let key = StreamKey::new(self.seed, Purpose::Pulse, self.pulses);
        self.pulses += 1;
        let pulses = pulses.as_slice();
        let count: u64 = pulses.iter().map(|n| u64::from(n.unsigned_abs())).sum();
        let (g_min, g_max, a_ltp, a_ltd) = (&self.g_min, &self.g_max, &self.a_ltp, &self.a_ltd);
        if model.remembers_polarity() && self.polarity.is_none() {
            self.polarity = Some(vec![0; pulses.len()]);
        }
        let nominal = (self.device.g_min.siemens(), self.device.g_max.siemens());
        let last = self.polarity.as_deref();
        let sum_g_s = key.update_summed(self.conductance.as_mut_slice(), |k, g, rng| {
            let cell = CellPulse {
                g_min: g_min.get(k),
                g_max: g_max.get(k),
                a_ltp: a_ltp.get(k),
                a_ltd: a_ltd.get(k),
                last: last.map_or(0, |v| v[k]),
            };
            model.update_cell(g, pulses[k], &cell, nominal, rng)
        });
        if let Some(last) = self.polarity.as_mut() {
            last.par_iter_mut()
                .zip(pulses.par_iter())
                .filter(|(_, n)| **n != 0)
                .for_each(|(p, n)| *p = n.signum() as i8);
        }
        self.apply_faults();
        if let Some(state) = self.state.get_mut() {
            log_relative(&self.conductance, &self.g_max, &mut state.ln_g_r);
        }
        let (rows, cols) = self.shape();
        Ok(pulse::WriteTally {
            rows,
            cols,
            pulses: count,
            sum_g_s,
        })
    }

    /// Noiseless conductances (S) at time `t` (s) since programming:
    /// `G(t₀)·(t/t₀)^(−ν)`; equal to [`DeviceArray::conductances`] for a
    /// device without drift or for `t ≤ t₀`.
    ///
    /// # Errors
    /// [`DeviceError::BadTime`] for a negative or non-finite `t`.
    pub fn drift_to(&self, t: f64) -> Result<DMatrix<f64>, DeviceError> {
        check_time(t)?;
        let mut out = self.conductance.clone();
        if let Some(drift) = &self.device.drift {
            let log_ratio = drift.log_time_ratio(t);
            let nu = self.write_state().nu.as_slice();
            par_map(out.as_mut_slice(), |k, g| g * (-nu[k] * log_ratio).exp());
        }
        Ok(out)
    }

    /// One read of every device at time `t` (s) since programming: the
    /// drifted conductance plus the device's read noise (fresh noise at each
    /// call; noiseless for a device without a read-noise model).
    ///
    /// # Errors
    /// [`DeviceError::BadTime`] for a negative or non-finite `t`.
    pub fn read(&mut self, t: f64) -> Result<DMatrix<f64>, DeviceError> {
        let key = StreamKey::new(self.seed, Purpose::ReadNoise, self.reads);
        if self.device.read_noise.is_some() {
            self.reads += 1;
        }
        self.read_with(t, key)
    }

    /// Drift and read noise in one pass: `g(t) = g·e^(−ν·ln(t/t₀))`, then
    /// `g(t) + σ(g(t))·ξ` with `ln g_r(t) = ln g_r − ν·ln(t/t₀)` (no `ln` or
    /// `pow` per device at read time).
    fn read_with(&self, t: f64, key: StreamKey) -> Result<DMatrix<f64>, DeviceError> {
        let Some(noise) = &self.device.read_noise else {
            return self.drift_to(t);
        };
        check_time(t)?;
        let noise = noise.at_time(t);
        let log_ratio = self
            .device
            .drift
            .as_ref()
            .map_or(0.0, |d| d.log_time_ratio(t));
        let state = self.write_state();
        let (nu, ln_g_r) = (state.nu.as_slice(), state.ln_g_r.as_slice());
        let mut out = self.conductance.clone();
        key.update_with_normals(out.as_mut_slice(), |k, g, xi| {
            let decay = -nu[k] * log_ratio;
            let g_t = g * decay.exp();
            (g_t + noise.sigma(g_t, ln_g_r[k] + decay) * xi).max(0.0)
        });
        Ok(out)
    }

    /// Global drift compensation (Joshi et al., Nat. Commun. 2020): the
    /// factor `Σ read(t₀) / Σ read(t)` by which a reader scales what it reads
    /// at time `t`, from two reads of the whole array with an all-ones input
    /// — one right after programming (at t₀), one at `t` — each with its own
    /// read noise. Deterministic for a given seed, programming and `t`;
    /// exactly 1 for a device without drift or read noise at `t ≤ t₀`.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_devices::{library, DeviceArray};
    ///
    /// let pcm = library::preset("ibm-pcm").unwrap();
    /// let mut array = DeviceArray::new(&pcm, 32, 32, 1).unwrap();
    /// array.program(&DMatrix::from_element(32, 32, 12e-6)).unwrap();
    /// let year = 3.15e7;
    /// let factor = array.drift_compensation_factor(year).unwrap();
    /// let compensated = array.read(year).unwrap() * factor;
    /// assert!((compensated.mean() / 12e-6 - 1.0).abs() < 0.02);
    /// ```
    ///
    /// # Errors
    /// [`DeviceError::BadTime`] for a negative or non-finite `t`.
    pub fn drift_compensation_factor(&self, t: f64) -> Result<f64, DeviceError> {
        let t0 = self.device.drift.as_ref().map_or(0.0, |d| d.t0_s);
        let summed_read = |time: f64, draw: u64| -> Result<f64, DeviceError> {
            let key = StreamKey::new(self.seed, Purpose::Compensation, 2 * self.programs + draw);
            Ok(self.read_with(time, key)?.sum())
        };
        let reference = summed_read(t0, 0)?;
        let now = summed_read(t, 1)?;
        Ok(crate::drift::compensation_factor(&[reference], &[now]))
    }

    fn apply_faults(&mut self) {
        if let Some(faults) = &self.faults {
            let (g_min, g_max) = (&self.g_min, &self.g_max);
            par_map(self.conductance.as_mut_slice(), |k, g| match faults[k] {
                Fault::Healthy => g,
                Fault::StuckOn => g_max.get(k),
                Fault::StuckOff => g_min.get(k),
            });
        }
    }

    /// The write state, drawn on first use: ν for every device from its
    /// present conductance (stuck devices do not drift) and `ln(g/g_max)`.
    fn write_state(&self) -> &WriteState {
        self.state.get_or_init(|| {
            let (rows, cols) = self.shape();
            let mut ln_g_r = vec![0.0; rows * cols];
            log_relative(&self.conductance, &self.g_max, &mut ln_g_r);
            let mut nu = DMatrix::zeros(rows, cols);
            if let Some(drift) = &self.device.drift {
                let key = StreamKey::new(self.seed, Purpose::DriftExponent, self.programs);
                let (ln_g_r, faults) = (&ln_g_r, &self.faults);
                key.update_with_normals(nu.as_mut_slice(), |k, _, xi| {
                    if faults.as_ref().is_some_and(|f| f[k] != Fault::Healthy) {
                        return 0.0;
                    }
                    let l = ln_g_r[k];
                    (drift.nu_mean.at_ln(l) + drift.nu_std.at_ln(l) * xi).abs()
                });
            }
            WriteState { nu, ln_g_r }
        })
    }
}

/// `out[k] = ln(g[k]/g_max[k])` (`−∞` for `g = 0`).
fn log_relative(g: &DMatrix<f64>, g_max: &PerDevice, out: &mut [f64]) {
    let g = g.as_slice();
    par_map(out, |k, _| (g[k] / g_max.get(k)).ln());
}

fn check_time(t: f64) -> Result<(), DeviceError> {
    if t.is_finite() && t >= 0.0 {
        Ok(())
    } else {
        Err(DeviceError::BadTime(t))
    }
}
