// For the package's own tests only: not part of the API, not reachable through the
// package's `exports` (the tests load pkg/esm/testing.js by path, with import or require).
// It shares the wasm instance of the client modules next to it.

import { __panicForTests as wasmPanic } from './csms_wasm.js';
import { call, panicsKeepMessages as keepsMessages } from './instance.js';

/** Panics inside the wasm module with `message` (the panic then becomes a CsmsError). */
export function panicForTests(message) {
  return call(() => wasmPanic(String(message)));
}

/** Whether this build of the module keeps a panic's message (false when built with panic = immediate-abort). */
export function panicsKeepMessages() {
  return keepsMessages();
}
