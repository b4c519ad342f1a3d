//! Line plots: the mean of `y` against `x`, one line per series entry,
//! the spread of the rows averaged into each point as a band or bars.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::aggregate::{self, Point};
use crate::axis::Axis;
use crate::error::PlotError;
use crate::series::SeriesFormat;
use crate::spec::{ErrorStyle, PlotSpec};
use crate::style::{font, look, px, px_i, stroke, Marker, FRAME, GRID, INK, LABEL_PT, SMALL_PT};
use crate::table::{Key, Reader};
use crate::text::width_px;
use crate::units::{self, sentence_case, Shown};

/// One point as drawn: `x`, the mean, and the half-width of its band or
/// bar (0 without a spread or with `error = "none"`), in column units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Mark {
    pub(crate) x: f64,
    pub(crate) mean: f64,
    pub(crate) half: f64,
}

/// One line of a panel: its series (an index into the legend, which picks
/// its look) and its marks, sorted by `x`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub(crate) series: usize,
    pub(crate) marks: Vec<Mark>,
}

/// One sub-plot: its title (the `facet` value; none without `facet`) and
/// its lines. All panels share the axes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Panel {
    pub(crate) title: Option<String>,
    pub(crate) lines: Vec<Line>,
}

/// A line plot with its data aggregated and its axes' ranges and units
/// chosen: everything that does not depend on the output format. Ticks
/// are laid out when it is drawn, for the length the axes get.
#[derive(Debug, Clone)]
pub(crate) struct LinePlot {
    /// The legend entries, one per series, in the order of their looks.
    pub(crate) entries: Vec<String>,
    pub(crate) panels: Vec<Panel>,
    pub(crate) x: Axis,
    pub(crate) y: Axis,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    /// Legend title; `Some` exactly when the spec names a `series`.
    pub(crate) legend_title: Option<String>,
    /// What the bands or bars show ("mean ± σ (n = 3)"), when any point
    /// averages several rows.
    pub(crate) note: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) error: ErrorStyle,
}

/// The half-width of a point's band or bar: σ, or the 95 % confidence
/// interval's t₀.₉₇₅,ₙ₋₁ · σ/√n.
pub(crate) fn half_width(p: &Point, error: ErrorStyle) -> f64 {
    match error {
        ErrorStyle::None => 0.0,
        _ if p.n < 2 => 0.0,
        ErrorStyle::Band | ErrorStyle::Bars => p.std,
        ErrorStyle::Ci95 => aggregate::t975(p.n - 1) * p.std / (p.n as f64).sqrt(),
    }
}

/// The unit a log axis over `[min, max]` shows: chosen at the geometric
/// middle over at most three decades (1–100 nJ), else the base unit (10⁰ …
/// 10⁸ s).
fn log_shown(column: &str, min: f64, max: f64) -> Shown {
    let unit = units::split(column).1;
    if (max / min).log10() <= 3.0 {
        units::choose(unit, (min * max).sqrt())
    } else {
        units::choose(unit, unit.map_or(1.0, |u| 1.0 / u.to_base))
    }
}

