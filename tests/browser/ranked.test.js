// A ranked election through the booth in headless Chromium against a real `psephos serve`
// (support.js), with the sample ranked election (election-config/ranked-2026.toml: the mayor by
// instant-runoff, two council seats by STV, a homomorphic referendum, and the harbour master by
// plurality with a write-in): voters rank candidates by keyboard only (the native rank selectors)
// and by the ranking's move buttons, write in names (one refused as too long first, one typed
// decomposed that the core normalises into the same name) or pick a listed candidate, one ballot
// is challenged and its ranking and written name checked on a second device, the ballots are
// cast, then the officials close, the three trustees' processes mix, two decrypt, the server
// counts, and the results page shows every round as a table and the transfer chart, naming the
// winners the count names, and the names written in with their counts; the observer's
// in-browser verifier recounts them (checks 28 and 29).
// axe-core checks every view; no page may make a third-party request or log an error (CSP).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { t } from '../../web/src/strings.js';
import { startElection, launch, watchedPage, screenshot, tabTo, repo, noA11yViolations, visible, enterCredential } from './support.js';

const TRACKING = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/;
// The sample's candidates, in manifest order (option index = position).
const MAYOR = ['Adaeze Okafor', 'Erik Lindqvist', 'Camille Moreau', 'Hiro Tanaka'];
const COUNCIL = ['Sofia Alvarez', 'Liam Brennan', 'Mei Chen', 'Luc Dubois', 'Chidi Eze'];
const [OKAFOR, LINDQVIST, MOREAU, TANAKA] = [0, 1, 2, 3];
const [ALVAREZ, BRENNAN, CHEN, DUBOIS, EZE] = [0, 1, 2, 3, 4];
const HARBOUR = ['Grace Ng', 'Marco Silva'];
// The harbour master's fieldset is the fourth contest (c3). The name two voters write in: 15
// bytes of UTF-8 in NFC (three letters with accents take two bytes each); the second voter types
// it decomposed (letters followed by combining marks), which the core composes.
const ZOE = 'Zoë Ångström';
const ZOE_DECOMPOSED = 'Zoe\u0308 A\u030angstro\u0308m';
const bytes = (s) => Buffer.byteLength(s.normalize('NFC'), 'utf8');
const ordinal = (n) => t(`booth.rank.ordinal.${new Intl.PluralRules('en', { type: 'ordinal' }).select(n)}`, { n });

let election;
let browser;

before(async () => {
  election = await startElection({
    manifest: join(repo, 'election-config', 'ranked-2026.toml'),
    voters: ['city', 'city', 'city', 'city', 'city', 'city'],
  });
  browser = await launch();
}, { timeout: 600_000 });

after(async () => {
  if (browser) await browser.close();
  if (election) await election.stop();
});

/** The names in contest `c`'s ranking list, in order. */
const ranking = (page, c) => page.locator(`#c${c}-order li .rank-name`).allTextContents();
const live = (page, c) => page.textContent(`#c${c}-live`);

/**
 * Moves the focus to `selector` with the Tab key, or Shift+Tab when it comes before the focused
 * element (keyboard-only navigation in both directions).
 */
async function keyTo(page, selector) {
  const back = await page.evaluate((s) => {
    const target = document.querySelector(s);
    const at = document.activeElement;
    return Boolean(at && at !== document.body && (target.compareDocumentPosition(at) & Node.DOCUMENT_POSITION_FOLLOWING));
  }, selector);
  if (!back) return tabTo(page, selector);
  for (let i = 0; i < 300; i += 1) {
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return undefined;
    await page.keyboard.press('Shift+Tab');
  }
  throw new Error(`could not reach ${selector} with Shift+Tab`);
}

/**
 * Ranks the candidates `order` (option indices) of contest `c` with the keyboard only: Tab to
 * each candidate's rank selector, type the rank's first character (the native <select>'s
 * type-ahead picks "1st", "2nd", …).
 */
async function rankByKeyboard(page, c, order) {
  for (const [r, k] of order.entries()) {
    await keyTo(page, `#c${c}-o${k}`);
    await page.keyboard.type(String(r + 1));
  }
}

