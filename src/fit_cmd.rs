//! `xbarsim device fit`: a device file from measured data. A thin layer over
//! [`xbar_fit`]: read the files, fit, assemble the [`DeviceSpec`], print the
//! report, write the TOML (with the JSON report as its sidecar) and the
//! figure. Nothing is written unless every input reads and fits.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::{Deserialize, Serialize};
use serde_json::json;
use xbar_devices::units::{format_si, format_significant as sig};
use xbar_devices::{Conductance, DeviceSpec};
use xbar_experiments::config::device_to_toml;
use xbar_fit::iv::fit_iv;
use xbar_fit::measured_curve::{self, Choice, MeasuredFit};
use xbar_fit::measurements::{series, sha256_file, PulseData, Table};
use xbar_fit::programming::fit_programming;
use xbar_fit::pulse::{fit_pulses, Criterion, PulseFit, PulseOptions};
use xbar_fit::read_noise::{fit_read_noise_with, ReadNoiseFit, ReadNoiseOptions};
use xbar_fit::retention::{fit_retention, RetentionFit};
use xbar_fit::stats::Estimate;
use xbar_fit::DataError;

use crate::cli::{parse_positive, parse_size};
use crate::error::{bail, CliError, Result};
use crate::output::{aligned_table, check_output_path, print, provenance, write_text_with_sidecar};

/// `xbarsim device fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Pulse trains (CSV, TSV or .xlsx): wide (`pulse_voltage_V` or
    /// `polarity`, then one conductance column in S per device) or long
    /// (`device`, `pulse`, `polarity`, `conductance_S`, optional `cycle`)
    #[arg(long, value_name = "FILE")]
    pub pulses: Option<PathBuf>,
    /// Retention (drift): `time_s`, then one conductance column (S) per
    /// device (or long: `device`, `time_s`, `conductance_S`)
    #[arg(long, value_name = "FILE")]
    pub retention: Option<PathBuf>,
    /// Repeated reads: optional `time_s` (time since programming: then the
    /// PCM 1/f model competes), one conductance column (S) per device, one
    /// row per read (or long: `device`, optional `time_s`, `conductance_S`)
    #[arg(long, value_name = "FILE")]
    pub read_noise: Option<PathBuf>,
    /// Program-and-verify writes: `target_S` and the achieved
    /// `conductance_S`, one row per write (the σ(g_T) polynomial)
    #[arg(long, value_name = "FILE")]
    pub programming: Option<PathBuf>,
    /// Current-voltage sweeps: `voltage_V`, `current_A`, optional `device`
    /// (the sinh cell I-V)
    #[arg(long, value_name = "FILE")]
    pub iv: Option<PathBuf>,
    /// Device name in the file (default: the output file's stem)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Device file to write (TOML); the report goes to FILE.json
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Figure of the measured pulses, the fitted curve and the population
    /// band: FILE as given (.png or .svg), both when it has no extension
    #[arg(long, value_name = "FILE")]
    pub figure: Option<PathBuf>,
    /// Pulse model to keep: auto (the best by --criterion), exponential,
    /// soft-bounds or measured (binned step tables)
    #[arg(long, value_name = "MODEL", default_value = "auto", value_parser = parse_model)]
    pub model: Choice,
    /// Bins per branch of the measured-curve model (bins with fewer than 5
    /// steps are merged with a neighbour)
    #[arg(long, value_name = "N", default_value_t = measured_curve::DEFAULT_BINS, value_parser = parse_size, allow_hyphen_values = true)]
    pub bins: usize,
    /// Information criterion of the automatic choice: aic or bic
    #[arg(long, value_name = "IC", default_value = "bic", value_parser = parse_criterion)]
    pub criterion: Criterion,
    /// Huber loss against outlying pulses instead of plain least squares
    #[arg(long)]
    pub robust: bool,
    /// PCM 1/f read noise (reads with `time_s`): read duration t_read in s
    /// (default: the library's IBM PCM value)
    #[arg(long, value_name = "S", value_parser = parse_positive, allow_hyphen_values = true)]
    pub t_read_s: Option<f64>,
    /// PCM 1/f read noise: floor of g_r^q_exponent (default: IBM PCM)
    #[arg(long, value_name = "X", value_parser = parse_positive, allow_hyphen_values = true)]
    pub g_r_floor: Option<f64>,
    /// PCM 1/f read noise: clip of Q_s (default: IBM PCM)
    #[arg(long, value_name = "X", value_parser = parse_positive, allow_hyphen_values = true)]
    pub q_max: Option<f64>,
}

