//! `--device X`: a library preset by name, or a TOML device file.

use std::path::Path;

use xbar_devices::{library, DeviceSpec};
use xbar_experiments::config::{load_device_file, suggest};

use crate::error::{bail, Result};

/// A device and where it came from.
pub struct Device {
    /// The validated specification.
    pub spec: DeviceSpec,
    /// `library:<name>` or `file:<path>`, for the sidecar.
    pub source: String,
}

/// Resolves `arg`: a path when it ends in `.toml` (or is an existing file
/// that is not a preset name), else a library preset.
///
/// # Errors
/// A located error for a bad device file; an unknown preset with the
/// nearest name, e.g. ``unknown device `pcmo2`; did you mean `pcmo`?``.
pub fn resolve(arg: &str) -> Result<Device> {
    let path = Path::new(arg);
    let is_file = arg.ends_with(".toml") || (library::preset(arg).is_none() && path.is_file());
    if is_file {
        let spec = load_device_file(path)?;
        return Ok(Device {
            spec,
            source: format!("file:{arg}"),
        });
    }
    if let Some(spec) = library::preset(arg) {
        return Ok(Device {
            spec,
            source: format!("library:{arg}"),
        });
    }
    match suggest(arg, library::names()) {
        Some(name) => {
            bail!("unknown device `{arg}`; did you mean `{name}`? (run `xbarsim device list`)")
        }
        None => bail!(
            "unknown device `{arg}`: not a library device nor a .toml device file (run `xbarsim device list`)"
        ),
    }
}
