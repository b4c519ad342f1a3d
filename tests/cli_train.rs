//! Integration tests of `xbarsim train`, `xbarsim evaluate` and
//! `xbarsim train-insitu` on the built-in MNIST subset, with settings small
//! enough for the dev profile: the model file (safetensors header, tensor
//! shapes, metadata), the history CSV, the JSON sidecars, reproducibility,
//! accuracies that an untrained network (~0.1) cannot reach, the ideal
//! device reproducing software accuracy exactly, drift, IR drop, converters,
//! TOML configuration, and every kind of bad input (exit code 2, one
//! `error: ` line naming what is wrong, no file created or changed).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use tempfile::TempDir;

mod common;
use common::{assert_no_temporaries, fails, sidecar, xbarsim, TINY};

/// History and accuracy tables are one-point runs of the experiment kinds
/// `insitu-training` and `inference-drift`: the run columns, then the
/// kind's outputs (percentages, read back here as fractions).
const HISTORY_HEADER: &str =
    "point,repeat,seed,epoch,train_loss,train_accuracy_pct,test_accuracy_pct,training_time_s,write_pulses,write_energy_J,write_time_s";
const ACCURACY_HEADER: &str = "point,repeat,seed,time_s,instances,accuracy_pct,accuracy_std_pct,accuracy_min_pct,accuracy_max_pct,software_accuracy_pct";

/// Equal up to the rounding of a percentage written as CSV and read back.
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12
}

/// Settings that learn: 2 epochs on 2000 images, 64 hidden units. Observed
/// test accuracy 0.76–0.80 on 1000 images over seeds 1–6, 0.815 on the first
/// 200 test images with seed 1.
const LEARNS: &[&str] = &[
    "--train-limit",
    "2000",
    "--test-limit",
    "200",
    "--epochs",
    "2",
    "--hidden",
    "64",
    "--steps",
    "8",
    "--lr",
    "2e-3",
    // The network and schedule these tests were written for (the command's
    // defaults before they became the kinds').
    "--encoding",
    "direct",
    "--readout",
    "membrane",
    "--schedule",
    "cosine",
    "--no-progress",
];

/// Fast evaluation settings (same 200 test images as `LEARNS`).
const EVAL: &[&str] = &[
    "--instances",
    "2",
    "--times",
    "1,86400",
    "--test-limit",
    "200",
    "--no-progress",
];

/// Runs `xbarsim ARGS` in `dir`, expects success; returns (stdout, stderr).
fn run_ok(dir: &Path, args: &[&str]) -> (String, String) {
    let out = xbarsim(dir)
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// `xbarsim train EXTRA --output NAME` in `dir`.
fn train(dir: &Path, name: &str, extra: &[&str]) -> (String, String) {
    let mut args = vec!["train"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--output", name]);
    run_ok(dir, &args)
}

/// `xbarsim evaluate --model MODEL EXTRA --output NAME` in `dir`; returns
/// stderr.
fn evaluate(dir: &Path, model: &str, name: &str, extra: &[&str]) -> String {
    let mut args = vec!["evaluate", "--model", model];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--output", name]);
    run_ok(dir, &args).1
}

/// A CSV with `header`; returns its rows as numbers, without the run
/// columns `point`, `repeat` (both 0) and `seed`, `_pct` columns as
/// fractions.
fn read_csv(path: &Path, header: &str) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some(header), "{}", path.display());
    let names: Vec<&str> = header.split(',').collect();
    lines
        .map(|line| {
            let row: Vec<f64> = line
                .split(',')
                .zip(&names)
                .map(|(f, name)| {
                    let x: f64 = f.parse().unwrap_or_else(|_| panic!("{line}"));
                    assert!(x.is_finite(), "{line}");
                    if name.ends_with("_pct") {
                        x / 100.0
                    } else {
                        x
                    }
                })
                .collect();
            assert_eq!(row.len(), names.len(), "{line}");
            assert_eq!((row[0], row[1]), (0.0, 0.0), "{line}");
            row[3..].to_vec()
        })
        .collect()
}

/// One row of an `evaluate` CSV.
#[derive(Debug)]
struct Accuracy {
    time: f64,
    instances: f64,
    mean: f64,
    std: f64,
    min: f64,
    max: f64,
    software: f64,
}

