// The browser bench: Distill Lab's speed test (WebGPU and the CPU backend) and TensorFlow.js
// (webgpu, webgl, wasm) on the same models and batch sizes, one after the other in ONE headless
// Chromium, on the same adapter. Prints a table and, last, one JSON line with the ratios.
//   node run.mjs --dist ../../dist [--native native.json] [--out report.json] [--only ours-cpu]
//                [--js-flags "--no-wasm-dynamic-tiering"] [--gpu]
// `--gpu`: the machine's GPU through Vulkan instead of SwiftShader (bench/gpu.sh with GPU=1).
// `--native` takes the JSON line `distill bench` printed (the Keras comparison), to fold it in.
import { readFile, readdir, writeFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { join, resolve } from 'node:path';
import { serve, launch, waitFor } from '../../e2e/lib.mjs';

const here = resolve(new URL('.', import.meta.url).pathname);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const dist = resolve(arg('--dist', join(here, '../../dist')));
const nativeFile = arg('--native');
const outFile = arg('--out');
const only = arg('--only'); // e.g. "ours" or "tfjs-wasm", for a quick look
// V8's flags, e.g. "--no-wasm-dynamic-tiering" (every wasm function optimised before it first
// runs: how the warm-up in src/bench.rs was found to matter).
const jsFlags = arg('--js-flags');
const gpu = process.argv.includes('--gpu');

const server = await serve(dist, '/', {
  '/tfjs/': join(here, 'node_modules/@tensorflow') + '/',
  '/bench/': here + '/',
});
// ANGLE on SwiftShader gives tfjs's WebGL backend a GL in headless Chromium without a GPU.
const b = await launch({
  gpu,
  args: [...(gpu ? [] : ['--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader']), ...(jsFlags ? [`--js-flags=${jsFlags}`] : [])],
});
// Distill Lab's training worker loads gpu-counts.js before its own code (tfjs.html has it in a
// script tag): both sides' WebGPU calls are counted the same way.
server.prepend('worker_loader.js', 'importScripts("./bench/gpu-counts.js");\n');
const results = {};
const want = (k) => !only || only.split(',').includes(k);

async function ours(cpu) {
  const key = cpu ? 'ours-cpu' : 'ours-webgpu';
  if (!want(key) && !want('ours')) return;
  console.error(`… Distill Lab on ${cpu ? 'the CPU backend (flex in wasm)' : 'WebGPU'}`);
  await b.page.goto(`${server.url}?bench=${cpu ? 'cpu' : 'webgpu'}`);
  await waitFor(b.page, b.logs, `the speed test (${key})`, () => {
    const r = document.querySelector('.bench-result');
    return r || document.querySelector('.messages .error');
  }, null, 1_200_000);
  const err = await b.page.locator('.messages .error').allTextContents();
  if (err.length) { results[key] = { error: err.join(' | ') }; return; }
  const r = JSON.parse(await b.page.locator('.bench-result').first().getAttribute('data-json'));
  results[key] = {
    stack: `Distill Lab (burn 0.22, ${r.device.backend})`, backend: r.device.backend, adapter: r.device.name,
    teacher_batch: r.spec.teacher_batch, ...r.figures,
  };
}

async function tfjs(backend) {
  const key = `tfjs-${backend}`;
  if (!want(key) && !want('tfjs')) return;
  console.error(`… TensorFlow.js ${backend}`);
  const page = await b.context.newPage();
  page.on('console', (m) => b.logs.push(`[tfjs ${m.type()}] ${m.text()}`));
  // `commit`: tfjs's CPU backends compute on the page's thread, holding back its load event.
  await page.goto(`${server.url}bench/tfjs.html?backend=${backend}`, { waitUntil: 'commit' });
  await waitFor(page, b.logs, key, () => document.getElementById('result').textContent, null, 1_200_000);
  results[key] = JSON.parse(await page.locator('#result').textContent());
  await page.close();
}

/** Shard decode times (gunzip + checks) in this build's worker, from the loading panel. */
async function shards() {
  if (!want('shards')) return;
  console.error('… shard decoding (Fashion-MNIST, as the page loads it)');
  // Click to all shards in: first from the local server, then (same profile) from Cache Storage.
  const load = async () => {
    await b.page.goto(`${server.url}?dataset=fashion-mnist&device=cpu&epochs=1&subset=60000&val=10000`);
    // Let the worker finish compiling its 22 MB module first: this times the data, not start-up.
    await b.page.waitForTimeout(5_000);
    const t0 = Date.now();
    await b.page.click('#start');
    await waitFor(b.page, b.logs, 'the shards to load', () => document.querySelector('#load-summary')?.dataset.done === 'true'
      || document.querySelector('.messages .error'), null, 600_000);
    const ms = Date.now() - t0;
    const titles = await b.page.locator('.shard.done').evaluateAll((els) => els.map((e) => [e.querySelector('span').textContent, e.title]));
    await b.page.click('#stop').catch(() => {});
    return [ms, titles];
  };
  const [networkMs, titles] = await load();
  const [cacheMs] = await load();
  results.load = { network_ms: networkMs, cache_ms: cacheMs };
  results.shards = titles.map(([file, t]) => ({
    file, bytes: +/^(\d+) bytes/.exec(t)[1], verify_ms: +/checked in ([\d.]+) ms/.exec(t)[1], decode_ms: +/decoded in ([\d.]+) ms/.exec(t)[1],
  }));
}

try {
  await shards();
  await ours(false);
  await ours(true);
  for (const be of ['webgpu', 'webgl', 'wasm', 'cpu']) await tfjs(be);
} finally {
  await b.close();
  await server.close();
}

const f = (v, d = 1) => (typeof v === 'number' ? v.toFixed(d) : '—');
const mb = (v) => (typeof v === 'number' ? `${(v / 1e6).toFixed(1)}` : '—');
console.log(`\n${'browser bench (samples/s)'.padEnd(30)} ${'teacher train'.padStart(14)} ${'student KD'.padStart(11)} ${'teacher inf'.padStart(12)} ${'1st step s'.padStart(11)} ${'warm-up t/s'.padStart(12)} ${'matmul GF/s'.padStart(12)}  memory MB ep1→ep10 (device/heap)  adapter`);
const notes = [];
for (const [k, r] of Object.entries(results)) {
  if (k === 'shards' || k === 'load') continue;
  if (r.error) { console.log(`${k.padEnd(30)} failed: ${r.error.split('\n')[0]}`); continue; }
  const m = r.memory ?? [];
  const mem = m.length ? `${mb(m[0].device_bytes)}/${mb(m[0].heap_bytes)} → ${mb(m.at(-1).device_bytes)}/${mb(m.at(-1).heap_bytes)}` : '—';
  for (const [phase, e] of Object.entries(r.errors ?? {})) notes.push(`${k}: ${phase} failed: ${e.split('\n')[0]}`);
  console.log(`${k.padEnd(30)} ${f(r.teacher_train).padStart(14)} ${f(r.student_kd).padStart(11)} ${f(r.teacher_infer).padStart(12)} ${f(r.first_step_s, 2).padStart(11)} ${(r.warmup_steps ?? ['—', '—']).join('/').padStart(12)} ${f(r.matmul_peak_gflops).padStart(12)}  ${mem.padEnd(34)} ${r.adapter}`);
}

notes.forEach((n) => console.log(`  note: ${n}`));

// What each WebGPU side asked of the GPU per step (gpu-counts.js): the timed phase's totals over
// its steps; reads are the phase's own (one at its end, as timed), not per step.
const countRows = [];
for (const [k, r] of Object.entries(results)) {
  if (!r?.counts?.teacher_train.counts.dispatches) continue; // not on WebGPU
  const row = { side: k, first_step_pipelines: r.counts.first_step.pipelines, first_step_dispatches: r.counts.first_step.dispatches };
  for (const ph of ['teacher_train', 'student_kd', 'teacher_infer']) {
    const { steps, counts: c } = r.counts[ph];
    row[ph] = {
      steps, dispatches: c.dispatches / steps, submits: c.submits / steps, uploads: c.uploads / steps,
      upload_kb: c.upload_bytes / steps / 1e3, reads_in_phase: c.reads, pipelines_in_phase: c.pipelines,
    };
  }
  countRows.push(row);
}
if (countRows.length) {
  console.log(`\n${'WebGPU work per step'.padEnd(30)} ${'dispatches'.padStart(10)} ${'submits'.padStart(8)} ${'uploads'.padStart(8)} ${'upload kB'.padStart(10)} ${'reads/phase'.padStart(12)} ${'new pipelines'.padStart(14)}`);
  for (const row of countRows) {
    console.log(`${row.side}: first step compiles ${row.first_step_pipelines} pipelines, ${row.first_step_dispatches} dispatches`);
    for (const ph of ['teacher_train', 'student_kd', 'teacher_infer']) {
      const c = row[ph];
      console.log(`  ${ph.padEnd(28)} ${f(c.dispatches).padStart(10)} ${f(c.submits).padStart(8)} ${f(c.uploads).padStart(8)} ${f(c.upload_kb).padStart(10)} ${`${c.reads_in_phase} / ${c.steps}`.padStart(12)} ${String(c.pipelines_in_phase).padStart(14)}`);
    }
  }
}
if (results.shards?.length) {
  const span = (field) => {
    const ms = results.shards.map((x) => x[field]);
    return `${f(Math.min(...ms))}–${f(Math.max(...ms))} ms (mean ${f(ms.reduce((a, x) => a + x, 0) / ms.length)} ms)`;
  };
  console.log(`shard decode in the worker: ${results.shards.length} shards of ${f(results.shards[0].bytes / 1e6, 2)} MB; inflate + checks ${span('decode_ms')}; sha256 ${span('verify_ms')}`);
  console.log(`loading all ${results.shards.length} shards (70,000 images), click to done (worker already up): ${f(results.load.network_ms / 1e3, 2)} s from the local server, ${f(results.load.cache_ms / 1e3, 2)} s from the browser cache`);
}

// What a visitor downloads: each wasm bundle raw and gzip -9 (issue goals: UI ≤ 0.5 MB, worker
// ≤ 3 MB gzip). The page loads the UI and ONE worker: the CPU one unless WebGPU is chosen.
const sizes = {};
for (const file of await readdir(dist)) {
  const m = /^(app|worker|worker_cpu)(-[0-9a-f]+)?_bg\.wasm$/.exec(file);
  if (!m) continue;
  const raw = await readFile(join(dist, file));
  sizes[{ app: 'ui', worker: 'worker_webgpu', worker_cpu: 'worker_cpu' }[m[1]]] = { raw_mb: raw.length / 1e6, gz_mb: gzipSync(raw, { level: 9 }).length / 1e6 };
}
for (const [k, v] of Object.entries(sizes)) console.log(`download ${k.padEnd(14)} ${f(v.raw_mb, 2).padStart(6)} MB raw  ${f(v.gz_mb, 2).padStart(5)} MB gzip -9`);

// Ratios: against tfjs's best backend in this browser for GPU figures, tfjs-wasm for the CPU.
const ok = (k) => results[k] && !results[k].error ? results[k] : null;
const best = (field) => Math.max(...['tfjs-webgpu', 'tfjs-webgl', 'tfjs-wasm', 'tfjs-cpu'].map((k) => ok(k)?.[field] ?? 0));
const ratio = (a, bb) => (a && bb ? a / bb : null);
const gw = ok('ours-webgpu');
const cpu = ok('ours-cpu');
const tw = ok('tfjs-wasm');
// tfjs-wasm cannot train a CNN (no convolution gradients): its teacher peer is tfjs-cpu, the
// backend tfjs itself falls back to for that.
const tcpu = ok('tfjs-cpu');
const geo = (x, y) => (x && y ? Math.sqrt(x * y) : null);
let native = null;
if (nativeFile) {
  try { native = JSON.parse((await readFile(nativeFile, 'utf8')).trim().split('\n').at(-1)); } catch (e) { console.error(`(no native figures: ${e.message})`); }
}
// What the page's `auto` device runs: on a software adapter it picks the CPU backend, so the
// product's figure is the better of ours; the per-backend ratios above stay adapter-for-adapter.
const oursBest = (field) => Math.max(gw?.[field] ?? 0, cpu?.[field] ?? 0) || null;
// The first step is shader compilation plus one ordinary step: subtract a steady step (the
// side's own teacher batch at its measured rate) to see the compile cost alone.
const compile = (r) => (r?.first_step_s && r.teacher_train ? r.first_step_s - r.teacher_batch / r.teacher_train : null);
const perStep = (r, ph, field) => (r?.counts ? r.counts[ph].counts[field] / r.counts[ph].steps : null);
const summary = {
  ours_best_teacher_vs_tfjs: ratio(oursBest('teacher_train'), best('teacher_train')),
  ours_best_student_vs_tfjs: ratio(oursBest('student_kd'), best('student_kd')),
  teacher_vs_tfjs: ratio(gw?.teacher_train, best('teacher_train')),
  student_vs_tfjs: ratio(gw?.student_kd, best('student_kd')),
  infer_vs_tfjs: ratio(gw?.teacher_infer, best('teacher_infer')),
  // WebGPU against tfjs's webgpu backend on the same adapter (issue 31's ratios).
  webgpu_teacher_vs_tfjs_webgpu: ratio(gw?.teacher_train, ok('tfjs-webgpu')?.teacher_train),
  webgpu_student_vs_tfjs_webgpu: ratio(gw?.student_kd, ok('tfjs-webgpu')?.student_kd),
  student_dispatches_per_step: perStep(gw, 'student_kd', 'dispatches'),
  tfjs_student_dispatches_per_step: perStep(ok('tfjs-webgpu'), 'student_kd', 'dispatches'),
  teacher_dispatches_per_step: perStep(gw, 'teacher_train', 'dispatches'),
  tfjs_teacher_dispatches_per_step: perStep(ok('tfjs-webgpu'), 'teacher_train', 'dispatches'),
  first_step_pipelines: gw?.counts?.first_step.pipelines ?? null,
  tfjs_first_step_pipelines: ok('tfjs-webgpu')?.counts?.first_step.pipelines ?? null,
  cpu_vs_tfjs_wasm: geo(ratio(cpu?.teacher_train, tw?.teacher_train ?? tcpu?.teacher_train), ratio(cpu?.student_kd, tw?.student_kd)),
  native_vs_keras: native?.native_vs_keras ?? null,
  first_step_s: gw?.first_step_s ?? null,
  first_step_compile_s: compile(gw),
  cpu_first_step_s: cpu?.first_step_s ?? null,
  shard_decode_ms_max: results.shards?.length ? Math.max(...results.shards.map((x) => x.decode_ms)) : null,
  load_from_cache_s: results.load ? results.load.cache_ms / 1e3 : null,
  shard_sha256_ms_max: results.shards?.length ? Math.max(...results.shards.map((x) => x.verify_ms)) : null,
  tfjs_first_step_s: ok('tfjs-webgpu')?.first_step_s ?? null,
  tfjs_first_step_compile_s: compile(ok('tfjs-webgpu')),
  webgpu_adapter: gw?.adapter ?? null,
  ui_gz_mb: sizes.ui?.gz_mb ?? null,
  worker_webgpu_gz_mb: sizes.worker_webgpu?.gz_mb ?? null,
  worker_cpu_gz_mb: sizes.worker_cpu?.gz_mb ?? null,
};
if (gw && gw.backend !== 'webgpu') console.log('NOTE: WebGPU was not available; "ours-webgpu" ran on the CPU backend.');
if (outFile) await writeFile(outFile, JSON.stringify({ results, native, summary, counts: countRows }, null, 1));
console.log(JSON.stringify(summary));
