//! `xbarsim train` (software training) and `xbarsim train-insitu`
//! (training on arrays by pulses): settings from the kinds' defaults, then
//! a file, then the flags; one call into [`xbar_api`]; the files written
//! and the final accuracy printed.

use xbar_api::{Invocation, TrainSettings, Trained, Update};
use xbar_experiments::kinds::insitu_training;
use xbar_training::{DeviceInjection, Encoding, InsituConfig, NetworkConfig, NetworkKind};
use xbar_training::{NoiseInjection, Readout, Schedule, Surrogate};

use crate::cli::{InsituArgs, NetworkArgs, TrainArgs};
use crate::device_arg;
use crate::error::{bail, CliError, Result};
use crate::output::{plural, print};
use crate::progress::Bars;

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

/// Applies the network flags to `config` and checks the result.
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
    xbar_api::measure::check_network(config)
        .map_err(|e| CliError::new(format!("{e} (from --hidden or the config file)")))?;
    Ok(())
}

/// The settings of `xbarsim train`: the kinds' defaults, then the file,
/// then the flags; and where they came from.
fn train_settings(args: &TrainArgs) -> Result<(TrainSettings, Vec<String>)> {
    let mut settings = TrainSettings {
        data: args.data.section(),
        ..TrainSettings::default()
    };
    let mut sources = vec!["defaults".to_string()];
    if let Some(path) = &args.config {
        settings
            .apply_file(path)
            .map_err(|e| CliError::new(e.to_string()))?;
        sources.push(path.display().to_string());
    }
    apply_network_flags(&args.network, &mut settings.network)?;
    let training = &mut settings.training;
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
    Ok((settings, sources))
}

/// A library error of a training command, the network's shape named by
/// where it came from (`origin`).
fn training_error(e: xbar_api::Error, origin: &str) -> CliError {
    match e {
        xbar_api::Error::Shape(s) => CliError::new(s.message(Some(origin))),
        other => CliError::new(other.to_string()),
    }
}

/// Writes the model and history and prints the final accuracy.
fn finish(
    trained: &Trained,
    args_output: &std::path::Path,
    history: Option<&std::path::Path>,
) -> Result<()> {
    trained
        .write(args_output, history)
        .map_err(|e| CliError::new(e.to_string()))?;
    print(&format!(
        "test accuracy {:.2} % ({} test images); model written to {}\n",
        100.0 * trained.final_accuracy().unwrap_or(f64::NAN),
        trained.test_images,
        args_output.display()
    ))
}

/// `xbarsim train`.
pub fn train(args: &TrainArgs) -> Result<()> {
    xbar_api::output::check_outputs(&[Some(&args.output), args.history.as_deref()])
        .map_err(|e| CliError::new(e.to_string()))?;
    let (settings, sources) = train_settings(args)?;
    let origin = match &args.config {
        Some(path) => format!("`{}` [network] or --hidden", path.display()),
        None => "--hidden".into(),
    };
    let network = &settings.network;
    let kind = match network.kind {
        NetworkKind::Spiking => "spiking",
        NetworkKind::Relu => "ReLU",
    };
    let (epochs, noisy) = (settings.training.epochs, settings.training.noise.is_on());
    let shape = if network.layers.is_empty() {
        format!("{:?}", network.sizes)
    } else {
        format!("of {} layers", network.layers.len())
    };
    let mut bars = Bars::new(args.no_progress);
    let result = xbar_api::train(
        &settings,
        &sources,
        &Invocation::from_process("train"),
        &mut |u: Update<'_>| {
            if let Update::TrainingStart {
                train_images,
                parameters,
            } = u
            {
                eprintln!(
                    "training {} network {shape} ({} parameters) on {train_images} training images, {}{}",
                    kind,
                    parameters.unwrap_or(0),
                    plural(epochs, "epoch"),
                    if noisy { ", hardware-aware" } else { "" }
                );
            }
            xbar_api::Progress::update(&mut bars, u);
        },
    );
    bars.finish();
    let trained = result.map_err(|e| training_error(e, &origin))?;
    finish(&trained, &args.output, args.history.as_deref())
}

/// `xbarsim train-insitu`: a one-point `insitu-training` run that also
/// writes the trained model.
pub fn train_insitu(args: &InsituArgs) -> Result<()> {
    xbar_api::output::check_outputs(&[Some(&args.output), args.history.as_deref()])
        .map_err(|e| CliError::new(e.to_string()))?;
    let device = device_arg::resolve(&args.device)?;
    let mut network = NetworkConfig::default();
    apply_network_flags(&args.network, &mut network)?;
    let mut insitu = InsituConfig::default();
    pick(args.epochs, &mut insitu.epochs);
    pick(args.batch_size, &mut insitu.batch_size);
    pick(args.lr, &mut insitu.learning_rate);
    pick(args.w_max, &mut insitu.w_max);
    pick(args.read_voltage, &mut insitu.read_voltage_v);
    let settings = insitu_training::Settings {
        network: network.clone(),
        insitu,
        data: args.data.section(),
        cost: Default::default(),
    };
    let epochs = settings.insitu.epochs;
    let name = device.spec.name.clone();
    let mut bars = Bars::new(args.no_progress);
    let result = xbar_api::train_insitu(
        &device,
        settings,
        args.seed,
        &Invocation::from_process("train-insitu"),
        &mut |u: Update<'_>| {
            if let Update::TrainingStart { train_images, .. } = u {
                eprintln!(
                    "in-situ training of {:?} on {name} arrays, {train_images} training images, {}",
                    network.sizes,
                    plural(epochs, "epoch")
                );
            }
            xbar_api::Progress::update(&mut bars, u);
        },
    );
    bars.finish();
    let trained = result.map_err(|e| match e {
        xbar_api::Error::Shape(s) => CliError::new(s.message(Some("--hidden"))),
        other => crate::point_cmd::located(
            &[
                ("insitu.epochs", "--epochs"),
                ("insitu.batch_size", "--batch-size"),
                ("insitu.learning_rate", "--lr"),
                ("insitu.w_max", "--w-max"),
                ("insitu.read_voltage_v", "--read-voltage"),
            ],
            "--device and the network flags",
            other,
        ),
    })?;
    finish(&trained, &args.output, args.history.as_deref())
}
