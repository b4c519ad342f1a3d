#!/usr/bin/env bash
# `xbarsim device fit` against scipy.optimize.curve_fit: 60 devices × 1 000
# pulses (5 LTP/LTD cycles of 100 + 100 pulses, C2C and D2D noise; written
# by `cargo run --example bench_trains -p xbar-fit`). The issue's target:
# under 1 s on 2 cores, and at least 10× faster than curve_fit fitting the
# same models device by device (bench/fit_scipy.py: the same step maps,
# censored mean and σ rounds, analytic Jacobians, sandwich covariances,
# delta-method NL/P_max, C2C intervals, AIC/BIC of both models).
#
#   bench/device-fit.sh          # best and median of 5 runs each, cores 0,1
#   RUNS=9 CORES=0 bench/device-fit.sh
#
# Both sides are timed two ways, side by side on this machine:
# * whole process, as a user runs it: xbarsim reads the CSV, fits both models
#   to every device with intervals, the population, writes the TOML, the JSON
#   report and the text report (and, in a second line, the figure too);
#   python starts, imports numpy/scipy, reads the CSV, fits, writes a JSON;
# * fitting alone, the file read before the clock: xbar_fit::pulse::fit_pulses
#   (fit/examples/bench_fit.rs) and fit_scipy.py's loop over the devices
#   (both variants: each polarity its own 2-parameter curve_fit, and the
#   4 parameters at once; the faster is the baseline).
# Then the per-device estimates of the two are compared (the same model:
# they agree to a small fraction of their standard errors).
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
# best and median of the numbers on stdin
stats() { sort -g | awk '{a[NR]=$1} END {printf "%.4f %.4f", a[1], a[int((NR+1)/2)]}'; }
wall() { local t0 t1; t0=$(date +%s.%N); "$@" > /dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
ours=$(for _ in $(seq "$RUNS"); do
    wall "${pin[@]}" "$target_dir/release/xbarsim" device fit --pulses "$work/trains.csv" -o "$work/dev.toml"
done | stats)
ours_fig=$(for _ in $(seq "$RUNS"); do
    wall "${pin[@]}" "$target_dir/release/xbarsim" device fit --pulses "$work/trains.csv" -o "$work/fig.toml" --figure "$work/fit.png"
done | stats)
fit_only=$("${pin[@]}" "$target_dir/release/examples/bench_fit" "$work/trains.csv")
fit_best=${fit_only%% *}
rest=${fit_only#* }
fit_median=${rest%% *}
scipy_fit() { # variant flag -> "best median" of the fitting loop, and the whole process
    local fits=() walls=() t0 t1 out
    for _ in $(seq "$RUNS"); do
        t0=$(date +%s.%N)
        out=$("${pin[@]}" "$py" "$here/fit_scipy.py" "$work/trains.csv" "$work/scipy.json" "$@")
        t1=$(date +%s.%N)
        fits+=("${out%% *}")
        walls+=("$(echo "$t1 - $t0" | bc -l)")
    done
    echo "$(printf '%s\n' "${fits[@]}" | stats) $(printf '%s\n' "${walls[@]}" | stats)"
    echo "$out" >&2
}
read -r sp_best sp_med spw_best spw_med < <(scipy_fit 2> "$work/scipy-split.txt")
read -r sj_best sj_med sjw_best sjw_med < <(scipy_fit --joint 2> "$work/scipy-joint.txt")
scipy_version=$("$py" -c 'import scipy, numpy; print(f"scipy {scipy.__version__}, numpy {numpy.__version__}")')
ratio() { echo "$1 / $2" | bc -l | awk '{printf "%.1f", $1}'; }
min() { echo "$1 $2" | awk '{print ($1 < $2) ? $1 : $2}'; }
sf_best=$(min "$sp_best" "$sj_best")
sw_best=$(min "$spw_best" "$sjw_best")
echo "60 devices x 1000 pulses; $pinned, $ncores threads; best and median of $RUNS runs (s)"
printf '%-58s %8s %8s\n' "" best median
printf '%-58s %8s %8s\n' "xbarsim device fit, whole process (TOML + JSON + report)" ${ours}
printf '%-58s %8s %8s\n' "xbarsim device fit, whole process with --figure PNG" ${ours_fig}
printf '%-58s %8s %8s\n' "xbar_fit::pulse::fit_pulses alone (median of 7 runs)" "$fit_best" "$fit_median"
printf '%-58s %8s %8s\n' "python + $scipy_version, whole process, per polarity" "$spw_best" "$spw_med"
printf '%-58s %8s %8s\n' "python + scipy, whole process, 4 parameters at once" "$sjw_best" "$sjw_med"
printf '%-58s %8s %8s\n' "curve_fit loop alone, per polarity" "$sp_best" "$sp_med"
printf '%-58s %8s %8s\n' "curve_fit loop alone, 4 parameters at once" "$sj_best" "$sj_med"
echo "ratio scipy/xbarsim (best against best, scipy's faster variant): whole process $(ratio "$sw_best" "${ours%% *}")x, fitting alone $(ratio "$sf_best" "$fit_best")x"
# The same model: per-device estimates of the two programs side by side.
"$py" - "$work/dev.toml.json" "$work/scipy.json" <<'EOF'
import json, sys
ours = {d["name"]: d for d in json.load(open(sys.argv[1]))["fits"]["pulses"]["devices"]}
theirs = json.load(open(sys.argv[2]))["devices"]
worst = {}
for name, t in theirs.items():
    e = ours[name]["exponential"]
    for k in ("nl_ltp", "nl_ltd", "pulses_ltp", "pulses_ltd", "c2c"):
        se = e[k]["std_error"]
        d = abs(e[k]["value"] - t["exponential"][k][0]) / se
        s = abs(e[k]["std_error"] / t["exponential"][k][1] - 1)
        worst[k] = max(worst.get(k, (0, 0)), (d, s))
    b = ours[name]["soft_bounds"]
    for k in ("alpha_up", "alpha_down"):
        d = abs(b[k]["value"] - t["soft_bounds"][k][0]) / b[k]["std_error"]
        s = abs(b[k]["std_error"] / t["soft_bounds"][k][1] - 1)
        worst[k] = max(worst.get(k, (0, 0)), (d, s))
print("same estimates: max |ours - scipy| / se over the devices (and max relative difference of se):")
print("  " + ", ".join(f"{k} {d:.1e} ({s:.1e})" for k, (d, s) in worst.items()))
EOF
