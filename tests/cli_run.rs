//! `xbarsim run`, `merge`, `plot` on experiment configs: located config
//! errors that create or damage nothing, resume after a crash, shards that
//! merge into the unsharded table, refusing another config's directory.

mod common;

use std::path::{Path, PathBuf};

use common::{fails, ok, write, xbarsim, SWEEP};
use tempfile::TempDir;

/// Every file under `dir` with its bytes, sorted by path — except the lock
/// file, which names whichever run last took the directory.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if !p.ends_with(".xbarsim-lock") {
                let bytes = std::fs::read(&p).unwrap();
                files.push((p, bytes));
            }
        }
    }
    files.sort();
    files
}

#[test]
fn a_sweep_writes_table_config_run_info_and_figures() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "small.toml", SWEEP);
    let stdout = ok(
        dir.path(),
        &["run", "small.toml", "--out", "out", "--jobs", "2"],
    );
    assert!(
        stdout.contains("6 points × 2 repeats = 12 units"),
        "{stdout}"
    );
    let out = dir.path().join("out");
    let csv = std::fs::read_to_string(out.join("results.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(
        lines.next().unwrap(),
        "point,repeat,seed,array.size,array.r_wire_ohm,rows,cols,error_mean_rel,error_max_rel,current_ratio"
    );
    let rows: Vec<Vec<String>> = lines
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 12);
    // Repeat r uses seed 3 + r at every point; the size reaches the solver.
    for r in &rows {
        let repeat: u64 = r[1].parse().unwrap();
        assert_eq!(r[2], (3 + repeat).to_string());
        assert_eq!(r[3], r[5]);
        let error: f64 = r[7].parse().unwrap();
        assert!(error > 0.0 && error < 0.5, "{r:?}");
    }
    // More wire resistance, more error, at every size and repeat.
    let err = |size: &str, ohm: &str, rep: &str| -> f64 {
        rows.iter()
            .find(|r| r[3] == size && r[4] == ohm && r[1] == rep)
            .unwrap()[7]
            .parse()
            .unwrap()
    };
    for size in ["8", "12", "16"] {
        assert!(err(size, "5.0", "0") > 3.0 * err(size, "1.0", "0"));
    }
    assert!(err("16", "1.0", "1") > err("8", "1.0", "1"));
    assert_eq!(
        std::fs::read_to_string(out.join("config.toml")).unwrap(),
        SWEEP
    );
    let info: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(info["repeat_seeds"], serde_json::json!([3, 4]));
    assert_eq!(info["units"], 12);
    assert!(info["program"].as_str().unwrap().starts_with("xbarsim "));
    assert_eq!(info["config_sha256"].as_str().unwrap().len(), 64);
    assert!(info["machine"]["logical_cpus"].as_u64().unwrap() >= 1);
    let svg = std::fs::read_to_string(out.join("figures/error.svg")).unwrap();
    // Axis titles from the column names, in sentence case.
    assert!(
        svg.contains(">\nSize\n<") && svg.contains("Error mean (relative)"),
        "axis labels"
    );
    assert!(out.join("figures/error.png").exists());
    // Parquet holds the same typed table.
    assert!(
        std::fs::metadata(out.join("results.parquet"))
            .unwrap()
            .len()
            > 100
    );
    // `xbarsim plot` draws any other figure from the directory.
    let stdout = ok(
        dir.path(),
        &[
            "plot",
            "out",
            "--x",
            "array.r_wire_ohm",
            "--y",
            "current_ratio",
            "--series",
            "array.size",
            "--output",
            "ratio.svg",
        ],
    );
    assert!(stdout.contains("ratio.svg"));
    let svg = std::fs::read_to_string(dir.path().join("ratio.svg")).unwrap();
    assert!(svg.contains("Current ratio"), "y axis title");
}

// ------------------------------------------------------------ config errors

