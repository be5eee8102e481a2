//! Credential providers for Kotlin and Swift: the core's refresh rule
//! ([`CredentialState`]) and one fetch at a time ([`Fetch`]) around this process's I/O.
//!
//! Everything runs here, in Rust, as the call loop of [`crate::CsmsClient::call`] does: the
//! environment is read with `std::env::var` (or a map the application gives), the profile
//! file with `std::fs` (its text wiped by the core once parsed), so that the secret key never
//! leaves the native side; the host does only what Rust cannot do here: the metadata
//! requests (a foreign [`HttpTransport`]: `java.net.http` in Kotlin) and the application's
//! own function (a foreign [`CredentialFunction`]). Callers that wait for another caller's
//! fetch await a `tokio::sync::watch` (no runtime needed, no spinning).

use crate::{from_core_request, lock, to_core_response, CsmsException, HttpTransport};
use csms_core::provider::{
    metadata, provider_error, Acquire, CredentialState, Fetch, Lease, Memory, Need, Provided, Source, Ticket,
};
use csms_core::{CredentialOptions, Error, SdkDate, SecretString};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What an application's [`CredentialFunction`] returns: an access key (`ak` and `sk`, with
/// `security_token` when it is temporary) or an IAM token (`auth_token`), when they expire
/// if they do, and the project they belong to if the function knows it.
///
/// Kotlin's `toString()` and Swift's `description` print `sk` and the tokens as `***`.
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct ProvidedCredentials {
    /// The access key id.
    #[uniffi(default = None)]
    pub ak: Option<String>,
    /// The secret access key.
    #[uniffi(default = None)]
    pub sk: Option<String>,
    /// The security token of a temporary access key.
    #[uniffi(default = None)]
    pub security_token: Option<String>,
    /// An IAM token (instead of an access key), sent as `X-Auth-Token`.
    #[uniffi(default = None)]
    pub auth_token: Option<String>,
    /// When they stop working (Kotlin `java.time.Instant`, Swift `Date`); null: never.
    #[uniffi(default = None)]
    pub expires_at: Option<SystemTime>,
    /// The project id they belong to, if known (used by `CsmsClient.fromEnv` when
    /// `HUAWEICLOUD_SDK_PROJECT_ID` is not set).
    #[uniffi(default = None)]
    pub project_id: Option<String>,
}

impl std::fmt::Debug for ProvidedCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvidedCredentials")
            .field("ak", &self.ak)
            .field("expires_at", &self.expires_at)
            .field("project_id", &self.project_id)
            .finish_non_exhaustive()
    }
}

impl ProvidedCredentials {
    /// The core's [`Provided`], or why these make no credentials (a member missing, or both
    /// a key and a token), naming the member (`credentials.sk`).
    fn into_provided(self) -> Result<Provided, Error> {
        let secret = |s: Option<String>| s.map(SecretString::from);
        let options = CredentialOptions {
            ak: self.ak,
            sk: secret(self.sk),
            security_token: secret(self.security_token),
            auth_token: secret(self.auth_token),
        };
        let mut provided = Provided::new(options.into_credentials()?);
        provided.expires_at = self.expires_at.map(SdkDate::from);
        provided.project_id = self.project_id;
        Ok(provided)
    }
}

/// The application's own source of credentials (keys from its vault, say): Kotlin
/// `FunctionCredentials(name) { ... }`, Swift `FunctionCredentials(name:) { ... }` or a type
/// conforming to this protocol given to `CredentialProvider.function(function:name:)`.
/// Called when credentials are due, one call at a time per provider. What it throws, or
/// credentials that make no sense, end the call with `CsmsException.Credentials` naming the
/// provider; nothing is sent.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait CredentialFunction: Send + Sync {
    /// The current credentials.
    async fn credentials(&self) -> Result<ProvidedCredentials, CsmsException>;
}

/// Where a provider's credentials come from, with what its source needs from the host.
enum Host {
    /// A built-in source; the metadata transport when the source may ask the metadata service.
    Builtin(Option<Arc<dyn HttpTransport>>),
    /// The application's function.
    Function(Arc<dyn CredentialFunction>),
}

