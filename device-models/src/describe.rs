//! Self-description of the device models: every parameter of a
//! [`DeviceSpec`](crate::DeviceSpec) with its TOML key, value, SI unit and
//! meaning, and the quantities derived from them, grouped by model.
//!
//! Each model type has a `describe` method that returns one [`Section`];
//! [`DeviceSpec::describe`](crate::DeviceSpec::describe) gathers them in
//! display order. The physics (what a parameter means, which quantities
//! follow from it and how) lives beside the model; a front end only lays
//! the sections out.
//!
//! * [`Section::parameters`] are the values as written in the device file,
//!   keyed by their TOML key within [`Section::table`] (`nu_mean.slope` in
//!   `[drift]`), so that `table.key` is the dotted path of
//!   [`SpecError::field`](crate::SpecError);
//! * [`Section::derived`] are quantities computed from them by methods of
//!   the model (the NeuroSim `A` of a nonlinearity label, step sizes, the
//!   pulses of a full sweep, ...), keyed by a short name that is not a TOML
//!   key.
//!
//! Units are SI symbols (`"S"`, `"s"`, `"V"`, `"1/V"`, `"Ω"`); `""` marks a
//! dimensionless quantity (ratios, probabilities, relative σ, labels).

/// The value of a [`Parameter`], in the parameter's unit.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A real number (`f64::INFINITY` for an unbounded clip).
    Number(f64),
    /// A count: pulses, levels, attempts.
    Count(u64),
    /// A list of numbers, e.g. polynomial coefficients.
    List(Vec<f64>),
    /// The range `(low, high)` a quantity spans; equal ends for a constant.
    Range(f64, f64),
    /// A word: a model name, `"analog"`, `"none"`.
    Text(String),
}

/// One described quantity.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// A parameter's TOML key within its section's table (`"nu_mean.slope"`),
    /// or a derived quantity's short name (`"A_ltp"`).
    pub key: String,
    /// The value, in `unit`.
    pub value: Value,
    /// SI unit symbol; `""` for a dimensionless quantity.
    pub unit: &'static str,
    /// What the quantity is, or the equation that defines it.
    pub meaning: String,
}

impl Parameter {
    /// A quantity with any value.
    pub fn new(
        key: impl Into<String>,
        value: Value,
        unit: &'static str,
        meaning: impl Into<String>,
    ) -> Self {
        Parameter {
            key: key.into(),
            value,
            unit,
            meaning: meaning.into(),
        }
    }

    /// A real-valued quantity.
    pub fn number(
        key: impl Into<String>,
        value: f64,
        unit: &'static str,
        meaning: impl Into<String>,
    ) -> Self {
        Parameter::new(key, Value::Number(value), unit, meaning)
    }

    /// A dimensionless count.
    pub fn count(key: impl Into<String>, value: u64, meaning: impl Into<String>) -> Self {
        Parameter::new(key, Value::Count(value), "", meaning)
    }

    /// A word (model names and the like), dimensionless.
    pub fn text(
        key: impl Into<String>,
        value: impl Into<String>,
        meaning: impl Into<String>,
    ) -> Self {
        Parameter::new(key, Value::Text(value.into()), "", meaning)
    }
}

/// The description of one model: its parameters and derived quantities.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Heading, e.g. `"Pulse updates"`.
    pub title: &'static str,
    /// The TOML table the parameters live in (`"pulse"`); `None` for
    /// top-level keys.
    pub table: Option<&'static str>,
    /// The model's equation, when one line states it for the whole section.
    pub equation: Option<&'static str>,
    /// `Some(consequence)` when the effect is not modelled (the table is
    /// absent, or all zero): e.g. `"conductances do not drift"`. Then
    /// `parameters` and `derived` are empty.
    pub absent: Option<&'static str>,
    /// The values as written in the device file.
    pub parameters: Vec<Parameter>,
    /// Quantities computed from them.
    pub derived: Vec<Parameter>,
}

