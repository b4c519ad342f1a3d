//! Configuration files: the located TOML reader (from [`xbar_toml`]) and
//! device files, and the one rule that turns a device reference into a
//! [`DeviceSpec`].
//!
//! Every file is read with its errors located, as **one line**
//! `<file>:<line>:<column>: <dotted.key.path>: <what was expected, what was found>`
//! (see [`xbar_toml`]):
//!
//! ```
//! use std::path::Path;
//! use xbar_experiments::config::parse_device;
//!
//! let text = "name = \"mine\"\ng_min = 1e-6\ng_max = 1e-7\n";
//! let err = parse_device(Path::new("my.toml"), text).unwrap_err();
//! assert_eq!(err.line(), Some(3));
//! assert_eq!(err.key(), Some("g_max"));
//! assert!(err.to_string().starts_with("my.toml:3:9: g_max: expected g_max > g_min"));
//! ```
//!
//! **Device references** ([`resolve_device`]), the same for configs
//! (`device = "…"`) and the command line (`--device …`): a name the
//! library has ([`library::preset`]) is that preset; anything else is a
//! TOML device file — when it ends in `.toml` or names an existing file —
//! relative to a base directory (the config's directory for a config, the
//! working directory for the command line); anything else again is an
//! unknown device, with the nearest library name suggested.

use std::fmt;
use std::path::{Path, PathBuf};

use toml_edit::{Item, Value};
use xbar_devices::{library, DeviceSpec};
pub use xbar_toml::{parse_toml, read_toml, suggest, ConfigError, Location, TomlDocument};

/// Where a resolved device came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceSource {
    /// A library preset, by name.
    Library(String),
    /// A device file, as the base directory joined with the reference.
    File(PathBuf),
}

impl fmt::Display for DeviceSource {
    /// `library:<name>` or `file:<path>` (as sidecars record it).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeviceSource::Library(name) => write!(f, "library:{name}"),
            DeviceSource::File(path) => write!(f, "file:{}", path.display()),
        }
    }
}

/// A device reference that does not give a device.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeviceRefError {
    /// Neither a library name nor a device file.
    #[error(
        "unknown device `{name}`: expected a library device ({}), a device file ending in .toml, or an inline table{}",
        library::names().join(", "),
        .suggestion.as_ref().map(|s| format!("; did you mean `{s}`?")).unwrap_or_default()
    )]
    Unknown {
        /// The reference as given.
        name: String,
        /// The nearest library name, when close enough.
        suggestion: Option<String>,
    },
    /// The device file could not be read, or is not a valid device
    /// (located in that file).
    #[error(transparent)]
    File(#[from] ConfigError),
}

/// The device `reference` names: a library preset, else a device file
/// relative to `base` (see the [module docs](self) for the rule).
///
/// ```
/// use std::path::Path;
/// use xbar_experiments::config::{resolve_device, DeviceRefError, DeviceSource};
///
/// let (spec, source) = resolve_device("pcmo", Path::new("")).unwrap();
/// assert_eq!((spec.name.as_str(), source.to_string().as_str()), ("pcmo", "library:pcmo"));
/// let Err(DeviceRefError::Unknown { suggestion, .. }) = resolve_device("pcmo2", Path::new("")) else {
///     panic!("pcmo2 is no device")
/// };
/// assert_eq!(suggestion.as_deref(), Some("pcmo"));
/// ```
///
/// # Errors
/// [`DeviceRefError::Unknown`] (with the nearest library name), or
/// [`DeviceRefError::File`] for a file that cannot be read or is not a valid
/// device file.
pub fn resolve_device(
    reference: &str,
    base: &Path,
) -> Result<(DeviceSpec, DeviceSource), DeviceRefError> {
    if let Some(spec) = library::preset(reference) {
        return Ok((spec, DeviceSource::Library(reference.to_string())));
    }
    let file = base.join(reference);
    if reference.ends_with(".toml") || file.is_file() {
        let spec = load_device_file(&file)?;
        return Ok((spec, DeviceSource::File(file)));
    }
    Err(DeviceRefError::Unknown {
        name: reference.to_string(),
        suggestion: suggest(reference, library::names()),
    })
}

