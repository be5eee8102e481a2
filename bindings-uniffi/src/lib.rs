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
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

mod cache;
mod credentials;
mod fast;
mod paginate;
mod rotation;
pub use cache::{CachedSecret, ChangeListener, MonotonicClock, NativeSecretCache, StageChange};
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
    /// beyond `max_retry_after_millis`, ...); `retry_after_millis`: the response's
    /// `Retry-After` in milliseconds, if it had one. When the service refused the signature
    /// (a 401 `APIGW.0301`), `canonical_request` and `string_to_sign` are what the client
    /// signed for the last attempt (tokens as `***`, never the SK) and `clock_off_seconds` how
    /// far the server's `Date` was ahead of the signing time; null otherwise.
    Api {
        status: i32,
        error_code: String,
        error_msg: String,
        request_id: String,
        not_retried: Option<String>,
        retry_after_millis: Option<i64>,
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
                let retry_after_millis = retry_after_secs.map(|s| i64::from(s) * 1000);
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
                    retry_after_millis,
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
                retry_after_millis,
                canonical_request,
                string_to_sign,
                clock_off_seconds,
            } => {
                let retry_after_secs = retry_after_millis.map(|ms| u32::try_from(ms.max(0) / 1000).unwrap_or(u32::MAX));
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
    serde_json::from_str(text).map_err(|e| invalid(what, format!("is not valid JSON: {e}")))
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
}

#[uniffi::export]
impl CsmsClient {
    /// `options_json`: `{"region" | "endpoint", "project_id", "credentials": {"ak", "sk"} |
    /// {"auth_token"}, "algorithm"?, "user_agent"?, "max_clock_offset_ms"?}` (the core's
    /// `ClientOptions`; `max_clock_offset_ms`: the largest clock offset learnt from a server,
    /// a day when absent, 0 never; `max_response_bytes` is refused: the limit is the
    /// transport's, such as `JavaHttpTransport(maxResponseBytes)`).
    /// `max_attempts`: attempts per call, 3 when absent (1 = never retry; less than 1 is
    /// `CsmsException.Validation` naming `max_attempts`).
    /// `backoff_base_millis`: the first retry's backoff before jitter, doubling with each
    /// attempt (the core's default, 100 ms, when absent; tests use a few ms; negative is
    /// `CsmsException.Validation` naming `backoff_base_millis`).
    /// `max_retry_after_millis`: the longest `Retry-After` waited for (60 s when absent); a
    /// response asking for longer ends the call with its `CsmsException.Api`, whose
    /// `retryAfterMillis` holds the server's value (negative is `CsmsException.Validation`).
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
        credentials = None
    ))]
    pub fn new(
        options_json: String,
        transport: Option<Arc<dyn HttpTransport>>,
        max_attempts: Option<i32>,
        backoff_base_millis: Option<i64>,
        max_retry_after_millis: Option<i64>,
        debug_hook: Option<Arc<dyn DebugHook>>,
        credentials: Option<Arc<CredentialProvider>>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            let options = ClientOptions::from_json(&json(&options_json, "options")?)?;
            let settings =
                Settings { transport, max_attempts, backoff_base_millis, max_retry_after_millis, debug_hook };
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
            let settings =
                Settings { transport, max_attempts, backoff_base_millis, max_retry_after_millis, debug_hook };
            Self::make(options, settings, Some(chain))
        })
        .await
    }

    /// A view of this client for some calls: the same options, credentials provider, clock
    /// offset (learnt by either, used by both), retry backoff and debug hook, with
    /// `max_attempts` (less than 1: `CsmsException.Validation` naming `max_attempts`) and
    /// `transport` instead of this client's when given. Freeing the view leaves this client
    /// and its transport alone. Kotlin: `client.withOptions(requestTimeout, maxAttempts)`.
    #[uniffi::method(default(transport = None, max_attempts = None))]
    pub fn with_settings(
        &self,
        transport: Option<Arc<dyn HttpTransport>>,
        max_attempts: Option<i32>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            let mut policy = self.policy;
            if let Some(n) = max_attempts {
                policy.max_attempts = attempts(n)?;
            }
            Ok(Arc::new(CsmsClient {
                client: self.client.clone(),
                transport: transport.or_else(|| self.transport.clone()),
                policy,
                debug_hook: self.debug_hook.clone(),
                credentials: self.credentials.clone(),
                signers: Mutex::default(),
            }))
        })
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

