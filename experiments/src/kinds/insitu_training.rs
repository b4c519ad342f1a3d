//! `insitu-training`: a network trained on the arrays themselves, every
//! weight update applied as device pulses (the device's `[pulse]` model,
//! with its nonlinearity, bounds and cycle-to-cycle noise); see
//! [`xbar_training::insitu`]. `xbarsim train-insitu` is a one-point run of
//! this kind.

use serde::{Deserialize, Serialize};
use xbar_devices::DeviceSpec;
use xbar_training::{
    EpochStats, InsituConfig, InsituNetwork, Network, NetworkConfig, Progress, Split,
};

use crate::context::Context;
use crate::kinds::{ExperimentKind, FieldError, KindError};
use crate::sections::{check_network, DataSection};

crate::sections! {
    /// `insitu-training` settings.
    pub struct Settings {
        /// `[network]`: the network on the arrays.
        pub network: NetworkConfig,
        /// `[insitu]`: epochs, batch size, learning rate, weight range.
        pub insitu: InsituConfig,
        /// `[data]`: MNIST.
        pub data: DataSection,
    }
}

/// One epoch of training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Epoch, from 1.
    pub epoch: u64,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy over the epoch (%).
    pub train_accuracy_pct: f64,
    /// Test accuracy through one read of the arrays after the epoch (%).
    pub test_accuracy_pct: f64,
}

/// The `insitu-training` kind.
pub struct InsituTraining;

impl InsituTraining {
    /// Trains a unit, reporting progress; the trained network on its arrays
    /// and the per-epoch history.
    ///
    /// # Errors
    /// Unreadable data, a device without a pulse model, data that does not
    /// fit the network.
    pub fn train(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
        on_progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<(InsituNetwork, Vec<EpochStats>), KindError> {
        let train_set = ctx.dataset(&s.data, Split::Train)?;
        let test = ctx.dataset(&s.data, Split::Test)?;
        let net = Network::new(s.network.clone(), seed)?;
        let mut insitu = InsituNetwork::new(net, device.clone(), s.insitu.clone(), seed)?;
        let history = insitu.train(&train_set, Some(&test), on_progress)?;
        Ok((insitu, history))
    }

    /// The rows of a history.
    ///
    /// # Errors
    /// An epoch without a test accuracy.
    pub fn rows(history: &[EpochStats]) -> Result<Vec<Row>, KindError> {
        history
            .iter()
            .map(|h| {
                Ok(Row {
                    epoch: h.epoch as u64,
                    train_loss: h.train_loss,
                    train_accuracy_pct: 100.0 * h.train_accuracy,
                    test_accuracy_pct: 100.0
                        * h.test_accuracy.ok_or_else(|| {
                            KindError::Output(format!("epoch {} has no test accuracy", h.epoch))
                        })?,
                })
            })
            .collect()
    }
}

impl ExperimentKind for InsituTraining {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
        check_network(&s.network)?;
        s.insitu
            .validate()
            .map_err(|e| FieldError::train("insitu", &e))?;
        if device.pulse.is_none() {
            return Err(FieldError::new(
                "device",
                crate::measure::no_pulse_model(device).to_string(),
            ));
        }
        Ok(())
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let (_, history) = Self::train(s, device, seed, ctx, &mut |_| {})?;
        Self::rows(&history)
    }
}
