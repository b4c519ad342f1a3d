//! The exponential model's free-running error on a pulse-train file, by the
//! step fit alone (the estimator before issue 24) and by the kept estimator
//! (step or trajectory fit), side by side: what `fit/tests/peer/trajectory_fit.py`
//! (scipy's `least_squares` on the trajectory) is compared with.
//!
//!     cargo run --release -p xbar-fit --example free_run_compare -- FILE.csv
//!     cargo run --release -p xbar-fit --example free_run_compare -- --synth OUT.csv
//!
//! First every model's free-running error as `device fit` keeps it (the
//! numbers of issue 24's tables); with `SHOW_TABLE=1` also the measured
//! curve's tables, with `DUMP_CURVES=FILE` the measured median and each
//! model's simulated mean per pulse as CSV.
//!
//! `--synth` first writes the heavy-read-noise synthetic set of the tests
//! (`xbar_fit::synth`, one device, 2 cycles of 1 200 + 1 200 pulses,
//! P_max 1 000, NL 2/−2, C2C 0.1 %, read noise 3 % of the range).

use xbar_fit::free_run::{self, Reference};
use xbar_fit::measurements::PulseData;
use xbar_fit::pulse::{fit_pulses, ModelChoice, PulseModel, PulseOptions};
use xbar_fit::synth::{synthesize, to_wide_csv, SynthModel, SynthSpec};

