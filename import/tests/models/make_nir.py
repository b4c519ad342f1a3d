"""Builds the NIR test models of `import/tests/nir_reference.rs` and their
reference outputs.

Two references, both independent of xbarsim:

* snnTorch itself: a real snnTorch network, written with
  `snntorch.export_to_nir` (snnTorch's Δt = 1e-4 s), and snnTorch's own
  forward pass (`Leaky`, `Synaptic`, with `reset_mechanism="zero"` and
  `reset_delay=False`: the membrane is set to 0 at the step it spikes, which
  is NIR's `v_reset = 0`) run in float64 on the float32 weights;
* for the node types snnTorch does not export (IF, LI, SumPool2d, several
  edges into one node), a plain numpy simulation of the NIR equations
  (forward Euler with the same Δt) written from the NIR documentation.

Every input is a constant current (direct encoding) for T steps; the
references hold, per input, the output summed over the steps (the spike
counts of a spiking output, the summed membrane of an LI read-out) and the
per-step outputs. The smallest |v − θ| met by any neuron at any step is
recorded: a spike decision closer to its threshold than float rounding could
flip between implementations, so each model is drawn until that margin is
above 1e-5.

Run with a Python that has numpy, h5py, nir, torch and snntorch:

    python import/tests/models/make_nir.py

It rewrites the `.nir` and `.json` files beside it (each < 200 KB). The
CLI test's trained MNIST model is `examples/nir/make_mnist_csnn.py`'s.
"""

import json
import pathlib

import nir
import numpy as np
import snntorch as snn
import torch
from snntorch.export_nir import export_to_nir

HERE = pathlib.Path(__file__).parent
# snnTorch 1.0's export ends with nir's type inference, which (nir 1.0.8)
# refuses the 0-d parameters of a Leaky with one β for the layer; the graph
# it built is complete without it.
nir.NIRGraph.infer_types = lambda self: None
DT = 1e-4  # snnTorch's export_to_nir
T = 12
torch.set_default_dtype(torch.float32)


def leaky(beta, threshold=1.0):
    return snn.Leaky(
        beta=beta,
        threshold=threshold,
        reset_mechanism="zero",
        reset_delay=False,
        init_hidden=True,
    )


def synaptic(alpha, beta, threshold=1.0):
    return snn.Synaptic(
        alpha=alpha,
        beta=beta,
        threshold=threshold,
        reset_mechanism="zero",
        reset_delay=False,
        init_hidden=True,
    )


def run_snntorch(net, x, steps):
    """snnTorch's forward in float64: per-step outputs [steps, n, out] and
    the smallest |v − θ| of any spiking neuron before its reset."""
    net = net.double()
    for m in net:
        if isinstance(m, snn.Synaptic):
            m.syn = torch.zeros(1, dtype=torch.float64)
        if isinstance(m, (snn.Leaky, snn.Synaptic)):
            m.mem = torch.zeros(1, dtype=torch.float64)
    xs = torch.tensor(x, dtype=torch.float64)
    outs, margin = [], np.inf
    with torch.no_grad():
        for _ in range(steps):
            h = xs
            for m in net:
                if isinstance(m, (snn.Leaky, snn.Synaptic)):
                    prev = m.mem if m.mem.shape == h.shape else torch.zeros_like(h)
                    h_in = h
                    h = m(h).double()
                    # The membrane the spike was decided on (m.mem is
                    # after the reset).
                    if isinstance(m, snn.Leaky):
                        v = m.beta.clamp(0, 1) * prev + h_in
                    else:
                        v = m.beta.clamp(0, 1) * prev + m.syn
                    margin = min(margin, float((v - m.threshold).abs().min()))
                else:
                    h = m(h).double()
            outs.append(h.numpy().copy())
    net.float()
    return np.stack(outs), margin


def one_value_params(graph):
    """A layer's one β is a 0-d array, which h5py cannot compress (nir.write
    refuses it): stored as one value, shape [1]."""
    for n in graph.nodes.values():
        for k, v in vars(n).items():
            if isinstance(v, np.ndarray) and v.ndim == 0 and k not in ("input_type", "output_type"):
                setattr(n, k, v.reshape(1))


def save(name, graph, inputs, per_step, margin, source, steps=T, dt=DT):
    path = HERE / f"{name}.nir"
    one_value_params(graph)
    nir.write(path, graph)
    sums = per_step.sum(axis=0)
    ref = {
        "source": source,
        "dt": dt,
        "steps": steps,
        "inputs": [np.asarray(x, dtype=np.float64).ravel().tolist() for x in inputs],
        "input_shape": list(np.asarray(inputs[0]).shape),
        "scores": sums.tolist(),
        "per_step": per_step.transpose(1, 0, 2).tolist(),
        "argmax": [int(np.argmax(s)) for s in sums],
        "min_threshold_margin": margin,
    }
    (HERE / f"{name}.json").write_text(json.dumps(ref, indent=1) + "\n")
    print(f"{name}: {path.stat().st_size} B, margin {margin:.3g}, scores {sums.tolist()}")


