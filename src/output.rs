//! Output files with a JSON provenance sidecar, written atomically, and
//! text on stdout. Tables are formatted by the experiments' one CSV writer
//! ([`xbar_experiments::table::csv_bytes`], through
//! [`crate::point_cmd::write_table`]); this module writes the bytes.
//!
//! * **Atomic**: each file is written to a temporary file in its own
//!   directory and renamed over the target, so that a failure (or a full
//!   disk) never leaves a partial file behind; a file and its sidecar
//!   appear together or not at all.
//! * **Sidecar** `<output>.json`: program and version, the command line, the
//!   seed, the full device specification(s) (as JSON and as the TOML device
//!   file that `--device` reads back) and the command's parameters — what it
//!   takes to reproduce the CSV bit for bit. JSON has no infinity: an
//!   unbounded clip (`max = inf` in TOML) appears as `null` in `spec`; the
//!   `toml` field is exact.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use xbar_devices::DeviceSpec;
use xbar_experiments::config::device_to_toml;

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

/// The sidecar's path: `<output>.json`.
pub fn sidecar_path(output: &Path) -> PathBuf {
    let mut name = output.as_os_str().to_os_string();
    name.push(".json");
    PathBuf::from(name)
}

/// How a device was named on the command line and what it is.
pub fn device_json(spec: &DeviceSpec, source: &str) -> Value {
    json!({
        "source": source,
        "spec": spec,
        "toml": device_to_toml(spec),
    })
}

/// The sidecar of a deterministic command (no seed, no device): program,
/// version, command, command line and parameters.
pub fn provenance(command: &str, parameters: Value) -> Value {
    json!({
        "program": env!("CARGO_PKG_NAME"),
        "version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "command_line": std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>(),
        "parameters": parameters,
    })
}

/// Checks that `path` can be created: its directory exists and it is not
/// itself a directory.
///
/// # Errors
/// A message naming `path`.
pub fn check_output_path(path: &Path) -> Result<PathBuf> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if path.as_os_str().is_empty() {
        bail!("empty output path");
    }
    if !dir.is_dir() {
        bail!(
            "cannot write `{}`: directory `{}` does not exist",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() {
        bail!("cannot write `{}`: it is a directory", path.display());
    }
    // A probe file created and removed now: a read-only file system or a
    // directory without write permission is found before the work, not
    // after it (the probe is deleted when dropped).
    tempfile::Builder::new()
        .prefix(".xbarsim-probe-")
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| {
            CliError::new(format!(
                "cannot write `{}`: directory `{}` is not writable ({})",
                path.display(),
                dir.display(),
                io_reason(&e)
            ))
        })?;
    Ok(dir)
}

/// Writes `text` to `path` and `sidecar` to `<path>.json`, both atomically;
/// on any error neither file is created or changed.
///
/// # Errors
/// A missing directory, a permission problem, a full disk — naming the path.
pub fn write_text_with_sidecar(path: &Path, text: &str, sidecar: &Value) -> Result<()> {
    write_bytes_with_sidecar(path, text.as_bytes(), sidecar)
}

/// Writes `bytes` to `path` and `sidecar` to `<path>.json`, both
/// atomically; on any error neither file is created or changed.
///
/// # Errors
/// A missing directory, a permission problem, a full disk — naming the path.
pub fn write_bytes_with_sidecar(path: &Path, bytes: &[u8], sidecar: &Value) -> Result<()> {
    check_output_path(path)?;
    let json_path = sidecar_path(path);
    check_output_path(&json_path)?;
    let existed = path.exists();
    let mut json_text = serde_json::to_string_pretty(sidecar)
        .map_err(|e| CliError::new(format!("internal error: sidecar JSON: {e}")))?;
    json_text.push('\n');
    let csv_file = temp_with(path, bytes)?;
    let json_file = temp_with(&json_path, json_text.as_bytes())?;
    persist(csv_file, path)?;
    if let Err(e) = persist(json_file, &json_path) {
        // Keep the pair consistent: no new CSV without its provenance (an
        // older CSV, already replaced, cannot be restored; both targets
        // were checked above, so this is a race or a full disk).
        if !existed {
            let _ = std::fs::remove_file(path);
        }
        return Err(e);
    }
    Ok(())
}

fn temp_with(target: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
    xbar_experiments::durable::stage(target, |f| f.write_all(bytes).map_err(|e| io_reason(&e)))
        .map_err(|(path, why)| CliError::new(format!("cannot write `{path}`: {why}")))
}

fn persist(file: tempfile::NamedTempFile, target: &Path) -> Result<()> {
    file.persist(target).map_err(|e| {
        CliError::new(format!(
            "cannot write `{}`: {}",
            target.display(),
            io_reason(&e.error)
        ))
    })?;
    Ok(())
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

/// Display width of `s` in a terminal: characters, not counting combining
/// marks (the macron of `ν̄`).
pub fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{0300}'..='\u{036f}').contains(c))
        .count()
}

/// `rows` as aligned plain-text columns (two spaces apart), header first.
pub fn aligned_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut l = String::new();
        for (k, (cell, w)) in cells.iter().zip(&widths).enumerate() {
            l.push_str(cell);
            if k + 1 < cells.len() {
                l.push_str(&" ".repeat(w - width(cell) + 2));
            }
        }
        text.push_str(l.trim_end());
        text.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}

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
