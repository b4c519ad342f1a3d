//! Bit slicing: integer weights spread over several cells of a few levels
//! each, integer inputs fed a few bits per step, every slice's partial sum
//! through the ADC, and the slices joined again by shift-and-add (ISAAC,
//! Shafiee et al., ISCA 2016, §4: 16-bit weights on eight 2-bit cells,
//! 16-bit inputs through 1-bit DACs over 16 steps; PRIME, Chi et al.,
//! ISCA 2016, and NeuroSim's "bit-serial" mode are the same arithmetic).
//!
//! # Mapping
//! A [`Slicing`] has `b_c` bits per cell, `n_c` cells per weight (so
//! `B = n_c·b_c` weight bits), `b_x` input bits fed `b_d` bits per DAC step
//! (`S = ⌈b_x/b_d⌉` steps) and an ADC of `n` bits per slice. A weight's
//! magnitude is written in base `2^b_c`, one digit per cell; an input in
//! base `2^b_d`, one digit per step:
//!
//! ```text
//! |w| = Σₖ dₖ·2^(k·b_c),  dₖ ∈ [0, 2^b_c − 1]      x = Σₛ xₛ·2^(s·b_d),  xₛ ∈ [0, 2^b_d − 1]
//!
//!            weight j: n_c cells (differential: n_c more for w < 0)
//!          k = n_c−1   …    k = 1     k = 0
//! xₛ,₀ ─DAC─[d]────────…────[d]───────[d]──      one step s: the DAC drives
//! xₛ,₁ ─DAC─[d]────────…────[d]───────[d]──      digit xₛ,ᵢ on row i
//!   ⋮        │               │         │
//!           ADC             ADC       ADC        Pₛ,ₖ,ⱼ = Σᵢ xₛ,ᵢ·dₖ,ᵢ,ⱼ  (one slice)
//!            └──── × 2^(k·b_c + s·b_d), add ─────► yⱼ
//! ```
//!
//! so that, with an exact ADC, `yⱼ = Σₛ Σₖ 2^(k·b_c+s·b_d)·Pₛ,ₖ,ⱼ = Σᵢ xᵢ·|wᵢⱼ|`.
//! **Signs** ([`SignedBy`]): *differential* columns hold the digits of
//! `max(w, 0)` and of `max(−w, 0)` (weights in `[−(2^B−1), 2^B−1]`, `2·n_c`
//! columns per weight) and the two sums are subtracted after the ADC;
//! *offset* columns hold the digits of `w + 2^(B−1)` (weights in
//! `[−2^(B−1), 2^(B−1)−1]`, `n_c` columns, as ISAAC's biased encoding) and
//! `2^(B−1)·Σᵢ xᵢ` is subtracted digitally. Inputs are unsigned
//! (`[0, 2^b_x − 1]`, as after a ReLU); a signed input needs two passes.
//!
//! **The ADC** ([`AdcRange`]) converts every slice's partial sum `P`
//! (`0 ≤ P ≤ P_max = M·(2^b_d−1)·(2^b_c−1)` on `M` rows) to one of `2^n`
//! codes: [`AdcRange::Clip`] counts one unit per step and saturates,
//! `q(P) = min(round(P), 2^n − 1)` — exact while `P < 2^n`, so exact for
//! every input when `2^n > P_max`; [`AdcRange::FullScale`] spreads the codes
//! over `[0, P_max]`, `Δ = P_max/(2^n − 1)`, `q(P) = Δ·round(P/Δ)` — never
//! clipped, off by up to `Δ/2` per slice. The shift-and-add then scales each
//! slice's error by `2^(k·b_c+s·b_d)`: the high slices' errors dominate.
//!
//! [`SlicedWeights`] holds a tile's weights as cell levels (`M × N·columns`,
//! the matrix to program, level `L` of `2^b_c` as conductance
//! `G_min + L·(G_max − G_min)/(2^b_c − 1)`) and computes the product of a
//! batch of inputs through the slices, either with the exact integer column
//! sums ([`SlicedWeights::product`]) or with any analog column sums the
//! caller supplies, such as a crossbar solve in units of one level
//! ([`SlicedWeights::product_with`]).
//!
//! ```
//! use nalgebra::dmatrix;
//! use xbar_crossbar::slicing::{AdcRange, SignedBy, Slicing};
//!
//! // 8-bit weights on four 2-bit cells, 8-bit inputs 1 bit per step.
//! let s = Slicing::new(2, 4, SignedBy::Differential, 8, 1, None)?;
//! let w = dmatrix![100_i64, -7; -255, 3];   // 2 rows × 2 weights
//! let x = dmatrix![200_i64, 17];            // one input vector
//! let y = s.slice(&w)?.product(&x)?;
//! assert_eq!((y[(0, 0)], y[(0, 1)]), (200 * 100 - 17 * 255, -200 * 7 + 17 * 3));
//! // A 1-bit ADC per slice clips every partial sum above 1.
//! let clipped = Slicing::new(2, 4, SignedBy::Differential, 8, 1, Some((1, AdcRange::Clip)))?;
//! assert_ne!(clipped.slice(&w)?.product(&x)?, y);
//! # Ok::<(), xbar_crossbar::CrossbarError>(())
//! ```

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{CrossbarError, Result};

