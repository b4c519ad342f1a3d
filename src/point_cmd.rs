//! The measuring commands `device pulse`, `device drift` and `evaluate`:
//! flags into the kinds' settings (unset flags leave the kinds' defaults),
//! one call into [`xbar_api`], and what it returns printed. A setting the
//! library refuses is named by the flag that set it.

use std::path::PathBuf;

use clap::Args;
use xbar_api::{Invocation, Update};
use xbar_experiments::kinds::{device_drift, device_pulse, inference_drift};
use xbar_experiments::FieldError;

use crate::cli::{EvaluateArgs, ProgrammedModelArgs};
use crate::device_arg;
use crate::error::{CliError, Result};
use crate::output::{check_output_path, fmt_f64, markdown_table, plural, print, sidecar_path};
use crate::parse::{parse_count, parse_pulses, parse_targets, parse_times, List};
use crate::progress::Bars;

/// `xbarsim device pulse`.
#[derive(Debug, Args)]
pub struct PulseArgs {
    /// Library name (see `xbarsim device list`) or path to a TOML device file
    #[arg(short, long, value_name = "DEVICE")]
    pub device: String,
    /// Pulses in each phase (LTP, then LTD) [default: the device's
    /// pulses_ltp for LTP and pulses_ltd for LTD]
    #[arg(short = 'n', long, value_name = "N", value_parser = parse_pulses, allow_hyphen_values = true)]
    pub pulses: Option<u32>,
    /// Number of devices (independent cycle-to-cycle noise) [default: 100,
    /// the `device-pulse` kind's]
    #[arg(short = 'k', long, value_name = "K", value_parser = parse_count, allow_hyphen_values = true)]
    pub count: Option<usize>,
    /// Seed of every random draw (same seed, same file)
    #[arg(
        short,
        long,
        value_name = "S",
        default_value_t = 0,
        allow_hyphen_values = true
    )]
    pub seed: u64,
    /// Output CSV file (its directory must exist); a sidecar FILE.json is written next to it
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// `xbarsim device drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Library name (see `xbarsim device list`) or path to a TOML device file
    #[arg(short, long, value_name = "DEVICE")]
    pub device: String,
    /// Times since programming (s), comma-separated, finite, ≥ 0
    /// [default: 1,60,3600,86400,2592000,31536000 — 1 s to 1 year]
    #[arg(short, long, value_name = "T,...", value_parser = parse_times, allow_hyphen_values = true)]
    pub times: Option<List>,
    /// Target conductances (S), comma-separated, finite, ≥ 0
    /// [default: g_min + (g_max − g_min)·{0.1, 0.25, 0.5, 0.75, 1}]
    #[arg(long, value_name = "G,...", value_parser = parse_targets, allow_hyphen_values = true)]
    pub targets: Option<List>,
    /// Devices per target [default: 1000, the `device-drift` kind's]
    #[arg(short = 'k', long, value_name = "K", value_parser = parse_count, allow_hyphen_values = true)]
    pub count: Option<usize>,
    /// Seed of every random draw (same seed, same file)
    #[arg(
        short,
        long,
        value_name = "S",
        default_value_t = 0,
        allow_hyphen_values = true
    )]
    pub seed: u64,
    /// Noiseless reads: drift only, no read noise
    #[arg(long)]
    pub no_read_noise: bool,
    /// Output CSV file (its directory must exist); a sidecar FILE.json is written next to it
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// A library error, with a refused setting named by the flag that set it
/// (`flags`: config path → flag), else by its config path with `hint`.
pub fn located(flags: &[(&str, &str)], hint: &str, e: xbar_api::Error) -> CliError {
    match e {
        xbar_api::Error::Field(e) => field(flags, hint, e),
        xbar_api::Error::Kind(xbar_experiments::KindError::Field(e)) => field(flags, hint, e),
        other => CliError::new(other.to_string()),
    }
}

