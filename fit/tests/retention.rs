//! Drift and read-noise fits against data generated in the test from the
//! closed forms `G(t) = G₀·(t/t₀)^(−ν)` and `g·(1 + σξ)`.

use rand::SeedableRng;
use rand_distr::{Distribution, Normal};
use rand_xoshiro::Xoshiro256PlusPlus;
use xbar_fit::measurements::Table;
use xbar_fit::pulse::Criterion;
use xbar_fit::read_noise::{fit_read_noise, fit_read_noise_with, ReadNoiseOptions};
use xbar_fit::retention::fit_retention;

const TIMES: [f64; 8] = [20.0, 60.0, 300.0, 3600.0, 1e4, 86400.0, 1e6, 3e7];

/// `devices` devices with ν ~ N(ν̄(g_r), σ_ν) read at TIMES with 1 % noise.
fn retention_csv(
    seed: u64,
    devices: usize,
    nu: impl Fn(f64) -> f64,
    sd: f64,
) -> (String, Vec<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let noise = Normal::new(0.0, 0.01).unwrap();
    let spread = Normal::new(0.0, sd).unwrap();
    let g_max = 25e-6;
    let g0: Vec<f64> = (0..devices)
        .map(|i| g_max * (0.05 + 0.9 * i as f64 / devices as f64))
        .collect();
    let nus: Vec<f64> = g0
        .iter()
        .map(|g| nu((g / g_max).ln()) + spread.sample(&mut rng))
        .collect();
    let mut text = String::from("time_s");
    for i in 0..devices {
        text += &format!(",d{i}");
    }
    text.push('\n');
    for t in TIMES {
        text += &format!("{t}");
        for (g, v) in g0.iter().zip(&nus) {
            let x = g * (t / TIMES[0]).powf(-v) * (1.0 + noise.sample(&mut rng));
            text += &format!(",{x:e}");
        }
        text.push('\n');
    }
    (text, nus)
}

/// Per-device 95 % intervals of ν cover the truth in ≥ 90 % of 20 × 30
/// fits; the mean ν is within 0.005 and the D2D σ within 0.004 of the
/// generator's (0.06, 0.01).
#[test]
fn drift_exponents_are_recovered() {
    let (mut covered, mut n, mut false_slopes) = (0, 0, 0);
    for seed in 0..20 {
        let (text, nus) = retention_csv(seed, 30, |_| 0.06, 0.01);
        let fit =
            fit_retention(&Table::from_csv_text("r.csv", &text, b',').unwrap(), 25e-6).unwrap();
        assert_eq!(fit.t0_s, 20.0);
        for (d, nu) in fit.devices.iter().zip(&nus) {
            covered += usize::from(d.nu.covers(*nu));
            n += 1;
        }
        assert!(
            (fit.nu_mean.mean.value - 0.06).abs() < 0.005,
            "{:?}",
            fit.nu_mean
        );
        assert!(
            (fit.nu_mean.d2d_std - 0.01).abs() < 0.004,
            "{:?}",
            fit.nu_mean
        );
        // No dependence on the conductance was generated: a 95 % test keeps
        // one in about 1 of 20 seeds.
        false_slopes += usize::from(fit.drift.nu_mean.slope != 0.0);
    }
    let rate = covered as f64 / n as f64;
    assert!(rate >= 0.90, "coverage {rate}");
    assert!(false_slopes <= 3, "{false_slopes} of 20");
}

/// The IBM PCM dependence μ_ν = −0.0155·ln g_r + 0.0244 is found and kept.
#[test]
fn drift_dependence_on_conductance_is_recovered() {
    let (text, _) = retention_csv(3, 40, |l| -0.0155 * l + 0.0244, 0.002);
    let fit = fit_retention(&Table::from_csv_text("r.csv", &text, b',').unwrap(), 25e-6).unwrap();
    let s = fit.nu_slope.unwrap();
    assert!(s.covers(-0.0155), "{s:?}");
    assert!((fit.drift.nu_mean.slope + 0.0155).abs() < 0.002);
    assert!((fit.drift.nu_mean.intercept - 0.0244).abs() < 0.003);
}

