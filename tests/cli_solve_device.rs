//! A device's cell I-V (`[iv]`, what `device fit --iv` writes): `xbarsim
//! solve --device` solves with it, the same currents as the crossbar crate
//! solving that sinh I-V directly; it refuses a disagreeing `--sinh-a` or a
//! method that cannot solve nonlinear cells; `evaluate` and `cost` read
//! networks through the I-V and the access device (energy and accuracy
//! follow the cell), and so does in-situ training; NeuroSim's protocol,
//! whose reference code reads a linear cell, refuses one at `device.iv`
//! (exit 2) instead of dropping its I-V. A device's access device
//! (`[access]`) is solved with it, its convergence recorded and shown by
//! `device show`.

use std::path::Path;

use nalgebra::DMatrix;
use tempfile::TempDir;
use xbar_crossbar::{Crossbar, NewtonOptions, Wires};
use xbar_devices::{AccessSpec, Cell, IvSpec};

mod common;
use common::{fails, sidecar, write, xbarsim};

/// A device file whose cells follow `I = (g/a)·sinh(a·V)`.
fn sinh_device(a: f64) -> String {
    format!(
        "name = \"measured\"\ng_min = 1e-6\ng_max = 1e-4\n\n[iv]\nmodel = \"sinh\"\na_per_volt = {a:?}\n"
    )
}

/// An 4×3 conductance matrix and 3 input vectors, as CSV files in `dir`;
/// returns them as matrices.
fn problem(dir: &Path) -> (DMatrix<f64>, DMatrix<f64>) {
    let g = DMatrix::from_fn(4, 3, |i, j| 1e-5 * (1.0 + ((2 * i + 3 * j) % 5) as f64));
    let v = DMatrix::from_fn(3, 4, |b, i| 0.05 * (1.0 + ((b + 2 * i) % 4) as f64));
    let text = |m: &DMatrix<f64>| {
        let mut s = String::new();
        for r in 0..m.nrows() {
            let line: Vec<String> = m.row(r).iter().map(|x| format!("{x:e}")).collect();
            s += &line.join(",");
            s.push('\n');
        }
        s
    };
    write(dir, "G.csv", &text(&g));
    write(dir, "V.csv", &text(&v));
    (g, v)
}

fn read_matrix(path: &Path) -> Vec<Vec<f64>> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| l.split(',').map(|x| x.parse().unwrap()).collect())
        .collect()
}

const WIRED: &[&str] = &[
    "-g",
    "G.csv",
    "-i",
    "V.csv",
    "--r-wordline",
    "2",
    "--r-bitline",
    "3",
];

fn solve(dir: &Path, extra: &[&str], output: &str) -> Vec<Vec<f64>> {
    xbarsim(dir)
        .arg("solve")
        .args(WIRED)
        .args(extra)
        .args(["-o", output])
        .assert()
        .success();
    read_matrix(&dir.join(output))
}

#[test]
fn a_device_s_sinh_iv_gives_the_crossbar_s_sinh_currents() {
    let dir = TempDir::new().unwrap();
    let (g, v) = problem(dir.path());
    write(dir.path(), "dev.toml", &sinh_device(4.0));
    let by_device = solve(dir.path(), &["--device", "dev.toml"], "I.csv");
    let xbar = Crossbar::new(g.clone(), Wires::new(2.0, 3.0, 0.0, 0.0).unwrap()).unwrap();
    let direct = xbar
        .solve_nonlinear(
            &v,
            &IvSpec::Sinh { a_per_volt: 4.0 },
            &NewtonOptions::default(),
        )
        .unwrap();
    for (b, row) in by_device.iter().enumerate() {
        for (j, i) in row.iter().enumerate() {
            let want = direct[(b, j)];
            assert!(
                (i - want).abs() <= 1e-12 * want.abs(),
                "I[{b}][{j}] {i:e} vs {want:e}"
            );
        }
    }
    let p = &sidecar(&dir.path().join("I.csv"))["parameters"];
    assert_eq!(p["solver_used"], "nonlinear");
    assert_eq!(p["sinh_a_per_volt"], 4.0);
    assert_eq!(p["device"], "file:dev.toml");
    // The device's I-V, not the ohmic one: sinh cells conduct more.
    let linear = solve(dir.path(), &[], "linear.csv");
    assert!(by_device[0][0] > linear[0][0] * (1.0 + 1e-6));
    // The same --sinh-a agrees with it and changes nothing.
    let both = solve(
        dir.path(),
        &["--device", "dev.toml", "--sinh-a", "4"],
        "both.csv",
    );
    assert_eq!(both, by_device);
    // An ohmic device leaves the cells linear, and --sinh-a applies.
    let ideal = solve(dir.path(), &["--device", "ideal"], "ideal.csv");
    assert_eq!(ideal, linear);
    let flag = solve(
        dir.path(),
        &["--device", "ideal", "--sinh-a", "4"],
        "flag.csv",
    );
    assert_eq!(flag, by_device);
}

