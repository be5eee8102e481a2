// The WebAssembly instance behind the package: compiled once, instantiated on first use, and
// instantiated anew after a trap. The module is built with panic = immediate-abort (panic =
// abort in a stable-Rust build), so a Rust panic traps in the middle of a function: the instance's memory (allocator, stack pointer, the
// panic count) is then in an unknown state, and nothing may call it again. `call` (every
// call into the module goes through it) calls `poison()` on a trap; the next call gets a
// fresh instance, and clients and credential providers re-create their native objects on it
// (objects are tagged with the generation of their instance).
//
// Where the module comes from depends on the runtime. Node, Deno and Bun read csms_bg.wasm
// from beside this file, synchronously, on first use (`moduleNow`); browsers and bundlers fetch
// it (`init()`, or the first async call: `defaultSource`); the edge runtimes, which forbid
// compiling WebAssembly from bytes, have an entry of their own (js/edge.js, package.json
// `exports`) that imports it as a WebAssembly.Module and gives it to `init`; `init(source)`
// gives it to hosts that load it themselves. (Choosing a loader file by package.json `imports`
// instead cost Node ~2 ms of every import, resolving it: docs/benchmark.md, s31.)

import { initSync, installPanicHook, takePanic, __resetInstance } from './csms_wasm.js';
import { CsmsError, ValidationError, ApiError, DecodeError, TransportError, CredentialsError, RotationError } from './errors.js';

/** Where csms_bg.wasm is: beside this file (or beside a CommonJS bundle of it). */
function location() {
  // import.meta.url is empty in a CommonJS bundle (esbuild, webpack): __filename is the bundle's.
  if (import.meta.url) return defaultSource();
  // eslint-disable-next-line no-undef
  if (typeof __filename === 'string') return `${__filename.replace(/[\\/][^\\/]*$/, '')}/csms_bg.wasm`;
  return './csms_bg.wasm';
}

/**
 * The runtime's synchronous file reader: `fs.readFileSync` from `process.getBuiltinModule`
 * (Node 20.16+, Bun 1.1.21+, Deno 2.1+; not an `import 'node:fs'`, for which Node builds the
 * ES module face of `fs`, ~4 ms of the import), Deno's own before 2.1; none in browsers.
 */
function fileReader() {
  const process = globalThis.process;
  if (process && typeof process.getBuiltinModule === 'function') {
    const fs = process.getBuiltinModule('node:fs');
    if (fs && typeof fs.readFileSync === 'function') return fs.readFileSync;
  }
  const deno = globalThis.Deno;
  if (deno && typeof deno.readFileSync === 'function') return (path) => deno.readFileSync(path);
  return undefined;
}

/** The module read and compiled now where the runtime reads files; else undefined. */
function moduleNow() {
  const read = fileReader();
  if (!read) return undefined;
  const where = location();
  let bytes;
  try {
    bytes = read(where);
  } catch (e) {
    throw new Error(
      `csms-sdk: cannot read its WebAssembly module ${where} (${e.code || e.message}); a bundle needs ` +
        'csms-sdk/csms_bg.wasm copied beside it, or the module given with init(bytes)',
      { cause: e },
    );
  }
  return new WebAssembly.Module(bytes);
}

/**
 * Where browsers fetch csms_bg.wasm from: beside this file. `new URL('./csms_bg.wasm',
 * import.meta.url)` is the form bundlers (webpack 5, Vite, Parcel, Rollup with a plugin)
 * recognise: they emit csms_bg.wasm as an asset and rewrite the URL.
 */
function defaultSource() {
  return new URL('./csms_bg.wasm', import.meta.url);
}

// Importing the package runs nothing of the module: it is compiled on the first call that
// needs it. (Compiling it off the main thread from import, with WebAssembly.compile, made
// both the import and the first call slower on a 2-core machine: the background compile
// competes with the rest of the start-up, and the first call cannot wait for it.)
let compiled; // the WebAssembly.Module, compiled once
let loading; // the Promise of a module being fetched or compiled (init), while it is
let healthy = false; // whether the current instance may be called
let generation = 0; // bumped by every poison(): objects of older generations are dead
let panicMessages = false; // whether a panic leaves its message for takePanic() (not with immediate-abort)

/** The error of a synchronous use before the module is there (browsers: before `init()`). */
function notReady() {
  const reason =
    'the WebAssembly module is not loaded yet: in a browser, `await init()` (exported by csms-sdk) ' +
    'before constructing a client or calling a synchronous function';
  return new CsmsError(`csms-sdk: ${reason}`, 'internal', { reason });
}

/** The module, compiled now if the runtime can (Node, the edge runtimes); else throws notReady. */
function moduleSync() {
  if (!compiled) {
    if (loading) throw notReady();
    compiled = moduleNow();
    if (!compiled) throw notReady();
  }
  return compiled;
}

/** Whether the module is there, or can be had synchronously (then it is compiled now). */
function haveModule() {
  if (compiled) return true;
  if (loading) return false;
  return (compiled = moduleNow()) !== undefined;
}

