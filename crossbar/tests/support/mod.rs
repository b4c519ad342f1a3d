//! Helpers shared by the integration tests `ngspice.rs` and
//! `properties.rs`: seeded random arrays and input batches, the ideal
//! product written out as a plain loop (an oracle independent of the
//! crate's GEMM), and relative error measures.

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use nalgebra::DMatrix;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use xbar_crossbar::{NodeVoltages, Wires};

/// The tests' random number generator, seeded so that every run sees the
/// same arrays.
pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// An `m×n` matrix with entries uniform in `[lo, hi)`.
pub fn uniform(rng: &mut impl Rng, m: usize, n: usize, lo: f64, hi: f64) -> DMatrix<f64> {
    DMatrix::from_fn(m, n, |_, _| rng.random_range(lo..hi))
}

/// Conductances uniform in `[lo, hi)` S, with each cell set to exactly 0
/// (an unprogrammed or stuck-off cell) with probability `p_zero`.
pub fn conductances(
    rng: &mut impl Rng,
    m: usize,
    n: usize,
    lo: f64,
    hi: f64,
    p_zero: f64,
) -> DMatrix<f64> {
    DMatrix::from_fn(m, n, |_, _| {
        if p_zero > 0.0 && rng.random_bool(p_zero) {
            0.0
        } else {
            rng.random_range(lo..hi)
        }
    })
}

/// `I[b, j] = Σ_i V[b, i]·G[i, j]`, by three nested loops.
pub fn ideal_product(inputs: &DMatrix<f64>, g: &DMatrix<f64>) -> DMatrix<f64> {
    assert_eq!(
        inputs.ncols(),
        g.nrows(),
        "input width must equal the rows of G"
    );
    let mut out = DMatrix::zeros(inputs.nrows(), g.ncols());
    for b in 0..inputs.nrows() {
        for j in 0..g.ncols() {
            let mut sum = 0.0;
            for i in 0..g.nrows() {
                sum += inputs[(b, i)] * g[(i, j)];
            }
            out[(b, j)] = sum;
        }
    }
    out
}

