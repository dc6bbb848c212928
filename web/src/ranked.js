// A ranked contest in the booth (docs/protocol.md §6.2): the voter's ranking is one list of
// candidates in order of preference, shown twice and kept in step — a native <select> per
// candidate ("1st", "2nd", …, "not ranked"), which works the same by keyboard, touch and
// screen reader, and the list itself, in preference order, with "move up", "move down" and
// "remove" buttons. Every change is announced in words (aria-live).
//
// Choosing a rank moves the candidate to that place in the list: the candidates from there on
// move down one place (nobody is unranked to make room, except as below), the others keep
// their order, and gaps are closed (choosing 4th with two candidates ranked makes the candidate
// 3rd). With `max_ranks` candidates already ranked, a newly ranked candidate pushes the last one
// out of the ranking. Every candidate whose place changed is named in the announcement.
//
// The ballot holds one value per rank position (`max_ranks` of them): the number of the
// candidate ranked there (option index + 1), or 0 — exactly what the core encrypts and proves.

import { el, t } from './common.js';
import { language } from './strings.js';

const plural = new Intl.PluralRules(language, { type: 'ordinal' });

/** "1st", "2nd", "3rd", "4th", … (1-based). */
export function ordinal(n) {
  return t(`booth.rank.ordinal.${plural.select(n)}`, { n });
}

/** The number of rank positions of a ranked contest (`max_ranks`). */
export const maxRanks = (c) => c.rule.maxima.length;

/**
 * The preferences (option indices, most preferred first) a row of rank values stands for, by
 * the protocol's row rule: read from rank 1 up to the first 0, value above `n`, or repeat.
 */
export function preferencesFromRanks(values, n) {
  const seen = new Set();
  const out = [];
  for (const v of values) {
    if (!Number.isInteger(v) || v < 1 || v > n || seen.has(v)) break;
    seen.add(v);
    out.push(v - 1);
  }
  return out;
}

/** A ranked contest's review and challenge view: the candidates in order of preference. */
export function rankingInWords(contest, values) {
  const prefs = preferencesFromRanks(values, contest.options.length);
  return el('div', { class: 'review-contest' },
    el('h3', { text: contest.title }),
    prefs.length
      ? el('ol', { class: 'ranking' }, prefs.map((k, r) => el('li', {
        text: t('booth.rank.inWords', { rank: ordinal(r + 1), name: contest.options[k].label }),
      })))
      : el('p', { class: 'hint', text: t('booth.rank.none') }));
}

/**
 * A rendered ranked contest, with the interface of `renderContest` (ballot.js): `fieldset`,
 * `values()`, `check()`, `set(values)`, `focus()`.
 */
