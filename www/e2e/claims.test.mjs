// End-to-end: the Claims panel checks a story's claims in the worker, one
// claim per turn, and shows the figures `pipelab claims --json` gives.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ART, launch, openApp, choose, shot, cliPath } from './harness.mjs';

// The story checked (CLAIMS_STORY=edutech or fintrust to try another).
// Measured in the release bundle with the CLI running beside it: ticket 8
// claims in 6.4 s (first row 2.5 s), fintrust 4 in 5.5 s, edutech 8 in 26 s;
// ticket covers the most claims for about the same time.
const STORY = process.env.CLAIMS_STORY ?? 'ticket';
const BUILTIN = `${STORY}-after`;
// `pipelab claims`, run while the browser works.
const claimsCli = (...args) => promisify(execFile)(cliPath(), ['claims', '--only', `${STORY}/`, ...args], { maxBuffer: 16 << 20 }).then((r) => r.stdout);
let base, browser, close;

before(async () => { ({ base, browser, close } = await launch()); });
after(async () => { await close?.(); });

test(`the Claims panel checks the ${STORY} story's claims in the worker and shows what the CLI gives`, async () => {
  const cliRuns = Promise.all([claimsCli('--json'), claimsCli()]);
  const { page, errors, close: closePage } = await openApp(browser, base);
  // Not a story: no panel.
  assert.equal(await page.locator('#claims').count(), 0);
  await choose(page, BUILTIN);
  await page.locator('#check-claims').click();
  const t0 = Date.now();
  // Rows arrive one claim at a time; the page shows which one runs.
  await page.waitForFunction(() => /checking \d+ of \d+/.test(document.querySelector('#claims-status')?.textContent ?? ''));
  const listed = await page.locator('table.claims-table tbody tr').count();
  await page.locator('table.claims-table tbody tr[data-before]').first().waitFor({ timeout: 120000 });
  const firstMs = Date.now() - t0;
  await page.waitForFunction(() => /within tolerance/.test(document.querySelector('#claims-status')?.textContent ?? ''), null, { timeout: 240000 });
  const allMs = Date.now() - t0;
  fs.writeFileSync(path.join(ART, 'claims-ms.txt'), `${STORY}: ${listed} claims, first row ${firstMs} ms, all ${allMs} ms\n`);

  const [json, text] = await cliRuns;
  const expected = JSON.parse(json).claims;
  assert.ok(expected.length >= 2, `the CLI knows the ${STORY} claims`);
  assert.equal(listed, expected.length, 'every claim is listed while they run');
  const cliModelLines = text.split('\n').filter((l) => l.startsWith('    model: ')).map((l) => l.trim());
  const rows = await page.locator('table.claims-table tbody tr').evaluateAll((trs) => trs.map((tr) => ({
    id: tr.dataset.id,
    before: Number(tr.dataset.before),
    after: Number(tr.dataset.after),
    ok: tr.dataset.ok,
    required: tr.querySelector('td.verdict')?.title,
    cells: [...tr.children].map((td) => (td.querySelector('summary') ?? td).textContent.trim()),
  })));
  assert.deepEqual(rows.map((r) => r.id), expected.map((c) => c.id), 'the CLI claims, in its order');
  const ulp = (x) => Math.abs(x) * 2 ** -52;
  for (const [i, [r, c]] of rows.map((r, i) => [r, expected[i]]).entries()) {
    // The worker runs the same built-ins and knobs as the CLI: the same
    // figures (to the last bit but one: serde_json's default float parsing
    // of the worker's message may round the last bit differently).
    assert.ok(Math.abs(r.before - c.before) <= ulp(c.before), `${c.id} before ${r.before} vs ${c.before}`);
    assert.ok(Math.abs(r.after - c.after) <= ulp(c.after), `${c.id} after ${r.after} vs ${c.after}`);
    // And shown with the CLI's formatting (claims::ClaimResult::shown).
    assert.ok(r.cells[3].startsWith('→ '), r.cells[3]);
    assert.equal(`model: ${r.cells[2]} -> ${r.cells[3].slice(2)} ${r.cells[4]} (${r.cells[5]}), ${r.required}`, cliModelLines[i], `${c.id} as the CLI prints it`);
    assert.equal(r.ok, String(c.within_tolerance), `${c.id} verdict`);
    assert.equal(r.cells[0], c.claim);
    assert.equal(r.cells[1], c.seed_figure);
    assert.equal(r.cells[4], c.unit);
    assert.equal(r.cells[6].startsWith('✓'), c.within_tolerance, `${c.id}: ${r.cells[6]}`);
  }
  const held = expected.filter((c) => c.within_tolerance).length;
  assert.equal(await page.locator('#claims-status').textContent(), `${held} of ${expected.length} within tolerance`);
  // The mechanism on hover (title) and on expand.
  const first = page.locator('table.claims-table tbody tr').first();
  assert.equal(await first.locator('td.claim').getAttribute('title'), expected[0].mechanism);
  await first.locator('summary').click();
  assert.equal(await first.locator('.mechanism').textContent(), expected[0].mechanism);
  // The other variant of the story keeps the story's results.
  await page.locator('#variant-other').click();
  await page.waitForFunction((n) => document.querySelector('#scenario-picker')?.value === n, `${STORY}-before`);
  assert.equal(await page.locator('table.claims-table tbody tr[data-before]').count(), expected.length);
  await page.locator('#claims').scrollIntoViewIfNeeded();
  await shot(page, `claims-${STORY}`);
  await page.click('#theme');
  await page.locator('#claims').scrollIntoViewIfNeeded();
  await shot(page, `claims-${STORY}-dark`);
  assert.deepEqual(errors, []);
  await closePage();
});
