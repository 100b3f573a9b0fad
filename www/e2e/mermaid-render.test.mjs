// Exported Mermaid, rendered by Mermaid itself (npm `mermaid`, its browser
// bundle) in headless Chromium: every built-in's `pipelab export-mermaid`
// must render without a parse error, with one drawn box per scenario box
// and one cluster per region. The seed's own diagrams render too, as a
// check that the renderer works here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { launch, shot, cli, FIXTURES } from './harness.mjs';

const MERMAID = path.resolve('node_modules/mermaid/dist/mermaid.min.js');
let env, page;

before(async () => {
  env = await launch();
  page = await env.browser.newPage({ viewport: { width: 1280, height: 720 } });
  await page.setContent('<!DOCTYPE html><html><body><div id="out"></div></body></html>');
  await page.addScriptTag({ path: MERMAID });
  await page.evaluate(() => window.mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' }));
});

after(async () => { await env?.close(); });

/// Renders `text`; returns what Mermaid drew (or its error message).
async function render(text, id) {
  return page.evaluate(async ({ text, id }) => {
    try {
      const { svg } = await window.mermaid.render(id, text);
      document.querySelector('#out').innerHTML = svg;
      const root = document.querySelector('#out svg');
      return {
        nodes: root.querySelectorAll('g.node').length,
        clusters: root.querySelectorAll('g.cluster').length,
        edges: root.querySelectorAll('path.flowchart-link, g.edgePaths path').length,
      };
    } catch (e) {
      return { error: String(e?.message ?? e) };
    }
  }, { text, id });
}

/// Boxes and subgraphs the exported text declares.
function declared(text) {
  const boxes = new Set();
  for (const line of text.split('\n')) {
    const m = line.match(/^\s*([A-Za-z_][\w]*)\s*[[({>]/);
    if (m && !/^(subgraph|classDef|class|style|linkStyle|flowchart|graph)$/.test(m[1])) boxes.add(m[1]);
  }
  const subgraphs = text.split('\n').filter((l) => /^\s*subgraph\b/.test(l)).length;
  return { boxes: boxes.size, subgraphs };
}

test('every built-in exported as Mermaid renders in Mermaid with every box and region', async () => {
  const names = cli('list').trim().split('\n').map((l) => l.split(/\s+/)[0]);
  assert.ok(names.length >= 18, names.join(', '));
  for (const [i, name] of names.entries()) {
    const text = cli('export-mermaid', name);
    const want = declared(text);
    const got = await render(text, `m${i}`);
    assert.equal(got.error, undefined, `${name}: Mermaid could not render the export:\n${got.error}\n${text}`);
    assert.equal(got.nodes, want.boxes, `${name}: boxes drawn`);
    assert.equal(got.clusters, want.subgraphs, `${name}: regions drawn`);
    assert.ok(got.edges > 0, `${name}: links drawn`);
    if (name === 'fintrust-migration') await shot(page, 'mermaid-rendered-fintrust-migration', true);
  }
});

test('the seed diagrams render in the same renderer', async () => {
  for (const f of ['fintrust-architecture.mmd', 'ticket-streaming-architecture.mmd']) {
    const got = await render(fs.readFileSync(path.join(FIXTURES, f), 'utf8'), f.replace(/\W/g, ''));
    assert.equal(got.error, undefined, `${f}: ${got.error}`);
    assert.ok(got.nodes > 5, `${f}: ${got.nodes} boxes`);
  }
});