/// σ = 2 % relative read noise, 50 reads of 20 devices: the pooled
/// estimate is within 5 % and its interval covers 0.02 in ≥ 9 of 10 seeds.
#[test]
fn relative_read_noise_is_recovered() {
    let mut covered = 0;
    for seed in 0..10u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let noise = Normal::new(0.0, 0.02).unwrap();
        let mut text = (0..20)
            .map(|i| format!("d{i}"))
            .collect::<Vec<_>>()
            .join(",")
            + "\n";
        for _ in 0..50 {
            let row: Vec<String> = (0..20)
                .map(|i| {
                    format!(
                        "{:e}",
                        1e-6 * (1.0 + i as f64) * (1.0 + noise.sample(&mut rng))
                    )
                })
                .collect();
            text += &(row.join(",") + "\n");
        }
        let fit = fit_read_noise(&Table::from_csv_text("n.csv", &text, b',').unwrap()).unwrap();
        assert!(
            (fit.sigma.value / 0.02 - 1.0).abs() < 0.05,
            "{:?}",
            fit.sigma
        );
        covered += usize::from(fit.sigma.covers(0.02));
        assert_eq!(fit.chosen, "relative");
        assert!(fit.one_over_f.is_none());
    }
    assert!(covered >= 9, "{covered}");
}

/// PCM 1/f read noise written here from its closed form (Nandakumar et al.
/// 2019; Joshi et al. 2020): `g + g·Q_s(g_r)·√ln((t + t_read)/(2·t_read))·ξ`,
/// `Q_s = q/g_r^p` (IBM: q = 0.0088, p = 0.65, t_read = 250 ns; no clip
/// is active for g_r ≥ 0.05), or, with `one_over_f = false`, relative 2 %
/// noise. 30 devices, g_r log-spaced over 0.05…1 of g_max = 25 µS, bursts
/// of 8 reads at t = 10 µs, 1 ms, 0.1 s, 10 s (relative σ up to 26 %: later
/// reads of the g_r = 0.05 device would go below 0 S), the device drifting as
/// `(t/1 s)^(−0.03)` between bursts (the group means absorb it). Wide
/// table: `time_s`, one column per device.
fn pcm_reads(seed: u64, one_over_f: bool) -> String {
    let (q, p, t_read, g_max) = (0.0088f64, 0.65, 250e-9, 25e-6);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let xi = Normal::new(0.0, 1.0).unwrap();
    let n = 30;
    let g0: Vec<f64> = (0..n)
        .map(|i| g_max * 0.05f64.powf(1.0 - i as f64 / (n - 1) as f64))
        .collect();
    let mut text = String::from("time_s");
    for i in 0..n {
        text += &format!(",d{i}");
    }
    text += "\n";
    for t in [1e-5f64, 1e-3, 0.1, 10.0] {
        for _ in 0..8 {
            text += &format!("{t}");
            for g0 in &g0 {
                let g = g0 * t.powf(-0.03);
                let sd = if one_over_f {
                    g * q * (g / g_max).powf(-p) * ((t + t_read) / (2.0 * t_read)).ln().sqrt()
                } else {
                    0.02 * g
                };
                text += &format!(",{:e}", g + sd * xi.sample(&mut rng));
            }
            text += "\n";
        }
    }
    text
}

/// Recovery of the 1/f law over 200 seeds (g_max given, as the pulse fit
/// gives it): each q_coeff within 20 % and q_exponent within 0.12 (about
/// 4 standard errors), their means over the seeds within 1.5 % and 0.008
/// (about 4 standard errors of the mean), each 95 % interval covering the
/// truth in ≥ 90 % of the seeds (measured: 189 and 186 of 200); the
/// criterion (BIC and AIC) keeps the 1/f model.
#[test]
fn pcm_one_over_f_read_noise_is_recovered() {
    let opts = ReadNoiseOptions {
        g_max_s: Some(25e-6),
        ..ReadNoiseOptions::default()
    };
    let seeds = 200;
    let (mut cov_q, mut cov_p, mut sum_q, mut sum_p) = (0, 0, 0.0, 0.0);
    for seed in 0..seeds {
        let table = Table::from_csv_text("n.csv", &pcm_reads(seed, true), b',').unwrap();
        let fit = fit_read_noise_with(&table, &opts).unwrap();
        assert_eq!((fit.groups, fit.times), (120, 4));
        assert_eq!(fit.chosen, "pcm-1/f", "{}", fit.reason);
        let f = fit.one_over_f.unwrap();
        assert_eq!(f.library_defaults, ["g_r_floor", "q_max", "t_read_s"]);
        assert_eq!(f.t_read_s, 250e-9);
        let (q, p) = (f.q_coeff, f.q_exponent);
        assert!((q.value / 0.0088 - 1.0).abs() < 0.2, "seed {seed}: {q:?}");
        assert!((p.value - 0.65).abs() < 0.12, "seed {seed}: {p:?}");
        assert!(f.score.bic < fit.relative.bic && f.score.aic < fit.relative.aic);
        cov_q += usize::from(q.covers(0.0088));
        cov_p += usize::from(p.covers(0.65));
        sum_q += q.value;
        sum_p += p.value;
    }
    // A q_max below Q_s(0.05) = 0.0617 is kept as given, and the report
    // says that the clip acts where the fit did not model it.
    let clipped = ReadNoiseOptions {
        q_max: Some(0.05),
        ..opts
    };
    let table = Table::from_csv_text("n.csv", &pcm_reads(0, true), b',').unwrap();
    let fit = fit_read_noise_with(&table, &clipped).unwrap();
    assert!(
        fit.reason.contains("q_max = 0.05 acts there"),
        "{}",
        fit.reason
    );
    assert_eq!(
        fit.one_over_f.unwrap().library_defaults,
        ["g_r_floor", "t_read_s"]
    );
    let n = seeds as f64;
    assert!((sum_q / n / 0.0088 - 1.0).abs() < 0.015, "{}", sum_q / n);
    assert!((sum_p / n - 0.65).abs() < 0.008, "{}", sum_p / n);
    assert!(
        cov_q >= 54 && cov_p >= 54,
        "covered q {cov_q}, p {cov_p} of 60"
    );
}

