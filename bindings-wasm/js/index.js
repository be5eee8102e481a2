// The `csms` package: a CSMS client whose signing, validation and parsing run in
// WebAssembly (csms-core compiled from Rust). An ES module, which `require` loads too
// (js/build-pkg.mjs writes the package).

import {
  checkRetryPolicy,
  signRequest as wasmSignRequest,
  WasmAttempts,
  WasmClient,
  WasmPaginator,
} from './csms_wasm.js';
import { CsmsError, ValidationError, ApiError, DecodeError, TransportError, CredentialsError, RotationError } from './errors.js';
import { call, liveGeneration, isLive, freeWith, moduleLoaded } from './instance.js';
import { defaults } from './defaults.js';
import { callOptions, fetchTransport as fetchWithin, isCallOption, nowSeconds, perCallOptions, runAttempts } from './transport.js';

import {
  CredentialProvider,
  EnvCredentials,
  ProfileCredentials,
  MetadataCredentials,
  FunctionCredentials,
  defaultCredentials,
  environment,
  isProvider,
  nativeOf,
  projectId as providerProjectId,
  ready,
  resolveEndpoint,
  withCredentials,
} from './credentials.js';

import { plainResult } from './shapes.js';
import { SecretCache } from './cache.js';
import { rotate } from './rotation.js';

export { CsmsError, ValidationError, ApiError, DecodeError, TransportError, CredentialsError, RotationError };
export { SecretCache, rotate, defaults };
export { CredentialProvider, EnvCredentials, ProfileCredentials, MetadataCredentials, FunctionCredentials, defaultCredentials };

/** The package version (also sent as `csms-sdk-js/<version>` when `userAgent` is set). */
export const VERSION = '__VERSION__';

// ---------------------------------------------------------------------------------------
// Helpers

// The module's operation names, written in by js/build-pkg.mjs (from the module's
// `operationNames`): importing the package calls nothing in the module, which is compiled
// and instantiated on first use (instance.js).
const OPERATION_NAMES = Object.freeze('__OPERATION_NAMES__'.split(','));

/**
 * JSON text of a value crossing into wasm (objects cross as JSON: far faster than walking
 * them). `root` is the path its members are named from (`tags[0].value`), `field` names
 * the value itself.
 *
 * JSON.stringify writes NaN and ±Infinity as `null` (a member silently dropped, or reported
 * as missing) and a lone surrogate as a `\ud800` escape, which is not Unicode text: only
 * when the text has one of these marks is the value walked to name the member at fault.
 */
function toJson(value, field, root = '') {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new ValidationError(`invalid \`${field}\`: not representable as JSON (${e.message})`, { field, reason: String(e.message) });
  }
  if (text !== undefined && (text.includes('null') || text.includes('\\ud'))) {
    const found = spoiled(value, root, '');
    if (found) {
      const [path, reason] = found;
      const name = path || field;
      throw new ValidationError(`invalid \`${name}\`: ${reason}`, { field: name, reason });
    }
  }
  return text;
}

/**
 * The text of an operation's input for the module (`input_of` in src/lib.rs reads it): for a
 * plain object whose members are all strings (none holding a NUL or a lone surrogate), each
 * name and value after a NUL, `\0name\0value...` (a third of the time of JSON.stringify, and
 * less to read); else its JSON text (toJson, which names a member it cannot send).
 */
function inputText(input) {
  try {
    const proto = input !== null && typeof input === 'object' ? Object.getPrototypeOf(input) : undefined;
    if (proto === Object.prototype || proto === null) {
      let out = '';
      for (const name of Object.keys(input)) {
        const value = input[name];
        if (typeof value !== 'string' || value.includes('\0') || name.includes('\0') || !wellFormed(value) || !wellFormed(name)) {
          out = '';
          break;
        }
        out += '\0' + name + '\0' + value;
      }
      if (out !== '') return out;
    }
  } catch {
    // A proxy or a getter that throws: toJson says what JSON.stringify makes of it.
  }
  return toJson(input === undefined ? null : input, 'input');
}

