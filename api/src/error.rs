//! The error of a measurement: which setting, which input or which output
//! was wrong, keeping its source. Front ends turn it into their own text
//! (the command line names a setting by the flag that set it).

use xbar_experiments::config::ConfigError;
use xbar_experiments::{FieldError, KindError, RunError};

use crate::output::OutputError;

/// Why a measurement could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A setting outside its domain; its `path` is the config key
    /// (`evaluation.instances`), which a front end may name its own way.
    #[error(transparent)]
    Field(#[from] FieldError),
    /// The measurement failed while running (data, model, arrays).
    #[error(transparent)]
    Kind(#[from] KindError),
    /// A settings or device file with its located error.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An output file that cannot be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// A sweep that could not run, merge or claim its directory.
    #[error(transparent)]
    Run(#[from] RunError),
    /// A shipped config asked for by a name it does not have.
    #[error(transparent)]
    Shipped(#[from] crate::run::UnknownShipped),
    /// More SLURM shards than the config has points.
    #[error("{shards} shards: the config has only {points} points; use at most {points} shards")]
    TooManyShards {
        /// Shards asked for.
        shards: usize,
        /// Points in the config.
        points: usize,
    },
    /// A network whose input or output width does not fit the data.
    #[error(transparent)]
    Shape(#[from] ShapeError),
}

/// Which end of a network does not fit the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The first size against the pixels per image.
    Inputs,
    /// The last size against the classes in the labels.
    Outputs,
}

/// A network's first or last width against the data it is to learn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(None))]
pub struct ShapeError {
    /// The network's widths.
    pub sizes: Vec<usize>,
    /// Which end does not fit.
    pub end: End,
    /// What that end must be.
    pub expected: usize,
}

impl ShapeError {
    /// The message, naming where the sizes came from when `origin` is
    /// given (`from --hidden`).
    pub fn message(&self, origin: Option<&str>) -> String {
        let from = origin.map_or(String::new(), |o| format!(" (from {o})"));
        let sizes = &self.sizes;
        match self.end {
            End::Inputs => format!(
                "network.sizes {sizes:?}{from}: the first size must be the number of pixels, {}",
                self.expected
            ),
            End::Outputs => format!(
                "network.sizes {sizes:?}{from}: the last size must be the number of classes, {} (labels 0–{})",
                self.expected,
                self.expected.saturating_sub(1)
            ),
        }
    }
}