#[test]
fn a_disagreeing_sinh_a_or_a_linear_method_is_refused() {
    let dir = TempDir::new().unwrap();
    problem(dir.path());
    write(dir.path(), "dev.toml", &sinh_device(4.0));
    let run = |extra: &[&str]| {
        let mut args = vec!["solve"];
        args.extend_from_slice(WIRED);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", "I.csv"]);
        fails(dir.path(), &args)
    };
    let e = run(&["--device", "dev.toml", "--sinh-a", "3"]);
    assert!(
        e.contains("--sinh-a") && e.contains("--device dev.toml"),
        "{e}"
    );
    assert!(
        e.contains("a_per_volt = 4") && e.contains("a_per_volt = 3"),
        "{e}"
    );
    for solver in ["ideal", "transfer"] {
        let e = run(&["--device", "dev.toml", "--solver", solver]);
        assert!(e.contains("--device dev.toml (its [iv])"), "{e}");
        assert!(e.contains(&format!("not {solver}")), "{e}");
    }
    let e = run(&["--device", "dev.toml", "--node-voltages", "map.csv"]);
    assert!(e.contains("--node-voltages is for linear cells"), "{e}");
    assert!(e.contains("--device dev.toml"), "{e}");
    assert!(!dir.path().join("I.csv").exists());
}

#[test]
fn evaluate_and_cost_read_through_the_cell() {
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    common::train_tiny(d, "m.safetensors", &[]);
    let device = |name: &str, sections: &str| {
        write(
            d,
            name,
            &format!("name = \"{name}\"\ng_min = 1e-6\ng_max = 1e-4\n{sections}"),
        );
    };
    device("ohmic.toml", "");
    device("sinh.toml", "\n[iv]\nmodel = \"sinh\"\na_per_volt = 12.0\n");
    device(
        "resistor.toml",
        "\n[access]\nmodel = \"resistor\"\nr_ohm = 20000.0\n",
    );
    device(
        "1t1r.toml",
        "\n[iv]\nmodel = \"sinh\"\na_per_volt = 12.0\n\n[access]\nmodel = \"nmos-level1\"\nkp_A_per_V2 = 2e-5\nvto_V = 0.45\nlambda_per_V = 0.06\ngate_V = 0.9\n",
    );
    let cost = |dev: &str| {
        let out = format!("{dev}.csv");
        common::ok(
            d,
            &[
                "cost",
                "--model",
                "m.safetensors",
                "--device",
                &format!("{dev}.toml"),
                "--test-limit",
                "40",
                "--read-voltage",
                "0.3",
                "--output",
                &out,
            ],
        );
        let text = std::fs::read_to_string(d.join(&out)).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let row: Vec<String> = lines
            .next()
            .unwrap()
            .split(',')
            .map(str::to_string)
            .collect();
        let col = |name: &str| {
            row[header.iter().position(|h| *h == name).unwrap()]
                .parse::<f64>()
                .unwrap()
        };
        (col("accuracy_pct"), col("array_energy_J"))
    };
    let (ohmic_acc, ohmic_j) = cost("ohmic");
    let (sinh_acc, sinh_j) = cost("sinh");
    let (resistor_acc, resistor_j) = cost("resistor");
    let (one_t_acc, one_t_j) = cost("1t1r");
    // sinh(12·0.3)/(12·0.3) = 5.0 at full input: every cell conducts more.
    assert!(sinh_j > 1.5 * ohmic_j, "{sinh_j} vs {ohmic_j}");
    // 20 kΩ in series with ≤ 100 µS: at most 1/(1 + 2) of the current.
    assert!(resistor_j < 0.99 * ohmic_j && resistor_j > 0.3 * ohmic_j);
    // A weak transistor (R_on = 1/(β·V_ov) ≈ 111 kΩ) in series.
    assert!(one_t_j < resistor_j, "{one_t_j} vs {resistor_j}");
    for acc in [ohmic_acc, sinh_acc, resistor_acc, one_t_acc] {
        assert!((0.0..=100.0).contains(&acc));
    }
    // The same model, seed and data: only the cell changed the reads.
    assert_ne!(sinh_acc, ohmic_acc);
}

