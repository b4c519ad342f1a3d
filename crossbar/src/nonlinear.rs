//! Nonlinear cells: Newton iterations on the nodal equations.
//!
//! A cell is its device's I-V `f(g, Δv)` (e.g. `(g/a)·sinh(a·Δv)`, from
//! [`xbar_devices::CellIv`]) in series with an access device
//! ([`xbar_devices::Cell`]); its current `I(V_w, V_b)` from word-line node
//! `V_w` to bit-line node `V_b` comes with its partials, the node between
//! device and access device eliminated cell by cell (a scalar, bracketed
//! Newton solve in [`xbar_devices::access`]). Kirchhoff's law at the
//! unknown nodes is `F(x) = A_w·x − b_w(V) + Σ_cells ±I(V_w, V_b) = 0`,
//! with `A_w` the wires' Laplacian (the four wire, driver and sense
//! resistances). Newton's method solves `J(x_k)·δ = −F(x_k)`,
//! `x_{k+1} = x_k + δ`, where the Jacobian
//! `J = A_w + Σ_cells ∂I/∂(V_w, V_b)` has the sparsity of the linear
//! nodal matrix (eliminating the internal nodes keeps it: `2·M·N`
//! unknowns, not `3·M·N`).
//!
//! * **Two-terminal cells** (no access device, or a resistor): `I`
//!   depends on `V_w − V_b` alone, `J` is symmetric positive definite
//!   (every slope is positive), and the linear solve's machinery is reused
//!   as is: its symbolic factorisation (nested-dissection ordering,
//!   supernodes), with only the numeric Cholesky redone each iteration.
//! * **A transistor** (`nmos-level1`): the gate is held at a fixed
//!   voltage, so the current depends on `V_b` beyond `V_w − V_b` (the
//!   transconductance) and `J` is not symmetric. It is still an M-matrix
//!   with dominant columns, factorised by faer's sparse LU on the same
//!   pattern (its symbolic analysis done once per array). A Krylov method
//!   preconditioned by a symmetric Cholesky would reuse more, but its
//!   iteration count grows with the transconductance (a saturated
//!   transistor is a current source the symmetric part cannot see); the
//!   LU keeps Newton exact, so its quadratic convergence, and costs a few
//!   milliseconds at 64×64.
//!
//! Newton's method for circuits is the one SPICE itself uses (Nagel,
//! "SPICE2", UCB/ERL M520, 1975; the ngspice manual's `.op`); the
//! operating point is unique because every cell's current increases with
//! `V_w` and decreases with `V_b`.
//!
//! Starting from `x = 0`, the first step is the linear solve with the
//! small-signal conductances. Steps longer than [`NewtonOptions::max_step_volts`]
//! are scaled down (damping). The iteration stops when the largest update
//! falls below `relative_tolerance·max|V|` volts (quadratic convergence
//! makes the error at that point far smaller still); otherwise it fails
//! with [`CrossbarError::NotConverged`] after `max_iterations`. The
//! Kirchhoff residual `max|F|` at the final voltages is then measured and
//! reported ([`Convergence`]); a residual above [`RESIDUAL_LIMIT`] of the
//! largest element current is an error too
//! ([`CrossbarError::Residual`]), never a silent wrong answer.

use faer::{MatMut, Par};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xbar_devices::{AccessSpec, Cell, IvSpec};

use crate::circuit::Crossbar;
use crate::error::{CrossbarError, Result};
use crate::exact::{check_finite, sense_current, terminal_voltage};
use crate::nodal::{FullPattern, Nodal, Terminal};

/// Stopping rule and damping of the Newton iteration.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewtonOptions {
    /// Give up after this many iterations.
    pub max_iterations: usize,
    /// Converged when every node-voltage update is below this fraction of
    /// the largest input voltage.
    pub relative_tolerance: f64,
    /// Largest node-voltage change allowed in one step (V).
    pub max_step_volts: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            max_iterations: 50,
            relative_tolerance: 1e-12,
            max_step_volts: 0.5,
        }
    }
}

