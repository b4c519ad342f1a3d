//! `architecture-cost`: an accelerator tile priced from its components —
//! counts × per-unit figures × activity ([`xbar_cost::architecture`]) —
//! and a network pipelined on such tiles.
//!
//! `[architecture]` describes the tile (IMAs of arrays, the weight and
//! input slicing of [`xbar_crossbar::slicing::Slicing`], ADC bits and
//! sharing, the ADC energy model, registers, eDRAM, bus, router, digital
//! units) and names the technology whose `[components]` table holds the
//! per-unit figures, each with its source; the cells' mean conductance is
//! the config's device's, `(g_min + g_max)/2`. `[workload]` lists the
//! network's layers as matrix products (`inputs × outputs` on `pixels`
//! output positions), each on tiles of its own, pipelined: latency and
//! throughput are both reported. The defaults are ISAAC's tile (Shafiee et
//! al., ISCA 2016); the shipped `isaac` config sets them explicitly.

use serde::{Deserialize, Serialize};
use xbar_cost::architecture::{AdcChoice, ArchitectureError, LayerShape, Tile};
use xbar_cost::Technology;
use xbar_crossbar::slicing::{SignedBy, Slicing};
use xbar_devices::DeviceSpec;

use crate::context::Context;
use crate::kinds::inference_cost::CostSection;
use crate::kinds::{ExperimentKind, FieldError, KindError};

/// The ADC energy model, as written in configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdcModelName {
    /// The technology's ADC design (`components.adc_energy_j`).
    Design,
    /// The Murmann-survey envelope.
    Survey,
}

/// `[architecture]`: one tile (defaults: ISAAC's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ArchitectureSection {
    /// A technology preset or `.toml` file with a `[components]` table.
    pub technology: String,
    /// IMAs per tile.
    pub imas: u32,
    /// Arrays per IMA.
    pub arrays_per_ima: u32,
    /// Rows per array.
    pub rows: u32,
    /// Columns per array.
    pub cols: u32,
    /// Bits per cell.
    pub bits_per_cell: u32,
    /// Cells per weight.
    pub cells_per_weight: u32,
    /// `offset` or `differential`.
    pub signed: SignedBy,
    /// Input bits.
    pub input_bits: u32,
    /// Input bits per DAC step (1: bit-serial).
    pub bits_per_dac_step: u32,
    /// ADC resolution (bits).
    pub adc_bits: u32,
    /// Columns sharing one ADC.
    pub columns_per_adc: u32,
    /// `design` (the technology's ADC) or `survey` (the envelope).
    pub adc: AdcModelName,
    /// Bits per output value.
    pub output_bits: u32,
    /// Shift-and-add units per IMA.
    pub shift_adds_per_ima: u32,
    /// Shift-and-add units per tile.
    pub shift_adds_per_tile: u32,
    /// Sigmoid units per tile.
    pub sigmoids: u32,
    /// Max-pool units per tile.
    pub maxpools: u32,
    /// eDRAM per tile (bytes).
    pub edram_bytes: u64,
    /// Tile output register (bytes).
    pub output_register_bytes: u64,
    /// Wires of the eDRAM-to-IMA bus.
    pub bus_wires: u32,
    /// Tiles sharing one router.
    pub tiles_per_router: u32,
    /// Fraction of rows driven per step (1: peak).
    pub input_activity: f64,
}

impl Default for ArchitectureSection {
    fn default() -> Self {
        let t = Tile::isaac(AdcChoice::Design, 0.0);
        ArchitectureSection {
            technology: "isaac-32nm".into(),
            imas: t.imas,
            arrays_per_ima: t.arrays_per_ima,
            rows: t.rows,
            cols: t.cols,
            bits_per_cell: t.slicing.bits_per_cell,
            cells_per_weight: t.slicing.cells_per_weight,
            signed: t.slicing.signed,
            input_bits: t.slicing.input_bits,
            bits_per_dac_step: t.slicing.bits_per_dac_step,
            adc_bits: t.adc_bits,
            columns_per_adc: t.columns_per_adc,
            adc: AdcModelName::Design,
            output_bits: t.output_bits,
            shift_adds_per_ima: t.shift_adds_per_ima,
            shift_adds_per_tile: t.shift_adds_per_tile,
            sigmoids: t.sigmoids,
            maxpools: t.maxpools,
            edram_bytes: t.edram_bytes,
            output_register_bytes: t.output_register_bytes,
            bus_wires: t.bus_wires,
            tiles_per_router: t.tiles_per_router,
            input_activity: t.input_activity,
        }
    }
}