/// Runs a bad config into `out` twice: once where `out` does not exist
/// (it must not be created), once where `out` holds a finished run (it
/// must be untouched). Returns the error line.
fn bad_config(text: &str) -> String {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "bad.toml", text);
    let line = fails(dir.path(), &["run", "bad.toml", "--out", "fresh"]);
    assert!(!dir.path().join("fresh").exists(), "created the directory");
    write(dir.path(), "small.toml", SWEEP);
    ok(
        dir.path(),
        &["run", "small.toml", "--out", "done", "--quiet"],
    );
    let before = snapshot(&dir.path().join("done"));
    let again = fails(dir.path(), &["run", "bad.toml", "--out", "done"]);
    assert_eq!(again, line);
    assert_eq!(
        snapshot(&dir.path().join("done")),
        before,
        "damaged results"
    );
    line
}

fn with(line_no: usize, replacement: &str) -> String {
    SWEEP
        .lines()
        .enumerate()
        .map(|(i, l)| if i + 1 == line_no { replacement } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn an_unknown_key_is_located_and_the_nearest_key_suggested() {
    let e = bad_config(&with(9, "r_wier_ohm = 1.0"));
    assert!(
        e.starts_with("error: bad.toml:9:1: array.r_wier_ohm: unknown key"),
        "{e}"
    );
    assert!(e.contains("did you mean `r_wire_ohm`?"), "{e}");
}

#[test]
fn a_wrong_type_is_located_at_the_value() {
    let e = bad_config(&with(8, "size = \"big\""));
    assert!(e.starts_with("error: bad.toml:8:8: array.size:"), "{e}");
    assert!(
        e.contains("expected a whole number") && e.contains("\"big\""),
        "{e}"
    );
}

#[test]
fn an_out_of_range_value_is_located_with_what_was_expected() {
    let e = bad_config(&with(9, "r_wire_ohm = -2.0"));
    assert!(
        e.starts_with("error: bad.toml:9:14: array.r_wire_ohm:"),
        "{e}"
    );
    assert!(e.contains("≥ 0 Ω") && e.contains("-2"), "{e}");
    // A swept value out of range is reported at its [sweep] entry.
    let e = bad_config(&with(14, "\"array.r_wire_ohm\" = [1.0, -5.0]"));
    assert!(e.starts_with("error: bad.toml:14:"), "{e}");
    assert!(
        e.contains("sweep.\"array.r_wire_ohm\": value -5.0") && e.contains("≥ 0 Ω"),
        "{e}"
    );
}

#[test]
fn a_missing_device_file_names_both_files() {
    let e = bad_config(&with(5, "device = \"devices/mine.toml\""));
    // Located at the config's key that names the file.
    assert!(
        e.starts_with("error: bad.toml:5:10: device: cannot read device file"),
        "{e}"
    );
    assert!(e.contains("devices/mine.toml"), "{e}");
    assert!(e.contains("No such file"), "{e}");
}

#[test]
fn a_missing_config_file_is_one_line() {
    let dir = TempDir::new().unwrap();
    let e = fails(dir.path(), &["run", "nope.toml", "--out", "o"]);
    assert!(e.starts_with("error: nope.toml: cannot read file"), "{e}");
    assert!(!dir.path().join("o").exists());
}

#[test]
fn an_unknown_device_lists_the_library_and_suggests() {
    let e = bad_config(&with(5, "device = \"neuram-rram\""));
    assert!(
        e.starts_with("error: bad.toml:5:10: device: unknown device `neuram-rram`"),
        "{e}"
    );
    assert!(
        e.contains("did you mean `neurram-rram`?") && e.contains("ibm-pcm"),
        "{e}"
    );
}

#[test]
fn an_empty_sweep_list_is_refused_at_its_line() {
    let e = bad_config(&with(13, "\"array.size\" = []"));
    assert!(e.starts_with("error: bad.toml:13:"), "{e}");
    assert!(
        e.starts_with("error: bad.toml:13:16: sweep.\"array.size\": empty sweep list"),
        "{e}"
    );
}

#[test]
fn a_misspelt_swept_key_and_a_plot_column_are_located() {
    let e = bad_config(&with(13, "\"array.sise\" = [8, 12]"));
    assert!(
        e.starts_with("error: bad.toml:13:16: sweep.\"array.sise\": value 8: unknown field `sise`"),
        "{e}"
    );
    assert!(e.contains("`size`"), "{e}");
    let e = bad_config(&with(19, "y = \"error_mean\""));
    assert!(
        e.starts_with("error: bad.toml:19:5: plot[0].y: no result column `error_mean`"),
        "{e}"
    );
    assert!(e.contains("did you mean `error_mean_rel`?"), "{e}");
}

#[test]
fn a_section_the_kind_does_not_read_is_refused() {
    let e = bad_config(&format!("{SWEEP}\n[training]\nepochs = 3\n"));
    assert!(
        e.contains(
            "bad.toml:22:1: training: section [training] is not used by kind `crossbar-ir-drop`"
        ),
        "{e}"
    );
}

// ------------------------------------------------------ resume, force, shards

#[test]
fn a_killed_run_resumes_without_recomputing_and_gives_the_same_table() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "small.toml", SWEEP);
    // The hidden hook aborts the process (SIGABRT, no clean-up: as kill -9)
    // right after the 5th unit file is written.
    let status = xbarsim(dir.path())
        .args(["run", "small.toml", "--out", "killed", "--jobs", "1"])
        .env("XBARSIM_TEST_ABORT_AFTER", "5")
        .output()
        .unwrap()
        .status;
    assert!(!status.success() && status.code().is_none(), "{status:?}");
    let points = dir.path().join("killed/points");
    let before = snapshot(&points);
    assert_eq!(before.len(), 5);
    assert!(!dir.path().join("killed/results.csv").exists());
    let mtimes: Vec<_> = before
        .iter()
        .map(|(p, _)| std::fs::metadata(p).unwrap().modified().unwrap())
        .collect();
    let stdout = ok(
        dir.path(),
        &["run", "small.toml", "--out", "killed", "--jobs", "2"],
    );
    assert!(
        stdout.contains("7 computed") && stdout.contains("5 resumed"),
        "{stdout}"
    );
    let after = snapshot(&points);
    assert_eq!(after.len(), 12);
    for ((path, bytes), mtime) in before.iter().zip(&mtimes) {
        let again = after.iter().find(|(p, _)| p == path).unwrap();
        assert_eq!(&again.1, bytes, "recomputed {path:?}");
        assert_eq!(std::fs::metadata(path).unwrap().modified().unwrap(), *mtime);
    }
    ok(
        dir.path(),
        &["run", "small.toml", "--out", "whole", "--jobs", "1"],
    );
    for file in ["results.csv", "results.parquet"] {
        assert_eq!(
            std::fs::read(dir.path().join("killed").join(file)).unwrap(),
            std::fs::read(dir.path().join("whole").join(file)).unwrap(),
            "{file}"
        );
    }
    // A third run has nothing left to do.
    let stdout = ok(dir.path(), &["run", "small.toml", "--out", "whole"]);
    assert!(
        stdout.contains("0 computed") && stdout.contains("12 resumed"),
        "{stdout}"
    );
}

