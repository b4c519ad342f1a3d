//! Adam (Kingma & Ba, ICLR 2015), the update PyTorch's `torch.optim.Adam`
//! makes with `weight_decay = 0`:
//!
//! ```text
//! m ← β₁·m + (1−β₁)·g        v ← β₂·v + (1−β₂)·g²
//! θ ← θ − lr · (m/(1−β₁ᵗ)) / (√(v/(1−β₂ᵗ)) + ε)
//! ```

use serde::{Deserialize, Serialize};

use crate::network::Layer;
use crate::real::Real;

/// Adam's hyper-parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AdamConfig {
    /// Step size `lr`.
    pub learning_rate: f64,
    /// `β₁`.
    pub beta1: f64,
    /// `β₂`.
    pub beta2: f64,
    /// `ε`.
    pub epsilon: f64,
}

impl Default for AdamConfig {
    fn default() -> Self {
        AdamConfig {
            learning_rate: 5e-4,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
        }
    }
}

/// Adam's state for one network, its moments in `F` (`f32` for dense
/// networks, `f64` for graphs).
#[derive(Debug, Clone)]
pub struct Adam<F = f32> {
    config: AdamConfig,
    step: i32,
    m: Vec<Vec<F>>,
    v: Vec<Vec<F>>,
}

impl Adam<f32> {
    /// Zero moments for `layers`.
    pub fn new(config: AdamConfig, layers: &[Layer<f32>]) -> Self {
        let sizes: Vec<usize> = layers
            .iter()
            .flat_map(|l| [l.weights.len(), l.bias.len()])
            .collect();
        Adam::for_sizes(config, &sizes)
    }

    /// One update of `layers` with gradients `grads` (same shapes), with
    /// the step size scaled by `lr_scale` (a schedule).
    pub fn step(&mut self, layers: &mut [Layer<f32>], grads: &[Layer<f32>], lr_scale: f64) {
        let params = layers
            .iter_mut()
            .flat_map(|l| [&mut l.weights[..], &mut l.bias[..]]);
        let gradients = grads.iter().flat_map(|g| [&g.weights[..], &g.bias[..]]);
        self.update(params, gradients, lr_scale);
    }
}

impl<F: Real> Adam<F> {
    /// Zero moments for parameter blocks of `sizes`.
    pub fn for_sizes(config: AdamConfig, sizes: &[usize]) -> Self {
        Adam {
            config,
            step: 0,
            m: sizes.iter().map(|&n| vec![F::zero(); n]).collect(),
            v: sizes.iter().map(|&n| vec![F::zero(); n]).collect(),
        }
    }

    /// One update of the parameter blocks `params` with their gradients.
    pub fn update<'a>(
        &mut self,
        params: impl Iterator<Item = &'a mut [F]>,
        grads: impl Iterator<Item = &'a [F]>,
        lr_scale: f64,
    ) {
        self.step += 1;
        let c = self.config;
        let bias1 = 1.0 - c.beta1.powi(self.step);
        let bias2 = 1.0 - c.beta2.powi(self.step);
        let lr = F::of(c.learning_rate * lr_scale / bias1);
        let inv_bias2 = F::of(1.0 / bias2);
        let (b1, b2, eps) = (F::of(c.beta1), F::of(c.beta2), F::of(c.epsilon));
        for (((p, g), m), v) in params
            .zip(grads)
            .zip(self.m.iter_mut())
            .zip(self.v.iter_mut())
        {
            for k in 0..p.len() {
                m[k] = b1 * m[k] + (F::one() - b1) * g[k];
                v[k] = b2 * v[k] + (F::one() - b2) * g[k] * g[k];
                p[k] -= lr * m[k] / ((v[k] * inv_bias2).sqrt() + eps);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_step_moves_each_parameter_by_lr_against_the_gradient_sign() {
        // Bias-corrected first step: m̂ = g, v̂ = g², update = lr·g/(|g|+ε).
        let mut layers = vec![Layer::<f32> {
            inputs: 1,
            outputs: 2,
            weights: vec![1.0, -2.0],
            bias: vec![0.5, 0.0],
        }];
        let grads = vec![Layer::<f32> {
            inputs: 1,
            outputs: 2,
            weights: vec![3.0, -0.01],
            bias: vec![1e-3, 0.0],
        }];
        let mut adam = Adam::new(
            AdamConfig {
                learning_rate: 0.1,
                ..Default::default()
            },
            &layers,
        );
        adam.step(&mut layers, &grads, 1.0);
        assert!((layers[0].weights[0] - 0.9).abs() < 1e-6);
        assert!((layers[0].weights[1] + 1.9).abs() < 1e-6);
        assert!((layers[0].bias[0] - 0.4).abs() < 1e-4);
        assert_eq!(layers[0].bias[1], 0.0);
        // Second step with the same gradient: still ≈ lr per step.
        adam.step(&mut layers, &grads, 1.0);
        assert!((layers[0].weights[0] - 0.8).abs() < 1e-5);
    }
}
