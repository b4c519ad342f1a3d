//! The experiment config: one TOML file says which device, which arrays,
//! which network, which parameters to sweep and which figures to draw.
//!
//! ```toml
//! name = "ir-drop"
//! kind = "crossbar-ir-drop"   # device-pulse | device-drift | crossbar-ir-drop
//!                             # | inference-drift | insitu-training
//! seed = 7                    # repeat r uses seed + r, the same at every point
//! repeats = 3
//! device = "neurram-rram"     # a library name, a device file (relative to
//!                             # this file) or an inline table of parameters
//!
//! [array]
//! size = 64
//! r_wire_ohm = 2.5
//!
//! [sweep]                     # dotted paths into this file → lists of values
//! "array.size" = [64, 128, 256]
//! "array.r_wire_ohm" = [1.0, 2.5, 5.0]
//!
//! [[plot]]                    # xbar_plots::PlotSpec
//! file = "error"
//! x = "array.size"
//! y = "error_mean_rel"
//! series = "array.r_wire_ohm"
//! ```
//!
//! **Sweeps.** The points are the cartesian product of the `[sweep]` lists,
//! in file order (the first key varies slowest). Keys listed in
//! `zip = ["a", "b"]` advance together as one dimension (their lists must
//! have equal lengths). A key may name a whole table's entry that the base
//! file does not set. Sweeping `device` over names swaps the device;
//! `device.g_max` changes one parameter of it (a library device is expanded
//! into its parameters first).
//!
//! **Errors.** Every problem is found before anything runs and reported as
//! one line naming the file, line, column and key path, with the nearest
//! valid key for a misspelling: see [`crate::config`]. A swept value that
//! breaks a constraint is reported at its `[sweep]` entry.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml::{Table, Value};
use xbar_devices::DeviceSpec;
use xbar_plots::PlotSpec;

use crate::config::{
    device_to_toml, resolve_device, suggest, ConfigError, DeviceRefError, TomlDocument,
};
pub use crate::kinds::{FieldError, Kind, Settings};

/// The keys every config has: what it is, its seed and repeats, its device,
/// its sweep and figures. `D` is the device: the raw TOML value while
/// reading, a [`DeviceSpec`] once resolved. The kind's sections are read
/// separately, by the kind ([`Kind::read_settings`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct Header<D> {
    name: String,
    #[serde(default)]
    description: String,
    kind: Kind,
    #[serde(default = "one")]
    seed: u64,
    #[serde(default = "one_u32")]
    repeats: u32,
    device: D,
    #[serde(default)]
    sweep: Option<Table>,
    #[serde(default)]
    plot: Vec<PlotSpec>,
    /// The kind's sections (and anything else), read by the kind.
    #[serde(flatten)]
    sections: Table,
}

/// One point of an experiment: the config with the point's swept values
/// set, its device resolved and its sections read by its kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// Short name, used in messages and `run.json`.
    pub name: String,
    /// What to measure.
    pub kind: Kind,
    /// The device of every cell.
    pub device: DeviceSpec,
    /// The kind's sections.
    #[serde(flatten)]
    pub settings: Settings,
}

fn one() -> u64 {
    1
}

fn one_u32() -> u32 {
    1
}

/// A `[sweep]` dimension: one key, or a `zip` group advancing together.
#[derive(Debug, Clone, PartialEq)]
pub struct Dimension {
    /// The dotted keys.
    pub keys: Vec<String>,
    /// `values[i][k]`: the value of key `k` at step `i`.
    pub values: Vec<Vec<Value>>,
}

/// A validated experiment: the config, its sweep and every point.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// The config file (relative paths in it are relative to its directory).
    pub path: PathBuf,
    /// The config file's exact text.
    pub text: String,
    /// The sweep dimensions, in file order.
    pub dimensions: Vec<Dimension>,
    /// Every point, in sweep order.
    pub points: Vec<Point>,
    /// `swept[p]`: the swept `(key, value)` pairs of point `p`.
    pub swept: Vec<Vec<(String, Value)>>,
    /// The figures to draw.
    pub plots: Vec<PlotSpec>,
    /// The experiment's base seed.
    pub seed: u64,
    /// Repeats per point.
    pub repeats: u32,
    /// Its kind.
    pub kind: Kind,
    /// Its name.
    pub name: String,
}

