//! `inference-cost`: a trained model evaluated with its cost; the
//! breakdown sums to the total, ADC sharing trades ADCs for latency, and a
//! bad technology file is located in that file.

use super::{column, run_in, tiny_model};
use xbar_experiments::Experiment;

#[test]
fn costs_sum_share_adcs_and_locate_technology_errors() {
    let dir = tempfile::tempdir().unwrap();
    tiny_model(&dir.path().join("m.safetensors"));
    let text = "name = \"c\"\nkind = \"inference-cost\"\ndevice = \"ideal\"\nseed = 3\n[data]\ntest_limit = 50\n[array]\nsize = 64\nr_wire_ohm = 1.0\nadc_bits = 6\n[evaluation]\nmodel = \"m.safetensors\"\ntimes_s = [1.0]\ninstances = 1\n[cost]\ntechnology = \"generic-32nm\"\n[sweep]\n\"cost.columns_per_adc\" = [2, 4]\n";
    let exp = Experiment::parse(&dir.path().join("c.toml"), text).unwrap();
    let df = run_in(&exp, dir.path()).unwrap();
    let total = column(&df, "energy_per_inference_J");
    let parts: Vec<Vec<f64>> = [
        "array_energy_J",
        "wordline_energy_J",
        "driver_energy_J",
        "adc_energy_J",
        "accumulate_energy_J",
        "neuron_energy_J",
        "buffer_energy_J",
    ]
    .iter()
    .map(|c| column(&df, c))
    .collect();
    for (k, &t) in total.iter().enumerate() {
        let sum: f64 = parts.iter().map(|p| p[k]).sum();
        assert!((sum - t).abs() < 1e-12 * t, "row {k}: {sum:e} vs {t:e}");
        assert!(parts[0][k] > 0.0 && parts[3][k] > 0.0);
    }
    // Rows follow the sweep: 2 then 4 columns per ADC (every tile width is a
    // multiple of 4: 32 and 20 bit lines).
    let adcs = column(&df, "adcs");
    let area = column(&df, "adc_area_m2");
    let latency = column(&df, "latency_s");
    assert_eq!(adcs[0], 2.0 * adcs[1]);
    assert!((area[0] - 2.0 * area[1]).abs() < 1e-12 * area[0]);
    assert!(latency[1] > latency[0]);
    let energy_adc = column(&df, "adc_energy_J");
    assert_eq!(energy_adc[0], energy_adc[1]);
    // Same device, same spikes: the accuracy does not depend on the ADC sharing.
    let acc = column(&df, "accuracy_pct");
    assert_eq!(acc[0], acc[1]);
    let rate = column(&df, "input_rate");
    assert!(
        rate[0] > 0.05 && rate[0] < 0.5,
        "MNIST pixels spike at ~13 %: {}",
        rate[0]
    );

    // A technology file with a negative value: located in that file.
    let preset = xbar_cost::Technology::preset_text("generic-32nm").unwrap();
    let line = preset
        .lines()
        .position(|l| l.starts_with("read_time_s"))
        .unwrap()
        + 1;
    std::fs::write(
        dir.path().join("tech.toml"),
        preset.replace(
            "read_time_s = { value = 10e-9",
            "read_time_s = { value = -1e-9",
        ),
    )
    .unwrap();
    let bad = text.replace("\"generic-32nm\"", "\"tech.toml\"");
    let exp = Experiment::parse(&dir.path().join("c.toml"), &bad).unwrap();
    let err = run_in(&exp, dir.path()).unwrap_err();
    assert!(
        err.contains(&format!(
            "tech.toml:{line}:1: read_time_s: expected a finite value > 0"
        )),
        "{err}"
    );
}

