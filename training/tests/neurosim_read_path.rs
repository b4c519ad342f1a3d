//! NeuroSim's read path and bookkeeping in xbarsim's NeuroSim protocol
//! (issue 28): the 1T1R access resistance and the wires in every read
//! (`Array::ReadCell`: `I = V/(1/G + R)`), the weight read back against
//! `I_min`/`I_max` (`ConductanceToWeight`), the initial write without
//! `G_min` (`Array::WriteCell`), and the double-precision pulse count of
//! `RealDevice::Write`. Expected values are computed here from NeuroSim's
//! formulas in siemens and ohms, not from the module's normalised units.

use xbar_devices::{library, AccessSpec, DeviceSpec};
use xbar_training::neurosim::{
    pulse_count_as, NeurosimConfig, NeurosimNetwork, NEUROSIM_ACCESS_OHM, NEUROSIM_WIRE_OHM,
};

fn alox() -> DeviceSpec {
    library::preset("alox-hfo2").unwrap()
}

fn small(config: NeurosimConfig) -> NeurosimConfig {
    // 16 inputs, 6 hidden: quick, and rows/columns still matter.
    NeurosimConfig {
        crop: 4,
        hidden: 6,
        ..config
    }
}

/// NeuroSim's cell current per volt, `1/(1/G + R)` (S).
fn through(g_s: f64, r_ohm: f64) -> f64 {
    1.0 / (1.0 / g_s + r_ohm)
}

#[test]
fn initial_write_without_g_min_follows_neurosims_formula() {
    let d = alox();
    let (g_min, g_max) = (d.g_min.siemens(), d.g_max.siemens());
    let exact = NeurosimNetwork::new(&d, small(NeurosimConfig::default()), 3).unwrap();
    let ns = NeurosimNetwork::new(
        &d,
        small(NeurosimConfig {
            init_adds_g_min: false,
            ..NeurosimConfig::default()
        }),
        3,
    )
    .unwrap();
    let (mut clamped, mut moved) = (0, 0);
    for l in 0..2 {
        for (&ge, &gn) in exact.written(l, 0).iter().zip(ns.written(l, 0)) {
            // The drawn weight, from the exact write G = G_min + g·ΔG.
            let w = 2.0 * ge - 1.0;
            // NeuroSim: G = (w + 1)/2·ΔG, at least G_min.
            let g_ns = ((w + 1.0) / 2.0 * (g_max - g_min)).max(g_min);
            let got = g_min + gn * (g_max - g_min);
            assert!(
                (got - g_ns).abs() < 1e-12 * g_max,
                "w = {w}: G = {got} S, NeuroSim {g_ns} S"
            );
            if g_ns == g_min {
                clamped += 1;
            } else {
                moved += 1;
            }
        }
    }
    // G_min/ΔG = 1/3.43 = 0.29: w ∈ {−1, −⅔} (2/7 of the cells) clamp to
    // G_min, the other 5/7 start 0.58 weight units low.
    let n = (clamped + moved) as f64;
    assert!(clamped > 0 && moved > 0, "{clamped} clamped, {moved} moved");
    assert!(
        (clamped as f64 / n - 2.0 / 7.0).abs() < 0.1,
        "{clamped} of {n} at G_min"
    );
}

#[test]
fn access_resistance_maps_a_read_by_g_over_one_plus_g_r() {
    let d = alox();
    let (g_min, g_max) = (d.g_min.siemens(), d.g_max.siemens());
    let r = NEUROSIM_ACCESS_OHM;
    let net = NeurosimNetwork::new(
        &d,
        small(NeurosimConfig {
            access_ohm: Some(r),
            ..NeurosimConfig::default()
        }),
        5,
    )
    .unwrap();
    let (i_min, i_max) = (through(g_min, r), through(g_max, r));
    for l in 0..2 {
        let w = net.weights(l, 0.0);
        for (i, &g) in net.written(l, 0).iter().enumerate() {
            let i_cell = through(g_min + g * (g_max - g_min), r);
            let expected = 2.0 * (i_cell - i_min) / (i_max - i_min) - 1.0;
            assert!(
                (w[i] - expected).abs() < 1e-12,
                "layer {l} cell {i}: {} vs {expected}",
                w[i]
            );
        }
    }
    // A mid-range cell (drawn w = 0) reads as +0.2226 through 15 kΩ: its
    // current 1/(1/36.27 µS + 15 kΩ) = 23.49 µA/V lies above the
    // reference's (31.34 + 11.13)/2 = 21.24 µA/V.
    let mid = net
        .written(0, 0)
        .iter()
        .position(|&g| (g - 0.5).abs() < 1e-12)
        .expect("a cell at w = 0");
    assert!((net.weights(0, 0.0)[mid] - 0.2226).abs() < 5e-4);
}

