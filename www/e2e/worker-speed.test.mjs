// The shipped simulation worker's speed (dist/worker_bg.wasm, as users run
// it): a page of the served dist starts the worker as the app does
// (src/web/bridge.rs) and drives it with the app's own messages (load a
// built-in, play as fast as possible). Wall time runs from the play message
// to the snapshot that says the run finished, so it includes the worker's
// slicing and its snapshots; CPU time is the worker thread's over the same
// span (Linux /proc, like `pipelab bench`), steadier on a shared machine.
// Best of 3 per workload; every run's digest is checked (the golden one at
// the built-in's own duration, else the first run's), so the time is for the
// real computation. Timing is never asserted (machines differ): the figures
// go to www/test-artifacts/worker-speed.json and the test's output. Run
// alone: `cd www && DIST_DIR=../dist node --test e2e/worker-speed.test.mjs`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ART, DIST, launch } from './harness.mjs';

const GOLDEN = JSON.parse(fs.readFileSync(new URL('../../tests/golden/digests.json', import.meta.url), 'utf8'));
const RUNS = 3;
// The workloads of `pipelab bench` and tests/web_speed.rs.
const WORKLOADS = [
  { name: 'mm4-teaching', duration_s: 10000 },
  { name: 'day-500m-pipeline', duration_s: null },
];

let base, browser, close;
before(async () => { ({ base, browser, close } = await launch()); });
after(async () => { await close?.(); });

/// In the page: starts the worker as the app does; resolves once it is ready.
function startWorker() {
  const dir = location.href.replace(/[^/]*$/, '');
  const script = `importScripts(${JSON.stringify(`${dir}worker.js`)}); wasm_bindgen(${JSON.stringify(`${dir}worker_bg.wasm`)});`;
  const worker = new Worker(URL.createObjectURL(new Blob([script], { type: 'text/javascript' })));
  window.__worker = worker;
  return new Promise((resolve, reject) => {
    worker.onerror = (e) => reject(new Error(`worker: ${e.message}`));
    worker.onmessage = (e) => { if (JSON.parse(e.data).ready) resolve(); };
  });
}

/// In the page: sends `msg` to the worker; resolves to the first snapshot
/// `done` accepts (a worker error rejects).
function exchange({ msg, until }) {
  const worker = window.__worker;
  const done = new Function('snap', `return ${until};`);
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    worker.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.error) reject(new Error(`worker error: ${JSON.stringify(m.error)}`));
      const snap = m.snapshot?.snap;
      if (snap && done(snap)) resolve({ ms: performance.now() - t0, events: snap.events, digest: snap.digest });
    };
    worker.postMessage(JSON.stringify(msg));
  });
}

/// CPU seconds the browser's worker threads (`DedicatedWorker` threads of
/// this process's Chromium) have used, from /proc (Linux), else null: on a
/// shared machine the worker's CPU time is steadier than the wall time.
function workerCpuS() {
  try {
    const ours = (pid) => {
      for (let p = pid, i = 0; p > 1 && i < 10; i++) {
        if (p === process.pid) return true;
        p = Number(fs.readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ')[1]);
      }
      return false;
    };
    let ns = 0;
    for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)) {
      let tasks;
      try { if (!ours(pid)) continue; tasks = fs.readdirSync(`/proc/${pid}/task`); } catch { continue; }
      for (const tid of tasks) {
        try {
          if (!fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').startsWith('DedicatedWorker')) continue;
          ns += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        } catch { /* the thread ended */ }
      }
    }
    return ns / 1e9;
  } catch { return null; }
}

test(`the shipped worker's speed on the bench workloads (best of ${RUNS}, artefact worker-speed.json); a pause during fast play is heard`, async () => {
  const page = await browser.newPage();
  // Any page of the origin will do: the worker script only needs worker.js and worker_bg.wasm.
  await page.goto(`${base}worker.js`);
  const out = [];
  await page.evaluate(startWorker);
  for (const w of WORKLOADS) {
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      // Load afresh (the snapshot of time zero), then play as fast as possible to the end.
      await page.evaluate(exchange, { msg: { load: { source: { builtin: w.name }, settings: { duration_s: w.duration_s } } }, until: 'snap.events === 0' });
      const cpu0 = workerCpuS();
      const r = await page.evaluate(exchange, { msg: { play: { speed: 0 } }, until: 'snap.finished' });
      const cpu1 = workerCpuS();
      runs.push({ ...r, cpu_s: cpu0 === null || cpu1 === null ? null : cpu1 - cpu0 });
    }
    const want = w.duration_s === null ? GOLDEN[w.name] : runs[0].digest;
    for (const r of runs) {
      assert.ok(r.events > 0, `${w.name}: events were simulated`);
      assert.equal(r.digest, want, `${w.name}: every timed run gives the ${w.duration_s === null ? 'golden ' : 'same '}digest`);
    }
    const best = Math.min(...runs.map((r) => r.ms));
    const bestCpu = runs.every((r) => r.cpu_s !== null) ? Math.min(...runs.map((r) => r.cpu_s)) : null;
    const row = {
      workload: w.name, duration_s: w.duration_s ?? 'its own', events: runs[0].events,
      best_wall_ms: Number(best.toFixed(1)), wall_ms: runs.map((r) => Number(r.ms.toFixed(1))),
      events_per_wall_s: Math.round(runs[0].events / (best / 1000)),
      best_cpu_ms: bestCpu === null ? null : Number((bestCpu * 1000).toFixed(1)),
      cpu_ms: runs.map((r) => (r.cpu_s === null ? null : Number((r.cpu_s * 1000).toFixed(1)))),
      events_per_cpu_s: bestCpu ? Math.round(runs[0].events / bestCpu) : null,
    };
    out.push(row);
    const m = (x) => (x / 1e6).toFixed(2);
    console.log(`shipped worker, ${w.name} (${row.events} events): wall best ${row.best_wall_ms} ms of ${row.wall_ms.join(', ')} = ${m(row.events_per_wall_s)} M events/s`
      + (bestCpu ? `; worker thread CPU best ${row.best_cpu_ms} ms of ${row.cpu_ms.join(', ')} = ${m(row.events_per_cpu_s)} M events per CPU-second` : ''));
  }
  // Fast play runs in slices: a pause from the page is heard between two of them.
  await page.evaluate(exchange, { msg: { load: { source: { builtin: 'mm4-teaching' }, settings: { duration_s: 1e7 } } }, until: 'snap.events === 0' });
  await page.evaluate(exchange, { msg: { play: { speed: 0 } }, until: 'snap.events > 0' });
  const paused = await page.evaluate(exchange, { msg: 'pause', until: '!snap.playing' });
  assert.ok(paused.ms < 1000, `the pause was heard after ${paused.ms.toFixed(0)} ms`);
  const heldAt = paused.events;
  await page.waitForTimeout(300);
  const still = await page.evaluate(exchange, { msg: { focus: { stage: null, metric: null } }, until: 'true' });
  assert.equal(still.events, heldAt, 'a paused run stays where it was');
  const wasm = fs.statSync(path.join(DIST, 'worker_bg.wasm')).size;
  fs.writeFileSync(path.join(ART, 'worker-speed.json'), `${JSON.stringify({ worker_bg_wasm_bytes: wasm, runs: RUNS, note: 'headless Chromium; wall time from the play message to the finished snapshot, CPU time of the worker thread over the same span (Linux /proc); the machine may be shared, the CPU figures are the steadier', workloads: out }, null, 2)}\n`);
  await page.close();
});
