//! Image sets other than MNIST: CIFAR-10/100 binary batches and NumPy
//! `.npz` files, and per-channel normalisation.
//!
//! * **CIFAR-10** (Krizhevsky, "Learning multiple layers of features from
//!   tiny images", 2009; `cifar-10-binary.tar.gz` from
//!   <https://www.cs.toronto.edu/~kriz/cifar.html>): `data_batch_1.bin` …
//!   `data_batch_5.bin` (training) and `test_batch.bin`, each record one
//!   label byte then 3 072 pixel bytes (the 32×32 red, green and blue
//!   planes, row-major). **CIFAR-100**: `train.bin` and `test.bin`, each
//!   record a coarse and a fine label byte (the fine one is used), then the
//!   pixels. Pixels are scaled to `[0, 1]` (`byte / 255`).
//! * **NumPy** `.npz` (`numpy.savez`): `images` (`N×C×H×W` or `N×H×W`;
//!   `uint8` scaled to `[0, 1]`, float fed as stored) and `labels` (`N`
//!   integers in `0..=255`), the test split; optional `train_images` and
//!   `train_labels` hold the training split.
//!
//! Every malformed file gives a [`DatasetError`] naming the file, the
//! record or array, and what was expected.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use crate::graph::Shape;
use crate::mnist::{Dataset, Split};

/// A data file that cannot be used: the file and what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}: {message}", file.display())]
pub struct DatasetError {
    /// The file (or directory).
    pub file: PathBuf,
    /// What was expected and found.
    pub message: String,
}

fn fail(file: &Path, message: impl Into<String>) -> DatasetError {
    DatasetError {
        file: file.to_path_buf(),
        message: message.into(),
    }
}

/// Which CIFAR set a directory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cifar {
    /// 10 classes, five training batches and a test batch.
    Ten,
    /// 100 classes (fine labels), `train.bin` and `test.bin`.
    Hundred,
}

impl Cifar {
    /// The CIFAR set in `dir`, if any of its files is there.
    pub fn detect(dir: &Path) -> Option<Cifar> {
        if dir.join("test_batch.bin").is_file() || dir.join("data_batch_1.bin").is_file() {
            Some(Cifar::Ten)
        } else if dir.join("test.bin").is_file() || dir.join("train.bin").is_file() {
            Some(Cifar::Hundred)
        } else {
            None
        }
    }

    fn files(self, split: Split) -> Vec<&'static str> {
        match (self, split) {
            (Cifar::Ten, Split::Train) => vec![
                "data_batch_1.bin",
                "data_batch_2.bin",
                "data_batch_3.bin",
                "data_batch_4.bin",
                "data_batch_5.bin",
            ],
            (Cifar::Ten, Split::Test) => vec!["test_batch.bin"],
            (Cifar::Hundred, Split::Train) => vec!["train.bin"],
            (Cifar::Hundred, Split::Test) => vec!["test.bin"],
        }
    }

    /// Label bytes before the pixels, the label used, and the classes.
    fn layout(self) -> (usize, usize, u8) {
        match self {
            Cifar::Ten => (1, 0, 10),
            Cifar::Hundred => (2, 1, 100),
        }
    }

    /// Reads one split from `dir`.
    ///
    /// # Errors
    /// A missing or unreadable file, a size that is not a whole number of
    /// records, a label out of range.
    pub fn load(self, dir: &Path, split: Split) -> Result<Dataset, DatasetError> {
        let (label_bytes, label_at, classes) = self.layout();
        let record = label_bytes + 3 * 32 * 32;
        let mut images = Vec::new();
        let mut labels = Vec::new();
        for name in self.files(split) {
            let file = dir.join(name);
            let bytes = std::fs::read(&file)
                .map_err(|e| fail(&file, format!("cannot read the CIFAR {split} batch: {e}")))?;
            if bytes.is_empty() || bytes.len() % record != 0 {
                return Err(fail(
                    &file,
                    format!(
                        "{} bytes are not a whole number of {record}-byte records ({label_bytes} label byte(s) + 3×32×32 pixels)",
                        bytes.len()
                    ),
                ));
            }
            for (r, rec) in bytes.chunks(record).enumerate() {
                let label = rec[label_at];
                if label >= classes {
                    return Err(fail(
                        &file,
                        format!(
                            "record {r}: label {label} is out of range 0..={}",
                            classes - 1
                        ),
                    ));
                }
                labels.push(label);
                images.extend(rec[label_bytes..].iter().map(|&b| f32::from(b) / 255.0));
            }
        }
        Ok(Dataset::from_parts(images, labels, Shape::new(3, 32, 32)))
    }
}

