//! `csms-uniffi`: Kotlin and Swift bindings of `csms-core`, made with uniffi.
//!
//! A thin layer over the core's generic JSON path: inputs and outputs cross as JSON text,
//! go through [`csms_core::Client::build_request`] / [`csms_core::Client::parse_response`],
//! and the host gives the I/O as a foreign [`HttpTransport`]. [`CsmsClient::call`] loops
//! with the core's [`RetryPolicy`], signing every attempt anew.
// `CsmsException` crosses the FFI as flat fields (uniffi has no boxed field): a refused
// signature's two strings make it larger than clippy likes in a `Result`, which costs
// nothing next to a call across the FFI.
#![allow(clippy::result_large_err)]

use csms_core::provider::{credentials_expired, project_id, resolve_endpoint, SignerCache};
use csms_core::{
    operation, verify as core_verify, AccessKey, Algorithm, ClientOptions, DerivedScope, Error, Next, OperationSpec,
    RefusedSignature, RetryPolicy, SdkDate, Signer,
};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

mod cache;
mod call;
mod credentials;
mod fast;
mod jni;
mod paginate;
mod rotation;
pub use cache::{CachedSecret, ChangeListener, MonotonicClock, NativeSecretCache, StageChange};
pub use call::CancelHandle;
pub use credentials::{CredentialFunction, CredentialProvider, ProvidedCredentials};
pub use paginate::Paginator;
pub use rotation::{RotationCallbacks, RotationResult};

uniffi::setup_scaffolding!();

/// The user agent sent by default: `csms-sdk-uniffi/<version>` (Kotlin and Swift).
const USER_AGENT: &str = concat!("csms-sdk-uniffi/", env!("CARGO_PKG_VERSION"));

/// One header: name and value, as sent or received (order kept, names as spelled).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// A request ready to send.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

/// A response as the transport received it. `status`: 0 to 65535 (signed at the boundary so
/// Kotlin sees an `Int`; anything else is `CsmsException.Validation` naming `status`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct HttpResponse {
    pub status: i32,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

/// Everything that can go wrong (the core's `Error`, plus `Internal` for a bug).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum CsmsException {
    /// The input was refused before anything was sent; `field` is the member at fault.
    Validation { field: String, reason: String },
    /// The server answered with an error status.
    /// `not_retried`: why a normally retried status was not retried, if so (a `Retry-After`
    /// beyond `max_retry_after`, ...); `retry_after`: the response's `Retry-After`, if it had
    /// one (Kotlin `java.time.Duration`, Swift `TimeInterval`). When the service refused the signature
    /// (a 401 `APIGW.0301`), `canonical_request` and `string_to_sign` are what the client
    /// signed for the last attempt (tokens as `***`, never the SK) and `clock_off_seconds` how
    /// far the server's `Date` was ahead of the signing time; null otherwise.
    Api {
        status: i32,
        error_code: String,
        error_msg: String,
        request_id: String,
        not_retried: Option<String>,
        retry_after: Option<Duration>,
        canonical_request: Option<String>,
        string_to_sign: Option<String>,
        clock_off_seconds: Option<i64>,
    },
    /// A 2xx response whose body is not what the operation returns.
    Decode { reason: String, status: i32, request_id: String },
    /// No response (raised by transports too); `maybe_sent`: the request may have reached the server;
    /// `not_retried`: why a failure that is normally retried was not, if so (a transport sets
    /// it, with `maybe_sent` false, for a request its HTTP stack refused before sending
    /// anything: the call then ends at once, never retried); `timed_out`: a
    /// timeout ended the attempt (connecting, then `maybe_sent` is false, or the whole request).
    /// `timed_out` comes last so that `Transport(reason, maybeSent, notRetried)` keeps working
    /// in Kotlin and Swift, where `generate` gives `notRetried` and `timedOut` their defaults
    /// (null, false).
    Transport { reason: String, maybe_sent: bool, not_retried: Option<String>, timed_out: bool },
    /// A credential provider failed or gave something unusable; nothing was sent. `provider`:
    /// `environment`, `profile`, `metadata`, `default chain` or the name given to a
    /// `FunctionCredentials`; `reason` never quotes a secret.
    Credentials { provider: String, reason: String },
    /// A rotation stopped (`client.rotate`): `step` is `probe`, `create`, `apply`, `test`,
    /// `finish` or `wait`; `reason` says what went wrong and what state the secret is left in
    /// (the next run resumes), never quoting a secret. A CSMS call that fails during a
    /// rotation is its own `Api` or `Transport` error.
    Rotation { step: String, reason: String },
    /// A bug in the binding or the core (please report it).
    Internal { reason: String },
}

/// The core's message (`CSMS error 404 CSMS.0106: ... (request id ...)`, ``invalid `secret_name`: ...``,
/// `transport failure: ... (the request may have reached the server); not retried: ...`).
impl std::fmt::Display for CsmsException {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CsmsException::Internal { reason } => write!(f, "internal error in csms (please report it): {reason}"),
            other => Error::from(other.clone()).fmt(f),
        }
    }
}

impl std::error::Error for CsmsException {}

