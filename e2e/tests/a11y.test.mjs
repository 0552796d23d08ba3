// Everyone: an axe-core audit (npm `axe-core`, injected into the page) after a run finds no
// violation of any impact — contrast, names, labels, landmarks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { serve, launch, runToEnd, axeViolations, ROOT } from '../lib.mjs';

const DIST = join(ROOT, 'dist');

test('an accessibility audit after a run finds nothing', { timeout: 600_000 }, async () => {
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    await runToEnd(b, srv.url + '?dataset=fashion-mnist&subset=1024&val=256&epochs=1&batch=64&device=cpu&teacher=pretrained');
    const violations = await axeViolations(b.page);
    assert.deepEqual(violations, [], JSON.stringify(violations, null, 1));
  } finally {
    await b.close();
    await srv.close();
  }
});
