//! Integration tests of the `xbarsim` command: happy paths (headers, row
//! counts, physical sanity, reproducibility) and every kind of bad input
//! (exit code 2, exactly one line on stderr naming what is wrong, no file
//! left behind).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use tempfile::TempDir;
use xbar_devices::library;
use xbar_experiments::config::load_device_file;

fn xbarsim(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xbarsim"));
    cmd.current_dir(dir);
    cmd
}

/// Runs `args` in `dir`, expects success, returns stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
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
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = xbarsim(dir)
        .args(args)
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr:?}");
    assert!(stderr.ends_with('\n'));
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(out.stdout.is_empty());
    stderr.trim_end().to_string()
}

/// Parses a CSV written by xbarsim: header and rows of fields.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn num(field: &str) -> f64 {
    let x: f64 = field
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {field}"));
    assert!(x.is_finite(), "{field}");
    x
}

fn sidecar(path: &Path) -> serde_json::Value {
    let mut name = path.as_os_str().to_os_string();
    name.push(".json");
    serde_json::from_str(&std::fs::read_to_string(PathBuf::from(name)).unwrap()).unwrap()
}

/// No temporary files left behind by atomic writes.
fn assert_no_temporaries(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".xbarsim-"), "left {name}");
    }
}

const DEVICE_FILE: &str = "\
name = \"my-rram\"
g_min = 1e-6
g_max = 1e-5

[pulse]
model = \"exponential\"
pulses_ltp = 20
pulses_ltd = 20
nl_ltp = 1.5
nl_ltd = -2.0
c2c = 0.01
";

// ---------------------------------------------------------------- happy paths

