// Type declarations of the csms-sdk package (hand-written; the operation and model types
// in ./operations.d.ts are generated from spec/csms.json).

import type { OperationMethods, OperationName, Operations, PageItems, Version } from './operations.js';

export type * from './operations.js';

/** The package version. */
export declare const VERSION: string;

/** Signing algorithms, as named in the `Authorization` header. */
export type Algorithm =
  | 'SDK-HMAC-SHA256'
  | 'SDK-HMAC-SM3'
  | 'V11-HMAC-SHA256'
  | 'SDK-ECDSA-P256-SHA256'
  | 'SDK-SM2-SM3';

/** A permanent or temporary access key. */
export interface AccessKeyCredentials {
  /** Access key id. */
  ak: string;
  /** Secret access key. */
  sk: string;
  /** Security token of a temporary access key (sent as X-Security-Token). */
  securityToken?: string;
}

/** An IAM token, sent as X-Auth-Token. */
export interface TokenCredentials {
  authToken: string;
}

/**
 * A source of credentials for `credentials` in `CsmsClientOptions`, made by
 * `EnvCredentials`, `ProfileCredentials`, `MetadataCredentials`, `FunctionCredentials` or
 * `defaultCredentials`. It fetches credentials when first needed and again before they
 * expire (40 minutes before, or at half their lifetime when that is shorter), one fetch at a
 * time (concurrent calls wait for it), and once more after the service says they expired.
 * One provider may serve several clients. It shows no secret.
 */
export declare class CredentialProvider {
  private constructor();
}

/** Where the built-in providers read their environment variables. */
export interface EnvOption {
  /**
   * The environment variables, an object (a Workers `env`, a test's own); `process.env`
   * (read when needed, where there is one) by default.
   */
  env?: Record<string, string | undefined>;
}

/**
 * `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_SECURITY_TOKEN` and
 * `HUAWEICLOUD_SDK_PROJECT_ID`, read at each fetch. A missing one: a ValidationError naming it.
 */
export declare function EnvCredentials(options?: EnvOption): CredentialProvider;

/**
 * The official SDKs' profile file (`[basic]`: `ak`, `sk`, `security_token`, `project_id`):
 * `path`, else `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`. Read
 * only, where there is a file system (Node, Bun, Deno).
 */
export declare function ProfileCredentials(options?: EnvOption & { path?: string }): CredentialProvider;

/**
 * Temporary keys from the instance metadata service of a cloud server (a session token,
 * then the security key; 3-second timeouts; no redirects): `endpoint`, else
 * `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254`, which is refused when the process
 * environment has `CSMS_TEST_NO_METADATA` set.
 */
export declare function MetadataCredentials(options?: EnvOption & { endpoint?: string }): CredentialProvider;

/** What the function of `FunctionCredentials` returns. */
export type FunctionCredentialsResult = (AccessKeyCredentials | TokenCredentials) & {
  /** When they stop working: a Date or milliseconds since the epoch; never by default. */
  expiresAt?: Date | number;
  /** The project id they are for (`CsmsClient.fromEnv` uses it when the environment has none). */
  projectId?: string;
};

/**
 * Credentials from your own function (keys from your vault, say), called when they are
 * due. If it throws or returns anything else, calls fail with a CredentialsError naming it
 * (`name`, `function` by default), and nothing is sent.
 */
export declare function FunctionCredentials(
  fn: () => FunctionCredentialsResult | Promise<FunctionCredentialsResult>,
  options?: { name?: string },
): CredentialProvider;

/**
 * The default chain, in the official SDKs' order: the environment, the profile file, the
 * instance metadata service. The first that gives credentials is kept; when none does, the
 * CredentialsError (provider `default chain`) says why each did not.
 */
export declare function defaultCredentials(options?: EnvOption): CredentialProvider;

/** A request ready to send: every header it needs, signature included. */
export interface HttpRequest {
  method: string;
  /** The full URL, path and query percent-encoded. */
  url: string;
  /** Header names and values (`Host` included: drop it when your HTTP client sets it). */
  headers: Record<string, string>;
  /** The JSON body, or `null` when the request has none. */
  body: string | null;
}

