// The `csms` package: a CSMS client whose signing, validation and parsing run in
// WebAssembly (csms-core compiled from Rust). This file is written as an ES module;
// build.sh derives the CommonJS copy from it (see js/build-pkg.mjs).

import {
  initSync,
  installPanicHook,
  takePanic,
  operationNames as wasmOperationNames,
  signRequest as wasmSignRequest,
  __panicForTests as wasmPanic,
  WasmClient,
} from './csms_wasm.js';
import { wasmBytes } from './csms_wasm_bytes.js';

initSync({ module: wasmBytes() });
installPanicHook();

/** The package version (also sent as `csms-sdk-js/<version>` when `userAgent` is set). */
export const VERSION = '__VERSION__';

// ---------------------------------------------------------------------------------------
// Errors

/** Every error this package throws: `code` is the kind (`validation`, `api`, ...). */
export class CsmsError extends Error {
  constructor(message, code = 'internal', options) {
    super(message, options && options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CsmsError';
    this.code = code;
  }
}

/** The input (or an option) was refused before anything was sent; `field` names it. */
export class ValidationError extends CsmsError {
  constructor(message, { field = '', reason = message } = {}) {
    super(message, 'validation');
    this.name = 'ValidationError';
    this.field = field;
    this.reason = reason;
  }
}

/** The service answered with an error status. */
export class ApiError extends CsmsError {
  constructor(message, { status = 0, errorCode = '', errorMsg = '', requestId = '' } = {}) {
    super(message, 'api');
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.errorMsg = errorMsg;
    this.requestId = requestId;
  }
}

/** A 2xx response whose body is not what the operation returns. */
export class DecodeError extends CsmsError {
  constructor(message, { status = 0, requestId = '', reason = message } = {}) {
    super(message, 'decode');
    this.name = 'DecodeError';
    this.status = status;
    this.requestId = requestId;
    this.reason = reason;
  }
}

/** The request could not be sent, or no response came back. */
export class TransportError extends CsmsError {
  constructor(message, { maybeSent = true, cause } = {}) {
    super(message, 'transport', { cause });
    this.name = 'TransportError';
    this.maybeSent = maybeSent;
  }
}

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
    try {
      detail = takePanic();
    } catch (_) {
      // the instance is beyond use
    }
    return new CsmsError(`internal error in csms-core: ${detail || e.message}`, 'panic', { cause: e });
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
        });
      case 'decode':
        return new DecodeError(message, { status: e.status, requestId: e.request_id, reason: e.reason });
      case 'transport':
        return new TransportError(message, { maybeSent: e.maybe_sent });
      default:
        return new CsmsError(message, e.kind);
    }
  }
  if (e instanceof Error) return e;
  return new CsmsError(String(e), 'internal');
}

function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromWasm(e);
  }
}

// ---------------------------------------------------------------------------------------
// Helpers

const OPERATION_NAMES = Object.freeze(call(() => wasmOperationNames()).split(','));

/** JSON text of a value crossing into wasm (objects cross as JSON: far faster than walking them). */
function toJson(value, field) {
  try {
    return JSON.stringify(value);
  } catch (e) {
    throw new ValidationError(`invalid \`${field}\`: not representable as JSON (${e.message})`, { field, reason: String(e.message) });
  }
}

const OPTION_NAMES = {
  region: 'region',
  endpoint: 'endpoint',
  projectId: 'project_id',
  algorithm: 'algorithm',
  userAgent: 'user_agent',
  derivedService: 'derived_service',
};
const CREDENTIAL_NAMES = { ak: 'ak', sk: 'sk', securityToken: 'security_token', authToken: 'auth_token' };

function wireOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError('invalid `options`: must be an object', { field: 'options', reason: 'must be an object' });
  }
  const wire = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || key === 'transport') continue;
    if (key === 'credentials') {
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
      throw new ValidationError(`invalid \`${key}\`: unknown option`, { field: key, reason: 'unknown option' });
    }
  }
  return wire;
}

/** `at` as the wasm side takes it: seconds since the epoch, or an X-Sdk-Date string. */
function signingTime(at) {
  if (at === undefined || at === null) return Date.now() / 1000;
  if (at instanceof Date) return at.getTime() / 1000;
  if (typeof at === 'number') return at / 1000;
  if (typeof at === 'string') return at;
  throw new ValidationError('invalid `at`: must be a Date, milliseconds since the epoch or a YYYYMMDDTHHMMSSZ string', {
    field: 'at',
  });
}

/** `UpdateSecret` or `updateSecret` -> `UpdateSecret`. */
function operationName(name) {
  if (typeof name !== 'string' || name === '') {
    throw new ValidationError('invalid `operation`: must be an operation name', { field: 'operation' });
  }
  return name[0].toUpperCase() + name.slice(1);
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

let decoder;
function bodyText(body) {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    decoder = decoder || new TextDecoder();
    return decoder.decode(body);
  }
  return String(body);
}

