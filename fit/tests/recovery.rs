//! Recovery of known parameters, and an independent check against the
//! published closed-form NeuroSim curves.

use xbar_fit::measurements::{PulseData, Table};
use xbar_fit::pulse::{fit_pulses, ModelChoice, PulseOptions};
use xbar_fit::synth::{synthesize_with_truth, SynthModel, SynthSpec};

/// 50 seeds of 20 devices (3 cycles of 120 + 120 pulses, C2C 0.5 %, D2D 5 %
/// on the bounds and 0.3 on the labels). The per-device 95 % intervals of
/// NL_LTP, NL_LTD, P_LTP, P_LTD and C2C cover the true values in at least
/// 90 % of the fits, and so do the intervals of the population mean of the
/// labels over the 50 seeds; the device file's nominal values are within
/// stated tolerances of the generator's.
#[test]
fn exponential_parameters_are_recovered_with_covering_intervals() {
    let spec = SynthSpec::default();
    let SynthModel::Exponential {
        pulses_ltp,
        pulses_ltd,
        nl_ltp,
        nl_ltd,
    } = spec.model
    else {
        unreachable!()
    };
    let mut covered = [0usize; 5];
    let mut fits = 0usize;
    let mut pop_covered = [0usize; 2];
    let mut pop_error = [0.0f64; 2];
    let seeds = 50u64;
    for seed in 0..seeds {
        let (data, truth) = synthesize_with_truth(&spec, seed);
        let fit = fit_pulses(&data, &PulseOptions::default()).unwrap();
        assert_eq!(fit.chosen, "exponential", "seed {seed}: {}", fit.reason);
        for (d, t) in fit.devices.iter().zip(&truth) {
            let e = d.exponential.as_ref().expect("every device fits");
            fits += 1;
            covered[0] += usize::from(e.nl_ltp.covers(t.nl_ltp));
            covered[1] += usize::from(e.nl_ltd.covers(t.nl_ltd));
            covered[2] += usize::from(e.pulses_ltp.covers(f64::from(pulses_ltp)));
            covered[3] += usize::from(e.pulses_ltd.covers(f64::from(pulses_ltd)));
            covered[4] += usize::from(e.c2c.covers(spec.c2c));
            // Bounds: the clamp levels are reached, so the extremes are exact.
            assert!((d.g_min_S - t.g_min).abs() < 1e-12 * t.g_max);
            assert!((d.g_max_S - t.g_max).abs() < 1e-12 * t.g_max);
        }
        let pop = |k: &str| fit.population.iter().find(|(n, _)| n == k).unwrap().1;
        pop_covered[0] += usize::from(pop("nl_ltp").mean.covers(nl_ltp));
        pop_covered[1] += usize::from(pop("nl_ltd").mean.covers(nl_ltd));
        pop_error[0] += (pop("nl_ltp").mean.value - nl_ltp) / seeds as f64;
        pop_error[1] += (pop("nl_ltd").mean.value - nl_ltd) / seeds as f64;
        // Point estimates of the device file: NL within 0.3 (the D2D σ/√20
        // is 0.07), pulses within 5 %, C2C within 5 %, D2D σ of NL within
        // 0.15, relative D2D σ of the bounds within 0.03 (true 0.05).
        let xbar_devices::pulse::PulseSpec::Exponential {
            pulses_ltp: p_ltp,
            pulses_ltd: p_ltd,
            nl_ltp: f_ltp,
            nl_ltd: f_ltd,
            c2c,
        } = fit.pulse
        else {
            panic!("exponential kept")
        };
        assert!((f_ltp - nl_ltp).abs() < 0.3, "seed {seed}: nl_ltp {f_ltp}");
        assert!((f_ltd - nl_ltd).abs() < 0.3, "seed {seed}: nl_ltd {f_ltd}");
        assert!(
            f64::from(p_ltp).abs_diff_eq(100.0, 5.0),
            "seed {seed}: {p_ltp}"
        );
        assert!(
            f64::from(p_ltd).abs_diff_eq(100.0, 5.0),
            "seed {seed}: {p_ltd}"
        );
        assert!(
            (c2c / spec.c2c - 1.0).abs() < 0.05,
            "seed {seed}: c2c {c2c}"
        );
        assert!(
            (fit.variability.nl - spec.d2d_nl).abs() < 0.15,
            "seed {seed}"
        );
        assert!(
            (fit.variability.g_min - spec.d2d_g).abs() < 0.03,
            "seed {seed}"
        );
        assert!(
            (fit.variability.g_max - spec.d2d_g).abs() < 0.03,
            "seed {seed}"
        );
    }
    let names = ["nl_ltp", "nl_ltd", "pulses_ltp", "pulses_ltd", "c2c"];
    for (name, c) in names.iter().zip(covered) {
        let rate = c as f64 / fits as f64;
        println!(
            "{name}: 95 % CI covers the truth in {:.1} % of {fits} device fits",
            100.0 * rate
        );
        assert!(rate >= 0.90, "{name}: coverage {rate}");
    }
    println!("mean error of the population NL over the seeds: {pop_error:?}");
    for (name, c) in ["mean nl_ltp", "mean nl_ltd"].iter().zip(pop_covered) {
        let rate = c as f64 / seeds as f64;
        println!(
            "{name}: 95 % CI covers the truth in {:.0} % of {seeds} seeds",
            100.0 * rate
        );
        assert!(rate >= 0.90, "{name}: coverage {rate}");
    }
}

