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
  const prefixes = new Map(); // path suffix → text put before the file's own
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
      for (const [suffix, text] of prefixes) if (path.endsWith(suffix)) body = Buffer.concat([Buffer.from(text), body]);
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
    /** Files ending in `suffix` are served with `text` before their own (the bench's counters). */
    prepend: (suffix, text) => prefixes.set(suffix, text),
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

/** axe-core's audit of the page as it is: every violation of any impact, briefly. Evaluated
 * through the DevTools protocol: a script tag would be (rightly) refused by the page's
 * Content-Security-Policy. */
export async function axeViolations(page) {
  const { createRequire } = await import('node:module');
  const { readFileSync } = await import('node:fs');
  const require = createRequire(join(ROOT, 'e2e', 'package.json'));
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => (await axe.run(document)).violations
    .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.html.slice(0, 100)) })));
}

/** Unfold the lab's settings (folded behind "Settings" on the first screen), to use a control. */
export async function openSettings(page) {
  await page.locator('#settings').evaluate((d) => { d.open = true; });
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A PNG's chunks: `{type, data}` in file order. */
function pngChunks(png) {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  const chunks = [];
  for (let o = 8; o + 12 <= png.length;) {
    const length = png.readUInt32BE(o);
    chunks.push({ type: png.toString('latin1', o + 4, o + 8), data: png.subarray(o + 8, o + 8 + length) });
    o += 12 + length;
  }
  return chunks;
}

function pngChunk(type, data) {
  const head = Buffer.alloc(4);
  head.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([head, body, crc]);
}

/** An animated PNG (APNG: one `fcTL` per frame, the first frame's image data as `IDAT`, the
 * rest as `fdAT`) from PNG frames of one size and format, looping; `delaysMs` cycles over the
 * frames. Browsers and GitHub show it animated; others show the first frame. */
export function apng(frames, delaysMs) {
  const delays = [delaysMs].flat();
  const parsed = frames.map(pngChunks);
  const ihdr = parsed[0].find((c) => c.type === 'IHDR').data;
  const out = [PNG_SIGNATURE, pngChunk('IHDR', ihdr)];
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(frames.length, 0);
  out.push(pngChunk('acTL', actl)); // plays: 0, forever
  let sequence = 0;
  parsed.forEach((chunks, i) => {
    if (!chunks.find((c) => c.type === 'IHDR').data.equals(ihdr)) throw new Error(`frame ${i} differs in size or format`);
    const fctl = Buffer.alloc(26);
    fctl.writeUInt32BE(sequence++, 0);
    fctl.writeUInt32BE(ihdr.readUInt32BE(0), 4);
    fctl.writeUInt32BE(ihdr.readUInt32BE(4), 8);
    fctl.writeUInt16BE(delays[i % delays.length], 20);
    fctl.writeUInt16BE(1000, 22); // the delay in ms; offsets, dispose and blend all 0
    out.push(pngChunk('fcTL', fctl));
    for (const { data } of chunks.filter((c) => c.type === 'IDAT')) {
      if (i === 0) {
        out.push(pngChunk('IDAT', data));
      } else {
        const seq = Buffer.alloc(4);
        seq.writeUInt32BE(sequence++);
        out.push(pngChunk('fdAT', Buffer.concat([seq, data])));
      }
    }
  });
  out.push(pngChunk('IEND', Buffer.alloc(0)));
  return Buffer.concat(out);
}
