// The browser bundle's budget (issue 8): the two wasm files Trunk ships, the
// page (`app-<hash>_bg.wasm`) and the simulation worker (`worker_bg.wasm`),
// at most 2 MB together before compression, 2 MB read as 2,000,000 bytes
// (stricter than 2 MiB = 2,097,152). Their sizes and gzip -9 sizes go to
// www/test-artifacts/bundle-size.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { DIST, ART } from './harness.mjs';

const BUDGET_BYTES = 2_000_000;

test(`the page and worker wasm files together are at most ${BUDGET_BYTES} bytes`, () => {
  const wasm = fs.readdirSync(DIST).filter((f) => f.endsWith('.wasm')).sort();
  const page = wasm.filter((f) => /^app-[0-9a-f]+_bg\.wasm$/.test(f));
  assert.deepEqual(wasm, [...page, 'worker_bg.wasm'].sort(), `dist holds the page's and the worker's wasm and nothing else: ${wasm.join(', ')}`);
  assert.equal(page.length, 1, `one page wasm: ${page.join(', ')}`);
  const files = Object.fromEntries(wasm.map((f) => {
    const bytes = fs.readFileSync(path.join(DIST, f));
    return [f, { bytes: bytes.length, gzip9_bytes: zlib.gzipSync(bytes, { level: 9 }).length }];
  }));
  const total = Object.values(files).reduce((s, f) => s + f.bytes, 0);
  const gzipTotal = Object.values(files).reduce((s, f) => s + f.gzip9_bytes, 0);
  const result = { budget_bytes: BUDGET_BYTES, total_bytes: total, margin_bytes: BUDGET_BYTES - total, total_gzip9_bytes: gzipTotal, files };
  fs.mkdirSync(ART, { recursive: true });
  fs.writeFileSync(path.join(ART, 'bundle-size.json'), `${JSON.stringify(result, null, 2)}\n`);
  assert.ok(total <= BUDGET_BYTES, `the bundle is ${total} B, over the ${BUDGET_BYTES} B budget by ${total - BUDGET_BYTES} B: ${JSON.stringify(files)}`);
});
