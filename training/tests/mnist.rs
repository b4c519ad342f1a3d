//! MNIST IDX reader: the full data set, the shipped subset, every error
//! class, and no panics on arbitrary bytes.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;
use proptest::prelude::*;
use xbar_training::mnist::{Dataset, MnistError, Split};

mod common;

/// The subset shipped in the repository.
const SUBSET: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/mnist-subset");

fn load(dir: impl AsRef<Path>, split: Split) -> Dataset {
    let dir = dir.as_ref();
    Dataset::load_split(dir, split)
        .unwrap_or_else(|e| panic!("loading MNIST {split} from {}: {e}", dir.display()))
}

fn histogram(labels: &[u8]) -> [usize; 10] {
    let mut h = [0; 10];
    for &l in labels {
        h[usize::from(l)] += 1;
    }
    h
}

fn idx_images(count: u32, rows: u32, cols: u32, pixels: &[u8]) -> Vec<u8> {
    let mut v = 0x0803u32.to_be_bytes().to_vec();
    for x in [count, rows, cols] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    v.extend_from_slice(pixels);
    v
}

fn idx_labels(count: u32, labels: &[u8]) -> Vec<u8> {
    let mut v = 0x0801u32.to_be_bytes().to_vec();
    v.extend_from_slice(&count.to_be_bytes());
    v.extend_from_slice(labels);
    v
}

/// Three 2×3 images, labels 1, 7, 9.
fn valid() -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..18).map(|i| (i * 15) as u8).collect();
    (idx_images(3, 2, 3, &pixels), idx_labels(3, &[1, 7, 9]))
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(Vec::new(), Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// Loads `images` and `labels` written to files and returns the error and
/// the images and labels paths.
fn load_err(images: &[u8], labels: &[u8]) -> (String, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let i = write(dir.path(), "imgs.idx", images);
    let l = write(dir.path(), "lbls.idx", labels);
    let err = Dataset::load(&i, &l).expect_err("malformed input must be an error");
    (
        err.to_string(),
        i.display().to_string(),
        l.display().to_string(),
    )
}

fn assert_contains(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "error message {msg:?} lacks {p:?}");
    }
}

// ---------------------------------------------------------------- full set

