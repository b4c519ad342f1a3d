//! # xbar-crossbar — analog vector-matrix products on programmed arrays
//!
//! This crate will hold the crossbar solver: the ideal product `I = Vᵀ·G`,
//! the exact nodal solve with word-line/bit-line wire, driver and sense
//! resistance (IR drop), the transfer-matrix path for large batches, the
//! nonlinear (sinh I-V) Newton solver, weight mapping, DAC/ADC and tiling.
//!
//! It is empty until the crossbar issue lands; the crate exists now so that
//! the workspace layout (config → devices → arrays → network → results →
//! figure) is visible from the start.
