#!/usr/bin/env bash
# Issue 29: a patient and consistent teacher (Beyer et al., "Knowledge distillation: A good
# teacher is patient and consistent", CVPR 2022) on all 60,000 Fashion-MNIST training images,
# the 10,000 test images as validation, for SEEDS (0-4). The teacher is the full-scale one
# (bench/teacher.sh, runs/full). Per seed, one `distill sweep` per variant; each sweep trains its
# own label-only baseline with the variant's augmentation and schedule first, and every student
# of a seed starts from the same initial weights, data order and dropout masks:
#   plain            no augmentation: the study's baseline, classic distillation
#   jitter           shift 2 px, rotate 10°, scale ±10 %; targets cached for VIEWS views (consistent)
#   mixup            jitter and mixup (Beta(1, 1)); targets cached for VIEWS views (consistent)
#   mixup-clean      the same students, targets for the clean images (inconsistent)
#   mixup-live       the same, the teacher run on every batch's own view (function matching, live)
#   mixup-long       as mixup, LONG epochs without early stopping (the study's plateau schedule
#                    kept: it cuts the rate tenfold at each flat epoch, so this is the mixup run
#                    again — kept to show that with numbers)
#   plain-patient    no augmentation, LONG epochs at a constant rate (no plateau, no early
#                    stopping): patience without views, to tell the two apart
#   jitter-patient   as jitter, LONG epochs at a constant rate (no plateau, no early stopping):
#   mixup-patient    as mixup, likewise — Beyer et al.'s patience
#   shift            shift by up to 1 px only (views the MLP can still fit), cached views, the
#                    study's schedule (plateau, early stopping)
#   shift-patient    the same views, LONG epochs at a constant rate
#   shift-clean-patient  as shift-patient, targets for the clean images (inconsistent)
#   shift-live-patient  as shift-patient, the teacher run on every batch's own view (live)
#   shiftmix-patient, shiftmix-live-patient  as shift-patient and shift-live-patient, each view
#                    also mixed with another image (mixup, Beta(1, 1))
#   augteacher-plain, augteacher-shift-patient  as plain and shift-patient, from the augmented
#                    teacher AUG_TEACHER: the same CNN trained on views shifted by up to 2 px for
#                    AUG_TEACHER_EPOCHS (30) epochs at a constant rate (bench/teacher.sh with
#                    AUGMENT), trained into AUG_TEACHER_RUNS (runs/aug-teacher) when unset
# Distillation in Hinton's form at T ∈ TS with α ∈ AS (α 1: the teacher's targets alone, as in
# function matching). Writes docs/results/patient.json and regenerates the tables made from it;
# prints them and how long it took. Re-running skips what OUT already holds, and a sweep killed
# half-way resumes at its students' last finished epochs (their checkpoints, OUT/checkpoints, are
# shared by the variants: a label-only run that several variants share is trained once per seed).
# TEACHER (a weights file, e.g. the shipped teachers/fashion-mnist.dlw) replaces the teacher
# trained into TEACHER_RUNS. Not part of CI:
# about five hours of one core (the live variant, a teacher pass per step, is half of it); on 2
# cores run two streams of single-threaded runs (1.6× the throughput of one two-thread run):
#   RAYON_NUM_THREADS=1 SEEDS="0 1 2" bench/patient.sh & RAYON_NUM_THREADS=1 SEEDS="3 4" bench/patient.sh
# docs/results/patient.json (docs/RESULTS.md's first table) is, with the shipped teacher, such
# single-threaded streams at nice 19 beside other work:
#   RAYON_NUM_THREADS=1 TEACHER=teachers/fashion-mnist.dlw AUG_TEACHER=runs/aug-teacher/teacher \
#     TS=4 AS=0.5 VIEWS=4 LONG=100 SEEDS="0 2" VARIANTS="plain shift shift-patient \
#     shift-clean-patient shiftmix-patient shift-live-patient" bench/patient.sh
#   (and SEEDS="1 3", SEEDS=4); AUG_TEACHER only names the augmented teacher in the table.
# docs/results/patient-long.json is shift-patient and shift-clean-patient again with LONG=200
# (OUT=runs/patient-long NAME=patient-long), patient-kl.json the two with Beyer et al.'s
# objective, TS=1 AS=1.0 (OUT=runs/patient-kl NAME=patient-kl); patient-2000.json and
# patient-10000.json the first recipe on the first images (LIMIT); docs/RESULTS.md gives each command.
#   LIMIT=2000 EPOCHS=2 LONG=3 SEEDS=0 VIEWS=2 OUT=runs/patient-check NAME=patient-check \
#     bench/patient.sh    # the same script in a minute, checked
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
D=data/fashion-mnist
TEACHER_RUNS=${TEACHER_RUNS:-runs/full}
OUT=${OUT:-runs/patient}
NAME=${NAME:-patient}
SEEDS=${SEEDS:-0 1 2 3 4}
TS=${TS:-1,4}
AS=${AS:-1.0}
LIVE_TS=${LIVE_TS:-1}
VIEWS=${VIEWS:-10}
EPOCHS=${EPOCHS:-50}
LONG=${LONG:-150}
JITTER=jitter
MIXUP=jitter,mixup=1
SHIFTMIX=shift=1,mixup=1
TEACHER=${TEACHER:-}
if [ -z "$TEACHER" ]; then OUT=$TEACHER_RUNS bench/teacher.sh; TEACHER=$TEACHER_RUNS/teacher; fi
AUG_TEACHER=${AUG_TEACHER:-}
if [ -z "$AUG_TEACHER" ] && [[ "${VARIANTS:-}" == *augteacher-* ]]; then
  S=${AUG_TEACHER_RUNS:-runs/aug-teacher}
  OUT=$S AUGMENT=shift=2 TEACHER_EPOCHS=${AUG_TEACHER_EPOCHS:-30} \
    FLAGS="--no-plateau --no-early-stopping" bench/teacher.sh
  AUG_TEACHER=$S/teacher
