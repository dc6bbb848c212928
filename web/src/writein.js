// A contest with write-ins in the booth (docs/protocol.md §6.2): the listed options and, for
// each write-in slot, a choice in the same group (a radio button in a choose-one contest, else a
// checkbox), so that a written name is one selection under the contest's limit exactly as the
// proofs count it, with a text field for the name beside it. Typing a name ticks its slot;
// clearing the field unticks it; a ticked slot's name is what is encrypted, an unticked slot's
// text is never sent.
//
// The limit is in bytes of UTF-8 after Unicode NFC normalisation, not in characters: the page
// says so, and the remaining room is counted as the voter types by the core itself (wasm
// `writeInFeedback`), announced politely (aria-live). Everything about the encoding is the
// core's: the row is made by `writeInRow` (which refuses an over-long, empty or control-bearing
// name, naming its slot) and read back for the review by `writeInNames`, the count's own rule.
// Nothing here encodes or decodes a name.

import { el, number, t } from './common.js';

/** Whether contest `c` has write-in slots. */
export const hasWriteIns = (c) => Boolean(c.write_ins);

/** The most selections of a write-in contest, listed options and written names together. */
const maxSelections = (c) => c.rule.limit.total;

/** The voter-facing message of a `writeInRow` problem (`{code, …}`) in contest `c`. */
function explainProblem(c, p) {
  const key = {
    empty: 'booth.writeIn.error.empty',
    too_long: 'booth.writeIn.error.tooLong',
    control: 'booth.writeIn.error.control',
  }[p.code] ?? 'booth.ballot.error.valueCount';
  return t(key, { ...p, contest: c.title });
}

/** Live feedback for the name field: `[text, bad]` from `writeInFeedback`'s answer `f`. */
function feedbackText(f) {
  if (f.problem && f.problem.code === 'too_long') {
    return [t('booth.writeIn.tooLong', { bytes: number(f.bytes), max: number(f.max) }), true];
  }
  if (f.problem && f.problem.code === 'control') return [t('booth.writeIn.control'), true];
  if (f.bytes === 0) return ['', false];
  return [t('booth.writeIn.remaining', { remaining: number(f.remaining), max: number(f.max) }), false];
}

/**
 * A rendered write-in contest, with the interface of `renderContest` (ballot.js): `fieldset`,
 * `values()`, `check()`, `set(values)`, `focus()`, and `writeIns()` (the slots as the count
 * reads them, for the review). `check` words a violation of the contest rule (ballot.js).
 */
