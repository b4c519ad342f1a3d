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
//! ```python
//! from safetensors.numpy import load_file
//! from safetensors import safe_open
//! w = load_file("model.safetensors")["layers.0.weight"]   # (128, 784)
//! meta = safe_open("model.safetensors", "np").metadata()  # dict of str
//! ```

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use crate::network::{Layer, Network, NetworkConfig};

/// `format` metadata value of a network file.
pub const FORMAT: &str = "xbarsim-network";

/// A model file that cannot be read as a network.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct ModelError(String);

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
        serde_json::to_string(net.config()).map_err(|e| ModelError(e.to_string()))?,
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
    let views = buffers
        .iter()
        .map(|(name, shape, data)| {
            TensorView::new(Dtype::F32, shape.clone(), data)
                .map(|v| (name.clone(), v))
                .map_err(|e| ModelError(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bytes =
        safetensors::tensor::serialize(views, Some(meta)).map_err(|e| ModelError(e.to_string()))?;
    canonical(bytes)
}

/// The same file with the JSON header's keys sorted: `serialize` writes
/// them in hash-map order, and the same network must give the same bytes.
fn canonical(bytes: Vec<u8>) -> Result<Vec<u8>, ModelError> {
    let n = u64::from_le_bytes(
        bytes[..8]
            .try_into()
            .map_err(|_| ModelError("short file".into()))?,
    ) as usize;
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n])
        .map_err(|e| ModelError(format!("internal: header JSON: {e}")))?;
    // serde_json's map is ordered by key.
    let mut text = serde_json::to_vec(&header).map_err(|e| ModelError(e.to_string()))?;
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
    let (_, header) = SafeTensors::read_metadata(bytes)
        .map_err(|e| ModelError(format!("not a safetensors file ({e})")))?;
    let meta = header.metadata().clone().unwrap_or_default();
    match meta.get("format").map(String::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(ModelError(format!(
                "not an xbarsim network: its metadata `format` is `{other}`, expected `{FORMAT}`"
            )))
        }
        None => {
            return Err(ModelError(format!(
            "not an xbarsim network: a safetensors file without the `format = {FORMAT}` metadata \
                 that `xbarsim train` writes"
        )))
        }
    }
    let config: NetworkConfig =
        serde_json::from_str(meta.get("network").map_or("", String::as_str)).map_err(|e| {
            ModelError(format!(
                "metadata `network` is not a network configuration: {e}"
            ))
        })?;
    config
        .validate()
        .map_err(|e| ModelError(format!("metadata `network`: {e}")))?;
    let tensors = SafeTensors::deserialize(bytes)
        .map_err(|e| ModelError(format!("not a safetensors file ({e})")))?;
    let read = |name: &str, shape: &[usize]| -> Result<Vec<f32>, ModelError> {
        let t = tensors
            .tensor(name)
            .map_err(|_| ModelError(format!("tensor `{name}` is missing")))?;
        if t.dtype() != Dtype::F32 || t.shape() != shape {
            return Err(ModelError(format!(
                "tensor `{name}`: expected F32 of shape {shape:?}, found {:?} of shape {:?}",
                t.dtype(),
                t.shape()
            )));
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
    let net = Network::from_layers(config, layers).map_err(|e| ModelError(e.to_string()))?;
    Ok((net, meta))
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
    }
}
