//! End-to-end: tables in, files out; the SVG structure and the PNG header
//! are checked, and the error messages.
//!
//! Set `XBAR_PLOTS_KEEP=<dir>` to keep the figures for a look.

use std::path::{Path, PathBuf};

use polars::prelude::*;
use xbar_plots::{draw, ErrorStyle, FilterValue, PlotError, PlotKind, PlotSpec};

/// The output directory: a fresh temporary one, or `$XBAR_PLOTS_KEEP`.
fn out_dir() -> (Option<tempfile::TempDir>, PathBuf) {
    match std::env::var_os("XBAR_PLOTS_KEEP") {
        Some(d) => {
            std::fs::create_dir_all(&d).unwrap();
            (None, PathBuf::from(d))
        }
        None => {
            let t = tempfile::tempdir().unwrap();
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    }
}

/// 3 wire resistances × 5 array sizes × 3 repeats, plus a device column to
/// filter on.
fn sweep_table() -> DataFrame {
    let mut size = Vec::new();
    let mut wire = Vec::new();
    let mut device = Vec::new();
    let mut err = Vec::new();
    for dev in ["rram", "pcm"] {
        for (k, r) in [1.0f64, 2.5, 10.0].iter().enumerate() {
            for n in [16i64, 32, 64, 128, 256] {
                for rep in 0..3 {
                    size.push(n);
                    wire.push(*r);
                    device.push(dev);
                    let base = 1e-4 * r * (n as f64).powf(1.5) * (1.0 + k as f64 * 0.1);
                    err.push(base * (1.0 + 0.08 * (rep as f64 - 1.0)));
                }
            }
        }
    }
    df![
        "array.size" => size,
        "array.r_wire_ohm" => wire,
        "device" => device,
        "error_mean_rel" => err,
    ]
    .unwrap()
}

fn count(svg: &str, tag: &str) -> usize {
    svg.matches(&format!("<{tag} ")).count()
}

/// The attributes of every `<tag ...>` element.
fn elements<'a>(svg: &'a str, tag: &str) -> Vec<&'a str> {
    svg.split(&format!("<{tag} "))
        .skip(1)
        .map(|el| el.split('>').next().unwrap_or(""))
        .collect()
}

/// The `<polyline>` elements stroked in the given colour.
fn polylines_in(svg: &str, color: &str) -> usize {
    elements(svg, "polyline")
        .iter()
        .filter(|el| el.contains(&format!("stroke=\"{color}\"")))
        .count()
}

/// The colours of the data lines: the strokes of every `<polyline>` that
/// is not black.
fn data_colours(svg: &str) -> std::collections::BTreeSet<String> {
    elements(svg, "polyline")
        .iter()
        .filter_map(|el| el.split("stroke=\"").nth(1)?.split('"').next())
        .filter(|c| *c != "#000000")
        .map(str::to_string)
        .collect()
}

