//! # xbar-experiments — configs, sweeps and result tables
//!
//! | module | contents |
//! |---|---|
//! | [`config`] | TOML files with errors located at file, line and key |
//!
//! The sweep runner, result tables and SLURM sharding arrive with the
//! experiments issue.

pub mod config;
