//! The attempts of one call, for the retry loop of `js/transport.js`: a thin wrapper of the
//! core's [`Attempts`], which takes every decision (sign anew, retry or stop, how long to
//! wait, learn the server's clock, say why a retry was withheld). JavaScript only sends,
//! sleeps, and passes in the clock and a random number.
//!
//! ```text
//! const attempts = new WasmAttempts(client, 'ShowSecret', '{"secret_name":"db"}', 3, 100, 20000, 60000, deadlineMs);
//! for (;;) {
//!   const timeoutMs = attempts.timeout(60000, elapsedMs());  // throws when the deadline passed
//!   const request = requestOf(attempts.request(client, Date.now() / 1000));
//!   const next = await send(request)                      // transport, then one of:
//!     .then((r) => attempts.receive(client, r.status, headersJson, r.body, now, Math.random(), elapsedMs()),
//!           (e) => attempts.fail(client, e.message, e.maybeSent, e.timedOut, e.notRetried, now, Math.random(), elapsedMs()));
//!   if (next < 0) return client.parse('ShowSecret', r.status, headersJson, r.body); // the result
//!   await sleep(next);                                     // milliseconds
//! }
//! ```

use crate::cache::at;
use crate::provider::WasmProvider;
use crate::{headers_from, input_of, js_err, json_value, operation_of, sdk_date, WasmClient, Wire};
use csms_core::cache::CacheConfig;
use csms_core::provider::{credentials_expired, Acquire};
use csms_core::{Algorithm, Attempts, Client, Error, HttpResponse, Next, RetryPolicy};
use csms_core::{CONNECT_TIMEOUT, MAX_CLOCK_OFFSET, MAX_RESPONSE_BYTES, REQUEST_TIMEOUT};
use serde_json::Value;
use std::time::Duration;
use wasm_bindgen::prelude::*;

/// One call's attempts (see the module docs).
#[wasm_bindgen]
pub struct WasmAttempts {
    inner: Attempts,
    /// With a credential provider: the client that signed the last attempt (the base client
    /// with the provider's credentials) and their generation.
    signer: Option<(u64, Client)>,
    /// Whether the call ended with the service saying the credentials expired.
    expired: bool,
}

