#!/usr/bin/env bash
# The teacher the repo ships (teachers/fashion-mnist.dlw), which `cargo xtask serve` publishes
# for the page's lessons and with which bench/lessons.sh measures them: bench/teacher.sh's
# full-recipe teacher (about half an hour on 2 cores; skipped when runs/full/teacher exists),
# stored in half precision by `distill eval --write-half` (half the size; its header's accuracy
# is the half-precision copy's own on the 10,000 test images). Then run bench/lessons.sh: the
# lessons' results must be measured with the teacher that ships.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT=runs/full bench/teacher.sh
mkdir -p teachers
target/release/distill eval --weights runs/full/teacher --data data/fashion-mnist \
  --write-half teachers/fashion-mnist.dlw 2>&1 | grep -E "accuracy|wrote"
ls -l teachers/fashion-mnist.dlw
echo "this script: $(( $(date +%s) - start )) s on $(nproc) cores"