/** Encrypts the reviewed ballot; returns the tracking code. */
async function encrypt(page) {
  await page.click('#ballot-review');
  await visible(page, 's-review');
  await page.click('#review-encrypt');
  await visible(page, 's-decide');
  const code = (await page.textContent('#tracking-code')).trim();
  assert.match(code, TRACKING);
  return code;
}

async function castAndVerify(page) {
  await page.click('#decide-cast');
  await visible(page, 's-cast');
  await page.locator('#receipt-status.ok').waitFor({ timeout: 60_000 });
  assert.equal(await page.textContent('#receipt-status'), t('booth.cast.verified'));
}

/** The review's (or the challenge's) ranking of the contest titled `title`, in order. */
async function shownRanking(page, container, title) {
  const block = page.locator(`#${container} .review-contest`, { has: page.locator('h3', { hasText: title }) });
  return block.locator('li').allTextContents();
}

/** The review's (or the challenge's) lines for the contest titled `title`. */
async function shownLines(page, container, title) {
  const block = page.locator(`#${container} .review-contest`, { has: page.locator('h3', { hasText: title }) });
  return (await block.locator('li').allTextContents()).map((x) => x.replace(/\s+/g, ' ').trim());
}
const written = (name) => `${t('booth.writeIn.inWords')} ${name}`;

const inWords = (names, order) => order.map((k, r) => t('booth.rank.inWords', { rank: ordinal(r + 1), name: names[k] }));

