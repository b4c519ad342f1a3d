//! A cell's current as a short sum of separable terms,
//! `I(g, V, 0) ≈ Σₖ aₖ(g)·bₖ(V)`, so that a tile of cells whose current is
//! not `g·h(V)` (an access device in series) is still read by a few
//! products: `Iⱼ = Σₖ Σᵢ bₖ(Vᵢ)·aₖ(gᵢⱼ)`.
//!
//! **Construction.** The current is sampled on a tensor grid of Chebyshev
//! points (second kind) in `g` over the tile's conductance range and in
//! `V` over `±cover`; the sample matrix `S` (g × V) is factorised by its
//! SVD, `S = U·Σ·Wᵀ`, and truncated to the `K` largest singular values.
//! `aₖ(g) = σₖ·Σ_q ℓ_q(g)·U_qk` and `bₖ(V) = Σ_p ℓ_p(V)·W_pk`, with `ℓ` the
//! Lagrange polynomials of the nodes evaluated in barycentric form
//! (Berrut and Trefethen, "Barycentric Lagrange interpolation", SIAM
//! Review 46(3), 2004). The current is analytic in both variables inside
//! a transistor's triode region and for a sinh I-V, so both the
//! interpolation and the truncation converge geometrically (Trefethen,
//! *Approximation Theory and Approximation Practice*, ch. 8).
//!
//! **Its error is measured, not assumed.** After truncation the expansion
//! is compared with the cell's own current at every midpoint of the node
//! grid (where Chebyshev interpolation errs most); it is accepted when the
//! largest difference is within `tolerance` of the largest current on the
//! grid, else the grid is refined, and when even the finest grid misses,
//! no expansion is made (the caller reads cell by cell).

use nalgebra::DMatrix;
use xbar_devices::Cell;

/// Node counts `(V, g)` tried in turn.
const GRIDS: [(usize, usize); 3] = [(17, 9), (33, 17), (65, 33)];

/// The most nodes of one interpolation (the finest grid's V half; its g
/// nodes are fewer).
const MAX_NODES: usize = 65;

/// Interpolation on Chebyshev points of the second kind over `[lo, hi]`.
#[derive(Debug, Clone)]
struct Chebyshev {
    nodes: Vec<f64>,
    weights: Vec<f64>,
}

impl Chebyshev {
    fn new(lo: f64, hi: f64, count: usize) -> Chebyshev {
        if count == 1 || hi <= lo {
            return Chebyshev {
                nodes: vec![lo],
                weights: vec![1.0],
            };
        }
        let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
        let last = count - 1;
        let nodes = (0..count)
            .map(|p| mid + half * (std::f64::consts::PI * p as f64 / last as f64).cos())
            .collect();
        let weights = (0..count)
            .map(|p| {
                let sign = if p % 2 == 0 { 1.0 } else { -1.0 };
                if p == 0 || p == last {
                    0.5 * sign
                } else {
                    sign
                }
            })
            .collect();
        Chebyshev { nodes, weights }
    }

    /// `ℓ_p(x)` for every node `p`, into `out`.
    fn basis(&self, x: f64, out: &mut [f64]) {
        if let Some(p) = self.nodes.iter().position(|&n| n == x) {
            out.iter_mut().for_each(|e| *e = 0.0);
            out[p] = 1.0;
            return;
        }
        let mut total = 0.0;
        for ((o, &n), &w) in out.iter_mut().zip(&self.nodes).zip(&self.weights) {
            *o = w / (x - n);
            total += *o;
        }
        let inverse = 1.0 / total;
        out.iter_mut().for_each(|e| *e *= inverse);
    }

    /// The midpoints between neighbouring nodes.
    fn midpoints(&self) -> Vec<f64> {
        if self.nodes.len() == 1 {
            return self.nodes.clone();
        }
        self.nodes.windows(2).map(|w| 0.5 * (w[0] + w[1])).collect()
    }
}

/// `I(g, V, 0) ≈ Σₖ aₖ(g)·bₖ(V)` for `g` in a tile's range and `|V| ≤
/// cover` (see the [module documentation](self)).
#[derive(Debug, Clone)]
pub(crate) struct Expansion {
    g: Chebyshev,
    /// The V nodes of `[−cover, 0]`, then of `[0, cover]`.
    v: [Chebyshev; 2],
    /// `aₖ` at the g nodes (K × Q, row k).
    a: Vec<Vec<f64>>,
    /// `bₖ` at the V nodes of both halves (K × 2P, row k).
    b: Vec<Vec<f64>>,
    /// The largest |V| covered (V).
    pub cover: f64,
    /// The largest difference from the cell's current on the check grid
    /// (A).
    pub error_a: f64,
    /// The largest |current| on the check grid (A).
    pub scale_a: f64,
}