impl ArchitectureSection {
    /// The tile, its cells at `device`'s mean conductance.
    ///
    /// # Errors
    /// A slicing or tile field out of range, at its key.
    pub fn tile(&self, device: &DeviceSpec) -> Result<Tile, FieldError> {
        let slicing = Slicing::new(
            self.bits_per_cell,
            self.cells_per_weight,
            self.signed,
            self.input_bits,
            self.bits_per_dac_step,
            None,
        )
        .map_err(|e| match e {
            xbar_crossbar::CrossbarError::InvalidParameter { field, message } => {
                FieldError::new(format!("architecture.{field}"), message)
            }
            other => FieldError::new("architecture", other.to_string()),
        })?;
        let tile = Tile {
            imas: self.imas,
            arrays_per_ima: self.arrays_per_ima,
            rows: self.rows,
            cols: self.cols,
            slicing,
            adc_bits: self.adc_bits,
            columns_per_adc: self.columns_per_adc,
            adc: match self.adc {
                AdcModelName::Design => AdcChoice::Design,
                AdcModelName::Survey => AdcChoice::Survey,
            },
            output_bits: self.output_bits,
            shift_adds_per_ima: self.shift_adds_per_ima,
            shift_adds_per_tile: self.shift_adds_per_tile,
            sigmoids: self.sigmoids,
            maxpools: self.maxpools,
            edram_bytes: self.edram_bytes,
            output_register_bytes: self.output_register_bytes,
            bus_wires: self.bus_wires,
            tiles_per_router: self.tiles_per_router,
            input_activity: self.input_activity,
            mean_conductance_s: 0.5 * (device.g_min.siemens() + device.g_max.siemens()),
        };
        tile.validate().map_err(located)?;
        Ok(tile)
    }

    fn cost_section(&self) -> CostSection {
        CostSection {
            technology: self.technology.clone(),
            ..CostSection::default()
        }
    }

    /// The technology, which must have a `[components]` table.
    ///
    /// # Errors
    /// At `architecture.technology`: unknown, unreadable or without
    /// components.
    pub fn technology(&self, ctx: &Context) -> Result<Technology, FieldError> {
        let at = |e: FieldError| FieldError::new("architecture.technology", e.message);
        let tech = self.cost_section().technology(ctx).map_err(at)?;
        if tech.components.is_none() {
            return Err(FieldError::new(
                "architecture.technology",
                ArchitectureError::NoComponents(tech.name.clone()).to_string(),
            ));
        }
        Ok(tech)
    }
}

fn located(e: ArchitectureError) -> FieldError {
    match e {
        ArchitectureError::Invalid { field, message } => {
            FieldError::new(format!("architecture.{field}"), message)
        }
        other => FieldError::new("architecture.technology", other.to_string()),
    }
}

/// One layer of `[workload]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LayerEntry {
    /// Inputs per product.
    pub inputs: u64,
    /// Outputs per product.
    pub outputs: u64,
    /// Products per network input (output pixels; 1 for a linear layer).
    #[serde(default = "one")]
    pub pixels: u64,
}

fn one() -> u64 {
    1
}

/// `[workload]`: the network's layers, each on tiles of its own.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WorkloadSection {
    /// The layers, in order.
    pub layers: Vec<LayerEntry>,
}

crate::sections! {
    /// `architecture-cost` settings.
    pub struct Settings {
        /// `[architecture]`: the tile and its technology.
        pub architecture: ArchitectureSection,
        /// `[workload]`: the layers pipelined on the tiles.
        pub workload: WorkloadSection,
    }
}