/// Largest absolute entry.
pub fn amax(values: impl IntoIterator<Item = f64>) -> f64 {
    values.into_iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

/// `max |a − b| / max |reference|` over two equally long sequences (the
/// absolute difference when the reference is all zero).
pub fn rel_err(
    actual: impl IntoIterator<Item = f64>,
    reference: impl IntoIterator<Item = f64>,
) -> f64 {
    let actual: Vec<f64> = actual.into_iter().collect();
    let reference: Vec<f64> = reference.into_iter().collect();
    assert_eq!(
        actual.len(),
        reference.len(),
        "compared sequences differ in length"
    );
    assert!(
        actual.iter().chain(&reference).all(|v| v.is_finite()),
        "non-finite value among the compared values"
    );
    let diff = amax(actual.iter().zip(&reference).map(|(a, r)| a - r));
    let scale = amax(reference.iter().copied());
    if scale > 0.0 {
        diff / scale
    } else {
        diff
    }
}

/// [`rel_err`] of one row of two matrices of equal shape.
pub fn row_rel_err(actual: &DMatrix<f64>, reference: &DMatrix<f64>, row: usize) -> f64 {
    assert_eq!(actual.shape(), reference.shape(), "shapes differ");
    rel_err(
        actual.row(row).iter().copied(),
        reference.row(row).iter().copied(),
    )
}

/// The largest [`row_rel_err`] over all rows (each vector of a batch is
/// judged against its own largest current).
pub fn batch_rel_err(actual: &DMatrix<f64>, reference: &DMatrix<f64>) -> f64 {
    assert_eq!(actual.shape(), reference.shape(), "shapes differ");
    (0..actual.nrows())
        .map(|b| row_rel_err(actual, reference, b))
        .fold(0.0, f64::max)
}

/// The largest current imbalance at any node of the circuit drawn in
/// `xbar_crossbar::circuit`, computed from the node voltages element by
/// element, and the largest current in any element (the scale). With a
/// zero wire resistance the line must be one node (all its voltages
/// equal), and with a zero end resistance too it must sit at the source's
/// voltage (word line) or at 0 V (bit line). The port currents are checked
/// against the element currents as well.
///
/// The scale is at least `1e-6·max|V|·max(element conductance)`, so that
/// against a tolerance of `1e-9·scale` rounding of the node voltages
/// (`ε·max|V|` times a conductance) still passes where every true current
/// is zero (open cells) and the currents found are rounding noise.
pub fn kcl_imbalance(g: &DMatrix<f64>, w: &Wires, v: &[f64], nv: &NodeVoltages) -> (f64, f64) {
    let (m, n) = g.shape();
    let (wl, bl) = (&nv.wordline, &nv.bitline);
    let cell = |i: usize, j: usize| g[(i, j)] * (wl[(i, j)] - bl[(i, j)]);
    let mut worst = 0.0f64;
    let mut scale = 0.0f64;
    let mut note = |imbalance: f64, currents: &[f64]| {
        worst = worst.max(imbalance.abs());
        scale = scale.max(amax(currents.iter().copied()));
    };
    for i in 0..m {
        let cells: Vec<f64> = (0..n).map(|j| cell(i, j)).collect();
        let drive = if w.r_wordline > 0.0 {
            let seg = |j: usize| (wl[(i, j - 1)] - wl[(i, j)]) / w.r_wordline;
            let drive = (v[i] - wl[(i, 0)]) / (w.r_source + w.r_wordline);
            for (j, &c) in cells.iter().enumerate() {
                let inflow = if j == 0 { drive } else { seg(j) };
                let outflow = if j + 1 < n { seg(j + 1) } else { 0.0 };
                note(inflow - outflow - c, &[inflow, outflow, c]);
            }
            drive
        } else {
            assert!(
                (0..n).all(|j| wl[(i, j)] == wl[(i, 0)]),
                "word line {i} has no resistance but differing voltages"
            );
            if w.r_source > 0.0 {
                let drive = (v[i] - wl[(i, 0)]) / w.r_source;
                note(drive - cells.iter().sum::<f64>(), &[drive]);
                note(0.0, &cells);
                drive
            } else {
                assert_eq!(
                    wl[(i, 0)],
                    v[i],
                    "word line {i} is not at its source voltage"
                );
                cells.iter().sum()
            }
        };
        note(nv.source_currents[i] - drive, &[drive]);
    }
    for j in 0..n {
        let cells: Vec<f64> = (0..m).map(|i| cell(i, j)).collect();
        let sense = if w.r_bitline > 0.0 {
            let seg = |i: usize| (bl[(i - 1, j)] - bl[(i, j)]) / w.r_bitline;
            let sense = bl[(m - 1, j)] / (w.r_bitline + w.r_sense);
            for (i, &c) in cells.iter().enumerate() {
                let inflow = c + if i > 0 { seg(i) } else { 0.0 };
                let outflow = if i + 1 < m { seg(i + 1) } else { sense };
                note(inflow - outflow, &[inflow, outflow, c]);
            }
            sense
        } else {
            assert!(
                (0..m).all(|i| bl[(i, j)] == bl[(0, j)]),
                "bit line {j} has no resistance but differing voltages"
            );
            if w.r_sense > 0.0 {
                let sense = bl[(0, j)] / w.r_sense;
                note(sense - cells.iter().sum::<f64>(), &[sense]);
                note(0.0, &cells);
                sense
            } else {
                assert_eq!(bl[(0, j)], 0.0, "bit line {j} is not at virtual ground");
                cells.iter().sum()
            }
        };
        note(nv.sense_currents[j] - sense, &[sense]);
    }
    let g_max = [w.r_wordline, w.r_bitline, w.r_source, w.r_sense]
        .iter()
        .filter(|&&r| r > 0.0)
        .map(|r| 1.0 / r)
        .chain(g.iter().copied())
        .fold(0.0, f64::max);
    (worst, scale.max(1e-6 * amax(v.iter().copied()) * g_max))
}
