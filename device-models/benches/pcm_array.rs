//! Criterion benchmark of the IBM PCM device model on a whole array.
//!
//! For 1024 × 1024 and 256 × 256 arrays of the `ibm-pcm` preset:
//!
//! * `program+drift+read NxN ibm-pcm`: `DeviceArray::new` + `program` +
//!   `read(1 year)` (the read includes the drift), the pipeline that
//!   `bench/devices.sh` compares with numpy;
//! * `new`, `program`, `drift_to`, `read`: each stage alone, on an array
//!   made (and programmed) outside the timed loop.
//!
//! The targets are one fixed matrix, uniform in [0, 25 µS], drawn once from a
//! seeded RNG outside the timed loop. Throughput is in devices per second.
//! Run with `cargo bench -p xbar-devices` (about a minute);
//! `RAYON_NUM_THREADS` sets the number of threads.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BenchmarkGroup, Criterion, Throughput};
use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xbar_devices::{library, DeviceArray, DeviceSpec};

/// One year (s): the read time of the pipeline.
const YEAR_S: f64 = 3.15576e7;
/// Seed of the arrays.
const SEED: u64 = 42;

/// `rows × cols` targets uniform in [0, g_max], from a seeded RNG.
fn targets(rows: usize, cols: usize, g_max: f64) -> DMatrix<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    DMatrix::from_fn(rows, cols, |_, _| rng.random::<f64>() * g_max)
}

/// A group with modest sample counts so that the whole bench takes about a
/// minute.
fn group<'a>(c: &'a mut Criterion, name: &str, n: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Elements((n * n) as u64));
    g.sample_size(10);
    if n >= 1024 {
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(3));
    } else {
        g.warm_up_time(Duration::from_millis(300));
        g.measurement_time(Duration::from_secs(1));
    }
    g
}

fn bench_size(c: &mut Criterion, pcm: &DeviceSpec, n: usize) {
    let targets = targets(n, n, pcm.g_max.siemens());

    let mut g = group(c, &format!("program+drift+read {n}x{n} ibm-pcm"), n);
    g.bench_function("new+program+read(1 year)", |b| {
        b.iter(|| {
            let mut array = DeviceArray::new(pcm, n, n, SEED).unwrap();
            array.program(&targets).unwrap();
            black_box(array.read(black_box(YEAR_S)).unwrap())
        })
    });
    g.finish();

    let mut g = group(c, &format!("new {n}x{n} ibm-pcm"), n);
    g.bench_function("new", |b| {
        b.iter(|| black_box(DeviceArray::new(pcm, n, n, SEED).unwrap()))
    });
    g.finish();

    let mut array = DeviceArray::new(pcm, n, n, SEED).unwrap();
    let mut g = group(c, &format!("program {n}x{n} ibm-pcm"), n);
    g.bench_function("program", |b| {
        b.iter(|| array.program(black_box(&targets)).unwrap())
    });
    g.finish();

    let mut g = group(c, &format!("drift_to {n}x{n} ibm-pcm"), n);
    g.bench_function("drift_to(1 year)", |b| {
        b.iter(|| black_box(array.drift_to(black_box(YEAR_S)).unwrap()))
    });
    g.finish();

    let mut g = group(c, &format!("read {n}x{n} ibm-pcm"), n);
    g.bench_function("read(1 year)", |b| {
        b.iter(|| black_box(array.read(black_box(YEAR_S)).unwrap()))
    });
    g.finish();
}

fn pcm_array(c: &mut Criterion) {
    let pcm = library::preset("ibm-pcm").expect("ibm-pcm preset");
    for n in [1024, 256] {
        bench_size(c, &pcm, n);
    }
}

criterion_group!(benches, pcm_array);
criterion_main!(benches);
