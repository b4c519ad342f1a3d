//! The command-line surface (clap derive): commands, flags, help texts and
//! the parsers of flag values.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand};
use xbar_crossbar::{Converters, Solver, Wires};

use crate::parse::{
    parse_jobs, parse_mapping, parse_means, parse_resistance, parse_size, parse_solver, parse_stds,
    parse_times, parse_widths, List, Widths,
};
use xbar_experiments::kinds::inference_drift;
use xbar_experiments::sections::ArraySection;

use crate::device_cmd::{ListArgs, ShowArgs};
use crate::point_cmd::{DriftArgs, PulseArgs};
use crate::solve_cmd::{SolveArgs, SOLVE_ABOUT, SOLVE_EXAMPLES};

const ABOUT: &str = "Compute-in-memory simulator for memristor crossbars";

const LONG_ABOUT: &str = "\
Compute-in-memory simulator for memristor crossbars.

Devices come from the built-in library of published devices (`xbarsim device \
list`) or from a TOML device file (`xbarsim device show NAME --toml` writes \
one to start from). Units are SI throughout: conductances in siemens (S), \
times in seconds (s).

Every CSV output gets a sidecar `<output>.json` with the program version, \
the command line, the seed and the full device specification, so that a \
result can be reproduced bit for bit. Errors are one line on stderr, \
`error: ...`, with exit code 2.";

const EXAMPLES: &str = "\
Examples:
  xbarsim device list
  xbarsim device show ibm-pcm
  xbarsim device show ag-a-si --toml > my-device.toml
  xbarsim device pulse --device my-device.toml --count 100 --output curve.csv
  xbarsim device drift --device ibm-pcm --times 1,3600,86400,3.15e7 --output drift.csv
  xbarsim run --out results
  xbarsim train --output model.safetensors
  xbarsim evaluate --model model.safetensors --device ibm-pcm --output accuracy.csv
  xbarsim train-insitu --device ag-a-si --output insitu.safetensors
  xbarsim solve --conductances G.csv --inputs V.csv --r-wordline 2.5 --r-bitline 2.5 --output I.csv";

/// The `xbarsim` command.
#[derive(Debug, Parser)]
#[command(
    name = "xbarsim",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    propagate_version = true
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Device library, device files and single-device characterisation
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Run an experiment config (default: the built-in quick-start)
    #[command(long_about = RUN_ABOUT, after_help = RUN_EXAMPLES)]
    Run(RunArgs),
    /// Join the unit files of shard runs into one results table
    #[command(
        after_help = "Examples:\n  xbarsim merge shard1/ shard2/ shard3/ --out all/\n  xbarsim merge results/   # shards that wrote into one directory"
    )]
    Merge(MergeArgs),
    /// Write SLURM scripts that run a config as an array job, then merge
    #[command(long_about = SLURM_ABOUT, after_help = "Examples:\n  xbarsim slurm sweep.toml --shards 16 --out /scratch/me/sweep\n  /scratch/me/sweep/slurm/submit.sh")]
    Slurm(SlurmArgs),
    /// Draw a figure from a results directory
    #[command(
        after_help = "Examples:\n  xbarsim plot xbarsim-out/quickstart --x time_s --y accuracy_pct --series training.noise.weight_noise --log-x --output acc.svg\n  xbarsim plot out/ --kind heatmap --x array.size --y array.r_wire_ohm --z error_mean_rel --output map.png"
    )]
    Plot(PlotArgs),
    /// Bit-line currents of a programmed crossbar, with exact IR drop
    #[command(long_about = SOLVE_ABOUT, after_help = SOLVE_EXAMPLES)]
    Solve(SolveArgs),
    /// Train a spiking (or ReLU) network on MNIST, optionally hardware-aware
    #[command(long_about = TRAIN_ABOUT, after_help = TRAIN_EXAMPLES)]
    Train(TrainArgs),
    /// Test accuracy of a trained model on programmed arrays over drift time
    #[command(long_about = EVALUATE_ABOUT, after_help = EVALUATE_EXAMPLES)]
    Evaluate(EvaluateArgs),
    /// Train a network on the arrays themselves, by device pulses
    #[command(name = "train-insitu", long_about = INSITU_ABOUT, after_help = INSITU_EXAMPLES)]
    TrainInsitu(InsituArgs),
    /// Energy, latency and area per inference of a trained model on arrays
    #[command(
        after_help = "Examples:\n  xbarsim cost --model model.safetensors --device ibm-pcm --r-wordline 1.3 --r-bitline 1.3 --adc-bits 6 --output cost.csv\n  xbarsim cost --model model.safetensors --technology my-node.toml --columns-per-adc 16 --output cost.csv"
    )]
    Cost(CostArgs),
}

