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
/// MLP_NeuroSim V3.0's `Param.cpp` (SGD version), except the five
/// NeuroSim-compatibility settings of issue 28 (`access_ohm`, `wire_ohm`,
/// `init_adds_g_min`, `pulse_roundoff`, `extrapolate_curves`), whose defaults keep xbarsim's
/// earlier ideal-wiring behaviour; `experiments/configs/neurosim-insitu.toml`
/// sets NeuroSim's values.
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
    /// The 1T1R access resistance in series with every cell in a read (Ω),
    /// NeuroSim's `resistanceAccess` (15 kΩ, [`NEUROSIM_ACCESS_OHM`]).
    /// Applied to every device without an `[access]` section of its own,
    /// except a FeFET (technology `"FeFET"`), which is its own selector and
    /// is read without one (NeuroSim: `cmosAccess && !FeFET`). Unset (the
    /// default): the device's `[access]` resistor if it has one, else none,
    /// `I = V·G` (xbarsim before issue 28).
    pub access_ohm: Option<f64>,
    /// Wire resistance of one cell's segment of a word or bit line (Ω);
    /// the cell in column `j`, row `k` of an `N`-row array reads through
    /// `(j + 1) + (N − k)` segments besides its access resistance
    /// (NeuroSim's `Array::ReadCell`; its 100 nm Cu wire gives
    /// [`NEUROSIM_WIRE_OHM`] = 0.237 Ω). The ADC range and the reference
    /// column leave the wires out, as NeuroSim's do. Default 0.
    pub wire_ohm: f64,
    /// Whether the initial weights are written as
    /// `G = G_min + (w − w_min)/(w_max − w_min)·(G_max − G_min)` (`true`,
    /// the default), or as MLP_NeuroSim V3.0's `Array::WriteCell` does,
    /// without adding `G_min`:
    /// `G = max((w − w_min)/(w_max − w_min)·(G_max − G_min), G_min)`
    /// (`false`: NeuroSim compatibility; arguably a bug in NeuroSim, which
    /// starts every weight `2·G_min/(G_max − G_min)` below its drawn value).
    /// Reference storage only: a pair always starts at `G_min` + its part.
    pub init_adds_g_min: bool,
    /// NeuroSim's pulse count as its C++ computes it (`true`):
    /// `RealDevice::Write` applies `(int)((n/P)·P)` of the rounded count `n`,
    /// which in double precision is one pulse less for some `n` (7, 14, 25,
    /// … of `P = 97`; 29, 57, … of `P = 50` or 100). Default `false`:
    /// `n` pulses.
    pub pulse_roundoff: bool,
    /// Whether a pulse train past the end of a device's curve follows the
    /// curve's formula beyond `[G_min, G_max]` before the C2C noise and the
    /// clamp (`true`: NeuroSim's `RealDevice::Write`, where a cell driven
    /// into a bound mostly stays there), or stops at the end first
    /// (`false`, the default: [`xbar_devices::pulse::exponential_update`],
    /// where the noise moves a cell off its bound half of the time).
    pub extrapolate_curves: bool,
}

/// NeuroSim's access resistance of a 1T1R cell (Ω): `resistanceAccess`
/// of `RealDevice`/`IdealDevice` in MLP_NeuroSim V3.0's `Cell.cpp`.
pub const NEUROSIM_ACCESS_OHM: f64 = 15e3;

