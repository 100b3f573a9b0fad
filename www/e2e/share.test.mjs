// End-to-end: sharing and interchange (issue 9) in headless Chromium.
// Share links replay the same run (same digest) in a fresh profile; files
// saved in the browser run in the CLI with the same digest and back; the
// seed's Mermaid diagrams import through the paste box; every export is a
// well-formed file; broken links and pastes get a message, not a blank page.
// The CLI is `$PIPELAB_BIN`, else `$CARGO_TARGET_DIR` (or ../target)
// `/debug/pipelab`, which `cargo test` builds (scripts/test.sh runs it first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { launch, openApp, shot, choose, runToEnd, loadText, FIXTURES, cli } from './harness.mjs';

let env;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'pipelab-share-'));

const cliDigest = (file) => JSON.parse(cli('run', file, '--json')).digest;

before(async () => { env = await launch(); });
after(async () => { await env?.close(); });

const digestOf = (page) => page.locator('#run-digest').textContent();

/// Clicks a menu item (opening its menu first) and returns the download saved under TMP.
async function download(page, menu, item) {
  await page.click(`#${menu} > summary`);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 60000 }), page.click(`#${item}`)]);
  const file = path.join(TMP, dl.suggestedFilename());
  await dl.saveAs(file);
  return file;
}

/// RFC 4180 rows (quoted fields with commas, quotes and line breaks).
function parseCsv(text) {
  const rows = []; let row = []; let f = ''; let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (q) {
      if (c === '"' && text[i + 1] === '"') { f += '"'; i++; } else if (c === '"') q = false; else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') { row.push(f); f = ''; } else if (c === '\n') { row.push(f); rows.push(row); row = []; f = ''; } else if (c !== '\r') f += c;
  }
  if (f !== '' || row.length) { row.push(f); rows.push(row); }
  return rows;
}

function assertCsv(file, header) {
  const rows = parseCsv(fs.readFileSync(file, 'utf8'));
  assert.ok(rows.length >= 2, `${file}: a header and rows (${rows.length})`);
  if (header) assert.equal(rows[0].join(','), header);
  for (const r of rows) assert.equal(r.length, rows[0].length, `${file}: every row has ${rows[0].length} columns: ${r.join(',')}`);
  return rows;
}

async function pasteMermaid(page, text) {
  if (await page.locator('#mermaid-dialog').count() === 0) {
    await page.click('#file-menu > summary');
    await page.click('#paste-mermaid');
  }
  await page.fill('#mermaid-text', text);
  await page.click('#mermaid-import');
}

const nodeIds = (page, sel = '#diagram') => page.locator(`${sel} g.node`).evaluateAll((ns) => ns.map((n) => n.dataset.id).sort());

test('a share link replays the same run, with the edits, seed and provider, in a fresh browser profile', async () => {
  const { page, errors, close } = await openApp(env.browser, env.base, { clipboard: true });
  await choose(page, 'kinesis-autoscale');
  // An edit to the text, a seed, a provider.
  const text = await page.locator('#scenario-text').inputValue();
  const edited = text.replace(/^duration = .*$/m, 'duration = "20min"');
  assert.notEqual(edited, text);
  await loadText(page, edited);
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.endsWith('/ 20.0min'));
  await page.fill('#seed', '99');
  await page.locator('#seed').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#seed')?.value === '99');
  await page.selectOption('#provider', 'gcp');
  await page.waitForFunction(() => document.querySelector('#diagram')?.textContent.includes('Pub/Sub'));
  // And an inspector edit (it rewrites the text; the link still carries only the changed lines).
  await page.click('#diagram g.node[data-id="stream"]');
  await page.fill('#param-stream-shards', '3');
  await page.locator('form.param[data-key="shards"] button').click();
  await page.waitForFunction(() => document.querySelector('#scenario-text')?.value.includes('shards = 3'));
  await runToEnd(page);
  const digest = await digestOf(page);
  assert.match(digest, /^[0-9a-f]{16,}$/);
  await page.click('#share');
  await page.locator('#share-dialog').waitFor();
  const url = await page.locator('#share-url').inputValue();
  assert.match(url, /#p1\.[A-Za-z0-9_-]+$/);
  assert.equal(page.url(), url, 'the link is in the address bar');
  assert.equal(await page.locator('#share-length').textContent(), `${url.length} characters`);
  // Two edits travel as the span of lines between them (the whole text would take about 1,500 characters).
  assert.ok(url.length < 600, `an edited built-in makes a short link (${url.length} characters)`);
  await page.click('#share-copy');
  await page.waitForFunction(() => document.querySelector('#share-copied')?.textContent.startsWith('Copied'));
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
  await shot(page, 'share-dialog');
  await page.click('#share-close');
  assert.deepEqual(errors, []);
  await close();

  // A fresh profile opens the link: the same scenario, seed and provider, the same digest.
  const b = await openApp(env.browser, url);
  // The worker answers the link's scenario asynchronously: wait for its seed, then check the rest.
  await b.page.waitForFunction(() => document.querySelector('#seed')?.value === '99', null, { timeout: 20000 });
  assert.equal(await b.page.locator('#provider').inputValue(), 'gcp');
  assert.match(await b.page.locator('#sim-time').textContent(), /\/ 20\.0min$/);
  await runToEnd(b.page);
  assert.equal(await digestOf(b.page), digest, 'the link replays the run');
  // The CLI opens the same link to the same digest.
  assert.equal(JSON.parse(cli('open', url, '--json')).digest, digest);
  assert.deepEqual(b.errors, []);
  await b.close();
});