#[wasm_bindgen]
impl WasmAttempts {
    /// Validates `input` (JSON text) and prepares the call of the operation numbered `index`
    /// in the order of `operationNames`, or called `name` when given (nothing is signed
    /// yet). `max_attempts`, `backoff_base_ms`, `backoff_cap_ms` and `max_retry_after_ms` are
    /// the call's retry policy (see [`retry_policy`]); `deadline_ms`, when given, bounds the
    /// whole call, waits included (the core's [`Attempts::with_deadline`]; see
    /// [`WasmAttempts::timeout`]).
    #[wasm_bindgen(constructor)]
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        client: &WasmClient,
        index: u32,
        name: Option<String>,
        input: &str,
        max_attempts: f64,
        backoff_base_ms: f64,
        backoff_cap_ms: f64,
        max_retry_after_ms: f64,
        deadline_ms: Option<f64>,
    ) -> Result<WasmAttempts, JsValue> {
        let op = operation_of(index, name)?;
        let policy = retry_policy(max_attempts, backoff_base_ms, backoff_cap_ms, max_retry_after_ms)?;
        let mut inner = client.inner.start_input(op, &input_of(input, op)?, policy).map_err(js_err)?;
        if let Some(ms) = deadline_ms {
            inner = inner.with_deadline(at(ms));
        }
        Ok(WasmAttempts { inner, signer: None, expired: false })
    }

    /// The timeout of the next attempt in ms: `per_attempt_ms` cut to what is left of the
    /// call's deadline, `elapsed_ms` being how long the call has taken so far (the host's
    /// monotonic clock). Throws the transport error the deadline ends the call with (timed
    /// out, nothing sent, not retried) when nothing is left.
    pub fn timeout(&mut self, per_attempt_ms: f64, elapsed_ms: f64) -> Result<f64, JsValue> {
        self.inner.elapsed(at(elapsed_ms));
        let timeout = self.inner.timeout(Some(at(per_attempt_ms))).map_err(js_err)?;
        Ok(timeout.map_or(per_attempt_ms, |t| t.as_secs_f64() * 1000.0))
    }

    /// The request of the next attempt as one text (`Wire::text`: method, URL, body and
    /// headers separated by NUL), signed for the local clock `now` (seconds since the epoch) plus the clock offset the
    /// client learnt.
    pub fn request(&mut self, client: &WasmClient, now: f64) -> Result<String, JsValue> {
        let (request, headers) = self.inner.request_headers(&client.inner, local_time(now)?).map_err(js_err)?;
        Ok(Wire::signed(request, headers).text())
    }

    /// [`WasmAttempts::request`] signed with `provider`'s credentials (the client's
    /// `SignerCache` makes their signing client once per generation), or, when there are none
    /// to sign with at `now`, the number [`WasmProvider::acquire`] returns: `0` fetch, `n`
    /// wait for fetch `n`.
    #[wasm_bindgen(js_name = requestWith)]
    pub fn request_with(
        &mut self,
        client: &WasmClient,
        provider: &mut WasmProvider,
        now: f64,
    ) -> Result<JsValue, JsValue> {
        let at = local_time(now)?;
        let lease = match provider.state.acquire(at) {
            Acquire::Use(lease) => lease,
            other => return Ok(JsValue::from_f64(provider.acquired(other))),
        };
        let signer = client.signers.borrow_mut().signer(&client.inner, &lease).map_err(js_err)?;
        let text = {
            let (request, headers) = self.inner.request_headers(&signer, at).map_err(js_err)?;
            Wire::signed(request, headers).text()
        };
        self.signer = Some((lease.generation, signer));
        Ok(JsValue::from_str(&text))
    }

    /// After the call failed: whether the service said the credentials that signed its last
    /// attempt expired (the core's `credentials_expired`); if so, `provider` is told
    /// (`invalidate`), and the call is to be run once more.
    pub fn expire(&self, provider: &mut WasmProvider) -> bool {
        match &self.signer {
            Some((generation, _)) if self.expired => {
                provider.state.invalidate(*generation);
                true
            }
            _ => false,
        }
    }

    /// The attempt got a response (any status; `headers` is the JSON text of an object).
    /// Returns the milliseconds to wait before the next attempt (0 or more), or -1 when
    /// the call succeeded (the JS side reads the body); throws the call's error. A number
    /// either way, which crosses as it is (a `JsValue` would cross through the externref
    /// table). The core reads neither the headers nor the body of a 2xx to decide (it ends
    /// the call): they are not read here, and the JS side passes them empty. `now` is the
    /// local clock in seconds, `random` a number in [0, 1) for the jitter, `elapsed_ms` how
    /// long the call has taken so far (read with a deadline only: a retry whose wait would
    /// pass it is not made; NaN, as `undefined` arrives, is 0).
    #[allow(clippy::too_many_arguments)]
    pub fn receive(
        &mut self,
        client: &WasmClient,
        status: u16,
        headers: &str,
        body: &str,
        now: f64,
        random: f64,
        elapsed_ms: f64,
    ) -> Result<f64, JsValue> {
        let response = if (200..300).contains(&status) {
            HttpResponse::new(status, Vec::new(), Vec::new())
        } else {
            let headers = json_value(headers).unwrap_or(Value::Null);
            HttpResponse::new(status, headers_from(&headers), body.as_bytes().to_vec())
        };
        self.decide(client, Ok(response), now, random, elapsed_ms)
    }

    /// The attempt got no response: the transport failed. `maybe_sent` is false only when
    /// the request certainly never left (connection refused, DNS failure); `timed_out` says
    /// that a timeout ended it; `not_retried`, when given, is the transport's reason why
    /// resending cannot help (fetch refused the request, a response over the size limit),
    /// which ends the call. Returns and throws as [`WasmAttempts::receive`].
    #[allow(clippy::too_many_arguments)]
    pub fn fail(
        &mut self,
        client: &WasmClient,
        reason: &str,
        maybe_sent: bool,
        timed_out: bool,
        not_retried: Option<String>,
        now: f64,
        random: f64,
        elapsed_ms: f64,
    ) -> Result<f64, JsValue> {
        let error = Error::Transport { reason: reason.to_owned(), maybe_sent, timed_out, not_retried };
        self.decide(client, Err(error), now, random, elapsed_ms)
    }

    /// The canonical request of the last attempt, the values of `X-Security-Token` and
    /// `X-Auth-Token` shown as `***` (undefined before the first attempt or with an IAM token).
    #[wasm_bindgen(js_name = canonicalRequest)]
    pub fn canonical_request(&self, client: &WasmClient) -> Option<String> {
        self.inner.canonical_request(signing(&self.signer, client))
    }

    /// The number of the current attempt (1 for the first; 0 before it).
    #[wasm_bindgen(getter)]
    pub fn attempt(&self) -> u32 {
        self.inner.attempt()
    }

    /// What follows `outcome`: the milliseconds to wait (0 or more), -1 when the call
    /// succeeded, or the call's error (thrown).
    fn decide(
        &mut self,
        client: &WasmClient,
        outcome: csms_core::Result<HttpResponse>,
        now: f64,
        random: f64,
        elapsed_ms: f64,
    ) -> Result<f64, JsValue> {
        // The core clamps `random` to [0, 1]; NaN would not survive its arithmetic.
        let random = if random.is_finite() { random } else { 0.5 };
        self.inner.elapsed(at(elapsed_ms));
        let at = local_time(now)?;
        match self.inner.receive(signing(&self.signer, client), outcome, at, random) {
            Next::Wait(after) => Ok(after.as_secs_f64() * 1000.0),
            Next::Done(Ok(_)) => Ok(-1.0),
            Next::Done(Err(error)) => {
                self.expired = credentials_expired(&error);
                Err(js_err(error))
            }
        }
    }
}

