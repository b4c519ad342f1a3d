#!/usr/bin/env python3
"""The IBM PCM pipeline of xbarsim's `pcm_timing` example, in numpy.

Same equations as device-models/src (programming.rs, drift.rs,
read_noise.rs) for the `ibm-pcm` preset, on an N x N array of float64:

  programming  g_r = g_T/g_max,
               sigma = (0.26348 + 1.9650 g_r - 1.1731 g_r^2) * g_max/25  (uS, for g_max in uS)
               g_P = max(g_T + max(sigma, 0) xi, 0)
  drift exp.   l = ln(max(g_P/g_max, 1e-7))
               mu = clip(-0.0155 l + 0.0244, 0.049, 0.1)
               s  = clip(-0.0125 l - 0.0059, 0.008, 0.045)
               nu = |mu + s xi|
  drift        g(t) = g_P (t/t0)^(-nu),  t0 = 20 s  (t > t0)
  read noise   Q_s = min(0.0088 / max((g/g_max)^0.65, 1e-3), 0.2)
               sigma = |g| Q_s sqrt(ln((t + t_read)/(2 t_read))),  t_read = 250 ns
               g_read = max(g + sigma xi, 0)

at t = 1 year (3.15576e7 s). Targets are uniform in [0, 25 uS], drawn once
outside the timing. The pipeline runs `--warmup` times untimed, then
`--reps` times timed (a fresh `np.random.default_rng(seed)` each time, as
the Rust side makes a fresh seeded array), and the script prints one JSON
line with the median and min wall time (ms) and the statistics of the last
run. With `--check FILE` (the JSON line of the Rust example) it also checks
that the statistics agree within `--tolerance` (relative, default 1 %) and
exits with status 1 if they do not.
"""

import argparse
import json
import sys
import time

import numpy as np

YEAR_S = 3.15576e7
G_MAX = 25e-6
T0 = 20.0
T_READ = 250e-9
# sigma_prog polynomial, S (the published coefficients are in uS for g_max = 25 uS).
SIGMA_POLY = (0.26348e-6 * G_MAX / 25e-6, 1.9650e-6 * G_MAX / 25e-6, -1.1731e-6 * G_MAX / 25e-6)


def pipeline(targets, seed, t=YEAR_S):
    """Program `targets`, draw drift exponents, drift to `t`, read once.

    Returns (programmed, nu, drifted, read)."""
    rng = np.random.default_rng(seed)
    shape = targets.shape

    # Programming noise.
    g_r = targets / G_MAX
    sigma = SIGMA_POLY[0] + g_r * (SIGMA_POLY[1] + g_r * SIGMA_POLY[2])
    np.maximum(sigma, 0.0, out=sigma)
    programmed = rng.standard_normal(shape)
    programmed *= sigma
    programmed += targets
    np.maximum(programmed, 0.0, out=programmed)

    # Drift exponent, from the programmed state.
    log_gr = np.log(np.maximum(programmed / G_MAX, 1e-7))
    mu = np.clip(-0.0155 * log_gr + 0.0244, 0.049, 0.1)
    sd = np.clip(-0.0125 * log_gr - 0.0059, 0.008, 0.045)
    nu = rng.standard_normal(shape)
    nu *= sd
    nu += mu
    np.abs(nu, out=nu)

    # Drift to t.
    if t > T0:
        drifted = np.exp(nu * -np.log(t / T0))
        drifted *= programmed
    else:
        drifted = programmed.copy()

    # 1/f read noise.
    q_s = np.power(drifted / G_MAX, 0.65)
    np.maximum(q_s, 1e-3, out=q_s)
    np.divide(0.0088, q_s, out=q_s)
    np.minimum(q_s, 0.2, out=q_s)
    log_term = max(np.log((t + T_READ) / (2.0 * T_READ)), 0.0)
    sigma = np.abs(drifted)
    sigma *= q_s
    sigma *= np.sqrt(log_term)
    read = rng.standard_normal(shape)
    read *= sigma
    read += drifted
    np.maximum(read, 0.0, out=read)
    return programmed, nu, drifted, read


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--check", metavar="FILE", help="JSON line of the Rust pcm_timing example")
    parser.add_argument("--tolerance", type=float, default=0.01)
    args = parser.parse_args()
    if args.reps < 1 or args.size < 1:
        parser.error("--reps and --size must be at least 1")

    n = args.size
    targets = np.random.default_rng(2024).uniform(0.0, G_MAX, size=(n, n))

    for _ in range(args.warmup):
        pipeline(targets, args.seed)
    times_ms = []
    result = None
    for _ in range(args.reps):
        start = time.perf_counter()
        out = pipeline(targets, args.seed)
        times_ms.append((time.perf_counter() - start) * 1e3)
        # The previous result is freed here, outside the timing, as in Rust.
        result = out
    programmed, nu, drifted, read = result

    stats = {
        "programmed_mean": float(programmed.mean()),
        "programmed_std": float(programmed.std()),
        "nu_mean": float(nu.mean()),
        "nu_std": float(nu.std()),
        "drifted_mean": float(drifted.mean()),
        "drifted_std": float(drifted.std()),
        "read_mean": float(read.mean()),
        "read_std": float(read.std()),
    }
    out = {
        "impl": "numpy",
        "numpy": np.__version__,
        "rows": n,
        "cols": n,
        "reps": args.reps,
        "warmup": args.warmup,
        "median_ms": round(float(np.median(times_ms)), 3),
        "min_ms": round(float(np.min(times_ms)), 3),
        "stats": stats,
    }
    print(json.dumps(out))

    if args.check:
        with open(args.check) as f:
            rust = json.loads(f.read())
        if (rust["rows"], rust["cols"]) != (n, n):
            print(f"check: the Rust run was {rust['rows']}x{rust['cols']}, this one {n}x{n}", file=sys.stderr)
            return 1
        failed = False
        for key, ours in stats.items():
            theirs = rust["stats"][key]
            rel = abs(ours - theirs) / abs(theirs)
            ok = rel <= args.tolerance
            failed |= not ok
            print(
                f"check {key:16s} numpy {ours:.6e}  xbarsim {theirs:.6e}  rel. diff {rel:.2e}  {'ok' if ok else 'MISMATCH'}",
                file=sys.stderr,
            )
        if failed:
            print(f"check: statistics differ by more than {args.tolerance:.1%}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
