//! Axis labels from column names, tick positions and tick label formatting.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

use crate::style::{px, SMALL_PT};
use crate::text::width_px;
use crate::units::{self, power_of_ten, Shown};

/// A human axis label for a column name: the last segment of a dotted name,
/// underscores as spaces, and a known unit suffix in parentheses.
///
/// Units: `s`, `A`, `V`, `S`, `uS` (µS), `ohm` (Ω), `pct` (%), `F`, `Hz`,
/// `J`, `W`, `m`, `m2` (m²), `rel` (relative), and the common prefixed
/// forms (`ms`, `us`, `ns`, `min`, `h`, `mA`, `uA`, `nA`, `mV`, `mS`, `nS`,
/// `kohm`, `Mohm`, `kHz`, `MHz`, `GHz`, `pJ`, `fJ`, `mW`, `uW`, `um`,
/// `nm`, `mm2`, `um2`). Suffixes are case sensitive (`S` is siemens, `s`
/// seconds). A figure shows the unit with the prefix its values need
/// (`µS` for a `_S` column of 10⁻⁵) and capitalises the label.
///
/// ```
/// use xbar_plots::axis_label;
/// assert_eq!(axis_label("time_s"), "time (s)");
/// assert_eq!(axis_label("accuracy_pct"), "accuracy (%)");
/// assert_eq!(axis_label("array.r_wire_ohm"), "r wire (Ω)");
/// assert_eq!(axis_label("device.g_max"), "g max");
/// ```
pub fn axis_label(column: &str) -> String {
    let (name, unit) = units::split(column);
    let name = name.replace('_', " ");
    match unit {
        Some(u) => format!("{name} ({})", u.written),
        None => name,
    }
}

/// A column's label without its unit: `array.r_wire_ohm` → `r wire`.
pub(crate) fn column_name(column: &str) -> String {
    units::split(column).0.replace('_', " ")
}

/// A number in at most 4 significant digits, without trailing zeros:
/// `2.5`, `1000`, `0.001`, `1e-6`, `2.5e7`.
pub(crate) fn compact(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    if (1e-3..1e5).contains(&a) {
        let digits = 3 - a.log10().floor() as i32;
        let s = format!("{:.*}", digits.max(0) as usize, v);
        trim_zeros(&s)
    } else {
        let s = format!("{v:.3e}");
        match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim_zeros(m)),
            None => s,
        }
    }
}

fn trim_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

/// One axis in plot coordinates (the shown value, `value × factor`, or its
/// log10 on a log axis): its range and its labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) ticks: Vec<(f64, String)>,
    pub(crate) log: bool,
    /// Shown units per column unit (10⁶ for a `_S` column shown in µS).
    pub(crate) factor: f64,
    /// Log axes over a few integer values in a constant ratio (array sizes
    /// 16, 32, …, 1024): those values, in plot coordinates, as ticks.
    data_ticks: Vec<f64>,
}

/// Extra room between neighbouring tick labels, in points.
const TICK_GAP_PT: f64 = 4.0;

impl Axis {
    /// Plot coordinate of a data value.
    pub(crate) fn to_plot(&self, v: f64) -> f64 {
        let s = v * self.factor;
        if self.log {
            s.log10()
        } else {
            s
        }
    }

    /// The label of the tick nearest to `pos` (plotters asks by position).
    pub(crate) fn label_at(&self, pos: f64) -> String {
        self.ticks
            .iter()
            .min_by(|a, b| (a.0 - pos).abs().total_cmp(&(b.0 - pos).abs()))
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }

