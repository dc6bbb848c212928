// The transfer chart of a ranked contest's count on the results page: for each round, one
// horizontal bar per candidate, split into the votes the candidate held after the round before
// and the votes it received in this round (its transfers), with the quota marked for STV.
//
// The round tables stay the primary content: the chart is drawn in SVG (attributes only, no
// inline style, so the pages' strict CSP holds; no chart library), hidden from assistive
// technology, and its caption says in words what it shows and that the tables hold the figures.

import { el, t } from './common.js';

const WIDTH = 640;
const LABEL = 190; // the candidates' names
const BAR = 380; // the longest bar
const ROW = 20;
const HEAD = 26; // a round's heading

/** Votes as a number for drawing (the transcript writes exact decimals as strings). */
const amount = (v) => Number(v) || 0;

/**
 * The chart of `transcript` (a CountTranscript, docs/protocol.md §13.10.6), `name(k)` naming candidate `k`:
 * a `<figure>` with its caption, or null when there is nothing to draw (Schulze has no rounds).
 */
export function transferChart(transcript, name) {
  const rounds = transcript.rounds || [];
  if (!rounds.length) return null;
  const quota = transcript.quota !== null && transcript.quota !== undefined ? amount(transcript.quota) : null;
  const top = Math.max(1, quota ?? 0, ...rounds.flatMap((r) => r.tallies.map(amount)));
  const scale = (v) => (BAR * v) / top;
  const groups = [];
  let y = 0;
  rounds.forEach((round, i) => {
    // Round 1's votes are first preferences, held from the start: nothing is transferred yet.
    const before = i > 0 ? rounds[i - 1].tallies.map(amount) : round.tallies.map(amount);
    const parts = [el('text', { x: 0, y: y + 18, class: 'round', text: t('results.ranked.chart.round', { round: i + 1 }) })];
    y += HEAD;
    round.tallies.forEach((v, k) => {
      const now = amount(v);
      const held = Math.min(now, before[k]);
      const gained = Math.max(0, now - before[k]);
      parts.push(
        el('text', { x: 0, y: y + 14, text: name(k) }),
        el('rect', { x: LABEL, y: y + 3, width: scale(held), height: ROW - 6, class: 'held' }),
        el('rect', { x: LABEL + scale(held), y: y + 3, width: scale(gained), height: ROW - 6, class: 'gained' }),
        el('text', { x: LABEL + scale(now) + 6, y: y + 14, class: 'figure', text: v }),
      );
      y += ROW;
    });
    groups.push(el('g', { 'data-round': i + 1 }, parts));
    y += 6;
  });
  const quotaLine = quota !== null
    ? el('line', { x1: LABEL + scale(quota), x2: LABEL + scale(quota), y1: 0, y2: y, class: 'quota' })
    : null;
  return el('figure', { class: 'transfers' },
    el('svg', {
      viewBox: `0 0 ${WIDTH} ${y}`, width: '100%', 'aria-hidden': 'true', focusable: 'false',
      class: 'transfer-chart', preserveAspectRatio: 'xMinYMin meet',
    }, groups, quotaLine),
    el('figcaption', {
      text: t(quota !== null ? 'results.ranked.chart.captionQuota' : 'results.ranked.chart.caption'),
    }));
}
