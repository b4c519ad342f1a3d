//! # xbar-fit — device models from measured data
//!
//! Turns a lab's measurement files into the library's own device models
//! ([`xbar_devices::DeviceSpec`]), with a 95 % confidence interval for every
//! fitted parameter and the quality of every fit. It knows files (CSV, TSV,
//! `.xlsx`) and statistics; the physics crate stays free of both, and the
//! command line (`xbarsim device fit`) only calls it and writes the results.
//!
//! | module | what it does |
//! |---|---|
//! | [`device`] | a device file from measurement files: every fit, the [`DeviceSpec`](xbar_devices::DeviceSpec), its report, figure and records |
//! | [`report`] | a fit's report as typed sections (titles, lines, tables), and their text |
//! | [`figure`] | a pulse fit's figure as plain series of points (drawn by a front end) |
//! | [`free_run`] | a fitted device run free over the measured pulses by the library's array: the simulated mean against the measured median |
//! | [`measurements`] | tables from CSV/TSV/xlsx, wide and long pulse-train layouts, located errors |
//! | [`pulse`] | NeuroSim exponential and soft-bounds fits per device, C2C, D2D, AIC/BIC choice; `PulseModel`, `ModelChoice` |
//! | [`retention`] | drift exponent ν per device and over devices, its dependence on the conductance |
//! | [`read_noise`] | relative and PCM 1/f read noise from repeated reads (with `time_s`), chosen by AIC/BIC |
//! | [`programming`] | the programming-noise polynomial σ(g_T) from target-versus-achieved writes |
//! | [`iv`] | the sinh cell I-V `I = (g/a)·sinh(aV)` from sweeps |
//! | [`stats`] | Levenberg–Marquardt with Jacobian covariance, χ² intervals, information criteria |
//! | [`synth`] | synthetic pulse trains through the library's own update rules (tests, examples, benchmarks) |
//!
//! ```
//! use xbar_fit::synth::{synthesize, SynthSpec};
//! use xbar_fit::pulse::{fit_pulses, PulseModel, PulseOptions};
//!
//! let data = synthesize(&SynthSpec { devices: 4, ..SynthSpec::default() }, 1);
//! let fit = fit_pulses(&data, &PulseOptions::default()).unwrap();
//! assert_eq!(fit.chosen, PulseModel::Exponential);
//! ```

pub mod device;
pub mod figure;
pub mod free_run;
pub mod iv;
pub mod measured_curve;
pub mod measurements;
pub mod programming;
pub mod pulse;
pub mod read_noise;
pub mod report;
pub mod retention;
pub mod stats;
pub mod synth;

pub use measurements::DataError;
