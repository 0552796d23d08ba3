// The hosted link stays right across deploys: the page runs under a strict Content-Security-
// Policy (and every other test fails on any violation: lib.mjs), the page loads the worker of
// its own build, and a new build's service worker deletes the old build's cache and the shards
// no manifest lists any more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, launch, waitFor, ROOT } from '../lib.mjs';

const DIST = process.env.DIST ?? join(ROOT, 'dist');
// Poll an async check in the page (waitForFunction would take its promise for a truthy value).
async function until(page, what, fn, arg, timeout = 60_000) {
  const end = Date.now() + timeout;
  while (Date.now() < end) {
    if (await page.evaluate(fn, arg)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
const buildOf = (html) => html.match(/<meta name="distill-build" content="([0-9a-f]+)"/)?.[1];

test('the page runs under a strict CSP, and loads its own build of the worker', { timeout: 300_000 }, async () => {
  const html = await readFile(join(DIST, 'index.html'), 'utf8');
  const build = buildOf(html);
  assert.ok(build, 'index.html carries its build id');
  const srv = await serve(DIST);
  const b = await launch({ webgpu: false });
  try {
    const page = b.page;
    await page.goto(srv.url + '?dataset=fashion-mnist&device=cpu');
    await page.click('#draw-published');
    await waitFor(page, b.logs, 'the published teacher to load', () => document.querySelector('#draw-published') === null, null, 60_000);
    const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval' 'sha256-/);
    for (const loose of ["'unsafe-inline'", "'unsafe-eval'", '*', 'data: *']) assert.ok(!csp.includes(loose), `${loose} in ${csp}`);
    assert.deepEqual(b.logs.filter((l) => /Content Security Policy/.test(l)), [], 'the page itself breaks no rule');
    // The worker came at this build's URLs (the loader shim and what it loads).
    for (const f of ['worker_cpu_loader.js', 'worker_cpu.js', 'worker_cpu_bg.wasm']) {
      assert.ok(srv.raw.some((u) => u.endsWith(`/${f}?v=${build}`)), `${f} at ?v=${build}: ${srv.raw.filter((u) => u.includes('worker')).join(', ')}`);
    }
    // The policy is enforced: an injected inline script and inline style do nothing.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true;';
      document.head.append(s);
      document.body.setAttribute('style', 'background: red');
    });
    await page.waitForTimeout(500);
    assert.equal(await page.evaluate(() => window.__injected), undefined, 'the inline script did not run');
    assert.notEqual(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 0, 0)');
    assert.ok(b.logs.some((l) => /Content Security Policy/.test(l)), 'the violation was reported');
  } finally {
    await b.close({ expectCsp: true });
    await srv.close();
  }
});

test("a new build's service worker drops the old build's cache and unlisted shards", { timeout: 300_000 }, async () => {
  const site = await mkdtemp(join(tmpdir(), 'distill-lab-site-'));
  await cp(DIST, site, { recursive: true });
  const oldBuild = buildOf(await readFile(join(site, 'index.html'), 'utf8'));
  const srv = await serve(site);
  const b = await launch({ webgpu: false });
  const cacheNames = () => b.page.evaluate(() => caches.keys());
  try {
    const page = b.page;
    await page.goto(srv.url + '?dataset=fashion-mnist&device=cpu');
    await until(page, 'the service worker', async () => (await navigator.serviceWorker.getRegistration())?.active?.state === 'activated');
    await until(page, "this build's cache", async (name) => (await caches.keys()).includes(name), `distill-lab-app-${oldBuild}`);
    // The training worker's data cache: one shard a manifest lists, one nothing lists, and the
    // manifest copy it keeps for offline visits (which a slow first visit stores before the
    // service worker activates: pruning it broke the next visit offline).
    const manifest = JSON.parse(await readFile(join(site, 'data/fashion-mnist/manifest.json'), 'utf8'));
    const listed = manifest.shards[0];
    await page.evaluate(async ([file, sum]) => {
      const c = await caches.open('distill-lab-data-v1');
      await c.put(`data/fashion-mnist/${file}?sha256=${sum}`, new Response('listed'));
      await c.put(`data/fashion-mnist/gone.shard?sha256=${'0'.repeat(64)}`, new Response('stale'));
      await c.put('data/fashion-mnist/manifest.json', new Response('{}'));
    }, [listed.file, listed.sha256]);
    // A deploy: the same site with another build id (what `cargo xtask csp` stamps).
    const newBuild = 'f'.repeat(16);
    for (const f of ['index.html', 'sw.js']) {
      const text = await readFile(join(site, f), 'utf8');
      await writeFile(join(site, f), text.replaceAll(oldBuild, newBuild));
    }
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration()).update());
    await until(page, 'the old cache to go', async (old) => {
      const reg = await navigator.serviceWorker.getRegistration();
      const names = await caches.keys();
      return reg.active?.scriptURL && !reg.installing && !reg.waiting
        && !names.includes(old) && names.some((n) => n.endsWith('ffffffffffffffff'));
    }, `distill-lab-app-${oldBuild}`);
    // The data cache is pruned after the old app caches, in the same activation.
    await until(page, 'the unlisted shard to go', async () => (await (await caches.open('distill-lab-data-v1')).keys()).length === 2);
    const keys = await page.evaluate(async () => (await (await caches.open('distill-lab-data-v1')).keys()).map((r) => r.url));
    assert.equal(keys.length, 2, keys.join(', '));
    assert.ok(keys.some((k) => k.includes(listed.sha256)), 'the listed shard stays');
    assert.ok(keys.some((k) => k.endsWith('/data/fashion-mnist/manifest.json')), `the manifest copy stays: ${keys.join(', ')}`);
    const names = await cacheNames();
    const left = await page.evaluate(async (n) => (await caches.has(n)) ? (await (await caches.open(n)).keys()).map((r) => r.url) : [], `distill-lab-app-${oldBuild}`);
    assert.ok(!names.includes(`distill-lab-app-${oldBuild}`), `${names.join(', ')}; the old one holds ${left.join(', ')}`);
  } finally {
    await b.close();
    await srv.close();
    await rm(site, { recursive: true, force: true });
  }
});
