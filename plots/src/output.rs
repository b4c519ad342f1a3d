//! Writing figures: output paths, atomic writes, physical size metadata.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use plotters::prelude::*;

use crate::error::PlotError;
use crate::style::{DEJAVU_SANS, DPI};
use crate::text::ExactText;
use crate::Plot;
use image::ImageEncoder;

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Svg,
    Png,
    Pdf,
}

/// The files a spec asks for: `file` resolved against `out_dir`, with every
/// format (SVG, PNG and PDF) when it has no extension.
pub(crate) fn targets(file: &str, out_dir: &Path) -> Result<Vec<(PathBuf, Format)>, PlotError> {
    let path = out_dir.join(file);
    let spec_error = |message: String| PlotError::Spec {
        file: file.to_string(),
        message,
    };
    if file.is_empty() || file.ends_with('/') || path.file_name().is_none() {
        return Err(spec_error(
            "`file` must name a file, e.g. `file = \"ir_drop\"` (writes ir_drop.svg, ir_drop.png and ir_drop.pdf)"
                .to_string(),
        ));
    }
    match path.extension().and_then(|e| e.to_str()) {
        None => Ok(vec![
            (path.with_extension("svg"), Format::Svg),
            (path.with_extension("png"), Format::Png),
            (path.with_extension("pdf"), Format::Pdf),
        ]),
        Some(e) if e.eq_ignore_ascii_case("svg") => Ok(vec![(path, Format::Svg)]),
        Some(e) if e.eq_ignore_ascii_case("png") => Ok(vec![(path, Format::Png)]),
        Some(e) if e.eq_ignore_ascii_case("pdf") => Ok(vec![(path, Format::Pdf)]),
        Some(e) => Err(spec_error(format!(
            "unsupported extension `.{e}` in `file`; use `.svg`, `.png` or `.pdf`, or no extension to write all three"
        ))),
    }
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> PlotError + '_ {
    move |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn render_error(path: &Path, e: impl std::fmt::Display) -> PlotError {
    PlotError::Render {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// A temporary file next to `path` (so that the final rename is atomic),
/// readable by everyone like an ordinary new file.
fn temp_next_to(path: &Path, suffix: &str) -> Result<tempfile::NamedTempFile, PlotError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix(".xbar-plot-").suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    builder.tempfile_in(&dir).map_err(io_error(&dir))
}

/// Moves a staged file onto `path`.
pub(crate) fn persist(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), PlotError> {
    tmp.persist(path).map_err(|e| PlotError::Io {
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Draws `plot` for `path` in `format` (`px` pixels on the 300-per-inch
/// grid, `size_in` inches) in memory: the bytes of the file (`path` only
/// names it in errors).
pub(crate) fn render(
    plot: &Plot,
    path: &Path,
    format: Format,
    px: (u32, u32),
    size_in: (f64, f64),
) -> Result<Vec<u8>, PlotError> {
    match format {
        Format::Svg => Ok(svg_document(plot, path, px, size_in)?.into_bytes()),
        Format::Png => {
            // Rendered and encoded in memory; only the finished bytes meet
            // the disk, so a full disk is an I/O error naming the file.
            let mut pixels = vec![0u8; px.0 as usize * px.1 as usize * 3];
            {
                let root =
                    ExactText(BitMapBackend::with_buffer(&mut pixels, px)).into_drawing_area();
                plot.render(&root).map_err(|e| render_error(path, e))?;
            }
            let mut png = Vec::new();
            image::codecs::png::PngEncoder::new(&mut png)
                .write_image(&pixels, px.0, px.1, image::ColorType::Rgb8)
                .map_err(|e| render_error(path, e))?;
            Ok(png_with_dpi(&png, DPI))
        }
        Format::Pdf => {
            let svg = svg_document(plot, path, px, size_in)?;
            svg_to_pdf(&svg).map_err(|e| render_error(path, e))
        }
    }
}

/// `bytes` in a temporary file next to `path`, for [`persist`] once every
/// format of the figure is staged.
pub(crate) fn stage(path: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile, PlotError> {
    let suffix = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    let mut tmp = temp_next_to(path, &suffix)?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.flush())
        .map_err(io_error(path))?;
    Ok(tmp)
}

/// The figure as the SVG document that is written (sized in inches).
fn svg_document(
    plot: &Plot,
    path: &Path,
    px: (u32, u32),
    size_in: (f64, f64),
) -> Result<String, PlotError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, px).into_drawing_area();
        plot.render(&root).map_err(|e| render_error(path, e))?;
    }
    Ok(physical_svg_size(&svg, px, size_in))
}

/// The fonts a PDF's text is set in: only the embedded DejaVu Sans, as the
/// SVG's `sans-serif` (never a system font, so every machine writes the
/// same PDF, with the PNG's glyphs).
fn pdf_fonts() -> Arc<svg2pdf::usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<svg2pdf::usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = svg2pdf::usvg::fontdb::Database::new();
            db.load_font_data(DEJAVU_SANS.to_vec());
            db.set_sans_serif_family("DejaVu Sans");
            Arc::new(db)
        })
        .clone()
}

