//! Fitted devices judged as the user runs them (issue 24): the device
//! file simulated free over the measured pulses against the measured
//! median curve, the trajectory estimator on read-noise-dominated data
//! (against the truth and against scipy's trajectory fit,
//! `fit/tests/peer/trajectory_fit.py`, whose results are stored beside the
//! data in `fit/tests/data/*.scipy.json`), populations with a failing
//! device, and measured-curve tables whose curve cannot stick.

use std::path::PathBuf;

use xbar_devices::pulse::{a_from_nl, PulseSpec};
use xbar_devices::variability::VariabilitySpec;
use xbar_fit::device::{fit_device, FitSettings};
use xbar_fit::free_run::{self, Reference};
use xbar_fit::measurements::PulseData;
use xbar_fit::pulse::{fit_pulses, Estimator, ModelChoice, PulseModel, PulseOptions};
use xbar_fit::synth::{synthesize, synthesize_with_truth, to_wide_csv, SynthModel, SynthSpec};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The heavy-read-noise set (`cargo run -p xbar-fit --example
/// free_run_compare -- --synth …`): one device, 2 cycles of 1 200 + 1 200
/// pulses, P_max 1 000, NL ±2, C2C 0.1 %, read noise 3 % of the range.
fn read_noise_set() -> PathBuf {
    root().join("fit/tests/data/read-noise-synthetic.csv")
}

