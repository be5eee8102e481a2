// The secret cache: the core's cache rules (`WasmCache`, over csms-core's `CacheState`) driven
// from JavaScript. Every decision (hit, wait, send, stale, back-off, eviction) is the core's;
// this file sends each flight's requests through the client's own call path (retries,
// credentials), keeps one Promise per flight for the readers that wait for it (JavaScript
// runs one thing at a time: nothing else is needed for single flight), reads the monotonic
// clock and calls the change listeners.
//
// A flight runs as its own task: its Promise settles whoever awaits it, so a reader that
// stops awaiting (a timeout of its own, say) never cuts it short for the others.
//
// Hits stay on this side of the boundary but for one call: the module answers a hit with the
// slot of the version (a number), and the decoded object of each version is kept here, made
// once (frozen, shared by every reader), and dropped when the module says the core let the
// version go.

import { WasmCache } from './csms_wasm.js';
import { ApiError, CsmsError, ValidationError, errorJson, invalid } from './errors.js';
import { defaults } from './defaults.js';
import { call, freeWith, isLive, liveGeneration } from './instance.js';
import { monotonicMs } from './transport.js';

/** Two random 32-bit numbers for the core's jitter. */
function seed() {
  const crypto = globalThis.crypto;
  if (crypto && typeof crypto.getRandomValues === 'function') return Array.from(crypto.getRandomValues(new Uint32Array(2)));
  return [Math.floor(Math.random() * 2 ** 32), Math.floor(Math.random() * 2 ** 32)];
}

const ACCEPTED_STAGES = ['SYSCURRENT', 'SYSPREVIOUS', 'SYSPENDING'];
/** A flight whose instance trapped meanwhile (js/instance.js): its readers read again. */
const GONE = -1;

/** `value` and everything in it, frozen (every reader shares one object per version). */
function frozen(value) {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) frozen(value[key]);
  }
  return value;
}

function bytesOf(base64) {
  if (typeof Buffer === 'function' && typeof Buffer.from === 'function') return new Uint8Array(Buffer.from(base64, 'base64'));
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(base64);
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** `[target, byVersion]` of a read's options `{ stage?, versionId? }` ('' is SYSCURRENT). */
function targetOf(options) {
  if (options === undefined) return ['', false];
  if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object { stage?, versionId? }');
  const { stage, versionId } = options;
  if (versionId !== undefined) {
    if (typeof versionId !== 'string' || versionId === '') throw invalid('versionId', 'must be a non-empty string');
    if (stage !== undefined) throw invalid('stage', 'give a stage or a versionId, not both');
    return [versionId, true];
  }
  if (stage === undefined) return ['', false];
  if (typeof stage !== 'string' || stage === '') throw invalid('stage', 'must be a non-empty string');
  return [stage, false];
}

function checkName(name) {
  if (typeof name !== 'string') throw invalid('name', 'must be the secret name, a string');
}

/** The core's names of the settings, as the options name them. */
const OPTION_NAMES = { ttl: 'ttlMs', max_entries: 'maxEntries' };

function checkNumber(value, field, min) {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalid(field, `must be a finite number of ${min} or more`);
  }
}

/**
 * A cache of secret values in front of a `CsmsClient` (csms-core's cache rules, the same in
 * every language): reads follow a stage (`SYSCURRENT` by default) through a pointer
 * refreshed every `ttlMs` (jittered), each version's value is fetched once, concurrent reads
 * of a cold entry share one request, and a service outage serves the last value for up to
 * `maxStaleMs`. A deleted secret (404) or revoked access (403) is raised, never hidden.
 */
export class SecretCache {
  #client;
  #settings;
  #native;
  #generation = -1;
  /** The decoded version of each slot. */
  #objects = [];
  /** The binary value of each version object, decoded once asked for. */
  #binaries = new WeakMap();
  /** The Promise of each flight in progress, by number. */
  #flights = new Map();
  #listeners = new Set();

