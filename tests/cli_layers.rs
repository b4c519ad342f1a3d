//! Networks described layer by layer through the command line: a
//! convolutional spiking network trained by `train` from a config's
//! `[network] layers`, written as a graph file and evaluated on arrays by
//! `evaluate`; and the refusals before anything is written.

mod common;

use std::path::Path;

use common::{fails, sidecar, write};

const CONV_SNN: &str = r#"
[network]
kind = "spiking"
steps = 4
beta = 0.9
encoding = "direct"
layers = [
  { op = "conv2d", channels = 4, kernel = 5, stride = 2 },
  { op = "lif" },
  { op = "maxpool", kernel = 2 },
  { op = "residual", layers = [{ op = "conv2d", channels = 4, kernel = 3, padding = 1 }, { op = "lif" }] },
  { op = "flatten" },
  { op = "linear", outputs = 10 },
  { op = "lif", threshold = 0.5 },
]

[training]
epochs = 2
batch_size = 32
optimizer = { learning_rate = 5e-3 }
"#;

fn train(dir: &Path, config: &str, extra: &[&str]) -> std::process::Output {
    write(dir, "net.toml", config);
    let mut args = vec![
        "train",
        "--config",
        "net.toml",
        "--train-limit",
        "600",
        "--test-limit",
        "200",
        "--output",
        "m.safetensors",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    common::xbarsim(dir).args(&args).output().unwrap()
}

#[test]
fn a_conv_snn_from_layers_trains_and_its_file_evaluates_on_arrays() {
    let dir = tempfile::tempdir().unwrap();
    let out = train(dir.path(), CONV_SNN, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("network of 7 layers"), "{stderr}");
    let side = sidecar(&dir.path().join("m.safetensors"));
    let trained = side["parameters"]["final_test_accuracy"].as_f64().unwrap();
    // 10 classes: chance is 0.1; 2 epochs on 600 images reach well above.
    assert!(trained > 0.4, "{trained}");
    let bytes = std::fs::read(dir.path().join("m.safetensors")).unwrap();
    let (model, meta) = xbar_training::model::load(&bytes).unwrap();
    assert_eq!(meta["format"], "xbarsim-graph");
    // conv (4·25+4) + conv (4·4·9+4) + linear (4·6·6·10+10).
    assert_eq!(model.parameter_count(), 104 + 148 + 1450);

    let status = common::xbarsim(dir.path())
        .args([
            "evaluate",
            "--model",
            "m.safetensors",
            "--device",
            "ideal",
            "--test-limit",
            "200",
            "--times",
            "0",
            "--instances",
            "1",
            "--output",
            "acc.csv",
            "--no-progress",
        ])
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let eval = sidecar(&dir.path().join("acc.csv"));
    let p = &eval["parameters"];
    assert_eq!(p["network"]["graph"]["steps"], 4);
    // Direct input: the same images give the same software accuracy as
    // training's last test, bit for bit.
    assert_eq!(p["software_accuracy"].as_f64().unwrap(), trained);
    let csv = std::fs::read_to_string(dir.path().join("acc.csv")).unwrap();
    let row: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "accuracy_pct").unwrap();
    // An ideal device at t = 0: the arrays compute the software network.
    let on_arrays: f64 = row[col].parse().unwrap();
    assert!((on_arrays - 100.0 * trained).abs() < 1.0, "{csv}");
}

#[test]
fn layers_that_do_not_fit_the_images_are_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let bad = CONV_SNN.replace("kernel = 5, stride = 2", "kernel = 29");
    write(dir.path(), "net.toml", &bad);
    let err = fails(
        dir.path(),
        &["train", "--config", "net.toml", "--output", "m.safetensors"],
    );
    assert!(err.contains("network.layers"), "{err}");
    assert!(err.contains("node '1' (Conv2d)"), "{err}");
    assert!(err.contains("1×28×28"), "{err}");
    assert!(!dir.path().join("m.safetensors").exists());
    // Sizes and layers together: which network is meant?
    let err = fails(
        dir.path(),
        &[
            "train",
            "--config",
            "net.toml",
            "--hidden",
            "64",
            "--output",
            "m.safetensors",
        ],
    );
    assert!(
        err.contains("either sizes") && err.contains("or layers"),
        "{err}"
    );
    assert!(!dir.path().join("m.safetensors").exists());
}
