#!/usr/bin/env bash
# Crossbar-solver benchmark: xbarsim's exact IR-drop solver side by side with
# ngspice (same netlist, 32x32 and 64x64) and scipy's sparse LU (same nodal
# matrix, 128..512, a batch of 64 vectors), then 1024x1024 with a batch of 64
# and the transfer-matrix path on 256x256 with 10 000 vectors, as Markdown
# tables. Every peer result is checked against xbarsim's currents.
# See bench/README.md.
#
#   bench/crossbar.sh [--reps R] [--cores LIST] [--quick]
#
# Defaults: R = 3, cores 0,1 (two threads). --quick skips 1024x1024 and
# ngspice at 64x64.
set -euo pipefail

reps=3
cores=0,1
quick=0
while [[ $# -gt 0 ]]; do
    case "$1" in
        --reps) reps="$2"; shift 2 ;;
        --cores) cores="$2"; shift 2 ;;
        --quick) quick=1; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "crossbar.sh: unknown option $1" >&2; exit 2 ;;
    esac
done

command -v ngspice >/dev/null || { echo "crossbar.sh: ngspice not found (apt-get install ngspice)" >&2; exit 2; }
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
bench_setup numpy scipy

echo "building the crossbar_timing example (release)" >&2
cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p xbar-crossbar --example crossbar_timing >&2
bin="$target_dir/release/examples/crossbar_timing"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
peers="$here/crossbar_peers.py"

spice_sizes=(32 64)
scipy_sizes=(128 256 512)
if (( quick )); then spice_sizes=(32); fi

for n in "${spice_sizes[@]}"; do
    echo "ngspice vs xbarsim at ${n}x${n}" >&2
    "${pin[@]}" "$bin" spice --size "$n" --dir "$work/spice$n" --reps "$reps" >"$work/spice$n.rust.json"
    "${pin[@]}" "$py" "$peers" ngspice "$work/spice$n" --rust "$work/spice$n.rust.json" --reps "$reps" >"$work/spice$n.peer.json"
done
for n in "${scipy_sizes[@]}"; do
    echo "scipy splu vs xbarsim at ${n}x${n}, batch 64" >&2
    "${pin[@]}" "$bin" exact --size "$n" --batch 64 --reps "$reps" --export "$work/exact$n" >"$work/exact$n.rust.json"
    "${pin[@]}" "$py" "$peers" scipy "$work/exact$n" --rust "$work/exact$n.rust.json" --reps "$reps" >"$work/exact$n.peer.json"
    rm -rf "$work/exact$n"
done
if (( ! quick )); then
    echo "xbarsim at 1024x1024, batch 64 (peak memory by /usr/bin/time when present)" >&2
    if [[ -x /usr/bin/time ]]; then
        "${pin[@]}" /usr/bin/time -f '%M' -o "$work/rss1024" "$bin" exact --size 1024 --batch 64 --reps 1 >"$work/exact1024.rust.json"
    else
        "${pin[@]}" "$bin" exact --size 1024 --batch 64 --reps 1 >"$work/exact1024.rust.json"
    fi
fi
echo "transfer matrix at 256x256, 10 000 vectors" >&2
"${pin[@]}" "$bin" transfer --size 256 --batch 10000 --reps "$reps" >"$work/transfer256.rust.json"

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)"
"$py" - "$work" "$(nproc)" "${cpu:-unknown}" "$pinned" "$ncores" "$reps" <<'EOF'
import glob, json, os, sys

work, nproc, cpu, pinned, ncores, reps = sys.argv[1:7]
load = lambda p: json.load(open(p))
ms = lambda s: f"{s * 1e3:.3g} ms" if s < 1 else f"{s:.2f} s"

print(f"Exact IR-drop solve, N×N arrays, g uniform in [1, 100] µS, 2.5 Ω per wire segment; median of {reps} runs.")
print()
print("| size | peer | peer time | xbarsim time | ratio | max rel. difference |")
print("|---|---|---:|---:|---:|---:|")
for p in sorted(glob.glob(f"{work}/spice*.rust.json"), key=lambda p: load(p)["size"]):
    r, q = load(p), load(p.replace(".rust.", ".peer."))
    n = r["size"]
    print(f"| {n}×{n}, 1 vector | {q['peer']} `.op` | {ms(q['median_s'])} | {ms(r['one_vector_s'])} (factorise + solve) "
          f"| {q['median_s'] / r['one_vector_s']:,.0f}× | {q['max_rel_err']:.1e} |")
    print(f"| {n}×{n}, per vector in a batch of 64 | {q['peer']} `.op` | {ms(q['median_s'])} | {ms(r['per_vector_in_batch_of_64_s'])} (factorise once, solve 64) "
          f"| {q['median_s'] / r['per_vector_in_batch_of_64_s']:,.0f}× | |")
for p in sorted(glob.glob(f"{work}/exact*.rust.json"), key=lambda p: load(p)["size"]):
    r = load(p)
    n = r["size"]
    peer = p.replace(".rust.", ".peer.")
    if os.path.exists(peer):
        q = load(peer)
        print(f"| {n}×{n}, batch of 64 | {q['peer']} (factorise + solve) | {ms(q['median_s'])} | {ms(r['total_s'])} "
              f"| {q['median_s'] / r['total_s']:.1f}× | {q['max_rel_err']:.1e} |")
    else:
        rss = os.path.join(work, "rss1024")
        mem = f", peak memory {int(open(rss).read().split()[-1]) / 1048576:.2f} GiB" if os.path.exists(rss) else ""
        print(f"| {n}×{n}, batch of 64 | — | — | {ms(r['total_s'])} (factorise {ms(r['factor_s'])}, "
              f"solve {ms(r['solve_s'])}; {r['unknowns']:,} unknowns{mem}) | | |")
for p in glob.glob(f"{work}/transfer*.rust.json"):
    r = load(p)
    n = r["size"]
    print(f"| {n}×{n}, transfer matrix | — | — | build G_eff {ms(r['build_s'])}, then {r['per_vector_s'] * 1e6:.2f} µs per vector "
          f"({r['batch']:,} vectors in {ms(r['apply_s'])}) | | |")
print()
print(f"Machine: nproc = {nproc}, CPU: {cpu}; every run {pinned}, RAYON_NUM_THREADS = OMP_NUM_THREADS = {ncores}. "
      "ngspice time is the whole `ngspice -b` process for one operating point; scipy's splu is single-threaded "
      "(SuperLU, COLAMD ordering). The last column compares each peer's currents with xbarsim's, relative to the largest current.")
EOF
