//! Integration tests of `xbarsim solve`: the ideal product against a plain
//! loop, small arrays solved by hand (nodal equations, Cramer's rule), the
//! IR drop of a 32×32 array with every solver, nonlinear (sinh) cells, the
//! output format (17 significant digits, no header, JSON sidecar) and every
//! kind of bad input (exit code 2, one `error: ` line naming the file, line
//! and problem, no output file created or changed).

use std::path::Path;

use tempfile::TempDir;

mod common;
use common::{assert_no_temporaries, fails, sidecar, xbarsim};

/// Runs `xbarsim solve ARGS` in `dir`, expects success with nothing on
/// stdout and one progress line on stderr.
fn solve_ok(dir: &Path, args: &[&str]) {
    let out = xbarsim(dir)
        .arg("solve")
        .args(args)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("solved "), "{stderr}");
}

/// Runs `xbarsim solve ARGS` in `dir`, expects exit code 2 and exactly one
/// stderr line `error: ...`; returns that line.
fn solve_fails(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["solve"];
    all.extend_from_slice(args);
    fails(dir, &all)
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A matrix as CSV text without header, values in shortest round-trip form
/// (the file holds exactly the `f64`s of `rows`).
fn csv(rows: &[Vec<f64>]) -> String {
    let mut text = String::new();
    for row in rows {
        let line: Vec<String> = row.iter().map(|x| format!("{x:e}")).collect();
        text.push_str(&line.join(","));
        text.push('\n');
    }
    text
}

fn filled(rows: usize, cols: usize, value: f64) -> Vec<Vec<f64>> {
    vec![vec![value; cols]; rows]
}

/// Whether `s` is a float written with 17 significant digits in exponent
/// notation: `[-]d.dddddddddddddddde[±]x`.
fn has_17_digits(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let Some((mantissa, exponent)) = body.split_once('e') else {
        return false;
    };
    let Some((int, frac)) = mantissa.split_once('.') else {
        return false;
    };
    let exponent = exponent
        .strip_prefix('-')
        .or_else(|| exponent.strip_prefix('+'))
        .unwrap_or(exponent);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    int.len() == 1 && digits(int) && frac.len() == 16 && digits(frac) && digits(exponent)
}

/// Reads an output file of `solve`: no header, every value with 17
/// significant digits; returns the rows.
fn read_currents(path: &Path) -> Vec<Vec<f64>> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.ends_with('\n'), "{text:?}");
    text.lines()
        .map(|line| {
            line.split(',')
                .map(|field| {
                    assert!(has_17_digits(field), "not 17 digits: {field:?}");
                    let x: f64 = field.parse().unwrap();
                    assert!(x.is_finite(), "{field}");
                    x
                })
                .collect()
        })
        .collect()
}

fn solver_used(path: &Path) -> String {
    sidecar(path)["parameters"]["solver_used"]
        .as_str()
        .unwrap()
        .to_string()
}

/// `|actual - expected| ≤ tol·|expected|`.
fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
    let err = (actual - expected).abs();
    assert!(
        err <= tol * expected.abs(),
        "{what}: {actual:e} vs {expected:e} (relative error {:e})",
        err / expected.abs()
    );
}

/// Two current matrices of the same shape agree to `tol`, relative.
fn assert_all_close(a: &[Vec<f64>], b: &[Vec<f64>], tol: f64, what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: vector count");
    for (k, (ra, rb)) in a.iter().zip(b).enumerate() {
        assert_eq!(ra.len(), rb.len(), "{what}: line {}", k + 1);
        for (j, (x, y)) in ra.iter().zip(rb).enumerate() {
            assert_rel(*x, *y, tol, &format!("{what}: I[{k}][{j}]"));
        }
    }
}

// ------------------------------------------------------------------ ideal

