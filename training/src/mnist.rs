//! MNIST reader: the IDX file format, plain or gzip-compressed.
//!
//! The MNIST database of handwritten digits (LeCun, Bottou, Bengio and
//! Haffner, "Gradient-based learning applied to document recognition",
//! Proc. IEEE 86(11):2278–2324, 1998; files at
//! <http://yann.lecun.com/exdb/mnist/>) ships as four IDX files:
//!
//! | file                      | contents                     |
//! |---------------------------|------------------------------|
//! | `train-images-idx3-ubyte` | 60 000 training images       |
//! | `train-labels-idx1-ubyte` | their labels                 |
//! | `t10k-images-idx3-ubyte`  | 10 000 test images           |
//! | `t10k-labels-idx1-ubyte`  | their labels                 |
//!
//! usually each gzip-compressed with a `.gz` suffix. All integers in an IDX
//! header are 32-bit big-endian:
//!
//! * **images**: magic `0x00000803` (unsigned bytes, 3 dimensions), then the
//!   image count N, rows, cols, then N·rows·cols pixel bytes (0 = background,
//!   255 = ink), image after image, each row-major;
//! * **labels**: magic `0x00000801` (unsigned bytes, 1 dimension), then the
//!   count N, then N label bytes, each a digit 0–9.
//!
//! [`Dataset`] holds the images as `f32` pixels scaled to `[0, 1]`
//! (`byte / 255`) and the labels as `u8`. Every malformed input gives a
//! [`MnistError`] naming the file and what was expected; no input panics.
//!
//! ```
//! use xbar_training::mnist::Dataset;
//!
//! // Two 2×2 images and their labels, as IDX bytes.
//! let mut images = vec![0, 0, 0x08, 0x03, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 2];
//! images.extend_from_slice(&[0, 255, 51, 0, /* second image */ 255, 255, 0, 0]);
//! let labels = [0, 0, 0x08, 0x01, 0, 0, 0, 2, /* labels */ 7, 3];
//!
//! let data = Dataset::from_idx_bytes(&images, &labels)?;
//! assert_eq!(data.len(), 2);
//! assert_eq!(data.shape(), (2, 2));
//! assert_eq!(data.image(0), &[0.0, 1.0, 0.2, 0.0]);
//! assert_eq!(data.labels(), &[7, 3]);
//!
//! // A labels file where images are expected is named as such.
//! let err = Dataset::from_idx_bytes(&labels, &labels).unwrap_err();
//! assert!(err.to_string().contains("this is a labels file"));
//! # Ok::<(), xbar_training::mnist::MnistError>(())
//! ```

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

/// Magic number of an IDX file of unsigned bytes with 3 dimensions (images).
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic number of an IDX file of unsigned bytes with 1 dimension (labels).
pub const LABELS_MAGIC: u32 = 0x0000_0801;

const IMAGES_HEADER: usize = 16;
const LABELS_HEADER: usize = 8;
const CLASSES: u8 = 10;

/// Why an MNIST file could not be read.
#[derive(thiserror::Error, Debug)]
pub enum MnistError {
    /// The file could not be read from disk.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// [`Dataset::load_split`] found none of the file names it looked for.
    #[error(
        "no MNIST {what} file in `{}`: looked for {}{}",
        dir.display(),
        tried.join(" and "),
        if *dir_exists { "" } else { " (the directory does not exist)" }
    )]
    Missing {
        what: String,
        dir: PathBuf,
        dir_exists: bool,
        tried: Vec<String>,
    },
    /// The file starts like gzip but does not decompress.
    #[error("{file}: corrupt gzip data: {source}")]
    Gzip {
        file: String,
        #[source]
        source: io::Error,
    },
    /// The first four bytes are not the expected IDX magic number.
    #[error("{file}: bad magic number: found 0x{found:08x}, expected 0x{expected:08x} ({hint})")]
    BadMagic {
        file: String,
        found: u32,
        expected: u32,
        hint: &'static str,
    },
    /// The file is shorter than its header says.
    #[error("{file}: truncated: {what} needs {expected} bytes, found {found}")]
    Truncated {
        file: String,
        what: String,
        expected: u128,
        found: usize,
    },
    /// The file is longer than its header says.
    #[error("{file}: {what} needs {expected} bytes, found {found} (trailing data)")]
    TrailingData {
        file: String,
        what: String,
        expected: usize,
        found: usize,
    },
    /// An image dimension in the header is zero.
    #[error("{file}: image size is {rows}×{cols}, expected both dimensions > 0")]
    ZeroSize { file: String, rows: u32, cols: u32 },
    /// The images and labels files hold different numbers of items.
    #[error("count mismatch: {images_file} holds {images} images but {labels_file} holds {labels} labels")]
    CountMismatch {
        images_file: String,
        images: usize,
        labels_file: String,
        labels: usize,
    },
    /// A label is not a digit.
    #[error("{file}: label {label} at index {index}, expected 0–9")]
    BadLabel {
        file: String,
        index: usize,
        label: u8,
    },
}

