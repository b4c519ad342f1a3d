//! Imported NIR models (snnTorch's `export_to_nir`) through the command
//! line: the example convolutional SNN on its `.npz` test images, and every
//! refusal before anything is written.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, sidecar};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
}

fn recorded() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(example("nir/mnist-csnn.json")).unwrap()).unwrap()
}

fn model() -> String {
    example("nir/mnist-csnn.nir").to_str().unwrap().to_string()
}

fn npz() -> String {
    example("onnx/mnist-test-500.npz")
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn the_example_conv_snn_classifies_its_npz_images_as_snntorch_does() {
    let dir = tempfile::tempdir().unwrap();
    let (model, npz) = (model(), npz());
    let steps = recorded()["steps"].as_u64().unwrap().to_string();
    common::xbarsim(dir.path())
        .args([
            "evaluate",
            "--model",
            &model,
            "--steps",
            &steps,
            "--device",
            "ibm-pcm",
            "--data",
            &npz,
            "--times",
            "1,86400",
            "--instances",
            "2",
            "--output",
            "acc.csv",
            "--no-progress",
        ])
        .assert()
        .success();
    let side = sidecar(&dir.path().join("acc.csv"));
    let p = &side["parameters"];
    let want = recorded()["snntorch_first_500_accuracy"].as_f64().unwrap();
    // The same spike counts as snnTorch's forward pass: the same accuracy.
    assert_eq!(p["software_accuracy"].as_f64().unwrap(), want);
    assert!(want > 0.85, "the example network learnt: {want}");
    assert_eq!(p["test_images"], 500);
    assert_eq!(
        p["network"]["graph"]["input"],
        serde_json::json!([1, 28, 28])
    );
    // The convolution's 14×14 output pixels, one classifier read (per step).
    assert_eq!(
        p["network"]["graph"]["reads_per_image"],
        serde_json::json!([196, 1])
    );
    let csv = std::fs::read_to_string(dir.path().join("acc.csv")).unwrap();
    let day: Vec<&str> = csv.lines().nth(2).unwrap().split(',').collect();
    // PCM a day after programming, with drift compensation: near software.
    let accuracy: f64 = day[5].parse().unwrap();
    assert!(accuracy > 100.0 * want - 5.0 && accuracy <= 100.0, "{csv}");
}

/// Exit 2, one line, and nothing written.
fn refused(dir: &Path, model: &str, extra: &[&str]) -> String {
    let npz = npz();
    let mut args = vec![
        "evaluate", "--model", model, "--device", "ibm-pcm", "--data", &npz, "--output", "acc.csv",
    ];
    args.extend_from_slice(extra);
    let line = fails(dir, &args);
    assert!(!dir.join("acc.csv").exists());
    assert!(!dir.join("acc.csv.json").exists());
    line
}

#[test]
fn bad_models_and_time_settings_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = model();
    let e = refused(d, &model, &["--steps", "0"]);
    assert!(
        e.contains("--steps") && e.contains("expected a whole number ≥ 1, found `0`"),
        "{e}"
    );
    let e = refused(d, &model, &["--dt", "-1e-4"]);
    assert!(
        e.contains("--dt") && e.contains("expected a time step > 0 s, found -0.0001"),
        "{e}"
    );
    // A time step longer than the neurons' time constant.
    let e = refused(d, &model, &["--dt", "0.5"]);
    assert!(
        e.contains("(LIF): a time constant τ = ") && e.contains("Δt = 0.5 s"),
        "{e}"
    );
    // Steps for a model that has none.
    let onnx = example("onnx/mnist-cnn.onnx");
    let e = refused(d, onnx.to_str().unwrap(), &["--steps", "8"]);
    assert!(
        e.contains("--steps") && e.contains("only a `.nir` model"),
        "{e}"
    );
    // A damaged file, a recurrent graph, a node type xbarsim does not run.
    let bytes = std::fs::read(&model).unwrap();
    std::fs::write(d.join("cut.nir"), &bytes[..bytes.len() / 3]).unwrap();
    let e = refused(d, "cut.nir", &[]);
    assert!(e.contains("cut.nir"), "{e}");
    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("import/tests/models");
    let rec = models.join("refused_recurrent.nir");
    let e = refused(d, rec.to_str().unwrap(), &[]);
    assert!(e.contains("closes a cycle (a recurrent connection)"), "{e}");
    let delay = models.join("refused_delay.nir");
    let e = refused(d, delay.to_str().unwrap(), &[]);
    assert!(
        e.contains("node 'wait' (Delay): NIR node type 'Delay' is not supported"),
        "{e}"
    );
    // A network on 16 inputs for 28×28 images.
    let dense = models.join("dense_lif.nir");
    let e = refused(d, dense.to_str().unwrap(), &[]);
    assert!(e.contains("but the network takes 16×1×1"), "{e}");
}
