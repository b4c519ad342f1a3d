//! Weight matrices larger than one array: split into tiles, add the partial
//! sums digitally.
//!
//! An M×N weight matrix (rows = inputs, columns = outputs) on arrays of at
//! most `max_rows × max_cols` cells is cut into a grid of
//! `⌈M/max_rows⌉ × ⌈N/max_cols⌉` tiles. Every tile is `max_rows × max_cols`
//! except those in the last tile row (`M − (⌈M/max_rows⌉ − 1)·max_rows`
//! rows) and the last tile column (likewise for columns). Tile `(p, q)`
//! holds rows `R_p` and columns `C_q`, and for a B×M batch of inputs `x`
//!
//! ```text
//! y[:, C_q] = Σ_p  f_pq( x[:, R_p] ),
//! ```
//!
//! where `f_pq` is whatever one tile computes (for an ideal array,
//! `x[:, R_p]·W[R_p, C_q]`). The sizes here count weight columns: with a
//! differential mapping an array of `K` bit lines holds `K/2` of them, with
//! an offset column `K − 1` (see
//! [`Mapping::physical_columns`](crate::mapping::Mapping::physical_columns)).

use std::ops::Range;

use nalgebra::DMatrix;
use rayon::prelude::*;

use crate::error::{CrossbarError, Result};

/// How a `rows × cols` weight matrix is cut into arrays of at most
/// `max_rows × max_cols`.
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_crossbar::tiling::Tiling;
///
/// let w = DMatrix::from_fn(37, 23, |i, j| (i as f64 - 2.0 * j as f64) / 50.0);
/// let x = DMatrix::from_fn(4, 37, |b, i| ((b + i) % 5) as f64 * 0.1); // volts
/// let tiling = Tiling::new(37, 23, 8, 5)?;
/// assert_eq!(tiling.grid(), (5, 5));
/// let y = tiling.matmul(&x, |tile, x_tile| {
///     let w_tile = w.view((tile.rows.start, tile.cols.start), (tile.rows.len(), tile.cols.len()));
///     Ok::<_, xbar_crossbar::CrossbarError>(x_tile * w_tile) // one ideal array
/// })?;
/// assert!((y - &x * &w).abs().max() < 1e-12);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tiling {
    rows: usize,
    cols: usize,
    max_rows: usize,
    max_cols: usize,
}

/// One tile: its position in the grid and the rows (inputs) and columns
/// (outputs) of the full weight matrix it holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tile {
    /// `(tile row, tile column)` in the grid.
    pub index: (usize, usize),
    /// Rows (word lines / inputs) of the full matrix.
    pub rows: Range<usize>,
    /// Columns (outputs) of the full matrix.
    pub cols: Range<usize>,
}

impl Tiling {
    /// A `rows × cols` weight matrix on arrays of at most
    /// `max_rows × max_cols`; all four must be ≥ 1.
    pub fn new(rows: usize, cols: usize, max_rows: usize, max_cols: usize) -> Result<Self> {
        for (field, value) in [
            ("rows", rows),
            ("cols", cols),
            ("max_rows", max_rows),
            ("max_cols", max_cols),
        ] {
            if value == 0 {
                return Err(CrossbarError::invalid(
                    field,
                    "expected an integer ≥ 1, found 0",
                ));
            }
        }
        Ok(Tiling {
            rows,
            cols,
            max_rows,
            max_cols,
        })
    }

    /// Rows M of the full weight matrix.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Columns N of the full weight matrix.
    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Largest tile height (word lines per array).
    pub fn max_rows(&self) -> usize {
        self.max_rows
    }

    /// Largest tile width (weight columns per array).
    pub fn max_cols(&self) -> usize {
        self.max_cols
    }

    /// Tiles per column and per row of the grid:
    /// `(⌈rows/max_rows⌉, ⌈cols/max_cols⌉)`.
    pub fn grid(&self) -> (usize, usize) {
        (
            self.rows.div_ceil(self.max_rows),
            self.cols.div_ceil(self.max_cols),
        )
    }