fn parse_model(text: &str) -> std::result::Result<Choice, String> {
    match text.trim() {
        "auto" => Ok(Choice::Auto),
        "exponential" => Ok(Choice::Exponential),
        "soft-bounds" => Ok(Choice::SoftBounds),
        "measured" => Ok(Choice::Measured),
        _ => Err(format!(
            "expected auto, exponential, soft-bounds or measured, found `{text}`"
        )),
    }
}

fn parse_criterion(text: &str) -> std::result::Result<Criterion, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "aic" => Ok(Criterion::Aic),
        "bic" => Ok(Criterion::Bic),
        _ => Err(format!("expected aic or bic, found `{text}`")),
    }
}

impl From<DataError> for CliError {
    fn from(e: DataError) -> Self {
        CliError::new(e.to_string())
    }
}

/// `value [low, high]` with 4 significant digits.
fn with_ci(e: &Estimate) -> String {
    if e.std_error.is_finite() {
        format!(
            "{} [{}, {}]",
            sig(e.value, 4),
            sig(e.ci_low, 3),
            sig(e.ci_high, 3)
        )
    } else {
        format!("{} [not identified]", sig(e.value, 4))
    }
}

/// One row of the figure's table: a point of a curve.
#[derive(Debug, Serialize, Deserialize)]
#[allow(non_snake_case)]
struct FigureRow {
    pulse: i64,
    conductance_S: f64,
    curve: String,
}

