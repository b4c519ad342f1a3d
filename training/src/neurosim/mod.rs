//! NeuroSim's in-situ training protocol (`[insitu] protocol = "neurosim"`).
//!
//! The online-learning benchmark of MLP_NeuroSim V3.0 (P.-Y. Chen, X. Peng,
//! S. Yu, "NeuroSim: a circuit-level macro model for benchmarking
//! neuro-inspired architectures in online learning", IEEE TCAD 37(12),
//! 3067–3080, 2018; V3.0 user manual; the public source `Train.cpp`,
//! `Test.cpp`, `Cell.cpp`, `Mapping.cpp`, `formula.cpp`, `Param.cpp`, read
//! for behaviour), re-implemented here:
//!
//! **Data.** MNIST cropped to the central `crop × crop` pixels (20 × 20:
//! NeuroSim's `patch` files), each pixel binarised `x ≥ input_threshold`
//! (0.5) to 1, else 0. An epoch is `images_per_epoch` (8 000) images drawn
//! uniformly *with replacement* from the training set (NeuroSim:
//! `i = rand() % 60000`); the test after each epoch uses the whole test set.
//!
//! **Network.** `crop²`-`hidden`-10 (400-100-10) MLP, sigmoid neurons, no
//! biases. The hidden outputs `a₁` are thresholded to one bit,
//! `d₁ = [a₁ ≥ hidden_threshold]` (0.5), and only `d₁` drives the second
//! array; backpropagation uses the analog `a₁`:
//!
//! ```text
//! s₂ = −2·a₂(1 − a₂)(t − a₂)            (t one-hot; loss Σ(t − a₂)²)
//! s₁ = a₁(1 − a₁)·W₂ᵀ s₂                 (W₂ read back from the devices)
//! Δw₁ = −α₁·s₁·x      Δw₂ = −α₂·s₂·a₁     (α₁ = 0.4, α₂ = 0.2; one image per update)
//! ```
//!
//! **Weights on devices** (`weight_storage = "reference"`, NeuroSim's form):
//! one device per weight and a reference column of mid-range cells
//! subtracted at the output. Initial weights are drawn uniformly from
//! `{−1, −⅔, −⅓, 0, ⅓, ⅔, 1}` (`Mapping.cpp`: `(rand() % 7 − 3)/3`) and
//! written exactly, as `Array::WriteCell` does:
//!
//! ```text
//! G = (w − w_min)/(w_max − w_min)·(G_max − G_min)            clamped to [G_min, G_max]   (init_adds_g_min = false, NeuroSim)
//! G = G_min + (w − w_min)/(w_max − w_min)·(G_max − G_min)                                (init_adds_g_min = true)
//! ```
//!
//! NeuroSim's form leaves out `G_min`, so every weight starts
//! `2·G_min/(G_max − G_min)` below its drawn value (weights at −1 and up to
//! that offset stay at `G_min`). The default adds `G_min`;
//! `experiments/configs/neurosim-insitu.toml` sets NeuroSim's form.
//!
//! **Read** (`Array::ReadCell`, `AnalogNVM::GetMaxReadCurrent`,
//! `Train.cpp`). A 1T1R cell is read through its access transistor's
//! on-resistance `R_a` (`access_ohm`; NeuroSim's `resistanceAccess` =
//! 15 kΩ, none for a FeFET) and the word- and bit-line segments between it
//! and the drivers, `R = R_a + r_w·((j + 1) + (N − k))` for the cell of
//! output `j`, input `k` in an array of `N` rows (`wire_ohm` = `r_w`,
//! 0.237 Ω per cell for NeuroSim's 100 nm wire):
//!
//! ```text
//! I(G) = V·G/(1 + G·R)                       (V/(1/G + R))
//! I_max = V·G_max/(1 + G_max·R_a)            I_min = V·G_min/(1 + G_min·R_a)
//! w = 2·(I − I_min)/(I_max − I_min) − 1      clamped to [−1, 1]   (ConductanceToWeight)
//! ```
//!
//! so the weight is linear in the current, not in `G`: through 15 kΩ a
//! low-resistance device (AlOx/HfO₂, `R_on` = 16.9 kΩ) has its range
//! `I_max − I_min` halved and its upper conductances compressed, while
//! 26 MΩ Ag:a-Si is untouched. Column `j` sums the currents of the rows
//! whose input bit is 1 and the reference column gives
//! `I_ref = n_active·(I_max + I_min)/2`; an ADC of `b = adc_bits` bits
//! (`Mapping.cpp`, `CurrentToDigits`, `DigitsToAlgorithm`) gives
//!
//! ```text
//! D(I) = ⌊I / (N·(I_max − I_min)) · (2ᵇ − 1)⌋
//! z_j  = (D(I) − D(I_ref)) / (2ᵇ − 1) · N
//! ```
//!
//! i.e. `z = ½·Σ x·w` quantised in steps of `N/(2ᵇ − 1)`; the ADC does not
//! saturate (NeuroSim casts to `int`). `adc_bits = 0` is an ideal read,
//! `z = (I − I_ref)/(I_max − I_min)`. Backpropagation uses the weights read
//! back this way. With neither resistance (the defaults: `access_ohm`
//! unset, `wire_ohm = 0`, a device without `[access]`) the read is
//! `I = V·G` (xbarsim before issue 28). NeuroSim's `nonlinearIV` (the
//! write-voltage-dependent conductance, `NonlinearConductance`) is off in
//! its 1T1R cells and is not modelled; a device with a nonlinear `[iv]` or a
//! transistor `[access]` is refused.
//!
//! **Update** (`Cell.cpp`, `RealDevice::Write`; `formula.cpp`, `truncate`):
//! the desired change becomes a signed pulse count relative to the levels of
//! the curve of its direction,
//!
//! ```text
//! n = sign(Δw)·round½(|Δw| / (w_max − w_min) · P)      P = pulses_ltp if Δw > 0 else pulses_ltd
//! ```
//!
//! (`round½` rounds halves away from zero: `truncate(x, P, 0.5)`), and
//! with `pulse_roundoff` (the default) the count NeuroSim then applies,
//! `(int)((n/P)·P)` in double precision, one pulse less for some `n`
//! (7, 14, 25, … of 97); `n = 0`
//! leaves the cell untouched (no noise). Otherwise the cell moves `n` pulses
//! along its LTP or LTD curve from its present pulse number, gets
//! cycle-to-cycle noise `σ_C2C·(G_max − G_min)·√|n|·ξ` and is clamped to
//! `[G_min, G_max]` — exactly
//! [`xbar_devices::pulse::exponential_update`], where a pulse train past a
//! curve's end stops at the end before the noise. With
//! `extrapolate_curves` it follows the curve's formula beyond the end
//! instead (`NonlinearWeight(xPulse + numPulse)` is not bounded in
//! NeuroSim), so that the noise is added to a conductance past the bound
//! and a cell driven into a bound mostly stays there after the clamp. Device-to-device variation
//! (`d2d_nl`) draws each cell's NL labels once, `NL + N(0, d2d_nl)` (NeuroSim:
//! `getParamA(NL + gaussian_dist2)`), clipped to `[−9, 9]`.
//!
//! **Differential pair** (`weight_storage = "pair"`, optional, not
//! NeuroSim's analog form): `w = (G⁺ − G⁻)/(G_max − G_min)`; an increase
//! potentiates `G⁺`, a decrease potentiates `G⁻` (potentiation only, as in
//! Burr et al., IEEE TED 62(11), 2015), each device spanning one weight unit,
//! so `n = round½(|Δw|·P_LTP)`. Columns `G⁺` and `G⁻` go through the ADC
//! separately, `z = ½·(D(I⁺) − D(I⁻))/(2ᵇ − 1)·N` (the same scale as the
//! reference form). `refresh_every` updates, every pair is re-programmed
//! (exactly, write-verify assumed): both devices RESET and the one of the
//! weight's sign SET to `|w|`, i.e. `G⁺ = G_min + max(w, 0)·ΔG`,
//! `G⁻ = G_min + max(−w, 0)·ΔG` — the headroom a potentiation-only pair
//! needs, and a restart of both devices' drift clocks.
//!
//! **Drift during training** (`time_per_update_s > 0` and a device with a
//! `[drift]` model): image `u` is read and written at `t = u·time_per_update_s`;
//! the test after epoch `e` at `t = e·images_per_epoch·time_per_update_s`.
//! Each device remembers the time of its last write `t_w` and the
//! conductance it was left at `G_w`; every read sees
//! `G(t) = G_w·((t − t_w)/t₀)^(−ν)` (no drift for `t − t_w ≤ t₀`,
//! [`xbar_devices::drift::DriftSpec::factor`]), and pulses act on that
//! drifted conductance. Every write is a new programming event: `t_w` is
//! reset and `ν ~ |N(μ_ν(g_r), σ_ν(g_r))|` is drawn anew at the written
//! conductance, from a stream of its own (so that `ν = 0` gives the
//! no-drift result bit for bit).
//!
//! **Remaining differences from MLP_NeuroSim V3.0**, deliberate: no read
//! noise (NeuroSim's default is off too); the D2D spread of `G_min`/`G_max`
//! (off by default in NeuroSim) is not modelled; NL labels become `A` by
//! the exact relation, not NeuroSim's table truncated to 0.01; random
//! numbers come from xbarsim's seeded streams, not `rand()`/`mt19937`, so
//! runs agree with NeuroSim in distribution, not draw for draw
//! (`bench/neurosim-side-by-side.sh` runs both, device by device).
//!
//! **What makes it fast.** Inputs are binary, so each image is a list of
//! active rows and the read sums only those cells; layer 1's update
//! `Δw₁ = −α₁·s₁[j]·x[k]` is the same for every active row `k` of hidden
//! unit `j`, so its pulse count is computed once per unit and units with
//! `n = 0` (most of them) are skipped; conductances are stored normalised
//! (`g = (G − G_min)/(G_max − G_min)`), one contiguous row per output
//! neuron; curves are shared unless D2D is on; the test pass runs over
//! images in parallel (rayon), the training loop is sequential (per-image
//! SGD is inherently serial) and allocation-free.
//!
//! ```
//! use xbar_training::neurosim::{pulse_count, NeurosimConfig};
//! // Δw = 0.05 on a 97-level device, weight range 2: 0.025·97 = 2.425 → 2 pulses.
//! assert_eq!(pulse_count(0.05, 2.0, 97), 2);
//! assert_eq!(pulse_count(-0.0155, 2.0, 97), -1); // 0.75 rounds up
//! assert_eq!(NeurosimConfig::default().images_per_epoch, 8000);
//! ```

