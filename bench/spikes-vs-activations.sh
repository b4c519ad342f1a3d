#!/usr/bin/env bash
# Spikes against activations: the same MNIST task (784-128-10) as spiking
# networks (rate coding at T = 5, 10, 25; direct coding at T = 10) and as a
# ReLU network with 8-bit inputs (3 epochs, and 10 epochs to match the best
# spiking accuracy), each trained in software, then costed on
# the same device and arrays (`xbarsim cost`: ibm-pcm, 128x128 tiles,
# 1.3 ohm wire segments, 6-bit ADCs shared by 8 columns, generic-32nm).
# Writes docs/cost/spikes-vs-activations.csv (one row per network, with
# the measured spike rates) and the figure docs/cost/spikes-vs-activations.svg
# (accuracy against energy per inference).
#
#   bench/spikes-vs-activations.sh [--data DIR] [--epochs N]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/../shared/data/mnist"
epochs=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        --epochs) epochs="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "spikes-vs-activations.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
bin="${XBARSIM:-$root/target/release/xbarsim}"
[[ -x "$bin" ]] || { cargo build --release --locked --manifest-path "$root/Cargo.toml"; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
out="$root/docs/cost/spikes-vs-activations.csv"
array=(--device ibm-pcm --tile-rows 128 --tile-cols 128 --r-wordline 1.3 --r-bitline 1.3
       --adc-bits 6 --columns-per-adc 8 --technology generic-32nm --time 1 --instances 1
       --data "$data")
header=""
: > "$work/rows.csv"
run() { # name, train flags..., -- cost flags...
    local name="$1"; shift
    local train=() cost=()
    while [[ $# -gt 0 && "$1" != "--" ]]; do train+=("$1"); shift; done
    [[ $# -gt 0 ]] && shift
    cost=("$@")
    "$bin" train --data "$data" --hidden 128 --epochs "${EPOCHS:-$epochs}" --seed 1 --no-progress \
        --readout membrane --schedule cosine \
        "${train[@]}" --output "$work/$name.safetensors" >&2
    "$bin" cost --model "$work/$name.safetensors" "${array[@]}" "${cost[@]}" \
        --output "$work/$name.csv" >&2
    if [[ -z "$header" ]]; then header="network,$(head -1 "$work/$name.csv")"; fi
    echo "$name,$(sed -n 2p "$work/$name.csv")" >> "$work/rows.csv"
}
run spiking-rate-T5 --kind spiking --encoding rate --steps 5
run spiking-rate-T10 --kind spiking --encoding rate --steps 10
run spiking-rate-T25 --kind spiking --encoding rate --steps 25
run spiking-direct-T10 --kind spiking --encoding direct --steps 10 -- --dac-bits 8
run relu-8bit --kind relu --encoding direct -- --dac-bits 8
EPOCHS=10 run relu-8bit-10-epochs --kind relu --encoding direct -- --dac-bits 8
{ echo "$header"; cat "$work/rows.csv"; } > "$out"
echo "written $out" >&2