const TRAIN_ABOUT: &str = "\
Train a network of leaky integrate-and-fire neurons (or ReLU units) on MNIST \
with surrogate-gradient back-propagation through time and Adam, and write it \
as a safetensors file (tensors `layers.L.weight` [outputs, inputs] and \
`layers.L.bias`, metadata with the configuration, seed and program version).

Without --data the shipped subset is used (6 000 training and 1 000 test \
images, built into the program); --data DIR reads the four standard IDX files \
(gzip or plain) from DIR. Settings come from the defaults, then --config FILE \
(TOML with [network] and [training] tables), then the flags. \
--hardware-aware turns on noise injection (7 % Gaussian weight noise relative \
to each layer's max |w|, fresh every batch; weights clipped at 2.5σ).";

const TRAIN_EXAMPLES: &str = "\
Examples:
  xbarsim train --output model.safetensors
  xbarsim train --data ../shared/data/mnist --epochs 10 --output model.safetensors --history history.csv
  xbarsim train --data ../shared/data/mnist --hardware-aware --output aware.safetensors
  xbarsim train --encoding rate --hidden 500,200 --steps 25 --output deep.safetensors
  xbarsim train --config train.toml --output model.safetensors";

const EVALUATE_ABOUT: &str = "\
Program a trained model onto arrays of a device (differential G+/G- pairs, \
tiles of --tile-rows x --tile-cols cells), and for each of --instances \
independent device instances read it at every time in --times (seconds since \
programming: drift, read noise, global drift compensation unless \
--no-drift-compensation), compute every layer through the crossbar (ideal, or \
with IR drop when a wire resistance is given: the exact transfer matrix of \
each tile) with optional DAC/ADC, and classify the test set. The CSV has one \
row per time: mean, std, min and max accuracy over instances.

--solver chooses each tile's effective conductances: `auto` (default) the \
read conductances without wire resistance, else the transfer matrix; \
`transfer` always the transfer matrix; `ideal` the read conductances, \
ignoring the wires; `exact` a full nodal solve per word line (slow; a \
reference for `transfer`). A device with a nonlinear [iv] or an [access] \
device is read one input vector at a time: `auto`/`exact` solve each read \
exactly (Newton on the nodal equations when wires are given), `ideal` \
leaves the wires out, `linearised` reads through the tile's small-signal \
network at the read voltage (first order in the IR drop), a cell behind an \
access device through a separable expansion of its current (K terms, to 1e-6 \
of its largest current; inputs beyond 2·V_read read exactly): the cost of a \
few linear reads. `transfer` is refused.";

const EVALUATE_EXAMPLES: &str = "\
Examples:
  xbarsim evaluate --model model.safetensors --device ibm-pcm --output accuracy.csv
  xbarsim evaluate --model model.safetensors --device ibm-pcm --times 1,3600,86400,2.6e6,3.15e7 \\
      --instances 10 --data ../shared/data/mnist --output accuracy.csv
  xbarsim evaluate --model model.safetensors --device ibm-pcm --r-wordline 1 --r-bitline 1 \\
      --adc-bits 8 --dac-bits 6 --output accuracy.csv";

const INSITU_ABOUT: &str = "\
Train a network on arrays of a device: every batch reads the arrays (read \
noise), back-propagates through the read weights, and turns each SGD update \
into pulses (stochastic rounding of dw/dw_min, dw_min = one nominal pulse) \
applied through the device's LTP/LTD model with its cycle-to-cycle noise. The \
device needs a pulse model (`xbarsim device list` shows which have one).";

const INSITU_EXAMPLES: &str = "\
Examples:
  xbarsim train-insitu --device ag-a-si --output insitu.safetensors
  xbarsim train-insitu --device ideal --data ../shared/data/mnist --epochs 2 --output insitu.safetensors";

/// The wire, driver and sense resistances of an array (`solve`, `evaluate`).
#[derive(Debug, Args)]
pub struct WiresArgs {
    /// Word-line resistance per segment between neighbouring cells (Ω)
    #[arg(long, value_name = "OHMS", default_value_t = 0.0, value_parser = parse_resistance, allow_hyphen_values = true)]
    pub r_wordline: f64,
    /// Bit-line resistance per segment between neighbouring cells (Ω)
    #[arg(long, value_name = "OHMS", default_value_t = 0.0, value_parser = parse_resistance, allow_hyphen_values = true)]
    pub r_bitline: f64,
    /// Input driver resistance (Ω)
    #[arg(long, value_name = "OHMS", default_value_t = 0.0, value_parser = parse_resistance, allow_hyphen_values = true)]
    pub r_source: f64,
    /// Sense amplifier (virtual ground) input resistance (Ω)
    #[arg(long, value_name = "OHMS", default_value_t = 0.0, value_parser = parse_resistance, allow_hyphen_values = true)]
    pub r_sense: f64,
}

impl WiresArgs {
    /// The resistances as [`Wires`] (each flag was checked finite and ≥ 0
    /// when parsed; [`Wires::validate`] holds).
    pub fn wires(&self) -> Wires {
        Wires {
            r_wordline: self.r_wordline,
            r_bitline: self.r_bitline,
            r_source: self.r_source,
            r_sense: self.r_sense,
        }
    }
}

/// The converters of an array (`evaluate`).
#[derive(Debug, Args)]
pub struct ConverterArgs {
    /// Input DAC bits (none: ideal)
    #[arg(long, value_name = "BITS", allow_hyphen_values = true)]
    pub dac_bits: Option<u32>,
    /// Output ADC bits per tile (none: ideal)
    #[arg(long, value_name = "BITS", allow_hyphen_values = true)]
    pub adc_bits: Option<u32>,
    /// Word-line voltage of an input of 1 (V)
    #[arg(
        long,
        value_name = "V",
        default_value_t = 0.2,
        allow_hyphen_values = true
    )]
    pub read_voltage: f64,
}