fn field(flags: &[(&str, &str)], hint: &str, e: FieldError) -> CliError {
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

/// `xbarsim device pulse`: a one-point `device-pulse` run.
pub fn pulse(args: &PulseArgs) -> Result<()> {
    let device = device_arg::resolve(&args.device)?;
    check_output_path(&args.output)?;
    let mut pulse = device_pulse::PulseSection::default();
    if let Some(k) = args.count {
        pulse.devices = k;
    }
    pulse.pulses_ltp = args.pulses;
    pulse.pulses_ltd = args.pulses;
    let devices = pulse.devices;
    let m = xbar_api::device_pulse(
        &device,
        pulse,
        args.seed,
        &Invocation::from_process("device pulse"),
    )
    .map_err(|e| located(&[("pulse.devices", "--count")], "--device", e))?;
    m.write(&args.output)
        .map_err(|e| CliError::new(e.to_string()))?;
    let params = &m.sidecar["parameters"];
    print(&format!(
        "wrote {} ({} LTP + {} LTD pulses, {}, {}) and {}\n",
        args.output.display(),
        params["pulses_ltp"],
        params["pulses_ltd"],
        plural(devices, "device"),
        plural(m.table.rows.len(), "row"),
        sidecar_path(&args.output).display()
    ))
}

/// `xbarsim device drift`: a one-point `device-drift` run.
pub fn drift(args: &DriftArgs) -> Result<()> {
    let device = device_arg::resolve(&args.device)?;
    check_output_path(&args.output)?;
    let mut drift = device_drift::DriftSection::default();
    if let Some(k) = args.count {
        drift.devices = k;
    }
    if let Some(t) = &args.times {
        drift.times_s = t.0.clone();
    }
    drift.targets_S = args.targets.as_ref().map(|l| l.0.clone());
    drift.read_noise = !args.no_read_noise;
    let (devices, times) = (drift.devices, drift.times_s.len());
    let m = xbar_api::device_drift(
        &device,
        drift,
        args.seed,
        &Invocation::from_process("device drift"),
    )
    .map_err(|e| {
        located(
            &[
                ("drift.devices", "--count"),
                ("drift.targets_S", "--targets"),
                ("drift.times_s", "--times"),
            ],
            "--device",
            e,
        )
    })?;
    m.write(&args.output)
        .map_err(|e| CliError::new(e.to_string()))?;
    let targets = m.sidecar["parameters"]["targets_S"]
        .as_array()
        .map_or(0, Vec::len);
    print(&format!(
        "wrote {} ({} × {}, {} per target{}) and {}\n",
        args.output.display(),
        plural(targets, "target"),
        plural(times, "time"),
        plural(devices, "device"),
        if args.no_read_noise {
            ", no read noise"
        } else {
            ""
        },
        sidecar_path(&args.output).display()
    ))
}

/// `xbarsim evaluate`: a one-point `inference-drift` run of a model file.
pub fn evaluate(args: &EvaluateArgs) -> Result<()> {
    let on = &args.on;
    xbar_api::output::check_outputs(&[Some(&args.output), args.per_instance.as_deref()])
        .map_err(|e| CliError::new(e.to_string()))?;
    for output in [Some(&args.output), args.per_instance.as_ref()]
        .into_iter()
        .flatten()
    {
        xbar_api::output::check_not_inputs(output, &on.inputs())
            .map_err(|e| CliError::new(e.to_string()))?;
    }
    let device = device_arg::resolve(&on.device)?;
    let mut evaluation = on.evaluation_section();
    if let Some(t) = &args.times {
        evaluation.times_s = t.0.clone();
    }
    if let Some(n) = args.instances {
        evaluation.instances = n;
    }
    let settings = inference_drift::Settings {
        network: None,
        training: None,
        data: on.data.section(),
        array: on.array_section(),
        evaluation,
    };
    let (instances, times) = (
        settings.evaluation.instances,
        settings.evaluation.times_s.len(),
    );
    let mut bars = Bars::new(args.no_progress);
    let name = device.spec.name.clone();
    let result = xbar_api::evaluate(
        &device,
        settings,
        on.seed,
        &Invocation::from_process("evaluate"),
        &mut |u: Update<'_>| {
            if let Update::EvaluationStart {
                software,
                test_images,
                ..
            } = u
            {
                eprintln!(
                    "software accuracy {:.2} % on {test_images} test images; evaluating on {name} ({} × {})",
                    100.0 * software,
                    plural(instances, "instance"),
                    plural(times, "time"),
                );
            }
            xbar_api::Progress::update(&mut bars, u);
        },
    );
    bars.finish();
    let evaluation = result.map_err(|e| {
        located(
            &flags(&[
                ("evaluation.instances", "--instances"),
                ("evaluation.times_s", "--times"),
            ]),
            "--device and the array flags",
            e,
        )
    })?;
    evaluation
        .write(&args.output, args.per_instance.as_deref())
        .map_err(|e| CliError::new(e.to_string()))?;
    let printed: Vec<Vec<String>> = evaluation
        .rows
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
        "{}\nsoftware {:.2} %; {:.1} s; written to {}\n",
        markdown_table(&["time_s", "mean %", "std %", "min %"], &printed),
        100.0 * evaluation.software,
        evaluation.elapsed_s,
        args.output.display()
    ))
}