/// How a signed weight is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignedBy {
    /// Two sets of columns, `max(w, 0)` and `max(−w, 0)`.
    Differential,
    /// One set of columns holding `w + 2^(B−1)`; the offset is removed
    /// digitally.
    Offset,
}

/// What an ADC of `n` bits covers (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdcRange {
    /// One code per unit of partial sum, saturating at `2^n − 1`.
    Clip,
    /// `2^n` codes spread over `[0, P_max]`.
    FullScale,
}

/// The slicing of weights and inputs (see the [module docs](self)).
///
/// Serialises as a flat table, validated on deserialising
/// (`bits_per_cell` and `cells_per_weight` required, the rest optional):
///
/// ```toml
/// bits_per_cell = 2          # 2^b_c levels per cell
/// cells_per_weight = 4       # B = 8 weight bits
/// signed = "differential"    # or "offset" (default differential)
/// input_bits = 8             # default 8
/// bits_per_dac_step = 1      # 1: bit-serial (default); input_bits: one multi-level step
/// adc_bits = 6               # per slice; absent: an exact conversion
/// adc_range = "clip"         # or "full-scale" (default clip)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "SlicingKeys", into = "SlicingKeys")]
pub struct Slicing {
    /// Bits per cell, `b_c` (`2^b_c` levels).
    pub bits_per_cell: u32,
    /// Cells per weight magnitude, `n_c`.
    pub cells_per_weight: u32,
    /// How signs are held.
    pub signed: SignedBy,
    /// Input bits, `b_x`.
    pub input_bits: u32,
    /// Input bits per DAC step, `b_d` (1: bit-serial).
    pub bits_per_dac_step: u32,
    /// ADC bits per slice and range; `None` for an exact conversion.
    pub adc: Option<(u32, AdcRange)>,
}

/// [`Slicing`] as written in a config (flat keys).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SlicingKeys {
    bits_per_cell: u32,
    cells_per_weight: u32,
    #[serde(default = "differential")]
    signed: SignedBy,
    #[serde(default = "eight")]
    input_bits: u32,
    #[serde(default = "one")]
    bits_per_dac_step: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    adc_bits: Option<u32>,
    #[serde(default = "clip")]
    adc_range: AdcRange,
}

fn differential() -> SignedBy {
    SignedBy::Differential
}
fn eight() -> u32 {
    8
}
fn one() -> u32 {
    1
}
fn clip() -> AdcRange {
    AdcRange::Clip
}

impl TryFrom<SlicingKeys> for Slicing {
    type Error = CrossbarError;

    fn try_from(k: SlicingKeys) -> Result<Self> {
        Slicing::new(
            k.bits_per_cell,
            k.cells_per_weight,
            k.signed,
            k.input_bits,
            k.bits_per_dac_step,
            k.adc_bits.map(|b| (b, k.adc_range)),
        )
    }
}

impl From<Slicing> for SlicingKeys {
    fn from(s: Slicing) -> Self {
        SlicingKeys {
            bits_per_cell: s.bits_per_cell,
            cells_per_weight: s.cells_per_weight,
            signed: s.signed,
            input_bits: s.input_bits,
            bits_per_dac_step: s.bits_per_dac_step,
            adc_bits: s.adc.map(|(b, _)| b),
            adc_range: s.adc.map_or(AdcRange::Clip, |(_, r)| r),
        }
    }
}

