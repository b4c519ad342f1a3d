"""A notebook-style tour of the Python package (run: python examples/python_tour.py).

1. fit a device to measured pulse trains (data/pulse-trains-synthetic.csv),
   and simulate 32 devices of the fitted model;
2. solve a 128 x 128 array of it with IR drop, against the ideal product;
3. accuracy of a small spiking network on arrays of IBM's PCM over drift time.

Figures go to `python-tour.png` when matplotlib is installed.
"""

from pathlib import Path

import numpy as np

import xbarsim

root = Path(__file__).resolve().parent.parent

# 1. A device from measured pulse trains: the estimator of `xbarsim device fit`.
fit = xbarsim.fit_device(pulses=root / "data" / "pulse-trains-synthetic.csv")
print(fit.report)
device = fit.device
simulated = xbarsim.device_pulse(device, devices=32, seed=1)
print(simulated.head())

# 2. The fitted device's range on a 128 x 128 array, IR drop solved exactly.
rng = np.random.default_rng(0)
G = rng.uniform(device.g_min, device.g_max, (128, 128))
V = rng.uniform(0.0, 0.2, (16, 128))
I = xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5)
loss = 1 - I / (V @ G)
print(f"IR drop costs {100 * loss.mean():.2f} % of the ideal current (worst column {100 * loss.max():.2f} %)")

# 3. Accuracy over drift time on IBM PCM (a network trained first, in software).
acc = xbarsim.evaluate(
    "ibm-pcm",
    seed=1,
    network={"sizes": [784, 128, 10], "steps": 10},
    training={"epochs": 2},
    data={"train_limit": 3000, "test_limit": 500},
    evaluation={"times_s": [1.0, 3600.0, 86400.0, 3.15e7], "instances": 3},
)
print(acc.select("time_s", "accuracy_pct", "accuracy_std_pct", "software_accuracy_pct"))

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no figure")
else:
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4))
    fit.plot(ax=a)
    b.errorbar(acc["time_s"], acc["accuracy_pct"], yerr=acc["accuracy_std_pct"], marker="o")
    b.set_xscale("log")
    b.set_xlabel("time since programming (s)")
    b.set_ylabel("test accuracy (%)")
    fig.tight_layout()
    fig.savefig("python-tour.png", dpi=150)
    print("wrote python-tour.png")
