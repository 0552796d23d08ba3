// Faults the page must notice and say: a worker that dies without a word (closed by the
// browser, out of memory, an abort) falls silent; the page says so within seconds, and the run
// resumes from its last checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, waitFor, history, ROOT } from '../lib.mjs';

const DIST = join(ROOT, 'dist');

test('a worker killed mid-run is noticed within seconds and the run resumes from its checkpoint', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    const page = b.page;
    await page.goto(srv.url + '?dataset=fashion-mnist&subset=2048&val=256&epochs=3&batch=64&device=cpu&sched=off');
    await page.click('#start');
    await waitFor(page, b.logs, 'a teacher epoch', () => (document.querySelector('#download-history') !== null)
      && [...document.querySelectorAll('#chart-val-acc .series.teacher circle')].length >= 1);
    await page.waitForTimeout(2000); // the checkpoint's IndexedDB write
    // Kill the worker without a panic: it closes itself, as the browser ends one out of memory.
    const workers = page.workers();
    assert.ok(workers.length >= 1, 'the training worker runs');
    const killed = Date.now();
    await Promise.all(workers.map((w) => w.evaluate(() => self.close()).catch(() => {})));
    await waitFor(page, b.logs, 'the page to notice', () => document.querySelector('#restart-cpu'), null, 30_000);
    const noticed = (Date.now() - killed) / 1000;
    assert.ok(noticed < 15, `noticed after ${noticed} s`);
    assert.match(await page.locator('.messages').textContent(), /stopped answering/);
    console.log(`# the page noticed the dead worker after ${noticed.toFixed(1)} s`);
    await page.click('#restart-cpu');
    await waitFor(page, b.logs, 'the resumed run', () => /^Done/.test(document.querySelector('#status')?.textContent ?? ''), null, 400_000);
    const h = await history(page);
    const epochs = h.curves.teacher.epochs.map((e) => e.epoch);
    assert.deepEqual(epochs, [1, 2, 3], `teacher epochs after the restart: ${epochs}`);
    for (const r of ['baseline', 'distilled']) assert.equal(h.curves[r].epochs.length, 3);
    assert.equal(await page.locator('.messages .error').count(), 0, 'the restart cleared the error');
  } finally {
    await b.close();
    await srv.close();
  }
});

test('an idle worker is not called dead', { timeout: 120_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await b.page.goto(srv.url + '?dataset=fashion-mnist&device=cpu');
    await b.page.waitForTimeout(15_000);
    assert.equal(await b.page.locator('#restart-cpu').count(), 0);
  } finally {
    await b.close();
    await srv.close();
  }
});

test('a full storage quota is said and the run goes on; the run in the other tab is not corrupted', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  const run = '?dataset=fashion-mnist&subset=1024&val=256&epochs=2&batch=64&device=cpu&sched=off';
  try {
    const page = b.page;
    await page.goto(srv.url + run);
    // A quota of a few kilobytes: no checkpoint (megabytes of weights) fits.
    const cdp = await b.context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(srv.url).origin, quotaSize: 4096 });
    await page.click('#start');
    await waitFor(page, b.logs, 'the run to finish', () => /^(Done|Stopped|Failed)/.test(document.querySelector('#status')?.textContent ?? ''), null, 300_000);
    assert.match(await page.locator('#status').textContent(), /^Done/);
    const notices = (await page.locator('.messages .notice').allTextContents()).join('\n');
    assert.match(notices, /This epoch was not checkpointed \(.*\); the run goes on/);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: new URL(srv.url).origin });

    // Two tabs train at once; each epoch's checkpoint is one IndexedDB write, so whichever wrote
    // last is a whole run that a reload offers and resumes.
    const second = await b.context.newPage();
    await second.goto(srv.url + run.replace('epochs=2', 'epochs=3'));
    await page.goto(srv.url + run.replace('epochs=2', 'epochs=3') + '&seed=1');
    await Promise.all([page.click('#start'), second.click('#start')]);
    const epochs = (p) => waitFor(p, b.logs, 'two epochs', () => [...document.querySelectorAll('#chart-val-acc .series.teacher circle')].length >= 2, null, 300_000);
    await Promise.all([epochs(page), epochs(second)]);
    await page.waitForTimeout(3000);
    await second.close();
    await page.reload();
    await waitFor(page, b.logs, 'the resume offer', () => document.querySelector('#checkpoint'), null, 60_000);
    assert.doesNotMatch((await page.locator('.messages').textContent()), /cannot be resumed/);
    await page.click('#resume-run');
    await waitFor(page, b.logs, 'the resumed run', () => /^(Done|Stopped|Failed)/.test(document.querySelector('#status')?.textContent ?? '') || document.querySelector('.messages .error'), null, 300_000);
    assert.deepEqual(await page.locator('.messages .error').allTextContents(), []);
    assert.match(await page.locator('#status').textContent(), /^Done/);
  } finally {
    await b.close();
    await srv.close();
  }
});
