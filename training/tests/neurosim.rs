//! NeuroSim's in-situ protocol (`xbar_training::neurosim`): the update rule
//! against hand-computed pulse counts and trajectories (the V3.0 manual's
//! equations with A from NeuroSim's own NL → A table, not from xbarsim's
//! root finder), the ideal device against an independent software SGD with
//! the same quantisation, and drift during training against the drift law.

use std::path::PathBuf;

use xbar_devices::drift::{DriftSpec, LogLinear};
use xbar_devices::{library, DeviceSpec};
use xbar_training::neurosim::{pulse_count, BinaryImages, NeurosimConfig, NeurosimNetwork};
use xbar_training::{Dataset, Split};

fn subset(split: Split) -> Dataset {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist-subset"));
    Dataset::load_split(&dir, split).unwrap()
}

fn ag_a_si() -> DeviceSpec {
    library::preset("ag-a-si").unwrap()
}

/// `truncate(x, levels, 0.5)` of `formula.cpp` on `dw/(w_max − w_min)`.
#[test]
fn pulse_counts_match_neurosim_rounding() {
    // 0.05/2·97 = 2.425 → 2; 0.0155/2·97 = 0.75175 → 1 (negative: −1).
    assert_eq!(pulse_count(0.05, 2.0, 97), 2);
    assert_eq!(pulse_count(-0.0155, 2.0, 97), -1);
    // Exactly half a pulse rounds away from zero; just under does not.
    assert_eq!(pulse_count(0.25, 2.0, 4), 1);
    assert_eq!(pulse_count(-0.25, 2.0, 4), -1);
    assert_eq!(pulse_count(0.2499, 2.0, 4), 0);
    // 1.0/2·97 = 48.5 → 49; a pair's device spans one weight unit.
    assert_eq!(pulse_count(1.0, 2.0, 97), 49);
    assert_eq!(pulse_count(0.3, 1.0, 50), 15);
    assert_eq!(pulse_count(0.0, 2.0, 97), 0);
}

/// NeuroSim's normalised curve `g(x) = B·(1 − e^(−x/A))`, `B = 1/(1 −
/// e^(−P/A))`, and its inverse, with `A` = table value · P.
fn curve(a_table: f64, p: f64) -> (impl Fn(f64) -> f64, impl Fn(f64) -> f64) {
    let a = a_table * p;
    let b = 1.0 / (1.0 - (-p / a).exp());
    (
        move |x: f64| b * (1.0 - (-x / a).exp()),
        move |g: f64| -a * (1.0 - g / b).ln(),
    )
}

/// Cells of layer 0 whose initial weight is `w` (the initial weights are
/// multiples of 1/3).
fn cells_at(net: &NeurosimNetwork, w: f64) -> Vec<usize> {
    net.weights(0, 0.0)
        .iter()
        .enumerate()
        .filter(|(_, v)| (**v - w).abs() < 1e-12)
        .map(|(i, _)| i)
        .collect()
}