impl NewtonOptions {
    fn validate(&self) -> Result<()> {
        if self.max_iterations == 0 {
            return Err(CrossbarError::invalid(
                "max_iterations",
                "expected ≥ 1, found 0",
            ));
        }
        if !(self.relative_tolerance > 0.0 && self.relative_tolerance < 1.0) {
            return Err(CrossbarError::invalid(
                "relative_tolerance",
                format!(
                    "expected a number in (0, 1), found {}",
                    self.relative_tolerance
                ),
            ));
        }
        if !(self.max_step_volts > 0.0 && self.max_step_volts.is_finite()) {
            return Err(CrossbarError::invalid(
                "max_step_volts",
                format!(
                    "expected a finite voltage > 0, found {}",
                    self.max_step_volts
                ),
            ));
        }
        Ok(())
    }
}

/// The largest Kirchhoff residual accepted at the converged voltages, as a
/// fraction of the largest current through any element.
pub const RESIDUAL_LIMIT: f64 = 1e-9;

/// How a batch of Newton solves converged: the worst vector's figures.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Convergence {
    /// Newton iterations of the slowest vector.
    pub iterations: usize,
    /// Largest Kirchhoff residual at any node at the final voltages (A).
    pub residual_a: f64,
    /// The same, relative to the largest current through any element of
    /// that vector's circuit.
    pub relative_residual: f64,
}

impl Convergence {
    fn worst(self, other: Convergence) -> Convergence {
        Convergence {
            iterations: self.iterations.max(other.iterations),
            residual_a: self.residual_a.max(other.residual_a),
            relative_residual: self.relative_residual.max(other.relative_residual),
        }
    }
}

/// Bit-line currents of a nonlinear solve, and how it converged.
#[derive(Debug, Clone, PartialEq)]
pub struct NonlinearSolve {
    /// Bit-line currents (A, B×N).
    pub currents: DMatrix<f64>,
    /// The worst vector's convergence.
    pub convergence: Convergence,
}

impl Crossbar {
    /// Bit-line currents (A, B×N) for input voltages (V, B×M) when every
    /// cell follows the I-V `iv` (with its programmed conductance as the
    /// small-signal `g`) and has no access device; see
    /// [`Crossbar::solve_cells`].
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::{Crossbar, NewtonOptions, Wires};
    /// use xbar_devices::IvSpec;
    ///
    /// let xbar = Crossbar::new(DMatrix::from_element(16, 16, 2e-5), Wires::new(2.0, 2.0, 0.0, 0.0)?)?;
    /// let v = DMatrix::from_element(1, 16, 0.3);
    /// let sinh = IvSpec::Sinh { a_per_volt: 5.0 };
    /// let nonlinear = xbar.solve_nonlinear(&v, &sinh, &NewtonOptions::default())?;
    /// let linear = xbar.solve_nonlinear(&v, &IvSpec::Linear, &NewtonOptions::default())?;
    /// assert!(nonlinear[(0, 0)] > linear[(0, 0)]); // sinh conducts more than its g at 0.3 V
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    pub fn solve_nonlinear(
        &self,
        inputs: &DMatrix<f64>,
        iv: &IvSpec,
        options: &NewtonOptions,
    ) -> Result<DMatrix<f64>> {
        let cell = Cell::of(*iv, AccessSpec::None);
        Ok(self.solve_cells(inputs, &cell, options)?.currents)
    }

