// Write-ins in the checkbox form, in headless Chromium against a real `psephos serve`
// (support.js): an approval contest of up to two, three listed candidates and two write-in slots
// of at most 9 bytes (tests/browser/write-ins.toml). A voter's names count under the contest's
// limit (a third selection is refused in words), a ticked slot without a name is refused with the
// focus moved to its field, the challenge shows both names, and a voter who writes one name in
// both slots is counted once for it. After the mix and the decryption the results page lists the
// listed candidates' votes and the names with their counts. axe-core checks every view; no page
// may make a third-party request or log an error (CSP).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { t } from '../../web/src/strings.js';
import { startElection, launch, watchedPage, screenshot, tabTo, noA11yViolations, visible, enterCredential } from './support.js';

const here = dirname(fileURLToPath(import.meta.url));
const TITLE = 'Harbour Board (up to 2)';
const LISTED = ['Ana Lima', 'Bo Berg', 'Cy Dunn'];
// 6 bytes of UTF-8 (Ö takes two).
const ORJAN = 'Örjan';

let election;
let browser;

before(async () => {
  election = await startElection({ manifest: join(here, 'write-ins.toml'), voters: ['all', 'all', 'all'] });
  browser = await launch();
}, { timeout: 600_000 });

after(async () => {
  if (browser) await browser.close();
  if (election) await election.stop();
});

/** The lines shown for the contest in `container` (the review or the challenge). */
async function shownLines(page, container) {
  const block = page.locator(`#${container} .review-contest`, { has: page.locator('h3', { hasText: TITLE }) });
  return (await block.locator('li').allTextContents()).map((x) => x.replace(/\s+/g, ' ').trim());
}
const written = (name) => `${t('booth.writeIn.inWords')} ${name}`;
const errors = (page) => page.locator('#ballot-errors li').allTextContents();

async function review(page) {
  await page.click('#ballot-review');
}

async function castAndVerify(page) {
  await page.click('#decide-cast');
  await visible(page, 's-cast');
  await page.locator('#receipt-status.ok').waitFor({ timeout: 60_000 });
}

test('names count under the limit, an empty ticked slot is refused, the challenge shows both names', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await enterCredential(page, election, election.codes[0]);
  // Two slots, each a checkbox with a labelled name field and the byte limit.
  assert.equal(await page.getAttribute('#c0-w1', 'type'), 'checkbox');
  assert.equal(await page.textContent('label[for="c0-w2-name"]'), t('booth.writeIn.nameLabelN', { n: 2 }));
  assert.equal(await page.textContent('#c0-w1-limit'), t('booth.writeIn.limit', { max: 9 }));
  await noA11yViolations(page, 'the write-in ballot');

  // Ana, and a name in each slot, by keyboard: three selections of two allowed.
  await tabTo(page, '#c0-o0');
  await page.keyboard.press('Space');
  await tabTo(page, '#c0-w1-name');
  await page.keyboard.type(ORJAN);
  assert.equal(await page.textContent('#c0-w1-feedback'), t('booth.writeIn.remaining', { remaining: 3, max: 9 }));
  assert.equal(await page.textContent('#c0-live'), t('booth.ballot.selected', { n: 2 }));
  await tabTo(page, '#c0-w2-name');
  await page.keyboard.type('Li');
  assert.equal(await page.isChecked('#c0-w2'), true);
  assert.equal(await page.textContent('#c0-live'), t('booth.ballot.selected', { n: 3 }));
  await review(page);
  assert.deepEqual(await errors(page), [t('booth.writeIn.error.tooMany', { contest: TITLE, total: 2, used: 3 })]);
  assert.equal(await page.isVisible('#s-review'), false);

  // Ana unticked; the second name erased (its slot unticks), then its slot ticked with no name.
  await page.uncheck('#c0-o0');
  await page.fill('#c0-w2-name', '');
  assert.equal(await page.isChecked('#c0-w2'), false);
  await page.check('#c0-w2');
  await review(page);
  assert.deepEqual(await errors(page), [t('booth.writeIn.error.empty', { contest: TITLE, slot: 2 })]);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'c0-w2-name');
  assert.equal(await page.getAttribute('#c0-w2-name', 'aria-invalid'), 'true');
  await noA11yViolations(page, 'a write-in refused');
  // Ten bytes in a field of nine: said as typed, refused at review.
  await page.keyboard.type('Li Wenjing');
  assert.equal(await page.textContent('#c0-w2-feedback'), t('booth.writeIn.tooLong', { bytes: 10, max: 9 }));
  await review(page);
  assert.deepEqual(await errors(page), [t('booth.writeIn.error.tooLong', { contest: TITLE, slot: 2, bytes: 10, max: 9 })]);
  await page.fill('#c0-w2-name', 'Li');
  await screenshot(page, 'write-ins-ballot');

  // On by keyboard, from the name field to "Review my choices" (a mouse click right after a
  // full-page screenshot can miss in headless Chromium: the screenshot resizes the viewport).
  await tabTo(page, '#ballot-review');
  await page.keyboard.press('Enter');
  await visible(page, 's-review');
  assert.deepEqual(await shownLines(page, 'review'), [written(ORJAN), written('Li')]);
  await page.click('#review-encrypt');
  await visible(page, 's-decide');
  await page.click('#decide-challenge');
  await visible(page, 's-challenge');
  assert.deepEqual(await shownLines(page, 'challenge-choices'), [written(ORJAN), written('Li')]);
  await noA11yViolations(page, 'the write-in challenge');
  await page.click('#challenge-again');
  await visible(page, 's-ballot');
  await review(page);
  await visible(page, 's-review');
  await page.click('#review-encrypt');
  await visible(page, 's-decide');
  await castAndVerify(page);
  assert.deepEqual(problems, []);
});

