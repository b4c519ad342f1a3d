//! ARCHITECTURE.md is the map: its crate table must be the workspace's
//! real dependency graph (`cargo metadata`), listed so that every crate
//! depends only on crates above it (data flows one way), and the physics
//! crates must not reach polars or plotters through any dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// This machine's target triple, from `rustc -vV`.
fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc runs");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host")
}

/// `cargo metadata` of the workspace: its own packages only, or (`resolve`)
/// with the dependency graph resolved for this machine's target, offline
/// (the build that runs this test has every package it needs already).
fn metadata(resolve: bool) -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["metadata", "--format-version", "1", "--offline", "--locked"]);
    if resolve {
        cmd.args(["--filter-platform", &host()]);
    } else {
        cmd.arg("--no-deps");
    }
    let out = cmd.current_dir(ROOT).output().expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each workspace crate and the workspace crates it depends on (normal
/// dependencies only: dev-dependencies may point anywhere).
fn workspace_graph(meta: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let packages: Vec<&Value> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| members.contains(p["id"].as_str().unwrap()))
        .collect();
    let names: BTreeSet<String> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    packages
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|d| d["kind"].is_null())
                .map(|d| d["name"].as_str().unwrap().to_string())
                .filter(|n| names.contains(n))
                .collect();
            (p["name"].as_str().unwrap().to_string(), deps)
        })
        .collect()
}

/// The rows of ARCHITECTURE.md's crate table, in order: crate and the
/// workspace crates it depends on.
fn documented_graph() -> Vec<(String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(format!("{ROOT}/ARCHITECTURE.md")).unwrap();
    let start = text
        .find("<!-- crate-graph -->")
        .expect("ARCHITECTURE.md marks its crate table with <!-- crate-graph -->");
    let names = |cell: &str| -> Vec<String> {
        cell.split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_string)
            .collect()
    };
    text[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with('|'))
        .filter(|l| l.contains('`'))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').collect();
            let krate = names(cells[1]);
            assert_eq!(krate.len(), 1, "one crate per row: {l}");
            (krate[0].clone(), names(cells[2]).into_iter().collect())
        })
        .collect()
}

#[test]
fn the_documented_crate_graph_is_the_real_one() {
    let real = workspace_graph(&metadata(false));
    let documented = documented_graph();
    let as_map: BTreeMap<String, BTreeSet<String>> = documented.iter().cloned().collect();
    assert_eq!(
        as_map, real,
        "ARCHITECTURE.md's crate table (left) disagrees with Cargo.toml (right)"
    );
    // Listed so that data flows one way: each crate depends only on
    // crates listed above it.
    let mut above = BTreeSet::new();
    for (krate, deps) in &documented {
        let later: Vec<_> = deps.difference(&above).collect();
        assert!(
            later.is_empty(),
            "{krate} depends on {later:?}, listed below it in ARCHITECTURE.md"
        );
        above.insert(krate.clone());
    }
}

/// Every package reachable from `root` through normal and build
/// dependencies in the resolved graph.
fn reachable(meta: &Value, root: &str) -> BTreeSet<String> {
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let name_of = |id: &str| -> String {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    let start = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == root)
        .map(|p| p["id"].as_str().unwrap())
        .unwrap_or_else(|| panic!("no package {root}"));
    let mut seen = BTreeSet::new();
    let mut stack = vec![start];
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let normal = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .any(|k| k["kind"].is_null() || k["kind"] == "build");
            if normal {
                stack.push(dep["pkg"].as_str().unwrap());
            }
        }
    }
    seen.into_iter().map(name_of).collect()
}

#[test]
fn physics_crates_build_without_polars_or_plotters() {
    let meta = metadata(true);
    for krate in [
        "xbar-devices",
        "xbar-crossbar",
        "xbar-training",
        "xbar-cost",
        "xbar-fit",
    ] {
        let deps = reachable(&meta, krate);
        assert!(
            deps.contains("serde"),
            "{krate}: the walk found its dependencies"
        );
        for heavy in ["polars", "plotters"] {
            assert!(
                !deps.contains(heavy),
                "{krate} depends on {heavy} (through some dependency)"
            );
        }
    }
}