/// The retry policy of the options given in ms (whole numbers of 0 or more, checked by the
/// JS side; larger than the core takes, they saturate), checked by the core's
/// [`RetryPolicy::validate`]: a validation error naming `max_attempts`, `backoff_base`,
/// `backoff_cap` or `max_retry_after`, which the JS side renames to its options.
pub(crate) fn retry_policy(
    max_attempts: f64,
    backoff_base_ms: f64,
    backoff_cap_ms: f64,
    max_retry_after_ms: f64,
) -> Result<RetryPolicy, JsValue> {
    let policy = RetryPolicy {
        max_attempts: max_attempts as u32,
        base: at(backoff_base_ms),
        cap: at(backoff_cap_ms),
        max_retry_after: at(max_retry_after_ms),
    };
    policy.validate().map_err(js_err)?;
    Ok(policy)
}

/// Checks a client's retry options (in ms) with the core's [`RetryPolicy::validate`], as
/// [`WasmAttempts::new`] does each call's.
#[wasm_bindgen(js_name = checkRetryPolicy)]
pub fn check_retry_policy(
    max_attempts: f64,
    backoff_base_ms: f64,
    backoff_cap_ms: f64,
    max_retry_after_ms: f64,
) -> Result<(), JsValue> {
    retry_policy(max_attempts, backoff_base_ms, backoff_cap_ms, max_retry_after_ms).map(|_| ())
}

/// The core's defaults, as the JSON text of an object named as in
/// `tests/parity/surface.json` (durations in ms): the client's (`algorithm`, `max_attempts`,
/// `backoff_base_ms`, `backoff_cap_ms`, `max_retry_after_ms`, `max_clock_offset_ms`,
/// `connect_timeout_ms`, `timeout_ms`, `max_response_bytes`), the cache's (`ttl_ms`,
/// `max_entries`, `max_stale_ms`) and `metadata_timeout_ms` (the metadata provider's requests).
#[wasm_bindgen(js_name = coreDefaults)]
pub fn core_defaults() -> String {
    let retry = RetryPolicy::default();
    let cache = CacheConfig::default();
    let ms = |d: Duration| d.as_millis() as u64;
    format!(
        "{{\"algorithm\":\"{}\",\"max_attempts\":{},\"backoff_base_ms\":{},\"backoff_cap_ms\":{},\
         \"max_retry_after_ms\":{},\"max_clock_offset_ms\":{},\"connect_timeout_ms\":{},\"timeout_ms\":{},\
         \"max_response_bytes\":{},\"ttl_ms\":{},\"max_entries\":{},\"max_stale_ms\":{},\"metadata_timeout_ms\":{}}}",
        Algorithm::default().name(),
        retry.max_attempts,
        ms(retry.base),
        ms(retry.cap),
        ms(retry.max_retry_after),
        ms(MAX_CLOCK_OFFSET),
        ms(CONNECT_TIMEOUT),
        ms(REQUEST_TIMEOUT),
        MAX_RESPONSE_BYTES,
        ms(cache.ttl),
        cache.max_entries,
        cache.max_stale.map_or(0, ms),
        ms(csms_core::provider::metadata::TIMEOUT),
    )
}

/// The client that signed the last attempt: a provider's (`signer`), else `client`'s own.
fn signing<'a>(signer: &'a Option<(u64, Client)>, client: &'a WasmClient) -> &'a Client {
    signer.as_ref().map_or(&client.inner, |(_, signer)| signer)
}

/// The local clock `seconds` (since the epoch) as a date: straight from the number (a
/// JsValue made of it would cost a trip through the externref table and an import call);
/// `sdk_date`'s error when it is not finite.
pub(crate) fn local_time(seconds: f64) -> Result<csms_core::SdkDate, JsValue> {
    sdk_date(seconds, None)
}
