// The lab on WebGPU (SwiftShader here): a real teacher CNN and two students trained on real
// Fashion-MNIST shards, the temperature explorer, share links, and no third-party requests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, screenshot, waitFor, runToEnd, mean, openSettings, ROOT } from '../lib.mjs';

const DIST = join(ROOT, 'dist');
// SwiftShader runs the teacher at a few samples per second: keep the workload tiny. `auto` would
// pick the CPU over a software adapter (fallback.test.mjs), so this run asks for WebGPU.
const RUN = '?dataset=fashion-mnist&subset=256&val=128&epochs=1&batch=32&opt=adam&device=webgpu';

test('WebGPU: teacher and students train on real data, and the explorer softens', { timeout: 900_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: true });
  const origins = new Set();
  b.context.on('request', (r) => origins.add(new URL(r.url()).origin));
  try {
    const h = await runToEnd(b, srv.url + RUN);
    const device = b.page.locator('#device');
    assert.equal(await device.getAttribute('data-backend'), 'webgpu', await device.textContent());
    assert.match(await device.textContent(), /swiftshader/i);
    assert.ok(srv.requests.some((p) => p.endsWith('/worker_bg.wasm')), 'the WebGPU bundle runs it');

    for (const role of ['teacher', 'baseline', 'distilled']) {
      const loss = h.curves[role].steps.map((s) => s.loss);
      assert.equal(loss.length, 8, `${role}: 256 samples at batch 32 is 8 steps`);
      assert.ok(mean(loss.slice(-3)) < mean(loss.slice(0, 3)), `${role} loss should fall: ${loss}`);
      const acc = h.curves[role].epochs.at(-1).val_accuracy;
      console.log(`# ${role}: ${acc}`);
      // What the lab reaches here (teacher 0.45, students 0.64–0.66 on 2026-12-03), less a margin.
      assert.ok(acc > (role === 'teacher' ? 0.35 : 0.5), `${role} validation accuracy ${acc} should be well above chance (0.1)`);
    }
    assert.deepEqual(h.results.map((r) => r.role).sort(), ['Baseline', 'Distilled', 'Teacher']);

    // The explorer: the first sample is picked; teacher bars at T = 1 and 10, entropy rises.
    const sample = await b.page.locator('article.sample').first().getAttribute('data-index');
    const t1 = b.page.locator(`#teacher-${sample}-t1`);
    const t10 = b.page.locator(`#teacher-${sample}-t10`);
    assert.equal(await t1.locator('rect').count(), 10, 'one bar per class');
    const e1 = Number(await t1.getAttribute('data-entropy'));
    const e10 = Number(await t10.getAttribute('data-entropy'));
    assert.ok(e10 > e1, `entropy at T=10 (${e10}) should exceed T=1 (${e1})`);
    // The worker sends the final logits before it says Done; allow the render a moment.
    await waitFor(b.page, b.logs, 'the distilled student at the chosen T', (id) => !!document.getElementById(id), `distilled-${sample}-chosen`, 20_000);

    // Moving the slider re-softens on the page, without the worker: the chosen-T distribution
    // (at the run's own T before) gets strictly flatter at T = 40 (a slider that did nothing
    // would leave it as it was).
    const chosen = `teacher-${sample}-chosen`;
    const before = Number(await b.page.locator('#' + chosen).getAttribute('data-entropy'));
    assert.ok(Number(await b.page.locator('#explorer-t').inputValue()) < 40, 'the run\'s T is below 40');
    await b.page.locator('#explorer-t').fill('40');
    await waitFor(b.page, b.logs, 'the bars at T = 40', ({ id, before }) => Number(document.getElementById(id)?.dataset.entropy) > before, { id: chosen, before }, 10_000);
    const e40 = Number(await b.page.locator('#' + chosen).getAttribute('data-entropy'));
    assert.ok(e40 > before && e40 >= e10, `T=40 entropy ${e40} vs the run's T ${before} and T=10 ${e10}`);

    await screenshot(b.page, 'lab-webgpu');
    await b.page.setViewportSize({ width: 390, height: 844 });
    await screenshot(b.page, 'lab-narrow');

    const foreign = [...origins].filter((o) => o !== new URL(srv.url).origin && o !== 'null');
    assert.deepEqual(foreign, [], 'every network request must be same-origin');
  } catch (e) {
    console.log(b.logs.join('\n'));
    await screenshot(b.page, 'lab-webgpu-failure').catch(() => {});
    throw e;
  } finally {
    await b.close();
    await srv.close();
  }
});

test('a share link reopens with the same controls; bad values are clamped and said', async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await b.page.goto(srv.url + '?dataset=fashion-mnist');
    await openSettings(b.page);
    await b.page.selectOption('#ctl-loss', 'hinton');
    const link = () => b.page.locator('#share-link').inputValue();
    const linkHas = (re) => b.page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#share-link').value), re.source, { timeout: 10_000 });
    // Typed but not yet committed, a value survives a render from elsewhere: here the optimizer
    // changes by script, so the focus stays in the field (a worker message does the same).
    await b.page.fill('#ctl-T', '4');
    await b.page.evaluate(() => {
      const opt = document.querySelector('#ctl-opt');
      opt.value = 'adam';
      opt.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await linkHas(/opt=adam/);
    assert.equal(await b.page.locator('#ctl-T').inputValue(), '4', 'a render wiped the typed temperature');
    // As a person does it: Tab to the next field commits the change.
    await b.page.press('#ctl-T', 'Tab');
    await linkHas(/T=4/);
    await b.page.fill('#ctl-epochs', '7');
    await b.page.press('#ctl-epochs', 'Tab');
    await linkHas(/epochs=7/);
    assert.match(await b.page.locator('#loss-in-use').textContent(), /hinton: 0\.5·CE\(y, s\) \+ 0\.5·4²·KL/);
    assert.match(await link(), /loss=hinton/);

    const again = await b.context.newPage();
    await again.goto(await link());
    assert.equal(await again.locator('#ctl-loss').inputValue(), 'hinton');
    assert.equal(await again.locator('#ctl-T').inputValue(), '4');
    assert.equal(await again.locator('#ctl-epochs').inputValue(), '7');
    assert.equal(await again.locator('#ctl-opt').inputValue(), 'adam');
    assert.equal(await again.locator('#ctl-dataset').inputValue(), 'fashion-mnist');

    // Classroom link: hidden controls, and values out of range are clamped with a message.
    await again.goto(srv.url + '?T=500&epochs=abc&hide=seed,lr,bogus');
    const warnings = await again.locator('#url-warnings').textContent();
    assert.match(warnings, /T=500 is above 50; using 50/);
    assert.match(warnings, /epochs=abc is not a valid number/);
    assert.match(warnings, /no control called bogus/);
    assert.equal(await again.locator('#ctl-T').inputValue(), '50');
    assert.equal(await again.locator('#ctl-seed').count(), 0);
    assert.equal(await again.locator('#ctl-lr').count(), 0);
    assert.equal(await again.locator('#ctl-epochs').count(), 1);
  } finally {
    await b.close();
    await srv.close();
  }
});
