//! Fault injection: what a user's world does to a run — concurrent runs,
//! damaged unit files, `kill -9` at any moment, full and read-only file
//! systems, absurd sizes, data that fails late, hostile names, non-finite
//! results, negative flags. Each test asserts the exit code, one error line
//! naming the file and line where there is one, no panic, no partial output
//! or debris, and that a rerun after the fault ends byte-identical to an
//! undisturbed run.
//!
//! The file-system tests mount small tmpfs file systems (root, or a user
//! namespace via `unshare`); where neither is allowed they are skipped
//! with a notice on stderr, never silently.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};
use std::time::Duration;

use common::{fails, ok, write, xbarsim, SWEEP};
use tempfile::TempDir;

/// The same sweep with larger arrays: long enough (a second or more) for
/// concurrent starts to overlap and for kills to land mid-run.
fn slow_sweep(seed: u64) -> String {
    SWEEP
        .replace("seed = 3", &format!("seed = {seed}"))
        .replace("[8, 12, 16]", "[96, 128, 160, 192]")
}

fn bin() -> Process {
    Process::new(env!("CARGO_BIN_EXE_xbarsim"))
}

fn spawn(dir: &Path, args: &[&str]) -> Child {
    bin()
        .current_dir(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// The table of a results directory (CSV and Parquet bytes).
fn table(out: &Path) -> (Vec<u8>, Vec<u8>) {
    (
        std::fs::read(out.join("results.csv")).unwrap(),
        std::fs::read(out.join("results.parquet")).unwrap(),
    )
}

/// The table an undisturbed run of `config` writes (into a fresh directory).
fn undisturbed(dir: &Path, config: &str) -> (Vec<u8>, Vec<u8>) {
    let out = format!("undisturbed-{}", config.trim_end_matches(".toml"));
    ok(dir, &["run", config, "--out", &out, "--quiet"]);
    table(&dir.join(out))
}

/// No temporary files anywhere under `dir` (the lock file is not debris).
fn assert_no_debris(dir: &Path) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            assert!(
                name == ".xbarsim-lock"
                    || !(name.starts_with(".xbarsim-") || name.starts_with(".xbar-plot-")),
                "debris left: {}",
                path.display()
            );
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
}

/// A failed command's single error line (exit 2, no panic).
fn error_line(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr.trim_end().to_string()
}

// ------------------------------------------------------------ concurrent runs

#[test]
fn a_directory_held_by_another_run_is_refused_naming_the_holder() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    let out = dir.path().join("held");
    let lock = xbar_experiments::lock::DirLock::exclusive(&out, "the-other-one").unwrap();
    let e = fails(dir.path(), &["run", "a.toml", "--out", "held"]);
    assert!(e.contains("held is in use by another xbarsim run"), "{e}");
    assert!(
        e.contains(&format!("pid {}", std::process::id())) && e.contains("`the-other-one`"),
        "{e}"
    );
    // Nothing was written into the held directory.
    assert!(!out.join("experiment.json").exists());
    // Merge and slurm into it are refused the same way.
    let e = fails(
        dir.path(),
        &["slurm", "a.toml", "--shards", "2", "--out", "held"],
    );
    assert!(e.contains("in use by another xbarsim run"), "{e}");
    drop(lock);
    ok(dir.path(), &["run", "a.toml", "--out", "held", "--quiet"]);
    assert_eq!(table(&out), undisturbed(dir.path(), "a.toml"));
}

