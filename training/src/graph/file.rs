//! Graphs in model files: safetensors, as dense networks are
//! ([`crate::model`]), with `format = "xbarsim-graph"`.
//!
//! The metadata `graph` holds the topology as JSON (input shape, time
//! steps and encoding, and each node's name, op, attributes and inputs;
//! neuron parameters inline); the tensors hold the parameters, `F64`, in
//! PyTorch's layouts:
//!
//! | name | shape |
//! |---|---|
//! | `nodes.{k}.weight` | convolution `[C_out, C_in, k_h, k_w]`; linear `[outputs, inputs]` |
//! | `nodes.{k}.bias` | `[outputs]` |
//! | `nodes.{k}.scale`, `nodes.{k}.shift` | `[channels]` (per-channel affine) |

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors};
use serde::{Deserialize, Serialize};

use super::{Conv2d, Graph, Leak, Lif, Node, Op, Pool, Reset, Shape, Time, Weights};
use crate::model::ModelError;
use crate::network::Encoding;

/// `format` metadata value of a graph file.
pub const GRAPH_FORMAT: &str = "xbarsim-graph";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GraphFile {
    /// `[C, H, W]`.
    input: [usize; 3],
    steps: usize,
    encoding: Encoding,
    nodes: Vec<NodeFile>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    name: String,
    inputs: Vec<usize>,
    op: OpFile,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
enum OpFile {
    Conv2d {
        in_channels: usize,
        out_channels: usize,
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 4],
        dilation: [usize; 2],
    },
    Linear {
        inputs: usize,
        outputs: usize,
    },
    ChannelAffine {
        channels: usize,
    },
    Relu,
    MaxPool(PoolFile),
    AvgPool(PoolFile),
    GlobalAvgPool,
    Flatten,
    Add,
    Lif {
        decay: Vec<f64>,
        gain: Vec<f64>,
        bias: Vec<f64>,
        threshold: Vec<f64>,
        reset_to_zero: bool,
    },
    Leaky {
        decay: Vec<f64>,
        gain: Vec<f64>,
        bias: Vec<f64>,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolFile {
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 4],
}

impl From<&Pool> for PoolFile {
    fn from(p: &Pool) -> Self {
        PoolFile {
            kernel: [p.kernel.0, p.kernel.1],
            stride: [p.stride.0, p.stride.1],
            padding: p.padding,
        }
    }
}

impl From<&PoolFile> for Pool {
    fn from(p: &PoolFile) -> Self {
        Pool {
            kernel: (p.kernel[0], p.kernel[1]),
            stride: (p.stride[0], p.stride[1]),
            padding: p.padding,
        }
    }
}

/// `w` (`inputs × outputs`, row `k` input `k`) as `[outputs, inputs]`.
fn transposed(w: &Weights) -> Vec<f64> {
    let mut out = Vec::with_capacity(w.weights.len());
    for o in 0..w.outputs {
        out.extend((0..w.inputs).map(|k| w.weights[k * w.outputs + o]));
    }
    out
}

fn bytes(v: &[f64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Serialises `graph` with extra `metadata` (e.g. the training settings).
///
/// # Errors
/// The safetensors writer's refusal.
pub fn to_bytes(graph: &Graph, metadata: &[(&str, String)]) -> Result<Vec<u8>, ModelError> {
    let mut tensors: Vec<(String, Vec<usize>, Vec<u8>)> = Vec::new();
    let mut nodes = Vec::with_capacity(graph.nodes().len());
    for (k, node) in graph.nodes().iter().enumerate() {
        let mut weights = |w: &Weights, shape: Vec<usize>| {
            tensors.push((format!("nodes.{k}.weight"), shape, bytes(&transposed(w))));
            tensors.push((format!("nodes.{k}.bias"), vec![w.outputs], bytes(&w.bias)));
        };
        let op = match &node.op {
            Op::Conv2d(c) => {
                let cin = c.weights.inputs / (c.kernel.0 * c.kernel.1);
                let shape = vec![c.weights.outputs, cin, c.kernel.0, c.kernel.1];
                weights(&c.weights, shape);
                OpFile::Conv2d {
                    in_channels: cin,
                    out_channels: c.weights.outputs,
                    kernel: [c.kernel.0, c.kernel.1],
                    stride: [c.stride.0, c.stride.1],
                    padding: c.padding,
                    dilation: [c.dilation.0, c.dilation.1],
                }
            }
            Op::Linear(w) => {
                weights(w, vec![w.outputs, w.inputs]);
                OpFile::Linear {
                    inputs: w.inputs,
                    outputs: w.outputs,
                }
            }
            Op::ChannelAffine { scale, shift } => {
                tensors.push((format!("nodes.{k}.scale"), vec![scale.len()], bytes(scale)));
                tensors.push((format!("nodes.{k}.shift"), vec![shift.len()], bytes(shift)));
                OpFile::ChannelAffine {
                    channels: scale.len(),
                }
            }
            Op::Relu => OpFile::Relu,
            Op::MaxPool(p) => OpFile::MaxPool(p.into()),
            Op::AvgPool(p) => OpFile::AvgPool(p.into()),
            Op::GlobalAvgPool => OpFile::GlobalAvgPool,
            Op::Flatten => OpFile::Flatten,
            Op::Add => OpFile::Add,
            Op::Lif(l) => OpFile::Lif {
                decay: l.leak.decay.clone(),
                gain: l.leak.gain.clone(),
                bias: l.leak.bias.clone(),
                threshold: l.threshold.clone(),
                reset_to_zero: l.reset == Reset::Zero,
            },
            Op::Leaky(l) => OpFile::Leaky {
                decay: l.decay.clone(),
                gain: l.gain.clone(),
                bias: l.bias.clone(),
            },
        };
        nodes.push(NodeFile {
            name: node.name.clone(),
            inputs: node.inputs.clone(),
            op,
        });
    }
    let s = graph.input_shape();
    let description = GraphFile {
        input: [s.channels, s.height, s.width],
        steps: graph.time().steps,
        encoding: graph.time().encoding,
        nodes,
    };
    let mut meta: HashMap<String, String> = metadata
        .iter()
        .map(|(k, v)| ((*k).to_string(), v.clone()))
        .collect();
    meta.insert("format".into(), GRAPH_FORMAT.into());
    meta.insert("format_version".into(), "1".into());
    meta.insert(
        "graph".into(),
        serde_json::to_string(&description).map_err(|e| ModelError::Write(e.to_string()))?,
    );
    meta.insert("xbarsim_version".into(), env!("CARGO_PKG_VERSION").into());
    crate::model::serialize(&tensors, Dtype::F64, meta)
}

/// Reads a graph file's graph (its metadata already read: `meta`).
///
/// # Errors
/// A topology that is not JSON of this format, a missing or misshapen
/// tensor, or a graph that does not fit together — each said in words.
pub(crate) fn from_bytes(
    bytes: &[u8],
    meta: &HashMap<String, String>,
) -> Result<Graph, ModelError> {
    let file: GraphFile = serde_json::from_str(meta.get("graph").map_or("", String::as_str))
        .map_err(|e| ModelError::NetworkJson(format!("metadata `graph`: {e}")))?;
    let tensors =
        SafeTensors::deserialize(bytes).map_err(|e| ModelError::NotSafetensors(e.to_string()))?;
    let read = |name: String, shape: &[usize]| -> Result<Vec<f64>, ModelError> {
        let t = tensors
            .tensor(&name)
            .map_err(|_| ModelError::MissingTensor(name.clone()))?;
        if t.dtype() != Dtype::F64 || t.shape() != shape {
            return Err(ModelError::Tensor {
                name,
                expected: shape.to_vec(),
                found: format!("{:?} of shape {:?}", t.dtype(), t.shape()),
            });
        }
        Ok(t.data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect())
    };
    let weights = |k: usize, inputs: usize, outputs: usize, shape: &[usize]| {
        let wt = read(format!("nodes.{k}.weight"), shape)?;
        let mut w = vec![0.0; inputs * outputs];
        for o in 0..outputs {
            for i in 0..inputs {
                w[i * outputs + o] = wt[o * inputs + i];
            }
        }
        Ok::<_, ModelError>(Weights {
            inputs,
            outputs,
            weights: w,
            bias: read(format!("nodes.{k}.bias"), &[outputs])?,
        })
    };
    let mut nodes = Vec::with_capacity(file.nodes.len());
    for (k, n) in file.nodes.iter().enumerate() {
        let op = match &n.op {
            OpFile::Conv2d {
                in_channels,
                out_channels,
                kernel,
                stride,
                padding,
                dilation,
            } => {
                let inputs = in_channels * kernel[0] * kernel[1];
                let shape = [*out_channels, *in_channels, kernel[0], kernel[1]];
                Op::Conv2d(Conv2d {
                    weights: weights(k, inputs, *out_channels, &shape)?,
                    kernel: (kernel[0], kernel[1]),
                    stride: (stride[0], stride[1]),
                    padding: *padding,
                    dilation: (dilation[0], dilation[1]),
                })
            }
            OpFile::Linear { inputs, outputs } => {
                Op::Linear(weights(k, *inputs, *outputs, &[*outputs, *inputs])?)
            }
            OpFile::ChannelAffine { channels } => Op::ChannelAffine {
                scale: read(format!("nodes.{k}.scale"), &[*channels])?,
                shift: read(format!("nodes.{k}.shift"), &[*channels])?,
            },
            OpFile::Relu => Op::Relu,
            OpFile::MaxPool(p) => Op::MaxPool(p.into()),
            OpFile::AvgPool(p) => Op::AvgPool(p.into()),
            OpFile::GlobalAvgPool => Op::GlobalAvgPool,
            OpFile::Flatten => Op::Flatten,
            OpFile::Add => Op::Add,
            OpFile::Lif {
                decay,
                gain,
                bias,
                threshold,
                reset_to_zero,
            } => Op::Lif(Lif {
                leak: Leak {
                    decay: decay.clone(),
                    gain: gain.clone(),
                    bias: bias.clone(),
                },
                threshold: threshold.clone(),
                reset: if *reset_to_zero {
                    Reset::Zero
                } else {
                    Reset::Subtract
                },
            }),
            OpFile::Leaky { decay, gain, bias } => Op::Leaky(Leak {
                decay: decay.clone(),
                gain: gain.clone(),
                bias: bias.clone(),
            }),
        };
        nodes.push(Node {
            name: n.name.clone(),
            op,
            inputs: n.inputs.clone(),
        });
    }
    let [c, h, w] = file.input;
    Graph::new(Shape::new(c, h, w), nodes)
        .and_then(|g| {
            g.with_time(Time {
                steps: file.steps,
                encoding: file.encoding,
            })
        })
        .map_err(|e| ModelError::NetworkJson(format!("metadata `graph`: {e}")))
}
