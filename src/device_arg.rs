//! `--device X`: a library preset by name, or a TOML device file, by the
//! rule of [`resolve_device`] with the working directory as base.

use std::path::Path;

use xbar_experiments::config::{resolve_device, DeviceRefError};

use crate::error::{bail, Result};

pub use xbar_api::Device;

/// Resolves `arg` with [`resolve_device`], relative paths relative to the
/// working directory.
///
/// # Errors
/// A located error for a bad device file; an unknown preset with the
/// nearest name, e.g. ``unknown device `pcmo2`; did you mean `pcmo`?``.
pub fn resolve(arg: &str) -> Result<Device> {
    match resolve_device(arg, Path::new("")) {
        Ok((spec, source)) => Ok(Device {
            spec,
            source: source.to_string(),
        }),
        Err(DeviceRefError::File(e)) => Err(e.into()),
        Err(DeviceRefError::Unknown {
            suggestion: Some(name),
            ..
        }) => {
            bail!("unknown device `{arg}`; did you mean `{name}`? (run `xbarsim device list`)")
        }
        Err(DeviceRefError::Unknown { suggestion: None, .. }) => bail!(
            "unknown device `{arg}`: not a library device nor a .toml device file (run `xbarsim device list`)"
        ),
    }
}
