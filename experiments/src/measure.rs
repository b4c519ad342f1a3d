//! Device characterisation: pulse (LTP/LTD) curves and drift statistics,
//! on one [`DeviceArray`] each. The `device pulse`/`device drift` commands
//! and the `device-pulse`/`device-drift` experiment kinds share them.

use nalgebra::DMatrix;
use xbar_devices::pulse::PulseSpec;
use xbar_devices::{library, DeviceArray, DeviceSpec};

use xbar_devices::DeviceError;

/// Why a characterisation could not run.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MeasureError {
    /// The device model refused a value.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// The device has no pulse model (the message lists those that have one).
    #[error("{0}")]
    NoPulseModel(String),
    /// The run would exceed a size limit (the message says which and how to reduce it).
    #[error("{0}")]
    TooLarge(String),
}

/// Most CSV rows one command writes (≈ 2.5 GB of text).
pub const MAX_ROWS: u64 = 50_000_000;

/// Most devices held in memory at once by a drift run.
pub const MAX_DEVICES: usize = 20_000_000;

/// Default drift read times: 1 s, 1 min, 1 h, 1 day, 30 days, 1 year.
pub const DEFAULT_TIMES: [f64; 6] = [1.0, 60.0, 3600.0, 86_400.0, 2_592_000.0, 31_536_000.0];

/// Default drift targets, as fractions of the range above g_min.
pub const DEFAULT_TARGET_FRACTIONS: [f64; 5] = [0.1, 0.25, 0.5, 0.75, 1.0];

/// Phase of a pulse-curve row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before any pulse.
    Initial,
    /// Potentiation (+1 pulse per step).
    Ltp,
    /// Depression (−1 pulse per step).
    Ltd,
}

impl Phase {
    /// The CSV label.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Initial => "initial",
            Phase::Ltp => "ltp",
            Phase::Ltd => "ltd",
        }
    }
}

/// The pulses per phase `(LTP, LTD)` a device's full curve takes (see
/// [`PulseSpec::full_sweep_pulses`]); `None` for a device without a pulse model.
pub fn default_pulses(spec: &DeviceSpec) -> Option<(u32, u32)> {
    spec.pulse.as_ref().map(PulseSpec::full_sweep_pulses)
}

/// The error for a device without a pulse model, listing those that have one.
pub fn no_pulse_model(spec: &DeviceSpec) -> MeasureError {
    let with: Vec<String> = library::all()
        .into_iter()
        .filter(|d| d.pulse.is_some())
        .map(|d| d.name)
        .collect();
    MeasureError::NoPulseModel(format!(
        "device `{}` has no pulse model; library devices with one: {} (or add a [pulse] section to a device file)",
        spec.name,
        with.join(", ")
    ))
}

/// Runs the pulse curve of `count` devices (one 1 × count array from
/// `seed`): the initial state, `ltp` single +1 pulses, then `ltd` single
/// −1 pulses. Calls `row(pulse, phase, conductances)` after every step,
/// `pulse` being the cumulative pulse index.
///
/// # Errors
/// A device without a pulse model, too many rows, or an error of `row`.
pub fn pulse_curve<E: From<MeasureError>>(
    spec: &DeviceSpec,
    count: usize,
    (ltp, ltd): (u32, u32),
    seed: u64,
    mut row: impl FnMut(u64, Phase, &[f64]) -> Result<(), E>,
) -> Result<(), E> {
    if spec.pulse.is_none() {
        return Err(no_pulse_model(spec).into());
    }
    let rows = count as u64 * (1 + u64::from(ltp) + u64::from(ltd));
    if rows > MAX_ROWS {
        return Err(MeasureError::TooLarge(format!(
            "{count} devices × {} pulses would write {rows} rows (at most {MAX_ROWS}); reduce the device count or the pulses",
            u64::from(ltp) + u64::from(ltd)
        ))
        .into());
    }
    let mut array = DeviceArray::new(spec, 1, count, seed).map_err(MeasureError::from)?;
    row(0, Phase::Initial, array.conductances().as_slice())?;
    let up = DMatrix::from_element(1, count, 1);
    let down = DMatrix::from_element(1, count, -1);
    let mut pulse = 0u64;
    for (phase, n, step) in [(Phase::Ltp, ltp, &up), (Phase::Ltd, ltd, &down)] {
        for _ in 0..n {
            array.apply_pulses(step).map_err(MeasureError::from)?;
            pulse += 1;
            row(pulse, phase, array.conductances().as_slice())?;
        }
    }
    Ok(())
}