/** A response as a transport received it. */
export interface HttpResponse {
  /** The HTTP status. A transport must give a real one (100 to 599): anything else fails the attempt. */
  status: number;
  /** A plain object, a `Headers` instance, a `Map` or a list of `[name, value]` pairs. */
  headers?: Record<string, string | string[] | undefined> | Headers | Map<string, string> | Iterable<[string, string]>;
  /**
   * The body as text or bytes, never a stream, a Blob or parsed JSON: read it as text first
   * (fetch: `await response.text()`; axios: `responseType: 'text'`).
   */
  body?: string | Uint8Array | ArrayBuffer | null;
}

/** What a transport gets beside the request. */
export interface TransportContext {
  /**
   * Aborted when the attempt's time (`timeoutMs`) is up, or when the call's own `signal`
   * aborts: stop the request then. The client stops waiting at that moment anyway, and the
   * attempt is a TransportError (maybeSent), or the call's AbortError.
   */
  signal: AbortSignal;
  /** The client's connect timeout, for transports that can bound the connection alone. */
  connectTimeoutMs: number;
  /** The attempt's whole-request timeout: the call's `timeoutMs`, else the client's. */
  timeoutMs: number;
  /**
   * The client's limit on the response body, in bytes: a transport should stop reading once
   * the body passes it and throw a `TransportError` whose `notRetried` says why (as the
   * default transport does).
   */
  maxResponseBytes: number;
}

/**
 * Sends a request and resolves with the response (whatever its status). Whatever it throws
 * is a transport failure: a `TransportError` with `maybeSent: false` says the request
 * certainly never left (then even a non-idempotent call is retried); anything else counts
 * as maybe sent. Other errors of this package (a `ValidationError`, say) end the call as
 * they are.
 */
export type Transport = (request: HttpRequest, context: TransportContext) => Promise<HttpResponse>;

export interface CsmsClientOptions {
  /** Region id such as `cn-north-4`; the endpoint follows from it unless `endpoint` is given. */
  region?: string;
  /** Explicit endpoint `https://host[:port]` (such as a local emulator's `http://127.0.0.1:PORT`). */
  endpoint?: string;
  /** Project id. */
  projectId: string;
  /**
   * An access key, or an IAM token, or a provider of them (`EnvCredentials()`,
   * `MetadataCredentials()`, ...): each attempt is then signed with the provider's current
   * credentials.
   */
  credentials: AccessKeyCredentials | TokenCredentials | CredentialProvider;
  /** Signing algorithm, `SDK-HMAC-SHA256` by default. */
  algorithm?: Algorithm;
  /** Sends requests; `globalThis.fetch` by default. */
  transport?: Transport;
  /**
   * Appended to `csms-sdk-js/<version>` and sent (and signed) as `User-Agent`. Without it no
   * User-Agent is signed. Do not set it in browsers: fetch does not send a User-Agent set
   * by a page, and a signed header that is not sent breaks the signature.
   */
  userAgent?: string;
  /** Service name in the V11-HMAC-SHA256 key derivation (`csms` by default). */
  derivedService?: string;
  /**
   * Attempts per call, the first included (3 by default, 1 to 100; 1 turns retries off). Retried:
   * 408, 429, 500, 502, 503, 504 and transport failures, with exponential backoff and full
   * jitter, `Retry-After` honoured (up to `maxRetryAfterMs`); a 429 for every operation; other
   * failures of a non-idempotent operation (RotateSecret, CreateSecretVersion, ...) only when
   * its request certainly never left; never a `TransportError` that comes with `notRetried`.
   */
  maxAttempts?: number;
  /**
   * Backoff before the first retry, before jitter, in ms (100 by default; at most a day); it
   * doubles with each attempt.
   */
  backoffBaseMs?: number;
  /** The longest backoff between two attempts, in ms (20000 by default; from `backoffBaseMs` to a day). */
  backoffCapMs?: number;
  /**
   * The longest `Retry-After` waited for, in ms (60000 by default; at most a day; it may exceed
   * `backoffCapMs`). A response asking for longer ends the call with its `ApiError`, whose
   * `retryAfterMs` holds what the server asked and `notRetried` says why.
   */
  maxRetryAfterMs?: number;
  /**
   * The largest offset between the server's clock and this machine's, in ms, learnt from a
   * signature refused for its time (86400000, a day, by default; 0: never learnt). A server
   * further off is not followed: its refusal ends the call, `notRetried` saying why.
   */
  maxClockOffsetMs?: number;
  /**
   * Time allowed to connect, in ms (10000 by default). The default transport applies it in
   * Node (undici); browsers give no control over the connection, so there only
   * `timeoutMs` bounds it. Passed to custom transports in their context.
   */
  connectTimeoutMs?: number;
  /** Time allowed for each attempt, response body included, in ms (60000 by default); enforced for every transport. */
  timeoutMs?: number;
  /**
   * The longest response body the default transport reads, in bytes (16 MiB, 16777216, by
   * default; a whole number above 0). A larger `Content-Length` is refused before reading, and
   * reading stops as soon as the body passes it: the call fails with a `TransportError`
   * (`maybeSent`, not `timedOut`, not retried: `notRetried` says why). Passed to custom
   * transports in their context.
   */
  maxResponseBytes?: number;
  /**
   * Called after each attempt with its record, to log with your own logger (nothing is
   * logged otherwise). What it throws, or a promise it returns rejecting, is ignored.
   */
  debugHook?: (record: AttemptRecord) => void;
}

