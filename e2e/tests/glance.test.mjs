// The lesson at a glance (issue 32): the projector's view fits one screen before, during and
// after a run, at 1920 × 1080 and at 1280 × 720; a 1366 × 768 laptop opens on the lesson choice
// and Start, with at most 150 words in view, and after Start shows the live curves and the
// headline without scrolling; the pad asks for what the dataset holds. The projector's run also
// makes the README's animated capture: T stepped from the keyboard, the bars following.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { serve, launch, waitFor, screenshot, apng, axeViolations, SHOTS, ROOT } from '../lib.mjs';

const DIST = join(ROOT, 'dist');
const RUN = '?dataset=fashion-mnist&subset=1024&val=256&epochs=8&batch=64&device=cpu&teacher=pretrained&sched=off';

/** The page's height and width against the window's. */
const extent = (page) => page.evaluate(() => ({
  height: document.scrollingElement.scrollHeight, inner: innerHeight,
  width: document.scrollingElement.scrollWidth, innerWidth,
}));

async function fitsOneScreen(page, when) {
  const e = await extent(page);
  assert.ok(e.height <= e.inner, `${when}: the view is ${e.height} px tall in a ${e.inner} px window`);
  assert.ok(e.width <= e.innerWidth, `${when}: the view is ${e.width} px wide in a ${e.innerWidth} px window`);
}

const status = (page) => page.locator('#status').textContent().catch(() => '');
const headlineShown = () => (document.querySelector('#headline')?.dataset.gain ?? '') !== '';

/** Words of text a person sees in the window: rendered (not in a closed disclosure, not
 * hidden), not clipped away, inside the viewport. */
const wordsInView = () => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  let words = 0;
  const seen = [];
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const text = node.textContent.trim();
    const el = node.parentElement;
    if (!text || el.closest('.sr-only, script, style, title')) continue;
    if (!el.checkVisibility({ contentVisibilityAuto: true, opacityProperty: true, visibilityProperty: true })) continue;
    const folded = el.closest('details');
    if (folded && !folded.open && !el.closest('summary')) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const inView = [...range.getClientRects()].some((r) => r.width > 1 && r.height > 1 && r.bottom > 0 && r.top < innerHeight);
    if (!inView) continue;
    words += text.split(/\s+/).length;
    seen.push(text);
  }
  return { words, seen };
};

test('the presentation view fits one screen before, during and after a run', { timeout: 900_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    for (const [width, height] of [[1920, 1080], [1280, 720]]) {
      const page = b.page;
      await page.setViewportSize({ width, height });
      await page.goto(srv.url + RUN + '&view=present');
      await page.locator('#start').waitFor({ timeout: 20_000 });
      await fitsOneScreen(page, `${width} × ${height}, before the run`);
      const fontSize = await page.locator('.page').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
      if (width >= 1920) assert.ok(fontSize >= 24, `type for the back of a room: ${fontSize} px`);
      await page.click('#start');
      // During: the distilled student has an epoch, the explorer its distributions; paused, so
      // the check cannot miss the run.
      await page.locator('[id^="distilled-"][id$="-chosen"]').first().waitFor({ timeout: 300_000 });
      await page.click('#pause');
      await waitFor(page, b.logs, 'the pause', () => /\(paused\)/.test(document.querySelector('#status')?.textContent ?? ''), null, 30_000);
      await fitsOneScreen(page, `${width} × ${height}, during the run`);
      await page.click('#pause');
      await waitFor(page, b.logs, 'the run to finish', () => /^(Done|Failed)/.test(document.querySelector('#status')?.textContent ?? ''), null, 300_000);
      assert.match(await status(page), /^Done/);
      await fitsOneScreen(page, `${width} × ${height}, after the run`);
      // The result as one headline, and the teacher beside the students at the chosen T.
      assert.match(await page.locator('#headline').textContent(), /^distilled \d+\.\d % · alone \d+\.\d % · [+-]\d+\.\d points$/);
      assert.ok(await page.locator('article.sample .dist').count() >= 3, 'teacher and both students in the row');
      await screenshot(page, `present-${width}`);
      if (width === 1280) await capture(page);
    }
    // The projector's view passes the same audit as the lab.
    const violations = await axeViolations(b.page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  } finally {
    await b.close();
    await srv.close();
  }
});

