//! Signed weights → non-negative conductances, and back.
//!
//! A cell only conducts, `g_min ≤ G ≤ g_max` (siemens), but a weight matrix
//! `W` (M inputs × N outputs) has both signs. With `Δg = g_max − g_min`, a
//! weight range `±w_max` and every weight first clipped to `[−w_max, w_max]`,
//! two layouts are offered ([`MappingScheme`]):
//!
//! * **Differential pair** — two cells per weight, `G⁺ − G⁻ = w·Δg/w_max`,
//!   the unused one at `g_min`:
//!   `w ≥ 0: G⁺ = g_min + w·Δg/w_max, G⁻ = g_min`;
//!   `w < 0: G⁺ = g_min, G⁻ = g_min + |w|·Δg/w_max`.
//!   Output `j` is `y_j = (I⁺_j − I⁻_j)·w_max/Δg`.
//! * **Offset column** — one cell per weight around the mid conductance
//!   `g_mid = (g_min + g_max)/2`: `G = g_mid + w·(Δg/2)/w_max`, plus one
//!   shared reference column of `g_mid` per row. Output `j` is
//!   `y_j = (I_j − I_ref)·w_max/(Δg/2)`.
//!
//! For input voltages `x` (V) on an ideal array, `I = x·G`, so the decoded
//! output is `y = x·W` (volts × weight units) up to rounding. Decoding is
//! linear in the columns, so the same combination applied to the programmed
//! conductances reads the weights back
//! ([`Mapping::conductances_to_weights`]).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use xbar_devices::DeviceSpec;

use crate::error::{CrossbarError, Result};

/// How signed weights are laid out on non-negative conductances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MappingScheme {
    /// Two cells per weight (`G⁺`, `G⁻`): `2N` physical columns.
    Differential,
    /// One cell per weight around `g_mid`, plus one reference column of
    /// `g_mid`: `N + 1` physical columns.
    OffsetColumn,
}

/// A linear weight ↔ conductance map: the scheme, the conductance range
/// `[g_min, g_max]` (S) and the weight magnitude `w_max` that reaches the
/// full range.
///
/// ```
/// use nalgebra::dmatrix;
/// use xbar_crossbar::mapping::{Mapping, MappingScheme};
///
/// let w = dmatrix![0.5, -1.0; 0.25, 0.0];                 // 2 inputs × 2 outputs
/// let map = Mapping::for_weights(MappingScheme::Differential, 1e-6, 101e-6, &w)?;
/// let g = map.weights_to_conductances(&w)?.physical_array(); // 2×4 siemens
/// let x = dmatrix![0.2, -0.1];                             // input voltages (V)
/// let y = map.decode(&(&x * &g))?;                          // ideal currents → outputs
/// let exact = &x * &w;
/// assert!((y - exact).abs().max() < 1e-12);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mapping {
    scheme: MappingScheme,
    g_min: f64,
    g_max: f64,
    w_max: f64,
}

impl Mapping {
    /// Checks `0 ≤ g_min < g_max` (finite, siemens) and `w_max > 0` (finite).
    pub fn new(scheme: MappingScheme, g_min: f64, g_max: f64, w_max: f64) -> Result<Self> {
        if !(g_min.is_finite() && g_min >= 0.0) {
            return Err(CrossbarError::invalid(
                "g_min",
                format!("expected a finite conductance ≥ 0 S, found {g_min}"),
            ));
        }
        if !(g_max.is_finite() && g_max > g_min) {
            return Err(CrossbarError::invalid(
                "g_max",
                format!("expected a finite conductance > g_min = {g_min:e} S, found {g_max}"),
            ));
        }
        if !(w_max.is_finite() && w_max > 0.0) {
            return Err(CrossbarError::invalid(
                "w_max",
                format!("expected a finite weight magnitude > 0, found {w_max}"),
            ));
        }
        Ok(Mapping {
            scheme,
            g_min,
            g_max,
            w_max,
        })
    }

    /// The map that sends the largest `|w|` of `weights` to the full
    /// conductance range: `w_max = max |W|`, so nothing is clipped. An
    /// all-zero (or empty) matrix takes `w_max = 1`, which maps every zero to
    /// `g_min` (differential) or `g_mid` (offset column) as any `w_max` would.
    ///
    /// # Errors
    /// A non-finite weight (named `weights[i,j]`), or an invalid range.
    pub fn for_weights(
        scheme: MappingScheme,
        g_min: f64,
        g_max: f64,
        weights: &DMatrix<f64>,
    ) -> Result<Self> {
        check_finite_weights(weights)?;
        let largest = weights.amax();
        let w_max = if largest > 0.0 { largest } else { 1.0 };
        Mapping::new(scheme, g_min, g_max, w_max)
    }