/// The heavy-read-noise set of the tests.
pub fn read_noise_spec() -> SynthSpec {
    SynthSpec {
        devices: 1,
        cycles: 2,
        pulses_per_half: 1200,
        model: SynthModel::Exponential {
            pulses_ltp: 1000,
            pulses_ltd: 1000,
            nl_ltp: 2.0,
            nl_ltd: -2.0,
        },
        c2c: 0.001,
        d2d_g: 0.0,
        d2d_nl: 0.0,
        read_noise: 0.03,
        ..SynthSpec::default()
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = match args.as_slice() {
        [flag, out] if flag == "--synth" => {
            let data = synthesize(&read_noise_spec(), 24);
            let comment = "SYNTHETIC DATA, not a measurement: xbar_fit::synth (seed 24), NeuroSim exponential,\n\
                g_min 1 uS, g_max 10 uS, P_max 1000/1000, NL 2/-2, C2C 0.1 % of the range per pulse,\n\
                Gaussian read noise 3 % of the range on every recorded point (not on the state).\n\
                1 device, 2 cycles of 1200 LTP + 1200 LTD pulses. Licence: CC0.";
            std::fs::write(out, to_wide_csv(&data, 1.0, comment)).expect("write");
            out.clone()
        }
        [file] => file.clone(),
        _ => {
            eprintln!("usage: free_run_compare FILE.csv | --synth OUT.csv");
            std::process::exit(2);
        }
    };
    let data = PulseData::read(std::path::Path::new(&path)).expect("read");
    let reference = Reference::of(&data, |_| true).expect("a reference curve");
    if args[0] == "--synth" {
        let truth = free_run::pulse_device(
            1e-6,
            10e-6,
            xbar_devices::pulse::PulseSpec::Exponential {
                pulses_ltp: 1000,
                pulses_ltd: 1000,
                nl_ltp: 2.0,
                nl_ltd: -2.0,
                c2c: 0.001,
            },
            Default::default(),
        );
        let err = free_run::error_of(&truth, &reference).expect("simulated");
        println!(
            "truth: free-running error mean {:.2} % median {:.2} %",
            100.0 * err.mean_relative,
            100.0 * err.median_relative
        );
    }
    // Every model as `device fit` keeps it (auto), run free.
    match xbar_fit::device::fit_device(&xbar_fit::device::FitSettings {
        pulses: Some(std::path::PathBuf::from(&path)),
        ..Default::default()
    }) {
        Ok(fitted) => {
            let fit = fitted.fits.pulses.as_ref().expect("a pulse fit");
            for f in &fit.free_run {
                println!(
                    "device fit: {} free-running error mean {:.2} % median {:.2} %{}",
                    f.model,
                    100.0 * f.error.mean_relative,
                    100.0 * f.error.median_relative,
                    if f.model == fit.chosen { " (kept)" } else { "" }
                );
            }
            if let (Some(dump), Some(c)) = (
                std::env::var_os("DUMP_CURVES"),
                fit.free_run_curves.as_ref(),
            ) {
                let mut text = String::from("median");
                for (m, _) in &c.simulated {
                    text += &format!(",{m}");
                }
                text += "\n";
                for i in 0..c.reference.median_S.len() {
                    text += &format!("{:e}", c.reference.median_S[i]);
                    for (_, s) in &c.simulated {
                        text += &format!(",{:e}", s.mean_S[i]);
                    }
                    text += "\n";
                }
                std::fs::write(dump, text).expect("write the curves");
            }
            if let Some(m) = fitted.fits.pulses_measured_curve.as_ref() {
                if std::env::var_os("SHOW_TABLE").is_some() {
                    println!(
                        "measured: g {:e}..{:e} read noise {:?}",
                        m.g_min_S, m.g_max_S, m.read_noise
                    );
                    println!(
                        "ltp edges {:?}\nltp dg {:?}\nltp σ {:?}",
                        m.curve.ltp.edges_s, m.curve.ltp.dg_s, m.curve.ltp.sigma_s
                    );
                    println!(
                        "ltd edges {:?}\nltd dg {:?}",
                        m.curve.ltd.edges_s, m.curve.ltd.dg_s
                    );
                    println!(
                        "turns {:?} {:?}",
                        m.curve.turn_ltp.is_some(),
                        m.curve.turn_ltd.is_some()
                    );
                }
            }
            if let Some(s) = fit.devices.first().and_then(|d| d.soft_bounds.as_ref()) {
                println!("soft bounds, first device: {s:?}");
            }
        }
        Err(e) => println!("device fit: {e}"),
    }
    for steps_only in [true, false] {
        let opts = PulseOptions {
            model: ModelChoice::Only(PulseModel::Exponential),
            steps_only,
            ..PulseOptions::default()
        };
        let fit = match fit_pulses(&data, &opts) {
            Ok(f) => f,
            Err(e) => {
                println!("steps_only {steps_only}: no fit: {e}");
                continue;
            }
        };
        let (g_min, g_max, pulse, variability) = fit
            .device_part(PulseModel::Exponential, None)
            .expect("exponential");
        let spec = free_run::pulse_device(g_min, g_max, pulse.clone(), variability);
        let err = free_run::error_of(&spec, &reference).expect("simulated");
        let kept: Vec<String> = fit
            .devices
            .iter()
            .filter_map(|d| d.exponential.as_ref())
            .map(|e| format!("{:?}", e.estimator))
            .collect();
        let noise: Vec<String> = fit
            .devices
            .iter()
            .filter_map(|d| d.exponential.as_ref())
            .map(|e| {
                format!(
                    "lag1 {:.3} read σ {:.4} gross σ {:.4} c2c {:.4}; device noiseless free-run kept {:.4} steps {:?} trajectory {:?}",
                    e.step_noise.lag1,
                    e.step_noise.read_sigma,
                    e.step_noise.gross_sigma,
                    e.c2c.value,
                    e.free_run_relative,
                    e.steps_free_run_relative,
                    e.trajectory_free_run_relative
                )
            })
            .take(3)
            .collect();
        println!(
            "{}: free-running error mean {:.2} % median {:.2} % max {:.2} % of range; pulse {:?}; g {:.4e}..{:.4e}; estimators {:?}; {:?}",
            if steps_only { "steps only (before)" } else { "kept estimator (after)" },
            100.0 * err.mean_relative,
            100.0 * err.median_relative,
            100.0 * err.max_relative,
            pulse,
            g_min,
            g_max,
            kept.iter().take(5).collect::<Vec<_>>(),
            noise
        );
    }
}