/// Reads an `evaluate` CSV and checks every row is a consistent summary of
/// `instances` accuracies in [0, 1].
fn read_accuracy(path: &Path, instances: usize) -> Vec<Accuracy> {
    read_csv(path, ACCURACY_HEADER)
        .into_iter()
        .map(|r| {
            let a = Accuracy {
                time: r[0],
                instances: r[1],
                mean: r[2],
                std: r[3],
                min: r[4],
                max: r[5],
                software: r[6],
            };
            assert_eq!(a.instances, instances as f64, "{a:?}");
            assert!(
                (0.0..=1.0).contains(&a.min)
                    && (0.0..=1.0).contains(&a.max)
                    && a.min <= a.mean + 1e-12
                    && a.mean <= a.max + 1e-12
                    && a.std >= 0.0,
                "{a:?}"
            );
            a
        })
        .collect()
}

/// The JSON header of a safetensors file (8-byte little-endian length, then
/// JSON); also checks the data section is exactly as long as the tensors.
fn safetensors_header(path: &Path) -> serde_json::Value {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 8, "{}", path.display());
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    assert!(8 + n <= bytes.len(), "header length {n}");
    let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    let end = header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .map(|(_, t)| t["data_offsets"][1].as_u64().unwrap() as usize)
        .max()
        .unwrap();
    assert_eq!(8 + n + end, bytes.len(), "data section length");
    header
}

/// The tensor data of a safetensors file (everything after the header).
fn tensor_bytes(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let n = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    bytes[8 + n..].to_vec()
}

fn shape(header: &serde_json::Value, tensor: &str) -> Vec<u64> {
    header[tensor]["shape"]
        .as_array()
        .unwrap_or_else(|| panic!("no tensor {tensor}"))
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect()
}

fn sizes(sidecar: &serde_json::Value) -> Vec<u64> {
    sidecar["parameters"]["network"]["sizes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_u64().unwrap())
        .collect()
}

fn f64_at(value: &serde_json::Value, path: &[&str]) -> f64 {
    let mut v = value;
    for key in path {
        v = &v[*key];
    }
    v.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number: {v}"))
}

/// `software accuracy XX.XX %` from evaluate's stderr, as a fraction.
fn printed_software_accuracy(stderr: &str) -> f64 {
    let rest = stderr
        .split("software accuracy ")
        .nth(1)
        .unwrap_or_else(|| panic!("no software accuracy in {stderr:?}"));
    let percent: f64 = rest.split(" %").next().unwrap().trim().parse().unwrap();
    percent / 100.0
}

/// Every file in `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.file_type().unwrap().is_file() {
                std::fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

/// Runs `args` in `dir`, expects exit code 2 with one `error: ` line, and
/// that no file in `dir` was created, removed or changed; returns the line.
fn fails_cleanly(dir: &Path, args: &[&str]) -> String {
    let before = snapshot(dir);
    let message = fails(dir, args);
    assert_no_temporaries(dir);
    let after = snapshot(dir);
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "files created or removed by {args:?}"
    );
    assert!(before == after, "files changed by {args:?}");
    message
}

// ------------------------------------------------------------------ train

