//! `[array.mapping]`: network reads through a bit-sliced mapping. On an
//! ideal device the sliced read of 16-bit weights classifies as the
//! unsliced one and its ADCs convert every sliced bit line (×8 the
//! conversions of differential pairs); unsupported combinations are
//! config errors located at their key; the shipped `conv-adc-per-slice`
//! runs reduced and shows its trend.

use super::{column, located, run_in};
use xbar_experiments::Experiment;

/// A 784-32-10 spiking network (rate-coded, 4 steps) trained 2 epochs
/// (batches of 16) on 1 000 shipped images, tested on 100, on 64×64 ideal arrays.
fn config(array: &str) -> String {
    format!(
        "name = \"s\"\nkind = \"inference-cost\"\ndevice = \"ideal\"\nseed = 3\n[network]\nsizes = [784, 32, 10]\nsteps = 4\nencoding = \"rate\"\n[training]\nepochs = 2\nbatch_size = 16\noptimizer = {{ learning_rate = 5e-3 }}\n[data]\ntrain_limit = 1000\ntest_limit = 100\n[array]\nsize = 64\n{array}[evaluation]\ntimes_s = [1.0]\ninstances = 1\n[cost]\ntechnology = \"generic-32nm\"\nadc_bits = 6\n"
    )
}

#[test]
fn sixteen_bit_slices_on_an_ideal_device_classify_as_pairs_and_convert_eight_times_the_bit_lines() {
    let dir = tempfile::tempdir().unwrap();
    let run = |array: &str, sub: &str| {
        let exp = Experiment::parse(&dir.path().join("s.toml"), &config(array)).unwrap();
        run_in(&exp, &dir.path().join(sub)).unwrap()
    };
    let pairs = run("", "pairs");
    // 16-bit weights on eight 2-bit cells per sign (16 bit lines per
    // weight), spikes fed as 1-bit inputs (one DAC step), exact ADCs.
    let sliced = run(
        "[array.mapping]\nbits_per_cell = 2\ncells_per_weight = 8\ninput_bits = 1\n",
        "sliced",
    );
    let acc = |df| column(df, "accuracy_pct")[0];
    assert_eq!(acc(&sliced), acc(&pairs));
    // The same reads (one per product with a spike in the tile's rows),
    // every bit line converted: 16 per weight against 2, at 6 bits each.
    let adc = |df| column(df, "adc_energy_J")[0];
    let ratio = adc(&sliced) / adc(&pairs);
    assert!((ratio - 8.0).abs() < 1e-9, "{ratio}");
    let cells = |df| column(df, "cells_area_m2")[0];
    assert!((cells(&sliced) / cells(&pairs) - 8.0).abs() < 1e-9);
    // A 1-bit clipping ADC per slice: the same reads and conversions, at
    // 1 bit each (AdcModel's energy per conversion at 1 and 6 bits).
    let clipped = run(
        "[array.mapping]\nbits_per_cell = 2\ncells_per_weight = 8\ninput_bits = 1\nadc_bits = 1\n",
        "clipped",
    );
    let software = column(&sliced, "software_accuracy_pct")[0];
    assert!(software > 50.0, "the network classifies: {software}");
    assert!(
        acc(&clipped) < acc(&sliced) - 10.0,
        "{} vs {}",
        acc(&clipped),
        acc(&sliced)
    );
}

#[test]
fn unsupported_mappings_are_located_config_errors() {
    let cases = [
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[array]\nadc_bits = 6\n[array.mapping]\nbits_per_cell = 2\ncells_per_weight = 4\n",
            (5, 12, "array.adc_bits", "a bit-sliced mapping has its own DAC steps and ADC per slice"),
        ),
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[array]\nsize = 4\n[array.mapping]\nbits_per_cell = 2\ncells_per_weight = 4\n",
            (5, 8, "array.size", "expected at least the 8 columns of one sliced weight"),
        ),
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[array.mapping]\nbits_per_cell = 2\ncells_per_weight = 4\nbits_per_dac_step = 9\n",
            (4, 1, "array.mapping", "bits_per_dac_step: expected an integer in 1..=8, found 9"),
        ),
        (
            "name = \"x\"\nkind = \"crossbar-ir-drop\"\ndevice = \"ibm-pcm\"\n[array]\nsize = 8\n[array.mapping]\nbits_per_cell = 2\ncells_per_weight = 1\n",
            (6, 1, "array.mapping", "not modelled by crossbar-ir-drop"),
        ),
    ];
    for (text, (line, col, key, says)) in cases {
        let (l, c, k, message) = located(text);
        assert_eq!((l, c, k.as_str()), (line, col, key), "{message}");
        assert!(message.contains(says), "{message}");
    }
}

