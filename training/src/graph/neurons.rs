//! Neurons with a state that lives across time steps: leaky integrators
//! and leaky integrate-and-fire (LIF) neurons, one per value of their
//! input.
//!
//! In discrete time with step `Δt` (Euler, as snnTorch, Norse and the NIR
//! reference simulate `τ·dv/dt = (v_leak − v) + R·I`):
//!
//! ```text
//! leaky integrator:  v[t] = β·v[t−1] + g·x[t] + b
//! LIF:               u[t] = β·u[t−1] + g·x[t] + b − θ·s[t−1]     (reset by subtraction)
//!                    u[t] = β·u[t−1]·(1 − s[t−1]) + g·x[t] + b  (reset to zero)
//!                    s[t] = H(u[t] − θ)
//! ```
//!
//! with `β = 1 − Δt/τ`, `g = R·Δt/τ`, `b = v_leak·Δt/τ`. snnTorch's
//! `Leaky(beta)` is `β`, `g = 1`, `b = 0` with reset by subtraction
//! (Eshraghian et al., Proc. IEEE 111(9), 2023, eq. 4); the state starts
//! at 0. Every parameter holds one value for all neurons, one per channel,
//! or one per neuron ([`Leak::at`]).
//!
//! Training back-propagates through time with a surrogate for `dH/du`
//! ([`Surrogate`](crate::Surrogate)); with a detached reset (snnTorch's
//! default) `θ·s[t−1]` is a constant of the backward pass.

use super::Shape;

/// A leak: `v[t] = β·v[t−1] + g·x[t] + b`.
#[derive(Debug, Clone, PartialEq)]
pub struct Leak {
    /// `β`, the decay per step, in `[0, 1]`.
    pub decay: Vec<f64>,
    /// `g`, the input gain.
    pub gain: Vec<f64>,
    /// `b`, the constant drive per step.
    pub bias: Vec<f64>,
}

impl Leak {
    /// snnTorch's `Leaky(beta)`: `β`, gain 1, no drive.
    pub fn snntorch(beta: f64) -> Leak {
        Leak {
            decay: vec![beta],
            gain: vec![1.0],
            bias: vec![0.0],
        }
    }

    /// `(β, g, b)` of neuron `i` of a population shaped `shape`.
    pub fn at(&self, shape: Shape, i: usize) -> (f64, f64, f64) {
        (
            broadcast(&self.decay, shape, i),
            broadcast(&self.gain, shape, i),
            broadcast(&self.bias, shape, i),
        )
    }

    /// What is wrong with it for a population shaped `shape`.
    pub(crate) fn check(&self, shape: Shape) -> Result<(), String> {
        for (name, v) in [
            ("decay", &self.decay),
            ("gain", &self.gain),
            ("bias", &self.bias),
        ] {
            check_len(name, v, shape)?;
        }
        if let Some(b) = self.decay.iter().find(|b| !(0.0..=1.0).contains(*b)) {
            return Err(format!("expected a decay β in [0, 1], found {b}"));
        }
        Ok(())
    }
}

/// What a spike does to the membrane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reset {
    /// `θ` is subtracted at the next step (snnTorch's default).
    Subtract,
    /// The membrane restarts from 0 at the next step.
    Zero,
}

/// Leaky integrate-and-fire neurons (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq)]
pub struct Lif {
    /// The membrane's leak.
    pub leak: Leak,
    /// Firing threshold `θ` (> 0).
    pub threshold: Vec<f64>,
    /// What a spike does to the membrane.
    pub reset: Reset,
}

impl Lif {
    /// snnTorch's `Leaky(beta, threshold)` with reset by subtraction.
    pub fn snntorch(beta: f64, threshold: f64) -> Lif {
        Lif {
            leak: Leak::snntorch(beta),
            threshold: vec![threshold],
            reset: Reset::Subtract,
        }
    }

    pub(crate) fn check(&self, shape: Shape) -> Result<(), String> {
        self.leak.check(shape)?;
        check_len("threshold", &self.threshold, shape)?;
        if let Some(t) = self
            .threshold
            .iter()
            .find(|t| !(**t > 0.0 && t.is_finite()))
        {
            return Err(format!("expected a threshold > 0, found {t}"));
        }
        Ok(())
    }
}

fn check_len(name: &str, v: &[f64], shape: Shape) -> Result<(), String> {
    if ![1, shape.channels, shape.len()].contains(&v.len()) {
        return Err(format!(
            "expected 1, {} (per channel) or {} (per neuron) values of {name} for {shape}, found {}",
            shape.channels,
            shape.len(),
            v.len()
        ));
    }
    if v.iter().any(|x| !x.is_finite()) {
        return Err(format!("a value of {name} is NaN or infinite"));
    }
    Ok(())
}

/// Value `i` of a parameter given once, per channel or per neuron.
fn broadcast(v: &[f64], shape: Shape, i: usize) -> f64 {
    match v.len() {
        1 => v[0],
        n if n == shape.len() => v[i],
        _ => v[i / shape.pixels()],
    }
}

/// One population's state: the membrane after the last step and its
/// spikes.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    pub u: Vec<f64>,
    pub s: Vec<f64>,
}

/// One step of a leaky integrator: returns `v[t]`.
pub(crate) fn leak_step(leak: &Leak, shape: Shape, x: &[f64], state: &mut State) -> Vec<f64> {
    if state.u.is_empty() {
        state.u = vec![0.0; x.len()];
    }
    for (i, (u, &x)) in state.u.iter_mut().zip(x).enumerate() {
        let (b, g, c) = leak.at(shape, i);
        *u = b * *u + g * x + c;
    }
    state.u.clone()
}

/// One step of LIF neurons: returns the spikes `s[t]` (with `smooth`, the
/// surrogate's antiderivative instead of `H`, for gradient checks) and
/// leaves `u[t]` in the state.
pub(crate) fn lif_step(
    lif: &Lif,
    shape: Shape,
    x: &[f64],
    state: &mut State,
    smooth: Option<&crate::Surrogate>,
) -> Vec<f64> {
    if state.u.is_empty() {
        state.u = vec![0.0; x.len()];
        state.s = vec![0.0; x.len()];
    }
    for (i, ((u, s), &x)) in state.u.iter_mut().zip(&mut state.s).zip(x).enumerate() {
        let (b, g, c) = lif.leak.at(shape, i);
        let theta = threshold(lif, shape, i);
        let v = match lif.reset {
            Reset::Subtract => b * *u + g * x + c - theta * *s,
            Reset::Zero => b * *u * (1.0 - *s) + g * x + c,
        };
        *u = v;
        *s = match smooth {
            None => f64::from(u8::from(v > theta)),
            Some(sg) => sg.smooth_step(v - theta),
        };
    }
    state.s.clone()
}

/// The threshold of neuron `i` of a population shaped `shape`.
pub(crate) fn threshold(lif: &Lif, shape: Shape, i: usize) -> f64 {
    broadcast(&lif.threshold, shape, i)
}