export function renderWriteIn(c, index, wasm, check) {
  const id = `c${index}`;
  const contestJson = JSON.stringify(c);
  const one = maxSelections(c) === 1;
  const type = one ? 'radio' : 'checkbox';
  const k = c.write_ins.slots;
  const max = c.write_ins.max_bytes;

  const listed = c.options.map((o, i) => el('input', { id: `${id}-o${i}`, type, name: id, value: i }));
  const rows = c.options.map((o, i) => el('div', { class: 'option' },
    listed[i], el('label', { for: `${id}-o${i}`, text: o.label })));

  const slots = Array.from({ length: k }, (_, s) => {
    const n = s + 1;
    const choiceId = `${id}-w${n}`;
    const nameId = `${id}-w${n}-name`;
    const limitId = `${id}-w${n}-limit`;
    const feedbackId = `${id}-w${n}-feedback`;
    const choice = el('input', { id: choiceId, type, name: id, value: `w${n}` });
    const name = el('input', {
      id: nameId, type: 'text', autocomplete: 'off', autocapitalize: 'words', spellcheck: 'false',
      'aria-describedby': `${limitId} ${feedbackId}`,
    });
    const feedback = el('p', { id: feedbackId, class: 'feedback', 'aria-live': 'polite' });
    const row = el('div', { class: 'option write-in' },
      choice, el('label', { for: choiceId, text: t(k === 1 ? 'booth.writeIn.choice' : 'booth.writeIn.choiceN', { n }) }),
      el('div', { class: 'write-in-name' },
        el('label', { for: nameId, text: t(k === 1 ? 'booth.writeIn.nameLabel' : 'booth.writeIn.nameLabelN', { n }) }),
        name,
        el('p', { id: limitId, class: 'hint', text: t('booth.writeIn.limit', { max: number(max) }) }),
        feedback));
    const slot = { n, choice, name, feedback, row };
    name.addEventListener('input', () => {
      // A name ticks its slot (in a choose-one contest, untick the listed options); no name,
      // no write-in.
      choice.checked = name.value.trim() !== '';
      showFeedback(slot);
      update();
    });
    return slot;
  });

  function showFeedback(slot) {
    const f = JSON.parse(wasm.writeInFeedback(contestJson, slot.n, slot.name.value));
    const [text, bad] = feedbackText(f);
    slot.feedback.textContent = text;
    slot.feedback.classList.toggle('bad', bad);
    if (bad) slot.name.setAttribute('aria-invalid', 'true');
    else slot.name.removeAttribute('aria-invalid');
  }

  let blank = null;
  if (one) {
    blank = el('input', { id: `${id}-blank`, type: 'radio', name: id, value: -1 });
    rows.push(...slots.map((s) => s.row),
      el('div', { class: 'option' }, blank, el('label', { for: `${id}-blank`, text: t('booth.ballot.blank') })));
  } else {
    rows.push(...slots.map((s) => s.row));
  }
  const hintText = one ? t('booth.writeIn.hint.one')
    : t('booth.writeIn.hint.many', { max: number(Math.min(maxSelections(c), c.options.length + k)) });
  const live = el('p', { id: `${id}-live`, class: 'live', 'aria-live': 'polite' });
  const fieldset = el('fieldset', { class: 'contest write-ins', 'aria-describedby': `${id}-hint ${id}-live` },
    el('legend', { text: c.title }),
    c.description ? el('p', { class: 'description', text: c.description }) : null,
    el('p', { id: `${id}-hint`, class: 'hint', text: hintText }),
    rows, live);

  const listedValues = () => listed.map((input) => (input.checked ? 1 : 0));
  const typed = () => slots.map((s) => (s.choice.checked ? s.name.value : null));

  function update() {
    if (one) return;
    const n = listedValues().reduce((a, b) => a + b, 0) + slots.filter((s) => s.choice.checked).length;
    live.textContent = t('booth.ballot.selected', { n });
  }
  fieldset.addEventListener('change', update);
  update();

  /** The core's row for the form as it stands: `{status: "ok", values, names}` or a problem. */
  const row = () => JSON.parse(wasm.writeInRow(contestJson, JSON.stringify(listedValues()), JSON.stringify(typed())));

  let problemSlot = null;
  const checkAll = () => {
    for (const s of slots) s.name.removeAttribute('aria-invalid');
    problemSlot = null;
    const r = row();
    if (r.status !== 'ok') {
      problemSlot = slots.find((s) => s.n === r.problem.slot) ?? null;
      if (problemSlot) problemSlot.name.setAttribute('aria-invalid', 'true');
      return explainProblem(c, r.problem);
    }
    return check(r.values);
  };

  const values = () => {
    const r = row();
    if (r.status !== 'ok') throw new Error(explainProblem(c, r.problem));
    return r.values;
  };

  const writeIns = (vs = values()) => JSON.parse(wasm.writeInNames(contestJson, JSON.stringify(vs)));

  const set = (vs) => {
    listed.forEach((input, i) => { input.checked = vs[i] === 1; });
    const read = writeIns(vs);
    for (const s of slots) {
      const r = read.find((x) => x.slot === s.n);
      s.choice.checked = Boolean(r && r.status === 'name');
      s.name.value = r && r.status === 'name' ? r.name : '';
      showFeedback(s);
    }
    if (blank) blank.checked = !listed.some((x) => x.checked) && !slots.some((s) => s.choice.checked);
    update();
  };

  return {
    contest: c,
    fieldset,
    values,
    check: checkAll,
    set,
    writeIns,
    focus: () => (problemSlot ? problemSlot.name : (listed[0] ?? slots[0].choice)).focus(),
  };
}

/**
 * A write-in contest's review and challenge view: the listed options chosen, then each slot's
 * name as the count reads it (`slots`: `writeInNames`' answer, or the opened challenge's
 * `write_ins`).
 */
export function writeInsInWords(contest, values, slots) {
  const chosen = contest.options.filter((o, i) => values[i] > 0).map((o) => el('li', { text: o.label }));
  const written = (slots ?? []).filter((s) => s.status !== 'unused').map((s) => (s.status === 'name'
    ? el('li', { class: 'written' }, `${t('booth.writeIn.inWords')} `, el('q', { text: s.name }))
    : el('li', { class: 'written bad', text: t('booth.writeIn.invalidInWords', { slot: s.slot }) })));
  const items = [...chosen, ...written];
  return el('div', { class: 'review-contest' },
    el('h3', { text: contest.title }),
    items.length ? el('ul', {}, items) : el('p', { class: 'hint', text: t('booth.review.none') }));
}
