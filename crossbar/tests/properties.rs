//! Physical and algebraic properties every solve must have, on random
//! arrays (up to 12×12) and random wiring, including zero resistances on
//! either line type (merged or fixed lines) and open (zero-conductance)
//! cells:
//!
//! * Kirchhoff's current law at every node of the drawn circuit, and in
//!   total (what the sources deliver, the sense amplifiers receive);
//! * linearity in the inputs;
//! * the zero-resistance limit (the ideal product) and its continuity;
//! * Rayleigh monotonicity: more resistance never raises the total current;
//! * the maximum principle (passivity);
//! * agreement of the exact, transfer-matrix, `Auto` and Newton paths;
//! * invalid parameters and inputs are errors, never panics or NaN.
//!
//! The validation against an independent simulator is `ngspice.rs`.

mod support;

use nalgebra::DMatrix;
use proptest::prelude::*;
use xbar_crossbar::{
    Crossbar, CrossbarError, ExactSolver, NewtonOptions, Solver, TransferMatrix, Wires,
};
use xbar_devices::IvSpec;

use support::{amax, ideal_product, kcl_imbalance, rel_err};

// --- strategies ---------------------------------------------------------------

/// A resistance (Ω): zero a quarter of the time, else up to 50 Ω.
fn resistance() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![1 => Just(0.0), 3 => 0.05f64..50.0]
}

/// One line type's `(wire, end)` resistances, each of its three nodal
/// forms equally often: a grid of nodes (wire > 0, any end resistance),
/// one merged node (wire = 0, end > 0), or fixed (both zero).
fn line() -> impl Strategy<Value = (f64, f64)> + Clone {
    prop_oneof![
        (0.05f64..50.0, resistance()),
        (Just(0.0), 0.05f64..50.0),
        Just((0.0, 0.0)),
    ]
}

fn any_wires() -> impl Strategy<Value = Wires> + Clone {
    (line(), line()).prop_map(|((wl, s), (bl, k))| Wires::new(wl, bl, s, k).unwrap())
}

/// A conductance (S): exactly zero (an open cell) a tenth of the time.
fn conductance() -> impl Strategy<Value = f64> + Clone {
    prop_oneof![1 => Just(0.0), 9 => 1e-6f64..1e-3]
}

/// An array, its wiring and a batch of `batch` input vectors drawn from
/// `volts`.
#[derive(Debug, Clone)]
struct Case {
    g: DMatrix<f64>,
    wires: Wires,
    inputs: DMatrix<f64>,
}

impl Case {
    fn crossbar(&self) -> Crossbar {
        Crossbar::new(self.g.clone(), self.wires).unwrap()
    }

    fn input(&self, b: usize) -> Vec<f64> {
        self.inputs.row(b).iter().copied().collect()
    }
}

fn case_with(
    g: impl Strategy<Value = f64> + Clone + 'static,
    wires: impl Strategy<Value = Wires> + Clone + 'static,
    batch: std::ops::RangeInclusive<usize>,
    volts: std::ops::Range<f64>,
) -> impl Strategy<Value = Case> {
    (1usize..=12, 1usize..=12, batch).prop_flat_map(move |(m, n, b)| {
        (
            prop::collection::vec(g.clone(), m * n),
            wires.clone(),
            prop::collection::vec(volts.clone(), b * m),
        )
            .prop_map(move |(g, wires, v)| Case {
                g: DMatrix::from_row_slice(m, n, &g),
                wires,
                inputs: DMatrix::from_row_slice(b, m, &v),
            })
    })
}

fn any_case() -> impl Strategy<Value = Case> {
    case_with(conductance(), any_wires(), 1..=4, -0.5..0.5)
}

/// The scale of vector `b`'s currents before any cancellation between
/// inputs of opposite sign: `max_j Σ_i |V[b,i]|·G[i,j]`. Errors of sums
/// are judged against it.
fn current_scale(inputs: &DMatrix<f64>, g: &DMatrix<f64>, b: usize) -> f64 {
    let abs = DMatrix::from_fn(1, inputs.ncols(), |_, i| inputs[(b, i)].abs());
    amax(ideal_product(&abs, g).iter().copied())
}