trait Near {
    fn abs_diff_eq(self, other: f64, tol: f64) -> bool;
}

impl Near for f64 {
    fn abs_diff_eq(self, other: f64, tol: f64) -> bool {
        (self - other).abs() <= tol
    }
}

/// Soft-bounds devices (α 0.05/0.08, C2C 10 % of each step): BIC keeps soft
/// bounds, and α is recovered within 3 % in each of 10 seeds with the
/// per-device intervals covering the truth in ≥ 90 % of the fits.
#[test]
fn soft_bounds_devices_are_recognised_and_recovered() {
    let spec = SynthSpec {
        model: SynthModel::SoftBounds {
            alpha_up: 0.05,
            alpha_down: 0.08,
        },
        c2c: 0.1,
        ..SynthSpec::default()
    };
    let (mut fits, mut covered) = (0usize, 0usize);
    for seed in 0..10 {
        let (data, _) = synthesize_with_truth(&spec, seed);
        let fit = fit_pulses(&data, &PulseOptions::default()).unwrap();
        assert_eq!(fit.chosen, "soft-bounds", "seed {seed}: {}", fit.reason);
        let xbar_devices::pulse::PulseSpec::SoftBounds {
            alpha_up,
            alpha_down,
            ..
        } = fit.pulse
        else {
            panic!()
        };
        assert!((alpha_up / 0.05 - 1.0).abs() < 0.03, "{alpha_up}");
        assert!((alpha_down / 0.08 - 1.0).abs() < 0.03, "{alpha_down}");
        for d in &fit.devices {
            let s = d.soft_bounds.as_ref().unwrap();
            fits += 2;
            covered +=
                usize::from(s.alpha_up.covers(0.05)) + usize::from(s.alpha_down.covers(0.08));
        }
    }
    let rate = covered as f64 / fits as f64;
    assert!(rate >= 0.90, "α coverage {rate}");
}

