//! xbarsim's forward pass of imported NIR models against independent
//! references (made by `models/make_nir.py`): snnTorch's own forward pass
//! of the networks it exported, and a numpy simulation of the NIR equations
//! for the node types snnTorch does not export; then the refusals.

use std::path::{Path, PathBuf};

use xbar_devices::DeviceSpec;
use xbar_import::{nir, ImportError};
use xbar_training::graph::{Op, ProgrammedGraph, Reset, Shape};
use xbar_training::ArrayConfig;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models")
}

struct Reference {
    dt: f64,
    steps: usize,
    input_shape: Vec<usize>,
    inputs: Vec<Vec<f64>>,
    scores: Vec<Vec<f64>>,
}

fn reference(name: &str) -> Reference {
    let text = std::fs::read_to_string(models().join(format!("{name}.json"))).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rows = |key: &str| -> Vec<Vec<f64>> {
        v[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_f64().unwrap())
                    .collect()
            })
            .collect()
    };
    Reference {
        dt: v["dt"].as_f64().unwrap(),
        steps: v["steps"].as_u64().unwrap() as usize,
        input_shape: v["input_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect(),
        inputs: rows("inputs"),
        scores: rows("scores"),
    }
}

fn arg_max(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

fn options(r: &Reference) -> nir::Options {
    let mut o = nir::Options::steps(r.steps);
    o.dt = r.dt;
    o
}

/// The scores (outputs summed over the steps) within 1e-4 of the
/// reference's, relative to the largest |score| of the input, and the same
/// arg-max; spike counts exactly. Returns the graph.
fn matches_reference(name: &str, spiking_output: bool) -> xbar_training::graph::Graph {
    let r = reference(name);
    let graph = nir::read(&models().join(format!("{name}.nir")), &options(&r)).unwrap();
    assert_eq!(
        graph.input_shape().len(),
        r.input_shape.iter().product::<usize>()
    );
    assert_eq!(graph.time().steps, r.steps);
    let mut spikes = 0.0;
    for (x, want) in r.inputs.iter().zip(&r.scores) {
        let got = graph.forward(x, 0);
        assert_eq!(got.len(), want.len(), "{name}: output length");
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (g, w) in got.iter().zip(want) {
            if spiking_output {
                assert_eq!(g, w, "{name}: spike count {got:?} vs reference {want:?}");
            } else {
                assert!(
                    (g - w).abs() <= 1e-4 * scale,
                    "{name}: {g} vs reference {w} (scale {scale})"
                );
            }
        }
        assert_eq!(arg_max(&got), arg_max(want), "{name}: arg-max");
        spikes += got.iter().sum::<f64>();
    }
    // The comparison means something: the outputs are not all silent.
    assert!(spikes.abs() > 5.0, "{name}: outputs {spikes}");
    graph
}

fn ops(graph: &xbar_training::graph::Graph) -> Vec<&'static str> {
    graph.nodes().iter().map(|n| n.op.name()).collect()
}

#[test]
fn a_dense_lif_network_exported_by_snntorch_spikes_as_snntorch_does() {
    let graph = matches_reference("dense_lif", true);
    assert_eq!(ops(&graph), ["Linear", "LIF", "Linear", "LIF"]);
    // snnTorch's Leaky(β) at its export Δt: decay β, gain 1, no drive;
    // NIR's v_reset = 0 is a reset to zero. The hidden layer has one β per
    // neuron, the output layer one for all.
    let Op::Lif(hidden) = &graph.nodes()[1].op else {
        panic!()
    };
    assert_eq!(hidden.leak.decay.len(), 12);
    assert!(hidden.leak.gain.iter().all(|g| (g - 1.0).abs() < 1e-6));
    assert_eq!(hidden.reset, Reset::Zero);
    let Op::Lif(out) = &graph.nodes()[3].op else {
        panic!()
    };
    assert!((out.leak.decay[0] - 0.8).abs() < 1e-6, "{:?}", out.leak);
    assert!((out.threshold[0] - 0.75).abs() < 1e-7);
}

