//! Gradients (finite differences), training, graph files and reads of
//! a trained graph on ideal arrays.

use super::*;

/// The mean cross-entropy of `graph` on `images` (spikes by the
/// surrogate's antiderivative with `smooth`).
fn mean_loss(graph: &Graph, images: &[f32], labels: &[u8], spikes: &SpikeGradient) -> f64 {
    use crate::bptt::{cross_entropy, EncodingKey};
    let software = Software(graph.weighted().map(|(_, w)| w).collect());
    let n0 = graph.input_shape().len();
    let key = EncodingKey { seed: 1, pass: 0 };
    let mut sink = vec![0.0; graph.output_shape().len()];
    let mut loss = 0.0;
    for (k, &label) in labels.iter().enumerate() {
        let image: Vec<f64> = images[k * n0..(k + 1) * n0]
            .iter()
            .map(|&v| f64::from(v))
            .collect();
        let scores = graph.run(&image, &software, (key, k), Some(&spikes.surrogate));
        loss += cross_entropy(&scores, usize::from(label), 1.0, &mut sink);
    }
    loss / labels.len() as f64
}

/// The largest difference between the analytic gradient and central
/// differences of the loss, relative to the largest gradient.
fn gradient_error(graph: &Graph, spikes: &SpikeGradient) -> f64 {
    use crate::bptt::{Batch, EncodingKey};
    let n0 = graph.input_shape().len();
    let images: Vec<f32> = (0..3 * n0)
        .map(|k| (0.5 + 0.5 * val(k, 9)) as f32)
        .collect();
    let labels = [0u8, 2, 1];
    let ids = [0usize, 1, 2];
    let batch = Batch {
        images: &images,
        labels: &labels,
        ids: &ids,
    };
    let key = EncodingKey { seed: 1, pass: 0 };
    let analytic = graph
        .loss_and_gradients::<f64>(batch, key, spikes, true, &Default::default())
        .grads;
    let params = graph.parameters();
    assert_eq!(analytic.len(), params.len());
    let h = 1e-6;
    let (mut worst, mut largest) = (0.0f64, 0.0f64);
    for i in 0..params.len() {
        let mut g = graph.clone();
        let mut p = params.clone();
        p[i] += h;
        g.set_parameters(&p);
        let up = mean_loss(&g, &images, &labels, spikes);
        p[i] -= 2.0 * h;
        g.set_parameters(&p);
        let down = mean_loss(&g, &images, &labels, spikes);
        let numeric = (up - down) / (2.0 * h);
        worst = worst.max((numeric - analytic[i]).abs());
        largest = largest.max(numeric.abs());
    }
    assert!(largest > 1e-3, "the loss must depend on the parameters");
    worst / largest
}

/// Conv → batch-norm → LIF → max pool → conv → residual add → avg pool
/// → flatten → linear → LIF, run 4 steps.
fn conv_snn(reset: Reset) -> Graph {
    let conv = |inputs: usize, outputs: usize, salt: usize| Conv2d {
        weights: Weights {
            weights: weights(inputs * 9, outputs, salt)
                .weights
                .iter()
                .map(|w| 0.6 * w)
                .collect(),
            ..weights(inputs * 9, outputs, salt)
        },
        kernel: (3, 3),
        stride: (1, 1),
        padding: [1, 1, 1, 1],
        dilation: (1, 1),
    };
    let lif = |beta: f64, theta: f64| {
        Op::Lif(Lif {
            reset,
            leak: Leak {
                decay: vec![beta],
                gain: vec![1.2],
                bias: vec![0.05],
            },
            threshold: vec![theta],
        })
    };
    let pool = Pool {
        kernel: (2, 2),
        stride: (1, 1),
        padding: [0, 0, 0, 0],
    };
    let nodes = vec![
        node("conv1", Op::Conv2d(conv(2, 3, 1)), vec![0]),
        node(
            "bn1",
            Op::ChannelAffine {
                scale: vec![1.1, 0.9, 1.3],
                shift: vec![0.1, -0.05, 0.0],
            },
            vec![1],
        ),
        node("lif1", lif(0.8, 0.4), vec![2]),
        node("pool1", Op::MaxPool(pool), vec![3]),
        node("conv2", Op::Conv2d(conv(3, 3, 2)), vec![4]),
        node("add", Op::Add, vec![5, 4]),
        node("pool2", Op::AvgPool(pool), vec![6]),
        node("flat", Op::Flatten, vec![7]),
        node("fc", Op::Linear(weights(27, 3, 3)), vec![8]),
        node("lif2", lif(0.7, 0.3), vec![9]),
    ];
    Graph::new(Shape::new(2, 5, 5), nodes)
        .unwrap()
        .with_time(Time {
            steps: 4,
            encoding: Encoding::Direct,
        })
        .unwrap()
}

