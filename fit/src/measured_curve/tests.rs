use super::*;
use rand::{Rng, SeedableRng};

/// The dense binning this module used before: one vector per bin (so
/// `bins` = 10⁹ allocated 24 GB), the oracle for the sparse one.
fn dense(steps: &[&UStep], lo: f64, hi: f64, bins: usize) -> (StepTable, usize) {
    let bins = bins.max(1);
    let (lo, hi) = if hi > lo {
        (lo, hi)
    } else {
        (lo - 1e-6, hi + 1e-6)
    };
    let w = (hi - lo) / bins as f64;
    let mut members: Vec<Vec<f64>> = vec![Vec::new(); bins];
    for s in steps {
        let i = (((s.u0 - lo) / w).floor().max(0.0) as usize).min(bins - 1);
        members[i].push(s.u1 - s.u0);
    }
    let mut groups: Vec<(usize, usize, Vec<f64>)> = Vec::new();
    let mut open: Option<(usize, usize, Vec<f64>)> = None;
    for (i, m) in members.into_iter().enumerate() {
        let mut g = open.take().unwrap_or((i, i, Vec::new()));
        g.1 = i;
        g.2.extend(m);
        if g.2.len() >= MIN_STEPS_PER_BIN {
            groups.push(g);
        } else {
            open = Some(g);
        }
    }
    if let Some(g) = open {
        match groups.last_mut() {
            Some(last) => {
                last.1 = g.1;
                last.2.extend(g.2);
            }
            None => groups.push(g),
        }
    }
    let merged = bins - groups.len();
    let mut edges = vec![lo];
    let (mut dg, mut sigma) = (Vec::new(), Vec::new());
    for (_, last, v) in &groups {
        edges.push(if *last == bins - 1 {
            hi
        } else {
            lo + w * (*last + 1) as f64
        });
        let m = if v.is_empty() { 0.0 } else { mean(v) };
        let s = if v.len() > 1 {
            (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
        } else {
            0.0
        };
        dg.push(m);
        sigma.push(s);
    }
    (
        StepTable {
            edges_s: edges,
            dg_s: dg,
            sigma_s: sigma,
        },
        merged,
    )
}

fn steps(n: usize, seed: u64) -> Vec<UStep> {
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n)
        .map(|i| {
            // Clustered starts, so that some bins are empty and some full.
            let u0: f64 = if i % 3 == 0 {
                rng.random::<f64>() * 0.2
            } else {
                0.5 + rng.random::<f64>() * 0.5
            };
            {
                let u1 = u0 + rng.random::<f64>() * 0.05;
                UStep {
                    u0,
                    u1,
                    up: true,
                    turn: false,
                    device: 0,
                    spread: u1 - u0,
                }
            }
        })
        .collect()
}

fn same(a: &(StepTable, usize), b: &(StepTable, usize)) {
    assert_eq!(a.1, b.1);
    let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(&a.0.edges_s), bits(&b.0.edges_s));
    assert_eq!(bits(&a.0.dg_s), bits(&b.0.dg_s));
    assert_eq!(bits(&a.0.sigma_s), bits(&b.0.sigma_s));
}

#[test]
fn sparse_binning_is_bit_identical_to_one_vector_per_bin() {
    for (n, seed) in [(0, 1), (3, 2), (4, 3), (5, 4), (37, 5), (400, 6)] {
        let all = steps(n, seed);
        let refs: Vec<&UStep> = all.iter().collect();
        for bins in [0, 1, 2, 7, 20, 50, 333, 10_000] {
            for (lo, hi) in [(0.0, 1.0), (0.1, 0.9), (0.5, 0.5)] {
                same(&bin_table(&refs, lo, hi, bins), &dense(&refs, lo, hi, bins));
            }
        }
    }
}

#[test]
fn a_huge_bin_count_costs_no_memory() {
    // Before: `vec![Vec::new(); bins]`, 24 GB for 10⁹ bins.
    let all = steps(200, 7);
    let refs: Vec<&UStep> = all.iter().collect();
    let (table, merged) = bin_table(&refs, 0.0, 1.0, 1_000_000_000);
    assert_eq!(merged, 1_000_000_000 - table.dg_s.len());
    assert!(table.dg_s.len() <= 200 / MIN_STEPS_PER_BIN);
    let (table, _) = bin_table(&refs, 0.0, 1.0, usize::MAX);
    assert_eq!(table.edges_s.len(), table.dg_s.len() + 1);
}
