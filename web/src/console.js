// The officials' console (`/admin/`): the operator creates an election and hands its officials
// their token; the officials sign in with it and run their election through the same API and
// rules as `psephos election …`: define it (a form or a manifest TOML, checked in the browser by
// the core's own validator, previewed with the booth's own ballot rendering), follow the key
// ceremony, publish the public credential list, open and close voting, start the tally, see the
// result, download the election record and verify it with the in-browser verifier.
//
// The token is kept in sessionStorage (this tab only) and sent as a bearer header: no cookie, so
// no cross-site request can act with it. The console never sees a credential code: the
// credential authority's public list holds only public credentials.

import { $, ApiError, dl, el, fill, frame, loadWasm, number, t } from './common.js';
import { renderContest } from './ballot.js';

frame('console.title', null);

const SESSION = 'psephos.console';
const KINDS = ['referendum', 'plurality', 'approval', 'score', 'cumulative', 'budget', 'ranked'];
/** The parameters each contest kind takes (docs/protocol.md §6), in form order; `count` is the
 * checkbox "counted by the mixnet" (§13.7), offered where the protocol allows it; `write_ins`
 * (0 or empty: none) and `write_in_max_bytes` are a plurality or approval contest's write-in
 * slots (§6.2), whose rules (mixed, blank allowed, width) the core's validator applies. */
const PARAMS = {
  referendum: ['blank_allowed', 'count'],
  plurality: ['blank_allowed', 'write_ins', 'write_in_max_bytes', 'count'],
  approval: ['min_selections', 'max_selections', 'write_ins', 'write_in_max_bytes', 'count'],
  score: ['max_score'],
  cumulative: ['max_per_option', 'max_total'],
  budget: ['budget'],
  ranked: ['method', 'seats', 'max_ranks'],
};
/** A ranked contest's counting methods (§6.2); `seats` is for STV only. */
const METHODS = ['irv', 'stv', 'condorcet'];
/** The number parameters shown with a hint (`console.param.<name>.hint`). */
const HINTED = new Set(['seats', 'max_ranks', 'write_ins', 'write_in_max_bytes']);

let session = null;
try { session = JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch { session = null; }
let wasm;
let election = null; // GET E once defined
let phase = null;
let poll = null;
let events = null;

const E = (path) => `/api/v1/elections/${encodeURIComponent(session.election)}${path}`;

/** Calls the API with the bearer token: JSON (or text) in and out; throws ApiError. */
async function call(path, { method = 'GET', body, token = session && session.token, text = false } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, { method, headers, body, cache: 'no-store', credentials: 'omit' });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  if (!res.ok) {
    let code = '';
    let detail = '';
    try {
      const j = await res.json();
      code = j.error ?? '';
      detail = j.detail ?? '';
    } catch { /* not JSON */ }
    throw new ApiError(res.status, code, detail || res.statusText);
  }
  return text ? res.text() : res.json();
}

/** The message for a refused action: the rules' (or the server's) own reason. */
function refused(e) {
  if (e instanceof ApiError) {
    if (e.status === 0) return t('error.network');
    if (e.status === 401) return t('console.unauthorized');
    return t('console.refused', { detail: e.detail || e.code });
  }
  return String(e && e.message ? e.message : e);
}

/** Runs `action` for `button`, showing a refusal in `errorNode`; the button is busy meanwhile. */
async function act(button, errorNode, action) {
  errorNode.textContent = '';
  button.disabled = true;
  try {
    await action();
  } catch (e) {
    errorNode.textContent = refused(e);
  } finally {
    button.disabled = false;
  }
}

/** A modal question naming the election: resolves true if the official confirms. */
function confirmAction(text) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  return new Promise((ok) => {
    const done = (answer) => () => {
      $('confirm-yes').onclick = null;
      $('confirm-no').onclick = null;
      dialog.onclose = null;
      dialog.close();
      ok(answer);
    };
    $('confirm-yes').onclick = done(true);
    $('confirm-no').onclick = done(false);
    dialog.onclose = () => ok(false);
    dialog.showModal();
    $('confirm-no').focus();
  });
}

// --- Signing in ------------------------------------------------------------------------------

$('signin-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const id = $('signin-election').value.trim();
  const token = $('signin-token').value.trim();
  $('signin-error').textContent = '';
  if (!id || !token) {
    $('signin-error').textContent = t('console.signin.missing');
    return;
  }
  try {
    await call(`/api/v1/elections/${encodeURIComponent(id)}/officials`, { token });
  } catch (err) {
    $('signin-error').textContent = err instanceof ApiError && err.status === 404
      ? t('console.signin.noElection', { id }) : refused(err);
    $('signin-token').focus();
    return;
  }
  session = { election: id, token };
  sessionStorage.setItem(SESSION, JSON.stringify(session));
  $('signin-token').value = '';
  signedIn();
});

