"""Write the iris classifier that examples/serving/iris-onnx.yaml serves, as an ONNX model (a few hundred bytes).

    python3 examples/serving/make_iris_onnx.py [OUT]     # default: examples/serving/iris-onnx/model.onnx

A logistic regression over the four iris measurements (sepal length and width, petal length and width, in cm): the
weights below are scikit-learn's LogisticRegression(max_iter=1000) fitted on load_iris(), rounded to 3 decimals
(97% of the 150 iris rows right). The graph is MatMul -> Add -> ArgMax ("label", the class: 0 setosa, 1 versicolor,
2 virginica) and Softmax ("probabilities"); its input "input" is FP32 [batch, 4].

Standard library only: the ONNX protobuf is written by hand, so neither onnx nor scikit-learn is needed to rebuild it.
The checked-in model.onnx is this script's output, byte for byte.
"""
import os
import struct
import sys

WEIGHTS = [  # [4 features][3 classes]
    [-0.420, 0.532, -0.112],
    [0.967, -0.315, -0.652],
    [-2.519, -0.204, 2.723],
    [-1.085, -0.943, 2.027],
]
BIAS = [9.842, 2.225, -12.066]

FLOAT, INT64 = 1, 7  # onnx.TensorProto data types
ATTRIBUTE_INT = 2  # onnx.AttributeProto.INT


def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1  # negative int64 values are ten-byte varints
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_bytes(number, data):
    if isinstance(data, str):
        data = data.encode()
    return varint(number << 3 | 2) + varint(len(data)) + data


def tensor(name, dims, floats):
    raw = struct.pack("<%df" % len(floats), *floats)
    return b"".join(field_varint(1, d) for d in dims) + field_varint(2, FLOAT) + field_bytes(8, name) + field_bytes(9, raw)


def attribute_int(name, value):
    return field_bytes(1, name) + field_varint(3, value) + field_varint(20, ATTRIBUTE_INT)


def node(op, inputs, outputs, name, attributes=()):
    return (b"".join(field_bytes(1, i) for i in inputs) + b"".join(field_bytes(2, o) for o in outputs)
            + field_bytes(3, name) + field_bytes(4, op) + b"".join(field_bytes(5, a) for a in attributes))


def value_info(name, elem_type, dims):
    shape = b"".join(field_bytes(1, field_bytes(2, d) if isinstance(d, str) else field_varint(1, d)) for d in dims)
    tensor_type = field_varint(1, elem_type) + field_bytes(2, shape)
    return field_bytes(1, name) + field_bytes(2, field_bytes(1, tensor_type))


def model():
    graph = b"".join([
        field_bytes(1, node("MatMul", ["input", "W"], ["xw"], "matmul")),
        field_bytes(1, node("Add", ["xw", "B"], ["logits"], "add")),
        field_bytes(1, node("ArgMax", ["logits"], ["label"], "argmax", [attribute_int("axis", 1), attribute_int("keepdims", 0)])),
        field_bytes(1, node("Softmax", ["logits"], ["probabilities"], "softmax", [attribute_int("axis", 1)])),
        field_bytes(2, "iris"),
        field_bytes(5, tensor("W", [4, 3], [w for row in WEIGHTS for w in row])),
        field_bytes(5, tensor("B", [3], BIAS)),
        field_bytes(11, value_info("input", FLOAT, ["batch", 4])),
        field_bytes(12, value_info("label", INT64, ["batch"])),
        field_bytes(12, value_info("probabilities", FLOAT, ["batch", 3])),
    ])
    opset = field_bytes(1, "") + field_varint(2, 13)
    return field_varint(1, 8) + field_bytes(2, "floe-examples") + field_bytes(3, "1") + field_bytes(7, graph) + field_bytes(8, opset)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "iris-onnx", "model.onnx")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "wb") as f:
        f.write(model())
    print(out)


if __name__ == "__main__":
    main()
