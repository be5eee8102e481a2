//! Credential providers with I/O (feature `reqwest`): the environment, the profile file,
//! the instance metadata service, a host function, and the default chain of the first
//! three; and the refresh around them that [`HttpClient`](crate::HttpClient) runs (single
//! flight on the sans-IO [`CredentialState`]).

use crate::client::Client;
use crate::error::{Error, Result};
use crate::http::{HttpRequest, HttpResponse};
use crate::provider::metadata;
use crate::provider::{
    provider_error, Acquire, CredentialState, Fetch, Lease, Memory, Need, Provided, SignerCache, Source,
};
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

/// A built-in source with what its last fetch learnt, fetched with this process's I/O: the
/// environment through its lookup, files with `std::fs`, the metadata service with a
/// `reqwest` client of 3-second timeouts, no proxy and no redirects.
struct Builtin {
    source: Source,
    lookup: SharedLookup,
    memory: tokio::sync::Mutex<Memory>,
    http: std::sync::OnceLock<std::result::Result<reqwest::Client, String>>,
}

impl Builtin {
    fn new(source: Source, lookup: SharedLookup) -> Self {
        Builtin { source, lookup, memory: Default::default(), http: std::sync::OnceLock::new() }
    }

    /// The lookup, its test guard (`CSMS_TEST_NO_METADATA`) read from the process
    /// environment whatever the lookup says.
    fn var(&self, name: &str) -> Option<String> {
        if name == metadata::ENV_TEST_GUARD {
            return std::env::var(name).ok().filter(|v| !v.is_empty()).or_else(|| (self.lookup)(name));
        }
        (self.lookup)(name)
    }

    async fn fetch(&self) -> Result<Provided> {
        let mut memory = self.memory.lock().await;
        let mut fetch = Fetch::new(self.source.clone(), std::mem::take(&mut *memory));
        let lookup = |name: &str| self.var(name);
        let result = loop {
            match fetch.next(&lookup) {
                Need::Http(request) => fetch.received(self.send(request).await),
                Need::File(path) => fetch.read(crate::provider::read_file(&path)),
                Need::Host => fetch.called(Err(provider_error(self.source.name(), "no function"))),
                Need::Done(result) => break result,
            }
        };
        *memory = fetch.into_memory();
        result
    }

    async fn send(&self, request: HttpRequest) -> Result<HttpResponse> {
        let http = self.http.get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(metadata::TIMEOUT)
                .timeout(metadata::TIMEOUT)
                .redirect(reqwest::redirect::Policy::none())
                .no_proxy()
                .build()
                .map_err(|e| e.to_string())
        });
        let http = http.as_ref().map_err(|e| Error::transport(e.clone(), false))?;
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).unwrap_or(reqwest::Method::GET);
        let mut builder = http.request(method, request.url.as_str());
        for (name, value) in &request.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        let fail = |e: reqwest::Error| Error::transport(e.to_string(), e.is_timeout());
        let response = builder.send().await.map_err(fail)?;
        let status = response.status().as_u16();
        let body: Vec<u8> = response.bytes().await.map_err(fail)?.into();
        Ok(HttpResponse::new(status, vec![], body))
    }
}

impl fmt::Debug for Builtin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Builtin").field(&self.source).finish()
    }
}

/// Declares a built-in provider: a [`Builtin`] under a public name.
macro_rules! builtin_provider {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name(Builtin);

        impl CredentialProvider for $name {
            fn name(&self) -> &str {
                self.0.source.name()
            }

            fn fetch(&self) -> ProviderFuture<'_> {
                Box::pin(self.0.fetch())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }
    };
}

builtin_provider!(
    /// `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_SECURITY_TOKEN` and
    /// `HUAWEICLOUD_SDK_PROJECT_ID`, read at each fetch ([`env_credentials`](crate::provider::env_credentials)).
    EnvCredentials
);

impl EnvCredentials {
    /// Reads the process environment.
    pub fn new() -> Self {
        EnvCredentials(Builtin::new(Source::Environment, process_env()))
    }

    /// Reads `lookup` instead (tests, or an application's own settings).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        EnvCredentials(Builtin::new(Source::Environment, Arc::new(lookup)))
    }
}

