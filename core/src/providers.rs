//! Credential providers with I/O (feature `reqwest`): the environment, the profile file,
//! the instance metadata service, a host function, and the default chain of the first
//! three; and the refresh around them that [`HttpClient`](crate::HttpClient) runs (single
//! flight on the sans-IO [`CredentialState`]).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::HttpRequest;
use crate::provider::metadata::{self, PROVIDER as METADATA};
use crate::provider::{
    chain_error, env_credentials, parse_profile, profile_path, provider_error, CredentialState, Lease, Phase, Provided,
};
use crate::secret::SecretString;
use crate::time::SdkDate;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// What [`CredentialProvider::fetch`] returns.
pub type ProviderFuture<'a> = Pin<Box<dyn Future<Output = Result<Provided>> + Send + 'a>>;

/// A source of credentials. [`HttpClient::with_provider`](crate::HttpClient::with_provider)
/// asks it when the credentials it gave are due for refresh ([`crate::provider::refresh_at`]),
/// one fetch at a time, and once more after the service says they expired.
///
/// An error should be an [`Error::Credentials`] naming the provider (every provider here
/// returns one); whatever it returns, no request is sent without credentials.
pub trait CredentialProvider: Send + Sync + fmt::Debug {
    /// The provider's name in errors (`environment`, `profile`, `metadata`, ...).
    fn name(&self) -> &str;
    /// Fetches credentials.
    fn fetch(&self) -> ProviderFuture<'_>;
}

/// A lookup of environment variables shared by providers.
type SharedLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

fn process_env() -> SharedLookup {
    Arc::new(|name: &str| std::env::var(name).ok())
}

/// The test guard of the process environment (`CSMS_TEST_NO_METADATA`), read by the
/// metadata provider whatever lookup it was given.
fn process_guarded() -> bool {
    std::env::var(metadata::ENV_TEST_GUARD).is_ok_and(|v| !v.is_empty())
}

/// `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_SECURITY_TOKEN` and
/// `HUAWEICLOUD_SDK_PROJECT_ID`, read at each fetch ([`env_credentials`]).
#[derive(Clone)]
pub struct EnvCredentials {
    lookup: SharedLookup,
}

impl EnvCredentials {
    /// Reads the process environment.
    pub fn new() -> Self {
        EnvCredentials { lookup: process_env() }
    }

    /// Reads `lookup` instead (tests, or an application's own settings).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvCredentials { lookup: Arc::new(lookup) }
    }
}

impl Default for EnvCredentials {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for EnvCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EnvCredentials")
    }
}

impl CredentialProvider for EnvCredentials {
    fn name(&self) -> &str {
        "environment"
    }

    fn fetch(&self) -> ProviderFuture<'_> {
        let result = env_credentials(&|n: &str| (self.lookup)(n));
        Box::pin(async move { result })
    }
}

/// The official SDKs' profile file, `[basic]` section ([`parse_profile`]): the path
/// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`. Read only.
#[derive(Clone)]
pub struct ProfileCredentials {
    lookup: SharedLookup,
    path: Option<String>,
}

impl ProfileCredentials {
    /// The file the process environment names ([`profile_path`]), resolved at each fetch.
    pub fn new() -> Self {
        ProfileCredentials { lookup: process_env(), path: None }
    }

    /// The file at `path`.
    pub fn from_path(path: impl Into<String>) -> Self {
        ProfileCredentials { lookup: process_env(), path: Some(path.into()) }
    }

    /// The file `lookup` names.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        ProfileCredentials { lookup: Arc::new(lookup), path: None }
    }

    fn read(&self) -> Result<Provided> {
        let Some(path) = self.path.clone().or_else(|| profile_path(&|n: &str| (self.lookup)(n))) else {
            return Err(provider_error("profile", "no HUAWEICLOUD_SDK_CREDENTIALS_FILE and no home directory"));
        };
        let mut text = std::fs::read_to_string(&path).map_err(|e| {
            let why =
                if e.kind() == std::io::ErrorKind::NotFound { "does not exist".to_owned() } else { e.to_string() };
            provider_error("profile", format!("{path}: {why}"))
        })?;
        let provided = parse_profile(&text, &path);
        zeroize::Zeroize::zeroize(&mut text);
        provided
    }
}

impl Default for ProfileCredentials {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ProfileCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileCredentials").field("path", &self.path).finish()
    }
}

impl CredentialProvider for ProfileCredentials {
    fn name(&self) -> &str {
        "profile"
    }

    fn fetch(&self) -> ProviderFuture<'_> {
        let result = self.read();
        Box::pin(async move { result })
    }
}

/// Temporary keys from the instance metadata service ([`crate::provider::metadata`]):
/// a session token (kept and renewed when refused), then the security key; 3-second
/// timeouts. The endpoint is `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254`,
/// which is refused when the process environment has `CSMS_TEST_NO_METADATA` set.
#[derive(Debug)]
pub struct MetadataCredentials {
    endpoint: Result<String>,
    http: Result<reqwest::Client>,
    session: tokio::sync::Mutex<Option<SecretString>>,
}

