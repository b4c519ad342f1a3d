//! PDF output: a real PDF, at the figure's physical size, its text set in
//! the embedded font and kept as text (searchable, copyable), not as
//! outlines or missing glyphs.
//!
//! The PDF is read the way a viewer extracts text: the compressed streams
//! are inflated, the font's `ToUnicode` map turns the glyph ids shown
//! between `BT` and `ET` back into characters.

use std::collections::BTreeMap;

use polars::prelude::*;
use xbar_plots::{draw, FigureSize, PlotKind, PlotSpec};

fn table() -> DataFrame {
    let size: Vec<i64> = vec![16, 32, 64, 128, 16, 32, 64, 128];
    let wire = [1.0f64, 1.0, 1.0, 1.0, 2.5, 2.5, 2.5, 2.5];
    let err: Vec<f64> = size
        .iter()
        .zip(wire)
        .map(|(&n, r)| 1e-4 * r * (n as f64).powf(1.5))
        .collect();
    df![
        "array.size" => size,
        "array.r_wire_ohm" => wire.to_vec(),
        "error_mean_rel" => err,
    ]
    .unwrap()
}

/// Every stream of the file, inflated where it is compressed, with its
/// dictionary.
fn streams(pdf: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = find(&pdf[at..], b"stream") {
        let start = at + i;
        // Skip `endstream`.
        if start >= 3 && &pdf[start - 3..start] == b"end" {
            at = start + 6;
            continue;
        }
        let dict_start = rfind(&pdf[..start], b"<<").expect("stream dictionary");
        let dict = String::from_utf8_lossy(&pdf[dict_start..start]).into_owned();
        let mut body = start + 6;
        if pdf[body] == b'\r' {
            body += 1;
        }
        if pdf[body] == b'\n' {
            body += 1;
        }
        let len = find(&pdf[body..], b"endstream").expect("endstream");
        let mut data = &pdf[body..body + len];
        while let Some((b'\r' | b'\n', rest)) = data.split_last() {
            data = rest;
        }
        let data = if dict.contains("/FlateDecode") {
            miniz_oxide::inflate::decompress_to_vec_zlib(data)
                .unwrap_or_else(|e| panic!("inflating a stream ({dict}): {e:?}"))
        } else {
            data.to_vec()
        };
        out.push((dict, data));
        at = body + len + 9;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// The hex strings `<…>` of a text, in order.
fn hex_strings(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        if rest[i..].starts_with("<<") {
            rest = &rest[i + 2..];
            continue;
        }
        let Some(j) = rest[i..].find('>') else { break };
        out.push(rest[i + 1..i + j].split_whitespace().collect());
        rest = &rest[i + j + 1..];
    }
    out
}

fn hex_to_u16s(h: &str) -> Vec<u16> {
    (0..h.len() / 4)
        .map(|k| u16::from_str_radix(&h[4 * k..4 * k + 4], 16).unwrap())
        .collect()
}

/// Glyph id → text, from every `ToUnicode` CMap (`bfchar` and `bfrange`).
fn to_unicode(streams: &[(String, Vec<u8>)]) -> BTreeMap<u16, String> {
    let mut map = BTreeMap::new();
    for (_, data) in streams {
        let s = String::from_utf8_lossy(data);
        if !s.contains("begincmap") {
            continue;
        }
        for block in s.split("beginbfchar").skip(1) {
            let block = block.split("endbfchar").next().unwrap();
            for pair in hex_strings(block).chunks(2) {
                let gid = hex_to_u16s(&pair[0])[0];
                map.insert(gid, String::from_utf16_lossy(&hex_to_u16s(&pair[1])));
            }
        }
        for block in s.split("beginbfrange").skip(1) {
            let block = block.split("endbfrange").next().unwrap();
            for triple in hex_strings(block).chunks(3) {
                let (lo, hi) = (hex_to_u16s(&triple[0])[0], hex_to_u16s(&triple[1])[0]);
                let first = hex_to_u16s(&triple[2]);
                for g in lo..=hi {
                    let mut u = first.clone();
                    *u.last_mut().unwrap() += g - lo;
                    map.insert(g, String::from_utf16_lossy(&u));
                }
            }
        }
    }
    map
}

/// The strings of a text object, as bytes: literal `(…)` (with their
/// escapes) and hex `<…>`.
fn strings(object: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < object.len() {
        match object[i] {
            b'(' => {
                let mut bytes = Vec::new();
                let mut depth = 1;
                i += 1;
                while i < object.len() {
                    let c = object[i];
                    match c {
                        b'\\' => {
                            i += 1;
                            let e = object[i];
                            if e.is_ascii_digit() {
                                let mut v = 0u32;
                                let mut n = 0;
                                while n < 3
                                    && i < object.len()
                                    && (b'0'..=b'7').contains(&object[i])
                                {
                                    v = v * 8 + u32::from(object[i] - b'0');
                                    i += 1;
                                    n += 1;
                                }
                                bytes.push(v as u8);
                                continue;
                            }
                            bytes.push(match e {
                                b'n' => b'\n',
                                b'r' => b'\r',
                                b't' => b'\t',
                                b'b' => 8,
                                b'f' => 12,
                                other => other,
                            });
                        }
                        b'(' => {
                            depth += 1;
                            bytes.push(c);
                        }
                        b')' => {
                            depth -= 1;
                            if depth == 0 {
                                i += 1;
                                break;
                            }
                            bytes.push(c);
                        }
                        _ => bytes.push(c),
                    }
                    i += 1;
                }
                out.push(bytes);
            }
            b'<' if object.get(i + 1) != Some(&b'<') => {
                let end = i + object[i..].iter().position(|&c| c == b'>').unwrap();
                let hex: String = String::from_utf8_lossy(&object[i + 1..end])
                    .split_whitespace()
                    .collect();
                out.push(
                    (0..hex.len() / 2)
                        .map(|k| u8::from_str_radix(&hex[2 * k..2 * k + 2], 16).unwrap())
                        .collect(),
                );
                i = end + 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The text shown by the content streams, in order, as a viewer extracts
/// it: each string's two-byte glyph ids (`Identity-H`) through the
/// `ToUnicode` map.
fn pdf_text(pdf: &[u8]) -> String {
    let streams = streams(pdf);
    let cmap = to_unicode(&streams);
    assert!(
        !cmap.is_empty(),
        "no ToUnicode map: text is not extractable"
    );
    let mut out = String::new();
    for (_, data) in &streams {
        let mut rest = &data[..];
        while let Some(bt) = find(rest, b"BT\n") {
            let Some(et) = find(&rest[bt..], b"\nET") else {
                break;
            };
            for s in strings(&rest[bt + 3..bt + et]) {
                for g in s.chunks(2) {
                    let g = u16::from_be_bytes([g[0], *g.get(1).unwrap_or(&0)]);
                    out.push_str(cmap.get(&g).map_or("\u{FFFD}", String::as_str));
                }
            }
            rest = &rest[bt + et..];
        }
    }
    out
}

/// `[x0 y0 x1 y1]` of the page's `/MediaBox`.
fn media_box(pdf: &[u8]) -> [f64; 4] {
    let s = String::from_utf8_lossy(pdf);
    let at = s.find("/MediaBox").expect("a /MediaBox");
    let inner = s[at..]
        .split('[')
        .nth(1)
        .unwrap()
        .split(']')
        .next()
        .unwrap();
    let v: Vec<f64> = inner
        .split_whitespace()
        .map(|t| t.parse().unwrap())
        .collect();
    v.try_into().unwrap()
}

fn draw_pdf(spec: &PlotSpec) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let files = draw(spec, &table(), dir.path()).unwrap();
    let pdf = files
        .iter()
        .find(|p| p.extension().is_some_and(|e| e == "pdf"))
        .expect("a PDF among the files");
    std::fs::read(pdf).unwrap()
}

#[test]
fn no_extension_writes_svg_png_and_pdf_and_pdf_alone_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let mut spec = PlotSpec::new("fig", "array.size", "error_mean_rel");
    let files = draw(&spec, &table(), dir.path()).unwrap();
    let names: Vec<_> = files
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["fig.svg", "fig.png", "fig.pdf"]);
    spec.file = "only.pdf".into();
    let files = draw(&spec, &table(), dir.path()).unwrap();
    assert_eq!(files, vec![dir.path().join("only.pdf")]);
    assert!(!dir.path().join("only.svg").exists());
    assert!(!dir.path().join("only.png").exists());
}

#[test]
fn pdf_is_a_pdf_at_the_figure_size_with_the_font_embedded() {
    let mut spec = PlotSpec::new("fig.pdf", "array.size", "error_mean_rel");
    spec.series = Some("array.r_wire_ohm".into());
    let pdf = draw_pdf(&spec);
    assert!(pdf.starts_with(b"%PDF-"), "{:?}", &pdf[..8.min(pdf.len())]);
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"), "a complete file");
    // 3.5 × 2.6 in (single column) = 252 × 187.2 pt.
    let [x0, y0, x1, y1] = media_box(&pdf);
    assert_eq!((x0, y0), (0.0, 0.0));
    assert!(
        (x1 - 252.0).abs() < 0.5 && (y1 - 187.2).abs() < 0.5,
        "{x1} × {y1}"
    );
    // The glyphs are embedded (a TrueType font program), and they are
    // DejaVu Sans, the PNG's font, never a fallback from the system.
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/FontFile2"), "no embedded font program");
    let names: Vec<&str> = text
        .split("/BaseFont /")
        .skip(1)
        .map(|s| {
            s.split(|c: char| c.is_whitespace() || c == '/' || c == '>')
                .next()
                .unwrap()
        })
        .collect();
    assert!(!names.is_empty(), "no font");
    assert!(names.iter().all(|n| n.contains("DejaVuSans")), "{names:?}");

    // Another size: a double-column heatmap 3 in high is 504 × 216 pt.
    spec.file = "heat.pdf".into();
    spec.kind = PlotKind::Heatmap;
    spec.size = FigureSize::Double;
    spec.height_in = Some(3.0);
    spec.z = Some("error_mean_rel".into());
    spec.y = "array.r_wire_ohm".into();
    spec.series = None;
    let [_, _, w, h] = media_box(&draw_pdf(&spec));
    assert!(
        (w - 504.0).abs() < 0.5 && (h - 216.0).abs() < 0.5,
        "{w} × {h}"
    );
}

#[test]
fn pdf_text_is_real_text_in_the_figure() {
    let mut spec = PlotSpec::new("fig.pdf", "array.size", "error_mean_rel");
    spec.series = Some("array.r_wire_ohm".into());
    spec.title = Some("Read error vs size".into());
    spec.y_label = Some("Relative error (µ)".into());
    let text = pdf_text(&draw_pdf(&spec));
    for want in [
        "Read error vs size",
        "Relative error (µ)",
        "Size",
        "r wire (Ω)",
        "2.5",
    ] {
        assert!(
            text.contains(want),
            "`{want}` not found in the PDF's text: {text:?}"
        );
    }
    assert!(
        !text.contains('\u{FFFD}'),
        "a glyph without its character: {text:?}"
    );
}