impl Slicing {
    /// A checked slicing.
    ///
    /// # Errors
    /// `bits_per_cell` outside `1..=8`, `cells_per_weight` of 0 or more than
    /// 32 weight bits, `input_bits` outside `1..=32`, `bits_per_dac_step`
    /// outside `1..=input_bits`, ADC bits outside `1..=32`.
    pub fn new(
        bits_per_cell: u32,
        cells_per_weight: u32,
        signed: SignedBy,
        input_bits: u32,
        bits_per_dac_step: u32,
        adc: Option<(u32, AdcRange)>,
    ) -> Result<Slicing> {
        let s = Slicing {
            bits_per_cell,
            cells_per_weight,
            signed,
            input_bits,
            bits_per_dac_step,
            adc,
        };
        s.validate()?;
        Ok(s)
    }

    /// Checks the fields (as [`Slicing::new`]).
    ///
    /// # Errors
    /// As [`Slicing::new`], naming the field.
    pub fn validate(&self) -> Result<()> {
        let within = |field: &str, v: u32, lo: u32, hi: u32| {
            if (lo..=hi).contains(&v) {
                Ok(())
            } else {
                Err(CrossbarError::invalid(
                    field,
                    format!("expected an integer in {lo}..={hi}, found {v}"),
                ))
            }
        };
        within("bits_per_cell", self.bits_per_cell, 1, 8)?;
        within(
            "cells_per_weight",
            self.cells_per_weight,
            1,
            32 / self.bits_per_cell,
        )?;
        within("input_bits", self.input_bits, 1, 32)?;
        within(
            "bits_per_dac_step",
            self.bits_per_dac_step,
            1,
            self.input_bits,
        )?;
        if let Some((bits, _)) = self.adc {
            within("adc_bits", bits, 1, 32)?;
        }
        Ok(())
    }

    /// Weight bits `B = n_c·b_c`.
    pub fn weight_bits(&self) -> u32 {
        self.bits_per_cell * self.cells_per_weight
    }

    /// The integer weights this slicing holds, `(lowest, highest)`.
    pub fn weight_range(&self) -> (i64, i64) {
        let b = self.weight_bits();
        match self.signed {
            SignedBy::Differential => (-((1i64 << b) - 1), (1i64 << b) - 1),
            SignedBy::Offset => (-(1i64 << (b - 1)), (1i64 << (b - 1)) - 1),
        }
    }

    /// The largest input, `2^b_x − 1`.
    pub fn max_input(&self) -> i64 {
        (1i64 << self.input_bits) - 1
    }

    /// Columns per weight: `n_c`, twice that for differential pairs.
    pub fn columns_per_weight(&self) -> usize {
        let n = self.cells_per_weight as usize;
        match self.signed {
            SignedBy::Differential => 2 * n,
            SignedBy::Offset => n,
        }
    }

    /// DAC steps per input, `S = ⌈b_x/b_d⌉`.
    pub fn steps(&self) -> usize {
        self.input_bits.div_ceil(self.bits_per_dac_step) as usize
    }

    /// The largest partial sum of one slice on `rows` rows,
    /// `M·(2^b_d − 1)·(2^b_c − 1)`.
    pub fn max_partial_sum(&self, rows: usize) -> f64 {
        rows as f64
            * ((1u64 << self.bits_per_dac_step) - 1) as f64
            * ((1u64 << self.bits_per_cell) - 1) as f64
    }

    /// Real weights `w` as integers of this slicing: `round(w/w_max·W)`,
    /// `W` the largest weight, clipped to [`Slicing::weight_range`].
    pub fn quantise(&self, w: &DMatrix<f64>, w_max: f64) -> DMatrix<i64> {
        let (lo, hi) = self.weight_range();
        let scale = if w_max > 0.0 { hi as f64 / w_max } else { 0.0 };
        w.map(|v| ((v * scale).round() as i64).clamp(lo, hi))
    }