/// The `points` of an element's attributes.
fn points(el: &str) -> Vec<(f64, f64)> {
    el.split("points=\"")
        .nth(1)
        .and_then(|p| p.split('"').next())
        .unwrap_or("")
        .split_whitespace()
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// The points of the one polyline stroked in `color`.
fn line_points(svg: &str, color: &str) -> Vec<(f64, f64)> {
    let lines: Vec<&str> = elements(svg, "polyline")
        .into_iter()
        .filter(|el| el.contains(&format!("stroke=\"{color}\"")))
        .collect();
    assert_eq!(lines.len(), 1, "one polyline in {color}");
    points(lines[0])
}

const OKABE_ITO: [&str; 3] = ["#0072B2", "#D55E00", "#009E73"];

fn svg_text(svg: &str) -> String {
    // plotters escapes text; undo the few escapes our labels can contain.
    svg.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
}

/// The contents of the `<text>` elements, in drawing order.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text ")
        .skip(1)
        .filter_map(|el| {
            let body = el.split_once('>')?.1;
            Some(body.split("</text>").next()?.trim().to_string())
        })
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn line_plot_with_three_series() {
    let (_keep, dir) = out_dir();
    let mut spec = PlotSpec::new("three_series.svg", "array.size", "error_mean_rel");
    spec.series = Some("array.r_wire_ohm".into());
    spec.filter
        .insert("device".into(), FilterValue::Str("rram".into()));
    let files = draw(&spec, &sweep_table(), &dir).unwrap();
    assert_eq!(files, vec![dir.join("three_series.svg")]);
    let svg = svg_text(&read(&files[0]));

    // Axis labels with units, from the column names.
    assert!(texts(&svg).contains(&"Size".to_string()), "x label");
    assert!(svg.contains("Error mean (relative)"), "y label");
    // One polyline per series, each in its own palette colour; the only
    // other polylines are the black axes and tick marks.
    // The first series is solid (one polyline), the others dashed.
    assert_eq!(polylines_in(&svg, OKABE_ITO[0]), 1, "solid line");
    for c in &OKABE_ITO[1..] {
        assert!(polylines_in(&svg, c) > 1, "dashed line in {c}");
    }
    assert_eq!(data_colours(&svg).len(), 3, "data colours");
    // A band per series (3 repeats have a spread).
    // (+ 6 triangle markers: 5 points and the legend's sample)
    assert_eq!(count(&svg, "polygon") - 6, 3, "bands");
    // Legend: the title and the three values, numerically sorted.
    let texts = texts(&svg);
    assert!(
        texts.ends_with(&["r wire (Ω)", "1", "2.5", "10", "mean ± σ (n = 3)"].map(String::from)),
        "legend last: {texts:?}"
    );
    // Text is drawn in the registered family, sized for print.
    assert!(svg.contains("font-family=\"sans-serif\""));
    // Physical size in inches, layout grid at 300 per inch.
    assert!(svg.contains("width=\"3.5in\" height=\"2.6in\" viewBox=\"0 0 1050 780\""));
}

#[test]
fn error_bars_and_no_error() {
    let (_keep, dir) = out_dir();
    let mut spec = PlotSpec::new("bars", "array.size", "error_mean_rel");
    spec.series = Some("device".into());
    spec.error = ErrorStyle::Bars;
    spec.log_x = true;
    spec.log_y = true;
    let svg = read(&draw(&spec, &sweep_table(), &dir).unwrap()[0]);
    assert_eq!(count(&svg, "polygon"), 0, "no bands with error = bars");
    assert_eq!(polylines_in(&svg, OKABE_ITO[0]), 1);
    assert!(polylines_in(&svg, OKABE_ITO[1]) > 1, "dashed");
    // Log axes: the array sizes, powers of two, label their own ticks; the
    // error's four decades (σ over both devices is wide) get decades, as
    // plain numbers.
    let texts = texts(&svg);
    for t in ["16", "32", "64", "128", "256", "0.001", "0.01", "0.1", "1"] {
        assert!(texts.contains(&t.to_string()), "tick {t} in {texts:?}");
    }
    // Error bars are filled rectangles: 3 per point with a spread.
    assert!(count(&svg, "rect") >= 2 * 5 * 3, "error bars");
    // Legend sorted lexically for strings: pcm before rram.
    assert!(texts.ends_with(&["Device", "pcm", "rram", "mean ± σ (n = 9)"].map(String::from)));

    spec.file = "plain.svg".into();
    spec.error = ErrorStyle::None;
    spec.series = None;
    let svg = read(&draw(&spec, &sweep_table(), &dir).unwrap()[0]);
    assert_eq!(count(&svg, "polygon"), 0);
    assert_eq!(polylines_in(&svg, OKABE_ITO[0]), 1);
    assert!(!svg.contains("#D55E00"), "a single line without series");
}

#[test]
fn band_vertices_are_mean_plus_minus_std() {
    // Two repeats per x: (1, 3) -> 2 ± √2, (10, 14) -> 12 ± √8. Drawn on
    // a known axis range, the band's vertices sit at those values.
    let (_keep, dir) = out_dir();
    let table = df![
        "x" => [0.0, 0.0, 1.0, 1.0],
        "y" => [1.0, 3.0, 10.0, 14.0],
    ]
    .unwrap();
    let spec = PlotSpec::new("band.svg", "x", "y");
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    let bands = elements(&svg, "polygon");
    assert_eq!(bands.len(), 1, "one band");
    let band = points(bands[0]);
    assert_eq!(band.len(), 4);
    // The line's own vertices give the pixel scale: mean 2 and mean 12.
    let ys: Vec<f64> = line_points(&svg, "#0072B2").iter().map(|p| p.1).collect();
    let per_unit = (ys[0] - ys[1]) / 10.0; // pixels per unit of y (y grows down)
    let to_value = |py: f64| 2.0 + (ys[0] - py) / per_unit;
    let expect = [
        2.0 + 2f64.sqrt(),
        12.0 + 8f64.sqrt(),
        12.0 - 8f64.sqrt(),
        2.0 - 2f64.sqrt(),
    ];
    for (p, e) in band.iter().zip(expect) {
        assert!((to_value(p.1) - e).abs() < 0.05, "{} vs {e}", to_value(p.1));
    }
}

#[test]
fn heatmap_cells_and_colour_bar() {
    let (_keep, dir) = out_dir();
    let mut spec = PlotSpec::new("heat.svg", "array.size", "array.r_wire_ohm");
    spec.kind = PlotKind::Heatmap;
    spec.z = Some("error_mean_rel".into());
    spec.filter
        .insert("device".into(), FilterValue::Str("pcm".into()));
    let svg = svg_text(&read(&draw(&spec, &sweep_table(), &dir).unwrap()[0]));
    // 5 sizes × 3 wire resistances, plus the white background.
    assert_eq!(count(&svg, "rect"), 5 * 3 + 1);
    assert!(svg.contains("Error mean (relative)"), "colour bar label");
    assert!(svg.contains("rotate(270"), "colour bar label is vertical");
    // Categorical ticks carry the values.
    for t in ["16", "256", "2.5", "10"] {
        assert!(svg.contains(&format!(">\n{t}\n<")), "tick {t}");
    }
    // viridis ends: the smallest cell is dark purple, the largest yellow.
    assert!(svg.contains("#440154"));
    assert!(svg.contains("#FDE725"));
}

#[test]
fn png_is_300_dpi() {
    let (_keep, dir) = out_dir();
    let mut spec = PlotSpec::new("fig", "array.size", "error_mean_rel");
    spec.series = Some("array.r_wire_ohm".into());
    spec.log_y = true;
    let files = draw(&spec, &sweep_table(), &dir).unwrap();
    assert_eq!(
        files,
        vec![
            dir.join("fig.svg"),
            dir.join("fig.png"),
            dir.join("fig.pdf")
        ]
    );
    let png = std::fs::read(&files[1]).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (1050, 780));
    // pHYs: 11811 pixels per metre = 300 dpi.
    let at = png
        .windows(4)
        .position(|c| c == b"pHYs")
        .expect("pHYs chunk");
    let ppm = u32::from_be_bytes(png[at + 4..at + 8].try_into().unwrap());
    assert_eq!(ppm, 11811);
    // Not blank: the plot has coloured pixels (ink from the series).
    assert!(png.len() > 20_000, "{} bytes", png.len());

    spec.file = "wide.png".into();
    spec.size = xbar_plots::FigureSize::Double;
    spec.height_in = Some(3.0);
    spec.kind = PlotKind::Heatmap;
    spec.z = Some("error_mean_rel".into());
    spec.y = "array.r_wire_ohm".into();
    spec.series = None;
    spec.log_y = false;
    let png = std::fs::read(&draw(&spec, &sweep_table(), &dir).unwrap()[0]).unwrap();
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (2100, 900));
    // No temporary files left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".xbar-plot-"))
        .collect();
    assert!(leftovers.is_empty());
}

