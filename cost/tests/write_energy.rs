//! Write energy of in-situ training: the pulses a protocol applies, the
//! conductance each met, and their price (`xbar_cost::write_cost`), checked
//! by hand on a few cells, at zero, and against the pulse counts the
//! NeuroSim protocol reports.

use std::path::PathBuf;

use nalgebra::DMatrix;
use xbar_cost::{write_cost, Technology};
use xbar_devices::pulse::WriteTally;
use xbar_devices::{library, DeviceArray};
use xbar_training::neurosim::{NeurosimConfig, NeurosimNetwork};
use xbar_training::{Dataset, Encoding, InsituConfig, InsituNetwork, Network, NetworkConfig};
use xbar_training::{Readout, Split};

fn subset(split: Split) -> Dataset {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist-subset"));
    Dataset::load_split(&dir, split).unwrap()
}

/// generic-32nm: 1.6 V, 50 ns pulses, 12.8 aF per line segment.
const V2: f64 = 1.6 * 1.6;
const TP: f64 = 50e-9;
const SEGMENT_F: f64 = 0.2e-9 * 2.0 * 32e-9;

/// Two cells of the ideal device (linear, 1 µS to 10 µS in 1000 pulses of
/// 9 nS): 3 LTP pulses from 2 µS meet 2, 2.009, 2.018 µS; 2 LTD pulses
/// from 5 µS meet 5, 4.991 µS.
#[test]
fn a_few_cells_by_hand() {
    let ideal = library::preset("ideal").unwrap();
    let mut array = DeviceArray::new(&ideal, 1, 2, 3).unwrap();
    array
        .program(&DMatrix::from_row_slice(1, 2, &[2e-6, 5e-6]))
        .unwrap();
    assert_eq!(array.conductances().as_slice(), &[2e-6, 5e-6]);
    let tally = array
        .apply_pulses(&DMatrix::from_row_slice(1, 2, &[3, -2]))
        .unwrap();
    assert_eq!(tally.pulses, 5);
    let sum_g = 2e-6 + 2.009e-6 + 2.018e-6 + 5e-6 + 4.991e-6;
    assert!(
        (tally.sum_g_s - sum_g).abs() < 1e-12 * sum_g,
        "{:e}",
        tally.sum_g_s
    );
    let after = array.conductances();
    assert!((after[0] - 2.027e-6).abs() < 1e-18 && (after[1] - 4.982e-6).abs() < 1e-18);

    let tech = Technology::preset("generic-32nm").unwrap();
    // The tally is on the array's shape: what the price needs.
    let writes = WriteTally {
        rows: 1,
        cols: 2,
        pulses: tally.pulses,
        sum_g_s: tally.sum_g_s,
    };
    assert_eq!(tally, writes);
    // Each pulse: V²·g·t_p in its cell, (1 + 2) line segments charged to V.
    let by_hand = V2 * TP * sum_g + 5.0 * 3.0 * SEGMENT_F * V2;
    let (energy, time) = write_cost(&tech, &[writes]);
    assert!(
        (energy - by_hand).abs() < 1e-12 * by_hand,
        "{energy:e} vs {by_hand:e}"
    );
    assert!((time - 5.0 * TP).abs() < 1e-12 * time);
}

/// Pulses past a bound still cost energy, at the bound's conductance.
#[test]
fn pulses_at_a_bound_meet_the_bound() {
    let ideal = library::preset("ideal").unwrap();
    let mut array = DeviceArray::new(&ideal, 1, 1, 3).unwrap();
    array
        .program(&DMatrix::from_element(1, 1, 9.982e-6))
        .unwrap();
    // 5 LTP pulses: 9.982, 9.991, 10, 10, 10 µS.
    let tally = array.apply_pulses(&DMatrix::from_element(1, 1, 5)).unwrap();
    let sum_g = 9.982e-6 + 9.991e-6 + 3.0 * 10e-6;
    assert_eq!(tally.pulses, 5);
    assert!((tally.sum_g_s - sum_g).abs() < 1e-12 * sum_g);
}

