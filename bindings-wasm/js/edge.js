// The package's entry for the edge runtimes (package.json `exports`: workerd, i.e. Cloudflare
// Workers, and edge-light, i.e. Vercel Edge). They forbid compiling WebAssembly from bytes
// and import a .wasm file as a WebAssembly.Module instead: this entry imports csms_bg.wasm
// that way and gives it to `init` before anything can use the package (package.json
// `sideEffects` names this file, so that bundlers keep that call).

import imported from './csms_bg.wasm';
import { init } from './index.js';

init(imported);

export * from './index.js';
export { default } from './index.js';
