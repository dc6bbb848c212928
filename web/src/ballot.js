// The ballot form: one fieldset per contest of the voter's style, for every contest kind, with
// live counters (selected, remaining budget, points left), the voter-facing checks of the
// contest rules (the wasm encryption checks them again), and the review in words.

import { el, number, t } from './common.js';

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

/** A rendered contest: its fieldset, `values()`, `check()` → message or null, `set(values)`. */
export function renderContest(c, index) {
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

  const check = () => {
    const vs = values();
    const r = c.rule;
    if (r.rule === 'selection') {
      const n = vs.reduce((a, b) => a + b, 0);
      if (n < r.min) return t('booth.ballot.error.tooFew', { contest: c.title, min: r.min });
      if (n > r.max) return t('booth.ballot.error.tooMany', { contest: c.title, max: r.max });
      return null;
    }
    const max = Math.max(...r.maxima);
    if (vs.some((v, i) => !Number.isInteger(v) || v < 0 || v > r.maxima[i])) {
      return t('booth.ballot.error.range', { contest: c.title, max });
    }
    if (r.limit && used(vs) > r.limit.total) {
      return t('booth.ballot.error.limit', { contest: c.title, used: number(used(vs)), total: number(r.limit.total) });
    }
    return null;
  };

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

/** The voter's choices in words, for the review and the challenge. */
export function choicesInWords(contest, values) {
  const chosen = contest.options
    .map((o, i) => [o, values[i]])
    .filter(([, v]) => v > 0)
    .map(([o, v]) => (presentation(contest) === 'number' ? `${o.label}: ${number(v)}` : o.label));
  return el('div', { class: 'review-contest' },
    el('h3', { text: contest.title }),
    chosen.length ? el('ul', {}, chosen.map((s) => el('li', { text: s })))
      : el('p', { class: 'hint', text: t('booth.review.none') }));
}
