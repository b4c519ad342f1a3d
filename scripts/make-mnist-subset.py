#!/usr/bin/env python3
"""Make the small MNIST subset shipped in data/mnist-subset/.

Takes the FIRST --train images (default 6000) of the MNIST training set and
the FIRST --test images (default 1000) of the test set, and writes them as
valid IDX files (header counts corrected), gzip-compressed with mtime 0 so
the bytes are reproducible, plus a SHA256SUMS file.

Usage (from the repository root):

    python3 scripts/make-mnist-subset.py \
        --src ../shared/data/mnist --out data/mnist-subset

Standard library only.
"""

import argparse
import gzip
import hashlib
import io
import os
import struct
import sys

IMAGES_MAGIC = 0x00000803
LABELS_MAGIC = 0x00000801

SPLITS = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "t10k": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}


def read_idx(src, name):
    """Return the decompressed bytes of `name` (.gz preferred) in `src`."""
    for candidate in (name + ".gz", name):
        path = os.path.join(src, candidate)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                raw = f.read()
            return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
    sys.exit(f"error: no {name}.gz or {name} in {src}")


def first_images(data, n, name):
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    if magic != IMAGES_MAGIC:
        sys.exit(f"error: {name}: magic 0x{magic:08x}, expected 0x{IMAGES_MAGIC:08x}")
    if len(data) != 16 + count * rows * cols:
        sys.exit(f"error: {name}: {len(data)} bytes, header declares {count}x{rows}x{cols}")
    if n > count:
        sys.exit(f"error: {name}: asked for {n} images, file has {count}")
    return struct.pack(">IIII", magic, n, rows, cols) + data[16 : 16 + n * rows * cols]


def first_labels(data, n, name):
    magic, count = struct.unpack(">II", data[:8])
    if magic != LABELS_MAGIC:
        sys.exit(f"error: {name}: magic 0x{magic:08x}, expected 0x{LABELS_MAGIC:08x}")
    if len(data) != 8 + count:
        sys.exit(f"error: {name}: {len(data)} bytes, header declares {count} labels")
    if n > count:
        sys.exit(f"error: {name}: asked for {n} labels, file has {count}")
    return struct.pack(">II", magic, n) + data[8 : 8 + n]


def gzip_bytes(data):
    """gzip with mtime 0 and no file name in the header: reproducible bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buf, mtime=0) as f:
        f.write(data)
    return buf.getvalue()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--src", default="../shared/data/mnist", help="directory with the 4 MNIST files")
    ap.add_argument("--out", default="data/mnist-subset", help="output directory")
    ap.add_argument("--train", type=int, default=6000, help="first N training images")
    ap.add_argument("--test", type=int, default=1000, help="first N test images")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    sums = []
    for split, n in (("train", args.train), ("t10k", args.test)):
        images_name, labels_name = SPLITS[split]
        images = first_images(read_idx(args.src, images_name), n, images_name)
        labels = first_labels(read_idx(args.src, labels_name), n, labels_name)
        hist = [0] * 10
        for label in labels[8:]:
            hist[label] += 1
        print(f"{split}: first {n} images, label histogram {hist} "
              f"(smallest class {min(hist) / n:.1%})")
        for name, data in ((images_name, images), (labels_name, labels)):
            gz = gzip_bytes(data)
            with open(os.path.join(args.out, name + ".gz"), "wb") as f:
                f.write(gz)
            sums.append(f"{hashlib.sha256(gz).hexdigest()}  {name}.gz\n")
    with open(os.path.join(args.out, "SHA256SUMS"), "w") as f:
        f.writelines(sorted(sums, key=lambda line: line.split()[1]))
    print(f"wrote {len(sums)} files and SHA256SUMS to {args.out}")


if __name__ == "__main__":
    main()
