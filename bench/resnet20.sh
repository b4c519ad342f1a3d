#!/usr/bin/env bash
# A ResNet-20-size CNN (issue 22's speed target) on arrays with exact IR
# drop: 10 000 random 3×32×32 images, 128×128 tiles, 1 Ω wire segments
# (transfer solver), one device instance read at one time, pinned to two
# cores. Prints the wall time and the peak resident memory (GNU time).
#
#   bench/resnet20.sh [BINARY] [IMAGES]   (default: the release xbarsim, 10000)
#
# The model and images come from bench/resnet20.py (onnx, numpy from PyPI);
# the weights are random, so the accuracy is chance: speed and memory only.
set -euo pipefail
cores=0,1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup "onnx>=1.14" "numpy>=1.21"
bin=${1:-}
n=${2:-10000}
if [[ -z "$bin" ]]; then
    cargo build --quiet --release --locked --manifest-path "$root/Cargo.toml" --bin xbarsim >&2
    bin="$target_dir/release/xbarsim"
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$py" "$here/resnet20.py" "$work" "$n"
/usr/bin/time -v "${pin[@]}" "$bin" evaluate --model "$work/resnet20.onnx" \
    --data "$work/images.npz" --device ibm-pcm --instances 1 --times 86400 \
    --tile-rows 128 --tile-cols 128 --r-wordline 1 --r-bitline 1 \
    --output "$work/acc.csv" --no-progress 2> "$work/time.txt"
echo "$pinned; $("$bin" --version)"
grep -E "Elapsed|Maximum resident" "$work/time.txt"