/// Which of the two standard MNIST sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// 60 000 training images (`train-*`).
    Train,
    /// 10 000 test images (`t10k-*`).
    Test,
}

impl Split {
    /// Standard name of the images file, without the `.gz` suffix.
    pub fn images_file(self) -> &'static str {
        match self {
            Split::Train => "train-images-idx3-ubyte",
            Split::Test => "t10k-images-idx3-ubyte",
        }
    }

    /// Standard name of the labels file, without the `.gz` suffix.
    pub fn labels_file(self) -> &'static str {
        match self {
            Split::Train => "train-labels-idx1-ubyte",
            Split::Test => "t10k-labels-idx1-ubyte",
        }
    }
}

impl fmt::Display for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Split::Train => "train",
            Split::Test => "test",
        })
    }
}

/// Labelled images, `channels × rows × cols` each (MNIST: grey-scale,
/// one channel, pixels in `[0, 1]`, labels 0–9; other sets through
/// [`crate::datasets`]).
#[derive(Clone, PartialEq)]
pub struct Dataset {
    /// `len · channels · rows · cols` values, image after image, each
    /// channel-major then row-major.
    images: Vec<f32>,
    labels: Vec<u8>,
    channels: usize,
    rows: usize,
    cols: usize,
}

impl fmt::Debug for Dataset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dataset")
            .field("len", &self.len())
            .field("channels", &self.channels)
            .field("rows", &self.rows)
            .field("cols", &self.cols)
            .finish_non_exhaustive()
    }
}

impl Dataset {
    /// Parses an images file and a labels file held in memory; each may be
    /// plain IDX or gzip-compressed (recognised by its `1f 8b` magic).
    /// Errors name the files "images" and "labels".
    pub fn from_idx_bytes(images: &[u8], labels: &[u8]) -> Result<Dataset, MnistError> {
        Self::parse(images, "images", labels, "labels")
    }

    /// Reads an images file and a labels file, plain or gzip-compressed.
    /// Errors name the file by its path.
    pub fn load(images: &Path, labels: &Path) -> Result<Dataset, MnistError> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|source| MnistError::Io {
                path: path.to_path_buf(),
                source,
            })
        };
        let (image_bytes, label_bytes) = (read(images)?, read(labels)?);
        Self::parse(
            &image_bytes,
            &images.display().to_string(),
            &label_bytes,
            &labels.display().to_string(),
        )
    }

    /// Reads one standard split from `dir`, taking for each file the
    /// `.gz` name (e.g. `train-images-idx3-ubyte.gz`) if present, else the
    /// uncompressed one.
    pub fn load_split(dir: &Path, split: Split) -> Result<Dataset, MnistError> {
        let find = |name: &str, what: &str| {
            let tried = [format!("{name}.gz"), name.to_string()];
            tried
                .iter()
                .map(|n| dir.join(n))
                .find(|p| p.is_file())
                .ok_or_else(|| MnistError::Missing {
                    what: format!("{split} {what}"),
                    dir: dir.to_path_buf(),
                    dir_exists: dir.is_dir(),
                    tried: tried.to_vec(),
                })
        };
        let images = find(split.images_file(), "images")?;
        let labels = find(split.labels_file(), "labels")?;
        Self::load(&images, &labels)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Values per image, `channels · rows · cols` (MNIST: pixels).
    pub fn pixels(&self) -> usize {
        self.channels * self.rows * self.cols
    }

    /// `(rows, cols)` of every image.
    pub fn shape(&self) -> (usize, usize) {
        (self.rows, self.cols)
    }

    /// `channels × rows × cols` of every image.
    pub fn image_shape(&self) -> crate::graph::Shape {
        crate::graph::Shape::new(self.channels, self.rows, self.cols)
    }

    /// Images `channels × rows × cols` (values as they will be fed, image
    /// after image) and their labels. The caller checks the lengths.
    pub(crate) fn from_parts(
        images: Vec<f32>,
        labels: Vec<u8>,
        shape: crate::graph::Shape,
    ) -> Dataset {
        debug_assert_eq!(images.len(), labels.len() * shape.len());
        Dataset {
            images,
            labels,
            channels: shape.channels,
            rows: shape.height,
            cols: shape.width,
        }
    }

    /// The pixels of image `i`, row-major.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn image(&self, i: usize) -> &[f32] {
        assert!(
            i < self.len(),
            "image index {i} out of range for {} images",
            self.len()
        );
        let n = self.pixels();
        &self.images[i * n..(i + 1) * n]
    }

    /// The label of image `i`.
    ///
    /// # Panics
    /// If `i >= self.len()`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// All pixels, image after image (`len · pixels` values).
    pub fn images(&self) -> &[f32] {
        &self.images
    }

    /// All labels.
    pub fn labels(&self) -> &[u8] {
        &self.labels
    }

    /// The first `n` images (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Dataset {
        let n = n.min(self.len());
        Dataset {
            images: self.images[..n * self.pixels()].to_vec(),
            labels: self.labels[..n].to_vec(),
            channels: self.channels,
            rows: self.rows,
            cols: self.cols,
        }
    }

    /// The images at `indices`, in that order (repeats allowed).
    ///
    /// # Panics
    /// If an index is `>= self.len()`.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut images = Vec::with_capacity(indices.len() * self.pixels());
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            images.extend_from_slice(self.image(i));
            labels.push(self.labels[i]);
        }
        Dataset {
            images,
            labels,
            channels: self.channels,
            rows: self.rows,
            cols: self.cols,
        }
    }

    fn parse(
        images: &[u8],
        images_name: &str,
        labels: &[u8],
        labels_name: &str,
    ) -> Result<Dataset, MnistError> {
        let images = gunzip(images, images_name)?;
        let labels = gunzip(labels, labels_name)?;
        let (count, rows, cols, pixels) = parse_images(&images, images_name)?;
        let labels = parse_labels(&labels, labels_name)?;
        if count != labels.len() {
            return Err(MnistError::CountMismatch {
                images_file: images_name.to_string(),
                images: count,
                labels_file: labels_name.to_string(),
                labels: labels.len(),
            });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l >= CLASSES) {
            return Err(MnistError::BadLabel {
                file: labels_name.to_string(),
                index,
                label,
            });
        }
        Ok(Dataset {
            channels: 1,
            images: pixels.iter().map(|&b| f32::from(b) / 255.0).collect(),
            labels: labels.to_vec(),
            rows,
            cols,
        })
    }
}

