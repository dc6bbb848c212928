// The booth, the check page, the observer and the results in headless Chromium against a real
// `psephos serve` (see support.js). Every page is checked with axe-core (WCAG 2.1 AA) on the
// way, and no page may make a third-party request or log an error (a CSP violation would).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { t } from '../../web/src/strings.js';
import { startElection, launch, watchedPage, screenshot, tabTo, repo, noA11yViolations, visible, enterCredential } from './support.js';

const TRACKING = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/;
let election;
let browser;

before(async () => {
  election = await startElection({ voters: ['everything', 'everything', 'everything', 'everything', 'bench'] });
  browser = await launch();
}, { timeout: 600_000 });

after(async () => {
  if (browser) await browser.close();
  if (election) await election.stop();
});

/** Fills the "everything" style with the mouse: yes, Grace, Emmy+Sofia, 3/1, 5/5/0, trees. */
async function fillBallotByMouse(page) {
  await page.check('#c0-o0');
  await page.check('#c1-o2');
  await page.check('#c2-o0');
  await page.check('#c2-o2');
  await page.fill('#c3-o0', '3');
  await page.fill('#c3-o1', '1');
  await page.fill('#c4-o0', '5');
  await page.fill('#c4-o1', '5');
  await page.check('#c5-o2');
}

