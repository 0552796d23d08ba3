#!/usr/bin/env bash
# Issue 16's full-scale result on real Fashion-MNIST (Debian's dataset-fashion-mnist): all 60,000
# training images, the 10,000 test images as the study's validation set. One teacher trained with
# the study's recipe to its potential (Adadelta, batch 256, plateau schedule and early stopping on
# validation loss, up to 50 epochs), its logits cached once per sweep; then for each seed a
# baseline student and distilled students over a T × λ/α grid for both loss forms, every student
# of a seed from the same initial weights, data order and dropout masks. Prints the table (mean ±
# sd, paired gain with a 95 % interval) and how long each part took; writes
# docs/results/full-scale.json and regenerates the tables made from it. Not part of CI: hours on
# 2 cores. Re-running skips what runs/full/ already holds.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
D=data/fashion-mnist
OUT=${OUT:-runs/full}
SEEDS=${SEEDS:-0 1 2 3 4}
TS=${TS:-2,4,10,20}
LS=${LS:-0.1,0.5,0.9}
OUT=$OUT bench/teacher.sh
t_teacher=$(( $(date +%s) - start ))
D=$D OUT=$OUT SEEDS=$SEEDS TS=$TS LS=$LS bench/seed_sweeps.sh
echo
python3 bench/collect.py full-scale $OUT $OUT/teacher bench/fashion_full.sh \
  "all 60,000 Fashion-MNIST training images, the 10,000 test images as validation; per seed and loss form one distill sweep over T $TS x lambda $LS"
python3 bench/tables.py --only full-scale,headline --print
echo
echo "took $(( $(date +%s) - start )) s in all (teacher part $t_teacher s) on $(nproc) cores"
