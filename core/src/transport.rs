//! An async transport on `reqwest` (feature `reqwest`): sends any operation and returns
//! its typed result, applying the core's [`RetryPolicy`] and correcting for clock skew.
//! It is the only part of the crate that reads the clock.

use crate::attempts::{AttemptRecord, Next, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
use crate::client::Client;
use crate::config::DEFAULT_LIMIT;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::operations::{operation, Operation, OperationSpec};
use crate::provider::{credentials_expired, project_id, resolve_endpoint};
use crate::providers::{ChainCredentials, CredentialProvider, Refreshing};
use crate::response::parse_response;
use crate::retry::RetryPolicy;
use crate::time::SdkDate;
use serde_json::Value;
use std::num::NonZeroU64;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use zeroize::{Zeroize, Zeroizing};

/// A [`Client`] that sends its requests with `reqwest`.
///
/// Every attempt is signed anew; failures are retried as [`RetryPolicy`] decides; when the
/// server refuses a signature for its time, the offset from its `Date` header is kept and
/// used for this and every later request.
///
/// ```no_run
/// # async fn run() -> csms_core::Result<()> {
/// use csms_core::{AccessKey, Client, Config, HttpClient, ShowSecretVersionRequest};
/// let config = Config::for_region("cn-north-4", "project-id", AccessKey::new("AK", "SK"))?;
/// let http = HttpClient::new(Client::new(config)?)?;
/// let latest = http
///     .execute(&ShowSecretVersionRequest { secret_name: "db".into(), version_id: "latest".into() })
///     .await?;
/// println!("{:?}", latest.version);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: Client,
    http: reqwest::Client,
    policy: RetryPolicy,
    /// The longest response body read.
    max_response_bytes: NonZeroU64,
    /// State of the jitter's random numbers.
    jitter: Arc<AtomicU64>,
    /// The provider whose credentials sign each attempt, if any (else the client's own).
    credentials: Option<Arc<Refreshing>>,
    hook: Option<DebugHook>,
    /// How long a whole call may take, retries included ([`HttpClient::with_deadline`]).
    deadline: Option<Duration>,
    /// The whole-request timeout of each attempt.
    request_timeout: Duration,
}

/// The function [`HttpClient::with_debug_hook`] calls after each attempt.
#[derive(Clone)]
struct DebugHook(Arc<dyn Fn(&AttemptRecord<'_>) + Send + Sync>);

impl std::fmt::Debug for DebugHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DebugHook")
    }
}

impl HttpClient {
    /// A transport with the default timeouts (connect 10 s, whole request 60 s), retries and
    /// response limit (16 MiB).
    pub fn new(client: Client) -> Result<Self> {
        Self::with_timeouts(client, CONNECT_TIMEOUT, REQUEST_TIMEOUT)
    }

