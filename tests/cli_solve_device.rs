//! A device's cell I-V (`[iv]`, what `device fit --iv` writes): `xbarsim
//! solve --device` solves with it, the same currents as the crossbar crate
//! solving that sinh I-V directly; it refuses a disagreeing `--sinh-a` or a
//! method that cannot solve nonlinear cells; and every command or kind that
//! reads arrays through the ohmic model refuses such a device at
//! `device.iv` (exit 2) instead of dropping its I-V.

use std::path::Path;

use nalgebra::DMatrix;
use tempfile::TempDir;
use xbar_crossbar::{Crossbar, NewtonOptions, Wires};
use xbar_devices::IvSpec;

mod common;
use common::{fails, sidecar, write, xbarsim};

/// A device file whose cells follow `I = (g/a)·sinh(a·V)`.
fn sinh_device(a: f64) -> String {
    format!(
        "name = \"measured\"\ng_min = 1e-6\ng_max = 1e-4\n\n[iv]\nmodel = \"sinh\"\na_per_volt = {a:?}\n"
    )
}

/// An 4×3 conductance matrix and 3 input vectors, as CSV files in `dir`;
/// returns them as matrices.
fn problem(dir: &Path) -> (DMatrix<f64>, DMatrix<f64>) {
    let g = DMatrix::from_fn(4, 3, |i, j| 1e-5 * (1.0 + ((2 * i + 3 * j) % 5) as f64));
    let v = DMatrix::from_fn(3, 4, |b, i| 0.05 * (1.0 + ((b + 2 * i) % 4) as f64));
    let text = |m: &DMatrix<f64>| {
        let mut s = String::new();
        for r in 0..m.nrows() {
            let line: Vec<String> = m.row(r).iter().map(|x| format!("{x:e}")).collect();
            s += &line.join(",");
            s.push('\n');
        }
        s
    };
    write(dir, "G.csv", &text(&g));
    write(dir, "V.csv", &text(&v));
    (g, v)
}

fn read_matrix(path: &Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect()
}

const WIRED: &[&str] = &[
    "-g",
    "G.csv",
    "-i",
    "V.csv",
    "--r-wordline",
    "2",
    "--r-bitline",
    "3",
];

fn solve(dir: &Path, extra: &[&str], output: &str) -> Vec<Vec<f64>> {
    xbarsim(dir)
        .arg("solve")
        .args(WIRED)
        .args(extra)
        .args(["-o", output])
        .assert()
        .success();
    read_matrix(&dir.join(output))
}

#[test]
fn a_device_s_sinh_iv_gives_the_crossbar_s_sinh_currents() {
    let dir = TempDir::new().unwrap();
    let (g, v) = problem(dir.path());
    write(dir.path(), "dev.toml", &sinh_device(4.0));
    let by_device = solve(dir.path(), &["--device", "dev.toml"], "I.csv");
    let xbar = Crossbar::new(g.clone(), Wires::new(2.0, 3.0, 0.0, 0.0).unwrap()).unwrap();
    let direct = xbar
        .solve_nonlinear(
            &v,
            &IvSpec::Sinh { a_per_volt: 4.0 },
            &NewtonOptions::default(),
        )
        .unwrap();
    for (b, row) in by_device.iter().enumerate() {
        for (j, i) in row.iter().enumerate() {
            let want = direct[(b, j)];
            assert!(
                (i - want).abs() <= 1e-12 * want.abs(),
                "I[{b}][{j}] {i:e} vs {want:e}"
            );
        }
    }
    let p = &sidecar(&dir.path().join("I.csv"))["parameters"];
    assert_eq!(p["solver_used"], "nonlinear");
    assert_eq!(p["sinh_a_per_volt"], 4.0);
    assert_eq!(p["device"], "file:dev.toml");
    // The device's I-V, not the ohmic one: sinh cells conduct more.
    let linear = solve(dir.path(), &[], "linear.csv");
    assert!(by_device[0][0] > linear[0][0] * (1.0 + 1e-6));
    // The same --sinh-a agrees with it and changes nothing.
    let both = solve(
        dir.path(),
        &["--device", "dev.toml", "--sinh-a", "4"],
        "both.csv",
    );
    assert_eq!(both, by_device);
    // An ohmic device leaves the cells linear, and --sinh-a applies.
    let ideal = solve(dir.path(), &["--device", "ideal"], "ideal.csv");
    assert_eq!(ideal, linear);
    let flag = solve(
        dir.path(),
        &["--device", "ideal", "--sinh-a", "4"],
        "flag.csv",
    );
    assert_eq!(flag, by_device);
}

