//! Programming noise σ(g_T) from target-versus-achieved measurements.
//!
//! The library's programming model ([`xbar_devices::programming`]) writes
//! `g = g_T + σ(g_r)·ξ` with `σ(g_r) = Σₖ cₖ·g_rᵏ`, `g_r = g_T/g_max`
//! (Nandakumar et al., ICECS 2019; IBM PCM: `(0.26348 + 1.9650·g_r −
//! 1.1731·g_r²)` µS). The measurements are grouped by target (each distinct
//! target with at least 3 writes is one group); each group's sample σ_b of
//! `g − g_T` has the standard error `σ_b/√(2(n_b − 1))`; the polynomial is
//! the weighted least-squares fit of the σ_b (weights 1/se², the se from
//! a first fit's σ at the target rather than the group's own) in `g_r`, of
//! degree 2 with at least 4 targets (1 with 2 or 3 targets, 0 with one), with
//! the coefficients' 95 % intervals from the weighted normal equations.
//!
//! Table: `target_S` and `conductance_S` (the achieved conductance), one
//! row per write; other columns (a `device` name) are ignored.
//!
//! ```
//! use xbar_fit::measurements::Table;
//! use xbar_fit::programming::fit_programming;
//!
//! // σ = 0.1 µS at every target: ±0.1 µS around three targets.
//! let mut text = String::from("target_S,conductance_S\n");
//! for t in [5e-6, 10e-6, 20e-6] {
//!     for e in [-1e-7, 1e-7, -1e-7, 1e-7] {
//!         text += &format!("{t:e},{:e}\n", t + e);
//!     }
//! }
//! let fit = fit_programming(&Table::from_csv_text("p.csv", &text, b',').unwrap(), 25e-6).unwrap();
//! assert_eq!(fit.targets.len(), 3);
//! assert!((fit.sigma_poly[0].value - 0.1e-6 * (4.0f64 / 3.0).sqrt()).abs() < 1e-15);
//! ```

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};
use xbar_devices::programming::ProgrammingSpec;

use crate::measurements::{DataError, Table};
use crate::report::{with_ci, Section};
use crate::stats::{mean, std_dev, t975, Estimate};

/// The writes to one target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetGroup {
    /// Target (S).
    pub target_s: f64,
    /// Writes.
    pub writes: usize,
    /// Mean error `g − g_T` (S).
    pub mean_error_s: f64,
    /// Sample σ of the error (S).
    pub sigma_s: f64,
}

/// The programming fit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProgrammingFit {
    /// Per target.
    pub targets: Vec<TargetGroup>,
    /// `c₀, c₁, …` (S) with intervals.
    pub sigma_poly: Vec<Estimate>,
    /// The device file's section.
    pub programming: ProgrammingSpec,
}

