// The defaults of every option, in one frozen object that the client, the cache and the
// credential providers read (exported as `defaults`). The values are csms-core's own (the
// same in every language of csms-sdk), read from the module when the package is built, named as the options name
// them, durations in milliseconds.

// The module's `coreDefaults()`, written in by js/build-pkg.mjs: importing the package calls
// nothing in the module (see instance.js).
const core = JSON.parse('__CORE_DEFAULTS__');

/**
 * The default of every option that has one: the client's (`maxAttempts`, `backoffBaseMs`,
 * ...) and, under `cache`, the `SecretCache`'s (`ttlMs`, `maxEntries`, `maxStaleMs`).
 */
export const defaults = Object.freeze({
  algorithm: core.algorithm,
  maxAttempts: core.max_attempts,
  backoffBaseMs: core.backoff_base_ms,
  backoffCapMs: core.backoff_cap_ms,
  maxRetryAfterMs: core.max_retry_after_ms,
  maxClockOffsetMs: core.max_clock_offset_ms,
  connectTimeoutMs: core.connect_timeout_ms,
  timeoutMs: core.timeout_ms,
  maxResponseBytes: core.max_response_bytes,
  cache: Object.freeze({ ttlMs: core.ttl_ms, maxEntries: core.max_entries, maxStaleMs: core.max_stale_ms }),
});

/** The timeout of each request to the instance metadata service, in ms (not an option). */
export const METADATA_TIMEOUT_MS = core.metadata_timeout_ms;