/// A config of `kind` on an inline device with an `[iv]` section and a
/// pulse model.
fn config_with_iv(kind: &str, extra: &str) -> String {
    format!(
        "name = \"iv\"\nkind = \"{kind}\"\nseed = 1\ndevice = {{ name = \"m\", g_min = 1e-6, g_max = 1e-4, iv = {{ model = \"sinh\", a_per_volt = 2.0 }}, pulse = {{ model = \"exponential\", pulses_ltp = 20, pulses_ltd = 20, nl_ltp = 1.5, nl_ltd = -2.0, c2c = 0.01 }} }}\n{extra}"
    )
}

#[test]
fn in_situ_training_reads_analogue_inputs_through_the_cell_and_neurosim_refuses_it() {
    let dir = TempDir::new().unwrap();
    // Direct-coded pixels on sinh cells, and on sinh cells behind an NMOS:
    // read through the cells (`xbar_training::insitu`), trained to the end.
    let data = "[data]\ntrain_limit = 200\ntest_limit = 50\n";
    let direct = config_with_iv(
        "insitu-training",
        &format!("[network]\nencoding = \"direct\"\nsizes = [784, 16, 10]\n{data}"),
    );
    let one_t_one_r = direct.replace(
        ", pulse =",
        ", access = { model = \"nmos-level1\", kp_A_per_V2 = 5e-4, vto_V = 0.45, lambda_per_V = 0.06, gate_V = 1.2 }, pulse =",
    );
    for (config, out) in [(&direct, "sinh"), (&one_t_one_r, "1t1r")] {
        write(dir.path(), "c.toml", config);
        xbarsim(dir.path())
            .args(["run", "c.toml", "--out", out])
            .assert()
            .success();
        let table = std::fs::read_to_string(dir.path().join(out).join("results.csv")).unwrap();
        assert_eq!(table.lines().count(), 2, "{out}: {table}");
    }
    // NeuroSim's protocol reads a linear cell, as NeuroSim does.
    let neurosim = config_with_iv("insitu-training", "[insitu]\nprotocol = \"neurosim\"\n");
    write(dir.path(), "c.toml", &neurosim);
    let e = fails(dir.path(), &["run", "c.toml", "--out", "out"]);
    assert!(e.starts_with("error: c.toml:"), "{e}");
    assert!(e.contains("device.iv") && e.contains("NeuroSim"), "{e}");
    assert!(!dir.path().join("out").exists());
}

/// A device file with sinh cells and a level-1 NMOS access transistor.
const ONE_T_ONE_R: &str = "name = \"1t1r\"\ng_min = 1e-6\ng_max = 1e-4\n\n[iv]\nmodel = \"sinh\"\na_per_volt = 4.0\n\n[access]\nmodel = \"nmos-level1\"\nkp_A_per_V2 = 5e-4\nvto_V = 0.45\nlambda_per_V = 0.06\ngate_V = 0.8\n";

