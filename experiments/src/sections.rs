//! Config sections read by more than one kind: `[array]` and `[data]`.
//! Their physical contents are the physics crates' own types, flattened
//! into the section: [`Wires`] (`r_wire_ohm`, `r_wordline_ohm`, …) and
//! [`Converters`] (`dac_bits`, `adc_bits`, `read_voltage_v`) are declared
//! and validated once, in `xbar-crossbar`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use xbar_crossbar::slicing::Slicing;
use xbar_crossbar::{Converters, Solver, Wires};
use xbar_devices::DeviceSpec;
use xbar_training::{ArrayConfig, NetworkConfig};

use crate::error::FieldError;

/// `[array]`: the physical arrays, their wires, converters and solver.
///
/// ```toml
/// [array]
/// size = 128            # or rows = 128, cols = 256
/// r_wire_ohm = 2.5      # or r_wordline_ohm / r_bitline_ohm
/// r_source_ohm = 100.0
/// r_sense_ohm = 50.0
/// dac_bits = 8          # inference-drift
/// adc_bits = 8
/// read_voltage_v = 0.2
/// solver = "auto"       # auto | ideal | exact | transfer
///
/// [array.mapping]       # optional: bit-sliced weights (network reads)
/// bits_per_cell = 2
/// cells_per_weight = 4
/// adc_bits = 6          # per slice
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "ArrayKeys")]
pub struct ArraySection {
    /// Square arrays of `size × size` (or give `rows` and `cols`).
    pub size: Option<usize>,
    /// Word lines per array.
    pub rows: Option<usize>,
    /// Bit lines per array.
    pub cols: Option<usize>,
    /// Wire, driver and sense resistances.
    #[serde(flatten)]
    pub wires: Wires,
    /// DAC and ADC resolutions and the read voltage.
    #[serde(flatten)]
    pub converters: Converters,
    /// How the currents are computed.
    pub solver: Solver,
    /// Input vectors per array (`crossbar-ir-drop`).
    pub vectors: usize,
    /// Global drift compensation of each array's outputs (`inference-drift`).
    pub drift_compensation: bool,
    /// `[array.mapping]`: bit-sliced weights, bit-serial inputs and an ADC
    /// per slice for network reads ([`Slicing`]; absent: one weight per
    /// differential pair, one multi-level read per product).
    pub mapping: Option<Slicing>,
}

impl Default for ArraySection {
    fn default() -> Self {
        ArraySection {
            size: None,
            rows: None,
            cols: None,
            wires: Wires::default(),
            converters: Converters::default(),
            solver: Solver::Auto,
            vectors: 64,
            drift_compensation: true,
            mapping: None,
        }
    }
}

/// `[array]` as written: the section's keys, the flattened physics types,
/// and whatever else the file has (refused, with serde's wording so that
/// the config error names the key and suggests the nearest one).
#[derive(Deserialize)]
struct ArrayKeys {
    size: Option<usize>,
    rows: Option<usize>,
    cols: Option<usize>,
    #[serde(flatten)]
    wires: Wires,
    #[serde(flatten)]
    converters: Converters,
    solver: Option<Solver>,
    vectors: Option<usize>,
    drift_compensation: Option<bool>,
    mapping: Option<Slicing>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

impl TryFrom<ArrayKeys> for ArraySection {
    type Error = String;