impl From<Error> for CsmsException {
    fn from(e: Error) -> Self {
        match e {
            Error::Validation { field, reason } => CsmsException::Validation { field, reason },
            Error::Api { status, error_code, error_msg, request_id, not_retried, retry_after_secs, signature } => {
                let retry_after = retry_after_secs.map(|s| Duration::from_secs(s.into()));
                let (canonical_request, string_to_sign, clock_off_seconds) = match signature {
                    Some(s) => (Some(s.canonical_request), Some(s.string_to_sign), s.clock_off_secs),
                    None => (None, None, None),
                };
                CsmsException::Api {
                    status: status.into(),
                    error_code,
                    error_msg,
                    request_id,
                    not_retried,
                    retry_after,
                    canonical_request,
                    string_to_sign,
                    clock_off_seconds,
                }
            }
            Error::Decode { reason, status, request_id } => {
                CsmsException::Decode { reason, status: status.into(), request_id }
            }
            Error::Transport { reason, maybe_sent, timed_out, not_retried } => {
                CsmsException::Transport { reason, maybe_sent, not_retried, timed_out }
            }
            Error::Credentials { provider, reason } => CsmsException::Credentials { provider, reason },
            Error::Rotation { step, reason } => CsmsException::Rotation { step, reason },
            other => CsmsException::Internal { reason: other.to_string() },
        }
    }
}

impl From<CsmsException> for Error {
    fn from(e: CsmsException) -> Self {
        match e {
            CsmsException::Validation { field, reason } => Error::Validation { field, reason },
            CsmsException::Api {
                status,
                error_code,
                error_msg,
                request_id,
                not_retried,
                retry_after,
                canonical_request,
                string_to_sign,
                clock_off_seconds,
            } => {
                let retry_after_secs = retry_after.map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX));
                let signature = match (canonical_request, string_to_sign) {
                    (Some(canonical_request), Some(string_to_sign)) => Some(Box::new(RefusedSignature {
                        canonical_request,
                        string_to_sign,
                        clock_off_secs: clock_off_seconds,
                    })),
                    _ => None,
                };
                Error::Api {
                    status: status_u16(status),
                    error_code,
                    error_msg,
                    request_id,
                    not_retried,
                    retry_after_secs,
                    signature,
                }
            }
            CsmsException::Decode { reason, status, request_id } => {
                Error::Decode { reason, status: status_u16(status), request_id }
            }
            CsmsException::Transport { reason, maybe_sent, not_retried, timed_out } => {
                Error::Transport { reason, maybe_sent, timed_out, not_retried }
            }
            CsmsException::Credentials { provider, reason } => Error::Credentials { provider, reason },
            CsmsException::Rotation { step, reason } => Error::Rotation { step, reason },
            CsmsException::Internal { reason } => Error::transport(reason, true),
        }
    }
}

/// A status a host gave in an exception it threw, as the core keeps it (out of range: 0).
fn status_u16(status: i32) -> u16 {
    u16::try_from(status).unwrap_or(0)
}

/// A foreign implementation that threw something else than a `CsmsException`: treated as a
/// transport failure that may have reached the server.
impl From<uniffi::UnexpectedUniFFICallbackError> for CsmsException {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        CsmsException::Transport { reason: e.reason, maybe_sent: true, not_retried: None, timed_out: false }
    }
}

/// The message of `error`: the core's text, as its `Display` writes it. The generated Kotlin
/// `CsmsException.message` returns it (see `generate`), so every exception, including one a
/// host transport throws, reads the same as in Rust.
#[uniffi::export]
pub fn exception_message(error: CsmsException) -> String {
    error.to_string()
}

/// Runs `body`, turning a panic into `CsmsException::Internal` (the crate unwinds, so a bug
/// reaches the host as an exception of the one error type instead of aborting the process).
fn guard<T>(body: impl FnOnce() -> Result<T, CsmsException>) -> Result<T, CsmsException> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|panic| Err(internal(panic)))
}

/// `guard` for a future: a panic while polling `future` ends it with `CsmsException::Internal`.
async fn guard_async<T>(
    future: impl std::future::Future<Output = Result<T, CsmsException>>,
) -> Result<T, CsmsException> {
    let mut future = std::pin::pin!(future);
    std::future::poll_fn(|cx| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| future.as_mut().poll(cx)))
            .unwrap_or_else(|panic| std::task::Poll::Ready(Err(internal(panic))))
    })
    .await
}

fn internal(panic: Box<dyn std::any::Any + Send>) -> CsmsException {
    let reason = match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(text), _) => format!("panic: {text}"),
        (_, Some(text)) => format!("panic: {text}"),
        _ => "panic".to_owned(),
    };
    CsmsException::Internal { reason }
}

/// **Test only; never call it from an application.** Panics with `message` inside the
/// guard every export uses, so that the tests show a Rust panic reaching the host as
/// `CsmsException.Internal` (`async_`: inside an async call, as `CsmsClient.call` runs).
/// (uniffi's proc-macros refuse `#[doc(hidden)]`, hence the name.)
#[uniffi::export]
pub async fn test_only_panic(message: String, async_: bool) -> Result<(), CsmsException> {
    if async_ {
        guard_async(async { panic!("{message}") }).await
    } else {
        guard(|| panic!("{message}"))
    }
}

/// Locks `m`, going on after a panic elsewhere (every state kept here stays consistent).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn invalid(field: &str, reason: impl Into<String>) -> CsmsException {
    CsmsException::Validation { field: field.to_owned(), reason: reason.into() }
}

fn pairs(headers: &[(String, String)]) -> Vec<Header> {
    headers.iter().map(|(name, value)| Header { name: name.clone(), value: value.clone() }).collect()
}

