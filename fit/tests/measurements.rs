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
            "{} (sheet `Sheet1`):1048576: expected at most 2 cells as in the header, found 16384",
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

/// The pulse trains of [`rows`] as CSV text with `header`.
fn csv_of(header: &str) -> String {
    let mut csv = format!("{header}\n");
    for (v, a, b) in rows() {
        csv += &format!(
            "{v},{a:e},{}\n",
            b.map_or(String::new(), |b| format!("{b:e}"))
        );
    }
    csv
}

/// Writes [`rows`] to `sheet` from spreadsheet row `r0` on under `header`.
fn write_rows(sheet: &mut rust_xlsxwriter::Worksheet, r0: u32, header: &[&str]) {
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(r0, c as u16, *h).unwrap();
    }
    for (r, (v, a, b)) in rows().into_iter().enumerate() {
        let r = r0 + 1 + r as u32;
        sheet.write_number(r, 0, v).unwrap();
        sheet.write_number(r, 1, a).unwrap();
        if let Some(b) = b {
            sheet.write_number(r, 2, b).unwrap();
        }
    }
}

/// Every device's conductances and lines.
fn points(data: &PulseData) -> Vec<(String, Vec<(f64, usize)>)> {
    data.devices
        .iter()
        .map(|d| {
            (
                d.name.clone(),
                d.points.iter().map(|p| (p.g, p.line)).collect(),
            )
        })
        .collect()
}

#[test]
fn a_named_sheet_is_read_and_an_empty_first_sheet_is_passed_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.xlsx");
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Notes").unwrap();
    let data = book.add_worksheet().set_name("Data").unwrap();
    write_rows(data, 0, &["pulse_voltage_V", "dev_a", "dev_b"]);
    book.save(&path).unwrap();
    let csv = PulseData::from_table(
        &Table::from_csv_text("x", &csv_of("pulse_voltage_V,dev_a,dev_b"), b',').unwrap(),
    )
    .unwrap();
    // Named, and found as the first sheet with cells: the same table.
    for sheet in [Some("Data"), None] {
        let table = Table::read_sheet(&path, sheet).unwrap();
        assert_eq!(table.sheet.as_deref(), Some("Data"));
        assert!(table.other_sheets.is_empty());
        assert_eq!(table.file, format!("{} (sheet `Data`)", path.display()));
        let data = PulseData::from_table(&table).unwrap();
        assert_eq!(points(&data), points(&csv));
        assert_eq!(data.devices[1].points.len(), 64);
    }
    // The empty sheet named: said so, at the sheet.
    let e = Table::read_sheet(&path, Some("Notes"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{} (sheet `Notes`): empty sheet: expected a header row of column names and rows of values",
            path.display()
        )
    );
    // A sheet the workbook lacks: its sheets listed.
    let e = PulseData::read_sheet(&path, Some("data"))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        format!(
            "{}: the workbook has no sheet `data`; its sheets: `Notes`, `Data`",
            path.display()
        )
    );
    // A text table has one table: the sheet is ignored.
    let csv_path = dir.path().join("t.csv");
    std::fs::write(&csv_path, csv_of("pulse_voltage_V,dev_a,dev_b")).unwrap();
    let t = Table::read_sheet(&csv_path, Some("Data")).unwrap();
    assert_eq!((t.sheet, t.rows.len()), (None, 80));
}

#[test]
fn an_error_from_the_first_of_several_sheets_names_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lab.xlsx");
    let mut book = Workbook::new();
    let summary = book.add_worksheet().set_name("Summary").unwrap();
    summary.write_string(0, 0, "device").unwrap();
    summary.write_string(0, 1, "g_max_S").unwrap();
    summary.write_string(1, 0, "a").unwrap();
    summary.write_number(1, 1, 2e-5).unwrap();
    book.add_worksheet().set_name("Empty").unwrap();
    let data = book.add_worksheet().set_name("Data").unwrap();
    write_rows(data, 0, &["pulse_voltage_V", "dev_a", "dev_b"]);
    book.save(&path).unwrap();
    let table = Table::read(&path).unwrap();
    assert_eq!(table.sheet.as_deref(), Some("Summary"));
    assert_eq!(table.other_sheets, ["Data"]);
    let e = PulseData::read(&path).unwrap_err();
    assert_eq!(e.file, format!("{} (sheet `Summary`)", path.display()));
    assert_eq!(e.line, Some(2));
    assert!(
        e.message.ends_with(
            "(sheet `Summary` was read, the first with cells; the workbook also has `Data`: --sheet NAME, or sheet= in Python, reads another)"
        ),
        "{e}"
    );
    // Noted once only (the fits note their errors too).
    assert_eq!(table.sheet_note(e.clone()), e);
    // Named, the data sheet reads and its errors carry no note.
    let data = PulseData::read_sheet(&path, Some("Data")).unwrap();
    assert_eq!(data.devices.len(), 2);
    assert_eq!(data.devices[0].points.len(), 80);
}

