//! `inference-drift`: the test accuracy of a trained network on programmed
//! arrays, over drift time.
//!
//! The network is trained in software from `[network]` and `[training]`
//! (once per distinct network, training, data and seed; kept in `models/`
//! and reused on resume), or read from `evaluation.model`. It is then
//! mapped onto differential pairs of the `[array]` tiles, programmed on
//! `instances` independent device instances, and tested at each time in
//! `evaluation.times_s` — drift, read noise, IR drop (by the `[array]`
//! solver) and converters included; see [`xbar_training::hardware`].
//! `xbarsim evaluate` is a one-point run of this kind.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use xbar_devices::DeviceSpec;
use xbar_training::{
    hardware::{HardwareError, InstanceAccuracy},
    summarise, Dataset, Model, NetworkConfig, Split, TrainConfig,
};

use crate::context::Context;
use crate::kinds::{at_least_one, check_list, ExperimentKind, FieldError, KindError};
use crate::sections::{
    check_layers, check_network, ArraySection, DataSection,
};

/// `[evaluation]`: which model, when and on how many device instances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EvaluationSection {
    /// Read times after programming (s, ≥ 0).
    pub times_s: Vec<f64>,
    /// Independently programmed device instances (≥ 1).
    pub instances: usize,
    /// A trained model instead of training one from `[network]` and
    /// `[training]`, relative to the config: an xbarsim `.safetensors`
    /// network, an `.onnx` graph (convolutional, residual; exported by
    /// PyTorch, see `xbar_import::onnx`), or a `.nir` spiking network
    /// (snnTorch, Norse, Sinabs, Lava; see `xbar_import::nir`).
    pub model: Option<PathBuf>,
    /// Time steps a `.nir` model runs for, the image as a constant input
    /// current at each (≥ 1) [default: 25].
    pub steps: Option<usize>,
    /// The time step (s) a `.nir` model's continuous-time neurons are
    /// discretised with (> 0) [default: 1e-4, snnTorch's `export_to_nir`].
    pub dt_s: Option<f64>,
}

impl EvaluationSection {
    /// How a `.nir` model runs (`steps`, `dt_s`, their defaults).
    pub fn nir_options(&self) -> xbar_import::nir::Options {
        let mut o = xbar_import::nir::Options::steps(
            self.steps.unwrap_or(xbar_import::nir::DEFAULT_STEPS),
        );
        if let Some(dt) = self.dt_s {
            o.dt = dt;
        }
        o
    }

    /// Refuses `steps` and `dt_s` that are out of range, or given for a
    /// model that is not a `.nir` file.
    pub fn check_nir(&self) -> Result<(), FieldError> {
        let nir = self
            .model
            .as_ref()
            .and_then(|m| m.extension())
            .is_some_and(|e| e.eq_ignore_ascii_case("nir"));
        for (key, set) in [
            ("evaluation.steps", self.steps.is_some()),
            ("evaluation.dt_s", self.dt_s.is_some()),
        ] {
            if set && !nir {
                return Err(FieldError::new(
                    key,
                    "only a `.nir` model (evaluation.model) reads it; remove it",
                ));
            }
        }
        if self.steps == Some(0) {
            return Err(FieldError::new(
                "evaluation.steps",
                "expected at least 1 time step, found 0",
            ));
        }
        if let Some(dt) = self.dt_s.filter(|dt| !(*dt > 0.0 && dt.is_finite())) {
            return Err(FieldError::new(
                "evaluation.dt_s",
                format!("expected a time step > 0 s, found {dt}"),
            ));
        }
        Ok(())
    }
}

impl Default for EvaluationSection {
    fn default() -> Self {
        EvaluationSection {
            times_s: vec![1.0, 3600.0, 86_400.0, 2_592_000.0, 31_536_000.0],
            instances: 3,
            model: None,
            steps: None,
            dt_s: None,
        }
    }
}

