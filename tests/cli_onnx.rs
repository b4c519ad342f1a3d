//! Imported ONNX models through the command line: the example CNN on its
//! `.npz` test images and on the full MNIST, and every refusal before
//! anything is written.

mod common;
#[path = "../training/tests/common/mod.rs"]
mod mnist;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::{fails, ok, sidecar, write};

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/onnx")
        .join(name)
}

fn recorded() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(example("mnist-cnn.json")).unwrap()).unwrap()
}

/// `evaluate` of the example CNN; returns the sidecar.
fn evaluate(dir: &Path, data: &str, extra: &[&str]) -> serde_json::Value {
    let model = example("mnist-cnn.onnx");
    let mut args = vec![
        "evaluate",
        "--model",
        model.to_str().unwrap(),
        "--device",
        "ibm-pcm",
        "--data",
        data,
        "--output",
        "acc.csv",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    // `evaluate` says what it evaluates on stderr.
    common::xbarsim(dir).args(&args).assert().success();
    sidecar(&dir.join("acc.csv"))
}

#[test]
fn the_example_cnn_classifies_its_npz_images_as_onnxruntime_does() {
    let dir = tempfile::tempdir().unwrap();
    let npz = example("mnist-test-500.npz");
    let side = evaluate(dir.path(), npz.to_str().unwrap(), &["--times", "1,86400"]);
    let p = &side["parameters"];
    let want = recorded()["onnxruntime_first_500_accuracy"]
        .as_f64()
        .unwrap();
    assert_eq!(p["software_accuracy"].as_f64().unwrap(), want);
    assert_eq!(p["test_images"], 500);
    assert_eq!(
        p["network"]["graph"]["input"],
        serde_json::json!([1, 28, 28])
    );
    // Conv 14×14 and 7×7 output pixels, one classifier read.
    assert_eq!(
        p["network"]["graph"]["reads_per_image"],
        serde_json::json!([196, 49, 1])
    );
    let csv = std::fs::read_to_string(dir.path().join("acc.csv")).unwrap();
    let day: Vec<&str> = csv.lines().nth(2).unwrap().split(',').collect();
    // PCM a day after programming, with drift compensation: within two
    // points of software (3 instances of 500 images).
    let accuracy: f64 = day[5].parse().unwrap();
    assert!(accuracy > 100.0 * want - 2.0 && accuracy <= 100.0, "{csv}");
}

#[test]
fn on_the_full_mnist_the_example_cnn_scores_what_onnxruntime_scores() {
    let Some(mnist) =
        mnist::full_mnist("on_the_full_mnist_the_example_cnn_scores_what_onnxruntime_scores")
    else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let side = evaluate(
        dir.path(),
        mnist.to_str().unwrap(),
        &["--times", "86400", "--instances", "1"],
    );
    let want = recorded()["onnxruntime_test_accuracy"].as_f64().unwrap();
    let got = side["parameters"]["software_accuracy"].as_f64().unwrap();
    // f64 here, f32 in onnxruntime: at most one image of 10 000 may flip.
    assert!((got - want).abs() <= 1e-4, "{got} vs onnxruntime {want}");
}

/// A `.npy` array (format 1.0) of `descr` with `shape`, from raw bytes.
fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

fn npz(dir: &Path, name: &str, arrays: &[(&str, Vec<u8>)]) -> PathBuf {
    let path = dir.join(name);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (key, bytes) in arrays {
        zip.start_file(
            format!("{key}.npy"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(bytes).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// Exit 2, one line, and nothing written.
fn refused(dir: &Path, data: &str, model: &str) -> String {
    let line = fails(
        dir,
        &[
            "evaluate", "--model", model, "--device", "ibm-pcm", "--data", data, "--output",
            "acc.csv",
        ],
    );
    assert!(!dir.join("acc.csv").exists());
    assert!(!dir.join("acc.csv.json").exists());
    line
}

#[test]
fn data_that_does_not_fit_the_model_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let model = example("mnist-cnn.onnx");
    let model = model.to_str().unwrap();
    // Colour 8×8 images for a 1×28×28 network.
    let colour = npz(
        d,
        "colour.npz",
        &[
            ("images", npy("|u1", &[2, 3, 8, 8], &[0; 2 * 3 * 64])),
            ("labels", npy("|u1", &[2], &[1, 2])),
        ],
    );
    let e = refused(d, colour.to_str().unwrap(), model);
    assert!(
        e.contains("the images are 3×8×8 (C×H×W) but the network takes 1×28×28"),
        "{e}"
    );
    // A label the ten outputs cannot give.
    let labels = npz(
        d,
        "labels.npz",
        &[
            ("images", npy("<f4", &[1, 28, 28], &[0; 4 * 784])),
            ("labels", npy("<i8", &[1], &12i64.to_le_bytes())),
        ],
    );
    let e = refused(d, labels.to_str().unwrap(), model);
    assert!(
        e.contains("a label is 12 but the network has 10 outputs"),
        "{e}"
    );
    // No labels at all.
    let unlabelled = npz(
        d,
        "unlabelled.npz",
        &[("images", npy("|u1", &[1, 28, 28], &[0; 784]))],
    );
    let e = refused(d, unlabelled.to_str().unwrap(), model);
    assert!(e.contains("unlabelled.npz: has no array 'labels'"), "{e}");
    // One label per image.
    let short = npz(
        d,
        "short.npz",
        &[
            ("images", npy("|u1", &[2, 28, 28], &[0; 2 * 784])),
            ("labels", npy("|u1", &[1], &[3])),
        ],
    );
    let e = refused(d, short.to_str().unwrap(), model);
    assert!(e.contains("'labels' has shape [1]; expected [2]"), "{e}");
    let junk = write(d, "junk.npz", "not a zip");
    let e = refused(d, junk.to_str().unwrap(), model);
    assert!(e.contains("junk.npz: not a NumPy .npz (zip) file"), "{e}");
}

#[test]
fn damaged_and_unsupported_models_are_refused_naming_the_file_and_node() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let npz = example("mnist-test-500.npz");
    let npz = npz.to_str().unwrap();
    let bytes = std::fs::read(example("mnist-cnn.onnx")).unwrap();
    std::fs::write(d.join("cut.onnx"), &bytes[..bytes.len() / 3]).unwrap();
    let e = refused(d, npz, "cut.onnx");
    assert!(e.contains("cut.onnx"), "{e}");
    let grouped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("import/tests/models/refused_group.onnx");
    let e = refused(d, npz, grouped.to_str().unwrap());
    assert!(
        e.contains("node 'grouped_conv' (Conv): group = 2 is not supported"),
        "{e}"
    );
}

#[test]
fn an_onnx_cnn_is_costed_per_output_pixel_with_the_accuracy_of_its_evaluation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let npz = example("mnist-test-500.npz");
    let model = example("mnist-cnn.onnx");
    let run = |command: &str, times: &str, output: &str| {
        common::xbarsim(d)
            .args([
                command,
                "--model",
                model.to_str().unwrap(),
                "--device",
                "ibm-pcm",
                "--data",
                npz.to_str().unwrap(),
                times,
                "86400",
                "--instances",
                "2",
                "--output",
                output,
            ])
            .assert()
            .success();
        std::fs::read_to_string(d.join(output)).unwrap()
    };
    let cost = run("cost", "--time", "cost.csv");
    let acc = run("evaluate", "--times", "acc.csv");
    let column = |csv: &str, name: &str| -> Vec<f64> {
        let mut lines = csv.lines();
        let k = lines
            .next()
            .unwrap()
            .split(',')
            .position(|c| c == name)
            .unwrap();
        lines
            .map(|l| l.split(',').nth(k).unwrap().parse().unwrap())
            .collect()
    };
    // The probe only watches: the same reads give the same accuracy.
    assert_eq!(column(&cost, "accuracy_pct"), column(&acc, "accuracy_pct"));
    // 2·k·k·C_in·C_out·H_out·W_out per convolution, 2·in·out for the
    // classifier: 2·25·8·196 + 2·72·16·49 + 2·144·10.
    assert_eq!(column(&cost, "ops_per_inference"), vec![194_176.0]);
    let energy = column(&cost, "energy_per_inference_J");
    assert!(energy.iter().all(|&e| e > 1e-10 && e < 1e-6), "{energy:?}");
}

#[test]
fn a_config_runs_an_onnx_model_on_its_npz_images() {
    let dir = tempfile::tempdir().unwrap();
    let config = example("cnn-drift.toml");
    let out = dir.path().join("out");
    ok(
        dir.path(),
        &[
            "run",
            config.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let table = std::fs::read_to_string(out.join("results.csv")).unwrap();
    // 2 devices × 3 times.
    assert_eq!(table.lines().count(), 1 + 6, "{table}");
    assert!(out.join("figures/accuracy.svg").is_file());
}
