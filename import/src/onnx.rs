//! ONNX models (PyTorch's `torch.onnx.export`, opset 9 or later) as
//! [`Graph`]s.
//!
//! | ONNX op | becomes |
//! |---|---|
//! | `Conv` (group 1, `auto_pad` NOTSET or VALID) | [`Op::Conv2d`] |
//! | `Gemm` (`transA` 0), `MatMul` by a constant | [`Op::Linear`] (`alpha` scales the weights, `beta` the bias) |
//! | `BatchNormalization` (inference) | [`Op::ChannelAffine`] `s = γ/√(σ²+ε)`, `t = β − μ·s` |
//! | `Add`, `Mul` by a per-channel constant | [`Op::ChannelAffine`] |
//! | `Add` of two values | [`Op::Add`] |
//! | `Relu` | [`Op::Relu`] |
//! | `MaxPool`, `AveragePool` (`ceil_mode` 0, no dilation) | [`Op::MaxPool`], [`Op::AvgPool`] (`count_include_pad` 0) |
//! | `GlobalAveragePool` | [`Op::GlobalAvgPool`] |
//! | `Flatten` (axis 1), `Reshape` to `[N, −1]` | [`Op::Flatten`] |
//! | `Identity`, `Dropout` | nothing (the value passes through) |
//!
//! The model's first input that is not an initializer is the image
//! (`N×C×H×W`, `N×F` or `N×H×W`, the batch axis free); its first output
//! is the class scores and must be the last layer's. Anything else — an
//! op, an attribute value, a tensor type, external data — is refused with
//! one [`ImportError`] naming the node, its op and what is supported.

use std::collections::HashMap;
use std::path::Path;

use prost::Message;
use xbar_training::graph::{Conv2d, Graph, Node, Op, Pool, Shape, Weights};

use crate::proto::{AttributeProto, ModelProto, NodeProto, TensorProto};
use crate::ImportError;

const FLOAT: i32 = 1;
const INT32: i32 = 6;
const INT64: i32 = 7;
const DOUBLE: i32 = 11;

/// The ONNX ops this importer reads.
pub const SUPPORTED: &str = "Conv, Gemm, MatMul, BatchNormalization, Add, Mul, Relu, MaxPool, AveragePool, GlobalAveragePool, Flatten, Reshape, Identity, Dropout";

/// Reads an ONNX model file.
///
/// # Errors
/// An unreadable or damaged file, or a model this importer cannot map (see
/// the [module docs](self)), naming the file and the node.
pub fn read(path: &Path) -> Result<Graph, ImportError> {
    let bytes =
        std::fs::read(path).map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
    from_bytes(&bytes).map_err(|e| e.in_file(path))
}

