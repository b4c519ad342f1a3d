//! The nodal equations `A·x = b` of the circuit drawn in [`crate::circuit`]:
//! node numbering, the sparsity pattern (lower triangle, compressed
//! columns), value assembly, and the faer Cholesky factorisation.
//!
//! `A` is the weighted graph Laplacian of the wires and cells restricted to
//! the unknown nodes, plus the conductances to the fixed nodes (sources,
//! virtual ground) on its diagonal; it is symmetric and, since every node
//! reaches a source or the ground through finite resistance, positive
//! definite (an irreducibly diagonally dominant M-matrix).

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::cholesky::llt::factor::LltRegularization;
use faer::linalg::solvers::Solve;
use faer::linalg::triangular_solve;
use faer::perm::PermRef;
use faer::reborrow::ReborrowMut;
use faer::sparse::linalg::amd;
use faer::sparse::linalg::cholesky::supernodal::SupernodalLltRef;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymbolicCholeskyRaw, SymmetricOrdering,
};
use faer::sparse::linalg::solvers::{Lu, SymbolicLu};
use faer::sparse::linalg::SupernodalThreshold;
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, Mat, MatMut, Par, Side};

use crate::circuit::Wires;
use crate::error::{CrossbarError, Result};
use crate::ordering;

/// How the nodes of one line type are represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Line {
    /// One unknown node per cell (non-zero wire resistance).
    Grid,
    /// One unknown node per line (zero wire, non-zero end resistance).
    Merged,
    /// The line is held at a known voltage (zero wire and end resistance).
    Fixed,
}

/// One end of a two-terminal element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Terminal {
    /// Unknown node `k`.
    Node(usize),
    /// The ideal source of word line `i`, at `V[i]`.
    Source(usize),
    /// The virtual ground, 0 V.
    Ground,
}

/// Node numbering and wire conductances (S) of an `m×n` array.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    pub m: usize,
    pub n: usize,
    pub wl: Line,
    pub bl: Line,
    /// Conductance from source `i` to the first word-line node.
    pub g_drive: f64,
    /// Word-line segment conductance.
    pub g_wl: f64,
    /// Bit-line segment conductance.
    pub g_bl: f64,
    /// Conductance from the last bit-line node to the virtual ground.
    pub g_sense: f64,
    wl_nodes: usize,
    pub nodes: usize,
}

impl Network {
    pub fn new(m: usize, n: usize, wires: &Wires) -> Self {
        let (wl, g_drive, g_wl) = if wires.r_wordline > 0.0 {
            (
                Line::Grid,
                1.0 / (wires.r_source + wires.r_wordline),
                1.0 / wires.r_wordline,
            )
        } else if wires.r_source > 0.0 {
            (Line::Merged, 1.0 / wires.r_source, 0.0)
        } else {
            (Line::Fixed, 0.0, 0.0)
        };
        let (bl, g_sense, g_bl) = if wires.r_bitline > 0.0 {
            (
                Line::Grid,
                1.0 / (wires.r_bitline + wires.r_sense),
                1.0 / wires.r_bitline,
            )
        } else if wires.r_sense > 0.0 {
            (Line::Merged, 1.0 / wires.r_sense, 0.0)
        } else {
            (Line::Fixed, 0.0, 0.0)
        };
        let count = |line, per_line| match line {
            Line::Grid => m * n,
            Line::Merged => per_line,
            Line::Fixed => 0,
        };
        let wl_nodes = count(wl, m);
        let nodes = wl_nodes + count(bl, n);
        Network {
            m,
            n,
            wl,
            bl,
            g_drive,
            g_wl,
            g_bl,
            g_sense,
            wl_nodes,
            nodes,
        }
    }

    /// The word-line terminal of cell `(i, j)`.
    #[inline]
    pub fn wl(&self, i: usize, j: usize) -> Terminal {
        match self.wl {
            Line::Grid => Terminal::Node(i * self.n + j),
            Line::Merged => Terminal::Node(i),
            Line::Fixed => Terminal::Source(i),
        }
    }

    /// The bit-line terminal of cell `(i, j)`.
    #[inline]
    pub fn bl(&self, i: usize, j: usize) -> Terminal {
        match self.bl {
            Line::Grid => Terminal::Node(self.wl_nodes + i * self.n + j),
            Line::Merged => Terminal::Node(self.wl_nodes + j),
            Line::Fixed => Terminal::Ground,
        }
    }