use std::time::Instant;

use rand::Rng;
use rand_distr::{Distribution, Normal};
use rayon::prelude::*;
use xbar_devices::pulse::{exponential_update_tallied, WriteTally, NL_MAX};
use xbar_devices::DeviceSpec;

use crate::mnist::Dataset;
use crate::rng::{stream, Stream};
use crate::train::{EpochStats, Progress, TrainError};

mod config;
mod data;
mod device;

pub use config::{
    pulse_count, pulse_count_as, NeurosimConfig, WeightStorage, NEUROSIM_ACCESS_OHM,
    NEUROSIM_WIRE_OHM,
};
pub use data::BinaryImages;
use device::{draw_nu, DeviceLayer, DeviceModel, DriftState, Rngs};

/// A 400-100-10 MLP whose weights live on devices, trained by NeuroSim's
/// protocol.
///
/// ```
/// use xbar_devices::library;
/// use xbar_training::neurosim::{NeurosimConfig, NeurosimNetwork};
/// let config = NeurosimConfig { hidden: 4, crop: 2, ..NeurosimConfig::default() };
/// let net = NeurosimNetwork::new(&library::preset("ideal").unwrap(), config, 1).unwrap();
/// let w = net.weights(0, 0.0);
/// assert_eq!(w.len(), 4 * 4);
/// assert!(w.iter().all(|w| (-1.0..=1.0).contains(w)));
/// ```
#[derive(Debug, Clone)]
pub struct NeurosimNetwork {
    config: NeurosimConfig,
    device: DeviceModel,
    read: ReadPath,
    layers: [DeviceLayer; 2],
    seed: u64,
    /// Updates done so far (images trained on).
    updates: u64,
    /// Calls of [`NeurosimNetwork::update_weight`] so far.
    manual_writes: u64,
    /// Whether reads drift (a drift model and a time per update).
    drifting: bool,
}

