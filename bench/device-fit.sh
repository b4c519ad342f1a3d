#!/usr/bin/env bash
# `xbarsim device fit` against scipy.optimize.curve_fit: 60 devices × 1 000
# pulses (5 LTP/LTD cycles of 100 + 100 pulses, C2C and D2D noise; written
# by `cargo run --example bench_trains -p xbar-fit`). The issue's target:
# under 1 s on 2 cores, and at least 10× faster than curve_fit fitting the
# same models (exponential and soft bounds, with covariances) device by
# device (bench/fit_scipy.py).
#
#   bench/device-fit.sh          # best and median of 5 runs each, cores 0,1
#   RUNS=9 CORES=0 bench/device-fit.sh
#
# xbarsim's time is the whole process as a user runs it (read the CSV, fit
# both models to every device with intervals, population, TOML, JSON report),
# and `fit_pulses` alone (fit/examples/bench_fit.rs, the file read before the
# clock starts); scipy's is the fitting loop only, the same scope as the latter.
set -euo pipefail
RUNS="${RUNS:-5}"
cores="${CORES:-0,1}"
source "$(dirname "$0")/common.sh"
bench_setup numpy scipy
cd "$root"
cargo build --release --locked --quiet --bin xbarsim
cargo build --release --locked --quiet -p xbar-fit --example bench_trains --example bench_fit
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$target_dir/release/examples/bench_trains" > "$work/trains.csv"
times=()
for _ in $(seq "$RUNS"); do
    t0=$(date +%s.%N)
    "${pin[@]}" "$target_dir/release/xbarsim" device fit --pulses "$work/trains.csv" -o "$work/dev.toml" > "$work/report.txt"
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc -l)")
done
ours=$(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.4f %.4f", a[1], a[int((NR+1)/2)]}')
echo "xbarsim device fit ($pinned, $ncores threads), best/median of $RUNS: $ours s"
grep -E "pulses_ltp|kept" "$work/report.txt" | head -2
fit_only=$("${pin[@]}" "$target_dir/release/examples/bench_fit" "$work/trains.csv")
echo "fit_pulses alone (file read before the clock): $fit_only"
theirs=()
for _ in $(seq 3); do
    theirs+=("$("${pin[@]}" "$py" "$here/fit_scipy.py" "$work/trains.csv" | tee -a "$work/scipy.txt" | awk '{print $1}')")
done
tail -1 "$work/scipy.txt"
best_theirs=$(printf '%s\n' "${theirs[@]}" | sort -g | head -1)
best_ours=${ours%% *}
best_fit=${fit_only%% *}
echo "scipy curve_fit best of 3: $best_theirs s"
echo "ratio scipy/xbarsim: whole process $(echo "$best_theirs / $best_ours" | bc -l | cut -c1-6), fitting alone $(echo "$best_theirs / $best_fit" | bc -l | cut -c1-6)"
