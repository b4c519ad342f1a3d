"""Makes the ONNX test models of xbar-import and their reference outputs.

Each model is built with the `onnx` package's helpers (opset 13), checked
with `onnx.checker`, and run by onnxruntime on seeded random inputs; the
inputs and onnxruntime's outputs are written beside the model as JSON
(`<name>.json`: {"input_shape", "inputs", "outputs"}), which the Rust test
`import/tests/onnx_reference.rs` compares xbarsim's forward pass against.

    python3 -m venv /tmp/onnx && /tmp/onnx/bin/pip install onnx onnxruntime numpy
    /tmp/onnx/bin/python import/tests/models/make_models.py

The versions that made the committed files are in each JSON file's
`made_by`.
"""

import json
import os

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
rng = np.random.default_rng(20261207)


def const(name, array):
    return numpy_helper.from_array(np.asarray(array, dtype=np.float32), name)


def weights(name, *shape, scale=None):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    scale = scale or 1.0 / np.sqrt(fan_in)
    return const(name, rng.uniform(-scale, scale, size=shape))


def batch_norm(prefix, x, y, channels):
    inits = [
        const(prefix + "_gamma", rng.uniform(0.5, 1.5, channels)),
        const(prefix + "_beta", rng.uniform(-0.2, 0.2, channels)),
        const(prefix + "_mean", rng.uniform(-0.1, 0.1, channels)),
        const(prefix + "_var", rng.uniform(0.5, 2.0, channels)),
    ]
    node = helper.make_node(
        "BatchNormalization",
        [x] + [i.name for i in inits],
        [y],
        name=prefix,
        epsilon=1e-3,
    )
    return node, inits


def save(name, graph, input_shape, batch=5):
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 13)],
        producer_name="xbarsim make_models.py",
    )
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    path = os.path.join(HERE, name + ".onnx")
    onnx.save(model, path)
    x = rng.uniform(-1.0, 1.0, size=(batch,) + tuple(input_shape)).astype(np.float32)
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = session.run(None, {graph.input[0].name: x})
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(
            {
                "made_by": "onnx %s, onnxruntime %s, numpy %s"
                % (onnx.__version__, ort.__version__, np.__version__),
                "input_shape": list(input_shape),
                "inputs": x.reshape(batch, -1).astype(float).tolist(),
                "outputs": y.reshape(batch, -1).astype(float).tolist(),
            },
            f,
        )
    print(name, "inputs", x.shape, "outputs", y.shape)


def every_op():
    """Conv (stride, padding, dilation, bias), BatchNormalization, Relu,
    MaxPool with asymmetric padding, AveragePool with padding not counted,
    Flatten, Gemm (transB, alpha, beta), MatMul + Add, Mul by a
    per-channel constant, Identity and Dropout."""
    inits = [weights("c1_w", 4, 2, 3, 3), const("c1_b", rng.uniform(-0.1, 0.1, 4))]
    nodes = [
        helper.make_node("Conv", ["x", "c1_w", "c1_b"], ["c1"], name="conv1",
                         strides=[2, 2], pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
    ]
    bn, bn_inits = batch_norm("bn1", "c1", "b1", 4)
    nodes.append(bn)
    inits += bn_inits
    inits.append(const("scale", rng.uniform(0.5, 2.0, (1, 4, 1, 1))))
    nodes += [
        helper.make_node("Mul", ["b1", "scale"], ["m1"], name="mul"),
        helper.make_node("Relu", ["m1"], ["r1"], name="relu1"),
        helper.make_node("MaxPool", ["r1"], ["p1"], name="maxpool",
                         kernel_shape=[2, 2], strides=[1, 1], pads=[0, 0, 1, 1]),
        helper.make_node("Identity", ["p1"], ["i1"], name="identity"),
    ]
    inits.append(weights("c2_w", 5, 4, 2, 2))
    nodes += [
        helper.make_node("Conv", ["i1", "c2_w"], ["c2"], name="conv2_dilated",
                         dilations=[2, 2], kernel_shape=[2, 2]),
        helper.make_node("AveragePool", ["c2"], ["a2"], name="avgpool",
                         kernel_shape=[2, 2], strides=[1, 1], pads=[1, 1, 0, 0],
                         count_include_pad=0),
        helper.make_node("Dropout", ["a2"], ["d2"], name="dropout"),
        helper.make_node("Flatten", ["d2"], ["f"], name="flatten", axis=1),
    ]
    # 9×9 → conv1 5×5 → pool 5×5 → conv2 (dilated 2×2: extent 3) 3×3 → avg 3×3.
    features = 5 * 3 * 3
    inits += [weights("fc1_w", 12, features), const("fc1_b", rng.uniform(-0.1, 0.1, 12))]
    nodes += [
        helper.make_node("Gemm", ["f", "fc1_w", "fc1_b"], ["g1"], name="fc1",
                         transB=1, alpha=0.5, beta=2.0),
        helper.make_node("Relu", ["g1"], ["r2"], name="relu2"),
    ]
    inits += [weights("fc2_w", 12, 6), const("fc2_b", rng.uniform(-0.1, 0.1, 6))]
    nodes += [
        helper.make_node("MatMul", ["r2", "fc2_w"], ["mm"], name="fc2"),
        helper.make_node("Add", ["mm", "fc2_b"], ["y"], name="fc2_bias"),
    ]
    graph = helper.make_graph(
        nodes, "every_op",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 9, 9])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])],
        inits,
    )
    save("every_op", graph, (2, 9, 9))


