//! Model files: [safetensors](https://huggingface.co/docs/safetensors), a
//! format Python reads without this program.
//!
//! Tensors, little-endian `F32`, in PyTorch's `nn.Linear` layout:
//!
//! | name | shape |
//! |---|---|
//! | `layers.{l}.weight` | `[outputs, inputs]` |
//! | `layers.{l}.bias` | `[outputs]` |
//!
//! String metadata: `format = "xbarsim-network"`, `format_version = "1"`,
//! `network` (the [`NetworkConfig`] as JSON), `xbarsim_version`, and
//! whatever the writer adds (the training configuration and seed).
//!
//! Graphs (convolutional, residual, spiking or not) have their own
//! format, [`crate::graph::file`]; [`load`] and [`save`] take either.
//!
//! ```python
//! from safetensors.numpy import load_file
//! from safetensors import safe_open
//! w = load_file("model.safetensors")["layers.0.weight"]   # (128, 784)
//! meta = safe_open("model.safetensors", "np").metadata()  # dict of str
//! ```

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::network::{Layer, Network, NetworkConfig};

/// `format` metadata value of a network file.
pub const FORMAT: &str = "xbarsim-network";

/// Why bytes are not a network file (or a network cannot become one);
/// each variant keeps the part of the file at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ModelError {
    /// Not a safetensors file (the safetensors reader's reason).
    #[error("not a safetensors file ({0})")]
    NotSafetensors(String),
    /// A safetensors file whose `format` metadata is another program's.
    #[error("not an xbarsim network: its metadata `format` is `{0}`, expected `{FORMAT}`")]
    Format(String),
    /// A safetensors file without `format` metadata.
    #[error(
        "not an xbarsim network: a safetensors file without the `format = {FORMAT}` metadata \
         that `xbarsim train` writes"
    )]
    NoFormat,
    /// The `network` metadata is not a network configuration (JSON).
    #[error("metadata `network` is not a network configuration: {0}")]
    NetworkJson(String),
    /// The `network` metadata is a configuration outside its domain.
    #[error("metadata `network`: {0}")]
    NetworkConfig(crate::network::ConfigError),
    /// A tensor the network needs is absent.
    #[error("tensor `{0}` is missing")]
    MissingTensor(String),
    /// A tensor of another type or shape than the network needs.
    #[error("tensor `{name}`: expected F32 of shape {expected:?}, found {found}")]
    Tensor {
        /// Its name (`layers.{l}.weight`, `layers.{l}.bias`).
        name: String,
        /// The shape the network needs.
        expected: Vec<usize>,
        /// Its type and shape.
        found: String,
    },
    /// The tensors do not make the network the metadata describes.
    #[error("{0}")]
    Layers(crate::network::ConfigError),
    /// The safetensors writer refused.
    #[error("{0}")]
    Write(String),
}

/// A model file that cannot be read: the file, and why.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The file cannot be read from disk.
    #[error("model `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a network file.
    #[error("model `{}`: {source}", path.display())]
    Model {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ModelError,
    },
}

/// Reads the network file at `path` and its metadata.
///
/// # Errors
/// An unreadable file, or one [`from_bytes`] refuses; both name the file.
pub fn read(path: &Path) -> Result<(Network, HashMap<String, String>), ModelFileError> {
    let bytes = std::fs::read(path).map_err(|source| ModelFileError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes).map_err(|source| ModelFileError::Model {
        path: path.to_path_buf(),
        source,
    })
}

/// Serialises `net` with extra `metadata` (e.g. `"training"`, `"seed"`).
pub fn to_bytes(net: &Network, metadata: &[(&str, String)]) -> Result<Vec<u8>, ModelError> {
    let mut meta: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    meta.insert("format".into(), FORMAT.into());
    meta.insert("format_version".into(), "1".into());
    meta.insert(
        "network".into(),
        serde_json::to_string(net.config()).map_err(|e| ModelError::Write(e.to_string()))?,
    );
    meta.insert("xbarsim_version".into(), env!("CARGO_PKG_VERSION").into());
    let mut buffers: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    for (l, layer) in net.layers().iter().enumerate() {
        let mut w = Vec::with_capacity(layer.weights.len() * 4);
        for j in 0..layer.outputs {
            for i in 0..layer.inputs {
                w.extend_from_slice(&layer.weights[i * layer.outputs + j].to_le_bytes());
            }
        }
        let b: Vec<u8> = layer.bias.iter().flat_map(|v| v.to_le_bytes()).collect();
        buffers.push((
            format!("layers.{l}.weight"),
            vec![layer.outputs, layer.inputs],
            w,
        ));
        buffers.push((format!("layers.{l}.bias"), vec![layer.outputs], b));
    }
    serialize(&buffers, Dtype::F32, meta)
}