/// A `max_attempts` setting: at least 1.
fn attempts(n: i32) -> Result<u32, CsmsException> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n >= 1)
        .ok_or_else(|| invalid("max_attempts", format!("must be at least 1, not {n}")))
}

/// The constructor arguments [`CsmsClient::new`] and [`CsmsClient::from_env`] share.
struct Settings {
    transport: Option<Arc<dyn HttpTransport>>,
    max_attempts: Option<i32>,
    backoff_base_millis: Option<i64>,
    max_retry_after_millis: Option<i64>,
    debug_hook: Option<Arc<dyn DebugHook>>,
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
            policy.max_attempts = attempts(n)?;
        }
        if let Some(millis) = settings.backoff_base_millis {
            let millis = u64::try_from(millis)
                .map_err(|_| invalid("backoff_base_millis", format!("must not be negative, not {millis}")))?;
            policy.base = std::time::Duration::from_millis(millis);
        }
        if let Some(millis) = settings.max_retry_after_millis {
            let millis = u64::try_from(millis)
                .map_err(|_| invalid("max_retry_after_millis", format!("must not be negative, not {millis}")))?;
            policy.max_retry_after = std::time::Duration::from_millis(millis);
        }
        Ok(Arc::new(CsmsClient {
            client,
            transport: settings.transport,
            policy,
            debug_hook: settings.debug_hook,
            credentials,
            signers: Mutex::default(),
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
        let transport = self.transport()?;
        let op = csms_core::operation(operation)?;
        let (result, generation) = self.attempts(transport.as_ref(), op, input).await;
        let expired = |r: &Result<_, CsmsException>| r.as_ref().is_err_and(|e| credentials_expired(&e.clone().into()));
        let result = match (&self.credentials, generation) {
            (Some(provider), Some(generation)) if expired(&result) => {
                provider.invalidate(generation);
                self.attempts(transport.as_ref(), op, input).await.0
            }
            _ => result,
        };
        Ok(csms_core::parse_response(op, &result?)?)
    }

    /// The attempts of one call, and the generation of the provider's credentials the last
    /// one was signed with.
    async fn attempts(
        &self,
        transport: &dyn HttpTransport,
        op: &'static OperationSpec,
        input: &serde_json::Value,
    ) -> (Result<csms_core::HttpResponse, CsmsException>, Option<u64>) {
        let mut generation = None;
        let result = async {
            let mut call = self.client.start(op, input, self.policy)?;
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
                let started = std::time::Instant::now();
                let outcome = transport.send(from_core_request(&request)).await;
                drop(request);
                // A response with a status out of range ends the call (the host's bug, not the server's).
                let outcome = match outcome {
                    Ok(r) => Ok(to_core_response(&r)?),
                    Err(e) => Err(Error::from(e)),
                };
                if let Some(hook) = &self.debug_hook {
                    report(hook.as_ref(), call.record(&signer, &outcome, started.elapsed()));
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
    let algorithm: Algorithm = match algorithm {
        Some(name) => name.parse()?,
        None => Algorithm::HmacSha256,
    };
    let scope = match (region, service) {
        (None, None) => None,
        (r, s) => Some(DerivedScope { region: r.unwrap_or_default(), service: s.unwrap_or_default() }),
    };
    guard(|| {
        let signer = Signer::new(access_key(ak, sk, security_token), algorithm, scope)?;
        let mut core = to_core_request(&request);
        signer.sign(&mut core, sdk_date(at)?)?;
        Ok(from_core_request(&core))
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
            let millis = wait.map(|s| i64::from(s) * 1000);
            assert!(matches!(&binding, CsmsException::Api { retry_after_millis, .. } if *retry_after_millis == millis));
            assert_eq!(Error::from(binding), core);
        }
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
