//! The technology file: every component figure the cost model uses, each
//! with its source, so that users change them without touching code.
//!
//! A technology is a TOML table of `key = { value = <number>, source =
//! "<citation>" }` entries (and a `name`); [`Technology::KEYS`] lists the
//! keys, the struct's fields document their units (SI, in the key names).
//! The library's presets ([`Technology::preset`], names in
//! [`Technology::PRESETS`]) are compiled in from `cost/presets/*.toml`.
//!
//! An optional `[components]` table ([`Components`], keys in
//! [`Components::KEYS`], the same `{ value, source }` form) adds the
//! per-unit figures of an accelerator's tile that the architecture model
//! ([`crate::architecture`]) prices: a measured ADC design, sample-and-hold,
//! shift-and-add, sigmoid and pooling units, registers, eDRAM, bus and
//! router. Files without it stay valid (the network cost does not use it).
//!
//! [`Technology::from_toml`] reads one from text through the located TOML
//! reader ([`xbar_toml`], as configs and device files are read): a missing
//! key, an unknown key or a wrong type, and a value that is not a finite
//! number ≥ 0 (> 0 where the model divides by it) or has no source
//! ([`TechnologyError`]), are a [`ConfigError`] that names the origin, the
//! line and column, and the key.

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use xbar_toml::{ConfigError, TomlDocument};

/// One figure and where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quantity {
    /// The number, in the unit of its key.
    pub value: f64,
    /// Its citation.
    pub source: String,
}

/// A figure that breaks its constraint ([`Technology::validate`]); the
/// text is what [`Technology::from_toml`] reports at the key's line.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum TechnologyError {
    /// Not a finite number ≥ 0 (> 0 where the model divides by it).
    #[error("expected a finite value {}, found {value}", if *.positive { "> 0" } else { "≥ 0" })]
    OutOfRange {
        /// The figure's key.
        key: &'static str,
        /// Whether it must be > 0 (else ≥ 0).
        positive: bool,
        /// The value found.
        value: f64,
    },
    /// No citation for the value.
    #[error("expected a source (citation) for the value")]
    NoSource {
        /// The figure's key.
        key: &'static str,
    },
}

impl TechnologyError {
    /// The key of the figure.
    pub fn key(&self) -> &'static str {
        match self {
            TechnologyError::OutOfRange { key, .. } | TechnologyError::NoSource { key } => key,
        }
    }
}