test('a voter ranks by keyboard only: ranks move, gaps close, the limit holds, every change is announced', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/`);
  await visible(page, 's-credential');
  await tabTo(page, '#credential');
  await page.keyboard.type(election.codes[0]);
  await page.keyboard.press('Enter');
  await visible(page, 's-ballot');
  assert.equal(await page.textContent('#c0-order-empty'), t('booth.rank.none'));
  await noA11yViolations(page, 'the ranked ballot');

  // Mayor: Moreau 1st, then Okafor 1st (Moreau moves to 2nd, and is told so).
  await keyTo(page, `#c0-o${MOREAU}`);
  await page.keyboard.type('1');
  assert.equal(await live(page, 0), t('booth.rank.now', { name: MAYOR[MOREAU], rank: '1st' }));
  await keyTo(page, `#c0-o${OKAFOR}`);
  await page.keyboard.type('1');
  assert.equal(await live(page, 0), [
    t('booth.rank.now', { name: MAYOR[OKAFOR], rank: '1st' }),
    t('booth.rank.now', { name: MAYOR[MOREAU], rank: '2nd' })].join(' '));
  assert.deepEqual(await ranking(page, 0), [MAYOR[OKAFOR], MAYOR[MOREAU]]);
  // Lindqvist 4th with two ranked: the gap closes, he is 3rd; the selectors say so.
  await keyTo(page, `#c0-o${LINDQVIST}`);
  await page.keyboard.type('4');
  assert.equal(await live(page, 0), t('booth.rank.now', { name: MAYOR[LINDQVIST], rank: '3rd' }));
  assert.equal(await page.inputValue(`#c0-o${LINDQVIST}`), '3');
  // Okafor not ranked after all ("N"ot ranked): the others move up.
  await keyTo(page, `#c0-o${OKAFOR}`);
  await page.keyboard.type('N');
  assert.ok((await live(page, 0)).startsWith(t('booth.rank.removed', { name: MAYOR[OKAFOR] })));
  assert.deepEqual(await ranking(page, 0), [MAYOR[MOREAU], MAYOR[LINDQVIST]]);
  assert.equal(await page.inputValue(`#c0-o${MOREAU}`), '1');

  // Council (at most 4 of 5): Chen, Alvarez, Eze, Brennan; then Dubois 2nd pushes Brennan out.
  await rankByKeyboard(page, 1, [CHEN, ALVAREZ, EZE, BRENNAN]);
  await keyTo(page, `#c1-o${DUBOIS}`);
  await page.keyboard.type('2');
  assert.ok((await live(page, 1)).endsWith(t('booth.rank.dropped', { name: COUNCIL[BRENNAN], max: 4 })), await live(page, 1));
  assert.deepEqual(await ranking(page, 1), [COUNCIL[CHEN], COUNCIL[DUBOIS], COUNCIL[ALVAREZ], COUNCIL[EZE]]);
  assert.equal(await page.inputValue(`#c1-o${BRENNAN}`), '0');
  // The referendum: yes.
  await tabTo(page, '#c2-o0');
  await page.keyboard.press('Space');
  // The harbour master: a name written in by keyboard. 40 bytes fit (the room left is
  // announced politely); one more character is refused with a message, and the ballot with it.
  assert.equal(await page.getAttribute('#c3-w1-feedback', 'aria-live'), 'polite');
  assert.ok((await page.getAttribute('#c3-w1-name', 'aria-describedby')).includes('c3-w1-limit'));
  assert.equal(await page.textContent('#c3-w1-limit'), t('booth.writeIn.limit', { max: 40 }));
  await tabTo(page, '#c3-w1-name');
  const forty = `${'x'.repeat(38)}é`;
  assert.equal(bytes(forty), 40);
  await page.keyboard.type(forty);
  assert.equal(await page.isChecked('#c3-w1'), true, 'typing a name chooses the write-in');
  assert.equal(await page.textContent('#c3-w1-feedback'), t('booth.writeIn.remaining', { remaining: 0, max: 40 }));
  await page.keyboard.type('y');
  assert.equal(await page.textContent('#c3-w1-feedback'), t('booth.writeIn.tooLong', { bytes: 41, max: 40 }));
  assert.equal(await page.getAttribute('#c3-w1-name', 'aria-invalid'), 'true');
  await noA11yViolations(page, 'a write-in name too long');
  await tabTo(page, '#ballot-review');
  await page.keyboard.press('Enter');
  assert.deepEqual(await page.locator('#ballot-errors li').allTextContents(),
    [t('booth.writeIn.error.tooLong', { contest: 'Harbour Master', slot: 1, bytes: 41, max: 40 })]);
  assert.equal(await page.isVisible('#s-review'), false);
  // The focus went to the field at fault: the voter replaces the name there.
  assert.equal(await page.evaluate(() => document.activeElement.id), 'c3-w1-name');
  await page.keyboard.press('Control+A');
  await page.keyboard.type(ZOE);
  assert.equal(await page.textContent('#c3-w1-feedback'),
    t('booth.writeIn.remaining', { remaining: 40 - bytes(ZOE), max: 40 }));
  assert.equal(await page.getAttribute('#c3-w1-name', 'aria-invalid'), null);
  await noA11yViolations(page, 'the ranked ballot, filled in');
  await screenshot(page, 'ranked-ballot');

  await tabTo(page, '#ballot-review');
  await page.keyboard.press('Enter');
  await visible(page, 's-review');
  assert.deepEqual(await shownRanking(page, 'review', 'Mayor'), inWords(MAYOR, [MOREAU, LINDQVIST]));
  assert.deepEqual(await shownRanking(page, 'review', 'City Council'), inWords(COUNCIL, [CHEN, DUBOIS, ALVAREZ, EZE]));
  assert.deepEqual(await shownLines(page, 'review', 'Harbour Master'), [written(ZOE)]);
  await noA11yViolations(page, 'the ranked review');
  await tabTo(page, '#review-encrypt');
  await page.keyboard.press('Enter');
  await visible(page, 's-decide');
  await noA11yViolations(page, 'the cast-or-challenge step');
  await tabTo(page, '#decide-cast');
  await page.keyboard.press('Enter');
  await visible(page, 's-cast');
  await page.locator('#receipt-status.ok').waitFor({ timeout: 60_000 });
  await noA11yViolations(page, 'the receipt');
  assert.deepEqual(problems, []);
});

