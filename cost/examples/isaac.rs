//! ISAAC's budget (Shafiee et al., ISCA 2016) rebuilt from its component
//! table, beside the paper's totals, and with xbarsim's ADC model:
//! `cargo run -p xbar-cost --example isaac`.

use xbar_cost::isaac::{budget, budget_with, PAPER};
use xbar_cost::{AdcModel, Technology};

fn main() {
    let ours = budget();
    let adc = AdcModel::from_technology(&Technology::preset("generic-32nm").expect("preset"));
    let envelope = budget_with(&adc);
    println!("| quantity | ISAAC (paper) | xbarsim, from the paper's components | xbarsim, survey-envelope ADC |");
    println!("|---|---|---|---|");
    let rows = [
        (
            "IMA power (mW)",
            PAPER.ima.0 * 1e3,
            ours.ima.0 * 1e3,
            envelope.ima.0 * 1e3,
        ),
        (
            "IMA area (mm²)",
            PAPER.ima.1 * 1e6,
            ours.ima.1 * 1e6,
            envelope.ima.1 * 1e6,
        ),
        (
            "tile power (mW)",
            PAPER.tile.0 * 1e3,
            ours.tile.0 * 1e3,
            envelope.tile.0 * 1e3,
        ),
        (
            "tile area (mm²)",
            PAPER.tile.1 * 1e6,
            ours.tile.1 * 1e6,
            envelope.tile.1 * 1e6,
        ),
        ("chip power (W)", PAPER.chip.0, ours.chip.0, envelope.chip.0),
        (
            "chip area (mm²)",
            PAPER.chip.1 * 1e6,
            ours.chip.1 * 1e6,
            envelope.chip.1 * 1e6,
        ),
        (
            "ADC share of tile power (%)",
            PAPER.adc_share.0 * 100.0,
            ours.adc_share.0 * 100.0,
            envelope.adc_share.0 * 100.0,
        ),
        (
            "ADC share of tile area (%)",
            PAPER.adc_share.1 * 100.0,
            ours.adc_share.1 * 100.0,
            envelope.adc_share.1 * 100.0,
        ),
    ];
    for (name, paper, a, b) in rows {
        println!("| {name} | {paper:.4} | {a:.4} | {b:.4} |");
    }
}