#[test]
fn bptt_through_conv_pool_residual_and_lif_matches_finite_differences() {
    for surrogate in [
        crate::Surrogate::FastSigmoid { slope: 2.0 },
        crate::Surrogate::Arctan { alpha: 1.5 },
    ] {
        let spikes = SpikeGradient {
            surrogate,
            detach_reset: false,
        };
        for reset in [Reset::Subtract, Reset::Zero] {
            let err = gradient_error(&conv_snn(reset), &spikes);
            assert!(
                err < 1e-6,
                "{surrogate:?} {reset:?}: relative error {err:e}"
            );
        }
    }
}

#[test]
fn a_detached_reset_drops_only_the_reset_path() {
    let graph = conv_snn(Reset::Subtract);
    let full = SpikeGradient {
        surrogate: crate::Surrogate::FastSigmoid { slope: 2.0 },
        detach_reset: false,
    };
    let detached = SpikeGradient {
        detach_reset: true,
        ..full
    };
    // Not the gradient of the forward any more, but close to it.
    let err = gradient_error(&graph, &detached);
    assert!(err > 1e-4 && err < 0.5, "{err}");
}

#[test]
fn relu_cnn_gradient_matches_finite_differences() {
    let pool = Pool {
        kernel: (2, 2),
        stride: (2, 2),
        padding: [0, 0, 0, 0],
    };
    let conv = Conv2d {
        weights: weights(2 * 9, 4, 5),
        kernel: (3, 3),
        stride: (1, 1),
        padding: [1, 1, 1, 1],
        dilation: (1, 1),
    };
    let nodes = vec![
        node("conv", Op::Conv2d(conv), vec![0]),
        node("relu", Op::Relu, vec![1]),
        node("pool", Op::MaxPool(pool), vec![2]),
        node("gap", Op::GlobalAvgPool, vec![3]),
        node("fc", Op::Linear(weights(4, 3, 6)), vec![4]),
    ];
    let graph = Graph::new(Shape::new(2, 6, 6), nodes).unwrap();
    let err = gradient_error(&graph, &SpikeGradient::default());
    assert!(err < 1e-6, "relative error {err:e}");
}

/// Bright left half (class 0), right half (1) or top half (2) of a 6×6
/// image, with a faint random background.
fn halves(n: usize) -> crate::Dataset {
    let shape = Shape::new(1, 6, 6);
    let mut images = Vec::new();
    let mut labels = Vec::new();
    for k in 0..n {
        let label = (k % 3) as u8;
        for p in 0..36 {
            let (y, x) = (p / 6, p % 6);
            let on = match label {
                0 => x < 3,
                1 => x >= 3,
                _ => y < 3,
            };
            let noise = 0.15 * (0.5 + 0.5 * val(k * 36 + p, 4));
            images.push(if on { 0.9 } else { noise as f32 });
        }
        labels.push(label);
    }
    crate::Dataset::from_parts(images, labels, shape)
}