pub(crate) fn to_core_request(r: &HttpRequest) -> csms_core::HttpRequest {
    let mut out = csms_core::HttpRequest::new(r.method.clone(), r.url.clone());
    out.headers = r.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect();
    out.body = r.body.clone();
    out
}

pub(crate) fn from_core_request(r: &csms_core::HttpRequest) -> HttpRequest {
    HttpRequest { method: r.method.clone(), url: r.url.clone(), headers: pairs(&r.headers), body: r.body.clone() }
}

pub(crate) fn to_core_response(r: &HttpResponse) -> Result<csms_core::HttpResponse, CsmsException> {
    let status = u16::try_from(r.status)
        .map_err(|_| invalid("status", format!("must be between 0 and 65535, not {}", r.status)))?;
    Ok(csms_core::HttpResponse::new(
        status,
        r.headers.iter().map(|h| (h.name.clone(), h.value.clone())).collect(),
        r.body.clone(),
    ))
}

fn json(text: &str, what: &str) -> Result<serde_json::Value, CsmsException> {
    csms_core::json::parse_str(text).map_err(|e| invalid(what, format!("is not valid JSON: {e}")))
}

/// `at` as an `X-Sdk-Date` text (`YYYYMMDDTHHMMSSZ`), or [`now`] when absent.
fn sdk_date(at: Option<String>) -> Result<SdkDate, CsmsException> {
    match at {
        Some(text) => Ok(SdkDate::parse(&text)?),
        None => Ok(now()),
    }
}

/// The local clock: the one place this library reads it (for the call loop of
/// [`CsmsClient::call`], which is the transport side of the binding, and for the default
/// `at` of `buildRequest`/`signRequest`, as Python's `csms.transports.now`). The core adds
/// the clock offset it learnt from the server.
pub(crate) fn now() -> SdkDate {
    SdkDate::from(std::time::SystemTime::now())
}

/// A number uniform in [0, 1) for the retry jitter (std's randomly keyed hasher, seeded
/// afresh on each call: no rand crate, and no clock).
fn random_unit() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// The I/O the host gives: send one request, and sleep between attempts.
///
/// Kotlin implements it with coroutines (`suspend fun`), Swift with `async`. `send` throws
/// `CsmsException.Transport` when no response came back; any other exception is taken as a
/// transport failure that may have reached the server. `sleep` may throw too: the call then
/// ends with that exception (any other than a `CsmsException` as a `Transport` failure).
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait HttpTransport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, CsmsException>;
    /// Waits `millis` milliseconds (the backoff between two attempts; never negative).
    async fn sleep(&self, millis: i64) -> Result<(), CsmsException>;
}

/// One attempt of a call, as a [`DebugHook`] receives it. Nothing in it is secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttemptRecord {
    /// The operation called (`ShowSecret`).
    pub operation: String,
    /// The number of the attempt, 1 for the first.
    pub attempt: i32,
    /// The HTTP method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The response's status; null when no response came back.
    pub status: Option<i32>,
    /// The transport failure's message when no response came back; null otherwise.
    pub error: Option<String>,
    /// The response's request id, empty without one.
    pub request_id: String,
    /// How long the attempt took, in milliseconds.
    pub duration_millis: i64,
    /// The canonical request the attempt signed, `X-Security-Token` and `X-Auth-Token` as
    /// `***` (null with an IAM token). Computed only for a hook that asks for it
    /// ([`DebugHook::wants_canonical_request`]).
    pub canonical_request: Option<String>,
}

/// A host function called after every attempt of a [`CsmsClient::call`], to log with the
/// host's own logger (the library logs nothing). What it throws is ignored: the call goes on.
#[uniffi::export(with_foreign)]
pub trait DebugHook: Send + Sync {
    /// Receives the record of an attempt.
    fn on_attempt(&self, record: AttemptRecord) -> Result<(), CsmsException>;
    /// Whether the records should carry the canonical request (computed only then).
    fn wants_canonical_request(&self) -> bool;
}

/// A CSMS client: builds and signs requests, parses responses, and (with a transport) calls.
#[derive(uniffi::Object)]
pub struct CsmsClient {
    client: csms_core::Client,
    transport: Option<Arc<dyn HttpTransport>>,
    policy: RetryPolicy,
    debug_hook: Option<Arc<dyn DebugHook>>,
    /// The provider whose credentials sign each attempt, if any (else the options' own).
    credentials: Option<Arc<CredentialProvider>>,
    /// This client's signing client for each generation of the provider's credentials.
    signers: Mutex<SignerCache>,
    /// A view's timeout of each attempt, raced against the transport's `sleep` (None: the
    /// transport's own only).
    timeout: Option<Duration>,
    /// A view's bound on a whole call, retries and waits included ([`csms_core::Attempts::with_deadline`]).
    deadline: Option<Duration>,
    /// Set by [`CsmsClient::mark_closed`] on this client or any view of it: shared by a client
    /// and all its views, whose calls then fail.
    closed: Arc<AtomicBool>,
}

