//! `xbarsim device fit` on the inputs people have: a workbook's sheet named
//! by `--sheet` (or found as the first with cells), and spreadsheet exports
//! with a title row above the header and a unit row under it. Each gives
//! the same device as the plain CSV of the same numbers.

mod common;

use std::io::Write;
use std::path::Path;

use common::{fails, ok, sidecar};
use tempfile::TempDir;

/// Two devices' pulse trains in µS, `n` pulses per half-cycle: rows of
/// `(pulse_voltage_V, dev_a, dev_b)`.
fn trains(n: usize) -> Vec<[f64; 3]> {
    let mut g: f64 = 1.0;
    let mut rows = Vec::new();
    for pol in [1.0, -1.0, 1.0, -1.0] {
        for k in 0..n {
            g += pol * 0.08 * if pol > 0.0 { 10.0 - g } else { g - 1.0 };
            // Device b a little higher, with a wobble.
            rows.push([pol * 1.2, g, g * 1.1 + 0.01 * ((k % 3) as f64 - 1.0)]);
        }
    }
    rows
}

/// `rows` as CSV lines.
fn csv_lines(rows: &[[f64; 3]]) -> String {
    rows.iter()
        .map(|r| format!("{},{},{}\n", r[0], r[1], r[2]))
        .collect()
}

/// One spreadsheet cell: a number or inline text.
enum X {
    N(f64),
    T(&'static str),
}

/// A minimal `.xlsx` (Office Open XML: a zip of XML parts, text as inline
/// strings) with `sheets`, each a name and rows of cells from column A.
fn write_xlsx(path: &Path, sheets: &[(&str, Vec<Vec<X>>)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    let mut part = |name: &str, text: String| {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    };
    let ns = "http://schemas.openxmlformats.org";
    let overrides: String = (1..=sheets.len())
        .map(|i| format!("<Override PartName=\"/xl/worksheets/sheet{i}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"))
        .collect();
    part(
        "[Content_Types].xml",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"{ns}/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>{overrides}</Types>"),
    );
    part(
        "_rels/.rels",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"{ns}/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"{ns}/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
    );
    let entries: String = sheets
        .iter()
        .enumerate()
        .map(|(i, (name, _))| {
            format!(
                "<sheet name=\"{name}\" sheetId=\"{}\" r:id=\"rId{}\"/>",
                i + 1,
                i + 1
            )
        })
        .collect();
    part(
        "xl/workbook.xml",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><workbook xmlns=\"{ns}/spreadsheetml/2006/main\" xmlns:r=\"{ns}/officeDocument/2006/relationships\"><sheets>{entries}</sheets></workbook>"),
    );
    let rels: String = (1..=sheets.len())
        .map(|i| format!("<Relationship Id=\"rId{i}\" Type=\"{ns}/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet{i}.xml\"/>"))
        .collect();
    part(
        "xl/_rels/workbook.xml.rels",
        format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"{ns}/package/2006/relationships\">{rels}</Relationships>"),
    );
    for (i, (_, rows)) in sheets.iter().enumerate() {
        let mut data = String::new();
        for (r, row) in rows.iter().enumerate() {
            data += &format!("<row r=\"{}\">", r + 1);
            for (c, cell) in row.iter().enumerate() {
                let at = format!("{}{}", char::from(b'A' + c as u8), r + 1);
                data += &match cell {
                    X::N(x) => format!("<c r=\"{at}\"><v>{x}</v></c>"),
                    X::T(t) => format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{t}</t></is></c>"),
                };
            }
            data += "</row>";
        }
        part(
            &format!("xl/worksheets/sheet{}.xml", i + 1),
            format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><worksheet xmlns=\"{ns}/spreadsheetml/2006/main\"><sheetData>{data}</sheetData></worksheet>"),
        );
    }
    zip.finish().unwrap();
}

