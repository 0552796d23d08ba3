// A step of training re-renders the curves, not every panel: each panel gets only the data it
// shows, so the explorer, the confusion matrix, the controls and the rest render when their
// own data changes (an epoch, a phase), not at every `Steps` message. Also prints the page's
// main-thread time per `Steps` message (reducer + renders + DOM patch), the figure
// docs/PERFORMANCE.md records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, runToEnd, ROOT } from '../lib.mjs';

const DIST = process.env.DIST ?? join(ROOT, 'dist');
// 2,048 samples at batch 32: 64 steps an epoch per network, a Steps message every 10 steps.
const RUN = '?dataset=fashion-mnist&subset=2048&val=256&epochs=2&batch=32&opt=adam&device=cpu&sched=off';

test('a training step renders the curves, not the other panels', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await runToEnd(b, srv.url + RUN);
    const r = await b.page.evaluate(() => window.distillRenders);
    const ms = r.steps_ms / r.steps;
    console.log(`renders: ${r.steps} Steps messages, ${ms.toFixed(2)} ms each on the page's main thread; panel renders ${JSON.stringify(r.panels)}`);
    assert.ok(r.steps >= 30, `three networks × 2 epochs × ~7 messages: ${r.steps}`);
    assert.ok(r.panels.curves >= r.steps, `the curves render at every step: ${r.panels.curves} < ${r.steps}`);
    for (const panel of ['explorer', 'confusion', 'controls', 'lessons', 'draw', 'models', 'speed', 'sweep', 'messages', 'loading']) {
      const n = r.panels[panel] ?? 0;
      assert.ok(n < r.steps / 2, `${panel} rendered ${n} times for ${r.steps} Steps messages`);
    }
  } finally {
    await b.close();
    await srv.close();
  }
});
