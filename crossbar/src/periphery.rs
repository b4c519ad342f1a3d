//! The array's periphery: a DAC drives the word lines, an ADC reads the bit
//! lines.
//!
//! Both are the same signed, symmetric, uniform mid-tread quantiser of `b`
//! bits over a full scale `±F` (`F = v_max` volts for the DAC, `F = i_max`
//! amperes for the ADC), the "restricted range" convention of integer
//! quantisation (R. Krishnamoorthi, *Quantizing deep convolutional networks
//! for efficient inference: A whitepaper*, arXiv:1806.08342, 2018, §2.2):
//!
//! ```text
//! L = 2^(b−1) − 1,   Δ = F / L,
//! q(x) = Δ · round(clip(x, −F, F) / Δ),   round half away from zero,
//! ```
//!
//! so the output is one of the `2L + 1 = 2^b − 1` levels `k·Δ`,
//! `k ∈ {−L, …, L}`: zero is exact, the range is symmetric, and inside it
//! the error is at most `Δ/2`. Inputs beyond `±F` clip to `±L·Δ = ±F`.
//! `b` must be in `2..=24` (one bit leaves no non-zero level).

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{CrossbarError, Result};

/// The quantiser shared by [`Dac`] and [`Adc`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct Quantizer {
    bits: u32,
    full_scale: f64,
    max_level: f64,
    step: f64,
}

impl Quantizer {
    const BITS: std::ops::RangeInclusive<u32> = 2..=24;

    /// The one check of a converter resolution; `field` names it in the
    /// error.
    fn check_bits(field: &str, bits: u32) -> Result<()> {
        if !Self::BITS.contains(&bits) {
            return Err(CrossbarError::invalid(
                field,
                format!(
                    "expected an integer in {}..={} (a signed converter needs a sign bit), found {bits}",
                    Self::BITS.start(),
                    Self::BITS.end()
                ),
            ));
        }
        Ok(())
    }

    /// `section` is `"dac"` or `"adc"`, `range` the full-scale field name.
    fn new(section: &str, range: &str, unit: &str, bits: u32, full_scale: f64) -> Result<Self> {
        Self::check_bits(&format!("{section}.bits"), bits)?;
        if !(full_scale.is_finite() && full_scale > 0.0) {
            return Err(CrossbarError::invalid(
                format!("{section}.{range}"),
                format!("expected a finite full scale > 0 {unit}, found {full_scale}"),
            ));
        }
        let max_level = f64::from((1u32 << (bits - 1)) - 1);
        Ok(Quantizer {
            bits,
            full_scale,
            max_level,
            step: full_scale / max_level,
        })
    }

    fn quantize(&self, x: f64) -> f64 {
        let clipped = x.clamp(-self.full_scale, self.full_scale);
        (clipped / self.step)
            .round()
            .clamp(-self.max_level, self.max_level)
            * self.step
    }

    fn levels(&self) -> usize {
        (1usize << self.bits) - 1
    }

    /// Quantised copy and the number of entries with `|x| > F`; `what`
    /// names the matrix in the error for a non-finite entry.
    fn convert(&self, what: &str, unit: &str, x: &DMatrix<f64>) -> Result<(DMatrix<f64>, usize)> {
        check_finite(what, unit, x)?;
        let clipped = x.iter().filter(|v| v.abs() > self.full_scale).count();
        Ok((x.map(|v| self.quantize(v)), clipped))
    }
}

fn check_finite(what: &str, unit: &str, x: &DMatrix<f64>) -> Result<()> {
    if let Some(k) = x.iter().position(|v| !v.is_finite()) {
        let (r, c) = (k % x.nrows(), k / x.nrows());
        return Err(CrossbarError::invalid(
            format!("{what}[{r},{c}]"),
            format!("expected a finite {unit}, found {}", x[(r, c)]),
        ));
    }
    Ok(())
}

/// Input digital-to-analog converter: word-line voltages on `2^bits − 1`
/// levels over `±v_max` volts (see the [module docs](self)).
///
/// Serialises as `{ bits, v_max }` (volts); deserialising validates.
///
/// ```
/// use nalgebra::dmatrix;
/// use xbar_crossbar::periphery::Dac;
///
/// let dac = Dac::new(3, 0.3)?;                  // levels k·0.1 V, k = −3..=3
/// assert_eq!(dac.levels(), 7);
/// let v = dac.convert(&dmatrix![0.149, -0.26, 0.9])?;
/// assert!((v - dmatrix![0.1, -0.3, 0.3]).abs().max() < 1e-15);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DacSpec", into = "DacSpec")]
pub struct Dac {
    q: Quantizer,
}

