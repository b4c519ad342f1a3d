//! `fit_device`: the estimator of `xbarsim device fit` (`xbar_fit`), and
//! its file set when an output is given (`xbar_api::fit`).

use std::path::PathBuf;

use pyo3::prelude::*;
use xbar_api::fit::{fit_device_files, FitFilesError, FitOutputs};
use xbar_api::Invocation;
use xbar_fit::device::{fit_device as fit, FitSettings, FittedDevice};

use crate::convert;
use crate::device::PyDevice;
use crate::errors::{self, Class};

/// A fitted device: the device, the report, the figure's series.
#[pyclass(name = "Fit", module = "xbarsim", frozen)]
pub struct PyFit {
    fitted: FittedDevice,
    source: String,
}

#[pymethods]
impl PyFit {
    /// The fitted device (simulate it with `DeviceArray` or the measuring
    /// functions).
    #[getter]
    fn device(&self) -> PyDevice {
        PyDevice {
            device: xbar_api::Device {
                spec: self.fitted.spec.clone(),
                source: self.source.clone(),
            },
        }
    }

    /// The report as `xbarsim device fit` prints it.
    #[getter]
    fn report(&self) -> String {
        self.fitted.report_text()
    }

    /// What was fitted from and how, and every fit's parameters with their
    /// intervals (the sidecar's `records`), as a dict.
    #[getter]
    fn records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let value = serde_json::json!({
            "parameters": serde_json::to_value(&self.fitted.parameters).map_err(errors::value)?,
            "fits": serde_json::to_value(&self.fitted.fits).map_err(errors::value)?,
        });
        convert::json(py, &value)
    }

    /// The pulse fit's figure as plain series (`x`, `y` axes with units;
    /// `series`: label, kind, points), or `None` without pulse trains.
    #[getter]
    fn figure<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match &self.fitted.figure {
            None => Ok(None),
            Some(f) => {
                let value = serde_json::to_value(f).map_err(errors::value)?;
                convert::json(py, &value).map(Some)
            }
        }
    }
}

/// Fits a device from measurement files; see the package's
/// `xbarsim.fit_device`.
#[pyfunction]
#[pyo3(signature = (*, pulses = None, retention = None, read_noise = None, programming = None, iv = None, sheet = None, name = None, model = "auto", bins = None, criterion = "bic", robust = false, output = None, figure = None))]
#[allow(clippy::too_many_arguments)]
pub fn fit_device(
    py: Python<'_>,
    pulses: Option<PathBuf>,
    retention: Option<PathBuf>,
    read_noise: Option<PathBuf>,
    programming: Option<PathBuf>,
    iv: Option<PathBuf>,
    sheet: Option<String>,
    name: Option<String>,
    model: &str,
    bins: Option<usize>,
    criterion: &str,
    robust: bool,
    output: Option<PathBuf>,
    figure: Option<PathBuf>,
) -> PyResult<PyFit> {
    let defaults = FitSettings::default();
    let settings = FitSettings {
        pulses,
        retention,
        read_noise,
        programming,
        iv,
        sheet,
        name,
        model: model
            .parse()
            .map_err(|e| errors::value(format!("model: {e}")))?,
        bins: bins.unwrap_or(defaults.bins),
        criterion: criterion
            .parse()
            .map_err(|e| errors::value(format!("criterion: {e}")))?,
        robust,
        ..defaults
    };
    let (fitted, source) = match &output {
        None => {
            if figure.is_some() {
                return Err(errors::value(
                    "figure: a figure is written beside a device file; give output too",
                ));
            }
            let fitted = py.detach(|| fit(&settings)).map_err(errors::input)?;
            (fitted, "fit".to_string())
        }
        Some(out) => {
            let outputs = FitOutputs {
                device: out,
                figure: figure.as_deref(),
            };
            let invocation = Invocation::from_process("xbarsim.fit_device (Python)");
            let fitted = py
                .detach(|| fit_device_files(&settings, outputs, &invocation))
                .map_err(files_error)?;
            (fitted, out.display().to_string())
        }
    };
    Ok(PyFit { fitted, source })
}

fn files_error(e: FitFilesError) -> PyErr {
    let message = e.to_string();
    let class = match &e {
        FitFilesError::Output(_) => Class::Os,
        _ if errors::looks_missing(&message) => Class::NotFound,
        _ => Class::Value,
    };
    errors::error(class, message)
}
