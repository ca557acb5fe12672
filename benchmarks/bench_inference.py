"""CPU inference speed of the deep models: single-face latency and batch throughput.

Run: ``python benchmarks/bench_inference.py [--models xception hybrid] [--data PATH] [--out benchmarks/]``

Each trained deep model predicts PublicTest faces (the validation split; speed
does not depend on which faces) under each engine it has (Keras, and
onnxruntime on the float and the 8-bit ONNX copies where the model carries
them, see ``hogfer onnx``), without and with test-time augmentation (the
default set; on the fastest engine every set of :mod:`hogfer.tta`):

- latency: ``predict_proba`` of one face at a time (what the live app does),
  median and 95th percentile over ``--calls`` calls after a warm-up;
- throughput: ``predict_proba`` of all PublicTest faces in one call;
- PublicTest accuracy of the same predictions, so the cost of TTA can be set
  against what it buys.

The hybrid's times include its HOG and landmark features (dlib), computed per
call, by ``--jobs`` joblib workers (default: every core).

A second table sets each network's cost (multiply-accumulates a face, counted
by :func:`hogfer.deep.count_macs`) against this machine's float32 rate on a
large matrix product (:func:`hogfer.deep.matmul_rate`): their ratio bounds what
any float engine can reach here, so it tells a throughput short of the target
because of the runtime from one short because of the network and the CPU.
Writes ``inference.md`` and ``inference.json``.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from hogfer._env import git_commit, library_versions, machine_info, machine_summary, now_iso
from hogfer._io import atomic_path
from hogfer._table import markdown_table
from hogfer.data.fer2013 import load_fer2013
from hogfer.deep import count_macs, matmul_rate
from hogfer.store.emotion import tta_label
from hogfer.store.files import list_models, load_model

#: The issue's targets for CPU inference (single face, and a batch).
LATENCY_TARGET_MS = 5.0
THROUGHPUT_TARGET = 1000.0
DEEP = ("xception", "hybrid", "simple-cnn")


def measure(model, faces, labels, calls):
    """Latency (ms, median and p95) of one face per call, throughput (faces/s), accuracy."""
    for i in range(10):
        model.predict_proba(faces[i : i + 1])
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        model.predict_proba(faces[i % len(faces)][None])
        times.append(time.perf_counter() - t0)
    model.predict_proba(faces[:256])
    t0 = time.perf_counter()
    proba = model.predict_proba(faces)
    seconds = time.perf_counter() - t0
    accuracy = float(np.mean(model.classes_[np.argmax(proba, axis=1)] == labels))
    ms = 1000 * np.asarray(times)
    return {
        "latency_ms_median": float(np.median(ms)),
        "latency_ms_p95": float(np.percentile(ms, 95)),
        "throughput_faces_per_s": len(faces) / seconds,
        "n_batch": len(faces),
        "validation_accuracy": accuracy,
    }


def cost_rows(costs, runs, rate):
    """Rows of the cost table: each network's MACs, the float ceiling they allow, and the best float run."""
    rows = []
    for name, macs in costs.items():
        ceiling = rate / macs
        # the best float throughput measured for this model, one view a face
        best = max(
            (r["throughput_faces_per_s"] for r in runs if r["model"] == name and r["engine"] in ("keras", "onnx") and r["tta"] is False),
            default=None,
        )
        rows.append(
            [
                name,
                f"{macs / 1e6:,.1f}",
                f"{ceiling:,.0f}",
                "-" if best is None else f"{best:,.0f}",
                "-" if best is None else f"{100 * best / ceiling:.0f}",
                "yes" if ceiling >= THROUGHPUT_TARGET else "no",
            ]
        )
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=None, help="deep models (default: every trained one)")
    parser.add_argument("--data", default=None, help="FER2013 copy (default: $HOGFER_DATA)")
    parser.add_argument("--calls", type=int, default=200, help="single-face calls per setting")
    parser.add_argument("--jobs", type=int, default=-1, help="joblib jobs for the hybrid's features (-1: every core)")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args(argv)

    names = args.models or [n for n in DEEP if n in list_models()]
    if not names:
        parser.exit(1, "no trained deep model found (hogfer train xception)\n")
    val = load_fer2013(args.data).select("PublicTest")
    runs, rows, costs = [], [], {}
    for name in names:
        model, meta = load_model(name)
        costs[name] = count_macs(model.model_)
        engines = ["keras"] + [
            engine
            for engine, copy in (("onnx", "onnx_model_"), ("onnx-int8", "onnx_int8_model_"))
            if getattr(model, copy, None) is not None
        ]
        # what engine="auto" runs on this CPU: the 8-bit copy, unless it has full 8-bit weights
        # and this CPU would saturate them (see hogfer.deep.onnx.quantize_onnx)
        auto_engine = model.set_params(engine="auto").engine_used_
        for engine in engines:
            # every TTA set on the engine "auto" picks, the face alone and the default set on
            # the others, to keep the run short
            for tta in (False, "flip", "shifts", "zoom", True) if engine == auto_engine else (False, True):
                model.set_params(engine=engine, tta=tta, n_jobs=args.jobs)
                result = measure(model, val.images, val.labels, args.calls)
                runs.append({"model": name, "engine": engine, "auto": engine == auto_engine, "tta": tta, **result})
                rows.append(
                    [
                        name,
                        engine + (" (auto)" if engine == auto_engine else ""),
                        tta_label(tta),
                        f"{result['latency_ms_median']:.2f}",
                        f"{result['latency_ms_p95']:.2f}",
                        f"{result['throughput_faces_per_s']:,.0f}",
                        f"{100 * result['validation_accuracy']:.1f}",
                        "met" if result["latency_ms_median"] <= LATENCY_TARGET_MS else "SHORT",
                        "met" if result["throughput_faces_per_s"] >= THROUGHPUT_TARGET else "SHORT",
                    ]
                )
    rate = matmul_rate()
    info = machine_info()
    commit = git_commit(Path(__file__).parent)
    header = (
        "# Deep models: CPU inference speed\n\n"
        f"`predict_proba` on {runs[0]['n_batch']:,} PublicTest faces: latency of one face per call "
        f"(median and 95th percentile of {args.calls} calls, what the live app does) and throughput of one call on all "
        f"faces; PublicTest accuracy of the same predictions. Targets: <= {LATENCY_TARGET_MS:g} ms a face, "
        f">= {THROUGHPUT_TARGET:,.0f} faces/s. The hybrid's features run on n_jobs={args.jobs} joblib workers "
        f"(one face runs in-process). \"(auto)\" marks the engine `engine=\"auto\"` picks on this CPU. "
        f"{machine_summary(info)}, {now_iso()}, commit {commit}. "
        "Written by `python benchmarks/bench_inference.py`.\n\n"
    )
    table = markdown_table(
        ["model", "engine", "TTA", "ms/face median", "ms/face p95", "faces/s (batch)", "PublicTest acc %", "latency target", "throughput target"],
        rows,
    )
    cost_text = (
        "\n\n## Network cost and this CPU's float ceiling\n\n"
        "MMAC/face: multiply-accumulates of one forward pass (convolutions and dense layers, "
        "`hogfer.deep.count_macs`; the hybrid's HOG and landmark features are not counted). "
        f"This CPU's float32 rate on a 2048x2048 matrix product (NumPy's BLAS, every core): {rate / 1e9:.1f} GMAC/s "
        "(`hogfer.deep.matmul_rate`). Float ceiling: that rate over the network's cost, the most faces/s "
        "a float engine can reach here; best float: the fastest float engine above with TTA off, timed on all "
        "of `predict_proba`, so for the hybrid its features too, which hold it far below its network's ceiling.\n\n"
        + markdown_table(
            ["model", "MMAC/face", "float ceiling faces/s", "best float faces/s", "% of ceiling", f"ceiling >= {THROUGHPUT_TARGET:,.0f}/s"],
            cost_rows(costs, runs, rate),
        )
    )
    out = Path(args.out)
    with atomic_path(out / "inference.md") as f:
        f.write_text(header + table + cost_text + "\n")
    with atomic_path(out / "inference.json") as f:
        payload = {"date": now_iso(), "machine": info, "libraries": library_versions(), "commit": commit,
                   "targets": {"latency_ms": LATENCY_TARGET_MS, "faces_per_s": THROUGHPUT_TARGET}, "n_jobs": args.jobs, "runs": runs,
                   "matmul_macs_per_s": rate, "network_macs": costs}
        f.write_text(json.dumps(payload, indent=2) + "\n")
    print(header + table + cost_text)


if __name__ == "__main__":
    main()
