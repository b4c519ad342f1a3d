//! The shape every kind shares: errors located at the field for every
//! section, the table schema taken from the row type, the solver chosen in
//! `[array]`, absolute drift targets, and evaluating a model file.

use std::path::Path;

use polars::prelude::DataFrame;
use xbar_experiments::config::ConfigError;
use xbar_experiments::{run, table, Experiment, Kind, RunOptions};

fn parse(text: &str) -> Result<Experiment, ConfigError> {
    Experiment::parse(Path::new("cfg.toml"), text)
}

/// `(line, column, key)` of a config error, and its message.
fn located(text: &str) -> (usize, usize, String, String) {
    let e = parse(text).expect_err("the config is invalid");
    (
        e.line().unwrap(),
        e.column().unwrap(),
        e.key().unwrap_or("").to_string(),
        e.to_string(),
    )
}

mod architecture_cost;
mod inference_cost;
mod insitu_write_energy;
mod sliced_mapping;

fn options(dir: &Path) -> RunOptions {
    RunOptions {
        out: dir.join("out"),
        jobs: 2,
        force: false,
        shard: None,
        data_override: None,
        abort_after: None,
        stop: None,
    }
}

/// Runs `exp` into `dir/out` and reads its table back.
fn run_in(exp: &Experiment, dir: &Path) -> Result<DataFrame, String> {
    let opts = options(dir);
    run(exp, &opts, &|_| {}).map_err(|e| e.to_string())?;
    table::read(&opts.out).map_err(|e| e.to_string())
}

/// A small network (784-16-10, 4 steps) trained one epoch on 300 shipped
/// images with seed 3, written to `file`.
fn tiny_model(file: &Path) -> xbar_training::Network {
    use xbar_training::{model, train, Network, NetworkConfig, Split, TrainConfig};
    let network = NetworkConfig {
        sizes: vec![784, 16, 10],
        steps: 4,
        ..NetworkConfig::default()
    };
    let data = xbar_experiments::data::load(None, Split::Train, Some(300)).unwrap();
    let mut net = Network::new(network, 3).unwrap();
    train(&mut net, &data, None, &TrainConfig::default(), &mut |_| {}).unwrap();
    std::fs::write(file, model::to_bytes(&net, &[]).unwrap()).unwrap();
    net
}

fn column(df: &DataFrame, name: &str) -> Vec<f64> {
    df.column(name)
        .unwrap()
        .cast(&polars::prelude::DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .into_no_null_iter()
        .collect()
}

#[test]
fn errors_are_located_at_the_field_in_every_section() {
    let cases = [
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[training]\nepochs = 1\nbatch_size = 0\n",
            (6, 14, "training.batch_size"),
        ),
        (
            "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nlearning_rate = -1.0\n",
            (5, 17, "insitu.learning_rate"),
        ),
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[network]\nsizes = [784, 0, 10]\n",
            (5, 9, "network.sizes"),
        ),
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[evaluation]\ninstances = 0\n",
            (5, 13, "evaluation.instances"),
        ),
        (
            "name = \"x\"\nkind = \"crossbar-ir-drop\"\ndevice = \"ibm-pcm\"\n[array]\nsize = 8\nr_source_ohm = -1.0\n",
            (6, 16, "array.r_source_ohm"),
        ),
        (
            // The shorthand is reported where it was written.
            "name = \"x\"\nkind = \"crossbar-ir-drop\"\ndevice = \"ibm-pcm\"\n[array]\nr_wire_ohm = -2.0\n",
            (5, 14, "array.r_wire_ohm"),
        ),
        (
            "name = \"x\"\nkind = \"inference-drift\"\ndevice = \"ibm-pcm\"\n[array]\nadc_bits = 40\n",
            (5, 12, "array.adc_bits"),
        ),
        (
            "name = \"x\"\nkind = \"crossbar-ir-drop\"\ndevice = \"ibm-pcm\"\n[array]\nsolver = \"exakt\"\n",
            (5, 10, "array.solver"),
        ),
        (
            "name = \"x\"\nkind = \"device-drift\"\ndevice = \"ibm-pcm\"\n[drift]\ntimes_s = [1.0, -3.0]\n",
            (5, 11, "drift.times_s"),
        ),
    ];
    for (text, (line, col, key)) in cases {
        let (l, c, k, message) = located(text);
        assert_eq!((l, c, k.as_str()), (line, col, key), "{message}");
        assert!(
            message.starts_with(&format!("cfg.toml:{line}:{col}: {key}: ")),
            "{message}"
        );
    }
    let (l, c, k, message) = located(
        "name = \"x\"\nkind = \"crossbar-ir-drop\"\ndevice = \"ibm-pcm\"\n[array]\nr_wier_ohm = 1.0\n",
    );
    assert_eq!((l, c, k.as_str()), (5, 1, "array.r_wier_ohm"), "{message}");
    assert!(message.contains("did you mean `r_wire_ohm`?"), "{message}");
}

