//! The cost of an inference: measured activity of every array, priced by a
//! [`Technology`].
//!
//! The inputs are what an evaluation measured (`xbar-training`'s
//! [`LayerActivity`] and [`TileActivity`], recorded by its
//! `ActivityProbe`: totals over `inferences` inputs) and the design
//! ([`Design`]). Per inference, with `r` reads of a tile (a read is one
//! product with at least one non-zero input: spiking arrays are
//! event-driven, a tile with no spike in a step is not read), `a` active
//! rows summed over reads, `N` bit lines:
//!
//! | component | energy |
//! |---|---|
//! | array | `Σ_reads Vᵀ·Y·V·t_read`, exact ([`xbar_training::InputAdmittance`]), measured |
//! | word lines | `Σ_reads Σ_active C_wl·Vᵢ²` ([`crate::RcLine`]) |
//! | drivers, DACs | `E_driver·Σ_reads Σ_active (Vᵢ/V_read)² + a·E_DAC` (the DAC term only with a DAC) |
//! | ADCs | `r·N·E_ADC(b)` ([`crate::AdcModel`]) |
//! | accumulation | `r·N/2` shift-and-adds (one per differential pair and read) |
//! | neurons | per neuron update: LIF `E_mult + 4·E_add` (decay, input, reset, bias, compare), ReLU `2·E_add` |
//! | buffers | `E_bit` per input bit read and output bit written |
//!
//! (per-operation energies: Horowitz, ISSCC 2014, scaled by node in the
//! presets). **Latency** assumes the layers run one after the other and the
//! tiles of a layer in parallel, without pipelining across layers or
//! inputs: each product of a layer takes the word line's 90 % settling
//! time, the read pulse, `k/f_s` for the ADCs (`k` columns per ADC) and
//! two digital cycles (accumulate, neuron), and a layer computes
//! `products` products per inference (time steps × a convolution's output
//! pixels, or one). **Area** is the
//! cells (`cell_area_f2·F²` each), one driver per word line, the ADCs, one
//! adder per ADC and one neuron unit (LIF: multiplier and adder; ReLU:
//! adder) per ADC, and the SRAM holding one layer's inputs and outputs.
//! **Operations** follow the dense convention: `2·inputs·outputs·pixels` per layer
//! and inference (one multiply-accumulate = 2 ops) whatever the spikes, so
//! TOPS/W compares spiking and non-spiking networks on the same task.
//!
//! **Writes** (programming a network, the pulses of in-situ training):
//! each pulse costs `V_w²·g·t_p` in its cell, `g` the cell's conductance
//! just before the pulse, plus `(C_wl + C_bl)·V_w²` to charge the selected
//! word and bit lines ([`write_energy_j`] of a [`WriteTally`], the tally
//! devices and in-situ training keep). Arrays are written in parallel, each
//! one pulse at a time ([`write_cost`]).

use xbar_devices::pulse::WriteTally;
use xbar_training::LayerActivity;
#[cfg(doc)]
use xbar_training::TileActivity;

use crate::adc::AdcModel;
use crate::array::RcLine;
use crate::technology::Technology;

/// The neurons after each array.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeuronKind {
    /// Leaky integrate-and-fire, updated every time step.
    Lif,
    /// ReLU, once per inference.
    Relu,
}

/// The hardware choices the measurements do not fix.
#[derive(Debug, Clone, PartialEq)]
pub struct Design {
    /// Component figures.
    pub technology: Technology,
    /// ADC resolution (bits).
    pub adc_bits: u32,
    /// Bit lines sharing one ADC (≥ 1).
    pub columns_per_adc: usize,
    /// Bits of each input value held in the buffers (1 for spikes).
    pub input_bits: u32,
    /// Bits of each output value written to the buffers (1 for spikes).
    pub output_bits: u32,
    /// Driver output resistance (Ω), for the word lines' settling.
    pub r_driver_ohm: f64,
    /// Word-line voltage of a full-scale input (V).
    pub read_voltage_v: f64,
    /// Whether inputs go through a DAC (one conversion per active row).
    pub dac: bool,
    /// The neurons.
    pub neuron: NeuronKind,
}