impl Section {
    /// A section with no parameters yet.
    pub fn new(title: &'static str, table: Option<&'static str>) -> Self {
        Section {
            title,
            table,
            equation: None,
            absent: None,
            parameters: Vec::new(),
            derived: Vec::new(),
        }
    }

    /// The section of an effect that is not modelled.
    pub fn absent(
        title: &'static str,
        table: Option<&'static str>,
        consequence: &'static str,
    ) -> Self {
        Section {
            absent: Some(consequence),
            ..Section::new(title, table)
        }
    }

    /// With the section's equation.
    pub fn with_equation(mut self, equation: &'static str) -> Self {
        self.equation = Some(equation);
        self
    }

    /// Adds a parameter.
    pub fn parameter(&mut self, parameter: Parameter) {
        self.parameters.push(parameter);
    }

    /// Adds a derived quantity.
    pub fn derive(&mut self, quantity: Parameter) {
        self.derived.push(quantity);
    }

    /// The full dotted TOML path of a parameter of this section:
    /// `"drift.nu_mean.slope"`, or `"g_min"` for top-level keys.
    pub fn path(&self, parameter: &Parameter) -> String {
        match self.table {
            Some(table) => format!("{table}.{}", parameter.key),
            None => parameter.key.clone(),
        }
    }

