//! The measuring commands as functions: `device pulse`, `device drift`,
//! `evaluate`, `cost` and `train-insitu`, each a one-point run of its
//! experiment kind (`device-pulse`, `device-drift`, `inference-drift`,
//! `inference-cost`, `insitu-training`). Settings are the kinds' own
//! sections, whose `Default` is the only default; results are the kinds'
//! typed rows and the table a sweep would hold, with provenance.

use std::path::Path;
use std::time::Instant;

use serde_json::json;
use xbar_experiments::kinds::{
    device_drift, device_pulse, inference_cost, inference_drift, insitu_training, Settings,
};
use xbar_experiments::measure::{default_pulses, default_targets, no_pulse_model};
use xbar_experiments::runner::one_unit;
use xbar_experiments::{row, FieldError, KindError};
use xbar_training::hardware::InstanceAccuracy;
use xbar_training::{Model, Network, NetworkConfig, Split};

use crate::output::OutputSet;
use crate::output::{device_json, Invocation};
use crate::point::{add_table, context, data_source, point, run, sidecar, Device, Measurement};
use crate::progress::{Progress, Update};
use crate::train::{check_shape, Trained};
use crate::Error;

/// A row that cannot become cells: a bug, reported as the kind's output
/// error.
fn table<R: serde::Serialize + serde::de::DeserializeOwned>(
    rows: &[R],
) -> Result<xbar_experiments::table::Rows, Error> {
    row::table(rows).map_err(|e| Error::Kind(KindError::Row(e)))
}

/// `device pulse`: `pulse.devices` devices driven through full LTP then
/// LTD trains. Pulse counts left unset are the device's own (its pulse
/// model's `pulses_ltp`/`pulses_ltd`).
///
/// # Errors
/// A device without a pulse model, or a setting out of its domain.
pub fn device_pulse(
    device: &Device,
    mut pulse: device_pulse::PulseSection,
    seed: u64,
    invocation: &Invocation,
) -> Result<Measurement, Error> {
    let defaults = default_pulses(&device.spec)
        .ok_or_else(|| Error::Kind(no_pulse_model(&device.spec).into()))?;
    let ltp = *pulse.pulses_ltp.get_or_insert(defaults.0);
    let ltd = *pulse.pulses_ltd.get_or_insert(defaults.1);
    let count = pulse.devices;
    let settings = Settings::DevicePulse(device_pulse::Settings { pulse });
    let point = point("device-pulse", device, settings)?;
    let parameters = json!({ "count": count, "pulses_ltp": ltp, "pulses_ltd": ltd });
    run(invocation, &point, seed, &device.source, parameters)
}

/// `device drift`: `drift.devices` devices per target read at each time.
/// Targets left unset are spread over the device's range.
///
/// # Errors
/// A setting out of its domain.
pub fn device_drift(
    device: &Device,
    mut drift: device_drift::DriftSection,
    seed: u64,
    invocation: &Invocation,
) -> Result<Measurement, Error> {
    let targets = drift
        .targets_S
        .get_or_insert_with(|| default_targets(&device.spec))
        .clone();
    let parameters = json!({
        "count": drift.devices, "targets_S": targets, "times_s": drift.times_s,
        "read_noise": drift.read_noise,
    });
    let settings = Settings::DeviceDrift(device_drift::Settings { drift });
    let point = point("device-drift", device, settings)?;
    run(invocation, &point, seed, &device.source, parameters)
}

/// An `inference-drift` evaluation of one network.
#[derive(Debug, Clone)]
pub struct Evaluation {
    /// Summary rows, one per time (the kind's columns).
    pub rows: Vec<inference_drift::Row>,
    /// Every (instance, time) accuracy.
    pub instances: Vec<inference_drift::InstanceRow>,
    /// The network's software test accuracy (fraction).
    pub software: f64,
    /// Test images.
    pub test_images: usize,
    /// Wall-clock time of the evaluation (s).
    pub elapsed_s: f64,
    /// The summary table (with `point`, `repeat`, `seed`) and its sidecar.
    pub measurement: Measurement,
}

impl Evaluation {
    /// Writes the summary table to `output` and, if given, every
    /// instance's accuracy to `per_instance`, each with the sidecar.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn write(&self, output: &Path, per_instance: Option<&Path>) -> Result<(), Error> {
        // One set: both tables with their sidecars, or nothing.
        let mut set = OutputSet::new();
        add_table(
            &mut set,
            output,
            &self.measurement.table,
            &self.measurement.sidecar,
        )?;
        if let Some(p) = per_instance {
            add_table(
                &mut set,
                p,
                &table(&self.instances)?,
                &self.measurement.sidecar,
            )?;
        }
        set.commit()?;
        Ok(())
    }
}

