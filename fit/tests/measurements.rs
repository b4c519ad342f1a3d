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

/// The error of reading `text` as CSV.
fn csv_error(text: &str) -> String {
    Table::from_csv_text("d.csv", text, b',')
        .and_then(|t| PulseData::from_table(&t))
        .unwrap_err()
        .to_string()
}

#[test]
fn line_numbers_are_counted_from_the_bytes() {
    // The bad cell `x` is on line 4 in every layout of the same rows.
    let lf = "pulse_voltage_V,d\n1.2,1e-6\n1.2,2e-6\n1.2,x\n";
    let expect = "d.csv:4: column `d`: expected a conductance in S (a number), found `x`";
    assert_eq!(csv_error(lf), expect);
    // CRLF line ends.
    assert_eq!(csv_error(&lf.replace('\n', "\r\n")), expect);
    // The first row after a blank line, and after a comment.
    let blank = "pulse_voltage_V,d\n1.2,1e-6\n\n1.2,x\n";
    assert_eq!(csv_error(blank), expect);
    assert_eq!(csv_error(&blank.replace('\n', "\r\n")), expect);
    let blanks = "\n\npulse_voltage_V,d\n\n  \n# note\n1.2,1e-6\n\n1.2,x\n";
    assert_eq!(csv_error(blanks), expect.replace("d.csv:4", "d.csv:9"));
    // A quoted cell spanning two lines before the bad row.
    let quoted = "pulse_voltage_V,d,note\n1.2,1e-6,\"two\nlines\"\n1.2,x,\n";
    assert_eq!(csv_error(quoted), expect);
    // A row too long, on line 5 after a blank line in CRLF.
    let long = "pulse_voltage_V,d\r\n1.2,1e-6\r\n\r\n1.2,2e-6\r\n1.2,3e-6,9\r\n";
    assert_eq!(
        csv_error(long),
        "d.csv:5: expected at most 2 cells as in the header, found 3"
    );
}

#[test]
fn header_problems_are_located_at_the_header_line() {
    let e = csv_error("# measured 2024\n\npulse_voltage_V,d,d\n1.2,1e-6,1e-6\n");
    assert_eq!(
        e,
        "d.csv:3: column `d`: appears twice in the header (cells 2 and 3)"
    );
    let e = csv_error("\r\npulse_voltage_V,,d\r\n1.2,1e-6,1e-6\r\n");
    assert_eq!(e, "d.csv:2: header cell 2 is empty: expected a column name");
}

#[test]
fn quoted_text_in_messages_is_a_short_excerpt() {
    // An unterminated quote swallows the rest of the file into one cell.
    let mut text = String::from("pulse_voltage_V,d\n1.2,1e-6\n1.2,\"oops\n");
    for _ in 0..300 {
        text += "1.2,1e-6\n";
    }
    let e = csv_error(&text);
    assert!(e.starts_with("d.csv:3: column `d`: expected a conductance in S (a number), found `oops\\n1.2,1e-6\\n"), "{e}");
    assert!(e.len() < 160 && e.lines().count() == 1, "{e}");
}

#[test]
fn a_lone_value_in_a_far_cell_is_refused_without_allocating_its_extent() {
    // Before: the sheet was read as one dense range of 2²⁰ × 2¹⁴ cells
    // (hundreds of GiB) and the allocation aborted the process.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("far.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "pulse_voltage_V").unwrap();
    sheet.write_string(0, 1, "d").unwrap();
    for r in 1..4u32 {
        sheet.write_number(r, 0, 1.2).unwrap();
        sheet.write_number(r, 1, 1e-6 * f64::from(r)).unwrap();
    }
    sheet.write_number(1_048_575, 16_383, 7.0).unwrap();
    book.save(&path).unwrap();
    let e = Table::read(&path).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "{}:1048576: expected at most 2 cells as in the header, found 16384",
            path.display()
        )
    );
    // A far row within the header's columns is just a row at its line.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "pulse_voltage_V").unwrap();
    sheet.write_string(0, 1, "d").unwrap();
    sheet.write_number(1, 0, 1.2).unwrap();
    sheet.write_number(1, 1, 1e-6).unwrap();
    sheet.write_string(1_048_575, 1, "x").unwrap();
    book.save(&path).unwrap();
    let table = Table::read(&path).unwrap();
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.rows[1].0, 1_048_576);
}