builtin_provider!(
    /// The official SDKs' profile file, `[basic]` section ([`parse_profile`](crate::provider::parse_profile)):
    /// the path `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials`. Read only.
    ProfileCredentials
);

impl ProfileCredentials {
    /// The file the process environment names ([`profile_path`](crate::provider::profile_path)), resolved at each fetch.
    pub fn new() -> Self {
        ProfileCredentials(Builtin::new(Source::Profile(None), process_env()))
    }

    /// The file at `path`.
    pub fn from_path(path: impl Into<String>) -> Self {
        ProfileCredentials(Builtin::new(Source::Profile(Some(path.into())), process_env()))
    }

    /// The file `lookup` names.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        ProfileCredentials(Builtin::new(Source::Profile(None), Arc::new(lookup)))
    }
}

builtin_provider!(
    /// Temporary keys from the instance metadata service ([`crate::provider::metadata`]):
    /// a session token (kept and renewed when refused), then the security key; 3-second
    /// timeouts. The endpoint is `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254`,
    /// which is refused when the process environment has `CSMS_TEST_NO_METADATA` set.
    MetadataCredentials
);

impl MetadataCredentials {
    /// The endpoint the process environment names, else the default address.
    pub fn new() -> Self {
        MetadataCredentials(Builtin::new(Source::Metadata(None), process_env()))
    }

    /// The endpoint `lookup` names (`CSMS_METADATA_ENDPOINT`), else the default address.
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        MetadataCredentials(Builtin::new(Source::Metadata(None), Arc::new(lookup)))
    }

    /// The metadata service at `endpoint` (`http://127.0.0.1:PORT` in tests).
    pub fn with_endpoint(endpoint: impl Into<String>) -> Self {
        MetadataCredentials(Builtin::new(Source::Metadata(Some(endpoint.into())), process_env()))
    }
}

builtin_provider!(
    /// The default chain, in the official SDKs' order: the environment, the profile file, the
    /// instance metadata service. The first that gives credentials is kept for every later
    /// fetch; when none does, the error lists why each did not ([`chain_error`](crate::provider::chain_error)).
    ChainCredentials
);

impl ChainCredentials {
    /// The default chain over the process environment.
    pub fn new() -> Self {
        ChainCredentials(Builtin::new(Source::Chain, process_env()))
    }

    /// The default chain over `lookup` (the metadata provider still refuses the default
    /// address when the process environment has `CSMS_TEST_NO_METADATA`).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        ChainCredentials(Builtin::new(Source::Chain, Arc::new(lookup)))
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A provider with its refresh state: the credentials in use, the client that signs with
/// them, and a signal for callers that wait for a fetch.
#[derive(Debug)]
pub(crate) struct Refreshing {
    provider: Arc<dyn CredentialProvider>,
    state: Mutex<(CredentialState, SignerCache)>,
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
            state: Mutex::new((CredentialState::new(), SignerCache::default())),
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
            // Subscribed under the lock, and only to wait: a fetch that ends after the lock is
            // released is seen as a change.
            let (acquired, receiver) = {
                let mut guard = lock(&self.state);
                let acquired = guard.0.acquire(now());
                let receiver = matches!(acquired, Acquire::Wait(_)).then(|| self.done.subscribe());
                (acquired, receiver)
            };
            match acquired {
                Acquire::Use(lease) => return self.sign_with(&lease, base),
                Acquire::Fetch(ticket) => {
                    let mut in_flight = InFlight { refreshing: self, ticket: Some(ticket) };
                    let result = self.provider.fetch().await;
                    let ticket = in_flight.ticket.take().expect("taken once");
                    let lease = self.end(ticket, result)?;
                    return self.sign_with(&lease, base);
                }
                Acquire::Wait(fetch) => {
                    if let Some(mut receiver) = receiver {
                        receiver.changed().await.ok();
                    }
                    lock(&self.state).0.waited(fetch)?;
                }
            }
        }
    }

    fn sign_with(&self, lease: &Lease, base: &Client) -> Result<(u64, Client)> {
        Ok((lease.generation, lock(&self.state).1.signer(base, lease)?))
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

fn now() -> SdkDate {
    SdkDate::from(std::time::SystemTime::now())
}