impl ConverterArgs {
    /// The settings as [`Converters`], unchecked ([`Converters::validate`]
    /// names a bad one by its config key).
    pub fn converters(&self) -> Converters {
        Converters {
            dac_bits: self.dac_bits,
            adc_bits: self.adc_bits,
            read_voltage: self.read_voltage,
        }
    }
}

/// The size of one physical array (`evaluate`).
#[derive(Debug, Args)]
pub struct TileArgs {
    /// Word lines per array
    #[arg(long, value_name = "N", value_parser = parse_size, default_value_t = 256, allow_hyphen_values = true)]
    pub tile_rows: usize,
    /// Bit lines per array (two per weight)
    #[arg(long, value_name = "N", value_parser = parse_size, default_value_t = 256, allow_hyphen_values = true)]
    pub tile_cols: usize,
}

/// `xbarsim device ...`.
#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// List the library of published devices, one row per preset
    #[command(
        after_help = "Examples:\n  xbarsim device list\n  xbarsim device list --markdown >> README.md"
    )]
    List(ListArgs),
    /// Show every parameter of a device, with units and citation
    #[command(after_help = "\
Examples:
  xbarsim device show ibm-pcm
  xbarsim device show my-device.toml
  xbarsim device show ag-a-si --toml > my-device.toml   # a file to edit and pass to --device")]
    Show(ShowArgs),
    /// Pulse-programming curve: N LTP pulses from g_min, then N LTD pulses
    #[command(after_help = "\
Writes the CSV columns pulse,phase,device,conductance_S: pulse 0 (phase `initial`, every \
device at its g_min), then one row per pulse and device, with the cumulative pulse index \
and phase `ltp` or `ltd`. Also writes <output>.json (provenance).

Examples:
  xbarsim device pulse --device ag-a-si --output curve.csv
  xbarsim device pulse --device pcmo --pulses 60 --count 100 --seed 3 --output pcmo.csv")]
    Pulse(PulseArgs),
    /// Conductance drift statistics of programmed devices over time
    #[command(after_help = "\
Programs COUNT devices to each target, then reads them at each time since programming \
(with read noise unless --no-read-noise) and writes one row per target and time: \
target_S,time_s,count,mean_S,std_S,min_S,p05_S,median_S,p95_S,max_S (std: population \
standard deviation; percentiles: linear interpolation between order statistics). Also \
writes <output>.json (provenance).

Examples:
  xbarsim device drift --device ibm-pcm --output drift.csv
  xbarsim device drift --device ibm-pcm --times 1,3600,86400,3.15e7 --targets 2.5e-6,1e-5 \\
      --count 10000 --seed 1 --output drift.csv")]
    Drift(DriftArgs),
    /// Fit a device file to measured pulse trains (LTP/LTD cycles of many devices)
    #[command(after_help = "\