    fn try_from(k: ArrayKeys) -> Result<Self, String> {
        if let Some(key) = k.unknown.keys().next() {
            let expected: Vec<String> = ArraySection::keys()
                .iter()
                .map(|k| format!("`{k}`"))
                .collect();
            return Err(format!(
                "unknown field `{key}`, expected one of {}",
                expected.join(", ")
            ));
        }
        let d = ArraySection::default();
        Ok(ArraySection {
            size: k.size,
            rows: k.rows,
            cols: k.cols,
            wires: k.wires,
            converters: k.converters,
            solver: k.solver.unwrap_or(d.solver),
            vectors: k.vectors.unwrap_or(d.vectors),
            drift_compensation: k.drift_compensation.unwrap_or(d.drift_compensation),
            mapping: k.mapping,
        })
    }
}

/// The keys `[array]` itself declares (the rest come from [`Wires`] and
/// [`Converters`]).
const ARRAY_KEYS: [&str; 7] = [
    "size",
    "rows",
    "cols",
    "solver",
    "vectors",
    "drift_compensation",
    "mapping",
];

impl ArraySection {
    /// `(rows, cols)`: `size` for both, else `rows`/`cols`, else 256 × 256.
    pub fn shape(&self) -> (usize, usize) {
        let n = self.size.unwrap_or(256);
        (self.rows.unwrap_or(n), self.cols.unwrap_or(n))
    }

    /// Every key `[array]` accepts.
    pub fn keys() -> Vec<&'static str> {
        ARRAY_KEYS
            .iter()
            .chain(Wires::KEYS)
            .chain(Converters::KEYS)
            .copied()
            .collect()
    }

    /// The shape, and the wires and converters (by their own
    /// validation), each at its `array.<key>` path.
    ///
    /// # Errors
    /// The first problem.
    pub fn check(&self) -> Result<(), FieldError> {
        if self.size.is_some() && (self.rows.is_some() || self.cols.is_some()) {
            return Err(FieldError::at(
                "array",
                "size",
                "give either `size` (square arrays) or `rows` and `cols`, not both",
            ));
        }
        let (rows, cols) = self.shape();
        for (field, n) in [
            ("size", self.size),
            ("rows", Some(rows)),
            ("cols", Some(cols)),
        ] {
            if n == Some(0) {
                return Err(FieldError::at(
                    "array",
                    field,
                    "expected at least 1, found 0",
                ));
            }
        }
        if let Some(m) = &self.mapping {
            let c = m.columns_per_weight();
            if cols < c {
                let field = if self.cols.is_some() { "cols" } else { "size" };
                return Err(FieldError::at(
                    "array",
                    field,
                    format!(
                        "expected at least the {c} columns of one sliced weight (array.mapping), found {cols}"
                    ),
                ));
            }
        }
        self.wires.validate().map_err(|e| crossbar_field(&e))?;
        self.converters.validate().map_err(|e| crossbar_field(&e))?;
        crate::error::at_least_one("array.vectors", self.vectors, "input vector")
    }

    /// The memory of solving `batch` input vectors on one array of this
    /// shape by its solver, against what the machine has (see
    /// [`crate::resources`]), at the key that set the shape.
    ///
    /// # Errors
    /// A shape that cannot fit.
    pub fn check_memory(&self, batch: usize) -> Result<(), FieldError> {
        let (rows, cols) = self.shape();
        let field = if self.size.is_some() || (self.rows.is_none() && self.cols.is_none()) {
            "array.size"
        } else if self.rows.is_some() {
            "array.rows"
        } else {
            "array.cols"
        };
        crate::resources::check_memory(
            field,
            self.solver.memory_bytes(rows, cols, batch),
            &format!("to solve one {rows}×{cols} array"),
        )
    }

    /// The arrays of a network on `device`.
    pub fn array_config(&self, device: &DeviceSpec) -> ArrayConfig {
        let (tile_rows, tile_cols) = self.shape();
        ArrayConfig {
            device: device.clone(),
            tile_rows,
            tile_cols,
            wires: self.wires,
            converters: self.converters,
            drift_compensation: self.drift_compensation,
            solver: self.solver,
            mapping: self.mapping,
        }
    }
}

/// A crossbar validation error at its `array.<key>` path.
pub fn crossbar_field(e: &xbar_crossbar::CrossbarError) -> FieldError {
    match e {
        xbar_crossbar::CrossbarError::InvalidParameter { field, message } => {
            FieldError::at("array", field, message.clone())
        }
        other => FieldError::new("array", other.to_string()),
    }
}

