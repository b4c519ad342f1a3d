//! Networks of any topology: a graph of convolutional, dense, pooling,
//! normalisation and residual layers, as PyTorch exports them (see
//! `xbar-import` for ONNX files).
//!
//! Every value is one image's activations, `C × H × W` in channel-major
//! order (ONNX's NCHW without the batch axis; a vector is `N × 1 × 1`).
//! Node `k` reads earlier values and writes value `k + 1`; value 0 is the
//! input image; the last node's value is the class scores (logits).
//!
//! | op | computes |
//! |---|---|
//! | [`Op::Conv2d`] | `y[o, p] = b[o] + Σ_k W[k, o]·X[k, p]`, `X` the im2col unrolling of the input (`k = (c, i, j)`, `p = (y, x)`): stride, padding, dilation; groups = 1 |
//! | [`Op::Linear`] | `y = b + x·W` on the flattened input |
//! | [`Op::ChannelAffine`] | `y[c] = s[c]·x[c] + t[c]`: inference batch-norm `s = γ/√(σ²+ε)`, `t = β − μ·s`, or a bias added per channel |
//! | [`Op::Relu`] | `max(0, x)` |
//! | [`Op::MaxPool`], [`Op::AvgPool`] | over `k_h × k_w` windows with stride and padding (padding never wins a max and is not counted in an average, ONNX's `count_include_pad = 0`) |
//! | [`Op::GlobalAvgPool`] | the mean of each channel |
//! | [`Op::Flatten`] | `C × H × W → CHW × 1 × 1` (the order is unchanged) |
//! | [`Op::Add`] | the sum of two values of one shape (residual connections) |
//! | [`Op::Lif`] | leaky integrate-and-fire neurons, one per value: spikes (see [`neurons`]) |
//! | [`Op::Leaky`] | leaky integrators, one per value (a synaptic current, a non-spiking read-out) |
//!
//! **Time.** A graph runs for [`Time::steps`] steps (1 for a network
//! without neurons): at each step the input is encoded ([`Encoding`]:
//! the image as a constant current, or Bernoulli spikes with the pixel
//! intensities as probabilities), every node runs once in order, and the
//! neurons keep their state to the next step. The class scores are the
//! sum over the steps of the last value (the spike counts of a LIF output
//! layer; for one step, the value itself).
//!
//! The weighted layers (`Conv2d`, `Linear`) store their weights as a
//! crossbar holds them, [`Weights`]: `inputs × outputs`, row `k` the
//! synapses of input `k` — for a convolution `k = (c, i, j)` runs over
//! `C_in·k_h·k_w` word lines and each output channel is one column (a
//! column pair on the arrays). The rest stays digital; see
//! [`arrays`] for how the weighted layers go onto tiles.
//!
//! The forward pass runs in `f64`, image by image in parallel (rayon), a
//! convolution as one GEMM (faer) of the unrolled input: `2·C_in·k_h·k_w·
//! C_out·H_out·W_out` flops. The result does not depend on the thread
//! count.

pub mod arrays;
mod dense;
pub mod file;
mod kernels;
mod learn;
pub mod neurons;
pub mod spec;

use std::fmt;

use rand::Rng;
use rayon::prelude::*;

pub use arrays::ProgrammedGraph;
pub use learn::{train_graph, SpikeGradient};
pub use neurons::{Leak, Lif, Reset};

use crate::bptt::EncodingKey;
use crate::network::Encoding;
use crate::rng::{stream, Stream};

/// The shape of one image's activations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Channels `C`.
    pub channels: usize,
    /// Rows `H`.
    pub height: usize,
    /// Columns `W`.
    pub width: usize,
}

impl Shape {
    /// `C × H × W`.
    pub fn new(channels: usize, height: usize, width: usize) -> Self {
        Shape {
            channels,
            height,
            width,
        }
    }

    /// Number of values, `C·H·W`.
    pub fn len(&self) -> usize {
        self.channels * self.height * self.width
    }