/// Reads an ONNX model held in memory (errors name the file `model`).
///
/// # Errors
/// As [`read`].
pub fn from_bytes(bytes: &[u8]) -> Result<Graph, ImportError> {
    let model = ModelProto::decode(bytes).map_err(|e| {
        ImportError::model(format!(
            "not an ONNX model (the protobuf does not decode: {e}); is the file complete?"
        ))
    })?;
    let ai_onnx = model
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx");
    match ai_onnx {
        Some(o) if o.version >= 9 => {}
        Some(o) => {
            return Err(ImportError::model(format!(
                "opset {} is older than the 9 this importer reads; export with torch.onnx.export(…, opset_version=13) or later",
                o.version
            )))
        }
        None => {
            return Err(ImportError::model(
                "declares no ai.onnx opset (an empty or damaged file?)".to_string(),
            ))
        }
    }
    let graph = model
        .graph
        .ok_or_else(|| ImportError::model("has no graph".to_string()))?;
    let mut b = Builder::default();
    for t in &graph.initializer {
        b.constants
            .insert(t.name.clone(), Tensor::from_proto(t, &t.name)?);
    }
    let input = graph
        .input
        .iter()
        .find(|i| !b.constants.contains_key(&i.name))
        .ok_or_else(|| ImportError::model("has no input that is not an initializer".to_string()))?;
    let dims: Vec<i64> = input
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .and_then(|t| t.shape.as_ref())
        .map(|s| s.dim.iter().map(|d| d.dim_value).collect())
        .unwrap_or_default();
    let dim = |k: usize| usize::try_from(dims[k]).unwrap_or(0);
    let shape = match dims.len() {
        4 => Shape::new(dim(1), dim(2), dim(3)),
        3 => Shape::new(1, dim(1), dim(2)),
        2 => Shape::new(dim(1), 1, 1),
        _ => Shape::new(0, 0, 0),
    };
    if shape.is_empty() {
        return Err(ImportError::model(format!(
            "input '{}' has shape {dims:?}; expected N×C×H×W, N×H×W or N×F with fixed C, H, W, F",
            input.name
        )));
    }
    b.values.insert(input.name.clone(), (0, shape));
    b.shapes.push(shape);
    for node in &graph.node {
        b.node(node)?;
    }
    let output = graph
        .output
        .first()
        .ok_or_else(|| ImportError::model("has no output".to_string()))?;
    let (v, _) = *b.values.get(&output.name).ok_or_else(|| {
        ImportError::model(format!("output '{}' is computed by no node", output.name))
    })?;
    if v != b.nodes.len() || v == 0 {
        return Err(ImportError::model(format!(
            "output '{}' is not the last layer's value; xbarsim reads the class scores from the last layer",
            output.name
        )));
    }
    Graph::new(shape, b.nodes).map_err(|e| ImportError::Node {
        file: None,
        node: e.node,
        op: e.op.to_string(),
        message: e.message,
    })
}

/// A constant tensor, in `f64`.
#[derive(Debug, Clone)]
struct Tensor {
    dims: Vec<usize>,
    data: Vec<f64>,
}

impl Tensor {
    fn from_proto(t: &TensorProto, name: &str) -> Result<Tensor, ImportError> {
        let fail = |m: String| ImportError::model(format!("initializer '{name}': {m}"));
        if t.data_location == 1 {
            return Err(fail(
                "its data is in an external file; export with the weights inside the model (a model under 2 GB)".into(),
            ));
        }
        let dims = t
            .dims
            .iter()
            .map(|&d| usize::try_from(d).map_err(|_| fail(format!("dimension {d} < 0"))))
            .collect::<Result<Vec<usize>, _>>()?;
        let n: usize = dims.iter().product();
        let raw = &t.raw_data;
        let data: Vec<f64> = match t.data_type {
            FLOAT if !raw.is_empty() => raw
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect(),
            FLOAT => t.float_data.iter().map(|&v| f64::from(v)).collect(),
            DOUBLE if !raw.is_empty() => raw
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect(),
            DOUBLE => t.double_data.clone(),
            INT64 if !raw.is_empty() => raw
                .chunks_exact(8)
                .map(|b| i64::from_le_bytes(b.try_into().expect("8 bytes")) as f64)
                .collect(),
            INT64 => t.int64_data.iter().map(|&v| v as f64).collect(),
            INT32 if !raw.is_empty() => raw
                .chunks_exact(4)
                .map(|b| f64::from(i32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect(),
            INT32 => t.int32_data.iter().map(|&v| f64::from(v)).collect(),
            other => {
                return Err(fail(format!(
                    "data type {other} is not float, double, int32 or int64"
                )))
            }
        };
        if data.len() != n {
            return Err(fail(format!(
                "{} values for dimensions {dims:?} ({n} expected); the file is damaged",
                data.len()
            )));
        }
        if data.iter().any(|v| !v.is_finite()) {
            return Err(fail("holds a NaN or an infinity".into()));
        }
        Ok(Tensor { dims, data })
    }
}

#[derive(Default)]
struct Builder {
    constants: HashMap<String, Tensor>,
    /// ONNX value name → (graph value, its shape).
    values: HashMap<String, (usize, Shape)>,
    shapes: Vec<Shape>,
    nodes: Vec<Node>,
}

/// One ONNX node's view for error messages and attributes.
struct At<'a> {
    node: &'a NodeProto,
}

impl At<'_> {
    fn name(&self) -> String {
        if self.node.name.is_empty() {
            self.node.output.first().cloned().unwrap_or_default()
        } else {
            self.node.name.clone()
        }
    }

