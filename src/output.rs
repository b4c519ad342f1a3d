//! Output files with a JSON provenance sidecar, written atomically, and
//! text on stdout. Tables are formatted by the experiments' one CSV writer
//! ([`xbar_experiments::table::csv_bytes`], through
//! [`xbar_api::point::add_table`]).
//!
//! * **Atomic**: files are written by [`xbar_api::output::OutputSet`]: a
//!   command's files (tables, sidecars, figures) as one set, each staged in
//!   a temporary file in its own directory and renamed over the target
//!   under a lock, so that a failure (or a full disk, or a second writer)
//!   never leaves a partial file, a file without its sidecar or a mixed
//!   set.
//! * **Sidecar** `<output>.json`: program and version, the command line, the
//!   seed, the full device specification(s) (as JSON and as the TOML device
//!   file that `--device` reads back) and the command's parameters — what it
//!   takes to reproduce the CSV bit for bit. JSON has no infinity: an
//!   unbounded clip (`max = inf` in TOML) appears as `null` in `spec`; the
//!   `toml` field is exact.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{bail, io_reason, CliError, Result};

/// A float in its shortest round-trip form: plain between 1e-3 and 1e7,
/// exponent notation (`2.5e-6`) outside.
pub fn fmt_f64(x: f64) -> String {
    let magnitude = x.abs();
    if x == 0.0 {
        "0".to_string()
    } else if (1e-3..1e7).contains(&magnitude) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// A count and its noun: `1 epoch`, `3 epochs`.
pub fn plural(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

pub use xbar_api::output::sidecar_path;

/// The sidecar of a deterministic command (no seed, no device): program,
/// version, command, command line and parameters.
pub fn provenance(command: &str, parameters: Value) -> Value {
    xbar_api::Invocation::from_process(command).provenance(parameters)
}

/// Checks that `path` can be created (see [`xbar_api::output::check_output_path`]).
///
/// # Errors
/// A message naming `path`.
pub fn check_output_path(path: &Path) -> Result<PathBuf> {
    xbar_api::output::check_output_path(path).map_err(|e| CliError::new(e.to_string()))
}

/// Prints `text` on stdout; a closed pipe (`xbarsim device list | head`)
/// is not an error.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => bail!("cannot write to stdout: {}", io_reason(&e)),
    }
}

/// Display width and aligned plain-text tables: one implementation, the
/// fit reports' (see [`xbar_fit::report::aligned_table`]).
pub use xbar_fit::report::{aligned_table, width};

/// `rows` as a GitHub-flavoured Markdown table.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let escape = |s: &str| s.replace('|', "\\|");
    let mut text = format!("| {} |\n", header.join(" | "));
    text.push_str(&format!(
        "|{}\n",
        header.iter().map(|_| "---|").collect::<String>()
    ));
    for row in rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        text.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_round_trip_and_read_well() {
        for x in [
            2.5e-6,
            3.0769e-9,
            1.0,
            3.15e7,
            0.1 + 0.2,
            -1.1731e-6,
            86400.0,
        ] {
            assert_eq!(fmt_f64(x).parse::<f64>().unwrap(), x);
        }
        assert_eq!(fmt_f64(2.5e-6), "2.5e-6");
        assert_eq!(fmt_f64(3600.0), "3600");
        assert_eq!(fmt_f64(3.1536e7), "3.1536e7");
        assert_eq!(fmt_f64(0.0), "0");
    }

    #[test]
    fn tables_align_by_display_width() {
        let t = aligned_table(&["a", "b"], &[vec!["ν̄ 1".into(), "x".into()]]);
        assert_eq!(t, "a    b\nν̄ 1  x\n");
    }
}
