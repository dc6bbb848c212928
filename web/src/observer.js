// The observer's page: the live board (Server-Sent Events), its latest checkpoint with the
// board's signature and witness cosignatures checked in the browser, the counts and the key
// ceremony, and a button that verifies the whole election in a Web Worker.

import { $, api, describe, dl, el, fill, frame, loadWasm, number, t, wasmError, witnessKeys, E } from './common.js';

frame('observer.title', 'observer.html');

let wasm;
let electionJson;
let election;
const state = { phase: null, size: null, checkpoint: null, counts: null, ceremony: null, live: false };

function render() {
  const cp = state.checkpoint;
  let cpView = t('observer.checkpoint.none');
  if (cp && cp.error) cpView = el('span', { class: 'bad', text: t('observer.checkpoint.bad', { detail: cp.error }) });
  else if (cp) {
    cpView = el('div', {},
      el('p', { text: t('receipt.checkpointValue', { size: number(cp.size), root: cp.root.slice(0, 16) + '…' }) }),
      el('ul', {}, cp.signers.map((s) => el('li', { text: t(`receipt.signer.${s.role}`, { name: s.name }) }))));
  }
  const c = state.counts;
  const cer = state.ceremony;
  fill($('board'), dl([
    [t('observer.phase'), state.phase ? t(`election.phase.${state.phase}`) : '…'],
    [t('observer.size'), state.size === null ? '…' : number(state.size)],
    [t('observer.checkpoint'), cpView],
    c && [t('observer.credentials'), number(c.credentials)],
    c && [t('observer.ballots'), number(c.ballots_cast)],
    c && [t('observer.voters'), number(c.voters)],
    c && [t('observer.challenges'), number(c.challenges)],
    [t('observer.ceremony'), cer ? t('observer.ceremony.round', { round: cer.round, awaiting: cer.awaiting.join(', ') || '—' })
      : t('observer.ceremony.done')],
    [t('observer.live'), t(state.live ? 'observer.live.on' : 'observer.live.off')],
  ]));
}

function checkpoint(note) {
  try {
    state.checkpoint = JSON.parse(wasm.openCheckpoint(electionJson, note, witnessKeys()));
    state.size = Math.max(state.size ?? 0, state.checkpoint.size);
  } catch (e) {
    state.checkpoint = { error: wasmError(e).detail };
  }
}

function status(s) {
  state.phase = s.phase;
  state.counts = s.counts;
  state.ceremony = s.ceremony;
  state.size = s.board_size;
}

async function start() {
  $('status').textContent = t('loading');
  try {
    [wasm, electionJson] = await Promise.all([loadWasm(), api(E(''), { text: true })]);
    election = JSON.parse(electionJson);
    wasm.checkElection(electionJson);
    document.title = `${election.manifest.name} · ${t('observer.title')}`;
    status(await api(E('/status')));
    try {
      checkpoint(await api(E('/board/checkpoint'), { text: true }));
    } catch { /* none yet */ }
    $('status').textContent = '';
    render();
    checkBooth().catch((e) => { $('booth-status').textContent = describe(e); });
  } catch (e) {
    $('status').textContent = describe(e);
    return;
  }
  const events = new EventSource(E('/events'));
  events.onopen = () => { state.live = true; render(); };
  events.onerror = () => { state.live = false; render(); };
  events.addEventListener('checkpoint', (e) => { checkpoint(JSON.parse(e.data).note); render(); });
  events.addEventListener('phase', (e) => {
    const d = JSON.parse(e.data);
    state.phase = typeof d === 'string' ? d : d.phase;
    if (typeof d.board_size === 'number') state.size = Math.max(state.size ?? 0, d.board_size);
    render();
  });
  events.addEventListener('counts', (e) => {
    const d = JSON.parse(e.data);
    state.counts = d.counts ?? d;
    render();
  });
}

// --- The booth's code against the manifest on the board (docs/protocol.md §11.6) ---------------

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

async function checkBooth() {
  const booth = await api(E('/booth'));
  if (!booth.posted) {
    $('booth-status').textContent = t('observer.booth.none');
    return;
  }
  const m = booth.posted.manifest;
  fill($('booth-hash'), `${t('observer.booth.hash')}: `, el('code', { class: 'break', text: m.hash }));
  $('booth-status').textContent = t('observer.booth.checking');
  const pages = new URL('./', location.href);
  const files = Object.entries(m.files);
  const bad = [];
  for (const [path, want] of files) {
    try {
      const res = await fetch(new URL(`.${path}`, pages), { cache: 'force-cache' });
      const got = res.ok ? hex(await crypto.subtle.digest('SHA-256', await res.arrayBuffer())) : `HTTP ${res.status}`;
      if (got !== want) bad.push(path);
    } catch {
      bad.push(path);
    }
  }
  if (bad.length === 0) {
    $('booth-status').textContent = t('observer.booth.ok', { n: number(files.length) });
    fill($('booth-files'));
  } else {
    fill($('booth-status'), el('span', { class: 'bad', text: t('observer.booth.bad', { bad: number(bad.length), n: number(files.length) }) }));
    fill($('booth-files'), bad.map((p) => el('li', {}, el('code', { text: p }))));
  }
}

