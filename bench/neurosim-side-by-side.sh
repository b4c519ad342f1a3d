#!/usr/bin/env bash
# MLP_NeuroSim V3.0's own C++ beside xbarsim's NeuroSim protocol, device by
# device (issue 28): test accuracy after each of EPOCHS epochs of 8 000
# images on full MNIST, both tables and the V3.0 manual's final figures.
#
#   bench/neurosim-side-by-side.sh                       # 8 devices, 3 epochs
#   NEUROSIM_SRC=/path/to/MLP_NeuroSim_V3.0 EPOCHS=3 JOBS=2 \
#     DEVICES=alox-hfo2,ag-a-si SEEDS=1 bench/neurosim-side-by-side.sh
#
# NEUROSIM_SRC: a checkout (or a bare git directory) of
# github.com/neurosim/MLP_NeuroSim_V3.0; default: the stored snapshot under
# /work/.mirror if there is one, else `git clone` from GitHub. Its sources
# are copied to a scratch directory, given environment switches for the
# device parameters (bench/neurosim-patch.py: NeuroSim's equations are
# untouched) and built with its makefile; the MNIST text files it reads are
# regenerated from the IDX files (bench/neurosim-mnist-text.py). xbarsim
# runs experiments/configs/neurosim-insitu.toml with EPOCHS epochs and
# SEEDS repeats (seeds 1…). NeuroSim's seeds are 1…SEEDS (`NS_SEED`: glibc's
# srand(0) is srand(1), so seeds 0 and 1 would train on the same images),
# each with its own initial weights (`NS_INIT_SEED` = seed + 1; the shipped
# code initialises every run by srand(2)); runs agree in distribution, not
# draw for draw.
#
# Run time: MLP_NeuroSim takes ~3.4 core-minutes per epoch (2.1 s per 100
# training images of per-cell C++ objects, 70 s per 10 000-image test), so
# 8 devices × 3 epochs ≈ 80 core-minutes; xbarsim takes ~0.6 s per epoch.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
EPOCHS="${EPOCHS:-3}"
JOBS="${JOBS:-2}"
SEEDS="${SEEDS:-1}"
DEVICES="${DEVICES:-ag-a-si,taox-hfox,pcmo,alox-hfo2,gst-pcm,epiram,hzo-fefet,ideal}"
MNIST="${MNIST:-../shared/data/mnist}"
WORK="${WORK:-$(mktemp -d /tmp/neurosim-side-by-side.XXXX)}"
mirror=/work/.mirror/neurosim+MLP_NeuroSim_V3.0/repo
src="${NEUROSIM_SRC:-}"
mkdir -p "$WORK"
ns="$WORK/MLP_NeuroSim_V3.0"
if [ ! -x "$ns/main" ]; then
  rm -rf "$ns"
  if [ -z "$src" ] && [ -d "$mirror" ]; then src="$mirror"; fi
  if [ -z "$src" ]; then
    git clone --depth 1 https://github.com/neurosim/MLP_NeuroSim_V3.0 "$ns"
  elif [ -f "$src/HEAD" ] && [ -d "$src/objects" ]; then   # a bare git directory
    mkdir -p "$ns"
    git --git-dir="$src" ls-tree -r --name-only HEAD | grep -v -e '^MNIST_data.zip$' -e '^documents/' -e '^main$' |
      while read -r f; do mkdir -p "$ns/$(dirname "$f")"; git --git-dir="$src" show "HEAD:$f" > "$ns/$f"; done
  else
    cp -r "$src" "$ns"
  fi
  rm -f "$ns/main" "$ns"/*.o "$ns"/NeuroSim/*.o
  python3 bench/neurosim-patch.py "$ns"
  make -C "$ns" -j"$JOBS" > "$WORK/neurosim-build.log" 2>&1
fi
if [ ! -f "$WORK/mnist-text/patch10000_test.txt" ]; then
  python3 bench/neurosim-mnist-text.py "$MNIST" "$WORK/mnist-text"
fi
cargo build --release --locked --quiet -p xbarsim
python3 bench/neurosim-side-by-side.py --neurosim "$ns/main" --data "$WORK/mnist-text" \
  --xbarsim "$root/target/release/xbarsim" --mnist "$MNIST" \
  --config experiments/configs/neurosim-insitu.toml --work "$WORK" \
  --epochs "$EPOCHS" --jobs "$JOBS" --seeds "$SEEDS" --devices "$DEVICES" \
  ${SKIP_NEUROSIM:+--skip-neurosim}
echo "work directory (logs, both runs): $WORK"
