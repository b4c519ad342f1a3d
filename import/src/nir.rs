//! NIR files (the Neuromorphic Intermediate Representation that snnTorch,
//! Norse, Sinabs and Lava export, HDF5) as spiking [`Graph`]s.
//!
//! NIR describes neurons in continuous time; xbarsim runs them in steps of
//! `Δt` ([`Options::dt`]; NIR files do not store it) for
//! [`Options::time`]`.steps` steps, forward Euler as the NIR reference
//! does (see [`neurons`](xbar_training::graph::neurons)): for
//! `τ·dv/dt = (v_leak − v) + R·I`, `β = 1 − Δt/τ`, `g = R·Δt/τ`,
//! `b = v_leak·Δt/τ`. The default `Δt = 10⁻⁴ s` is the one snnTorch's
//! `export_to_nir` writes its `τ = Δt/(1 − β)`, `R = τ/Δt` with (and reads
//! back in `import_from_nir`), so an exported `Leaky(beta)` comes back as
//! `β`, gain 1.
//!
//! | NIR node | becomes |
//! |---|---|
//! | `Input` | the image: `shape` `[C, H, W]`, `[H, W]` or `[F]` (a leading batch axis of 1 is dropped) |
//! | `Output` | the class scores: the sum over the steps of its input |
//! | `Affine` (`weight` `out × in`, `bias`), `Linear` (no bias) | [`Op::Linear`] on the flattened input |
//! | `Conv2d` (groups 1; stride, dilation, padding as numbers or `"valid"`/`"same"`) | [`Op::Conv2d`] |
//! | `LIF` (`v_reset` 0) | [`Op::Lif`]: `β`, `g`, `b` as above, threshold `v_threshold`, [`Reset::Zero`] |
//! | `IF` (`v_reset` 0) | [`Op::Lif`] with `β = 1`, `g = R` per step, `b = 0` |
//! | `LI` | [`Op::Leaky`] |
//! | `CubaLIF` (`v_reset` 0) | [`Op::Leaky`] (the synaptic current: `α = 1 − Δt/τ_syn`, gain `w_in·Δt/τ_syn`) then [`Op::Lif`] (`τ_mem`) |
//! | `Flatten` (to a vector) | [`Op::Flatten`] |
//! | `SumPool2d` (no padding) | [`Op::AvgPool`] then [`Op::ChannelAffine`] scaling by `k_h·k_w` |
//! | `AvgPool2d` (no padding) | [`Op::AvgPool`] |
//!
//! NIR's reset sets the membrane to `v_reset` when it spikes (`v > θ`);
//! with `v_reset = 0` that is [`Reset::Zero`] exactly (the membrane that
//! spiked at `t − 1` restarts from 0 before the leak of step `t`). A file
//! whose `v_reset` is not 0 is refused. snnTorch's `Leaky` resets by
//! subtraction by default, which NIR cannot say: its export writes
//! `v_reset = 0`, and snnTorch's own importer reads that back as reset to
//! zero, as this one does.
//!
//! Edges are sorted topologically; several edges into one node are summed
//! ([`Op::Add`]); a cycle (a recurrent connection, as snnTorch writes for
//! `RLeaky`) is refused, naming a node on it. Neuron parameters hold one
//! value, one per neuron, or one per channel (shape `[C, 1, 1]`). Anything
//! else — a node type, a parameter value, nested graphs — is refused with
//! one [`ImportError`] naming the node, its NIR type and what is
//! supported.

use std::collections::HashMap;
use std::path::Path;

use hdf5_reader::group::Group;
use hdf5_reader::{Dataset, Datatype, Hdf5File};
use xbar_training::graph::{Conv2d, Graph, Leak, Lif, Node, Op, Pool, Reset, Shape, Time, Weights};
use xbar_training::Encoding;

use crate::ImportError;

/// The NIR node types this importer reads.
pub const SUPPORTED: &str =
    "Input, Output, Affine, Linear, Conv2d, LIF, IF, LI, CubaLIF, Flatten, SumPool2d, AvgPool2d";

/// snnTorch's `export_to_nir` time step (s).
pub const SNNTORCH_DT: f64 = 1e-4;

/// The steps a NIR network runs for when the user names none (snnTorch's
/// tutorials' `num_steps`).
pub const DEFAULT_STEPS: usize = 25;

