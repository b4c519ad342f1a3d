//! `insitu-training`: a network trained on the arrays themselves, every
//! weight update applied as device pulses (the device's `[pulse]` model,
//! with its nonlinearity, bounds and cycle-to-cycle noise); see
//! [`xbar_training::insitu`]. `xbarsim train-insitu` is a one-point run of
//! this kind. `[insitu] protocol = "neurosim"` trains MLP_NeuroSim's
//! 400-100-10 MLP by its per-image protocol instead
//! ([`xbar_training::neurosim`]; settings in `[insitu.neurosim]`, the
//! `[network]` section unused), with drift during training when the device
//! has a drift model and `insitu.neurosim.time_per_update_s > 0`.
//!
//! Both protocols count every write pulse applied to a device and the
//! conductance it met; the rows price them with the technology of the
//! optional `[cost]` section (the `inference-cost` section; only its
//! `technology` is read, default `generic-32nm`) by
//! [`xbar_cost::write_cost`]: per pulse `V_w²·g·t_p` plus the selected
//! lines' `(C_wl + C_bl)·V_w²`; the arrays (one per layer) are written in
//! parallel, each one pulse at a time, so the write time is `t_p` times the
//! pulses of the busiest array.

use serde::{Deserialize, Serialize};
use xbar_cost::{write_cost, Technology};
use xbar_devices::DeviceSpec;
use xbar_training::{
    EpochStats, InsituConfig, InsituNetwork, Network, NetworkConfig, NeurosimConfig,
    NeurosimNetwork, Progress, Protocol, Split,
};

use crate::context::Context;
use crate::kinds::inference_cost::CostSection;
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
        /// `[cost]`: the technology that prices the write pulses (only
        /// `technology` is read).
        pub cost: CostSection,
    }
}

