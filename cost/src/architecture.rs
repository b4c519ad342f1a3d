//! An accelerator tile built from components: counts × per-unit figures ×
//! activity, priced from a [`Technology`] and its `[components]` table.
//!
//! A [`Tile`] holds `I` in-situ multiply-accumulate units (IMAs) of `A`
//! arrays of `M × N` cells each, mapped by a [`Slicing`] (`b_c` bits per
//! cell, `n_c` cells per weight, differential pairs or offset columns,
//! `b_x` input bits fed `b_d` per DAC step, `S = ⌈b_x/b_d⌉` steps, ADC
//! bits per slice), with `k` columns sharing one ADC (ISAAC: Shafiee et
//! al., ISCA 2016, §4 and Table 6: `I = 12`, `A = 8`, 128 × 128 cells,
//! `b_c = 2`, `n_c = 8`, `b_x = 16`, `b_d = 1`, one 8-bit ADC per array).
//!
//! **Timing.** The ADCs set the cycle: every column is converted once per
//! cycle, `t_c = max(k/f_s, t_read)`; an input vector takes `S` cycles.
//! Each array produces `W = ⌊N/c_w⌋` outputs (`c_w` columns per weight)
//! per `S` cycles, so a tile computes `I·A·M·W/(S·t_c)` multiply-accumulates
//! per second (2 operations each).
//!
//! **Activity at peak** (every unit busy every cycle, as published budgets
//! assume; `α` the fraction of rows driven per step, 1 at peak), per IMA
//! and per second:
//!
//! | component | count | rate or power |
//! |---|---|---|
//! | DAC (`b_d` bits) | `A·M` | `A·M·α/t_c` conversions × `E_DAC·(2^b_d − 1)` |
//! | array | `A` | `A·M·N·ḡ·V²·α·t_read/t_c` (`ḡ` the device's mean conductance) |
//! | sample-and-hold | `A·N` | static `P_SH` each |
//! | ADC | `A·⌈N/k⌉` | `A·N/t_c` conversions × `E_ADC(b)` |
//! | shift-and-add | given | one operation per conversion |
//! | input register (`A·M·b_x` bits) | 1 | `A·M·b_d/t_c` bits read + `A·M·b_x/(S·t_c)` written |
//! | output register (`A·W·b_o` bits) | 1 | `2·A·W·b_o/(S·t_c)` bits (written, read) |
//!
//! and per tile, with `O = I·A·W/(S·t_c)` output values per second of
//! `b_o` bits: eDRAM and bus `I·A·M·b_x/(S·t_c) + O·b_o` bits (inputs to the
//! IMAs, outputs back), router `2·O·b_o` bits (sent and received; one
//! router shared by `r` tiles counts `1/r` of its area), sigmoid, max-pool
//! and the tile's shift-and-add `O` operations, output register `2·O·b_o`
//! bits, every buffer's leakage per bit. `E_ADC(b)` is either the
//! technology's ADC design ([`AdcChoice::Design`]: `components.adc_energy_j`
//! at `adc_area_reference_bits`, `×2^(b − b_ref)` at other resolutions) or
//! the Murmann-survey envelope ([`AdcChoice::Survey`], [`AdcModel`]); the
//! ADC's area is `adc_area_m2·2^(b − b_ref)` either way. Cells take
//! `cell_area_f2·F²`, a DAC `driver_area_m2·(2^b_d − 1)`.
//!
//! **A network** ([`Tile::network`]): layer `l` of `inputs × outputs` on
//! `P` output pixels takes `⌈inputs/M⌉·⌈outputs/W⌉` arrays, on tiles of its
//! own (ISAAC's layer pipeline); a layer's stage takes `P·S·t_c`. Pipelined
//! across layers, a new input enters every `max_l stage_l` (throughput)
//! and one input takes `Σ_l stage_l` to pass (latency, an upper bound: no
//! overlap of a layer with the next inside one input). Energy per input is
//! each layer's tiles at peak power for its stage, an upper bound too.

use xbar_crossbar::slicing::{SignedBy, Slicing};

use crate::adc::AdcModel;
use crate::technology::{Components, Technology};

/// Which ADC energy the tile uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdcChoice {
    /// The technology's ADC design (`components.adc_energy_j`).
    Design,
    /// The Murmann-survey envelope of the technology's figures of merit.
    Survey,
}