/// How the continuous-time file is run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    /// The time step `Δt` (s, > 0) the neurons' `τ` are discretised with.
    pub dt: f64,
    /// Steps and input encoding.
    pub time: Time,
}

impl Options {
    /// `steps` steps of snnTorch's `Δt` ([`SNNTORCH_DT`]), the image as a
    /// constant current (direct encoding).
    pub fn steps(steps: usize) -> Options {
        Options {
            dt: SNNTORCH_DT,
            time: Time {
                steps,
                encoding: Encoding::Direct,
            },
        }
    }
}

/// Reads a NIR file.
///
/// # Errors
/// An unreadable or damaged file, or a graph this importer cannot map (see
/// the [module docs](self)), naming the file and the node.
pub fn read(path: &Path, options: &Options) -> Result<Graph, ImportError> {
    let bytes =
        std::fs::read(path).map_err(|e| ImportError::file(path, format!("cannot read: {e}")))?;
    from_bytes(&bytes, options).map_err(|e| e.in_file(path))
}

/// Reads a NIR file held in memory (errors name the file `model`).
///
/// # Errors
/// As [`read`].
pub fn from_bytes(bytes: &[u8], options: &Options) -> Result<Graph, ImportError> {
    if !(options.dt > 0.0 && options.dt.is_finite()) {
        return Err(ImportError::model(format!(
            "expected a time step Δt > 0 s, found {}",
            options.dt
        )));
    }
    if options.time.steps == 0 {
        return Err(ImportError::model(
            "expected at least 1 time step, found 0".to_string(),
        ));
    }
    let file = Hdf5File::from_bytes(bytes).map_err(|e| {
        ImportError::model(format!(
            "not a NIR file (the HDF5 does not decode: {e}); is the file complete?"
        ))
    })?;
    let damaged = |e: hdf5_reader::error::Error| {
        ImportError::model(format!(
            "not a NIR graph ({e}); NIR files hold a group 'node' with 'nodes' and 'edges'; is the file complete?"
        ))
    };
    let top = file.group("/node").map_err(damaged)?;
    let kind = text(&top, "type").map_err(damaged)?;
    if kind != "NIRGraph" {
        return Err(ImportError::model(format!(
            "its top node is a {kind}, not a NIRGraph"
        )));
    }
    let nodes_group = top.group("nodes").map_err(damaged)?;
    let (names, _) = nodes_group.member_names().map_err(damaged)?;
    let mut nodes = Vec::with_capacity(names.len());
    for name in &names {
        nodes.push(NirNode::read(&nodes_group, name)?);
    }
    let edges = read_edges(&top).map_err(damaged)?;
    build(&nodes, &edges, options)
}

/// One NIR node as stored: its name, type and datasets.
struct NirNode {
    name: String,
    kind: String,
    group: Group,
}

impl NirNode {
    fn read(nodes: &Group, name: &str) -> Result<NirNode, ImportError> {
        let fail = |e: hdf5_reader::error::Error| ImportError::Node {
            file: None,
            node: name.to_string(),
            op: "?".into(),
            message: format!("cannot be read ({e}); is the file complete?"),
        };
        let group = nodes.group(name).map_err(fail)?;
        let kind = text(&group, "type").map_err(fail)?;
        Ok(NirNode {
            name: name.to_string(),
            kind,
            group,
        })
    }

    fn error(&self, message: String) -> ImportError {
        ImportError::Node {
            file: None,
            node: self.name.clone(),
            op: self.kind.clone(),
            message,
        }
    }

    fn has(&self, key: &str) -> bool {
        self.group.dataset(key).is_ok()
    }

    /// Dataset `key` in `f64`, with its dimensions.
    fn tensor(&self, key: &str) -> Result<Tensor, ImportError> {
        let d = self
            .group
            .dataset(key)
            .map_err(|e| self.error(format!("parameter '{key}' cannot be read ({e})")))?;
        let t = numbers(&d).map_err(|m| self.error(format!("parameter '{key}': {m}")))?;
        if t.data.iter().any(|v| !v.is_finite()) {
            return Err(self.error(format!("parameter '{key}' holds a NaN or an infinity")));
        }
        Ok(t)
    }