/** The README's animation: the explorer's row as T steps up through 1…20 and back, the bars
 * morphing between (a frame mid-way and one settled per step). */
async function capture(page) {
  const row = page.locator('section.explorer');
  const clip = await row.boundingBox();
  const frame = async () => page.screenshot({ clip });
  const frames = [];
  // From T = 10 down to 1, then up to 20 and back to 10.
  for (const key of ['ArrowDown', 'ArrowDown', 'ArrowDown', 'ArrowUp', 'ArrowUp', 'ArrowUp', 'ArrowUp', 'ArrowDown']) {
    await page.keyboard.press(key);
    await page.waitForTimeout(60);
    frames.push(await frame());
    await page.waitForTimeout(400);
    frames.push(await frame());
  }
  const distinct = new Set(frames.map((f) => f.toString('base64'))).size;
  assert.ok(distinct >= 5, `moving T changes the picture: ${distinct} distinct frames of ${frames.length}`);
  writeFileSync(join(SHOTS, 'lesson-animated.png'), apng(frames, [120, 700]));
}

test('a laptop\'s first screen: the lesson and Start in view, few words; after Start, the curves and the headline', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    const page = b.page;
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.goto(srv.url + '?device=cpu');
    await waitFor(page, b.logs, 'the data check', () => document.querySelector('#data-check')?.dataset.state === 'ready', null, 20_000);
    const inView = async (selector) => {
      const box = await page.locator(selector).first().boundingBox();
      return box && box.y >= 0 && box.y + box.height <= 768 && box.x >= 0 && box.x + box.width <= 1366;
    };
    assert.ok(await inView('#start'), 'Start in view');
    assert.ok(await inView('.lessons li.current'), 'the lesson in view');
    // The other lessons one line each.
    for (const li of await page.locator('.lessons li:not(.current)').all()) {
      const { height, line } = await li.evaluate((e) => ({ height: e.getBoundingClientRect().height, line: parseFloat(getComputedStyle(e).lineHeight) || 20 }));
      assert.ok(height < 2 * line + 14, `another lesson is ${height} px tall`);
    }
    const { words, seen } = await page.evaluate(wordsInView);
    assert.ok(words <= 150, `${words} words in view: ${seen.join(' | ')}`);
    console.log(`# ${words} words on the first screen`);
    // Every control is still there, folded.
    assert.equal(await page.locator('#settings').evaluate((d) => d.open), false);
    assert.equal(await page.locator('#share-link').count(), 1);
    await screenshot(page, 'lab-1366');
    await page.click('#start');
    await waitFor(page, b.logs, 'the first students\' epoch', headlineShown, null, 300_000);
    assert.ok(await inView('#headline'), 'the live headline in view');
    assert.ok(await inView('#chart-val-acc'), 'the live curves in view');
    assert.equal(await page.evaluate(() => scrollY), 0, 'nothing scrolled');
    await page.click('#stop');
  } finally {
    await b.close();
    await srv.close();
  }
});

test('the drawing pad asks for what the dataset holds', async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    for (const [dataset, prompt] of [['fashion-mnist', 'Draw a shoe or a shirt'], ['emnist-letters', 'Draw a letter'], ['mnist', 'Draw a digit']]) {
      await b.page.goto(srv.url + `?dataset=${dataset}`);
      assert.equal(await b.page.locator('section.draw h2').textContent(), prompt, dataset);
      assert.equal(await b.page.locator('section.draw').getAttribute('aria-label'), prompt, dataset);
    }
  } finally {
    await b.close();
    await srv.close();
  }
});
