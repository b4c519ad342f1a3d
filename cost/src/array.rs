//! Array energy from the solved circuit, and line charging and settling.
//!
//! # Power of a solved array
//! For a solve of [`xbar_crossbar::circuit`] with every node voltage known
//! ([`NodeVoltages`]), each element dissipates `V·I = V²·g` with `V` the
//! voltage across it:
//!
//! ```text
//! P_cells    = Σᵢⱼ g[i,j]·(W(i,j) − B(i,j))²
//! P_wordline = Σ segments (ΔW)²/r_wl + Σᵢ I_src,ᵢ²·r_wl       (first segment)
//! P_bitline  = Σ segments (ΔB)²/r_bl + Σⱼ I_out,ⱼ²·r_bl       (last segment)
//! P_driver   = Σᵢ I_src,ᵢ²·r_source,   P_sense = Σⱼ I_out,ⱼ²·r_sense
//! ```
//!
//! and by Tellegen's theorem their sum equals the power the sources
//! deliver, `P = Σᵢ Vᵢ·I_src,ᵢ` ([`ArrayPower::sources_w`]). The circuit is
//! linear, so `P = Vᵀ·Y·V` with the input admittance `Y` (M×M, symmetric):
//! [`InputAdmittance`] (in `xbar-training`, whose evaluations measure it)
//! computes `Y` once per programmed array from `M` unit inputs through the
//! factorised nodal matrix, after which the exact power of any input vector
//! costs one quadratic form. The energy of one read is `P·t_read` (the read
//! pulse width of the technology).
//!
//! # Lines
//! A word line of `n` segments, each `r` Ω and `c` F, driven through `R_d`
//! into a load `C_L`, has `R = n·r`, `C = n·c`. Charging it to `V` draws
//! `E = (C + C_L)·V²` from the supply (half stored, half lost in the
//! resistances; Rabaey, *Digital Integrated Circuits*, 2nd ed., §5.5). Its
//! far end reaches 90 % of `V` after (Sakurai, IEEE Trans. Electron
//! Devices 40(1), 118–124, 1993, eq. for `t₀.₉`)
//!
//! ```text
//! t₀.₉ = 1.02·R·C + 2.3·(R_d·C + R_d·C_L + R·C_L)
//! ```
//!
//! The cells' conductances that load the line are neglected in the delay
//! (they are `> 10³` times the wire resistance for the devices of the
//! library, so they change `t₀.₉` by less than a percent).

use xbar_crossbar::{Crossbar, NodeVoltages};
#[cfg(doc)]
use xbar_training::InputAdmittance;

/// Where the power of one solved read goes (W).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ArrayPower {
    /// In the cells.
    pub cells_w: f64,
    /// In the word-line wire segments.
    pub wordline_w: f64,
    /// In the bit-line wire segments.
    pub bitline_w: f64,
    /// In the drivers' output resistances.
    pub driver_w: f64,
    /// In the sense amplifiers' input resistances.
    pub sense_w: f64,
    /// Delivered by the sources, `Σᵢ Vᵢ·I_src,ᵢ`.
    pub sources_w: f64,
}

impl ArrayPower {
    /// Each element's `V²·g` from a solve of `xbar` for `input` (see the
    /// [module docs](self)).
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_cost::ArrayPower;
    /// use xbar_crossbar::{Crossbar, ExactSolver, Wires};
    /// let xbar = Crossbar::new(DMatrix::from_element(4, 4, 1e-5), Wires::new(5.0, 5.0, 10.0, 10.0)?)?;
    /// let v = [0.2, 0.0, 0.1, 0.2];
    /// let nodes = ExactSolver::new(&xbar)?.node_voltages(&v)?;
    /// let p = ArrayPower::of_solution(&xbar, &nodes, &v);
    /// assert!((p.total_w() - p.sources_w).abs() < 1e-9 * p.sources_w);
    /// assert!(p.cells_w > 0.99 * p.total_w());
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    pub fn of_solution(xbar: &Crossbar, nodes: &NodeVoltages, input: &[f64]) -> ArrayPower {
        let g = xbar.conductances();
        let w = xbar.wires();
        let (m, n) = (xbar.rows(), xbar.cols());
        let (wl, bl) = (&nodes.wordline, &nodes.bitline);
        let mut p = ArrayPower::default();
        for i in 0..m {
            for j in 0..n {
                let v = wl[(i, j)] - bl[(i, j)];
                p.cells_w += g[(i, j)] * v * v;
            }
        }
        if w.r_wordline > 0.0 {
            for i in 0..m {
                for j in 1..n {
                    let d = wl[(i, j)] - wl[(i, j - 1)];
                    p.wordline_w += d * d / w.r_wordline;
                }
            }
        }
        if w.r_bitline > 0.0 {
            for j in 0..n {
                for i in 1..m {
                    let d = bl[(i, j)] - bl[(i - 1, j)];
                    p.bitline_w += d * d / w.r_bitline;
                }
            }
        }
        for (i, &c) in nodes.source_currents.iter().enumerate() {
            p.wordline_w += c * c * w.r_wordline;
            p.driver_w += c * c * w.r_source;
            p.sources_w += input[i] * c;
        }
        for &c in &nodes.sense_currents {
            p.bitline_w += c * c * w.r_bitline;
            p.sense_w += c * c * w.r_sense;
        }
        p
    }