/// Converts an SVG document of [`svg_document`] to a one-page PDF in
/// memory: vector paths, text as real text in the embedded font (a subset
/// embedded in the file), the page the figure's size in inches × 72 points.
fn svg_to_pdf(svg: &str) -> Result<Vec<u8>, String> {
    // One user unit per point on both sides: the SVG's size in inches
    // becomes the page size in points.
    const PT_PER_IN: f32 = 72.0;
    let options = svg2pdf::usvg::Options {
        dpi: PT_PER_IN,
        font_family: "DejaVu Sans".to_string(),
        fontdb: pdf_fonts(),
        ..Default::default()
    };
    let tree = svg2pdf::usvg::Tree::from_str(svg, &options).map_err(|e| e.to_string())?;
    svg2pdf::to_pdf(
        &tree,
        svg2pdf::ConversionOptions::default(),
        svg2pdf::PageOptions { dpi: PT_PER_IN },
    )
    .map_err(|e| e.to_string())
}

/// Gives the SVG its size in inches (keeping the pixel grid as the
/// `viewBox`), so that it is placed at its physical size in documents.
fn physical_svg_size(svg: &str, px: (u32, u32), size_in: (f64, f64)) -> String {
    let from = format!("width=\"{}\" height=\"{}\"", px.0, px.1);
    let to = format!("width=\"{}in\" height=\"{}in\"", size_in.0, size_in.1);
    svg.replacen(&from, &to, 1)
}

/// Adds a `pHYs` chunk (pixels per metre) after the PNG header, so that the
/// image is placed at its physical size. Leaves anything unexpected as is.
fn png_with_dpi(png: &[u8], dpi: f64) -> Vec<u8> {
    const IHDR_END: usize = 8 + 4 + 4 + 13 + 4;
    let is_png =
        png.len() > IHDR_END && png.starts_with(b"\x89PNG\r\n\x1a\n") && &png[12..16] == b"IHDR";
    if !is_png || png.windows(4).any(|w| w == b"pHYs") {
        return png.to_vec();
    }
    let ppm = (dpi / 0.0254).round() as u32;
    let mut chunk = Vec::with_capacity(21);
    chunk.extend_from_slice(&9u32.to_be_bytes());
    chunk.extend_from_slice(b"pHYs");
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.extend_from_slice(&ppm.to_be_bytes());
    chunk.push(1); // unit: metre
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    let mut out = Vec::with_capacity(png.len() + chunk.len());
    out.extend_from_slice(&png[..IHDR_END]);
    out.extend_from_slice(&chunk);
    out.extend_from_slice(&png[IHDR_END..]);
    out
}

/// CRC-32 (ISO 3309, as PNG uses).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        // The IEND chunk's CRC, as found in every PNG.
        assert_eq!(crc32(b"IEND"), 0xAE42_6082);
    }

    #[test]
    fn targets_from_extension() {
        let dir = Path::new("/out");
        assert_eq!(
            targets("a/fig", dir).unwrap(),
            vec![
                (PathBuf::from("/out/a/fig.svg"), Format::Svg),
                (PathBuf::from("/out/a/fig.png"), Format::Png),
                (PathBuf::from("/out/a/fig.pdf"), Format::Pdf)
            ]
        );
        assert_eq!(
            targets("fig.PNG", dir).unwrap(),
            vec![(PathBuf::from("/out/fig.PNG"), Format::Png)]
        );
        assert_eq!(
            targets("/abs/fig.svg", dir).unwrap(),
            vec![(PathBuf::from("/abs/fig.svg"), Format::Svg)]
        );
        assert_eq!(
            targets("fig", dir).unwrap(),
            vec![
                (PathBuf::from("/out/fig.svg"), Format::Svg),
                (PathBuf::from("/out/fig.png"), Format::Png),
                (PathBuf::from("/out/fig.pdf"), Format::Pdf)
            ]
        );
        assert_eq!(
            targets("fig.Pdf", dir).unwrap(),
            vec![(PathBuf::from("/out/fig.Pdf"), Format::Pdf)]
        );
        let e = targets("fig.eps", dir).unwrap_err().to_string();
        assert!(
            e.contains("`.eps`") && e.contains(".svg") && e.contains(".png") && e.contains(".pdf"),
            "{e}"
        );
    }
}