impl Expansion {
    /// The expansion of `cell`'s current for conductances in `[g_lo,
    /// g_hi]` (S) and voltages within `±cover` (V), accurate to
    /// `tolerance` of the largest current; `None` when no grid of
    /// [`GRIDS`] reaches it or the current is not finite there.
    pub(crate) fn new(
        cell: &Cell,
        (g_lo, g_hi): (f64, f64),
        cover: f64,
        tolerance: f64,
    ) -> Option<Expansion> {
        let current = |g: f64, v: f64| cell.current(g, v, 0.0).current_a;
        for (p, q) in GRIDS {
            let v = [
                Chebyshev::new(-cover, 0.0, p),
                Chebyshev::new(0.0, cover, p),
            ];
            let v_nodes: Vec<f64> = v.iter().flat_map(|h| h.nodes.iter().copied()).collect();
            let g = Chebyshev::new(g_lo, g_hi, q);
            let samples = DMatrix::from_fn(g.nodes.len(), v_nodes.len(), |r, c| {
                current(g.nodes[r], v_nodes[c])
            });
            // The check grid: every midpoint, and the range's ends in g.
            let mut check_g = g.midpoints();
            check_g.extend([g_lo, g_hi]);
            let check_v: Vec<f64> = v.iter().flat_map(|h| h.midpoints()).collect();
            let exact: Vec<f64> = check_g
                .iter()
                .flat_map(|&g| check_v.iter().map(move |&v| current(g, v)))
                .collect();
            if samples.iter().chain(&exact).any(|e| !e.is_finite()) {
                return None;
            }
            let scale_a = exact.iter().fold(0.0f64, |m, e| m.max(e.abs()));
            let svd = samples.svd(true, true);
            let (u, w_t) = (svd.u?, svd.v_t?);
            let sigma = &svd.singular_values;
            let mut order: Vec<usize> = (0..sigma.len()).collect();
            order.sort_by(|&x, &y| sigma[y].total_cmp(&sigma[x]));
            let largest = sigma[order[0]];
            // The truncation error is about the first singular value left
            // out: start from the first rank that leaves out less than the
            // tolerance, and add terms while the check fails.
            let first = order
                .iter()
                .position(|&k| sigma[k] <= tolerance * largest)
                .unwrap_or(order.len())
                .max(1);
            for rank in first..=order.len() {
                let terms = &order[..rank];
                let expansion = Expansion {
                    a: terms
                        .iter()
                        .map(|&k| (0..g.nodes.len()).map(|r| sigma[k] * u[(r, k)]).collect())
                        .collect(),
                    b: terms
                        .iter()
                        .map(|&k| (0..2 * p).map(|c| w_t[(k, c)]).collect())
                        .collect(),
                    g: g.clone(),
                    v: v.clone(),
                    cover,
                    error_a: 0.0,
                    scale_a,
                };
                let error_a = expansion.largest_difference(&check_g, &check_v, &exact);
                if !error_a.is_finite() {
                    return None;
                }
                if error_a <= tolerance * scale_a {
                    return Some(Expansion {
                        error_a,
                        ..expansion
                    });
                }
                if rank < order.len() && sigma[order[rank]] < 1e-3 * tolerance * largest {
                    break; // what is left is interpolation error: refine the grid
                }
            }
        }
        None
    }

    /// The largest difference from the currents `exact` (row-major over
    /// `gs × vs`).
    fn largest_difference(&self, gs: &[f64], vs: &[f64], exact: &[f64]) -> f64 {
        let (mut a, mut b) = (vec![0.0; self.terms()], vec![0.0; self.terms()]);
        let bs: Vec<Vec<f64>> = vs
            .iter()
            .map(|&v| {
                self.b_of(v, &mut b);
                b.clone()
            })
            .collect();
        let mut error = 0.0f64;
        for (r, &g) in gs.iter().enumerate() {
            self.a_of(g, &mut a);
            for (c, b) in bs.iter().enumerate() {
                let approx: f64 = a.iter().zip(b).map(|(a, b)| a * b).sum();
                error = error.max((exact[r * vs.len() + c] - approx).abs());
            }
        }
        error
    }

    /// The number of terms `K`.
    pub(crate) fn terms(&self) -> usize {
        self.a.len()
    }

    /// `aₖ(g)` for every term, into `out` (length K).
    pub(crate) fn a_of(&self, g: f64, out: &mut [f64]) {
        // Called for every cell of a tile: no allocation.
        let mut buffer = [0.0; MAX_NODES];
        let basis = &mut buffer[..self.g.nodes.len()];
        self.g.basis(g, basis);
        for (o, a) in out.iter_mut().zip(&self.a) {
            *o = a.iter().zip(basis.iter()).map(|(a, l)| a * l).sum();
        }
    }

