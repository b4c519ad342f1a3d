#!/usr/bin/env bash
# Regenerates the figures in docs/figures/ (shown in README.md) from the
# shipped configs and example data: quick-start, NeuroSim in-situ training
# per device, PCM drift during training, and the two `device fit` examples.
#
#   docs/figures/make.sh [XBARSIM] [MNIST_DIR]
#
# XBARSIM: the binary (default target/release/xbarsim); MNIST_DIR: the full
# MNIST set (four IDX files; default ../shared/data/mnist), which the two
# NeuroSim configs need. Runs go to target/figures/ (resumed when run
# again: figures are redrawn without recomputing). About 16 min on two
# cores: quick-start 1 min, neurosim-insitu 6 min, neurosim-pcm-drift 9 min.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${1:-target/release/xbarsim}
mnist=${2:-../shared/data/mnist}
runs=target/figures
mkdir -p "$runs"

"$bin" run --shipped quickstart --out "$runs/quickstart" --quiet
cp "$runs/quickstart/figures/accuracy_vs_time.png" docs/figures/quickstart-accuracy.png

"$bin" run --shipped neurosim-insitu --data "$mnist" --out "$runs/neurosim-insitu" --quiet
cp "$runs/neurosim-insitu/figures/test_accuracy.png" docs/figures/neurosim-insitu-accuracy.png

"$bin" run --shipped neurosim-pcm-drift --data "$mnist" --out "$runs/neurosim-pcm-drift" --quiet
cp "$runs/neurosim-pcm-drift/figures/test_accuracy.png" docs/figures/neurosim-pcm-drift-accuracy.png

for example in "" "-jump"; do
    name=device-fit${example:-"-example"}
    "$bin" device fit --pulses "data/pulse-trains${example}-synthetic.csv" --name "$name" \
        --output "$runs/$name.toml" --figure "$runs/$name.png" > /dev/null
    cp "$runs/$name.png" "docs/figures/$name.png"
done
echo "docs/figures/ regenerated"