#[uniffi::export]
impl CsmsClient {
    /// `options_json`: `{"region" | "endpoint", "project_id", "credentials": {"ak", "sk"} |
    /// {"auth_token"}, "algorithm"?, "user_agent"?, "max_clock_offset_ms"?}` (the core's
    /// `ClientOptions`; `max_clock_offset_ms`: the largest clock offset learnt from a server,
    /// a day when absent, 0 never; `max_response_bytes` is refused: the limit is the
    /// transport's, such as `JavaHttpTransport(maxResponseBytes)`).
    /// `max_attempts`: attempts per call, 3 when absent (1 = never retry).
    /// `backoff_base_millis`: the first retry's backoff before jitter, doubling with each
    /// attempt (the core's default, 100 ms, when absent; tests use a few ms), up to
    /// `backoff_cap_millis` (20 s when absent).
    /// `max_retry_after_millis`: the longest `Retry-After` waited for (60 s when absent); a
    /// response asking for longer ends the call with its `CsmsException.Api`, whose
    /// `retryAfter` holds the server's value.
    /// The four are checked by the core's `RetryPolicy::validate` (attempts from 1 to 100,
    /// durations at most a day, the cap not below the base; a negative duration is refused
    /// too): `CsmsException.Validation` naming `maxAttempts`, `backoffBase`, `backoffCap` or
    /// `maxRetryAfter`.
    /// `debug_hook`: called after every attempt of `call` with its [`AttemptRecord`].
    /// `credentials`: a [`CredentialProvider`] whose credentials sign every attempt of
    /// `call` (then the options have no `credentials`): fetched when due, and once more, the
    /// call retried, after a 401 saying they expired; its failure ends the call with
    /// `CsmsException.Credentials` before anything is sent.
    #[uniffi::constructor(default(
        transport = None,
        max_attempts = None,
        backoff_base_millis = None,
        max_retry_after_millis = None,
        debug_hook = None,
        credentials = None,
        backoff_cap_millis = None
    ))]
    #[allow(clippy::too_many_arguments)] // uniffi exports plain constructors: one argument each
    pub fn new(
        options_json: String,
        transport: Option<Arc<dyn HttpTransport>>,
        max_attempts: Option<i32>,
        backoff_base_millis: Option<i64>,
        max_retry_after_millis: Option<i64>,
        debug_hook: Option<Arc<dyn DebugHook>>,
        credentials: Option<Arc<CredentialProvider>>,
        backoff_cap_millis: Option<i64>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            let options = ClientOptions::from_json(&json(&options_json, "options")?)?;
            let settings = Settings {
                transport,
                max_attempts,
                backoff_base_millis,
                max_retry_after_millis,
                debug_hook,
                backoff_cap_millis,
            };
            Self::make(options, settings, credentials)
        })
    }

    /// A client configured from the environment (`env`, else the process environment) as
    /// the official SDKs are: credentials from the default chain (`HUAWEICLOUD_SDK_AK`/`_SK`/
    /// `_SECURITY_TOKEN`, the profile file, the instance metadata service through
    /// `metadata_transport`), the endpoint from `CSMS_ENDPOINT`,
    /// `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>` or the region (`region`, else
    /// `HUAWEICLOUD_SDK_REGION`), the project id from `HUAWEICLOUD_SDK_PROJECT_ID` or the
    /// credentials' own. The credentials are fetched now, so that a missing variable fails
    /// here (`CsmsException.Validation` naming it). The other arguments are the constructor's.
    /// Kotlin: `CsmsClient.fromEnv(region, env, transport, ...)` gives the metadata transport.
    #[uniffi::constructor(default(
        region = None,
        env = None,
        transport = None,
        max_attempts = None,
        backoff_base_millis = None,
        max_retry_after_millis = None,
        debug_hook = None
    ))]
    #[allow(clippy::too_many_arguments)] // uniffi exports plain constructors: one argument each
    pub async fn from_env(
        metadata_transport: Arc<dyn HttpTransport>,
        region: Option<String>,
        env: Option<HashMap<String, String>>,
        transport: Option<Arc<dyn HttpTransport>>,
        max_attempts: Option<i32>,
        backoff_base_millis: Option<i64>,
        max_retry_after_millis: Option<i64>,
        debug_hook: Option<Arc<dyn DebugHook>>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard_async(async move {
            let chain = CredentialProvider::chain(metadata_transport, env);
            let lookup = |name: &str| chain.var(name);
            let (endpoint, region) = resolve_endpoint(region.as_deref(), &lookup)?;
            let first = chain.lease().await?;
            let project_id = project_id(&lookup, first.provided.project_id.as_deref())?;
            let options = ClientOptions {
                endpoint: Some(endpoint),
                region,
                project_id: Some(project_id),
                ..ClientOptions::default()
            };
            let settings = Settings {
                transport,
                max_attempts,
                backoff_base_millis,
                max_retry_after_millis,
                debug_hook,
                backoff_cap_millis: None,
            };
            Self::make(options, settings, Some(chain))
        })
        .await
    }

    /// A view of this client for some calls: the same options, credentials provider, clock
    /// offset (learnt by either, used by both), retry backoff and debug hook, with these
    /// instead of this client's when given: `transport`, `max_attempts` (checked as the
    /// constructor's), `timeout_millis` (each attempt, on top of the transport's own
    /// timeout) and `deadline_millis` (the whole call: attempts, backoff and `Retry-After`
    /// waits; each attempt's timeout is cut to what is left, and a call that runs out ends
    /// in `CsmsException.Transport` with `timed_out`, no attempt after it). Both are from
    /// 1 ms to a day (`CsmsException.Validation` naming `timeout` or `deadline`), measured
    /// with the transport's `sleep`, which an attempt is raced against (the attempt's send
    /// is then cancelled).
    ///
    /// A view of a view keeps the settings it does not replace. Freeing a view leaves this
    /// client and its transport alone; a view shares what it uses, so it works on after this
    /// client is freed, until [`CsmsClient::mark_closed`] (Kotlin's `close()` of a client owning
    /// its transport): then its calls are `CsmsException.Validation` naming `client`.
    /// Kotlin: `client.withOptions(timeout, maxAttempts, deadline)`.
    #[uniffi::method(default(transport = None, max_attempts = None, timeout_millis = None, deadline_millis = None))]
    pub fn with_settings(
        &self,
        transport: Option<Arc<dyn HttpTransport>>,
        max_attempts: Option<i32>,
        timeout_millis: Option<i64>,
        deadline_millis: Option<i64>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            self.open()?;
            let mut policy = self.policy;
            if let Some(n) = max_attempts {
                policy.max_attempts = attempts(n);
            }
            let policy = checked(policy)?;
            let timeout = call_limit("timeout", timeout_millis)?.or(self.timeout);
            let deadline = call_limit("deadline", deadline_millis)?.or(self.deadline);
            Ok(Arc::new(CsmsClient {
                client: self.client.clone(),
                transport: transport.or_else(|| self.transport.clone()),
                policy,
                debug_hook: self.debug_hook.clone(),
                credentials: self.credentials.clone(),
                signers: Mutex::default(),
                timeout,
                deadline,
                closed: Arc::clone(&self.closed),
            }))
        })
    }

    /// Makes every later call through this client and every view of it fail with
    /// `CsmsException.Validation` naming `client` (idempotent). Kotlin's `close()` of a client
    /// that owns its transport calls it before closing the transport, so that a view left
    /// behind fails clearly rather than through a closed transport.
    pub fn mark_closed(&self) {
        self.closed.store(true, Ordering::Release);
    }

    /// The transport this client sends with (null when it was given none).
    pub fn http_transport(&self) -> Option<Arc<dyn HttpTransport>> {
        self.transport.clone()
    }

    /// The offset, in seconds, between the server's clock and this machine's, learnt from a
    /// signature refused for its time (0 until then); every later request is signed with it.
    pub fn clock_offset_seconds(&self) -> i64 {
        self.client.clock_offset()
    }

    /// The signed request of `operation` for `input_json`, signed for `at` (an `X-Sdk-Date`
    /// text; now when absent). No I/O: with a credentials provider, signed with its current
    /// credentials (`CsmsException.Validation` naming `credentials` before any call fetched them).
    #[uniffi::method(default(at = None))]
    pub fn build_request(
        &self,
        operation: String,
        input_json: String,
        at: Option<String>,
    ) -> Result<HttpRequest, CsmsException> {
        guard(|| {
            let input = json(&input_json, "input")?;
            let signer = match &self.credentials {
                Some(provider) => match provider.current() {
                    Some(lease) => self.signer(&lease)?,
                    None => return Err(invalid("credentials", "the provider has given none yet (make a call first)")),
                },
                None => self.client.clone(),
            };
            let request = signer.build_request(&operation, &input, sdk_date(at)?)?;
            Ok(from_core_request(&request))
        })
    }

    /// The result of `operation` (JSON text, wire names) for `response`, or its error. No I/O.
    pub fn parse_response(&self, operation: String, response: HttpResponse) -> Result<String, CsmsException> {
        guard(|| Ok(self.client.parse_response(&operation, &to_core_response(&response)?)?.to_string()))
    }

    /// Calls `operation` through the transport: build, sign, send, retry as the core's
    /// policy decides (signing every attempt anew), parse. With a credentials provider, each
    /// attempt is signed with its current credentials, and the call runs once more with
    /// fresh ones when the service says they expired.
    pub async fn call(&self, operation: String, input_json: String) -> Result<String, CsmsException> {
        guard_async(self.attempt_all(operation, input_json)).await
    }
}

