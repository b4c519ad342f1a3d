//! The access device in series with each cell (`[access]`), and the cell
//! as the array's nodal equations see it: the device's I-V ([`IvSpec`]) in
//! series with that access device ([`Cell`]).
//!
//! * **resistor**: `I = (V_d − V_s)/R`;
//! * **nmos-level1**: the SPICE level-1 MOSFET (Shichman and Hodges,
//!   "Modeling and simulation of insulated-gate field-effect transistor
//!   switching circuits", IEEE JSSC 3(3), 1968; the ngspice manual §11.2,
//!   `LEVEL=1`, and its `mos1load.c`), with `β = KP·W/L`
//!   (`kp_A_per_V2`), threshold `V_TO`, channel-length modulation `λ`,
//!   zero body effect (`GAMMA = 0`: the bulk is tied to the source, on the
//!   bit-line side) and the gate held at `gate_V`. With
//!   `V_GS − V_TO = V_ov` and `V_DS ≥ 0`:
//!   `I = 0` for `V_ov ≤ 0` (cut-off),
//!   `I = β·(1 + λ·V_DS)·V_DS·(V_ov − V_DS/2)` for `0 < V_DS < V_ov`
//!   (linear), `I = (β/2)·(1 + λ·V_DS)·V_ov²` for `V_DS ≥ V_ov`
//!   (saturation). For `V_DS < 0` drain and source swap roles, as in
//!   SPICE's level 1 (`mode = −1`): `I = −I(V_GD, V_SD)`. The drain is on
//!   the device side, the source on the bit line. Junction diodes and
//!   capacitances are not modelled (a DC read; with the bulk on the
//!   bit-line side they are reverse biased, leaking `IS ≈ 1e-14 A`).
//!
//! A cell of small-signal conductance `g` between word-line node `V_w` and
//! bit-line node `V_b` has an internal node `V_x` between its device and
//! its access device; [`Cell::current`] solves the one equation
//! `f(g, V_w − V_x) = I_acc(V_x, V_b)` for it (both sides monotone, so a
//! bracketed Newton iteration converges to rounding) and returns the
//! current with its partial derivatives by implicit differentiation:
//! with `g_d = f'(V_w − V_x)` and the access device's `t_d = ∂I_acc/∂V_x`,
//! `t_s = ∂I_acc/∂V_b`, `∂I/∂V_w = g_d·t_d/(g_d + t_d)` and
//! `∂I/∂V_b = g_d·t_s/(g_d + t_d)`. Without a gate (no access device, a
//! resistor) `t_s = −t_d` and the current depends on `V_w − V_b` only.

use serde::{Deserialize, Serialize};

use crate::check::{self, SpecError};
use crate::describe::{Parameter, Section};
use crate::iv::{CellIv, IvSpec};

/// The access device in series with every cell (`[access]`).
#[allow(non_snake_case)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AccessSpec {
    /// No access device (a 0T1R cell).
    #[default]
    None,
    /// A series resistance.
    Resistor {
        /// Its resistance (Ω).
        r_ohm: f64,
    },
    /// A SPICE level-1 NMOS transistor, drain on the device, source and
    /// bulk on the bit line, gate at `gate_V`.
    #[serde(rename = "nmos-level1")]
    NmosLevel1 {
        /// `β = KP·W/L` (A/V²).
        kp_A_per_V2: f64,
        /// Threshold voltage `V_TO` (V).
        vto_V: f64,
        /// Channel-length modulation `λ` (1/V).
        lambda_per_V: f64,
        /// Gate voltage during a read (V, from ground).
        gate_V: f64,
    },
}

impl AccessSpec {
    /// No access device.
    pub fn is_none(&self) -> bool {
        matches!(self, AccessSpec::None)
    }