    /// The node fed by source `i` and the conductance of that feed, if any.
    pub fn drive(&self, i: usize) -> Option<(usize, f64)> {
        match self.wl(i, 0) {
            Terminal::Node(k) => Some((k, self.g_drive)),
            _ => None,
        }
    }

    /// The node that feeds sense amplifier `j` and the conductance of that
    /// path, if any.
    pub fn sense(&self, j: usize) -> Option<(usize, f64)> {
        match self.bl(self.m - 1, j) {
            Terminal::Node(k) => Some((k, self.g_sense)),
            _ => None,
        }
    }

    /// Every wire element (not the cells): `(a, b, conductance)`.
    pub fn for_each_wire(&self, mut f: impl FnMut(Terminal, Terminal, f64)) {
        let (m, n) = (self.m, self.n);
        for i in 0..m {
            if let Some((k, g)) = self.drive(i) {
                f(Terminal::Source(i), Terminal::Node(k), g);
            }
            if self.wl == Line::Grid {
                for j in 1..n {
                    f(self.wl(i, j - 1), self.wl(i, j), self.g_wl);
                }
            }
        }
        for j in 0..n {
            if self.bl == Line::Grid {
                for i in 1..m {
                    f(self.bl(i - 1, j), self.bl(i, j), self.g_bl);
                }
            }
            if let Some((k, g)) = self.sense(j) {
                f(Terminal::Node(k), Terminal::Ground, g);
            }
        }
    }

    /// The ports: the nodes fed by the sources (word-line order), then the
    /// nodes that feed the sense amplifiers (bit-line order).
    pub fn ports(&self) -> Vec<usize> {
        let drives = (0..self.m).filter_map(|i| self.drive(i).map(|(k, _)| k));
        let senses = (0..self.n).filter_map(|j| self.sense(j).map(|(k, _)| k));
        drives.chain(senses).collect()
    }

    /// Whether the sources reach the unknowns only through the drive nodes
    /// and the outputs are read only at the sense nodes, so that a solve
    /// needs only the ports' block of the factor (see [`Nodal::solve_ports`]).
    pub fn port_solvable(&self) -> bool {
        self.wl != Line::Fixed && self.bl != Line::Fixed
    }
}

/// Elimination order (position → node) with the ports last: geometric
/// nested dissection of the grid, or AMD of the interior graph when a line
/// type is merged, then the ports. Eliminating the ports last leaves their
/// Schur complement `S = L_pp·L_ppᵀ` as the trailing dense block of `L`.
fn elimination_order(nodal: &Nodal, ports: &[usize]) -> Result<Vec<usize>> {
    let net = &nodal.net;
    let nodes = net.nodes;
    let mut is_port = vec![false; nodes];
    ports.iter().for_each(|&k| is_port[k] = true);
    let mut order: Vec<usize> = if net.wl == Line::Grid && net.bl == Line::Grid {
        ordering::nested_dissection(net.m, net.n)
            .into_iter()
            .filter(|&k| !is_port[k])
            .collect()
    } else {
        // AMD on the interior: the pattern restricted to non-port nodes.
        let interior: Vec<usize> = (0..nodes).filter(|&k| !is_port[k]).collect();
        let mut new_index = vec![usize::MAX; nodes];
        interior
            .iter()
            .enumerate()
            .for_each(|(new, &old)| new_index[old] = new);
        let ni = interior.len();
        let mut col_ptr = vec![0usize; ni + 1];
        let mut row_idx = Vec::new();
        for (c, &old_c) in interior.iter().enumerate() {
            for &r in &nodal.row_idx[nodal.col_ptr[old_c]..nodal.col_ptr[old_c + 1]] {
                if new_index[r] != usize::MAX {
                    row_idx.push(new_index[r]);
                }
            }
            col_ptr[c + 1] = row_idx.len();
        }
        let mut perm = vec![0usize; ni];
        let mut perm_inv = vec![0usize; ni];
        if ni > 0 {
            let pattern =
                SymbolicSparseColMatRef::new_unsorted_checked(ni, ni, &col_ptr, None, &row_idx);
            let mut mem = MemBuffer::try_new(amd::order_scratch::<usize>(ni, row_idx.len()))
                .map_err(|_| out_of_memory(row_idx.len()))?;
            amd::order(
                &mut perm,
                &mut perm_inv,
                pattern,
                amd::Control::default(),
                MemStack::new(&mut mem),
            )
            .map_err(|e| CrossbarError::Singular(format!("ordering: {e:?}")))?;
        }
        perm.into_iter().map(|k| interior[k]).collect()
    };
    order.extend_from_slice(ports);
    Ok(order)
}