/// Reads one split of a NumPy `.npz` file (see the [module docs](self)).
///
/// # Errors
/// A missing or damaged file or array, a shape or type that is not an
/// image set, labels that do not match the images.
pub fn load_npz(file: &Path, split: Split) -> Result<Dataset, DatasetError> {
    let bytes = std::fs::read(file).map_err(|e| fail(file, format!("cannot read: {e}")))?;
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| fail(file, format!("not a NumPy .npz (zip) file: {e}")))?;
    let (images_key, labels_key) = match split {
        Split::Test => ("images", "labels"),
        Split::Train => ("train_images", "train_labels"),
    };
    let mut array = |key: &str| -> Result<npyz::NpyFile<Cursor<Vec<u8>>>, DatasetError> {
        let mut entry = zip.by_name(&format!("{key}.npy")).map_err(|_| {
            fail(
                file,
                format!(
                    "has no array '{key}' (the {split} split needs '{images_key}' and '{labels_key}'; numpy.savez(path, {images_key}=…, {labels_key}=…))"
                ),
            )
        })?;
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| fail(file, format!("array '{key}' cannot be read: {e}")))?;
        npyz::NpyFile::new(Cursor::new(data))
            .map_err(|e| fail(file, format!("array '{key}' is not a .npy array: {e}")))
    };
    let images = array(images_key)?;
    let labels = array(labels_key)?;
    let shape: Vec<u64> = images.shape().to_vec();
    let (n, image_shape) = match *shape.as_slice() {
        [n, h, w] => (n, Shape::new(1, h as usize, w as usize)),
        [n, c, h, w] => (n, Shape::new(c as usize, h as usize, w as usize)),
        _ => {
            return Err(fail(
                file,
                format!("'{images_key}' has shape {shape:?}; expected N×C×H×W or N×H×W"),
            ))
        }
    };
    if n == 0 || image_shape.is_empty() {
        return Err(fail(
            file,
            format!("'{images_key}' has shape {shape:?}; expected no dimension of 0"),
        ));
    }
    if images.order() != npyz::Order::C {
        return Err(fail(
            file,
            format!("'{images_key}' is in Fortran order; save it C-contiguous (numpy.ascontiguousarray)"),
        ));
    }
    let values = read_floats(images, file, images_key)?;
    if let Some(i) = values.iter().position(|v| !v.is_finite()) {
        return Err(fail(
            file,
            format!("'{images_key}' value {i} is NaN or infinite"),
        ));
    }
    if labels.shape().len() != 1 || labels.shape()[0] != n {
        return Err(fail(
            file,
            format!(
                "'{labels_key}' has shape {:?}; expected [{n}] (one label per image)",
                labels.shape()
            ),
        ));
    }
    let label_values = read_integers(labels, file, labels_key)?;
    let mut out = Vec::with_capacity(label_values.len());
    for (i, &l) in label_values.iter().enumerate() {
        match u8::try_from(l) {
            Ok(l) => out.push(l),
            Err(_) => {
                return Err(fail(
                    file,
                    format!("'{labels_key}'[{i}] is {l}; expected a class in 0..=255"),
                ))
            }
        }
    }
    Ok(Dataset::from_parts(values, out, image_shape))
}