fn err(spec: &PlotSpec, table: &DataFrame) -> String {
    let dir = tempfile::tempdir().unwrap();
    let e = draw(spec, table, dir.path()).unwrap_err();
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing written"
    );
    e.to_string()
}

#[test]
fn log_axis_over_non_positive_values() {
    let table = df!["x" => [0.0, 1.0, 2.0, -1.0], "y" => [1.0, 2.0, 3.0, 4.0]].unwrap();
    let mut spec = PlotSpec::new("f.svg", "x", "y");
    spec.log_x = true;
    let dir = tempfile::tempdir().unwrap();
    let e = draw(&spec, &table, dir.path()).unwrap_err();
    assert!(
        matches!(e, PlotError::LogNonPositive { count: 2, .. }),
        "{e:?}"
    );
    let msg = e.to_string();
    assert!(
        msg.contains("`x`") && msg.contains("log_x") && msg.contains("2 of 4"),
        "{msg}"
    );
}

#[test]
fn unknown_column_lists_the_available_ones() {
    let spec = PlotSpec::new("f.svg", "array.sise", "error_mean_rel");
    let msg = err(&spec, &sweep_table());
    assert!(msg.contains("`array.sise`"), "{msg}");
    assert!(msg.contains("did you mean `array.size`"), "{msg}");
    for c in ["array.size", "array.r_wire_ohm", "device", "error_mean_rel"] {
        assert!(msg.contains(&format!("`{c}`")), "{msg}");
    }
    let mut spec = PlotSpec::new("f.svg", "array.size", "error_mean_rel");
    spec.filter.insert("nope".into(), FilterValue::Int(1));
    assert!(err(&spec, &sweep_table()).contains("no column `nope` (used as `where`)"));
}