    fn fail(&self, message: impl Into<String>) -> ImportError {
        ImportError::Node {
            file: None,
            node: self.name(),
            op: self.node.op_type.clone(),
            message: message.into(),
        }
    }

    fn attr(&self, name: &str) -> Option<&AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    fn int(&self, name: &str, default: i64) -> i64 {
        self.attr(name).map_or(default, |a| a.i)
    }

    fn float(&self, name: &str, default: f32) -> f32 {
        self.attr(name).map_or(default, |a| a.f)
    }

    fn ints(&self, name: &str) -> Option<Vec<i64>> {
        self.attr(name).map(|a| a.ints.clone())
    }

    fn string(&self, name: &str) -> Option<String> {
        self.attr(name)
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
    }

    /// Only these attributes, each with a value this importer reads.
    fn only(&self, known: &[&str]) -> Result<(), ImportError> {
        match self
            .node
            .attribute
            .iter()
            .find(|a| !known.contains(&a.name.as_str()))
        {
            Some(a) => Err(self.fail(format!(
                "attribute '{}' is not supported (supported: {})",
                a.name,
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            ))),
            None => Ok(()),
        }
    }

    /// A pair of non-negative integers (`kernel_shape`, `strides`, …).
    fn pair(&self, name: &str, default: (usize, usize)) -> Result<(usize, usize), ImportError> {
        match self.ints(name) {
            None => Ok(default),
            Some(v) => match v.as_slice() {
                [a, b] if *a >= 0 && *b >= 0 => Ok((*a as usize, *b as usize)),
                _ => Err(self.fail(format!("{name} = {v:?}; expected two values ≥ 0 (2-D)"))),
            },
        }
    }

    /// `pads` as `[top, left, bottom, right]`.
    fn pads(&self) -> Result<[usize; 4], ImportError> {
        if let Some(p) = self.string("auto_pad") {
            if p != "NOTSET" && p != "VALID" {
                return Err(self.fail(format!(
                    "auto_pad = {p} is not supported (NOTSET with explicit pads, or VALID); export with explicit padding"
                )));
            }
        }
        match self.ints("pads") {
            None => Ok([0; 4]),
            Some(v) => match v.as_slice() {
                [a, b, c, d] if v.iter().all(|&x| x >= 0) => {
                    Ok([*a as usize, *b as usize, *c as usize, *d as usize])
                }
                _ => Err(self.fail(format!("pads = {v:?}; expected four values ≥ 0 (2-D)"))),
            },
        }
    }
}

impl Builder {
    fn value(&self, at: &At<'_>, name: &str) -> Result<(usize, Shape), ImportError> {
        self.values.get(name).copied().ok_or_else(|| {
            if self.constants.contains_key(name) {
                at.fail(format!(
                    "input '{name}' is a constant where a computed value is expected"
                ))
            } else {
                at.fail(format!("input '{name}' is computed by no earlier node"))
            }
        })
    }

    fn constant(&self, at: &At<'_>, name: &str) -> Result<&Tensor, ImportError> {
        self.constants.get(name).ok_or_else(|| {
            at.fail(format!(
                "input '{name}' must be a constant (an initializer); computed weights are not supported"
            ))
        })
    }

    fn push(&mut self, at: &At<'_>, op: Op, inputs: Vec<usize>) -> Result<(), ImportError> {
        let node = Node {
            name: at.name(),
            op,
            inputs,
        };
        // Shapes checked now, so that the error names this node.
        let k = self.nodes.len();
        self.nodes.push(node);
        let shape = self.shape_of(k).map_err(|m| at.fail(m))?;
        self.shapes.push(shape);
        let out = at.node.output.first().cloned().unwrap_or_default();
        self.values.insert(out, (k + 1, shape));
        Ok(())
    }

    /// The output shape of node `k`, by building the graph so far.
    fn shape_of(&self, k: usize) -> Result<Shape, String> {
        let graph = Graph::new(self.shapes[0], self.nodes[..=k].to_vec()).map_err(|e| e.message)?;
        Ok(graph.output_shape())
    }

