#!/usr/bin/env bash
# Issue 17, second part: classic distillation and FitNets on the same 10,000 labelled images as
# bench/beyond.sh, from the full-scale teacher (bench/teacher.sh: all 60,000 images, the study's
# recipe), which leads this student by far more than a teacher trained on the 10,000 alone. Same
# seeds, initial weights, data order and masks (the baselines come out identical). Writes
# docs/results/beyond-strong.json. Not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=beyond-strong SCRIPT=bench/beyond_strong.sh OUT=${OUT:-runs/beyond-strong} TEACHER_RUNS=${TEACHER_RUNS:-runs/full} METHODS=distill,fitnets \
  exec bench/beyond.sh
