//! Device specifications: every parameter of a device, in SI units, with its
//! citation, as one serde-(de)serialisable value.
//!
//! A [`DeviceSpec`] is what the library presets are made of and what users
//! write in a TOML file (the same fields, unknown keys rejected). It is plain
//! data: [`DeviceSpec::validate`] checks every physical constraint and names
//! the offending field, so that a front end can point at the line of a file.
//!
//! ```
//! use xbar_devices::library;
//!
//! let pcm = library::preset("ibm-pcm").unwrap();
//! pcm.validate().unwrap();
//! assert_eq!(pcm.g_max.siemens(), 25e-6);
//! ```

use serde::{Deserialize, Serialize};

use crate::access::AccessSpec;
use crate::check;
pub use crate::check::SpecError;
use crate::describe::{Parameter, Section, Value};
use crate::drift::DriftSpec;
use crate::faults::FaultSpec;
use crate::iv::IvSpec;
use crate::programming::ProgrammingSpec;
use crate::pulse::PulseSpec;
use crate::read_noise::ReadNoiseSpec;
use crate::units::Conductance;
use crate::variability::VariabilitySpec;

/// Where a device's parameters come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Citation {
    /// Authors, e.g. `"S. H. Jo, T. Chang, I. Ebong et al."`.
    pub authors: String,
    /// Title of the paper (or of the model/manual the numbers were read from).
    pub title: String,
    /// Journal or conference, with volume/pages where known.
    pub venue: String,
    /// Year of publication.
    pub year: u16,
    /// Digital object identifier, without the `https://doi.org/` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub doi: Option<String>,
    /// Where the numbers were actually read (a table that compiles the
    /// original device paper, a simulator's defaults, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters_from: Option<String>,
}

impl std::fmt::Display for Citation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}, \"{}\", {}, {}",
            self.authors, self.title, self.venue, self.year
        )?;
        if let Some(doi) = &self.doi {
            write!(f, ", doi:{doi}")?;
        }
        Ok(())
    }
}

/// A complete device: conductance range, and each optional model.
///
/// Conductances are in siemens, times in seconds. Every optional section that
/// is absent means "this effect is not modelled" (no programming noise, no
/// pulse-update model, no drift, no read noise, no variability, no faults,
/// ohmic I-V).
///
/// `Default` is that "nothing modelled" device with no name and a zero
/// range: it does not validate until `name`, `g_min` and `g_max` are set,
/// and exists so that a literal names only what it models
/// (`DeviceSpec { name, g_min, g_max, pulse: Some(…), ..Default::default() }`)
/// and a new section is one field with its own `Default`.
///
/// ```
/// use xbar_devices::{Conductance, DeviceSpec};
/// let device = DeviceSpec {
///     name: "plain".into(),
///     g_min: Conductance(1e-6),
///     g_max: Conductance(1e-5),
///     ..Default::default()
/// };
/// device.validate().unwrap();
/// assert!(device.pulse.is_none() && device.iv.is_linear());
/// assert_eq!(DeviceSpec::default().validate().unwrap_err().field, "name");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSpec {
    /// Short library name, e.g. `"ag-a-si"`.
    pub name: String,
    /// Technology and one line of description.
    #[serde(default)]
    pub description: String,
    /// Technology family: `"RRAM"`, `"PCM"`, `"FeFET"`, ...
    #[serde(default)]
    pub technology: String,
    /// Source of the parameters. Required for library presets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citation: Option<Citation>,
    /// Lowest conductance of the programmable range (S).
    pub g_min: Conductance,
    /// Highest conductance of the programmable range (S).
    pub g_max: Conductance,
    /// Writing a target conductance (write-and-verify programming).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub programming: Option<ProgrammingSpec>,
    /// Incremental potentiation/depression by identical pulses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pulse: Option<PulseSpec>,
    /// Power-law conductance drift after programming.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drift: Option<DriftSpec>,
    /// Noise of each read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_noise: Option<ReadNoiseSpec>,
    /// Device-to-device spread of the parameters above.
    #[serde(default, skip_serializing_if = "VariabilitySpec::is_none")]
    pub variability: VariabilitySpec,
    /// Stuck-at faults.
    #[serde(default, skip_serializing_if = "FaultSpec::is_none")]
    pub faults: FaultSpec,
    /// Current-voltage characteristic of one cell.
    #[serde(default, skip_serializing_if = "IvSpec::is_linear")]
    pub iv: IvSpec,
    /// The access device in series with each cell (1T1R, 1R1R).
    #[serde(default, skip_serializing_if = "AccessSpec::is_none")]
    pub access: AccessSpec,
}

