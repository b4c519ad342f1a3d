//! Relative read noise from repeated reads.
//!
//! The library's relative model ([`xbar_devices::read_noise`]) reads
//! `g·(1 + σ·ξ)`: per device, σ is the sample standard deviation of its
//! repeated reads divided by their mean, with the χ² interval; over the
//! devices, the pooled `σ = √(mean σᵢ²)` with the interval of the pooled
//! χ² (the reads of all devices). Slow drift between the reads would count
//! as noise: read within a short window, or give the reads a `time_s`
//! column and fit the drift with `--retention` instead.
//!
//! Table: one column of conductances (S) per device, one row per read
//! (optional `read` or `time_s` columns are ignored), or long (`device`,
//! `conductance_S`).
//!
//! ```
//! use xbar_fit::measurements::Table;
//! use xbar_fit::read_noise::fit_read_noise;
//!
//! let text = "a,b\n0.99e-6,2.02e-6\n1.01e-6,1.98e-6\n1.0e-6,2.0e-6\n";
//! let fit = fit_read_noise(&Table::from_csv_text("n.csv", text, b',').unwrap()).unwrap();
//! assert!((fit.devices[0].sigma.value - 0.01).abs() < 1e-12);
//! ```

use serde::{Deserialize, Serialize};
use xbar_devices::read_noise::ReadNoiseSpec;

use crate::measurements::{series, DataError, Table};
use crate::stats::{mean, sigma_estimate, std_dev, Estimate};

/// One device's read noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceReadNoise {
    /// Device name.
    pub name: String,
    /// Reads.
    pub reads: usize,
    /// Mean conductance (S).
    pub mean_s: f64,
    /// Relative σ.
    pub sigma: Estimate,
}

/// The read-noise fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadNoiseFit {
    /// Per device.
    pub devices: Vec<DeviceReadNoise>,
    /// Pooled relative σ.
    pub sigma: Estimate,
    /// The device file's section.
    pub read_noise: ReadNoiseSpec,
}

/// Fits the relative read noise.
///
/// # Errors
/// Bad values, a device with fewer than 2 reads or a zero mean.
pub fn fit_read_noise(table: &Table) -> Result<ReadNoiseFit, DataError> {
    let all = series(table, "time_s", false, &["read", "time_s"])?;
    let mut devices = Vec::new();
    let (mut pooled, mut dof) = (0.0, 0usize);
    for s in &all {
        let m = mean(&s.g);
        if s.g.len() < 2 || m <= 0.0 {
            return Err(DataError::column(
                &table.file,
                &s.name,
                format!(
                    "{} reads with mean {m:e} S: expected at least 2 reads of a conducting device",
                    s.g.len()
                ),
            ));
        }
        let rel = std_dev(&s.g) / m;
        pooled += rel * rel * (s.g.len() - 1) as f64;
        dof += s.g.len() - 1;
        devices.push(DeviceReadNoise {
            name: s.name.clone(),
            reads: s.g.len(),
            mean_s: m,
            sigma: sigma_estimate(rel, s.g.len() - 1),
        });
    }
    let sigma = sigma_estimate((pooled / dof as f64).sqrt(), dof);
    Ok(ReadNoiseFit {
        devices,
        sigma,
        read_noise: ReadNoiseSpec::Relative { sigma: sigma.value },
    })
}
