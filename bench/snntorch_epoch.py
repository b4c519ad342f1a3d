"""One training epoch of a 784-128-10 LIF network in snnTorch, timed.

The snnTorch side of bench/training.sh (see bench/README.md): the network of
snnTorch tutorial 5 — Linear(784, 128), Leaky, Linear(128, 10), Leaky with
beta = 0.95, threshold 1, reset by subtraction and the fast-sigmoid surrogate
(slope 25) — on rate-coded (Bernoulli) MNIST, T = 25 steps, batch 128,
cross-entropy on the output spike counts (snntorch.functional.ce_count_loss),
Adam (lr 5e-4, betas 0.9/0.999), one shuffled pass over the training set with
the last partial batch included.

    python snntorch_epoch.py [--data DIR] [--threads N] [--batches K]
                             [--train-limit N] [--seed S]

Timed: the whole epoch — per batch the gather of the shuffled batch, the
Bernoulli encoding (spikegen.rate), forward over T steps, loss, backward and
the optimiser step. Not timed: reading and decoding the IDX files, the
conversion to a float tensor, building the model. With --batches K only the
first K batches are run and the epoch time is extrapolated linearly to the
full number of batches ("extrapolated": true in the output).

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


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default=os.path.normpath(os.path.join(here, "..", "..", "shared", "data", "mnist")))
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    ap.add_argument("--batches", type=int, default=None, help="time only the first K batches and extrapolate")
    ap.add_argument("--train-limit", type=int, default=None, help="use only the first N training images")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--steps", type=int, default=25)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--hidden", type=int, default=128)
    args = ap.parse_args()

    import torch
    import torch.nn as nn
    import snntorch
    import snntorch as snn
    import snntorch.functional as SF
    from snntorch import spikegen, surrogate

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    # Data loading (not timed).
    images = read_idx(find(args.data, "train-images-idx3-ubyte"))
    labels = read_idx(find(args.data, "train-labels-idx1-ubyte"))
    if args.train_limit is not None:
        images, labels = images[: args.train_limit], labels[: args.train_limit]
    n = len(images)
    x_all = torch.from_numpy(images.reshape(n, -1).astype(np.float32) / 255.0)
    y_all = torch.from_numpy(labels.astype(np.int64))

    beta, steps, bs = 0.95, args.steps, args.batch_size
    grad = surrogate.fast_sigmoid(slope=25)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(784, args.hidden)
            self.lif1 = snn.Leaky(beta=beta, threshold=1.0, spike_grad=grad, reset_mechanism="subtract")
            self.fc2 = nn.Linear(args.hidden, 10)
            self.lif2 = snn.Leaky(beta=beta, threshold=1.0, spike_grad=grad, reset_mechanism="subtract")

        def forward(self, spikes):  # spikes: [T, B, 784]
            mem1 = self.lif1.init_leaky()
            mem2 = self.lif2.init_leaky()
            out = []
            for t in range(spikes.shape[0]):
                spk1, mem1 = self.lif1(self.fc1(spikes[t]), mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                out.append(spk2)
            return torch.stack(out)  # [T, B, 10]

    net = Net()
    loss_fn = SF.ce_count_loss()
    opt = torch.optim.Adam(net.parameters(), lr=5e-4, betas=(0.9, 0.999))

    total_batches = math.ceil(n / bs)
    run_batches = total_batches if args.batches is None else min(args.batches, total_batches)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(args.seed))

    correct = torch.zeros((), dtype=torch.int64)
    seen = 0
    loss_sum = torch.zeros(())
    last_batch_acc = 0.0
    net.train()
    t0 = time.perf_counter()
    for b in range(run_batches):
        idx = perm[b * bs : (b + 1) * bs]
        x, y = x_all[idx], y_all[idx]
        spikes = spikegen.rate(x, num_steps=steps)  # torch.bernoulli per step
        spk_out = net(spikes)
        loss = loss_fn(spk_out, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        with torch.no_grad():
            hits = (spk_out.sum(0).argmax(1) == y).sum()
            correct += hits
            loss_sum += loss.detach() * len(y)
        seen += len(y)
        if b == run_batches - 1:
            last_batch_acc = hits.item() / len(y)
    elapsed = time.perf_counter() - t0

    extrapolated = run_batches < total_batches
    print(json.dumps({
        "peer": "snntorch",
        "torch": torch.__version__,
        "snntorch": snntorch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "images": n,
        "batches": total_batches,
        "timed_batches": run_batches,
        "timed_s": round(elapsed, 4),
        "epoch_s": round(elapsed * total_batches / run_batches, 4),
        "extrapolated": extrapolated,
        "train_loss": round(loss_sum.item() / seen, 6),
        "train_acc_last_epoch": round(correct.item() / seen, 6),
        "train_acc_last_batch": round(last_batch_acc, 6),
    }))


if __name__ == "__main__":
    sys.exit(main())
