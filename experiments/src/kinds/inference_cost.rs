//! `inference-cost`: the accuracy of a trained network on programmed
//! arrays together with what an inference costs — energy by component
//! (array from the exact solved currents, word lines, drivers and DACs,
//! ADCs, accumulation, neurons, buffers), latency, area, TOPS/W and
//! TOPS/mm², the measured spike (input) rates, and the energy and time of
//! programming the network.
//!
//! The network comes as in `inference-drift` (trained from `[network]` and
//! `[training]`, or `evaluation.model`); it is evaluated at each time of
//! `evaluation.times_s` on `evaluation.instances` device instances by the
//! same evaluation as `inference-drift` (the same accuracy, bit for bit),
//! with an [`ActivityProbe`] recording what the arrays did; that activity
//! is priced by
//! [`xbar_cost::NetworkCost`] with the technology and periphery of
//! `[cost]`. Costs are means over instances. `xbarsim cost` is a one-point
//! run of this kind.

use std::path::Path;

use serde::{Deserialize, Serialize};
use xbar_cost::{programming_cost, Design, NetworkCost, NeuronKind, Technology};
use xbar_devices::DeviceSpec;
use xbar_training::{ActivityProbe, NetworkKind, ProgrammedNetwork};

use crate::context::Context;
use crate::kinds::inference_drift::{self, EvaluationSection, InferenceDrift};
use crate::kinds::{at_least_one, ExperimentKind, FieldError, KindError};
use crate::sections::{ArraySection, DataSection};

/// `[cost]`: the technology and the periphery choices the arrays do not fix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CostSection {
    /// A preset name (`generic-45nm`, `generic-32nm`, `generic-22nm`) or a
    /// technology TOML file (relative to the config).
    pub technology: String,
    /// ADC resolution for the cost (default: `array.adc_bits`, else 8).
    pub adc_bits: Option<u32>,
    /// Bit lines sharing one ADC.
    pub columns_per_adc: usize,
}

impl Default for CostSection {
    fn default() -> Self {
        CostSection {
            technology: "generic-32nm".into(),
            adc_bits: None,
            columns_per_adc: 8,
        }
    }
}

impl CostSection {
    /// Checks `technology` names a preset or a `.toml` file (the file
    /// itself is read by [`CostSection::technology`], in preflight).
    ///
    /// # Errors
    /// At `cost.technology`.
    pub fn check_technology(&self) -> Result<(), FieldError> {
        if Technology::preset(&self.technology).is_none() && !self.technology.ends_with(".toml") {
            return Err(FieldError::new(
                "cost.technology",
                format!(
                    "expected a preset ({}) or a .toml file, found {:?}",
                    Technology::PRESETS.join(", "),
                    self.technology
                ),
            ));
        }
        Ok(())
    }

    /// The technology: the preset, or the file read relative to `ctx`.
    ///
    /// # Errors
    /// An unknown preset, an unreadable file, or a file with a missing,
    /// unknown or negative value (located in the file).
    pub fn technology(&self, ctx: &Context) -> Result<Technology, FieldError> {
        if let Some(t) = Technology::preset(&self.technology) {
            return Ok(t);
        }
        self.check_technology()?;
        let path = ctx.path(Path::new(&self.technology));
        let text = std::fs::read_to_string(&path).map_err(|e| {
            FieldError::new(
                "cost.technology",
                format!("cannot read `{}`: {e}", path.display()),
            )
        })?;
        Technology::from_toml(&text, &path.display().to_string())
            .map_err(|e| FieldError::new("cost.technology", e.to_string()))
    }
}

crate::sections! {
    /// `inference-cost` settings.
    pub struct Settings {
        /// `[network]`: the network trained in software (absent with a model file).
        pub network: Option<xbar_training::NetworkConfig>,
        /// `[training]`: its software training.
        pub training: Option<xbar_training::TrainConfig>,
        /// `[data]`: MNIST.
        pub data: DataSection,
        /// `[array]`: tiles, wires, converters, solver, drift compensation.
        pub array: ArraySection,
        /// `[evaluation]`: model, times and instances.
        pub evaluation: EvaluationSection,
        /// `[cost]`: technology, ADC resolution and sharing.
        pub cost: CostSection,
    }
}

