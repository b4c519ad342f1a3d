//! # xbar-import — trained networks from other frameworks
//!
//! | module | reads |
//! |---|---|
//! | [`onnx`] | ONNX files (`torch.onnx.export`): convolutional, dense and residual networks → [`Graph`] |
//! | [`nir`] | NIR files (snnTorch's `export_to_nir`, Norse, Sinabs, Lava; HDF5): spiking networks → [`Graph`] with time steps |
//!
//! Every refusal is one [`ImportError`] that names the file, the node and
//! its op, and what is supported, so a user can change the export rather
//! than guess.
//!
//! ```
//! let err = xbar_import::onnx::from_bytes(b"not a model").unwrap_err();
//! assert!(err.to_string().starts_with("model: not an ONNX model"));
//! ```

pub mod nir;
pub mod onnx;
mod proto;

use std::path::{Path, PathBuf};

pub use xbar_training::graph::Graph;

/// A model file that cannot be imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ImportError {
    /// The file as a whole (unreadable, damaged, no graph, …).
    #[error("{}: {message}", file.as_ref().map_or("model".into(), |f| f.display().to_string()))]
    Model {
        /// The file (`None` for bytes in memory).
        file: Option<PathBuf>,
        /// What is wrong and what to do.
        message: String,
    },
    /// One node.
    #[error("{}: node '{node}' ({op}): {message}", file.as_ref().map_or("model".into(), |f| f.display().to_string()))]
    Node {
        /// The file (`None` for bytes in memory).
        file: Option<PathBuf>,
        /// The node's name (its first output's when unnamed).
        node: String,
        /// Its op type.
        op: String,
        /// What is wrong and what is supported.
        message: String,
    },
}

impl ImportError {
    fn model(message: String) -> Self {
        ImportError::Model {
            file: None,
            message,
        }
    }

    fn file(path: &Path, message: String) -> Self {
        ImportError::Model {
            file: Some(path.to_path_buf()),
            message,
        }
    }

    /// The same error, located in `path`.
    fn in_file(self, path: &Path) -> Self {
        match self {
            ImportError::Model { message, .. } => ImportError::file(path, message),
            ImportError::Node {
                node, op, message, ..
            } => ImportError::Node {
                file: Some(path.to_path_buf()),
                node,
                op,
                message,
            },
        }
    }
}