/// `xbarsim device fit`.
///
/// # Errors
/// No input; a bad file (located: file, line, column); a fit that does not
/// converge; an output that cannot be written. Nothing is written then.
pub fn fit(args: &FitArgs) -> Result<()> {
    if args.pulses.is_none()
        && args.retention.is_none()
        && args.read_noise.is_none()
        && args.programming.is_none()
    {
        bail!("no measurements: expected at least one of --pulses FILE, --retention FILE, --read-noise FILE, --programming FILE (--iv FILE adds the cell I-V to one of them)");
    }
    check_output_path(&args.output)?;
    if let Some(fig) = &args.figure {
        if args.pulses.is_none() {
            bail!("--figure shows pulse trains: expected --pulses FILE too");
        }
        check_output_path(fig)?;
    }
    let mut sources = Vec::new();
    let mut report = String::new();
    let mut sidecar_fits = serde_json::Map::new();
    // Pulse trains: the conductance range, the pulse model and the D2D spread.
    let mut pulses = None;
    if let Some(path) = &args.pulses {
        let data = PulseData::read(path)?;
        let opts = PulseOptions {
            robust: args.robust,
            criterion: args.criterion,
            model: args.model.analytic(),
        };
        let analytic = fit_pulses(&data, &opts);
        // The measured curve competes unless the user chose a closed form.
        let measured = match fit_measured_for(&data, args) {
            Ok(m) => m,
            Err(e) if args.model == Choice::Measured || analytic.is_err() => {
                return Err(analytic.err().unwrap_or(e).into())
            }
            Err(_) => None,
        };
        let fit = match (analytic, &measured) {
            (Ok(mut fit), Some(m)) => {
                measured_curve::choose(&mut fit, m, args.model);
                fit
            }
            (Ok(fit), None) => fit,
            // Neither closed form fits: the measured curve alone.
            (Err(e), Some(m)) => measured_curve::measured_only(m, args.criterion, &e.to_string()),
            (Err(e), None) => return Err(e.into()),
        };
        sources.push(("pulses", path.clone(), sha256_file(path)?));
        report += &report_text(path, &data, &fit, measured.as_ref());
        sidecar_fits.insert("pulses".into(), to_json(&fit)?);
        if let Some(m) = &measured {
            sidecar_fits.insert("pulses_measured_curve".into(), to_json(m)?);
        }
        pulses = Some((data, fit, measured));
    }
    let retention = match &args.retention {
        Some(path) => Some((path, Table::read(path)?)),
        None => None,
    };
    let read_noise = match &args.read_noise {
        Some(path) => Some((path, Table::read(path)?)),
        None => None,
    };
    let programming = match &args.programming {
        Some(path) => Some((path, Table::read(path)?)),
        None => None,
    };
    // Without pulse trains, the range is that of the measured conductances.
    let (g_min, g_max) = match &pulses {
        Some((_, fit, _)) => (fit.g_min_S, fit.g_max_S),
        None => {
            let mut all = Vec::new();
            for (_, table) in retention.iter().chain(&read_noise) {
                for s in series(table, "time_s", false, &["read", "time_s"])? {
                    all.extend(s.g);
                }
            }
            if let Some((_, table)) = &programming {
                let col = table.require("conductance_S", "one row per write")?;
                for r in 0..table.rows.len() {
                    all.extend(table.conductance(r, col)?);
                }
            }
            let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = all.iter().copied().fold(0.0, f64::max);
            // `hi <= lo` also when nothing was read (lo = ∞); no NaN here.
            if hi <= lo {
                bail!("the measured conductances span no range (all {hi:e} S): expected devices at several conductances");
            }
            (lo, hi)
        }
    };
    let mut drift = None;
    if let Some((path, table)) = &retention {
        let fit = fit_retention(table, g_max)?;
        sources.push(("retention", (*path).clone(), sha256_file(path)?));
        report += &retention_text(path, &fit);
        sidecar_fits.insert("retention".into(), to_json(&fit)?);
        drift = Some(fit.drift.clone());
    }
    let mut noise = None;
    if let Some((path, table)) = &read_noise {
        let opts = ReadNoiseOptions {
            criterion: args.criterion,
            // g_r against the device file's g_max (the pulse fit's, else the
            // largest measured conductance): the library reads q_coeff so.
            g_max_s: Some(g_max),
            g_r_floor: args.g_r_floor,
            q_max: args.q_max,
            t_read_s: args.t_read_s,
        };
        let fit = fit_read_noise_with(table, &opts)?;
        sources.push(("read-noise", (*path).clone(), sha256_file(path)?));
        let g_max_from = if pulses.is_some() {
            "the pulse fit's g_max"
        } else {
            "the largest measured conductance, the device file's g_max"
        };
        report += &read_noise_text(path, &fit, g_max_from);
        sidecar_fits.insert("read_noise".into(), to_json(&fit)?);
        noise = Some(fit.read_noise.clone());
    }
    let mut programming_spec = None;
    if let Some((path, table)) = &programming {
        let fit = fit_programming(table, g_max)?;
        sources.push(("programming", (*path).clone(), sha256_file(path)?));
        let coefficients: Vec<String> = fit.sigma_poly.iter().map(with_ci).collect();
        report += &format!(
            "\nProgramming: {}, {} targets: σ(g_r) = Σ c_k·g_r^k with c = {} S\n",
            path.display(),
            fit.targets.len(),
            coefficients.join(", ")
        );
        sidecar_fits.insert("programming".into(), to_json(&fit)?);
        programming_spec = Some(fit.programming.clone());
    }
    let mut iv_spec = xbar_devices::IvSpec::default();
    if let Some(path) = &args.iv {
        let fit = fit_iv(&Table::read(path)?)?;
        sources.push(("iv", path.clone(), sha256_file(path)?));
        report += &format!(
            "\nI-V: {}, {} devices: I = (g/a)·sinh(a·V), a = {} 1/V (mean over devices; D2D σ {})\n",
            path.display(),
            fit.devices.len(),
            with_ci(&fit.a.mean),
            sig(fit.a.d2d_std, 3)
        );
        sidecar_fits.insert("iv".into(), to_json(&fit)?);
        iv_spec = fit.iv;
    }
    let name = match &args.name {
        Some(n) => n.clone(),
        None => args
            .output
            .file_stem()
            .map_or("fitted".to_string(), |s| s.to_string_lossy().into_owned()),
    };
    let origin: Vec<String> = sources
        .iter()
        .map(|(what, path, sha)| format!("{what} {} (sha256 {sha})", path.display()))
        .collect();
    let mut description = format!(
        "Fitted by xbarsim {} device fit from {}",
        env!("CARGO_PKG_VERSION"),
        origin.join(", ")
    );
    if let Some((_, fit, measured)) = &pulses {
        description += &pulse_summary(fit, measured.as_ref());
    }
    if let Some(d) = &drift {
        description += &format!(
            "; drift ν {} at t0 {} s",
            sig(d.nu_mean.intercept, 3),
            d.t0_s
        );
    }
    match &noise {
        Some(xbar_devices::read_noise::ReadNoiseSpec::Relative { sigma }) => {
            description += &format!("; relative read noise {}", sig(*sigma, 3));
        }
        Some(xbar_devices::read_noise::ReadNoiseSpec::PcmOneOverF {
            q_coeff,
            q_exponent,
            ..
        }) => {
            description += &format!(
                "; PCM 1/f read noise q_coeff {}, q_exponent {}",
                sig(*q_coeff, 3),
                sig(*q_exponent, 3)
            );
        }
        None => {}
    }
    let spec = DeviceSpec {
        name,
        description,
        technology: "measured".to_string(),
        citation: None,
        g_min: Conductance(g_min),
        g_max: Conductance(g_max),
        programming: programming_spec,
        pulse: pulses.as_ref().map(|(_, f, _)| f.pulse.clone()),
        drift,
        read_noise: noise,
        variability: pulses
            .as_ref()
            .map(|(_, f, _)| f.variability)
            .unwrap_or_default(),
        faults: Default::default(),
        iv: iv_spec,
    };
    spec.validate()
        .map_err(|e| CliError::new(format!("internal error: fitted device: {e}")))?;
    let figure = match (&args.figure, &pulses) {
        (Some(path), Some((data, fit, measured))) => {
            Some((path, figure_frame(data, fit, measured.as_ref())?))
        }
        _ => None,
    };
    let inputs: serde_json::Map<String, serde_json::Value> = sources
        .iter()
        .map(|(what, path, sha)| {
            (
                (*what).to_string(),
                json!({ "file": path.display().to_string(), "sha256": sha }),
            )
        })
        .collect();
    let mut sidecar = provenance(
        "device fit",
        json!({
            "inputs": inputs,
            "model": args.model,
            "criterion": args.criterion,
            "robust": args.robust,
        }),
    );
    sidecar["device"] = json!({ "spec": spec, "toml": device_to_toml(&spec) });
    sidecar["fits"] = serde_json::Value::Object(sidecar_fits);
    sidecar["report"] = json!(report);
    if let Some((path, frame)) = figure {
        draw_figure(path, &frame)?;
    }
    write_text_with_sidecar(&args.output, &device_to_toml(&spec), &sidecar)?;
    print(&report)?;
    print(&format!(
        "wrote {} (report: {}.json)\n",
        args.output.display(),
        args.output.display()
    ))?;
    Ok(())
}