// --- Keys the observer pins (kept in this browser) --------------------------------------------
// Only keys the user typed are pinned: the board key in /api/v1/election comes from the very
// server being checked, so passing it as "pinned" would vouch for the server with its own word.

// A key counts only as the type it says (docs/protocol.md §10.6): witness keys must be
// cosignature/v1 (type 0x04), the board key an Ed25519 note key (0x01). A key of the wrong type is
// refused here and never stored: a board key among the witnesses would make the board's own
// signature count as a cosignature.

/** The signature type byte of a verifier key `name+id+base64(type ‖ key)`, or null. */
function keyType(k) {
  const parts = k.split('+');
  if (parts.length < 3) return null;
  try { return atob(parts.slice(2).join('+')).charCodeAt(0); } catch { return null; }
}

/** Pins the input's keys under `item` if every one is of `type`; else pins none and says which. */
function pinKeys(input, item, keys, type, message, report) {
  const bad = keys.find((k) => keyType(k) !== type);
  input.setCustomValidity(bad === undefined ? '' : t(message, { key: bad }));
  if (bad === undefined) {
    localStorage.setItem(item, input.value.trim());
  } else {
    localStorage.removeItem(item);
    if (report) input.reportValidity();
  }
}

$('witnesses').value = localStorage.getItem('psephos.witnesses') || '';
$('witnesses').addEventListener('change', () => {
  const keys = $('witnesses').value.split('\n').map((s) => s.trim()).filter(Boolean);
  pinKeys($('witnesses'), 'psephos.witnesses', keys, 0x04, 'observer.witnesses.wrongType', true);
});
$('board-key').value = localStorage.getItem('psephos.boardKey') || '';
const pinBoardKey = (report) => {
  const k = $('board-key').value.trim();
  pinKeys($('board-key'), 'psephos.boardKey', k === '' ? [] : [k], 0x01, 'observer.boardKey.wrongType', report);
};
$('board-key').addEventListener('input', () => pinBoardKey(false));
$('board-key').addEventListener('change', () => pinBoardKey(true));

/** The board key the user pinned, or null. */
function pinnedBoardKey() {
  const k = (localStorage.getItem('psephos.boardKey') || '').trim();
  return k === '' ? null : k;
}

/** Where the board key, the witness keys and the quorum came from, as list items. */
function trustItems(trust) {
  if (!trust) return [];
  const source = (s) => t(`observer.verify.source.${s === 'record_header' ? 'record_header' : 'pinned'}`);
  return [
    el('li', { text: t('observer.verify.trust.board', { source: source(trust.board_key) }) }),
    el('li', { text: t('observer.verify.trust.witnesses', { n: number(trust.witness_count), source: source(trust.witnesses) }) }),
    el('li', { text: t('observer.verify.trust.quorum', { quorum: number(trust.quorum), source: t(`observer.verify.quorum.${trust.quorum_source}`) }) }),
  ];
}

// --- Whole-election verification ------------------------------------------------------------

$('verify').addEventListener('click', () => {
  const button = $('verify');
  const bar = $('verify-progress');
  const st = $('verify-status');
  button.disabled = true;
  bar.hidden = false;
  bar.removeAttribute('value');
  st.className = 'status';
  st.textContent = t('observer.verify.downloading');
  fill($('verify-checks'));
  fill($('verify-trust'));
  const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { type: 'module' });
  worker.postMessage({ boardKey: pinnedBoardKey(), witnesses: JSON.parse(witnessKeys()) });
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.progress) {
      const p = m.progress;
      if (p.total > 0) {
        bar.max = p.total;
        bar.value = p.done;
        st.textContent = t('observer.verify.running', { step: `${p.step} ${number(p.done)} / ${number(p.total)}` });
      }
      return;
    }
    worker.terminate();
    button.disabled = false;
    bar.hidden = true;
    if (m.unavailable) {
      st.className = 'status bad';
      st.textContent = t('observer.verify.unavailable');
      return;
    }
    if (m.error) {
      st.className = 'status bad';
      st.textContent = m.error;
      return;
    }
    const checks = m.report.checks;
    const failed = checks.filter((c) => c.status === 'fail');
    st.className = `status ${m.report.passed ? 'ok' : 'bad'}`;
    st.textContent = m.report.passed ? t('observer.verify.ok', { n: checks.length })
      : t('observer.verify.failed', { failed: failed.length, n: checks.length });
    st.dataset.verifyMs = String(Math.round(m.verifyMs));
    fill($('verify-trust'), trustItems(m.report.trust));
    fill($('verify-checks'), checks.map((c) => el('li', { class: c.status === 'fail' ? 'bad' : '' },
      `${c.title}: `, el('strong', { text: c.status === 'fail' ? t('observer.verify.fail') : c.status === 'pass' ? t('observer.verify.pass') : c.status === 'not_applicable' ? t('observer.verify.not_applicable') : c.status }),
      c.details.length ? el('ul', {}, c.details.map((d) => el('li', { text: d }))) : null)));
  };
});

if (window.location.hash === '#verify') $('verify').focus();
start();
