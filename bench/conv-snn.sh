#!/usr/bin/env bash
# Conv-SNN training benchmark: one epoch of snnTorch tutorial 6's network
# (12C5-MP2-LIF-64C5-MP2-LIF-FC10-LIF, beta 0.5, threshold 1, reset by
# subtraction, fast-sigmoid surrogate slope 25, T = 10, the image as a
# constant current each step, batch 128, cross-entropy on spike counts,
# Adam 2e-3) on the 60 000 MNIST training images, in xbarsim (`xbarsim train
# --config`) and in snnTorch (bench/conv_snn_epoch.py), same cores and thread
# count, as a Markdown table. See bench/README.md.
#
#   bench/conv-snn.sh [--data DIR] [--cores LIST] [--batches K] [--debug-bin]
#                     [--bin PATH] [--python PY] [--snntorch-only] [--check]
#
# Defaults: DIR = $XBARSIM_MNIST_DIR or ../shared/data/mnist from the
# repository root, cores 0,1 (two threads), the full epoch (469 batches).
# --batches K trains both on the first K*128 images and extrapolates to 469
# batches; --debug-bin uses target/debug/xbarsim (the dev profile, built
# with optimisation) instead of building the release binary; --bin PATH
# times that xbarsim binary as it is (no build); --python PY
# runs the snnTorch side with an interpreter that already has torch and
# snntorch (default: bench/.venv, installed on the first run); --check
# instead trains both from xbarsim's initial weights on one fixed batch.
#
# Last measured (2026-12-07, shared 2-core Intel Xeon VM, load average
# 6.7-9.7 from other builds, so every run was flagged for other load):
# --batches 20, cores 0,1, 2 threads each (RAYON_NUM_THREADS =
# OMP_NUM_THREADS = 2, torch.set_num_threads(2)), torch 2.15.0, snntorch
# 1.0.0, xbarsim 0ae4d86 dev-profile binary, three runs back to back:
# snnTorch 1447 / 1249 / 1473 s, xbarsim 160 / 169 / 259 s per epoch
# (extrapolated), ratio 9.1 / 7.4 / 5.7x, median 7.4x (target >= 4x);
# xbarsim before 0ae4d86 (14f1212) on the same runs: 342 / 393 / 325 s.
# Load slows snnTorch's OpenMP threads more than rayon's, and 20 batches
# are the sparse start of training: rerun a full epoch on a quiet machine
# before quoting one figure.
set -euo pipefail

root0="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${XBARSIM_MNIST_DIR:-$root0/../shared/data/mnist}"
cores=0,1
batches=0
debug_bin=0
bin_path=""
peer_only=0
peer_py=""
check=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        --cores) cores="$2"; shift 2 ;;
        --batches) batches="$2"; shift 2 ;;
        --debug-bin) debug_bin=1; shift ;;
        --bin) bin_path="$2"; shift 2 ;;
        --snntorch-only) peer_only=1; shift ;;
        --python) peer_py="$2"; shift 2 ;;
        --check) check=1; shift ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "conv-snn.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
[[ -f "$data/train-images-idx3-ubyte.gz" || -f "$data/train-images-idx3-ubyte" ]] \
    || { echo "conv-snn.sh: no MNIST IDX files in $data (use --data DIR)" >&2; exit 2; }
data="$(cd "$data" && pwd)"

# torch and snntorch versions checked to work together (CPU, Python 3.11).
torch_ver=2.15.0
snntorch_ver=1.0.0

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup numpy
[[ -n "$peer_py" ]] && py="$peer_py"
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

# Busy time of the pinned cores (see training.sh): other load distorts the timing.
busy() {
    awk -v list="$cores" -v hz="$(getconf CLK_TCK)" 'BEGIN { n = split(list, a, ","); for (i = 1; i <= n; i++) want["cpu" a[i]] = 1 }
        $1 in want { b += $2 + $3 + $4 + $7 + $8 + $9 } END { printf "%.2f\n", b / hz }' /proc/stat
}
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
if (( batches > 0 )); then
    limit=(--train-limit $(( batches * 128 )))
    workload="MNIST train, first $(( batches * 128 )) images ($batches batches)"
fi

