//! The measuring commands — `device pulse`, `device drift`, `evaluate`,
//! `train-insitu` — as one-point runs of their experiment kinds
//! (`device-pulse`, `device-drift`, `inference-drift`, `insitu-training`):
//! the flags fill the kind's sections, the kind checks and runs them, and
//! the table is written by the experiments' one CSV writer with the same
//! columns as a run's `results.csv`, next to one provenance sidecar (the
//! config that reproduces it with `xbarsim run`, the seed, the device, the
//! program version).

use std::path::{Path, PathBuf};
use std::time::Instant;

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use xbar_experiments::context::Context;
use xbar_experiments::kinds::{
    device_drift, device_pulse, inference_drift, insitu_training, FieldError, KindError, Settings,
};
use xbar_experiments::measure::{default_pulses, default_targets, no_pulse_model, DEFAULT_TIMES};
use xbar_experiments::runner::{one_unit, point_provenance};
use xbar_experiments::sections::DataSection;
use xbar_experiments::table::Rows;
use xbar_experiments::{row, Point};
use xbar_training::{InsituConfig, Split};

use crate::cli::{DataArgs, DriftArgs, EvaluateArgs, InsituArgs, ProgrammedModelArgs, PulseArgs};
use crate::device_arg::{self, Device};
use crate::error::{CliError, Result};
use crate::output::{
    check_output_path, device_json, fmt_f64, markdown_table, plural, print, provenance,
    sidecar_path, write_bytes_with_sidecar,
};

/// The one-point run of `settings` on `device`, checked as a config would
/// be. A field set by a flag is named by the flag (`flags`: config path →
/// flag); others are named by their config path, with `hint`.
pub fn point(
    name: &str,
    device: &Device,
    settings: Settings,
    flags: &[(&str, &str)],
    hint: &str,
) -> Result<Point> {
    let point = Point {
        name: name.into(),
        kind: settings.kind(),
        device: device.spec.clone(),
        settings,
    };
    point
        .settings
        .check(&point.device)
        .map_err(|e| located(flags, hint, e))?;
    Ok(point)
}

/// A kind's field error, named by the flag that set the field (`flags`:
/// config path → flag), else by its config path with `hint`.
pub fn located(flags: &[(&str, &str)], hint: &str, e: FieldError) -> CliError {
    match flags.iter().find(|(path, _)| *path == e.path) {
        Some((_, flag)) => CliError::new(format!("{flag}: {}", e.message)),
        None => CliError::new(format!("{e} (check {hint})")),
    }
}

/// The flags of [`ProgrammedModelArgs`] and a command's own.
pub fn flags<'a>(own: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    ProgrammedModelArgs::FLAGS
        .iter()
        .chain(own)
        .copied()
        .collect()
}

/// The context of a one-point run: paths relative to the working
/// directory, models kept in memory.
pub fn context() -> Context {
    Context::new(PathBuf::new(), None, None)
}

/// A kind's error as one line.
fn kind_error(e: KindError) -> CliError {
    CliError::new(e.to_string())
}

/// The sidecar of a one-point run's table: the command, and what
/// [`point_provenance`] records.
pub fn sidecar(command: &str, point: &Point, seed: u64, source: &str, extra: Value) -> Value {
    let mut object = provenance(command, extra);
    object["seed"] = json!(seed);
    object["device"] = device_json(&point.device, source);
    object["run"] = point_provenance(point, seed);
    object
}

/// Writes `rows` as CSV (the experiments' writer) to `path` and `sidecar`
/// to `<path>.json`, both atomically.
///
/// # Errors
/// A value that cannot be tabled, or a file that cannot be written.
pub fn write_table(path: &Path, rows: &Rows, sidecar: &Value) -> Result<()> {
    let frame = rows
        .to_frame()
        .map_err(|e| CliError::new(format!("internal error: table: {e}")))?;
    let bytes = xbar_experiments::table::csv_bytes(&frame)
        .map_err(|e| CliError::new(format!("cannot write `{}`: {e}", path.display())))?;
    write_bytes_with_sidecar(path, &bytes, sidecar)
}

/// Runs `point` with `seed` and writes its table (`parameters`: the
/// command's settings, for the sidecar).
fn run_and_write(
    command: &str,
    point: &Point,
    seed: u64,
    source: &str,
    output: &Path,
    parameters: Value,
) -> Result<usize> {
    let cells = point
        .settings
        .run(&point.device, seed, &context())
        .map_err(kind_error)?;
    let rows = one_unit(
        seed,
        Rows {
            columns: point
                .kind
                .outputs()
                .into_iter()
                .map(str::to_string)
                .collect(),
            rows: cells,
        },
    );
    write_table(
        output,
        &rows,
        &sidecar(command, point, seed, source, parameters),
    )?;
    Ok(rows.rows.len())
}