/** Whether `s` has no lone surrogate (String.prototype.isWellFormed, where there is one). */
const wellFormed =
  typeof String.prototype.isWellFormed === 'function'
    ? (s) => s.isWellFormed()
    : (s) => {
        for (let i = 0; i < s.length; i++) {
          const c = s.charCodeAt(i);
          if (c < 0xd800 || c > 0xdfff) continue;
          const next = s.charCodeAt(i + 1);
          if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) return false;
          i++;
        }
        return true;
      };
const NOT_TEXT = 'is not valid Unicode text (a lone surrogate)';

/**
 * The first member of `value` (at `path`) that JSON.stringify spoils, as `[path, reason]`,
 * visiting what JSON.stringify visits (`toJSON` results, own enumerable members).
 */
function spoiled(value, path, key) {
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') value = value.toJSON(key);
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : [path, 'must be a finite number'];
  if (typeof value === 'string') return wellFormed(value) ? undefined : [path, NOT_TEXT];
  if (value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = spoiled(value[i], `${path}[${i}]`, String(i));
      if (found) return found;
    }
    return undefined;
  }
  for (const k of Object.keys(value)) {
    const member = path ? `${path}.${k}` : k;
    if (!wellFormed(k)) return [member, `${NOT_TEXT} in its name`];
    const found = spoiled(value[k], member, k);
    if (found) return found;
  }
  return undefined;
}

const OPTION_NAMES = {
  region: 'region',
  endpoint: 'endpoint',
  projectId: 'project_id',
  algorithm: 'algorithm',
  userAgent: 'user_agent',
  derivedService: 'derived_service',
  maxClockOffsetMs: 'max_clock_offset_ms',
  maxResponseBytes: 'max_response_bytes',
};
const CREDENTIAL_NAMES = { ak: 'ak', sk: 'sk', securityToken: 'security_token', authToken: 'auth_token' };
/** The retry options as the core's `RetryPolicy::validate` names them. */
const RETRY_NAMES = { maxAttempts: 'max_attempts', backoffBaseMs: 'backoff_base', backoffCapMs: 'backoff_cap', maxRetryAfterMs: 'max_retry_after' };
/** Options of earlier versions, refused with their new name. */
const RENAMED = { retryBaseMs: 'backoffBaseMs', retryCapMs: 'backoffCapMs', onAttempt: 'debugHook' };

// The other way, for the errors of the core, which names the options by their wire names.
const JS_NAMES = new Map();
for (const names of [OPTION_NAMES, CREDENTIAL_NAMES, RETRY_NAMES]) {
  for (const [js, wire] of Object.entries(names)) if (js !== wire) JS_NAMES.set(wire, js);
}
const WIRE_NAME = new RegExp(`\\b(${[...JS_NAMES.keys()].join('|')})\\b`, 'g');

/**
 * An error about the options (`wireOptions` output) as the JS options name them: field
 * `project_id` -> `projectId`, `credentials.auth_token` -> `credentials.authToken`, and the
 * same names in the reason ("or give auth_token").
 */
function jsOptionError(error) {
  if (!(error instanceof ValidationError)) return error;
  const rename = (text) => text.replace(WIRE_NAME, (wire) => JS_NAMES.get(wire));
  const field = rename(error.field);
  const reason = rename(error.reason);
  const message = error.message === `invalid \`${error.field}\`: ${error.reason}` ? `invalid \`${field}\`: ${reason}` : rename(error.message);
  return new ValidationError(message, { field, reason });
}

function wireOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('invalid `options`: must be an object', { field: 'options', reason: 'must be an object' });
  }
  const wire = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === 'transport' || key === 'debugHook' || isCallOption(key)) continue;
    if (key === 'credentials' && isProvider(value)) {
      // A placeholder: the provider's credentials sign every attempt (startCall).
      wire.credentials = { ak: 'provider', sk: 'provider' };
    } else if (key === 'credentials') {
      if (value === null || typeof value !== 'object') {
        throw new ValidationError('invalid `credentials`: must be an object', { field: 'credentials', reason: 'must be an object' });
      }
      const credentials = {};
      for (const [k, v] of Object.entries(value)) {
        if (v === undefined) continue;
        if (!(k in CREDENTIAL_NAMES)) {
          throw new ValidationError(`invalid \`credentials.${k}\`: unknown option`, { field: `credentials.${k}`, reason: 'unknown option' });
        }
        credentials[CREDENTIAL_NAMES[k]] = v;
      }
      wire.credentials = credentials;
    } else if (key in OPTION_NAMES) {
      wire[OPTION_NAMES[key]] = value;
    } else {
      const reason = key in RENAMED ? `unknown option (renamed \`${RENAMED[key]}\`)` : 'unknown option';
      throw new ValidationError(`invalid \`${key}\`: ${reason}`, { field: key, reason });
    }
  }
  if (wire.algorithm === undefined) wire.algorithm = defaults.algorithm;
  return wire;
}

/**
 * The retry settings of `calls` (a client's or a call's) checked by the core's
 * `RetryPolicy::validate`: a ValidationError naming the option (`maxAttempts`, ...).
 */
function checkRetry(calls) {
  try {
    call(() => checkRetryPolicy(calls.maxAttempts, calls.backoffBaseMs, calls.backoffCapMs, calls.maxRetryAfterMs));
  } catch (e) {
    throw jsOptionError(e);
  }
  return calls;
}

/** The settings of one call (`perCallOptions`) over the client's, `maxAttempts` checked by the core. */
function callSettings(options, calls) {
  const settings = perCallOptions(options, calls);
  return settings === calls ? calls : checkRetry(settings);
}

/**
 * Every `at` of the API (`buildRequest`, `signRequest`): a Date, milliseconds since the
 * epoch or an X-Sdk-Date string, now when absent; as the wasm side takes it: whole seconds
 * since the epoch (the start of the second), or NaN for a string, which the module takes
 * as a second argument (`stamp`).
 */
function signingTime(at) {
  if (at === undefined || at === null) return Math.floor(nowSeconds());
  if (typeof at === 'string') return NaN;
  const ms = at instanceof Date ? at.getTime() : at;
  if (typeof ms === 'number' && Number.isFinite(ms)) return Math.floor(ms / 1000);
  const shown =
    at instanceof Date ? 'an invalid Date' : typeof at === 'number' ? String(at) : typeof at === 'object' ? 'an object' : `a ${typeof at}`;
  const reason = `must be a Date, milliseconds since the epoch or an X-Sdk-Date string (YYYYMMDDTHHMMSSZ), not ${shown}`;
  throw new ValidationError(`invalid \`at\`: ${reason}`, { field: 'at', reason });
}

/** `at` when it is an X-Sdk-Date string (the module's argument beside `signingTime`). */
function stamp(at) {
  return typeof at === 'string' ? at : undefined;
}

const OPERATION_OF = new Map(); // the names given, as operationName gives them
// The module's number of each operation (its order of OPERATION_NAMES): a known operation
// crosses as its number, with no name to copy in and look up there; another one by its
// name (undefined here), for the module's error naming the close ones.
const OPERATION_INDEX = new Map(OPERATION_NAMES.map((name, i) => [name, i]));

/** `UpdateSecret` or `updateSecret` -> `UpdateSecret`. */
function operationName(name) {
  const known = OPERATION_OF.get(name);
  if (known !== undefined) return known;
  if (typeof name !== 'string' || name === '') {
    throw new ValidationError('invalid `operation`: must be an operation name', { field: 'operation' });
  }
  const pascal = name[0].toUpperCase() + name.slice(1);
  if (OPERATION_NAMES.includes(pascal)) OPERATION_OF.set(name, pascal);
  return pascal;
}

