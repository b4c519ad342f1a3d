//! Axis labels from column names, tick positions and tick label formatting.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};

/// Unit suffixes that [`axis_label`] recognises, and how they are written.
const UNITS: &[(&str, &str)] = &[
    ("s", "s"),
    ("ms", "ms"),
    ("us", "µs"),
    ("ns", "ns"),
    ("A", "A"),
    ("mA", "mA"),
    ("uA", "µA"),
    ("nA", "nA"),
    ("V", "V"),
    ("mV", "mV"),
    ("S", "S"),
    ("mS", "mS"),
    ("uS", "µS"),
    ("nS", "nS"),
    ("ohm", "Ω"),
    ("kohm", "kΩ"),
    ("Mohm", "MΩ"),
    ("pct", "%"),
    ("F", "F"),
    ("Hz", "Hz"),
    ("kHz", "kHz"),
    ("MHz", "MHz"),
    ("GHz", "GHz"),
    ("J", "J"),
    ("pJ", "pJ"),
    ("fJ", "fJ"),
    ("W", "W"),
    ("mW", "mW"),
    ("uW", "µW"),
    ("m", "m"),
    ("um", "µm"),
    ("nm", "nm"),
    ("rel", "relative"),
];

/// A human axis label for a column name: the last segment of a dotted name,
/// underscores as spaces, and a known unit suffix in parentheses.
///
/// Units: `s`, `A`, `V`, `S`, `uS` (µS), `ohm` (Ω), `pct` (%), `F`, `Hz`,
/// `J`, `W`, `m`, `rel` (relative), and the common prefixed forms (`ms`,
/// `us`, `ns`, `mA`, `uA`, `nA`, `mV`, `mS`, `nS`, `kohm`, `Mohm`, `kHz`,
/// `MHz`, `GHz`, `pJ`, `fJ`, `mW`, `uW`, `um`, `nm`). Suffixes are case
/// sensitive (`S` is siemens, `s` seconds).
///
/// ```
/// use xbar_plots::axis_label;
/// assert_eq!(axis_label("time_s"), "time (s)");
/// assert_eq!(axis_label("accuracy_pct"), "accuracy (%)");
/// assert_eq!(axis_label("array.r_wire_ohm"), "r wire (Ω)");
/// assert_eq!(axis_label("device.g_max"), "g max");
/// ```
pub fn axis_label(column: &str) -> String {
    let last = column.rsplit('.').next().unwrap_or(column);
    if let Some((name, suffix)) = last.rsplit_once('_') {
        if !name.is_empty() {
            if let Some((_, unit)) = UNITS.iter().find(|(s, _)| *s == suffix) {
                return format!("{} ({unit})", name.replace('_', " "));
            }
        }
    }
    last.replace('_', " ")
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

/// `10⁻³` for k = -3.
fn power_of_ten(k: i32) -> String {
    let sup: String = k
        .to_string()
        .chars()
        .map(|c| match c {
            '-' => '⁻',
            '0' => '⁰',
            '1' => '¹',
            '2' => '²',
            '3' => '³',
            '4' => '⁴',
            '5' => '⁵',
            '6' => '⁶',
            '7' => '⁷',
            '8' => '⁸',
            _ => '⁹',
        })
        .collect();
    format!("10{sup}")
}

/// One axis in plot coordinates (log10 of the value on a log axis): its
/// range and its labelled ticks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Axis {
    pub(crate) lo: f64,
    pub(crate) hi: f64,
    pub(crate) ticks: Vec<(f64, String)>,
    pub(crate) log: bool,
}

impl Axis {
    /// Plot coordinate of a data value.
    pub(crate) fn to_plot(&self, v: f64) -> f64 {
        if self.log {
            v.log10()
        } else {
            v
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

    /// A linear axis over `[min, max]` plus a 5 % margin on each side, with
    /// about `target` ticks.
    pub(crate) fn linear(min: f64, max: f64, target: usize) -> Axis {
        let (lo, hi) = padded(min, max);
        Axis {
            lo,
            hi,
            ticks: linear_ticks(lo, hi, target),
            log: false,
        }
    }

    /// A logarithmic axis over the positive `[min, max]`: ticks at powers of
    /// ten (labelled 10ᵏ), or at 1, 2, 5 × 10ᵏ over less than two decades.
    pub(crate) fn log(min: f64, max: f64, target: usize) -> Axis {
        let (lo, hi) = padded(min.log10(), max.log10());
        let first = lo.ceil() as i32;
        let last = hi.floor() as i32;
        let mut ticks = Vec::new();
        if last - first >= 1 {
            let count = (last - first + 1) as usize;
            let every = count.div_ceil(target.max(2)).max(1) as i32;
            // Keep the decade ticks on multiples of `every` so they look regular.
            let mut k = first + (every - first.rem_euclid(every)) % every;
            while k <= last {
                ticks.push((k as f64, power_of_ten(k)));
                k += every;
            }
        } else {
            for k in (first - 1)..=(last + 1) {
                for m in [1.0, 2.0, 5.0] {
                    let p = (m * 10f64.powi(k)).log10();
                    if p >= lo - 1e-12 && p <= hi + 1e-12 {
                        ticks.push((p, compact(m * 10f64.powi(k))));
                    }
                }
            }
            if ticks.len() < 2 {
                ticks = linear_ticks(10f64.powf(lo), 10f64.powf(hi), target)
                    .into_iter()
                    .filter(|(v, _)| *v > 0.0)
                    .map(|(v, s)| (v.log10(), s))
                    .collect();
            }
        }
        Axis {
            lo,
            hi,
            ticks,
            log: true,
        }
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
        }
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
    let (m, step) = [1.0, 2.0, 2.5, 5.0, 10.0, 20.0]
        .iter()
        .map(|&m| (m, m * mag))
        .find(|&(_, step)| count(step) <= target + 1)
        .unwrap_or((20.0, 20.0 * mag));
    let m = if m >= 10.0 { m / 10.0 } else { m };
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
    let extra = usize::from(m == 2.5);
    let labels: Vec<String> = if biggest >= 1e5 || (biggest > 0.0 && biggest < 1e-3) {
        let exp = biggest.log10().floor();
        let mstep = step / 10f64.powf(exp);
        let dec = (-(mstep.log10() + 1e-9).floor()).max(0.0) as usize + extra;
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
        let dec = (-(step.log10() + 1e-9).floor()).max(0.0) as usize + extra;
        values.iter().map(|&v| format!("{v:.dec$}")).collect()
    };
    values.into_iter().zip(labels).collect()
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
    }

    #[test]
    fn log_ticks_are_decades() {
        let a = Axis::log(1e-6, 1e-2, 6);
        let labels: Vec<&str> = a.ticks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["10⁻⁶", "10⁻⁵", "10⁻⁴", "10⁻³", "10⁻²"]);
        let a = Axis::log(1.0, 8.0, 6);
        let labels: Vec<&str> = a.ticks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(labels, ["1", "2", "5"]);
        let a = Axis::log(1e-12, 1.0, 6);
        assert!(a.ticks.len() <= 7 && a.ticks.len() >= 3, "{:?}", a.ticks);
    }

    #[test]
    fn categories_thin_out() {
        let labels: Vec<String> = (0..20).map(|i| i.to_string()).collect();
        let a = Axis::categories(&labels, 6);
        assert_eq!(a.ticks.len(), 5);
        assert_eq!(a.ticks[1], (4.0, "4".to_string()));
    }
}