#[test]
fn other_errors_say_what_to_do() {
    let t = sweep_table();
    // Non-numeric y.
    let msg = err(&PlotSpec::new("f.svg", "array.size", "device"), &t);
    assert!(
        msg.contains("`device`") && msg.contains("numeric") && msg.contains("series"),
        "{msg}"
    );
    // Filter that matches nothing lists the existing values.
    let mut spec = PlotSpec::new("f.svg", "array.size", "error_mean_rel");
    spec.filter
        .insert("array.r_wire_ohm".into(), FilterValue::Float(3.0));
    let msg = err(&spec, &t);
    assert!(
        msg.contains("none of the 90 rows") && msg.contains("1, 2.5, 10"),
        "{msg}"
    );
    // Filter of the wrong type.
    let mut spec = PlotSpec::new("f.svg", "array.size", "error_mean_rel");
    spec.filter.insert("device".into(), FilterValue::Int(3));
    let msg = err(&spec, &t);
    assert!(msg.contains("`device`") && msg.contains("string"), "{msg}");
    // Heatmap without z; z on a line plot.
    let mut spec = PlotSpec::new("f.svg", "array.size", "array.r_wire_ohm");
    spec.kind = PlotKind::Heatmap;
    assert!(err(&spec, &t).contains("needs `z`"));
    let mut spec = PlotSpec::new("f.svg", "array.size", "error_mean_rel");
    spec.z = Some("device".into());
    assert!(err(&spec, &t).contains("only used by heatmaps"));
    // Unsupported extension.
    let spec = PlotSpec::new("f.eps", "array.size", "error_mean_rel");
    let msg = err(&spec, &t);
    assert!(msg.contains("`.eps`") && msg.contains(".pdf"), "{msg}");
    // Empty table.
    let empty = df!["x" => Vec::<f64>::new(), "y" => Vec::<f64>::new()].unwrap();
    assert!(err(&PlotSpec::new("f.svg", "x", "y"), &empty).contains("no rows"));
}

#[test]
fn nan_rows_are_dropped() {
    let (_keep, dir) = out_dir();
    let table = df![
        "x" => [1.0, 2.0, 3.0, 3.0],
        "y" => [1.0, f64::NAN, 2.0, f64::INFINITY],
    ]
    .unwrap();
    let svg = read(&draw(&PlotSpec::new("nan.svg", "x", "y"), &table, &dir).unwrap()[0]);
    let pts = line_points(&svg, "#0072B2");
    assert_eq!(pts.len(), 2, "x = 2 and the infinite y dropped: {pts:?}");

    let all_nan = df!["x" => [1.0, 2.0], "y" => [f64::NAN, f64::NAN]].unwrap();
    let msg = err(&PlotSpec::new("f.svg", "x", "y"), &all_nan);
    assert!(msg.contains("non-finite"), "{msg}");
}

#[test]
fn io_errors_name_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("file_not_dir");
    std::fs::write(&blocker, "x").unwrap();
    let spec = PlotSpec::new("file_not_dir/f.svg", "x", "y");
    let table = df!["x" => [1.0], "y" => [1.0]].unwrap();
    let e = draw(&spec, &table, dir.path()).unwrap_err();
    assert!(matches!(e, PlotError::Io { .. }), "{e:?}");
    assert!(e.to_string().contains("file_not_dir"), "{e}");
}

#[test]
fn many_series_with_title_and_custom_labels() {
    let (_keep, dir) = out_dir();
    let mut g = Vec::new();
    let mut t = Vec::new();
    let mut i_a = Vec::new();
    for k in 0..9 {
        let g_max = 1e-6 * (k + 1) as f64;
        for s in 0..12 {
            let time = 10f64.powf(s as f64 * 0.5 - 3.0);
            g.push(g_max);
            t.push(time);
            i_a.push(g_max * 0.2 * (1.0 - 0.05 * time.ln()));
        }
    }
    let table = df!["device.g_max" => g, "time_s" => t, "current_A" => i_a].unwrap();
    let mut spec = PlotSpec::new("many", "time_s", "current_A");
    spec.series = Some("device.g_max".into());
    spec.series_label = Some("g_max (S)".into());
    spec.title = Some("Read current after programming".into());
    spec.log_x = true;
    spec.y_label = Some("read current (A)".into());
    let files = draw(&spec, &table, &dir).unwrap();
    let svg = read(&files[0]);
    let texts = texts(&svg);
    for want in [
        "Read current after programming",
        "Time (s)",
        "Read current (µA)",
        "g_max (S) (×10⁻⁶)",
        "1",
        "9",
    ] {
        assert!(texts.contains(&want.to_string()), "{want} in {texts:?}");
    }
    // 9 series: 8 colours, then the first again (solid both times, with
    // another marker: squares, not circles).
    assert_eq!(data_colours(&svg).len(), 8);
    assert_eq!(polylines_in(&svg, "#0072B2"), 2);
}

