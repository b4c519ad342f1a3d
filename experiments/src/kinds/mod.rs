//! Experiment kinds: one module each, registered in one place.
//!
//! A kind is a type implementing [`ExperimentKind`], in its own module,
//! owning
//! - its **config sections** (`Settings`): a struct declared with
//!   [`sections!`](crate::sections!) whose fields are top-level TOML tables, each
//!   deserialised straight into the physics crates' own types
//!   ([`xbar_training::NetworkConfig`], [`xbar_crossbar::Wires`], …);
//! - its **checks** (`check`): every constraint, reported at the field's
//!   dotted key path so that the config error points at the field itself;
//! - its **run** (`run`): one unit (a point and a seed) on the physics
//!   crates;
//! - its **row** (`Row`): a `#[derive(Serialize, Deserialize)]` struct whose
//!   field names are the result columns, units in the names
//!   ([`crate::row`] reads the schema from the type).
//!
//! The `registry!` invocation at the bottom of this file is the one list
//! of kinds: it generates [`Kind`] (the `kind = "…"` names), [`Settings`]
//! (one variant per kind) and the dispatch. Adding a kind is one new module
//! plus one line there.

use std::fmt::Debug;

use serde::de::{DeserializeOwned, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use xbar_devices::DeviceSpec;

use crate::context::Context;
pub use crate::error::{at_least_one, check_list, FieldError, KindError};
use crate::table::Cell;

/// What one experiment kind is: its sections, checks, run and row.
pub trait ExperimentKind {
    /// Its config sections (declared with [`sections!`](crate::sections!)).
    type Settings: Sections;
    /// One row of its results: field names are the columns.
    type Row: Serialize + DeserializeOwned;

    /// Every constraint on `settings` with `device`, reported at the
    /// field's key path (`array.r_source_ohm`).
    ///
    /// # Errors
    /// The first field that breaks a constraint.
    fn check(settings: &Self::Settings, device: &DeviceSpec) -> Result<(), FieldError>;

    /// Opens and checks every input a unit will read — data sets, model
    /// files — before the run creates anything (loading them into `ctx`,
    /// where the units find them), reported at the key that named them.
    /// Kinds that read nothing keep the default.
    ///
    /// # Errors
    /// The first input that cannot be used.
    fn preflight(settings: &Self::Settings, ctx: &Context) -> Result<(), FieldError> {
        let _ = (settings, ctx);
        Ok(())
    }

    /// One unit: the kind's measurement with `seed`.
    ///
    /// # Errors
    /// What the physics crates refused, or unreadable data.
    fn run(
        settings: &Self::Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
    ) -> Result<Vec<Self::Row>, KindError>;
}

/// A kind's config sections: a struct whose fields are top-level tables of
/// the config file, each optional (absent = its `Default`). Implemented by
/// [`sections!`](crate::sections!); read by [`read_sections`] with the file's spans intact,
/// so that a wrong type deep inside a section is located at its key.
pub trait Sections: Default + Clone + Debug + PartialEq + Serialize {
    /// The section names (the struct's fields).
    const NAMES: &'static [&'static str];

    /// Reads the value of section `key` from `map`; `false` if `key` is not
    /// one of [`Sections::NAMES`].
    ///
    /// # Errors
    /// The section's own deserialisation error.
    fn read<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
}

/// Declares a kind's `Settings` struct: each field a config section.
///
/// ```ignore
/// sections! {
///     /// `device-pulse` settings.
///     pub struct Settings {
///         /// `[pulse]`.
///         pub pulse: PulseSection,
///     }
/// }
/// ```
#[macro_export]
macro_rules! sections {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, serde::Serialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::kinds::Sections for $name {
            const NAMES: &'static [&'static str] = &[$(stringify!($field)),*];

            fn read<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $( stringify!($field) => {
                        self.$field = map.next_value()?;
                        Ok(true)
                    } )*
                    _ => Ok(false),
                }
            }
        }
    };
}

/// The keys every config has, whatever its kind.
pub const COMMON_KEYS: [&str; 8] = [
    "name",
    "description",
    "kind",
    "seed",
    "repeats",
    "device",
    "sweep",
    "plot",
];

/// A whole config file read as the sections `S`: the common keys are
/// skipped, a key that is not one of `S`'s sections is an error.
struct SectionsOf<S>(S);

impl<'de, S: Sections> Deserialize<'de> for SectionsOf<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Reader<S>(std::marker::PhantomData<S>);
        impl<'de, S: Sections> Visitor<'de> for Reader<S> {
            type Value = SectionsOf<S>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an experiment config table")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut sections = S::default();
                while let Some(key) = map.next_key::<String>()? {
                    if COMMON_KEYS.contains(&key.as_str()) {
                        map.next_value::<IgnoredAny>()?;
                    } else if !sections.read(&key, &mut map)? {
                        // serde's own wording, which config errors recognise.
                        let expected: Vec<String> = COMMON_KEYS
                            .iter()
                            .chain(S::NAMES)
                            .map(|k| format!("`{k}`"))
                            .collect();
                        return Err(serde::de::Error::custom(format!(
                            "unknown field `{key}`, expected one of {}",
                            expected.join(", ")
                        )));
                    }
                }
                Ok(SectionsOf(sections))
            }
        }
        d.deserialize_map(Reader(std::marker::PhantomData))
    }
}

/// Reads `S` from a whole config (any serde deserializer: the `toml`
/// document, with spans, or a `toml::Table` of a swept point).
///
/// # Errors
/// The deserializer's error: an unknown section, a wrong type in one.
pub fn read_sections<'de, S: Sections, D: Deserializer<'de>>(d: D) -> Result<S, D::Error> {
    SectionsOf::<S>::deserialize(d).map(|s| s.0)
}