#[test]
fn two_configs_started_together_never_mix() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "one.toml", &slow_sweep(1));
    write(dir.path(), "two.toml", &slow_sweep(2));
    let a = spawn(dir.path(), &["run", "one.toml", "--out", "same", "-q"]);
    let b = spawn(dir.path(), &["run", "two.toml", "--out", "same", "-q"]);
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let outcomes = [(a, "one.toml"), (b, "two.toml")];
    let winners: Vec<&str> = outcomes
        .iter()
        .filter(|(o, _)| o.status.success())
        .map(|(_, c)| *c)
        .collect();
    assert_eq!(winners.len(), 1, "exactly one run may write the directory");
    for (o, _) in outcomes.iter().filter(|(o, _)| !o.status.success()) {
        let e = error_line(o);
        assert!(
            e.contains("is in use by another xbarsim run")
                || e.contains("holds the results of a different config"),
            "{e}"
        );
    }
    // The directory holds the winner's results only, exactly.
    assert_eq!(
        table(&dir.path().join("same")),
        undisturbed(dir.path(), winners[0])
    );
    // The loser's rerun is refused (not "resumed" into a mixed table).
    let loser = if winners[0] == "one.toml" {
        "two.toml"
    } else {
        "one.toml"
    };
    let e = fails(dir.path(), &["run", loser, "--out", "same"]);
    assert!(e.contains("holds the results of a different config"), "{e}");
}

#[test]
fn shards_started_together_share_the_directory_and_merge_exactly() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "s.toml", &slow_sweep(5));
    let shards: Vec<Child> = (1..=3)
        .map(|k| {
            let shard = format!("{k}/3");
            spawn(
                dir.path(),
                &["run", "s.toml", "--out", "sh", "--shard", &shard, "-q"],
            )
        })
        .collect();
    for child in shards {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    ok(dir.path(), &["merge", "sh"]);
    assert_eq!(
        table(&dir.path().join("sh")),
        undisturbed(dir.path(), "s.toml")
    );
}

// ------------------------------------------------------- damaged unit files

type Damage = fn(&mut serde_json::Value);

/// Every way a unit file can be valid JSON of the wrong shape.
const DAMAGE: [(&str, Damage); 9] = [
    ("rows emptied", |u| u["rows"] = serde_json::json!([])),
    ("a row shortened", |u| {
        u["rows"][0].as_array_mut().unwrap().pop();
    }),
    ("a row lengthened", |u| {
        u["rows"][0].as_array_mut().unwrap().push(1.0.into());
    }),
    ("a row emptied", |u| u["rows"][0] = serde_json::json!([])),
    ("text in a number column", |u| u["rows"][0][2] = "x".into()),
    ("a negative count", |u| u["rows"][0][0] = (-8).into()),
    ("another repeat's seed", |u| u["seed"] = 99.into()),
    ("another unit's point", |u| u["point"] = 4.into()),
    ("no rows key", |u| {
        u.as_object_mut().unwrap().remove("rows");
    }),
];

#[test]
fn damaged_unit_files_of_every_shape_are_recomputed_with_a_warning() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    let expected = undisturbed(dir.path(), "a.toml");
    ok(dir.path(), &["run", "a.toml", "--out", "d", "-q"]);
    let unit = dir.path().join("d/points/p000002-r0001.json");
    let sound = std::fs::read(&unit).unwrap();
    let mut shapes: Vec<(&str, Vec<u8>)> = DAMAGE
        .iter()
        .map(|(what, damage)| {
            let mut value: serde_json::Value = serde_json::from_slice(&sound).unwrap();
            damage(&mut value);
            (*what, serde_json::to_vec(&value).unwrap())
        })
        .collect();
    shapes.push(("truncated", sound[..sound.len() / 2].to_vec()));
    shapes.push(("empty", Vec::new()));
    shapes.push(("not JSON", b"\x00\xff garbage".to_vec()));
    shapes.push(("a JSON array", b"[]".to_vec()));
    for (what, bytes) in shapes {
        std::fs::write(&unit, &bytes).unwrap();
        let out = xbarsim(dir.path())
            .args(["run", "a.toml", "--out", "d", "-q"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{what}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{what}: {stderr}");
        assert!(
            stderr.starts_with("warning: ")
                && stderr.contains("p000002-r0001.json: damaged unit file")
                && stderr.contains("computing that unit again"),
            "{what}: {stderr}"
        );
        // Recomputed: the same rows and seed (the wall time differs).
        let again: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&unit).unwrap()).unwrap();
        let before: serde_json::Value = serde_json::from_slice(&sound).unwrap();
        assert_eq!(
            (&again["rows"], &again["seed"]),
            (&before["rows"], &before["seed"]),
            "{what}"
        );
        assert_eq!(table(&dir.path().join("d")), expected, "{what}");
    }
    assert_no_debris(dir.path());
}