/// `header` over the rows of [`trains`] as sheet rows.
fn sheet_rows(header: [&'static str; 3], rows: &[[f64; 3]]) -> Vec<Vec<X>> {
    let mut out = vec![header.iter().map(|h| X::T(h)).collect::<Vec<_>>()];
    out.extend(rows.iter().map(|r| r.iter().map(|&x| X::N(x)).collect()));
    out
}

/// Fits `args` (inputs) into `out` in `dir` and returns the device file
/// without its description (which names the input files).
fn fit(dir: &Path, inputs: &[&str], out: &str) -> String {
    let mut args = vec!["device", "fit", "--name", "fitted", "-o", out];
    args.extend_from_slice(inputs);
    ok(dir, &args);
    std::fs::read_to_string(dir.join(out))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("description"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `g_max` of a device file in S.
fn g_max(toml_text: &str) -> f64 {
    let value: toml::Value = toml::from_str(toml_text).unwrap();
    value["g_max"]
        .as_float()
        .or_else(|| {
            value["g_max"]
                .as_str()
                .and_then(|s| s.trim_end_matches(" S").parse().ok())
        })
        .unwrap_or_else(|| panic!("g_max: {:?}", value["g_max"]))
}

/// `rows` as `plain.csv` in `dir`, two devices in µS.
fn write_plain(dir: &Path, rows: &[[f64; 3]]) {
    std::fs::write(
        dir.join("plain.csv"),
        format!("pulse_voltage_V,dev_a_uS,dev_b_uS\n{}", csv_lines(rows)),
    )
    .unwrap();
}

/// The files in `dir` other than `keep`.
fn written(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|f| !keep.contains(&f.as_str()))
        .collect()
}

#[test]
fn a_workbook_sheet_fits_as_the_same_numbers_in_csv() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let rows = trains(30);
    write_plain(d, &rows);
    let header = ["pulse_voltage_V", "dev_a_uS", "dev_b_uS"];
    write_xlsx(
        &d.join("lab.xlsx"),
        &[
            ("Notes", vec![vec![X::T("measured 2025-03-02")]]),
            ("Data", sheet_rows(header, &rows)),
        ],
    );
    write_xlsx(
        &d.join("empty-first.xlsx"),
        &[("Sheet1", vec![]), ("Data", sheet_rows(header, &rows))],
    );
    let plain = fit(d, &["--pulses", "plain.csv"], "plain.toml");
    // The fit is of µS data: g_max near the trains' 10 µS.
    let g = g_max(&plain);
    assert!(g > 8e-6 && g < 1.2e-5, "g_max {g}");
    let named = fit(
        d,
        &["--pulses", "lab.xlsx", "--sheet", "Data"],
        "named.toml",
    );
    assert_eq!(named, plain);
    assert_eq!(
        sidecar(&d.join("named.toml"))["parameters"]["inputs"]["pulses"]["sheet"],
        "Data"
    );
    // Without --sheet, past an empty first sheet.
    let found = fit(d, &["--pulses", "empty-first.xlsx"], "found.toml");
    assert_eq!(found, plain);
    let side = sidecar(&d.join("found.toml"));
    assert_eq!(side["parameters"]["inputs"]["pulses"]["sheet"], "Data");
    // A text input records no sheet.
    let side = sidecar(&d.join("plain.toml"));
    assert!(side["parameters"]["inputs"]["pulses"]
        .get("sheet")
        .is_none());
    // Without --sheet the first sheet with cells (the notes) is read, and
    // the error says which and what else there is.
    let e = fails(
        d,
        &["device", "fit", "--pulses", "lab.xlsx", "-o", "x.toml"],
    );
    assert!(
        e.starts_with("error: lab.xlsx (sheet `Notes`): no data rows after the header"),
        "{e}"
    );
    assert!(
        e.ends_with("(sheet `Notes` was read, the first with cells; the workbook also has `Data`: --sheet NAME, or sheet= in Python, reads another)"),
        "{e}"
    );
    assert!(!d.join("x.toml").exists());
}

#[test]
fn a_sheet_that_is_not_there_or_not_needed_is_refused_before_writing() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let rows = trains(30);
    write_plain(d, &rows);
    write_xlsx(
        &d.join("lab.xlsx"),
        &[
            ("Notes", vec![]),
            ("Data", sheet_rows(["pulse_voltage_V", "a", "b"], &rows)),
        ],
    );
    let e = fails(
        d,
        &[
            "device", "fit", "--pulses", "lab.xlsx", "--sheet", "Raw", "-o", "x.toml",
        ],
    );
    assert_eq!(
        e,
        "error: lab.xlsx: the workbook has no sheet `Raw`; its sheets: `Notes`, `Data`"
    );
    let e = fails(
        d,
        &[
            "device",
            "fit",
            "--pulses",
            "plain.csv",
            "--sheet",
            "Data",
            "-o",
            "x.toml",
        ],
    );
    assert_eq!(
        e,
        "error: --sheet names a workbook's sheet, but no input is a workbook (.xlsx, .xlsm, .xls, .xlsb, .ods)"
    );
    // Refused before reading: even a missing CSV is not looked at.
    let e = fails(
        d,
        &[
            "device", "fit", "--pulses", "gone.csv", "--sheet", "Data", "-o", "x.toml",
        ],
    );
    assert!(e.starts_with("error: --sheet names"), "{e}");
    assert!(written(d, &["plain.csv", "lab.xlsx"]).is_empty());
}

