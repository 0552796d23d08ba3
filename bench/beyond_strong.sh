#!/usr/bin/env bash
# Issue 17, second part: classic distillation and FitNets on the same LIMIT (10,000) labelled
# images as bench/beyond.sh, but from the full-scale teacher (bench/teacher.sh: all 60,000
# images, the study's recipe), which leads this student by far more than a teacher trained on
# the 10,000 alone. Same seeds, initial weights, data order and masks as bench/beyond.sh (its
# baselines must come out identical). Prints the table and how long it took. Not in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
D=data/fashion-mnist
OUT=${OUT:-runs/beyond-strong}
TEACHER_RUNS=${TEACHER_RUNS:-runs/full}
LIMIT=${LIMIT:-10000}
SEEDS=${SEEDS:-0 1 2 3 4}
TS=${TS:-2,4}
AS=${AS:-0.1,0.5,0.9}
HINT_EPOCHS=${HINT_EPOCHS:-5}
OUT=$TEACHER_RUNS bench/teacher.sh
mkdir -p $OUT
B=$OUT/distill
[ -x $B ] || cp target/release/distill $B
for seed in $SEEDS; do
  f=$OUT/seed$seed.json
  [ -f $f ] && continue
  s0=$(date +%s)
  $B sweep --data $D --teacher $TEACHER_RUNS/teacher --seed $seed --epochs 50 --limit $LIMIT \
    --loss hinton --temperatures $TS --lambdas $AS --methods distill,fitnets \
    --hint-epochs $HINT_EPOCHS --out $OUT/seed$seed 2>$OUT/seed$seed.log > $f.tmp
  mv $f.tmp $f
  echo "seed $seed: $(( $(date +%s) - s0 )) s"
done
echo
python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); print("teacher CNN (seed 0, %d images): %.2f %% after %d epochs" % (s["train_samples"], 100*s["val_acc"], s["epochs"]))' $TEACHER_RUNS/teacher/summary.json
echo
python3 bench/beyond.py $OUT
echo
echo "took $(( $(date +%s) - start )) s in all on $(nproc) cores"