#[test]
fn train_writes_a_model_a_history_and_a_sidecar_and_learns() {
    let dir = TempDir::new().unwrap();
    let mut args = LEARNS.to_vec();
    args.extend_from_slice(&["--seed", "5", "--history", "history.csv"]);
    let (stdout, stderr) = train(dir.path(), "model.safetensors", &args);
    assert!(
        stdout.contains("model written to model.safetensors"),
        "{stdout}"
    );
    // --no-progress: a summary line and one line per epoch.
    assert_eq!(stderr.lines().count(), 3, "{stderr}");

    // History: one row per epoch, loss falling, accuracies in [0, 1].
    let rows = read_csv(&dir.path().join("history.csv"), HISTORY_HEADER);
    assert_eq!(rows.len(), 2);
    for (k, row) in rows.iter().enumerate() {
        assert_eq!(row[0], (k + 1) as f64, "{row:?}");
        assert!(row[1] > 0.0, "{row:?}");
        assert!((0.0..=1.0).contains(&row[2]), "{row:?}");
        assert!((0.0..=1.0).contains(&row[3]), "{row:?}");
        // No device time model in software training, and no writes.
        assert_eq!(row[4], 0.0, "{row:?}");
        assert_eq!(&row[5..], &[0.0, 0.0, 0.0], "{row:?}");
        assert_eq!(row.len(), 8, "{row:?}");
    }
    assert!(rows[1][1] < rows[0][1], "loss did not fall: {rows:?}");
    let final_accuracy = rows[1][3];
    // An untrained network scores ~0.1; observed 0.815.
    assert!(final_accuracy > 0.70, "test accuracy {final_accuracy}");

    // Sidecar: program, version, seed, settings, final accuracy.
    let model = dir.path().join("model.safetensors");
    let side = sidecar(&model);
    assert_eq!(side["program"], "xbarsim");
    assert_eq!(side["command"], "train");
    assert_eq!(side["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(side["parameters"]["seed"], 5);
    assert_eq!(side["parameters"]["training"]["epochs"], 2);
    assert_eq!(side["parameters"]["train_images"], 2000);
    assert_eq!(side["parameters"]["test_images"], 200);
    assert_eq!(sizes(&side), [784, 64, 10]);
    assert!(close(
        f64_at(&side, &["parameters", "final_test_accuracy"]),
        final_accuracy
    ));

    // Model: safetensors with the layer tensors and xbarsim metadata.
    let header = safetensors_header(&model);
    assert_eq!(shape(&header, "layers.0.weight"), [64, 784]);
    assert_eq!(shape(&header, "layers.0.bias"), [64]);
    assert_eq!(shape(&header, "layers.1.weight"), [10, 64]);
    assert_eq!(shape(&header, "layers.1.bias"), [10]);
    assert_eq!(header["__metadata__"]["format"], "xbarsim-network");
    assert_eq!(
        header["__metadata__"]["xbarsim_version"],
        env!("CARGO_PKG_VERSION")
    );
    assert_no_temporaries(dir.path());
}

#[test]
fn same_seed_gives_the_same_weights_and_another_seed_different_ones() {
    let dir = TempDir::new().unwrap();
    let with_seed = |seed: &'static str| {
        let mut args = TINY.to_vec();
        args.extend_from_slice(&["--seed", seed]);
        args
    };
    train(dir.path(), "a.safetensors", &with_seed("3"));
    train(dir.path(), "b.safetensors", &with_seed("3"));
    train(dir.path(), "c.safetensors", &with_seed("4"));
    let weights = |name: &str| tensor_bytes(&dir.path().join(name));
    assert!(weights("a.safetensors") == weights("b.safetensors"));
    assert!(weights("a.safetensors") != weights("c.safetensors"));
    assert_eq!(
        sidecar(&dir.path().join("c.safetensors"))["parameters"]["seed"],
        4
    );
}

#[test]

fn same_seed_gives_a_byte_identical_model_file() {
    let dir = TempDir::new().unwrap();
    let mut args = TINY.to_vec();
    args.extend_from_slice(&["--seed", "3"]);
    train(dir.path(), "a.safetensors", &args);
    train(dir.path(), "b.safetensors", &args);
    let a = std::fs::read(dir.path().join("a.safetensors")).unwrap();
    let b = std::fs::read(dir.path().join("b.safetensors")).unwrap();
    assert!(a == b, "same seed, different model files");
}

#[test]
fn a_config_file_is_honoured_and_flags_override_it() {
    let dir = TempDir::new().unwrap();
    std::fs::write(
        dir.path().join("train.toml"),
        "[network]\nsizes = [784, 40, 10]\n[training]\nepochs = 1\n",
    )
    .unwrap();
    let small = [
        "--train-limit",
        "600",
        "--test-limit",
        "200",
        "--steps",
        "8",
        "--no-progress",
    ];
    let mut args = vec!["--config", "train.toml", "--history", "h.csv"];
    args.extend_from_slice(&small);
    train(dir.path(), "cfg.safetensors", &args);
    let model = dir.path().join("cfg.safetensors");
    let side = sidecar(&model);
    assert_eq!(sizes(&side), [784, 40, 10]);
    assert_eq!(side["parameters"]["training"]["epochs"], 1);
    let from = side["parameters"]["settings_from"].to_string();
    assert!(from.contains("train.toml"), "{from}");
    assert_eq!(
        shape(&safetensors_header(&model), "layers.0.weight"),
        [40, 784]
    );
    assert_eq!(read_csv(&dir.path().join("h.csv"), HISTORY_HEADER).len(), 1);

    // --hidden beats the file's sizes.
    let mut args = vec!["--config", "train.toml", "--hidden", "20"];
    args.extend_from_slice(&small);
    train(dir.path(), "flag.safetensors", &args);
    let model = dir.path().join("flag.safetensors");
    assert_eq!(sizes(&sidecar(&model)), [784, 20, 10]);
    assert_eq!(
        shape(&safetensors_header(&model), "layers.0.weight"),
        [20, 784]
    );
}

// --------------------------------------------------------------- evaluate

#[test]
fn the_ideal_device_reproduces_software_accuracy_and_pcm_drifts_in_order() {
    let dir = TempDir::new().unwrap();
    train(dir.path(), "model.safetensors", LEARNS);
    let trained = f64_at(
        &sidecar(&dir.path().join("model.safetensors")),
        &["parameters", "final_test_accuracy"],
    );

    // Ideal device, no wire resistance: exactly the software accuracy.
    let mut args = vec!["--device", "ideal"];
    args.extend_from_slice(EVAL);
    let stderr = evaluate(dir.path(), "model.safetensors", "acc.csv", &args);
    let acc = dir.path().join("acc.csv");
    let side = sidecar(&acc);
    assert_eq!(side["command"], "evaluate");
    assert_eq!(side["version"], env!("CARGO_PKG_VERSION"));
    let software = f64_at(&side, &["parameters", "software_accuracy"]);
    assert!(software > 0.70, "software accuracy {software}");
    // Same network, same 200 test images as at the end of training.
    assert_eq!(software, trained);
    assert!(
        (printed_software_accuracy(&stderr) - software).abs() < 5e-5,
        "{stderr}"
    );
    let rows = read_accuracy(&acc, 2);
    let times: Vec<f64> = rows.iter().map(|r| r.time).collect();
    assert_eq!(times, [1.0, 86400.0]);
    for r in &rows {
        assert!(
            close(r.mean, software) && close(r.software, software),
            "{r:?}"
        );
        assert!(
            close(r.min, software) && close(r.max, software) && r.std == 0.0,
            "{r:?}"
        );
    }

    // PCM: rows in the order of --times; a year of drift does not improve on
    // software (beyond the sampling noise of 200 images).
    let args = [
        "--device",
        "ibm-pcm",
        "--instances",
        "2",
        "--times",
        "1,3.15e7,86400",
        "--test-limit",
        "200",
        "--no-progress",
    ];
    evaluate(dir.path(), "model.safetensors", "pcm.csv", &args);
    let rows = read_accuracy(&dir.path().join("pcm.csv"), 2);
    let times: Vec<f64> = rows.iter().map(|r| r.time).collect();
    assert_eq!(times, [1.0, 3.15e7, 86400.0]);
    assert!(
        rows[1].mean <= software + 0.02,
        "{:?} vs {software}",
        rows[1]
    );
    for r in &rows {
        // Programming and read noise cost a little, not everything.
        assert!(r.mean > software - 0.15, "{r:?} vs {software}");
    }
    let side = sidecar(&dir.path().join("pcm.csv"));
    assert_eq!(side["device"]["source"], "library:ibm-pcm");
    assert_no_temporaries(dir.path());
}

#[test]
fn ir_drop_and_converters_run_and_cost_what_they_should() {
    let dir = TempDir::new().unwrap();
    train(dir.path(), "model.safetensors", LEARNS);
    let run = |name: &str, extra: &[&str]| {
        let mut args = vec!["--device", "ideal"];
        args.extend_from_slice(EVAL);
        args.extend_from_slice(extra);
        evaluate(dir.path(), "model.safetensors", name, &args);
        let rows = read_accuracy(&dir.path().join(name), 2);
        assert_eq!(rows.len(), 2, "{name}");
        rows
    };
    let ideal = run("ideal.csv", &[])[0].mean;
    let tiles = ["--tile-rows", "64", "--tile-cols", "64"];

    // IR drop, 5 Ω per segment on 64×64 tiles of 1–10 µS cells: small.
    let mut args = vec!["--r-wordline", "5", "--r-bitline", "5"];
    args.extend_from_slice(&tiles);
    for r in run("ir5.csv", &args) {
        assert!((r.mean - ideal).abs() <= 0.05, "{r:?} vs {ideal}");
    }
    let side = sidecar(&dir.path().join("ir5.csv"));
    assert_eq!(
        f64_at(&side, &["parameters", "array", "wires", "r_wordline_ohm"]),
        5.0
    );
    assert_eq!(side["parameters"]["array"]["tile_cols"], 64);
    // 500 Ω per segment: the wires dominate and accuracy collapses
    // (observed 0.205 against 0.815), so the IR-drop path is really taken.
    let mut args = vec!["--r-wordline", "500", "--r-bitline", "500"];
    args.extend_from_slice(&tiles);
    for r in run("ir500.csv", &args) {
        assert!(r.mean < ideal - 0.2, "{r:?} vs {ideal}");
    }

    // Converters: 4-bit ADC and DAC run; 8-bit ADC is nearly ideal; a 2-bit
    // ADC (four levels per column) costs a lot (observed 0.105).
    let rows = run("adc4.csv", &["--adc-bits", "4", "--dac-bits", "4"]);
    let side = sidecar(&dir.path().join("adc4.csv"));
    assert_eq!(side["parameters"]["array"]["adc_bits"], 4);
    assert_eq!(side["parameters"]["array"]["dac_bits"], 4);
    assert!(rows.iter().all(|r| (0.0..=1.0).contains(&r.mean)));
    for r in run("adc8.csv", &["--adc-bits", "8"]) {
        assert!((r.mean - ideal).abs() <= 0.05, "{r:?} vs {ideal}");
    }
    for r in run("adc2.csv", &["--adc-bits", "2"]) {
        assert!(r.mean < ideal - 0.1, "{r:?} vs {ideal}");
    }
    assert_no_temporaries(dir.path());
}

// ----------------------------------------------------------- train-insitu

#[test]
fn insitu_training_on_the_ideal_device_learns_and_evaluate_reads_it() {
    let dir = TempDir::new().unwrap();
    let (show, _) = run_ok(dir.path(), &["device", "show", "ideal"]);
    assert!(
        show.contains("[pulse]"),
        "ideal has no pulse model:\n{show}"
    );

    let args = [
        "train-insitu",
        "--device",
        "ideal",
        "--train-limit",
        "1000",
        "--test-limit",
        "200",
        "--epochs",
        "1",
        "--hidden",
        "32",
        "--steps",
        "8",
        "--encoding",
        "direct",
        "--readout",
        "membrane",
        "--no-progress",
        "--history",
        "h.csv",
        "--output",
        "insitu.safetensors",
    ];
    let (stdout, _) = run_ok(dir.path(), &args);
    assert!(stdout.contains("insitu.safetensors"), "{stdout}");
    let model = dir.path().join("insitu.safetensors");
    let side = sidecar(&model);
    assert_eq!(side["command"], "train-insitu");
    assert_eq!(side["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(side["parameters"]["device"]["spec"]["name"], "ideal");
    assert_eq!(sizes(&side), [784, 32, 10]);
    let accuracy = f64_at(&side, &["parameters", "final_test_accuracy"]);
    // Untrained: ~0.1. Observed 0.435–0.62 over seeds 1–8 (0.51 with seed 1).
    assert!(accuracy > 0.30, "in-situ test accuracy {accuracy}");
    let rows = read_csv(&dir.path().join("h.csv"), HISTORY_HEADER);
    assert_eq!(rows.len(), 1);
    assert!(close(rows[0][3], accuracy), "{rows:?} vs {accuracy}");
    // In-situ training wrote the arrays: pulses, their energy and time.
    assert!(
        rows[0][5] > 0.0 && rows[0][6] > 0.0 && rows[0][7] > 0.0,
        "{rows:?}"
    );
    assert_eq!(
        shape(&safetensors_header(&model), "layers.0.weight"),
        [32, 784]
    );

    // The arrays are noiseless: evaluating on the ideal device gives back the
    // accuracy measured on them at the end of training.
    let mut args = vec!["--device", "ideal"];
    args.extend_from_slice(EVAL);
    evaluate(dir.path(), "insitu.safetensors", "acc.csv", &args);
    let acc = dir.path().join("acc.csv");
    assert_eq!(
        f64_at(&sidecar(&acc), &["parameters", "software_accuracy"]),
        accuracy
    );
    for r in read_accuracy(&acc, 2) {
        assert!(close(r.mean, accuracy), "{r:?}");
    }
    assert_no_temporaries(dir.path());
}

#[test]
fn insitu_training_on_a_published_rram_learns() {
    let dir = TempDir::new().unwrap();
    let args = [
        "train-insitu",
        "--device",
        "ag-a-si",
        "--train-limit",
        "1000",
        "--test-limit",
        "200",
        "--epochs",
        "1",
        "--hidden",
        "32",
        "--steps",
        "8",
        "--encoding",
        "direct",
        "--readout",
        "membrane",
        "--no-progress",
        "--output",
        "insitu.safetensors",
    ];
    run_ok(dir.path(), &args);
    let side = sidecar(&dir.path().join("insitu.safetensors"));
    assert_eq!(side["parameters"]["device"]["spec"]["name"], "ag-a-si");
    let accuracy = f64_at(&side, &["parameters", "final_test_accuracy"]);
    // Observed 0.505–0.565 over seeds 1–8.
    assert!(accuracy > 0.30, "in-situ test accuracy {accuracy}");
}

// ----------------------------------------------------------------- errors

/// A trained (tiny) model in a fresh directory.
fn dir_with_model() -> TempDir {
    let dir = TempDir::new().unwrap();
    train(dir.path(), "model.safetensors", TINY);
    dir
}

#[test]
fn unknown_device_suggests_the_nearest_preset() {
    let dir = dir_with_model();
    for args in [
        &[
            "evaluate",
            "--model",
            "model.safetensors",
            "--device",
            "pcmo2",
            "--output",
            "a.csv",
        ][..],
        &[
            "train-insitu",
            "--device",
            "pcmo2",
            "--output",
            "m.safetensors",
        ],
        &[
            "train",
            "--inject-device",
            "pcmo2",
            "--output",
            "m.safetensors",
        ],
    ] {
        let message = fails_cleanly(dir.path(), args);
        assert!(
            message.contains("pcmo2") && message.contains("`pcmo`"),
            "{message}"
        );
    }
}

#[test]
fn insitu_training_needs_a_pulse_model() {
    let dir = TempDir::new().unwrap();
    let message = fails_cleanly(
        dir.path(),
        &[
            "train-insitu",
            "--device",
            "ibm-pcm",
            "--output",
            "m.safetensors",
        ],
    );
    assert!(
        message.contains("ibm-pcm") && message.contains("pulse"),
        "{message}"
    );
}

#[test]
fn missing_or_unreadable_model_files_are_named() {
    let dir = TempDir::new().unwrap();
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    for model in ["missing.safetensors", "folder"] {
        let message = fails_cleanly(
            dir.path(),
            &["evaluate", "--model", model, "--output", "a.csv"],
        );
        assert!(
            message.contains(&format!("`{model}`")) && message.contains("model"),
            "{message}"
        );
    }
}

#[test]
fn a_model_that_is_not_safetensors_is_rejected() {
    let dir = dir_with_model();
    let real = std::fs::read(dir.path().join("model.safetensors")).unwrap();
    std::fs::write(dir.path().join("garbage.safetensors"), "garbage\n").unwrap();
    std::fs::write(dir.path().join("empty.safetensors"), "").unwrap();
    std::fs::write(dir.path().join("truncated.safetensors"), &real[..1000]).unwrap();
    for model in [
        "garbage.safetensors",
        "empty.safetensors",
        "truncated.safetensors",
    ] {
        let message = fails_cleanly(
            dir.path(),
            &["evaluate", "--model", model, "--output", "a.csv"],
        );
        assert!(
            message.contains(model) && message.contains("safetensors"),
            "{message}"
        );
    }
}

/// A valid safetensors file holding one tensor and no xbarsim metadata.
fn write_foreign_safetensors(path: &Path) {
    let header = br#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
    let mut bytes = (header.len() as u64).to_le_bytes().to_vec();
    bytes.extend_from_slice(header);
    bytes.extend_from_slice(&[0; 4]);
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn a_safetensors_file_from_elsewhere_is_not_a_network() {
    let dir = TempDir::new().unwrap();
    write_foreign_safetensors(&dir.path().join("other.safetensors"));
    let message = fails_cleanly(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "other.safetensors",
            "--output",
            "a.csv",
        ],
    );
    assert!(
        message.contains("other.safetensors") && message.contains("xbarsim"),
        "{message}"
    );
}

#[test]

fn a_safetensors_file_from_elsewhere_gets_a_plain_message() {
    let dir = TempDir::new().unwrap();
    write_foreign_safetensors(&dir.path().join("other.safetensors"));
    let message = fails_cleanly(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "other.safetensors",
            "--output",
            "a.csv",
        ],
    );
    assert!(!message.contains("None"), "{message}");
}

#[test]
fn an_empty_data_directory_names_the_directory_and_the_files_tried() {
    let dir = dir_with_model();
    std::fs::create_dir(dir.path().join("mnist-empty")).unwrap();
    for (args, file) in [
        (
            &[
                "train",
                "--data",
                "mnist-empty",
                "--output",
                "m.safetensors",
            ][..],
            "train-images-idx3-ubyte",
        ),
        (
            &[
                "train-insitu",
                "--device",
                "ideal",
                "--data",
                "mnist-empty",
                "--output",
                "m.safetensors",
            ],
            "train-images-idx3-ubyte",
        ),
        (
            &[
                "evaluate",
                "--model",
                "model.safetensors",
                "--data",
                "mnist-empty",
                "--output",
                "a.csv",
            ],
            "t10k-images-idx3-ubyte",
        ),
    ] {
        let message = fails_cleanly(dir.path(), args);
        assert!(
            message.contains("mnist-empty")
                && message.contains(&format!("{file}.gz"))
                && message.replace(&format!("{file}.gz"), "").contains(file),
            "{message}"
        );
    }
}

#[test]
fn bad_network_settings_name_the_setting() {
    let dir = TempDir::new().unwrap();
    for (flag, value, expect) in [
        ("--hidden", "0", "--hidden"),
        ("--hidden", "64,0", "--hidden"),
        ("--encoding", "foo", "--encoding"),
        ("--kind", "foo", "--kind"),
        ("--beta", "2", "beta"),
        ("--steps", "0", "steps"),
        ("--epochs", "0", "--epochs"),
    ] {
        let message = fails_cleanly(
            dir.path(),
            &["train", flag, value, "--output", "m.safetensors"],
        );
        assert!(
            message.contains(expect) && message.contains(value),
            "{flag} {value}: {message}"
        );
    }
    let message = fails_cleanly(
        dir.path(),
        &["train", "--encoding", "foo", "--output", "m.safetensors"],
    );
    assert!(
        message.contains("rate") && message.contains("direct"),
        "{message}"
    );
}

#[test]

fn negative_values_are_value_errors() {
    let dir = dir_with_model();
    for (args, value) in [
        (
            &["train", "--beta", "-0.5", "--output", "m.safetensors"][..],
            "-0.5",
        ),
        (&["train", "--lr", "-1", "--output", "m.safetensors"], "-1"),
        (
            &[
                "train-insitu",
                "--device",
                "ideal",
                "--w-max",
                "-1",
                "--output",
                "m.safetensors",
            ],
            "-1",
        ),
        (
            &[
                "evaluate",
                "--model",
                "model.safetensors",
                "--r-wordline",
                "-1",
                "--output",
                "a.csv",
            ],
            "-1",
        ),
        (
            &[
                "evaluate",
                "--model",
                "model.safetensors",
                "--times",
                "-5",
                "--output",
                "a.csv",
            ],
            "-5",
        ),
    ] {
        // One line (checked by `fails`) quoting the whole value.
        let message = fails_cleanly(dir.path(), args);
        assert!(
            message.contains(value) && !message.contains("unexpected argument"),
            "{args:?}: {message}"
        );
    }
}

#[test]
fn an_unknown_config_key_names_the_file_and_line() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("train.toml"), "[training]\nepochz = 3\n").unwrap();
    let message = fails_cleanly(
        dir.path(),
        &[
            "train",
            "--config",
            "train.toml",
            "--output",
            "m.safetensors",
        ],
    );
    assert!(
        message.contains("train.toml:2") && message.contains("epochz"),
        "{message}"
    );
    assert!(message.contains("`epochs`"), "no suggestion: {message}");
}

