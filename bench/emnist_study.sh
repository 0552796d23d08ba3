#!/usr/bin/env bash
# The study's exact protocol on EMNIST letters, for a machine that has the images: a teacher CNN
# with early stopping (up to TEACHER_EPOCHS, 50: the study stopped at 26), then for each seed a
# baseline student and students distilled at the study's T = 10, λ = 0.5 in both loss forms
# (keras is the study's; hinton uses α = 0.5 with T²), 50 epochs with early stopping, every
# student of a seed from the same initial weights, data order and dropout masks. Prints the
# study's figures beside ours (mean ± sd, paired gain with a 95 % interval) and how long it took.
#
#   bench/emnist_study.sh                       # downloads EMNIST (prepare's official source)
#   SOURCE=DIR bench/emnist_study.sh            # the four official .gz files (or the zip) in DIR
#   DATASET=fashion-mnist LIMIT=2000 TEACHER_EPOCHS=2 STUDENT_EPOCHS=3 SEEDS="0 1" \
#     OUT=runs/study-check bench/emnist_study.sh   # the same script, checked on Fashion-MNIST
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
export DATASET=${DATASET:-emnist-letters}
D=data/$DATASET
OUT=${OUT:-runs/study-$DATASET}
SEEDS=${SEEDS:-0 1 2 3 4}
OUT=$OUT bench/teacher.sh
t_teacher=$(( $(date +%s) - start ))
D=$D OUT=$OUT SEEDS=$SEEDS TS=10 LS=0.5 bench/seed_sweeps.sh
echo
python3 - "$OUT" "$DATASET" <<'PY'
import json, pathlib, sys
sys.path.insert(0, "bench")
from paired import interval, load, mean_sd
out, dataset = sys.argv[1], sys.argv[2]
teacher = json.loads(pathlib.Path(out, "teacher/summary.json").read_text())
runs = load(out)
seeds = sorted(runs["keras"])
base = [100 * runs["keras"][s]["baseline_val_acc"] for s in seeds]
print(f"{dataset}, {len(seeds)} seeds; the study: EMNIST letters, one run")
print("| model | the study | ours, mean ± sd | paired gain over the baseline, mean [95 % CI] |")
print("| --- | ---: | ---: | ---: |")
print(f"| teacher CNN | 94.4 % (26 epochs) | {100 * teacher['val_acc']:.2f} % ({teacher['epochs']} epochs, seed 0) | |")
bm, bsd = mean_sd(base)
print(f"| student alone | 91.6 % | {bm:.2f} ± {bsd:.2f} % | |")
for loss, label, study in [("keras", "distilled, keras T 10 λ 0.5", "92.2 % (+0.6)"), ("hinton", "distilled, hinton T 10 α 0.5", "")]:
    acc = [100 * runs[loss][s]["grid"][0]["val_acc"] for s in seeds]
    m, lo, hi = interval([a - b for a, b in zip(acc, base)])
    am, asd = mean_sd(acc)
    print(f"| {label} | {study} | {am:.2f} ± {asd:.2f} % | {m:+.2f} [{lo:+.2f}, {hi:+.2f}] |")
same = all(runs["hinton"][s]["baseline_val_acc"] == runs["keras"][s]["baseline_val_acc"] for s in seeds)
print(f"\nbaselines of both sweeps identical per seed (determinism): {'yes' if same else 'NO'}")
PY
echo
echo "took $(( $(date +%s) - start )) s in all (teacher part $t_teacher s) on $(nproc) cores"