    /// The sum over elements (W): equals [`sources_w`](Self::sources_w) to
    /// rounding.
    pub fn total_w(&self) -> f64 {
        self.cells_w + self.wordline_w + self.bitline_w + self.driver_w + self.sense_w
    }
}

/// One array line as a distributed RC wire (see the [module docs](self)).
///
/// ```
/// use xbar_cost::RcLine;
/// let line = RcLine { segments: 128, r_segment_ohm: 1.28, c_segment_f: 12.8e-18, r_driver_ohm: 1e3, c_load_f: 0.0 };
/// assert!((line.charge_energy_j(0.2) - 128.0 * 12.8e-18 * 0.04).abs() < 1e-24);
/// assert!(line.settling_time_s() > 2.3 * 1e3 * 128.0 * 12.8e-18);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RcLine {
    /// Number of wire segments (cells along the line).
    pub segments: usize,
    /// Resistance of one segment (Ω).
    pub r_segment_ohm: f64,
    /// Capacitance of one segment (F).
    pub c_segment_f: f64,
    /// Driver output resistance (Ω).
    pub r_driver_ohm: f64,
    /// Load at the far end (F).
    pub c_load_f: f64,
}

impl RcLine {
    /// Total wire resistance `R = n·r` (Ω).
    pub fn resistance_ohm(&self) -> f64 {
        self.segments as f64 * self.r_segment_ohm
    }

    /// Total wire capacitance `C = n·c` (F).
    pub fn capacitance_f(&self) -> f64 {
        self.segments as f64 * self.c_segment_f
    }

    /// Energy drawn from the supply to charge the line to `v` (J):
    /// `(C + C_L)·V²`.
    pub fn charge_energy_j(&self, v: f64) -> f64 {
        (self.capacitance_f() + self.c_load_f) * v * v
    }

    /// Sakurai's 90 % settling time of the far end (s).
    pub fn settling_time_s(&self) -> f64 {
        let (r, c) = (self.resistance_ohm(), self.capacitance_f());
        let (rd, cl) = (self.r_driver_ohm, self.c_load_f);
        1.02 * r * c + 2.3 * (rd * c + rd * cl + r * cl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::DMatrix;
    use xbar_crossbar::{ExactSolver, Solver, Wires};
    use xbar_training::InputAdmittance;

    /// `Vᵀ·Y·V` against the sources' power of a full solve, for every line
    /// layout: grids, merged lines (driver or sense resistance only) and
    /// fixed lines (no resistance: the full-solve fallback of
    /// `source_currents`), with ideal wires giving `diag(Σⱼ g)`.
    #[test]
    fn the_admittance_gives_the_power_of_a_full_solve_for_every_layout() {
        let g = DMatrix::from_fn(5, 4, |i, j| 1e-5 * (1.0 + ((3 * i + 7 * j) % 9) as f64));
        let v = [0.2, 0.0, 0.13, 0.05, 0.2];
        for wires in [
            Wires::new(3.0, 2.0, 10.0, 5.0).unwrap(),
            Wires::new(0.0, 2.0, 0.0, 0.0).unwrap(),
            Wires::new(2.0, 0.0, 0.0, 0.0).unwrap(),
            Wires::new(0.0, 0.0, 50.0, 20.0).unwrap(),
            Wires::new(0.0, 0.0, 0.0, 30.0).unwrap(),
            Wires::ideal(),
        ] {
            let xbar = Crossbar::new(g.clone(), wires).unwrap();
            let nodes = ExactSolver::new(&xbar).unwrap().node_voltages(&v).unwrap();
            let p = ArrayPower::of_solution(&xbar, &nodes, &v);
            let y = InputAdmittance::new(&xbar, Solver::Exact).unwrap();
            let rel = (y.power_w(&v) - p.sources_w).abs() / p.sources_w;
            assert!(rel < 1e-12, "{wires:?}: {rel:e}");
            assert!(
                (p.total_w() - p.sources_w).abs() < 1e-12 * p.sources_w,
                "{wires:?}"
            );
            // The raw solve is symmetric (a reciprocal network) before
            // `InputAdmittance` symmetrises the rounding.
            let raw = ExactSolver::new(&xbar)
                .unwrap()
                .source_currents(&DMatrix::identity(5, 5))
                .unwrap();
            assert!(
                (&raw - raw.transpose()).amax() <= 1e-12 * raw.amax(),
                "{wires:?}"
            );
            // Spikes (equal voltages on some rows) give the dense power.
            let active = [0, 2, 4];
            let dense: Vec<f64> = (0..5)
                .map(|i| if active.contains(&i) { 0.2 } else { 0.0 })
                .collect();
            let a = y.power_of_rows_w(&active, 0.2);
            assert!((a - y.power_w(&dense)).abs() < 1e-15 * a);
        }
        let ideal = InputAdmittance::new(
            &Crossbar::new(g.clone(), Wires::ideal()).unwrap(),
            Solver::Auto,
        )
        .unwrap();
        for i in 0..5 {
            assert_eq!(ideal.matrix()[(i, i)], g.row(i).sum());
        }
    }
}
