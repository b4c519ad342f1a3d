//! # xbar-experiments — configs, sweeps and result tables
//!
//! Data flows one way: a TOML config → points of a sweep → units (a point
//! and a repeat) run in parallel on the physics crates → one durable file
//! per unit → the results table (Parquet and CSV) → figures.
//!
//! | module | contents |
//! |---|---|
//! | [`config`] | device files and device references ([`config::resolve_device`]); the located TOML reader of [`xbar_toml`], re-exported |
//! | [`spec`] | the experiment schema: common keys, `[sweep]`, `[[plot]]` → [`Experiment`] |
//! | [`kinds`] | one module per experiment kind (sections, checks, run, row) and their registry |
//! | [`error`] | a setting's located error, a unit's error with its source |
//! | [`sections`](mod@sections) | config sections several kinds read: `[array]`, `[data]` |
//! | [`context`] | what the units of a run share: datasets, trained models |
//! | [`row`] | typed result rows: the row struct is the table schema |
//! | [`runner`] | parallel resumable runs, shards and merging, `run.json` |
//! | [`table`] | typed result tables (polars) and the one writer of CSV/Parquet |
//! | [`measure`] | device characterisation: pulse curves, drift statistics |
//! | [`data`] | the built-in MNIST subset |
//! | [`resources`] | sizes checked against the machine's memory before anything is allocated |
//! | [`durable`] | write-fsync-rename files |
//! | [`lock`] | one run per results directory (advisory file lock) |
//! | [`slurm`] | `sbatch` array scripts for sharded runs |
//! | [`shipped`] | the configs shipped with the program, the quick-start among them |
//!
//! ```
//! use std::path::Path;
//! use xbar_experiments::{run, table, Experiment, RunOptions};
//!
//! let config = r#"
//! name = "wires"
//! kind = "crossbar-ir-drop"
//! device = "neurram-rram"
//! repeats = 2
//! [array]
//! size = 16
//! vectors = 4
//! [sweep]
//! "array.r_wire_ohm" = [1.0, 5.0]
//! "#;
//! let exp = Experiment::parse(Path::new("wires.toml"), config)?;
//! assert_eq!((exp.points.len(), exp.repeats), (2, 2));
//! let out = tempfile::tempdir().unwrap();
//! let opts = RunOptions {
//!     out: out.path().join("wires"),
//!     jobs: 2,
//!     force: false,
//!     shard: None,
//!     data_override: None,
//!     abort_after: None,
//!     stop: None,
//! };
//! let summary = run(&exp, &opts, &|_| {}).unwrap();
//! assert_eq!((summary.computed, summary.resumed), (4, 0));
//! let frame = table::read(&opts.out).unwrap();
//! assert_eq!(frame.height(), 4); // 2 points × 2 repeats, one output row each
//! // Running again resumes: nothing left to compute.
//! assert_eq!(run(&exp, &opts, &|_| {}).unwrap().computed, 0);
//! # Ok::<(), xbar_experiments::config::ConfigError>(())
//! ```

pub mod config;
pub mod context;
pub mod data;
pub mod durable;
pub mod error;
pub mod kinds;
pub mod lock;
pub mod measure;
pub mod resources;
pub mod row;
pub mod runner;
pub mod sections;
pub mod shipped;
pub mod slurm;
pub mod spec;
pub mod table;

pub use kinds::{ExperimentKind, FieldError, Kind, KindError, Settings};
pub use runner::{merge, run, Event, Manifest, RunError, RunOptions, Shard, Summary};
pub use spec::{Experiment, Point};