    /// Whether a dimension is 0.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Pixels per channel, `H·W`.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}×{}×{}", self.channels, self.height, self.width)
    }
}

/// The weights of a weighted layer as a crossbar holds them.
#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// Fan-in (word lines).
    pub inputs: usize,
    /// Fan-out (weight columns).
    pub outputs: usize,
    /// `inputs × outputs`, row-major: row `k` = the synapses of input `k`.
    pub weights: Vec<f64>,
    /// One bias per output (digital).
    pub bias: Vec<f64>,
}

impl Weights {
    /// Largest `|w|` (0 for an all-zero layer).
    pub fn max_abs_weight(&self) -> f64 {
        self.weights.iter().fold(0.0f64, |m, w| m.max(w.abs()))
    }
}

/// A 2-D convolution with groups = 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Conv2d {
    /// `C_in·k_h·k_w × C_out`; row `k = (c·k_h + i)·k_w + j`.
    pub weights: Weights,
    /// Kernel `(k_h, k_w)`.
    pub kernel: (usize, usize),
    /// Stride `(s_h, s_w)`, ≥ 1.
    pub stride: (usize, usize),
    /// Zero padding `[top, left, bottom, right]`.
    pub padding: [usize; 4],
    /// Dilation `(d_h, d_w)`, ≥ 1.
    pub dilation: (usize, usize),
}

/// A pooling window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    /// Window `(k_h, k_w)`.
    pub kernel: (usize, usize),
    /// Stride `(s_h, s_w)`, ≥ 1.
    pub stride: (usize, usize),
    /// Padding `[top, left, bottom, right]`, each smaller than the window.
    pub padding: [usize; 4],
}

/// What a node computes (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Convolution (weighted: onto arrays).
    Conv2d(Conv2d),
    /// Fully connected layer on the flattened input (weighted: onto arrays).
    Linear(Weights),
    /// Per-channel `s·x + t` (batch-norm, bias); digital, folded into the
    /// layer before it when mapped ([`Graph::fold_affine`]).
    ChannelAffine {
        /// `s`, one per channel.
        scale: Vec<f64>,
        /// `t`, one per channel.
        shift: Vec<f64>,
    },
    /// `max(0, x)`.
    Relu,
    /// Maximum over windows.
    MaxPool(Pool),
    /// Mean over windows, padding not counted.
    AvgPool(Pool),
    /// Mean of each channel.
    GlobalAvgPool,
    /// To a vector.
    Flatten,
    /// Sum of two values.
    Add,
    /// Leaky integrate-and-fire neurons: spikes.
    Lif(Lif),
    /// Leaky integrators.
    Leaky(Leak),
}

/// How long a graph runs and how the image drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Time {
    /// Time steps `T` (≥ 1).
    pub steps: usize,
    /// The input at each step.
    pub encoding: Encoding,
}

impl Default for Time {
    /// One step, the image as it is: a network without neurons.
    fn default() -> Self {
        Time {
            steps: 1,
            encoding: Encoding::Direct,
        }
    }
}

impl Op {
    /// The op's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Conv2d(_) => "Conv2d",
            Op::Linear(_) => "Linear",
            Op::ChannelAffine { .. } => "ChannelAffine",
            Op::Relu => "Relu",
            Op::MaxPool(_) => "MaxPool",
            Op::AvgPool(_) => "AvgPool",
            Op::GlobalAvgPool => "GlobalAvgPool",
            Op::Flatten => "Flatten",
            Op::Add => "Add",
            Op::Lif(_) => "LIF",
            Op::Leaky(_) => "LeakyIntegrator",
        }
    }

    /// The weights of a weighted layer.
    pub fn weights(&self) -> Option<&Weights> {
        match self {
            Op::Conv2d(c) => Some(&c.weights),
            Op::Linear(w) => Some(w),
            _ => None,
        }
    }

    pub(crate) fn weights_mut(&mut self) -> Option<&mut Weights> {
        match self {
            Op::Conv2d(c) => Some(&mut c.weights),
            Op::Linear(w) => Some(w),
            _ => None,
        }
    }

    fn arity(&self) -> usize {
        if matches!(self, Op::Add) {
            2
        } else {
            1
        }
    }
}

