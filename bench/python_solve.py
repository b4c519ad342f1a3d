"""The Python binding's cost (issue 23), `bench/python.sh`:

1. overhead of `xbarsim.solve` over the Rust work it calls, for a 256x256
   array and a batch of 64 vectors with 2.5-ohm wire segments: the public
   function's wall time against the solve's own wall time (returned by the
   native module), medians of R runs; for float64 C-ordered,
   Fortran-ordered and float32 inputs;
2. a loop of 1000 one-vector solves of a 64x64 array (1-100 uS, 2.5-ohm
   segments) on a factorised `xbarsim.Crossbar`, against
   - ngspice's `-b` run of one operating point of the same array (the
     netlist from `xbarsim.spice_netlist`; ngspice times are per vector,
     median of a few runs, times 1000), and
   - CrossSim's Python API on the same array and the same 1000 input
     vectors, one `AnalogCore.matvec` per vector (bench/python_crosssim.py,
     run by the Python in $CROSSSIM_PY, default /work/onnxvenv/bin/python;
     skipped if it cannot import CrossSim), at its default tolerance and
     at 1e-6;
   every peer's result checked against xbarsim's.

Prints a Markdown table, then one JSON line.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import xbarsim
from xbarsim import _native


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def overhead(reps):
    """Per layout: the native call's wall time and, from the same call, the
    Rust solve's own time (paired, so machine load cancels); and the public
    `xbarsim.solve` wall time against the native call's (the Python
    wrapper's share), medians of `reps`."""
    rng = np.random.default_rng(1)
    G = rng.uniform(1e-6, 1e-4, (256, 256))
    V = rng.uniform(0.0, 0.3, (64, 256))
    out = {}
    for layout, (g, v) in {
        "float64 C": (G, V),
        "float64 F": (np.asfortranarray(G), np.asfortranarray(V)),
        "float32 C": (G.astype(np.float32), V.astype(np.float32)),
    }.items():
        walls, inner, public = [], [], []
        for _ in range(reps):
            t0 = time.perf_counter()
            _, method, _, solve_s = _native.solve(g, v, r_wordline=2.5, r_bitline=2.5)
            walls.append(time.perf_counter() - t0)
            inner.append(solve_s)
            t0 = time.perf_counter()
            xbarsim.solve(g, v, r_wordline=2.5, r_bitline=2.5)
            public.append(time.perf_counter() - t0)
        pcts = [100 * (w - s) / w for w, s in zip(walls, inner)]
        out[layout] = {
            "method": method,
            "call_s": median(walls),
            "solve_s": median(inner),
            "overhead_pct": median(pcts),
            "public_call_s": median(public),
        }
    return out


RP, G_MIN, G_MAX, V_READ = 2.5, 1e-6, 1e-4, 0.3


def loop_case(calls):
    rng = np.random.default_rng(2)
    G = rng.uniform(G_MIN, G_MAX, (64, 64))
    X = rng.uniform(0.0, 1.0, (calls, 64))
    return G, X


def xbarsim_loop(G, X):
    V = X * V_READ
    t0 = time.perf_counter()
    xbar = xbarsim.Crossbar(G, r_wordline=RP, r_bitline=RP)
    currents = [xbar.solve(V[k : k + 1]) for k in range(len(V))]
    loop_s = time.perf_counter() - t0
    return loop_s, np.vstack(currents)


