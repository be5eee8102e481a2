// `#csms-module` for Node, Deno and Bun (package.json `imports`): csms_bg.wasm, read
// synchronously from beside this file on first use, so that every function of the package
// works right after import. In a bundle the file is looked for beside the bundle.

import { readFileSync } from 'node:fs';

/** Where csms_bg.wasm is: beside this file (or beside a CommonJS bundle of it). */
function location() {
  // import.meta.url is empty in a CommonJS bundle (esbuild, webpack): __filename is the bundle's.
  if (import.meta.url) return new URL('./csms_bg.wasm', import.meta.url);
  // eslint-disable-next-line no-undef
  if (typeof __filename === 'string') return `${__filename.replace(/[\\/][^\\/]*$/, '')}/csms_bg.wasm`;
  return './csms_bg.wasm';
}

/** The module, compiled now: the runtime reads files synchronously. */
export function moduleNow() {
  const where = location();
  let bytes;
  try {
    bytes = readFileSync(where);
  } catch (e) {
    throw new Error(
      `csms-sdk: cannot read its WebAssembly module ${where} (${e.code || e.message}); a bundle needs ` +
        "csms-sdk/csms_bg.wasm copied beside it, or the module given with init(bytes)",
      { cause: e },
    );
  }
  return new WebAssembly.Module(bytes);
}

/** No default source to fetch: moduleNow() always has the module. */
export function defaultSource() {
  return undefined;
}