/// A `max_attempts` setting as the policy holds it (negative as 0: [`checked`] refuses both).
fn attempts(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// A duration in milliseconds from the host (negative: `CsmsException.Validation` naming `field`).
fn millis(field: &str, millis: Option<i64>) -> Result<Option<Duration>, CsmsException> {
    millis
        .map(|ms| {
            u64::try_from(ms)
                .map(Duration::from_millis)
                .map_err(|_| invalid(field, format!("must not be negative, not {ms} ms")))
        })
        .transpose()
}

/// `policy` if the core's [`RetryPolicy::validate`] accepts it; else its error, the option
/// named as Kotlin and Swift spell it (`maxAttempts`, `backoffBase`, `backoffCap`, `maxRetryAfter`).
fn checked(policy: RetryPolicy) -> Result<RetryPolicy, CsmsException> {
    policy.validate().map(|()| policy).map_err(|e| match e {
        Error::Validation { field, reason } => {
            let field = match field.as_str() {
                "max_attempts" => "maxAttempts",
                "backoff_base" => "backoffBase",
                "backoff_cap" => "backoffCap",
                "max_retry_after" => "maxRetryAfter",
                other => other,
            };
            invalid(field, reason)
        }
        other => other.into(),
    })
}

/// A per-call `timeout` or `deadline` in milliseconds: from 1 ms to a day
/// ([`csms_core::MAX_RETRY_DURATION`], the bound of every duration of the retry policy).
fn call_limit(field: &str, value: Option<i64>) -> Result<Option<Duration>, CsmsException> {
    match millis(field, value)? {
        Some(d) if d.is_zero() || d > csms_core::MAX_RETRY_DURATION => {
            Err(invalid(field, format!("must be from 1 ms to a day, not {} ms", value.unwrap_or_default())))
        }
        other => Ok(other),
    }
}

/// The constructor arguments [`CsmsClient::new`] and [`CsmsClient::from_env`] share.
struct Settings {
    transport: Option<Arc<dyn HttpTransport>>,
    max_attempts: Option<i32>,
    backoff_base_millis: Option<i64>,
    max_retry_after_millis: Option<i64>,
    debug_hook: Option<Arc<dyn DebugHook>>,
    backoff_cap_millis: Option<i64>,
}

impl CsmsClient {
    fn make(
        mut options: ClientOptions,
        settings: Settings,
        credentials: Option<Arc<CredentialProvider>>,
    ) -> Result<Arc<Self>, CsmsException> {
        if options.max_response_bytes.is_some() {
            // The client never reads a body: the transport does, with its own limit.
            return Err(invalid(
                "max_response_bytes",
                "is an option of the transport here: JavaHttpTransport(maxResponseBytes = ...) in Kotlin, \
                 URLSessionTransport(maxResponseBytes: ...) in Swift",
            ));
        }
        if credentials.is_some() {
            if options.credentials.is_some() {
                return Err(invalid(
                    "credentials",
                    "give credentials in the options or a credentials provider, not both",
                ));
            }
            // A placeholder the provider's credentials replace on every attempt.
            let placeholder = |s: &str| Some(s.to_owned());
            options.credentials = Some(csms_core::CredentialOptions {
                ak: placeholder("provider"),
                sk: placeholder("provider").map(Into::into),
                ..Default::default()
            });
        }
        let client = csms_core::Client::new(options.into_config_with_agent(Some(USER_AGENT))?)?;
        let mut policy = RetryPolicy::default();
        if let Some(n) = settings.max_attempts {
            policy.max_attempts = attempts(n);
        }
        if let Some(d) = millis("backoffBase", settings.backoff_base_millis)? {
            policy.base = d;
        }
        if let Some(d) = millis("backoffCap", settings.backoff_cap_millis)? {
            policy.cap = d;
        }
        if let Some(d) = millis("maxRetryAfter", settings.max_retry_after_millis)? {
            policy.max_retry_after = d;
        }
        checked(policy)?;
        Ok(Arc::new(CsmsClient {
            client,
            transport: settings.transport,
            policy,
            debug_hook: settings.debug_hook,
            credentials,
            signers: Mutex::default(),
            timeout: None,
            deadline: None,
            closed: Arc::default(),
        }))
    }

    /// This client signing with the credentials of `lease` (its clock offset shared).
    fn signer(&self, lease: &csms_core::provider::Lease) -> Result<csms_core::Client, Error> {
        self.signers.lock().unwrap_or_else(PoisonError::into_inner).signer(&self.client, lease)
    }

    /// The loop of [`CsmsClient::call`]: the core's `Attempts` decide, the transport does the
    /// I/O; once more with fresh credentials when the provider's were refused as expired.
    async fn attempt_all(&self, operation: String, input_json: String) -> Result<String, CsmsException> {
        // Checked in this order: the transport, the operation, then the input.
        self.transport()?;
        csms_core::operation(&operation)?;
        let input = json(&input_json, "input")?;
        Ok(self.call_value(&operation, &input).await?.to_string())
    }

    /// The transport, required to call.
    fn transport(&self) -> Result<Arc<dyn HttpTransport>, CsmsException> {
        self.transport
            .clone()
            .ok_or_else(|| invalid("transport", "is required to call (give one to the CsmsClient constructor)"))
    }

    /// [`CsmsClient::call`] with the input and result as parsed JSON (the cache and the
    /// rotation drive it).
    pub(crate) async fn call_value(
        &self,
        operation: &str,
        input: &serde_json::Value,
    ) -> Result<serde_json::Value, CsmsException> {
        self.open()?;
        let transport = self.transport()?;
        let op = csms_core::operation(operation)?;
        let started = std::time::Instant::now();
        let (result, generation) = self.attempts(transport.as_ref(), op, input, started).await;
        let expired = |r: &Result<_, CsmsException>| r.as_ref().is_err_and(|e| credentials_expired(&e.clone().into()));
        let result = match (&self.credentials, generation) {
            (Some(provider), Some(generation)) if expired(&result) => {
                provider.invalidate(generation);
                self.attempts(transport.as_ref(), op, input, started).await.0
            }
            _ => result,
        };
        Ok(csms_core::parse_response(op, &result?)?)
    }

    /// Fails once this client, or the client this view was made from, was closed.
    fn open(&self) -> Result<(), CsmsException> {
        if self.closed.load(Ordering::Acquire) {
            return Err(invalid("client", "the client is closed (a view is usable while its client is open)"));
        }
        Ok(())
    }

    /// The attempts of one call (which started at `started`: the deadline counts from it),
    /// and the generation of the provider's credentials the last one was signed with.
    async fn attempts(
        &self,
        transport: &dyn HttpTransport,
        op: &'static OperationSpec,
        input: &serde_json::Value,
        started: std::time::Instant,
    ) -> (Result<csms_core::HttpResponse, CsmsException>, Option<u64>) {
        let mut generation = None;
        let result = async {
            let mut call = self.client.start(op, input, self.policy)?;
            if let Some(deadline) = self.deadline {
                call = call.with_deadline(deadline);
            }
            loop {
                let signer = match &self.credentials {
                    Some(provider) => {
                        let lease = provider.lease().await?;
                        generation = Some(lease.generation);
                        self.signer(&lease)?
                    }
                    None => self.client.clone(),
                };
                let request = call.request(&signer, now())?;
                call.elapsed(started.elapsed());
                let timeout = call.timeout(self.timeout)?;
                let attempt_started = std::time::Instant::now();
                let outcome = within(transport, from_core_request(&request), timeout).await;
                drop(request);
                call.elapsed(started.elapsed());
                // A response with a status out of range ends the call (the host's bug, not the server's).
                let outcome = match outcome {
                    Ok(r) => Ok(to_core_response(&r)?),
                    Err(e) => Err(Error::from(e)),
                };
                if let Some(hook) = &self.debug_hook {
                    report(hook.as_ref(), call.record(&signer, &outcome, attempt_started.elapsed()));
                }
                match call.receive(&signer, outcome, now(), random_unit()) {
                    Next::Wait(after) => {
                        transport.sleep(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)).await?;
                    }
                    Next::Done(response) => return Ok(response?),
                }
            }
        }
        .await;
        (result, generation)
    }
}