#[test]
fn wires_add_resistance_by_the_cells_position() {
    let d = library::preset("gst-pcm").unwrap();
    let (g_min, g_max) = (d.g_min.siemens(), d.g_max.siemens());
    // A wire 1000× NeuroSim's, so that position matters at 1e-12.
    let r_w = 1000.0 * NEUROSIM_WIRE_OHM;
    let net = NeurosimNetwork::new(
        &d,
        small(NeurosimConfig {
            wire_ohm: r_w,
            ..NeurosimConfig::default()
        }),
        7,
    )
    .unwrap();
    let n = 16; // inputs of layer 0
    let w = net.weights(0, 0.0);
    for (i, &g) in net.written(0, 0).iter().enumerate() {
        let (j, k) = (i / n, i % n);
        let r = r_w * ((j + 1) + (n - k)) as f64;
        // The range and the reference leave the wires out: I_min = G_min.
        let i_cell = through(g_min + g * (g_max - g_min), r);
        let expected = (2.0 * (i_cell - g_min) / (g_max - g_min) - 1.0).clamp(-1.0, 1.0);
        assert!((w[i] - expected).abs() < 1e-12, "cell ({j}, {k})");
    }
}

#[test]
fn partial_sums_subtract_the_reference_column_through_the_access_resistance() {
    let d = alox();
    let (g_min, g_max) = (d.g_min.siemens(), d.g_max.siemens());
    let r = NEUROSIM_ACCESS_OHM;
    for bits in [0, 8] {
        let net = NeurosimNetwork::new(
            &d,
            small(NeurosimConfig {
                access_ohm: Some(r),
                adc_bits: bits,
                ..NeurosimConfig::default()
            }),
            11,
        )
        .unwrap();
        let active: Vec<u16> = vec![0, 3, 4, 9, 10, 15];
        let z = net.partial_sums(0, &active, 0.0);
        let n = 16.0;
        let (i_min, i_max) = (through(g_min, r), through(g_max, r));
        let levels = 255.0;
        for (j, zj) in z.iter().enumerate() {
            let i_sum: f64 = active
                .iter()
                .map(|&k| {
                    through(
                        g_min + net.written(0, 0)[j * 16 + usize::from(k)] * (g_max - g_min),
                        r,
                    )
                })
                .sum();
            let i_ref = active.len() as f64 * (i_max + i_min) / 2.0;
            let expected = if bits == 0 {
                (i_sum - i_ref) / (i_max - i_min)
            } else {
                // CurrentToDigits: (int)(I/((IsumMax − IsumMin)/255)).
                let d = |i: f64| (i / (n * (i_max - i_min) / levels)).trunc();
                (d(i_sum) - d(i_ref)) / levels * n
            };
            assert!(
                (zj - expected).abs() < 1e-9,
                "{bits} bits, column {j}: {zj} vs {expected}"
            );
        }
    }
}

