#!/usr/bin/env bash
# Issue 17: the methods the study names as its next step, side by side with classic distillation
# on real Fashion-MNIST (Debian's dataset-fashion-mnist). Every method sees the same LIMIT
# (10,000) labelled training images and is validated on all 10,000 test images; the teacher
# CNN is trained on the same images (bench/teacher.sh with LIMIT: the study's recipe, seed 0).
# For each seed, one `distill sweep --methods distill,fitnets,dml,dml-cnn`: the baseline, classic
# distillation over a T × α grid (hinton form), FitNets (HINT_EPOCHS of hints, then the same
# grid), deep mutual learning of two students and of the student with a CNN trained from
# scratch; every student of a seed from the baseline's initial weights, data order and dropout
# masks. Prints the table (mean ± sd, paired gains with 95 % intervals) and how long it took.
# LIMIT is the compute budget: a CNN in the cohort costs a CNN's training per seed. Not in CI.
# TEACHER_RUNS=runs/full (what bench/beyond_strong.sh sets) distils from that folder's teacher
# instead of one trained on the LIMIT images; METHODS chooses the methods. Writes
# docs/results/NAME.json (NAME: beyond) and regenerates the tables made from it.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
D=data/fashion-mnist
OUT=${OUT:-runs/beyond}
LIMIT=${LIMIT:-10000}
SEEDS=${SEEDS:-0 1 2 3 4}
TS=${TS:-2,4}
AS=${AS:-0.1,0.5,0.9}
HINT_EPOCHS=${HINT_EPOCHS:-5}
EPOCHS=${EPOCHS:-50}
METHODS=${METHODS:-distill,fitnets,dml,dml-cnn}
if [ -n "${TEACHER_RUNS:-}" ]; then
  OUT=$TEACHER_RUNS bench/teacher.sh
else
  TEACHER_RUNS=$OUT
  OUT=$OUT LIMIT=$LIMIT TEACHER_EPOCHS=$EPOCHS bench/teacher.sh
fi
t_teacher=$(( $(date +%s) - start ))
mkdir -p $OUT
# A copy, so rebuilding the crate while this runs cannot change a run half-way.
B=$OUT/distill
[ -x $B ] || cp target/release/distill $B
for seed in $SEEDS; do
  f=$OUT/seed$seed.json
  [ -f $f ] && continue
  s0=$(date +%s)
  $B sweep --data $D --teacher $TEACHER_RUNS/teacher --seed $seed --epochs $EPOCHS --subset $LIMIT \
    --loss hinton --temperatures $TS --lambdas $AS --methods $METHODS \
    --hint-epochs $HINT_EPOCHS --out $OUT/seed$seed 2>$OUT/seed$seed.log > $f.tmp
  mv $f.tmp $f
  echo "seed $seed: $(( $(date +%s) - s0 )) s"
done
echo
NAME=${NAME:-beyond}
python3 bench/collect.py $NAME $OUT $TEACHER_RUNS/teacher ${SCRIPT:-bench/beyond.sh} \
  "the first $LIMIT Fashion-MNIST training images, the 10,000 test images as validation; distill sweep --methods $METHODS, hinton T $TS x alpha $AS, $HINT_EPOCHS hint epochs"
python3 bench/tables.py --only $NAME,headline-beyond --print
echo
echo "took $(( $(date +%s) - start )) s in all (teacher part $t_teacher s) on $(nproc) cores"