/// A tile's budget and a network on such tiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct Row {
    /// The ADC energy model (`design` or `survey`).
    pub adc_model: String,
    /// Tile power at peak (W).
    pub tile_power_W: f64,
    /// Tile area (m²).
    pub tile_area_m2: f64,
    /// The ADCs' share of the tile power.
    pub adc_power_share: f64,
    /// The ADCs' share of the tile area.
    pub adc_area_share: f64,
    /// One IMA's power (W).
    pub ima_power_W: f64,
    /// One IMA's area (m²).
    pub ima_area_m2: f64,
    /// ADCs (W, the tile's).
    pub adc_power_W: f64,
    /// DACs (W).
    pub dac_power_W: f64,
    /// Arrays (W).
    pub array_power_W: f64,
    /// Sample-and-hold (W).
    pub sample_hold_power_W: f64,
    /// Shift-and-add, IMAs and tile (W).
    pub shift_add_power_W: f64,
    /// Input and output registers (W).
    pub register_power_W: f64,
    /// eDRAM (W).
    pub edram_power_W: f64,
    /// eDRAM-to-IMA bus (W).
    pub bus_power_W: f64,
    /// Router share (W).
    pub router_power_W: f64,
    /// Sigmoid and max-pool units (W).
    pub activation_power_W: f64,
    /// The cycle (s): columns per ADC over the sampling rate.
    pub cycle_s: f64,
    /// Operations per second of the tile at peak (2 per MAC).
    pub tile_ops_per_s: f64,
    /// Tile energy efficiency (TOPS/W).
    pub tile_tops_per_W: f64,
    /// Tile area efficiency (TOPS/mm²).
    pub tile_tops_per_mm2: f64,
    /// Tiles the workload occupies.
    pub network_tiles: u64,
    /// One input through every layer (s).
    pub latency_s: f64,
    /// Inputs per second, layers pipelined.
    pub throughput_per_s: f64,
    /// Energy per input (J).
    pub energy_per_inference_J: f64,
    /// Area of the workload's tiles (m²).
    pub network_area_m2: f64,
}

/// The `architecture-cost` kind.
pub struct ArchitectureCost;

impl ExperimentKind for ArchitectureCost {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
        s.architecture.tile(device)?;
        s.architecture
            .cost_section()
            .check_technology()
            .map_err(|e| FieldError::new("architecture.technology", e.message))?;
        for (i, l) in s.workload.layers.iter().enumerate() {
            for (name, v) in [
                ("inputs", l.inputs),
                ("outputs", l.outputs),
                ("pixels", l.pixels),
            ] {
                if v == 0 {
                    return Err(FieldError::new(
                        format!("workload.layers[{i}].{name}"),
                        "expected an integer ≥ 1, found 0",
                    ));
                }
            }
        }
        Ok(())
    }

    fn preflight(s: &Settings, ctx: &Context) -> Result<(), FieldError> {
        s.architecture.technology(ctx).map(|_| ())
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        _seed: u64,
        ctx: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let tech = s.architecture.technology(ctx)?;
        let tile = s.architecture.tile(device)?;
        let b = tile.budget(&tech).map_err(located)?;
        let layers: Vec<LayerShape> = s
            .workload
            .layers
            .iter()
            .map(|l| LayerShape {
                inputs: l.inputs,
                outputs: l.outputs,
                pixels: l.pixels,
            })
            .collect();
        let net = tile.network(&tech, &layers).map_err(located)?;
        let p = |names: &[&str]| -> f64 { names.iter().map(|n| b.power_of(n, tile.imas)).sum() };
        let (power, area) = b.tile;
        Ok(vec![Row {
            adc_model: match s.architecture.adc {
                AdcModelName::Design => "design".into(),
                AdcModelName::Survey => "survey".into(),
            },
            tile_power_W: power,
            tile_area_m2: area,
            adc_power_share: b.adc_share.0,
            adc_area_share: b.adc_share.1,
            ima_power_W: b.ima.0,
            ima_area_m2: b.ima.1,
            adc_power_W: p(&["ADC"]),
            dac_power_W: p(&["DAC"]),
            array_power_W: p(&["array"]),
            sample_hold_power_W: p(&["sample and hold"]),
            shift_add_power_W: p(&["shift and add (IMA)", "shift and add (tile)"]),
            register_power_W: p(&[
                "input register",
                "output register (IMA)",
                "output register (tile)",
            ]),
            edram_power_W: p(&["eDRAM"]),
            bus_power_W: p(&["bus"]),
            router_power_W: p(&["router"]),
            activation_power_W: p(&["sigmoid", "max pool"]),
            cycle_s: b.cycle_s,
            tile_ops_per_s: b.ops_per_s,
            tile_tops_per_W: b.ops_per_s / power / 1e12,
            tile_tops_per_mm2: b.ops_per_s / (area * 1e6) / 1e12,
            network_tiles: net.tiles,
            latency_s: net.latency_s,
            throughput_per_s: net.throughput_per_s,
            energy_per_inference_J: net.energy_j,
            network_area_m2: net.area_m2,
        }])
    }
}
