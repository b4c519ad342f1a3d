#!/usr/bin/env bash
# The Python binding's overhead and a factorised-solve loop against ngspice
# and CrossSim's Python API (issue 23). Installs the package as a user does,
# `pip install ./python` (a release build through maturin, numpy from PyPI),
# into bench/.venv-python, timing the install, and runs
# bench/python_solve.py on cores 0,1 (CrossSim from $CROSSSIM_PY, default
# /work/onnxvenv/bin/python; see bench/python_crosssim.py).
#
#   bench/python.sh [REPS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=bench/.venv-python
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "numpy>=1.21"
start=$(date +%s)
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps ./python
echo "pip install ./python (release build, target/ as it was): $(( $(date +%s) - start )) s" >&2
pin=(taskset -c 0,1)
"${pin[@]}" true 2>/dev/null || pin=()
"${pin[@]}" "$venv/bin/python" bench/python_solve.py "${1:-5}"
