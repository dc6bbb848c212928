// Browser benchmarks (not part of `make test`): `node bench.js` after `make web` and
// `cargo build --release -p psephos-cli`; prints the figures quoted in BENCHMARKS.md.
//
// 1. Encryption of a 20-option ballot (approval, 20 disjunctive proofs, signed) in Chromium,
//    in the booth's own Web Worker (wasm), N runs after one warm-up; also the six-contest
//    "everything" ballot (score, cumulative and budget contests use Bulletproofs).
// 2. Whole-election verification in the browser (the observer's worker) against the native
//    `psephos verify` on the same record, as a ratio.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { startElection, launch } from './support.js';

const RUNS = Number(process.env.RUNS || 20);
const hasVerifier = readFileSync(new URL('../../web/dist/pkg/psephos_wasm.js', import.meta.url), 'utf8').includes('verifyRecord');
const BALLOTS = hasVerifier ? Number(process.env.BALLOTS || 200) : 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

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