/// Ag:a-Si (97 levels, NL 2.40/−4.88; NeuroSim's table: A = 0.499181 and
/// −0.200303 of P): LTP and LTD trajectories without C2C, and truncation at
/// both bounds.
#[test]
fn update_rule_follows_the_curves_and_stops_at_the_bounds() {
    let mut device = ag_a_si();
    if let Some(xbar_devices::pulse::PulseSpec::Exponential { c2c, .. }) = device.pulse.as_mut() {
        *c2c = 0.0;
    }
    let mut net = NeurosimNetwork::new(&device, NeurosimConfig::default(), 3).unwrap();
    let (ltp, ltp_inv) = curve(0.499181, 97.0);
    let (ltd, ltd_inv) = curve(-0.200303, 97.0);
    let mid = cells_at(&net, 0.0);
    assert!(mid.len() > 1000, "about 1/7 of 40 000 cells start at w = 0");
    // LTP: g = 0.5, Δw = +0.05 → 2 pulses; then 3 more with Δw = +0.06.
    let i = mid[0];
    assert_eq!(net.update_weight(0, i, 0.05), 2);
    let expected = ltp(ltp_inv(0.5) + 2.0);
    let g = net.written(0, 0)[i];
    assert!((g - expected).abs() < 2e-6, "LTP: {g} vs {expected}");
    assert_eq!(net.update_weight(0, i, 0.06), 3);
    let expected = ltp(ltp_inv(expected) + 3.0);
    let g = net.written(0, 0)[i];
    assert!((g - expected).abs() < 2e-6, "LTP: {g} vs {expected}");
    // LTD from g = 0.5: Δw = −0.05 → −2 pulses on the LTD curve.
    let j = mid[1];
    assert_eq!(net.update_weight(0, j, -0.05), -2);
    let expected = ltd(ltd_inv(0.5) - 2.0);
    let g = net.written(0, 0)[j];
    assert!((g - expected).abs() < 2e-6, "LTD: {g} vs {expected}");
    // The steep end of the LTD curve: a −2 step is far larger than +2.
    let (up, down) = (ltp(ltp_inv(0.5) + 2.0) - 0.5, 0.5 - expected);
    assert!(down > 1.5 * up, "LTD step {down} vs LTP step {up}");
    // Truncation: from w = 2/3 (g = 5/6), Δw = +1 → 49 pulses would pass
    // P = 97 (x ≈ 61.8 + 49): the cell stops at G_max exactly.
    let k = cells_at(&net, 2.0 / 3.0)[0];
    assert!((ltp_inv(5.0 / 6.0) - 61.8).abs() < 0.1);
    assert_eq!(net.update_weight(0, k, 1.0), 49);
    assert_eq!(net.written(0, 0)[k], 1.0);
    // LTD saturates near G_min: from w = −2/3 (g = 1/6), Δw = −1 → −49
    // pulses lands just above it (x ≈ 62.8 − 49 = 13.8); 19 more
    // (Δw = −0.4: 0.2·97 = 19.4) would pass x = 0:
    // the cell stops at G_min exactly.
    let m = cells_at(&net, -2.0 / 3.0)[0];
    assert_eq!(net.update_weight(0, m, -1.0), -49);
    let expected = ltd(ltd_inv(1.0 / 6.0) - 49.0);
    let g = net.written(0, 0)[m];
    assert!(
        (g - expected).abs() < 2e-6 && g > 0.0,
        "LTD: {g} vs {expected}"
    );
    assert!((ltd_inv(expected) - 13.84).abs() < 0.01);
    assert_eq!(net.update_weight(0, m, -0.4), -19);
    assert_eq!(net.written(0, 0)[m], 0.0);
    // A change below half a pulse leaves the cell untouched.
    let before = net.written(0, 0)[mid[2]];
    assert_eq!(net.update_weight(0, mid[2], 0.01), 0);
    assert_eq!(net.written(0, 0)[mid[2]], before);
}