#[test]
fn another_configs_directory_is_refused_unless_forced() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "small.toml", SWEEP);
    write(
        dir.path(),
        "other.toml",
        &SWEEP.replace("seed = 3", "seed = 4"),
    );
    ok(dir.path(), &["run", "small.toml", "--out", "out"]);
    let before = snapshot(&dir.path().join("out"));
    let e = fails(dir.path(), &["run", "other.toml", "--out", "out"]);
    assert!(
        e.contains("holds the results of a different config") && e.contains("--force"),
        "{e}"
    );
    assert_eq!(snapshot(&dir.path().join("out")), before);
    // Comments and figures do not change what is computed: same results.
    write(
        dir.path(),
        "commented.toml",
        &format!(
            "# a note\n{}",
            SWEEP.replace("file = \"error\"", "file = \"err2\"")
        ),
    );
    let stdout = ok(dir.path(), &["run", "commented.toml", "--out", "out"]);
    assert!(stdout.contains("12 resumed"), "{stdout}");
    assert!(dir.path().join("out/figures/err2.svg").exists());
    ok(
        dir.path(),
        &["run", "other.toml", "--out", "out", "--force"],
    );
    let csv = std::fs::read_to_string(dir.path().join("out/results.csv")).unwrap();
    assert!(csv.lines().nth(1).unwrap().starts_with("0,0,4,"), "{csv}");
    // A directory with someone else's files is never written into.
    std::fs::create_dir(dir.path().join("mine")).unwrap();
    write(&dir.path().join("mine"), "thesis.tex", "x");
    let e = fails(
        dir.path(),
        &["run", "small.toml", "--out", "mine", "--force"],
    );
    assert!(e.contains("holds no xbarsim results"), "{e}");
}

