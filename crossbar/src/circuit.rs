//! The crossbar circuit: geometry, wire resistances and the programmed
//! conductance matrix.
//!
//! ```text
//! word line i:  V[i] ──r_source+r_wl── W(i,0) ──r_wl── W(i,1) ──r_wl── … ── W(i,N-1)   (open end)
//!                                        │                │                   │
//!                                     g[i,0]           g[i,1]             g[i,N-1]
//!                                        │                │                   │
//!                                      B(i,0)           B(i,1)      …      B(i,N-1)
//!
//! bit line j:   B(0,j) ──r_bl── B(1,j) ──r_bl── … ── B(M-1,j) ──r_bl+r_sense──▶ virtual ground, 0 V
//!                                                                             (current I[j])
//! ```
//!
//! W(i,j) and B(i,j) are the word-line and bit-line nodes of cell (i,j): the
//! word lines run along the rows, the bit lines down the columns, and they
//! meet only through the cells.
//!
//! Exactly:
//! * word line `i` is driven at its column-0 end by an ideal source `V[i]`
//!   through `r_source + r_wordline`; neighbouring word-line nodes `(i, j-1)`
//!   and `(i, j)` are joined by one `r_wordline` segment; the far end is open;
//! * bit line `j` runs from row 0 to row M-1 with one `r_bitline` segment
//!   between neighbouring bit-line nodes, and leaves node `(M-1, j)` through
//!   `r_bitline + r_sense` into a virtual ground at 0 V;
//! * cell `(i, j)` (conductance `g[i,j]`, siemens) joins word-line node
//!   `(i, j)` to bit-line node `(i, j)`;
//! * the output `I[j]` (amperes) is the current into the virtual ground of
//!   bit line `j`.
//!
//! A zero wire resistance merges the nodes of each line (one node per word
//! line or bit line); a zero driver (sense) resistance on top fixes that
//! node at `V[i]` (0 V). All four zero give exactly the ideal `I = Vᵀ·G`.

use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};

use crate::error::{CrossbarError, Result};

/// The resistances of the array's wiring and periphery, in ohms.
///
/// `r_wordline` and `r_bitline` are per segment between neighbouring cells;
/// `r_source` is the driver's output resistance, `r_sense` the sense
/// amplifier's input resistance. All must be finite and ≥ 0
/// ([`Wires::validate`]).
///
/// ```
/// use xbar_crossbar::Wires;
/// let wires = Wires::new(2.5, 2.5, 100.0, 50.0)?;
/// assert_eq!(wires.r_source, 100.0);
/// assert!(Wires::new(-1.0, 0.0, 0.0, 0.0).is_err());
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
///
/// # Configuration keys
/// The serde form is the one every config file and sidecar uses, with
/// units in the keys (all optional, default 0 Ω):
///
/// | key | field |
/// |---|---|
/// | `r_wordline_ohm` | [`r_wordline`](Self::r_wordline) |
/// | `r_bitline_ohm` | [`r_bitline`](Self::r_bitline) |
/// | `r_source_ohm` | [`r_source`](Self::r_source) |
/// | `r_sense_ohm` | [`r_sense`](Self::r_sense) |
/// | `r_wire_ohm` | input only: both `r_wordline` and `r_bitline` |
///
/// `r_wire_ohm` together with `r_wordline_ohm` or `r_bitline_ohm` is an
/// error, and so is any other key ([`Wires::KEYS`] lists the accepted
/// ones) — unless the wires are `#[serde(flatten)]`-ed into a larger
/// table, where they take only their own keys and leave the rest to the
/// container. Serialising writes the four explicit `_ohm` keys.
/// Deserialising does not check the values: call [`Wires::validate`]
/// (error fields are the keys above).
///
/// ```
/// use xbar_crossbar::Wires;
/// let wires: Wires = serde_json::from_str(r#"{ "r_wire_ohm": 2.5, "r_sense_ohm": 50 }"#).unwrap();
/// assert_eq!(wires, Wires::new(2.5, 2.5, 0.0, 50.0)?);
/// assert_eq!(
///     serde_json::to_string(&wires).unwrap(),
///     r#"{"r_wordline_ohm":2.5,"r_bitline_ohm":2.5,"r_source_ohm":0.0,"r_sense_ohm":50.0}"#
/// );
/// let both = r#"{ "r_wire_ohm": 1, "r_bitline_ohm": 2 }"#;
/// assert!(serde_json::from_str::<Wires>(both).is_err());
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(try_from = "WireKeys", into = "WireValues")]
pub struct Wires {
    /// Word-line resistance per segment (Ω); key `r_wordline_ohm`.
    pub r_wordline: f64,
    /// Bit-line resistance per segment (Ω); key `r_bitline_ohm`.
    pub r_bitline: f64,
    /// Input driver resistance (Ω); key `r_source_ohm`.
    pub r_source: f64,
    /// Sense (virtual-ground) resistance (Ω); key `r_sense_ohm`.
    pub r_sense: f64,
}

