//! `device fit` as one call: fit every measurement file
//! ([`xbar_fit::device::fit_device`]) and write the file set — the device
//! file (TOML), its JSON sidecar (`<output>.json`: provenance, the device,
//! every fit's record and the report) and, with pulse trains, the figure
//! ([`xbar_plots::render_fit`]). Every output path is checked before the
//! fit, and nothing is written unless every input reads and fits; then
//! the files are written as one [`OutputSet`]: all of them or none, and
//! never mixed with another writer's.

use std::path::{Path, PathBuf};

use serde_json::json;
use xbar_experiments::config::device_to_toml;
use xbar_fit::device::{fit_device, FitError, FitSettings, FittedDevice};
use xbar_plots::PlotError;

use crate::output::{check_not_inputs, check_output_path, Invocation, OutputError, OutputSet};

/// Where `device fit` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FitOutputs<'a> {
    /// The device file (TOML); its sidecar goes to `<device>.json`.
    pub device: &'a Path,
    /// The figure: `.png`, `.svg` or `.pdf`, all three when it has no
    /// extension.
    pub figure: Option<&'a Path>,
}

/// Why `device fit` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum FitFilesError {
    /// Nothing to fit, a bad file, data no model fits.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// An output path that cannot be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A figure asked for without pulse trains (it shows them).
    #[error("the figure shows pulse trains: expected pulse trains too")]
    FigureWithoutPulses,
    /// The figure cannot be drawn or written.
    #[error("figure: {0}")]
    Figure(Box<PlotError>),
}

/// Fits `settings`' files and writes the device file, its sidecar and the
/// figure together. A device without a name is named by the device file's
/// stem. Returns the fit (its report, records and figure series) for the
/// front end to print.
///
/// # Errors
/// A [`FitFilesError`]; nothing is written then.
pub fn fit_device_files(
    settings: &FitSettings,
    outputs: FitOutputs<'_>,
    invocation: &Invocation,
) -> Result<FittedDevice, FitFilesError> {
    settings.check()?;
    check_output_path(outputs.device)?;
    let inputs: Vec<(&str, &Path)> = [
        ("pulse-train file", &settings.pulses),
        ("retention file", &settings.retention),
        ("read-noise file", &settings.read_noise),
        ("programming file", &settings.programming),
        ("I-V file", &settings.iv),
    ]
    .into_iter()
    .filter_map(|(what, p)| p.as_deref().map(|p| (what, p)))
    .collect();
    check_not_inputs(outputs.device, &inputs)?;
    if let Some(figure) = outputs.figure {
        if settings.pulses.is_none() {
            return Err(FitFilesError::FigureWithoutPulses);
        }
        check_output_path(figure)?;
        // Each file of the figure (`.svg`, `.png` and `.pdf` without an
        // extension).
        for file in figure_targets(figure) {
            check_output_path(&file)?;
            check_not_inputs(&file, &inputs)?;
        }
    }
    let mut settings = settings.clone();
    if settings.name.is_none() {
        settings.name = outputs
            .device
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned());
    }
    let fitted = fit_device(&settings)?;
    let record = |value: serde_json::Result<serde_json::Value>| {
        value.map_err(|e| OutputError::Write {
            path: crate::output::sidecar_path(outputs.device),
            reason: format!("sidecar JSON: {e}"),
        })
    };
    let toml = device_to_toml(&fitted.spec);
    let mut sidecar = invocation.provenance(record(serde_json::to_value(&fitted.parameters))?);
    sidecar["device"] = json!({ "spec": fitted.spec, "toml": toml });
    sidecar["fits"] = record(serde_json::to_value(&fitted.fits))?;
    sidecar["report"] = json!(fitted.report_text());
    // One set: the device file, its sidecar and every figure file, or
    // nothing (the figure is rendered in memory first).
    let mut set = OutputSet::new();
    set.with_sidecar(outputs.device, toml.into_bytes(), &sidecar)?;
    if let (Some(path), Some(figure)) = (outputs.figure, &fitted.figure) {
        let files =
            xbar_plots::render_fit(figure, path).map_err(|e| FitFilesError::Figure(Box::new(e)))?;
        for (file, bytes) in files {
            set.file(file, bytes);
        }
    }
    set.commit()?;
    Ok(fitted)
}

/// The files [`xbar_plots::render_fit`] renders for `path`: `.svg`, `.png` and
/// `.pdf` when it has no extension, else `path`.
fn figure_targets(path: &Path) -> Vec<PathBuf> {
    if path.extension().is_none() {
        vec![
            path.with_extension("svg"),
            path.with_extension("png"),
            path.with_extension("pdf"),
        ]
    } else {
        vec![path.to_path_buf()]
    }
}
