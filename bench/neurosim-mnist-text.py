#!/usr/bin/env python3
"""MLP_NeuroSim V3.0's MNIST text files from the IDX files.

    bench/neurosim-mnist-text.py MNIST_DIR OUT_DIR

writes OUT_DIR/patch60000_train.txt, label60000_train.txt,
patch10000_test.txt, label10000_test.txt in the layout NeuroSim's IO.cpp
reads (ReadTrainingDataFromFile: values are consumed pixel-major, i.e. all
images' pixel 0, then all images' pixel 1, …; one line per pixel here):
the central 20×20 pixels of each 28×28 image (rows 4–23, columns 4–23,
row-major), each pixel/255 (exact zeros written as "0", others with four
decimals; NeuroSim thresholds them at 0.5 itself), and one label per line.
The published MNIST_data.zip is not in the repository's stored snapshot (a
Git LFS object), so the files are regenerated; the crop is xbarsim's
`neurosim.crop = 20` (training/src/neurosim/data.rs).
"""
import gzip
import os
import struct
import sys


def idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def find(d, stem):
    for name in (stem, stem + ".gz"):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    sys.exit(f"{d}: no {stem}[.gz]")


def write(mnist, out, images, labels, n_name, crop=20):
    (n, rows, cols), pix = idx(find(mnist, images))
    (nl,), lab = idx(find(mnist, labels))
    if nl != n:
        sys.exit(f"{images}: {n} images but {nl} labels")
    r0, c0 = (rows - crop) // 2, (cols - crop) // 2
    size = rows * cols
    with open(os.path.join(out, f"patch{n_name}.txt"), "w") as f:
        for r in range(crop):
            for c in range(crop):
                off = (r0 + r) * cols + c0 + c
                vals = pix[off::size]
                f.write(" ".join("0" if v == 0 else f"{v / 255:.4f}" for v in vals))
                f.write("\n")
    with open(os.path.join(out, f"label{n_name}.txt"), "w") as f:
        f.write("\n".join(str(v) for v in lab))
        f.write("\n")
    return n


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    mnist, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    a = write(mnist, out, "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "60000_train")
    b = write(mnist, out, "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "10000_test")
    print(f"{out}: {a} training and {b} test images, 20x20 crops")


if __name__ == "__main__":
    main()
