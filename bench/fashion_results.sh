#!/usr/bin/env bash
# The study's three models on real Fashion-MNIST (Debian's dataset-fashion-mnist), over three
# seeds, on a schedule that fits a 2-core machine: 30,000 training samples, the full 10,000 test
# samples for validation, the study's optimizer (Adadelta, lr 1.0), batch 256, reduce-LR-on-plateau
# and early stopping; the teacher for 6 epochs, the students for 30; distillation as in the study
# (keras loss, T = 10, λ = 0.5). About 11 minutes on 2 cores. Prints one JSON line per run and a
# summary table; the runs land in runs/fashion/.
set -euo pipefail
cd "$(dirname "$0")/.."
D=data/fashion-mnist
[ -f $D/manifest.json ] || cargo run --release --bin distill -- prepare --dataset fashion-mnist --source /usr/share/datasets/fashion-mnist --out data
cargo build --release --bin distill
B=target/release/distill
LIMIT=${LIMIT:-30000}
OUT=runs/fashion
for seed in ${SEEDS:-0 1 2}; do
  R=$OUT/seed$seed
  $B train --data $D --model cnn --epochs ${TEACHER_EPOCHS:-6} --subset $LIMIT --seed $seed --out $R/teacher | tail -1
  $B train --data $D --model mlp --epochs ${STUDENT_EPOCHS:-30} --subset $LIMIT --seed $seed --out $R/baseline | tail -1
  $B train --data $D --model student --teacher $R/teacher --epochs ${STUDENT_EPOCHS:-30} --subset $LIMIT --seed $seed \
    --temperature 10 --lambda 0.5 --loss keras --out $R/distilled | tail -1
done
python3 - "$OUT" <<'PY'
import json, pathlib, statistics, sys
rows = {}
for f in sorted(pathlib.Path(sys.argv[1]).glob("seed*/*/summary.json")):
    s = json.loads(f.read_text())
    rows.setdefault(f.parent.name, []).append(s)
print(f"\n{'model':<10} {'params':>9} {'val acc (mean ± sd over seeds)':>32} {'epochs':>8}")
for name in ["teacher", "baseline", "distilled"]:
    v = rows.get(name, [])
    if not v:
        continue
    acc = [100 * r["val_acc"] for r in v]
    sd = statistics.stdev(acc) if len(acc) > 1 else 0.0
    print(f"{name:<10} {v[0]['params']:>9} {statistics.mean(acc):>24.2f} % ± {sd:.2f} {'/'.join(str(r['epochs']) for r in v):>8}")
b = [r["val_acc"] for r in rows.get("baseline", [])]
d = [r["val_acc"] for r in rows.get("distilled", [])]
if b and d:
    gains = [100 * (y - x) for x, y in zip(b, d)]
    print(f"distilled - baseline per seed: {', '.join(f'{g:+.2f}' for g in gains)} points; mean {statistics.mean(gains):+.2f}")
PY