/// The NeuroSim protocol counts exactly the pulses it applied (Σ|n| of the
/// updates), and each met a conductance within the device's range.
#[test]
fn neurosim_counts_the_pulses_it_applied() {
    let device = library::preset("ag-a-si").unwrap();
    let config = NeurosimConfig {
        hidden: 8,
        crop: 4,
        ..NeurosimConfig::default()
    };
    let mut net = NeurosimNetwork::new(&device, config, 5).unwrap();
    assert_eq!(net.writes().map(|w| w.pulses), [0, 0]);
    let mut applied = [0u64; 2];
    for (k, dw) in [0.3, -0.05, 0.9, -1.4, 0.02, 2.0, -2.0].iter().enumerate() {
        for (l, count) in applied.iter_mut().enumerate() {
            let n = net.update_weight(l, (7 * k + l) % 16, *dw);
            *count += u64::from(n.unsigned_abs());
        }
    }
    let writes = net.writes();
    assert_eq!(writes.map(|w| w.pulses), applied);
    assert!(applied[0] > 50, "{applied:?}");
    let (g_min, g_max) = (device.g_min.siemens(), device.g_max.siemens());
    for w in writes {
        let p = w.pulses as f64;
        assert!(w.sum_g_s >= p * g_min * (1.0 - 1e-12) && w.sum_g_s <= p * g_max * (1.0 + 1e-12));
    }
    // Arrays: 16 inputs × (8 outputs + the reference column), 8 × 11.
    assert_eq!((writes[0].rows, writes[0].cols), (16, 9));
    assert_eq!((writes[1].rows, writes[1].cols), (8, 11));
}

/// No pulse, no energy: learning rates so small that every update rounds
/// to zero pulses, on both protocols.
#[test]
fn no_pulses_cost_nothing() {
    let tech = Technology::preset("generic-32nm").unwrap();
    let train = subset(Split::Train).take(200);
    let test = subset(Split::Test).take(100);
    let config = NeurosimConfig {
        hidden: 8,
        images_per_epoch: 200,
        learning_rates: [1e-12, 1e-12],
        ..NeurosimConfig::default()
    };
    let mut net = NeurosimNetwork::new(&library::preset("ag-a-si").unwrap(), config, 1).unwrap();
    let history = net.train(&train, &test, 1, &mut |_| {}).unwrap();
    assert_eq!(history[0].writes.iter().map(|w| w.pulses).sum::<u64>(), 0);
    assert_eq!(write_cost(&tech, &history[0].writes), (0.0, 0.0));

    let snn = |lr: f64| {
        let net = Network::new(
            NetworkConfig {
                sizes: vec![784, 16, 10],
                encoding: Encoding::Direct,
                readout: Readout::Membrane,
                ..NetworkConfig::default()
            },
            2,
        )
        .unwrap();
        let config = InsituConfig {
            learning_rate: lr,
            ..InsituConfig::default()
        };
        let device = library::preset("ag-a-si").unwrap();
        let mut insitu = InsituNetwork::new(net, device, config, 1).unwrap();
        let history = insitu.train(&train, None, &mut |_| {}).unwrap();
        assert_eq!(history[0].writes, insitu.writes());
        history[0].writes.clone()
    };
    let none = snn(1e-15);
    assert_eq!(none.iter().map(|w| w.pulses).sum::<u64>(), 0);
    assert_eq!(write_cost(&tech, &none), (0.0, 0.0));
    // At the default rate, pulses happen and each met a conductance in
    // the device's range; arrays are inputs × 2·outputs.
    let some = snn(0.1);
    assert_eq!(
        some.iter().map(|w| (w.rows, w.cols)).collect::<Vec<_>>(),
        [(784, 32), (16, 20)]
    );
    let device = library::preset("ag-a-si").unwrap();
    for w in &some {
        let p = w.pulses as f64;
        assert!(p > 0.0);
        assert!(w.sum_g_s >= p * device.g_min.siemens() && w.sum_g_s <= p * device.g_max.siemens());
    }
    let (energy, _) = write_cost(&tech, &some);
    assert!(energy > 0.0);
}