crate::sections! {
    /// `inference-drift` settings.
    pub struct Settings {
        /// `[network]`: the network trained in software (absent with a model file).
        pub network: Option<NetworkConfig>,
        /// `[training]`: its software training.
        pub training: Option<TrainConfig>,
        /// `[data]`: MNIST.
        pub data: DataSection,
        /// `[array]`: tiles, wires, converters, solver, drift compensation.
        pub array: ArraySection,
        /// `[evaluation]`: model, times and instances.
        pub evaluation: EvaluationSection,
    }
}

/// The accuracy over instances at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Time since programming (s).
    pub time_s: f64,
    /// Device instances tested.
    pub instances: u64,
    /// Mean test accuracy (%).
    pub accuracy_pct: f64,
    /// Sample standard deviation over instances (%; 0 for one).
    pub accuracy_std_pct: f64,
    /// Worst instance (%).
    pub accuracy_min_pct: f64,
    /// Best instance (%).
    pub accuracy_max_pct: f64,
    /// The same network in software (%).
    pub software_accuracy_pct: f64,
}

/// The `inference-drift` kind.
pub struct InferenceDrift;

/// What a unit evaluates: the network, the test set and the network's
/// software test accuracy.
pub struct Prepared {
    /// The network.
    pub network: Arc<Model>,
    /// The test images.
    pub test: Arc<Dataset>,
    /// Its software test accuracy (fraction).
    pub software: f64,
}

impl InferenceDrift {
    /// The network of a unit: the model file, or trained in software
    /// with `seed` (once per run and identity, kept in the models
    /// directory).
    ///
    /// # Errors
    /// An unreadable model, unreadable data, or training that fails.
    pub fn network(s: &Settings, seed: u64, ctx: &Context) -> Result<Arc<Model>, KindError> {
        if let Some(file) = &s.evaluation.model {
            return ctx.model_file(file, &s.evaluation.nir_options());
        }
        let network = s.network.clone().unwrap_or_default();
        let mut training = s.training.clone().unwrap_or_default();
        training.seed = seed;
        let identity = serde_json::json!({
            "network": network,
            "training": training,
            "data": s.data,
            "data_override": ctx.data_override,
        });
        ctx.model(&identity, || {
            let train_set = ctx.dataset(&s.data, Split::Train)?;
            let image = train_set.image_shape();
            let (net, _) =
                Model::train_new(&network, image, &train_set, None, &training, &mut |_| {})?;
            Ok(net)
        })
    }

    /// The network of a unit (see [`InferenceDrift::network`]), the test
    /// set and the software accuracy.
    ///
    /// # Errors
    /// As [`InferenceDrift::network`], or unreadable test data.
    pub fn prepare(s: &Settings, seed: u64, ctx: &Context) -> Result<Prepared, KindError> {
        let network = Self::network(s, seed, ctx)?;
        let test = ctx.dataset(&s.data, Split::Test)?;
        let software = network.accuracy(&test, seed)?;
        Ok(Prepared {
            network,
            test,
            software,
        })
    }

    /// The accuracy of every (instance, time) on the arrays, each reported
    /// to `on_result` as it is measured.
    ///
    /// # Errors
    /// Arrays that refuse the network or the data.
    pub fn evaluate(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        p: &Prepared,
        on_result: &mut dyn FnMut(&InstanceAccuracy),
    ) -> Result<Vec<InstanceAccuracy>, KindError> {
        let e = &s.evaluation;
        Ok(p.network.evaluate(
            &p.test,
            &s.array.array_config(device),
            &e.times_s,
            e.instances,
            seed,
            on_result,
        )?)
    }