#[test]
fn the_table_schema_is_the_row_type() {
    let text = "name = \"p\"\nkind = \"device-pulse\"\ndevice = \"pcmo\"\n[pulse]\ndevices = 4\npulses_ltp = 5\npulses_ltd = 5\n[sweep]\n\"pulse.devices\" = [4, 8]\n";
    let exp = parse(text).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let df = run_in(&exp, dir.path()).unwrap();
    let names: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut expected = vec!["point", "repeat", "seed", "pulse.devices"];
    expected.extend(Kind::DevicePulse.outputs());
    assert_eq!(names, expected);
    assert_eq!(df.height(), 2 * 11);
    // min ≤ mean ≤ max on every row (up to the rounding of a sum of equal
    // values).
    let (lo, mean, hi) = (
        column(&df, "conductance_min_S"),
        column(&df, "conductance_mean_S"),
        column(&df, "conductance_max_S"),
    );
    for i in 0..df.height() {
        let slack = 1e-12 * mean[i];
        assert!(
            lo[i] <= mean[i] + slack && mean[i] <= hi[i] + slack,
            "row {i}: {} {} {}",
            lo[i],
            mean[i],
            hi[i]
        );
    }
}

#[test]
fn the_array_solver_is_chosen_in_the_config_and_exact_equals_transfer() {
    let base = "name = \"w\"\nkind = \"crossbar-ir-drop\"\ndevice = \"neurram-rram\"\n[array]\nsize = 24\nvectors = 40\nr_wire_ohm = 20.0\n";
    let dir = tempfile::tempdir().unwrap();
    let mut results = Vec::new();
    for solver in ["auto", "exact", "transfer"] {
        let exp = parse(&format!("{base}solver = \"{solver}\"\n")).unwrap();
        let df = run_in(&exp, &dir.path().join(solver)).unwrap();
        results.push((
            column(&df, "error_mean_rel")[0],
            column(&df, "current_ratio")[0],
        ));
    }
    // auto is the exact nodal solve in this kind: bit for bit.
    assert_eq!(results[0], results[1]);
    // The transfer matrix solves the same circuit another way.
    let (exact, transfer) = (results[1], results[2]);
    assert!(
        exact.0 > 1e-3,
        "wires of 20 Ω must cost something: {exact:?}"
    );
    assert!(
        (exact.0 - transfer.0).abs() <= 1e-9 * exact.0,
        "{exact:?} {transfer:?}"
    );
    assert!(
        (exact.1 - transfer.1).abs() <= 1e-12,
        "{exact:?} {transfer:?}"
    );
    // `ideal` would compare the ideal product with itself: refused.
    let (_, _, key, _) = located(&format!("{base}solver = \"ideal\"\n"));
    assert_eq!(key, "array.solver");
}

#[test]
fn absolute_drift_targets_equal_the_same_fractions() {
    let head = "name = \"d\"\nkind = \"device-drift\"\ndevice = \"ideal\"\nseed = 4\n[drift]\ndevices = 50\ntimes_s = [1.0, 100.0]\n";
    let spec = xbar_devices::library::preset("ideal").unwrap();
    let (g_min, range) = (spec.g_min.siemens(), spec.range());
    let targets: Vec<f64> = [0.25, 0.5].iter().map(|f| g_min + f * range).collect();
    let dir = tempfile::tempdir().unwrap();
    let by_fraction = run_in(
        &parse(&format!("{head}target_fractions = [0.25, 0.5]\n")).unwrap(),
        &dir.path().join("f"),
    )
    .unwrap();
    let by_value = run_in(
        &parse(&format!(
            "{head}targets_S = [{:?}, {:?}]\n",
            targets[0], targets[1]
        ))
        .unwrap(),
        &dir.path().join("s"),
    )
    .unwrap();
    for name in ["target_S", "conductance_mean_S", "conductance_p95_S"] {
        assert_eq!(
            column(&by_fraction, name),
            column(&by_value, name),
            "{name}"
        );
    }
    // Both at once is ambiguous.
    let (_, _, key, _) = located(&format!(
        "{head}target_fractions = [0.5]\ntargets_S = [1e-6]\n"
    ));
    assert_eq!(key, "drift.targets_S");
}

