//! A trained network as the evaluation paths take it: xbarsim's own dense
//! network (trained here, spiking or ReLU, `.safetensors`) or a graph of
//! any topology (imported, e.g. from ONNX).
//!
//! Both map onto the same arrays ([`crate::hardware`] and
//! [`crate::graph::arrays`] share the tiling, the programming, the reads
//! and the converters); the dense path keeps its event-driven spiking
//! kernels and its activity probe for the cost model.

use crate::activity::ActivityProbe;
use crate::graph::{self, Graph, ProgrammedGraph};
use crate::graph::{train_graph, Shape, SpikeGradient};
use crate::hardware::{ArrayConfig, HardwareError, InstanceAccuracy, ProgrammedNetwork};
use crate::mnist::Dataset;
use crate::network::NetworkConfig;
use crate::network::{Network, NetworkKind};
use crate::train::{train, EpochStats, Progress, TrainConfig, TrainError};

/// A trained network of either kind.
#[derive(Debug, Clone, PartialEq)]
pub enum Model {
    /// A dense network trained by xbarsim.
    Dense(Network),
    /// A graph (convolutional, residual, …).
    Graph(Graph),
}

impl Model {
    /// A fresh network as `config` describes it — dense by its `sizes`, or
    /// a graph by its `layers` on `image`-shaped inputs — with weights from
    /// `training.seed`, trained on `train` (tested on `test` after each
    /// epoch when given).
    ///
    /// # Errors
    /// A configuration outside its domain, layers that do not fit the
    /// image, data that does not fit, or a diverging loss.
    pub fn train_new(
        config: &NetworkConfig,
        image: Shape,
        train_set: &Dataset,
        test: Option<&Dataset>,
        training: &TrainConfig,
        on_progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(Model, Vec<EpochStats>), TrainError> {
        let bad = |field: &str, message: String| TrainError::Config {
            field: format!("network.{field}"),
            message,
        };
        config.validate().map_err(|e| bad(e.field, e.message))?;
        if config.layers.is_empty() {
            let mut net =
                Network::new(config.clone(), training.seed).map_err(|e| bad(e.field, e.message))?;
            let history = train(&mut net, train_set, test, training, on_progress)?;
            return Ok((Model::Dense(net), history));
        }
        let mut graph = Graph::build(image, &config.layers, config, training.seed)
            .map_err(|e| bad("layers", e.to_string()))?;
        let spikes = SpikeGradient {
            surrogate: config.surrogate,
            detach_reset: config.detach_reset,
        };
        let history = train_graph(&mut graph, train_set, test, training, spikes, on_progress)?;
        Ok((Model::Graph(graph), history))
    }

    /// Its software test accuracy on `data` (input spikes from `seed`).
    ///
    /// # Errors
    /// Data that does not fit the network.
    pub fn accuracy(&self, data: &Dataset, seed: u64) -> Result<f64, HardwareError> {
        self.check_data(data)?;
        match self {
            Model::Dense(net) => Ok(crate::train::accuracy(net, data, seed)),
            Model::Graph(g) => graph::arrays::accuracy(g, data, seed),
        }
    }

    /// Whether `data` fits: one value per input, and (a graph) the image
    /// shape and a class per label.
    ///
    /// # Errors
    /// [`HardwareError::Data`] saying what differs.
    pub fn check_data(&self, data: &Dataset) -> Result<(), HardwareError> {
        match self {
            Model::Dense(net) => {
                let inputs = net.config().sizes[0];
                if data.pixels() != inputs {
                    return Err(HardwareError::Data(format!(
                        "images have {} pixels but the network has {inputs} inputs",
                        data.pixels()
                    )));
                }
                Ok(())
            }
            Model::Graph(g) => graph::arrays::check_data(g, data),
        }
    }

    /// Test accuracy on `instances` independent device instances, each
    /// programmed once and read at every time in `times` (s), each result
    /// reported to `on_result` as it is measured. Instance `i` uses device
    /// seed `seed + i`; the input spikes are the same for all.
    ///
    /// # Errors
    /// Negative or non-finite times, data that does not fit, arrays that
    /// refuse.
    pub fn evaluate(
        &self,
        data: &Dataset,
        array: &ArrayConfig,
        times: &[f64],
        instances: usize,
        seed: u64,
        on_result: &mut dyn FnMut(&InstanceAccuracy),
    ) -> Result<Vec<InstanceAccuracy>, HardwareError> {
        if let Some(&t) = times.iter().find(|t| !(t.is_finite() && **t >= 0.0)) {
            return Err(HardwareError::config(
                "times",
                format!("expected times ≥ 0 s, found {t}"),
            ));
        }
        let mut out = Vec::with_capacity(times.len() * instances);
        for instance in 0..instances {
            let mut programmed = self.program(array, seed.wrapping_add(instance as u64))?;
            for &t in times {
                let accuracy = programmed.evaluate_at(t, data, seed, None)?;
                let r = InstanceAccuracy {
                    time_s: t,
                    instance,
                    accuracy,
                };
                on_result(&r);
                out.push(r);
            }
        }
        Ok(out)
    }

    /// Programs it onto a fresh device instance keyed by `seed`.
    ///
    /// # Errors
    /// Arrays that refuse.
    pub fn program(&self, array: &ArrayConfig, seed: u64) -> Result<Programmed<'_>, HardwareError> {
        Ok(match self {
            Model::Dense(net) => Programmed::Dense(ProgrammedNetwork::program(net, array, seed)?),
            Model::Graph(g) => Programmed::Graph(ProgrammedGraph::program(g, array, seed)?),
        })
    }

