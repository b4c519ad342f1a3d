//! The measuring functions (`device_pulse`, `device_drift`, `evaluate`,
//! `cost`: one-point runs of their experiment kinds, `xbar_api::measure`)
//! and sweeps (`run`, `shipped`), with the settings given as the kinds'
//! own sections.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use xbar_api::{Invocation, Measurement};
use xbar_experiments::kinds::{
    device_drift, device_pulse, inference_cost, inference_drift, insitu_training,
};
use xbar_experiments::{Event, Experiment, RunError, RunOptions, Shard};

use crate::convert;
use crate::device::PyDevice;
use crate::errors::{self, Class};
use crate::interrupt::interruptible;

fn invocation(kind: &str) -> Invocation {
    Invocation::from_process(&format!("xbarsim.{} (Python)", kind.replace('-', "_")))
}

/// One measurement, `kind` one of `device-pulse`, `device-drift`,
/// `evaluate`, `cost`, with its settings as JSON of the kind's sections;
/// returns `{"table": {columns, data}, "sidecar": {...}}` (and, for
/// `evaluate`, `"instances"`: every (instance, time) accuracy).
/// `evaluate` and `cost` stop on Ctrl-C (`evaluate` at its next
/// (instance, time) point or training batch, `cost` when it ends) and
/// report `progress(done, total)`.
#[pyfunction]
#[pyo3(signature = (kind, device, settings, seed, progress = None))]
pub fn measure<'py>(
    py: Python<'py>,
    kind: &str,
    device: &PyDevice,
    settings: &str,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let device = &device.device;
    let inv = invocation(kind);
    let out = PyDict::new(py);
    let m: Measurement = match kind {
        "device-pulse" => {
            let s: device_pulse::PulseSection = convert::settings("device_pulse", settings)?;
            py.detach(|| xbar_api::device_pulse(device, s, seed, &inv).map_err(Box::new))
                .map_err(|e| errors::api(*e))?
        }
        "device-drift" => {
            let s: device_drift::DriftSection = convert::settings("device_drift", settings)?;
            py.detach(|| xbar_api::device_drift(device, s, seed, &inv).map_err(Box::new))
                .map_err(|e| errors::api(*e))?
        }
        "evaluate" => {
            let s: inference_drift::Settings = convert::sections("evaluate", settings)?;
            let epochs = s.training.as_ref().map_or(0, |t| t.epochs);
            let e = interruptible(py, progress, |stop| {
                xbar_api::evaluate(device, s, seed, &inv, &mut stop.progress(epochs))
                    .map_err(Box::new)
            })?
            .map_err(|e| errors::api(*e))?;
            let instances = xbar_experiments::row::table(&e.instances).map_err(errors::value)?;
            out.set_item("instances", convert::table(py, &instances)?)?;
            e.measurement
        }
        "cost" => {
            let s: inference_cost::Settings = convert::sections("cost", settings)?;
            interruptible(py, progress, |_| {
                xbar_api::cost(device, s, seed, &inv).map_err(Box::new)
            })?
            .map_err(|e| errors::api(*e))?
            .measurement
        }
        other => {
            return Err(errors::value(format!(
                "kind: unknown measurement `{other}`; expected device-pulse, device-drift, evaluate or cost"
            )))
        }
    };
    out.set_item("table", convert::table(py, &m.table)?)?;
    out.set_item("sidecar", convert::json(py, &m.sidecar)?)?;
    Ok(out)
}

/// The sections software training reads.
#[derive(serde::Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct TrainSections {
    network: xbar_training::NetworkConfig,
    training: xbar_training::TrainConfig,
    data: xbar_experiments::sections::DataSection,
}

/// Trains a network in software (`xbarsim train`) with the `network`,
/// `training` and `data` sections (JSON), writes the model to `output`
/// (safetensors, with its JSON sidecar) and the per-epoch history table to
/// `history` if given; returns the history table. Ctrl-C stops it at the
/// next batch, with nothing written; `progress(done, total)` after every
/// batch.
#[pyfunction]
#[pyo3(signature = (settings, output, history = None, progress = None))]
pub fn train<'py>(
    py: Python<'py>,
    settings: &str,
    output: PathBuf,
    history: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let s: TrainSections = convert::settings("train", settings)?;
    let settings = xbar_api::TrainSettings {
        network: s.network,
        training: s.training,
        data: s.data,
    };
    let inv = invocation("train");
    check_outputs(&output, history.as_ref())?;
    let epochs = settings.training.epochs;
    let trained = interruptible(py, progress, |stop| {
        xbar_api::train(&settings, &[], &inv, &mut stop.progress(epochs)).map_err(Box::new)
    })?
    .map_err(|e| errors::api(*e))?;
    write_trained(py, &trained, &output, history.as_deref())?;
    convert::table(py, &trained.table)
}

