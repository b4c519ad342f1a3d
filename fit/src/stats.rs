//! Small statistics shared by the fits: intervals, least squares with
//! covariance, information criteria.

use levenberg_marquardt::{LeastSquaresProblem, LevenbergMarquardt};
use nalgebra::{storage::Owned, DMatrix, DVector, Dyn};
use serde::{Deserialize, Serialize};

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A fitted value with its 95 % confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Point estimate.
    pub value: f64,
    /// Standard error (0 when the value is exact, e.g. an observed extreme).
    pub std_error: f64,
    /// Lower end of the 95 % interval.
    pub ci_low: f64,
    /// Upper end of the 95 % interval.
    pub ci_high: f64,
}

impl Estimate {
    /// `value ± 1.96·se` (normal interval).
    pub fn normal(value: f64, se: f64) -> Self {
        Estimate {
            value,
            std_error: se,
            ci_low: value - Z95 * se,
            ci_high: value + Z95 * se,
        }
    }

    /// Whether the interval contains `x`.
    pub fn covers(&self, x: f64) -> bool {
        (self.ci_low..=self.ci_high).contains(&x)
    }

    /// A value with its interval mapped through a monotone function.
    pub fn map(&self, f: impl Fn(f64) -> f64) -> Self {
        let (a, b) = (f(self.ci_low), f(self.ci_high));
        Estimate {
            value: f(self.value),
            std_error: 0.5 * (b - a).abs() / Z95,
            ci_low: a.min(b),
            ci_high: a.max(b),
        }
    }
}

/// The 97.5 % quantile of Student's t with `dof` degrees of freedom
/// (Cornish–Fisher expansion around the normal quantile: 0.7 % below the
/// tables at 3 degrees of freedom, within 0.11 % from 5 on and 1e-4 from 10
/// on).
pub fn t975(dof: usize) -> f64 {
    let z = Z95;
    let n = dof.max(1) as f64;
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * n)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * n * n)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * n * n * n)
}

/// A standard deviation estimated from `dof` degrees of freedom, with the
/// χ² interval (Wilson–Hilferty quantiles).
pub fn sigma_estimate(s: f64, dof: usize) -> Estimate {
    let k = dof.max(1) as f64;
    let q = |z: f64| {
        let c = 2.0 / (9.0 * k);
        (k * (1.0 - c + z * c.sqrt()).powi(3)).max(1e-300)
    };
    let lo = s * (k / q(Z95)).sqrt();
    let hi = s * (k / q(-Z95)).sqrt();
    Estimate {
        value: s,
        std_error: s / (2.0 * k).sqrt(),
        ci_low: lo,
        ci_high: hi,
    }
}

/// Mean of a slice (0 for an empty one).
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        0.0
    } else {
        x.iter().sum::<f64>() / x.len() as f64
    }
}

/// Sample standard deviation (n − 1); 0 below two values.
pub fn std_dev(x: &[f64]) -> f64 {
    if x.len() < 2 {
        return 0.0;
    }
    let m = mean(x);
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
}

/// Median (0 for an empty slice).
pub fn median(x: &[f64]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// AIC and BIC of a least-squares fit with Gaussian errors of one unknown
/// variance: `n·ln(RSS/n) + 2k` and `n·ln(RSS/n) + k·ln n`, `k` counting the
/// variance.
pub fn information_criteria(rss: f64, n: usize, k: usize) -> (f64, f64) {
    let nf = n as f64;
    let ll = nf * (rss.max(1e-300) / nf).ln();
    (ll + 2.0 * k as f64, ll + k as f64 * nf.ln())
}

/// A least-squares model: residuals and Jacobian at parameters `p`.
pub trait Model: Sync {
    /// Number of parameters.
    fn dim(&self) -> usize;
    /// Residuals `y − f(p)`, one per observation.
    fn residuals(&self, p: &[f64], out: &mut Vec<f64>);
    /// ∂r/∂p, row-major `n × dim`.
    fn jacobian(&self, p: &[f64], out: &mut Vec<f64>);
}

struct Problem<'a, M: Model> {
    model: &'a M,
    p: DVector<f64>,
    weights: &'a [f64],
}

impl<M: Model> LeastSquaresProblem<f64, Dyn, Dyn> for Problem<'_, M> {
    type ResidualStorage = Owned<f64, Dyn>;
    type JacobianStorage = Owned<f64, Dyn, Dyn>;
    type ParameterStorage = Owned<f64, Dyn>;

    fn set_params(&mut self, x: &DVector<f64>) {
        self.p.copy_from(x);
    }

    fn params(&self) -> DVector<f64> {
        self.p.clone()
    }

    fn residuals(&self) -> Option<DVector<f64>> {
        let mut r = Vec::new();
        self.model.residuals(self.p.as_slice(), &mut r);
        for (ri, w) in r.iter_mut().zip(self.weights) {
            *ri *= w;
        }
        r.iter()
            .all(|x| x.is_finite())
            .then(|| DVector::from_vec(r))
    }

    fn jacobian(&self) -> Option<DMatrix<f64>> {
        let mut j = Vec::new();
        self.model.jacobian(self.p.as_slice(), &mut j);
        let k = self.p.len();
        let n = j.len() / k;
        for (i, row) in j.chunks_mut(k).enumerate() {
            row.iter_mut().for_each(|x| *x *= self.weights[i]);
        }
        let m = DMatrix::from_row_slice(n, k, &j);
        m.iter().all(|x| x.is_finite()).then_some(m)
    }
}

