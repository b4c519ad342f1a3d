//! `crossbar-ir-drop`: the error of the bit-line currents against the ideal
//! product `I = V·G`, caused by wire resistance.
//!
//! Conductances uniform in `[g_min, g_max]` are programmed on the device
//! (with its programming error), `vectors` input vectors are drawn uniform
//! in `[0, V_read]`, and the currents of the circuit with the `[array]`
//! wires ([`xbar_crossbar::Wires`]: word-line and bit-line segments, driver
//! and sense resistance) are solved exactly — nodal analysis, Kirchhoff's
//! current law at every node ([`xbar_crossbar::ExactSolver`]); `solver =
//! "transfer"` uses the transfer matrix `G_eff` instead, equal to rounding —
//! and compared with the ideal product of the same conductances:
//! `error = |I − I_ideal| / I_ideal` per output, and
//! `current_ratio = ΣI / ΣI_ideal`.
//!
//! A device with a nonlinear I-V (`[iv]`) or an access device (`[access]`)
//! is read through its cell: Newton on the nodal equations
//! ([`xbar_crossbar::Crossbar::solve_cells`], which agrees with ngspice to
//! 1e-11), against the same ideal product `V·G` of the small-signal
//! conductances. The error then is what the cell and the wires do
//! together; run the device without `[iv]`/`[access]` for the wires alone.

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};
use xbar_crossbar::{Crossbar, NewtonOptions, Solver, Wires, Workload};
use xbar_devices::{Cell, DeviceArray, DeviceSpec};

use crate::context::Context;
use crate::kinds::{ExperimentKind, FieldError, KindError};
use crate::sections::ArraySection;

crate::sections! {
    /// `crossbar-ir-drop` settings.
    pub struct Settings {
        /// `[array]`: size, wires, read voltage, vectors, solver.
        pub array: ArraySection,
    }
}

/// The errors of one programmed array.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Word lines.
    pub rows: u64,
    /// Bit lines.
    pub cols: u64,
    /// Mean relative error of the bit-line currents.
    pub error_mean_rel: f64,
    /// Largest relative error.
    pub error_max_rel: f64,
    /// Total current with wires over the ideal total.
    pub current_ratio: f64,
}

/// The `crossbar-ir-drop` kind.
pub struct CrossbarIrDrop;

impl ExperimentKind for CrossbarIrDrop {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
        let a = &s.array;
        a.check()?;
        a.check_memory(a.vectors)?;
        if a.mapping.is_some() {
            return Err(FieldError::new(
                "array.mapping",
                "a bit-sliced mapping is not modelled by crossbar-ir-drop (it compares one array's analog currents); use inference-drift or inference-cost for network reads through it",
            ));
        }
        if a.converters.dac_bits.is_some() || a.converters.adc_bits.is_some() {
            return Err(FieldError::new(
                "array.dac_bits",
                "converters are not modelled by crossbar-ir-drop (it compares the analog currents); use inference-drift for DAC/ADC",
            ));
        }
        if !a.solver.is_exact() {
            return Err(FieldError::new(
                "array.solver",
                "crossbar-ir-drop compares the currents with wires against the ideal product; use exact or transfer (auto = exact)",
            ));
        }
        if cell_of(device).is_some() && !a.solver.solves_nonlinear() {
            return Err(FieldError::new(
                "array.solver",
                "the transfer matrix is linear, and this device's cells are not ([iv] or [access]): they are solved by Newton on the nodal equations; use solver = \"exact\" (or auto)",
            ));
        }
        Ok(())
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        _: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let a = &s.array;
        let (rows, cols) = a.shape();
        let (g_min, g_max) = (device.g_min.siemens(), device.g_max.siemens());
        let v_read = a.converters.read_voltage;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let targets = DMatrix::from_fn(rows, cols, |_, _| rng.random_range(g_min..=g_max));
        let inputs = DMatrix::from_fn(a.vectors, rows, |_, _| rng.random_range(0.0..=v_read));
        let mut array = DeviceArray::new(device, rows, cols, seed)?;
        array.program(&targets)?;
        let g = array.conductances().clone();
        let ideal = Crossbar::new(g.clone(), Wires::ideal())?.solve(&inputs, Solver::Ideal)?;
        let xbar = Crossbar::new(g, a.wires)?;
        let exact = match cell_of(device) {
            Some(cell) => {
                xbar.solve_cells(&inputs, &cell, &NewtonOptions::default())?
                    .currents
            }
            None => xbar.solve(&inputs, a.solver.resolve(&a.wires, Workload::Reference))?,
        };
        let errors: Vec<f64> = exact
            .iter()
            .zip(ideal.iter())
            .filter(|(_, i)| **i > 0.0)
            .map(|(e, i)| (e - i).abs() / i)
            .collect();
        let mean = errors.iter().sum::<f64>() / errors.len().max(1) as f64;
        let max = errors.iter().fold(0.0f64, |m, e| m.max(*e));
        Ok(vec![Row {
            rows: rows as u64,
            cols: cols as u64,
            error_mean_rel: mean,
            error_max_rel: max,
            current_ratio: exact.sum() / ideal.sum(),
        }])
    }
}

/// The cell to solve through, when the device's is not an ohmic
/// conductance alone.
fn cell_of(device: &DeviceSpec) -> Option<Cell> {
    (!device.iv.is_linear() || !device.access.is_none()).then(|| Cell::of(device.iv, device.access))
}
