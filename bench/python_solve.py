"""The Python binding's cost (issue 23), `bench/python.sh`:

1. overhead of `xbarsim.solve` over the Rust work it calls, for a 256x256
   array and a batch of 64 vectors with 2.5-ohm wire segments: the call's
   wall time against the solve's own wall time (returned by the native
   module), median of R runs;
2. a loop of 1000 one-vector solves of a 64x64 array on a factorised
   `xbarsim.Crossbar`, against ngspice's `-b` run of one operating point of
   the same array (the netlist from `xbarsim.spice_netlist`; ngspice times
   are per vector, median of a few runs), both checked to agree.

Prints one JSON line.
"""

import json
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
    rng = np.random.default_rng(1)
    G = rng.uniform(1e-6, 1e-4, (256, 256))
    V = rng.uniform(0.0, 0.3, (64, 256))
    walls, inner = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        _, method, _, solve_s = _native.solve(G, V, r_wordline=2.5, r_bitline=2.5)
        walls.append(time.perf_counter() - t0)
        inner.append(solve_s)
    w, s = median(walls), median(inner)
    return {"method": method, "call_s": w, "solve_s": s, "overhead_pct": 100 * (w - s) / w}


def loop_vs_ngspice(calls, spice_reps):
    rng = np.random.default_rng(2)
    G = rng.uniform(1e-6, 1e-4, (64, 64))
    V = rng.uniform(0.0, 0.3, (calls, 64))
    t0 = time.perf_counter()
    xbar = xbarsim.Crossbar(G, r_wordline=2.5, r_bitline=2.5)
    currents = [xbar.solve(V[k : k + 1]) for k in range(calls)]
    loop_s = time.perf_counter() - t0
    out = {"calls": calls, "loop_s": loop_s, "per_call_ms": 1e3 * loop_s / calls}
    if shutil.which("ngspice") is None:
        return out
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "x.cir").write_text(xbarsim.spice_netlist(G, V[0], r_wordline=2.5, r_bitline=2.5, output="i.txt"))
        times = []
        for _ in range(spice_reps):
            t0 = time.perf_counter()
            subprocess.run(["ngspice", "-b", "x.cir"], cwd=d, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
        lines = [l.split() for l in (Path(d) / "i.txt").read_text().splitlines() if l.strip()]
        names = [n.lower() for n in lines[0]]
        spice = np.array([float(lines[1][names.index(f"vs{j}#branch")]) for j in range(64)])
    diff = float(np.max(np.abs(currents[0][0] - spice) / np.abs(spice)))
    per_vector = median(times)
    out.update(
        {
            "ngspice_per_vector_s": per_vector,
            "ngspice_loop_s_estimated": per_vector * calls,
            "ratio": per_vector * calls / loop_s,
            "max_rel_difference": diff,
        }
    )
    return out


if __name__ == "__main__":
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    print(json.dumps({"overhead": overhead(reps), "loop": loop_vs_ngspice(1000, 3)}))
