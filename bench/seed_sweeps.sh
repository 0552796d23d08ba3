#!/usr/bin/env bash
# Shared by the result scripts: for each seed and loss form, one `distill sweep` (a baseline and
# a distilled student per T × λ cell, all from the seed's initial weights, data order and
# dropout masks) against $OUT/teacher, its JSON line in $OUT/LOSS-seedS.json (skipped when
# there), saying how long each took. Reads D, OUT, SEEDS, TS, LS, STUDENT_EPOCHS and LIMIT.
set -euo pipefail
cd "$(dirname "$0")/.."
for seed in $SEEDS; do
  for loss in keras hinton; do
    f=$OUT/$loss-seed$seed.json
    [ -f $f ] && continue
    s0=$(date +%s)
    target/release/distill sweep --data $D --teacher $OUT/teacher --seed $seed \
      --epochs ${STUDENT_EPOCHS:-50} ${LIMIT:+--subset $LIMIT} --loss $loss --temperatures $TS \
      --lambdas $LS --out $OUT/$loss-seed$seed 2>$OUT/$loss-seed$seed.log > $f.tmp
    mv $f.tmp $f
    echo "seed $seed $loss: $(( $(date +%s) - s0 )) s"
  done
done
