// The results page: per-contest tables with bars, turnout, and where the proofs are.

import { $, api, ApiError, describe, el, fill, frame, number, t, loadWasm, E } from './common.js';
import { transferChart } from './transfers.js';

frame('results.title', 'results.html');

const percent = (x) => new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }).format(x);

async function start() {
  $('status').textContent = t('loading');
  try {
    const [electionJson] = await Promise.all([api(E(''), { text: true }), loadWasm()]);
    const election = JSON.parse(electionJson);
    $('title').textContent = `${t('results.heading')}: ${election.manifest.name}`;
    document.title = `${election.manifest.name} · ${t('results.title')}`;
    let result;
    try {
      result = await api(E('/result'));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        $('status').textContent = t('results.notYet', { phase: t(`election.phase.${election.phase}`) });
        return;
      }
      throw e;
    }
    const c = election.counts;
    $('status').textContent = c && c.credentials
      ? t('results.turnout', { voters: number(c.voters), credentials: number(c.credentials), percent: percent(c.voters / c.credentials) })
      : '';
    const byId = new Map(election.manifest.contests.map((x) => [x.id, x]));
    // A ranked contest's line in the result sums candidate numbers per rank: its outcome is
    // the mixed count's transcript (GET E/mix/count), shown round by round instead.
    let ranked = null;
    if (election.manifest.contests.some((x) => x.kind === 'ranked')) {
      try {
        ranked = await api(E('/mix/count'));
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    fill($('results'), result.contests.map((r) => {
      const contest = byId.get(r.contest);
      if (contest.kind === 'ranked') {
        const count = ranked && ranked.contests.find((x) => x.contest === contest.id);
        return rankedSection(contest, count && count.transcript);
      }
      const total = r.counts.reduce((a, b) => a + b, 0);
      const points = contest.rule.rule === 'bounded' && !contest.rule.maxima.every((m) => m === 1);
      const rows = contest.options.map((o, i) => [o, r.counts[i]]).sort((a, b) => b[1] - a[1]);
      return el('section', { class: 'result', 'aria-labelledby': `r-${contest.id}` },
        el('h2', { id: `r-${contest.id}`, text: contest.title }),
        el('table', {},
          el('thead', {}, el('tr', {},
            el('th', { scope: 'col', text: t('results.option') }),
            el('th', { scope: 'col', class: 'num', text: t(points ? 'results.points' : 'results.count') }),
            el('th', { scope: 'col', text: t('results.share') }))),
          el('tbody', {}, rows.map(([o, n]) => el('tr', {},
            el('th', { scope: 'row', text: o.label }),
            el('td', { class: 'num', text: number(n) }),
            el('td', {}, el('meter', { min: 0, max: Math.max(total, 1), value: n, 'aria-label': `${o.label}: ${total ? percent(n / total) : '0'}` }),
              ` ${total ? percent(n / total) : ''}`))))),
        el('p', { class: 'hint', text: t(r.ballots === 1 ? 'results.ballots.one' : 'results.ballots', { ballots: number(r.ballots) }) }));
    }));
    const links = [el('li', {}, el('a', { href: 'observer.html#verify', text: t('results.verification.verify') }))];
    try {
      const tally = await api(E('/tally'));
      if (tally.index !== null && tally.index !== undefined) {
        links.push(el('li', {}, el('a', { href: E(`/board/entries/${tally.index}`), text: t('results.verification.tally', { index: tally.index }) })));
      }
    } catch { /* optional */ }
    if (ranked && ranked.index !== undefined) {
      links.push(el('li', {}, el('a', { href: E(`/board/entries/${ranked.index}`), text: t('results.verification.count', { index: ranked.index }) })));
    }
    if (result.index !== undefined) {
      links.push(el('li', {}, el('a', { href: E(`/board/entries/${result.index}`), text: t('results.verification.result', { index: result.index }) })));
    }
    fill($('verification-links'), links);
  } catch (e) {
    $('status').textContent = describe(e);
  }
}

/** A ranked contest: the method, who won, and one table per round (docs/protocol.md §6.2). */
function rankedSection(contest, transcript) {
  const heading = el('h2', { id: `r-${contest.id}`, text: contest.title });
  if (!transcript) {
    return el('section', { class: 'result', 'aria-labelledby': `r-${contest.id}` },
      heading, el('p', { text: t('results.ranked.pending') }));
  }
  const name = (k) => (contest.options[k] ? contest.options[k].label : `#${k + 1}`);
  const m = transcript.method;
  const method = m.method === 'stv'
    ? t('results.ranked.method.stv', { seats: number(m.seats) })
    : t(`results.ranked.method.${m.method}`);
  const names = transcript.elected.map(name).join(', ');
  const action = (a) => {
    if (a.action === 'exclusion') return t('results.ranked.exclusion', { name: name(a.candidate) });
    if (a.action === 'surplus') return t('results.ranked.surplus', { name: name(a.candidate), votes: a.surplus });
    return t('results.ranked.first');
  };
  const rounds = transcript.rounds.map((round, i) => el('table', {},
    el('caption', { text: t('results.ranked.round', { round: number(i + 1), action: action(round.action) }) }),
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', text: t('results.ranked.candidate') }),
      el('th', { scope: 'col', class: 'num', text: t('results.ranked.votes') }))),
    el('tbody', {},
      round.tallies.map((v, k) => el('tr', {},
        el('th', { scope: 'row', text: name(k) }),
        el('td', { class: 'num', text: v }))),
      el('tr', {},
        el('th', { scope: 'row', text: t('results.ranked.exhausted') }),
        el('td', { class: 'num', text: round.non_transferable })))));
  return el('section', { class: 'result', 'aria-labelledby': `r-${contest.id}` },
    heading,
    el('p', { text: method }),
    el('p', { class: 'outcome', text: t(m.method === 'schulze' ? 'results.ranked.ranking' : 'results.ranked.elected', { names }) }),
    transcript.quota !== null && transcript.quota !== undefined
      ? el('p', { text: t('results.ranked.quota', { quota: transcript.quota }) }) : null,
    transcript.blank ? el('p', { class: 'hint', text: t('results.ranked.blank', { blank: number(transcript.blank), ballots: number(transcript.ballots) }) }) : null,
    transferChart(transcript, name),
    rounds);
}

start();