/// Reads, filters and aggregates the rows of a line plot.
pub(crate) fn prepare(
    spec: &PlotSpec,
    reader: &Reader<'_>,
    mask: &[bool],
) -> Result<LinePlot, PlotError> {
    let file = spec.file.clone();
    if let Some(z) = &spec.z {
        return Err(PlotError::Spec {
            file,
            message: format!(
                "`z = \"{z}\"` is only used by heatmaps; remove it or set `kind = \"heatmap\"`"
            ),
        });
    }
    let xs = reader.numbers(&spec.x, "x")?;
    let ys = reader.numbers(&spec.y, "y")?;
    let format = match &spec.series {
        Some(s) => Some(SeriesFormat::read(s, reader, mask)?),
        None => None,
    };
    let facet = match &spec.facet {
        Some(c) => Some(reader.values(c, "facet")?),
        None => None,
    };
    let kept = mask.iter().filter(|m| **m).count();
    // Rows are grouped by [facet value, series values...].
    let rows: Vec<(Option<Vec<Key>>, f64, f64)> = (0..mask.len())
        .filter(|&i| mask[i] && xs[i].is_finite() && ys[i].is_finite())
        .filter_map(|i| {
            let mut key = match &facet {
                Some(v) => vec![v.key(i)?],
                None => Vec::new(),
            };
            if let Some(f) = &format {
                key.extend(f.key(i)?);
            }
            Some((Some(key), xs[i], ys[i]))
        })
        .collect();
    if rows.is_empty() {
        return Err(crate::empty_error(
            spec,
            reader,
            kept,
            "`x`, `y`, `series` or `facet`",
        ));
    }
    for (flag, axis, column, pick) in [
        (spec.log_x, "log_x", &spec.x, 1usize),
        (spec.log_y, "log_y", &spec.y, 2usize),
    ] {
        if flag {
            let count = rows
                .iter()
                .filter(|r| if pick == 1 { r.1 <= 0.0 } else { r.2 <= 0.0 })
                .count();
            if count > 0 {
                return Err(PlotError::LogNonPositive {
                    file,
                    axis: axis.to_string(),
                    column: column.clone(),
                    count,
                    total: rows.len(),
                });
            }
        }
    }
    let lines = aggregate::lines(rows);
    let skip = usize::from(facet.is_some());
    fn series_key(l: &aggregate::Line, skip: usize) -> &[Key] {
        l.key.as_deref().map_or(&[][..], |k| &k[skip..])
    }
    let mut keys: Vec<&[Key]> = lines.iter().map(|l| series_key(l, skip)).collect();
    keys.sort();
    keys.dedup();
    let (entries, legend_title) = match &format {
        Some(f) => (f.entries(&keys, spec)?, Some(f.title(spec))),
        None => (vec![String::new(); keys.len()], None),
    };
    let mut panels: Vec<Panel> = Vec::new();
    let mut panel_keys: Vec<Option<&Key>> = Vec::new();
    for l in &lines {
        let facet_key = facet.as_ref().and_then(|_| l.key.as_ref().map(|k| &k[0]));
        if panel_keys.last() != Some(&facet_key) || panels.is_empty() {
            panel_keys.push(facet_key);
            panels.push(Panel {
                title: facet_key.map(|k| facet_title(spec, reader, mask, k)),
                lines: Vec::new(),
            });
        }
        let series = keys.binary_search(&series_key(l, skip)).unwrap_or(0);
        panels.last_mut().expect("pushed above").lines.push(Line {
            series,
            marks: l
                .points
                .iter()
                .map(|p| Mark {
                    x: p.x,
                    mean: p.mean,
                    half: half_width(p, spec.error),
                })
                .collect(),
        });
    }
    let all_marks = || {
        panels
            .iter()
            .flat_map(|p| p.lines.iter())
            .flat_map(|l| l.marks.iter())
    };

    let (mut x_min, mut x_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut y_min, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut x_values = Vec::new();
    for m in all_marks() {
        x_min = x_min.min(m.x);
        x_max = x_max.max(m.x);
        x_values.push(m.x);
        for y in [m.mean - m.half, m.mean, m.mean + m.half] {
            if y.is_finite() && (!spec.log_y || y > 0.0) {
                y_min = y_min.min(y);
                y_max = y_max.max(y);
            }
        }
    }
    let x_shown = if spec.log_x {
        log_shown(&spec.x, x_min, x_max)
    } else {
        units::choose(units::split(&spec.x).1, x_min.abs().max(x_max.abs()))
    };
    let y_shown = if spec.log_y {
        log_shown(&spec.y, y_min, y_max)
    } else {
        units::choose(units::split(&spec.y).1, y_min.abs().max(y_max.abs()))
    };
    let x = Axis::new(x_min, x_max, spec.log_x, &x_shown, &x_values);
    let y = Axis::new(y_min, y_max, spec.log_y, &y_shown, &[]);
    let axis_title = |given: &Option<String>, column: &str, shown: &Shown| match given {
        Some(label) => sentence_case(&units::title(label, shown)),
        None => units::default_title(column, shown),
    };
    let note = note(&lines, spec.error, all_marks().any(|m| m.half > 0.0));
    Ok(LinePlot {
        x_label: axis_title(&spec.x_label, &spec.x, &x_shown),
        y_label: axis_title(&spec.y_label, &spec.y, &y_shown),
        entries,
        panels,
        x,
        y,
        legend_title,
        note,
        title: spec.title.clone(),
        error: spec.error,
    })
}

/// A panel's title: the facet value, with its unit, after the column's
/// name for numbers and booleans ("r wire = 2.5 Ω"); a string alone.
fn facet_title(spec: &PlotSpec, reader: &Reader<'_>, mask: &[bool], key: &Key) -> String {
    let column = spec.facet.as_deref().unwrap_or_default();
    let name = crate::axis::column_name(column);
    match key {
        Key::Num(v) => {
            let biggest = reader
                .numbers(column, "facet")
                .map(|vals| {
                    vals.iter()
                        .zip(mask)
                        .filter(|(x, m)| **m && x.is_finite())
                        .fold(0f64, |a, (x, _)| a.max(x.abs()))
                })
                .unwrap_or(v.abs());
            let shown = units::choose(units::split(column).1, biggest);
            let number = crate::axis::compact(v * shown.factor);
            match shown.symbol.as_str() {
                "" => format!("{name} = {number}"),
                s if s.starts_with('×') => format!("{name} = {number}{s}"),
                s => format!("{name} = {number} {s}"),
            }
        }
        Key::Bool(b) => format!("{name} = {b}"),
        Key::Str(s) => s.clone(),
    }
}

/// What the bands or bars show, with the number of rows averaged per point:
/// "mean ± σ (n = 3)", "mean, 95 % CI (n = 2–5)". `None` when nothing
/// shows a spread.
fn note(lines: &[aggregate::Line], error: ErrorStyle, spread: bool) -> Option<String> {
    let ns: Vec<usize> = lines
        .iter()
        .flat_map(|l| l.points.iter())
        .filter(|p| p.n >= 2)
        .map(|p| p.n)
        .collect();
    if !spread || ns.is_empty() {
        return None;
    }
    let (lo, hi) = (ns.iter().min()?, ns.iter().max()?);
    let n = if lo == hi {
        format!("n = {lo}")
    } else {
        format!("n = {lo}–{hi}")
    };
    match error {
        ErrorStyle::Band | ErrorStyle::Bars => Some(format!("mean ± σ ({n})")),
        ErrorStyle::Ci95 => Some(format!("mean, 95 % CI ({n})")),
        ErrorStyle::None => None,
    }
}

/// Draws one marker centred at the backend pixel `c`.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    marker: Marker,
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let r = px(1.6);
    let fill = color.filled();
    let outline = color.stroke_width(stroke(0.6));
    let square = |h: i32| [(c.0 - h, c.1 - h), (c.0 + h, c.1 + h)];
    let triangle = |down: bool| {
        let h = r * 1.15;
        let s = if down { -1 } else { 1 };
        vec![
            (c.0, c.1 - s * h.round() as i32),
            (
                c.0 + (h * 0.95).round() as i32,
                c.1 + s * (h * 0.6).round() as i32,
            ),
            (
                c.0 - (h * 0.95).round() as i32,
                c.1 + s * (h * 0.6).round() as i32,
            ),
        ]
    };
    match marker {
        Marker::Circle => area.draw(&Circle::new(c, r.round() as i32, fill)),
        Marker::OpenCircle => {
            area.draw(&Circle::new(c, r.round() as i32, WHITE.filled()))?;
            area.draw(&Circle::new(c, r.round() as i32, outline))
        }
        Marker::Square => area.draw(&Rectangle::new(square((r * 0.85).round() as i32), fill)),
        Marker::OpenSquare => {
            let corners = square((r * 0.85).round() as i32);
            area.draw(&Rectangle::new(corners, WHITE.filled()))?;
            area.draw(&Rectangle::new(corners, outline))
        }
        Marker::TriangleUp => area.draw(&Polygon::new(triangle(false), fill)),
        Marker::TriangleDown => area.draw(&Polygon::new(triangle(true), fill)),
        Marker::Diamond => {
            let h = (r * 1.2).round() as i32;
            let pts = vec![
                (c.0, c.1 - h),
                (c.0 + h, c.1),
                (c.0, c.1 + h),
                (c.0 - h, c.1),
            ];
            area.draw(&Polygon::new(pts, fill))
        }
    }
}

