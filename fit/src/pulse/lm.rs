//! Levenberg–Marquardt for the pulse fits: a few parameters (`K` = 2 or 4)
//! over many steps, on the normal equations.
//!
//! The pulse models have two or four parameters and hundreds to thousands
//! of observations, so each iteration needs only the `K × K` sums
//! `A = Σ wᵢ²·jᵢjᵢᵀ` and `g = Σ wᵢ²·rᵢ·jᵢ` (`jᵢ = ∂rᵢ/∂p`, the analytic
//! gradient of one row), gathered in one pass without storing the Jacobian,
//! and the step solves `(A + λ·diag A)·δ = −g` (Marquardt 1963, the scaled
//! damping of MINPACK's method; `λ` divided by 10 after a step that lowers
//! `Σ wᵢ²·rᵢ²`, multiplied by 10 after one that does not, as Marquardt's). The pass that evaluates a
//! trial point also gathers its sums, so an accepted step costs one pass.
//! It stops when the next step is below `XTOL` in MINPACK's scaled norm —
//! the optimum the general solver of [`crate::stats::least_squares`] (the
//! `levenberg-marquardt` crate, QR of the stored `n × K` Jacobian) reaches;
//! the pulse module's tests compare the two on fixed seeds. Where the
//! optimum sits on a kink of the objective (a clamp), a row may count as
//! free for one solver and clamped for the other, which moves a standard
//! error by up to one row's share.
//!
//! The same pass gathers the sandwich's middle `Σ wᵢ⁴·rᵢ²·jᵢjᵢᵀ` and the
//! unweighted `Σ rᵢ²`, so the covariance needs no further pass.

use nalgebra::SMatrix;

/// Relative step below which the iteration has converged: the fitted values
/// then move by far less than their standard errors (the pulse module's
/// tests compare them with the general solver's to 0.5 % of one).
const XTOL: f64 = 1e-10;
/// Most passes over the rows (MINPACK's default for two to four
/// parameters is 200·(K + 1)).
const MAX_PASSES: usize = 400;

/// The rows of a least-squares problem in `K` parameters.
pub(super) trait Rows<const K: usize> {
    /// Observations.
    fn len(&self) -> usize;
    /// Residual `yᵢ − fᵢ(p)` and its gradient `∂rᵢ/∂p`.
    fn row(&self, p: &[f64; K], i: usize) -> (f64, [f64; K]);
    /// Residual alone.
    fn residual(&self, p: &[f64; K], i: usize) -> f64 {
        self.row(p, i).0
    }
}

/// The sums of one pass at one point.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sums<const K: usize> {
    /// `Σ wᵢ²·jᵢjᵢᵀ`.
    pub info: [[f64; K]; K],
    /// `Σ wᵢ²·rᵢ·jᵢ`.
    pub grad: [f64; K],
    /// `Σ wᵢ⁴·rᵢ²·jᵢjᵢᵀ` (the sandwich's middle).
    pub meat: [[f64; K]; K],
    /// `Σ wᵢ²·rᵢ²`, the minimised sum.
    pub ss_w: f64,
    /// `Σ rᵢ²`.
    pub rss: f64,
    /// Rows.
    pub n: usize,
}

impl<const K: usize> Sums<K> {
    /// One pass over the rows at `p` with optional weights (`wᵢ` multiplies
    /// residual `i`, as in [`crate::stats::least_squares`]).
    pub fn at<R: Rows<K>>(rows: &R, p: &[f64; K], weights: Option<&[f64]>) -> Self {
        let mut s = Sums {
            info: [[0.0; K]; K],
            grad: [0.0; K],
            meat: [[0.0; K]; K],
            ss_w: 0.0,
            rss: 0.0,
            n: rows.len(),
        };
        for i in 0..rows.len() {
            let (r, j) = rows.row(p, i);
            let w2 = weights.map_or(1.0, |w| w[i] * w[i]);
            let r2 = r * r;
            s.rss += r2;
            s.ss_w += w2 * r2;
            let m = w2 * w2 * r2;
            for a in 0..K {
                s.grad[a] += w2 * r * j[a];
                for b in 0..=a {
                    s.info[a][b] += w2 * j[a] * j[b];
                    s.meat[a][b] += m * j[a] * j[b];
                }
            }
        }
        for a in 0..K {
            for b in a + 1..K {
                s.info[a][b] = s.info[b][a];
                s.meat[a][b] = s.meat[b][a];
            }
        }
        s
    }

