//! Snapshots: three figures drawn from fixed tables must equal the SVGs in
//! `tests/snapshots/` byte for byte, so that any change to the layout, the
//! ticks, the units or the looks shows up in review as a changed file.
//! After an intended change, rerun with `XBAR_PLOTS_BLESS=1` and look at
//! the new files (e.g. in a browser) before committing them.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use xbar_plots::{draw, ErrorStyle, FigureSize, PlotKind, PlotSpec};

fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

fn check(spec: &PlotSpec, table: &DataFrame) {
    let dir = tempfile::tempdir().unwrap();
    let svg = std::fs::read_to_string(&draw(spec, table, dir.path()).unwrap()[0]).unwrap();
    let want = snapshot_dir().join(&spec.file);
    if std::env::var_os("XBAR_PLOTS_BLESS").is_some() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&want, &svg).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&want)
        .unwrap_or_else(|e| panic!("{}: {e}; run with XBAR_PLOTS_BLESS=1", want.display()));
    if svg != expected {
        let at = svg
            .bytes()
            .zip(expected.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(svg.len().min(expected.len()));
        let from = at.saturating_sub(80);
        panic!(
            "{} differs from the snapshot at byte {at}:\n  got  …{}…\n  want …{}…\n(XBAR_PLOTS_BLESS=1 rewrites it)",
            spec.file,
            &svg[from..(at + 80).min(svg.len())],
            &expected[from..(at + 80).min(expected.len())],
        );
    }
}

/// A drift sweep: conductance (S) over time (s), three targets, three
/// repeats.
fn drift_table() -> DataFrame {
    let (mut t, mut g, mut target) = (Vec::new(), Vec::new(), Vec::new());
    for g0 in [5e-6, 1e-5, 2e-5] {
        for k in 0..8 {
            let time = 10f64.powi(k);
            for rep in 0..3 {
                t.push(time);
                target.push(g0);
                g.push(g0 * (time / 20.0).max(1.0).powf(-0.05) * (1.0 + 0.02 * (rep as f64 - 1.0)));
            }
        }
    }
    df!["time_s" => t, "target_S" => target, "conductance_mean_S" => g].unwrap()
}

#[test]
fn drift_with_bands() {
    let mut spec = PlotSpec::new("drift_bands.svg", "time_s", "conductance_mean_S");
    spec.series = Some("target_S".into());
    spec.log_x = true;
    spec.error = ErrorStyle::Ci95;
    spec.y_label = Some("Mean conductance (S)".into());
    check(&spec, &drift_table());
}

#[test]
fn panels_per_target() {
    let mut spec = PlotSpec::new("drift_panels.svg", "time_s", "conductance_mean_S");
    spec.facet = Some("target_S".into());
    spec.log_x = true;
    spec.size = FigureSize::Double;
    check(&spec, &drift_table());
}

#[test]
fn energy_heatmap() {
    let (mut bits, mut share, mut e) = (Vec::new(), Vec::new(), Vec::new());
    for b in 3i64..=8 {
        for s in [1i64, 8, 32] {
            bits.push(b);
            share.push(s);
            e.push(1e-9 * (1u64 << b) as f64 / (s as f64).sqrt());
        }
    }
    let table = df!["array.adc_bits" => bits, "cost.columns_per_adc" => share, "energy_per_inference_J" => e].unwrap();
    let mut spec = PlotSpec::new(
        "energy_heatmap.svg",
        "array.adc_bits",
        "cost.columns_per_adc",
    );
    spec.kind = PlotKind::Heatmap;
    spec.z = Some("energy_per_inference_J".into());
    check(&spec, &table);
}
