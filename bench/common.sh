# Shared set-up of the benchmark scripts (sourced, not run). Expects `cores`
# (a taskset list such as 0,1) and takes the Python packages to install:
#
#   source "$here/common.sh"; bench_setup numpy scipy
#
# Sets: here, root, venv, py (the venv's python), target_dir (cargo's),
# pin (the taskset prefix, an array, empty when taskset cannot pin),
# pinned (a description) and ncores; exports the thread-count variables so
# that every program uses the same number of threads.
bench_setup() {
    here="$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)"
    root="$(cd "$here/.." && pwd)"
    venv="$here/.venv"
    py="$venv/bin/python"
    ncores=$(( $(tr -cd ',' <<<"$cores" | wc -c) + 1 ))
    if [[ ! -x "$py" ]]; then
        echo "creating $venv" >&2
        python3 -m venv "$venv"
    fi
    "$py" -m pip install --quiet --disable-pip-version-check "$@" >&2
    target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
        | "$py" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
    pin=()
    if command -v taskset >/dev/null 2>&1 && taskset -c "$cores" true 2>/dev/null; then
        pin=(taskset -c "$cores")
        pinned="taskset -c $cores"
    else
        echo "taskset unavailable (or cores $cores not allowed): not pinning" >&2
        pinned="not pinned"
    fi
    export RAYON_NUM_THREADS="$ncores" OMP_NUM_THREADS="$ncores" OPENBLAS_NUM_THREADS="$ncores" MKL_NUM_THREADS="$ncores"
}