/// Accuracy and cost per inference at one time (means over instances).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case)]
pub struct Row {
    /// Time since programming (s).
    pub time_s: f64,
    /// Device instances.
    pub instances: u64,
    /// Mean test accuracy (%).
    pub accuracy_pct: f64,
    /// The same network in software (%).
    pub software_accuracy_pct: f64,
    /// Total energy per inference (J).
    pub energy_per_inference_J: f64,
    /// Cells and wires, from the solved circuit (J).
    pub array_energy_J: f64,
    /// Word-line charging (J).
    pub wordline_energy_J: f64,
    /// Drivers and DACs (J).
    pub driver_energy_J: f64,
    /// ADCs (J).
    pub adc_energy_J: f64,
    /// Shift-and-add accumulation (J).
    pub accumulate_energy_J: f64,
    /// Neuron updates (J).
    pub neuron_energy_J: f64,
    /// Buffers (J).
    pub buffer_energy_J: f64,
    /// Energy per inference of each layer (J), `;`-separated.
    pub layer_energy_J: String,
    /// Latency per inference (s).
    pub latency_s: f64,
    /// Total area (m²).
    pub area_m2: f64,
    /// Cell area (m²).
    pub cells_area_m2: f64,
    /// ADC area (m²).
    pub adc_area_m2: f64,
    /// ADCs.
    pub adcs: u64,
    /// Operations per inference (2 per weight per layer).
    pub ops_per_inference: f64,
    /// Energy efficiency (TOPS/W).
    pub tops_per_W: f64,
    /// Area efficiency (TOPS/mm²).
    pub tops_per_mm2: f64,
    /// Mean fraction of the first layer's rows driven per product.
    pub input_rate: f64,
    /// Mean fraction of the other layers' rows driven per product (spike rate).
    pub hidden_rate: f64,
    /// Energy to program the network once (J).
    pub programming_energy_J: f64,
    /// Time to program the network, arrays in parallel (s).
    pub programming_time_s: f64,
}

/// The `inference-cost` kind.
pub struct InferenceCost;

impl InferenceCost {
    fn drift_settings(s: &Settings) -> inference_drift::Settings {
        inference_drift::Settings {
            network: s.network.clone(),
            training: s.training.clone(),
            data: s.data.clone(),
            array: s.array.clone(),
            evaluation: s.evaluation.clone(),
        }
    }

    /// The design priced: technology, ADC bits and sharing, buffers and
    /// neurons from the network.
    ///
    /// With a bit-sliced `[array.mapping]` the activity is recorded per DAC
    /// step (a product is one step: every bit line converted once), so the
    /// design prices it with the mapping's ADC bits per slice (or, for an
    /// exact ADC, the bits that hold the largest partial sum of a tile,
    /// `⌈log₂(M·(2^b_d − 1)·(2^b_c − 1) + 1)⌉`), a DAC of `b_d` bits per
    /// active row and step, and `b_d` input bits read per step; `cost.adc_bits`
    /// still overrides the ADC bits.
    ///
    /// # Errors
    /// A technology that cannot be read.
    pub fn design(s: &Settings, kind: NetworkKind, ctx: &Context) -> Result<Design, FieldError> {
        let technology = s.cost.technology(ctx)?;
        let dac_bits = s.array.converters.dac_bits.unwrap_or(8);
        let (bits, neuron) = match kind {
            NetworkKind::Spiking => (1, NeuronKind::Lif),
            NetworkKind::Relu => (dac_bits, NeuronKind::Relu),
        };
        let (adc_bits, input_bits, dac) = match &s.array.mapping {
            Some(m) => {
                let rows = s.array.shape().0;
                let exact = (m.max_partial_sum(rows) + 1.0).log2().ceil() as u32;
                let slice_bits = m.adc.map_or(exact, |(b, _)| b);
                (slice_bits, m.bits_per_dac_step, true)
            }
            None => (
                s.array.converters.adc_bits.unwrap_or(8),
                bits,
                s.array.converters.dac_bits.is_some(),
            ),
        };
        Ok(Design {
            technology,
            adc_bits: s.cost.adc_bits.unwrap_or(adc_bits),
            columns_per_adc: s.cost.columns_per_adc,
            input_bits,
            output_bits: bits,
            r_driver_ohm: s.array.wires.r_source,
            read_voltage_v: s.array.converters.read_voltage,
            dac,
            neuron,
        })
    }
}

impl InferenceCost {
    /// Every instance is held at once (their costs are compared per
    /// time): refuses `evaluation.instances` whose programmed networks
    /// cannot fit in memory, before any is programmed.
    fn check_instances(
        s: &Settings,
        bytes_per_instance: f64,
        parameters: usize,
    ) -> Result<(), FieldError> {
        let n = s.evaluation.instances;
        crate::resources::check_memory(
            "evaluation.instances",
            n as f64 * bytes_per_instance,
            &format!(
                "to hold {n} programmed instances of a network of {parameters} parameters at once"
            ),
        )
    }
}

impl ExperimentKind for InferenceCost {
    type Settings = Settings;
    type Row = Row;

    fn check(s: &Settings, device: &DeviceSpec) -> Result<(), FieldError> {
        // The sections it shares with inference-drift, by that kind's checks.
        InferenceDrift::check(&Self::drift_settings(s), device)?;
        if s.evaluation.model.is_none() {
            let net = s.network.clone().unwrap_or_default();
            Self::check_instances(
                s,
                ProgrammedNetwork::memory_bytes(&net),
                net.parameter_count(),
            )?;
        }
        at_least_one("cost.columns_per_adc", s.cost.columns_per_adc, "column")?;
        if let Some(b) = s.cost.adc_bits {
            if !(1..=24).contains(&b) {
                return Err(FieldError::new(
                    "cost.adc_bits",
                    format!("expected 1 to 24 bits, found {b}"),
                ));
            }
        }
        s.cost.check_technology()
    }