impl Dac {
    /// A `bits`-bit DAC (`bits` in `2..=24`) with full scale `±v_max` volts
    /// (`v_max` finite, > 0).
    pub fn new(bits: u32, v_max: f64) -> Result<Self> {
        Ok(Dac {
            q: Quantizer::new("dac", "v_max", "V", bits, v_max)?,
        })
    }

    /// Resolution in bits.
    pub fn bits(&self) -> u32 {
        self.q.bits
    }

    /// Full scale (V).
    pub fn v_max(&self) -> f64 {
        self.q.full_scale
    }

    /// Voltage between neighbouring levels, `v_max / (2^(bits−1) − 1)` (V).
    pub fn step(&self) -> f64 {
        self.q.step
    }

    /// Number of output levels, `2^bits − 1`.
    pub fn levels(&self) -> usize {
        self.q.levels()
    }

    /// The voltages (V) the DAC applies for the requested `inputs` (V, any
    /// shape, e.g. a B×M batch): clipped to `±v_max`, rounded to the nearest
    /// level (ties away from zero).
    ///
    /// # Errors
    /// A non-finite input, named `inputs[b,i]`.
    pub fn convert(&self, inputs: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        Ok(self.q.convert("inputs", "voltage", inputs)?.0)
    }

    /// One voltage (V) as [`Dac::convert`] applies it: clipped to `±v_max`
    /// and rounded to the nearest level. For per-vector use in a hot loop
    /// (no allocation, no check: a NaN input gives NaN).
    pub fn convert_one(&self, input: f64) -> f64 {
        self.q.quantize(input)
    }
}

/// Output analog-to-digital converter: bit-line currents on `2^bits − 1`
/// levels over `±i_max` amperes (see the [module docs](self)). Each current
/// is converted on its own.
///
/// Serialises as `{ bits, i_max }` (amperes); deserialising validates.
///
/// ```
/// use nalgebra::dmatrix;
/// use xbar_crossbar::periphery::Adc;
///
/// let adc = Adc::new(8, 100e-6)?;                   // 255 levels, Δ = 100 µA / 127
/// let (i, clipped) = adc.convert_with_stats(&dmatrix![12.3e-6, -250e-6])?;
/// assert!((i[(0, 0)] - 12.3e-6).abs() <= adc.step() / 2.0);
/// assert!((i[(0, 1)] + 100e-6).abs() < 1e-18);   // clipped to −i_max
/// assert_eq!(clipped, 1);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AdcSpec", into = "AdcSpec")]
pub struct Adc {
    q: Quantizer,
}

impl Adc {
    /// A `bits`-bit ADC (`bits` in `2..=24`) with full scale `±i_max`
    /// amperes (`i_max` finite, > 0).
    pub fn new(bits: u32, i_max: f64) -> Result<Self> {
        Ok(Adc {
            q: Quantizer::new("adc", "i_max", "A", bits, i_max)?,
        })
    }

    /// Resolution in bits.
    pub fn bits(&self) -> u32 {
        self.q.bits
    }

    /// Full scale (A).
    pub fn i_max(&self) -> f64 {
        self.q.full_scale
    }

    /// Current between neighbouring levels, `i_max / (2^(bits−1) − 1)` (A).
    pub fn step(&self) -> f64 {
        self.q.step
    }

    /// Number of output levels, `2^bits − 1`.
    pub fn levels(&self) -> usize {
        self.q.levels()
    }

    /// The digitised currents (A) for `currents` (A, any shape, e.g. B×N):
    /// clipped to `±i_max`, rounded to the nearest level (ties away from
    /// zero).
    ///
    /// # Errors
    /// A non-finite current, named `currents[b,j]`.
    pub fn convert(&self, currents: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        Ok(self.convert_with_stats(currents)?.0)
    }

    /// As [`convert`](Self::convert), and how many currents were clipped
    /// (`|I| > i_max`).
    pub fn convert_with_stats(&self, currents: &DMatrix<f64>) -> Result<(DMatrix<f64>, usize)> {
        self.q.convert("currents", "current", currents)
    }