#[test]
fn a_damaged_shard_unit_stops_merge_naming_it_until_the_shard_reruns() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    for k in ["1/2", "2/2"] {
        ok(
            dir.path(),
            &["run", "a.toml", "--out", "m", "--shard", k, "-q"],
        );
    }
    let unit = dir.path().join("m/points/p000001-r0000.json");
    std::fs::write(
        &unit,
        br#"{"point":1,"repeat":0,"seed":3,"elapsed_s":0.1,"rows":[[1]]}"#,
    )
    .unwrap();
    let e = fails(dir.path(), &["merge", "m"]);
    assert!(
        e.contains("p000001-r0000.json: damaged unit file") && e.contains("run its shard again"),
        "{e}"
    );
    assert!(!dir.path().join("m/results.csv").exists());
    let out = xbarsim(dir.path())
        .args(["run", "a.toml", "--out", "m", "--shard", "2/2", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success());
    ok(dir.path(), &["merge", "m"]);
    assert_eq!(
        table(&dir.path().join("m")),
        undisturbed(dir.path(), "a.toml")
    );
}

// ------------------------------------------------------------------ kills

#[test]
fn a_run_killed_at_any_moment_resumes_to_the_same_table_without_debris() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "k.toml", &slow_sweep(7));
    let expected = undisturbed(dir.path(), "k.toml");
    // Kills land during the start, the units, the table and the figures,
    // whichever the machine's speed makes them hit; each must resume.
    for (i, delay_ms) in [5u64, 40, 120, 300, 600, 1200].into_iter().enumerate() {
        let out = format!("killed{i}");
        let mut child = spawn(
            dir.path(),
            &["run", "k.toml", "--out", &out, "--jobs", "1", "-q"],
        );
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        ok(dir.path(), &["run", "k.toml", "--out", &out, "-q"]);
        assert_eq!(
            table(&dir.path().join(&out)),
            expected,
            "killed after {delay_ms} ms"
        );
    }
    assert_no_debris(dir.path());
}

#[test]
fn debris_of_an_interrupted_final_write_is_removed_by_the_next_run() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    ok(dir.path(), &["run", "a.toml", "--out", "d", "-q"]);
    let expected = table(&dir.path().join("d"));
    // What kill -9 during the table and figure writes leaves: temporaries
    // beside the targets, and no table yet.
    for debris in [
        "d/.xbarsim-Ab12Cd.tmp",
        "d/points/.xbarsim-Zz99Yy.tmp",
        "d/figures/.xbar-plot-Qq11Rr.png",
        "d/figures/.xbar-plot-Ss22Tt.svg",
    ] {
        std::fs::write(dir.path().join(debris), b"half a file").unwrap();
    }
    std::fs::remove_file(dir.path().join("d/results.csv")).unwrap();
    std::fs::remove_file(dir.path().join("d/results.parquet")).unwrap();
    ok(dir.path(), &["run", "a.toml", "--out", "d", "-q"]);
    assert_eq!(table(&dir.path().join("d")), expected);
    assert_no_debris(dir.path());
}

// ------------------------------------------------------------- huge values