impl Wires {
    /// Every key the serde form accepts (see [the table](Wires#configuration-keys)).
    pub const KEYS: &'static [&'static str] = &[
        "r_wire_ohm",
        "r_wordline_ohm",
        "r_bitline_ohm",
        "r_source_ohm",
        "r_sense_ohm",
    ];

    /// Checked constructor (all resistances in ohms).
    pub fn new(r_wordline: f64, r_bitline: f64, r_source: f64, r_sense: f64) -> Result<Self> {
        let wires = Wires {
            r_wordline,
            r_bitline,
            r_source,
            r_sense,
        };
        wires.validate()?;
        Ok(wires)
    }

    /// No wire, driver or sense resistance: the ideal product.
    pub fn ideal() -> Self {
        Wires::default()
    }

    /// Whether every resistance is zero.
    pub fn is_ideal(&self) -> bool {
        self.r_wordline == 0.0
            && self.r_bitline == 0.0
            && self.r_source == 0.0
            && self.r_sense == 0.0
    }

    /// Checks that every resistance is finite and ≥ 0: the one check of
    /// wire resistances in the workspace. The error's field is the
    /// configuration key (`r_wordline_ohm`, `r_bitline_ohm`,
    /// `r_source_ohm`, `r_sense_ohm`).
    pub fn validate(&self) -> Result<()> {
        for (field, r) in [
            ("r_wordline_ohm", self.r_wordline),
            ("r_bitline_ohm", self.r_bitline),
            ("r_source_ohm", self.r_source),
            ("r_sense_ohm", self.r_sense),
        ] {
            if !(r.is_finite() && r >= 0.0) {
                return Err(CrossbarError::invalid(
                    field,
                    format!("expected a finite resistance ≥ 0 Ω, found {r}"),
                ));
            }
        }
        Ok(())
    }
}

/// What [`Wires`] deserialises from: every key optional, `r_wire_ohm` the
/// shorthand for both lines.
#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct WireKeys {
    r_wire_ohm: Option<f64>,
    r_wordline_ohm: Option<f64>,
    r_bitline_ohm: Option<f64>,
    r_source_ohm: Option<f64>,
    r_sense_ohm: Option<f64>,
}

impl TryFrom<WireKeys> for Wires {
    type Error = CrossbarError;
    fn try_from(keys: WireKeys) -> Result<Self> {
        if keys.r_wire_ohm.is_some()
            && (keys.r_wordline_ohm.is_some() || keys.r_bitline_ohm.is_some())
        {
            return Err(CrossbarError::invalid(
                "r_wire_ohm",
                "give either `r_wire_ohm` (both lines) or `r_wordline_ohm`/`r_bitline_ohm`, not both",
            ));
        }
        let line = keys.r_wire_ohm.unwrap_or(0.0);
        Ok(Wires {
            r_wordline: keys.r_wordline_ohm.unwrap_or(line),
            r_bitline: keys.r_bitline_ohm.unwrap_or(line),
            r_source: keys.r_source_ohm.unwrap_or(0.0),
            r_sense: keys.r_sense_ohm.unwrap_or(0.0),
        })
    }
}

/// What [`Wires`] serialises to: the four explicit keys.
#[derive(Serialize)]
struct WireValues {
    r_wordline_ohm: f64,
    r_bitline_ohm: f64,
    r_source_ohm: f64,
    r_sense_ohm: f64,
}

impl From<Wires> for WireValues {
    fn from(w: Wires) -> Self {
        WireValues {
            r_wordline_ohm: w.r_wordline,
            r_bitline_ohm: w.r_bitline,
            r_source_ohm: w.r_source,
            r_sense_ohm: w.r_sense,
        }
    }
}

