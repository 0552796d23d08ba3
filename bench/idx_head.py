#!/usr/bin/env python3
"""The first N samples of an official gzip IDX pair, as a gzip IDX pair: a real, smaller dataset
for a machine that cannot take the whole one (bench/gpu.sh packs one for a GPU machine whose
upload is limited). The images are the official ones, unchanged; only the counts in the headers
shrink to N.

  bench/idx_head.py SRC_DIR DST_DIR TRAIN_N TEST_N
"""
import gzip
import os
import struct
import sys

PAIRS = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


def head(src, dst, n):
    with gzip.open(src, "rb") as f:
        magic = f.read(4)
        dims = magic[3]
        shape = list(struct.unpack(">" + "I" * dims, f.read(4 * dims)))
        if n > shape[0]:
            sys.exit(f"{src}: holds {shape[0]} samples, fewer than the {n} asked for")
        per = 1
        for d in shape[1:]:
            per *= d
        body = f.read(n * per)
    shape[0] = n
    with gzip.open(dst, "wb") as g:
        g.write(magic + struct.pack(">" + "I" * dims, *shape) + body)


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    src, dst, counts = sys.argv[1], sys.argv[2], {"train": int(sys.argv[3]), "test": int(sys.argv[4])}
    os.makedirs(dst, exist_ok=True)
    for split, files in PAIRS.items():
        for name in files:
            head(os.path.join(src, name), os.path.join(dst, name), counts[split])


if __name__ == "__main__":
    main()
