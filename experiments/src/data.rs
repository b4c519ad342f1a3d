//! The MNIST subset built into the program (first 6 000 training and 1 000
//! test images; see `data/mnist-subset/README.md`), so that the default
//! commands run on a fresh machine with nothing to download, and a loader
//! that takes a user's data instead: a directory of MNIST IDX files or of
//! CIFAR-10/100 binary batches, or a NumPy `.npz` file
//! ([`xbar_training::datasets`]).

use std::path::Path;

use xbar_training::datasets::{self, DatasetError};
use xbar_training::mnist::MnistError;
use xbar_training::{Dataset, Split};

/// Why MNIST could not be loaded; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A file of the user's directory is missing, unreadable or malformed.
    #[error(transparent)]
    Files(#[from] MnistError),
    /// A CIFAR directory or `.npz` file that is unreadable or malformed.
    #[error(transparent)]
    Set(#[from] DatasetError),
    /// The embedded subset was damaged at build time.
    #[error("built-in MNIST subset: {0}")]
    Builtin(#[source] MnistError),
}

/// The four gzip IDX files of the subset, in the binary.
const SUBSET: [&[u8]; 4] = [
    include_bytes!("../../data/mnist-subset/train-images-idx3-ubyte.gz"),
    include_bytes!("../../data/mnist-subset/train-labels-idx1-ubyte.gz"),
    include_bytes!("../../data/mnist-subset/t10k-images-idx3-ubyte.gz"),
    include_bytes!("../../data/mnist-subset/t10k-labels-idx1-ubyte.gz"),
];

/// How [`load`] names the built-in subset.
pub const BUILTIN: &str = "built-in subset (6000 train / 1000 test)";

/// One split of the built-in subset.
///
/// # Errors
/// Only if the embedded files were damaged at build time.
pub fn builtin(split: Split) -> Result<Dataset, DataError> {
    let (images, labels) = match split {
        Split::Train => (SUBSET[0], SUBSET[1]),
        Split::Test => (SUBSET[2], SUBSET[3]),
    };
    Dataset::from_idx_bytes(images, labels).map_err(DataError::Builtin)
}

/// One split from `dir` (MNIST IDX files, gzip or plain; CIFAR binary
/// batches; a `.npz` file), or the built-in subset when `dir` is `None`;
/// the first `limit` samples when given.
///
/// # Errors
/// A missing or malformed file, named in the message.
pub fn load(dir: Option<&Path>, split: Split, limit: Option<usize>) -> Result<Dataset, DataError> {
    let set = match dir {
        Some(dir) if is_other_format(dir) => datasets::load(dir, split)?,
        Some(dir) => Dataset::load_split(dir, split)?,
        None => builtin(split)?,
    };
    Ok(match limit {
        Some(n) => set.take(n),
        None => set,
    })
}

/// Whether `path` is a `.npz` file or a CIFAR directory (else MNIST).
fn is_other_format(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npz"))
        || datasets::Cifar::detect(path).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_subset_has_its_documented_sizes() {
        let train = builtin(Split::Train).unwrap();
        let test = load(None, Split::Test, Some(100)).unwrap();
        assert_eq!((train.len(), train.pixels()), (6000, 784));
        assert_eq!(test.len(), 100);
    }
}