/// One layer of a graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its name (from the model file), used in messages.
    pub name: String,
    /// What it computes.
    pub op: Op,
    /// The values it reads: 0 is the input image, `k + 1` node `k`'s output.
    pub inputs: Vec<usize>,
}

/// A graph that cannot run: the node, its op and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("node '{node}' ({op}): {message}")]
pub struct GraphError {
    /// The node's name.
    pub node: String,
    /// Its op.
    pub op: &'static str,
    /// What was expected and found.
    pub message: String,
}

/// A network of any topology; see the [module docs](self).
///
/// ```
/// use xbar_training::graph::{Graph, Node, Op, Shape, Weights};
///
/// // 1×2×2 image → flatten → 4×2 linear layer → ReLU.
/// let linear = Weights {
///     inputs: 4,
///     outputs: 2,
///     weights: vec![1.0, 0.0, 0.0, 1.0, -1.0, 0.0, 0.0, -1.0],
///     bias: vec![0.5, 0.0],
/// };
/// let nodes = vec![
///     Node { name: "flat".into(), op: Op::Flatten, inputs: vec![0] },
///     Node { name: "fc".into(), op: Op::Linear(linear), inputs: vec![1] },
///     Node { name: "relu".into(), op: Op::Relu, inputs: vec![2] },
/// ];
/// let graph = Graph::new(Shape::new(1, 2, 2), nodes)?;
/// assert_eq!(graph.output_shape(), Shape::new(2, 1, 1));
/// assert_eq!(graph.forward(&[1.0, 2.0, 3.0, 4.0], 0), vec![0.0, 0.0]);
/// assert_eq!(graph.forward(&[3.0, 4.0, 1.0, 2.0], 0), vec![2.5, 2.0]);
/// # Ok::<(), xbar_training::graph::GraphError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Graph {
    input: Shape,
    nodes: Vec<Node>,
    /// Shape of every value (input first).
    shapes: Vec<Shape>,
    time: Time,
}

/// The weighted layers' products `Y = Wᵀ·X` (no bias): in software, or on
/// programmed arrays through converters.
pub(crate) trait Products: Sync {
    /// `out` (`outputs × p`, row-major) `= Wᵀ·x` for the weighted layer
    /// `layer` (0 = the first weighted node), `x` being `inputs × p`
    /// row-major.
    fn product(&self, layer: usize, x: &[f64], p: usize, out: &mut [f64]);
}

/// The graph's own weights.
struct Software<'g>(Vec<&'g Weights>);

impl Products for Software<'_> {
    fn product(&self, layer: usize, x: &[f64], p: usize, out: &mut [f64]) {
        let w = self.0[layer];
        kernels::gemm_t(&w.weights, w.inputs, w.outputs, x, p, out);
    }
}

impl Graph {
    /// A graph on `input`-shaped images; checks that every node reads
    /// earlier values, has its op's number of inputs and fits their shapes.
    ///
    /// # Errors
    /// The first node that does not fit, by name and op.
    pub fn new(input: Shape, nodes: Vec<Node>) -> Result<Graph, GraphError> {
        if input.is_empty() {
            return Err(GraphError {
                node: "input".into(),
                op: "Input",
                message: format!("expected an input of at least 1×1×1, found {input}"),
            });
        }
        if nodes.is_empty() {
            return Err(GraphError {
                node: "output".into(),
                op: "Output",
                message: "the graph has no layers".into(),
            });
        }
        let mut shapes = vec![input];
        for (k, node) in nodes.iter().enumerate() {
            let fail = |message: String| GraphError {
                node: node.name.clone(),
                op: node.op.name(),
                message,
            };
            if node.inputs.len() != node.op.arity() {
                return Err(fail(format!(
                    "expected {} input(s), found {}",
                    node.op.arity(),
                    node.inputs.len()
                )));
            }
            if let Some(&bad) = node.inputs.iter().find(|&&v| v > k) {
                return Err(fail(format!(
                    "reads value {bad}, which is not computed before it"
                )));
            }
            let ins: Vec<Shape> = node.inputs.iter().map(|&v| shapes[v]).collect();
            let out = output_shape(&node.op, &ins).map_err(fail)?;
            if out.is_empty() {
                return Err(fail(format!(
                    "gives an empty output ({out}) for an input of {}",
                    ins[0]
                )));
            }
            shapes.push(out);
        }
        Ok(Graph {
            input,
            nodes,
            shapes,
            time: Time::default(),
        })
    }

