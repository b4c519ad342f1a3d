//! Library errors as Python exceptions. The classes live in
//! `xbarsim/errors.py`, each a subclass of both `XbarsimError` and the
//! builtin that fits (`ValueError`, `FileNotFoundError`, `OSError`); the
//! message is the library's one-line, located message, unchanged.

use std::fmt::Display;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyType;

/// Which class an error becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// A setting, an input value or a file's content: `ValueError`.
    Value,
    /// An input file that does not exist: `FileNotFoundError`.
    NotFound,
    /// An output that cannot be written, a busy directory: `OSError`.
    Os,
    /// A run that failed while computing: `XbarsimError` only.
    Run,
}

impl Class {
    fn name(self) -> &'static str {
        match self {
            Class::Value => "XbarsimValueError",
            Class::NotFound => "XbarsimFileNotFoundError",
            Class::Os => "XbarsimOSError",
            Class::Run => "XbarsimError",
        }
    }
}

/// The exception of `class` with `message`.
pub fn error(class: Class, message: impl Display) -> PyErr {
    let message = message.to_string();
    Python::attach(|py| {
        let ty = py
            .import("xbarsim.errors")
            .and_then(|m| m.getattr(class.name()))
            .and_then(|c| c.cast_into::<PyType>().map_err(PyErr::from));
        match ty {
            Ok(ty) => PyErr::from_type(ty, (message,)),
            // Only when the native module is used without its package.
            Err(_) if class == Class::Run => PyRuntimeError::new_err(message),
            Err(_) => PyValueError::new_err(message),
        }
    })
}

/// A `ValueError` subclass with `message`.
pub fn value(message: impl Display) -> PyErr {
    error(Class::Value, message)
}

/// The class of an `xbar-api` error: missing inputs are `FileNotFoundError`,
/// outputs `OSError`, settings and data `ValueError`, failed runs
/// `XbarsimError`.
pub fn api(e: xbar_api::Error) -> PyErr {
    use xbar_api::Error as E;
    let class = match &e {
        E::Output(_) => Class::Os,
        E::Run(xbar_experiments::RunError::Units { .. }) => Class::Run,
        E::Run(_) => Class::Os,
        _ if looks_missing(&e.to_string()) => Class::NotFound,
        _ => Class::Value,
    };
    error(class, e)
}

/// An error about an input: `FileNotFoundError` when the file does not
/// exist, `ValueError` otherwise.
pub fn input(message: impl Display) -> PyErr {
    let message = message.to_string();
    let class = if looks_missing(&message) {
        Class::NotFound
    } else {
        Class::Value
    };
    error(class, message)
}

/// Whether a one-line message says an input file does not exist (the
/// operating system's reason, as every located error gives it).
pub fn looks_missing(message: &str) -> bool {
    message.contains("No such file or directory")
}
