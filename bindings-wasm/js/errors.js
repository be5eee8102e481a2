// The errors of the `csms` package: every one is an `Error` subclass of `CsmsError`, whose
// `kind` names its kind (the same kinds and fields in every language of csms-sdk). index.js turns the core's error objects into these.
//
// A process can hold two copies of these classes (two versions of the package; `import` and
// `require` give the same copy): each class's prototype carries a brand, its name under a
// registered symbol, and `instanceof` accepts an error of another copy by that brand, so
// that a transport throwing another copy's `TransportError` is understood by this copy's
// client, and a user's `e instanceof ApiError` holds whichever copy threw `e`.

const BRAND = Symbol.for('csms-sdk.error');
const ordinaryInstanceOf = Function.prototype[Symbol.hasInstance];

/**
 * Every error this package throws: `kind` is the kind (`validation`, `api`, `decode`,
 * `transport`, `credentials`, `rotation`, `internal`). A CsmsError itself is kind `internal`:
 * a bug, such as a panic in csms-core, whose `reason` says what happened.
 */
export class CsmsError extends Error {
  constructor(message, kind = 'internal', options) {
    super(message, options && options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CsmsError';
    this.kind = kind;
    if (kind === 'internal') this.reason = options && typeof options.reason === 'string' ? options.reason : message;
  }

  /**
   * `value instanceof X`: the prototype chain as usual, or for the package's own classes an
   * error of another copy of the package whose brand is X's (any brand for CsmsError). A
   * user's subclass keeps the ordinary test.
   */
  static [Symbol.hasInstance](value) {
    if (ordinaryInstanceOf.call(this, value)) return true;
    const own = Object.prototype.hasOwnProperty.call(this.prototype, BRAND) ? this.prototype[BRAND] : undefined;
    if (own === undefined || value === null || typeof value !== 'object') return false;
    const brand = value[BRAND];
    return typeof brand === 'string' && (own === 'CsmsError' || brand === own);
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

/**
 * The service answered with an error status. `notRetried` says why a status normally
 * retried (429, 503, ...) was not (`RotateSecret is not idempotent and ...`, or a
 * `Retry-After` beyond `maxRetryAfterMs`); undefined otherwise. `retryAfterMs` is the
 * response's `Retry-After` in milliseconds; undefined without one. For a refused signature
 * (401 `APIGW.0301`), `canonicalRequest` and `stringToSign` are what the client signed for
 * the last attempt (tokens as `***`, never the SK); undefined otherwise.
 */
export class ApiError extends CsmsError {
  constructor(
    message,
    { status = 0, errorCode = '', errorMsg = '', requestId = '', notRetried, retryAfterMs, canonicalRequest, stringToSign } = {},
  ) {
    super(message, 'api');
    this.name = 'ApiError';
    this.status = status;
    this.errorCode = errorCode;
    this.errorMsg = errorMsg;
    this.requestId = requestId;
    this.notRetried = notRetried;
    this.retryAfterMs = retryAfterMs;
    this.canonicalRequest = canonicalRequest;
    this.stringToSign = stringToSign;
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

/**
 * The request could not be sent, or no response came back; `reason` says what failed (the
 * message adds whether the request may have been sent). `maybeSent` is false only when
 * the request certainly never left (connection refused, DNS failure); `timedOut` says that
 * a timeout ended the attempt; `notRetried` says why the failure was not retried when it
 * normally would have been. A transport sets `notRetried` itself (with `maybeSent: false`)
 * for a request its HTTP stack refused before sending anything: the call then ends at once.
 */
export class TransportError extends CsmsError {
  constructor(message, { maybeSent = true, timedOut = false, notRetried, cause, reason = message } = {}) {
    super(message, 'transport', { cause });
    this.name = 'TransportError';
    this.reason = reason;
    this.maybeSent = maybeSent;
    this.timedOut = timedOut;
    this.notRetried = notRetried;
  }
}

/**
 * A credential provider failed or gave something unusable, and nothing was sent. `provider`
 * names it (`environment`, `profile`, `metadata`, `default chain`, or the name given to
 * `FunctionCredentials`); `reason` says what went wrong, never quoting a secret. (A variable
 * the environment provider needs and lacks is a ValidationError naming it instead.)
 */
export class CredentialsError extends CsmsError {
  constructor(message, { provider = '', reason = message } = {}) {
    super(message, 'credentials');
    this.name = 'CredentialsError';
    this.provider = provider;
    this.reason = reason;
  }
}

/**
 * A rotation (`rotate`) stopped at a step of its own: `step` (`probe`, `create`, `apply`,
 * `test`, `finish`, `wait`) and `reason` (what went wrong and what state the secret is left in,
 * never quoting a secret). `cause` is what the application's callback threw, when it threw.
 * A CSMS call that fails during a rotation rejects with its own ApiError or TransportError.
 */
export class RotationError extends CsmsError {
  constructor(message, { step = '', reason = message, cause } = {}) {
    super(message, 'rotation', { cause });
    this.name = 'RotationError';
    this.step = step;
    this.reason = reason;
  }
}

/** A ValidationError naming `field`: "invalid `field`: reason". */
export function invalid(field, reason) {
  return new ValidationError(`invalid \`${field}\`: ${reason}`, { field, reason });
}

/**
 * The JSON text of `error` as the module reads errors back (the members it writes them
 * with): an error of this package as itself; anything else (what an application's callback
 * threw) with an empty `kind` and its class and message as `reason`.
 */
export function errorJson(error) {
  if (error instanceof CsmsError) {
    const e = error;
    return JSON.stringify({
      kind: e.kind,
      field: e.field,
      reason: e.reason,
      status: e.status,
      error_code: e.errorCode,
      error_msg: e.errorMsg,
      request_id: e.requestId,
      not_retried: e.notRetried,
      retry_after_ms: e.retryAfterMs,
      maybe_sent: e.maybeSent,
      timed_out: e.timedOut,
      provider: e.provider,
      step: e.step,
    });
  }
  let reason;
  try {
    const name = error instanceof Error ? error.name : typeof error;
    const message = error instanceof Error ? error.message : String(error);
    reason = message ? `${name}: ${message}` : name;
  } catch (_) {
    reason = 'an unprintable value';
  }
  return JSON.stringify({ kind: '', reason });
}

// The brands are literal names: a minifier may rename the classes.
for (const [type, brand] of [
  [CsmsError, 'CsmsError'],
  [ValidationError, 'ValidationError'],
  [ApiError, 'ApiError'],
  [DecodeError, 'DecodeError'],
  [TransportError, 'TransportError'],
  [CredentialsError, 'CredentialsError'],
  [RotationError, 'RotationError'],
]) {
  Object.defineProperty(type.prototype, BRAND, { value: brand });
}