/// Decompresses `bytes` if they start with the gzip magic `1f 8b`.
fn gunzip<'a>(bytes: &'a [u8], file: &str) -> Result<std::borrow::Cow<'a, [u8]>, MnistError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    MultiGzDecoder::new(bytes)
        .read_to_end(&mut out)
        .map_err(|source| MnistError::Gzip {
            file: file.to_string(),
            source,
        })?;
    Ok(std::borrow::Cow::Owned(out))
}

fn be_u32(bytes: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

/// Checks the magic number, then the length of the fixed header.
fn check_header(bytes: &[u8], file: &str, header: usize, expected: u32) -> Result<(), MnistError> {
    let images = expected == IMAGES_MAGIC;
    if bytes.len() >= 4 {
        let found = be_u32(bytes, 0);
        if found != expected {
            let hint = match (images, found) {
                (true, LABELS_MAGIC) => "this is a labels file, expected an images file",
                (false, IMAGES_MAGIC) => "this is an images file, expected a labels file",
                (true, _) => "not an IDX images file of unsigned bytes",
                (false, _) => "not an IDX labels file of unsigned bytes",
            };
            return Err(MnistError::BadMagic {
                file: file.to_string(),
                found,
                expected,
                hint,
            });
        }
    }
    if bytes.len() < header {
        let kind = if images { "images" } else { "labels" };
        return Err(MnistError::Truncated {
            file: file.to_string(),
            what: format!("the IDX {kind} header"),
            expected: header as u128,
            found: bytes.len(),
        });
    }
    Ok(())
}

/// Checks the total length against the header's declared item count.
fn check_length(
    bytes: &[u8],
    file: &str,
    header: usize,
    items: u128,
    what: String,
) -> Result<(), MnistError> {
    let expected = header as u128 + items;
    if (bytes.len() as u128) < expected {
        return Err(MnistError::Truncated {
            file: file.to_string(),
            what,
            expected,
            found: bytes.len(),
        });
    }
    if bytes.len() as u128 > expected {
        return Err(MnistError::TrailingData {
            file: file.to_string(),
            what,
            expected: expected as usize,
            found: bytes.len(),
        });
    }
    Ok(())
}

/// Returns `(count, rows, cols, pixel bytes)`.
fn parse_images<'a>(
    bytes: &'a [u8],
    file: &str,
) -> Result<(usize, usize, usize, &'a [u8]), MnistError> {
    check_header(bytes, file, IMAGES_HEADER, IMAGES_MAGIC)?;
    let (count, rows, cols) = (be_u32(bytes, 4), be_u32(bytes, 8), be_u32(bytes, 12));
    if rows == 0 || cols == 0 {
        return Err(MnistError::ZeroSize {
            file: file.to_string(),
            rows,
            cols,
        });
    }
    let items = u128::from(count) * u128::from(rows) * u128::from(cols);
    let what = format!("the header's {count} images of {rows}×{cols}");
    check_length(bytes, file, IMAGES_HEADER, items, what)?;
    // u32 -> usize: the crate targets 64-bit platforms.
    Ok((
        count as usize,
        rows as usize,
        cols as usize,
        &bytes[IMAGES_HEADER..],
    ))
}

fn parse_labels<'a>(bytes: &'a [u8], file: &str) -> Result<&'a [u8], MnistError> {
    check_header(bytes, file, LABELS_HEADER, LABELS_MAGIC)?;
    let count = be_u32(bytes, 4);
    let what = format!("the header's {count} labels");
    check_length(bytes, file, LABELS_HEADER, u128::from(count), what)?;
    Ok(&bytes[LABELS_HEADER..])
}
