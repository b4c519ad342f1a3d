//! Software training (`xbarsim train`) and what every trained network
//! shares with it: the data's shape checked against the network, the model
//! file and its per-epoch history written with their provenance.

use std::path::Path;
use std::time::Instant;

use serde::Deserialize;
use serde_json::{json, Value};
use xbar_experiments::config::TomlDocument;
use xbar_experiments::kinds::insitu_training::{self, InsituTraining};
use xbar_experiments::runner::one_unit;
use xbar_experiments::sections::{check_layers, check_network, DataSection};
use xbar_experiments::table::Rows;
use xbar_experiments::{row, FieldError, KindError};
use xbar_training::graph::Graph;
use xbar_training::{model, Dataset, EpochStats, Model, NetworkConfig};
use xbar_training::{Split, TrainConfig};

use crate::error::{End, ShapeError};
use crate::output::{Invocation, OutputError, OutputSet};
use crate::point::{add_table, context, data_source};
use crate::progress::{Progress, Update};
use crate::Error;

/// The settings of software training: the `[network]` and `[training]`
/// sections of a config (their `Default`s are the only defaults) and the
/// data.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrainSettings {
    /// The network to train.
    pub network: NetworkConfig,
    /// How to train it (its `seed` seeds the weights and the batches).
    pub training: TrainConfig,
    /// The images.
    pub data: DataSection,
}

/// What a settings file for `train` may hold.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainFile {
    #[serde(default)]
    network: Option<NetworkConfig>,
    #[serde(default)]
    training: Option<TrainConfig>,
}

impl TrainSettings {
    /// Applies a settings file's `[network]` and `[training]` sections
    /// (each replacing the current one), each checked and located in the
    /// file.
    ///
    /// # Errors
    /// An unreadable file, an unknown key, or a value out of its domain,
    /// located at its line.
    pub fn apply_file(&mut self, path: &Path) -> Result<(), Error> {
        let doc = TomlDocument::read(path)?;
        let file: TrainFile = doc.deserialize()?;
        if let Some(n) = &file.network {
            check_network(n).map_err(|e| doc.invalid(&e.path, &e.message))?;
        }
        if let Some(t) = &file.training {
            t.validate().map_err(|e| {
                let e = FieldError::train("training", &e);
                doc.invalid(&e.path, &e.message)
            })?;
        }
        if let Some(n) = file.network {
            self.network = n;
        }
        if let Some(t) = file.training {
            self.training = t;
        }
        Ok(())
    }

    /// Checks both sections (the network's size against the machine's
    /// memory included).
    ///
    /// # Errors
    /// The first setting out of its domain, at its config path.
    pub fn check(&self) -> Result<(), FieldError> {
        check_network(&self.network)?;
        self.training
            .validate()
            .map_err(|e| FieldError::train("training", &e))
    }
}

/// The network's input and output widths against the data.
///
/// # Errors
/// The end that does not fit.
pub fn check_shape(
    network: &NetworkConfig,
    train: &Dataset,
    test: &Dataset,
) -> Result<(), ShapeError> {
    let sizes = &network.sizes;
    if sizes[0] != train.pixels() {
        return Err(ShapeError {
            sizes: sizes.clone(),
            end: End::Inputs,
            expected: train.pixels(),
        });
    }
    let classes = train
        .labels()
        .iter()
        .chain(test.labels())
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(0);
    if *sizes.last().unwrap_or(&0) != classes {
        return Err(ShapeError {
            sizes: sizes.clone(),
            end: End::Outputs,
            expected: classes,
        });
    }
    Ok(())
}

/// A trained network with its history and provenance.
#[derive(Debug)]
pub struct Trained {
    /// The network, in software.
    pub network: Model,
    /// One entry per epoch.
    pub history: Vec<EpochStats>,
    /// The history table (`insitu-training` columns, `point`, `repeat`,
    /// `seed` first).
    pub table: Rows,
    /// What determines the network (kept in the model file).
    pub parameters: Value,
    /// The sidecar of the model and history files (timings included).
    pub sidecar: Value,
    /// Test images.
    pub test_images: usize,
    command: String,
}

