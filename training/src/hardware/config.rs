//! [`ArrayConfig`]: the arrays a network runs on, as a config section
//! deserialises them, and the checks of every field before anything is
//! programmed.

use serde::{Deserialize, Serialize};
use xbar_crossbar::slicing::Slicing;
use xbar_crossbar::{Converters, CrossbarError, Solver, Wires};
use xbar_devices::{DeviceError, DeviceSpec};

use super::HardwareError;
use crate::cells::CellReadKind;

/// The arrays a network runs on.
///
/// Serialises with the wires and converters as nested tables in their
/// config keys (`wires = { r_wordline_ohm, … }`,
/// `converters = { dac_bits, adc_bits, read_voltage_v }`); `solver` is
/// optional (default `auto`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrayConfig {
    /// The device every cell is.
    pub device: DeviceSpec,
    /// Word lines per physical array.
    pub tile_rows: usize,
    /// Bit lines per physical array (even: two per weight).
    pub tile_cols: usize,
    /// Wire resistances; all zero = ideal product.
    pub wires: Wires,
    /// DAC and ADC resolutions and the read voltage.
    pub converters: Converters,
    /// Scale each tile's outputs by its global drift-compensation factor.
    pub drift_compensation: bool,
    /// How each tile's effective conductances are obtained (see the
    /// [module docs](crate::hardware)).
    #[serde(default)]
    pub solver: Solver,
    /// Bit-sliced weights and bit-serial inputs with an ADC per slice
    /// ([`crate::sliced`]); `None`: one weight per differential pair, one
    /// multi-level read per product (the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mapping: Option<Slicing>,
}

impl ArrayConfig {
    /// 256×256 arrays, ideal wires and converters, 0.2 V reads, with drift
    /// compensation, solver `Auto`.
    pub fn new(device: DeviceSpec) -> Self {
        ArrayConfig {
            device,
            tile_rows: 256,
            tile_cols: 256,
            wires: Wires::ideal(),
            converters: Converters::default(),
            drift_compensation: true,
            solver: Solver::Auto,
            mapping: None,
        }
    }

    /// Checks every field: the device, the tile shape, then
    /// [`Wires::validate`] and [`Converters::validate`]. A bad tile, wire or
    /// converter setting is a [`HardwareError::Config`] whose `field` is the
    /// config key (`tile_rows`, `tile_cols`, `r_wordline_ohm`, …,
    /// `dac_bits`, `adc_bits`, `read_voltage_v`).
    pub fn validate(&self) -> Result<(), HardwareError> {
        self.device.validate().map_err(DeviceError::from)?;
        if self.tile_rows == 0 {
            return Err(HardwareError::config("tile_rows", "expected ≥ 1, found 0"));
        }
        if self.tile_cols < 2 || self.tile_cols % 2 != 0 {
            return Err(HardwareError::config(
                "tile_cols",
                format!(
                    "expected an even number ≥ 2 (a G⁺/G⁻ pair per weight), found {}",
                    self.tile_cols
                ),
            ));
        }
        self.wires.validate().map_err(HardwareError::from_setting)?;
        self.converters
            .validate()
            .map_err(HardwareError::from_setting)?;
        if let Some(mapping) = &self.mapping {
            self.validate_mapping(mapping)?;
        }
        self.validate_cell_solver()
    }

    /// A method that can read this device's cells
    /// ([`Solver::reads_cells`]).
    fn validate_cell_solver(&self) -> Result<(), HardwareError> {
        match CellReadKind::of(&self.device) {
            CellReadKind::Nonlinear(cell) => self
                .solver
                .reads_cells(&cell)
                .map_err(HardwareError::from_setting),
            CellReadKind::Linear(_) => Ok(()),
        }
    }

    /// What a bit-sliced mapping needs: a valid slicing, tiles wide
    /// enough for one weight's columns, DAC steps a DAC can take, no
    /// converters of the unsliced read, and, for a nonlinear cell, binary
    /// DAC steps (and the small-signal read with wires).
    fn validate_mapping(&self, mapping: &Slicing) -> Result<(), HardwareError> {
        mapping.validate().map_err(|e| match e {
            CrossbarError::InvalidParameter { field, message } => {
                HardwareError::config(&format!("mapping.{field}"), message)
            }
            other => HardwareError::Crossbar(other),
        })?;
        let c = mapping.columns_per_weight();
        if self.tile_cols < c {
            return Err(HardwareError::config(
                "tile_cols",
                format!(
                    "expected at least the {c} columns of one sliced weight (mapping), found {}",
                    self.tile_cols
                ),
            ));
        }
        if mapping.bits_per_dac_step > 23 {
            return Err(HardwareError::config(
                "mapping.bits_per_dac_step",
                format!(
                    "expected at most 23 bits per DAC step, found {}",
                    mapping.bits_per_dac_step
                ),
            ));
        }
        for (field, bits) in [
            ("dac_bits", self.converters.dac_bits),
            ("adc_bits", self.converters.adc_bits),
        ] {
            if bits.is_some() {
                return Err(HardwareError::config(
                    field,
                    "a bit-sliced mapping has its own DAC steps and ADC per slice \
                     (mapping.bits_per_dac_step, mapping.adc_bits); remove this key",
                ));
            }
        }
        if CellReadKind::of(&self.device).nonlinear().is_some() {
            // Binary DAC steps read each cell as I(g, V_read, 0)/V_read: one
            // level matrix per tile (`crate::sliced`).
            if mapping.bits_per_dac_step != 1 {
                return Err(HardwareError::config(
                    "mapping.bits_per_dac_step",
                    format!(
                        "device `{}` has a nonlinear I-V or a transistor ([iv]/[access]), which a \
                         bit-sliced mapping reads with binary DAC steps only (every word line at 0 \
                         or V_read); expected 1, found {}",
                        self.device.name, mapping.bits_per_dac_step
                    ),
                ));
            }
            if !self.wires.is_ideal() && !matches!(self.solver, Solver::Ideal | Solver::Linearised)
            {
                return Err(HardwareError::config(
                    "solver",
                    format!(
                        "a bit-sliced mapping reads nonlinear cells with wires through each \
                         tile's small-signal network: set solver = \"linearised\" (or \"ideal\" \
                         to leave the wires out), found \"{}\"",
                        self.solver.name()
                    ),
                ));
            }
        }
        Ok(())
    }
}