    /// Every tile, in row-major grid order (`(0,0), (0,1), …, (1,0), …`).
    pub fn tiles(&self) -> Vec<Tile> {
        let (grid_rows, grid_cols) = self.grid();
        let mut tiles = Vec::with_capacity(grid_rows * grid_cols);
        for p in 0..grid_rows {
            let rows = p * self.max_rows..((p + 1) * self.max_rows).min(self.rows);
            for q in 0..grid_cols {
                let cols = q * self.max_cols..((q + 1) * self.max_cols).min(self.cols);
                tiles.push(Tile {
                    index: (p, q),
                    rows: rows.clone(),
                    cols,
                });
            }
        }
        tiles
    }

    /// The sub-matrices of `weights` (rows × cols), in the order of
    /// [`tiles`](Self::tiles).
    ///
    /// # Errors
    /// `weights` not `rows × cols`.
    pub fn split(&self, weights: &DMatrix<f64>) -> Result<Vec<DMatrix<f64>>> {
        if weights.nrows() != self.rows {
            return Err(CrossbarError::shape(
                "weight matrix rows",
                self.rows,
                weights.nrows(),
            ));
        }
        if weights.ncols() != self.cols {
            return Err(CrossbarError::shape(
                "weight matrix columns",
                self.cols,
                weights.ncols(),
            ));
        }
        Ok(self
            .tiles()
            .iter()
            .map(|t| {
                weights
                    .view((t.rows.start, t.cols.start), (t.rows.len(), t.cols.len()))
                    .into_owned()
            })
            .collect())
    }

    /// The tiled product for a B×rows batch of `inputs` (one vector per
    /// row): calls `per_tile(tile, x_tile)` once per tile, in the order of
    /// [`tiles`](Self::tiles), with `x_tile = inputs[:, tile.rows]`
    /// (B×tile rows), and adds each returned partial sum (B×tile columns)
    /// into columns `tile.cols` of the B×cols result. The units are those
    /// `per_tile` returns.
    ///
    /// # Errors
    /// The first error of `per_tile`; or, converted with `E::from`, an
    /// input width ≠ rows or a partial sum of the wrong shape.
    pub fn matmul<E, F>(
        &self,
        inputs: &DMatrix<f64>,
        mut per_tile: F,
    ) -> std::result::Result<DMatrix<f64>, E>
    where
        F: FnMut(&Tile, &DMatrix<f64>) -> std::result::Result<DMatrix<f64>, E>,
        E: From<CrossbarError>,
    {
        self.check_inputs(inputs)?;
        let mut out = DMatrix::zeros(inputs.nrows(), self.cols);
        for tile in self.tiles() {
            let partial = per_tile(&tile, &input_slice(inputs, &tile))?;
            accumulate(&mut out, &tile, &partial)?;
        }
        Ok(out)
    }

    /// As [`matmul`](Self::matmul), with the tiles computed in parallel
    /// (rayon). The partial sums are added in the same order as `matmul`
    /// does, so the result is bit-identical to it; all partial sums are held
    /// at once (B × cols × grid rows values). On failure, returns one of the
    /// errors.
    pub fn par_matmul<E, F>(
        &self,
        inputs: &DMatrix<f64>,
        per_tile: F,
    ) -> std::result::Result<DMatrix<f64>, E>
    where
        F: Fn(&Tile, &DMatrix<f64>) -> std::result::Result<DMatrix<f64>, E> + Sync,
        E: From<CrossbarError> + Send,
    {
        self.check_inputs(inputs)?;
        let tiles = self.tiles();
        let partials = tiles
            .par_iter()
            .map(|tile| per_tile(tile, &input_slice(inputs, tile)))
            .collect::<std::result::Result<Vec<_>, E>>()?;
        let mut out = DMatrix::zeros(inputs.nrows(), self.cols);
        for (tile, partial) in tiles.iter().zip(&partials) {
            accumulate(&mut out, tile, partial)?;
        }
        Ok(out)
    }

