//! The network: layer sizes, neuron model, input encoding, read-out, and
//! the parameters.
//!
//! **Leaky integrate-and-fire** (snnTorch's `Leaky`, reset by subtraction;
//! Eshraghian et al., Proc. IEEE 111(9), 2023), per layer and time step `t`:
//!
//! ```text
//! I[t] = x[t]·W + b
//! U[t] = β·U[t−1] + I[t] − θ·S[t−1]
//! S[t] = H(U[t] − θ)
//! ```
//!
//! with membrane decay `β`, threshold `θ` and Heaviside `H`, whose
//! derivative is replaced in the backward pass by a [`Surrogate`]
//! (Neftci, Mostafa & Zenke, IEEE Signal Process. Mag. 36(6), 2019).
//! The input `x[t]` of the first layer is the image encoded by
//! [`Encoding`]; of the other layers, the spikes of the layer below at the
//! same step. The last layer's output becomes class scores by
//! [`Readout`]; the loss is softmax cross-entropy on them.
//!
//! **ReLU** ([`NetworkKind::Relu`]): `h = max(0, x·W + b)` per hidden layer,
//! scores `x·W + b`, no time steps: the same arrays and mapping serve
//! published ANN crossbar experiments.
//!
//! Weights are stored `inputs × outputs`, row-major: row `i` holds the
//! synapses from input `i`, so one input spike adds one contiguous row —
//! the shape of one word line of a crossbar.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::real::Real;
use crate::rng::{stream, Stream};

/// Spiking or rate-based (ReLU) neurons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NetworkKind {
    /// Leaky integrate-and-fire layers run for `steps` time steps.
    Spiking,
    /// ReLU hidden layers, one pass, no time.
    Relu,
}

/// How an image (pixels in `[0, 1]`) drives the first layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Encoding {
    /// Rate coding: at each step each pixel spikes with probability equal to
    /// its intensity (Bernoulli, seeded), as snnTorch's `spikegen.rate`.
    Rate,
    /// Direct coding: the pixel intensities are the input current at every
    /// step.
    Direct,
}

/// Smooth stand-in for `dH/dU` in the backward pass.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Surrogate {
    /// `1 / (1 + k·|x|)²` (Zenke & Ganguli, Neural Comput. 30(6), 2018;
    /// snnTorch `fast_sigmoid(slope = k)`).
    FastSigmoid {
        /// Slope `k`.
        slope: f64,
    },
    /// `(α/2) / (1 + (π·α·x/2)²)` (Fang et al., ICCV 2021; snnTorch
    /// `atan(alpha = α)`).
    Arctan {
        /// Width parameter `α`.
        alpha: f64,
    },
}

impl Surrogate {
    /// The surrogate derivative at `x = U − θ`.
    pub fn derivative<F: Real>(&self, x: F) -> F {
        match *self {
            Surrogate::FastSigmoid { slope } => {
                let d = F::one() + F::of(slope) * x.abs();
                F::one() / (d * d)
            }
            Surrogate::Arctan { alpha } => {
                let z = F::of(std::f64::consts::FRAC_PI_2 * alpha) * x;
                F::of(alpha / 2.0) / (F::one() + z * z)
            }
        }
    }

    /// A smooth step whose exact derivative is [`Surrogate::derivative`]:
    /// `x/(1 + k|x|)` or `½ + atan(π·α·x/2)/π`. Used only to check the
    /// gradient against finite differences.
    pub(crate) fn smooth_step<F: Real>(&self, x: F) -> F {
        match *self {
            Surrogate::FastSigmoid { slope } => x / (F::one() + F::of(slope) * x.abs()),
            Surrogate::Arctan { alpha } => {
                let z = F::of(std::f64::consts::FRAC_PI_2 * alpha) * x;
                F::of(0.5) + z.atan() / F::of(std::f64::consts::PI)
            }
        }
    }
}

/// How the last layer's activity becomes class scores (logits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Readout {
    /// Spike count of each output neuron over the `steps` (snnTorch
    /// `ce_count_loss`).
    SpikeCount,
    /// Mean membrane potential of non-firing output neurons over the steps.
    Membrane,
}

/// Shape and neuron model of a network. Plain serde data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkConfig {
    /// Layer widths from the input to the output, e.g. `[784, 128, 10]`.
    pub sizes: Vec<usize>,
    /// Spiking or ReLU.
    pub kind: NetworkKind,
    /// Time steps `T` (spiking).
    pub steps: usize,
    /// Membrane decay `β` per step, in `[0, 1]`.
    pub beta: f64,
    /// Firing threshold `θ` (> 0).
    pub threshold: f64,
    /// Input encoding.
    pub encoding: Encoding,
    /// Surrogate derivative.
    pub surrogate: Surrogate,
    /// Class scores.
    pub readout: Readout,
    /// Treat the reset term `θ·S[t−1]` as a constant in the backward pass
    /// (snnTorch's default).
    pub detach_reset: bool,
    /// Layer by layer (convolutional, residual, …; see
    /// [`crate::graph::spec`]); empty: the dense network of `sizes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub layers: Vec<crate::graph::spec::LayerSpec>,
}

