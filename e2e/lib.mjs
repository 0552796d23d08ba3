// Shared by the end-to-end tests: a static server for dist/ on 127.0.0.1 that records every
// request, and Debian's Chromium launched headless with WebGPU on SwiftShader (or without it).
import { createServer } from 'node:http';
import { readFile, stat, mkdir } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium } from 'playwright-core';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const SHOTS = join(ROOT, 'e2e', 'screenshots');

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css',
  '.svg': 'image/svg+xml', '.json': 'application/json', '.shard': 'application/octet-stream',
  '.webmanifest': 'application/manifest+json', '.mjs': 'text/javascript', '.md': 'text/plain', '.dlw': 'application/octet-stream',
};

/** Serve `dir` under `prefix` (e.g. "/" or "/lab/"), and each `mounts` folder under its own
 * prefix (e.g. { '/tfjs/': '.../node_modules/@tensorflow' }). Returns { url, requests, raw, close, fail, corrupt, stall, heal }. */
export async function serve(dir, prefix = '/', mounts = {}) {
  const requests = [];
  const raw = []; // with their queries
  const failing = new Set();
  const stalling = new Set();
  const stalled = []; // responses held open, never answered
  const corrupting = new Set();
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    requests.push(path);
    raw.push(req.url);
    const mount = Object.keys(mounts).find((m) => path.startsWith(m));
    const [root, at] = mount ? [mounts[mount], mount] : [dir, prefix];
    if (!path.startsWith(at)) { res.writeHead(404).end(); return; }
    if ([...failing].some((f) => path.endsWith(f))) { res.writeHead(500).end('injected failure'); return; }
    if ([...stalling].some((f) => path.endsWith(f))) { stalled.push(res); return; }
    let file = normalize(join(root, path.slice(at.length)));
    if (!file.startsWith(root)) { res.writeHead(403).end(); return; }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      let body = await readFile(file);
      if ([...corrupting].some((f) => path.endsWith(f))) { body = Buffer.from(body); body[body.length >> 1] ^= 0xff; }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  // A test that fails before it closes the server must still let its process end.
  server.unref();
  const url = `http://127.0.0.1:${server.address().port}${prefix}`;
  return {
    url, requests, raw,
    close: () => { stalled.forEach((r) => r.destroy()); server.closeAllConnections(); return new Promise((r) => server.close(r)); },
    fail: (suffix) => failing.add(suffix),
    corrupt: (suffix) => corrupting.add(suffix),
    /** Requests for `suffix` get no answer at all: a stalled server. */
    stall: (suffix) => stalling.add(suffix),
    heal: () => { failing.clear(); corrupting.clear(); stalling.clear(); stalled.splice(0).forEach((r) => r.destroy()); },
  };
}

const COMMON = [
  '--no-sandbox', '--disable-gpu-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic', '--disable-dev-shm-usage',
];
const WEBGPU = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];
// The machine's own GPU through Vulkan (bench/gpu.sh with GPU=1): no software adapter forced.
const REAL_GPU = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=native', '--ignore-gpu-blocklist'];

/** Debian's Chromium, headless, a fresh profile; `webgpu: false` leaves WebGPU off, `gpu: true`
 * uses the machine's GPU instead of SwiftShader; `args` adds flags. */
export async function launch({ webgpu = true, gpu = false, args = [] } = {}) {
  const { mkdtemp } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const profile = await mkdtemp(join(tmpdir(), 'distill-lab-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [...COMMON, ...(webgpu ? (gpu ? REAL_GPU : WEBGPU) : ['--disable-features=WebGPU']), ...args],
    viewport: { width: 1280, height: 900 },
  });
  const logs = [];
  const page = context.pages()[0] ?? (await context.newPage());
  const watch = (p) => {
    p.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    p.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  };
  watch(page);
  context.on('page', watch);
  // Workers log too.
  page.on('worker', (w) => w.on('console', (m) => logs.push(`[worker ${m.type()}] ${m.text()}`)));
  // Every Content-Security-Policy violation is logged (Chromium logs most itself; the event
  // catches the rest), and `close` fails the test on any, unless the test provoked them.
  await context.addInitScript(() => addEventListener('securitypolicyviolation', (e) =>
    console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`)));
  const close = async ({ expectCsp = false } = {}) => {
    const violations = logs.filter((l) => /Content Security Policy/i.test(l));
    await context.close();
    if (violations.length && !expectCsp) throw new Error(`Content-Security-Policy violations:\n${violations.join('\n')}`);
  };
  return { context, page, logs, close };
}

export async function screenshot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** Wait for `fn` (run in the page) to return truthy, polling; prints the console on timeout. */
export async function waitFor(page, logs, what, fn, arg, timeout = 300_000) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 500 });
  } catch (e) {
    console.log(`--- timed out waiting for ${what}; browser console:\n${logs.join('\n')}`);
    throw e;
  }
}

/** The run history the page offers as a download (settings, curves, results), downloaded. */
export async function history(page) {
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-history')]);
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(await download.path(), 'utf8'));
}

export const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;

/** Start a run from a URL and wait until it is done; returns the history. */
export async function runToEnd(b, url, timeout = 600_000) {
  await b.page.goto(url);
  await b.page.click('#start');
  await waitFor(b.page, b.logs, 'the run to finish', () => /^(Done|Stopped|Failed)/.test(document.querySelector('#status')?.textContent ?? '')
    || document.querySelector('.messages .error'), null, timeout);
  const errors = await b.page.locator('.messages .error').allTextContents();
  if (errors.length) { console.log(b.logs.join('\n')); throw new Error(`the page reported: ${errors.join(' | ')}`); }
  return history(b.page);
}