/// The shipped `conv-adc-per-slice`, reduced (1 000 training images, one
/// epoch in batches of 16, 50 test images, a 2-bit and a 9-bit clipping ADC per slice): the
/// 2-bit ADC clips the slices' sums and loses accuracy, and the ADC energy
/// grows by two orders of magnitude (×2 per bit at the same activity).
#[test]
fn shipped_conv_adc_per_slice_runs_reduced() {
    let dir = tempfile::tempdir().unwrap();
    let text = xbar_experiments::shipped::get("conv-adc-per-slice")
        .unwrap()
        .replace("train_limit = 6000", "train_limit = 1000")
        .replace("test_limit = 1000", "test_limit = 50")
        .replace("epochs = 2", "epochs = 1")
        .replace("batch_size = 128", "batch_size = 16")
        .replace(
            "\"array.mapping.adc_range\" = [\"clip\", \"full-scale\"]",
            "\"array.mapping.adc_range\" = [\"clip\"]",
        )
        .replace(
            "\"array.mapping.adc_bits\" = [2, 3, 4, 5, 6, 7, 8, 9]",
            "\"array.mapping.adc_bits\" = [2, 9]",
        );
    let exp = Experiment::parse(&dir.path().join("c.toml"), &text).unwrap();
    assert_eq!(exp.points.len(), 2);
    let df = run_in(&exp, dir.path()).unwrap();
    let (acc, adc) = (column(&df, "accuracy_pct"), column(&df, "adc_energy_J"));
    let software = column(&df, "software_accuracy_pct")[0];
    assert!(acc[1] > acc[0] + 20.0, "{acc:?} (software {software})");
    assert!((acc[1] - software).abs() <= 10.0, "{acc:?} vs {software}");
    let ratio = adc[1] / adc[0];
    assert!(ratio > 50.0 && ratio < 400.0, "{ratio}");
}

/// The shipped `conv-neurosim-style`, reduced as `conv-adc-per-slice`
/// above, at NeuroSim's 1-bit cells and offset columns: a 3-bit
/// full-scale ADC per slice (Δ = 128/7 units) loses accuracy an 8-bit one
/// keeps.
#[test]
fn shipped_conv_neurosim_style_runs_reduced() {
    let dir = tempfile::tempdir().unwrap();
    let text = xbar_experiments::shipped::get("conv-neurosim-style")
        .unwrap()
        .replace("train_limit = 6000", "train_limit = 1000")
        .replace("test_limit = 1000", "test_limit = 50")
        .replace("epochs = 2", "epochs = 1")
        .replace("batch_size = 128", "batch_size = 16")
        .replace(
            "\"array.mapping.adc_range\" = [\"full-scale\", \"clip\"]",
            "\"array.mapping.adc_range\" = [\"full-scale\"]",
        )
        .replace(
            "\"array.mapping.adc_bits\" = [3, 4, 5, 6, 7, 8]",
            "\"array.mapping.adc_bits\" = [3, 8]",
        );
    let exp = Experiment::parse(&dir.path().join("n.toml"), &text).unwrap();
    assert_eq!(exp.points.len(), 2);
    let df = run_in(&exp, dir.path()).unwrap();
    let acc = column(&df, "accuracy_pct");
    let software = column(&df, "software_accuracy_pct")[0];
    assert!(acc[1] > acc[0] + 10.0, "{acc:?} (software {software})");
    assert!((acc[1] - software).abs() <= 6.0, "{acc:?} vs {software}");
}
