// End-to-end: serve dist/ on a free loopback port, drive the app in the
// system Chromium (playwright-core, no browser download), assert on what a
// user sees. Screenshots go to www/test-artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';

const DIST = path.resolve(process.env.DIST_DIR ?? '../dist');
const ART = path.resolve('test-artifacts');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
let server, browser, base;

before(async () => {
  fs.mkdirSync(ART, { recursive: true });
  server = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (p.endsWith('/')) p += 'index.html';
    const f = path.join(DIST, p);
    if (!f.startsWith(DIST) || !fs.existsSync(f) || !fs.statSync(f).isFile()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(f)] ?? 'application/octet-stream' });
    fs.createReadStream(f).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${server.address().port}/`;
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS });
});

after(async () => { await browser?.close(); server?.close(); });

async function openApp() {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(base);
  await page.locator('#scenario-picker').waitFor({ timeout: 20000 });
  return { page, errors };
}

async function inkedPixels(page, selector) {
  return page.evaluate((sel) => {
    const c = document.querySelector(sel);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 200 || d[i + 1] < 200 || d[i + 2] < 200) n++;
    return n;
  }, selector);
}

test('the page shows the picker, an SVG diagram and drawn charts, with no console errors', async () => {
  const { page, errors } = await openApp();
  const options = await page.locator('#scenario-picker option').allTextContents();
  assert.ok(options.length >= 5, `picker lists the built-ins (${options.length})`);
  assert.ok(options.includes('M/M/4 teaching example'), options.join(' | '));
  const nodes = await page.locator('#diagram g.node').count();
  assert.ok(nodes >= 3, `diagram has nodes (${nodes})`);
  const edges = await page.locator('#diagram path.edge').count();
  assert.ok(edges >= 2, `diagram has links (${edges})`);
  const inked = await inkedPixels(page, '#chart-0');
  assert.ok(inked > 2000, `chart looks empty (${inked} inked pixels)`);
  assert.match(await page.locator('.results .summary').textContent(), /every record accounted for/);
  await page.screenshot({ path: path.join(ART, 'app-default.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('choosing another scenario redraws the title, diagram and results', async () => {
  const { page, errors } = await openApp();
  const before = await page.locator('#diagram g.node').count();
  await page.selectOption('#scenario-picker', 'throttle-retry');
  await page.waitForFunction(() => document.querySelector('#scenario-title')?.textContent.startsWith('Throttling'));
  const ids = await page.locator('#diagram g.node').evaluateAll((gs) => gs.map((g) => g.dataset.id));
  assert.deepEqual(ids.sort(), ['api', 'clients', 'dlq', 'store']);
  assert.ok(await page.locator('#diagram path.edge.dashed').count() >= 1, 'the dead-letter link is dashed');
  assert.notEqual(before, 0);
  const rows = await page.locator('table.stages tbody tr').count();
  assert.equal(rows, 4, "one row per source and stage");
  await page.screenshot({ path: path.join(ART, 'app-throttle-retry.png'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
});

test('every built-in scenario loads, runs and accounts for every record', async () => {
  const { page, errors } = await openApp();
  const values = await page.locator('#scenario-picker option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  assert.ok(values.length >= 5);
  for (const [value, title] of values) {
    await page.selectOption('#scenario-picker', value);
    await page.waitForFunction((t) => document.querySelector('#scenario-title')?.textContent === t, title, { timeout: 60000 });
    assert.equal(await page.locator('.error').count(), 0, `${value} shows an error`);
    assert.ok(await page.locator('#diagram g.node').count() >= 2, `${value} has a diagram`);
    assert.match(await page.locator('.results .summary').textContent(), /every record accounted for/, value);
  }
  assert.deepEqual(errors, []);
  await page.close();
});