$('create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const token = $('op-token').value.trim();
  await act($('create'), $('create-error'), async () => {
    const answer = await call('/api/v1/elections', {
      method: 'POST',
      token,
      body: JSON.stringify({ id: $('new-id').value.trim(), visibility: $('new-visibility').value }),
    });
    $('created').hidden = false;
    $('created-text').textContent = t('console.operator.created', { id: answer.id });
    $('created-token').textContent = answer.officials_token;
    $('created-signin').onclick = () => {
      $('signin-election').value = answer.id;
      $('signin-token').value = answer.officials_token;
      $('signin-token').focus();
    };
  });
});

$('signout').addEventListener('click', () => {
  sessionStorage.removeItem(SESSION);
  session = null;
  election = null;
  phase = null;
  stopLive();
  signedOut();
});

function signedOut() {
  $('signed-in').hidden = true;
  $('signed-out').hidden = false;
  $('title').textContent = t('console.heading');
  $('signin-election').focus();
}

async function signedIn() {
  $('signed-out').hidden = true;
  $('signed-in').hidden = false;
  $('whoami').textContent = t('console.whoami', { id: session.election });
  $('record-download').href = E('/record');
  try {
    await call(E('/officials'));
  } catch (e) {
    $('status').textContent = refused(e);
    sessionStorage.removeItem(SESSION);
    signedOut();
    return;
  }
  $('status').textContent = '';
  await refresh();
  startLive();
  const heading = $('title');
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

// --- The election's state, live --------------------------------------------------------------

const PANELS = {
  empty: ['p-define'],
  ceremony: ['p-ceremony', 'p-credentials', 'p-record'],
  key_ready: ['p-ceremony', 'p-credentials', 'p-voting', 'p-record'],
  open: ['p-voting', 'p-ceremony', 'p-credentials', 'p-record'],
  closed: ['p-voting', 'p-tally', 'p-record'],
  tallying: ['p-tally', 'p-voting', 'p-record'],
  decrypted: ['p-tally', 'p-voting', 'p-record'],
};

/** Reads the election's state and shows the panels of its phase. */
async function refresh() {
  const status = await call(E('/status'));
  const changed = status.phase !== phase;
  phase = status.phase;
  if (phase !== 'empty' && (!election || changed)) {
    election = await call(E(''));
  }
  const name = election ? election.manifest.name : session.election;
  $('title').textContent = t('console.title.election', { name });
  document.title = `${name} · ${t('console.title')}`;
  fill($('summary'), dl([
    [t('console.election'), el('code', { text: session.election })],
    [t('observer.phase'), el('span', { id: 'phase', 'data-phase': phase, text: t(`election.phase.${phase}`) })],
    election && [t('election.hash'), el('code', { class: 'code break', text: election.key ? election.key.election_hash : election.manifest_hash })],
    [t('observer.size'), number(status.board_size)],
  ]));
  const shown = PANELS[phase] || [];
  for (const id of ['p-define', 'p-ceremony', 'p-credentials', 'p-voting', 'p-tally', 'p-record']) {
    $(id).hidden = !shown.includes(id);
  }
  if (phase === 'empty' && changed) await startDefine();
  if (phase !== 'empty') {
    if (shown.includes('p-ceremony')) await showCeremony();
    showCredentials(status.counts);
    showVoting(status.counts);
    if (shown.includes('p-tally')) await showTally();
  }
}

function startLive() {
  stopLive();
  poll = setInterval(() => { refresh().catch(() => {}); }, 1500);
  events = new EventSource(E('/events'));
  const kick = () => { refresh().catch(() => {}); };
  events.addEventListener('phase', kick);
  events.addEventListener('counts', kick);
}

function stopLive() {
  if (poll) clearInterval(poll);
  if (events) events.close();
  poll = null;
  events = null;
}

// --- Defining the election: the form, its TOML, the core's validation, the preview ----------

/** The form's model: what the TOML is made of. */
const form = { trustees: [], contests: [], styles: [] };
let nextKey = 0;

function newContest(kind = 'plurality') {
  nextKey += 1;
  const option = () => { nextKey += 1; return { key: nextKey, id: '', label: '', cost: '' }; };
  return { key: nextKey, id: '', title: '', description: '', kind, params: {}, options: kind === 'referendum' ? [] : [option(), option()] };
}

function newStyle() {
  nextKey += 1;
  return { key: nextKey, id: '', contests: new Set() };
}

async function startDefine() {
  wasm = wasm || await loadWasm();
  if (form.contests.length === 0 && form.styles.length === 0) {
    const c = newContest();
    const style = newStyle();
    style.contests.add(c);
    form.contests.push(c);
    form.styles.push(style);
  }
  renderTrustees();
  renderContests();
  renderStyles();
}

/** An input bound to `obj[key]`, with its label, carrying the manifest `field` it fills. */
function field(id, labelKey, obj, key, { type = 'text', fieldPath, hint, params = {} } = {}) {
  const attrs = { id, type, 'data-field': fieldPath, autocomplete: 'off' };
  if (type === 'number') Object.assign(attrs, { min: 0, step: 1, inputmode: 'numeric' });
  if (hint) attrs['aria-describedby'] = `${id}-hint`;
  const input = type === 'textarea'
    ? el('textarea', { id, rows: 2, 'data-field': fieldPath })
    : el('input', attrs);
  if (type === 'checkbox') input.checked = Boolean(obj[key]);
  else input.value = obj[key] ?? '';
  input.addEventListener(type === 'checkbox' ? 'change' : 'input', () => {
    obj[key] = type === 'checkbox' ? input.checked : input.value;
  });
  const label = el('label', { for: id, text: t(labelKey, params) });
  if (type === 'checkbox') return el('div', { class: 'option' }, input, label);
  return el('div', { class: 'field' }, label, hint ? el('p', { class: 'hint', id: `${id}-hint`, text: hint }) : null, input);
}

function renderTrustees() {
  const n = form.trustees.length;
  fill($('trustee-list'), form.trustees.map((tr, i) => el('li', {},
    el('span', { text: t('console.define.trustee', { index: i + 1, name: tr.name }) }), ' ',
    el('button', {
      type: 'button', class: 'secondary small', 'aria-label': t('console.define.trustee.remove', { name: tr.name }),
      text: t('console.remove'), onclick: () => { form.trustees.splice(i, 1); renderTrustees(); $('f-trustee-file').focus(); },
    }))));
  $('f-threshold').max = Math.max(n, 1);
  $('f-threshold-hint').textContent = t('console.define.threshold.hint', { n });
}

$('f-trustee-file').addEventListener('change', async () => {
  $('trustee-error').textContent = '';
  for (const file of $('f-trustee-file').files) {
    try {
      const k = JSON.parse(await file.text());
      const hex64 = (s) => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
      if (typeof k.name !== 'string' || !hex64(k.signing_key) || !hex64(k.ceremony_key)) {
        throw new Error(t('console.define.trustee.bad'));
      }
      if (form.trustees.some((x) => x.signing_key === k.signing_key)) {
        throw new Error(t('console.define.trustee.twice', { name: k.name }));
      }
      form.trustees.push({ name: k.name, signing_key: k.signing_key, ceremony_key: k.ceremony_key });
    } catch (e) {
      $('trustee-error').textContent = t('console.define.trustee.file.error', { file: file.name, detail: e.message });
    }
  }
  $('f-trustee-file').value = '';
  renderTrustees();
});

/** A ranked contest's method: a select bound to `c.params.method` (IRV unless chosen). */
function methodField(id, c, fieldPath) {
  c.params.method = c.params.method || 'irv';
  const select = el('select', { id, 'data-field': fieldPath },
    METHODS.map((m) => el('option', { value: m, text: t(`console.method.${m}`), selected: m === c.params.method })));
  select.addEventListener('change', () => { c.params.method = select.value; });
  return el('div', { class: 'field' }, el('label', { for: id, text: t('console.param.method') }), select);
}

function renderContests() {
  fill($('contest-list'), form.contests.map((c, ci) => {
    const p = `f-c${c.key}`;
    const at = (f) => `contests[${ci}].${f}`;
    const kind = el('select', { id: `${p}-kind`, 'data-field': at('kind') },
      KINDS.map((k) => el('option', { value: k, text: t(`console.kind.${k}`), selected: k === c.kind })));
    kind.addEventListener('change', () => {
      c.kind = kind.value;
      c.params = {};
      renderContests();
      $(`${p}-kind`).focus();
    });
    const params = PARAMS[c.kind].map((name) => (name === 'method'
      ? methodField(`${p}-${name}`, c, at(name))
      : field(`${p}-${name}`, `console.param.${name}`, c.params, name, {
        type: name === 'blank_allowed' || name === 'count' ? 'checkbox' : 'number',
        fieldPath: at(name),
        hint: HINTED.has(name) ? t(`console.param.${name}.hint`) : undefined,
      })));
    const options = c.options.map((o, oi) => {
      const q = `${p}-o${o.key}`;
      const of = (f) => at(`options[${oi}].${f}`);
      return el('li', { class: 'option-row', 'data-field': at(`options[${oi}]`) },
        field(`${q}-id`, 'console.option.id', o, 'id', { fieldPath: of('id'), params: { n: oi + 1 } }),
        field(`${q}-label`, 'console.option.label', o, 'label', { fieldPath: of('label'), params: { n: oi + 1 } }),
        c.kind === 'budget' ? field(`${q}-cost`, 'console.option.cost', o, 'cost', { type: 'number', fieldPath: of('cost'), params: { n: oi + 1 } }) : null,
        el('button', {
          type: 'button', class: 'secondary small', text: t('console.remove'),
          'aria-label': t('console.option.remove', { n: oi + 1, contest: c.title || ci + 1 }),
          onclick: () => { c.options.splice(oi, 1); renderContests(); $(`${p}-add-option`).focus(); },
        }));
    });
    return el('fieldset', { class: 'contest', 'data-field': `contests[${ci}]` },
      el('legend', { text: t('console.contest', { n: ci + 1 }) }),
      field(`${p}-id`, 'console.contest.id', c, 'id', { fieldPath: at('id') }),
      field(`${p}-title`, 'console.contest.title', c, 'title', { fieldPath: at('title') }),
      field(`${p}-description`, 'console.contest.description', c, 'description', { type: 'textarea', fieldPath: at('description') }),
      el('div', { class: 'field' }, el('label', { for: `${p}-kind`, text: t('console.contest.kind') }), kind),
      params,
      el('fieldset', { class: 'options', 'data-field': at('options') },
        el('legend', { text: t('console.contest.options') }),
        c.kind === 'referendum' ? el('p', { class: 'hint', text: t('console.contest.referendumOptions') }) : null,
        el('ol', {}, options),
        el('button', {
          id: `${p}-add-option`, type: 'button', class: 'secondary small', text: t('console.option.add'),
          onclick: () => {
            nextKey += 1;
            c.options.push({ key: nextKey, id: '', label: '', cost: '' });
            renderContests();
            $(`${p}-o${nextKey}-id`).focus();
          },
        })),
      el('button', {
        type: 'button', class: 'secondary small', text: t('console.contest.remove', { n: ci + 1 }),
        onclick: () => {
          form.contests.splice(ci, 1);
          for (const s of form.styles) s.contests.delete(c);
          renderContests();
          renderStyles();
          $('add-contest').focus();
        },
      }));
  }));
}

function renderStyles() {
  fill($('style-list'), form.styles.map((s, si) => {
    const p = `f-s${s.key}`;
    const at = (f) => `ballot_styles[${si}].${f}`;
    return el('fieldset', { class: 'contest', 'data-field': `ballot_styles[${si}]` },
      el('legend', { text: t('console.style', { n: si + 1 }) }),
      field(`${p}-id`, 'console.style.id', s, 'id', { fieldPath: at('id') }),
      el('fieldset', { class: 'options', 'data-field': at('contests') },
        el('legend', { text: t('console.style.contests') }),
        form.contests.map((c, ci) => {
          const id = `${p}-c${c.key}`;
          const box = el('input', { id, type: 'checkbox', checked: s.contests.has(c) });
          box.addEventListener('change', () => { if (box.checked) s.contests.add(c); else s.contests.delete(c); });
          return el('div', { class: 'option' }, box,
            el('label', { for: id, 'data-contest-label': c.key, text: contestLabel(c, ci) }));
        })),
      el('button', {
        type: 'button', class: 'secondary small', text: t('console.style.remove', { n: si + 1 }),
        onclick: () => { form.styles.splice(si, 1); renderStyles(); $('add-style').focus(); },
      }));
  }));
}

$('add-contest').addEventListener('click', () => {
  const c = newContest();
  form.contests.push(c);
  // A new contest goes on the only ballot style, if there is one: the common case.
  if (form.styles.length === 1) form.styles[0].contests.add(c);
  renderContests();
  renderStyles();
  $(`f-c${c.key}-id`).focus();
});

$('add-style').addEventListener('click', () => {
  const s = newStyle();
  form.styles.push(s);
  renderStyles();
  $(`f-s${s.key}-id`).focus();
});

// Re-label the style checkboxes as contests' titles change (in place: re-rendering the styles
// would take the focus from whoever is typing there).
const contestLabel = (c, ci) => c.title || c.id || t('console.contest', { n: ci + 1 });
$('contest-list').addEventListener('input', () => {
  form.contests.forEach((c, ci) => {
    for (const label of document.querySelectorAll(`[data-contest-label="${c.key}"]`)) label.textContent = contestLabel(c, ci);
  });
});

/** A TOML basic string: JSON's escapes are TOML's. */
const str = (s) => JSON.stringify(String(s));

/** The form as a manifest TOML; a number field that is not a whole number is a form error. */
function toToml() {
  const bad = [];
  const num = (v, fieldPath) => {
    const s = String(v ?? '').trim();
    if (s === '') return null;
    if (!/^\d{1,16}$/.test(s)) { bad.push(fieldPath); return null; }
    return s;
  };
  const lines = ['[election]',
    `id = ${str($('f-id').value.trim())}`,
    `name = ${str($('f-name').value)}`,
    `description = ${str($('f-description').value)}`,
    `weighted = ${$('f-weighted').checked}`,
    '', '[trustees]',
    `count = ${form.trustees.length}`,
    `threshold = ${num($('f-threshold').value, 'trustees.threshold') ?? 0}`];
  form.contests.forEach((c, ci) => {
    lines.push('', '[[contests]]', `id = ${str(c.id.trim())}`, `title = ${str(c.title)}`,
      `description = ${str(c.description)}`, `kind = ${str(c.kind)}`);
    for (const name of PARAMS[c.kind]) {
      if (name === 'blank_allowed') {
        lines.push(`blank_allowed = ${Boolean(c.params.blank_allowed)}`);
      } else if (name === 'count') {
        if (c.params.count) lines.push('count = "mix"');
      } else if (name === 'method') {
        lines.push(`method = ${str(c.params.method || 'irv')}`);
      } else if (name === 'write_ins') {
        // 0 write-in slots is the form's way of saying none: the key is left out.
        const v = num(c.params.write_ins, `contests[${ci}].write_ins`);
        if (v !== null && Number(v) !== 0) lines.push(`write_ins = ${v}`);
      } else {
        const v = num(c.params[name], `contests[${ci}].${name}`);
        if (v !== null) lines.push(`${name} = ${v}`);
      }
    }
    if (c.options.length) {
      lines.push('options = [');
      c.options.forEach((o, oi) => {
        const cost = c.kind === 'budget' ? num(o.cost, `contests[${ci}].options[${oi}].cost`) : null;
        lines.push(`  { id = ${str(o.id.trim())}, label = ${str(o.label)}${cost !== null ? `, cost = ${cost}` : ''} },`);
      });
      lines.push(']');
    }
  });
  for (const s of form.styles) {
    const ids = form.contests.filter((c) => s.contests.has(c)).map((c) => str(c.id.trim()));
    lines.push('', '[[ballot_styles]]', `id = ${str(s.id.trim())}`, `contests = [${ids.join(', ')}]`);
  }
  return { toml: `${lines.join('\n')}\n`, bad };
}

/** Fills the form from a validated manifest (the core's JSON form). */
function fromManifest(m) {
  $('f-id').value = m.id;
  $('f-name').value = m.name;
  $('f-description').value = m.description;
  $('f-weighted').checked = m.weighted;
  $('f-threshold').value = m.trustees.threshold;
  form.contests = m.contests.map((c) => {
    const x = newContest(c.kind);
    Object.assign(x, { id: c.id, title: c.title, description: c.description });
    nextKey += 1;
    x.options = c.options.map((o) => ({ key: (nextKey += 1), id: o.id, label: o.label, cost: o.cost ?? '' }));
    const r = c.rule;
    if (c.write_ins) {
      // A contest with write-ins has a bounded rule whose limit is the selections' maximum, and
      // always allows a blank (§6.2).
      Object.assign(x.params, { write_ins: c.write_ins.slots, write_in_max_bytes: c.write_ins.max_bytes });
      if (c.kind === 'plurality') x.params.blank_allowed = true;
      if (c.kind === 'approval') Object.assign(x.params, { min_selections: 0, max_selections: r.limit.total });
    } else if (c.kind === 'referendum' || c.kind === 'plurality') {
      x.params.blank_allowed = r.min === 0;
    } else if (c.kind === 'approval') {
      Object.assign(x.params, { min_selections: r.min, max_selections: r.max });
    }
    if (c.kind === 'score') x.params.max_score = r.maxima[0];
    if (c.kind === 'cumulative') Object.assign(x.params, { max_per_option: r.maxima[0], max_total: r.limit.total });
    if (c.kind === 'budget') x.params.budget = r.limit.total;
    if (c.kind === 'ranked' && c.ranking) {
      x.params.method = c.ranking.method;
      if (c.ranking.method === 'stv') x.params.seats = c.ranking.seats;
      x.params.max_ranks = r.maxima.length;
    }
    if (PARAMS[c.kind].includes('count')) x.params.count = c.count === 'mix';
    return x;
  });
  form.styles = m.ballot_styles.map((s) => {
    const x = newStyle();
    x.id = s.id;
    x.contests = new Set(s.contests.map((i) => form.contests[i]));
    return x;
  });
  renderTrustees();
  renderContests();
  renderStyles();
}

/** Removes every field error the last check showed. */
function clearErrors() {
  for (const node of document.querySelectorAll('.field-error')) node.remove();
  for (const node of document.querySelectorAll('[aria-invalid="true"]')) {
    node.removeAttribute('aria-invalid');
    const ids = (node.getAttribute('aria-describedby') || '').split(' ').filter((x) => x && !x.startsWith('err-'));
    if (ids.length) node.setAttribute('aria-describedby', ids.join(' '));
    else node.removeAttribute('aria-describedby');
  }
  $('define-error').textContent = '';
  $('toml-error').textContent = '';
}

/**
 * Shows `message` next to the form element of manifest field `path`, or of its nearest
 * enclosing field (`contests[0].options[1].cost` → `contests[0].options[1]` → …), and focuses it.
 */
function showFieldError(path, message) {
  let p = path;
  let target = null;
  while (p && !(target = document.querySelector(`#define-form [data-field="${CSS.escape(p)}"]`))) {
    const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
    p = cut > 0 ? p.slice(0, cut) : '';
  }
  const id = `err-${Math.random().toString(36).slice(2)}`;
  const note = el('p', { id, class: 'error field-error', text: message });
  if (!target) {
    $('define-error').textContent = message;
    return;
  }
  if (target.tagName === 'FIELDSET' || target.tagName === 'DIV' || target.tagName === 'LI') {
    const legend = target.querySelector(':scope > legend');
    if (legend) legend.after(note); else target.prepend(note);
    const first = target.querySelector('input, select, textarea, button');
    if (first) first.focus();
  } else {
    const control = target.type === 'checkbox' ? target.parentElement : target;
    control.after(note);
    target.setAttribute('aria-invalid', 'true');
    target.setAttribute('aria-describedby', [target.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
    target.focus();
  }
  $('define-error').textContent = t('console.define.invalid', { message });
}

let checked = null; // {toml, manifest} of the last valid check

/** Checks the form with the core's validator; on success shows the preview. */
function checkForm() {
  clearErrors();
  $('preview').hidden = true;
  checked = null;
  const { toml, bad } = toToml();
  $('f-toml').value = toml;
  if (bad.length) {
    for (const f of bad) showFieldError(f, t('console.define.wholeNumber'));
    return;
  }
  if (form.trustees.length === 0) {
    showFieldError('trustees.count', t('console.define.noTrustees'));
    return;
  }
  const v = JSON.parse(wasm.checkManifest(toml));
  if (v.status !== 'valid') {
    showFieldError(v.field || '', v.message);
    return;
  }
  checked = { toml, manifest: v.manifest };
  $('preview-hash').textContent = t('console.preview.hash', { hash: v.manifest_hash });
  fill($('preview-style'), v.manifest.ballot_styles.map((s, i) => el('option', { value: i, text: s.id })));
  renderPreview();
  $('preview').hidden = false;
  $('preview-heading').focus();
}

/** The ballot of the chosen style, rendered by the booth's own code. */
function renderPreview() {
  const m = checked.manifest;
  const style = m.ballot_styles[Number($('preview-style').value) || 0];
  fill($('preview-ballot'), style.contests.map((ci, i) => renderContest(m.contests[ci], i, wasm).fieldset));
}

$('preview-style').addEventListener('change', renderPreview);

$('define-form').addEventListener('submit', (e) => {
  e.preventDefault();
  checkForm();
});

// Any change to the form invalidates the preview.
$('define-form').addEventListener('input', () => { $('preview').hidden = true; checked = null; });

$('export-toml').addEventListener('click', () => {
  $('f-toml').value = toToml().toml;
  $('f-toml').focus();
});

$('import-toml').addEventListener('click', () => {
  clearErrors();
  const v = JSON.parse(wasm.checkManifest($('f-toml').value));
  if (v.status !== 'valid') {
    $('toml-error').textContent = v.field
      ? t('console.toml.invalidAt', { field: v.field, message: v.message })
      : t('console.toml.invalid', { message: v.message });
    $('f-toml').setAttribute('aria-invalid', 'true');
    $('f-toml').focus();
    return;
  }
  fromManifest(v.manifest);
  $('toml-error').textContent = '';
  $('f-id').focus();
});

$('create-definition').addEventListener('click', () => act($('create-definition'), $('create-definition-error'), async () => {
  if (!checked) return;
  await call(E('/definition'), {
    method: 'POST',
    body: JSON.stringify({ manifest_toml: checked.toml, trustees: form.trustees }),
  });
  await refresh();
  $('ceremony-heading').setAttribute('tabindex', '-1');
  $('ceremony-heading').focus();
}));

// --- The key ceremony ------------------------------------------------------------------------

const ROUNDS = { 1: 'console.round.1', 2: 'console.round.2', 3: 'console.round.3', 4: 'console.round.4' };

async function showCeremony() {
  let c;
  try {
    c = await call(E('/ceremony'));
  } catch (e) {
    fill($('ceremony'), el('p', { class: 'error', text: refused(e) }));
    return;
  }
  const name = (i) => {
    const tr = c.params.trustees.find((x) => x.index === i);
    return tr ? t('console.trusteeName', { index: i, name: tr.name }) : String(i);
  };
  const names = (list) => (list.length ? list.map(name).join(', ') : t('console.nobody'));
  const v = c.verdicts;
  fill($('ceremony'), dl([
    [t('console.ceremony.params'), t('console.ceremony.kOfN', { k: c.params.threshold, n: c.params.count })],
    [t('console.ceremony.trustees'), el('ol', {}, c.params.trustees.map((tr) => el('li', { text: tr.name })))],
    [t('console.ceremony.round'), c.complete ? el('span', { id: 'ceremony-state', 'data-complete': 'true', text: t('console.ceremony.complete') })
      : el('span', { id: 'ceremony-state', text: c.round ? t(ROUNDS[c.round]) : '…' })],
    !c.complete && [t('console.ceremony.awaiting'), el('ul', {},
      el('li', { text: t('console.ceremony.awaiting.commitments', { who: names(c.awaiting.commitments) }) }),
      el('li', { text: t('console.ceremony.awaiting.shares', { who: names(c.awaiting.shares) }) }),
      el('li', { text: t('console.ceremony.awaiting.reveals', { who: names(c.awaiting.reveals) }) }))],
    [t('console.ceremony.messages'), number(c.messages)],
    [t('console.ceremony.complaints'), c.complaints.length
      ? el('ul', {}, c.complaints.map((x) => el('li', { text: t('console.ceremony.complaint', { accuser: name(x.accuser), dealer: name(x.dealer) }) })))
      : t('console.none')],
    v && [t('console.ceremony.verdicts'), el('ul', {},
      el('li', { text: t('console.ceremony.qualified', { who: names(v.qualified) }) }),
      v.complaints.map((x) => el('li', { text: t(`console.ceremony.settled.${x.resolution}`, { accuser: name(x.accuser), dealer: name(x.dealer), reason: x.reason }) })),
      v.disqualified.map((x) => el('li', { class: 'bad', text: t('console.ceremony.disqualified', { who: name(x.trustee), reason: x.reason }) })))],
    c.failure && [t('console.ceremony.failure'), el('span', { class: 'bad', text: c.failure })],
    c.key && [t('console.ceremony.key'), el('code', { id: 'joint-key', class: 'code break', text: c.key.joint_key })],
  ]));
}

// --- The public credential list --------------------------------------------------------------

let credentialList = null; // the chosen file's text

$('f-credentials').addEventListener('change', async () => {
  $('credentials-error').textContent = '';
  fill($('credentials-summary'));
  $('upload-credentials').hidden = true;
  credentialList = null;
  const file = $('f-credentials').files[0];
  if (!file) return;
  try {
    const text = await file.text();
    const list = JSON.parse(text);
    if (!list || !Array.isArray(list.credentials)) throw new Error(t('console.credentials.notAList'));
    const perStyle = new Map();
    let weight = 0;
    for (const c of list.credentials) {
      const s = perStyle.get(c.style) || { count: 0, weight: 0 };
      s.count += 1;
      s.weight += Number(c.weight) || 0;
      perStyle.set(c.style, s);
      weight += Number(c.weight) || 0;
    }
    fill($('credentials-summary'), el('table', { id: 'credentials-table' },
      el('caption', { text: t('console.credentials.caption', { election: list.election_id }) }),
      el('thead', {}, el('tr', {},
        el('th', { scope: 'col', text: t('console.credentials.style') }),
        el('th', { scope: 'col', class: 'num', text: t('console.credentials.count') }),
        el('th', { scope: 'col', class: 'num', text: t('console.credentials.weight') }))),
      el('tbody', {}, [...perStyle].map(([style, s]) => el('tr', {},
        el('th', { scope: 'row', text: style }),
        el('td', { class: 'num', text: number(s.count) }),
        el('td', { class: 'num', text: number(s.weight) })))),
      el('tfoot', {}, el('tr', {},
        el('th', { scope: 'row', text: t('console.credentials.total') }),
        el('td', { class: 'num', text: number(list.credentials.length) }),
        el('td', { class: 'num', text: number(weight) })))));
    credentialList = text;
    $('upload-credentials').hidden = false;
  } catch (e) {
    $('credentials-error').textContent = t('console.credentials.bad', { file: file.name, detail: e.message });
  }
});

$('upload-credentials').addEventListener('click', () => act($('upload-credentials'), $('credentials-error'), async () => {
  const answer = await call(E('/credentials'), { method: 'POST', body: credentialList });
  $('credentials-published').textContent = t('console.credentials.published',
    { n: number(answer.credentials), entries: answer.entries.length });
  $('upload-credentials').hidden = true;
  await refresh();
}));

function showCredentials(counts) {
  const listed = counts && counts.credentials;
  if (listed && !$('credentials-published').textContent) {
    $('credentials-published').textContent = t('console.credentials.onBoard',
      { n: number(counts.credentials), weight: number(counts.total_weight) });
  }
  $('f-credentials').disabled = phase !== 'ceremony' && phase !== 'key_ready';
}

// --- Voting: open, turnout, close ------------------------------------------------------------

function showVoting(counts) {
  $('open').hidden = phase !== 'key_ready';
  $('close').hidden = phase !== 'open';
  const c = counts || {};
  fill($('turnout'), [
    [t('observer.credentials'), number(c.credentials ?? 0)],
    [t('console.voting.weight'), number(c.total_weight ?? 0)],
    [t('observer.ballots'), number(c.ballots_cast ?? 0)],
    [t('observer.voters'), el('span', { id: 'voters', text: number(c.voters ?? 0) })],
    [t('observer.challenges'), number(c.challenges ?? 0)],
  ].map(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

const electionName = () => (election ? `${election.manifest.name} (${session.election})` : session.election);

$('open').addEventListener('click', async () => {
  if (!await confirmAction(t('console.voting.confirmOpen', { name: electionName() }))) return;
  await act($('open'), $('voting-error'), async () => {
    await call(E('/open'), { method: 'POST' });
    await refresh();
    $('close').focus();
  });
});

$('close').addEventListener('click', async () => {
  if (!await confirmAction(t('console.voting.confirmClose', { name: electionName() }))) return;
  await act($('close'), $('voting-error'), async () => {
    await call(E('/close'), { method: 'POST' });
    await refresh();
    $('tally').focus();
  });
});

// --- Tally, shares, result -------------------------------------------------------------------

$('tally').addEventListener('click', () => act($('tally'), $('tally-error'), async () => {
  await call(E('/tally'), { method: 'POST' });
  await refresh();
}));

let shownResult = false;

async function showTally() {
  $('tally').hidden = phase !== 'closed';
  if (phase === 'closed') {
    $('tally-state').textContent = t('console.tally.ready');
    return;
  }
  const tally = await call(E('/tally'));
  const k = election ? election.ceremony.threshold : '?';
  const shares = tally.shares || [];
  $('tally-state').textContent = tally.result
    ? t('console.tally.decrypted', { n: shares.length })
    : t('console.tally.shares', { n: shares.length, k, who: shares.join(', ') || t('console.nobody') });
  if (phase === 'decrypted' && !shownResult) {
    shownResult = true;
    const result = await call(E('/result'));
    const byId = new Map(election.manifest.contests.map((x) => [x.id, x]));
    fill($('result'), el('h3', { id: 'result-heading', text: t('console.result.heading') }),
      result.contests.map((r) => {
        const contest = byId.get(r.contest);
        const points = contest.rule.rule === 'bounded' && !contest.rule.maxima.every((m) => m === 1);
        return el('table', { class: 'result' },
          el('caption', { text: contest.title }),
          el('thead', {}, el('tr', {},
            el('th', { scope: 'col', text: t('results.option') }),
            el('th', { scope: 'col', class: 'num', text: t(points ? 'results.points' : 'results.count') }))),
          el('tbody', {}, contest.options.map((o, i) => el('tr', {},
            el('th', { scope: 'row', text: o.label }),
            el('td', { class: 'num', 'data-option': `${contest.id}/${o.id}`, text: number(r.counts[i]) })))));
      }),
      el('p', {}, el('a', { href: `/e/${encodeURIComponent(session.election)}/results.html`, text: t('console.result.page') })));
  }
}

// --- The election record and its verification ------------------------------------------------

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
  const worker = new Worker(new URL('./verify-worker.js', import.meta.url), { type: 'module' });
  worker.postMessage({ election: session.election, boardKey: null, witnesses: [] });
  worker.onmessage = (e) => {
    const m = e.data;
    if (m.progress) {
      if (m.progress.total > 0) {
        bar.max = m.progress.total;
        bar.value = m.progress.done;
      }
      return;
    }
    worker.terminate();
    button.disabled = false;
    bar.hidden = true;
    if (m.error || m.unavailable) {
      st.className = 'status bad';
      st.textContent = m.error || t('observer.verify.unavailable');
      return;
    }
    const checks = m.report.checks;
    const failed = checks.filter((c) => c.status === 'fail');
    st.className = `status ${m.report.passed ? 'ok' : 'bad'}`;
    st.dataset.passed = String(m.report.passed);
    st.textContent = m.report.passed ? t('observer.verify.ok', { n: checks.length })
      : t('observer.verify.failed', { failed: failed.length, n: checks.length });
    fill($('verify-checks'), checks.map((c) => el('li', { class: c.status === 'fail' ? 'bad' : '' },
      `${c.title}: `, el('strong', { text: t(`observer.verify.${c.status}`) }),
      c.details.length ? el('ul', {}, c.details.map((d) => el('li', { text: d }))) : null)));
  };
});

// --- Start -----------------------------------------------------------------------------------

loadWasm().then((w) => {
  wasm = w;
  $('footer').textContent = t('console.footer', { version: w.version() });
}).catch((e) => { $('status').textContent = t('error.wasm', { detail: e.message }); });
if (session && session.election && session.token) signedIn();
else signedOut();