fn check_outputs(output: &PathBuf, history: Option<&PathBuf>) -> PyResult<()> {
    for path in std::iter::once(output).chain(history) {
        xbar_api::output::check_output_path(path).map_err(|e| errors::error(Class::Os, e))?;
    }
    Ok(())
}

fn write_trained(
    py: Python<'_>,
    trained: &xbar_api::Trained,
    output: &std::path::Path,
    history: Option<&std::path::Path>,
) -> PyResult<()> {
    py.detach(|| trained.write(output, history).map_err(Box::new))
        .map_err(|e| errors::api(*e))
}

/// Trains a network on arrays of `device` by pulses (`xbarsim
/// train-insitu`, the `insitu-training` kind) with the `network`,
/// `insitu`, `data` and `cost` sections (JSON) and `seed` (devices,
/// shuffling, input spikes, pulse rounding); writes the model as the
/// arrays hold it at the end to `output` and the per-epoch table to
/// `history` if given; returns that table. Ctrl-C stops it at the next
/// batch, with nothing written; `progress(done, total)` after every batch.
#[pyfunction]
#[pyo3(signature = (device, settings, seed, output, history = None, progress = None))]
pub fn train_insitu<'py>(
    py: Python<'py>,
    device: &PyDevice,
    settings: &str,
    seed: u64,
    output: PathBuf,
    history: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let s: insitu_training::Settings = convert::sections("train_insitu", settings)?;
    xbar_api::measure::check_network(&s.network).map_err(errors::value)?;
    check_outputs(&output, history.as_ref())?;
    let inv = invocation("train-insitu");
    let device = &device.device;
    let epochs = s.insitu.epochs;
    let trained = interruptible(py, progress, |stop| {
        xbar_api::train_insitu(device, s, seed, &inv, &mut stop.progress(epochs)).map_err(Box::new)
    })?
    .map_err(|e| errors::api(*e))?;
    write_trained(py, &trained, &output, history.as_deref())?;
    convert::table(py, &trained.table)
}

/// TOML text from JSON text: a config given as a dict.
#[pyfunction]
pub fn toml_from_json(json: &str) -> PyResult<String> {
    convert::toml_text(json)
}

/// The names of the shipped configs.
#[pyfunction]
pub fn shipped_names() -> Vec<&'static str> {
    xbar_api::run::shipped_names()
}

/// The TOML text of the shipped config `name`.
#[pyfunction]
pub fn shipped_config(name: &str) -> PyResult<String> {
    xbar_api::run::shipped(name)
        .map(|exp| exp.text.clone())
        .map_err(errors::api)
}

/// Runs a config (TOML `text`, named `path` in messages and relative paths
/// resolved from its directory; without text, the file `path`) into `out`
/// (`xbarsim-out/<name>` by default), resuming what is there. Ctrl-C
/// stops it: units already started finish and are saved, and the next run
/// resumes. `shard` (`"K/N"`) runs only the points p with p mod N = K-1,
/// leaving the table to [`merge`]. Returns `{"out", "resumed", "computed",
/// "files", "wall_s"}`.
#[pyfunction]
#[pyo3(signature = (path, text, out, *, jobs = None, force = false, data = None, shard = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn run<'py>(
    py: Python<'py>,
    path: PathBuf,
    text: Option<String>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    force: bool,
    data: Option<PathBuf>,
    shard: Option<&str>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let shard = shard
        .map(|s| s.parse::<Shard>())
        .transpose()
        .map_err(|e| errors::value(format!("shard: {e}")))?;
    let exp = py
        .detach(|| match &text {
            Some(text) => Experiment::parse(&path, text),
            None => Experiment::read(&path),
        })
        .map_err(errors::input)?;
    if let Some(dir) = &data {
        let npz = dir
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("npz"));
        if !(dir.is_dir() || (npz && dir.is_file())) {
            return Err(errors::error(
                Class::NotFound,
                format!(
                    "data: {}: neither a directory (MNIST IDX files, CIFAR binary batches) nor a .npz file",
                    dir.display()
                ),
            ));
        }
    }
    let stop = Arc::new(AtomicBool::new(false));
    let out = out.unwrap_or_else(|| PathBuf::from("xbarsim-out").join(&exp.name));
    let opts = RunOptions {
        out: out.clone(),
        jobs: jobs.unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1)
        }),
        force,
        shard,
        data_override: data,
        abort_after: None,
        stop: Some(stop.clone()),
    };
    // `progress(done, total)` after each unit, called from the run's threads
    // (each takes the interpreter for the call; its errors are ignored, a
    // progress bar must not stop a run).
    let worker = std::thread::spawn(move || {
        let total = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let on_event = |e: Event| {
            let Some(cb) = &progress else { return };
            let (d, t) = match e {
                Event::Start { todo, .. } => {
                    total.store(todo, Ordering::SeqCst);
                    (0, todo)
                }
                Event::Unit { .. } => (
                    done.fetch_add(1, Ordering::SeqCst) + 1,
                    total.load(Ordering::SeqCst),
                ),
                _ => return,
            };
            Python::attach(|py| {
                let _ = cb.call1(py, (d, t));
            });
        };
        xbar_experiments::run(&exp, &opts, &on_event)
    });
    // The interpreter is released while the run works; every 50 ms it is
    // taken back to look for Ctrl-C.
    while !worker.is_finished() {
        py.detach(|| std::thread::sleep(Duration::from_millis(50)));
        if let Err(interrupt) = py.check_signals() {
            stop.store(true, Ordering::SeqCst);
            let _ = py.detach(|| worker.join());
            return Err(interrupt);
        }
    }
    let summary = worker
        .join()
        .map_err(|_| errors::error(Class::Run, "the run panicked"))?
        .map_err(run_error)?;
    summary_dict(py, &out, &summary)
}