/// `evaluate`: a model programmed onto arrays of `device`, its accuracy
/// over instances and times since programming.
///
/// # Errors
/// A setting out of its domain, an unreadable model or data set, arrays
/// that refuse the network.
pub fn evaluate(
    device: &Device,
    settings: inference_drift::Settings,
    seed: u64,
    invocation: &Invocation,
    progress: &mut dyn Progress,
) -> Result<Evaluation, Error> {
    let point = point(
        &invocation.command,
        device,
        Settings::InferenceDrift(settings.clone()),
    )?;
    let ctx = context();
    let prepared = inference_drift::InferenceDrift::prepare(&settings, seed, &ctx)?;
    let (test_images, software) = (prepared.test.len(), prepared.software);
    let e = &settings.evaluation;
    progress.update(Update::EvaluationStart {
        software,
        test_images,
        points: e.instances * e.times_s.len(),
    });
    let start = Instant::now();
    let instances = inference_drift::InferenceDrift::evaluate(
        &settings,
        &device.spec,
        seed,
        &prepared,
        &mut |r: &InstanceAccuracy| progress.update(Update::Evaluated(r)),
    )?;
    let elapsed_s = start.elapsed().as_secs_f64();
    let rows = inference_drift::InferenceDrift::rows(software, &instances);
    let array = &settings.array;
    let (tile_rows, tile_cols) = array.shape();
    let parameters = json!({
        "model": e.model.as_ref().map(|m| m.display().to_string()),
        "array": {
            "tile_rows": tile_rows, "tile_cols": tile_cols,
            "wires": array.wires, "dac_bits": array.converters.dac_bits,
            "adc_bits": array.converters.adc_bits,
            "read_voltage_V": array.converters.read_voltage,
            "drift_compensation": array.drift_compensation, "solver": array.solver,
        },
        "times_s": e.times_s,
        "instances": e.instances,
        "software_accuracy": software,
        "network": prepared.network.describe(),
        "data": data_source(&settings.data),
        "test_images": test_images,
        "evaluation_time_s": elapsed_s,
    });
    let measurement = Measurement {
        table: one_unit(seed, table(&rows)?),
        sidecar: sidecar(invocation, &point, seed, &device.source, parameters),
    };
    Ok(Evaluation {
        rows,
        instances: instances
            .iter()
            .map(inference_drift::InstanceRow::from)
            .collect(),
        software,
        test_images,
        elapsed_s,
        measurement,
    })
}

/// A `cost` measurement: its typed rows beside the table.
#[derive(Debug, Clone)]
pub struct Cost {
    /// One row per time (the `inference-cost` columns).
    pub rows: Vec<inference_cost::Row>,
    /// Wall-clock time (s).
    pub elapsed_s: f64,
    /// The table and its sidecar.
    pub measurement: Measurement,
}

/// `cost`: energy, latency and area per inference of a model programmed
/// onto arrays of `device`, with its accuracy on the same reads.
///
/// # Errors
/// A setting out of its domain (the technology included), an unreadable
/// model or data set.
pub fn cost(
    device: &Device,
    settings: inference_cost::Settings,
    seed: u64,
    invocation: &Invocation,
) -> Result<Cost, Error> {
    let parameters_base = json!({
        "model": settings.evaluation.model.as_ref().map(|m| m.display().to_string()),
        "data": data_source(&settings.data),
        "technology": settings.cost.technology,
    });
    let point = point(
        &invocation.command,
        device,
        Settings::InferenceCost(settings),
    )?;
    let ctx = context();
    point.settings.preflight(&ctx)?;
    let start = Instant::now();
    let cells = point.settings.run(&point.device, seed, &ctx)?;
    let elapsed_s = start.elapsed().as_secs_f64();
    let mut parameters = parameters_base;
    parameters["evaluation_time_s"] = json!(elapsed_s);
    let outputs = crate::point::outputs(&point, cells);
    let rows = outputs
        .rows
        .iter()
        .map(|r| row::parse(r).map_err(|e| Error::Kind(KindError::Row(e))))
        .collect::<Result<_, _>>()?;
    Ok(Cost {
        rows,
        elapsed_s,
        measurement: Measurement {
            table: one_unit(seed, outputs),
            sidecar: sidecar(invocation, &point, seed, &device.source, parameters),
        },
    })
}

/// `train-insitu`: a network trained on arrays of `device` by pulses
/// (the `insitu-training` kind), read back as a model.
///
/// # Errors
/// A setting out of its domain, data that does not fit the network, a
/// device without a pulse model.
pub fn train_insitu(
    device: &Device,
    settings: insitu_training::Settings,
    seed: u64,
    invocation: &Invocation,
    progress: &mut dyn Progress,
) -> Result<Trained, Error> {
    let ctx = context();
    let train_set = ctx.dataset(&settings.data, Split::Train)?;
    let test_set = ctx.dataset(&settings.data, Split::Test)?;
    check_shape(&settings.network, &train_set, &test_set)?;
    let point = point(
        &invocation.command,
        device,
        Settings::InsituTraining(settings.clone()),
    )?;
    progress.update(Update::TrainingStart {
        train_images: train_set.len(),
        parameters: None,
    });
    let (mut insitu, history) =
        insitu_training::InsituTraining::train(&settings, &device.spec, seed, &ctx, &mut |p| {
            progress.update(Update::Training(p))
        })?;
    let network: Network = insitu
        .read()
        .map_err(|e| Error::Kind(KindError::Train(e)))?;
    let rows = insitu_training::InsituTraining::rows(&history)?;
    let parameters = json!({
        "network": settings.network,
        "insitu": settings.insitu,
        "device": device_json(&device.spec, &device.source),
        "seed": seed,
        "data": data_source(&settings.data),
        "final_test_accuracy": history.last().and_then(|s| s.test_accuracy),
    });
    let mut side = sidecar(invocation, &point, seed, &device.source, parameters.clone());
    side["timing"] = json!({
        "epoch_time_s": history.iter().map(|s| s.epoch_time_s).collect::<Vec<_>>(),
    });
    Trained::new(
        invocation,
        Model::Dense(network),
        history,
        &rows,
        seed,
        parameters,
        side,
        test_set.len(),
    )
}

/// The network of an `insitu-training` run's `[network]` checked on its
/// own (sizes, memory), for a front end that builds it from its flags.
///
/// # Errors
/// The first setting out of its domain, at its config path.
pub fn check_network(network: &NetworkConfig) -> Result<(), FieldError> {
    xbar_experiments::sections::check_network(network)
}
