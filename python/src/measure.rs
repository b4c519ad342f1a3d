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
use xbar_api::{Invocation, Measurement, Silent};
use xbar_experiments::kinds::{device_drift, device_pulse, inference_cost, inference_drift};
use xbar_experiments::{Event, Experiment, RunError, RunOptions};

use crate::convert;
use crate::device::PyDevice;
use crate::errors::{self, Class};

fn invocation(kind: &str) -> Invocation {
    Invocation::from_process(&format!("xbarsim.{} (Python)", kind.replace('-', "_")))
}

/// One measurement, `kind` one of `device-pulse`, `device-drift`,
/// `evaluate`, `cost`, with its settings as JSON of the kind's sections;
/// returns `{"table": {columns, data}, "sidecar": {...}}` (and, for
/// `evaluate`, `"instances"`: every (instance, time) accuracy).
#[pyfunction]
pub fn measure<'py>(
    py: Python<'py>,
    kind: &str,
    device: &PyDevice,
    settings: &str,
    seed: u64,
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
            let e = py
                .detach(|| xbar_api::evaluate(device, s, seed, &inv, &mut Silent).map_err(Box::new))
                .map_err(|e| errors::api(*e))?;
            let instances = xbar_experiments::row::table(&e.instances).map_err(errors::value)?;
            out.set_item("instances", convert::table(py, &instances)?)?;
            e.measurement
        }
        "cost" => {
            let s: inference_cost::Settings = convert::sections("cost", settings)?;
            py.detach(|| xbar_api::cost(device, s, seed, &inv).map_err(Box::new))
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
/// `history` if given; returns the history table.
#[pyfunction]
#[pyo3(signature = (settings, output, history = None))]
pub fn train<'py>(
    py: Python<'py>,
    settings: &str,
    output: PathBuf,
    history: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let s: TrainSections = convert::settings("train", settings)?;
    let settings = xbar_api::TrainSettings {
        network: s.network,
        training: s.training,
        data: s.data,
    };
    let inv = invocation("train");
    for path in std::iter::once(&output).chain(history.as_ref()) {
        xbar_api::output::check_output_path(path).map_err(|e| errors::error(Class::Os, e))?;
    }
    let trained = py
        .detach(|| {
            let t = xbar_api::train(&settings, &[], &inv, &mut Silent).map_err(Box::new)?;
            t.write(&output, history.as_deref()).map_err(Box::new)?;
            Ok::<_, Box<xbar_api::Error>>(t)
        })
        .map_err(|e| errors::api(*e))?;
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
/// resumes. Returns `{"out", "resumed", "computed", "files", "wall_s"}`.
#[pyfunction]
#[pyo3(signature = (path, text, out, *, jobs = None, force = false, data = None, progress = None))]
#[allow(clippy::too_many_arguments)]
pub fn run<'py>(
    py: Python<'py>,
    path: PathBuf,
    text: Option<String>,
    out: Option<PathBuf>,
    jobs: Option<usize>,
    force: bool,
    data: Option<PathBuf>,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyDict>> {
    let exp = py
        .detach(|| match &text {
            Some(text) => Experiment::parse(&path, text),
            None => Experiment::read(&path),
        })
        .map_err(errors::input)?;
    if let Some(dir) = &data {
        if !dir.is_dir() {
            return Err(errors::error(
                Class::NotFound,
                format!(
                    "data: {}: not a directory (expected the four MNIST IDX files)",
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
        shard: None,
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
        .map_err(|e| {
            let class = match &e {
                RunError::Units { .. } | RunError::Stopped { .. } => Class::Run,
                RunError::Input(_) => Class::Value,
                _ => Class::Os,
            };
            errors::error(class, e)
        })?;
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
