//! Property tests of the weight mapping, the converters and tiling, and one
//! end-to-end pipeline through all three (DAC → tiled differential arrays →
//! ADC → digital partial sums).

use nalgebra::DMatrix;
use proptest::prelude::*;
use xbar_crossbar::mapping::{Mapping, MappingScheme};
use xbar_crossbar::periphery::{Adc, Dac};
use xbar_crossbar::tiling::Tiling;
use xbar_crossbar::CrossbarError;

fn matrix(rows: usize, cols: usize, values: &[f64]) -> DMatrix<f64> {
    DMatrix::from_fn(rows, cols, |i, j| values[(i * cols + j) % values.len()])
}

fn scheme() -> impl Strategy<Value = MappingScheme> {
    prop_oneof![
        Just(MappingScheme::Differential),
        Just(MappingScheme::OffsetColumn)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mapping_round_trips_and_decodes_the_ideal_product(
        scheme in scheme(),
        rows in 1usize..12,
        cols in 1usize..9,
        batch in 1usize..4,
        weights in prop::collection::vec(-5.0f64..5.0, 1..64),
        inputs in prop::collection::vec(-0.5f64..0.5, 1..32),
        g_min in 0.0f64..10e-6,
        range in 1e-6f64..200e-6,
    ) {
        let w = matrix(rows, cols, &weights);
        let x = matrix(batch, rows, &inputs);
        let map = Mapping::for_weights(scheme, g_min, g_min + range, &w).unwrap();
        let mapped = map.weights_to_conductances(&w).unwrap();
        let g = mapped.physical_array();
        prop_assert_eq!(g.shape(), (rows, map.physical_columns(cols)));
        prop_assert!(g.iter().all(|&g| g >= map.g_min() && g <= map.g_max()));

        let back = map.conductances_to_weights(&g).unwrap();
        prop_assert!((&back - &w).amax() <= 1e-12 * map.w_max());

        let y = map.decode(&(&x * &g)).unwrap();
        let scale = (x.abs() * w.abs()).amax().max(f64::MIN_POSITIVE);
        prop_assert!((&y - &x * &w).amax() <= 1e-12 * scale.max(map.w_max() * x.amax()));
    }

    #[test]
    fn quantiser_error_idempotence_and_monotonicity(
        bits in 2u32..=16,
        full_scale in 1e-9f64..10.0,
        a in -1.5f64..1.5,
        b in -1.5f64..1.5,
    ) {
        let dac = Dac::new(bits, full_scale).unwrap();
        let x = DMatrix::from_row_slice(1, 2, &[a.min(b) * full_scale, a.max(b) * full_scale]);
        let q = dac.convert(&x).unwrap();
        // Inside the range the error is at most half a step; outside, the
        // output is the end of the range.
        for k in 0..2 {
            let target = x[(0, k)].clamp(-full_scale, full_scale);
            prop_assert!((q[(0, k)] - target).abs() <= 0.5 * dac.step() * (1.0 + 1e-9));
        }
        prop_assert_eq!(dac.convert(&q).unwrap(), q.clone());
        prop_assert!(q[(0, 0)] <= q[(0, 1)]);

        let adc = Adc::new(bits, full_scale).unwrap();
        let (q_adc, clipped) = adc.convert_with_stats(&x).unwrap();
        prop_assert_eq!(q_adc, q);
        prop_assert_eq!(clipped, x.iter().filter(|v| v.abs() > full_scale).count());
    }

    #[test]
    fn tiled_product_matches_the_untiled_one(
        rows in 1usize..30,
        cols in 1usize..30,
        max_rows in 1usize..12,
        max_cols in 1usize..12,
        values in prop::collection::vec(-1.0f64..1.0, 1..100),
    ) {
        let w = matrix(rows, cols, &values);
        let x = matrix(3, rows, &values[values.len() / 2..]);
        let tiling = Tiling::new(rows, cols, max_rows, max_cols).unwrap();
        let parts = tiling.split(&w).unwrap();
        let tiles = tiling.tiles();
        let per_tile = |tile: &xbar_crossbar::tiling::Tile, x_tile: &DMatrix<f64>| {
            let k = tiles.iter().position(|t| t == tile).unwrap();
            Ok::<_, CrossbarError>(x_tile * &parts[k])
        };
        let y = tiling.matmul(&x, per_tile).unwrap();
        let scale = (x.abs() * w.abs()).amax().max(f64::MIN_POSITIVE);
        prop_assert!((&y - &x * &w).amax() <= 1e-12 * scale);
        prop_assert_eq!(tiling.par_matmul(&x, per_tile).unwrap(), y);
    }
}

/// DAC → tiled differential arrays (ideal) → ADC on every bit line →
/// digital difference and partial sums. The result must be within the
/// bound the converters allow, and much closer than a coarse one would give.
#[test]
fn pipeline_error_is_bounded_by_the_converter_steps() {
    let (rows, cols, batch) = (40, 30, 8);
    let w = DMatrix::from_fn(rows, cols, |i, j| {
        ((i * 7 + j * 13) % 17) as f64 / 8.0 - 1.0
    });
    let x = DMatrix::from_fn(batch, rows, |b, i| {
        ((b * 5 + i * 3) % 11) as f64 / 50.0 - 0.1
    });
    let map = Mapping::for_weights(MappingScheme::Differential, 1e-6, 50e-6, &w).unwrap();
    let dac = Dac::new(8, 0.2).unwrap();
    let tiling = Tiling::new(rows, cols, 16, 8).unwrap();
    // The largest possible bit-line current of a 16-row tile.
    let i_max = 16.0 * dac.v_max() * map.g_max();

    let x_q = dac.convert(&x).unwrap();
    let dac_error = (&x_q - &x).amax();
    assert!(dac_error <= dac.step() / 2.0 + 1e-15 && dac_error > 0.0);

    for bits in [6, 12] {
        let adc = Adc::new(bits, i_max).unwrap();
        let y = tiling
            .matmul(&x_q, |tile, x_tile| {
                let w_tile = w
                    .view(
                        (tile.rows.start, tile.cols.start),
                        (tile.rows.len(), tile.cols.len()),
                    )
                    .into_owned();
                let g = map.weights_to_conductances(&w_tile)?.physical_array();
                let (currents, clipped) = adc.convert_with_stats(&(x_tile * g))?;
                assert_eq!(clipped, 0, "i_max is the worst case");
                map.decode(&currents)
            })
            .unwrap();
        // Each output adds, per tile row, two ADC errors of ≤ Δ_I/2 each,
        // scaled by w_max/Δg.
        let tile_rows = tiling.grid().0 as f64;
        let bound = tile_rows * adc.step() * map.weight_per_siemens();
        let err = (&y - &x_q * &w).amax();
        assert!(
            err <= bound * (1.0 + 1e-9),
            "{bits} bits: {err:e} > {bound:e}"
        );
        if bits == 6 {
            assert!(err > 0.05 * bound, "a 6-bit ADC must show: {err:e}");
        } else {
            // 12 bits: 64× finer than 6 bits, well below the outputs.
            assert!(bound < 0.02 * (&x_q * &w).amax(), "{bound:e}");
        }
    }
}
