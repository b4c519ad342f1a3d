"""scipy.optimize.curve_fit fitting the same pulse models to the same data,
device by device, as `xbarsim device fit` (bench/device-fit.sh).

The same estimator as xbar_fit::pulse, step for step, so that the two
programs do the same work:

* steps between consecutive measured points, in units of the device's
  measured range (u = (g - g_min)/(g_max - g_min));
* exponential (NeuroSim) step map per polarity, mu = clip(u + c + m*u, 0, 1),
  observed through the censored-normal mean E = f(mu) - f(mu - 1),
  f(x) = x*Phi(x/s) + s*phi(x/s): a plain fit (s = 0) from the ordinary
  least-squares line, then three rounds of s from the steps more than 3s from
  both bounds and a refit; each polarity its own 2-parameter curve_fit (the
  residuals share no parameter; `--joint` fits the 4 parameters at once);
* soft bounds, u' = v + a_up*(F_up - v) (LTP), v - a_down*(v - F_down) (LTD),
  v = clip(u, F_down, F_up): one 4-parameter curve_fit from the OLS lines;
* analytic Jacobians (jac=), the sandwich (HC1) covariance from them, the
  delta method (central differences) for NL and P_max, the chi-square
  interval of the C2C sigma, RMSE/R2/AIC/BIC of both models.

    python fit_scipy.py data.csv [out.json] [--joint]
        -> prints "SECONDS s for N devices; ..." (the fitting loop alone);
           out.json gets every device's estimates (for the cross-check).
"""
import json
import sys
import time

import numpy as np
from scipy.optimize import curve_fit
from scipy.special import ndtr

NL_GAP_PER_UNIT = 0.09899494936611665
Z95 = 1.959963984540054
SQRT2PI = np.sqrt(2.0 * np.pi)


def read(path):
    """The wide CSV: pulse_voltage_V, then one conductance column per device."""
    header = None
    with open(path) as f:
        for line in f:
            if not line.startswith("#"):
                header = line.strip().split(",")
                break
    data = np.genfromtxt(path, delimiter=",", comments="#", skip_header=0, names=None,
                         dtype=float, filling_values=np.nan)
    data = data[~np.isnan(data[:, 0])]  # the header row parses to NaN
    return header, data


def max_gap(a):
    denom = -np.expm1(-1.0 / a)
    x = -a * np.log(a * denom)
    return -np.expm1(-x / a) / denom - x


def nl_from_a(a):
    if np.isinf(a):
        return 0.0
    return np.copysign(max_gap(abs(a)) / NL_GAP_PER_UNIT, a)


def branch(m, c, ltp):
    if 1.0 + m <= 0.0 or not np.isfinite(m) or not np.isfinite(c):
        return None
    lg = np.log1p(m)
    a = -1.0 / lg if ltp else 1.0 / lg
    b = -c / m
    arg = 1.0 - 1.0 / b
    if arg <= 0.0:
        return None
    p = -a * np.log(arg)
    return (a, p) if p > 0 and np.isfinite(p) else None


def nl_of(q, ltp):
    r = branch(q[0], q[1], ltp)
    return nl_from_a(r[0] / r[1]) if r else np.nan


def pulses_of(q, ltp):
    r = branch(q[0], q[1], ltp)
    return r[1] if r else np.nan


def censored(mu, s):
    """E(mu) and dE/dmu of the normal N(mu, s) censored to [0, 1]."""
    if s < 1e-12:
        return mu, np.ones_like(mu)
    z0, z1 = mu / s, (mu - 1.0) / s
    c0, c1 = ndtr(z0), ndtr(z1)
    f0 = mu * c0 + s * np.exp(-0.5 * z0 * z0) / SQRT2PI
    f1 = (mu - 1.0) * c1 + s * np.exp(-0.5 * z1 * z1) / SQRT2PI
    return f0 - f1, c0 - c1


def exp_model(s):
    def f(u, m, c):
        return censored(np.clip(u + c + m * u, 0.0, 1.0), s)[0]

    def jac(u, m, c):
        raw = u + c + m * u
        _, de = censored(np.clip(raw, 0.0, 1.0), s)
        de = np.where((raw >= 0.0) & (raw <= 1.0), de, 0.0)
        return np.stack([u * de, de], axis=1)

    return f, jac


