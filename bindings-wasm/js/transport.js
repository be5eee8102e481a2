// The I/O of the package: the default transport (fetch), the per-attempt timeout, and the
// retry loop around the core's attempts, the same for every transport. Every decision
// (retry or stop, how long to wait, the clock correction, why a retry was withheld) is the
// core's; this loop only sends, waits, and reads the clock and the random numbers, which
// nothing else in the package does.

import { CsmsError, TransportError, invalid } from './errors.js';

/** The local clock, in seconds since the epoch (the core adds the offset it learnt). */
export function nowSeconds() {
  return Date.now() / 1000;
}

/** The host's monotonic clock in milliseconds, any origin (`performance.now()`, else `Date.now()`). */
export const monotonicMs =
  typeof performance === 'object' && performance !== null && typeof performance.now === 'function'
    ? () => performance.now()
    : () => Date.now();

// ---------------------------------------------------------------------------------------
// Options

/** The retry options of a client (whole numbers; their bounds are the core's, see index.js). */
const RETRY_OPTIONS = ['maxAttempts', 'backoffBaseMs', 'backoffCapMs', 'maxRetryAfterMs'];
/** The timeouts of a client, in ms: from 1 to 2^31 - 1 (the longest setTimeout waits). */
const TIMEOUT_OPTIONS = ['connectTimeoutMs', 'timeoutMs'];
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Whether `name` is a client option read by this module. */
export function isCallOption(name) {
  return RETRY_OPTIONS.includes(name) || TIMEOUT_OPTIONS.includes(name);
}

/**
 * The retry and timeout options of `options`, each `defaults`' when not given, and
 * `maxResponseBytes` (the core checks it, as a client option). Each is checked to be a whole
 * number here; the core checks the retry ones' bounds (index.js).
 */
export function callOptions(options, defaults) {
  const out = {};
  for (const name of RETRY_OPTIONS) out[name] = options[name] === undefined ? defaults[name] : whole(name, options[name]);
  for (const name of TIMEOUT_OPTIONS) out[name] = options[name] === undefined ? defaults[name] : timer(name, options[name]);
  // null is absent, as for the core.
  out.maxResponseBytes = options.maxResponseBytes == null ? defaults.maxResponseBytes : options.maxResponseBytes;
  return out;
}

/** The settings one call may take (its second argument), beside `signal`. */
const PER_CALL = ['timeoutMs', 'maxAttempts', 'deadlineMs'];

/**
 * The settings of one call (`client.showSecret(input, { signal, timeoutMs, maxAttempts,
 * deadlineMs })`) over the client's `calls` (from `callOptions`), each checked to be a whole
 * number (a ValidationError naming the one at fault, or an unknown one); the core checks
 * `maxAttempts`' bounds (index.js).
 */
export function perCallOptions(given, calls) {
  if (given === undefined || given === null) return calls;
  if (typeof given !== 'object') throw invalid('options', 'must be an object { signal?, timeoutMs?, maxAttempts?, deadlineMs? }');
  const out = { ...calls };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    if (name === 'signal') {
      if (value === null || typeof value !== 'object' || typeof value.aborted !== 'boolean' || typeof value.addEventListener !== 'function') {
        throw invalid('signal', 'must be an AbortSignal');
      }
      out.signal = value;
    } else if (name === 'maxAttempts') {
      out[name] = whole(name, value);
    } else if (PER_CALL.includes(name)) {
      out[name] = timer(name, value);
    } else {
      throw invalid(name, 'unknown option of a call (signal, timeoutMs, maxAttempts, deadlineMs)');
    }
  }
  return out;
}

/** `value` of the option `name`: a whole number of 0 or more (the core bounds it further). */
function whole(name, value) {
  if (!(Number.isInteger(value) && value >= 0)) throw invalid(name, 'must be a whole number of 0 or more');
  return value;
}