    fn preflight(s: &Settings, ctx: &Context) -> Result<(), FieldError> {
        s.cost.technology(ctx)?;
        InferenceDrift::preflight(&Self::drift_settings(s), ctx)?;
        if let Some(file) = &s.evaluation.model {
            let model = ctx
                .model_file(file, &s.evaluation.nir_options())
                .map_err(|e| FieldError::new("evaluation.model", e.to_string()))?;
            Self::check_instances(s, model.programmed_bytes(), model.parameter_count())?;
        }
        Ok(())
    }

    fn run(
        s: &Settings,
        device: &DeviceSpec,
        seed: u64,
        ctx: &Context,
    ) -> Result<Vec<Row>, KindError> {
        let prepared = InferenceDrift::prepare(&Self::drift_settings(s), seed, ctx)?;
        let model = &prepared.network;
        let design = Self::design(s, model.kind(), ctx)?;
        let array = s.array.array_config(device);
        let read_time = design.technology.read_time_s.value;
        let e = &s.evaluation;
        let mut rows = Vec::with_capacity(e.times_s.len());
        let mut programmed = (0..e.instances)
            .map(|i| model.program(&array, seed.wrapping_add(i as u64)))
            .collect::<Result<Vec<_>, _>>()?;
        for &t in &e.times_s {
            let mut acc = 0.0;
            let mut costs = Vec::with_capacity(e.instances);
            for p in &mut programmed {
                let mut probe = ActivityProbe::new(read_time);
                acc += p.evaluate_at(t, &prepared.test, seed, Some(&mut probe))?;
                costs.push((
                    NetworkCost::new(&design, &probe.layers, probe.inferences),
                    probe,
                ));
            }
            let n = e.instances as f64;
            let mean =
                |f: &dyn Fn(&NetworkCost) -> f64| costs.iter().map(|(c, _)| f(c)).sum::<f64>() / n;
            let first = &costs[0].0;
            let rate = |hidden: bool| {
                let v: Vec<f64> = costs
                    .iter()
                    .flat_map(|(c, _)| {
                        c.layers
                            .iter()
                            .enumerate()
                            .filter(move |(l, _)| (*l > 0) == hidden)
                            .map(|(_, l)| l.input_activity)
                    })
                    .collect();
                if v.is_empty() {
                    0.0
                } else {
                    v.iter().sum::<f64>() / v.len() as f64
                }
            };
            let layers = first.layers.len();
            let layer_energy = (0..layers)
                .map(|l| format!("{:e}", mean(&|c| c.layers[l].energy.total_j())))
                .collect::<Vec<_>>()
                .join(";");
            // Programming: every cell at the mean of the device's range.
            let (cells, arrays, shape) = costs[0].1.layers.iter().flat_map(|l| &l.tiles).fold(
                (0u64, 0usize, (0usize, 0usize)),
                |(c, a, (r, k)), t| {
                    (
                        c + (t.rows * t.cols) as u64,
                        a + 1,
                        (r.max(t.rows), k.max(t.cols)),
                    )
                },
            );
            let g_mean = 0.5 * (device.g_min.siemens() + device.g_max.siemens());
            let (prog_e, prog_t) =
                programming_cost(&design.technology, g_mean, cells, shape, arrays);
            rows.push(Row {
                time_s: t,
                instances: e.instances as u64,
                // The mean, then %: as `inference-drift` (`summarise`), bit for bit.
                accuracy_pct: 100.0 * (acc / n),
                software_accuracy_pct: 100.0 * prepared.software,
                energy_per_inference_J: mean(&|c| c.energy.total_j()),
                array_energy_J: mean(&|c| c.energy.array_j),
                wordline_energy_J: mean(&|c| c.energy.wordline_j),
                driver_energy_J: mean(&|c| c.energy.driver_j),
                adc_energy_J: mean(&|c| c.energy.adc_j),
                accumulate_energy_J: mean(&|c| c.energy.accumulate_j),
                neuron_energy_J: mean(&|c| c.energy.neuron_j),
                buffer_energy_J: mean(&|c| c.energy.buffer_j),
                layer_energy_J: layer_energy,
                latency_s: mean(&|c| c.latency_s),
                area_m2: first.area.total_m2(),
                cells_area_m2: first.area.cells_m2,
                adc_area_m2: first.area.adcs_m2,
                adcs: first.adcs as u64,
                ops_per_inference: first.ops,
                tops_per_W: mean(&|c| c.tops_per_w()),
                tops_per_mm2: mean(&|c| c.tops_per_mm2()),
                input_rate: rate(false),
                hidden_rate: rate(true),
                programming_energy_J: prog_e,
                programming_time_s: prog_t,
            });
        }
        Ok(rows)
    }
}
