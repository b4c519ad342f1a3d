//! The float type the kernels run in: `f32` for training and evaluation,
//! `f64` for the finite-difference gradient check.

/// `f32` or `f64`.
pub trait Real:
    num_traits::Float
    + std::ops::AddAssign
    + std::ops::SubAssign
    + std::ops::MulAssign
    + Send
    + Sync
    + Default
    + std::fmt::Debug
    + 'static
{
    /// From `f64` (rounded to nearest).
    fn of(x: f64) -> Self;
    /// To `f64` (exact).
    fn as_f64(self) -> f64;
}

impl Real for f32 {
    fn of(x: f64) -> Self {
        x as f32
    }
    fn as_f64(self) -> f64 {
        f64::from(self)
    }
}

impl Real for f64 {
    fn of(x: f64) -> Self {
        x
    }
    fn as_f64(self) -> f64 {
        self
    }
}