/// Energy per inference by component (J).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct EnergyBreakdown {
    /// Cells and wires (exact, from the solved circuit).
    pub array_j: f64,
    /// Charging the word lines.
    pub wordline_j: f64,
    /// Drivers and DACs.
    pub driver_j: f64,
    /// ADCs.
    pub adc_j: f64,
    /// Shift-and-add accumulation of partial sums.
    pub accumulate_j: f64,
    /// Neuron updates.
    pub neuron_j: f64,
    /// Buffers.
    pub buffer_j: f64,
}

impl EnergyBreakdown {
    /// The sum of the components (J).
    pub fn total_j(&self) -> f64 {
        self.array_j
            + self.wordline_j
            + self.driver_j
            + self.adc_j
            + self.accumulate_j
            + self.neuron_j
            + self.buffer_j
    }

    fn add(&mut self, o: &EnergyBreakdown) {
        self.array_j += o.array_j;
        self.wordline_j += o.wordline_j;
        self.driver_j += o.driver_j;
        self.adc_j += o.adc_j;
        self.accumulate_j += o.accumulate_j;
        self.neuron_j += o.neuron_j;
        self.buffer_j += o.buffer_j;
    }
}

/// Area by component (m²).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct AreaBreakdown {
    /// Cells.
    pub cells_m2: f64,
    /// Word-line drivers.
    pub drivers_m2: f64,
    /// ADCs.
    pub adcs_m2: f64,
    /// Adders and neuron units.
    pub digital_m2: f64,
    /// Buffers.
    pub buffer_m2: f64,
}

impl AreaBreakdown {
    /// The sum (m²).
    pub fn total_m2(&self) -> f64 {
        self.cells_m2 + self.drivers_m2 + self.adcs_m2 + self.digital_m2 + self.buffer_m2
    }
}

/// One layer's share.
#[derive(Debug, Clone, PartialEq)]
pub struct LayerCost {
    /// Energy per inference (J).
    pub energy: EnergyBreakdown,
    /// Latency per inference (s).
    pub latency_s: f64,
    /// Area (m²).
    pub area: AreaBreakdown,
    /// ADCs.
    pub adcs: usize,
    /// Mean fraction of the word lines active per product (input rate).
    pub input_activity: f64,
}

/// The cost of an inference (see the [module docs](self)).
///
/// ```
/// use xbar_cost::{Design, NetworkCost, NeuronKind, Technology};
/// use xbar_training::{LayerActivity, TileActivity};
/// let design = Design {
///     technology: Technology::preset("generic-32nm").unwrap(),
///     adc_bits: 6, columns_per_adc: 8, input_bits: 1, output_bits: 1,
///     r_driver_ohm: 1e3, read_voltage_v: 0.2, dac: false, neuron: NeuronKind::Lif,
/// };
/// let tile = TileActivity { rows: 128, cols: 64, reads: 10, active_rows: 200,
///     input_levels: 200, wordline_v2: 200.0 * 0.04, array_energy_j: 1e-12 };
/// let layer = LayerActivity { inputs: 128, outputs: 32, products_per_inference: 10, pixels: 1,
///     neuron_updates: 320, tiles: vec![tile] };
/// let cost = NetworkCost::new(&design, &[layer], 1);
/// assert!((cost.energy.total_j() - cost.layers[0].energy.total_j()).abs() < 1e-24);
/// assert_eq!(cost.ops, 2.0 * 128.0 * 32.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkCost {
    /// Energy per inference by component (J).
    pub energy: EnergyBreakdown,
    /// Latency per inference (s).
    pub latency_s: f64,
    /// Area (m²).
    pub area: AreaBreakdown,
    /// ADCs in the design.
    pub adcs: usize,
    /// Operations per inference (dense convention).
    pub ops: f64,
    /// Per layer.
    pub layers: Vec<LayerCost>,
}

