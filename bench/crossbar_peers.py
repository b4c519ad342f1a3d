"""The peers of the crossbar benchmark (bench/crossbar.sh): scipy's sparse LU
and ngspice, each on exactly the system xbarsim solved, each checked against
xbarsim's currents.

  crossbar_peers.py scipy   DIR  --rust rust.json [--reps R]
  crossbar_peers.py ngspice DIR  --rust rust.json [--reps R]

scipy: DIR holds the nodal matrix A (lower-triangle triplets rows/cols/vals,
float64 little-endian), the B right-hand sides (rhs.f64, B vectors of n) and
xbarsim's B×N currents. Times scipy.sparse.linalg.splu(A) followed by
lu.solve on the n×B block (factorise + solve the batch), median of R runs,
and checks the currents it implies (g_sense · x at the last bit-line node).

ngspice: DIR holds crossbar.cir (one input vector); times `ngspice -b` (wall
time of the whole process: parse, set-up, operating point), median of R
runs, and checks the currents it writes.

Prints one JSON line.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def scipy_peer(args, rust):
    import scipy
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    d = args.dir
    load = lambda name: np.fromfile(os.path.join(d, name), dtype="<f8")
    rows, cols, vals = load("rows.f64").astype(np.int64), load("cols.f64").astype(np.int64), load("vals.f64")
    n_unknowns = rust["unknowns"]
    lower = sp.coo_matrix((vals, (rows, cols)), shape=(n_unknowns, n_unknowns))
    strict = sp.coo_matrix(
        (vals[rows != cols], (cols[rows != cols], rows[rows != cols])), shape=(n_unknowns, n_unknowns)
    )
    a = (lower + strict).tocsc()
    batch = rust["batch"]
    rhs = load("rhs.f64").reshape(batch, n_unknowns).T.copy()
    times = []
    x = None
    for _ in range(args.reps):
        t0 = time.perf_counter()
        lu = splu(a)
        x = lu.solve(rhs)
        times.append(time.perf_counter() - t0)
    m = n = rust["size"]
    sense = m * n + (m - 1) * n + np.arange(n)
    currents = rust["g_sense_S"] * x[sense, :].T
    ours = load("currents.f64").reshape(batch, n)
    err = np.max(np.abs(currents - ours) / np.max(np.abs(ours), axis=1, keepdims=True))
    return {"peer": f"scipy {scipy.__version__} splu", "median_s": median(times), "max_rel_err": float(err)}


def ngspice_peer(args, rust):
    d = args.dir
    deck = os.path.join(d, "crossbar.cir")
    times = []
    out_file = os.path.join(d, "currents.txt")
    for _ in range(args.reps):
        if os.path.exists(out_file):
            os.remove(out_file)
        t0 = time.perf_counter()
        out = subprocess.run(["ngspice", "-b", deck], capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if out.returncode != 0 or not os.path.exists(out_file):
            sys.exit(f"ngspice failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    with open(out_file) as f:
        names = f.readline().split()
        values = [float(v) for v in f.readline().split()]
    column = {name.lower(): k for k, name in enumerate(names)}
    currents = [values[column[f"vs{j}#branch"]] for j in range(rust["size"])]
    ours = np.array(rust["currents_A"])
    err = np.max(np.abs(np.array(currents) - ours)) / np.max(np.abs(ours))
    version = subprocess.run(["ngspice", "-v"], capture_output=True, text=True).stdout.split("\n")
    version = next((l.split(":")[0].strip(" *") for l in version if "ngspice-" in l), "ngspice")
    return {"peer": version, "median_s": median(times), "max_rel_err": float(err)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("peer", choices=["scipy", "ngspice"])
    p.add_argument("dir")
    p.add_argument("--rust", required=True)
    p.add_argument("--reps", type=int, default=3)
    args = p.parse_args()
    rust = json.load(open(args.rust))
    result = scipy_peer(args, rust) if args.peer == "scipy" else ngspice_peer(args, rust)
    result["size"] = rust["size"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