/// The result of [`least_squares`].
#[derive(Debug, Clone)]
pub struct LsFit {
    /// Parameters at the optimum.
    pub params: Vec<f64>,
    /// Covariance of the parameters (the sandwich estimator, which is
    /// `s²·(JᵀJ)⁻¹` for errors of one variance), row-major; `None` when
    /// singular.
    pub covariance: Option<Vec<f64>>,
    /// Unweighted residual sum of squares.
    pub rss: f64,
    /// Residual standard deviation `√(RSS_w/(n − k))`.
    pub sigma: f64,
    /// Observations.
    pub n: usize,
    /// Residuals at the optimum (unweighted).
    pub residuals: Vec<f64>,
    /// Whether Levenberg–Marquardt reported convergence.
    pub converged: bool,
}

/// Levenberg–Marquardt (the `levenberg-marquardt` crate, MINPACK's method)
/// from `start`; with `robust`, Huber weights (`k = 1.345·σ̂`, σ̂ from the
/// median absolute residual) by iteratively reweighted least squares.
pub fn least_squares<M: Model>(model: &M, start: &[f64], robust: bool) -> LsFit {
    let mut r = Vec::new();
    model.residuals(start, &mut r);
    let n = r.len();
    let k = model.dim();
    let mut weights = vec![1.0; n];
    let mut p = start.to_vec();
    let mut converged = true;
    let rounds = if robust { 6 } else { 1 };
    for round in 0..rounds {
        if round > 0 {
            model.residuals(&p, &mut r);
            let abs: Vec<f64> = r.iter().map(|x| x.abs()).collect();
            let scale = (median(&abs) / 0.6745).max(1e-300);
            let c = 1.345 * scale;
            for (w, ri) in weights.iter_mut().zip(&r) {
                *w = if ri.abs() <= c {
                    1.0
                } else {
                    (c / ri.abs()).sqrt()
                };
            }
        }
        let problem = Problem {
            model,
            p: DVector::from_vec(p.clone()),
            weights: &weights,
        };
        let (done, report) = LevenbergMarquardt::new()
            .with_patience(200)
            .minimize(problem);
        converged = report.termination.was_successful() && done.p.iter().all(|x| x.is_finite());
        p = done.p.as_slice().to_vec();
    }
    model.residuals(&p, &mut r);
    let rss: f64 = r.iter().map(|x| x * x).sum();
    let rss_w: f64 = r.iter().zip(&weights).map(|(x, w)| (x * w).powi(2)).sum();
    let dof = n.saturating_sub(k).max(1);
    let sigma = (rss_w / dof as f64).sqrt();
    let mut j = Vec::new();
    model.jacobian(&p, &mut j);
    let mut jw = DMatrix::from_row_slice(n, k, &j);
    for (i, w) in weights.iter().enumerate() {
        jw.row_mut(i).scale_mut(*w * *w);
    }
    let jm = DMatrix::from_row_slice(n, k, &j);
    let info = jm.transpose() * &jw;
    // Sandwich (White 1980, HC1): B⁻¹·(Σ w⁴rᵢ²·jᵢjᵢᵀ)·B⁻¹·n/(n − k), valid
    // when the noise is not of one variance (multiplicative C2C, the clamp
    // near the bounds); equal to s²·B⁻¹ when it is.
    let mut meat = DMatrix::<f64>::zeros(k, k);
    for (i, ri) in r.iter().enumerate() {
        let row = jw.row(i);
        let ri2 = ri * ri;
        for a in 0..k {
            for b in 0..k {
                meat[(a, b)] += ri2 * row[a] * row[b];
            }
        }
    }
    let scale = n as f64 / dof as f64;
    let covariance = info.try_inverse().and_then(|inv| {
        let cov = &inv * meat * &inv * scale;
        let c: Vec<f64> = cov.transpose().as_slice().to_vec();
        let diag_ok = (0..k).all(|i| c[i * k + i].is_finite() && c[i * k + i] >= 0.0);
        diag_ok.then_some(c)
    });
    LsFit {
        params: p,
        covariance,
        rss,
        sigma,
        n,
        residuals: r,
        converged,
    }
}