async function encryptAndDecide(page) {
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

test('a voter votes in every contest kind with the keyboard only, at phone width, and verifies the receipt', async () => {
  const phone = await launch({ width: 390, height: 844 });
  try {
    const { page, problems } = await watchedPage(phone.context, election.url);
    await page.goto(`${election.url}/`);
    await visible(page, 's-credential');
    await noA11yViolations(page, 'the credential step');

    await tabTo(page, '#credential');
    await page.keyboard.type(election.codes[0].slice(0, 10));
    assert.equal(await page.textContent('#credential-feedback'), t('booth.credential.incomplete', { symbols: 9, expected: 24 }));
    await page.keyboard.type(election.codes[0].slice(10).toLowerCase());
    assert.equal(await page.textContent('#credential-feedback'), t('booth.credential.valid'));
    await page.keyboard.press('Enter');
    await visible(page, 's-ballot');
    await noA11yViolations(page, 'the ballot');

    // Referendum: yes. Plurality: the second candidate (arrow keys move within a radio group).
    await tabTo(page, '#c0-o0');
    await page.keyboard.press('Space');
    await tabTo(page, '#c1-o0');
    await page.keyboard.press('ArrowDown');
    assert.ok(await page.isChecked('#c1-o1'));
    // Approval (1 to 2): first and third.
    await tabTo(page, '#c2-o0');
    await page.keyboard.press('Space');
    await tabTo(page, '#c2-o2');
    await page.keyboard.press('Space');
    assert.equal(await page.textContent('#c2-live'), t('booth.ballot.selected', { n: 2 }));
    // Score (0 to 5).
    for (const [id, v] of [['#c3-o0', '4'], ['#c3-o1', '2'], ['#c4-o0', '3'], ['#c4-o1', '6'], ['#c4-o2', '1']]) {
      await tabTo(page, id);
      await page.keyboard.press('Control+A');
      await page.keyboard.type(v);
    }
    assert.equal(await page.textContent('#c4-live'), t('booth.ballot.remainingPoints', { remaining: '0', total: '10' }));
    // Budget: library (120,000) and trees (60,000).
    await tabTo(page, '#c5-o0');
    await page.keyboard.press('Space');
    await tabTo(page, '#c5-o2');
    await page.keyboard.press('Space');
    assert.equal(await page.textContent('#c5-live'), t('booth.ballot.remainingBudget', { remaining: '120,000', total: '300,000' }));
    await screenshot(page, 'booth-ballot-phone');

    await tabTo(page, '#ballot-review');
    await page.keyboard.press('Enter');
    await visible(page, 's-review');
    const review = await page.textContent('#review');
    for (const s of ['Alan Turing', 'Emmy Noether', 'Sofia Kovalevskaya', 'North park: 4', 'Saturday: 6', 'Library hours', 'Street trees']) {
      assert.ok(review.includes(s), `review shows ${s}`);
    }
    await noA11yViolations(page, 'the review');

    await tabTo(page, '#review-encrypt');
    await page.keyboard.press('Enter');
    await visible(page, 's-decide');
    assert.match((await page.textContent('#tracking-code')).trim(), TRACKING);
    await noA11yViolations(page, 'the cast-or-challenge step');

    await tabTo(page, '#decide-cast');
    await page.keyboard.press('Enter');
    await visible(page, 's-cast');
    await page.locator('#receipt-status.ok').waitFor({ timeout: 60_000 });
    const receipt = await page.textContent('#receipt');
    assert.ok(receipt.includes(t('receipt.signer.board', { name: 'browser.test/e1' })), receipt);
    await noA11yViolations(page, 'the receipt');
    await screenshot(page, 'booth-receipt-phone');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than a phone`);
    assert.deepEqual(problems, []);
  } finally {
    await phone.close();
  }
});

test('a voter challenges, checks the ballot on a second device, then casts', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await enterCredential(page, election, election.codes[1]);
  await fillBallotByMouse(page);
  const challenged = await encryptAndDecide(page);
  await page.click('#decide-challenge');
  await visible(page, 's-challenge');
  const choices = await page.textContent('#challenge-choices');
  for (const s of ['Grace Hopper', 'Emmy Noether', 'Sofia Kovalevskaya', 'North park: 3', 'Friday: 5', 'Street trees']) {
    assert.ok(choices.includes(s), `the opened ballot shows ${s}`);
  }
  assert.equal(await page.locator('#challenge-qr svg path').count(), 1);
  const link = await page.getAttribute('#challenge-link', 'href');
  assert.match(link, /check\.html#challenge=\d+$/);
  await noA11yViolations(page, 'the challenge');
  await screenshot(page, 'booth-challenge');

  // The second device: another browser profile opens the link and checks the board's entry.
  const second = await launch({ width: 390, height: 844 });
  try {
    const { page: p2, problems: problems2 } = await watchedPage(second.context, election.url);
    await p2.goto(link);
    await p2.locator('#status.ok').waitFor({ timeout: 60_000 });
    const index = Number(link.split('=').at(-1));
    assert.equal(await p2.textContent('#status'), t('check.challenge.intro', { index }));
    const shown = await p2.textContent('#result');
    for (const s of ['Grace Hopper', 'Emmy Noether', 'Street trees', challenged]) assert.ok(shown.includes(s), `second device shows ${s}`);
    await noA11yViolations(p2, 'the challenge check');
    await screenshot(p2, 'check-challenge-phone');
    assert.deepEqual(problems2, []);
  } finally {
    await second.close();
  }

  // Start again: the choices are kept; a fresh encryption is cast.
  await page.click('#challenge-again');
  await visible(page, 's-ballot');
  assert.ok(await page.isChecked('#c1-o2'));
  const cast = await encryptAndDecide(page);
  assert.notEqual(cast, challenged);
  await castAndVerify(page);

  await page.goto(`${election.url}/check.html#code=${challenged}`);
  await page.locator('#status.ok').waitFor({ timeout: 60_000 });
  assert.ok((await page.textContent('#result')).includes(t('check.status.challenged')));
  assert.deepEqual(problems, []);
});

test('a voter votes again; the first ballot is superseded; broken rules are explained', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await enterCredential(page, election, election.codes[2]);
  await fillBallotByMouse(page);
  // Over-vote and budget overrun are refused before encryption, with the rule in words.
  await page.check('#c2-o3');
  await page.check('#c5-o0');
  await page.check('#c5-o1');
  await page.click('#ballot-review');
  const errors = await page.textContent('#ballot-errors');
  assert.ok(errors.includes(t('booth.ballot.error.tooMany', { contest: 'Town council (choose 1 to 2)', max: 2 })), errors);
  assert.ok(errors.includes(t('booth.ballot.error.limit', { contest: 'Projects (total at most 300,000)', used: '430,000', total: '300,000' })), errors);
  await noA11yViolations(page, 'the ballot with errors');
  await screenshot(page, 'booth-ballot-errors');
  await page.uncheck('#c2-o3');
  await page.uncheck('#c5-o1');
  const first = await encryptAndDecide(page);
  await castAndVerify(page);
  const firstIndex = Number((await page.textContent('#receipt dl dd:nth-of-type(2)')).replace(/\D/g, ''));

  await page.click('#cast-again');
  await visible(page, 's-credential');
  await page.fill('#credential', election.codes[2]);
  await page.click('#credential-continue');
  await visible(page, 's-ballot');
  await fillBallotByMouse(page);
  const second = await encryptAndDecide(page);
  await castAndVerify(page);
  assert.equal(await page.textContent('#superseded'), t('booth.cast.superseded', { index: firstIndex }));

  await page.goto(`${election.url}/check.html#code=${first}`);
  await page.locator('#status.ok').waitFor({ timeout: 60_000 });
  assert.ok((await page.textContent('#result')).includes(t('check.status.superseded')));
  await page.goto(`${election.url}/check.html`);
  await page.fill('#tracking', second);
  await page.click('#check-form button');
  await page.locator('#status.ok').waitFor({ timeout: 60_000 });
  assert.ok((await page.textContent('#result')).includes(t('check.status.cast')));
  await noA11yViolations(page, 'the check page');
  await screenshot(page, 'check-cast');
  assert.deepEqual(problems, []);
});

test('a wrong credential is refused with a clear message', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  // A well-formed code that is not on this election's list (made for another election).
  const dir = mkdtempSync(join(tmpdir(), 'psephos-other-'));
  try {
    writeFileSync(join(dir, 'voters.csv'), 'voter_id,style\nx,national\n');
    const bin = process.env.PSEPHOS_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, 'target'), 'debug', 'psephos');
    execFileSync(bin, ['credentials', 'generate', '--election', join(repo, 'election-config', 'referendum.toml'),
      '--voters', join(dir, 'voters.csv'), '--public', join(dir, 'p.json'), '--private', join(dir, 'c.csv')]);
    const foreign = readFileSync(join(dir, 'c.csv'), 'utf8').trim().split('\n')[1].split(',').at(-1);
    await page.goto(`${election.url}/`);
    await visible(page, 's-credential');
    await page.fill('#credential', foreign);
    assert.equal(await page.textContent('#credential-feedback'), t('booth.credential.valid'));
    await page.click('#credential-continue');
    await page.locator('#credential-error:not(:empty)').waitFor();
    assert.equal(await page.textContent('#credential-error'), t('booth.credential.unknown'));
    assert.equal(await page.getAttribute('#credential', 'aria-invalid'), 'true');
    assert.ok(await page.isVisible('#s-credential'));
    await noA11yViolations(page, 'the refused credential');
    await screenshot(page, 'booth-wrong-credential');

    // A typing mistake is caught by the checksum before anything is sent.
    const code = election.codes[3];
    const typo = (code[0] === '7' ? '8' : '7') + code.slice(1);
    await page.fill('#credential', typo);
    assert.equal(await page.textContent('#credential-feedback'), t('booth.credential.checksum'));
    await page.fill('#credential', 'ABCU');
    assert.equal(await page.textContent('#credential-feedback'), t('booth.credential.badCharacter', { position: 4, character: 'U' }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // The refused code made no request other than the lookup; nothing else went wrong.
  assert.deepEqual(problems.filter((p) => !p.includes('404')), []);
});

test('the observer follows the board live; after the tally the results are shown', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/observer.html`);
  await page.locator('#board dl').waitFor();
  await page.waitForFunction((s) => document.querySelector('#board').textContent.includes(s), t('observer.live.on'));
  const board = await page.textContent('#board');
  assert.ok(board.includes(t('receipt.signer.board', { name: 'browser.test/e1' })), board);
  await noA11yViolations(page, 'the observer page');
  await screenshot(page, 'observer-open');

  // Closing, the tally and the result are seen live, over Server-Sent Events.
  await election.close();
  await page.waitForFunction((s) => document.querySelector('#board').textContent.includes(s),
    t('election.phase.closed'), { timeout: 30_000 });
  await election.tally();
  await page.waitForFunction((s) => document.querySelector('#board').textContent.includes(s),
    t('election.phase.decrypted'), { timeout: 60_000 });
  assert.deepEqual(problems, []);

  const results = await watchedPage(browser.context, election.url);
  await results.page.goto(`${election.url}/results.html`);
  await results.page.locator('#results table').first().waitFor({ timeout: 30_000 });
  const text = await results.page.textContent('#results');
  for (const s of ['Mayor', 'Grace Hopper', 'Alan Turing', 'Projects (total at most 300,000)']) assert.ok(text.includes(s), s);
  // Four voters cast (one twice, one challenged first): Grace Hopper has the two mouse ballots.
  const grace = await results.page.locator('#results tr', { hasText: 'Grace Hopper' }).first().textContent();
  assert.match(grace, /Grace Hopper\s*2/);
  assert.equal(await results.page.textContent('#status'),
    t('results.turnout', { voters: '3', credentials: '5', percent: '60%' }));
  await noA11yViolations(results.page, 'the results page');
  await screenshot(results.page, 'results');
  assert.deepEqual(results.problems, []);
});

// The in-browser verifier is psephos_record::verify compiled to wasm, reading the record the
// server streams at GET /api/v1/elections/{election}/record. Keys the server supplies are never reported as pinned:
// without keys typed in, the page says the keys come from the record; with the board key pinned
// by the user, it says so.
test('the observer verifies the whole election in the browser', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/observer.html`);
  await page.locator('#board dl').waitFor();
  await page.click('#verify');
  await page.locator('#verify-status.ok, #verify-status.bad').waitFor({ timeout: 300_000 });
  let verdict = await page.textContent('#verify-status');
  assert.match(verdict, /passed/, `${verdict}\n${await page.textContent('#verify-checks')}`);
  let trust = await page.textContent('#verify-trust');
  const fromRecord = t('observer.verify.source.record_header');
  assert.ok(trust.includes(t('observer.verify.trust.board', { source: fromRecord })), trust);
  assert.ok(!trust.includes(t('observer.verify.source.pinned')), trust);

  // Pin the board key (as an observer would, from the election's official publication).
  const info = await (await fetch(election.api)).json();
  await page.click('#keys summary');
  // The board key pasted as a witness key is refused and never kept: a key counts only as its
  // type, and a board key among the witnesses would count the board's signature as a cosignature.
  await page.fill('#witnesses', info.board.verifier_key);
  await page.dispatchEvent('#witnesses', 'change');
  assert.equal(await page.$eval('#witnesses', (e) => e.validationMessage),
    t('observer.witnesses.wrongType', { key: info.board.verifier_key }));
  assert.equal(await page.evaluate(() => localStorage.getItem('psephos.witnesses')), null);
  await page.fill('#witnesses', '');
  await page.dispatchEvent('#witnesses', 'change');
  await page.fill('#board-key', info.board.verifier_key);
  await page.click('#verify');
  await page.waitForFunction((s) => document.querySelector('#verify-trust').textContent.includes(s),
    t('observer.verify.trust.board', { source: t('observer.verify.source.pinned') }), { timeout: 300_000 });
  await page.locator('#verify-status.ok, #verify-status.bad').waitFor({ timeout: 300_000 });
  verdict = await page.textContent('#verify-status');
  assert.match(verdict, /passed/, `${verdict}\n${await page.textContent('#verify-checks')}`);
  trust = await page.textContent('#verify-trust');
  assert.ok(trust.includes(fromRecord), `the witness keys still come from the record: ${trust}`);
  await noA11yViolations(page, 'the verification report');
  await screenshot(page, 'observer-verified');
  assert.deepEqual(problems, []);
});