/**
 * The default of every option that has one (`defaults.maxAttempts`, ...; the cache's under
 * `cache`): csms-core's, the same in every language, durations in ms. The client and the
 * cache read their defaults here. Frozen.
 */
export declare const defaults: Readonly<{
  algorithm: Algorithm;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  maxRetryAfterMs: number;
  maxClockOffsetMs: number;
  connectTimeoutMs: number;
  timeoutMs: number;
  maxResponseBytes: number;
  cache: Readonly<{ ttlMs: number; maxEntries: number; maxStaleMs: number }>;
}>;

/**
 * The settings of one call, the last argument of every operation method and of `send`
 * (`client.showSecret(input, { signal, timeoutMs })`); each replaces the client's for this
 * call only. A bad one is a ValidationError naming it, and nothing is sent.
 */
export interface CallOptions {
  /**
   * Aborts the call: the attempt in flight ends at once (the transport's signal is aborted
   * too), nothing is retried, and the call rejects with an `AbortError` (a `DOMException`
   * named `AbortError`, as fetch rejects with; an `Error` of that name where there is no
   * `DOMException`), whose `cause` is the signal's reason. A signal already aborted sends
   * nothing.
   */
  signal?: AbortSignal;
  /** Time for each attempt of this call, in ms (1 to 2^31 - 1); the client's `timeoutMs` otherwise. */
  timeoutMs?: number;
  /** Attempts of this call, the first included (1 to 100); the client's `maxAttempts` otherwise. */
  maxAttempts?: number;
  /**
   * Time for the whole call, in ms (1 to 2^31 - 1), from the moment it is made: attempts,
   * backoff and `Retry-After` waits, credential fetches. Each attempt's timeout is cut to what
   * is left; a retry whose wait would pass it is not made. Running out ends the call with a
   * `TransportError` (`timedOut: true`, `notRetried` saying so), no attempt after it. None by default.
   */
  deadlineMs?: number;
}

/** One attempt of a call, as `debugHook` receives it. Nothing in it is secret. */
export interface AttemptRecord {
  /** The operation called (`ShowSecret`). */
  readonly operation: string;
  /** The number of the attempt, 1 for the first. */
  readonly attempt: number;
  readonly method: string;
  readonly url: string;
  /** The response's status; undefined when no response came back. */
  readonly status: number | undefined;
  /**
   * Why no response came back: the transport failure's message (a timeout, the call's
   * deadline), or the `AbortError`'s when the call's signal ended the attempt; undefined when
   * a response came.
   */
  readonly error: string | undefined;
  /** The response's `X-Request-Id`, empty without one. */
  readonly requestId: string;
  /** How long the attempt took, in ms. */
  readonly durationMs: number;
  /**
   * The canonical request the attempt signed, `X-Security-Token` and `X-Auth-Token` as
   * `***` (undefined with an IAM token). Computed when called, while the hook runs.
   */
  canonicalRequest(): string | undefined;
}