#[test]
fn title_and_unit_rows_read_as_the_unit_in_the_header() {
    let plain = PulseData::from_table(
        &Table::from_csv_text("x", &csv_of("pulse_voltage_V,dev_a_uS,dev_b_uS"), b',').unwrap(),
    )
    .unwrap();
    // The same numbers under a title and a unit row: 2 lines lower.
    let export = csv_of("LTP/LTD of device A\npulse_voltage,dev_a,dev_b\n(V),uS,[µS]");
    let table = Table::from_csv_text("e.csv", &export, b',').unwrap();
    assert_eq!(table.header, ["pulse_voltage_V", "dev_a_uS", "dev_b_µS"]);
    let titled = PulseData::from_table(&table).unwrap();
    assert_eq!(titled.devices.len(), 2);
    for ((_, p), (_, q)) in points(&titled).iter().zip(points(&plain)) {
        assert_eq!(p.len(), q.len());
        for (&(g, line), &(h, plain_line)) in p.iter().zip(&q) {
            assert!((g - h).abs() <= 1e-15 * h, "{g} {h}");
            assert_eq!(line, plain_line + 2);
        }
    }
    // The values are µS: 2e-6 … 2e-5 read as S × 1e-6.
    let g_max = titled.devices[0]
        .points
        .iter()
        .map(|p| p.g)
        .fold(0.0, f64::max);
    assert!(g_max > 1e-11 && g_max < 2e-11, "{g_max}");
    // The same from a sheet (a title over two columns, an empty cell under
    // `pulse_voltage_V`).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .write_string(0, 0, "LTP/LTD of device A, 2025-03-02")
        .unwrap();
    for (c, h) in ["pulse_voltage_V", "dev_a", "dev_b"].iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    sheet.write_string(2, 1, "uS").unwrap();
    sheet.write_string(2, 2, "uS").unwrap();
    // The unit row took row 3 (line 3): the data from row 4 on.
    for (r, (v, a, b)) in rows().into_iter().enumerate() {
        let r = 3 + r as u32;
        sheet.write_number(r, 0, v).unwrap();
        sheet.write_number(r, 1, a).unwrap();
        if let Some(b) = b {
            sheet.write_number(r, 2, b).unwrap();
        } else {
            sheet
                .write_blank(r, 2, &rust_xlsxwriter::Format::new())
                .unwrap();
        }
    }
    book.save(&path).unwrap();
    let from_sheet = PulseData::read(&path).unwrap();
    for ((_, p), (_, q)) in points(&from_sheet).iter().zip(points(&plain)) {
        assert_eq!(p.len(), q.len());
        for (&(g, line), &(h, plain_line)) in p.iter().zip(&q) {
            assert!((g - h).abs() <= 1e-15 * h, "{g} {h}");
            assert_eq!(line, plain_line + 2);
        }
    }
}

#[test]
fn bad_unit_rows_are_refused_at_their_line_and_column() {
    let body = "1.2,1,2\n1.2,1.5,2.5\n";
    let err = |head: &str| {
        Table::from_csv_text("u.csv", &format!("{head}\n{body}"), b',')
            .and_then(|t| PulseData::from_table(&t))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("Device A\npulse_voltage_V,a,b\nV,furlongs,uS"),
        "u.csv:3: column `a`: expected a unit in the unit row under the header (S, mS, uS (µS), nS, pS, ohm (Ω), kohm, Mohm, A, mA, uA, nA, pA, or V and s for voltages and times, optionally in () or []) or an empty cell, found `furlongs`"
    );
    assert_eq!(
        err("pulse_voltage_V,a_nS,b\nV,uS,uS"),
        "u.csv:2: column `a_nS`: the unit row says `uS`, the column's name says `nS`: expected `nS` or an empty cell under it (or rename the column)"
    );
    assert_eq!(
        err("pulse_voltage_V,a,b\nmV,uS,uS"),
        "u.csv:2: column `pulse_voltage_V`: expected a unit in the unit row under the header (S, mS, uS (µS), nS, pS, ohm (Ω), kohm, Mohm, A, mA, uA, nA, pA, or V and s for voltages and times, optionally in () or []) or an empty cell, found `mV`"
    );
    // A second text row is data: the number expected there, located.
    assert_eq!(
        err("pulse_voltage_V,a,b\nV,uS,uS\nvoltage,device a,device b"),
        "u.csv:3: column `pulse_voltage_V`: expected a pulse voltage in V (a number), found `voltage`"
    );
    // A unit already in the name is left alone.
    let t = Table::from_csv_text(
        "u.csv",
        &format!("pulse_voltage_V,a_uS,b\nV,µS,nS\n{body}"),
        b',',
    )
    .unwrap();
    assert_eq!(t.header, ["pulse_voltage_V", "a_uS", "b_nS"]);
    assert_eq!(t.conductance(1, 2).unwrap(), Some(2.5e-9));
}

#[test]
fn a_semicolon_export_with_a_title_line_is_read_by_its_header() {
    // The title has no delimiter: the header's `;` decides.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("eu.csv");
    let text = "Device A\npulse_voltage_V;dev1\nV;uS\n1,2;1,5\n-1,2;1,25\n";
    std::fs::write(&path, text).unwrap();
    let t = Table::read(&path).unwrap();
    assert_eq!(t.header, ["pulse_voltage_V", "dev1_uS"]);
    let g = t.conductance(1, 1).unwrap().unwrap();
    assert!((g - 1.25e-6).abs() <= 1e-15 * 1.25e-6, "{g}");
    assert_eq!(t.line(1), 5);
}