#[test]
fn a_conv_snn_with_average_pooling_spikes_as_snntorch_does() {
    let graph = matches_reference("conv_avgpool", true);
    assert_eq!(
        ops(&graph),
        ["Conv2d", "LIF", "AvgPool", "Conv2d", "LIF", "Flatten", "Linear", "LIF"]
    );
    assert_eq!(graph.input_shape(), Shape::new(1, 12, 12));
    // 12×12 (padding 1), then 6×6 → 3×3 (stride 2, padding 2, dilation 2).
    assert_eq!(graph.reads_per_image(), vec![144, 9, 1]);
}

#[test]
fn a_conv_snn_with_sum_pooling_spikes_as_snntorch_does() {
    let graph = matches_reference("conv_sumpool", true);
    // SumPool2d = the window's mean times its size.
    let i = ops(&graph).iter().position(|&o| o == "AvgPool").unwrap();
    assert_eq!(
        graph.nodes()[i + 1].op,
        Op::ChannelAffine {
            scale: vec![4.0; 4],
            shift: vec![0.0; 4]
        }
    );
}

#[test]
fn current_based_lif_neurons_spike_as_snntorch_synaptic_does() {
    let graph = matches_reference("cuba_lif", true);
    // Each CubaLIF is a synaptic current (a leaky integrator) feeding LIF
    // neurons.
    assert_eq!(
        ops(&graph),
        [
            "Linear",
            "LeakyIntegrator",
            "LIF",
            "Linear",
            "LeakyIntegrator",
            "LIF"
        ]
    );
    let Op::Leaky(synapse) = &graph.nodes()[1].op else {
        panic!()
    };
    assert!((synapse.decay[0] - 0.6).abs() < 1e-6, "{synapse:?}");
    assert!((synapse.gain[0] - 1.0).abs() < 1e-6, "{synapse:?}");
}

#[test]
fn if_neurons_an_li_readout_and_summed_edges_follow_the_nir_equations() {
    let graph = matches_reference("if_li", false);
    // The skip connection and the IF branch both feed the LI read-out.
    assert_eq!(
        ops(&graph),
        [
            "Linear",
            "LIF",
            "Linear",
            "Linear",
            "Add",
            "LeakyIntegrator"
        ]
    );
}

#[test]
fn a_different_time_step_changes_the_decay_as_euler_says() {
    let r = reference("dense_lif");
    let mut o = options(&r);
    o.dt = 2.0 * r.dt;
    let graph = nir::read(&models().join("dense_lif.nir"), &o).unwrap();
    let Op::Lif(out) = &graph.nodes()[3].op else {
        panic!()
    };
    // τ = Δt₀/(1 − 0.8): β = 1 − 2Δt₀/τ = 0.6, gain R·Δt/τ = 2.
    assert!((out.leak.decay[0] - 0.6).abs() < 1e-6, "{:?}", out.leak);
    assert!((out.leak.gain[0] - 2.0).abs() < 1e-6, "{:?}", out.leak);
    // A step longer than a time constant is refused, at the node.
    o.dt = 1.0;
    let e = nir::read(&models().join("dense_lif.nir"), &o)
        .unwrap_err()
        .to_string();
    assert!(e.contains("(LIF): a time constant τ = "), "{e}");
    assert!(e.contains("shorter than the time step Δt = 1 s"), "{e}");
}

/// A device whose every cell reads exactly as programmed.
fn ideal_device() -> DeviceSpec {
    DeviceSpec {
        name: "ideal".into(),
        g_min: xbar_devices::Conductance(1e-6),
        g_max: xbar_devices::Conductance(1e-4),
        ..Default::default()
    }
}