test('a voter orders the ranking with the move buttons, challenges, checks it on a second device, casts', async () => {
  const phone = await launch({ width: 390, height: 844 });
  try {
    const { page, problems } = await watchedPage(phone.context, election.url);
    await enterCredential(page, election, election.codes[1]);
    // Picked from the selectors' lists, as on a touch screen: Lindqvist, Okafor, Tanaka.
    await page.selectOption(`#c0-o${LINDQVIST}`, '1');
    await page.selectOption(`#c0-o${OKAFOR}`, '2');
    await page.selectOption(`#c0-o${TANAKA}`, '3');
    // Tanaka up twice (to 1st), then Lindqvist removed: Tanaka, Okafor.
    await page.click(`#c0-order button[data-action="up"][data-option="${TANAKA}"]`);
    assert.equal(await live(page, 0), [
      t('booth.rank.now', { name: MAYOR[TANAKA], rank: '2nd' }),
      t('booth.rank.now', { name: MAYOR[OKAFOR], rank: '3rd' })].join(' '));
    // The focus stays on the moved candidate's button, so a keyboard user can go on.
    assert.equal(await page.evaluate(() => document.activeElement.dataset.option), String(TANAKA));
    await page.keyboard.press('Enter');
    assert.deepEqual(await ranking(page, 0), [MAYOR[TANAKA], MAYOR[LINDQVIST], MAYOR[OKAFOR]]);
    // At the top, "move up" is disabled and the focus moved to "move down".
    assert.equal(await page.evaluate(() => document.activeElement.dataset.action), 'down');
    await page.click(`#c0-order button[data-action="remove"][data-option="${LINDQVIST}"]`);
    assert.deepEqual(await ranking(page, 0), [MAYOR[TANAKA], MAYOR[OKAFOR]]);
    assert.equal(await page.inputValue(`#c0-o${LINDQVIST}`), '0');
    assert.equal(await page.inputValue(`#c0-o${OKAFOR}`), '2');
    // Council: Eze, then Alvarez; Alvarez moved down is a no-op at the bottom (disabled).
    await page.selectOption(`#c1-o${EZE}`, '1');
    await page.selectOption(`#c1-o${ALVAREZ}`, '2');
    assert.equal(await page.isDisabled(`#c1-order button[data-action="down"][data-option="${ALVAREZ}"]`), true);
    await page.check('#c2-o1');
    // A listed candidate first, then a name written in instead: the write-in takes its place.
    await page.check('#c3-o1');
    await page.fill('#c3-w1-name', ZOE_DECOMPOSED);
    assert.equal(await page.isChecked('#c3-w1'), true);
    assert.equal(await page.isChecked('#c3-o1'), false);
    assert.equal(await page.textContent('#c3-w1-feedback'),
      t('booth.writeIn.remaining', { remaining: 40 - bytes(ZOE), max: 40 }));
    await noA11yViolations(page, 'the ranked ballot at phone width');
    await screenshot(page, 'ranked-ballot-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);

    const challenged = await encrypt(page);
    await page.click('#decide-challenge');
    await visible(page, 's-challenge');
    // The opened ballot, re-encrypted and checked in this browser, holds the ranking in order.
    assert.deepEqual(await shownRanking(page, 'challenge-choices', 'Mayor'), inWords(MAYOR, [TANAKA, OKAFOR]));
    assert.deepEqual(await shownRanking(page, 'challenge-choices', 'City Council'), inWords(COUNCIL, [EZE, ALVAREZ]));
    // The written name as the count will read it: composed.
    assert.deepEqual(await shownLines(page, 'challenge-choices', 'Harbour Master'), [written(ZOE)]);
    await noA11yViolations(page, 'the ranked challenge');
    const link = await page.getAttribute('#challenge-link', 'href');

    const second = await launch({ width: 390, height: 844 });
    try {
      const { page: p2, problems: problems2 } = await watchedPage(second.context, election.url);
      await p2.goto(link);
      await p2.locator('#status.ok').waitFor({ timeout: 60_000 });
      assert.deepEqual(await shownRanking(p2, 'result', 'Mayor'), inWords(MAYOR, [TANAKA, OKAFOR]));
      assert.deepEqual(await shownRanking(p2, 'result', 'City Council'), inWords(COUNCIL, [EZE, ALVAREZ]));
      assert.deepEqual(await shownLines(p2, 'result', 'Harbour Master'), [written(ZOE)]);
      assert.ok((await p2.textContent('#result')).includes(challenged));
      await noA11yViolations(p2, 'the ranked challenge check');
      assert.deepEqual(problems2, []);
    } finally {
      await second.close();
    }

    // Back to the ballot: the ranking is kept; a fresh encryption of it is cast.
    await page.click('#challenge-again');
    await visible(page, 's-ballot');
    assert.deepEqual(await ranking(page, 0), [MAYOR[TANAKA], MAYOR[OKAFOR]]);
    const cast = await encrypt(page);
    assert.notEqual(cast, challenged);
    await castAndVerify(page);
    assert.deepEqual(problems, []);
  } finally {
    await phone.close();
  }
});

// Four more voters, by keyboard. Mayor first preferences over all six ballots: Lindqvist 3,
// Moreau 1, Tanaka 1, Okafor 1. Harbour master over all six: Zoë Ångström written in twice,
// Ada Lovelace once, Grace Ng and Marco Silva once each, one blank.
const MORE = [
  { mayor: [LINDQVIST, MOREAU], council: [ALVAREZ, CHEN, BRENNAN], harbour: 0 },
  { mayor: [LINDQVIST, OKAFOR], council: [CHEN, ALVAREZ], harbour: 'Ada Lovelace' },
  { mayor: [OKAFOR, MOREAU, LINDQVIST], council: [DUBOIS, EZE, ALVAREZ, CHEN], harbour: 1 },
  { mayor: [LINDQVIST], council: [ALVAREZ, EZE], harbour: null },
];

test('more voters rank by keyboard and cast', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  for (const [i, v] of MORE.entries()) {
    await enterCredential(page, election, election.codes[2 + i]);
    await rankByKeyboard(page, 0, v.mayor);
    await rankByKeyboard(page, 1, v.council);
    assert.deepEqual(await ranking(page, 0), v.mayor.map((k) => MAYOR[k]));
    assert.deepEqual(await ranking(page, 1), v.council.map((k) => COUNCIL[k]));
    await page.check('#c2-o0');
    if (typeof v.harbour === 'number') await page.check(`#c3-o${v.harbour}`);
    if (typeof v.harbour === 'string') {
      await tabTo(page, '#c3-w1-name');
      await page.keyboard.type(v.harbour);
    }
    await encrypt(page);
    assert.deepEqual(await shownRanking(page, 'review', 'Mayor'), inWords(MAYOR, v.mayor));
    const harbour = { number: [HARBOUR[v.harbour]], string: [written(v.harbour)] }[typeof v.harbour] ?? [];
    assert.deepEqual(await shownLines(page, 'review', 'Harbour Master'), harbour);
    await castAndVerify(page);
  }
  assert.deepEqual(problems, []);
});