/** The kinds of error, the same in every language of csms-sdk. */
export type ErrorKind = 'validation' | 'api' | 'decode' | 'transport' | 'credentials' | 'rotation' | 'internal';

/**
 * Every error of this package; `kind` says which. A `CsmsError` that is no subclass is kind
 * `internal`: a bug, such as a panic in csms-core (its message says so).
 */
export declare class CsmsError extends Error {
  /** `kind` is `internal` by default; `options.reason` defaults to the message (kind `internal` only). */
  constructor(message: string, kind?: ErrorKind, options?: { cause?: unknown; reason?: string });
  /** The kind of error; each subclass has its own. */
  readonly kind: ErrorKind;
  /** For kind `internal`: what happened (a panic in csms-core: the release module traps without the panic's message, so it names the trap). */
  readonly reason?: string;
}

/** The input (or an option) was refused before anything was sent. */
export declare class ValidationError extends CsmsError {
  /** `reason` defaults to the message. */
  constructor(message: string, options?: { field?: string; reason?: string });
  readonly kind: 'validation';
  /**
   * The member at fault: in an input, a path of wire names (`secret_name`, `tags[0].key`);
   * in the client options, the option as named here (`projectId`, `credentials.authToken`).
   */
  readonly field: string;
  /** Why it was refused. */
  readonly reason: string;
}

/** The service answered with an error status. */
export declare class ApiError extends CsmsError {
  constructor(
    message: string,
    options?: {
      status?: number;
      errorCode?: string;
      errorMsg?: string;
      requestId?: string;
      notRetried?: string;
      retryAfterMs?: number;
      canonicalRequest?: string;
      stringToSign?: string;
    },
  );
  readonly kind: 'api';
  /** HTTP status. */
  readonly status: number;
  /** The service's error code (`CSMS.0401`), or the status as text. */
  readonly errorCode: string;
  /** The service's message. */
  readonly errorMsg: string;
  /** The X-Request-Id of the response, empty if absent. */
  readonly requestId: string;
  /**
   * Why a status normally retried (429, 503, ...) was not: `RotateSecret is not idempotent
   * and the server may have applied it`, or a `Retry-After` beyond `maxRetryAfterMs`.
   * Undefined otherwise.
   */
  readonly notRetried: string | undefined;
  /** The response's `Retry-After`, in ms; undefined without one. */
  readonly retryAfterMs: number | undefined;
  /**
   * For a refused signature (401 `APIGW.0301`): the canonical request the client signed for
   * the last attempt, the security token and `X-Auth-Token` as `***`. Undefined otherwise.
   */
  readonly canonicalRequest: string | undefined;
  /** For a refused signature: the string to sign of the last attempt. Undefined otherwise. */
  readonly stringToSign: string | undefined;
}

/** A 2xx response whose body is not what the operation returns. */
export declare class DecodeError extends CsmsError {
  /** `reason` defaults to the message. */
  constructor(message: string, options?: { status?: number; requestId?: string; reason?: string });
  readonly kind: 'decode';
  readonly status: number;
  readonly requestId: string;
  readonly reason: string;
}

