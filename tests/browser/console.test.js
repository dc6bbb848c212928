// The officials' console in headless Chromium against a real `psephos serve` (support.js): the
// whole official flow without a terminal except for the trustees' and the credential
// authority's own commands. The operator creates the election and hands over the officials'
// token; the officials define contests of every kind through the form (with the core's
// validation errors shown beside their fields, a TOML import, the booth's own preview), follow a
// ceremony of three `psephos trustee ceremony` processes, publish the credential list, open
// (after a refusal by the rules), see a booth vote arrive, close, tally, see the result once two
// trustees decrypt, and verify the record in the browser. A second election is defined with
// write-ins (plurality and approval): the core's refusals of §6.2's rules beside their fields,
// the booth's write-in fields in the preview, and the definition the server accepts. axe-core
// checks every console view.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { t } from '../../web/src/strings.js';
import { startService, psephos, launch, watchedPage, screenshot, noA11yViolations } from './support.js';

let service;
let browser;

before(async () => {
  service = await startService();
  browser = await launch({ width: 1024, height: 900 });
}, { timeout: 600_000 });

after(async () => {
  if (browser) await browser.close();
  if (service) await service.stop();
});

/** Shows the explorer's view `name` and waits until it is loaded. */
async function explore(page, name) {
  await page.click(`[data-view="${name}"]`);
  await page.locator('#view:not([aria-busy])').waitFor();
}

/** Checks the form and waits for the preview; fails with the form's error if there is one. */
async function preview(page) {
  await page.click('#check');
  await page.locator('#preview:not([hidden]), #define-error:not(:empty)').first().waitFor();
  assert.equal(await page.textContent('#define-error'), '', 'the form is valid');
  await page.locator('#preview').waitFor({ state: 'visible' });
}

const contest = (page, n) => page.locator('#contest-list > fieldset.contest').nth(n);
const style = (page, n) => page.locator('#style-list > fieldset.contest').nth(n);

/** Fills contest `n` (already added): id, title, kind, parameters, options `[id, label, cost?]`. */
async function fillContest(page, n, { id, title, kind, params = {}, options = [] }) {
  const c = contest(page, n);
  await c.getByLabel(t('console.contest.kind'), { exact: true }).selectOption(kind);
  await c.getByLabel(t('console.contest.id'), { exact: true }).fill(id);
  await c.getByLabel(t('console.contest.title'), { exact: true }).fill(title);
  for (const [name, value] of Object.entries(params)) {
    const input = c.getByLabel(t(`console.param.${name}`), { exact: true });
    if (typeof value === 'boolean') await input.setChecked(value);
    else await input.fill(String(value));
  }
  // Bring the number of option rows to the number wanted.
  const rows = () => c.locator('li.option-row');
  while (await rows().count() > options.length) {
    await rows().last().getByRole('button', { name: t('console.remove') }).click();
  }
  while (await rows().count() < options.length) {
    await c.getByRole('button', { name: t('console.option.add') }).click();
  }
  for (const [i, [oid, label, cost]] of options.entries()) {
    await c.getByLabel(t('console.option.id', { n: i + 1 }), { exact: true }).fill(oid);
    await c.getByLabel(t('console.option.label', { n: i + 1 }), { exact: true }).fill(label);
    if (cost !== undefined) await c.getByLabel(t('console.option.cost', { n: i + 1 }), { exact: true }).fill(String(cost));
  }
}

const CONTESTS = [
  { id: 'q-ref', title: 'Adopt the new charter?', kind: 'referendum' },
  { id: 'mayor', title: 'Mayor', kind: 'plurality', params: { blank_allowed: true },
    options: [['ada', 'Ada'], ['grace', 'Grace'], ['alan', 'Alan']] },
  { id: 'council', title: 'Council', kind: 'approval', params: { min_selections: 0, max_selections: 2 },
    options: [['emmy', 'Emmy'], ['sofia', 'Sofia'], ['hedy', 'Hedy']] },
  { id: 'parks', title: 'Rate the parks', kind: 'score', params: { max_score: 5 },
    options: [['north-park', 'North park'], ['south-park', 'South park']] },
  { id: 'priorities', title: 'Priorities', kind: 'cumulative', params: { max_per_option: 3, max_total: 5 },
    options: [['roads', 'Roads'], ['schools', 'Schools'], ['clinics', 'Clinics']] },
  { id: 'budget', title: 'Participatory budget', kind: 'budget', params: { budget: 100 },
    options: [['trees', 'Trees', 40], ['benches', 'Benches', 30], ['lights', 'Lights', 50]] },
];

