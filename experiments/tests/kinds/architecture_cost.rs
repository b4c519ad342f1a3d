//! `architecture-cost` and the shipped `isaac` config: ISAAC's tile
//! predicted from components beside the paper's Table 6 (tile power and
//! area within 15 %, the ADC share within 8 points), the survey-envelope
//! ADC's difference, and errors located at the field.

use super::{column, located, run_in};
use polars::prelude::DataFrame;
use xbar_experiments::{shipped, Experiment};

fn strings(df: &DataFrame, name: &str) -> Vec<String> {
    df.column(name)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .map(|s| s.unwrap().to_string())
        .collect()
}

#[test]
fn isaac_is_predicted_within_the_targets_and_the_survey_adc_is_stated() {
    let dir = tempfile::tempdir().unwrap();
    let exp = Experiment::parse(
        &dir.path().join("isaac.toml"),
        shipped::get("isaac").unwrap(),
    )
    .unwrap();
    let df = run_in(&exp, dir.path()).unwrap();
    let model = strings(&df, "adc_model");
    let bits = column(&df, "architecture.adc_bits");
    let row = |m: &str| {
        (0..model.len())
            .find(|&k| model[k] == m && bits[k] == 8.0)
            .unwrap()
    };
    let (d, s) = (row("design"), row("survey"));
    let power = column(&df, "tile_power_W");
    let area = column(&df, "tile_area_m2");
    let share = column(&df, "adc_power_share");
    let area_share = column(&df, "adc_area_share");
    let ima_power = column(&df, "ima_power_W");
    let ima_area = column(&df, "ima_area_m2");
    // The paper (ISCA 2016, Table 6 and §6) beside xbarsim.
    let paper = [
        ("tile power (W)", 0.330, power[d]),
        ("tile area (m²)", 0.372e-6, area[d]),
        ("IMA power (W)", 0.289 / 12.0, ima_power[d]),
        ("IMA area (m²)", 0.157e-6 / 12.0, ima_area[d]),
        ("ADC share of power", 0.58, share[d]),
        ("ADC share of area", 0.31, area_share[d]),
    ];
    eprintln!("{:<20} {:>12} {:>12}", "", "ISAAC", "xbarsim");
    for (name, theirs, ours) in paper {
        eprintln!("{name:<20} {theirs:>12.4e} {ours:>12.4e}");
    }
    assert!((power[d] / 0.330 - 1.0).abs() < 0.15, "{}", power[d]);
    assert!((area[d] / 0.372e-6 - 1.0).abs() < 0.15, "{}", area[d]);
    assert!((share[d] - 0.58).abs() < 0.08, "{}", share[d]);
    assert!((area_share[d] - 0.31).abs() < 0.08, "{}", area_share[d]);
    // The components add up to the tile.
    let parts = [
        "adc_power_W",
        "dac_power_W",
        "array_power_W",
        "sample_hold_power_W",
        "shift_add_power_W",
        "register_power_W",
        "edram_power_W",
        "bus_power_W",
        "router_power_W",
        "activation_power_W",
    ];
    for (k, &total) in power.iter().enumerate() {
        let sum: f64 = parts.iter().map(|p| column(&df, p)[k]).sum();
        assert!((sum - total).abs() < 1e-9 * total, "row {k}");
    }
    // The survey envelope: 256 fJ instead of 1.5625 pJ per 8-bit conversion,
    // 96 ADCs at 1.28 GS/s: 160.5 mW less, the ADCs a fifth of the tile.
    let lost = 96.0 * 1.28e9 * (1.5625e-12 - 0.256e-12);
    assert!(
        (power[d] - power[s] - lost).abs() < 1e-6,
        "{}",
        power[d] - power[s]
    );
    assert!(share[s] > 0.15 && share[s] < 0.25, "{}", share[s]);
    assert_eq!(area[d], area[s]);
    // The design ADC's energy halves per bit: 4 bits save 15/16 of 192 mW.
    let d4 = (0..model.len())
        .find(|&k| model[k] == "design" && bits[k] == 4.0)
        .unwrap();
    assert!((power[d] - power[d4] - 0.192 * 15.0 / 16.0).abs() < 1e-9);
    // The workload: 1 + 1 + 1 tiles, 641 vectors of 1.6 µs in sequence,
    // the first layer's 576 the pipeline's slowest stage.
    assert_eq!(column(&df, "network_tiles")[d], 3.0);
    assert!((column(&df, "latency_s")[d] - 641.0 * 1.6e-6).abs() < 1e-12);
    assert!((column(&df, "throughput_per_s")[d] - 1.0 / (576.0 * 1.6e-6)).abs() < 1e-6);
}

#[test]
fn architecture_errors_are_located_at_the_field() {
    let base = "name = \"a\"\nkind = \"architecture-cost\"\ndevice = \"ideal\"\n[architecture]\nbits_per_dac_step = 1\nimas = 12\n";
    let (line, _, key, msg) =
        located(&base.replace("bits_per_dac_step = 1", "bits_per_dac_step = 20"));
    assert_eq!(
        (line, key.as_str()),
        (5, "architecture.bits_per_dac_step"),
        "{msg}"
    );
    assert!(
        msg.contains("expected an integer in 1..=16, found 20"),
        "{msg}"
    );
    let (line, _, key, msg) = located(&base.replace("imas = 12", "imas = 0"));
    assert_eq!((line, key.as_str()), (6, "architecture.imas"), "{msg}");
    // A technology without [components] cannot price a tile.
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{base}technology = \"generic-32nm\"\n");
    let exp = Experiment::parse(&dir.path().join("a.toml"), &text).unwrap();
    let err = run_in(&exp, dir.path()).unwrap_err();
    assert!(
        err.contains("architecture.technology") && err.contains("[components]"),
        "{err}"
    );
}