impl NetworkCost {
    /// Prices `layers`, measured over `inferences` inputs, with `design`.
    pub fn new(design: &Design, layers: &[LayerActivity], inferences: u64) -> Self {
        let t = &design.technology;
        let adc = AdcModel::from_technology(t);
        let per = 1.0 / inferences.max(1) as f64;
        let f2 = t.feature_size_m.value * t.feature_size_m.value;
        let (e_add, e_mult) = (t.add_energy_j.value, t.mult_energy_j.value);
        let neuron_energy = match design.neuron {
            NeuronKind::Lif => e_mult + 4.0 * e_add,
            NeuronKind::Relu => 2.0 * e_add,
        };
        let neuron_area = match design.neuron {
            NeuronKind::Lif => t.mult_area_m2.value + t.add_area_m2.value,
            NeuronKind::Relu => t.add_area_m2.value,
        };
        let mut out = NetworkCost {
            energy: EnergyBreakdown::default(),
            latency_s: 0.0,
            area: AreaBreakdown::default(),
            adcs: 0,
            ops: 0.0,
            layers: Vec::with_capacity(layers.len()),
        };
        for layer in layers {
            let mut e = EnergyBreakdown::default();
            let mut area = AreaBreakdown::default();
            let mut adcs = 0;
            let mut step_time: f64 = 0.0;
            let (mut active, mut possible) = (0u64, 0u64);
            for tile in &layer.tiles {
                let line = RcLine {
                    segments: tile.cols,
                    r_segment_ohm: t.segment_resistance_ohm(),
                    c_segment_f: t.segment_capacitance_f(),
                    r_driver_ohm: design.r_driver_ohm,
                    c_load_f: 0.0,
                };
                let bank = adc.bank(tile.cols, design.columns_per_adc, design.adc_bits);
                let reads = tile.reads as f64 * per;
                e.array_j += tile.array_energy_j * per;
                e.wordline_j += line.capacitance_f() * tile.wordline_v2 * per;
                let swing = tile.wordline_v2 / (design.read_voltage_v * design.read_voltage_v);
                let conversions = if design.dac {
                    tile.active_rows as f64
                } else {
                    0.0
                };
                e.driver_j +=
                    (swing * t.driver_energy_j.value + conversions * t.dac_energy_j.value) * per;
                e.adc_j += reads * bank.read_energy_j;
                e.accumulate_j += reads * (tile.cols / 2) as f64 * e_add;
                area.cells_m2 += (tile.rows * tile.cols) as f64 * t.cell_area_f2.value * f2;
                area.drivers_m2 += tile.rows as f64 * t.driver_area_m2.value;
                area.adcs_m2 += bank.area_m2;
                area.digital_m2 += bank.adcs as f64 * (t.add_area_m2.value + neuron_area);
                adcs += bank.adcs;
                step_time = step_time.max(
                    line.settling_time_s()
                        + t.read_time_s.value
                        + bank.read_time_s
                        + 2.0 * t.digital_cycle_s.value,
                );
                active += tile.active_rows;
                possible += tile.reads * tile.rows as u64;
            }
            e.neuron_j = layer.neuron_updates as f64 * per * neuron_energy;
            let products = layer.products_per_inference as f64;
            e.buffer_j = products
                * (layer.inputs as f64 * f64::from(design.input_bits)
                    + layer.outputs as f64 * f64::from(design.output_bits))
                * t.sram_energy_j_per_bit.value;
            area.buffer_m2 = (layer.inputs as f64 * f64::from(design.input_bits)
                + layer.outputs as f64 * f64::from(design.output_bits))
                * t.sram_area_m2_per_bit.value;
            let latency_s = products * step_time;
            out.energy.add(&e);
            out.latency_s += latency_s;
            out.area.cells_m2 += area.cells_m2;
            out.area.drivers_m2 += area.drivers_m2;
            out.area.adcs_m2 += area.adcs_m2;
            out.area.digital_m2 += area.digital_m2;
            out.area.buffer_m2 += area.buffer_m2;
            out.adcs += adcs;
            out.ops += 2.0 * (layer.inputs * layer.outputs * layer.pixels) as f64;
            out.layers.push(LayerCost {
                energy: e,
                latency_s,
                area,
                adcs,
                input_activity: if possible > 0 {
                    active as f64 / possible as f64
                } else {
                    0.0
                },
            });
        }
        out
    }

    /// Operations per second per watt, in TOPS/W.
    pub fn tops_per_w(&self) -> f64 {
        let e = self.energy.total_j();
        if e > 0.0 {
            self.ops / e / 1e12
        } else {
            0.0
        }
    }

    /// Throughput per area, in TOPS/mm².
    pub fn tops_per_mm2(&self) -> f64 {
        let a = self.area.total_m2() * 1e6;
        if a > 0.0 && self.latency_s > 0.0 {
            self.ops / self.latency_s / a / 1e12
        } else {
            0.0
        }
    }
}