fn tiny_conv_snn() -> (Graph, crate::NetworkConfig) {
    use spec::LayerSpec;
    let config = crate::NetworkConfig {
        steps: 5,
        beta: 0.8,
        encoding: Encoding::Rate,
        layers: vec![
            LayerSpec::Conv2d {
                channels: 4,
                kernel: 3,
                stride: 1,
                padding: 1,
            },
            LayerSpec::Maxpool {
                kernel: 2,
                stride: None,
            },
            LayerSpec::Lif {
                beta: None,
                threshold: None,
            },
            LayerSpec::Residual {
                shortcut: Vec::new(),
                layers: vec![
                    LayerSpec::Conv2d {
                        channels: 4,
                        kernel: 3,
                        stride: 1,
                        padding: 1,
                    },
                    LayerSpec::Lif {
                        beta: None,
                        threshold: None,
                    },
                ],
            },
            LayerSpec::Flatten,
            LayerSpec::Linear { outputs: 3 },
            LayerSpec::Lif {
                beta: None,
                threshold: Some(0.5),
            },
        ],
        ..crate::NetworkConfig::default()
    };
    let graph = Graph::build(Shape::new(1, 6, 6), &config.layers, &config, 3).unwrap();
    (graph, config)
}

#[test]
fn a_described_conv_snn_builds_with_pytorch_initialisation() {
    let (graph, _) = tiny_conv_snn();
    let names: Vec<&str> = graph.nodes().iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["1", "2", "3", "4.1", "4.2", "4.add", "5", "6", "7"]);
    assert_eq!(graph.value_shape(3), Shape::new(4, 3, 3));
    assert_eq!(graph.output_shape(), Shape::new(3, 1, 1));
    assert_eq!(graph.time().steps, 5);
    // ±1/√fan_in: 9 for the first convolution, 36 for the linear layer.
    let (_, conv) = graph.weighted().next().unwrap();
    assert!(conv.weights.iter().all(|w| w.abs() <= 1.0 / 3.0));
    assert!(conv.max_abs_weight() > 0.3, "spread over the bound");
    let (_, fc) = graph.weighted().last().unwrap();
    assert!(fc.weights.iter().all(|w| w.abs() <= 1.0 / 6.0));
    // Layers that do not fit are refused at their place.
    let config = crate::NetworkConfig {
        layers: vec![
            spec::LayerSpec::Flatten,
            spec::LayerSpec::Residual {
                shortcut: Vec::new(),
                layers: vec![spec::LayerSpec::Linear { outputs: 5 }],
            },
        ],
        ..crate::NetworkConfig::default()
    };
    let err = Graph::build(Shape::new(1, 6, 6), &config.layers, &config, 1).unwrap_err();
    assert_eq!((err.node.as_str(), err.op), ("2.add", "Add"), "{err}");
}

#[test]
fn a_conv_snn_learns_and_its_training_does_not_depend_on_thread_count() {
    let data = halves(90);
    let (graph, _) = tiny_conv_snn();
    let config = crate::TrainConfig {
        epochs: 4,
        batch_size: 10,
        optimizer: crate::AdamConfig {
            learning_rate: 1e-2,
            ..Default::default()
        },
        ..Default::default()
    };
    let trained = |threads: usize| {
        let mut g = graph.clone();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let history = pool
            .install(|| {
                train_graph(
                    &mut g,
                    &data,
                    Some(&data),
                    &config,
                    SpikeGradient::default(),
                    &mut |_| {},
                )
            })
            .unwrap();
        (g, history)
    };
    let (one, history) = trained(1);
    let (two, _) = trained(2);
    assert_eq!(one.parameters(), two.parameters());
    let before = arrays::accuracy(&graph, &data, 1).unwrap();
    let after = history.last().unwrap().test_accuracy.unwrap();
    assert!(after > 0.95 && before < 0.7, "{before} → {after}");
    assert!(history[0].train_loss > history[3].train_loss);
}

#[test]
fn a_graph_file_gives_back_the_same_graph() {
    let (graph, _) = tiny_conv_snn();
    let mut with_zero_reset = conv_snn(Reset::Zero);
    with_zero_reset.set_parameters(&conv_snn(Reset::Zero).parameters());
    for g in [graph, with_zero_reset] {
        let bytes = file::to_bytes(&g, &[("training", "{}".into())]).unwrap();
        let (model, meta) = crate::model::load(&bytes).unwrap();
        assert_eq!(meta["format"], "xbarsim-graph");
        assert_eq!(model, crate::Model::Graph(g.clone()));
        // Same graph, same bytes.
        assert_eq!(
            file::to_bytes(&g, &[("training", "{}".into())]).unwrap(),
            bytes
        );
    }
    // A tensor of the wrong shape is named.
    let (graph, _) = tiny_conv_snn();
    let bytes = file::to_bytes(&graph, &[]).unwrap();
    let mut meta = crate::model::load(&bytes).unwrap().1;
    let topology = meta["graph"].replace("\"out_channels\":4", "\"out_channels\":5");
    meta.insert("graph".into(), topology);
    let err = file::from_bytes(&bytes, &meta).unwrap_err();
    assert!(err.to_string().contains("nodes.0.weight"), "{err}");
}

