// The board explorer: an election's board page by page, however large — blocks newest first
// with their signed checkpoints and cosignatures, a block's entries, every entry by index with
// its kind and a readable summary, every ballot's tracking code with its status (cast,
// superseded, challenged), searchable, the ceremony messages, and the tally, shares and result.
// Every list is one page of `GET E/explorer/…` (an index range on the server): no page reads
// the whole board.

import { $, api, ApiError, describe, el, fill, frame, number, t, E } from './common.js';

frame('explorer.title', 'explorer.html');

const PAGE = 50;
let view = 'blocks';
let next = null; // the query of the next page, or null
let until = null; // a block's end: entries at or past it are not the block's

const kindName = (k) => t(`explorer.kind.${k}`);

/** An entry's summary in words (the server's `summary` object, by kind). */
function summaryOf(e) {
  const s = e.summary || {};
  switch (e.kind) {
    case 'election_definition':
      return t('explorer.summary.definition', { name: s.name, id: s.manifest_id, contests: s.contests, styles: s.ballot_styles, k: s.threshold, n: s.trustees });
    case 'ceremony_message': {
      const base = t('explorer.summary.ceremony', { round: s.round, from: s.from });
      if (s.against !== undefined) return `${base} ${t('explorer.summary.complaint', { against: s.against, reason: s.reason })}`;
      if (s.to !== undefined) return `${base} ${t('explorer.summary.reveal', { to: s.to })}`;
      return base;
    }
    case 'credential_list':
      return t('explorer.summary.credentials', { n: number(s.credentials), weight: number(s.total_weight) });
    case 'ballot':
    case 'challenge':
      return el('span', {}, el('code', { class: 'code', text: s.tracking_code }), ' ',
        el('strong', { class: `tracking-status ${s.status}`, text: t(`explorer.status.${s.status}`) }),
        ` ${t('explorer.summary.style', { style: s.style })}`);
    case 'control':
      return t(`explorer.summary.control.${s.event}`);
    case 'encrypted_tally':
      return t('explorer.summary.tally', { contests: s.contests });
    case 'decryption_share':
      return t('explorer.summary.share', { trustee: s.trustee });
    case 'result':
      return (s.contests || []).map((c) => `${c.contest}: ${c.counts.map(number).join(', ')}`).join('; ');
    default:
      return s.undecodable ? t('explorer.summary.undecodable', { detail: s.undecodable }) : JSON.stringify(s);
  }
}

function entriesTable(caption) {
  return el('table', { id: 'entries' },
    el('caption', { class: 'visually-hidden', text: caption }),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', class: 'num', text: t('explorer.col.index') }),
      el('th', { scope: 'col', text: t('explorer.col.kind') }),
      el('th', { scope: 'col', text: t('explorer.col.summary') }))),
    el('tbody', {}));
}

function entryRows(list) {
  return list.map((e) => el('tr', { id: `entry-${e.index}`, 'data-kind': e.kind },
    el('td', { class: 'num', text: String(e.index) }),
    el('td', { text: kindName(e.kind) }),
    el('td', {}, summaryOf(e))));
}

function blockRows(list) {
  return list.map((b) => el('tr', { id: `block-${b.number}` },
    el('td', { class: 'num', text: number(b.number) }),
    el('td', { text: b.tree_size > b.first_index ? t('explorer.block.range', { first: b.first_index, last: b.tree_size - 1 }) : '—' }),
    el('td', { text: new Date(b.time_ms).toISOString() }),
    el('td', {},
      el('button', {
        type: 'button', class: 'secondary small', text: t('explorer.block.entries', { number: b.number }),
        onclick: () => showBlock(b),
      }),
      el('details', {},
        el('summary', { text: t('explorer.block.checkpoint', { signatures: (b.checkpoint.match(/^— /gm) || []).length }) }),
        el('pre', { class: 'note', text: b.checkpoint })))));
}

function heading(text) {
  $('view-heading').textContent = text;
}

/** Marks the list as loading (`aria-busy`), for assistive technology and tests alike. */
function busy(on) {
  if (on) $('view').setAttribute('aria-busy', 'true');
  else $('view').removeAttribute('aria-busy');
}

