// Classroom features on the CPU backend (fast here): drawing, downloads and uploads, confusion
// matrices, the T x λ sweep, resuming after a reload, the pretrained teacher, a sub-path build,
// and working offline after the first visit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { serve, launch, waitFor, runToEnd, history, screenshot, ROOT, openSettings } from '../lib.mjs';

const DIST = join(ROOT, 'dist');
const SUBPATH_DIST = process.env.DIST_SUBPATH ?? join(ROOT, 'target', 'dist-lab');
const RUN = '?dataset=fashion-mnist&subset=1024&val=256&epochs=1&batch=64&device=cpu';

async function stroke(page, points) {
  await page.locator('#pad').scrollIntoViewIfNeeded();
  const box = await page.locator('#pad').boundingBox();
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
}

/** Rewrite a weights file's metadata (JSON header) with `edit`. */
function editMeta(bytes, edit) {
  const len = bytes.readUInt32LE(8);
  const meta = JSON.parse(bytes.subarray(12, 12 + len).toString());
  edit(meta);
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(12);
  bytes.copy(head, 0, 0, 8);
  head.writeUInt32LE(json.length, 8);
  return Buffer.concat([head, json, bytes.subarray(12 + len)]);
}

test('draw, compare, download, upload, sweep', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  const dir = await mkdtemp(join(tmpdir(), 'distill-lab-files-'));
  try {
    const h = await runToEnd(b, srv.url + RUN);
    const page = b.page;

    // The pad asks for what the dataset holds (Fashion-MNIST: clothes, not letters).
    assert.equal(await page.locator('section.draw h2').textContent(), 'Draw a shoe or a shirt');
    // Draw: a tall bar, then a wide one; every network answers, and differently for the two.
    await stroke(page, [[140, 30], [140, 250]]);
    await waitFor(page, b.logs, 'predictions for the drawing', () => document.querySelectorAll('.drawn .dist').length === 3);
    assert.equal(await page.locator('#pad-input').count(), 1, 'the 28x28 input is shown');
    assert.equal(await page.locator('#drawn-teacher-t1 rect').count(), 10);
    const first = await page.locator('#drawn-distilled-chosen').getAttribute('data-entropy');
    await page.click('#clear-pad');
    await stroke(page, [[30, 140], [250, 140], [250, 160], [30, 160]]);
    await waitFor(page, b.logs, 'new predictions', (e) => document.querySelector('#drawn-distilled-chosen')?.dataset.entropy !== e, first);
    await screenshot(page, 'draw');

    // Confusion matrix: a cell opens its samples in the explorer — a mistake where there is one,
    // so what is shown is checked against both coordinates of the cell.
    const cells = page.locator('#confusion-matrix button.cell');
    const coords = await cells.evaluateAll((bs) => bs.map((b) => [Number(b.dataset.true), Number(b.dataset.pred), Number(b.textContent)]));
    const pick = coords.findIndex(([t, p]) => t !== p);
    const [t, pred, count] = coords[pick >= 0 ? pick : 0];
    const role = await page.locator('#confusion-matrix').getAttribute('data-role');
    await cells.nth(pick >= 0 ? pick : 0).click();
    const want = Math.min(3, count);
    await waitFor(page, b.logs, "the explorer to show the cell's samples with the network's charts", ([role, want]) => {
      const a = [...document.querySelectorAll('article.sample')];
      return a.length === want && a.every((x) => document.getElementById(`${role}-${x.dataset.index}-t1`));
    }, [role, want]);
    const labels = h.classes;
    for (const article of await page.locator('article.sample').all()) {
      const index = await article.getAttribute('data-index');
      assert.match(await article.locator('h3').textContent(), new RegExp(`true class ${labels[t].replace('/', '\\/')}$`));
      // The network the matrix shows puts this sample in the cell's column.
      const top = await page.locator(`#${role}-${index}-t1 g.bar`).evaluateAll((gs) => gs.findIndex((g) => g.classList.contains('top')));
      assert.equal(top, pred, `sample ${index}: the ${role} network's top class is the cell's column`);
    }

    // Download the teacher: a weights file with its metadata.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-teacher')]);
    const teacherPath = join(dir, 'teacher.dlw');
    await dl.saveAs(teacherPath);
    const teacher = await readFile(teacherPath);
    assert.equal(teacher.subarray(0, 8).toString(), 'DLWEIGHT');
    assert.equal(dl.suggestedFilename(), 'fashion-mnist-teacher.dlw');
    const meta = JSON.parse(teacher.subarray(12, 12 + teacher.readUInt32LE(8)).toString());
    assert.equal(meta.arch, 'cnn');
    assert.equal(meta.dataset, 'fashion-mnist');
    assert.equal(meta.params, 3362570);

    // Wrong files are refused, and nothing already there is lost.
    const resultsBefore = await page.locator('#results').textContent();
    const upload = async (name, bytes) => {
      const p = join(dir, name);
      await writeFile(p, bytes);
      const errors = await page.locator('.messages .error').count();
      await page.setInputFiles('#upload', p);
      await waitFor(page, b.logs, `a reply to ${name}`, (n) => document.querySelectorAll('.messages .error').length > n
        || document.querySelector('#imported'), errors);
      return page.locator('.messages .error').last().textContent();
    };
    assert.match(await upload('noise.dlw', Buffer.from('definitely not weights')), /not a Distill Lab weights file.*Nothing was changed/s);
    const other = editMeta(teacher, (m) => { m.dataset = 'emnist-letters'; m.classes = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ']; });
    assert.match(await upload('letters-teacher.dlw', other), /trained on emnist-letters \(26 classes\) but the data is fashion-mnist \(10 classes\)/);
    const cut = teacher.subarray(0, teacher.length - 1000);
    assert.match(await upload('cut.dlw', cut), /damaged|do not fit/);
    assert.equal(await page.locator('#imported').count(), 0, 'no bad file was accepted');
    assert.equal(await page.locator('#results').textContent(), resultsBefore, 'results untouched');
    assert.ok(await page.locator('#download-baseline').isEnabled(), 'trained students still there');

    // The T x λ sweep: a heat map over the grid, against the baseline.
    await page.click('#run-sweep');
    await waitFor(page, b.logs, 'the sweep', () => document.querySelectorAll('#sweep-heatmap td.done').length === 15, null, 400_000);
    const accs = await page.locator('#sweep-heatmap td.done').evaluateAll((tds) => tds.map((td) => Number(td.dataset.acc)));
    assert.ok(accs.every((a) => a > 0.3 && a <= 1), `sweep accuracies ${accs}`);
    await screenshot(page, 'sweep');

    // The right file is accepted: the next run skips teacher training.
    await page.setInputFiles('#upload', teacherPath);
    await waitFor(page, b.logs, 'the upload', () => document.querySelector('#imported'));
    assert.match(await page.locator('#imported').textContent(), /teacher CNN trained on fashion-mnist/);
    // The file reopens the run that trained it, in place: a changed setting goes back.
    assert.equal(await page.locator('#reopen-teacher').getAttribute('href'), `?${h.share_query}`);
    await openSettings(page);
    await page.fill('#ctl-seed', '9');
    await page.press('#ctl-seed', 'Tab');
    await page.waitForFunction(() => /seed=9/.test(document.querySelector('#share-link').value), null, { timeout: 10_000 });
    await page.click('#reopen-teacher');
    await page.waitForFunction((q) => document.querySelector('#share-link').value.endsWith(`?${q}`), h.share_query, { timeout: 10_000 });
    assert.equal(await page.locator('#imported li').count(), 1, 'the loaded file stays');
    await page.click('#start');
    await waitFor(page, b.logs, 'the second run', () => /^Done/.test(document.querySelector('#status')?.textContent ?? ''), null, 300_000);
    assert.match(await page.locator('.messages').textContent(), /Using the loaded teacher/);
    const h2 = await history(page);
    assert.equal(h2.curves.teacher.steps.length, 0, 'the teacher was not trained again');
    assert.ok(h2.curves.distilled.epochs.length === 1);
  } finally {
    await b.close();
    await srv.close();
  }
});

test('a reload offers to resume, losing at most the epoch in progress', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    const page = b.page;
    await page.goto(srv.url + '?dataset=fashion-mnist&subset=2048&val=256&epochs=3&batch=64&device=cpu&sched=off');
    await page.click('#start');
    // Two teacher epochs done, and the checkpoint written: reload in the middle of the run.
    await waitFor(page, b.logs, 'two teacher epochs', () => (document.querySelector('#download-history') !== null)
      && [...document.querySelectorAll('#chart-val-acc .series.teacher circle')].length >= 2);
    await page.waitForTimeout(3000);
    await page.reload();
    await waitFor(page, b.logs, 'the resume offer', () => document.querySelector('#checkpoint'));
    assert.match(await page.locator('#checkpoint').textContent(), /teacher CNN at epoch [23] of 3/);
    await page.click('#resume-run');
    await waitFor(page, b.logs, 'the resumed run', () => /^Done/.test(document.querySelector('#status')?.textContent ?? ''), null, 400_000);
    const h = await history(page);
    const epochs = h.curves.teacher.epochs.map((e) => e.epoch);
    assert.deepEqual(epochs, [1, 2, 3], `teacher epochs after the resume: ${epochs}`);
    for (const r of ['baseline', 'distilled']) assert.equal(h.curves[r].epochs.length, 3);
  } finally {
    await b.close();
    await srv.close();
  }
});

