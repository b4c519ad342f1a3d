//! Averaging repeats: mean and sample standard deviation per point or cell.

use std::collections::BTreeMap;

use crate::table::Key;

/// One point of a line: the mean and sample standard deviation of the `y`
/// values of `n` rows sharing this `x` (and series value).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Point {
    pub(crate) x: f64,
    pub(crate) mean: f64,
    pub(crate) std: f64,
    pub(crate) n: usize,
}

/// One line: its series values (`None` without `series`; one per series
/// column) and its points, sorted by `x`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    pub(crate) key: Option<Vec<Key>>,
    pub(crate) points: Vec<Point>,
}

/// Mean and sample standard deviation (n − 1 in the denominator; 0 for a
/// single value).
pub(crate) fn mean_std(values: &[f64]) -> (f64, f64) {
    let n = values.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return (mean, 0.0);
    }
    let ss: f64 = values.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, (ss / (n - 1) as f64).sqrt())
}

/// Student's t quantile t₀.₉₇₅ with `df` degrees of freedom, the factor
/// of a two-sided 95 % confidence interval of a mean: tabulated for df ≤ 30
/// (Abramowitz & Stegun, *Handbook of Mathematical Functions*, 1964,
/// table 26.10), the Cornish–Fisher expansion in 1/df beyond (ibid.
/// 26.7.5; within 1e-4 of the table at df = 30). NaN for df = 0.
pub(crate) fn t975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => TABLE[df - 1],
        _ => t975_expansion(df as f64),
    }
}

/// The Cornish–Fisher expansion of t₀.₉₇₅ to third order in 1/df.
fn t975_expansion(df: f64) -> f64 {
    let z = 1.959_963_984_540_054_f64; // the normal quantile Φ⁻¹(0.975)
    let (z3, z5, z7) = (z.powi(3), z.powi(5), z.powi(7));
    z + (z3 + z) / (4.0 * df)
        + (5.0 * z5 + 16.0 * z3 + 3.0 * z) / (96.0 * df * df)
        + (3.0 * z7 + 19.0 * z5 + 17.0 * z3 - 15.0 * z) / (384.0 * df * df * df)
}

/// Groups rows by (series key, x) and averages `y` in each group. Lines are
/// sorted by key, points by `x`. Rows are given as (key, x, y) and must be
/// finite already.
pub(crate) fn lines(rows: impl IntoIterator<Item = (Option<Vec<Key>>, f64, f64)>) -> Vec<Line> {
    let mut groups: BTreeMap<Option<Vec<Key>>, BTreeMap<Key, Vec<f64>>> = BTreeMap::new();
    for (key, x, y) in rows {
        groups
            .entry(key)
            .or_default()
            .entry(Key::Num(x + 0.0))
            .or_default()
            .push(y);
    }
    groups
        .into_iter()
        .map(|(key, by_x)| Line {
            key,
            points: by_x
                .into_iter()
                .map(|(x, ys)| {
                    let (mean, std) = mean_std(&ys);
                    let x = match x {
                        Key::Num(x) => x,
                        _ => f64::NAN,
                    };
                    Point {
                        x,
                        mean,
                        std,
                        n: ys.len(),
                    }
                })
                .collect(),
        })
        .collect()
}

/// The heatmap grid: distinct `x` and `y` values (sorted) and the mean of `z`
/// in each cell, `cells[j][i]` for `ys[j]`, `xs[i]` (`None`: no rows).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Grid {
    pub(crate) xs: Vec<Key>,
    pub(crate) ys: Vec<Key>,
    pub(crate) cells: Vec<Vec<Option<f64>>>,
}

