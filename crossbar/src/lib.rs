//! # xbar-crossbar — analog vector-matrix products on programmed arrays
//!
//! A programmed conductance matrix `G` (M word lines × N bit lines) turns
//! input voltages `V` into bit-line currents; with no wire resistance
//! `I = Vᵀ·G`. With wire resistance the far cells see less voltage (IR
//! drop) and this crate gives what a circuit simulator would, fast.
//!
//! | module | what it holds |
//! |---|---|
//! | [`circuit`] | the geometry (drawing), [`Wires`] and [`Crossbar`] |
//! | [`ideal`] | `I = V·G`, dense, batched, multithreaded |
//! | [`exact`] | the nodal equations, factorised once, solved for batches |
//! | [`transfer`] | `G_eff`: IR-drop-exact inference at the cost of the ideal product |
//! | [`nonlinear`] | Newton iterations for nonlinear cells: an I-V (`sinh`) in series with an access device (resistor, level-1 NMOS) |
//! | [`solver`] | [`Solver`]: one entry point, picks the method; every question about a method ([`Solver::resolve`], [`Solver::effective_conductances`], …); the cells' I-V of one solve ([`solver::cell_iv`]) |
//! | [`mapping`] | signed weights → conductance pairs or offset columns |
//! | [`periphery`] | DAC input and ADC output quantisation; [`Converters`], their settings |
//! | [`tiling`] | weight matrices larger than one array, partial sums |
//! | [`spice`] | the array as a SPICE netlist, to check with a circuit simulator |
//!
//! Batches are `B×M` matrices of input voltages (one vector per row) and
//! give `B×N` currents. Every failure is a [`CrossbarError`]; no result
//! contains NaN.
//!
//! ```
//! use nalgebra::dmatrix;
//! use xbar_crossbar::{Crossbar, Solver, Wires};
//!
//! let g = dmatrix![10e-6, 20e-6; 30e-6, 40e-6]; // siemens
//! let v = dmatrix![0.1, 0.2];                    // one input vector, volts
//! let ideal = Crossbar::new(g.clone(), Wires::ideal())?.solve(&v, Solver::Auto)?;
//! assert!((ideal[(0, 0)] - (0.1 * 10e-6 + 0.2 * 30e-6)).abs() < 1e-18);
//!
//! let wires = Wires::new(2.5, 2.5, 0.0, 0.0)?; // ohms per segment
//! let ir = Crossbar::new(g, wires)?.solve(&v, Solver::Exact)?;
//! assert!(ir[(0, 0)] < ideal[(0, 0)]); // IR drop: less current reaches the sense amplifier
//! # Ok::<(), xbar_crossbar::CrossbarError>(())
//! ```

pub mod circuit;
pub mod error;
pub mod exact;
pub mod ideal;
pub mod mapping;
pub mod nonlinear;
pub mod periphery;
pub mod slicing;
pub mod solver;
pub mod spice;
pub mod tiling;
pub mod transfer;

mod nodal;
mod ordering;

pub use circuit::{Crossbar, Wires};
pub use error::{CrossbarError, Result};
pub use exact::{ExactSolver, NodeVoltages};
pub use mapping::{MappedWeights, Mapping, MappingScheme};
pub use nonlinear::{Convergence, NewtonOptions, NonlinearSolve};
pub use periphery::{Adc, Converters, Dac, Periphery};
pub use solver::{ArraySolve, Solver, Workload};
pub use tiling::{Tile, Tiling};
pub use transfer::TransferMatrix;
