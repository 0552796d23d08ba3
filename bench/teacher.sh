#!/usr/bin/env bash
# The teacher the result scripts share: the study's recipe (Adadelta, batch 256, plateau schedule
# and early stopping on validation loss) on all training images of DATASET (fashion-mnist by
# default), up to TEACHER_EPOCHS (50) epochs, seed 0; published as data/DATASET/teacher.dlw too.
# Prepares the dataset from SOURCE first when data/DATASET is missing (Debian's Fashion-MNIST
# for fashion-mnist; the official download otherwise). LIMIT trains on the first LIMIT images
# (a quick check, never published). AUGMENT (`distill train --augment`, e.g. shift=2) trains it on
# varied images for issue 29's augmented teacher (never published over the plain one); FLAGS adds
# options to `distill train` (e.g. --no-plateau --no-early-stopping: a constant rate, since the
# plateau schedule's patience of one epoch cuts the rate at the first noisy epoch). Skips the
# training when $OUT/teacher/summary.json exists; says how long it took. The run uses a copy of
# the binary, so rebuilding the crate meanwhile cannot change it half-way.
set -euo pipefail
cd "$(dirname "$0")/.."
DATASET=${DATASET:-fashion-mnist}
D=data/$DATASET
OUT=${OUT:-runs/full}
if [ "$DATASET" = fashion-mnist ]; then SOURCE=${SOURCE:-/usr/share/datasets/fashion-mnist}; fi
[ -f $D/manifest.json ] || cargo run --release --bin distill -- prepare --dataset $DATASET \
  ${SOURCE:+--source $SOURCE} --out data
cargo build --release --bin distill
mkdir -p $OUT
publish="--publish $D"; [ -z "${LIMIT:-}${AUGMENT:-}" ] || publish=""
if [ ! -f $OUT/teacher/summary.json ]; then
  start=$(date +%s)
  cp target/release/distill $OUT/distill
  $OUT/distill train --data $D --model cnn --epochs ${TEACHER_EPOCHS:-50} --seed 0 \
    ${LIMIT:+--subset $LIMIT} ${AUGMENT:+--augment $AUGMENT} ${FLAGS:-} --out $OUT/teacher $publish 2>&1 | tee $OUT/teacher.log \
    | grep -E "epoch|^\{" | grep -v "\[" || true
  [ -f $OUT/teacher/summary.json ] || { echo "the teacher did not train: see $OUT/teacher.log" >&2; exit 1; }
  echo "teacher: $(( $(date +%s) - start )) s"
fi
