"""CrossSim side of `bench/crosssim.sh`: the ResNet-20 of `bench/resnet20.py`
(read back from its ONNX file, so both simulators run the same weights) as
a torch model, converted with CrossSim's `from_torch` and run on analog
cores with parasitic (wire) resistance, timed; prints one JSON line.

    python crosssim_resnet20.py MODEL.onnx IMAGES.npz OUT.npz [options]

The network is rebuilt in torch from the ONNX initializers with every
batch norm folded into the convolution before it (as xbarsim folds it
before mapping, `Graph::fold_affine`; ONNX eps 1e-5), biases digital, so
both simulators map the same matrices: one-sided differential pairs
(`BALANCED`/`ONE_SIDED`, one device at g_min) with w_max = max|W| of the
layer, g_min..g_max = 1/Rmax..1/Rmin. Tiles: `--rows` word lines (CrossSim
`core.rows_max`, the matrix's input dimension) by `--cols` weight columns
(`core.cols_max`; non-interleaved, so the positive and negative devices are
two arrays of rows×cols), split as xbarsim splits (full tiles first:
`PartitionStrategy.MAX`).

IR drop: CrossSim has one parasitic solver per array topology, here
`NoninterleavedInputSourceArray` (current sourced from the input line,
summation line at virtual ground); it iterates the node voltages
(relaxation, `relaxation_gamma`) until the largest voltage error is below
`simulation.Verr_th_mvm` (normalised input units), at most
`Niters_max_parasitics` times. It is exact to that tolerance (`--verr`).

`--tile-check XBARSIM` instead compares the two IR-drop solvers on one
tile (rows × cols random weights, 16 random input vectors in [0, 1]):
CrossSim's `AnalogCore.matvec` against `xbarsim solve --solver exact` on
the same conductances, once as CrossSim's circuit (G+ and G- as two
separate rows×cols arrays, currents subtracted) and once as xbarsim's
layout (G+ and G- on neighbouring bit lines of one rows×2·cols array);
prints relative errors against the ideal product and between the solvers.

OUT.npz gets the images, `labels` = CrossSim's classes (so that xbarsim's
accuracy on it is the class agreement), `digital` = the torch model's
classes and both logit arrays.
"""

import argparse
import json
import os
import sys
import time

import numpy as np


def fail(msg):
    print(json.dumps({"error": msg}))
    sys.exit(1)


