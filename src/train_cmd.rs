//! `xbarsim train`: software training, a thin layer over `xbar-training`
//! (settings, data, progress bars, files); and the helpers `evaluate` and
//! `train-insitu` ([`crate::point_cmd`]) share with it.

use std::path::Path;
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde::Deserialize;
use serde_json::{json, Value};
use xbar_training::{
    model, train as train_network, Dataset, DeviceInjection, EpochStats, Network, NetworkConfig,
    NetworkKind, NoiseInjection, Progress, Schedule, Split, TrainConfig,
};
use xbar_training::{Encoding, Readout, Surrogate};

use xbar_experiments::kinds::insitu_training::InsituTraining;
use xbar_experiments::sections::check_network;
use xbar_experiments::table::Rows;

use crate::cli::{DataArgs, NetworkArgs, TrainArgs};
use crate::device_arg;
use crate::error::{bail, CliError, Result};
use crate::output::{check_output_path, plural, print, provenance, write_bytes_with_sidecar};

/// Loads one split: from `--data DIR`, or the built-in subset.
fn load(data: &DataArgs, split: Split) -> Result<Dataset> {
    let limit = match split {
        Split::Train => data.train_limit,
        Split::Test => data.test_limit,
    };
    xbar_experiments::data::load(data.data.as_deref(), split, limit).map_err(CliError::new)
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

/// The default network with the network flags applied (`train-insitu`).
pub fn network_from_flags(args: &NetworkArgs) -> Result<NetworkConfig> {
    let (mut network, _) = default_settings();
    apply_network_flags(args, &mut network)?;
    Ok(network)
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
    // The size against the machine's memory, before anything is allocated.
    check_network(config)
        .map_err(|e| CliError::new(format!("{e} (from --hidden or the config file)")))?;
    Ok(())
}

/// The settings of `xbarsim train`: defaults, then the file, then flags.
fn train_settings(args: &TrainArgs) -> Result<(NetworkConfig, TrainConfig, Value)> {
    let (mut network, mut training) = default_settings();
    let mut sources = vec![json!("defaults")];
    if let Some(path) = &args.config {
        let doc = xbar_experiments::config::TomlDocument::read(path)?;
        let file: TrainFile = doc.deserialize()?;
        // The file's own values, checked and located in it before any flag
        // changes them.
        if let Some(n) = &file.network {
            check_network(n).map_err(|e| doc.invalid(&e.path, &e.message))?;
        }
        if let Some(t) = &file.training {
            t.validate().map_err(|e| {
                let e = xbar_experiments::FieldError::train("training", &e);
                doc.invalid(&e.path, &e.message)
            })?;
        }
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
pub struct Reporter {
    bar: Option<ProgressBar>,
}

impl Reporter {
    pub fn new(quiet: bool) -> Self {
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

    pub fn report(&self, p: Progress<'_>) {
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

    pub fn finish(&self) {
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

/// Checks every output path before any work, so that a typo does not cost
/// a training run.
pub fn check_outputs(paths: &[Option<&Path>]) -> Result<()> {
    for p in paths.iter().flatten() {
        check_output_path(p)?;
    }
    Ok(())
}

/// Where a training command writes.
pub struct Outputs<'a> {
    /// The model file.
    pub model: &'a Path,
    /// The per-epoch history table, if asked for.
    pub history: Option<&'a Path>,
}

/// Writes the model and (optionally) the history table, both with
/// `sidecar`, and prints the final test accuracy. The model's own metadata
/// holds only `command` and `parameters` (what determines it), so the same
/// seed gives the same bytes; timings go to the sidecar.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    command: &str,
    net: &Network,
    outputs: Outputs<'_>,
    history: &Rows,
    parameters: Value,
    sidecar: Value,
    test_images: usize,
    final_accuracy: Option<f64>,
) -> Result<()> {
    let meta = [
        ("command", command.to_string()),
        ("parameters", parameters.to_string()),
    ];
    let bytes = model::to_bytes(net, &meta).map_err(|e| CliError::new(e.to_string()))?;
    if let Some(h) = outputs.history {
        crate::point_cmd::write_table(h, history, &sidecar)?;
    }
    write_bytes_with_sidecar(outputs.model, &bytes, &sidecar)?;
    let accuracy = final_accuracy.unwrap_or(f64::NAN);
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
        plural(training.epochs, "epoch"),
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
        "data": crate::point_cmd::data_source(&args.data),
        "train_images": train_set.len(),
        "test_images": test_set.len(),
        "final_test_accuracy": history.last().and_then(|s| s.test_accuracy),
    });
    let mut sidecar = provenance("train", parameters.clone());
    sidecar["timing"] = json!({
        "training_time_s": start.elapsed().as_secs_f64(),
        "epoch_time_s": history.iter().map(|s| s.epoch_time_s).collect::<Vec<_>>(),
    });
    let typed = InsituTraining::rows(&history).map_err(|e| CliError::new(e.to_string()))?;
    let table = xbar_experiments::runner::one_unit(
        training.seed,
        xbar_experiments::row::table(&typed).map_err(CliError::new)?,
    );
    let outputs = Outputs {
        model: &args.output,
        history: args.history.as_deref(),
    };
    finish(
        "train",
        &net,
        outputs,
        &table,
        parameters,
        sidecar,
        test_set.len(),
        history.last().and_then(|s| s.test_accuracy),
    )
}

/// The network's input and output widths against the data: one line
/// naming where the sizes came from.
pub fn check_sizes(
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