#[test]

fn config_sizes_that_do_not_fit_mnist_name_the_file() {
    let dir = TempDir::new().unwrap();
    for sizes in ["[784, 40, 9]", "[785, 40, 10]"] {
        std::fs::write(
            dir.path().join("train.toml"),
            format!("[network]\nsizes = {sizes}\n"),
        )
        .unwrap();
        let message = fails_cleanly(
            dir.path(),
            &[
                "train",
                "--config",
                "train.toml",
                "--output",
                "m.safetensors",
            ],
        );
        assert!(
            message.contains("train.toml") && message.contains("sizes"),
            "{message}"
        );
    }
}

#[test]
fn an_odd_tile_width_is_rejected() {
    let dir = dir_with_model();
    let message = fails_cleanly(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "model.safetensors",
            "--tile-cols",
            "7",
            "--output",
            "a.csv",
        ],
    );
    assert!(
        message.contains("tile") && message.contains('7') && message.contains("even"),
        "{message}"
    );
}

#[test]
fn bad_converter_bits_are_rejected() {
    let dir = dir_with_model();
    for bits in ["0", "40"] {
        let message = fails_cleanly(
            dir.path(),
            &[
                "evaluate",
                "--model",
                "model.safetensors",
                "--adc-bits",
                bits,
                "--output",
                "a.csv",
            ],
        );
        assert!(
            message.contains("adc") && message.contains(bits),
            "{message}"
        );
    }
}

