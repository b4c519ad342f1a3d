//! `xbarsim device list | show | pulse | drift`.

use serde_json::json;
use xbar_devices::drift::{DriftSpec, LogLinear};
use xbar_devices::pulse::PulseSpec;
use xbar_devices::read_noise::ReadNoiseSpec;
use xbar_devices::units::{format_si, format_significant as sig};
use xbar_devices::{library, Citation, DeviceSpec, IvSpec};
use xbar_experiments::config::device_to_toml;

use crate::cli::{DriftArgs, ListArgs, PulseArgs, ShowArgs};
use crate::device_arg::resolve;
use crate::error::{CliError, Result};
use crate::output::{
    aligned_table, check_output_path, device_json, fmt_f64, markdown_table, print, sidecar,
    sidecar_path, width, write_csv_with_sidecar, Csv, Field,
};
use xbar_experiments::measure::{
    self, default_pulses, default_targets, drift_stats, no_pulse_model, pulse_curve,
};

/// A relative quantity as a percentage, e.g. `3.5 %`.
fn percent(x: f64) -> String {
    format!("{} %", sig(x * 100.0, 3))
}

/// Range of the mean drift exponent over the device's conductance range.
fn nu_range(drift: &DriftSpec, spec: &DeviceSpec) -> (f64, f64) {
    let g_r_low = spec.g_min.siemens() / spec.g_max.siemens();
    let (a, b) = (drift.nu_mean.at(g_r_low), drift.nu_mean.at(1.0));
    (a.min(b), a.max(b))
}

