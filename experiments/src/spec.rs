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
use xbar_devices::{library, DeviceSpec};
use xbar_plots::PlotSpec;
use xbar_training::{NetworkConfig, TrainConfig};

use crate::config::{device_to_toml, load_device_file, suggest, ConfigError, TomlDocument};

/// What an experiment measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// LTP/LTD conductance curves under identical pulses (`[pulse]`).
    DevicePulse,
    /// Conductance statistics over time after programming (`[drift]`).
    DeviceDrift,
    /// Error of the bit-line currents against the ideal product, with wire
    /// resistance (`[array]`).
    CrossbarIrDrop,
    /// Accuracy of a trained network on programmed arrays over drift time
    /// (`[network]`, `[training]`, `[data]`, `[array]`, `[evaluation]`).
    InferenceDrift,
    /// Training on the arrays by device pulses (`[network]`, `[insitu]`,
    /// `[data]`).
    InsituTraining,
}

impl Kind {
    /// The name in configs.
    pub fn name(self) -> &'static str {
        match self {
            Kind::DevicePulse => "device-pulse",
            Kind::DeviceDrift => "device-drift",
            Kind::CrossbarIrDrop => "crossbar-ir-drop",
            Kind::InferenceDrift => "inference-drift",
            Kind::InsituTraining => "insitu-training",
        }
    }

    /// The optional sections this kind reads.
    pub fn sections(self) -> &'static [&'static str] {
        match self {
            Kind::DevicePulse => &["pulse"],
            Kind::DeviceDrift => &["drift"],
            Kind::CrossbarIrDrop => &["array"],
            Kind::InferenceDrift => &["network", "training", "data", "array", "evaluation"],
            Kind::InsituTraining => &["network", "insitu", "data"],
        }
    }
}

/// `[pulse]`: the pulse curve of `devices` devices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PulseSection {
    /// Devices pulsed together (mean and std over them; ≥ 1).
    pub devices: usize,
    /// +1 pulses; default: the device's full range.
    pub pulses_ltp: Option<u32>,
    /// −1 pulses after the LTP pulses; default: the device's full range.
    pub pulses_ltd: Option<u32>,
}

impl Default for PulseSection {
    fn default() -> Self {
        PulseSection {
            devices: 100,
            pulses_ltp: None,
            pulses_ltd: None,
        }
    }
}

/// `[drift]`: `devices` devices at each target, read at each time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DriftSection {
    /// Devices per target (≥ 1).
    pub devices: usize,
    /// Targets as fractions of the range above `g_min`, in `[0, 1]`.
    pub target_fractions: Vec<f64>,
    /// Read times after programming (s, > 0).
    pub times_s: Vec<f64>,
    /// Add read noise to each read (else the noiseless drifted value).
    pub read_noise: bool,
}

impl Default for DriftSection {
    fn default() -> Self {
        DriftSection {
            devices: 1000,
            target_fractions: crate::measure::DEFAULT_TARGET_FRACTIONS.to_vec(),
            times_s: crate::measure::DEFAULT_TIMES.to_vec(),
            read_noise: true,
        }
    }
}

/// `[array]`: the physical arrays and their periphery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArraySection {
    /// Square arrays of `size × size` (or give `rows` and `cols`).
    pub size: Option<usize>,
    /// Word lines per array.
    pub rows: Option<usize>,
    /// Bit lines per array.
    pub cols: Option<usize>,
    /// Word-line and bit-line resistance per cell segment (Ω).
    pub r_wire_ohm: Option<f64>,
    /// Word-line resistance per segment (Ω), instead of `r_wire_ohm`.
    pub r_wordline_ohm: Option<f64>,
    /// Bit-line resistance per segment (Ω), instead of `r_wire_ohm`.
    pub r_bitline_ohm: Option<f64>,
    /// Driver (source) resistance (Ω).
    pub r_source_ohm: f64,
    /// Sense resistance (Ω).
    pub r_sense_ohm: f64,
    /// Input DAC resolution (bits); none = ideal.
    pub dac_bits: Option<u32>,
    /// Output ADC resolution (bits); none = ideal.
    pub adc_bits: Option<u32>,
    /// Largest input voltage (V).
    pub read_voltage_v: f64,
    /// Input vectors per array (`crossbar-ir-drop`).
    pub vectors: usize,
    /// Global drift compensation of each array's outputs (`inference-drift`).
    pub drift_compensation: bool,
}

