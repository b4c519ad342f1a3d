//! Helpers shared by the command-line test files.
// Each test binary uses some of these helpers, not all.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// `xbarsim`, run in `dir`.
pub fn xbarsim(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xbarsim"));
    cmd.current_dir(dir);
    cmd
}

/// Small, fast training settings (an untrained network: ~0.1 accuracy).
pub const TINY: &[&str] = &[
    "--train-limit",
    "600",
    "--test-limit",
    "200",
    "--epochs",
    "1",
    "--hidden",
    "32",
    "--steps",
    "8",
    "--no-progress",
];

/// `xbarsim train` with [`TINY`] settings and `extra` flags, writing the
/// model `dir/model`.
pub fn train_tiny(dir: &Path, model: &str, extra: &[&str]) {
    xbarsim(dir)
        .arg("train")
        .args(TINY)
        .args(extra)
        .args(["--output", model])
        .assert()
        .success();
}

/// Runs `args` in `dir`, expects success, returns stdout.
pub fn ok(dir: &Path, args: &[&str]) -> String {
    let out = xbarsim(dir)
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs `args` in `dir`, expects exit code 2 and exactly one stderr line
/// `error: ...`; returns that line.
pub fn fails(dir: &Path, args: &[&str]) -> String {
    let out = xbarsim(dir)
        .args(args)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.ends_with('\n'), "{stderr:?}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(out.stdout.is_empty());
    stderr.trim_end().to_string()
}

/// `<path>.json`, the provenance sidecar of an output.
pub fn sidecar_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(".json");
    PathBuf::from(name)
}

/// The parsed sidecar of an output.
pub fn sidecar(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(sidecar_path(path)).unwrap()).unwrap()
}

/// No temporary files left behind by atomic writes.
pub fn assert_no_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".xbarsim-"), "left {name}");
        // An output set's (`.<file>.<pid>-<n>.xbarsim-tmp`).
        assert!(!name.ends_with(".xbarsim-tmp"), "left {name}");
    }
}

/// A small, fast sweep with a figure: 3 sizes × 2 wire resistances × 2
/// repeats = 12 units of exact IR-drop solves (every stage of a run: units,
/// table, figures).
pub const SWEEP: &str = r#"name = "small"
kind = "crossbar-ir-drop"
seed = 3
repeats = 2
device = "neurram-rram"

[array]
size = 8
r_wire_ohm = 1.0
vectors = 4

[sweep]
"array.size" = [8, 12, 16]
"array.r_wire_ohm" = [1.0, 5.0]

[[plot]]
file = "error"
x = "array.size"
y = "error_mean_rel"
series = "array.r_wire_ohm"
"#;

/// Writes `text` to `dir/name`; returns the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}
