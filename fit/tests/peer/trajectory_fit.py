"""The peer of `xbarsim device fit`'s free-running error: a plain trajectory
fit of the NeuroSim exponential model by scipy.optimize.least_squares,
written from NeuroSim's equations (Chen et al., NeuroSim+, IEDM 2017;
the device model of MLP NeuroSim's Cell.cpp), not from xbar-fit's code.

    python trajectory_fit.py pulses.csv [out.json]
    python trajectory_fit.py --soft-bounds pulses.csv [out.json]

The wide CSV (`pulse_voltage_V`, one conductance column per device):
the median over the devices after each pulse is the measured curve; the
model is run noiselessly from its first point through the same pulses:

* LTP:  G(x) = Gmin + B(1 - exp(-x/A)),  B = (Gmax - Gmin)/(1 - exp(-P/A)),
  x the pulse number (0..P), one pulse x -> min(x + 1, P);
* LTD, mirrored from Gmax: G(y) = Gmax - B'(1 - exp(-y/A')), y = 0..P',
  one pulse y -> min(y + 1, P'); the state moves between the curves by
  inverting each curve at the present conductance.

Parameters (A, P, A', P', Gmin, Gmax), least squares of the curve against
the median over all points (TRF without bounds, a large residual outside the domain,
finite-difference Jacobian with a relative step of 1e-3 — the default
step meets the clamp's flat stretches and stalls —, several
starts, the best kept).

With --soft-bounds, the same for aihwkit's SoftBoundsDevice (Gokmen &
Vlasov 2016; aihwkit's `SoftBoundsDevice`): an up pulse
G += alpha_up (Gmax - G), a down pulse G -= alpha_down (G - Gmin),
parameters (alpha_up, alpha_down, Gmin, Gmax), starts with 1/3, 1 and 3
e-foldings per half-cycle.

Prints and writes the fitted values and the
free-running error: RMS over the points of (curve - median) / (max - min of
the median), in the same units xbar-fit reports.
"""
import json
import sys

import numpy as np
from scipy.optimize import least_squares


def read(path):
    rows = [l for l in open(path) if l.strip() and not l.startswith("#")]
    header = rows[0].strip().split(",")
    data = np.array([[float(c) if c else np.nan for c in r.strip().split(",")] for r in rows[1:]])
    return header, data


def curve(theta, pol, g0):
    a_p, p_p, a_d, p_d, gmin, gmax = theta
    r = gmax - gmin
    b_p = r / -np.expm1(-p_p / a_p)
    b_d = r / -np.expm1(-p_d / a_d)
    out = np.empty(len(pol))
    g = min(max(g0, gmin), gmax)
    out[0] = g
    for i in range(1, len(pol)):
        if pol[i] > 0:
            x = -a_p * np.log1p(-(g - gmin) / b_p)
            x = min(x + 1.0, p_p)
            g = gmin - b_p * np.expm1(-x / a_p)
        else:
            y = -a_d * np.log1p(-(gmax - g) / b_d)
            y = min(y + 1.0, p_d)
            g = gmax + b_d * np.expm1(-y / a_d)
        g = min(max(g, gmin), gmax)
        out[i] = g
    return out


def residuals(theta, pol, median):
    """The curve's residuals; outside the model's domain (A or P not
    positive, Gmax not above Gmin, overflow) a large constant."""
    a_p, p_p, a_d, p_d, gmin, gmax = theta
    bad = np.full(len(median), 10.0 * (median.max() - median.min()))
    if min(a_p, p_p, a_d, p_d) <= 0 or gmax <= gmin:
        return bad
    with np.errstate(all="ignore"):
        r = curve(theta, pol, median[0]) - median
    return r if np.all(np.isfinite(r)) else bad


def fit(median, pol):
    lo, hi = median.min(), median.max()
    runs, n = [], 0
    for i in range(1, len(pol)):
        if pol[i] > 0:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    if n:
        runs.append(n)
    half = float(np.median(runs))
    scale = np.array([half, half, half, half, hi - lo, hi - lo])
    best = None
    for ratio in (0.1, 0.3, 1.0, 3.0):
        for frac in (0.5, 1.0, 2.0):
            start = np.array([ratio * frac * half, frac * half, ratio * frac * half, frac * half, lo, hi])
            res = least_squares(
                lambda t: residuals(t, pol, median),
                start,
                x_scale=scale,
                method="trf",
                diff_step=1e-3,
            )
            if best is None or res.cost < best.cost:
                best = res
    return best