    fn alias(&mut self, at: &At<'_>) -> Result<(), ImportError> {
        let v = self.value(at, at.node.input.first().map_or("", |s| s.as_str()))?;
        let out = at.node.output.first().cloned().unwrap_or_default();
        self.values.insert(out, v);
        Ok(())
    }

    fn node(&mut self, node: &NodeProto) -> Result<(), ImportError> {
        let at = At { node };
        if !node.domain.is_empty() && node.domain != "ai.onnx" {
            return Err(at.fail(format!(
                "domain '{}' is not supported (only the standard ai.onnx ops: {SUPPORTED})",
                node.domain
            )));
        }
        let input = |k: usize| {
            node.input
                .get(k)
                .map(|s| s.as_str())
                .filter(|s| !s.is_empty())
        };
        match node.op_type.as_str() {
            "Identity" => self.alias(&at),
            "Dropout" => {
                if node.output.len() > 1 && !node.output[1].is_empty() {
                    return Err(at.fail(
                        "its mask output is used; only inference dropout (no mask) is supported",
                    ));
                }
                self.alias(&at)
            }
            "Relu" => {
                at.only(&[])?;
                let (v, _) = self.value(&at, input(0).unwrap_or(""))?;
                self.push(&at, Op::Relu, vec![v])
            }
            "Conv" => self.conv(&at),
            "Gemm" | "MatMul" => self.linear(&at),
            "BatchNormalization" => {
                at.only(&["epsilon", "momentum", "training_mode", "spatial"])?;
                if at.int("training_mode", 0) != 0 {
                    return Err(at.fail("training_mode = 1; export the model in eval() mode"));
                }
                let (v, shape) = self.value(&at, input(0).unwrap_or(""))?;
                let eps = f64::from(at.float("epsilon", 1e-5));
                let get = |k: usize, what: &str| -> Result<Vec<f64>, ImportError> {
                    let t = self.constant(&at, input(k).unwrap_or(""))?;
                    if t.data.len() != shape.channels {
                        return Err(at.fail(format!(
                            "{what} has {} values; expected {} (one per channel)",
                            t.data.len(),
                            shape.channels
                        )));
                    }
                    Ok(t.data.clone())
                };
                let (gamma, beta, mean, var) = (
                    get(1, "scale")?,
                    get(2, "B")?,
                    get(3, "mean")?,
                    get(4, "var")?,
                );
                if let Some(v) = var.iter().find(|v| **v + eps <= 0.0) {
                    return Err(at.fail(format!("variance {v} + epsilon is not > 0")));
                }
                let scale: Vec<f64> = gamma
                    .iter()
                    .zip(&var)
                    .map(|(g, v)| g / (v + eps).sqrt())
                    .collect();
                let shift = beta
                    .iter()
                    .zip(&mean)
                    .zip(&scale)
                    .map(|((b, m), s)| b - m * s)
                    .collect();
                self.push(&at, Op::ChannelAffine { scale, shift }, vec![v])
            }
            "Add" | "Mul" => {
                at.only(&[])?;
                let (a, b) = (input(0).unwrap_or(""), input(1).unwrap_or(""));
                let (x, c) = match (self.constants.contains_key(a), self.constants.contains_key(b)) {
                    (false, false) if node.op_type == "Add" => {
                        let (va, _) = self.value(&at, a)?;
                        let (vb, _) = self.value(&at, b)?;
                        return self.push(&at, Op::Add, vec![va, vb]);
                    }
                    (false, false) => {
                        return Err(at.fail(
                            "multiplies two computed values; only a product with a per-channel constant is supported",
                        ))
                    }
                    (true, true) => return Err(at.fail("both inputs are constants (fold them before export)")),
                    (false, true) => (a, b),
                    (true, false) => (b, a),
                };
                let (v, shape) = self.value(&at, x)?;
                let t = self.constant(&at, c)?;
                let per_channel = match t.data.len() {
                    1 => vec![t.data[0]; shape.channels],
                    n if n == shape.channels
                        && t.dims.iter().rev().take(2).all(|&d| d == 1 || shape.pixels() == 1) =>
                    {
                        t.data.clone()
                    }
                    _ => {
                        return Err(at.fail(format!(
                            "the constant has shape {:?}; expected one value or one per channel of {shape}",
                            t.dims
                        )))
                    }
                };
                let (scale, shift) = if node.op_type == "Add" {
                    (vec![1.0; shape.channels], per_channel)
                } else {
                    (per_channel, vec![0.0; shape.channels])
                };
                self.push(&at, Op::ChannelAffine { scale, shift }, vec![v])
            }
            "MaxPool" | "AveragePool" => {
                let max = node.op_type == "MaxPool";
                let known: &[&str] = if max {
                    &[
                        "kernel_shape",
                        "strides",
                        "pads",
                        "auto_pad",
                        "ceil_mode",
                        "dilations",
                        "storage_order",
                    ]
                } else {
                    &[
                        "kernel_shape",
                        "strides",
                        "pads",
                        "auto_pad",
                        "ceil_mode",
                        "count_include_pad",
                    ]
                };
                at.only(known)?;
                if at.int("ceil_mode", 0) != 0 {
                    return Err(at.fail(
                        "ceil_mode = 1 is not supported (ceil_mode = 0, PyTorch's default)",
                    ));
                }
                if at
                    .ints("dilations")
                    .is_some_and(|d| d.iter().any(|&x| x != 1))
                {
                    return Err(at.fail("dilations other than 1 are not supported"));
                }
                let pads = at.pads()?;
                if !max && at.int("count_include_pad", 0) != 0 && pads.iter().any(|&p| p > 0) {
                    return Err(at.fail(
                        "count_include_pad = 1 with padding is not supported (padding is not counted in an average)",
                    ));
                }
                let kernel = at.pair("kernel_shape", (0, 0))?;
                let stride = at.pair("strides", (1, 1))?;
                let pool = Pool {
                    kernel,
                    stride,
                    padding: pads,
                };
                let (v, _) = self.value(&at, input(0).unwrap_or(""))?;
                self.push(
                    &at,
                    if max {
                        Op::MaxPool(pool)
                    } else {
                        Op::AvgPool(pool)
                    },
                    vec![v],
                )
            }
            "GlobalAveragePool" => {
                at.only(&[])?;
                let (v, _) = self.value(&at, input(0).unwrap_or(""))?;
                self.push(&at, Op::GlobalAvgPool, vec![v])
            }
            "Flatten" => {
                at.only(&["axis"])?;
                if at.int("axis", 1) != 1 {
                    return Err(at.fail(format!(
                        "axis = {}; only axis = 1 (keep the batch axis) is supported",
                        at.int("axis", 1)
                    )));
                }
                let (v, _) = self.value(&at, input(0).unwrap_or(""))?;
                self.push(&at, Op::Flatten, vec![v])
            }
            "Reshape" => {
                at.only(&["allowzero"])?;
                let (v, shape) = self.value(&at, input(0).unwrap_or(""))?;
                let target = self.constant(&at, input(1).unwrap_or(""))?;
                let flat = match target.data.as_slice() {
                    [_, f] => *f == -1.0 || *f == shape.len() as f64,
                    _ => false,
                };
                if !flat {
                    return Err(at.fail(format!(
                        "reshapes to {:?}; only flattening to [N, {}] or [N, -1] is supported",
                        target.data,
                        shape.len()
                    )));
                }
                self.push(&at, Op::Flatten, vec![v])
            }
            other => Err(at.fail(format!(
                "op {other} is not supported (supported: {SUPPORTED})"
            ))),
        }
    }

