//! Exact IR drop: the nodal equations of the circuit, factorised once per
//! programmed array and solved for whole batches of input vectors.
//!
//! # Method
//! Kirchhoff's current law at the `n ≤ 2·M·N` unknown node voltages `x`
//! gives `A·x = B·V`: `A` is the symmetric positive definite conductance
//! (Laplacian) matrix of wires and cells, `B·V` the current injected by the
//! sources through `r_source + r_wordline`. `A` depends only on `G` and the
//! resistances, so [`ExactSolver::new`] computes `A = L·Lᵀ` once — faer's
//! supernodal sparse Cholesky — in a fill-reducing order: geometric nested
//! dissection of the interior (separators of one line of nodes, George
//! 1973), then the `P = M + N` *ports* last: the M nodes the sources feed
//! and the N nodes that feed the sense amplifiers.
//!
//! The sources inject current only at the ports and the outputs are read
//! only at the ports, so with the ports eliminated last the forward solve
//! `L·y = B·V` is zero outside the trailing `P×P` block `L_pp` and the
//! ports' part of `Lᵀ·x = y` needs only that block. Every input vector is
//! then solved exactly by two dense triangular solves with `L_pp`
//! (`L_pp·L_ppᵀ` is the Schur complement of the interior), blocks of
//! vectors at a time (level-3 BLAS, multithreaded). [`ExactSolver::node_voltages`]
//! does the full sparse solve when every node voltage is wanted.
//!
//! # Cost
//! With `n = 2·M·N`: factorisation `O(n^{3/2})` flops and `O(n log n)`
//! memory, plus `P²` for the dense port block; each vector then costs
//! `2·P²` flops. Measured (README, 2 cores): 256×256 factorises in about
//! 0.12 s and solves 64 vectors in a few milliseconds; 1024×1024 (2.1 M
//! unknowns) factorises and solves 64 vectors in about 2.5 s with 1.3 GiB
//! peak memory.
//!
//! # Error
//! Cholesky is backward stable: the computed `x` solves `(A + δA)·x = b`
//! with `‖δA‖ ≤ c·n·ε·‖A‖` (Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., Thm 10.4), so the forward error is bounded by
//! `κ(A)·c·n·ε`. In practice the currents agree with ngspice to about
//! 1e-13 of the largest current (the test suite requires 1e-9), and
//! [`ExactSolver::relative_residual`] reports the residual of any solve.
//! Every result is checked for finiteness.

use faer::reborrow::ReborrowMut;
use faer::{MatMut, Par};
use nalgebra::DMatrix;
use rayon::prelude::*;
use xbar_devices::Cell;

use crate::circuit::Crossbar;
use crate::error::{CrossbarError, Result};
use crate::ideal;
use crate::nodal::{Factor, Nodal, Terminal};

/// Right-hand sides are solved in blocks of at most this many doubles
/// (128 MiB) each.
const BLOCK_ELEMENTS: usize = 16 << 20;

/// A programmed array with its factorised nodal matrix.
///
/// ```
/// use nalgebra::{dmatrix, DMatrix};
/// use xbar_crossbar::{Crossbar, ExactSolver, Wires};
///
/// let g = DMatrix::from_element(64, 64, 50e-6); // 20 kΩ cells
/// let xbar = Crossbar::new(g, Wires::new(5.0, 5.0, 0.0, 0.0)?)?;
/// let solver = ExactSolver::new(&xbar)?;           // factorise once
/// let v = DMatrix::from_element(3, 64, 0.2);       // 3 vectors of 0.2 V
/// let currents = solver.solve(&v)?;                // 3×64 amperes
/// let ideal = 64.0 * 0.2 * 50e-6;
/// assert!(currents[(0, 0)] < ideal && currents[(0, 0)] > 0.5 * ideal);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug)]
pub struct ExactSolver {
    xbar: Crossbar,
    nodal: Nodal,
    values: Vec<f64>,
    factor: Option<Factor>,
}

/// Every node voltage of one solve, and the currents at the array's ports.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeVoltages {
    /// Word-line voltage at each cell (V), M×N.
    pub wordline: DMatrix<f64>,
    /// Bit-line voltage at each cell (V), M×N.
    pub bitline: DMatrix<f64>,
    /// Current delivered by each source into its word line (A), length M.
    pub source_currents: Vec<f64>,
    /// Current into each virtual ground (A), length N: the outputs.
    pub sense_currents: Vec<f64>,
}