/// Averages `z` over the rows of each (x, y) cell.
pub(crate) fn grid(rows: impl IntoIterator<Item = (Key, Key, f64)>) -> Grid {
    let mut groups: BTreeMap<(Key, Key), Vec<f64>> = BTreeMap::new();
    for (x, y, z) in rows {
        groups.entry((x, y)).or_default().push(z);
    }
    let mut xs: Vec<Key> = groups.keys().map(|(x, _)| x.clone()).collect();
    let mut ys: Vec<Key> = groups.keys().map(|(_, y)| y.clone()).collect();
    xs.sort();
    xs.dedup();
    ys.sort();
    ys.dedup();
    let mut cells = vec![vec![None; xs.len()]; ys.len()];
    for ((x, y), zs) in &groups {
        // Both searches succeed: xs and ys hold every key of `groups`.
        if let (Ok(i), Ok(j)) = (xs.binary_search(x), ys.binary_search(y)) {
            cells[j][i] = Some(mean_std(zs).0);
        }
    }
    Grid { xs, ys, cells }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_std_is_sample_std() {
        let (m, s) = mean_std(&[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(m, 2.5);
        // sum of squares 5.0 over n - 1 = 3
        assert!((s - (5.0f64 / 3.0).sqrt()).abs() < 1e-15);
        assert_eq!(mean_std(&[7.0]), (7.0, 0.0));
    }

    #[test]
    fn two_repeats_give_mean_and_std() {
        // x = 1: y in {1, 3} -> mean 2, std sqrt(2); x = 2: {10, 14} -> 12, sqrt(8)
        let rows = [(2.0, 10.0), (1.0, 1.0), (2.0, 14.0), (1.0, 3.0)];
        let lines = lines(rows.iter().map(|&(x, y)| (None, x, y)));
        assert_eq!(lines.len(), 1);
        let p = &lines[0].points;
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].x, p[0].mean, p[0].n), (1.0, 2.0, 2));
        assert!((p[0].std - 2f64.sqrt()).abs() < 1e-12);
        assert_eq!((p[1].x, p[1].mean), (2.0, 12.0));
        assert!((p[1].std - 8f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn series_sorted_numerically_not_lexically() {
        let rows = [10.0, 2.0, 1e-6, 2.5]
            .iter()
            .map(|&k| (Some(vec![Key::Num(k)]), 0.0, 1.0));
        let keys: Vec<String> = lines(rows)
            .iter()
            .map(|l| l.key.as_ref().map(|k| k[0].label()).unwrap_or_default())
            .collect();
        assert_eq!(keys, ["1e-6", "2", "2.5", "10"]);
    }

    #[test]
    fn several_series_columns_sort_column_by_column() {
        let key = |a: &str, b: f64| Some(vec![Key::Str(a.into()), Key::Num(b)]);
        let rows = [
            key("pair", 1000.0),
            key("reference", 0.0),
            key("pair", 100.0),
        ]
        .into_iter()
        .map(|k| (k, 0.0, 1.0));
        let keys: Vec<Vec<Key>> = lines(rows).into_iter().filter_map(|l| l.key).collect();
        assert_eq!(
            keys,
            vec![
                vec![Key::Str("pair".into()), Key::Num(100.0)],
                vec![Key::Str("pair".into()), Key::Num(1000.0)],
                vec![Key::Str("reference".into()), Key::Num(0.0)],
            ]
        );
    }

    #[test]
    fn t_quantiles_match_the_table_and_tend_to_the_normal() {
        assert_eq!(t975(1), 12.706);
        assert_eq!(t975(9), 2.262);
        assert!(t975(0).is_nan());
        // The expansion meets the table at df = 30 (2.042) and reaches the
        // tabulated 2.021 (df 40), 2.000 (60), 1.980 (120).
        for (df, t) in [(30, 2.042), (40, 2.021), (60, 2.000), (120, 1.980)] {
            let v = t975_expansion(df as f64);
            assert!((v - t).abs() < 6e-4, "df {df}: {v} vs {t}");
        }
        assert!((t975(100_000) - 1.959_964).abs() < 1e-4);
        // Decreasing in df.
        for df in 1..200 {
            assert!(t975(df + 1) < t975(df), "df {df}");
        }
    }

    #[test]
    fn grid_averages_cells_and_leaves_holes() {
        let rows = vec![
            (Key::Num(1.0), Key::Str("a".into()), 1.0),
            (Key::Num(1.0), Key::Str("a".into()), 3.0),
            (Key::Num(2.0), Key::Str("b".into()), 5.0),
        ];
        let g = grid(rows);
        assert_eq!(g.xs.len(), 2);
        assert_eq!(g.ys.len(), 2);
        assert_eq!(g.cells[0], vec![Some(2.0), None]);
        assert_eq!(g.cells[1], vec![None, Some(5.0)]);
    }
}
