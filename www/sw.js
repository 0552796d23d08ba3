// Distill Lab's service worker: after the first visit the app opens offline. Network first (so
// a new build is picked up at once), the cache when the network is gone. On install it keeps
// the page and everything the page names (trunk's hashed file names are read from index.html).
// Shards are not handled here: the training worker keeps them (and the manifest) itself.
// Of the two training-worker bundles only the small CPU one is fetched ahead: the WebGPU one
// (4.5 MB) is kept when the page first loads it, so a CPU-only visitor never downloads it.
const CACHE = 'distill-lab-app-v1';
const FIXED = ['./', './worker_cpu_loader.js', './worker_cpu.js', './worker_cpu_bg.wasm'];

async function precache() {
  const cache = await caches.open(CACHE);
  const page = await fetch('./', { cache: 'no-cache' });
  const html = await page.clone().text();
  await cache.put('./', page);
  const named = [...html.matchAll(/["']([^"'\s]+\.(?:js|wasm|css|svg))["']/g)].map((m) => m[1]);
  await Promise.all([...new Set([...FIXED.slice(1), ...named])].map(async (url) => {
    const res = await fetch(url, { cache: 'no-cache' });
    if (res.ok) await cache.put(url, res);
  }));
}

self.addEventListener('install', (e) => e.waitUntil(precache().catch(() => {}).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.endsWith('.shard')) return;
  e.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok) {
          const copy = res.clone();
          caches.open(CACHE).then((c) => c.put(req, copy));
        }
        return res;
      })
      .catch(async () => (await caches.match(req, { ignoreSearch: true }))
        ?? (req.mode === 'navigate' ? caches.match('./') : undefined)
        ?? Response.error()),
  );
});
