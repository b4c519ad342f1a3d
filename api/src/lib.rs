//! # xbar-api — every measurement as a function
//!
//! The one library under every front end: the `xbarsim` command line
//! parses flags into the typed settings these functions take and prints
//! what they return; another front end (Python, a notebook, a script)
//! calls the same functions and gets the same rows, files and provenance.
//! Nothing here parses a command line or prints. Settings are the
//! experiment kinds' own sections: their `Default` is the only default.
//!
//! | module | contents |
//! |---|---|
//! | [`measure`] | the measuring commands as one-point runs of their kinds: [`device_pulse`], [`device_drift`], [`evaluate`], [`cost`], [`train_insitu`] |
//! | [`fit`] | `device fit`: a device file, its sidecar and figure from measured files ([`fit::fit_device_files`]) |
//! | [`train`](mod@train) | software training ([`train()`]), the data's shape against a network, model files |
//! | [`solve`](mod@solve) | one array's bit-line currents for a batch of inputs (IR drop, `sinh` cells), node voltages ([`solve::solve`]) |
//! | [`point`] | one-point runs: checked points, their tables and sidecars |
//! | [`run`](mod@run) | sweeps: shipped configs by name, SLURM array scripts; [`run()`] and [`merge`] run and merge |
//! | [`progress`] | [`Progress`]: what a front end is told while a measurement runs |
//! | [`output`] | output paths checked before work; a file and its provenance sidecar written together or not at all |
//! | [`error`] | [`Error`]: which setting, input or output was wrong, with its source |
//!
//! ```
//! use xbar_api::{device_pulse, Device, Invocation};
//! use xbar_experiments::kinds::device_pulse::PulseSection;
//!
//! let device = Device {
//!     spec: xbar_devices::library::preset("ag-a-si").unwrap(),
//!     source: "library:ag-a-si".into(),
//! };
//! let pulses = PulseSection { devices: 4, ..PulseSection::default() };
//! let m = device_pulse(&device, pulses, 1, &Invocation::default())?;
//! assert_eq!(m.table.columns[..3], ["point", "repeat", "seed"]);
//! let dir = tempfile::tempdir().unwrap();
//! m.write(&dir.path().join("pulses.csv"))?; // and pulses.csv.json beside it
//! # Ok::<(), xbar_api::Error>(())
//! ```

pub mod error;
pub mod fit;
pub mod measure;
pub mod output;
pub mod point;
pub mod progress;
pub mod run;
pub mod solve;
pub mod train;

pub use error::{Error, ShapeError};
pub use measure::{cost, device_drift, device_pulse, evaluate, train_insitu, Cost, Evaluation};
pub use output::{Invocation, OutputError};
pub use point::{Device, Measurement};
pub use progress::{Progress, Silent, Update};
pub use train::{train, TrainSettings, Trained};
pub use xbar_experiments::{merge, run, Experiment, RunOptions, Summary};
