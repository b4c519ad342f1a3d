# Writes data/pulse-trains-jump-synthetic.csv (SYNTHETIC, CC0): 8 devices,
# 4 cycles of 60 LTP + 60 LTD pulses, from 1 uS. LTP dg = 0.06*(10 uS - g),
# LTD dg = -0.08*(g - 2 uS) (a different bound per branch), and the first
# depressing pulse after potentiation drops 1.5 uS (the jump at the turn of
# MLP_NeuroSim V3.0 issue #13). Normal C2C: 0.03 / 0.02 / 0.1 uS.
# Run: python3 data/pulse-trains-jump-synthetic.py
import random

random.seed(5)
dev, cyc, n = 8, 4, 60
cols = []
for k in range(dev):
    g = 1e-6
    col = [g]
    for c in range(cyc):
        for i in range(n):
            g += 0.06 * (10e-6 - g) + 0.03e-6 * random.gauss(0, 1)
            col.append(g)
        for i in range(n):
            if i == 0:
                g += -1.5e-6 + 0.1e-6 * random.gauss(0, 1)
            else:
                g += -0.08 * (g - 2e-6) + 0.02e-6 * random.gauss(0, 1)
            col.append(g)
    cols.append(col)
with open("data/pulse-trains-jump-synthetic.csv", "w") as f:
    f.write("# SYNTHETIC (CC0), written by data/pulse-trains-jump-synthetic.py: a 1.5 uS jump at the turn from LTP to LTD, LTP bound 10 uS, LTD bound 2 uS\n")
    f.write("pulse_voltage_V," + ",".join(f"dev{k}" for k in range(dev)) + "\n")
    for r in range(len(cols[0])):
        p = 1 if r == 0 or (r - 1) % (2 * n) < n else -1
        f.write(f"{p}," + ",".join(f"{c[r]:.6e}" for c in cols) + "\n")
