"""Move hogfer's FER2013 array file to the GPU machine in parts small enough for its working tree.

The GPU machine takes at most 64 MiB of working tree per call, of which the
repository already fills about half, and it cannot read the CSV. ``split``
turns an array file (``hogfer data pack``) into equal lzma-compressed parts
(each face stored as differences between neighbouring pixels, which compress
better; lossless); ``join`` puts them back into the same array file, exactly.

    python benchmarks/gpu_data.py split gpu/fer2013.npz gpu/parts --parts 2
    python benchmarks/gpu_data.py join DIR [DIR ...] OUT.npz   # every part found in the DIRs
"""

import argparse
import hashlib
import io
import lzma
import sys
from pathlib import Path

import numpy as np

PREFIX = "fer2013.xz."


def split(array_file, out_dir, parts):
    with np.load(array_file, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    images = arrays.pop("images")
    arrays["pixel_deltas"] = np.diff(images, axis=2, prepend=np.uint8(0))  # uint8 arithmetic wraps: lossless
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    blob = lzma.compress(buffer.getvalue(), preset=9 | lzma.PRESET_EXTREME)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    size = -(-len(blob) // parts)
    digest = hashlib.sha256(blob).hexdigest()
    for k in range(parts):
        (out_dir / f"{PREFIX}{k}-of-{parts}-{digest[:12]}").write_bytes(blob[k * size : (k + 1) * size])
    return [len(blob[k * size : (k + 1) * size]) for k in range(parts)]


def join(dirs, out_file):
    found = {}
    for d in dirs:
        for p in Path(d).glob(f"{PREFIX}*"):
            found[p.name] = p
    if not found:
        sys.exit(f"gpu_data: no {PREFIX}* parts in {', '.join(map(str, dirs))}")
    names = sorted(found, key=lambda n: int(n[len(PREFIX):].split("-")[0]))
    total, digest = names[0].split("-of-")[1].split("-")
    if len(names) != int(total) or len({n.split("-", 2)[-1] for n in names}) != 1:
        sys.exit(f"gpu_data: {len(names)} of {total} parts found ({', '.join(names)}); stage the others first")
    blob = b"".join(found[n].read_bytes() for n in names)
    if hashlib.sha256(blob).hexdigest()[:12] != digest:
        sys.exit("gpu_data: the parts do not make up the file they were split from")
    with np.load(io.BytesIO(lzma.decompress(blob)), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["images"] = np.cumsum(arrays.pop("pixel_deltas"), axis=2, dtype=np.uint8)
    tmp = Path(str(out_file) + ".tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    tmp.replace(out_file)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="step", required=True)
    s = sub.add_parser("split")
    s.add_argument("array_file")
    s.add_argument("out_dir")
    s.add_argument("--parts", type=int, default=2)
    j = sub.add_parser("join")
    j.add_argument("paths", nargs="+", help="folders holding parts, then the array file to write")
    args = parser.parse_args(argv)
    if args.step == "split":
        sizes = split(args.array_file, args.out_dir, args.parts)
        print(f"{len(sizes)} parts in {args.out_dir}: {', '.join(f'{s / 2**20:.1f} MiB' for s in sizes)}")
    else:
        join(args.paths[:-1], args.paths[-1])
        print(f"wrote {args.paths[-1]}")


if __name__ == "__main__":
    main()