function headerObject(headers) {
  const out = {};
  if (!headers) return out;
  if (typeof headers.forEach === 'function' && typeof headers.get === 'function') {
    headers.forEach((value, name) => {
      out[name] = String(value);
    });
  } else if (Array.isArray(headers) || typeof headers[Symbol.iterator] === 'function') {
    for (const [name, value] of headers) out[name] = String(value);
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && value !== null) out[name] = Array.isArray(value) ? value.join(', ') : String(value);
    }
  }
  return out;
}

/** The header names of the last request requestOf read, by place (the first 16). */
const NAMES_SEEN = [];

/**
 * A request as the module returns it (`Wire::text` in src/lib.rs): method, URL, body, then
 * each header's name and value, separated by NUL; or, when one of them holds a NUL, the JSON
 * text of `{method, url, headers, body}`. The body is null when empty.
 */
function requestOf(text) {
  if (text[0] === '{') return JSON.parse(text);
  // By indexOf and slice: a third less time than `split` and indexing the parts.
  const a = text.indexOf('\0');
  const b = text.indexOf('\0', a + 1);
  let c = text.indexOf('\0', b + 1);
  const body = text.slice(b + 1, c < 0 ? text.length : c);
  const headers = {};
  for (let i = 0; c >= 0; i++) {
    const d = text.indexOf('\0', c + 1);
    const e = text.indexOf('\0', d + 1);
    // The name the last request had in this place when it is the same (most often), else
    // cut out of the text: a string already a property key costs less to add again.
    const last = NAMES_SEEN[i];
    let name;
    if (last !== undefined && last.length === d - c - 1 && text.startsWith(last, c + 1)) name = last;
    else {
      name = text.slice(c + 1, d);
      if (i < 16) NAMES_SEEN[i] = name;
    }
    const value = text.slice(d + 1, e < 0 ? text.length : e);
    // An own member, as JSON.parse makes it (assigning `__proto__` would set the prototype).
    if (name === '__proto__') Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    else headers[name] = value;
    c = e;
  }
  return { method: text.slice(0, a), url: text.slice(a + 1, b), headers, body: body === '' ? null : body };
}

let decoder;
function bodyText(body) {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    decoder = decoder || new TextDecoder();
    return decoder.decode(body);
  }
  // A fetch Response's stream, a Blob, or JSON an HTTP client already parsed (axios):
  // String() of it would reach the core as "[object Object]".
  const type = typeof body === 'object' && typeof body.constructor === 'function' && body.constructor !== Object && body.constructor.name;
  const given = typeof body !== 'object' ? `a ${typeof body}` : type ? `a ${type}` : 'an object';
  const reason = `must be the body as text or bytes (a string, Uint8Array or ArrayBuffer), not ${given}: read it as text first (fetch: \`await response.text()\`; axios: \`responseType: 'text'\`)`;
  throw new ValidationError(`invalid \`response.body\`: ${reason}`, { field: 'response.body', reason });
}

// ---------------------------------------------------------------------------------------
// The client

/** The names of every operation (PascalCase, as in the API reference). */
export function operationNames() {
  return OPERATION_NAMES.slice();
}

/**
 * Signs a request with the signer alone (no operation): used by the conformance vectors.
 * `spec`: `{credentials: {ak, sk, security_token?}, algorithm, derived?: {region_id, service},
 * at?, request: {method, url, headers, body}}` (`at` as in buildRequest); returns the
 * signed request.
 */
export function signRequest(spec) {
  const object = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
  const text = (v) => (typeof v === 'string' ? v : '');
  const s = object(spec) || {};
  const credentials = object(s.credentials) || {};
  const request = object(s.request) || {};
  const derived = object(s.derived);
  const token = typeof credentials.security_token === 'string' ? credentials.security_token : undefined;
  const at = signingTime(s.at);
  const headers = toJson(request.headers === undefined ? null : request.headers, 'request.headers', 'request.headers');
  return requestOf(
    call(() =>
      wasmSignRequest(
        text(credentials.ak),
        text(credentials.sk),
        token,
        text(s.algorithm),
        derived && text(derived.region_id),
        derived && text(derived.service),
        at,
        stamp(s.at),
        text(request.method),
        text(request.url),
        headers,
        text(request.body),
      ),
    ),
  );
}

