//! # xbar-training — spiking networks on crossbar arrays
//!
//! (table of contents filled in as modules land)

pub mod hardware;
pub mod insitu;
pub mod mnist;
pub mod model;
pub mod network;
pub mod optim;
pub mod train;

mod bptt;
mod real;
mod rng;

pub use hardware::{
    evaluate, summarise, ArrayConfig, DeviceInjection, ProgrammedNetwork, WireConfig,
};
pub use insitu::{InsituConfig, InsituNetwork};
pub use mnist::{Dataset, Split};
pub use network::{Encoding, Layer, Network, NetworkConfig, NetworkKind, Readout, Surrogate};
pub use optim::AdamConfig;
pub use real::Real;
pub use train::{accuracy, train, EpochStats, NoiseInjection, Progress, Schedule, TrainConfig};
