"""How many of FER2013's faces ``find_faces`` finds with no hint, and at what cost.

Run: ``python benchmarks/bench_detection.py [--data PATH] [--usage PrivateTest] [--limit N] [--out benchmarks/]``

FER2013's 48x48 faces fill their image, with no margin around them, as the
faces of most cropped-face collections do. Each face goes to
:func:`hogfer.faces.pipeline.find_faces` as a user would pass it (default
settings, no ``cropped`` hint); a face counts as found when at least one face
comes back. The search as dlib runs it on the image alone is measured beside
it. Writes ``detection.md`` and ``detection.json``.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None):
    from hogfer._env import git_commit, machine_info, machine_summary, now_iso
    from hogfer._io import atomic_path
    from hogfer._progress import progress_bar, show_progress
    from hogfer._table import markdown_table
    from hogfer.data.fer2013 import load_fer2013
    from hogfer.faces import landmarks as face
    from hogfer.faces.pipeline import find_faces

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None)
    parser.add_argument("--usage", default="PrivateTest")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    data = load_fer2013(args.data).select(args.usage)
    images = data.images[: args.limit]
    rows = []
    with show_progress(True):
        for label, search in (("dlib HOG on the image alone (upsample 1)", lambda im: len(face.detect_faces(im, 1)[0])),
                              ("find_faces, default settings", lambda im: len(find_faces(im)))):
            found, start = 0, time.perf_counter()
            with progress_bar(total=len(images), desc=label[:20], unit="face") as bar:
                for image in images:
                    found += search(image) > 0
                    bar.update()
            seconds = time.perf_counter() - start
            rows.append({"search": label, "faces": len(images), "found": int(found), "ms_per_face": 1000 * seconds / len(images)})
    table = markdown_table(["search", "faces", "found", "found %", "ms a face"],
                           [[r["search"], r["faces"], r["found"], f"{100 * r['found'] / r['faces']:.1f}", f"{r['ms_per_face']:.1f}"] for r in rows])
    info = machine_info()
    text = (f"# Faces found in FER2013's {args.usage} images\n\nWritten by `benchmarks/bench_detection.py` on {now_iso()[:10]}, "
            f"commit {git_commit()[:12]}, data sha256 {data.sha256[:12]}, {machine_summary(info)}, one process. "
            "Each 48x48 face is passed with no hint; found means at least one face came back.\n\n" + table + "\n")
    with atomic_path(args.out / "detection.md") as tmp:
        Path(tmp).write_text(text)
    with atomic_path(args.out / "detection.json") as tmp:
        Path(tmp).write_text(json.dumps({"date": now_iso(), "commit": git_commit(), "machine": info, "usage": args.usage,
                                         "data_sha256": data.sha256, "rows": rows}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
