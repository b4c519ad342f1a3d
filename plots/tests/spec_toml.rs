//! `PlotSpec` as a TOML `[[plot]]` table.

use std::collections::BTreeMap;

use serde::Deserialize;
use xbar_plots::{ErrorStyle, FigureSize, FilterValue, PlotKind, PlotSpec};

#[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
struct File {
    plot: Vec<PlotSpec>,
}

#[test]
fn round_trips_through_toml() {
    let text = r#"
        [[plot]]
        file = "ir_drop"
        x = "array.size"
        y = "error_mean_rel"
        series = "array.r_wire_ohm"
        log_y = true
        error = "bars"
        where = { device = "rram", "array.size" = 64, "device.g_max" = 1e-4, ideal = false }

        [[plot]]
        file = "map.png"
        kind = "heatmap"
        x = "array.size"
        y = "array.r_wire_ohm"
        z = "accuracy_pct"
        width_in = 7.0

        [[plot]]
        file = "wide"
        x = "a"
        y = "b"
        size = "double"
    "#;
    let file: File = toml::from_str(text).unwrap();
    let a = &file.plot[0];
    assert_eq!(a.kind, PlotKind::Line);
    assert_eq!(a.error, ErrorStyle::Bars);
    assert!(a.log_y && !a.log_x);
    let want: BTreeMap<String, FilterValue> = [
        ("device".to_string(), FilterValue::Str("rram".into())),
        ("array.size".to_string(), FilterValue::Int(64)),
        ("device.g_max".to_string(), FilterValue::Float(1e-4)),
        ("ideal".to_string(), FilterValue::Bool(false)),
    ]
    .into_iter()
    .collect();
    assert_eq!(a.filter, want);
    let b = &file.plot[1];
    assert_eq!(b.kind, PlotKind::Heatmap);
    assert_eq!(b.z.as_deref(), Some("accuracy_pct"));
    assert_eq!(b.width_in, Some(7.0));
    assert_eq!(b.height_in, None);
    assert_eq!(b.error, ErrorStyle::Band);
    assert_eq!(b.size, FigureSize::Single);
    assert_eq!(file.plot[2].size, FigureSize::Double);
    assert_eq!(FigureSize::Double.inches(), (7.0, 3.5));

    let again: File = toml::from_str(&toml::to_string(&file).unwrap()).unwrap();
    assert_eq!(again, file);
}

#[test]
fn rejects_unknown_keys_and_values() {
    let e = toml::from_str::<File>("[[plot]]\nfile = \"f\"\nx = \"a\"\ny = \"b\"\nlogx = true\n")
        .unwrap_err();
    assert!(e.to_string().contains("logx"), "{e}");
    let e =
        toml::from_str::<File>("[[plot]]\nfile = \"f\"\nx = \"a\"\ny = \"b\"\nkind = \"pie\"\n")
            .unwrap_err();
    assert!(e.to_string().contains("pie"), "{e}");
    let e = toml::from_str::<File>("[[plot]]\nfile = \"f\"\nx = \"a\"\n").unwrap_err();
    assert!(e.to_string().contains("`y`"), "{e}");
}

#[test]
fn series_lists_read_as_templates() {
    let file: File = toml::from_str(
        "[[plot]]\nfile = \"f\"\nx = \"a\"\ny = \"b\"\nseries = [\"c\", \"d.e\"]\nseries_labels = { \"1, 2\" = \"one\" }\n",
    )
    .unwrap();
    assert_eq!(file.plot[0].series.as_deref(), Some("{c}, {d.e}"));
    assert_eq!(file.plot[0].series_labels["1, 2"], "one");
    let cols: Vec<(&str, String)> = file.plot[0].columns();
    assert_eq!(
        cols,
        [
            ("x", "a".into()),
            ("y", "b".into()),
            ("series", "c".into()),
            ("series", "d.e".into())
        ]
    );
    for (bad, says) in [
        ("series = []", "names no column"),
        ("series = [\"{c}\"]", "has braces"),
        (
            "series = 3",
            "a column name, a list of column names, or a template",
        ),
    ] {
        let text = format!("[[plot]]\nfile = \"f\"\nx = \"a\"\ny = \"b\"\n{bad}\n");
        let e = toml::from_str::<File>(&text).unwrap_err().to_string();
        assert!(e.contains(says), "{bad}: {e}");
    }
}