/// NeuroSim's wire resistance per cell (Ω): a 100 nm wide Cu line
/// (`Param::arrayWireWidth`), aspect ratio 2.3, ρ = 2.73e-8 Ω·m, 2F long
/// (`Array::Initialization`): `ρ·2F/(F²·AR) = 2ρ/(F·AR)`.
pub const NEUROSIM_WIRE_OHM: f64 = 2.0 * 2.73e-8 / (100e-9 * 2.3);

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
            access_ohm: None,
            wire_ohm: 0.0,
            init_adds_g_min: true,
            pulse_roundoff: false,
            extrapolate_curves: false,
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
        if let Some(r) = self.access_ohm {
            if !(r.is_finite() && r >= 0.0) {
                return Err(bad(
                    "access_ohm",
                    format!("expected a finite resistance ≥ 0 Ω, found {r}"),
                ));
            }
        }
        if !(self.wire_ohm.is_finite() && self.wire_ohm >= 0.0) {
            return Err(bad(
                "wire_ohm",
                format!(
                    "expected a finite resistance ≥ 0 Ω, found {}",
                    self.wire_ohm
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

impl NeurosimConfig {
    /// The access resistance (Ω) a read of `device` goes through under
    /// these settings: the device's `[access]` resistor if it has one, else
    /// `access_ohm` (0 if unset) for a 1T1R cell and 0 for a device whose
    /// technology is `"FeFET"`.
    ///
    /// ```
    /// use xbar_devices::library;
    /// use xbar_training::{NeurosimConfig, neurosim::NEUROSIM_ACCESS_OHM};
    /// let alox = library::preset("alox-hfo2").unwrap();
    /// let fefet = library::preset("hzo-fefet").unwrap();
    /// assert_eq!(NeurosimConfig::default().access_ohm_for(&alox).unwrap(), 0.0);
    /// let n = NeurosimConfig { access_ohm: Some(NEUROSIM_ACCESS_OHM), ..NeurosimConfig::default() };
    /// assert_eq!(n.access_ohm_for(&alox).unwrap(), 15e3);
    /// assert_eq!(n.access_ohm_for(&fefet).unwrap(), 0.0);
    /// ```
    ///
    /// # Errors
    /// A device with a nonlinear `[iv]` or an nmos-level1 `[access]` (field
    /// `device.iv`/`device.access`), or `access_ohm` set for a device with
    /// its own `[access]` (field `neurosim.access_ohm`).
    pub fn access_ohm_for(&self, device: &xbar_devices::DeviceSpec) -> Result<f64, TrainError> {
        super::device::access_ohm(device, self)
    }
}

/// NeuroSim's pulse count for a weight change `dw` on a device of `levels`
/// pulses across a weight range `w_range` (`w_max − w_min`):
/// `sign(dw)·round½(|dw|/w_range·levels)`, halves rounded away from zero
/// (`formula.cpp`, `truncate(x, levels, 0.5)`).
pub fn pulse_count(dw: f64, w_range: f64, levels: u32) -> i32 {
    pulse_count_as(dw, w_range, levels, false)
}

/// [`pulse_count`], and with `roundoff` the count NeuroSim's
/// `RealDevice::Write` then applies: `(int)((±n/P)·P)`, which double
/// precision makes `n − 1` for some `n`.
///
/// ```
/// use xbar_training::neurosim::pulse_count_as;
/// // 7/97·97 = 6.999… in double precision: NeuroSim applies 6 pulses.
/// assert_eq!(pulse_count_as(14.0 / 97.0, 2.0, 97, true), 6);
/// assert_eq!(pulse_count_as(14.0 / 97.0, 2.0, 97, false), 7);
/// assert_eq!(pulse_count_as(-14.0 / 97.0, 2.0, 97, true), -6);
/// ```
pub fn pulse_count_as(dw: f64, w_range: f64, levels: u32, roundoff: bool) -> i32 {
    let val = (dw / w_range).abs() * f64::from(levels);
    let r = val.trunc();
    let n = if val - r >= 0.5 { r + 1.0 } else { r };
    let n = n.min(f64::from(i32::MAX));
    let p = f64::from(levels);
    let n = if dw < 0.0 { -n } else { n };
    if roundoff && levels > 0 {
        // `truncate` returns `val·sign/numLevel`; `numPulse` is its int
        // conversion after multiplying by the levels again.
        ((n / p) * p).trunc() as i32
    } else {
        n as i32
    }
}
