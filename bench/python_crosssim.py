"""CrossSim's side of `bench/python_solve.py` (issue 23): the same array
driven through CrossSim's Python API, one `AnalogCore.matvec` call per
input vector, timed. Runs in a Python that has CrossSim 3.x (package
`simulator`, https://github.com/sandialabs/cross-sim; not on PyPI), e.g.
/work/onnxvenv.

    python python_crosssim.py CASE.npz OUT.npz [--verr 1e-3] [--niters 100]

CASE.npz: `G` (S, word lines x bit lines), `X` (inputs in [0, 1], one
vector per row), `rp` (ohm per wire segment, rows and columns), `g_min`,
`g_max` (S). The array is one CrossSim offset core (`CoreStyle.OFFSET`,
digital offset): one crossbar of the given conductances, since a weight w
in [-1, 1] is stored as G = g_min + (g_max - g_min)(w + 1)/2 with
Rmin = 1/g_max, Rmax = 1/g_min; so w = 2(G - g_min)/(g_max - g_min) - 1.
Parasitics: CrossSim's `NoninterleavedInputSourceArray` (inputs drive the
word lines at one end, bit lines summed into a virtual ground at the
other), relaxed until the largest voltage error is below `Verr_th_mvm`
(normalised units; CrossSim's default 1e-3), at most `Niters_max`
iterations.

OUT.npz: `Y` (CrossSim's outputs, weight units) and the times; prints one
JSON line: CrossSim version, core set-up time, loop time, calls.
"""

import argparse
import json
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("out")
    ap.add_argument("--verr", type=float, default=1e-3)
    ap.add_argument("--niters", type=int, default=100)
    a = ap.parse_args()

    import simulator
    from simulator import AnalogCore, CrossSimParameters
    from simulator.parameters.core_parameters import CoreStyle, OffsetCoreStyle

    case = np.load(a.case)
    G, X = case["G"], case["X"]
    rp, g_min, g_max = float(case["rp"]), float(case["g_min"]), float(case["g_max"])
    rows, cols = G.shape

    p = CrossSimParameters()
    p.core.style = CoreStyle.OFFSET
    p.core.offset.style = OffsetCoreStyle.DIGITAL_OFFSET
    p.core.rows_max, p.core.cols_max = rows, cols
    p.xbar.device.Rmin, p.xbar.device.Rmax = 1 / g_max, 1 / g_min
    p.xbar.array.parasitics.enable = rp > 0
    p.xbar.array.parasitics.Rp_row = rp
    p.xbar.array.parasitics.Rp_col = rp
    p.simulation.Verr_th_mvm = a.verr
    p.simulation.Niters_max_parasitics = a.niters
    p.simulation.hide_convergence_msg = True

    W = (2 * (G - g_min) / (g_max - g_min) - 1).T  # CrossSim: outputs x inputs
    t0 = time.perf_counter()
    core = AnalogCore(W, p)
    setup_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    Y = [core.matvec(x) for x in X]
    loop_s = time.perf_counter() - t0
    np.savez(a.out, Y=np.asarray(Y))
    version = getattr(simulator, "__version__", None)
    if version is None:
        from importlib.metadata import version as dist_version

        version = dist_version("CrossSim")
    print(
        json.dumps(
            {
                "crosssim_version": version,
                "core": type(core.cores[0][0]).__name__,
                "Verr_th_mvm": a.verr,
                "Niters_max_parasitics": a.niters,
                "calls": len(X),
                "setup_s": setup_s,
                "loop_s": loop_s,
            }
        )
    )


if __name__ == "__main__":
    main()
