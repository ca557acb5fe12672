"""Facts about the machine and libraries, recorded next to every measured number."""

import datetime
import os
import platform
import subprocess
from importlib import metadata

__all__ = ["machine_info", "library_versions", "git_commit", "now_iso"]

_LIBRARIES = (
    "hogfer",
    "numpy",
    "scikit-learn",
    "scikit-image",
    "dlib-bin",
    "dlib",
    "lightgbm",
    "keras",
    "tensorflow-cpu",
    "tensorflow",
    "jax",
    "torch",
    "onnxruntime",
    "tf2onnx",
    "opencv-python",
    "joblib",
)


def _cpuinfo(field):
    """The first ``field`` line's value in /proc/cpuinfo (Linux), or None."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith(field):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _cpu_model():
    return _cpuinfo("model name") or platform.processor() or platform.machine()


#: CPU features that decide how fast, and how exactly, onnxruntime's 8-bit kernels run: without
#: VNNI, its u8s8 kernels on AVX2 can saturate 16-bit sums, and 8-bit copies may then predict
#: differently than where they were checked.
_INT8_CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8")


def _cpu_flags():
    """Which of :data:`_INT8_CPU_FLAGS` the CPU has (Linux), or None where that is unknown."""
    flags = _cpuinfo("flags")
    return None if flags is None else [flag for flag in _INT8_CPU_FLAGS if flag in flags.split()]


def _memory_gib():
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def machine_info():
    """CPU model, usable cores, memory, OS, Python version, and the CPU's 8-bit-relevant SIMD flags."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "cpu": _cpu_model(),
        "cores": cores,
        "memory_gib": _memory_gib(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "cpu_flags": _cpu_flags(),
    }


def machine_summary(info=None):
    """One line: ``2 cores of <cpu> (avx2), 23.4 GiB RAM``, with the 8-bit-relevant flags where recorded."""
    info = info or machine_info()
    flags = info.get("cpu_flags")
    flags = f" ({', '.join(flags) or 'no AVX2'})" if flags is not None else ""
    return f"{info['cores']} core{'s' if info['cores'] != 1 else ''} of {info['cpu']}{flags}, {info['memory_gib']} GiB RAM"


def library_versions():
    """Installed versions of the libraries hogfer's results depend on."""
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit(path="."):
    """The current git commit of ``path`` (with ``-dirty`` if modified), or None."""
    try:
        commit = subprocess.run(
            ["git", "-C", str(path), "describe", "--always", "--dirty", "--abbrev=12"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        return commit or None
    except (OSError, subprocess.SubprocessError):
        return None


def provenance(path=None):
    """Where and when a result was made: ``date``, ``machine``, ``libraries`` and (with ``path``) ``commit``."""
    record = {"date": now_iso(), "machine": machine_info(), "libraries": library_versions()}
    if path is not None:
        record["commit"] = git_commit(path)
    return record


def now_iso():
    """The current UTC time, ISO 8601, to the second."""
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()
