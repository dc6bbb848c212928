// The ballot form: one fieldset per contest of the voter's style, for every contest kind, with
// live counters (selected, remaining budget, points left), the contest rules checked by the
// core itself (wasm `checkContest`: the very check the encryption and every verifier make) and
// worded here from the violation's code, and the review in words. Ranked contests have their
// own form (ranked.js), and so have contests with write-ins (writein.js).

import { el, number, t } from './common.js';
import { rankingInWords, renderRanked } from './ranked.js';
import { hasWriteIns, renderWriteIn, writeInsInWords } from './writein.js';

/** How a contest is presented, from its kind and rule (docs/protocol.md §6). */
function presentation(c) {
  if (c.rule.rule === 'selection') {
    return c.rule.max === 1 ? 'radio' : 'checkbox';
  }
  return c.rule.maxima.every((m) => m === 1) ? 'checkbox' : 'number';
}

function hint(c) {
  const r = c.rule;
  if (r.rule === 'selection') {
    if (r.max === 1) return t(r.min === 0 ? 'booth.ballot.hint.oneOrBlank' : 'booth.ballot.hint.one');
    if (r.min === 0 && r.max >= c.options.length) return t('booth.ballot.hint.any');
    return t('booth.ballot.hint.range', { min: r.min, max: Math.min(r.max, c.options.length) });
  }
  if (c.kind === 'budget' && r.limit) return t('booth.ballot.hint.budget', { total: number(r.limit.total) });
  if (r.limit) return t('booth.ballot.hint.cumulative', { total: number(r.limit.total), max: Math.max(...r.maxima) });
  return t('booth.ballot.hint.score', { max: Math.max(...r.maxima) });
}

/** The message key of each violation code of `checkContest` (strings in strings.js). */
const VIOLATIONS = {
  too_few: 'booth.ballot.error.tooFew',
  too_many: 'booth.ballot.error.tooMany',
  not_zero_or_one: 'booth.ballot.error.notZeroOrOne',
  above_maximum: 'booth.ballot.error.range',
  not_a_whole_number: 'booth.ballot.error.range',
  over_limit: 'booth.ballot.error.limit',
  value_count: 'booth.ballot.error.valueCount',
};

/** The voter-facing message of a violation `v` (`{code, …}`) of contest `c`. */
function explain(c, v) {
  // A write-in contest's limit counts the listed options and the written names together.
  const key = v.code === 'over_limit' && hasWriteIns(c)
    ? (v.total === 1 ? 'booth.writeIn.error.oneOnly' : 'booth.writeIn.error.tooMany')
    : VIOLATIONS[v.code] ?? 'booth.ballot.error.other';
  return t(key, {
    ...v, contest: c.title, used: number(v.used ?? 0), total: number(v.total ?? 0),
  });
}

/**
 * A rendered contest: its fieldset, `values()`, `check()` → message or null, `set(values)`.
 * `wasm` is the loaded psephos wasm module (for `checkContest`).
 */
export function renderContest(c, index, wasm) {
  const checkValues = (vs) => {
    const v = JSON.parse(wasm.checkContest(JSON.stringify(c), JSON.stringify(vs)));
    return v ? explain(c, v) : null;
  };
  if (c.kind === 'ranked') return renderRanked(c, index, checkValues);
  if (hasWriteIns(c)) return renderWriteIn(c, index, wasm, checkValues);
  const kind = presentation(c);
  const id = `c${index}`;
  const hintId = `${id}-hint`;
  const liveId = `${id}-live`;
  const inputs = [];
  const rows = c.options.map((o, i) => {
    const inputId = `${id}-o${i}`;
    let input;
    if (kind === 'number') {
      input = el('input', {
        id: inputId, type: 'number', inputmode: 'numeric', min: 0, max: c.rule.maxima[i], step: 1,
        value: 0, 'aria-label': t(c.rule.limit ? 'booth.ballot.pointsLabel' : 'booth.ballot.scoreLabel', { option: o.label }),
      });
    } else {
      input = el('input', { id: inputId, type: kind, name: id, value: i });
    }
    inputs.push(input);
    const cost = o.cost !== undefined ? el('span', { class: 'hint', text: ` (${t('booth.ballot.cost', { cost: number(o.cost) })})` }) : null;
    if (kind === 'number') {
      return el('div', { class: 'option number' }, el('label', { for: inputId, text: o.label }), cost, input);
    }
    return el('div', { class: 'option' }, input, el('label', { for: inputId }, o.label, cost));
  });
  let blank = null;
  if (kind === 'radio' && c.rule.min === 0) {
    blank = el('input', { id: `${id}-blank`, type: 'radio', name: id, value: -1 });
    rows.push(el('div', { class: 'option' }, blank, el('label', { for: `${id}-blank`, text: t('booth.ballot.blank') })));
  }
  const live = el('p', { id: liveId, class: 'live', 'aria-live': 'polite' });
  const fieldset = el('fieldset', { class: 'contest', 'aria-describedby': `${hintId} ${liveId}` },
    el('legend', { text: c.title }),
    c.description ? el('p', { class: 'description', text: c.description }) : null,
    el('p', { id: hintId, class: 'hint', text: hint(c) }),
    rows, live);

  const values = () => inputs.map((input) => {
    if (kind === 'number') {
      const v = Number(input.value);
      return Number.isInteger(v) ? v : NaN;
    }
    return input.checked ? 1 : 0;
  });

  const used = (vs) => (c.rule.limit ? vs.reduce((s, v, i) => s + v * c.rule.limit.weights[i], 0) : 0);

  const update = () => {
    const vs = values();
    if (c.rule.rule === 'selection' && kind === 'checkbox') {
      live.textContent = t('booth.ballot.selected', { n: vs.reduce((a, b) => a + b, 0) });
    } else if (c.rule.limit) {
      const remaining = c.rule.limit.total - used(vs.map((v) => (Number.isFinite(v) ? v : 0)));
      live.textContent = t(c.kind === 'budget' ? 'booth.ballot.remainingBudget' : 'booth.ballot.remainingPoints',
        { remaining: number(remaining), total: number(c.rule.limit.total) });
      live.classList.toggle('over', remaining < 0);
    }
  };
  fieldset.addEventListener('input', update);
  fieldset.addEventListener('change', update);
  update();

  const check = () => checkValues(values());

  const set = (vs) => {
    inputs.forEach((input, i) => {
      if (kind === 'number') input.value = vs[i];
      else input.checked = vs[i] === 1;
    });
    if (blank) blank.checked = vs.every((v) => v === 0);
    update();
  };

  return { contest: c, fieldset, values, check, set, focus: () => inputs[0].focus() };
}

/**
 * The voter's choices in words, for the review and the challenge; `writeIns`: a write-in
 * contest's slots as the core reads them from `values` (wasm `writeInNames`, or an opened
 * challenge's `write_ins`).
 */
export function choicesInWords(contest, values, writeIns) {
  if (contest.kind === 'ranked') return rankingInWords(contest, values);
  if (hasWriteIns(contest)) return writeInsInWords(contest, values, writeIns);
  const chosen = contest.options
    .map((o, i) => [o, values[i]])
    .filter(([, v]) => v > 0)
    .map(([o, v]) => (presentation(contest) === 'number' ? `${o.label}: ${number(v)}` : o.label));
  return el('div', { class: 'review-contest' },
    el('h3', { text: contest.title }),
    chosen.length ? el('ul', {}, chosen.map((s) => el('li', { text: s })))
      : el('p', { class: 'hint', text: t('booth.review.none') }));
}