/// The drawn pieces of a polyline under a dash pattern (on and off lengths
/// in pixels; empty: the whole line). The pattern runs on across vertices.
pub(crate) fn dash_runs(pts: &[(f64, f64)], pattern: &[f64]) -> Vec<Vec<(f64, f64)>> {
    if pattern.is_empty() || pattern.iter().any(|d| *d <= 0.0) {
        return vec![pts.to_vec()];
    }
    let mut runs = Vec::new();
    let mut current: Vec<(f64, f64)> = pts.first().into_iter().copied().collect();
    let (mut k, mut left) = (0usize, pattern[0]);
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
        let mut at = 0.0;
        while len - at >= left {
            at += left;
            let t = at / len;
            let p = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
            if k % 2 == 0 {
                current.push(p);
                runs.push(std::mem::take(&mut current));
            } else {
                current = vec![p];
            }
            k = (k + 1) % pattern.len();
            left = pattern[k];
        }
        left -= len - at;
        if k % 2 == 0 && current.last() != Some(&b) {
            current.push(b);
        }
    }
    if k % 2 == 0 && current.len() >= 2 {
        runs.push(current);
    }
    runs
}

/// A vertical error bar with caps from pixel row `hi` to `lo` at column `x`,
/// drawn as filled rectangles (so that it adds no `<polyline>` to an SVG).
fn draw_error_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: i32,
    hi: i32,
    lo: i32,
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let w = (stroke(0.75) as i32 / 2).max(1);
    let cap = px_i(2.0);
    let style = color.filled();
    area.draw(&Rectangle::new([(x - w, hi), (x + w, lo)], style))?;
    area.draw(&Rectangle::new(
        [(x - cap, hi - w), (x + cap, hi + w)],
        style,
    ))?;
    area.draw(&Rectangle::new(
        [(x - cap, lo - w), (x + cap, lo + w)],
        style,
    ))
}

/// Width of a text in pixels (0 when plotters cannot measure it).
pub(crate) fn text_width<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle<'_>,
) -> i32 {
    area.estimate_text_size(text, style)
        .map(|(w, _)| w as i32)
        .unwrap_or(0)
}

/// Where the plotting area goes in a figure `width` × `height` pixels with
/// `top` pixels above it, and the axes' ticks for the lengths it gets.
struct Frame {
    top: i32,
    right: i32,
    y_area: i32,
    x: Axis,
    y: Axis,
    /// The plotting area in pixels.
    xr: std::ops::Range<i32>,
    yr: std::ops::Range<i32>,
}

