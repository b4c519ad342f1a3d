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
use faer::perm::PermRef;
use faer::sparse::linalg::cholesky::{
    factorize_symbolic_cholesky, CholeskySymbolicParams, LltRef, SymbolicCholesky,
    SymmetricOrdering,
};
use faer::sparse::{SparseColMatRef, SymbolicSparseColMatRef};
use faer::{Conj, MatMut, Par, Side};

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

    /// The fill-reducing ordering: geometric nested dissection for the
    /// full grid, AMD (faer's default) when a line type is merged or fixed.
    fn ordering(&self) -> Option<Vec<usize>> {
        (self.wl == Line::Grid && self.bl == Line::Grid)
            .then(|| ordering::nested_dissection(self.m, self.n))
    }
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
            symbolic: None,
        };
        let mut values = vec![0.0; nodal.row_idx.len()];
        let mut k = 0;
        nodal.net.for_each_wire(|a, b, g| {
            nodal_stamp_wire(&nodal.diag, &edge_pos, &mut k, &mut values, a, b, g)
        });
        nodal.wire_values = values;
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
        let order = self.net.ordering();
        let inverse = order.as_ref().map(|fwd| {
            let mut inv = vec![0usize; fwd.len()];
            for (new, &old) in fwd.iter().enumerate() {
                inv[old] = new;
            }
            inv
        });
        let ord = match (&order, &inverse) {
            (Some(fwd), Some(inv)) => {
                SymmetricOrdering::Custom(PermRef::new_checked(fwd, inv, fwd.len()))
            }
            _ => SymmetricOrdering::Amd,
        };
        factorize_symbolic_cholesky(
            self.pattern(),
            Side::Lower,
            ord,
            CholeskySymbolicParams::default(),
        )
        .map_err(|e| CrossbarError::Singular(format!("symbolic analysis: {e:?}")))
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
        let par = Par::rayon(0);
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
        Ok(Factor { l_values })
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
}
