"""Load test of `hogfer serve` on loopback: latency percentiles, errors and the server's memory.

Run: ``python benchmarks/bench_serve.py [--model NAME] [--out benchmarks/]``

Starts ``hogfer serve`` (waitress, 8 threads) as its own process on a free
loopback port, posts a 640x480 photo with one face (scikit-image's astronaut,
her head and shoulders) to ``/api/predict`` from 1, 2 and 8 client threads,
a bounded number of requests each (and at most ``--max-seconds`` a phase),
after 24 warm-up requests from 8 threads (so that every server thread has
served), and stops the server. Writes ``serve.md`` and ``serve.json``: p50/p95/max
latency per phase, errors, requests per second, and the server's resident
memory after warm-up and after each phase.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import cv2
import numpy as np

from hogfer._env import machine_summary, provenance
from hogfer._io import atomic_path
from hogfer._table import markdown_table

PHASES = ((1, 60), (2, 100), (8, 200))  # (client threads, requests)


def photo_640x480():
    from skimage import data

    head = cv2.cvtColor(data.astronaut(), cv2.COLOR_RGB2BGR)[0:330, 90:370]
    canvas = np.full((480, 640, 3), 210, np.uint8)
    canvas[75:405, 180:460] = head
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return encoded.tobytes()


def _multipart(image):
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"photo.jpg\"\r\n"
            f"Content-Type: image/jpeg\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def _post(url, body, content_type):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.loads(response.read())
            status = response.status
    except urllib.error.HTTPError as exc:
        status, payload = exc.code, None
    except OSError:
        status, payload = None, None
    return time.perf_counter() - start, status, payload


def _rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_phase(url, body, content_type, threads, requests, max_seconds):
    results, lock = [], threading.Lock()
    deadline = time.perf_counter() + max_seconds
    counter = iter(range(requests))

    def client():
        while time.perf_counter() < deadline:
            with lock:
                if next(counter, None) is None:
                    return
            outcome = _post(url, body, content_type)
            with lock:
                results.append(outcome)

    start = time.perf_counter()
    workers = [threading.Thread(target=client) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return results, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="the server's model (default: its own, the most accurate)")
    parser.add_argument("--max-seconds", type=float, default=120.0, help="most seconds a phase may run")
    parser.add_argument("--out", default=str(Path(__file__).parent))
    args = parser.parse_args(argv)

    port = _free_port()
    command = [sys.executable, "-m", "hogfer", "serve", "--port", str(port), "--threads", "8"]
    if args.model:
        command += ["--model", args.model]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(base + "/api/models", timeout=2) as response:
                    models = json.loads(response.read())["models"]
                break
            except OSError:
                if server.poll() is not None:
                    raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start within 60 s")
        body, content_type = _multipart(photo_640x480())
        warm, _ = run_phase(base + "/api/predict", body, content_type, 8, 24, args.max_seconds)  # every server thread
        answer = next((r[2] for r in warm if r[2]), None)
        model = answer["model"] if answer else None
        faces = len(answer["faces"]) if answer else None
        memory = [("after warm-up", _rss_mb(server.pid))]
        phases, rows = [], []
        for threads, requests in PHASES:
            results, seconds = run_phase(base + "/api/predict", body, content_type, threads, requests, args.max_seconds)
            ok = [r[0] * 1000 for r in results if r[1] == 200]
            errors = len(results) - len(ok)
            memory.append((f"after {threads} client{'s' if threads > 1 else ''}", _rss_mb(server.pid)))
            p50, p95 = (float(np.percentile(ok, q)) for q in (50, 95)) if ok else (None, None)
            phases.append({"clients": threads, "requests": len(results), "errors": errors, "seconds": seconds,
                           "p50_ms": p50, "p95_ms": p95, "max_ms": max(ok) if ok else None, "requests_per_s": len(results) / seconds})
            rows.append([threads, len(results), errors, f"{p50:.0f}", f"{p95:.0f}", f"{max(ok):.0f}", f"{len(results) / seconds:.1f}"])
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    made = provenance(Path(__file__).parent)
    info, commit = made["machine"], made["commit"]
    default = next((m["name"] for m in models if m["default"]), None)
    text = (
        "# hogfer serve under load\n\n"
        f"Written by `python benchmarks/bench_serve.py` on {machine_summary(info)}, {made['date']}, commit {commit}. "
        f"`hogfer serve` (waitress, 8 threads; faces: dlib's HOG, upsampled once; emotion model `{model}`, "
        f"the server's default `{default}`) on loopback; a 640x480 JPEG with one face ({faces} found) posted to "
        "`/api/predict` by 1, 2 and 8 client threads in turn. Latency is the client's, request sent to JSON read, "
        "in milliseconds; errors are answers other than 200 (or none).\n\n"
        + markdown_table(["clients", "requests", "errors", "p50 ms", "p95 ms", "max ms", "requests/s"], rows)
        + "\n\nServer memory (resident): " + ", ".join(f"{label} {mb:.0f} MB" for label, mb in memory) + ".\n"
    )
    out = Path(args.out)
    with atomic_path(out / "serve.md") as f:
        f.write_text(text)
    with atomic_path(out / "serve.json") as f:
        f.write_text(json.dumps({"date": made["date"], "model": model, "faces": faces, "machine": info, "libraries": made["libraries"],
                                 "commit": commit, "phases": phases, "memory_mb": dict(memory)}, indent=1) + "\n")
    print(text)


if __name__ == "__main__":
    main()