#[test]
fn shards_merged_equal_the_unsharded_table_exactly() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "small.toml", SWEEP);
    ok(
        dir.path(),
        &["run", "small.toml", "--out", "whole", "--quiet"],
    );
    for k in 1..=4 {
        let shard = format!("{k}/4");
        let out = format!("s{k}");
        let stdout = ok(
            dir.path(),
            &["run", "small.toml", "--out", &out, "--shard", &shard],
        );
        assert!(stdout.contains("xbarsim merge"), "{stdout}");
        assert!(!dir.path().join(&out).join("results.csv").exists());
    }
    // Shard 1 of 4 has points 0 and 4, each with 2 repeats.
    assert_eq!(snapshot(&dir.path().join("s1/points")).len(), 4);
    let e = fails(dir.path(), &["merge", "s1", "s2", "s3", "--out", "merged"]);
    assert!(
        e.contains("units are missing") && e.contains("run the missing shards"),
        "{e}"
    );
    let stdout = ok(
        dir.path(),
        &["merge", "s1", "s2", "s3", "s4", "--out", "merged"],
    );
    assert!(
        stdout.contains("merged 12 units from 4 directories"),
        "{stdout}"
    );
    for file in ["results.csv", "results.parquet", "figures/error.svg"] {
        assert_eq!(
            std::fs::read(dir.path().join("merged").join(file)).unwrap(),
            std::fs::read(dir.path().join("whole").join(file)).unwrap(),
            "{file}"
        );
    }
    // Shards of another config are refused.
    write(
        dir.path(),
        "other.toml",
        &SWEEP.replace("seed = 3", "seed = 9"),
    );
    ok(
        dir.path(),
        &["run", "other.toml", "--out", "o1", "--shard", "1/2"],
    );
    let e = fails(dir.path(), &["merge", "s1", "o1", "--out", "m2"]);
    assert!(e.contains("different configs"), "{e}");
}

#[test]
fn bad_flags_are_one_line_errors() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "small.toml", SWEEP);
    for (args, expect) in [
        (vec!["run", "small.toml", "--shard", "5/4"], "expected K/N"),
        (vec!["run", "small.toml", "--jobs", "0"], "from 1 to 4096"),
        (
            vec!["run", "--shipped", "quikstart"],
            "did you mean `quickstart`?",
        ),
    ] {
        let e = fails(dir.path(), &args);
        assert!(e.contains(expect), "{e}");
    }
    let e = fails(
        dir.path(),
        &[
            "plot", "nowhere", "--x", "a", "--y", "b", "--output", "f.svg",
        ],
    );
    assert!(e.contains("nowhere/results.parquet"), "{e}");
}