    /// The map onto a device's programmable range `[g_min, g_max]`.
    pub fn for_device(scheme: MappingScheme, device: &DeviceSpec, w_max: f64) -> Result<Self> {
        Mapping::new(
            scheme,
            device.g_min.siemens(),
            device.g_max.siemens(),
            w_max,
        )
    }

    /// The layout.
    pub fn scheme(&self) -> MappingScheme {
        self.scheme
    }

    /// Lowest conductance used (S).
    pub fn g_min(&self) -> f64 {
        self.g_min
    }

    /// Highest conductance used (S).
    pub fn g_max(&self) -> f64 {
        self.g_max
    }

    /// The weight magnitude mapped to the full range; larger ones are clipped.
    pub fn w_max(&self) -> f64 {
        self.w_max
    }

    /// Weight units per siemens of difference conductance: `w_max/Δg`
    /// (differential) or `w_max/(Δg/2)` (offset column). A difference current
    /// (A) times this factor is an output in volts × weight units, which is
    /// how outputs of two separately solved arrays (`G⁺` and `G⁻`) are
    /// decoded: `y = (I⁺ − I⁻)·weight_per_siemens`.
    pub fn weight_per_siemens(&self) -> f64 {
        let delta_g = self.g_max - self.g_min;
        match self.scheme {
            MappingScheme::Differential => self.w_max / delta_g,
            MappingScheme::OffsetColumn => self.w_max / (0.5 * delta_g),
        }
    }

    /// Physical columns (bit lines) needed for `outputs` weight columns:
    /// `2·outputs` (differential) or `outputs + 1` (offset column).
    pub fn physical_columns(&self, outputs: usize) -> usize {
        match self.scheme {
            MappingScheme::Differential => 2 * outputs,
            MappingScheme::OffsetColumn => outputs + 1,
        }
    }

    /// Conductances (S) for the weights `W` (M×N), each weight first clipped
    /// to `[−w_max, w_max]`. Every conductance lies in `[g_min, g_max]`.
    ///
    /// # Errors
    /// A non-finite weight, named `weights[i,j]`.
    pub fn weights_to_conductances(&self, weights: &DMatrix<f64>) -> Result<MappedWeights> {
        check_finite_weights(weights)?;
        let (g_min, g_max, w_max) = (self.g_min, self.g_max, self.w_max);
        let delta_g = g_max - g_min;
        let clip = |w: f64| w.clamp(-w_max, w_max);
        let in_range = |g: f64| g.clamp(g_min, g_max);
        match self.scheme {
            MappingScheme::Differential => {
                let per_weight = delta_g / w_max;
                let positive = weights.map(|w| in_range(g_min + clip(w).max(0.0) * per_weight));
                let negative = weights.map(|w| in_range(g_min - clip(w).min(0.0) * per_weight));
                Ok(MappedWeights {
                    scheme: self.scheme,
                    positive,
                    negative,
                })
            }
            MappingScheme::OffsetColumn => {
                let g_mid = 0.5 * (g_min + g_max);
                let per_weight = 0.5 * delta_g / w_max;
                let positive = weights.map(|w| in_range(g_mid + clip(w) * per_weight));
                let negative = DMatrix::from_element(weights.nrows(), 1, g_mid);
                Ok(MappedWeights {
                    scheme: self.scheme,
                    positive,
                    negative,
                })
            }
        }
    }

    /// Weight-domain outputs (B×N, volts × weight units) from the currents
    /// (A) of the physical array of [`MappedWeights::physical_array`], one
    /// input vector per row (B×2N interleaved `I⁺_0, I⁻_0, I⁺_1, …` for the
    /// differential scheme, B×(N+1) with the reference column last for the
    /// offset column): `y_j = (I⁺_j − I⁻_j)·w_max/Δg` or
    /// `y_j = (I_j − I_ref)·w_max/(Δg/2)`.
    ///
    /// # Errors
    /// A column count that does not fit the layout, or a non-finite current
    /// (named `currents[b,k]`).
    pub fn decode(&self, currents: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.combine_columns("currents", currents)
    }