def soft_curve(theta, pol, g0):
    a_up, a_down, gmin, gmax = theta
    out = np.empty(len(pol))
    g = min(max(g0, gmin), gmax)
    out[0] = g
    for i in range(1, len(pol)):
        if pol[i] > 0:
            g = g + a_up * (gmax - g)
        else:
            g = g - a_down * (g - gmin)
        out[i] = g
    return out


def soft_residuals(theta, pol, median):
    a_up, a_down, gmin, gmax = theta
    bad = np.full(len(median), 10.0 * (median.max() - median.min()))
    if not (0 < a_up < 1 and 0 < a_down < 1) or gmax <= gmin:
        return bad
    return soft_curve(theta, pol, median[0]) - median


def soft_fit(median, pol):
    lo, hi = median.min(), median.max()
    runs, n = [], 0
    for i in range(1, len(pol)):
        if pol[i] > 0:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    if n:
        runs.append(n)
    half = float(np.median(runs))
    best = None
    for k in (1.0, 3.0, 1.0 / 3.0):
        a = min(k / half, 0.5)
        res = least_squares(
            lambda t: soft_residuals(t, pol, median),
            np.array([a, a, lo, hi]),
            x_scale=np.array([a, a, hi - lo, hi - lo]),
            method="trf",
            diff_step=1e-3,
        )
        if best is None or res.cost < best.cost:
            best = res
    return best


def soft_main(path, out_path):
    header, data = read(path)
    pol = np.sign(data[:, 0])
    median = np.nanmedian(data[:, 1:], axis=1)
    res = soft_fit(median, pol)
    model = soft_curve(res.x, pol, median[0])
    span = median.max() - median.min()
    err = float(np.sqrt(np.mean(((model - median) / span) ** 2)))
    a_up, a_down, gmin, gmax = res.x
    out = {
        "file": path,
        "model": "soft-bounds",
        "devices": data.shape[1] - 1,
        "points": len(pol),
        "alpha_up": float(a_up),
        "alpha_down": float(a_down),
        "g_min_S": float(gmin),
        "g_max_S": float(gmax),
        "free_run_error_relative": err,
    }
    print(json.dumps(out, indent=1))
    if out_path:
        with open(out_path, "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


def nl_from_ratio(r):
    """NeuroSim's NL label of A/P (the gap of the normalised curve from the
    line, 0.0989... per unit label; as fit_scipy.py and xbar-devices)."""
    gap_per_unit = 0.09899494936611665
    denom = -np.expm1(-1.0 / r)
    x = -r * np.log(r * denom)
    return (-np.expm1(-x / r) / denom - x) / gap_per_unit


def main():
    if sys.argv[1] == "--soft-bounds":
        soft_main(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else None)
        return
    path = sys.argv[1]
    header, data = read(path)
    pol = np.sign(data[:, 0])
    g = data[:, 1:]
    median = np.nanmedian(g, axis=1)
    res = fit(median, pol)
    model = curve(res.x, pol, median[0])
    span = median.max() - median.min()
    err = float(np.sqrt(np.mean(((model - median) / span) ** 2)))
    a_p, p_p, a_d, p_d, gmin, gmax = res.x
    out = {
        "file": path,
        "devices": g.shape[1],
        "points": len(pol),
        "pulses_ltp": float(p_p),
        "pulses_ltd": float(p_d),
        "nl_ltp": float(nl_from_ratio(a_p / p_p)),
        "nl_ltd": float(-nl_from_ratio(a_d / p_d)),
        "g_min_S": float(gmin),
        "g_max_S": float(gmax),
        "free_run_error_relative": err,
    }
    print(json.dumps(out, indent=1))
    if len(sys.argv) > 2:
        with open(sys.argv[2], "w") as f:
            json.dump(out, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