/// NeuroSim's equations (MLP_NeuroSim V3.0 manual pp. 5–6), written out
/// here, not through the crate's model code:
/// `G_LTP(P) = B·(1 − e^(−P/A)) + G_min`,
/// `G_LTD(P) = −B·(1 − e^((P − P_max)/A)) + G_max`,
/// `B = (G_max − G_min)/(1 − e^(−P_max/A))`, with `A/P_max` from NeuroSim's
/// NL → A table (NL 2.40 → 0.499181, NL 4.88 → 0.200303). Depression runs
/// `P` from `P_max` down; 10 extra pulses per half-cycle hold the device at
/// the bound. Fitted back exactly (to the table's 6 digits).
#[test]
fn published_closed_form_curves_are_fitted_back_exactly() {
    let p_max = 97.0f64;
    let (a_ltp, a_ltd) = (0.499181 * p_max, 0.200303 * p_max);
    let devices = [(3.0769e-9, 3.8462e-8), (5e-9, 4.1e-8), (2e-9, 3.5e-8)];
    let mut text = String::from("pulse_voltage_V");
    for k in 0..devices.len() {
        text += &format!(",dev{k}");
    }
    text.push('\n');
    let g_ltp = |g0: f64, g1: f64, p: f64| {
        let b = (g1 - g0) / (1.0 - (-p_max / a_ltp).exp());
        b * (1.0 - (-p.min(p_max) / a_ltp).exp()) + g0
    };
    let g_ltd = |g0: f64, g1: f64, p: f64| {
        let b = (g1 - g0) / (1.0 - (-p_max / a_ltd).exp());
        -b * (1.0 - ((p.max(0.0) - p_max) / a_ltd).exp()) + g1
    };
    for _cycle in 0..2 {
        for k in 1..=107 {
            text += "2.0";
            for (g0, g1) in devices {
                text += &format!(",{:e}", g_ltp(g0, g1, f64::from(k)));
            }
            text.push('\n');
        }
        for k in 1..=107 {
            text += "-2.0";
            for (g0, g1) in devices {
                text += &format!(",{:e}", g_ltd(g0, g1, p_max - f64::from(k)));
            }
            text.push('\n');
        }
    }
    let table = Table::from_csv_text("closed-form.csv", &text, b',').unwrap();
    let data = PulseData::from_table(&table).unwrap();
    let fit = fit_pulses(&data, &PulseOptions::default()).unwrap();
    assert_eq!(fit.chosen, "exponential", "{}", fit.reason);
    for (d, (g0, g1)) in fit.devices.iter().zip(devices) {
        let e = d.exponential.as_ref().unwrap();
        assert!((d.g_min_S - g0).abs() < 1e-15 * g1);
        assert!((d.g_max_S - g1).abs() < 1e-15 * g1);
        assert!(
            (e.pulses_ltp.value - 97.0).abs() < 1e-6,
            "{:?}",
            e.pulses_ltp
        );
        assert!(
            (e.pulses_ltd.value - 97.0).abs() < 1e-6,
            "{:?}",
            e.pulses_ltd
        );
        assert!((e.nl_ltp.value - 2.40).abs() < 2e-5, "{:?}", e.nl_ltp);
        assert!((e.nl_ltd.value + 4.88).abs() < 2e-5, "{:?}", e.nl_ltd);
        assert!(e.c2c.value < 1e-9, "{:?}", e.c2c);
        assert!(e.quality.r2 > 1.0 - 1e-15);
    }
    // The population: exactly these values, no spread of the labels.
    let xbar_devices::pulse::PulseSpec::Exponential {
        pulses_ltp,
        nl_ltp,
        nl_ltd,
        ..
    } = fit.pulse
    else {
        panic!()
    };
    assert_eq!(pulses_ltp, 97);
    assert!((nl_ltp - 2.40).abs() < 2e-5 && (nl_ltd + 4.88).abs() < 2e-5);
    assert!(fit.variability.nl < 1e-4);
    // Forcing the other model still fits, worse (it has no hard bound).
    let soft = fit_pulses(
        &data,
        &PulseOptions {
            model: ModelChoice::SoftBounds,
            ..PulseOptions::default()
        },
    )
    .unwrap();
    assert_eq!(soft.chosen, "soft-bounds");
    let (exp_rmse, soft_rmse) = (
        fit.exponential.unwrap().rmse_relative,
        soft.soft_bounds.unwrap().rmse_relative,
    );
    assert!(exp_rmse < 1e-12, "{exp_rmse}");
    assert!(soft_rmse > 1e-5, "{soft_rmse}");
}