macro_rules! technology {
    ($( $(#[$doc:meta])* $key:ident: $positive:literal ),* $(,)?) => {
        /// Component figures of one technology (see the [module docs](self)).
        ///
        /// ```
        /// use xbar_cost::Technology;
        /// let t = Technology::preset("generic-32nm").unwrap();
        /// assert_eq!(t.feature_size_m.value, 32e-9);
        /// assert!(t.adc_sample_rate_hz.source.contains("ISAAC"));
        /// let bad = t.to_toml().replace("value = 1.28e9", "value = -1.0");
        /// let err = Technology::from_toml(&bad, "mine.toml").unwrap_err();
        /// assert_eq!(err.key(), Some("adc_sample_rate_hz"));
        /// ```
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Technology {
            /// A name for reports.
            pub name: String,
            $( $(#[$doc])* pub $key: Quantity, )*
            /// The per-unit figures of an accelerator tile (`[components]`,
            /// optional).
            #[serde(default, skip_serializing_if = "Option::is_none")]
            pub components: Option<Components>,
        }

        impl Technology {
            /// Every figure's key, in file order.
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// `(key, quantity, must be > 0)` for every figure.
            fn entries(&self) -> Vec<(&'static str, &Quantity, bool)> {
                vec![$((stringify!($key), &self.$key, $positive)),*]
            }
        }
    };
}

technology! {
    /// Feature size F (m).
    feature_size_m: true,
    /// Logic supply voltage (V).
    supply_v: true,
    /// Array wire resistance per length (Ω/m).
    wire_resistance_ohm_per_m: false,
    /// Array wire capacitance per length (F/m).
    wire_capacitance_f_per_m: false,
    /// Cell pitch along a line, in F.
    cell_pitch_f: true,
    /// Cell area, in F².
    cell_area_f2: true,
    /// Read pulse width (s): how long the read voltages are applied.
    read_time_s: true,
    /// Word-line driver energy per activated row per read at `V_read` (J).
    driver_energy_j: false,
    /// Driver area per word line (m²).
    driver_area_m2: false,
    /// Energy of one DAC conversion (per activated row and read, J).
    dac_energy_j: false,
    /// ADC Walden figure of merit (J per conversion step).
    adc_walden_fom_j: false,
    /// ADC Schreier figure of merit (dB).
    adc_schreier_fom_db: true,
    /// ADC conversions per second.
    adc_sample_rate_hz: true,
    /// Area of one ADC at `adc_area_reference_bits` (m²).
    adc_area_m2: false,
    /// The resolution `adc_area_m2` refers to (bits).
    adc_area_reference_bits: true,
    /// Energy of one accumulator-width addition (J).
    add_energy_j: false,
    /// Energy of one accumulator-width multiplication (J).
    mult_energy_j: false,
    /// Area of one adder (m²).
    add_area_m2: false,
    /// Area of one multiplier (m²).
    mult_area_m2: false,
    /// Buffer (SRAM) access energy per bit (J).
    sram_energy_j_per_bit: false,
    /// Buffer (SRAM) area per bit (m²).
    sram_area_m2_per_bit: false,
    /// Digital clock period (s).
    digital_cycle_s: true,
    /// Programming pulse amplitude (V).
    write_voltage_v: false,
    /// Programming pulse width (s).
    write_pulse_s: false,
    /// Programming pulses per cell when a network is written (write-verify).
    write_pulses_per_cell: false,
}

macro_rules! components {
    ($( $(#[$doc:meta])* $key:ident: $positive:literal ),* $(,)?) => {
        /// Per-unit figures of an accelerator tile's components: the
        /// `[components]` table of a technology file (see the
        /// [module docs](self)); energies per operation, powers per unit,
        /// areas per unit, SI units in the key names.
        ///
        /// ```
        /// use xbar_cost::Technology;
        /// let t = Technology::preset("isaac-32nm").unwrap();
        /// let c = t.components.as_ref().unwrap();
        /// assert!(c.adc_energy_j.source.contains("Kull"));
        /// assert!(Technology::preset("generic-32nm").unwrap().components.is_none());
        /// ```
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct Components {
            $( $(#[$doc])* pub $key: Quantity, )*
        }

        impl Components {
            /// Every figure's key, in file order (under `[components]`).
            pub const KEYS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// `(dotted key, quantity, must be > 0)` for every figure.
            fn entries(&self) -> Vec<(&'static str, &Quantity, bool)> {
                vec![$((concat!("components.", stringify!($key)), &self.$key, $positive)),*]
            }
        }
    };
}

components! {
    /// Energy of one conversion of the design's ADC at
    /// `adc_area_reference_bits` and `adc_sample_rate_hz` (J); used instead
    /// of the survey envelope when an architecture asks for the design ADC.
    adc_energy_j: false,
    /// Static power of one sample-and-hold cell (W).
    sample_hold_power_w: false,
    /// Area of one sample-and-hold cell (m²).
    sample_hold_area_m2: false,
    /// Energy of one shift-and-add of an ADC output into a partial sum (J).
    shift_add_energy_j: false,
    /// Area of one shift-and-add unit (m²).
    shift_add_area_m2: false,
    /// Energy of one sigmoid (activation) evaluation (J).
    sigmoid_energy_j: false,
    /// Area of one sigmoid unit (m²).
    sigmoid_area_m2: false,
    /// Energy of one max-pool comparison per output value (J).
    maxpool_energy_j: false,
    /// Area of one max-pool unit (m²).
    maxpool_area_m2: false,
    /// Register (small SRAM) energy per bit read or written (J).
    register_energy_j_per_bit: false,
    /// Register area per bit (m²).
    register_area_m2_per_bit: false,
    /// Register leakage per bit (W).
    register_leakage_w_per_bit: false,
    /// eDRAM energy per bit read or written (J).
    edram_energy_j_per_bit: false,
    /// eDRAM area per bit (m²).
    edram_area_m2_per_bit: false,
    /// eDRAM leakage and refresh per bit (W).
    edram_leakage_w_per_bit: false,
    /// Energy of one bit moved over the buffer-to-array bus (J).
    bus_energy_j_per_bit: false,
    /// Bus area per wire (m²).
    bus_area_m2_per_wire: false,
    /// Energy of one bit through an inter-tile router (J).
    router_energy_j_per_bit: false,
    /// Area of one router (m²).
    router_area_m2: false,
    /// Word-line voltage of a 1 input bit during a read (V).
    read_voltage_v: true,
}

/// The presets compiled into the library: `(name, TOML text)`.
const PRESET_TEXTS: &[(&str, &str)] = &[
    ("generic-45nm", include_str!("../presets/generic-45nm.toml")),
    ("generic-32nm", include_str!("../presets/generic-32nm.toml")),
    ("generic-22nm", include_str!("../presets/generic-22nm.toml")),
    ("isaac-32nm", include_str!("../presets/isaac-32nm.toml")),
];

impl Technology {
    /// Names of the library's presets.
    pub const PRESETS: &'static [&'static str] =
        &["generic-45nm", "generic-32nm", "generic-22nm", "isaac-32nm"];

    /// A preset by name (`None` for an unknown name).
    pub fn preset(name: &str) -> Option<Technology> {
        PRESET_TEXTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(n, text)| {
                Technology::from_toml(text, &format!("preset {n}"))
                    .expect("the shipped presets are valid (tested)")
            })
    }

    /// The TOML text of a preset (what `from_toml` reads).
    pub fn preset_text(name: &str) -> Option<&'static str> {
        PRESET_TEXTS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, t)| *t)
    }

    /// Reads and checks a technology from TOML `text`; `origin` names it in
    /// errors (a file name).
    ///
    /// # Errors
    /// A located [`ConfigError`]: TOML syntax, an unknown, missing or
    /// mistyped key at its line, a [`TechnologyError`] at its key's line.
    pub fn from_toml(text: &str, origin: &str) -> Result<Technology, ConfigError> {
        let doc = TomlDocument::parse(Path::new(origin), text)?;
        let tech: Technology = doc.deserialize()?;
        tech.validate()
            .map_err(|e| doc.invalid_at_key(e.key(), &e.to_string()))?;
        Ok(tech)
    }

    /// Checks every value: finite and ≥ 0 (> 0 where the model divides by
    /// it), with a non-empty source.
    ///
    /// # Errors
    /// The first figure, in [`Technology::KEYS`] order, that breaks its
    /// constraint.
    pub fn validate(&self) -> Result<(), TechnologyError> {
        let components = self.components.iter().flat_map(|c| c.entries());
        for (key, q, positive) in self.entries().into_iter().chain(components) {
            let ok = q.value.is_finite()
                && if positive {
                    q.value > 0.0
                } else {
                    q.value >= 0.0
                };
            if !ok {
                return Err(TechnologyError::OutOfRange {
                    key,
                    positive,
                    value: q.value,
                });
            }
            if q.source.trim().is_empty() {
                return Err(TechnologyError::NoSource { key });
            }
        }
        Ok(())
    }

    /// The technology as TOML (round-trips through [`Technology::from_toml`]).
    pub fn to_toml(&self) -> String {
        let mut s = format!("name = {:?}\n", self.name);
        for (key, q, _) in self.entries() {
            s.push_str(&format!(
                "{key} = {{ value = {:e}, source = {:?} }}\n",
                q.value, q.source
            ));
        }
        if let Some(c) = &self.components {
            s.push_str("\n[components]\n");
            for (key, q, _) in c.entries() {
                let key = key.trim_start_matches("components.");
                s.push_str(&format!(
                    "{key} = {{ value = {:e}, source = {:?} }}\n",
                    q.value, q.source
                ));
            }
        }
        s
    }

    /// Length of one cell along a line (m): `cell_pitch_f · F`.
    pub fn cell_pitch_m(&self) -> f64 {
        self.cell_pitch_f.value * self.feature_size_m.value
    }

    /// Wire resistance of one segment between neighbouring cells (Ω).
    pub fn segment_resistance_ohm(&self) -> f64 {
        self.wire_resistance_ohm_per_m.value * self.cell_pitch_m()
    }

    /// Wire capacitance of one segment between neighbouring cells (F).
    pub fn segment_capacitance_f(&self) -> f64 {
        self.wire_capacitance_f_per_m.value * self.cell_pitch_m()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_reads_and_round_trips() {
        for name in Technology::PRESETS {
            let t = Technology::preset(name).unwrap();
            assert_eq!(&t.name, name);
            let back = Technology::from_toml(&t.to_toml(), "round trip").unwrap();
            assert_eq!(back, t);
        }
        assert!(Technology::preset("7nm-dreams").is_none());
    }

    #[test]
    fn a_missing_value_is_located_and_named() {
        let text = Technology::preset_text("generic-32nm").unwrap();
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("adc_walden_fom_j"))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = Technology::from_toml(&without, "t.toml").unwrap_err();
        assert_eq!(err.key(), Some("adc_walden_fom_j"));
        assert!(err.to_string().starts_with("t.toml:"), "{err}");
        assert!(err.to_string().contains("missing"), "{err}");
    }

    #[test]
    fn a_negative_value_is_located_at_its_line() {
        let text = Technology::preset_text("generic-32nm").unwrap();
        let line = text
            .lines()
            .position(|l| l.starts_with("read_time_s"))
            .unwrap()
            + 1;
        let bad = text.replace(
            "read_time_s = { value = 10e-9",
            "read_time_s = { value = -10e-9",
        );
        let err = Technology::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(
            (err.key(), err.line(), err.column()),
            (Some("read_time_s"), Some(line), Some(1))
        );
        assert_eq!(
            err.to_string(),
            format!("t.toml:{line}:1: read_time_s: expected a finite value > 0, found -0.00000001")
        );
        // ≥ 0 keys take 0 but not less.
        let zero = text.replace(
            "add_energy_j = { value = 0.071e-12",
            "add_energy_j = { value = 0.0",
        );
        Technology::from_toml(&zero, "t.toml").unwrap();
        let neg = text.replace(
            "add_energy_j = { value = 0.071e-12",
            "add_energy_j = { value = -1.0",
        );
        assert_eq!(
            Technology::from_toml(&neg, "t.toml").unwrap_err().key(),
            Some("add_energy_j")
        );
    }

    #[test]
    fn unknown_keys_and_missing_sources_are_refused() {
        let text = Technology::preset_text("generic-32nm").unwrap();
        let extra = format!("{text}\nflux_capacitance = {{ value = 1.0, source = \"x\" }}\n");
        let err = Technology::from_toml(&extra, "t.toml").unwrap_err();
        assert!(err.to_string().contains("flux_capacitance"), "{err}");
        let nosource = text.replace(
            "digital_cycle_s = { value = 1e-9, source = \"1 GHz digital clock\" }",
            "digital_cycle_s = { value = 1e-9, source = \"\" }",
        );
        let err = Technology::from_toml(&nosource, "t.toml").unwrap_err();
        assert_eq!(err.key(), Some("digital_cycle_s"));
        assert!(
            err.to_string()
                .ends_with(": digital_cycle_s: expected a source (citation) for the value"),
            "{err}"
        );
    }

    #[test]
    fn components_are_optional_and_located_like_the_rest() {
        // Files without [components] stay valid; isaac-32nm has one.
        assert!(Technology::preset("generic-45nm")
            .unwrap()
            .components
            .is_none());
        let text = Technology::preset_text("isaac-32nm").unwrap();
        let t = Technology::from_toml(text, "t.toml").unwrap();
        let c = t.components.as_ref().unwrap();
        assert!((c.adc_energy_j.value - 1.5625e-12).abs() < 1e-24);
        let line = text
            .lines()
            .position(|l| l.starts_with("adc_energy_j"))
            .unwrap()
            + 1;
        let bad = text.replace(
            "adc_energy_j = { value = 1.5625e-12",
            "adc_energy_j = { value = -1.0",
        );
        let err = Technology::from_toml(&bad, "t.toml").unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "t.toml:{line}:1: components.adc_energy_j: expected a finite value ≥ 0, found -1"
            )
        );
        // An unknown key inside [components] is refused, a missing one named.
        let extra = text.replace(
            "[components]\n",
            "[components]\nflux_w = { value = 1.0, source = \"x\" }\n",
        );
        let err = Technology::from_toml(&extra, "t.toml").unwrap_err();
        assert!(err.to_string().contains("flux_w"), "{err}");
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("router_area_m2"))
            .map(|l| format!("{l}\n"))
            .collect();
        let err = Technology::from_toml(&without, "t.toml").unwrap_err();
        assert!(err.to_string().contains("router_area_m2"), "{err}");
    }

    #[test]
    fn segment_values_follow_the_pitch() {
        let t = Technology::preset("generic-32nm").unwrap();
        // 2F pitch at 32 nm = 64 nm; 2e7 Ω/m · 64 nm = 1.28 Ω; 0.2 fF/µm · 64 nm = 12.8 aF.
        assert!((t.segment_resistance_ohm() - 1.28).abs() < 1e-12);
        assert!((t.segment_capacitance_f() - 12.8e-18).abs() < 1e-30);
    }
}