    /// The weights (M×N) that a programmed physical array (S, layout of
    /// [`MappedWeights::physical_array`]) represents: `W = (G⁺ − G⁻)·w_max/Δg`
    /// or `W = (G_j − G_ref)·w_max/(Δg/2)`, row by row. The exact inverse of
    /// [`weights_to_conductances`](Self::weights_to_conductances) for
    /// unclipped weights, up to rounding (absolute error ~1e-16·w_max).
    ///
    /// # Errors
    /// A column count that does not fit the layout, or a non-finite
    /// conductance (named `conductances[i,k]`).
    pub fn conductances_to_weights(&self, physical: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        self.combine_columns("conductances", physical)
    }

    /// The column combination shared by decoding currents and reading back
    /// conductances (the map is linear, so both are the same operation).
    fn combine_columns(&self, what: &str, physical: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        let (rows, cols) = physical.shape();
        if let Some(k) = physical.iter().position(|v| !v.is_finite()) {
            let (r, c) = (k % rows, k / rows);
            return Err(CrossbarError::invalid(
                format!("{what}[{r},{c}]"),
                format!("expected a finite value, found {}", physical[(r, c)]),
            ));
        }
        let scale = self.weight_per_siemens();
        match self.scheme {
            MappingScheme::Differential => {
                if cols % 2 != 0 {
                    return Err(CrossbarError::invalid(
                        what,
                        format!(
                            "the differential layout has two columns (G⁺, G⁻) per output, \
                             found an odd number of columns: {cols}"
                        ),
                    ));
                }
                Ok(DMatrix::from_fn(rows, cols / 2, |r, j| {
                    (physical[(r, 2 * j)] - physical[(r, 2 * j + 1)]) * scale
                }))
            }
            MappingScheme::OffsetColumn => {
                if cols == 0 {
                    return Err(CrossbarError::invalid(
                        what,
                        "the offset-column layout ends with a reference column, found no columns",
                    ));
                }
                let reference = cols - 1;
                Ok(DMatrix::from_fn(rows, cols - 1, |r, j| {
                    (physical[(r, j)] - physical[(r, reference)]) * scale
                }))
            }
        }
    }
}

/// A weight matrix programmed as conductances (S), in one of the two
/// layouts of [`MappingScheme`].
///
/// `positive` holds `G⁺` (differential) or the weight columns (offset
/// column), M×N; `negative` holds `G⁻` (M×N) or the reference column of
/// `g_mid` (M×1). Each output is the current of a `positive` column minus
/// that of its `negative` column. Use [`physical_array`](Self::physical_array)
/// to program one array, or the two parts as two separate arrays.
///
/// ```
/// use nalgebra::dmatrix;
/// use xbar_crossbar::mapping::{Mapping, MappingScheme};
///
/// let map = Mapping::new(MappingScheme::OffsetColumn, 0.0, 2e-6, 1.0)?;
/// let mapped = map.weights_to_conductances(&dmatrix![1.0, -0.5])?;
/// assert_eq!(mapped.physical_array(), dmatrix![2e-6, 0.5e-6, 1e-6]); // reference last
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MappedWeights {
    scheme: MappingScheme,
    positive: DMatrix<f64>,
    negative: DMatrix<f64>,
}

impl MappedWeights {
    /// The layout.
    pub fn scheme(&self) -> MappingScheme {
        self.scheme
    }

    /// Number of word lines M.
    pub fn rows(&self) -> usize {
        self.positive.nrows()
    }

    /// Number of weight columns (outputs) N.
    pub fn outputs(&self) -> usize {
        self.positive.ncols()
    }

    /// `G⁺` (differential) or the weight columns (offset column), M×N, S.
    pub fn positive(&self) -> &DMatrix<f64> {
        &self.positive
    }

    /// `G⁻` (differential, M×N) or the reference column (offset column,
    /// M×1), S.
    pub fn negative(&self) -> &DMatrix<f64> {
        &self.negative
    }

    /// One physical array (S): M×2N with interleaved columns
    /// `[G⁺_0, G⁻_0, G⁺_1, G⁻_1, …]` (differential), or M×(N+1) with the
    /// reference column last (offset column). This is the layout
    /// [`Mapping::decode`] expects the currents in.
    pub fn physical_array(&self) -> DMatrix<f64> {
        let (rows, n) = self.positive.shape();
        match self.scheme {
            MappingScheme::Differential => DMatrix::from_fn(rows, 2 * n, |r, k| {
                if k % 2 == 0 {
                    self.positive[(r, k / 2)]
                } else {
                    self.negative[(r, k / 2)]
                }
            }),
            MappingScheme::OffsetColumn => DMatrix::from_fn(rows, n + 1, |r, k| {
                if k < n {
                    self.positive[(r, k)]
                } else {
                    self.negative[(r, 0)]
                }
            }),
        }
    }
}