#[test]
fn full_training_set() {
    let Some(full) = common::full_mnist("full_training_set") else {
        return;
    };
    let train = load(&full, Split::Train);
    assert_eq!(train.len(), 60_000);
    assert_eq!(train.shape(), (28, 28));
    assert_eq!(train.pixels(), 784);
    assert_eq!(train.images().len(), 60_000 * 784);
    assert_eq!(&train.labels()[..10], &[5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    assert_eq!(train.label(0), 5);
    let mean =
        train.images().iter().map(|&p| f64::from(p)).sum::<f64>() / train.images().len() as f64;
    assert!((mean - 0.1307).abs() < 1e-3, "mean pixel {mean}");
    assert!(train.images().iter().all(|p| (0.0..=1.0).contains(p)));
    assert_eq!(train.images().iter().cloned().fold(0.0, f32::max), 1.0);
}

#[test]
fn full_test_set() {
    let Some(full) = common::full_mnist("full_test_set") else {
        return;
    };
    let test = load(&full, Split::Test);
    assert_eq!(test.len(), 10_000);
    assert_eq!(test.shape(), (28, 28));
    assert_eq!(
        histogram(test.labels()),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
}

// ------------------------------------------------------------------ subset

#[test]
fn shipped_subset_is_the_first_images_of_the_full_set() {
    let full_dir = common::full_mnist("shipped_subset_is_the_first_images_of_the_full_set");
    for (split, n) in [(Split::Train, 6000), (Split::Test, 1000)] {
        let sub = load(SUBSET, split);
        assert_eq!(sub.len(), n, "{split}");
        assert_eq!(sub.shape(), (28, 28));
        for (digit, &count) in histogram(sub.labels()).iter().enumerate() {
            assert!(
                count * 100 >= 8 * n,
                "{split}: digit {digit} is {count} of {n}"
            );
        }
        // Pixels are byte / 255, a one-to-one map: equal floats, equal bytes.
        let Some(full_dir) = &full_dir else { continue };
        let full = load(full_dir, split);
        assert!(
            sub == full.take(n),
            "{split} subset differs from the first {n} images"
        );
    }
}

// ------------------------------------------------------------ valid inputs

#[test]
fn plain_and_gzip_give_the_same_data() {
    let (i, l) = valid();
    let plain = Dataset::from_idx_bytes(&i, &l).unwrap();
    assert_eq!(plain, Dataset::from_idx_bytes(&gz(&i), &l).unwrap());
    assert_eq!(plain, Dataset::from_idx_bytes(&i, &gz(&l)).unwrap());
    assert_eq!(plain.len(), 3);
    assert_eq!(plain.shape(), (2, 3));
    assert_eq!(plain.labels(), &[1, 7, 9]);
    assert_eq!(plain.image(1)[0], 90.0 / 255.0);
    assert_eq!(plain.image(2)[5], 255.0 / 255.0);
    // Concatenated gzip members are one stream (as `gunzip` reads them).
    let mut two = gz(&i[..10]);
    two.extend(gz(&i[10..]));
    assert_eq!(plain, Dataset::from_idx_bytes(&two, &l).unwrap());
}

#[test]
fn load_split_prefers_gz_and_falls_back_to_plain() {
    let dir = tempfile::tempdir().unwrap();
    let (i, l) = valid();
    write(dir.path(), "t10k-images-idx3-ubyte", &i);
    write(dir.path(), "t10k-labels-idx1-ubyte.gz", &gz(&l));
    let d = Dataset::load_split(dir.path(), Split::Test).unwrap();
    assert_eq!(d.labels(), &[1, 7, 9]);
    // A .gz beside the plain file wins.
    write(dir.path(), "t10k-images-idx3-ubyte.gz", b"\x1f\x8bnot gzip");
    let msg = Dataset::load_split(dir.path(), Split::Test)
        .unwrap_err()
        .to_string();
    assert_contains(&msg, &["t10k-images-idx3-ubyte.gz", "corrupt gzip"]);
}

#[test]
fn take_and_subset() {
    let (i, l) = valid();
    let d = Dataset::from_idx_bytes(&i, &l).unwrap();
    assert_eq!(d.take(2).labels(), &[1, 7]);
    assert_eq!(d.take(99), d);
    let s = d.subset(&[2, 0]);
    assert_eq!(s.labels(), &[9, 1]);
    assert_eq!(s.image(0), d.image(2));
    assert_eq!(s.image(1), d.image(0));
    assert!(d.subset(&[]).is_empty());
}

#[test]
fn empty_dataset_is_allowed() {
    let d = Dataset::from_idx_bytes(&idx_images(0, 28, 28, &[]), &idx_labels(0, &[])).unwrap();
    assert!(d.is_empty());
    assert_eq!(d.len(), 0);
    assert_eq!(d.pixels(), 784);
    assert!(d.take(5).is_empty());
}

#[test]
fn split_file_names() {
    assert_eq!(Split::Train.images_file(), "train-images-idx3-ubyte");
    assert_eq!(Split::Train.labels_file(), "train-labels-idx1-ubyte");
    assert_eq!(Split::Test.images_file(), "t10k-images-idx3-ubyte");
    assert_eq!(Split::Test.labels_file(), "t10k-labels-idx1-ubyte");
}

// ------------------------------------------------------------------ errors

#[test]
fn bad_magic_prints_found_and_expected_in_hex() {
    let (mut i, l) = valid();
    i[2] = 0x0c; // IDX floats
    let (msg, ipath, _) = load_err(&i, &l);
    assert_contains(
        &msg,
        &[
            &ipath,
            "0x00000c03",
            "expected 0x00000803",
            "not an IDX images file",
        ],
    );

    let (i, mut l) = valid();
    l[0] = 0xff;
    let (msg, _, lpath) = load_err(&i, &l);
    assert_contains(&msg, &[&lpath, "0xff000801", "expected 0x00000801"]);
}

#[test]
fn swapped_images_and_labels_files_are_named() {
    let (i, l) = valid();
    let (msg, lpath_as_images, _) = load_err(&l, &i);
    assert_contains(
        &msg,
        &[
            &lpath_as_images,
            "found 0x00000801",
            "expected 0x00000803",
            "this is a labels file, expected an images file",
        ],
    );
    // Labels slot given an images file (images slot valid).
    let (msg, _, ipath_as_labels) = load_err(&i, &i);
    assert_contains(
        &msg,
        &[
            &ipath_as_labels,
            "0x00000803",
            "expected 0x00000801",
            "this is an images file, expected a labels file",
        ],
    );
}

#[test]
fn truncated_files_say_how_many_bytes_were_expected() {
    let (i, l) = valid();
    // Pixel data short: header says 3 images of 2×3 = 16 + 18 bytes.
    let (msg, ipath, _) = load_err(&i[..30], &l);
    assert_contains(
        &msg,
        &[
            &ipath,
            "truncated",
            "3 images of 2×3",
            "needs 34 bytes",
            "found 30",
        ],
    );
    // Header short.
    let (msg, ipath, _) = load_err(&i[..10], &l);
    assert_contains(
        &msg,
        &[&ipath, "truncated", "header", "needs 16 bytes", "found 10"],
    );
    // Empty file.
    let (msg, ipath, _) = load_err(&[], &l);
    assert_contains(&msg, &[&ipath, "needs 16 bytes", "found 0"]);
    // Labels short.
    let (msg, _, lpath) = load_err(&i, &l[..9]);
    assert_contains(
        &msg,
        &[&lpath, "truncated", "3 labels", "needs 11 bytes", "found 9"],
    );
    // A header declaring 2^32-1 images allocates nothing and overflows nothing.
    let (msg, ipath, _) = load_err(&idx_images(u32::MAX, 28, 28, &[0; 100]), &l);
    assert_contains(&msg, &[&ipath, "needs 3367254359296 bytes", "found 116"]);
    // A truncated gzip file.
    let (msg, ipath, _) = load_err(&gz(&i)[..20], &l);
    assert_contains(&msg, &[&ipath, "corrupt gzip"]);
}

#[test]
fn trailing_data_is_an_error() {
    let (mut i, l) = valid();
    i.push(0);
    let (msg, ipath, _) = load_err(&i, &l);
    assert_contains(&msg, &[&ipath, "needs 34 bytes", "found 35", "trailing"]);
}

#[test]
fn count_mismatch_names_both_files_and_counts() {
    let (i, _) = valid();
    let l = idx_labels(2, &[1, 7]);
    let (msg, ipath, lpath) = load_err(&i, &l);
    assert_contains(
        &msg,
        &["count mismatch", &ipath, "3 images", &lpath, "2 labels"],
    );
}

#[test]
fn labels_above_nine_are_rejected() {
    let (i, _) = valid();
    let l = idx_labels(3, &[1, 10, 9]);
    let (msg, _, lpath) = load_err(&i, &l);
    assert_contains(&msg, &[&lpath, "label 10 at index 1", "expected 0–9"]);
}

#[test]
fn zero_size_images_are_rejected() {
    let l = idx_labels(0, &[]);
    for (rows, cols) in [(0, 28), (28, 0)] {
        let (msg, ipath, _) = load_err(&idx_images(0, rows, cols, &[]), &l);
        assert_contains(&msg, &[&ipath, &format!("{rows}×{cols}"), "> 0"]);
    }
}

#[test]
fn corrupt_gzip_is_reported() {
    let (i, l) = valid();
    let mut z = gz(&i);
    let n = z.len();
    z[n - 6] ^= 0xff; // CRC-32 trailer
    let (msg, ipath, _) = load_err(&z, &l);
    assert_contains(&msg, &[&ipath, "corrupt gzip"]);
    let err = Dataset::from_idx_bytes(&i, b"\x1f\x8b\x08\x00garbage").unwrap_err();
    assert!(matches!(err, MnistError::Gzip { .. }), "{err:?}");
    assert!(err.to_string().starts_with("labels: corrupt gzip"), "{err}");
}

#[test]
fn missing_files_name_the_directory_and_the_names_tried() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let msg = Dataset::load_split(dir.path(), Split::Train)
        .unwrap_err()
        .to_string();
    assert_contains(
        &msg,
        &[
            &d,
            "train images",
            "train-images-idx3-ubyte.gz",
            "and train-images-idx3-ubyte",
        ],
    );
    assert!(!msg.contains("does not exist"), "{msg}");

    // Images present, labels missing.
    let (i, _) = valid();
    write(dir.path(), "t10k-images-idx3-ubyte.gz", &gz(&i));
    let msg = Dataset::load_split(dir.path(), Split::Test)
        .unwrap_err()
        .to_string();
    assert_contains(
        &msg,
        &[
            &d,
            "test labels",
            "t10k-labels-idx1-ubyte.gz",
            "t10k-labels-idx1-ubyte",
        ],
    );

    let gone = dir.path().join("no-such-dir");
    let msg = Dataset::load_split(&gone, Split::Test)
        .unwrap_err()
        .to_string();
    assert_contains(&msg, &[&gone.display().to_string(), "does not exist"]);

    let msg = Dataset::load(&gone.join("a"), &gone.join("b"))
        .unwrap_err()
        .to_string();
    assert_contains(
        &msg,
        &["cannot read", &gone.join("a").display().to_string()],
    );
}

#[test]
fn from_idx_bytes_names_images_and_labels() {
    let (i, l) = valid();
    let msg = Dataset::from_idx_bytes(&i[..20], &l)
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("images: truncated"), "{msg}");
    let msg = Dataset::from_idx_bytes(&i, &l[..3])
        .unwrap_err()
        .to_string();
    assert!(msg.starts_with("labels: truncated"), "{msg}");
}

// ----------------------------------------------------------- no panics

proptest! {
    #[test]
    fn arbitrary_bytes_do_not_panic(
        images in proptest::collection::vec(any::<u8>(), 0..64),
        labels in proptest::collection::vec(any::<u8>(), 0..64),
        gzip_magic in any::<bool>(),
    ) {
        let mut images = images;
        if gzip_magic {
            images.splice(0..0, [0x1f, 0x8b]);
        }
        let _ = Dataset::from_idx_bytes(&images, &labels);
    }

    #[test]
    fn every_strict_prefix_of_a_valid_file_is_an_error(
        cut_images in 0usize..34,
        cut_labels in 0usize..11,
        compress in any::<bool>(),
    ) {
        let (i, l) = valid();
        let (i, l) = if compress { (gz(&i), gz(&l)) } else { (i, l) };
        let cut_i = cut_images.min(i.len() - 1);
        let cut_l = cut_labels.min(l.len() - 1);
        prop_assert!(Dataset::from_idx_bytes(&i[..cut_i], &l).is_err());
        prop_assert!(Dataset::from_idx_bytes(&i, &l[..cut_l]).is_err());
    }

    #[test]
    fn mutated_headers_do_not_panic(
        header in proptest::collection::vec(any::<u8>(), 16),
        keep_magic in any::<bool>(),
        body in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let mut images = header.clone();
        if keep_magic {
            images[..4].copy_from_slice(&[0, 0, 8, 3]);
        }
        images.extend_from_slice(&body);
        let mut labels = header[..8].to_vec();
        if keep_magic {
            labels[..4].copy_from_slice(&[0, 0, 8, 1]);
        }
        labels.extend_from_slice(&body);
        if let Ok(d) = Dataset::from_idx_bytes(&images, &labels) {
            prop_assert_eq!(d.images().len(), d.len() * d.pixels());
            prop_assert!(d.labels().iter().all(|&l| l < 10));
        }
    }
}
