//! The crossbar circuit: geometry, wire resistances and the programmed
//! conductance matrix.
//!
//! ```text
//! word line i:  V[i] ──r_source+r_wl── W(i,0) ──r_wl── W(i,1) ──r_wl── … ── W(i,N-1)   (open end)
//!                                        │                │                   │
//!                                     g[i,0]           g[i,1]             g[i,N-1]
//!                                        │                │                   │
//!                                      B(i,0)           B(i,1)      …      B(i,N-1)
//!
//! bit line j:   B(0,j) ──r_bl── B(1,j) ──r_bl── … ── B(M-1,j) ──r_bl+r_sense──▶ virtual ground, 0 V
//!                                                                             (current I[j])
//! ```
//!
//! W(i,j) and B(i,j) are the word-line and bit-line nodes of cell (i,j): the
//! word lines run along the rows, the bit lines down the columns, and they
//! meet only through the cells.
//!
//! Exactly:
//! * word line `i` is driven at its column-0 end by an ideal source `V[i]`
//!   through `r_source + r_wordline`; neighbouring word-line nodes `(i, j-1)`
//!   and `(i, j)` are joined by one `r_wordline` segment; the far end is open;
//! * bit line `j` runs from row 0 to row M-1 with one `r_bitline` segment
//!   between neighbouring bit-line nodes, and leaves node `(M-1, j)` through
//!   `r_bitline + r_sense` into a virtual ground at 0 V;
//! * cell `(i, j)` (conductance `g[i,j]`, siemens) joins word-line node
//!   `(i, j)` to bit-line node `(i, j)`;
//! * the output `I[j]` (amperes) is the current into the virtual ground of
//!   bit line `j`.
//!
//! A zero wire resistance merges the nodes of each line (one node per word
//! line or bit line); a zero driver (sense) resistance on top fixes that
//! node at `V[i]` (0 V). All four zero give exactly the ideal `I = Vᵀ·G`.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{CrossbarError, Result};

/// The resistances of the array's wiring and periphery, in ohms.
///
/// `r_wordline` and `r_bitline` are per segment between neighbouring cells;
/// `r_source` is the driver's output resistance, `r_sense` the sense
/// amplifier's input resistance. All must be finite and ≥ 0.
///
/// ```
/// use xbar_crossbar::Wires;
/// let wires = Wires::new(2.5, 2.5, 100.0, 50.0)?;
/// assert_eq!(wires.r_source, 100.0);
/// assert!(Wires::new(-1.0, 0.0, 0.0, 0.0).is_err());
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wires {
    /// Word-line resistance per segment (Ω).
    pub r_wordline: f64,
    /// Bit-line resistance per segment (Ω).
    pub r_bitline: f64,
    /// Input driver resistance (Ω).
    pub r_source: f64,
    /// Sense (virtual-ground) resistance (Ω).
    pub r_sense: f64,
}

impl Wires {
    /// Checked constructor (all resistances in ohms).
    pub fn new(r_wordline: f64, r_bitline: f64, r_source: f64, r_sense: f64) -> Result<Self> {
        let wires = Wires {
            r_wordline,
            r_bitline,
            r_source,
            r_sense,
        };
        wires.validate()?;
        Ok(wires)
    }

    /// No wire, driver or sense resistance: the ideal product.
    pub fn ideal() -> Self {
        Wires::default()
    }

    /// Whether every resistance is zero.
    pub fn is_ideal(&self) -> bool {
        self.r_wordline == 0.0
            && self.r_bitline == 0.0
            && self.r_source == 0.0
            && self.r_sense == 0.0
    }

    /// Checks that every resistance is finite and ≥ 0.
    pub fn validate(&self) -> Result<()> {
        for (field, r) in [
            ("r_wordline", self.r_wordline),
            ("r_bitline", self.r_bitline),
            ("r_source", self.r_source),
            ("r_sense", self.r_sense),
        ] {
            if !(r.is_finite() && r >= 0.0) {
                return Err(CrossbarError::invalid(
                    field,
                    format!("expected a finite resistance ≥ 0 Ω, found {r}"),
                ));
            }
        }
        Ok(())
    }
}

/// A programmed array: conductances (siemens, M×N, rows = word lines) and
/// its [`Wires`].
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_crossbar::{Crossbar, Wires};
/// let xbar = Crossbar::new(DMatrix::from_element(4, 3, 1e-6), Wires::ideal())?;
/// assert_eq!((xbar.rows(), xbar.cols()), (4, 3));
/// assert!(Crossbar::new(DMatrix::from_element(2, 2, -1e-6), Wires::ideal()).is_err());
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Crossbar {
    conductances: DMatrix<f64>,
    wires: Wires,
}

impl Crossbar {
    /// Checks that the array is non-empty, every conductance finite and
    /// ≥ 0, and the wires valid.
    pub fn new(conductances: DMatrix<f64>, wires: Wires) -> Result<Self> {
        wires.validate()?;
        if conductances.nrows() == 0 || conductances.ncols() == 0 {
            return Err(CrossbarError::invalid(
                "conductances",
                format!(
                    "expected at least one row and one column, found {}×{}",
                    conductances.nrows(),
                    conductances.ncols()
                ),
            ));
        }
        for j in 0..conductances.ncols() {
            for i in 0..conductances.nrows() {
                let g = conductances[(i, j)];
                if !(g.is_finite() && g >= 0.0) {
                    return Err(CrossbarError::invalid(
                        format!("g[{i},{j}]"),
                        format!("expected a finite conductance ≥ 0 S, found {g}"),
                    ));
                }
            }
        }
        Ok(Crossbar {
            conductances,
            wires,
        })
    }

    /// Number of word lines M.
    pub fn rows(&self) -> usize {
        self.conductances.nrows()
    }

    /// Number of bit lines N.
    pub fn cols(&self) -> usize {
        self.conductances.ncols()
    }

    /// The programmed conductances (S).
    pub fn conductances(&self) -> &DMatrix<f64> {
        &self.conductances
    }

    /// The wiring.
    pub fn wires(&self) -> &Wires {
        &self.wires
    }

    /// Checks that `inputs` is a `B×M` batch of finite voltages.
    pub(crate) fn check_inputs(&self, inputs: &DMatrix<f64>) -> Result<()> {
        if inputs.ncols() != self.rows() {
            return Err(CrossbarError::shape(
                "input vector length (number of word lines)",
                self.rows(),
                inputs.ncols(),
            ));
        }
        if let Some(k) = inputs.iter().position(|v| !v.is_finite()) {
            let (b, i) = (k % inputs.nrows(), k / inputs.nrows());
            return Err(CrossbarError::invalid(
                format!("inputs[{b},{i}]"),
                format!("expected a finite voltage, found {}", inputs[(b, i)]),
            ));
        }
        Ok(())
    }
}
