#!/usr/bin/env bash
# The page's lessons measured natively: `distill sweep --preset KEY` runs a lesson's exact
# settings (samples, validation samples, epochs, batch, optimizer, schedule, loss, T, α) with the
# published full-recipe teacher, single-threaded (RAYON_NUM_THREADS=1, as the page's worker
# is), for seeds 0-4. Prints accuracies (mean ± sd), the paired gain with a 95 % interval, and
# the wall time of one run (data, teacher-logit cache, both students). The in-browser timing is
# bench/browser/lessons.mjs. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT=${OUT:-runs/lessons}
TEACHER=${TEACHER:-runs/full/teacher}
SEEDS=${SEEDS:-0 1 2 3 4}
[ -f $TEACHER/summary.json ] || OUT=$(dirname $TEACHER) bench/teacher.sh
cargo build --release --bin distill
mkdir -p $OUT
for key in ${LESSONS:-quick few-labels}; do
  for seed in $SEEDS; do
    f=$OUT/$key-seed$seed.json
    [ -f $f ] && continue
    RAYON_NUM_THREADS=1 target/release/distill sweep --preset $key --data data/fashion-mnist \
      --teacher $TEACHER --seed $seed --out $OUT/$key-seed$seed 2>$OUT/$key-seed$seed.log > $f.tmp
    mv $f.tmp $f
  done
done
python3 - $OUT <<'PY'
import json, pathlib, sys
sys.path.insert(0, "bench")
from paired import interval, mean_sd
runs = {}
for f in sorted(pathlib.Path(sys.argv[1]).glob("*-seed*.json")):
    key, seed = f.stem.rsplit("-seed", 1)
    runs.setdefault(key, {})[int(seed)] = json.loads(f.read_text().splitlines()[-1])
print("| lesson | labelled images | baseline, mean ± sd | distilled, mean ± sd | paired gain (points), mean [95 % CI] | per seed | one run, native, 1 thread |")
print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
for key, by_seed in runs.items():
    seeds = sorted(by_seed)
    b = [100 * by_seed[s]["baseline_val_acc"] for s in seeds]
    d = [100 * by_seed[s]["grid"][0]["val_acc"] for s in seeds]
    g = [x - y for x, y in zip(d, b)]
    m, lo, hi = interval(g)
    (bm, bsd), (dm, dsd), (tm, _) = mean_sd(b), mean_sd(d), mean_sd([by_seed[s]["seconds"] for s in seeds])
    print(f"| {key} | {by_seed[seeds[0]]['labelled']:,} | {bm:.2f} ± {bsd:.2f} | {dm:.2f} ± {dsd:.2f} | "
          f"**{m:+.2f}** [{lo:+.2f}, {hi:+.2f}] | {', '.join(f'{x:+.2f}' for x in g)} | {tm:.0f} s |")
total = sum(r["seconds"] for by_seed in runs.values() for r in by_seed.values())
print(f"\n{sum(map(len, runs.values()))} runs, {total} s of their own (each run's data, teacher-logit cache and both students)")
PY
echo "this script: $(( $(date +%s) - start )) s on $(nproc) cores (runs already in $OUT are not redone)"