/** A module compiled from `source` (what `init` takes), asynchronously where it must be. */
async function compile(source) {
  source = await source;
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source);
  if (typeof source === 'string' || source instanceof URL) {
    let response;
    try {
      response = await fetch(source);
    } catch (e) {
      throw new CsmsError(`csms-sdk: cannot fetch its WebAssembly module ${source}: ${e.message}`, 'internal', { cause: e });
    }
    source = response;
  }
  if (typeof Response === 'function' && source instanceof Response) {
    if (!source.ok) throw new CsmsError(`csms-sdk: its WebAssembly module ${source.url}: HTTP ${source.status}`, 'internal');
    // A development server's fallback page instead of the file (Vite's pre-bundling: see the guide).
    if (/^text\/html\b/.test(source.headers.get('content-type') || '')) {
      throw new CsmsError(`csms-sdk: ${source.url} is an HTML page, not its WebAssembly module (csms_bg.wasm)`, 'internal');
    }
    // Streaming compilation needs the server's `application/wasm`; else from the bytes.
    if (typeof WebAssembly.compileStreaming === 'function' && /^application\/wasm\b/.test(source.headers.get('content-type') || '')) {
      return WebAssembly.compileStreaming(source);
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  throw new TypeError('csms-sdk: init() takes a WebAssembly.Module, the bytes of csms_bg.wasm, a Response, a URL, or nothing');
}

/**
 * Loads the package's WebAssembly module (csms_bg.wasm) and resolves when it is ready.
 * Without `source`: the runtime's own way (browsers and bundlers fetch csms_bg.wasm from
 * beside the package's code; elsewhere it is there already). With it, for hosts that load
 * modules themselves: a WebAssembly.Module or the bytes of csms_bg.wasm (both ready at once,
 * as before, without awaiting), a Response or a Promise of one, or the URL to fetch. A source
 * given after the module is in use throws.
 */
export function init(source) {
  if (source === undefined) {
    try {
      if (haveModule()) return Promise.resolve();
    } catch (e) {
      return Promise.reject(e); // Node: csms_bg.wasm unreadable
    }
    if (!loading) source = defaultSource();
  } else if (compiled || loading) {
    throw new Error('csms-sdk: init() must come before the first use of the package');
  } else if (source instanceof WebAssembly.Module) {
    compiled = source;
    return Promise.resolve();
  } else if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) {
    compiled = new WebAssembly.Module(source);
    return Promise.resolve();
  }
  if (!loading) {
    loading = compile(source).then(
      (module) => {
        compiled = module;
        loading = undefined;
      },
      (e) => {
        loading = undefined; // a failed load may be tried again
        throw e;
      },
    );
  }
  return loading;
}

/**
 * For async functions: undefined when the module is there (then nothing is awaited), else
 * the Promise of loading it (`init()`).
 */
export function moduleLoaded() {
  return haveModule() ? undefined : init();
}

/** Makes sure a healthy instance exists and returns its generation. */
export function liveGeneration() {
  if (!healthy) {
    const module = moduleSync();
    __resetInstance();
    initSync({ module });
    panicMessages = installPanicHook();
    healthy = true;
  }
  return generation;
}

/** Whether this build of the module keeps a panic's message (the tests ask). */
export function panicsKeepMessages() {
  liveGeneration();
  return panicMessages;
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

/** An error thrown by the module (or a trap) as one of the package's Errors. */
function fromWasm(e) {
  if (e instanceof CsmsError) return e;
  // The module throws its errors as the JSON text of {kind, message, ...}.
  if (typeof e === 'string' && e[0] === '{') {
    try {
      e = JSON.parse(e);
    } catch (_) {
      // not one of ours: thrown as text below
    }
  }
  if (typeof WebAssembly !== 'undefined' && e instanceof WebAssembly.RuntimeError) {
    let detail = null;
    if (panicMessages) {
      try {
        detail = takePanic();
      } catch (_) {
        // the instance is beyond use
      }
    }
    // Without a message (the release module traps at a panic at once), the trap's own
    // ("unreachable"; the RuntimeError, with its stack, is the cause).
    const reason = detail ? `a panic in csms-core: ${detail}` : `a panic in csms-core (WebAssembly trap: ${e.message})`;
    return new CsmsError(reason, 'internal', { cause: e, reason });
  }
  if (e && typeof e === 'object' && typeof e.kind === 'string') {
    const message = String(e.message || e.kind);
    switch (e.kind) {
      case 'validation':
        return new ValidationError(message, { field: e.field, reason: e.reason });
      case 'api':
        return new ApiError(message, {
          status: e.status,
          errorCode: e.error_code,
          errorMsg: e.error_msg,
          requestId: e.request_id,
          notRetried: e.not_retried,
          retryAfterMs: e.retry_after_ms,
          canonicalRequest: e.canonical_request,
          stringToSign: e.string_to_sign,
        });
      case 'decode':
        return new DecodeError(message, { status: e.status, requestId: e.request_id, reason: e.reason });
      case 'transport':
        return new TransportError(message, { maybeSent: e.maybe_sent, timedOut: e.timed_out, notRetried: e.not_retried, reason: e.reason });
      case 'credentials':
        return new CredentialsError(message, { provider: e.provider, reason: e.reason });
      case 'rotation':
        return new RotationError(message, { step: e.step, reason: e.reason });
      default:
        return new CsmsError(message, e.kind, { reason: e.reason });
    }
  }
  if (e instanceof Error) return e;
  return new CsmsError(String(e), 'internal');
}

/** Calls into the module (instantiating it anew if the last one trapped); errors become Errors. */
export function call(fn) {
  liveGeneration();
  try {
    return fn();
  } catch (e) {
    const error = fromWasm(e);
    if (e instanceof WebAssembly.RuntimeError) poison(); // a trap: this instance is done
    throw error;
  }
}
