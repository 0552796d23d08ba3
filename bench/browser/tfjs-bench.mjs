// The TensorFlow.js peer of Distill Lab's speed test (src/bench.rs), measured the same way:
// the first teacher step on a fresh backend (shader compilation), up to `warmup` untimed steps
// (stopping once they took `warmup_s`: V8 optimises hot wasm and JS in the background), then
// timed steps with one read at the end; the student's KD step against cached teacher logits;
// teacher inference at batch 256; a 1024² matmul as the ceiling; memory after epoch 1 and 10 of a
// small student run. Each step uploads its batch from a Float32Array, as Distill Lab does.
/* global tf */
const params = new URLSearchParams(location.search);
const backend = params.get('backend') ?? 'webgpu';
const spec = JSON.parse(params.get('spec') ?? '{}');
const S = {
  teacher_batch: 64, student_batch: 256, warmup: 32, warmup_s: 1, teacher_steps: 3, student_steps: 12,
  memory_epochs: 10, classes: 26, budget_s: 240, ...spec,
};
const status = (s) => { document.getElementById('status').textContent = s; };
// gpu-counts.js's running totals (WebGPU only), and what happened since an earlier reading.
const gpu = () => (self.__gpuCounts ? { ...self.__gpuCounts } : null);
const since = (a) => {
  const b = gpu();
  if (!a || !b) return null;
  const { encoders, ...keep } = Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - a[k]]));
  return keep;
};
const now = () => performance.now() / 1e3;

// The study's networks (bench/keras_bench.py builds the same in Keras).
function teacher(c) {
  const L = tf.layers;
  return tf.sequential({ layers: [
    L.conv2d({ inputShape: [28, 28, 1], filters: 64, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }), L.dropout({ rate: 0.25 }),
    L.conv2d({ filters: 128, kernelSize: 3, activation: 'relu' }),
    L.maxPooling2d({ poolSize: 2 }), L.dropout({ rate: 0.25 }),
    L.flatten(), L.dense({ units: 1024, activation: 'relu' }), L.dropout({ rate: 0.5 }),
    L.dense({ units: c }),
  ] });
}
function student(c) {
  const L = tf.layers;
  return tf.sequential({ layers: [
    L.flatten({ inputShape: [28, 28, 1] }), L.dense({ units: 512, activation: 'relu' }),
    L.dropout({ rate: 0.2 }), L.dense({ units: c }),
  ] });
}

