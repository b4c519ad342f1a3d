#!/usr/bin/env bash
# The README's training tables, reproduced from the command line:
#
#   bench/training-tables.sh [--data DIR] [--out DIR] [--insitu-epochs N]
#
# 1. Software accuracy of the default training configuration on the full
#    MNIST (784-256-10 LIF, T = 25, direct coding, 10 epochs), trained
#    conventionally and hardware-aware (--hardware-aware).
# 2. Both networks on the IBM PCM model (ibm-pcm) at 1 s, 1 h, 1 day,
#    1 month and 1 year, with global drift compensation, 10 device
#    instances each.
# 3. Evaluation speed: the 10 000 test images through 256x256 PCM tiles with
#    1 ohm word-line and bit-line segments (exact IR drop), one instance.
# 4. In-situ training on every library device with a pulse model.
#
# Prints Markdown tables; leaves models and CSVs in --out.
set -euo pipefail
data="$(cd "$(dirname "$0")/.." && pwd)/../shared/data/mnist"
out="training-tables"
insitu_epochs=1
while [[ $# -gt 0 ]]; do
    case "$1" in
        --data) data="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --insitu-epochs) insitu_epochs="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --locked --manifest-path "$root/Cargo.toml" >&2
x="$root/target/release/xbarsim"
mkdir -p "$out"
cd "$out"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"

# The README's network (the command's defaults until issue 21, when they
# became the kinds' defaults, 784-128-10 rate-coded).
net=(--hidden 256 --encoding direct --readout membrane)
for kind in plain aware; do
    flag=(); [[ $kind == aware ]] && flag=(--hardware-aware)
    [[ -f $kind.safetensors ]] || "$x" train --data "$data" "${net[@]}" --epochs 10 --schedule cosine "${flag[@]}" --output $kind.safetensors \
        --history $kind-history.csv --no-progress >&2
    "$x" evaluate --model $kind.safetensors --device ibm-pcm --instances 10 --data "$data" \
        --output $kind-pcm.csv --no-progress > $kind-pcm.txt
done
python3 - <<'PY'
import csv, json
rows = {}
for kind in ("plain", "aware"):
    table = list(csv.DictReader(open(f"{kind}-pcm.csv")))
    rows[kind] = (float(table[0]["software_accuracy_pct"]), table)
names = {1: "1 s", 3600: "1 h", 86400: "1 day", 2592000: "1 month", 31536000: "1 year"}
print("\n| training | software | " + " | ".join(names.values()) + " |")
print("|---|---:|" + "---:|" * len(names))
for kind, label in (("plain", "conventional"), ("aware", "noise injection")):
    sw, table = rows[kind]
    cells = [f"{float(r['accuracy_pct']):.2f} ± {float(r['accuracy_std_pct']):.2f}" for r in table]
    print(f"| {label} | {sw:.2f} | " + " | ".join(cells) + " |")
PY

/usr/bin/time -f "%e s wall, %M KiB peak" "$x" evaluate --model plain.safetensors --device ibm-pcm \
    --instances 1 --times 1 --r-wordline 1 --r-bitline 1 --data "$data" --output ir.csv --no-progress \
    2> ir.time > ir.txt
echo; echo "evaluation with IR drop (256x256 tiles, 1 ohm segments, 10000 images, 1 instance):" \
    "$(python3 -c 'import json; print(round(json.load(open("ir.csv.json"))["parameters"]["evaluation_time_s"], 2))') s" \
    "of evaluation; whole command $(tail -1 ir.time)"

echo; echo "| device | NL LTP | NL LTD | pulses | C2C σ | in-situ accuracy % | epoch time s |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for d in ideal ag-a-si taox-hfox pcmo alox-hfo2 gst-pcm epiram hzo-fefet; do
    "$x" train-insitu --device $d --data "$data" "${net[@]}" --epochs "$insitu_epochs" --output insitu-$d.safetensors \
        --history insitu-$d.csv --no-progress > /dev/null 2>&1
    "$x" device show $d --toml > $d.toml
    python3 - "$d" <<'PY'
import csv, json, sys, tomllib
d = sys.argv[1]
spec = tomllib.load(open(f"{d}.toml", "rb"))
p = spec.get("pulse", {})
last = list(csv.DictReader(open(f"insitu-{d}.csv")))[-1]
epoch_s = json.load(open(f"insitu-{d}.csv.json"))["timing"]["epoch_time_s"][-1]
print(f"| {d} | {p.get('nl_ltp', '—')} | {p.get('nl_ltd', '—')} | {p.get('pulses_ltp', '—')} | {p.get('c2c', 0)} | "
      f"{float(last['test_accuracy_pct']):.2f} | {epoch_s:.1f} |")
PY
done
