//! `fit_device` called as a library: the shipped example's device, its
//! report as typed sections, its records and its figure series, with no
//! command line in between.

use std::path::{Path, PathBuf};

use xbar_devices::pulse::PulseSpec;
use xbar_fit::device::{fit_device, FitError, FitSettings};
use xbar_fit::figure::SeriesKind;
use xbar_fit::pulse::{ModelChoice, PulseModel};
use xbar_fit::report::{render, Item};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/pulse-trains-synthetic.csv")
}

#[test]
fn the_example_becomes_a_device_with_its_report_records_and_figure() {
    let path = example();
    let fitted = fit_device(&FitSettings {
        pulses: Some(path.clone()),
        name: Some("example".into()),
        ..FitSettings::default()
    })
    .unwrap();
    // The device file.
    let spec = &fitted.spec;
    assert_eq!(spec.name, "example");
    assert_eq!(spec.technology, "measured");
    assert!(matches!(spec.pulse, Some(PulseSpec::Exponential { .. })));
    let fit = fitted.fits.pulses.as_ref().unwrap();
    assert_eq!(fit.chosen, PulseModel::Exponential);
    assert_eq!((spec.g_min.0, spec.g_max.0), (fit.g_min_S, fit.g_max_S));
    // Its provenance: the input and its SHA-256, in the description too.
    let input = &fitted.parameters.inputs[0];
    assert_eq!(input.what, "pulses");
    assert_eq!(input.file, path.display().to_string());
    assert_eq!(input.sha256.len(), 64);
    assert!(spec.description.contains(&input.sha256));
    assert!(spec
        .description
        .contains("8 devices; pulse model exponential (BIC summed over 8 devices"));
    assert_eq!(fitted.parameters.model, ModelChoice::Auto);
    // The report: models compared, population, devices.
    let keys: Vec<&str> = fitted.report.iter().map(|s| s.key).collect();
    assert_eq!(keys, ["pulses", "pulse-population", "pulse-devices"]);
    let models = &fitted.report[0];
    assert!(
        models.title.ends_with("(wide layout), 8 devices"),
        "{}",
        models.title
    );
    let Item::Table { header, rows } = &models.items[0] else {
        panic!("{:?}", models.items[0])
    };
    assert_eq!(
        header,
        &[
            "model",
            "devices",
            "RMSE/range",
            "R²",
            "AIC",
            "BIC",
            "free-run mean",
            "free-run median"
        ]
    );
    let names: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["exponential", "soft-bounds", "measured"]);
    assert!(
        matches!(&models.items[1], Item::Line(l) if l.starts_with("RMSE, R², AIC and BIC are one step ahead"))
    );
    assert!(matches!(&models.items[2], Item::Line(l) if l.starts_with("kept: exponential (BIC")));
    // Every model run free, and the exponential model within 2 % of the
    // range of the measured median (0.95 % when this was written).
    let free: Vec<f64> = rows
        .iter()
        .map(|r| r[6].trim_end_matches(" %").parse().unwrap())
        .collect();
    assert!(free[0] < 2.0, "{free:?}");
    assert!(!text_has_warning(&fitted.report_text()));
    let Item::Table { header, rows } = &fitted.report[2].items[0] else {
        panic!()
    };
    assert_eq!(header[3], "nl_ltp");
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r.len() == header.len()));
    let text = fitted.report_text();
    assert_eq!(text, render(&fitted.report));
    assert!(
        text.contains("\n\nPer device (RMSE one step ahead;"),
        "{text}"
    );
    // The records serialise as the sidecar's `fits` and `parameters`.
    let fits = serde_json::to_value(&fitted.fits).unwrap();
    assert_eq!(fits["pulses"]["chosen"], "exponential");
    assert!(fits.get("retention").is_none());
    let parameters = serde_json::to_value(&fitted.parameters).unwrap();
    assert_eq!(parameters["model"], "auto");
    assert_eq!(parameters["criterion"], "bic");
    assert_eq!(
        parameters["inputs"]["pulses"]["sha256"],
        input.sha256.as_str()
    );
    // The figure: three measured devices, their median, then the device
    // file simulated as `device pulse` runs it.
    let figure = fitted.figure.as_ref().unwrap();
    let kinds: Vec<SeriesKind> = figure.series.iter().map(|s| s.kind).collect();
    assert_eq!(
        kinds,
        [
            SeriesKind::Measured,
            SeriesKind::Measured,
            SeriesKind::Measured,
            SeriesKind::Measured,
            SeriesKind::Population
        ]
    );
    assert_eq!(figure.series[3].label, "measured median");
    assert_eq!(
        figure.series[4].label,
        "simulated exponential (device file), mean ± σ"
    );
    assert_eq!(figure.y.title(), "conductance (S)");
    // Two points per pulse whose mean and sample σ are the simulated ones.
    let measured = figure.series[0].points.len();
    assert_eq!(figure.series[4].points.len(), 2 * measured);
    let curves = fit.free_run_curves.as_ref().unwrap();
    let sim = &curves.simulated[0].1;
    for (i, pair) in figure.series[4].points.chunks(2).enumerate() {
        let (a, b) = (pair[0].1, pair[1].1);
        assert!(((a + b) / 2.0 - sim.mean_S[i]).abs() <= 1e-12 * sim.mean_S[i]);
        let sample_sd = (a - b).abs() / std::f64::consts::SQRT_2;
        assert!((sample_sd - sim.std_S[i]).abs() <= 1e-9 * sim.mean_S[i].max(1e-300));
    }
}

#[test]
fn a_named_model_is_kept_and_nothing_to_fit_is_refused() {
    let fitted = fit_device(&FitSettings {
        pulses: Some(example()),
        model: "soft-bounds".parse().unwrap(),
        ..FitSettings::default()
    })
    .unwrap();
    assert_eq!(fitted.spec.name, "fitted");
    let fit = fitted.fits.pulses.as_ref().unwrap();
    assert_eq!(fit.chosen, PulseModel::SoftBounds);
    assert_eq!(fit.reason, "chosen by the user");
    // A closed form named: the measured curve is not fitted.
    assert!(fitted.fits.pulses_measured_curve.is_none());
    assert_eq!(
        fitted.figure.unwrap().series.last().unwrap().label,
        "simulated soft-bounds (device file), mean ± σ"
    );
    let e = fit_device(&FitSettings::default()).unwrap_err();
    assert_eq!(e, FitError::NoMeasurements);
    let e = fit_device(&FitSettings {
        iv: Some(example()),
        ..FitSettings::default()
    })
    .unwrap_err();
    assert_eq!(e, FitError::NoMeasurements);
    // An empty name is refused before any file is read (before: the
    // assembled device failed to validate, "internal error").
    for name in ["", "  "] {
        let e = fit_device(&FitSettings {
            pulses: Some(example()),
            name: Some(name.into()),
            ..FitSettings::default()
        })
        .unwrap_err();
        assert_eq!(e, FitError::EmptyName);
    }
}

/// Whether a report text has a warning line.
fn text_has_warning(text: &str) -> bool {
    text.lines().any(|l| l.starts_with("warning:"))
}