    /// Dataset `key` as `n` non-negative integers (one value is repeated).
    fn ints(&self, key: &str, n: usize) -> Result<Vec<usize>, ImportError> {
        let t = self.tensor(key)?;
        let ok = |v: f64| v >= 0.0 && v.fract() == 0.0 && v < 1e9;
        let v = match t.data.len() {
            1 => vec![t.data[0]; n],
            m if m == n => t.data.clone(),
            m => return Err(self.error(format!("expected 1 or {n} values of '{key}', found {m}"))),
        };
        if let Some(bad) = v.iter().find(|&&v| !ok(v)) {
            return Err(self.error(format!(
                "expected whole numbers ≥ 0 in '{key}', found {bad}"
            )));
        }
        Ok(v.into_iter().map(|v| v as usize).collect())
    }

    fn pair(&self, key: &str, at_least: usize) -> Result<(usize, usize), ImportError> {
        let v = self.ints(key, 2)?;
        if v.iter().any(|&x| x < at_least) {
            return Err(self.error(format!("expected '{key}' ≥ {at_least}, found {v:?}")));
        }
        Ok((v[0], v[1]))
    }
}

/// A parameter in `f64`.
#[derive(Debug, Clone)]
struct Tensor {
    dims: Vec<usize>,
    data: Vec<f64>,
}

/// A numeric dataset as `f64`.
fn numbers(d: &Dataset) -> Result<Tensor, String> {
    let dims: Vec<usize> = d.shape().iter().map(|&n| n as usize).collect();
    let e = |e: hdf5_reader::error::Error| format!("{e}; is the file complete?");
    let data: Vec<f64> = match d.dtype() {
        Datatype::FloatingPoint { size: 8, .. } => {
            d.read_array::<f64>().map_err(e)?.iter().copied().collect()
        }
        Datatype::FloatingPoint { size: 4, .. } => d
            .read_array::<f32>()
            .map_err(e)?
            .iter()
            .map(|&v| f64::from(v))
            .collect(),
        Datatype::FixedPoint { size, signed, .. } => match (size, signed) {
            (8, true) => d
                .read_array::<i64>()
                .map_err(e)?
                .iter()
                .map(|&v| v as f64)
                .collect(),
            (8, false) => d
                .read_array::<u64>()
                .map_err(e)?
                .iter()
                .map(|&v| v as f64)
                .collect(),
            (4, true) => d
                .read_array::<i32>()
                .map_err(e)?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            (4, false) => d
                .read_array::<u32>()
                .map_err(e)?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            (2, true) => d
                .read_array::<i16>()
                .map_err(e)?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            (2, false) => d
                .read_array::<u16>()
                .map_err(e)?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            (1, true) => d
                .read_array::<i8>()
                .map_err(e)?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
            _ => d
                .read_array::<u8>()
                .map_err(e)?
                .iter()
                .map(|&v| f64::from(v))
                .collect(),
        },
        other => return Err(format!("expected numbers, found HDF5 type {other:?}")),
    };
    let n: usize = dims.iter().product();
    if data.len() != n {
        return Err(format!(
            "{} values for dimensions {dims:?} ({n} expected); the file is damaged",
            data.len()
        ));
    }
    Ok(Tensor { dims, data })
}

/// A string dataset of a group.
fn text(group: &Group, key: &str) -> Result<String, hdf5_reader::error::Error> {
    group.dataset(key)?.read_string()
}

/// The graph's edges, `(from, to)`.
fn read_edges(top: &Group) -> Result<Vec<(String, String)>, hdf5_reader::error::Error> {
    let d = top.dataset("edges")?;
    if d.shape().iter().product::<u64>() == 0 {
        return Ok(Vec::new());
    }
    let names = d.read_strings()?;
    if names.len() % 2 != 0 {
        return Err(hdf5_reader::error::Error::InvalidData(format!(
            "'edges' holds {} names, not pairs",
            names.len()
        )));
    }
    Ok(names
        .chunks(2)
        .map(|p| (p[0].clone(), p[1].clone()))
        .collect())
}

