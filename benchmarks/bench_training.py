"""CPU training throughput of every deep network: float32 against mixed bfloat16, 1 and 2 threads.

Run: ``python benchmarks/bench_training.py [--networks wider-cnn simple-cnn] [--seconds 8] [--out benchmarks/]``

For each network, each number format (``float32``, and ``mixed_bfloat16``
where the CPU has native bfloat16 arithmetic, see
:mod:`hogfer.deep.precision`) and each thread count (1, and every core), a
fresh process builds the network as ``hogfer train`` does (on-model
augmentation, label smoothing, Adam) and runs training steps of ``--batch``
random faces for about ``--seconds`` after two warm-up steps: faces a second,
and the arithmetic rate that makes, 3x the forward multiply-adds
(:func:`hogfer.deep.count_macs`: forward, and backward for the inputs and the
weights) times two floating-point operations. With every core, the same run is
repeated without the augmentation, so its share of a step is measured.
All configurations run side by side in one run, so their ratios compare.
Writes ``training.md`` and ``training.json``.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NETWORKS = ("simple-cnn", "wider-cnn", "xception", "inception", "dexpression", "vgg", "resnet18")
TRAIN_FACES = 28709  # FER2013's Training usage, for seconds an epoch


def worker(network, policy, threads, augment, seconds, batch):
    """One configuration, in this process: prints a JSON line."""
    os.environ["TF_NUM_INTRAOP_THREADS"] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    import numpy as np

    from hogfer.deep import KerasFERClassifier, count_macs
    from hogfer.deep.precision import configure_threads
    from hogfer.deep.recipe import start_or_resume

    configure_threads(threads)
    clf = KerasFERClassifier(network, augment=augment, precision=policy, learning_rate=1e-3)
    model, *_ = start_or_resume(clf, None, lambda: clf._build(7, policy=policy))
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(batch, 48, 48, 1)).astype("float32")
    y = np.eye(7, dtype="float32")[rng.integers(0, 7, size=batch)]
    for _ in range(2):
        model.train_on_batch(x, y)
    steps, start = 0, time.perf_counter()
    while True:
        model.train_on_batch(x, y)
        steps += 1
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 3:
            break
    faces_per_s = steps * batch / elapsed
    macs = count_macs(clf._build(7, augment=False))
    print(json.dumps({"network": network, "policy": policy, "threads": threads, "augment": augment,
                      "faces_per_s": faces_per_s, "macs": macs, "gflops": faces_per_s * 3 * macs * 2 / 1e9}))


def run(networks, seconds, batch):
    from hogfer.deep.precision import native_bf16

    cores = len(os.sched_getaffinity(0))
    policies = ["float32"] + (["mixed_bfloat16"] if native_bf16() else [])
    rows = []
    for network in networks:
        configs = [(p, t, True) for p in policies for t in sorted({1, cores})]
        configs.append((policies[-1], cores, False))
        for policy, threads, augment in configs:
            cmd = [sys.executable, __file__, "--worker", network, policy, str(threads), str(int(augment)),
                   "--seconds", str(seconds), "--batch", str(batch)]
            out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
            line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
            if out.returncode or not line:
                raise SystemExit(f"{network} {policy} {threads}: {out.stderr.strip().splitlines()[-1:]}")
            rows.append(json.loads(line[-1]))
            print(f"{network:12s} {policy:15s} {threads} aug={int(augment)} {rows[-1]['faces_per_s']:8.1f} faces/s", file=sys.stderr)
    return rows, cores, policies


def report(rows, cores, policies, batch):
    from hogfer._env import git_commit, library_versions, machine_info, machine_summary, now_iso
    from hogfer._table import markdown_table

    def rate(network, policy, threads, augment=True):
        return next(r for r in rows if (r["network"], r["policy"], r["threads"], r["augment"]) == (network, policy, threads, augment))

    best = policies[-1]
    headers = ["network", "M multiply-adds a face"]
    for p in policies:
        headers += [f"{p} 1 thread faces/s", f"{p} {cores} threads faces/s"]
    if len(policies) > 1:
        headers += [f"bf16 / float32 ({cores} threads)"]
    headers += [f"GFLOP/s ({best}, {cores} threads)", f"s an epoch ({best}, {cores} threads)", "augmentation's share of a step"]
    table = []
    for network in dict.fromkeys(r["network"] for r in rows):
        row = [network, f"{rate(network, 'float32', 1)['macs'] / 1e6:.0f}"]
        for p in policies:
            row += [f"{rate(network, p, 1)['faces_per_s']:.0f}", f"{rate(network, p, cores)['faces_per_s']:.0f}"]
        if len(policies) > 1:
            row.append(f"{rate(network, best, cores)['faces_per_s'] / rate(network, 'float32', cores)['faces_per_s']:.2f}x")
        top = rate(network, best, cores)
        bare = rate(network, best, cores, augment=False)
        row += [f"{top['gflops']:.0f}", f"{TRAIN_FACES / top['faces_per_s']:.0f}", f"{1 - top['faces_per_s'] / bare['faces_per_s']:.0%}"]
        table.append(row)
    info = machine_info()
    text = (
        "# Training throughput on the CPU\n\n"
        f"Written by `benchmarks/bench_training.py` on {now_iso()[:10]}, commit {git_commit()[:12]}, "
        f"{machine_summary(info)}. One training step (forward, backward, Adam update) of a batch of {batch} faces, "
        "with hogfer's on-model augmentation, each configuration in a fresh process, side by side in one run. "
        "GFLOP/s counts 3x the forward multiply-adds, two operations each; s an epoch is FER2013's "
        f"{TRAIN_FACES} training faces at that rate (no validation). Augmentation's share compares the same "
        "step without the augmentation layers.\n\n"
        + markdown_table(headers, table) + "\n"
    )
    meta = {"date": now_iso(), "commit": git_commit(), "machine": info, "libraries": library_versions(), "batch": batch, "rows": rows}
    return text, meta


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--networks", nargs="+", default=list(NETWORKS))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--worker", nargs=4, metavar=("NETWORK", "POLICY", "THREADS", "AUGMENT"))
    args = parser.parse_args(argv)
    if args.worker:
        network, policy, threads, augment = args.worker
        return worker(network, policy, int(threads), bool(int(augment)), args.seconds, args.batch)
    from hogfer._io import atomic_path

    rows, cores, policies = run(args.networks, args.seconds, args.batch)
    text, meta = report(rows, cores, policies, args.batch)
    args.out.mkdir(parents=True, exist_ok=True)
    with atomic_path(args.out / "training.md") as tmp:
        Path(tmp).write_text(text)
    with atomic_path(args.out / "training.json") as tmp:
        Path(tmp).write_text(json.dumps(meta, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