    fn check_inputs(&self, inputs: &DMatrix<f64>) -> Result<()> {
        if inputs.ncols() != self.rows {
            return Err(CrossbarError::shape(
                "input vector length (rows of the tiled weight matrix)",
                self.rows,
                inputs.ncols(),
            ));
        }
        Ok(())
    }
}

fn input_slice(inputs: &DMatrix<f64>, tile: &Tile) -> DMatrix<f64> {
    inputs
        .columns(tile.rows.start, tile.rows.len())
        .into_owned()
}

/// `out[:, tile.cols] += partial`, after checking its shape.
fn accumulate(out: &mut DMatrix<f64>, tile: &Tile, partial: &DMatrix<f64>) -> Result<()> {
    let (p, q) = tile.index;
    if partial.nrows() != out.nrows() {
        return Err(CrossbarError::shape(
            format!("partial sum of tile ({p}, {q}): rows (batch size)"),
            out.nrows(),
            partial.nrows(),
        ));
    }
    if partial.ncols() != tile.cols.len() {
        return Err(CrossbarError::shape(
            format!("partial sum of tile ({p}, {q}): columns (outputs)"),
            tile.cols.len(),
            partial.ncols(),
        ));
    }
    let mut block = out.columns_mut(tile.cols.start, tile.cols.len());
    block += partial;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn random(rows: usize, cols: usize, seed: u64) -> DMatrix<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        DMatrix::from_fn(rows, cols, |_, _| rng.random_range(-1.0..1.0))
    }

    fn ideal_tile(
        w: &DMatrix<f64>,
    ) -> impl Fn(&Tile, &DMatrix<f64>) -> Result<DMatrix<f64>> + Sync + '_ {
        move |tile, x| {
            let w_tile = w.view(
                (tile.rows.start, tile.cols.start),
                (tile.rows.len(), tile.cols.len()),
            );
            Ok(x * w_tile)
        }
    }

    const SHAPES: [(usize, usize, usize, usize); 7] = [
        (37, 23, 8, 5),
        (37, 23, 100, 100), // one tile larger than the matrix
        (37, 23, 1, 1),     // one tile per weight
        (1, 1, 1, 1),
        (64, 64, 64, 64), // exact fit
        (10, 7, 3, 7),    // one tile column
        (9, 40, 9, 6),    // one tile row
    ];

    #[test]
    fn tiles_cover_every_element_exactly_once() {
        for (rows, cols, max_rows, max_cols) in SHAPES {
            let tiling = Tiling::new(rows, cols, max_rows, max_cols).unwrap();
            let tiles = tiling.tiles();
            let (grid_rows, grid_cols) = tiling.grid();
            assert_eq!(tiles.len(), grid_rows * grid_cols);
            let mut hits = DMatrix::<u32>::zeros(rows, cols);
            for (k, tile) in tiles.iter().enumerate() {
                assert_eq!(
                    tile.index,
                    (k / grid_cols, k % grid_cols),
                    "row-major order"
                );
                assert!(!tile.rows.is_empty() && !tile.cols.is_empty());
                assert!(tile.rows.len() <= max_rows && tile.cols.len() <= max_cols);
                // Fixed-size tiles: only the last tile row / column is short.
                if tile.index.0 + 1 < grid_rows {
                    assert_eq!(tile.rows.len(), max_rows);
                }
                if tile.index.1 + 1 < grid_cols {
                    assert_eq!(tile.cols.len(), max_cols);
                }
                for i in tile.rows.clone() {
                    for j in tile.cols.clone() {
                        hits[(i, j)] += 1;
                    }
                }
            }
            assert!(
                hits.iter().all(|&h| h == 1),
                "{rows}×{cols} by {max_rows}×{max_cols}"
            );
        }
    }

    #[test]
    fn grid_of_an_awkward_shape() {
        let tiling = Tiling::new(37, 23, 8, 5).unwrap();
        assert_eq!(tiling.grid(), (5, 5));
        let tiles = tiling.tiles();
        assert_eq!(
            tiles[7],
            Tile {
                index: (1, 2),
                rows: 8..16,
                cols: 10..15
            }
        );
        let last = tiles.last().unwrap();
        assert_eq!(
            (last.index, last.rows.clone(), last.cols.clone()),
            ((4, 4), 32..37, 20..23)
        );
    }

    #[test]
    fn split_reassembles_to_the_matrix() {
        for (rows, cols, max_rows, max_cols) in SHAPES {
            let tiling = Tiling::new(rows, cols, max_rows, max_cols).unwrap();
            let w = random(rows, cols, 3);
            let parts = tiling.split(&w).unwrap();
            let mut rebuilt = DMatrix::from_element(rows, cols, f64::NAN);
            for (tile, part) in tiling.tiles().iter().zip(&parts) {
                assert_eq!(part.shape(), (tile.rows.len(), tile.cols.len()));
                rebuilt
                    .view_mut((tile.rows.start, tile.cols.start), part.shape())
                    .copy_from(part);
            }
            assert_eq!(rebuilt, w);
        }
    }

    #[test]
    fn tiled_ideal_product_equals_the_untiled_one() {
        for (k, (rows, cols, max_rows, max_cols)) in SHAPES.into_iter().enumerate() {
            let tiling = Tiling::new(rows, cols, max_rows, max_cols).unwrap();
            let w = random(rows, cols, 10 + k as u64);
            let x = random(6, rows, 100 + k as u64);
            let exact = &x * &w;
            let scale = (x.abs() * w.abs()).amax();
            let mut calls = 0;
            let y = tiling
                .matmul(&x, |tile, x_tile| {
                    calls += 1;
                    // The slice handed over is exactly the tile's inputs.
                    assert_eq!(
                        x_tile,
                        &x.columns(tile.rows.start, tile.rows.len()).into_owned()
                    );
                    ideal_tile(&w)(tile, x_tile)
                })
                .unwrap();
            assert_eq!(calls, tiling.tiles().len());
            assert_eq!(y.shape(), (6, cols));
            let err = (&y - &exact).amax();
            assert!(
                err <= 1e-12 * scale,
                "{rows}×{cols} by {max_rows}×{max_cols}: {err:e}"
            );

            let y_par = tiling.par_matmul(&x, ideal_tile(&w)).unwrap();
            assert_eq!(y_par, y, "parallel result must be bit-identical");
        }
    }

    #[test]
    fn partial_sums_are_added_not_overwritten() {
        // Each tile returns ones: output j counts the tile rows covering it.
        let tiling = Tiling::new(10, 4, 3, 3).unwrap();
        let y = tiling
            .matmul(&DMatrix::zeros(2, 10), |tile, x| {
                Ok::<_, CrossbarError>(DMatrix::from_element(x.nrows(), tile.cols.len(), 1.0))
            })
            .unwrap();
        assert_eq!(y, DMatrix::from_element(2, 4, 4.0));
    }

    #[test]
    fn empty_batch_gives_empty_output() {
        let tiling = Tiling::new(5, 3, 2, 2).unwrap();
        let w = random(5, 3, 1);
        let y = tiling
            .matmul(&DMatrix::zeros(0, 5), ideal_tile(&w))
            .unwrap();
        assert_eq!(y.shape(), (0, 3));
    }

    #[test]
    fn invalid_sizes_and_shapes_are_errors() {
        for (k, field) in ["rows", "cols", "max_rows", "max_cols"].iter().enumerate() {
            let mut sizes = [4, 4, 2, 2];
            sizes[k] = 0;
            let err = Tiling::new(sizes[0], sizes[1], sizes[2], sizes[3]).unwrap_err();
            assert!(
                matches!(&err, CrossbarError::InvalidParameter { field: f, .. } if f == field),
                "{err:?}"
            );
        }
        let tiling = Tiling::new(6, 4, 4, 3).unwrap();
        assert!(matches!(
            tiling.split(&DMatrix::zeros(5, 4)),
            Err(CrossbarError::ShapeMismatch {
                expected: 6,
                found: 5,
                ..
            })
        ));
        assert!(matches!(
            tiling.split(&DMatrix::zeros(6, 3)),
            Err(CrossbarError::ShapeMismatch {
                expected: 4,
                found: 3,
                ..
            })
        ));
        let w = random(6, 4, 2);
        let err = tiling
            .matmul(&DMatrix::zeros(2, 7), ideal_tile(&w))
            .unwrap_err();
        assert_eq!(
            err,
            CrossbarError::shape(
                "input vector length (rows of the tiled weight matrix)",
                6,
                7
            )
        );
        // A partial sum of the wrong width, from the second tile (0, 1).
        let bad = |tile: &Tile, x: &DMatrix<f64>| {
            let width = if tile.index == (0, 1) {
                2
            } else {
                tile.cols.len()
            };
            Ok::<_, CrossbarError>(DMatrix::zeros(x.nrows(), width))
        };
        let expected = CrossbarError::shape("partial sum of tile (0, 1): columns (outputs)", 1, 2);
        assert_eq!(
            tiling.matmul(&DMatrix::zeros(2, 6), bad).unwrap_err(),
            expected
        );
        assert_eq!(
            tiling.par_matmul(&DMatrix::zeros(2, 6), bad).unwrap_err(),
            expected
        );
        // ... and of the wrong batch size.
        let short = |tile: &Tile, _: &DMatrix<f64>| {
            Ok::<_, CrossbarError>(DMatrix::zeros(1, tile.cols.len()))
        };
        assert!(matches!(
            tiling.matmul(&DMatrix::zeros(2, 6), short),
            Err(CrossbarError::ShapeMismatch {
                expected: 2,
                found: 1,
                ..
            })
        ));
    }

    #[test]
    fn errors_of_the_tile_function_propagate() {
        #[derive(Debug, PartialEq)]
        enum AppError {
            Crossbar(CrossbarError),
            Tile((usize, usize)),
        }
        impl From<CrossbarError> for AppError {
            fn from(e: CrossbarError) -> Self {
                AppError::Crossbar(e)
            }
        }
        let tiling = Tiling::new(6, 6, 2, 2).unwrap();
        let mut seen = Vec::new();
        let err = tiling
            .matmul(&DMatrix::zeros(1, 6), |tile, x| {
                seen.push(tile.index);
                if tile.index == (1, 0) {
                    Err(AppError::Tile(tile.index))
                } else {
                    Ok(DMatrix::zeros(x.nrows(), tile.cols.len()))
                }
            })
            .unwrap_err();
        assert_eq!(err, AppError::Tile((1, 0)));
        assert_eq!(
            seen,
            vec![(0, 0), (0, 1), (0, 2), (1, 0)],
            "stops at the first error"
        );
        let err = tiling
            .par_matmul(&DMatrix::zeros(1, 5), |_, x| Ok::<_, AppError>(x.clone()))
            .unwrap_err();
        assert_eq!(
            err,
            AppError::Crossbar(CrossbarError::shape(
                "input vector length (rows of the tiled weight matrix)",
                6,
                5
            ))
        );
        let err = tiling
            .par_matmul(&DMatrix::zeros(1, 6), |tile, _| {
                Err::<DMatrix<f64>, _>(AppError::Tile(tile.index))
            })
            .unwrap_err();
        assert!(matches!(err, AppError::Tile(_)));
    }
}