/// The image shape a NIR `shape` names.
fn image_shape(dims: &[usize]) -> Option<Shape> {
    let dims = match dims {
        [1, rest @ ..] if rest.len() == 3 => rest,
        d => d,
    };
    let s = match *dims {
        [c, h, w] => Shape::new(c, h, w),
        [h, w] => Shape::new(1, h, w),
        [f] => Shape::new(f, 1, 1),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// Maps the read nodes and edges onto a graph.
fn build(
    nodes: &[NirNode],
    edges: &[(String, String)],
    options: &Options,
) -> Result<Graph, ImportError> {
    let index: HashMap<&str, usize> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut sources: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut targets: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (from, to) in edges {
        let find = |name: &str| {
            index.get(name).copied().ok_or_else(|| {
                ImportError::model(format!(
                    "edge '{from}' → '{to}' names a node '{name}' the file does not hold"
                ))
            })
        };
        let (a, b) = (find(from)?, find(to)?);
        sources[b].push(a);
        targets[a].push(b);
    }
    let of_kind =
        |k: &str| -> Vec<usize> { (0..nodes.len()).filter(|&i| nodes[i].kind == k).collect() };
    let (inputs, outputs) = (of_kind("Input"), of_kind("Output"));
    let input = match inputs[..] {
        [i] => i,
        _ => {
            return Err(ImportError::model(format!(
                "expected one Input node, found {}",
                inputs.len()
            )))
        }
    };
    let output = match outputs[..] {
        [o] => o,
        _ => {
            return Err(ImportError::model(format!(
                "expected one Output node (the class scores), found {}",
                outputs.len()
            )))
        }
    };
    let order = topological(nodes, &sources, output)?;
    let in_node = &nodes[input];
    let dims = in_node.tensor("shape")?;
    let dims: Vec<usize> = dims.data.iter().map(|&v| v.max(0.0) as usize).collect();
    let input_shape = image_shape(&dims).ok_or_else(|| {
        in_node.error(format!(
            "has shape {dims:?}; expected [C, H, W], [H, W] or [F] with no dimension 0"
        ))
    })?;
    let mut b = Builder {
        nodes: Vec::new(),
        shapes: vec![input_shape],
        value: vec![None; nodes.len()],
        dt: options.dt,
    };
    b.value[input] = Some(0);
    for &k in &order {
        let node = &nodes[k];
        if k == input {
            continue;
        }
        if sources[k].is_empty() {
            return Err(node.error("has no input edge".into()));
        }
        let mut ins = Vec::new();
        for &s in &sources[k] {
            match b.value[s] {
                Some(v) => ins.push(v),
                None => {
                    return Err(node.error(format!(
                        "reads '{}', which is not computed from the Input",
                        nodes[s].name
                    )))
                }
            }
        }
        // Several edges in: their sum.
        let mut v = ins[0];
        for &w in &ins[1..] {
            v = b.push(node, Op::Add, vec![v, w])?;
        }
        let out = if k == output { v } else { b.node(node, v)? };
        b.value[k] = Some(out);
    }
    let last = b.value[output].expect("the output is computed");
    if last == 0 || last != b.nodes.len() {
        return Err(nodes[output].error(
            "reads the Input directly; xbarsim needs at least one layer before the output".into(),
        ));
    }
    let out_node = &nodes[output];
    if out_node.has("shape") {
        let dims = out_node.tensor("shape")?;
        let want: usize = dims.data.iter().map(|&v| v.max(0.0) as usize).product();
        let got = b.shapes[last].len();
        if want != got && !dims.data.is_empty() {
            return Err(out_node.error(format!(
                "has shape {:?} ({want} values), but its input computes {got}",
                dims.data
            )));
        }
    }
    let shape = b.shapes[0];
    let graph = Graph::new(shape, b.nodes).map_err(|e| ImportError::Node {
        file: None,
        node: e.node,
        op: e.op.to_string(),
        message: e.message,
    })?;
    graph
        .with_time(options.time)
        .map_err(|e| ImportError::Node {
            file: None,
            node: e.node,
            op: e.op.to_string(),
            message: e.message,
        })
}

/// The nodes the output depends on, each after its sources; a cycle is
/// refused at a node on it.
fn topological(
    nodes: &[NirNode],
    sources: &[Vec<usize>],
    output: usize,
) -> Result<Vec<usize>, ImportError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    let mut mark = vec![Mark::New; nodes.len()];
    let mut order = Vec::new();
    // Iterative depth-first search: (node, next source to visit).
    let mut stack = vec![(output, 0usize)];
    mark[output] = Mark::Open;
    while let Some(&mut (k, ref mut next)) = stack.last_mut() {
        if let Some(&s) = sources[k].get(*next) {
            *next += 1;
            match mark[s] {
                Mark::New => {
                    mark[s] = Mark::Open;
                    stack.push((s, 0));
                }
                Mark::Open => {
                    return Err(nodes[s].error(format!(
                        "the edge '{}' → '{}' closes a cycle (a recurrent connection); xbarsim imports feed-forward graphs only",
                        nodes[s].name, nodes[k].name
                    )))
                }
                Mark::Done => {}
            }
        } else {
            mark[k] = Mark::Done;
            order.push(k);
            stack.pop();
        }
    }
    // A cycle the output does not depend on is refused all the same.
    for (k, node) in nodes.iter().enumerate() {
        if mark[k] == Mark::New && sources[k].contains(&k) {
            return Err(node.error(format!(
                "the edge '{0}' → '{0}' closes a cycle (a recurrent connection); xbarsim imports feed-forward graphs only",
                node.name
            )));
        }
    }
    Ok(order)
}

struct Builder {
    nodes: Vec<Node>,
    /// Shape of every value (input first).
    shapes: Vec<Shape>,
    /// The value each NIR node computes.
    value: Vec<Option<usize>>,
    dt: f64,
}

impl Builder {
    /// Appends a node (checked at once, so a shape error names it); returns
    /// its value.
    fn push(&mut self, nir: &NirNode, op: Op, inputs: Vec<usize>) -> Result<usize, ImportError> {
        self.nodes.push(Node {
            name: nir.name.clone(),
            op,
            inputs,
        });
        match Graph::new(self.shapes[0], self.nodes.clone()) {
            Ok(g) => {
                let v = self.nodes.len();
                self.shapes.push(g.value_shape(v));
                Ok(v)
            }
            Err(e) => Err(nir.error(e.message)),
        }
    }

    /// The node's ops reading value `v`; returns its output value.
    fn node(&mut self, n: &NirNode, v: usize) -> Result<usize, ImportError> {
        let shape = self.shapes[v];
        match n.kind.as_str() {
            "Affine" | "Linear" => {
                let w = n.tensor("weight")?;
                let [outputs, inputs] = w.dims[..] else {
                    return Err(n.error(format!(
                        "expected a weight of 2 dimensions (out × in), found {:?}",
                        w.dims
                    )));
                };
                if inputs != shape.len() {
                    return Err(n.error(format!(
                        "weight {outputs}×{inputs} does not fit its input of {shape} ({} values)",
                        shape.len()
                    )));
                }
                let bias = if n.kind == "Affine" {
                    let b = n.tensor("bias")?;
                    if b.data.len() != outputs {
                        return Err(n.error(format!(
                            "expected {outputs} biases, found {}",
                            b.data.len()
                        )));
                    }
                    b.data
                } else {
                    vec![0.0; outputs]
                };
                let mut weights = vec![0.0; inputs * outputs];
                for o in 0..outputs {
                    for i in 0..inputs {
                        weights[i * outputs + o] = w.data[o * inputs + i];
                    }
                }
                let w = Weights {
                    inputs,
                    outputs,
                    weights,
                    bias,
                };
                self.push(n, Op::Linear(w), vec![v])
            }
            "Conv2d" => self.conv(n, v, shape),
            "LIF" => {
                let p = Params::new(n, shape);
                let tau = p.get("tau")?;
                let r = p.get("r")?;
                let v_leak = p.get("v_leak")?;
                let threshold = p.get("v_threshold")?;
                p.zero_reset()?;
                let leak = self.leak(n, shape, &tau, &r, &v_leak)?;
                let lif = Lif {
                    leak,
                    threshold,
                    reset: Reset::Zero,
                };
                self.push(n, Op::Lif(lif), vec![v])
            }
            "IF" => {
                let p = Params::new(n, shape);
                let r = p.get("r")?;
                let threshold = p.get("v_threshold")?;
                p.zero_reset()?;
                let lif = Lif {
                    leak: Leak {
                        decay: vec![1.0],
                        gain: r,
                        bias: vec![0.0],
                    },
                    threshold,
                    reset: Reset::Zero,
                };
                self.push(n, Op::Lif(lif), vec![v])
            }
            "LI" => {
                let p = Params::new(n, shape);
                let leak = self.leak(n, shape, &p.get("tau")?, &p.get("r")?, &p.get("v_leak")?)?;
                self.push(n, Op::Leaky(leak), vec![v])
            }
            "CubaLIF" => {
                let p = Params::new(n, shape);
                let tau_syn = p.get("tau_syn")?;
                let w_in = p.get("w_in")?;
                let zeros = vec![0.0; 1];
                let synapse = self.leak(n, shape, &tau_syn, &w_in, &zeros)?;
                let leak =
                    self.leak(n, shape, &p.get("tau_mem")?, &p.get("r")?, &p.get("v_leak")?)?;
                let threshold = p.get("v_threshold")?;
                p.zero_reset()?;
                let current = self.push(n, Op::Leaky(synapse), vec![v])?;
                let lif = Lif {
                    leak,
                    threshold,
                    reset: Reset::Zero,
                };
                self.push(n, Op::Lif(lif), vec![current])
            }
            "Flatten" => {
                let rank = 3;
                let start = n.tensor("start_dim")?.data.first().copied().unwrap_or(0.0) as i64;
                let end = n.tensor("end_dim")?.data.first().copied().unwrap_or(-1.0) as i64;
                // Dimensions of size 1 aside, the result must be a vector.
                let dims = [shape.channels, shape.height, shape.width];
                let norm = |d: i64| if d < 0 { d + rank } else { d };
                let (s, e) = (norm(start), norm(end));
                let kept_outside = dims
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| (*i as i64) < s || (*i as i64) > e)
                    .any(|(_, &d)| d > 1);
                if s > e || kept_outside {
                    return Err(n.error(format!(
                        "flattens dimensions {start}..={end} of {shape}, which leaves more than a vector; supported: flattening to a vector (start_dim 0, end_dim −1)"
                    )));
                }
                self.push(n, Op::Flatten, vec![v])
            }
            "SumPool2d" | "AvgPool2d" => {
                let kernel = n.pair("kernel_size", 1)?;
                let stride = n.pair("stride", 1)?;
                let padding = n.ints("padding", 2)?;
                if padding.iter().any(|&p| p != 0) {
                    return Err(n.error(format!(
                        "padding {padding:?} is not supported (only 0: a padded pool's border windows count differently across frameworks)"
                    )));
                }
                let pool = Pool {
                    kernel,
                    stride,
                    padding: [0; 4],
                };
                let avg = self.push(n, Op::AvgPool(pool), vec![v])?;
                if n.kind == "AvgPool2d" {
                    return Ok(avg);
                }
                let k = (kernel.0 * kernel.1) as f64;
                let c = shape.channels;
                self.push(
                    n,
                    Op::ChannelAffine {
                        scale: vec![k; c],
                        shift: vec![0.0; c],
                    },
                    vec![avg],
                )
            }
            "NIRGraph" => Err(n.error(
                "is a nested graph (snnTorch writes one for RLeaky and RSynaptic); xbarsim imports one flat feed-forward graph".into(),
            )),
            "Input" => Err(n.error("is a second input; expected one Input node".into())),
            other => Err(n.error(format!(
                "NIR node type '{other}' is not supported; supported: {SUPPORTED}"
            ))),
        }
    }

    /// `τ·dv/dt = (v_leak − v) + R·I` in steps of `Δt`.
    fn leak(
        &self,
        n: &NirNode,
        shape: Shape,
        tau: &[f64],
        r: &[f64],
        v_leak: &[f64],
    ) -> Result<Leak, ImportError> {
        if let Some(t) = tau.iter().find(|&&t| t < self.dt) {
            return Err(n.error(format!(
                "a time constant τ = {t} s is shorter than the time step Δt = {} s, which Euler steps cannot follow; give a smaller Δt",
                self.dt
            )));
        }
        let dt = self.dt;
        Ok(Leak {
            decay: tau.iter().map(|t| 1.0 - dt / t).collect(),
            gain: spread(shape, tau, r, |t, r| r * dt / t),
            bias: spread(shape, tau, v_leak, |t, v| v * dt / t),
        })
    }

    fn conv(&mut self, n: &NirNode, v: usize, shape: Shape) -> Result<usize, ImportError> {
        let w = n.tensor("weight")?;
        let [c_out, c_in, kh, kw] = w.dims[..] else {
            return Err(n.error(format!(
                "expected a weight of 4 dimensions (C_out × C_in × k_h × k_w), found {:?}",
                w.dims
            )));
        };
        if n.has("groups") {
            let g = n.ints("groups", 1)?[0];
            if g != 1 {
                return Err(n.error(format!("groups = {g} is not supported (groups = 1 only)")));
            }
        }
        if c_in != shape.channels {
            return Err(n.error(format!(
                "weight {c_out}×{c_in}×{kh}×{kw} expects {c_in} input channel(s), but its input is {shape}"
            )));
        }
        let stride = n.pair("stride", 1)?;
        let dilation = n.pair("dilation", 1)?;
        let padding = match n.group.dataset("padding").ok().map(|d| d.read_string()) {
            Some(Ok(s)) if s == "valid" => [0; 4],
            Some(Ok(s)) if s == "same" => {
                if stride != (1, 1) {
                    return Err(n.error(
                        "padding 'same' with a stride other than 1 is not supported".into(),
                    ));
                }
                let (th, tw) = (dilation.0 * (kh - 1), dilation.1 * (kw - 1));
                [th / 2, tw / 2, th - th / 2, tw - tw / 2]
            }
            Some(Ok(s)) => {
                return Err(n.error(format!(
                    "padding '{s}' is not supported (numbers, 'valid' or 'same')"
                )))
            }
            _ => {
                let p = n.pair("padding", 0)?;
                [p.0, p.1, p.0, p.1]
            }
        };
        let bias = if n.has("bias") {
            let b = n.tensor("bias")?;
            match b.data.len() {
                1 => vec![b.data[0]; c_out],
                m if m == c_out => b.data,
                m => return Err(n.error(format!("expected {c_out} biases, found {m}"))),
            }
        } else {
            vec![0.0; c_out]
        };
        let rows = c_in * kh * kw;
        let mut weights = vec![0.0; rows * c_out];
        for o in 0..c_out {
            for k in 0..rows {
                weights[k * c_out + o] = w.data[o * rows + k];
            }
        }
        let conv = Conv2d {
            weights: Weights {
                inputs: rows,
                outputs: c_out,
                weights,
                bias,
            },
            kernel: (kh, kw),
            stride,
            padding,
            dilation,
        };
        self.push(n, Op::Conv2d(conv), vec![v])
    }
}

