//! The cost model's circuit quantities against ngspice, an independent
//! circuit simulator.
//!
//! * Array power: the netlist of a crossbar with wire, driver and sense
//!   resistance (IR drop), written here element by element from the
//!   geometry in `xbar_crossbar::circuit`'s docs; ngspice's `.op` gives
//!   the sources' power `−Σ V·I(V)` and every node voltage. The crate's
//!   power — the sources' `Σ V·I`, the sum over cells and wires
//!   ([`ArrayPower`]) and `Vᵀ·Y·V` ([`InputAdmittance`]) — must agree to
//!   `1e-9` relative; so must the cells' share computed from ngspice's own
//!   node voltages.
//! * Line settling: an RC ladder (driver, `n` segments, load) stepped in a
//!   `.tran`; the 90 % crossing of the far end, measured by ngspice, must
//!   be within 10 % of [`RcLine::settling_time_s`].
//!
//! With `CI` set a missing ngspice fails; otherwise the tests say so and
//! pass vacuously (as `crossbar/tests/ngspice.rs`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::ErrorKind;
use std::process::{Command, Stdio};

use nalgebra::DMatrix;
use xbar_cost::{ArrayPower, RcLine};
use xbar_crossbar::{Crossbar, ExactSolver, Solver, Wires};
use xbar_training::InputAdmittance;

fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.as_str(), "" | "0" | "false"))
}

/// Runs `deck` in ngspice; returns the directory holding what it wrote, or
/// `None` when ngspice is missing outside CI.
fn run(deck: &str) -> Option<tempfile::TempDir> {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("deck.cir"), deck).expect("write the netlist");
    let output = match Command::new("ngspice")
        .args(["-b", "deck.cir"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) => o,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            assert!(!required(), "ngspice is not installed but CI is set");
            eprintln!("!! ngspice NOT FOUND: the cost model's ngspice checks are SKIPPED");
            return None;
        }
        Err(e) => panic!("could not run ngspice: {e}"),
    };
    assert!(
        output.status.success(),
        "ngspice failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(dir)
}

/// `wrdata` output: a header of names and one line of values.
fn read_vectors(path: &std::path::Path) -> HashMap<String, f64> {
    let text = std::fs::read_to_string(path).expect("ngspice output");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let names: Vec<String> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(str::to_ascii_lowercase)
        .collect();
    let values: Vec<f64> = lines
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    names.into_iter().zip(values).collect()
}

fn num(x: f64) -> String {
    format!("{x:.16e}")
}

/// An M×N array with every resistance > 0: word-line nodes `w_i_j`,
/// bit-line nodes `b_i_j`, sources `V_i` at `s_i`, sense sources `VS_j`.
fn array_deck(g: &DMatrix<f64>, w: &Wires, v: &[f64]) -> String {
    let (m, n) = g.shape();
    let mut s = String::from("crossbar power\n");
    for i in 0..m {
        writeln!(s, "V{i} s{i} 0 DC {}", num(v[i])).unwrap();
        writeln!(s, "RD{i} s{i} w{i}_0 {}", num(w.r_source + w.r_wordline)).unwrap();
        for j in 1..n {
            writeln!(s, "RW{i}_{j} w{i}_{} w{i}_{j} {}", j - 1, num(w.r_wordline)).unwrap();
        }
        for j in 0..n {
            writeln!(s, "RC{i}_{j} w{i}_{j} b{i}_{j} {}", num(1.0 / g[(i, j)])).unwrap();
        }
    }
    for j in 0..n {
        for i in 1..m {
            writeln!(s, "RB{i}_{j} b{}_{j} b{i}_{j} {}", i - 1, num(w.r_bitline)).unwrap();
        }
        writeln!(
            s,
            "RS{j} b{}_{j} o{j} {}",
            m - 1,
            num(w.r_bitline + w.r_sense)
        )
        .unwrap();
        writeln!(s, "VS{j} o{j} 0 DC 0").unwrap();
    }
    s.push_str(".control\nset numdgt=17\nset wr_singlescale\nset wr_vecnames\nop\nwrdata op.txt all\nquit\n.endc\n.end\n");
    s
}