def exp_model_joint(s):
    def f(x, mp, cp, md, cd):
        u, up = x
        m, c = np.where(up, mp, md), np.where(up, cp, cd)
        return censored(np.clip(u + c + m * u, 0.0, 1.0), s)[0]

    def jac(x, mp, cp, md, cd):
        u, up = x
        m, c = np.where(up, mp, md), np.where(up, cp, cd)
        raw = u + c + m * u
        _, de = censored(np.clip(raw, 0.0, 1.0), s)
        de = np.where((raw >= 0.0) & (raw <= 1.0), de, 0.0)
        z = np.zeros_like(u)
        return np.stack([np.where(up, u * de, z), np.where(up, de, z),
                         np.where(up, z, u * de), np.where(up, z, de)], axis=1)

    return f, jac


def soft(x, au, fu, ad, fd):
    u, up = x
    v = np.clip(u, fd, fu)
    return np.where(up, v + au * (fu - v), v - ad * (v - fd))


def soft_jac(x, au, fu, ad, fd):
    u, up = x
    v = np.clip(u, fd, fu)
    dv_fu = (u >= fu).astype(float)
    dv_fd = ((u <= fd) & (u < fu)).astype(float)
    g_up = [fu - v, au + (1 - au) * dv_fu, np.zeros_like(u), (1 - au) * dv_fd]
    g_dn = [np.zeros_like(u), (1 - ad) * dv_fu, -(v - fd), ad + (1 - ad) * dv_fd]
    return np.stack([np.where(up, a, b) for a, b in zip(g_up, g_dn)], axis=1)


def ols(u0, u1):
    m, c = np.polyfit(u0, u1 - u0, 1)
    return m, c


def sandwich(jac, r, n, k):
    """HC1 sandwich covariance from the Jacobian of the model at the optimum."""
    info = jac.T @ jac
    meat = (jac * (r * r)[:, None]).T @ jac
    inv = np.linalg.inv(info)
    return inv @ meat @ inv * (n / max(n - k, 1))


def delta(f, p, cov):
    g = np.zeros(len(p))
    for i in range(len(p)):
        h = 1e-6 * max(abs(p[i]), 1e-4)
        up, dn = p.copy(), p.copy()
        up[i] += h
        dn[i] -= h
        g[i] = (f(up) - f(dn)) / (2 * h)
    v, se = f(p), np.sqrt(max(g @ cov @ g, 0.0))
    return [v, se, v - Z95 * se, v + Z95 * se]


def sigma_estimate(s, dof):
    k = max(dof, 1)
    c = 2.0 / (9.0 * k)
    q = lambda z: max(k * (1 - c + z * np.sqrt(c)) ** 3, 1e-300)
    return [s, s / np.sqrt(2 * k), s * np.sqrt(k / q(Z95)), s * np.sqrt(k / q(-Z95))]


def criteria(rss, n, k):
    ll = n * np.log(max(rss, 1e-300) / n)
    return ll + 2 * k, ll + k * np.log(n)


def interior_sigma(branches):
    ss, n = 0.0, 0
    for (u0, u1, s, p) in branches:
        mu = np.clip(u0 + p[1] + p[0] * u0, 0.0, 1.0)
        e = censored(mu, s)[0]
        ok = (mu > 3 * s) & (mu < 1 - 3 * s)
        ss += np.sum((u1[ok] - e[ok]) ** 2)
        n += int(ok.sum())
    return np.sqrt(ss / max(n - 4, 1)), n