impl Default for ArraySection {
    fn default() -> Self {
        ArraySection {
            size: None,
            rows: None,
            cols: None,
            r_wire_ohm: None,
            r_wordline_ohm: None,
            r_bitline_ohm: None,
            r_source_ohm: 0.0,
            r_sense_ohm: 0.0,
            dac_bits: None,
            adc_bits: None,
            read_voltage_v: 0.2,
            vectors: 64,
            drift_compensation: true,
        }
    }
}

impl ArraySection {
    /// `(rows, cols)`: `size` for both, else `rows`/`cols`, else 256 × 256.
    pub fn shape(&self) -> (usize, usize) {
        let n = self.size.unwrap_or(256);
        (self.rows.unwrap_or(n), self.cols.unwrap_or(n))
    }

    /// `(word line, bit line)` segment resistances (Ω).
    pub fn wire_ohm(&self) -> (f64, f64) {
        let both = self.r_wire_ohm.unwrap_or(0.0);
        (
            self.r_wordline_ohm.unwrap_or(both),
            self.r_bitline_ohm.unwrap_or(both),
        )
    }

    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.size.is_some() && (self.rows.is_some() || self.cols.is_some()) {
            return Err((
                "size",
                "give either `size` (square arrays) or `rows` and `cols`, not both".into(),
            ));
        }
        if self.r_wire_ohm.is_some()
            && (self.r_wordline_ohm.is_some() || self.r_bitline_ohm.is_some())
        {
            return Err((
                "r_wire_ohm",
                "give either `r_wire_ohm` (both lines) or `r_wordline_ohm`/`r_bitline_ohm`, not both"
                    .into(),
            ));
        }
        let (rows, cols) = self.shape();
        for (field, n) in [
            ("size", self.size),
            ("rows", Some(rows)),
            ("cols", Some(cols)),
        ] {
            if n == Some(0) {
                return Err((field, "expected at least 1, found 0".into()));
            }
        }
        let ohms = [
            ("r_wire_ohm", self.r_wire_ohm),
            ("r_wordline_ohm", self.r_wordline_ohm),
            ("r_bitline_ohm", self.r_bitline_ohm),
            ("r_source_ohm", Some(self.r_source_ohm)),
            ("r_sense_ohm", Some(self.r_sense_ohm)),
        ];
        for (field, r) in ohms {
            if let Some(r) = r {
                if !(r.is_finite() && r >= 0.0) {
                    return Err((field, format!("expected a resistance ≥ 0 Ω, found {r}")));
                }
            }
        }
        if !(self.read_voltage_v.is_finite() && self.read_voltage_v > 0.0) {
            return Err((
                "read_voltage_v",
                format!("expected a voltage > 0 V, found {}", self.read_voltage_v),
            ));
        }
        if self.vectors == 0 {
            return Err((
                "vectors",
                "expected at least 1 input vector, found 0".into(),
            ));
        }
        for (field, bits) in [("dac_bits", self.dac_bits), ("adc_bits", self.adc_bits)] {
            if let Some(b) = bits {
                if !(2..=24).contains(&b) {
                    return Err((field, format!("expected 2 to 24 bits, found {b}")));
                }
            }
        }
        Ok(())
    }
}

/// `[data]`: MNIST, from a directory of IDX files or the built-in subset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataSection {
    /// Directory of the four IDX files (gzip or plain), relative to the
    /// config file; none = the built-in subset (6 000 / 1 000 images).
    pub dir: Option<PathBuf>,
    /// Use the first N training images.
    pub train_limit: Option<usize>,
    /// Use the first N test images.
    pub test_limit: Option<usize>,
}