impl Default for NetworkConfig {
    /// 784-128-10 LIF, T = 25, β = 0.95, θ = 1, rate coding, fast sigmoid
    /// (k = 25), spike-count read-out: snnTorch's tutorial network.
    fn default() -> Self {
        NetworkConfig {
            sizes: vec![784, 128, 10],
            kind: NetworkKind::Spiking,
            steps: 25,
            beta: 0.95,
            threshold: 1.0,
            encoding: Encoding::Rate,
            surrogate: Surrogate::FastSigmoid { slope: 25.0 },
            readout: Readout::SpikeCount,
            detach_reset: true,
            layers: Vec::new(),
        }
    }
}

/// A configuration value outside its domain: `field` is the key name.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("network.{field}: {message}")]
pub struct ConfigError {
    /// Key name, e.g. `"beta"`.
    pub field: &'static str,
    /// What was expected and what was found.
    pub message: String,
}

fn bad(field: &'static str, message: String) -> ConfigError {
    ConfigError { field, message }
}

impl NetworkConfig {
    /// Checks every field's domain.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.sizes.len() < 2 || self.sizes.contains(&0) {
            return Err(bad(
                "sizes",
                format!(
                    "expected at least two layer widths, each ≥ 1 (input, …, output), found {:?}",
                    self.sizes
                ),
            ));
        }
        if self.kind == NetworkKind::Spiking && !(1..=10_000).contains(&self.steps) {
            return Err(bad(
                "steps",
                format!("expected 1..=10000 time steps, found {}", self.steps),
            ));
        }
        if !(self.beta.is_finite() && (0.0..=1.0).contains(&self.beta)) {
            return Err(bad(
                "beta",
                format!("expected a membrane decay in [0, 1], found {}", self.beta),
            ));
        }
        if !(self.threshold.is_finite() && self.threshold > 0.0) {
            return Err(bad(
                "threshold",
                format!("expected a finite threshold > 0, found {}", self.threshold),
            ));
        }
        if !self.layers.is_empty() {
            if self.sizes != NetworkConfig::default().sizes {
                return Err(bad(
                    "sizes",
                    "give either sizes (a dense network) or layers, not both".into(),
                ));
            }
            if self.readout != Readout::SpikeCount {
                return Err(bad(
                    "readout",
                    "a network of layers reads out its last layer summed over the steps: end it with a lif layer for spike counts, a leaky layer for membranes".into(),
                ));
            }
        }
        let width = match self.surrogate {
            Surrogate::FastSigmoid { slope } => slope,
            Surrogate::Arctan { alpha } => alpha,
        };
        if !(width.is_finite() && width > 0.0) {
            return Err(bad(
                "surrogate",
                format!("expected a finite slope/alpha > 0, found {width}"),
            ));
        }
        Ok(())
    }

    /// Weights and biases of the layers, `Σ (nᵢ + 1)·nᵢ₊₁` (saturating:
    /// absurd sizes stay countable).
    pub fn parameter_count(&self) -> usize {
        self.sizes
            .windows(2)
            .map(|w| w[0].saturating_add(1).saturating_mul(w[1]))
            .fold(0usize, usize::saturating_add)
    }

    /// Memory (bytes) that training this network on batches of
    /// `batch_size` takes, roughly — to refuse sizes that cannot fit before
    /// allocating, not an accounting: four `f32` copies of the parameters
    /// (weights, gradients, two Adam moments) and, for back-propagation
    /// through time, four `f32` states (input current, membrane, spike,
    /// surrogate) per neuron, time step and sample.
    ///
    /// ```
    /// use xbar_training::NetworkConfig;
    /// let net = NetworkConfig::default(); // 784-128-10, 25 steps
    /// assert_eq!(net.parameter_count(), 785 * 128 + 129 * 10);
    /// let bytes = net.training_memory_bytes(64);
    /// assert!(bytes > 16.0 * 101_770.0 && bytes < 1e9);
    /// ```
    pub fn training_memory_bytes(&self, batch_size: usize) -> f64 {
        let neurons: f64 = self.sizes.iter().map(|&n| n as f64).sum();
        16.0 * self.parameter_count() as f64
            + 16.0 * neurons * self.time_steps() as f64 * batch_size as f64
    }

    /// Number of weight layers.
    pub fn layers(&self) -> usize {
        self.sizes.len() - 1
    }

    /// Number of time steps one sample runs for (1 for ReLU).
    pub fn time_steps(&self) -> usize {
        match self.kind {
            NetworkKind::Spiking => self.steps,
            NetworkKind::Relu => 1,
        }
    }

    /// Whether the first layer's input is binary spikes (then every
    /// layer's is: a rate-coded spiking network).
    pub fn binary_input(&self) -> bool {
        self.kind == NetworkKind::Spiking && self.encoding == Encoding::Rate
    }
}

