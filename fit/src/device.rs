//! A device file from measurements: every fit the files allow, assembled
//! into one [`DeviceSpec`] with its provenance, the report as typed
//! sections, the fits as serialisable records and the figure as plain
//! series. What `xbarsim device fit` runs; a front end only prints the
//! report and writes the files ([`FittedDevice`] has everything they hold).
//!
//! * **Pulse trains** give the conductance range, the pulse model (the two
//!   closed forms and the measured curve, kept by [`FitSettings::model`]
//!   and [`FitSettings::criterion`]) and the device-to-device spread.
//! * **Retention**, **read noise** and **programming** files add their
//!   sections; without pulse trains the range is that of all the measured
//!   conductances.
//! * **I-V sweeps** add the cell I-V to one of them.
//!
//! ```
//! use xbar_fit::device::{fit_device, FitSettings};
//! use xbar_fit::pulse::PulseModel;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("trains.csv");
//! let spec = xbar_fit::synth::SynthSpec { devices: 4, ..Default::default() };
//! let data = xbar_fit::synth::synthesize(&spec, 1);
//! std::fs::write(&path, xbar_fit::synth::to_wide_csv(&data, 1.0, "")).unwrap();
//! let fitted = fit_device(&FitSettings {
//!     pulses: Some(path),
//!     name: Some("example".into()),
//!     ..FitSettings::default()
//! })
//! .unwrap();
//! assert_eq!(fitted.spec.name, "example");
//! assert_eq!(fitted.fits.pulses.as_ref().unwrap().chosen, PulseModel::Exponential);
//! assert!(fitted.report_text().contains("kept: exponential"));
//! ```

use std::path::{Path, PathBuf};

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use xbar_devices::read_noise::ReadNoiseSpec;
use xbar_devices::units::format_significant as sig;
use xbar_devices::{Conductance, DeviceSpec, IvSpec};

use crate::figure::Figure;
use crate::free_run::{self, FreeRunError, Reference};
use crate::iv::{fit_iv, IvFit};
use crate::measured_curve::{self, MeasuredFit};
use crate::measurements::{is_workbook, series, sha256_file, DataError, PulseData, Table};
use crate::programming::{fit_programming, ProgrammingFit};
use crate::pulse::{
    fit_pulses, Criterion, FreeRunCurves, ModelChoice, ModelFreeRun, PulseFit, PulseModel,
    PulseOptions,
};
use crate::read_noise::{fit_read_noise_with, ReadNoiseFit, ReadNoiseOptions};
use crate::report::{render, Section};
use crate::retention::{fit_retention, RetentionFit};

/// What to fit and how. [`Default`] is `xbarsim device fit`'s defaults (and
/// the only place they are written): no files, each workbook's first sheet
/// with cells, the model by BIC among all
/// three, [`measured_curve::DEFAULT_BINS`] bins, plain least squares, the
/// library's IBM PCM values for the 1/f read noise's fixed parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct FitSettings {
    /// Pulse trains (CSV, TSV or a workbook; wide or long,
    /// [`crate::measurements`]).
    pub pulses: Option<PathBuf>,
    /// Retention: conductances against `time_s`.
    pub retention: Option<PathBuf>,
    /// Repeated reads (with `time_s`: the PCM 1/f model competes).
    pub read_noise: Option<PathBuf>,
    /// Program-and-verify writes: `target_S`, `conductance_S`.
    pub programming: Option<PathBuf>,
    /// Current-voltage sweeps: `voltage_V`, `current_A`.
    pub iv: Option<PathBuf>,
    /// The sheet every workbook input (`.xlsx`, `.xlsm`, `.xls`, `.xlsb`,
    /// `.ods`) is read from; text tables have one table and ignore it.
    /// `None`: each workbook's first sheet with cells.
    pub sheet: Option<String>,
    /// The device's name; `None`: `"fitted"` (the file-writing front ends
    /// use the output file's stem).
    pub name: Option<String>,
    /// The pulse model to keep.
    pub model: ModelChoice,
    /// Bins per branch of the measured curve.
    pub bins: usize,
    /// The information criterion of every automatic choice.
    pub criterion: Criterion,
    /// Huber loss against outlying pulses.
    pub robust: bool,
    /// PCM 1/f read noise: read duration (s); `None`: the library's.
    pub t_read_s: Option<f64>,
    /// PCM 1/f read noise: floor of `g_r^q_exponent`; `None`: the library's.
    pub g_r_floor: Option<f64>,
    /// PCM 1/f read noise: clip of `Q_s`; `None`: the library's.
    pub q_max: Option<f64>,
}