#[test]
fn ideal_product_matches_a_plain_loop_with_17_digits_and_a_sidecar() {
    let dir = TempDir::new().unwrap();
    let (m, n, b) = (3, 4, 5);
    let g: Vec<Vec<f64>> = (0..m)
        .map(|i| {
            (0..n)
                .map(|j| 1e-6 * (1.0 + ((7 * i + 3 * j) % 11) as f64 / 3.0))
                .collect()
        })
        .collect();
    // Row 3 is negative: voltages are signed.
    let v: Vec<Vec<f64>> = (0..b)
        .map(|k| {
            let sign = if k == 2 { -1.0 } else { 1.0 };
            (0..m)
                .map(|i| sign * (0.05 * (k + 1) as f64 + 0.013 * i as f64))
                .collect()
        })
        .collect();
    write(dir.path(), "G.csv", &csv(&g));
    write(dir.path(), "V.csv", &csv(&v));
    solve_ok(
        dir.path(),
        &[
            "--conductances",
            "G.csv",
            "--inputs",
            "V.csv",
            "--output",
            "I.csv",
        ],
    );
    let out = dir.path().join("I.csv");
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), b, "{text}");
    let currents = read_currents(&out);
    assert_eq!(currents.len(), b);
    for (k, row) in currents.iter().enumerate() {
        assert_eq!(row.len(), n, "line {}", k + 1);
        for (j, &current) in row.iter().enumerate() {
            let mut expected = 0.0;
            let mut magnitude = 0.0;
            for i in 0..m {
                expected += v[k][i] * g[i][j];
                magnitude += (v[k][i] * g[i][j]).abs();
            }
            assert!(
                (current - expected).abs() <= 1e-15 * magnitude,
                "I[{k}][{j}] = {current:e}, V·G = {expected:e}"
            );
        }
    }
    assert!(currents[2].iter().all(|&i| i < 0.0));

    let json = sidecar(&out);
    assert_eq!(json["program"], "xbarsim");
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["command"], "solve");
    let p = &json["parameters"];
    assert_eq!(p["solver_used"], "ideal");
    assert_eq!(p["solver_requested"], "auto");
    assert_eq!(p["rows"], m);
    assert_eq!(p["cols"], n);
    assert_eq!(p["vectors"], b);
    for r in [
        "r_wordline_ohm",
        "r_bitline_ohm",
        "r_source_ohm",
        "r_sense_ohm",
    ] {
        assert_eq!(p[r], 0.0, "{r}");
    }
    assert_eq!(p["conductances_file"], "G.csv");
    assert_eq!(p["inputs_file"], "V.csv");
    assert!(p["sinh_a_per_volt"].is_null());

    // Explicit zeros are the default; `--solver ideal` ignores the wires.
    solve_ok(
        dir.path(),
        &[
            "-g",
            "G.csv",
            "-i",
            "V.csv",
            "--r-wordline",
            "0",
            "--r-bitline",
            "0",
            "--r-source",
            "0",
            "--r-sense",
            "0",
            "-o",
            "I0.csv",
        ],
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("I0.csv")).unwrap(),
        text
    );
    solve_ok(
        dir.path(),
        &[
            "-g",
            "G.csv",
            "-i",
            "V.csv",
            "--r-wordline",
            "2.5",
            "--r-bitline",
            "2.5",
            "--solver",
            "ideal",
            "-o",
            "Iw.csv",
        ],
    );
    let wired = dir.path().join("Iw.csv");
    assert_eq!(std::fs::read_to_string(&wired).unwrap(), text);
    assert_eq!(solver_used(&wired), "ideal");
    assert_eq!(sidecar(&wired)["parameters"]["r_wordline_ohm"], 2.5);
    assert_no_temporaries(dir.path());
}

// ---------------------------------------------------------- solved by hand

/// Runs a solve of `g` with `v` and the four resistances, by `solver`.
fn solve_wired(
    dir: &Path,
    g: &[Vec<f64>],
    v: &[Vec<f64>],
    [r_wordline, r_bitline, r_source, r_sense]: [f64; 4],
    solver: &str,
    extra: &[&str],
) -> Vec<Vec<f64>> {
    write(dir, "G.csv", &csv(g));
    write(dir, "V.csv", &csv(v));
    let (rw, rb, rs, rn) = (
        r_wordline.to_string(),
        r_bitline.to_string(),
        r_source.to_string(),
        r_sense.to_string(),
    );
    let mut args = vec![
        "--conductances",
        "G.csv",
        "--inputs",
        "V.csv",
        "--r-wordline",
        &rw,
        "--r-bitline",
        &rb,
        "--r-source",
        &rs,
        "--r-sense",
        &rn,
        "--solver",
        solver,
        "--output",
        "I.csv",
    ];
    args.extend_from_slice(extra);
    solve_ok(dir, &args);
    read_currents(&dir.join("I.csv"))
}