#[test]
fn title_and_unit_rows_give_the_device_of_units_in_the_header() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let rows = trains(30);
    let body = csv_lines(&rows);
    std::fs::write(
        d.join("plain.csv"),
        format!("pulse_voltage_V,dev_a_uS,dev_b_uS\n{body}"),
    )
    .unwrap();
    // An export: a title padded to the table's width, units under the
    // names.
    std::fs::write(
        d.join("export.csv"),
        format!("LTP/LTD of device A 2025-03-02,,\npulse_voltage,dev_a,dev_b\nV,uS,(µS)\n{body}"),
    )
    .unwrap();
    let mut sheet = vec![vec![X::T("LTP/LTD of device A, 2025-03-02")]];
    sheet.extend(sheet_rows(["pulse_voltage_V", "dev_a", "dev_b_uS"], &rows));
    sheet.insert(2, vec![X::T("V"), X::T("uS"), X::T("uS")]);
    write_xlsx(&d.join("export.xlsx"), &[("LTP", sheet)]);
    let plain = fit(d, &["--pulses", "plain.csv"], "plain.toml");
    let g = g_max(&plain);
    assert!(g > 8e-6 && g < 1.2e-5, "g_max {g}");
    // The same numbers read the same way: the same device, bit for bit.
    assert_eq!(fit(d, &["--pulses", "export.csv"], "csv.toml"), plain);
    assert_eq!(fit(d, &["--pulses", "export.xlsx"], "xlsx.toml"), plain);
    // A unit that is not one: located at the unit row (line 3), its column.
    std::fs::write(
        d.join("furlongs.csv"),
        format!("LTP/LTD of device A\npulse_voltage_V,dev_a,dev_b\nV,furlongs,uS\n{body}"),
    )
    .unwrap();
    let e = fails(
        d,
        &["device", "fit", "--pulses", "furlongs.csv", "-o", "x.toml"],
    );
    assert!(
        e.starts_with("error: furlongs.csv:3: column `dev_a`: expected a unit in the unit row under the header (S, mS, uS"),
        "{e}"
    );
    assert!(e.ends_with("found `furlongs`"), "{e}");
    // Text under the unit row is a row of data: a number expected there.
    std::fs::write(
        d.join("twice.csv"),
        format!("pulse_voltage_V,dev_a,dev_b\nV,uS,uS\nvolts,micro,micro\n{body}"),
    )
    .unwrap();
    let e = fails(
        d,
        &["device", "fit", "--pulses", "twice.csv", "-o", "x.toml"],
    );
    assert_eq!(
        e,
        "error: twice.csv:3: column `pulse_voltage_V`: expected a pulse voltage in V (a number), found `volts`"
    );
    assert!(!d.join("x.toml").exists());
}