    /// A tile's integer weights (`M` rows × `N` weights) as cell levels.
    ///
    /// # Errors
    /// A weight outside [`Slicing::weight_range`], named by its place.
    pub fn slice(&self, w: &DMatrix<i64>) -> Result<SlicedWeights> {
        self.validate()?;
        let (lo, hi) = self.weight_range();
        let (m, n) = w.shape();
        let cols = self.columns_per_weight();
        let nc = self.cells_per_weight as usize;
        let bc = self.bits_per_cell;
        let mask = (1u64 << bc) - 1;
        let offset = 1i64 << (self.weight_bits() - 1);
        let mut levels = DMatrix::<u32>::zeros(m, n * cols);
        for i in 0..m {
            for j in 0..n {
                let v = w[(i, j)];
                if v < lo || v > hi {
                    return Err(CrossbarError::invalid(
                        format!("w[{i},{j}]"),
                        format!("expected an integer weight in {lo}..={hi}, found {v}"),
                    ));
                }
                let digits = |u: u64, first: usize, levels: &mut DMatrix<u32>| {
                    for k in 0..nc {
                        levels[(i, j * cols + first + k)] = ((u >> (k as u32 * bc)) & mask) as u32;
                    }
                };
                match self.signed {
                    SignedBy::Differential => {
                        digits(v.max(0) as u64, 0, &mut levels);
                        digits((-v).max(0) as u64, nc, &mut levels);
                    }
                    SignedBy::Offset => digits((v + offset) as u64, 0, &mut levels),
                }
            }
        }
        Ok(SlicedWeights {
            slicing: *self,
            levels,
            weights: n,
        })
    }

    /// The ADC's reading of partial sum `p` on `rows` rows.
    pub fn convert(&self, p: f64, rows: usize) -> f64 {
        match self.adc {
            None => p,
            Some((bits, AdcRange::Clip)) => p.round().clamp(0.0, ((1u64 << bits) - 1) as f64),
            Some((bits, AdcRange::FullScale)) => {
                let full = self.max_partial_sum(rows);
                let delta = full / ((1u64 << bits) - 1) as f64;
                if delta <= 0.0 {
                    return 0.0;
                }
                delta * (p.clamp(0.0, full) / delta).round()
            }
        }
    }
}

/// A tile's weights as cell levels (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct SlicedWeights {
    slicing: Slicing,
    levels: DMatrix<u32>,
    weights: usize,
}

impl SlicedWeights {
    /// The slicing.
    pub fn slicing(&self) -> &Slicing {
        &self.slicing
    }

    /// The cell levels, `M × N·columns_per_weight`: weight `j`'s cells in
    /// columns `j·c + k` (`k = 0` the least significant digit), and for
    /// differential pairs its negative digits in `j·c + n_c + k`.
    pub fn levels(&self) -> &DMatrix<u32> {
        &self.levels
    }

    /// The weights (columns of the original matrix), `N`.
    pub fn weights(&self) -> usize {
        self.weights
    }

    /// The digits of step `s` of a batch of inputs (`B × M`), as reals.
    ///
    /// # Errors
    /// An input outside `[0, 2^b_x − 1]` or a batch of the wrong width.
    pub fn input_digits(&self, x: &DMatrix<i64>, step: usize) -> Result<DMatrix<f64>> {
        let s = &self.slicing;
        if x.ncols() != self.levels.nrows() {
            return Err(CrossbarError::invalid(
                "inputs",
                format!(
                    "expected {} values per input vector (the rows), found {}",
                    self.levels.nrows(),
                    x.ncols()
                ),
            ));
        }
        let max = s.max_input();
        if let Some((at, v)) = x.iter().enumerate().find(|(_, v)| **v < 0 || **v > max) {
            let (r, c) = (at % x.nrows(), at / x.nrows());
            return Err(CrossbarError::invalid(
                format!("inputs[{r},{c}]"),
                format!("expected an unsigned input in 0..={max}, found {v}"),
            ));
        }
        let shift = step as u32 * s.bits_per_dac_step;
        let mask = (1i64 << s.bits_per_dac_step) - 1;
        Ok(x.map(|v| ((v >> shift) & mask) as f64))
    }

    /// The product of a batch of inputs (`B × M`, unsigned integers) with
    /// the weights, through the slices, the ADC and shift-and-add (`B × N`).
    ///
    /// # Errors
    /// As [`SlicedWeights::input_digits`].
    pub fn product(&self, x: &DMatrix<i64>) -> Result<DMatrix<i64>> {
        let g = self.levels.map(f64::from);
        let y = self.product_with(x, |digits| digits * &g)?;
        // Exact column sums and shifts: the result is an integer (below 2^53).
        Ok(y.map(|v| v.round() as i64))
    }

