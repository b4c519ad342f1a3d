//! `xbarsim cost`: a one-point `inference-cost` run with the kind's
//! columns and a sidecar; bad flags and technology files are one-line
//! errors with exit code 2.

mod common;

use common::{fails, ok, sidecar, xbarsim};

/// Reads a CSV: header and rows of cells.
fn read(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    let rows = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    (header, rows)
}

#[test]
fn cost_writes_the_kinds_columns_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    xbarsim(d)
        .args([
            "train",
            "--hidden",
            "16",
            "--steps",
            "4",
            "--epochs",
            "1",
            "--train-limit",
            "600",
            "--test-limit",
            "100",
            "--no-progress",
            "--output",
            "m.safetensors",
        ])
        .assert()
        .success();
    let base = [
        "cost",
        "--model",
        "m.safetensors",
        "--device",
        "ideal",
        "--test-limit",
        "100",
        "--tile-rows",
        "64",
        "--tile-cols",
        "64",
        "--r-wordline",
        "1",
        "--r-bitline",
        "1",
        "--adc-bits",
        "6",
    ];
    let run = |extra: &[&str], out: &str| {
        let mut args: Vec<&str> = base.to_vec();
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--output", out]);
        ok(d, &args)
    };
    let printed = run(&["--columns-per-adc", "2"], "a.csv");
    assert!(printed.contains("TOPS/W"), "{printed}");
    run(&["--columns-per-adc", "4"], "b.csv");
    let (header, a) = read(&d.join("a.csv"));
    let (_, b) = read(&d.join("b.csv"));
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let num = |rows: &[Vec<String>], name: &str| rows[0][col(name)].parse::<f64>().unwrap();
    for name in [
        "energy_per_inference_J",
        "array_energy_J",
        "adc_energy_J",
        "latency_s",
        "area_m2",
    ] {
        assert!(num(&a, name) > 0.0, "{name}");
    }
    // Twice the sharing: half the ADCs, the same ADC energy.
    assert_eq!(num(&a, "adcs"), 2.0 * num(&b, "adcs"));
    assert_eq!(num(&a, "adc_energy_J"), num(&b, "adc_energy_J"));
    assert_eq!(sidecar(&d.join("a.csv"))["command"], "cost");

    // Bad input: one line, exit 2, naming the flag or the file and line.
    let mut args: Vec<&str> = base.to_vec();
    args.extend_from_slice(&["--columns-per-adc", "0", "--output", "c.csv"]);
    let e = fails(d, &args);
    assert!(e.contains("--columns-per-adc"), "{e}");
    // A bit-sliced mapping brings its own ADC per slice: refused beside
    // --adc-bits, a bad key named; without --adc-bits it runs, and 8-bit
    // weights on four 2-bit cells per sign convert 4× the bit lines of
    // differential pairs at the same 6 bits.
    let mapped = |mapping: &'static str, out: &'static str, adc: bool| {
        let mut args: Vec<&str> = base.to_vec();
        if !adc {
            args.truncate(args.len() - 2);
            args.extend_from_slice(&["--cost-adc-bits", "6"]);
        }
        args.extend_from_slice(&["--mapping", mapping, "--output", out]);
        args
    };
    let e = fails(
        d,
        &mapped("bits_per_cell=2,cells_per_weight=4", "d.csv", true),
    );
    assert!(
        e.contains("--adc-bits") && e.contains("bit-sliced mapping"),
        "{e}"
    );
    let e = fails(
        d,
        &mapped(
            "bits_per_cell=2,cells_per_weight=4,bits_per_dac_step=9",
            "d.csv",
            false,
        ),
    );
    assert!(
        e.contains("--mapping")
            && e.contains("bits_per_dac_step: expected an integer in 1..=8, found 9"),
        "{e}"
    );
    ok(
        d,
        &mapped(
            "bits_per_cell=2,cells_per_weight=4,input_bits=1",
            "d.csv",
            false,
        ),
    );
    let (_, m) = read(&d.join("d.csv"));
    let ratio = num(&m, "adc_energy_J") / num(&a, "adc_energy_J");
    // (Not exactly 4: the second layer's reads follow the hidden spikes,
    // which the 8-bit weights move a little.)
    assert!((ratio / 4.0 - 1.0).abs() < 0.05, "{ratio}");
    std::fs::write(d.join("t.toml"), "name = \"x\"\n").unwrap();
    let mut args: Vec<&str> = base.to_vec();
    args.extend_from_slice(&["--technology", "t.toml", "--output", "c.csv"]);
    let e = fails(d, &args);
    assert!(
        e.contains("t.toml:") && e.contains("missing key `feature_size_m`"),
        "{e}"
    );
}