def residual():
    """A ResNet-style network: stem conv-BN-ReLU, a basic block with an
    identity shortcut, a down-sampling block with a strided 1×1 projection
    shortcut, global average pooling, a Reshape to [N, -1] and a classifier
    (He et al., CVPR 2016, option B shortcuts)."""
    nodes, inits = [], []

    def conv_bn(name, x, y, c_in, c_out, k, stride, relu):
        pad = k // 2
        inits.append(weights(name + "_w", c_out, c_in, k, k))
        nodes.append(helper.make_node(
            "Conv", [x, name + "_w"], [name + "_c"], name=name,
            kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4))
        bn, bi = batch_norm(name + "_bn", name + "_c", y if not relu else name + "_n", c_out)
        nodes.append(bn)
        inits.extend(bi)
        if relu:
            nodes.append(helper.make_node("Relu", [name + "_n"], [y], name=name + "_relu"))

    conv_bn("stem", "x", "s", 3, 8, 3, 1, True)
    conv_bn("b1a", "s", "b1a_y", 8, 8, 3, 1, True)
    conv_bn("b1b", "b1a_y", "b1b_y", 8, 8, 3, 1, False)
    nodes += [
        helper.make_node("Add", ["b1b_y", "s"], ["b1_sum"], name="block1_add"),
        helper.make_node("Relu", ["b1_sum"], ["b1"], name="block1_relu"),
    ]
    conv_bn("b2a", "b1", "b2a_y", 8, 16, 3, 2, True)
    conv_bn("b2b", "b2a_y", "b2b_y", 16, 16, 3, 1, False)
    conv_bn("b2s", "b1", "b2s_y", 8, 16, 1, 2, False)
    nodes += [
        helper.make_node("Add", ["b2b_y", "b2s_y"], ["b2_sum"], name="block2_add"),
        helper.make_node("Relu", ["b2_sum"], ["b2"], name="block2_relu"),
        helper.make_node("GlobalAveragePool", ["b2"], ["gap"], name="gap"),
    ]
    inits.append(numpy_helper.from_array(np.array([0, -1], dtype=np.int64), "flat_shape"))
    nodes.append(helper.make_node("Reshape", ["gap", "flat_shape"], ["flat"], name="reshape"))
    inits += [weights("fc_w", 10, 16), const("fc_b", rng.uniform(-0.1, 0.1, 10))]
    nodes.append(helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["y"], name="fc", transB=1))
    graph = helper.make_graph(
        nodes, "residual",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 12, 12])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
        inits,
    )
    save("residual", graph, (3, 12, 12))


def refused():
    """Models every importer must refuse, each with one located error."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, 6, 6])
    w = weights("w", 4, 2, 3, 3)
    grouped = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="grouped_conv", group=2, kernel_shape=[3, 3])],
        "grouped", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 4, 4])], [w])
    sigmoid = helper.make_graph(
        [helper.make_node("Sigmoid", ["x"], ["y"], name="act")],
        "sigmoid", [x], [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, 6, 6])], [])
    for name, graph in [("refused_group", grouped), ("refused_sigmoid", sigmoid)]:
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(HERE, name + ".onnx"))
        print(name)


if __name__ == "__main__":
    every_op()
    residual()
    refused()
