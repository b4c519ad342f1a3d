//! xbarsim's dense networks as graphs: the same function, so every path
//! that takes a graph takes them too.

use super::{Graph, GraphError, Leak, Lif, Node, Op, Shape, Time, Weights};
use crate::network::{Network, NetworkKind, Readout};

impl Graph {
    /// The graph of a dense network on `image`-shaped inputs
    /// (`image.len()` must be its input width): flatten, then per layer a
    /// linear node followed by LIF neurons (`β`, `θ`, reset by
    /// subtraction) or ReLU; the last layer's neurons are LIF for a
    /// spike-count read-out, a leaky integrator (`β`) for a membrane
    /// read-out, none for ReLU networks. The scores are then the dense
    /// network's logits — times `T` for a membrane read-out, whose logits
    /// are the mean over the steps rather than the sum.
    ///
    /// # Errors
    /// An input shape that does not have the network's input width.
    pub fn from_network(net: &Network, image: Shape) -> Result<Graph, GraphError> {
        let config = net.config();
        let last = net.layers().len() - 1;
        let mut nodes = vec![Node {
            name: "flatten".into(),
            op: Op::Flatten,
            inputs: vec![0],
        }];
        for (l, layer) in net.layers().iter().enumerate() {
            let weights = Weights {
                inputs: layer.inputs,
                outputs: layer.outputs,
                weights: layer.weights.iter().map(|&w| f64::from(w)).collect(),
                bias: layer.bias.iter().map(|&b| f64::from(b)).collect(),
            };
            let mut push = |name: String, op: Op| {
                let inputs = vec![nodes.len()];
                nodes.push(Node { name, op, inputs });
            };
            push(format!("fc{}", l + 1), Op::Linear(weights));
            let neurons = match (config.kind, l == last, config.readout) {
                (NetworkKind::Relu, false, _) => Some(Op::Relu),
                (NetworkKind::Relu, true, _) => None,
                (NetworkKind::Spiking, true, Readout::Membrane) => {
                    Some(Op::Leaky(Leak::snntorch(config.beta)))
                }
                (NetworkKind::Spiking, _, _) => {
                    Some(Op::Lif(Lif::snntorch(config.beta, config.threshold)))
                }
            };
            if let Some(op) = neurons {
                push(format!("{}{}", op.name().to_lowercase(), l + 1), op);
            }
        }
        Graph::new(image, nodes)?.with_time(Time {
            steps: config.time_steps(),
            encoding: match config.kind {
                NetworkKind::Spiking => config.encoding,
                NetworkKind::Relu => crate::network::Encoding::Direct,
            },
        })
    }
}
