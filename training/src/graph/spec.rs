//! Networks described layer by layer (the `layers` of a config's
//! `[network]` section), built into graphs with fresh weights.
//!
//! ```toml
//! [network]
//! kind = "spiking"        # LIF layers run for `steps`; "relu": one pass
//! steps = 10
//! beta = 0.9              # every `lif` and `leaky` layer's β, unless it sets its own
//! threshold = 1.0
//! encoding = "direct"
//! layers = [
//!   { op = "conv2d", channels = 12, kernel = 5 },
//!   { op = "maxpool", kernel = 2 },
//!   { op = "lif" },
//!   { op = "conv2d", channels = 64, kernel = 5 },
//!   { op = "maxpool", kernel = 2 },
//!   { op = "lif" },
//!   { op = "flatten" },
//!   { op = "linear", outputs = 10 },
//!   { op = "lif" },
//! ]
//! ```
//!
//! A `residual` layer adds its input to the output of its own `layers`
//! (`x + f(x)`, ResNet's identity shortcut), or the output of its
//! `shortcut` layers where the block changes the shape (ResNet's
//! projection shortcut, e.g. a strided 1×1 convolution). Weights and biases start
//! uniform in `±1/√fan_in`, PyTorch's default for `nn.Conv2d` and
//! `nn.Linear`; an `affine` layer (per-channel scale and shift, trained)
//! starts at scale 1, shift 0.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::{Conv2d, Graph, GraphError, Leak, Lif, Node, Op, Pool, Shape, Time, Weights};
use crate::network::{NetworkConfig, NetworkKind};
use crate::rng::{stream, Stream};

/// One layer of a described network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case", deny_unknown_fields)]
pub enum LayerSpec {
    /// A 2-D convolution (groups = 1) with a bias.
    Conv2d {
        /// Output channels.
        channels: usize,
        /// Square kernel size.
        kernel: usize,
        /// Stride (default 1).
        #[serde(default = "one")]
        stride: usize,
        /// Zero padding on every side (default 0).
        #[serde(default)]
        padding: usize,
    },
    /// A fully connected layer with a bias, on the flattened input.
    Linear {
        /// Output width.
        outputs: usize,
    },
    /// Per-channel scale and shift (trained; batch-norm at inference).
    Affine,
    /// `max(0, x)`.
    Relu,
    /// Maximum over square windows (stride = the window, unless given).
    Maxpool {
        /// Window size.
        kernel: usize,
        /// Stride (default: the window).
        stride: Option<usize>,
    },
    /// Mean over square windows (stride = the window, unless given).
    Avgpool {
        /// Window size.
        kernel: usize,
        /// Stride (default: the window).
        stride: Option<usize>,
    },
    /// The mean of each channel.
    GlobalAvgpool,
    /// To a vector.
    Flatten,
    /// LIF neurons (snnTorch `Leaky`, reset by subtraction).
    Lif {
        /// `β` (default: the network's).
        beta: Option<f64>,
        /// `θ` (default: the network's).
        threshold: Option<f64>,
    },
    /// Leaky integrators (a non-spiking membrane read-out).
    Leaky {
        /// `β` (default: the network's).
        beta: Option<f64>,
    },
    /// `s(x) + f(x)`: `f` its layers, `s` its shortcut (none: the
    /// identity; a strided 1×1 convolution where `f` changes the shape,
    /// ResNet's projection shortcut).
    Residual {
        /// The block `f`.
        layers: Vec<LayerSpec>,
        /// The shortcut `s` (default: the identity).
        #[serde(default)]
        shortcut: Vec<LayerSpec>,
    },
}

fn one() -> usize {
    1
}

/// Builds nodes one layer at a time.
struct Builder<'a> {
    nodes: Vec<Node>,
    shapes: Vec<Shape>,
    config: &'a NetworkConfig,
    seed: u64,
}