#[test]
fn on_ideal_arrays_an_imported_snn_spikes_as_its_software_pass() {
    for name in ["conv_sumpool", "cuba_lif", "if_li"] {
        let r = reference(name);
        let graph = nir::read(&models().join(format!("{name}.nir")), &options(&r)).unwrap();
        let images: Vec<f32> = r.inputs.iter().flatten().map(|&v| v as f32).collect();
        // Small tiles, so that every weighted layer spans several.
        let mut array = ArrayConfig::new(ideal_device());
        array.tile_rows = 16;
        array.tile_cols = 8;
        let mut on_arrays = ProgrammedGraph::program(&graph, &array, 3).unwrap();
        let scores = on_arrays.logits_at(0.0, &images, 0).unwrap();
        for (image, got) in images.chunks(graph.input_shape().len()).zip(&scores) {
            let x: Vec<f64> = image.iter().map(|&v| f64::from(v)).collect();
            let want = graph.forward(&x, 0);
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-9 * scale, "{name}: {g} vs {w}");
            }
        }
    }
}

fn refusal(file: &Path) -> String {
    nir::read(file, &nir::Options::steps(4))
        .unwrap_err()
        .to_string()
}

#[test]
fn a_recurrent_edge_is_refused_at_a_node_on_the_cycle() {
    let file = models().join("refused_recurrent.nir");
    let e = refusal(&file);
    assert!(e.starts_with(&format!("{}: node '", file.display())), "{e}");
    assert!(
        e.contains(
            "closes a cycle (a recurrent connection); xbarsim imports feed-forward graphs only"
        ),
        "{e}"
    );
    assert!(e.contains("'lif'") && e.contains("'rec'"), "{e}");
}

#[test]
fn an_unsupported_node_type_is_refused_naming_it_and_what_is_supported() {
    let file = models().join("refused_delay.nir");
    assert_eq!(
        refusal(&file),
        format!(
            "{}: node 'wait' (Delay): NIR node type 'Delay' is not supported; supported: {}",
            file.display(),
            nir::SUPPORTED
        )
    );
}

#[test]
fn a_weight_that_does_not_fit_its_input_is_refused_at_its_node() {
    let file = models().join("refused_shape.nir");
    assert_eq!(
        refusal(&file),
        format!(
            "{}: node 'fc' (Affine): weight 3×4 does not fit its input of 5×1×1 (5 values)",
            file.display()
        )
    );
}

#[test]
fn damaged_files_and_bad_options_are_refused_in_one_line() {
    let dir = std::env::temp_dir().join(format!("xbar-import-nir-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(models().join("conv_avgpool.nir")).unwrap();
    for cut in [
        0,
        7,
        100,
        1000,
        bytes.len() / 2,
        bytes.len() - 200,
        bytes.len() - 3,
    ] {
        let file = dir.join(format!("cut{cut}.nir"));
        std::fs::write(&file, &bytes[..cut]).unwrap();
        match nir::read(&file, &nir::Options::steps(4)) {
            Err(e) => {
                let text = e.to_string();
                assert!(text.starts_with(&file.display().to_string()), "{text}");
                assert!(!text.contains('\n'), "{text}");
                assert!(matches!(
                    e,
                    ImportError::Model { .. } | ImportError::Node { .. }
                ));
            }
            // HDF5 keeps some metadata at the end: a file cut there may
            // still read, and then it must be the whole graph.
            Ok(g) => assert_eq!(g.nodes().len(), 8, "cut at {cut}"),
        }
    }
    let onnx = models().join("every_op.onnx");
    assert!(refusal(&onnx).starts_with(&format!(
        "{}: not a NIR file (the HDF5 does not decode",
        onnx.display()
    )));
    let missing = dir.join("absent.nir");
    assert!(refusal(&missing).starts_with(&format!("{}: cannot read", missing.display())));
    let good = models().join("dense_lif.nir");
    let mut o = nir::Options::steps(0);
    assert_eq!(
        nir::read(&good, &o).unwrap_err().to_string(),
        format!("{}: expected at least 1 time step, found 0", good.display())
    );
    o = nir::Options::steps(3);
    o.dt = -1.0;
    assert_eq!(
        nir::read(&good, &o).unwrap_err().to_string(),
        format!(
            "{}: expected a time step Δt > 0 s, found -1",
            good.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
