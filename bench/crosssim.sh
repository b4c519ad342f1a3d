#!/usr/bin/env bash
# ResNet-20 inference with exact IR drop: xbarsim against Sandia's CrossSim
# 3.x on the same imported network (bench/resnet20.py's ONNX, rebuilt in
# torch for CrossSim by bench/crosssim_resnet20.py), the same images, the
# same tile size and wire resistance, ideal linear devices (1 µS … 10 µS,
# xbarsim's `ideal` preset = CrossSim Rmin 100 kΩ, Rmax 1 MΩ). Both run
# back to back on the same cores with the same thread count; each program's
# wall time is extrapolated linearly to 10 000 images. Prints a table.
#
#   bench/crosssim.sh [BINARY] [IMAGES] [ROUNDS]   (default: target/debug/xbarsim, 100, 2)
#
# Environment: PY (a python with numpy, torch, onnx, onnxruntime, scipy and
# CrossSim's `simulator` package; default /work/onnxvenv/bin/python), CORES
# (default 0,1), RP (wire resistance per segment, Ω; default 1), BATCH
# (CrossSim's torch batch; default 2), VERR (CrossSim Verr_th_mvm; default
# its 1e-3).
#
# CrossSim is not on PyPI: get https://github.com/sandialabs/cross-sim (3.2.0
# used here), then `pip install --no-deps .` plus scipy. xbarsim: 128 word
# lines × 128 bit lines (64 differential pairs) per tile, `--solver
# transfer` (the IR-drop-exact transfer matrix of each tile). CrossSim:
# rows_max 128 × cols_max 64 (non-interleaved: a 128×64 array for G+ and one
# for G−, the same 128×128 devices per tile and bit-line length), its
# iterative parasitic solver to Verr_th_mvm. Agreement: the .npz that xbarsim
# reads has CrossSim's classes as labels, so xbarsim's accuracy is the share
# of images on which the two give the same class (and its "software"
# accuracy the digital model's agreement with CrossSim).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
bin=${1:-$root/target/debug/xbarsim}
n=${2:-100}
rounds=${3:-2}
py=${PY:-/work/onnxvenv/bin/python}
cores=${CORES:-0,1}
rp=${RP:-1}
batch=${BATCH:-2}
verr=${VERR:-1e-3}
threads=$(( $(tr -cd ',' <<<"$cores" | wc -c) + 1 ))
export RAYON_NUM_THREADS=$threads OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
pin=(taskset -c "$cores")
"${pin[@]}" true 2>/dev/null || { echo "taskset -c $cores unavailable: not pinning" >&2; pin=(); }
"$py" -c 'import simulator' 2>/dev/null || {
    echo "error: CrossSim (python package \`simulator\`) is not importable by $py; see the header of $0" >&2; exit 2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$py" "$here/resnet20.py" "$work" "$n" >&2

rows=()
for r in $(seq 1 "$rounds"); do
    load=$(cut -d' ' -f1 /proc/loadavg)
    t0=$(date +%s.%N)
    "${pin[@]}" "$py" "$here/crosssim_resnet20.py" "$work/resnet20.onnx" "$work/images.npz" \
        "$work/crosssim.npz" --images "$n" --batch "$batch" --rows 128 --cols 64 --rp "$rp" \
        --verr "$verr" > "$work/cs.json"
    t_cs=$(echo "$(date +%s.%N) - $t0" | bc)
    cat "$work/cs.json" >&2
    t0=$(date +%s.%N)
    "${pin[@]}" "$bin" evaluate --model "$work/resnet20.onnx" --data "$work/crosssim.npz" \
        --device ideal --tile-rows 128 --tile-cols 128 --r-wordline "$rp" --r-bitline "$rp" \
        --solver transfer --times 0 --instances 1 --output "$work/acc.csv" --no-progress >/dev/null 2>&1
    t_xb=$(echo "$(date +%s.%N) - $t0" | bc)
    load2=$(cut -d' ' -f1 /proc/loadavg)
    agree=$(tail -1 "$work/acc.csv" | cut -d, -f6)
    sw=$(tail -1 "$work/acc.csv" | cut -d, -f10)
    rows+=("$("$py" - "$work/cs.json" "$t_cs" "$t_xb" "$n" "$agree" "$sw" "$load" "$load2" <<'EOF'
import json, sys
cs = json.load(open(sys.argv[1]))
t_cs, t_xb, n = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
ext = 10000 / n
print("| %d | %.1f | %.2f | %.0f× | %.0f | %.0f | %.1f %% | %.1f %% | %.1f %% | %.3f | %s → %s |" % (
    n, t_cs, t_xb, t_cs / t_xb, t_cs * ext, t_xb * ext, float(sys.argv[5]), float(sys.argv[6]),
    100 * cs["agree_with_digital"], cs["logit_rel_diff_vs_digital_median"], sys.argv[7], sys.argv[8]))
EOF
)")
done
echo "xbarsim: $("$bin" --version) ($bin); CrossSim $("$py" -c 'from importlib.metadata import version; print(version("CrossSim"))')"
echo "tiles 128×128 (CrossSim rows_max 128, cols_max 64 per polarity), wires ${rp} Ω/segment (row and column), ideal devices 1-10 µS"
echo "solvers: xbarsim transfer (exact), CrossSim NoninterleavedInputSourceArray to Verr_th_mvm $verr; ${threads} threads, ${pin[*]:-not pinned}, CrossSim batch $batch"
echo
echo "| images | CrossSim s | xbarsim s | ratio | CrossSim s @10k (extrap.) | xbarsim s @10k (extrap.) | same class xbarsim/CrossSim | same class digital/CrossSim | same class CrossSim/digital (py) | CrossSim logit rel. diff vs digital (median) | load 1-min before → after |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
