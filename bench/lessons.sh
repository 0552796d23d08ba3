#!/usr/bin/env bash
# The page's lessons measured natively: `distill sweep --preset KEY` runs a lesson's exact
# settings (samples, validation samples, epochs, batch, optimizer, schedule, loss, T, α) with the
# shipped teacher (teachers/fashion-mnist.dlw, what `cargo xtask serve` publishes), single-threaded
# (RAYON_NUM_THREADS=1, as the page's worker is), for seeds 0-4. Writes docs/results/lessons.json
# (compiled into the page: the lesson cards' figures, the verdict's seed spread and its
# weak/strong teacher line come from it), regenerates docs/RESULTS.md's tables from the results
# files, prints the table and says how long it took. The in-browser timing is
# bench/browser/lessons.mjs. Not part of CI.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
OUT=${OUT:-runs/lessons}
TEACHER=${TEACHER:-teachers/fashion-mnist.dlw}
SEEDS=${SEEDS:-0 1 2 3 4}
[ -f data/fashion-mnist/manifest.json ] || cargo run --release --bin distill -- prepare \
  --dataset fashion-mnist --source /usr/share/datasets/fashion-mnist --out data
cargo build --release --bin distill
mkdir -p $OUT docs/results
for key in ${LESSONS:-quick few-labels patient}; do
  for seed in $SEEDS; do
    f=$OUT/$key-seed$seed.json
    [ -f $f ] && continue
    RAYON_NUM_THREADS=1 target/release/distill sweep --preset $key --data data/fashion-mnist \
      --teacher $TEACHER --seed $seed --out $OUT/$key-seed$seed 2>$OUT/$key-seed$seed.log > $f.tmp
    mv $f.tmp $f
  done
done
python3 - "$OUT" "$TEACHER" docs/results/lessons.json <<'PY'
import json, pathlib, struct, sys
out, teacher, dest = sys.argv[1:]
raw = pathlib.Path(teacher).read_bytes()
(n,) = struct.unpack("<I", raw[8:12])
meta = json.loads(raw[12:12 + n])
ORDER = ["quick", "few-labels", "patient"]
lessons = {}
for f in sorted(pathlib.Path(out).glob("*-seed*.json")):
    key, seed = f.stem.rsplit("-seed", 1)
    r = json.loads(f.read_text().splitlines()[-1])
    l = lessons.setdefault(key, {"key": key, "labelled": r["labelled"], "transfer": r["transfer"], "runs": []})
    l["runs"].append({"seed": int(seed), "teacher": r["teacher_val_acc"], "baseline": r["baseline_val_acc"],
                      "distilled": r["grid"][0]["val_acc"], "seconds": r["seconds"]})
for l in lessons.values():
    l["runs"].sort(key=lambda r: r["seed"])
doc = {"script": "bench/lessons.sh",
       "what": "each lesson's exact settings natively (distill sweep --preset KEY), one thread; accuracies on the lesson's validation images",
       "teacher": {"file": teacher, "val_acc": meta["val_acc"], "epochs": meta["epochs"]},
       "lessons": sorted(lessons.values(), key=lambda l: ORDER.index(l["key"]) if l["key"] in ORDER else 9)}
pathlib.Path(dest).write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {dest}")
PY
python3 bench/tables.py --only lessons
echo "this script: $(( $(date +%s) - start )) s on $(nproc) cores (runs already in $OUT are not redone)"
