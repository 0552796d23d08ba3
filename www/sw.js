// Distill Lab's service worker: after the first visit the app opens offline. Network first (so
// a new build is picked up at once), the cache when the network is gone.
// - One cache per build: `cargo xtask csp` (trunk's post-build hook) stamps the build id below,
//   so every deploy installs a new worker whose cache holds only that build's files; when it
//   activates, the caches of older builds are deleted.
// - On install it keeps the page and everything the page names (trunk's hashed file names are
//   read from index.html), and the small CPU training worker at its versioned URLs. The WebGPU
//   worker (4.5 MB) is kept when the page first loads it, so a CPU-only visitor never fetches it.
// - Navigations are kept under one key ('./'): share links differ only in their query, and
//   caching each would pile them up.
// - Shards are the training worker's (it keeps them content-addressed in DATA); on activate the
//   ones no manifest on the server lists any more are deleted. Offline, nothing is pruned.
const BUILD = 'dev';
const CACHE = `distill-lab-app-${BUILD}`;
const APP_PREFIX = 'distill-lab-app-';
const DATA = 'distill-lab-data-v1';
const FIXED = ['./worker_cpu_loader.js', './worker_cpu.js', './worker_cpu_bg.wasm'].map((u) => `${u}?v=${BUILD}`);

async function precache() {
  const cache = await caches.open(CACHE);
  const page = await fetch('./', { cache: 'no-cache' });
  const html = await page.clone().text();
  await cache.put('./', page);
  const named = [...html.matchAll(/["']([^"'\s]+\.(?:js|wasm|css|svg))["']/g)].map((m) => m[1]);
  // Every file settled (kept or not) before this worker may take over: a straggling put must
  // not land after a newer build has deleted this cache.
  await Promise.allSettled([...new Set([...FIXED, ...named])].map(async (url) => {
    const res = await fetch(url, { cache: 'no-cache' });
    if (res.ok) await cache.put(url, res);
  }));
}

async function json(url) {
  const res = await fetch(url, { cache: 'no-cache' });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

// The sha256 of every shard the server's manifests list; null when that cannot be known.
async function listedShards() {
  try {
    const index = await json('./data/index.json');
    const sums = new Set();
    for (const set of index.datasets ?? []) {
      const manifest = await json(`./data/${encodeURIComponent(set)}/manifest.json`);
      for (const s of manifest.shards ?? []) sums.add(s.sha256);
    }
    return sums;
  } catch {
    return null;
  }
}

async function prune() {
  for (const name of await caches.keys()) {
    if (name.startsWith(APP_PREFIX) && name !== CACHE) await caches.delete(name);
  }
  const listed = await listedShards();
  if (!listed || !(await caches.has(DATA))) return;
  const data = await caches.open(DATA);
  // Only shards: the worker also keeps each dataset's manifest here (no sum in its key) for
  // offline visits, and it may have stored it moments before this worker activated.
  for (const req of await data.keys()) {
    const url = new URL(req.url);
    if (!url.pathname.endsWith('.shard')) continue;
    const sum = url.searchParams.get('sha256');
    if (!sum || !listed.has(sum)) await data.delete(req);
  }
}

self.addEventListener('install', (e) => e.waitUntil(precache().catch(() => {}).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil(prune().catch(() => {}).then(() => self.clients.claim())));

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.endsWith('.shard')) return;
  const key = req.mode === 'navigate' ? './' : req;
  e.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          // Only into this build's cache while it exists: once a newer build has activated and
          // deleted it, a late response must not bring it back.
          const copy = res.clone();
          caches.has(CACHE).then((has) => has && caches.open(CACHE).then((c) => c.put(key, copy)));
        }
        return res;
      })
      .catch(async () => (await caches.match(key, { cacheName: CACHE }))
        ?? (await caches.match(req, { cacheName: CACHE, ignoreSearch: true }))
        ?? Response.error()),
  );
});