    /// An axis over the data `[min, max]` (column units; positive on a log
    /// axis), shown as `shown` says, plus a 5 % margin on each side. Its
    /// ticks are laid out for a length by [`Axis::fit_ticks`]. `values` are
    /// the distinct data values (for ticks at powers of two).
    pub(crate) fn new(min: f64, max: f64, log: bool, shown: &Shown, values: &[f64]) -> Axis {
        let f = shown.factor;
        let (lo, hi) = if log {
            padded((min * f).log10(), (max * f).log10())
        } else {
            padded(min * f, max * f)
        };
        let data_ticks = if log {
            geometric_integers(values.iter().map(|v| v * f))
                .into_iter()
                .map(f64::log10)
                .collect()
        } else {
            Vec::new()
        };
        let mut axis = Axis {
            lo,
            hi,
            ticks: Vec::new(),
            log,
            factor: f,
            data_ticks,
        };
        axis.fit_ticks(3.0 * crate::style::DPI, true);
        axis
    }

    /// Chooses the ticks for an axis `length_px` long: the densest round
    /// set (at most one tick per 0.45 in, per 0.35 in vertically) whose
    /// labels do not overlap, measured in the figure's font with
    /// [`TICK_GAP_PT`] between them.
    pub(crate) fn fit_ticks(&mut self, length_px: f64, horizontal: bool) {
        let inches = length_px / crate::style::DPI;
        let per_tick = if horizontal { 0.45 } else { 0.35 };
        let target = ((inches / per_tick).round() as usize).clamp(2, 10);
        let candidates = if self.log {
            self.log_candidates(target)
        } else {
            (1..=target)
                .rev()
                .map(|t| linear_ticks(self.lo, self.hi, t))
                .collect()
        };
        let fits = |t: &Vec<(f64, String)>, least: usize| {
            t.len() >= least && ticks_fit(t, self.lo, self.hi, length_px, horizontal)
        };
        let chosen = candidates
            .iter()
            .find(|t| fits(t, 3))
            .or_else(|| candidates.iter().find(|t| fits(t, 2)));
        self.ticks = match chosen {
            Some(t) => t.clone(),
            // Nothing fits (a tiny figure): the sparsest set, at most two.
            None => {
                let mut t = candidates.last().cloned().unwrap_or_default();
                if t.len() > 2 {
                    t = vec![t[0].clone(), t[t.len() - 1].clone()];
                }
                t
            }
        };
    }

    /// Tick sets for a log axis, in order of preference: the data's own
    /// values (every k-th), 1-2-5 and 1-3 per decade (up to 1.5 × `target`
    /// ticks), every k-th decade, then round linear values (for axes of
    /// about a decade, where too few of the others fall).
    fn log_candidates(&self, target: usize) -> Vec<Vec<(f64, String)>> {
        let (lo, hi) = (self.lo, self.hi);
        let inside = |p: f64| p >= lo - 1e-9 && p <= hi + 1e-9;
        let mut sets: Vec<Vec<f64>> = Vec::new();
        if self.data_ticks.len() >= 3 {
            for every in 1..self.data_ticks.len() {
                let t: Vec<f64> = self.data_ticks.iter().copied().step_by(every).collect();
                if t.len() <= target + 1 {
                    sets.push(t);
                }
            }
        }
        let (first, last) = (lo.floor() as i32, hi.ceil() as i32);
        for mantissas in [&[1.0, 2.0, 5.0][..], &[1.0, 3.0][..]] {
            let t: Vec<f64> = (first..=last)
                .flat_map(|k| mantissas.iter().map(move |m| (m * 10f64.powi(k)).log10()))
                .filter(|&p| inside(p))
                .collect();
            if 2 * t.len() <= 3 * target {
                sets.push(t);
            }
        }
        for every in 1..=(last - first + 1).max(1) {
            // On multiples of `every`, so that the decades look regular.
            let t: Vec<f64> = (first..=last)
                .filter(|k| k.rem_euclid(every) == 0)
                .map(f64::from)
                .filter(|&p| inside(p))
                .collect();
            if t.len() <= target + 1 {
                sets.push(t);
            }
        }
        let mut out: Vec<Vec<(f64, String)>> = sets
            .into_iter()
            .filter(|t| t.len() >= 2)
            .map(|t| log_labels(&t))
            .collect();
        if hi - lo < 1.5 {
            let (a, b) = (10f64.powf(lo), 10f64.powf(hi));
            out.extend((2..=target).rev().map(|t| {
                linear_ticks(a, b, t)
                    .into_iter()
                    .filter(|(v, _)| *v > 0.0)
                    .map(|(v, s)| (v.log10(), s))
                    .collect()
            }));
        }
        out
    }