/// Generates the kind modules (`pub mod module;`), [`Kind`], [`Settings`]
/// and their dispatch from the list of kinds:
/// `Variant = "config-name" => module::Type`.
macro_rules! registry {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal => $module:ident :: $ty:ident, )*) => {
        $( pub mod $module; )*

        /// What an experiment measures (`kind = "…"` in a config).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Kind {
            $( $(#[$doc])* #[serde(rename = $name)] $variant, )*
        }

        /// The sections of one config, of its kind. (One per point: the
        /// size of the largest variant is not worth a box.)
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Settings {
            $( $(#[$doc])* $variant(<$module::$ty as ExperimentKind>::Settings), )*
        }

        impl Kind {
            /// Every kind, in registration order.
            pub const ALL: &'static [Kind] = &[$(Kind::$variant),*];

            /// The name in configs.
            pub fn name(self) -> &'static str {
                match self { $( Kind::$variant => $name, )* }
            }

            /// The sections this kind reads.
            pub fn sections(self) -> &'static [&'static str] {
                match self {
                    $( Kind::$variant =>
                        <<$module::$ty as ExperimentKind>::Settings as Sections>::NAMES, )*
                }
            }

            /// Its output columns (the fields of its row type).
            pub fn outputs(self) -> Vec<&'static str> {
                match self {
                    $( Kind::$variant =>
                        crate::row::columns::<<$module::$ty as ExperimentKind>::Row>(), )*
                }
            }

            /// Checks that `cells` are one row of this kind: one value per
            /// output column, each of its field's type.
            ///
            /// # Errors
            /// What does not fit, for a message naming the unit file.
            pub fn check_row(self, cells: &[Cell]) -> Result<(), crate::row::RowError> {
                match self {
                    $( Kind::$variant =>
                        crate::row::parse::<<$module::$ty as ExperimentKind>::Row>(cells).map(|_| ()), )*
                }
            }

            /// Reads this kind's sections from a whole config.
            ///
            /// # Errors
            /// The deserializer's error.
            pub fn read_settings<'de, D: Deserializer<'de>>(self, d: D) -> Result<Settings, D::Error> {
                match self {
                    $( Kind::$variant => read_sections(d).map(Settings::$variant), )*
                }
            }
        }

        impl Settings {
            /// The kind these settings belong to.
            pub fn kind(&self) -> Kind {
                match self { $( Settings::$variant(_) => Kind::$variant, )* }
            }

            /// The kind's checks.
            ///
            /// # Errors
            /// The first field that breaks a constraint.
            pub fn check(&self, device: &DeviceSpec) -> Result<(), FieldError> {
                match self {
                    $( Settings::$variant(s) => <$module::$ty as ExperimentKind>::check(s, device), )*
                }
            }

            /// The kind's preflight: every input opened and checked.
            ///
            /// # Errors
            /// The first input that cannot be used, at its key.
            pub fn preflight(&self, ctx: &Context) -> Result<(), FieldError> {
                match self {
                    $( Settings::$variant(s) => <$module::$ty as ExperimentKind>::preflight(s, ctx), )*
                }
            }

            /// Runs one unit; its rows as cells in [`Kind::outputs`] order.
            ///
            /// # Errors
            /// The kind's error, or an output that is not finite.
            pub fn run(&self, device: &DeviceSpec, seed: u64, ctx: &Context) -> Result<Vec<Vec<Cell>>, KindError> {
                match self {
                    $( Settings::$variant(s) => {
                        let rows = <$module::$ty as ExperimentKind>::run(s, device, seed, ctx)?;
                        rows.iter()
                            .map(|r| crate::row::cells(r).map_err(KindError::Row))
                            .collect()
                    } )*
                }
            }
        }
    };
}

registry! {
    /// LTP/LTD conductance curves under identical pulses (`[pulse]`).
    DevicePulse = "device-pulse" => device_pulse::DevicePulse,
    /// Conductance statistics over time after programming (`[drift]`).
    DeviceDrift = "device-drift" => device_drift::DeviceDrift,
    /// Error of the bit-line currents against the ideal product, with wire
    /// resistance (`[array]`).
    CrossbarIrDrop = "crossbar-ir-drop" => crossbar_ir_drop::CrossbarIrDrop,
    /// Accuracy of a trained network on programmed arrays over drift time
    /// (`[network]`, `[training]`, `[data]`, `[array]`, `[evaluation]`).
    InferenceDrift = "inference-drift" => inference_drift::InferenceDrift,
    /// Accuracy with energy, latency and area per inference (`[network]`,
    /// `[training]`, `[data]`, `[array]`, `[evaluation]`, `[cost]`).
    InferenceCost = "inference-cost" => inference_cost::InferenceCost,
    /// Training on the arrays by device pulses (`[network]`, `[insitu]`,
    /// `[data]`).
    InsituTraining = "insitu-training" => insitu_training::InsituTraining,
    /// An accelerator tile from components, and a network pipelined on its tiles (`[architecture]`, `[workload]`).
    ArchitectureCost = "architecture-cost" => architecture_cost::ArchitectureCost,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_distinct_name_columns_and_sections() {
        let mut names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Kind::ALL.len());
        for kind in Kind::ALL {
            // The serde name is the registered name.
            let json = serde_json::to_string(kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
            assert!(!kind.outputs().is_empty(), "{}", kind.name());
            for column in kind.outputs() {
                assert!(
                    !["point", "repeat", "seed"].contains(&column),
                    "{}: `{column}` is a reserved column",
                    kind.name()
                );
            }
            for s in kind.sections() {
                assert!(!COMMON_KEYS.contains(s), "{}: section {s}", kind.name());
            }
        }
    }
}