/// `transport.send(request)`, raced against `transport.sleep(timeout)` when there is a
/// timeout: the sleep ending first drops the send (uniffi cancels the host's coroutine or
/// task) and fails the attempt as timed out, the request maybe sent.
async fn within(
    transport: &dyn HttpTransport,
    request: HttpRequest,
    timeout: Option<Duration>,
) -> Result<HttpResponse, CsmsException> {
    let Some(timeout) = timeout else { return transport.send(request).await };
    let timer = async {
        transport.sleep(i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX)).await?;
        Err(Error::timeout(format!("the attempt timed out after {} ms", timeout.as_millis()), true).into())
    };
    call::first(transport.send(request), timer).await
}

/// Gives `hook` the record of an attempt; what the hook throws (or a panic it causes) is
/// ignored: the call goes on.
fn report(hook: &dyn DebugHook, record: csms_core::AttemptRecord<'_>) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let canonical_request = if hook.wants_canonical_request() { record.canonical_request() } else { None };
        let _ = hook.on_attempt(AttemptRecord {
            operation: record.operation.to_owned(),
            attempt: i32::try_from(record.attempt).unwrap_or(i32::MAX),
            method: record.method.to_owned(),
            url: record.url.to_owned(),
            status: record.status.map(i32::from),
            error: record.error.clone(),
            request_id: record.request_id.to_owned(),
            duration_millis: i64::try_from(record.duration.as_millis()).unwrap_or(i64::MAX),
            canonical_request,
        });
    }));
}

