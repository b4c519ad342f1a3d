//! `xbarsim device list | show`: the library and a device's parameters,
//! as the models describe themselves ([`xbar_devices::describe`]). `device
//! pulse` and `device drift` are one-point runs ([`crate::point_cmd`]).

use xbar_devices::describe::{Parameter, Section, Value};
use xbar_devices::pulse::PulseSpec;
use xbar_devices::read_noise::ReadNoiseSpec;
use xbar_devices::units::{format_si, format_significant as sig};
use xbar_devices::{library, Citation, DeviceSpec};
use xbar_experiments::config::device_to_toml;

use clap::Args;

use crate::device_arg::resolve;
use crate::error::Result;
use crate::output::{aligned_table, fmt_f64, markdown_table, print, width};

/// `xbarsim device list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// Print a GitHub Markdown table (with DOI links) instead of aligned columns
    #[arg(long)]
    pub markdown: bool,
}

/// `xbarsim device show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// Library name (see `xbarsim device list`) or path to a TOML device file
    #[arg(value_name = "DEVICE")]
    pub device: String,
    /// Print the device as a TOML device file (SI units: S, s) to copy and edit
    #[arg(long)]
    pub toml: bool,
}

/// A relative quantity as a percentage, e.g. `3.5 %`.
fn percent(x: f64) -> String {
    format!("{} %", sig(x * 100.0, 3))
}

fn drift_summary(spec: &DeviceSpec) -> String {
    match &spec.drift {
        None => "-".to_string(),
        Some(d) => {
            let (lo, hi) = d.nu_mean_range(spec.g_min.siemens(), spec.g_max.siemens());
            let nu = if (hi - lo).abs() <= 1e-12 * hi.abs() {
                sig(lo, 3)
            } else {
                format!("{}–{}", sig(lo, 3), sig(hi, 3))
            };
            format!("ν̄ {nu}, t0 {}", format_si(d.t0_s, "s"))
        }
    }
}

fn read_noise_summary(spec: &DeviceSpec) -> String {
    match &spec.read_noise {
        None => "-".to_string(),
        Some(ReadNoiseSpec::Relative { sigma }) => format!("relative {}", percent(*sigma)),
        Some(other) => other.model().to_string(),
    }
}