/// Most points one config may sweep.
pub const MAX_POINTS: usize = 1_000_000;

/// Most repeats per point.
pub const MAX_REPEATS: u32 = 10_000;

impl Experiment {
    /// Reads, checks and expands the config at `path`.
    ///
    /// # Errors
    /// A located [`ConfigError`]: unreadable file, TOML syntax, unknown key
    /// (with a suggestion), wrong type, out-of-range value, unknown device,
    /// missing device file, empty or unequal sweep lists, a swept value that
    /// breaks a constraint, a plot naming a column the results will not have.
    pub fn read(path: &Path) -> Result<Experiment, ConfigError> {
        let doc = TomlDocument::read(path)?;
        Experiment::from_document(doc)
    }

    /// As [`Experiment::read`], for `text` that came from `path`.
    ///
    /// # Errors
    /// As [`Experiment::read`].
    pub fn parse(path: &Path, text: &str) -> Result<Experiment, ConfigError> {
        Experiment::from_document(TomlDocument::parse(path, text)?)
    }

    fn from_document(doc: TomlDocument) -> Result<Experiment, ConfigError> {
        // Types, unknown keys and missing keys of the common keys, located.
        let raw: Header<Value> = doc.deserialize()?;
        let base: Table = toml::from_str(doc.text()).map_err(|e| doc.invalid("", e.message()))?;
        let dir = doc
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        check_name(&raw.name).map_err(|m| doc.invalid("name", &m))?;
        if raw.repeats == 0 || raw.repeats > MAX_REPEATS {
            return Err(doc.invalid(
                "repeats",
                &format!("expected 1 to {MAX_REPEATS} repeats, found {}", raw.repeats),
            ));
        }
        check_sections(&doc, &raw)?;
        // The kind's sections, read with the file's spans: a wrong type or
        // an unknown key deep inside a section is located at its key.
        doc.deserialize_with(|d| raw.kind.read_settings(d))?;
        // An inline device table: its errors located in the file.
        if raw.device.is_table() {
            #[derive(Deserialize)]
            struct DeviceOnly {
                #[allow(dead_code)]
                device: DeviceSpec,
            }
            doc.deserialize::<DeviceOnly>()?;
        }
        // The base point, with its errors located in the file.
        let resolved = resolve_devices(base.clone(), &dir).map_err(|e| e.locate(&doc, None))?;
        let point0 = to_point(&resolved).map_err(|e| doc.invalid("", &e))?;
        check_point(&point0).map_err(|e| doc.invalid(&as_written(&base, &e.path), &e.message))?;

        let dimensions = dimensions(&doc, raw.sweep.as_ref())?;
        // Each swept value alone on the base: a bad value is reported at its key.
        for dim in &dimensions {
            for values in &dim.values {
                let pairs: Vec<(String, Value)> = dim
                    .keys
                    .iter()
                    .cloned()
                    .zip(values.iter().cloned())
                    .collect();
                let tree = with_overrides(&base, &pairs, &dir).map_err(|e| e.locate(&doc, None))?;
                let at = sweep_key(&dim.keys[0]);
                let shown = values
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                let point = to_point(&tree)
                    .map_err(|m| doc.invalid(&at, &format!("value {shown}: {m}")))?;
                check_point(&point)
                    .map_err(|e| doc.invalid(&at, &format!("value {shown}: {e}")))?;
            }
        }
        let count = dimensions
            .iter()
            .try_fold(1usize, |n, d| n.checked_mul(d.values.len()))
            .filter(|&n| n <= MAX_POINTS)
            .ok_or_else(|| {
                doc.invalid(
                    "sweep",
                    &format!("the sweep has more than {MAX_POINTS} points; split it into several configs"),
                )
            })?;
        let mut points = Vec::with_capacity(count);
        let mut swept = Vec::with_capacity(count);
        for index in 0..count {
            let pairs = point_values(&dimensions, index);
            let tree = with_overrides(&base, &pairs, &dir).map_err(|e| e.locate(&doc, None))?;
            let point = to_point(&tree)
                .map_err(|m| doc.invalid("sweep", &format!("point {index}: {m}")))?;
            check_point(&point)
                .map_err(|e| doc.invalid("sweep", &format!("point {index}: {e}")))?;
            points.push(point);
            swept.push(pairs);
        }
        let columns = columns(raw.kind, &swept_keys(&dimensions));
        for (i, plot) in raw.plot.iter().enumerate() {
            plot.check()
                .map_err(|(field, message)| doc.invalid(&format!("plot[{i}].{field}"), &message))?;
            for (field, column) in plot.columns() {
                if !columns.contains(&column) {
                    let hint = suggest(&column, columns.iter().map(String::as_str))
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(doc.invalid(
                        &format!("plot[{i}].{field}"),
                        &format!(
                            "no result column `{column}`; a {} experiment's columns are {}{hint}",
                            raw.kind.name(),
                            columns.join(", ")
                        ),
                    ));
                }
            }
        }
        Ok(Experiment {
            path: doc.path().to_path_buf(),
            text: doc.text().to_string(),
            dimensions,
            swept,
            plots: raw.plot,
            seed: raw.seed,
            repeats: raw.repeats,
            kind: raw.kind,
            name: raw.name,
            points,
        })
    }