    /// A transport with the given timeouts.
    pub fn with_timeouts(client: Client, connect: Duration, request: Duration) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect)
            .timeout(request)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::transport(e.to_string(), false))?;
        let seed = SystemTime::now().duration_since(UNIX_EPOCH).map_or(1, |d| d.as_nanos() as u64) | 1;
        Ok(HttpClient {
            client,
            http,
            policy: RetryPolicy::default(),
            max_response_bytes: DEFAULT_LIMIT,
            jitter: Arc::new(AtomicU64::new(seed)),
            credentials: None,
            hook: None,
            deadline: None,
            request_timeout: request,
        })
    }

    /// The same transport signing each attempt with `provider`'s credentials instead of the
    /// client's own: fetched on first use, refreshed ahead of expiry
    /// ([`refresh_at`](crate::provider::refresh_at)) with one fetch in flight at a time
    /// (concurrent calls wait for it, or keep signing with the current credentials while
    /// they still work), and fetched once more, the call retried, after a 401 that says they
    /// expired ([`credentials_expired`]). A provider's failure ends the call with its
    /// [`Error::Credentials`] before anything is sent.
    pub fn with_provider(mut self, provider: impl CredentialProvider + 'static) -> Self {
        self.credentials = Some(Arc::new(Refreshing::new(Arc::new(provider))));
        self
    }

    /// A transport configured from the process environment as the official SDKs are:
    /// credentials from the default chain ([`ChainCredentials`]: `HUAWEICLOUD_SDK_AK`/`_SK`/
    /// `_SECURITY_TOKEN`, the profile file, the instance metadata service), the endpoint
    /// from `CSMS_ENDPOINT`, `HUAWEICLOUD_SDK_REGION_CSMS_<REGION>` or the region
    /// (`HUAWEICLOUD_SDK_REGION`) ([`resolve_endpoint`]), the project id from
    /// `HUAWEICLOUD_SDK_PROJECT_ID` or the profile's `project_id`. The credentials are
    /// fetched now, so that a missing one fails here.
    pub async fn from_env() -> Result<Self> {
        Self::from_lookup(None, |name: &str| std::env::var(name).ok()).await
    }

    /// [`HttpClient::from_env`] over `lookup` instead of the process environment, for
    /// `region` (else `HUAWEICLOUD_SDK_REGION`).
    pub async fn from_lookup(
        region: Option<&str>,
        lookup: impl Fn(&str) -> Option<String> + Send + Sync + Clone + 'static,
    ) -> Result<Self> {
        let (endpoint, region) = resolve_endpoint(region, &lookup)?;
        let chain = Arc::new(Refreshing::new(Arc::new(ChainCredentials::with_lookup(lookup.clone()))));
        // A placeholder the provider's credentials replace on every attempt.
        let placeholder = crate::credentials::AccessKey::new("provider", "provider");
        let mut config = crate::config::Config::for_endpoint(&endpoint, "", placeholder)?;
        if let Some(region) = &region {
            config = config.with_region(region)?;
        }
        let first = chain.first(&Client::new(config.clone())?).await?;
        config.project_id = project_id(&lookup, first.as_deref())?;
        let mut http = Self::new(Client::new(config)?)?;
        http.credentials = Some(chain);
        Ok(http)
    }

    /// The same transport with every call bounded to `deadline` in all, retries and waits
    /// included ([`crate::Attempts::with_deadline`]): each attempt's timeout is cut to what
    /// is left, and a call past it ends in a timed-out [`Error::Transport`], not retried. A
    /// clone is cheap: `http.clone().with_deadline(..)` bounds the calls made through it only.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// The same transport with another retry policy ([`RetryPolicy::never`] turns retries off).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The same transport reading at most `limit` bytes of a response body
    /// ([`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES), 16 MiB, by default). A larger
    /// `Content-Length` is refused before reading, and reading stops as soon as the body
    /// passes the limit: the attempt fails with [`Error::response_too_large`], which is not
    /// retried.
    pub fn with_max_response_bytes(mut self, limit: NonZeroU64) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// The same transport calling `hook` after every attempt, with its [`AttemptRecord`]
    /// (method, URL, status or transport failure, request id, duration, and on demand the
    /// canonical request, tokens as `***`), to log with any logger. A panic in the hook is
    /// caught and ignored: the call goes on.
    ///
    /// ```no_run
    /// # fn run(http: csms_core::HttpClient) {
    /// let http = http.with_debug_hook(|a| eprintln!("{} {} {:?} {:?} {:?}", a.method, a.url, a.status, a.duration, a.canonical_request()));
    /// # }
    /// ```
    pub fn with_debug_hook(mut self, hook: impl Fn(&AttemptRecord<'_>) + Send + Sync + 'static) -> Self {
        self.hook = Some(DebugHook(Arc::new(hook)));
        self
    }

    /// The sans-IO client inside.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a typed input and returns its typed result.
    pub async fn execute<O: Operation>(&self, input: &O) -> Result<O::Output> {
        let mut value = serde_json::to_value(input).map_err(|e| Error::validation("input", e.to_string()))?;
        let response = self.send_with_retries(O::SPEC, &value).await;
        crate::secret::zeroize_json(&mut value);
        self.client.parse::<O>(&response?)
    }

    /// Sends the operation called `operation` with a JSON input; returns the JSON result.
    pub async fn call(&self, operation_name: &str, input: &Value) -> Result<Value> {
        let op = operation(operation_name)?;
        parse_response(op, &self.send_with_retries(op, input).await?)
    }

    /// The call, and once more with fresh credentials when the provider's were refused as
    /// expired.
    async fn send_with_retries(&self, op: &'static OperationSpec, input: &Value) -> Result<HttpResponse> {
        let (result, generation) = self.attempts(op, input).await;
        match (&self.credentials, generation) {
            (Some(provider), Some(generation)) if result.as_ref().is_err_and(credentials_expired) => {
                provider.invalidate(generation);
                self.attempts(op, input).await.0
            }
            _ => result,
        }
    }

    /// The retry loop around the core's [`crate::Attempts`]: sign, send, wait, again. Also
    /// returns the generation of the provider's credentials the last attempt was signed with.
    async fn attempts(&self, op: &'static OperationSpec, input: &Value) -> (Result<HttpResponse>, Option<u64>) {
        let mut call = match self.client.start(op, input, self.policy) {
            Ok(call) => call,
            Err(e) => return (Err(e), None),
        };
        if let Some(deadline) = self.deadline {
            call = call.with_deadline(deadline);
        }
        let call_started = Instant::now();
        let mut generation = None;
        loop {
            let signer = match &self.credentials {
                Some(provider) => match provider.signer(&self.client).await {
                    Ok((g, client)) => {
                        generation = Some(g);
                        client
                    }
                    Err(e) => return (Err(e), generation),
                },
                None => self.client.clone(),
            };
            let request = match call.request(&signer, now()) {
                Ok(request) => request,
                Err(e) => return (Err(e), generation),
            };
            call.elapsed(call_started.elapsed());
            let timeout = match call.timeout(Some(self.request_timeout)) {
                Ok(timeout) => timeout,
                Err(e) => return (Err(e), generation),
            };
            let started = Instant::now();
            let outcome = self.send_within(request, timeout).await;
            call.elapsed(call_started.elapsed());
            if let Some(DebugHook(hook)) = &self.hook {
                let record = call.record(&signer, &outcome, started.elapsed());
                // The hook's panic is its own: the call goes on.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| hook(&record)));
            }
            match call.receive(&signer, outcome, now(), self.random()) {
                Next::Wait(after) => tokio::time::sleep(after).await,
                Next::Done(result) => return (result, generation),
            }
        }
    }

    /// Sends a request as it is (no signing, no retry) and returns the response, whatever
    /// its status.
    pub async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        self.send_within(request, None).await
    }

    /// [`HttpClient::send`] with `timeout` instead of the client's whole-request timeout.
    async fn send_within(&self, mut request: HttpRequest, timeout: Option<Duration>) -> Result<HttpResponse> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Error::validation("method", format!("`{}` is not an HTTP method", request.method)))?;
        let mut builder = self.http.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        if let Some(timeout) = timeout {
            builder = builder.timeout(timeout);
        }
        let response = builder.body(std::mem::take(&mut request.body)).send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = read_body(response, self.max_response_bytes.get()).await?;
        Ok(HttpResponse::new(status, headers, body))
    }

    /// A number in [0, 1) for the jitter (xorshift; quality is not a concern here).
    fn random(&self) -> f64 {
        let mut x = self.jitter.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.jitter.store(x, Ordering::Relaxed);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The body of `response`, read chunk by chunk up to `limit` bytes: a `Content-Length` above
/// it is refused before reading, and reading stops as soon as the body passes it
/// ([`Error::response_too_large`]). Dropping the response unread closes its connection.
///
/// The buffer becomes the response's own (zeroized when the response is dropped); when it
/// grows, the one it leaves is wiped first.
async fn read_body(mut response: reqwest::Response, limit: u64) -> Result<Vec<u8>> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit) {
        return Err(Error::response_too_large(limit));
    }
    let mut body = Zeroizing::new(Vec::with_capacity(announced.unwrap_or(0) as usize));
    while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
        let length = body.len() + chunk.len();
        if length as u64 > limit {
            return Err(Error::response_too_large(limit));
        }
        if length > body.capacity() {
            let mut grown = Vec::with_capacity(length.max(body.capacity() * 2).min(limit as usize));
            grown.extend_from_slice(&body);
            std::mem::replace(&mut *body, grown).zeroize();
        }
        body.extend_from_slice(&chunk);
    }
    Ok(std::mem::take(&mut *body))
}

fn transport_error(e: reqwest::Error) -> Error {
    // reqwest's own text is generic ("error sending request"); the cause is in the chain.
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        reason.push_str(": ");
        reason.push_str(&cause.to_string());
        source = cause.source();
    }
    // A request that could not be built (a bad URL or header value) or connected never
    // reached the server; anything later may have.
    let maybe_sent = !(e.is_builder() || e.is_connect());
    // A request reqwest refused to build fails the same way every time: not retried.
    let not_retried = e.is_builder().then(|| "the HTTP stack refused the request before sending it".to_owned());
    Error::Transport { reason, maybe_sent, timed_out: e.is_timeout(), not_retried }
}

/// The local clock (the client adds the offset it learnt).
fn now() -> SdkDate {
    SdkDate::from(SystemTime::now())
}
