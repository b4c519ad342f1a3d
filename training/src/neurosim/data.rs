//! The protocol's inputs: MNIST cropped and binarised.

use super::config::bad;
use crate::mnist::Dataset;
use crate::train::TrainError;

/// Binarised central crops: per image, the indices of its active inputs.
#[derive(Debug, Clone)]
pub struct BinaryImages {
    active: Vec<Vec<u16>>,
    labels: Vec<u8>,
    inputs: usize,
}

impl BinaryImages {
    /// The central `crop × crop` pixels of each image of `data`, 1 where
    /// `pixel ≥ threshold`.
    ///
    /// # Errors
    /// Images smaller than the crop.
    pub fn new(data: &Dataset, crop: usize, threshold: f64) -> Result<Self, TrainError> {
        let (rows, cols) = data.shape();
        if rows < crop || cols < crop {
            return Err(TrainError::Data(format!(
                "images are {rows}×{cols} pixels, smaller than the {crop}×{crop} crop"
            )));
        }
        if crop * crop > usize::from(u16::MAX) {
            return Err(bad("crop", format!("expected at most 255, found {crop}")));
        }
        let (r0, c0) = ((rows - crop) / 2, (cols - crop) / 2);
        let active = (0..data.len())
            .map(|i| {
                let img = data.image(i);
                let mut on = Vec::new();
                for r in 0..crop {
                    for c in 0..crop {
                        if f64::from(img[(r0 + r) * cols + c0 + c]) >= threshold {
                            on.push((r * crop + c) as u16);
                        }
                    }
                }
                on
            })
            .collect();
        Ok(BinaryImages {
            active,
            labels: data.labels().to_vec(),
            inputs: crop * crop,
        })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The active inputs of image `i`.
    pub fn active(&self, i: usize) -> &[u16] {
        &self.active[i]
    }

    /// The label of image `i`.
    pub fn label(&self, i: usize) -> u8 {
        self.labels[i]
    }

    /// Inputs per image, `crop²`.
    pub fn inputs(&self) -> usize {
        self.inputs
    }
}
