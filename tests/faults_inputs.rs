//! Fault injection, inputs (issue 25): what a careless user or a hostile
//! file gives the newer commands (`device fit`, `cost`, the NeuroSim
//! protocol). Each case is refused with one located error line and exit
//! 2 — never an abort, an internal error, a silently ignored setting or a
//! destroyed input — and writes nothing.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, ok, write, xbarsim};
use tempfile::TempDir;

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/pulse-trains-synthetic.csv")
}

/// `device fit` with `args`, expecting one error line; nothing written.
fn fit_fails(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["device", "fit", "--output", "dev.toml"];
    all.extend_from_slice(args);
    let e = fails(dir, &all);
    assert!(!dir.join("dev.toml").exists(), "{e}");
    assert!(!dir.join("dev.toml.json").exists(), "{e}");
    e
}

// ------------------------------------------------------------ class 1: aborts

#[test]
fn a_huge_bin_count_fits_in_bounded_memory() {
    // Before: one vector per bin, 24 GB for 10⁹ bins (minutes, then an
    // abort where memory is short). Under a 4 GiB address-space limit the
    // fit now completes.
    let dir = TempDir::new().unwrap();
    let bin = env!("CARGO_BIN_EXE_xbarsim");
    let data = example();
    let script = format!(
        "ulimit -v 4194304 && exec '{bin}' device fit --pulses '{}' --model measured --bins 1000000000 --output dev.toml",
        data.display()
    );
    // Few threads and malloc arenas, so that the limit bounds the data, not
    // the address space reserved per thread on a many-core machine.
    let out = std::process::Command::new("sh")
        .current_dir(dir.path())
        .env("RAYON_NUM_THREADS", "2")
        .env("MALLOC_ARENA_MAX", "2")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = std::fs::read_to_string(dir.path().join("dev.toml")).unwrap();
    assert!(toml.contains("model = \"measured\""), "{toml}");
}

#[test]
fn absurd_neurosim_widths_are_refused_with_the_estimate() {
    let dir = TempDir::new().unwrap();
    write(
        dir.path(),
        "ns.toml",
        "name = \"ns\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nprotocol = \"neurosim\"\n[insitu.neurosim]\nhidden = 2000000000\n",
    );
    let e = fails(dir.path(), &["run", "ns.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: ns.toml:7:10: insitu.neurosim.hidden: needs about 6.0 TiB of memory"),
        "{e}"
    );
    assert!(!dir.path().join("o").exists());
}

/// A tiny model for `cost`.
fn model(dir: &Path) {
    xbarsim(dir)
        .args([
            "train",
            "--hidden",
            "16",
            "--steps",
            "4",
            "--epochs",
            "1",
            "--train-limit",
            "300",
            "--test-limit",
            "100",
            "--no-progress",
            "--output",
            "m.safetensors",
        ])
        .assert()
        .success();
}

#[test]
fn cost_refuses_absurd_instances_and_outputs_that_are_its_inputs() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    model(d);
    let original = std::fs::read(d.join("m.safetensors")).unwrap();
    let cost = |extra: &[&str]| {
        let mut args = vec!["cost", "--model", "m.safetensors", "--test-limit", "100"];
        args.extend_from_slice(extra);
        fails(d, &args)
    };
    // Before: every instance was programmed into memory at once, and 10⁸
    // of them aborted the process.
    let e = cost(&["--instances", "100000000", "--output", "c.csv"]);
    assert!(
        e.starts_with("error: --instances: needs about ")
            && e.contains("to hold 100000000 programmed instances"),
        "{e}"
    );
    assert!(!d.join("c.csv").exists());
    // Before: the model was replaced by the cost table.
    let e = cost(&["--output", "m.safetensors"]);
    assert!(
        e.contains("cannot write `m.safetensors`: it is the model file this command reads"),
        "{e}"
    );
    let e = cost(&["--output", "./m.safetensors"]);
    assert!(e.contains("it is the model file"), "{e}");
    // The sidecar would replace it too.
    std::fs::copy(d.join("m.safetensors"), d.join("c.csv.json")).unwrap();
    let e = xbarsim(d)
        .args(["cost", "--model", "c.csv.json", "--output", "c.csv"])
        .assert()
        .code(2)
        .get_output()
        .stderr
        .clone();
    let e = String::from_utf8(e).unwrap();
    assert!(
        e.contains("cannot write `c.csv.json`: it is the model file"),
        "{e}"
    );
    assert_eq!(std::fs::read(d.join("m.safetensors")).unwrap(), original);
}

// -------------------------------------------------- class 2: line numbers

