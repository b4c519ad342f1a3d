//! Programming: write a target conductance, get the programmed one.
//!
//! The model, following the PCM statistical model of Nandakumar et al.
//! (ICECS 2019) and Joshi et al. (Nat. Commun. 11, 2473, 2020):
//!
//! 1. *finite levels* (optional): the target is clamped to `[g_min, g_max]`
//!    and rounded to the nearest of `levels` equally spaced conductances
//!    `g_min + k·(g_max − g_min)/(levels − 1)`;
//! 2. *programming noise*: `g_prog = g_T + σ_prog(g_T)·ξ`, `ξ ~ N(0, 1)`, with
//!    `σ_prog(g_T) = Σₖ cₖ·g_rᵏ` (S), `g_r = g_T/g_max`. The polynomial covers
//!    the published forms: IBM PCM `σ = (0.26348 + 1.9650·g_r − 1.1731·g_r²)` µS
//!    for g_max = 25 µS; a relative noise `σ = s·g_T` is `[0, s·g_max]`; the
//!    affine CMO/HfOx form `σ = c₀ + c₁·g_T` is `[c₀, c₁·g_max]`;
//! 3. *write-verify* (optional): a device whose error `|g_prog − g_T|`
//!    exceeds `tolerance·g_max` is programmed again (a fresh draw), up to
//!    `max_iterations` attempts in all; the last attempt is kept. With a
//!    per-attempt miss probability `p = 2·(1 − Φ(tol/σ))`, a fraction `pⁿ`
//!    of devices stays outside the tolerance after `n` attempts;
//! 4. the result is clipped at 0 S (a conductance cannot be negative); it is
//!    not clipped above, as in the source model.

use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section, Value};

const TITLE: &str = "Programming";
const TABLE: Option<&str> = Some("programming");

/// Parameters of the programming model. The default writes targets exactly:
/// continuous (no levels), noiseless, one write.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammingSpec {
    /// Number of programmable levels between g_min and g_max (≥ 2);
    /// absent for a continuous (analog) target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<u32>,
    /// Coefficients `c₀, c₁, …` (S) of `σ_prog(g_r) = Σ cₖ·g_rᵏ`. Empty for
    /// noiseless programming.
    #[serde(default)]
    pub sigma_poly: Vec<f64>,
    /// Iterative write-verify; absent for a single write.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_verify: Option<WriteVerify>,
}

/// Iterative program-and-verify.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WriteVerify {
    /// Attempts in all, including the first (≥ 1).
    pub max_iterations: u32,
    /// Accepted error, relative to g_max (> 0).
    pub tolerance: f64,
}

impl WriteVerify {
    /// The accepted error in siemens, `tolerance·g_max`.
    pub fn tolerance_siemens(&self, g_max: f64) -> f64 {
        self.tolerance * g_max
    }
}

impl ProgrammingSpec {
    /// Checks the constraints of every field.
    pub fn validate(&self) -> Result<(), SpecError> {
        if let Some(levels) = self.levels {
            if levels < 2 {
                return Err(SpecError::new(
                    "programming.levels",
                    format!("expected at least 2 levels, found {levels}"),
                ));
            }
        }
        for (k, c) in self.sigma_poly.iter().enumerate() {
            check::finite(&format!("programming.sigma_poly[{k}]"), *c)?;
        }
        if let Some(wv) = &self.write_verify {
            if wv.max_iterations < 1 {
                return Err(SpecError::new(
                    "programming.write_verify.max_iterations",
                    "expected at least 1 attempt, found 0",
                ));
            }
            check::positive("programming.write_verify.tolerance", wv.tolerance)?;
        }
        Ok(())
    }

    /// The standard deviation σ_prog (S) for a target `g_target` on a device
    /// whose range ends at `g_max`. Never negative.
    pub fn sigma(&self, g_target: f64, g_max: f64) -> f64 {
        let g_r = g_target / g_max;
        let sigma = self
            .sigma_poly
            .iter()
            .rev()
            .fold(0.0, |acc, c| acc * g_r + c);
        sigma.max(0.0)
    }

    /// The spacing (S) of the programmable levels,
    /// `(g_max − g_min)/(levels − 1)`; `None` for an analog device.
    pub fn level_step(&self, g_min: f64, g_max: f64) -> Option<f64> {
        self.levels
            .map(|levels| (g_max - g_min) / f64::from(levels - 1))
    }

