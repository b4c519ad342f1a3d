//! `xbarsim cost`: energy, latency and area per inference of a trained
//! model on programmed arrays — a one-point run of the `inference-cost`
//! kind, written by the experiments' table writer with its columns.

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use serde_json::json;
use xbar_experiments::kinds::{inference_cost, inference_drift, Settings};
use xbar_experiments::row;
use xbar_experiments::runner::one_unit;

use crate::cli::ProgrammedModelArgs;
use crate::device_arg;
use crate::error::{CliError, Result};
use crate::output::{markdown_table, print};
use crate::point_cmd::{
    context, data_section, data_source, flags, located, point, sidecar, write_table,
};

/// `xbarsim cost`.
#[derive(Debug, Args)]
pub struct CostArgs {
    #[command(flatten)]
    pub on: ProgrammedModelArgs,
    /// Time since programming (s)
    #[arg(
        long,
        value_name = "T",
        default_value_t = 1.0,
        allow_hyphen_values = true
    )]
    pub time: f64,
    /// Independent device instances (costs are their means)
    #[arg(
        long,
        value_name = "N",
        default_value_t = 1,
        allow_hyphen_values = true
    )]
    pub instances: usize,
    /// Technology: generic-45nm, generic-32nm, generic-22nm or a TOML file
    #[arg(long, value_name = "TECH", default_value = "generic-32nm")]
    pub technology: String,
    /// ADC resolution for the cost [default: --adc-bits, else 8]
    #[arg(long, value_name = "BITS", allow_hyphen_values = true)]
    pub cost_adc_bits: Option<u32>,
    /// Bit lines sharing one ADC
    #[arg(
        long,
        value_name = "K",
        default_value_t = 8,
        allow_hyphen_values = true
    )]
    pub columns_per_adc: usize,
    /// CSV to write (the `inference-cost` columns)
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
}

/// Runs `xbarsim cost`.
pub fn cost(args: &CostArgs) -> Result<()> {
    let on = &args.on;
    crate::train_cmd::check_outputs(&[Some(&args.output)])?;
    let device = device_arg::resolve(&on.device)?;
    let settings = inference_cost::Settings {
        network: None,
        training: None,
        data: data_section(&on.data),
        array: on.array_section(),
        evaluation: inference_drift::EvaluationSection {
            times_s: vec![args.time],
            instances: args.instances,
            model: Some(on.model.clone()),
        },
        cost: inference_cost::CostSection {
            technology: args.technology.clone(),
            adc_bits: args.cost_adc_bits,
            columns_per_adc: args.columns_per_adc,
        },
    };
    let flags = flags(&[
        ("evaluation.instances", "--instances"),
        ("evaluation.times_s", "--time"),
        ("cost.technology", "--technology"),
        ("cost.adc_bits", "--cost-adc-bits"),
        ("cost.columns_per_adc", "--columns-per-adc"),
    ]);
    let hint = "--device and the array flags";
    let point = point(
        "cost",
        &device,
        Settings::InferenceCost(settings),
        &flags,
        hint,
    )?;
    let ctx = context();
    point
        .settings
        .preflight(&ctx)
        .map_err(|e| located(&flags, hint, e))?;
    let start = Instant::now();
    let cells = point
        .settings
        .run(&point.device, on.seed, &ctx)
        .map_err(|e| CliError::new(e.to_string()))?;
    let elapsed = start.elapsed().as_secs_f64();
    let columns: Vec<String> = point
        .kind
        .outputs()
        .into_iter()
        .map(str::to_string)
        .collect();
    let table = one_unit(
        on.seed,
        xbar_experiments::table::Rows {
            columns,
            rows: cells,
        },
    );
    let extra = json!({
        "model": on.model.display().to_string(),
        "data": data_source(&on.data),
        "technology": args.technology,
        "evaluation_time_s": elapsed,
    });
    write_table(
        &args.output,
        &table,
        &sidecar("cost", &point, on.seed, &device.source, extra),
    )?;
    let typed: Vec<inference_cost::Row> = table
        .rows
        .iter()
        .map(|r| row::parse(&r[3..]).map_err(CliError::new))
        .collect::<Result<_>>()?;
    let printed: Vec<Vec<String>> = typed
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
        "{}\n{elapsed:.1} s; written to {}\n",
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
        args.output.display()
    ))
}
