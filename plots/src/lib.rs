//! # xbar-plots — publication figures from result tables
//!
//! Draws line plots (mean over repeats with a ± σ or 95 % confidence band,
//! several series, log axes) and heatmaps from experiment result tables,
//! as SVG, PNG and PDF sized for a two-column paper: 3.5 × 2.6 in by default,
//! 8–9 pt text in the embedded DejaVu Sans. PNGs are 300 dpi; SVGs use the
//! same layout and declare their size in inches; PDFs are the SVG converted
//! in memory (vector, page size in points, text kept as text in the
//! embedded font).
//!
//! **Units.** A column's unit comes from its name's suffix (`_S`, `_J`,
//! `_s`, `_A`, `_V`, `_W`, `_ohm`, `_m2`, `_pct`, …); each axis shows it
//! with the SI prefix its values need (µS, nJ) and long times in min, h, d
//! or yr, and says so in its title. Log axes label 1-2-5 or 1-3 ticks over
//! a few decades, and the values themselves when they double (array
//! sizes). Tick labels are measured in the figure's font and thinned until
//! none overlap. Titles are in sentence case.
//!
//! **Series** split the rows by one column, several (`series = ["a",
//! "b"]`) or a label template (`"{a}, refresh {b}"`); `series_labels`
//! renames entries, and is required where an entry would be a bare sweep
//! point number. Lines are told apart by the Okabe–Ito colours, seven
//! markers and four dash patterns (distinct to 28 series in greyscale).
//! When points average several rows, the legend says what the band or bars
//! show ("mean ± σ (n = 3)").
//!
//! A figure is described by a [`PlotSpec`] (one `[[plot]]` table of an
//! experiment file) and drawn by [`draw`]:
//!
//! ```
//! use polars::prelude::*;
//! use xbar_plots::{draw, PlotSpec};
//!
//! let table = df![
//!     "array.size"     => [64i64, 64, 128, 128, 64, 64, 128, 128],
//!     "r_wire_ohm"     => [1.0, 1.0, 1.0, 1.0, 2.5, 2.5, 2.5, 2.5],
//!     "error_mean_rel" => [0.010, 0.012, 0.030, 0.034, 0.020, 0.024, 0.070, 0.075],
//! ]?;
//! let mut spec = PlotSpec::new("ir_drop.svg", "array.size", "error_mean_rel");
//! spec.series = Some("r_wire_ohm".into());
//! let dir = tempfile::tempdir()?;
//! let written = draw(&spec, &table, dir.path())?;
//! assert_eq!(written, vec![dir.path().join("ir_drop.svg")]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Heatmaps** treat `x` and `y` as categories (numeric, string or
//! boolean), evenly spaced and labelled with their values; `series`,
//! `log_x` and `log_y` are rejected there and `error` is ignored.
//! `series_label` titles the colour bar.
//!
//! **SVG structure** (stable, for tests and post-processing): a series'
//! line is drawn as `<polyline>`s stroked in its palette colour (`#0072B2`,
//! `#D55E00`, `#009E73`, `#CC79A7`, `#E69F00`, `#56B4E9`, `#1A1A1A`,
//! `#F0E442`, then again): one for a solid line, one per dash otherwise;
//! every other `<polyline>` is black (axes, tick marks, the colour-bar
//! frame). Grid lines are `<line>`s, bands `<polygon>`s, markers
//! `<circle>`s, `<rect>`s (squares) or `<polygon>`s (triangles, diamonds);
//! error bars, the legend box, its line samples and its band swatch are
//! filled `<rect>`s. A heatmap has exactly one `<rect>` for the background
//! plus one per cell (grey `#EBEBEB` where no row fell); its colour bar is
//! `<polygon>`s.
//! Text is `<text font-family="sans-serif">`; PNG text is drawn with the
//! embedded DejaVu Sans.

mod aggregate;
mod axis;
mod error;
mod fit;
mod heatmap;
mod line;
mod output;
mod series;
mod spec;
mod style;
mod table;
mod text;
mod units;

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingAreaErrorKind, DrawingBackend};
use polars::prelude::DataFrame;

pub use axis::axis_label;
pub use error::PlotError;
pub use fit::{draw_fit, render_fit};
pub use spec::{ErrorStyle, FigureSize, FilterValue, PlotKind, PlotSpec};

use table::Reader;

/// Draws the figure that `spec` describes from `table` and returns the files
/// written: `spec.file` resolved against `out_dir` (unless absolute), or
/// `<file>.svg`, `<file>.png` and `<file>.pdf` when it has no extension. Parent
/// directories are created; each file is written atomically (a temporary
/// file in the same directory, then a rename).
///
/// Line plots average `y` over the rows sharing a (series entry, `x`)
/// pair, after the `where` filter, and show the sample standard deviation
/// (or the mean's 95 % confidence interval). Rows whose `x`, `y` or series
/// value is null or not finite are left out.
/// Heatmaps average `z` per (`x`, `y`) cell.
///
/// ```
/// use polars::prelude::*;
/// use xbar_plots::{draw, PlotKind, PlotSpec};
///
/// let table = df![
///     "bits"         => [2i64, 4, 2, 4],
///     "device"       => ["rram", "rram", "pcm", "pcm"],
///     "accuracy_pct" => [91.0, 95.5, 88.0, 97.0],
/// ]?;
/// let spec = PlotSpec {
///     kind: PlotKind::Heatmap,
///     z: Some("accuracy_pct".into()),
///     ..PlotSpec::new("accuracy", "bits", "device")
/// };
/// let dir = tempfile::tempdir()?;
/// let written = draw(&spec, &table, dir.path())?;
/// assert_eq!(written.len(), 3); // accuracy.svg, .png and .pdf
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// A [`PlotError`] that names the offending column or path and says what to
/// change: unknown columns (listing the available ones), non-numeric axes,
/// log axes over values <= 0, nothing left after filtering, a heatmap
/// without `z`, I/O failures.
pub fn draw(spec: &PlotSpec, table: &DataFrame, out_dir: &Path) -> Result<Vec<PathBuf>, PlotError> {
    draw_with(spec, table, out_dir, true)
}