#[test]
fn device_fit_errors_name_the_line_of_crlf_and_blank_line_files() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let text = "# attribution\r\n\r\npulse_voltage_V,a\r\n1.2,1e-6\r\n\r\n1.2,2e-6\r\n1.2,oops\r\n";
    write(d, "p.csv", text);
    let e = fit_fails(d, &["--pulses", "p.csv"]);
    assert_eq!(
        e,
        "error: p.csv:7: column `a`: expected a conductance in S (a number), found `oops`"
    );
    write(d, "h.csv", "\n\npulse_voltage_V,a,a\n1.2,1e-6,1e-6\n");
    let e = fit_fails(d, &["--pulses", "h.csv"]);
    assert_eq!(
        e,
        "error: h.csv:3: column `a`: appears twice in the header (cells 2 and 3)"
    );
}

// ------------------------------------------------- class 3: bad data

#[test]
fn bad_programming_data_cycles_and_names_are_refused() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let pulses = example();
    let pulses = pulses.to_str().unwrap();
    write(
        d,
        "prog.csv",
        "target_S,conductance_S\n1e-5,1.1e-5\n1e-5,-1e-6\n1e-5,0.9e-5\n",
    );
    let e = fit_fails(d, &["--pulses", pulses, "--programming", "prog.csv"]);
    assert!(
        e.starts_with("error: prog.csv:3: column `conductance_S`: negative conductance"),
        "{e}"
    );
    write(
        d,
        "exact.csv",
        "target_S,conductance_S\n1e-5,1e-5\n1e-5,1e-5\n1e-5,1e-5\n",
    );
    let e = fit_fails(d, &["--pulses", pulses, "--programming", "exact.csv"]);
    assert!(
        e.starts_with("error: exact.csv:2: column `conductance_S`: all 3 writes of target 1e-5 S read the same conductance"),
        "{e}"
    );
    assert!(!e.contains("internal error"), "{e}");
    write(
        d,
        "long.csv",
        "device,cycle,pulse,polarity,conductance_S\nd,0,0,1,1e-6\nd,0.5,1,1,2e-6\n",
    );
    let e = fit_fails(d, &["--pulses", "long.csv"]);
    assert_eq!(
        e,
        "error: long.csv:3: column `cycle`: expected a cycle number (an integer), found 0.5"
    );
    let e = fit_fails(d, &["--pulses", pulses, "--name", ""]);
    assert_eq!(e, "error: --name: expected a non-empty device name");
}

/// `data/pulse-trains-synthetic.csv` with every conductance × `scale`.
fn scaled_pulses(dir: &Path, name: &str, scale: f64) {
    let text = std::fs::read_to_string(example()).unwrap();
    let mut out = String::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let mut cells = line.split(',');
        out += cells.next().unwrap();
        for c in cells {
            match c.parse::<f64>() {
                Ok(g) => out += &format!(",{:e}", g * scale),
                Err(_) => out += &format!(",{c}"),
            }
        }
        out += "\n";
    }
    write(dir, name, &out);
}

/// The `[variability]` g_min and g_max of a device file.
fn variability(path: &Path) -> (f64, f64) {
    let text = std::fs::read_to_string(path).unwrap();
    let section = text.split("[variability]").nth(1).unwrap();
    let value = |key: &str| -> f64 {
        let line = section
            .lines()
            .find(|l| l.starts_with(&format!("{key} = ")))
            .unwrap();
        line[key.len() + 3..].trim().parse().unwrap()
    };
    (value("g_min"), value("g_max"))
}

#[test]
fn conductances_at_tiny_magnitudes_keep_their_spread_or_are_refused_if_subnormal() {
    // Before: the same pulse trains in units of 1e-295 S fitted a device
    // without D2D spread (its squares underflowed), and subnormal ones
    // (1e-309 S) fitted a device arrays cannot hold.
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let fit = |data: &str, out: &str| {
        ok(
            d,
            &[
                "device",
                "fit",
                "--pulses",
                data,
                "--model",
                "exponential",
                "-o",
                out,
            ],
        )
    };
    scaled_pulses(d, "si.csv", 1.0);
    scaled_pulses(d, "tiny.csv", 1e-295);
    fit("si.csv", "si.toml");
    fit("tiny.csv", "tiny.toml");
    let (si, tiny) = (
        variability(&d.join("si.toml")),
        variability(&d.join("tiny.toml")),
    );
    assert!(si.0 > 0.01 && si.1 > 0.01, "{si:?}");
    for (a, b) in [(si.0, tiny.0), (si.1, tiny.1)] {
        assert!((a / b - 1.0).abs() < 1e-6, "{si:?} vs {tiny:?}");
    }
    scaled_pulses(d, "subnormal.csv", 1e-303);
    let e = fit_fails(d, &["--pulses", "subnormal.csv"]);
    assert!(
        e.starts_with("error: subnormal.csv:2: column `device_01`: conductance 1.14784942785947e-309 is below 2.2250738585072014e-308 S"),
        "{e}"
    );
}

