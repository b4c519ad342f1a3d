//! `insitu-training`'s write columns (`write_pulses`, `write_energy_J`,
//! `write_time_s`) and its `[cost]` section: located errors, a technology
//! file with a bad value, and a reduced NeuroSim-protocol run whose columns
//! must sit between the bounds the device's conductance range sets.

use super::{column, options, parse};
use xbar_experiments::{run, table, Experiment};

const HEAD: &str = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"ag-a-si\"\nseed = 3\n[insitu]\nprotocol = \"neurosim\"\nepochs = 2\n[insitu.neurosim]\nhidden = 16\nimages_per_epoch = 300\n[data]\ntest_limit = 200\n";

#[test]
fn cost_section_errors_are_located() {
    for (tail, (line, col, key)) in [
        (
            "[cost]\ntechnology = \"generic-7nm\"\n",
            (14, 14, "cost.technology"),
        ),
        ("[cost]\nadc_bits = 6\n", (14, 12, "cost.adc_bits")),
        (
            "[cost]\ncolumns_per_adc = 4\n",
            (14, 19, "cost.columns_per_adc"),
        ),
    ] {
        let e = parse(&format!("{HEAD}{tail}")).expect_err("invalid");
        assert_eq!(
            (e.line(), e.column(), e.key()),
            (Some(line), Some(col), Some(key)),
            "{e}"
        );
    }
    // A technology file with a negative write voltage: refused before the
    // run starts, at the file's line.
    let dir = tempfile::tempdir().unwrap();
    let tech = xbar_cost::Technology::preset_text("generic-32nm")
        .unwrap()
        .replace("{ value = 1.6,", "{ value = -1.6,");
    std::fs::write(dir.path().join("tech.toml"), &tech).unwrap();
    let line = tech
        .lines()
        .position(|l| l.starts_with("write_voltage_v"))
        .unwrap()
        + 1;
    let text = format!("{HEAD}[cost]\ntechnology = \"tech.toml\"\n");
    let exp = Experiment::parse(&dir.path().join("e.toml"), &text).unwrap();
    let err = run(&exp, &options(dir.path()), &|_| {}).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains(&format!("tech.toml:{line}:1: write_voltage_v")),
        "{message}"
    );
}

/// A reduced NeuroSim run on ag-a-si (400-16-10, 300 images per epoch):
/// the columns are cumulative, every pulse's energy lies between the
/// device's G_min and G_max with the smaller and larger array's lines, and
/// the time between the evenly shared and the one-array bounds.
#[test]
fn neurosim_run_reports_cumulative_write_energy_within_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let exp = parse(HEAD).unwrap();
    let opts = options(dir.path());
    run(&exp, &opts, &|_| {}).unwrap();
    let df = table::read(&opts.out).unwrap();
    let (pulses, energy, time) = (
        column(&df, "write_pulses"),
        column(&df, "write_energy_J"),
        column(&df, "write_time_s"),
    );
    assert_eq!(pulses.len(), 2);
    assert!(pulses[0] > 1000.0 && pulses[1] > pulses[0], "{pulses:?}");
    assert!(energy[1] > energy[0] && time[1] > time[0]);
    let device = xbar_devices::library::preset("ag-a-si").unwrap();
    let (g_min, g_max) = (device.g_min.siemens(), device.g_max.siemens());
    let (v2, tp, seg) = (1.6f64 * 1.6, 50e-9, 0.2e-9 * 2.0 * 32e-9);
    // Arrays 400 × 17 and 16 × 11 (reference columns).
    let (lines_min, lines_max) = (27.0, 417.0);
    for ((p, e), t) in pulses.iter().zip(&energy).zip(&time) {
        let low = p * v2 * (tp * g_min + lines_min * seg);
        let high = p * v2 * (tp * g_max + lines_max * seg);
        assert!(*e >= low && *e <= high, "{e:e} not in [{low:e}, {high:e}]");
        assert!(*t >= p / 2.0 * tp - 1e-18 && *t <= p * tp + 1e-18, "{t:e}");
    }
}