/// A spiking graph with leaky read-out on ideal arrays (every conductance
/// as programmed, ideal wires and converters), tiles of 7 word lines:
/// the scores equal the software pass's to 1e-9 at every step summed.
#[test]
fn a_spiking_graph_on_ideal_arrays_computes_its_software_pass() {
    use crate::hardware::ArrayConfig;
    use xbar_devices::{Conductance, DeviceSpec};
    let mut graph = conv_snn(Reset::Subtract);
    // A leaky read-out: the scores are real-valued sums of membranes.
    let nodes: Vec<Node> = graph
        .nodes()
        .iter()
        .map(|n| match &n.op {
            Op::Lif(_) if n.name == "lif2" => {
                node("li", Op::Leaky(Leak::snntorch(0.8)), n.inputs.clone())
            }
            _ => n.clone(),
        })
        .collect();
    graph = Graph::new(graph.input_shape(), nodes)
        .unwrap()
        .with_time(graph.time())
        .unwrap();
    let device = DeviceSpec {
        name: "ideal".into(),
        g_min: Conductance(1e-6),
        g_max: Conductance(1e-4),
        ..Default::default()
    };
    let mut array = ArrayConfig::new(device);
    array.tile_rows = 7;
    array.tile_cols = 4;
    let images: Vec<f32> = (0..4 * 50)
        .map(|k| (0.5 + 0.5 * val(k, 8)) as f32)
        .collect();
    let mut on_arrays = ProgrammedGraph::program(&graph, &array, 2).unwrap();
    let logits = on_arrays.logits_at(0.0, &images, 0).unwrap();
    let mut spread = 0.0f64;
    for (image, got) in images.chunks(50).zip(&logits) {
        let x: Vec<f64> = image.iter().map(|&v| f64::from(v)).collect();
        let want = graph.forward(&x, 0);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-9 * w.abs().max(1.0), "{g} vs {w}");
            spread = spread.max(w.abs());
        }
    }
    assert!(spread > 0.1, "the scores must not all vanish");
}