/// `[evaluation]`: when and on how many device instances to test.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluationSection {
    /// Read times after programming (s, ≥ 0).
    pub times_s: Vec<f64>,
    /// Independently programmed device instances (≥ 1).
    pub instances: usize,
}

impl Default for EvaluationSection {
    fn default() -> Self {
        EvaluationSection {
            times_s: vec![1.0, 3600.0, 86_400.0, 2_592_000.0, 31_536_000.0],
            instances: 3,
        }
    }
}

/// `[insitu]`: training on the arrays by device pulses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InsituSection {
    /// Passes over the training set.
    pub epochs: usize,
    /// Samples per batch.
    pub batch_size: usize,
    /// SGD step size.
    pub learning_rate: f64,
    /// Weight magnitude mapped to the full conductance range.
    pub w_max: f64,
}

impl Default for InsituSection {
    fn default() -> Self {
        InsituSection {
            epochs: 1,
            batch_size: 64,
            learning_rate: 0.1,
            w_max: 0.5,
        }
    }
}

/// One point of an experiment: the config with the point's swept values
/// set and its device resolved. `D` is the device: a [`DeviceSpec`] once
/// resolved, the raw TOML value while reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Point<D = DeviceSpec> {
    /// Short name, used in messages and `run.json`.
    pub name: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
    /// What to measure.
    pub kind: Kind,
    /// Base seed: repeat `r` uses `seed + r`.
    #[serde(default = "one")]
    pub seed: u64,
    /// Independent repeats per point (≥ 1).
    #[serde(default = "one_u32")]
    pub repeats: u32,
    /// The device of every cell.
    pub device: D,
    /// `device-pulse` settings.
    #[serde(default)]
    pub pulse: Option<PulseSection>,
    /// `device-drift` settings.
    #[serde(default)]
    pub drift: Option<DriftSection>,
    /// Arrays and periphery.
    #[serde(default)]
    pub array: Option<ArraySection>,
    /// Network shape (`inference-drift`, `insitu-training`).
    #[serde(default)]
    pub network: Option<NetworkConfig>,
    /// Software training before mapping (`inference-drift`).
    #[serde(default)]
    pub training: Option<TrainConfig>,
    /// In-situ training (`insitu-training`).
    #[serde(default)]
    pub insitu: Option<InsituSection>,
    /// MNIST.
    #[serde(default)]
    pub data: Option<DataSection>,
    /// Read times and instances (`inference-drift`).
    #[serde(default)]
    pub evaluation: Option<EvaluationSection>,
    /// Swept keys (read by [`Experiment`]; ignored in a point).
    #[serde(default)]
    pub sweep: Option<Table>,
    /// Figures drawn from the results.
    #[serde(default)]
    pub plot: Vec<PlotSpec>,
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
        // Types, unknown keys and missing keys of the base file, located.
        let raw: Point<Value> = doc.deserialize()?;
        let base: Table = toml::from_str(doc.text()).map_err(|e| doc.invalid("", e.message()))?;
        let dir = doc
            .path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        if raw.repeats == 0 || raw.repeats > MAX_REPEATS {
            return Err(doc.invalid(
                "repeats",
                &format!("expected 1 to {MAX_REPEATS} repeats, found {}", raw.repeats),
            ));
        }
        check_sections(&doc, &raw)?;
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
        check_point(&point0).map_err(|(key, message)| doc.invalid(&key, &message))?;

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
                    .map_err(|(key, m)| doc.invalid(&at, &format!("value {shown}: {key}: {m}")))?;
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
                .map_err(|(key, m)| doc.invalid("sweep", &format!("point {index}: {key}: {m}")))?;
            points.push(point);
            swept.push(pairs);
        }
        let columns = crate::table::columns(raw.kind, &dimensions);
        for (i, plot) in raw.plot.iter().enumerate() {
            let named = [
                ("x", Some(&plot.x)),
                ("y", Some(&plot.y)),
                ("z", plot.z.as_ref()),
                ("series", plot.series.as_ref()),
            ];
            let filters = plot.filter.keys().map(|k| ("where", Some(k)));
            for (field, column) in named.into_iter().chain(filters) {
                let Some(column) = column else { continue };
                if !columns.iter().any(|c| c == column) {
                    let hint = suggest(column, columns.iter().map(String::as_str))
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

    /// The directory relative paths in the config are relative to.
    pub fn dir(&self) -> PathBuf {
        self.path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    }
}

/// Sections the kind does not read are refused, so that nothing a user sets
/// is silently ignored.
fn check_sections(doc: &TomlDocument, raw: &Point<Value>) -> Result<(), ConfigError> {
    let set = [
        ("pulse", raw.pulse.is_some()),
        ("drift", raw.drift.is_some()),
        ("array", raw.array.is_some()),
        ("network", raw.network.is_some()),
        ("training", raw.training.is_some()),
        ("insitu", raw.insitu.is_some()),
        ("data", raw.data.is_some()),
        ("evaluation", raw.evaluation.is_some()),
    ];
    let allowed = raw.kind.sections();
    for (section, present) in set {
        if present && !allowed.contains(&section) {
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

/// Physical and semantic constraints of one point: `(key path, message)`.
fn check_point(p: &Point) -> Result<(), (String, String)> {
    let at =
        |section: &str, (field, message): (&str, String)| (format!("{section}.{field}"), message);
    p.device
        .validate()
        .map_err(|e| (format!("device.{}", e.field), e.message.clone()))?;
    if let Some(a) = &p.array {
        a.check().map_err(|e| at("array", e))?;
    }
    if p.kind == Kind::CrossbarIrDrop {
        if let Some(a) = &p.array {
            if a.dac_bits.is_some() || a.adc_bits.is_some() {
                return Err((
                    "array.dac_bits".into(),
                    "converters are not modelled by crossbar-ir-drop (it compares the analog currents); use inference-drift for DAC/ADC".into(),
                ));
            }
        }
    }
    if let Some(pulse) = &p.pulse {
        if pulse.devices == 0 {
            return Err(at(
                "pulse",
                ("devices", "expected at least 1 device, found 0".into()),
            ));
        }
    }
    if p.kind == Kind::DevicePulse && p.device.pulse.is_none() {
        return Err((
            "device".into(),
            crate::measure::no_pulse_model(&p.device).to_string(),
        ));
    }
    if let Some(d) = &p.drift {
        if d.devices == 0 {
            return Err(at(
                "drift",
                ("devices", "expected at least 1 device, found 0".into()),
            ));
        }
        positive_list(
            "drift",
            "target_fractions",
            &d.target_fractions,
            |f| (0.0..=1.0).contains(&f),
            "fractions in [0, 1]",
        )?;
        positive_list("drift", "times_s", &d.times_s, |t| t > 0.0, "times > 0 s")?;
    }
    if let Some(e) = &p.evaluation {
        if e.instances == 0 {
            return Err(at(
                "evaluation",
                ("instances", "expected at least 1, found 0".into()),
            ));
        }
        positive_list(
            "evaluation",
            "times_s",
            &e.times_s,
            |t| t >= 0.0,
            "times ≥ 0 s",
        )?;
    }
    if let Some(n) = &p.network {
        n.validate()
            .map_err(|e| (format!("network.{}", e.field), e.message.clone()))?;
        if n.sizes.first() != Some(&784) {
            return Err((
                "network.sizes".into(),
                format!(
                    "expected 784 inputs (28×28 MNIST images) first, found {:?}",
                    n.sizes
                ),
            ));
        }
    }
    if let Some(t) = &p.training {
        t.validate()
            .map_err(|e| ("training".into(), e.to_string()))?;
    }
    if p.kind == Kind::InsituTraining {
        crate::kinds::insitu_config(p, 0)
            .validate()
            .map_err(|e| ("insitu".into(), e.to_string()))?;
    }
    if p.kind == Kind::InferenceDrift {
        crate::kinds::array_config(p)
            .validate()
            .map_err(|e| ("array".into(), e.to_string()))?;
    }
    Ok(())
}

fn positive_list(
    section: &str,
    field: &str,
    values: &[f64],
    ok: impl Fn(f64) -> bool,
    expected: &str,
) -> Result<(), (String, String)> {
    if values.is_empty() {
        return Err((
            format!("{section}.{field}"),
            format!("expected a non-empty list of {expected}"),
        ));
    }
    if let Some(v) = values.iter().find(|&&v| !(v.is_finite() && ok(v))) {
        return Err((
            format!("{section}.{field}"),
            format!("expected {expected}, found {v}"),
        ));
    }
    Ok(())
}

/// The key path of swept key `key` (quoted: `sweep."array.size"`).
fn sweep_key(key: &str) -> String {
    format!("sweep.\"{key}\"")
}

/// `base` with the swept `pairs` set: device references first (so that
/// `device.g_max` edits a library device's expanded parameters, or the
/// swapped-in device when `device` itself is swept), then the rest.
fn with_overrides(
    base: &Table,
    pairs: &[(String, Value)],
    dir: &Path,
) -> Result<Table, DeviceRefError> {
    let mut tree = base.clone();
    let is_device = |k: &str| DEVICE_PATHS.contains(&k);
    let set = |tree: &mut Table, key: &str, value: &Value| {
        set_path(tree, key, value.clone()).map_err(|m| DeviceRefError::Unknown(sweep_key(key), m))
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
    Value::Table(tree.clone())
        .try_into::<Point>()
        .map_err(|e| e.message().trim().to_string())
}

/// A device reference that could not be resolved.
#[derive(Debug)]
enum DeviceRefError {
    /// Not a library name nor a `.toml` file (key path, message).
    Unknown(String, String),
    /// The device file's own error (already located in that file).
    File(ConfigError),
}

impl DeviceRefError {
    fn locate(self, doc: &TomlDocument, at: Option<&str>) -> ConfigError {
        match self {
            DeviceRefError::Unknown(key, message) => doc.invalid(at.unwrap_or(&key), &message),
            DeviceRefError::File(e) => e,
        }
    }

    /// An unknown device that came from a swept value is reported at its
    /// `[sweep]` entry.
    fn at(self, pairs: &[(String, Value)]) -> DeviceRefError {
        match self {
            DeviceRefError::Unknown(key, m) if pairs.iter().any(|(k, _)| *k == key) => {
                DeviceRefError::Unknown(sweep_key(&key), m)
            }
            other => other,
        }
    }
}

/// Where device references may appear: the array device and the device
/// of hardware-aware training.
const DEVICE_PATHS: [&str; 2] = ["device", "training.noise.device.device"];

/// Replaces every device given by name or file with its parameters.
fn resolve_devices(mut tree: Table, dir: &Path) -> Result<Table, DeviceRefError> {
    for path in DEVICE_PATHS {
        let Some(Value::String(name)) = get_path(&tree, path) else {
            continue;
        };
        let spec = resolve_device(name, dir).map_err(|e| match e {
            DeviceRefError::Unknown(_, m) => DeviceRefError::Unknown(path.into(), m),
            other => other,
        })?;
        let table: Table = toml::from_str(&device_to_toml(&spec))
            .expect("device_to_toml writes TOML that parses back");
        set_path(&mut tree, path, Value::Table(table)).expect("the path exists");
    }
    Ok(tree)
}

/// A library device by name, or a device file relative to `dir`.
fn resolve_device(name: &str, dir: &Path) -> Result<DeviceSpec, DeviceRefError> {
    if let Some(spec) = library::preset(name) {
        return Ok(spec);
    }
    if name.ends_with(".toml") {
        let file = dir.join(name);
        return load_device_file(&file).map_err(DeviceRefError::File);
    }
    let hint = suggest(name, library::names())
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    Err(DeviceRefError::Unknown(
        "device".into(),
        format!(
            "unknown device `{name}`: expected a library device ({}), a device file ending in .toml, or an inline table{hint}",
            library::names().join(", ")
        ),
    ))
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
