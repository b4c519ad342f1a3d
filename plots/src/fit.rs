//! The figure of `xbarsim device fit`: a pulse fit's series
//! ([`xbar_fit::figure::Figure`], plain points from the fit) drawn as a line
//! plot: each measured device a line, each fitted model the mean of its
//! device curves with a ± σ band.

use std::path::{Path, PathBuf};

use polars::prelude::{Column, DataFrame};
use xbar_fit::figure::Figure;

use crate::{draw_with, render_with, PlotError, PlotSpec};

/// Draws `figure` to `path` (`.png`, `.svg` or `.pdf`; all three when it
/// has no extension), each file written atomically, and returns the files written.
///
/// Every point of a series is one row of the series' name; rows sharing a
/// series and an `x` are averaged with their σ as a band, so a
/// [`Population`](xbar_fit::figure::SeriesKind::Population) series (one
/// curve per device) shows the population's mean ± σ and a
/// [`Measured`](xbar_fit::figure::SeriesKind::Measured) one (one point per
/// `x`) its points.
///
/// # Errors
/// As [`draw`](crate::draw): an unsupported extension, a figure with no point, a file
/// that cannot be written.
pub fn draw_fit(figure: &Figure, path: &Path) -> Result<Vec<PathBuf>, PlotError> {
    let (spec, table, dir) = fit_plot(figure, path)?;
    draw_with(&spec, &table, &dir, false)
}

/// [`draw_fit`]'s files in memory, not written: each file's path and its
/// bytes (see [`render`](crate::render)).
///
/// # Errors
/// As [`draw_fit`], less the I/O.
pub fn render_fit(figure: &Figure, path: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>, PlotError> {
    let (spec, table, dir) = fit_plot(figure, path)?;
    render_with(&spec, &table, &dir, false)
}

/// The fit figure as a line plot's spec, its table and its directory.
fn fit_plot(figure: &Figure, path: &Path) -> Result<(PlotSpec, DataFrame, PathBuf), PlotError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (mut xs, mut ys, mut names) = (Vec::new(), Vec::new(), Vec::new());
    for s in &figure.series {
        for &(x, y) in &s.points {
            xs.push(x);
            ys.push(y);
            names.push(s.label.as_str());
        }
    }
    let (x, y, series) = (figure.x.key, figure.y.key, "curve");
    let table = DataFrame::new(
        xs.len(),
        vec![
            Column::new(x.into(), xs),
            Column::new(y.into(), ys),
            Column::new(series.into(), names),
        ],
    )
    .map_err(|e| PlotError::Spec {
        file: file.clone(),
        message: format!("internal error: figure table: {e}"),
    })?;
    let mut spec = PlotSpec::new(file, x, y);
    spec.series = Some(series.into());
    spec.series_label = Some(String::new());
    spec.x_label = Some(figure.x.title());
    spec.y_label = Some(figure.y.title());
    spec.width_in = Some(figure.size_in.0);
    spec.height_in = Some(figure.size_in.1);
    // The series' labels say what their bands are ("…, mean ± σ"): no note.
    Ok((spec, table, dir))
}