    /// Whether every sum is finite.
    fn finite(&self) -> bool {
        self.ss_w.is_finite()
            && self.grad.iter().all(|x| x.is_finite())
            && self.info.iter().flatten().all(|x| x.is_finite())
    }

    /// The sandwich covariance `A⁻¹·M·A⁻¹·scale`, row-major; `None` when `A`
    /// is singular or a variance is not a finite non-negative number.
    pub fn sandwich(&self, scale: f64) -> Option<[[f64; K]; K]> {
        let a = SMatrix::<f64, K, K>::from_fn(|i, j| self.info[i][j]);
        let m = SMatrix::<f64, K, K>::from_fn(|i, j| self.meat[i][j]);
        let inv = a.try_inverse()?;
        let cov = inv * m * inv * scale;
        let ok = (0..K).all(|i| cov[(i, i)].is_finite() && cov[(i, i)] >= 0.0);
        ok.then(|| std::array::from_fn(|i| std::array::from_fn(|j| cov[(i, j)])))
    }
}

/// The optimum of [`minimize`].
#[derive(Debug, Clone, Copy)]
pub(super) struct Solved<const K: usize> {
    /// Parameters.
    pub p: [f64; K],
    /// The sums at `p`.
    pub sums: Sums<K>,
    /// Whether a convergence test was met with finite parameters.
    pub converged: bool,
    /// The damping at the end: small where the last steps were plain
    /// Gauss–Newton steps (a smooth optimum), large where steps across a
    /// kink of the objective kept failing.
    pub lambda: f64,
}

/// Minimises `Σ wᵢ²·rᵢ(p)²` from `start` (Levenberg–Marquardt, see the
/// module docs).
pub(super) fn minimize<const K: usize, R: Rows<K>>(
    rows: &R,
    start: [f64; K],
    weights: Option<&[f64]>,
) -> Solved<K> {
    let mut p = start;
    let mut sums = Sums::at(rows, &p, weights);
    if !sums.finite() {
        return Solved {
            p,
            sums,
            converged: false,
            lambda: f64::INFINITY,
        };
    }
    let mut lambda = 1e-3;
    for _ in 0..MAX_PASSES {
        // (A + λ·diag A)·δ = −g; a zero diagonal entry (a parameter no row
        // depends on) makes the problem singular.
        if (0..K).any(|i| sums.info[i][i] <= 0.0) {
            break;
        }
        let a = SMatrix::<f64, K, K>::from_fn(|i, j| {
            sums.info[i][j] * if i == j { 1.0 + lambda } else { 1.0 }
        });
        let g = SMatrix::<f64, K, 1>::from_fn(|i, _| -sums.grad[i]);
        let Some(delta) = a.cholesky().map(|c| c.solve(&g)) else {
            lambda *= 10.0;
            continue;
        };
        // MINPACK's test on the scaled norm, ‖D·δ‖ ≤ XTOL·‖D·p‖ with
        // D = √diag A: a step that small changes nothing that matters, so
        // it is not even evaluated.
        let (mut dd, mut dp) = (0.0, 0.0);
        for i in 0..K {
            dd += sums.info[i][i] * delta[i] * delta[i];
            dp += sums.info[i][i] * p[i] * p[i];
        }
        if dd <= XTOL * XTOL * dp {
            return Solved {
                p,
                sums,
                converged: p.iter().all(|x| x.is_finite()),
                lambda,
            };
        }
        let trial: [f64; K] = std::array::from_fn(|i| p[i] + delta[i]);
        let t = Sums::at(rows, &trial, weights);
        if t.finite() && t.ss_w <= sums.ss_w {
            p = trial;
            sums = t;
            lambda = (lambda / 10.0).max(1e-15);
        } else {
            lambda *= 10.0;
        }
    }
    Solved {
        p,
        sums,
        converged: false,
        lambda,
    }
}