async function load(query, append) {
  $('status').textContent = t('loading');
  busy(true);
  try {
    if (view === 'blocks') {
      const page = await api(E(`/explorer/blocks?${query}`));
      if (!append) {
        fill($('view'), el('table', { id: 'blocks' },
          el('caption', { class: 'visually-hidden', text: t('explorer.view.blocks') }),
          el('thead', {}, el('tr', {},
            el('th', { scope: 'col', class: 'num', text: t('explorer.col.block') }),
            el('th', { scope: 'col', text: t('explorer.col.entries') }),
            el('th', { scope: 'col', text: t('explorer.col.time') }),
            el('th', { scope: 'col', text: t('explorer.col.checkpoint') }))),
          el('tbody', {})));
      }
      $('blocks').tBodies[0].append(...blockRows(page.blocks));
      next = page.next_before !== null ? `before=${page.next_before}&limit=20` : null;
      if (!append && page.blocks.length === 0) fill($('view'), el('p', { text: t('explorer.empty') }));
    } else {
      const page = await api(E(`/explorer/entries?${query}`));
      let list = page.entries;
      if (until !== null) list = list.filter((e) => e.index < until);
      if (!append) fill($('view'), entriesTable($('view-heading').textContent));
      $('entries').tBodies[0].append(...entryRows(list));
      if (page.next_from !== null && (until === null || page.next_from < until)) next = query.replace(/from=\d+/, `from=${page.next_from}`);
      else if (page.next_before !== null) next = query.replace(/before=\d+/, '').replace(/^&+|&+$/g, '') + `&before=${page.next_before}`;
      else next = null;
      if (!append && list.length === 0) fill($('view'), el('p', { text: t('explorer.empty') }));
    }
    $('more').hidden = next === null;
    $('status').textContent = '';
  } catch (e) {
    $('status').textContent = describe(e);
  } finally {
    busy(false);
  }
}

async function show(v) {
  view = v;
  until = null;
  next = null;
  for (const b of document.querySelectorAll('#views button')) b.setAttribute('aria-pressed', String(b.dataset.view === v));
  $('jump-form').hidden = v !== 'entries';
  if (v === 'blocks') {
    heading(t('explorer.view.blocks'));
    await load('limit=20', false);
  } else if (v === 'entries') {
    heading(t('explorer.view.entries'));
    await load(`limit=${PAGE}`, false);
  } else if (v === 'tally') {
    heading(t('explorer.view.tally'));
    $('status').textContent = t('loading');
    busy(true);
    try {
      const pages = await Promise.all(['encrypted_tally', 'decryption_share', 'result']
        .map((k) => api(E(`/explorer/entries?kind=${k}&from=0&limit=${PAGE}`))));
      const list = pages.flatMap((p) => p.entries).sort((a, b) => a.index - b.index);
      fill($('view'), list.length ? entriesTable(t('explorer.view.tally')) : el('p', { text: t('explorer.empty') }));
      if (list.length) $('entries').tBodies[0].append(...entryRows(list));
      $('status').textContent = '';
    } catch (e) {
      $('status').textContent = describe(e);
    } finally {
      busy(false);
    }
    $('more').hidden = true;
  } else {
    heading(t(`explorer.view.${v === 'ballot' ? 'ballots' : v === 'challenge' ? 'challenges' : 'ceremony'}`));
    await load(v === 'ceremony_message' ? `kind=${v}&from=0&limit=${PAGE}` : `kind=${v}&limit=${PAGE}`, false);
  }
}

async function showBlock(b) {
  view = 'block';
  until = b.tree_size;
  heading(t('explorer.block.heading', { number: b.number }));
  $('jump-form').hidden = true;
  await load(`from=${b.first_index}&limit=${Math.min(200, Math.max(1, b.tree_size - b.first_index))}`, false);
  $('view-heading').focus();
}

for (const b of document.querySelectorAll('#views button')) {
  b.addEventListener('click', () => show(b.dataset.view));
}
$('newest').addEventListener('click', () => show(view === 'block' ? 'blocks' : view));
$('more').addEventListener('click', () => { if (next) load(next, true); });

$('jump-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const n = Number($('jump').value);
  if (!Number.isInteger(n) || n < 0) return;
  heading(t('explorer.jump.heading', { index: n }));
  await load(`from=${n}&limit=${PAGE}`, false);
  const row = $(`entry-${n}`);
  if (row) row.scrollIntoView();
});

$('search-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const code = $('search').value.trim().toUpperCase();
  const out = $('search-result');
  out.className = '';
  if (!code) return;
  try {
    const r = await api(E(`/ballots/${encodeURIComponent(code)}`));
    fill(out, t('explorer.search.found', { code: r.tracking_code, status: t(`explorer.status.${r.status}`), index: r.index }), ' ',
      el('button', {
        type: 'button', class: 'secondary small', text: t('explorer.search.show', { index: r.index }),
        onclick: async () => {
          view = 'entries';
          until = null;
          heading(t('explorer.jump.heading', { index: r.index }));
          await load(`from=${r.index}&limit=1`, false);
          $('view-heading').focus();
        },
      }));
    out.dataset.status = r.status;
  } catch (err) {
    out.className = 'bad';
    out.textContent = err instanceof ApiError && err.status === 404 ? t('check.notFound')
      : err instanceof ApiError && err.status === 400 ? t('explorer.search.malformed') : describe(err);
    delete out.dataset.status;
  }
});

show('blocks');
