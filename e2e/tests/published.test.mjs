// A student who opens the shared link only to draw: the teacher published on the server loads
// into the pad without training anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, waitFor, ROOT } from '../lib.mjs';

const DIST = process.env.DIST ?? join(ROOT, 'dist');

test('the published teacher loads for drawing without a run', { timeout: 300_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    const page = b.page;
    await page.goto(srv.url + '?dataset=fashion-mnist&device=cpu');
    await page.click('#draw-published');
    await waitFor(page, b.logs, 'the teacher to load', () => document.querySelector('#draw-published') === null, null, 60_000);
    assert.equal(await page.locator('#chart-loss').count(), 0, 'no run started');
    assert.match(await page.locator('.imported').textContent(), /teacher CNN trained on fashion-mnist/);
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = await page.locator('#pad').boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + 30);
    await page.mouse.down();
    for (let y = 30; y <= 250; y += 20) await page.mouse.move(box.x + box.width / 2, box.y + y, { steps: 3 });
    await page.mouse.up();
    await page.locator('#drawn-teacher-t1').waitFor({ timeout: 30_000 });
    assert.equal(await page.locator('[id^="drawn-"][id$="-t1"]').count(), 1, 'only the teacher answers: nothing was trained');
  } finally {
    await b.close();
    await srv.close();
  }
});
