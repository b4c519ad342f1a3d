//! Criterion benchmark of the crossbar solvers.
//!
//! Arrays are N×N with conductances uniform in [1, 100] µS and inputs
//! uniform in [0, 0.3] V (seeded, drawn outside the timed loop), 2.5 Ω per
//! word-line and bit-line segment:
//!
//! * `exact NxN batch 64`: factorise + solve 64 vectors (the figure
//!   `bench/crossbar.sh` compares with scipy's `splu`), N = 64, 256, 512;
//! * `factorise NxN`: [`ExactSolver::new`] alone;
//! * `transfer build 256x256` and `transfer apply 256x256 batch 10000`;
//! * `ideal 256x256 batch 10000`: the dense product, for scale;
//! * `nonlinear sinh 32x32`: one Newton solve (a = 5/V, inputs ≤ 0.3 V).
//!
//! Run with `cargo bench -p xbar-crossbar` (about a minute);
//! `RAYON_NUM_THREADS` sets the number of threads. For the side-by-side
//! comparison with ngspice and scipy, run `bench/crossbar.sh`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xbar_crossbar::{Crossbar, ExactSolver, NewtonOptions, Solver, TransferMatrix, Wires};
use xbar_devices::IvSpec;

fn problem(n: usize, batch: usize) -> (Crossbar, DMatrix<f64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let g = DMatrix::from_fn(n, n, |_, _| rng.random_range(1e-6..1e-4));
    let v = DMatrix::from_fn(batch, n, |_, _| rng.random_range(0.0..0.3));
    let wires = Wires::new(2.5, 2.5, 0.0, 0.0).expect("valid wires");
    (Crossbar::new(g, wires).expect("valid array"), v)
}

fn solvers(c: &mut Criterion) {
    let mut group = c.benchmark_group("crossbar");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3));
    for n in [64, 256, 512] {
        let (xbar, v) = problem(n, 64);
        group.bench_function(format!("exact {n}x{n} batch 64"), |b| {
            b.iter(|| black_box(xbar.solve(&v, Solver::Exact).expect("solves")))
        });
        group.bench_function(format!("factorise {n}x{n}"), |b| {
            b.iter(|| black_box(ExactSolver::new(&xbar).expect("factorises")))
        });
    }
    let (xbar, v) = problem(256, 10_000);
    group.bench_function("transfer build 256x256", |b| {
        b.iter(|| black_box(TransferMatrix::new(&xbar).expect("builds")))
    });
    let t = TransferMatrix::new(&xbar).expect("builds");
    group.bench_function("transfer apply 256x256 batch 10000", |b| {
        b.iter(|| black_box(t.apply(&v).expect("applies")))
    });
    group.bench_function("ideal 256x256 batch 10000", |b| {
        b.iter(|| black_box(xbar.solve(&v, Solver::Ideal).expect("multiplies")))
    });
    let (xbar, v) = problem(32, 1);
    let sinh = IvSpec::Sinh { a_per_volt: 5.0 };
    group.bench_function("nonlinear sinh 32x32", |b| {
        b.iter(|| {
            black_box(
                xbar.solve_nonlinear(&v, &sinh, &NewtonOptions::default())
                    .expect("converges"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, solvers);
criterion_main!(benches);