test('the officials run an election end to end from the console', async () => {
  const { page, problems } = await watchedPage(browser.context, service.service);
  const pass = service.pass;
  const dir = service.dir;

  // Trustees make their keys with their own command; their public key files go to the officials.
  for (const name of ['alice', 'bob', 'carol']) {
    await psephos(['trustee', 'init', name, '--dir', dir, '--passphrase-file', pass]);
  }

  // --- The operator creates the election and hands over the token. ----------------------------
  await page.goto(`${service.service}/admin/`);
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await noA11yViolations(page, 'the console sign-in');
  await page.fill('#op-token', 'not-the-operator-token');
  await page.fill('#new-id', 'town');
  await page.click('#create');
  await page.locator('#create-error:not(:empty)').waitFor();
  assert.equal(await page.locator('#created').isVisible(), false);
  await page.fill('#op-token', service.operatorToken);
  await page.click('#create');
  await page.locator('#created').waitFor({ state: 'visible' });
  const officials = (await page.textContent('#created-token')).trim();
  assert.match(officials, /^[0-9a-f]{64}$/);

  // A wrong token is refused; the right one signs in (kept in sessionStorage, no cookie).
  await page.fill('#signin-election', 'town');
  await page.fill('#signin-token', 'f'.repeat(64));
  await page.click('#signin');
  await page.locator('#signin-error:not(:empty)').waitFor();
  await page.click('#created-signin');
  await page.click('#signin');
  await page.locator('#p-define').waitFor({ state: 'visible' });
  assert.deepEqual(await browser.context.cookies(), []);
  await noA11yViolations(page, 'the define form');

  // --- Define: every contest kind through the form. -------------------------------------------
  await page.fill('#f-id', 'town-2026');
  await page.fill('#f-name', 'Town election 2026');
  await page.setInputFiles('#f-trustee-file', ['alice', 'bob', 'carol'].map((n) => join(dir, `${n}.trustee.json`)));
  await page.locator('#trustee-list li').nth(2).waitFor();
  await page.fill('#f-threshold', '4');
  for (let i = 1; i < CONTESTS.length; i += 1) await page.click('#add-contest');
  for (const [i, c] of CONTESTS.entries()) await fillContest(page, i, c);
  await style(page, 0).getByLabel(t('console.style.id'), { exact: true }).fill('north');
  await page.click('#add-style');
  const south = style(page, 1);
  await south.getByLabel(t('console.style.id'), { exact: true }).fill('south');
  await south.getByLabel('Adopt the new charter?', { exact: true }).check();
  await south.getByLabel('Mayor', { exact: true }).check();

  // The core's validator answers, next to the field it concerns: k of n first…
  await page.click('#check');
  const threshold = page.locator('#f-threshold[aria-invalid="true"]');
  await threshold.waitFor();
  assert.match(await page.locator('#f-threshold ~ .field-error').textContent(), /threshold/);
  await page.fill('#f-threshold', '2');
  // …then a budget option costing more than the budget.
  await contest(page, 5).getByLabel(t('console.option.cost', { n: 3 }), { exact: true }).fill('150');
  await page.click('#check');
  const cost = contest(page, 5).getByLabel(t('console.option.cost', { n: 3 }), { exact: true });
  assert.equal(await cost.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-field')), 'contests[5].options[2].cost');
  assert.match(await contest(page, 5).locator('.field-error').textContent(), /more than the whole budget/);
  await noA11yViolations(page, 'the define form with an error');
  await cost.fill('50');

  // The preview: each style's ballot as the booth renders it.
  await preview(page);
  assert.equal(await page.locator('#f-threshold[aria-invalid]').count(), 0);
  assert.deepEqual(await page.locator('#preview-ballot legend').allTextContents(), CONTESTS.map((c) => c.title));
  await page.selectOption('#preview-style', { label: 'south' });
  assert.deepEqual(await page.locator('#preview-ballot legend').allTextContents(), ['Adopt the new charter?', 'Mayor']);
  assert.equal(await page.locator('#preview-ballot input[type="radio"]').count(), 2 + 4);
  await noA11yViolations(page, 'the ballot preview');
  const toml = await page.inputValue('#f-toml');
  const hash = await page.textContent('#preview-hash');
  await writeFile(join(dir, 'manifest.toml'), toml);

  // TOML import: a broken manifest names its field; a good one fills the form.
  await page.click('#toml-details summary');
  await page.fill('#f-toml', toml.replace('max_total = 5', 'max_total = 2'));
  await page.click('#import-toml');
  assert.match(await page.textContent('#toml-error'), /contests\[4\]\.max_per_option/);
  await page.fill('#f-name', 'changed');
  await page.fill('#f-toml', toml);
  await page.click('#import-toml');
  assert.equal(await page.inputValue('#f-name'), 'Town election 2026');
  assert.equal(await contest(page, 5).getByLabel(t('console.param.budget'), { exact: true }).inputValue(), '100');
  await preview(page);
  assert.equal(await page.textContent('#preview-hash'), hash, 'the imported manifest comes back unchanged from the form');

  // A ranked contest: its method, seats and ranks, with the core's errors beside their fields,
  // the booth's rank selectors in the preview, and a round trip through the TOML.
  await page.click('#add-contest');
  await fillContest(page, 6, {
    id: 'board', title: 'Harbour board', kind: 'ranked', params: { seats: 2 },
    options: [['ines', 'Ines'], ['jon', 'Jon'], ['kai', 'Kai'], ['lea', 'Lea']],
  });
  const ranked = contest(page, 6);
  await style(page, 0).getByLabel('Harbour board', { exact: true }).check();
  const seats = ranked.getByLabel(t('console.param.seats'), { exact: true });
  await page.click('#check');
  // Seats with instant-runoff (the default method): refused, next to the seats field.
  assert.equal(await seats.getAttribute('aria-invalid'), 'true');
  assert.match(await ranked.locator('.field-error').textContent(), /seats applies to method = "stv" only/);
  assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-field')), 'contests[6].seats');
  await ranked.getByLabel(t('console.param.method'), { exact: true }).selectOption('stv');
  await ranked.getByLabel(t('console.param.max_ranks'), { exact: true }).fill('5');
  await page.click('#check');
  const maxRanks = ranked.getByLabel(t('console.param.max_ranks'), { exact: true });
  assert.equal(await maxRanks.getAttribute('aria-invalid'), 'true');
  assert.match(await ranked.locator('.field-error').textContent(), /max_ranks \(5\) must be between 1 and the number of candidates \(4\)/);
  assert.equal(await seats.getAttribute('aria-invalid'), null);
  await noA11yViolations(page, 'the define form with a ranked contest error');
  await maxRanks.fill('3');
  await preview(page);
  await page.selectOption('#preview-style', { label: 'north' });
  const board = page.locator('#preview-ballot fieldset.ranked');
  assert.equal(await board.locator('legend').textContent(), 'Harbour board');
  assert.equal(await board.locator('select').count(), 4);
  assert.deepEqual(await board.locator('select').first().locator('option').allTextContents(),
    [t('booth.rank.notRanked'), '1st', '2nd', '3rd']);
  await noA11yViolations(page, 'the ballot preview with a ranked contest');
  const rankedToml = await page.inputValue('#f-toml');
  assert.ok(rankedToml.includes('kind = "ranked"\nmethod = "stv"\nseats = 2\nmax_ranks = 3\n'), rankedToml);
  const rankedHash = await page.textContent('#preview-hash');
  await page.fill('#f-toml', rankedToml);
  await page.click('#import-toml');
  assert.equal(await ranked.getByLabel(t('console.param.method'), { exact: true }).inputValue(), 'stv');
  assert.equal(await ranked.getByLabel(t('console.param.seats'), { exact: true }).inputValue(), '2');
  assert.equal(await ranked.getByLabel(t('console.param.max_ranks'), { exact: true }).inputValue(), '3');
  await preview(page);
  assert.equal(await page.textContent('#preview-hash'), rankedHash, 'the ranked contest comes back unchanged');
  // This election goes on without it (a ranked contest is counted by the mixnet, which the
  // ranked browser test runs): removed, the manifest is the one checked before.
  await ranked.getByRole('button', { name: t('console.contest.remove', { n: 7 }) }).click();
  await preview(page);
  assert.equal(await page.textContent('#preview-hash'), hash);
  await page.click('#create-definition');

  // --- The key ceremony, three trustee processes, followed live. ------------------------------
  await page.locator('#p-ceremony').waitFor({ state: 'visible' });
  await page.locator('#ceremony-state').waitFor();
  await noA11yViolations(page, 'the ceremony view');
  const ceremonies = ['alice', 'bob', 'carol'].map((name) => psephos(['trustee', 'ceremony', '--server', service.service,
    '--election', 'town', '--key', join(dir, `${name}.trustee.secret.json`), '--passphrase-file', pass]));
  await page.locator('#ceremony-state[data-complete="true"]').waitFor({ timeout: 180_000 });
  await Promise.all(ceremonies);
  assert.match(await page.textContent('#joint-key'), /^[0-9a-f]{64}$/);
  await page.locator('#phase[data-phase="key_ready"]').waitFor();

  // Opening with no credentials: the rules refuse, and the console says why.
  await page.click('#open');
  await page.locator('#confirm[open]').waitFor();
  assert.match(await page.textContent('#confirm-text'), /Town election 2026 \(town\)/);
  await noA11yViolations(page, 'the open confirmation');
  await page.click('#confirm-yes');
  await page.locator('#voting-error:not(:empty)').waitFor();
  assert.match(await page.textContent('#voting-error'), /no credentials/);

  // --- The credential authority's own command; the officials publish the public list. ---------
  await writeFile(join(dir, 'voters.csv'), 'voter_id,style\nv0,south\nv1,south\nv2,north\n');
  await psephos(['credentials', 'generate', '--election', join(dir, 'manifest.toml'), '--voters', join(dir, 'voters.csv'),
    '--public', join(dir, 'credentials.json'), '--private', join(dir, 'codes.csv')]);
  const codes = (await readFile(join(dir, 'codes.csv'), 'utf8')).trim().split('\n').slice(1).map((l) => l.split(',').at(-1));
  await page.setInputFiles('#f-credentials', join(dir, 'credentials.json'));
  await page.locator('#credentials-table').waitFor();
  const rows = await page.locator('#credentials-table tbody tr').allTextContents();
  assert.deepEqual(rows.sort(), ['north11', 'south22']);
  assert.equal(await page.textContent('#credentials-table tfoot tr'), `${t('console.credentials.total')}33`);
  await noA11yViolations(page, 'the credential list');
  await page.click('#upload-credentials');
  await page.locator('#credentials-published:not(:empty)').waitFor();

  // --- Open (confirmed), a vote from the booth, close. ----------------------------------------
  await page.click('#open');
  await page.click('#confirm-yes');
  await page.locator('#phase[data-phase="open"]').waitFor();
  await noA11yViolations(page, 'voting open');

  const booth = await browser.context.newPage();
  await booth.goto(`${service.service}/e/town/`);
  await booth.locator('#s-credential').waitFor({ state: 'visible' });
  await booth.fill('#credential', codes[0]);
  await booth.click('#credential-continue');
  await booth.locator('#s-ballot').waitFor({ state: 'visible' });
  await booth.check('#c0-o0'); // yes
  await booth.check('#c1-o1'); // Grace
  await booth.click('#ballot-review');
  await booth.locator('#s-review').waitFor({ state: 'visible' });
  await booth.click('#review-encrypt');
  await booth.locator('#s-decide').waitFor({ state: 'visible', timeout: 60_000 });
  const tracking = (await booth.textContent('#tracking-code')).trim();
  await booth.click('#decide-cast');
  await booth.locator('#receipt-status.ok').waitFor({ timeout: 60_000 });
  await booth.close();

  await page.locator('#voters', { hasText: /^1$/ }).waitFor({ timeout: 30_000 });
  await page.click('#close');
  assert.match(await page.textContent('#confirm-text'), /Close voting in Town election 2026/);
  await page.click('#confirm-yes');
  await page.locator('#phase[data-phase="closed"]').waitFor();

  // --- Tally; two trustees decrypt with their own command; the result. ------------------------
  await noA11yViolations(page, 'voting closed');
  await page.click('#tally');
  await page.locator('#phase[data-phase="tallying"]').waitFor();
  const boardKey = (await (await fetch(`${service.service}/api/v1/elections/town`)).json()).board.verifier_key;
  for (const name of ['alice', 'bob']) {
    await psephos(['trustee', 'decrypt', '--server', service.service, '--election', 'town',
      '--key', join(dir, `${name}.trustee.secret.json`), '--passphrase-file', pass, '--board-key', boardKey]);
  }
  await page.locator('#result-heading').waitFor({ timeout: 60_000 });
  assert.equal(await page.textContent('[data-option="q-ref/yes"]'), '1');
  assert.equal(await page.textContent('[data-option="mayor/grace"]'), '1');
  assert.equal(await page.textContent('[data-option="mayor/ada"]'), '0');
  await noA11yViolations(page, 'the result');

  // --- The record: downloadable, and verified in the browser. ---------------------------------
  const href = await page.getAttribute('#record-download', 'href');
  assert.equal((await fetch(`${service.service}${href}`)).status, 200);
  await page.click('#verify');
  await page.locator('#verify-status[data-passed]').waitFor({ timeout: 180_000 });
  assert.equal(await page.getAttribute('#verify-status', 'data-passed'), 'true', await page.textContent('#verify-checks'));
  await noA11yViolations(page, 'the verified record');
  await screenshot(page, 'console-result');

  // --- The board explorer (observers): blocks, entries, tracking codes, ceremony, tally. ------
  const { page: explorer, problems: explorerProblems } = await watchedPage(browser.context, service.service);
  await explorer.goto(`${service.service}/e/town/explorer.html`);
  await explorer.locator('#view:not([aria-busy]) #blocks tbody tr').first().waitFor();
  await noA11yViolations(explorer, 'the explorer: blocks');
  const size = (await (await fetch(`${service.service}/api/v1/elections/town/status`)).json()).board_size;
  // Blocks newest first; the newest block's entries, in order, end with the board's last.
  const numbers = (await explorer.locator('#blocks tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.id.slice(6)))));
  assert.deepEqual(numbers, [...numbers].sort((a, b) => b - a));
  await explorer.locator('#blocks tbody tr').first().getByRole('button').click();
  await explorer.locator('#view:not([aria-busy]) #entries').waitFor();
  const inBlock = await explorer.locator('#entries tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.id.slice(6))));
  assert.equal(inBlock.at(-1), size - 1);
  // Every entry by index, newest first: the result is the last.
  await explore(explorer, 'entries');
  assert.equal(await explorer.getAttribute('#entries tbody tr:first-child', 'data-kind'), 'result');
  assert.equal(await explorer.locator('#entries tbody tr').count(), size);
  await noA11yViolations(explorer, 'the explorer: entries');
  // The ballot tracking center: the booth's tracking code, cast; found by search.
  await explore(explorer, 'ballot');
  assert.equal(await explorer.textContent('#entries tbody tr .code'), tracking);
  assert.equal(await explorer.textContent('#entries tbody tr .tracking-status'), t('explorer.status.cast'));
  await explorer.fill('#search', tracking.toLowerCase());
  await explorer.click('#search-go');
  await explorer.locator('#search-result[data-status="cast"]').waitFor();
  await explorer.fill('#search', 'AAAA-AAAA-AAAA-AAAA');
  await explorer.click('#search-go');
  await explorer.locator('#search-result.bad').waitFor();
  // The ceremony's messages (three trustees, rounds 1 and 2), and the tally, shares and result.
  await explore(explorer, 'ceremony_message');
  assert.ok(await explorer.locator('#entries tbody tr[data-kind="ceremony_message"]').count() >= 6);
  await explore(explorer, 'tally');
  await explorer.locator('#entries tbody tr[data-kind="result"]').waitFor();
  assert.deepEqual(await explorer.locator('#entries tbody tr').evaluateAll((rows) => rows.map((r) => r.dataset.kind)),
    ['encrypted_tally', 'decryption_share', 'decryption_share', 'result']);
  await noA11yViolations(explorer, 'the explorer: tally');
  await screenshot(explorer, 'explorer-tally');
  assert.deepEqual(explorerProblems.filter((p) => !/status of 404/.test(p)), []);
  await explorer.close();

  // Signing out forgets the token.
  await page.click('#signout');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('psephos.console')), null);
  // The refusals above (401, 422) are logged by Chromium as failed loads: those only.
  const refusal = /Failed to load resource: the server responded with a status of (401|422)/;
  assert.deepEqual(problems.filter((p) => !refusal.test(p)), []);
});

test('an official defines contests with write-ins; the core refuses what §6.2 forbids, beside its field', async () => {
  const { page, problems } = await watchedPage(browser.context, service.service);
  const { dir, pass } = service;
  for (const name of ['dora', 'emil']) {
    await psephos(['trustee', 'init', name, '--dir', dir, '--passphrase-file', pass]);
  }
  // The operator creates the election through the API (the test above does it in the console).
  const created = await fetch(`${service.service}/api/v1/elections`, {
    method: 'POST',
    headers: { authorization: `Bearer ${service.operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'ward', visibility: 'public' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  const { officials_token: token } = await created.json();
  await page.goto(`${service.service}/admin/`);
  await page.locator('#signin-form').waitFor({ state: 'visible' });
  await page.fill('#signin-election', 'ward');
  await page.fill('#signin-token', token);
  await page.click('#signin');
  await page.locator('#p-define').waitFor({ state: 'visible' });

  await page.fill('#f-id', 'ward-2026');
  await page.fill('#f-name', 'Ward election 2026');
  await page.setInputFiles('#f-trustee-file', ['dora', 'emil'].map((n) => join(dir, `${n}.trustee.json`)));
  await page.locator('#trustee-list li').nth(1).waitFor();
  await page.fill('#f-threshold', '2');
  await style(page, 0).getByLabel(t('console.style.id'), { exact: true }).fill('all');
  // A plurality contest of three candidates and three write-in slots of 63 bytes, neither mixed
  // nor allowing a blank: every rule of §6.2 is broken at once.
  await fillContest(page, 0, {
    id: 'mayor', title: 'Mayor', kind: 'plurality', params: { write_ins: 3, write_in_max_bytes: 63 },
    options: [['ada', 'Ada'], ['grace', 'Grace'], ['alan', 'Alan']],
  });
  const mayor = contest(page, 0);
  const input = (name) => mayor.getByLabel(t(`console.param.${name}`), { exact: true });
  const refusal = async (name, pattern) => {
    await page.click('#check');
    await page.locator('#define-error:not(:empty)').waitFor();
    assert.equal(await input(name).getAttribute('aria-invalid'), 'true', `${name} is marked invalid`);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-field')), `contests[0].${name}`);
    assert.equal(await page.locator('.field-error').count(), 1);
    assert.match(await mayor.locator('.field-error').textContent(), pattern);
    assert.equal(await page.locator('#preview').isVisible(), false);
  };
  // The write-in fields are labelled and described by their hints.
  assert.equal(await input('write_ins').getAttribute('type'), 'number');
  assert.equal(await page.textContent(`#${await input('write_in_max_bytes').getAttribute('aria-describedby')}`),
    t('console.param.write_in_max_bytes.hint'));
  await refusal('count', /a contest with write-ins must be counted by the mixnet \(count = "mix"\)/);
  await input('count').check();
  await refusal('blank_allowed', /a contest with write-ins must allow a blank ballot/);
  await input('blank_allowed').check();
  // 3 + 3 × (1 + 21) = 69 columns: wider than a mixed row.
  await refusal('write_in_max_bytes',
    /the contest's width, 3 options \+ 3 × \(1 \+ ⌈63\/3⌉\) write-in columns = 69, exceeds the widest mixed row \(64\)/);
  await noA11yViolations(page, 'the define form with a write-in error');
  await input('write_ins').fill('5');
  await input('write_in_max_bytes').fill('30');
  await refusal('write_ins', /write_ins must be between 1 and 4/);
  // 0 slots is none: the key is left out, and a byte limit alone is refused.
  await input('write_ins').fill('0');
  await refusal('write_in_max_bytes', /write_in_max_bytes needs write_ins/);
  await input('write_in_max_bytes').fill('');
  await preview(page);
  assert.ok(!(await page.inputValue('#f-toml')).includes('write_in'));
  assert.equal(await page.locator('#preview-ballot .write-in').count(), 0);

  // Three slots of 30 bytes (3 + 3 × 11 = 36 columns), and an approval contest of up to two with
  // one slot of the default length: the booth's own write-in fields in the preview.
  await input('write_ins').fill('3');
  await input('write_in_max_bytes').fill('30');
  await page.click('#add-contest');
  await fillContest(page, 1, {
    id: 'council', title: 'Council', kind: 'approval', params: { max_selections: 2, write_ins: 1, count: true },
    options: [['emmy', 'Emmy'], ['sofia', 'Sofia'], ['hedy', 'Hedy']],
  });
  await preview(page);
  assert.deepEqual(await page.locator('#preview-ballot legend').allTextContents(), ['Mayor', 'Council']);
  const shown = page.locator('#preview-ballot fieldset').first();
  assert.equal(await shown.locator('.write-in').count(), 3);
  assert.equal(await page.getAttribute('#c0-w3', 'type'), 'radio');
  assert.equal(await page.textContent('#c0-w1-limit'), t('booth.writeIn.limit', { max: 30 }));
  assert.equal(await page.getAttribute('#c1-w1', 'type'), 'checkbox');
  assert.equal(await page.textContent('#c1-w1-limit'), t('booth.writeIn.limit', { max: 40 }));
  await noA11yViolations(page, 'the ballot preview with write-ins');
  const toml = await page.inputValue('#f-toml');
  assert.ok(toml.includes('kind = "plurality"\nblank_allowed = true\nwrite_ins = 3\nwrite_in_max_bytes = 30\ncount = "mix"\n'), toml);
  assert.ok(toml.includes('kind = "approval"\nmax_selections = 2\nwrite_ins = 1\ncount = "mix"\n'), toml);
  const hash = await page.textContent('#preview-hash');

  // The TOML comes back into the form unchanged (the default length written out).
  await page.click('#toml-details summary');
  await page.fill('#f-toml', toml);
  await page.click('#import-toml');
  assert.equal(await input('write_ins').inputValue(), '3');
  assert.equal(await input('write_in_max_bytes').inputValue(), '30');
  assert.equal(await input('blank_allowed').isChecked(), true);
  const council = contest(page, 1);
  assert.equal(await council.getByLabel(t('console.param.write_in_max_bytes'), { exact: true }).inputValue(), '40');
  assert.equal(await council.getByLabel(t('console.param.max_selections'), { exact: true }).inputValue(), '2');
  await preview(page);
  assert.equal(await page.textContent('#preview-hash'), hash, 'the write-in contests come back unchanged');

  // The server accepts the definition, write-ins and all.
  await page.click('#create-definition');
  await page.locator('#p-ceremony').waitFor({ state: 'visible' });
  const defined = await (await fetch(`${service.service}/api/v1/elections/ward`)).json();
  const [m, c] = defined.manifest.contests;
  assert.deepEqual([m.id, m.count, m.write_ins], ['mayor', 'mix', { slots: 3, max_bytes: 30 }]);
  assert.deepEqual([c.id, c.count, c.write_ins], ['council', 'mix', { slots: 1, max_bytes: 40 }]);
  assert.deepEqual(problems, []);
  await page.close();
});
