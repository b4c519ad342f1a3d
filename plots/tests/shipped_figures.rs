//! Every `[[plot]]` of every shipped config (`experiments/configs/*.toml`)
//! drawn from a synthetic table with the config's own sweep values (and
//! outputs at their columns' typical magnitudes), two repeats per point.
//! From each SVG: every axis whose column has a unit says it, no two tick
//! labels overlap (measured in DejaVu Sans at the SVG's font size), the
//! series get as many colours as the palette has, and point labels reach
//! the legend instead of point numbers.
//!
//! Set `XBAR_PLOTS_KEEP=<dir>` to keep the figures for a look.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use ab_glyph::{Font, FontRef};
use polars::prelude::*;
use toml::Value;
use xbar_plots::{draw, PlotKind, PlotSpec};

fn configs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../experiments/configs")
}

/// Typical magnitude of a column, from its unit suffix.
fn magnitude(column: &str) -> f64 {
    let suffix = column.rsplit('_').next().unwrap_or("");
    match suffix {
        "J" => 2e-9,
        "S" => 5e-6,
        "s" => 3e-6,
        "pct" => 60.0,
        "m2" => 2e-7,
        "rel" => 0.02,
        _ => 0.5,
    }
}

/// The x values an output column takes.
fn x_values(column: &str, log: bool) -> Vec<f64> {
    match column {
        "time_s" => vec![1.0, 60.0, 3600.0, 86_400.0, 2_592_000.0, 31_536_000.0],
        "training_time_s" => (1..=20).map(|k| 8000.0 * k as f64).collect(),
        "epoch" => (1..=20).map(f64::from).collect(),
        "pulse" => (0..=10).map(|k| 20.0 * k as f64).collect(),
        _ if log => (0..8).map(|k| magnitude(column) * 2f64.powi(k)).collect(),
        _ => (1..=8).map(f64::from).collect(),
    }
}

/// A cell: a swept TOML value as the results table holds it.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Num(f64),
    Int(i64),
    Bool(bool),
    Str(String),
}

fn cell(v: &Value) -> Cell {
    match v {
        Value::Integer(i) => Cell::Int(*i),
        Value::Float(f) => Cell::Num(*f),
        Value::Boolean(b) => Cell::Bool(*b),
        Value::String(s) => Cell::Str(s.clone()),
        other => Cell::Str(other.to_string()),
    }
}

/// The sweep's points: (column, value) pairs for each point, with zipped
/// keys advancing together and the other dimensions crossed, in file order.
fn points(config: &toml::Table) -> Vec<Vec<(String, Cell)>> {
    let Some(Value::Table(sweep)) = config.get("sweep") else {
        return vec![Vec::new()];
    };
    let zipped: Vec<String> = match sweep.get("zip") {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    };
    let mut dims: Vec<Vec<Vec<(String, Cell)>>> = Vec::new();
    if !zipped.is_empty() {
        let lists: Vec<&Vec<Value>> = zipped
            .iter()
            .map(|k| sweep[k].as_array().expect("a zipped list"))
            .collect();
        dims.push(
            (0..lists[0].len())
                .map(|i| {
                    zipped
                        .iter()
                        .zip(&lists)
                        .map(|(k, l)| (k.clone(), cell(&l[i])))
                        .collect()
                })
                .collect(),
        );
    }
    for (key, list) in sweep {
        if key == "zip" || zipped.contains(key) {
            continue;
        }
        let list = list.as_array().expect("a sweep list");
        dims.push(list.iter().map(|v| vec![(key.clone(), cell(v))]).collect());
    }
    let mut out = vec![Vec::new()];
    for dim in dims {
        out = out
            .into_iter()
            .flat_map(|p: Vec<(String, Cell)>| {
                dim.iter()
                    .map(move |d| p.iter().cloned().chain(d.iter().cloned()).collect())
            })
            .collect();
    }
    out
}

