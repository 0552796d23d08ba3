// The page's lessons run as a class would run them: headless Chromium on the CPU backend (the
// single-threaded release worker), the page opened bare, a lesson clicked, Start, wait for Done.
// Prints, per lesson, how long the run took from Start and the three networks' validation
// accuracies with the distilled student's gain. Figures, never pass/fail.
//   node bench/browser/lessons.mjs --dist target/dist-release --data data [--only quick]
// `--data` is served as the site's data/ (the published full-recipe teacher lives there).
import { join, resolve } from 'node:path';
import { serve, launch, waitFor, history } from '../../e2e/lib.mjs';

const here = resolve(new URL('.', import.meta.url).pathname);
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const dist = resolve(arg('--dist', join(here, '../../dist')));
const data = resolve(arg('--data', join(here, '../../data')));
const only = arg('--only');

const server = await serve(dist, '/', { '/data/': data + '/' });
const rows = [];
const started = Date.now();
try {
  for (const key of ['quick', 'few-labels']) {
    if (only && only !== key) continue;
    const b = await launch({ webgpu: false });
    try {
      await b.page.goto(server.url + '?device=cpu');
      await b.page.click(`#preset-${key}`);
      await waitFor(b.page, b.logs, 'the data check', () => document.querySelector('#data-check')?.dataset.state === 'ready', null, 30_000);
      const check = await b.page.locator('#data-check').textContent();
      const t0 = Date.now();
      await b.page.click('#start');
      await waitFor(b.page, b.logs, `${key} to finish`, () => /^(Done|Stopped|Failed)/.test(document.querySelector('#status')?.textContent ?? '')
        || document.querySelector('.messages .error'), null, 1_800_000);
      const seconds = (Date.now() - t0) / 1000;
      const errors = await b.page.locator('.messages .error').allTextContents();
      if (errors.length) throw new Error(`${key}: ${errors.join(' | ')}`);
      const h = await history(b.page);
      const acc = (role) => 100 * h.results.find((r) => r.role === role).val_accuracy;
      const epochs = (role) => h.curves[role.toLowerCase()].epochs.length;
      rows.push({
        key, seconds, teacher: acc('Teacher'), baseline: acc('Baseline'), distilled: acc('Distilled'),
        gain: acc('Distilled') - acc('Baseline'), epochs: [epochs('Baseline'), epochs('Distilled')],
        check: check.replace(/\s+/g, ' ').trim(),
      });
    } finally {
      await b.close();
    }
  }
} finally {
  await server.close();
}
console.log('| lesson | Start → Done | teacher | baseline | distilled | gain (points) | epochs (baseline, distilled) |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(`| ${r.key} | ${r.seconds.toFixed(1)} s | ${r.teacher.toFixed(2)} % | ${r.baseline.toFixed(2)} % | ${r.distilled.toFixed(2)} % | ${r.gain >= 0 ? '+' : ''}${r.gain.toFixed(2)} | ${r.epochs.join(', ')} |`);
}
for (const r of rows) console.log(`${r.key}: ${r.check}`);
console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
