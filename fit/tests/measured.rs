//! Real measured pulse trains (`fit/tests/data/measured/`, sources and
//! licences in its README): every model's device file run free over the
//! measured pulses against the measured median curve, against scipy's
//! trajectory fit of the same model family (`fit/tests/peer/trajectory_fit.py`,
//! stored beside the data). The target: within 1.5× the peer.

use std::path::PathBuf;

use xbar_fit::device::{fit_device, FitSettings};
use xbar_fit::pulse::{PulseModel, FAR_LIMIT_RANGES};

fn measured(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/measured")
        .join(name)
}

/// scipy's free-running error on a data set (the peer's stored result).
fn scipy_free_run(name: &str) -> f64 {
    let text = std::fs::read_to_string(measured(name)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["free_run_error_relative"].as_f64().unwrap()
}

/// CrossSim's measured set/reset ramps (one device, 39 cycles of about
/// 190 + 150 pulses): every model runs free within the 1.5×
/// scipy's trajectory fit of its family: the exponential model 1.8 % of
/// the range against 6.5 % (refitted to the median curve: 7.9 % from the
/// step fit alone), the measured curve 8.4 % (1.31×; bounded at 1.4×). The device is
/// almost a straight line: soft bounds' free asymptotes run off to infinity
/// (scipy's to −215 mS and +408 mS, which no device file can hold), so
/// they are held at their limits (0 S; 10 measured ranges above the
/// maximum), reported, and the soft-bounds device runs free within 1.3×
/// scipy's soft-bounds fit.
#[test]
fn crosssim_measured_ramps_run_free_as_close_as_the_peer() {
    let fitted = fit_device(&FitSettings {
        pulses: Some(measured("crosssim-lookup-example.csv")),
        ..FitSettings::default()
    })
    .unwrap();
    let fit = fitted.fits.pulses.as_ref().unwrap();
    let peer = scipy_free_run("crosssim-lookup-example.scipy.json");
    let error = |m: PulseModel| fit.free_run_of(m).unwrap().mean_relative;
    let (exp, curve) = (error(PulseModel::Exponential), error(PulseModel::Measured));
    println!(
        "exponential {exp:.4}, measured curve {curve:.4}, scipy exponential {peer:.4}, kept {}",
        fit.chosen
    );
    assert!(curve < 1.4 * peer, "measured curve {curve} against {peer}");
    assert!(error(fit.chosen) < 1.5 * peer, "kept {}", fit.chosen);
    // Soft bounds: a near-linear device, its asymptotes held at their
    // limits (0 S below; 10 measured ranges above the measured maximum),
    // within 1.3× scipy's free soft-bounds fit (7.9 % against 6.5 %:
    // 1.22×; the target 1.5×), which puts them at −215 mS and
    // +408 mS.
    let soft = error(PulseModel::SoftBounds);
    let soft_peer = scipy_free_run("crosssim-lookup-example.soft-bounds.scipy.json");
    let d = &fit.devices[0];
    let s = d.soft_bounds.as_ref().expect("soft bounds fit the ramps");
    let (g_min, g_max, pulse, _) = fit.device_part(PulseModel::SoftBounds, None).unwrap();
    println!(
        "soft bounds {soft:.4} (scipy {soft_peer:.4}); α {:.4e}/{:.4e}, written {g_min:e}–{g_max:e} S, held {:?}",
        s.alpha_up.value, s.alpha_down.value, s.at_limit
    );
    assert!(
        soft < 1.3 * soft_peer,
        "soft bounds {soft} against {soft_peer}"
    );
    assert!(s.at_limit.g_min && s.at_limit.g_max, "{s:?}");
    let limit = 2.48507e-3 + FAR_LIMIT_RANGES * (2.48507e-3 - 1.60568e-3);
    assert!(
        g_min == 0.0 && (g_max - limit).abs() < 1e-8,
        "{g_min} {g_max}"
    );
    assert!(!s.g_max_S.std_error.is_finite() && s.g_max_S.ci_high == f64::INFINITY);
    // Each ramp's ~170 pulses cross the range: α·(g_max − g) at mid-range
    // times 190 pulses is about the range (within 15 %).
    let mid = 0.5 * (2.48507e-3 + 1.60568e-3);
    let rise = 190.0 * s.alpha_up.value * (g_max - mid) / (2.48507e-3 - 1.60568e-3);
    assert!((rise - 1.0).abs() < 0.15, "{rise}");
    let text = fitted.report_text();
    assert!(
        text.contains("soft bounds: asymptotes held at their limit on 1 of 1 devices"),
        "{text}"
    );
    // Written as a device file, valid.
    let (.., variability) = fit.device_part(PulseModel::SoftBounds, None).unwrap();
    xbar_fit::free_run::pulse_device(g_min, g_max, pulse, variability)
        .validate()
        .unwrap();
    // The exponential model fitted to the median curve run free: ramps of
    // 187 and 150 pulses from clamp to clamp (the measured ramps have
    // 185–192 and 149–153 pulses), which the device file repeats cycle
    // after cycle where the per-device step fit's curve (P 222/178 pulses,
    // never reaching its bounds) drifts; run free 1.8 % of the range
    // against the step fit's 7.9 % and scipy's 6.5 %.
    let m = fit.exponential_median.as_ref().expect("median-curve fit");
    assert!(m.kept && fit.chosen == PulseModel::Exponential, "{m:?}");
    let xbar_devices::pulse::PulseSpec::Exponential {
        pulses_ltp,
        pulses_ltd,
        ..
    } = m.pulse
    else {
        panic!("{m:?}")
    };
    assert!(
        (185..=192).contains(&pulses_ltp) && (149..=153).contains(&pulses_ltd),
        "{m:?}"
    );
    assert!(exp < 0.4 * peer, "exponential {exp} against {peer}");
    // Written with the fit's clamp levels, inside the measured range
    // 1.60568–2.48507 mS.
    assert!(
        fit.g_min_S > 1.60568e-3
            && fit.g_max_S < 2.48507e-3
            && fit.g_max_S - fit.g_min_S > 0.9 * 0.87939e-3,
        "{} {}",
        fit.g_min_S,
        fit.g_max_S
    );
}