/// col2im is the adjoint of im2col, `⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩`,
/// and the max/average pools' gradients are their adjoints at `x`, for
/// strides, paddings and dilations that cut windows at every border.
#[test]
fn the_backward_kernels_are_the_adjoints_of_the_forward_ones() {
    let s = Shape::new(3, 7, 6);
    let x: Vec<f64> = (0..s.len()).map(|k| val(k, 3)).collect();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(a, b)| a * b).sum::<f64>();
    for (kernel, stride, padding, dilation) in [
        ((3, 3), (1, 1), [1, 1, 1, 1], (1, 1)),
        ((3, 2), (2, 1), [0, 2, 1, 0], (1, 2)),
        ((2, 3), (1, 3), [1, 0, 0, 2], (2, 1)),
        ((5, 5), (3, 2), [2, 2, 2, 2], (1, 1)),
    ] {
        let conv = Conv2d {
            weights: weights(3 * kernel.0 * kernel.1, 1, 5),
            kernel,
            stride,
            padding,
            dilation,
        };
        let graph = Graph::new(s, vec![node("c", Op::Conv2d(conv.clone()), vec![0])]).unwrap();
        let out = graph.output_shape();
        let cols = kernels::im2col(&x, s, &conv, out, 1);
        let c: Vec<f64> = (0..cols.len()).map(|k| val(k, 7)).collect();
        let back = kernels::col2im(&c, s, &conv, out, 1);
        let (lhs, rhs) = (dot(&cols, &c), dot(&x, &back));
        assert!(
            (lhs - rhs).abs() < 1e-12 * lhs.abs().max(1.0),
            "{kernel:?}: {lhs} vs {rhs}"
        );
    }
    for padding in [[0, 0, 0, 0], [1, 1, 1, 0], [0, 2, 1, 1]] {
        let pool = Pool {
            kernel: (3, 3),
            stride: (2, 2),
            padding,
        };
        for max in [true, false] {
            let op = if max {
                Op::MaxPool(pool)
            } else {
                Op::AvgPool(pool)
            };
            let out = Graph::new(s, vec![node("p", op, vec![0])])
                .unwrap()
                .output_shape();
            let g: Vec<f64> = (0..out.len()).map(|k| val(k, 2)).collect();
            let dx = kernels::pool_grad(&x, s, &pool, out, max, &g);
            // Pools are piecewise linear: y(x + h·e) = y(x) + h·J·e near x.
            let h = 1e-7;
            let e: Vec<f64> = (0..s.len()).map(|k| val(k, 11)).collect();
            let moved: Vec<f64> = x.iter().zip(&e).map(|(x, e)| x + h * e).collect();
            let y0 = kernels::pool(&x, s, &pool, out, max);
            let y1 = kernels::pool(&moved, s, &pool, out, max);
            let lhs = dot(&g, &y1) - dot(&g, &y0);
            let rhs = h * dot(&dx, &e);
            assert!(
                (lhs - rhs).abs() < 1e-9 * rhs.abs().max(1e-6),
                "{padding:?} {max}: {lhs} vs {rhs}"
            );
        }
    }
}

/// The event-driven convolution of a 0/1 input (spikes) computes the
/// same product and weight gradient as the GEMM of its unrolled input,
/// over several images at once, with strides, paddings and dilations.
#[test]
fn an_event_driven_convolution_equals_the_gemm_of_its_unrolled_input() {
    let (s, planes, n) = (Shape::new(3, 7, 6), 4, 5);
    // About a quarter of the inputs at 1.
    let x: Vec<f64> = (0..s.len() * planes)
        .map(|k| f64::from(u8::from(val(k, 5) > 0.5)))
        .collect();
    let ones = x.iter().filter(|&&v| v == 1.0).count();
    assert!(
        ones > x.len() / 8 && ones < x.len() / 3,
        "{ones} of {}",
        x.len()
    );
    for (kernel, stride, padding, dilation) in [
        ((3, 3), (1, 1), [1, 1, 1, 1], (1, 1)),
        ((3, 2), (2, 1), [0, 2, 1, 0], (1, 2)),
        ((2, 3), (1, 3), [1, 0, 0, 2], (2, 1)),
    ] {
        let conv = Conv2d {
            weights: weights(3 * kernel.0 * kernel.1, n, 5),
            kernel,
            stride,
            padding,
            dilation,
        };
        let graph = Graph::new(s, vec![node("c", Op::Conv2d(conv.clone()), vec![0])]).unwrap();
        let out = graph.output_shape();
        let (k, p) = (conv.weights.inputs, out.pixels() * planes);
        let w = &conv.weights.weights;
        let cols = kernels::im2col(&x, s, &conv, out, planes);
        let mut dense = vec![0.0; n * p];
        kernels::gemm_t(w, k, n, &cols, p, &mut dense);
        let ev = kernels::Events::of(&x, s, 0.5).expect("0/1 and sparse enough");
        let mut yt = vec![0.0; n * p];
        kernels::conv_events(&ev, w, n, s, &conv, out, planes, &mut yt);
        let mut events = vec![0.0; n * p];
        kernels::transpose(&yt, p, n, &mut events);
        let worst = |a: &[f64], b: &[f64]| {
            a.iter()
                .zip(b)
                .map(|(a, b)| (a - b).abs())
                .fold(0.0, f64::max)
        };
        assert!(
            dense.iter().any(|v| v.abs() > 0.5),
            "{kernel:?}: a real product"
        );
        assert!(worst(&dense, &events) < 1e-12, "{kernel:?}");
        // The weight gradient for an output gradient g.
        let g: Vec<f64> = (0..n * p).map(|i| val(i, 8)).collect();
        let mut dw_dense = vec![0.0; k * n];
        kernels::gemm_acc_weight_grad(&cols, k, &g, n, p, &mut dw_dense);
        let mut gt = vec![0.0; n * p];
        kernels::transpose(&g, n, p, &mut gt);
        let mut dw_events = vec![0.0; k * n];
        kernels::conv_events_weight_grad(&ev, &gt, n, s, &conv, out, planes, &mut dw_events);
        assert!(worst(&dw_dense, &dw_events) < 1e-12, "{kernel:?}");
    }
    // Not 0/1, or too dense: no events.
    assert!(kernels::Events::of(&[0.0, 0.5, 1.0], Shape::new(1, 1, 3), 1.0).is_none());
    assert!(kernels::Events::of(&x, s, 0.1).is_none());
}