#[test]
fn array_power_matches_ngspice_op_with_ir_drop() {
    let cases = [
        (6, 5, Wires::new(2.5, 3.0, 40.0, 25.0).unwrap(), 0.2),
        (16, 12, Wires::new(10.0, 10.0, 100.0, 50.0).unwrap(), 0.3),
        (24, 24, Wires::new(25.0, 20.0, 5.0, 5.0).unwrap(), 0.5),
    ];
    for (k, &(m, n, wires, v_read)) in cases.iter().enumerate() {
        // Conductances 5–100 µS in a fixed pattern; inputs: some rows off.
        let g = DMatrix::from_fn(m, n, |i, j| {
            5e-6 + 95e-6 * (((7 * i + 3 * j + k) % 11) as f64 / 10.0)
        });
        let v: Vec<f64> = (0..m)
            .map(|i| {
                if i % 3 == 1 {
                    0.0
                } else {
                    v_read * (1.0 + (i % 4) as f64) / 4.0
                }
            })
            .collect();
        let Some(dir) = run(&array_deck(&g, &wires, &v)) else {
            return;
        };
        let spice = read_vectors(&dir.path().join("op.txt"));
        let p_spice: f64 = (0..m).map(|i| -v[i] * spice[&format!("v{i}#branch")]).sum();

        let xbar = Crossbar::new(g.clone(), wires).unwrap();
        let nodes = ExactSolver::new(&xbar).unwrap().node_voltages(&v).unwrap();
        let ours = ArrayPower::of_solution(&xbar, &nodes, &v);
        let y = InputAdmittance::new(&xbar, Solver::Exact).unwrap();
        // The cells' power from ngspice's node voltages, independently.
        let cells_spice: f64 = (0..m)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| {
                let d = spice[&format!("w{i}_{j}")] - spice[&format!("b{i}_{j}")];
                g[(i, j)] * d * d
            })
            .sum();
        let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
        eprintln!(
            "case {k}: ngspice {p_spice:.12e} W; sources {:.3e}, elements {:.3e}, VᵀYV {:.3e}, cells {:.3e} rel. error",
            rel(ours.sources_w, p_spice),
            rel(ours.total_w(), p_spice),
            rel(y.power_w(&v), p_spice),
            rel(ours.cells_w, cells_spice)
        );
        for (what, got) in [
            ("sources", ours.sources_w),
            ("elements", ours.total_w()),
            ("VᵀYV", y.power_w(&v)),
        ] {
            assert!(
                rel(got, p_spice) < 1e-9,
                "case {k} {what}: {got:e} vs ngspice {p_spice:e}"
            );
        }
        assert!(rel(ours.cells_w, cells_spice) < 1e-9, "case {k} cells");
        // The wires matter here: IR drop takes a visible share, so an
        // accounting that dropped them would fail the check above.
        let wires_w = ours.wordline_w + ours.bitline_w + ours.driver_w + ours.sense_w;
        assert!(
            wires_w > 1e-5 * p_spice,
            "case {k}: wires {wires_w:e} of {p_spice:e}"
        );
    }
}

#[test]
fn line_settling_matches_ngspice_tran_within_ten_percent() {
    // (segments, r per segment, c per segment, driver, load)
    let cases = [
        (32, 1.28, 12.8e-18, 0.0, 0.0),
        (128, 1.28, 12.8e-18, 200.0, 0.0),
        (256, 5.0, 20e-18, 1000.0, 2e-15),
        (512, 2.0, 12.8e-18, 50.0, 0.5e-15),
    ];
    for (k, &(n, r, c, rd, cl)) in cases.iter().enumerate() {
        let line = RcLine {
            segments: n,
            r_segment_ohm: r,
            c_segment_f: c,
            r_driver_ohm: rd,
            c_load_f: cl,
        };
        let t_model = line.settling_time_s();
        let mut s = String::from("rc line\n");
        let t_rise = t_model * 1e-4;
        writeln!(s, "V1 in 0 PWL(0 0 {} 1)", num(t_rise)).unwrap();
        // A zero driver resistance is a tiny one (ngspice needs an element).
        writeln!(s, "RD in n0 {}", num(rd.max(1e-6))).unwrap();
        for i in 1..=n {
            writeln!(s, "R{i} n{} n{i} {}", i - 1, num(r)).unwrap();
            writeln!(s, "C{i} n{i} 0 {}", num(c)).unwrap();
        }
        if cl > 0.0 {
            writeln!(s, "CL n{n} 0 {}", num(cl)).unwrap();
        }
        let t_stop = 4.0 * t_model;
        writeln!(
            s,
            ".tran {} {} 0 {}",
            num(t_model / 2000.0),
            num(t_stop),
            num(t_model / 2000.0)
        )
        .unwrap();
        writeln!(s, ".control\nset numdgt=17\nrun\nmeas tran t90 when v(n{n})=0.9 rise=1\nlet t90v = t90\nwrdata t90.txt t90v\nquit\n.endc\n.end").unwrap();
        let Some(dir) = run(&s) else {
            return;
        };
        let text = std::fs::read_to_string(dir.path().join("t90.txt")).expect("t90");
        let t_spice: f64 = text
            .split_whitespace()
            .last()
            .and_then(|v| v.parse().ok())
            .expect("a number");
        let t_spice = t_spice - t_rise / 2.0;
        let rel = (t_model - t_spice).abs() / t_spice;
        eprintln!(
            "case {k}: n = {n}, ngspice t90 = {t_spice:.4e} s, Sakurai {t_model:.4e} s, {:.2} %",
            100.0 * rel
        );
        assert!(
            rel < 0.10,
            "case {k}: model {t_model:e} s vs ngspice {t_spice:e} s"
        );
    }
}
