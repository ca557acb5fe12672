#!/usr/bin/env bash
# The long recipe: train a hogfer deep network on a GPU with the published schedule.
#
# The same `hogfer train` as on a CPU, with the schedule of the published FER2013 results
# (SGD with Nesterov momentum, learning rate 0.01, a short warm-up, then cosine decay over
# many epochs; Khaireddin & Chen 2021), checkpointed every epoch (an interrupted run resumes
# when started again), then the ONNX copies the model predicts with on a CPU.
#
#   pip install -e ".[all,gpu]"          # TensorFlow with CUDA; or a JAX/PyTorch GPU install
#   benchmarks/train_gpu.sh NETWORK [EPOCHS] [DATA]
#
# NETWORK: a deep pipeline (`hogfer pipelines`: vgg, resnet, xception, ...); EPOCHS: 300 by
# default; DATA: the FER2013 CSV (default $HOGFER_DATA). Environment: HOGFER_GPU_LR (0.01),
# HOGFER_GPU_WARMUP (5 epochs), HOGFER_GPU_SNAPSHOTS (unset: no snapshot ensemble),
# KERAS_BACKEND (tensorflow; jax and torch run the models too), HOGFER_GPU_OUT (the user
# model cache by default). The model lands where `hogfer bench` and the apps find it.
set -euo pipefail
network=${1:?usage: train_gpu.sh NETWORK [EPOCHS] [DATA]}
epochs=${2:-300}
data=${3:-${HOGFER_DATA:?give DATA, the FER2013 CSV, or set HOGFER_DATA}}
extra=()
[ -n "${HOGFER_GPU_SNAPSHOTS:-}" ] && extra+=(--snapshots "$HOGFER_GPU_SNAPSHOTS")
[ -n "${HOGFER_GPU_OUT:-}" ] && extra+=(--out "$HOGFER_GPU_OUT")
nvidia-smi --query-gpu=name,memory.used,memory.total --format=csv,noheader 2>/dev/null || echo "train_gpu: no NVIDIA GPU visible; training runs on what the backend finds"
hogfer train "$network" --data "$data" --epochs "$epochs" --optimizer sgd --learning-rate "${HOGFER_GPU_LR:-0.01}" \
    --lr-schedule cosine --warmup-epochs "${HOGFER_GPU_WARMUP:-5}" "${extra[@]}"
model=${HOGFER_GPU_OUT:+$HOGFER_GPU_OUT/$network.json}
hogfer onnx "${model:-$network}" --data "$data" ${HOGFER_GPU_OUT:+--out "$HOGFER_GPU_OUT"}   # float and 8-bit copies, checked against Keras