/// [`draw`]'s files in memory, not written: each file's path (`spec.file`
/// resolved against `out_dir`, every format when it has no extension) and
/// its bytes, for a caller that writes them with other files as one set.
///
/// # Errors
/// As [`draw`], less the I/O.
pub fn render(
    spec: &PlotSpec,
    table: &DataFrame,
    out_dir: &Path,
) -> Result<Vec<(PathBuf, Vec<u8>)>, PlotError> {
    render_with(spec, table, out_dir, true)
}

/// [`draw`], with or without the legend's note on what bands show (a fit's
/// figure names it in its series' labels).
pub(crate) fn draw_with(
    spec: &PlotSpec,
    table: &DataFrame,
    out_dir: &Path,
    note: bool,
) -> Result<Vec<PathBuf>, PlotError> {
    let rendered = render_with(spec, table, out_dir, note)?;
    // Every format is rendered, then staged in a temporary file, then all
    // are moved into place: the figure's files appear together or not at
    // all (a file this call created is removed again when a later one
    // cannot be written; one it replaced cannot be restored).
    let mut staged = Vec::with_capacity(rendered.len());
    for (path, bytes) in rendered {
        let tmp = output::stage(&path, &bytes)?;
        staged.push((tmp, path));
    }
    let mut written: Vec<(PathBuf, bool)> = Vec::with_capacity(staged.len());
    for (tmp, path) in staged {
        let existed = path.exists();
        if let Err(e) = output::persist(tmp, &path) {
            for (p, _) in written.iter().filter(|(_, existed)| !existed) {
                let _ = std::fs::remove_file(p);
            }
            return Err(e);
        }
        written.push((path, existed));
    }
    Ok(written.into_iter().map(|(p, _)| p).collect())
}

/// [`render`], with or without the legend's note on what bands show.
pub(crate) fn render_with(
    spec: &PlotSpec,
    table: &DataFrame,
    out_dir: &Path,
    note: bool,
) -> Result<Vec<(PathBuf, Vec<u8>)>, PlotError> {
    style::register_font();
    spec.check().map_err(|(field, message)| PlotError::Spec {
        file: spec.file.clone(),
        message: format!("`{field}`: {message}"),
    })?;
    let targets = output::targets(&spec.file, out_dir)?;
    let size_in = figure_size(spec)?;
    let reader = Reader {
        df: table,
        file: &spec.file,
    };
    let mask = reader.filter_mask(&spec.filter)?;
    let plot = match spec.kind {
        PlotKind::Line => {
            let mut plot = line::prepare(spec, &reader, &mask)?;
            if !note {
                plot.note = None;
            }
            Plot::Line(plot)
        }
        PlotKind::Heatmap => Plot::Heatmap(heatmap::prepare(spec, &reader, &mask)?),
    };
    let px = (
        (size_in.0 * style::DPI).round() as u32,
        (size_in.1 * style::DPI).round() as u32,
    );
    targets
        .into_iter()
        .map(|(path, format)| {
            let bytes = output::render(&plot, &path, format, px, size_in)?;
            Ok((path, bytes))
        })
        .collect()
}

/// A prepared figure: data aggregated, ready to render in any format.
pub(crate) enum Plot {
    Line(line::LinePlot),
    Heatmap(heatmap::HeatPlot),
}

impl Plot {
    fn render<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        match self {
            Plot::Line(p) => line::render(p, root),
            Plot::Heatmap(p) => heatmap::render(p, root),
        }
    }
}

/// Width and height in inches, checked.
fn figure_size(spec: &PlotSpec) -> Result<(f64, f64), PlotError> {
    let (w, h) = spec.size.inches();
    let w = spec.width_in.unwrap_or(w);
    let h = spec.height_in.unwrap_or(h);
    for (name, v) in [("width_in", w), ("height_in", h)] {
        if !(1.0..=20.0).contains(&v) {
            return Err(PlotError::Spec {
                file: spec.file.clone(),
                message: format!("`{name} = {v}` is out of range; give a size from 1 to 20 inches"),
            });
        }
    }
    Ok((w, h))
}

/// The error for a plot with no rows left: says whether the table was empty,
/// the `where` filter matched nothing (and which values exist), or every
/// remaining row lacked a usable value.
pub(crate) fn empty_error(
    spec: &PlotSpec,
    reader: &Reader<'_>,
    kept: usize,
    what: &str,
) -> PlotError {
    let height = reader.df.height();
    let reason = if height == 0 {
        "the table has no rows".to_string()
    } else if kept == 0 {
        let filters: Vec<String> = spec
            .filter
            .iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        format!(
            "none of the {height} rows matches `where` ({}); {}",
            filters.join(", "),
            reader.describe_filter_columns(&spec.filter)
        )
    } else {
        format!("all {kept} rows left after `where` have a missing or non-finite value in {what}")
    };
    PlotError::Empty {
        file: spec.file.clone(),
        reason,
    }
}
