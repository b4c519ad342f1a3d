//! `xbarsim train`, `xbarsim evaluate`, `xbarsim train-insitu`: thin layers
//! over `xbar-training` (settings, data, progress bars, files).

use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::{json, Value};
use xbar_training::{
    evaluate as evaluate_on_arrays, model, summarise, train as train_network, ArrayConfig, Dataset,
    DeviceInjection, EpochStats, InsituConfig, InsituNetwork, Network, NetworkConfig, NetworkKind,
    NoiseInjection, Progress, Schedule, Split, TrainConfig, WireConfig,
};
use xbar_training::{Encoding, Readout, Surrogate};

use crate::cli::{DataArgs, EvaluateArgs, InsituArgs, NetworkArgs, TrainArgs};
use crate::device_arg;
use crate::error::{bail, CliError, Result};
use crate::output::{
    check_output_path, device_json, fmt_f64, markdown_table, print, provenance,
    write_bytes_with_sidecar, write_csv_with_sidecar, Csv, Field,
};

/// Loads one split: from `--data DIR`, or the built-in subset.
fn load(data: &DataArgs, split: Split) -> Result<Dataset> {
    let limit = match split {
        Split::Train => data.train_limit,
        Split::Test => data.test_limit,
    };
    xbar_experiments::data::load(data.data.as_deref(), split, limit).map_err(CliError::new)
}

fn data_source(data: &DataArgs) -> String {
    match &data.data {
        Some(dir) => dir.display().to_string(),
        None => xbar_experiments::data::BUILTIN.into(),
    }
}

/// Everything a config file may set.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrainFile {
    #[serde(default)]
    network: Option<NetworkConfig>,
    #[serde(default)]
    training: Option<TrainConfig>,
}

/// The default training configuration: 784-256-10 LIF, T = 25, direct
/// coding, membrane read-out, 10 epochs, Adam 5e-4 with a cosine schedule
/// (98.25 % on the full MNIST; README.md).
fn default_settings() -> (NetworkConfig, TrainConfig) {
    let network = NetworkConfig {
        sizes: vec![784, 256, 10],
        encoding: Encoding::Direct,
        readout: Readout::Membrane,
        ..NetworkConfig::default()
    };
    let training = TrainConfig {
        epochs: 10,
        schedule: Schedule::Cosine,
        ..TrainConfig::default()
    };
    (network, training)
}

fn pick<T: Copy>(flag: Option<T>, value: &mut T) {
    if let Some(v) = flag {
        *value = v;
    }
}

fn parse_choice<T: Copy>(flag: &str, text: &str, choices: &[(&str, T)]) -> Result<T> {
    match choices.iter().find(|(name, _)| *name == text) {
        Some((_, v)) => Ok(*v),
        None => {
            let names: Vec<&str> = choices.iter().map(|(n, _)| *n).collect();
            bail!(
                "invalid value '{text}' for '--{flag}': expected one of {}",
                names.join(", ")
            )
        }
    }
}

/// Applies the network flags to `config`.
fn apply_network_flags(args: &NetworkArgs, config: &mut NetworkConfig) -> Result<()> {
    if let Some(h) = &args.hidden {
        let (inputs, outputs) = (config.sizes[0], *config.sizes.last().unwrap_or(&10));
        config.sizes = std::iter::once(inputs)
            .chain(h.0.iter().copied())
            .chain(std::iter::once(outputs))
            .collect();
    }
    if let Some(k) = &args.kind {
        config.kind = parse_choice(
            "kind",
            k,
            &[
                ("spiking", NetworkKind::Spiking),
                ("relu", NetworkKind::Relu),
            ],
        )?;
    }
    pick(args.steps, &mut config.steps);
    pick(args.beta, &mut config.beta);
    pick(args.threshold, &mut config.threshold);
    if let Some(e) = &args.encoding {
        config.encoding = parse_choice(
            "encoding",
            e,
            &[("rate", Encoding::Rate), ("direct", Encoding::Direct)],
        )?;
    }
    if let Some(s) = &args.surrogate {
        config.surrogate = parse_choice(
            "surrogate",
            s,
            &[
                ("fast-sigmoid", Surrogate::FastSigmoid { slope: 25.0 }),
                ("arctan", Surrogate::Arctan { alpha: 2.0 }),
            ],
        )?;
    }
    if let Some(k) = args.slope {
        config.surrogate = match config.surrogate {
            Surrogate::FastSigmoid { .. } => Surrogate::FastSigmoid { slope: k },
            Surrogate::Arctan { .. } => Surrogate::Arctan { alpha: k },
        };
    }
    if let Some(r) = &args.readout {
        config.readout = parse_choice(
            "readout",
            r,
            &[
                ("spike-count", Readout::SpikeCount),
                ("membrane", Readout::Membrane),
            ],
        )?;
    }
    config
        .validate()
        .map_err(|e| CliError::new(format!("{e} (from --{} or the config file)", e.field)))?;
    Ok(())
}

