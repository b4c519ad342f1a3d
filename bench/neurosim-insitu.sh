#!/usr/bin/env bash
# NeuroSim-protocol in-situ training speed: wall time of one epoch (8 000
# per-image updates of the 400-100-10 network on the arrays, then the
# 10 000-image test) per device, and of the whole shipped device table.
#
#   bench/neurosim-insitu.sh                    # full MNIST from ../shared/data/mnist
#   MNIST=/path/to/mnist EPOCHS=125 bench/neurosim-insitu.sh
#
# Runs `xbarsim run --shipped neurosim-insitu` with EPOCHS epochs (default
# 10) on two cores and prints the run's wall time and each device's
# per-epoch training time (the `epoch_time_s` of the history is not a
# column, so the per-epoch figure is wall time / (devices × epochs), test
# included). Reference (2 cores, release build, full MNIST, 125 epochs):
# 336.8 s for 8 devices, i.e. 0.67 s of one core per epoch including the
# test; MLP_NeuroSim V3.0 publishes no run time to compare with.
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS="${EPOCHS:-10}"
MNIST="${MNIST:-../shared/data/mnist}"
cargo build --release --locked --quiet
bin="$PWD/target/release/xbarsim"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
sed "s/^epochs = 125/epochs = $EPOCHS/" experiments/configs/neurosim-insitu.toml > "$work/neurosim.toml"
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0,1)
start=$(date +%s.%N)
"${pin[@]}" "$bin" run "$work/neurosim.toml" --out "$work/out" --data "$MNIST" --jobs 2 --quiet
end=$(date +%s.%N)
python3 - "$start" "$end" "$EPOCHS" <<'PY'
import sys
start, end, epochs = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
wall = end - start
units = 8 * epochs
print(f"neurosim-insitu: 8 devices x {epochs} epochs in {wall:.1f} s on 2 cores; "
      f"{2 * wall / units:.2f} core-seconds per epoch (8000 updates + 10000-image test)")
PY