def fold_model(onnx_path):
    """The ONNX ResNet-20 as a torch module with batch norms folded."""
    import onnx
    import torch
    from onnx import numpy_helper
    from torch import nn

    graph = onnx.load(onnx_path).graph
    w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in graph.initializer}
    eps = {n.name: next((a.f for a in n.attribute if a.name == "epsilon"), 1e-5)
           for n in graph.node if n.op_type == "BatchNormalization"}

    def conv(name, stride):
        k = w[name + ".w"]
        scale = w[name + ".g"] / np.sqrt(w[name + ".v"] + eps[name + ".bn"])
        c = nn.Conv2d(k.shape[1], k.shape[0], k.shape[2], stride, k.shape[2] // 2, bias=True)
        c.weight.data = torch.tensor(k * scale[:, None, None, None], dtype=torch.float32)
        c.bias.data = torch.tensor(w[name + ".b"] - w[name + ".m"] * scale, dtype=torch.float32)
        return c

    class Block(nn.Module):
        def __init__(self, name, c_in, width, stride):
            super().__init__()
            self.conv1 = conv(name + ".conv1", stride)
            self.conv2 = conv(name + ".conv2", 1)
            self.proj = conv(name + ".proj", stride) if (stride != 1 or c_in != width) else None

        def forward(self, x):
            y = self.conv2(torch.relu(self.conv1(x)))
            return torch.relu(y + (x if self.proj is None else self.proj(x)))

    class ResNet20(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = conv("stem", 1)
            blocks, c = [], 16
            for stage, width in enumerate([16, 32, 64]):
                for b in range(3):
                    blocks.append(Block("s%d.b%d" % (stage, b), c, width,
                                        2 if stage > 0 and b == 0 else 1))
                    c = width
            self.blocks = nn.Sequential(*blocks)
            self.fc = nn.Linear(64, 10)
            self.fc.weight.data = torch.tensor(w["fc.w"], dtype=torch.float32)
            self.fc.bias.data = torch.tensor(w["fc.b"], dtype=torch.float32)

        def forward(self, x):
            x = self.blocks(torch.relu(self.stem(x)))
            return self.fc(x.mean(dim=(2, 3)))

    return ResNet20().eval()


def crosssim_params(a):
    from simulator import CrossSimParameters
    from simulator.parameters.core_parameters import PartitionStrategy

    p = CrossSimParameters()
    p.core.style = "BALANCED"
    p.core.balanced.style = "ONE_SIDED"
    p.core.balanced.interleaved_posneg = False
    p.core.rows_max = a.rows
    p.core.cols_max = a.cols
    p.core.mapping.weights.row_partition_strategy = PartitionStrategy.MAX
    p.core.mapping.weights.col_partition_strategy = PartitionStrategy.MAX
    p.xbar.device.Rmin = a.rmin
    p.xbar.device.Rmax = a.rmax
    p.xbar.array.parasitics.enable = a.rp > 0
    p.xbar.array.parasitics.Rp_row = a.rp
    p.xbar.array.parasitics.Rp_col = a.rp
    p.simulation.Verr_th_mvm = a.verr
    p.simulation.Niters_max_parasitics = a.niters
    p.simulation.hide_convergence_msg = True
    return p


def tile_check(a):
    import subprocess
    import tempfile

    from simulator import AnalogCore

    rng = np.random.default_rng(22)
    w = rng.normal(0, 1, (a.cols, a.rows))  # CrossSim: outputs x inputs
    x = rng.uniform(0, 1, (16, a.rows))
    ideal = x @ w.T
    core = AnalogCore(w, crosssim_params(a))
    t0 = time.perf_counter()
    cs = np.stack([core.matvec(v) for v in x])
    t_cs = time.perf_counter() - t0
    g_min, g_max, v_read = 1 / a.rmax, 1 / a.rmin, 0.2
    w_max = np.abs(w).max()
    scale = (g_max - g_min) / w_max
    gp = (g_min + np.maximum(w, 0) * scale).T  # word lines x bit lines
    gn = (g_min + np.maximum(-w, 0) * scale).T

    def solve(g):
        with tempfile.TemporaryDirectory() as d:
            np.savetxt(d + "/g.csv", g, delimiter=",", fmt="%.17g")
            np.savetxt(d + "/v.csv", x * v_read, delimiter=",", fmt="%.17g")
            subprocess.run([a.tile_check, "solve", "--conductances", d + "/g.csv",
                            "--inputs", d + "/v.csv", "--r-wordline", str(a.rp),
                            "--r-bitline", str(a.rp), "--solver", "exact",
                            "--output", d + "/i.csv"], check=True, capture_output=True)
            return np.loadtxt(d + "/i.csv", delimiter=",", ndmin=2)

    separate = (solve(gp) - solve(gn)) / (scale * v_read)
    pair = np.empty((a.rows, 2 * a.cols))
    pair[:, 0::2], pair[:, 1::2] = gp, gn
    i = solve(pair)
    interleaved = (i[:, 0::2] - i[:, 1::2]) / (scale * v_read)

    def rel(y, ref):
        return float(np.linalg.norm(y - ref) / np.linalg.norm(ref))

    print(json.dumps({
        "tile": "%d word lines x %d weight columns" % (a.rows, a.cols),
        "rp_ohm": a.rp, "Verr_th_mvm": a.verr, "vectors": len(x),
        "crosssim_matvec_s": round(t_cs, 3),
        "rel_err_vs_ideal": {
            "crosssim": rel(cs, ideal),
            "xbarsim_exact_separate_arrays": rel(separate, ideal),
            "xbarsim_exact_pairs_on_one_array": rel(interleaved, ideal)},
        "rel_diff_crosssim_vs_xbarsim_separate": rel(cs, separate),
        "rel_diff_crosssim_vs_xbarsim_pairs": rel(cs, interleaved),
    }))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?")
    ap.add_argument("data", nargs="?")
    ap.add_argument("out", nargs="?")
    ap.add_argument("--tile-check", metavar="XBARSIM",
                    help="compare one tile's IR-drop solve with `XBARSIM solve` instead")
    ap.add_argument("--images", type=int, default=100)
    ap.add_argument("--batch", type=int, default=10)
    ap.add_argument("--rows", type=int, default=128, help="word lines per array (rows_max)")
    ap.add_argument("--cols", type=int, default=64, help="weight columns per array (cols_max)")
    ap.add_argument("--rp", type=float, default=1.0, help="wire resistance per segment (ohm), row and column")
    ap.add_argument("--rmin", type=float, default=1e5, help="1/g_max (ohm); xbarsim ideal: 100 kohm")
    ap.add_argument("--rmax", type=float, default=1e6, help="1/g_min (ohm); xbarsim ideal: 1 Mohm")
    ap.add_argument("--verr", type=float, default=1e-3, help="simulation.Verr_th_mvm (CrossSim default 1e-3)")
    ap.add_argument("--niters", type=int, default=100, help="simulation.Niters_max_parasitics")
    a = ap.parse_args()
    if a.tile_check:
        return tile_check(a)
    if not a.out:
        ap.error("MODEL, DATA and OUT are needed (or --tile-check)")

    t_start = time.perf_counter()
    try:
        import torch
        import simulator
        from simulator.algorithms.dnn.torch.convert import from_torch, analog_modules
    except ImportError as e:
        fail("CrossSim (sandialabs/cross-sim, package `simulator`) is not importable: %s" % e)

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    model = fold_model(a.model)
    z = np.load(a.data)
    x = torch.tensor(z["images"][: a.images].astype(np.float32) / 255.0)
    n = x.shape[0]

    # The folded torch model against the ONNX graph (onnxruntime), if there.
    with torch.no_grad():
        digital = model(x).numpy()
    try:
        import onnxruntime as ort
        sess = ort.InferenceSession(a.model, providers=["CPUExecutionProvider"])
        ref = sess.run(None, {"input": x[:10].numpy()})[0]
        onnx_max_diff = float(np.abs(ref - digital[:10]).max())
    except ImportError:
        onnx_max_diff = None

    p = crosssim_params(a)

    t0 = time.perf_counter()
    analog = from_torch(model, p, bias_rows=0, fuse_batchnorm=False)
    analog.eval()
    t_map = time.perf_counter() - t0
    n_layers = len(analog_modules(analog))

    t0 = time.perf_counter()
    outs = []
    with torch.no_grad():
        for i in range(0, n, a.batch):
            outs.append(analog(x[i: i + a.batch]).numpy())
    t_infer = time.perf_counter() - t0
    logits = np.concatenate(outs)

    cls, dcls = logits.argmax(1), digital.argmax(1)
    np.savez(a.out, images=z["images"][:n], labels=cls.astype(np.uint8),
             digital=dcls.astype(np.uint8), logits=logits, digital_logits=digital)
    rel = np.linalg.norm(logits - digital, axis=1) / np.linalg.norm(digital, axis=1)
    print(json.dumps({
        "crosssim_version": getattr(simulator, "__version__", None) or _dist_version(),
        "images": n, "batch": a.batch, "threads": torch.get_num_threads(),
        "rows_max": a.rows, "cols_max": a.cols, "rp_ohm": a.rp,
        "rmin_ohm": a.rmin, "rmax_ohm": a.rmax,
        "Verr_th_mvm": a.verr, "Niters_max_parasitics": a.niters,
        "analog_layers": n_layers,
        "map_s": round(t_map, 3), "infer_s": round(t_infer, 3),
        "total_s": round(time.perf_counter() - t_start, 3),
        "infer_s_per_image": t_infer / n,
        "onnx_vs_torch_max_abs": onnx_max_diff,
        "agree_with_digital": float((cls == dcls).mean()),
        "logit_rel_diff_vs_digital_median": float(np.median(rel)),
        "logit_rel_diff_vs_digital_max": float(rel.max()),
    }))


def _dist_version():
    try:
        from importlib.metadata import version
        return version("CrossSim")
    except Exception:  # noqa: BLE001
        return None


if __name__ == "__main__":
    main()