/// `f(a, b)` element-wise over a population shaped `shape`, each side
/// holding one value, one per channel or one per neuron.
fn spread(shape: Shape, a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Vec<f64> {
    let n = if a.len() == b.len() {
        a.len()
    } else {
        a.len().max(b.len()).max(if a.len() > 1 && b.len() > 1 {
            shape.len()
        } else {
            1
        })
    };
    let at = |v: &[f64], i: usize| match v.len() {
        1 => v[0],
        m if m == n => v[i],
        // Per channel into per neuron.
        _ => v[i / shape.pixels()],
    };
    (0..n).map(|i| f(at(a, i), at(b, i))).collect()
}

/// The neuron parameters of a node over a population shaped `shape`.
struct Params<'a> {
    node: &'a NirNode,
    shape: Shape,
}

impl<'a> Params<'a> {
    fn new(node: &'a NirNode, shape: Shape) -> Self {
        Params { node, shape }
    }

    /// One value, one per neuron, or one per channel (`[C, 1, 1]`).
    fn get(&self, key: &str) -> Result<Vec<f64>, ImportError> {
        let t = self.node.tensor(key)?;
        let s = self.shape;
        let n = t.data.len();
        let per_channel =
            t.dims.len() == 3 && t.dims[0] == s.channels && t.dims[1] == 1 && t.dims[2] == 1;
        if n == 1 || n == s.len() || (per_channel && n == s.channels) {
            return Ok(t.data);
        }
        Err(self.node.error(format!(
            "parameter '{key}' has shape {:?}; expected one value, one per neuron ({} for {s}) or one per channel ([{}, 1, 1])",
            t.dims,
            s.len(),
            s.channels
        )))
    }

    /// Refuses a `v_reset` other than 0 (absent means 0).
    fn zero_reset(&self) -> Result<(), ImportError> {
        if !self.node.has("v_reset") {
            return Ok(());
        }
        let v = self.get("v_reset")?;
        if let Some(r) = v.iter().find(|&&r| r != 0.0) {
            return Err(self.node.error(format!(
                "v_reset = {r} is not supported: xbarsim's neurons reset to 0 (v_reset = 0) or by subtraction"
            )));
        }
        Ok(())
    }
}
