#!/usr/bin/env python3
"""Runs MLP_NeuroSim V3.0 (patched by bench/neurosim-patch.py, built) and
xbarsim's NeuroSim protocol on the same devices for the same epochs, and
prints both test accuracies per device per epoch beside the V3.0 manual's
published final figures. Called by bench/neurosim-side-by-side.sh, which
builds both and regenerates the MNIST text files.

    neurosim-side-by-side.py --neurosim BIN --data TEXT_DIR --xbarsim BIN
        --mnist IDX_DIR --config TOML --work DIR [--epochs 3] [--jobs 2]
        [--devices a,b,...] [--seeds 1] [--skip-neurosim] [--skip-xbarsim]

Each device's NeuroSim parameters come from `xbarsim device show NAME
--toml` (G_min, G_max, levels, NL labels, C2C; FeFET for technology
"FeFET"; a linear write for NL = 0), everything else is NeuroSim's own
default (15 kΩ access resistance, 100 nm wires, its weight initialisation).
"""
import argparse
import concurrent.futures as cf
import csv
import os
import re
import subprocess
import sys
import tomllib

# MLP_NeuroSim V3.0 user manual, §9, Table II ("Online learning accuracy",
# after 125 epochs of 8000 images).
MANUAL = {
    "ag-a-si": 72.0,
    "taox-hfox": 80.0,
    "pcmo": 33.0,
    "alox-hfo2": 20.0,
    "gst-pcm": 89.0,
    "epiram": 92.0,
    "hzo-fefet": 88.0,
    "ideal": None,
}
ORDER = list(MANUAL)


def device_env(xbarsim, name):
    spec = tomllib.loads(
        subprocess.run([xbarsim, "device", "show", name, "--toml"], check=True,
                       capture_output=True, text=True).stdout)
    p = spec["pulse"]
    if p.get("model") != "exponential":
        sys.exit(f"{name}: NeuroSim needs an exponential pulse model")
    env = {
        "NS_GMAX": repr(spec["g_max"]),
        "NS_GMIN": repr(spec["g_min"]),
        "NS_LEVELS_LTP": str(p["pulses_ltp"]),
        "NS_LEVELS_LTD": str(p["pulses_ltd"]),
        "NS_NL_LTP": repr(p["nl_ltp"]),
        "NS_NL_LTD": repr(p["nl_ltd"]),
        "NS_C2C": repr(p.get("c2c", 0.0)),
    }
    if p["nl_ltp"] == 0 and p["nl_ltd"] == 0:
        env["NS_NONLINEAR_WRITE"] = "0"  # getParamA(0) is outside its table
    if spec.get("technology", "").lower() == "fefet":
        env["NS_FEFET"] = "1"
    return env


def run_neurosim(binary, data, work, name, env, epochs, seed, extra):
    d = os.path.join(work, "neurosim", f"{name}-s{seed}")
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(data):
        if f.endswith(".txt") and not os.path.exists(os.path.join(d, f)):
            os.symlink(os.path.abspath(os.path.join(data, f)), os.path.join(d, f))
    full = dict(os.environ, **env, NS_EPOCHS=str(epochs), NS_SEED=str(seed), NS_FAST="1", **extra)
    log = os.path.join(d, "log.txt")
    with open(log, "w") as out:
        subprocess.run(["stdbuf", "-oL", binary], cwd=d, env=full, stdout=out,
                       stderr=subprocess.STDOUT, check=False)
    acc = {}
    for line in open(log):
        m = re.match(r"Accuracy at (\d+) epochs is : ([\d.]+)%", line)
        if m:
            acc[int(m.group(1))] = float(m.group(2))
    return name, seed, acc


def run_xbarsim(xbarsim, config, mnist, work, devices, epochs, seeds):
    text = open(config).read()
    text = re.sub(r"(?m)^epochs = \d+", f"epochs = {epochs}", text)
    text = re.sub(r"(?m)^repeats = \d+", f"repeats = {seeds}", text)
    text = re.sub(r"(?m)^device = \[.*\]$",
                  "device = [" + ", ".join(f'"{d}"' for d in devices) + "]", text)
    path = os.path.join(work, "xbarsim.toml")
    open(path, "w").write(text)
    out = os.path.join(work, "xbarsim")
    subprocess.run([xbarsim, "run", path, "--out", out, "--data", mnist, "--jobs", "2",
                    "--quiet", "--force"], check=True)
    acc = {}
    for r in csv.DictReader(open(os.path.join(out, "results.csv"))):
        acc.setdefault(r["device"], {}).setdefault(int(r["epoch"]), []).append(
            float(r["test_accuracy_pct"]))
    return acc


def fmt(v):
    return "  –  " if v is None else f"{v:5.1f}"


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--neurosim")
    a.add_argument("--data")
    a.add_argument("--xbarsim", required=True)
    a.add_argument("--mnist")
    a.add_argument("--config")
    a.add_argument("--work", required=True)
    a.add_argument("--epochs", type=int, default=3)
    a.add_argument("--jobs", type=int, default=2)
    a.add_argument("--seeds", type=int, default=1)
    a.add_argument("--devices", default=",".join(ORDER))
    a.add_argument("--skip-neurosim", action="store_true")
    a.add_argument("--skip-xbarsim", action="store_true")
    args = a.parse_args()
    devices = args.devices.split(",")
    os.makedirs(args.work, exist_ok=True)

    ns = {}
    if not args.skip_neurosim:
        with cf.ThreadPoolExecutor(args.jobs) as pool:
            # Seeds 1… (glibc's srand(0) is srand(1)), each with its own
            # initial weights (NS_INIT_SEED; seed 1 keeps the shipped 2), as
            # xbarsim's repeats draw theirs.
            futs = [pool.submit(run_neurosim, args.neurosim, args.data, args.work, d,
                                device_env(args.xbarsim, d), args.epochs, s,
                                {"NS_INIT_SEED": str(s + 1)})
                    for s in range(1, args.seeds + 1) for d in devices]
            for f in cf.as_completed(futs):
                name, seed, acc = f.result()
                ns.setdefault(name, {})
                for e, v in acc.items():
                    ns[name].setdefault(e, []).append(v)
                print(f"neurosim {name} seed {seed}: " +
                      " / ".join(f"{acc[e]:.2f}" for e in sorted(acc)), flush=True)
    xb = {}
    if not args.skip_xbarsim:
        xb = run_xbarsim(args.xbarsim, args.config, args.mnist, args.work, devices,
                         args.epochs, args.seeds)

    mean = lambda v: None if not v else sum(v) / len(v)
    head = " ".join(f"ep{e:<3d}" for e in range(1, args.epochs + 1))
    print(f"\nTest accuracy (%), full MNIST, {args.epochs} epochs of 8000 images; "
          f"mean of {args.seeds} seed(s) each side")
    print(f"{'device':10s} | MLP_NeuroSim {head} | xbarsim {head} | max |diff| | manual (125 ep)")
    for d in devices:
        n = [mean(ns.get(d, {}).get(e)) for e in range(1, args.epochs + 1)]
        x = [mean(xb.get(d, {}).get(e)) for e in range(1, args.epochs + 1)]
        diffs = [abs(p - q) for p, q in zip(n, x) if p is not None and q is not None]
        worst = f"{max(diffs):5.1f}" if diffs else "  –  "
        print(f"{d:10s} | {'':12s} {' '.join(fmt(v) for v in n)} | {'':7s} "
              f"{' '.join(fmt(v) for v in x)} | {worst:>10s} | {fmt(MANUAL.get(d))}")


if __name__ == "__main__":
    main()
