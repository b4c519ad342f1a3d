"""The bindings added for issue 23's second part: numpy without copies,
in-situ training, SLURM shards and merges, Ctrl-C during training, NIR
costs, DataFrames for pandas users, progress bars and the docstrings.

Run by ``./scripts/test`` (``XBARSIM_BIN`` names the command line built
from the same tree; the comparisons with it are skipped without it).
"""

import csv
import inspect
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import tracemalloc
from contextlib import redirect_stderr
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import xbarsim

BIN = os.environ.get("XBARSIM_BIN")
needs_cli = pytest.mark.skipif(not BIN, reason="skipped, set XBARSIM_BIN to the xbarsim binary")
ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd):
    out = subprocess.run([BIN, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out


# ------------------------------------------------------------ numpy, no copies


def numpy_bytes_during(call):
    """Peak bytes numpy allocated while `call` ran (numpy reports every
    array buffer to tracemalloc; Rust's own allocations are not traced)."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base, _ = tracemalloc.get_traced_memory()
        result = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base, result


def test_float64_and_float32_arrays_of_either_order_are_read_without_a_numpy_copy():
    rng = np.random.default_rng(11)
    G = rng.uniform(1e-6, 1e-4, (256, 256))
    V = rng.uniform(0.0, 0.2, (64, 256))
    as_f64 = G.size * 8  # the size of one float64 copy of G: 512 KiB
    # The probe sees a copy when there is one: converting float32 in numpy.
    copied, _ = numpy_bytes_during(lambda: np.asarray(G.astype(np.float32), dtype=np.float64))
    assert copied >= as_f64
    ref = xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5)
    for g, v in [
        (G, V),
        (np.asfortranarray(G), np.asfortranarray(V)),
        (G.astype(np.float32), V.astype(np.float32)),
        (np.asfortranarray(G.astype(np.float32)), V.astype(np.float32)),
    ]:
        extra, I = numpy_bytes_during(lambda: xbarsim.solve(g, v, r_wordline=2.5, r_bitline=2.5))
        # No numpy array of the inputs' or the output's size was made: the
        # inputs were read in place and the output is the solver's buffer.
        assert extra < 0.02 * as_f64, (g.dtype, g.flags["F_CONTIGUOUS"], extra)
        assert I.shape == (64, 256) and I.dtype == np.float64
        if g.dtype == np.float64:
            np.testing.assert_array_equal(I, ref)  # either order: the same currents, bit for bit
        else:
            exact32 = xbarsim.solve(g.astype(np.float64), v.astype(np.float64), r_wordline=2.5, r_bitline=2.5)
            np.testing.assert_array_equal(I, exact32)
    # The output owns no numpy buffer: it holds the solver's (no copy out).
    assert not ref.flags["OWNDATA"] and ref.base is not None


def test_strided_views_and_lists_give_the_currents_of_their_values():
    rng = np.random.default_rng(12)
    big = rng.uniform(1e-6, 1e-4, (40, 30))
    G = big[::2, ::3]  # neither C- nor Fortran-contiguous
    V = rng.uniform(0, 0.2, (3, 20))
    ref = xbarsim.solve(np.ascontiguousarray(G), V, r_wordline=1.0, r_bitline=1.0)
    np.testing.assert_array_equal(xbarsim.solve(G, V, r_wordline=1.0, r_bitline=1.0), ref)
    np.testing.assert_array_equal(xbarsim.solve(G.tolist(), V.tolist(), r_wordline=1.0, r_bitline=1.0), ref)
    xbar = xbarsim.Crossbar(np.asfortranarray(G), r_wordline=1.0, r_bitline=1.0)
    np.testing.assert_allclose(xbar.solve(V.astype(np.float32)), xbarsim.solve(
        G, V.astype(np.float32).astype(np.float64), r_wordline=1.0, r_bitline=1.0, solver="exact"), rtol=1e-12)
    with pytest.raises(xbarsim.XbarsimValueError, match=r"^G: expected a 2-D array, found 3 dimension\(s\)"):
        xbarsim.Crossbar(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match=r"^counts: expected integer counts, found an array of float64"):
        xbarsim.DeviceArray(xbarsim.Device("ideal"), 2, 2, seed=1).apply_pulses(np.ones((2, 2)))


def test_device_arrays_take_either_order_and_any_integer_counts():
    d = xbarsim.Device("ideal")
    targets = np.linspace(d.g_min, d.g_max, 12).reshape(3, 4)
    counts = np.array([[1, -2, 3, 0]] * 3)
    arrays = []
    for t, c in [(targets, counts.astype(np.int32)), (np.asfortranarray(targets), counts.astype(np.int64)),
                 (targets.astype(np.float32).astype(np.float64), counts.tolist())]:
        a = xbarsim.DeviceArray(d, 3, 4, seed=1)
        a.program(t)
        a.apply_pulses(c)
        arrays.append(a.conductances())
    np.testing.assert_array_equal(arrays[0], arrays[1])
    np.testing.assert_array_equal(arrays[0], arrays[2]) if np.array_equal(targets, targets.astype(np.float32)) else None
    step = (d.g_max - d.g_min) / 1000
    np.testing.assert_allclose(arrays[1] - np.clip(targets, d.g_min, d.g_max), np.clip(
        targets + counts * step, d.g_min, d.g_max) - np.clip(targets, d.g_min, d.g_max), rtol=0, atol=1e-12 * d.g_max)
    with pytest.raises(ValueError, match=r"^counts: counts from"):
        xbarsim.DeviceArray(d, 1, 1, seed=1).apply_pulses(np.array([[2**40]]))


# ------------------------------------------------------------ in-situ training

INSITU = dict(
    network={"sizes": [784, 32, 10], "kind": "relu"},
    insitu={"epochs": 2},
    data={"train_limit": 400, "test_limit": 100},
)


@needs_cli
def test_train_insitu_is_the_command_line_bit_for_bit(tmp_path):
    cli("train-insitu", "--device", "ag-a-si", "--hidden", "32", "--kind", "relu", "--epochs", "2", "--train-limit", "400",
        "--test-limit", "100", "--seed", "3", "--output", "cli.safetensors", "--history", "cli.csv", "--no-progress",
        cwd=tmp_path)
    calls = []
    table = xbarsim.train_insitu("ag-a-si", tmp_path / "py.safetensors", seed=3, history=tmp_path / "py.csv",
                                 progress=lambda done, total: calls.append((done, total)), **INSITU)
    # The history files are the same bytes (17 significant digits).
    assert (tmp_path / "py.csv").read_bytes() == (tmp_path / "cli.csv").read_bytes()
    assert table.height == 2 and table["write_pulses"][-1] > 0 and table["write_energy_J"][-1] > 0
    assert table["test_accuracy_pct"][-1] > 40  # trained by pulses (61 %): chance is 10 %
    # One progress report per batch (400 images, batches of 64: 7 per epoch).
    assert calls[-1] == (14, 14) and len(calls) == 14
    # The two models are the same network: the same accuracy on the same arrays.
    ev = [xbarsim.evaluate("ibm-pcm", seed=1, progress=False, data=INSITU["data"],
                           evaluation={"model": str(tmp_path / f), "times_s": [1.0], "instances": 1})
          for f in ("cli.safetensors", "py.safetensors")]
    assert ev[0].equals(ev[1])
    sidecar = json.loads((tmp_path / "py.safetensors.json").read_text())
    assert sidecar["parameters"]["seed"] == 3


def test_train_insitu_refuses_bad_settings_with_located_messages(tmp_path):
    with pytest.raises(xbarsim.XbarsimValueError, match=r"insitu\.learning_rate") as e:
        xbarsim.train_insitu("ag-a-si", tmp_path / "m.safetensors", insitu={"learning_rate": -1.0})
    assert isinstance(e.value, ValueError)
    with pytest.raises(ValueError, match=r"^train_insitu: unknown field `insity`"):
        xbarsim.train_insitu("ag-a-si", tmp_path / "m.safetensors", insity={"epochs": 1})
    with pytest.raises(xbarsim.XbarsimOSError):
        xbarsim.train_insitu("ag-a-si", tmp_path / "no-dir" / "m.safetensors", **INSITU)
    with pytest.raises(FileNotFoundError):
        xbarsim.train_insitu(str(tmp_path / "missing.toml"), tmp_path / "m.safetensors")
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------ Ctrl-C


def interrupt_after_first_report(script, tmp_path):
    """Runs `script` (which prints "started" from its progress function),
    sends SIGINT once it has, returns (exit code, stdout, stderr, seconds
    from the signal to the exit)."""
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, cwd=tmp_path)
    line = p.stdout.readline()
    assert line.strip() == "started", p.stderr.read()
    t0 = time.time()
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=120)
    return p.returncode, line + out, err, time.time() - t0


@pytest.mark.parametrize("kind", ["train", "train_insitu"])
def test_ctrl_c_stops_training_at_the_next_batch_and_writes_nothing(tmp_path, kind):
    call = {
        "train": "xbarsim.train('m.safetensors', history='h.csv', progress=report, network={'sizes': [784, 64, 10]}, training={'epochs': 50}, data={'train_limit': 2000})",
        "train_insitu": "xbarsim.train_insitu('ag-a-si', 'm.safetensors', history='h.csv', progress=report, network={'sizes': [784, 64, 10]}, insitu={'epochs': 50}, data={'train_limit': 2000})",
    }[kind]
    script = textwrap.dedent(
        f"""
        import sys, xbarsim
        seen = []
        def report(done, total):
            if not seen:
                print("started", flush=True)
            seen.append(done)
        try:
            {call}
        except KeyboardInterrupt:
            print(f"interrupted after {{len(seen)}} batches", flush=True)
            sys.exit(3)
        print("finished", flush=True)
        """
    )
    code, out, err, seconds = interrupt_after_first_report(script, tmp_path)
    assert code == 3 and "interrupted after" in out, (out, err)
    batches = int(out.split("interrupted after ")[1].split()[0])
    assert batches < 50 * 32  # far from the 50 epochs asked for
    assert seconds < 30, seconds
    assert not (tmp_path / "m.safetensors").exists() and not (tmp_path / "h.csv").exists()
    assert "Traceback" not in err or "KeyboardInterrupt" not in err


# ------------------------------------------------------------ shards, merge, SLURM

SWEEP = textwrap.dedent(
    """
    name = "py-slurm"
    kind = "crossbar-ir-drop"
    seed = 11
    repeats = 2
    device = "neurram-rram"

    [array]
    vectors = 4

    [sweep]
    "array.size" = [8, 12, 16]
    "array.r_wire_ohm" = [1.0, 2.5]
    """
)


def test_shards_merge_into_the_table_of_one_run(tmp_path):
    (tmp_path / "sweep.toml").write_text(SWEEP)
    whole = xbarsim.run(tmp_path / "sweep.toml", tmp_path / "whole", progress=False)
    for k in (1, 2, 3):
        assert xbarsim.run(tmp_path / "sweep.toml", tmp_path / "sharded", shard=f"{k}/3", progress=False) is None
    merged = xbarsim.merge(tmp_path / "sharded")
    assert merged.height == 12
    assert (tmp_path / "sharded" / "results.csv").read_bytes() == (tmp_path / "whole" / "results.csv").read_bytes()
    assert merged.equals(whole)
    with pytest.raises(ValueError, match=r"^shard: expected K/N"):
        xbarsim.run(tmp_path / "sweep.toml", tmp_path / "x", shard="4/3", progress=False)
    with pytest.raises(FileNotFoundError):
        xbarsim.merge(tmp_path / "nothing-here")


def test_slurm_scripts_run_the_shards_and_the_merge_through_this_package(tmp_path):
    (tmp_path / "sweep.toml").write_text(SWEEP)
    local = xbarsim.run(tmp_path / "sweep.toml", tmp_path / "local", progress=False)
    info = xbarsim.slurm(tmp_path / "sweep.toml", tmp_path / "cluster", shards=3, cpus_per_task=1, time="0:10:00")
    slurm = Path(info["dir"])
    assert info["points"] == 6 and info["repeats"] == 2 and info["name"] == "py-slurm"
    assert sorted(Path(f).name for f in info["files"]) == ["merge.sbatch", "shards.sbatch", "submit.sh", "xbarsim-python"]
    shards = (slurm / "shards.sbatch").read_text()
    assert "#SBATCH --array=1-3" in shards and "#SBATCH --time=0:10:00" in shards
    assert str(slurm / "xbarsim-python") in shards
    if os.environ.get("XBARSIM_SLURM") == "1":
        # The one-node cluster of ./scripts/test: submit, wait for the merge.
        sub = subprocess.run([str(slurm / "submit.sh"), "--wait"], capture_output=True, text=True, timeout=600)
        logs = "\n".join(p.read_text() for p in slurm.glob("*.log"))
        assert sub.returncode == 0, sub.stdout + sub.stderr + logs
    else:
        # No cluster: each array task's script by hand, as sbatch would run it.
        for k in (1, 2, 3):
            env = {**os.environ, "SLURM_ARRAY_TASK_ID": str(k)}
            task = subprocess.run(["bash", "shards.sbatch"], cwd=slurm, env=env, capture_output=True, text=True)
            assert task.returncode == 0, task.stderr
        merge = subprocess.run(["bash", "merge.sbatch"], cwd=slurm, capture_output=True, text=True)
        assert merge.returncode == 0, merge.stderr
    for f in ("results.csv", "results.parquet"):
        assert (tmp_path / "cluster" / f).read_bytes() == (tmp_path / "local" / f).read_bytes(), f
    assert xbarsim.results(tmp_path / "cluster").equals(local)
    # Refusals: more shards than points; a missing config; another config's directory.
    with pytest.raises(xbarsim.XbarsimValueError, match=r"^shards: "):
        xbarsim.slurm(tmp_path / "sweep.toml", tmp_path / "c2", shards=7)
    with pytest.raises(FileNotFoundError):
        xbarsim.slurm(tmp_path / "nope.toml", tmp_path / "c3", shards=2)
    (tmp_path / "other.toml").write_text(SWEEP.replace("seed = 11", "seed = 12"))
    with pytest.raises(xbarsim.XbarsimOSError):
        xbarsim.slurm(tmp_path / "other.toml", tmp_path / "cluster", shards=2)


def test_python_m_xbarsim_reports_errors_as_the_command_line_does(tmp_path):
    (tmp_path / "bad.toml").write_text(SWEEP.replace("vectors = 4", "vectors = -4"))
    out = subprocess.run([sys.executable, "-m", "xbarsim", "run", "bad.toml", "--quiet"], cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.startswith("error: bad.toml:") and len(out.stderr.strip().splitlines()) == 1, out.stderr


# ------------------------------------------------------------ NIR, DataFrames, bars, help


def test_an_snntorch_network_through_nir_costs_what_it_scores():
    recorded = json.loads((ROOT / "examples" / "nir" / "mnist-csnn.json").read_text())
    sections = dict(
        data={"dir": str(ROOT / "examples" / "onnx" / "mnist-test-500.npz"), "test_limit": 100},
        evaluation={"model": str(ROOT / "examples" / "nir" / "mnist-csnn.nir"), "steps": recorded["steps"],
                    "dt_s": recorded["dt"], "times_s": [3600.0], "instances": 1},
    )
    ev = xbarsim.evaluate("ibm-pcm", seed=2, progress=False, **sections)
    cost = xbarsim.cost("ibm-pcm", seed=2, **sections)
    np.testing.assert_array_equal(cost["accuracy_pct"].to_numpy(), ev["accuracy_pct"].to_numpy())
    assert 50 < cost["accuracy_pct"][0] <= 100
    assert 0 < cost["energy_per_inference_J"][0] < 1e-3 and cost["area_m2"][0] > 0


def test_tables_go_to_pandas_with_the_same_values():
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    pulses = xbarsim.device_pulse("ag-a-si", devices=3, seed=2)
    frame = pulses.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame.columns) == pulses.columns
    for col in pulses.columns:
        assert frame[col].tolist() == pulses[col].to_list(), col


def test_run_draws_a_progress_bar_with_tqdm(tmp_path):
    pytest.importorskip("tqdm")
    err = io.StringIO()
    with redirect_stderr(err):
        xbarsim.run(SWEEP, tmp_path / "bar")
    assert "12/12" in err.getvalue() and "unit" in err.getvalue(), err.getvalue()


def test_help_reads_like_the_command_lines():
    doc = inspect.getdoc(xbarsim.solve)
    for name in inspect.signature(xbarsim.solve).parameters:
        assert f"\n  {name} " in doc, name  # every argument has its line
    for unit in ("(S)", "(V)", "(ohm)", "1/V", "[default: 0]", "[default: auto]", "Examples"):
        assert unit in doc, unit
    for f in (xbarsim.train_insitu, xbarsim.slurm, xbarsim.merge, xbarsim.run, xbarsim.evaluate, xbarsim.cost):
        assert len(inspect.getdoc(f)) > 200, f.__name__
    # The defaults are the command line's: evaluate and cost use seed 1, as --seed does.
    assert inspect.signature(xbarsim.evaluate).parameters["seed"].default == 1
    assert inspect.signature(xbarsim.train_insitu).parameters["seed"].default == 1


def test_every_error_is_an_xbarsim_error_of_the_fitting_builtin(tmp_path):
    cases = [
        (lambda: xbarsim.solve([[1e-6]], [[0.1, 0.2]]), ValueError),
        (lambda: xbarsim.Device(str(tmp_path / "none.toml")), FileNotFoundError),
        (lambda: xbarsim.train(tmp_path / "no" / "m.safetensors", progress=False), OSError),
        (lambda: xbarsim.run("no-such-config", tmp_path / "o"), FileNotFoundError),
        (lambda: xbarsim.merge(tmp_path / "no-such-dir"), FileNotFoundError),
        (lambda: xbarsim.evaluate("ibm-pcm", progress=False, evaluation={"model": str(tmp_path / "none.onnx")}), FileNotFoundError),
    ]
    for call, builtin in cases:
        with pytest.raises(xbarsim.XbarsimError) as e:
            call()
        assert isinstance(e.value, builtin), (type(e.value), str(e.value))
        assert "\n" not in str(e.value) and len(str(e.value)) > 10