#[test]
fn inference_drift_evaluates_a_model_file() {
    let dir = tempfile::tempdir().unwrap();
    let net = tiny_model(&dir.path().join("m.safetensors"));
    let text = "name = \"e\"\nkind = \"inference-drift\"\ndevice = \"ideal\"\nseed = 3\n[data]\ntest_limit = 100\n[array]\nsize = 64\n[evaluation]\nmodel = \"m.safetensors\"\ntimes_s = [1.0]\ninstances = 1\n";
    let exp = Experiment::parse(&dir.path().join("e.toml"), text).unwrap();
    let df = run_in(&exp, dir.path()).unwrap();
    // A noiseless device with ideal wires gives back the software accuracy.
    let test = xbar_experiments::data::load(None, xbar_training::Split::Test, Some(100)).unwrap();
    let software = 100.0 * xbar_training::accuracy(&net, &test, 3);
    assert_eq!(column(&df, "software_accuracy_pct"), [software]);
    assert_eq!(column(&df, "accuracy_pct"), [software]);
    // A model file and a network to train are exclusive.
    let both = text.replace("[data]", "[network]\nsizes = [784, 16, 10]\n[data]");
    let e = Experiment::parse(&dir.path().join("e.toml"), &both).unwrap_err();
    assert_eq!(e.key(), Some("evaluation.model"), "{e}");
}

/// `[insitu] protocol = "neurosim"`: its settings are located at
/// `insitu.neurosim.<key>`, a `[network]` section (unused by the protocol)
/// and a device without NeuroSim's exponential curves are refused.
#[test]
fn neurosim_protocol_errors_are_located() {
    let head = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nprotocol = \"neurosim\"\n[insitu.neurosim]\n";
    for (tail, (line, col, key)) in [
        (
            "refresh_every = 100\n",
            (7, 17, "insitu.neurosim.refresh_every"),
        ),
        ("adc_bits = 40\n", (7, 12, "insitu.neurosim.adc_bits")),
        (
            "learning_rates = [0.4, -0.2]\n",
            (7, 24, "insitu.neurosim.learning_rates[1]"),
        ),
    ] {
        let (l, c, k, message) = located(&format!("{head}{tail}"));
        assert_eq!((l, c, k.as_str()), (line, col, key), "{message}");
    }
    let (_, _, k, message) = located(&format!(
        "{head}hidden = 10\n[network]\nsizes = [784, 10, 10]\n"
    ));
    assert_eq!(k, "network", "{message}");
    assert!(
        message.contains("not read under insitu.protocol"),
        "{message}"
    );
    let text = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"ibm-pcm\"\n[insitu]\nprotocol = \"neurosim\"\n";
    let (_, _, k, message) = located(text);
    assert_eq!(k, "device", "{message}");
    assert!(message.contains("exponential pulse model"), "{message}");
    // The default protocol is still the SNN scheme.
    let exp = parse("name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n").unwrap();
    let xbar_experiments::Settings::InsituTraining(s) = &exp.points[0].settings else {
        panic!("not insitu-training")
    };
    assert_eq!(s.insitu.protocol, xbar_training::Protocol::Snn);
}

/// Settings that a protocol does not read are refused where they are
/// written, not run without a word: the spiking protocol's `[insitu]` keys
/// under NeuroSim's, and `[insitu.neurosim]` without `protocol = "neurosim"`.
#[test]
fn unread_insitu_settings_are_refused_where_they_are_written() {
    let head = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nprotocol = \"neurosim\"\n";
    for (key, line) in [
        ("learning_rate = 0.5\n", (6, 17, "insitu.learning_rate")),
        ("batch_size = 8\n", (6, 14, "insitu.batch_size")),
        ("w_max = 1.0\n", (6, 9, "insitu.w_max")),
    ] {
        let (l, c, k, message) = located(&format!("{head}{key}"));
        assert_eq!((l, c, k.as_str()), line, "{message}");
        assert!(
            message.contains("not read under insitu.protocol = \"neurosim\""),
            "{message}"
        );
    }
    let snn = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nepochs = 1\n[insitu.neurosim]\nhidden = 50\n";
    let (l, _, k, message) = located(snn);
    assert_eq!((l, k.as_str()), (6, "insitu.neurosim"), "{message}");
    assert!(
        message.contains("add `protocol = \"neurosim\"`"),
        "{message}"
    );
    // The defaults written out are not settings left unread.
    parse(&format!("{head}learning_rate = 0.1\n")).unwrap();
    parse(&snn.replace("hidden = 50", "hidden = 100")).unwrap();
}