#[test]
fn absurd_sizes_are_refused_with_the_estimate_before_anything_is_created() {
    let dir = TempDir::new().unwrap();
    let array = SWEEP
        .replace("size = 8\n", "size = 10000000\n")
        .replace("\"array.size\" = [8, 12, 16]\n", "");
    write(dir.path(), "array.toml", &array);
    let e = fails(dir.path(), &["run", "array.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: array.toml:8:8: array.size: needs about "),
        "{e}"
    );
    assert!(
        e.contains("PiB of memory") && e.contains("available"),
        "{e}"
    );
    let network = "name = \"n\"\nkind = \"inference-drift\"\ndevice = \"neurram-rram\"\n[network]\nsizes = [784, 100000000, 10]\n";
    write(dir.path(), "net.toml", network);
    let e = fails(dir.path(), &["run", "net.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: net.toml:5:9: network.sizes: needs about "),
        "{e}"
    );
    let e = fails(
        dir.path(),
        &[
            "train",
            "--hidden",
            "100000000",
            "--output",
            "m.safetensors",
        ],
    );
    assert!(
        e.contains("network.sizes: needs about") && e.contains("--hidden"),
        "{e}"
    );
    // The limit is the machine's (or XBARSIM_MEMORY_LIMIT): a modest array
    // over a small limit is refused the same way.
    let out = xbarsim(dir.path())
        .args(["run", "array.toml", "--out", "o"])
        .env("XBARSIM_MEMORY_LIMIT", "1e3")
        .output()
        .unwrap();
    error_line(&out);
    assert!(!dir.path().join("o").exists());
    assert!(!dir.path().join("m.safetensors").exists());
}

// --------------------------------------------------------- late data errors

/// A copy of the built-in MNIST subset's files in `dir/name`.
fn mnist_copy(dir: &Path, name: &str) -> PathBuf {
    let to = dir.join(name);
    std::fs::create_dir_all(&to).unwrap();
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/mnist-subset");
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "gz") {
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    to
}

const EVAL: &str = r#"name = "late"
kind = "inference-drift"
device = "neurram-rram"
[network]
sizes = [784, 16, 10]
steps = 2
[data]
dir = "DATA"
train_limit = 300
test_limit = 100
[evaluation]
times_s = [1.0]
instances = 1
"#;

#[test]
fn data_problems_are_found_before_the_results_directory_exists() {
    let dir = TempDir::new().unwrap();
    let good = mnist_copy(dir.path(), "good");
    let bad = mnist_copy(dir.path(), "bad");
    let images = bad.join("t10k-images-idx3-ubyte.gz");
    let bytes = std::fs::read(&images).unwrap();
    std::fs::write(&images, &bytes[..bytes.len() / 3]).unwrap();
    let cases = [
        (EVAL.replace("DATA", "missing"), "8:7: data.dir:", "missing"),
        (EVAL.replace("DATA", "bad"), "8:7: data.dir:", "t10k-images"),
        (
            EVAL.replace("DATA", "good")
                .replace("train_limit = 300", "train_limit = 0"),
            "9:15: data.train_limit:",
            "at least 1",
        ),
        (
            EVAL.replace("DATA", "good")
                .replace("test_limit = 100", "test_limit = 0"),
            "10:14: data.test_limit:",
            "at least 1",
        ),
    ];
    for (text, at, says) in cases {
        write(dir.path(), "late.toml", &text);
        let e = fails(dir.path(), &["run", "late.toml", "--out", "res"]);
        assert!(e.starts_with(&format!("error: late.toml:{at}")), "{e}");
        assert!(e.contains(says), "{e}");
        assert!(
            !dir.path().join("res").exists(),
            "created the directory: {e}"
        );
    }
    assert!(good.is_dir());
    // The corrected config runs into the same directory: nothing poisoned it.
    write(dir.path(), "late.toml", &EVAL.replace("DATA", "good"));
    ok(dir.path(), &["run", "late.toml", "--out", "res", "-q"]);
    assert_no_debris(dir.path());
}

