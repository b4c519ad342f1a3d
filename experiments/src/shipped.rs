//! The configs shipped with the program (`experiments/configs/`), built in
//! so that they run on a fresh machine with nothing to download:
//! `xbarsim run` alone runs [`QUICKSTART`]; `xbarsim run --shipped NAME`
//! runs any of [`ALL`].

/// The default job: device → crossbar → SNN → table → figure in about two
/// minutes on two cores.
pub const QUICKSTART: &str = include_str!("../configs/quickstart.toml");

/// NeuroSim's LTP/LTD curves of its seven-device table (device-pulse).
pub const NEUROSIM_LTP_LTD: &str = include_str!("../configs/neurosim-ltp-ltd.toml");

/// NeuroSim's in-situ training protocol on NeuroSim's device table
/// (insitu-training, `protocol = "neurosim"`).
pub const NEUROSIM_INSITU: &str = include_str!("../configs/neurosim-insitu.toml");

/// PCM in-situ training with and without drift during training, one device
/// per weight or a refreshed pair (insitu-training, `protocol = "neurosim"`).
pub const NEUROSIM_PCM_DRIFT: &str = include_str!("../configs/neurosim-pcm-drift.toml");

/// Joshi et al. 2020: accuracy over PCM drift, noise injection and global
/// drift compensation (inference-drift).
pub const JOSHI2020_DRIFT: &str = include_str!("../configs/joshi2020-drift.toml");

/// Crossbar output error against array size and wire resistance
/// (crossbar-ir-drop).
pub const IR_DROP_ERROR: &str = include_str!("../configs/ir-drop-error.toml");

/// Inference accuracy against tile size and wire resistance
/// (inference-drift at t = 1 s).
pub const IR_DROP_ACCURACY: &str = include_str!("../configs/ir-drop-accuracy.toml");

/// Nandakumar et al. 2019: ibm-pcm conductance distributions over time
/// (device-drift).
pub const NANDAKUMAR_PCM_DISTRIBUTIONS: &str =
    include_str!("../configs/nandakumar-pcm-distributions.toml");

/// Accuracy, energy, area and latency against ADC bits and column sharing.
pub const COST_ADC_PRECISION: &str = include_str!("../configs/cost-adc-precision.toml");

/// Spiking against ReLU networks on the same arrays: accuracy against energy.
pub const SPIKES_VS_ACTIVATIONS: &str = include_str!("../configs/spikes-vs-activations.toml");

/// A convolutional SNN on PCM arrays: accuracy over drift time, with and
/// without noise-injection training.
pub const CONV_SNN_PCM_DRIFT: &str = include_str!("../configs/conv-snn-pcm-drift.toml");

/// ResNet-20 on CIFAR-10 (the user's copy) on PCM arrays over drift time.
pub const RESNET20_CIFAR10: &str = include_str!("../configs/resnet20-cifar10.toml");

/// ISAAC's tile (Shafiee et al., ISCA 2016) predicted from components:
/// tile power, area and the ADC share, the paper's ADC against the survey
/// envelope (architecture-cost).
pub const ISAAC: &str = include_str!("../configs/isaac.toml");

/// A conv network on ISAAC-style bit-sliced arrays: accuracy and energy
/// per inference against the ADC bits per slice (inference-cost).
pub const CONV_ADC_PER_SLICE: &str = include_str!("../configs/conv-adc-per-slice.toml");

/// The same conv network mapped as DNN+NeuroSim V1.4's inference defaults
/// (1-bit cells, offset columns, bit-serial inputs, 5-bit ADC per slice).
pub const CONV_NEUROSIM_STYLE: &str = include_str!("../configs/conv-neurosim-style.toml");

/// Every shipped config, as `(name, text)`; the name is the file's stem.
pub const ALL: &[(&str, &str)] = &[
    ("quickstart", QUICKSTART),
    ("neurosim-ltp-ltd", NEUROSIM_LTP_LTD),
    ("neurosim-insitu", NEUROSIM_INSITU),
    ("neurosim-pcm-drift", NEUROSIM_PCM_DRIFT),
    ("joshi2020-drift", JOSHI2020_DRIFT),
    ("ir-drop-error", IR_DROP_ERROR),
    ("ir-drop-accuracy", IR_DROP_ACCURACY),
    ("nandakumar-pcm-distributions", NANDAKUMAR_PCM_DISTRIBUTIONS),
    ("cost-adc-precision", COST_ADC_PRECISION),
    ("spikes-vs-activations", SPIKES_VS_ACTIVATIONS),
    ("conv-snn-pcm-drift", CONV_SNN_PCM_DRIFT),
    ("resnet20-cifar10", RESNET20_CIFAR10),
    ("isaac", ISAAC),
    ("conv-adc-per-slice", CONV_ADC_PER_SLICE),
    ("conv-neurosim-style", CONV_NEUROSIM_STYLE),
];

/// The text of shipped config `name`.
pub fn get(name: &str) -> Option<&'static str> {
    ALL.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}