fn run_error(e: RunError) -> PyErr {
    let class = match &e {
        RunError::Units { .. } | RunError::Stopped { .. } => Class::Run,
        RunError::Input(_) => Class::Value,
        _ => Class::Os,
    };
    errors::error(class, e)
}

/// Merges the unit files of shards (`run(..., shard="K/N")` into each of
/// `dirs`, or all into one) into `out`: the table, run.json and figures,
/// as `xbarsim merge`. Returns what [`run`] returns.
#[pyfunction]
pub fn merge<'py>(
    py: Python<'py>,
    dirs: Vec<PathBuf>,
    out: PathBuf,
) -> PyResult<Bound<'py, PyDict>> {
    for dir in &dirs {
        if !dir.is_dir() {
            return Err(errors::error(
                Class::NotFound,
                format!(
                    "{}: not a directory (expected a results directory of run(..., shard=...))",
                    dir.display()
                ),
            ));
        }
    }
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let summary = py
        .detach(|| xbar_experiments::merge(&dirs, &out, jobs))
        .map_err(run_error)?;
    summary_dict(py, &out, &summary)
}

/// Writes the SLURM array job of the config file `config` into
/// `<out>/slurm` (`shards.sbatch`, `merge.sbatch`, `submit.sh`), each task
/// running `program` (`program run CONFIG --out OUT --shard K/N`, then
/// `program merge OUT --out OUT`), as `xbarsim slurm`. The results
/// directory is claimed first. Returns `{"dir", "files", "name",
/// "points", "repeats"}`.
#[pyfunction]
#[pyo3(signature = (config, out, program, *, shards, cpus_per_task = 1, time = None, partition = None))]
#[allow(clippy::too_many_arguments)]
pub fn slurm<'py>(
    py: Python<'py>,
    config: PathBuf,
    out: PathBuf,
    program: PathBuf,
    shards: usize,
    cpus_per_task: usize,
    time: Option<String>,
    partition: Option<String>,
) -> PyResult<Bound<'py, PyDict>> {
    if shards == 0 {
        return Err(errors::value(
            "shards: expected at least 1 array task, found 0",
        ));
    }
    if cpus_per_task == 0 {
        return Err(errors::value("cpus_per_task: expected at least 1, found 0"));
    }
    let settings = xbar_api::run::SlurmSettings {
        shards,
        cpus_per_task,
        time,
        partition,
    };
    let (exp, scripts) = py
        .detach(|| xbar_api::run::slurm(&config, &out, &program, &settings).map_err(Box::new))
        .map_err(|e| match *e {
            e @ xbar_api::Error::TooManyShards { .. } => errors::value(format!("shards: {e}")),
            other => errors::api(other),
        })?;
    let d = PyDict::new(py);
    d.set_item("dir", scripts.dir.display().to_string())?;
    d.set_item(
        "files",
        scripts
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>(),
    )?;
    d.set_item("name", &exp.name)?;
    d.set_item("points", exp.points.len())?;
    d.set_item("repeats", exp.repeats)?;
    Ok(d)
}

fn summary_dict<'py>(
    py: Python<'py>,
    out: &std::path::Path,
    summary: &xbar_experiments::Summary,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("out", out.display().to_string())?;
    d.set_item("resumed", summary.resumed)?;
    d.set_item("computed", summary.computed)?;
    d.set_item(
        "files",
        summary
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>(),
    )?;
    d.set_item("wall_s", summary.wall_s)?;
    Ok(d)
}