test('a tampered, foreign or old link gets a message in the page, and the default scenario', async () => {
  const { page, close } = await openApp(env.browser, env.base);
  await page.click('#share');
  const url = await page.locator('#share-url').inputValue();
  await close();
  const frag = url.split('#')[1];
  const i = Math.floor(frag.length * 0.6);
  const tampered = frag.slice(0, i) + (frag[i] === 'A' ? 'B' : 'A') + frag.slice(i + 1);
  for (const [name, f] of [['tampered', tampered], ['truncated', frag.slice(0, frag.length - 9)], ['foreign', 'x9.hello'], ['garbage', 'p1.$$$']]) {
    const o = await openApp(env.browser, `${env.base}#${f}`);
    await o.page.locator('#error-banner').waitFor();
    const msg = await o.page.locator('#error-banner').textContent();
    assert.match(msg, /share link/, `${name}: ${msg}`);
    assert.equal(await o.page.locator('#scenario-title').textContent(), 'Back-pressure through a tandem', `${name}: the default scenario`);
    assert.ok(await o.page.locator('#diagram g.node').count() >= 3, `${name}: not a blank page`);
    if (name === 'tampered') await shot(o.page, 'share-tampered');
    assert.deepEqual(o.errors, []);
    await o.close();
  }
  // A link made by another engine version opens, with a notice.
  const text = fs.readFileSync(path.join(FIXTURES, 'story-tandem.toml'), 'utf8');
  const payload = zlib.deflateSync(Buffer.from(JSON.stringify({ s: text, seed: 3, e: 'pipelab-engine/0.0.1' })));
  const old = `p1.${payload.toString('base64url')}`;
  const o = await openApp(env.browser, `${env.base}#${old}`);
  await o.page.locator('#notice-banner').waitFor();
  assert.match(await o.page.locator('#notice-banner').textContent(), /0\.0\.1.*may differ/);
  assert.equal(await o.page.locator('#scenario-title').textContent(), 'Tandem, told as a story');
  assert.equal(await o.page.locator('#seed').inputValue(), '3');
  await shot(o.page, 'share-old-version');
  // A link pasted into the address bar of the open page opens too.
  await o.page.evaluate((h) => { location.hash = h; }, frag);
  await o.page.waitForFunction(() => document.querySelector('#scenario-title')?.textContent === 'Back-pressure through a tandem');
  assert.equal(await o.page.locator('#seed').inputValue(), '11');
  // Choosing another scenario takes the link out of the address bar.
  await choose(o.page, 'mm4-teaching');
  assert.equal(new URL(o.page.url()).hash, '');
  await o.close();
});