/// `xbarsim device pulse`: a one-point `device-pulse` run.
pub fn pulse(args: &PulseArgs) -> Result<()> {
    let device = device_arg::resolve(&args.device)?;
    check_output_path(&args.output)?;
    let defaults = default_pulses(&device.spec).ok_or_else(|| no_pulse_model(&device.spec))?;
    let plan = args.pulses.map_or(defaults, |n| (n, n));
    let settings = Settings::DevicePulse(device_pulse::Settings {
        pulse: device_pulse::PulseSection {
            devices: args.count,
            pulses_ltp: Some(plan.0),
            pulses_ltd: Some(plan.1),
        },
    });
    let point = point(
        "device-pulse",
        &device,
        settings,
        &[("pulse.devices", "--count")],
        "--device",
    )?;
    let parameters = json!({
        "count": args.count, "pulses_ltp": plan.0, "pulses_ltd": plan.1,
    });
    let rows = run_and_write(
        "device pulse",
        &point,
        args.seed,
        &device.source,
        &args.output,
        parameters,
    )?;
    print(&format!(
        "wrote {} ({} LTP + {} LTD pulses, {}, {}) and {}\n",
        args.output.display(),
        plan.0,
        plan.1,
        plural(args.count, "device"),
        plural(rows, "row"),
        sidecar_path(&args.output).display()
    ))
}

/// `xbarsim device drift`: a one-point `device-drift` run.
pub fn drift(args: &DriftArgs) -> Result<()> {
    let device = device_arg::resolve(&args.device)?;
    check_output_path(&args.output)?;
    let times = args
        .times
        .as_ref()
        .map_or(DEFAULT_TIMES.to_vec(), |l| l.0.clone());
    let targets = args
        .targets
        .as_ref()
        .map_or_else(|| default_targets(&device.spec), |l| l.0.clone());
    let settings = Settings::DeviceDrift(device_drift::Settings {
        drift: device_drift::DriftSection {
            devices: args.count,
            targets_S: Some(targets.clone()),
            times_s: times.clone(),
            read_noise: !args.no_read_noise,
            ..device_drift::DriftSection::default()
        },
    });
    let point = point(
        "device-drift",
        &device,
        settings,
        &[
            ("drift.devices", "--count"),
            ("drift.targets_S", "--targets"),
            ("drift.times_s", "--times"),
        ],
        "--device",
    )?;
    let parameters = json!({
        "count": args.count, "targets_S": targets, "times_s": times,
        "read_noise": !args.no_read_noise,
    });
    run_and_write(
        "device drift",
        &point,
        args.seed,
        &device.source,
        &args.output,
        parameters,
    )?;
    print(&format!(
        "wrote {} ({} × {}, {} per target{}) and {}\n",
        args.output.display(),
        plural(targets.len(), "target"),
        plural(times.len(), "time"),
        plural(args.count, "device"),
        if args.no_read_noise {
            ", no read noise"
        } else {
            ""
        },
        sidecar_path(&args.output).display()
    ))
}

/// `[data]` from the data flags.
pub fn data_section(data: &DataArgs) -> DataSection {
    DataSection {
        dir: data.data.clone(),
        train_limit: data.train_limit,
        test_limit: data.test_limit,
    }
}

/// Where the data came from, for the sidecar.
pub fn data_source(data: &DataArgs) -> String {
    match &data.data {
        Some(dir) => dir.display().to_string(),
        None => xbar_experiments::data::BUILTIN.into(),
    }
}

