//! Conversions at the Python border: numpy ↔ nalgebra, result tables →
//! dicts of columns, JSON ↔ Python objects.

use nalgebra::DMatrix;
use numpy::{PyArray2, PyReadonlyArray2, ToPyArray};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use xbar_experiments::table::{Cell, Rows};

use crate::errors;

/// A 2-D float64 numpy array (any strides, C or Fortran order) as a
/// column-major matrix; the one copy nalgebra needs.
pub fn matrix(a: &PyReadonlyArray2<'_, f64>) -> DMatrix<f64> {
    let view = a.as_array();
    let (rows, cols) = view.dim();
    DMatrix::from_fn(rows, cols, |i, j| view[(i, j)])
}

/// A 2-D int32 numpy array as a matrix.
pub fn int_matrix(a: &PyReadonlyArray2<'_, i32>) -> DMatrix<i32> {
    let view = a.as_array();
    let (rows, cols) = view.dim();
    DMatrix::from_fn(rows, cols, |i, j| view[(i, j)])
}

/// A matrix as a new C-ordered 2-D numpy array.
pub fn array<'py>(py: Python<'py>, m: &DMatrix<f64>) -> Bound<'py, PyArray2<f64>> {
    let rows: Vec<Vec<f64>> = (0..m.nrows())
        .map(|i| m.row(i).iter().copied().collect())
        .collect();
    let flat: Vec<f64> = rows.into_iter().flatten().collect();
    let a = numpy::ndarray::Array2::from_shape_vec((m.nrows(), m.ncols()), flat)
        .expect("the shape is the matrix's own");
    a.to_pyarray(py)
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