    /// One current (A) as [`Adc::convert`] converts it: clipped to `±i_max`
    /// and rounded to the nearest level. For per-vector use in a hot loop
    /// (no allocation, no check: a NaN input gives NaN).
    pub fn convert_one(&self, current: f64) -> f64 {
        self.q.quantize(current)
    }
}

/// The converters around an array; `None` is an ideal (identity) converter.
/// The default has neither.
///
/// Deserialises from `{ dac = { bits, v_max }, adc = { bits, i_max } }`,
/// both keys optional, unknown keys rejected.
///
/// ```
/// use nalgebra::dmatrix;
/// use xbar_crossbar::periphery::{Adc, Periphery};
///
/// let ideal = Periphery::default();
/// assert_eq!(ideal.apply_dac(&dmatrix![0.123])?, dmatrix![0.123]);
/// let with_adc = Periphery { dac: None, adc: Some(Adc::new(4, 7e-6)?) }; // Δ = 1 µA
/// let (i, clipped) = with_adc.apply_adc(&dmatrix![2.6e-6, 9e-6])?;
/// assert!((i - dmatrix![3e-6, 7e-6]).abs().max() < 1e-18);
/// assert_eq!(clipped, 1);
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Periphery {
    /// Input DAC, or ideal inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dac: Option<Dac>,
    /// Output ADC, or ideal outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adc: Option<Adc>,
}

impl Periphery {
    /// The input voltages (V) after the DAC, or `inputs` unchanged without one.
    ///
    /// # Errors
    /// A non-finite input, named `inputs[b,i]`.
    pub fn apply_dac(&self, inputs: &DMatrix<f64>) -> Result<DMatrix<f64>> {
        match &self.dac {
            Some(dac) => dac.convert(inputs),
            None => {
                check_finite("inputs", "voltage", inputs)?;
                Ok(inputs.clone())
            }
        }
    }

    /// The output currents (A) after the ADC and how many clipped, or
    /// `currents` unchanged and 0 without one.
    ///
    /// # Errors
    /// A non-finite current, named `currents[b,j]`.
    pub fn apply_adc(&self, currents: &DMatrix<f64>) -> Result<(DMatrix<f64>, usize)> {
        match &self.adc {
            Some(adc) => adc.convert_with_stats(currents),
            None => {
                check_finite("currents", "current", currents)?;
                Ok((currents.clone(), 0))
            }
        }
    }
}

/// The converter settings of an array, as a config file gives them: the
/// resolutions, and the word-line voltage of an input of 1. The runtime
/// [`Periphery`] follows from them and the full scales
/// ([`Converters::periphery`]), which are usually calibrated.
///
/// Serde keys (all optional): `dac_bits` and `adc_bits` (absent = ideal
/// converter) and `read_voltage_v` (default 0.2 V); any other key is an
/// error on its own, and is left to the container when the converters are
/// `#[serde(flatten)]`-ed into a larger table. Deserialising does not check
/// the values: call [`Converters::validate`] (error fields are the keys).
///
/// ```
/// use xbar_crossbar::Converters;
///
/// let c: Converters = serde_json::from_str(r#"{ "adc_bits": 8 }"#).unwrap();
/// assert_eq!((c.dac_bits, c.adc_bits, c.read_voltage), (None, Some(8), 0.2));
/// c.validate()?;
/// let p = c.periphery(1.0, 3e-5)?;
/// assert!(p.dac.is_none() && p.adc.unwrap().i_max() == 3e-5);
/// let bad = Converters { dac_bits: Some(1), ..c };
/// assert!(bad.validate().unwrap_err().to_string().starts_with("dac_bits:"));
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Converters {
    /// Input DAC resolution (bits, 2..=24); `None` = ideal. Key `dac_bits`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dac_bits: Option<u32>,
    /// Output ADC resolution (bits, 2..=24); `None` = ideal. Key `adc_bits`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adc_bits: Option<u32>,
    /// Word-line voltage of an input of 1 (V, finite, > 0). Key
    /// `read_voltage_v`.
    #[serde(rename = "read_voltage_v")]
    pub read_voltage: f64,
}

impl Default for Converters {
    /// Ideal converters, 0.2 V reads.
    fn default() -> Self {
        Converters {
            dac_bits: None,
            adc_bits: None,
            read_voltage: 0.2,
        }
    }
}