/// The synthetic results of one plot: every sweep point × x value × extra
/// series value (for a series column no sweep sets) × two repeats.
fn table(config: &toml::Table, spec: &PlotSpec) -> (DataFrame, usize) {
    let pts = points(config);
    let swept = |c: &str| pts[0].iter().any(|(k, _)| k == c);
    let series_cols: Vec<String> = spec
        .columns()
        .into_iter()
        .filter(|(f, _)| *f == "series")
        .map(|(_, c)| c)
        .collect();
    let extra: Vec<&String> = series_cols
        .iter()
        .filter(|c| !swept(c) && c.as_str() != "point")
        .collect();
    let xs: Vec<Option<f64>> = if swept(&spec.x) || spec.kind == PlotKind::Heatmap {
        vec![None]
    } else {
        x_values(&spec.x, spec.log_x)
            .into_iter()
            .map(Some)
            .collect()
    };
    let mut columns: Vec<String> = vec!["point".into(), spec.x.clone(), spec.y.clone()];
    columns.extend(spec.z.iter().cloned());
    columns.extend(series_cols.iter().cloned());
    columns.extend(spec.filter.keys().cloned());
    columns.extend(pts[0].iter().map(|(k, _)| k.clone()));
    let mut seen = BTreeSet::new();
    columns.retain(|c| seen.insert(c.clone()));
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut keys = BTreeSet::new();
    for (p, point) in pts.iter().enumerate() {
        for (ix, x) in xs.iter().enumerate() {
            for s in 0..(if extra.is_empty() { 1 } else { 3 }) {
                for repeat in 0..2 {
                    let value_of = |c: &str| -> Cell {
                        if let Some((_, v)) = point.iter().find(|(k, _)| k == c) {
                            return v.clone();
                        }
                        if c == "point" {
                            return Cell::Int(p as i64);
                        }
                        if let Some(w) = spec.filter.get(c) {
                            return match w {
                                xbar_plots::FilterValue::Bool(b) => Cell::Bool(*b),
                                xbar_plots::FilterValue::Int(i) => Cell::Int(*i),
                                xbar_plots::FilterValue::Float(f) => Cell::Num(*f),
                                xbar_plots::FilterValue::Str(s) => Cell::Str(s.clone()),
                            };
                        }
                        if c == spec.x {
                            return Cell::Num(x.unwrap_or(1.0));
                        }
                        if extra.iter().any(|e| *e == c) {
                            return Cell::Num(magnitude(c) * [1.0, 4.0, 20.0][s]);
                        }
                        // An output: grows with x, differs per point, series
                        // value and repeat.
                        let v = magnitude(c)
                            * (1.0 + 0.1 * ix as f64)
                            * (1.0 + 0.25 * (p + s) as f64)
                            * (1.0 + 0.03 * repeat as f64);
                        Cell::Num(v)
                    };
                    let row: Vec<Cell> = columns.iter().map(|c| value_of(c)).collect();
                    let matches_filter = spec.filter.iter().all(|(k, w)| {
                        let i = columns.iter().position(|c| c == k).unwrap();
                        match (&row[i], w) {
                            (Cell::Bool(a), xbar_plots::FilterValue::Bool(b)) => a == b,
                            (Cell::Int(a), xbar_plots::FilterValue::Int(b)) => a == b,
                            (Cell::Num(a), xbar_plots::FilterValue::Float(b)) => a == b,
                            (Cell::Int(a), xbar_plots::FilterValue::Float(b)) => *a as f64 == *b,
                            (Cell::Num(a), xbar_plots::FilterValue::Int(b)) => *a == *b as f64,
                            (Cell::Str(a), xbar_plots::FilterValue::Str(b)) => a == b,
                            _ => false,
                        }
                    });
                    if matches_filter {
                        let key: Vec<String> = series_cols
                            .iter()
                            .map(|c| {
                                format!("{:?}", row[columns.iter().position(|x| x == c).unwrap()])
                            })
                            .collect();
                        keys.insert(key);
                    }
                    rows.push(row);
                }
            }
        }
    }
    let cols: Vec<Column> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = PlSmallStr::from(name.as_str());
            match &rows[0][i] {
                Cell::Num(_) | Cell::Int(_)
                    if rows.iter().all(|r| matches!(r[i], Cell::Int(_))) =>
                {
                    Column::new(
                        name,
                        rows.iter()
                            .map(|r| match r[i] {
                                Cell::Int(v) => v,
                                _ => 0,
                            })
                            .collect::<Vec<i64>>(),
                    )
                }
                Cell::Num(_) | Cell::Int(_) => Column::new(
                    name,
                    rows.iter()
                        .map(|r| match r[i] {
                            Cell::Int(v) => v as f64,
                            Cell::Num(v) => v,
                            _ => f64::NAN,
                        })
                        .collect::<Vec<f64>>(),
                ),
                Cell::Bool(_) => Column::new(
                    name,
                    rows.iter()
                        .map(|r| matches!(r[i], Cell::Bool(true)))
                        .collect::<Vec<bool>>(),
                ),
                Cell::Str(_) => Column::new(
                    name,
                    rows.iter()
                        .map(|r| match &r[i] {
                            Cell::Str(s) => s.clone(),
                            other => format!("{other:?}"),
                        })
                        .collect::<Vec<String>>(),
                ),
            }
        })
        .collect();
    (DataFrame::new(rows.len(), cols).unwrap(), keys.len())
}