/// A source of credentials with its refresh state: Kotlin `EnvCredentials()`,
/// `ProfileCredentials()`, `MetadataCredentials()`, `FunctionCredentials { ... }`,
/// `defaultCredentials()`; given to `CsmsClient(..., credentials = provider)`.
///
/// Credentials are fetched when first needed, again ahead of their expiry (40 minutes
/// before, or at half their lifetime when they live less than 80 minutes), and once more
/// when the service says they expired; one fetch at a time: concurrent calls wait for it,
/// or keep signing with the current credentials while they still work. A provider shared by
/// several clients fetches for all of them.
#[derive(uniffi::Object)]
pub struct CredentialProvider {
    source: Source,
    host: Host,
    /// The environment to read instead of the process's.
    env: Option<HashMap<String, String>>,
    state: Mutex<CredentialState>,
    /// What the last fetch learnt (the chain's provider that worked, the metadata session token).
    memory: Mutex<Memory>,
    /// Bumped when a fetch ends, for the callers that wait for it.
    done: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for CredentialProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("CredentialProvider").field(&self.source.name()).finish()
    }
}

#[uniffi::export]
impl CredentialProvider {
    /// `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK` (both required: a missing one is
    /// `CsmsException.Validation` naming it), `HUAWEICLOUD_SDK_SECURITY_TOKEN` and
    /// `HUAWEICLOUD_SDK_PROJECT_ID`, read at each fetch from `env`, else the process environment.
    #[uniffi::constructor(default(env = None))]
    pub fn environment(env: Option<HashMap<String, String>>) -> Arc<Self> {
        Self::make(Source::Environment, Host::Builtin(None), env)
    }

    /// The official SDKs' profile file, `[basic]` section, read-only: `path`, else
    /// `HUAWEICLOUD_SDK_CREDENTIALS_FILE`, else `~/.huaweicloud/credentials` (variables from
    /// `env`, else the process environment).
    #[uniffi::constructor(default(path = None, env = None))]
    pub fn profile(path: Option<String>, env: Option<HashMap<String, String>>) -> Arc<Self> {
        Self::make(Source::Profile(path), Host::Builtin(None), env)
    }

    /// Temporary keys from the instance metadata service (session token first), through
    /// `transport` (3-second timeouts, no proxy, no redirects: Kotlin's `MetadataCredentials()`
    /// gives one): at `endpoint`, else `CSMS_METADATA_ENDPOINT`, else `http://169.254.169.254`,
    /// which is refused when the process environment has `CSMS_TEST_NO_METADATA` set.
    #[uniffi::constructor(default(endpoint = None, env = None))]
    pub fn metadata(
        transport: Arc<dyn HttpTransport>,
        endpoint: Option<String>,
        env: Option<HashMap<String, String>>,
    ) -> Arc<Self> {
        Self::make(Source::Metadata(endpoint), Host::Builtin(Some(transport)), env)
    }

    /// The default chain, in the official SDKs' order: the environment, the profile file,
    /// the metadata service (through `transport`, as [`CredentialProvider::metadata`]). The
    /// first that gives credentials is kept; when none does, the error lists why each did not.
    #[uniffi::constructor(default(env = None))]
    pub fn chain(transport: Arc<dyn HttpTransport>, env: Option<HashMap<String, String>>) -> Arc<Self> {
        Self::make(Source::Chain, Host::Builtin(Some(transport)), env)
    }

    /// The application's `function`, called `name` in errors.
    #[uniffi::constructor(default(name = "function"))]
    pub fn function(function: Arc<dyn CredentialFunction>, name: String) -> Arc<Self> {
        Self::make(Source::Host(name), Host::Function(function), None)
    }

    /// The provider's name in errors: `environment`, `profile`, `metadata`, `default chain`,
    /// or the function's.
    pub fn name(&self) -> String {
        self.source.name().to_owned()
    }
}

/// Ends a fetch even when the call that made it is cancelled (else its waiters would wait
/// for ever).
struct InFlight<'a> {
    provider: &'a CredentialProvider,
    ticket: Option<Ticket>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            let cancelled = provider_error(self.provider.source.name(), "the fetch was cancelled");
            self.provider.end(ticket, Err(cancelled)).ok();
        }
    }
}

impl CredentialProvider {
    fn make(source: Source, host: Host, env: Option<HashMap<String, String>>) -> Arc<Self> {
        Arc::new(CredentialProvider {
            source,
            host,
            env,
            state: Mutex::new(CredentialState::new()),
            memory: Mutex::new(Memory::default()),
            done: tokio::sync::watch::Sender::new(0),
        })
    }