/// A tile's description (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Tile {
    /// IMAs per tile, `I`.
    pub imas: u32,
    /// Arrays per IMA, `A`.
    pub arrays_per_ima: u32,
    /// Rows per array, `M`.
    pub rows: u32,
    /// Columns per array, `N`.
    pub cols: u32,
    /// Weight and input slicing, ADC bits per slice.
    pub slicing: Slicing,
    /// ADC resolution (bits).
    pub adc_bits: u32,
    /// Columns sharing one ADC, `k`.
    pub columns_per_adc: u32,
    /// Which ADC energy.
    pub adc: AdcChoice,
    /// Bits of each output value, `b_o`.
    pub output_bits: u32,
    /// Shift-and-add units per IMA.
    pub shift_adds_per_ima: u32,
    /// Shift-and-add units per tile (outside the IMAs).
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
    /// Tiles sharing one router, `r`.
    pub tiles_per_router: u32,
    /// Fraction of rows driven per step, `α`.
    pub input_activity: f64,
    /// Mean cell conductance `ḡ` (S).
    pub mean_conductance_s: f64,
}

/// Where a component sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// In each IMA.
    Ima,
    /// In each tile, outside the IMAs.
    Tile,
}

/// One component of the tile, priced.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Its name.
    pub name: &'static str,
    /// Where it sits.
    pub level: Level,
    /// How many at that level (for buffers: 1).
    pub count: f64,
    /// Operations (conversions, bits, evaluations) per second of all of
    /// them at that level; 0 for static parts.
    pub rate_per_s: f64,
    /// Power of all of them at that level (W).
    pub power_w: f64,
    /// Area of all of them at that level (m²).
    pub area_m2: f64,
}

/// The tile priced.
#[derive(Debug, Clone, PartialEq)]
pub struct TileBudget {
    /// Every component, IMA level first.
    pub parts: Vec<Part>,
    /// The cycle `t_c` (s).
    pub cycle_s: f64,
    /// One IMA's power (W) and area (m²).
    pub ima: (f64, f64),
    /// The tile's power (W) and area (m²), IMAs included.
    pub tile: (f64, f64),
    /// The ADCs' share of the tile's power and of its area.
    pub adc_share: (f64, f64),
    /// Operations per second of the tile at peak (2 per MAC).
    pub ops_per_s: f64,
    /// Time of one input vector through an array, `S·t_c` (s).
    pub vector_time_s: f64,
}

impl TileBudget {
    /// The tile's power of the parts named `name` (W), IMAs included.
    pub fn power_of(&self, name: &str, imas: u32) -> f64 {
        self.parts
            .iter()
            .filter(|p| p.name == name)
            .map(|p| match p.level {
                Level::Ima => f64::from(imas) * p.power_w,
                Level::Tile => p.power_w,
            })
            .sum()
    }
}

/// A network layer as a matrix product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerShape {
    /// Inputs per product (rows of the weight matrix).
    pub inputs: u64,
    /// Outputs per product (columns).
    pub outputs: u64,
    /// Products per network input (a convolution's output pixels, or 1).
    pub pixels: u64,
}

/// One layer on the tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerPlacement {
    /// Arrays it occupies.
    pub arrays: u64,
    /// Tiles it occupies.
    pub tiles: u64,
    /// Its pipeline stage, `P·S·t_c` (s).
    pub stage_s: f64,
    /// Energy per network input (J): its tiles at peak power for its stage.
    pub energy_j: f64,
}

/// A network pipelined on tiles.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkOnTiles {
    /// Per layer.
    pub layers: Vec<LayerPlacement>,
    /// Tiles in all.
    pub tiles: u64,
    /// One input through every layer, `Σ stage` (s).
    pub latency_s: f64,
    /// Inputs per second, pipelined: `1/max stage`.
    pub throughput_per_s: f64,
    /// Energy per input (J).
    pub energy_j: f64,
    /// Area of the tiles (m²).
    pub area_m2: f64,
}

/// Why a tile cannot be priced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ArchitectureError {
    /// The technology file has no `[components]` table.
    #[error("the technology `{0}` has no [components] table (the per-unit figures of a tile)")]
    NoComponents(String),
    /// A count or size that must be positive is 0, or a fraction is out of range.
    #[error("{field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What was expected.
        message: String,
    },
}

impl Tile {
    /// Weights per array row, `W = ⌊N/c_w⌋`.
    pub fn weights_per_array(&self) -> u32 {
        self.cols / self.slicing.columns_per_weight() as u32
    }

