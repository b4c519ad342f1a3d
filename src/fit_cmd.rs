//! `xbarsim device fit`: a device file from measured data. Parses the
//! flags into [`FitSettings`] (a flag left out is the settings' default),
//! calls [`xbar_api::fit::fit_device_files`] (which fits, and writes the
//! device file, its JSON sidecar and the figure together or not at all)
//! and prints the report.

use std::path::PathBuf;

use clap::Args;
use xbar_api::fit::{fit_device_files, FitFilesError, FitOutputs};
use xbar_api::Invocation;
use xbar_fit::device::{FitError, FitSettings};
use xbar_fit::pulse::{Criterion, ModelChoice};

use crate::error::{CliError, Result};
use crate::output::print;
use crate::parse::{parse_positive, parse_size};

/// `xbarsim device fit`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Pulse trains (CSV, TSV or .xlsx): wide (`pulse_voltage_V` or
    /// `polarity`, then one conductance column in S per device; a column
    /// named `dev1_uS`, `_mS`, `_nS`, `_pS`, `_kohm`, `_ohm`, or `_nA`, `_uA`
    /// with `read_voltage_V`, says its unit; `time_s`, `cycle`, `pulse` are
    /// not devices) or long (`device`, `pulse`, `polarity`, `conductance_S`
    /// or `conductance_uS`, …, optional `cycle`); a row of units under the
    /// header (`V`, `uS`, `kohm`, …) is read as these suffixes, and a title
    /// row above it is skipped
    #[arg(long, value_name = "FILE")]
    pub pulses: Option<PathBuf>,
    /// Retention (drift): `time_s`, then one conductance column (S) per
    /// device (or long: `device`, `time_s`, `conductance_S`)
    #[arg(long, value_name = "FILE")]
    pub retention: Option<PathBuf>,
    /// Repeated reads: optional `time_s` (time since programming: then the
    /// PCM 1/f model competes), one conductance column (S) per device, one
    /// row per read (or long: `device`, optional `time_s`, `conductance_S`)
    #[arg(long, value_name = "FILE")]
    pub read_noise: Option<PathBuf>,
    /// Program-and-verify writes: `target_S` and the achieved
    /// `conductance_S`, one row per write (the σ(g_T) polynomial)
    #[arg(long, value_name = "FILE")]
    pub programming: Option<PathBuf>,
    /// Current-voltage sweeps: `voltage_V`, `current_A`, optional `device`
    /// (the sinh cell I-V)
    #[arg(long, value_name = "FILE")]
    pub iv: Option<PathBuf>,
    /// The sheet to read from every workbook input (.xlsx, .xlsm, .xls,
    /// .xlsb, .ods; CSV and TSV files have one table and ignore it)
    /// [default: each workbook's first sheet with cells]
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Device name in the file (default: the output file's stem)
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Device file to write (TOML); the report goes to FILE.json
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Figure of the measured pulses and their median, and the written
    /// device simulated over the same pulses (mean ± σ): FILE as given
    /// (.png or .svg), both when it has no extension
    #[arg(long, value_name = "FILE")]
    pub figure: Option<PathBuf>,
    /// Pulse model to keep: auto (the best by --criterion, unless another
    /// model run free follows the measured curve 1.5× closer), exponential,
    /// soft-bounds or measured (binned step tables) [default: auto]
    #[arg(long, value_name = "MODEL", value_parser = str::parse::<ModelChoice>)]
    pub model: Option<ModelChoice>,
    /// Bins per branch of the measured-curve model (bins with fewer than 5
    /// steps are merged with a neighbour, and bins whose mean step has the
    /// wrong sign pooled with one) [default: 20]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub bins: Option<usize>,
    /// Information criterion of the automatic choice: aic or bic [default:
    /// bic]
    #[arg(long, value_name = "IC", value_parser = str::parse::<Criterion>)]
    pub criterion: Option<Criterion>,
    /// Huber loss against outlying pulses instead of plain least squares
    #[arg(long)]
    pub robust: bool,
    /// PCM 1/f read noise (reads with `time_s`): read duration t_read in s
    /// (default: the library's IBM PCM value)
    #[arg(long, value_name = "S", value_parser = parse_positive, allow_hyphen_values = true)]
    pub t_read_s: Option<f64>,
    /// PCM 1/f read noise: floor of g_r^q_exponent (default: IBM PCM)
    #[arg(long, value_name = "X", value_parser = parse_positive, allow_hyphen_values = true)]
    pub g_r_floor: Option<f64>,
    /// PCM 1/f read noise: clip of Q_s (default: IBM PCM)
    #[arg(long, value_name = "X", value_parser = parse_positive, allow_hyphen_values = true)]
    pub q_max: Option<f64>,
}

