// Browser benchmarks (not part of `make test`): `node bench.js` after `make web` and
// `cargo build --release -p psephos-cli`; prints the figures quoted in BENCHMARKS.md.
//
// 1. Encryption of a 20-option ballot (approval, 20 disjunctive proofs, signed) in Chromium,
//    in the booth's own Web Worker (wasm), N runs after one warm-up; also the six-contest
//    "everything" ballot (score, cumulative and budget contests use Bulletproofs).
// 2. Whole-election verification in the browser (the observer's worker) against the native
//    `psephos verify` on the same record, as a ratio.
// 3. Every ballot shape of `psephos bench --kind` (approval, plurality, score, cumulative,
//    budget, ranked): encryption, batch verification from canonical bytes and verification one
//    by one in wasm (`BenchShape`, one thread), against the native one-thread figures of
//    `psephos bench --kind …` run just after, and the encryption's ratio to the fixed-base floor
//    measured in wasm. `BENCH=shapes node bench.js` runs only this part.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { startElection, startService, launch } from './support.js';

const RUNS = Number(process.env.RUNS || 20);
const hasVerifier = readFileSync(new URL('../../web/dist/pkg/psephos_wasm.js', import.meta.url), 'utf8').includes('verifyRecord');
const BALLOTS = hasVerifier ? Number(process.env.BALLOTS || 200) : 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Every shape of `psephos bench --kind`, one contest each.
const SHAPES = [
  ['approval', 1], ['approval', 5], ['plurality', 5], ['score', 5], ['cumulative', 5], ['budget', 5], ['ranked', 10],
];