// Headers a browser's fetch refuses to set (it sends its own Host, from the URL).
const FORBIDDEN = new Set([
  'accept-charset', 'accept-encoding', 'access-control-request-headers', 'access-control-request-method',
  'connection', 'content-length', 'cookie', 'cookie2', 'date', 'dnt', 'expect', 'host', 'keep-alive',
  'origin', 'referer', 'set-cookie', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'via',
]);

/**
 * The default transport: `globalThis.fetch`. Drops `Host` and the other headers fetch may
 * not set, and reads the whole response (headers included, such as X-Request-Id).
 */
export async function fetchTransport(request) {
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
  let response;
  try {
    response = await fetchFn(request.url, {
      method: request.method,
      headers,
      body: request.body === null || request.body === undefined ? undefined : request.body,
    });
  } catch (e) {
    throw new TransportError(`${request.method} ${request.url} failed: ${e && e.cause && e.cause.message ? e.cause.message : e}`, {
      maybeSent: true,
      cause: e,
    });
  }
  let body;
  try {
    body = await response.text();
  } catch (e) {
    throw new TransportError(`reading the response of ${request.method} ${request.url} failed: ${e}`, { maybeSent: true, cause: e });
  }
  return { status: response.status, headers: headerObject(response.headers), body };
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
 * at, request: {method, url, headers, body}}`; returns the signed request.
 */
export function signRequest(spec) {
  const object = (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
  const text = (v) => (typeof v === 'string' ? v : '');
  const s = object(spec) || {};
  const credentials = object(s.credentials) || {};
  const request = object(s.request) || {};
  const derived = object(s.derived);
  const token = typeof credentials.security_token === 'string' ? credentials.security_token : undefined;
  const headers = toJson(request.headers === undefined ? null : request.headers, 'spec');
  return JSON.parse(
    call(() =>
      wasmSignRequest(
        text(credentials.ak),
        text(credentials.sk),
        token,
        text(s.algorithm),
        derived && text(derived.region_id),
        derived && text(derived.service),
        s.at,
        text(request.method),
        text(request.url),
        headers,
        text(request.body),
      ),
    ),
  );
}

/** Not part of the API: panics inside the wasm module (for the tests). */
export function __panicForTests(message) {
  return call(() => wasmPanic(String(message)));
}

const INNER = Symbol('csms.inner');
const TRANSPORT = Symbol('csms.transport');

export class CsmsClient {
  /**
   * @param options `{ region | endpoint, projectId, credentials: { ak, sk, securityToken? } |
   *   { authToken }, algorithm?, transport?, userAgent?, derivedService? }`
   */
  constructor(options) {
    const wire = wireOptions(options);
    const transport = options.transport === undefined ? fetchTransport : options.transport;
    if (typeof transport !== 'function') {
      throw new ValidationError('invalid `transport`: must be a function (request) => Promise<response>', { field: 'transport' });
    }
    const wireJson = toJson(wire, 'options');
    Object.defineProperty(this, INNER, { value: call(() => new WasmClient(wireJson)) });
    Object.defineProperty(this, TRANSPORT, { value: transport });
  }

  /** The endpoint requests go to (`https://kms.{region}.myhuaweicloud.com` or the one given). */
  get endpoint() {
    return this[INNER].endpoint;
  }

  /** Validates `input` and builds the signed request of `operation`; no I/O. */
  buildRequest(operation, input, at) {
    const name = operationName(operation);
    const time = signingTime(at);
    const text = toJson(input === undefined ? null : input, 'input');
    return JSON.parse(call(() => this[INNER].build(name, text, time)));
  }

  /** Turns a response `{ status, headers, body }` into the result of `operation`, or throws. */
  parseResponse(operation, response) {
    const name = operationName(operation);
    if (response === null || typeof response !== 'object') {
      throw new ValidationError('invalid `response`: must be an object { status, headers, body }', { field: 'response' });
    }
    const status = Number(response.status);
    if (!Number.isInteger(status) || status < 0 || status > 65535) {
      throw new ValidationError('invalid `response.status`: must be an HTTP status', { field: 'response.status' });
    }
    const headers = headerObject(response.headers);
    const body = bodyText(response.body);
    return JSON.parse(call(() => this[INNER].parse(name, status, JSON.stringify(headers), body)));
  }

  /** Builds, sends through the transport and parses one operation. */
  async send(operation, input) {
    const request = this.buildRequest(operation, input);
    let response;
    try {
      response = await this[TRANSPORT](request);
    } catch (e) {
      if (e instanceof CsmsError) throw e;
      throw new TransportError(`transport failed: ${e && e.message ? e.message : e}`, { maybeSent: true, cause: e });
    }
    if (response === null || typeof response !== 'object') {
      throw new TransportError('the transport returned no response object', { maybeSent: true });
    }
    return this.parseResponse(operation, response);
  }
}

for (const name of OPERATION_NAMES) {
  const method = name[0].toLowerCase() + name.slice(1);
  Object.defineProperty(CsmsClient.prototype, method, {
    value: {
      [method](input) {
        return this.send(name, input);
      },
    }[method],
    writable: true,
    configurable: true,
  });
}

export default CsmsClient;
