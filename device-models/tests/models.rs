//! Each model against its source equations, with statistical tolerances that
//! a real mistake (wrong σ formula, wrong exponent, off-by-one in levels)
//! would break. Sample sizes are 10⁵ devices unless stated; tolerances are
//! given as multiples of the estimator's own standard error.

use nalgebra::DMatrix;
use xbar_devices::drift::{DriftSpec, LogLinear};
use xbar_devices::programming::{ProgrammingSpec, WriteVerify};
use xbar_devices::pulse::{ExponentialCurve, PulseSpec};
use xbar_devices::read_noise::ReadNoiseSpec;
use xbar_devices::{library, DeviceArray, DeviceError, DeviceSpec, Fault, FaultSpec};

const N: usize = 100_000;

fn mean_std(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let v: Vec<f64> = values.collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The IBM PCM preset stripped down to the named effects.
fn pcm_only(programming: bool, drift: bool, read_noise: bool) -> DeviceSpec {
    let mut spec = library::preset("ibm-pcm").unwrap();
    if !programming {
        spec.programming = None;
    }
    if !drift {
        spec.drift = None;
    }
    if !read_noise {
        spec.read_noise = None;
    }
    spec
}

fn column(value: f64) -> DMatrix<f64> {
    DMatrix::from_element(N, 1, value)
}

#[test]
fn pcm_programming_noise_std_matches_the_polynomial() {
    let spec = pcm_only(true, false, false);
    for g_r in [0.2, 0.5, 0.9] {
        let target = g_r * 25e-6;
        let mut array = DeviceArray::new(&spec, N, 1, 11).unwrap();
        array.program(&column(target)).unwrap();
        let (mean, std) = mean_std(array.conductances().iter().copied());
        let sigma = (0.26348 + 1.9650 * g_r - 1.1731 * g_r * g_r) * 1e-6;
        assert!(
            (std / sigma - 1.0).abs() < 0.02,
            "g_r {g_r}: std {std:e} vs σ {sigma:e}"
        );
        let standard_error = sigma / (N as f64).sqrt();
        assert!(
            (mean - target).abs() < 5.0 * standard_error,
            "g_r {g_r}: mean {mean:e}"
        );
    }
}

#[test]
fn relative_programming_noise_is_a_first_order_polynomial() {
    let mut spec = library::preset("ideal").unwrap();
    let g_max = spec.g_max.siemens();
    spec.programming = Some(ProgrammingSpec {
        levels: None,
        sigma_poly: vec![0.0, 0.03 * g_max], // σ = 3 % of the target
        write_verify: None,
    });
    let target = 4e-6;
    let mut array = DeviceArray::new(&spec, N, 1, 5).unwrap();
    array.program(&column(target)).unwrap();
    let (_, std) = mean_std(array.conductances().iter().copied());
    assert!((std / (0.03 * target) - 1.0).abs() < 0.02, "std {std:e}");
}

#[test]
fn write_verify_leaves_p_to_the_n_outside_tolerance() {
    let mut spec = pcm_only(true, false, false);
    let g_max = 25e-6;
    let target = 0.5 * g_max;
    let sigma = (0.26348 + 1.9650 * 0.5 - 1.1731 * 0.25) * 1e-6;
    let tolerance = sigma / g_max; // accept |error| ≤ 1σ
    for iterations in [1u32, 3] {
        spec.programming.as_mut().unwrap().write_verify = Some(WriteVerify {
            max_iterations: iterations,
            tolerance,
        });
        let mut array = DeviceArray::new(&spec, N, 1, 3).unwrap();
        array.program(&column(target)).unwrap();
        let outside = array
            .conductances()
            .iter()
            .filter(|g| (*g - target).abs() > sigma)
            .count() as f64
            / N as f64;
        // One attempt misses with p = P(|ξ| > 1) = erfc(1/√2).
        let p = libm::erfc(1.0 / std::f64::consts::SQRT_2);
        let expected = p.powi(iterations as i32);
        let binomial = (expected * (1.0 - expected) / N as f64).sqrt();
        assert!(
            (outside - expected).abs() < 5.0 * binomial,
            "{iterations} attempts: {outside} outside, expected {expected}"
        );
    }
}

#[test]
fn finite_levels_round_to_the_nearest_level() {
    let spec = library::preset("ag-a-si").unwrap(); // 97 levels, no noise
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    let step = (g_max - g_min) / 96.0;
    let targets = DMatrix::from_fn(1, 5, |_, j| {
        g_min + step * (10.0 + [0.2, 0.49, 0.51, 0.8, 0.0][j])
    });
    let mut array = DeviceArray::new(&spec, 1, 5, 0).unwrap();
    array.program(&targets).unwrap();
    let expected = [10.0, 10.0, 11.0, 11.0, 10.0];
    for (g, k) in array.conductances().iter().zip(expected) {
        assert!((g - (g_min + k * step)).abs() < 1e-9 * g_max, "{g:e}");
    }
    // Out-of-range targets clamp to the ends.
    let mut array = DeviceArray::new(&spec, 1, 2, 0).unwrap();
    array
        .program(&DMatrix::from_row_slice(1, 2, &[0.0, 1.0]))
        .unwrap();
    assert_eq!(array.conductances()[0], g_min);
    assert!((array.conductances()[1] - g_max).abs() < 1e-20);
}

#[test]
fn mean_log_conductance_follows_the_power_law() {
    // No programming noise: every device starts at exactly G₀, so
    // E[ln G(t)] = ln G₀ − ν̄·ln(t/t₀) with ν̄ the folded-normal mean.
    let spec = pcm_only(false, true, false);
    let drift = spec.drift.clone().unwrap();
    let t0 = drift.t0_s;
    for g_r in [0.05, 0.5] {
        let g0 = g_r * 25e-6;
        let mut array = DeviceArray::new(&spec, N, 1, 99).unwrap();
        array.program(&column(g0)).unwrap();
        let nu_bar = drift.mean_nu(g_r);
        let nu_sd = drift.nu_std.at(g_r);
        for t in [3600.0, 86_400.0, 3.15576e7] {
            let g_t = array.drift_to(t).unwrap();
            let (mean_log, _) = mean_std(g_t.iter().map(|g| g.ln()));
            let expected = g0.ln() - nu_bar * (t / t0).ln();
            let standard_error = nu_sd * (t / t0).ln() / (N as f64).sqrt();
            assert!(
                (mean_log - expected).abs() < 5.0 * standard_error,
                "g_r {g_r}, t {t}: {mean_log} vs {expected} (se {standard_error:e})"
            );
        }
    }
}

#[test]
fn drift_exponents_are_folded_normal() {
    // μ = 0.02, σ = 0.03: a third of the normal draws are negative, so the
    // mean of |N(μ, σ)| (0.0291) is far from μ; using μ would fail by > 10 SE.
    let mut spec = library::preset("ideal").unwrap();
    spec.drift = Some(DriftSpec {
        t0_s: 1.0,
        nu_mean: LogLinear::constant(0.02),
        nu_std: LogLinear::constant(0.03),
    });
    let drift = spec.drift.clone().unwrap();
    let mut array = DeviceArray::new(&spec, N, 1, 13).unwrap();
    array.program(&column(5e-6)).unwrap();
    let nu = array.drift_exponents();
    assert!(nu.iter().all(|v| *v >= 0.0));
    let (mean, std) = mean_std(nu.iter().copied());
    let standard_error = std / (N as f64).sqrt();
    assert!((mean - drift.mean_nu(1.0)).abs() < 5.0 * standard_error);
    assert!((drift.mean_nu(1.0) - 0.02) > 10.0 * standard_error);
    let t = 1e6;
    let (mean_log, _) = mean_std(array.drift_to(t).unwrap().iter().map(|g| g.ln()));
    let expected = 5e-6f64.ln() - drift.mean_nu(1.0) * t.ln();
    assert!((mean_log - expected).abs() < 5.0 * standard_error * t.ln());
}

#[test]
fn constant_drift_exponent_is_exact() {
    let mut spec = library::preset("ideal").unwrap();
    spec.drift = Some(DriftSpec {
        t0_s: 1.0,
        nu_mean: LogLinear::constant(0.1),
        nu_std: LogLinear::constant(0.0),
    });
    let mut array = DeviceArray::new(&spec, 3, 3, 0).unwrap();
    array.program(&DMatrix::from_element(3, 3, 5e-6)).unwrap();
    let g = array.drift_to(1e4).unwrap();
    for value in g.iter() {
        assert!((value - 5e-6 * 1e4f64.powf(-0.1)).abs() < 1e-18);
    }
    assert_eq!(array.drift_to(0.5).unwrap(), *array.conductances());
}

#[test]
fn pcm_read_noise_std_matches_the_one_over_f_formula() {
    let spec = pcm_only(false, false, true);
    for (g_r, t) in [(0.5, 3600.0), (0.1, 86_400.0)] {
        let g = g_r * 25e-6;
        let mut array = DeviceArray::new(&spec, N, 1, 21).unwrap();
        array.program(&column(g)).unwrap();
        let read = array.read(t).unwrap();
        let (mean, std) = mean_std(read.iter().copied());
        let q_s = (0.0088 / g_r.powf(0.65)).min(0.2);
        let sigma = g * q_s * ((t + 250e-9) / (2.0 * 250e-9)).ln().sqrt();
        assert!(
            (std / sigma - 1.0).abs() < 0.02,
            "g_r {g_r}: {std:e} vs {sigma:e}"
        );
        assert!((mean - g).abs() < 5.0 * sigma / (N as f64).sqrt());
        // A second read draws fresh noise.
        assert_ne!(array.read(t).unwrap(), read);
    }
}

#[test]
fn relative_read_noise_std_is_sigma_times_g() {
    let mut spec = library::preset("ideal").unwrap();
    spec.read_noise = Some(ReadNoiseSpec::Relative { sigma: 0.05 });
    let mut array = DeviceArray::new(&spec, N, 1, 8).unwrap();
    array.program(&column(6e-6)).unwrap();
    let (_, std) = mean_std(array.read(0.0).unwrap().iter().copied());
    assert!((std / (0.05 * 6e-6) - 1.0).abs() < 0.02);
}

#[test]
fn fault_rates_are_binomial_and_the_pattern_is_fixed_by_the_seed() {
    let mut spec = library::preset("taox-hfox").unwrap();
    spec.faults = FaultSpec {
        stuck_on: 0.01,
        stuck_off: 0.03,
    };
    let (rows, cols) = (400, 250);
    let n = (rows * cols) as f64;
    let mut array = DeviceArray::new(&spec, rows, cols, 77).unwrap();
    let (on, off) = array.fault_counts();
    for (count, p) in [(on, 0.01), (off, 0.03)] {
        let sd = (n * p * (1.0 - p)).sqrt();
        assert!(
            (count as f64 - n * p).abs() < 5.0 * sd,
            "{count} vs {}",
            n * p
        );
    }
    let middle = 0.5 * (spec.g_min.siemens() + spec.g_max.siemens());
    array
        .program(&DMatrix::from_element(rows, cols, middle))
        .unwrap();
    for i in (0..rows).step_by(7) {
        for j in 0..cols {
            let g = array.conductances()[(i, j)];
            match array.fault(i, j) {
                Fault::StuckOn => assert_eq!(g, spec.g_max.siemens()),
                Fault::StuckOff => assert_eq!(g, spec.g_min.siemens()),
                Fault::Healthy => {}
            }
        }
    }
    let same = DeviceArray::new(&spec, rows, cols, 77).unwrap();
    let other = DeviceArray::new(&spec, rows, cols, 78).unwrap();
    let pattern = |a: &DeviceArray| -> Vec<Fault> {
        (0..cols)
            .flat_map(|j| (0..rows).map(move |i| (i, j)))
            .map(|(i, j)| a.fault(i, j))
            .collect()
    };
    assert_eq!(pattern(&same), pattern(&array));
    assert_ne!(pattern(&other), pattern(&array));
}

#[test]
fn single_pulses_walk_the_neurosim_curves_exactly() {
    let mut spec = library::preset("ag-a-si").unwrap();
    let Some(PulseSpec::Exponential { c2c, .. }) = spec.pulse.as_mut() else {
        panic!("ag-a-si has an exponential pulse model");
    };
    *c2c = 0.0;
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    let ltp = ExponentialCurve::from_nl(g_min, g_max, 97, 2.40);
    let ltd = ExponentialCurve::from_nl(g_min, g_max, 97, -4.88);
    let mut array = DeviceArray::new(&spec, 1, 1, 0).unwrap();
    let up = DMatrix::from_element(1, 1, 1);
    for p in 1..=97 {
        array.apply_pulses(&up).unwrap();
        let g = array.conductances()[0];
        assert!(
            (g - ltp.conductance(f64::from(p))).abs() < 1e-12 * g_max,
            "LTP pulse {p}"
        );
    }
    assert!((array.conductances()[0] - g_max).abs() < 1e-12 * g_max);
    // LTD from G_max walks the mirror curve down: G_LTD(P_max − p).
    let down = DMatrix::from_element(1, 1, -1);
    for p in 1..=97 {
        array.apply_pulses(&down).unwrap();
        let g = array.conductances()[0];
        let x = 97.0 - f64::from(p);
        assert!(
            (g - ltd.conductance(x)).abs() < 1e-12 * g_max,
            "LTD pulse {p}"
        );
    }
    assert!((array.conductances()[0] - g_min).abs() < 1e-12 * g_max);
    // The first LTD step from G_max is larger than the last (saturating).
    let first = g_max - ltd.conductance(96.0);
    let last = ltd.conductance(1.0) - g_min;
    assert!(first > 3.0 * last);
}

#[test]
fn pulse_c2c_std_grows_with_the_square_root_of_the_pulse_count() {
    let spec = library::preset("alox-hfo2").unwrap(); // c2c 5 %, 40 pulses
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    let ltp = ExponentialCurve::from_nl(g_min, g_max, 40, 1.94);
    for n in [1, 4] {
        let mut array = DeviceArray::new(&spec, N, 1, 4).unwrap();
        array
            .apply_pulses(&DMatrix::from_element(N, 1, 10))
            .unwrap();
        // All devices are noisy now; compare each step with its own curve.
        let before = array.conductances().clone();
        array.apply_pulses(&DMatrix::from_element(N, 1, n)).unwrap();
        let residual = array
            .conductances()
            .iter()
            .zip(before.iter())
            .map(|(after, g)| after - ltp.conductance(ltp.pulse_number(*g) + f64::from(n)))
            .filter(|r| r.is_finite());
        // Devices near the bounds are clamped; 10 + n pulses of 40 with
        // σ ≈ 5 % keep fewer than 1e-4 of them there.
        let (mean, std) = mean_std(residual);
        let sigma = 0.05 * (g_max - g_min) * f64::from(n).sqrt();
        assert!(
            (std / sigma - 1.0).abs() < 0.02,
            "n {n}: {std:e} vs {sigma:e}"
        );
        assert!(mean.abs() < 5.0 * sigma / (N as f64).sqrt());
    }
}

#[test]
fn soft_bounds_steps_are_proportional_to_the_distance_to_the_bound() {
    let mut spec = library::preset("ideal").unwrap();
    spec.pulse = Some(PulseSpec::SoftBounds {
        alpha_up: 0.01,
        alpha_down: 0.02,
        c2c: 0.3,
    });
    let (g_min, g_max) = (1e-6, 10e-6);
    let mut array = DeviceArray::new(&spec, N, 1, 2).unwrap();
    array.program(&column(4e-6)).unwrap();
    array.apply_pulses(&DMatrix::from_element(N, 1, 1)).unwrap();
    let (mean, std) = mean_std(array.conductances().iter().map(|g| g - 4e-6));
    let step = 0.01 * (g_max - 4e-6);
    assert!((mean - step).abs() < 5.0 * 0.3 * step / (N as f64).sqrt());
    assert!((std / (0.3 * step) - 1.0).abs() < 0.02);
    // Without noise, many pulses approach the bound geometrically.
    spec.pulse = Some(PulseSpec::SoftBounds {
        alpha_up: 0.01,
        alpha_down: 0.02,
        c2c: 0.0,
    });
    let mut array = DeviceArray::new(&spec, 1, 1, 0).unwrap();
    array.program(&DMatrix::from_element(1, 1, 4e-6)).unwrap();
    array
        .apply_pulses(&DMatrix::from_element(1, 1, -50))
        .unwrap();
    let expected = g_min + (4e-6 - g_min) * 0.98f64.powi(50);
    assert!((array.conductances()[0] - expected).abs() < 1e-18);
}

#[test]
fn device_to_device_bounds_have_the_requested_spread() {
    let mut spec = library::preset("epiram").unwrap();
    spec.variability.g_max = 0.1;
    spec.variability.nl = 0.5;
    let array = DeviceArray::new(&spec, N, 1, 6).unwrap();
    let g_max = spec.g_max.siemens();
    let (mean, std) = mean_std((0..N).map(|i| array.bounds(i, 0).1 / g_max));
    assert!((mean - 1.0).abs() < 5.0 * 0.1 / (N as f64).sqrt());
    assert!((std / 0.1 - 1.0).abs() < 0.02);
    // Every device keeps g_min < g_max.
    assert!((0..N).all(|i| {
        let (lo, hi) = array.bounds(i, 0);
        lo < hi
    }));
}

#[test]
fn bad_inputs_are_errors_not_nans() {
    let spec = library::preset("ibm-pcm").unwrap();
    assert!(matches!(
        DeviceArray::new(&spec, 0, 3, 0),
        Err(DeviceError::EmptyArray { .. })
    ));
    let mut array = DeviceArray::new(&spec, 2, 2, 0).unwrap();
    assert!(matches!(
        array.program(&DMatrix::zeros(2, 3)),
        Err(DeviceError::Shape { .. })
    ));
    let mut bad = DMatrix::from_element(2, 2, 1e-6);
    bad[(1, 0)] = f64::NAN;
    assert!(matches!(
        array.program(&bad),
        Err(DeviceError::BadTarget { row: 1, col: 0, value }) if value.is_nan()
    ));
    bad[(1, 0)] = -1e-6;
    assert!(matches!(
        array.program(&bad),
        Err(DeviceError::BadTarget { row: 1, col: 0, .. })
    ));
    assert!(matches!(array.read(-1.0), Err(DeviceError::BadTime(_))));
    assert!(matches!(
        array.drift_to(f64::INFINITY),
        Err(DeviceError::BadTime(_))
    ));
    assert!(matches!(
        array.apply_pulses(&DMatrix::zeros(2, 2)),
        Err(DeviceError::NoPulseModel(_))
    ));
    let mut invalid = spec.clone();
    invalid.g_min = invalid.g_max;
    assert_eq!(
        DeviceArray::new(&invalid, 1, 1, 0).unwrap_err().to_string(),
        "invalid device: field `g_max`: expected g_max > g_min, found g_min = 2.5e-5 S ≥ g_max = 2.5e-5 S"
    );
}

#[test]
fn global_drift_compensation_restores_the_summed_conductance() {
    // Without read noise the factor is exactly Σ G(t₀) / Σ G(t).
    let spec = pcm_only(true, true, false);
    let targets = DMatrix::from_fn(64, 64, |i, j| 25e-6 * ((i * 64 + j) % 97) as f64 / 96.0);
    let mut array = DeviceArray::new(&spec, 64, 64, 3).unwrap();
    array.program(&targets).unwrap();
    let year = 3.15576e7;
    let factor = array.drift_compensation_factor(year).unwrap();
    let drifted = array.drift_to(year).unwrap();
    let expected = array.conductances().sum() / drifted.sum();
    assert!((factor / expected - 1.0).abs() < 1e-12);
    assert!(
        factor > 1.5,
        "a year of PCM drift loses over a third: {factor}"
    );
    // With read noise the factor is itself noisy but close, and fixed.
    let spec = library::preset("ibm-pcm").unwrap();
    let mut array = DeviceArray::new(&spec, 64, 64, 3).unwrap();
    array.program(&targets).unwrap();
    let noisy = array.drift_compensation_factor(year).unwrap();
    assert!((noisy / factor - 1.0).abs() < 0.01, "{noisy} vs {factor}");
    assert_eq!(noisy, array.drift_compensation_factor(year).unwrap());
    // No drift: nothing to compensate.
    let ideal = DeviceArray::new(&library::preset("ideal").unwrap(), 4, 4, 0).unwrap();
    assert_eq!(ideal.drift_compensation_factor(year).unwrap(), 1.0);
}

/// Closed-form NeuroSim curves of Ag:a-Si written here from the manual
/// (A from NeuroSim's table: 0.499181 and 0.200303 of P_max = 97), not
/// through the crate: `(G_LTP(P), P_LTP(g), G_LTD(P), P_LTD(g))`.
#[allow(clippy::type_complexity)]
fn manual_curves(
    g_min: f64,
    g_max: f64,
) -> (
    impl Fn(f64) -> f64,
    impl Fn(f64) -> f64,
    impl Fn(f64) -> f64,
    impl Fn(f64) -> f64,
) {
    let p_max: f64 = 97.0;
    let (a_p, a_d) = (0.499181 * p_max, 0.200303 * p_max);
    let b_p = (g_max - g_min) / (1.0 - (-p_max / a_p).exp());
    let b_d = (g_max - g_min) / (1.0 - (-p_max / a_d).exp());
    let g_ltp = move |p: f64| b_p * (1.0 - (-p.clamp(0.0, p_max) / a_p).exp()) + g_min;
    let p_ltp = move |g: f64| -a_p * (1.0 - (g - g_min) / b_p).ln();
    let g_ltd = move |p: f64| -b_d * (1.0 - ((p.clamp(0.0, p_max) - p_max) / a_d).exp()) + g_max;
    let p_ltd = move |g: f64| p_max + a_d * (1.0 - (g_max - g) / b_d).ln();
    (g_ltp, p_ltp, g_ltd, p_ltd)
}

/// The worst distance (relative to the range) between single pulses on a
/// table of `bins` bins built from the NeuroSim step map (the step of one
/// pulse at each bin centre, from the manual's closed forms) and the
/// closed-form curves, over 97 LTP then 97 LTD pulses.
fn table_walk_error(bins: usize) -> (f64, f64) {
    use xbar_devices::pulse::{MeasuredCurve, StepTable};
    let mut spec = library::preset("ag-a-si").unwrap();
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    let range = g_max - g_min;
    let (g_ltp, p_ltp, g_ltd, p_ltd) = manual_curves(g_min, g_max);
    let edges: Vec<f64> = (0..=bins)
        .map(|i| g_min + range * i as f64 / bins as f64)
        .map(|g: f64| g.min(g_max))
        .collect();
    let centres: Vec<f64> = edges.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect();
    let table = |dg: Vec<f64>| StepTable {
        edges_s: edges.clone(),
        sigma_s: vec![0.0; dg.len()],
        dg_s: dg,
    };
    let curve = MeasuredCurve {
        ltp: table(centres.iter().map(|&g| g_ltp(p_ltp(g) + 1.0) - g).collect()),
        ltd: table(centres.iter().map(|&g| g_ltd(p_ltd(g) - 1.0) - g).collect()),
        turn_ltp: None,
        turn_ltd: None,
    };
    spec.pulse = Some(PulseSpec::Measured(Box::new(curve)));
    spec.validate().unwrap();
    let mut array = DeviceArray::new(&spec, 1, 1, 0).unwrap();
    let (mut worst_ltp, mut worst_ltd) = (0.0f64, 0.0f64);
    for p in 1..=97 {
        array.apply_pulses(&DMatrix::from_element(1, 1, 1)).unwrap();
        let err = (array.conductances()[0] - g_ltp(f64::from(p))).abs() / range;
        worst_ltp = worst_ltp.max(err);
    }
    for p in 1..=97 {
        array
            .apply_pulses(&DMatrix::from_element(1, 1, -1))
            .unwrap();
        let err = (array.conductances()[0] - g_ltd(97.0 - f64::from(p))).abs() / range;
        worst_ltd = worst_ltd.max(err);
    }
    let (up, down) = spec.full_sweep_pulses().unwrap();
    assert!(
        (60..=97).contains(&up) && (30..=97).contains(&down),
        "{up}/{down}"
    );
    (worst_ltp, worst_ltd)
}

/// A measured-curve table of the NeuroSim step map walks the closed-form
/// curves of Ag:a-Si (NL 2.40/−4.88): the step map is linear in g, so the
/// interpolation between centres is exact and the error comes from the
/// half bins at each end, where the step is held at its outermost centre's
/// value (≈ slope·w/2 per pulse: 0.05 × 0.5 % of the range on the steep
/// LTD side), and from the kink where the closed form stops at P_max. At
/// 100 bins every pulse is within 1e-3 of the range, at 400 bins within
/// 5e-4 (measured: 7.4e-4 and 3.9e-4).
#[test]
fn a_table_of_the_neurosim_step_map_walks_the_closed_form() {
    let (ltp, ltd) = table_walk_error(100);
    let (ltp4, ltd4) = table_walk_error(400);
    println!("table vs closed form, worst of the range: 100 bins LTP {ltp:.2e} LTD {ltd:.2e}; 400 bins LTP {ltp4:.2e} LTD {ltd4:.2e}");
    assert!(ltp < 1e-3 && ltd < 1e-3, "{ltp} {ltd}");
    assert!(ltp4 < 5e-4 && ltd4 < 5e-4, "{ltp4} {ltd4}");
}

/// Per-bin C2C: 10⁵ devices at one conductance, one pulse each: the step's
/// mean and σ are the table's, interpolated between bin centres (σ within
/// 3 %, i.e. > 6 standard errors); the first − pulse after + pulses takes
/// the turn table, the second the branch, and programming forgets the turn.
#[test]
fn measured_steps_have_the_binned_mean_and_spread_and_turn_once() {
    use xbar_devices::pulse::{MeasuredCurve, StepTable};
    let mut spec = library::preset("ag-a-si").unwrap();
    spec.variability = Default::default();
    spec.programming = None;
    spec.g_min = xbar_devices::Conductance(1e-6);
    spec.g_max = xbar_devices::Conductance(10e-6);
    let curve = MeasuredCurve {
        ltp: StepTable {
            edges_s: vec![1e-6, 4e-6, 7e-6, 9e-6],
            dg_s: vec![0.4e-6, 0.2e-6, 0.1e-6],
            sigma_s: vec![0.05e-6, 0.1e-6, 0.02e-6],
        },
        ltd: StepTable {
            edges_s: vec![2e-6, 10e-6],
            dg_s: vec![-0.3e-6],
            sigma_s: vec![0.03e-6],
        },
        turn_ltp: None,
        turn_ltd: Some(StepTable {
            edges_s: vec![1e-6, 10e-6],
            dg_s: vec![-1.5e-6],
            sigma_s: vec![0.2e-6],
        }),
    };
    spec.pulse = Some(PulseSpec::Measured(Box::new(curve)));
    spec.validate().unwrap();
    // (g, expected mean, expected σ): at a centre (5.5 µS: bin 1) and a
    // quarter of the way from centre 2.5 to centre 5.5 µS.
    for (g, mu, sigma) in [(5.5e-6, 0.2e-6, 0.1e-6), (3.25e-6, 0.35e-6, 0.0625e-6)] {
        let mut array = DeviceArray::new(&spec, N, 1, 5).unwrap();
        array.program(&column(g)).unwrap();
        array.apply_pulses(&DMatrix::from_element(N, 1, 1)).unwrap();
        let (m, s) = mean_std(array.conductances().iter().map(|x| x - g));
        assert!(
            (m - mu).abs() < 4.0 * sigma / (N as f64).sqrt(),
            "{g:e}: mean {m:e} vs {mu:e}"
        );
        assert!(
            (s / sigma - 1.0).abs() < 0.03,
            "{g:e}: σ {s:e} vs {sigma:e}"
        );
    }
    // The turn: + then − − from 6 µS.
    let mut array = DeviceArray::new(&spec, N, 1, 6).unwrap();
    array.program(&column(6e-6)).unwrap();
    array.apply_pulses(&DMatrix::from_element(N, 1, 1)).unwrap();
    let before: Vec<f64> = array.conductances().iter().copied().collect();
    array
        .apply_pulses(&DMatrix::from_element(N, 1, -1))
        .unwrap();
    let (m, s) = mean_std(array.conductances().iter().zip(&before).map(|(a, b)| a - b));
    assert!(
        (m + 1.5e-6).abs() < 4.0 * 0.2e-6 / (N as f64).sqrt() && (s / 0.2e-6 - 1.0).abs() < 0.03
    );
    let before: Vec<f64> = array.conductances().iter().copied().collect();
    array
        .apply_pulses(&DMatrix::from_element(N, 1, -1))
        .unwrap();
    let (m, s) = mean_std(array.conductances().iter().zip(&before).map(|(a, b)| a - b));
    assert!(
        (m + 0.3e-6).abs() < 4.0 * 0.03e-6 / (N as f64).sqrt() && (s / 0.03e-6 - 1.0).abs() < 0.03
    );
    // Programmed devices have no pulse history: a − pulse is a branch step.
    array.program(&column(6e-6)).unwrap();
    array
        .apply_pulses(&DMatrix::from_element(N, 1, -1))
        .unwrap();
    let (m, _) = mean_std(array.conductances().iter().map(|x| x - 6e-6));
    assert!(
        (m + 0.3e-6).abs() < 4.0 * 0.03e-6 / (N as f64).sqrt(),
        "{m:e}"
    );
    // The LTD branch saturates at its own bottom (2 µS), above g_min.
    let mut array = DeviceArray::new(&spec, 1, 1, 7).unwrap();
    array.program(&DMatrix::from_element(1, 1, 3e-6)).unwrap();
    array
        .apply_pulses(&DMatrix::from_element(1, 1, -40))
        .unwrap();
    assert!((array.conductances()[0] - 2e-6).abs() < 1e-15);
    // Same seed, same pulses: bit-identical.
    let run = || {
        let mut a = DeviceArray::new(&spec, 8, 8, 11).unwrap();
        a.apply_pulses(&DMatrix::from_element(8, 8, 3)).unwrap();
        a.apply_pulses(&DMatrix::from_element(8, 8, -2)).unwrap();
        a.conductances().clone()
    };
    assert_eq!(run(), run());
}

/// Validation names the offending field of a measured table.
#[test]
fn measured_tables_are_validated_field_by_field() {
    use xbar_devices::pulse::{MeasuredCurve, StepTable};
    let mut spec = library::preset("ag-a-si").unwrap();
    let (g_min, g_max) = (spec.g_min.siemens(), spec.g_max.siemens());
    let good = StepTable {
        edges_s: vec![g_min, 0.5 * (g_min + g_max), g_max],
        dg_s: vec![1e-9, 2e-9],
        sigma_s: vec![0.0, 1e-10],
    };
    let with = |f: &dyn Fn(&mut StepTable)| {
        let mut t = good.clone();
        f(&mut t);
        let mut s = spec.clone();
        s.pulse = Some(PulseSpec::Measured(Box::new(MeasuredCurve {
            ltp: good.clone(),
            ltd: t,
            turn_ltp: None,
            turn_ltd: None,
        })));
        s.validate().map(|_| ()).map_err(|e| e.field)
    };
    assert_eq!(with(&|_| ()), Ok(()));
    assert_eq!(
        with(&|t| t.edges_s.swap(0, 1)).unwrap_err(),
        "pulse.ltd.edges_S[1]"
    );
    assert_eq!(
        with(&|t| t.edges_s.pop().map(|_| ()).unwrap()).unwrap_err(),
        "pulse.ltd.edges_S"
    );
    assert_eq!(
        with(&|t| t.sigma_s[1] = -1e-9).unwrap_err(),
        "pulse.ltd.sigma_S[1]"
    );
    assert_eq!(
        with(&|t| t.sigma_s.push(0.0)).unwrap_err(),
        "pulse.ltd.sigma_S"
    );
    assert_eq!(
        with(&|t| t.dg_s[0] = f64::NAN).unwrap_err(),
        "pulse.ltd.dg_S[0]"
    );
    assert_eq!(
        with(&|t| t.edges_s[2] = 2.0 * g_max).unwrap_err(),
        "pulse.ltd.edges_S"
    );
    spec.pulse = None;
    assert!(spec.validate().is_ok());
}

/// Device-to-device: a device whose drawn bounds are `[lo, hi]` reads the
/// nominal table through the affine map of its range onto the nominal one,
/// so a noiseless + pulse from the middle of its own range moves it by
/// `s·μ(mid)`, `s = (hi − lo)/(g_max − g_min)`, exactly, for every device.
#[test]
fn measured_tables_scale_with_each_devices_drawn_range() {
    use xbar_devices::pulse::{MeasuredCurve, StepTable};
    let mut spec = library::preset("ag-a-si").unwrap();
    spec.programming = None;
    spec.g_min = xbar_devices::Conductance(1e-6);
    spec.g_max = xbar_devices::Conductance(10e-6);
    spec.variability.g_min = 0.05;
    spec.variability.g_max = 0.1;
    let table = |dg: Vec<f64>| StepTable {
        edges_s: vec![1e-6, 4e-6, 7e-6, 10e-6],
        sigma_s: vec![0.0; dg.len()],
        dg_s: dg,
    };
    spec.pulse = Some(PulseSpec::Measured(Box::new(MeasuredCurve {
        ltp: table(vec![0.6e-6, 0.3e-6, 0.1e-6]),
        ltd: table(vec![-0.1e-6, -0.2e-6, -0.4e-6]),
        turn_ltp: None,
        turn_ltd: None,
    })));
    spec.validate().unwrap();
    let n = 1000;
    let mut array = DeviceArray::new(&spec, 1, n, 9).unwrap();
    let bounds: Vec<(f64, f64)> = (0..n).map(|k| array.bounds(0, k)).collect();
    let mids = DMatrix::from_fn(1, n, |_, k| 0.5 * (bounds[k].0 + bounds[k].1));
    array.program(&mids).unwrap();
    array.apply_pulses(&DMatrix::from_element(1, n, 1)).unwrap();
    let mut spread = 0.0f64;
    for (k, (lo, hi)) in bounds.iter().enumerate() {
        let s = (hi - lo) / 9e-6;
        spread = spread.max((s - 1.0).abs());
        // Nominal mid 5.5 µS lies on the centre of bin 1: μ = 0.3 µS.
        let step = array.conductances()[k] - mids[k];
        assert!(
            (step - s * 0.3e-6).abs() < 1e-12 * hi,
            "device {k}: {step:e}"
        );
    }
    assert!(spread > 0.05, "the bounds were drawn: {spread}");
}
