#!/usr/bin/env bash
# Device-model benchmark: the IBM PCM pipeline (program + drift to 1 year +
# one noisy read of a 1024x1024 array) in xbarsim and in numpy, on the same
# cores, as one Markdown table. See bench/README.md.
#
#   bench/devices.sh [--reps R] [--warmup W] [--size N] [--cores LIST]
#
# Defaults: R = 20, W = 3, N = 1024, cores 0,1 (two threads).
set -euo pipefail

reps=20
warmup=3
size=1024
cores=0,1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift 2 ;;
        --warmup) warmup="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --cores) cores="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "devices.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup numpy

echo "building the pcm_timing example (release)" >&2
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p xbar-devices --example pcm_timing >&2
rust_bin="$target_dir/release/examples/pcm_timing"

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
args=(--reps "$reps" --warmup "$warmup" --size "$size")
# 1 % for the 10^6 devices of 1024x1024 (sampling error ~0.2 %); looser for
# small arrays, whose statistics scatter more between two random streams.
tolerance=0.01
if (( size < 512 )); then tolerance=0.05; fi

echo "running xbarsim ($size x $size, $warmup warm-ups + $reps timed runs)" >&2
"${pin[@]}" "$rust_bin" "${args[@]}" >"$workdir/rust.json"
echo "running numpy" >&2
"${pin[@]}" "$venv/bin/python" "$here/pcm_numpy.py" "${args[@]}" --check "$workdir/rust.json" --tolerance "$tolerance" >"$workdir/numpy.json"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
"$venv/bin/python" - "$workdir/rust.json" "$workdir/numpy.json" "$(nproc)" "${cpu:-unknown}" "$pinned" "$ncores" "$tolerance" <<'EOF'
import json, sys

rust = json.load(open(sys.argv[1]))
numpy = json.load(open(sys.argv[2]))
nproc, cpu, pinned, ncores = sys.argv[3:7]
tol = float(sys.argv[7])
n = rust["rows"]
print(f"PCM pipeline (ibm-pcm): new + program + drift to 1 year + one noisy read, {n}x{n}, "
      f"median/min of {rust['reps']} runs after {rust['warmup']} warm-ups")
print()
print("| implementation | median ms | min ms | ratio (numpy/xbarsim) |")
print("|---|---:|---:|---:|")
print(f"| xbarsim (Rust, rayon {rust['threads']} threads) | {rust['median_ms']:.1f} | {rust['min_ms']:.1f} | 1.00 |")
print(f"| numpy {numpy['numpy']} | {numpy['median_ms']:.1f} | {numpy['min_ms']:.1f} | "
      f"{numpy['median_ms'] / rust['median_ms']:.2f} (min: {numpy['min_ms'] / rust['min_ms']:.2f}) |")
print()
print(f"Machine: nproc = {nproc}, CPU: {cpu}; both runs {pinned}, "
      f"RAYON_NUM_THREADS = OMP_NUM_THREADS = OPENBLAS_NUM_THREADS = {ncores}. "
      f"Checked: mean and std of the programmed, drifted and read conductances and of nu agree within {tol:.0%} (read mean {rust['stats']['read_mean']:.4e} S vs "
      f"{numpy['stats']['read_mean']:.4e} S).")
EOF