/** The request could not be sent, or no response came back. */
export declare class TransportError extends CsmsError {
  /** `reason` defaults to the message. */
  constructor(message: string, options?: { maybeSent?: boolean; timedOut?: boolean; notRetried?: string; cause?: unknown; reason?: string });
  readonly kind: 'transport';
  /** What failed (the message adds whether the request may have been sent, and why it was not retried). */
  readonly reason: string;
  /**
   * Whether the request may have reached the server: false only when it certainly never
   * left (connection refused, DNS failure, connect timeout).
   */
  readonly maybeSent: boolean;
  /**
   * Whether a timeout ended the attempt: the client's `timeoutMs` for the whole request, or
   * the connect timeout (then `maybeSent` is false). A transport of yours reports its own
   * timeouts with `new TransportError(message, { timedOut: true })`.
   */
  readonly timedOut: boolean;
  /**
   * Why the failure was not retried although failures normally are: `RotateSecret is not
   * idempotent and the request may have reached the server`. Undefined otherwise. A
   * transport sets it (with `maybeSent: false`) for a request its HTTP stack refused before
   * sending anything, such as a header value fetch does not accept: the call ends at once.
   */
  readonly notRetried: string | undefined;
}

/**
 * A credential provider failed or gave something unusable; nothing was sent. (A variable the
 * environment provider needs and lacks is a ValidationError naming it instead.)
 */
export declare class CredentialsError extends CsmsError {
  /** `reason` defaults to the message. */
  constructor(message: string, options?: { provider?: string; reason?: string });
  readonly kind: 'credentials';
  /**
   * The provider: `environment`, `profile`, `metadata`, `default chain` (its reason lists why
   * each of the chain's providers did not apply), or the name given to `FunctionCredentials`.
   */
  readonly provider: string;
  /** What went wrong, never quoting a secret. */
  readonly reason: string;
}

/**
 * The default transport: `globalThis.fetch`, without the headers fetch may not set. It
 * honours `context.signal`, `context.connectTimeoutMs` in Node, and
 * `context.maxResponseBytes` (16 MiB when not given).
 */
export declare function fetchTransport(request: HttpRequest, context?: Partial<TransportContext>): Promise<HttpResponse & { status: number; headers: Record<string, string>; body: string }>;

/** The names of every operation (PascalCase). */
export declare function operationNames(): OperationName[];

/**
 * The signer alone (conformance vectors of kind `sign`).
 * @throws {ValidationError} for a bad `at`, algorithm or key.
 */
export declare function signRequest(spec: {
  credentials: { ak: string; sk: string; security_token?: string };
  algorithm: Algorithm | string;
  derived?: { region_id: string; service: string };
  /** Signing time, as in `buildRequest`: a Date, milliseconds since the epoch or an `X-Sdk-Date` string (`20240806T101010Z`); now by default. */
  at?: Date | number | string;
  request: { method: string; url: string; headers?: Record<string, string>; body?: string };
}): HttpRequest;

/** An operation named either officially (`UpdateSecret`) or as its method (`updateSecret`). */
export type OperationRef = OperationName | Uncapitalize<OperationName>;
type Canonical<N extends OperationRef> = Capitalize<N> & OperationName;

/** An operation that pages (`ListSecrets`), named either way (`listSecrets`). */
export type PaginatedRef = keyof PageItems | Uncapitalize<keyof PageItems>;
type PaginatedName<N extends PaginatedRef> = Capitalize<N> & keyof PageItems;

/** One item of a page of the paginated operation `N` (a `Secret` of `ListSecrets`). */
export type PageItem<N extends keyof PageItems> = Operations[N]['output'] extends { [K in PageItems[N]]?: Array<infer T> } ? T : never;

/**
 * The pages of a List operation (`client.paginate`): an async iterable of each page's
 * result, in order until the last page, each page one call. Each iteration starts again
 * from the first page.
 */
export interface Pages<N extends keyof PageItems> extends AsyncIterable<Operations[N]['output']> {
  /** The items of every page in turn (`secrets` of `ListSecrets`, ...). */
  items(): AsyncIterableIterator<PageItem<N>>;
}

export interface CsmsClient extends OperationMethods {}