export function renderRanked(c, index, check) {
  const id = `c${index}`;
  const n = c.options.length;
  const m = maxRanks(c);
  const name = (k) => c.options[k].label;
  let order = []; // option indices, most preferred first; at most m

  const live = el('p', { id: `${id}-live`, class: 'live', 'aria-live': 'polite' });
  const selects = c.options.map((o, k) => {
    const select = el('select', { id: `${id}-o${k}` },
      el('option', { value: '0', text: t('booth.rank.notRanked') }),
      Array.from({ length: m }, (_, r) => el('option', { value: String(r + 1), text: ordinal(r + 1) })));
    select.addEventListener('change', () => place(k, Number(select.value)));
    return select;
  });
  const rows = c.options.map((o, k) => el('div', { class: 'option rank' },
    el('label', { for: `${id}-o${k}`, text: o.label }), selects[k]));
  const summaryHeading = el('h3', { id: `${id}-order-h`, class: 'ranking-heading', text: t('booth.rank.order') });
  const summary = el('ol', { id: `${id}-order`, class: 'ranking', 'aria-labelledby': `${id}-order-h` });
  const empty = el('p', { id: `${id}-order-empty`, class: 'hint', text: t('booth.rank.none') });
  const hint = t(m < n ? 'booth.rank.hint.upTo' : 'booth.rank.hint.all', { max: m });
  const fieldset = el('fieldset', { class: 'contest ranked', 'aria-describedby': `${id}-hint ${id}-live` },
    el('legend', { text: c.title }),
    c.description ? el('p', { class: 'description', text: c.description }) : null,
    el('p', { id: `${id}-hint`, class: 'hint', text: hint }),
    rows,
    el('div', { class: 'ranking-box' }, summaryHeading, summary, empty),
    live);

  const say = (...parts) => { live.textContent = parts.filter(Boolean).join(' '); };

  /** The candidate's place in words after a change. */
  const placed = (k) => (order.includes(k)
    ? t('booth.rank.now', { name: name(k), rank: ordinal(order.indexOf(k) + 1) })
    : t('booth.rank.removed', { name: name(k) }));

  function render(focus) {
    selects.forEach((s, k) => { s.value = String(order.indexOf(k) + 1); });
    summary.replaceChildren(...order.map((k, r) => {
      const button = (action, text, disabled) => el('button', {
        type: 'button', class: 'small secondary', 'data-action': action, 'data-option': k,
        'aria-label': t(`booth.rank.${action}Label`, { name: name(k) }), text, disabled,
        onclick: () => act(action, k),
      });
      return el('li', { 'data-option': k },
        el('span', { class: 'rank-name', text: name(k) }),
        el('span', { class: 'rank-actions' },
          button('up', t('booth.rank.up'), r === 0),
          button('down', t('booth.rank.down'), r === order.length - 1),
          button('remove', t('booth.rank.remove'), false)));
    }));
    summary.hidden = order.length === 0;
    empty.hidden = order.length > 0;
    if (focus) focus();
  }

  /** Puts candidate `k` at rank `rank` (1-based; 0 = not ranked), moving the others. */
  function place(k, rank) {
    const before = order.slice();
    order = order.filter((x) => x !== k);
    let dropped = null;
    if (rank > 0) {
      order.splice(Math.min(rank - 1, order.length), 0, k);
      if (order.length > m) dropped = order.pop();
    }
    render();
    // Every other candidate whose place changed is named too: nothing moves unannounced.
    const moved = before.filter((x) => x !== k && x !== dropped && order.indexOf(x) !== before.indexOf(x));
    say(placed(k), ...moved.map(placed),
      dropped !== null ? t('booth.rank.dropped', { name: name(dropped), max: m }) : null);
  }

  /** A button of the summary list: moves or removes candidate `k`, keeping the focus near. */
  function act(action, k) {
    const r = order.indexOf(k);
    if (r < 0) return;
    if (action === 'remove') {
      order.splice(r, 1);
      const next = order[Math.min(r, order.length - 1)];
      render(() => {
        const b = next === undefined ? selects[k]
          : summary.querySelector(`li[data-option="${next}"] button[data-action="remove"]`);
        b.focus();
      });
      say(placed(k), ...order.slice(r).map(placed));
      return;
    }
    const to = action === 'up' ? r - 1 : r + 1;
    if (to < 0 || to >= order.length) return;
    [order[r], order[to]] = [order[to], order[r]];
    render(() => {
      const item = summary.querySelector(`li[data-option="${k}"]`);
      const same = item.querySelector(`button[data-action="${action}"]`);
      (same.disabled ? item.querySelector(`button[data-action="${action === 'up' ? 'down' : 'up'}"]`) : same).focus();
    });
    say(placed(k), placed(order[r]));
  }

  const values = () => Array.from({ length: m }, (_, r) => (r < order.length ? order[r] + 1 : 0));

  const set = (vs) => {
    order = preferencesFromRanks(vs, n).slice(0, m);
    render();
    say();
  };

  render();
  return {
    contest: c, fieldset, values, set, check: () => check(values()), focus: () => selects[0].focus(),
  };
}
