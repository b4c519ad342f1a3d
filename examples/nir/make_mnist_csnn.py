"""Trains the small convolutional spiking network of `mnist-csnn.nir` in
snnTorch and writes it with `snntorch.export_to_nir`:

    conv 1→8, 5×5, stride 2, pad 2 → LIF (β 0.9) → average-pool 2×2
    flatten (392) → linear 392→10 → LIF (β 0.9)

T = 8 steps, the image as a constant input current at each step (direct
encoding), spike counts of the output layer as the class scores. The LIF
neurons reset to zero (`reset_mechanism="zero"`, `reset_delay=False`): NIR's
`v_reset = 0`, which is what the file says and what xbarsim runs. Trained
with snnTorch's surrogate gradient (BPTT, Adam, cross-entropy on the spike
counts), one epoch on the 60 000 MNIST training images, seed 1.

snnTorch's own forward pass (float64) on the 500 test images of
`examples/onnx/mnist-test-500.npz` gives the predictions and accuracy that
`mnist-csnn.json` records; `tests/cli_nir.rs` checks that `xbarsim evaluate
--model mnist-csnn.nir --steps 8` scores the same software accuracy.

    python examples/nir/make_mnist_csnn.py ../shared/data/mnist
"""

import gzip
import json
import os
import sys

import numpy as np
import snntorch as snn
import torch
from snntorch import surrogate
from snntorch.export_nir import export_to_nir

import nir

HERE = os.path.dirname(os.path.abspath(__file__))
# snnTorch 1.0's export ends with nir's type inference, which (nir 1.0.8)
# refuses the 0-d parameters of a Leaky with one β for the layer; the graph
# it built is complete without it.
nir.NIRGraph.infer_types = lambda self: None
T = 8
DT = 1e-4  # snnTorch's export_to_nir


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def network():
    lif = lambda: snn.Leaky(
        beta=0.9,
        spike_grad=surrogate.fast_sigmoid(slope=25),
        reset_mechanism="zero",
        reset_delay=False,
        init_hidden=True,
    )
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 8, 5, stride=2, padding=2),
        lif(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(392, 10),
        lif(),
    )


def counts(net, x):
    """Output spike counts over T steps (the state starts at 0)."""
    for m in net:
        if isinstance(m, snn.Leaky):
            m.mem = torch.zeros(1, dtype=x.dtype)
    total = 0
    for _ in range(T):
        h = x
        for m in net:
            # snnTorch's spikes are float32 whatever the membrane's type.
            h = m(h).to(x.dtype)
        total = total + h
    return total


def main():
    mnist = sys.argv[1]
    torch.manual_seed(1)
    torch.set_num_threads(2)
    images = idx(os.path.join(mnist, "train-images-idx3-ubyte.gz"))
    labels = idx(os.path.join(mnist, "train-labels-idx1-ubyte.gz"))
    x_all = torch.tensor(images[:, None] / 255.0, dtype=torch.float32)
    y_all = torch.tensor(labels, dtype=torch.long)
    net = network()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    order = torch.randperm(len(x_all))
    for b in range(0, len(order), 128):
        i = order[b : b + 128]
        loss = torch.nn.functional.cross_entropy(counts(net, x_all[i]), y_all[i])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if b % 12800 == 0:
            print(f"batch {b // 128}: loss {loss.item():.3f}", flush=True)
    net.eval()
    torch.save(net.state_dict(), "/tmp/mnist-csnn.pt")
    graph = export_to_nir(net, torch.zeros(1, 1, 28, 28), ignore_dims=[0])
    for n in graph.nodes.values():
        for k, v in vars(n).items():
            if isinstance(v, np.ndarray) and v.ndim == 0 and k not in ("input_type", "output_type"):
                setattr(n, k, v.reshape(1))
    graph.nodes["0"].input_shape = np.array([28, 28])
    graph.nodes["3"].input_type = {"input": np.array([8, 7, 7])}
    nir.write(os.path.join(HERE, "mnist-csnn.nir"), graph)
    record(net)


def record(net):
    """snnTorch's predictions on the 500 test images, in float64."""
    test = np.load(os.path.join(HERE, "..", "onnx", "mnist-test-500.npz"))
    x = torch.tensor(test["images"] / 255.0, dtype=torch.float64)
    net = net.double()
    with torch.no_grad():
        scores = counts(net, x).numpy()
    pred = scores.argmax(axis=1)
    accuracy = float((pred == test["labels"]).mean())
    record = {
        "steps": T,
        "dt": DT,
        "snntorch_first_500_accuracy": accuracy,
        "snntorch_first_500_predictions": pred.tolist(),
        "snntorch_first_500_spike_counts": scores.astype(int).tolist(),
    }
    with open(os.path.join(HERE, "mnist-csnn.json"), "w") as f:
        json.dump(record, f)
        f.write("\n")
    print(f"snnTorch accuracy on the 500 test images: {accuracy:.3f}")


if __name__ == "__main__":
    main()