cat >"$work/net.toml" <<'EOF'
[network]
kind = "spiking"
steps = 10
beta = 0.5
threshold = 1.0
encoding = "direct"
layers = [
  { op = "conv2d", channels = 12, kernel = 5 },
  { op = "maxpool", kernel = 2 },
  { op = "lif" },
  { op = "conv2d", channels = 64, kernel = 5 },
  { op = "maxpool", kernel = 2 },
  { op = "lif" },
  { op = "flatten" },
  { op = "linear", outputs = 10 },
  { op = "lif" },
]

[training]
epochs = 1
batch_size = 128
seed = 1
schedule = "constant"
optimizer = { learning_rate = 2e-3 }
EOF

profile=release
if (( check )); then
    # Same computation: xbarsim's initial weights (one step at lr 1e-30 leaves
    # them as drawn), then 15 Adam steps at lr 1e-2 on the first 128 images
    # (one batch, so every epoch sees the same images whatever the shuffle)
    # on both sides from those weights; prints the loss before each step.
    bin="$target_dir/release/xbarsim"
    (( debug_bin )) && bin="$target_dir/debug/xbarsim"
    [[ -n "$bin_path" ]] && bin="$bin_path"
    sed 's/learning_rate = 2e-3/learning_rate = 1e-30/' "$work/net.toml" >"$work/init.toml"
    sed 's/learning_rate = 2e-3/learning_rate = 1e-2/' "$work/net.toml" >"$work/check.toml"
    one=(--data "$data" --train-limit 128 --test-limit 10 --no-progress)
    "$bin" train --config "$work/init.toml" "${one[@]}" --output "$work/init.safetensors" >/dev/null 2>&1
    "$bin" train --config "$work/check.toml" --epochs 15 "${one[@]}" --output "$work/check.safetensors" \
        --history "$work/check.csv" >/dev/null 2>&1
    "$py" "$here/conv_snn_epoch.py" --data "$data" --threads "$ncores" --train-limit 128 --epochs 15 \
        --lr 1e-2 --beta 0.5 --init "$work/init.safetensors" --losses >"$work/check.json"
    "$py" - "$work" <<'EOF'
import csv, json, os, sys
work = sys.argv[1]
x = [float(r["train_loss"]) for r in csv.DictReader(open(os.path.join(work, "check.csv")))]
q = json.load(open(os.path.join(work, "check.json")))["losses"]
print("| Adam step | xbarsim loss (f64) | snnTorch loss (f32) | difference |")
print("|---:|---:|---:|---:|")
for i, (a, b) in enumerate(zip(x, q), 1):
    print(f"| {i} | {a:.6f} | {b:.6f} | {a - b:+.2e} |")
EOF
    exit 0
fi
if (( ! peer_only )); then
    if [[ -n "$bin_path" ]]; then
        profile="$bin_path"
        bin="$bin_path"
        [[ -x "$bin" ]] || { echo "conv-snn.sh: $bin is not an executable" >&2; exit 2; }
    elif (( debug_bin )); then
        profile="dev profile (optimised)"
        bin="$target_dir/debug/xbarsim"
        [[ -x "$bin" ]] || { echo "conv-snn.sh: $bin not built (cargo build --bin xbarsim)" >&2; exit 1; }
    else
        echo "building xbarsim (release)" >&2
        cargo build --quiet --release --locked --manifest-path "$root/Cargo.toml" --bin xbarsim >&2 \
            || { echo "conv-snn.sh: cargo build --release --locked failed" >&2; exit 1; }
        bin="$target_dir/release/xbarsim"
    fi
    cmd=("$bin" train --config "$work/net.toml" --data "$data" "${limit[@]}" --test-limit 1000
         --output "$work/model.safetensors" --history "$work/history.csv" --no-progress)
    echo "xbarsim: one epoch ($workload), $pinned" >&2
    if ! measured xbarsim "${pin[@]}" "${cmd[@]}"; then
        echo "conv-snn.sh: xbarsim train failed:" >&2
        printf ' %q' "${cmd[@]}" >&2; echo >&2
        tail -n 20 "$work/xbarsim.err" | sed 's/^/  | /' >&2
        exit 1
    fi
fi