fn to_json<T: Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value)
        .map_err(|e| CliError::new(format!("internal error: report JSON: {e}")))
}

/// The measured-curve model, when the user did not choose a closed form.
fn fit_measured_for(
    data: &PulseData,
    args: &FitArgs,
) -> std::result::Result<Option<MeasuredFit>, DataError> {
    match args.model {
        Choice::Exponential | Choice::SoftBounds => Ok(None),
        Choice::Auto | Choice::Measured => measured_curve::fit_measured(data, args.bins).map(Some),
    }
}

fn pulse_summary(fit: &PulseFit, measured: Option<&MeasuredFit>) -> String {
    let quality = match fit.chosen.as_str() {
        "exponential" => fit.exponential,
        "measured" => measured.map(|m| m.totals),
        _ => fit.soft_bounds,
    };
    let q = quality.map_or(String::new(), |t| {
        format!(
            ", median RMSE {} % of the range, median R² {}",
            sig(100.0 * t.rmse_relative, 3),
            sig(t.r2, 5)
        )
    });
    format!(
        ": {} devices; pulse model {} ({}){q}",
        fit.devices.len(),
        fit.chosen,
        fit.reason
    )
}

fn read_noise_text(file: &Path, fit: &ReadNoiseFit, g_max_from: &str) -> String {
    let per_device = |f: fn(f64, f64) -> f64, start: f64| {
        sig(fit.devices.iter().map(|d| d.sigma.value).fold(start, f), 3)
    };
    let mut t = format!(
        "\nRead noise: {}, {} devices, {} groups at {} times: relative σ {} (pooled; per device {} … {}); AIC {}, BIC {}\n",
        file.display(),
        fit.devices.len(),
        fit.groups,
        fit.times,
        with_ci(&fit.sigma),
        per_device(f64::min, f64::INFINITY),
        per_device(f64::max, 0.0),
        sig(fit.relative.aic, 6),
        sig(fit.relative.bic, 6),
    );
    if let Some(f) = &fit.one_over_f {
        let defaults = if f.library_defaults.is_empty() {
            String::new()
        } else {
            format!(
                " ({}: the library's IBM PCM values)",
                f.library_defaults.join(", ")
            )
        };
        t += &format!(
            "  PCM 1/f: q_coeff {}, q_exponent {} (g_max {} S, {g_max_from}; t_read {} s, g_r_floor {}, q_max {}{defaults}); AIC {}, BIC {}\n",
            with_ci(&f.q_coeff),
            with_ci(&f.q_exponent),
            sig(f.g_max_s, 4),
            f.t_read_s,
            f.g_r_floor,
            f.q_max,
            sig(f.score.aic, 6),
            sig(f.score.bic, 6),
        );
    }
    t + &format!("  read noise kept: {} ({})\n", fit.chosen, fit.reason)
}