#[test]
fn version_and_help() {
    let dir = TempDir::new().unwrap();
    xbarsim(dir.path())
        .arg("--version")
        .assert()
        .success()
        .stdout(format!("xbarsim {}\n", env!("CARGO_PKG_VERSION")));
    xbarsim(dir.path())
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Examples:").and(predicate::str::contains("siemens")));
    xbarsim(dir.path())
        .args(["device", "drift", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--times").and(predicate::str::contains("(s)")));
}

#[test]
fn device_list_plain_and_markdown() {
    let dir = TempDir::new().unwrap();
    let plain = ok(dir.path(), &["device", "list"]);
    let lines: Vec<&str> = plain.lines().collect();
    assert_eq!(lines.len(), library::names().len() + 1);
    assert!(lines[0].starts_with("name") && lines[0].contains("source"));
    assert!(plain.contains("Jo et al., Nano Lett. 2010"));
    assert!(plain.contains("ν̄ 0.049–0.1, t0 20 s"));
    assert!(plain.contains("38.46 nS"));
    // Aligned: every row's "technology" column starts at the same place.
    let col = lines[0].find("technology").unwrap();
    for line in &lines[1..] {
        assert_eq!(&line[col - 2..col], "  ", "{line}");
    }

    let markdown = ok(dir.path(), &["device", "list", "--markdown"]);
    let lines: Vec<&str> = markdown.lines().collect();
    assert_eq!(lines.len(), library::names().len() + 2);
    assert!(lines[0].starts_with("| name |"));
    assert!(lines[1].starts_with("|---|"));
    assert!(markdown.contains("[doi:10.1021/nl904092h](https://doi.org/10.1021/nl904092h)"));
}

#[test]
fn device_show_prints_parameters_units_and_citation() {
    let dir = TempDir::new().unwrap();
    let text = ok(dir.path(), &["device", "show", "ibm-pcm"]);
    for needle in [
        "g_max",
        "2.5e-5 S (25 µS)",
        "t0_s",
        "20 s",
        "q_coeff",
        "Nature Communications 11, 2473, 2020",
        "https://doi.org/10.1038/s41467-020-16108-9",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
}

#[test]
fn show_toml_of_every_preset_loads_back_equal() {
    let dir = TempDir::new().unwrap();
    for name in library::names() {
        let text = ok(dir.path(), &["device", "show", name, "--toml"]);
        assert!(text.starts_with("# xbarsim device file"));
        assert!(text.contains("siemens (S)") && text.contains("seconds (s"));
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(&path, &text).unwrap();
        let spec = load_device_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(Some(spec), library::preset(name), "{name}");
    }
    // And the exported file works as --device.
    ok(
        dir.path(),
        &[
            "device",
            "pulse",
            "--device",
            "pcmo.toml",
            "--output",
            "c.csv",
        ],
    );
}

#[test]
fn pulse_curve_rows_phases_and_bounds() {
    let dir = TempDir::new().unwrap();
    let stdout = ok(
        dir.path(),
        &[
            "device",
            "pulse",
            "--device",
            "ag-a-si",
            "--count",
            "3",
            "--seed",
            "5",
            "-o",
            "curve.csv",
        ],
    );
    assert!(stdout.contains("curve.csv") && stdout.contains("curve.csv.json"));
    let path = dir.path().join("curve.csv");
    let (header, rows) = read_csv(&path);
    assert_eq!(header, ["pulse", "phase", "device", "conductance_S"]);
    assert_eq!(rows.len(), 3 * (1 + 2 * 97));
    let spec = library::preset("ag-a-si").unwrap();
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    for row in &rows {
        let pulse = num(&row[0]) as u32;
        let phase = match pulse {
            0 => "initial",
            1..=97 => "ltp",
            _ => "ltd",
        };
        assert_eq!(row[1], phase, "{row:?}");
        assert!(["0", "1", "2"].contains(&row[2].as_str()));
        let g = num(&row[3]);
        assert!(
            (g_min..=g_max).contains(&g),
            "{g} outside [{g_min}, {g_max}]"
        );
    }
    assert_eq!(rows[0], ["0", "initial", "0", "3.0769e-9"]);
    assert_eq!(rows.last().unwrap()[0], "194");

    let meta = sidecar(&path);
    assert_eq!(meta["program"], "xbarsim");
    assert_eq!(meta["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(meta["seed"], 5);
    assert_eq!(meta["device"]["spec"]["name"], "ag-a-si");
    assert_eq!(meta["device"]["spec"]["g_max"], 3.8462e-8);
    assert!(meta["device"]["toml"]
        .as_str()
        .unwrap()
        .contains("nl_ltd = -4.88"));
    assert!(meta["command_line"]
        .as_array()
        .unwrap()
        .iter()
        .any(|a| a == "--count"));
    assert_no_temporaries(dir.path());
}

#[test]
fn noiseless_device_has_monotone_phases_and_hits_the_bounds() {
    let dir = TempDir::new().unwrap();
    ok(
        dir.path(),
        &["device", "pulse", "--device", "ideal", "-o", "ideal.csv"],
    );
    let (_, rows) = read_csv(&dir.path().join("ideal.csv"));
    assert_eq!(rows.len(), 1 + 2 * 1000);
    let g: Vec<f64> = rows.iter().map(|r| num(&r[3])).collect();
    assert!(
        g[..=1000].windows(2).all(|w| w[1] > w[0]),
        "LTP not increasing"
    );
    assert!(
        g[1000..].windows(2).all(|w| w[1] < w[0]),
        "LTD not decreasing"
    );
    assert!((g[1000] - 1e-5).abs() < 1e-15 && (g[2000] - 1e-6).abs() < 1e-15);
    // Linear device: equal steps of (g_max − g_min)/1000.
    assert!((g[1] - g[0] - 9e-9).abs() < 1e-15);
}

#[test]
fn pulses_flag_and_device_files() {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("my.toml"), DEVICE_FILE).unwrap();
    ok(
        dir.path(),
        &[
            "device", "pulse", "--device", "my.toml", "--pulses", "5", "-k", "2", "-o", "c.csv",
        ],
    );
    let (_, rows) = read_csv(&dir.path().join("c.csv"));
    assert_eq!(rows.len(), 2 * 11);
    let meta = sidecar(&dir.path().join("c.csv"));
    assert_eq!(meta["device"]["source"], "file:my.toml");
    assert_eq!(meta["parameters"]["pulses_ltp"], 5);
}

#[test]
fn same_seed_same_file_different_seed_different_file() {
    let dir = TempDir::new().unwrap();
    let run = |seed: &str, out: &str| {
        ok(
            dir.path(),
            &[
                "device", "pulse", "--device", "pcmo", "-k", "4", "--seed", seed, "-o", out,
            ],
        );
        std::fs::read(dir.path().join(out)).unwrap()
    };
    let a = run("11", "a.csv");
    assert_eq!(a, run("11", "b.csv"));
    assert_ne!(a, run("12", "c.csv"));

    let drift = |seed: &str, out: &str| {
        ok(
            dir.path(),
            &[
                "device", "drift", "--device", "ibm-pcm", "-k", "200", "--seed", seed, "-o", out,
            ],
        );
        std::fs::read(dir.path().join(out)).unwrap()
    };
    let a = drift("3", "d1.csv");
    assert_eq!(a, drift("3", "d2.csv"));
    assert_ne!(a, drift("4", "d3.csv"));
}

#[test]
fn drift_table_has_stats_per_target_and_time_decreasing_means() {
    let dir = TempDir::new().unwrap();
    ok(
        dir.path(),
        &[
            "device",
            "drift",
            "--device",
            "ibm-pcm",
            "--times",
            "1,3600,86400,3.15e7",
            "--count",
            "2000",
            "--output",
            "drift.csv",
        ],
    );
    let (header, rows) = read_csv(&dir.path().join("drift.csv"));
    assert_eq!(
        header,
        [
            "target_S", "time_s", "count", "mean_S", "std_S", "min_S", "p05_S", "median_S",
            "p95_S", "max_S"
        ]
    );
    assert_eq!(rows.len(), 5 * 4);
    let targets: Vec<f64> = rows.chunks(4).map(|c| num(&c[0][0])).collect();
    assert_eq!(targets, [2.5e-6, 6.25e-6, 1.25e-5, 1.875e-5, 2.5e-5]);
    for chunk in rows.chunks(4) {
        let times: Vec<f64> = chunk.iter().map(|r| num(&r[1])).collect();
        assert_eq!(times, [1.0, 3600.0, 86400.0, 3.15e7]);
        let means: Vec<f64> = chunk.iter().map(|r| num(&r[3])).collect();
        assert!(means.windows(2).all(|w| w[1] < w[0]), "{means:?}");
        for r in chunk {
            assert_eq!(r[2], "2000");
            let v: Vec<f64> = r[3..].iter().map(|f| num(f)).collect();
            let (std, min, p05, median, p95, max) = (v[1], v[2], v[3], v[4], v[5], v[6]);
            assert!(std > 0.0 && min <= p05 && p05 <= median && median <= p95 && p95 <= max);
        }
    }
    let meta = sidecar(&dir.path().join("drift.csv"));
    assert_eq!(meta["parameters"]["read_noise"], true);
    assert_eq!(meta["parameters"]["times_s"][3], 3.15e7);
}

#[test]
fn drift_without_read_noise_and_custom_targets() {
    let dir = TempDir::new().unwrap();
    ok(
        dir.path(),
        &[
            "device",
            "drift",
            "--device",
            "ibm-pcm",
            "--targets",
            "2.5e-6,1e-5",
            "--times",
            "0,10",
            "-k",
            "100",
            "--no-read-noise",
            "-o",
            "d.csv",
        ],
    );
    let (_, rows) = read_csv(&dir.path().join("d.csv"));
    assert_eq!(rows.len(), 4);
    // Before t0 = 20 s and without read noise, both reads are the programmed state.
    assert_eq!(rows[0][3..], rows[1][3..]);
    assert_eq!(rows[2][0], "1e-5");
}

#[test]
fn run_writes_the_characterisation_into_a_new_directory() {
    let dir = TempDir::new().unwrap();
    let stdout = ok(dir.path(), &["run", "--out", "results/today"]);
    let out = dir.path().join("results/today");
    assert!(stdout.contains("pulse_curves.csv") && stdout.contains("drift_ibm-pcm.csv"));
    let (header, rows) = read_csv(&out.join("pulse_curves.csv"));
    assert_eq!(header, ["device", "pulse", "phase", "conductance_S"]);
    let with_pulse: Vec<_> = library::all()
        .into_iter()
        .filter(|d| d.pulse.is_some())
        .collect();
    let expected: usize = with_pulse
        .iter()
        .map(|d| match d.pulse {
            Some(xbar_devices::pulse::PulseSpec::Exponential {
                pulses_ltp,
                pulses_ltd,
                ..
            }) => 1 + (pulses_ltp + pulses_ltd) as usize,
            _ => unreachable!(),
        })
        .sum();
    assert_eq!(rows.len(), expected);
    for d in &with_pulse {
        assert!(rows.iter().any(|r| r[0] == d.name), "{}", d.name);
    }
    let (_, rows) = read_csv(&out.join("drift_ibm-pcm.csv"));
    assert_eq!(rows.len(), 5 * 6);
    assert!(rows.iter().all(|r| r[2] == "10000"));
    assert_eq!(
        sidecar(&out.join("pulse_curves.csv"))["devices"]
            .as_array()
            .unwrap()
            .len(),
        with_pulse.len()
    );
    assert_eq!(
        sidecar(&out.join("drift_ibm-pcm.csv"))["device"]["spec"]["name"],
        "ibm-pcm"
    );
    assert_no_temporaries(&out);
}

// ------------------------------------------------------------------ bad input

#[test]
fn unknown_device_suggests_the_nearest_preset() {
    let dir = TempDir::new().unwrap();
    let line = fails(
        dir.path(),
        &["device", "pulse", "--device", "pcmo2", "-o", "c.csv"],
    );
    assert_eq!(
        line,
        "error: unknown device `pcmo2`; did you mean `pcmo`? (run `xbarsim device list`)"
    );
    let line = fails(dir.path(), &["device", "show", "quartz"]);
    assert!(line.contains("unknown device `quartz`") && !line.contains("did you mean"));
    assert!(!dir.path().join("c.csv").exists());
}

/// A device file with one defect: the error names the file, the line and
/// the field, and nothing is written.
fn bad_file(text: &str, line: usize, field: &str) -> String {
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    let message = fails(
        dir.path(),
        &[
            "device", "pulse", "--device", "bad.toml", "--output", "c.csv",
        ],
    );
    assert!(
        message.starts_with(&format!("error: bad.toml:{line}:")),
        "{message}"
    );
    assert!(message.contains(&format!(": {field}: ")), "{message}");
    assert!(!dir.path().join("c.csv").exists());
    message
}

#[test]
fn device_file_unknown_key() {
    let text = DEVICE_FILE.replace("nl_ltp", "nl_lpt");
    let message = bad_file(&text, 9, "pulse.nl_lpt");
    assert!(message.starts_with("error: bad.toml:9:1: pulse.nl_lpt: unknown key, expected one of"));
    assert!(message.ends_with("did you mean `nl_ltp`?"), "{message}");
}

#[test]
fn device_file_wrong_type() {
    let text = DEVICE_FILE.replace("g_max = 1e-5", "g_max = \"10 uS\"");
    let message = bad_file(&text, 3, "g_max");
    assert!(
        message.ends_with("expected a number, found the string \"10 uS\""),
        "{message}"
    );
}

#[test]
fn device_file_g_min_not_below_g_max() {
    let text = DEVICE_FILE.replace("g_min = 1e-6", "g_min = 2e-5");
    let message = bad_file(&text, 3, "g_max");
    assert!(message.contains("expected g_max > g_min"), "{message}");
}

#[test]
fn device_file_nan() {
    let text = DEVICE_FILE.replace("c2c = 0.01", "c2c = nan");
    let message = bad_file(&text, 11, "pulse.c2c");
    assert!(message.contains("found NaN"), "{message}");
}

#[test]
fn device_file_negative_levels() {
    let text = format!("{DEVICE_FILE}\n[programming]\nlevels = -3\n");
    let message = bad_file(&text, 14, "programming.levels");
    assert!(message.ends_with("found -3"), "{message}");
}

#[test]
fn device_file_syntax_error() {
    let dir = TempDir::new().unwrap();
    let text = DEVICE_FILE.replace("[pulse]", "[pulse");
    std::fs::write(dir.path().join("bad.toml"), text).unwrap();
    let message = fails(dir.path(), &["device", "show", "bad.toml"]);
    assert!(
        message.starts_with("error: bad.toml:5:7: TOML syntax error"),
        "{message}"
    );
}

#[test]
fn device_file_missing() {
    let dir = TempDir::new().unwrap();
    let message = fails(dir.path(), &["device", "show", "nowhere.toml"]);
    assert_eq!(
        message,
        "error: nowhere.toml: cannot read file: No such file or directory"
    );
}

#[test]
fn bad_flag_values_name_the_flag_and_the_item() {
    let dir = TempDir::new().unwrap();
    let message = fails(
        dir.path(),
        &[
            "device",
            "drift",
            "--device",
            "ibm-pcm",
            "--times",
            "1,3600,soon",
            "-o",
            "d.csv",
        ],
    );
    assert!(
        message.contains("--times") && message.contains("item 3 `soon`"),
        "{message}"
    );
    let message = fails(
        dir.path(),
        &[
            "device", "drift", "--device", "ibm-pcm", "--times", "1,-5", "-o", "d.csv",
        ],
    );
    assert!(message.contains("item 2 `-5`"), "{message}");
    let message = fails(
        dir.path(),
        &[
            "device",
            "drift",
            "--device",
            "ibm-pcm",
            "--targets",
            "1e-6,nan",
            "-o",
            "d.csv",
        ],
    );
    assert!(
        message.contains("--targets") && message.contains("`nan`"),
        "{message}"
    );
    let message = fails(
        dir.path(),
        &[
            "device", "drift", "--device", "ibm-pcm", "--count", "0", "-o", "d.csv",
        ],
    );
    assert!(
        message.contains("--count") && message.contains("found 0"),
        "{message}"
    );
    let message = fails(
        dir.path(),
        &[
            "device", "pulse", "--device", "ideal", "--count", "0", "-o", "d.csv",
        ],
    );
    assert!(message.contains("--count"), "{message}");
    assert!(!dir.path().join("d.csv").exists());
}

#[test]
fn output_into_a_missing_directory_creates_nothing() {
    let dir = TempDir::new().unwrap();
    let message = fails(
        dir.path(),
        &[
            "device",
            "pulse",
            "--device",
            "ideal",
            "-o",
            "missing/curve.csv",
        ],
    );
    assert!(message.contains("missing/curve.csv"), "{message}");
    assert!(!dir.path().join("missing").exists());
    let message = fails(
        dir.path(),
        &[
            "device",
            "drift",
            "--device",
            "ibm-pcm",
            "-o",
            "missing/drift.csv",
        ],
    );
    assert!(message.contains("missing/drift.csv"), "{message}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn pulse_on_a_device_without_pulse_model() {
    let dir = TempDir::new().unwrap();
    let message = fails(
        dir.path(),
        &["device", "pulse", "--device", "ibm-pcm", "-o", "c.csv"],
    );
    assert!(
        message.contains("`ibm-pcm` has no pulse model"),
        "{message}"
    );
    assert!(
        message.contains("ag-a-si") && message.contains("ideal"),
        "{message}"
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}