    /// Checks counts and fractions.
    ///
    /// # Errors
    /// The first field out of range.
    pub fn validate(&self) -> Result<(), ArchitectureError> {
        let positive = [
            ("imas", self.imas),
            ("arrays_per_ima", self.arrays_per_ima),
            ("rows", self.rows),
            ("cols", self.cols),
            ("adc_bits", self.adc_bits),
            ("columns_per_adc", self.columns_per_adc),
            ("output_bits", self.output_bits),
            ("tiles_per_router", self.tiles_per_router),
        ];
        for (field, v) in positive {
            if v == 0 {
                return Err(ArchitectureError::Invalid {
                    field,
                    message: "expected an integer ≥ 1, found 0".into(),
                });
            }
        }
        if self.adc_bits > 24 {
            return Err(ArchitectureError::Invalid {
                field: "adc_bits",
                message: format!("expected 1 to 24 bits, found {}", self.adc_bits),
            });
        }
        if self.weights_per_array() == 0 {
            return Err(ArchitectureError::Invalid {
                field: "cols",
                message: format!(
                    "expected at least one weight's {} columns per array, found {}",
                    self.slicing.columns_per_weight(),
                    self.cols
                ),
            });
        }
        if !(0.0..=1.0).contains(&self.input_activity) {
            return Err(ArchitectureError::Invalid {
                field: "input_activity",
                message: format!(
                    "expected a fraction in [0, 1], found {}",
                    self.input_activity
                ),
            });
        }
        if !(self.mean_conductance_s.is_finite() && self.mean_conductance_s >= 0.0) {
            return Err(ArchitectureError::Invalid {
                field: "mean_conductance_s",
                message: format!(
                    "expected a conductance ≥ 0, found {}",
                    self.mean_conductance_s
                ),
            });
        }
        Ok(())
    }

