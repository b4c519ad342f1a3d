//! Progress of long measurements, reported to the front end as it happens.
//!
//! A front end implements [`Progress`] (or passes a closure taking an
//! [`Update`]) to draw its own bars: the command line draws `indicatif`
//! bars, a notebook its own widget; [`Silent`] ignores every update.

use xbar_training::hardware::InstanceAccuracy;
use xbar_training::Progress as Training;

/// One thing that happened during a measurement.
#[derive(Debug)]
pub enum Update<'a> {
    /// An evaluation is about to start: the network's software test
    /// accuracy (fraction), the test images, and the (instance, time)
    /// points to evaluate.
    EvaluationStart {
        /// Software test accuracy (fraction).
        software: f64,
        /// Test images.
        test_images: usize,
        /// (instance, time) points that will follow as [`Update::Evaluated`].
        points: usize,
    },
    /// One (instance, time) point was evaluated.
    Evaluated(&'a InstanceAccuracy),
    /// Training is about to start on `train_images` images.
    TrainingStart {
        /// Training images.
        train_images: usize,
        /// Trainable parameters (software training only).
        parameters: Option<usize>,
    },
    /// A training batch or epoch finished.
    Training(Training<'a>),
}

/// Receives [`Update`]s.
pub trait Progress {
    /// Called for every update, in order.
    fn update(&mut self, update: Update<'_>);
}

impl<F: FnMut(Update<'_>)> Progress for F {
    fn update(&mut self, update: Update<'_>) {
        self(update)
    }
}

/// Ignores every update.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {
    fn update(&mut self, _: Update<'_>) {}
}
