// Shared helpers of the pages: building DOM nodes (never from HTML strings), the page frame
// (navigation, strings), the HTTP API, and loading the wasm module.

import { t, language } from './strings.js';
import { initWasm } from './integrity.js';

export { t };

/**
 * The election this page serves: its id in the service, from the page's path `/e/{election}/…`
 * (each election's pages are served there; `/` lists the elections).
 */
export const election = (location.pathname.match(/^\/e\/([a-z0-9-]+)\//) || [])[1] || null;

/** The path of this election's API route `path` (`/ballots`, `/board/entries/3`, `''`). */
export const E = (path) => `/api/v1/elections/${election}${path}`;

/** `document.getElementById`. */
export const $ = (id) => document.getElementById(id);

/** The tags `el` creates in the SVG namespace (the QR code, the results' charts). */
const SVG_TAGS = new Set(['svg', 'path', 'g', 'rect', 'text', 'line']);

/**
 * Creates an element: `el('p', {class: 'x', text: 'hi'}, child, …)`. Attributes are set as
 * attributes (`aria-*`, `for`, …) except `text` (textContent) and `on*` functions (listeners).
 */
export function el(tag, attrs = {}, ...children) {
  const node = SVG_TAGS.has(tag)
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') node.textContent = v;
    else if (k.startsWith('on') && typeof v === 'function') node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

/** Replaces the children of `node`. */
export function fill(node, ...children) {
  node.replaceChildren();
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) node.append(c);
  return node;
}

export const number = (n) => new Intl.NumberFormat(language).format(n);

/** Fills in `data-t` texts, the title, the navigation and the footer. */
export function frame(titleKey, current) {
  document.documentElement.lang = language;
  document.title = `${t(titleKey)} · ${t('app.name')}`;
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  for (const node of document.querySelectorAll('[data-t-label]')) {
    node.setAttribute('aria-label', t(node.dataset.tLabel));
  }
  const nav = $('nav');
  if (nav) {
    nav.setAttribute('aria-label', t('nav.label'));
    const pages = election
      ? [['index.html', 'nav.booth'], ['check.html', 'nav.check'],
        ['observer.html', 'nav.observer'], ['explorer.html', 'nav.explorer'], ['results.html', 'nav.results'],
        ['/', 'nav.elections']]
      : [['/', 'nav.elections']];
    fill(nav, el('ul', {}, pages.map(([href, key]) => el('li', {},
      el('a', { href, 'aria-current': href === current ? 'page' : null, text: t(key) })))));
  }
}

/** Shows one `<section>` of a multi-step page, hides its siblings, and moves focus to it. */
export function show(section) {
  for (const s of section.parentElement.children) {
    if (s.tagName === 'SECTION') s.hidden = s !== section;
  }
  const heading = section.querySelector('h1, h2');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
  window.scrollTo(0, 0);
}

/** An error of the HTTP API: `status`, `code` (`error` field) and `detail`. */
export class ApiError extends Error {
  constructor(status, code, detail) {
    super(detail || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

/** Calls the API: JSON in and out; throws `ApiError` (status 0 when unreachable). */
export async function api(path, { method = 'GET', body, text = false } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body,
      cache: 'no-store',
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e));
  }
  if (!res.ok) {
    let code = '';
    let detail = '';
    try {
      const j = await res.json();
      code = j.error ?? '';
      detail = j.detail ?? '';
    } catch { /* not JSON */ }
    throw new ApiError(res.status, code, detail || res.statusText);
  }
  const answer = text ? await res.text() : await res.json();
  return res.status === 202 ? { pending: true, answer } : answer;
}

/** The message to show for an error of the API or of the wasm module. */
export function describe(e) {
  if (e instanceof ApiError) {
    return e.status === 0 ? t('error.network') : t('error.server', { detail: e.detail });
  }
  const { code, detail } = wasmError(e);
  return code === 'election' ? t('error.election', { detail }) : detail;
}

/** Splits a wasm error message `<code>: <detail>`. */
export function wasmError(e) {
  const msg = String(e && e.message ? e.message : e);
  const i = msg.indexOf(': ');
  return i > 0 ? { code: msg.slice(0, i), detail: msg.slice(i + 2) } : { code: '', detail: msg };
}

let wasm;
/** The psephos wasm module, loaded once. */
export async function loadWasm() {
  if (!wasm) {
    const mod = await initWasm(await import('./pkg/psephos_wasm.js'));
    wasm = mod;
    const footer = $('footer');
    if (footer) footer.textContent = t('footer', { version: mod.version() });
  }
  return wasm;
}

/** Polls a receipt until the board has sealed it (202 until then). */
export async function sealedReceipt(index, { tries = 60, delayMs = 500 } = {}) {
  for (let i = 0; i < tries; i += 1) {
    const r = await api(E(`/receipts/${index}`));
    if (!r.pending) return r;
    await new Promise((ok) => setTimeout(ok, delayMs));
  }
  throw new ApiError(504, 'timeout', 'the board did not seal the entry in time');
}

/** A `<dl>` from `[term, description]` pairs. */
export function dl(pairs) {
  return el('dl', {}, pairs.filter(Boolean).map(([k, v]) => [el('dt', { text: k }), el('dd', {}, v)]));
}

/** The receipt's details and signers, as shown by the booth and the check page. */
export function receiptView(trackingCode, v) {
  return dl([
    [t('receipt.tracking'), el('code', { class: 'code', text: trackingCode })],
    [t('receipt.index'), number(v.index)],
    [t('receipt.block'), number(v.block_number)],
    [t('receipt.checkpoint'), t('receipt.checkpointValue',
      { size: number(v.checkpoint.size), root: v.checkpoint.root.slice(0, 16) + '…' })],
    [t('receipt.signers'), el('ul', {}, v.checkpoint.signers.map((s) =>
      el('li', { text: t(`receipt.signer.${s.role}`, { name: s.name }) })))],
  ]);
}

/** The witness keys the observer entered (kept in this browser), as JSON for the wasm calls. */
export function witnessKeys() {
  const raw = localStorage.getItem('psephos.witnesses') || '';
  return JSON.stringify(raw.split('\n').map((s) => s.trim()).filter(Boolean));
}
