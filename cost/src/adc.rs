//! ADC energy, conversion time and area, and column multiplexing.
//!
//! Energy per conversion at resolution `b` (ENOB taken as `b`) follows the
//! two asymptotes of the Murmann ADC survey (B. Murmann, "ADC Performance
//! Survey 1997–2024", <https://github.com/bmurmann/ADC-survey>; the
//! figures of merit are Walden's, IEEE JSAC 17(4), 1999, and Schreier's,
//! *Understanding Delta-Sigma Data Converters*, 2005):
//!
//! ```text
//! E(b) = max( FOM_W·2^b ,  ½·10^((SNDR − FOM_S)/10) ),   SNDR = 6.02·b + 1.76 dB
//! ```
//!
//! the first the technology-limited regime of low resolution, the second
//! the thermal-noise limit (`P/f_s` at a Nyquist bandwidth `f_s/2`). One
//! conversion takes `1/f_s`. Area scales as `2^b` from a reference ADC
//! (the capacitive DAC of a SAR converter dominates; ISAAC, Shafiee et al.,
//! ISCA 2016, §6, makes the same assumption).
//!
//! With `k` columns sharing one ADC, an array of `N` columns has
//! `⌈N/k⌉` ADCs and a read takes `k/f_s` to convert every column; the
//! energy, `N·E(b)` per read, does not depend on `k`.

use crate::technology::Technology;

/// The ADC figures of a technology.
///
/// ```
/// use xbar_cost::{AdcModel, Technology};
/// let adc = AdcModel::from_technology(&Technology::preset("generic-32nm").unwrap());
/// // 8 bits: 2^8 steps at 1 fJ each.
/// assert!((adc.energy_per_conversion_j(8) - 256e-15).abs() < 1e-27);
/// let bank = adc.bank(256, 8, 8);
/// assert_eq!(bank.adcs, 32);
/// assert!((bank.read_time_s - 8.0 / 1.28e9).abs() < 1e-20);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdcModel {
    /// Walden FOM (J per conversion step).
    pub walden_fom_j: f64,
    /// Schreier FOM (dB).
    pub schreier_fom_db: f64,
    /// Conversions per second.
    pub sample_rate_hz: f64,
    /// Area at `reference_bits` (m²).
    pub reference_area_m2: f64,
    /// Resolution of the reference area.
    pub reference_bits: f64,
}

/// The ADCs of one array.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdcBank {
    /// Number of ADCs, `⌈N/k⌉`.
    pub adcs: usize,
    /// Time to convert every column once (s), `k/f_s`.
    pub read_time_s: f64,
    /// Energy to convert every column once (J), `N·E(b)`.
    pub read_energy_j: f64,
    /// Area of the ADCs (m²).
    pub area_m2: f64,
}

impl AdcModel {
    /// The ADC figures of `tech`.
    pub fn from_technology(tech: &Technology) -> Self {
        AdcModel {
            walden_fom_j: tech.adc_walden_fom_j.value,
            schreier_fom_db: tech.adc_schreier_fom_db.value,
            sample_rate_hz: tech.adc_sample_rate_hz.value,
            reference_area_m2: tech.adc_area_m2.value,
            reference_bits: tech.adc_area_reference_bits.value,
        }
    }

    /// Energy of one conversion at `bits` (J).
    pub fn energy_per_conversion_j(&self, bits: u32) -> f64 {
        let b = f64::from(bits);
        let technology = self.walden_fom_j * 2f64.powf(b);
        let sndr = 6.02 * b + 1.76;
        let thermal = 0.5 * 10f64.powf((sndr - self.schreier_fom_db) / 10.0);
        technology.max(thermal)
    }

    /// Time of one conversion (s).
    pub fn conversion_time_s(&self) -> f64 {
        1.0 / self.sample_rate_hz
    }

    /// Area of one ADC at `bits` (m²).
    pub fn area_m2(&self, bits: u32) -> f64 {
        self.reference_area_m2 * 2f64.powf(f64::from(bits) - self.reference_bits)
    }

    /// The ADCs of an array of `columns` bit lines, `columns_per_adc`
    /// sharing each (`≥ 1`; clamped to the columns).
    pub fn bank(&self, columns: usize, columns_per_adc: usize, bits: u32) -> AdcBank {
        let k = columns_per_adc.clamp(1, columns.max(1));
        let adcs = columns.div_ceil(k);
        AdcBank {
            adcs,
            read_time_s: k as f64 * self.conversion_time_s(),
            read_energy_j: columns as f64 * self.energy_per_conversion_j(bits),
            area_m2: adcs as f64 * self.area_m2(bits),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> AdcModel {
        AdcModel::from_technology(&Technology::preset("generic-32nm").unwrap())
    }

    #[test]
    fn the_two_asymptotes() {
        let adc = model();
        // Low resolution: Walden, doubling per bit.
        for b in 1..=9 {
            let ratio = adc.energy_per_conversion_j(b + 1) / adc.energy_per_conversion_j(b);
            assert!((ratio - 2.0).abs() < 1e-12, "b = {b}: {ratio}");
        }
        // High resolution: thermal, 4× (6.02 dB) per bit. At 16 bits:
        // SNDR = 98.08 dB, ½·10^((98.08 − 180)/10) = 3.213e-9 J.
        let e16 = adc.energy_per_conversion_j(16);
        assert!(
            (e16 - 0.5 * 10f64.powf(-8.192)).abs() < 1e-12 * e16,
            "{e16:e}"
        );
        let ratio = adc.energy_per_conversion_j(17) / e16;
        assert!((ratio - 10f64.powf(0.602)).abs() < 1e-9, "{ratio}");
    }

    #[test]
    fn doubling_the_sharing_doubles_the_time_and_halves_count_and_area() {
        let adc = model();
        for k in [1, 2, 4, 8, 16, 32] {
            let a = adc.bank(256, k, 6);
            let b = adc.bank(256, 2 * k, 6);
            assert_eq!(a.adcs, 2 * b.adcs, "k = {k}");
            assert!((b.read_time_s - 2.0 * a.read_time_s).abs() < 1e-15 * b.read_time_s);
            assert!((a.area_m2 - 2.0 * b.area_m2).abs() < 1e-12 * a.area_m2);
            assert_eq!(a.read_energy_j, b.read_energy_j);
        }
        // Area doubles per bit.
        assert!((adc.area_m2(9) / adc.area_m2(8) - 2.0).abs() < 1e-12);
        assert!((adc.area_m2(8) - 1.2e-9).abs() < 1e-21);
    }
}