    /// A variable of the provider's environment. The test guard `CSMS_TEST_NO_METADATA` is
    /// read from the process environment whatever the map says.
    pub(crate) fn var(&self, name: &str) -> Option<String> {
        let process = || std::env::var(name).ok();
        match &self.env {
            Some(map) if name == metadata::ENV_TEST_GUARD => {
                process().filter(|v| !v.is_empty()).or_else(|| map.get(name).cloned())
            }
            Some(map) => map.get(name).cloned(),
            None => process(),
        }
    }

    /// The credentials to sign with now: the current ones, or fetched first when due (one
    /// fetch at a time; other callers wait for it unless the current ones still work).
    pub(crate) async fn lease(&self) -> Result<Lease, Error> {
        loop {
            // Subscribed under the lock, and only to wait: a fetch that ends after the lock is
            // released is seen as a change.
            let (acquired, receiver) = {
                let mut state = lock(&self.state);
                let acquired = state.acquire(crate::now());
                let receiver = matches!(acquired, Acquire::Wait(_)).then(|| self.done.subscribe());
                (acquired, receiver)
            };
            match acquired {
                Acquire::Use(lease) => return Ok(lease),
                Acquire::Fetch(ticket) => {
                    let mut in_flight = InFlight { provider: self, ticket: Some(ticket) };
                    let result = self.fetch().await;
                    let ticket = in_flight.ticket.take().expect("taken once");
                    return self.end(ticket, result);
                }
                Acquire::Wait(fetch) => {
                    if let Some(mut receiver) = receiver {
                        receiver.changed().await.ok();
                    }
                    lock(&self.state).waited(fetch)?;
                }
            }
        }
    }

    /// The credentials that still work now, if any (no fetch).
    pub(crate) fn current(&self) -> Option<Lease> {
        lock(&self.state).usable(crate::now()).cloned()
    }

    /// The service said the credentials of `generation` expired.
    pub(crate) fn invalidate(&self, generation: u64) {
        lock(&self.state).invalidate(generation);
    }

    fn end(&self, ticket: Ticket, result: Result<Provided, Error>) -> Result<Lease, Error> {
        let outcome = lock(&self.state).finish(ticket, result, crate::now(), self.source.name());
        self.done.send_modify(|n| *n += 1);
        outcome
    }

    /// One fetch from the source: the core's [`Fetch`] says what to do, this does the I/O.
    async fn fetch(&self) -> Result<Provided, Error> {
        let memory = std::mem::take(&mut *lock(&self.memory));
        let mut fetch = Fetch::new(self.source.clone(), memory);
        let lookup = |name: &str| self.var(name);
        let result = loop {
            match fetch.next(&lookup) {
                Need::Http(request) => {
                    let outcome = self.send(request).await;
                    fetch.received(outcome);
                }
                Need::File(path) => fetch.read(csms_core::provider::read_file(&path)),
                Need::Host => {
                    let outcome = self.call_function().await;
                    fetch.called(outcome);
                }
                Need::Done(result) => break result,
            }
        };
        *lock(&self.memory) = fetch.into_memory();
        result
    }

    async fn send(&self, request: csms_core::HttpRequest) -> Result<csms_core::HttpResponse, Error> {
        let Host::Builtin(Some(transport)) = &self.host else {
            return Err(Error::transport("this provider has no metadata transport", false));
        };
        match transport.send(from_core_request(&request)).await {
            Ok(response) => to_core_response(&response).map_err(Error::from),
            Err(e) => Err(Error::from(e)),
        }
    }

    /// The application's function: what it throws becomes a credentials error naming it,
    /// as do credentials that make no sense.
    async fn call_function(&self) -> Result<Provided, Error> {
        let name = self.source.name();
        let Host::Function(function) = &self.host else { return Err(provider_error(name, "no function")) };
        match function.credentials().await {
            Ok(credentials) => credentials.into_provided().map_err(|e| provider_error(name, e.to_string())),
            Err(CsmsException::Credentials { provider, reason }) => Err(Error::Credentials { provider, reason }),
            // What the host threw (a foreign exception arrives as a `Transport` whose reason is its text).
            Err(CsmsException::Transport { reason, .. }) => Err(provider_error(name, format!("it threw {reason}"))),
            Err(other) => Err(provider_error(name, format!("it threw {other}"))),
        }
    }
}