Fits the NeuroSim exponential and the soft-bounds pulse models to every device, keeps the \
better by BIC (or --model), and writes a device file that --device and configs read, with \
the JSON report as <output>.json. Errors name the file, line and column; nothing is written \
then.

Examples:
  xbarsim device fit --pulses data/pulse-trains-synthetic.csv --output my-device.toml --figure fit.png
  xbarsim device fit --pulses lab.xlsx --name my-rram --robust --output my-rram.toml")]
    Fit(crate::fit_cmd::FitArgs),
}

const RUN_ABOUT: &str = "\
Run every point of an experiment config (TOML: kind, device, arrays, network, \
[sweep] and [[plot]]; see experiments/configs/ for examples) in parallel, \
writing each finished point at once. Running the same config into the same \
directory again resumes: nothing that finished is recomputed. The directory \
gets results.parquet and results.csv (one row per point and repeat, units in \
the column names), the exact config, run.json (program version, config hash, \
seeds, timings, machine) and the figures.

Without a config, the built-in quick-start runs: a spiking network trained \
on the shipped MNIST subset with and without noise injection, on ibm-pcm \
arrays with IR drop, tested from 1 s to 1 year after programming (about two \
minutes on two cores).";

const RUN_EXAMPLES: &str = "\
Examples:
  xbarsim run
  xbarsim run experiments/configs/ir-drop-error.toml --out results/ir --jobs 8
  xbarsim run --shipped joshi2020-drift --data ../shared/data/mnist
  xbarsim run sweep.toml --out /scratch/sweep --shard 3/16";

const SLURM_ABOUT: &str = "\
Write DIR/slurm/shards.sbatch (an sbatch --array=1-N job whose task K runs \
`xbarsim run CONFIG --shard K/N --out DIR`), DIR/slurm/merge.sbatch (runs \
`xbarsim merge DIR` once every shard succeeded) and DIR/slurm/submit.sh, \
which submits both. DIR must be on a file system that every node sees. The \
config is checked first: a bad config fails here, not on the cluster.";

/// `xbarsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Experiment config (TOML); default: the built-in quick-start
    #[arg(value_name = "CONFIG")]
    pub config: Option<PathBuf>,
    /// Run a config shipped with the program, by name (`--shipped list` lists them)
    #[arg(long, value_name = "NAME", conflicts_with = "config")]
    pub shipped: Option<String>,
    /// Results directory [default: xbarsim-out/NAME, NAME being the experiment name]
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Threads [default: all cores]
    #[arg(short, long, value_name = "N", value_parser = parse_jobs, allow_hyphen_values = true)]
    pub jobs: Option<usize>,
    /// Replace another config's results in the directory
    #[arg(long)]
    pub force: bool,
    /// Run only shard K of N (points p with p mod N = K-1); merge the shards with `xbarsim merge`
    #[arg(long, value_name = "K/N", allow_hyphen_values = true)]
    pub shard: Option<xbar_experiments::Shard>,
    /// MNIST directory (four IDX files, gzip or plain) for every `[data]` section
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// No progress bar
    #[arg(short, long)]
    pub quiet: bool,
}

/// `xbarsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Results directories of the shards (of one config)
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,
    /// Where the merged table goes [default: the first DIR]
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `xbarsim slurm`.
#[derive(Debug, Args)]
pub struct SlurmArgs {
    /// Experiment config (TOML)
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,
    /// Number of array tasks
    #[arg(long, value_name = "N", value_parser = parse_jobs, allow_hyphen_values = true)]
    pub shards: usize,
    /// Results directory, on a file system every node sees
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// CPUs (threads) per task
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = parse_jobs, allow_hyphen_values = true)]
    pub cpus_per_task: usize,
    /// Wall-time limit per task, e.g. 12:00:00
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub time: Option<String>,
    /// Partition
    #[arg(long, value_name = "P")]
    pub partition: Option<String>,
}