#[test]
fn an_output_in_a_missing_directory_fails_before_any_work() {
    let dir = dir_with_model();
    // 50 epochs on 6000 images (about 24 s), 20 in-situ epochs (about 20 s)
    // or 1000 instances would take far longer than the limit.
    let cases: [(&[&str], &str); 6] = [
        (
            &["train", "--epochs", "50", "--output", "nodir/m.safetensors"],
            "nodir/m.safetensors",
        ),
        (
            &[
                "train",
                "--epochs",
                "50",
                "--history",
                "nodir/h.csv",
                "--output",
                "m2.safetensors",
            ],
            "nodir/h.csv",
        ),
        (
            &[
                "train-insitu",
                "--device",
                "ideal",
                "--epochs",
                "20",
                "--output",
                "nodir/m.safetensors",
            ],
            "nodir/m.safetensors",
        ),
        (
            &[
                "train-insitu",
                "--device",
                "ideal",
                "--epochs",
                "20",
                "--history",
                "nodir/h.csv",
                "--output",
                "m2.safetensors",
            ],
            "nodir/h.csv",
        ),
        (
            &[
                "evaluate",
                "--model",
                "model.safetensors",
                "--instances",
                "1000",
                "--output",
                "nodir/a.csv",
            ],
            "nodir/a.csv",
        ),
        (
            &[
                "evaluate",
                "--model",
                "model.safetensors",
                "--instances",
                "1000",
                "--per-instance",
                "nodir/p.csv",
                "--output",
                "a.csv",
            ],
            "nodir/p.csv",
        ),
    ];
    for (args, path) in cases {
        let start = Instant::now();
        let message = fails_cleanly(dir.path(), args);
        let took = start.elapsed();
        assert!(took < Duration::from_secs(5), "{args:?} took {took:?}");
        assert!(message.contains(path), "{message}");
    }
    assert!(!dir.path().join("nodir").exists());
}