const LEFT_PT: f64 = 3.0;
const BOTTOM_PT: f64 = 3.0;
const TICK_PT: f64 = 2.5;

fn x_area() -> i32 {
    let small_h = px(SMALL_PT).round() as i32;
    let label_h = px(LABEL_PT * 1.15).round() as i32;
    2 * px_i(TICK_PT) + small_h + px_i(3.0) + label_h
}

impl Frame {
    fn new(p: &LinePlot, width: i32, height: i32, top: i32) -> Frame {
        let (left, bottom) = (px_i(LEFT_PT), px_i(BOTTOM_PT));
        let label_h = px(LABEL_PT * 1.15).round() as i32;
        let x_area = x_area();
        let mut y = p.y.clone();
        let y_len = (height - top - bottom - x_area).max(1);
        y.fit_ticks(f64::from(y_len), false);
        let y_tick_w = y
            .ticks
            .iter()
            .map(|(_, t)| width_px(t, SMALL_PT).ceil() as i32)
            .max()
            .unwrap_or(0);
        // plotters puts tick labels two tick lengths from the axis and the
        // axis title at the far edge of the label area.
        let y_area = 2 * px_i(TICK_PT) + y_tick_w + px_i(3.0) + label_h;
        let mut right = px_i(8.0);
        let mut x = p.x.clone();
        for _ in 0..3 {
            let x_len = (width - left - y_area - right).max(1);
            x.fit_ticks(f64::from(x_len), true);
            // The last label may reach past the axis' end.
            let overhang = x.ticks.last().map_or(0.0, |(t, s)| {
                let at = (t - x.lo) / (x.hi - x.lo) * f64::from(x_len);
                at + width_px(s, SMALL_PT) / 2.0 - f64::from(x_len)
            });
            let need = overhang.ceil() as i32 + px_i(2.0);
            if need <= right {
                break;
            }
            right = need;
        }
        let xr = (left + y_area)..(width - right);
        let yr = top..(height - bottom - x_area);
        Frame {
            top,
            right,
            y_area,
            x,
            y,
            xr,
            yr,
        }
    }

    /// Pixel of a point in plot coordinates.
    fn to_px(&self, x: f64, y: f64) -> (i32, i32) {
        let fx = (x - self.x.lo) / (self.x.hi - self.x.lo);
        let fy = (y - self.y.lo) / (self.y.hi - self.y.lo);
        (
            self.xr.start + (fx * f64::from(self.xr.end - self.xr.start)).round() as i32,
            self.yr.end - (fy * f64::from(self.yr.end - self.yr.start)).round() as i32,
        )
    }
}

