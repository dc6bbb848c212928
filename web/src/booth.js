// The voting booth: credential → ballot → review → encryption (in a Web Worker) → cast or
// challenge → receipt checked in the browser. Revoting is the same path again.

import {
  $, api, ApiError, describe, dl, el, fill, frame, loadWasm, receiptView, sealedReceipt, show, t,
  wasmError, witnessKeys, number, E,
} from './common.js';
import { choicesInWords, renderContest } from './ballot.js';

frame('booth.title', 'index.html');

let wasm;
let electionJson;
let election;
let contests = [];
let style;
let current = null; // {tracking_code, ballot_hash, ballot, ms}

// The worker and a promise-based call into it.
const worker = new Worker(new URL('./booth-worker.js', import.meta.url), { type: 'module' });
let nextId = 1;
const pending = new Map();
worker.onmessage = (e) => {
  const { id, ok, result, error } = e.data;
  if (id === undefined) return;
  const p = pending.get(id);
  pending.delete(id);
  if (ok) p.resolve(result); else p.reject(new Error(error));
};
const call = (op, ...args) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  worker.postMessage({ id, op, args });
});

const status = (text) => { $('status').textContent = text; };

async function start() {
  status(t('loading'));
  try {
    let booth;
    [wasm, electionJson, booth] = await Promise.all([loadWasm(), api(E(''), { text: true }), api(E('/booth'))]);
    election = JSON.parse(electionJson);
    const summary = JSON.parse(wasm.checkElection(electionJson));
    const boothHash = booth.posted ? booth.posted.manifest.hash : null;
    $('election-name').textContent = election.manifest.name;
    document.title = `${election.manifest.name} · ${t('booth.title')}`;
    fill($('election-info'), dl([
      [t('observer.phase'), t(`election.phase.${election.phase}`)],
      [t('election.hash'), el('code', { class: 'break', text: summary.election_hash ?? summary.manifest_hash })],
      [t('election.booth'), boothHash ? el('code', { id: 'booth-manifest', class: 'break', text: boothHash }) : t('election.booth.none')],
    ]), el('p', { class: 'hint', text: t('election.hash.help') }), el('p', { class: 'hint', text: t('election.booth.help') }));
    if (election.phase !== 'open') {
      status(t('election.notOpen', { phase: t(`election.phase.${election.phase}`) }));
      return;
    }
    await call('start', electionJson);
    status('');
    show($('s-credential'));
  } catch (e) {
    status(describe(e));
  }
}

// --- Credential ------------------------------------------------------------------------------

$('credential').addEventListener('input', () => {
  if (!wasm) return;
  const c = JSON.parse(wasm.checkCredential($('credential').value));
  const msg = {
    incomplete: () => t('booth.credential.incomplete', c),
    too_long: () => t('booth.credential.tooLong', c),
    bad_character: () => t('booth.credential.badCharacter', c),
    checksum: () => t('booth.credential.checksum'),
    valid: () => t('booth.credential.valid'),
  }[c.status]();
  const feedback = $('credential-feedback');
  feedback.textContent = msg;
  feedback.className = `feedback ${c.status === 'valid' ? 'ok' : (c.status === 'incomplete' ? '' : 'bad')}`;
  $('credential-error').textContent = '';
});

$('credential-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const input = $('credential');
  const errorBox = $('credential-error');
  errorBox.textContent = '';
  const c = JSON.parse(wasm.checkCredential(input.value));
  if (c.status !== 'valid') {
    errorBox.textContent = c.status === 'checksum' ? t('booth.credential.checksum')
      : $('credential-feedback').textContent || t('booth.credential.incomplete', { symbols: 0, expected: 24 });
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.removeAttribute('aria-invalid');
  try {
    const pub = wasm.publicCredential(input.value, election.manifest.id);
    const listed = await api(E(`/credentials/${pub}`));
    style = election.manifest.ballot_styles.find((s) => s.id === listed.style);
    $('weight').textContent = listed.weight > 1 ? t('booth.credential.weight', { weight: listed.weight }) : '';
    buildBallot();
    show($('s-ballot'));
  } catch (err) {
    errorBox.textContent = err instanceof ApiError && err.status === 404
      ? t('booth.credential.unknown') : describe(err);
    input.setAttribute('aria-invalid', 'true');
    input.focus();
  }
});

// --- Ballot ----------------------------------------------------------------------------------

function buildBallot() {
  contests = style.contests.map((ci, i) => renderContest(election.manifest.contests[ci], i, wasm));
  fill($('contests'), contests.map((c) => c.fieldset));
  fill($('ballot-errors'));
}

$('ballot-back').addEventListener('click', () => show($('s-credential')));

$('ballot-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const errors = contests.map((c) => [c, c.check()]).filter(([, m]) => m);
  if (errors.length) {
    fill($('ballot-errors'), el('p', { text: t('booth.ballot.errors') }),
      el('ul', {}, errors.map(([, m]) => el('li', { text: m }))));
    for (const c of contests) c.fieldset.classList.toggle('invalid', errors.some(([x]) => x === c));
    errors[0][0].focus();
    return;
  }
  fill($('ballot-errors'));
  for (const c of contests) c.fieldset.classList.remove('invalid');
  fill($('review'), contests.map((c) => {
    const vs = c.values();
    return choicesInWords(c.contest, vs, c.writeIns ? c.writeIns(vs) : undefined);
  }));
  show($('s-review'));
});

