//! Times `fit_pulses` (both models, every interval, the population) on a
//! pulse-train file, the file read before the clock starts — the same
//! scope as bench/fit_scipy.py's loop. Prints the best and median of 7.
//!
//! `cargo run --release -p xbar-fit --example bench_fit -- trains.csv`

use std::time::Instant;

use xbar_fit::measurements::PulseData;
use xbar_fit::pulse::{fit_pulses, PulseOptions};

fn main() {
    let path = std::env::args().nth(1).expect("usage: bench_fit FILE");
    let data = PulseData::read(std::path::Path::new(&path)).expect("readable trains");
    let mut times = Vec::new();
    let mut kept = String::new();
    for _ in 0..7 {
        let t = Instant::now();
        let fit = fit_pulses(&data, &PulseOptions::default()).expect("fits");
        times.push(t.elapsed().as_secs_f64());
        kept = fit.chosen.to_string();
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{:.4} {:.4} s (best, median of 7) for {} devices; kept {kept}",
        times[0],
        times[3],
        data.devices.len()
    );
}