test('a file saved in the browser runs in the CLI with the same digest, and a CLI-written file opens in the browser', async () => {
  const { page, errors, close } = await openApp(env.browser, env.base);
  await choose(page, 'ticket-dedup');
  await page.fill('#seed', '5');
  await page.locator('#seed').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#seed')?.value === '5');
  await page.fill('#duration', '15min');
  await page.locator('#duration').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.endsWith('/ 15.0min'));
  await page.selectOption('#provider', 'aws');
  await page.waitForFunction(() => document.querySelector('#provider')?.value === 'aws' && !document.querySelector('#scenario-title')?.textContent.startsWith('Loading'));
  await runToEnd(page);
  const digest = await digestOf(page);
  const saved = {};
  for (const fmt of ['toml', 'json']) {
    const file = await download(page, 'file-menu', `save-${fmt}`);
    assert.ok(file.endsWith(`pipelab-ticket-dedup.${fmt}`), file);
    assert.equal(cliDigest(file), digest, `pipelab run ${path.basename(file)}`);
    saved[fmt] = fs.readFileSync(file, 'utf8');
  }
  // The saved JSON dropped back onto the page (no overrides now: they are in the file) replays the run.
  await page.evaluate(({ name, text }) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], name, { type: 'application/json' }));
    document.querySelector('.app').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, { name: 'dropped.json', text: saved.json });
  await page.waitForFunction(() => document.querySelector('#scenario-picker')?.value === 'custom' && document.querySelector('#provider')?.value === '');
  assert.equal(await page.locator('#seed').inputValue(), '5');
  await runToEnd(page);
  assert.equal(await digestOf(page), digest, 'the dropped file replays the run');
  // The CLI writes scenario files (TOML and JSON); the browser opens them (file input) to the CLI's digest.
  for (const out of ['ticket.toml', 'ticket.json']) {
    const file = path.join(TMP, out);
    cli('import-mermaid', path.join(FIXTURES, 'ticket-streaming-architecture.mmd'), '-o', file);
    const want = cliDigest(file);
    await page.setInputFiles('#open-file', file);
    await page.waitForFunction(() => document.querySelector('#scenario-title')?.textContent.startsWith('ticket-streaming-architecture'));
    await runToEnd(page, 120000);
    assert.equal(await digestOf(page), want, `${out} opened in the browser`);
  }
  // A malformed file: a located message, the page stays.
  const bad = path.join(TMP, 'bad.toml');
  fs.writeFileSync(bad, 'name = "bad"\nduration = "soon"\n');
  await page.setInputFiles('#open-file', bad);
  await page.locator('#error-banner').waitFor();
  assert.match(await page.locator('#error-banner').textContent(), /bad\.toml: .*line 2/);
  assert.ok(await page.locator('#diagram g.node').count() >= 3);
  assert.deepEqual(errors, []);
  await close();
});

test('every export is a non-empty, well-formed file', async () => {
  const { page, errors, close } = await openApp(env.browser, env.base);
  await choose(page, 'kinesis-autoscale');
  await page.fill('#duration', '10min');
  await page.locator('#duration').dispatchEvent('change');
  await page.waitForFunction(() => document.querySelector('#sim-time')?.textContent.endsWith('/ 10.0min'));
  await runToEnd(page);
  const digest = await digestOf(page);
  const png = fs.readFileSync(await download(page, 'export-menu', 'export-png'));
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG magic');
  assert.ok(png.length > 10000, `PNG has a picture (${png.length} bytes)`);
  const svg = fs.readFileSync(await download(page, 'export-menu', 'export-svg'), 'utf8');
  const parsed = await page.evaluate((t) => {
    const d = new DOMParser().parseFromString(t, 'image/svg+xml');
    return { error: d.querySelector('parsererror')?.textContent ?? null, charts: d.querySelectorAll('svg > svg').length, texts: d.querySelectorAll('text').length };
  }, svg);
  assert.equal(parsed.error, null, 'the SVG parses as XML');
  assert.ok(parsed.charts >= 4 && parsed.texts > 20, `charts in the SVG: ${JSON.stringify(parsed)}`);
  assert.match(svg, /Throughput per stage/);
  const rows = assertCsv(await download(page, 'export-menu', 'export-csv'), 'time_s,stage,kind,throughput_per_s,backlog_records,dropped_per_s');
  // One row per stage per time step: every stage has the same steps, more than one.
  const perStage = {};
  for (const r of rows.slice(1)) perStage[r[1]] = (perStage[r[1]] ?? 0) + 1;
  const counts = Object.values(perStage);
  assert.ok(counts.length >= 2 && counts.every((c) => c === counts[0] && c > 1), `rows per stage: ${JSON.stringify(perStage)}`);
  const json = JSON.parse(fs.readFileSync(await download(page, 'export-menu', 'export-json'), 'utf8'));
  assert.equal(json.digest, digest, 'the run JSON is this run');
  assert.ok(json.stages && json.conservation?.holds === true && json.cost?.lines?.length > 0, 'the pipelab run --json object');
  const cost = assertCsv(await download(page, 'export-menu', 'export-cost-csv'));
  assert.ok(cost[0].includes('usd'), cost[0].join(','));
  const usd = cost[0].indexOf('usd');
  const sum = cost.slice(1).reduce((s, r) => s + Number(r[usd]), 0);
  assert.ok(Math.abs(sum - json.cost.total_usd) <= 1e-6 * Math.max(1, json.cost.total_usd), `cost CSV sums to the total (${sum} vs ${json.cost.total_usd})`);
  const mmd = fs.readFileSync(await download(page, 'export-menu', 'export-mermaid'), 'utf8');
  assert.match(mmd, /^(flowchart|graph) /m);
  // Exported Mermaid re-imports to the same graph.
  const ids = await nodeIds(page);
  const edges = await page.locator('#diagram path.edge').count();
  await pasteMermaid(page, mmd);
  await page.waitForFunction(() => document.querySelector('#mermaid-report')?.textContent.includes('every box mapped'));
  await page.click('#mermaid-close');
  assert.deepEqual(await nodeIds(page), ids, 'same boxes');
  assert.equal(await page.locator('#diagram path.edge').count(), edges, 'same links');
  assert.deepEqual(errors, []);
  await close();
});