    /// The tile priced with `tech` (see the [module docs](self)).
    ///
    /// # Errors
    /// A technology without `[components]`, a tile that does not
    /// [validate](Tile::validate).
    pub fn budget(&self, tech: &Technology) -> Result<TileBudget, ArchitectureError> {
        self.validate()?;
        let c: &Components = tech
            .components
            .as_ref()
            .ok_or_else(|| ArchitectureError::NoComponents(tech.name.clone()))?;
        let adc_model = AdcModel::from_technology(tech);
        let (i_n, a, m, n) = (
            f64::from(self.imas),
            f64::from(self.arrays_per_ima),
            f64::from(self.rows),
            f64::from(self.cols),
        );
        let s = self.slicing.steps() as f64;
        let b_d = f64::from(self.slicing.bits_per_dac_step);
        let b_x = f64::from(self.slicing.input_bits);
        let b_o = f64::from(self.output_bits);
        let w = f64::from(self.weights_per_array());
        let t_read = tech.read_time_s.value;
        let t_c = (f64::from(self.columns_per_adc) / tech.adc_sample_rate_hz.value).max(t_read);
        let alpha = self.input_activity;
        let reference_bits = tech.adc_area_reference_bits.value;
        let scale = 2f64.powf(f64::from(self.adc_bits) - reference_bits);
        let e_adc = match self.adc {
            AdcChoice::Design => c.adc_energy_j.value * scale,
            AdcChoice::Survey => adc_model.energy_per_conversion_j(self.adc_bits),
        };
        let dac_levels = 2f64.powf(b_d) - 1.0;
        let v = c.read_voltage_v.value;
        let f2 = tech.feature_size_m.value.powi(2);

        let mut parts = Vec::new();
        let mut part = |name, level, count: f64, rate: f64, power: f64, area: f64| {
            parts.push(Part {
                name,
                level,
                count,
                rate_per_s: rate,
                power_w: power,
                area_m2: area,
            })
        };
        // IMA.
        let conversions = a * n / t_c;
        let adcs = a * (n / f64::from(self.columns_per_adc)).ceil();
        part(
            "ADC",
            Level::Ima,
            adcs,
            conversions,
            conversions * e_adc,
            adcs * tech.adc_area_m2.value * scale,
        );
        let dac_rate = a * m * alpha / t_c;
        part(
            "DAC",
            Level::Ima,
            a * m,
            dac_rate,
            dac_rate * tech.dac_energy_j.value * dac_levels,
            a * m * tech.driver_area_m2.value * dac_levels,
        );
        part(
            "sample and hold",
            Level::Ima,
            a * n,
            0.0,
            a * n * c.sample_hold_power_w.value,
            a * n * c.sample_hold_area_m2.value,
        );
        part(
            "array",
            Level::Ima,
            a,
            a / t_c,
            a * m * n * self.mean_conductance_s * v * v * alpha * (t_read / t_c),
            a * m * n * tech.cell_area_f2.value * f2,
        );
        let sa = f64::from(self.shift_adds_per_ima);
        part(
            "shift and add (IMA)",
            Level::Ima,
            sa,
            conversions,
            conversions * c.shift_add_energy_j.value,
            sa * c.shift_add_area_m2.value,
        );
        let register = |bits: f64, rate: f64| {
            (
                rate * c.register_energy_j_per_bit.value
                    + bits * c.register_leakage_w_per_bit.value,
                bits * c.register_area_m2_per_bit.value,
            )
        };
        let ir_bits = a * m * b_x;
        let ir_rate = a * m * b_d / t_c + ir_bits / (s * t_c);
        let (p, ar) = register(ir_bits, ir_rate);
        part("input register", Level::Ima, 1.0, ir_rate, p, ar);
        let or_bits = a * w * b_o;
        let or_rate = 2.0 * or_bits / (s * t_c);
        let (p, ar) = register(or_bits, or_rate);
        part("output register (IMA)", Level::Ima, 1.0, or_rate, p, ar);
        // Tile.
        let outputs = i_n * a * w / (s * t_c);
        let traffic = i_n * ir_bits / (s * t_c) + outputs * b_o;
        let edram_bits = 8.0 * self.edram_bytes as f64;
        part(
            "eDRAM",
            Level::Tile,
            1.0,
            traffic,
            traffic * c.edram_energy_j_per_bit.value + edram_bits * c.edram_leakage_w_per_bit.value,
            edram_bits * c.edram_area_m2_per_bit.value,
        );
        part(
            "bus",
            Level::Tile,
            f64::from(self.bus_wires),
            traffic,
            traffic * c.bus_energy_j_per_bit.value,
            f64::from(self.bus_wires) * c.bus_area_m2_per_wire.value,
        );
        let routed = 2.0 * outputs * b_o;
        let share = 1.0 / f64::from(self.tiles_per_router);
        part(
            "router",
            Level::Tile,
            share,
            routed,
            routed * c.router_energy_j_per_bit.value,
            share * c.router_area_m2.value,
        );
        let units = [
            (
                "sigmoid",
                self.sigmoids,
                &c.sigmoid_energy_j,
                &c.sigmoid_area_m2,
            ),
            (
                "max pool",
                self.maxpools,
                &c.maxpool_energy_j,
                &c.maxpool_area_m2,
            ),
            (
                "shift and add (tile)",
                self.shift_adds_per_tile,
                &c.shift_add_energy_j,
                &c.shift_add_area_m2,
            ),
        ];
        for (name, count, energy, area) in units {
            let count = f64::from(count);
            let rate = if count > 0.0 { outputs } else { 0.0 };
            part(
                name,
                Level::Tile,
                count,
                rate,
                rate * energy.value,
                count * area.value,
            );
        }
        let tor_bits = 8.0 * self.output_register_bytes as f64;
        let tor_rate = if tor_bits > 0.0 {
            2.0 * outputs * b_o
        } else {
            0.0
        };
        let (p, ar) = register(tor_bits, tor_rate);
        part("output register (tile)", Level::Tile, 1.0, tor_rate, p, ar);

        let sum = |level: Level| {
            parts
                .iter()
                .filter(|p| p.level == level)
                .fold((0.0, 0.0), |(pw, ar), p| (pw + p.power_w, ar + p.area_m2))
        };
        let ima = sum(Level::Ima);
        let t = sum(Level::Tile);
        let tile = (t.0 + i_n * ima.0, t.1 + i_n * ima.1);
        let adc = &parts[0];
        let adc_share = (i_n * adc.power_w / tile.0, i_n * adc.area_m2 / tile.1);
        Ok(TileBudget {
            cycle_s: t_c,
            ima,
            tile,
            adc_share,
            ops_per_s: 2.0 * i_n * a * m * w / (s * t_c),
            vector_time_s: s * t_c,
            parts,
        })
    }

