// A shared link opened on students' phones: at phone widths nothing scrolls sideways, the
// results keep the gain in view, and the drawing pad works with a finger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, runToEnd, screenshot, ROOT } from '../lib.mjs';

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
