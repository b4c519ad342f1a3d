//! The forward ops, shapes, converters and neurons.

use super::*;

#[test]
fn convolution_by_gemm_equals_the_direct_sum() {
    let s = Shape::new(3, 7, 6);
    let x: Vec<f64> = (0..s.len()).map(|k| val(k, 3)).collect();
    for (kernel, stride, padding, dilation) in [
        ((3, 3), (1, 1), [1, 1, 1, 1], (1, 1)),
        ((3, 2), (2, 1), [0, 2, 1, 0], (1, 2)),
        ((1, 1), (2, 2), [0, 0, 0, 0], (1, 1)),
        ((2, 3), (1, 3), [1, 0, 0, 2], (2, 1)),
    ] {
        let conv = Conv2d {
            weights: weights(3 * kernel.0 * kernel.1, 4, 5),
            kernel,
            stride,
            padding,
            dilation,
        };
        let (want, shape) = direct_conv(&x, s, &conv);
        let graph = Graph::new(s, vec![node("conv", Op::Conv2d(conv), vec![0])]).unwrap();
        assert_eq!(graph.output_shape(), shape);
        let got = graph.forward(&x, 0);
        for (g, w) in got.iter().zip(&want) {
            assert!((g - w).abs() < 1e-13, "{g} vs {w}");
        }
    }
}

#[test]
fn pools_take_the_max_and_the_mean_of_the_pixels_inside_the_window() {
    // One 3×3 channel: 1..9.
    let s = Shape::new(1, 3, 3);
    let x: Vec<f64> = (1..=9).map(f64::from).collect();
    let pool = Pool {
        kernel: (2, 2),
        stride: (2, 2),
        padding: [1, 1, 0, 0],
    };
    let max = Graph::new(s, vec![node("p", Op::MaxPool(pool), vec![0])]).unwrap();
    let avg = Graph::new(s, vec![node("p", Op::AvgPool(pool), vec![0])]).unwrap();
    // Windows (rows × cols of the unpadded image): {0}×{0}, {0}×{1,2},
    // {1,2}×{0}, {1,2}×{1,2}.
    assert_eq!(max.forward(&x, 0), vec![1.0, 3.0, 7.0, 9.0]);
    assert_eq!(avg.forward(&x, 0), vec![1.0, 2.5, 5.5, 7.0]);
    let gap = Graph::new(s, vec![node("g", Op::GlobalAvgPool, vec![0])]).unwrap();
    assert_eq!(gap.forward(&x, 0), vec![5.0]);
}

#[test]
fn folding_batch_norm_keeps_the_function() {
    let s = Shape::new(2, 5, 5);
    let conv = Conv2d {
        weights: weights(18, 3, 1),
        kernel: (3, 3),
        stride: (1, 1),
        padding: [1, 1, 1, 1],
        dilation: (1, 1),
    };
    let affine = Op::ChannelAffine {
        scale: vec![0.5, -2.0, 1.5],
        shift: vec![0.1, 0.2, -0.3],
    };
    let graph = Graph::new(
        s,
        vec![
            node("conv", Op::Conv2d(conv), vec![0]),
            node("bn", affine.clone(), vec![1]),
            node("relu", Op::Relu, vec![2]),
            // Not foldable: it follows a ReLU.
            node("bn2", affine, vec![3]),
            node("pool", Op::GlobalAvgPool, vec![4]),
        ],
    )
    .unwrap();
    let folded = graph.fold_affine();
    let ops: Vec<&str> = folded.nodes().iter().map(|n| n.op.name()).collect();
    assert_eq!(ops, ["Conv2d", "Relu", "ChannelAffine", "GlobalAvgPool"]);
    let x: Vec<f64> = (0..s.len()).map(|k| val(k, 9)).collect();
    for (a, b) in graph.forward(&x, 0).iter().zip(folded.forward(&x, 0)) {
        assert!((a - b).abs() < 1e-14);
    }
}

#[test]
fn an_affine_whose_input_has_two_readers_stays_digital() {
    // conv → (bn, add): the conv's output is also the residual branch.
    let s = Shape::new(1, 4, 4);
    let conv = Conv2d {
        weights: weights(1, 1, 2),
        kernel: (1, 1),
        stride: (1, 1),
        padding: [0; 4],
        dilation: (1, 1),
    };
    let graph = Graph::new(
        s,
        vec![
            node("conv", Op::Conv2d(conv), vec![0]),
            node(
                "bn",
                Op::ChannelAffine {
                    scale: vec![3.0],
                    shift: vec![1.0],
                },
                vec![1],
            ),
            node("add", Op::Add, vec![2, 1]),
        ],
    )
    .unwrap();
    assert_eq!(graph.fold_affine().nodes().len(), 3);
}

