//! `xbarsim cost`: energy, latency and area per inference of a trained
//! model on programmed arrays — flags into the `inference-cost` kind's
//! settings, [`xbar_api::cost`], and its rows printed.

use std::path::Path;

use xbar_api::Invocation;
use xbar_experiments::kinds::inference_cost;

use crate::cli::CostArgs;
use crate::device_arg;
use crate::error::{CliError, Result};
use crate::output::{markdown_table, print};
use crate::point_cmd::{flags, located};

/// Runs `xbarsim cost`.
pub fn cost(args: &CostArgs) -> Result<()> {
    let on = &args.on;
    xbar_api::output::check_outputs(&[Some(&args.output)])
        .map_err(|e| CliError::new(e.to_string()))?;
    // A technology preset's name is no file.
    let mut inputs = on.inputs();
    if let Some(t) = &args.technology {
        inputs.push(("technology file", Path::new(t)));
    }
    xbar_api::output::check_not_inputs(&args.output, &inputs)
        .map_err(|e| CliError::new(e.to_string()))?;
    let device = device_arg::resolve(&on.device)?;
    let mut evaluation = on.evaluation_section();
    if let Some(t) = args.time {
        evaluation.times_s = vec![t];
    }
    if let Some(n) = args.instances {
        evaluation.instances = n;
    }
    let mut cost = inference_cost::CostSection {
        adc_bits: args.cost_adc_bits,
        ..Default::default()
    };
    if let Some(t) = &args.technology {
        cost.technology = t.clone();
    }
    if let Some(k) = args.columns_per_adc {
        cost.columns_per_adc = k;
    }
    let settings = inference_cost::Settings {
        network: None,
        training: None,
        data: on.data.section(),
        array: on.array_section(),
        evaluation,
        cost,
    };
    let measured = xbar_api::cost(
        &device,
        settings,
        on.seed,
        &Invocation::from_process("cost"),
    )
    .map_err(|e| {
        located(
            &flags(&[
                ("evaluation.instances", "--instances"),
                ("evaluation.times_s", "--time"),
                ("cost.technology", "--technology"),
                ("cost.adc_bits", "--cost-adc-bits"),
                ("cost.columns_per_adc", "--columns-per-adc"),
            ]),
            "--device and the array flags",
            e,
        )
    })?;
    measured
        .measurement
        .write(&args.output)
        .map_err(|e| CliError::new(e.to_string()))?;
    let printed: Vec<Vec<String>> = measured
        .rows
        .iter()
        .map(|r| {
            vec![
                format!("{:.2}", r.accuracy_pct),
                format!("{:.3e}", r.energy_per_inference_J),
                format!("{:.3e}", r.array_energy_J),
                format!("{:.3e}", r.adc_energy_J),
                format!("{:.3e}", r.latency_s),
                format!("{:.4}", r.area_m2 * 1e6),
                format!("{:.3}", r.tops_per_W),
            ]
        })
        .collect();
    print(&format!(
        "{}\n{:.1} s; written to {}\n",
        markdown_table(
            &[
                "accuracy %",
                "energy J",
                "array J",
                "ADC J",
                "latency s",
                "area mm²",
                "TOPS/W"
            ],
            &printed
        ),
        measured.elapsed_s,
        args.output.display()
    ))
}