/// The lower triangle of `A` in compressed columns, with the positions of
/// each element's entries so that values can be re-assembled in `O(nnz)`.
#[derive(Debug)]
pub(crate) struct Nodal {
    pub net: Network,
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    /// Position of the diagonal entry of each node.
    diag: Vec<usize>,
    /// Position of the off-diagonal entry of cell `i·n + j`, when both its
    /// terminals are unknown nodes.
    cell_offdiag: Vec<usize>,
    /// The values contributed by the wires alone.
    wire_values: Vec<f64>,
    /// The ports (drive nodes, then sense nodes), eliminated last.
    ports: Vec<usize>,
    symbolic: Option<SymbolicCholesky<usize>>,
}

const NO_ENTRY: usize = usize::MAX;

impl Nodal {
    /// Builds the pattern and the symbolic factorisation (ordering,
    /// elimination tree, supernodes). Cost: `O(nnz(L))` memory for the
    /// symbolic structure, negligible time next to the numeric factorisation.
    pub fn new(m: usize, n: usize, wires: &Wires) -> Result<Self> {
        let net = Network::new(m, n, wires);
        let nodes = net.nodes;
        // Off-diagonal edges between unknowns, stored in column min, row max.
        let mut edges: Vec<(usize, usize)> = Vec::with_capacity(3 * nodes);
        net.for_each_wire(|a, b, _| {
            if let (Terminal::Node(a), Terminal::Node(b)) = (a, b) {
                edges.push((a.min(b), a.max(b)));
            }
        });
        let wire_edges = edges.len();
        for i in 0..m {
            for j in 0..n {
                if let (Terminal::Node(a), Terminal::Node(b)) = (net.wl(i, j), net.bl(i, j)) {
                    edges.push((a.min(b), a.max(b)));
                }
            }
        }
        // Counting sort into columns; the diagonal first in each column.
        let mut col_ptr = vec![0usize; nodes + 1];
        for &(c, _) in &edges {
            col_ptr[c + 1] += 1;
        }
        for c in 0..nodes {
            col_ptr[c + 1] += col_ptr[c] + 1;
        }
        let mut next: Vec<usize> = col_ptr[..nodes].to_vec();
        let mut row_idx = vec![0usize; col_ptr[nodes]];
        let mut diag = vec![0usize; nodes];
        for c in 0..nodes {
            diag[c] = next[c];
            row_idx[next[c]] = c;
            next[c] += 1;
        }
        let mut edge_pos = Vec::with_capacity(edges.len());
        for &(c, r) in &edges {
            row_idx[next[c]] = r;
            edge_pos.push(next[c]);
            next[c] += 1;
        }
        let mut cell_offdiag = vec![NO_ENTRY; m * n];
        let mut k = wire_edges;
        for i in 0..m {
            for j in 0..n {
                if let (Terminal::Node(_), Terminal::Node(_)) = (net.wl(i, j), net.bl(i, j)) {
                    cell_offdiag[i * n + j] = edge_pos[k];
                    k += 1;
                }
            }
        }
        let mut nodal = Nodal {
            net,
            col_ptr,
            row_idx,
            diag,
            cell_offdiag,
            wire_values: Vec::new(),
            ports: Vec::new(),
            symbolic: None,
        };
        let mut values = vec![0.0; nodal.row_idx.len()];
        let mut k = 0;
        nodal.net.for_each_wire(|a, b, g| {
            nodal_stamp_wire(&nodal.diag, &edge_pos, &mut k, &mut values, a, b, g)
        });
        nodal.wire_values = values;
        nodal.ports = nodal.net.ports();
        if nodes > 0 {
            nodal.symbolic = Some(nodal.analyse()?);
        }
        Ok(nodal)
    }

