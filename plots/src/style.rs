//! The look: physical sizes, the embedded font, colours.

use std::sync::Once;

use plotters::style::{FontStyle, IntoFont, RGBColor, TextStyle};

/// Pixels per inch of the drawing grid. PNGs are written at this resolution;
/// SVGs use the same grid and declare their size in inches, so that both
/// formats have the same layout.
pub(crate) const DPI: f64 = 300.0;

/// Tick labels and legend entries.
pub(crate) const SMALL_PT: f64 = 8.0;
/// Axis labels and the title.
pub(crate) const LABEL_PT: f64 = 9.0;

/// DejaVu Sans (Bitstream Vera licence, see `assets/DejaVuSans-LICENSE.txt`).
pub(crate) static DEJAVU_SANS: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters (once per process).
pub(crate) fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse; a failure would only
        // mean text is missing from PNGs, never a crash.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS);
    });
}

/// Pixels for a length in points.
pub(crate) fn px(pt: f64) -> f64 {
    pt * DPI / 72.0
}

/// Pixels for a length in points, rounded, at least 1.
pub(crate) fn px_i(pt: f64) -> i32 {
    px(pt).round().max(1.0) as i32
}

/// Stroke width in whole pixels for a width in points.
pub(crate) fn stroke(pt: f64) -> u32 {
    px_i(pt) as u32
}

/// The text style for a size in points. plotters sizes fonts by their
/// line height (1.24 em, as its SVG backend divides by 1.24).
pub(crate) fn font(pt: f64) -> TextStyle<'static> {
    (FAMILY, px(pt) * 1.24).into_font().into()
}

/// Black for axes and text.
pub(crate) const INK: RGBColor = RGBColor(0, 0, 0);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);
/// Legend frame.
pub(crate) const FRAME: RGBColor = RGBColor(190, 190, 190);
/// Heatmap cells without data.
pub(crate) const MISSING: RGBColor = RGBColor(235, 235, 235);

/// Okabe–Ito colours (M. Okabe and K. Ito, *Color Universal Design*,
/// 2008; B. Wong, Nat. Methods 8, 441, 2011), told apart with any of the
/// common colour-vision deficiencies. Black is drawn as #1A1A1A (so that
/// data are told from the black axes in an SVG) and yellow comes last
/// (faint on white).
pub(crate) const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x1A, 0x1A, 0x1A), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Marker shapes; open ones are outlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    OpenCircle,
    OpenSquare,
}

/// Seven markers: with the eight colours (coprime cycles) no colour and
/// marker pair repeats before 56 series.
pub(crate) const MARKERS: [Marker; 7] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::OpenCircle,
    Marker::OpenSquare,
];

/// Line dash patterns, on and off lengths in points (empty: solid). With
/// the seven markers no marker and dash pair repeats before 28 series, so
/// lines stay apart in greyscale.
pub(crate) const DASHES: [&[f64]; 4] = [&[], &[4.0, 2.0], &[1.0, 1.5], &[4.0, 1.5, 1.0, 1.5]];

/// The look of the `i`-th series: colour, marker, dash pattern.
pub(crate) fn look(i: usize) -> (RGBColor, Marker, &'static [f64]) {
    (
        PALETTE[i % PALETTE.len()],
        MARKERS[i % MARKERS.len()],
        DASHES[i % DASHES.len()],
    )
}

/// Viridis at t = 0, 0.1, ..., 1 (the values of R's `viridis(11)`).
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x25, 0x76),
    (0x41, 0x44, 0x87),
    (0x35, 0x60, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x90, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x43, 0xBF, 0x71),
    (0x7A, 0xD1, 0x51),
    (0xBB, 0xDF, 0x27),
    (0xFD, 0xE7, 0x25),
];

/// The viridis colour at `t` in [0, 1] (clamped; NaN gives the low end),
/// linearly interpolated between the anchors.
pub(crate) fn viridis(t: f64) -> RGBColor {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (p as f64 + (q as f64 - p as f64) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_stay_apart_in_colour_and_in_greyscale() {
        let n = 28;
        for i in 0..n {
            for j in 0..i {
                let (a, b) = (look(i), look(j));
                // In greyscale: marker and dash differ.
                assert!((a.1, a.2) != (b.1, b.2), "series {i} and {j} alike in grey");
                // In colour: colour and marker differ.
                assert!(
                    (a.0, a.1) != (b.0, b.1),
                    "series {i} and {j} alike in colour"
                );
            }
        }
        // The first twelve: no colour repeats before the ninth, no marker
        // before the eighth.
        let colours: std::collections::BTreeSet<_> = (0..8)
            .map(|i| (look(i).0 .0, look(i).0 .1, look(i).0 .2))
            .collect();
        assert_eq!(colours.len(), 8);
        // Every colour stands out from white: luminance contrast ≥ 1.3
        // (WCAG relative luminance), the faintest being yellow.
        let lum = |c: RGBColor| {
            let ch = |v: u8| {
                let s = v as f64 / 255.0;
                if s <= 0.03928 {
                    s / 12.92
                } else {
                    ((s + 0.055) / 1.055).powf(2.4)
                }
            };
            0.2126 * ch(c.0) + 0.7152 * ch(c.1) + 0.0722 * ch(c.2)
        };
        for c in PALETTE {
            assert!(1.05 / (lum(c) + 0.05) >= 1.25, "{c:?}");
        }
    }

    #[test]
    fn viridis_ends_and_middle() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(viridis(0.5), RGBColor(0x21, 0x90, 0x8C));
        assert_eq!(viridis(2.0), viridis(1.0));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        // Lightness rises monotonically (a perceptual map's defining trait).
        let luma = |c: RGBColor| 0.2126 * c.0 as f64 + 0.7152 * c.1 as f64 + 0.0722 * c.2 as f64;
        for k in 0..100 {
            assert!(luma(viridis(k as f64 / 100.0)) <= luma(viridis((k + 1) as f64 / 100.0)) + 0.5);
        }
    }
}
