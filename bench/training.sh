#!/usr/bin/env bash
# Training benchmark: one epoch of a 784-128-10 LIF network (T = 25, batch
# 128, rate coding, Adam 5e-4, cross-entropy on spike counts, fast-sigmoid
# surrogate with slope 25, beta 0.95, threshold 1, reset by subtraction) on
# the 60 000 MNIST training images, in xbarsim (`xbarsim train`) and in
# snnTorch (bench/snntorch_epoch.py), same cores and thread count, as a
# Markdown table. See bench/README.md.
#
#   bench/training.sh [--data DIR] [--cores LIST] [--quick] [--snntorch-only]
#
# Defaults: DIR = ../shared/data/mnist from the repository root, cores 0,1
# (two threads). --quick trains both on the first 6 400 images (50 batches)
# and extrapolates; --snntorch-only skips xbarsim.
set -euo pipefail

data="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/../shared/data/mnist"
cores=0,1
quick=0
peer_only=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        --cores) cores="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        --snntorch-only) peer_only=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "training.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ -f "$data/train-images-idx3-ubyte.gz" || -f "$data/train-images-idx3-ubyte" ]] \
    || { echo "training.sh: no MNIST IDX files in $data (use --data DIR)" >&2; exit 2; }
data="$(cd "$data" && pwd)"

# torch and snntorch versions checked to work together (CPU, Python 3.11).
torch_ver=2.15.0
snntorch_ver=1.0.0

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup numpy
# The CPU-only torch wheel (~200 MB) where its index is reachable, else
# PyPI's (which pulls the CUDA libraries, ~5 GB, unused here).
if ! "$py" -c "import torch, snntorch, sys; sys.exit(torch.__version__.split('+')[0] != '$torch_ver' or snntorch.__version__ != '$snntorch_ver')" 2>/dev/null; then
    echo "installing torch $torch_ver and snntorch $snntorch_ver into $venv" >&2
    "$py" -m pip install --quiet --disable-pip-version-check --retries 0 --timeout 15 \
        "torch==$torch_ver" --index-url https://download.pytorch.org/whl/cpu >&2 2>/dev/null \
        || { echo "CPU wheel index unreachable: torch from PyPI" >&2
             "$py" -m pip install --quiet --disable-pip-version-check "torch==$torch_ver" >&2; }
    "$py" -m pip install --quiet --disable-pip-version-check "snntorch==$snntorch_ver" >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Busy time (user, nice, system, irq, softirq, steal) of the pinned cores in
# seconds, from /proc/stat: what the run itself used is subtracted after it,
# and the rest is other load on those cores, which distorts the timing
# (OpenMP's and rayon's barriers slow down many times over when a core is
# shared).
busy() {
    awk -v list="$cores" -v hz="$(getconf CLK_TCK)" 'BEGIN { n = split(list, a, ","); for (i = 1; i <= n; i++) want["cpu" a[i]] = 1 }
        $1 in want { b += $2 + $3 + $4 + $7 + $8 + $9 } END { printf "%.2f\n", b / hz }' /proc/stat
}
# measured NAME CMD...: runs CMD (stdout to $work/NAME.out, stderr to
# $work/NAME.err) and writes "wall own other" seconds to $work/NAME.load.
measured() {
    local name="$1" b0 b1 rc=0; shift
    if [[ ! -x /usr/bin/time ]]; then "$@" >"$work/$name.out" 2>"$work/$name.err"; return; fi
    b0=$(busy)
    /usr/bin/time -o "$work/$name.time" -f '%e %U %S' "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    b1=$(busy)
    read -r wall user sys < <(tail -n 1 "$work/$name.time") || true
    awk -v w="$wall" -v u="$user" -v s="$sys" -v b0="$b0" -v b1="$b1" \
        'BEGIN { o = b1 - b0 - u - s; printf "%s %.2f %.2f\n", w, u + s, o < 0 ? 0 : o }' >"$work/$name.load"
    return $rc
}

limit=()
workload="MNIST train, 60 000 images (469 batches)"
if (( quick )); then
    limit=(--train-limit 6400)
    workload="MNIST train, first 6 400 images (50 batches)"
fi

