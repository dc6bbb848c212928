// "Check my ballot": finds a ballot by tracking code on the board and checks its receipt in the
// browser; `#challenge=N` checks the challenged ballot at board entry N (the booth's link for
// a second device); `#code=…` fills in a tracking code.

import {
  $, api, ApiError, describe, el, fill, frame, loadWasm, receiptView, sealedReceipt, t,
  wasmError, witnessKeys, E,
} from './common.js';
import { choicesInWords } from './ballot.js';

frame('check.title', 'check.html');

let wasm;
let electionJson;
let election;

const status = (text, cls = '') => {
  $('status').textContent = text;
  $('status').className = `status ${cls}`;
};

async function ready() {
  if (!wasm) {
    [wasm, electionJson] = await Promise.all([loadWasm(), api(E(''), { text: true })]);
    election = JSON.parse(electionJson);
    wasm.checkElection(electionJson);
  }
}

async function checkChallenge(index) {
  status(t('loading'));
  fill($('result'));
  try {
    await ready();
    const entry = await api(E(`/board/entries/${index}`), { text: true });
    let opened;
    try {
      opened = JSON.parse(wasm.checkChallengeEntry(electionJson, entry));
    } catch (e) {
      status(`${t('check.challenge.failed')} ${t('error.detail', { detail: wasmError(e).detail })}`, 'bad');
      return;
    }
    const byId = new Map(election.manifest.contests.map((c) => [c.id, c]));
    status(t('check.challenge.intro', { index: opened.index }), 'ok');
    fill($('result'),
      el('h2', { text: t('check.challenge.heading') }),
      el('p', {}, `${t('receipt.tracking')}: `, el('code', { class: 'code', text: opened.tracking_code })),
      el('p', { text: t('check.challenge.compare') }),
      opened.choices.contests.map((pc, i) => choicesInWords(byId.get(pc.contest), pc.values, opened.contests[i].write_ins)));
  } catch (e) {
    status(describe(e), 'bad');
  }
}

async function checkCode(code) {
  status(t('loading'));
  fill($('result'));
  try {
    await ready();
    let found;
    try {
      found = await api(E(`/ballots/${encodeURIComponent(code)}`));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        status(t('check.notFound'), 'bad');
        return;
      }
      throw e;
    }
    if (found.status === 'challenged') {
      await checkChallenge(found.index);
      $('result').prepend(el('p', { text: t('check.status.challenged') }));
      return;
    }
    const [entry, receipt] = await Promise.all([
      api(E(`/board/entries/${found.index}`), { text: true }), sealedReceipt(found.index)]);
    let view;
    try {
      view = JSON.parse(wasm.verifyEntryReceipt(electionJson, entry, JSON.stringify(receipt), witnessKeys()));
    } catch (e) {
      status(`${t('booth.cast.failed')} ${t('error.detail', { detail: wasmError(e).detail })}`, 'bad');
      return;
    }
    status(t('booth.cast.verified'), 'ok');
    fill($('result'), el('p', { text: t(`check.status.${found.status}`) }),
      receiptView(view.tracking_code, view.receipt));
  } catch (e) {
    status(describe(e), 'bad');
  }
}

$('check-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const code = $('tracking').value.trim().toUpperCase();
  if (code) {
    history.replaceState(null, '', `#code=${encodeURIComponent(code)}`);
    checkCode(code);
  }
});

function fromHash() {
  const params = new URLSearchParams(window.location.hash.slice(1));
  if (params.has('challenge')) checkChallenge(Number(params.get('challenge')));
  else if (params.has('code')) {
    $('tracking').value = params.get('code');
    checkCode(params.get('code'));
  }
}
window.addEventListener('hashchange', fromHash);
fromHash();
