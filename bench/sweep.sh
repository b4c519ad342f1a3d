#!/usr/bin/env bash
# Parallel sweeps: wall time of one 16-point sweep with --jobs 1 and with
# --jobs 2 (the issue's target: jobs 2 ≤ 0.6 × jobs 1 on two cores).
#
#   bench/sweep.sh            # 3 runs of each, cores 0,1
#   RUNS=5 bench/sweep.sh
#
# The sweep: 16 independent points of exact IR-drop solves (crossbar-ir-drop,
# neurram-rram cells, 384² and 512² arrays × 8 wire resistances, 64 input vectors).
# Every run starts from an empty results directory, so nothing is
# resumed; the times are the whole `xbarsim run` process (parse, 16 units,
# table, figure), as a user sees it.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
cargo build --release --locked --quiet
bin="$PWD/target/release/xbarsim"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/sweep.toml" <<'TOML'
name = "bench-sweep"
kind = "crossbar-ir-drop"
seed = 1
device = "neurram-rram"

[array]
vectors = 64

[sweep]
"array.size" = [384, 512]
"array.r_wire_ohm" = [0.25, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 5.0]

[[plot]]
file = "error"
x = "array.size"
y = "error_mean_rel"
series = "array.r_wire_ohm"
TOML
pin=()
command -v taskset >/dev/null && pin=(taskset -c 0,1)
time_run() { # jobs -> seconds
    local t0 t1
    t0=$(date +%s.%N)
    rm -rf "$work/out-$1"
    "${pin[@]}" "$bin" run "$work/sweep.toml" --out "$work/out-$1" --jobs "$1" --quiet >/dev/null
    t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
"$bin" run "$work/sweep.toml" --out "$work/warm" --jobs 2 --quiet >/dev/null # warm-up
declare -A best
for jobs in 1 2; do
    best[$jobs]=""
    for _ in $(seq "$RUNS"); do
        t=$(time_run "$jobs")
        if [ -z "${best[$jobs]}" ] || (( $(echo "$t < ${best[$jobs]}" | bc -l) )); then best[$jobs]=$t; fi
    done
done
cmp -s "$work/out-1/results.parquet" "$work/out-2/results.parquet" &&
    same="identical" || same="DIFFERENT"
printf '16 points, best of %s runs (%s)\n' "$RUNS" "$(nproc) CPUs"
printf '  --jobs 1: %6.2f s\n' "${best[1]}"
printf '  --jobs 2: %6.2f s\n' "${best[2]}"
printf '  ratio jobs2/jobs1: %.2f (target <= 0.60); tables %s\n' \
    "$(echo "${best[2]} / ${best[1]}" | bc -l)" "$same"
