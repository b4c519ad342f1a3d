//! xbarsim's forward pass of imported ONNX models against onnxruntime's
//! outputs (made by `models/make_models.py`), the same models on ideal
//! arrays against the software pass, and the refusals.

use std::path::{Path, PathBuf};

use xbar_devices::DeviceSpec;
use xbar_import::{onnx, ImportError};
use xbar_training::graph::{Op, ProgrammedGraph, Shape};
use xbar_training::ArrayConfig;

fn models() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models")
}

struct Reference {
    input_shape: Shape,
    inputs: Vec<Vec<f64>>,
    outputs: Vec<Vec<f64>>,
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
    let s: Vec<usize> = v["input_shape"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap() as usize)
        .collect();
    Reference {
        input_shape: Shape::new(s[0], s[1], s[2]),
        inputs: rows("inputs"),
        outputs: rows("outputs"),
    }
}

fn arg_max(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

/// Every output within 1e-4 of onnxruntime's, relative to the largest
/// |output| of the image, and the same arg-max.
fn matches_onnxruntime(name: &str) {
    let graph = onnx::read(&models().join(format!("{name}.onnx"))).unwrap();
    let r = reference(name);
    assert_eq!(graph.input_shape(), r.input_shape);
    for (x, want) in r.inputs.iter().zip(&r.outputs) {
        let got = graph.forward(x, 0);
        assert_eq!(got.len(), want.len());
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        for (g, w) in got.iter().zip(want) {
            assert!(
                (g - w).abs() <= 1e-4 * scale,
                "{name}: {g} vs onnxruntime {w} (scale {scale})"
            );
        }
        assert_eq!(arg_max(&got), arg_max(want), "{name}: arg-max");
    }
}

#[test]
fn every_supported_op_matches_onnxruntime() {
    matches_onnxruntime("every_op");
    let graph = onnx::read(&models().join("every_op.onnx")).unwrap();
    let ops: Vec<&str> = graph.nodes().iter().map(|n| n.op.name()).collect();
    // Identity and Dropout pass through; MatMul + Add is a linear layer and
    // a per-channel shift.
    assert_eq!(
        ops,
        [
            "Conv2d",
            "ChannelAffine",
            "ChannelAffine",
            "Relu",
            "MaxPool",
            "Conv2d",
            "AvgPool",
            "Flatten",
            "Linear",
            "Relu",
            "Linear",
            "ChannelAffine"
        ]
    );
}

#[test]
fn a_residual_network_matches_onnxruntime() {
    matches_onnxruntime("residual");
    let graph = onnx::read(&models().join("residual.onnx")).unwrap();
    let adds = graph.nodes().iter().filter(|n| n.op == Op::Add).count();
    assert_eq!(adds, 2);
    // 5 convolutions on 12×12 or 6×6 outputs, one read per output pixel,
    // and the classifier once.
    assert_eq!(graph.reads_per_image(), vec![144, 144, 144, 36, 36, 36, 1]);
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
fn on_ideal_arrays_the_network_is_its_software_pass() {
    for name in ["every_op", "residual"] {
        let graph = onnx::read(&models().join(format!("{name}.onnx"))).unwrap();
        let r = reference(name);
        let images: Vec<f32> = r.inputs.iter().flatten().map(|&v| v as f32).collect();
        // Small tiles, so that every layer spans several.
        let mut array = ArrayConfig::new(ideal_device());
        array.tile_rows = 16;
        array.tile_cols = 8;
        let mut on_arrays = ProgrammedGraph::program(&graph, &array, 3).unwrap();
        let logits = on_arrays.logits_at(0.0, &images, 0).unwrap();
        for (image, got) in images.chunks(graph.input_shape().len()).zip(&logits) {
            let x: Vec<f64> = image.iter().map(|&v| f64::from(v)).collect();
            let want = graph.forward(&x, 0);
            let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() <= 1e-9 * scale, "{name}: {g} vs {w}");
            }
        }
        // Batch-norm folded: no affine follows a weighted layer any more.
        let folded = on_arrays.graph();
        assert!(folded.nodes().len() < graph.nodes().len());
    }
}

fn refusal(file: &Path) -> String {
    onnx::read(file).unwrap_err().to_string()
}

#[test]
fn unsupported_models_are_refused_naming_the_node_and_what_is_supported() {
    let group = models().join("refused_group.onnx");
    assert_eq!(
        refusal(&group),
        format!(
            "{}: node 'grouped_conv' (Conv): group = 2 is not supported (group = 1: no grouped or depthwise convolutions)",
            group.display()
        )
    );
    let sigmoid = models().join("refused_sigmoid.onnx");
    let e = refusal(&sigmoid);
    assert!(
        e.starts_with(&format!(
            "{}: node 'act' (Sigmoid): op Sigmoid is not supported (supported: Conv, Gemm",
            sigmoid.display()
        )),
        "{e}"
    );
}

#[test]
fn damaged_files_are_refused_in_one_line() {
    let dir = std::env::temp_dir().join(format!("xbar-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bytes = std::fs::read(models().join("residual.onnx")).unwrap();
    for cut in [10, bytes.len() / 2, bytes.len() - 3] {
        let file = dir.join(format!("cut{cut}.onnx"));
        std::fs::write(&file, &bytes[..cut]).unwrap();
        let e = onnx::read(&file).unwrap_err();
        let text = e.to_string();
        assert!(text.starts_with(&file.display().to_string()), "{text}");
        assert!(!text.contains('\n'), "{text}");
        assert!(matches!(
            e,
            ImportError::Model { .. } | ImportError::Node { .. }
        ));
    }
    let missing = dir.join("absent.onnx");
    assert!(refusal(&missing).starts_with(&format!("{}: cannot read", missing.display())));
    std::fs::remove_dir_all(&dir).unwrap();
}
