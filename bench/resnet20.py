"""Writes a ResNet-20 (He et al., CVPR 2016, the CIFAR-10 network: 3 stages
of 3 basic blocks, 16/32/64 channels, option-B 1×1 projection shortcuts,
0.27 M parameters, 41 M multiply-accumulates per image) with seeded random
weights and batch-norm statistics as ONNX, and N random 3×32×32 images as
`.npz`, for `bench/resnet20.sh` (speed and memory only: the weights are
not trained, so the accuracy is chance).

    python resnet20.py OUT_DIR [N]
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

rng = np.random.default_rng(20)
nodes, inits = [], []


def const(name, a):
    inits.append(numpy_helper.from_array(np.asarray(a, np.float32), name))
    return name


def conv_bn(name, x, c_in, c_out, k, stride, relu):
    w = const(name + ".w", rng.normal(0, np.sqrt(2.0 / (c_in * k * k)), (c_out, c_in, k, k)))
    nodes.append(helper.make_node("Conv", [x, w], [name + ".c"], name=name,
                                  kernel_shape=[k, k], strides=[stride] * 2, pads=[k // 2] * 4))
    bn = [const(name + s, v) for s, v in [
        (".g", rng.uniform(0.8, 1.2, c_out)), (".b", rng.uniform(-0.1, 0.1, c_out)),
        (".m", rng.uniform(-0.1, 0.1, c_out)), (".v", rng.uniform(0.8, 1.2, c_out))]]
    out = name + (".n" if relu else ".y")
    nodes.append(helper.make_node("BatchNormalization", [name + ".c"] + bn, [out], name=name + ".bn"))
    if relu:
        nodes.append(helper.make_node("Relu", [out], [name + ".y"], name=name + ".relu"))
    return name + ".y"


def main():
    out_dir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    os.makedirs(out_dir, exist_ok=True)
    x = conv_bn("stem", "input", 3, 16, 3, 1, True)
    c = 16
    for stage, width in enumerate([16, 32, 64]):
        for block in range(3):
            stride = 2 if stage > 0 and block == 0 else 1
            name = "s%d.b%d" % (stage, block)
            y = conv_bn(name + ".conv1", x, c, width, 3, stride, True)
            y = conv_bn(name + ".conv2", y, width, width, 3, 1, False)
            shortcut = x if (stride == 1 and c == width) else conv_bn(name + ".proj", x, c, width, 1, stride, False)
            nodes.append(helper.make_node("Add", [y, shortcut], [name + ".sum"], name=name + ".add"))
            nodes.append(helper.make_node("Relu", [name + ".sum"], [name + ".out"], name=name + ".relu"))
            x, c = name + ".out", width
    nodes.append(helper.make_node("GlobalAveragePool", [x], ["gap"], name="gap"))
    nodes.append(helper.make_node("Flatten", ["gap"], ["flat"], name="flatten"))
    fc_w = const("fc.w", rng.normal(0, np.sqrt(1.0 / 64), (10, 64)))
    fc_b = const("fc.b", np.zeros(10))
    nodes.append(helper.make_node("Gemm", ["flat", fc_w, fc_b], ["logits"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "resnet20",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 3, 32, 32])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", 10])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, os.path.join(out_dir, "resnet20.onnx"))
    params = sum(int(np.prod(t.dims)) for t in inits)
    images = rng.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    np.savez(os.path.join(out_dir, "images.npz"), images=images, labels=labels)
    print("resnet20.onnx: %d parameters; images.npz: %d images" % (params, n))


if __name__ == "__main__":
    main()
