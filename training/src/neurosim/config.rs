//! `[insitu.neurosim]`: the protocol's settings, their checks, and
//! NeuroSim's pulse count for a weight change.

use serde::{Deserialize, Serialize};

use crate::train::TrainError;

/// How weights are stored on devices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightStorage {
    /// One device per weight and a reference column (NeuroSim's analog form).
    #[default]
    Reference,
    /// A G⁺/G⁻ pair per weight, potentiation only (Burr et al. 2015).
    Pair,
}

/// NeuroSim-protocol settings: the `[insitu.neurosim]` table. Defaults are
/// MLP_NeuroSim V3.0's `Param.cpp` (SGD version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NeurosimConfig {
    /// Training images per epoch, drawn with replacement (8000).
    pub images_per_epoch: usize,
    /// Hidden neurons (100).
    pub hidden: usize,
    /// Side of the central crop of each image (20: 400 inputs).
    pub crop: usize,
    /// Pixel threshold of the binarised input (0.5).
    pub input_threshold: f64,
    /// Threshold of the 1-bit hidden outputs (0.5).
    pub hidden_threshold: f64,
    /// Learning rates of layer 1 and layer 2 (0.4, 0.2).
    pub learning_rates: [f64; 2],
    /// ADC bits on each column's partial sum (8); 0 = ideal read.
    pub adc_bits: u32,
    /// One device per weight with a reference column, or a pair.
    pub weight_storage: WeightStorage,
    /// σ of each cell's NL labels around the device's (device-to-device), 0.
    pub d2d_nl: f64,
    /// Time between two updates (s); > 0 lets devices with a drift model drift.
    pub time_per_update_s: f64,
    /// Re-program every pair after this many updates; 0 = never (pair only).
    pub refresh_every: usize,
}

impl Default for NeurosimConfig {
    fn default() -> Self {
        NeurosimConfig {
            images_per_epoch: 8000,
            hidden: 100,
            crop: 20,
            input_threshold: 0.5,
            hidden_threshold: 0.5,
            learning_rates: [0.4, 0.2],
            adc_bits: 8,
            weight_storage: WeightStorage::Reference,
            d2d_nl: 0.0,
            time_per_update_s: 0.0,
            refresh_every: 0,
        }
    }
}

pub(super) fn bad(field: &str, message: String) -> TrainError {
    TrainError::Config {
        field: format!("neurosim.{field}"),
        message,
    }
}

impl NeurosimConfig {
    /// Memory (bytes) the protocol's `crop²–hidden–10` network holds, at
    /// least: one `f64` conductance per device (two per weight with
    /// `weight_storage = "pair"`) — to refuse sizes that cannot fit before
    /// anything is allocated.
    ///
    /// ```
    /// use xbar_training::NeurosimConfig;
    /// let n = NeurosimConfig::default(); // 400–100–10
    /// assert_eq!(n.memory_bytes(), 8.0 * (400.0 * 100.0 + 100.0 * 10.0));
    /// ```
    pub fn memory_bytes(&self) -> f64 {
        let (crop, hidden) = (self.crop as f64, self.hidden as f64);
        let weights = crop * crop * hidden + hidden * 10.0;
        let per_weight = match self.weight_storage {
            WeightStorage::Reference => 8.0,
            WeightStorage::Pair => 16.0,
        };
        per_weight * weights
    }

    /// Checks every field; errors name it (`neurosim.adc_bits`).
    ///
    /// # Errors
    /// The first field outside its domain.
    pub fn validate(&self) -> Result<(), TrainError> {
        for (field, v) in [
            ("images_per_epoch", self.images_per_epoch),
            ("hidden", self.hidden),
            ("crop", self.crop),
        ] {
            if v == 0 {
                return Err(bad(field, "expected ≥ 1, found 0".into()));
            }
        }
        // Input indices are u16 (NeuroSim's 400 inputs): 255² fits.
        if self.crop > 255 {
            return Err(bad(
                "crop",
                format!("expected at most 255, found {}", self.crop),
            ));
        }
        for (field, v) in [
            ("input_threshold", self.input_threshold),
            ("hidden_threshold", self.hidden_threshold),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(bad(field, format!("expected a value in [0, 1], found {v}")));
            }
        }
        for (i, lr) in self.learning_rates.iter().enumerate() {
            if !(lr.is_finite() && *lr > 0.0) {
                return Err(bad(
                    &format!("learning_rates[{i}]"),
                    format!("expected a finite value > 0, found {lr}"),
                ));
            }
        }
        if self.adc_bits > 24 {
            return Err(bad(
                "adc_bits",
                format!("expected 0 (ideal) … 24, found {}", self.adc_bits),
            ));
        }
        if !(self.d2d_nl.is_finite() && self.d2d_nl >= 0.0) {
            return Err(bad(
                "d2d_nl",
                format!("expected a finite value ≥ 0, found {}", self.d2d_nl),
            ));
        }
        if !(self.time_per_update_s.is_finite() && self.time_per_update_s >= 0.0) {
            return Err(bad(
                "time_per_update_s",
                format!(
                    "expected a finite time ≥ 0 s, found {}",
                    self.time_per_update_s
                ),
            ));
        }
        if self.refresh_every > 0 && self.weight_storage != WeightStorage::Pair {
            return Err(bad(
                "refresh_every",
                "a refresh re-programs a pair; set weight_storage = \"pair\" or refresh_every = 0"
                    .into(),
            ));
        }
        Ok(())
    }
}

/// NeuroSim's pulse count for a weight change `dw` on a device of `levels`
/// pulses across a weight range `w_range` (`w_max − w_min`):
/// `sign(dw)·round½(|dw|/w_range·levels)`, halves rounded away from zero
/// (`formula.cpp`, `truncate(x, levels, 0.5)`).
pub fn pulse_count(dw: f64, w_range: f64, levels: u32) -> i32 {
    let val = (dw / w_range).abs() * f64::from(levels);
    let r = val.trunc();
    let n = if val - r >= 0.5 { r + 1.0 } else { r };
    let n = n.min(f64::from(i32::MAX)) as i32;
    if dw < 0.0 {
        -n
    } else {
        n
    }
}