#[test]
fn single_cell_is_a_series_circuit() {
    let dir = TempDir::new().unwrap();
    let g = 1e-5;
    let wires @ [r1, r2, rs, rn] = [2.5, 3.5, 100.0, 50.0];
    let inputs = [0.3, -0.2, 1.0];
    for solver in ["auto", "exact", "transfer"] {
        let currents = solve_wired(
            dir.path(),
            &[vec![g]],
            &inputs.iter().map(|&x| vec![x]).collect::<Vec<_>>(),
            wires,
            solver,
            &[],
        );
        assert_eq!(currents.len(), inputs.len());
        for (row, &v) in currents.iter().zip(&inputs) {
            assert_eq!(row.len(), 1);
            let expected = v / (rs + r1 + 1.0 / g + r2 + rn);
            assert_rel(row[0], expected, 1e-12, solver);
        }
    }
    // Three vectors on one word line: auto takes the transfer matrix.
    assert_eq!(solver_used(&dir.path().join("I.csv")), "transfer");

    // Zero wire resistances next to a driver resistance.
    let currents = solve_wired(
        dir.path(),
        &[vec![g]],
        &[vec![0.3]],
        [0.0, 0.0, 100.0, 0.0],
        "auto",
        &[],
    );
    assert_rel(
        currents[0][0],
        0.3 / (100.0 + 1.0 / g),
        1e-12,
        "r_source only",
    );
    assert_eq!(solver_used(&dir.path().join("I.csv")), "exact");
    let currents = solve_wired(
        dir.path(),
        &[vec![g]],
        &[vec![0.3]],
        [0.0, 0.0, 0.0, 40.0],
        "exact",
        &[],
    );
    assert_rel(
        currents[0][0],
        0.3 / (40.0 + 1.0 / g),
        1e-12,
        "r_sense only",
    );
}

#[test]
fn one_word_line_two_cells_by_cramers_rule() {
    let dir = TempDir::new().unwrap();
    // Large conductances and wires so that the word line matters.
    let (g0, g1) = (1e-3, 2e-3);
    let wires @ [rw, rb, rs, rn] = [200.0, 30.0, 50.0, 20.0];
    let inputs = [0.4, -0.15];
    // Word-line nodes u0 (driven through r_source + r_wordline) and u1
    // (one r_wordline segment further); each cell in series with its bit
    // line (one row: r_bitline + r_sense) to ground.
    let a = 1.0 / (rs + rw);
    let b = 1.0 / rw;
    let c0 = 1.0 / (1.0 / g0 + rb + rn);
    let c1 = 1.0 / (1.0 / g1 + rb + rn);
    // [a+b+c0   -b  ] [u0]   [a·V]
    // [  -b    b+c1 ] [u1] = [ 0 ]
    let det = (a + b + c0) * (b + c1) - b * b;
    for solver in ["auto", "exact", "transfer"] {
        let currents = solve_wired(
            dir.path(),
            &[vec![g0, g1]],
            &inputs.iter().map(|&x| vec![x]).collect::<Vec<_>>(),
            wires,
            solver,
            &[],
        );
        assert_eq!(currents.len(), inputs.len());
        for (row, &v) in currents.iter().zip(&inputs) {
            assert_eq!(row.len(), 2);
            let u0 = a * v * (b + c1) / det;
            let u1 = b * a * v / det;
            assert_rel(row[0], c0 * u0, 1e-12, &format!("{solver} I0"));
            assert_rel(row[1], c1 * u1, 1e-12, &format!("{solver} I1"));
            // The far cell sees less voltage: with twice the conductance it
            // carries less than twice the current.
            assert!(row[1].abs() < 2.0 * row[0].abs());
        }
    }
}

