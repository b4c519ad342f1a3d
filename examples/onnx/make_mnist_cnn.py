"""Trains the small convolutional network of `mnist-cnn.onnx` and writes it
as ONNX (opset 13), with a 500-image `.npz` test set beside it.

    conv 1→8, 5×5, stride 2, pad 2 → ReLU → max-pool 2×2
    conv 8→16, 3×3, pad 1 → batch-norm → ReLU → average-pool 2×2
    flatten (144) → linear 144→10

Trained here with numpy (mini-batch SGD with momentum, cross-entropy,
batch-norm with batch statistics, 3 epochs on the 60 000 MNIST training
images, seed 1), because PyTorch cannot be installed on the machine that
made the committed files; `torch.onnx.export` of the same network writes the
same ONNX ops (Conv, Relu, MaxPool, BatchNormalization, AveragePool,
Flatten, Gemm). onnxruntime's test accuracy is printed and recorded in
`mnist-cnn.json`, and xbarsim's test `tests/cli_onnx.rs` checks that its
software accuracy on the same images is the same.

    python3 -m venv /tmp/onnx && /tmp/onnx/bin/pip install onnx onnxruntime numpy
    /tmp/onnx/bin/python examples/onnx/make_mnist_cnn.py ../shared/data/mnist
"""

import gzip
import json
import os
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * k : 8 + 4 * k], "big") for k in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def im2col(x, k, stride, pad):
    n, c, h, w = x.shape
    oh = (h + 2 * pad - k) // stride + 1
    ow = (w + 2 * pad - k) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, k, k, oh, ow), x.dtype)
    for i in range(k):
        for j in range(k):
            cols[:, :, i, j] = xp[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride]
    return cols.reshape(n, c * k * k, oh * ow), oh, ow


def col2im(cols, shape, k, stride, pad, oh, ow):
    n, c, h, w = shape
    xp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), cols.dtype)
    cols = cols.reshape(n, c, k, k, oh, ow)
    for i in range(k):
        for j in range(k):
            xp[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] += cols[:, :, i, j]
    return xp[:, :, pad : pad + h, pad : pad + w]


class Net:
    def __init__(self, rng):
        u = lambda fan, *s: rng.uniform(-1, 1, s).astype(np.float32) / np.sqrt(fan)
        self.p = {
            "w1": u(25, 8, 1, 5, 5), "b1": np.zeros(8, np.float32),
            "w2": u(72, 16, 8, 3, 3), "b2": np.zeros(16, np.float32),
            "g": np.ones(16, np.float32), "beta": np.zeros(16, np.float32),
            "w3": u(144, 10, 144), "b3": np.zeros(10, np.float32),
        }
        self.mean = np.zeros(16, np.float32)
        self.var = np.ones(16, np.float32)

    def forward(self, x, train):
        p, c = self.p, {}
        n = x.shape[0]
        cols1, oh, ow = im2col(x, 5, 2, 2)                       # n, 25, 196
        z1 = np.einsum("ok,nkp->nop", p["w1"].reshape(8, -1), cols1) + p["b1"][:, None]
        a1 = np.maximum(z1, 0).reshape(n, 8, 14, 14)
        win = a1.reshape(n, 8, 7, 2, 7, 2)
        m1 = win.max(axis=(3, 5))                                 # n, 8, 7, 7
        cols2, _, _ = im2col(m1, 3, 1, 1)                         # n, 72, 49
        z2 = np.einsum("ok,nkp->nop", p["w2"].reshape(16, -1), cols2) + p["b2"][:, None]
        if train:
            mu, var = z2.mean(axis=(0, 2)), z2.var(axis=(0, 2))
            self.mean = 0.9 * self.mean + 0.1 * mu
            self.var = 0.9 * self.var + 0.1 * var * (n * 49) / (n * 49 - 1)
        else:
            mu, var = self.mean, self.var
        inv = 1.0 / np.sqrt(var + 1e-5)
        zh = (z2 - mu[:, None]) * inv[:, None]
        y2 = zh * p["g"][:, None] + p["beta"][:, None]
        a2 = np.maximum(y2, 0).reshape(n, 16, 7, 7)
        pooled = a2[:, :, :6, :6].reshape(n, 16, 3, 2, 3, 2).mean(axis=(3, 5))
        f = pooled.reshape(n, 144)
        logits = f @ p["w3"].T + p["b3"]
        c.update(locals())
        return logits, c

    def step(self, x, y, lr, mom, vel):
        logits, c = self.forward(x, True)
        n = x.shape[0]
        e = np.exp(logits - logits.max(axis=1, keepdims=True))
        prob = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(prob[np.arange(n), y] + 1e-12).mean()
        d = prob
        d[np.arange(n), y] -= 1
        d /= n
        p, g = self.p, {}
        g["w3"] = d.T @ c["f"]
        g["b3"] = d.sum(0)
        df = (d @ p["w3"]).reshape(n, 16, 3, 1, 3, 1) / 4.0
        da2 = np.zeros((n, 16, 7, 7), np.float32)
        da2[:, :, :6, :6] = np.broadcast_to(df, (n, 16, 3, 2, 3, 2)).reshape(n, 16, 6, 6)
        dy2 = (da2.reshape(n, 16, 49)) * (c["y2"] > 0)
        g["g"] = (dy2 * c["zh"]).sum(axis=(0, 2))
        g["beta"] = dy2.sum(axis=(0, 2))
        dzh = dy2 * p["g"][:, None]
        m = n * 49
        dz2 = (c["inv"][:, None] / m) * (
            m * dzh - dzh.sum(axis=(0, 2))[:, None] - c["zh"] * (dzh * c["zh"]).sum(axis=(0, 2))[:, None]
        )
        g["w2"] = np.einsum("nop,nkp->ok", dz2, c["cols2"]).reshape(p["w2"].shape)
        g["b2"] = dz2.sum(axis=(0, 2))
        dcols2 = np.einsum("ok,nop->nkp", p["w2"].reshape(16, -1), dz2)
        dm1 = col2im(dcols2, (n, 8, 7, 7), 3, 1, 1, 7, 7)
        win = c["win"]
        mask = win == c["m1"][:, :, :, None, :, None]
        da1 = (mask * dm1[:, :, :, None, :, None]).reshape(n, 8, 196)
        dz1 = da1 * (c["z1"] > 0)
        g["w1"] = np.einsum("nop,nkp->ok", dz1, c["cols1"]).reshape(p["w1"].shape)
        g["b1"] = dz1.sum(axis=(0, 2))
        for k in p:
            vel[k] = mom * vel[k] + g[k]
            p[k] -= lr * vel[k]
        return loss