impl MetadataCredentials {
    /// The endpoint the process environment names, else the default address.
    pub fn new() -> Self {
        Self::with_lookup(|name: &str| std::env::var(name).ok())
    }

    /// The endpoint `lookup` names (`CSMS_METADATA_ENDPOINT`), else the default address.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        Self::make(metadata::endpoint(&lookup))
    }

    /// The metadata service at `endpoint` (`http://127.0.0.1:PORT` in tests).
    pub fn with_endpoint(endpoint: impl Into<String>) -> Self {
        Self::make(Ok(endpoint.into().trim_end_matches('/').to_owned()))
    }

    fn make(endpoint: Result<String>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(metadata::TIMEOUT)
            .timeout(metadata::TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .build()
            .map_err(|e| provider_error(METADATA, e.to_string()));
        MetadataCredentials { endpoint, http, session: tokio::sync::Mutex::new(None) }
    }

    async fn send(&self, http: &reqwest::Client, request: HttpRequest) -> Result<crate::http::HttpResponse> {
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut builder = http.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let fail = |e: reqwest::Error| {
            let what = if e.is_timeout() { "timed out" } else { "failed" };
            provider_error(METADATA, format!("the request to {} {what}: {e}", request.url))
        };
        let response = builder.send().await.map_err(fail)?;
        let status = response.status().as_u16();
        let body: Vec<u8> = response.bytes().await.map_err(fail)?.into();
        Ok(crate::http::HttpResponse::new(status, vec![], body))
    }

    async fn fetch_now(&self) -> Result<Provided> {
        let endpoint = self.endpoint.as_ref().map_err(Clone::clone)?;
        metadata::check_not_guarded(endpoint, process_guarded())?;
        let http = self.http.as_ref().map_err(Clone::clone)?;
        let mut session = self.session.lock().await;
        if session.is_none() {
            *session = metadata::parse_token(&self.send(http, metadata::token_request(endpoint)).await?)?;
        }
        let mut response = self.send(http, metadata::security_key_request(endpoint, session.as_ref())).await?;
        if metadata::token_rejected(&response) {
            *session = metadata::parse_token(&self.send(http, metadata::token_request(endpoint)).await?)?;
            response = self.send(http, metadata::security_key_request(endpoint, session.as_ref())).await?;
        }
        metadata::parse_security_key(&response)
    }
}

impl Default for MetadataCredentials {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialProvider for MetadataCredentials {
    fn name(&self) -> &str {
        METADATA
    }

    fn fetch(&self) -> ProviderFuture<'_> {
        Box::pin(self.fetch_now())
    }
}

/// Type of the function of an [`FnCredentials`].
type HostFunction = dyn Fn() -> Result<Provided> + Send + Sync;

/// Credentials from the application's own function (keys from its vault, say), with an
/// optional expiry. An error it returns, or a panic, becomes an [`Error::Credentials`]
/// naming it.
///
/// ```
/// use csms_core::provider::Provided;
/// use csms_core::{AccessKey, FnCredentials};
/// let vault = FnCredentials::new("vault", || Ok(Provided::new(AccessKey::new("AK", "SK"))));
/// ```
#[derive(Clone)]
pub struct FnCredentials {
    name: String,
    function: Arc<HostFunction>,
}

impl FnCredentials {
    /// The function `function`, called `name` in errors.
    pub fn new(name: impl Into<String>, function: impl Fn() -> Result<Provided> + Send + Sync + 'static) -> Self {
        FnCredentials { name: name.into(), function: Arc::new(function) }
    }
}

impl fmt::Debug for FnCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnCredentials").field("name", &self.name).finish()
    }
}

impl CredentialProvider for FnCredentials {
    fn name(&self) -> &str {
        &self.name
    }

    fn fetch(&self) -> ProviderFuture<'_> {
        let called = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| (self.function)()));
        let result = match called {
            Ok(Ok(provided)) => Ok(provided),
            Ok(Err(e @ Error::Credentials { .. })) => Err(e),
            Ok(Err(e)) => Err(provider_error(&self.name, e.to_string())),
            Err(_) => Err(provider_error(&self.name, "the function panicked")),
        };
        Box::pin(async move { result })
    }
}

/// The default chain, in the official SDKs' order: the environment, the profile file, the
/// instance metadata service. The first that gives credentials is kept for every later
/// fetch; when none does, the error lists why each did not ([`chain_error`]).
#[derive(Debug)]
pub struct ChainCredentials {
    providers: Vec<Arc<dyn CredentialProvider>>,
    chosen: Mutex<Option<usize>>,
}

impl ChainCredentials {
    /// The default chain over the process environment.
    pub fn new() -> Self {
        Self::with_lookup(|name: &str| std::env::var(name).ok())
    }

