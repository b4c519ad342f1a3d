//! Units from column-name suffixes (`_S`, `_J`, `_s`, `_pct`, …) and the
//! unit an axis or legend shows them in: an SI prefix chosen per axis
//! (BIPM, *The International System of Units*, 9th ed., 2019, table 7),
//! and for long times the minute, hour and day (ibid., table 8) or the
//! Julian year of 365.25 d (IAU).

/// What a unit measures, and so which units it may be shown in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Dim {
    /// A unit that takes SI prefixes; `power` 2 for areas (`mm²` = 1e-6 m²).
    Prefixed { symbol: &'static str, power: i32 },
    /// Time: prefixed seconds below two minutes, else min, h, d, yr.
    Time,
    /// Shown as written, never rescaled (`%`).
    Fixed,
    /// A ratio (`_rel`): no unit; a title from the column name says
    /// "(relative)", one the user wrote is left as it is.
    Ratio,
}

/// The unit of a column, from its name's suffix.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Unit {
    pub(crate) dim: Dim,
    /// Base units (s, S, J, m², …) per unit of the column.
    pub(crate) to_base: f64,
    /// The suffix as a unit symbol (`uS` → `µS`).
    pub(crate) written: &'static str,
}

const fn si(symbol: &'static str) -> Dim {
    Dim::Prefixed { symbol, power: 1 }
}

const AREA: Dim = Dim::Prefixed {
    symbol: "m",
    power: 2,
};

/// Suffix, symbol, dimension, base units per column unit. Case sensitive:
/// `S` is siemens, `s` seconds.
const SUFFIXES: &[(&str, &str, Dim, f64)] = &[
    ("s", "s", Dim::Time, 1.0),
    ("ms", "ms", Dim::Time, 1e-3),
    ("us", "µs", Dim::Time, 1e-6),
    ("ns", "ns", Dim::Time, 1e-9),
    ("ps", "ps", Dim::Time, 1e-12),
    ("min", "min", Dim::Time, 60.0),
    ("h", "h", Dim::Time, 3600.0),
    ("A", "A", si("A"), 1.0),
    ("mA", "mA", si("A"), 1e-3),
    ("uA", "µA", si("A"), 1e-6),
    ("nA", "nA", si("A"), 1e-9),
    ("pA", "pA", si("A"), 1e-12),
    ("V", "V", si("V"), 1.0),
    ("mV", "mV", si("V"), 1e-3),
    ("uV", "µV", si("V"), 1e-6),
    ("S", "S", si("S"), 1.0),
    ("mS", "mS", si("S"), 1e-3),
    ("uS", "µS", si("S"), 1e-6),
    ("nS", "nS", si("S"), 1e-9),
    ("ohm", "Ω", si("Ω"), 1.0),
    ("kohm", "kΩ", si("Ω"), 1e3),
    ("Mohm", "MΩ", si("Ω"), 1e6),
    ("F", "F", si("F"), 1.0),
    ("pF", "pF", si("F"), 1e-12),
    ("fF", "fF", si("F"), 1e-15),
    ("Hz", "Hz", si("Hz"), 1.0),
    ("kHz", "kHz", si("Hz"), 1e3),
    ("MHz", "MHz", si("Hz"), 1e6),
    ("GHz", "GHz", si("Hz"), 1e9),
    ("J", "J", si("J"), 1.0),
    ("mJ", "mJ", si("J"), 1e-3),
    ("uJ", "µJ", si("J"), 1e-6),
    ("nJ", "nJ", si("J"), 1e-9),
    ("pJ", "pJ", si("J"), 1e-12),
    ("fJ", "fJ", si("J"), 1e-15),
    ("W", "W", si("W"), 1.0),
    ("mW", "mW", si("W"), 1e-3),
    ("uW", "µW", si("W"), 1e-6),
    ("nW", "nW", si("W"), 1e-9),
    ("m", "m", si("m"), 1.0),
    ("mm", "mm", si("m"), 1e-3),
    ("um", "µm", si("m"), 1e-6),
    ("nm", "nm", si("m"), 1e-9),
    ("m2", "m²", AREA, 1.0),
    ("mm2", "mm²", AREA, 1e-6),
    ("um2", "µm²", AREA, 1e-12),
    ("pct", "%", Dim::Fixed, 1.0),
    ("rel", "relative", Dim::Ratio, 1.0),
];

