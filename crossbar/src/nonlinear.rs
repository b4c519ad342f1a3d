//! Nonlinear cell I-V: Newton iterations on the nodal equations.
//!
//! With cell currents `f(g, Δv)` (e.g. `(g/a)·sinh(a·Δv)`, from
//! [`xbar_devices::CellIv`]) Kirchhoff's law at the unknown nodes is
//! `F(x) = A_w·x − b_w(V) + Σ_cells ±f(g, Δv) = 0`, with `A_w` the wires'
//! Laplacian. Newton's method solves `J(x_k)·δ = −F(x_k)`,
//! `x_{k+1} = x_k + δ`, where the Jacobian `J = A_w + Σ_cells f'(g, Δv)`
//! has the same sparsity as the linear nodal matrix: the symbolic
//! factorisation (ordering, supernodes) is reused, only the numeric
//! Cholesky is redone each iteration. `J` is symmetric positive definite
//! because every `f'` is positive (increasing I-V), so each step is
//! well-defined.
//!
//! Starting from `x = 0`, the first step is the linear solve with the
//! small-signal conductances. Steps longer than [`NewtonOptions::max_step_volts`]
//! are scaled down (damping). The iteration stops when the largest update
//! falls below `relative_tolerance·max|V|` volts (quadratic convergence
//! makes the error at that point far smaller still); otherwise it fails
//! with [`CrossbarError::NotConverged`] after `max_iterations`.

use faer::{MatMut, Par};
use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use xbar_devices::CellIv;

use crate::circuit::Crossbar;
use crate::error::{CrossbarError, Result};
use crate::exact::{cell_voltage, check_finite, sense_current, terminal_voltage};
use crate::nodal::{Nodal, Terminal};

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

impl Crossbar {
    /// Bit-line currents (A, B×N) for input voltages (V, B×M) when every
    /// cell follows the I-V `iv` (with its programmed conductance as the
    /// small-signal `g`). Each vector is its own Newton solve; vectors run
    /// in parallel.
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
        iv: &dyn CellIv,
        options: &NewtonOptions,
    ) -> Result<DMatrix<f64>> {
        self.check_inputs(inputs)?;
        options.validate()?;
        let nodal = Nodal::new(self.rows(), self.cols(), self.wires())?;
        // Vectors are independent Newton solves: one per task (rayon).
        let rows: Vec<Result<Vec<f64>>> = (0..inputs.nrows())
            .into_par_iter()
            .map(|b| {
                let v: Vec<f64> = inputs.row(b).iter().copied().collect();
                let x = newton(&nodal, self.conductances(), iv, &v, options, b)?;
                Ok((0..self.cols())
                    .map(|j| sense_current(&nodal, self.conductances(), iv, &x, &v, j))
                    .collect())
            })
            .collect();
        let mut out = DMatrix::zeros(inputs.nrows(), self.cols());
        for (b, row) in rows.into_iter().enumerate() {
            for (j, current) in row?.into_iter().enumerate() {
                out[(b, j)] = current;
            }
        }
        check_finite(&out, "bit-line currents")?;
        Ok(out)
    }
}

/// Newton's method for one input vector; returns the node voltages.
fn newton(
    nodal: &Nodal,
    g: &DMatrix<f64>,
    iv: &dyn CellIv,
    v: &[f64],
    options: &NewtonOptions,
    vector: usize,
) -> Result<Vec<f64>> {
    let nodes = nodal.nodes();
    let mut x = vec![0.0; nodes];
    if nodes == 0 {
        return Ok(x);
    }
    let v_scale = v.iter().fold(0.0f64, |m, e| m.max(e.abs()));
    if v_scale == 0.0 {
        return Ok(x);
    }
    let tolerance = options.relative_tolerance * v_scale;
    let net = &nodal.net;
    let mut last_update = f64::INFINITY;
    for iteration in 1..=options.max_iterations {
        // −F(x) into `step`, the Jacobian into `jac`.
        let mut step = vec![0.0; nodes];
        net.for_each_wire(|a, b, gw| {
            let current = gw * (terminal_voltage(a, &x, v) - terminal_voltage(b, &x, v));
            withdraw(&mut step, a, b, current);
        });
        for i in 0..net.m {
            for j in 0..net.n {
                let current = iv.current(g[(i, j)], cell_voltage(nodal, i, j, &x, v));
                withdraw(&mut step, net.wl(i, j), net.bl(i, j), current);
            }
        }
        let jac = nodal.values(|i, j| {
            let dv = cell_voltage(nodal, i, j, &x, v);
            iv.didv(g[(i, j)], dv)
        });
        if step.iter().chain(&jac).any(|e| !e.is_finite()) {
            return Err(CrossbarError::NonFinite(format!(
                "cell currents at Newton iteration {iteration} for input vector {vector} \
                 (the I-V overflows at these voltages)"
            )));
        }
        let factor = nodal.factorize(&jac).map_err(|e| match e {
            CrossbarError::Singular(_) => {
                let (lo, hi) = cell_slopes(nodal, g, iv, &x, v);
                CrossbarError::Singular(format!(
                    "Newton iteration {iteration} for input vector {vector}: the Jacobian is not \
                     positive definite to working precision (cell dI/dV from {lo:.1e} S to {hi:.1e} S); \
                     the I-V is too steep at these voltages: lower the input voltages or the nonlinearity"
                ))
            }
            other => other,
        })?;
        nodal.solve_in_place(
            &factor,
            MatMut::from_column_major_slice_mut(&mut step, nodes, 1),
            Par::Seq,
        )?;
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
            return Ok(x);
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

/// The smallest and largest differential conductance of the cells (S).
fn cell_slopes(
    nodal: &Nodal,
    g: &DMatrix<f64>,
    iv: &dyn CellIv,
    x: &[f64],
    v: &[f64],
) -> (f64, f64) {
    let net = &nodal.net;
    let mut range = (f64::INFINITY, 0.0f64);
    for i in 0..net.m {
        for j in 0..net.n {
            let dv = cell_voltage(nodal, i, j, x, v);
            let slope = iv.didv(g[(i, j)], dv);
            range = (range.0.min(slope), range.1.max(slope));
        }
    }
    range
}