/// Fits σ(g_r); `g_max` (S) normalises the targets.
///
/// # Errors
/// Missing columns, bad values (a conductance that is negative or above
/// 1 S), no target written at least 3 times, a target whose writes all
/// read the same conductance (no spread to measure).
pub fn fit_programming(table: &Table, g_max: f64) -> Result<ProgrammingFit, DataError> {
    let what = "one row per write";
    let tcol = table.require("target_S", what)?;
    let gcol = table.require("conductance_S", what)?;
    let mut pairs: Vec<(f64, f64, usize)> = Vec::new();
    for r in 0..table.rows.len() {
        let Some(t) = table.conductance(r, tcol)? else {
            continue;
        };
        let Some(g) = table.conductance(r, gcol)? else {
            continue;
        };
        pairs.push((t, g, table.line(r)));
    }
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut targets = Vec::new();
    let mut i = 0;
    while i < pairs.len() {
        let t = pairs[i].0;
        let mut j = i;
        while j < pairs.len() && pairs[j].0 == t {
            j += 1;
        }
        let errors: Vec<f64> = pairs[i..j].iter().map(|(t, g, _)| g - t).collect();
        if errors.len() >= 3 {
            if errors.iter().all(|e| *e == errors[0]) {
                // No spread: σ = 0 has no standard error to weight it by.
                return Err(DataError::cell(
                    &table.file,
                    pairs[i].2,
                    &table.header[gcol],
                    format!(
                        "all {} writes of target {t:e} S read the same conductance {:e} S: expected the achieved conductances as measured (their spread is the programming noise), not the targets",
                        errors.len(),
                        pairs[i].1
                    ),
                ));
            }
            targets.push(TargetGroup {
                target_s: t,
                writes: errors.len(),
                mean_error_s: mean(&errors),
                sigma_s: std_dev(&errors),
            });
        }
        i = j;
    }
    if targets.is_empty() {
        return Err(DataError::file(
            &table.file,
            "no target written at least 3 times: expected repeated writes of each target to measure σ",
        ));
    }
    let degree = match targets.len() {
        1 => 0,
        2 | 3 => 1,
        _ => 2,
    };
    let k = degree + 1;
    let n = targets.len();
    // Weights 1/se²: first from each group's own σ, then (weights that do
    // not follow the group's noise, which would bias σ down) from the
    // first fit's σ at the group's target.
    let mut weights_sigma: Vec<f64> = targets.iter().map(|g| g.sigma_s).collect();
    let mut x = DMatrix::zeros(n, k);
    let mut y = DVector::zeros(n);
    let mut solved = None;
    for _pass in 0..2 {
        for (b, g) in targets.iter().enumerate() {
            let se = (weights_sigma[b] / (2.0 * (g.writes as f64 - 1.0)).sqrt()).max(1e-300);
            let w = 1.0 / se;
            let gr = g.target_s / g_max;
            for p in 0..k {
                x[(b, p)] = w * gr.powi(p as i32);
            }
            y[b] = w * g.sigma_s;
        }
        let xtx = x.transpose() * &x;
        let Some(inv) = xtx.try_inverse() else {
            return Err(DataError::file(
                &table.file,
                "the targets do not determine the σ polynomial: expected distinct targets",
            ));
        };
        let c = &inv * x.transpose() * &y;
        for (b, g) in targets.iter().enumerate() {
            let gr = g.target_s / g_max;
            let fitted: f64 = (0..k).map(|p| c[p] * gr.powi(p as i32)).sum();
            if fitted > 0.0 {
                weights_sigma[b] = fitted;
            }
        }
        solved = Some((inv, c));
    }
    let (inv, c) = solved.expect("two passes");
    let dof = n.saturating_sub(k);
    // With weights 1/se², the residual scale is 1 when the model holds;
    // inflate by the observed scale when there are degrees of freedom left.
    let resid = &y - &x * &c;
    let scale = if dof > 0 {
        (resid.norm_squared() / dof as f64).max(1.0)
    } else {
        1.0
    };
    let t = if dof > 0 {
        t975(dof)
    } else {
        crate::stats::Z95
    };
    let sigma_poly: Vec<Estimate> = (0..k)
        .map(|p| {
            let se = (inv[(p, p)] * scale).sqrt();
            Estimate {
                value: c[p],
                std_error: se,
                ci_low: c[p] - t * se,
                ci_high: c[p] + t * se,
            }
        })
        .collect();
    Ok(ProgrammingFit {
        targets,
        programming: ProgrammingSpec {
            levels: None,
            sigma_poly: sigma_poly.iter().map(|e| e.value).collect(),
            write_verify: None,
        },
        sigma_poly,
    })
}

impl ProgrammingFit {
    /// The report of the fit of `file`: the polynomial's coefficients with
    /// their intervals.
    pub fn report(&self, file: &str) -> Section {
        let coefficients: Vec<String> = self.sigma_poly.iter().map(with_ci).collect();
        Section::new(
            "programming",
            format!(
                "Programming: {file}, {} targets: σ(g_r) = Σ c_k·g_r^k with c = {} S",
                self.targets.len(),
                coefficients.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fit(text: &str) -> Result<ProgrammingFit, DataError> {
        fit_programming(&Table::from_csv_text("p.csv", text, b',').unwrap(), 25e-6)
    }

    #[test]
    fn achieved_conductances_are_range_checked_at_their_cell() {
        // Before: a negative achieved conductance was fitted, and values
        // in Ω were refused as "not determining the polynomial".
        let e = fit("target_S,conductance_S\n1e-5,1.1e-5\n1e-5,-2e-6\n1e-5,9e-6\n")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "p.csv:3: column `conductance_S`: negative conductance -0.000002: expected a conductance ≥ 0 S"
        );
        let e = fit("target_S,conductance_S\n1e-5,98000\n1e-5,101000\n1e-5,99000\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(
                "p.csv:2: column `conductance_S`: conductance 98000 is above 1 S: expected siemens"
            ),
            "{e}"
        );
    }

    #[test]
    fn writes_without_spread_are_refused_naming_the_file() {
        // Before: σ = 0 weighted the fit by 1/0 and the device came out
        // NaN ("internal error: fitted device: … NaN").
        let mut text = String::from("target_S,conductance_S\n");
        for t in [5e-6, 10e-6, 20e-6] {
            for e in [-1e-7, 1e-7, -1e-7, 1e-7] {
                text += &format!("{t:e},{:e}\n", t + e);
            }
        }
        fit(&text).unwrap();
        for _ in 0..3 {
            text += "4e-6,4e-6\n";
        }
        let e = fit(&text).unwrap_err().to_string();
        assert_eq!(
            e,
            "p.csv:14: column `conductance_S`: all 3 writes of target 4e-6 S read the same conductance 4e-6 S: expected the achieved conductances as measured (their spread is the programming noise), not the targets"
        );
    }
}