#[test]
fn heatmap_with_holes_and_string_axis() {
    let (_keep, dir) = out_dir();
    let table = df![
        "device" => ["rram", "rram", "pcm", "pcm", "fefet", "rram"],
        "bits" => [2i64, 4, 2, 8, 4, 2],
        "accuracy_pct" => [91.0, 95.5, 88.0, 97.0, 93.0, 92.0],
    ]
    .unwrap();
    let mut spec = PlotSpec::new("holes", "bits", "device");
    spec.title = Some("Accuracy by device".into());
    spec.kind = PlotKind::Heatmap;
    spec.z = Some("accuracy_pct".into());
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    // 3 bit widths × 3 devices, 4 of them without data (drawn grey).
    assert_eq!(count(&svg, "rect"), 9 + 1);
    assert_eq!(svg.matches("fill=\"#EBEBEB\"").count(), 4);
    let texts = texts(&svg);
    for want in ["fefet", "pcm", "rram", "Accuracy (%)", "Bits", "Device"] {
        assert!(texts.contains(&want.to_string()), "{want} in {texts:?}");
    }
}

#[test]
fn degenerate_inputs_still_draw() {
    let (_keep, dir) = out_dir();
    let one = df!["x" => [5.0], "y" => [0.0]].unwrap();
    let same_x =
        df!["x" => [1.0, 1.0, 1.0], "y" => [1.0, 2.0, 4.0], "s" => [true, true, false]].unwrap();
    let cases: Vec<(PlotSpec, &DataFrame)> = vec![
        (PlotSpec::new("one", "x", "y"), &one),
        (
            PlotSpec {
                series: Some("s".into()),
                log_y: true,
                ..PlotSpec::new("same_x", "x", "y")
            },
            &same_x,
        ),
        (
            PlotSpec {
                width_in: Some(1.0),
                height_in: Some(1.0),
                title: Some("A title far too long for a one-inch figure".into()),
                ..PlotSpec::new("tiny", "x", "y")
            },
            &same_x,
        ),
        (
            PlotSpec {
                kind: PlotKind::Heatmap,
                z: Some("y".into()),
                width_in: Some(1.0),
                height_in: Some(1.0),
                ..PlotSpec::new("tiny_heat", "x", "s")
            },
            &same_x,
        ),
    ];
    for (spec, table) in cases {
        let files = draw(&spec, table, &dir).unwrap_or_else(|e| panic!("{}: {e}", spec.file));
        assert_eq!(files.len(), 3);
    }
    // The single-x series with a spread gets an error bar instead of a band.
    let svg = read(&dir.join("same_x.svg"));
    assert_eq!(count(&svg, "polygon"), 0);
    assert!(texts(&svg).ends_with(&["s", "false", "true", "mean ± σ (n = 2)"].map(String::from)));
    // Sizes out of range are refused.
    let spec = PlotSpec {
        width_in: Some(0.2),
        ..PlotSpec::new("f.svg", "x", "y")
    };
    assert!(err(&spec, &one).contains("width_in"));
}

#[test]
fn a_figure_whose_later_format_cannot_be_written_leaves_no_file() {
    // Before: `fig.svg` was written, then `fig.png` failed and the SVG
    // stayed behind without its PNG. The same for the PDF, written last.
    for blocked in ["fig.png", "fig.pdf"] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(blocked)).unwrap();
        let spec = PlotSpec::new("fig", "array.size", "error_mean_rel");
        let e = draw(&spec, &sweep_table(), dir.path()).unwrap_err();
        assert!(e.to_string().contains(blocked), "{e}");
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec![blocked.to_string()]);
    }
}