    /// As [`SlicedWeights::product`] with the column sums of each step
    /// from `column_sums`: given the step's input digits (`B × M`) it
    /// returns the bit-line sums (`B × N·columns`) in units of one cell
    /// level times one input digit (an analog read divided by its unit
    /// current: `I/(ΔG·V_step)` after the offset of `G_min` is removed).
    /// Each sum goes through the ADC, then shift-and-add; the offset
    /// encoding's `2^(B−1)·Σᵢxᵢ` is removed digitally.
    ///
    /// # Errors
    /// As [`SlicedWeights::input_digits`]; column sums of the wrong shape.
    pub fn product_with(
        &self,
        x: &DMatrix<i64>,
        mut column_sums: impl FnMut(&DMatrix<f64>) -> DMatrix<f64>,
    ) -> Result<DMatrix<f64>> {
        let s = &self.slicing;
        let (b, m) = (x.nrows(), self.levels.nrows());
        let cols = s.columns_per_weight();
        let nc = s.cells_per_weight as usize;
        let mut y = DMatrix::<f64>::zeros(b, self.weights);
        for step in 0..s.steps() {
            let digits = self.input_digits(x, step)?;
            let p = column_sums(&digits);
            if p.shape() != (b, self.levels.ncols()) {
                return Err(CrossbarError::invalid(
                    "column_sums",
                    format!(
                        "expected {b}×{} column sums, found {}×{}",
                        self.levels.ncols(),
                        p.nrows(),
                        p.ncols()
                    ),
                ));
            }
            let step_shift = 2f64.powi((step as u32 * s.bits_per_dac_step) as i32);
            for r in 0..b {
                for j in 0..self.weights {
                    let mut acc = 0.0;
                    for k in 0..nc {
                        let shift = 2f64.powi((k as u32 * s.bits_per_cell) as i32);
                        acc += shift * s.convert(p[(r, j * cols + k)], m);
                        if s.signed == SignedBy::Differential {
                            acc -= shift * s.convert(p[(r, j * cols + nc + k)], m);
                        }
                    }
                    y[(r, j)] += step_shift * acc;
                }
            }
        }
        if s.signed == SignedBy::Offset {
            let offset = 2f64.powi(s.weight_bits() as i32 - 1);
            for r in 0..b {
                let sum: f64 = x.row(r).iter().map(|v| *v as f64).sum();
                for j in 0..self.weights {
                    y[(r, j)] -= offset * sum;
                }
            }
        }
        Ok(y)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn exact(w: &DMatrix<i64>, x: &DMatrix<i64>) -> DMatrix<i64> {
        x * w
    }

    #[test]
    fn isaac_slicing_is_exact_with_an_exact_adc() {
        // ISAAC: 16-bit weights on eight 2-bit cells (offset encoding),
        // 16-bit inputs through 1-bit DACs; 128 rows.
        let s = Slicing::new(2, 8, SignedBy::Offset, 16, 1, None).unwrap();
        assert_eq!((s.columns_per_weight(), s.steps()), (8, 16));
        assert_eq!(s.weight_range(), (-32768, 32767));
        let w = DMatrix::from_fn(128, 4, |i, j| {
            ((i as i64 * 7919 + j as i64 * 104_729) % 65536) - 32768
        });
        let x = DMatrix::from_fn(3, 128, |b, i| (i as i64 * 613 + b as i64 * 40_503) % 65536);
        let sw = s.slice(&w).unwrap();
        assert_eq!(sw.levels().shape(), (128, 32));
        assert!(sw.levels().iter().all(|l| *l <= 3));
        assert_eq!(sw.product(&x).unwrap(), exact(&w, &x));
        // A 9-bit clipping ADC covers 128 rows × 1 × 3 = 384: still exact.
        let nine = Slicing {
            adc: Some((9, AdcRange::Clip)),
            ..s
        };
        assert_eq!(nine.max_partial_sum(128), 384.0);
        assert_eq!(nine.slice(&w).unwrap().product(&x).unwrap(), exact(&w, &x));
    }

    #[test]
    fn the_levels_are_the_weights_digits() {
        // 6-bit weights on three 2-bit cells, differential: 45 = 0b10_11_01.
        let s = Slicing::new(2, 3, SignedBy::Differential, 4, 2, None).unwrap();
        let sw = s.slice(&DMatrix::from_row_slice(1, 2, &[45, -6])).unwrap();
        let l: Vec<u32> = sw.levels().iter().copied().collect();
        // Weight 0: +digits 1, 3, 2; −digits 0, 0, 0. Weight 1: −6 = 0b00_01_10.
        assert_eq!(l, vec![1, 3, 2, 0, 0, 0, 0, 0, 0, 2, 1, 0]);
        // Offset: −6 + 32 = 26 = 0b01_10_10.
        let o = Slicing {
            signed: SignedBy::Offset,
            ..s
        };
        let l: Vec<u32> = o
            .slice(&DMatrix::from_row_slice(1, 1, &[-6]))
            .unwrap()
            .levels()
            .iter()
            .copied()
            .collect();
        assert_eq!(l, vec![2, 2, 1]);
    }

    #[test]
    fn a_clipping_adc_by_hand() {
        // 4-bit weights on two 2-bit cells, differential; 2-bit inputs,
        // 1 bit per step; a 2-bit ADC (codes 0..=3), 3 rows.
        // w = [15, 15, 15]ᵀ: digits (3, 3) on every row. x = [3, 3, 1]:
        // step 0 bits [1, 1, 1], step 1 bits [1, 1, 0].
        // Partial sums: step 0: 3·3 = 9 per slice → clipped to 3;
        //               step 1: 2·3 = 6 → 3.
        // y = Σ 2^(2k + s)·3 = 3·(1 + 4) + 2·3·(1 + 4) = 45,
        // exact 7·15 = 105: error −60.
        let s = Slicing::new(
            2,
            2,
            SignedBy::Differential,
            2,
            1,
            Some((2, AdcRange::Clip)),
        )
        .unwrap();
        let w = DMatrix::from_column_slice(3, 1, &[15, 15, 15]);
        let x = DMatrix::from_row_slice(1, 3, &[3, 3, 1]);
        assert_eq!(s.slice(&w).unwrap().product(&x).unwrap()[(0, 0)], 45);
        assert_eq!(exact(&w, &x)[(0, 0)], 105);
        // Small partial sums pass exactly: x = [1, 0, 0] → 15.
        let x = DMatrix::from_row_slice(1, 3, &[1, 0, 0]);
        assert_eq!(s.slice(&w).unwrap().product(&x).unwrap()[(0, 0)], 15);
    }

    #[test]
    fn a_full_scale_adc_by_hand() {
        // 2-bit weights on one 2-bit cell (offset: w + 2 in 0..=3), 1-bit
        // inputs, 4 rows: P_max = 4·1·3 = 12; a 2-bit ADC: Δ = 12/3 = 4.
        // w = [1, 1, 1, −2] → levels [3, 3, 3, 0]; x = [1, 1, 0, 1]:
        // P = 6 → 4·round(1.5) = 8; offset 2·Σx = 6: y = 8 − 6 = 2
        // (exact: 1 + 1 − 2 = 0).
        let s = Slicing::new(2, 1, SignedBy::Offset, 1, 1, Some((2, AdcRange::FullScale))).unwrap();
        let w = DMatrix::from_column_slice(4, 1, &[1, 1, 1, -2]);
        let x = DMatrix::from_row_slice(1, 4, &[1, 1, 0, 1]);
        let y = s.slice(&w).unwrap().product(&x).unwrap();
        assert_eq!((y[(0, 0)], exact(&w, &x)[(0, 0)]), (2, 0));
        assert_eq!(s.convert(5.9, 4), 4.0);
        assert_eq!(s.convert(13.0, 4), 12.0);
    }

    #[test]
    fn analog_column_sums_go_through_the_same_adc_and_shifts() {
        // Column sums with a +0.3 level error on every slice: an exact ADC
        // passes it on, scaled by Σ shifts; a clipping ADC rounds it away.
        let s = Slicing::new(2, 2, SignedBy::Offset, 4, 2, None).unwrap();
        let w = DMatrix::from_fn(8, 3, |i, j| (i as i64 * 3 + j as i64 * 5) % 16 - 8);
        let x = DMatrix::from_fn(2, 8, |b, i| (i as i64 + 5 * b as i64) % 16);
        let sw = s.slice(&w).unwrap();
        let g = sw.levels().map(f64::from);
        let noisy = sw.product_with(&x, |d| (d * &g).add_scalar(0.3)).unwrap();
        // Shifts: slices k = 0, 1 (×1, ×4), steps s = 0, 1 (×1, ×4): Σ = 25.
        let ideal = exact(&w, &x).map(|v| v as f64);
        assert!((&noisy - &ideal)
            .iter()
            .all(|e| (e - 0.3 * 25.0).abs() < 1e-9));
        let rounding = Slicing {
            adc: Some((8, AdcRange::Clip)),
            ..s
        };
        let sw = rounding.slice(&w).unwrap();
        let y = sw.product_with(&x, |d| (d * &g).add_scalar(0.3)).unwrap();
        assert_eq!(y, ideal);
    }

    #[test]
    fn bad_weights_inputs_and_settings_are_named() {
        let s = Slicing::new(2, 2, SignedBy::Offset, 4, 1, None).unwrap();
        let e = s
            .slice(&DMatrix::from_row_slice(1, 2, &[0, 8]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "w[0,1]: expected an integer weight in -8..=7, found 8"
        );
        let sw = s.slice(&DMatrix::from_row_slice(2, 1, &[0, 1])).unwrap();
        let e = sw
            .product(&DMatrix::from_row_slice(1, 2, &[0, 16]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "inputs[0,1]: expected an unsigned input in 0..=15, found 16"
        );
        assert!(sw
            .product(&DMatrix::from_row_slice(1, 3, &[0, 1, 2]))
            .is_err());
        let e = Slicing::new(2, 2, SignedBy::Offset, 4, 5, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "bits_per_dac_step: expected an integer in 1..=4, found 5"
        );
        assert!(Slicing::new(4, 9, SignedBy::Offset, 4, 1, None).is_err());
    }

    #[test]
    fn quantised_real_weights_round_to_the_nearest_level() {
        let s = Slicing::new(2, 2, SignedBy::Differential, 4, 1, None).unwrap();
        let q = s.quantise(&DMatrix::from_row_slice(1, 4, &[1.0, -0.5, 0.02, 3.0]), 1.0);
        assert_eq!(q, DMatrix::from_row_slice(1, 4, &[15, -8, 0, 15]));
    }

    #[test]
    fn a_config_table_is_the_slicing_validated() {
        let s: Slicing = toml::from_str(
            "bits_per_cell = 2\ncells_per_weight = 4\nadc_bits = 6\nadc_range = \"full-scale\"",
        )
        .unwrap();
        assert_eq!(
            s,
            Slicing::new(
                2,
                4,
                SignedBy::Differential,
                8,
                1,
                Some((6, AdcRange::FullScale))
            )
            .unwrap()
        );
        let back: Slicing = toml::from_str(&toml::to_string(&s).unwrap()).unwrap();
        assert_eq!(back, s);
        let e = toml::from_str::<Slicing>(
            "bits_per_cell = 2\ncells_per_weight = 4\nbits_per_dac_step = 9",
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("bits_per_dac_step: expected an integer in 1..=8, found 9"),
            "{e}"
        );
        let e = toml::from_str::<Slicing>("bits_per_cell = 2\ncells_per_weight = 4\nadc = 3")
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown field `adc`"), "{e}");
    }

    fn slicing() -> impl Strategy<Value = Slicing> {
        (1u32..=3, 1u32..=4, any::<bool>(), 1u32..=8, 1u32..=3).prop_map(
            |(bc, nc, diff, bx, bd)| Slicing {
                bits_per_cell: bc,
                cells_per_weight: nc,
                signed: if diff {
                    SignedBy::Differential
                } else {
                    SignedBy::Offset
                },
                input_bits: bx,
                bits_per_dac_step: bd.min(bx),
                adc: None,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// On ideal converters (exact, or clipping ADCs wide enough for
        /// the largest partial sum) the sliced product is the integer product.
        #[test]
        fn sliced_equals_unsliced(
            s in slicing(),
            rows in 1usize..12,
            n in 1usize..4,
            batch in 1usize..3,
            seed in any::<u64>(),
        ) {
            let (lo, hi) = s.weight_range();
            let mut state = seed | 1;
            let mut next = move || {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state
            };
            let w = DMatrix::from_fn(rows, n, |_, _| lo + (next() % (hi - lo + 1) as u64) as i64);
            let x = DMatrix::from_fn(batch, rows, |_, _| (next() % (s.max_input() as u64 + 1)) as i64);
            let want = exact(&w, &x);
            prop_assert_eq!(s.slice(&w).unwrap().product(&x).unwrap(), want.clone());
            let bits = (s.max_partial_sum(rows) + 1.0).log2().ceil() as u32;
            let wide = Slicing { adc: Some((bits.max(1), AdcRange::Clip)), ..s };
            prop_assert_eq!(wide.slice(&w).unwrap().product(&x).unwrap(), want);
        }
    }
}