    /// The section of a device without a programming model.
    pub fn describe_absent() -> Section {
        Section::absent(TITLE, TABLE, "targets are written exactly")
    }

    /// The parameters, with the derived level step, σ_prog at a few
    /// conductances and the write-verify tolerance in siemens, for a device
    /// whose range is `[g_min, g_max]` (S).
    pub fn describe(&self, g_min: f64, g_max: f64) -> Section {
        let mut s = Section::new(TITLE, TABLE);
        s.parameter(match self.levels {
            Some(levels) => Parameter::count(
                "levels",
                u64::from(levels),
                "equally spaced levels between g_min and g_max",
            ),
            None => Parameter::text("levels", "analog", "continuous targets, no levels"),
        });
        s.parameter(Parameter::new(
            "sigma_poly",
            Value::List(self.sigma_poly.clone()),
            "S",
            if self.sigma_poly.is_empty() {
                "no programming noise"
            } else {
                "σ_prog(g_r) = Σ cₖ·g_rᵏ, g_r = g/g_max"
            },
        ));
        match &self.write_verify {
            None => s.parameter(Parameter::text("write_verify", "none", "single write")),
            Some(wv) => {
                s.parameter(Parameter::count(
                    "write_verify.max_iterations",
                    u64::from(wv.max_iterations),
                    "attempts in all",
                ));
                s.parameter(Parameter::number(
                    "write_verify.tolerance",
                    wv.tolerance,
                    "",
                    "accepted error, relative to g_max",
                ));
            }
        }
        if let Some(step) = self.level_step(g_min, g_max) {
            s.derive(Parameter::number(
                "level step",
                step,
                "S",
                "(g_max − g_min)/(levels − 1)",
            ));
        }
        if !self.sigma_poly.is_empty() {
            for (key, g_r) in [
                ("σ_prog at g_r 0.1", 0.1),
                ("σ_prog at g_r 0.5", 0.5),
                ("σ_prog at g_r 1", 1.0),
            ] {
                s.derive(Parameter::number(
                    key,
                    self.sigma(g_r * g_max, g_max),
                    "S",
                    "programming noise σ",
                ));
            }
        }
        if let Some(wv) = &self.write_verify {
            s.derive(Parameter::number(
                "tolerance",
                wv.tolerance_siemens(g_max),
                "S",
                "accepted error |g − g_T|, tolerance·g_max",
            ));
        }
        s
    }

    /// The target after level quantisation: clamped to `[g_min, g_max]` and
    /// rounded to the nearest level; unchanged for an analog device.
    pub fn quantise(&self, g_target: f64, g_min: f64, g_max: f64) -> f64 {
        match self.levels {
            Some(levels) => {
                let step = (g_max - g_min) / f64::from(levels - 1);
                let k = ((g_target.clamp(g_min, g_max) - g_min) / step).round();
                g_min + k * step
            }
            None => g_target,
        }
    }

    /// One write of one device, given its standard normal deviate `xi`:
    /// `max(0, q(g_T) + σ_prog(q(g_T))·xi)` with `q` the level quantiser.
    /// This is [`ProgrammingSpec::program_one`] without write-verify.
    pub fn program_with(&self, g_target: f64, g_min: f64, g_max: f64, xi: f64) -> f64 {
        let target = self.quantise(g_target, g_min, g_max);
        (target + self.sigma(target, g_max) * xi).max(0.0)
    }

    /// Programs one device: quantise, add noise (with write-verify), clip at
    /// 0. `g_min`/`g_max` are this device's own bounds.
    pub fn program_one<R: rand::Rng + ?Sized>(
        &self,
        g_target: f64,
        g_min: f64,
        g_max: f64,
        rng: &mut R,
    ) -> f64 {
        let target = self.quantise(g_target, g_min, g_max);
        let sigma = self.sigma(target, g_max);
        if sigma == 0.0 {
            return target.max(0.0);
        }
        let (attempts, tolerance) = match &self.write_verify {
            Some(wv) => (wv.max_iterations, wv.tolerance * g_max),
            None => (1, f64::INFINITY),
        };
        let mut programmed = target;
        for _ in 0..attempts {
            let xi: f64 = StandardNormal.sample(rng);
            programmed = target + sigma * xi;
            if (programmed - target).abs() <= tolerance {
                break;
            }
        }
        programmed.max(0.0)
    }
}