echo "snnTorch: one epoch ($workload), $pinned" >&2
measured snntorch "${pin[@]}" "$py" "$here/conv_snn_epoch.py" --data "$data" --threads "$ncores" --seed 1 \
    --beta 0.5 --lr 2e-3 "${limit[@]}" \
    || { echo "conv-snn.sh: conv_snn_epoch.py failed:" >&2; tail -n 20 "$work/snntorch.err" | sed 's/^/  | /' >&2; exit 1; }

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
rev="$(git -C "$root" describe --always --dirty 2>/dev/null || echo unknown)"
"$py" - "$work" "$(nproc)" "${cpu:-unknown}" "$pinned" "$ncores" "$workload" "$batches" "$rev" "$profile" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'EOF'
import csv, json, os, sys

work, nproc, cpu, pinned, ncores, workload, batches, rev, profile, loadavg = sys.argv[1:11]
batches = int(batches)
q = json.load(open(os.path.join(work, "snntorch.out")))
hist = os.path.join(work, "history.csv")
x = None
if os.path.exists(hist):
    rows = list(csv.DictReader(open(hist)))
    timing = json.load(open(hist + ".json")).get("timing", {})
    if not rows or not timing.get("epoch_time_s"):
        sys.exit("conv-snn.sh: history CSV has no rows, or its sidecar no timing.epoch_time_s")
    x = {"epoch_s": float(timing["epoch_time_s"][-1]), "acc": float(rows[-1]["train_accuracy_pct"]) / 100,
         "loss": float(rows[-1]["train_loss"])}

full = 469
k = full / batches if batches else 1.0
qs, xs = q["epoch_s"] * k, (x["epoch_s"] * k if x else None)
pct = lambda a: f"{100 * a:.2f} %"
print("One training epoch, snnTorch tutorial 6 conv SNN (12C5-MP2-LIF-64C5-MP2-LIF-FC10-LIF, β = 0.5, θ = 1, "
      "reset by subtraction), T = 10, batch 128, direct (constant-current) input, Adam lr 2e-3, "
      "cross-entropy on spike counts, fast-sigmoid surrogate (slope 25).")
print()
print("| workload | threads | snnTorch epoch (s) | xbarsim epoch (s) | ratio snnTorch/xbarsim | train loss / accuracy each |")
print("|---|---:|---:|---:|---:|---|")
ratio = f"{qs / xs:.2f}×" if x else "—"
acc = f"snnTorch {q['train_loss']:.4f} / {pct(q['train_acc'])}" + (f"; xbarsim {x['loss']:.4f} / {pct(x['acc'])}" if x else "")
print(f"| {workload} | {ncores} | {qs:.1f} | {f'{xs:.1f}' if x else '—'} | {ratio} | {acc} |")
print()
if batches:
    print(f"Extrapolated linearly from {batches} batches to the full {full}-batch epoch "
          f"(measured: snnTorch {q['epoch_s']:.2f} s" + (f", xbarsim {x['epoch_s']:.2f} s" if x else "") + ").")
    print()
print(f"Machine: nproc = {nproc}, CPU: {cpu}; load average before the table {loadavg}; both runs {pinned}, "
      f"RAYON_NUM_THREADS = OMP_NUM_THREADS = {ncores}; torch {q['torch']} (set_num_threads({q['threads']}), "
      f"{q['interop_threads']} inter-op threads), snntorch {q['snntorch']}; xbarsim {rev} ({profile} binary). "
      "Timed: the epoch's training loop; not timed: reading MNIST, building the model, test evaluation.")
loads = []
for name in ("xbarsim", "snntorch"):
    p = os.path.join(work, name + ".load")
    if os.path.exists(p):
        wall, own, other = map(float, open(p).read().split())
        loads.append(f"{name} {other:.1f} s over {wall:.1f} s (own {own:.1f} CPU-s)")
        if other > max(0.5, 0.05 * wall):
            print(f"conv-snn.sh: WARNING: other processes used {other:.1f} CPU-s of the pinned cores during the {name} run "
                  f"({wall:.1f} s wall): its time is not trustworthy, run again on a quiet machine", file=sys.stderr)
if loads:
    print(f"Other load on the pinned cores during the runs (CPU time, /proc/stat minus the run's own): {'; '.join(loads)}.")
EOF