impl Default for FitSettings {
    fn default() -> Self {
        FitSettings {
            pulses: None,
            retention: None,
            read_noise: None,
            programming: None,
            iv: None,
            sheet: None,
            name: None,
            model: ModelChoice::Auto,
            bins: measured_curve::DEFAULT_BINS,
            criterion: Criterion::Bic,
            robust: false,
            t_read_s: None,
            g_r_floor: None,
            q_max: None,
        }
    }
}

impl FitSettings {
    /// Checks that there is something to fit (before any file is opened).
    ///
    /// # Errors
    /// [`FitError::NoMeasurements`] without pulse, retention, read-noise or
    /// programming data; [`FitError::EmptyName`] for a name that is empty
    /// or only blanks; [`FitError::SheetWithoutWorkbook`] for a sheet when
    /// no input is a workbook.
    pub fn check(&self) -> Result<(), FitError> {
        if self.name.as_ref().is_some_and(|n| n.trim().is_empty()) {
            return Err(FitError::EmptyName);
        }
        if self.pulses.is_none()
            && self.retention.is_none()
            && self.read_noise.is_none()
            && self.programming.is_none()
        {
            return Err(FitError::NoMeasurements);
        }
        if self.sheet.is_some() && !self.inputs().any(is_workbook) {
            return Err(FitError::SheetWithoutWorkbook);
        }
        Ok(())
    }

    /// The input files given.
    fn inputs(&self) -> impl Iterator<Item = &Path> {
        [
            &self.pulses,
            &self.retention,
            &self.read_noise,
            &self.programming,
            &self.iv,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
    }
}

/// Why no device came out.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// No measurement file to fit (I-V sweeps alone make no device).
    #[error("no measurements: expected at least one of pulse trains, retention, read-noise or programming data (I-V sweeps add the cell I-V to one of them)")]
    NoMeasurements,
    /// A device name that is empty or only blanks.
    #[error("name: expected a non-empty device name")]
    EmptyName,
    /// A sheet named when no input is a workbook.
    #[error("sheet: names a workbook's sheet, but no input is a workbook (.xlsx, .xlsm, .xls, .xlsb, .ods)")]
    SheetWithoutWorkbook,
    /// A file that cannot be read, or data no model fits: located.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Without pulse trains, measured conductances that span no range.
    #[error("the measured conductances span no range (all {0:e} S): expected devices at several conductances")]
    NoRange(f64),
    /// The assembled device does not validate (a bug in the fits).
    #[error("internal error: fitted device: {0}")]
    Internal(String),
}

/// An input file: what it holds, where it is, the sheet read from a
/// workbook, and its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// `"pulses"`, `"retention"`, `"read-noise"`, `"programming"` or `"iv"`.
    #[serde(skip)]
    pub what: &'static str,
    /// The path as given.
    pub file: String,
    /// The workbook's sheet that was read; absent for a text table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

impl Source {
    fn of(what: &'static str, path: &Path, table: &Table) -> Result<Self, DataError> {
        Ok(Source {
            what,
            file: path.display().to_string(),
            sheet: table.sheet.clone(),
            sha256: sha256_file(path)?,
        })
    }
}

/// Every fit that was made, as the sidecar's `fits` records it (absent
/// fields: no such file).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Fits {
    /// The pulse fit (the kept model, both closed forms per device).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulses: Option<PulseFit>,
    /// The measured curve, when it was fitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pulses_measured_curve: Option<MeasuredFit>,
    /// Drift.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention: Option<RetentionFit>,
    /// Read noise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_noise: Option<ReadNoiseFit>,
    /// Programming noise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub programming: Option<ProgrammingFit>,
    /// The cell I-V.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iv: Option<IvFit>,
}

/// The settings that shaped the result, as the sidecar's `parameters`
/// record them: each input by what it holds, the model choice, the
/// criterion and the loss.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitParameters {
    /// The input files, keyed by what they hold.
    #[serde(serialize_with = "inputs_by_kind")]
    pub inputs: Vec<Source>,
    /// The model choice.
    pub model: ModelChoice,
    /// The criterion.
    pub criterion: Criterion,
    /// Huber loss or not.
    pub robust: bool,
}

fn inputs_by_kind<S: Serializer>(inputs: &[Source], s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(inputs.len()))?;
    for source in inputs {
        map.serialize_entry(source.what, source)?;
    }
    map.end()
}