    /// A categorical axis: `labels.len()` evenly spaced positions 0, 1, ...
    /// with a margin of half a cell, labelled with at most `max_labels`
    /// labels (every k-th when there are more).
    pub(crate) fn categories(labels: &[String], max_labels: usize) -> Axis {
        let n = labels.len();
        let every = n.div_ceil(max_labels.max(1)).max(1);
        Axis {
            lo: -0.5,
            hi: n as f64 - 0.5,
            ticks: labels
                .iter()
                .enumerate()
                .filter(|(i, _)| i % every == 0)
                .map(|(i, l)| (i as f64, l.clone()))
                .collect(),
            log: false,
            factor: 1.0,
            data_ticks: Vec::new(),
        }
    }
}

/// Whether tick labels at these positions keep [`TICK_GAP_PT`] apart on
/// an axis `length_px` long: horizontally by their measured widths,
/// vertically by the font's size.
pub(crate) fn ticks_fit(
    ticks: &[(f64, String)],
    lo: f64,
    hi: f64,
    length_px: f64,
    horizontal: bool,
) -> bool {
    let gap = px(TICK_GAP_PT);
    let at = |p: f64| (p - lo) / (hi - lo) * length_px;
    let extent = |s: &str| {
        if horizontal {
            width_px(s, SMALL_PT)
        } else {
            px(SMALL_PT)
        }
    };
    ticks.windows(2).all(|w| {
        let d = (at(w[1].0) - at(w[0].0)).abs();
        d >= (extent(&w[0].1) + extent(&w[1].1)) / 2.0 + gap
    })
}

/// Labels for log ticks (log10 of shown values): plain numbers when every
/// value lies in [10⁻³, 10⁵), else powers of ten (`10⁶`, `2×10⁶`).
fn log_labels(ticks: &[f64]) -> Vec<(f64, String)> {
    let values: Vec<f64> = ticks.iter().map(|p| round_sig(10f64.powf(*p))).collect();
    let plain = values.iter().all(|v| (1e-3..1e5).contains(v));
    ticks
        .iter()
        .zip(values)
        .map(|(&p, v)| {
            let label = if plain {
                compact(v)
            } else {
                let k = (v.log10() + 1e-9).floor() as i32;
                let m = (v / 10f64.powi(k) * 1e6).round() / 1e6;
                if m == 1.0 {
                    power_of_ten(k)
                } else {
                    format!("{}×{}", compact(m), power_of_ten(k))
                }
            };
            (p, label)
        })
        .collect()
}

/// `v` rounded to 12 significant digits (undoes 10^log10 round-off).
fn round_sig(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let k = v.abs().log10().floor() as i32;
    let s = 10f64.powi(11 - k);
    (v * s).round() / s
}

/// The values when there are at least three distinct ones, all integers,
/// each the previous times the same integer ratio ≥ 2 (16, 32, 64, …);
/// else nothing.
fn geometric_integers(values: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.filter(|x| x.is_finite() && *x > 0.0).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    let integer = |x: f64| (x - x.round()).abs() <= 1e-9 * x.max(1.0);
    if v.len() < 3 || !v.iter().all(|&x| integer(x)) {
        return Vec::new();
    }
    let ratio = v[1] / v[0];
    let constant = v
        .windows(2)
        .all(|w| (w[1] / w[0] - ratio).abs() <= 1e-9 * ratio);
    if ratio >= 2.0 - 1e-9 && integer(ratio) && constant {
        v.iter().map(|x| x.round()).collect()
    } else {
        Vec::new()
    }
}