/// A programmed array: conductances (siemens, M×N, rows = word lines) and
/// its [`Wires`].
///
/// ```
/// use nalgebra::DMatrix;
/// use xbar_crossbar::{Crossbar, Wires};
/// let xbar = Crossbar::new(DMatrix::from_element(4, 3, 1e-6), Wires::ideal())?;
/// assert_eq!((xbar.rows(), xbar.cols()), (4, 3));
/// assert!(Crossbar::new(DMatrix::from_element(2, 2, -1e-6), Wires::ideal()).is_err());
/// # Ok::<(), xbar_crossbar::CrossbarError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Crossbar {
    conductances: DMatrix<f64>,
    wires: Wires,
}

impl Crossbar {
    /// Checks that the array is non-empty, every conductance finite and
    /// ≥ 0, and the wires valid.
    pub fn new(conductances: DMatrix<f64>, wires: Wires) -> Result<Self> {
        wires.validate()?;
        if conductances.nrows() == 0 || conductances.ncols() == 0 {
            return Err(CrossbarError::invalid(
                "conductances",
                format!(
                    "expected at least one row and one column, found {}×{}",
                    conductances.nrows(),
                    conductances.ncols()
                ),
            ));
        }
        for j in 0..conductances.ncols() {
            for i in 0..conductances.nrows() {
                let g = conductances[(i, j)];
                if !(g.is_finite() && g >= 0.0) {
                    return Err(CrossbarError::invalid(
                        format!("g[{i},{j}]"),
                        format!("expected a finite conductance ≥ 0 S, found {g}"),
                    ));
                }
            }
        }
        Ok(Crossbar {
            conductances,
            wires,
        })
    }

    /// Number of word lines M.
    pub fn rows(&self) -> usize {
        self.conductances.nrows()
    }

    /// Number of bit lines N.
    pub fn cols(&self) -> usize {
        self.conductances.ncols()
    }

    /// The programmed conductances (S).
    pub fn conductances(&self) -> &DMatrix<f64> {
        &self.conductances
    }

    /// The wiring.
    pub fn wires(&self) -> &Wires {
        &self.wires
    }