const NMOS: AccessSpec = AccessSpec::NmosLevel1 {
    kp_A_per_V2: 5e-4,
    vto_V: 0.45,
    lambda_per_V: 0.06,
    gate_V: 0.8,
};

#[test]
fn a_device_s_access_transistor_gives_the_crossbar_s_currents() {
    let dir = TempDir::new().unwrap();
    let (g, v) = problem(dir.path());
    write(dir.path(), "dev.toml", ONE_T_ONE_R);
    let wired = [
        "--r-source",
        "20",
        "--r-sense",
        "10",
        "--device",
        "dev.toml",
    ];
    let by_device = solve(dir.path(), &wired, "I.csv");
    let xbar = Crossbar::new(g, Wires::new(2.0, 3.0, 20.0, 10.0).unwrap()).unwrap();
    let cell = Cell::of(IvSpec::Sinh { a_per_volt: 4.0 }, NMOS);
    let direct = xbar
        .solve_cells(&v, &cell, &NewtonOptions::default())
        .unwrap();
    for (b, row) in by_device.iter().enumerate() {
        for (j, i) in row.iter().enumerate() {
            let want = direct.currents[(b, j)];
            assert!(
                (i - want).abs() <= 1e-12 * want.abs(),
                "I[{b}][{j}] {i:e} vs {want:e}"
            );
        }
    }
    let p = &sidecar(&dir.path().join("I.csv"))["parameters"];
    assert_eq!(p["solver_used"], "nonlinear");
    assert_eq!(p["access"]["model"], "nmos-level1");
    assert_eq!(p["access"]["gate_V"], 0.8);
    let iterations = p["newton_iterations"].as_u64().unwrap();
    assert!((2..=50).contains(&iterations), "{iterations}");
    assert_eq!(iterations as usize, direct.convergence.iterations);
    let residual = p["kirchhoff_relative_residual"].as_f64().unwrap();
    assert!((0.0..=1e-9).contains(&residual), "{residual}");
    // The transistor limits the current: the sinh cells alone pass more.
    let alone = xbar
        .solve_nonlinear(
            &v,
            &IvSpec::Sinh { a_per_volt: 4.0 },
            &NewtonOptions::default(),
        )
        .unwrap();
    assert!(by_device[0][0] < 0.99 * alone[(0, 0)]);
}

#[test]
fn an_access_solve_that_does_not_converge_or_a_bad_access_section_exits_2() {
    let dir = TempDir::new().unwrap();
    problem(dir.path());
    write(dir.path(), "dev.toml", ONE_T_ONE_R);
    let run = |extra: &[&str]| {
        let mut args = vec!["solve"];
        args.extend_from_slice(WIRED);
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-o", "I.csv"]);
        fails(dir.path(), &args)
    };
    let e = run(&["--device", "dev.toml", "--max-iterations", "1"]);
    assert!(
        e.contains("did not converge") && e.contains("after 1 Newton"),
        "{e}"
    );
    let e = run(&["--device", "dev.toml", "--solver", "transfer"]);
    assert!(e.contains("--device dev.toml (its [access])"), "{e}");
    assert!(e.contains("not transfer"), "{e}");
    let e = run(&["--device", "dev.toml", "--node-voltages", "map.csv"]);
    assert!(e.contains("no access device"), "{e}");
    assert!(!dir.path().join("I.csv").exists());
    // A gate below threshold, located in the file.
    write(
        dir.path(),
        "off.toml",
        &ONE_T_ONE_R.replace("gate_V = 0.8", "gate_V = 0.3"),
    );
    let e = run(&["--device", "off.toml"]);
    assert!(e.contains("off.toml") && e.contains("access.gate_V"), "{e}");
    assert!(e.contains("threshold"), "{e}");
    write(
        dir.path(),
        "typo.toml",
        &ONE_T_ONE_R.replace("kp_A_per_V2", "kp"),
    );
    let e = run(&["--device", "typo.toml"]);
    assert!(e.contains("typo.toml") && e.contains("kp"), "{e}");
}