const INNER = Symbol('csms.inner');

/**
 * The default transport (js/transport.js): fetch, reading at most `context.maxResponseBytes`
 * of the body (the core's 16 MiB when not given).
 */
export function fetchTransport(request, context = {}) {
  const { maxResponseBytes = defaults.maxResponseBytes } = context;
  return fetchWithin(request, { ...context, maxResponseBytes });
}

/**
 * What each client keeps, out of sight of `console.log`: its options as the core takes them,
 * the transport and call options, and its native client with that object's generation (a
 * native client is made anew from `wire` when its instance trapped; see instance.js).
 */
const STATE = new WeakMap();

export class CsmsClient {
  /**
   * @param options `{ region | endpoint, projectId, credentials: { ak, sk, securityToken? } |
   *   { authToken } | a provider (EnvCredentials(), ...: js/credentials.js), algorithm?,
   *   transport?, userAgent?, derivedService?, maxAttempts?, backoffBaseMs?, backoffCapMs?,
   *   maxRetryAfterMs?, maxClockOffsetMs?, connectTimeoutMs?, timeoutMs?, maxResponseBytes?,
   *   debugHook? }`, each absent one `defaults`' (js/defaults.js); `debugHook(record)` is
   *   called after each attempt (see `startCall`).
   */
  constructor(options) {
    const wire = wireOptions(options);
    const calls = checkRetry(callOptions(options, defaults));
    const transport = options.transport === undefined ? fetchTransport : options.transport;
    if (typeof transport !== 'function') {
      throw new ValidationError('invalid `transport`: must be a function (request) => Promise<response>', { field: 'transport' });
    }
    const { debugHook } = options;
    if (debugHook !== undefined && typeof debugHook !== 'function') {
      throw new ValidationError('invalid `debugHook`: must be a function (record) => void', { field: 'debugHook' });
    }
    const provider = isProvider(options.credentials) ? options.credentials : undefined;
    try {
      const wireJson = toJson(wire, 'options');
      STATE.set(this, { wireJson, transport, calls, debugHook, provider, native: undefined, generation: -1 });
      void this[INNER]; // checks the options now
    } catch (e) {
      throw jsOptionError(e);
    }
  }

  /** The native client, on a live instance (made anew after a panic). */
  get [INNER]() {
    const state = STATE.get(this);
    const generation = liveGeneration();
    if (state.generation !== generation) {
      state.native = call(() => new WasmClient(state.wireJson));
      state.generation = generation;
      freeWith(this, state.native, generation);
    }
    return state.native;
  }

  /** The endpoint requests go to (`https://kms.{region}.myhuaweicloud.com` or the one given). */
  get endpoint() {
    return this[INNER].endpoint;
  }

  /**
   * A client configured from the environment as the official SDKs are: the endpoint from
   * `CSMS_ENDPOINT`, `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>` or the region (`region`, else
   * `HUAWEICLOUD_SDK_REGION`); credentials from the default chain (`defaultCredentials`),
   * fetched now, so that missing ones fail here; the project id from
   * `HUAWEICLOUD_SDK_PROJECT_ID` or the one the credentials name. `env` (an object) replaces
   * `process.env`; the other options are the constructor's, but for `endpoint`, `projectId`
   * and `credentials`, which come from the environment.
   */
  static async fromEnv(options = {}) {
    // Browsers: the module is fetched first (elsewhere it is there: nothing is awaited).
    const loading = moduleLoaded();
    if (loading) await loading;
    if (options === null || typeof options !== 'object') {
      throw new ValidationError('invalid `options`: must be an object', { field: 'options', reason: 'must be an object' });
    }
    const { region, env, ...rest } = options;
    for (const name of ['endpoint', 'projectId', 'credentials']) {
      if (rest[name] !== undefined) {
        const reason = 'comes from the environment with fromEnv (use the constructor to give it)';
        throw new ValidationError(`invalid \`${name}\`: ${reason}`, { field: name, reason });
      }
    }
    if (region !== undefined && typeof region !== 'string') {
      throw new ValidationError('invalid `region`: must be a string', { field: 'region', reason: 'must be a string' });
    }
    const credentials = defaultCredentials({ env });
    const lookup = environment(env);
    const [endpoint, resolved] = resolveEndpoint(region, lookup);
    await ready(credentials);
    const projectId = providerProjectId(credentials, lookup);
    return new CsmsClient({ ...rest, endpoint, region: resolved === null ? undefined : resolved, projectId, credentials });
  }

