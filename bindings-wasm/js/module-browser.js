// `#csms-module` for browsers, bundlers and other runtimes (package.json `imports`): the
// module is fetched and compiled asynchronously, by `init()` or by the first async call.
// `new URL('./csms_bg.wasm', import.meta.url)` is the form bundlers (webpack 5, Vite, Parcel,
// Rollup with a plugin) recognise: they emit csms_bg.wasm as an asset and rewrite the URL.

/** Nothing synchronous: the module has to be fetched first (`await init()`). */
export function moduleNow() {
  return undefined;
}

/** csms_bg.wasm beside this file, or where the bundler put it. */
export function defaultSource() {
  return new URL('./csms_bg.wasm', import.meta.url);
}