impl ExactSolver {
    /// Assembles and factorises the nodal matrix of `xbar`.
    ///
    /// # Errors
    /// [`CrossbarError::Singular`] when the matrix is not positive definite
    /// to working precision or the factor does not fit in memory.
    pub fn new(xbar: &Crossbar) -> Result<Self> {
        let nodal = Nodal::new(xbar.rows(), xbar.cols(), xbar.wires())?;
        let g = xbar.conductances();
        let values = nodal.values(|i, j| g[(i, j)]);
        let factor = if nodal.nodes() > 0 {
            Some(nodal.factorize(&values)?)
        } else {
            None
        };
        Ok(ExactSolver {
            xbar: xbar.clone(),
            nodal,
            values,
            factor,
        })
    }

    /// The array this solver was built for.
    pub fn crossbar(&self) -> &Crossbar {
        &self.xbar
    }

    /// Number of unknown node voltages (`2·M·N` with wire resistance on
    /// both line types).
    pub fn unknowns(&self) -> usize {
        self.nodal.nodes()
    }

    /// Entries stored in the Cholesky factor (its memory is 8 bytes each).
    pub fn factor_entries(&self) -> usize {
        self.nodal.factor_len()
    }

    /// The nodal matrix `A` as lower-triangle triplets `(row, col, S)`, to
    /// hand the same system to another solver (the benchmarks do).
    pub fn nodal_matrix(&self) -> Vec<(usize, usize, f64)> {
        self.nodal.triplets(&self.values)
    }

    /// The right-hand side `B·V` (A) for one input vector.
    pub fn nodal_rhs(&self, input: &[f64]) -> Vec<f64> {
        let mut rhs = vec![0.0; self.unknowns()];
        self.fill_rhs(input, &mut rhs);
        rhs
    }

    fn fill_rhs(&self, v: &[f64], rhs: &mut [f64]) {
        fill_rhs(&self.nodal, self.xbar.conductances(), v, rhs);
    }

    /// Bit-line currents (A, B×N) for a batch of input vectors (V, B×M, one
    /// per row).
    pub fn solve(&self, inputs: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.xbar.check_inputs(inputs)?;
        let Some(factor) = &self.factor else {
            return Ok(ideal::product(inputs, self.xbar.conductances()));
        };
        if self.nodal.net.port_solvable() {
            return self.solve_at_ports(factor, inputs);
        }
        let (batch, n_out) = (inputs.nrows(), self.xbar.cols());
        let nodes = self.unknowns();
        // Blocks of vectors are solved in parallel, each block sequentially:
        // faer's supernodal triangular solve gains nothing from threads
        // inside one solve (it was 4× slower with them at 256×256), while
        // independent blocks scale with the cores.
        let threads = rayon::current_num_threads().max(1);
        let block = (BLOCK_ELEMENTS / nodes)
            .min(batch.div_ceil(threads))
            .clamp(1, batch.max(1));
        let starts: Vec<usize> = (0..batch).step_by(block).collect();
        let blocks: Vec<Result<DMatrix<f64>>> = starts
            .par_iter()
            .map(|&start| {
                let k = block.min(batch - start);
                let mut x = vec![0.0; nodes * k];
                let mut v = vec![0.0; self.xbar.rows()];
                for c in 0..k {
                    v.iter_mut()
                        .enumerate()
                        .for_each(|(i, e)| *e = inputs[(start + c, i)]);
                    self.fill_rhs(&v, &mut x[c * nodes..(c + 1) * nodes]);
                }
                self.nodal.solve_in_place(
                    factor,
                    MatMut::from_column_major_slice_mut(&mut x, nodes, k),
                    Par::Seq,
                )?;
                let mut out = DMatrix::zeros(k, n_out);
                for c in 0..k {
                    v.iter_mut()
                        .enumerate()
                        .for_each(|(i, e)| *e = inputs[(start + c, i)]);
                    let xc = &x[c * nodes..(c + 1) * nodes];
                    for j in 0..n_out {
                        out[(c, j)] = sense_current(
                            &self.nodal,
                            self.xbar.conductances(),
                            &Cell::default(),
                            xc,
                            &v,
                            j,
                        );
                    }
                }
                Ok(out)
            })
            .collect();
        let mut out = DMatrix::zeros(batch, n_out);
        for (&start, block) in starts.iter().zip(blocks) {
            let block = block?;
            out.rows_mut(start, block.nrows()).copy_from(&block);
        }
        check_finite(&out, "bit-line currents")?;
        Ok(out)
    }