/// The result of [`fit_device`].
#[derive(Debug, Clone, PartialEq)]
pub struct FittedDevice {
    /// The device file, validated; its description names the inputs (with
    /// their SHA-256) and summarises the fits.
    pub spec: DeviceSpec,
    /// What it was fitted from and how.
    pub parameters: FitParameters,
    /// Every fit.
    pub fits: Fits,
    /// The report.
    pub report: Vec<Section>,
    /// The pulse fit's figure, with pulse trains.
    pub figure: Option<Figure>,
}

impl FittedDevice {
    /// The report as plain text ([`render`]).
    pub fn report_text(&self) -> String {
        render(&self.report)
    }
}

/// The pulse fit with the measured curve in the running: the closed forms
/// by [`fit_pulses`], the measured curve (unless the user named a closed
/// form) by [`measured_curve::fit_measured`], the kept model by
/// [`measured_curve::choose`]. Where neither closed form fits, the measured
/// curve alone.
///
/// # Errors
/// Data no kept model fits: the closed forms' error, or the measured
/// curve's when the user chose it (or neither closed form fits).
pub fn fit_pulse_models(
    data: &PulseData,
    settings: &FitSettings,
) -> Result<(PulseFit, Option<MeasuredFit>), DataError> {
    let opts = PulseOptions {
        robust: settings.robust,
        criterion: settings.criterion,
        model: settings.model,
        steps_only: false,
    };
    let analytic = fit_pulses(data, &opts);
    let measured = if settings.model.fits(PulseModel::Measured) {
        match measured_curve::fit_measured(data, settings.bins) {
            Ok(m) => Some(m),
            Err(e) if settings.model.is(PulseModel::Measured) || analytic.is_err() => {
                return Err(analytic.err().unwrap_or(e))
            }
            Err(_) => None,
        }
    } else {
        None
    };
    let fit = match (analytic, &measured) {
        (Ok(mut fit), Some(m)) => {
            measured_curve::choose(&mut fit, m, settings.model);
            fit
        }
        (Ok(fit), None) => fit,
        (Err(e), Some(m)) => measured_curve::measured_only(m, settings.criterion, &e.to_string()),
        (Err(e), None) => return Err(e),
    };
    let mut fit = fit;
    free_runs(data, &mut fit, measured.as_ref());
    if settings.model == ModelChoice::Auto {
        choose_free_running(&mut fit, measured.as_ref());
    }
    Ok((fit, measured))
}

/// The automatic choice judged as the user will run the model: when the
/// criterion's pick runs free more than 1.5 times as far from the measured
/// curve as another fitted model (and by more than 1 % of the range), that
/// model is kept instead, both numbers stated. One-step criteria reward a
/// model for following each measured step, which a model can do and still
/// drift away from the curve when run on its own.
pub fn choose_free_running(fit: &mut PulseFit, measured: Option<&MeasuredFit>) {
    let Some(kept) = fit.free_run_of(fit.chosen) else {
        return;
    };
    let Some(best) = fit
        .free_run
        .iter()
        .filter(|f| f.model != fit.chosen)
        .min_by(|a, b| a.error.mean_relative.total_cmp(&b.error.mean_relative))
        .copied()
    else {
        return;
    };
    let (k, b) = (kept.mean_relative, best.error.mean_relative);
    if k > 1.5 * b && k - b > 0.01 {
        let reason = format!(
            "run free, its simulated mean lies {} of the range from the measured median curve, against {} for {}, which the one-step criterion would keep: {}",
            sig(100.0 * b, 3) + " %",
            sig(100.0 * k, 3) + " %",
            fit.chosen.words(),
            fit.reason
        );
        fit.keep(best.model, measured, reason);
    }
}

/// Every fitted model's device-file part run free over the measured median
/// curve ([`crate::free_run`]), in [`PulseModel::ALL`]'s order: the errors
/// and the curves into `fit`.
fn free_runs(data: &PulseData, fit: &mut PulseFit, measured: Option<&MeasuredFit>) {
    let Some(reference) = Reference::of(data, |_| true) else {
        return;
    };
    use rayon::prelude::*;
    let parts: Vec<_> = PulseModel::ALL
        .iter()
        .filter_map(|&model| Some((model, fit.device_part(model, measured)?)))
        .collect();
    // The models side by side (each simulation is sequential in pulses).
    let (errors, simulated): (Vec<_>, Vec<_>) = parts
        .into_par_iter()
        .filter_map(|(model, (g_min, g_max, pulse, variability))| {
            let spec = free_run::pulse_device(g_min, g_max, pulse, variability);
            let sim = free_run::simulate(&spec, &reference).ok()?;
            let error = FreeRunError::of(&sim, &reference);
            Some((ModelFreeRun { model, error }, (model, sim)))
        })
        .unzip();
    fit.free_run = errors;
    fit.free_run_curves = Some(FreeRunCurves {
        reference,
        simulated,
    });
}

