//! `xbarsim slurm` for real: the generated array job runs on the one-node
//! SLURM cluster that `scripts/test` starts (`scripts/slurm-cluster`), the
//! merge job joins the shards, and the table equals a local run's.
//!
//! Needs `XBARSIM_SLURM=1` (set by `scripts/test` once the cluster is up).
//! Under CI a missing cluster is a failure; elsewhere the test says why it
//! skips.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::xbarsim;
use tempfile::TempDir;

const SWEEP: &str = r#"name = "slurm-small"
kind = "crossbar-ir-drop"
seed = 11
repeats = 2
device = "neurram-rram"

[array]
vectors = 4

[sweep]
"array.size" = [8, 12, 16]
"array.r_wire_ohm" = [1.0, 2.5]

[[plot]]
file = "error"
x = "array.size"
y = "error_mean_rel"
series = "array.r_wire_ohm"
"#;

fn cluster_is_up() -> bool {
    if std::env::var("XBARSIM_SLURM").as_deref() == Ok("1") {
        return true;
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI needs the SLURM cluster: run the tests through ./scripts/test"
    );
    eprintln!("skipped: no SLURM cluster (XBARSIM_SLURM != 1; ./scripts/test starts one)");
    false
}

fn tail(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| format!("({}: {e})", path.display()))
}

#[test]
fn an_array_job_runs_the_shards_and_merges_into_the_local_table() {
    if !cluster_is_up() {
        return;
    }
    let dir = TempDir::new().unwrap();
    std::fs::write(dir.path().join("sweep.toml"), SWEEP).unwrap();
    xbarsim(dir.path())
        .args(["run", "sweep.toml", "--out", "local", "--quiet"])
        .assert()
        .success();
    let out = dir.path().join("cluster");
    let stdout = xbarsim(dir.path())
        .args(["slurm", "sweep.toml", "--shards", "3", "--out", "cluster"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let stdout = String::from_utf8(stdout).unwrap();
    assert!(stdout.contains("3 array tasks"), "{stdout}");
    let slurm = out.join("slurm");
    let array = String::from_utf8(
        Command::new("sbatch")
            .args(["--parsable", "shards.sbatch"])
            .current_dir(&slurm)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let array = array.trim().split(';').next().unwrap().to_string();
    assert!(!array.is_empty(), "sbatch gave no job id");
    let merge = String::from_utf8(
        Command::new("sbatch")
            .args([
                "--parsable",
                "--kill-on-invalid-dep=yes",
                &format!("--dependency=afterok:{array}"),
                "merge.sbatch",
            ])
            .current_dir(&slurm)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let merge = merge.trim().split(';').next().unwrap().to_string();
    let jobs = format!("{array},{merge}");
    let start = Instant::now();
    loop {
        let queue = Command::new("squeue")
            .args(["-h", "-j", &jobs])
            .output()
            .unwrap();
        if String::from_utf8_lossy(&queue.stdout).trim().is_empty() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "jobs still queued after 5 minutes: {}",
            String::from_utf8_lossy(&queue.stdout)
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let states = Command::new("squeue")
        .args(["-h", "-t", "all", "-j", &jobs, "-o", "%i %T"])
        .output()
        .unwrap();
    let states = String::from_utf8_lossy(&states.stdout).to_string();
    let logs = format!(
        "shard 1: {}\nmerge: {}",
        tail(&slurm.join("shard-1.log")),
        tail(&slurm.join("merge.log"))
    );
    // Three array tasks and the merge, every one COMPLETED.
    assert_eq!(states.lines().count(), 4, "{states}\n{logs}");
    assert!(
        states.lines().all(|l| l.ends_with(" COMPLETED")),
        "{states}\n{logs}"
    );
    for file in ["results.csv", "results.parquet", "figures/error.svg"] {
        assert_eq!(
            std::fs::read(out.join(file)).unwrap(),
            std::fs::read(dir.path().join("local").join(file)).unwrap(),
            "{file}\n{logs}"
        );
    }
    assert_eq!(
        std::fs::read_dir(out.join("points")).unwrap().count(),
        12,
        "every unit written once"
    );
}
