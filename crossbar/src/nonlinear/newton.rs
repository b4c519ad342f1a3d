//! Newton's method on the nodal equations of one input vector (see the
//! [parent module](super) for the equations, the Jacobian and the stopping
//! rule).

use faer::{MatMut, Par};
use nalgebra::DMatrix;
use xbar_devices::Cell;

use super::{Convergence, NewtonOptions, RESIDUAL_LIMIT};
use crate::error::{CrossbarError, Result};
use crate::exact::terminal_voltage;
use crate::nodal::{FullPattern, Nodal, Terminal};

/// What one Newton solve needs besides the inputs.
pub(super) struct System<'a> {
    pub(super) nodal: &'a Nodal,
    /// The full pattern, for cells whose Jacobian is not symmetric.
    pub(super) full: Option<&'a FullPattern>,
    pub(super) g: &'a DMatrix<f64>,
    pub(super) cell: &'a Cell,
}

impl System<'_> {
    /// Power dissipated in every wire and cell at node voltages `x` (W):
    /// by Tellegen's theorem, the power the sources deliver.
    pub(super) fn dissipation(&self, x: &[f64], v: &[f64]) -> f64 {
        let net = &self.nodal.net;
        let mut p = 0.0;
        net.for_each_wire(|a, b, gw| {
            let dv = terminal_voltage(a, x, v) - terminal_voltage(b, x, v);
            p += gw * dv * dv;
        });
        for i in 0..net.m {
            for j in 0..net.n {
                let (vw, vb) = (
                    terminal_voltage(net.wl(i, j), x, v),
                    terminal_voltage(net.bl(i, j), x, v),
                );
                p += self.cell.current(self.g[(i, j)], vw, vb).current_a * (vw - vb);
            }
        }
        p
    }

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
pub(super) fn newton(
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