/// The settings of `xbarsim train`: defaults, then the file, then flags.
fn train_settings(args: &TrainArgs) -> Result<(NetworkConfig, TrainConfig, Value)> {
    let (mut network, mut training) = default_settings();
    let mut sources = vec![json!("defaults")];
    if let Some(path) = &args.config {
        let file: TrainFile = xbar_experiments::config::read_toml(path)?;
        if let Some(n) = file.network {
            network = n;
        }
        if let Some(t) = file.training {
            training = t;
        }
        sources.push(json!(path.display().to_string()));
    }
    apply_network_flags(&args.network, &mut network)?;
    pick(args.epochs, &mut training.epochs);
    pick(args.batch_size, &mut training.batch_size);
    pick(args.lr, &mut training.optimizer.learning_rate);
    pick(args.seed, &mut training.seed);
    if let Some(s) = &args.schedule {
        training.schedule = parse_choice(
            "schedule",
            s,
            &[
                ("constant", Schedule::Constant),
                ("cosine", Schedule::Cosine),
            ],
        )?;
    }
    if args.hardware_aware {
        training.noise = NoiseInjection::on();
    }
    if let Some(s) = args.weight_noise {
        training.noise.weight_noise = s;
    }
    if let Some(c) = args.clip_sigma {
        training.noise.clip_sigma = Some(c);
    }
    if let Some(name) = &args.inject_device {
        let device = device_arg::resolve(name)?;
        training.noise.device = Some(DeviceInjection {
            device: device.spec,
            drift_max_s: args.drift_in_loop,
        });
    } else if args.drift_in_loop.is_some() {
        bail!(
            "--drift-in-loop needs --inject-device DEVICE (the device whose drift to train with)"
        );
    }
    training
        .validate()
        .map_err(|e| CliError::new(format!("{e} (from the flags or the config file)")))?;
    Ok((network, training, json!(sources)))
}

/// A progress bar over batches, or plain epoch lines.
struct Reporter {
    bar: Option<ProgressBar>,
}