impl DeviceSpec {
    /// Checks every parameter against its physical constraint.
    ///
    /// # Errors
    /// The first offending field, by its dotted TOML path, with what was
    /// expected: `g_min ≥ g_max`, a NaN, a negative rate, too few levels...
    pub fn validate(&self) -> Result<(), SpecError> {
        if self.name.trim().is_empty() {
            return Err(SpecError::new("name", "expected a non-empty name"));
        }
        let g_min = check::non_negative("g_min", self.g_min.siemens())?;
        let g_max = check::positive("g_max", self.g_max.siemens())?;
        check::conductance("g_min", g_min)?;
        check::conductance("g_max", g_max)?;
        if g_min >= g_max {
            return Err(SpecError::new(
                "g_max",
                format!("expected g_max > g_min, found g_min = {g_min:e} S ≥ g_max = {g_max:e} S"),
            ));
        }
        if let Some(p) = &self.programming {
            p.validate()?;
        }
        if let Some(p) = &self.pulse {
            p.validate_within(g_min, g_max)?;
        }
        if let Some(d) = &self.drift {
            d.validate()?;
        }
        if let Some(r) = &self.read_noise {
            r.validate()?;
        }
        self.variability.validate()?;
        self.faults.validate()?;
        self.iv.validate()?;
        self.access.validate()?;
        Ok(())
    }

    /// The conductance range `g_max − g_min` (S).
    pub fn range(&self) -> f64 {
        self.g_max.siemens() - self.g_min.siemens()
    }

    /// The ON/OFF ratio `g_max/g_min`; `None` when `g_min = 0`.
    pub fn on_off_ratio(&self) -> Option<f64> {
        let g_min = self.g_min.siemens();
        (g_min > 0.0).then(|| self.g_max.siemens() / g_min)
    }

    /// The pulses `(LTP, LTD)` of a full noiseless sweep of the pulse model,
    /// g_min → g_max → g_min (see [`PulseSpec::full_sweep_pulses`]); `None`
    /// for a device without a pulse model.
    pub fn full_sweep_pulses(&self) -> Option<(u32, u32)> {
        self.pulse.as_ref().map(PulseSpec::full_sweep_pulses)
    }

    /// The conductance range as a [`Section`]: `g_min`, `g_max` and the
    /// derived span, ON/OFF ratio and resistance range.
    pub fn describe_range(&self) -> Section {
        let (g_min, g_max) = (self.g_min.siemens(), self.g_max.siemens());
        let mut s = Section::new("Conductance range", None);
        s.parameter(Parameter::number(
            "g_min",
            g_min,
            "S",
            "lowest programmable conductance",
        ));
        s.parameter(Parameter::number(
            "g_max",
            g_max,
            "S",
            "highest programmable conductance",
        ));
        s.derive(Parameter::number(
            "range",
            self.range(),
            "S",
            "g_max − g_min",
        ));
        if let Some(ratio) = self.on_off_ratio() {
            s.derive(Parameter::number("on/off", ratio, "", "g_max/g_min"));
            s.derive(Parameter::new(
                "resistance",
                Value::Range(self.g_max.ohms(), self.g_min.ohms()),
                "Ω",
                "1/g_max … 1/g_min",
            ));
        }
        s
    }

