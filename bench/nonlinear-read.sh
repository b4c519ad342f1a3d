#!/usr/bin/env bash
# The network read through nonlinear cells against the linear read, side by
# side (issue "The cell as measured", target: < 10x the linear read's time
# for 10 000 MNIST images on 128x128 tiles with IR drop).
#
#   bench/nonlinear-read.sh                 # 500 test images, cores 0,1
#   IMAGES=10000 NEWTON_IMAGES=20 MNIST=../shared/data/mnist bench/nonlinear-read.sh
#
# Trains a 784-100-10 ReLU network once (software, 1 epoch), then times
# `xbarsim evaluate` of IMAGES test images (one device instance, at the
# default five times) on 128x128 tiles, 0.2 V reads,
# with ideal wires and with 1 ohm word and bit lines (2/20 ohm driver and
# sense), for four cells: ohmic, ohmic behind a 5 kOhm resistor (composed
# exactly into the linear read), sinh (a = 5 /V), sinh behind a level-1
# NMOS. Prints each wall time and its ratio to the ohmic read with the
# same wires. Cells behind the NMOS are also read by `--solver linearised`
# (the separable expansion of their current). With wires, sinh and NMOS
# cells are read by `--solver linearised` (the small-signal network at the
# read voltage) over IMAGES, and by both linearised and exact (Newton) over
# NEWTON_IMAGES, side by side.
#
# Measured (IMAGES=10000 NEWTON_IMAGES=5, full MNIST, 1 instance x 5 times,
# 2-core machine, release build, one run; each tile built once while it
# reads the same): ideal wires -- ohmic 0.42 s, resistor 0.8x, sinh 4.3x,
# sinh behind the NMOS 121x exact (rows memoised) and 13.5x linearised
# (5 terms); 1 ohm wires -- ohmic 1.91 s, resistor 1.0x, sinh linearised
# 1.7x (3.19 s, 91.06 % against 91.47 % ohmic), sinh behind the NMOS
# linearised 6.6x (12.6 s, 91.21 %); drifting devices (every tile rebuilt
# at every time) ohmic 2.02 s, 1T1R linearised 9.6x (19.4 s). On 5 images
# with wires: sinh linearised 0.67 s, exact 21.6 s; 1T1R linearised
# 2.53 s, exact 57.6 s; all 100 %. Since an evaluation without a cost
# recording skips the power: 1T1R linearised 7.57 s against ohmic 1.76 s
# (4.3x), drifting 16.4 s against 1.95 s (8.4x). Target: < 10x.
set -euo pipefail
cores="${CORES:-0,1}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
IMAGES="${IMAGES:-500}"
MNIST="${MNIST:-$root/../shared/data/mnist}"
cargo build --release --locked --quiet --manifest-path "$root/Cargo.toml"
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/release/xbarsim"
pin=()
command -v taskset >/dev/null && taskset -c "$cores" true 2>/dev/null && pin=(taskset -c "$cores")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
data=()
[[ -d "$MNIST" ]] && data=(--data "$MNIST")
"$bin" train "${data[@]}" --kind relu --hidden 100 --epochs 1 --no-progress --output m.safetensors >/dev/null
dev() { printf 'name = "%s"\ng_min = 1e-6\ng_max = 1e-4\n%b' "$1" "$2" > "$1.toml"; }
dev ohmic ""
dev resistor '\n[access]\nmodel = "resistor"\nr_ohm = 5000.0\n'
dev sinh '\n[iv]\nmodel = "sinh"\na_per_volt = 5.0\n'
dev 1t1r '\n[iv]\nmodel = "sinh"\na_per_volt = 5.0\n\n[access]\nmodel = "nmos-level1"\nkp_A_per_V2 = 5e-4\nvto_V = 0.45\nlambda_per_V = 0.06\ngate_V = 1.2\n'
printf '%-8s %-16s %7s %10s %8s %9s\n' wires cell images seconds ratio accuracy
# One evaluate: wires ($1), device ($2), solver ($3), images ($4); prints a
# row with the time's ratio to $base.
run() {
    local w=() start end secs acc
    [[ $1 == wired ]] && w=(--r-wordline 1 --r-bitline 1 --r-source 2 --r-sense 20)
    start=$(date +%s.%N)
    "${pin[@]}" "$bin" evaluate "${data[@]}" --model m.safetensors --device "$2.toml" \
        --solver "$3" --test-limit "$4" --instances 1 --tile-rows 128 --tile-cols 128 \
        --read-voltage 0.2 "${w[@]}" --no-progress --output "$1-$2-$3-$4.csv" >/dev/null
    end=$(date +%s.%N)
    secs=$(python3 -c "print(f'{$end - $start:.2f}')")
    [[ -z $base ]] && base=$secs
    acc=$(python3 -c "import csv; r=list(csv.DictReader(open('$1-$2-$3-$4.csv'))); print(f\"{float(r[0]['accuracy_pct']):.2f}\")")
    printf '%-8s %-16s %7s %10s %8s %9s\n' "$1" "$2 ($3)" "$4" "$secs" \
        "$(python3 -c "print(f'{$secs / $base:.1f}x')")" "$acc"
}
for wires in ideal wired; do
    base=""
    for cell in ohmic resistor sinh 1t1r; do
        # Newton with wires: minutes per image; measured on NEWTON_IMAGES.
        [[ $wires == wired && ($cell == sinh || $cell == 1t1r) ]] && continue
        run "$wires" "$cell" auto "$IMAGES"
    done
    # Behind the NMOS: the separable expansion of the cell's current
    # (and, with wires, its small-signal network).
    run "$wires" 1t1r linearised "$IMAGES"
    [[ $wires == wired ]] && run wired sinh linearised "$IMAGES"
done
# A tile is built once while it reads the same conductances: the devices
# above neither drift nor read noisily, so every time reads what the first
# read. A drifting device reads anew at each of the five times, and every
# tile of it is rebuilt: side by side with the ohmic read of the same drift.
drift='\n[drift]\nt0_s = 1.0\nnu_mean = { intercept = 0.05 }\nnu_std = { intercept = 0.01 }\n'
dev ohmic-drift "$drift"
dev 1t1r-drift '\n[iv]\nmodel = "sinh"\na_per_volt = 5.0\n\n[access]\nmodel = "nmos-level1"\nkp_A_per_V2 = 5e-4\nvto_V = 0.45\nlambda_per_V = 0.06\ngate_V = 1.2\n'"$drift"
base=""
run wired ohmic-drift auto "$IMAGES"
run wired 1t1r-drift linearised "$IMAGES"
# The linearised read against the exact one (Newton on the nodal equations)
# on the first NEWTON_IMAGES images: both accuracies, and the time ratio.
NEWTON_IMAGES="${NEWTON_IMAGES:-10}"
for cell in sinh 1t1r; do
    base=""
    run wired "$cell" linearised "$NEWTON_IMAGES"
    run wired "$cell" exact "$NEWTON_IMAGES"
done
