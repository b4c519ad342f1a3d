//! # xbarsim-python — the `xbarsim._native` extension module
//!
//! The Python front end: it converts numpy arrays and keyword arguments
//! into the typed settings of the library the command line calls
//! (`xbar-api`, `xbar-devices`, `xbar-crossbar`, `xbar-fit`), releases the
//! interpreter while the work runs, and converts the results back. Nothing
//! is computed here. The Python package `xbarsim` (`python/xbarsim/`)
//! wraps this module with docstrings, DataFrames and plots.
//!
//! | module | contents |
//! |---|---|
//! | [`errors`] | library errors → the package's exception classes, one-line messages kept |
//! | [`convert`] | numpy ↔ nalgebra, tables → column dicts, JSON ↔ Python |
//! | [`device`] | `Device` (library, files, TOML, description) and `DeviceArray` |
//! | [`array`](mod@array) | `solve`, the factorised `Crossbar`, SPICE netlists |
//! | [`fit`] | `fit_device`: the estimator of `xbarsim device fit` |
//! | [`measure`] | one-point measurements, training and sweeps: `device_pulse`, `device_drift`, `evaluate`, `cost`, `train`, `train_insitu`, `run`, `merge`, `slurm`, `shipped` |
//! | [`interrupt`] | long work with the interpreter released, stopped by Ctrl-C |

use pyo3::prelude::*;

pub mod array;
pub mod convert;
pub mod device;
pub mod errors;
pub mod fit;
pub mod interrupt;
pub mod measure;

/// The extension module `xbarsim._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<device::PyDevice>()?;
    m.add_class::<device::PyDeviceArray>()?;
    m.add_class::<array::PyCrossbar>()?;
    m.add_class::<fit::PyFit>()?;
    m.add_function(wrap_pyfunction!(array::solve, m)?)?;
    m.add_function(wrap_pyfunction!(array::spice_netlist, m)?)?;
    m.add_function(wrap_pyfunction!(fit::fit_device, m)?)?;
    m.add_function(wrap_pyfunction!(measure::measure, m)?)?;
    m.add_function(wrap_pyfunction!(measure::run, m)?)?;
    m.add_function(wrap_pyfunction!(measure::train, m)?)?;
    m.add_function(wrap_pyfunction!(measure::train_insitu, m)?)?;
    m.add_function(wrap_pyfunction!(measure::merge, m)?)?;
    m.add_function(wrap_pyfunction!(measure::slurm, m)?)?;
    m.add_function(wrap_pyfunction!(measure::shipped_names, m)?)?;
    m.add_function(wrap_pyfunction!(measure::shipped_config, m)?)?;
    m.add_function(wrap_pyfunction!(measure::toml_from_json, m)?)?;
    Ok(())
}
