//! Shared by the integration tests: where the full MNIST is.

use std::path::PathBuf;

/// The environment variable naming a directory of the full MNIST IDX files.
pub const MNIST_VAR: &str = "XBARSIM_MNIST_DIR";

/// The full MNIST: `$XBARSIM_MNIST_DIR`, else `shared/data/mnist` next to
/// the checkout (where CI has it). `None`, after saying so on stderr, when
/// neither holds the files: a clone without the data set skips the tests
/// that need it instead of failing, under `CI=true` too (the README's test
/// command must pass on a clone without `../shared`).
pub fn full_mnist(test: &str) -> Option<PathBuf> {
    let present = |dir: &PathBuf| {
        ["train-images-idx3-ubyte", "t10k-images-idx3-ubyte"]
            .iter()
            .all(|f| dir.join(f).is_file() || dir.join(format!("{f}.gz")).is_file())
    };
    // `shared/` beside the checkout, seen from a workspace crate or from
    // the root package (tests/ of the command line include this file).
    let beside = [
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data/mnist"),
        concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/mnist"),
    ];
    let dir = std::env::var_os(MNIST_VAR)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            beside
                .iter()
                .map(PathBuf::from)
                .find(|d| present(d))
                .unwrap_or_else(|| PathBuf::from(beside[0]))
        });
    let present = present(&dir);
    if !present {
        eprintln!(
            "{test}: skipped, set {MNIST_VAR}=DIR (the four MNIST IDX files, gzip or plain) or put them in ../shared/data/mnist; not found in {}",
            dir.display()
        );
        return None;
    }
    Some(dir)
}