/// `max_j |a[b,j] − r[b,j]|` over `scale`, for every vector `b`; the worst.
fn scaled_err(a: &DMatrix<f64>, r: &DMatrix<f64>, inputs: &DMatrix<f64>, g: &DMatrix<f64>) -> f64 {
    assert_eq!(a.shape(), r.shape());
    (0..a.nrows())
        .map(|b| {
            let scale = current_scale(inputs, g, b);
            let diff = amax(a.row(b).iter().zip(r.row(b).iter()).map(|(x, y)| x - y));
            if scale > 0.0 {
                diff / scale
            } else {
                diff
            }
        })
        .fold(0.0, f64::max)
}

// --- Kirchhoff ------------------------------------------------------------------

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The node voltages satisfy Kirchhoff's current law at every node of
    /// the drawn circuit; the sources deliver what the sense amplifiers
    /// receive; the sense currents are `solve`'s outputs.
    #[test]
    fn kirchhoff_holds_at_every_node_and_in_total(case in any_case()) {
        let xbar = case.crossbar();
        let solver = ExactSolver::new(&xbar).unwrap();
        let outputs = solver.solve(&case.inputs).unwrap();
        for b in 0..case.inputs.nrows() {
            let v = case.input(b);
            let nv = solver.node_voltages(&v).unwrap();
            let (imbalance, scale) = kcl_imbalance(&case.g, &case.wires, &v, &nv);
            prop_assert!(
                imbalance <= 1e-9 * scale,
                "KCL imbalance {imbalance:e} A against currents of {scale:e} A"
            );
            let delivered: f64 = nv.source_currents.iter().sum();
            let received: f64 = nv.sense_currents.iter().sum();
            prop_assert!(
                (delivered - received).abs() <= 1e-9 * scale,
                "sources deliver {delivered:e} A, sense receives {received:e} A"
            );
            let diff = amax(nv.sense_currents.iter().zip(outputs.row(b).iter()).map(|(a, b)| a - b));
            prop_assert!(diff <= 1e-12 * scale, "node_voltages vs solve: {diff:e} A of {scale:e} A");
        }
    }

    /// `solve(α·V1 + β·V2) = α·solve(V1) + β·solve(V2)`.
    #[test]
    fn solve_is_linear_in_the_inputs(
        case in case_with(conductance(), any_wires(), 2..=2, -0.5..0.5),
        alpha in -2.0f64..2.0,
        beta in -2.0f64..2.0,
    ) {
        let xbar = case.crossbar();
        let (v1, v2) = (case.inputs.rows(0, 1), case.inputs.rows(1, 1));
        let combined = alpha * v1 + beta * v2;
        for solver in [Solver::Exact, Solver::Transfer] {
            let lhs = xbar.solve(&combined, solver).unwrap();
            let i1 = xbar.solve(&v1.into_owned(), solver).unwrap();
            let i2 = xbar.solve(&v2.into_owned(), solver).unwrap();
            let rhs = alpha * i1.clone() + beta * i2.clone();
            let scale = (alpha.abs() * amax(i1.iter().copied()))
                .max(beta.abs() * amax(i2.iter().copied()));
            let diff = amax((lhs - rhs).iter().copied());
            prop_assert!(diff <= 1e-9 * scale, "{solver:?}: {diff:e} A against {scale:e} A");
        }
    }

    /// With no resistance anywhere every method is the ideal product, and
    /// with 1 nΩ everywhere the result is within 1e-6 of it.
    #[test]
    fn zero_resistance_limit_is_the_ideal_product(
        case in case_with(conductance(), Just(Wires::ideal()), 1..=16, -0.5..0.5),
    ) {
        let ideal = ideal_product(&case.inputs, &case.g);
        let xbar = case.crossbar();
        for solver in [Solver::Ideal, Solver::Exact, Solver::Transfer, Solver::Auto] {
            let out = xbar.solve(&case.inputs, solver).unwrap();
            let e = scaled_err(&out, &ideal, &case.inputs, &case.g);
            prop_assert!(e <= 1e-12, "{solver:?}: {e:e}");
        }
        let e = scaled_err(&ExactSolver::new(&xbar).unwrap().solve(&case.inputs).unwrap(), &ideal, &case.inputs, &case.g);
        prop_assert!(e <= 1e-12, "ExactSolver: {e:e}");

        let tiny = Crossbar::new(case.g.clone(), Wires::new(1e-9, 1e-9, 1e-9, 1e-9).unwrap()).unwrap();
        for solver in [Solver::Exact, Solver::Transfer, Solver::Auto] {
            let out = tiny.solve(&case.inputs, solver).unwrap();
            let e = scaled_err(&out, &ideal, &case.inputs, &case.g);
            prop_assert!(e <= 1e-6, "1 nΩ, {solver:?}: {e:e}");
        }
    }

    /// Rayleigh's monotonicity law: with every word line at the same
    /// V0 > 0 the array is a two-terminal resistor network, and raising any
    /// one resistance never raises the total current. With any resistance
    /// and every cell conducting, the total is below the ideal total.
    #[test]
    fn more_resistance_never_raises_the_total_current(
        case in case_with(1e-6f64..1e-3, any_wires(), 1..=1, 0.05..0.5),
        which in 0usize..4,
        factor in 0.0f64..1.0,
        offset in 0.0f64..5.0,
    ) {
        let v0 = case.inputs[(0, 0)];
        let m = case.g.nrows();
        let inputs = DMatrix::from_element(1, m, v0);
        let total = |w: Wires| -> f64 {
            Crossbar::new(case.g.clone(), w).unwrap().solve(&inputs, Solver::Exact).unwrap().sum()
        };
        let mut r = [case.wires.r_wordline, case.wires.r_bitline, case.wires.r_source, case.wires.r_sense];
        let before = total(case.wires);
        r[which] = r[which] * (1.0 + factor) + offset;
        let raised = Wires::new(r[0], r[1], r[2], r[3]).unwrap();
        let after = total(raised);
        prop_assert!(after <= before * (1.0 + 1e-12), "R {:?} → {:?}: {before:e} → {after:e}", case.wires, raised);
        let ideal_total = v0 * case.g.sum();
        prop_assert!(before <= ideal_total * (1.0 + 1e-12), "{before:e} > ideal {ideal_total:e}");
        if r.iter().any(|&r| r > 0.0) {
            prop_assert!(after < ideal_total, "{after:e} not below ideal {ideal_total:e} with {raised:?}");
        }
    }

    /// The maximum principle: every node voltage lies between the lowest
    /// and the highest potential applied (the inputs and the 0 V virtual
    /// ground); with non-negative inputs every output is non-negative.
    #[test]
    fn node_voltages_obey_the_maximum_principle(
        case in any_case(),
        non_negative in any::<bool>(),
    ) {
        let xbar = case.crossbar();
        let solver = ExactSolver::new(&xbar).unwrap();
        for b in 0..case.inputs.nrows() {
            let mut v = case.input(b);
            if non_negative {
                v.iter_mut().for_each(|x| *x = x.abs());
            }
            let lo = v.iter().copied().fold(0.0, f64::min);
            let hi = v.iter().copied().fold(0.0, f64::max);
            let slack = 1e-12 * (hi - lo);
            let nv = solver.node_voltages(&v).unwrap();
            for &x in nv.wordline.iter().chain(nv.bitline.iter()) {
                prop_assert!(x >= lo - slack && x <= hi + slack, "{x} outside [{lo}, {hi}]");
            }
            // (A source's current may be negative: a word line driven
            // lower than its neighbours absorbs their sneak currents.)
            if non_negative {
                let scale = amax(nv.sense_currents.iter().copied());
                for &i in &nv.sense_currents {
                    prop_assert!(i >= -1e-12 * scale, "negative output {i:e} from non-negative inputs");
                }
            }
        }
    }

    /// Exact, transfer-matrix (both entry points) and `Auto` agree; batches
    /// are long enough for `Auto` to pick either.
    #[test]
    fn exact_transfer_and_auto_agree(
        case in case_with(conductance(), any_wires(), 1..=20, -0.5..0.5),
    ) {
        let xbar = case.crossbar();
        let exact = xbar.solve(&case.inputs, Solver::Exact).unwrap();
        let by_solver = ExactSolver::new(&xbar).unwrap().solve(&case.inputs).unwrap();
        let transfer = TransferMatrix::new(&xbar).unwrap();
        for (what, out) in [
            ("ExactSolver", by_solver),
            ("Transfer", xbar.solve(&case.inputs, Solver::Transfer).unwrap()),
            ("TransferMatrix::apply", transfer.apply(&case.inputs).unwrap()),
            ("Auto", xbar.solve(&case.inputs, Solver::Auto).unwrap()),
        ] {
            let e = scaled_err(&out, &exact, &case.inputs, &case.g);
            prop_assert!(e <= 1e-12, "{what}: {e:e}");
        }
        // G_eff is the response to unit inputs.
        let g_eff = transfer.effective_conductances();
        let unit = xbar.solve(&DMatrix::identity(xbar.rows(), xbar.rows()), Solver::Exact).unwrap();
        prop_assert!(rel_err(g_eff.iter().copied(), unit.iter().copied()) <= 1e-12);
        // It is not below G element-wise: sneak paths through the other
        // (floating) lines give G_eff[i,j] > 0 even where G[i,j] = 0. But
        // G_eff ≥ 0 (maximum principle), and each row sums to at most G's:
        // the sense amplifiers receive no more than source i delivers
        // (the other, grounded sources absorb the rest), and by Rayleigh
        // that is at most Σ_j G[i,j], its value with every wire shorted.
        let g_max = amax(case.g.iter().copied());
        prop_assert!(g_eff.iter().all(|&e| e >= -1e-12 * g_max), "negative G_eff");
        for i in 0..xbar.rows() {
            let (eff, ideal) = (g_eff.row(i).sum(), case.g.row(i).sum());
            prop_assert!(eff <= ideal + 1e-12 * g_max, "row {i}: Σ G_eff {eff:e} > Σ G {ideal:e}");
        }
    }

    /// Newton with the linear I-V is the linear solve.
    #[test]
    fn newton_with_linear_cells_is_the_linear_solve(case in any_case()) {
        let xbar = case.crossbar();
        let linear = xbar.solve(&case.inputs, Solver::Exact).unwrap();
        let newton = xbar
            .solve_nonlinear(&case.inputs, &IvSpec::Linear, &NewtonOptions::default())
            .unwrap();
        let e = scaled_err(&newton, &linear, &case.inputs, &case.g);
        prop_assert!(e <= 1e-9, "{e:e}");
    }

    /// A bad conductance anywhere is an error naming it.
    #[test]
    fn bad_conductances_are_errors(
        m in 1usize..6,
        n in 1usize..6,
        at in any::<prop::sample::Index>(),
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-1e-6), -1.0f64..-1e-300],
    ) {
        let mut g = DMatrix::from_element(m, n, 1e-5);
        let k = at.index(m * n);
        g[(k % m, k / m)] = bad;
        let result = Crossbar::new(g, Wires::new(1.0, 1.0, 0.0, 0.0).unwrap());
        match result {
            Err(CrossbarError::InvalidParameter { field, .. }) => {
                prop_assert_eq!(field, format!("g[{},{}]", k % m, k / m));
            }
            other => prop_assert!(false, "{other:?}"),
        }
    }

    /// A bad resistance in any position is an error, through the checked
    /// constructor and through a struct literal handed to the crossbar.
    #[test]
    fn bad_resistances_are_errors(
        which in 0usize..4,
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY), -1e3f64..-1e-300],
    ) {
        let mut r = [1.0, 2.0, 3.0, 4.0];
        r[which] = bad;
        prop_assert!(Wires::new(r[0], r[1], r[2], r[3]).is_err());
        let literal = Wires { r_wordline: r[0], r_bitline: r[1], r_source: r[2], r_sense: r[3] };
        prop_assert!(literal.validate().is_err());
        let result = Crossbar::new(DMatrix::from_element(3, 3, 1e-5), literal);
        prop_assert!(matches!(result, Err(CrossbarError::InvalidParameter { .. })), "{result:?}");
    }

    /// A non-finite input anywhere in a batch is an error for every path.
    #[test]
    fn non_finite_inputs_are_errors(
        case in case_with(conductance(), any_wires(), 1..=4, -0.5..0.5),
        at in any::<prop::sample::Index>(),
        bad in prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(f64::NEG_INFINITY)],
    ) {
        let xbar = case.crossbar();
        let mut inputs = case.inputs.clone();
        let k = at.index(inputs.len());
        inputs[k] = bad;
        let invalid = |r: &Result<DMatrix<f64>, CrossbarError>| {
            matches!(r, Err(CrossbarError::InvalidParameter { .. }))
        };
        for solver in [Solver::Auto, Solver::Ideal, Solver::Exact, Solver::Transfer] {
            let r = xbar.solve(&inputs, solver);
            prop_assert!(invalid(&r), "{solver:?}: {r:?}");
        }
        let exact = ExactSolver::new(&xbar).unwrap();
        prop_assert!(invalid(&exact.solve(&inputs)));
        prop_assert!(invalid(&TransferMatrix::from_solver(&exact).unwrap().apply(&inputs)));
        let r = xbar.solve_nonlinear(&inputs, &IvSpec::Sinh { a_per_volt: 3.0 }, &NewtonOptions::default());
        prop_assert!(invalid(&r), "nonlinear: {r:?}");
        let row = k % inputs.nrows();
        let v: Vec<f64> = inputs.row(row).iter().copied().collect();
        let nv = exact.node_voltages(&v);
        prop_assert!(matches!(nv, Err(CrossbarError::InvalidParameter { .. })), "{nv:?}");
    }
}

