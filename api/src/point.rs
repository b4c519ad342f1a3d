//! A one-point run: one experiment kind's settings at one point, on one
//! device, with one seed — what the measuring commands are. Its table has
//! the kind's columns (the same as a sweep's `results.csv`, with `point`,
//! `repeat` and `seed` first) and its sidecar the config that reproduces
//! it with `xbarsim run`.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use xbar_devices::DeviceSpec;
use xbar_experiments::context::Context;
use xbar_experiments::runner::{one_unit, point_provenance};
use xbar_experiments::sections::DataSection;
use xbar_experiments::table::Rows;
use xbar_experiments::{FieldError, Point, Settings};

use crate::output::{device_json, Invocation, OutputError, OutputSet};
use crate::Error;

/// A device and where it came from (`library:<name>` or `file:<path>`),
/// recorded in every sidecar.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    /// The validated specification.
    pub spec: DeviceSpec,
    /// Where it came from, for the sidecar.
    pub source: String,
}

/// The point of a one-point run named `name`: `settings` on `device`,
/// checked as a config's point would be.
///
/// # Errors
/// The first setting outside its domain, at its config path.
pub fn point(name: &str, device: &Device, settings: Settings) -> Result<Point, FieldError> {
    let point = Point {
        name: name.into(),
        kind: settings.kind(),
        device: device.spec.clone(),
        settings,
    };
    point.settings.check(&point.device)?;
    Ok(point)
}

/// The context of a one-point run: paths relative to the working
/// directory, models kept in memory.
pub fn context() -> Context {
    Context::new(PathBuf::new(), None, None)
}

/// Where a `[data]` section's images come from, for a sidecar.
pub fn data_source(data: &DataSection) -> String {
    match &data.dir {
        Some(dir) => dir.display().to_string(),
        None => xbar_experiments::data::BUILTIN.into(),
    }
}

/// A measured table and its provenance sidecar.
#[derive(Debug, Clone)]
pub struct Measurement {
    /// The rows: `point`, `repeat`, `seed`, then the kind's columns.
    pub table: Rows,
    /// The provenance: invocation, seed, device, the reproducing config,
    /// and the measurement's own parameters.
    pub sidecar: Value,
}

impl Measurement {
    /// Writes the table as CSV to `path` and the sidecar to
    /// `<path>.json`, together or not at all.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        write_table(path, &self.table, &self.sidecar)
    }
}

/// The sidecar of a one-point run: the invocation with its `parameters`,
/// the seed, the device, and what [`point_provenance`] records.
pub fn sidecar(
    invocation: &Invocation,
    point: &Point,
    seed: u64,
    source: &str,
    parameters: Value,
) -> Value {
    let mut object = invocation.provenance(parameters);
    object["seed"] = json!(seed);
    object["device"] = device_json(&point.device, source);
    object["run"] = point_provenance(point, seed);
    object
}

/// Writes `rows` as CSV (the experiments' one writer) to `path` and
/// `sidecar` to `<path>.json`, together or not at all.
///
/// # Errors
/// A value that cannot be tabled, or a file that cannot be written.
pub fn write_table(path: &Path, rows: &Rows, sidecar: &Value) -> Result<(), Error> {
    let mut set = OutputSet::new();
    add_table(&mut set, path, rows, sidecar)?;
    set.commit()?;
    Ok(())
}

/// Adds `rows` as CSV (the experiments' one writer) at `path` and
/// `sidecar` at `<path>.json` to `set`.
///
/// # Errors
/// A value that cannot be tabled.
pub fn add_table(
    set: &mut OutputSet,
    path: &Path,
    rows: &Rows,
    sidecar: &Value,
) -> Result<(), Error> {
    let cannot = |reason: String| OutputError::Write {
        path: path.to_path_buf(),
        reason,
    };
    let frame = rows.to_frame().map_err(|e| cannot(format!("table: {e}")))?;
    let bytes = xbar_experiments::table::csv_bytes(&frame).map_err(|e| cannot(e.to_string()))?;
    set.with_sidecar(path, bytes, sidecar)?;
    Ok(())
}

/// A unit's `cells` under `point`'s kind's output columns.
pub(crate) fn outputs(point: &Point, cells: Vec<Vec<xbar_experiments::table::Cell>>) -> Rows {
    Rows {
        columns: point
            .kind
            .outputs()
            .into_iter()
            .map(str::to_string)
            .collect(),
        rows: cells,
    }
}

/// Runs `point` once with `seed` through its kind: the kind's rows and
/// the sidecar with `parameters`.
///
/// # Errors
/// The kind's error.
pub fn run(
    invocation: &Invocation,
    point: &Point,
    seed: u64,
    source: &str,
    parameters: Value,
) -> Result<Measurement, Error> {
    let cells = point.settings.run(&point.device, seed, &context())?;
    let outputs = outputs(point, cells);
    let side = sidecar(invocation, point, seed, source, parameters);
    Ok(Measurement {
        table: one_unit(seed, outputs),
        sidecar: side,
    })
}