// ------------------------------------------- class 7: settings not read

#[test]
fn settings_a_protocol_does_not_read_are_refused_at_their_line() {
    let dir = TempDir::new().unwrap();
    let head = "name = \"i\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\n";
    write(
        dir.path(),
        "lr.toml",
        &format!("{head}protocol = \"neurosim\"\nlearning_rate = 0.5\n"),
    );
    let e = fails(dir.path(), &["run", "lr.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: lr.toml:6:17: insitu.learning_rate: not read under insitu.protocol = \"neurosim\""),
        "{e}"
    );
    write(
        dir.path(),
        "ns.toml",
        &format!("{head}epochs = 1\n[insitu.neurosim]\nhidden = 50\n"),
    );
    let e = fails(dir.path(), &["run", "ns.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: ns.toml:6:")
            && e.contains("insitu.neurosim: read only under insitu.protocol = \"neurosim\""),
        "{e}"
    );
    assert!(!dir.path().join("o").exists());
}

// ------------------------------------------- class 10: inputs overwritten

#[test]
fn device_fit_refuses_an_output_that_is_one_of_its_inputs() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::copy(example(), d.join("trains.csv")).unwrap();
    let original = std::fs::read(d.join("trains.csv")).unwrap();
    for (output, figure) in [("trains.csv", None), ("dev.toml", Some("trains.csv"))] {
        let mut args = vec![
            "device",
            "fit",
            "--pulses",
            "trains.csv",
            "--output",
            output,
        ];
        if let Some(f) = figure {
            args.extend(["--figure", f]);
        }
        let e = fails(d, &args);
        assert!(
            e.contains("cannot write `trains.csv`: it is the pulse-train file this command reads"),
            "{e}"
        );
    }
    // Its sidecar, `<output>.json`, is refused the same way.
    std::fs::copy(example(), d.join("dev.toml.json")).unwrap();
    let e = fails(
        d,
        &[
            "device",
            "fit",
            "--pulses",
            "dev.toml.json",
            "--output",
            "dev.toml",
        ],
    );
    assert!(
        e.contains("cannot write `dev.toml.json`: it is the pulse-train file"),
        "{e}"
    );
    assert_eq!(std::fs::read(d.join("trains.csv")).unwrap(), original);
    assert!(!d.join("dev.toml").exists());
}

// ------------------------------- class 5: measured-curve device files

#[test]
fn an_unknown_key_in_a_measured_curve_table_is_located_at_itself() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let data = example();
    ok(
        d,
        &[
            "device",
            "fit",
            "--pulses",
            data.to_str().unwrap(),
            "--model",
            "measured",
            "--output",
            "m.toml",
        ],
    );
    let text = std::fs::read_to_string(d.join("m.toml")).unwrap();
    let at = text.find("[pulse.ltp]\n").expect(&text) + "[pulse.ltp]\n".len();
    let bad = format!("{}bogus = 1\n{}", &text[..at], &text[at..]);
    let line = bad[..at].lines().count() + 1;
    write(d, "bad.toml", &bad);
    let e = fails(d, &["device", "show", "bad.toml"]);
    assert!(
        e.starts_with(&format!(
            "error: bad.toml:{line}:1: pulse.ltp.bogus: unknown key"
        )),
        "{e}"
    );
}

// ------------------------- class 6: found before the directory exists

#[test]
fn a_crop_larger_than_the_images_is_refused_before_the_run_creates_anything() {
    let dir = TempDir::new().unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-subset");
    write(
        dir.path(),
        "crop.toml",
        &format!(
            "name = \"c\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nprotocol = \"neurosim\"\n[insitu.neurosim]\ncrop = 40\n[data]\ndir = {:?}\n",
            data.display().to_string()
        ),
    );
    let e = fails(dir.path(), &["run", "crop.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: crop.toml:7:8: insitu.neurosim.crop: expected at most the images' size: the images are 28×28 pixels"),
        "{e}"
    );
    assert!(!dir.path().join("o").exists(), "{e}");
}

// ------------------------------- class 8: nothing written on a late error

#[test]
fn a_figure_file_that_cannot_be_written_leaves_nothing() {
    // Before: `--figure fig` wrote fig.svg, then failed on fig.png and left
    // the SVG behind.
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("fig.png")).unwrap();
    let data = example();
    let e = fit_fails(d, &["--pulses", data.to_str().unwrap(), "--figure", "fig"]);
    assert!(e.contains("fig.png"), "{e}");
    assert!(!d.join("fig.svg").exists(), "{e}");
}