def dense_lif(seed):
    torch.manual_seed(seed)
    beta_hidden = torch.rand(12) * 0.3 + 0.65  # one β per neuron
    net = torch.nn.Sequential(
        torch.nn.Linear(16, 12),
        # snnTorch's export needs θ of β's shape.
        leaky(beta_hidden, threshold=torch.full((12,), 1.0)),
        torch.nn.Linear(12, 5),
        leaky(0.8, threshold=0.75),
    )
    with torch.no_grad():
        net[0].weight.mul_(4.0)
        net[0].bias.add_(0.2)
        net[2].weight.mul_(3.0)
        net[2].bias.add_(0.3)
    x = torch.rand(4, 16)
    graph = export_to_nir(net, torch.zeros(1, 16), ignore_dims=[0])
    per_step, margin = run_snntorch(net, x.numpy(), T)
    return graph, x.numpy(), per_step, margin


def conv_snn(seed, sum_pool):
    torch.manual_seed(seed)
    pool = (
        torch.nn.AvgPool2d(2, divisor_override=1) if sum_pool else torch.nn.AvgPool2d(2)
    )
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1),
        leaky(0.85),
        pool,
        torch.nn.Conv2d(4, 6, 3, stride=2, padding=2, dilation=2),
        leaky(0.9, threshold=0.8),
        torch.nn.Flatten(),
        torch.nn.Linear(6 * 3 * 3, 5),
        leaky(0.75),
    )
    with torch.no_grad():
        net[0].weight.mul_(3.0)
        net[0].bias.add_(0.2)
        net[3].weight.mul_(1.0 if sum_pool else 3.0)
        net[3].bias.add_(0.3)
        net[6].weight.mul_(6.0)
        net[6].bias.add_(0.4)
    x = torch.rand(4, 1, 12, 12)
    graph = export_to_nir(net, torch.zeros(1, 1, 12, 12), ignore_dims=[0])
    # Without nir's type inference, the shapes it would have filled in.
    graph.nodes["0"].input_shape = np.array([12, 12])
    graph.nodes["3"].input_shape = np.array([6, 6])
    graph.nodes["5"].input_type = {"input": np.array([6, 3, 3])}
    if sum_pool:
        # snnTorch exports every AvgPool2d as such: this one sums.
        for k, n in list(graph.nodes.items()):
            if isinstance(n, nir.AvgPool2d):
                graph.nodes[k] = nir.SumPool2d(
                    kernel_size=n.kernel_size, stride=n.stride, padding=n.padding
                )
    per_step, margin = run_snntorch(net, x.numpy(), T)
    return graph, x.numpy(), per_step, margin


def cuba_lif(seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(10, 8),
        synaptic(0.6, 0.85),
        torch.nn.Linear(8, 4),
        synaptic(0.5, 0.9, threshold=1.2),
    )
    with torch.no_grad():
        net[0].weight.mul_(1.5)
        net[2].weight.mul_(2.0)
    x = torch.rand(4, 10)
    graph = export_to_nir(net, torch.zeros(1, 10), ignore_dims=[0])
    per_step, margin = run_snntorch(net, x.numpy(), T)
    return graph, x.numpy(), per_step, margin