/// `xbarsim plot`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// Results directory (with results.parquet)
    #[arg(value_name = "RESULTS_DIR")]
    pub results: PathBuf,
    /// Column on the x axis
    #[arg(long, value_name = "COL")]
    pub x: String,
    /// Column on the y axis
    #[arg(long, value_name = "COL")]
    pub y: String,
    /// One line per value of this column
    #[arg(long, value_name = "COL")]
    pub series: Option<String>,
    /// Heatmap value column (with --kind heatmap)
    #[arg(long, value_name = "COL")]
    pub z: Option<String>,
    /// line or heatmap
    #[arg(long, value_name = "KIND", default_value = "line")]
    pub kind: String,
    /// Spread over repeats: band (mean ± σ), ci95 (95 % CI of the mean), bars or none
    #[arg(long, value_name = "STYLE", default_value = "band")]
    pub error: String,
    /// Logarithmic x axis
    #[arg(long)]
    pub log_x: bool,
    /// Logarithmic y axis
    #[arg(long)]
    pub log_y: bool,
    /// Title
    #[arg(long)]
    pub title: Option<String>,
    /// Keep only rows where COL equals VALUE (repeatable)
    #[arg(long = "where", value_name = "COL=VALUE")]
    pub filter: Vec<String>,
    /// Output file: .svg, .png or .pdf
    #[arg(long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Where images come from.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// MNIST IDX directory (gzip or plain), CIFAR-10/100 binary directory, or .npz file (`images` N×C×H×W, `labels`); default: the shipped MNIST subset
    #[arg(long, value_name = "PATH")]
    pub data: Option<PathBuf>,
    /// Per-channel means subtracted from the images, comma-separated (with --std)
    #[arg(long, value_name = "LIST", value_parser = parse_means, allow_hyphen_values = true)]
    pub mean: Option<List>,
    /// Per-channel standard deviations the images are divided by, comma-separated (with --mean)
    #[arg(long, value_name = "LIST", value_parser = parse_stds, allow_hyphen_values = true)]
    pub std: Option<List>,
    /// Use only the first N training images
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub train_limit: Option<usize>,
    /// Use only the first N test images
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub test_limit: Option<usize>,
}

impl DataArgs {
    /// The `[data]` section these flags stand for.
    pub fn section(&self) -> xbar_experiments::sections::DataSection {
        xbar_experiments::sections::DataSection {
            dir: self.data.clone(),
            train_limit: self.train_limit,
            test_limit: self.test_limit,
            mean: self.mean.as_ref().map(|l| l.0.clone()),
            std: self.std.as_ref().map(|l| l.0.clone()),
        }
    }
}

/// Network shape and neuron model (override the config file).
#[derive(Debug, Args)]
pub struct NetworkArgs {
    /// Hidden layer widths, comma-separated [default: 128]
    #[arg(long, value_name = "LIST", value_parser = parse_widths, allow_hyphen_values = true)]
    pub hidden: Option<Widths>,
    /// Neuron kind: spiking or relu [default: spiking]
    #[arg(long, value_name = "KIND")]
    pub kind: Option<String>,
    /// Time steps T [default: 25]
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub steps: Option<usize>,
    /// Membrane decay β per step [default: 0.95]
    #[arg(long, value_name = "BETA", allow_hyphen_values = true)]
    pub beta: Option<f64>,
    /// Firing threshold θ [default: 1]
    #[arg(long, value_name = "THETA", allow_hyphen_values = true)]
    pub threshold: Option<f64>,
    /// Input encoding: rate or direct [default: rate]
    #[arg(long, value_name = "ENC")]
    pub encoding: Option<String>,
    /// Surrogate gradient: fast-sigmoid or arctan [default: fast-sigmoid]
    #[arg(long, value_name = "NAME")]
    pub surrogate: Option<String>,
    /// Surrogate slope k (fast-sigmoid) or alpha (arctan) [default: 25 / 2]
    #[arg(long, value_name = "K", allow_hyphen_values = true)]
    pub slope: Option<f64>,
    /// Class scores: spike-count or membrane [default: spike-count]
    #[arg(long, value_name = "NAME")]
    pub readout: Option<String>,
}