/// Signs `request` for `at` (an `X-Sdk-Date` text; now when absent) with the signer alone:
/// adds `X-Sdk-Date`, `Host`, `X-Security-Token` for a temporary key, and `Authorization`.
/// `algorithm`: `SDK-HMAC-SHA256` when absent; `region` and `service` only for V11-HMAC-SHA256.
#[uniffi::export(default(security_token = None, algorithm = None, region = None, service = None, at = None))]
#[allow(clippy::too_many_arguments)] // uniffi exports plain functions: one argument each
pub fn sign_request(
    request: HttpRequest,
    ak: String,
    sk: String,
    security_token: Option<String>,
    algorithm: Option<String>,
    region: Option<String>,
    service: Option<String>,
    at: Option<String>,
) -> Result<HttpRequest, CsmsException> {
    let (algorithm, scope) = algorithm_scope(algorithm, region, service)?;
    let mut core = to_core_request(&request);
    sign_core(&mut core, ak, sk, security_token, algorithm, scope, at)?;
    Ok(from_core_request(&core))
}

/// The algorithm (HMAC-SHA256 when absent) and the derived scope of [`sign_request`]'s arguments.
fn algorithm_scope(
    algorithm: Option<String>,
    region: Option<String>,
    service: Option<String>,
) -> Result<(Algorithm, Option<DerivedScope>), CsmsException> {
    let algorithm: Algorithm = match algorithm {
        Some(name) => name.parse()?,
        None => Algorithm::HmacSha256,
    };
    let scope = match (region, service) {
        (None, None) => None,
        (r, s) => Some(DerivedScope { region: r.unwrap_or_default(), service: s.unwrap_or_default() }),
    };
    Ok((algorithm, scope))
}

/// Signs `request` in place as [`sign_request`] does, its algorithm and scope read (Kotlin's
/// fast path calls it on the core's request directly).
fn sign_core(
    request: &mut csms_core::HttpRequest,
    ak: String,
    sk: String,
    security_token: Option<String>,
    algorithm: Algorithm,
    scope: Option<DerivedScope>,
    at: Option<String>,
) -> Result<(), CsmsException> {
    guard(|| {
        let signer = Signer::new(access_key(ak, sk, security_token), algorithm, scope)?;
        signer.sign(request, sdk_date(at)?)?;
        Ok(())
    })
}