def if_li(seed):
    """Input → Affine → IF → Linear ─┐
          └→ Affine (skip) ────────→ (+) → LI → Output, in numpy."""
    rng = np.random.default_rng(seed)
    n_in, n_h, n_out = 9, 7, 4
    w1 = (rng.normal(size=(n_h, n_in)) * 0.8).astype(np.float32)
    b1 = (rng.normal(size=n_h) * 0.1).astype(np.float32)
    w2 = (rng.normal(size=(n_out, n_h)) * 0.7).astype(np.float32)
    ws = (rng.normal(size=(n_out, n_in)) * 0.3).astype(np.float32)
    bs = (rng.normal(size=n_out) * 0.1).astype(np.float32)
    r_if = np.full(n_h, 0.9, dtype=np.float32)
    thr = np.full(n_h, 1.1, dtype=np.float32)
    tau = (np.linspace(2e-3, 5e-3, n_out)).astype(np.float32)
    r_li = np.full(n_out, 1.0, dtype=np.float32) * (tau / np.float32(DT))
    v_leak = np.linspace(-0.1, 0.2, n_out).astype(np.float32)
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([n_in])}),
            "fc1": nir.Affine(weight=w1, bias=b1),
            "if1": nir.IF(r=r_if, v_threshold=thr, v_reset=np.zeros(n_h, np.float32)),
            "fc2": nir.Linear(weight=w2),
            "skip": nir.Affine(weight=ws, bias=bs),
            "li": nir.LI(tau=tau, r=r_li, v_leak=v_leak),
            "output": nir.Output(output_type={"output": np.array([n_out])}),
        },
        edges=[
            ("input", "fc1"),
            ("fc1", "if1"),
            ("if1", "fc2"),
            ("input", "skip"),
            ("fc2", "li"),
            ("skip", "li"),
            ("li", "output"),
        ],
    )
    x = rng.uniform(0, 1, size=(4, n_in))
    f64 = lambda a: np.asarray(a, dtype=np.float64)
    outs, margin = [], np.inf
    v_if = np.zeros((4, n_h))
    v_li = np.zeros((4, n_out))
    for _ in range(T):
        # IF: dv/dt = R·I, one step adds R·I (NIR's per-step gain; no τ).
        v_if = v_if + f64(r_if) * (x @ f64(w1).T + f64(b1))
        s = (v_if > f64(thr)).astype(np.float64)
        margin = min(margin, float(np.abs(v_if - f64(thr)).min()))
        v_if = np.where(s > 0, 0.0, v_if)  # v ← v_reset = 0
        i_li = s @ f64(w2).T + x @ f64(ws).T + f64(bs)
        # LI: τ dv/dt = (v_leak − v) + R·I, Euler with Δt.
        v_li = v_li + DT / f64(tau) * (f64(v_leak) - v_li + f64(r_li) * i_li)
        outs.append(v_li.copy())
    return graph, x, np.stack(outs), margin


def bad_models():
    """Files the importer must refuse, each at one node."""
    w = np.ones((3, 4), np.float32)
    lif = lambda n: nir.LIF(
        tau=np.full(n, 1e-3), r=np.full(n, 10.0), v_leak=np.zeros(n), v_threshold=np.ones(n)
    )
    # A recurrent connection: lif → rec → lif.
    rec = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([4])}),
            "fc": nir.Affine(weight=w, bias=np.zeros(3, np.float32)),
            "lif": lif(3),
            "rec": nir.Linear(weight=np.eye(3, dtype=np.float32)),
            "output": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"), ("lif", "output")],
        type_check=False,
    )
    nir.write(HERE / "refused_recurrent.nir", rec)
    # A node type xbarsim does not run (a delay line).
    delay = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([4])}),
            "fc": nir.Affine(weight=w, bias=np.zeros(3, np.float32)),
            "wait": nir.Delay(delay=np.ones(3, np.float32)),
            "output": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("input", "fc"), ("fc", "wait"), ("wait", "output")],
        type_check=False,
    )
    nir.write(HERE / "refused_delay.nir", delay)
    # A weight that does not fit its input (5 inputs, 4 weights per row).
    shape = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type={"input": np.array([5])}),
            "fc": nir.Affine(weight=w, bias=np.zeros(3, np.float32)),
            "lif": lif(3),
            "output": nir.Output(output_type={"output": np.array([3])}),
        },
        edges=[("input", "fc"), ("fc", "lif"), ("lif", "output")],
        type_check=False,
    )
    nir.write(HERE / "refused_shape.nir", shape)


def draw(name, make, source):
    for seed in range(1, 50):
        graph, x, per_step, margin = make(seed)
        if margin > 1e-5:
            save(name, graph, list(x), per_step, margin, source)
            return graph
        print(f"{name}: seed {seed} has a threshold margin {margin:.2g}; next seed")
    raise SystemExit(f"{name}: no seed with a clear threshold margin")


def main():
    draw("dense_lif", dense_lif, "snnTorch 1.0 Leaky (export_to_nir; snnTorch forward, float64)")
    draw(
        "conv_avgpool",
        lambda s: conv_snn(s, sum_pool=False),
        "snnTorch 1.0 Conv2d/Leaky/AvgPool2d/Flatten/Linear (export_to_nir; snnTorch forward, float64)",
    )
    draw(
        "conv_sumpool",
        lambda s: conv_snn(s, sum_pool=True),
        "snnTorch 1.0 with AvgPool2d(divisor_override=1) written as NIR SumPool2d (snnTorch forward, float64)",
    )
    draw("cuba_lif", cuba_lif, "snnTorch 1.0 Synaptic as NIR CubaLIF (export_to_nir; snnTorch forward, float64)")
    draw("if_li", if_li, "numpy simulation of the NIR equations (IF, LI, Affine, Linear, summed edges)")
    bad_models()


if __name__ == "__main__":
    main()