test('the pretrained teacher skips teacher training', { timeout: 300_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    const h = await runToEnd(b, srv.url + RUN + '&teacher=pretrained');
    assert.equal(h.curves.teacher.steps.length, 0);
    assert.equal(h.curves.distilled.epochs.length, 1);
    // The shipped teacher: about 92 % on the first validation images (docs/results/lessons.json).
    const teacher = h.results.find((r) => r.role === 'Teacher').val_accuracy;
    assert.ok(teacher > 0.88, `the pretrained teacher is the shipped one: ${teacher}`);
  } finally {
    await b.close();
    await srv.close();
  }
});

test('caching the teacher\'s logits shows its progress, pauses and stops at once', { timeout: 300_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    // The pretrained teacher goes straight to the cache: 16,384 samples, many seconds on the CPU.
    await b.page.goto(srv.url + '?dataset=fashion-mnist&subset=16384&val=256&epochs=1&batch=64&device=cpu&teacher=pretrained');
    await b.page.click('#start');
    const status = () => b.page.locator('#status').textContent();
    const done = async () => Number((/Caching .* \((\d+) of 16384\)/.exec(await status()) ?? [])[1]);
    await waitFor(b.page, b.logs, 'the cache to make progress', () => {
      const m = /Caching .* \((\d+) of 16384\)/.exec(document.querySelector('#status')?.textContent ?? '');
      return m && Number(m[1]) > 0;
    }, null, 120_000);

    await b.page.click('#pause');
    await waitFor(b.page, b.logs, 'the pause', () => /\(paused\)/.test(document.querySelector('#status')?.textContent ?? ''), null, 5_000);
    // (The worker hears the pause after the batch in hand: give it that long.)
    await new Promise((r) => setTimeout(r, 3_000));
    const held = await done();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await done(), held, 'no progress while paused');
    await b.page.click('#pause');
    for (let i = 0; i < 300 && !((await done()) > held); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok((await done()) > held, `the cache went on after ${held}: ${await status()}`);

    const asked = Date.now();
    await b.page.click('#stop');
    await waitFor(b.page, b.logs, 'the stop', () => /^Stopped/.test(document.querySelector('#status')?.textContent ?? '')
      && document.querySelector('#start')?.disabled === false, null, 5_000);
    assert.ok(Date.now() - asked < 5_000, 'stopped within a few seconds');
    // The loaded teacher is still there to use.
    assert.match(await b.page.locator('#results').textContent(), /teacher/i, 'the teacher\'s result row stays');
  } finally {
    await b.close();
    await srv.close();
  }
});

test('a sub-path build loads and trains, and works offline after the first visit', { timeout: 300_000 }, async () => {
  const srv = await serve(SUBPATH_DIST, '/lab/');
  const b = await launch({ webgpu: false });
  try {
    assert.match(srv.url, /\/lab\/$/);
    await runToEnd(b, srv.url + RUN);
    assert.ok(srv.requests.some((p) => p.startsWith('/lab/data/fashion-mnist/')), 'data came from the sub-path');
    assert.ok(srv.requests.every((p) => p.startsWith('/lab/')), `requests outside /lab/: ${srv.requests.filter((p) => !p.startsWith('/lab/'))}`);

    await b.context.setOffline(true);
    await b.page.reload();
    const h = await runToEnd(b, srv.url + RUN);
    assert.equal(h.curves.distilled.epochs.length, 1, 'trained offline');
  } finally {
    await b.close();
    await srv.close();
  }
});
