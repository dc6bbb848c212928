// The booth's Web Worker: encrypts off the page's thread and holds the `Booth`, whose ballot
// secrets (values and nonces, for a challenge) stay in this worker's wasm memory.
// Messages: {id, op, args} → {id, ok, result} | {id, ok: false, error}; {progress} while working.

import * as glue from './pkg/psephos_wasm.js';
import { initWasm } from './integrity.js';

const { Booth } = glue;

let booth = null;
const ready = initWasm(glue);

const ops = {
  start(electionJson) {
    if (booth) booth.free();
    booth = new Booth(electionJson);
    return null;
  },
  encrypt(code, choicesJson) {
    self.postMessage({ progress: 'encrypting' });
    const t0 = performance.now();
    const out = JSON.parse(booth.encrypt(code, choicesJson));
    out.ms = performance.now() - t0;
    return out;
  },
  challenge() {
    return JSON.parse(booth.challenge());
  },
  castBody() {
    return booth.castBody();
  },
  forget() {
    if (booth) booth.forget();
    return null;
  },
};

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    await ready;
    if (!booth && op !== 'start') throw new Error('no_ballot: the booth is not started');
    self.postMessage({ id, ok: true, result: ops[op](...args) });
  } catch (e) {
    self.postMessage({ id, ok: false, error: String(e && e.message ? e.message : e) });
  }
};