/// The shipped `spikes-vs-activations` and `cost-adc-precision` configs,
/// reduced (fewer images, one epoch): the trends their READMEs state.
#[test]
fn shipped_cost_configs_show_their_trends_reduced() {
    let dir = tempfile::tempdir().unwrap();
    let reduce = |text: &str| {
        text.replace("train_limit = 6000", "train_limit = 600")
            .replace("test_limit = 1000", "test_limit = 100")
            .replace("epochs = 3", "epochs = 1")
    };
    let text = reduce(xbar_experiments::shipped::get("spikes-vs-activations").unwrap());
    let exp = Experiment::parse(&dir.path().join("s.toml"), &text).unwrap();
    let df = run_in(&exp, &dir.path().join("s")).unwrap();
    let energy = column(&df, "energy_per_inference_J");
    // Points: rate T = 5, 10, 25; direct T = 10; ReLU.
    assert_eq!(energy.len(), 5);
    assert!(energy[0] < energy[1] && energy[1] < energy[2], "{energy:?}");
    let ratio = energy[2] / energy[0];
    assert!(ratio > 3.0 && ratio < 6.0, "T = 25 against T = 5: {ratio}");
    let relu = energy[4];
    assert!(energy[..4].iter().all(|&e| e > relu), "{energy:?}");
    let rate = column(&df, "input_rate");
    assert!(rate[0] > 0.05 && rate[0] < 0.3, "{rate:?}");

    let text = reduce(xbar_experiments::shipped::get("cost-adc-precision").unwrap());
    let exp = Experiment::parse(&dir.path().join("a.toml"), &text).unwrap();
    let df = run_in(&exp, &dir.path().join("a")).unwrap();
    let (adc, acc) = (column(&df, "adc_energy_J"), column(&df, "accuracy_pct"));
    // 6 resolutions × 3 sharings, resolution outer: ADC energy ×2 per bit
    // (Walden regime up to 8 bits), the same for every sharing. Not exactly
    // 2: the hidden spikes, hence the reads of the second layer, change a
    // little with the resolution.
    for b in 0..5 {
        let r = adc[3 * (b + 1)] / adc[3 * b];
        assert!((r - 2.0).abs() < 0.02, "bits {}: {r}", b + 3);
    }
    for b in 0..6 {
        assert_eq!(acc[3 * b], acc[3 * b + 1]);
        assert_eq!(acc[3 * b], acc[3 * b + 2]);
        assert_eq!(adc[3 * b], adc[3 * b + 2]);
    }
}

/// `inference-drift` and `inference-cost` evaluate a network by the same
/// function (`ProgrammedNetwork::evaluate_at`, the cost kind with a probe):
/// the same `accuracy_pct`, bit for bit, for the same config and seed —
/// without converters (tiles collapsed, no calibration read) and with a
/// DAC and an ADC (calibrated at t₀), on a device with drift and read
/// noise, three instances, two times.
#[test]
fn inference_cost_gives_the_accuracy_of_inference_drift_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    tiny_model(&dir.path().join("m.safetensors"));
    for (k, array) in [
        "size = 64\nr_wire_ohm = 1.0\n",
        "size = 64\nr_wire_ohm = 1.0\ndac_bits = 4\nadc_bits = 5\n",
    ]
    .iter()
    .enumerate()
    {
        let run = |kind: &str| {
            let text = format!(
                "name = \"same\"\nkind = \"{kind}\"\ndevice = \"ibm-pcm\"\nseed = 3\n[data]\ntest_limit = 100\n[array]\n{array}[evaluation]\nmodel = \"m.safetensors\"\ntimes_s = [1.0, 86400.0]\ninstances = 3\n"
            );
            let exp = Experiment::parse(&dir.path().join(format!("{kind}.toml")), &text).unwrap();
            run_in(&exp, &dir.path().join(format!("{kind}-{k}"))).unwrap()
        };
        let (drift, cost) = (run("inference-drift"), run("inference-cost"));
        let accuracy = column(&drift, "accuracy_pct");
        assert_eq!(accuracy.len(), 2);
        assert_eq!(accuracy, column(&cost, "accuracy_pct"), "{array}");
        assert_eq!(
            column(&drift, "software_accuracy_pct"),
            column(&cost, "software_accuracy_pct")
        );
    }
}