/** A CSMS client. Signing, validation and parsing run in WebAssembly; I/O goes through `transport`. */
export declare class CsmsClient {
  constructor(options: CsmsClientOptions);
  /**
   * A client configured from the environment as the official SDKs are: the endpoint from
   * `CSMS_ENDPOINT`, `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>` or the region (`region`, else
   * `HUAWEICLOUD_SDK_REGION`); credentials from `defaultCredentials()`, fetched now; the
   * project id from `HUAWEICLOUD_SDK_PROJECT_ID`, else the one the credentials name.
   * @throws {ValidationError} naming a missing variable (`CSMS_ENDPOINT`, `HUAWEICLOUD_SDK_PROJECT_ID`);
   *   {CredentialsError} when no provider of the chain gave credentials.
   */
  static fromEnv(
    options?: EnvOption & { region?: string } & Partial<Omit<CsmsClientOptions, 'endpoint' | 'projectId' | 'credentials' | 'region'>>,
  ): Promise<CsmsClient>;
  /** The endpoint requests go to. */
  readonly endpoint: string;
  /**
   * Validates `input` and builds the signed request; no I/O. Not for a client whose
   * credentials come from a provider (a ValidationError: its calls sign).
   * @param at signing time: a Date, milliseconds since the epoch or an `X-Sdk-Date` string (`20240806T101010Z`); now by default.
   * @throws {ValidationError}
   */
  buildRequest<N extends OperationRef>(operation: N, input: Operations[Canonical<N>]['input'], at?: Date | number | string): HttpRequest;
  /**
   * Turns a response into the operation's result.
   * @throws {ApiError} for a status outside 2xx; {DecodeError} for a body that does not fit.
   */
  parseResponse<N extends OperationRef>(operation: N, response: HttpResponse): Operations[Canonical<N>]['output'];
  /**
   * Calls one operation: validates the input, signs each attempt anew, sends it through the
   * transport, retries as the core decides (see `maxAttempts`), and parses the result.
   * `options` are the call's own settings (`signal`, `timeoutMs`, `maxAttempts`, `deadlineMs`).
   * @throws {ValidationError} or {CredentialsError} before anything is sent; {ApiError}, {TransportError} or {DecodeError} after;
   *   an `AbortError` when `options.signal` aborts.
   */
  send<N extends OperationRef>(
    operation: N,
    input: Operations[Canonical<N>]['input'],
    options?: CallOptions,
  ): Promise<Operations[Canonical<N>]['output']>;
  /**
   * The pages of a List operation (`ListSecrets`, `ListSecretVersions`, ...) from `input`:
   * each page's input comes from the previous page's result (csms-core's paginator), until
   * the last page. `options` are the settings of each page's call.
   * @throws {ValidationError} at once for an operation that does not page, an input that is
   *   not an object, or bad settings; a bad member when the first page is asked for.
   */
  paginate<N extends PaginatedRef>(
    operation: N,
    input?: Operations[PaginatedName<N>]['input'],
    options?: CallOptions,
  ): Pages<PaginatedName<N>>;
}

export default CsmsClient;

/** Settings of a `SecretCache`. */
export interface SecretCacheOptions {
  /**
   * How long a stage → version pointer is used before it is asked again, in ms (each expiry
   * drawn in [ttlMs/2, ttlMs), so that a fleet does not refresh at once): more than 0, at
   * most a day; `300000` (5 minutes) by default.
   */
  ttlMs?: number;
  /** How many secrets are cached at most (least recently used evicted first): `1024` by default. */
  maxEntries?: number;
  /**
   * How long past its expiry a value is served while refreshing it fails transiently
   * (transport, 5xx, 429), in ms: `86400000` (a day) by default; `null`: no limit.
   */
  maxStaleMs?: number | null;
}

/** What a cache read reads: a stage (`SYSCURRENT` by default) or a version by its id. */
export type CacheReadOptions = { stage?: string; versionId?: undefined } | { stage?: undefined; versionId: string };

/** A stage of a cached secret seen on another version (`null`: on none). */
export interface StageChange {
  readonly secretName: string;
  readonly stage: string;
  readonly from: string | null;
  readonly to: string | null;
}