/// `[network]` on MNIST: the network's own checks, and 784 inputs
/// (28×28 images), each at its `network.<key>` path.
///
/// # Errors
/// The first field that breaks a constraint.
pub fn check_network(n: &NetworkConfig) -> Result<(), FieldError> {
    n.validate()
        .map_err(|e| FieldError::at("network", e.field, e.message.clone()))?;
    if !n.layers.is_empty() {
        // Checked against the data's image shape: `check_layers`.
        return Ok(());
    }
    crate::resources::check_memory(
        "network.sizes",
        n.training_memory_bytes(1),
        &format!("for a network of {} parameters", n.parameter_count()),
    )?;
    if n.sizes.first() != Some(&784) {
        return Err(FieldError::new(
            "network.sizes",
            format!(
                "expected 784 inputs (28×28 MNIST images) first, found {:?}",
                n.sizes
            ),
        ));
    }
    Ok(())
}

/// A network of `layers` on the data's `image` shape: each layer fits,
/// and training it on batches of `batch_size` fits in memory.
///
/// # Errors
/// The first layer that does not fit (at `network.layers`), or the memory
/// estimate.
pub fn check_layers(
    n: &NetworkConfig,
    image: xbar_training::graph::Shape,
    batch_size: usize,
) -> Result<(), FieldError> {
    if n.layers.is_empty() {
        return Ok(());
    }
    let graph = xbar_training::graph::Graph::build(image, &n.layers, n, 0).map_err(|e| {
        FieldError::at(
            "network",
            "layers",
            format!("layer {e} (on {image} images)"),
        )
    })?;
    crate::resources::check_memory(
        "network.layers",
        graph.training_memory_bytes(batch_size),
        &format!(
            "for a network of {} parameters on {image} images",
            graph.parameter_count()
        ),
    )
}

/// `[data]`: the built-in MNIST subset, or the user's images (see
/// [`crate::data`]), with optional per-channel normalisation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DataSection {
    /// A directory of MNIST IDX files (gzip or plain) or CIFAR-10/100
    /// binary batches, or a NumPy `.npz` file, relative to the config
    /// file; none = the built-in subset (6 000 / 1 000 images).
    pub dir: Option<PathBuf>,
    /// Use the first N training images.
    pub train_limit: Option<usize>,
    /// Use the first N test images.
    pub test_limit: Option<usize>,
    /// Per-channel means subtracted from every image (with `std`:
    /// torchvision's `Normalize(mean, std)`, as the model was trained).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<Vec<f64>>,
    /// Per-channel standard deviations the images are divided by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<Vec<f64>>,
}

impl DataSection {
    /// The normalisation `mean`/`std` ask for, if any.
    pub fn normalisation(&self) -> Option<xbar_training::datasets::Normalisation> {
        match (&self.mean, &self.std) {
            (Some(mean), Some(std)) => Some(xbar_training::datasets::Normalisation {
                mean: mean.clone(),
                std: std.clone(),
            }),
            _ => None,
        }
    }
}

impl DataSection {
    /// The limits, each at its `data.<key>` path: a limit of 0 images
    /// would give a table of meaningless accuracies.
    ///
    /// # Errors
    /// A limit of 0.
    pub fn check(&self) -> Result<(), FieldError> {
        match (&self.mean, &self.std) {
            (Some(_), None) => {
                return Err(FieldError::at(
                    "data",
                    "std",
                    "missing: `mean` needs `std` (one per channel) beside it",
                ))
            }
            (None, Some(_)) => {
                return Err(FieldError::at(
                    "data",
                    "mean",
                    "missing: `std` needs `mean` (one per channel) beside it",
                ))
            }
            _ => {}
        }
        for (field, limit) in [
            ("train_limit", self.train_limit),
            ("test_limit", self.test_limit),
        ] {
            if limit == Some(0) {
                return Err(FieldError::at(
                    "data",
                    field,
                    "expected at least 1 image, found 0 (remove the key to use every image)",
                ));
            }
        }
        Ok(())
    }
}
