//! What the units of one run share: the config's directory (relative data
//! and model paths), the `--data` override, the datasets and the trained
//! models, each computed once even when several threads ask at once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use sha2::{Digest, Sha256};
use xbar_training::{model, Dataset, Model, Split};

use crate::error::{FieldError, KindError};
use crate::sections::DataSection;

/// Shared by the units of one run.
#[derive(Debug, Default)]
pub struct Context {
    /// Relative paths in the config are relative to this.
    pub config_dir: PathBuf,
    /// Replaces every `data.dir` (the `--data` flag).
    pub data_override: Option<PathBuf>,
    /// Trained models are kept here (`<hash>.safetensors`) and reused on
    /// resume; `None` = in memory only.
    pub models_dir: Option<PathBuf>,
    datasets: Memo<Result<Arc<Dataset>, Arc<KindError>>>,
    models: Memo<Result<Arc<Model>, Arc<KindError>>>,
}

/// Values computed once per key, even when several threads ask at once.
#[derive(Debug)]
struct Memo<V>(Mutex<HashMap<String, Arc<OnceLock<V>>>>);

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo(Mutex::new(HashMap::new()))
    }
}

impl<V: Clone> Memo<V> {
    fn get(&self, key: &str, make: impl FnOnce() -> V) -> V {
        let cell = {
            let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(key.to_string()).or_default())
        };
        cell.get_or_init(make).clone()
    }
}

impl Context {
    /// A context for a config in `config_dir`.
    pub fn new(
        config_dir: PathBuf,
        data_override: Option<PathBuf>,
        models_dir: Option<PathBuf>,
    ) -> Self {
        Context {
            config_dir,
            data_override,
            models_dir,
            ..Context::default()
        }
    }

    /// A path of the config, relative to its directory.
    pub fn path(&self, relative: &Path) -> PathBuf {
        self.config_dir.join(relative)
    }

    /// The directory a `[data]` section names (after `--data`), if any.
    pub fn data_dir(&self, data: &DataSection) -> Option<PathBuf> {
        self.data_override
            .clone()
            .or_else(|| data.dir.as_ref().map(|d| self.path(d)))
    }

    /// The split of `[data]`, loaded once per run.
    ///
    /// # Errors
    /// Unreadable data, naming the file.
    pub fn dataset(&self, data: &DataSection, split: Split) -> Result<Arc<Dataset>, KindError> {
        let dir = self.data_dir(data);
        let limit = match split {
            Split::Train => data.train_limit,
            Split::Test => data.test_limit,
        };
        let norm = data.normalisation();
        let key = format!("{dir:?}/{split:?}/{limit:?}/{norm:?}");
        self.datasets
            .get(&key, || {
                let set = crate::data::load(dir.as_deref(), split, limit)
                    .map_err(|e| Arc::new(KindError::Data(e)))?;
                match norm {
                    None => Ok(Arc::new(set)),
                    Some(n) => n.apply(&set).map(Arc::new).map_err(|(key, message)| {
                        Arc::new(KindError::Field(FieldError::at("data", key, message)))
                    }),
                }
            })
            .map_err(KindError::Shared)
    }

    /// Opens and checks the `splits` of `data` a run will read (loading
    /// them here, where the units find them), before the run creates
    /// anything; an error is reported at `data.dir`.
    ///
    /// # Errors
    /// A missing directory, a missing, truncated or corrupt IDX file.
    pub fn preflight_data(&self, data: &DataSection, splits: &[Split]) -> Result<(), FieldError> {
        for &split in splits {
            self.dataset(data, split)
                .map_err(|e| match field_error(&e) {
                    Some(f) => f.clone(),
                    None => FieldError::at("data", "dir", data_reason(&e)),
                })?;
        }
        Ok(())
    }