/** `value` of the timeout `name`, in ms: a whole number from 1 to 2^31 - 1. */
function timer(name, value) {
  if (!(Number.isInteger(value) && value >= 1 && value <= MAX_TIMER_MS)) {
    throw invalid(name, `must be a whole number of ms from 1 to ${MAX_TIMER_MS}`);
  }
  return value;
}

/**
 * The error of a call its `signal` aborted: a DOMException named `AbortError` (as fetch
 * rejects with), else an Error of that name; `cause` is the signal's reason.
 */
export function abortError(signal) {
  const message = 'the call was aborted by its signal';
  let error;
  if (typeof DOMException === 'function') {
    error = new DOMException(message, 'AbortError');
  } else {
    error = new Error(message);
    error.name = 'AbortError';
  }
  if (signal.reason !== undefined) Object.defineProperty(error, 'cause', { value: signal.reason, configurable: true, writable: true });
  return error;
}

/** `promise`, or the call's AbortError as soon as `signal` (when given) aborts. */
function untilAborted(promise, signal) {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  let onAbort;
  const aborted = new Promise((_, reject) => {
    onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([promise, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

// ---------------------------------------------------------------------------------------
// The retry loop

/** The errors of attempts this module's own timer ended (see `sendOnce`). */
const OWN_TIMEOUTS = new WeakSet();

/**
 * Runs one call: `attempts` is the core's state machine for it (a `Call` of index.js):
 * `timeout(perAttemptMs, elapsedMs)` the next attempt's timeout, cut to what is left of the
 * call's deadline (it throws the deadline's TransportError when nothing is left);
 * `request(now)` the signed request, or a Promise of it; `receive(response, now, random,
 * elapsedMs)` and `fail(error, now, random, elapsedMs)` (`elapsedMs` the call's time so far,
 * given with a deadline only), each returning `{ waitMs }` or `{ result }` or throwing the
 * call's error; `aborted(error)`, told of an attempt the call's
 * signal ended; and `free()`.
 * Every attempt is signed anew and sent through `transport` within its timeout; `options` are
 * the call's settings (`perCallOptions`): `signal`, `timeoutMs` (each attempt), `deadlineMs`
 * (the whole call, from now: attempts, backoff and Retry-After waits, credential fetches).
 */
export async function runAttempts(attempts, transport, options) {
  const { signal, deadlineMs } = options;
  // The clock is read for a deadline only (nothing else uses the elapsed time).
  const started = deadlineMs === undefined ? 0 : monotonicMs();
  const elapsed = () => monotonicMs() - started;
  try {
    for (;;) {
      // An aborted call sends nothing more, and is not retried.
      if (signal && signal.aborted) throw abortError(signal);
      // Without a deadline the core leaves the timeout as it is: no need to ask it.
      if (deadlineMs !== undefined) attempts.timeout(options.timeoutMs, elapsed()); // the deadline may have passed
      let request = attempts.request(nowSeconds());
      // A Promise when credentials come from a provider (js/credentials.js): they may have
      // to be fetched, or a fetch waited for, first.
      if (typeof request.then === 'function') request = await untilAborted(untilDeadline(request, attempts, deadlineMs, elapsed), signal);
      const timeoutMs = deadlineMs === undefined ? options.timeoutMs : attempts.timeout(options.timeoutMs, elapsed());
      const cut = timeoutMs < options.timeoutMs;
      let outcome;
      let failed = false;
      try {
        outcome = await sendOnce(transport, request, cut ? { ...options, timeoutMs, cut } : options);
      } catch (failure) {
        if (!(failure instanceof TransportError)) {
          if (signal && signal.aborted) attempts.aborted(failure);
          throw failure;
        }
        outcome = failure;
        failed = true;
      }
      // An attempt the deadline's cut of its timeout ended ended at the deadline (a timer may
      // fire a fraction of a millisecond before the monotonic clock says so).
      const spent = deadlineMs === undefined ? undefined : cut && OWN_TIMEOUTS.has(outcome) ? Math.max(elapsed(), deadlineMs) : elapsed();
      const next = (failed ? attempts.fail : attempts.receive).call(attempts, outcome, nowSeconds(), Math.random(), spent);
      if (next.waitMs === undefined) return next.result;
      let timer;
      await untilAborted(new Promise((resolve) => (timer = setTimeout(resolve, next.waitMs))), signal).finally(() => clearTimeout(timer));
    }
  } finally {
    attempts.free();
  }
}

/**
 * `promise` (the credentials of an attempt), or the call's deadline error as soon as the
 * deadline `deadlineMs` (when given) passes: `attempts.timeout` throws it then.
 */
function untilDeadline(promise, attempts, deadlineMs, elapsed) {
  if (deadlineMs === undefined) return promise;
  let timer;
  const passed = new Promise((_, reject) => {
    timer = setTimeout(() => {
      try {
        attempts.timeout(1, Math.max(elapsed(), deadlineMs));
      } catch (e) {
        reject(e);
      }
    }, Math.max(0, Math.ceil(deadlineMs - elapsed())));
  });
  return Promise.race([promise, passed]).finally(() => clearTimeout(timer));
}

/**
 * The second argument of a transport: `signal`, `connectTimeoutMs`, `timeoutMs`,
 * `maxResponseBytes`. The attempt's AbortController is made when first needed: when the
 * transport reads `signal`, or when the attempt is aborted (making one costs more than all
 * the rest of an attempt's bookkeeping). `signal` is an own, enumerable property
 * (`{ ...context }` copies it) with one getter for every attempt: an object literal's
 * getter, a closure made for each object, costs as much again.
 */
class AttemptContext {
  #controller;

  constructor(connectTimeoutMs, timeoutMs, maxResponseBytes) {
    Object.defineProperty(this, 'signal', SIGNAL);
    this.connectTimeoutMs = connectTimeoutMs;
    this.timeoutMs = timeoutMs;
    this.maxResponseBytes = maxResponseBytes;
  }

  /** The AbortController of `context`'s attempt. */
  static controller(context) {
    return (context.#controller ||= new AbortController());
  }
}
const SIGNAL = {
  get() {
    return AttemptContext.controller(this).signal;
  },
  enumerable: true,
  configurable: true,
};

/**
 * One attempt: `transport(request, { signal, connectTimeoutMs, timeoutMs, maxResponseBytes })`,
 * given up after `timeoutMs` (the signal is aborted then, so that a transport that honours
 * it, as the default one does, stops its I/O); `cut` says that the call's deadline cut the
 * timeout. Every failure is a TransportError, but for the call's own `signal` aborting: the
 * transport's signal is aborted too, and the attempt ends at once with the call's AbortError.
 * One Promise settles the attempt (no race of several): the transport's answer, the timer's
 * or the signal's, whichever comes first.
 */
function sendOnce(transport, request, { connectTimeoutMs, timeoutMs, cut, deadlineMs, maxResponseBytes, signal: callSignal }) {
  const context = new AttemptContext(connectTimeoutMs, Math.ceil(timeoutMs), maxResponseBytes);
  return new Promise((resolve, reject) => {
    let timer;
    let onAbort;
    let done = false;
    // The attempt's end: `response` (`failure` undefined), else what failed.
    const finish = (response, failed, failure) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (onAbort) callSignal.removeEventListener('abort', onAbort);
      if (callSignal && callSignal.aborted) reject(abortError(callSignal));
      // Another error of this package (a ValidationError from a transport that called a
      // client, say) is not a network failure: it ends the call as it is.
      else if (failed) reject(failure instanceof CsmsError ? failure : new TransportError(`transport failed: ${failure && failure.message ? failure.message : failure}`, { maybeSent: true, cause: failure }));
      else if (response === null || typeof response !== 'object') reject(new TransportError('the transport returned no response object', { maybeSent: true }));
      else resolve(response);
    };
    if (callSignal) {
      onAbort = () => {
        AttemptContext.controller(context).abort(abortError(callSignal));
        finish(undefined, true);
      };
      callSignal.addEventListener('abort', onAbort, { once: true });
    }
    let sent;
    try {
      sent = transport(request, context);
    } catch (e) {
      return finish(undefined, true, e);
    }
    Promise.resolve(sent).then(finish, (e) => finish(undefined, true, e));
    // The timer is started a microtask later, after the reaction above when `sent` is an
    // answer already there (an in-memory transport): such an attempt needs none. A timer
    // started is always cleared (finish), so that it holds no process open.
    Promise.resolve().then(() => {
      if (!done) {
        timer = setTimeout(() => {
          const within = cut ? `before the call's deadline of ${deadlineMs} ms` : `in ${timeoutMs} ms`;
          const error = new TransportError(`${request.method} ${request.url}: no complete response ${within}`, { maybeSent: true, timedOut: true });
          OWN_TIMEOUTS.add(error);
          AttemptContext.controller(context).abort(error);
          finish(undefined, true, error);
        }, context.timeoutMs);
      }
    });
  });
}

// ---------------------------------------------------------------------------------------
// The default transport

// Headers a browser's fetch refuses to set (it sends its own Host, from the URL).
const FORBIDDEN = new Set([
  'accept-charset', 'accept-encoding', 'access-control-request-headers', 'access-control-request-method',
  'connection', 'content-length', 'cookie', 'cookie2', 'date', 'dnt', 'expect', 'host', 'keep-alive',
  'origin', 'referer', 'set-cookie', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via',
]);

/**
 * The `notRetried` of a request fetch refuses before sending anything: resending the same
 * request cannot help, so the core ends the call at once.
 */
export const UNSENDABLE = 'the HTTP stack refused the request before sending it; resending it cannot help';

/**
 * Error codes (anywhere in a fetch error's `cause` chain) of a request that certainly never
 * left: refused connection, DNS failure, connect timeout (undici). Anything else may have
 * reached the server.
 */
const NEVER_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

/** Error codes of a timeout: undici's connect timeout, the system's (connect or read). */
const TIMED_OUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

/** Whether a fetch error has one of `codes` in its `cause` chain. */
function hasCode(error, codes) {
  for (let e = error, depth = 0; e && depth < 8; e = e.cause, depth++) {
    if (codes.has(e.code)) return true;
    // Node's "happy eyeballs" connect reports every address tried in an AggregateError.
    if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => x && codes.has(x.code))) return true;
  }
  return false;
}

/**
 * The default transport: `globalThis.fetch`. Drops `Host` and the other headers fetch may
 * not set, and reads the whole response (headers included, such as X-Request-Id), at most
 * `maxResponseBytes` of its body (`readBody`).
 *
 * `signal` aborts the request and the reading of its body. `redirect` is fetch's (the
 * metadata requests of js/credentials.js follow none: `manual`). `connectTimeoutMs` bounds the
 * connection in Node when it differs from undici's own 10 s (see `nodeDispatcher`); browsers
 * give no control over the connection, so there only the whole-request timeout applies.
 */
export async function fetchTransport(request, { signal, connectTimeoutMs, maxResponseBytes, redirect } = {}) {
  const fetchFn = globalThis.fetch;
  if (typeof fetchFn !== 'function') {
    throw new TransportError('no global fetch: pass a `transport` option', { maybeSent: false });
  }
  const headers = {};
  for (const [name, value] of Object.entries(request.headers)) {
    const lower = name.toLowerCase();
    if (FORBIDDEN.has(lower) || lower.startsWith('proxy-') || lower.startsWith('sec-')) continue;
    headers[name] = value;
  }
  const init = {
    method: request.method,
    headers,
    body: request.body === null || request.body === undefined ? undefined : request.body,
    signal,
  };
  if (redirect !== undefined) init.redirect = redirect;
  try {
    // What fetch would refuse (a header value, the method, the URL), refused here, where
    // nothing has been sent yet; fetch's message is left out, as it quotes the value.
    if (typeof Request === 'function') new Request(request.url, { method: init.method, headers, body: init.body });
  } catch (e) {
    throw new TransportError(
      `fetch refused the request ${request.method} ${request.url} (${e && e.name}): a header, the method or the URL it does not accept`,
      { maybeSent: false, notRetried: UNSENDABLE },
    );
  }
  const dispatcher = nodeDispatcher(connectTimeoutMs);
  if (dispatcher) init.dispatcher = dispatcher;
  const failed = (what, e, maybeSent) => {
    // Our own timeout aborted it: that error says so already.
    if (signal && signal.aborted && signal.reason instanceof TransportError) return signal.reason;
    const detail = e && e.cause && e.cause.message ? e.cause.message : e;
    const timedOut = hasCode(e, TIMED_OUT);
    return new TransportError(`${what} ${request.method} ${request.url} failed: ${detail}`, { maybeSent, timedOut, cause: e });
  };
  let response;
  try {
    response = await fetchFn(request.url, init);
  } catch (e) {
    throw failed('sending', e, !hasCode(e, NEVER_SENT));
  }
  let body;
  try {
    body = await readBody(response, maxResponseBytes);
  } catch (e) {
    if (e instanceof TransportError && !(signal && signal.aborted)) throw e;
    throw failed('reading the response of', e, true);
  }
  const responseHeaders = {};
  response.headers.forEach((value, name) => {
    responseHeaders[name] = value;
  });
  return { status: response.status, headers: responseHeaders, body };
}

/**
 * The body of a fetch Response as text, at most `limit` bytes of it: a larger
 * `Content-Length` is refused before reading, and reading stops as soon as the body passes
 * the limit. The stream is cancelled then (undici closes the connection), and the error is
 * the core's for it (`Error::response_too_large`): may have been sent, not timed out, not
 * retried, since the same request would most likely get the same answer.
 */
async function readBody(response, limit) {
  const tooLarge = () =>
    new TransportError(`the response body exceeded ${limit} bytes`, {
      maybeSent: true,
      notRetried: 'a response over the limit would be over it again',
    });
  const reader = response.body && response.body.getReader();
  if (Number(response.headers.get('content-length')) > limit) {
    if (reader) reader.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!reader) return '';  // no body (a 204, a HEAD)
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > limit) {
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

// undici (Node's fetch) gives up connecting after 10 s by default, the core's default
// connect timeout. Another connect timeout needs an undici Agent of its own; Node does not
// export undici, but its global dispatcher (under a symbol undici shares between copies of
// itself) is an Agent, whose class makes one. Such an Agent bypasses a global dispatcher
// set with undici's setGlobalDispatcher (a proxy, say), so it is used only for a
// connectTimeoutMs other than 10 s.
const UNDICI_CONNECT_TIMEOUT = 10000;
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
const dispatchers = new Map();

function nodeDispatcher(connectTimeoutMs) {
  if (connectTimeoutMs === undefined || connectTimeoutMs === UNDICI_CONNECT_TIMEOUT) return undefined;
  if (dispatchers.has(connectTimeoutMs)) return dispatchers.get(connectTimeoutMs);
  if (typeof process === 'undefined' || !process.versions || !process.versions.node) return undefined;
  // Node loads undici, which sets its global dispatcher, on the first call of fetch.
  if (!globalThis[GLOBAL_DISPATCHER]) globalThis.fetch('data:,').catch(() => {});
  const global = globalThis[GLOBAL_DISPATCHER];
  const Agent = global && global.constructor;
  const dispatcher = Agent && Agent.name === 'Agent' ? new Agent({ connect: { timeout: connectTimeoutMs } }) : undefined;
  dispatchers.set(connectTimeoutMs, dispatcher);
  return dispatcher;
}
