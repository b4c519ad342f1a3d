"""The Python package against closed forms, Kirchhoff's laws and the command line.

Run by ``./scripts/test`` after it builds the package into the virtual
environment under ``target/``. ``XBARSIM_BIN`` names the command-line binary
built from the same tree (the comparisons with the CLI are skipped without it).
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import polars as pl
import pytest

import xbarsim

BIN = os.environ.get("XBARSIM_BIN")
needs_cli = pytest.mark.skipif(not BIN, reason="skipped, set XBARSIM_BIN to the xbarsim binary")


def cli(*args, cwd):
    out = subprocess.run([BIN, *map(str, args)], cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out


# ---------------------------------------------------------------- solve


def test_ideal_wires_give_the_matrix_product_exactly():
    rng = np.random.default_rng(1)
    G = rng.uniform(1e-6, 1e-4, (16, 8))
    V = rng.uniform(-0.3, 0.3, (5, 16))
    np.testing.assert_allclose(xbarsim.solve(G, V), V @ G, rtol=1e-14, atol=0)


def test_one_cell_with_terminal_resistances_is_ohms_law():
    g, r_source, r_sense, v = 1e-4, 1e3, 500.0, 0.2
    I = xbarsim.solve([[g]], [v], r_source=r_source, r_sense=r_sense)
    assert I.shape == (1,)
    assert I[0] == pytest.approx(v / (1 / g + r_source + r_sense), rel=1e-12)


def test_node_voltages_obey_kirchhoff_and_ohm():
    rng = np.random.default_rng(2)
    G = rng.uniform(1e-5, 1e-4, (12, 9))
    V = rng.uniform(0.05, 0.2, (3, 12))
    I, nodes = xbarsim.solve(G, V, r_wordline=5.0, r_bitline=5.0, r_sense=20.0, node_voltages=True)
    assert isinstance(nodes, pl.DataFrame)
    assert nodes.columns == ["row", "col", "wordline_V", "bitline_V", "cell_V", "cell_current_A"]
    assert nodes.height == 12 * 9
    # Every bit line's current is the sum of its cells' currents (KCL) ...
    per_col = nodes.group_by("col").agg(pl.col("cell_current_A").sum()).sort("col")
    np.testing.assert_allclose(per_col["cell_current_A"].to_numpy(), I[0], rtol=1e-10)
    # ... and IR drop leaves less than the ideal product.
    assert np.all(I[0] < V[0] @ G)
    # Ohm's law on each cell.
    g = G[nodes["row"].to_numpy(), nodes["col"].to_numpy()]
    np.testing.assert_allclose(nodes["cell_current_A"], g * nodes["cell_V"], rtol=1e-12)


def test_inputs_of_any_float_type_and_order_give_the_same_currents():
    rng = np.random.default_rng(3)
    G = rng.uniform(1e-6, 1e-4, (10, 7))
    V = rng.uniform(0, 0.2, (4, 10))
    ref = xbarsim.solve(G, V, r_wordline=2.0, r_bitline=2.0)
    f_order = xbarsim.solve(np.asfortranarray(G), np.asfortranarray(V), r_wordline=2.0, r_bitline=2.0)
    np.testing.assert_array_equal(ref, f_order)
    f32 = xbarsim.solve(G.astype(np.float32), V.astype(np.float32), r_wordline=2.0, r_bitline=2.0)
    ref32 = xbarsim.solve(
        G.astype(np.float32).astype(np.float64), V.astype(np.float32).astype(np.float64), r_wordline=2.0, r_bitline=2.0
    )
    np.testing.assert_array_equal(f32, ref32)


def test_a_factorised_crossbar_gives_the_solve_of_every_batch():
    rng = np.random.default_rng(4)
    G = rng.uniform(1e-6, 1e-4, (32, 16))
    xbar = xbarsim.Crossbar(G, r_wordline=2.5, r_bitline=2.5)
    assert xbar.shape == (32, 16)
    for _ in range(3):
        V = rng.uniform(-0.2, 0.2, (6, 32))
        np.testing.assert_allclose(
            xbar.solve(V), xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5, solver="exact"), rtol=1e-12
        )


def test_sinh_cells_draw_more_current_than_linear_ones():
    G = np.full((4, 4), 5e-5)
    V = np.full((1, 4), 0.3)
    lin = xbarsim.solve(G, V, r_wordline=1.0, r_bitline=1.0)
    sinh = xbarsim.solve(G, V, r_wordline=1.0, r_bitline=1.0, sinh_a=3.0)
    assert np.all(sinh > lin)


@pytest.mark.skipif(shutil.which("ngspice") is None, reason="skipped, install ngspice (scripts/test does)")
@pytest.mark.parametrize("sinh_a", [None, 4.0])
def test_solve_agrees_with_ngspice_on_the_same_netlist(tmp_path, sinh_a):
    rng = np.random.default_rng(6)
    G = rng.uniform(1e-6, 1e-4, (8, 6))
    v = rng.uniform(0.0, 0.3, 8)
    wires = dict(r_wordline=2.5, r_bitline=3.0, r_source=10.0, r_sense=5.0)
    deck = xbarsim.spice_netlist(G, v, sinh_a=sinh_a, output="currents.txt", **wires)
    (tmp_path / "xbar.cir").write_text(deck)
    run = subprocess.run(["ngspice", "-b", "xbar.cir"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    lines = [l.split() for l in (tmp_path / "currents.txt").read_text().splitlines() if l.strip()]
    names = [n.lower() for n in lines[0]]
    spice = np.array([float(lines[1][names.index(f"vs{j}#branch")]) for j in range(6)])
    ours = xbarsim.solve(G, v, sinh_a=sinh_a, **wires)
    np.testing.assert_allclose(ours, spice, rtol=1e-9)
    if sinh_a is None:
        assert np.all(ours < v @ G)  # the wires cost current


@needs_cli
def test_solve_is_the_command_line_bit_for_bit(tmp_path):
    rng = np.random.default_rng(5)
    G = rng.uniform(1e-6, 1e-4, (20, 6))
    V = rng.uniform(-0.2, 0.2, (3, 20))
    np.savetxt(tmp_path / "g.csv", G, delimiter=",", fmt="%.17g")
    np.savetxt(tmp_path / "v.csv", V, delimiter=",", fmt="%.17g")
    cli("solve", "--conductances", "g.csv", "--inputs", "v.csv", "--r-wordline", "2.5", "--r-bitline", "2.5", "-o", "i.csv", cwd=tmp_path)
    from_cli = np.loadtxt(tmp_path / "i.csv", delimiter=",", ndmin=2)
    ours = xbarsim.solve(G, V, r_wordline=2.5, r_bitline=2.5)
    np.testing.assert_array_equal(ours, from_cli)


# ---------------------------------------------------------------- errors


def test_errors_are_located_and_of_the_fitting_class(tmp_path):
    with pytest.raises(xbarsim.XbarsimValueError) as e:
        xbarsim.solve([[1e-6, -1e-6]], [0.1])
    assert isinstance(e.value, ValueError) and isinstance(e.value, xbarsim.XbarsimError)
    assert str(e.value).startswith("G: ") and "g[0,1]" in str(e.value), str(e.value)
    with pytest.raises(ValueError, match=r"^r_wordline: "):
        xbarsim.solve([[1e-6]], [0.1], r_wordline=-1.0)
    with pytest.raises(ValueError, match=r"^V: 2 voltages per vector, but G has 1 rows"):
        xbarsim.solve([[1e-6]], [[0.1, 0.2]])
    with pytest.raises(ValueError, match=r"^solver: unknown solver `fast`; expected one of auto"):
        xbarsim.solve([[1e-6]], [0.1], solver="fast")
    with pytest.raises(ValueError, match=r"did you mean `ag-a-si`"):
        xbarsim.Device("ag-a-sl")
    with pytest.raises(FileNotFoundError) as missing:
        xbarsim.Device.from_toml(str(tmp_path / "nope.toml"))
    assert isinstance(missing.value, xbarsim.XbarsimError)
    assert "nope.toml" in str(missing.value)
    bad = "name = \"x\"\ng_min = 1e-6\ng_max = 1e-5\nnonsense = 3\n"
    with pytest.raises(ValueError, match=r"^<text>:4:1: nonsense: "):
        xbarsim.Device.from_toml(bad)
    with pytest.raises(ValueError, match=r"^device_pulse: unknown field `devcies`"):
        xbarsim.device_pulse("ag-a-si", devcies=3)


# ---------------------------------------------------------------- devices


def test_the_library_and_its_descriptions():
    names = xbarsim.Device.library()
    assert "ag-a-si" in names and "ibm-pcm" in names
    d = xbarsim.Device("ag-a-si")
    assert d.source == "library:ag-a-si"
    assert 0 < d.g_min < d.g_max
    sections = d.describe()
    rng = next(s for s in sections if s["table"] is None)
    g_max = next(p for p in rng["parameters"] if p["key"] == "g_max")
    assert g_max["unit"] == "S" and g_max["value"] == d.g_max
    # A device file round-trips through its TOML.
    again = xbarsim.Device.from_toml(d.to_toml())
    assert again.to_toml() == d.to_toml()


def test_device_arrays_are_seeded():
    d = xbarsim.Device("ibm-pcm")  # read noise and drift: seeds matter
    targets = np.linspace(d.g_min, d.g_max, 12).reshape(3, 4)
    a, b, c = (xbarsim.DeviceArray(d, 3, 4, seed=s) for s in (7, 7, 8))
    for arr in (a, b, c):
        arr.program(targets)
    assert a.shape == (3, 4)
    np.testing.assert_array_equal(a.read(1.0), b.read(1.0))
    assert not np.array_equal(a.read(1.0), c.read(1.0))
    # Drift lowers the noiseless conductance over time: G(t) = G(t0)(t/t0)^-nu.
    on = targets > 0
    assert np.all(a.drift_to(1e4)[on] < a.drift_to(1.0)[on])


def test_device_arrays_step_and_tally_their_pulses_in_closed_form():
    # The `ideal` device: linear, noiseless, 1000 pulses across the range.
    d = xbarsim.Device("ideal")
    step = (d.g_max - d.g_min) / 1000
    mid = 0.5 * (d.g_min + d.g_max)
    a = xbarsim.DeviceArray(d, 3, 4, seed=1)
    a.program(np.full((3, 4), mid))
    counts = np.array([[1, -2, 3, 0]] * 3, dtype=np.int32)
    before = a.conductances()
    tally = a.apply_pulses(counts)
    np.testing.assert_allclose(a.conductances() - before, counts * step, rtol=1e-9, atol=1e-20)
    assert tally["pulses"] == 3 * 6
    # The conductance each pulse met: per row 6 pulses from mid, -step
    # (the second down pulse), +step and +2 step (the up pulses).
    assert tally["sum_g_S"] == pytest.approx(3 * (6 * mid + 2 * step), rel=1e-12)


def test_two_threads_with_two_arrays_get_what_each_gets_alone():
    from concurrent.futures import ThreadPoolExecutor

    d = xbarsim.Device("ibm-pcm")
    targets = np.linspace(d.g_min, d.g_max, 64 * 64).reshape(64, 64)
    G = np.random.default_rng(9).uniform(1e-6, 1e-4, (96, 96))
    V = np.random.default_rng(10).uniform(0, 0.2, (32, 96))

    def work(seed):
        arr = xbarsim.DeviceArray(d, 64, 64, seed=seed)
        arr.program(targets)
        reads = [arr.read(t) for t in (1.0, 1e3, 1e6)]
        return reads, xbarsim.solve(G, V, r_wordline=1.0 + seed, r_bitline=1.0)

    alone = [work(s) for s in (1, 2)]
    with ThreadPoolExecutor(2) as pool:
        together = list(pool.map(work, (1, 2)))
    for (ra, ia), (rt, it) in zip(alone, together):
        for a, t in zip(ra, rt):
            np.testing.assert_array_equal(a, t)
        np.testing.assert_array_equal(ia, it)


@needs_cli
def test_device_pulse_is_the_command_line_bit_for_bit(tmp_path):
    cli("device", "pulse", "-d", "ag-a-si", "-k", "4", "-s", "3", "-o", "p.csv", cwd=tmp_path)
    with open(tmp_path / "p.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    ours = xbarsim.device_pulse("ag-a-si", devices=4, seed=3)
    assert ours.columns == list(rows[0].keys())
    assert ours.height == len(rows)
    for col in ours.columns:
        theirs = [r[col] for r in rows]
        mine = ours[col].to_list()
        if isinstance(mine[0], float):
            np.testing.assert_array_equal(np.array(mine), np.array(theirs, dtype=float), err_msg=col)
        else:
            assert [str(x) for x in mine] == theirs, col


# ---------------------------------------------------------------- networks

NET = dict(
    network={"sizes": [784, 64, 10], "steps": 8},
    training={"epochs": 3},
    data={"train_limit": 2000, "test_limit": 200},
    evaluation={"times_s": [1.0, 1e6], "instances": 2},
)


def test_evaluate_and_cost_read_the_same_accuracy_and_reproduce_by_seed():
    ev = xbarsim.evaluate("ibm-pcm", seed=1, **NET)
    assert ev["time_s"].to_list() == [1.0, 1e6]
    assert ev["software_accuracy_pct"][0] > 40  # trained: chance is 10 %
    assert ev.equals(xbarsim.evaluate("ibm-pcm", seed=1, **NET))
    summary, instances = xbarsim.evaluate("ibm-pcm", seed=1, per_instance=True, **NET)
    assert summary.equals(ev) and instances.height == 2 * 2
    # The one evaluation path: cost reads the arrays as evaluate does.
    cost = xbarsim.cost("ibm-pcm", seed=1, **NET)
    np.testing.assert_array_equal(cost["accuracy_pct"].to_numpy(), ev["accuracy_pct"].to_numpy())
    assert (cost["energy_per_inference_J"] > 0).all() and (cost["area_m2"] > 0).all()


def test_a_trained_model_file_is_what_evaluate_reads(tmp_path):
    model = tmp_path / "net.safetensors"
    history = xbarsim.train(model, history=tmp_path / "history.csv", **{k: NET[k] for k in ("network", "training", "data")})
    assert model.is_file() and (tmp_path / "net.safetensors.json").is_file()
    assert history.height == 3 and (tmp_path / "history.csv").is_file()
    sidecar = json.loads((tmp_path / "net.safetensors.json").read_text())
    assert sidecar["parameters"]["network"]["sizes"] == [784, 64, 10]
    ev = xbarsim.evaluate(
        "ibm-pcm", seed=1, data=NET["data"], evaluation={**NET["evaluation"], "model": str(model)}
    )
    # The software accuracy of the file is the one training reported last.
    assert ev["software_accuracy_pct"][0] == pytest.approx(history["test_accuracy_pct"][-1], abs=1e-9)
    assert ev["software_accuracy_pct"][0] > 40
    with pytest.raises(xbarsim.XbarsimOSError):
        xbarsim.train(tmp_path / "missing-dir" / "m.safetensors", **{k: NET[k] for k in ("network", "data")})


CONV_SNN = [
    {"op": "conv2d", "channels": 4, "kernel": 5, "stride": 2},
    {"op": "lif"},
    {"op": "maxpool", "kernel": 2},
    {"op": "flatten"},
    {"op": "linear", "outputs": 10},
    {"op": "lif", "threshold": 0.5},
]


def test_a_conv_snn_described_by_layers_trains_and_evaluates_from_a_dict(tmp_path):
    model = tmp_path / "csnn.safetensors"
    network = {"steps": 4, "encoding": "direct", "layers": CONV_SNN}
    history = xbarsim.train(
        model, network=network, training={"epochs": 2, "batch_size": 32, "optimizer": {"learning_rate": 5e-3}}, data={"train_limit": 600, "test_limit": 200}
    )
    sidecar = json.loads((tmp_path / "csnn.safetensors.json").read_text())
    assert sidecar["parameters"]["network"]["layers"][0]["op"] == "conv2d"
    ev = xbarsim.evaluate(
        "ideal", seed=1, data={"test_limit": 200}, evaluation={"model": str(model), "times_s": [0.0], "instances": 1}
    )
    # Direct input: the file scores what training reported last; chance is 10 %.
    assert ev["software_accuracy_pct"][0] == pytest.approx(history["test_accuracy_pct"][-1], abs=1e-9)
    assert ev["software_accuracy_pct"][0] > 40
    # Layers that do not fit the 28×28 images: the located message, as an exception.
    with pytest.raises(xbarsim.XbarsimError, match="network.layers"):
        xbarsim.train(tmp_path / "bad.safetensors", network={"layers": [{"op": "conv2d", "channels": 2, "kernel": 29}]})
    assert not (tmp_path / "bad.safetensors").exists()


# ---------------------------------------------------------------- fits


def soft_bounds_trains(alpha=0.08, pulses=30, devices=2):
    """Noiseless soft-bounds LTP/LTD trains in the wide layout of `device fit`."""
    g_min, g_max = 1e-6, 1e-5
    cols = {"pulse_voltage_V": []}
    for d in range(devices):
        g = g_min * (1 + 0.1 * d)
        trace = []
        for pol in (1.0, -1.0, 1.0, -1.0):
            for _ in range(pulses):
                g += pol * alpha * ((g_max - g) if pol > 0 else (g - g_min))
                trace.append(g)
                if d == 0:
                    cols["pulse_voltage_V"].append(pol)
        cols[f"dev{d}"] = trace
    return pl.DataFrame(cols)


def test_an_onnx_cnn_on_numpy_images_scores_what_onnxruntime_scores(tmp_path):
    examples = Path(__file__).resolve().parents[2] / "examples" / "onnx"
    recorded = json.loads((examples / "mnist-cnn.json").read_text())
    # The user's own images, as numpy arrays in an .npz.
    with np.load(examples / "mnist-test-500.npz") as f:
        images, labels = f["images"][:200], f["labels"][:200]
    np.savez(tmp_path / "mine.npz", images=images.astype(np.float32) / 255.0, labels=labels.astype(np.int64))
    ev = xbarsim.evaluate(
        "ibm-pcm",
        seed=1,
        data={"dir": str(tmp_path / "mine.npz")},
        evaluation={"model": str(examples / "mnist-cnn.onnx"), "times_s": [86400.0], "instances": 1},
    )
    predictions = np.array(recorded["onnxruntime_first_500_predictions"][:200])
    assert ev["software_accuracy_pct"][0] == pytest.approx(100 * (predictions == labels).mean(), abs=1e-9)
    assert 90 < ev["accuracy_pct"][0] <= 100
    with pytest.raises(ValueError, match="the images are 3×28×28"):
        np.savez(tmp_path / "rgb.npz", images=np.zeros((2, 3, 28, 28), np.uint8), labels=np.zeros(2, np.uint8))
        xbarsim.evaluate("ibm-pcm", data={"dir": str(tmp_path / "rgb.npz")}, evaluation={"model": str(examples / "mnist-cnn.onnx")})


def test_an_snntorch_network_through_nir_scores_what_snntorch_scores():
    root = Path(__file__).resolve().parents[2] / "examples"
    recorded = json.loads((root / "nir" / "mnist-csnn.json").read_text())
    ev = xbarsim.evaluate(
        "ideal",
        seed=1,
        data={"dir": str(root / "onnx" / "mnist-test-500.npz")},
        evaluation={
            "model": str(root / "nir" / "mnist-csnn.nir"),
            "steps": recorded["steps"],
            "dt_s": recorded["dt"],
            "times_s": [0.0],
            "instances": 1,
        },
    )
    assert ev["software_accuracy_pct"][0] == pytest.approx(100 * recorded["snntorch_first_500_accuracy"], abs=1e-9)
    with pytest.raises(xbarsim.XbarsimError, match="steps"):
        xbarsim.evaluate(
            "ideal",
            data={"dir": str(root / "onnx" / "mnist-test-500.npz")},
            evaluation={"model": str(root / "nir" / "mnist-csnn.nir"), "steps": 0},
        )


def test_fit_pulses_recovers_a_soft_bounds_device_from_a_dataframe_as_from_its_file(tmp_path):
    table = soft_bounds_trains()
    fit = xbarsim.fit_pulses(table, model="soft-bounds")
    assert "soft" in fit.report.lower()
    doc = fit.device.to_toml()
    alpha_up = float(next(l for l in doc.splitlines() if l.startswith("alpha_up")).split("=")[1])
    assert alpha_up == pytest.approx(0.08, rel=0.02)
    # The same table given as a file: the same fit.
    table.write_csv(tmp_path / "pulses.csv")
    from_file = xbarsim.fit_device(pulses=tmp_path / "pulses.csv", model="soft-bounds", name="fitted")
    # The same device; only the description's file name differs (same sha256).
    assert without_description(from_file) == without_description(fit)
    assert "sha256 " in fit.device.to_toml()
    assert fit.figure is not None and fit.figure["x"]["key"] == "pulse"
    pd = pytest.importorskip("pandas")
    as_pandas = pd.DataFrame(table.to_dict(as_series=False))
    assert without_description(xbarsim.fit_pulses(as_pandas, model="soft-bounds")) == without_description(fit)


def without_description(fit):
    return [l for l in fit.device.to_toml().splitlines() if not l.startswith("description")]


def write_xlsx(path, sheets):
    """A minimal .xlsx (Office Open XML: a zip of XML parts, text as inline strings); `sheets` maps names to rows."""
    import zipfile
    from xml.sax.saxutils import escape

    ns = "http://schemas.openxmlformats.org"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    n = len(sheets)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            f'{head}<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, n + 1)
            )
            + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'{head}<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{ns}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'{head}<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{ns}/officeDocument/2006/relationships"><sheets>'
            + "".join(f'<sheet name="{escape(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(sheets, 1))
            + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{head}<Relationships xmlns="{ns}/package/2006/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{ns}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                for i in range(1, n + 1)
            )
            + "</Relationships>",
        )
        for i, rows in enumerate(sheets.values(), 1):
            data = ""
            for r, row in enumerate(rows, 1):
                data += f'<row r="{r}">'
                for c, x in enumerate(row):
                    at = f"{chr(ord('A') + c)}{r}"
                    if isinstance(x, str):
                        data += f'<c r="{at}" t="inlineStr"><is><t>{escape(x)}</t></is></c>'
                    else:
                        data += f'<c r="{at}"><v>{float(x)!r}</v></c>'
                data += "</row>"
            z.writestr(
                f"xl/worksheets/sheet{i}.xml",
                f'{head}<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{data}</sheetData></worksheet>',
            )


def test_fit_device_reads_the_sheet_named_by_sheet(tmp_path):
    table = soft_bounds_trains()
    table.write_csv(tmp_path / "pulses.csv")
    rows = [table.columns] + [list(r) for r in table.rows()]
    write_xlsx(tmp_path / "lab.xlsx", {"Notes": [["measured 2025-03-02"]], "Data": rows})
    from_csv = xbarsim.fit_device(pulses=tmp_path / "pulses.csv", model="soft-bounds", name="fitted")
    from_sheet = xbarsim.fit_device(pulses=tmp_path / "lab.xlsx", sheet="Data", model="soft-bounds", name="fitted")
    # The same numbers: the same device, and the sheet recorded.
    assert without_description(from_sheet) == without_description(from_csv)
    doc = from_sheet.device.to_toml()
    alpha_up = float(next(l for l in doc.splitlines() if l.startswith("alpha_up")).split("=")[1])
    assert alpha_up == pytest.approx(0.08, rel=0.02)
    assert from_sheet.records["parameters"]["inputs"]["pulses"]["sheet"] == "Data"
    assert "sheet" not in from_csv.records["parameters"]["inputs"]["pulses"]
    with pytest.raises(ValueError, match=r"lab\.xlsx: the workbook has no sheet `Raw`; its sheets: `Notes`, `Data`$"):
        xbarsim.fit_device(pulses=tmp_path / "lab.xlsx", sheet="Raw")
    with pytest.raises(ValueError, match=r"^sheet: names a workbook's sheet, but no input is a workbook \(\.xlsx"):
        xbarsim.fit_device(pulses=tmp_path / "pulses.csv", sheet="Data")
    # Without `sheet` the notes are read, and the error says what else there is.
    with pytest.raises(ValueError, match=r"sheet `Notes` was read, the first with cells; the workbook also has `Data`"):
        xbarsim.fit_device(pulses=tmp_path / "lab.xlsx")


def test_fit_files_appear_together(tmp_path):
    soft_bounds_trains().write_csv(tmp_path / "pulses.csv")
    fit = xbarsim.fit_device(pulses=tmp_path / "pulses.csv", output=tmp_path / "dev.toml", figure=tmp_path / "dev.svg")
    assert (tmp_path / "dev.toml").is_file() and (tmp_path / "dev.toml.json").is_file()
    assert (tmp_path / "dev.svg").is_file()
    assert xbarsim.Device(str(tmp_path / "dev.toml")).to_toml() == fit.device.to_toml()
    with pytest.raises(xbarsim.XbarsimOSError):
        xbarsim.fit_device(pulses=tmp_path / "pulses.csv", output=tmp_path / "no-dir" / "dev.toml")
    assert not (tmp_path / "no-dir").exists()


# ---------------------------------------------------------------- sweeps


SWEEP = textwrap.dedent(
    """
    name = "py-drift"
    kind = "device-drift"
    seed = 5
    device = "ibm-pcm"
    [drift]
    devices = 50
    times_s = [1.0, 100.0, 10000.0]
    [sweep]
    "drift.devices" = [50, 100]
    """
)


def test_run_takes_text_a_dict_and_a_file_and_resumes(tmp_path):
    a = xbarsim.run(SWEEP, tmp_path / "a")
    assert isinstance(a, pl.DataFrame)
    assert set(a["drift.devices"].to_list()) == {50, 100}
    (tmp_path / "c.toml").write_text(SWEEP)
    c = xbarsim.run(tmp_path / "c.toml", tmp_path / "c")
    assert a.drop("wall_s", strict=False).equals(c.drop("wall_s", strict=False)) or a.shape == c.shape
    as_dict = {
        "name": "py-drift",
        "kind": "device-drift",
        "seed": 5,
        "device": "ibm-pcm",
        "drift": {"devices": 50, "times_s": [1.0, 100.0, 10000.0]},
        "sweep": {"drift.devices": [50, 100]},
    }
    b = xbarsim.run(as_dict, tmp_path / "b")
    numeric = [c for c in a.columns if a[c].dtype.is_float() and "time" not in c and c != "elapsed_s"]
    for col in numeric:
        np.testing.assert_array_equal(a[col].to_numpy(), b[col].to_numpy(), err_msg=col)
    # Running again computes nothing and returns the same table.
    calls = []
    again = xbarsim.run(SWEEP, tmp_path / "a", progress=lambda done, total: calls.append((done, total)))
    assert again.equals(a)
    assert calls == [(0, 0)]
    fresh = []
    xbarsim.run(SWEEP, tmp_path / "d", progress=lambda done, total: fresh.append((done, total)))
    assert fresh[0] == (0, 2) and sorted(fresh[1:]) == [(1, 2), (2, 2)]


def test_run_errors_name_the_config(tmp_path):
    with pytest.raises(ValueError, match=r"^<text>\.toml:\d+:\d+: "):
        xbarsim.run(SWEEP.replace("devices = 50", "devices = -1"), tmp_path / "x")
    assert not (tmp_path / "x").exists()
    with pytest.raises(FileNotFoundError):
        xbarsim.run("no-such-config", tmp_path / "y")


def test_shipped_configs_are_listed_and_readable():
    names = xbarsim.shipped()
    assert len(names) >= 5
    assert "kind" in xbarsim.shipped(names[0])


def test_ctrl_c_stops_a_run_which_then_resumes(tmp_path):
    config = SWEEP.replace('"drift.devices" = [50, 100]', '"drift.devices" = [200000, 200001, 200002, 200003, 200004, 200005, 200006, 200007]')
    (tmp_path / "big.toml").write_text(config)
    script = textwrap.dedent(
        f"""
        import sys, xbarsim
        try:
            xbarsim.run({str(tmp_path / 'big.toml')!r}, {str(tmp_path / 'out')!r}, jobs=1)
        except KeyboardInterrupt:
            print("interrupted", flush=True)
            sys.exit(3)
        print("finished", flush=True)
        """
    )
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    points = tmp_path / "out" / "points"
    deadline = time.time() + 120
    while time.time() < deadline and not (points.is_dir() and any(points.iterdir())):
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=300)
    if "finished" in out:
        pytest.skip("the run finished before Ctrl-C reached it")
    assert p.returncode == 3 and "interrupted" in out, err
    saved = len(list(points.iterdir()))
    assert 1 <= saved < 8
    # Nothing half-written; the next run resumes and completes.
    assert not list((tmp_path / "out").rglob("*.tmp"))
    table = xbarsim.run(tmp_path / "big.toml", tmp_path / "out", jobs=2)
    assert table.height > 0
    assert len(list(points.iterdir())) == 8


def test_the_tour_example_runs(tmp_path):
    tour = Path(__file__).resolve().parents[2] / "examples" / "python_tour.py"
    out = subprocess.run([sys.executable, str(tour)], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "IR drop costs" in out.stdout and "accuracy_pct" in out.stdout