    /// The network identified by `identity` (JSON of everything that
    /// determines it): made by `make` once per run, kept as
    /// `<models_dir>/<hash>.safetensors` and read back on resume.
    ///
    /// # Errors
    /// `make`'s error, or a model file that cannot be written.
    pub fn model(
        &self,
        identity: &serde_json::Value,
        make: impl FnOnce() -> Result<Model, KindError>,
    ) -> Result<Arc<Model>, KindError> {
        let key = hex(&Sha256::digest(identity.to_string().as_bytes()))[..16].to_string();
        self.models
            .get(&key, || {
                let file = self
                    .models_dir
                    .as_ref()
                    .map(|d| d.join(format!("{key}.safetensors")));
                if let Some(bytes) = file.as_ref().and_then(|f| std::fs::read(f).ok()) {
                    if let Ok((net, _)) = model::load(&bytes) {
                        return Ok(Arc::new(net));
                    }
                }
                let net = make().map_err(Arc::new)?;
                if let Some(file) = &file {
                    save_model(file, &net, identity).map_err(Arc::new)?;
                }
                Ok(Arc::new(net))
            })
            .map_err(KindError::Shared)
    }
}

impl Context {
    /// A trained model file (relative to the config), read once per run:
    /// `.onnx` (a graph, `xbar_import::onnx`), `.nir` (a spiking graph run
    /// as `nir` says, `xbar_import::nir`), else an xbarsim `.safetensors`
    /// network.
    ///
    /// # Errors
    /// A missing or malformed file, named.
    pub fn model_file(
        &self,
        relative: &Path,
        nir: &xbar_import::nir::Options,
    ) -> Result<Arc<Model>, KindError> {
        let file = self.path(relative);
        let key = format!("file:{}:{nir:?}", file.display());
        self.models
            .get(&key, || {
                let fail = |message: String| {
                    Arc::new(KindError::Model {
                        file: file.display().to_string(),
                        message,
                    })
                };
                let bytes = std::fs::read(&file).map_err(|e| fail(crate::durable::reason(&e)))?;
                let is = |ext: &str| {
                    file.extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case(ext))
                };
                if is("onnx") || is("nir") {
                    let graph = if is("nir") {
                        xbar_import::nir::from_bytes(&bytes, nir)
                    } else {
                        xbar_import::onnx::from_bytes(&bytes)
                    };
                    return match graph {
                        Ok(graph) => Ok(Arc::new(Model::Graph(graph))),
                        // The importer names the file `model`; the kind's error names it.
                        Err(e) => Err(fail(
                            e.to_string()
                                .strip_prefix("model: ")
                                .unwrap_or(&e.to_string())
                                .to_string(),
                        )),
                    };
                }
                let (net, _) = model::load(&bytes).map_err(|e| fail(e.to_string()))?;
                Ok(Arc::new(net))
            })
            .map_err(KindError::Shared)
    }
}

fn save_model(file: &Path, net: &Model, identity: &serde_json::Value) -> Result<(), KindError> {
    let shown = || file.display().to_string();
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir).map_err(|e| KindError::Model {
            file: shown(),
            message: crate::durable::reason(&e),
        })?;
    }
    let meta = [("training", identity.to_string())];
    let bytes = model::save(net, &meta).map_err(|e| KindError::Model {
        file: shown(),
        message: e.to_string(),
    })?;
    crate::durable::write_bytes(file, &bytes).map_err(|e| KindError::Model {
        file: e.file,
        message: e.reason,
    })
}

/// Why data could not be loaded, without the `data: ` that
/// [`KindError::Data`] adds (the error is reported at `data.dir`).
fn data_reason(e: &KindError) -> String {
    match e {
        KindError::Shared(inner) => data_reason(inner),
        KindError::Data(e) => e.to_string(),
        other => other.to_string(),
    }
}

/// A setting refused while loading (the normalisation's `data.mean`,
/// `data.std`), at its own key.
fn field_error(e: &KindError) -> Option<&FieldError> {
    match e {
        KindError::Shared(inner) => field_error(inner),
        KindError::Field(f) => Some(f),
        _ => None,
    }
}

/// Lower-case hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