    /// Its neurons: spiking (a graph with LIF nodes) or rate-based.
    pub fn kind(&self) -> NetworkKind {
        match self {
            Model::Dense(net) => net.config().kind,
            Model::Graph(g) if g.is_spiking() => NetworkKind::Spiking,
            Model::Graph(_) => NetworkKind::Relu,
        }
    }

    /// Memory (bytes) one programmed instance holds, at least.
    pub fn programmed_bytes(&self) -> f64 {
        match self {
            Model::Dense(net) => crate::ProgrammedNetwork::memory_bytes(net.config()),
            Model::Graph(g) => graph::ProgrammedGraph::memory_bytes(g),
        }
    }

    /// Number of parameters.
    pub fn parameter_count(&self) -> usize {
        match self {
            Model::Dense(net) => net.parameter_count(),
            Model::Graph(g) => g.parameter_count(),
        }
    }

    /// The dense network, if it is one.
    pub fn dense(&self) -> Option<&Network> {
        match self {
            Model::Dense(net) => Some(net),
            Model::Graph(_) => None,
        }
    }

    /// What it is, for provenance: the dense network's configuration, or
    /// the graph's input, layers and parameter count.
    pub fn describe(&self) -> serde_json::Value {
        match self {
            Model::Dense(net) => serde_json::to_value(net.config()).unwrap_or_default(),
            Model::Graph(g) => {
                let s = g.input_shape();
                serde_json::json!({
                    "graph": {
                        "input": [s.channels, s.height, s.width],
                        "layers": g.nodes().iter().map(|n| format!("{} {}", n.op.name(), n.name)).collect::<Vec<_>>(),
                        "parameters": g.parameter_count(),
                        "reads_per_image": g.reads_per_image(),
                        "steps": g.time().steps,
                        "encoding": g.time().encoding,
                    }
                })
            }
        }
    }
}

/// A [`Model`] programmed onto one instance of arrays.
pub enum Programmed<'m> {
    /// A dense network.
    Dense(ProgrammedNetwork<'m>),
    /// A graph.
    Graph(ProgrammedGraph),
}

impl Programmed<'_> {
    /// Reads every array at `t` (s) and classifies `data` (input spikes
    /// from `input_seed`); with a `probe`, records what the arrays did
    /// ([`ProgrammedNetwork::evaluate_at`], [`ProgrammedGraph::evaluate_at`]).
    ///
    /// # Errors
    /// Data that does not fit; arrays that refuse.
    pub fn evaluate_at(
        &mut self,
        t: f64,
        data: &Dataset,
        input_seed: u64,
        probe: Option<&mut ActivityProbe>,
    ) -> Result<f64, HardwareError> {
        match self {
            Programmed::Dense(p) => p.evaluate_at(t, data, input_seed, probe),
            Programmed::Graph(p) => p.evaluate_at(t, data, input_seed, probe),
        }
    }
}