    /// `bₖ(V)` for every term, into `out` (length K); `V` within the
    /// cover.
    pub(crate) fn b_of(&self, v: f64, out: &mut [f64]) {
        let half = usize::from(v >= 0.0);
        let p = self.v[half].nodes.len();
        // Called for every input of every read: no allocation.
        let mut buffer = [0.0; MAX_NODES];
        let basis = &mut buffer[..p];
        self.v[half].basis(v, basis);
        for (o, b) in out.iter_mut().zip(&self.b) {
            let b = &b[half * p..(half + 1) * p];
            *o = b.iter().zip(basis.iter()).map(|(b, l)| b * l).sum();
        }
    }

    /// `A_k[i][j] = aₖ(g_ij)` for row-major conductances `g` (M×N), laid
    /// out row by row, term by term: `out[(i·K + k)·N + j]`.
    pub(crate) fn tile(&self, g: &[f64], cols: usize) -> Vec<f64> {
        let k_count = self.terms();
        let rows = g.len().checked_div(cols).unwrap_or(0);
        let mut out = vec![0.0; rows * k_count * cols];
        let mut a = vec![0.0; k_count];
        for (c, &gij) in g.iter().enumerate() {
            let (i, j) = (c / cols, c % cols);
            self.a_of(gij, &mut a);
            for (k, &ak) in a.iter().enumerate() {
                out[(i * k_count + k) * cols + j] = ak;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use xbar_devices::{AccessSpec, IvSpec};

    fn one_t_one_r() -> Cell {
        Cell::of(
            IvSpec::Sinh { a_per_volt: 5.0 },
            AccessSpec::NmosLevel1 {
                kp_A_per_V2: 5e-4,
                vto_V: 0.45,
                lambda_per_V: 0.06,
                gate_V: 1.2,
            },
        )
    }

    #[test]
    fn chebyshev_interpolation_is_exact_for_polynomials_of_its_degree() {
        let cheb = Chebyshev::new(-0.3, 0.7, 5);
        let f = |x: f64| 2.0 - x + 3.0 * x * x - x.powi(4);
        let values: Vec<f64> = cheb.nodes.iter().map(|&x| f(x)).collect();
        let mut l = vec![0.0; 5];
        for x in [-0.3, -0.1234, 0.0, 0.5, 0.7] {
            cheb.basis(x, &mut l);
            let y: f64 = l.iter().zip(&values).map(|(l, v)| l * v).sum();
            assert!((y - f(x)).abs() < 1e-13, "{x}: {y} vs {}", f(x));
        }
    }

    #[test]
    fn a_one_t_one_r_cell_expands_to_its_tolerance_everywhere_in_range() {
        // Checked at points that are neither nodes nor midpoints: an
        // irregular 37 × 41 grid, against the cell's own current.
        let cell = one_t_one_r();
        let (g_lo, g_hi, cover) = (1e-6, 1e-4, 0.5);
        for tolerance in [1e-4, 1e-6, 1e-9] {
            let e = Expansion::new(&cell, (g_lo, g_hi), cover, tolerance).expect("expands");
            let (mut a, mut b) = (vec![0.0; e.terms()], vec![0.0; e.terms()]);
            let mut worst = 0.0f64;
            let mut scale = 0.0f64;
            for r in 0..37 {
                let g = g_lo + (g_hi - g_lo) * ((r as f64 * 0.618_034) % 1.0);
                e.a_of(g, &mut a);
                for c in 0..41 {
                    let v = cover * (2.0 * ((c as f64 * 0.414_214 + 0.1) % 1.0) - 1.0);
                    e.b_of(v, &mut b);
                    let approx: f64 = a.iter().zip(&b).map(|(a, b)| a * b).sum();
                    let exact = cell.current(g, v, 0.0).current_a;
                    worst = worst.max((approx - exact).abs());
                    scale = scale.max(exact.abs());
                }
            }
            assert!(
                worst <= 2.0 * tolerance * scale,
                "{tolerance}: {worst} of {scale}"
            );
            assert!(e.error_a <= tolerance * e.scale_a);
            // The transistor makes the current far from g·h(V): more than
            // one term, yet few.
            assert!(
                (2..=12).contains(&e.terms()),
                "{tolerance}: {} terms",
                e.terms()
            );
        }
    }

    #[test]
    fn a_separable_cell_needs_one_term() {
        let sinh = Cell::of(IvSpec::Sinh { a_per_volt: 4.0 }, AccessSpec::None);
        let e = Expansion::new(&sinh, (1e-6, 1e-4), 0.5, 1e-9).unwrap();
        assert_eq!(e.terms(), 1);
    }

    #[test]
    fn one_conductance_is_a_range_of_one_point() {
        let e = Expansion::new(&one_t_one_r(), (5e-5, 5e-5), 0.4, 1e-8).unwrap();
        assert_eq!(e.terms(), 1);
        let tile = e.tile(&[5e-5, 5e-5], 2);
        let mut b = [0.0];
        e.b_of(0.3, &mut b);
        let exact = one_t_one_r().current(5e-5, 0.3, 0.0).current_a;
        assert!((tile[0] * b[0] - exact).abs() < 1e-8 * exact);
    }
}