test('two more voters: a listed candidate and a name; one name in both slots', async () => {
  const { page, problems } = await watchedPage(browser.context, election.url);
  await enterCredential(page, election, election.codes[1]);
  await page.check('#c0-o0');
  await page.fill('#c0-w1-name', 'Li');
  await review(page);
  await visible(page, 's-review');
  assert.deepEqual(await shownLines(page, 'review'), [LISTED[0], written('Li')]);
  await page.click('#review-encrypt');
  await visible(page, 's-decide');
  await castAndVerify(page);

  await enterCredential(page, election, election.codes[2]);
  await page.fill('#c0-w1-name', 'Li');
  await page.fill('#c0-w2-name', ' Li ');
  await review(page);
  await visible(page, 's-review');
  assert.deepEqual(await shownLines(page, 'review'), [written('Li'), written('Li')]);
  await page.click('#review-encrypt');
  await visible(page, 's-decide');
  await castAndVerify(page);
  assert.deepEqual(problems, []);
});

test('after the mix and the decryption, the results list the names written in with their counts', async () => {
  await election.close();
  await election.mix();
  await election.tally();
  const deadline = Date.now() + 120_000;
  while ((await fetch(`${election.api}/result`)).status !== 200) {
    assert.ok(Date.now() < deadline, 'the result was not posted');
    await new Promise((ok) => setTimeout(ok, 250));
  }
  const count = await (await fetch(`${election.api}/mix/count`)).json();
  assert.deepEqual(count.contests, []);
  // The third voter's two "Li" count once for Li; Örjan once; no invalid write-in.
  assert.deepEqual(count.write_ins, [{
    contest: 'board', ballots: 3, counts: [1, 0, 0], names: [['Li', 3], [ORJAN, 1]], invalid: 0,
  }]);

  const { page, problems } = await watchedPage(browser.context, election.url);
  await page.goto(`${election.url}/results.html`);
  const section = page.locator('#results section.result.write-ins');
  await section.locator('table.written-names').waitFor({ timeout: 60_000 });
  const rows = (loc) => loc.locator('tbody tr').evaluateAll(
    (trs) => trs.map((r) => [r.querySelector('th').textContent, r.querySelector('td').textContent]));
  assert.deepEqual(await rows(section.locator('table').first()), [[LISTED[0], '1'], [LISTED[1], '0'], [LISTED[2], '0']]);
  assert.deepEqual(await rows(section.locator('table.written-names')), [['Li', '3'], [ORJAN, '1']]);
  assert.equal(await section.locator('.invalid-write-ins').textContent(), t('results.writeIn.invalid', { invalid: 0 }));
  assert.equal(await section.locator('h3').textContent(), t('results.writeIn.written'));
  await noA11yViolations(page, 'the write-in results');
  await screenshot(page, 'write-ins-results');
  assert.deepEqual(problems, []);
});