/// Sizes whose memory cannot be had are refused at their key with the
/// estimate, before anything is allocated (before: the process aborted).
#[test]
fn absurd_neurosim_widths_and_instance_counts_are_refused_with_the_estimate() {
    let neurosim = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nprotocol = \"neurosim\"\n[insitu.neurosim]\nhidden = 2000000000\n";
    let (l, c, k, message) = located(neurosim);
    assert_eq!(
        (l, c, k.as_str()),
        (7, 10, "insitu.neurosim.hidden"),
        "{message}"
    );
    assert!(
        message.contains(
            "needs about 6.0 TiB of memory for the NeuroSim network of 20²–2000000000–10 devices"
        ),
        "{message}"
    );
    let cost = "name = \"x\"\nkind = \"inference-cost\"\ndevice = \"ibm-pcm\"\n[evaluation]\ninstances = 100000000\n";
    let (l, c, k, message) = located(cost);
    assert_eq!(
        (l, c, k.as_str()),
        (5, 13, "evaluation.instances"),
        "{message}"
    );
    assert!(
        message.contains("TiB of memory to hold 100000000 programmed instances of a network of 101770 parameters at once"),
        "{message}"
    );
}

/// What NeuroSim's protocol could only find at run time is refused with the
/// config: a crop beyond its u16 inputs, a time per update whose training
/// clock overflows.
#[test]
fn neurosim_sizes_and_times_that_cannot_run_are_refused_with_the_config() {
    let head = "name = \"x\"\nkind = \"insitu-training\"\ndevice = \"pcmo\"\n[insitu]\nprotocol = \"neurosim\"\nepochs = 2\n[insitu.neurosim]\n";
    let (l, c, k, message) = located(&format!("{head}crop = 300\n"));
    assert_eq!(
        (l, c, k.as_str()),
        (8, 8, "insitu.neurosim.crop"),
        "{message}"
    );
    assert!(
        message.ends_with("expected at most 255, found 300"),
        "{message}"
    );
    let (l, c, k, message) = located(&format!("{head}time_per_update_s = 1e306\n"));
    assert_eq!(
        (l, c, k.as_str()),
        (8, 21, "insitu.neurosim.time_per_update_s"),
        "{message}"
    );
    assert!(message.contains("is no finite time"), "{message}");
    parse(&format!("{head}time_per_update_s = 1e3\ncrop = 28\n")).unwrap();
}

/// `evaluation.model` a `.nir` file: it runs for `evaluation.steps` steps
/// of `evaluation.dt_s`, and bad time settings are located at their keys.
#[test]
fn a_nir_model_runs_for_its_steps_and_bad_time_settings_are_located() {
    let nir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/nir/mnist-csnn.nir");
    let head = format!(
        "name = \"e\"\nkind = \"inference-drift\"\ndevice = \"ideal\"\nseed = 3\n[data]\ntest_limit = 50\n[array]\nsize = 64\n[evaluation]\nmodel = \"{}\"\ntimes_s = [1.0]\ninstances = 1\n",
        nir.display()
    );
    for (tail, key, says) in [
        (
            "steps = 0\n",
            "evaluation.steps",
            "expected at least 1 time step, found 0",
        ),
        (
            "dt_s = -1e-4\n",
            "evaluation.dt_s",
            "expected a time step > 0 s, found -0.0001",
        ),
    ] {
        let (line, _, k, message) = located(&format!("{head}{tail}"));
        assert_eq!((line, k.as_str()), (13, key), "{message}");
        assert!(message.contains(says), "{message}");
    }
    // Steps for a model that has none.
    let dense = head.replace(&nir.display().to_string(), "m.safetensors");
    let (line, _, k, message) = located(&format!("{dense}steps = 8\n"));
    assert_eq!((line, k.as_str()), (13, "evaluation.steps"), "{message}");
    assert!(message.contains("only a `.nir` model"), "{message}");
    // The example conv SNN (trained by snnTorch, T = 8) on the shipped
    // images: an ideal device gives back its software accuracy.
    let dir = tempfile::tempdir().unwrap();
    let exp = Experiment::parse(&dir.path().join("e.toml"), &format!("{head}steps = 8\n")).unwrap();
    let df = run_in(&exp, dir.path()).unwrap();
    let software = column(&df, "software_accuracy_pct");
    assert!(software[0] > 70.0, "{software:?}");
    assert_eq!(column(&df, "accuracy_pct"), software);
}
