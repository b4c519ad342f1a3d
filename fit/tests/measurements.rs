//! Excel input through calamine: the same table as CSV gives the same data,
//! and errors name the spreadsheet row and column.

use rust_xlsxwriter::Workbook;
use xbar_fit::measurements::{PulseData, Table};

fn rows() -> Vec<(f64, f64, Option<f64>)> {
    let mut g: f64 = 2e-6;
    let mut out = Vec::new();
    for pol in [1.0, -1.0, 1.0, -1.0] {
        for k in 0..20 {
            g += pol * 0.1 * if pol > 0.0 { 2e-5 - g } else { g - 2e-6 };
            // Device b is not measured on every fifth pulse.
            out.push((pol * 1.2, g, (k % 5 != 4).then_some(g * 0.9)));
        }
    }
    out
}

#[test]
fn xlsx_and_csv_give_the_same_pulse_trains() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trains.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in ["pulse_voltage_V", "dev_a", "dev_b"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    let mut csv = String::from("pulse_voltage_V,dev_a,dev_b\n");
    for (r, (v, a, b)) in rows().into_iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_number(r, 0, v).unwrap();
        sheet.write_number(r, 1, a).unwrap();
        if let Some(b) = b {
            sheet.write_number(r, 2, b).unwrap();
        }
        csv += &format!(
            "{v},{a:e},{}\n",
            b.map_or(String::new(), |b| format!("{b:e}"))
        );
    }
    book.save(&path).unwrap();
    let from_xlsx = PulseData::read(&path).unwrap();
    let from_csv = PulseData::from_table(&Table::from_csv_text("x", &csv, b',').unwrap()).unwrap();
    assert_eq!(from_xlsx.devices.len(), 2);
    for (x, c) in from_xlsx.devices.iter().zip(&from_csv.devices) {
        assert_eq!(x.name, c.name);
        assert_eq!(x.points.len(), c.points.len());
        assert_eq!(x.steps.len(), c.steps.len());
        for (p, q) in x.points.iter().zip(&c.points) {
            assert_eq!((p.pulse, p.polarity, p.line), (q.pulse, q.polarity, q.line));
            assert!((p.g - q.g).abs() <= 1e-15 * q.g);
        }
    }
    // 80 points of dev_b less the 16 unmeasured; steps only between
    // neighbours that were both measured (every 5th pulse breaks two).
    assert_eq!(from_xlsx.devices[1].points.len(), 64);
    assert_eq!(from_xlsx.devices[1].steps.len(), 80 - 1 - 2 * 16 + 1);
}

#[test]
fn xlsx_errors_name_the_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "pulse_voltage_V").unwrap();
    sheet.write_string(0, 1, "dev").unwrap();
    for r in 1..10u32 {
        sheet.write_number(r, 0, 1.0).unwrap();
        sheet.write_number(r, 1, 1e-6 * f64::from(r)).unwrap();
    }
    sheet.write_string(7, 1, "12 uS").unwrap();
    book.save(&path).unwrap();
    let e = PulseData::read(&path).unwrap_err();
    assert_eq!(e.line, Some(8));
    assert_eq!(e.column.as_deref(), Some("dev"));
    assert!(
        e.to_string()
            .ends_with("expected a conductance in S (a number), found `12 uS`"),
        "{e}"
    );
}