  /**
   * @param client a `CsmsClient` (its calls, retries and credentials send the cache's requests)
   * @param options `{ ttlMs, maxEntries, maxStaleMs (null: no limit) }`, each `defaults.cache`'s
   *   when not given (300000, 1024, 86400000)
   */
  constructor(client, options = {}) {
    if (client === null || typeof client !== 'object' || typeof client.send !== 'function') {
      throw invalid('client', 'must be a CsmsClient');
    }
    if (options === null || typeof options !== 'object') throw invalid('options', 'must be an object');
    const { ttlMs = defaults.cache.ttlMs, maxEntries = defaults.cache.maxEntries, maxStaleMs = defaults.cache.maxStaleMs, ...rest } = options;
    for (const key of Object.keys(rest)) throw invalid(key, 'unknown option');
    checkNumber(ttlMs, 'ttlMs', 0);
    if (!Number.isInteger(maxEntries) || maxEntries < 1) throw invalid('maxEntries', 'must be a whole number of 1 or more');
    if (maxStaleMs !== null) checkNumber(maxStaleMs, 'maxStaleMs', 0);
    this.#client = client;
    this.#settings = [ttlMs, maxEntries, maxStaleMs === null ? undefined : maxStaleMs];
    try {
      this.#state();
    } catch (e) {
      const field = e instanceof ValidationError && OPTION_NAMES[e.field];
      throw field ? invalid(field, e.reason) : e;
    }
  }

  /** The native cache, on a live instance (made anew, empty, after a trap). */
  #state() {
    const generation = liveGeneration();
    if (generation !== this.#generation) {
      const [ttlMs, maxEntries, maxStaleMs] = this.#settings;
      const [hi, lo] = seed();
      this.#native = call(() => new WasmCache(ttlMs, maxEntries, maxStaleMs, hi, lo));
      this.#generation = generation;
      this.#objects = [];
      this.#flights = new Map();
      freeWith(this, this.#native, generation);
    }
    return this.#native;
  }

