"""How a deep network trains on this CPU: its number format and its threads.

:func:`training_policy` chooses Keras' ``"mixed_bfloat16"`` policy (bfloat16
arithmetic, float32 weights) where the CPU computes bfloat16 natively
(``avx512_bf16`` or ``amx_bf16``) and the backend's kernels use it (TensorFlow's
with oneDNN), and ``"float32"`` elsewhere, where bfloat16 is emulated and slower
than float32. Under the mixed policy hogfer's builders keep
the input scaling, the augmentation and the softmax in float32, and Keras keeps
batch normalization's statistics in float32.

:func:`configure_threads` sets TensorFlow's thread pools: every usable core for
one operation (intra-op), one operation at a time (inter-op), unless the caller
says otherwise.
"""

import contextlib
import logging
import os

__all__ = ["NATIVE_BF16_FLAGS", "PRECISIONS", "native_bf16", "training_policy", "dtype_policy", "configure_threads"]

logger = logging.getLogger(__name__)

#: CPU flags (as /proc/cpuinfo names them) of native bfloat16 arithmetic.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
#: What ``KerasFERClassifier(precision=...)`` takes.
PRECISIONS = ("auto", "float32", "mixed_bfloat16")


def _cpu_flag_set():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def native_bf16(flags=None):
    """Whether the CPU (or the given set of CPU ``flags``) computes bfloat16 natively."""
    flags = _cpu_flag_set() if flags is None else set(flags)
    return any(flag in flags for flag in NATIVE_BF16_FLAGS)


def training_policy(precision="auto", flags=None):
    """The Keras dtype policy name a network trains under.

    Parameters
    ----------
    precision : {"auto", "float32", "mixed_bfloat16"}, default="auto"
        ``"auto"``: ``"mixed_bfloat16"`` where :func:`native_bf16` holds for
        ``flags``, else ``"float32"``; the others are taken as they are.
    flags : iterable of str, default=None
        CPU flags; None reads this machine's.

    Returns
    -------
    str
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(map(repr, PRECISIONS))}; got {precision!r}.")
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if native_bf16(flags) and _fast_bf16_kernels() else "float32"


def _fast_bf16_kernels():
    """Whether the Keras backend has fast bfloat16 CPU kernels: TensorFlow's come with oneDNN
    (on by default; ``TF_ENABLE_ONEDNN_OPTS=0`` turns it off, and bfloat16 is then emulated)."""
    import keras

    return keras.backend.backend() != "tensorflow" or os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"


@contextlib.contextmanager
def dtype_policy(name):
    """Build layers under the Keras dtype policy ``name``, then restore the global one."""
    import keras

    before = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(before)


def configure_threads(intra_op=None, inter_op=1):
    """Set TensorFlow's thread pools (no effect under another Keras backend).

    ``intra_op`` None means every usable core. TensorFlow takes these only
    before it first runs an operation; later calls leave the pools as they are
    (logged at DEBUG level). ``TF_NUM_INTRAOP_THREADS`` and
    ``TF_NUM_INTEROP_THREADS``, where set, win.
    """
    import keras

    if keras.backend.backend() != "tensorflow":
        return
    import tensorflow as tf

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    intra_op = int(os.environ.get("TF_NUM_INTRAOP_THREADS", intra_op or cores))
    inter_op = int(os.environ.get("TF_NUM_INTEROP_THREADS", inter_op))
    try:
        if tf.config.threading.get_intra_op_parallelism_threads() != intra_op:
            tf.config.threading.set_intra_op_parallelism_threads(intra_op)
        if tf.config.threading.get_inter_op_parallelism_threads() != inter_op:
            tf.config.threading.set_inter_op_parallelism_threads(inter_op)
    except RuntimeError as exc:  # TensorFlow already started its pools
        logger.debug("threads left as they are: %s", exc)