impl Axis {
    /// The plotters coordinate for this axis: linear over `[lo, hi]` with
    /// grid lines and tick marks exactly at the ticks.
    pub(crate) fn coord(&self) -> Ticked {
        Ticked {
            lo: self.lo,
            hi: self.hi,
            keys: self.ticks.iter().map(|t| t.0).collect(),
        }
    }
}

/// A linear plotters coordinate whose key points are given. (plotters'
/// `WithKeyPoints<RangedCoordf64>` cannot take a label formatter.)
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    lo: f64,
    hi: f64,
    keys: Vec<f64>,
}

impl Ranged for Ticked {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = ((value - self.lo) / span).clamp(-10.0, 10.0);
        limit.0 + ((limit.1 - limit.0) as f64 * t + 1e-3).floor() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.keys.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// `[min, max]` widened by 5 % of the span on each side (or by a sensible
/// amount when all values are equal).
fn padded(min: f64, max: f64) -> (f64, f64) {
    let span = max - min;
    if span > 0.0 && span.is_finite() {
        (min - 0.05 * span, max + 0.05 * span)
    } else {
        let d = if min == 0.0 { 1.0 } else { 0.1 * min.abs() };
        (min - d, max + d)
    }
}

/// Ticks at multiples of a 1, 2, 2.5 or 5 × 10ᵏ step inside `[lo, hi]`, all
/// formatted with the same precision.
pub(crate) fn linear_ticks(lo: f64, hi: f64, target: usize) -> Vec<(f64, String)> {
    let span = hi - lo;
    if !(span > 0.0 && span.is_finite()) {
        return vec![(lo, compact(lo))];
    }
    // The smallest 1, 2, 2.5, 5 × 10ᵏ step that gives at most target + 1 ticks.
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let count = |step: f64| ((hi / step + 1e-9).floor() - (lo / step - 1e-9).ceil()) as usize + 1;
    let step = [1.0, 2.0, 2.5, 5.0, 10.0, 20.0]
        .iter()
        .map(|&m| m * mag)
        .find(|&step| count(step) <= target + 1)
        .unwrap_or(20.0 * mag);
    let start = (lo / step - 1e-9).ceil() as i64;
    let end = (hi / step + 1e-9).floor() as i64;
    let values: Vec<f64> = (start..=end)
        .map(|i| {
            let v = i as f64 * step;
            if v.abs() < step * 1e-9 {
                0.0
            } else {
                v
            }
        })
        .collect();
    let biggest = values.iter().fold(0f64, |a, v| a.max(v.abs()));
    let labels: Vec<String> = if biggest >= 1e5 || (biggest > 0.0 && biggest < 1e-3) {
        let exp = biggest.log10().floor();
        let mstep = step / 10f64.powf(exp);
        let dec = decimals(mstep);
        // One exponent for the whole axis (that of the largest tick), so
        // that the mantissas line up: 0.5e-6, 1.0e-6, 1.5e-6.
        let scale = 10f64.powf(exp);
        values
            .iter()
            .map(|&v| {
                if v == 0.0 {
                    "0".to_string()
                } else {
                    format!("{:.dec$}e{}", v / scale, exp as i32)
                }
            })
            .collect()
    } else {
        let dec = decimals(step);
        values.iter().map(|&v| format!("{v:.dec$}")).collect()
    };
    values.into_iter().zip(labels).collect()
}

/// The fewest decimals (up to 12) that write `step` exactly: 0 for 25,
/// 1 for 2.5, 2 for 0.25; so every multiple of it is written exactly too.
fn decimals(step: f64) -> usize {
    (0..12)
        .find(|&d| {
            let v = step * 10f64.powi(d as i32);
            (v - v.round()).abs() <= 1e-6 * v.abs().max(1.0)
        })
        .unwrap_or(12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_with_units() {
        assert_eq!(axis_label("time_s"), "time (s)");
        assert_eq!(axis_label("current_A"), "current (A)");
        assert_eq!(axis_label("accuracy_pct"), "accuracy (%)");
        assert_eq!(axis_label("wire_ohm"), "wire (Ω)");
        assert_eq!(axis_label("g_S"), "g (S)");
        assert_eq!(axis_label("g_uS"), "g (µS)");
        assert_eq!(axis_label("error_rel"), "error (relative)");
        assert_eq!(axis_label("error_mean_rel"), "error mean (relative)");
        assert_eq!(axis_label("array.wire_ohm"), "wire (Ω)");
        assert_eq!(axis_label("array.size"), "size");
        assert_eq!(axis_label("pulse_count"), "pulse count");
        assert_eq!(axis_label("s"), "s");
        assert_eq!(axis_label("_s"), " s");
    }

    #[test]
    fn compact_numbers() {
        assert_eq!(compact(2.5), "2.5");
        assert_eq!(compact(1e-6), "1e-6");
        assert_eq!(compact(2.5e-7), "2.5e-7");
        assert_eq!(compact(1000.0), "1000");
        assert_eq!(compact(0.001), "0.001");
        assert_eq!(compact(64.0), "64");
        assert_eq!(compact(-0.25), "-0.25");
        assert_eq!(compact(0.1 + 0.2), "0.3");
        assert_eq!(compact(123456.0), "1.235e5");
    }

    #[test]
    fn linear_ticks_are_round() {
        let t = linear_ticks(-0.05, 1.05, 5);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"]);
        let t = linear_ticks(0.9e-6, 2.1e-6, 5);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            labels,
            ["1.0e-6", "1.2e-6", "1.4e-6", "1.6e-6", "1.8e-6", "2.0e-6"]
        );
        let t = linear_ticks(0.2e-6, 2.6e-6, 5);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["0.5e-6", "1.0e-6", "1.5e-6", "2.0e-6", "2.5e-6"]);
        let t = linear_ticks(-1.0, 1.0e6, 3);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["0", "0.5e6", "1.0e6"]);
        let t = linear_ticks(0.0, 300.0, 5);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["0", "100", "200", "300"]);
        // A step of 25 needs no decimals, one of 2.5 one, 0.25 two.
        let t = linear_ticks(-10.0, 250.0, 10);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(
            labels,
            ["0", "25", "50", "75", "100", "125", "150", "175", "200", "225", "250"]
        );
        let t = linear_ticks(0.0, 0.8, 3);
        let labels: Vec<&str> = t.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["0.00", "0.25", "0.50", "0.75"]);
    }

    fn labels(a: &Axis) -> Vec<&str> {
        a.ticks.iter().map(|(_, s)| s.as_str()).collect()
    }

    /// An axis of `inches` along x over [min, max] shown as is.
    fn axis(min: f64, max: f64, log: bool, values: &[f64], inches: f64) -> Axis {
        let mut a = Axis::new(min, max, log, &Shown::plain(), values);
        a.fit_ticks(inches * crate::style::DPI, true);
        a
    }

    #[test]
    fn log_ticks() {
        // Five decades: decade ticks, as powers of ten.
        let a = axis(1e-6, 1e-2, true, &[], 3.0);
        assert_eq!(labels(&a), ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²"]);
        // Two decades: 1-2-5, plain numbers (not 10¹, 10², 10³).
        let a = axis(10.0, 1000.0, true, &[], 3.0);
        assert_eq!(labels(&a), ["10", "20", "50", "100", "200", "500", "1000"]);
        for (p, v) in a
            .ticks
            .iter()
            .zip([10.0f64, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0])
        {
            assert!((p.0 - v.log10()).abs() < 1e-12);
        }
        // Less than a decade.
        let a = axis(1.0, 8.0, true, &[], 3.0);
        assert_eq!(labels(&a), ["1", "2", "5"]);
        // Array sizes: the powers of two themselves, every other one when
        // all seven would not fit.
        let sizes = [16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0];
        let a = axis(64.0, 1024.0, true, &sizes[2..], 3.0);
        assert_eq!(labels(&a), ["64", "128", "256", "512", "1024"]);
        let a = axis(16.0, 1024.0, true, &sizes, 1.5);
        assert_eq!(labels(&a), ["16", "64", "256", "1024"]);
        // Twelve decades on a short axis: every few decades, regular.
        let a = axis(1e-12, 1.0, true, &[], 1.5);
        let ks: Vec<f64> = a.ticks.iter().map(|t| t.0).collect();
        assert!(ks.len() >= 2 && ks.len() <= 5, "{ks:?}");
        let step = ks[1] - ks[0];
        assert!(ks.windows(2).all(|w| w[1] - w[0] == step) && step == step.round());
        assert!(ks.iter().all(|k| k.rem_euclid(step) == 0.0), "{ks:?}");
        // Not geometric, or not integers: no data ticks.
        assert!(geometric_integers([16.0, 32.0, 48.0].into_iter()).is_empty());
        assert!(geometric_integers([0.5, 1.0, 2.0].into_iter()).is_empty());
        assert_eq!(
            geometric_integers([10.0, 100.0, 1000.0, 100.0].into_iter()),
            [10.0, 100.0, 1000.0]
        );
    }

    /// A small deterministic generator for the property test.
    fn lcg(state: &mut u64) -> f64 {
        *state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*state >> 11) as f64 / (1u64 << 53) as f64
    }

    #[test]
    fn chosen_ticks_never_overlap_and_stay_inside() {
        let mut s = 7u64;
        for case in 0..400 {
            let log = case % 2 == 0;
            let (min, max) = if log {
                let a = -15.0 + 25.0 * lcg(&mut s);
                (10f64.powf(a), 10f64.powf(a + 0.05 + 9.0 * lcg(&mut s)))
            } else {
                // Offsets of up to five spans (not 14.95224 to 14.95225).
                let span = 10f64.powf(12.0 * lcg(&mut s) - 6.0);
                let a = (lcg(&mut s) - 0.5) * 10.0 * span;
                (a, a + span)
            };
            let horizontal = case % 3 != 0;
            let inches = 0.8 + 6.0 * lcg(&mut s);
            let shown = crate::units::choose(None, max.abs().max(min.abs()));
            let mut a = Axis::new(min, max, log, &shown, &[]);
            let length = inches * crate::style::DPI;
            a.fit_ticks(length, horizontal);
            let what = format!("case {case}: [{min:e}, {max:e}] log {log}, {inches:.2} in");
            assert!(!a.ticks.is_empty(), "{what}");
            for (p, _) in &a.ticks {
                assert!(
                    *p >= a.lo - 1e-9 && *p <= a.hi + 1e-9,
                    "{what}: {:?}",
                    a.ticks
                );
            }
            assert!(
                a.ticks.len() <= 2 || ticks_fit(&a.ticks, a.lo, a.hi, length, horizontal),
                "{what}: {:?}",
                a.ticks
            );
            // A figure-sized axis gets at least three ticks.
            if inches >= 2.0 {
                assert!(a.ticks.len() >= 3, "{what}: {:?}", a.ticks);
            }
            // Labels are distinct (no two ticks read the same).
            let mut l = labels(&a);
            l.sort();
            l.dedup();
            assert_eq!(l.len(), a.ticks.len(), "{what}: {:?}", a.ticks);
        }
    }

    #[test]
    fn categories_thin_out() {
        let labels: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let a = Axis::categories(&labels, 6);
        assert_eq!(a.ticks.len(), 5);
        assert_eq!(a.ticks[1], (4.0, "4".to_string()));
    }
}