/// Summary statistics of one sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// Sample size.
    pub count: usize,
    /// Mean.
    pub mean: f64,
    /// Population standard deviation (÷ n).
    pub std: f64,
    /// Smallest value.
    pub min: f64,
    /// 5th percentile.
    pub p05: f64,
    /// Median.
    pub median: f64,
    /// 95th percentile.
    pub p95: f64,
    /// Largest value.
    pub max: f64,
}

impl Stats {
    /// Statistics of `values` (sorted in place; must be non-empty).
    /// Percentiles interpolate linearly between order statistics (NumPy's
    /// default): `p(q) = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋])`, `h = (n−1)·q`.
    pub fn of(values: &mut [f64]) -> Stats {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        let mean = values.iter().sum::<f64>() / n as f64;
        let var = values.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        let quantile = |q: f64| {
            let h = (n - 1) as f64 * q;
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            values[lo] + (h - lo as f64) * (values[hi] - values[lo])
        };
        Stats {
            count: n,
            mean,
            std: var.sqrt(),
            min: values[0],
            p05: quantile(0.05),
            median: quantile(0.5),
            p95: quantile(0.95),
            max: values[n - 1],
        }
    }
}

/// One row of a drift table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DriftRow {
    /// Programmed target (S).
    pub target: f64,
    /// Time since programming (s).
    pub time: f64,
    /// Conductances read (S).
    pub stats: Stats,
}

/// The default drift targets of a device (S).
pub fn default_targets(spec: &DeviceSpec) -> Vec<f64> {
    DEFAULT_TARGET_FRACTIONS
        .iter()
        .map(|f| {
            // Rounded to 12 significant digits: 1.875e-5, not 1.8750000000000002e-5.
            let g = spec.g_min.siemens() + spec.range() * f;
            format!("{g:.11e}").parse().unwrap_or(g)
        })
        .collect()
}

/// Programs a `count × targets.len()` array (column j to `targets[j]`),
/// reads it at every time (with read noise when `read_noise`, else the
/// noiseless drifted conductance) and summarises each column. Rows are
/// ordered by target, then time.
///
/// # Errors
/// Too many devices, or a device/target/time the array refuses.
pub fn drift_stats(
    spec: &DeviceSpec,
    count: usize,
    targets: &[f64],
    times: &[f64],
    seed: u64,
    read_noise: bool,
) -> Result<Vec<DriftRow>, MeasureError> {
    let n = count.saturating_mul(targets.len());
    if n > MAX_DEVICES {
        return Err(MeasureError::TooLarge(format!(
            "{count} devices × {} targets is {n} devices (at most {MAX_DEVICES}); reduce the device count or the targets",
            targets.len()
        )));
    }
    let mut array = DeviceArray::new(spec, count, targets.len(), seed)?;
    let programmed = DMatrix::from_fn(count, targets.len(), |_, j| targets[j]);
    array.program(&programmed)?;
    let mut per_time = Vec::with_capacity(times.len());
    for &t in times {
        let g = if read_noise {
            array.read(t)?
        } else {
            array.drift_to(t)?
        };
        let columns: Vec<Stats> = g
            .column_iter()
            .map(|c| Stats::of(&mut c.iter().copied().collect::<Vec<_>>()))
            .collect();
        per_time.push(columns);
    }
    let mut rows = Vec::with_capacity(targets.len() * times.len());
    for (j, &target) in targets.iter().enumerate() {
        for (i, &time) in times.iter().enumerate() {
            rows.push(DriftRow {
                target,
                time,
                stats: per_time[i][j],
            });
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_match_hand_computed_values() {
        let s = Stats::of(&mut [4.0, 1.0, 3.0, 2.0, 5.0]);
        assert_eq!(
            (s.count, s.mean, s.min, s.max, s.median),
            (5, 3.0, 1.0, 5.0, 3.0)
        );
        assert!((s.std - 2f64.sqrt()).abs() < 1e-15);
        assert!((s.p05 - 1.2).abs() < 1e-12 && (s.p95 - 4.8).abs() < 1e-12);
        let one = Stats::of(&mut [7.0]);
        assert_eq!((one.std, one.p05, one.p95), (0.0, 7.0, 7.0));
    }

    #[test]
    fn soft_bounds_default_covers_99_percent() {
        let mut spec = library::preset("ideal").unwrap();
        spec.pulse = Some(PulseSpec::SoftBounds {
            alpha_up: 0.1,
            alpha_down: 0.5,
            c2c: 0.0,
        });
        assert_eq!(default_pulses(&spec), Some((44, 7)));
        spec.pulse = None;
        assert_eq!(default_pulses(&spec), None);
    }
}