/// Checks the signature of `request` with the key, as the service does (not its age).
/// Returns null when it is valid, else why not.
#[uniffi::export(default(security_token = None))]
pub fn verify_request(request: HttpRequest, ak: String, sk: String, security_token: Option<String>) -> Option<String> {
    core_verify(&to_core_request(&request), &access_key(ak, sk, security_token)).err().map(|e| e.to_string())
}

/// The default connect timeout of the default transports (10 s), in milliseconds.
#[uniffi::export]
pub fn default_connect_timeout_millis() -> i64 {
    csms_core::CONNECT_TIMEOUT.as_millis() as i64
}

/// The default whole-request timeout of the default transports (60 s), in milliseconds.
#[uniffi::export]
pub fn default_request_timeout_millis() -> i64 {
    csms_core::REQUEST_TIMEOUT.as_millis() as i64
}

/// The timeout of each request to the instance metadata service (3 s), to connect and to
/// answer, in milliseconds.
#[uniffi::export]
pub fn metadata_timeout_millis() -> i64 {
    csms_core::provider::metadata::TIMEOUT.as_millis() as i64
}

/// The default limit on the response body the default transports read (16 MiB), in bytes.
#[uniffi::export]
pub fn default_max_response_bytes() -> i64 {
    csms_core::MAX_RESPONSE_BYTES as i64
}

/// The names of every operation, as the API reference spells them.
#[uniffi::export]
pub fn operation_names() -> Vec<String> {
    csms_core::operation_names().map(str::to_owned).collect()
}

/// Whether `name` is a known operation (`ShowSecret`, ...).
#[uniffi::export]
pub fn is_operation(name: String) -> bool {
    operation(&name).is_ok()
}

fn access_key(ak: String, sk: String, security_token: Option<String>) -> AccessKey {
    let key = AccessKey::new(ak, sk);
    match security_token {
        Some(t) => key.with_security_token(t),
        None => key,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_is_uniform_enough_and_in_range() {
        let values: Vec<f64> = (0..1000).map(|_| random_unit()).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        assert!((0.4..0.6).contains(&mean), "mean {mean}");
        let below_tenth = values.iter().filter(|&&v| v < 0.1).count();
        assert!((50..150).contains(&below_tenth), "{below_tenth} of 1000 below 0.1");
    }

    #[test]
    fn an_api_error_keeps_retry_after_both_ways() {
        for wait in [None, Some(120)] {
            let core = Error::Api {
                status: 429,
                error_code: "CSMS.0429".into(),
                error_msg: "busy".into(),
                request_id: "r".into(),
                not_retried: None,
                retry_after_secs: wait,
                signature: None,
            };
            let binding = CsmsException::from(core.clone());
            let after = wait.map(|s| Duration::from_secs(s.into()));
            assert!(matches!(&binding, CsmsException::Api { retry_after, .. } if *retry_after == after));
            assert_eq!(Error::from(binding), core);
        }
    }

    #[test]
    fn the_retry_policy_is_the_cores_named_as_kotlin_and_swift_spell_it() {
        fn field<T: std::fmt::Debug>(r: Result<T, CsmsException>) -> String {
            match r {
                Err(CsmsException::Validation { field, .. }) => field,
                other => panic!("{other:?}"),
            }
        }
        let d = RetryPolicy::default();
        assert_eq!(field(checked(RetryPolicy { max_attempts: attempts(-1), ..d })), "maxAttempts");
        assert_eq!(field(checked(RetryPolicy { max_attempts: 101, ..d })), "maxAttempts");
        assert_eq!(field(checked(RetryPolicy { cap: Duration::from_millis(1), ..d })), "backoffCap");
        assert_eq!(
            field(checked(RetryPolicy { max_retry_after: Duration::from_secs(2 * 86400), ..d })),
            "maxRetryAfter"
        );
        assert_eq!(field(millis("backoffBase", Some(-5))), "backoffBase");
        assert!(checked(d).is_ok());
        assert_eq!(field(call_limit("timeout", Some(0))), "timeout");
        assert_eq!(field(call_limit("deadline", Some(86_400_001))), "deadline");
        assert_eq!(call_limit("deadline", Some(86_400_000)).unwrap(), Some(Duration::from_secs(86_400)));
    }

    #[test]
    fn a_credentials_error_keeps_its_provider_both_ways() {
        let core = csms_core::provider::provider_error("vault", "sealed");
        let binding = CsmsException::from(core.clone());
        assert_eq!(binding, CsmsException::Credentials { provider: "vault".into(), reason: "sealed".into() });
        assert_eq!(binding.to_string(), "no credentials from the vault provider: sealed");
        assert_eq!(Error::from(binding), core);
    }

    #[test]
    fn a_rotation_error_keeps_its_step_both_ways() {
        let core = Error::Rotation { step: "apply".into(), reason: "the target refused".into() };
        let binding = CsmsException::from(core.clone());
        assert_eq!(binding, CsmsException::Rotation { step: "apply".into(), reason: "the target refused".into() });
        assert_eq!(binding.to_string(), "the rotation stopped at its apply step: the target refused");
        assert_eq!(Error::from(binding), core);
    }

    #[test]
    fn a_transport_failure_keeps_timed_out_both_ways() {
        for core in [Error::timeout("slow", true), Error::timeout("connect", false), Error::transport("reset", true)] {
            let binding = CsmsException::from(core.clone());
            assert!(matches!(binding, CsmsException::Transport { timed_out, .. } if timed_out == core.is_timeout()));
            assert_eq!(Error::from(binding), core);
        }
    }
}
