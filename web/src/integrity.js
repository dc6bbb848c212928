// The Subresource Integrity of the files the code fetches by itself (the WebAssembly module).
// In web/src the map is empty; the build (scripts/seal-web.mjs) writes each file's hash into
// web/dist's copy, and the pages pin this module in turn (`<link rel="modulepreload"
// integrity>`). Without a hash a fetch fails closed: bytes other than the build's never run.
export const INTEGRITY = {};

/** Fetches `path` (relative to this module) with its build-time integrity, or fails. */
export function fetchPinned(path) {
  const integrity = INTEGRITY[path];
  if (!integrity) return Promise.reject(new Error(`${path} has no integrity hash: build with make web`));
  return fetch(new URL(path, import.meta.url), { integrity });
}

/** Loads the psephos wasm module (the wasm-bindgen glue `mod`) from its pinned bytes. */
export async function initWasm(mod) {
  await mod.default({ module_or_path: fetchPinned('pkg/psephos_wasm_bg.wasm') });
  return mod;
}