  /**
   * Validates `input` and builds the signed request of `operation`; no I/O. Not for a
   * client whose credentials come from a provider (its calls sign with them).
   */
  buildRequest(operation, input, at) {
    if (STATE.get(this).provider) {
      const reason = 'buildRequest signs with fixed credentials; a client with a credential provider signs in its calls';
      throw new ValidationError(`invalid \`credentials\`: ${reason}`, { field: 'credentials', reason });
    }
    const name = operationName(operation);
    const time = signingTime(at);
    const text = inputText(input);
    const index = OPERATION_INDEX.get(name);
    return requestOf(call(() => this[INNER].build(index ?? 0, index === undefined ? name : undefined, text, time, stamp(at))));
  }

  /** Turns a response `{ status, headers, body }` into the result of `operation`, or throws. */
  parseResponse(operation, response) {
    const name = operationName(operation);
    const parts = responseParts(response);
    const { status, body } = parts;
    if (status >= 200 && status < 300) {
      // The body as JSON.parse reads it when the core would return it unchanged (shapes.js).
      const plain = plainResult(name, body);
      if (plain !== undefined) return plain;
    }
    return JSON.parse(call(() => this[INNER].parse(name, status, parts.headers, body)));
  }

  /**
   * Calls one operation: validates the input, then signs and sends each attempt through the
   * transport, retrying as the core decides (js/transport.js), and parses the result.
   * `options` are the call's own settings, `{ signal, timeoutMs, maxAttempts, deadlineMs }`
   * (`perCallOptions`); `deadlineMs` bounds the whole call, from now.
   */
  async send(operation, input, options) {
    const name = operationName(operation);
    const text = inputText(input);
    const state = STATE.get(this);
    const { transport, debugHook, provider } = state;
    const calls = callSettings(options, state.calls);
    const start = () => startCall(this, this[INNER], name, text, calls, debugHook, provider);
    if (!provider) return runAttempts(start(), transport, calls);
    // Once more with fresh credentials when the service said the provider's expired.
    const first = start();
    try {
      return await runAttempts(first, transport, calls);
    } catch (e) {
      if (!first.expired) throw e;
    }
    return runAttempts(start(), transport, calls);
  }

  /**
   * The pages of a List operation (`ListSecrets`, ...) from `input`: an async iterable of
   * each page's result, and `items()` of their items; `options` are the settings of each
   * page's call. The operation, input and settings are checked now (a ValidationError).
   */
  paginate(operation, input, options) {
    const name = operationName(operation);
    const text = toJson(input === undefined ? null : input, 'input');
    callSettings(options, STATE.get(this).calls);
    const items = call(() => {
      const pages = new WasmPaginator(name, text);
      try {
        return pages.items;
      } finally {
        pages.free();
      }
    });
    return new Pages(this, name, text, options, items);
  }
}

/**
 * `fn()` (a call into the module) on objects of instance `generation`, or a CsmsError when a
 * panic elsewhere killed that instance: `what` (`the call`) was cut short.
 */
function liveIn(generation, what, fn) {
  return call(() => {
    if (!isLive(generation)) throw new CsmsError(`${what} was cut short by a panic in csms-core`, 'internal');
    return fn();
  });
}

/**
 * The pages of a List operation (`client.paginate`): an async iterable of each page's
 * result, each page one call of `client` with the call settings `options`; `items()` the
 * items of every page in turn. Each iteration starts again from `input` (JSON text); the
 * core's paginator (WasmPaginator) gives each page's input from the previous page's result
 * and says when there is none.
 */
