// Credential providers: the environment, the profile file, the instance metadata service, an
// application's function, and the default chain of the first three. Each provider object
// holds its refresh state in the module (`WasmProvider`: when to fetch, one fetch at a time,
// what the last fetch learnt); every decision is the core's. This file only does the I/O a
// fetch names (`WasmFetch`): it reads the environment, sends the metadata requests, reads the
// profile file, calls the application's function, and keeps one Promise per provider for
// the fetch in flight, which concurrent callers await (JavaScript runs one thing at a time,
// so nothing else is needed for single flight). Nothing is read at import time.

import { WasmProvider, resolveEndpoint as wasmResolveEndpoint } from './csms_wasm.js';
import { METADATA_TIMEOUT_MS } from './defaults.js';
import { CsmsError, ValidationError } from './errors.js';
import { call, freeWith, liveGeneration, moduleLoaded } from './instance.js';
import { fetchTransport, nowSeconds } from './transport.js';

/** Set in the process environment by test suites: the real metadata address is refused. */
const TEST_GUARD = 'CSMS_TEST_NO_METADATA';

/** A variable of the process environment (Node, Bun; Deno with --allow-env), else undefined. */
function processVar(name) {
  try {
    const env = globalThis.process && globalThis.process.env;
    const value = env ? env[name] : undefined;
    return typeof value === 'string' ? value : undefined;
  } catch (_) {
    return undefined; // Deno without the permission throws
  }
}

/**
 * The environment as the module reads it (`get(name)`, which never throws): the variables of
 * `env` (an object, e.g. a Workers `env` or a test's), else of the process. The test guard is
 * also read from the process whatever `env` says, as the core's own driver does.
 */
export function environment(env) {
  const read =
    env === undefined
      ? processVar
      : (name) => {
          try {
            const value = env[name];
            return typeof value === 'string' ? value : undefined;
          } catch (_) {
            return undefined;
          }
        };
  return { get: (name) => (name === TEST_GUARD && processVar(name)) || read(name) };
}

function checkEnv(env) {
  if (env !== undefined && (env === null || typeof env !== 'object')) {
    const reason = 'must be an object of environment variables';
    throw new ValidationError(`invalid \`env\`: ${reason}`, { field: 'env', reason });
  }
}

function checkText(value, field) {
  if (value !== undefined && (typeof value !== 'string' || value === '')) {
    throw new ValidationError(`invalid \`${field}\`: must be a non-empty string`, { field, reason: 'must be a non-empty string' });
  }
}

/** What each provider keeps, out of sight of `console.log` (it holds no secret itself). */
const PROVIDERS = new WeakMap();
const MAKE = Symbol('csms.provider');

/**
 * A source of credentials for `new CsmsClient({ credentials })`, made by `EnvCredentials`,
 * `ProfileCredentials`, `MetadataCredentials`, `FunctionCredentials` or `defaultCredentials`.
 * One provider may serve several clients: it fetches once for all of them.
 */
export class CredentialProvider {
  constructor(make, kind, arg, env, fn) {
    if (make !== MAKE) throw new TypeError('make a provider with EnvCredentials(), ProfileCredentials(), ... or defaultCredentials()');
    PROVIDERS.set(this, { kind, arg, env: environment(env), fn, native: undefined, generation: -1, inFlight: null });
    Object.freeze(this);
  }
}

/** Whether `value` is a provider of this copy of the package. */
export function isProvider(value) {
  return PROVIDERS.has(value);
}

/** The provider's native state (`WasmProvider`), on a live instance (made anew after a panic). */
export function nativeOf(provider) {
  const state = PROVIDERS.get(provider);
  const generation = liveGeneration();
  if (state.generation !== generation) {
    state.native = call(() => new WasmProvider(state.kind, state.arg));
    state.generation = generation;
    state.inFlight = null;
    freeWith(provider, state.native, generation);
  }
  return state.native;
}

/**
 * Runs `attempt(native)` (a step that acquires the provider's credentials: the number
 * `WasmProvider.acquire` gives, `-1` when there are credentials; or something else, such as a
 * request signed with them) until there are credentials: fetches (code 0, this caller) or
 * waits for the fetch in flight (code n). Returns what `attempt` gave; throws the provider's
 * error, as every caller waiting for the same fetch does.
 */
export async function withCredentials(provider, attempt) {
  const loading = moduleLoaded(); // browsers: the module is fetched first
  if (loading) await loading;
  for (;;) {
    const got = attempt(nativeOf(provider));
    if (typeof got !== 'number' || got < 0) return got;
    if (got === 0) {
      await fetchOnce(provider);
    } else {
      const { inFlight } = PROVIDERS.get(provider);
      if (!inFlight) throw new CsmsError(`csms-sdk: credential fetch ${got} is not running`, 'internal');
      await inFlight;
      const native = nativeOf(provider);
      call(() => native.waited(got));
    }
  }
}

/** Makes sure `provider` has credentials now (fetching them if needed); throws its error. */
export function ready(provider) {
  return withCredentials(provider, (native) => call(() => native.acquire(nowSeconds())));
}

/** The endpoint and region of a client configured from `env` (the core's `resolve_endpoint`). */
export function resolveEndpoint(region, env) {
  return JSON.parse(call(() => wasmResolveEndpoint(region, env)));
}

/** The project id of a client configured from `env` with `provider` (the core's `project_id`). */
export function projectId(provider, env) {
  const native = nativeOf(provider);
  return call(() => native.projectId(env, nowSeconds()));
}

