// Shared end-to-end helpers: serve dist/
// on a free loopback port, launch the system Chromium, open the app.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const DIST = path.resolve(process.env.DIST_DIR ?? '../dist');
export const ART = path.resolve('test-artifacts');
export const FIXTURES = path.resolve('e2e/fixtures');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css' };
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Warnings the toolchain itself prints (wasm-bindgen's init, preload integrity).
export const BENIGN = [/integrity/, /deprecated parameters/];

/// Starts the server and the browser; returns { base, browser, close }.
export async function launch() {
  fs.mkdirSync(ART, { recursive: true });
  const server = http.createServer((req, res) => {
    let p = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (p.endsWith('/')) p += 'index.html';
    const f = path.join(DIST, p);
    if (!f.startsWith(DIST) || !fs.existsSync(f) || !fs.statSync(f).isFile()) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': TYPES[path.extname(f)] ?? 'application/octet-stream' });
    fs.createReadStream(f).pipe(res);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${server.address().port}/`;
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ARGS });
  return { base, browser, close: async () => { await browser.close(); server.close(); } };
}

/// Opens the app at `url` in a fresh browser context (a fresh profile: no
/// storage, no clipboard history) and waits for the diagram.
export async function openApp(browser, url, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, colorScheme: opts.colorScheme ?? 'light', acceptDownloads: true });
  if (opts.clipboard) await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !BENIGN.some((b) => b.test(m.text()))) errors.push(m.text()); });
  await page.goto(url);
  await page.locator('#diagram g.node').first().waitFor({ timeout: 20000 });
  return { page, errors, close: () => context.close() };
}

export const shot = (page, name, fullPage = false) => page.screenshot({ path: path.join(ART, `${name}.png`), fullPage });

export async function choose(page, name) {
  await page.selectOption('#scenario-picker', name);
  await page.waitForFunction((n) => document.querySelector('#scenario-picker')?.value === n
    && !document.querySelector('#scenario-title')?.textContent.startsWith('Loading'), name, { timeout: 20000 });
}

export async function runToEnd(page, timeout = 60000) {
  await page.selectOption('#speed', '0');
  await page.click('#play');
  await page.waitForFunction(() => document.querySelector('#play')?.textContent.includes('Replay'), null, { timeout });
}

export async function loadText(page, text) {
  await page.evaluate(() => { document.querySelector('details.own').open = true; });
  await page.fill('#scenario-text', text);
  await page.click('#run-text');
}

/// The native CLI: `$PIPELAB_BIN`, else `$CARGO_TARGET_DIR` (or ../target)
/// `/debug/pipelab`, which `cargo test` builds earlier in scripts/test.sh.
export function cliPath() {
  const candidates = [
    process.env.PIPELAB_BIN,
    path.join(path.resolve(process.env.CARGO_TARGET_DIR ?? '../target'), 'debug', 'pipelab'),
    path.join(path.resolve(process.env.CARGO_TARGET_DIR ?? '../target'), 'release', 'pipelab'),
  ].filter(Boolean);
  const found = candidates.find((p) => fs.existsSync(p));
  assert.ok(found, `the pipelab CLI is needed (cargo build --bin pipelab, or set PIPELAB_BIN); looked at ${candidates.join(', ')}`);
  return found;
}

/// `pipelab <args>`; its stdout.
export const cli = (...args) => execFileSync(cliPath(), args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
