//! Which pulse model a device file keeps: the information criterion that
//! compares the fits, and the user's choice.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Which information criterion chooses the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Criterion {
    /// Akaike: `n·ln(RSS/n) + 2k`.
    Aic,
    /// Bayesian (Schwarz): `n·ln(RSS/n) + k·ln n`.
    #[default]
    Bic,
}

impl Criterion {
    /// `"AIC"` or `"BIC"`, as the reports write it.
    pub fn name(self) -> &'static str {
        match self {
            Criterion::Aic => "AIC",
            Criterion::Bic => "BIC",
        }
    }

    /// This criterion's value of a model: `aic` or `bic`.
    pub fn pick(self, aic: f64, bic: f64) -> f64 {
        match self {
            Criterion::Aic => aic,
            Criterion::Bic => bic,
        }
    }
}

impl FromStr for Criterion {
    type Err = String;

    /// `aic` or `bic`, in any case, surrounding blanks ignored.
    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "aic" => Ok(Criterion::Aic),
            "bic" => Ok(Criterion::Bic),
            _ => Err(format!("expected aic or bic, found `{text}`")),
        }
    }
}

/// A pulse model the fit knows: the two closed forms of
/// [`xbar_devices::pulse`] and the measured curve (binned step tables,
/// [`crate::measured_curve`]). Its name is the device file's
/// `[pulse] model` and the `--model` word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PulseModel {
    /// NeuroSim exponential.
    Exponential,
    /// Soft bounds.
    SoftBounds,
    /// The measured curve (binned step tables).
    Measured,
}

impl PulseModel {
    /// Every model, in the order the reports list them.
    pub const ALL: [PulseModel; 3] = [
        PulseModel::Exponential,
        PulseModel::SoftBounds,
        PulseModel::Measured,
    ];

    /// `"exponential"`, `"soft-bounds"` or `"measured"`: the device file's
    /// and the command line's word.
    pub fn name(self) -> &'static str {
        match self {
            PulseModel::Exponential => "exponential",
            PulseModel::SoftBounds => "soft-bounds",
            PulseModel::Measured => "measured",
        }
    }

    /// The name in running text (`"soft bounds"`), as the reasons of a
    /// choice write it.
    pub fn words(self) -> &'static str {
        match self {
            PulseModel::Exponential => "exponential",
            PulseModel::SoftBounds => "soft bounds",
            PulseModel::Measured => "measured",
        }
    }

    /// Whether the model is a closed form fitted per device
    /// ([`crate::pulse::fit_pulses`]) rather than a table over devices.
    pub fn is_closed_form(self) -> bool {
        match self {
            PulseModel::Exponential | PulseModel::SoftBounds => true,
            PulseModel::Measured => false,
        }
    }
}

impl fmt::Display for PulseModel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which pulse model the device file keeps: the best by the criterion, or
/// the one the user named. Written as its word (`"auto"`, `"exponential"`,
/// `"soft-bounds"`, `"measured"`), in reports and on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ModelChoice {
    /// The best by the criterion among the fitted models.
    #[default]
    Auto,
    /// This model, whatever the criterion says.
    Only(PulseModel),
}

impl ModelChoice {
    /// `"auto"` or the model's name.
    pub fn name(self) -> &'static str {
        match self {
            ModelChoice::Auto => "auto",
            ModelChoice::Only(m) => m.name(),
        }
    }

    /// Whether the user named `model`.
    pub fn is(self, model: PulseModel) -> bool {
        self == ModelChoice::Only(model)
    }

    /// Whether `model` is fitted: both closed forms always (the report
    /// compares them); the measured curve unless the user named a closed
    /// form.
    pub fn fits(self, model: PulseModel) -> bool {
        match (self, model) {
            (ModelChoice::Only(chosen), PulseModel::Measured) => chosen == PulseModel::Measured,
            _ => true,
        }
    }
}

impl fmt::Display for ModelChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ModelChoice {
    type Err = String;

    /// `auto` or a model's name, surrounding blanks ignored.
    fn from_str(text: &str) -> Result<Self, String> {
        let word = text.trim();
        if word == "auto" {
            return Ok(ModelChoice::Auto);
        }
        PulseModel::ALL
            .into_iter()
            .find(|m| m.name() == word)
            .map(ModelChoice::Only)
            .ok_or_else(|| {
                format!("expected auto, exponential, soft-bounds or measured, found `{text}`")
            })
    }
}

impl Serialize for ModelChoice {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ModelChoice {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_read_and_write_the_command_line_words() {
        for (word, choice) in [
            ("auto", ModelChoice::Auto),
            ("exponential", ModelChoice::Only(PulseModel::Exponential)),
            ("soft-bounds", ModelChoice::Only(PulseModel::SoftBounds)),
            ("measured", ModelChoice::Only(PulseModel::Measured)),
        ] {
            assert_eq!(word.parse::<ModelChoice>(), Ok(choice));
            assert_eq!(choice.to_string(), word);
        }
        assert_eq!(
            "soft bounds".parse::<ModelChoice>(),
            Err("expected auto, exponential, soft-bounds or measured, found `soft bounds`".into())
        );
        assert_eq!(" bic ".parse::<Criterion>(), Ok(Criterion::Bic));
        assert_eq!("AIC".parse::<Criterion>(), Ok(Criterion::Aic));
        assert_eq!(
            "hqc".parse::<Criterion>(),
            Err("expected aic or bic, found `hqc`".into())
        );
    }
}