/// One epoch of training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct Row {
    /// Epoch, from 1.
    pub epoch: u64,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Training accuracy over the epoch (%).
    pub train_accuracy_pct: f64,
    /// Test accuracy through one read of the arrays after the epoch (%).
    pub test_accuracy_pct: f64,
    /// Device time at the end of the epoch: updates ×
    /// `insitu.neurosim.time_per_update_s` (0 without a time model).
    pub training_time_s: f64,
    /// Write pulses applied to devices from the start to the end of the
    /// epoch.
    pub write_pulses: u64,
    /// Their energy (J): cells and selected lines, `[cost]` technology.
    pub write_energy_J: f64,
    /// Their time (s): arrays in parallel, one pulse at a time each.
    pub write_time_s: f64,
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

    /// Trains a unit by the NeuroSim protocol; the per-epoch history.
    ///
    /// # Errors
    /// Unreadable data, a device without an exponential pulse model.
    pub fn train_neurosim(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
        on_progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Vec<EpochStats>, KindError> {
        let train_set = ctx.dataset(&s.data, Split::Train)?;
        let test = ctx.dataset(&s.data, Split::Test)?;
        let mut net = NeurosimNetwork::new(device, s.insitu.neurosim.clone(), seed)?;
        Ok(net.train(&train_set, &test, s.insitu.epochs, on_progress)?)
    }

    /// The rows of a history (no time model: `training_time_s` = 0;
    /// writes priced with the default `[cost]` technology).
    ///
    /// # Errors
    /// An epoch without a test accuracy.
    pub fn rows(history: &[EpochStats]) -> Result<Vec<Row>, KindError> {
        let name = CostSection::default().technology;
        let tech = Technology::preset(&name)
            .ok_or_else(|| KindError::Output(format!("no technology preset {name}")))?;
        Self::rows_timed(history, 0.0, &tech)
    }

    /// The rows of a history whose epochs each last `epoch_s` of device
    /// time, writes priced with `tech`.
    ///
    /// # Errors
    /// An epoch without a test accuracy.
    pub fn rows_timed(
        history: &[EpochStats],
        epoch_s: f64,
        tech: &Technology,
    ) -> Result<Vec<Row>, KindError> {
        history
            .iter()
            .map(|h| {
                let (energy, write_time_s) = write_cost(tech, &h.writes);
                Ok(Row {
                    write_pulses: h.writes.iter().map(|w| w.pulses).sum(),
                    write_energy_J: energy,
                    write_time_s,
                    training_time_s: h.epoch as f64 * epoch_s,
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
        // NeuroSim's protocol reads a linear cell, through a resistor
        // access device (its own check, `check_neurosim`); the spiking
        // protocol reads through any cell (`xbar_training::insitu`).
        if !s.network.layers.is_empty() {
            return Err(FieldError::new(
                "network.layers",
                "in-situ training trains dense networks (network.sizes); train a network of layers with `xbarsim train` and evaluate it on the arrays",
            ));
        }
        s.data.check()?;
        check_cost(&s.cost)?;
        s.insitu
            .validate()
            .map_err(|e| FieldError::train("insitu", &e))?;
        if s.insitu.protocol == Protocol::Neurosim {
            return check_neurosim(s, device);
        }
        if s.insitu.neurosim != NeurosimConfig::default() {
            return Err(FieldError::new(
                "insitu.neurosim",
                "read only under insitu.protocol = \"neurosim\": add `protocol = \"neurosim\"` to [insitu], or remove the section",
            ));
        }
        check_network(&s.network)?;
        if device.pulse.is_none() {
            return Err(FieldError::new(
                "device",
                crate::measure::no_pulse_model(device).to_string(),
            ));
        }
        Ok(())
    }

    fn preflight(s: &Settings, ctx: &Context) -> Result<(), FieldError> {
        s.cost.technology(ctx)?;
        ctx.preflight_data(&s.data, &[Split::Train, Split::Test])?;
        if s.insitu.protocol == Protocol::Neurosim {
            // The crop against the images, before the run creates anything.
            let crop = s.insitu.neurosim.crop;
            for split in [Split::Train, Split::Test] {
                let (rows, cols) = ctx
                    .dataset(&s.data, split)
                    .map_err(|e| FieldError::at("data", "dir", e.to_string()))?
                    .shape();
                if rows < crop || cols < crop {
                    return Err(FieldError::new(
                        "insitu.neurosim.crop",
                        format!(
                            "expected at most the images' size: the images are {rows}×{cols} pixels, smaller than the {crop}×{crop} crop"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let tech = s.cost.technology(ctx)?;
        if s.insitu.protocol == Protocol::Neurosim {
            let history = Self::train_neurosim(s, device, seed, ctx, &mut |_| {})?;
            let n = &s.insitu.neurosim;
            let epoch_s = n.images_per_epoch as f64 * n.time_per_update_s;
            return Self::rows_timed(&history, epoch_s, &tech);
        }
        let (_, history) = Self::train(s, device, seed, ctx, &mut |_| {})?;
        Self::rows_timed(&history, 0.0, &tech)
    }
}

/// `[cost]`: a technology name or file; the periphery keys of
/// `inference-cost` are not read here and are refused.
fn check_cost(cost: &CostSection) -> Result<(), FieldError> {
    let default = CostSection::default();
    if cost.adc_bits.is_some() {
        return Err(FieldError::new(
            "cost.adc_bits",
            "not read by insitu-training (only cost.technology is); remove it",
        ));
    }
    if cost.columns_per_adc != default.columns_per_adc {
        return Err(FieldError::new(
            "cost.columns_per_adc",
            "not read by insitu-training (only cost.technology is); remove it",
        ));
    }
    cost.check_technology()
}

/// The NeuroSim protocol's own checks: no `[network]` section (its network
/// is `insitu.neurosim.crop² – hidden – 10`) and a device with NeuroSim's
/// exponential LTP/LTD curves.
fn check_neurosim(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
    if s.network != NetworkConfig::default() {
        return Err(FieldError::new(
            "network",
            "not read under insitu.protocol = \"neurosim\" (its network is set by insitu.neurosim.crop and insitu.neurosim.hidden); remove the section",
        ));
    }
    // `[insitu]` keys of the spiking protocol, which NeuroSim's does not read.
    let default = InsituConfig::default();
    for (key, unread, instead) in [
        (
            "batch_size",
            s.insitu.batch_size != default.batch_size,
            "it trains image by image",
        ),
        (
            "learning_rate",
            s.insitu.learning_rate != default.learning_rate,
            "its rates are insitu.neurosim.learning_rates",
        ),
        (
            "w_max",
            s.insitu.w_max != default.w_max,
            "its weights span the device's range",
        ),
    ] {
        if unread {
            return Err(FieldError::new(
                format!("insitu.{key}"),
                format!("not read under insitu.protocol = \"neurosim\" ({instead}); remove it"),
            ));
        }
    }
    let n = &s.insitu.neurosim;
    // A linear cell, read through a resistor access device or NeuroSim's.
    if let Err(e) = n.access_ohm_for(device) {
        return Err(match &e {
            xbar_training::train::TrainError::Config { field, message }
                if field.starts_with("device") =>
            {
                FieldError::new(field.clone(), message.clone())
            }
            _ => FieldError::train("insitu", &e),
        });
    }
    // The device time of the last test: `epochs · images_per_epoch ·
    // time_per_update_s` must be a time (before: inf at run time).
    let end_s = s.insitu.epochs as f64 * n.images_per_epoch as f64 * n.time_per_update_s;
    if !end_s.is_finite() {
        return Err(FieldError::new(
            "insitu.neurosim.time_per_update_s",
            format!(
                "{} s per update over {} epochs of {} images is no finite time: expected a smaller time per update",
                n.time_per_update_s, s.insitu.epochs, n.images_per_epoch
            ),
        ));
    }
    crate::resources::check_memory(
        "insitu.neurosim.hidden",
        n.memory_bytes(),
        &format!(
            "for the NeuroSim network of {}²–{}–10 devices",
            n.crop, n.hidden
        ),
    )?;
    if !matches!(
        device.pulse,
        Some(xbar_devices::pulse::PulseSpec::Exponential { .. })
    ) {
        return Err(FieldError::new(
            "device",
            format!(
                "insitu.protocol = \"neurosim\" needs an exponential pulse model (NeuroSim's LTP/LTD curves); {} has {}",
                device.name,
                if device.pulse.is_some() {
                    "another pulse model"
                } else {
                    "none"
                }
            ),
        ));
    }
    Ok(())
}