/// x tick labels (8 pt, centred) with their horizontal positions.
fn x_ticks(svg: &str) -> Vec<(f64, String)> {
    svg.split("<text ")
        .skip(1)
        .filter(|el| el.contains("text-anchor=\"middle\"") && el.contains("font-size=\"33.33"))
        .filter(|el| el.contains("dy=\"0.76em\""))
        .filter_map(|el| {
            let x: f64 = el.split("x=\"").nth(1)?.split('"').next()?.parse().ok()?;
            let body = el
                .split_once('>')?
                .1
                .split("</text>")
                .next()?
                .trim()
                .to_string();
            Some((x, body))
        })
        .collect()
}

#[test]
fn long_times_are_drawn_in_hours_at_the_right_places() {
    // 0 to 20 000 s (5.6 h): an axis in hours, ticks at whole hours placed
    // where those times fall on the line.
    let (_keep, dir) = out_dir();
    let t: Vec<f64> = (0..=10).map(|k| 2000.0 * k as f64).collect();
    let acc: Vec<f64> = t.iter().map(|s| 50.0 + s / 1000.0).collect();
    let table = df!["training_time_s" => t.clone(), "test_accuracy_pct" => acc].unwrap();
    let spec = PlotSpec::new("hours.svg", "training_time_s", "test_accuracy_pct");
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    let all = texts(&svg);
    assert!(all.contains(&"Training time (h)".to_string()), "{all:?}");
    assert!(all.contains(&"Test accuracy (%)".to_string()), "{all:?}");
    let ticks = x_ticks(&svg);
    let labels: Vec<&str> = ticks.iter().map(|(_, s)| s.as_str()).collect();
    assert_eq!(labels, ["0", "1", "2", "3", "4", "5"]);
    // The line's first and last vertices are at 0 s and 20 000 s.
    let line = line_points(&svg, "#0072B2");
    let (x0, x1) = (line[0].0, line[line.len() - 1].0);
    for (x, label) in &ticks {
        let hours: f64 = label.parse().unwrap();
        let want = x0 + (x1 - x0) * hours * 3600.0 / 20_000.0;
        assert!(
            (x - want).abs() <= 1.0,
            "tick {label} h at {x}, expected {want}"
        );
    }
}

#[test]
fn si_prefixes_per_axis() {
    // Energy 2–10 nJ against conductance 5–40 µS on a log axis.
    let (_keep, dir) = out_dir();
    let g: Vec<f64> = [5e-6, 1e-5, 2e-5, 4e-5].to_vec();
    let e: Vec<f64> = g.iter().map(|g| 2e-9 + g * 2e-4).collect();
    let table = df!["g_S" => g, "energy_J" => e].unwrap();
    let mut spec = PlotSpec::new("si.svg", "g_S", "energy_J");
    spec.log_x = true;
    spec.y_label = Some("Energy per inference (J)".into());
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    let all = texts(&svg);
    assert!(
        all.contains(&"G (µS)".to_string()) || all.contains(&"g (µS)".to_string()),
        "{all:?}"
    );
    assert!(
        all.contains(&"Energy per inference (nJ)".to_string()),
        "{all:?}"
    );
    // The x ticks: the conductances in µS, the data's own values (they
    // double from point to point).
    let labels: Vec<String> = x_ticks(&svg).into_iter().map(|(_, s)| s).collect();
    assert_eq!(labels, ["5", "10", "20", "40"]);
    // y ticks in nJ: 3 to 10 (the values 3, 4, 6, 10 nJ).
    for want in ["4", "6", "8", "10"] {
        assert!(all.contains(&want.to_string()), "{want} in {all:?}");
    }
}

/// A sweep over two parameters with a unit-carrying third column.
fn two_parameter_table() -> DataFrame {
    let mut storage = Vec::new();
    let mut refresh = Vec::new();
    let mut g = Vec::new();
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (s, r) in [("pair", 100i64), ("pair", 1000), ("reference", 0)] {
        for gmax in [1e-5, 2.5e-5] {
            for epoch in 1..=3 {
                storage.push(s);
                refresh.push(r);
                g.push(gmax);
                x.push(epoch as f64);
                y.push(80.0 + epoch as f64 + r as f64 / 1000.0 + gmax * 1e5);
            }
        }
    }
    df![
        "insitu.weight_storage" => storage,
        "insitu.refresh_every" => refresh,
        "device.g_max_S" => g,
        "epoch" => x,
        "accuracy_pct" => y,
    ]
    .unwrap()
}

/// The legend's texts: those after the axis titles and ticks, i.e. the
/// last `n` texts.
fn last_texts(svg: &str, n: usize) -> Vec<String> {
    let t = texts(&svg_text(svg));
    t[t.len() - n..].to_vec()
}