/// The read path of a cell: its conductance in series with the access
/// resistance and its share of the wires, `I/V = G/(1 + G·R)`, in units of
/// the ADC's range `I_max − I_min` per volt (`G_max`, `G_min` read through
/// the access resistance alone, as NeuroSim's `GetMaxReadCurrent`).
#[derive(Debug, Clone, Copy)]
struct ReadPath {
    /// `G_min/(G_max − G_min)`.
    g_min_rel: f64,
    /// `(G_max − G_min)·R_access`.
    acc: f64,
    /// `(G_max − G_min)·r_wire`.
    wire: f64,
    /// `(G_max − G_min)/(I_max − I_min)·V`: normalised conductance to ADC units.
    scale: f64,
    /// `I_min/(I_max − I_min)`, `I_max/(I_max − I_min)`.
    e_min: f64,
    e_max: f64,
    /// No series resistance at all: reads are `V·G` (the fast path).
    ohmic: bool,
}

impl ReadPath {
    fn new(device: &DeviceModel, wire_ohm: f64) -> Self {
        let acc = device.range_s * device.access_ohm;
        let wire = device.range_s * wire_ohm;
        let through = |x: f64| x / (1.0 + x * acc);
        let (lo, hi) = (through(device.g_min_rel), through(device.g_max_rel));
        let scale = 1.0 / (hi - lo);
        ReadPath {
            g_min_rel: device.g_min_rel,
            acc,
            wire,
            scale,
            e_min: lo * scale,
            e_max: hi * scale,
            ohmic: acc == 0.0 && wire == 0.0,
        }
    }