/// A `<text>` element: position, anchor, size, rotation, content.
#[derive(Debug)]
struct Text {
    x: f64,
    y: f64,
    anchor: String,
    size: f64,
    rotated: bool,
    body: String,
}

fn attr(el: &str, name: &str) -> Option<String> {
    Some(
        el.split(&format!(" {name}=\""))
            .nth(1)?
            .split('"')
            .next()?
            .to_string(),
    )
}

fn texts(svg: &str) -> Vec<Text> {
    svg.split("<text")
        .skip(1)
        .filter_map(|el| {
            let (head, rest) = el.split_once('>')?;
            let body = rest.split("</text>").next()?.trim();
            Some(Text {
                x: attr(head, "x")?.parse().ok()?,
                y: attr(head, "y")?.parse().ok()?,
                anchor: attr(head, "text-anchor").unwrap_or_default(),
                size: attr(head, "font-size")?.parse().ok()?,
                rotated: head.contains("rotate("),
                body: body
                    .replace("&amp;", "&")
                    .replace("&lt;", "<")
                    .replace("&gt;", ">"),
            })
        })
        .collect()
}

/// Width of `s` in DejaVu Sans at `size` pixels per em, as an SVG viewer
/// sets it.
fn width(s: &str, size: f64) -> f64 {
    let font = FontRef::try_from_slice(include_bytes!("../assets/DejaVuSans.ttf")).unwrap();
    let upm = f64::from(font.units_per_em().unwrap());
    s.chars()
        .map(|c| f64::from(font.h_advance_unscaled(font.glyph_id(c))) / upm * size)
        .sum()
}

/// Tick labels: the small texts along one line (the same `y` for the x
/// axis, the same `x` and right-aligned for the y axis).
fn tick_rows(texts: &[Text], small: f64) -> (Vec<&Text>, Vec<&Text>) {
    let smalls: Vec<&Text> = texts
        .iter()
        .filter(|t| (t.size - small).abs() < 0.1 && !t.rotated)
        .collect();
    let mode = |vals: Vec<i64>| -> Option<i64> {
        let mut best = None;
        let mut count = 0;
        for v in &vals {
            let c = vals.iter().filter(|w| *w == v).count();
            if c > count {
                count = c;
                best = Some(*v);
            }
        }
        best
    };
    let centred: Vec<&Text> = smalls
        .iter()
        .copied()
        .filter(|t| t.anchor == "middle")
        .collect();
    let x_row = mode(centred.iter().map(|t| t.y as i64).collect());
    let xs = centred
        .into_iter()
        .filter(|t| Some(t.y as i64) == x_row)
        .collect();
    let right: Vec<&Text> = smalls
        .iter()
        .copied()
        .filter(|t| t.anchor == "end")
        .collect();
    let y_col = mode(right.iter().map(|t| t.x as i64).collect());
    let ys = right
        .into_iter()
        .filter(|t| Some(t.x as i64) == y_col)
        .collect();
    (xs, ys)
}

/// The unit symbols an axis of a column with this suffix may show.
fn allowed_units(column: &str) -> Option<&'static [&'static str]> {
    let suffix = column.rsplit('.').next()?.rsplit_once('_')?.1;
    Some(match suffix {
        "J" => &["fJ", "pJ", "nJ", "µJ", "mJ", "J", "kJ"],
        "S" => &["pS", "nS", "µS", "mS", "S"],
        "s" => &["ps", "ns", "µs", "ms", "s", "min", "h", "d", "yr"],
        "pct" => &["%"],
        "m2" => &["nm²", "µm²", "mm²", "m²"],
        "ohm" => &["Ω", "kΩ", "MΩ"],
        _ => return None,
    })
}