test('the seed Mermaid diagrams import through the paste box with every box mapped, and run', async () => {
  const { page, errors, close } = await openApp(env.browser, env.base);
  for (const name of ['fintrust-architecture', 'ticket-streaming-architecture']) {
    await pasteMermaid(page, fs.readFileSync(path.join(FIXTURES, `${name}.mmd`), 'utf8'));
    await page.waitForFunction(() => document.querySelector('#mermaid-report')?.textContent.includes('every box mapped'), null, { timeout: 30000 });
    if (name === 'fintrust-architecture') await shot(page, 'mermaid-dialog');
    await page.click('#mermaid-close');
    assert.ok(await page.locator('#diagram g.node').count() > 8, `${name}: boxes drawn`);
    assert.ok(await page.locator('#diagram g.region').count() >= 2, `${name}: subgraphs as regions`);
    await runToEnd(page, 120000);
    assert.match(await page.locator('.results .summary').textContent(), /every record accounted for/, name);
  }
  // A box nothing maps: listed with its line, and a chosen kind maps it.
  await pasteMermaid(page, 'flowchart LR\n  k[Kinesis] --> m[Mystery box] --> s[(S3)]\n  x["<img src=x onerror=window.__pwned=1>"] --> k\n');
  await page.locator('#mermaid-report li.unmapped').first().waitFor();
  const unmapped = await page.locator('#mermaid-report li.unmapped').evaluateAll((ls) => ls.map((l) => l.dataset.id));
  assert.ok(unmapped.includes('m'), unmapped.join(','));
  assert.match(await page.locator('#mermaid-report li.unmapped[data-id="m"]').textContent(), /Mystery box.*line 2/);
  await shot(page, 'mermaid-unmapped');
  for (const id of unmapped) await page.selectOption(`#kind-${id}`, id === 'm' ? 'queue' : 'source');
  await page.click('#mermaid-apply');
  await page.waitForFunction(() => document.querySelector('#mermaid-report')?.textContent.includes('every box mapped'));
  assert.equal(await page.locator('#diagram g.node[data-id="m"] text.kind').textContent().then((t) => /queue/i.test(t)), true);
  assert.equal(await page.locator('#diagram img, #mermaid-dialog img').count(), 0, 'labels are text, not HTML');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // Not a flowchart, and too large: clear messages in the dialog.
  await page.fill('#mermaid-text', 'sequenceDiagram\n  Alice->>Bob: hi');
  await page.click('#mermaid-import');
  await page.locator('#mermaid-error').waitFor();
  assert.match(await page.locator('#mermaid-error').textContent(), /flowchart/);
  await page.locator('#mermaid-text').evaluate((t, n) => { t.value = 'flowchart LR\n' + 'a --> b\n'.repeat(n); }, 40000);
  await page.click('#mermaid-import');
  await page.waitForFunction(() => document.querySelector('#mermaid-error')?.textContent.includes('256 KiB'));
  await shot(page, 'mermaid-error');
  assert.deepEqual(errors, []);
  await close();
});

test('Record makes a WebM video of the diagram and charts', async () => {
  const { page, errors, close } = await openApp(env.browser, env.base);
  const enabled = await page.locator('#record').isEnabled();
  assert.ok(enabled, 'Chromium has MediaRecorder: the button is enabled');
  await page.selectOption('#speed', '60');
  await page.click('#play');
  await page.click('#record');
  await page.waitForFunction(() => document.querySelector('#record')?.textContent.includes('Stop'));
  await page.waitForTimeout(2500);
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 20000 }), page.click('#record')]);
  assert.equal(dl.suggestedFilename(), 'pipelab-backpressure-tandem.webm');
  const file = path.join(TMP, dl.suggestedFilename());
  await dl.saveAs(file);
  const webm = fs.readFileSync(file);
  assert.deepEqual([...webm.subarray(0, 4)], [0x1a, 0x45, 0xdf, 0xa3], 'EBML (WebM) magic');
  assert.ok(webm.length > 2000, `the video has frames (${webm.length} bytes)`);
  assert.deepEqual(errors, []);
  await close();
});