    fn conv(&mut self, at: &At<'_>) -> Result<(), ImportError> {
        at.only(&[
            "kernel_shape",
            "strides",
            "pads",
            "auto_pad",
            "dilations",
            "group",
        ])?;
        let node = at.node;
        if at.int("group", 1) != 1 {
            return Err(at.fail(format!(
                "group = {} is not supported (group = 1: no grouped or depthwise convolutions)",
                at.int("group", 1)
            )));
        }
        let (v, shape) = self.value(at, node.input.first().map_or("", |s| s.as_str()))?;
        let w = self.constant(at, node.input.get(1).map_or("", |s| s.as_str()))?;
        let [c_out, c_in, kh, kw] = match *w.dims.as_slice() {
            [a, b, c, d] => [a, b, c, d],
            _ => {
                return Err(at.fail(format!(
                    "weights of shape {:?}; expected C_out×C_in×k_h×k_w (2-D convolution)",
                    w.dims
                )))
            }
        };
        if c_in != shape.channels {
            return Err(at.fail(format!(
                "weights take {c_in} input channels but the input is {shape}"
            )));
        }
        if let Some(k) = at.ints("kernel_shape") {
            if k != [kh as i64, kw as i64] {
                return Err(at.fail(format!(
                    "kernel_shape {k:?} does not match weights {:?}",
                    w.dims
                )));
            }
        }
        let bias = match node.input.get(2).filter(|s| !s.is_empty()) {
            Some(b) => {
                let b = self.constant(at, b)?;
                if b.data.len() != c_out {
                    return Err(at.fail(format!(
                        "{} biases for {c_out} output channels",
                        b.data.len()
                    )));
                }
                b.data.clone()
            }
            None => vec![0.0; c_out],
        };
        let k = c_in * kh * kw;
        // ONNX: W[o][c][i][j] at ((o·C_in + c)·k_h + i)·k_w + j; the
        // crossbar row of (c, i, j) is (c·k_h + i)·k_w + j.
        let mut weights = vec![0.0; k * c_out];
        for o in 0..c_out {
            for r in 0..k {
                weights[r * c_out + o] = w.data[o * k + r];
            }
        }
        let conv = Conv2d {
            weights: Weights {
                inputs: k,
                outputs: c_out,
                weights,
                bias,
            },
            kernel: (kh, kw),
            stride: at.pair("strides", (1, 1))?,
            padding: at.pads()?,
            dilation: at.pair("dilations", (1, 1))?,
        };
        self.push(at, Op::Conv2d(conv), vec![v])
    }