impl Trained {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        invocation: &Invocation,
        network: Model,
        history: Vec<EpochStats>,
        rows: &[insitu_training::Row],
        seed: u64,
        parameters: Value,
        sidecar: Value,
        test_images: usize,
    ) -> Result<Self, Error> {
        let table = one_unit(
            seed,
            row::table(rows).map_err(|e| Error::Kind(KindError::Row(e)))?,
        );
        Ok(Trained {
            network,
            history,
            table,
            parameters,
            sidecar,
            test_images,
            command: invocation.command.clone(),
        })
    }

    /// The last epoch's test accuracy (fraction).
    pub fn final_accuracy(&self) -> Option<f64> {
        self.history.last().and_then(|s| s.test_accuracy)
    }

    /// Writes the model file (its metadata: the command and the
    /// parameters, so that the same seed gives the same bytes) and, if
    /// given, the history table, each with the sidecar.
    ///
    /// # Errors
    /// A file that cannot be written.
    pub fn write(&self, model_path: &Path, history: Option<&Path>) -> Result<(), Error> {
        let meta = [
            ("command", self.command.clone()),
            ("parameters", self.parameters.to_string()),
        ];
        let bytes = model::save(&self.network, &meta).map_err(|e| OutputError::Write {
            path: model_path.to_path_buf(),
            reason: e.to_string(),
        })?;
        // One set: the model and the history with their sidecars, or nothing.
        let mut set = OutputSet::new();
        set.with_sidecar(model_path, bytes, &self.sidecar)?;
        if let Some(h) = history {
            add_table(&mut set, h, &self.table, &self.sidecar)?;
        }
        set.commit()?;
        Ok(())
    }
}

/// `train`: the network trained in software on the data, tested after
/// every epoch. `sources` says where the settings came from (defaults,
/// files), for the sidecar.
///
/// # Errors
/// Settings out of their domain, unreadable data, data that does not fit
/// the network.
pub fn train(
    settings: &TrainSettings,
    sources: &[String],
    invocation: &Invocation,
    progress: &mut dyn Progress,
) -> Result<Trained, Error> {
    settings.check()?;
    let ctx = context();
    let train_set = ctx.dataset(&settings.data, Split::Train)?;
    let test_set = ctx.dataset(&settings.data, Split::Test)?;
    let training = &settings.training;
    let network = &settings.network;
    let parameter_count = if network.layers.is_empty() {
        check_shape(network, &train_set, &test_set)?;
        network.parameter_count()
    } else {
        check_layers(network, train_set.image_shape(), training.batch_size)?;
        Graph::build(
            train_set.image_shape(),
            &network.layers,
            network,
            training.seed,
        )
        .map_err(|e| FieldError::at("network", "layers", e.to_string()))?
        .parameter_count()
    };
    progress.update(Update::TrainingStart {
        train_images: train_set.len(),
        parameters: Some(parameter_count),
    });
    let start = Instant::now();
    let (net, history) = Model::train_new(
        network,
        train_set.image_shape(),
        &train_set,
        Some(&test_set),
        training,
        &mut |p| progress.update(Update::Training(p)),
    )
    .map_err(|e| Error::Kind(e.into()))?;
    let parameters = json!({
        "network": settings.network,
        "training": training,
        "seed": training.seed,
        "settings_from": sources,
        "data": data_source(&settings.data),
        "train_images": train_set.len(),
        "test_images": test_set.len(),
        "final_test_accuracy": history.last().and_then(|s| s.test_accuracy),
    });
    let mut sidecar = invocation.provenance(parameters.clone());
    sidecar["timing"] = json!({
        "training_time_s": start.elapsed().as_secs_f64(),
        "epoch_time_s": history.iter().map(|s| s.epoch_time_s).collect::<Vec<_>>(),
    });
    let rows = InsituTraining::rows(&history)?;
    Trained::new(
        invocation,
        net,
        history,
        &rows,
        training.seed,
        parameters,
        sidecar,
        test_set.len(),
    )
}