/// `--node-voltages` writes every cell's word-line and bit-line voltage for
/// the first vector: the 1×2 circuit above, solved by hand.
#[test]
fn node_voltage_map_matches_the_hand_solution() {
    let dir = TempDir::new().unwrap();
    let (g0, g1) = (1e-3, 2e-3);
    let wires @ [rw, rb, rs, rn] = [200.0, 30.0, 50.0, 20.0];
    let v = 0.4;
    let (a, b) = (1.0 / (rs + rw), 1.0 / rw);
    let c0 = 1.0 / (1.0 / g0 + rb + rn);
    let c1 = 1.0 / (1.0 / g1 + rb + rn);
    let det = (a + b + c0) * (b + c1) - b * b;
    let u = [a * v * (b + c1) / det, b * a * v / det];
    let currents = solve_wired(
        dir.path(),
        &[vec![g0, g1]],
        &[vec![v], vec![-1.0]],
        wires,
        "exact",
        &["--node-voltages", "map.csv"],
    );
    let text = std::fs::read_to_string(dir.path().join("map.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("row,col,wordline_V,bitline_V,cell_V,cell_current_A")
    );
    let rows: Vec<Vec<f64>> = lines
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    for (j, (row, c)) in rows.iter().zip([c0, c1]).enumerate() {
        assert_eq!((row[0], row[1]), (0.0, j as f64));
        // The bit-line node carries the cell current through r_bitline + r_sense.
        let current = c * u[j];
        assert_rel(row[2], u[j], 1e-12, "word-line voltage");
        assert_rel(row[3], current * (rb + rn), 1e-12, "bit-line voltage");
        assert_rel(row[4], u[j] - current * (rb + rn), 1e-12, "cell voltage");
        assert_rel(row[5], current, 1e-12, "cell current");
        assert_rel(row[5], currents[0][j], 1e-12, "map vs output current");
    }
    assert!(sidecar(&dir.path().join("map.csv"))["parameters"]["input_vector"] == 0);
    // Nonlinear cells have no map: refused before any work, nothing written.
    let message = solve_fails(
        dir.path(),
        &[
            "-g",
            "G.csv",
            "-i",
            "V.csv",
            "--sinh-a",
            "2",
            "-o",
            "J.csv",
            "--node-voltages",
            "m2.csv",
        ],
    );
    assert!(message.contains("--node-voltages"), "{message}");
    assert!(!dir.path().join("J.csv").exists() && !dir.path().join("m2.csv").exists());
}

#[test]
fn one_bit_line_two_cells_by_cramers_rule() {
    let dir = TempDir::new().unwrap();
    let (g0, g1) = (1e-3, 4e-3);
    let wires @ [rw, rb, rs, rn] = [40.0, 150.0, 60.0, 25.0];
    let (v0, v1) = (0.3, 0.1);
    // Each word line has one cell: V_i through r_source + r_wordline and the
    // cell into bit-line node b_i; b0 –r_bitline– b1 –(r_bitline + r_sense)–
    // ground, the current into ground is the output.
    let k0 = 1.0 / (rs + rw + 1.0 / g0);
    let k1 = 1.0 / (rs + rw + 1.0 / g1);
    let b = 1.0 / rb;
    let e = 1.0 / (rb + rn);
    // [k0+b    -b    ] [b0]   [k0·V0]
    // [ -b   k1+b+e  ] [b1] = [k1·V1]
    let det = (k0 + b) * (k1 + b + e) - b * b;
    let node1 = ((k0 + b) * k1 * v1 + b * k0 * v0) / det;
    let currents = solve_wired(
        dir.path(),
        &[vec![g0], vec![g1]],
        &[vec![v0, v1]],
        wires,
        "auto",
        &[],
    );
    assert_eq!(currents, vec![vec![currents[0][0]]]);
    assert_rel(currents[0][0], e * node1, 1e-12, "bit-line current");
}

// ------------------------------------------------------------------ IR drop

#[test]
fn ir_drop_lowers_every_current_and_all_solvers_agree() {
    let dir = TempDir::new().unwrap();
    let (m, n) = (32, 32);
    write(dir.path(), "G.csv", &csv(&filled(m, n, 1e-4)));
    write(dir.path(), "V40.csv", &csv(&filled(40, m, 0.2)));
    write(dir.path(), "V32.csv", &csv(&filled(32, m, 0.2)));
    write(dir.path(), "V3.csv", &csv(&filled(3, m, 0.2)));
    let run = |inputs: &str, solver: &str, output: &str| {
        solve_ok(
            dir.path(),
            &[
                "--conductances",
                "G.csv",
                "--inputs",
                inputs,
                "--r-wordline",
                "2.5",
                "--r-bitline",
                "2.5",
                "--solver",
                solver,
                "--output",
                output,
            ],
        );
        let path = dir.path().join(output);
        (read_currents(&path), solver_used(&path))
    };
    let ideal_column = m as f64 * 0.2 * 1e-4;
    let (exact, used) = run("V40.csv", "exact", "exact.csv");
    assert_eq!(used, "exact");
    assert_eq!(exact.len(), 40);
    for row in &exact {
        assert_eq!(row.len(), n);
        assert!(row.iter().all(|&i| i > 0.0 && i < ideal_column), "{row:?}");
        let total: f64 = row.iter().sum();
        let ideal_total = n as f64 * ideal_column;
        assert!(
            total > 0.5 * ideal_total && total < ideal_total,
            "total {total:e} of ideal {ideal_total:e}"
        );
        // The column farthest from the drivers sees the most word-line drop.
        assert!(row[n - 1] < row[0], "{row:?}");
    }
    let (transfer, used) = run("V40.csv", "transfer", "transfer.csv");
    assert_eq!(used, "transfer");
    assert_all_close(&transfer, &exact, 1e-12, "transfer vs exact");
    let (auto, used) = run("V40.csv", "auto", "auto40.csv");
    assert_eq!(used, "transfer", "B = 40 > M = 32");
    assert_all_close(&auto, &exact, 1e-12, "auto (B = 40) vs exact");
    let (auto, used) = run("V32.csv", "auto", "auto32.csv");
    assert_eq!(used, "exact", "B = 32 = M");
    assert_all_close(&auto, &exact[..32], 1e-12, "auto (B = 32) vs exact");
    let (auto, used) = run("V3.csv", "auto", "auto3.csv");
    assert_eq!(used, "exact", "B = 3 < M = 32");
    assert_all_close(&auto, &exact[..3], 1e-12, "auto (B = 3) vs exact");
    let (transfer3, _) = run("V3.csv", "transfer", "transfer3.csv");
    assert_all_close(&transfer3, &exact[..3], 1e-12, "transfer (B = 3) vs exact");
    assert_eq!(
        sidecar(&dir.path().join("auto3.csv"))["parameters"]["vectors"],
        3
    );
    assert_no_temporaries(dir.path());
}

// ---------------------------------------------------------------- nonlinear

#[test]
fn sinh_cells_conduct_more_than_linear_ones() {
    let dir = TempDir::new().unwrap();
    let m = 8;
    write(dir.path(), "G.csv", &csv(&filled(m, 6, 1e-4)));
    write(
        dir.path(),
        "V.csv",
        &csv(&[vec![0.2; m], vec![0.01; m], vec![0.5; m]]),
    );
    let run = |extra: &[&str], output: &str| {
        let mut args = vec![
            "-g",
            "G.csv",
            "-i",
            "V.csv",
            "--r-wordline",
            "2.5",
            "--r-bitline",
            "2.5",
            "-o",
            output,
        ];
        args.extend_from_slice(extra);
        solve_ok(dir.path(), &args);
        read_currents(&dir.path().join(output))
    };
    let linear = run(&["--solver", "exact"], "linear.csv");
    let sinh = run(&["--sinh-a", "5"], "sinh.csv");
    let path = dir.path().join("sinh.csv");
    assert_eq!(solver_used(&path), "nonlinear");
    assert_eq!(sidecar(&path)["parameters"]["sinh_a_per_volt"], 5.0);
    for (k, (nl, lin)) in sinh.iter().zip(&linear).enumerate() {
        for (j, (&i_nl, &i_lin)) in nl.iter().zip(lin).enumerate() {
            assert!(i_nl > i_lin, "vector {k} column {j}: {i_nl:e} ≤ {i_lin:e}");
        }
    }
    // 0.01 V: sinh(0.05)/0.05 ≈ 1.0004.
    for (&i_nl, &i_lin) in sinh[1].iter().zip(&linear[1]) {
        assert!(i_nl < 1.03 * i_lin, "{i_nl:e} vs {i_lin:e}");
    }
    // 0.2 V: well above linear (sinh(1)/1 ≈ 1.18 at the full voltage).
    for (&i_nl, &i_lin) in sinh[0].iter().zip(&linear[0]) {
        assert!(i_nl > 1.05 * i_lin, "{i_nl:e} vs {i_lin:e}");
    }
    let exact = run(&["--sinh-a", "5", "--solver", "exact"], "sinh_exact.csv");
    assert_all_close(&exact, &sinh, 1e-12, "sinh exact vs auto");
}

#[test]
fn sinh_single_cell_matches_a_scalar_solve() {
    let dir = TempDir::new().unwrap();
    let (g, a, v) = (1e-4, 4.0, 0.6);
    let r_total = 100.0 + 10.0 + 10.0 + 30.0;
    // I = (g/A)·sinh(A·(V − I·R)): bisection on I in (0, V/R).
    let (mut lo, mut hi) = (0.0_f64, v / r_total);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        let cell = (g / a) * (a * (v - mid * r_total)).sinh();
        if cell > mid {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let currents = solve_wired(
        dir.path(),
        &[vec![g]],
        &[vec![v]],
        [10.0, 10.0, 100.0, 30.0],
        "auto",
        &["--sinh-a", "4"],
    );
    assert_rel(currents[0][0], 0.5 * (lo + hi), 1e-10, "sinh series cell");
    assert!(currents[0][0] > v / (r_total + 1.0 / g));
}

#[test]
fn sinh_needs_the_nodal_solver() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "G.csv", "1e-4,1e-4\n1e-4,1e-4\n");
    write(dir.path(), "V.csv", "0.1,0.2\n");
    for solver in ["ideal", "transfer"] {
        let message = solve_fails(
            dir.path(),
            &[
                "-g",
                "G.csv",
                "-i",
                "V.csv",
                "--r-wordline",
                "1",
                "--sinh-a",
                "5",
                "--solver",
                solver,
                "-o",
                "I.csv",
            ],
        );
        assert!(
            message.contains("--sinh-a") && message.contains(solver),
            "{message}"
        );
        assert!(message.contains("auto or exact"), "{message}");
    }
    for bad in ["0", "-1", "nan", "x"] {
        let message = solve_fails(
            dir.path(),
            &["-g", "G.csv", "-i", "V.csv", "--sinh-a", bad, "-o", "I.csv"],
        );
        assert!(
            message.contains("--sinh-a") && message.contains(&format!("`{bad}`")),
            "{message}"
        );
    }
    assert!(!dir.path().join("I.csv").exists());
    assert!(!dir.path().join("I.csv.json").exists());
    assert_no_temporaries(dir.path());
}

