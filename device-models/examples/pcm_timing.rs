//! Wall-time of the IBM PCM pipeline, for a like-with-like comparison with
//! `bench/pcm_numpy.py` (run both with `bench/devices.sh`).
//!
//! The pipeline: `DeviceArray::new` + `program(targets)` + `read(1 year)`
//! (the read includes the drift) on an `N × N` array of `ibm-pcm`, with
//! targets uniform in [0, 25 µS] drawn once, outside the timing, from a
//! seeded RNG. It runs `warmup` times untimed, then `reps` times timed, and
//! prints one JSON line: median and min wall time (ms), the thread count,
//! and statistics of the last run (programmed conductance, drift exponent,
//! drifted and read conductance) for the numpy script to check against.
//!
//! ```text
//! cargo run --release -p xbar-devices --example pcm_timing -- [--reps 20] [--warmup 3] [--size 1024] [--seed 42]
//! ```
//! `RAYON_NUM_THREADS` sets the number of threads.

use std::time::Instant;

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xbar_devices::{library, DeviceArray};

/// One year (s).
const YEAR_S: f64 = 3.15576e7;

struct Args {
    reps: usize,
    warmup: usize,
    size: usize,
    seed: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        reps: 20,
        warmup: 3,
        size: 1024,
        seed: 42,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} expects a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag}: `{value}` is not a non-negative integer"))?;
        match flag.as_str() {
            "--reps" => args.reps = number as usize,
            "--warmup" => args.warmup = number as usize,
            "--size" => args.size = number as usize,
            "--seed" => args.seed = number,
            _ => {
                return Err(format!(
                    "unknown option {flag} (--reps, --warmup, --size, --seed)"
                ))
            }
        }
    }
    if args.reps == 0 || args.size == 0 {
        return Err("--reps and --size must be at least 1".into());
    }
    Ok(args)
}

/// `(mean, population standard deviation)`.
fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
    (mean, var.sqrt())
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("pcm_timing: {message}");
            std::process::exit(2);
        }
    };
    let pcm = library::preset("ibm-pcm").expect("ibm-pcm preset");
    let n = args.size;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let g_max = pcm.g_max.siemens();
    let targets = DMatrix::from_fn(n, n, |_, _| rng.random::<f64>() * g_max);

    let pipeline = || {
        let mut array = DeviceArray::new(&pcm, n, n, args.seed).expect("array");
        array.program(&targets).expect("program");
        let read = array.read(YEAR_S).expect("read");
        (array, read)
    };

    for _ in 0..args.warmup {
        std::hint::black_box(pipeline());
    }
    let mut times_ms = Vec::with_capacity(args.reps);
    let mut last = None;
    for _ in 0..args.reps {
        let start = Instant::now();
        let result = std::hint::black_box(pipeline());
        times_ms.push(start.elapsed().as_secs_f64() * 1e3);
        last = Some(result);
    }
    let (array, read) = last.expect("at least one rep");
    times_ms.sort_by(f64::total_cmp);
    let median = if times_ms.len() % 2 == 1 {
        times_ms[times_ms.len() / 2]
    } else {
        0.5 * (times_ms[times_ms.len() / 2 - 1] + times_ms[times_ms.len() / 2])
    };

    let (prog_mean, prog_std) = mean_std(array.conductances().as_slice());
    let (nu_mean, nu_std) = mean_std(array.drift_exponents().as_slice());
    let drifted = array.drift_to(YEAR_S).expect("drift");
    let (drift_mean, drift_std) = mean_std(drifted.as_slice());
    let (read_mean, read_std) = mean_std(read.as_slice());
    println!(
        concat!(
            "{{\"impl\":\"xbarsim\",\"rows\":{n},\"cols\":{n},\"reps\":{reps},\"warmup\":{warmup},",
            "\"threads\":{threads},\"median_ms\":{median:.3},\"min_ms\":{min:.3},",
            "\"stats\":{{\"programmed_mean\":{pm:e},\"programmed_std\":{ps:e},",
            "\"nu_mean\":{nm:e},\"nu_std\":{ns:e},",
            "\"drifted_mean\":{dm:e},\"drifted_std\":{ds:e},",
            "\"read_mean\":{rm:e},\"read_std\":{rs:e}}}}}"
        ),
        n = n,
        reps = args.reps,
        warmup = args.warmup,
        threads = rayon::current_num_threads(),
        median = median,
        min = times_ms[0],
        pm = prog_mean,
        ps = prog_std,
        nm = nu_mean,
        ns = nu_std,
        dm = drift_mean,
        ds = drift_std,
        rm = read_mean,
        rs = read_std,
    );
}