/// An input width other than the number of word lines is a shape error
/// for every path.
#[test]
fn wrong_input_width_is_an_error() {
    let xbar = Crossbar::new(
        DMatrix::from_element(4, 3, 1e-5),
        Wires::new(1.0, 1.0, 0.0, 0.0).unwrap(),
    )
    .unwrap();
    let exact = ExactSolver::new(&xbar).unwrap();
    let transfer = TransferMatrix::from_solver(&exact).unwrap();
    let shape = |r: &Result<DMatrix<f64>, CrossbarError>| {
        matches!(r, Err(CrossbarError::ShapeMismatch { expected: 4, .. }))
    };
    for width in [0, 3, 5] {
        let inputs = DMatrix::from_element(2, width, 0.1);
        for solver in [Solver::Auto, Solver::Ideal, Solver::Exact, Solver::Transfer] {
            let r = xbar.solve(&inputs, solver);
            assert!(shape(&r), "width {width}, {solver:?}: {r:?}");
        }
        assert!(shape(&exact.solve(&inputs)));
        assert!(shape(&transfer.apply(&inputs)));
        let r = xbar.solve_nonlinear(&inputs, &IvSpec::Linear, &NewtonOptions::default());
        assert!(shape(&r), "nonlinear, width {width}: {r:?}");
        let nv = exact.node_voltages(&vec![0.1; width]);
        assert!(
            matches!(nv, Err(CrossbarError::ShapeMismatch { .. })),
            "{nv:?}"
        );
    }
    // An empty array is refused at construction.
    for (m, n) in [(0, 3), (3, 0), (0, 0)] {
        assert!(Crossbar::new(DMatrix::zeros(m, n), Wires::ideal()).is_err());
    }
    // So are nonsensical Newton options.
    let v = DMatrix::from_element(1, 4, 0.1);
    for options in [
        NewtonOptions {
            max_iterations: 0,
            ..NewtonOptions::default()
        },
        NewtonOptions {
            relative_tolerance: f64::NAN,
            ..NewtonOptions::default()
        },
        NewtonOptions {
            max_step_volts: -1.0,
            ..NewtonOptions::default()
        },
    ] {
        let r = xbar.solve_nonlinear(&v, &IvSpec::Linear, &options);
        assert!(
            matches!(r, Err(CrossbarError::InvalidParameter { .. })),
            "{options:?}: {r:?}"
        );
    }
}
