// End-to-end: the architecture diagram of every story built-in is legible on
// a 1280x720 projector, in light and dark: box labels at least 11 px on
// screen, names in full (no ellipsis), no two labels overlapping, every box
// inside the diagram's area. Screenshots go to www/test-artifacts/diagram-*.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openApp, shot, choose, runToEnd } from './harness.mjs';

const STORIES = ['fintrust-before', 'fintrust-after', 'fintrust-migration', 'ticket-before', 'ticket-after',
  'edutech-before', 'edutech-after'];
let base, browser, close;

before(async () => { ({ base, browser, close } = await launch()); });
after(async () => { await close?.(); });

/// On-screen geometry of the diagram's lines of text and boxes.
const measure = (page) => page.evaluate(() => {
  const svg = document.querySelector('#diagram');
  const r = (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; };
  const labels = [...svg.querySelectorAll('g.node text.label tspan, g.node text.kind tspan, g.region text')].map((t) => {
    const text = t.closest('text');
    const node = t.closest('g.node');
    return {
      text: t.textContent,
      name: text.classList.contains('label'),
      px: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a,
      box: node ? r(node.querySelector('rect.box')) : r(t.closest('g.region').querySelector('rect')),
      ...r(t),
    };
  });
  return { svg: r(svg), labels, boxes: [...svg.querySelectorAll('g.node rect.box')].map(r) };
});

const overlap = (a, b) => a.x < b.x + b.w - 0.5 && b.x < a.x + a.w - 0.5 && a.y < b.y + b.h - 0.5 && b.y < a.y + a.h - 0.5;

for (const [scheme, provider] of [['light', ''], ['dark', ''], ['light', 'gcp']]) {
  test(`every story built-in's diagram is legible at 1280x720 (${scheme}${provider ? `, ${provider}` : ''})`, async () => {
    const { page, errors, close: done } = await openApp(browser, base, { colorScheme: scheme });
    const problems = [];
    for (const name of STORIES) {
      await choose(page, name);
      if (provider) {
        await page.selectOption('#provider', provider);
        await page.waitForFunction((p) => document.querySelector('#provider')?.value === p, provider);
      }
      await page.waitForTimeout(provider ? 800 : 200);
      const m = await measure(page);
      await shot(page, `diagram-${name}-${scheme}${provider ? `-${provider}` : ''}`);
      for (const l of m.labels) {
        // Names at least 11 px on screen, the service line and region names at least 9.
        if (l.px < (l.name ? 10.95 : 8.95)) problems.push(`${name}: "${l.text}" is ${l.px.toFixed(1)} px on screen`);
        if (l.text.includes('…')) problems.push(`${name}: "${l.text}" is cut`);
        const inside = l.x >= l.box.x && l.x + l.w <= l.box.x + l.box.w + 0.5 && l.y >= l.box.y - 0.5 && l.y + l.h <= l.box.y + l.box.h + 0.5;
        if (!inside) problems.push(`${name}: "${l.text}" runs out of its box`);
      }
      for (let i = 0; i < m.labels.length; i++) {
        for (const b of m.labels.slice(i + 1)) {
          if (overlap(m.labels[i], b)) problems.push(`${name}: "${m.labels[i].text}" overlaps "${b.text}"`);
        }
      }
      for (const b of m.boxes) {
        if (!(b.x >= m.svg.x - 1 && b.x + b.w <= m.svg.x + m.svg.w + 1 && b.y >= m.svg.y - 1 && b.y + b.h <= m.svg.y + m.svg.h + 1)) {
          problems.push(`${name}: a box lies outside the diagram`);
        }
      }
    }
    assert.deepEqual(problems, []);
    assert.deepEqual(errors, []);
    await done();
  });
}

test('the inspector shows every live metric with its unit', async () => {
  const { page, errors, close: done } = await openApp(browser, base);
  await choose(page, 'kinesis-autoscale');
  await runToEnd(page);
  for (const id of ['stream', 'lake', 'cloudwatch']) {
    await page.click(`#diagram g.node[data-id="${id}"]`);
    await page.waitForFunction((i) => document.querySelector('#inspector-title')?.textContent === i, id);
    const rows = await page.locator('#inspector table.metrics tr').evaluateAll((trs) => trs.map((tr) => ({
      name: tr.querySelector('th').textContent,
      value: tr.querySelector('td.num').textContent,
      unit: tr.querySelector('td.unit').textContent,
      declared: tr.querySelector('td.unit').getAttribute('title'),
    })));
    assert.ok(rows.length > 10, `${id}: ${rows.length} metric rows`);
    for (const r of rows) {
      assert.ok(r.declared, `${id}: ${r.name} declares a unit`);
      assert.ok(r.unit || /^(yes|no)$/.test(r.value), `${id}: ${r.name} = ${r.value} shows a unit`);
    }
    if (id === 'stream') {
      const age = rows.find((r) => r.name === 'iterator age max');
      assert.ok(age && /^(µs|ms|s|min|h)$/.test(age.unit), `iterator age in a time unit (${JSON.stringify(age)})`);
    }
  }
  await shot(page, 'inspector-metric-units');
  assert.deepEqual(errors, []);
  await done();
});
