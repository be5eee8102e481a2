//! An async transport on `reqwest` (feature `reqwest`): sends any operation and returns
//! its typed result, applying the core's [`RetryPolicy`] and correcting for clock skew.
//! It is the only part of the crate that reads the clock.

use crate::attempts::{AttemptRecord, Next, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::operations::{operation, Operation, OperationSpec};
use crate::response::parse_response;
use crate::retry::RetryPolicy;
use crate::time::SdkDate;
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// State of the jitter's random numbers.
    jitter: Arc<AtomicU64>,
    hook: Option<DebugHook>,
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
    /// A transport with the default timeouts (connect 10 s, whole request 60 s) and retries.
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
            jitter: Arc::new(AtomicU64::new(seed)),
            hook: None,
        })
    }

    /// The same transport with another retry policy ([`RetryPolicy::never`] turns retries off).
    pub fn with_retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
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

    /// The retry loop around the core's [`crate::Attempts`]: sign, send, wait, again.
    async fn send_with_retries(&self, op: &'static OperationSpec, input: &Value) -> Result<HttpResponse> {
        let mut call = self.client.start(op, input, self.policy)?;
        loop {
            let request = call.request(&self.client, now())?;
            let started = Instant::now();
            let outcome = self.send(request).await;
            if let Some(DebugHook(hook)) = &self.hook {
                let record = call.record(&self.client, &outcome, started.elapsed());
                // The hook's panic is its own: the call goes on.
                let _ = std::panic::catch_unwind(AssertUnwindSafe(|| hook(&record)));
            }
            match call.receive(&self.client, outcome, now(), self.random()) {
                Next::Wait(after) => tokio::time::sleep(after).await,
                Next::Done(result) => return result,
            }
        }
    }

    /// Sends a request as it is (no signing, no retry) and returns the response, whatever
    /// its status.
    pub async fn send(&self, mut request: HttpRequest) -> Result<HttpResponse> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes())
            .map_err(|_| Error::validation("method", format!("`{}` is not an HTTP method", request.method)))?;
        let mut builder = self.http.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let response = builder.body(std::mem::take(&mut request.body)).send().await.map_err(transport_error)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        // `into`, not `to_vec`: the buffer becomes the response's own (zeroized when the
        // response is dropped) instead of a copy beside an original left unwiped.
        let body: Vec<u8> = response.bytes().await.map_err(transport_error)?.into();
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