    /// The same graph run for `time.steps` steps with `time.encoding`.
    ///
    /// # Errors
    /// Zero steps.
    pub fn with_time(mut self, time: Time) -> Result<Graph, GraphError> {
        if time.steps == 0 {
            return Err(GraphError {
                node: "input".into(),
                op: "Input",
                message: "expected at least 1 time step, found 0".into(),
            });
        }
        self.time = time;
        Ok(self)
    }

    /// How long it runs and how the image drives it.
    pub fn time(&self) -> Time {
        self.time
    }

    /// Whether it has spiking neurons.
    pub fn is_spiking(&self) -> bool {
        self.nodes.iter().any(|n| matches!(n.op, Op::Lif(_)))
    }

    /// The input shape.
    pub fn input_shape(&self) -> Shape {
        self.input
    }

    /// The output shape (the class scores: `classes × 1 × 1`).
    pub fn output_shape(&self) -> Shape {
        *self.shapes.last().expect("a graph has a node")
    }

    /// The nodes in order.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// The shape of value `v` (0 = input, `k + 1` = node `k`'s output).
    pub fn value_shape(&self, v: usize) -> Shape {
        self.shapes[v]
    }

    /// The weighted layers in order, with their node index.
    pub fn weighted(&self) -> impl Iterator<Item = (usize, &Weights)> {
        self.nodes
            .iter()
            .enumerate()
            .filter_map(|(k, n)| n.op.weights().map(|w| (k, w)))
    }

    /// Number of parameters (weights, biases, per-channel affines).
    pub fn parameter_count(&self) -> usize {
        self.nodes
            .iter()
            .map(|n| match &n.op {
                Op::Conv2d(c) => c.weights.weights.len() + c.weights.bias.len(),
                Op::Linear(w) => w.weights.len() + w.bias.len(),
                Op::ChannelAffine { scale, .. } => 2 * scale.len(),
                _ => 0,
            })
            .sum()
    }

    /// Word-line reads per image and time step of each weighted layer (a
    /// spiking graph reads at each of its [`Time::steps`]): one per output
    /// pixel of a convolution (its unrolled input column), one for a
    /// linear layer.
    pub fn reads_per_image(&self) -> Vec<usize> {
        self.weighted()
            .map(|(k, _)| self.shapes[k + 1].pixels())
            .collect()
    }

