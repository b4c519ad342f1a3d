//! Properties that hold for every device, state and seed.

use nalgebra::DMatrix;
use proptest::prelude::*;
use xbar_devices::{library, DeviceArray};

/// Library presets that have a pulse model.
fn pulse_presets() -> Vec<&'static str> {
    library::names()
        .into_iter()
        .filter(|n| library::preset(n).unwrap().pulse.is_some())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// After any pulse sequence, every device stays within its own bounds
    /// (and, without D2D variation, within the preset's).
    #[test]
    fn pulses_keep_conductance_within_bounds(
        preset in prop::sample::select(pulse_presets()),
        d2d in prop::bool::ANY,
        seed in any::<u64>(),
        steps in prop::collection::vec(prop::collection::vec(-150i32..150, 6), 1..12),
    ) {
        let mut spec = library::preset(preset).unwrap();
        if d2d {
            spec.variability.g_min = 0.2;
            spec.variability.g_max = 0.2;
            spec.variability.nl = 1.0;
        }
        let mut array = DeviceArray::new(&spec, 2, 3, seed).unwrap();
        for step in &steps {
            array.apply_pulses(&DMatrix::from_column_slice(2, 3, step)).unwrap();
            for i in 0..2 {
                for j in 0..3 {
                    let (lo, hi) = array.bounds(i, j);
                    let g = array.conductances()[(i, j)];
                    prop_assert!(g.is_finite() && lo <= g && g <= hi, "{g:e} not in [{lo:e}, {hi:e}]");
                    if !d2d {
                        prop_assert!(spec.g_min.siemens() <= g && g <= spec.g_max.siemens());
                    }
                }
            }
        }
    }

    /// With ν ≥ 0, later is never larger: G(t₂) ≤ G(t₁) for t₂ ≥ t₁.
    #[test]
    fn drift_never_increases_conductance(
        seed in any::<u64>(),
        targets in prop::collection::vec(0.0f64..25e-6, 12),
        t1 in 0.0f64..1e6,
        dt in 0.0f64..1e9,
    ) {
        let spec = library::preset("ibm-pcm").unwrap();
        let mut array = DeviceArray::new(&spec, 3, 4, seed).unwrap();
        array.program(&DMatrix::from_column_slice(3, 4, &targets)).unwrap();
        prop_assert!(array.drift_exponents().iter().all(|nu| *nu >= 0.0));
        let early = array.drift_to(t1).unwrap();
        let late = array.drift_to(t1 + dt).unwrap();
        for (a, b) in early.iter().zip(late.iter()) {
            prop_assert!(b <= a, "{b:e} > {a:e}");
            prop_assert!(*b >= 0.0);
        }
    }

    /// The same seed gives bit-identical arrays through every operation;
    /// a different seed gives a different array.
    #[test]
    fn same_seed_same_array_distinct_seeds_differ(
        preset in prop::sample::select(library::names()),
        seed in any::<u64>(),
    ) {
        let mut spec = library::preset(preset).unwrap();
        spec.variability.g_max = 0.05;
        let middle = 0.5 * (spec.g_min.siemens() + spec.g_max.siemens());
        let targets = DMatrix::from_fn(5, 7, |i, j| middle * (0.5 + 0.1 * (i + j) as f64 / 5.0));
        let pulses = DMatrix::from_fn(5, 7, |i, j| (i as i32 - j as i32) * 3);
        let run = |seed: u64| {
            let mut array = DeviceArray::new(&spec, 5, 7, seed).unwrap();
            array.program(&targets).unwrap();
            if spec.pulse.is_some() {
                array.apply_pulses(&pulses).unwrap();
            }
            let read = array.read(86_400.0).unwrap();
            (array.conductances().clone(), read)
        };
        let (g1, r1) = run(seed);
        let (g2, r2) = run(seed);
        prop_assert_eq!(&g1, &g2);
        prop_assert_eq!(&r1, &r2);
        let (g3, r3) = run(seed.wrapping_add(1));
        prop_assert!(g3 != g1 || r3 != r1);
    }

    /// `n` pulses at once equal `n` single pulses on a noiseless device.
    #[test]
    fn pulses_compose_without_noise(n in -40i32..40, start in 0i32..97) {
        let mut spec = library::preset("ag-a-si").unwrap();
        if let Some(xbar_devices::pulse::PulseSpec::Exponential { c2c, .. }) = spec.pulse.as_mut() {
            *c2c = 0.0;
        }
        let mut once = DeviceArray::new(&spec, 1, 1, 0).unwrap();
        once.apply_pulses(&DMatrix::from_element(1, 1, start)).unwrap();
        let mut stepwise = once.clone();
        once.apply_pulses(&DMatrix::from_element(1, 1, n)).unwrap();
        for _ in 0..n.unsigned_abs() {
            stepwise.apply_pulses(&DMatrix::from_element(1, 1, n.signum())).unwrap();
        }
        let (a, b) = (once.conductances()[0], stepwise.conductances()[0]);
        prop_assert!((a - b).abs() <= 1e-9 * spec.g_max.siemens(), "{a:e} vs {b:e}");
    }
}
