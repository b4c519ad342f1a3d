//! SPICE netlists of a programmed array, for checking results with a
//! circuit simulator (ngspice, Xyce, HSPICE, Spectre).
//!
//! The netlist is the circuit of [`crate::circuit`] element by element:
//! a source `V<i>` per word line, resistors for every wire segment and
//! cell (or a behavioural source `B… I = k*sinh(a*V(…))` per cell for the
//! nonlinear I-V, with `k = g/a`), and a 0 V source `VS<j>` per bit line
//! whose current is the output `I[j]`. Cells of zero conductance are left
//! out (open). Values are written with 17 significant digits. The
//! `.control` block runs `op` and writes `i(vs<j>)` with `wrdata` to the
//! file given, one line per vector pair (ngspice's layout: each value
//! preceded by the scale).

use std::fmt::Write;

use crate::circuit::Crossbar;

/// Netlist of `xbar` driven by `input` (V, length M). With `sinh_a`
/// (1/V) every cell is `I = (g/a)·sinh(a·V)`. `output` is where the
/// `.control` block's `wrdata` writes the currents.
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
    let _ = writeln!(
        s,
        ".options reltol=1e-12 abstol=1e-20 vntol=1e-15 itl1=1000"
    );
    let _ = writeln!(s, ".control\nset numdgt=17\nop");
    let currents: Vec<String> = (0..n).map(|j| format!("i(vs{j})")).collect();
    // ngspice limits line length: write in chunks of 64 vectors per file.
    for (k, chunk) in currents.chunks(64).enumerate() {
        let _ = writeln!(s, "wrdata {output}.{k} {}", chunk.join(" "));
    }
    let _ = writeln!(s, ".endc\n.end");
    s
}

/// The output currents (A) from the text of the `wrdata` files the
/// netlist's `.control` block wrote (`<output>.0`, `<output>.1`, … in
/// order): every second number of each file's line, after its scale.
pub fn parse_currents<S: AsRef<str>>(files: &[S]) -> Option<Vec<f64>> {
    let mut currents = Vec::new();
    for text in files {
        let line = text.as_ref().lines().find(|l| !l.trim().is_empty())?;
        let numbers: Vec<f64> = line
            .split_whitespace()
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        currents.extend(numbers.iter().skip(1).step_by(2));
    }
    Some(currents)
}

/// How many `wrdata` files the netlist of an array with `cols` bit lines
/// writes.
pub fn output_files(cols: usize) -> usize {
    cols.div_ceil(64)
}