/// Parses and validates a device file's text (`path` names it in errors).
///
/// # Errors
/// A located [`ConfigError`]; a value that breaks a physical constraint
/// ([`DeviceSpec::validate`]: `g_min ≥ g_max`, `nan`, an out-of-range
/// label...) is located at its line.
pub fn parse_device(path: &Path, text: &str) -> Result<DeviceSpec, ConfigError> {
    let doc = TomlDocument::parse(path, text)?;
    device_from(&doc)
}

/// Reads, parses and validates a TOML device file: the fields of
/// [`DeviceSpec`], in SI units (S, s).
///
/// # Errors
/// A one-line, located [`ConfigError`]; see the module documentation.
pub fn load_device_file(path: &Path) -> Result<DeviceSpec, ConfigError> {
    let doc = TomlDocument::read(path)?;
    device_from(&doc)
}

fn device_from(doc: &TomlDocument) -> Result<DeviceSpec, ConfigError> {
    let spec: DeviceSpec = doc.deserialize()?;
    spec.validate()
        .map_err(|e| doc.invalid(&e.field, &e.message))?;
    Ok(spec)
}

/// A device as the text of a TOML device file, that
/// [`load_device_file`] reads back to an equal [`DeviceSpec`].
///
/// Floats keep their shortest round-trip digits; very small or very large
/// ones (conductances, read times) are written in exponent notation
/// (`2.5e-5`, not `0.000025`).
pub fn device_to_toml(spec: &DeviceSpec) -> String {
    let text = toml::to_string_pretty(spec).expect("a device spec always serializes to TOML");
    let mut doc: toml_edit::DocumentMut = text
        .parse()
        .expect("toml's own output is valid TOML for toml_edit");
    reformat_floats(doc.as_item_mut());
    doc.to_string()
}

fn reformat_floats(item: &mut Item) {
    match item {
        Item::Value(v) => reformat_value(v),
        Item::Table(t) => t.iter_mut().for_each(|(_, i)| reformat_floats(i)),
        Item::ArrayOfTables(a) => a
            .iter_mut()
            .for_each(|t| t.iter_mut().for_each(|(_, i)| reformat_floats(i))),
        Item::None => {}
    }
}