/// On relative 2 % data at the same times and conductances the criterion
/// keeps the relative model, by BIC and by AIC, with σ within 5 %; with
/// the devices within a factor 2 the 1/f model is not fitted.
#[test]
fn relative_read_noise_is_kept_on_relative_data() {
    for seed in 0..10 {
        let table = Table::from_csv_text("n.csv", &pcm_reads(seed, false), b',').unwrap();
        for criterion in [Criterion::Bic, Criterion::Aic] {
            let opts = ReadNoiseOptions {
                criterion,
                ..ReadNoiseOptions::default()
            };
            let fit = fit_read_noise_with(&table, &opts).unwrap();
            assert_eq!(fit.chosen, "relative", "{}", fit.reason);
            assert!(fit.one_over_f.is_some());
            assert!(
                (fit.sigma.value / 0.02 - 1.0).abs() < 0.05,
                "{:?}",
                fit.sigma
            );
        }
    }
    let narrow =
        "time_s,a,b\n1,1.0e-6,1.5e-6\n1,1.02e-6,1.47e-6\n10,0.99e-6,1.52e-6\n10,1.01e-6,1.49e-6\n";
    let fit = fit_read_noise(&Table::from_csv_text("n.csv", narrow, b',').unwrap()).unwrap();
    assert_eq!(fit.chosen, "relative");
    assert!(fit.reason.contains("factor 2"), "{}", fit.reason);
    // Each device's σ pools its two bursts about their own means: for a,
    // SS/m² = 2·(0.01/1.01)² + 2·(0.01/1.0)², over 2 degrees of freedom.
    let want = ((2.0 * (0.01f64 / 1.01).powi(2) + 2.0 * (0.01f64 / 1.0).powi(2)) / 2.0).sqrt();
    assert!(
        (fit.devices[0].sigma.value - want).abs() < 1e-12,
        "{:?}",
        fit.devices[0]
    );
}

/// A time_s at or below the read duration is refused at its cell.
#[test]
fn read_times_must_follow_programming() {
    let text = "time_s,a\n1,1.0e-6\n0,1.01e-6\n";
    let err = fit_read_noise(&Table::from_csv_text("n.csv", text, b',').unwrap()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("n.csv:3") && msg.contains("time_s"), "{msg}");
}

