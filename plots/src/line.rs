//! Line plots: mean ± std against `x`, one line per series value.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::aggregate::{self, Line};
use crate::axis::{axis_label, Axis};
use crate::error::PlotError;
use crate::spec::{ErrorStyle, PlotSpec};
use crate::style::{font, px, px_i, stroke, FRAME, GRID, INK, LABEL_PT, PALETTE, SMALL_PT};
use crate::table::{Key, Reader};

/// A line plot with its data aggregated and its axes laid out: everything
/// that does not depend on the output format.
#[derive(Debug, Clone)]
pub(crate) struct LinePlot {
    pub(crate) lines: Vec<Line>,
    pub(crate) x: Axis,
    pub(crate) y: Axis,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    /// Legend title; `Some` exactly when the spec names a `series`.
    pub(crate) legend_title: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) error: ErrorStyle,
}

/// Reads, filters and aggregates the rows of a line plot.
pub(crate) fn prepare(
    spec: &PlotSpec,
    reader: &Reader<'_>,
    mask: &[bool],
    size_in: (f64, f64),
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
    let series = match &spec.series {
        Some(s) => Some(reader.values(s, "series")?),
        None => None,
    };
    let kept = mask.iter().filter(|m| **m).count();
    let rows: Vec<(Option<Key>, f64, f64)> = (0..mask.len())
        .filter(|&i| mask[i] && xs[i].is_finite() && ys[i].is_finite())
        .filter_map(|i| match &series {
            Some(v) => v.key(i).map(|k| (Some(k), xs[i], ys[i])),
            None => Some((None, xs[i], ys[i])),
        })
        .collect();
    if rows.is_empty() {
        return Err(crate::empty_error(
            spec,
            reader,
            kept,
            "`x`, `y` or `series`",
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

    let points = lines.iter().flat_map(|l| l.points.iter());
    let (mut x_min, mut x_max) = (f64::INFINITY, f64::NEG_INFINITY);
    let (mut y_min, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY);
    for p in points {
        x_min = x_min.min(p.x);
        x_max = x_max.max(p.x);
        let spread = if spec.error == ErrorStyle::None {
            0.0
        } else {
            p.std
        };
        for y in [p.mean - spread, p.mean, p.mean + spread] {
            if y.is_finite() && (!spec.log_y || y > 0.0) {
                y_min = y_min.min(y);
                y_max = y_max.max(y);
            }
        }
    }
    let x_ticks = ((size_in.0 * 1.6).round() as usize).clamp(3, 10);
    let y_ticks = ((size_in.1 * 2.0).round() as usize).clamp(3, 10);
    let x = if spec.log_x {
        Axis::log(x_min, x_max, x_ticks)
    } else {
        Axis::linear(x_min, x_max, x_ticks)
    };
    let y = if spec.log_y {
        Axis::log(y_min, y_max, y_ticks)
    } else {
        Axis::linear(y_min, y_max, y_ticks)
    };
    let legend_title = spec
        .series
        .as_ref()
        .map(|s| spec.series_label.clone().unwrap_or_else(|| axis_label(s)));
    Ok(LinePlot {
        lines,
        x,
        y,
        x_label: spec.x_label.clone().unwrap_or_else(|| axis_label(&spec.x)),
        y_label: spec.y_label.clone().unwrap_or_else(|| axis_label(&spec.y)),
        legend_title,
        title: spec.title.clone(),
        error: spec.error,
    })
}

/// Marker shapes, cycled together with the colours so that lines stay
/// distinguishable in black and white.
#[derive(Debug, Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
];

/// Colour and marker of the `i`-th line.
fn look(i: usize) -> (RGBColor, Marker) {
    (PALETTE[i % PALETTE.len()], MARKERS[i % MARKERS.len()])
}

/// Draws one marker centred at the backend pixel `c`.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: (i32, i32),
    marker: Marker,
    color: RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let r = px(1.6);
    let style = color.filled();
    match marker {
        Marker::Circle => area.draw(&Circle::new(c, r.round() as i32, style)),
        Marker::Square => {
            let h = (r * 0.85).round() as i32;
            area.draw(&Rectangle::new(
                [(c.0 - h, c.1 - h), (c.0 + h, c.1 + h)],
                style,
            ))
        }
        Marker::Triangle => {
            let h = r * 1.15;
            let pts = vec![
                (c.0, c.1 - h.round() as i32),
                (
                    c.0 + (h * 0.95).round() as i32,
                    c.1 + (h * 0.6).round() as i32,
                ),
                (
                    c.0 - (h * 0.95).round() as i32,
                    c.1 + (h * 0.6).round() as i32,
                ),
            ];
            area.draw(&Polygon::new(pts, style))
        }
        Marker::Diamond => {
            let h = (r * 1.2).round() as i32;
            let pts = vec![
                (c.0, c.1 - h),
                (c.0 + h, c.1),
                (c.0, c.1 + h),
                (c.0 - h, c.1),
            ];
            area.draw(&Polygon::new(pts, style))
        }
    }
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

/// Draws the plot on `root` (the whole figure).
pub(crate) fn render<DB: DrawingBackend>(
    p: &LinePlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (width as i32, height as i32);
    let small = font(SMALL_PT);
    let label = font(LABEL_PT);
    let tick = px_i(2.5);
    let y_tick_w =
        p.y.ticks
            .iter()
            .map(|(_, t)| text_width(root, t, &small))
            .max()
            .unwrap_or(0);
    let last_x_w =
        p.x.ticks
            .last()
            .map(|(_, t)| text_width(root, t, &small))
            .unwrap_or(0);
    let small_h = px(SMALL_PT).round() as i32;
    let label_h = px(LABEL_PT * 1.15).round() as i32;

    // Layout. plotters puts tick labels two tick lengths from the axis and
    // the axis description at the far edge of the label area.
    let x_area = 2 * tick + small_h + px_i(3.0) + label_h;
    let y_area = 2 * tick + y_tick_w + px_i(3.0) + label_h;
    let (left, bottom) = (px_i(3.0), px_i(3.0));
    let title_h = if p.title.is_some() {
        label_h + px_i(3.0)
    } else {
        0
    };
    let top = px_i(6.0) + title_h;
    let overhang = last_x_w / 2 + px_i(2.0);
    let mut right = overhang.max(px_i(8.0));

    // The legend goes in the corner of the plotting area where it hides no
    // data, or to the right of the plotting area when every corner would.
    let legend = p
        .legend_title
        .as_deref()
        .map(|t| Legend::measure(root, p, t));
    let mut legend_at = None;
    if let Some(lg) = &legend {
        let xr = (left + y_area)..(width - right);
        let yr = top..(height - bottom - x_area);
        let to_px = |x: f64, y: f64| {
            let fx = (x - p.x.lo) / (p.x.hi - p.x.lo);
            let fy = (y - p.y.lo) / (p.y.hi - p.y.lo);
            (
                xr.start + (fx * (xr.end - xr.start) as f64).round() as i32,
                yr.end - (fy * (yr.end - yr.start) as f64).round() as i32,
            )
        };
        let obstacles = obstacles(p, to_px);
        legend_at = lg.free_corner(&xr, &yr, &obstacles);
        if legend_at.is_none() {
            right = lg.w + px_i(2.0) + overhang.max(px_i(6.0));
            legend_at = Some((width - px_i(2.0) - lg.w, top));
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
        .margin_top(top)
        .margin_right(right)
        .margin_left(left)
        .margin_bottom(bottom)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d(p.x.coord(), p.y.coord())?;
    let x_fmt = |v: &f64| p.x.label_at(*v);
    let y_fmt = |v: &f64| p.y.label_at(*v);
    chart
        .configure_mesh()
        .bold_line_style(GRID.stroke_width(stroke(0.5)))
        .light_line_style(TRANSPARENT)
        .axis_style(INK.stroke_width(stroke(0.6)))
        .set_all_tick_mark_size(tick)
        .label_style(small.clone())
        .axis_desc_style(label.clone())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .draw()?;

    let area = chart.plotting_area();
    let y_plot = |v: f64| y_coord(p, v);
    let to_px = |x: f64, y: f64| area.map_coordinate(&(p.x.to_plot(x), y_plot(y)));

    // Bands first, so that every line and marker is drawn over all of them.
    for (i, line) in p.lines.iter().enumerate() {
        let (color, _) = look(i);
        let spread = line.points.iter().any(|q| q.std > 0.0);
        if p.error == ErrorStyle::Band && spread && line.points.len() > 1 {
            let upper = line
                .points
                .iter()
                .map(|q| (p.x.to_plot(q.x), y_plot(q.mean + q.std)));
            let lower = line
                .points
                .iter()
                .rev()
                .map(|q| (p.x.to_plot(q.x), y_plot(q.mean - q.std)));
            area.draw(&Polygon::new(
                upper.chain(lower).collect::<Vec<_>>(),
                color.mix(0.2).filled(),
            ))?;
        }
    }
    for (i, line) in p.lines.iter().enumerate() {
        let (color, marker) = look(i);
        // A single point has no band: it gets an error bar instead.
        let bars =
            p.error == ErrorStyle::Bars || (p.error == ErrorStyle::Band && line.points.len() == 1);
        if bars {
            for q in line.points.iter().filter(|q| q.std > 0.0) {
                let (x, hi) = to_px(q.x, q.mean + q.std);
                let (_, lo) = to_px(q.x, q.mean - q.std);
                draw_error_bar(root, x, hi, lo, color)?;
            }
        }
        area.draw(&PathElement::new(
            line.points
                .iter()
                .map(|q| (p.x.to_plot(q.x), y_plot(q.mean)))
                .collect::<Vec<_>>(),
            color.stroke_width(stroke(1.0)),
        ))?;
        for q in &line.points {
            draw_marker(root, to_px(q.x, q.mean), marker, color)?;
        }
    }
    if let (Some(lg), Some(at)) = (&legend, legend_at) {
        lg.draw(root, at)?;
    }
    root.present()?;
    Ok(())
}

/// The plot coordinate of a `y` value; on a log axis, values <= 0 (the lower
/// edge of a wide band) go to the bottom of the axis.
fn y_coord(p: &LinePlot, v: f64) -> f64 {
    if p.y.log {
        if v > 0.0 {
            v.log10()
        } else {
            p.y.lo
        }
    } else {
        v
    }
}

/// Pixels the data covers: points along every line, and band edges.
fn obstacles(p: &LinePlot, to_px: impl Fn(f64, f64) -> (i32, i32)) -> Vec<(i32, i32)> {
    let mut out = Vec::new();
    for line in &p.lines {
        let pts: Vec<(i32, i32)> = line
            .points
            .iter()
            .map(|q| to_px(p.x.to_plot(q.x), y_coord(p, q.mean)))
            .collect();
        out.extend(sample_path(&pts));
        if p.error != ErrorStyle::None {
            let edge = |s: f64| -> Vec<(i32, i32)> {
                line.points
                    .iter()
                    .map(|q| to_px(p.x.to_plot(q.x), y_coord(p, q.mean + s * q.std)))
                    .collect()
            };
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

/// The legend: a title and one entry (line, marker, value) per series.
struct Legend {
    title: String,
    labels: Vec<String>,
    w: i32,
    h: i32,
}

impl Legend {
    const PAD_PT: f64 = 3.0;
    const SAMPLE_PT: f64 = 12.0;
    const GAP_PT: f64 = 3.0;
    const ROW_PT: f64 = SMALL_PT * 1.3;

    fn measure<DB: DrawingBackend>(
        root: &DrawingArea<DB, Shift>,
        p: &LinePlot,
        title: &str,
    ) -> Legend {
        let small = font(SMALL_PT);
        let labels: Vec<String> = p
            .lines
            .iter()
            .map(|l| l.key.as_ref().map(Key::label).unwrap_or_default())
            .collect();
        let text_w = labels
            .iter()
            .map(|l| text_width(root, l, &small))
            .max()
            .unwrap_or(0);
        let title_w = text_width(root, title, &small);
        let rows = labels.len() as i32 + i32::from(!title.is_empty());
        Legend {
            title: title.to_string(),
            w: (px_i(Self::SAMPLE_PT) + px_i(Self::GAP_PT) + text_w).max(title_w)
                + 2 * px_i(Self::PAD_PT),
            h: px_i(Self::ROW_PT) * rows + 2 * px_i(Self::PAD_PT) - px_i(1.0),
            labels,
        }
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
        for (i, label) in self.labels.iter().enumerate() {
            let (color, marker) = look(i);
            let half = (stroke(1.0) as i32 / 2).max(1);
            // A filled rectangle, not a path: the SVG then holds exactly one
            // <polyline> per series line (see the crate docs).
            root.draw(&Rectangle::new(
                [(x0 + pad, y - half), (x0 + pad + sample, y + half)],
                color.filled(),
            ))?;
            draw_marker(root, (x0 + pad + sample / 2, y), marker, color)?;
            root.draw(&Text::new(
                label.clone(),
                (x0 + pad + sample + px_i(Self::GAP_PT), y),
                text_style.clone(),
            ))?;
            y += row;
        }
        Ok(())
    }
}
