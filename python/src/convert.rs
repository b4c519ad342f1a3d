//! Conversions at the Python border: numpy ↔ nalgebra, result tables →
//! dicts of columns, JSON ↔ Python objects.

use nalgebra::DMatrix;
use numpy::ndarray::{ArrayView2, ShapeBuilder};
use numpy::{PyArray2, PyArrayMethods};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xbar_experiments::table::{Cell, Rows};

use crate::errors;

/// A 2-D view as the library's column-major matrix: the one copy the
/// library's owned matrices need, made straight from the array's memory
/// (a contiguous run for Fortran order, the transposing pass for C order,
/// element by element otherwise), converting each element to f64 on the
/// way (float32 needs no intermediate float64 array).
fn from_view<T: Copy + Into<f64>>(view: ArrayView2<'_, T>) -> DMatrix<f64> {
    let (rows, cols) = view.dim();
    let t = view.t();
    if let Some(column_major) = t.as_slice() {
        return DMatrix::from_iterator(rows, cols, column_major.iter().map(|&x| x.into()));
    }
    if let Some(row_major) = view.as_slice() {
        return DMatrix::from_row_iterator(rows, cols, row_major.iter().map(|&x| x.into()));
    }
    DMatrix::from_fn(rows, cols, |i, j| view[(i, j)].into())
}

/// A 2-D numpy array of float64 or float32, C- or Fortran-ordered or
/// strided, as a column-major matrix, with no intermediate numpy array;
/// anything else (lists, integers) through `numpy.asarray(x, float64)`.
/// Errors name the argument `name`.
pub fn matrix(name: &str, a: &Bound<'_, PyAny>) -> PyResult<DMatrix<f64>> {
    if let Ok(a) = a.cast::<PyArray2<f64>>() {
        let a = a
            .try_readonly()
            .map_err(|e| errors::value(format!("{name}: {e}")))?;
        return Ok(from_view(a.as_array()));
    }
    if let Ok(a) = a.cast::<PyArray2<f32>>() {
        let a = a
            .try_readonly()
            .map_err(|e| errors::value(format!("{name}: {e}")))?;
        return Ok(from_view(a.as_array()));
    }
    let py = a.py();
    let converted = py
        .import("numpy")?
        .call_method1("asarray", (a, "float64"))
        .map_err(|e| errors::value(format!("{name}: expected an array of numbers ({e})")))?;
    let ndim: usize = converted.getattr("ndim")?.extract()?;
    let Ok(arr) = converted.cast::<PyArray2<f64>>() else {
        return Err(errors::value(format!(
            "{name}: expected a 2-D array, found {ndim} dimension(s)"
        )));
    };
    let arr = arr
        .try_readonly()
        .map_err(|e| errors::value(format!("{name}: {e}")))?;
    Ok(from_view(arr.as_array()))
}

/// A 2-D array of integers (any integer dtype, or nested lists) as an
/// int32 matrix; values outside int32 and non-integer arrays are refused
/// naming `name`.
pub fn int_matrix(name: &str, a: &Bound<'_, PyAny>) -> PyResult<DMatrix<i32>> {
    let py = a.py();
    let np = py.import("numpy")?;
    let arr = np
        .call_method1("asarray", (a,))
        .map_err(|e| errors::value(format!("{name}: expected an array of integers ({e})")))?;
    let kind: String = arr.getattr("dtype")?.getattr("kind")?.extract()?;
    let ndim: usize = arr.getattr("ndim")?.extract()?;
    if ndim != 2 {
        return Err(errors::value(format!(
            "{name}: expected a 2-D array, found {ndim} dimension(s)"
        )));
    }
    if !matches!(kind.as_str(), "i" | "u") {
        let dtype: String = arr.getattr("dtype")?.str()?.extract()?;
        return Err(errors::value(format!(
            "{name}: expected integer counts, found an array of {dtype}"
        )));
    }
    let size: usize = arr.getattr("size")?.extract()?;
    if size > 0 {
        let lo: i64 = arr.call_method0("min")?.extract().unwrap_or(i64::MIN);
        let hi: i64 = arr.call_method0("max")?.extract().unwrap_or(i64::MAX);
        if lo < i64::from(i32::MIN) || hi > i64::from(i32::MAX) {
            return Err(errors::value(format!(
                "{name}: counts from {lo} to {hi}; expected counts within ±{}",
                i32::MAX
            )));
        }
    }
    let arr = np.call_method1("asarray", (arr, "int32"))?;
    let arr = arr
        .cast::<PyArray2<i32>>()
        .map_err(|e| errors::value(format!("{name}: {e}")))?
        .try_readonly()
        .map_err(|e| errors::value(format!("{name}: {e}")))?;
    let view = arr.as_array();
    let (rows, cols) = view.dim();
    Ok(DMatrix::from_fn(rows, cols, |i, j| view[(i, j)]))
}