    /// The read current of a cell at normalised conductance `g` through
    /// `segments` wire segments, in ADC units (`I_min` → `e_min`,
    /// `I_max` → `e_max = e_min + 1` without wires).
    #[inline]
    fn current(&self, g: f64, segments: f64) -> f64 {
        let x = g + self.g_min_rel;
        self.scale * x / (1.0 + x * (self.acc + self.wire * segments))
    }
}

/// Scratch of one forward pass.
#[derive(Debug, Clone)]
struct Pass {
    a1: Vec<f64>,
    d1: Vec<u16>,
    a2: Vec<f64>,
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Index of the first largest value (NeuroSim's `Test.cpp`).
fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

impl NeurosimNetwork {
    /// Programs the initial weights (uniform on `{−1, −⅔, …, 1}`, from
    /// `seed`) onto fresh devices.
    ///
    /// # Errors
    /// A setting outside its domain, or a device without an exponential
    /// pulse model.
    pub fn new(device: &DeviceSpec, config: NeurosimConfig, seed: u64) -> Result<Self, TrainError> {
        config.validate()?;
        let model = DeviceModel::from_spec(device, &config)?;
        let read = ReadPath::new(&model, config.wire_ohm);
        let drifting = model.drift.is_some() && config.time_per_update_s > 0.0;
        let sizes = [config.crop * config.crop, config.hidden, 10];
        let pair = config.weight_storage == WeightStorage::Pair;
        let make = |l: usize| -> DeviceLayer {
            let (inputs, outputs) = (sizes[l], sizes[l + 1]);
            let n = inputs * outputs;
            let mut rng = stream(seed, Stream::Init, l as u64);
            let (mut g, mut gm) = (Vec::with_capacity(n), Vec::new());
            for _ in 0..n {
                let w = f64::from(rng.random_range(0..7u8) as i32 - 3) / 3.0;
                if pair {
                    g.push(w.max(0.0));
                    gm.push((-w).max(0.0));
                } else if config.init_adds_g_min {
                    g.push(0.5 * (w + 1.0));
                } else {
                    // NeuroSim: G = (w − w_min)/(w_max − w_min)·ΔG, at least G_min.
                    g.push((0.5 * (w + 1.0) - model.g_min_rel).max(0.0));
                }
            }
            let curves = if config.d2d_nl > 0.0 {
                let mut rng = stream(seed, Stream::WeightNoise, l as u64);
                let normal = Normal::new(0.0, config.d2d_nl).expect("σ validated");
                let label = |nl: f64, rng: &mut _| (nl + normal.sample(rng)).clamp(-NL_MAX, NL_MAX);
                (0..n)
                    .map(|_| {
                        let ltp = label(model.nl_ltp, &mut rng);
                        let ltd = label(model.nl_ltd, &mut rng);
                        model.curves(ltp, ltd)
                    })
                    .collect()
            } else {
                vec![model.curves(model.nl_ltp, model.nl_ltd)]
            };
            DeviceLayer {
                inputs,
                outputs,
                g,
                gm,
                curves,
                drift: None,
                pulses: 0,
                sum_g_rel: 0.0,
            }
        };
        let mut layers = [make(0), make(1)];
        if drifting {
            for (l, layer) in layers.iter_mut().enumerate() {
                let mut rng = stream(seed, Stream::DriftInLoop, u64::MAX - l as u64);
                let n = layer.g.len();
                let mut state = |values: &[f64]| DriftState {
                    t_write: vec![0.0; n],
                    nu: values
                        .iter()
                        .map(|&g| draw_nu(&model, g, &mut rng))
                        .collect(),
                };
                let plus = state(&layer.g);
                let minus = if pair {
                    state(&layer.gm)
                } else {
                    DriftState {
                        t_write: Vec::new(),
                        nu: Vec::new(),
                    }
                };
                layer.drift = Some([plus, minus]);
            }
        }
        Ok(NeurosimNetwork {
            config,
            device: model,
            read,
            layers,
            seed,
            updates: 0,
            manual_writes: 0,
            drifting,
        })
    }

    /// The settings.
    pub fn config(&self) -> &NeurosimConfig {
        &self.config
    }

    /// Each layer's array: the write pulses applied so far and `Σ G` (S)
    /// of the conductance each met just before it, for the write energy
    /// (`xbar_cost::write_cost`). The arrays are `inputs` word lines by
    /// `outputs + 1` bit lines (the reference column) or `2·outputs`
    /// (pairs). Re-programming by `refresh_every` is not a pulse train
    /// here and is not counted.
    pub fn writes(&self) -> [WriteTally; 2] {
        let pair = self.config.weight_storage == WeightStorage::Pair;
        let d = &self.device;
        self.layers.each_ref().map(|layer| WriteTally {
            rows: layer.inputs,
            cols: if pair {
                2 * layer.outputs
            } else {
                layer.outputs + 1
            },
            pulses: layer.pulses,
            // G = ΔG·(g + G_min/ΔG) for each pulse.
            sum_g_s: d.range_s * (layer.sum_g_rel + layer.pulses as f64 * d.g_min_rel),
        })
    }

    /// Updates (images) trained so far.
    pub fn updates(&self) -> u64 {
        self.updates
    }

    /// Time of the next update (s): `updates · time_per_update_s`.
    pub fn time_s(&self) -> f64 {
        self.updates as f64 * self.config.time_per_update_s
    }

    /// The normalised conductances `(G − G_min)/(G_max − G_min)` of layer
    /// `l` (0 or 1) as read at time `t` (s), row `j` (output neuron) after
    /// row: `g` (reference form) or `g⁺` then `g⁻` (pair), each
    /// `outputs·inputs` long.
    pub fn conductances(&self, l: usize, t: f64) -> Vec<f64> {
        let layer = &self.layers[l];
        let mut out: Vec<f64> = (0..layer.g.len())
            .map(|i| self.read_cell(l, 0, i, t))
            .collect();
        if !layer.gm.is_empty() {
            out.extend((0..layer.gm.len()).map(|i| self.read_cell(l, 1, i, t)));
        }
        out
    }

    /// Each device's drift exponent and time of last write (s) for layer
    /// `l`, side 0 (`g`/`g⁺`) or 1 (`g⁻`); `None` when reads do not drift.
    pub fn drift_state(&self, l: usize, side: usize) -> Option<(&[f64], &[f64])> {
        self.layers[l]
            .drift
            .as_ref()
            .map(|d| (d[side].nu.as_slice(), d[side].t_write.as_slice()))
    }

    /// The conductances of the last writes (normalised), like
    /// [`NeurosimNetwork::conductances`] without drift.
    pub fn written(&self, l: usize, side: usize) -> &[f64] {
        if side == 0 {
            &self.layers[l].g
        } else {
            &self.layers[l].gm
        }
    }

    /// The weights of layer `l` as read back at time `t`, `outputs·inputs`
    /// values in `[−1, 1]`, row `j` after row.
    pub fn weights(&self, l: usize, t: f64) -> Vec<f64> {
        let layer = &self.layers[l];
        (0..layer.g.len()).map(|i| self.weight(l, i, t)).collect()
    }

    /// The ADC outputs `z` of layer `l` (0 or 1) for the input rows
    /// `active` (those whose input bit is 1) at time `t`: one value per
    /// output, `z = ½·Σ x·w` as the arrays read it (access and wire
    /// resistances, reference column, ADC; module documentation).
    ///
    /// # Panics
    /// If `l > 1` or a row is not an input of that layer.
    pub fn partial_sums(&self, l: usize, active: &[u16], t: f64) -> Vec<f64> {
        let layer = &self.layers[l];
        assert!(
            active.iter().all(|&k| usize::from(k) < layer.inputs),
            "active rows of layer {l}"
        );
        let mut z = vec![0.0; layer.outputs];
        self.read_layer(l, active, t, &mut z);
        z
    }

    /// One device's normalised conductance at time `t`.
    fn read_cell(&self, l: usize, side: usize, i: usize, t: f64) -> f64 {
        let layer = &self.layers[l];
        let g = if side == 0 { layer.g[i] } else { layer.gm[i] };
        match (&layer.drift, &self.device.drift) {
            (Some(d), Some(spec)) if self.drifting => {
                let f = spec.factor(d[side].nu[i], t - d[side].t_write[i]);
                // G_w·f in normalised units; f = 1 leaves g bit for bit.
                g + (g + self.device.g_min_rel) * (f - 1.0)
            }
            _ => g,
        }
    }

    /// The weight of cell `i` of layer `l` read back at `t`, clamped to
    /// `[−1, 1]` (`ConductanceToWeight`).
    fn weight(&self, l: usize, i: usize, t: f64) -> f64 {
        let layer = &self.layers[l];
        let w = if self.read.ohmic {
            if layer.gm.is_empty() {
                2.0 * self.read_cell(l, 0, i, t) - 1.0
            } else {
                self.read_cell(l, 0, i, t) - self.read_cell(l, 1, i, t)
            }
        } else {
            // `ConductanceToWeight`: the cell's current (wires included)
            // against I_min and I_max (access resistance only).
            let segments = self.segments(l, i);
            let e = |side| self.read.current(self.read_cell(l, side, i, t), segments);
            if layer.gm.is_empty() {
                2.0 * (e(0) - self.read.e_min) - 1.0
            } else {
                e(0) - e(1)
            }
        };
        w.clamp(-1.0, 1.0)
    }

    /// Wire segments between cell `i` of layer `l` and its drivers: `(j + 1)
    /// + (N − k)` for output `j`, input `k` of `N` (`Array::ReadCell`).
    fn segments(&self, l: usize, i: usize) -> f64 {
        let n = self.layers[l].inputs;
        ((i / n + 1) + (n - i % n)) as f64
    }

    /// The partial sums of layer `l` for the active rows `active`, through
    /// the ADC, at time `t`, into `z`.
    fn read_layer(&self, l: usize, active: &[u16], t: f64, z: &mut [f64]) {
        let layer = &self.layers[l];
        let rows = layer.inputs as f64;
        let n_active = active.len() as f64;
        let bits = self.config.adc_bits;
        let levels = if bits == 0 {
            0.0
        } else {
            f64::from((1u32 << bits) - 1)
        };
        let (gmin, pair) = (self.device.g_min_rel, !layer.gm.is_empty());
        let drift = self.drifting;
        let digits = |i: f64| (i / rows * levels).trunc();
        let read = self.read;
        for (j, zj) in z.iter_mut().enumerate().take(layer.outputs) {
            let base = j * layer.inputs;
            let (i_plus, i_ref) = if read.ohmic {
                // Sums of normalised conductances; the G_min offset of each
                // active cell is added as n_active·G_min/(G_max − G_min).
                let (mut s, mut sm) = (0.0, 0.0);
                if drift {
                    for &k in active {
                        s += self.read_cell(l, 0, base + usize::from(k), t);
                        if pair {
                            sm += self.read_cell(l, 1, base + usize::from(k), t);
                        }
                    }
                } else {
                    let row = &layer.g[base..base + layer.inputs];
                    for &k in active {
                        s += row[usize::from(k)];
                    }
                    if pair {
                        let row = &layer.gm[base..base + layer.inputs];
                        for &k in active {
                            sm += row[usize::from(k)];
                        }
                    }
                }
                let i_ref = if pair {
                    sm + n_active * gmin
                } else {
                    n_active * (0.5 + gmin)
                };
                (s + n_active * gmin, i_ref)
            } else {
                // Currents through the access resistance and the wires, in
                // units of I_max − I_min; the reference column's mid-range
                // cells see the access resistance only (`GetMediumCellReadCurrent`).
                let first = (j + 1 + layer.inputs) as f64;
                let (mut s, mut sm) = (0.0, 0.0);
                for &k in active {
                    let i = base + usize::from(k);
                    let segments = first - f64::from(k);
                    let g = if drift {
                        self.read_cell(l, 0, i, t)
                    } else {
                        layer.g[i]
                    };
                    s += read.current(g, segments);
                    if pair {
                        let g = if drift {
                            self.read_cell(l, 1, i, t)
                        } else {
                            layer.gm[i]
                        };
                        sm += read.current(g, segments);
                    }
                }
                let i_ref = if pair {
                    sm
                } else {
                    n_active * 0.5 * (read.e_min + read.e_max)
                };
                (s, i_ref)
            };
            let scale = if pair { 0.5 } else { 1.0 };
            *zj = if bits == 0 {
                scale * (i_plus - i_ref)
            } else {
                scale * (digits(i_plus) - digits(i_ref)) / levels * rows
            };
        }
    }

    /// Forward pass of one image at time `t`.
    fn forward(&self, active: &[u16], t: f64, pass: &mut Pass) {
        let mut z1 = vec![0.0; self.config.hidden];
        self.read_layer(0, active, t, &mut z1);
        pass.d1.clear();
        for (j, z) in z1.iter().enumerate() {
            let a = sigmoid(*z);
            pass.a1[j] = a;
            // round_th(a·(levels − 1), threshold) with one input bit.
            if a >= self.config.hidden_threshold {
                pass.d1.push(j as u16);
            }
        }
        let mut z2 = [0.0; 10];
        self.read_layer(1, &pass.d1, t, &mut z2);
        for (a, z) in pass.a2.iter_mut().zip(z2) {
            *a = sigmoid(z);
        }
    }

    fn new_pass(&self) -> Pass {
        Pass {
            a1: vec![0.0; self.config.hidden],
            d1: Vec::with_capacity(self.config.hidden),
            a2: vec![0.0; 10],
        }
    }

    /// Predicted classes of every image of `data` at time `t` (in parallel).
    pub fn predict(&self, data: &BinaryImages, t: f64) -> Vec<usize> {
        (0..data.len())
            .into_par_iter()
            .map_init(
                || self.new_pass(),
                |pass, i| {
                    self.forward(data.active(i), t, pass);
                    argmax(&pass.a2)
                },
            )
            .collect()
    }

    /// Test accuracy on `data` at the present time.
    pub fn accuracy(&self, data: &BinaryImages) -> f64 {
        if data.is_empty() {
            return 0.0;
        }
        let t = self.time_s();
        let predicted = self.predict(data, t);
        let correct = predicted
            .iter()
            .enumerate()
            .filter(|(i, p)| usize::from(data.label(*i)) == **p)
            .count();
        correct as f64 / data.len() as f64
    }

    /// Applies `n` pulses to device `i` (side 0: `g`/`g⁺`, side 1: `g⁻`) of
    /// layer `l` at time `t`: from its drifted conductance along its curve,
    /// C2C noise, clamp; resets its drift clock and redraws ν.
    fn pulse(&mut self, l: usize, side: usize, i: usize, n: i32, t: f64, rngs: &mut Rngs) {
        let g_now = self.read_cell(l, side, i, t);
        let layer = &self.layers[l];
        let c = *layer.curves(i);
        // The tally costs O(1) per written cell, not per pulse: two
        // `exp_m1` and a few flops (`ExponentialCurve::pulse_sum`).
        let (next, sum_g) = if self.config.extrapolate_curves {
            device::extrapolated_update(g_now, n, &c, self.device.c2c, &mut rngs.c2c)
        } else {
            exponential_update_tallied(g_now, n, &c.ltp, &c.ltd, self.device.c2c, &mut rngs.c2c)
        };
        let layer = &mut self.layers[l];
        layer.pulses += u64::from(n.unsigned_abs());
        layer.sum_g_rel += sum_g;
        self.set_cell(l, side, i, next, t, &mut rngs.drift);
    }

    /// Writes device `i` to `g` at time `t` (a programming event).
    fn set_cell(&mut self, l: usize, side: usize, i: usize, g: f64, t: f64, rng: &mut impl Rng) {
        let nu = if self.drifting {
            Some(draw_nu(&self.device, g, rng))
        } else {
            None
        };
        let layer = &mut self.layers[l];
        if side == 0 {
            layer.g[i] = g;
        } else {
            layer.gm[i] = g;
        }
        if let (Some(d), Some(nu)) = (layer.drift.as_mut(), nu) {
            d[side].t_write[i] = t;
            d[side].nu[i] = nu;
        }
    }

    /// Applies `n` pulses (signed) for weight `i` of layer `l`.
    fn update_cell(&mut self, l: usize, i: usize, n: i32, t: f64, rngs: &mut Rngs) {
        if n == 0 {
            return;
        }
        // Reference form: LTP or LTD on the one device. Pair: potentiate
        // G⁺ for an increase, G⁻ for a decrease.
        if self.layers[l].gm.is_empty() || n > 0 {
            self.pulse(l, 0, i, n, t, rngs);
        } else {
            self.pulse(l, 1, i, -n, t, rngs);
        }
    }

    /// The pulse count of a weight change under the storage form.
    fn pulses_for(&self, dw: f64) -> i32 {
        let d = &self.device;
        match self.config.weight_storage {
            WeightStorage::Reference => {
                let levels = if dw > 0.0 { d.pulses_ltp } else { d.pulses_ltd };
                pulse_count_as(dw, 2.0, levels, self.config.pulse_roundoff)
            }
            WeightStorage::Pair => {
                pulse_count_as(dw, 1.0, d.pulses_ltp, self.config.pulse_roundoff)
            }
        }
    }

    /// Trains on one image (index `i` of `data`): forward through the
    /// arrays, backpropagation, pulses. Returns `(loss, correct)`.
    fn train_image(&mut self, data: &BinaryImages, i: usize, pass: &mut Pass) -> (f64, bool) {
        let t = self.time_s();
        let active = data.active(i);
        let label = usize::from(data.label(i));
        self.forward(active, t, pass);
        let mut s2 = [0.0; 10];
        let mut loss = 0.0;
        for (j, s) in s2.iter_mut().enumerate() {
            let a = pass.a2[j];
            let target = if j == label { 1.0 } else { 0.0 };
            *s = -2.0 * a * (1.0 - a) * (target - a);
            loss += (target - a) * (target - a);
        }
        let correct = argmax(&pass.a2) == label;
        // s1 through the read-back weights of layer 2 (before its update).
        let hidden = self.config.hidden;
        let mut s1 = vec![0.0; hidden];
        for (k, s) in s1.iter_mut().enumerate() {
            let a = pass.a1[k];
            let mut back = 0.0;
            for (j, s2j) in s2.iter().enumerate() {
                back += self.weight(1, j * hidden + k, t) * s2j;
            }
            *s = a * (1.0 - a) * back;
        }
        let mut rngs = Rngs {
            c2c: stream(self.seed, Stream::Pulses, self.updates),
            drift: stream(self.seed, Stream::DriftInLoop, self.updates),
        };
        let [lr1, lr2] = self.config.learning_rates;
        // Layer 1: x ∈ {0, 1}, so Δw is the same for every active row.
        let inputs = self.layers[0].inputs;
        for (j, s) in s1.iter().enumerate() {
            let n = self.pulses_for(-lr1 * s);
            if n == 0 {
                continue;
            }
            for &k in active {
                self.update_cell(0, j * inputs + usize::from(k), n, t, &mut rngs);
            }
        }
        // Layer 2: Δw = −α₂·s₂[j]·a₁[k] (analog a₁).
        for (j, s) in s2.iter().enumerate() {
            for k in 0..hidden {
                let n = self.pulses_for(-lr2 * s * pass.a1[k]);
                self.update_cell(1, j * hidden + k, n, t, &mut rngs);
            }
        }
        self.updates += 1;
        let every = self.config.refresh_every as u64;
        if every > 0 && self.updates % every == 0 {
            self.refresh(&mut rngs.drift);
        }
        (loss, correct)
    }

    /// One update: trains on image `i` of `data` (forward through the
    /// arrays, backpropagation, pulses); `(loss, correct)`.
    ///
    /// # Panics
    /// If `i >= data.len()` or the images have another number of inputs.
    pub fn step(&mut self, data: &BinaryImages, i: usize) -> (f64, bool) {
        assert_eq!(data.inputs(), self.layers[0].inputs, "inputs per image");
        let mut pass = self.new_pass();
        self.train_image(data, i, &mut pass)
    }

    /// Applies a desired change `dw` to weight `i` of layer `l` at the
    /// present time as an update does (pulse count, curve, C2C from a
    /// stream keyed by the update count); the signed pulse count.
    ///
    /// # Panics
    /// If `l > 1` or `i` is not a weight of that layer.
    pub fn update_weight(&mut self, l: usize, i: usize, dw: f64) -> i32 {
        let t = self.time_s();
        // Streams of their own, one per call (never an update's).
        self.manual_writes += 1;
        let key = (1 << 63) | self.manual_writes;
        let mut rngs = Rngs {
            c2c: stream(self.seed, Stream::Pulses, key),
            drift: stream(self.seed, Stream::DriftInLoop, key),
        };
        let n = self.pulses_for(dw);
        self.update_cell(l, i, n, t, &mut rngs);
        n
    }

    /// Re-programs every pair: both RESET, the one of the weight's sign SET
    /// to `|w|` (exactly), at the present time.
    fn refresh(&mut self, rng: &mut impl Rng) {
        let t = self.time_s();
        for l in 0..2 {
            for i in 0..self.layers[l].g.len() {
                let w = self.weight(l, i, t);
                self.set_cell(l, 0, i, w.max(0.0), t, rng);
                self.set_cell(l, 1, i, (-w).max(0.0), t, rng);
            }
        }
    }

    /// Trains `epochs` epochs on `train`, testing on `test` after each.
    ///
    /// # Errors
    /// An empty training set, or images that do not fit the crop.
    pub fn train(
        &mut self,
        train: &Dataset,
        test: &Dataset,
        epochs: usize,
        on_progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Vec<EpochStats>, TrainError> {
        let (crop, thr) = (self.config.crop, self.config.input_threshold);
        let train = BinaryImages::new(train, crop, thr)?;
        let test = BinaryImages::new(test, crop, thr)?;
        self.train_binary(&train, &test, epochs, on_progress)
    }

    /// [`NeurosimNetwork::train`] on prepared images.
    ///
    /// # Errors
    /// An empty training set, or an empty test set.
    pub fn train_binary(
        &mut self,
        train: &BinaryImages,
        test: &BinaryImages,
        epochs: usize,
        on_progress: &mut dyn FnMut(Progress<'_>),
    ) -> Result<Vec<EpochStats>, TrainError> {
        if train.is_empty() || test.is_empty() {
            return Err(TrainError::Data("empty training or test set".into()));
        }
        let mut history = Vec::with_capacity(epochs);
        let mut pass = self.new_pass();
        let per_epoch = self.config.images_per_epoch;
        for epoch in 1..=epochs {
            let start = Instant::now();
            let mut order = stream(self.seed, Stream::Shuffle, epoch as u64);
            let (mut loss, mut correct) = (0.0, 0usize);
            for _ in 0..per_epoch {
                let i = order.random_range(0..train.len());
                let (l, c) = self.train_image(train, i, &mut pass);
                loss += l;
                correct += usize::from(c);
            }
            let epoch_time_s = start.elapsed().as_secs_f64();
            let stats = EpochStats {
                epoch,
                train_loss: loss / per_epoch as f64,
                train_accuracy: correct as f64 / per_epoch as f64,
                test_accuracy: Some(self.accuracy(test)),
                epoch_time_s,
                writes: self.writes().to_vec(),
            };
            on_progress(Progress::Epoch(&stats));
            history.push(stats);
        }
        Ok(history)
    }
}
