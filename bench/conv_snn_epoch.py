"""One training epoch of snnTorch tutorial 6's convolutional SNN, timed.

The snnTorch side of bench/conv-snn.sh (see bench/README.md): Conv2d(1, 12, 5),
MaxPool2d(2), Leaky, Conv2d(12, 64, 5), MaxPool2d(2), Leaky, Flatten,
Linear(64*4*4, 10), Leaky — every Leaky with init_hidden=True (membranes
reset to zero before each batch by snntorch.utils.reset), reset by
subtraction, threshold 1, the fast-sigmoid surrogate (slope 25) — on MNIST
fed as a constant current at every one of T = 10 steps (direct encoding),
batch 128, cross-entropy on the output spike counts
(snntorch.functional.ce_count_loss), Adam (betas 0.9/0.999), one shuffled
pass over the training set with the last partial batch included.

    python conv_snn_epoch.py [--data DIR] [--threads N] [--batches K]
                             [--train-limit N] [--seed S] [--beta B] [--lr LR]
                             [--init XBARSIM.safetensors] [--epochs E] [--losses]

Timed: the epoch's training loop — per batch the gather of the shuffled
batch, forward over T steps, loss, backward and the optimiser step. Not
timed: reading and decoding the IDX files, the conversion to a float tensor,
building the model. With --batches K only the first K batches are run and
the epoch time is extrapolated linearly to the full number of batches
("extrapolated": true in the output).

--init FILE loads the initial weights from an xbarsim-graph safetensors file
(nodes.0 / nodes.3 / nodes.7 weight and bias, f64, cast to f32) so that both
sides start from the same point; --epochs E repeats the pass (with
--train-limit 128 every epoch is the same single batch, so the loss sequence
is comparable with xbarsim's per-epoch train_loss); --losses adds the loss
of every batch to the output.

Prints one JSON line.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import numpy as np


def read_idx(path):
    """An IDX file (gzip or plain) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def find(data_dir, stem):
    for name in (stem + ".gz", stem):
        p = os.path.join(data_dir, name)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(f"{stem}[.gz] not found in {data_dir}")


def read_safetensors(path):
    """The tensors of a safetensors file as numpy arrays (F64/F32 only)."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt = {"F64": np.float64, "F32": np.float32}[info["dtype"]]
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(blob[8 + n + a : 8 + n + b], dtype=dt).reshape(info["shape"])
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.environ.get("XBARSIM_MNIST_DIR",
                    os.path.normpath(os.path.join(here, "..", "..", "shared", "data", "mnist"))))
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--batches", type=int, default=None, help="time only the first K batches and extrapolate")
    ap.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--beta", type=float, default=0.5)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--init", default=None, help="initial weights from an xbarsim-graph safetensors file")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--losses", action="store_true", help="report every batch's loss")
    args = ap.parse_args()

    import torch
    import torch.nn as nn
    import snntorch
    import snntorch as snn
    import snntorch.functional as SF
    from snntorch import surrogate, utils

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # Data loading (not timed).
    images = read_idx(find(args.data, "train-images-idx3-ubyte"))
    labels = read_idx(find(args.data, "train-labels-idx1-ubyte"))
    if args.train_limit is not None:
        images, labels = images[: args.train_limit], labels[: args.train_limit]
    n = len(images)
    x_all = torch.from_numpy(images.reshape(n, 1, 28, 28).astype(np.float32) / 255.0)
    y_all = torch.from_numpy(labels.astype(np.int64))

    beta, steps, bs = args.beta, args.steps, args.batch_size
    grad = surrogate.fast_sigmoid(slope=25)

    def leaky(output=False):
        return snn.Leaky(beta=beta, threshold=1.0, spike_grad=grad, init_hidden=True,
                         reset_mechanism="subtract", output=output)

    # snnTorch tutorial 6.
    net = nn.Sequential(
        nn.Conv2d(1, 12, 5), nn.MaxPool2d(2), leaky(),
        nn.Conv2d(12, 64, 5), nn.MaxPool2d(2), leaky(),
        nn.Flatten(), nn.Linear(64 * 4 * 4, 10), leaky(output=True),
    )
    if args.init:
        t = read_safetensors(args.init)
        with torch.no_grad():
            for i in (0, 3, 7):
                net[i].weight.copy_(torch.from_numpy(t[f"nodes.{i}.weight"].astype(np.float32)))
                net[i].bias.copy_(torch.from_numpy(t[f"nodes.{i}.bias"].astype(np.float32)))

    def forward(x):  # direct encoding: the image is the input current at every step
        utils.reset(net)
        out = []
        for _ in range(steps):
            spk, _mem = net(x)
            out.append(spk)
        return torch.stack(out)  # [T, B, 10]

    loss_fn = SF.ce_count_loss()
    opt = torch.optim.Adam(net.parameters(), lr=args.lr, betas=(0.9, 0.999))

    total_batches = math.ceil(n / bs)
    run_batches = total_batches if args.batches is None else min(args.batches, total_batches)
    gen = torch.Generator().manual_seed(args.seed)

    losses = []
    correct = torch.zeros((), dtype=torch.int64)
    seen = 0
    loss_sum = torch.zeros(())
    net.train()
    t0 = time.perf_counter()
    for _epoch in range(args.epochs):
        perm = torch.randperm(n, generator=gen)
        correct.zero_()
        loss_sum.zero_()
        seen = 0
        for b in range(run_batches):
            idx = perm[b * bs : (b + 1) * bs]
            x, y = x_all[idx], y_all[idx]
            spk_out = forward(x)
            loss = loss_fn(spk_out, y)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                correct += (spk_out.sum(0).argmax(1) == y).sum()
                loss_sum += loss.detach() * len(y)
            seen += len(y)
            if args.losses:
                losses.append(loss.item())
    elapsed = time.perf_counter() - t0

    extrapolated = run_batches < total_batches
    epoch_s = elapsed / args.epochs
    result = {
        "peer": "snntorch",
        "network": "tutorial 6: 12C5-MP2-LIF-64C5-MP2-LIF-FC10-LIF",
        "torch": torch.__version__,
        "snntorch": snntorch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "steps": steps,
        "batch_size": bs,
        "beta": beta,
        "lr": args.lr,
        "images": n,
        "batches": total_batches,
        "timed_batches": run_batches,
        "epochs": args.epochs,
        "timed_s": round(elapsed, 4),
        "epoch_s": round(epoch_s * total_batches / run_batches, 4),
        "extrapolated": extrapolated,
        "train_loss": round(loss_sum.item() / seen, 6),
        "train_acc": round(correct.item() / seen, 6),
    }
    if args.losses:
        result["losses"] = [round(v, 6) for v in losses]
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