/// Fits every file of `settings` and assembles the device.
///
/// # Errors
/// No measurement file; a file that cannot be read or that no model fits
/// (located: file, line, column); measured conductances without a range.
pub fn fit_device(settings: &FitSettings) -> Result<FittedDevice, FitError> {
    settings.check()?;
    let mut sources = Vec::new();
    let mut report = Vec::new();
    let mut fits = Fits::default();
    // Pulse trains: the conductance range, the pulse model and the D2D spread.
    let mut pulses = None;
    let sheet = settings.sheet.as_deref();
    if let Some(path) = &settings.pulses {
        let table = Table::read_sheet(path, sheet)?;
        let data = PulseData::from_table(&table)?;
        let (fit, measured) = fit_pulse_models(&data, settings).map_err(|e| table.sheet_note(e))?;
        sources.push(Source::of("pulses", path, &table)?);
        report.extend(fit.report(&data, measured.as_ref()));
        pulses = Some((data, fit, measured));
    }
    let read = |path: &Option<PathBuf>| -> Result<Option<(PathBuf, Table)>, DataError> {
        match path {
            Some(p) => Ok(Some((p.clone(), Table::read_sheet(p, sheet)?))),
            None => Ok(None),
        }
    };
    let retention = read(&settings.retention)?;
    let read_noise = read(&settings.read_noise)?;
    let programming = read(&settings.programming)?;
    // Without pulse trains, the range is that of the measured conductances.
    let (g_min, g_max) = match &pulses {
        Some((_, fit, _)) => (fit.g_min_S, fit.g_max_S),
        None => measured_range(&retention, &read_noise, &programming)?,
    };
    let mut description = String::new();
    if let Some((_, fit, measured)) = &pulses {
        description += &pulse_summary(fit, measured.as_ref());
    }
    if let Some((path, table)) = &retention {
        let fit = fit_retention(table, g_max).map_err(|e| table.sheet_note(e))?;
        sources.push(Source::of("retention", path, table)?);
        report.push(fit.report(&table.file));
        let d = &fit.drift;
        description += &format!(
            "; drift ν {} at t0 {} s",
            sig(d.nu_mean.intercept, 3),
            d.t0_s
        );
        fits.retention = Some(fit);
    }
    if let Some((path, table)) = &read_noise {
        let opts = ReadNoiseOptions {
            criterion: settings.criterion,
            // g_r against the device file's g_max (the pulse fit's, else the
            // largest measured conductance): the library reads q_coeff so.
            g_max_s: Some(g_max),
            g_r_floor: settings.g_r_floor,
            q_max: settings.q_max,
            t_read_s: settings.t_read_s,
        };
        let fit = fit_read_noise_with(table, &opts).map_err(|e| table.sheet_note(e))?;
        sources.push(Source::of("read-noise", path, table)?);
        let g_max_from = if pulses.is_some() {
            "the pulse fit's g_max"
        } else {
            "the largest measured conductance, the device file's g_max"
        };
        report.push(fit.report(&table.file, g_max_from));
        description += &read_noise_summary(&fit.read_noise);
        fits.read_noise = Some(fit);
    }
    if let Some((path, table)) = &programming {
        let fit = fit_programming(table, g_max).map_err(|e| table.sheet_note(e))?;
        sources.push(Source::of("programming", path, table)?);
        report.push(fit.report(&table.file));
        fits.programming = Some(fit);
    }
    if let Some(path) = &settings.iv {
        let table = Table::read_sheet(path, sheet)?;
        let fit = fit_iv(&table).map_err(|e| table.sheet_note(e))?;
        sources.push(Source::of("iv", path, &table)?);
        report.push(fit.report(&table.file));
        fits.iv = Some(fit);
    }
    let origin: Vec<String> = sources
        .iter()
        .map(|s| match &s.sheet {
            Some(sheet) => format!("{} {} sheet {sheet} (sha256 {})", s.what, s.file, s.sha256),
            None => format!("{} {} (sha256 {})", s.what, s.file, s.sha256),
        })
        .collect();
    let description = format!(
        "Fitted by xbarsim {} device fit from {}{description}",
        env!("CARGO_PKG_VERSION"),
        origin.join(", ")
    );
    let spec = DeviceSpec {
        name: settings
            .name
            .clone()
            .unwrap_or_else(|| "fitted".to_string()),
        description,
        technology: "measured".to_string(),
        citation: None,
        g_min: Conductance(g_min),
        g_max: Conductance(g_max),
        programming: fits.programming.as_ref().map(|f| f.programming.clone()),
        pulse: pulses.as_ref().map(|(_, f, _)| f.pulse.clone()),
        drift: fits.retention.as_ref().map(|f| f.drift.clone()),
        read_noise: fits.read_noise.as_ref().map(|f| f.read_noise.clone()),
        variability: pulses
            .as_ref()
            .map(|(_, f, _)| f.variability)
            .unwrap_or_default(),
        iv: fits.iv.as_ref().map_or_else(IvSpec::default, |f| f.iv),
        // Sections the measurements do not fit (faults) and any added
        // later: nothing modelled.
        ..DeviceSpec::default()
    };
    spec.validate()
        .map_err(|e| FitError::Internal(e.to_string()))?;
    let figure = pulses
        .as_ref()
        .map(|(data, fit, measured)| Figure::of_pulses(data, fit, measured.as_ref()));
    if let Some((_, fit, measured)) = pulses {
        fits.pulses = Some(fit);
        fits.pulses_measured_curve = measured;
    }
    Ok(FittedDevice {
        spec,
        parameters: FitParameters {
            inputs: sources,
            model: settings.model,
            criterion: settings.criterion,
            robust: settings.robust,
        },
        fits,
        report,
        figure,
    })
}