    fn linear(&mut self, at: &At<'_>) -> Result<(), ImportError> {
        let node = at.node;
        let gemm = node.op_type == "Gemm";
        if gemm {
            at.only(&["alpha", "beta", "transA", "transB"])?;
            if at.int("transA", 0) != 0 {
                return Err(at.fail("transA = 1 is not supported"));
            }
        } else {
            at.only(&[])?;
        }
        let (v, shape) = self.value(at, node.input.first().map_or("", |s| s.as_str()))?;
        let b = self.constant(at, node.input.get(1).map_or("", |s| s.as_str()))?;
        let trans_b = gemm && at.int("transB", 0) != 0;
        let (k, n) = match *b.dims.as_slice() {
            [r, c] if trans_b => (c, r),
            [r, c] => (r, c),
            _ => return Err(at.fail(format!("weights of shape {:?}; expected a matrix", b.dims))),
        };
        if k != shape.len() {
            return Err(at.fail(format!(
                "weights take {k} inputs but the input {shape} has {}",
                shape.len()
            )));
        }
        let alpha = if gemm {
            f64::from(at.float("alpha", 1.0))
        } else {
            1.0
        };
        let beta = if gemm {
            f64::from(at.float("beta", 1.0))
        } else {
            1.0
        };
        let weights: Vec<f64> = (0..k * n)
            .map(|idx| {
                let (r, c) = (idx / n, idx % n);
                alpha
                    * if trans_b {
                        b.data[c * k + r]
                    } else {
                        b.data[r * n + c]
                    }
            })
            .collect();
        let bias = match node.input.get(2).filter(|s| !s.is_empty()) {
            Some(c) => {
                let c = self.constant(at, c)?;
                match c.data.len() {
                    1 => vec![beta * c.data[0]; n],
                    len if len == n => c.data.iter().map(|v| beta * v).collect(),
                    len => return Err(at.fail(format!("{len} biases for {n} outputs"))),
                }
            }
            None => vec![0.0; n],
        };
        let w = Weights {
            inputs: k,
            outputs: n,
            weights,
            bias,
        };
        self.push(at, Op::Linear(w), vec![v])
    }
}