/// A matrix as a 2-D numpy array that takes over the matrix's memory (no
/// copy): Fortran-ordered, since the matrix is column-major.
pub fn array(py: Python<'_>, m: DMatrix<f64>) -> Bound<'_, PyArray2<f64>> {
    let (rows, cols) = m.shape();
    let data: Vec<f64> = m.data.into();
    let a = numpy::ndarray::Array2::from_shape_vec((rows, cols).f(), data)
        .expect("the shape is the matrix's own");
    PyArray2::from_owned_array(py, a)
}

/// A table as `{"columns": [...], "data": {column: [values]}}`: what the
/// Python package turns into a DataFrame (integers stay integers).
pub fn table<'py>(py: Python<'py>, rows: &Rows) -> PyResult<Bound<'py, PyDict>> {
    let data = PyDict::new(py);
    for (k, name) in rows.columns.iter().enumerate() {
        let column = PyList::empty(py);
        for row in &rows.rows {
            match &row[k] {
                Cell::Bool(b) => column.append(*b)?,
                Cell::Int(i) => column.append(*i)?,
                Cell::Float(x) => column.append(*x)?,
                Cell::Str(s) => column.append(s)?,
            }
        }
        data.set_item(name, column)?;
    }
    let out = PyDict::new(py);
    out.set_item("columns", rows.columns.clone())?;
    out.set_item("data", data)?;
    Ok(out)
}

/// A JSON value as the Python object `json.loads` gives.
pub fn json<'py>(py: Python<'py>, value: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?
        .call_method1("loads", (value.to_string(),))
}

/// Keyword settings (a dict, JSON-encoded by the package) as a settings
/// type, its unknown or mistyped keys refused as `ValueError` naming
/// `what` and the key.
pub fn settings<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| json_error(what, &e))
}

/// A kind's sections (`{"evaluation": {...}, "array": {...}}`, JSON-encoded
/// by the package) as its settings, unknown sections and keys refused as
/// `ValueError` naming `what` and the key.
pub fn sections<S: xbar_experiments::kinds::Sections>(what: &str, json: &str) -> PyResult<S> {
    let mut de = serde_json::Deserializer::from_str(json);
    xbar_experiments::kinds::read_sections(&mut de).map_err(|e| json_error(what, &e))
}

/// TOML text from JSON text (a config given as a Python dict).
pub fn toml_text(json: &str) -> PyResult<String> {
    let value: toml::Value =
        serde_json::from_str(json).map_err(|e| errors::value(format!("config: {e}")))?;
    toml::to_string(&value).map_err(|e| errors::value(format!("config: {e}")))
}

/// A settings error without serde's position (it is in the package's own
/// JSON, not in anything the user wrote).
fn json_error(what: &str, e: &serde_json::Error) -> PyErr {
    let text = e.to_string();
    let reason = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(r, _)| r);
    errors::value(format!("{what}: {reason}"))
}