/// `xbarsim train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// TOML file with `[network]` and `[training]` tables (flags override it)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Passes over the training set [default: 1]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub epochs: Option<usize>,
    /// Samples per batch [default: 128]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub batch_size: Option<usize>,
    /// Adam learning rate [default: 5e-4]
    #[arg(long, value_name = "LR", allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Learning-rate schedule: constant or cosine [default: constant]
    #[arg(long, value_name = "NAME")]
    pub schedule: Option<String>,
    /// Seed of initialisation, shuffling, input spikes and noise [default: 1]
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub seed: Option<u64>,
    /// Hardware-aware training: 7 % weight noise, clip at 2.5σ
    #[arg(long)]
    pub hardware_aware: bool,
    /// Gaussian weight noise σ relative to each layer's max |w| (implies noise injection)
    #[arg(long, value_name = "SIGMA", allow_hyphen_values = true)]
    pub weight_noise: Option<f64>,
    /// Clip weights to ±C·std(W) after every step
    #[arg(long, value_name = "C", allow_hyphen_values = true)]
    pub clip_sigma: Option<f64>,
    /// Inject the programming (and read) noise of a device: program and read every batch's weights through it
    #[arg(long, value_name = "DEVICE")]
    pub inject_device: Option<String>,
    /// With --inject-device: read at a random time up to T seconds, with drift compensation
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub drift_in_loop: Option<f64>,
    /// Model file to write (safetensors)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Per-epoch CSV: epoch, train_loss, train_accuracy, test_accuracy, epoch_time_s
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// No progress bar (one line per epoch on stderr instead)
    #[arg(long)]
    pub no_progress: bool,
}

/// What `evaluate` and `cost` share: a trained model programmed onto tiled
/// arrays of a device, read through converters.
#[derive(Debug, Args)]
pub struct ProgrammedModelArgs {
    /// Model file: written by `xbarsim train` (.safetensors), or imported
    /// (.onnx from PyTorch, .nir from snnTorch, Norse, Sinabs or Lava)
    #[arg(short, long, value_name = "FILE")]
    pub model: PathBuf,
    /// Time steps a .nir model runs for, the image as a constant input
    /// current at each [default: 25]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub steps: Option<usize>,
    /// Time step (s) a .nir model's neurons are discretised with [default:
    /// 1e-4, snnTorch's export_to_nir]
    #[arg(long, value_name = "S", allow_hyphen_values = true)]
    pub dt: Option<f64>,
    #[command(flatten)]
    pub data: DataArgs,
    /// Device preset name or TOML device file
    #[arg(short, long, value_name = "DEVICE", default_value = "ibm-pcm")]
    pub device: String,
    #[command(flatten)]
    pub tiles: TileArgs,
    #[command(flatten)]
    pub wires: WiresArgs,
    /// How each tile's effective conductances are computed: auto, ideal,
    /// exact, transfer or linearised (auto: transfer with wire resistance,
    /// else ideal; nonlinear cells: see above)
    #[arg(long, value_name = "SOLVER", default_value = "auto", value_parser = parse_solver)]
    pub solver: Solver,
    #[command(flatten)]
    pub converters: ConverterArgs,
    /// Bit-sliced weights and bit-serial inputs with an ADC per slice, as
    /// `[array.mapping]`'s keys, e.g.
    /// `bits_per_cell=2,cells_per_weight=4,adc_bits=6` (also signed,
    /// input_bits, bits_per_dac_step, adc_range; none: differential pairs)
    #[arg(long, value_name = "KEY=V,…", value_parser = parse_mapping)]
    pub mapping: Option<xbar_crossbar::slicing::Slicing>,
    /// Do not scale outputs by global drift compensation
    #[arg(long)]
    pub no_drift_compensation: bool,
    /// Seed of device instances (instance i: seed + i) and input spikes
    #[arg(
        short,
        long,
        value_name = "S",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub seed: u64,
}

impl ProgrammedModelArgs {
    /// The flag that sets each config field, for errors found by a kind's
    /// check.
    pub const FLAGS: [(&'static str, &'static str); 13] = [
        ("evaluation.model", "--model"),
        ("evaluation.steps", "--steps"),
        ("evaluation.dt_s", "--dt"),
        ("array.rows", "--tile-rows"),
        ("array.cols", "--tile-cols"),
        ("array.r_wordline_ohm", "--r-wordline"),
        ("array.r_bitline_ohm", "--r-bitline"),
        ("array.r_source_ohm", "--r-source"),
        ("array.r_sense_ohm", "--r-sense"),
        ("array.dac_bits", "--dac-bits"),
        ("array.adc_bits", "--adc-bits"),
        ("array.read_voltage_v", "--read-voltage"),
        ("array.mapping", "--mapping"),
    ];

    /// The `[evaluation]` section of the model these flags name (times and
    /// instances at their defaults).
    pub fn evaluation_section(&self) -> inference_drift::EvaluationSection {
        inference_drift::EvaluationSection {
            model: Some(self.model.clone()),
            steps: self.steps,
            dt_s: self.dt,
            ..Default::default()
        }
    }