impl FitArgs {
    /// The fit's settings: each flag given, the rest [`FitSettings`]'s
    /// defaults; the device's name defaults to the output file's stem.
    pub fn settings(&self) -> FitSettings {
        let defaults = FitSettings::default();
        FitSettings {
            pulses: self.pulses.clone(),
            retention: self.retention.clone(),
            read_noise: self.read_noise.clone(),
            programming: self.programming.clone(),
            iv: self.iv.clone(),
            sheet: self.sheet.clone().or(defaults.sheet),
            name: self.name.clone().or_else(|| {
                self.output
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
            }),
            model: self.model.unwrap_or(defaults.model),
            bins: self.bins.unwrap_or(defaults.bins),
            criterion: self.criterion.unwrap_or(defaults.criterion),
            robust: self.robust,
            t_read_s: self.t_read_s.or(defaults.t_read_s),
            g_r_floor: self.g_r_floor.or(defaults.g_r_floor),
            q_max: self.q_max.or(defaults.q_max),
        }
    }
}

/// The fit's error in the command line's words: the inputs named by their
/// flags.
fn cli_error(e: FitFilesError, name_given: bool) -> CliError {
    match e {
        FitFilesError::Fit(FitError::NoMeasurements) => CliError::new(
            "no measurements: expected at least one of --pulses FILE, --retention FILE, --read-noise FILE, --programming FILE (--iv FILE adds the cell I-V to one of them)",
        ),
        FitFilesError::Fit(FitError::EmptyName) if name_given => {
            CliError::new("--name: expected a non-empty device name")
        }
        FitFilesError::Fit(FitError::EmptyName) => CliError::new(
            "--output: its file name is the device's name: expected a non-empty one (or give --name)",
        ),
        FitFilesError::Fit(FitError::SheetWithoutWorkbook) => CliError::new(
            "--sheet names a workbook's sheet, but no input is a workbook (.xlsx, .xlsm, .xls, .xlsb, .ods)",
        ),
        FitFilesError::FigureWithoutPulses => {
            CliError::new("--figure shows pulse trains: expected --pulses FILE too")
        }
        e => CliError::new(e.to_string()),
    }
}

/// `xbarsim device fit`.
///
/// # Errors
/// No input; a bad file (located: file, line, column); a fit that does not
/// converge; an output that cannot be written. Nothing is written then.
pub fn fit(args: &FitArgs) -> Result<()> {
    let outputs = FitOutputs {
        device: &args.output,
        figure: args.figure.as_deref(),
    };
    let fitted = fit_device_files(
        &args.settings(),
        outputs,
        &Invocation::from_process("device fit"),
    )
    .map_err(|e| cli_error(e, args.name.is_some()))?;
    print(&fitted.report_text())?;
    print(&format!(
        "wrote {} (report: {}.json)\n",
        args.output.display(),
        args.output.display()
    ))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;
    use xbar_fit::device::FitSettings;

    /// The help's `[default: …]` texts are written by hand (the flags are
    /// `Option`s, unset = `FitSettings::default()`): they must say what
    /// that default is.
    #[test]
    fn the_help_states_the_library_defaults() {
        let mut cli = crate::cli::Cli::command();
        let fit = cli
            .find_subcommand_mut("device")
            .and_then(|d| d.find_subcommand_mut("fit"))
            .expect("device fit exists");
        let help = fit.render_long_help().to_string();
        let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let d = FitSettings::default();
        for expected in [
            format!("[default: {}]", d.bins),
            format!("[default: {}]", d.model.name()),
            format!("[default: {}]", d.criterion.name().to_lowercase()),
        ] {
            assert!(flat.contains(&expected), "{expected} not in:\n{help}");
        }
    }
}