fn drift_summary(spec: &DeviceSpec) -> String {
    match &spec.drift {
        None => "-".to_string(),
        Some(d) => {
            let (lo, hi) = nu_range(d, spec);
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
        Some(ReadNoiseSpec::PcmOneOverF { .. }) => "pcm-1/f".to_string(),
        Some(ReadNoiseSpec::Relative { sigma }) => format!("relative {}", percent(*sigma)),
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
    let (levels, nl, c2c) = match &spec.pulse {
        None => ("-".to_string(), "-".to_string(), "-".to_string()),
        Some(PulseSpec::Exponential {
            pulses_ltp,
            pulses_ltd,
            nl_ltp,
            nl_ltd,
            c2c,
        }) => (
            format!("{pulses_ltp}/{pulses_ltd}"),
            format!("{nl_ltp}/{nl_ltd}"),
            percent(*c2c),
        ),
        Some(PulseSpec::SoftBounds {
            alpha_up,
            alpha_down,
            c2c,
        }) => (
            "soft bounds".to_string(),
            format!("α {alpha_up}/{alpha_down}"),
            percent(*c2c),
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

/// One section of `device show`: a title and `(key, value, meaning)` rows.
struct Section {
    title: String,
    rows: Vec<(String, String, String)>,
}

impl Section {
    fn new(title: impl Into<String>) -> Self {
        Section {
            title: title.into(),
            rows: Vec::new(),
        }
    }

    fn row(&mut self, key: &str, value: impl Into<String>, meaning: impl Into<String>) {
        self.rows
            .push((key.to_string(), value.into(), meaning.into()));
    }
}

/// A conductance as `3.8462e-8 S (38.46 nS)`.
fn siemens(g: f64) -> String {
    if g == 0.0 {
        return "0 S".to_string();
    }
    format!("{} S ({})", fmt_f64(g), format_si(g, "S"))
}

fn log_linear_rows(section: &mut Section, key: &str, l: &LogLinear, meaning: &str) {
    section.row(
        &format!("{key}.slope"),
        fmt_f64(l.slope),
        format!("{meaning}: coefficient of ln g_r"),
    );
    section.row(
        &format!("{key}.intercept"),
        fmt_f64(l.intercept),
        format!("{meaning} at g_r = 1"),
    );
    section.row(&format!("{key}.min"), fmt_f64(l.min), "lower clip");
    section.row(
        &format!("{key}.max"),
        if l.max.is_infinite() {
            "inf".to_string()
        } else {
            fmt_f64(l.max)
        },
        "upper clip",
    );
}

fn show_text(spec: &DeviceSpec) -> String {
    let mut sections = Vec::new();

    let mut range = Section::new("Conductance range");
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    range.row("g_min", siemens(g_min), "lowest programmable conductance");
    range.row("g_max", siemens(g_max), "highest programmable conductance");
    if g_min > 0.0 {
        range.row(
            "(on/off)",
            sig(g_max / g_min, 4),
            format!(
                "g_max/g_min; resistances {} … {}",
                format_si(1.0 / g_max, "Ω"),
                format_si(1.0 / g_min, "Ω")
            ),
        );
    }
    sections.push(range);

    let mut programming = Section::new("Programming  [programming]");
    match &spec.programming {
        None => programming.row("", "none", "targets are written exactly"),
        Some(p) => {
            programming.row(
                "levels",
                p.levels.map_or("analog".to_string(), |l| l.to_string()),
                "equally spaced levels between g_min and g_max",
            );
            if p.sigma_poly.is_empty() {
                programming.row("sigma_poly", "[]", "no programming noise");
            } else {
                let coefficients: Vec<String> = p.sigma_poly.iter().map(|c| fmt_f64(*c)).collect();
                programming.row(
                    "sigma_poly",
                    format!("[{}] S", coefficients.join(", ")),
                    "σ_prog(g_r) = Σ cₖ·g_rᵏ, g_r = g/g_max",
                );
                for g_r in [0.1, 0.5, 1.0] {
                    programming.row(
                        &format!("(σ_prog at g_r {g_r})"),
                        format_si(p.sigma(g_r * g_max, g_max), "S"),
                        "",
                    );
                }
            }
            match &p.write_verify {
                None => programming.row("write_verify", "none", "single write"),
                Some(wv) => {
                    programming.row(
                        "write_verify.max_iterations",
                        wv.max_iterations.to_string(),
                        "attempts in all",
                    );
                    programming.row(
                        "write_verify.tolerance",
                        fmt_f64(wv.tolerance),
                        format!(
                            "accepted error, relative to g_max ({})",
                            format_si(wv.tolerance * g_max, "S")
                        ),
                    );
                }
            }
        }
    }
    sections.push(programming);

    let mut pulse = Section::new("Pulse updates  [pulse]");
    match &spec.pulse {
        None => pulse.row("", "none", "no LTP/LTD pulse model"),
        Some(PulseSpec::Exponential {
            pulses_ltp,
            pulses_ltd,
            nl_ltp,
            nl_ltd,
            c2c,
        }) => {
            pulse.row(
                "model",
                "exponential",
                "NeuroSim exponential LTP/LTD curves",
            );
            pulse.row(
                "pulses_ltp",
                pulses_ltp.to_string(),
                "pulses from g_min to g_max",
            );
            pulse.row(
                "pulses_ltd",
                pulses_ltd.to_string(),
                "pulses from g_max to g_min",
            );
            pulse.row(
                "nl_ltp",
                nl_ltp.to_string(),
                "LTP nonlinearity label (NeuroSim), |NL| ≤ 9",
            );
            pulse.row(
                "nl_ltd",
                nl_ltd.to_string(),
                "LTD nonlinearity label (negative: saturating depression)",
            );
            pulse.row(
                "c2c",
                c2c.to_string(),
                format!(
                    "cycle-to-cycle σ per pulse, relative to g_max − g_min ({})",
                    percent(*c2c)
                ),
            );
        }
        Some(PulseSpec::SoftBounds {
            alpha_up,
            alpha_down,
            c2c,
        }) => {
            pulse.row(
                "model",
                "soft-bounds",
                "steps proportional to the distance to the bound",
            );
            pulse.row(
                "alpha_up",
                alpha_up.to_string(),
                "fraction of g_max − g gained per up pulse",
            );
            pulse.row(
                "alpha_down",
                alpha_down.to_string(),
                "fraction of g − g_min lost per down pulse",
            );
            pulse.row(
                "c2c",
                c2c.to_string(),
                format!(
                    "cycle-to-cycle σ of each step, relative to the step ({})",
                    percent(*c2c)
                ),
            );
        }
    }
    sections.push(pulse);

    let mut drift =
        Section::new("Drift  [drift]   G(t) = G(t0)·(t/t0)^(−ν), ν ~ |N(μ_ν(g_r), σ_ν(g_r))|");
    match &spec.drift {
        None => drift.row("", "none", "conductances do not drift"),
        Some(d) => {
            drift.row(
                "t0_s",
                format!("{} s", fmt_f64(d.t0_s)),
                "time of the reference read; no drift before it",
            );
            log_linear_rows(&mut drift, "nu_mean", &d.nu_mean, "μ_ν");
            log_linear_rows(&mut drift, "nu_std", &d.nu_std, "σ_ν");
            let (lo, hi) = nu_range(d, spec);
            drift.row(
                "(μ_ν over the range)",
                if lo == hi {
                    sig(lo, 4)
                } else {
                    format!("{} … {}", sig(lo, 4), sig(hi, 4))
                },
                "μ_ν(g_r) = clip(slope·ln g_r + intercept, min, max)",
            );
        }
    }
    sections.push(drift);

    let mut noise = Section::new("Read noise  [read_noise]");
    match &spec.read_noise {
        None => noise.row("", "none", "reads are noiseless"),
        Some(ReadNoiseSpec::Relative { sigma }) => {
            noise.row("model", "relative", "g_read = g·(1 + σ·ξ)");
            noise.row(
                "sigma",
                sigma.to_string(),
                format!("relative σ ({})", percent(*sigma)),
            );
        }
        Some(ReadNoiseSpec::PcmOneOverF {
            q_coeff,
            q_exponent,
            g_r_floor,
            q_max,
            t_read_s,
        }) => {
            noise.row(
                "model",
                "pcm-1/f",
                "σ = |g|·Q_s(g_r)·√ln((t + t_read)/(2·t_read))",
            );
            noise.row(
                "q_coeff",
                q_coeff.to_string(),
                "Q_s = min(q_coeff / max(g_r^q_exponent, g_r_floor), q_max)",
            );
            noise.row("q_exponent", q_exponent.to_string(), "exponent of g_r");
            noise.row(
                "g_r_floor",
                g_r_floor.to_string(),
                "floor of g_r^q_exponent",
            );
            noise.row("q_max", q_max.to_string(), "upper clip of Q_s");
            noise.row(
                "t_read_s",
                format!("{} s", fmt_f64(*t_read_s)),
                format!("read duration ({})", format_si(*t_read_s, "s")),
            );
        }
    }
    sections.push(noise);

    let mut d2d = Section::new("Device-to-device variability  [variability]");
    if spec.variability.is_none() {
        d2d.row("", "none", "every device has the nominal parameters");
    } else {
        let v = &spec.variability;
        d2d.row(
            "g_min",
            v.g_min.to_string(),
            "relative σ of each device's g_min",
        );
        d2d.row(
            "g_max",
            v.g_max.to_string(),
            "relative σ of each device's g_max",
        );
        d2d.row(
            "nl",
            v.nl.to_string(),
            "absolute σ of each device's NL labels",
        );
    }
    sections.push(d2d);

    let mut faults = Section::new("Stuck-at faults  [faults]");
    if spec.faults.is_none() {
        faults.row("", "none", "every device works");
    } else {
        faults.row(
            "stuck_on",
            spec.faults.stuck_on.to_string(),
            "probability of a device stuck at g_max",
        );
        faults.row(
            "stuck_off",
            spec.faults.stuck_off.to_string(),
            "probability of a device stuck at g_min",
        );
    }
    sections.push(faults);

    let mut iv = Section::new("Cell I-V  [iv]");
    match &spec.iv {
        IvSpec::Linear => iv.row("model", "linear", "ohmic, I = g·V"),
        IvSpec::Sinh { a_per_volt } => {
            iv.row("model", "sinh", "I = (g/a)·sinh(a·V)");
            iv.row(
                "a_per_volt",
                format!("{a_per_volt} 1/V"),
                "voltage scale a = 1/V0",
            );
        }
    }
    sections.push(iv);

    let mut text = spec.name.clone();
    if !spec.technology.is_empty() {
        text.push_str(&format!(" ({})", spec.technology));
    }
    text.push('\n');
    if !spec.description.is_empty() {
        text.push_str(&format!("{}\n", spec.description));
    }
    let key_width = sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| width(&r.0)))
        .max()
        .unwrap_or(0);
    let value_width = sections
        .iter()
        .flat_map(|s| s.rows.iter().map(|r| width(&r.1)))
        .max()
        .unwrap_or(0)
        .min(40);
    for section in &sections {
        if let [(key, value, meaning)] = section.rows.as_slice() {
            if key.is_empty() {
                text.push_str(&format!("\n{}: {value} ({meaning})\n", section.title));
                continue;
            }
        }
        text.push_str(&format!("\n{}\n", section.title));
        for (key, value, meaning) in &section.rows {
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

/// `xbarsim device pulse`.
pub fn pulse(args: &PulseArgs) -> Result<()> {
    let device = resolve(&args.device)?;
    check_output_path(&args.output)?;
    let spec = &device.spec;
    let defaults = default_pulses(spec).ok_or_else(|| no_pulse_model(spec))?;
    let plan = args.pulses.map_or(defaults, |n| (n, n));
    let mut csv = Csv::new(&["pulse", "phase", "device", "conductance_S"]);
    pulse_curve::<CliError>(spec, args.count, plan, args.seed, |pulse, phase, g| {
        for (k, g) in g.iter().enumerate() {
            csv.row(&[
                Field::Int(pulse),
                Field::Text(phase.label()),
                Field::Int(k as u64),
                Field::Float(*g),
            ])?;
        }
        Ok(())
    })?;
    let meta = sidecar(
        "device pulse",
        args.seed,
        vec![device_json(spec, &device.source)],
        json!({
            "count": args.count,
            "pulses_ltp": plan.0,
            "pulses_ltd": plan.1,
            "columns": {
                "pulse": "cumulative pulse index (0: before any pulse)",
                "phase": "initial, ltp (+1 pulse per step) or ltd (−1 pulse per step)",
                "device": "device index, 0 … count − 1 (one 1 × count array)",
                "conductance_S": "conductance after the pulse (S)",
            },
        }),
    );
    write_csv_with_sidecar(&args.output, &csv, &meta)?;
    print(&format!(
        "wrote {} ({} LTP + {} LTD pulses, {} device{}, {} rows) and {}\n",
        args.output.display(),
        plan.0,
        plan.1,
        args.count,
        if args.count == 1 { "" } else { "s" },
        csv.rows(),
        sidecar_path(&args.output).display()
    ))
}

/// The drift table of `rows` as CSV.
pub fn drift_csv(rows: &[measure::DriftRow]) -> Result<Csv> {
    let mut csv = Csv::new(&[
        "target_S", "time_s", "count", "mean_S", "std_S", "min_S", "p05_S", "median_S", "p95_S",
        "max_S",
    ]);
    for r in rows {
        let s = &r.stats;
        csv.row(&[
            Field::Float(r.target),
            Field::Float(r.time),
            Field::Int(s.count as u64),
            Field::Float(s.mean),
            Field::Float(s.std),
            Field::Float(s.min),
            Field::Float(s.p05),
            Field::Float(s.median),
            Field::Float(s.p95),
            Field::Float(s.max),
        ])?;
    }
    Ok(csv)
}

/// The sidecar parameters of a drift table.
pub fn drift_parameters(
    count: usize,
    targets: &[f64],
    times: &[f64],
    read_noise: bool,
) -> serde_json::Value {
    json!({
        "count": count,
        "targets_S": targets,
        "times_s": times,
        "read_noise": read_noise,
        "columns": {
            "target_S": "programmed target conductance (S)",
            "time_s": "time since programming (s)",
            "count": "devices programmed to the target",
            "mean_S": "mean conductance read (S)",
            "std_S": "population standard deviation (S)",
            "min_S": "smallest conductance (S)",
            "p05_S": "5th percentile, linear interpolation between order statistics (S)",
            "median_S": "median (S)",
            "p95_S": "95th percentile (S)",
            "max_S": "largest conductance (S)",
        },
    })
}

/// `xbarsim device drift`.
pub fn drift(args: &DriftArgs) -> Result<()> {
    let device = resolve(&args.device)?;
    check_output_path(&args.output)?;
    let spec = &device.spec;
    let times = args
        .times
        .as_ref()
        .map_or(measure::DEFAULT_TIMES.to_vec(), |l| l.0.clone());
    let targets = args
        .targets
        .as_ref()
        .map_or_else(|| default_targets(spec), |l| l.0.clone());
    let read_noise = !args.no_read_noise;
    let rows = drift_stats(spec, args.count, &targets, &times, args.seed, read_noise)?;
    let csv = drift_csv(&rows)?;
    let meta = sidecar(
        "device drift",
        args.seed,
        vec![device_json(spec, &device.source)],
        drift_parameters(args.count, &targets, &times, read_noise),
    );
    write_csv_with_sidecar(&args.output, &csv, &meta)?;
    print(&format!(
        "wrote {} ({} targets × {} times, {} devices per target{}) and {}\n",
        args.output.display(),
        targets.len(),
        times.len(),
        args.count,
        if read_noise { "" } else { ", no read noise" },
        sidecar_path(&args.output).display()
    ))
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
