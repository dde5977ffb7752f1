#!/usr/bin/env bash
# Launches train.py with torchrun (PyTorch's launcher), from this folder.
#
#   ./launch.sh                          one node: one process per GPU, or one CPU process
#   NPROC=4 ./launch.sh                  one node, 4 processes
#   NNODES=2 MASTER_ADDR=node0 ./launch.sh   run the same line on each of the 2 nodes
#
# Arguments go to train.py, e.g. ./launch.sh --train-dir /data/train --test-dir /data/test
set -euo pipefail
cd "$(dirname "$0")"
if command -v torchrun >/dev/null; then TORCHRUN=(torchrun); else TORCHRUN=(python3 -m torch.distributed.run); fi
NPROC=${NPROC:-$(python3 -c 'import torch; print(max(1, torch.cuda.device_count()))')}
NNODES=${NNODES:-1}
if [ "$NNODES" = 1 ]; then
  # One node: torchrun finds a free port itself.
  exec "${TORCHRUN[@]}" --standalone --nproc_per_node="$NPROC" train.py "$@"
fi
# N nodes: every node runs this line; they meet at MASTER_ADDR:MASTER_PORT (c10d rendezvous).
exec "${TORCHRUN[@]}" --nnodes="$NNODES" --nproc_per_node="$NPROC" \
  --rdzv_backend=c10d --rdzv_endpoint="${MASTER_ADDR:?set MASTER_ADDR to the first node}:${MASTER_PORT:-29500}" \
  --rdzv_id="${RDZV_ID:-resnet-workbench-job}" train.py "$@"
