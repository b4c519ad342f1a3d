//! # xbar-devices — memristive device models
//!
//! Everything a device engineer asks of one RRAM/PCM/FeFET cell, computed for
//! a whole array at once, reproducibly from a seed. Each model is its own
//! module whose documentation states its equation, its parameters (SI units)
//! and its source paper:
//!
//! | module | model |
//! |---|---|
//! | [`programming`] | write a target: finite levels, σ_prog(g) noise, write-verify |
//! | [`pulse`] | LTP/LTD pulse updates: NeuroSim exponential, soft bounds; C2C noise |
//! | [`drift`] | `G(t) = G(t₀)·(t/t₀)^(−ν)`, ν per device; global drift compensation |
//! | [`read_noise`] | relative Gaussian and PCM 1/f (σ ∝ √ln t) read noise |
//! | [`variability`] | device-to-device spread of bounds and nonlinearity |
//! | [`faults`] | stuck-at-ON / stuck-at-OFF, fixed pattern per seed |
//! | [`iv`] | ohmic and `sinh` cell I-V behind the [`CellIv`] trait |
//! | [`access`] | the access device in series (resistor, SPICE level-1 NMOS) and the [`Cell`] the nodal equations see |
//! | [`library`] | published devices with their parameters and citations |
//! | [`describe`] | every parameter's key, value, unit and meaning, and derived quantities ([`DeviceSpec::describe`]) |
//! | [`array`](mod@array) | [`DeviceArray`]: program, pulse, drift and read a matrix of devices |
//!
//! A device is described by one [`DeviceSpec`] (plain serde data, validated
//! field by field); [`DeviceArray`] turns it into a matrix of devices.
//! Randomness: see [`rng`] for the exact, platform-stable streams.
//!
//! ```
//! use nalgebra::DMatrix;
//! use xbar_devices::{library, DeviceArray};
//!
//! let rram = library::preset("ag-a-si").unwrap();
//! let mut array = DeviceArray::new(&rram, 2, 3, 7).unwrap();
//! array.apply_pulses(&DMatrix::from_element(2, 3, 10)).unwrap(); // 10 LTP pulses
//! let (g_min, g_max) = (rram.g_min.siemens(), rram.g_max.siemens());
//! assert!(array.conductances().iter().all(|g| (g_min..=g_max).contains(g)));
//! ```

pub mod access;
pub mod array;
mod check;
pub mod describe;
pub mod drift;
pub mod faults;
pub mod iv;
pub mod library;
pub mod programming;
pub mod pulse;
pub mod pulse_table;
pub mod read_noise;
pub mod rng;
pub mod spec;
pub mod units;
pub mod variability;

pub use access::{AccessSpec, Cell};
pub use array::{DeviceArray, DeviceError};
pub use check::SpecError;
pub use faults::{Fault, FaultSpec};
pub use iv::{CellIv, IvSpec};
pub use spec::{Citation, DeviceSpec};
pub use units::Conductance;
