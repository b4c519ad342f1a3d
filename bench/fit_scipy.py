"""scipy.optimize.curve_fit fitting the same pulse models to the same data,
device by device, as `xbarsim device fit` (bench/device-fit.sh).

The models are the step maps of xbar_fit::pulse, in units of each device's
measured range: exponential (NeuroSim), u' = clip(u + c + m·u, 0, 1) per
polarity (4 parameters), and soft bounds, u' = v + α_up·(F_up − v) for LTP
and v − α_down·(v − F_down) for LTD with v = clip(u, F_down, F_up)
(4 parameters); each with its covariance (pcov) for the 95 % intervals.
curve_fit starts from the same closed-form least-squares lines.

    python fit_scipy.py data.csv  ->  prints seconds and the median NL labels
"""
import sys
import time

import numpy as np
from scipy.optimize import curve_fit


def read(path):
    rows = [l for l in open(path) if not l.startswith("#")]
    header = rows[0].strip().split(",")
    data = np.array([[float(x) if x else np.nan for x in r.strip().split(",")] for r in rows[1:]])
    return header, data


def ols(u0, u1):
    x, y = u0, u1 - u0
    m, c = np.polyfit(x, y, 1)
    return m, c


def fit_device(pol, g):
    ok = ~np.isnan(g)
    g0, g1, p = g[:-1], g[1:], pol[1:]
    keep = ok[:-1] & ok[1:]
    g0, g1, p = g0[keep], g1[keep], p[keep]
    lo, hi = np.nanmin(g), np.nanmax(g)
    r = hi - lo
    u0, u1 = (g0 - lo) / r, (g1 - lo) / r
    up = p > 0
    x = np.stack([u0, up.astype(float)])

    def exponential(x, mp, cp, md, cd):
        u, isup = x
        m = np.where(isup > 0, mp, md)
        c = np.where(isup > 0, cp, cd)
        return np.clip(u + c + m * u, 0.0, 1.0)

    def soft(x, au, fu, ad, fd):
        u, isup = x
        v = np.clip(u, fd, fu)
        return np.where(isup > 0, v + au * (fu - v), v - ad * (v - fd))

    inside_up = up & (u0 < 1.0)
    inside_down = ~up & (u0 > 0.0)
    mp, cp = ols(u0[inside_up], u1[inside_up])
    md, cd = ols(u0[inside_down], u1[inside_down])
    pe, ce = curve_fit(exponential, x, u1, p0=[mp, cp, md, cd])
    mu, cu = ols(u0[up], u1[up])
    mdd, cdd = ols(u0[~up], u1[~up])
    ps, cs = curve_fit(soft, x, u1, p0=[-mu, -cu / mu, -mdd, -cdd / mdd])
    # NL of the LTP branch from the fitted map (as xbar_fit::pulse).
    a = -1.0 / np.log1p(pe[0])
    b = -pe[1] / pe[0]
    pmax = -a * np.log(1.0 - 1.0 / b)
    return pe, np.sqrt(np.diag(ce)), ps, np.sqrt(np.diag(cs)), pmax


def main():
    header, data = read(sys.argv[1])
    pol = np.sign(data[:, 0])
    start = time.perf_counter()
    pmax = [fit_device(pol, data[:, k])[4] for k in range(1, data.shape[1])]
    seconds = time.perf_counter() - start
    print(f"{seconds:.4f} s for {data.shape[1] - 1} devices; median P_max(LTP) {np.median(pmax):.2f}")


if __name__ == "__main__":
    main()