/** A Rust `Duration` as `{:.1?}` prints it ("101.2µs", "10.0ms", "1.2s"), in milliseconds. */
function parseDuration(text) {
  const m = /^([\d.]+)(ns|µs|ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  return Number(m[1]) * { ns: 1e-6, µs: 1e-3, ms: 1, s: 1000 }[m[2]];
}

/** Native one-thread figures of one shape: `{encrypt, verify1, batch}` in ms per ballot. */
function nativeShape(kind, options) {
  const out = execFileSync(process.env.PSEPHOS_BIN, ['bench', '--kind', kind, '--options', String(options),
    '--contests', '1', '--max', '10', '--threads', '1', '--samples', '15', '--batch', '128']).toString();
  const line = out.split('\n').find((l) => l.startsWith(`${kind} 1x${options}`));
  if (!line) throw new Error(`no figures for ${kind} in:\n${out}`);
  const [, enc, single, batch] = line.split('|').map((p) => p.trim().split(/\s+/));
  return { encrypt: parseDuration(enc[0]), verify1: parseDuration(single[0]), batch: parseDuration(batch[0]) };
}

async function benchShapes() {
  const service = await startService();
  const browser = await launch();
  try {
    const page = await browser.context.newPage();
    await page.goto(`${service.service}/`);
    const rows = [];
    for (const [kind, options] of SHAPES) {
      const wasm = await page.evaluate(async ({ kind, options }) => {
        const glue = await import('./pkg/psephos_wasm.js');
        const { initWasm } = await import('./integrity.js');
        await initWasm(glue);
        const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const shape = new glue.BenchShape(kind, 1, options, 10);
        const heavy = !['approval', 'plurality'].includes(kind);
        const perSample = heavy ? 2 : 10;
        const samples = heavy ? 9 : 15;
        shape.encrypt();
        const info = JSON.parse(shape.info());
        shape.clear();
        const enc = [];
        const floor = [];
        if (info.encrypt_fixed_base) shape.prepareFloors(info.encrypt_fixed_base * perSample);
        for (let i = 0; i < samples; i += 1) {
          let t = performance.now();
          for (let k = 0; k < perSample; k += 1) shape.encrypt();
          enc.push((performance.now() - t) / perSample);
          if (info.encrypt_fixed_base) {
            t = performance.now();
            shape.fixedBase();
            floor.push((performance.now() - t) / perSample);
          }
        }
        while (shape.verifyBatch() < 128) shape.encrypt();
        const batch = [];
        for (let i = 0; i < 5; i += 1) {
          const t = performance.now();
          const n = shape.verifyBatch();
          batch.push((performance.now() - t) / n);
        }
        const each = [];
        for (let i = 0; i < 3; i += 1) {
          const t = performance.now();
          const n = shape.verifyEach();
          each.push((performance.now() - t) / n);
        }
        shape.prepareFloors(info.decompressions * 32);
        const dec = [];
        for (let i = 0; i < 5; i += 1) {
          const t = performance.now();
          shape.decompress();
          dec.push((performance.now() - t) / 32);
        }
        shape.free();
        return {
          encrypt: median(enc), floor: floor.length ? median(floor) : null,
          batch: median(batch), verify1: median(each), decompress: median(dec), info,
        };
      }, { kind, options });
      const native = nativeShape(kind, options);
      rows.push({ kind, options, wasm, native });
      console.log(`${kind} 1x${options}: wasm encrypt ${wasm.encrypt.toFixed(2)} ms`
        + (wasm.floor ? ` (floor ${wasm.floor.toFixed(2)} ms, ratio ${(wasm.encrypt / wasm.floor).toFixed(2)})` : '')
        + `, batch ${wasm.batch.toFixed(3)} ms/ballot, alone ${wasm.verify1.toFixed(3)} ms`
        + `; native encrypt ${native.encrypt.toFixed(3)} ms, batch ${native.batch.toFixed(3)} ms, alone ${native.verify1.toFixed(3)} ms`);
    }
    const fmt = (x) => (x >= 1 ? `${x.toFixed(1)} ms` : `${(x * 1000).toFixed(0)} µs`);
    console.log('\n| shape | encrypt: wasm (floor ratio) | native | wasm ÷ native | batch verify per ballot: wasm | native | wasm ÷ native | verify alone: wasm ÷ native |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const { kind, options, wasm, native } of rows) {
      console.log(`| ${kind} 1×${options} | ${fmt(wasm.encrypt)}${wasm.floor ? ` (${(wasm.encrypt / wasm.floor).toFixed(2)})` : ''} | ${fmt(native.encrypt)} | ${(wasm.encrypt / native.encrypt).toFixed(2)} `
        + `| ${fmt(wasm.batch)} | ${fmt(native.batch)} | ${(wasm.batch / native.batch).toFixed(2)} | ${(wasm.verify1 / native.verify1).toFixed(2)} |`);
    }
  } finally {
    await browser.close();
    await service.stop();
  }
}

if (process.env.BENCH === 'shapes') {
  console.log(`chromium: ${execFileSync('/usr/bin/chromium', ['--version']).toString().trim()}; cpu: ${cpus()[0].model} ×${cpus().length}; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  await benchShapes();
  process.exit(0);
}

const voters = ['bench', 'everything', ...Array.from({ length: BALLOTS }, () => 'bench')];
const election = await startElection({ voters });
const browser = await launch();
try {
  const page = await browser.context.newPage();
  await page.goto(`${election.url}/`);
  await page.locator('#s-credential').waitFor({ state: 'visible', timeout: 60_000 });
  const timings = await page.evaluate(async ({ codes, runs, ballots }) => {
    const electionJson = await (await fetch('/api/v1/elections/e1')).text();
    const worker = new Worker('booth-worker.js', { type: 'module' });
    let id = 0;
    const call = (op, ...args) => new Promise((ok, fail) => {
      const me = ++id;
      const listener = (e) => {
        if (e.data.id !== me) return;
        worker.removeEventListener('message', listener);
        if (e.data.ok) ok(e.data.result); else fail(new Error(e.data.error));
      };
      worker.addEventListener('message', listener);
      worker.postMessage({ id: me, op, args });
    });
    await call('start', electionJson);
    const twenty = (k) => JSON.stringify({ style: 'bench', contests: [{ contest: 'twenty', values: Array.from({ length: 20 }, (_, i) => (i + k) % 3 === 0 ? 1 : 0) }] });
    const everything = JSON.stringify({ style: 'everything', contests: [
      { contest: 'referendum', values: [1, 0] }, { contest: 'mayor', values: [0, 1, 0] },
      { contest: 'council', values: [1, 0, 1, 0] }, { contest: 'parks', values: [4, 2] },
      { contest: 'festival', values: [3, 6, 1] }, { contest: 'budget', values: [1, 0, 1] }] });
    const out = { twenty: [], everything: [] };
    await call('encrypt', codes[0], twenty(0)); // warm-up
    for (let i = 0; i < runs; i += 1) out.twenty.push((await call('encrypt', codes[0], twenty(i))).ms);
    for (let i = 0; i < Math.min(runs, 10); i += 1) out.everything.push((await call('encrypt', codes[1], everything)).ms);
    // Fill the board for the verification benchmark: one 20-option ballot per bench voter.
    for (let i = 0; i < ballots; i += 1) {
      await call('encrypt', codes[2 + i], twenty(i));
      const body = await call('castBody');
      const r = await fetch('/api/v1/elections/e1/ballots', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      if (r.status !== 201) throw new Error(`cast ${i}: ${r.status} ${await r.text()}`);
    }
    return out;
  }, { codes: election.codes, runs: RUNS, ballots: BALLOTS });
  console.log(`chromium: ${execFileSync('/usr/bin/chromium', ['--version']).toString().trim()}; cpu: ${cpus()[0].model} ×${cpus().length}`);
  console.log(`encrypt 20-option ballot (wasm, worker): median ${median(timings.twenty).toFixed(1)} ms, min ${Math.min(...timings.twenty).toFixed(1)} ms over ${RUNS} runs`);
  console.log(`encrypt 6-contest ballot (all kinds): median ${median(timings.everything).toFixed(1)} ms over ${timings.everything.length} runs`);

  if (!hasVerifier) {
    console.log('verification ratio: skipped (psephos-wasm does not export verifyRecord yet)');
    process.exitCode = 0;
  } else {
  await election.close();
  await election.tally();
  await page.goto(`${election.url}/observer.html`);
  await page.locator('#board dl').waitFor();
  const verified = [];
  for (let i = 0; i < 3; i += 1) {
    await page.click('#verify');
    await page.locator('#verify-status.ok, #verify-status.bad').waitFor({ timeout: 600_000 });
    verified.push(Number(await page.getAttribute('#verify-status', 'data-verify-ms')));
    if (!(await page.textContent('#verify-status')).includes('passed')) throw new Error(await page.textContent('#verify-status'));
  }
  const dir = mkdtempSync(join(tmpdir(), 'psephos-bench-'));
  try {
    const record = Buffer.from(await (await fetch(`${election.api}/record`)).arrayBuffer());
    writeFileSync(join(dir, 'record'), record);
    const native = [];
    for (let i = 0; i < 3; i += 1) {
      const t0 = performance.now();
      execFileSync(process.env.PSEPHOS_BIN, ['verify', join(dir, 'record')], { stdio: 'ignore' });
      native.push(performance.now() - t0);
    }
    const b = median(verified);
    const n = median(native);
    console.log(`verify whole election (${BALLOTS + 2} voters' ballots, ${record.length} bytes): browser ${b.toFixed(0)} ms, native ${n.toFixed(0)} ms (process incl.), ratio ${(b / n).toFixed(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  }
} finally {
  await browser.close();
  await election.stop();
}

await benchShapes();
