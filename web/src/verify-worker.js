// The observer's verification worker: downloads the election record
// (`GET /api/v1/elections/{election}/record`) and
// runs the whole-election verifier — psephos_record::verify, the code of `psephos verify`,
// compiled to wasm — off the page's thread, posting progress.
// In: {election?, boardKey, witnesses} — only keys the user pinned (boardKey null if none). Out: {progress: {step, done, total}} … then {report} | {error}.

import * as wasm from './pkg/psephos_wasm.js';
import { initWasm } from './integrity.js';

// The election whose record to verify: the one the page names (the officials' console), else
// the one whose pages serve the worker, `/e/{election}/`.
const served = (self.location.pathname.match(/^\/e\/([a-z0-9-]+)\//) || [])[1];

self.onmessage = async (event) => {
  const { boardKey, witnesses } = event.data;
  const election = encodeURIComponent(event.data.election || served);
  try {
    await initWasm(wasm);
    if (typeof wasm.verifyRecord !== 'function') {
      self.postMessage({ unavailable: true });
      return;
    }
    self.postMessage({ progress: { step: 'download', done: 0, total: 0 } });
    const t0 = performance.now();
    const res = await fetch(`/api/v1/elections/${election}/record`, { cache: 'no-store' });
    if (!res.ok) throw new Error(`download: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const t1 = performance.now();
    let last = 0;
    const report = JSON.parse(wasm.verifyRecord(bytes, JSON.stringify({ board_key: boardKey, witnesses }),
      (step, done, total) => {
        const now = performance.now();
        if (now - last > 100 || done === total) {
          last = now;
          self.postMessage({ progress: { step, done, total } });
        }
      }));
    const t2 = performance.now();
    self.postMessage({ report, bytes: bytes.length, downloadMs: t1 - t0, verifyMs: t2 - t1 });
  } catch (e) {
    self.postMessage({ error: String(e && e.message ? e.message : e) });
  }
};