// ---------------------------------------------------------------- bad input

/// Writes `g` and `v` (when given) as G.csv and V.csv in a fresh directory,
/// runs `solve` with `extra` flags, expects the error, checks that no output
/// (nor sidecar, nor temporary) was created; returns the message.
fn bad_input(g: Option<&str>, v: Option<&str>, extra: &[&str]) -> String {
    let dir = TempDir::new().unwrap();
    if let Some(g) = g {
        write(dir.path(), "G.csv", g);
    }
    if let Some(v) = v {
        write(dir.path(), "V.csv", v);
    }
    let mut args = vec!["-g", "G.csv", "-i", "V.csv", "-o", "I.csv"];
    args.extend_from_slice(extra);
    let message = solve_fails(dir.path(), &args);
    assert!(!dir.path().join("I.csv").exists(), "{message}");
    assert!(!dir.path().join("I.csv.json").exists(), "{message}");
    assert_no_temporaries(dir.path());
    message
}

const V2: &str = "0.1,0.2\n";

#[test]
fn ragged_conductance_rows() {
    let message = bad_input(Some("1e-6,2e-6\n3e-6\n"), Some(V2), &[]);
    assert!(message.starts_with("error: G.csv:2: "), "{message}");
    assert!(
        message.contains("1 value,") && message.contains("line 1 has 2"),
        "{message}"
    );
    let message = bad_input(Some("1e-6,2e-6\n3e-6,4e-6,5e-6\n"), Some(V2), &[]);
    assert!(message.starts_with("error: G.csv:2: "), "{message}");
    assert!(
        message.contains("3 values") && message.contains("line 1 has 2"),
        "{message}"
    );
}