/// SI prefixes from femto (10⁻¹⁵) to tera (10¹²), by exponent / 3 + 5.
const PREFIXES: [&str; 10] = ["f", "p", "n", "µ", "m", "", "k", "M", "G", "T"];

const MINUTE_S: f64 = 60.0;
const HOUR_S: f64 = 3600.0;
const DAY_S: f64 = 86_400.0;
/// The Julian year (365.25 d).
const YEAR_S: f64 = 31_557_600.0;

/// A column's name without its unit suffix (the last segment of a dotted
/// name), and its unit when the suffix names one.
pub(crate) fn split(column: &str) -> (&str, Option<Unit>) {
    let last = column.rsplit('.').next().unwrap_or(column);
    if let Some((name, suffix)) = last.rsplit_once('_') {
        if !name.is_empty() {
            if let Some(&(_, written, dim, to_base)) = SUFFIXES.iter().find(|(s, ..)| *s == suffix)
            {
                let unit = Unit {
                    dim,
                    to_base,
                    written,
                };
                return (name, Some(unit));
            }
        }
    }
    (last, None)
}

/// How an axis (or a legend) shows a column: `shown = value × factor`,
/// labelled `symbol` (`µS`, `h`, `×10⁶`; empty for plain numbers).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Shown {
    pub(crate) factor: f64,
    pub(crate) symbol: String,
    /// The column's own unit as written (`S`, `µS`); empty without one.
    pub(crate) written: String,
}

impl Shown {
    /// Numbers as they are, no unit.
    pub(crate) fn plain() -> Shown {
        Shown {
            factor: 1.0,
            symbol: String::new(),
            written: String::new(),
        }
    }
}

/// The unit to show a column's values in, for values of about `reference`
/// (in the column's unit; the largest magnitude on a linear axis, the
/// geometric middle on a logarithmic one): the SI prefix that puts it in
/// [1, 1000), or for times of two minutes and more the largest of min, h,
/// d, yr that it is at least two of. Without a unit, numbers outside
/// [0.01, 10⁵) get a common power of ten (`×10⁶`, `×10⁻³`).
pub(crate) fn choose(unit: Option<Unit>, reference: f64) -> Shown {
    let r = reference.abs();
    let Some(unit) = unit else {
        if r.is_finite() && r > 0.0 && !(1e-2..1e5).contains(&r) {
            let e = 3 * ((r.log10() + 1e-9) / 3.0).floor() as i32;
            return Shown {
                factor: 10f64.powi(-e),
                symbol: format!("×{}", power_of_ten(e)),
                written: String::new(),
            };
        }
        return Shown::plain();
    };
    let written = unit.written.to_string();
    let base = r * unit.to_base;
    let prefixed = |symbol: &str, power: i32, max_k: i32| {
        let k = if base > 0.0 && base.is_finite() {
            // Areas step by 10⁶: put them in [0.1, 10⁵) (0.2 mm², not
            // 200 000 µm²); other units in [1, 1000).
            let offset = if power == 2 { 1.0 } else { 0.0 };
            ((base.log10() + offset + 1e-9) / (3 * power) as f64).floor() as i32
        } else {
            0
        }
        .clamp(-5, max_k);
        let sup = if power == 2 { "²" } else { "" };
        Shown {
            factor: unit.to_base / 10f64.powi(3 * k * power),
            symbol: format!("{}{symbol}{sup}", PREFIXES[(k + 5) as usize]),
            written: written.clone(),
        }
    };
    match unit.dim {
        Dim::Ratio => Shown {
            factor: 1.0,
            symbol: String::new(),
            written,
        },
        Dim::Fixed => Shown {
            factor: 1.0,
            symbol: written.clone(),
            written,
        },
        Dim::Prefixed { symbol, power } => prefixed(symbol, power, 4),
        Dim::Time => {
            for (per, symbol) in [
                (YEAR_S, "yr"),
                (DAY_S, "d"),
                (HOUR_S, "h"),
                (MINUTE_S, "min"),
            ] {
                if base >= 2.0 * per {
                    return Shown {
                        factor: unit.to_base / per,
                        symbol: symbol.to_string(),
                        written,
                    };
                }
            }
            prefixed("s", 1, 0)
        }
    }
}