/// The smallest and largest conductance of the retention, read-noise and
/// programming tables.
fn measured_range(
    retention: &Option<(PathBuf, Table)>,
    read_noise: &Option<(PathBuf, Table)>,
    programming: &Option<(PathBuf, Table)>,
) -> Result<(f64, f64), FitError> {
    let mut all = Vec::new();
    for (_, table) in retention.iter().chain(read_noise) {
        let all_series =
            series(table, "time_s", false, &["read", "time_s"]).map_err(|e| table.sheet_note(e))?;
        for s in all_series {
            all.extend(s.g);
        }
    }
    if let Some((_, table)) = programming {
        let conductances = || -> Result<Vec<f64>, DataError> {
            let col = table.require("conductance_S", "one row per write")?;
            let mut g = Vec::new();
            for r in 0..table.rows.len() {
                g.extend(table.conductance(r, col)?);
            }
            Ok(g)
        };
        all.extend(conductances().map_err(|e| table.sheet_note(e))?);
    }
    let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = all.iter().copied().fold(0.0, f64::max);
    // `hi <= lo` also when nothing was read (lo = ∞); no NaN here.
    if hi <= lo {
        return Err(FitError::NoRange(hi));
    }
    Ok((lo, hi))
}

/// `: N devices; pulse model M (why), median RMSE …, median R² …`.
fn pulse_summary(fit: &PulseFit, measured: Option<&MeasuredFit>) -> String {
    let q = fit.totals(fit.chosen, measured).map_or(String::new(), |t| {
        format!(
            ", median RMSE {} % of the range, median R² {}",
            sig(100.0 * t.rmse_relative, 3),
            sig(t.r2, 5)
        )
    });
    let free = fit.free_run_of(fit.chosen).map_or(String::new(), |f| {
        format!(
            ", run free {} of the range from the measured median curve",
            sig(100.0 * f.mean_relative, 3) + " %"
        )
    });
    format!(
        ": {} devices; pulse model {} ({}){q}{free}",
        fit.devices.len(),
        fit.chosen,
        fit.reason
    )
}

/// `; relative read noise σ` or `; PCM 1/f read noise q_coeff …`.
fn read_noise_summary(spec: &ReadNoiseSpec) -> String {
    match spec {
        ReadNoiseSpec::Relative { sigma } => format!("; relative read noise {}", sig(*sigma, 3)),
        ReadNoiseSpec::PcmOneOverF {
            q_coeff,
            q_exponent,
            ..
        } => format!(
            "; PCM 1/f read noise q_coeff {}, q_exponent {}",
            sig(*q_coeff, 3),
            sig(*q_exponent, 3)
        ),
    }
}
