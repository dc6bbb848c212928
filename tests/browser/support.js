// The browser tests' harness: a real `psephos serve` on 127.0.0.1 with a fresh SQLite board,
// driven through the real command line tools as the officials and trustees would (board key,
// trustee keys, election definition, the key ceremony over HTTP, credentials, open, close,
// tally, decryption), and headless Chromium (Debian's) through playwright-core.

import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '../..');
export const artifacts = join(here, 'artifacts');
const bin = process.env.PSEPHOS_BIN || join(process.env.CARGO_TARGET_DIR || join(repo, 'target'), 'debug', 'psephos');

/** Runs `psephos …`; resolves with stdout, rejects with stderr. */
export function psephos(args, { env = {}, cwd, timeout = 180_000 } = {}) {
  return new Promise((ok, fail) => {
    execFile(bin, args, { env: { ...process.env, ...env }, cwd, maxBuffer: 64 << 20, timeout },
      (err, stdout, stderr) => (err ? fail(new Error(`psephos ${args.join(' ')}: ${stderr || err.message}`)) : ok(stdout)));
  });
}

function waitForLine(child, pattern, what, timeoutMs = 60_000) {
  return new Promise((ok, fail) => {
    let buf = '';
    const timer = setTimeout(() => fail(new Error(`no ${what} from psephos serve:\n${buf}`)), timeoutMs);
    const onData = (d) => {
      buf += d;
      const m = buf.match(pattern);
      if (m) {
        clearTimeout(timer);
        ok(m);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => fail(new Error(`psephos serve exited (${code}):\n${buf}`)));
  });
}

/**
 * A running `psephos serve` with a fresh SQLite database and no election yet:
 * `{service, operatorToken, dir, pass, serverLog, stop()}` (`dir` a scratch directory, `pass` a
 * passphrase file in it).
 */
export async function startService() {
  const dir = await mkdtemp(join(tmpdir(), 'psephos-browser-'));
  const pass = join(dir, 'passphrase');
  await writeFile(pass, 'correct horse battery staple\n');
  await psephos(['board', 'keygen', '--origin', 'browser.test', '--out', join(dir, 'board.secret.key')]);
  const server = spawn(bin, [
    'serve', '--key', join(dir, 'board.secret.key'), '--database', `sqlite://${join(dir, 'board.db')}?mode=rwc`,
    '--listen', '127.0.0.1:0', '--web', join(repo, 'web', 'dist'), '--seal-interval', '200ms',
    '--rate-limit', '0', '--complaint-window', '1s',
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const serverLog = [];
  server.stdout.on('data', (d) => serverLog.push(String(d)));
  server.stderr.on('data', (d) => serverLog.push(String(d)));
  const [token, listening] = await Promise.all([
    waitForLine(server, /operator token[^:]*:\s*(\S+)/, 'operator token'),
    waitForLine(server, /listening on (http:\/\/[\d.:]+)/, 'address'),
  ]);
  return {
    service: listening[1],
    operatorToken: token[1],
    dir,
    pass,
    serverLog,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((ok) => { server.once('exit', ok); setTimeout(ok, 5000); });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A running election, open for voting: `{url, codes, close(), tally(), stop()}`. `voters` is a
 * list of ballot style ids, one per voter; `codes[i]` is voter i's credential code.
 */
export async function startElection({ manifest = join(here, 'election.toml'), voters }) {
  const running = await startService();
  const { dir, pass, serverLog } = running;
  const token = [null, running.operatorToken];
  // One election, `e1`, of the service: its pages are under /e/e1/, its API under
  // /api/v1/elections/e1.
  const service = running.service;
  const url = `${service}/e/e1`;
  const apiBase = `${service}/api/v1/elections/e1`;
  await psephos(['election', 'new', '--token-out', join(dir, 'officials.secret.token')],
    { env: { PSEPHOS_SERVER: service, PSEPHOS_ELECTION: 'e1', PSEPHOS_OPERATOR_TOKEN: token[1] } });
  const officials = (await readFile(join(dir, 'officials.secret.token'), 'utf8')).trim();
  const env = { PSEPHOS_SERVER: service, PSEPHOS_ELECTION: 'e1', PSEPHOS_OFFICIALS_TOKEN: officials };
  const election = (...args) => psephos(['election', ...args], { env });

  // Three trustees, each with its own sealed key file.
  const trustees = [];
  for (const name of ['alice', 'bob', 'carol']) {
    const out = await psephos(['trustee', 'init', name, '--dir', dir, '--passphrase-file', pass]);
    trustees.push(JSON.parse(out));
  }
  await writeFile(join(dir, 'trustees.json'), JSON.stringify(trustees));
  await election('define', '--manifest', manifest, '--trustees', join(dir, 'trustees.json'));
  const key = (name) => join(dir, `${name}.trustee.secret.json`);
  await Promise.all(['alice', 'bob', 'carol'].map((name) =>
    psephos(['trustee', 'ceremony', '--server', service, '--election', 'e1', '--key', key(name),
      '--passphrase-file', pass])));
  const status = async () => (await fetch(`${apiBase}/status`)).json();
  // Waits on the phase with a deadline (not a count of polls): a loaded machine is slow.
  const deadline = Date.now() + 120000;
  let nudged = false;
  while ((await status()).phase === 'ceremony') {
    if (!nudged && Date.now() > deadline - 110000) { nudged = true; await election('complete-ceremony'); }
    if (Date.now() > deadline) throw new Error('the key ceremony did not complete');
    await new Promise((ok) => setTimeout(ok, 200));
  }

  await writeFile(join(dir, 'voters.csv'), `voter_id,style\n${voters.map((s, i) => `v${i},${s}`).join('\n')}\n`);
  await psephos(['credentials', 'generate', '--election', manifest, '--voters', join(dir, 'voters.csv'),
    '--public', join(dir, 'credentials.json'), '--private', join(dir, 'codes.csv')]);
  const codes = (await readFile(join(dir, 'codes.csv'), 'utf8')).trim().split('\n').slice(1)
    .map((line) => line.split(',').at(-1));
  await election('credentials', '--list', join(dir, 'credentials.json'));
  await election('open');

  return {
    url,
    api: apiBase,
    codes,
    serverLog,
    async close() { await election('close'); },
    /**
     * The mixnet (mixed and ranked contests, docs/protocol.md §13): the officials post the mix
     * input, and the three trustees' `psephos trustee mix` processes shuffle in turn (each
     * waits for the ones before it). Before `tally()`.
     */
    async mix() {
      await election('mix');
      const boardKey = (await (await fetch(apiBase)).json()).board.verifier_key;
      await Promise.all(['alice', 'bob', 'carol'].map((name) =>
        psephos(['trustee', 'mix', '--server', service, '--election', 'e1', '--key', key(name),
          '--passphrase-file', pass, '--board-key', boardKey], { timeout: 600_000 })));
    },
    async tally() {
      await election('tally');
      // The trustees pin the board key; the test driver is the test's trusted party, so it may
      // read the key from the server it started.
      const boardKey = (await (await fetch(apiBase)).json()).board.verifier_key;
      await Promise.all(['alice', 'bob'].map((name) =>
        psephos(['trustee', 'decrypt', '--server', service, '--election', 'e1', '--key', key(name),
          '--passphrase-file', pass,
          '--board-key', boardKey])));
    },
    stop: running.stop,
  };
}

/** Headless Chromium (Debian's), with the flags CI needs and a fresh user-data-dir. */
export async function launch({ width = 1024, height = 800 } = {}) {
  const profile = await mkdtemp(join(tmpdir(), 'psephos-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width, height },
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * A page that records what must never happen: requests to another origin, console errors
 * (CSP violations show there), uncaught exceptions.
 */
export async function watchedPage(context, origin) {
  const page = await context.newPage();
  const problems = [];
  page.on('request', (r) => {
    const u = r.url();
    // The origin only: an election's pages (`…/e/{election}/`) call the service's API.
    if (!u.startsWith(new URL(origin).origin) && !u.startsWith('blob:') && !u.startsWith('data:')) problems.push(`third-party request: ${u}`);
  });
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console error: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return { page, problems };
}

const require = createRequire(import.meta.url);
const axeSource = readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Runs axe-core (WCAG 2.0/2.1 A and AA) on the page; returns the violations. */
export async function axe(page) {
  // Inject through the DevTools protocol, not a <script>: the page's CSP forbids inline script.
  const source = await axeSource;
  await page.evaluate(source);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
  }));
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join('; ')})`);
}

export async function screenshot(page, name) {
  await mkdir(artifacts, { recursive: true });
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
}

/** Presses Tab until the focused element matches `selector` (keyboard-only navigation). */
export async function tabTo(page, selector, max = 300) {
  for (let i = 0; i < max; i += 1) {
    if (await page.evaluate((s) => document.activeElement && document.activeElement.matches(s), selector)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`could not reach ${selector} with the Tab key`);
}

/** Fails with the violations if axe finds any on the page; `where` names the page. */
export async function noA11yViolations(page, where) {
  assert.deepEqual(await axe(page), [], `accessibility violations on ${where}`);
}

/** Waits (up to a minute) until the element `#id` is visible. */
export async function visible(page, id) {
  await page.locator(`#${id}`).waitFor({ state: 'visible', timeout: 60_000 });
}

/** Opens `election`'s booth and enters the credential `code`, up to the ballot. */
export async function enterCredential(page, election, code) {
  await page.goto(`${election.url}/`);
  await visible(page, 's-credential');
  await page.fill('#credential', code);
  await page.click('#credential-continue');
  await visible(page, 's-ballot');
}
