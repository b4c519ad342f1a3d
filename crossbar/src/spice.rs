//! SPICE netlists of a programmed array, for checking results with a
//! circuit simulator (ngspice, Xyce, HSPICE, Spectre).
//!
//! The netlist is the circuit of [`crate::circuit`] element by element:
//! a source `V<i>` per word line, resistors for every wire segment and
//! cell (or a behavioural source `B… I = k*sinh(a*V(…))` per cell for the
//! nonlinear I-V, with `k = g/a`), and a 0 V source `VS<j>` per bit line
//! whose current is the output `I[j]`. Cells of zero conductance are left
//! out (open). Values are written with 17 significant digits. The
//! `.control` block runs `op` and writes every node voltage and branch
//! current with `wrdata` to the file given (a header of names, one line of
//! values); [`parse_currents`] reads the outputs back.

use std::fmt::Write;

use crate::circuit::Crossbar;

/// Netlist of `xbar` driven by `input` (V, length M). With `sinh_a`
/// (1/V) every cell is `I = (g/a)·sinh(a·V)`. `output` is where the
/// `.control` block's `wrdata` writes the results.
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_crossbar::{spice, Crossbar, Wires};
/// let xbar = Crossbar::new(DMatrix::from_element(2, 2, 1e-5), Wires::new(1.0, 1.0, 0.0, 0.0)?)?;
/// let deck = spice::netlist(&xbar, &[0.1, 0.2], None, "currents.txt");
/// assert!(deck.contains("VS1 s1 0 0"));
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
pub fn netlist(xbar: &Crossbar, input: &[f64], sinh_a: Option<f64>, output: &str) -> String {
    let (m, n) = (xbar.rows(), xbar.cols());
    let w = xbar.wires();
    let g = xbar.conductances();
    let mut s = String::with_capacity(m * n * 120);
    let _ = writeln!(s, "* xbarsim crossbar {m}x{n}");
    // Node names: word line w<i>_<j>, bit line b<i>_<j>, source v<i>, sense s<j>.
    let wl = |i: usize, j: usize| {
        if w.r_wordline > 0.0 {
            format!("w{i}_{j}")
        } else if w.r_source > 0.0 {
            format!("w{i}")
        } else {
            format!("v{i}")
        }
    };
    let bl = |i: usize, j: usize| {
        if w.r_bitline > 0.0 {
            format!("b{i}_{j}")
        } else if w.r_sense > 0.0 {
            format!("b{j}")
        } else {
            format!("s{j}")
        }
    };
    for (i, v) in input.iter().enumerate() {
        let _ = writeln!(s, "V{i} v{i} 0 {v:.16e}");
        let r_drive = w.r_source + w.r_wordline;
        if r_drive > 0.0 {
            let _ = writeln!(s, "RD{i} v{i} {} {r_drive:.16e}", wl(i, 0));
        }
        if w.r_wordline > 0.0 {
            for j in 1..n {
                let _ = writeln!(
                    s,
                    "RW{i}_{j} {} {} {:.16e}",
                    wl(i, j - 1),
                    wl(i, j),
                    w.r_wordline
                );
            }
        }
    }
    for j in 0..n {
        if w.r_bitline > 0.0 {
            for i in 1..m {
                let _ = writeln!(
                    s,
                    "RB{i}_{j} {} {} {:.16e}",
                    bl(i - 1, j),
                    bl(i, j),
                    w.r_bitline
                );
            }
        }
        let r_sense = w.r_bitline + w.r_sense;
        if r_sense > 0.0 {
            let _ = writeln!(s, "RS{j} {} s{j} {r_sense:.16e}", bl(m - 1, j));
        }
        let _ = writeln!(s, "VS{j} s{j} 0 0");
    }
    for i in 0..m {
        for j in 0..n {
            let gij = g[(i, j)];
            if gij == 0.0 {
                continue;
            }
            match sinh_a {
                None => {
                    let _ = writeln!(s, "RC{i}_{j} {} {} {:.16e}", wl(i, j), bl(i, j), 1.0 / gij);
                }
                Some(a) => {
                    let (p, q) = (wl(i, j), bl(i, j));
                    let _ = writeln!(
                        s,
                        "BC{i}_{j} {p} {q} I={:.16e}*sinh({a:.16e}*V({p},{q}))",
                        gij / a
                    );
                }
            }
        }
    }
    if sinh_a.is_some() {
        let _ = writeln!(s, ".options reltol=1e-12 abstol=1e-18 vntol=1e-15 itl1=500");
    }
    let _ = writeln!(
        s,
        ".control\nset numdgt=17\nset wr_singlescale\nset wr_vecnames\nop\nwrdata {output} all\nquit"
    );
    let _ = writeln!(s, ".endc\n.end");
    s
}

/// The output currents `I[j]` (A) of an array with `cols` bit lines, from
/// the text of the file the netlist's `wrdata` wrote: the columns
/// `vs<j>#branch` (ngspice counts a source's current from its + terminal,
/// the sense node, to ground: the current into the virtual ground).
/// `None` if a column is missing or a value is not a number.
pub fn parse_currents(wrdata: &str, cols: usize) -> Option<Vec<f64>> {
    let mut lines = wrdata.lines().filter(|l| !l.trim().is_empty());
    let names: Vec<String> = lines
        .next()?
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let values: Vec<f64> = lines
        .next()?
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()?;
    (0..cols)
        .map(|j| {
            let name = format!("vs{j}#branch");
            names
                .iter()
                .position(|n| *n == name)
                .and_then(|k| values.get(k).copied())
        })
        .collect()
}