def ngspice_peer(G, X, currents, spice_reps):
    if shutil.which("ngspice") is None:
        return {"skipped": "ngspice not on PATH"}
    v = X[0] * V_READ
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "x.cir").write_text(xbarsim.spice_netlist(G, v, r_wordline=RP, r_bitline=RP, output="i.txt"))
        times = []
        for _ in range(spice_reps):
            t0 = time.perf_counter()
            subprocess.run(["ngspice", "-b", "x.cir"], cwd=d, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        lines = [l.split() for l in (Path(d) / "i.txt").read_text().splitlines() if l.strip()]
        names = [n.lower() for n in lines[0]]
        spice = np.array([float(lines[1][names.index(f"vs{j}#branch")]) for j in range(G.shape[1])])
    per_vector = median(times)
    return {
        "peer": "ngspice -b (one operating point per vector)",
        "per_vector_s": per_vector,
        "loop_s": per_vector * len(X),
        "loop_s_is": "per-vector median x calls",
        "max_rel_difference": float(np.max(np.abs(currents[0] - spice) / np.abs(spice))),
    }


def crosssim_peer(G, X, currents, verr):
    py = os.environ.get("CROSSSIM_PY", "/work/onnxvenv/bin/python")
    if not Path(py).exists():
        return {"skipped": f"{py} not found (set CROSSSIM_PY)"}
    here = Path(__file__).resolve().parent
    with tempfile.TemporaryDirectory() as d:
        np.savez(Path(d) / "case.npz", G=G, X=X, rp=RP, g_min=G_MIN, g_max=G_MAX)
        run = subprocess.run(
            [py, str(here / "python_crosssim.py"), "case.npz", "out.npz", "--verr", str(verr)],
            cwd=d,
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            return {"skipped": f"CrossSim failed: {run.stderr.strip().splitlines()[-1:]}"}
        info = json.loads(run.stdout.strip().splitlines()[-1])
        Y = np.load(Path(d) / "out.npz")["Y"]
    # xbarsim's currents in CrossSim's units: normalised by g_max and the
    # read voltage, less the digital offset, over half the range.
    g0 = G_MIN / G_MAX
    half = (1 - g0) / 2
    ours = (currents / (G_MAX * V_READ) - (g0 + half) * X.sum(axis=1, keepdims=True)) / half
    ideal = X @ (2 * (G - G_MIN) / (G_MAX - G_MIN) - 1)
    info.update(
        {
            "peer": f"CrossSim {info['crosssim_version']} AnalogCore.matvec (Verr_th_mvm {verr:g})",
            "loop_s_total": info["setup_s"] + info["loop_s"],
            "max_abs_difference_rel_to_max": float(np.abs(Y - ours).max() / np.abs(ours).max()),
            "ir_drop_error_rel_to_max": float(np.abs(ideal - ours).max() / np.abs(ours).max()),
        }
    )
    return info


def median_loop(G, X, reps):
    runs = [xbarsim_loop(G, X) for _ in range(reps)]
    return median([r[0] for r in runs]), runs[0][1]


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    calls = 1000
    over = overhead(reps)
    G, X = loop_case(calls)
    loop_s, currents = median_loop(G, X, 3)
    peers = {
        "ngspice": ngspice_peer(G, X, currents, 3),
        "crosssim": crosssim_peer(G, X, currents, 1e-3),
        "crosssim_tight": crosssim_peer(G, X, currents, 1e-6),
    }
    load = open("/proc/loadavg").read().split()[0] if Path("/proc/loadavg").exists() else "?"
    print(f"xbarsim {xbarsim.__version__}; 1-min load {load}")
    print()
    print("| measurement | xbarsim | peer | peer time | xbarsim faster by | target | results agree to |")
    print("|---|---|---|---|---|---|---|")
    for layout, o in over.items():
        print(
            f"| 256x256, batch 64, {o['method']}, {layout}: call over Rust solve (paired) | {1e3 * o['call_s']:.1f} ms "
            f"(public xbarsim.solve {1e3 * o['public_call_s']:.1f} ms) | Rust solve alone | {1e3 * o['solve_s']:.1f} ms "
            f"| overhead {o['overhead_pct']:.2f} % | < 5 % | same call |"
        )
    targets = {"ngspice": 50, "crosssim": 10, "crosssim_tight": 10}
    for name, p in peers.items():
        if "skipped" in p:
            print(f"| 1000 x 64x64 factorised loop vs {name} | {1e3 * loop_s:.1f} ms | skipped: {p['skipped']} | | | | |")
            continue
        peer_s = p["loop_s"] if name == "ngspice" else p["loop_s_total"]
        agree = p.get("max_rel_difference", p.get("max_abs_difference_rel_to_max"))
        p["ratio"] = peer_s / loop_s
        print(
            f"| 1000 x 64x64 factorised loop (median of 3) | {1e3 * loop_s:.1f} ms | {p['peer']} | {peer_s:.3f} s "
            f"| {p['ratio']:.0f}x | >= {targets[name]}x | {agree:.1e} |"
        )
    print()
    print(json.dumps({"overhead": over, "loop": {"calls": calls, "loop_s": loop_s}, "peers": peers}))