    /// Checks the constraints of every field.
    ///
    /// # Errors
    /// The first offending field at `access.<key>`.
    pub fn validate(&self) -> Result<(), SpecError> {
        match *self {
            AccessSpec::None => {}
            AccessSpec::Resistor { r_ohm } => {
                check::positive("access.r_ohm", r_ohm)?;
            }
            AccessSpec::NmosLevel1 {
                kp_A_per_V2,
                vto_V,
                lambda_per_V,
                gate_V,
            } => {
                check::positive("access.kp_A_per_V2", kp_A_per_V2)?;
                check::finite("access.vto_V", vto_V)?;
                check::non_negative("access.lambda_per_V", lambda_per_V)?;
                check::finite("access.gate_V", gate_V)?;
                if gate_V <= vto_V {
                    return Err(SpecError::new(
                        "access.gate_V",
                        format!(
                            "expected a gate voltage above the threshold vto_V = {vto_V} V, found {gate_V} V (the transistor would never conduct)"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The current from the device-side terminal (`v_d`, V) to the
    /// bit-line terminal (`v_s`, V) with its partial derivatives:
    /// `(I, ∂I/∂v_d, ∂I/∂v_s)` (A, S, S). `None` is a short (no current
    /// law of its own); callers handle it before.
    pub fn current(&self, v_d: f64, v_s: f64) -> (f64, f64, f64) {
        match *self {
            AccessSpec::None => (0.0, 0.0, 0.0),
            AccessSpec::Resistor { r_ohm } => ((v_d - v_s) / r_ohm, 1.0 / r_ohm, -1.0 / r_ohm),
            AccessSpec::NmosLevel1 {
                kp_A_per_V2: beta,
                vto_V: vto,
                lambda_per_V: lambda,
                gate_V: vg,
            } => {
                if v_d >= v_s {
                    let (i, gm, gds) = level1(beta, vto, lambda, vg - v_s, v_d - v_s);
                    (i, gds, -(gm + gds))
                } else {
                    // Reverse mode: the bit-line side is the drain.
                    let (i, gm, gds) = level1(beta, vto, lambda, vg - v_d, v_s - v_d);
                    (-i, gm + gds, -gds)
                }
            }
        }
    }

    /// The parameters, with the transistor's on-resistance and saturation
    /// current at the read's gate voltage.
    pub fn describe(&self) -> Section {
        const TITLE: &str = "Access device";
        let mut s = Section::new(TITLE, Some("access"));
        match *self {
            AccessSpec::None => {
                return Section::absent(
                    TITLE,
                    Some("access"),
                    "no access device: every cell sits between its word and bit line (0T1R)",
                )
            }
            AccessSpec::Resistor { r_ohm } => {
                s = s.with_equation("I = f_iv(V_w − V_x) = (V_x − V_b)/r_ohm");
                s.parameter(Parameter::text(
                    "model",
                    "resistor",
                    "a resistance in series with every cell",
                ));
                s.parameter(Parameter::number(
                    "r_ohm",
                    r_ohm,
                    "Ω",
                    "series resistance, between the cell and its bit line",
                ));
            }
            AccessSpec::NmosLevel1 {
                kp_A_per_V2,
                vto_V,
                lambda_per_V,
                gate_V,
            } => {
                s = s.with_equation(
                    "I = β(1+λV_DS)·V_DS(V_ov − V_DS/2) below saturation, (β/2)(1+λV_DS)·V_ov² above; V_ov = gate_V − V_b − vto_V",
                );
                s.parameter(Parameter::text(
                    "model",
                    "nmos-level1",
                    "SPICE level-1 NMOS in series (1T1R): drain on the cell, source and bulk on the bit line",
                ));
                s.parameter(Parameter::number(
                    "kp_A_per_V2",
                    kp_A_per_V2,
                    "A/V²",
                    "β = KP·W/L, the transconductance parameter",
                ));
                s.parameter(Parameter::number(
                    "vto_V",
                    vto_V,
                    "V",
                    "threshold voltage V_TO",
                ));
                s.parameter(Parameter::number(
                    "lambda_per_V",
                    lambda_per_V,
                    "1/V",
                    "channel-length modulation λ",
                ));
                s.parameter(Parameter::number(
                    "gate_V",
                    gate_V,
                    "V",
                    "word-line-select gate voltage during a read",
                ));
                let overdrive = gate_V - vto_V;
                s.derive(Parameter::number(
                    "R_on",
                    1.0 / (kp_A_per_V2 * overdrive),
                    "Ω",
                    "1/(β·(gate_V − vto_V)): the on-resistance at V_DS → 0, source at 0 V",
                ));
                s.derive(Parameter::number(
                    "I_sat",
                    0.5 * kp_A_per_V2 * overdrive * overdrive,
                    "A",
                    "(β/2)·(gate_V − vto_V)²: the most a cell passes (λ = 0, source at 0 V)",
                ));
            }
        }
        s
    }
}

/// SPICE level 1 for `V_DS ≥ 0` with no body effect: `(I_D, g_m, g_ds)`
/// at gate-source voltage `vgs` and drain-source voltage `vds`, as
/// ngspice's `mos1load.c` computes them.
fn level1(beta: f64, vto: f64, lambda: f64, vgs: f64, vds: f64) -> (f64, f64, f64) {
    let vgst = vgs - vto;
    if vgst <= 0.0 {
        return (0.0, 0.0, 0.0);
    }
    let betap = beta * (1.0 + lambda * vds);
    if vgst <= vds {
        (
            0.5 * betap * vgst * vgst,
            betap * vgst,
            0.5 * lambda * beta * vgst * vgst,
        )
    } else {
        (
            betap * vds * (vgst - 0.5 * vds),
            betap * vds,
            betap * (vgst - vds) + lambda * beta * vds * (vgst - 0.5 * vds),
        )
    }
}

/// One cell as the nodal equations see it: its I-V in series with its
/// access device.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Cell {
    /// The device's own I-V (`[iv]`).
    pub iv: IvSpec,
    /// The access device in series (`[access]`).
    pub access: AccessSpec,
}

/// A cell's current and its partial derivatives at given node voltages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellCurrent {
    /// Current from the word-line node to the bit-line node (A).
    pub current_a: f64,
    /// `∂I/∂V_w` (S).
    pub d_wordline: f64,
    /// `∂I/∂V_b` (S).
    pub d_bitline: f64,
}

impl Cell {
    /// The cell of a device: its `[iv]` and `[access]`.
    pub fn of(iv: IvSpec, access: AccessSpec) -> Cell {
        Cell { iv, access }
    }

    /// An ohmic cell with no access device: `I = g·V`.
    pub fn is_ohmic(&self) -> bool {
        self.iv.is_linear() && self.access.is_none()
    }

    /// Whether the current depends on `V_w − V_b` alone (no gate), so that
    /// the nodal Jacobian is symmetric.
    pub fn is_two_terminal(&self) -> bool {
        !matches!(self.access, AccessSpec::NmosLevel1 { .. })
    }

    /// Checks the I-V and the access device.
    ///
    /// # Errors
    /// The first offending field (`iv.…`, `access.…`).
    pub fn validate(&self) -> Result<(), SpecError> {
        self.iv.validate()?;
        self.access.validate()
    }

    /// The current of a cell of small-signal conductance `g` (S) from
    /// word-line node `v_w` to bit-line node `v_b` (V), and its partial
    /// derivatives (see the [module documentation](self)).
    ///
    /// ```
    /// use xbar_devices::access::{AccessSpec, Cell};
    /// use xbar_devices::IvSpec;
    /// // 10 kΩ in series with 10 kΩ: 0.2 V drives 10 µA.
    /// let cell = Cell::of(IvSpec::Linear, AccessSpec::Resistor { r_ohm: 1e4 });
    /// let c = cell.current(1e-4, 0.25, 0.05);
    /// assert!((c.current_a - 1e-5).abs() < 1e-18);
    /// assert!((c.d_wordline - 5e-5).abs() < 1e-18 && c.d_bitline == -c.d_wordline);
    /// ```
    pub fn current(&self, g: f64, v_w: f64, v_b: f64) -> CellCurrent {
        if self.access.is_none() {
            let v = v_w - v_b;
            let slope = self.iv.didv(g, v);
            return CellCurrent {
                current_a: self.iv.current(g, v),
                d_wordline: slope,
                d_bitline: -slope,
            };
        }
        if g == 0.0 {
            // An open cell.
            return CellCurrent {
                current_a: 0.0,
                d_wordline: 0.0,
                d_bitline: 0.0,
            };
        }
        let v_x = self.internal_node(g, v_w, v_b);
        let g_d = self.iv.didv(g, v_w - v_x);
        let (_, t_d, t_s) = self.access.current(v_x, v_b);
        let denominator = g_d + t_d;
        CellCurrent {
            current_a: self.iv.current(g, v_w - v_x),
            d_wordline: g_d * t_d / denominator,
            d_bitline: g_d * t_s / denominator,
        }
    }

    /// The voltage of the node between the device and its access device:
    /// the root of `h(x) = f(g, v_w − x) − I_acc(x, v_b)`, which decreases
    /// strictly in `x` and changes sign between `v_b` and `v_w`. Newton's
    /// method kept inside the bracket (bisection where a step leaves it).
    fn internal_node(&self, g: f64, v_w: f64, v_b: f64) -> f64 {
        let h = |x: f64| {
            let (i_acc, t_d, _) = self.access.current(x, v_b);
            (
                self.iv.current(g, v_w - x) - i_acc,
                -self.iv.didv(g, v_w - x) - t_d,
            )
        };
        // h(lo) ≥ 0 ≥ h(hi).
        let (mut lo, mut hi) = (v_w.min(v_b), v_w.max(v_b));
        let scale = v_w.abs().max(v_b.abs()).max(f64::MIN_POSITIVE);
        // Start where a resistor divider would put it: a good guess for
        // an on transistor and exact for ohmic pairs.
        let mut x = 0.5 * (lo + hi);
        for _ in 0..200 {
            let (value, slope) = h(x);
            if value == 0.0 {
                return x;
            }
            if value > 0.0 {
                lo = x;
            } else {
                hi = x;
            }
            let newton = x - value / slope;
            let next = if newton > lo && newton < hi && newton.is_finite() {
                newton
            } else {
                0.5 * (lo + hi)
            };
            if (next - x).abs() <= 4.0 * f64::EPSILON * scale
                || hi - lo <= 4.0 * f64::EPSILON * scale
            {
                return next;
            }
            x = next;
        }
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NMOS: AccessSpec = AccessSpec::NmosLevel1 {
        kp_A_per_V2: 2e-4,
        vto_V: 0.4,
        lambda_per_V: 0.05,
        gate_V: 1.2,
    };

    #[test]
    fn level1_regions_by_hand() {
        // Saturation: V_ov = 0.8 V ≤ V_DS = 1 V.
        let (i, _, _) = NMOS.current(1.0, 0.0);
        assert!((i - 0.5 * 2e-4 * 1.05 * 0.64).abs() < 1e-18, "{i}");
        // Linear: V_DS = 0.3 V < V_ov.
        let (i, _, _) = NMOS.current(0.3, 0.0);
        assert!((i - 2e-4 * 1.015 * 0.3 * (0.8 - 0.15)).abs() < 1e-18, "{i}");
        // Cut-off: the source at 0.9 V leaves V_GS = 0.3 V < V_TO.
        assert_eq!(NMOS.current(1.5, 0.9), (0.0, 0.0, 0.0));
        // Reverse: the bit-line side acts as the drain, the gate overdrive
        // counted from the device side.
        let (i, _, _) = NMOS.current(0.0, 0.3);
        assert!((i + 2e-4 * 1.015 * 0.3 * (0.8 - 0.15)).abs() < 1e-18, "{i}");
    }

    #[test]
    fn partials_match_finite_differences_in_every_region() {
        let h = 1e-7;
        for access in [NMOS, AccessSpec::Resistor { r_ohm: 5e3 }] {
            for (vd, vs) in [
                (1.0, 0.0),
                (0.3, 0.05),
                (0.05, 0.3),
                (-0.8, 0.1),
                (0.7, 0.2),
            ] {
                let (_, td, ts) = access.current(vd, vs);
                let fd = (access.current(vd + h, vs).0 - access.current(vd - h, vs).0) / (2.0 * h);
                let fs = (access.current(vd, vs + h).0 - access.current(vd, vs - h).0) / (2.0 * h);
                assert!(
                    (fd - td).abs() <= 1e-6 * td.abs().max(1e-9),
                    "{vd} {vs}: {fd} {td}"
                );
                assert!(
                    (fs - ts).abs() <= 1e-6 * ts.abs().max(1e-9),
                    "{vd} {vs}: {fs} {ts}"
                );
            }
        }
    }

    #[test]
    fn series_cell_conserves_current_and_its_partials_are_right() {
        let cell = Cell::of(IvSpec::Sinh { a_per_volt: 4.0 }, NMOS);
        let g = 5e-5;
        for (vw, vb) in [(0.6, 0.02), (0.2, 0.0), (-0.5, 0.01), (1.5, 0.1)] {
            let c = cell.current(g, vw, vb);
            let x = cell.internal_node(g, vw, vb);
            let through_access = NMOS.current(x, vb).0;
            assert!(
                (c.current_a - through_access).abs() <= 1e-12 * c.current_a.abs(),
                "{vw}: {} vs {through_access}",
                c.current_a
            );
            let h = 1e-7;
            let dw = (cell.current(g, vw + h, vb).current_a
                - cell.current(g, vw - h, vb).current_a)
                / (2.0 * h);
            let db = (cell.current(g, vw, vb + h).current_a
                - cell.current(g, vw, vb - h).current_a)
                / (2.0 * h);
            assert!(
                (dw - c.d_wordline).abs() <= 1e-5 * dw.abs(),
                "{dw} {}",
                c.d_wordline
            );
            assert!(
                (db - c.d_bitline).abs() <= 1e-5 * db.abs(),
                "{db} {}",
                c.d_bitline
            );
        }
        // A resistor in series with an ohmic cell is the series combination.
        let pair = Cell::of(IvSpec::Linear, AccessSpec::Resistor { r_ohm: 3e4 });
        let c = pair.current(1e-4, 0.4, 0.0);
        assert!((c.current_a - 0.4 / 4e4).abs() < 1e-17);
        assert!(!cell.is_two_terminal() && pair.is_two_terminal() && !pair.is_ohmic());
    }

    #[test]
    fn validation_names_the_field() {
        let bad = AccessSpec::Resistor { r_ohm: -1.0 };
        assert_eq!(bad.validate().unwrap_err().field, "access.r_ohm");
        let off = AccessSpec::NmosLevel1 {
            kp_A_per_V2: 1e-4,
            vto_V: 0.5,
            lambda_per_V: 0.0,
            gate_V: 0.4,
        };
        let e = off.validate().unwrap_err();
        assert_eq!(e.field, "access.gate_V");
        assert!(e.message.contains("threshold"), "{}", e.message);
        assert!(NMOS.validate().is_ok());
    }

    #[test]
    fn describe_derives_the_on_resistance() {
        let s = NMOS.describe();
        let r_on = s.derived.iter().find(|p| p.key == "R_on").unwrap();
        assert_eq!(r_on.unit, "Ω");
        let crate::describe::Value::Number(r_on) = r_on.value else {
            panic!("{r_on:?}")
        };
        assert!((r_on - 1.0 / (2e-4 * 0.8)).abs() < 1e-9);
        assert!(AccessSpec::None.describe().absent.is_some());
    }
}