    /// The `[array]` section these flags stand for.
    pub fn array_section(&self) -> ArraySection {
        ArraySection {
            rows: Some(self.tiles.tile_rows),
            cols: Some(self.tiles.tile_cols),
            wires: self.wires.wires(),
            converters: self.converters.converters(),
            solver: self.solver,
            drift_compensation: !self.no_drift_compensation,
            mapping: self.mapping,
            ..ArraySection::default()
        }
    }

    /// The files these flags name that an output must not replace: the
    /// model and a device file (a library device's name is no file).
    pub fn inputs(&self) -> Vec<(&'static str, &Path)> {
        vec![
            ("model file", self.model.as_path()),
            ("device file", Path::new(&self.device)),
        ]
    }
}

/// `xbarsim evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    #[command(flatten)]
    pub on: ProgrammedModelArgs,
    /// Times since programming (s), comma-separated [default:
    /// 1,3600,86400,2592000,31536000]
    #[arg(long, value_name = "LIST", value_parser = parse_times, allow_hyphen_values = true)]
    pub times: Option<List>,
    /// Independent device instances [default: 3, the `inference-drift`
    /// kind's]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub instances: Option<usize>,
    /// CSV to write: point, repeat, seed, time_s, instances, accuracy_pct, accuracy_std_pct, accuracy_min_pct, accuracy_max_pct, software_accuracy_pct
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Also write every instance's accuracy: time_s, instance, accuracy_pct
    #[arg(long, value_name = "FILE")]
    pub per_instance: Option<PathBuf>,
    /// No progress bar
    #[arg(long)]
    pub no_progress: bool,
}

/// `xbarsim train-insitu`.
#[derive(Debug, Args)]
pub struct InsituArgs {
    /// Device preset name or TOML device file (needs a pulse model)
    #[arg(short, long, value_name = "DEVICE")]
    pub device: String,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub network: NetworkArgs,
    /// Passes over the training set [default: 1]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub epochs: Option<usize>,
    /// Samples per batch [default: 64]
    #[arg(long, value_name = "N", value_parser = parse_size, allow_hyphen_values = true)]
    pub batch_size: Option<usize>,
    /// SGD learning rate [default: 0.1]
    #[arg(long, value_name = "LR", allow_hyphen_values = true)]
    pub lr: Option<f64>,
    /// Weight magnitude at the full conductance range [default: 0.5]
    #[arg(long, value_name = "W", allow_hyphen_values = true)]
    pub w_max: Option<f64>,
    /// Read voltage (V): how far up a nonlinear cell's I-V (`[iv]`,
    /// `[access]`) each read goes. A spike reads each cell as I(g, V)/V; an
    /// analogue input x (pixels, ReLU activations) drives its word line at
    /// x·V/x_max through the cells [default: 0.2]
    #[arg(long, value_name = "V", allow_hyphen_values = true)]
    pub read_voltage: Option<f64>,
    /// Seed of devices, shuffling, input spikes and pulse rounding
    #[arg(
        short,
        long,
        value_name = "S",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub seed: u64,
    /// Model file to write (the weights as the arrays hold them at the end)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Per-epoch CSV, as for `xbarsim train`
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// No progress bar
    #[arg(long)]
    pub no_progress: bool,
}

/// `xbarsim cost`.
#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub on: ProgrammedModelArgs,
    /// Time since programming (s) [default: the `inference-cost` kind's
    /// times, 1 s to 1 year]
    #[arg(long, value_name = "T", allow_hyphen_values = true)]
    pub time: Option<f64>,
    /// Independent device instances (costs are their means) [default: 3]
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub instances: Option<usize>,
    /// Technology: generic-45nm, generic-32nm, generic-22nm or a TOML file
    /// [default: generic-32nm]
    #[arg(long, value_name = "TECH")]
    pub technology: Option<String>,
    /// ADC resolution for the cost [default: --adc-bits, else 8]
    #[arg(long, value_name = "BITS", allow_hyphen_values = true)]
    pub cost_adc_bits: Option<u32>,
    /// Bit lines sharing one ADC [default: 8]
    #[arg(long, value_name = "K", allow_hyphen_values = true)]
    pub columns_per_adc: Option<usize>,
    /// CSV to write (the `inference-cost` columns)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