#[test]
fn every_shipped_figure_is_labelled_with_units_and_without_overlaps() {
    let keep = std::env::var_os("XBAR_PLOTS_KEEP").map(PathBuf::from);
    let tmp = tempfile::tempdir().unwrap();
    let mut drawn = 0;
    let mut files: Vec<PathBuf> = std::fs::read_dir(configs_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "{files:?}");
    for file in files {
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        let config: toml::Table = std::fs::read_to_string(&file).unwrap().parse().unwrap();
        let Some(Value::Array(plots)) = config.get("plot") else {
            continue;
        };
        for plot in plots {
            let mut spec: PlotSpec = plot.clone().try_into().unwrap();
            let what = format!("{name}: {}", spec.file);
            // Both formats when kept for a look, else the SVG alone.
            let ext = if keep.is_some() { "" } else { ".svg" };
            spec.file = format!("{name}-{}{ext}", spec.file);
            let (df, n_series) = table(&config, &spec);
            let dir = keep.clone().unwrap_or_else(|| tmp.path().to_path_buf());
            let out = draw(&spec, &df, &dir).unwrap_or_else(|e| panic!("{what}: {e}"));
            let svg = std::fs::read_to_string(&out[0]).unwrap();
            let texts = texts(&svg);
            let bodies: Vec<&str> = texts.iter().map(|t| t.body.as_str()).collect();

            // Axis titles (9 pt = 37.5 px): the horizontal one at the
            // bottom, the rotated one at the left.
            let height: f64 = attr(&svg, "viewBox")
                .unwrap()
                .split(' ')
                .nth(3)
                .unwrap()
                .parse()
                .unwrap();
            let titles: Vec<&Text> = texts
                .iter()
                .filter(|t| (t.size - 37.5).abs() < 0.1)
                .collect();
            let x_title = titles.iter().find(|t| !t.rotated && t.y > height / 2.0);
            let y_title = titles.iter().find(|t| t.rotated && t.x < 100.0);
            if spec.kind == PlotKind::Line {
                for (column, title) in [(&spec.x, x_title), (&spec.y, y_title)] {
                    let title = title
                        .unwrap_or_else(|| panic!("{what}: no title for {column}: {bodies:?}"));
                    if let Some(units) = allowed_units(column) {
                        assert!(
                            units.iter().any(|u| title.body.contains(&format!("({u})"))),
                            "{what}: `{}` does not state the unit of {column}",
                            title.body
                        );
                    }
                    // Sentence case.
                    let first = title.body.chars().next().unwrap();
                    assert!(
                        !first.is_ascii_lowercase()
                            || title.body.split_whitespace().next().unwrap().len() == 1,
                        "{what}: `{}` is not in sentence case",
                        title.body
                    );
                }
            }

            // Tick labels (8 pt = 33.3 px) never overlap.
            let (xs, ys) = tick_rows(&texts, 100.0 / 3.0);
            assert!(xs.len() >= 2 && ys.len() >= 2, "{what}: ticks {bodies:?}");
            let mut xs = xs;
            xs.sort_by(|a, b| a.x.total_cmp(&b.x));
            for w in xs.windows(2) {
                let (a, b) = (w[0], w[1]);
                let gap =
                    (b.x - width(&b.body, b.size) / 2.0) - (a.x + width(&a.body, a.size) / 2.0);
                assert!(
                    gap > 0.0,
                    "{what}: x tick labels `{}` and `{}` overlap by {:.1} px",
                    a.body,
                    b.body,
                    -gap
                );
            }
            let mut ys = ys;
            ys.sort_by(|a, b| a.y.total_cmp(&b.y));
            for w in ys.windows(2) {
                assert!(
                    w[1].y - w[0].y >= w[0].size,
                    "{what}: y tick labels `{}` and `{}` overlap",
                    w[0].body,
                    w[1].body
                );
            }

            if spec.kind == PlotKind::Line {
                // As many colours as series, up to the palette's eight.
                let colours: BTreeSet<String> = svg
                    .split("<polyline")
                    .skip(1)
                    .filter_map(|el| attr(el.split('>').next()?, "stroke"))
                    .filter(|c| c != "#000000")
                    .collect();
                assert_eq!(colours.len(), n_series.clamp(1, 8), "{what}: {colours:?}");
                // Point labels, never point numbers.
                for label in spec.series_labels.values() {
                    assert!(
                        bodies.contains(&label.as_str()),
                        "{what}: `{label}` not in {bodies:?}"
                    );
                }
                if spec.series.as_deref() == Some("point") {
                    for p in 0..n_series {
                        assert!(
                            !bodies.contains(&p.to_string().as_str())
                                || xs.iter().chain(&ys).any(|t| t.body == p.to_string()),
                            "{what}: point number {p} in the legend"
                        );
                    }
                }
            }
            drawn += 1;
        }
    }
    assert!(drawn >= 20, "{drawn} figures");
}