class Pages {
  #client;
  #name;
  #input;
  #options;
  #items;

  constructor(client, name, input, options, items) {
    this.#client = client;
    this.#name = name;
    this.#input = input;
    this.#options = options;
    this.#items = items;
  }

  /** Each page's result, in order, until the last page. */
  async *[Symbol.asyncIterator]() {
    const generation = liveGeneration();
    const pages = call(() => new WasmPaginator(this.#name, this.#input));
    const live = (fn) => liveIn(generation, 'the pages', fn);
    try {
      for (;;) {
        const input = live(() => pages.nextInput());
        if (input === undefined) return;
        const result = await this.#client.send(this.#name, JSON.parse(input), this.#options);
        live(() => pages.advance(JSON.stringify(result)));
        yield result;
      }
    } finally {
      if (isLive(generation)) pages.free();
    }
  }

  /** The items of every page in turn (`secrets` of ListSecrets, ...). */
  async *items() {
    for await (const page of this) yield* page[this.#items] || [];
  }
}

/**
 * A response's status, headers (JSON text) and body (text) as the module takes them.
 * `parseResponse` takes any status that fits the module (0 to 65535); a transport must
 * return a real HTTP status (RFC 9110: 100 to 599).
 */
function responseParts(response, minStatus = 0, maxStatus = 65535) {
  if (response === null || typeof response !== 'object') {
    throw new ValidationError('invalid `response`: must be an object { status, headers, body }', { field: 'response' });
  }
  const given = response.status;
  const status = typeof given === 'number' || typeof given === 'string' ? Number(given) : NaN;
  if (!Number.isInteger(status) || status < minStatus || status > maxStatus) {
    const shown = typeof given === 'string' ? JSON.stringify(given) : typeof given === 'number' ? given : typeof given;
    const reason = `must be an HTTP status from ${minStatus} to ${maxStatus}, not ${shown}`;
    throw new ValidationError(`invalid \`response.status\`: ${reason}`, { field: 'response.status', reason });
  }
  return new ResponseParts(status, bodyText(response.body), response.headers);
}

/** A response as the module takes it; the headers' JSON text made when first read (a 2xx
 * answer read without the module needs none). */
class ResponseParts {
  #given;
  #headers;

  constructor(status, body, headers) {
    this.status = status;
    this.body = body;
    this.#given = headers;
  }

  get headers() {
    if (this.#headers === undefined) this.#headers = JSON.stringify(headerObject(this.#given));
    return this.#headers;
  }
}

/**
 * The core's attempts of one call of `owner` (a CsmsClient, kept reachable by the call), as
 * `runAttempts` (js/transport.js) drives them. Each step returns `{ waitMs }` or
 * `{ result }`, or throws the call's error. A panic elsewhere during the call kills the
 * instance these objects live in: the call then fails.
 * `debugHook`, when given, gets each attempt's record `{ operation, attempt, method, url,
 * status, error, requestId, durationMs, canonicalRequest() }` (status undefined and error the
 * transport failure's message when no response came, or the AbortError's when the call's
 * signal ended the attempt; `canonicalRequest()` the signed canonical request, tokens as
 * `***`, while the hook runs); what it throws is ignored. `deadlineMs`, when given, bounds
 * the whole call (the core's `Attempts::with_deadline`; see `runAttempts`).
 * With a credential `provider`, each attempt is signed with its credentials (fetched first,
 * or a fetch waited for, when due), and `expired` is set when the call's error says they
 * expired (the provider is told, and the call is to be run once more).
 */
function startCall(owner, native, name, input, settings, debugHook, provider) {
  const { maxAttempts, backoffBaseMs, backoffCapMs, maxRetryAfterMs, deadlineMs } = settings;
  const generation = liveGeneration();
  const index = OPERATION_INDEX.get(name);
  const attempts = call(() => new WasmAttempts(native, index ?? 0, index === undefined ? name : undefined, input, maxAttempts, backoffBaseMs, backoffCapMs, maxRetryAfterMs, deadlineMs));
  const live = (fn) => liveIn(generation, 'the call', fn);
  let sent;
  const report = (status, error, parts) => {
    if (!debugHook) return;
    let requestId = '';
    for (const [key, value] of Object.entries(parts ? JSON.parse(parts.headers) : {})) {
      if (key.toLowerCase() === 'x-request-id') requestId = value;
    }
    const { method, url } = sent.request;
    const record = { operation: name, attempt: attempts.attempt, method, url, status, error, requestId };
    record.durationMs = Date.now() - sent.at;
    record.canonicalRequest = () => live(() => attempts.canonicalRequest(native));
    try {
      const r = debugHook(record);
      if (r && typeof r.then === 'function') r.then(undefined, () => {});
    } catch (_) {
      // the hook's failure is not the call's
    }
  };
  const fail = (failure, now, random, elapsedMs) => {
    report(undefined, failure.message);
    try {
      const timedOut = failure.timedOut === true;
      // A transport's reason why resending cannot help (see fetchTransport) ends the call.
      const notRetried = typeof failure.notRetried === 'string' ? failure.notRetried : undefined;
      const maybeSent = failure.maybeSent !== false;
      return { waitMs: live(() => attempts.fail(native, failure.message, maybeSent, timedOut, notRetried, now, random, elapsedMs)) };
    } catch (e) {
      // The call's error is the core's account of the last failure; keep what caused it.
      if (e instanceof TransportError && failure.cause !== undefined) e.cause = failure.cause;
      throw e;
    }
  };
  const signed = (text) => {
    const request = requestOf(text);
    sent = { request, at: debugHook ? Date.now() : 0 }; // the clock for the hook's durationMs only
    return request;
  };
  const step = {
    // The client stays reachable while its call runs: collected, it would free the native
    // client the call uses (instance.js, freeWith).
    owner,
    expired: false,
    timeout(perAttemptMs, elapsedMs) {
      return live(() => attempts.timeout(perAttemptMs, elapsedMs));
    },
    request(now) {
      if (!provider) return signed(live(() => attempts.request(native, now)));
      return withCredentials(provider, (credentials) => live(() => attempts.requestWith(native, credentials, nowSeconds()))).then(signed);
    },
    receive(response, now, random, elapsedMs) {
      let parts;
      try {
        parts = responseParts(response, 100, 599);
      } catch (e) {
        // The request was sent and what came back is no response: a failure of the
        // transport, which may have delivered the request.
        const failure = new TransportError(`the transport returned a bad response: ${e.message}`, { maybeSent: true, cause: e });
        return fail(failure, now, random, elapsedMs);
      }
      const { status, body } = parts;
      report(status, undefined, parts);
      try {
        // The core reads neither the headers nor the body of a 2xx to decide (it ends the
        // call, -1): they are not passed, and the body is read here when the core would
        // return it unchanged (shapes.js), else by the module.
        const ok = status >= 200 && status < 300;
        const next = live(() => attempts.receive(native, status, ok ? '' : parts.headers, ok ? '' : body, now, random, elapsedMs));
        if (next >= 0) return { waitMs: next };
        const plain = plainResult(name, body);
        return { result: plain !== undefined ? plain : JSON.parse(live(() => native.parse(name, status, parts.headers, body))) };
      } catch (e) {
        if (provider && isLive(generation)) step.expired = attempts.expire(nativeOf(provider));
        throw e;
      }
    },
    fail,
    aborted(error) {
      if (sent) report(undefined, error.message);
    },
    free() {
      if (isLive(generation)) attempts.free();
    },
  };
  return step;
}

for (const name of OPERATION_NAMES) {
  const method = name[0].toLowerCase() + name.slice(1);
  Object.defineProperty(CsmsClient.prototype, method, {
    value: {
      [method](input, options) {
        return this.send(name, input, options);
      },
    }[method],
    writable: true,
    configurable: true,
  });
}

export default CsmsClient;