impl Converters {
    /// Every key the serde form accepts.
    pub const KEYS: &'static [&'static str] = &["dac_bits", "adc_bits", "read_voltage_v"];

    /// Checks the resolutions (as [`Dac::new`] and [`Adc::new`] do) and the
    /// read voltage (finite, > 0). The error's field is the configuration
    /// key (`dac_bits`, `adc_bits`, `read_voltage_v`).
    pub fn validate(&self) -> Result<()> {
        for (field, bits) in [("dac_bits", self.dac_bits), ("adc_bits", self.adc_bits)] {
            if let Some(bits) = bits {
                Quantizer::check_bits(field, bits)?;
            }
        }
        if !(self.read_voltage.is_finite() && self.read_voltage > 0.0) {
            return Err(CrossbarError::invalid(
                "read_voltage_v",
                format!(
                    "expected a finite voltage > 0 V, found {}",
                    self.read_voltage
                ),
            ));
        }
        Ok(())
    }

    /// Neither a DAC nor an ADC.
    pub fn is_ideal(&self) -> bool {
        self.dac_bits.is_none() && self.adc_bits.is_none()
    }

    /// The runtime converters: a DAC of `dac_bits` over `±dac_full_scale`
    /// and an ADC of `adc_bits` over `±adc_full_scale`, each only when its
    /// bits are set. The full scales are in whatever units the caller
    /// feeds the converters (volts and amperes, or normalised units).
    ///
    /// # Errors
    /// Bits out of range (`dac.bits`, `adc.bits`) or a full scale that is
    /// not finite and > 0 (`dac.v_max`, `adc.i_max`), as [`Dac::new`] and
    /// [`Adc::new`] report them.
    pub fn periphery(&self, dac_full_scale: f64, adc_full_scale: f64) -> Result<Periphery> {
        Ok(Periphery {
            dac: self
                .dac_bits
                .map(|b| Dac::new(b, dac_full_scale))
                .transpose()?,
            adc: self
                .adc_bits
                .map(|b| Adc::new(b, adc_full_scale))
                .transpose()?,
        })
    }
}

/// The serialised form of a [`Dac`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DacSpec {
    bits: u32,
    v_max: f64,
}

impl TryFrom<DacSpec> for Dac {
    type Error = CrossbarError;
    fn try_from(spec: DacSpec) -> Result<Self> {
        Dac::new(spec.bits, spec.v_max)
    }
}

impl From<Dac> for DacSpec {
    fn from(dac: Dac) -> Self {
        DacSpec {
            bits: dac.bits(),
            v_max: dac.v_max(),
        }
    }
}

/// The serialised form of an [`Adc`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdcSpec {
    bits: u32,
    i_max: f64,
}

impl TryFrom<AdcSpec> for Adc {
    type Error = CrossbarError;
    fn try_from(spec: AdcSpec) -> Result<Self> {
        Adc::new(spec.bits, spec.i_max)
    }
}