#[test]
fn device_show_explains_the_access_device() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "dev.toml", ONE_T_ONE_R);
    let text = common::ok(dir.path(), &["device", "show", "dev.toml"]);
    for needle in [
        "Access device",
        "nmos-level1",
        "kp_A_per_V2",
        "A/V²",
        "vto_V",
        "gate_V",
        "R_on",
        "I_sat",
    ] {
        assert!(text.contains(needle), "missing {needle}:\n{text}");
    }
    // And --toml writes it back.
    let toml = common::ok(dir.path(), &["device", "show", "dev.toml", "--toml"]);
    assert!(
        toml.contains("[access]") && toml.contains("model = \"nmos-level1\""),
        "{toml}"
    );
}

/// `current_ratio` and `error_mean_rel` of a `crossbar-ir-drop` run's
/// single row.
fn ir_drop_row(dir: &std::path::Path, config: &str, out: &str) -> (f64, f64) {
    write(dir, "c.toml", config);
    common::ok(dir, &["run", "c.toml", "--out", out, "--quiet"]);
    let table = std::fs::read_to_string(dir.join(out).join("results.csv")).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| -> f64 {
        let k = header.iter().position(|h| *h == name).unwrap();
        row[k].parse().unwrap()
    };
    (column("current_ratio"), column("error_mean_rel"))
}

#[test]
fn crossbar_ir_drop_reads_through_the_cell() {
    let dir = TempDir::new().unwrap();
    // Cells of 99-100 µS behind 5 kΩ, ideal wires: every cell passes
    // g/(1 + g·R) of its ideal current, 1/1.5 to 1/1.495.
    let config = "name = \"a\"\nkind = \"crossbar-ir-drop\"\nseed = 1\ndevice = { name = \"m\", g_min = 0.99e-4, g_max = 1e-4, access = { model = \"resistor\", r_ohm = 5e3 } }\n[array]\nsize = 8\n";
    let (ratio, error) = ir_drop_row(dir.path(), config, "resistor");
    assert!(
        (1.0 / 1.5 - 1e-12..=1.0 / 1.495 + 1e-12).contains(&ratio),
        "{ratio}"
    );
    assert!((error - (1.0 - ratio)).abs() < 3e-3, "{error} vs {ratio}");
    // A 1T1R sinh cell with wires: the cell and the wires together; the
    // transfer matrix, being linear, is refused at array.solver.
    let one_t_one_r = "name = \"a\"\nkind = \"crossbar-ir-drop\"\nseed = 1\ndevice = { name = \"m\", g_min = 1e-6, g_max = 1e-4, iv = { model = \"sinh\", a_per_volt = 4.0 }, access = { model = \"nmos-level1\", kp_A_per_V2 = 5e-4, vto_V = 0.45, lambda_per_V = 0.06, gate_V = 1.2 } }\n[array]\nsize = 16\nr_wire_ohm = 2.0\n";
    let ohmic = one_t_one_r.replace(
        ", iv = { model = \"sinh\", a_per_volt = 4.0 }, access = { model = \"nmos-level1\", kp_A_per_V2 = 5e-4, vto_V = 0.45, lambda_per_V = 0.06, gate_V = 1.2 }",
        "",
    );
    let (wires_ratio, _) = ir_drop_row(dir.path(), &ohmic, "ohmic");
    let (cell_ratio, _) = ir_drop_row(dir.path(), one_t_one_r, "1t1r");
    assert!(wires_ratio < 1.0 && wires_ratio > 0.9, "{wires_ratio}");
    // The transistor's on-resistance (about 3 kΩ) costs far more current
    // than sinh's excess at these voltages adds.
    assert!(
        cell_ratio < wires_ratio - 0.05,
        "{cell_ratio} vs {wires_ratio}"
    );
    write(
        dir.path(),
        "c.toml",
        &format!("{one_t_one_r}solver = \"transfer\"\n"),
    );
    let e = fails(dir.path(), &["run", "c.toml", "--out", "transfer"]);
    assert!(e.contains("array.solver") && e.contains("Newton"), "{e}");
    assert!(!dir.path().join("transfer").exists());
}