/**
 * One fetch, by the caller that `WasmProvider.acquire` chose: the module says what it needs
 * and this does it, until it is over. Its Promise (which never rejects) is the provider's
 * `inFlight` meanwhile; the fetch's error is this caller's.
 */
async function fetchOnce(provider) {
  const state = PROVIDERS.get(provider);
  const { native, generation } = state;
  let release;
  state.inFlight = new Promise((resolve) => {
    release = resolve;
  });
  const fetch = call(() => native.fetch());
  try {
    for (;;) {
      const need = JSON.parse(call(() => fetch.next(state.env)));
      if (need.http) await metadataRequest(fetch, need.http);
      else if (need.file !== undefined) await readFile(fetch, need.file);
      else if (need.host) await callFunction(fetch, state.fn);
      else break;
    }
  } finally {
    if (state.generation === generation) state.inFlight = null;
    release();
    // A fetch cut short (a panic) ends as failed; a dead instance's state is gone anyway.
    if (state.generation === generation && generation === liveGeneration()) call(() => native.finish(fetch, nowSeconds()));
  }
}

/** A metadata request: fetch, within the core's metadata timeout, following no redirect. */
async function metadataRequest(fetch, request) {
  const signal = typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(METADATA_TIMEOUT_MS) : undefined;
  let response;
  try {
    // Its answers are a few hundred bytes: 64 KiB is plenty.
    response = await fetchTransport(request, { signal, maxResponseBytes: 65536, redirect: 'manual' });
  } catch (e) {
    const timedOut = signal !== undefined && signal.aborted;
    return call(() => fetch.failed(describe(e), timedOut));
  }
  call(() => fetch.received(response.status, response.body));
}

/** The profile file as UTF-8 text, where there is a file system (`node:fs`). */
async function readFile(fetch, path) {
  let text;
  let why = '';
  try {
    const versions = globalThis.process && globalThis.process.versions;
    if (!versions || !versions.node) throw new Error('no file system here');
    // Loaded when needed, so that browsers and bundlers never load it.
    const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ 'node:fs/promises');
    text = await fs.readFile(path, 'utf8');
  } catch (e) {
    why = e && e.code === 'ENOENT' ? 'does not exist' : describe(e);
  }
  call(() => fetch.read(text, why));
}

/** Calls the application's function; its result goes to the module as JSON text, at once. */
async function callFunction(fetch, fn) {
  let result;
  try {
    result = await fn();
  } catch (e) {
    return call(() => fetch.called(undefined, describe(e)));
  }
  let text;
  try {
    text = JSON.stringify(result === undefined ? null : result, hostValue);
  } catch (_) {
    text = '?'; // not JSON: refused by the module
  }
  call(() => fetch.called(text, ''));
}

/**
 * A Date (`expiresAt`) as milliseconds, not text; a Date or number that is no time or no
 * finite number as text, which the module refuses (JSON would write `null`: absent).
 */
function hostValue(key, value) {
  const given = this[key];
  if (given instanceof Date) value = given.getTime();
  return typeof value === 'number' && !Number.isFinite(value) ? String(given) : value;
}

function describe(e) {
  try {
    return e instanceof Error ? e.message : String(e);
  } catch (_) {
    return 'an unprintable value';
  }
}

// ---------------------------------------------------------------------------------------
// The providers

/**
 * `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` (both required), `HUAWEICLOUD_SDK_SECURITY_TOKEN`
 * and `HUAWEICLOUD_SDK_PROJECT_ID`, read at each fetch from `env` (an object), else from
 * `process.env`. A missing one is a ValidationError naming it.
 */
export function EnvCredentials({ env } = {}) {
  checkEnv(env);
  return new CredentialProvider(MAKE, 'environment', undefined, env);
}

/**
 * The official SDKs' profile file, `[basic]` section: `path`, else
 * `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`; read only, at each
 * fetch, where there is a file system (Node, Bun, Deno).
 */
export function ProfileCredentials({ path, env } = {}) {
  checkText(path, 'path');
  checkEnv(env);
  return new CredentialProvider(MAKE, 'profile', path, env);
}

/**
 * Temporary keys from the instance metadata service of a cloud server: `endpoint`, else
 * `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254` (refused when the process
 * environment has `CSMS_TEST_NO_METADATA`); 3-second timeouts.
 */
export function MetadataCredentials({ endpoint, env } = {}) {
  checkText(endpoint, 'endpoint');
  checkEnv(env);
  return new CredentialProvider(MAKE, 'metadata', endpoint, env);
}

/**
 * Credentials from the application's own (async) function, called when they are due:
 * it returns `{ ak, sk, securityToken?, expiresAt?, projectId? }` or `{ authToken,
 * expiresAt?, projectId? }` (`expiresAt` a Date or milliseconds since the epoch). If it
 * throws or returns anything else, calls fail with a CredentialsError naming it (`name`,
 * `function` by default) and nothing is sent.
 */
export function FunctionCredentials(fn, { name = 'function' } = {}) {
  if (typeof fn !== 'function') {
    throw new ValidationError('invalid `fn`: must be a function () => credentials', { field: 'fn', reason: 'must be a function' });
  }
  checkText(name, 'name');
  return new CredentialProvider(MAKE, 'function', name, undefined, fn);
}

/**
 * The default chain, in the official SDKs' order: the environment, the profile file, the
 * instance metadata service. The first that gives credentials is kept; when none does, the
 * CredentialsError (provider `default chain`) says why each did not.
 */
export function defaultCredentials({ env } = {}) {
  checkEnv(env);
  return new CredentialProvider(MAKE, 'chain', undefined, env);
}