/// Energy (J) of the writes `w` to one array: every pulse `V_w²·g·t_p` in
/// its cell plus `(C_wl + C_bl)·V_w²` to charge the selected word line
/// (`cols` segments) and bit line (`rows` segments):
/// `V_w²·(t_p·Σg + pulses·(rows + cols)·C_segment)`. The one write formula
/// of the crate ([`write_cost`], [`programming_cost`] and in-situ training
/// use it).
pub fn write_energy_j(tech: &Technology, w: &WriteTally) -> f64 {
    let v = tech.write_voltage_v.value;
    let c_lines = (w.rows + w.cols) as f64 * tech.segment_capacitance_f();
    v * v * (tech.write_pulse_s.value * w.sum_g_s + w.pulses as f64 * c_lines)
}

/// Energy (J) and time (s) of the writes of several arrays: energies add
/// up; the arrays are written in parallel, each one pulse at a time, so
/// the time is `t_p` times the pulses of the busiest array (for equally
/// loaded arrays: all pulses × `t_p` / arrays).
pub fn write_cost(tech: &Technology, arrays: &[WriteTally]) -> (f64, f64) {
    let energy = arrays.iter().map(|a| write_energy_j(tech, a)).sum();
    let busiest = arrays.iter().map(|a| a.pulses).max().unwrap_or(0);
    (energy, busiest as f64 * tech.write_pulse_s.value)
}