    /// The graph with every [`Op::ChannelAffine`] that directly follows a
    /// weighted layer (its only reader) folded into that layer's weights
    /// and bias: `W'[:, o] = s[o]·W[:, o]`, `b' = s·b + t`. The same
    /// function, with batch-norm in the weights as the arrays hold them;
    /// the affines that cannot fold stay digital.
    pub fn fold_affine(&self) -> Graph {
        let mut nodes: Vec<Node> = Vec::with_capacity(self.nodes.len());
        // New value index of each old value.
        let mut renamed: Vec<usize> = vec![0];
        for node in &self.nodes {
            if let Op::ChannelAffine { scale, shift } = &node.op {
                let src = node.inputs[0];
                let readers = self
                    .nodes
                    .iter()
                    .filter(|n| n.inputs.contains(&src))
                    .count();
                let new_src = renamed[src];
                let foldable = src > 0
                    && readers == 1
                    && new_src == nodes.len()
                    && nodes[new_src - 1].op.weights().is_some();
                if foldable {
                    let w = nodes[new_src - 1]
                        .op
                        .weights_mut()
                        .expect("checked: weighted");
                    for row in w.weights.chunks_mut(w.outputs) {
                        for (v, s) in row.iter_mut().zip(scale) {
                            *v *= s;
                        }
                    }
                    for ((b, s), t) in w.bias.iter_mut().zip(scale).zip(shift) {
                        *b = *b * s + t;
                    }
                    renamed.push(new_src);
                    continue;
                }
            }
            nodes.push(Node {
                name: node.name.clone(),
                op: node.op.clone(),
                inputs: node.inputs.iter().map(|&v| renamed[v]).collect(),
            });
            renamed.push(nodes.len());
        }
        Graph::new(self.input, nodes)
            .and_then(|g| g.with_time(self.time))
            .expect("folding keeps every shape")
    }

    /// The class scores of one image (`input_shape().len()` values); a
    /// rate-coded input draws its spikes from `seed`.
    ///
    /// # Panics
    /// If `image` does not have the input's length.
    pub fn forward(&self, image: &[f64], seed: u64) -> Vec<f64> {
        let software = Software(self.weighted().map(|(_, w)| w).collect());
        let key = EncodingKey {
            seed,
            pass: crate::bptt::EVALUATION_PASS,
        };
        self.run(image, &software, (key, 0), None)
    }

    /// The class scores of one image with the weighted layers' products
    /// by `products`; image `sample` of the pass `key` for its input
    /// spikes.
    pub(crate) fn forward_with(
        &self,
        image: &[f64],
        products: &dyn Products,
        key: (EncodingKey, usize),
    ) -> Vec<f64> {
        self.run(image, products, key, None)
    }

    /// The input at step `t`.
    fn encode(&self, image: &[f64], rng: &mut Option<impl Rng>) -> Vec<f64> {
        match (self.time.encoding, rng) {
            (Encoding::Rate, Some(rng)) => image
                .iter()
                .map(|&v| {
                    let p = v as f32;
                    // A pixel of intensity 0 never spikes: no draw needed.
                    f64::from(u8::from(p > 0.0 && (p >= 1.0 || rng.random::<f32>() < p)))
                })
                .collect(),
            _ => image.to_vec(),
        }
    }