fn reformat_value(value: &mut Value) {
    match value {
        Value::Float(f) => {
            let x = *f.value();
            let magnitude = x.abs();
            if x.is_finite() && x != 0.0 && !(1e-3..1e6).contains(&magnitude) {
                if let Ok(mut v) = format!("{x:e}").parse::<Value>() {
                    *v.decor_mut() = f.decor().clone();
                    *value = v;
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(reformat_value),
        Value::InlineTable(t) => t.iter_mut().for_each(|(_, v)| reformat_value(v)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "name = \"mine\"\ng_min = 1e-6\ng_max = 1e-5\n";

    const PULSE: &str = "\
name = \"mine\"
g_min = 1e-6
g_max = 1e-5

[pulse]
model = \"exponential\"
pulses_ltp = 100
pulses_ltd = 100
nl_ltp = 1.5
nl_ltd = -2.0
c2c = 0.01
";

    fn err(text: &str) -> ConfigError {
        parse_device(Path::new("my.toml"), text).unwrap_err()
    }

    /// `(line, key)` of an error, and its one-line message.
    fn check(text: &str, line: usize, key: &str) -> String {
        let e = err(text);
        let message = e.to_string();
        assert_eq!(e.line(), Some(line), "{message}");
        assert_eq!(e.key(), Some(key), "{message}");
        assert!(
            message.starts_with(&format!("my.toml:{line}:")),
            "{message}"
        );
        assert!(message.contains(&format!(": {key}: ")), "{message}");
        assert!(!message.contains('\n'), "{message}");
        message
    }

    #[test]
    fn a_valid_file_parses() {
        let spec = parse_device(Path::new("my.toml"), PULSE).unwrap();
        assert_eq!(spec.name, "mine");
        assert_eq!(spec.g_max.siemens(), 1e-5);
        assert!(spec.pulse.is_some());
    }

    #[test]
    fn missing_file_names_the_file_and_the_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my.toml");
        let e = load_device_file(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "{}: cannot read file: No such file or directory",
                path.display()
            )
        );
        assert_eq!(e.line(), None);
    }

    #[test]
    fn load_device_file_reads_from_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my.toml");
        std::fs::write(&path, PULSE).unwrap();
        assert_eq!(load_device_file(&path).unwrap().name, "mine");
        std::fs::write(&path, PULSE.replace("nl_ltp", "nl_lpt")).unwrap();
        let e = load_device_file(&path).unwrap_err();
        assert!(e
            .to_string()
            .starts_with(&format!("{}:9:1:", path.display())));
    }

    #[test]
    fn syntax_error_has_line_and_column() {
        let e = err(&format!("{BASE}[pulse\nmodel = 1\n"));
        assert!(matches!(e, ConfigError::Syntax { line: 4, .. }), "{e}");
        assert!(e.to_string().starts_with("my.toml:4:"), "{e}");
        let e = err("name = \"x\"\ng_min = 1\ng_min = 2\n");
        assert_eq!(
            e.to_string(),
            "my.toml:3:1: TOML syntax error: duplicate key `g_min`"
        );
    }

    #[test]
    fn unknown_key_in_a_tagged_section_is_located_and_suggested() {
        let text = PULSE.replace("nl_ltp", "nl_lpt");
        let message = check(&text, 9, "pulse.nl_lpt");
        assert!(message.starts_with("my.toml:9:1: pulse.nl_lpt: unknown key, expected one of "));
        assert!(message.ends_with("; did you mean `nl_ltp`?"), "{message}");
    }

    #[test]
    fn unknown_key_at_the_top_level_and_in_plain_tables() {
        let message = check(&format!("{BASE}g_mn = 3\n"), 4, "g_mn");
        assert!(message.ends_with("did you mean `g_min`?"), "{message}");
        let message = check(
            &format!("{BASE}[variability]\ng_mxa = 0.1\n"),
            5,
            "variability.g_mxa",
        );
        assert!(
            message.contains("expected one of g_min, g_max, nl"),
            "{message}"
        );
        // Far from every key: no suggestion.
        let message = check(&format!("{BASE}colour = 3\n"), 4, "colour");
        assert!(!message.contains("did you mean"), "{message}");
        // Inline and dotted tables.
        let text =
            format!("{BASE}[drift]\nt0_s = 20\nnu_mean = {{ intercept = 0.05, slop = 1 }}\n");
        let message = check(&text, 6, "drift.nu_mean.slop");
        assert!(message.contains("did you mean `slope`?"), "{message}");
        check(
            &format!("{BASE}faults.stuck_of = 0.1\n"),
            4,
            "faults.stuck_of",
        );
    }

    #[test]
    fn wrong_type_is_located_at_the_value() {
        let text = PULSE.replace("nl_ltp = 1.5", "nl_ltp = \"big\"");
        let message = check(&text, 9, "pulse.nl_ltp");
        assert!(
            message.ends_with("expected a number, found the string \"big\""),
            "{message}"
        );
        assert!(message.starts_with("my.toml:9:10:"), "{message}");
        let message = check(
            &format!("{BASE}[citation]\nauthors = 3\n"),
            5,
            "citation.authors",
        );
        assert!(message.ends_with("expected a string, found 3"), "{message}");
        let message = check("name = \"x\"\ng_min = true\ng_max = 1\n", 2, "g_min");
        assert!(
            message.ends_with("expected a number, found true"),
            "{message}"
        );
        let text = format!("{BASE}[programming]\nsigma_poly = [1e-7, \"a\"]\n");
        check(&text, 5, "programming.sigma_poly[1]");
    }

    #[test]
    fn negative_integer_for_an_unsigned_field() {
        let message = check(
            &format!("{BASE}[programming]\nlevels = -3\n"),
            5,
            "programming.levels",
        );
        assert!(
            message.ends_with("expected a whole number from 0 to 4294967295, found -3"),
            "{message}"
        );
        // Inside the tagged [pulse] table.
        let text = PULSE.replace("pulses_ltp = 100", "pulses_ltp = -3");
        let message = check(&text, 7, "pulse.pulses_ltp");
        assert!(message.ends_with("found -3"), "{message}");
    }

    #[test]
    fn missing_key_and_unknown_model() {
        let message = check("name = \"x\"\ng_max = 1e-5\n", 1, "g_min");
        assert!(message.contains("missing key `g_min`"), "{message}");
        let text = PULSE.replace("nl_ltd = -2.0\n", "");
        check(&text, 5, "pulse.nl_ltd");
        let text = PULSE.replace("\"exponential\"", "\"exponentail\"");
        let message = check(&text, 6, "pulse.model");
        assert!(
            message.contains("unknown model `exponentail`, expected one of exponential, soft-bounds, measured; did you mean `exponential`?"),
            "{message}"
        );
    }

    #[test]
    fn validation_errors_point_at_their_line() {
        // g_min ≥ g_max: the spec names g_max.
        let message = check("name = \"x\"\ng_min = 1e-5\ng_max = 1e-6\n", 3, "g_max");
        assert!(message.contains("expected g_max > g_min"), "{message}");
        // NaN parses, then validation rejects it.
        let text = PULSE.replace("nl_ltp = 1.5", "nl_ltp = nan");
        let message = check(&text, 9, "pulse.nl_ltp");
        assert!(
            message.contains("expected a finite number, found NaN"),
            "{message}"
        );
        // A label out of range, and a nested key.
        check(
            &PULSE.replace("nl_ltd = -2.0", "nl_ltd = -12"),
            10,
            "pulse.nl_ltd",
        );
        let text =
            format!("{BASE}[drift]\nt0_s = 20\n[drift.nu_mean]\nintercept = 0.05\nmin = -1\n");
        check(&text, 8, "drift.nu_mean.min");
        let text = format!("{BASE}[programming]\nsigma_poly = [1e-7, nan]\n");
        check(&text, 5, "programming.sigma_poly[1]");
        let message = check(
            &format!("{BASE}[programming]\nlevels = 1\n"),
            5,
            "programming.levels",
        );
        assert!(message.starts_with("my.toml:5:10:"), "{message}");
    }

    #[test]
    fn every_preset_round_trips_through_its_toml_file() {
        for spec in xbar_devices::library::all() {
            let text = device_to_toml(&spec);
            let back = parse_device(Path::new("preset.toml"), &text)
                .unwrap_or_else(|e| panic!("{}: {e}\n{text}", spec.name));
            assert_eq!(back, spec, "{text}");
        }
        let text = device_to_toml(&xbar_devices::library::preset("ibm-pcm").unwrap());
        assert!(text.contains("g_max = 2.5e-5"), "{text}");
    }

    #[test]
    fn a_reference_is_a_library_name_else_a_file_under_the_base() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("devices")).unwrap();
        std::fs::write(dir.path().join("devices/mine.toml"), PULSE).unwrap();
        std::fs::write(dir.path().join("devices/plain"), PULSE).unwrap();
        let (spec, source) = resolve_device("ibm-pcm", dir.path()).unwrap();
        assert_eq!(spec, xbar_devices::library::preset("ibm-pcm").unwrap());
        assert_eq!(source, DeviceSource::Library("ibm-pcm".into()));
        // Relative to the base; an existing file needs no `.toml`.
        for name in ["devices/mine.toml", "devices/plain"] {
            let (spec, source) = resolve_device(name, dir.path()).unwrap();
            assert_eq!(spec.name, "mine");
            assert_eq!(source, DeviceSource::File(dir.path().join(name)));
            assert_eq!(
                source.to_string(),
                format!("file:{}", dir.path().join(name).display())
            );
            assert!(resolve_device(name, Path::new("")).is_err());
        }
        // A `.toml` name is a file even when it is missing: its read error.
        let e = resolve_device("devices/gone.toml", dir.path()).unwrap_err();
        assert!(
            matches!(e, DeviceRefError::File(ConfigError::Read { .. })),
            "{e}"
        );
        // Neither: unknown, with the nearest library name.
        let e = resolve_device("neuram-rram", dir.path()).unwrap_err();
        assert_eq!(
            e,
            DeviceRefError::Unknown {
                name: "neuram-rram".into(),
                suggestion: Some("neurram-rram".into())
            }
        );
        let text = e.to_string();
        assert!(
            text.starts_with("unknown device `neuram-rram`: expected a library device (")
                && text.contains("ibm-pcm"),
            "{text}"
        );
        assert!(text.ends_with("; did you mean `neurram-rram`?"), "{text}");
        let e = resolve_device("quartz", dir.path()).unwrap_err();
        assert!(!e.to_string().contains("did you mean"), "{e}");
    }
}