/// `10⁻³` for k = -3.
pub(crate) fn power_of_ten(k: i32) -> String {
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

/// An axis or legend title with the unit shown. A label the user wrote
/// keeps its words: the column's unit in parentheses (`(S)`) becomes the
/// shown one (`(µS)`); a label without parentheses gets the unit appended;
/// one with other parentheses gets it appended only when the numbers were
/// rescaled (else it is left as written).
pub(crate) fn title(label: &str, shown: &Shown) -> String {
    if shown.symbol.is_empty() {
        return label.to_string();
    }
    if !shown.written.is_empty() {
        let from = format!("({})", shown.written);
        if label.contains(&from) {
            return label.replacen(&from, &format!("({})", shown.symbol), 1);
        }
    }
    if label.contains('(') && shown.factor == 1.0 {
        return label.to_string();
    }
    format!("{label} ({})", shown.symbol)
}

/// The title of a column's axis or legend when the user gave none: its
/// name with the shown unit, in sentence case ("Time (h)", "Error mean
/// (relative)").
pub(crate) fn default_title(column: &str, shown: &Shown) -> String {
    let (name, unit) = split(column);
    let name = name.replace('_', " ");
    let label = match unit {
        Some(u) if u.dim == Dim::Ratio => format!("{name} ({})", u.written),
        _ => title(&name, shown),
    };
    sentence_case(&label)
}

/// Sentence case for a title: the first word is capitalised when it is a
/// plain lower-case word of two or more letters ("time" → "Time"); words
/// that may be symbols or names (`g`, `g_max`, `ibm-pcm`) are left.
pub(crate) fn sentence_case(label: &str) -> String {
    let first = label.split_whitespace().next().unwrap_or("");
    let plain = first.len() >= 2 && first.chars().all(|c| c.is_ascii_lowercase());
    if !plain || !label.starts_with(first) {
        return label.to_string();
    }
    let mut out = first[..1].to_ascii_uppercase();
    out.push_str(&label[1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(column: &str, reference: f64) -> (String, f64) {
        let s = choose(split(column).1, reference);
        (s.symbol, s.factor)
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs()
    }

    #[test]
    fn prefixes_put_values_in_one_to_a_thousand() {
        let cases = [
            ("g_S", 2.5e-5, "µS", 1e6),
            ("g_S", 1e-6, "µS", 1e6),
            ("g_S", 999e-9, "nS", 1e9),
            ("energy_J", 2e-9, "nJ", 1e9),
            ("energy_pJ", 2500.0, "nJ", 1e-3),
            ("r_ohm", 2.5, "Ω", 1.0),
            ("r_ohm", 2.0e4, "kΩ", 1e-3),
            ("i_A", 3e-14, "fA", 1e15),
            ("i_A", 3e-20, "fA", 1e15),
            ("area_m2", 2e-7, "mm²", 1e6),
            ("area_m2", 2e-9, "µm²", 1e12),
            ("accuracy_pct", 95.0, "%", 1.0),
            ("latency_s", 3e-6, "µs", 1e6),
            ("latency_s", 0.0, "s", 1.0),
        ];
        for (column, r, symbol, factor) in cases {
            let (s, f) = shown(column, r);
            assert_eq!(s, symbol, "{column} at {r}");
            assert!(close(f, factor), "{column} at {r}: factor {f} vs {factor}");
            if !["latency_s", "accuracy_pct", "r_ohm", "area_m2"].contains(&column) && r > 1e-18 {
                let v = r * f;
                assert!((1.0..1000.0).contains(&v), "{column}: {v}");
            }
        }
    }

    #[test]
    fn long_times_in_minutes_hours_days_years() {
        let cases = [
            (90.0, "s", 1.0),
            (119.0, "s", 1.0),
            (120.0, "min", 1.0 / 60.0),
            (2.0e4, "h", 1.0 / 3600.0),
            (1.7e5, "h", 1.0 / 3600.0),
            (1.8e5, "d", 1.0 / 86_400.0),
            (3.2e7, "d", 1.0 / 86_400.0),
            (6.4e7, "yr", 1.0 / 31_557_600.0),
            (0.02, "ms", 1e3),
        ];
        for (r, symbol, factor) in cases {
            let (s, f) = shown("time_s", r);
            assert_eq!(s, symbol, "{r} s");
            assert!(close(f, factor), "{r} s: {f}");
        }
        // A column in hours: 3 h is still hours, 72 h three days.
        assert_eq!(shown("t_h", 3.0).0, "h");
        let (s, f) = shown("t_h", 72.0);
        assert_eq!(s, "d");
        assert!(close(72.0 * f, 3.0));
    }

    #[test]
    fn unitless_numbers_get_a_power_of_ten() {
        assert_eq!(shown("pulses", 2.0e6), ("×10⁶".to_string(), 1e-6));
        assert_eq!(shown("pulses", 20_000.0), (String::new(), 1.0));
        let (s, f) = shown("ratio", 4e-5);
        assert_eq!(s, "×10⁻⁶");
        assert!(close(f, 1e6));
        let (s, f) = shown("ratio", 2.3e-3);
        assert_eq!(s, "×10⁻³");
        assert!(close(f, 1e3));
        assert_eq!(shown("ratio", 0.05), (String::new(), 1.0));
    }

    #[test]
    fn titles_carry_the_shown_unit() {
        let s = choose(split("energy_J").1, 2e-9);
        assert_eq!(
            title("Energy per inference (J)", &s),
            "Energy per inference (nJ)"
        );
        assert_eq!(title("Energy", &s), "Energy (nJ)");
        assert_eq!(title("Energy (per image)", &s), "Energy (per image) (nJ)");
        let s = choose(split("g_S").1, 2e-5);
        assert_eq!(
            title("Conductance (S), mean ± std", &s),
            "Conductance (µS), mean ± std"
        );
        let s = choose(split("accuracy_pct").1, 90.0);
        assert_eq!(title("Accuracy (%)", &s), "Accuracy (%)");
        assert_eq!(
            title("Accuracy at 1 s (in percent)", &s),
            "Accuracy at 1 s (in percent)"
        );
        assert_eq!(title("Accuracy", &s), "Accuracy (%)");
        assert_eq!(title("Size", &Shown::plain()), "Size");
        // A ratio has no unit: "(relative)" only in a title from the name.
        let s = choose(split("error_mean_rel").1, 0.3);
        assert_eq!(
            title("Mean relative output error", &s),
            "Mean relative output error"
        );
        assert_eq!(default_title("error_mean_rel", &s), "Error mean (relative)");
        let s = choose(split("array.r_wire_ohm").1, 2.5);
        assert_eq!(default_title("array.r_wire_ohm", &s), "r wire (Ω)");
        let s = choose(split("training_time_s").1, 2.0e4);
        assert_eq!(default_title("training_time_s", &s), "Training time (h)");
    }

    #[test]
    fn sentence_case_capitalises_plain_words_only() {
        assert_eq!(
            sentence_case("time after programming (s)"),
            "Time after programming (s)"
        );
        assert_eq!(sentence_case("Test accuracy (%)"), "Test accuracy (%)");
        assert_eq!(sentence_case("g max"), "g max");
        assert_eq!(sentence_case("g_max (S)"), "g_max (S)");
        assert_eq!(sentence_case("ibm-pcm, 256×256"), "ibm-pcm, 256×256");
        assert_eq!(sentence_case(""), "");
    }
}