/// "Nano Letters 10(4), 1297–1301" → "Nano Lett.", "IEEE International
/// Electron Devices Meeting (IEDM), ..." → "IEDM".
fn short_venue(venue: &str) -> String {
    let name = venue.split(',').next().unwrap_or(venue);
    let mut words: Vec<&str> = name.split_whitespace().collect();
    while words
        .last()
        .is_some_and(|w| w.starts_with(|c: char| c.is_ascii_digit()))
    {
        words.pop();
    }
    let name = words.join(" ");
    if let (Some(open), Some(close)) = (name.find('('), name.find(')')) {
        if open < close {
            return name[open + 1..close].to_string();
        }
    }
    if name.starts_with("Symposium on VLSI") {
        return "VLSI Symp.".to_string();
    }
    const ABBREVIATIONS: [(&str, &str); 14] = [
        ("Letters", "Lett."),
        ("Communications", "Commun."),
        ("Materials", "Mater."),
        ("Transactions", "Trans."),
        ("Journal", "J."),
        ("Physics", "Phys."),
        ("Applied", "Appl."),
        ("Advanced", "Adv."),
        ("Science", "Sci."),
        ("Reviews", "Rev."),
        ("Review", "Rev."),
        ("Proceedings", "Proc."),
        ("International", "Int."),
        ("Electronics", "Electron."),
    ];
    let several = words.len() > 1;
    words
        .iter()
        .map(|w| {
            if *w == "Nature" && several {
                "Nat."
            } else {
                ABBREVIATIONS
                    .iter()
                    .find(|(long, _)| long == w)
                    .map_or(*w, |(_, short)| short)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// "Jo et al., Nano Lett. 2010".
pub fn short_citation(c: &Citation) -> String {
    let first = c.authors.split(',').next().unwrap_or(&c.authors).trim();
    let first = first.split(" and ").next().unwrap_or(first);
    let surname = first.split_whitespace().last().unwrap_or(first);
    let several = c.authors.contains(',') || c.authors.contains(" and ");
    let et_al = if several { " et al." } else { "" };
    format!("{surname}{et_al}, {} {}", short_venue(&c.venue), c.year)
}

fn list_row(spec: &DeviceSpec, markdown: bool) -> Vec<String> {
    let (levels, nl, c2c) = match spec.pulse.as_ref().map(PulseSpec::summary) {
        None => ("-".to_string(), "-".to_string(), "-".to_string()),
        Some(s) => (
            s.levels,
            s.nonlinearity,
            s.c2c.map_or_else(|| "per bin".to_string(), percent),
        ),
    };
    let source = match &spec.citation {
        None => "-".to_string(),
        Some(c) => {
            let short = short_citation(c);
            match (&c.doi, markdown) {
                (Some(doi), true) => format!("{short}, [doi:{doi}](https://doi.org/{doi})"),
                _ => short,
            }
        }
    };
    vec![
        spec.name.clone(),
        spec.technology.clone(),
        format_si(spec.g_min.siemens(), "S"),
        format_si(spec.g_max.siemens(), "S"),
        levels,
        nl,
        c2c,
        drift_summary(spec),
        read_noise_summary(spec),
        source,
    ]
}

/// `xbarsim device list`.
pub fn list(args: &ListArgs) -> Result<()> {
    let header = [
        "name",
        "technology",
        "g_min",
        "g_max",
        "pulses LTP/LTD",
        "NL LTP/LTD",
        "C2C",
        "drift",
        "read noise",
        "source",
    ];
    let rows: Vec<Vec<String>> = library::all()
        .iter()
        .map(|d| list_row(d, args.markdown))
        .collect();
    let text = if args.markdown {
        markdown_table(&header, &rows)
    } else {
        aligned_table(&header, &rows)
    };
    print(&text)
}

/// A section's heading: `Drift  [drift]   G(t) = …`.
fn heading(section: &Section) -> String {
    let mut text = section.title.to_string();
    if let Some(table) = section.table {
        text.push_str(&format!("  [{table}]"));
    }
    if let Some(equation) = section.equation {
        text.push_str(&format!("   {equation}"));
    }
    text
}

/// Units whose values read better with an SI prefix (`2.5e-7 s (250 ns)`).
fn takes_prefix(unit: &str) -> bool {
    matches!(unit, "S" | "s" | "V" | "A" | "Ω")
}

/// A derived quantity: four significant digits, with an SI prefix when it
/// has a unit.
fn rounded(x: f64, unit: &str) -> String {
    if unit.is_empty() {
        sig(x, 4)
    } else {
        format_si(x, unit)
    }
}

/// A value as text. Parameters print as written in the device file, with
/// their unit (and its SI-prefixed form); derived quantities rounded.
fn value_text(p: &Parameter, derived: bool) -> String {
    let unit = p.unit;
    let with_unit = |text: String| {
        if unit.is_empty() {
            text
        } else {
            format!("{text} {unit}")
        }
    };
    match &p.value {
        Value::Text(text) => text.clone(),
        Value::Count(n) => with_unit(n.to_string()),
        Value::List(list) if list.is_empty() => "[]".to_string(),
        Value::List(list) => {
            let items: Vec<String> = list.iter().map(|x| fmt_f64(*x)).collect();
            with_unit(format!("[{}]", items.join(", ")))
        }
        Value::Number(x) if derived => rounded(*x, unit),
        Value::Number(x) => {
            let text = with_unit(fmt_f64(*x));
            let si = format_si(*x, unit);
            if takes_prefix(unit) && *x != 0.0 && x.is_finite() && si != text {
                format!("{text} ({si})")
            } else {
                text
            }
        }
        Value::Range(lo, hi) => {
            let (lo, hi) = (rounded(*lo, unit), rounded(*hi, unit));
            if lo == hi {
                lo
            } else {
                format!("{lo} … {hi}")
            }
        }
    }
}

/// `device show`: the device's name and description, each section of
/// [`DeviceSpec::describe`] as aligned `key  value  meaning` rows (derived
/// quantities in parentheses), then the citation.
fn show_text(spec: &DeviceSpec) -> String {
    let sections = spec.describe();
    // (key, value, meaning) rows of each section.
    let rows: Vec<Vec<(String, String, &str)>> = sections
        .iter()
        .map(|s| {
            let parameters = s
                .parameters
                .iter()
                .map(|p| (p.key.clone(), value_text(p, false), p.meaning.as_str()));
            let derived = s.derived.iter().map(|p| {
                (
                    format!("({})", p.key),
                    value_text(p, true),
                    p.meaning.as_str(),
                )
            });
            parameters.chain(derived).collect()
        })
        .collect();
    let key_width = rows
        .iter()
        .flatten()
        .map(|r| width(&r.0))
        .max()
        .unwrap_or(0);
    let value_width = rows
        .iter()
        .flatten()
        .map(|r| width(&r.1))
        .max()
        .unwrap_or(0)
        .min(40);

    let mut text = spec.name.clone();
    if !spec.technology.is_empty() {
        text.push_str(&format!(" ({})", spec.technology));
    }
    text.push('\n');
    if !spec.description.is_empty() {
        text.push_str(&format!("{}\n", spec.description));
    }
    for (section, rows) in sections.iter().zip(&rows) {
        if let Some(consequence) = section.absent {
            text.push_str(&format!("\n{}: none ({consequence})\n", heading(section)));
            continue;
        }
        text.push_str(&format!("\n{}\n", heading(section)));
        for (key, value, meaning) in rows {
            let mut line = format!("  {key}{}", " ".repeat(key_width - width(key) + 2));
            line.push_str(value);
            if !meaning.is_empty() {
                let pad = value_width.saturating_sub(width(value)) + 2;
                line.push_str(&" ".repeat(pad));
                line.push_str(meaning);
            }
            text.push_str(line.trim_end());
            text.push('\n');
        }
    }
    text.push_str("\nCitation\n");
    match &spec.citation {
        None => text.push_str("  none (not a published device)\n"),
        Some(c) => {
            text.push_str(&format!("  {c}\n"));
            if let Some(doi) = &c.doi {
                text.push_str(&format!("  https://doi.org/{doi}\n"));
            }
            if let Some(from) = &c.parameters_from {
                text.push_str(&format!("  parameters from: {from}\n"));
            }
        }
    }
    text
}

/// The `--toml` header: what the file is and its units.
fn toml_header(spec: &DeviceSpec, arg: &str) -> String {
    format!(
        "\
# xbarsim device file: `{name}`, written by xbarsim {version}
#   (xbarsim device show {arg} --toml)
#
# Units are SI: conductances in siemens (S), times in seconds (s, keys ending
# in _s). Nonlinearity labels (nl_*), c2c, variability and fault rates are
# dimensionless. A missing section ([drift], [read_noise], ...) means the effect
# is not modelled; unknown keys are errors. `xbarsim device show FILE` explains
# every key. To use it: rename `name`, edit the values, save as my-device.toml:
#   xbarsim device pulse --device my-device.toml --output curve.csv
#
",
        name = spec.name,
        version = env!("CARGO_PKG_VERSION"),
    )
}

/// `xbarsim device show`.
pub fn show(args: &ShowArgs) -> Result<()> {
    let device = resolve(&args.device)?;
    if args.toml {
        let mut text = toml_header(&device.spec, &args.device);
        text.push_str(&device_to_toml(&device.spec));
        print(&text)
    } else {
        print(&show_text(&device.spec))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citations_shorten_to_surname_venue_year() {
        let jo = library::preset("ag-a-si").unwrap().citation.unwrap();
        assert_eq!(short_citation(&jo), "Jo et al., Nano Lett. 2010");
        let joshi = library::preset("ibm-pcm").unwrap().citation.unwrap();
        assert_eq!(short_citation(&joshi), "Joshi et al., Nat. Commun. 2020");
        let park = library::preset("pcmo").unwrap().citation.unwrap();
        assert_eq!(short_citation(&park), "Park et al., IEDM 2013");
        let wan = library::preset("neurram-rram").unwrap().citation.unwrap();
        assert_eq!(short_citation(&wan), "Wan et al., Nature 2022");
    }

    #[test]
    fn list_summarises_drift_and_noise() {
        let pcm = library::preset("ibm-pcm").unwrap();
        assert_eq!(drift_summary(&pcm), "ν̄ 0.049–0.1, t0 20 s");
        assert_eq!(read_noise_summary(&pcm), "pcm-1/f");
        let row = list_row(&library::preset("ag-a-si").unwrap(), false);
        assert_eq!(row[4..7], ["97/97", "2.4/-4.88", "3.5 %"]);
    }

    #[test]
    fn show_lists_every_section_and_the_citation() {
        for spec in library::all() {
            let text = show_text(&spec);
            for title in [
                "Conductance range",
                "[programming]",
                "[pulse]",
                "[drift]",
                "[iv]",
                "Citation",
            ] {
                assert!(text.contains(title), "{}: {title}", spec.name);
            }
        }
        let text = show_text(&library::preset("ibm-pcm").unwrap());
        assert!(
            text.contains("t0_s")
                && text.contains("q_coeff")
                && text.contains("10.1038/s41467-020-16108-9")
        );
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(3.5000000000000004, 3), "3.5");
        assert_eq!(sig(0.049, 3), "0.049");
        assert_eq!(sig(12.5, 4), "12.5");
    }
}