    /// `layers` pipelined on tiles of this kind, each layer on tiles of
    /// its own (see the [module docs](self)).
    ///
    /// # Errors
    /// As [`Tile::budget`].
    pub fn network(
        &self,
        tech: &Technology,
        layers: &[LayerShape],
    ) -> Result<NetworkOnTiles, ArchitectureError> {
        let b = self.budget(tech)?;
        let per_tile = u64::from(self.imas) * u64::from(self.arrays_per_ima);
        let w = u64::from(self.weights_per_array());
        let placed: Vec<LayerPlacement> = layers
            .iter()
            .map(|l| {
                let arrays = l.inputs.div_ceil(u64::from(self.rows)) * l.outputs.div_ceil(w);
                let tiles = arrays.div_ceil(per_tile);
                let stage_s = l.pixels as f64 * b.vector_time_s;
                LayerPlacement {
                    arrays,
                    tiles,
                    stage_s,
                    energy_j: tiles as f64 * b.tile.0 * stage_s,
                }
            })
            .collect();
        let tiles: u64 = placed.iter().map(|l| l.tiles).sum();
        let slowest = placed.iter().map(|l| l.stage_s).fold(0.0, f64::max);
        Ok(NetworkOnTiles {
            tiles,
            latency_s: placed.iter().map(|l| l.stage_s).sum(),
            throughput_per_s: if slowest > 0.0 { 1.0 / slowest } else { 0.0 },
            energy_j: placed.iter().map(|l| l.energy_j).sum(),
            area_m2: tiles as f64 * b.tile.1,
            layers: placed,
        })
    }