/// With C2C on (Ag:a-Si, σ = 3.5 % of the range per pulse), the written
/// conductance scatters around the noiseless trajectory with σ·√|n|.
#[test]
fn cycle_to_cycle_noise_has_the_published_sigma() {
    let mut net = NeurosimNetwork::new(&ag_a_si(), NeurosimConfig::default(), 5).unwrap();
    let (ltp, ltp_inv) = curve(0.499181, 97.0);
    let nominal = ltp(ltp_inv(0.5) + 4.0);
    let cells = cells_at(&net, 0.0);
    let errors: Vec<f64> = cells
        .iter()
        .map(|&i| {
            // Δw = 0.08: 0.04·97 = 3.88 → 4 pulses.
            assert_eq!(net.update_weight(0, i, 0.08), 4);
            net.written(0, 0)[i] - nominal
        })
        .collect();
    let n = errors.len() as f64;
    let mean = errors.iter().sum::<f64>() / n;
    let sd = (errors.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let expected = 0.035 * 2.0;
    assert!(n > 5000.0);
    assert!(mean.abs() < 4.0 * expected / n.sqrt(), "mean {mean}");
    assert!((sd / expected - 1.0).abs() < 0.05, "σ {sd} vs {expected}");
}

/// Software SGD with NeuroSim's quantisation, written on weights directly
/// (no devices): the reference the ideal device must reproduce.
struct Software {
    w: [Vec<f64>; 2],
    sizes: [usize; 3],
    g_min_rel: f64,
    levels: f64,
    pulses: f64,
    /// Per layer: pulses applied and `Σ (g + g_min_rel)` (normalised
    /// conductance) of the weight each met, `g = (w + 1)/2`.
    writes: [(u64, f64); 2],
}

impl Software {
    /// `z_j = (D(Σ(g + g_min_rel)) − D(n·(½ + g_min_rel)))/(2ᵇ − 1)·N`,
    /// `g = (w + 1)/2`, `D(I) = ⌊I/N·(2ᵇ − 1)⌋`.
    fn layer(&self, l: usize, active: &[usize]) -> Vec<f64> {
        let (n_in, n_out) = (self.sizes[l], self.sizes[l + 1]);
        let d = |i: f64| (i / n_in as f64 * self.levels).trunc();
        (0..n_out)
            .map(|j| {
                let sum: f64 = active
                    .iter()
                    .map(|&k| 0.5 * (self.w[l][j * n_in + k] + 1.0) + self.g_min_rel)
                    .sum();
                let reference = active.len() as f64 * (0.5 + self.g_min_rel);
                (d(sum) - d(reference)) / self.levels * n_in as f64
            })
            .collect()
    }

    fn step(&mut self, active: &[usize], label: usize, lr: [f64; 2]) -> usize {
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        let a1: Vec<f64> = self.layer(0, active).into_iter().map(sig).collect();
        let d1: Vec<usize> = (0..a1.len()).filter(|&j| a1[j] >= 0.5).collect();
        let a2: Vec<f64> = self.layer(1, &d1).into_iter().map(sig).collect();
        let s2: Vec<f64> = (0..10)
            .map(|j| {
                let t = if j == label { 1.0 } else { 0.0 };
                -2.0 * a2[j] * (1.0 - a2[j]) * (t - a2[j])
            })
            .collect();
        let h = self.sizes[1];
        let s1: Vec<f64> = (0..h)
            .map(|k| {
                a1[k] * (1.0 - a1[k]) * (0..10).map(|j| self.w[1][j * h + k] * s2[j]).sum::<f64>()
            })
            .collect();
        // Δw quantised to whole pulses of 2/P, clamped to [−1, 1].
        let quantise = |dw: f64| {
            let v = (dw / 2.0).abs() * self.pulses;
            let n = if v - v.trunc() >= 0.5 {
                v.trunc() + 1.0
            } else {
                v.trunc()
            };
            dw.signum() * n * 2.0 / self.pulses
        };
        // Each of the n pulses of a step meets the weight one pulse further
        // along (clamped), in conductance units g + g_min_rel.
        let (pulses, g_min_rel) = (self.pulses, self.g_min_rel);
        let tally = |w: f64, step: f64, writes: &mut (u64, f64)| {
            let n = (step.abs() * pulses / 2.0).round() as u64;
            for k in 0..n {
                let met = (w + step.signum() * k as f64 * 2.0 / pulses).clamp(-1.0, 1.0);
                writes.1 += 0.5 * (met + 1.0) + g_min_rel;
            }
            writes.0 += n;
        };
        let n_in = self.sizes[0];
        for (j, s) in s1.iter().enumerate() {
            for &k in active {
                let w = &mut self.w[0][j * n_in + k];
                let step = quantise(-lr[0] * s);
                tally(*w, step, &mut self.writes[0]);
                *w = (*w + step).clamp(-1.0, 1.0);
            }
        }
        for (j, s) in s2.iter().enumerate() {
            for (k, a) in a1.iter().enumerate() {
                let w = &mut self.w[1][j * h + k];
                let step = quantise(-lr[1] * s * a);
                tally(*w, step, &mut self.writes[1]);
                *w = (*w + step).clamp(-1.0, 1.0);
            }
        }
        (0..10).fold(0, |b, j| if a2[j] > a2[b] { j } else { b })
    }
}

/// The ideal device (linear, 1000 levels, no noise) on NeuroSim's protocol
/// equals software SGD with the same ADC and pulse quantisation: the same
/// weights (to rounding, 1e-9) and the same prediction for every training
/// image, over 1 500 updates.
#[test]
fn ideal_device_equals_quantised_software_sgd() {
    let config = NeurosimConfig::default();
    let mut net =
        NeurosimNetwork::new(&library::preset("ideal").unwrap(), config.clone(), 7).unwrap();
    let data = BinaryImages::new(&subset(Split::Train).take(1500), 20, 0.5).unwrap();
    let mut sw = Software {
        w: [net.weights(0, 0.0), net.weights(1, 0.0)],
        sizes: [400, 100, 10],
        g_min_rel: 1.0 / 9.0,
        levels: 255.0,
        pulses: 1000.0,
        writes: [(0, 0.0); 2],
    };
    let mut changed = 0;
    for i in 0..data.len() {
        let active: Vec<usize> = data.active(i).iter().map(|&k| usize::from(k)).collect();
        let before = sw.w[0].clone();
        let predicted = sw.step(&active, usize::from(data.label(i)), config.learning_rates);
        let (_, correct) = net.step(&data, i);
        assert_eq!(
            correct,
            predicted == usize::from(data.label(i)),
            "image {i}"
        );
        changed += usize::from(before != sw.w[0]);
    }
    assert!(changed > 100, "layer 1 changed on {changed} updates only");
    for l in 0..2 {
        let hw = net.weights(l, 0.0);
        let worst = hw
            .iter()
            .zip(&sw.w[l])
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-9, "layer {l}: largest weight difference {worst}");
    }
    // The write tally: exactly the software's pulses, and Σ G over them
    // (G = 9 µS·(g + g_min_rel)) to the weights' agreement.
    for (l, w) in net.writes().iter().enumerate() {
        let (pulses, sum) = sw.writes[l];
        assert_eq!(w.pulses, pulses, "layer {l}");
        let sum_s = 9e-6 * sum;
        assert!(
            (w.sum_g_s - sum_s).abs() < 1e-9 * sum_s,
            "layer {l}: Σg {:e} vs {sum_s:e}",
            w.sum_g_s
        );
    }
    assert!(sw.writes[0].0 > 10_000, "{:?}", sw.writes);
}