// The booth manifest (docs/protocol.md §11.6): the booth shows its hash, the observer page finds
// that the files it was served match it, `psephos verify-booth` agrees against this very build,
// and a page whose module or wasm is not the build's does not run (Subresource Integrity).
test('the booth is the one its board pins, and the browser refuses other bytes', async () => {
  const booth = await (await fetch(`${election.api}/booth`)).json();
  assert.equal(booth.matches, true, JSON.stringify(booth));
  const { hash, files } = booth.posted.manifest;
  assert.match(hash, /^[0-9a-f]{64}$/);

  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/`);
  // "About this election" shows the hash in every phase (voting is closed by the tests above).
  await page.locator('#booth-manifest').waitFor({ state: 'attached', timeout: 60_000 });
  assert.equal((await page.textContent('#booth-manifest')).trim(), hash);
  assert.deepEqual(problems, []);

  const observer = await watchedPage(browser.context, election.url);
  await observer.page.goto(`${election.url}/observer.html`);
  const ok = t('observer.booth.ok', { n: String(Object.keys(files).length) });
  await observer.page.waitForFunction((s) => document.querySelector('#booth-status').textContent === s, ok,
    { timeout: 60_000 });
  assert.ok((await observer.page.textContent('#booth-hash')).includes(hash));
  await noA11yViolations(observer.page, 'the observer page with the booth check');
  assert.deepEqual(observer.problems, []);

  // The command-line check, against the served files and this build of web/dist.
  const origin = new URL(election.url).origin;
  const out = execFileSync(process.env.PSEPHOS_BIN,
    ['verify-booth', origin, '--election', 'e1', '--build', join(repo, 'web/dist')],
    { encoding: 'utf8', env: { ...process.env, RUST_LOG: 'warn' } });
  assert.ok(out.includes(`Booth manifest ${hash}`), out);
  assert.ok(!out.includes('FAIL'), out);

  // A server that alters a module the page imports, or the wasm: the booth never starts.
  for (const [pattern, alter] of [
    ['**/common.js', (b) => Buffer.concat([b, Buffer.from('\n// altered\n')])],
    ['**/psephos_wasm_bg.wasm', (b) => Buffer.concat([b, Buffer.from([0])])],
  ]) {
    const bad = await watchedPage(browser.context, election.url);
    await bad.page.route(pattern, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, body: alter(await res.body()) });
    });
    await bad.page.goto(`${election.url}/`);
    const deadline = Date.now() + 30_000;
    while (!bad.problems.some((p) => /integrity|digest/i.test(p))
      && !/integrity|digest/i.test(await bad.page.textContent('#status'))) {
      assert.ok(Date.now() < deadline, `${pattern}: no integrity failure seen: ${bad.problems}`);
      await new Promise((ok) => setTimeout(ok, 200));
    }
    assert.equal(await bad.page.isVisible('#s-credential'), false, pattern);
    await bad.page.close();
  }
});
