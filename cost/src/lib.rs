//! # xbar-cost — energy, latency and area of networks on crossbars
//!
//! What a network on memristor arrays costs per inference, from the exact
//! currents up: the power of every cell and wire of the solved circuit
//! (IR drop included) for the actual inputs, the lines' `C·V²` and RC
//! settling, event-driven drivers and DACs, ADCs with column sharing,
//! digital accumulation and neurons, buffers, programming; and the area.
//! Every component figure comes from a [`Technology`] (a TOML file with a
//! citation per value; presets for 45, 32 and 22 nm compiled in).
//!
//! | module | what it holds |
//! |---|---|
//! | [`technology`] | [`Technology`]: component figures with sources, presets, located errors |
//! | [`array`](mod@array) | [`ArrayPower`] of a solved array, [`RcLine`] |
//! | [`adc`] | [`AdcModel`]: Murmann-survey energy against resolution, conversion time, area, column sharing |
//! | [`network`] | [`NetworkCost`]: measured activity priced per component and layer; writes ([`write_energy_j`] of a `WriteTally`: programming, in-situ training) |
//! | [`isaac`] | ISAAC's (ISCA 2016) component table added up, beside the paper's totals |
//! | [`architecture`] | an accelerator [`Tile`] from components (counts × per-unit figures × activity): bit slicing, bit-serial DACs, ADC sharing, registers, eDRAM, bus, router, layer pipelining; ISAAC predicted |
//!
//! This crate knows nothing of files or command lines: technologies are
//! read from text. It prices what the other crates measure, and depends on
//! them, never the reverse: the activity of an inference
//! (`xbar_training::ActivityProbe`, filled by
//! `ProgrammedNetwork::evaluate_at`; the exact array power by
//! `xbar_training::InputAdmittance`) and the write tallies of devices
//! (`xbar_devices::pulse::WriteTally`). `xbar-training` does not depend on
//! this crate.
//!
//! ```
//! use nalgebra::DMatrix;
//! use xbar_cost::Technology;
//! use xbar_training::InputAdmittance;
//! use xbar_crossbar::{Crossbar, Solver, Wires};
//!
//! let tech = Technology::preset("generic-32nm").unwrap();
//! let r = tech.segment_resistance_ohm();
//! let xbar = Crossbar::new(DMatrix::from_element(64, 64, 20e-6), Wires::new(r, r, 0.0, 0.0)?)?;
//! let y = InputAdmittance::new(&xbar, Solver::Auto)?;
//! let spikes: Vec<usize> = (0..64).step_by(4).collect();       // 16 rows at 0.2 V
//! let energy = y.power_of_rows_w(&spikes, 0.2) * tech.read_time_s.value;
//! let ideal = 16.0 * 64.0 * 20e-6 * 0.04 * 10e-9;              // no IR drop
//! assert!(energy < 0.97 * ideal && energy > 0.9 * ideal); // IR drop: about 4 % less
//! # Ok::<(), xbar_crossbar::CrossbarError>(())
//! ```

pub mod adc;
pub mod architecture;
pub mod array;
pub mod isaac;
pub mod network;
pub mod technology;

pub use adc::{AdcBank, AdcModel};
pub use architecture::{AdcChoice, ArchitectureError, Tile, TileBudget};
pub use array::{ArrayPower, RcLine};
pub use network::{
    programming_cost, write_cost, write_energy_j, AreaBreakdown, Design, EnergyBreakdown,
    LayerCost, NetworkCost, NeuronKind,
};
pub use technology::{Components, Quantity, Technology, TechnologyError};