if (( ! peer_only )); then
    echo "building xbarsim (release)" >&2
    cargo build --quiet --release --locked --manifest-path "$root/Cargo.toml" --bin xbarsim >&2 \
        || { echo "training.sh: cargo build --release --locked failed" >&2; exit 1; }
    bin="$target_dir/release/xbarsim"
    # Same workload as snntorch_epoch.py; a constant learning rate like
    # torch.optim.Adam's (xbarsim's default schedule is cosine).
    cmd=("$bin" train --data "$data" "${limit[@]}" --hidden 128 --steps 25 --batch-size 128 --encoding rate
         --beta 0.95 --threshold 1 --surrogate fast-sigmoid --slope 25 --readout spike-count
         --lr 5e-4 --schedule constant --epochs 1 --seed 1
         --output "$work/model.safetensors" --history "$work/history.csv" --no-progress)
    (( quick )) && cmd+=(--test-limit 1000)   # test evaluation is not timed; keep it short
    echo "xbarsim: one epoch ($workload), $pinned" >&2
    if ! measured xbarsim "${pin[@]}" "${cmd[@]}"; then
        echo "training.sh: xbarsim train failed:" >&2
        printf ' %q' "${cmd[@]}" >&2; echo >&2
        tail -n 20 "$work/xbarsim.err" | sed 's/^/  | /' >&2
        echo "(bench/training.sh --snntorch-only runs the snnTorch side alone)" >&2
        exit 1
    fi
    [[ -s "$work/history.csv" ]] || { echo "training.sh: xbarsim wrote no history CSV" >&2; exit 1; }
fi

echo "snnTorch: one epoch ($workload), $pinned" >&2
measured snntorch "${pin[@]}" "$py" "$here/snntorch_epoch.py" --data "$data" --threads "$ncores" --seed 1 "${limit[@]}" \
    || { echo "training.sh: snntorch_epoch.py failed:" >&2; tail -n 20 "$work/snntorch.err" | sed 's/^/  | /' >&2; exit 1; }

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
rev="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
"$py" - "$work" "$(nproc)" "${cpu:-unknown}" "$pinned" "$ncores" "$workload" "$quick" "$rev" <<'EOF'
import csv, json, os, sys

work, nproc, cpu, pinned, ncores, workload, quick, rev = sys.argv[1:9]
quick = quick == "1"
q = json.load(open(os.path.join(work, "snntorch.out")))
hist = os.path.join(work, "history.csv")
x = None
if os.path.exists(hist):
    rows = list(csv.DictReader(open(hist)))
    timing = json.load(open(hist + ".json")).get("timing", {})
    if not rows or "train_accuracy_pct" not in rows[-1] or not timing.get("epoch_time_s"):
        sys.exit("training.sh: history CSV has no train_accuracy_pct column / no rows, or its sidecar no timing.epoch_time_s")
    x = {"epoch_s": float(timing["epoch_time_s"][-1]), "acc": float(rows[-1]["train_accuracy_pct"]) / 100}

pct = lambda a: f"{100 * a:.2f} %"
xs = f"{x['epoch_s']:.2f}" if x else "—"
ratio = f"{q['epoch_s'] / x['epoch_s']:.2f}×" if x else "—"
acc = f"snnTorch {pct(q['train_acc_last_epoch'])}" + (f", xbarsim {pct(x['acc'])}" if x else "")
print("One training epoch, 784-128-10 LIF (β = 0.95, θ = 1, reset by subtraction), T = 25, batch 128, "
      "rate (Bernoulli) coding, Adam lr 5e-4, cross-entropy on spike counts, fast-sigmoid surrogate (slope 25).")
print()
print("| workload | snnTorch epoch (s) | xbarsim epoch (s) | ratio snnTorch/xbarsim | final train accuracy each |")
print("|---|---:|---:|---:|---|")
print(f"| {workload} | {q['epoch_s']:.2f} | {xs} | {ratio} | {acc} |")
print()
if quick:
    k = 469 / q["batches"]
    est = f"snnTorch ≈ {q['epoch_s'] * k:.1f} s" + (f", xbarsim ≈ {x['epoch_s'] * k:.1f} s" if x else "")
    print(f"Quick mode: extrapolated linearly to the full 469-batch epoch, {est}. "
          "Accuracy after 50 batches is far from converged.")
    print()
print(f"Machine: nproc = {nproc}, CPU: {cpu}; both runs {pinned}, RAYON_NUM_THREADS = OMP_NUM_THREADS = {ncores}; "
      f"torch {q['torch']} (set_num_threads({q['threads']}), {q['interop_threads']} inter-op threads), "
      f"snntorch {q['snntorch']}; xbarsim {rev}. "
      "Timed: the epoch's training loop (batch gather, Bernoulli encoding, forward over T steps, loss, backward, "
      "Adam step); not timed: reading MNIST, building the model, test evaluation. "
      "Accuracy: running accuracy over the epoch's training batches (different random streams, so not equal).")
loads = []
for name in ("xbarsim", "snntorch"):
    p = os.path.join(work, name + ".load")
    if os.path.exists(p):
        wall, own, other = map(float, open(p).read().split())
        loads.append(f"{name} {other:.1f} s over {wall:.1f} s")
        if other > max(0.5, 0.05 * wall):
            print(f"training.sh: WARNING: other processes used {other:.1f} CPU-s of the pinned cores during the {name} run "
                  f"({wall:.1f} s wall): its time is not trustworthy, run again on a quiet machine", file=sys.stderr)
if loads:
    print(f"Other load on the pinned cores during the runs (CPU time, /proc/stat minus the run's own): {'; '.join(loads)}.")
EOF
