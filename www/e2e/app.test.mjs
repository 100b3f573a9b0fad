// End-to-end: serve dist/ on a free loopback port, drive the app in the
// system Chromium (playwright-core, no browser download), assert on what a
// user sees. Screenshots (1280x720) go to www/test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ART, FIXTURES, BENIGN, launch, shot, choose, runToEnd, loadText } from './harness.mjs';

// The native build's digest of every built-in (tests/determinism.rs writes it).
const GOLDEN = JSON.parse(fs.readFileSync(new URL('../../tests/golden/digests.json', import.meta.url), 'utf8'));
let base, browser, close;

before(async () => { ({ base, browser, close } = await launch()); });

after(async () => { await close?.(); });

async function openApp(opts = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 }, colorScheme: opts.colorScheme ?? 'light' });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !BENIGN.some((b) => b.test(m.text()))) errors.push(m.text()); });
  const t0 = Date.now();
  await page.goto(base);
  await page.locator('#diagram g.node').first().waitFor({ timeout: 20000 });
  return { page, errors, firstRenderMs: Date.now() - t0 };
}

/// A fingerprint of a canvas's pixels.
async function canvasHash(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let h = 0, inked = 0;
    for (let i = 0; i < d.length; i += 16) { h = (h * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) >>> 0; if (d[i] < 200 || d[i + 1] < 200) inked++; }
    return { h, inked };
  }, selector);
}

const cellNumber = async (page, id, col) => Number(await page.locator(`table.stages tr[data-id="${id}"] td`).nth(col).textContent());

test('the page renders fast: picker, diagram, charts, no console errors', async () => {
  const { page, errors, firstRenderMs } = await openApp();
  fs.writeFileSync(path.join(ART, 'first-render-ms.txt'), `${firstRenderMs}\n`);
  assert.ok(firstRenderMs < 5000, `first render took ${firstRenderMs} ms`);
  const options = await page.locator('#scenario-picker option').allTextContents();
  assert.ok(options.length >= 5, `picker lists the built-ins (${options.length})`);
  assert.ok(options.includes('M/M/4 teaching example'), options.join(' | '));
  assert.ok(await page.locator('#diagram g.node').count() >= 3);
  assert.ok(await page.locator('#diagram path.edge').count() >= 2);
  assert.ok(await page.locator('#chart-throughput').count() === 1);
  await shot(page, 'app-default');
  // Hovering a chart shows the values at that time.
  await runToEnd(page);
  const box = await page.locator('#chart-throughput').boundingBox();
  await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.5);
  await page.locator('.chart-wrap .tooltip').waitFor();
  assert.match(await page.locator('.chart-wrap .tooltip').textContent(), /t = .*ingest.*\/s/);
  await shot(page, 'chart-hover');
  assert.deepEqual(errors, []);
  await page.close();
});