    /// Runs the graph on one image: the class scores. With `smooth`, LIF
    /// nodes fire by the surrogate's antiderivative (gradient checks).
    pub(crate) fn run(
        &self,
        image: &[f64],
        products: &dyn Products,
        (key, sample): (EncodingKey, usize),
        smooth: Option<&crate::Surrogate>,
    ) -> Vec<f64> {
        assert_eq!(image.len(), self.input.len(), "image length");
        // Values still to be read, freed after their last reader.
        let last_reader: Vec<usize> = (0..self.shapes.len())
            .map(|v| {
                self.nodes
                    .iter()
                    .rposition(|n| n.inputs.contains(&v))
                    .unwrap_or(usize::MAX)
            })
            .collect();
        let mut rng = (self.time.encoding == Encoding::Rate)
            .then(|| stream(key.seed, Stream::Encoding, key.counter(sample)));
        let mut states = vec![neurons::State::default(); self.nodes.len()];
        let mut scores = vec![0.0; self.output_shape().len()];
        for _ in 0..self.time.steps {
            let mut values: Vec<Option<Vec<f64>>> = vec![None; self.shapes.len()];
            values[0] = Some(self.encode(image, &mut rng));
            let mut layer = 0;
            for (k, node) in self.nodes.iter().enumerate() {
                let input = |i: usize| values[node.inputs[i]].as_deref().expect("computed");
                let in_shape = self.shapes[node.inputs[0]];
                let out_shape = self.shapes[k + 1];
                let out = match &node.op {
                    Op::Conv2d(c) => {
                        let cols = kernels::im2col(input(0), in_shape, c, out_shape, 1);
                        let p = out_shape.pixels();
                        let mut y = vec![0.0; c.weights.outputs * p];
                        products.product(layer, &cols, p, &mut y);
                        layer += 1;
                        for (row, b) in y.chunks_mut(p).zip(&c.weights.bias) {
                            row.iter_mut().for_each(|v| *v += b);
                        }
                        y
                    }
                    Op::Linear(w) => {
                        let mut y = vec![0.0; w.outputs];
                        products.product(layer, input(0), 1, &mut y);
                        layer += 1;
                        y.iter_mut().zip(&w.bias).for_each(|(v, b)| *v += b);
                        y
                    }
                    Op::ChannelAffine { scale, shift } => {
                        let mut y = input(0).to_vec();
                        let p = in_shape.pixels();
                        for ((row, s), t) in y.chunks_mut(p).zip(scale).zip(shift) {
                            row.iter_mut().for_each(|v| *v = *v * s + t);
                        }
                        y
                    }
                    Op::Relu => input(0).iter().map(|&v| v.max(0.0)).collect(),
                    Op::MaxPool(pool) => kernels::pool(input(0), in_shape, pool, out_shape, true),
                    Op::AvgPool(pool) => kernels::pool(input(0), in_shape, pool, out_shape, false),
                    Op::GlobalAvgPool => input(0)
                        .chunks(in_shape.pixels())
                        .map(|c| c.iter().sum::<f64>() / c.len() as f64)
                        .collect(),
                    Op::Flatten => input(0).to_vec(),
                    Op::Add => input(0).iter().zip(input(1)).map(|(a, b)| a + b).collect(),
                    Op::Lif(lif) => {
                        neurons::lif_step(lif, in_shape, input(0), &mut states[k], smooth)
                    }
                    Op::Leaky(leak) => neurons::leak_step(leak, in_shape, input(0), &mut states[k]),
                };
                for &v in &node.inputs {
                    if last_reader[v] == k {
                        values[v] = None;
                    }
                }
                values[k + 1] = Some(out);
            }
            let last = values.last().and_then(|v| v.as_deref()).expect("computed");
            scores.iter_mut().zip(last).for_each(|(s, v)| *s += v);
        }
        scores
    }

    /// The predicted class (arg-max of the scores; the first on a tie) of
    /// every image of `images` (`n · input_shape().len()` values, as a
    /// [`Dataset`](crate::Dataset) holds them), in parallel; rate-coded
    /// inputs draw their spikes from `seed`.
    pub fn predict(&self, images: &[f32], seed: u64) -> Vec<usize> {
        let software = Software(self.weighted().map(|(_, w)| w).collect());
        self.predict_with(images, &software, seed)
    }

    pub(crate) fn predict_with(
        &self,
        images: &[f32],
        products: &dyn Products,
        seed: u64,
    ) -> Vec<usize> {
        let key = EncodingKey {
            seed,
            pass: crate::bptt::EVALUATION_PASS,
        };
        images
            .par_chunks(self.input.len())
            .enumerate()
            .map(|(i, image)| {
                let image: Vec<f64> = image.iter().map(|&v| f64::from(v)).collect();
                arg_max(&self.forward_with(&image, products, (key, i)))
            })
            .collect()
    }
}

/// The index of the largest score (the first of equal ones).
pub(crate) fn arg_max(scores: &[f64]) -> usize {
    let mut best = 0;
    for (i, &s) in scores.iter().enumerate() {
        if s > scores[best] {
            best = i;
        }
    }
    best
}

fn window_out(n: usize, pad: usize, extent: usize, stride: usize) -> Option<usize> {
    (n + pad).checked_sub(extent).map(|v| v / stride + 1)
}

