#!/usr/bin/env bash
# The long recipe: train hogfer's deep networks on a GPU machine lent through the `device` tool.
#
# The GPU machine runs the same `hogfer train` as a CPU, under KERAS_BACKEND=jax, with the
# published schedule (SGD with Nesterov momentum, learning rate 0.01, cosine decay over
# many epochs; Khaireddin & Chen 2021), and writes the model in the usual skops format;
# ONNX copies and the PrivateTest score are made back here (that machine has no TensorFlow
# and gets no PrivateTest face). Its working tree is limited to 64 MiB, the repository fills
# about half of it, so the data travels in two parts over two calls that follow each other
# while the machine is warm (README of the device tool), and the model comes back in pieces.
#
#   here:   benchmarks/train_gpu.sh prepare DATA       # gpu/: wheels, data parts (ignored by git)
#   device: benchmarks/train_gpu.sh stage 0            # carry gpu/wheels, gpu/part0
#   device: benchmarks/train_gpu.sh run NETWORK EPOCHS # carry gpu/wheels, gpu/part1; pieces in $OUT
#   here:   benchmarks/train_gpu.sh finish DIR NETWORK [DATA]  # DIR: the pieces that came back
#
# `run` trains for at most $HOGFER_GPU_SECONDS (default 540) and checkpoints every epoch under
# ~/.hogfer-gpu, so a second `run` on a still-warm machine resumes; on a fresh machine, stage again.
# Environment: HOGFER_GPU_LR (0.01), HOGFER_GPU_SNAPSHOTS (unset: no snapshot ensemble),
# HOGFER_GPU_BACKEND (jax; torch also runs the models).
set -euo pipefail
step=${1:?usage: train_gpu.sh prepare DATA | stage K | run NETWORK EPOCHS | finish DIR NETWORK}
root=$(cd "$(dirname "$0")/.." && pwd)
state=${HOME}/.hogfer-gpu
py=${PYTHON:-python3}

case "$step" in
prepare)
    data=${2:?prepare DATA: the FER2013 CSV}
    mkdir -p "$root/gpu/wheels"
    # the packages hogfer needs that the GPU machine's image lacks, for its Python 3.12, same versions as here
    pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
        --platform manylinux_2_17_x86_64 -d "$root/gpu/wheels" -q \
        "keras==$($py -c 'import keras; print(keras.__version__)')" namex optree skops prettytable wcwidth \
        "lightgbm==$($py -c 'import lightgbm; print(lightgbm.__version__)')"
    hogfer data pack "$root/gpu/fer2013.npz" --data "$data" --usage Training --usage PublicTest
    $py "$root/benchmarks/gpu_data.py" split "$root/gpu/fer2013.npz" "$root/gpu/parts" --parts 2
    rm -f "$root/gpu/fer2013.npz"
    for k in 0 1; do mkdir -p "$root/gpu/part$k"; mv "$root/gpu/parts/"fer2013.xz.$k-of-* "$root/gpu/part$k/"; done
    rmdir "$root/gpu/parts"
    du -sh "$root/gpu/wheels" "$root/gpu/part0" "$root/gpu/part1"
    ;;
stage)
    k=${2:?stage K: the part carried in this call}
    mkdir -p "$state/parts"
    cp "$root/gpu/part$k/"fer2013.xz.* "$state/parts/"
    ls -l "$state/parts"
    ;;
run)
    network=${2:?run NETWORK EPOCHS}
    epochs=${3:?run NETWORK EPOCHS}
    out=${OUT:?run: \$OUT is the folder whose files come back}
    mkdir -p "$state/site" "$state/models"
    # hogfer itself too (its pipelines/ folder installs as hogfer.pipelines), offline, into a folder of its own
    [ -f "$state/site/.installed" ] || { $py -m pip install -q --no-index --no-deps --no-build-isolation --target "$state/site" \
        "$root" "$root"/gpu/wheels/*.whl && touch "$state/site/.installed"; }
    [ -f "$state/fer2013.npz" ] || $py "$root/benchmarks/gpu_data.py" join "$state/parts" "$root"/gpu/part* "$state/fer2013.npz"
    nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader || true
    extra=()
    [ -n "${HOGFER_GPU_SNAPSHOTS:-}" ] && extra=(--snapshots "$HOGFER_GPU_SNAPSHOTS")
    set +e
    PYTHONPATH="$state/site" KERAS_BACKEND=${HOGFER_GPU_BACKEND:-jax} HOGFER_CACHE_DIR="$state/cache" PYTHONUNBUFFERED=1 \
        timeout "${HOGFER_GPU_SECONDS:-540}" $py -m hogfer train "$network" --data "$state/fer2013.npz" \
        --epochs "$epochs" --optimizer sgd --learning-rate "${HOGFER_GPU_LR:-0.01}" --lr-schedule cosine \
        --out "$state/models" --quiet "${extra[@]}" 2>&1 | tail -n 40
    status=${PIPESTATUS[0]}
    set -e
    if [ "$status" = 124 ]; then
        echo "train_gpu: stopped at the time limit; the checkpoint in $state/cache resumes on this machine: run again"
        exit 0
    fi
    [ "$status" = 0 ] || exit "$status"
    cp "$state/models/$network.json" "$out/"
    split -b 15M -d "$state/models/$network.skops" "$out/$network.skops.piece"
    ls -l "$out"
    ;;
finish)
    dir=${2:?finish DIR NETWORK [DATA]}
    network=${3:?finish DIR NETWORK [DATA]}
    data=${4:-${HOGFER_DATA:?finish: give DATA, the FER2013 CSV}}
    models=$($py -c 'from hogfer.paths import cache_dir; print(cache_dir("models"))')
    cat "$dir/$network".skops.piece* > "$models/$network.skops.tmp"
    mv "$models/$network.skops.tmp" "$models/$network.skops"
    cp "$dir/$network.json" "$models/$network.json"
    hogfer onnx "$network" --data "$data"     # the float and 8-bit copies, checked against Keras
    hogfer rescore "$network" --data "$data"  # PublicTest and PrivateTest, here
    ;;
*)
    echo "train_gpu.sh: unknown step $step (prepare, stage, run, finish)" >&2
    exit 2
    ;;
esac