test('after the mix, the decryption and the count, the results show every round and the transfers', async () => {
  await election.close();
  await election.mix();
  await election.tally();
  // The server posts the mixed count, then the result, once the second trustee's shares are in.
  const deadline = Date.now() + 120_000;
  while ((await fetch(`${election.api}/result`)).status !== 200) {
    assert.ok(Date.now() < deadline, 'the result was not posted');
    await new Promise((ok) => setTimeout(ok, 250));
  }
  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/results.html`);
  // The result follows the mixed count on the board; the page shows what the server posted.
  await page.locator('#results table').first().waitFor({ timeout: 60_000 });
  const count = await (await fetch(`${election.api}/mix/count`)).json();
  assert.equal(count.contests.length, 2);
  const irv = count.contests.find((c) => c.contest === 'mayor').transcript;
  const stv = count.contests.find((c) => c.contest === 'council').transcript;
  assert.equal(irv.ballots, 6);
  assert.equal(stv.elected.length, 2);
  // Lindqvist has 3 of 6 first preferences and later preferences on two of the other three
  // ballots: whichever of the three tied candidates is excluded first, he wins.
  assert.deepEqual(irv.elected, [LINDQVIST]);

  for (const [title, names, transcript] of [['Mayor', MAYOR, irv], ['City Council', COUNCIL, stv]]) {
    const section = page.locator('#results section.result', { has: page.locator('h2', { hasText: title }) });
    assert.equal(await section.locator('.outcome').textContent(),
      t('results.ranked.elected', { names: transcript.elected.map((k) => names[k]).join(', ') }));
    // One table per round, each with every candidate's votes as the transcript has them.
    const tables = section.locator('table');
    assert.equal(await tables.count(), transcript.rounds.length);
    assert.ok(transcript.rounds.length >= 2, `${title}: a count with transfers`);
    for (const [i, round] of transcript.rounds.entries()) {
      const cells = await tables.nth(i).locator('tbody td').allTextContents();
      assert.deepEqual(cells, [...round.tallies, round.non_transferable]);
    }
    // The chart: one group of bars per round, hidden from assistive technology, described.
    const chart = section.locator('figure.transfers');
    assert.equal(await chart.locator('svg').getAttribute('aria-hidden'), 'true');
    assert.equal(await chart.locator('g[data-round]').count(), transcript.rounds.length);
    assert.equal(await chart.locator('g[data-round] rect.gained').count(), transcript.rounds.length * names.length);
    assert.ok((await chart.locator('figcaption').textContent()).length > 0);
    // Round 1 holds first preferences (nothing transferred); a later round shows a transfer.
    const gained = (r) => chart.locator(`g[data-round="${r}"] rect.gained`)
      .evaluateAll((rs) => rs.map((x) => Number(x.getAttribute('width'))));
    assert.deepEqual(await gained(1), names.map(() => 0));
    let transferred = 0;
    for (let r = 2; r <= transcript.rounds.length; r += 1) transferred += (await gained(r)).reduce((a, b) => a + b, 0);
    assert.ok(transferred > 0, `${title}: the chart shows the transfers`);
    assert.equal(await chart.locator('line.quota').count(), transcript.quota ? 1 : 0);
  }
  // The harbour master: the listed candidates' votes, the names written in with their counts
  // (the decomposed spelling counted with the composed one), no invalid write-in.
  const wi = count.write_ins.find((c) => c.contest === 'harbour-master');
  assert.deepEqual([wi.ballots, wi.counts, wi.names, wi.invalid], [6, [1, 1], [[ZOE, 2], ['Ada Lovelace', 1]], 0]);
  const harbour = page.locator('#results section.result', { has: page.locator('h2', { hasText: 'Harbour Master' }) });
  const listedRows = await harbour.locator('table').first().locator('tbody tr').evaluateAll(
    (rows) => rows.map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent]));
  assert.deepEqual(listedRows.sort(), [[HARBOUR[0], '1'], [HARBOUR[1], '1']]);
  const nameRows = await harbour.locator('table.written-names tbody tr').evaluateAll(
    (rows) => rows.map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent]));
  assert.deepEqual(nameRows, [[ZOE, '2'], ['Ada Lovelace', '1']]);
  assert.equal(await harbour.locator('.invalid-write-ins').textContent(), t('results.writeIn.invalid', { invalid: 0 }));
  // The referendum is tallied homomorphically beside them.
  const referendum = page.locator('#results section.result', { hasText: 'night buses' });
  assert.match(await referendum.locator('tr', { hasText: 'Yes' }).textContent(), /Yes\s*5/);
  await noA11yViolations(page, 'the ranked results');
  await screenshot(page, 'ranked-results');
  assert.deepEqual(problems, []);
});

test('the observer verifies the ranked election in the browser, recounting every ranked and write-in contest', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/observer.html`);
  await page.locator('#board dl').waitFor();
  await page.click('#verify');
  await page.locator('#verify-status.ok, #verify-status.bad').waitFor({ timeout: 300_000 });
  const checks = await page.textContent('#verify-checks');
  assert.match(await page.textContent('#verify-status'), /passed/, checks);
  // Check 28 (mix.ranked) ran and passed: not "not applicable".
  const recount = page.locator('#verify-checks > li', { hasText: 'each ranked contest\'s count on the board equals' });
  assert.equal(await recount.locator('strong').first().textContent(), t('observer.verify.pass'), checks);
  // Check 29 (mix.write_ins) ran and passed: the names written in were recounted.
  const names = page.locator('#verify-checks > li', { hasText: 'each write-in contest\'s names and counts on the board equal' });
  assert.equal(await names.locator('strong').first().textContent(), t('observer.verify.pass'), checks);
  await noA11yViolations(page, 'the ranked election verified');
  assert.deepEqual(problems, []);
});