    /// The batch solve when sources and outputs touch only the ports: two
    /// dense triangular solves with the ports' block of `L` per block of
    /// vectors (multithreaded), then the sense currents.
    fn solve_at_ports(&self, factor: &Factor, inputs: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let net = &self.nodal.net;
        let (m, n) = (net.m, net.n);
        debug_assert_eq!(self.nodal.ports().len(), m + n);
        let mut out = DMatrix::zeros(inputs.nrows(), n);
        self.for_port_blocks(factor, inputs, |start, x| {
            for c in 0..x.ncols() {
                for j in 0..n {
                    out[(start + c, j)] = net.g_sense * x[(m + j, c)];
                }
            }
        });
        check_finite(&out, "bit-line currents")?;
        Ok(out)
    }

    /// The ports' dense solve for a batch of input vectors (V, B×M), one
    /// block of vectors at a time (multithreaded when the block is large):
    /// `read(start, x)` receives the port voltages `x` (P×k: word-line
    /// drive nodes, then bit-line sense nodes) of vectors `start..start+k`.
    fn for_port_blocks(
        &self,
        factor: &Factor,
        inputs: &DMatrix<f64>,
        mut read: impl FnMut(usize, faer::MatRef<'_, f64>),
    ) {
        let net = &self.nodal.net;
        let m = net.m;
        let p = self.nodal.ports().len();
        let batch = inputs.nrows();
        let block = (BLOCK_ELEMENTS / p).clamp(1, batch.max(1));
        let mut rhs = faer::Mat::<f64>::zeros(p, block);
        for start in (0..batch).step_by(block) {
            let k = block.min(batch - start);
            let mut x = rhs.as_mut().subcols_mut(0, k);
            x.fill(0.0);
            for c in 0..k {
                for i in 0..m {
                    x[(i, c)] = net.g_drive * inputs[(start + c, i)];
                }
            }
            let par = if p * k >= 1 << 14 {
                Par::rayon(0)
            } else {
                Par::Seq
            };
            self.nodal.solve_ports(factor, x.rb_mut(), par);
            read(start, x.as_ref());
        }
    }

    /// Current each source delivers into its word line (A, B×M) for a batch
    /// of input vectors (V, B×M): what the array draws from its drivers.
    /// The array dissipates `Σᵢ Vᵢ·Iᵢ` (cells and wires together, by
    /// Tellegen's theorem), so `Vᵀ·Y·V` with `Y` this map's matrix (the
    /// input admittance, from M unit inputs) is the power of any input.
    ///
    /// When the circuit has drive and sense nodes (some wire, driver or
    /// sense resistance on each line type) this is the ports' dense solve
    /// of [`ExactSolver::solve`]; otherwise one full solve per vector.
    ///
    /// ```
    /// use nalgebra::DMatrix;
    /// use xbar_crossbar::{Crossbar, ExactSolver, Wires};
    /// let g = DMatrix::from_element(8, 4, 1e-5);
    /// let solver = ExactSolver::new(&Crossbar::new(g, Wires::new(2.0, 2.0, 0.0, 0.0)?)?)?;
    /// let v = DMatrix::from_element(1, 8, 0.2);
    /// let i = solver.source_currents(&v)?;
    /// assert!(i[(0, 0)] < 0.2 * 4.0 * 1e-5 && i[(0, 0)] > 0.9 * 0.2 * 4.0 * 1e-5);
    /// # Ok::<(), xbar_crossbar::CrossbarError>(())
    /// ```
    pub fn source_currents(&self, inputs: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.xbar.check_inputs(inputs)?;
        let (batch, m) = (inputs.nrows(), self.xbar.rows());
        let mut out = DMatrix::zeros(batch, m);
        match &self.factor {
            Some(factor) if self.nodal.net.port_solvable() => {
                let g_drive = self.nodal.net.g_drive;
                self.for_port_blocks(factor, inputs, |start, x| {
                    for c in 0..x.ncols() {
                        for i in 0..m {
                            let v = inputs[(start + c, i)];
                            out[(start + c, i)] = g_drive * (v - x[(i, c)]);
                        }
                    }
                });
            }
            _ => {
                let mut v = vec![0.0; m];
                for b in 0..batch {
                    v.iter_mut()
                        .enumerate()
                        .for_each(|(i, e)| *e = inputs[(b, i)]);
                    let x = self.solve_full(self.nodal_rhs(&v))?;
                    let nv = node_voltages(&self.nodal, self.xbar.conductances(), &x, &v);
                    for (i, c) in nv.source_currents.into_iter().enumerate() {
                        out[(b, i)] = c;
                    }
                }
            }
        }
        check_finite(&out, "source currents")?;
        Ok(out)
    }

    /// Every node voltage and port current for one input vector (V).
    pub fn node_voltages(&self, input: &[f64]) -> Result<NodeVoltages> {
        let x = self.solve_full(self.nodal_rhs_checked(input)?)?;
        let result = node_voltages(&self.nodal, self.xbar.conductances(), &x, input);
        check_finite(&result.wordline, "word-line voltages")?;
        check_finite(&result.bitline, "bit-line voltages")?;
        Ok(result)
    }

    /// The residual `‖A·x − b‖∞ / ‖b‖∞` of the solution for `input`: a
    /// posteriori evidence of the solve's accuracy.
    pub fn relative_residual(&self, input: &[f64]) -> Result<f64> {
        let b = self.nodal_rhs_checked(input)?;
        let x = self.solve_full(b.clone())?;
        let mut ax = vec![0.0; x.len()];
        self.nodal.mul(&self.values, &x, &mut ax);
        let norm = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let res = ax
            .iter()
            .zip(&b)
            .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
        Ok(if norm > 0.0 { res / norm } else { res })
    }

    /// `B·V` for one input vector, after checking it (length M, finite).
    fn nodal_rhs_checked(&self, input: &[f64]) -> Result<Vec<f64>> {
        self.xbar
            .check_inputs(&DMatrix::from_row_slice(1, input.len(), input))?;
        Ok(self.nodal_rhs(input))
    }

    /// Every unknown node voltage: the full sparse solve `A⁻¹·rhs`.
    fn solve_full(&self, mut rhs: Vec<f64>) -> Result<Vec<f64>> {
        if let Some(factor) = &self.factor {
            let n = rhs.len();
            self.nodal.solve_in_place(
                factor,
                MatMut::from_column_major_slice_mut(&mut rhs, n, 1),
                Par::Seq,
            )?;
        }
        Ok(rhs)
    }
}

/// Voltage of a terminal given the unknowns `x` and the inputs `v`.
#[inline]
pub(crate) fn terminal_voltage(t: Terminal, x: &[f64], v: &[f64]) -> f64 {
    match t {
        Terminal::Node(k) => x[k],
        Terminal::Source(i) => v[i],
        Terminal::Ground => 0.0,
    }
}

/// `B·V`: currents injected into the unknown nodes by the sources, for a
/// linear array of conductances `g`.
pub(crate) fn fill_rhs(nodal: &Nodal, g: &DMatrix<f64>, v: &[f64], rhs: &mut [f64]) {
    let net = &nodal.net;
    for (i, &vi) in v.iter().enumerate() {
        if let Some((k, gd)) = net.drive(i) {
            rhs[k] += gd * vi;
        }
    }
    // A fixed word line feeds the bit-line nodes through the cells.
    if let Terminal::Source(_) = net.wl(0, 0) {
        for i in 0..net.m {
            for j in 0..net.n {
                if let Terminal::Node(b) = net.bl(i, j) {
                    rhs[b] += g[(i, j)] * v[i];
                }
            }
        }
    }
}

/// The current into the virtual ground of bit line `j` (A), for cells
/// `cell`.
pub(crate) fn sense_current(
    nodal: &Nodal,
    g: &DMatrix<f64>,
    cell: &Cell,
    x: &[f64],
    v: &[f64],
    j: usize,
) -> f64 {
    let net = &nodal.net;
    match net.sense(j) {
        Some((k, gs)) => gs * x[k],
        // Bit line held at 0 V: the cells' currents flow straight in.
        None => (0..net.m)
            .map(|i| {
                cell.current(g[(i, j)], terminal_voltage(net.wl(i, j), x, v), 0.0)
                    .current_a
            })
            .sum(),
    }
}

pub(crate) fn node_voltages(nodal: &Nodal, g: &DMatrix<f64>, x: &[f64], v: &[f64]) -> NodeVoltages {
    let net = &nodal.net;
    let wordline = DMatrix::from_fn(net.m, net.n, |i, j| terminal_voltage(net.wl(i, j), x, v));
    let bitline = DMatrix::from_fn(net.m, net.n, |i, j| terminal_voltage(net.bl(i, j), x, v));
    let source_currents = (0..net.m)
        .map(|i| match net.drive(i) {
            Some((k, gd)) => gd * (v[i] - x[k]),
            None => (0..net.n)
                .map(|j| g[(i, j)] * (v[i] - bitline[(i, j)]))
                .sum(),
        })
        .collect();
    let sense_currents = (0..net.n)
        .map(|j| sense_current(nodal, g, &Cell::default(), x, v, j))
        .collect();
    NodeVoltages {
        wordline,
        bitline,
        source_currents,
        sense_currents,
    }
}

pub(crate) fn check_finite(m: &DMatrix<f64>, what: &str) -> Result<()> {
    if m.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(CrossbarError::NonFinite(what.to_string()))
    }
}