#[test]
fn access_resistance_comes_from_the_device_or_the_setting() {
    let with = |r| NeurosimConfig {
        access_ohm: r,
        ..NeurosimConfig::default()
    };
    let alox = alox();
    let fefet = library::preset("hzo-fefet").unwrap();
    assert_eq!(with(None).access_ohm_for(&alox).unwrap(), 0.0);
    assert_eq!(with(Some(15e3)).access_ohm_for(&alox).unwrap(), 15e3);
    // A FeFET is its own selector (NeuroSim: cmosAccess && !FeFET).
    assert_eq!(with(Some(15e3)).access_ohm_for(&fefet).unwrap(), 0.0);
    let mut own = alox.clone();
    own.access = AccessSpec::Resistor { r_ohm: 4.7e3 };
    assert_eq!(with(None).access_ohm_for(&own).unwrap(), 4.7e3);
    let err = with(Some(15e3))
        .access_ohm_for(&own)
        .unwrap_err()
        .to_string();
    assert!(err.contains("neurosim.access_ohm"), "{err}");
    own.access = AccessSpec::NmosLevel1 {
        kp_A_per_V2: 1e-4,
        vto_V: 0.4,
        lambda_per_V: 0.0,
        gate_V: 1.2,
    };
    let err = with(None).access_ohm_for(&own).unwrap_err().to_string();
    assert!(err.contains("device.access"), "{err}");
    // The device's own resistor is read like the setting's.
    own.access = AccessSpec::Resistor { r_ohm: 15e3 };
    let a = NeurosimNetwork::new(&own, small(NeurosimConfig::default()), 2).unwrap();
    let b = NeurosimNetwork::new(&alox, small(with(Some(15e3))), 2).unwrap();
    assert_eq!(a.weights(0, 0.0), b.weights(0, 0.0));
    let err = with(Some(-1.0)).validate().unwrap_err().to_string();
    assert!(err.contains("access_ohm"), "{err}");
}

#[test]
fn pulse_roundoff_loses_the_pulses_neurosims_double_arithmetic_loses() {
    // (int)((n/97)·97) < n exactly for these n ≤ 97 in IEEE double.
    let lost: Vec<i32> = (1..=97)
        .filter(|&n| {
            let dw = 2.0 * f64::from(n) / 97.0;
            pulse_count_as(dw, 2.0, 97, true) != pulse_count_as(dw, 2.0, 97, false)
        })
        .collect();
    assert_eq!(lost, vec![7, 14, 25, 28, 31, 50, 53, 56, 59, 62]);
    for n in [7, 50] {
        let dw = 2.0 * f64::from(n) / 97.0;
        assert_eq!(pulse_count_as(dw, 2.0, 97, false), n);
        assert_eq!(pulse_count_as(dw, 2.0, 97, true), n - 1);
        assert_eq!(pulse_count_as(-dw, 2.0, 97, true), -(n - 1));
    }
    // 40 and 128 levels lose none.
    for p in [40, 128] {
        assert!((1..=p as i32).all(|n| {
            let dw = 2.0 * f64::from(n) / f64::from(p);
            pulse_count_as(dw, 2.0, p, true) == n
        }));
    }
}

/// Φ(x), the standard normal CDF (Abramowitz & Stegun 7.1.26, |ε| < 1.5e-7).
fn phi(x: f64) -> f64 {
    let z = x.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-z * z).exp();
    0.5 * (1.0 + erf.copysign(x))
}

#[test]
fn extrapolated_curves_keep_a_saturated_cell_on_its_bound() {
    use xbar_devices::pulse::a_from_nl;
    let d = alox(); // 40 levels, NL 1.94, C2C 5 %
    let run = |extrapolate| {
        let mut net = NeurosimNetwork::new(
            &d,
            NeurosimConfig {
                extrapolate_curves: extrapolate,
                ..NeurosimConfig::default()
            },
            13,
        )
        .unwrap();
        let top: Vec<usize> = (0..net.written(0, 0).len())
            .filter(|&i| net.written(0, 0)[i] == 1.0)
            .collect();
        let mut at_top = 0;
        for &i in &top {
            // Δw = 0.5: round(0.25·40) = 10 pulses past G_max.
            assert_eq!(net.update_weight(0, i, 0.5), 10);
            at_top += usize::from(net.written(0, 0)[i] == 1.0);
        }
        at_top as f64 / top.len() as f64
    };
    // NeuroSim: G(50) on the LTP curve past its end, then noise σ·√10.
    let a = a_from_nl(1.94) * 40.0;
    let b = 1.0 / -(-40.0 / a).exp_m1();
    let past = b * -(-50.0 / a).exp_m1() - 1.0;
    let sigma = 0.05 * 10f64.sqrt();
    let expected = phi(past / sigma);
    let (ns, clamped) = (run(true), run(false));
    assert!(
        (ns - expected).abs() < 0.03,
        "{ns} at G_max, Φ = {expected}"
    );
    assert!(
        (clamped - 0.5).abs() < 0.03,
        "{clamped} at G_max without extrapolation"
    );
    assert!(expected > 0.55);
}
