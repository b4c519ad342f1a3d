//! # xbar-experiments — configs, sweeps and result tables
//!
//! Data flows one way: a TOML config → points of a sweep → units (a point
//! and a repeat) run in parallel on the physics crates → one durable file
//! per unit → the results table (Parquet and CSV) → figures.
//!
//! | module | contents |
//! |---|---|
//! | [`config`] | TOML files with errors located at file, line and key |
//! | [`spec`] | the experiment schema: kinds, sections, `[sweep]`, `[[plot]]` → [`Experiment`] |
//! | [`kinds`] | what one unit computes, for each kind |
//! | [`runner`] | parallel resumable runs, shards and merging, `run.json` |
//! | [`table`] | typed result tables (polars) |
//! | [`measure`] | device characterisation: pulse curves, drift statistics |
//! | [`data`] | the built-in MNIST subset |
//! | [`durable`] | write-fsync-rename files |
//! | [`slurm`] | `sbatch` array scripts for sharded runs |
//! | [`shipped`] | the configs shipped with the program, the quick-start among them |

pub mod config;
pub mod data;
pub mod durable;
pub mod kinds;
pub mod measure;
pub mod runner;
pub mod shipped;
pub mod slurm;
pub mod spec;
pub mod table;

pub use runner::{merge, run, Event, Manifest, RunError, RunOptions, Shard, Summary};
pub use spec::{Experiment, Kind, Point};