#[test]
fn series_from_several_columns_a_list_or_a_template() {
    let (_keep, dir) = out_dir();
    let table = two_parameter_table();
    // A list: sorted column by column; numbers without a unit carry their
    // column's name, those with one their unit (a common prefix).
    let mut spec: PlotSpec = toml::from_str(
        r#"
        file = "list.svg"
        x = "epoch"
        y = "accuracy_pct"
        series = ["insitu.weight_storage", "insitu.refresh_every", "device.g_max_S"]
        "#,
    )
    .unwrap();
    assert_eq!(
        spec.series.as_deref(),
        Some("{insitu.weight_storage}, {insitu.refresh_every}, {device.g_max_S}")
    );
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    assert_eq!(
        last_texts(&svg, 7),
        [
            "Weight storage, refresh every, g max",
            "pair, refresh every 100, 10 µS",
            "pair, refresh every 100, 25 µS",
            "pair, refresh every 1000, 10 µS",
            "pair, refresh every 1000, 25 µS",
            "reference, refresh every 0, 10 µS",
            "reference, refresh every 0, 25 µS",
        ]
    );
    // Six series: six colours.
    assert_eq!(data_colours(&svg).len(), 6);

    // A template, with a legend title, and one entry relabelled.
    spec.file = "template.svg".into();
    spec.series = Some("{insitu.weight_storage}, refresh {insitu.refresh_every}".into());
    spec.series_label = Some("Weight storage".into());
    spec.series_labels.insert(
        "reference, refresh 0".into(),
        "one device per weight".into(),
    );
    spec.filter
        .insert("device.g_max_S".into(), FilterValue::Float(1e-5));
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    assert_eq!(
        last_texts(&svg, 4),
        [
            "Weight storage",
            "pair, refresh 100",
            "pair, refresh 1000",
            "one device per weight"
        ]
    );
}

#[test]
fn point_numbers_and_tables_never_reach_a_legend() {
    let table = df![
        "point" => [0i64, 0, 1, 1],
        "device.drift" => ["{ t0_s = 20.0 }", "{ t0_s = 20.0 }", "{ t0_s = 1.0 }", "{ t0_s = 1.0 }"],
        "x" => [1.0, 2.0, 1.0, 2.0],
        "y" => [1.0, 2.0, 3.0, 4.0],
    ]
    .unwrap();
    let mut spec = PlotSpec::new("f.svg", "x", "y");
    spec.series = Some("point".into());
    let msg = err(&spec, &table);
    assert!(
        msg.contains("`series`") && msg.contains("series_labels"),
        "{msg}"
    );
    // Labelled, it draws; a label for an entry that does not exist is a
    // mistake, named with the entries there are.
    spec.series_labels.insert("0".into(), "slow drift".into());
    spec.series_labels.insert("1".into(), "fast drift".into());
    let (_keep, dir) = out_dir();
    spec.file = "points.svg".into();
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    assert_eq!(last_texts(&svg, 2), ["slow drift", "fast drift"]);
    spec.series_labels.insert("2".into(), "none".into());
    let msg = err(&spec, &table);
    assert!(msg.contains("`2`") && msg.contains("`0`, `1`"), "{msg}");
    // A TOML table as a series value needs a label too.
    let mut spec = PlotSpec::new("f.svg", "x", "y");
    spec.series = Some("device.drift".into());
    let msg = err(&spec, &table);
    assert!(
        msg.contains("{ t0_s = 1.0 }") && msg.contains("series_labels"),
        "{msg}"
    );
    // A template with unbalanced braces.
    spec.series = Some("{device.drift, {point}".into());
    assert!(err(&spec, &table).contains("not a template"));
}