/// Draws the plot on `root` (the whole figure).
pub(crate) fn render<DB: DrawingBackend>(
    p: &LinePlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    if p.panels.len() > 1 {
        return render_panels(p, root);
    }
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let small = font(SMALL_PT);
    let label = font(LABEL_PT);
    let label_h = px(LABEL_PT * 1.15).round() as i32;
    let title_h = if p.title.is_some() {
        label_h + px_i(3.0)
    } else {
        0
    };
    let top = px_i(6.0) + title_h;

    // The legend goes in the corner of the plotting area where it hides no
    // data; when every corner would, above the plotting area in as many
    // columns as fit, so that the axes keep the figure's width.
    let mut frame = Frame::new(p, width, height, top);
    let mut legend = None;
    if let Some(lg) = Legend::measure(p, 1) {
        let obstacles = obstacles(p, |x, y| frame.to_px(x, y));
        match lg.free_corner(&frame.xr, &frame.yr, &obstacles) {
            Some(at) => legend = Some((lg, at)),
            None => {
                let avail = width - 2 * px_i(LEFT_PT);
                let lg = Legend::fitting(p, avail);
                frame = Frame::new(p, width, height, top + lg.h + px_i(4.0));
                let centre = (frame.xr.start + frame.xr.end - lg.w) / 2;
                let x0 = centre.min(width - px_i(2.0) - lg.w).max(px_i(2.0));
                legend = Some((lg, (x0, top)));
            }
        }
    }

    if let Some(title) = &p.title {
        root.draw(&Text::new(
            title.clone(),
            (width / 2, px_i(4.0)),
            label.color(&INK).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    let mut chart = ChartBuilder::on(root)
        .margin_top(frame.top)
        .margin_right(frame.right)
        .margin_left(px_i(LEFT_PT))
        .margin_bottom(px_i(BOTTOM_PT))
        .x_label_area_size(x_area())
        .y_label_area_size(frame.y_area)
        .build_cartesian_2d(frame.x.coord(), frame.y.coord())?;
    let x_fmt = |v: &f64| frame.x.label_at(*v);
    let y_fmt = |v: &f64| frame.y.label_at(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID.stroke_width(stroke(0.5)))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.stroke_width(stroke(0.6)))
        .set_all_tick_mark_size(px_i(TICK_PT))
        .label_style(small.clone())
        .axis_desc_style(label.clone())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .draw()?;

    let area = chart.plotting_area();
    let to_px = |x: f64, y: f64| area.map_coordinate(&(frame.x.to_plot(x), y_coord(&frame.y, y)));
    if let Some(panel) = p.panels.first() {
        draw_lines(root, &panel.lines, &to_px, p.error)?;
    }
    if let Some((lg, at)) = &legend {
        lg.draw(root, *at, p.error)?;
    }
    root.present()?;
    Ok(())
}

/// Panels side by side: at most one per 1.6 in of width, as many rows as
/// needed, every panel the same size with the same axes; tick labels on
/// the left column and under the last panel of each column, one title per
/// axis, the legend above.
fn render_panels<DB: DrawingBackend>(
    p: &LinePlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let small = font(SMALL_PT);
    let label = font(LABEL_PT);
    let label_h = px(LABEL_PT * 1.15).round() as i32;
    let n = p.panels.len();
    let width_in = f64::from(width) / crate::style::DPI;
    let cols = n.min(((width_in / 1.6).floor() as usize).max(1));
    let rows = n.div_ceil(cols);
    let (cols_i, rows_i) = (cols as i32, rows as i32);
    let (left, bottom) = (px_i(LEFT_PT), px_i(BOTTOM_PT));
    let (mut hgap, vgap) = (px_i(6.0), px_i(4.0));
    let panel_title = px_i(SMALL_PT * 1.4);
    let mut top = px_i(6.0);
    if p.title.is_some() {
        top += label_h + px_i(3.0);
    }
    let legend = Legend::measure(p, 1).map(|_| Legend::fitting(p, width - 2 * left));
    let legend_top = top;
    if let Some(lg) = &legend {
        top += lg.h + px_i(4.0);
    }
    let x_area = x_area();
    // Shared axes: ticks for one panel's size.
    let ph = ((height - top - bottom - x_area - rows_i * panel_title - (rows_i - 1) * vgap)
        / rows_i)
        .max(1);
    let mut y = p.y.clone();
    y.fit_ticks(f64::from(ph), false);
    let y_tick_w = y
        .ticks
        .iter()
        .map(|(_, t)| width_px(t, SMALL_PT).ceil() as i32)
        .max()
        .unwrap_or(0);
    let y_area = 2 * px_i(TICK_PT) + y_tick_w + px_i(3.0) + label_h;
    let mut right = px_i(8.0);
    let mut x = p.x.clone();
    let mut pw = 1;
    for _ in 0..3 {
        pw = ((width - left - y_area - right - (cols_i - 1) * hgap) / cols_i).max(1);
        x.fit_ticks(f64::from(pw), true);
        // How far the first and last labels reach past the panel's edges:
        // neighbouring panels keep their labels apart by the gap between.
        let reach = |(t, s): &(f64, String), end: bool| {
            let at = (t - x.lo) / (x.hi - x.lo) * f64::from(pw);
            let half = width_px(s, SMALL_PT) / 2.0;
            let over = if end {
                at + half - f64::from(pw)
            } else {
                half - at
            };
            over.max(0.0).ceil() as i32
        };
        let (first, last) = match (x.ticks.first(), x.ticks.last()) {
            (Some(a), Some(b)) => (reach(a, false), reach(b, true)),
            _ => (0, 0),
        };
        let need_right = last + px_i(2.0);
        let need_gap = (first + last + px_i(4.0)).max(px_i(6.0));
        if need_right <= right && need_gap <= hgap {
            break;
        }
        right = right.max(need_right);
        hgap = hgap.max(need_gap);
    }
    if let Some(title) = &p.title {
        root.draw(&Text::new(
            title.clone(),
            (width / 2, px_i(4.0)),
            label.color(&INK).pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    let x_fmt = |v: &f64| x.label_at(*v);
    let y_fmt = |v: &f64| y.label_at(*v);
    let none = |_: &f64| String::new();
    for (k, panel) in p.panels.iter().enumerate() {
        let (r, c) = ((k / cols) as i32, (k % cols) as i32);
        let x0 = left + y_area + c * (pw + hgap);
        let y0 = top + r * (ph + panel_title + vgap) + panel_title;
        let show_y = c == 0;
        let show_x = k + cols >= n;
        let (ya, xa) = (
            if show_y { y_area } else { 0 },
            if show_x { x_area - label_h } else { 0 },
        );
        let sub = root
            .clone()
            .shrink((x0 - ya, y0), ((pw + ya) as u32, (ph + xa) as u32));
        let mut chart = ChartBuilder::on(&sub)
            .x_label_area_size(xa)
            .y_label_area_size(ya)
            .build_cartesian_2d(x.coord(), y.coord())?;
        chart
            .configure_mesh()
            .bold_line_style(GRID.stroke_width(stroke(0.5)))
            .light_line_style(TRANSPARENT)
            .axis_style(INK.stroke_width(stroke(0.6)))
            .set_all_tick_mark_size(px_i(TICK_PT))
            .label_style(small.clone())
            .x_label_formatter(if show_x { &x_fmt } else { &none })
            .y_label_formatter(if show_y { &y_fmt } else { &none })
            .draw()?;
        if let Some(t) = &panel.title {
            root.draw(&Text::new(
                t.clone(),
                (x0 + pw / 2, y0 - panel_title / 2),
                small.color(&INK).pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
        let area = chart.plotting_area();
        let to_px = |vx: f64, vy: f64| area.map_coordinate(&(x.to_plot(vx), y_coord(&y, vy)));
        draw_lines(root, &panel.lines, &to_px, p.error)?;
    }
    // One title per axis, centred on the grid.
    let grid_x = (
        left + y_area,
        left + y_area + cols_i * pw + (cols_i - 1) * hgap,
    );
    let grid_y = (top, top + rows_i * (ph + panel_title + vgap) - vgap);
    root.draw(&Text::new(
        p.x_label.clone(),
        ((grid_x.0 + grid_x.1) / 2, height - bottom),
        label.color(&INK).pos(Pos::new(HPos::Center, VPos::Bottom)),
    ))?;
    root.draw(&Text::new(
        p.y_label.clone(),
        (left, (grid_y.0 + grid_y.1) / 2),
        label
            .color(&INK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    if let Some(lg) = &legend {
        let centre = (grid_x.0 + grid_x.1 - lg.w) / 2;
        let x0 = centre.min(width - px_i(2.0) - lg.w).max(px_i(2.0));
        lg.draw(root, (x0, legend_top), p.error)?;
    }
    root.present()?;
    Ok(())
}

/// Draws lines with their bands or bars and markers; `to_px` maps a data
/// point (column units) to a pixel of the figure.
fn draw_lines<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    lines: &[Line],
    to_px: &impl Fn(f64, f64) -> (i32, i32),
    error: ErrorStyle,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    // Bands first, so that every line and marker is drawn over all of them.
    let banded = matches!(error, ErrorStyle::Band | ErrorStyle::Ci95);
    for line in lines {
        let (color, _, _) = look(line.series);
        if banded && line.marks.len() > 1 && line.marks.iter().any(|m| m.half > 0.0) {
            let upper = line.marks.iter().map(|m| to_px(m.x, m.mean + m.half));
            let lower = line.marks.iter().rev().map(|m| to_px(m.x, m.mean - m.half));
            root.draw(&Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                color.mix(0.2).filled(),
            ))?;
        }
    }
    for line in lines {
        let (color, marker, dash) = look(line.series);
        // A single point has no band: it gets an error bar instead.
        let bars = error == ErrorStyle::Bars || (banded && line.marks.len() == 1);
        if bars {
            for m in line.marks.iter().filter(|m| m.half > 0.0) {
                let (x, hi) = to_px(m.x, m.mean + m.half);
                let (_, lo) = to_px(m.x, m.mean - m.half);
                draw_error_bar(root, x, hi, lo, color)?;
            }
        }
        let pts: Vec<(f64, f64)> = line
            .marks
            .iter()
            .map(|m| {
                let (x, y) = to_px(m.x, m.mean);
                (f64::from(x), f64::from(y))
            })
            .collect();
        let pattern: Vec<f64> = dash.iter().map(|d| px(*d)).collect();
        for run in dash_runs(&pts, &pattern) {
            let run: Vec<(i32, i32)> = run
                .iter()
                .map(|&(x, y)| (x.round() as i32, y.round() as i32))
                .collect();
            root.draw(&PathElement::new(run, color.stroke_width(stroke(1.0))))?;
        }
        // Markers at least 5 pt apart on average: every k-th one on a dense
        // line, so that its dash pattern stays visible.
        let span = pts.last().map_or(0.0, |l| (l.0 - pts[0].0).abs());
        let spacing = span / pts.len().saturating_sub(1).max(1) as f64;
        let every = if pts.len() > 2 && spacing > 0.0 {
            (px(5.0) / spacing).ceil().max(1.0) as usize
        } else {
            1
        };
        for (k, m) in line.marks.iter().enumerate() {
            if k % every == 0 || k + 1 == line.marks.len() {
                draw_marker(root, to_px(m.x, m.mean), marker, color)?;
            }
        }
    }
    Ok(())
}

/// The plot coordinate of a `y` value; on a log axis, values <= 0 (the lower
/// edge of a wide band) go to the bottom of the axis.
fn y_coord(y: &Axis, v: f64) -> f64 {
    if y.log && v <= 0.0 {
        y.lo
    } else {
        y.to_plot(v)
    }
}

/// Pixels the data covers: points along every line, and band edges.
fn obstacles(p: &LinePlot, to_px: impl Fn(f64, f64) -> (i32, i32)) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    for s in p.panels.iter().flat_map(|panel| panel.lines.iter()) {
        let edge = |k: f64| -> Vec<(i32, i32)> {
            s.marks
                .iter()
                .map(|m| to_px(p.x.to_plot(m.x), y_coord(&p.y, m.mean + k * m.half)))
                .collect()
        };
        out.extend(sample_path(&edge(0.0)));
        if p.error != ErrorStyle::None {
            out.extend(sample_path(&edge(1.0)));
            out.extend(sample_path(&edge(-1.0)));
        }
    }
    out
}

/// Points along a polyline, a few pixels apart, for the legend placement.
fn sample_path(pts: &[(i32, i32)]) -> Vec<(i32, i32)> {
    let mut out = pts.to_vec();
    for w in pts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let n = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) / 4).clamp(1, 400);
        for k in 1..n {
            let t = k as f64 / n as f64;
            out.push((
                (a.0 as f64 + t * (b.0 - a.0) as f64).round() as i32,
                (a.1 as f64 + t * (b.1 - a.1) as f64).round() as i32,
            ));
        }
    }
    out
}

/// The legend: a title, one entry (line, marker, label) per series in
/// `cols` columns (row by row), and the note on what bands or bars show.
struct Legend {
    title: String,
    labels: Vec<String>,
    note: Option<String>,
    cols: usize,
    entry_w: i32,
    w: i32,
    h: i32,
}

impl Legend {
    const PAD_PT: f64 = 3.0;
    const SAMPLE_PT: f64 = 14.0;
    const GAP_PT: f64 = 3.0;
    const COL_GAP_PT: f64 = 6.0;
    const ROW_PT: f64 = SMALL_PT * 1.3;

    /// The legend in `cols` columns; `None` when there is nothing to say
    /// (no series and no spread).
    fn measure(p: &LinePlot, cols: usize) -> Option<Legend> {
        if p.legend_title.is_none() && p.note.is_none() {
            return None;
        }
        let title = p.legend_title.clone().unwrap_or_default();
        let labels: Vec<String> = if p.legend_title.is_some() {
            p.entries.clone()
        } else {
            Vec::new()
        };
        let cols = cols.clamp(1, labels.len().max(1));
        let w_of = |t: &str| width_px(t, SMALL_PT).ceil() as i32;
        let lead = px_i(Self::SAMPLE_PT) + px_i(Self::GAP_PT);
        let entry_w = lead + labels.iter().map(|l| w_of(l)).max().unwrap_or(0);
        let content = cols as i32 * entry_w + (cols as i32 - 1) * px_i(Self::COL_GAP_PT);
        let note_w = p.note.as_deref().map_or(0, |n| lead + w_of(n));
        let rows = labels.len().div_ceil(cols) as i32
            + i32::from(!title.is_empty())
            + i32::from(p.note.is_some());
        Some(Legend {
            w: content.max(w_of(&title)).max(note_w) + 2 * px_i(Self::PAD_PT),
            h: px_i(Self::ROW_PT) * rows + 2 * px_i(Self::PAD_PT) - px_i(1.0),
            title,
            labels,
            note: p.note.clone(),
            cols,
            entry_w,
        })
    }

    /// The legend in as many columns as fit `avail` pixels, balanced over
    /// its rows (5 entries in 3 + 2, not 4 + 1).
    fn fitting(p: &LinePlot, avail: i32) -> Legend {
        let n = p.entries.len().max(1);
        let mut cols = n;
        while cols > 1 && Legend::measure(p, cols).is_some_and(|l| l.w > avail) {
            cols -= 1;
        }
        let rows = n.div_ceil(cols);
        let cols = n.div_ceil(rows);
        // `measure` is `Some` here: the caller measured it in one column.
        Legend::measure(p, cols).unwrap_or(Legend {
            title: String::new(),
            labels: Vec::new(),
            note: None,
            cols: 1,
            entry_w: 0,
            w: 0,
            h: 0,
        })
    }

    /// The first corner of the plotting area (upper right, upper left,
    /// lower right, lower left) where the legend covers no obstacle.
    fn free_corner(
        &self,
        xr: &std::ops::Range<i32>,
        yr: &std::ops::Range<i32>,
        obstacles: &[(i32, i32)],
    ) -> Option<(i32, i32)> {
        let inset = px_i(3.0);
        let margin = px_i(2.0);
        let (left, right) = (xr.start + inset, xr.end - inset - self.w);
        let (upper, lower) = (yr.start + inset, yr.end - inset - self.h);
        if right < left || lower < upper {
            return None;
        }
        [(right, upper), (left, upper), (right, lower), (left, lower)]
            .into_iter()
            .find(|&(x0, y0)| {
                !obstacles.iter().any(|&(x, y)| {
                    x >= x0 - margin
                        && x <= x0 + self.w + margin
                        && y >= y0 - margin
                        && y <= y0 + self.h + margin
                })
            })
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        (x0, y0): (i32, i32),
        error: ErrorStyle,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let pad = px_i(Self::PAD_PT);
        let row = px_i(Self::ROW_PT);
        let sample = px_i(Self::SAMPLE_PT);
        let corners = [(x0, y0), (x0 + self.w, y0 + self.h)];
        root.draw(&Rectangle::new(corners, WHITE.mix(0.85).filled()))?;
        root.draw(&Rectangle::new(corners, FRAME.stroke_width(stroke(0.5))))?;
        let text_style = font(SMALL_PT)
            .color(&INK)
            .pos(Pos::new(HPos::Left, VPos::Center));
        let mut y = y0 + pad + row / 2;
        if !self.title.is_empty() {
            root.draw(&Text::new(
                self.title.clone(),
                (x0 + pad, y),
                text_style.clone(),
            ))?;
            y += row;
        }
        let half = (stroke(1.0) as i32 / 2).max(1);
        for (i, label) in self.labels.iter().enumerate() {
            let (color, marker, dash) = look(i);
            let (c, r) = (i % self.cols, i / self.cols);
            let x = x0 + pad + c as i32 * (self.entry_w + px_i(Self::COL_GAP_PT));
            let yy = y + r as i32 * row;
            // Filled rectangles, not paths: the SVG's <polyline>s in a
            // series' colour are then exactly its line's (see the crate docs).
            let pattern: Vec<f64> = dash.iter().map(|d| px(*d)).collect();
            let line = [(f64::from(x), 0.0), (f64::from(x + sample), 0.0)];
            for run in dash_runs(&line, &pattern) {
                let (a, b) = (run[0].0.round() as i32, run[run.len() - 1].0.round() as i32);
                root.draw(&Rectangle::new(
                    [(a, yy - half), (b.max(a + 1), yy + half)],
                    color.filled(),
                ))?;
            }
            draw_marker(root, (x + sample / 2, yy), marker, color)?;
            root.draw(&Text::new(
                label.clone(),
                (x + sample + px_i(Self::GAP_PT), yy),
                text_style.clone(),
            ))?;
        }
        y += self.labels.len().div_ceil(self.cols) as i32 * row;
        if let Some(note) = &self.note {
            let x = x0 + pad;
            if error == ErrorStyle::Bars {
                draw_error_bar(root, x + sample / 2, y - row / 3, y + row / 3, INK)?;
            } else {
                let h = px_i(2.5);
                root.draw(&Rectangle::new(
                    [(x, y - h), (x + sample, y + h)],
                    INK.mix(0.2).filled(),
                ))?;
                root.draw(&Rectangle::new(
                    [(x, y - half), (x + sample, y + half)],
                    INK.filled(),
                ))?;
            }
            root.draw(&Text::new(
                note.clone(),
                (x + sample + px_i(Self::GAP_PT), y),
                text_style.clone(),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn length(run: &[(f64, f64)]) -> f64 {
        run.windows(2)
            .map(|w| ((w[1].0 - w[0].0).powi(2) + (w[1].1 - w[0].1).powi(2)).sqrt())
            .sum()
    }

    #[test]
    fn dashes_follow_the_pattern_across_vertices() {
        // An L of length 10 + 10 with 4 on, 2 off: dashes [0, 4], [6, 10],
        // [12, 16], [18, 20]; the second and third turn the corner? No: the
        // corner is at 10, so [6, 10] ends there and [12, 16] starts after.
        let pts = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0)];
        let runs = dash_runs(&pts, &[4.0, 2.0]);
        let lengths: Vec<f64> = runs.iter().map(|r| length(r)).collect();
        assert_eq!(runs.len(), 4, "{runs:?}");
        for (l, want) in lengths.iter().zip([4.0, 4.0, 4.0, 2.0]) {
            assert!((l - want).abs() < 1e-9, "{lengths:?}");
        }
        assert_eq!(runs[1], vec![(6.0, 0.0), (10.0, 0.0)]);
        assert_eq!(runs[2], vec![(10.0, 2.0), (10.0, 6.0)]);
        // A dash that turns the corner keeps the vertex.
        let runs = dash_runs(&pts, &[12.0, 1.0]);
        assert_eq!(runs[0], vec![(0.0, 0.0), (10.0, 0.0), (10.0, 2.0)]);
        // Solid: the line itself.
        assert_eq!(dash_runs(&pts, &[]), vec![pts.to_vec()]);
        // Drawn fraction of a long line: 4 of every 6.
        let long = [(0.0, 0.0), (600.0, 0.0)];
        let drawn: f64 = dash_runs(&long, &[4.0, 2.0])
            .iter()
            .map(|r| length(r))
            .sum();
        assert!((drawn - 400.0).abs() < 1e-6, "{drawn}");
    }

    #[test]
    fn half_widths_are_sigma_or_the_t_interval() {
        let p = Point {
            x: 0.0,
            mean: 2.0,
            std: 1.5,
            n: 4,
        };
        assert_eq!(half_width(&p, ErrorStyle::Band), 1.5);
        assert_eq!(half_width(&p, ErrorStyle::Bars), 1.5);
        assert_eq!(half_width(&p, ErrorStyle::None), 0.0);
        // t(0.975, 3) = 3.182; 3.182 · 1.5 / 2
        assert!((half_width(&p, ErrorStyle::Ci95) - 2.3865).abs() < 1e-9);
        let one = Point {
            n: 1,
            std: 0.0,
            ..p
        };
        assert_eq!(half_width(&one, ErrorStyle::Ci95), 0.0);
    }
}