    fn pattern(&self) -> SymbolicSparseColMatRef<'_, usize> {
        let n = self.net.nodes;
        SymbolicSparseColMatRef::new_unsorted_checked(n, n, &self.col_ptr, None, &self.row_idx)
    }

    fn analyse(&self) -> Result<SymbolicCholesky<usize>> {
        let order = elimination_order(self, &self.ports)?;
        let mut inverse = vec![0usize; order.len()];
        for (new, &old) in order.iter().enumerate() {
            inverse[old] = new;
        }
        let params = CholeskySymbolicParams {
            // Always supernodal: the ports' dense block is read from the
            // supernodes (and the supernodal kernels are the fast ones).
            supernodal_flop_ratio_threshold: SupernodalThreshold::FORCE_SUPERNODAL,
            ..Default::default()
        };
        factorize_symbolic_cholesky(
            self.pattern(),
            Side::Lower,
            SymmetricOrdering::Custom(PermRef::new_checked(&order, &inverse, order.len())),
            params,
        )
        .map_err(|e| CrossbarError::Singular(format!("symbolic analysis: {e:?}")))
    }

    /// The ports (drive nodes, then sense nodes).
    pub fn ports(&self) -> &[usize] {
        &self.ports
    }

    /// Number of unknown node voltages.
    pub fn nodes(&self) -> usize {
        self.net.nodes
    }

    /// Stored entries of the Cholesky factor `L` (0 when nothing is unknown).
    pub fn factor_len(&self) -> usize {
        self.symbolic.as_ref().map_or(0, |s| s.len_val())
    }

    /// The values of `A` for cell conductances `cell_g(i, j)` (S).
    pub fn values(&self, cell_g: impl Fn(usize, usize) -> f64) -> Vec<f64> {
        let mut values = self.wire_values.clone();
        let net = &self.net;
        for i in 0..net.m {
            for j in 0..net.n {
                let g = cell_g(i, j);
                if let Terminal::Node(a) = net.wl(i, j) {
                    values[self.diag[a]] += g;
                }
                if let Terminal::Node(b) = net.bl(i, j) {
                    values[self.diag[b]] += g;
                }
                let pos = self.cell_offdiag[i * net.n + j];
                if pos != NO_ENTRY {
                    values[pos] -= g;
                }
            }
        }
        values
    }

    /// Lower-triangle triplets `(row, col, value)` of `A` (for exporting
    /// the system to other solvers).
    pub fn triplets(&self, values: &[f64]) -> Vec<(usize, usize, f64)> {
        let mut out = Vec::with_capacity(values.len());
        for c in 0..self.net.nodes {
            let entries = self.col_ptr[c]..self.col_ptr[c + 1];
            for (&r, &value) in self.row_idx[entries.clone()].iter().zip(&values[entries]) {
                out.push((r, c, value));
            }
        }
        out
    }

    /// `y = A·x` for the symmetric `A` stored by its lower triangle.
    pub fn mul(&self, values: &[f64], x: &[f64], y: &mut [f64]) {
        y.iter_mut().for_each(|v| *v = 0.0);
        for c in 0..self.net.nodes {
            let entries = self.col_ptr[c]..self.col_ptr[c + 1];
            for (&r, &value) in self.row_idx[entries.clone()].iter().zip(&values[entries]) {
                y[r] += value * x[c];
                if r != c {
                    y[c] += value * x[r];
                }
            }
        }
    }

    /// Numeric Cholesky factorisation `A = L·Lᵀ` (multithreaded).
    pub fn factorize(&self, values: &[f64]) -> Result<Factor> {
        let symbolic = self
            .symbolic
            .as_ref()
            .expect("factorize is only called when there are unknown nodes");
        // Below ~64k unknowns the threads cost more than they bring (measured:
        // 64×64 factorises in 2.5 ms on one thread, 3.5 ms on two).
        let par = if self.net.nodes < 1 << 16 {
            Par::Seq
        } else {
            Par::rayon(0)
        };
        let mut l_values = Vec::new();
        l_values
            .try_reserve_exact(symbolic.len_val())
            .map_err(|_| out_of_memory(symbolic.len_val()))?;
        l_values.resize(symbolic.len_val(), 0.0);
        let mut mem = MemBuffer::try_new(
            symbolic.factorize_numeric_llt_scratch::<f64>(par, Default::default()),
        )
        .map_err(|_| out_of_memory(symbolic.len_val()))?;
        let a = SparseColMatRef::new(self.pattern(), values);
        symbolic
            .factorize_numeric_llt(
                &mut l_values,
                a,
                Side::Lower,
                LltRegularization::default(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .map_err(|e| {
                CrossbarError::Singular(format!(
                    "the nodal matrix is not positive definite to working precision ({e:?}); \
                     a conductance or resistance spans too many orders of magnitude"
                ))
            })?;
        let l_ports = self.port_block(symbolic, &l_values);
        Ok(Factor { l_values, l_ports })
    }

    /// The trailing `P×P` block `L_pp` of the factor (the ports), dense.
    fn port_block(&self, symbolic: &SymbolicCholesky<usize>, l_values: &[f64]) -> Mat<f64> {
        let p = self.ports.len();
        let first = self.net.nodes - p;
        let mut block = Mat::<f64>::zeros(p, p);
        let SymbolicCholeskyRaw::Supernodal(supernodal) = symbolic.raw() else {
            unreachable!("the factorisation is forced supernodal");
        };
        let llt = SupernodalLltRef::new(supernodal, l_values);
        for s in (0..supernodal.n_supernodes()).rev() {
            let node = llt.supernode(s);
            let (start, values) = (node.start(), node.val());
            let size = values.ncols();
            if start + size <= first {
                break;
            }
            for c in 0..size {
                let col = start + c;
                if col < first {
                    continue;
                }
                for r in c..size {
                    block[(start + r - first, col - first)] = values[(r, c)];
                }
                for (idx, &row) in node.pattern().iter().enumerate() {
                    block[(row - first, col - first)] = values[(size + idx, c)];
                }
            }
        }
        block
    }

    /// Solves `A·X = B` for right-hand sides that vanish outside the ports,
    /// returning `X` at the ports only. `rhs` is `P×k` in port order
    /// (drive nodes, then sense nodes) and is overwritten by the solution.
    ///
    /// With the ports eliminated last, `L⁻¹·b` is zero before the port block
    /// and the ports' part of `L⁻ᵀ·y` depends on the port block alone, so
    /// the exact solve is two dense triangular solves with `L_pp`:
    /// `2·P²` flops per vector instead of `4·nnz(L)`.
    pub fn solve_ports(&self, factor: &Factor, rhs: MatMut<'_, f64>, par: Par) {
        debug_assert!(self.net.port_solvable());
        let l = factor.l_ports.as_ref();
        let mut rhs = rhs;
        triangular_solve::solve_lower_triangular_in_place(l, rhs.rb_mut(), par);
        triangular_solve::solve_upper_triangular_in_place(l.transpose(), rhs.rb_mut(), par);
    }

    /// Overwrites the columns of `rhs` (`nodes × k`) with `A⁻¹·rhs`.
    pub fn solve_in_place(&self, factor: &Factor, rhs: MatMut<'_, f64>, par: Par) -> Result<()> {
        let symbolic = self.symbolic.as_ref().expect("unknown nodes exist");
        let mut mem = MemBuffer::try_new(symbolic.solve_in_place_scratch::<f64>(rhs.ncols(), par))
            .map_err(|_| out_of_memory(symbolic.nrows() * rhs.ncols()))?;
        LltRef::new(symbolic, &factor.l_values).solve_in_place_with_conj(
            Conj::No,
            rhs,
            par,
            MemStack::new(&mut mem),
        );
        Ok(())
    }
}

/// The nodal matrix's pattern with both triangles (compressed columns,
/// rows sorted), for Jacobians that are not symmetric (cells whose current
/// depends on a gate: [`xbar_devices::Cell::is_two_terminal`]), with its
/// symbolic LU factorisation, computed once and reused by every Newton
/// iteration.
#[derive(Debug)]
pub(crate) struct FullPattern {
    col_ptr: Vec<usize>,
    row_idx: Vec<usize>,
    /// For each entry of the lower triangle: its position in the full
    /// pattern and its mirror's (the same position on the diagonal).
    mirror: Vec<(usize, usize)>,
    symbolic: SymbolicLu<usize>,
}

impl Nodal {
    /// The full pattern and its symbolic LU (faer's sparse LU with partial
    /// pivoting and its own column ordering, COLAMD).
    pub fn full_pattern(&self) -> Result<FullPattern> {
        let n = self.net.nodes;
        // (col, row, lower entry, is the mirror)
        let mut entries: Vec<(usize, usize, usize, bool)> =
            Vec::with_capacity(2 * self.row_idx.len());
        for c in 0..n {
            for k in self.col_ptr[c]..self.col_ptr[c + 1] {
                let r = self.row_idx[k];
                entries.push((c, r, k, false));
                if r != c {
                    entries.push((r, c, k, true));
                }
            }
        }
        entries.sort_unstable_by_key(|&(c, r, _, _)| (c, r));
        let mut col_ptr = vec![0usize; n + 1];
        let mut row_idx = Vec::with_capacity(entries.len());
        let mut mirror = vec![(usize::MAX, usize::MAX); self.row_idx.len()];
        for (pos, &(c, r, k, is_mirror)) in entries.iter().enumerate() {
            col_ptr[c + 1] += 1;
            row_idx.push(r);
            if is_mirror {
                mirror[k].1 = pos;
            } else {
                mirror[k].0 = pos;
                if r == c {
                    mirror[k].1 = pos;
                }
            }
        }
        for c in 0..n {
            col_ptr[c + 1] += col_ptr[c];
        }
        let pattern = SymbolicSparseColMatRef::new_checked(n, n, &col_ptr, None, &row_idx);
        let symbolic = SymbolicLu::try_new(pattern)
            .map_err(|e| CrossbarError::Singular(format!("symbolic LU: {e:?}")))?;
        Ok(FullPattern {
            col_ptr,
            row_idx,
            mirror,
            symbolic,
        })
    }

    /// The values of a Jacobian in the full pattern: the wires, plus for
    /// each cell `(i, j)` the partials `(∂I/∂V_w, ∂I/∂V_b)` of its current
    /// from word line to bit line, stamped into the rows of both nodes
    /// (`+I` leaves the word-line node, `−I` the bit-line node).
    pub fn full_values(
        &self,
        full: &FullPattern,
        partials: impl Fn(usize, usize) -> (f64, f64),
    ) -> Vec<f64> {
        let mut values = vec![0.0; full.row_idx.len()];
        for (k, &w) in self.wire_values.iter().enumerate() {
            let (p, q) = full.mirror[k];
            values[p] += w;
            if q != p {
                values[q] += w;
            }
        }
        let net = &self.net;
        for i in 0..net.m {
            for j in 0..net.n {
                let (a, b) = partials(i, j);
                let (tw, tb) = (net.wl(i, j), net.bl(i, j));
                if let Terminal::Node(w) = tw {
                    values[full.mirror[self.diag[w]].0] += a;
                }
                if let Terminal::Node(v) = tb {
                    values[full.mirror[self.diag[v]].0] -= b;
                }
                let pos = self.cell_offdiag[i * net.n + j];
                if pos != NO_ENTRY {
                    // Word-line nodes are numbered before bit-line nodes,
                    // so the lower entry is (bit line, word line).
                    let (lower, upper) = full.mirror[pos];
                    values[lower] -= a;
                    values[upper] += b;
                }
            }
        }
        values
    }

    /// Overwrites `rhs` (length `nodes`) with `J⁻¹·rhs` for the Jacobian
    /// `values` in the full pattern: faer's sparse LU with partial pivoting.
    pub fn lu_solve_in_place(
        &self,
        full: &FullPattern,
        values: &[f64],
        rhs: &mut [f64],
    ) -> Result<()> {
        let n = self.net.nodes;
        self.lu(full, values)?
            .solve_in_place(MatMut::from_column_major_slice_mut(rhs, n, 1));
        Ok(())
    }

    /// The sparse LU of the Jacobian `values` in the full pattern, for
    /// many solves (faer's [`Lu`]: `solve_in_place`,
    /// `solve_transpose_in_place`).
    pub fn lu(&self, full: &FullPattern, values: &[f64]) -> Result<Lu<usize, f64>> {
        let n = self.net.nodes;
        let pattern =
            SymbolicSparseColMatRef::new_checked(n, n, &full.col_ptr, None, &full.row_idx);
        Lu::try_new_with_symbolic(full.symbolic.clone(), SparseColMatRef::new(pattern, values))
            .map_err(|e| {
                CrossbarError::Singular(format!(
                    "the Jacobian is singular to working precision ({e:?})"
                ))
            })
    }
}

fn nodal_stamp_wire(
    diag: &[usize],
    edge_pos: &[usize],
    k: &mut usize,
    values: &mut [f64],
    a: Terminal,
    b: Terminal,
    g: f64,
) {
    if let Terminal::Node(a) = a {
        values[diag[a]] += g;
    }
    if let Terminal::Node(b) = b {
        values[diag[b]] += g;
    }
    if let (Terminal::Node(_), Terminal::Node(_)) = (a, b) {
        values[edge_pos[*k]] -= g;
        *k += 1;
    }
}

fn out_of_memory(elements: usize) -> CrossbarError {
    CrossbarError::Singular(format!(
        "out of memory allocating {:.1} GiB for the factorisation",
        elements as f64 * 8.0 / (1u64 << 30) as f64
    ))
}

/// The numeric Cholesky factor of one nodal matrix.
#[derive(Debug)]
pub(crate) struct Factor {
    l_values: Vec<f64>,
    /// The ports' trailing block of `L` (P×P, lower triangular).
    l_ports: Mat<f64>,
}