#[test]
fn conductance_that_is_not_a_number() {
    let message = bad_input(Some("1e-6,2e-6\n3e-6,abc\n"), Some(V2), &[]);
    assert!(message.starts_with("error: G.csv:2: "), "{message}");
    assert!(
        message.contains("value 2 `abc` is not a number") && message.contains("conductances"),
        "{message}"
    );
    let message = bad_input(Some("1e-6,2e-6\n3e-6,\n"), Some(V2), &[]);
    assert!(
        message.starts_with("error: G.csv:2: ") && message.contains("value 2 is empty"),
        "{message}"
    );
}

#[test]
fn negative_conductance() {
    let message = bad_input(Some("1e-6,-2e-6\n3e-6,4e-6\n"), Some(V2), &[]);
    assert!(message.starts_with("error: G.csv:1: "), "{message}");
    assert!(
        message.contains("value 2") && message.contains("-2e-6") && message.contains("≥ 0"),
        "{message}"
    );
}

#[test]
fn non_finite_conductance() {
    for (g, line, position, item) in [
        ("nan,1e-6\n1e-6,1e-6\n", 1, 1, "nan"),
        ("1e-6,1e-6\n1e-6,inf\n", 2, 2, "inf"),
        ("1e-6,1e-6\n-inf,1e-6\n", 2, 1, "-inf"),
        ("1e-6,NaN\n1e-6,1e-6\n", 1, 2, "NaN"),
    ] {
        let message = bad_input(Some(g), Some(V2), &[]);
        assert!(
            message.starts_with(&format!("error: G.csv:{line}: value {position} ")),
            "{message}"
        );
        assert!(
            message.contains(&format!("`{item}`")) && message.contains("finite"),
            "{message}"
        );
    }
}