fn retention_text(file: &Path, fit: &RetentionFit) -> String {
    let mut t = format!(
        "\nRetention: {}, {} devices, t0 = {} s\n",
        file.display(),
        fit.devices.len(),
        fit.t0_s
    );
    t += &format!(
        "ν: mean {}, σ {}, D2D σ {}",
        with_ci(&fit.nu_mean.mean),
        sig(fit.nu_mean.std, 3),
        sig(fit.nu_mean.d2d_std, 3)
    );
    if let Some(s) = &fit.nu_slope {
        let kept = if fit.drift.nu_mean.slope != 0.0 {
            "kept"
        } else {
            "not kept: its interval holds 0"
        };
        t += &format!("; slope against ln g_r {} ({kept})", with_ci(s));
    }
    t.push('\n');
    let rows: Vec<Vec<String>> = fit
        .devices
        .iter()
        .map(|d| {
            vec![
                d.name.clone(),
                d.points.to_string(),
                format_si(d.g0_s, "S"),
                with_ci(&d.nu),
                sig(d.r2, 4),
            ]
        })
        .collect();
    t += &aligned_table(&["device", "reads", "G(t0)", "ν [95 % CI]", "R²"], &rows);
    t
}

fn report_text(
    file: &Path,
    data: &PulseData,
    fit: &PulseFit,
    measured: Option<&MeasuredFit>,
) -> String {
    let mut t = format!(
        "Pulse trains: {} ({} layout), {} devices\n",
        file.display(),
        data.layout,
        data.devices.len()
    );
    let mut models = Vec::new();
    // Each model's totals over the devices it fits.
    for (name, totals) in [
        ("exponential", fit.exponential),
        ("soft-bounds", fit.soft_bounds),
        ("measured", measured.map(|m| m.totals)),
    ] {
        if let Some(m) = totals {
            models.push(vec![
                name.to_string(),
                m.devices.to_string(),
                format!("{} %", sig(100.0 * m.rmse_relative, 3)),
                sig(m.r2, 5),
                format!("{:.1}", m.aic),
                format!("{:.1}", m.bic),
            ]);
        }
    }
    t += &aligned_table(
        &["model", "devices", "RMSE/range", "R²", "AIC", "BIC"],
        &models,
    );
    t += &format!("kept: {} ({})\n", fit.chosen, fit.reason);
    if let Some(m) = measured {
        let bins = |t: Option<&xbar_devices::pulse::StepTable>| {
            t.map_or("-".to_string(), |t| t.bins().to_string())
        };
        t += &format!(
            "measured curve: bins LTP {} / LTD {}, turn tables into LTP {} / into LTD {} (turn steps {} / {}), {} sparse bins merged, {} table parameters\n",
            m.curve.ltp.bins(),
            m.curve.ltd.bins(),
            bins(m.curve.turn_ltp.as_ref()),
            bins(m.curve.turn_ltd.as_ref()),
            m.turn_steps[0],
            m.turn_steps[1],
            m.merged_bins,
            m.table_parameters
        );
    }
    t += "\n";
    let rows: Vec<Vec<String>> = fit
        .population
        .iter()
        .map(|(key, p)| {
            let num = |x: f64| {
                if key.ends_with("_S") {
                    format_si(x, "S")
                } else {
                    sig(x, 3)
                }
            };
            let mean = if key.ends_with("_S") {
                format!(
                    "{} [{}, {}]",
                    num(p.mean.value),
                    num(p.mean.ci_low),
                    num(p.mean.ci_high)
                )
            } else {
                with_ci(&p.mean)
            };
            vec![
                key.clone(),
                mean,
                num(p.std),
                num(p.d2d_std),
                p.devices.to_string(),
            ]
        })
        .collect();
    t += "Population (mean [95 % CI of the mean], σ of the per-device fits, device-to-device σ):\n";
    t += &aligned_table(
        &["parameter", "mean [95 % CI]", "σ", "D2D σ", "devices"],
        &rows,
    );
    t += "\nPer device:\n";
    let mut rows = Vec::new();
    for d in &fit.devices {
        let mut row = vec![
            d.name.clone(),
            format_si(d.g_min_S, "S"),
            format_si(d.g_max_S, "S"),
        ];
        if fit.chosen == "measured" {
            let q = measured
                .and_then(|m| m.devices.iter().find(|x| x.name == d.name))
                .map(|x| x.quality);
            row.push(q.map_or(String::new(), |q| {
                format!("{} %", sig(100.0 * q.rmse_relative, 3))
            }));
        } else if fit.chosen == "exponential" {
            match &d.exponential {
                Some(e) => row.extend([
                    with_ci(&e.nl_ltp),
                    with_ci(&e.nl_ltd),
                    with_ci(&e.pulses_ltp),
                    with_ci(&e.pulses_ltd),
                    with_ci(&e.c2c),
                    format!("{} %", sig(100.0 * e.quality.rmse_relative, 3)),
                ]),
                None => row.extend([
                    format!("no fit: {}", d.exponential_note.clone().unwrap_or_default()),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                ]),
            }
        } else {
            match &d.soft_bounds {
                Some(s) => row.extend([
                    with_ci(&s.alpha_up),
                    with_ci(&s.alpha_down),
                    with_ci(&s.c2c),
                    format!("{} %", sig(100.0 * s.quality.rmse_relative, 3)),
                ]),
                None => row.extend([
                    format!("no fit: {}", d.soft_bounds_note.clone().unwrap_or_default()),
                    String::new(),
                    String::new(),
                    String::new(),
                ]),
            }
        }
        rows.push(row);
    }
    let header: &[&str] = if fit.chosen == "measured" {
        &["device", "g_min", "g_max", "RMSE/range"]
    } else if fit.chosen == "exponential" {
        &[
            "device",
            "g_min",
            "g_max",
            "nl_ltp",
            "nl_ltd",
            "pulses_ltp",
            "pulses_ltd",
            "c2c",
            "RMSE/range",
        ]
    } else {
        &[
            "device",
            "g_min",
            "g_max",
            "alpha_up",
            "alpha_down",
            "c2c",
            "RMSE/range",
        ]
    };
    t += &aligned_table(header, &rows);
    t
}