/// IBM PCM programming noise, σ = (0.26348 + 1.9650·g_r − 1.1731·g_r²) µS
/// for g_max = 25 µS (Nandakumar et al. 2019), 400 writes at each of 12
/// targets, drawn here: each coefficient's interval covers the published
/// value in ≥ 90 % of the 120 (coefficient, seed) pairs of 40 seeds and σ(g_r) is within 8 % on the grid (one
/// target's σ estimate alone has a standard error of 3.5 %).
#[test]
fn programming_noise_polynomial_is_recovered() {
    use xbar_fit::programming::fit_programming;
    let c = [0.26348e-6, 1.9650e-6, -1.1731e-6];
    let sigma = |gr: f64| c[0] + c[1] * gr + c[2] * gr * gr;
    let mut covered = 0;
    for seed in 0..40u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut text = String::from("device,target_S,conductance_S\n");
        for level in 1..=12 {
            let gr = f64::from(level) / 12.0;
            let n = Normal::new(0.0, sigma(gr)).unwrap();
            for k in 0..400 {
                let t = 25e-6 * gr;
                text += &format!("d{k},{t:e},{:e}\n", t + n.sample(&mut rng));
            }
        }
        let fit =
            fit_programming(&Table::from_csv_text("p.csv", &text, b',').unwrap(), 25e-6).unwrap();
        assert_eq!(fit.sigma_poly.len(), 3);
        covered += fit
            .sigma_poly
            .iter()
            .zip(c)
            .filter(|(e, v)| e.covers(*v))
            .count();
        for k in 1..=10 {
            let gr = f64::from(k) / 10.0;
            let ours: f64 = fit
                .programming
                .sigma_poly
                .iter()
                .enumerate()
                .map(|(p, c)| c * gr.powi(p as i32))
                .sum();
            assert!((ours / sigma(gr) - 1.0).abs() < 0.08, "g_r {gr}: {ours:e}");
        }
    }
    assert!(covered >= 108, "{covered} of 120");
}

/// `I = (g/a)·sinh(aV)` with a = 3.5 /V, g = 20 µS, sweeps of ±0.6 V in 41
/// points with 0.5 % current noise: a's interval covers 3.5 in ≥ 90 % of
/// 80 seeds, each estimate within 5 %.
#[test]
fn sinh_iv_is_recovered() {
    use xbar_fit::iv::fit_iv;
    let mut covered = 0;
    for seed in 0..80u64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let noise = Normal::new(0.0, 0.005).unwrap();
        let mut text = String::from("voltage_V,current_A\n");
        for k in -20..=20 {
            let v = 0.03 * f64::from(k);
            let i = 20e-6 / 3.5 * (3.5 * v).sinh() * (1.0 + noise.sample(&mut rng));
            text += &format!("{v},{i:e}\n");
        }
        let fit = fit_iv(&Table::from_csv_text("iv.csv", &text, b',').unwrap()).unwrap();
        let a = fit.devices[0].a_per_volt;
        assert!((a.value / 3.5 - 1.0).abs() < 0.05, "{a:?}");
        covered += usize::from(a.covers(3.5));
    }
    assert!(covered >= 72, "{covered} of 80");
}

/// The long layout (`device`, `time_s`, `conductance_S`) of the same reads
/// gives the same fit as the wide one.
#[test]
fn long_read_noise_layout_matches_wide() {
    let wide = pcm_reads(7, true);
    let mut long = String::from("device,time_s,conductance_S\n");
    let mut lines = wide.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        for (name, g) in header[1..].iter().zip(&cells[1..]) {
            long += &format!("{name},{},{g}\n", cells[0]);
        }
    }
    let fit =
        |text: &str| fit_read_noise(&Table::from_csv_text("n.csv", text, b',').unwrap()).unwrap();
    let (w, l) = (fit(&wide), fit(&long));
    assert_eq!(w.read_noise, l.read_noise);
    assert_eq!((l.groups, l.times, l.chosen.as_str()), (120, 4, "pcm-1/f"));
}

/// A rising trace (ν = −0.03 on every device) is written as ν = 0 and said
/// so; the written drift then misses the median drift (by about
/// `e^(0.03·ln(1.5e6)) − 1` ≈ 50 % at the last read, about 20 % RMS) and
/// that is said too. A clean decaying population says nothing, and its
/// written drift follows the median within 1 %.
#[test]
fn rising_traces_and_poor_drift_are_warned() {
    let (text, _) = retention_csv(4, 10, |_| -0.03, 0.0);
    let fit = fit_retention(&Table::from_csv_text("r.csv", &text, b',').unwrap(), 25e-6).unwrap();
    // Held at 0 (by the clip at 0 where a slope against g_r is kept).
    for g_r in [0.05, 0.3, 1.0] {
        assert_eq!(fit.drift.nu_mean.at(g_r), 0.0);
    }
    let w = fit.warnings.join("\n");
    assert!(
        w.contains("the conductance rises with time (mean ν = -0.030"),
        "{w}"
    );
    assert!(
        w.contains("the device file holds ν = 0 although the interval excludes 0"),
        "{w}"
    );
    assert!(
        (0.15..0.35).contains(&fit.written_error_relative),
        "{}",
        fit.written_error_relative
    );
    assert!(
        w.contains("the device file's drift misses the devices' median drift by"),
        "{w}"
    );
    let report = xbar_fit::report::render(&[fit.report("r.csv")]);
    assert!(
        report.contains("warning: the conductance rises with time"),
        "{report}"
    );
    let (text, _) = retention_csv(4, 10, |_| 0.06, 0.0);
    let fit = fit_retention(&Table::from_csv_text("r.csv", &text, b',').unwrap(), 25e-6).unwrap();
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    assert!(
        fit.written_error_relative < 0.01,
        "{}",
        fit.written_error_relative
    );
}