$('review-change').addEventListener('click', () => show($('s-ballot')));

// --- Encrypt ---------------------------------------------------------------------------------

function choices() {
  return JSON.stringify({
    style: style.id,
    contests: contests.map((c) => ({ contest: c.contest.id, values: c.values() })),
  });
}

$('review-encrypt').addEventListener('click', async () => {
  $('encrypt-error').textContent = '';
  show($('s-encrypting'));
  try {
    current = await call('encrypt', $('credential').value, choices());
    $('tracking-code').textContent = current.tracking_code;
    $('encrypt-time').textContent = t('booth.decide.time', { ms: Math.round(current.ms) });
    $('decide-error').textContent = '';
    $('decide-status').textContent = '';
    setDecisionBusy(false);
    show($('s-decide'));
  } catch (e) {
    show($('s-review'));
    $('encrypt-error').textContent = describe(e);
  }
});

function setDecisionBusy(busy) {
  $('decide-cast').disabled = busy;
  $('decide-challenge').disabled = busy;
}

// --- Cast ------------------------------------------------------------------------------------

$('decide-cast').addEventListener('click', async () => {
  setDecisionBusy(true);
  $('decide-status').textContent = t('booth.casting');
  $('decide-error').textContent = '';
  let cast;
  const ballotJson = JSON.stringify(current.ballot);
  try {
    const body = await call('castBody');
    cast = await api(E('/ballots'), { method: 'POST', body });
  } catch (e) {
    setDecisionBusy(false);
    $('decide-status').textContent = '';
    $('decide-error').textContent = e instanceof ApiError && e.status === 403
      ? t('booth.credential.unknown') : describe(e);
    return;
  }
  await call('forget');
  $('credential').value = '';
  const code = current.tracking_code;
  $('superseded').textContent = cast.superseded !== null && cast.superseded !== undefined
    ? t('booth.cast.superseded', { index: number(cast.superseded) }) : '';
  $('receipt-check').href = `check.html#code=${encodeURIComponent(code)}`;
  fill($('receipt'), dl([[t('receipt.tracking'), el('code', { class: 'code', text: code })],
    [t('receipt.index'), number(cast.index)]]));
  $('receipt-download').hidden = true;
  const rs = $('receipt-status');
  rs.className = 'status';
  rs.textContent = t('booth.cast.waiting');
  show($('s-cast'));
  try {
    const receipt = await sealedReceipt(cast.index);
    const view = JSON.parse(wasm.verifyReceipt(electionJson, ballotJson, JSON.stringify(receipt), witnessKeys()));
    fill($('receipt'), receiptView(code, view));
    rs.textContent = t('booth.cast.verified');
    rs.className = 'status ok';
    const saved = new Blob([JSON.stringify({
      tracking_code: code, election_hash: current.ballot.election, ballot_hash: current.ballot_hash, receipt,
    }, null, 2)], { type: 'application/json' });
    const link = $('receipt-download');
    link.href = URL.createObjectURL(saved);
    link.hidden = false;
  } catch (e) {
    rs.className = 'status bad';
    rs.textContent = `${t('booth.cast.failed')} ${t('error.detail', { detail: wasmError(e).detail })}`;
  }
});

$('cast-again').addEventListener('click', () => {
  current = null;
  show($('s-credential'));
});

// --- Challenge -------------------------------------------------------------------------------

$('decide-challenge').addEventListener('click', async () => {
  setDecisionBusy(true);
  $('decide-status').textContent = t('booth.challenging');
  $('decide-error').textContent = '';
  try {
    const body = await call('challenge');
    const bodyJson = JSON.stringify(body);
    const posted = await api(E('/challenges'), { method: 'POST', body: bodyJson });
    // Check the opening here too, with the same code as the second device.
    const opened = JSON.parse(wasm.checkChallenge(electionJson, bodyJson));
    const byId = new Map(election.manifest.contests.map((c) => [c.id, c]));
    fill($('challenge-choices'), opened.choices.contests.map((pc, i) => choicesInWords(byId.get(pc.contest), pc.values,
      opened.contests[i].write_ins)));
    $('challenge-never').textContent = t('booth.challenge.never', { code: opened.tracking_code });
    const link = new URL(`check.html#challenge=${posted.index}`, window.location.href).href;
    const a = $('challenge-link');
    a.href = link;
    a.textContent = link;
    const qr = JSON.parse(wasm.qrCode(link));
    fill($('challenge-qr'), el('svg', {
      viewBox: `0 0 ${qr.size} ${qr.size}`, role: 'img', 'aria-label': t('booth.challenge.qr'),
      width: 200, height: 200, class: 'qr',
    }, el('path', { d: qr.path })));
    show($('s-challenge'));
  } catch (e) {
    setDecisionBusy(false);
    $('decide-status').textContent = '';
    $('decide-error').textContent = describe(e);
  }
});

$('challenge-again').addEventListener('click', () => {
  current = null;
  show($('s-ballot'));
});

start();