impl From<Adc> for AdcSpec {
    fn from(adc: Adc) -> Self {
        AdcSpec {
            bits: adc.bits(),
            i_max: adc.i_max(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    const ALL_BITS: [u32; 7] = [2, 3, 4, 5, 8, 12, 24];

    fn field_of(err: CrossbarError) -> String {
        match err {
            CrossbarError::InvalidParameter { field, .. } => field,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    fn row(values: &[f64]) -> DMatrix<f64> {
        DMatrix::from_row_slice(1, values.len(), values)
    }

    #[test]
    fn step_and_level_count_follow_the_convention() {
        for (bits, step) in [(2, 1.0), (3, 1.0 / 3.0), (4, 1.0 / 7.0), (8, 1.0 / 127.0)] {
            let dac = Dac::new(bits, 1.0).unwrap();
            assert!((dac.step() - step).abs() < 1e-16, "{bits} bits");
            assert_eq!(dac.levels(), (1 << bits) - 1);
        }
        let adc = Adc::new(24, 1e-4).unwrap();
        assert!((adc.step() - 1e-4 / 8_388_607.0).abs() < 1e-25);
        assert_eq!(adc.levels(), 16_777_215);
    }

    #[test]
    fn two_bit_converter_has_three_levels() {
        let dac = Dac::new(2, 0.5).unwrap();
        let v = dac
            .convert(&row(&[
                -0.7, -0.26, -0.25, -0.24, 0.0, 0.24, 0.25, 0.3, 2.0,
            ]))
            .unwrap();
        let expected = [-0.5, -0.5, -0.5, 0.0, 0.0, 0.0, 0.5, 0.5, 0.5];
        assert_eq!(v.as_slice(), &expected);
    }

    #[test]
    fn error_is_at_most_half_a_step_inside_the_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        for bits in ALL_BITS {
            let adc = Adc::new(bits, 3e-5).unwrap();
            let x = DMatrix::from_fn(100, 100, |_, _| rng.random_range(-3e-5..=3e-5));
            let (q, clipped) = adc.convert_with_stats(&x).unwrap();
            assert_eq!(clipped, 0);
            let half = adc.step() / 2.0 * (1.0 + 1e-12);
            let worst = (&q - &x).amax();
            assert!(
                worst <= half,
                "{bits} bits: error {worst:e} > Δ/2 = {half:e}"
            );
            // The bound is tight: with 10⁴ points the worst error is near Δ/2
            // for coarse converters (it would be ~0 for a no-op).
            if bits <= 8 {
                assert!(worst > 0.9 * adc.step() / 2.0, "{bits} bits: {worst:e}");
            }
            // Every output is an integer multiple of the step.
            for v in q.iter() {
                let k = v / adc.step();
                assert!(
                    (k - k.round()).abs() < 1e-6,
                    "{bits} bits: {v:e} is not a level"
                );
            }
        }
    }

    #[test]
    fn levels_are_fixed_points() {
        for bits in 2..=12 {
            let dac = Dac::new(bits, 0.2).unwrap();
            let max_level = (1i64 << (bits - 1)) - 1;
            let levels = DMatrix::from_fn(1, (2 * max_level + 1) as usize, |_, k| {
                (k as i64 - max_level) as f64 * dac.step()
            });
            assert_eq!(dac.convert(&levels).unwrap(), levels, "{bits} bits");
        }
        let adc = Adc::new(24, 1e-3).unwrap();
        let levels = DMatrix::from_fn(1, 1001, |_, k| {
            (k as f64 * 8377.0 - 4_188_500.0) * adc.step()
        });
        assert_eq!(adc.convert(&levels).unwrap(), levels);
    }

    #[test]
    fn ties_round_away_from_zero() {
        let dac = Dac::new(4, 7.0).unwrap(); // Δ = 1 V
        let v = dac
            .convert(&row(&[0.5, -0.5, 2.5, -2.5, 0.4999, -1.4999]))
            .unwrap();
        assert_eq!(v.as_slice(), &[1.0, -1.0, 3.0, -3.0, 0.0, -1.0]);
    }

    #[test]
    fn out_of_range_values_clip_to_full_scale() {
        for bits in ALL_BITS {
            let adc = Adc::new(bits, 2e-5).unwrap();
            let x = row(&[2e-5, 2.0001e-5, 1.0, -3e-5, -2e-5, f64::MAX, -f64::MAX]);
            let (q, clipped) = adc.convert_with_stats(&x).unwrap();
            assert_eq!(clipped, 5, "{bits} bits"); // exactly ±i_max is not clipped
            let expected = [2e-5, 2e-5, 2e-5, -2e-5, -2e-5, 2e-5, -2e-5];
            for (k, e) in expected.iter().enumerate() {
                assert!(
                    (q[(0, k)] - e).abs() <= 1e-15 * 2e-5,
                    "{bits} bits, entry {k}: {:e}",
                    q[(0, k)]
                );
            }
        }
    }

    #[test]
    fn conversion_is_monotone_and_odd() {
        for bits in ALL_BITS {
            let dac = Dac::new(bits, 1.0).unwrap();
            let x = DMatrix::from_fn(1, 20_001, |_, k| -1.5 + 3.0 * k as f64 / 20_000.0);
            let q = dac.convert(&x).unwrap();
            assert!(q.as_slice().windows(2).all(|w| w[0] <= w[1]), "{bits} bits");
            let q_neg = dac.convert(&(-&x)).unwrap();
            assert_eq!(q_neg, -q, "{bits} bits"); // symmetric range
        }
    }

    #[test]
    fn a_sweep_reaches_exactly_the_documented_number_of_levels() {
        for bits in 2..=10 {
            let dac = Dac::new(bits, 0.25).unwrap();
            let x = DMatrix::from_fn(1, 50_001, |_, k| -0.3 + 0.6 * k as f64 / 50_000.0);
            let mut q: Vec<f64> = dac.convert(&x).unwrap().iter().copied().collect();
            q.dedup(); // sorted, since the sweep is increasing and q monotone
            assert_eq!(q.len(), dac.levels(), "{bits} bits");
            assert_eq!(q.len(), (1 << bits) - 1);
            assert!((q[0] + 0.25).abs() < 1e-15 && (q[q.len() - 1] - 0.25).abs() < 1e-15);
            assert!(q.contains(&0.0));
        }
    }

    #[test]
    fn invalid_settings_name_the_field() {
        for bits in [0, 1, 25, 64] {
            assert_eq!(field_of(Dac::new(bits, 1.0).unwrap_err()), "dac.bits");
            assert_eq!(field_of(Adc::new(bits, 1e-6).unwrap_err()), "adc.bits");
        }
        let message = Adc::new(0, 1e-6).unwrap_err().to_string();
        assert!(
            message.contains("2..=24") && message.contains("found 0"),
            "{message}"
        );
        for range in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(field_of(Dac::new(8, range).unwrap_err()), "dac.v_max");
            assert_eq!(field_of(Adc::new(8, range).unwrap_err()), "adc.i_max");
        }
        let mut x = DMatrix::zeros(2, 3);
        x[(1, 2)] = f64::NAN;
        assert_eq!(
            field_of(Dac::new(8, 1.0).unwrap().convert(&x).unwrap_err()),
            "inputs[1,2]"
        );
        assert_eq!(
            field_of(Adc::new(8, 1.0).unwrap().convert(&x).unwrap_err()),
            "currents[1,2]"
        );
        let ideal = Periphery::default();
        assert_eq!(field_of(ideal.apply_dac(&x).unwrap_err()), "inputs[1,2]");
        assert_eq!(field_of(ideal.apply_adc(&x).unwrap_err()), "currents[1,2]");
    }

    #[test]
    fn default_periphery_is_the_identity() {
        let ideal = Periphery::default();
        assert!(ideal.dac.is_none() && ideal.adc.is_none());
        let x = DMatrix::from_fn(3, 4, |r, c| (r as f64 - 1.3) * 1e-5 * (c as f64 + 0.7));
        assert_eq!(ideal.apply_dac(&x).unwrap(), x);
        assert_eq!(ideal.apply_adc(&x).unwrap(), (x.clone(), 0));

        let full = Periphery {
            dac: Some(Dac::new(3, 0.3).unwrap()),
            adc: Some(Adc::new(3, 3e-5).unwrap()),
        };
        let v = full.apply_dac(&row(&[0.16, -1.0])).unwrap();
        assert!((v - row(&[0.2, -0.3])).amax() < 1e-15);
        let (i, clipped) = full.apply_adc(&row(&[1.4e-5, 4e-5])).unwrap();
        assert!((i - row(&[1e-5, 3e-5])).amax() < 1e-20);
        assert_eq!(clipped, 1);
    }

    #[test]
    fn deserialising_validates_and_rejects_unknown_keys() {
        use serde::de::value::{Error, MapDeserializer};
        let dac_from = |entries: Vec<(&'static str, u32)>| {
            Dac::deserialize(MapDeserializer::<_, Error>::new(entries.into_iter()))
        };
        let dac = dac_from(vec![("bits", 6), ("v_max", 2)]).unwrap();
        assert_eq!(dac, Dac::new(6, 2.0).unwrap());
        let err = dac_from(vec![("bits", 1), ("v_max", 2)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("dac.bits"), "{err}");
        let err = dac_from(vec![("bits", 6), ("v_max", 0)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("dac.v_max"), "{err}");
        assert!(dac_from(vec![("bits", 6), ("v_max", 2), ("vmax", 2)]).is_err());
        assert!(dac_from(vec![("bits", 6)]).is_err());

        let adc = Adc::deserialize(MapDeserializer::<_, Error>::new(
            vec![("bits", 10u32), ("i_max", 1u32)].into_iter(),
        ))
        .unwrap();
        assert_eq!(adc, Adc::new(10, 1.0).unwrap());
    }

    #[test]
    fn converters_validate_by_key_with_the_converter_check() {
        let ok = Converters::default();
        assert_eq!(
            (ok.dac_bits, ok.adc_bits, ok.read_voltage),
            (None, None, 0.2)
        );
        ok.validate().unwrap();
        assert!(ok.is_ideal());
        for bits in [0, 1, 25, 40] {
            let dac = Converters {
                dac_bits: Some(bits),
                ..ok
            };
            let err = dac.validate().unwrap_err();
            assert_eq!(field_of(err.clone()), "dac_bits");
            // The same message as the converter's own check.
            let own = Dac::new(bits, 1.0).unwrap_err().to_string();
            assert_eq!(
                err.to_string().trim_start_matches("dac_bits"),
                own.trim_start_matches("dac.bits")
            );
            let adc = Converters {
                adc_bits: Some(bits),
                ..ok
            };
            assert_eq!(field_of(adc.validate().unwrap_err()), "adc_bits");
        }
        for v in [0.0, -0.2, f64::NAN, f64::INFINITY] {
            let c = Converters {
                read_voltage: v,
                ..ok
            };
            assert_eq!(field_of(c.validate().unwrap_err()), "read_voltage_v");
        }
        Converters {
            dac_bits: Some(2),
            adc_bits: Some(24),
            read_voltage: 1e-3,
        }
        .validate()
        .unwrap();
    }

    #[test]
    fn converters_build_the_periphery() {
        let c = Converters {
            dac_bits: Some(6),
            adc_bits: None,
            read_voltage: 0.2,
        };
        let p = c.periphery(0.5, 1e-4).unwrap();
        assert_eq!(p.dac, Some(Dac::new(6, 0.5).unwrap()));
        assert_eq!(p.adc, None);
        let p = Converters::default().periphery(1.0, 1.0).unwrap();
        assert_eq!(p, Periphery::default());
        let both = Converters {
            dac_bits: Some(4),
            adc_bits: Some(8),
            read_voltage: 0.2,
        };
        let p = both.periphery(1.0, 2e-5).unwrap();
        assert_eq!(p.adc, Some(Adc::new(8, 2e-5).unwrap()));
        assert_eq!(field_of(both.periphery(1.0, 0.0).unwrap_err()), "adc.i_max");
    }

    #[test]
    fn converters_serde_keys() {
        let c: Converters = toml::from_str("").unwrap();
        assert_eq!(c, Converters::default());
        let c: Converters =
            toml::from_str("dac_bits = 6\nadc_bits = 8\nread_voltage_v = 0.3").unwrap();
        assert_eq!(
            c,
            Converters {
                dac_bits: Some(6),
                adc_bits: Some(8),
                read_voltage: 0.3
            }
        );
        assert_eq!(
            toml::from_str::<Converters>(&toml::to_string(&c).unwrap()).unwrap(),
            c
        );
        assert_eq!(
            serde_json::to_value(c).unwrap(),
            serde_json::json!({ "dac_bits": 6, "adc_bits": 8, "read_voltage_v": 0.3 })
        );
        assert!(toml::from_str::<Converters>("read_voltage = 0.3").is_err());
        for key in Converters::KEYS {
            let text = if *key == "read_voltage_v" {
                format!("{key} = 0.5")
            } else {
                format!("{key} = 5")
            };
            let c: Converters = toml::from_str(&text).unwrap();
            assert_ne!(c, Converters::default(), "{key}");
        }
    }

    /// A table that holds the converters among other keys.
    #[derive(Debug, Deserialize)]
    struct Section {
        size: usize,
        #[serde(flatten)]
        converters: Converters,
        #[serde(flatten)]
        rest: std::collections::BTreeMap<String, toml::Value>,
    }

    #[test]
    fn flattened_converters_take_their_keys_and_leave_the_rest() {
        let s: Section =
            toml::from_str("size = 8\nadc_bits = 6\nread_voltage_v = 0.1\nvectors = 3").unwrap();
        assert_eq!(s.size, 8);
        assert_eq!(
            s.converters,
            Converters {
                dac_bits: None,
                adc_bits: Some(6),
                read_voltage: 0.1
            }
        );
        assert_eq!(s.rest.keys().collect::<Vec<_>>(), ["vectors"]);
        let s: Section = toml::from_str("size = 8").unwrap();
        assert_eq!(s.converters, Converters::default());
        assert!(s.rest.is_empty());
    }
}
