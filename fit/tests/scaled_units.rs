//! Conductances at extreme magnitudes (issue 25): the D2D spread is a
//! property of the devices, not of the unit, so a fit of the same data
//! scaled by any power of ten keeps it; a subnormal conductance (a scaling
//! mistake, below 2.2e-308 S) is refused at its cell.

use xbar_fit::measurements::{PulseData, Table};
use xbar_fit::pulse::population_of;

/// Per-device extremes with a 5 % spread, in µS.
const G: [f64; 8] = [1.02, 0.97, 1.05, 0.93, 1.01, 0.99, 1.08, 0.95];

#[test]
fn the_d2d_spread_of_scaled_values_is_the_spread_of_the_values() {
    // Before: at 1e-301 S every (g − mean)² underflowed to 0, so the D2D
    // σ (and the device file's relative variability) was 0.
    let at = |scale: f64| {
        let v: Vec<f64> = G.iter().map(|g| g * scale).collect();
        let p = population_of(&v, &vec![0.0; v.len()]);
        (p.d2d_std / p.mean.value, p.std / p.mean.value)
    };
    let (d2d, sd) = at(1e-6);
    assert!(d2d > 0.04 && d2d < 0.06, "{d2d}");
    for scale in [1e-301, 1e-200, 1e-160, 1e150, 1e300] {
        let (d, s) = at(scale);
        assert!((d / d2d - 1.0).abs() < 1e-12, "at {scale:e}: {d} vs {d2d}");
        assert!((s / sd - 1.0).abs() < 1e-12, "at {scale:e}: {s} vs {sd}");
    }
}

#[test]
fn ordinary_magnitudes_give_the_same_bits_as_the_textbook_formulas() {
    // The values are divided by a power of two, exactly: µS values give
    // the same σ, bit for bit, as the formulas written out.
    let v: Vec<f64> = G.iter().map(|g| g * 1e-6).collect();
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let sd = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let p = population_of(&v, &vec![0.0; v.len()]);
    assert_eq!(p.mean.value.to_bits(), mean.to_bits());
    assert_eq!(p.std.to_bits(), sd.to_bits());
    assert_eq!(p.d2d_std.to_bits(), sd.to_bits());
}

#[test]
fn a_subnormal_conductance_is_refused_at_its_cell() {
    let csv = "pulse_voltage_V,dev1,dev2\n1.5,1e-6,2e-6\n1.5,1.2e-6,1e-310\n";
    let e = Table::from_csv_text("scaled.csv", csv, b',')
        .and_then(|t| PulseData::from_table(&t))
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "scaled.csv:3: column `dev2`: conductance 1e-310 is below 2.2250738585072014e-308 S, the smallest normal double: expected siemens (is the column scaled?)"
    );
    // 0 S and the smallest normal double are conductances.
    let csv = "pulse_voltage_V,dev1\n1.5,0\n1.5,2.2250738585072014e-308\n1.5,1e-6\n";
    let t = Table::from_csv_text("ok.csv", csv, b',').unwrap();
    assert_eq!(t.conductance(1, 1).unwrap(), Some(f64::MIN_POSITIVE));
    assert_eq!(t.conductance(0, 1).unwrap(), Some(0.0));
}