function noise(n) {
  const a = new Float32Array(n * 784);
  let x = 0x2545f491;
  for (let i = 0; i < a.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; a[i] = ((x >>> 24) / 255 - 0.5) / 0.3; }
  return a;
}
function batchOf(pix, labels, i, b, c) {
  const x = tf.tensor4d(pix.subarray(i * b * 784, (i + 1) * b * 784), [b, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(labels.subarray(i * b, (i + 1) * b), 'int32'), c);
  return [x, y];
}

// The study's loss (keras form, T = 10, λ = 0.5): λ·CE(y, softmax(s)) + CE(softmax(t/T), softmax(s/T)).
function kdLoss(y, s, t, T = 10, lambda = 0.5) {
  const hard = tf.losses.softmaxCrossEntropy(y, s);
  const soft = tf.losses.softmaxCrossEntropy(tf.softmax(t.div(T)), s.div(T));
  return hard.mul(lambda).add(soft);
}

/** Samples/s of timed steps (stopping early past the time budget) and the first step's seconds. */
async function timeTraining(makeStep, steps, b) {
  let c0 = gpu();
  const t0 = now();
  await (makeStep(0)).data();
  const first = now() - t0;
  const firstCounts = since(c0);
  const tw = now();
  let warmed = 0;
  while (warmed < S.warmup && now() - tw < S.warmup_s) {
    const l = makeStep(1 + warmed++);
    await l.data();
    l.dispose();
  }
  c0 = gpu();
  const t1 = now();
  const losses = [];
  let done = 0;
  for (let i = 0; i < steps; i++) {
    losses.push(makeStep(1 + warmed + i));
    done++;
    // Software GPUs can be very slow: read as we go once the budget is at risk, and stop.
    if (now() - t0 > S.budget_s) break;
  }
  const vals = await Promise.all(losses.map((l) => l.data()));
  const sps = (done * b) / (now() - t1);
  const counts = since(c0);
  if (vals.some((v) => !Number.isFinite(v[0]))) throw new Error('loss not finite');
  losses.forEach((l) => l.dispose());
  return { sps, first, steps: done, warmed, firstCounts, counts: counts && { steps: done, counts } };
}

const errors = {};
async function phase(name, fn) {
  try {
    return await fn();
  } catch (e) {
    errors[name] = String(e?.message ?? e);
    return null;
  }
}

async function bench() {
  await tf.setBackend(backend);
  await tf.ready();
  const c = S.classes;
  let adapter = backend;
  if (backend === 'webgpu') {
    const a = await navigator.gpu?.requestAdapter();
    adapter = a ? `${a.info?.vendor ?? ''} ${a.info?.architecture ?? ''} ${a.info?.description ?? ''}`.trim() : 'none';
  } else if (backend === 'webgl') {
    const gl = tf.backend().gpgpu.gl;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    adapter = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
  } else if (backend === 'wasm') {
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    adapter = `wasm (SIMD ${simd ? 'on' : 'off'}, threads ${threads ? 'on' : 'off'})`;
  }
  const opt = () => tf.train.adadelta(1.0, 0.95, 1e-7);

  status('teacher');
  const tb = S.teacher_batch;
  const tn = 1 + S.warmup + S.teacher_steps;
  const tpix = noise(tn * tb);
  const tlab = Int32Array.from({ length: tn * tb }, (_, i) => i % c);
  const tm = teacher(c);
  const topt = opt();
  const tstep = (i) => {
    const [x, y] = batchOf(tpix, tlab, i, tb, c);
    const loss = topt.minimize(() => tf.losses.softmaxCrossEntropy(y, tm.apply(x, { training: true })), true);
    x.dispose(); y.dispose();
    return loss;
  };
  // tfjs-wasm has no convolution gradients: a phase that fails is reported, the rest still run.
  const T = await phase('teacher_train', () => timeTraining(tstep, S.teacher_steps, tb));

  status('student');
  const sb = S.student_batch;
  const sn = 1 + S.warmup + S.student_steps;
  const spix = noise(sn * sb);
  const slab = Int32Array.from({ length: sn * sb }, (_, i) => i % c);
  const cached = tf.randomNormal([sn * sb, c], 0, 3); // the cached teacher logits, on the device
  const sm = student(c);
  const sopt = opt();
  const sstep = (i) => {
    const [x, y] = batchOf(spix, slab, i, sb, c);
    const idx = tf.range(i * sb, (i + 1) * sb, 1, 'int32');
    const loss = sopt.minimize(() => kdLoss(y, sm.apply(x, { training: true }), tf.gather(cached, idx)), true);
    x.dispose(); y.dispose(); idx.dispose();
    return loss;
  };
  const K = await phase('student_kd', () => timeTraining(sstep, S.student_steps, sb));

  status('inference');
  const teacherInfer = await phase('teacher_infer', async () => {
    const x = tf.tensor4d(spix.subarray(0, sb * 784), [sb, 28, 28, 1]);
    const infer = () => tf.tidy(() => tm.predict(x, { batchSize: sb }).sum());
    await infer().data();
    const reps = Math.max(1, S.teacher_steps);
    const c0 = gpu();
    const t0 = now();
    const outs = [];
    for (let i = 0; i < reps; i++) outs.push(infer());
    await Promise.all(outs.map((o) => o.data()));
    const sps = (reps * sb) / (now() - t0);
    const counts = since(c0);
    outs.forEach((o) => o.dispose());
    x.dispose();
    return { sps, counts: counts && { steps: reps, counts } };
  });

  status('matmul');
  const a = tf.randomUniform([1024, 1024]);
  const b = tf.randomUniform([1024, 1024]);
  await tf.tidy(() => tf.matMul(a, b).sum()).data();
  const m0 = now();
  const sums = [];
  for (let i = 0; i < 8; i++) sums.push(tf.tidy(() => tf.matMul(a, b).sum()));
  await Promise.all(sums.map((s) => s.data()));
  const peak = (2 * 1024 ** 3 * 8) / (now() - m0) / 1e9;
  sums.forEach((s) => s.dispose());
  a.dispose(); b.dispose();

  status('memory');
  const memory = [];
  const mpix = noise(8 * sb);
  const mlab = Int32Array.from({ length: 8 * sb }, (_, i) => i % c);
  const mm = student(c);
  const mopt = opt();
  for (let epoch = 1; K && epoch <= S.memory_epochs; epoch++) {
    const ls = [];
    for (let i = 0; i < 8; i++) {
      const [bx, by] = batchOf(mpix, mlab, i, sb, c);
      const idx = tf.range(i * sb, (i + 1) * sb, 1, 'int32');
      ls.push(mopt.minimize(() => kdLoss(by, mm.apply(bx, { training: true }), tf.gather(cached, idx)), true));
      bx.dispose(); by.dispose(); idx.dispose();
    }
    await Promise.all(ls.map((l) => l.data()));
    ls.forEach((l) => l.dispose());
    if (epoch === 1 || epoch === S.memory_epochs) {
      const m = tf.memory();
      memory.push({ epoch, device_bytes: m.numBytesInGPUAllocated ?? m.numBytesInGPU ?? null, heap_bytes: m.numBytes });
    }
  }
  return {
    stack: `TensorFlow.js ${tf.version.tfjs} (${backend})`, backend, adapter,
    teacher_batch: S.teacher_batch, teacher_train: T?.sps ?? null, teacher_steps_timed: T?.steps ?? 0, student_kd: K?.sps ?? null,
    teacher_infer: teacherInfer?.sps ?? null, first_step_s: T?.first ?? null, matmul_peak_gflops: peak, memory, errors,
    warmup_steps: [T?.warmed ?? 0, K?.warmed ?? 0],
    // Shaped as Distill Lab's BenchCounts (src/bench.rs), where every phase was counted.
    counts: T?.counts && K?.counts && teacherInfer?.counts
      ? { first_step: T.firstCounts, teacher_train: T.counts, student_kd: K.counts, teacher_infer: teacherInfer.counts }
      : null,
  };
}

if (backend === 'wasm') tf.wasm.setWasmPaths('/tfjs/tfjs-backend-wasm/dist/');
bench().then(
  (r) => { document.getElementById('result').textContent = JSON.stringify(r); status('done'); },
  (e) => { document.getElementById('result').textContent = JSON.stringify({ backend, error: String(e?.stack ?? e) }); status('failed'); },
);