impl Builder<'_> {
    fn fail(&self, name: &str, op: &'static str, message: String) -> GraphError {
        GraphError {
            node: name.into(),
            op,
            message,
        }
    }

    /// Appends `op` reading `inputs`; returns its value.
    fn push(&mut self, name: String, op: Op, inputs: Vec<usize>) -> Result<usize, GraphError> {
        let ins: Vec<Shape> = inputs.iter().map(|&v| self.shapes[v]).collect();
        let shape = super::output_shape(&op, &ins).map_err(|m| self.fail(&name, op.name(), m))?;
        if shape.is_empty() {
            return Err(self.fail(
                &name,
                op.name(),
                format!("gives an empty output for {}", ins[0]),
            ));
        }
        self.nodes.push(Node { name, op, inputs });
        self.shapes.push(shape);
        Ok(self.nodes.len())
    }

    /// Weights uniform in `±1/√fan_in`, keyed by the node's index.
    fn weights(&self, inputs: usize, outputs: usize) -> Weights {
        let mut rng = stream(self.seed, Stream::Init, 1 + self.nodes.len() as u64);
        let bound = 1.0 / (inputs as f64).sqrt();
        let mut draw =
            |n: usize| -> Vec<f64> { (0..n).map(|_| rng.random_range(-bound..=bound)).collect() };
        Weights {
            inputs,
            outputs,
            weights: draw(inputs * outputs),
            bias: draw(outputs),
        }
    }

    fn layers(
        &mut self,
        layers: &[LayerSpec],
        mut x: usize,
        path: &str,
    ) -> Result<usize, GraphError> {
        for (i, layer) in layers.iter().enumerate() {
            let name = format!("{path}{}", i + 1);
            let shape = self.shapes[x];
            let c = self.config;
            let spiking = c.kind == NetworkKind::Spiking;
            x = match layer {
                LayerSpec::Conv2d {
                    channels,
                    kernel,
                    stride,
                    padding,
                } => {
                    if *channels == 0 || *kernel == 0 || *stride == 0 {
                        return Err(self.fail(
                            &name,
                            "Conv2d",
                            "channels, kernel and stride must be ≥ 1".into(),
                        ));
                    }
                    let conv = Conv2d {
                        weights: self.weights(shape.channels * kernel * kernel, *channels),
                        kernel: (*kernel, *kernel),
                        stride: (*stride, *stride),
                        padding: [*padding; 4],
                        dilation: (1, 1),
                    };
                    self.push(name, Op::Conv2d(conv), vec![x])?
                }
                LayerSpec::Linear { outputs } => {
                    if *outputs == 0 {
                        return Err(self.fail(&name, "Linear", "outputs must be ≥ 1".into()));
                    }
                    let w = self.weights(shape.len(), *outputs);
                    self.push(name, Op::Linear(w), vec![x])?
                }
                LayerSpec::Affine => {
                    let op = Op::ChannelAffine {
                        scale: vec![1.0; shape.channels],
                        shift: vec![0.0; shape.channels],
                    };
                    self.push(name, op, vec![x])?
                }
                LayerSpec::Relu => self.push(name, Op::Relu, vec![x])?,
                LayerSpec::Maxpool { kernel, stride } | LayerSpec::Avgpool { kernel, stride } => {
                    let s = stride.unwrap_or(*kernel);
                    let pool = Pool {
                        kernel: (*kernel, *kernel),
                        stride: (s, s),
                        padding: [0; 4],
                    };
                    let op = match layer {
                        LayerSpec::Maxpool { .. } => Op::MaxPool(pool),
                        _ => Op::AvgPool(pool),
                    };
                    self.push(name, op, vec![x])?
                }
                LayerSpec::GlobalAvgpool => self.push(name, Op::GlobalAvgPool, vec![x])?,
                LayerSpec::Flatten => self.push(name, Op::Flatten, vec![x])?,
                LayerSpec::Lif { beta, threshold } => {
                    if !spiking {
                        return Err(self.fail(
                            &name,
                            "LIF",
                            "a LIF layer needs network.kind = \"spiking\"".into(),
                        ));
                    }
                    let lif =
                        Lif::snntorch(beta.unwrap_or(c.beta), threshold.unwrap_or(c.threshold));
                    self.push(name, Op::Lif(lif), vec![x])?
                }
                LayerSpec::Leaky { beta } => {
                    if !spiking {
                        return Err(self.fail(
                            &name,
                            "LeakyIntegrator",
                            "a leaky layer needs network.kind = \"spiking\"".into(),
                        ));
                    }
                    self.push(
                        name,
                        Op::Leaky(Leak::snntorch(beta.unwrap_or(c.beta))),
                        vec![x],
                    )?
                }
                LayerSpec::Residual { layers, shortcut } => {
                    if layers.is_empty() {
                        return Err(self.fail(
                            &name,
                            "Add",
                            "a residual block needs layers".into(),
                        ));
                    }
                    let y = self.layers(layers, x, &format!("{name}."))?;
                    let s = if shortcut.is_empty() {
                        x
                    } else {
                        self.layers(shortcut, x, &format!("{name}.shortcut."))?
                    };
                    self.push(format!("{name}.add"), Op::Add, vec![y, s])?
                }
            };
        }
        Ok(x)
    }
}

impl Graph {
    /// The network `layers` describe on `input`-shaped images, with the
    /// neurons, time steps and encoding of `config` and fresh weights from
    /// `seed` (see the [module docs](self)).
    ///
    /// # Errors
    /// The first layer that does not fit, by name (`"3"`, or `"2.1"`
    /// inside a residual block) and op.
    pub fn build(
        input: Shape,
        layers: &[LayerSpec],
        config: &NetworkConfig,
        seed: u64,
    ) -> Result<Graph, GraphError> {
        let mut b = Builder {
            nodes: Vec::new(),
            shapes: vec![input],
            config,
            seed,
        };
        b.layers(layers, 0, "")?;
        let spiking = config.kind == NetworkKind::Spiking;
        Graph::new(input, b.nodes)?.with_time(Time {
            steps: config.time_steps(),
            encoding: if spiking {
                config.encoding
            } else {
                crate::network::Encoding::Direct
            },
        })
    }
}