/// Named tensors `(name, shape, little-endian bytes)` of one `dtype` and
/// `meta` as a safetensors file, its header's keys sorted.
pub(crate) fn serialize(
    tensors: &[(String, Vec<usize>, Vec<u8>)],
    dtype: Dtype,
    meta: HashMap<String, String>,
) -> Result<Vec<u8>, ModelError> {
    let views = tensors
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(dtype, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| ModelError::Write(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes = safetensors::tensor::serialize(views, Some(meta))
        .map_err(|e| ModelError::Write(e.to_string()))?;
    canonical(bytes)
}

/// The same file with the JSON header's keys sorted: `serialize` writes
/// them in hash-map order, and the same network must give the same bytes.
fn canonical(bytes: Vec<u8>) -> Result<Vec<u8>, ModelError> {
    let n = u64::from_le_bytes(
        bytes[..8]
            .try_into()
            .map_err(|_| ModelError::Write("short file".into()))?,
    ) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n])
        .map_err(|e| ModelError::Write(format!("internal: header JSON: {e}")))?;
    // serde_json's map is ordered by key.
    let mut text = serde_json::to_vec(&header).map_err(|e| ModelError::Write(e.to_string()))?;
    // Same padding rule as safetensors: the data starts 8-byte aligned.
    while text.len() % 8 != 0 {
        text.push(b' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - n);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(&text);
    out.extend_from_slice(&bytes[8 + n..]);
    Ok(out)
}

/// Reads a network and its metadata back.
///
/// # Errors
/// Not a safetensors file, not written by xbarsim, a missing or misshapen
/// tensor, or a non-finite parameter — each said in words.
pub fn from_bytes(bytes: &[u8]) -> Result<(Network, HashMap<String, String>), ModelError> {
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| ModelError::NotSafetensors(e.to_string()))?;
    let meta = header.metadata().clone().unwrap_or_default();
    match meta.get("format").map(String::as_str) {
        Some(FORMAT) => {}
        Some(other) => return Err(ModelError::Format(other.to_string())),
        None => return Err(ModelError::NoFormat),
    }
    let config: NetworkConfig =
        serde_json::from_str(meta.get("network").map_or("", String::as_str))
            .map_err(|e| ModelError::NetworkJson(e.to_string()))?;
    config.validate().map_err(ModelError::NetworkConfig)?;
    let tensors =
        SafeTensors::deserialize(bytes).map_err(|e| ModelError::NotSafetensors(e.to_string()))?;
    let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>, ModelError> {
        let t = tensors
            .tensor(name)
            .map_err(|_| ModelError::MissingTensor(name.to_string()))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape {
            return Err(ModelError::Tensor {
                name: name.to_string(),
                expected: shape.to_vec(),
                found: format!("{:?} of shape {:?}", t.dtype(), t.shape()),
            });
        }
        Ok(t.data()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    };
    let mut layers = Vec::new();
    for (l, w) in config.sizes.windows(2).enumerate() {
        let (inputs, outputs) = (w[0], w[1]);
        let wt = read(&format!("layers.{l}.weight"), &[outputs, inputs])?;
        let bias = read(&format!("layers.{l}.bias"), &[outputs])?;
        let mut layer = Layer::<f32>::zeros(inputs, outputs);
        for j in 0..outputs {
            for i in 0..inputs {
                layer.weights[i * outputs + j] = wt[j * inputs + i];
            }
        }
        layer.bias = bias;
        layers.push(layer);
    }
    let net = Network::from_layers(config, layers).map_err(ModelError::Layers)?;
    Ok((net, meta))
}

/// Reads a model file of either format — a dense network
/// (`xbarsim-network`) or a graph (`xbarsim-graph`) — and its metadata.
///
/// # Errors
/// As [`from_bytes`] and [`crate::graph::file`]'s reader.
pub fn load(bytes: &[u8]) -> Result<(crate::Model, HashMap<String, String>), ModelError> {
    let (_, header) =
        SafeTensors::read_metadata(bytes).map_err(|e| ModelError::NotSafetensors(e.to_string()))?;
    let meta = header.metadata().clone().unwrap_or_default();
    if meta.get("format").map(String::as_str) == Some(crate::graph::file::GRAPH_FORMAT) {
        let graph = crate::graph::file::from_bytes(bytes, &meta)?;
        return Ok((crate::Model::Graph(graph), meta));
    }
    let (net, meta) = from_bytes(bytes)?;
    Ok((crate::Model::Dense(net), meta))
}

/// Serialises a model of either kind with extra `metadata`.
///
/// # Errors
/// The safetensors writer's refusal.
pub fn save(model: &crate::Model, metadata: &[(&str, String)]) -> Result<Vec<u8>, ModelError> {
    match model {
        crate::Model::Dense(net) => to_bytes(net, metadata),
        crate::Model::Graph(graph) => crate::graph::file::to_bytes(graph, metadata),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_is_exact_and_uses_pytorch_layout() {
        let net = Network::new(NetworkConfig::default(), 4).unwrap();
        let bytes = to_bytes(&net, &[("seed", "4".into())]).unwrap();
        let (back, meta) = from_bytes(&bytes).unwrap();
        assert_eq!(back, net);
        // Deterministic bytes (the header's keys are sorted).
        assert_eq!(bytes, to_bytes(&net, &[("seed", "4".into())]).unwrap());
        assert_eq!(meta["seed"], "4");
        // PyTorch layout: weight[j][i] is the synapse from input i to output j.
        let st = SafeTensors::deserialize(&bytes).unwrap();
        let t = st.tensor("layers.0.weight").unwrap();
        assert_eq!(t.shape(), &[128, 784]);
        let k = 3 * 784 + 5;
        let v = f32::from_le_bytes(t.data()[4 * k..4 * k + 4].try_into().unwrap());
        assert_eq!(v, net.layers()[0].weights[5 * 128 + 3]);
    }

    #[test]
    fn foreign_and_damaged_files_are_refused_in_words() {
        let net = Network::new(NetworkConfig::default(), 4).unwrap();
        let bytes = to_bytes(&net, &[]).unwrap();
        let err = from_bytes(&bytes[..bytes.len() - 10])
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a safetensors file"), "{err}");
        let err = from_bytes(b"hello world, not a model")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not a safetensors file"), "{err}");
        let other = safetensors::tensor::serialize(
            vec![(
                "x".to_string(),
                TensorView::new(Dtype::F32, vec![1], &[0, 0, 0, 0]).unwrap(),
            )],
            None,
        )
        .unwrap();
        let err = from_bytes(&other).unwrap_err().to_string();
        assert!(err.contains("not an xbarsim network"), "{err}");
        assert_eq!(from_bytes(&other).unwrap_err(), ModelError::NoFormat);
    }

    #[test]
    fn a_model_file_error_names_the_file_and_keeps_the_cause() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.safetensors");
        let e = read(&missing).unwrap_err();
        assert!(matches!(&e, ModelFileError::Io { path, .. } if *path == missing));
        assert!(e.to_string().starts_with("model `"), "{e}");
        let net = Network::new(NetworkConfig::default(), 4).unwrap();
        let bytes = to_bytes(&net, &[]).unwrap();
        let file = dir.path().join("cut.safetensors");
        std::fs::write(&file, &bytes[..bytes.len() - 10]).unwrap();
        match read(&file).unwrap_err() {
            ModelFileError::Model { path, source } => {
                assert_eq!(path, file);
                assert!(matches!(source, ModelError::NotSafetensors(_)), "{source}");
            }
            other => panic!("expected a model error, got {other}"),
        }
        let good = dir.path().join("m.safetensors");
        std::fs::write(&good, &bytes).unwrap();
        assert_eq!(read(&good).unwrap().0, net);
    }
}