fn read_floats(
    a: npyz::NpyFile<Cursor<Vec<u8>>>,
    file: &Path,
    key: &str,
) -> Result<Vec<f32>, DatasetError> {
    let dtype = a.dtype();
    let bad = |e: std::io::Error| fail(file, format!("'{key}': {e}"));
    let npyz::DType::Plain(ts) = &dtype else {
        return Err(fail(file, format!("'{key}' is a structured array")));
    };
    use npyz::TypeChar::{Float, Uint};
    match (ts.type_char(), ts.size_field()) {
        (Uint, 1) => Ok(a
            .into_vec::<u8>()
            .map_err(bad)?
            .into_iter()
            .map(|b| f32::from(b) / 255.0)
            .collect()),
        (Float, 4) => a.into_vec::<f32>().map_err(bad),
        (Float, 8) => Ok(a
            .into_vec::<f64>()
            .map_err(bad)?
            .into_iter()
            .map(|v| v as f32)
            .collect()),
        _ => Err(fail(
            file,
            format!("'{key}' has dtype {ts}; expected uint8, float32 or float64"),
        )),
    }
}

fn read_integers(
    a: npyz::NpyFile<Cursor<Vec<u8>>>,
    file: &Path,
    key: &str,
) -> Result<Vec<i64>, DatasetError> {
    let dtype = a.dtype();
    let bad = |e: std::io::Error| fail(file, format!("'{key}': {e}"));
    let npyz::DType::Plain(ts) = &dtype else {
        return Err(fail(file, format!("'{key}' is a structured array")));
    };
    use npyz::TypeChar::{Int, Uint};
    let widen = |v: Vec<i64>| Ok(v);
    match (ts.type_char(), ts.size_field()) {
        (Uint, 1) => widen(
            a.into_vec::<u8>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (Uint, 2) => widen(
            a.into_vec::<u16>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (Uint, 4) => widen(
            a.into_vec::<u32>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (Uint, 8) => widen(
            a.into_vec::<u64>()
                .map_err(bad)?
                .into_iter()
                .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
                .collect(),
        ),
        (Int, 1) => widen(
            a.into_vec::<i8>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (Int, 2) => widen(
            a.into_vec::<i16>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (Int, 4) => widen(
            a.into_vec::<i32>()
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ),
        (Int, 8) => a.into_vec::<i64>().map_err(bad),
        _ => Err(fail(
            file,
            format!("'{key}' has dtype {ts}; expected integers"),
        )),
    }
}

/// Reads one split from `path`: an `.npz` file, a CIFAR-10/100 binary
/// directory, or an MNIST IDX directory (the default when neither CIFAR
/// file is there).
///
/// # Errors
/// As the format's reader; MNIST errors as [`DatasetError`] text.
pub fn load(path: &Path, split: Split) -> Result<Dataset, DatasetError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("npz"))
    {
        return load_npz(path, split);
    }
    if let Some(cifar) = Cifar::detect(path) {
        return cifar.load(path, split);
    }
    Dataset::load_split(path, split).map_err(|e| DatasetError {
        file: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// Per-channel normalisation `x' = (x − mean[c]) / std[c]` (torchvision's
/// `Normalize`), applied to every image.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Normalisation {
    /// One mean per channel.
    pub mean: Vec<f64>,
    /// One standard deviation per channel (> 0).
    pub std: Vec<f64>,
}

impl Normalisation {
    /// The normalised set.
    ///
    /// # Errors
    /// Not one mean and one std (> 0, finite) per channel, named by key.
    pub fn apply(&self, data: &Dataset) -> Result<Dataset, (&'static str, String)> {
        let shape = data.image_shape();
        for (key, v) in [("mean", &self.mean), ("std", &self.std)] {
            if v.len() != shape.channels {
                return Err((
                    key,
                    format!(
                        "expected {} values (one per channel of the {shape} images), found {}",
                        shape.channels,
                        v.len()
                    ),
                ));
            }
        }
        if let Some(s) = self.std.iter().find(|s| !(s.is_finite() && **s > 0.0)) {
            return Err(("std", format!("expected finite values > 0, found {s}")));
        }
        if let Some(m) = self.mean.iter().find(|m| !m.is_finite()) {
            return Err(("mean", format!("expected finite values, found {m}")));
        }
        let plane = shape.pixels();
        let images = data
            .images()
            .chunks(plane)
            .enumerate()
            .flat_map(|(k, px)| {
                let c = k % shape.channels;
                let (m, s) = (self.mean[c], self.std[c]);
                px.iter().map(move |&v| ((f64::from(v) - m) / s) as f32)
            })
            .collect();
        Ok(Dataset::from_parts(images, data.labels().to_vec(), shape))
    }
}
