#!/usr/bin/env bash
# One GPU check that fits a 10-minute run on a lent accelerator.
#
# Trains the default model (TrainConfig defaults: hgat, sampled softmax; device cuda) on a
# generated full-size MPD (SLICES=1000: 1M playlists, ~68M entries, ~2.3M tracks, 242k
# artists, 964k albums, playlist names; built straight into the training graph by
# gen_mpd.py on all CPU cores, no JSON or library) for STEPS steps, and prints s/step,
# peak GPU memory, peak RSS and the projected time of one epoch and of a full training
# (EPOCHS_FULL epochs). The benchmark runs under one time limit (LIMIT_S) so that the
# whole script ends within ~9.5 minutes; it prints the graph build, the epoch set-up and
# every step (with the peak GPU memory so far) as it goes, so a run stopped by the limit
# still shows what it measured. MODEL=gat-mlp LOSS=softmax: the previous default.
#
#   tests/benchmarks/gpu_check.sh                                  # on the GPU machine
#   SLICES=1 STEPS=2 DEVICE=cpu tests/benchmarks/gpu_check.sh      # the CPU rehearsal
#
# Results go to stdout and, when $OUT is set (the device tool's output folder), to
# $OUT/gpu_check.md and $OUT/gpu_check.jsonl.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2

SLICES=${SLICES:-1000}
STEPS=${STEPS:-20}
DEVICE=${DEVICE:-cuda}
EPOCHS_FULL=${EPOCHS_FULL:-20}
MODEL=${MODEL:-}  # empty: TrainConfig's default model and loss
LOSS=${LOSS:-}
LIMIT_S=${LIMIT_S:-540}
PY=${PY:-}
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
OUT_DIR=${OUT:-$(mktemp -d)}
mkdir -p "$OUT_DIR"
echo "== gpu_check: model ${MODEL:-default} (loss ${LOSS:-default}), $SLICES slices, $STEPS steps, device $DEVICE, limit ${LIMIT_S}s =="
date -u
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
"$PY" -c "import torch, sys; print('python', sys.version.split()[0], 'torch', torch.__version__, \
'cuda', torch.version.cuda, 'available', torch.cuda.is_available(), \
torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" || exit 3
if [ "$DEVICE" = cuda ] && ! "$PY" -c "import torch, sys; sys.exit(not torch.cuda.is_available())"; then
    echo "no CUDA device visible to torch: nothing to check (use DEVICE=cpu for the rehearsal)"
    exit 4
fi

timeout --signal=INT --kill-after=20 "$LIMIT_S" "$PY" tests/benchmarks/bench_train_scale.py \
    --slices "$SLICES" --steps "$STEPS" --device "$DEVICE" --epochs-full "$EPOCHS_FULL" \
    ${MODEL:+--model "$MODEL"} ${LOSS:+--loss "$LOSS"} \
    --json "$OUT_DIR/gpu_check.jsonl" | tee "$OUT_DIR/gpu_check.md"
rc=${PIPESTATUS[0]}
date -u
if [ "$rc" -ne 0 ]; then
    echo "gpu_check: the benchmark ended with status $rc (124: the ${LIMIT_S}s limit)"
fi
exit "$rc"