impl Reporter {
    fn new(quiet: bool) -> Self {
        let bar = (!quiet).then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} batches  {msg}  {elapsed_precise} (eta {eta})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Reporter { bar }
    }

    fn report(&self, p: Progress<'_>) {
        match p {
            Progress::Batch {
                epoch,
                batch,
                batches,
                loss,
                accuracy,
            } => {
                if let Some(bar) = &self.bar {
                    if batch == 1 {
                        bar.reset();
                        bar.set_length(batches as u64);
                        bar.set_prefix(epoch.to_string());
                    }
                    bar.set_position(batch as u64);
                    bar.set_message(format!("loss {loss:.4}  train {:.2} %", 100.0 * accuracy));
                }
            }
            Progress::Epoch(s) => {
                let line = epoch_line(s);
                match &self.bar {
                    Some(bar) => bar.println(line),
                    None => eprintln!("{line}"),
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn epoch_line(s: &EpochStats) -> String {
    let test = s
        .test_accuracy
        .map_or(String::new(), |a| format!("  test {:.2} %", 100.0 * a));
    format!(
        "epoch {:>3}  loss {:.4}  train {:.2} %{test}  ({:.1} s)",
        s.epoch,
        s.train_loss,
        100.0 * s.train_accuracy,
        s.epoch_time_s
    )
}

fn history_csv(history: &[EpochStats]) -> Result<Csv> {
    let mut csv = Csv::new(&[
        "epoch",
        "train_loss",
        "train_accuracy",
        "test_accuracy",
        "epoch_time_s",
    ]);
    for s in history {
        csv.row(&[
            Field::Int(s.epoch as u64),
            Field::Float(s.train_loss),
            Field::Float(s.train_accuracy),
            s.test_accuracy.map_or(Field::Text(""), Field::Float),
            Field::Float(s.epoch_time_s),
        ])?;
    }
    Ok(csv)
}

/// Checks every output path before any work, so that a typo does not cost
/// a training run.
fn check_outputs(paths: &[Option<&Path>]) -> Result<()> {
    for p in paths.iter().flatten() {
        check_output_path(p)?;
    }
    Ok(())
}

/// Where a training command writes.
struct Outputs<'a> {
    model: &'a Path,
    history: Option<&'a Path>,
}

/// Writes the model and (optionally) the history, both with sidecars, and
/// prints the final test accuracy.
fn finish(
    command: &str,
    net: &Network,
    outputs: Outputs<'_>,
    history: &[EpochStats],
    parameters: Value,
    timing: Value,
    test_images: usize,
) -> Result<()> {
    // The model's own metadata holds only what determines it, so the same
    // seed gives the same bytes; timings go to the sidecar.
    let meta = [
        ("command", command.to_string()),
        ("parameters", parameters.to_string()),
    ];
    let bytes = model::to_bytes(net, &meta).map_err(|e| CliError::new(e.to_string()))?;
    let mut sidecar = provenance(command, parameters);
    sidecar["timing"] = timing;
    if let Some(h) = outputs.history {
        write_csv_with_sidecar(h, &history_csv(history)?, &sidecar)?;
    }
    write_bytes_with_sidecar(outputs.model, &bytes, &sidecar)?;
    let accuracy = history
        .last()
        .and_then(|s| s.test_accuracy)
        .unwrap_or(f64::NAN);
    print(&format!(
        "test accuracy {:.2} % ({test_images} test images); model written to {}\n",
        100.0 * accuracy,
        outputs.model.display()
    ))
}

/// `xbarsim train`.
pub fn train(args: &TrainArgs) -> Result<()> {
    check_outputs(&[Some(&args.output), args.history.as_deref()])?;
    let (network, training, sources) = train_settings(args)?;
    let train_set = load(&args.data, Split::Train)?;
    let test_set = load(&args.data, Split::Test)?;
    let origin = match &args.config {
        Some(path) => format!("`{}` [network] or --hidden", path.display()),
        None => "--hidden".into(),
    };
    check_sizes(&network, &train_set, &test_set, &origin)?;
    let mut net =
        Network::new(network.clone(), training.seed).map_err(|e| CliError::new(e.to_string()))?;
    eprintln!(
        "training {} network {:?} ({} parameters) on {} training images, {}{}",
        match network.kind {
            NetworkKind::Spiking => "spiking",
            NetworkKind::Relu => "ReLU",
        },
        network.sizes,
        net.parameter_count(),
        train_set.len(),
        epochs(training.epochs),
        if training.noise.is_on() {
            ", hardware-aware"
        } else {
            ""
        }
    );
    let reporter = Reporter::new(args.no_progress);
    let start = Instant::now();
    let history = train_network(&mut net, &train_set, Some(&test_set), &training, &mut |p| {
        reporter.report(p)
    })
    .map_err(|e| CliError::new(e.to_string()))?;
    reporter.finish();
    let parameters = json!({
        "network": network,
        "training": training,
        "seed": training.seed,
        "settings_from": sources,
        "data": data_source(&args.data),
        "train_images": train_set.len(),
        "test_images": test_set.len(),
        "final_test_accuracy": history.last().and_then(|s| s.test_accuracy),
    });
    let timing = json!({ "training_time_s": start.elapsed().as_secs_f64() });
    let outputs = Outputs {
        model: &args.output,
        history: args.history.as_deref(),
    };
    finish(
        "train",
        &net,
        outputs,
        &history,
        parameters,
        timing,
        test_set.len(),
    )
}

/// The network's input and output widths against the data: one line
/// naming where the sizes came from.
fn check_sizes(
    network: &NetworkConfig,
    train: &Dataset,
    test: &Dataset,
    origin: &str,
) -> Result<()> {
    let sizes = &network.sizes;
    if sizes[0] != train.pixels() {
        bail!(
            "network.sizes {sizes:?} (from {origin}): the first size must be the number of pixels, {}",
            train.pixels()
        );
    }
    let classes = train
        .labels()
        .iter()
        .chain(test.labels())
        .map(|&l| usize::from(l) + 1)
        .max()
        .unwrap_or(0);
    if *sizes.last().unwrap_or(&0) != classes {
        bail!(
            "network.sizes {sizes:?} (from {origin}): the last size must be the number of classes, {classes} (labels 0–{})",
            classes.saturating_sub(1)
        );
    }
    Ok(())
}

/// `"1 epoch"`, `"3 epochs"`.
fn epochs(n: usize) -> String {
    if n == 1 {
        "1 epoch".into()
    } else {
        format!("{n} epochs")
    }
}

/// Reads a model file.
fn read_model(path: &Path) -> Result<Network> {
    let bytes = std::fs::read(path).map_err(|e| {
        CliError::new(format!(
            "cannot read model `{}`: {}",
            path.display(),
            crate::error::io_reason(&e)
        ))
    })?;
    let (net, _) = model::from_bytes(&bytes)
        .map_err(|e| CliError::new(format!("model `{}`: {e}", path.display())))?;
    Ok(net)
}

/// `xbarsim evaluate`.
pub fn evaluate(args: &EvaluateArgs) -> Result<()> {
    check_outputs(&[Some(&args.output), args.per_instance.as_deref()])?;
    let net = read_model(&args.model)?;
    let device = device_arg::resolve(&args.device)?;
    let test_set = load(&args.data, Split::Test)?;
    let array = ArrayConfig {
        device: device.spec.clone(),
        tile_rows: args.tile_rows,
        tile_cols: args.tile_cols,
        wires: WireConfig {
            r_wordline: args.r_wordline,
            r_bitline: args.r_bitline,
            r_source: args.r_source,
            r_sense: args.r_sense,
        },
        dac_bits: args.dac_bits,
        adc_bits: args.adc_bits,
        read_voltage: args.read_voltage,
        drift_compensation: !args.no_drift_compensation,
    };
    array
        .validate()
        .map_err(|e| CliError::new(format!("{e} (check the array flags)")))?;
    let software = xbar_training::accuracy(&net, &test_set, args.seed);
    eprintln!(
        "software accuracy {:.2} % on {} test images; evaluating on {} ({} instances × {} times)",
        100.0 * software,
        test_set.len(),
        device.spec.name,
        args.instances,
        args.times.0.len()
    );
    let bar = (!args.no_progress).then(|| {
        let bar = ProgressBar::new((args.instances * args.times.0.len()) as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "[{bar:30}] {pos}/{len} (instance, time) points  {msg}  eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar
    });
    let start = Instant::now();
    let results = evaluate_on_arrays(
        &net,
        &test_set,
        &array,
        &args.times.0,
        args.instances,
        args.seed,
        &mut |r| {
            if let Some(bar) = &bar {
                bar.inc(1);
                bar.set_message(format!(
                    "t = {} s: {:.2} %",
                    fmt_f64(r.time_s),
                    100.0 * r.accuracy
                ));
            }
        },
    )
    .map_err(|e| CliError::new(e.to_string()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let summary = summarise(&results);
    let mut csv = Csv::new(&[
        "time_s",
        "instances",
        "accuracy_mean",
        "accuracy_std",
        "accuracy_min",
        "accuracy_max",
    ]);
    let mut rows = Vec::new();
    for s in &summary {
        csv.row(&[
            Field::Float(s.time_s),
            Field::Int(s.instances as u64),
            Field::Float(s.mean),
            Field::Float(s.std),
            Field::Float(s.min),
            Field::Float(s.max),
        ])?;
        rows.push(vec![
            fmt_f64(s.time_s),
            format!("{:.2}", 100.0 * s.mean),
            format!("{:.2}", 100.0 * s.std),
            format!("{:.2}", 100.0 * s.min),
        ]);
    }
    let parameters = json!({
        "model": args.model.display().to_string(),
        "network": net.config(),
        "array": {
            "tile_rows": array.tile_rows, "tile_cols": array.tile_cols, "wires": array.wires,
            "dac_bits": array.dac_bits, "adc_bits": array.adc_bits,
            "read_voltage_V": array.read_voltage, "drift_compensation": array.drift_compensation,
        },
        "times_s": args.times.0,
        "instances": args.instances,
        "data": data_source(&args.data),
        "test_images": test_set.len(),
        "software_accuracy": software,
        "evaluation_time_s": elapsed,
    });
    let mut sidecar = provenance("evaluate", parameters);
    sidecar["seed"] = json!(args.seed);
    sidecar["device"] = device_json(&device.spec, &device.source);
    if let Some(p) = &args.per_instance {
        let mut per = Csv::new(&["time_s", "instance", "accuracy"]);
        for r in &results {
            per.row(&[
                Field::Float(r.time_s),
                Field::Int(r.instance as u64),
                Field::Float(r.accuracy),
            ])?;
        }
        write_csv_with_sidecar(p, &per, &sidecar)?;
    }
    write_csv_with_sidecar(&args.output, &csv, &sidecar)?;
    print(&format!(
        "{}\nsoftware {:.2} %; {:.1} s; written to {}\n",
        markdown_table(&["time_s", "mean %", "std %", "min %"], &rows),
        100.0 * software,
        elapsed,
        args.output.display()
    ))
}

/// `xbarsim train-insitu`.
pub fn train_insitu(args: &InsituArgs) -> Result<()> {
    check_outputs(&[Some(&args.output), args.history.as_deref()])?;
    let device = device_arg::resolve(&args.device)?;
    let (mut network, _) = default_settings();
    apply_network_flags(&args.network, &mut network)?;
    let config = InsituConfig {
        device: device.spec.clone(),
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        seed: args.seed,
        w_max: args.w_max,
    };
    let train_set = load(&args.data, Split::Train)?;
    let test_set = load(&args.data, Split::Test)?;
    check_sizes(&network, &train_set, &test_set, "--hidden")?;
    let net = Network::new(network.clone(), args.seed).map_err(|e| CliError::new(e.to_string()))?;
    let mut insitu = InsituNetwork::new(net, config.clone()).map_err(|e| match e {
        xbar_training::train::TrainError::Hardware(h) => CliError::new(format!(
            "{h} (in-situ training needs a device with a [pulse] model; `xbarsim device list` shows them)"
        )),
        other => CliError::new(other.to_string()),
    })?;
    eprintln!(
        "in-situ training of {:?} on {} arrays, {} training images, {}",
        network.sizes,
        device.spec.name,
        train_set.len(),
        epochs(args.epochs)
    );
    let reporter = Reporter::new(args.no_progress);
    let history = insitu
        .train(&train_set, Some(&test_set), &mut |p| reporter.report(p))
        .map_err(|e| CliError::new(e.to_string()))?;
    reporter.finish();
    let net = insitu.read().map_err(|e| CliError::new(e.to_string()))?;
    let parameters = json!({
        "network": network,
        "insitu": {
            "epochs": config.epochs, "batch_size": config.batch_size,
            "learning_rate": config.learning_rate, "w_max": config.w_max,
        },
        "device": device_json(&device.spec, &device.source),
        "seed": args.seed,
        "data": data_source(&args.data),
        "final_test_accuracy": history.last().and_then(|s| s.test_accuracy),
    });
    let timing = json!({
        "epoch_time_s": history.iter().map(|s| s.epoch_time_s).collect::<Vec<_>>(),
    });
    let outputs = Outputs {
        model: &args.output,
        history: args.history.as_deref(),
    };
    finish(
        "train-insitu",
        &net,
        outputs,
        &history,
        parameters,
        timing,
        test_set.len(),
    )
}