    /// Checks that `inputs` is a `B×M` batch of finite voltages.
    pub(crate) fn check_inputs(&self, inputs: &DMatrix<f64>) -> Result<()> {
        if inputs.ncols() != self.rows() {
            return Err(CrossbarError::shape(
                "input vector length (number of word lines)",
                self.rows(),
                inputs.ncols(),
            ));
        }
        if let Some(k) = inputs.iter().position(|v| !v.is_finite()) {
            let (b, i) = (k % inputs.nrows(), k / inputs.nrows());
            return Err(CrossbarError::invalid(
                format!("inputs[{b},{i}]"),
                format!("expected a finite voltage, found {}", inputs[(b, i)]),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn field_of(err: CrossbarError) -> String {
        match err {
            CrossbarError::InvalidParameter { field, .. } => field,
            other => panic!("expected InvalidParameter, got {other:?}"),
        }
    }

    #[test]
    fn validate_names_the_configuration_key() {
        let cases = [
            ([-1.0, 0.0, 0.0, 0.0], "r_wordline_ohm"),
            ([0.0, f64::NAN, 0.0, 0.0], "r_bitline_ohm"),
            ([0.0, 0.0, f64::INFINITY, 0.0], "r_source_ohm"),
            ([0.0, 0.0, 0.0, -0.5], "r_sense_ohm"),
        ];
        for ([wl, bl, s, k], field) in cases {
            let err = Wires::new(wl, bl, s, k).unwrap_err();
            assert_eq!(field_of(err.clone()), field);
            assert!(err.to_string().contains("resistance ≥ 0"), "{err}");
        }
        assert!(Wires::new(0.0, 0.0, 0.0, 0.0).unwrap().is_ideal());
    }

    #[test]
    fn deserialises_the_configuration_keys_with_defaults_and_shorthand() {
        let w: Wires = toml::from_str("").unwrap();
        assert_eq!(w, Wires::ideal());
        let w: Wires = toml::from_str(
            "r_wordline_ohm = 1.5\nr_bitline_ohm = 2\nr_source_ohm = 100.0\nr_sense_ohm = 50.0",
        )
        .unwrap();
        assert_eq!(w, Wires::new(1.5, 2.0, 100.0, 50.0).unwrap());
        let w: Wires = toml::from_str("r_wire_ohm = 2.5\nr_sense_ohm = 3.0").unwrap();
        assert_eq!(w, Wires::new(2.5, 2.5, 0.0, 3.0).unwrap());
        // Values are not checked here: `validate` does that, by key.
        let w: Wires = toml::from_str("r_source_ohm = -1.0").unwrap();
        assert_eq!(field_of(w.validate().unwrap_err()), "r_source_ohm");
    }

    #[test]
    fn shorthand_with_a_line_key_is_refused() {
        for other in ["r_wordline_ohm", "r_bitline_ohm"] {
            let err = toml::from_str::<Wires>(&format!("r_wire_ohm = 1.0\n{other} = 2.0"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(
                    "give either `r_wire_ohm` (both lines) or `r_wordline_ohm`/`r_bitline_ohm`, not both"
                ),
                "{err}"
            );
        }
    }

    #[test]
    fn unknown_keys_are_refused_on_their_own() {
        let err = toml::from_str::<Wires>("r_wordline = 1.0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("r_wordline"), "{err}");
        assert!(serde_json::from_str::<Wires>(r#"{"r_wire": 1}"#).is_err());
    }

    #[test]
    fn every_listed_key_is_accepted() {
        for key in Wires::KEYS {
            let w: Wires = toml::from_str(&format!("{key} = 4.0")).unwrap();
            assert!(!w.is_ideal(), "{key}");
        }
        assert_eq!(Wires::KEYS.len(), 5);
    }

    #[test]
    fn serialises_the_four_explicit_keys_and_round_trips() {
        let w = Wires::new(1.0, 2.0, 3.0, 4.0).unwrap();
        let json = serde_json::to_value(w).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "r_wordline_ohm": 1.0, "r_bitline_ohm": 2.0,
                "r_source_ohm": 3.0, "r_sense_ohm": 4.0,
            })
        );
        assert_eq!(serde_json::from_value::<Wires>(json).unwrap(), w);
        let text = toml::to_string(&w).unwrap();
        assert_eq!(toml::from_str::<Wires>(&text).unwrap(), w);
    }

    /// A table that holds the wires among other keys.
    #[derive(Debug, Deserialize, Serialize)]
    struct Section {
        size: usize,
        #[serde(flatten)]
        wires: Wires,
        #[serde(flatten)]
        rest: BTreeMap<String, toml::Value>,
    }

    #[test]
    fn flattened_wires_take_their_keys_and_leave_the_rest() {
        let s: Section = toml::from_str(
            "size = 64\nr_wire_ohm = 2.5\nr_sense_ohm = 10\nvectors = 8\nname = \"x\"",
        )
        .unwrap();
        assert_eq!(s.size, 64);
        assert_eq!(s.wires, Wires::new(2.5, 2.5, 0.0, 10.0).unwrap());
        assert_eq!(
            s.rest.keys().collect::<Vec<_>>(),
            ["name", "vectors"],
            "wire keys must not reach `rest`"
        );
        assert_eq!(s.rest["vectors"], toml::Value::Integer(8));

        let s: Section =
            toml::from_str("size = 4\nr_wordline_ohm = 1.0\nr_bitline_ohm = 2.0").unwrap();
        assert_eq!(s.wires, Wires::new(1.0, 2.0, 0.0, 0.0).unwrap());
        assert!(s.rest.is_empty());

        let s: Section = toml::from_str("size = 4").unwrap();
        assert_eq!(s.wires, Wires::ideal());

        // The shorthand conflict is still an error when flattened.
        let err = toml::from_str::<Section>("size = 4\nr_wire_ohm = 1.0\nr_bitline_ohm = 1.0")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not both"), "{err}");

        // Serialising the container writes the explicit keys inline.
        let s = Section {
            size: 2,
            wires: Wires::new(1.0, 1.0, 0.0, 0.0).unwrap(),
            rest: BTreeMap::new(),
        };
        let text = toml::to_string(&s).unwrap();
        assert!(text.contains("r_wordline_ohm = 1.0"), "{text}");
        let back: Section = toml::from_str(&text).unwrap();
        assert_eq!(back.wires, s.wires);
        assert!(back.rest.is_empty());
    }
}
