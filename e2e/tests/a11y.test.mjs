// Everyone: an axe-core audit (npm `axe-core`, injected into the page) after a run finds no
// violation of any impact — contrast, names, labels, landmarks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { serve, launch, runToEnd, ROOT } from '../lib.mjs';

const DIST = join(ROOT, 'dist');
const require = createRequire(join(ROOT, 'e2e', 'package.json'));

test('an accessibility audit after a run finds nothing', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await runToEnd(b, srv.url + '?dataset=fashion-mnist&subset=1024&val=256&epochs=1&batch=64&device=cpu&teacher=pretrained');
    // Evaluated through the DevTools protocol: a script tag would be (rightly) refused by the
    // page's Content-Security-Policy.
    await b.page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
    const violations = await b.page.evaluate(async () => (await axe.run(document)).violations
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html.slice(0, 100)) })));
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  } finally {
    await b.close();
    await srv.close();
  }
});
