#!/usr/bin/env bash
# Costing comes with evaluation at little extra time: the 10 000 MNIST test
# images evaluated on programmed arrays (ibm-pcm, 128x128 tiles, 1.3 ohm
# wire segments, 6-bit ADCs) by `xbarsim evaluate` (accuracy only) and by
# `xbarsim cost` (accuracy with the full per-inference cost, the exact
# array energy of every read included), one instance, one time; best of
# three wall-clock times each, and their ratio.
#
#   bench/cost-speed.sh [--data DIR] [--steps T]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/../shared/data/mnist"
steps=25
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        --steps) steps="$2"; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "cost-speed.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
bin="${XBARSIM:-$root/target/release/xbarsim}"
[[ -x "$bin" ]] || cargo build --release --locked --manifest-path "$root/Cargo.toml"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$bin" train --data "$data" --hidden 128 --steps "$steps" --epochs 1 --no-progress \
    --output "$work/m.safetensors" >&2
array=(--model "$work/m.safetensors" --data "$data" --device ibm-pcm --tile-rows 128
       --tile-cols 128 --r-wordline 1.3 --r-bitline 1.3 --adc-bits 6)
best() { # command...
    local b=""
    for _ in 1 2 3; do
        local s e
        s=$(date +%s.%N); "$@" > /dev/null 2>&1; e=$(date +%s.%N)
        local t; t=$(echo "$e - $s" | bc -l)
        if [[ -z "$b" ]] || (( $(echo "$t < $b" | bc -l) )); then b=$t; fi
    done
    echo "$b"
}
t_eval=$(best "$bin" evaluate "${array[@]}" --times 1 --instances 1 --no-progress --output "$work/e.csv")
t_cost=$(best "$bin" cost "${array[@]}" --time 1 --instances 1 --output "$work/c.csv")
printf '| evaluation | wall-clock (s) |\n|---|---|\n| evaluate (accuracy) | %.2f |\n| cost (accuracy + cost) | %.2f |\n| ratio | %.2f |\n' \
    "$t_eval" "$t_cost" "$(echo "$t_cost / $t_eval" | bc -l)"