fn check_finite_weights(weights: &DMatrix<f64>) -> Result<()> {
    if let Some(k) = weights.iter().position(|w| !w.is_finite()) {
        let (i, j) = (k % weights.nrows(), k / weights.nrows());
        return Err(CrossbarError::invalid(
            format!("weights[{i},{j}]"),
            format!("expected a finite weight, found {}", weights[(i, j)]),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    const G_MIN: f64 = 1e-6;
    const G_MAX: f64 = 100e-6;
    const SCHEMES: [MappingScheme; 2] = [MappingScheme::Differential, MappingScheme::OffsetColumn];

    fn random(rows: usize, cols: usize, scale: f64, seed: u64) -> DMatrix<f64> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        DMatrix::from_fn(rows, cols, |_, _| scale * rng.random_range(-1.0..1.0))
    }

    fn field_of(err: CrossbarError) -> String {
        match err {
            CrossbarError::InvalidParameter { field, .. } => field,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn differential_conductances_follow_the_formula() {
        // Δg = 99 µS, w_max = 2: w = 1 → G⁺ = 1 + 49.5 µS; w = −2 → G⁻ = g_max.
        let map = Mapping::new(MappingScheme::Differential, G_MIN, G_MAX, 2.0).unwrap();
        let mapped = map
            .weights_to_conductances(&DMatrix::from_row_slice(1, 3, &[1.0, -2.0, 0.0]))
            .unwrap();
        let expected_pos = [50.5e-6, 1e-6, 1e-6];
        let expected_neg = [1e-6, 100e-6, 1e-6];
        for j in 0..3 {
            assert!((mapped.positive()[(0, j)] - expected_pos[j]).abs() < 1e-18);
            assert!((mapped.negative()[(0, j)] - expected_neg[j]).abs() < 1e-18);
        }
        let physical = mapped.physical_array();
        assert_eq!(physical.shape(), (1, 6));
        let interleaved = [50.5e-6, 1e-6, 1e-6, 100e-6, 1e-6, 1e-6];
        for (k, g) in interleaved.iter().enumerate() {
            assert!((physical[(0, k)] - g).abs() < 1e-18, "column {k}");
        }
    }

    #[test]
    fn offset_conductances_follow_the_formula() {
        // g_mid = 50.5 µS, Δg/2 = 49.5 µS, w_max = 2: w = 1 → 75.25 µS.
        let map = Mapping::new(MappingScheme::OffsetColumn, G_MIN, G_MAX, 2.0).unwrap();
        let mapped = map
            .weights_to_conductances(&DMatrix::from_row_slice(2, 2, &[1.0, -2.0, 0.0, 2.0]))
            .unwrap();
        let physical = mapped.physical_array();
        assert_eq!(physical.shape(), (2, 3));
        let expected =
            DMatrix::from_row_slice(2, 3, &[75.25e-6, 1e-6, 50.5e-6, 50.5e-6, 100e-6, 50.5e-6]);
        assert!((physical - expected).amax() < 1e-18);
        assert_eq!(mapped.negative().shape(), (2, 1));
    }

    #[test]
    fn round_trip_recovers_the_weights() {
        for scheme in SCHEMES {
            for (rows, cols, seed) in [(1, 1, 1), (7, 3, 2), (64, 33, 3)] {
                let w = random(rows, cols, 0.7, seed);
                let map = Mapping::for_weights(scheme, G_MIN, G_MAX, &w).unwrap();
                let mapped = map.weights_to_conductances(&w).unwrap();
                assert_eq!(mapped.outputs(), cols);
                assert_eq!(mapped.physical_array().ncols(), map.physical_columns(cols));
                let back = map
                    .conductances_to_weights(&mapped.physical_array())
                    .unwrap();
                assert_eq!(back.shape(), w.shape());
                let err = (&back - &w).amax();
                assert!(
                    err <= 1e-12 * map.w_max(),
                    "{scheme:?} {rows}×{cols}: error {err:e}"
                );
            }
        }
    }

    #[test]
    fn ideal_product_through_the_array_decodes_to_x_times_w() {
        for scheme in SCHEMES {
            let w = random(37, 11, 3.0, 10);
            let x = random(5, 37, 0.3, 11); // volts
            let map = Mapping::for_weights(scheme, G_MIN, G_MAX, &w).unwrap();
            let g = map.weights_to_conductances(&w).unwrap().physical_array();
            let currents = &x * &g;
            let y = map.decode(&currents).unwrap();
            let exact = &x * &w;
            assert_eq!(y.shape(), (5, 11));
            let err = (&y - &exact).amax();
            assert!(err <= 1e-12 * exact.amax(), "{scheme:?}: error {err:e}");

            // Two separate arrays decoded with weight_per_siemens agree.
            let mapped = map.weights_to_conductances(&w).unwrap();
            let i_pos = &x * mapped.positive();
            let i_neg = &x * mapped.negative();
            let y2 = DMatrix::from_fn(5, 11, |b, j| {
                let reference = if scheme == MappingScheme::Differential {
                    j
                } else {
                    0
                };
                (i_pos[(b, j)] - i_neg[(b, reference)]) * map.weight_per_siemens()
            });
            assert!((&y2 - &exact).amax() <= 1e-12 * exact.amax());
        }
    }

    #[test]
    fn conductances_stay_within_the_device_range() {
        for scheme in SCHEMES {
            // w_max = 1 with weights up to ±5: heavy clipping at both ends.
            let w = random(20, 20, 5.0, 20);
            let map = Mapping::new(scheme, G_MIN, G_MAX, 1.0).unwrap();
            let g = map.weights_to_conductances(&w).unwrap().physical_array();
            assert!(
                g.iter().all(|&g| (G_MIN..=G_MAX).contains(&g)),
                "{scheme:?}"
            );
            // Without clipping the extremes are reached exactly.
            let map = Mapping::for_weights(scheme, G_MIN, G_MAX, &w).unwrap();
            let g = map.weights_to_conductances(&w).unwrap().physical_array();
            assert!(
                g.iter().all(|&g| (G_MIN..=G_MAX).contains(&g)),
                "{scheme:?}"
            );
            // The largest |w| reaches the end of the range its sign maps to.
            let g_mid = 0.5 * (G_MIN + G_MAX);
            let swing = match scheme {
                MappingScheme::Differential => g.max() - G_MIN,
                MappingScheme::OffsetColumn => 2.0 * g.map(|g| (g - g_mid).abs()).max(),
            };
            assert!(
                (swing - (G_MAX - G_MIN)).abs() <= 1e-15 * G_MAX,
                "{scheme:?}"
            );
        }
    }

    #[test]
    fn weights_beyond_w_max_are_clipped() {
        for scheme in SCHEMES {
            let map = Mapping::new(scheme, G_MIN, G_MAX, 0.5).unwrap();
            let w = DMatrix::from_row_slice(1, 5, &[3.0, -0.75, 0.5, -0.25, f64::MAX]);
            let g = map.weights_to_conductances(&w).unwrap().physical_array();
            let back = map.conductances_to_weights(&g).unwrap();
            let expected = [0.5, -0.5, 0.5, -0.25, 0.5];
            for (j, e) in expected.iter().enumerate() {
                assert!(
                    (back[(0, j)] - e).abs() < 1e-12,
                    "{scheme:?} column {j}: {}",
                    back[(0, j)]
                );
            }
        }
    }

    #[test]
    fn all_zero_weights_map_to_the_rest_conductance() {
        let zeros = DMatrix::zeros(3, 2);
        let diff = Mapping::for_weights(MappingScheme::Differential, G_MIN, G_MAX, &zeros).unwrap();
        assert_eq!(diff.w_max(), 1.0);
        let g = diff
            .weights_to_conductances(&zeros)
            .unwrap()
            .physical_array();
        assert!(g.iter().all(|&g| g == G_MIN));
        let offset =
            Mapping::for_weights(MappingScheme::OffsetColumn, G_MIN, G_MAX, &zeros).unwrap();
        let g = offset
            .weights_to_conductances(&zeros)
            .unwrap()
            .physical_array();
        assert!(g.iter().all(|&g| g == 0.5 * (G_MIN + G_MAX)));
    }

    #[test]
    fn weight_per_siemens_is_w_max_over_the_used_range() {
        let diff = Mapping::new(MappingScheme::Differential, 10e-6, 110e-6, 4.0).unwrap();
        assert!((diff.weight_per_siemens() - 4.0 / 100e-6).abs() < 1e-9);
        let offset = Mapping::new(MappingScheme::OffsetColumn, 10e-6, 110e-6, 4.0).unwrap();
        assert!((offset.weight_per_siemens() - 4.0 / 50e-6).abs() < 1e-9);
        assert_eq!(diff.physical_columns(7), 14);
        assert_eq!(offset.physical_columns(7), 8);
    }

    #[test]
    fn decode_reads_each_row_against_its_own_reference() {
        // Offset column: a reference that differs per row (e.g. after
        // programming noise) is subtracted row by row.
        let map = Mapping::new(MappingScheme::OffsetColumn, 0.0, 2.0, 1.0).unwrap();
        let physical = DMatrix::from_row_slice(2, 3, &[1.5, 0.5, 1.0, 1.2, 1.1, 1.1]);
        let w = map.conductances_to_weights(&physical).unwrap();
        let expected = DMatrix::from_row_slice(2, 2, &[0.5, -0.5, 0.1, 0.0]);
        assert!((w - expected).amax() < 1e-15);
    }

    #[test]
    fn invalid_parameters_name_the_field() {
        let d = MappingScheme::Differential;
        assert_eq!(
            field_of(Mapping::new(d, -1e-6, 1e-4, 1.0).unwrap_err()),
            "g_min"
        );
        assert_eq!(
            field_of(Mapping::new(d, f64::NAN, 1e-4, 1.0).unwrap_err()),
            "g_min"
        );
        assert_eq!(
            field_of(Mapping::new(d, 1e-4, 1e-4, 1.0).unwrap_err()),
            "g_max"
        );
        assert_eq!(
            field_of(Mapping::new(d, 1e-6, f64::INFINITY, 1.0).unwrap_err()),
            "g_max"
        );
        assert_eq!(
            field_of(Mapping::new(d, 1e-6, 1e-4, 0.0).unwrap_err()),
            "w_max"
        );
        assert_eq!(
            field_of(Mapping::new(d, 1e-6, 1e-4, f64::NAN).unwrap_err()),
            "w_max"
        );

        let mut w = DMatrix::from_element(3, 4, 0.1);
        w[(2, 1)] = f64::NAN;
        assert_eq!(
            field_of(Mapping::for_weights(d, 1e-6, 1e-4, &w).unwrap_err()),
            "weights[2,1]"
        );
        let map = Mapping::new(d, 1e-6, 1e-4, 1.0).unwrap();
        assert_eq!(
            field_of(map.weights_to_conductances(&w).unwrap_err()),
            "weights[2,1]"
        );

        // Layout mismatches and non-finite currents.
        assert_eq!(
            field_of(map.decode(&DMatrix::zeros(2, 3)).unwrap_err()),
            "currents"
        );
        let offset = Mapping::new(MappingScheme::OffsetColumn, 1e-6, 1e-4, 1.0).unwrap();
        assert_eq!(
            field_of(offset.decode(&DMatrix::zeros(2, 0)).unwrap_err()),
            "currents"
        );
        let mut currents = DMatrix::zeros(2, 4);
        currents[(1, 3)] = f64::INFINITY;
        assert_eq!(
            field_of(map.decode(&currents).unwrap_err()),
            "currents[1,3]"
        );
        assert_eq!(
            field_of(
                map.conductances_to_weights(&DMatrix::zeros(1, 5))
                    .unwrap_err()
            ),
            "conductances"
        );
    }

    #[test]
    fn scheme_names_are_kebab_case() {
        use serde::de::{value::StrDeserializer, IntoDeserializer};
        let parse = |s: &'static str| {
            let de: StrDeserializer<'_, serde::de::value::Error> = s.into_deserializer();
            MappingScheme::deserialize(de)
        };
        assert_eq!(parse("differential").unwrap(), MappingScheme::Differential);
        assert_eq!(parse("offset-column").unwrap(), MappingScheme::OffsetColumn);
        assert!(parse("OffsetColumn").is_err());
    }

    #[test]
    fn for_device_uses_the_device_range() {
        let device = xbar_devices::library::preset("ibm-pcm").unwrap();
        let map = Mapping::for_device(MappingScheme::Differential, &device, 1.0).unwrap();
        assert_eq!(map.g_min(), device.g_min.siemens());
        assert_eq!(map.g_max(), device.g_max.siemens());
    }
}
