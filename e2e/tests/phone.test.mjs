// A shared link opened on students' phones: at phone widths nothing scrolls sideways, the
// results keep the gain in view, and the drawing pad works with a finger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, runToEnd, screenshot, waitFor, ROOT } from '../lib.mjs';

const DIST = join(ROOT, 'dist');
const RUN = '?dataset=fashion-mnist&subset=1024&val=256&epochs=1&batch=64&device=cpu&teacher=pretrained';

test('at phone widths nothing scrolls sideways, the gain shows, and a finger can draw', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await b.page.setViewportSize({ width: 390, height: 844 });
    await runToEnd(b, srv.url + RUN);
    for (const [width, height] of [[390, 844], [360, 640]]) {
      await b.page.setViewportSize({ width, height });
      await b.page.waitForTimeout(300);
      const { scroll, inner } = await b.page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, inner: innerWidth }));
      assert.ok(scroll <= inner, `${width} px: the page is ${scroll} px wide`);
      const gain = b.page.locator('#results tr[data-role="distilled"] td.gain');
      await gain.scrollIntoViewIfNeeded();
      const box = await gain.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= width, `${width} px: the gain cell at ${JSON.stringify(box)}`);
      assert.match(await gain.textContent(), /^[+-]\d+\.\d\d points$/);
      // The sample picker and the temperature slider are thumb-sized (44 px: WCAG 2.5.5).
      const thumb = await b.page.locator('.thumbs .thumb').first().boundingBox();
      assert.ok(thumb.width >= 44 && thumb.height >= 44, `${width} px: a sample button is ${thumb.width} × ${thumb.height}`);
      const slider = await b.page.locator('#explorer-t').boundingBox();
      assert.ok(slider.width >= width / 2, `${width} px: the slider is ${slider.width} px wide`);
      await screenshot(b.page, `phone-${width}`);
    }
    // A finger on the pad: touch events (pointerType touch), the page does not scroll meanwhile.
    const cdp = await b.page.context().newCDPSession(b.page);
    await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
    await b.page.locator('#pad').scrollIntoViewIfNeeded();
    const pad = await b.page.locator('#pad').boundingBox();
    const scrollY = await b.page.evaluate(() => scrollY);
    const at = (x, y) => ({ x: pad.x + (x * pad.width) / 280, y: pad.y + (y * pad.height) / 280 });
    const stroke = [[140, 40], [140, 80], [140, 120], [140, 160], [140, 200], [140, 240]];
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [at(...stroke[0])] });
    for (const p of stroke.slice(1)) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [at(...p)] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await b.page.locator('[id^="drawn-"][id$="-t1"]').first().waitFor({ timeout: 30_000 });
    assert.equal(await b.page.evaluate(() => scrollY), scrollY, 'drawing did not scroll the page');
    assert.ok(await b.page.locator('[id^="drawn-"][id$="-t1"]').count() >= 3, 'every network answers the drawing');
  } finally {
    await b.close();
    await srv.close();
  }
});

test('the presentation view loads from its share link, shows only what the class sees, and answers its keys', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await b.page.setViewportSize({ width: 1920, height: 1080 });
    // The projector's view has no results table (its headline says them): run to Done.
    const page = b.page;
    await page.goto(srv.url + RUN + '&view=present');
    await page.click('#start');
    await waitFor(page, b.logs, 'the run to finish', () => /^Done/.test(document.querySelector('#status')?.textContent ?? ''), null, 300_000);
    assert.equal(await page.locator('section.controls').count(), 0, 'no settings on the projector');
    assert.equal(await page.locator('section.lessons, section.models, #pad').count(), 0);
    for (const id of ['#headline', '#explorer-t', '#chart-loss']) assert.equal(await page.locator(id).count(), 1, id);
    const t = () => page.locator('#explorer-t').inputValue();
    assert.equal(await t(), '10');
    await page.keyboard.press('ArrowUp');
    assert.equal(await t(), '20');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    assert.equal(await t(), '5');
    const sample = () => page.locator('article.sample').first().getAttribute('data-index');
    const first = await sample();
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((f) => document.querySelector('article.sample')?.dataset.index !== f, first, { timeout: 10_000 });
    await page.keyboard.press('ArrowLeft');
    await page.waitForFunction((f) => document.querySelector('article.sample')?.dataset.index === f, first, { timeout: 10_000 });
    const fontSize = await page.locator('.page').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(fontSize >= 24, `type for the back of a room: ${fontSize} px`);
    await screenshot(page, 'present');
    // Back to the lab, and from the lab into the view with a button; the share link follows.
    await page.click('#leave-present');
    assert.equal(await page.locator('section.controls').count(), 1);
    assert.doesNotMatch(await page.locator('#share-link').inputValue(), /view=present/);
    await page.click('#present');
    await page.locator('#present-keys').waitFor({ timeout: 5_000 });
    assert.match(page.url(), /view=present/);
  } finally {
    await b.close();
    await srv.close();
  }
});