    /// The rows of an evaluation of a network whose software accuracy is
    /// `software`.
    pub fn rows(software: f64, instances: &[InstanceAccuracy]) -> Vec<Row> {
        let pct = |x: f64| 100.0 * x;
        summarise(instances)
            .iter()
            .map(|s| Row {
                time_s: s.time_s,
                instances: s.instances as u64,
                accuracy_pct: pct(s.mean),
                accuracy_std_pct: pct(s.std),
                accuracy_min_pct: pct(s.min),
                accuracy_max_pct: pct(s.max),
                software_accuracy_pct: pct(software),
            })
            .collect()
    }
}

impl ExperimentKind for InferenceDrift {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
        if let Some(n) = &s.network {
            check_network(n)?;
        }
        if let Some(t) = &s.training {
            t.validate()
                .map_err(|e| FieldError::train("training", &e))?;
        }
        if s.evaluation.model.is_some() && (s.network.is_some() || s.training.is_some()) {
            return Err(FieldError::new(
                "evaluation.model",
                "a trained model file replaces [network] and [training]: remove them, or remove `model`",
            ));
        }
        s.data.check()?;
        s.array.check()?;
        s.array.check_memory(1)?;
        s.array
            .array_config(device)
            .validate()
            .map_err(|e| hardware_field(&e))?;
        let e = &s.evaluation;
        e.check_nir()?;
        at_least_one("evaluation.instances", e.instances, "instance")?;
        check_list(
            "evaluation.times_s",
            &e.times_s,
            |t| t >= 0.0,
            "times ≥ 0 s",
        )
    }

    fn preflight(s: &Settings, ctx: &Context) -> Result<(), FieldError> {
        if let Some(file) = &s.evaluation.model {
            let model = ctx
                .model_file(file, &s.evaluation.nir_options())
                .map_err(|e| FieldError::new("evaluation.model", e.to_string()))?;
            ctx.preflight_data(&s.data, &[Split::Test])?;
            let test = ctx
                .dataset(&s.data, Split::Test)
                .map_err(|e| FieldError::at("data", "dir", e.to_string()))?;
            return model.check_data(&test).map_err(|e| {
                let reason = match e {
                    HardwareError::Data(m) => m,
                    other => other.to_string(),
                };
                FieldError::new(
                    "evaluation.model",
                    format!("{}: {reason}", file.display()),
                )
            });
        }
        ctx.preflight_data(&s.data, &[Split::Train, Split::Test])?;
        let network = s.network.clone().unwrap_or_default();
        let train = ctx
            .dataset(&s.data, Split::Train)
            .map_err(|e| FieldError::at("data", "dir", e.to_string()))?;
        let batch = s.training.as_ref().map_or(1, |t| t.batch_size);
        check_layers(&network, train.image_shape(), batch)
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let prepared = Self::prepare(s, seed, ctx)?;
        let instances = Self::evaluate(s, device, seed, &prepared, &mut |_| {})?;
        Ok(Self::rows(prepared.software, &instances))
    }
}

/// An array error at its `array.<key>` path (`tile_rows`/`tile_cols` are
/// the section's `rows`/`cols`).
pub fn hardware_field(e: &HardwareError) -> FieldError {
    match e {
        HardwareError::Config { field, message } => {
            let key = match field.as_str() {
                "tile_rows" => "rows",
                "tile_cols" => "cols",
                other => other,
            };
            FieldError::at("array", key, message.clone())
        }
        HardwareError::Device(xbar_devices::DeviceError::Spec(e)) => FieldError::device(e),
        other => FieldError::new("array", other.to_string()),
    }
}

/// The accuracy of one device instance at one time (`xbarsim evaluate
/// --per-instance`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRow {
    /// Time since programming (s).
    pub time_s: f64,
    /// Device instance (seed + instance).
    pub instance: u64,
    /// Test accuracy (%).
    pub accuracy_pct: f64,
}

impl From<&InstanceAccuracy> for InstanceRow {
    fn from(r: &InstanceAccuracy) -> Self {
        InstanceRow {
            time_s: r.time_s,
            instance: r.instance as u64,
            accuracy_pct: 100.0 * r.accuracy,
        }
    }
}
