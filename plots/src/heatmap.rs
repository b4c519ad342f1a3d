//! Heatmaps: the mean of `z` on the grid of two swept parameters.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::aggregate::{self, Grid};
use crate::axis::{linear_ticks, Axis};
use crate::error::PlotError;
use crate::line::text_width;
use crate::spec::PlotSpec;
use crate::style::{font, px, px_i, stroke, viridis, INK, LABEL_PT, MISSING, SMALL_PT};
use crate::table::{Key, Reader};
use crate::units::{self, sentence_case, Shown};

/// Strips the colour bar is drawn with.
const BAR_STEPS: usize = 64;

/// A heatmap with its grid aggregated.
#[derive(Debug, Clone)]
pub(crate) struct HeatPlot {
    pub(crate) grid: Grid,
    /// Colour scale, in the colour bar's unit: `z_lo` is the low end of
    /// viridis, `z_hi` the high end.
    pub(crate) z_lo: f64,
    pub(crate) z_hi: f64,
    /// Colour-bar units per unit of `z` (10⁹ for a `_J` column in nJ).
    pub(crate) z_factor: f64,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    pub(crate) z_label: String,
    pub(crate) title: Option<String>,
}

/// Reads, filters and aggregates the rows of a heatmap.
pub(crate) fn prepare(
    spec: &PlotSpec,
    reader: &Reader<'_>,
    mask: &[bool],
) -> Result<HeatPlot, PlotError> {
    let spec_error = |message: String| PlotError::Spec {
        file: spec.file.clone(),
        message,
    };
    let Some(z) = &spec.z else {
        return Err(spec_error(
            "a heatmap needs `z`, the column whose mean colours each cell (e.g. `z = \"accuracy_pct\"`)"
                .to_string(),
        ));
    };
    if let Some(s) = &spec.series {
        return Err(spec_error(format!(
            "`series = \"{s}\"` is only used by line plots; a heatmap shows `z` over `x` and `y` (filter other parameters with `where`)"
        )));
    }
    if let Some(f) = &spec.facet {
        return Err(spec_error(format!(
            "`facet = \"{f}\"` is only used by line plots; draw one heatmap per value with `where`"
        )));
    }
    if spec.log_x || spec.log_y {
        return Err(spec_error(
            "heatmap axes are categorical (one evenly spaced cell per distinct value), so `log_x` and `log_y` do not apply; remove them".to_string(),
        ));
    }
    let xs = reader.values(&spec.x, "x")?;
    let ys = reader.values(&spec.y, "y")?;
    let zs = reader.numbers(z, "z")?;
    let kept = mask.iter().filter(|m| **m).count();
    let rows: Vec<(Key, Key, f64)> = (0..mask.len())
        .filter(|&i| mask[i] && zs[i].is_finite())
        .filter_map(|i| Some((xs.key(i)?, ys.key(i)?, zs[i])))
        .collect();
    if rows.is_empty() {
        return Err(crate::empty_error(spec, reader, kept, "`x`, `y` or `z`"));
    }
    let grid = aggregate::grid(rows);
    let (mut z_lo, mut z_hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in grid.cells.iter().flatten().flatten() {
        z_lo = z_lo.min(*v);
        z_hi = z_hi.max(*v);
    }
    if z_hi <= z_lo {
        let d = if z_lo == 0.0 { 1.0 } else { 0.1 * z_lo.abs() };
        z_lo -= d;
        z_hi += d;
    }
    // The colour bar shows z in the unit its values need (µS, nJ); the
    // categorical axes show their values as the table has them.
    let z_shown = units::choose(units::split(z).1, z_lo.abs().max(z_hi.abs()));
    let title = |given: &Option<String>, column: &str, shown: &Shown| match given {
        Some(label) => sentence_case(&units::title(label, shown)),
        None => units::default_title(column, shown),
    };
    let categorical = |column: &str| {
        let unit = units::split(column).1;
        // Plain values: the unit as written, never rescaled.
        Shown {
            factor: 1.0,
            symbol: unit.map_or(String::new(), |u| u.written.to_string()),
            written: unit.map_or(String::new(), |u| u.written.to_string()),
        }
    };
    Ok(HeatPlot {
        grid,
        z_lo: z_lo * z_shown.factor,
        z_hi: z_hi * z_shown.factor,
        z_factor: z_shown.factor,
        x_label: title(&spec.x_label, &spec.x, &categorical(&spec.x)),
        y_label: title(&spec.y_label, &spec.y, &categorical(&spec.y)),
        z_label: title(&spec.series_label, z, &z_shown),
        title: spec.title.clone(),
    })
}

/// Draws the heatmap on `root` (the whole figure).
pub(crate) fn render<DB: DrawingBackend>(
    p: &HeatPlot,
    root: &DrawingArea<DB, Shift>,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let small = font(SMALL_PT);
    let label = font(LABEL_PT);
    let tick = px_i(2.5);
    let small_h = px(SMALL_PT).round() as i32;
    let label_h = px(LABEL_PT * 1.15).round() as i32;
    let (width, _) = root.dim_in_pixel();

    // Colour bar geometry, right to left: margin, label, tick labels, ticks, strip.
    let z_ticks = linear_ticks(p.z_lo, p.z_hi, 5);
    let z_tick_w = z_ticks
        .iter()
        .map(|(_, t)| text_width(root, t, &small))
        .max()
        .unwrap_or(0);
    let strip = px_i(7.0);
    let bar_w = px_i(8.0) + strip + tick + px_i(2.0) + z_tick_w + px_i(4.0) + label_h + px_i(2.0);
    let (left, _) = root.split_horizontally(width as i32 - bar_w);

    let x_names: Vec<String> = p.grid.xs.iter().map(Key::label).collect();
    let y_names: Vec<String> = p.grid.ys.iter().map(Key::label).collect();
    let x_name_w = x_names
        .iter()
        .map(|t| text_width(root, t, &small))
        .max()
        .unwrap_or(0);
    let y_name_w = y_names
        .iter()
        .map(|t| text_width(root, t, &small))
        .max()
        .unwrap_or(0);
    let x_area = 2 * tick + small_h + px_i(3.0) + label_h;
    let y_area = 2 * tick + y_name_w + px_i(3.0) + label_h;
    let top = px_i(if p.title.is_some() { 4.0 } else { 8.0 });
    let (lw, lh) = left.dim_in_pixel();
    let plot_w = (lw as i32 - y_area - px_i(6.0)).max(1);
    let plot_h = (lh as i32 - x_area - top - px_i(3.0)).max(1);
    let x_axis = Axis::categories(
        &x_names,
        (plot_w / (x_name_w + px_i(6.0)).max(1)).max(1) as usize,
    );
    let y_axis = Axis::categories(&y_names, (plot_h / (small_h * 2).max(1)).max(1) as usize);

    let mut builder = ChartBuilder::on(&left);
    builder
        .margin_top(top)
        .margin_right(px_i(3.0))
        .margin_left(px_i(3.0))
        .margin_bottom(px_i(3.0))
        .x_label_area_size(x_area)
        .y_label_area_size(y_area);
    if let Some(title) = &p.title {
        builder.caption(title, label.clone());
    }
    let mut chart = builder.build_cartesian_2d(x_axis.coord(), y_axis.coord())?;

    // One rectangle per cell (grey where no row fell), drawn before the axes.
    let span = p.z_hi - p.z_lo;
    chart.draw_series(p.grid.cells.iter().enumerate().flat_map(|(j, row)| {
        row.iter().enumerate().map(move |(i, z)| {
            let color = match z {
                Some(z) => viridis((z * p.z_factor - p.z_lo) / span),
                None => MISSING,
            };
            let (x, y) = (i as f64, j as f64);
            Rectangle::new([(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)], color.filled())
        })
    }))?;

    let x_fmt = |v: &f64| x_axis.label_at(*v);
    let y_fmt = |v: &f64| y_axis.label_at(*v);
    chart
        .configure_mesh()
        .disable_mesh()
        .axis_style(INK.stroke_width(stroke(0.6)))
        .set_all_tick_mark_size(tick)
        .label_style(small.clone())
        .axis_desc_style(label.clone())
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .draw()?;

    // The colour bar, as tall as the plotting area.
    let (xr, yr) = chart.plotting_area().get_pixel_range();
    let x0 = xr.end + px_i(8.0);
    let x1 = x0 + strip;
    let (top_px, bottom_px) = (yr.start, yr.end - 1);
    let height = (bottom_px - top_px) as f64;
    // Polygons rather than rectangles: the SVG's <rect>s are then exactly
    // the background and the cells.
    for k in 0..BAR_STEPS {
        let ya = bottom_px as f64 - height * k as f64 / BAR_STEPS as f64;
        let yb = bottom_px as f64 - height * (k + 1) as f64 / BAR_STEPS as f64;
        let color = viridis((k as f64 + 0.5) / BAR_STEPS as f64);
        // One pixel of overlap hides seams between strips.
        let (ya, yb) = (ya.round() as i32 + 1, yb.round() as i32);
        root.draw(&Polygon::new(
            vec![(x0, ya), (x1, ya), (x1, yb), (x0, yb)],
            color.filled(),
        ))?;
    }
    let frame = INK.stroke_width(stroke(0.6));
    root.draw(&PathElement::new(
        vec![
            (x0, top_px),
            (x1, top_px),
            (x1, bottom_px),
            (x0, bottom_px),
            (x0, top_px),
        ],
        frame,
    ))?;
    let text_style = small.color(&INK).pos(Pos::new(HPos::Left, VPos::Center));
    for (v, t) in &z_ticks {
        let y = (bottom_px as f64 - height * (v - p.z_lo) / span).round() as i32;
        root.draw(&PathElement::new(vec![(x1, y), (x1 + tick, y)], frame))?;
        root.draw(&Text::new(
            t.clone(),
            (x1 + tick + px_i(2.0), y),
            text_style.clone(),
        ))?;
    }
    let label_x = x1 + tick + px_i(2.0) + z_tick_w + px_i(4.0);
    root.draw(&Text::new(
        p.z_label.clone(),
        (label_x, (top_px + bottom_px) / 2),
        label
            .color(&INK)
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    root.present()?;
    Ok(())
}