/// Energy (J) and time (s) of programming `cells` cells of mean
/// conductance `g_mean` (S) on arrays of `rows × cols`, `arrays` of them
/// written in parallel and equally loaded: `write_pulses_per_cell` pulses
/// each, priced by [`write_energy_j`] (`V²·g·t_p` in the cell
/// plus `(C_wl + C_bl)·V²` to charge the selected lines), one cell at a
/// time per array.
pub fn programming_cost(
    tech: &Technology,
    g_mean: f64,
    cells: u64,
    (rows, cols): (usize, usize),
    arrays: usize,
) -> (f64, f64) {
    let pulses = tech.write_pulses_per_cell.value * cells as f64;
    // Fractional pulses (a mean per cell) are allowed here: price one
    // pulse and scale.
    let one = WriteTally {
        rows,
        cols,
        pulses: 1,
        sum_g_s: g_mean,
    };
    let energy = pulses * write_energy_j(tech, &one);
    let time = pulses / arrays.max(1) as f64 * tech.write_pulse_s.value;
    (energy, time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xbar_training::TileActivity;

    fn design(neuron: NeuronKind) -> Design {
        Design {
            technology: Technology::preset("generic-32nm").unwrap(),
            adc_bits: 6,
            columns_per_adc: 8,
            input_bits: 1,
            output_bits: 1,
            r_driver_ohm: 1e3,
            read_voltage_v: 0.2,
            dac: false,
            neuron,
        }
    }

    fn layer(reads: u64, active: u64) -> LayerActivity {
        LayerActivity {
            inputs: 100,
            outputs: 20,
            products_per_inference: 25,
            pixels: 1,
            neuron_updates: 500,
            tiles: vec![
                TileActivity {
                    rows: 64,
                    cols: 64,
                    reads,
                    active_rows: active,
                    input_levels: active,
                    wordline_v2: active as f64 * 0.04,
                    array_energy_j: active as f64 * 3e-15,
                },
                TileActivity {
                    rows: 36,
                    cols: 64,
                    reads,
                    active_rows: active / 2,
                    input_levels: active / 2,
                    wordline_v2: (active / 2) as f64 * 0.04,
                    array_energy_j: (active / 2) as f64 * 3e-15,
                },
            ],
        }
    }

    #[test]
    fn the_breakdown_sums_to_the_total_per_layer_and_overall() {
        let d = design(NeuronKind::Lif);
        let cost = NetworkCost::new(&d, &[layer(20, 300), layer(5, 40)], 2);
        let sum: f64 = cost.layers.iter().map(|l| l.energy.total_j()).sum();
        assert!((sum - cost.energy.total_j()).abs() < 1e-12 * sum);
        let area: f64 = cost.layers.iter().map(|l| l.area.total_m2()).sum();
        assert!((area - cost.area.total_m2()).abs() < 1e-12 * area);
        let latency: f64 = cost.layers.iter().map(|l| l.latency_s).sum();
        assert!((latency - cost.latency_s).abs() < 1e-12 * latency);
        // ADC energy by hand: 20 reads / 2 inferences · 2 tiles · 64 columns · 64 fJ.
        let adc_l0 = 10.0 * 2.0 * 64.0 * 64e-15;
        assert!((cost.layers[0].energy.adc_j - adc_l0).abs() < 1e-12 * adc_l0);
        // Array energy as measured, per inference.
        assert!((cost.layers[0].energy.array_j - 450.0 * 3e-15 / 2.0).abs() < 1e-27);
        // 2 layers of 100×20: 8000 ops.
        assert_eq!(cost.ops, 8000.0);
        assert!(cost.tops_per_w() > 0.0 && cost.tops_per_mm2() > 0.0);
    }

    #[test]
    fn no_input_costs_no_array_driver_line_or_adc_energy() {
        let d = design(NeuronKind::Lif);
        let cost = NetworkCost::new(&d, &[layer(0, 0)], 1);
        let e = cost.energy;
        assert_eq!(
            (e.array_j, e.driver_j, e.wordline_j, e.adc_j, e.accumulate_j),
            (0.0, 0.0, 0.0, 0.0, 0.0)
        );
        assert!(e.neuron_j > 0.0, "neurons still update every step");
    }

    #[test]
    fn doubling_the_adc_sharing_halves_adcs_and_their_area_and_slows_the_read() {
        let mut d = design(NeuronKind::Relu);
        let base = NetworkCost::new(&d, &[layer(10, 100)], 1);
        d.columns_per_adc = 16;
        let shared = NetworkCost::new(&d, &[layer(10, 100)], 1);
        assert_eq!(base.adcs, 2 * shared.adcs);
        assert!((base.area.adcs_m2 - 2.0 * shared.area.adcs_m2).abs() < 1e-12 * base.area.adcs_m2);
        assert_eq!(base.energy.adc_j, shared.energy.adc_j);
        // Latency grows by exactly 8 more conversions per product.
        let extra = 25.0 * 8.0 / 1.28e9;
        assert!((shared.latency_s - base.latency_s - extra).abs() < 1e-9 * extra);
    }

    #[test]
    fn write_energy_of_a_few_pulses_by_hand() {
        let t = Technology::preset("generic-32nm").unwrap();
        // A 2×3 array: 3 pulses meeting 10, 20 and 30 µS, and a 4×4 array
        // with 5 pulses at 1 µS each.
        let small = WriteTally {
            rows: 2,
            cols: 3,
            pulses: 3,
            sum_g_s: 60e-6,
        };
        let other = WriteTally {
            rows: 4,
            cols: 4,
            pulses: 5,
            sum_g_s: 5e-6,
        };
        let seg = 0.2e-9 * 2.0 * 32e-9; // 12.8 aF
        let by_hand = 2.56 * (50e-9 * 60e-6 + 3.0 * 5.0 * seg);
        let e = write_energy_j(&t, &small);
        assert!(
            (e - by_hand).abs() < 1e-12 * by_hand,
            "{e:e} vs {by_hand:e}"
        );
        let both = by_hand + 2.56 * (50e-9 * 5e-6 + 5.0 * 8.0 * seg);
        let (e, time) = write_cost(&t, &[small, other]);
        assert!((e - both).abs() < 1e-12 * both, "{e:e} vs {both:e}");
        // In parallel: the busier array (5 pulses) sets the time.
        assert!((time - 5.0 * 50e-9).abs() < 1e-12 * time);
        let idle = WriteTally::new(128, 128);
        assert_eq!(write_cost(&t, &[idle, idle]), (0.0, 0.0));
    }

    #[test]
    fn programming_energy_by_hand() {
        let t = Technology::preset("generic-32nm").unwrap();
        // 10 pulses of 1.6 V, 50 ns into 50 µS: 6.4e-12 J each, plus the lines
        // (128 + 128 segments of 12.8 aF at 2.56 V²).
        let (e, time) = programming_cost(&t, 50e-6, 1, (128, 128), 1);
        let per_pulse = 2.56 * 50e-6 * 50e-9 + 256.0 * 12.8e-18 * 2.56;
        assert!((e - 10.0 * per_pulse).abs() < 1e-12 * e, "{e:e}");
        assert!((time - 500e-9).abs() < 1e-20);
    }
}
