// `#csms-module` for the edge runtimes (package.json `imports`: workerd, i.e. Cloudflare
// Workers, and edge-light, i.e. Vercel Edge), which forbid compiling WebAssembly from bytes
// and import a .wasm file as a WebAssembly.Module instead.

import imported from './csms_bg.wasm';

/** The module, imported statically. */
export function moduleNow() {
  return imported;
}

/** No default source to fetch: moduleNow() always has the module. */
export function defaultSource() {
  return undefined;
}
