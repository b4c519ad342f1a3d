//! Fault injection, outputs (issue 25, class 9): a command's files (table,
//! sidecar, figures) are one transaction. Two writers of one output never
//! leave a mixed set (the last complete writer wins whole), the next
//! writer of an output removes the temporaries a killed writer left (and
//! nothing else), and a writer that fails late leaves no file and no
//! temporary. The writers are stopped at chosen steps through
//! `OutputSet::commit_observed` and channels, never by sleeping: every
//! assertion holds whatever the scheduling.

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;

use common::{assert_no_temporaries, ok, sidecar};
use serde_json::json;
use tempfile::TempDir;
use xbar_api::output::{OutputSet, Step, OUTPUT_LOCK_FILE};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/pulse-trains-synthetic.csv")
}

/// A table, its sidecar and a figure, each saying who wrote it.
fn set_by(dir: &Path, who: &str) -> OutputSet {
    let mut set = OutputSet::new();
    set.with_sidecar(
        &dir.join("out.csv"),
        format!("writer\n{who}\n").into_bytes(),
        &json!({ "writer": who }),
    )
    .unwrap();
    set.file(
        dir.join("fig.svg"),
        format!("<svg>{who}</svg>").into_bytes(),
    );
    set
}

/// Who wrote each file of [`set_by`]'s set.
fn writers(dir: &Path) -> [String; 3] {
    let table = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    let side = sidecar(&dir.join("out.csv"));
    let figure = std::fs::read_to_string(dir.join("fig.svg")).unwrap();
    [
        table.lines().nth(1).unwrap().to_string(),
        side["writer"].as_str().unwrap().to_string(),
        figure
            .trim_start_matches("<svg>")
            .trim_end_matches("</svg>")
            .to_string(),
    ]
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_second_writer_waits_for_the_first_and_its_set_is_there_whole() {
    // Before: writer A renamed its table, writer B then wrote its whole
    // set, and A's later renames left B's table beside A's sidecar and
    // figure. Now B waits for A's lock, so B's set is there whole.
    let dir = TempDir::new().unwrap();
    let d = dir.path().to_path_buf();
    let (paused, a_paused) = mpsc::channel();
    let (release, released) = mpsc::channel::<()>();
    let a_set = set_by(&d, "A");
    let a = std::thread::spawn(move || {
        let mut first = true;
        a_set.commit_observed(&mut |step| {
            if matches!(step, Step::Renamed(_)) && first {
                // Stop between the first and the second rename.
                first = false;
                paused.send(()).unwrap();
                released.recv().unwrap();
            }
        })
    });
    a_paused.recv().unwrap();
    let (news, b_news) = mpsc::channel();
    let b_set = set_by(&d, "B");
    let b = std::thread::spawn(move || {
        let waiting = news.clone();
        let written = b_set.commit_observed(&mut |step| {
            if matches!(step, Step::Waiting(_)) {
                waiting.send("waiting").unwrap();
            }
        });
        news.send("done").unwrap();
        written
    });
    // B either waits on A's lock or (without one) writes its set through.
    let first_news = b_news.recv().unwrap();
    release.send(()).unwrap();
    a.join().unwrap().unwrap();
    b.join().unwrap().unwrap();
    assert_eq!(first_news, "waiting", "B did not wait for A's set");
    assert_eq!(writers(&d), ["B", "B", "B"], "a mixed set");
    assert_no_temporaries(&d);
}

#[test]
fn two_device_fits_of_one_output_leave_one_fits_files_whole() {
    // Two processes of the built binary, writing the same device file,
    // sidecar and figure at once; each file set must be one run's, byte for
    // byte as that run writes it alone. (The deterministic interleaving is
    // the test above; this one runs the real command end to end.)
    let fit = |dir: &Path, model: &str| {
        common::xbarsim(dir)
            .args(["device", "fit", "--pulses"])
            .arg(example())
            .args([
                "--model", model, "--output", "dev.toml", "--figure", "fig.svg",
            ])
            .output()
            .unwrap()
    };
    let files = ["dev.toml", "dev.toml.json", "fig.svg"];
    let read = |dir: &Path| files.map(|f| std::fs::read(dir.join(f)).unwrap());
    let alone: Vec<[Vec<u8>; 3]> = ["exponential", "soft-bounds"]
        .iter()
        .map(|model| {
            let dir = TempDir::new().unwrap();
            let out = fit(dir.path(), model);
            assert!(out.status.success(), "{out:?}");
            read(dir.path())
        })
        .collect();
    assert_ne!(alone[0], alone[1]);
    for round in 0..2 {
        let dir = TempDir::new().unwrap();
        let d = dir.path().to_path_buf();
        let (d1, d2) = (d.clone(), d.clone());
        let one = std::thread::spawn(move || fit(&d1, "exponential"));
        let two = std::thread::spawn(move || fit(&d2, "soft-bounds"));
        for out in [one.join().unwrap(), two.join().unwrap()] {
            assert!(out.status.success(), "{out:?}");
        }
        let got = read(&d);
        assert!(
            got == alone[0] || got == alone[1],
            "round {round}: a mixed set: {:?}",
            files.map(|f| f.to_string())
        );
        assert_no_temporaries(&d);
    }
}

#[test]
fn the_next_writer_removes_a_killed_writers_temporaries_and_nothing_else() {
    // Before: the temporaries of a write killed before its renames stayed
    // forever. Now the next writer of that output removes them (they match
    // its naming scheme for its own files) and leaves everything else.
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let stale = [
        ".dev.toml.4242-0.xbarsim-tmp",
        ".dev.toml.json.4242-1.xbarsim-tmp",
        ".fig.svg.17-3.xbarsim-tmp",
    ];
    let unrelated = [
        "notes.txt",
        ".dev.toml.backup",
        ".dev.toml.4242.xbarsim-tmp",
        ".other.csv.4242-2.xbarsim-tmp",
        ".xbarsim-abc123.tmp",
    ];
    for name in stale.iter().chain(&unrelated) {
        std::fs::write(d.join(name), "left").unwrap();
    }
    ok(
        d,
        &[
            "device",
            "fit",
            "--pulses",
            example().to_str().unwrap(),
            "--model",
            "exponential",
            "--output",
            "dev.toml",
            "--figure",
            "fig.svg",
        ],
    );
    let mut expected: Vec<String> = unrelated.iter().map(|s| s.to_string()).collect();
    expected.extend([OUTPUT_LOCK_FILE, "dev.toml", "dev.toml.json", "fig.svg"].map(str::to_string));
    expected.sort();
    assert_eq!(names(d), expected);
    for name in unrelated {
        assert_eq!(std::fs::read_to_string(d.join(name)).unwrap(), "left");
    }
}

#[test]
fn a_writer_that_fails_at_its_last_file_leaves_no_file_and_no_temporary() {
    // The figure's target turns into a directory after every file is
    // staged: its rename fails after the table and the sidecar are in
    // place; they are removed again, and so is every temporary.
    let dir = TempDir::new().unwrap();
    let d = dir.path().to_path_buf();
    let figure = d.join("fig.svg");
    let e = set_by(&d, "A")
        .commit_observed(&mut |step| {
            if step == Step::Staged {
                std::fs::create_dir(&figure).unwrap();
            }
        })
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("cannot write `{}`", figure.display())),
        "{e}"
    );
    assert_eq!(names(&d), [OUTPUT_LOCK_FILE, "fig.svg"], "{e}");
    assert!(figure.is_dir());
}

#[test]
fn a_fit_whose_figure_cannot_be_written_leaves_no_file_and_no_temporary() {
    // The same through the command: the figure's directory is missing, so
    // the device file and its sidecar are not written either.
    let dir = TempDir::new().unwrap();
    let d = dir.path();
    let e = common::fails(
        d,
        &[
            "device",
            "fit",
            "--pulses",
            example().to_str().unwrap(),
            "--output",
            "dev.toml",
            "--figure",
            "missing/fig.svg",
        ],
    );
    assert!(e.contains("missing/fig.svg"), "{e}");
    assert!(names(d).is_empty(), "{:?}", names(d));
}
