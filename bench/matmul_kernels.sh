#!/usr/bin/env bash
# Issue 31, item 3: cubek's matmul kernels, one by one, on the three matmuls of the student's
# step (examples/matmul_kernels.rs), on each software adapter this machine has: Chromium's own
# SwiftShader through its Vulkan loader (the adapter the browser bench's WebGPU runs on) and
# Mesa's llvmpipe (what wgpu finds without that loader, through GL). Writes
# docs/results/matmul-kernels.json and regenerates the table made from it (docs/PERFORMANCE.md);
# says how long it took. Time it on an idle machine: a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
cargo build --release --features kernel-bench --target-dir target/gpu --example matmul_kernels
B=target/gpu/release/examples/matmul_kernels
out=$(mktemp -d)
LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json \
  $B | tee $out/swiftshader.txt
$B | tee $out/llvmpipe.txt
python3 - "$out" "$(( $(date +%s) - start ))" <<'PY'
import json, pathlib, sys, datetime, platform, os
out, secs = pathlib.Path(sys.argv[1]), int(sys.argv[2])
runs = [json.loads([l for l in (out / f"{a}.txt").read_text().splitlines() if l.startswith("{")][-1])
        for a in ("swiftshader", "llvmpipe")]
doc = {"script": "bench/matmul_kernels.sh", "date": datetime.date.today().isoformat(),
       "machine": f"{platform.machine()}, {os.cpu_count()} cores", "seconds": secs, "runs": runs}
dest = pathlib.Path("docs/results/matmul-kernels.json")
dest.write_text(json.dumps(doc, indent=1) + "\n")
print(f"wrote {dest}")
PY
python3 bench/tables.py --only matmul-kernels --print
echo "took $(( $(date +%s) - start )) s"