impl LsFit {
    /// Standard error of parameter `i` (∞ when the covariance is singular).
    pub fn se(&self, i: usize) -> f64 {
        let k = self.params.len();
        self.covariance
            .as_ref()
            .map_or(f64::INFINITY, |c| c[i * k + i].sqrt())
    }

    /// Estimate of a function of the parameters, its standard error by the
    /// delta method (central differences).
    pub fn derived(&self, f: impl Fn(&[f64]) -> f64) -> Estimate {
        let value = f(&self.params);
        let k = self.params.len();
        let Some(cov) = &self.covariance else {
            return Estimate::normal(value, f64::INFINITY);
        };
        let mut grad = vec![0.0; k];
        for (i, g) in grad.iter_mut().enumerate() {
            let h = 1e-6 * self.params[i].abs().max(1e-4);
            let mut p = self.params.clone();
            p[i] += h;
            let up = f(&p);
            p[i] -= 2.0 * h;
            let down = f(&p);
            *g = (up - down) / (2.0 * h);
        }
        let mut var = 0.0;
        for i in 0..k {
            for j in 0..k {
                var += grad[i] * cov[i * k + j] * grad[j];
            }
        }
        // A derivative that leaves the model's domain (a branch at the edge
        // of reaching its bound) leaves the value without an interval.
        let se = if var.is_finite() {
            var.max(0.0).sqrt()
        } else {
            f64::INFINITY
        };
        Estimate::normal(value, se)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// y = a·x + b: the estimates equal ordinary least squares and the
    /// covariance the sandwich's closed form.
    struct Line<'a>(&'a [f64], &'a [f64]);
    impl Model for Line<'_> {
        fn dim(&self) -> usize {
            2
        }
        fn residuals(&self, p: &[f64], out: &mut Vec<f64>) {
            out.clear();
            out.extend(self.0.iter().zip(self.1).map(|(x, y)| y - p[0] * x - p[1]));
        }
        fn jacobian(&self, _p: &[f64], out: &mut Vec<f64>) {
            out.clear();
            for x in self.0 {
                out.extend([-x, -1.0]);
            }
        }
    }

    #[test]
    fn linear_fit_matches_the_closed_form() {
        let x = [0.0, 1.0, 2.0, 3.0, 4.0];
        let y = [0.1, 0.9, 2.2, 2.8, 4.1];
        let fit = least_squares(&Line(&x, &y), &[0.0, 0.0], false);
        // Closed form: sxx = 10, slope = Σ(x−2)(y−ȳ)/10.
        let yb = y.iter().sum::<f64>() / 5.0;
        let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - 2.0) * (b - yb)).sum();
        let slope = sxy / 10.0;
        let icpt = yb - 2.0 * slope;
        assert!((fit.params[0] - slope).abs() < 1e-10);
        assert!((fit.params[1] - icpt).abs() < 1e-10);
        // HC1 sandwich in closed form: (XᵀX)⁻¹·(Σ rᵢ²·xᵢxᵢᵀ)·(XᵀX)⁻¹·n/(n − k),
        // rows xᵢ = (xᵢ, 1); XᵀX = [[30, 10], [10, 5]], det 50.
        let inv = [[5.0 / 50.0, -10.0 / 50.0], [-10.0 / 50.0, 30.0 / 50.0]];
        let mut meat = [[0.0; 2]; 2];
        for (a, b) in x.iter().zip(&y) {
            let r2 = (b - slope * a - icpt).powi(2);
            let row = [*a, 1.0];
            for (i, ri) in row.iter().enumerate() {
                for (j, rj) in row.iter().enumerate() {
                    meat[i][j] += r2 * ri * rj;
                }
            }
        }
        let var = |i: usize| {
            let mut v = 0.0;
            for k in 0..2 {
                for l in 0..2 {
                    v += inv[i][k] * meat[k][l] * inv[l][i];
                }
            }
            v * 5.0 / 3.0
        };
        assert!((fit.se(0) - var(0).sqrt()).abs() < 1e-10);
        assert!((fit.se(1) - var(1).sqrt()).abs() < 1e-10);
    }

    #[test]
    fn t_quantiles_match_tables() {
        for (dof, t, tol) in [
            (3, 3.1824, 8e-3),
            (5, 2.5706, 1.2e-3),
            (10, 2.2281, 1e-4),
            (19, 2.0930, 1e-4),
            (100, 1.9840, 1e-4),
        ] {
            assert!((t975(dof) / t - 1.0).abs() < tol, "{dof}: {}", t975(dof));
        }
    }

    #[test]
    fn chi_square_interval_matches_tables() {
        // χ²(100): 2.5 % = 74.222, 97.5 % = 129.561.
        let e = sigma_estimate(1.0, 100);
        assert!((e.ci_low - (100.0f64 / 129.561).sqrt()).abs() < 1e-3);
        assert!((e.ci_high - (100.0f64 / 74.222).sqrt()).abs() < 1e-3);
    }
}
