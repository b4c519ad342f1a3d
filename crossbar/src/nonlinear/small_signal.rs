//! The small-signal network of a tile of cells whose current is not
//! `g·h(V)` (an access device in series), with wires: its outputs as
//! linear maps of the inputs' separable terms, found by adjoint solves.
//!
//! **The model.** Cell `(i, j)` is linearised about its ideal-wire
//! operating point `(V_w, V_b) = (Vᵢ, 0)` with its partials `aᵢⱼ = ∂I/∂V_w`,
//! `bᵢⱼ = ∂I/∂V_b` taken at the read voltage, `(V_read, 0)`:
//! `Iᵢⱼ ≈ sᵢⱼ + aᵢⱼ·(V_w − Vᵢ) + bᵢⱼ·V_b`, with `sᵢⱼ = I(gᵢⱼ, Vᵢ, 0) ≈
//! Σₖ aₖ(gᵢⱼ)·bₖ(Vᵢ)` ([`super::expansion`]). Kirchhoff's law at the
//! unknown nodes is then linear, `J·x = r(V, s)`, with `J` the Newton
//! Jacobian at that point (wires, and the cells' partials, not symmetric
//! for a transistor) and `r` linear in `V` and `s`.
//!
//! **The outputs.** Every output `o` (a bit-line current, a source
//! current) is `pₒᵀ·x` plus terms in `V` and `s` directly, so
//! `o = yₒᵀ·r(V, s) + …` with `Jᵀ·yₒ = pₒ`: one transposed solve per output
//! (`N + M`), not one per input term (`M·(K + 1)`). Collecting the
//! coefficients gives, per word line `i`, `o = Σᵢ Vᵢ·Dₒᵢ + Σᵢ Σₖ bₖ(Vᵢ)·Rₒᵢₖ`
//! with `Rₒᵢₖ = Σⱼ aₖ(gᵢⱼ)·Sₒᵢⱼ`, `Sₒᵢⱼ` the output's sensitivity to a
//! unit current source across cell `(i, j)`.
//!
//! This is the two-terminal [`super::CellArray::linearised`] read for any
//! cell: for a cell `g·h(V)` (one term) it is the same network and gives
//! the same first-order currents.

use faer::linalg::solvers::Solve;
use faer::Mat;
use nalgebra::DMatrix;
use xbar_devices::Cell;

use super::expansion::Expansion;
use crate::error::Result;
use crate::nodal::{FullPattern, Nodal, Terminal};

/// Outputs solved together (columns of one transposed solve).
const BLOCK: usize = 64;

/// The outputs of a tile's small-signal network as maps of its inputs.
pub(crate) struct SmallSignal {
    /// Terms `K` of the expansion.
    pub terms: usize,
    /// Bit-line currents: for word line `i`, `K + 1` rows of `N`
    /// coefficients, `D` then `R₀ … R_{K−1}`:
    /// `sense[(i·(K + 1) + c)·N + j]`.
    pub sense: Vec<f64>,
    /// Source currents, the same layout over the `M` sources.
    pub source: Vec<f64>,
}

impl SmallSignal {
    /// The maps of the tile `g` (S, M×N) of `cell` on the network `nodal`
    /// (with its full pattern), linearised at `v_read` volts, its cells'
    /// currents expanded by `expansion`.
    ///
    /// # Errors
    /// A Jacobian that cannot be factorised.
    pub(crate) fn new(
        nodal: &Nodal,
        full: &FullPattern,
        g: &DMatrix<f64>,
        cell: &Cell,
        v_read: f64,
        expansion: &Expansion,
    ) -> Result<SmallSignal> {
        let net = &nodal.net;
        let (m, n, nodes) = (net.m, net.n, nodal.nodes());
        let k_count = expansion.terms();
        let stride = k_count + 1;
        let partials: Vec<(f64, f64)> = (0..m * n)
            .map(|c| {
                let p = cell.current(g[(c / n, c % n)], v_read, 0.0);
                (p.d_wordline, p.d_bitline)
            })
            .collect();
        let lu = nodal.lu(full, &nodal.full_values(full, |i, j| partials[i * n + j]))?;
        let row_major: Vec<f64> = (0..m * n).map(|c| g[(c / n, c % n)]).collect();
        let a_k = expansion.tile(&row_major, n);
        let node = |t: Terminal| match t {
            Terminal::Node(k) => Some(k),
            _ => None,
        };
        let mut sense = vec![0.0; m * stride * n];
        let mut source = vec![0.0; m * stride * m];
        let outputs = n + m;
        for start in (0..outputs).step_by(BLOCK) {
            let width = BLOCK.min(outputs - start);
            // The probes: output o is pₒᵀ·x + (direct terms).
            let mut y = Mat::<f64>::zeros(nodes, width);
            for c in 0..width {
                let o = start + c;
                if o < n {
                    match net.sense(o) {
                        Some((k, gs)) => y[(k, c)] = gs,
                        None => {
                            // Bit line at ground: Σᵢ sᵢⱼ + aᵢⱼ·(V_w − Vᵢ).
                            for i in 0..m {
                                if let Some(w) = node(net.wl(i, o)) {
                                    y[(w, c)] += partials[i * n + o].0;
                                }
                            }
                        }
                    }
                } else {
                    let l = o - n;
                    match net.drive(l) {
                        Some((k, gd)) => y[(k, c)] = -gd,
                        None => {
                            // Word line held at V_l: Σⱼ s_lj + b_lj·V_b.
                            for j in 0..n {
                                if let Some(b) = node(net.bl(l, j)) {
                                    y[(b, c)] += partials[l * n + j].1;
                                }
                            }
                        }
                    }
                }
            }
            if nodes > 0 {
                lu.solve_transpose_in_place(y.as_mut());
            }
            for c in 0..width {
                let o = start + c;
                let y = y.col(c);
                let at = |t: Terminal| node(t).map_or(0.0, |k| y[k]);
                for i in 0..m {
                    // Coefficient of Vᵢ: through the drive, and the −aᵢⱼ·Vᵢ
                    // of each cell on a word line of nodes.
                    let mut d = net.drive(i).map_or(0.0, |(k, gd)| gd * y[k]);
                    let mut r = vec![0.0; k_count];
                    for j in 0..n {
                        let (tw, tb) = (net.wl(i, j), net.bl(i, j));
                        let (a, _) = partials[i * n + j];
                        if node(tw).is_some() {
                            d += a * (at(tw) - at(tb));
                        }
                        // Sensitivity to a unit source across the cell.
                        let mut s = at(tb) - at(tw);
                        if o < n && j == o && net.sense(o).is_none() {
                            s += 1.0;
                            if node(tw).is_some() {
                                d -= a;
                            }
                        }
                        if o >= n && i == o - n && net.drive(i).is_none() {
                            s += 1.0;
                        }
                        for (k, r) in r.iter_mut().enumerate() {
                            *r += a_k[(i * k_count + k) * n + j] * s;
                        }
                    }
                    if o >= n && i == o - n {
                        d += net.drive(i).map_or(0.0, |(_, gd)| gd);
                    }
                    let (out, width, col) = if o < n {
                        (&mut sense, n, o)
                    } else {
                        (&mut source, m, o - n)
                    };
                    out[(i * stride) * width + col] = d;
                    for (k, r) in r.into_iter().enumerate() {
                        out[(i * stride + 1 + k) * width + col] = r;
                    }
                }
            }
        }
        Ok(SmallSignal {
            terms: k_count,
            sense,
            source,
        })
    }
}
