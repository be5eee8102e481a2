// The WebAssembly instance behind the package: compiled once, instantiated on first use, and
// instantiated anew after a trap. The module is built with panic = abort, so a Rust panic
// traps in the middle of a function: the instance's memory (allocator, stack pointer, the
// panic count) is then in an unknown state, and nothing may call it again. index.js calls
// `poison()` on a trap; the next call gets a fresh instance, and clients re-create their
// native objects on it (objects are tagged with the generation of their instance).

import { initSync, installPanicHook, __resetInstance } from './csms_wasm.js';
import { wasmBytes } from './csms_wasm_bytes.js';

let compiled; // the WebAssembly.Module, compiled once
let healthy = false; // whether the current instance may be called
let generation = 0; // bumped by every poison(): objects of older generations are dead

/** Makes sure a healthy instance exists and returns its generation. */
export function liveGeneration() {
  if (!healthy) {
    compiled = compiled || new WebAssembly.Module(wasmBytes());
    __resetInstance();
    initSync({ module: compiled });
    installPanicHook();
    healthy = true;
  }
  return generation;
}

/** The current instance trapped: never call it again; the next call instantiates anew. */
export function poison() {
  if (healthy) {
    healthy = false;
    generation += 1;
  }
}

/** Whether objects of generation `g` belong to the current, healthy instance. */
export function isLive(g) {
  return healthy && g === generation;
}

// wasm-bindgen's own finalizers are turned off in the glue (js/build-pkg.mjs): they would
// free an old instance's pointers in the new one. Native objects are freed here instead,
// only while their instance lives.
const finalizer =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry(({ object, generation: g }) => {
        if (isLive(g)) object.free();
      })
    : null;

/** Frees `object` (a wasm-bindgen object of generation `g`) when `owner` is collected. */
export function freeWith(owner, object, g) {
  if (finalizer) finalizer.register(owner, { object, generation: g });
}