    /// ISAAC's tile (Shafiee et al., ISCA 2016, §4 and Table 6): 12 IMAs
    /// of 8 arrays of 128 × 128 2-bit cells, 16-bit weights on 8 cells
    /// (offset encoding), 16-bit inputs through 1-bit DACs, one 8-bit ADC
    /// per array, 4 shift-and-add units per IMA, 64 KB eDRAM, a 3 KB
    /// output register, 2 sigmoid units, a max-pool unit and a shift-and-add
    /// unit per tile, a 384-wire bus and a router shared by 4 tiles; all at
    /// peak activity, the cells at `mean_conductance_s`.
    pub fn isaac(adc: AdcChoice, mean_conductance_s: f64) -> Tile {
        Tile {
            imas: 12,
            arrays_per_ima: 8,
            rows: 128,
            cols: 128,
            slicing: Slicing {
                bits_per_cell: 2,
                cells_per_weight: 8,
                signed: SignedBy::Offset,
                input_bits: 16,
                bits_per_dac_step: 1,
                adc: None,
            },
            adc_bits: 8,
            columns_per_adc: 128,
            adc,
            output_bits: 16,
            shift_adds_per_ima: 4,
            shift_adds_per_tile: 1,
            sigmoids: 2,
            maxpools: 1,
            edram_bytes: 64 * 1024,
            output_register_bytes: 3 * 1024,
            bus_wires: 384,
            tiles_per_router: 4,
            input_activity: 1.0,
            mean_conductance_s,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isaac::PAPER;

    fn tech() -> Technology {
        Technology::preset("isaac-32nm").unwrap()
    }

    /// taox-hfox (NeuroSim table): 1 to 10 µS, mean 5.5 µS.
    const G_MEAN: f64 = 5.5e-6;

    #[test]
    fn isaac_predicted_from_components_is_within_the_targets() {
        let b = Tile::isaac(AdcChoice::Design, G_MEAN)
            .budget(&tech())
            .unwrap();
        // The cycle: 128 columns through a 1.28 GS/s ADC.
        assert!((b.cycle_s - 100e-9).abs() < 1e-15, "{}", b.cycle_s);
        assert!((b.vector_time_s - 1.6e-6).abs() < 1e-12);
        let (p, a) = b.tile;
        assert!((p / PAPER.tile.0 - 1.0).abs() < 0.15, "tile power {p}");
        assert!((a / PAPER.tile.1 - 1.0).abs() < 0.15, "tile area {a}");
        assert!(
            (b.adc_share.0 - PAPER.adc_share.0).abs() < 0.08,
            "{:?}",
            b.adc_share
        );
        // By hand: 8 ADCs × 1.5625 pJ × 1.28 GS/s = 16 mW per IMA, 192 mW per tile.
        assert!((b.power_of("ADC", 12) - 0.192).abs() < 1e-9);
        // The array from the device: 8·128·128 cells × 5.5 µS × (0.1 V)² × 10/100 per IMA.
        let array = 8.0 * 16384.0 * 5.5e-6 * 0.01 * 0.1;
        assert!((b.parts[3].power_w - array).abs() < 1e-12 * array);
        // Peak: 12·8·128·16 MACs per 1.6 µs.
        assert!((b.ops_per_s - 2.0 * 196_608.0 / 1.6e-6).abs() < 1.0);
        // The parts add up to the tile.
        let sum: f64 = b
            .parts
            .iter()
            .map(|p| p.power_w * if p.level == Level::Ima { 12.0 } else { 1.0 })
            .sum();
        assert!((sum - p).abs() < 1e-12 * p);
    }

    #[test]
    fn the_survey_adc_cuts_the_adc_share_to_a_fifth() {
        let design = Tile::isaac(AdcChoice::Design, G_MEAN)
            .budget(&tech())
            .unwrap();
        let survey = Tile::isaac(AdcChoice::Survey, G_MEAN)
            .budget(&tech())
            .unwrap();
        // 256 fJ per 8-bit conversion on the envelope against 1.5625 pJ:
        // the tile loses 96 × 1.28e9 × (1.5625 − 0.256) pJ = 160.5 mW.
        let lost = 96.0 * 1.28e9 * (1.5625e-12 - 0.256e-12);
        assert!(
            (design.tile.0 - survey.tile.0 - lost).abs() < 1e-9,
            "{}",
            design.tile.0 - survey.tile.0
        );
        assert!(
            survey.adc_share.0 < 0.25 && survey.adc_share.0 > 0.15,
            "{:?}",
            survey.adc_share
        );
        // The area model is the same.
        assert_eq!(design.tile.1, survey.tile.1);
    }

    #[test]
    fn slicing_and_sharing_move_the_budget_as_the_counts_say() {
        let t = tech();
        let base = Tile::isaac(AdcChoice::Design, G_MEAN);
        let b0 = base.budget(&t).unwrap();
        // 2-bit DAC steps: half the cycles per vector, twice the ops/s,
        // DAC energy per conversion × 3.
        let mut two = base.clone();
        two.slicing.bits_per_dac_step = 2;
        let b2 = two.budget(&t).unwrap();
        assert!((b2.ops_per_s / b0.ops_per_s - 2.0).abs() < 1e-12);
        assert!((b2.power_of("DAC", 12) / b0.power_of("DAC", 12) - 3.0).abs() < 1e-12);
        // Half the columns per ADC: twice the ADCs, the cycle halves, the
        // conversions per second and the ADC power double.
        let mut shared = base.clone();
        shared.columns_per_adc = 64;
        let bs = shared.budget(&t).unwrap();
        assert!((bs.cycle_s - 50e-9).abs() < 1e-15);
        assert!((bs.power_of("ADC", 12) / b0.power_of("ADC", 12) - 2.0).abs() < 1e-12);
        // Differential pairs: half the weights per array, half the ops.
        let mut diff = base.clone();
        diff.slicing.signed = SignedBy::Differential;
        assert_eq!(diff.weights_per_array(), 8);
        let bd = diff.budget(&t).unwrap();
        assert!((bd.ops_per_s / b0.ops_per_s - 0.5).abs() < 1e-12);
        // Idle inputs: no DAC and no array power.
        let mut idle = base.clone();
        idle.input_activity = 0.0;
        let bi = idle.budget(&t).unwrap();
        assert_eq!(
            (bi.power_of("DAC", 12), bi.power_of("array", 12)),
            (0.0, 0.0)
        );
    }

    #[test]
    fn a_network_pipelines_on_tiles() {
        let t = tech();
        let tile = Tile::isaac(AdcChoice::Design, G_MEAN);
        // A 3×3×64 → 128 convolution on 16×16 pixels, then 1024 → 10.
        let layers = [
            LayerShape {
                inputs: 576,
                outputs: 128,
                pixels: 256,
            },
            LayerShape {
                inputs: 1024,
                outputs: 10,
                pixels: 1,
            },
        ];
        let net = tile.network(&t, &layers).unwrap();
        // ⌈576/128⌉·⌈128/16⌉ = 5·8 = 40 arrays: 1 tile; 8·1 = 8 arrays: 1 tile.
        assert_eq!(
            net.layers
                .iter()
                .map(|l| (l.arrays, l.tiles))
                .collect::<Vec<_>>(),
            vec![(40, 1), (8, 1)]
        );
        assert!((net.latency_s - 257.0 * 1.6e-6).abs() < 1e-12);
        assert!((net.throughput_per_s - 1.0 / (256.0 * 1.6e-6)).abs() < 1e-6);
        let b = tile.budget(&t).unwrap();
        assert!((net.energy_j - b.tile.0 * 257.0 * 1.6e-6).abs() < 1e-15);
        assert!(Tile::isaac(AdcChoice::Design, G_MEAN)
            .budget(&Technology::preset("generic-32nm").unwrap())
            .is_err());
    }
}