def export(net, path):
    p = net.p
    f32 = lambda a: np.asarray(a, np.float32)
    inits = [
        numpy_helper.from_array(f32(p["w1"]), "conv1.weight"),
        numpy_helper.from_array(f32(p["b1"]), "conv1.bias"),
        numpy_helper.from_array(f32(p["w2"]), "conv2.weight"),
        numpy_helper.from_array(f32(p["b2"]), "conv2.bias"),
        numpy_helper.from_array(f32(p["g"]), "bn2.weight"),
        numpy_helper.from_array(f32(p["beta"]), "bn2.bias"),
        numpy_helper.from_array(f32(net.mean), "bn2.running_mean"),
        numpy_helper.from_array(f32(net.var), "bn2.running_var"),
        numpy_helper.from_array(f32(p["w3"]), "fc.weight"),
        numpy_helper.from_array(f32(p["b3"]), "fc.bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["c1"], name="/conv1/Conv",
                         kernel_shape=[5, 5], strides=[2, 2], pads=[2, 2, 2, 2]),
        helper.make_node("Relu", ["c1"], ["r1"], name="/relu1/Relu"),
        helper.make_node("MaxPool", ["r1"], ["m1"], name="/pool1/MaxPool", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["m1", "conv2.weight", "conv2.bias"], ["c2"], name="/conv2/Conv",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization",
                         ["c2", "bn2.weight", "bn2.bias", "bn2.running_mean", "bn2.running_var"],
                         ["b2"], name="/bn2/BatchNormalization", epsilon=1e-5),
        helper.make_node("Relu", ["b2"], ["r2"], name="/relu2/Relu"),
        helper.make_node("AveragePool", ["r2"], ["a2"], name="/pool2/AveragePool",
                         kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Flatten", ["a2"], ["f"], name="/flatten/Flatten", axis=1),
        helper.make_node("Gemm", ["f", "fc.weight", "fc.bias"], ["logits"], name="/fc/Gemm", transB=1),
    ]
    graph = helper.make_graph(
        nodes, "mnist_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)],
                              producer_name="xbarsim examples/onnx/make_mnist_cnn.py")
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)


def main():
    mnist = sys.argv[1] if len(sys.argv) > 1 else "../shared/data/mnist"
    xtr = idx(os.path.join(mnist, "train-images-idx3-ubyte.gz")).astype(np.float32)[:, None] / 255
    ytr = idx(os.path.join(mnist, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    xte = idx(os.path.join(mnist, "t10k-images-idx3-ubyte.gz")).astype(np.float32)[:, None] / 255
    yte = idx(os.path.join(mnist, "t10k-labels-idx1-ubyte.gz")).astype(np.int64)
    rng = np.random.default_rng(1)
    net = Net(rng)
    vel = {k: np.zeros_like(v) for k, v in net.p.items()}
    for epoch in range(3):
        order = rng.permutation(len(xtr))
        lr = [0.05, 0.05, 0.01][epoch]
        losses = []
        for s in range(0, len(order), 64):
            b = order[s : s + 64]
            losses.append(net.step(xtr[b], ytr[b], lr, 0.9, vel))
        print("epoch", epoch + 1, "loss %.4f" % np.mean(losses), flush=True)
    path = os.path.join(HERE, "mnist-cnn.onnx")
    export(net, path)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (logits,) = session.run(None, {"input": xte})
    accuracy = float((logits.argmax(1) == yte).mean())
    subset = (logits[:500].argmax(1) == yte[:500]).mean()
    print("onnxruntime test accuracy %.4f (first 500: %.4f)" % (accuracy, subset))
    raw = idx(os.path.join(mnist, "t10k-images-idx3-ubyte.gz"))[:500]
    np.savez_compressed(os.path.join(HERE, "mnist-test-500.npz"),
                        images=raw[:, None], labels=yte[:500].astype(np.uint8))
    with open(os.path.join(HERE, "mnist-cnn.json"), "w") as f:
        json.dump({
            "made_by": "onnx %s, onnxruntime %s, numpy %s" % (onnx.__version__, ort.__version__, np.__version__),
            "onnxruntime_test_accuracy": accuracy,
            "onnxruntime_first_500_accuracy": float(subset),
            "onnxruntime_first_500_predictions": logits[:500].argmax(1).tolist(),
        }, f)


if __name__ == "__main__":
    main()