/// The residual conv SNN with a fast-sigmoid surrogate and four images
/// (labels `[0, 2, 1, 1]`), for the training-pass tests.
fn conv_snn_and_images() -> (Graph, SpikeGradient, Vec<f32>) {
    let graph = conv_snn(Reset::Subtract);
    let spikes = SpikeGradient {
        surrogate: crate::Surrogate::FastSigmoid { slope: 2.0 },
        detach_reset: true,
    };
    let n0 = graph.input_shape().len();
    let images: Vec<f32> = (0..4 * n0)
        .map(|k| (0.5 + 0.5 * val(k, 9)) as f32)
        .collect();
    (graph, spikes, images)
}

/// Training computes in `f32`: its gradient is the `f64` one to `f32`
/// precision on a convolutional SNN (smooth spikes, so that no neuron
/// flips sides of its threshold between the two).
#[test]
fn the_f32_training_gradient_is_the_f64_one_to_single_precision() {
    use crate::bptt::{Batch, EncodingKey};
    let (graph, spikes, images) = conv_snn_and_images();
    let batch = Batch {
        images: &images,
        labels: &[0, 2, 1, 1],
        ids: &[0, 1, 2, 3],
    };
    let key = EncodingKey { seed: 1, pass: 0 };
    let ws = Default::default();
    let single = graph.loss_and_gradients::<f32>(batch, key, &spikes, true, &ws);
    let double = graph.loss_and_gradients::<f64>(batch, key, &spikes, true, &Default::default());
    let largest = double.grads.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let worst = single
        .grads
        .iter()
        .zip(&double.grads)
        .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(largest > 1e-3, "a real gradient: {largest}");
    assert!(worst < 1e-5 * largest, "{worst:e} of {largest:e}");
    assert!((single.loss - double.loss).abs() < 1e-6 * double.loss);
    // The workspace's buffers, used again, give the same gradient.
    let again = graph.loss_and_gradients::<f32>(batch, key, &spikes, true, &ws);
    assert_eq!(again.grads, single.grads);
}

/// The buffers kept between batches stop growing after the first batches
/// (they grew by about ten buffers per batch, to 19 GB in a full-MNIST
/// run), with Heaviside spikes as training runs and the surrogate's smooth
/// ones.
#[test]
fn the_training_workspace_does_not_grow_from_batch_to_batch() {
    use crate::bptt::{Batch, EncodingKey};
    let (graph, spikes, images) = conv_snn_and_images();
    let batch = Batch {
        images: &images,
        labels: &[0, 2, 1, 1],
        ids: &[0, 1, 2, 3],
    };
    // One thread: how many chunks run at once, hence how many pools
    // exist, is then the same from batch to batch (with more threads it
    // follows the scheduler, not the batches).
    let one = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    for smooth in [false, true] {
        let ws = Default::default();
        let run = |pass: u32| {
            let key = EncodingKey { seed: 1, pass };
            one.install(|| graph.loss_and_gradients::<f32>(batch, key, &spikes, smooth, &ws));
        };
        (0..3).for_each(run);
        let (buffers, values) = ws.held();
        assert!(buffers > 0 && values > 0, "the pool is used");
        (3..12).for_each(run);
        assert_eq!(ws.held(), (buffers, values), "smooth = {smooth}");
    }
}
