//! Wall-time of the crossbar solvers, for the side-by-side comparisons of
//! `bench/crossbar.sh` (ngspice, scipy's `splu`).
//!
//! Every array is `N × N` with conductances uniform in [1 µS, 100 µS] and
//! inputs uniform in [0, 0.3] V from a seeded RNG, 2.5 Ω per word-line and
//! bit-line segment, no driver or sense resistance.
//!
//! ```text
//! crossbar_timing exact    --size N --batch B [--reps R] [--export DIR]
//! crossbar_timing transfer --size N --batch B [--reps R]
//! crossbar_timing spice    --size N --dir DIR [--reps R]
//! ```
//! * `exact`: factorise + solve a batch of B vectors (median of R runs;
//!   factorisation and solve also timed apart). `--export` writes the nodal
//!   system (`A` as lower-triangle triplets, the B right-hand sides) and the
//!   currents for `bench/crossbar_peers.py` to solve with scipy and check.
//! * `transfer`: time to build `G_eff`, then to apply it to B vectors.
//! * `spice`: writes `DIR/crossbar.cir` (one input vector, ngspice) and the
//!   currents xbarsim computes for it; times xbarsim on that one vector.
//!
//! Each prints one JSON line. `RAYON_NUM_THREADS` sets the thread count.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde_json::json;
use xbar_crossbar::{spice, Crossbar, ExactSolver, TransferMatrix, Wires};

const R_WIRE_OHM: f64 = 2.5;

struct Args {
    mode: String,
    size: usize,
    batch: usize,
    reps: usize,
    dir: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it
        .next()
        .ok_or("expected a mode: exact, transfer or spice")?;
    let mut args = Args {
        mode,
        size: 64,
        batch: 64,
        reps: 3,
        dir: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().ok_or(format!("{flag} needs a value"))?;
        let number = || {
            value
                .parse::<usize>()
                .map_err(|_| format!("{flag}: not a whole number"))
        };
        match flag.as_str() {
            "--size" => args.size = number()?,
            "--batch" => args.batch = number()?,
            "--reps" => args.reps = number()?.max(1),
            "--export" | "--dir" => args.dir = Some(PathBuf::from(value)),
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(args)
}

fn problem(n: usize, batch: usize) -> (Crossbar, DMatrix<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let g = DMatrix::from_fn(n, n, |_, _| rng.random_range(1e-6..1e-4));
    let v = DMatrix::from_fn(batch, n, |_, _| rng.random_range(0.0..0.3));
    let wires = Wires::new(R_WIRE_OHM, R_WIRE_OHM, 0.0, 0.0).expect("valid wires");
    (Crossbar::new(g, wires).expect("valid array"), v)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn write_f64(path: &std::path::Path, values: impl Iterator<Item = f64>) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for v in values {
        out.write_all(&v.to_le_bytes())?;
    }
    out.flush()
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    let threads = rayon::current_num_threads();
    let n = args.size;
    match args.mode.as_str() {
        "exact" => {
            let (xbar, v) = problem(n, args.batch);
            let (mut factor, mut solve, mut total) = (vec![], vec![], vec![]);
            let mut currents = DMatrix::zeros(0, 0);
            let mut solver = None;
            for _ in 0..args.reps {
                let t0 = Instant::now();
                let s = ExactSolver::new(&xbar)?;
                let t1 = Instant::now();
                currents = s.solve(&v)?;
                let t2 = Instant::now();
                factor.push((t1 - t0).as_secs_f64());
                solve.push((t2 - t1).as_secs_f64());
                total.push((t2 - t0).as_secs_f64());
                solver = Some(s);
            }
            let solver = solver.expect("reps ≥ 1");
            if let Some(dir) = &args.dir {
                std::fs::create_dir_all(dir)?;
                let triplets = solver.nodal_matrix();
                write_f64(&dir.join("rows.f64"), triplets.iter().map(|t| t.0 as f64))?;
                write_f64(&dir.join("cols.f64"), triplets.iter().map(|t| t.1 as f64))?;
                write_f64(&dir.join("vals.f64"), triplets.iter().map(|t| t.2))?;
                let rhs = (0..args.batch).flat_map(|b| {
                    let row: Vec<f64> = v.row(b).iter().copied().collect();
                    solver.nodal_rhs(&row)
                });
                write_f64(&dir.join("rhs.f64"), rhs)?;
                // Row-major B×N currents.
                write_f64(
                    &dir.join("currents.f64"),
                    currents.transpose().iter().copied(),
                )?;
            }
            println!(
                "{}",
                json!({
                    "mode": "exact", "size": n, "batch": args.batch, "reps": args.reps,
                    "threads": threads, "unknowns": solver.unknowns(),
                    "factor_entries": solver.factor_entries(),
                    "factor_s": median(factor), "solve_s": median(solve), "total_s": median(total),
                    "r_wire_ohm": R_WIRE_OHM, "g_sense_S": 1.0 / R_WIRE_OHM,
                })
            );
        }
        "transfer" => {
            let (xbar, v) = problem(n, args.batch);
            let (mut build, mut apply) = (vec![], vec![]);
            for _ in 0..args.reps {
                let t0 = Instant::now();
                let t = TransferMatrix::new(&xbar)?;
                let t1 = Instant::now();
                let currents = t.apply(&v)?;
                let t2 = Instant::now();
                assert!(currents.iter().all(|c| c.is_finite()));
                build.push((t1 - t0).as_secs_f64());
                apply.push((t2 - t1).as_secs_f64());
            }
            let apply_s = median(apply);
            println!(
                "{}",
                json!({
                    "mode": "transfer", "size": n, "batch": args.batch, "reps": args.reps,
                    "threads": threads, "build_s": median(build), "apply_s": apply_s,
                    "per_vector_s": apply_s / args.batch as f64,
                })
            );
        }
        "spice" => {
            let dir = args.dir.ok_or("spice needs --dir")?;
            std::fs::create_dir_all(&dir)?;
            let (xbar, v) = problem(n, 1);
            let input: Vec<f64> = v.row(0).iter().copied().collect();
            let out = dir.join("currents.txt");
            let deck = spice::netlist(&xbar, &input, None, &out.display().to_string());
            std::fs::write(dir.join("crossbar.cir"), deck)?;
            let mut times = vec![];
            let mut currents = DMatrix::zeros(0, 0);
            for _ in 0..args.reps.max(5) {
                let t0 = Instant::now();
                currents = ExactSolver::new(&xbar)?.solve(&v)?;
                times.push(t0.elapsed().as_secs_f64());
            }
            // 64 vectors (the first is the netlist's): factorise once, solve all.
            let (_, batch) = problem(n, 64);
            let mut batched = vec![];
            for _ in 0..args.reps.max(5) {
                let t0 = Instant::now();
                ExactSolver::new(&xbar)?.solve(&batch)?;
                batched.push(t0.elapsed().as_secs_f64() / 64.0);
            }
            let per_vector_batched = median(batched);
            println!(
                "{}",
                json!({
                    "mode": "spice", "size": n, "threads": threads,
                    "one_vector_s": median(times),
                    "per_vector_in_batch_of_64_s": per_vector_batched,
                    "currents_A": currents.iter().copied().collect::<Vec<f64>>(),
                })
            );
        }
        other => {
            return Err(format!("unknown mode {other}: expected exact, transfer or spice").into())
        }
    }
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("crossbar_timing: {e}");
        std::process::exit(2);
    }
}