#[test]
fn empty_conductance_file() {
    for g in ["", "\n\n  \n"] {
        let message = bad_input(Some(g), Some(V2), &[]);
        assert!(message.starts_with("error: G.csv: "), "{message}");
        assert!(message.contains("no data"), "{message}");
    }
}

#[test]
fn missing_files() {
    let message = bad_input(None, Some(V2), &[]);
    assert!(
        message.contains("cannot read `G.csv`") && message.contains("No such file"),
        "{message}"
    );
    let message = bad_input(Some("1e-6\n2e-6\n"), None, &[]);
    assert!(
        message.contains("cannot read `V.csv`") && message.contains("No such file"),
        "{message}"
    );
}

#[test]
fn input_width_must_match_the_word_lines() {
    // 2 word lines, 3 voltages per vector.
    let message = bad_input(
        Some("1e-6,2e-6,3e-6\n4e-6,5e-6,6e-6\n"),
        Some("0.1,0.2,0.3\n"),
        &[],
    );
    assert!(message.starts_with("error: V.csv:1: "), "{message}");
    assert!(
        message.contains("3 voltages") && message.contains("has 2 rows"),
        "{message}"
    );
    assert!(message.contains("G.csv"), "{message}");
    // 2 word lines, 1 voltage per vector.
    let message = bad_input(Some("1e-6,2e-6\n4e-6,5e-6\n"), Some("0.1\n0.2\n"), &[]);
    assert!(
        message.contains("1 voltage per line") && message.contains("has 2 rows"),
        "{message}"
    );
    // The line named is the first line with data, after blank lines.
    let message = bad_input(
        Some("1e-6,2e-6\n4e-6,5e-6\n"),
        Some("\n\n0.1,0.2,0.3\n"),
        &[],
    );
    assert!(
        message.starts_with("error: V.csv:3: 3 voltages"),
        "{message}"
    );
}

/// A sidecar path that cannot be written fails the run before anything is
/// replaced: an existing output stays as it was.
#[test]
fn unwritable_sidecar_leaves_the_existing_output() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "G.csv", "1e-6,2e-6\n3e-6,4e-6\n");
    write(dir.path(), "V.csv", V2);
    write(dir.path(), "I.csv", "old currents\n");
    std::fs::create_dir(dir.path().join("I.csv.json")).unwrap();
    let message = solve_fails(dir.path(), &["-g", "G.csv", "-i", "V.csv", "-o", "I.csv"]);
    assert!(
        message.contains("I.csv.json") && message.contains("directory"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("I.csv")).unwrap(),
        "old currents\n"
    );
    assert_no_temporaries(dir.path());
}

#[test]
fn voltage_that_is_not_a_number() {
    let g = "1e-6,2e-6\n4e-6,5e-6\n";
    let message = bad_input(Some(g), Some("0.1,0.2\n0.3,volts\n"), &[]);
    assert!(message.starts_with("error: V.csv:2: "), "{message}");
    assert!(
        message.contains("value 2 `volts` is not a number") && message.contains("voltages"),
        "{message}"
    );
    let message = bad_input(Some(g), Some("nan,0.2\n"), &[]);
    assert!(
        message.starts_with("error: V.csv:1: value 1 ") && message.contains("`nan`"),
        "{message}"
    );
    let message = bad_input(Some(g), Some("0.1,0.2\n0.3\n"), &[]);
    assert!(
        message.starts_with("error: V.csv:2: ") && message.contains("line 1 has 2"),
        "{message}"
    );
}

#[test]
fn bad_resistances_are_flag_errors() {
    let g = "1e-6,2e-6\n4e-6,5e-6\n";
    for (flag, value) in [
        ("--r-wordline", "-1"),
        ("--r-bitline", "nan"),
        ("--r-source", "inf"),
        ("--r-sense", "-0.5"),
        ("--r-wordline", "ohms"),
    ] {
        let message = bad_input(Some(g), Some(V2), &[flag, value]);
        assert!(
            message.contains(&format!("'{value}'"))
                && message.contains(flag)
                && message.contains("resistance ≥ 0"),
            "{message}"
        );
    }
}

#[test]
fn unknown_solver_lists_the_valid_ones() {
    let message = bad_input(Some("1e-6\n"), Some("0.1\n"), &["--solver", "fast"]);
    assert!(
        message.contains("--solver") && message.contains("fast"),
        "{message}"
    );
    assert!(
        message.contains("auto, ideal, exact, transfer"),
        "{message}"
    );
}