    /// Bit-line currents (A, B×N) for input voltages (V, B×M) when every
    /// cell is `cell` (its I-V, with the programmed conductance as the
    /// small-signal `g`, in series with its access device), with how the
    /// Newton iterations converged. Each vector is its own Newton solve;
    /// vectors run in parallel.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::{Crossbar, NewtonOptions, Wires};
    /// use xbar_devices::{AccessSpec, Cell, IvSpec};
    ///
    /// let xbar = Crossbar::new(DMatrix::from_element(8, 8, 5e-5), Wires::new(2.0, 2.0, 10.0, 10.0)?)?;
    /// let v = DMatrix::from_element(1, 8, 0.3);
    /// let nmos = AccessSpec::NmosLevel1 { kp_A_per_V2: 5e-4, vto_V: 0.4, lambda_per_V: 0.02, gate_V: 1.5 };
    /// let one_t_one_r = xbar.solve_cells(&v, &Cell::of(IvSpec::Sinh { a_per_volt: 3.0 }, nmos), &NewtonOptions::default())?;
    /// let alone = xbar.solve_nonlinear(&v, &IvSpec::Sinh { a_per_volt: 3.0 }, &NewtonOptions::default())?;
    /// assert!(one_t_one_r.currents[(0, 0)] < alone[(0, 0)]); // the transistor's drop
    /// assert!(one_t_one_r.convergence.relative_residual < 1e-9);
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    ///
    /// # Errors
    /// Invalid inputs, options or cell parameters; [`CrossbarError::NotConverged`]
    /// or [`CrossbarError::Residual`] when Newton does not converge;
    /// [`CrossbarError::Singular`] or [`CrossbarError::NonFinite`] when a
    /// Jacobian cannot be factorised or the I-V overflows.
    pub fn solve_cells(
        &self,
        inputs: &DMatrix<f64>,
        cell: &Cell,
        options: &NewtonOptions,
    ) -> Result<NonlinearSolve> {
        self.check_inputs(inputs)?;
        options.validate()?;
        cell.validate()
            .map_err(|e| CrossbarError::invalid(e.field.clone(), e.message.clone()))?;
        let nodal = Nodal::new(self.rows(), self.cols(), self.wires())?;
        let full = if cell.is_two_terminal() || nodal.nodes() == 0 {
            None
        } else {
            Some(nodal.full_pattern()?)
        };
        let system = System {
            nodal: &nodal,
            full: full.as_ref(),
            g: self.conductances(),
            cell,
        };
        // Vectors are independent Newton solves: one per task (rayon).
        let rows: Vec<Result<(Vec<f64>, Convergence)>> = (0..inputs.nrows())
            .into_par_iter()
            .map(|b| {
                let v: Vec<f64> = inputs.row(b).iter().copied().collect();
                let (x, convergence) = newton(&system, &v, options, b)?;
                let currents = (0..self.cols())
                    .map(|j| sense_current(&nodal, self.conductances(), cell, &x, &v, j))
                    .collect();
                Ok((currents, convergence))
            })
            .collect();
        let mut out = DMatrix::zeros(inputs.nrows(), self.cols());
        let mut convergence = Convergence::default();
        for (b, row) in rows.into_iter().enumerate() {
            let (row, c) = row?;
            convergence = convergence.worst(c);
            for (j, current) in row.into_iter().enumerate() {
                out[(b, j)] = current;
            }
        }
        check_finite(&out, "bit-line currents")?;
        Ok(NonlinearSolve {
            currents: out,
            convergence,
        })
    }
}

/// What one Newton solve needs besides the inputs.
struct System<'a> {
    nodal: &'a Nodal,
    /// The full pattern, for cells whose Jacobian is not symmetric.
    full: Option<&'a FullPattern>,
    g: &'a DMatrix<f64>,
    cell: &'a Cell,
}

impl System<'_> {
    /// `−F(x)` (A per node), the partials of every cell (row-major), and
    /// the largest current through any element (A).
    fn evaluate(&self, x: &[f64], v: &[f64]) -> (Vec<f64>, Vec<(f64, f64)>, f64) {
        let net = &self.nodal.net;
        let mut minus_f = vec![0.0; self.nodal.nodes()];
        let mut largest = 0.0f64;
        net.for_each_wire(|a, b, gw| {
            let current = gw * (terminal_voltage(a, x, v) - terminal_voltage(b, x, v));
            largest = largest.max(current.abs());
            withdraw(&mut minus_f, a, b, current);
        });
        let mut partials = Vec::with_capacity(net.m * net.n);
        for i in 0..net.m {
            for j in 0..net.n {
                let (a, b) = (net.wl(i, j), net.bl(i, j));
                let c = self.cell.current(
                    self.g[(i, j)],
                    terminal_voltage(a, x, v),
                    terminal_voltage(b, x, v),
                );
                largest = largest.max(c.current_a.abs());
                withdraw(&mut minus_f, a, b, c.current_a);
                partials.push((c.d_wordline, c.d_bitline));
            }
        }
        (minus_f, partials, largest)
    }
}