fn with_drift(mut device: DeviceSpec, nu: f64, spread: f64) -> DeviceSpec {
    device.drift = Some(DriftSpec {
        t0_s: 1.0,
        nu_mean: LogLinear::constant(nu),
        nu_std: LogLinear::constant(spread),
    });
    device
}

/// ν = 0: drift during training changes nothing, bit for bit.
#[test]
fn zero_drift_exponent_is_bit_identical_to_no_drift() {
    let config = NeurosimConfig {
        time_per_update_s: 10.0,
        ..NeurosimConfig::default()
    };
    let data = BinaryImages::new(&subset(Split::Train).take(400), 20, 0.5).unwrap();
    let mut plain = NeurosimNetwork::new(&ag_a_si(), config.clone(), 11).unwrap();
    let mut drifting = NeurosimNetwork::new(&with_drift(ag_a_si(), 0.0, 0.0), config, 11).unwrap();
    assert!(drifting.drift_state(0, 0).is_some() && plain.drift_state(0, 0).is_none());
    for i in 0..data.len() {
        assert_eq!(plain.step(&data, i), drifting.step(&data, i), "image {i}");
    }
    let t = plain.time_s();
    for l in 0..2 {
        assert_eq!(plain.conductances(l, t), drifting.conductances(l, t));
    }
}

