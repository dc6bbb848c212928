// Seals a built web front end for Subresource Integrity (called by scripts/build-web.sh on the
// directory it is about to publish as web/dist):
//
// - `integrity.js` gets the SRI hash of every file the code fetches by itself (the WebAssembly
//   module), so that `fetchPinned` refuses any other bytes;
// - every page's stylesheet and entry script get an `integrity` attribute, and every module the
//   entry script imports (statically or through `import('./…')`, transitively) a
//   `<link rel="modulepreload" integrity=…>` before it, so that the browser refuses a module
//   whose bytes differ from the build's.
//
// The pages are static: after this step every byte of web/dist is fixed by the commit and the
// pinned toolchain, and the booth manifest (docs/protocol.md §11.6) lists each file's SHA-256.
// Deterministic: no clock, no absolute path, files visited in sorted order.
//
// Usage: node scripts/seal-web.mjs DIR
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { posix, join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/seal-web.mjs DIR');
  process.exit(2);
}
const read = (path) => readFileSync(join(dir, ...path.split('/')));
const sri = (path) => `sha256-${createHash('sha256').update(read(path)).digest('base64')}`;
const fail = (msg) => {
  console.error(`seal-web: ${msg}`);
  process.exit(1);
};

// 1. integrity.js: the files fetched by script (the wasm module), hashed first since the
//    modules' own hashes below cover integrity.js.
const fetched = ['pkg/psephos_wasm_bg.wasm'];
const placeholder = 'export const INTEGRITY = {};';
const integrityJs = read('integrity.js').toString('utf8');
if (integrityJs.split(placeholder).length !== 2) fail(`integrity.js must contain "${placeholder}" once`);
const map = Object.fromEntries(fetched.map((p) => [p, sri(p)]));
writeFileSync(
  join(dir, 'integrity.js'),
  integrityJs.replace(placeholder, `export const INTEGRITY = ${JSON.stringify(map, null, 2)};`),
);

// 2. Each module's imports (relative specifiers only: the pages import nothing third-party).
const importRe = /(?:\bimport\s*(?:[\w*{}\s,$]+?\s*from\s*)?|\bexport\s*[\w*{}\s,$]+?\s*from\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;
function graph(entry) {
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path)) return;
    seen.add(path);
    const src = read(path).toString('utf8');
    for (const m of src.matchAll(importRe)) {
      visit(posix.normalize(posix.join(posix.dirname(path), m[1])));
    }
  };
  visit(entry);
  seen.delete(entry);
  return [...seen].sort();
}

// 3. The pages.
const attr = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
for (const page of readdirSync(dir).filter((f) => f.endsWith('.html')).sort()) {
  let html = read(page).toString('utf8');
  let stylesheets = 0;
  html = html.replace(/<link rel="stylesheet" href="([^"]+)">/g, (_, href) => {
    stylesheets += 1;
    return `<link rel="stylesheet" href="${href}" integrity="${attr(sri(href))}">`;
  });
  let scripts = 0;
  html = html.replace(/<script type="module" src="([^"]+)"><\/script>/g, (_, src) => {
    scripts += 1;
    const preloads = graph(src).map(
      (m) => `<link rel="modulepreload" href="${m}" integrity="${attr(sri(m))}">\n`,
    );
    return `${preloads.join('')}<script type="module" src="${src}" integrity="${attr(sri(src))}"></script>`;
  });
  if (scripts !== 1 || stylesheets !== 1) {
    fail(`${page}: expected one stylesheet and one module script, found ${stylesheets} and ${scripts}`);
  }
  if (/<script(?![^>]*integrity=)[^>]*>/.test(html) || /<link rel="stylesheet"(?![^>]*integrity=)/.test(html)) {
    fail(`${page}: a script or stylesheet without integrity`);
  }
  writeFileSync(join(dir, page), html);
}