/// scipy's free-running error on a data set (the peer's stored result).
fn scipy_free_run(name: &str) -> f64 {
    let text = std::fs::read_to_string(root().join("fit/tests/data").join(name)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["free_run_error_relative"].as_f64().unwrap()
}

fn fit_file(path: PathBuf, model: &str) -> xbar_fit::device::FittedDevice {
    fit_device(&FitSettings {
        pulses: Some(path),
        model: model.parse().unwrap(),
        ..FitSettings::default()
    })
    .unwrap()
}

/// A noiseless device (no C2C, no D2D) run free is NeuroSim's closed form
/// `G(x) = G_min + B·(1 − e^(−x/A))`, `B = (G_max − G_min)/(1 − e^(−P/A))`,
/// up `P + 10` pulses (the last ten held at G_max), and its mirror down.
#[test]
fn a_noiseless_device_runs_free_on_the_closed_form() {
    let (g0, g1, p, nl) = (1e-6, 10e-6, 50u32, 2.0);
    let spec = free_run::pulse_device(
        g0,
        g1,
        PulseSpec::Exponential {
            pulses_ltp: p,
            pulses_ltd: p,
            nl_ltp: nl,
            nl_ltd: -nl,
            c2c: 0.0,
        },
        VariabilitySpec::default(),
    );
    let n = 2 * (p as usize + 10) + 1;
    let polarity: Vec<i8> = (0..n)
        .map(|i| if i <= p as usize + 10 { 1 } else { -1 })
        .collect();
    let reference = Reference {
        pulse: (0..n).collect(),
        polarity,
        median_S: vec![g0; n],
        p10_S: vec![g0; n],
        p90_S: vec![g0; n],
        devices: vec![1; n],
        range_S: g1 - g0,
    };
    let sim = free_run::simulate(&spec, &reference).unwrap();
    let a = a_from_nl(nl) * f64::from(p);
    let b = (g1 - g0) / (1.0 - (-f64::from(p) / a).exp());
    let up = |x: f64| g0 + b * (1.0 - (-x.min(f64::from(p)) / a).exp());
    for (k, (m, s)) in sim.mean_S.iter().zip(&sim.std_S).enumerate() {
        let expected = if k <= p as usize + 10 {
            up(k as f64)
        } else {
            // Depression mirrors potentiation from G_max.
            let y = (k - (p as usize + 10)) as f64;
            g1 - (up(y) - g0)
        };
        assert!(
            (m - expected).abs() < 1e-9 * g1,
            "pulse {k}: {m} vs {expected}"
        );
        assert!(*s < 1e-12 * g1, "pulse {k}: σ {s}");
    }
}

/// Heavy read noise: the step fit cannot fit the exponential model (the
/// noisy regressor turns the saturation into mean reversion: "a soft-bounds
/// device"); the trajectory fit recovers the truth, separates read noise
/// from C2C, runs free as close as the truth itself does, and as close as
/// scipy's trajectory fit of the same model.
#[test]
fn read_noise_is_separated_and_the_rate_recovered() {
    let data = PulseData::read(&read_noise_set()).unwrap();
    // Before: the step fit alone.
    let before = fit_pulses(
        &data,
        &PulseOptions {
            model: ModelChoice::Only(PulseModel::Exponential),
            steps_only: true,
            ..PulseOptions::default()
        },
    );
    assert!(before.is_err(), "{before:?}");
    let fitted = fit_file(read_noise_set(), "auto");
    let fit = fitted.fits.pulses.as_ref().unwrap();
    assert_eq!(fit.chosen, PulseModel::Exponential, "{}", fit.reason);
    let e = fit.devices[0].exponential.as_ref().unwrap();
    assert_eq!(e.estimator, Estimator::Trajectory);
    // Read noise dominates: lag-1 autocorrelation near −0.5.
    assert!(e.step_noise.read_noise);
    assert!(
        (-0.55..-0.4).contains(&e.step_noise.lag1),
        "{:?}",
        e.step_noise
    );
    // The truth in the fit's units (relative to its own g_max − g_min).
    let range = e.g_max_S.value - e.g_min_S.value;
    let read_truth = 0.03 * 9e-6 / range;
    let c2c_truth = 0.001 * 9e-6 / range;
    println!("{e:#?}");
    assert!(
        (e.step_noise.read_sigma / read_truth - 1.0).abs() < 0.1,
        "read σ {} against {read_truth}",
        e.step_noise.read_sigma
    );
    assert!(
        (e.c2c.value / c2c_truth - 1.0).abs() < 0.3,
        "C2C {:?} against {c2c_truth}",
        e.c2c
    );
    assert!(e.c2c.covers(c2c_truth), "{:?} against {c2c_truth}", e.c2c);
    // The rates: P_max within 10 % of 1 000, the labels within 0.35 of ±2,
    // the bounds within 10 % of the range.
    for (p, what) in [(e.pulses_ltp, "LTP"), (e.pulses_ltd, "LTD")] {
        assert!((p.value / 1000.0 - 1.0).abs() < 0.1, "{what} {p:?}");
    }
    assert!((e.nl_ltp.value - 2.0).abs() < 0.35, "{:?}", e.nl_ltp);
    assert!((e.nl_ltd.value + 2.0).abs() < 0.35, "{:?}", e.nl_ltd);
    assert!(
        (e.g_min_S.value - 1e-6).abs() < 0.1 * 9e-6,
        "{:?}",
        e.g_min_S
    );
    assert!(
        (e.g_max_S.value - 10e-6).abs() < 0.1 * 9e-6,
        "{:?}",
        e.g_max_S
    );
    // Run free: within 5 % of the truth's own free-running error (the read
    // noise's floor) and at most scipy's trajectory fit's.
    let reference = Reference::of(&data, |_| true).unwrap();
    let truth = free_run::pulse_device(
        1e-6,
        10e-6,
        PulseSpec::Exponential {
            pulses_ltp: 1000,
            pulses_ltd: 1000,
            nl_ltp: 2.0,
            nl_ltd: -2.0,
            c2c: 0.001,
        },
        VariabilitySpec::default(),
    );
    let truth = free_run::error_of(&truth, &reference).unwrap();
    let ours = fit.free_run_of(PulseModel::Exponential).unwrap();
    let scipy = scipy_free_run("read-noise-synthetic.scipy.json");
    println!(
        "free run: ours {:.4}, truth {:.4}, scipy {scipy:.4}",
        ours.mean_relative, truth.mean_relative
    );
    assert!(
        ours.mean_relative < 1.05 * truth.mean_relative,
        "{ours:?} {truth:?}"
    );
    assert!(
        ours.mean_relative < 1.05 * scipy,
        "{ours:?} against scipy {scipy}"
    );
    // The device file as written runs free the same way.
    let spec = &fitted.spec;
    let again = free_run::error_of(spec, &reference).unwrap();
    assert_eq!(again, ours);
    assert!(!fitted.report_text().contains("warning:"));
}

/// Soft bounds on the read-noise set: the step fit's curve ran free 24 %
/// of the range from the measured one (issue 24); the trajectory fit runs
/// within 1.3× the exponential's and 1.15× scipy's trajectory fit of soft
/// bounds (`trajectory_fit.py --soft-bounds`, stored), with α as scipy's
/// within 1 % and no warning. A model that does not reproduce the curve
/// (its free-running error set to 20 %) is said to, with its number.
#[test]
fn soft_bounds_reproduce_the_curve_or_are_said_not_to() {
    let fitted = fit_file(read_noise_set(), "soft-bounds");
    let fit = fitted.fits.pulses.as_ref().unwrap();
    let free = fit.free_run_of(PulseModel::SoftBounds).unwrap();
    let exponential = fit.free_run_of(PulseModel::Exponential).unwrap();
    let scipy = scipy_free_run("read-noise-synthetic.soft-bounds.scipy.json");
    println!(
        "soft bounds {:.4}, exponential {:.4}, scipy soft bounds {scipy:.4}",
        free.mean_relative, exponential.mean_relative
    );
    assert!(
        free.mean_relative < 1.3 * exponential.mean_relative,
        "{free:?}"
    );
    assert!(
        free.mean_relative < 1.15 * scipy,
        "{free:?} against {scipy}"
    );
    let s = fit.devices[0].soft_bounds.unwrap();
    assert_eq!(s.estimator, Estimator::Trajectory);
    let text = std::fs::read_to_string(
        root().join("fit/tests/data/read-noise-synthetic.soft-bounds.scipy.json"),
    )
    .unwrap();
    let peer: serde_json::Value = serde_json::from_str(&text).unwrap();
    for (ours, key) in [(s.alpha_up, "alpha_up"), (s.alpha_down, "alpha_down")] {
        let theirs = peer[key].as_f64().unwrap();
        assert!(
            (ours.value / theirs - 1.0).abs() < 0.01,
            "{key}: {ours:?} against {theirs}"
        );
    }
    assert!(!fitted.report_text().contains("does not reproduce"));
    // The same fit, its soft-bounds error set to 20 %.
    let mut bad = fit.clone();
    for f in &mut bad.free_run {
        if f.model == PulseModel::SoftBounds {
            f.error.mean_relative = 0.2;
        }
    }
    let warnings = bad.warnings().join("\n");
    assert!(
        warnings.contains(
            "the kept soft-bounds model does not reproduce the measured curve: run free, its simulated mean lies 20"
        ),
        "{warnings}"
    );
    assert!(
        warnings.contains("run free, exponential follows the measured curve closer"),
        "{warnings}"
    );
}

/// Clean multi-device sets (C2C and D2D, no read noise): the step fit is
/// kept on every device, no read noise is seen where there is none, and
/// the kept model runs free within 1.5× scipy's trajectory fit.
#[test]
fn clean_sets_run_free_as_close_as_the_peer() {
    for (file, peer) in [
        (
            "data/pulse-trains-synthetic.csv",
            "pulse-trains-synthetic.scipy.json",
        ),
        (
            "data/pulse-trains-jump-synthetic.csv",
            "pulse-trains-jump-synthetic.scipy.json",
        ),
    ] {
        let fitted = fit_file(root().join(file), "auto");
        let fit = fitted.fits.pulses.as_ref().unwrap();
        let ours = fit.free_run_of(fit.chosen).unwrap();
        let scipy = scipy_free_run(peer);
        println!(
            "{file}: {} {:.4} scipy {scipy:.4}",
            fit.chosen, ours.mean_relative
        );
        assert!(
            ours.mean_relative < 1.5 * scipy,
            "{file}: {ours:?} against {scipy}"
        );
        // Soft bounds written from the median curve's trajectory fit: the
        // per-device step fits' means ran free at 3.70 % and 3.28 % of the
        // range (2.5× and 1.6× scipy's soft bounds); now 1.64 % and 1.93 %.
        let soft = fit.free_run_of(PulseModel::SoftBounds).unwrap();
        let soft_peer = scipy_free_run(&peer.replace(".scipy.json", ".soft-bounds.scipy.json"));
        let median = fit.soft_bounds_median.clone().unwrap();
        println!(
            "{file}: soft bounds {:.4} scipy {soft_peer:.4}; {median:?}",
            soft.mean_relative
        );
        assert!(median.kept, "{file}: {median:?}");
        assert!(
            soft.mean_relative < 1.25 * soft_peer,
            "{file}: soft bounds {soft:?} against {soft_peer}"
        );
        let noisy = fit
            .devices
            .iter()
            .filter_map(|d| d.exponential.as_ref())
            .filter(|e| e.step_noise.read_noise || e.estimator == Estimator::Trajectory)
            .count();
        assert!(noisy <= 1, "{file}: {noisy} devices with read noise");
    }
}

/// One device of six never switches: it is reported and left out, the
/// others keep both closed forms and the measured curve, and either closed
/// form can still be named.
#[test]
fn a_failing_device_is_reported_and_left_out() {
    let spec = SynthSpec {
        devices: 6,
        cycles: 2,
        ..SynthSpec::default()
    };
    let data = synthesize(&spec, 5);
    let text = to_wide_csv(&data, 1.0, "");
    // device_03 reads the same value throughout.
    let text: String = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            let mut c: Vec<String> = l.split(',').map(str::to_string).collect();
            if i > 0 {
                c[3] = "5e-6".into();
            }
            c.join(",") + "\n"
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("one-bad.csv");
    std::fs::write(&path, text).unwrap();
    for model in ["auto", "exponential", "soft-bounds"] {
        let fitted = fit_file(path.clone(), model);
        let fit = fitted.fits.pulses.as_ref().unwrap();
        assert!(fit.devices[2].failed_both(), "{model}");
        assert_eq!(fit.exponential.unwrap().devices, 5, "{model}");
        assert_eq!(fit.soft_bounds.unwrap().devices, 5, "{model}");
        let report = fitted.report_text();
        assert!(
            report.contains("warning: 1 of 6 devices fitted by no closed form, left out of the population: device_03 ("),
            "{model}: {report}"
        );
        if model == "auto" {
            let m = fitted.fits.pulses_measured_curve.as_ref().unwrap();
            assert_eq!(m.devices.len(), 5);
            assert_eq!(m.excluded.len(), 1);
            assert!(m.excluded[0].contains("device_03"), "{:?}", m.excluded);
        }
        // The population is the five good devices'.
        let g_max = fit
            .population
            .iter()
            .find(|(k, _)| k == "g_max_S")
            .unwrap()
            .1;
        assert_eq!(g_max.devices, 5, "{model}");
    }
}

/// On read-noise data the measured curve sees the read noise (σ within
/// 10 % of the truth), its every bin steps the way its pulse pushes (the
/// noiseless curve cannot stick), its C2C σ is net of the read noise
/// (within a factor 2 of the truth's 0.1 % of the range, where the raw
/// spread is 4 %), and it runs free within 1.05× the truth's own error
/// (the step tables ran 23 % of the range from the curve).
#[test]
fn measured_tables_never_stick() {
    let fitted = fit_file(read_noise_set(), "measured");
    let m = fitted.fits.pulses_measured_curve.as_ref().unwrap();
    let range = m.g_max_S - m.g_min_S;
    let read = m.read_noise.expect("read noise seen") * range;
    assert!((read / (0.03 * 9e-6) - 1.0).abs() < 0.1, "{read:e}");
    for s in m.curve.ltp.sigma_s.iter().chain(&m.curve.ltd.sigma_s) {
        assert!((0.5 * 9e-9..2.0 * 9e-9).contains(s), "{s:e}");
    }
    let fit = fitted.fits.pulses.as_ref().unwrap();
    let free = fit.free_run_of(PulseModel::Measured).unwrap();
    let reference = Reference::of(&PulseData::read(&read_noise_set()).unwrap(), |_| true).unwrap();
    let truth = free_run::pulse_device(
        1e-6,
        10e-6,
        PulseSpec::Exponential {
            pulses_ltp: 1000,
            pulses_ltd: 1000,
            nl_ltp: 2.0,
            nl_ltd: -2.0,
            c2c: 0.001,
        },
        VariabilitySpec::default(),
    );
    let truth = free_run::error_of(&truth, &reference).unwrap();
    println!(
        "measured {:.4}, truth {:.4}",
        free.mean_relative, truth.mean_relative
    );
    assert!(free.mean_relative < 1.05 * truth.mean_relative, "{free:?}");
    assert!(
        m.curve.ltp.dg_s.iter().all(|d| *d > 0.0),
        "{:?}",
        m.curve.ltp.dg_s
    );
    assert!(
        m.curve.ltd.dg_s.iter().all(|d| *d < 0.0),
        "{:?}",
        m.curve.ltd.dg_s
    );
}

/// Intervals on simulated data with read noise *and* C2C: over 24
/// independent devices, the 95 % intervals of P_max (LTP) and of the C2C σ
/// cover the truth at least 19 times (the nominal 95 % gives 22.8 on
/// average; 19 or fewer has probability below 1 %).
#[test]
fn intervals_cover_the_truth_with_read_noise_and_c2c() {
    let spec = SynthSpec {
        devices: 24,
        cycles: 2,
        pulses_per_half: 360,
        model: SynthModel::Exponential {
            pulses_ltp: 300,
            pulses_ltd: 300,
            nl_ltp: 2.0,
            nl_ltd: -2.0,
        },
        c2c: 0.002,
        d2d_g: 0.0,
        d2d_nl: 0.0,
        read_noise: 0.02,
        ..SynthSpec::default()
    };
    let (data, truth) = synthesize_with_truth(&spec, 9);
    let fit = fit_pulses(
        &data,
        &PulseOptions {
            model: ModelChoice::Only(PulseModel::Exponential),
            ..PulseOptions::default()
        },
    )
    .unwrap();
    let (mut pulses, mut c2c, mut n) = (0, 0, 0);
    for (d, t) in fit.devices.iter().zip(&truth) {
        let Some(e) = &d.exponential else { continue };
        n += 1;
        let range = e.g_max_S.value - e.g_min_S.value;
        let c2c_truth = 0.002 * (t.g_max - t.g_min) / range;
        pulses += usize::from(e.pulses_ltp.covers(300.0));
        c2c += usize::from(e.c2c.covers(c2c_truth));
        println!(
            "{:?} P {:?} c2c {:?} truth {c2c_truth} lag1 {}",
            e.estimator, e.pulses_ltp, e.c2c, e.step_noise.lag1
        );
    }
    println!("covered: P {pulses}, C2C {c2c} of {n}");
    assert_eq!(n, 24);
    assert!(pulses >= 19 && c2c >= 19, "P {pulses}, C2C {c2c} of {n}");
}

/// A soft-bounds device read with heavy read noise (one device, 2 cycles of
/// 600 + 600 pulses, α 0.006/0.008, C2C 0.3 of each step, read noise 3 % of
/// the range): the step fit's C2C is the read noise (several steps' worth)
/// and its curve mean-reverts; the trajectory fit recovers α within 10 %,
/// the C2C fraction within 35 % (its interval covering the truth; seeds 1
/// to 6 gave 0.18–0.32, seed 31 0.49 [0.34, 0.69]), and runs free within
/// 5 % of the truth's own error.
#[test]
fn soft_bounds_with_read_noise_recovers_the_truth() {
    let spec = SynthSpec {
        devices: 1,
        cycles: 2,
        pulses_per_half: 600,
        model: SynthModel::SoftBounds {
            alpha_up: 0.006,
            alpha_down: 0.008,
        },
        c2c: 0.3,
        d2d_g: 0.0,
        d2d_nl: 0.0,
        read_noise: 0.03,
        ..SynthSpec::default()
    };
    let (data, truth) = synthesize_with_truth(&spec, 1);
    let opts = |steps_only| PulseOptions {
        model: ModelChoice::Only(PulseModel::SoftBounds),
        steps_only,
        ..PulseOptions::default()
    };
    let before = fit_pulses(&data, &opts(true)).unwrap();
    let after = fit_pulses(&data, &opts(false)).unwrap();
    let b = before.devices[0].soft_bounds.unwrap();
    let s = after.devices[0].soft_bounds.unwrap();
    println!("before {b:#?}\nafter {s:#?}\ntruth {:?}", truth[0]);
    assert_eq!(b.estimator, Estimator::Steps);
    assert_eq!(s.estimator, Estimator::Trajectory);
    assert!(b.c2c.value > 3.0 * 0.3, "{:?}", b.c2c);
    assert!(
        (s.alpha_up.value / 0.006 - 1.0).abs() < 0.1,
        "{:?}",
        s.alpha_up
    );
    assert!(
        (s.alpha_down.value / 0.008 - 1.0).abs() < 0.1,
        "{:?}",
        s.alpha_down
    );
    assert!((s.c2c.value / 0.3 - 1.0).abs() < 0.35, "{:?}", s.c2c);
    assert!(s.c2c.covers(0.3), "{:?}", s.c2c);
    let noise = s.step_noise.unwrap();
    assert!(noise.read_noise, "{noise:?}");
    // Run free against the measured curve, beside the truth.
    let reference = Reference::of(&data, |_| true).unwrap();
    let t = &truth[0];
    let truth_spec = free_run::pulse_device(
        t.g_min,
        t.g_max,
        PulseSpec::SoftBounds {
            alpha_up: 0.006,
            alpha_down: 0.008,
            c2c: 0.3,
        },
        VariabilitySpec::default(),
    );
    let truth_error = free_run::error_of(&truth_spec, &reference).unwrap();
    let error = |fit: &xbar_fit::pulse::PulseFit| {
        let (g_min, g_max, pulse, variability) =
            fit.device_part(PulseModel::SoftBounds, None).unwrap();
        free_run::error_of(
            &free_run::pulse_device(g_min, g_max, pulse, variability),
            &reference,
        )
        .unwrap()
    };
    let (e_before, e_after) = (error(&before), error(&after));
    println!(
        "free run: before {:.4}, after {:.4}, truth {:.4}",
        e_before.mean_relative, e_after.mean_relative, truth_error.mean_relative
    );
    assert!(e_after.mean_relative < 1.05 * truth_error.mean_relative + 0.002);
    assert!(e_before.mean_relative > 2.0 * e_after.mean_relative);
}