    /// The default chain over `lookup` (the metadata provider still refuses the default
    /// address when the process environment has `CSMS_TEST_NO_METADATA`).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        let lookup: SharedLookup = Arc::new(lookup);
        let (env, profile) = (lookup.clone(), lookup.clone());
        Self::of(vec![
            Arc::new(EnvCredentials::with_lookup(move |n: &str| env(n))),
            Arc::new(ProfileCredentials::with_lookup(move |n: &str| profile(n))),
            Arc::new(MetadataCredentials::with_lookup(|n: &str| lookup(n))),
        ])
    }

    /// A chain of these providers, in this order.
    pub fn of(providers: Vec<Arc<dyn CredentialProvider>>) -> Self {
        ChainCredentials { providers, chosen: Mutex::new(None) }
    }

    async fn fetch_now(&self) -> Result<Provided> {
        let chosen = *lock(&self.chosen);
        if let Some(index) = chosen {
            return self.providers[index].fetch().await;
        }
        let mut failures = Vec::new();
        for (index, provider) in self.providers.iter().enumerate() {
            match provider.fetch().await {
                Ok(provided) => {
                    *lock(&self.chosen) = Some(index);
                    return Ok(provided);
                }
                Err(e) => failures.push((provider.name(), e)),
            }
        }
        Err(chain_error(&failures))
    }
}

impl Default for ChainCredentials {
    fn default() -> Self {
        Self::new()
    }
}

impl CredentialProvider for ChainCredentials {
    fn name(&self) -> &str {
        "default chain"
    }

    fn fetch(&self) -> ProviderFuture<'_> {
        Box::pin(self.fetch_now())
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A provider with its refresh state: the credentials in use, the client that signs with
/// them, and a signal for callers that wait for a fetch.
#[derive(Debug)]
pub(crate) struct Refreshing {
    provider: Arc<dyn CredentialProvider>,
    state: Mutex<(CredentialState, Option<(u64, Client)>)>,
    /// Bumped when a fetch ends.
    done: tokio::sync::watch::Sender<u64>,
}

/// Ends a fetch even when the caller that made it is cancelled (else waiters would wait
/// for ever).
struct InFlight<'a> {
    refreshing: &'a Refreshing,
    ticket: Option<crate::provider::Ticket>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            let cancelled = provider_error(self.refreshing.provider.name(), "the fetch was cancelled");
            self.refreshing.end(ticket, Err(cancelled)).ok();
        }
    }
}

impl Refreshing {
    pub(crate) fn new(provider: Arc<dyn CredentialProvider>) -> Self {
        Refreshing {
            provider,
            state: Mutex::new((CredentialState::new(), None)),
            done: tokio::sync::watch::Sender::new(0),
        }
    }

    fn end(&self, ticket: crate::provider::Ticket, result: Result<Provided>) -> Result<Lease> {
        let outcome = lock(&self.state).0.finish(ticket, result, now(), self.provider.name());
        self.done.send_modify(|n| *n += 1);
        outcome
    }

    /// The client that signs with the current credentials, and their generation: fetched
    /// first when due (one fetch at a time; others wait for it unless the current ones
    /// still work).
    pub(crate) async fn signer(&self, base: &Client) -> Result<(u64, Client)> {
        loop {
            let (ticket, mut waiting) = {
                let mut guard = lock(&self.state);
                let (state, cached) = &mut *guard;
                let at = now();
                let phase = state.phase(at);
                if phase != Phase::Stale {
                    if let Some(lease) = state.usable(at) {
                        return signer_for(lease, cached, base);
                    }
                }
                match state.begin_refresh(at) {
                    Some(ticket) => (Some(ticket), None),
                    None => (None, Some((self.done.subscribe(), state.in_flight()))),
                }
            };
            if let Some(ticket) = ticket {
                let mut in_flight = InFlight { refreshing: self, ticket: Some(ticket) };
                let result = self.provider.fetch().await;
                let ticket = in_flight.ticket.take().expect("taken once");
                let lease = self.end(ticket, result)?;
                return signer_for(&lease, &mut lock(&self.state).1, base);
            }
            if let Some((receiver, fetch)) = &mut waiting {
                receiver.changed().await.ok();
                if let Some(error) = fetch.and_then(|n| lock(&self.state).0.failure_of(n).cloned()) {
                    return Err(error);
                }
            }
        }
    }

    /// Fetches the first credentials (so that a failing provider fails at once) and
    /// returns the project id they name.
    pub(crate) async fn first(&self, base: &Client) -> Result<Option<String>> {
        self.signer(base).await?;
        Ok(lock(&self.state).0.usable(now()).and_then(|lease| lease.provided.project_id.clone()))
    }

    /// The service said the credentials of `generation` expired.
    pub(crate) fn invalidate(&self, generation: u64) {
        lock(&self.state).0.invalidate(generation);
    }
}

fn signer_for(lease: &Lease, cached: &mut Option<(u64, Client)>, base: &Client) -> Result<(u64, Client)> {
    if let Some((generation, client)) = cached.as_ref().filter(|(g, _)| *g == lease.generation) {
        return Ok((*generation, client.clone()));
    }
    let client = base.with_credentials(lease.provided.credentials.clone())?;
    *cached = Some((lease.generation, client.clone()));
    Ok((lease.generation, client))
}

fn now() -> SdkDate {
    SdkDate::from(std::time::SystemTime::now())
}