/// `xbarsim evaluate`: a one-point `inference-drift` run of a model file.
pub fn evaluate(args: &EvaluateArgs) -> Result<()> {
    let on = &args.on;
    crate::train_cmd::check_outputs(&[Some(&args.output), args.per_instance.as_deref()])?;
    let device = device_arg::resolve(&on.device)?;
    let settings = inference_drift::Settings {
        network: None,
        training: None,
        data: data_section(&on.data),
        array: on.array_section(),
        evaluation: inference_drift::EvaluationSection {
            times_s: args.times.0.clone(),
            instances: args.instances,
            model: Some(on.model.clone()),
        },
    };
    let point = point(
        "evaluate",
        &device,
        Settings::InferenceDrift(settings.clone()),
        &flags(&[
            ("evaluation.instances", "--instances"),
            ("evaluation.times_s", "--times"),
        ]),
        "--device and the array flags",
    )?;
    let ctx = context();
    let prepared =
        inference_drift::InferenceDrift::prepare(&settings, on.seed, &ctx).map_err(kind_error)?;
    let (test_images, software) = (prepared.test.len(), prepared.software);
    eprintln!(
        "software accuracy {:.2} % on {test_images} test images; evaluating on {} ({} × {})",
        100.0 * software,
        device.spec.name,
        plural(args.instances, "instance"),
        plural(args.times.0.len(), "time"),
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
    let instances = inference_drift::InferenceDrift::evaluate(
        &settings,
        &device.spec,
        on.seed,
        &prepared,
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
    .map_err(kind_error)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = start.elapsed().as_secs_f64();
    let typed = inference_drift::InferenceDrift::rows(software, &instances);
    let table = one_unit(on.seed, row::table(&typed).map_err(CliError::new)?);
    let array = &settings.array;
    let extra = json!({
        "model": on.model.display().to_string(),
        "array": {
            "tile_rows": on.tiles.tile_rows, "tile_cols": on.tiles.tile_cols,
            "wires": array.wires, "dac_bits": array.converters.dac_bits,
            "adc_bits": array.converters.adc_bits,
            "read_voltage_V": array.converters.read_voltage,
            "drift_compensation": array.drift_compensation, "solver": array.solver,
        },
        "times_s": args.times.0,
        "instances": args.instances,
        "software_accuracy": software,
        "network": prepared.network.config(),
        "data": data_source(&on.data),
        "test_images": test_images,
        "evaluation_time_s": elapsed,
    });
    let side = sidecar("evaluate", &point, on.seed, &device.source, extra);
    if let Some(p) = &args.per_instance {
        let per: Vec<inference_drift::InstanceRow> = instances
            .iter()
            .map(inference_drift::InstanceRow::from)
            .collect();
        write_table(p, &row::table(&per).map_err(CliError::new)?, &side)?;
    }
    write_table(&args.output, &table, &side)?;
    let printed: Vec<Vec<String>> = typed
        .iter()
        .map(|r| {
            vec![
                fmt_f64(r.time_s),
                format!("{:.2}", r.accuracy_pct),
                format!("{:.2}", r.accuracy_std_pct),
                format!("{:.2}", r.accuracy_min_pct),
            ]
        })
        .collect();
    print(&format!(
        "{}\nsoftware {:.2} %; {elapsed:.1} s; written to {}\n",
        markdown_table(&["time_s", "mean %", "std %", "min %"], &printed),
        100.0 * software,
        args.output.display()
    ))
}

/// `xbarsim train-insitu`: a one-point `insitu-training` run that also
/// writes the trained model.
pub fn train_insitu(args: &InsituArgs) -> Result<()> {
    crate::train_cmd::check_outputs(&[Some(&args.output), args.history.as_deref()])?;
    let device = device_arg::resolve(&args.device)?;
    let network = crate::train_cmd::network_from_flags(&args.network)?;
    let settings = insitu_training::Settings {
        network: network.clone(),
        insitu: InsituConfig {
            epochs: args.epochs,
            batch_size: args.batch_size,
            learning_rate: args.lr,
            w_max: args.w_max,
            ..InsituConfig::default()
        },
        data: data_section(&args.data),
        cost: Default::default(),
    };
    let ctx = context();
    let train_set = ctx
        .dataset(&settings.data, Split::Train)
        .map_err(kind_error)?;
    let test_set = ctx
        .dataset(&settings.data, Split::Test)
        .map_err(kind_error)?;
    crate::train_cmd::check_sizes(&network, &train_set, &test_set, "--hidden")?;
    let point = point(
        "train-insitu",
        &device,
        Settings::InsituTraining(settings.clone()),
        &[
            ("insitu.epochs", "--epochs"),
            ("insitu.batch_size", "--batch-size"),
            ("insitu.learning_rate", "--lr"),
            ("insitu.w_max", "--w-max"),
        ],
        "--device and the network flags",
    )?;
    eprintln!(
        "in-situ training of {:?} on {} arrays, {} training images, {}",
        network.sizes,
        device.spec.name,
        train_set.len(),
        plural(args.epochs, "epoch")
    );
    let reporter = crate::train_cmd::Reporter::new(args.no_progress);
    let (mut insitu, history) = insitu_training::InsituTraining::train(
        &settings,
        &device.spec,
        args.seed,
        &ctx,
        &mut |p| reporter.report(p),
    )
    .map_err(kind_error)?;
    reporter.finish();
    let net = insitu.read().map_err(|e| CliError::new(e.to_string()))?;
    let typed = insitu_training::InsituTraining::rows(&history).map_err(kind_error)?;
    let table = one_unit(args.seed, row::table(&typed).map_err(CliError::new)?);
    let parameters = json!({
        "network": network,
        "insitu": settings.insitu,
        "device": device_json(&device.spec, &device.source),
        "seed": args.seed,
        "data": data_source(&args.data),
        "final_test_accuracy": history.last().and_then(|s| s.test_accuracy),
    });
    let mut side = sidecar(
        "train-insitu",
        &point,
        args.seed,
        &device.source,
        parameters.clone(),
    );
    side["timing"] = json!({
        "epoch_time_s": history.iter().map(|s| s.epoch_time_s).collect::<Vec<_>>(),
    });
    crate::train_cmd::finish(
        "train-insitu",
        &net,
        crate::train_cmd::Outputs {
            model: &args.output,
            history: args.history.as_deref(),
        },
        &table,
        parameters,
        side,
        test_set.len(),
        history.last().and_then(|s| s.test_accuracy),
    )
}
