#!/usr/bin/env bash
# Every shipped config through two builds of xbarsim, every column of
# results.csv compared: what a refactor must leave bit-identical (issue 21).
#
#   bench/compare-shipped.sh OLD_XBARSIM NEW_XBARSIM [OUT]
#
# The slow configs are reduced the same way for both builds (epochs <= 2,
# test_limit 300, instances <= 2), so the comparison takes minutes, not
# hours; build the old binary from the previous main (e.g. a worktree of it
# and `cargo build --bin xbarsim`).
set -euo pipefail
old=$(realpath "$1"); new=$(realpath "$2"); out=${3:-compare-shipped}
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out/configs"
for f in "$root"/experiments/configs/*.toml; do
    sed -e 's/^epochs = [0-9][0-9]*$/epochs = 2/' -e 's/^instances = [3-9]$/instances = 2/' \
        -e 's/^test_limit = 1000$/test_limit = 300/' "$f" > "$out/configs/$(basename "$f")"
done
status=0
for c in "$out"/configs/*.toml; do
    n=$(basename "$c" .toml)
    for side in old new; do
        bin=$old; [[ $side == new ]] && bin=$new
        [[ -f "$out/$side/$n/results.csv" ]] ||
            "$bin" run "$c" --out "$out/$side/$n" --quiet > "$out/$side-$n.log" 2>&1
    done
    if cmp -s "$out/old/$n/results.csv" "$out/new/$n/results.csv"; then
        echo "$n: identical ($(($(wc -l < "$out/new/$n/results.csv") - 1)) rows)"
    else
        echo "$n: DIFFERENT"; status=1
    fi
done
exit $status