#[test]
fn unwritable_output() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "G.csv", "1e-6\n");
    write(dir.path(), "V.csv", "0.1\n");
    let message = solve_fails(
        dir.path(),
        &["-g", "G.csv", "-i", "V.csv", "-o", "missing/I.csv"],
    );
    assert!(
        message.contains("missing/I.csv") && message.contains("does not exist"),
        "{message}"
    );
    assert!(!dir.path().join("missing").exists());

    std::fs::create_dir(dir.path().join("out")).unwrap();
    let message = solve_fails(dir.path(), &["-g", "G.csv", "-i", "V.csv", "-o", "out"]);
    assert!(
        message.contains("`out`") && message.contains("is a directory"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        0
    );
    assert!(!dir.path().join("out.json").exists());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["G.csv", "V.csv", "out"]);
}

#[test]
fn failed_run_leaves_an_existing_output_untouched() {
    let dir = TempDir::new().unwrap();
    let old_csv = "old currents\n";
    let old_json = "{\"old\": true}\n";
    write(dir.path(), "I.csv", old_csv);
    write(dir.path(), "I.csv.json", old_json);
    let cases: [(&str, &str, &[&str]); 5] = [
        ("1e-6,2e-6\n3e-6,abc\n", V2, &[]),
        ("1e-6,2e-6\n3e-6\n", V2, &[]),
        ("1e-6,2e-6\n3e-6,4e-6\n", "0.1,0.2,0.3\n", &[]),
        ("1e-6,2e-6\n3e-6,4e-6\n", V2, &["--r-wordline", "-1"]),
        (
            "1e-6,2e-6\n3e-6,4e-6\n",
            V2,
            &["--sinh-a", "5", "--solver", "ideal"],
        ),
    ];
    for (g, v, extra) in cases {
        write(dir.path(), "G.csv", g);
        write(dir.path(), "V.csv", v);
        let mut args = vec!["-g", "G.csv", "-i", "V.csv", "-o", "I.csv"];
        args.extend_from_slice(extra);
        let message = solve_fails(dir.path(), &args);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("I.csv")).unwrap(),
            old_csv,
            "{message}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("I.csv.json")).unwrap(),
            old_json,
            "{message}"
        );
    }
    assert_no_temporaries(dir.path());
    // A good run replaces both.
    write(dir.path(), "G.csv", "1e-6,2e-6\n3e-6,4e-6\n");
    write(dir.path(), "V.csv", V2);
    solve_ok(dir.path(), &["-g", "G.csv", "-i", "V.csv", "-o", "I.csv"]);
    assert_all_close(
        &read_currents(&dir.path().join("I.csv")),
        &[vec![0.1 * 1e-6 + 0.2 * 3e-6, 0.1 * 2e-6 + 0.2 * 4e-6]],
        1e-15,
        "replaced output",
    );
    assert_eq!(solver_used(&dir.path().join("I.csv")), "ideal");
}

// ------------------------------------------------------------- lenient CSV

#[test]
fn blank_lines_and_spaces_around_values_are_accepted() {
    let dir = TempDir::new().unwrap();
    // One word line, two bit lines; CRLF, tabs, blank lines anywhere.
    write(dir.path(), "G.csv", "1e-6, 2e-6\n\n");
    write(dir.path(), "V.csv", "\n 0.5 \n\n\t-0.25\r\n\r\n\n");
    solve_ok(
        dir.path(),
        &[
            "--conductances",
            "G.csv",
            "--inputs",
            "V.csv",
            "--output",
            "I.csv",
        ],
    );
    let currents = read_currents(&dir.path().join("I.csv"));
    assert_all_close(
        &currents,
        &[
            vec![0.5 * 1e-6, 0.5 * 2e-6],
            vec![-0.25 * 1e-6, -0.25 * 2e-6],
        ],
        1e-15,
        "lenient CSV",
    );
    let p = &sidecar(&dir.path().join("I.csv"))["parameters"];
    assert_eq!((p["rows"].clone(), p["cols"].clone()), (1.into(), 2.into()));
    assert_eq!(p["vectors"], 2);

    write(dir.path(), "G.csv", "  1e-6 ,2e-6  \r\n\r\n");
    solve_ok(dir.path(), &["-g", "G.csv", "-i", "V.csv", "-o", "I2.csv"]);
    assert_eq!(read_currents(&dir.path().join("I2.csv")), currents);
}