/// The shape a node gives for its input shapes, or what does not fit.
fn output_shape(op: &Op, ins: &[Shape]) -> Result<Shape, String> {
    let x = ins[0];
    match op {
        Op::Conv2d(c) => {
            let (kh, kw) = c.kernel;
            let w = &c.weights;
            if [kh, kw, c.stride.0, c.stride.1, c.dilation.0, c.dilation.1].contains(&0) {
                return Err("kernel, stride and dilation must be ≥ 1".into());
            }
            if w.inputs != x.channels * kh * kw {
                return Err(format!(
                    "its weights take {} inputs (C_in·k_h·k_w), but the input {x} with a {kh}×{kw} kernel gives {}",
                    w.inputs,
                    x.channels * kh * kw
                ));
            }
            check_weights(w)?;
            let eh = c.dilation.0 * (kh - 1) + 1;
            let ew = c.dilation.1 * (kw - 1) + 1;
            let p = c.padding;
            match (
                window_out(x.height, p[0] + p[2], eh, c.stride.0),
                window_out(x.width, p[1] + p[3], ew, c.stride.1),
            ) {
                (Some(h), Some(wd)) => Ok(Shape::new(w.outputs, h, wd)),
                _ => Err(format!(
                    "its {eh}×{ew} dilated kernel does not fit the padded input {x}"
                )),
            }
        }
        Op::Linear(w) => {
            if w.inputs != x.len() {
                return Err(format!(
                    "its weights take {} inputs, but the input {x} has {}",
                    w.inputs,
                    x.len()
                ));
            }
            check_weights(w)?;
            Ok(Shape::new(w.outputs, 1, 1))
        }
        Op::ChannelAffine { scale, shift } => {
            if scale.len() != x.channels || shift.len() != x.channels {
                return Err(format!(
                    "expected {} scales and shifts (one per channel of {x}), found {} and {}",
                    x.channels,
                    scale.len(),
                    shift.len()
                ));
            }
            if scale.iter().chain(shift).any(|v| !v.is_finite()) {
                return Err("a scale or shift is NaN or infinite".into());
            }
            Ok(x)
        }
        Op::Relu => Ok(x),
        Op::MaxPool(p) | Op::AvgPool(p) => {
            let (kh, kw) = p.kernel;
            if [kh, kw, p.stride.0, p.stride.1].contains(&0) {
                return Err("kernel and stride must be ≥ 1".into());
            }
            if p.padding[0].max(p.padding[2]) >= kh || p.padding[1].max(p.padding[3]) >= kw {
                return Err(format!(
                    "padding {:?} must be smaller than the {kh}×{kw} window",
                    p.padding
                ));
            }
            let pad = p.padding;
            match (
                window_out(x.height, pad[0] + pad[2], kh, p.stride.0),
                window_out(x.width, pad[1] + pad[3], kw, p.stride.1),
            ) {
                (Some(h), Some(w)) => Ok(Shape::new(x.channels, h, w)),
                _ => Err(format!(
                    "its {kh}×{kw} window does not fit the padded input {x}"
                )),
            }
        }
        Op::GlobalAvgPool => Ok(Shape::new(x.channels, 1, 1)),
        Op::Flatten => Ok(Shape::new(x.len(), 1, 1)),
        Op::Lif(lif) => lif.check(x).map(|()| x),
        Op::Leaky(leak) => leak.check(x).map(|()| x),
        Op::Add => {
            if ins[1] != x {
                return Err(format!(
                    "adds values of different shapes, {x} and {}",
                    ins[1]
                ));
            }
            Ok(x)
        }
    }
}

fn check_weights(w: &Weights) -> Result<(), String> {
    if w.inputs == 0 || w.outputs == 0 {
        return Err(format!("{}×{} weights are empty", w.inputs, w.outputs));
    }
    if w.weights.len() != w.inputs * w.outputs || w.bias.len() != w.outputs {
        return Err(format!(
            "expected {}×{} weights and {} biases, found {} and {}",
            w.inputs,
            w.outputs,
            w.outputs,
            w.weights.len(),
            w.bias.len()
        ));
    }
    if w.weights.iter().chain(&w.bias).any(|v| !v.is_finite()) {
        return Err("a weight or bias is NaN or infinite".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests;