/// One fully connected layer: `weights` is `inputs × outputs`, row-major.
#[derive(Debug, Clone, PartialEq)]
pub struct Layer<F> {
    /// Fan-in.
    pub inputs: usize,
    /// Fan-out.
    pub outputs: usize,
    /// `inputs × outputs`, row `i` = synapses of input `i`.
    pub weights: Vec<F>,
    /// One bias per output.
    pub bias: Vec<F>,
}

impl<F: Real> Layer<F> {
    /// All zeros.
    pub fn zeros(inputs: usize, outputs: usize) -> Self {
        Layer {
            inputs,
            outputs,
            weights: vec![F::zero(); inputs * outputs],
            bias: vec![F::zero(); outputs],
        }
    }

    /// Row `i` (the synapses of input `i`).
    pub fn row(&self, i: usize) -> &[F] {
        &self.weights[i * self.outputs..(i + 1) * self.outputs]
    }

    /// Largest `|w|` (0 for an all-zero layer).
    pub fn max_abs_weight(&self) -> f64 {
        self.weights
            .iter()
            .fold(0.0f64, |m, w| m.max(w.to_f64().unwrap_or(0.0).abs()))
    }

    /// Converted to another float type.
    pub fn cast<G: Real>(&self) -> Layer<G> {
        Layer {
            inputs: self.inputs,
            outputs: self.outputs,
            weights: self.weights.iter().map(|w| G::of(w.as_f64())).collect(),
            bias: self.bias.iter().map(|w| G::of(w.as_f64())).collect(),
        }
    }
}

/// A network: its configuration and one [`Layer`] per pair of widths, in
/// `f32` (as trained and as stored in model files).
///
/// ```
/// use xbar_training::{Network, NetworkConfig};
///
/// let net = Network::new(NetworkConfig::default(), 1).unwrap();
/// assert_eq!(net.layers().len(), 2);
/// assert_eq!(net.layers()[0].weights.len(), 784 * 128);
/// // PyTorch's nn.Linear initialisation: U(−1/√fan_in, 1/√fan_in).
/// let bound = 1.0 / (784f32).sqrt();
/// assert!(net.layers()[0].weights.iter().all(|w| w.abs() <= bound));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Network {
    config: NetworkConfig,
    layers: Vec<Layer<f32>>,
}

impl Network {
    /// Random initial parameters from `seed`: weights and biases uniform in
    /// `±1/√fan_in` (PyTorch's `nn.Linear` default).
    pub fn new(config: NetworkConfig, seed: u64) -> Result<Self, ConfigError> {
        config.validate()?;
        let mut rng = stream(seed, Stream::Init, 0);
        let layers = config
            .sizes
            .windows(2)
            .map(|w| {
                let bound = 1.0 / (w[0] as f32).sqrt();
                let mut layer = Layer::zeros(w[0], w[1]);
                for v in layer.weights.iter_mut().chain(layer.bias.iter_mut()) {
                    *v = rng.random_range(-bound..=bound);
                }
                layer
            })
            .collect();
        Ok(Network { config, layers })
    }

    /// A network from given parameters; the layer shapes must match
    /// `config.sizes`.
    pub fn from_layers(
        config: NetworkConfig,
        layers: Vec<Layer<f32>>,
    ) -> Result<Self, ConfigError> {
        config.validate()?;
        let shapes_ok = layers.len() == config.layers()
            && layers.iter().zip(config.sizes.windows(2)).all(|(l, w)| {
                l.inputs == w[0]
                    && l.outputs == w[1]
                    && l.weights.len() == w[0] * w[1]
                    && l.bias.len() == w[1]
            });
        if !shapes_ok {
            return Err(bad(
                "sizes",
                format!(
                    "the parameters do not have the shapes of sizes {:?}",
                    config.sizes
                ),
            ));
        }
        if layers
            .iter()
            .any(|l| l.weights.iter().chain(&l.bias).any(|v| !v.is_finite()))
        {
            return Err(bad("layers", "a parameter is NaN or infinite".into()));
        }
        Ok(Network { config, layers })
    }

    /// The configuration.
    pub fn config(&self) -> &NetworkConfig {
        &self.config
    }

    /// The layers, input side first.
    pub fn layers(&self) -> &[Layer<f32>] {
        &self.layers
    }

    /// Mutable layers (for an optimiser or an in-situ update).
    pub fn layers_mut(&mut self) -> &mut [Layer<f32>] {
        &mut self.layers
    }

    /// Number of parameters.
    pub fn parameter_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights.len() + l.bias.len())
            .sum()
    }
}