/**
 * A cache of secret values in front of a client: the core's cache rules, the same in every
 * language. Reads follow a stage through a pointer refreshed every `ttlMs` (jittered); a
 * version's value is fetched once; concurrent reads of a cold entry share one request (a
 * reader that stops awaiting does not stop it for the others); a service outage serves the
 * last value for up to `maxStaleMs`; a deleted secret (404) or revoked access (403) is
 * raised, never hidden. A hit sends nothing.
 */
export declare class SecretCache {
  /** Throws a `ValidationError` naming a bad option (`ttlMs`, `maxEntries`, `maxStaleMs`). */
  constructor(client: CsmsClient, options?: SecretCacheOptions);
  /**
   * The version `showSecretVersion` gives (`version_metadata`, `secret_string` or
   * `secret_binary`), frozen and shared by every reader of that version.
   */
  get(name: string, options?: CacheReadOptions): Promise<Version>;
  /** The text value of what `get` reads; undefined for a binary secret. */
  getSecretString(name: string, options?: CacheReadOptions): Promise<string | undefined>;
  /** The binary value of what `get` reads, decoded (a copy); undefined for a text secret. */
  getSecretBinary(name: string, options?: CacheReadOptions): Promise<Uint8Array | undefined>;
  /**
   * Asks the service now (at most once a second per secret) and returns the current version:
   * for when the application learns its value stopped working.
   */
  refresh(name: string): Promise<Version>;
  /** `SYSCURRENT`'s version, then `SYSPREVIOUS`'s and `SYSPENDING`'s when they exist, each once. */
  accepted(name: string): Promise<Version[]>;
  /** Calls `listener` when a stage of a cached secret moves; returns a function that removes it. */
  onChange(listener: (change: StageChange) => void | Promise<void>): () => void;
  /** Forgets every cached value. */
  clear(): void;
}

/** A rotation step that stopped a rotation (`rotate`); the secret is left for the next run to resume. */
export declare class RotationError extends CsmsError {
  /** `reason` defaults to the message. */
  constructor(message: string, options?: { step?: string; reason?: string; cause?: unknown });
  readonly kind: 'rotation';
  /** The step: `probe`, `create`, `apply`, `test`, `finish`, `wait`. */
  readonly step: string;
  /** What went wrong and what state the secret is left in, never quoting a secret. */
  readonly reason: string;
}

/** The application's side of a rotation (`rotate`). Each callback may be sync or async. */
export interface RotationOptions {
  /**
   * Makes the target (a database, an API key, ...) accept `newValue`; `previousValue` is
   * what it accepts now. Must be idempotent: after a crash it runs again with the same value.
   */
  apply: (newValue: string, previousValue: string) => void | Promise<void>;
  /** A new password; without it CSMS's `GenerateRandomPassword` makes one. */
  generate?: () => string | Promise<string>;
  /** Whether the target accepts `newValue` (a false result stops the rotation, `SYSCURRENT` unchanged). */
  test?: (newValue: string) => boolean | Promise<boolean>;
  /** `single-user` (default) or `alternating-users` (a JSON value with `username` and `password`). */
  strategy?: 'single-user' | 'alternating-users';
}

/** What a rotation did (nothing secret). */
export interface RotationResult {
  /** The version now carrying `SYSCURRENT`. */
  versionId: string;
  /** The version that carried it before (now `SYSPREVIOUS`), when known. */
  previousVersionId: string | null;
  /** Whether this run finished a rotation an earlier run had begun. */
  resumed: boolean;
  /** The steps this run took: `probe`, `create`, `apply`, `test`, `finish`, `rotate`, `wait`. */
  steps: string[];
}

/**
 * Rotates the secret `secretName` (the rotation guide's flow, crash-safe and resumable):
 * resumes a rotation an earlier run left half way, else stores a new value as `SYSPENDING`,
 * has `apply` (and `test`) make the target accept it, then moves `SYSCURRENT` to it. For the
 * secret types CSMS rotates itself (RDS-FG, GaussDB-FG), `RotateSecret` and a wait for its
 * task. Rejects with a `RotationError` for a step of its own, or a CSMS call's own error.
 */
export declare function rotate(client: CsmsClient, secretName: string, options: RotationOptions): Promise<RotationResult>;