/// A trace that is not a power law (flat, then a step down by half at
/// 1e4 s) has R² well below 0.9 and is named.
#[test]
fn a_trace_that_is_not_a_power_law_is_named() {
    let mut text = String::from("time_s,good,step\n");
    for t in TIMES {
        let step = if t < 1e4 { 10e-6 } else { 5e-6 };
        text += &format!("{t},{:e},{step:e}\n", 10e-6 * (t / 20.0).powf(-0.05));
    }
    let fit = fit_retention(&Table::from_csv_text("r.csv", &text, b',').unwrap(), 25e-6).unwrap();
    assert!(fit.devices[1].r2 < 0.9, "{:?}", fit.devices[1]);
    let w = fit.warnings.join("\n");
    assert!(
        w.contains("1 of 2 devices follow the power law poorly"),
        "{w}"
    );
    assert!(w.contains("step (R² "), "{w}");
    assert!(!w.contains("good (R²"), "{w}");
}

/// A sweep that stays ohmic (a = 0.5 1/V over ±0.05 V: the cubic term is
/// 1e-4 of the current, below the 0.5 % noise) leaves a unidentified, and
/// the report says so; the nonlinear sweep of `sinh_iv_is_recovered` does
/// not, and its written a runs its sweep within 1 % of the current.
#[test]
fn an_unidentified_sinh_parameter_is_warned() {
    use xbar_fit::iv::fit_iv;
    let sweep = |a: f64, v_max: f64, seed: u64| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let noise = Normal::new(0.0, 0.005).unwrap();
        let mut text = String::from("voltage_V,current_A\n");
        for k in -20..=20 {
            let v = v_max * f64::from(k) / 20.0;
            let i = 20e-6 / a * (a * v).sinh() * (1.0 + noise.sample(&mut rng));
            text += &format!("{v},{i:e}\n");
        }
        fit_iv(&Table::from_csv_text("iv.csv", &text, b',').unwrap())
    };
    match sweep(0.5, 0.05, 1) {
        Ok(fit) => {
            let w = fit.warnings.join("\n");
            assert!(w.contains("a is not identified on 1 of 1 devices"), "{w}");
            let report = xbar_fit::report::render(&[fit.report("iv.csv")]);
            assert!(report.contains("warning: a is not identified"), "{report}");
        }
        // Refusing is as honest as warning.
        Err(e) => assert!(e.to_string().contains("does not converge"), "{e}"),
    }
    let fit = sweep(3.5, 0.6, 2).unwrap();
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    assert!(
        fit.devices[0].written_rmse_relative < 0.01,
        "{:?}",
        fit.devices[0]
    );
}

/// Three devices with read noise 1 % and one with 6 %: the one relative σ
/// written describes neither, and the report names the devices; 20 devices
/// at one σ are described (measured over model within 15 %).
#[test]
fn read_noise_the_model_does_not_describe_is_warned() {
    let reads = |sigmas: &[f64], seed: u64| {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut text = (0..sigmas.len())
            .map(|i| format!("d{i}"))
            .collect::<Vec<_>>()
            .join(",")
            + "\n";
        for _ in 0..100 {
            let row: Vec<String> = sigmas
                .iter()
                .map(|s| {
                    format!(
                        "{:e}",
                        5e-6 * (1.0 + s * Normal::new(0.0, 1.0).unwrap().sample(&mut rng))
                    )
                })
                .collect();
            text += &(row.join(",") + "\n");
        }
        fit_read_noise(&Table::from_csv_text("n.csv", &text, b',').unwrap()).unwrap()
    };
    let fit = reads(&[0.01, 0.01, 0.01, 0.06], 3);
    let w = fit.warnings.join("\n");
    assert!(
        w.contains("the kept relative model does not describe 4 of 4 devices"),
        "{w}"
    );
    let fit = reads(&[0.02; 20], 4);
    assert!(fit.warnings.is_empty(), "{:?}", fit.warnings);
    for d in &fit.devices {
        let r = d.written_ratio.unwrap().value;
        assert!((r - 1.0).abs() < 0.15, "{}: {r}", d.name);
    }
}
