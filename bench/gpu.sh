#!/usr/bin/env bash
# Issue 31: the GPU check, one command of a few minutes on a machine with a GPU (or, here, its
# SwiftShader form). In one run it measures:
#   1. native: `distill bench` on --device wgpu beside --device cpu (the same synthetic steps);
#   2. native: real training on each device, same seed: the teacher CNN for TEACHER_EPOCHS and
#      the student MLP for STUDENT_EPOCHS on the first SUBSET training images, validated on VAL
#      test images (seconds and accuracy; the two devices should agree to within noise);
#   3. the auto choice those figures make (the faster device for the student step, the step the
#      page runs most);
#   4. the browser bench (bench/browser/run.mjs: Distill Lab on WebGPU and on the CPU backend,
#      TensorFlow.js's webgpu backend) when Chromium, a built dist/ and bench/browser's packages
#      are there; GPU=1 asks Chromium for the real adapter instead of SwiftShader.
#   5. the bench again at BATCHES (default 64 and 1024), each with the layers of the teacher step.
# Prints the table docs/PERFORMANCE.md shows and, last, one JSON line (bench/gpu_report.py);
# writes both under REPORT (default target/gpu). Copy REPORT/gpu.json to docs/results/ and run
# bench/tables.py to put it in the docs.
#
#   bench/gpu.sh                        # here: native wgpu on whatever Vulkan the machine has
#                                       # (no Vulkan loader here: llvmpipe through GL)
#   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
#     bench/gpu.sh                      # SwiftShader form: Chromium's own Vulkan loader and ICD
#                                       # (without the loader, wgpu falls back to llvmpipe)
#   bench/gpu.sh pack DIR               # what a GPU machine without Rust needs, in DIR:
#                                       # the wgpu build, a small real dataset, this script
#   DIR/gpu.sh                          # then, there (DISTILL and DATA default to DIR's)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
start=$(date +%s)

if [ "${1:-}" = pack ]; then
  dir=${2:?bench/gpu.sh pack DIR}
  root=$(cd "$here/.." && pwd)
  mkdir -p "$dir"
  (cd "$root" && nice cargo build --release --features wgpu --target-dir target/gpu --bin distill)
  # Stripped and gzipped (65 MB → 17): a device machine's upload is limited; gpu.sh unpacks it.
  strip -o "$dir/distill.tmp" "$root/target/gpu/release/distill"
  gzip -9 -c "$dir/distill.tmp" >"$dir/distill.gz"
  rm -f "$dir/distill.tmp" "$dir/distill"
  cp "$here/gpu.sh" "$here/gpu_report.py" "$dir/"
  # The first TRAIN_N/TEST_N official images (the whole set is more than a 64 MiB upload holds
  # beside the binary): prepared into shards the same way `distill prepare` always does.
  src=${SRC:-/usr/share/datasets/fashion-mnist}
  tmp=$(mktemp -d)
  python3 "$here/idx_head.py" "$src" "$tmp" "${TRAIN_N:-16384}" "${TEST_N:-4096}"
  rm -rf "$dir/data"
  "$root/target/gpu/release/distill" prepare --dataset fashion-mnist --source "$tmp" --out "$dir/data" >&2
  rm -rf "$tmp"
  du -sh "$dir"
  exit 0
fi

# A packed folder carries its own binary and data; a checkout uses its builds.
if [ -f "$here/distill.gz" ] && [ ! -x "$here/distill" ]; then
  gunzip -c "$here/distill.gz" >"$here/distill" && chmod +x "$here/distill"
fi
if [ -x "$here/distill" ]; then
  DISTILL=${DISTILL:-$here/distill}
  DATA=${DATA:-$here/data/fashion-mnist}
else
  DISTILL=${DISTILL:-$here/../target/gpu/release/distill}
  DATA=${DATA:-$here/../data/fashion-mnist}
fi
REPORT=${REPORT:-target/gpu}
SUBSET=${SUBSET:-16384}
VAL=${VAL:-4096}
TEACHER_EPOCHS=${TEACHER_EPOCHS:-2}
STUDENT_EPOCHS=${STUDENT_EPOCHS:-5}
STEPS=${STEPS:-20}
BATCHES=${BATCHES:-64 1024}
mkdir -p "$REPORT"
log=$REPORT/gpu.log
: >"$log"
say() { echo "== $*" | tee -a "$log" >&2; }

machine="$(uname -m), $(nproc) cores; GPU: $(nvidia-smi -L 2>/dev/null | head -1 | sed 's/ (UUID.*//' || true)"
echo "$machine" >"$REPORT/machine.txt"
say "machine: $machine"
for dev in cpu wgpu; do
  say "native bench on $dev"
  t0=$(date +%s)
  "$DISTILL" bench --device $dev --no-keras --steps "$STEPS" $([ $dev = wgpu ] && echo --layers) \
    >"$REPORT/bench-$dev.out" 2>>"$log" || echo "   (failed)" >>"$log"
  cat "$REPORT/bench-$dev.out" >>"$log"
  echo "   $(( $(date +%s) - t0 )) s" >>"$log"
done
# The same bench at other batches: whether a step is bound by its launches (flat in time as the
# batch grows) or by a kernel (time growing with the batch), and which layer.
for b in $BATCHES; do
  for dev in cpu wgpu; do
    say "native bench on $dev, batch $b"
    "$DISTILL" bench --device $dev --no-keras --steps "$STEPS" --batch "$b" $([ $dev = wgpu ] && echo --layers) \
      >"$REPORT/bench-$dev-b$b.out" 2>>"$log" || echo "   (failed)" >>"$log"
  done
done
for dev in cpu wgpu; do
  for model in cnn mlp; do
    epochs=$STUDENT_EPOCHS; [ $model = cnn ] && epochs=$TEACHER_EPOCHS
    say "native training: $model, $epochs epoch(s) on $dev"
    rm -rf "$REPORT/train-$model-$dev"
    "$DISTILL" train --data "$DATA" --model $model --device $dev --seed 0 --epochs "$epochs" \
      --subset "$SUBSET" --val "$VAL" --out "$REPORT/train-$model-$dev" >>"$log" 2>&1 ||
      echo "   (failed; see above)" >>"$log"
  done
done

browser=skipped
if [ "${BROWSER:-auto}" = off ]; then
  browser="skipped (BROWSER=off)"
elif command -v node >/dev/null && [ -d "$here/browser/node_modules" ] &&
  [ -f "${DIST:-$here/../target/dist-bench}/index.html" ]; then
  say "browser bench (GPU=${GPU:-0})"
  (cd "$here/browser" && node run.mjs --dist "${DIST:-../../target/dist-bench}" \
    --only ours-webgpu,ours-cpu,tfjs-webgpu ${GPU:+--gpu} --out "$(cd - >/dev/null && pwd)/$REPORT/browser.json") \
    >>"$log" 2>&1 && browser=ran || browser="failed (see gpu.log)"
else
  browser="skipped: needs node, bench/browser's packages (npm ci) and a dist built by cargo xtask bench"
fi

python3 "$here/gpu_report.py" "$REPORT" "$browser" "$(( $(date +%s) - start ))" | tee "$REPORT/gpu.md"
