// The results page: per-contest tables with bars, turnout, and where the proofs are. Mixed
// contests (docs/protocol.md §13.7) are shown from the mixed count (GET E/mix/count), not from
// the result's per-column sums: a ranked contest round by round, a contest with write-ins as
// its listed options' votes, the names written in with their counts, and the invalid write-ins.

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
    // A ranked contest's line in the result sums candidate numbers per rank, a write-in
    // contest's the text columns of its names: their outcome is the mixed count
    // (GET E/mix/count), shown instead.
    let mixed = null;
    if (election.manifest.contests.some((x) => x.kind === 'ranked' || x.write_ins)) {
      try {
        mixed = await api(E('/mix/count'));
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      }
    }
    fill($('results'), result.contests.map((r) => {
      const contest = byId.get(r.contest);
      if (contest.kind === 'ranked') {
        const count = mixed && mixed.contests.find((x) => x.contest === contest.id);
        return rankedSection(contest, count && count.transcript);
      }
      if (contest.write_ins) {
        const count = mixed && (mixed.write_ins ?? []).find((x) => x.contest === contest.id);
        return writeInSection(contest, count);
      }
      const points = contest.rule.rule === 'bounded' && !contest.rule.maxima.every((m) => m === 1);
      return el('section', { class: 'result', 'aria-labelledby': `r-${contest.id}` },
        el('h2', { id: `r-${contest.id}`, text: contest.title }),
        votesTable(contest.options.map((o, i) => [o.label, r.counts[i]]), t(points ? 'results.points' : 'results.count')),
        ballotsCounted(r.ballots));
    }));
    const links = [el('li', {}, el('a', { href: 'observer.html#verify', text: t('results.verification.verify') }))];
    try {
      const tally = await api(E('/tally'));
      if (tally.index !== null && tally.index !== undefined) {
        links.push(el('li', {}, el('a', { href: E(`/board/entries/${tally.index}`), text: t('results.verification.tally', { index: tally.index }) })));
      }
    } catch { /* optional */ }
    if (mixed && mixed.index !== undefined) {
      links.push(el('li', {}, el('a', { href: E(`/board/entries/${mixed.index}`), text: t('results.verification.count', { index: mixed.index }) })));
    }
    if (result.index !== undefined) {
      links.push(el('li', {}, el('a', { href: E(`/board/entries/${result.index}`), text: t('results.verification.result', { index: result.index }) })));
    }
    fill($('verification-links'), links);
  } catch (e) {
    $('status').textContent = describe(e);
  }
}

/** A table of `[label, votes]` rows, most votes first, with each row's share and a bar. */
function votesTable(entries, column, caption) {
  const total = entries.reduce((a, [, n]) => a + n, 0);
  const rows = entries.slice().sort((a, b) => b[1] - a[1]);
  return el('table', {},
    caption ? el('caption', { text: caption }) : null,
    el('thead', {}, el('tr', {},
      el('th', { scope: 'col', text: t('results.option') }),
      el('th', { scope: 'col', class: 'num', text: column }),
      el('th', { scope: 'col', text: t('results.share') }))),
    el('tbody', {}, rows.map(([label, n]) => el('tr', {},
      el('th', { scope: 'row', text: label }),
      el('td', { class: 'num', text: number(n) }),
      el('td', {}, el('meter', { min: 0, max: Math.max(total, 1), value: n, 'aria-label': `${label}: ${total ? percent(n / total) : '0'}` }),
        ` ${total ? percent(n / total) : ''}`)))));
}

const ballotsCounted = (ballots) => el('p', { class: 'hint', text: t(ballots === 1 ? 'results.ballots.one' : 'results.ballots', { ballots: number(ballots) }) });

/**
 * A contest with write-ins (docs/protocol.md §13.11): the listed options' votes, then the names
 * written in with their counts (most first, as the count orders them), and the invalid
 * write-ins, all from the mixed count `count` (`write_ins[…]` of GET E/mix/count).
 */
function writeInSection(contest, count) {
  const id = `r-${contest.id}`;
  const heading = el('h2', { id, text: contest.title });
  if (!count) {
    return el('section', { class: 'result write-ins', 'aria-labelledby': id }, heading, el('p', { text: t('results.writeIn.pending') }));
  }
  const namesId = `${id}-names`;
  return el('section', { class: 'result write-ins', 'aria-labelledby': id },
    heading,
    votesTable(contest.options.map((o, i) => [o.label, count.counts[i]]), t('results.count'), t('results.writeIn.listedHeading')),
    el('h3', { id: namesId, text: t('results.writeIn.written') }),
    count.names.length
      ? el('table', { class: 'written-names', 'aria-labelledby': namesId },
        el('thead', {}, el('tr', {},
          el('th', { scope: 'col', text: t('results.writeIn.name') }),
          el('th', { scope: 'col', class: 'num', text: t('results.count') }))),
        el('tbody', {}, count.names.map(([name, n]) => el('tr', {},
          el('th', { scope: 'row', text: name }),
          el('td', { class: 'num', text: number(n) })))))
      : el('p', { text: t('results.writeIn.none') }),
    el('p', { class: 'invalid-write-ins', text: t('results.writeIn.invalid', { invalid: number(count.invalid) }) }),
    el('p', { class: 'hint', text: t('results.writeIn.note') }),
    ballotsCounted(count.ballots));
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
