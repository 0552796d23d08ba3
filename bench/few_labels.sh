#!/usr/bin/env bash
# Issue 16's few-labels experiment on real Fashion-MNIST (Hinton, Vinyals & Dean 2015, section
# 3): the student sees only the first N labelled training images. For each N and seed, from the
# same initial weights, data order and dropout masks:
#   baseline       the N labelled images alone (cross-entropy);
#   same N         distilled on the same N images: their labels plus the teacher's soft targets;
#   whole set      distilled on the N labels plus the teacher's soft targets over all 60,000
#                  training images (the rest unlabelled: `distill sweep --labelled N`);
#   patient        issue 29's patient teacher on the same whole set: every image shifted by up
#                  to 1 px, the teacher's targets for the clean image, LONG (100) epochs at a
#                  constant rate (no plateau, no early stopping), α PATIENT_AS (0.5) — and its
#                  own label-only baseline with the same views and schedule (the best recipes
#                  of docs/results/patient-2000.json). From PATIENT_TEACHER when set (a weights
#                  file, e.g. the shipped teachers/fashion-mnist.dlw: the same teacher, published
#                  in half precision), recorded in the results file as its second teacher.
# Distillation in the Hinton form at T = 4 with α = 0.5 and 0.9. The teacher is the full-scale
# one (bench/teacher.sh, shared with bench/fashion_full.sh). The study's recipe throughout
# (Adadelta, batch 256, plateau schedule and early stopping on validation loss, up to 50
# epochs); a labelled set smaller than 10,240 images is repeated whole until an epoch holds
# that many (`--repeat-to`), so 250 images still make 40-step epochs for the schedule.
# Writes docs/results/few-labels.json, regenerates the tables and docs/few_labels.svg made from
# it, prints the table and says how long it took. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
D=data/fashion-mnist
TEACHER_RUNS=${TEACHER_RUNS:-runs/full}
OUT=${OUT:-runs/few}
NS=${NS:-250 500 1000 2000 5000 60000}
SEEDS=${SEEDS:-0 1 2 3 4}
AS=${AS:-0.5,0.9}
KINDS=${KINDS:-same whole patient}
LONG=${LONG:-100}
PATIENT_AS=${PATIENT_AS:-0.5}
PATIENT_TEACHER=${PATIENT_TEACHER:-}
OUT=$TEACHER_RUNS bench/teacher.sh
mkdir -p $OUT
# A copy, so rebuilding the crate while this runs cannot change a run half-way.
B=$OUT/distill
[ -x $B ] || cp target/release/distill $B
for n in $NS; do
  for seed in $SEEDS; do
    for kind in $KINDS; do
      f=$OUT/$kind-n$n-seed$seed.json
      [ -f $f ] && continue
      epochs=50 as=$AS
      case $kind in
        same) how="--subset $n" ;;
        whole)
          [ $n -ge 60000 ] && continue  # all labelled: the same run as "same"
          how="--labelled $n" ;;
        patient)
          [ $n -ge 60000 ] && continue  # all labelled: docs/results/patient.json's shift-clean-patient
          how="--labelled $n --augment shift=1 --targets clean --no-plateau --no-early-stopping"
          epochs=$LONG as=$PATIENT_AS ;;
      esac
      teacher=$TEACHER_RUNS/teacher; [ $kind != patient ] || teacher=${PATIENT_TEACHER:-$teacher}
      s0=$(date +%s)
      # shellcheck disable=SC2086
      $B sweep --data $D --teacher $teacher --seed $seed --epochs $epochs $how --repeat-to 10240 \
        --loss hinton --temperatures 4 --lambdas $as --out $OUT/$kind-n$n-seed$seed \
        2>$OUT/$kind-n$n-seed$seed.log > $f.tmp
      mv $f.tmp $f
      echo "N $n seed $seed $kind: $(( $(date +%s) - s0 )) s"
    done
  done
done
echo
python3 bench/collect.py few-labels $OUT $TEACHER_RUNS/teacher bench/few_labels.sh \
  "the first N of Fashion-MNIST's training images labelled (N in $NS), hinton T 4, alpha $AS; same N images or all 60,000 as transfer set; patient: all 60,000 shifted by up to 1 px, clean-image targets, $LONG epochs at a constant rate, alpha $PATIENT_AS" \
  ${PATIENT_TEACHER:+$PATIENT_TEACHER}
python3 bench/tables.py --only few-labels,headline --print
echo
echo "took $(( $(date +%s) - start )) s in all on $(nproc) cores"
