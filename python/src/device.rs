//! `Device` (a library preset or a device file, its description and TOML)
//! and `DeviceArray` (programmed cells: program, pulse, drift, read).

use std::path::Path;

use numpy::PyArray2;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xbar_devices::describe::{Parameter, Section, Value};
use xbar_devices::{library, DeviceArray, DeviceError};
use xbar_experiments::config::{load_device_file, parse_device, resolve_device, DeviceRefError};

use crate::convert;
use crate::errors;

/// A device model: its parameters in SI units (S, s) and where it came
/// from (`library:<name>` or the file).
#[pyclass(name = "Device", module = "xbarsim", frozen)]
#[derive(Clone)]
pub struct PyDevice {
    /// The library's device.
    pub device: xbar_api::Device,
}

#[pymethods]
impl PyDevice {
    /// A library device by name, or a TOML device file by path (the rule
    /// of `--device`).
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        match resolve_device(name, Path::new("")) {
            Ok((spec, source)) => Ok(PyDevice {
                device: xbar_api::Device {
                    spec,
                    source: source.to_string(),
                },
            }),
            Err(DeviceRefError::File(e)) => Err(errors::input(e)),
            Err(DeviceRefError::Unknown {
                suggestion: Some(s),
                ..
            }) => Err(errors::value(format!(
                "unknown device `{name}`; did you mean `{s}`? (xbarsim.Device.library() lists them)"
            ))),
            Err(DeviceRefError::Unknown { .. }) => Err(errors::value(format!(
                "unknown device `{name}`: not a library device nor a .toml device file (xbarsim.Device.library() lists them)"
            ))),
        }
    }

    /// The names of the library's devices.
    #[staticmethod]
    fn library() -> Vec<&'static str> {
        library::names()
    }

    /// A device from a TOML device file's path, or from TOML text (the
    /// device-file format; anything with a newline or an `=` is text).
    #[staticmethod]
    fn from_toml(path_or_text: &str) -> PyResult<Self> {
        let is_text = path_or_text.contains('\n') || path_or_text.contains('=');
        let (result, source) = if is_text {
            (
                parse_device(Path::new("<text>"), path_or_text),
                "<text>".to_string(),
            )
        } else {
            let path = Path::new(path_or_text);
            (load_device_file(path), path.display().to_string())
        };
        let spec = result.map_err(errors::input)?;
        Ok(PyDevice {
            device: xbar_api::Device { spec, source },
        })
    }

    /// The device's name.
    #[getter]
    fn name(&self) -> String {
        self.device.spec.name.clone()
    }

    /// Where it came from: `library:<name>`, a file, or `<text>`.
    #[getter]
    fn source(&self) -> String {
        self.device.source.clone()
    }

    /// Lowest programmable conductance (S).
    #[getter]
    fn g_min(&self) -> f64 {
        self.device.spec.g_min.siemens()
    }

    /// Highest programmable conductance (S).
    #[getter]
    fn g_max(&self) -> f64 {
        self.device.spec.g_max.siemens()
    }

    /// The device file's TOML text.
    fn to_toml(&self) -> PyResult<String> {
        toml::to_string_pretty(&self.device.spec).map_err(errors::value)
    }

    /// Every model's parameters with units and meanings, and the
    /// quantities derived from them, as `xbarsim device show` prints them:
    /// a list of sections.
    fn describe<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let sections = PyList::empty(py);
        for s in self.device.spec.describe() {
            sections.append(section(py, &s)?)?;
        }
        Ok(sections)
    }

    fn __repr__(&self) -> String {
        format!(
            "Device({:?}, g_min={:e} S, g_max={:e} S, source={:?})",
            self.device.spec.name,
            self.device.spec.g_min.siemens(),
            self.device.spec.g_max.siemens(),
            self.device.source
        )
    }
}

fn section<'py>(py: Python<'py>, s: &Section) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("title", s.title)?;
    d.set_item("table", s.table)?;
    d.set_item("equation", s.equation)?;
    d.set_item("absent", s.absent)?;
    let list = |ps: &[Parameter]| -> PyResult<Bound<'py, PyList>> {
        let l = PyList::empty(py);
        for p in ps {
            let e = PyDict::new(py);
            e.set_item("key", &p.key)?;
            match &p.value {
                Value::Number(x) => e.set_item("value", x)?,
                Value::Count(n) => e.set_item("value", n)?,
                Value::List(v) => e.set_item("value", v.clone())?,
                Value::Range(lo, hi) => e.set_item("value", (lo, hi))?,
                Value::Text(t) => e.set_item("value", t)?,
            }
            e.set_item("unit", p.unit)?;
            e.set_item("meaning", &p.meaning)?;
            l.append(e)?;
        }
        Ok(l)
    };
    d.set_item("parameters", list(&s.parameters)?)?;
    d.set_item("derived", list(&s.derived)?)?;
    Ok(d)
}

/// An array of devices with their device-to-device parameters and faults
/// drawn from `seed`: program target conductances, apply pulse counts,
/// read at a time since programming.
#[pyclass(name = "DeviceArray", module = "xbarsim")]
pub struct PyDeviceArray {
    array: DeviceArray,
}

fn device_error(e: DeviceError) -> PyErr {
    errors::value(e)
}

#[pymethods]
impl PyDeviceArray {
    #[new]
    fn new(device: &PyDevice, rows: usize, cols: usize, seed: u64) -> PyResult<Self> {
        let array =
            DeviceArray::new(&device.device.spec, rows, cols, seed).map_err(device_error)?;
        Ok(PyDeviceArray { array })
    }

    /// `(rows, cols)`.
    #[getter]
    fn shape(&self) -> (usize, usize) {
        self.array.shape()
    }

    /// Programs every device to its target conductance (S).
    fn program(&mut self, py: Python<'_>, targets: &Bound<'_, PyAny>) -> PyResult<()> {
        let targets = convert::matrix("targets", targets)?;
        py.detach(|| self.array.program(&targets))
            .map_err(device_error)
    }

    /// Applies signed pulse counts (positive: potentiation); returns the
    /// write tally `{"pulses": …, "sum_g_S": …}`.
    fn apply_pulses<'py>(
        &mut self,
        py: Python<'py>,
        counts: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let counts = convert::int_matrix("counts", counts)?;
        let tally = py
            .detach(|| self.array.apply_pulses(&counts))
            .map_err(device_error)?;
        let d = PyDict::new(py);
        d.set_item("pulses", tally.pulses)?;
        d.set_item("sum_g_S", tally.sum_g_s)?;
        Ok(d)
    }

    /// The conductances now (S), noiseless.
    fn conductances<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray2<f64>> {
        convert::array(py, self.array.conductances().clone())
    }

    /// Noiseless conductances (S) at `t` seconds since programming (drift).
    fn drift_to<'py>(&self, py: Python<'py>, t: f64) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let g = py.detach(|| self.array.drift_to(t)).map_err(device_error)?;
        Ok(convert::array(py, g))
    }

    /// One read (S) at `t` seconds since programming: drift and read noise
    /// (each read draws new noise from the array's seeded stream).
    fn read<'py>(&mut self, py: Python<'py>, t: f64) -> PyResult<Bound<'py, PyArray2<f64>>> {
        let g = py.detach(|| self.array.read(t)).map_err(device_error)?;
        Ok(convert::array(py, g))
    }
}