#[test]
fn shapes_that_do_not_fit_are_refused_at_their_node() {
    let s = Shape::new(2, 4, 4);
    let e = Graph::new(s, vec![node("fc", Op::Linear(weights(30, 2, 0)), vec![0])]).unwrap_err();
    assert_eq!(
        e.to_string(),
        "node 'fc' (Linear): its weights take 30 inputs, but the input 2×4×4 has 32"
    );
    let e = Graph::new(
        s,
        vec![
            node("relu", Op::Relu, vec![0]),
            node("gap", Op::GlobalAvgPool, vec![1]),
            node("add", Op::Add, vec![1, 2]),
        ],
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "node 'add' (Add): adds values of different shapes, 2×4×4 and 2×1×1"
    );
    let e = Graph::new(s, vec![node("later", Op::Relu, vec![1])]).unwrap_err();
    assert!(e.to_string().contains("not computed before it"), "{e}");
}

/// Round to the nearest of `2^bits − 1` levels over `±full`, ties away
/// from zero, clipped (the converters' definition, written out).
fn quantise(v: f64, bits: u32, full: f64) -> f64 {
    let top = f64::from((1u32 << (bits - 1)) - 1);
    let step = full / top;
    (v / step).round().clamp(-top, top) * step
}

#[test]
fn converters_quantise_the_inputs_and_every_tiles_partial_sums() {
    use crate::hardware::ArrayConfig;
    use xbar_crossbar::Converters;
    use xbar_devices::{Conductance, DeviceSpec};

    let w = weights(4, 2, 11);
    let graph = Graph::new(
        Shape::new(4, 1, 1),
        vec![node("fc", Op::Linear(w.clone()), vec![0])],
    )
    .unwrap();
    let device = DeviceSpec {
        name: "ideal".into(),
        g_min: Conductance(1e-6),
        g_max: Conductance(1e-4),
        ..Default::default()
    };
    let mut array = ArrayConfig::new(device);
    // 2 word lines × 1 weight column per tile: 4 tiles.
    array.tile_rows = 2;
    array.tile_cols = 2;
    array.converters = Converters {
        dac_bits: Some(3),
        adc_bits: Some(3),
        ..Converters::default()
    };
    let images: Vec<f32> = (0..5 * 4).map(|k| val(k, 4) as f32).collect();
    let mut on_arrays = ProgrammedGraph::program(&graph, &array, 1).unwrap();
    let logits = on_arrays.logits_at(0.0, &images, 0).unwrap();

    // Calibration: the largest |input| and |partial sum| of the images.
    let x: Vec<Vec<f64>> = images
        .chunks(4)
        .map(|c| c.iter().map(|&v| f64::from(v)).collect())
        .collect();
    let partial = |x: &[f64], block: usize, o: usize| -> f64 {
        (2 * block..2 * block + 2)
            .map(|r| x[r] * w.weights[r * 2 + o])
            .sum()
    };
    let x_max = x.iter().flatten().fold(0.0f64, |m, v| m.max(v.abs()));
    let mut y_max = 0.0f64;
    for xi in &x {
        for (b, o) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            y_max = y_max.max(partial(xi, b, o).abs());
        }
    }
    for (xi, got) in x.iter().zip(&logits) {
        let xq: Vec<f64> = xi.iter().map(|&v| quantise(v, 3, x_max)).collect();
        for (o, g) in got.iter().enumerate() {
            let want = w.bias[o]
                + quantise(partial(&xq, 0, o), 3, y_max)
                + quantise(partial(&xq, 1, o), 3, y_max);
            assert!((g - want).abs() < 1e-9, "{g} vs {want}");
        }
    }
    // And they change the result: the ideal product differs.
    let ideal = graph.forward(&x[0], 0);
    assert!((ideal[0] - logits[0][0]).abs() > 1e-3 || (ideal[1] - logits[0][1]).abs() > 1e-3);
}