/// Measured pulses of the first three devices over the first LTP/LTD
/// cycle, and the fitted model of every device run through the same pulses
/// from its first measured point (mean ± σ over devices: the population
/// band); a kept measured curve is drawn beside a closed form.
fn figure_frame(
    data: &PulseData,
    fit: &PulseFit,
    measured: Option<&MeasuredFit>,
) -> Result<polars_frame::Frame> {
    // The first LTP/LTD cycle of the first device: where its polarity
    // changes the second time.
    let first = &data.devices[0].points;
    let end = first
        .windows(2)
        .filter(|w| w[1].polarity != w[0].polarity)
        .nth(1)
        .map_or(usize::MAX, |w| w[1].pulse);
    let mut rows = Vec::new();
    for d in data.devices.iter().take(3) {
        for p in d.points.iter().take_while(|p| p.pulse < end) {
            rows.push(FigureRow {
                pulse: p.pulse as i64,
                conductance_S: p.g,
                curve: format!("measured {}", d.name),
            });
        }
    }
    // The kept model; beside a kept measured curve, also the closed form
    // that fits every device (exponential first), for comparison.
    let mut models = vec![fit.chosen.clone()];
    if fit.chosen == "measured" {
        let fits_all = |f: &dyn Fn(&xbar_fit::pulse::DeviceFit) -> bool| fit.devices.iter().all(f);
        if fits_all(&|d| d.exponential.is_some()) {
            models.push("exponential".into());
        } else if fits_all(&|d| d.soft_bounds.is_some()) {
            models.push("soft-bounds".into());
        }
    }
    for model in &models {
        let label = format!("fit ({model}), mean ± σ");
        for (k, (train, dfit)) in data.devices.iter().zip(&fit.devices).enumerate() {
            let Some(first) = train.points.first() else {
                continue;
            };
            let pols: Vec<i8> = train.points[1..].iter().map(|p| p.polarity).collect();
            let curve = match (model.as_str(), measured) {
                ("measured", Some(m)) => m.model_curve(k, &pols, first.g),
                ("measured", None) => None,
                (model, _) => dfit.model_curve(model, &pols, first.g),
            };
            let Some(curve) = curve else {
                continue;
            };
            rows.push(FigureRow {
                pulse: first.pulse as i64,
                conductance_S: first.g,
                curve: label.clone(),
            });
            for (p, g) in train.points[1..]
                .iter()
                .zip(curve)
                .take_while(|(p, _)| p.pulse < end)
            {
                rows.push(FigureRow {
                    pulse: p.pulse as i64,
                    conductance_S: g,
                    curve: label.clone(),
                });
            }
        }
    }
    polars_frame::Frame::new(&rows)
}

