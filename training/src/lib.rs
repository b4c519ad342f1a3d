//! # xbar-training — spiking networks on crossbar arrays
//!
//! Answers "if I build this network on arrays of my device, what accuracy
//! do I get today, after a day, after a year — and how much does training
//! with noise buy me?":
//!
//! | module | what it holds |
//! |---|---|
//! | [`mnist`] | the IDX reader (gzip or plain) and [`Dataset`] |
//! | [`datasets`] | CIFAR-10/100 binary batches, NumPy `.npz` image sets, per-channel normalisation |
//! | [`graph`] | networks of any topology (convolution, pooling, batch-norm, residual additions) and their mapping onto arrays, [`graph::ProgrammedGraph`] |
//! | [`network`] | LIF and ReLU networks: [`NetworkConfig`], [`Network`], [`Surrogate`], [`Encoding`], [`Readout`] |
//! | [`mod@train`] | surrogate-gradient BPTT training with Adam, [`NoiseInjection`] (hardware-aware) |
//! | [`optim`] | Adam |
//! | [`hardware`] | mapping onto programmed tiles of a device, drift, read noise, IR drop, DAC/ADC; accuracy over time and instances |
//! | [`sliced`] | network reads through a bit-sliced mapping ([`ArrayConfig::mapping`]): weights on cells of a few levels, bit-serial inputs, an ADC per slice and step, shift-and-add |
//! | [`evaluation`] | the one evaluation of a programmed network, [`ProgrammedNetwork::evaluate_at`], with an optional [`ActivityProbe`] |
//! | [`activity`] | what the arrays do during an evaluation, for the cost model: [`ActivityProbe`], [`LayerActivity`], [`TileActivity`], [`InputAdmittance`] (exact array power) |
//! | [`insitu`] | training on the arrays by device pulses |
//! | [`neurosim`] | MLP_NeuroSim's in-situ protocol (400-100-10 MLP, per-image SGD, one device per weight), drift during training |
//! | [`model`] | safetensors model files |
//! | [`trained`] | [`Model`]: a dense network trained here or an imported graph, as every evaluation path takes it |
//!
//! The forward and backward passes run one sample at a time with
//! event-driven accumulation of binary spikes (see the `bptt` module's
//! source for why), in `f32`, in parallel over samples, and give the same
//! result for any thread count. Every random draw comes from a stream keyed
//! by the seed.
//!
//! ```
//! use xbar_training::{
//!     accuracy, train, AdamConfig, Dataset, Encoding, Network, NetworkConfig, Readout, TrainConfig,
//! };
//!
//! // Two tiny classes: bright left half (label 0) or right half (label 1).
//! let mut images = Vec::new();
//! let mut labels = Vec::new();
//! for k in 0..40u8 {
//!     let label = k % 2;
//!     images.extend((0..16).map(|p| if (p % 4 < 2) == (label == 0) { 255u8 } else { 0 }));
//!     labels.push(label);
//! }
//! let idx = |magic: u32, dims: &[u32], body: &[u8]| {
//!     let mut v = magic.to_be_bytes().to_vec();
//!     dims.iter().for_each(|d| v.extend(d.to_be_bytes()));
//!     v.extend_from_slice(body);
//!     v
//! };
//! let data = Dataset::from_idx_bytes(
//!     &idx(0x803, &[40, 4, 4], &images),
//!     &idx(0x801, &[40], &labels),
//! )
//! .unwrap();
//! let config = NetworkConfig {
//!     sizes: vec![16, 8, 2],
//!     encoding: Encoding::Direct,
//!     readout: Readout::Membrane,
//!     ..NetworkConfig::default()
//! };
//! let mut net = Network::new(config, 1).unwrap();
//! let optimizer = AdamConfig { learning_rate: 1e-2, ..AdamConfig::default() };
//! let settings = TrainConfig { epochs: 5, batch_size: 8, optimizer, ..TrainConfig::default() };
//! train(&mut net, &data, None, &settings, &mut |_| {}).unwrap();
//! assert!(accuracy(&net, &data, 1) > 0.9);
//! ```

pub mod activity;
pub mod cells;
pub mod datasets;
pub mod evaluation;
pub mod graph;
pub mod hardware;
pub mod insitu;
pub mod mnist;
pub mod model;
pub mod network;
pub mod neurosim;
pub mod optim;
pub mod sliced;
pub mod train;
pub mod trained;

mod bptt;
mod real;

/// Training's random streams: [`xbar_devices::rng::stream`] keyed by what
/// each is for, e.g. `(seed, Encoding, epoch·2³² + sample)`, so that a
/// result does not depend on thread count or batch order.
mod rng {
    pub(crate) use xbar_devices::rng::stream;

    /// What a stream is used for; part of its key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[repr(u64)]
    pub(crate) enum Stream {
        Init = 1,
        Shuffle = 2,
        Encoding = 3,
        WeightNoise = 4,
        DriftInLoop = 5,
        Pulses = 6,
    }

    impl From<Stream> for u64 {
        fn from(s: Stream) -> u64 {
            s as u64
        }
    }
}

pub use activity::{ActivityProbe, InputAdmittance, LayerActivity, TileActivity};
pub use hardware::{evaluate, summarise, ArrayConfig, DeviceInjection, ProgrammedNetwork};
pub use insitu::{InsituConfig, InsituNetwork, Protocol};
pub use mnist::{Dataset, Split};
pub use network::{Encoding, Layer, Network, NetworkConfig, NetworkKind, Readout, Surrogate};
pub use neurosim::{NeurosimConfig, NeurosimNetwork, WeightStorage};
pub use optim::AdamConfig;
pub use real::Real;
pub use train::{accuracy, train, EpochStats, NoiseInjection, Progress, Schedule, TrainConfig};
pub use trained::{Model, Programmed};