    /// Every model of the device, described: parameters with their TOML
    /// keys, values, SI units and meanings, and the quantities derived from
    /// them, one [`Section`] per model in display order (conductance range,
    /// `[programming]`, `[pulse]`, `[drift]`, `[read_noise]`,
    /// `[variability]`, `[faults]`, `[iv]`). A model that is absent still
    /// has its section, with [`Section::absent`] saying what that means.
    ///
    /// The identity fields (`name`, `description`, `technology`,
    /// `citation`) are not physics and have no section: a front end shows
    /// them as they are (the [`Citation`] implements `Display`).
    ///
    /// ```
    /// use xbar_devices::describe::Value;
    /// use xbar_devices::library;
    ///
    /// let rram = library::preset("ag-a-si").unwrap();
    /// let sections = rram.describe();
    /// let pulse = sections.iter().find(|s| s.table == Some("pulse")).unwrap();
    /// let nl = pulse.parameters.iter().find(|p| p.key == "nl_ltp").unwrap();
    /// assert_eq!(nl.value, Value::Number(2.4));
    /// // NeuroSim's table: NL 2.40 → A = 0.499181 (in units of P_max).
    /// let a = pulse.derived.iter().find(|p| p.key == "A_ltp").unwrap();
    /// let Value::Number(a) = a.value else { panic!() };
    /// assert!((a - 0.499181).abs() < 1e-6);
    /// // Every dimensional parameter carries its SI unit.
    /// let range = &sections[0];
    /// assert_eq!((range.parameters[1].key.as_str(), range.parameters[1].unit), ("g_max", "S"));
    /// ```
    pub fn describe(&self) -> Vec<Section> {
        let (g_min, g_max) = (self.g_min.siemens(), self.g_max.siemens());
        vec![
            self.describe_range(),
            self.programming
                .as_ref()
                .map_or_else(ProgrammingSpec::describe_absent, |p| {
                    p.describe(g_min, g_max)
                }),
            self.pulse
                .as_ref()
                .map_or_else(PulseSpec::describe_absent, |p| p.describe(g_min, g_max)),
            self.drift
                .as_ref()
                .map_or_else(DriftSpec::describe_absent, |d| d.describe(g_min, g_max)),
            self.read_noise
                .as_ref()
                .map_or_else(ReadNoiseSpec::describe_absent, ReadNoiseSpec::describe),
            self.variability.describe(),
            self.faults.describe(),
            self.iv.describe(),
            self.access.describe(),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DeviceArray;
    use nalgebra::DMatrix;

    /// A device with every section present at its `Default`.
    fn every_section_default() -> DeviceSpec {
        DeviceSpec {
            name: "defaults".into(),
            g_min: Conductance(1e-6),
            g_max: Conductance(1e-5),
            programming: Some(ProgrammingSpec::default()),
            pulse: Some(PulseSpec::default()),
            drift: Some(DriftSpec::default()),
            read_noise: Some(ReadNoiseSpec::default()),
            ..Default::default()
        }
    }

    #[test]
    fn subnormal_conductances_are_refused_at_their_key() {
        // Issue 25: a range scaled to 1e-310 S kept no D2D spread (arrays
        // clamp conductances to the smallest normal double).
        let tiny = |g_min: f64, g_max: f64| DeviceSpec {
            name: "tiny".into(),
            g_min: Conductance(g_min),
            g_max: Conductance(g_max),
            ..Default::default()
        };
        let e = tiny(0.0, 1e-310).validate().unwrap_err();
        assert_eq!(e.field, "g_max");
        assert!(
            e.message
                .starts_with("expected siemens, found 1e-310 S, below 2.2250738585072014e-308 S"),
            "{e}"
        );
        assert_eq!(tiny(1e-311, 1e-6).validate().unwrap_err().field, "g_min");
        // 0 and the smallest normal double are conductances.
        tiny(0.0, f64::MIN_POSITIVE).validate().unwrap();
        tiny(f64::MIN_POSITIVE, 1e-300).validate().unwrap();
    }

    #[test]
    fn the_default_device_models_nothing_and_needs_a_name_and_range() {
        let d = DeviceSpec::default();
        assert_eq!(d.validate().unwrap_err().field, "name");
        let named = DeviceSpec {
            name: "x".into(),
            ..Default::default()
        };
        assert_eq!(named.validate().unwrap_err().field, "g_max");
        assert!(d.programming.is_none() && d.pulse.is_none() && d.drift.is_none());
        assert!(d.read_noise.is_none() && d.citation.is_none());
        assert!(d.variability.is_none() && d.faults.is_none() && d.iv.is_linear());
    }

    #[test]
    fn every_section_default_validates_and_changes_no_conductance() {
        let spec = every_section_default();
        spec.validate().unwrap();
        let targets = DMatrix::from_fn(3, 4, |i, j| 1e-6 + 1e-6 * (i + 2 * j) as f64);
        let mut array = DeviceArray::new(&spec, 3, 4, 5).unwrap();
        array.program(&targets).unwrap();
        // Exact writes, ν = 0, σ_read = 0: a year later a read is the target.
        assert_eq!(array.read(3.15e7).unwrap(), targets);
        // The default pulse model is the `ideal` preset's.
        let ideal = crate::library::preset("ideal").unwrap();
        assert_eq!(ideal.pulse, Some(PulseSpec::default()));
    }
}