#[test]
fn meaningless_values_are_refused_at_their_line() {
    let dir = TempDir::new().unwrap();
    let seed = SWEEP.replace("[sweep]\n", "[sweep]\nseed = [1, 2]\n");
    write(dir.path(), "seed.toml", &seed);
    let e = fails(dir.path(), &["run", "seed.toml", "--out", "o"]);
    assert!(
        e.starts_with("error: seed.toml:13:8: sweep.\"seed\": `seed` cannot be swept"),
        "{e}"
    );
    assert!(e.contains("repeats"), "{e}");
    write(dir.path(), "t.toml", "[training]\nbatch_size = 0\n");
    let e = fails(
        dir.path(),
        &["train", "--config", "t.toml", "--output", "m.safetensors"],
    );
    assert!(
        e.starts_with("error: t.toml:2:14: training.batch_size:"),
        "{e}"
    );
    write(
        dir.path(),
        "t.toml",
        "[training.optimizer]\nlearning_rate = nan\n",
    );
    let e = fails(
        dir.path(),
        &["train", "--config", "t.toml", "--output", "m.safetensors"],
    );
    assert!(
        e.starts_with("error: t.toml:2:17: training.optimizer.learning_rate:"),
        "{e}"
    );
    assert!(!dir.path().join("o").exists() && !dir.path().join("m.safetensors").exists());
}

// ------------------------------------------------------------------- names

#[test]
fn experiment_names_that_are_not_plain_file_names_are_refused() {
    let dir = TempDir::new().unwrap();
    for name in ["../../x", "/tmp/abs", "", ".hidden", "a/b", "with space"] {
        write(
            dir.path(),
            "n.toml",
            &SWEEP.replace("\"small\"", &format!("{name:?}")),
        );
        let e = fails(dir.path(), &["run", "n.toml"]);
        assert!(
            e.starts_with("error: n.toml:1:8: name: expected a plain name"),
            "{name}: {e}"
        );
    }
    assert!(!dir.path().join("xbarsim-out").exists());
    assert!(!dir.path().parent().unwrap().join("x").exists());
}

// ------------------------------------------------- outputs, values, flags

#[test]
fn non_finite_results_are_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "G.csv", "1e308,1e308\n1e308,1e308\n");
    write(dir.path(), "V.csv", "1,1\n");
    let e = fails(
        dir.path(),
        &["solve", "-g", "G.csv", "-i", "V.csv", "-o", "I.csv"],
    );
    assert!(e.contains("not finite"), "{e}");
    assert!(!dir.path().join("I.csv").exists() && !dir.path().join("I.csv.json").exists());
}

#[test]
fn negative_values_get_their_own_one_line_refusal() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    let e = fails(dir.path(), &["run", "a.toml", "--shard", "-1/4"]);
    assert!(e.contains("'-1/4'") && e.contains("K/N"), "{e}");
    let e = fails(
        dir.path(),
        &[
            "device",
            "drift",
            "--device",
            "ibm-pcm",
            "--targets",
            "-1e-6",
            "-o",
            "d.csv",
        ],
    );
    assert!(e.contains("'-1e-6'") && e.contains("≥ 0"), "{e}");
    let e = fails(
        dir.path(),
        &[
            "device", "pulse", "--device", "ag-si", "--seed", "-3", "-o", "p.csv",
        ],
    );
    assert!(e.contains("'-3'"), "{e}");
}

#[test]
fn unwritable_outputs_are_found_before_the_work() {
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    // A directory no process may create files in (sysfs), or a missing one.
    let e = fails(
        dir.path(),
        &["train", "--epochs", "50", "--output", "/sys/m.safetensors"],
    );
    assert!(e.contains("`/sys` is not writable"), "{e}");
    let e = fails(
        dir.path(),
        &[
            "plot",
            "nowhere",
            "--x",
            "a",
            "--y",
            "b",
            "--output",
            "missing/f.png",
        ],
    );
    assert!(e.contains("directory `missing` does not exist"), "{e}");
    assert!(!dir.path().join("missing").exists());
    let out = xbarsim(dir.path())
        .args(["run", "a.toml", "--out", "/sys/xbarsim-results"])
        .output()
        .unwrap();
    error_line(&out);
}