#[test]
fn ci95_band_edges_are_the_t_interval() {
    // Three repeats per x: {1, 2, 6} (mean 3, σ √7) and {10, 12, 14}
    // (mean 12, σ 2); the 95 % interval is mean ± 4.303 σ/√3.
    let (_keep, dir) = out_dir();
    let table = df![
        "x" => [0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
        "y" => [1.0, 2.0, 6.0, 10.0, 12.0, 14.0],
    ]
    .unwrap();
    let mut spec = PlotSpec::new("ci.svg", "x", "y");
    spec.error = ErrorStyle::Ci95;
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    let band = points(elements(&svg, "polygon")[0]);
    let ys: Vec<f64> = line_points(&svg, "#0072B2").iter().map(|p| p.1).collect();
    let per_unit = (ys[0] - ys[1]) / 9.0;
    let to_value = |py: f64| 3.0 + (ys[0] - py) / per_unit;
    let h = |s: f64| 4.303 * s / 3f64.sqrt();
    let expect = [
        3.0 + h(7f64.sqrt()),
        12.0 + h(2.0),
        12.0 - h(2.0),
        3.0 - h(7f64.sqrt()),
    ];
    assert_eq!(band.len(), 4);
    for (p, e) in band.iter().zip(expect) {
        assert!((to_value(p.1) - e).abs() < 0.05, "{} vs {e}", to_value(p.1));
    }
    // The legend says what the band is.
    assert!(texts(&svg).contains(&"mean, 95 % CI (n = 3)".to_string()));
    // With error = "none": no band and no note.
    spec.error = ErrorStyle::None;
    spec.file = "ci_none.svg".into();
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    assert_eq!(count(&svg, "polygon"), 0);
    assert!(!svg.contains("mean"), "no note without a band");
}

#[test]
fn facets_draw_one_panel_per_value_with_shared_axes() {
    // Five devices on a 7 in figure, at most one panel per 1.6 in: a grid
    // of 4 + 1, each panel with the three wire resistances.
    let (_keep, dir) = out_dir();
    let mut dev = Vec::new();
    let mut wire = Vec::new();
    let mut size = Vec::new();
    let mut error = Vec::new();
    for (d, name) in ["a", "b", "c", "d", "e"].iter().enumerate() {
        for r in [1.0, 2.5, 10.0] {
            for n in [64.0, 128.0, 256.0] {
                dev.push(*name);
                wire.push(r);
                size.push(n);
                error.push(1e-3 * r * n / 64.0 * (1.0 + d as f64));
            }
        }
    }
    let table = df![
        "device" => dev,
        "array.r_wire_ohm" => wire,
        "array.size" => size,
        "error_mean_rel" => error,
    ]
    .unwrap();
    let mut spec = PlotSpec::new("facets", "array.size", "error_mean_rel");
    spec.series = Some("array.r_wire_ohm".into());
    spec.facet = Some("device".into());
    spec.log_x = true;
    spec.log_y = true;
    spec.width_in = Some(7.0);
    spec.height_in = Some(4.0);
    let svg = read(&draw(&spec, &table, &dir).unwrap()[0]);
    let all = texts(&svg_text(&svg));
    // One title per panel, one per axis, one legend.
    for t in [
        "a",
        "b",
        "c",
        "d",
        "e",
        "Size",
        "Error mean (relative)",
        "r wire (Ω)",
    ] {
        assert_eq!(all.iter().filter(|x| *x == t).count(), 1, "{t} in {all:?}");
    }
    // The x ticks (64, 128, 256) under the last panel of each of the four
    // columns: four times each; no tick label is repeated more often.
    for t in ["64", "128", "256"] {
        assert_eq!(all.iter().filter(|x| *x == t).count(), 4, "{t}: {all:?}");
    }
    // The same three colours in every panel (five lines each).
    assert_eq!(data_colours(&svg).len(), 3);
    assert_eq!(
        polylines_in(&svg, OKABE_ITO[0]),
        5,
        "the solid series, once per panel"
    );
    // Every panel's plotting area is the same size: the grid lines of the
    // x ticks repeat with the same spacing in each column.
    let xs = x_ticks(&svg);
    let at = |label: &str| -> Vec<f64> {
        let mut v: Vec<f64> = xs
            .iter()
            .filter(|(_, s)| s == label)
            .map(|(x, _)| *x)
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    let (a, b) = (at("64"), at("256"));
    assert_eq!(a.len(), 4);
    for k in 0..4 {
        assert!((b[k] - a[k] - (b[0] - a[0])).abs() <= 1.0, "{a:?} {b:?}");
    }
    // Neighbouring panels' labels ("256" and "64") keep apart: DejaVu Sans
    // digits are 0.636 em wide, the labels 33.3 px per em.
    let digit = 0.636 * 100.0 / 3.0;
    for k in 0..3 {
        let gap = (a[k + 1] - 1.0 * digit) - (b[k] + 1.5 * digit);
        assert!(
            gap > 4.0,
            "labels of panels {k} and {} {gap:.1} px apart",
            k + 1
        );
    }
    // A facet column that does not exist is named.
    spec.facet = Some("devise".into());
    let msg = err(&spec, &table);
    assert!(
        msg.contains("`devise` (used as `facet`)") && msg.contains("did you mean `device`"),
        "{msg}"
    );
}