def fit_exponential(u0, u1, up, joint):
    pol = [(u0[up], u1[up]), (u0[~up], u1[~up])]
    keep = [pol[0][0] < 1 - 1e-12, pol[1][0] > 1e-12]
    starts = [ols(a[k], b[k]) for (a, b), k in zip(pol, keep)]
    p = [np.array(s) for s in starts]
    s = 0.0
    for rnd in range(4):
        if rnd > 0:
            s, _ = interior_sigma([(a, b, s, q) for (a, b), q in zip(pol, p)])
        if joint:
            f, j = exp_model_joint(s)
            q, _ = curve_fit(f, (u0, up), u1, p0=np.concatenate(p), jac=j, method="lm")
            p = [q[:2], q[2:]]
        else:
            f, j = exp_model(s)
            p = [curve_fit(f, a, b, p0=q, jac=j, method="lm")[0] for (a, b), q in zip(pol, p)]
    sig, n_int = interior_sigma([(a, b, s, q) for (a, b), q in zip(pol, p)])
    f, j = exp_model(s)
    r = [b - f(a, *q) for (a, b), q in zip(pol, p)]
    n = len(u0)
    covs = [sandwich(-j(a, *q), ri, n, 4) for (a, _), q, ri in zip(pol, p, r)]
    rss = sum(float(ri @ ri) for ri in r)
    out = {
        "nl_ltp": delta(lambda q: nl_of(q, True), p[0], covs[0]),
        "nl_ltd": delta(lambda q: nl_of(q, False), p[1], covs[1]),
        "pulses_ltp": delta(lambda q: pulses_of(q, True), p[0], covs[0]),
        "pulses_ltd": delta(lambda q: pulses_of(q, False), p[1], covs[1]),
        "c2c": sigma_estimate(sig, n_int - 4),
    }
    return out, rss


def fit_soft(u0, u1, up):
    mu_, cu = ols(u0[up], u1[up])
    md, cd = ols(u0[~up], u1[~up])
    x = (u0, up)
    p, _ = curve_fit(soft, x, u1, p0=[-mu_, -cu / mu_, -md, -cd / md], jac=soft_jac, method="lm")
    r = u1 - soft(x, *p)
    n = len(u0)
    cov = sandwich(-soft_jac(x, *p), r, n, 4)
    se = np.sqrt(np.diag(cov))
    v = np.clip(u0, p[3], p[1])
    c2c = np.sqrt(float(r @ r) / max(float(np.sum((soft(x, *p) - v) ** 2)), 1e-300))
    out = {k: [p[i], se[i], p[i] - Z95 * se[i], p[i] + Z95 * se[i]]
           for i, k in enumerate(["alpha_up", "g_max", "alpha_down", "g_min"])}
    out["c2c"] = sigma_estimate(c2c, n - 4)
    return out, float(r @ r)


def fit_device(pol, g, joint):
    ok = ~np.isnan(g)
    keep = ok[:-1] & ok[1:]
    g0, g1, p = g[:-1][keep], g[1:][keep], pol[1:][keep]
    lo, hi = np.nanmin(g), np.nanmax(g)
    rng = hi - lo
    u0, u1 = (g0 - lo) / rng, (g1 - lo) / rng
    up = p > 0
    n = len(u0)
    tss = float(np.sum((u1 - u1.mean()) ** 2))
    e, rss_e = fit_exponential(u0, u1, up, joint)
    s, rss_s = fit_soft(u0, u1, up)
    for fit, rss, k in [(e, rss_e, 7), (s, rss_s, 5)]:
        aic, bic = criteria(rss, n, k)
        fit["quality"] = {"rmse_relative": np.sqrt(rss / n), "r2": 1 - rss / tss, "aic": aic, "bic": bic}
    return {"exponential": e, "soft_bounds": s}


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    joint = "--joint" in sys.argv
    header, data = read(args[0])
    pol = np.sign(data[:, 0])
    start = time.perf_counter()
    fits = [fit_device(pol, data[:, k], joint) for k in range(1, data.shape[1])]
    seconds = time.perf_counter() - start
    bic = [sum(f[m]["quality"]["bic"] for f in fits) for m in ("exponential", "soft_bounds")]
    kept = "exponential" if bic[0] <= bic[1] else "soft-bounds"
    if len(args) > 1:
        with open(args[1], "w") as f:
            json.dump({"devices": dict(zip(header[1:], fits)), "kept": kept}, f,
                      default=float)
    print(f"{seconds:.4f} s for {data.shape[1] - 1} devices ({'joint' if joint else 'per polarity'}); "
          f"median NL_LTP {np.median([f['exponential']['nl_ltp'][0] for f in fits]):.4f}; kept {kept}")


if __name__ == "__main__":
    main()