  /**
   * The version of the secret `name` carrying `stage` (`SYSCURRENT` by default), or the
   * version `versionId`: `{ version_metadata, secret_string | secret_binary }` as
   * `showSecretVersion` gives it, frozen and shared by every reader.
   */
  get(name, options) {
    try {
      checkName(name);
      const [target, byVersion] = targetOf(options);
      const native = this.#state();
      const code = call(() => native.get(name, target, byVersion, monotonicMs()));
      if (code >= 0) return Promise.resolve(this.#object(native, code));
      return this.#miss(name, target, byVersion, native, code);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The text value (`secret_string`) of what `get` reads; undefined for a binary secret. */
  async getSecretString(name, options) {
    return (await this.get(name, options)).secret_string;
  }

  /** The binary value (`secret_binary`, decoded) of what `get` reads, a copy; undefined for a text secret. */
  async getSecretBinary(name, options) {
    const version = await this.get(name, options);
    if (typeof version.secret_binary !== 'string') return undefined;
    let bytes = this.#binaries.get(version);
    if (bytes === undefined) this.#binaries.set(version, (bytes = bytesOf(version.secret_binary)));
    return bytes.slice();
  }

  /**
   * Asks the service now (unless it was asked less than a second ago) and returns the current
   * version: for the moment the application learns that its value stopped working.
   */
  refresh(name) {
    try {
      checkName(name);
      const native = this.#state();
      call(() => native.refresh(name, monotonicMs()));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.get(name);
  }

  /**
   * The versions a verifier accepts during a rotation: `SYSCURRENT`, then `SYSPREVIOUS` and
   * `SYSPENDING` when they exist, each version once.
   */
  async accepted(name) {
    const versions = [];
    for (const stage of ACCEPTED_STAGES) {
      let version;
      try {
        version = await this.get(name, { stage });
      } catch (e) {
        if (stage !== ACCEPTED_STAGES[0] && e instanceof ApiError && e.status === 404) continue;
        throw e;
      }
      const id = version.version_metadata && version.version_metadata.id;
      if (!versions.some((v) => v === version || (id !== undefined && v.version_metadata && v.version_metadata.id === id))) {
        versions.push(version);
      }
    }
    return versions;
  }

  /**
   * Calls `listener({ secretName, stage, from, to })` whenever a stage of a cached secret is
   * seen on another version (`null`: none). What it throws (or rejects with) is ignored.
   * Returns a function that removes it.
   */
  onChange(listener) {
    if (typeof listener !== 'function') throw invalid('listener', 'must be a function (change) => void');
    const entry = (change) => listener(change); // one registration per call
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /** Forgets every cached value (reads in progress still end). */
  clear() {
    const native = this.#state();
    call(() => native.clear());
    this.#after(native);
  }

  /** The object of the version in `slot`. */
  #object(native, slot) {
    const object = this.#objects[slot];
    if (object !== undefined) return object;
    return (this.#objects[slot] = frozen(JSON.parse(call(() => native.value(slot))) || {}));
  }

  /** A read that is no hit: `code` says to send flight n (-2n-1) or to wait for it (-2n). */
  async #miss(name, target, byVersion, native, code) {
    for (;;) {
      const id = Math.floor(-code / 2);
      const flight = -code % 2 === 1 ? this.#fly(native, this.#generation, id) : this.#flights.get(id);
      if (flight === undefined) throw new CsmsError(`csms-sdk: cache flight ${id} is not running`, 'internal');
      let slot = GONE;
      let failure;
      try {
        slot = await flight;
      } catch (e) {
        failure = e;
      }
      if (-code % 2 === 0 && this.#native === native && isLive(this.#generation)) {
        // A waiter takes its share of the outcome (the core keeps it until every waiter
        // did); its error is the flight's own, with its cause, as the flight's Promise gave it.
        let taken = GONE;
        try {
          taken = call(() => native.outcome(id));
        } catch (_) {
          taken = 0;
        }
        if (taken < 0) [slot, failure] = [GONE, undefined]; // abandoned: read again
      }
      if (failure !== undefined) throw failure;
      if (slot !== GONE && this.#native === native) return this.#object(native, slot);
      // Abandoned, or the instance was replaced: read again.
      native = this.#state();
      code = call(() => native.get(name, target, byVersion, monotonicMs()));
      if (code >= 0) return this.#object(native, code);
    }
  }

  /**
   * Sends flight `id`'s requests through the client, in a task of its own (its Promise, kept
   * for the waiters, resolves with the version's slot or rejects with the flight's error).
   */
  #fly(native, generation, id) {
    const flights = this.#flights;
    const run = async () => {
      let ended = false;
      try {
        for (;;) {
          const [operation, input] = JSON.parse(call(() => native.request(id)));
          let result;
          let failure;
          try {
            result = await this.#client.send(operation, input);
          } catch (e) {
            failure = e === undefined ? new CsmsError('the call failed', 'internal') : e;
          }
          if (!isLive(generation) || this.#generation !== generation) {
            ended = true;
            return GONE;
          }
          let code;
          try {
            code =
              failure === undefined
                ? call(() => native.received(id, JSON.stringify(result), '', monotonicMs()))
                : call(() => native.received(id, undefined, errorJson(failure), monotonicMs()));
          } catch (e) {
            ended = true;
            if (isLive(generation)) this.#after(native);
            // The flight's error: the call's own (with its cause), unless the module failed.
            throw failure !== undefined && e.kind !== 'internal' ? failure : e;
          }
          if (code === -1) continue; // the value, once the stage named a version not cached
          ended = true;
          if (failure === undefined && operation === 'ShowSecretVersion' && this.#objects[code] === undefined) {
            this.#objects[code] = frozen((result && result.version) || {});
          }
          this.#after(native);
          return code;
        }
      } finally {
        // Cut short (a bug, a trap): the waiters read again, one of them sends.
        if (!ended && isLive(generation) && this.#generation === generation) call(() => native.abandon(id));
      }
    };
    const flight = run();
    flights.set(id, flight);
    const forget = () => {
      flights.delete(id);
    };
    flight.then(forget, forget);
    return flight;
  }

  /** After a flight: forgets the objects of versions the core let go, tells the listeners. */
  #after(native) {
    const [dropped, changes] = call(() => native.settled()).split('\n');
    if (dropped !== '') {
      for (const slot of dropped.split(',')) this.#objects[slot] = undefined;
    }
    if (changes === '' || this.#listeners.size === 0) return;
    const listeners = [...this.#listeners];
    for (const change of JSON.parse(changes)) {
      for (const listener of listeners) {
        try {
          const r = listener(Object.freeze(change));
          if (r && typeof r.then === 'function') r.then(undefined, () => {});
        } catch (_) {
          // the listener's failure is not the read's
        }
      }
    }
  }
}