    /// The seed of repeat `r`: `seed + r` (the same at every point, so that
    /// points are compared on the same draws).
    pub fn repeat_seed(&self, repeat: u32) -> u64 {
        self.seed.wrapping_add(u64::from(repeat))
    }

    /// A problem with point `point`'s setting at `error.path`, located in
    /// the config: at its `[sweep]` entry when the point's value there was
    /// swept, else at the key (or the nearest enclosing one the file sets).
    pub fn locate(&self, point: usize, error: &FieldError) -> ConfigError {
        let swept = self.swept.get(point).and_then(|pairs| {
            pairs
                .iter()
                .find(|(k, _)| error.path == *k || error.path.starts_with(&format!("{k}.")))
        });
        let at = swept.map_or_else(|| error.path.clone(), |(k, _)| sweep_key(k));
        match TomlDocument::parse(&self.path, &self.text) {
            Ok(doc) => doc.invalid(&at, &error.message),
            Err(e) => e,
        }
    }

    /// The directory relative paths in the config are relative to.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// Longest experiment name: it becomes a directory name.
pub const MAX_NAME: usize = 100;

/// An experiment name is the default results directory's name
/// (`xbarsim-out/<name>`): a plain file name of letters, digits, `.`, `_`
/// and `-`, not starting with a dot, so that it can never point outside
/// `xbarsim-out/` (`../x`, `/abs`) or be empty.
///
/// # Errors
/// What is wrong with it.
pub fn check_name(name: &str) -> Result<(), String> {
    let expected = "expected a plain name of letters, digits, `.`, `_` and `-` (it names the results directory)";
    if name.is_empty() {
        return Err(format!("{expected}, found an empty name"));
    }
    if name.chars().count() > MAX_NAME {
        return Err(format!(
            "{expected}, at most {MAX_NAME} characters; found {}",
            name.chars().count()
        ));
    }
    if name.starts_with('.') {
        return Err(format!("{expected}, not starting with `.`; found `{name}`"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!("{expected}; found {c:?} in `{name}`"));
    }
    Ok(())
}

/// A section of another kind is refused with a message that says so, so
/// that nothing a user sets is silently ignored (other unknown keys are
/// refused by the kind's own reading, with a suggestion).
fn check_sections(doc: &TomlDocument, raw: &Header<Value>) -> Result<(), ConfigError> {
    let allowed = raw.kind.sections();
    for section in raw.sections.keys() {
        let elsewhere = Kind::ALL
            .iter()
            .any(|k| k.sections().contains(&section.as_str()));
        if elsewhere && !allowed.contains(&section.as_str()) {
            return Err(doc.invalid(
                section,
                &format!(
                    "section [{section}] is not used by kind `{}`, which reads {}; remove it or change `kind`",
                    raw.kind.name(),
                    allowed
                        .iter()
                        .map(|s| format!("[{s}]"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// The key the file wrote for `path`: a line resistance given by the
/// shorthand `r_wire_ohm` is reported there.
fn as_written(base: &Table, path: &str) -> String {
    for line in ["r_wordline_ohm", "r_bitline_ohm"] {
        if let Some(section) = path.strip_suffix(&format!(".{line}")) {
            let shorthand = format!("{section}.r_wire_ohm");
            if get_path(base, path).is_none() && get_path(base, &shorthand).is_some() {
                return shorthand;
            }
        }
    }
    path.to_string()
}

/// Physical and semantic constraints of one point, at the field's path.
fn check_point(p: &Point) -> Result<(), FieldError> {
    p.device.validate().map_err(|e| FieldError::device(&e))?;
    p.settings.check(&p.device)
}

/// Every column of a kind's results with these swept keys (in sweep order):
/// `point`, `repeat`, `seed`, the swept keys, then the kind's outputs.
pub fn columns(kind: Kind, swept_keys: &[String]) -> Vec<String> {
    ["point", "repeat", "seed"]
        .into_iter()
        .map(str::to_string)
        .chain(swept_keys.iter().cloned())
        .chain(kind.outputs().into_iter().map(str::to_string))
        .collect()
}

/// The key path of swept key `key` (quoted: `sweep."array.size"`).
fn sweep_key(key: &str) -> String {
    format!("sweep.\"{key}\"")
}

/// `base` with the swept `pairs` set: device references first (so that
/// `device.g_max` edits a library device's expanded parameters, or the
/// swapped-in device when `device` itself is swept), then the rest.
fn with_overrides(base: &Table, pairs: &[(String, Value)], dir: &Path) -> Result<Table, RefError> {
    let mut tree = base.clone();
    let is_device = |k: &str| DEVICE_PATHS.contains(&k);
    let set = |tree: &mut Table, key: &str, value: &Value| {
        set_path(tree, key, value.clone()).map_err(|m| RefError::Unknown(sweep_key(key), m))
    };
    for (key, value) in pairs.iter().filter(|(k, _)| is_device(k)) {
        set(&mut tree, key, value)?;
    }
    let mut tree = resolve_devices(tree, dir).map_err(|e| e.at(pairs))?;
    for (key, value) in pairs.iter().filter(|(k, _)| !is_device(k)) {
        set(&mut tree, key, value)?;
    }
    Ok(tree)
}

fn to_point(tree: &Table) -> Result<Point, String> {
    let message = |e: toml::de::Error| e.message().trim().to_string();
    let header: Header<DeviceSpec> = Value::Table(tree.clone()).try_into().map_err(message)?;
    let settings = header
        .kind
        .read_settings(Value::Table(tree.clone()))
        .map_err(message)?;
    Ok(Point {
        name: header.name,
        kind: header.kind,
        device: header.device,
        settings,
    })
}

/// A device reference that could not be resolved.
#[derive(Debug)]
enum RefError {
    /// Not a library name nor a `.toml` file (key path, message).
    Unknown(String, String),
    /// The device file's own error (already located in that file).
    File(ConfigError),
}

impl RefError {
    fn locate(self, doc: &TomlDocument, at: Option<&str>) -> ConfigError {
        match self {
            RefError::Unknown(key, message) => doc.invalid(at.unwrap_or(&key), &message),
            RefError::File(e) => e,
        }
    }

    /// An unknown device that came from a swept value is reported at its
    /// `[sweep]` entry.
    fn at(self, pairs: &[(String, Value)]) -> RefError {
        match self {
            RefError::Unknown(key, m) if pairs.iter().any(|(k, _)| *k == key) => {
                RefError::Unknown(sweep_key(&key), m)
            }
            other => other,
        }
    }
}

/// Where device references may appear: the array device and the device
/// of hardware-aware training.
const DEVICE_PATHS: [&str; 2] = ["device", "training.noise.device.device"];

/// Replaces every device given by name or file with its parameters.
fn resolve_devices(mut tree: Table, dir: &Path) -> Result<Table, RefError> {
    for path in DEVICE_PATHS {
        let Some(Value::String(name)) = get_path(&tree, path) else {
            continue;
        };
        let spec = device_at(name, dir).map_err(|e| match e {
            RefError::Unknown(_, m) => RefError::Unknown(path.into(), m),
            other => other,
        })?;
        let table: Table = toml::from_str(&device_to_toml(&spec))
            .expect("device_to_toml writes TOML that parses back");
        set_path(&mut tree, path, Value::Table(table)).expect("the path exists");
    }
    Ok(tree)
}

/// A device reference resolved by [`resolve_device`] with the config's
/// directory as base. A file that cannot be read is reported at the
/// config's key that names it; an error inside the file, at its own line.
fn device_at(name: &str, dir: &Path) -> Result<DeviceSpec, RefError> {
    match resolve_device(name, dir) {
        Ok((spec, _)) => Ok(spec),
        Err(DeviceRefError::File(ConfigError::Read { path, reason })) => Err(RefError::Unknown(
            "device".into(),
            format!("cannot read device file {}: {reason}", path.display()),
        )),
        Err(DeviceRefError::File(e)) => Err(RefError::File(e)),
        Err(e @ DeviceRefError::Unknown { .. }) => {
            Err(RefError::Unknown("device".into(), e.to_string()))
        }
    }
}

fn get_path<'t>(tree: &'t Table, path: &str) -> Option<&'t Value> {
    let mut parts = path.split('.');
    let mut value = tree.get(parts.next()?)?;
    for part in parts {
        value = value.as_table()?.get(part)?;
    }
    Some(value)
}

/// Sets the value at dotted `path`, creating tables on the way.
fn set_path(tree: &mut Table, path: &str, value: Value) -> Result<(), String> {
    let parts: Vec<&str> = path.split('.').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err(format!(
            "`{path}` is not a dotted key path such as `array.size`"
        ));
    }
    let (last, parents) = parts.split_last().expect("split gives one part at least");
    let mut table = tree;
    for (i, part) in parents.iter().enumerate() {
        let entry = table
            .entry(part.to_string())
            .or_insert_with(|| Value::Table(Table::new()));
        table = match entry {
            Value::Table(t) => t,
            other => {
                return Err(format!(
                    "`{}` is a {}, not a table: `{path}` cannot be set",
                    parts[..=i].join("."),
                    other.type_str()
                ))
            }
        };
    }
    table.insert(last.to_string(), value);
    Ok(())
}

/// The `[sweep]` table as dimensions, checked.
fn dimensions(doc: &TomlDocument, sweep: Option<&Table>) -> Result<Vec<Dimension>, ConfigError> {
    let Some(sweep) = sweep else {
        return Ok(Vec::new());
    };
    let zip: Vec<String> = match sweep.get("zip") {
        None => Vec::new(),
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|k| {
                k.as_str().map(str::to_string).ok_or_else(|| {
                    doc.invalid(
                        "sweep.zip",
                        "expected a list of swept keys, e.g. zip = [\"a.b\", \"c\"]",
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(doc.invalid(
                "sweep.zip",
                "expected a list of swept keys, e.g. zip = [\"a.b\", \"c\"]",
            ))
        }
    };
    let mut dims: Vec<Dimension> = Vec::new();
    let mut zipped: Option<usize> = None;
    for (key, values) in sweep.iter().filter(|(k, _)| *k != "zip") {
        let at = sweep_key(key);
        if key.starts_with("sweep") || key == "plot" || key == "kind" || key == "repeats" {
            return Err(doc.invalid(&at, &format!("`{key}` cannot be swept")));
        }
        if key == "seed" || key == "name" || key == "description" {
            let why = if key == "seed" {
                "every point already runs with seed + r for r in 0..repeats; set `repeats` for more seeds"
            } else {
                "it is not a setting of the computation"
            };
            return Err(doc.invalid(&at, &format!("`{key}` cannot be swept: {why}")));
        }
        let Value::Array(list) = values else {
            return Err(doc.invalid(
                &at,
                &format!(
                    "expected a list of values to sweep, found a {}",
                    values.type_str()
                ),
            ));
        };
        if list.is_empty() {
            return Err(doc.invalid(&at, "empty sweep list: give at least one value"));
        }
        if zip.contains(key) {
            match zipped {
                Some(d) => {
                    let dim = &mut dims[d];
                    if dim.values.len() != list.len() {
                        return Err(doc.invalid(
                            &at,
                            &format!(
                                "zipped keys need lists of equal length: `{}` has {} values, `{key}` has {}",
                                dim.keys[0],
                                dim.values.len(),
                                list.len()
                            ),
                        ));
                    }
                    dim.keys.push(key.clone());
                    dim.values
                        .iter_mut()
                        .zip(list)
                        .for_each(|(v, x)| v.push(x.clone()));
                }
                None => {
                    zipped = Some(dims.len());
                    dims.push(Dimension {
                        keys: vec![key.clone()],
                        values: list.iter().map(|v| vec![v.clone()]).collect(),
                    });
                }
            }
        } else {
            dims.push(Dimension {
                keys: vec![key.clone()],
                values: list.iter().map(|v| vec![v.clone()]).collect(),
            });
        }
    }
    if let Some(missing) = zip
        .iter()
        .find(|k| !sweep.contains_key(k.as_str()) || *k == "zip")
    {
        let hint = suggest(
            missing,
            sweep.keys().filter(|k| *k != "zip").map(String::as_str),
        )
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
        return Err(doc.invalid(
            "sweep.zip",
            &format!("`{missing}` is zipped but not a key of [sweep]{hint}"),
        ));
    }
    Ok(dims)
}

/// The swept `(key, value)` pairs of point `index` (first dimension slowest).
fn point_values(dims: &[Dimension], mut index: usize) -> Vec<(String, Value)> {
    let mut steps = vec![0; dims.len()];
    for (d, dim) in dims.iter().enumerate().rev() {
        steps[d] = index % dim.values.len();
        index /= dim.values.len();
    }
    dims.iter()
        .zip(steps)
        .flat_map(|(dim, i)| dim.keys.iter().cloned().zip(dim.values[i].iter().cloned()))
        .collect()
}

/// The swept keys, in table column order.
pub fn swept_keys(dims: &[Dimension]) -> Vec<String> {
    dims.iter().flat_map(|d| d.keys.iter().cloned()).collect()
}

#[cfg(test)]
mod plot_tests {
    use super::*;

    fn parse(plot: &str) -> Result<Experiment, String> {
        let text = format!(
            "name = \"t\"\nkind = \"device-pulse\"\nseed = 1\ndevice = \"ideal\"\n\n[[plot]]\nfile = \"f\"\nx = \"repeat\"\ny = \"seed\"\n{plot}\n"
        );
        Experiment::parse(Path::new("t.toml"), &text).map_err(|e| e.to_string())
    }

    #[test]
    fn plot_series_are_checked_before_a_run() {
        // Every column of a template or list is a result column.
        let e = parse("series = \"{repeat}, {nope}\"").unwrap_err();
        assert!(e.contains("plot[0].series") && e.contains("`nope`"), "{e}");
        let e = parse("series = [\"seed\", \"nope\"]").unwrap_err();
        assert!(e.contains("plot[0].series") && e.contains("`nope`"), "{e}");
        // Point numbers need labels; with them the config parses.
        let e = parse("series = \"point\"").unwrap_err();
        assert!(
            e.contains("plot[0].series") && e.contains("series_labels"),
            "{e}"
        );
        parse("series = \"point\"\nseries_labels = { \"0\" = \"baseline\" }").unwrap();
        let e = parse("series_labels = { \"0\" = \"baseline\" }").unwrap_err();
        assert!(e.contains("plot[0].series_labels"), "{e}");
        // A facet is a result column too.
        let e = parse("facet = \"devise\"").unwrap_err();
        assert!(e.contains("plot[0].facet") && e.contains("`devise`"), "{e}");
    }
}