/// Newton's method for one input vector; returns the node voltages and how
/// they converged.
fn newton(
    system: &System<'_>,
    v: &[f64],
    options: &NewtonOptions,
    vector: usize,
) -> Result<(Vec<f64>, Convergence)> {
    let nodal = system.nodal;
    let nodes = nodal.nodes();
    let mut x = vec![0.0; nodes];
    if nodes == 0 {
        return Ok((x, Convergence::default()));
    }
    let v_scale = v.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    if v_scale == 0.0 {
        return Ok((x, Convergence::default()));
    }
    let tolerance = options.relative_tolerance * v_scale;
    let n = nodal.net.n;
    let mut last_update = f64::INFINITY;
    for iteration in 1..=options.max_iterations {
        let (mut step, partials, _) = system.evaluate(&x, v);
        if step
            .iter()
            .chain(partials.iter().flat_map(|(a, b)| [a, b]))
            .any(|e| !e.is_finite())
        {
            return Err(CrossbarError::NonFinite(format!(
                "cell currents at Newton iteration {iteration} for input vector {vector} \
                 (the I-V overflows at these voltages)"
            )));
        }
        let singular = |e: CrossbarError| match e {
            CrossbarError::Singular(_) => {
                let (lo, hi) = partials
                    .iter()
                    .fold((f64::INFINITY, 0.0f64), |(lo, hi), &(a, _)| {
                        (lo.min(a), hi.max(a))
                    });
                CrossbarError::Singular(format!(
                    "Newton iteration {iteration} for input vector {vector}: the Jacobian cannot be factorised \
                     to working precision (cell dI/dV from {lo:.1e} S to {hi:.1e} S); \
                     the I-V is too steep at these voltages: lower the input voltages or the nonlinearity"
                ))
            }
            other => other,
        };
        match system.full {
            None => {
                let jac = nodal.values(|i, j| partials[i * n + j].0);
                let factor = nodal.factorize(&jac).map_err(singular)?;
                nodal.solve_in_place(
                    &factor,
                    MatMut::from_column_major_slice_mut(&mut step, nodes, 1),
                    Par::Seq,
                )?;
            }
            Some(full) => {
                let jac = nodal.full_values(full, |i, j| partials[i * n + j]);
                nodal
                    .lu_solve_in_place(full, &jac, &mut step)
                    .map_err(singular)?;
            }
        }
        let size = step.iter().fold(0.0f64, |m, e| m.max(e.abs()));
        if !size.is_finite() {
            return Err(CrossbarError::NonFinite(format!(
                "Newton step {iteration} for input vector {vector}"
            )));
        }
        let scale = if size > options.max_step_volts {
            options.max_step_volts / size
        } else {
            1.0
        };
        x.iter_mut().zip(&step).for_each(|(x, s)| *x += scale * s);
        last_update = size * scale;
        if scale == 1.0 && size <= tolerance {
            let (minus_f, _, largest) = system.evaluate(&x, v);
            let residual_a = minus_f.iter().fold(0.0f64, |m, e| m.max(e.abs()));
            let relative_residual = if largest > 0.0 {
                residual_a / largest
            } else {
                residual_a
            };
            if relative_residual.is_nan() || relative_residual > RESIDUAL_LIMIT {
                return Err(CrossbarError::Residual {
                    vector,
                    iterations: iteration,
                    relative_residual,
                    limit: RESIDUAL_LIMIT,
                });
            }
            return Ok((
                x,
                Convergence {
                    iterations: iteration,
                    residual_a,
                    relative_residual,
                },
            ));
        }
    }
    Err(CrossbarError::NotConverged {
        vector,
        iterations: options.max_iterations,
        last_update_volts: last_update,
        tolerance_volts: tolerance,
    })
}

/// Books `current` (A) flowing from terminal `a` to `b` into `−F`: it leaves
/// node `a` and enters node `b`.
fn withdraw(minus_f: &mut [f64], a: Terminal, b: Terminal, current: f64) {
    if let Terminal::Node(a) = a {
        minus_f[a] -= current;
    }
    if let Terminal::Node(b) = b {
        minus_f[b] += current;
    }
}