fn draw_figure(path: &Path, frame: &polars_frame::Frame) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut spec = xbar_plots::PlotSpec::new(file, "pulse", "conductance_S");
    spec.series = Some("curve".into());
    spec.series_label = Some(String::new());
    spec.x_label = Some("pulse".into());
    spec.y_label = Some("conductance (S)".into());
    spec.width_in = Some(5.0);
    spec.height_in = Some(3.2);
    frame.draw(&spec, &dir)
}

/// The figure's rows as a results table (through the experiments crate's
/// one table type, so that this crate needs no polars of its own).
mod polars_frame {
    use super::*;

    pub struct Frame(xbar_experiments::table::Rows);

    impl Frame {
        pub fn new(rows: &[FigureRow]) -> Result<Frame> {
            xbar_experiments::row::table(rows)
                .map(Frame)
                .map_err(|e| CliError::new(format!("internal error: figure table: {e}")))
        }

        pub fn draw(&self, spec: &xbar_plots::PlotSpec, dir: &Path) -> Result<()> {
            let frame = self
                .0
                .to_frame()
                .map_err(|e| CliError::new(format!("internal error: figure table: {e}")))?;
            xbar_plots::draw(spec, &frame, dir)
                .map_err(|e| CliError::new(format!("figure: {e}")))?;
            Ok(())
        }
    }
}