/// ν > 0: every read conductance is the written one times
/// `((t − t_w)/t₀)^(−ν)` at its own time since write (none before t₀),
/// and recently written cells drift less than untouched ones.
#[test]
fn reads_follow_the_drift_law_from_each_cells_last_write() {
    let config = NeurosimConfig {
        time_per_update_s: 2.0,
        ..NeurosimConfig::default()
    };
    let device = with_drift(ag_a_si(), 0.08, 0.02);
    let g_min_rel = device.g_min.siemens() / (device.g_max.siemens() - device.g_min.siemens());
    let data = BinaryImages::new(&subset(Split::Train).take(300), 20, 0.5).unwrap();
    let mut net = NeurosimNetwork::new(&device, config, 13).unwrap();
    for i in 0..data.len() {
        net.step(&data, i);
    }
    let t = net.time_s() + 0.5;
    assert_eq!(t, 600.5);
    let (mut recent, mut old) = (0, 0);
    for l in 0..2 {
        let read = net.conductances(l, t);
        let written = net.written(l, 0);
        let (nu, t_w) = net.drift_state(l, 0).unwrap();
        for i in 0..written.len() {
            let age = t - t_w[i];
            let factor = if age > 1.0 { age.powf(-nu[i]) } else { 1.0 };
            let expected = (written[i] + g_min_rel) * factor - g_min_rel;
            assert!(
                (read[i] - expected).abs() < 1e-12,
                "layer {l} cell {i}: {} vs {expected}",
                read[i]
            );
            if t_w[i] > 0.0 {
                recent += 1;
            } else {
                old += 1;
            }
        }
        assert!(nu.iter().all(|&n| n >= 0.0));
    }
    assert!(
        recent > 1000 && old > 1000,
        "{recent} rewritten, {old} untouched"
    );
}

/// A potentiation-only pair: an increase moves only G⁺, a decrease only
/// G⁻ (both along the LTP curve, one device spanning one weight unit); a
/// refresh leaves one device of every pair at G_min and the weight as read.
#[test]
fn pair_updates_potentiate_one_side_and_refresh_resets_the_other() {
    use xbar_training::WeightStorage;
    let mut device = library::preset("ideal").unwrap();
    device.name = "ideal-pair".into();
    let config = NeurosimConfig {
        weight_storage: WeightStorage::Pair,
        ..NeurosimConfig::default()
    };
    let mut net = NeurosimNetwork::new(&device, config.clone(), 17).unwrap();
    let i = cells_at(&net, 0.0)[0];
    assert_eq!((net.written(0, 0)[i], net.written(0, 1)[i]), (0.0, 0.0));
    // +0.1 → round(0.1·1000) = 100 pulses on G⁺: g⁺ = 0.1.
    assert_eq!(net.update_weight(0, i, 0.1), 100);
    assert!((net.written(0, 0)[i] - 0.1).abs() < 1e-12);
    // −0.25 → 250 pulses on G⁻ (reported negative): w = 0.1 − 0.25.
    assert_eq!(net.update_weight(0, i, -0.25), -250);
    assert!((net.written(0, 1)[i] - 0.25).abs() < 1e-12);
    assert!((net.weights(0, 0.0)[i] + 0.15).abs() < 1e-12);
    // Refresh after every update.
    let mut net = NeurosimNetwork::new(
        &device,
        NeurosimConfig {
            refresh_every: 1,
            ..config
        },
        17,
    )
    .unwrap();
    let data = BinaryImages::new(&subset(Split::Train).take(20), 20, 0.5).unwrap();
    for k in 0..data.len() {
        net.step(&data, k);
    }
    for l in 0..2 {
        let (plus, minus) = (net.written(l, 0), net.written(l, 1));
        let w = net.weights(l, 0.0);
        for c in 0..plus.len() {
            assert!(plus[c].min(minus[c]) == 0.0, "layer {l} cell {c}");
            assert_eq!(w[c], plus[c] - minus[c]);
        }
    }
}