#[test]
fn a_disagreeing_sinh_a_or_a_linear_method_is_refused() {
    let dir = TempDir::new().unwrap();
    problem(dir.path());
    write(dir.path(), "dev.toml", &sinh_device(4.0));
    let run = |extra: &[&str]| {
        let mut args = vec!["solve"];
        args.extend_from_slice(WIRED);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", "I.csv"]);
        fails(dir.path(), &args)
    };
    let e = run(&["--device", "dev.toml", "--sinh-a", "3"]);
    assert!(
        e.contains("--sinh-a") && e.contains("--device dev.toml"),
        "{e}"
    );
    assert!(
        e.contains("a_per_volt = 4") && e.contains("a_per_volt = 3"),
        "{e}"
    );
    for solver in ["ideal", "transfer"] {
        let e = run(&["--device", "dev.toml", "--solver", solver]);
        assert!(e.contains("--device dev.toml (its [iv])"), "{e}");
        assert!(e.contains(&format!("not {solver}")), "{e}");
    }
    let e = run(&["--device", "dev.toml", "--node-voltages", "map.csv"]);
    assert!(e.contains("--node-voltages is for linear cells"), "{e}");
    assert!(e.contains("--device dev.toml"), "{e}");
    assert!(!dir.path().join("I.csv").exists());
}

#[test]
fn evaluate_with_a_nonlinear_device_exits_2_naming_iv() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "dev.toml", &sinh_device(2.0));
    // Refused before the model file is read: none is needed.
    let e = fails(
        dir.path(),
        &[
            "evaluate",
            "--model",
            "absent.safetensors",
            "--device",
            "dev.toml",
            "--output",
            "a.csv",
        ],
    );
    assert!(e.contains("device.iv"), "{e}");
    assert!(e.contains("not yet used by network reads"), "{e}");
    assert!(!dir.path().join("a.csv").exists());
}

/// A config of `kind` on an inline device with an `[iv]` section.
fn config_with_iv(kind: &str, extra: &str) -> String {
    format!(
        "name = \"iv\"\nkind = \"{kind}\"\nseed = 1\ndevice = {{ name = \"m\", g_min = 1e-6, g_max = 1e-4, iv = {{ model = \"sinh\", a_per_volt = 2.0 }} }}\n{extra}"
    )
}

#[test]
fn every_kind_reading_arrays_refuses_a_nonlinear_device_at_device_iv() {
    let dir = TempDir::new().unwrap();
    let kinds = [
        ("inference-drift", "network reads", ""),
        ("inference-cost", "network reads", ""),
        ("insitu-training", "network reads", ""),
        (
            "crossbar-ir-drop",
            "crossbar-ir-drop",
            "[array]\nsize = 8\n",
        ),
    ];
    for (kind, reader, extra) in kinds {
        write(dir.path(), "c.toml", &config_with_iv(kind, extra));
        let e = fails(dir.path(), &["run", "c.toml", "--out", "out"]);
        assert!(e.starts_with("error: c.toml:"), "{kind}: {e}");
        assert!(e.contains("device.iv"), "{kind}: {e}");
        assert!(
            e.contains(&format!("not yet used by {reader}")),
            "{kind}: {e}"
        );
        assert!(!dir.path().join("out").exists(), "{kind}");
    }
}