/// One LIF neuron on a constant input 0.3, β = 0.9, θ = 1, by hand:
/// u = 0.3, 0.57, 0.813, 1.0317 (spike), then with reset by subtraction
/// 0.22853, 0.50568, 0.75511, 0.97960, 1.18164 (spike), 0.36348, 0.62713,
/// 0.86442 — 2 spikes in 12 steps; with reset to zero the sequence
/// restarts at 0.3 after each spike: spikes at steps 3, 7 and 11.
#[test]
fn lif_neuron_spikes_when_the_hand_computed_membrane_crosses_threshold() {
    for (reset, count) in [(Reset::Subtract, 2.0), (Reset::Zero, 3.0)] {
        let lif = Lif {
            reset,
            ..Lif::snntorch(0.9, 1.0)
        };
        let graph = Graph::new(
            Shape::new(1, 1, 1),
            vec![node("lif", Op::Lif(lif), vec![0])],
        )
        .unwrap()
        .with_time(Time {
            steps: 12,
            encoding: Encoding::Direct,
        })
        .unwrap();
        assert_eq!(graph.forward(&[0.3], 0), vec![count], "{reset:?}");
        assert!(graph.is_spiking());
    }
    // A leaky integrator sums the geometric series: Σₜ 0.3·(1 − 0.9^(t+1))/0.1.
    let leaky = Graph::new(
        Shape::new(1, 1, 1),
        vec![node("li", Op::Leaky(Leak::snntorch(0.9)), vec![0])],
    )
    .unwrap()
    .with_time(Time {
        steps: 5,
        encoding: Encoding::Direct,
    })
    .unwrap();
    let want: f64 = (0..5).map(|t| 3.0 * (1.0 - 0.9f64.powi(t + 1))).sum();
    assert!((leaky.forward(&[0.3], 0)[0] - want).abs() < 1e-12);
}

#[test]
fn neuron_parameters_are_checked_against_their_population() {
    let bad = Lif {
        threshold: vec![1.0, 2.0],
        ..Lif::snntorch(0.9, 1.0)
    };
    let err = Graph::new(Shape::new(3, 2, 2), vec![node("l1", Op::Lif(bad), vec![0])]).unwrap_err();
    assert_eq!(err.node, "l1");
    assert!(
        err.message.contains("expected 1, 3 (per channel) or 12"),
        "{err}"
    );
    let bad = Lif::snntorch(1.5, 1.0);
    let err = Graph::new(Shape::new(3, 2, 2), vec![node("l1", Op::Lif(bad), vec![0])]).unwrap_err();
    assert!(
        err.message.contains("decay β in [0, 1], found 1.5"),
        "{err}"
    );
    let err = Graph::new(Shape::new(1, 1, 1), vec![node("x", Op::Relu, vec![0])])
        .unwrap()
        .with_time(Time {
            steps: 0,
            encoding: Encoding::Direct,
        })
        .unwrap_err();
    assert!(err.message.contains("at least 1 time step"));
}

/// A dense network and its graph classify alike, image by image, for
/// every neuron kind, encoding and read-out; the dense network runs in
/// `f64` here so that both compute the same numbers.
#[test]
fn a_dense_network_and_its_graph_classify_alike() {
    use crate::bptt::{predict, EncodingKey, EVALUATION_PASS};
    use crate::network::{Layer, Network, NetworkConfig, NetworkKind, Readout};
    let images: Vec<f32> = (0..60 * 16)
        .map(|k| (0.5 + 0.5 * val(k, 3)) as f32)
        .collect();
    let cases = [
        (NetworkKind::Spiking, Encoding::Rate, Readout::SpikeCount),
        (NetworkKind::Spiking, Encoding::Direct, Readout::SpikeCount),
        (NetworkKind::Spiking, Encoding::Direct, Readout::Membrane),
        (NetworkKind::Relu, Encoding::Direct, Readout::SpikeCount),
    ];
    for (kind, encoding, readout) in cases {
        let config = NetworkConfig {
            sizes: vec![16, 12, 5],
            kind,
            steps: 8,
            beta: 0.8,
            threshold: 0.5,
            encoding,
            readout,
            ..NetworkConfig::default()
        };
        let net = Network::new(config.clone(), 11).unwrap();
        let graph = Graph::from_network(&net, Shape::new(1, 4, 4)).unwrap();
        let layers: Vec<Layer<f64>> = net.layers().iter().map(|l| l.cast()).collect();
        let key = EncodingKey {
            seed: 5,
            pass: EVALUATION_PASS,
        };
        let dense = predict::<f64, _>(&config, &layers, &images, key);
        let ours = graph.predict(&images, 5);
        assert_eq!(dense, ours, "{kind:?} {encoding:?} {readout:?}");
        // Not a constant answer: the comparison means something.
        assert!(ours.iter().any(|&c| c != ours[0]), "{kind:?} {encoding:?}");
    }
}