    /// The dotted TOML paths of all `parameters`.
    pub fn toml_keys(&self) -> Vec<String> {
        self.parameters.iter().map(|p| self.path(p)).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::drift::{DriftSpec, LogLinear};
    use crate::programming::{ProgrammingSpec, WriteVerify};
    use crate::pulse::{self, PulseSpec};
    use crate::read_noise::ReadNoiseSpec;
    use crate::{library, DeviceSpec, FaultSpec, IvSpec};

    /// The dotted keys of every leaf a value serialises to: the keys of its
    /// TOML device file. A minimal serde serializer, so that the physics
    /// crate needs no format crate even in its tests.
    mod toml_keys {
        use serde::ser::{self, Impossible, Serialize};

        #[derive(Debug)]
        pub struct Error(String);

        impl std::fmt::Display for Error {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::error::Error for Error {}

        impl ser::Error for Error {
            fn custom<T: std::fmt::Display>(msg: T) -> Self {
                Error(msg.to_string())
            }
        }

        pub fn of<T: Serialize>(value: &T) -> Vec<String> {
            let mut out = Vec::new();
            value
                .serialize(Keys {
                    prefix: String::new(),
                    out: &mut out,
                })
                .unwrap();
            out
        }

        struct Keys<'a> {
            prefix: String,
            out: &'a mut Vec<String>,
        }

        impl Keys<'_> {
            fn leaf(self) -> Result<(), Error> {
                self.out.push(self.prefix);
                Ok(())
            }
        }

        type R = Result<(), Error>;

        fn unsupported<T>(what: &str) -> Result<T, Error> {
            Err(Error(format!("{what} has no TOML key")))
        }

        macro_rules! leaves {
            ($($f:ident: $t:ty),*) => {
                $(fn $f(self, _: $t) -> R { self.leaf() })*
            };
        }

        impl<'a> ser::Serializer for Keys<'a> {
            type Ok = ();
            type Error = Error;
            type SerializeSeq = Leaf<'a>;
            type SerializeTuple = Leaf<'a>;
            type SerializeTupleStruct = Leaf<'a>;
            type SerializeTupleVariant = Leaf<'a>;
            type SerializeMap = Impossible<(), Error>;
            type SerializeStruct = Fields<'a>;
            type SerializeStructVariant = Impossible<(), Error>;

            leaves!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16,
                serialize_i32: i32, serialize_i64: i64, serialize_u8: u8,
                serialize_u16: u16, serialize_u32: u32, serialize_u64: u64,
                serialize_f32: f32, serialize_f64: f64, serialize_char: char,
                serialize_str: &str, serialize_bytes: &[u8],
                serialize_unit_struct: &'static str);

            fn serialize_none(self) -> R {
                Ok(())
            }
            fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> R {
                value.serialize(self)
            }
            fn serialize_unit(self) -> R {
                self.leaf()
            }
            fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
                self.leaf()
            }
            fn serialize_newtype_struct<T: ?Sized + Serialize>(
                self,
                _: &'static str,
                value: &T,
            ) -> R {
                value.serialize(self)
            }
            fn serialize_newtype_variant<T: ?Sized + Serialize>(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: &T,
            ) -> R {
                unsupported("an externally tagged enum")
            }
            fn serialize_seq(self, _: Option<usize>) -> Result<Leaf<'a>, Error> {
                Ok(Leaf(self))
            }
            fn serialize_tuple(self, _: usize) -> Result<Leaf<'a>, Error> {
                Ok(Leaf(self))
            }
            fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Leaf<'a>, Error> {
                Ok(Leaf(self))
            }
            fn serialize_tuple_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Leaf<'a>, Error> {
                Ok(Leaf(self))
            }
            fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
                unsupported("a map")
            }
            fn serialize_struct(self, _: &'static str, _: usize) -> Result<Fields<'a>, Error> {
                Ok(Fields(self))
            }
            fn serialize_struct_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStructVariant, Error> {
                unsupported("an externally tagged enum")
            }
        }

        /// A list: one key, whatever its elements.
        struct Leaf<'a>(Keys<'a>);

        impl ser::SerializeSeq for Leaf<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_element<T: ?Sized + Serialize>(&mut self, _: &T) -> R {
                Ok(())
            }
            fn end(self) -> R {
                self.0.leaf()
            }
        }

        impl ser::SerializeTuple for Leaf<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_element<T: ?Sized + Serialize>(&mut self, _: &T) -> R {
                Ok(())
            }
            fn end(self) -> R {
                self.0.leaf()
            }
        }

        impl ser::SerializeTupleStruct for Leaf<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &T) -> R {
                Ok(())
            }
            fn end(self) -> R {
                self.0.leaf()
            }
        }

        impl ser::SerializeTupleVariant for Leaf<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, _: &T) -> R {
                Ok(())
            }
            fn end(self) -> R {
                self.0.leaf()
            }
        }

        /// A table: one key per field, under the table's own.
        struct Fields<'a>(Keys<'a>);

        impl ser::SerializeStruct for Fields<'_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: ?Sized + Serialize>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> R {
                let prefix = if self.0.prefix.is_empty() {
                    key.to_string()
                } else {
                    format!("{}.{key}", self.0.prefix)
                };
                value.serialize(Keys {
                    prefix,
                    out: &mut *self.0.out,
                })
            }
            fn end(self) -> R {
                Ok(())
            }
        }
    }

    /// Fields of a device file that are not physics: shown as a header and
    /// a citation, not described by a section.
    const IDENTITY: [&str; 4] = ["name", "description", "technology", "citation"];

    /// The keys of `spec`'s device file, without the identity fields.
    fn file_keys(spec: &DeviceSpec) -> BTreeSet<String> {
        toml_keys::of(spec)
            .into_iter()
            .filter(|k| !IDENTITY.contains(&k.split('.').next().unwrap()))
            .collect()
    }

    fn described_keys(spec: &DeviceSpec) -> BTreeSet<String> {
        spec.describe()
            .iter()
            .flat_map(Section::toml_keys)
            .collect()
    }

    /// Devices with every optional field present, one per model variant.
    fn full_devices() -> Vec<DeviceSpec> {
        let mut base = library::preset("ibm-pcm").unwrap();
        base.programming = Some(ProgrammingSpec {
            levels: Some(16),
            sigma_poly: vec![1e-7, 2e-7],
            write_verify: Some(WriteVerify {
                max_iterations: 5,
                tolerance: 0.02,
            }),
        });
        base.g_min = crate::Conductance(1e-6);
        base.variability.g_min = 0.05;
        base.variability.g_max = 0.03;
        base.variability.nl = 0.4;
        base.faults = FaultSpec {
            stuck_on: 0.01,
            stuck_off: 0.02,
        };
        base.iv = IvSpec::Sinh { a_per_volt: 2.5 };
        let pulses = [
            PulseSpec::Exponential {
                pulses_ltp: 97,
                pulses_ltd: 50,
                nl_ltp: 2.4,
                nl_ltd: -4.88,
                c2c: 0.035,
            },
            PulseSpec::SoftBounds {
                alpha_up: 0.1,
                alpha_down: 0.05,
                c2c: 0.2,
            },
            PulseSpec::Measured(Box::new(pulse::MeasuredCurve {
                ltp: pulse::StepTable {
                    edges_s: vec![2e-6, 10e-6, 25e-6],
                    dg_s: vec![1e-6, 0.2e-6],
                    sigma_s: vec![0.1e-6, 0.05e-6],
                },
                ltd: pulse::StepTable {
                    edges_s: vec![1e-6, 12e-6, 20e-6],
                    dg_s: vec![-0.3e-6, -0.8e-6],
                    sigma_s: vec![0.02e-6, 0.1e-6],
                },
                turn_ltp: Some(pulse::StepTable {
                    edges_s: vec![1e-6, 25e-6],
                    dg_s: vec![2e-6],
                    sigma_s: vec![0.3e-6],
                }),
                turn_ltd: Some(pulse::StepTable {
                    edges_s: vec![1e-6, 25e-6],
                    dg_s: vec![-3e-6],
                    sigma_s: vec![0.3e-6],
                }),
            })),
        ];
        let noises = [
            base.read_noise.clone().unwrap(),
            ReadNoiseSpec::Relative { sigma: 0.02 },
        ];
        let mut devices = Vec::new();
        for pulse in &pulses {
            for noise in &noises {
                let mut d = base.clone();
                d.pulse = Some(pulse.clone());
                d.read_noise = Some(noise.clone());
                d.validate().unwrap();
                devices.push(d);
            }
        }
        devices
    }

    #[test]
    fn the_key_collector_sees_nested_tagged_and_list_fields() {
        let keys = toml_keys::of(&full_devices()[0]);
        for key in [
            "g_min",
            "citation.doi",
            "programming.sigma_poly",
            "programming.write_verify.tolerance",
            "pulse.model",
            "drift.nu_std.max",
            "read_noise.t_read_s",
            "iv.a_per_volt",
        ] {
            assert!(keys.iter().any(|k| k == key), "{key} in {keys:?}");
        }
    }

    /// A new field without a description, or a description of a key that
    /// does not exist (a typo, a renamed field), fails here.
    #[test]
    fn every_key_of_a_device_file_is_described() {
        for spec in full_devices() {
            assert_eq!(
                described_keys(&spec),
                file_keys(&spec),
                "described vs. serialised keys"
            );
        }
        for spec in library::all() {
            let described = described_keys(&spec);
            let missing: Vec<_> = file_keys(&spec).difference(&described).cloned().collect();
            assert!(missing.is_empty(), "{}: {missing:?} undescribed", spec.name);
        }
    }

    #[test]
    fn every_quantity_has_a_meaning_and_absent_sections_are_empty() {
        for spec in full_devices().into_iter().chain(library::all()) {
            for s in spec.describe() {
                if s.absent.is_some() {
                    assert!(s.parameters.is_empty() && s.derived.is_empty());
                } else {
                    assert!(!s.parameters.is_empty(), "{}", s.title);
                }
                for p in s.parameters.iter().chain(&s.derived) {
                    assert!(!p.meaning.is_empty(), "{}: {}", s.title, p.key);
                    if p.key.ends_with("_s") {
                        assert_eq!(p.unit, "s", "{}", p.key);
                    }
                }
            }
        }
    }

    /// Scales every value along with its unit: a quantity in `unit` must
    /// change by `factor(unit)`, every other one stay put.
    fn assert_scales(before: &DeviceSpec, after: &DeviceSpec, factor: impl Fn(&str) -> f64) {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * a.abs().max(b.abs()) || a == b;
        for (s0, s1) in before.describe().iter().zip(after.describe()) {
            let pairs = s0.parameters.iter().chain(&s0.derived);
            let pairs = pairs.zip(s1.parameters.iter().chain(&s1.derived));
            for (p0, p1) in pairs {
                let k = factor(p0.unit);
                let ok = match (&p0.value, &p1.value) {
                    (Value::Number(a), Value::Number(b)) => close(a * k, *b),
                    (Value::Range(a, b), Value::Range(c, d)) => {
                        close(a * k, *c) && close(b * k, *d)
                    }
                    (Value::List(a), Value::List(b)) => {
                        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| close(x * k, *y))
                    }
                    (a, b) => a == b,
                };
                assert!(
                    ok,
                    "{}: {} {:?} → {:?} ({})",
                    s0.title, p0.key, p0.value, p1.value, p0.unit
                );
            }
        }
    }

    #[test]
    fn units_are_dimensionally_consistent() {
        for spec in full_devices() {
            // Every conductance ×10: siemens scale, ohms inverse, rest fixed.
            let mut scaled = spec.clone();
            scaled.g_min.0 *= 10.0;
            scaled.g_max.0 *= 10.0;
            let p = scaled.programming.as_mut().unwrap();
            p.sigma_poly.iter_mut().for_each(|c| *c *= 10.0);
            if let Some(PulseSpec::Measured(curve)) = scaled.pulse.as_mut() {
                let tables = [&mut curve.ltp, &mut curve.ltd].into_iter();
                let tables = tables
                    .chain(curve.turn_ltp.as_mut())
                    .chain(curve.turn_ltd.as_mut());
                for t in tables {
                    for v in [&mut t.edges_s, &mut t.dg_s, &mut t.sigma_s] {
                        v.iter_mut().for_each(|x| *x *= 10.0);
                    }
                }
            }
            assert_scales(&spec, &scaled, |unit| match unit {
                "S" => 10.0,
                "Ω" => 0.1,
                _ => 1.0,
            });
            // Every time ×10: seconds scale, rest fixed.
            let mut scaled = spec.clone();
            scaled.drift.as_mut().unwrap().t0_s *= 10.0;
            if let Some(ReadNoiseSpec::PcmOneOverF { t_read_s, .. }) = scaled.read_noise.as_mut() {
                *t_read_s *= 10.0;
            }
            assert_scales(&spec, &scaled, |unit| if unit == "s" { 10.0 } else { 1.0 });
        }
    }

    fn derived(spec: &DeviceSpec, table: &str, key: &str) -> Value {
        let sections = spec.describe();
        let section = sections.iter().find(|s| s.table == Some(table)).unwrap();
        section
            .derived
            .iter()
            .find(|p| p.key == key)
            .unwrap_or_else(|| panic!("{table}: no derived {key}"))
            .value
            .clone()
    }

    fn range(value: Value) -> (f64, f64) {
        match value {
            Value::Range(a, b) => (a, b),
            other => panic!("not a range: {other:?}"),
        }
    }

    /// A and the step sizes of Ag:a-Si (97 pulses, NL 2.40/−4.88) against
    /// the manual's equations evaluated with NeuroSim's table values
    /// (reference/devices.md §1): G_LTP(P) = B·(1 − e^(−P/A)) + G_min,
    /// G_LTD(P) = −B·(1 − e^((P − P_max)/A)) + G_max,
    /// B = (G_max − G_min)/(1 − e^(−P_max/A)).
    #[test]
    fn neurosim_a_and_steps_follow_the_manual() {
        let spec = library::preset("ag-a-si").unwrap();
        let (g_min, g_max, p_max) = (3.0769e-9, 3.8462e-8, 97.0);
        let Value::Number(a_ltp) = derived(&spec, "pulse", "A_ltp") else {
            panic!()
        };
        let Value::Number(a_ltd) = derived(&spec, "pulse", "A_ltd") else {
            panic!()
        };
        assert!((a_ltp - 0.499181).abs() < 1e-6 && (a_ltd + 0.200303).abs() < 1e-6);

        let ltp = |a: f64, p: f64| {
            let a = a * p_max;
            let b = (g_max - g_min) / (1.0 - (-p_max / a).exp());
            b * (1.0 - (-p / a).exp()) + g_min
        };
        let ltd = |a: f64, p: f64| {
            let a = a * p_max;
            let b = (g_max - g_min) / (1.0 - (-p_max / a).exp());
            -b * (1.0 - ((p - p_max) / a).exp()) + g_max
        };
        let close = |ours: f64, manual: f64| (ours - manual).abs() / manual < 1e-5;
        let (first, last) = range(derived(&spec, "pulse", "ΔG LTP"));
        assert!(
            close(first, ltp(0.499181, 1.0) - ltp(0.499181, 0.0)),
            "{first}"
        );
        assert!(
            close(last, ltp(0.499181, 97.0) - ltp(0.499181, 96.0)),
            "{last}"
        );
        // Saturating potentiation: big steps first.
        assert!(first > 5.0 * last);
        // Depression starts at G_max (P = P_max) and walks down.
        let (first, last) = range(derived(&spec, "pulse", "ΔG LTD"));
        assert!(
            close(first, ltd(0.200303, 97.0) - ltd(0.200303, 96.0)),
            "{first}"
        );
        assert!(
            close(last, ltd(0.200303, 1.0) - ltd(0.200303, 0.0)),
            "{last}"
        );
        assert!(first > 20.0 * last);

        // The linear reference device: equal steps, A infinite.
        let ideal = library::preset("ideal").unwrap();
        let (first, last) = range(derived(&ideal, "pulse", "ΔG LTP"));
        assert!((first - 9e-9).abs() < 1e-18 && (last - 9e-9).abs() < 1e-18);
        assert_eq!(
            derived(&ideal, "pulse", "A_ltp"),
            Value::Number(f64::INFINITY)
        );
    }

    /// The steps of `ltp_steps`/`ltd_steps` are those the update functions
    /// take in a noiseless sweep, for both models.
    #[test]
    fn steps_match_a_simulated_sweep() {
        let key = crate::rng::StreamKey::new(1, crate::rng::Purpose::Pulse, 0);
        let mut rng = key.block_rng(0);
        for spec in full_devices().iter().step_by(2) {
            let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
            let pulse = spec.pulse.as_ref().unwrap();
            let (n_up, n_down) = pulse.full_sweep_pulses();
            let step = |g: f64, n: i32, rng: &mut crate::rng::BlockRng| match pulse {
                PulseSpec::Exponential {
                    pulses_ltp,
                    pulses_ltd,
                    nl_ltp,
                    nl_ltd,
                    ..
                } => {
                    let up = pulse::ExponentialCurve::from_nl(g_min, g_max, *pulses_ltp, *nl_ltp);
                    let down = pulse::ExponentialCurve::from_nl(g_min, g_max, *pulses_ltd, *nl_ltd);
                    pulse::exponential_update(g, n, &up, &down, 0.0, rng)
                }
                PulseSpec::SoftBounds {
                    alpha_up,
                    alpha_down,
                    ..
                } => {
                    pulse::soft_bounds_update(g, n, g_min, g_max, *alpha_up, *alpha_down, 0.0, rng)
                }
                PulseSpec::Measured(curve) => curve.sweep(g, n, 0, 1, (g_min, g_max))[0],
            };
            let mut sweep = |from: f64, n: u32, sign: i32| {
                let mut g = vec![from];
                for _ in 0..n {
                    let next = step(*g.last().unwrap(), sign, &mut rng);
                    g.push(next);
                }
                let k = g.len();
                ((g[1] - g[0]).abs(), (g[k - 1] - g[k - 2]).abs())
            };
            let close = |a: (f64, f64), b: (f64, f64)| {
                (a.0 - b.0).abs() < 1e-9 * g_max && (a.1 - b.1).abs() < 1e-9 * g_max
            };
            let up = sweep(g_min, n_up, 1);
            assert!(
                close(pulse.ltp_steps(g_min, g_max), up),
                "{pulse:?}: {up:?}"
            );
            let down = sweep(g_max, n_down, -1);
            assert!(
                close(pulse.ltd_steps(g_min, g_max), down),
                "{pulse:?}: {down:?}"
            );
        }
    }

    #[test]
    fn full_sweeps_cover_the_range() {
        for alpha in [0.001, 0.01, 0.1, 0.37, 0.5, 0.9] {
            let soft = PulseSpec::SoftBounds {
                alpha_up: alpha,
                alpha_down: alpha,
                c2c: 0.0,
            };
            let (n, m) = soft.full_sweep_pulses();
            assert_eq!(n, m);
            // (1 − α)^n is the fraction of the range left after n pulses.
            let left = |k: u32| (1.0 - alpha).powi(k as i32);
            assert!(
                left(n) <= 0.01 && (n == 1 || left(n - 1) > 0.01),
                "α {alpha}: {n}"
            );
        }
        let rram = library::preset("ag-a-si").unwrap();
        assert_eq!(rram.full_sweep_pulses(), Some((97, 97)));
        assert_eq!(
            library::preset("ibm-pcm").unwrap().full_sweep_pulses(),
            None
        );
    }

    /// Worked values of reference/devices.md §2 (IBM PCM), read back from
    /// the description.
    #[test]
    fn pcm_description_matches_worked_values() {
        let pcm = library::preset("ibm-pcm").unwrap();
        for (key, value) in [
            ("Q_s at g_r 0.01", 0.1756),
            ("Q_s at g_r 0.1", 0.0393),
            ("Q_s at g_r 1", 0.0088),
        ] {
            let Value::Number(q) = derived(&pcm, "read_noise", key) else {
                panic!()
            };
            assert!((q - value).abs() < 5e-5, "{key}: {q}");
        }
        let Value::Number(sigma) = derived(&pcm, "programming", "σ_prog at g_r 1") else {
            panic!()
        };
        assert!((sigma - 1.0554e-6).abs() < 5e-11);
        // g_min = 0: μ_ν spans its clip range [0.049, 0.1].
        assert_eq!(
            derived(&pcm, "drift", "μ_ν over the range"),
            Value::Range(0.049, 0.1)
        );
        assert_eq!(
            pcm.drift.as_ref().unwrap().nu_mean_range(0.0, 25e-6),
            (0.049, 0.1)
        );
    }

    #[test]
    fn range_ratio_and_resistances() {
        let rram = library::preset("ag-a-si").unwrap();
        let sections = rram.describe();
        let find = |key: &str| {
            sections[0]
                .derived
                .iter()
                .find(|p| p.key == key)
                .unwrap()
                .value
                .clone()
        };
        let Value::Number(ratio) = find("on/off") else {
            panic!()
        };
        assert!((ratio - 12.5).abs() < 1e-3);
        let (r_on, r_off) = range(find("resistance"));
        assert!((r_on - 26e6).abs() < 1e3 && (r_off - 325e6).abs() < 1e4);
        // No ratio for g_min = 0.
        let pcm = library::preset("ibm-pcm").unwrap();
        assert!(pcm.describe()[0].derived.iter().all(|p| p.key != "on/off"));
    }

    #[test]
    fn read_noise_model_names_are_the_file_tags() {
        for noise in [
            ReadNoiseSpec::Relative { sigma: 0.1 },
            library::preset("ibm-pcm").unwrap().read_noise.unwrap(),
        ] {
            let section = noise.describe();
            assert_eq!(section.parameters[0].key, "model");
            assert_eq!(
                section.parameters[0].value,
                Value::Text(noise.model().into())
            );
        }
    }

    #[test]
    fn drift_ranges_of_a_constant_exponent_collapse() {
        let d = DriftSpec {
            t0_s: 1.0,
            nu_mean: LogLinear::constant(0.06),
            nu_std: LogLinear::constant(0.0),
        };
        assert_eq!(d.nu_mean_range(1e-6, 1e-5), (0.06, 0.06));
    }
}