// ------------------------------------------------------ full / read-only fs

/// A tmpfs of `size` mounted at a new directory, unmounted when dropped;
/// `None` (with a notice) where this process may not mount.
struct Tmpfs {
    path: PathBuf,
    _dir: TempDir,
}

impl Tmpfs {
    fn mount(size: &str, options: &str) -> Option<Tmpfs> {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("fs");
        std::fs::create_dir(&path).unwrap();
        let opts = format!("size={size}{options}");
        let mounted = Process::new("mount")
            .args(["-t", "tmpfs", "-o", &opts, "tmpfs"])
            .arg(&path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            eprintln!(
                "skipped: cannot mount a tmpfs here (needs root); the full and read-only file-system cases did not run"
            );
            return None;
        }
        Some(Tmpfs { path, _dir: dir })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Process::new("umount").arg(&self.path).status();
    }
}

#[test]
fn a_full_file_system_fails_cleanly_and_the_rerun_completes_identically() {
    let Some(fs) = Tmpfs::mount("1m", "") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    let expected = undisturbed(dir.path(), "a.toml");
    // Fill the file system, leaving a few kilobytes: the run fails while
    // writing units (or its manifest), with one line naming the file.
    let filler = fs.path.join("filler");
    let free = |p: &Path| {
        let out = Process::new("df")
            .args(["-B1", "--output=avail"])
            .arg(p)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let avail = free(&fs.path);
    std::fs::write(&filler, vec![0u8; (avail - 8 * 1024) as usize]).unwrap();
    let out_dir = fs.path.join("res");
    let out = xbarsim(dir.path())
        .args(["run", "a.toml", "--out"])
        .arg(&out_dir)
        .arg("-q")
        .output()
        .unwrap();
    let e = error_line(&out);
    assert!(e.contains("No space left on device"), "{e}");
    assert!(!out_dir.join("results.csv").exists());
    // A figure onto the full disk: an I/O error naming the file.
    let plot = xbarsim(dir.path())
        .args([
            "plot",
            "undisturbed-a",
            "--x",
            "array.size",
            "--y",
            "error_mean_rel",
            "--output",
        ])
        .arg(fs.path.join("f.png"))
        .output()
        .unwrap();
    let e = error_line(&plot);
    assert!(
        e.contains("f.png") && e.contains("No space left on device"),
        "{e}"
    );
    assert!(!fs.path.join("f.png").exists());
    std::fs::remove_file(&filler).unwrap();
    let rerun = xbarsim(dir.path())
        .args(["run", "a.toml", "--out"])
        .arg(&out_dir)
        .arg("-q")
        .output()
        .unwrap();
    assert!(
        rerun.status.success(),
        "{}",
        String::from_utf8_lossy(&rerun.stderr)
    );
    assert_eq!(table(&out_dir), expected);
    assert_no_debris(&fs.path);
}

#[test]
fn a_read_only_file_system_is_refused_before_any_work() {
    let Some(fs) = Tmpfs::mount("1m", ",ro") else {
        return;
    };
    let dir = TempDir::new().unwrap();
    write(dir.path(), "a.toml", SWEEP);
    let out = xbarsim(dir.path())
        .args(["run", "a.toml", "--out"])
        .arg(fs.path.join("res"))
        .output()
        .unwrap();
    let e = error_line(&out);
    assert!(e.contains("Read-only file system"), "{e}");
    let out = xbarsim(dir.path())
        .args(["train", "--epochs", "50", "--output"])
        .arg(fs.path.join("m.safetensors"))
        .output()
        .unwrap();
    let e = error_line(&out);
    assert!(e.contains("is not writable (Read-only file system)"), "{e}");
}