fi
mkdir -p $OUT
# A copy, so rebuilding the crate while this runs cannot change a run half-way.
B=$OUT/distill
[ -x $B ] || cp target/release/distill $B
variant() {
  case $1 in
    plain) echo "--temperatures $TS --lambdas $AS" ;;
    jitter) echo "--augment $JITTER --targets views=$VIEWS --temperatures $TS --lambdas $AS" ;;
    mixup) echo "--augment $MIXUP --targets views=$VIEWS --temperatures $TS --lambdas $AS" ;;
    mixup-clean) echo "--augment $MIXUP --targets clean --temperatures $TS --lambdas $AS" ;;
    mixup-live) echo "--augment $MIXUP --targets live --temperatures $LIVE_TS --lambdas $AS" ;;
    mixup-long) echo "--augment $MIXUP --targets views=$VIEWS --temperatures $TS --lambdas $AS --no-early-stopping" ;;
    plain-patient) echo "--temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    jitter-patient) echo "--augment $JITTER --targets views=$VIEWS --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    mixup-patient) echo "--augment $MIXUP --targets views=$VIEWS --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    shift) echo "--augment shift=1 --targets views=$VIEWS --temperatures $TS --lambdas $AS" ;;
    shift-patient) echo "--augment shift=1 --targets views=$VIEWS --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    shift-clean-patient) echo "--augment shift=1 --targets clean --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    shift-live-patient) echo "--augment shift=1 --targets live --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    shiftmix-patient) echo "--augment $SHIFTMIX --targets views=$VIEWS --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    shiftmix-live-patient) echo "--augment $SHIFTMIX --targets live --temperatures $TS --lambdas $AS --no-early-stopping --no-plateau" ;;
    augteacher-*) variant ${1#augteacher-} ;;
  esac
}
ran=0
for seed in $SEEDS; do
  for v in ${VARIANTS:-plain jitter mixup mixup-clean mixup-live mixup-long plain-patient jitter-patient mixup-patient shift shift-patient shift-clean-patient}; do
    f=$OUT/$v-seed$seed.json
    [ -f $f ] && continue
    s0=$(date +%s)
    epochs=$EPOCHS; case $v in *-long | *-patient) epochs=$LONG ;; esac
    # shellcheck disable=SC2046
    teacher=$TEACHER; case $v in augteacher-*) teacher=$AUG_TEACHER ;; esac
    $B sweep --data $D --teacher $teacher --seed $seed --epochs $epochs \
      ${LIMIT:+--subset $LIMIT} --loss hinton $(variant $v) --out $OUT/$v-seed$seed \
      --checkpoints $OUT/checkpoints \
      2>$OUT/$v-seed$seed.log > $f.tmp
    mv $f.tmp $f
    ran=1
    echo "seed $seed $v: $(( $(date +%s) - s0 )) s"
  done
done
echo
# Collected again only when a sweep ran (or nothing is collected yet): the committed file, its
# augmented teacher's line included, is not rewritten by a run that had nothing to do.
if [ $ran = 1 ] || [ ! -f docs/results/$NAME.json ]; then
  python3 bench/collect.py $NAME $OUT $TEACHER bench/patient.sh \
    "${LIMIT:+the first }${LIMIT:-all 60,000} Fashion-MNIST training images, the 10,000 test images as validation; per seed one distill sweep per variant (hinton, T $TS, alpha $AS; $VIEWS cached views; long: $LONG epochs)" \
    ${AUG_TEACHER:+$AUG_TEACHER}
  [ $NAME != patient ] || python3 bench/tables.py --only patient,headline-patient > /dev/null
fi
python3 bench/patient.py docs/results/$NAME.json
echo "took $(( $(date +%s) - start )) s in all on $(nproc) cores (runs already in $OUT are not redone)"
