// Faults the page must notice and say: a worker that dies without a word (closed by the
// browser, out of memory, an abort) falls silent; the page says so within seconds, and the run
// resumes from its last checkpoint. A lost GPU device: the run goes on on the CPU from its
// last checkpoint.
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

/** The networks of the checkpoint in IndexedDB ([{ role, epoch, done }]; none before the first
 * is stored), read as the worker wrote it: "DLCKPT01", the JSON's length (u32 LE), the JSON. */
const stored = (page) => page.evaluate(() => new Promise((resolve) => {
  const open = indexedDB.open('distill-lab');
  // Not there yet: leave its creation to the worker.
  open.onupgradeneeded = () => open.transaction.abort();
  open.onerror = () => resolve([]);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('runs')) { db.close(); resolve([]); return; }
    const get = db.transaction('runs').objectStore('runs').get('current');
    get.onerror = () => { db.close(); resolve([]); };
    get.onsuccess = () => {
      db.close();
      const b = get.result;
      if (!(b instanceof Uint8Array) || b.length < 12) { resolve([]); return; }
      const len = new DataView(b.buffer, b.byteOffset + 8, 4).getUint32(0, true);
      const head = JSON.parse(new TextDecoder().decode(b.subarray(12, 12 + len)));
      resolve(head.roles.map(({ role, epoch, done }) => ({ role, epoch, done })));
    };
  };
}));

test('a WebGPU device lost mid-epoch: the run goes on on the CPU from its checkpoint', { timeout: 900_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: true });
  try {
    const page = b.page;
    // 384 samples: 12 steps an epoch on SwiftShader, time enough to lose the device mid-epoch.
    await page.goto(srv.url + '?dataset=fashion-mnist&subset=384&val=128&epochs=2&batch=32&opt=adam&device=webgpu&sched=off');
    // Keep every GPUDevice the worker asks for where the test can destroy it, as a driver
    // reset, an unplugged GPU or the browser reclaiming it would lose it.
    const worker = page.workers()[0] ?? await page.waitForEvent('worker', { timeout: 60_000 });
    await worker.evaluate(() => {
      self.devices = [];
      const request = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await request.apply(this, args);
        self.devices.push(device);
        return device;
      };
    });
    await page.click('#start');
    const teacherEpochs = () => page.evaluate(() => document.querySelectorAll('#chart-val-acc .series.teacher circle').length);
    await waitFor(page, b.logs, 'a teacher epoch on WebGPU', () => document.querySelectorAll('#chart-val-acc .series.teacher circle').length >= 1, null, 600_000);
    assert.equal(await page.getAttribute('#device', 'data-backend'), 'webgpu');
    // The epoch's checkpoint: its weights read back from the GPU, then stored.
    const started = Date.now();
    while (!(await stored(page)).some((r) => r.role === 'Teacher' && r.epoch >= 1)) {
      assert.ok(Date.now() - started < 300_000, 'the first epoch was checkpointed');
      await page.waitForTimeout(500);
    }
    const done = await teacherEpochs();
    assert.equal(done, 1, 'the device is lost during the teacher\'s second epoch');
    const lostAt = Date.now();
    assert.equal(await worker.evaluate(() => { self.devices.forEach((d) => d.destroy()); return self.devices.length; }), 1);
    await waitFor(page, b.logs, 'the page to say the GPU was lost', () => /GPU device was lost/.test(document.querySelector('.messages')?.textContent ?? ''), null, 120_000)
      .catch(async (e) => {
        console.log(`status: ${await page.textContent('#status')}; messages: ${await page.textContent('.messages')}; teacher epochs: ${await teacherEpochs()}`);
        throw e;
      });
    const said = (Date.now() - lostAt) / 1000;
    const notice = await page.locator('.messages .notice', { hasText: 'GPU device was lost' }).textContent();
    console.log(`# said after ${said.toFixed(1)} s: ${notice}`);
    assert.match(notice, /\(destroyed/, 'the browser\'s reason is given');
    assert.match(notice, /goes on on the CPU from its last checkpoint: .*teacher[^,]* at epoch 1 of 2/, 'it resumes from the epoch that finished');
    await waitFor(page, b.logs, 'the run on the CPU', () => document.querySelector('#device')?.dataset.backend === 'cpu', null, 60_000);
    assert.match(await page.textContent('#device'), /GPU device/);
    await waitFor(page, b.logs, 'the run to finish', () => /^(Done|Stopped|Failed)/.test(document.querySelector('#status')?.textContent ?? ''), null, 600_000);
    assert.match(await page.textContent('#status'), /^Done/);
    assert.equal(await page.locator('.messages .error').count(), 0, `no error: ${await page.locator('.messages').textContent()}`);
    // One point per finished epoch: the teacher's first is not trained again on the CPU (a run
    // started over would add a third), and both students train their two.
    const points = (role) => page.evaluate((r) => document.querySelectorAll(`#chart-val-acc .series.${r} circle`).length, role);
    assert.equal(await points('teacher'), 2, 'the teacher resumed at its second epoch');
    for (const r of ['baseline', 'distilled']) assert.equal(await points(r), 2, r);
    for (const r of ['teacher', 'baseline', 'distilled']) {
      assert.equal(await page.textContent(`.results tr[data-role=${r}] td[data-label=Epochs]`), '2', `${r} in the results`);
    }
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