test('every built-in loads and runs to its end in the worker, accounting for every record', async () => {
  const { page, errors } = await openApp();
  const values = await page.locator('#scenario-picker option').evaluateAll((os) => os.map((o) => o.value));
  assert.ok(values.length >= 5);
  for (const value of values) {
    await choose(page, value);
    assert.equal(await page.locator('#error-banner').count(), 0, `${value} shows an error`);
    assert.ok(await page.locator('#diagram g.node').count() >= 2, `${value} has a diagram`);
    await runToEnd(page, 120000);
    assert.match(await page.locator('.results .summary').textContent(), /every record accounted for/, value);
    const progress = await page.locator('#sim-time').textContent();
    const [a, b] = progress.split(' / ');
    assert.equal(a, b, `${value} reached its end (${progress})`);
    // The shipped worker (opt-level z, wasm-opt -Oz) computes the native digest.
    assert.equal(await page.locator('#run-digest').textContent(), GOLDEN[value], `${value}: digest of the shipped bundle`);
    await shot(page, `builtin-${value}`);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test('charts change while playing and the page stays responsive during a simulated day', async () => {
  const { page, errors } = await openApp();
  await choose(page, 'day-500m-pipeline');
  const before = await canvasHash(page, '#chart-throughput');
  // Paced at one simulated hour per second: the charts move while it plays.
  await page.selectOption('#speed', '3600');
  await page.click('#play');
  await page.waitForFunction(() => /^[1-9]/.test(document.querySelector('#sim-time')?.textContent ?? ''), null, { timeout: 20000 });
  await page.waitForTimeout(1200);
  const during1 = await canvasHash(page, '#chart-throughput');
  await page.waitForTimeout(1500);
  const during2 = await canvasHash(page, '#chart-throughput');
  assert.match(await page.locator('#play').textContent(), /Pause/, 'still playing');
  await shot(page, 'playing-day-500m');
  assert.notEqual(before.h, during1.h, 'the chart changed while playing');
  assert.notEqual(during1.h, during2.h, 'and kept changing');
  // Then as fast as possible to the end, counting animation frames on the page.
  await page.evaluate(() => {
    window.__gaps = []; let last = performance.now(); window.__stop = false;
    const f = (t) => { window.__gaps.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(f); };
    requestAnimationFrame(f);
  });
  const t0 = Date.now();
  await page.selectOption('#speed', '0');
  await page.waitForFunction(() => document.querySelector('#play')?.textContent.includes('Replay'), null, { timeout: 60000 });
  const wallMs = Date.now() - t0;
  const after = await canvasHash(page, '#chart-throughput');
  const gaps = await page.evaluate(() => { window.__stop = true; return window.__gaps.slice(1); });
  gaps.sort((x, y) => x - y);
  const pct = (q) => (gaps[Math.floor(gaps.length * q)] ?? 0).toFixed(1);
  fs.writeFileSync(path.join(ART, 'frame-gaps-ms.txt'),
    `day-500m-pipeline rest of the day at full speed: ${wallMs} ms wall, frames ${gaps.length}, gap p50 ${pct(0.5)} p95 ${pct(0.95)} max ${gaps.at(-1)?.toFixed(1)} ms\n`);
  assert.notEqual(during2.h, after.h, 'and again by the end');
  assert.ok(after.inked > before.inked, 'lines were drawn');
  // The page never froze (frame timing on a loaded 2-core machine is noisy: the figures go to the artefacts).
  assert.ok(gaps.length >= 5 && gaps.at(-1) < 1000, `the page kept drawing frames (${gaps.length} frames, max gap ${gaps.at(-1)?.toFixed(1)} ms)`);
  assert.match(await page.locator('#sim-time').textContent(), /24\.00h \/ 24\.00h/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('pause, step and reset control the run', async () => {
  const { page, errors } = await openApp();
  await page.click('#step');
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.startsWith('4.50s'));
  await page.click('#step');
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.startsWith('9.00s'));
  await page.selectOption('#speed', '60');
  await page.click('#play');
  await page.waitForTimeout(1200);
  await page.click('#play'); // pause
  await page.waitForFunction(() => document.querySelector('#play')?.textContent.includes('Play'));
  const paused = await page.locator('#sim-time').textContent();
  await page.waitForTimeout(500);
  assert.equal(await page.locator('#sim-time').textContent(), paused, 'paused time stands still');
  await page.click('#reset');
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.startsWith('0 /'));
  // A new seed reloads with that seed.
  await page.fill('#seed', '12345');
  await page.locator('#seed').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#seed')?.value === '12345');
  await page.fill('#duration', '2min');
  await page.locator('#duration').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.endsWith('/ 2.0min'));
  await page.fill('#duration', 'soon');
  await page.locator('#duration').dispatchEvent('change');
  await page.locator('#error-banner').waitFor();
  assert.match(await page.locator('#error-banner').textContent(), /duration/);
  assert.deepEqual(errors, []);
  await page.close();
});

test('an inspector edit changes the results; a malformed edit shows a located message', async () => {
  const { page, errors } = await openApp();
  await runToEnd(page);
  const dropsBefore = await cellNumber(page, 'producer', 4);
  await page.click('#diagram g.node[data-id="writer"]');
  await page.locator('#inspector').waitFor();
  assert.equal(await page.locator('#inspector-title').textContent(), 'writer');
  assert.ok(await page.locator('#inspector .help').textContent().then((t) => t.length > 40), 'help paragraph');
  // Units come from the core's parameter info, not from key names.
  assert.equal(await page.locator('form.param[data-key="servers"] .unit').textContent(), 'servers (or infinite)');
  assert.match(await page.locator('form.param[data-key="service"] .unit').textContent(), /^s per record/);
  await shot(page, 'inspector-writer');
  // Bad value: the core's located error appears, the page stays.
  await page.fill('#param-writer-capacity', 'lots');
  await page.locator('form.param[data-key="capacity"] button').click();
  await page.locator('#inspector-error').waitFor();
  assert.match(await page.locator('#inspector-error').textContent(), /capacity/);
  await shot(page, 'inspector-error');
  // Fewer writer servers: more back-pressure, more drops at the source.
  await page.fill('#param-writer-servers', '3');
  await page.locator('form.param[data-key="servers"] button').click();
  await page.waitForFunction(() => !document.querySelector('#inspector-error'));
  await page.waitForFunction(() => document.querySelector('#param-writer-servers')?.value === '3');
  await runToEnd(page);
  const dropsAfter = await cellNumber(page, 'producer', 4);
  assert.ok(dropsAfter > dropsBefore, `drops grew: ${dropsBefore} -> ${dropsAfter}`);
  // A fault from the timeline form.
  await page.selectOption('#fault-action', 'stop');
  await page.fill('#fault-at', '2min');
  await page.fill('#fault-duration', '1min');
  await page.click('#fault-add');
  await page.waitForFunction(() => document.querySelector('#scenario-text')?.value.includes('[[fault]]'));
  assert.deepEqual(errors, []);
  await page.close();
});

test('edits of a built-in are kept while switching scenarios, marked, and can be reverted', async () => {
  const { page, errors } = await openApp();
  await page.click('#diagram g.node[data-id="writer"]');
  await page.fill('#param-writer-servers', '3');
  await page.locator('form.param[data-key="servers"] button').click();
  await page.locator('#edited-mark').waitFor();
  assert.equal(await page.locator('#scenario-picker').inputValue(), 'backpressure-tandem', 'the edit stays under its built-in');
  await shot(page, 'edited-builtin');
  await choose(page, 'mm4-teaching');
  assert.equal(await page.locator('#edited-mark').count(), 0, 'another built-in is not marked');
  await choose(page, 'backpressure-tandem');
  await page.locator('#edited-mark').waitFor();
  await page.waitForFunction(() => /servers = 3\b/.test(document.querySelector('#scenario-text')?.value ?? ''));
  // Settings changes keep the edit too.
  await page.fill('#seed', '99');
  await page.locator('#seed').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#seed')?.value === '99');
  assert.match(await page.locator('#scenario-text').inputValue(), /servers = 3\b/);
  await page.click('#revert');
  await page.locator('#edited-mark').waitFor({ state: 'detached' });
  await page.waitForFunction(() => !/servers = 3\b/.test(document.querySelector('#scenario-text')?.value ?? ''));
  assert.deepEqual(errors, []);
  await page.close();
});

test('frame timing while a whole day simulates as fast as possible (artefact frame-timing.json)', async () => {
  const { page, errors, firstRenderMs } = await openApp();
  const scenario = 'fintrust-after';
  await choose(page, scenario);
  // Collect requestAnimationFrame deltas on the page for about 3 s of the run.
  await page.selectOption('#speed', '0');
  await page.evaluate(() => {
    window.__gaps = []; window.__stop = false; let last = null;
    const f = (t) => { if (last !== null) window.__gaps.push(t - last); last = t; if (!window.__stop) requestAnimationFrame(f); };
    requestAnimationFrame(f);
  });
  await page.click('#play');
  const t0 = Date.now();
  await Promise.race([
    page.waitForTimeout(3000),
    page.waitForFunction(() => document.querySelector('#play')?.textContent.includes('Replay'), null, { timeout: 3000 }).catch(() => {}),
  ]);
  const windowMs = Date.now() - t0;
  const gaps = await page.evaluate(() => { window.__stop = true; return window.__gaps; });
  const progress = await page.locator('#sim-time').textContent();
  gaps.sort((x, y) => x - y);
  const q = (p) => Number((gaps[Math.min(gaps.length - 1, Math.floor(gaps.length * p))] ?? 0).toFixed(1));
  const result = {
    scenario, speed: 'as fast as possible', window_ms: windowMs, frames: gaps.length,
    frame_gap_ms: { p50: q(0.5), p95: q(0.95), max: Number((gaps.at(-1) ?? 0).toFixed(1)) },
    simulated_at_end_of_window: progress, first_render_ms: firstRenderMs,
    viewport: '1280x720', note: 'headless Chromium; the machine may be shared, so figures are noisy',
  };
  fs.writeFileSync(path.join(ART, 'frame-timing.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`frame timing (${scenario}, as fast as possible, ${windowMs} ms): ${gaps.length} frames, gap p50 ${result.frame_gap_ms.p50} ms, p95 ${result.frame_gap_ms.p95} ms, max ${result.frame_gap_ms.max} ms; first render ${firstRenderMs} ms`);
  assert.ok(gaps.length >= 20, `frames were drawn (${gaps.length})`);
  // Lenient (CI machines are loaded): 60 fps is a 16.7 ms gap; a blocked main thread shows here.
  assert.ok(result.frame_gap_ms.p95 < 50, `frame gap p95 ${result.frame_gap_ms.p95} ms`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('the provider switch changes service names and cost', async () => {
  const { page, errors } = await openApp();
  await choose(page, 'kinesis-autoscale');
  await page.selectOption('#provider', 'aws');
  await page.waitForFunction(() => document.querySelector('#diagram')?.textContent.includes('Kinesis'));
  await runToEnd(page);
  const awsCost = await page.locator('#cost').textContent();
  assert.match(awsCost, /AWS/);
  await shot(page, 'provider-aws');
  await page.selectOption('#provider', 'gcp');
  await page.waitForFunction(() => document.querySelector('#diagram')?.textContent.includes('Pub/Sub'));
  await runToEnd(page);
  const gcpCost = await page.locator('#cost').textContent();
  assert.match(gcpCost, /GCP/);
  assert.notEqual(awsCost, gcpCost);
  assert.equal(await page.locator('#chart-cost').count(), 1, 'a running-cost chart');
  await shot(page, 'provider-gcp');
  assert.deepEqual(errors, []);
  await page.close();
});

test('presentation mode steps through the story, jumping in time and highlighting the stage', async () => {
  const { page, errors } = await openApp();
  await loadText(page, fs.readFileSync(path.join(FIXTURES, 'story-tandem.toml'), 'utf8'));
  await page.waitForFunction(() => document.querySelector('#scenario-title')?.textContent === 'Tandem, told as a story');
  assert.equal(await page.locator('#diagram g.region').count(), 2, 'regions drawn');
  await shot(page, 'story-loaded');
  // A/B overlay against the built-in it compares with.
  const plain = await canvasHash(page, '#chart-throughput');
  await page.check('#overlay-toggle');
  await page.locator('#overlay-label').waitFor({ timeout: 30000 });
  await page.waitForTimeout(300);
  assert.notEqual((await canvasHash(page, '#chart-throughput')).h, plain.h, 'the overlay is drawn');
  await shot(page, 'story-overlay', true);
  await page.click('#present');
  await page.locator('#presentation').waitFor();
  assert.equal(await page.locator('#slide-title').textContent(), 'A steady producer');
  await page.waitForFunction(() => document.querySelector('#presentation .moment')?.textContent.includes('simulated 5.0min'), null, { timeout: 20000 });
  assert.equal(await page.locator('#present-diagram g.node.highlight').getAttribute('data-id'), 'writer');
  await page.locator('#focus-metric').waitFor();
  await shot(page, 'present-step-1');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('#slide-title')?.textContent === 'A spike at ten minutes');
  await page.waitForFunction(() => document.querySelector('#presentation .moment')?.textContent.includes('simulated 14.0min'), null, { timeout: 20000 });
  assert.equal(await page.locator('#present-diagram g.node.highlight').getAttribute('data-id'), 'ingest');
  await shot(page, 'present-step-2');
  await page.keyboard.press('ArrowRight');
  await page.waitForFunction(() => document.querySelector('#slide-title')?.textContent === 'Drops at the source');
  await page.locator('#focus-metric').waitFor();
  await page.keyboard.press('ArrowLeft');
  await page.waitForFunction(() => document.querySelector('#slide-title')?.textContent === 'A spike at ten minutes');
  await page.keyboard.press('Escape');
  await page.locator('#presentation').waitFor({ state: 'detached' });
  assert.deepEqual(errors, []);
  await page.close();
});

test('light and dark themes', async () => {
  const { page, errors } = await openApp();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'light');
  await page.click('#theme');
  await page.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.match(bg, /rgb\((\d|[1-4]\d),/, `dark background (${bg})`);
  await runToEnd(page);
  await shot(page, 'theme-dark');
  await page.click('#diagram g.node[data-id="ingest"]');
  await shot(page, 'theme-dark-inspector');
  // The choice is remembered.
  await page.reload();
  await page.locator('#diagram g.node').first().waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
  await page.click('#theme');
  assert.deepEqual(errors, []);
  await page.close();
});

test('nothing typed is rendered as HTML; malformed text gets a message, not a blank page', async () => {
  const { page, errors } = await openApp();
  const text = fs.readFileSync(path.join(FIXTURES, 'story-tandem.toml'), 'utf8')
    .replace('name = "Tandem, told as a story"', 'name = "<img src=x onerror=window.__pwned=1> <b>bold</b>"');
  await loadText(page, text);
  await page.waitForFunction(() => document.querySelector('#scenario-title')?.textContent.includes('<img'));
  assert.equal(await page.locator('#scenario-title img, #scenario-title b').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  await loadText(page, 'name = "broken"\nduration = "1h"\n[[stage]]\nid = "a"\nkind = "qeue"\n');
  await page.locator('#error-banner').waitFor();
  assert.match(await page.locator('#error-banner').textContent(), /line \d+/);
  assert.ok(await page.locator('#diagram g.node').count() >= 2, 'the last good scenario stays on screen');
  await shot(page, 'malformed-text');
  await loadText(page, 'this is [ not toml');
  await page.waitForFunction(() => document.querySelector('#error-banner')?.textContent.includes('line'));
  assert.deepEqual(errors, []);
  await page.close();
});
