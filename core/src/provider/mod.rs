//! Credential providers, sans-IO: what a provider yields ([`Provided`]), when to ask it
//! again ([`refresh_at`], [`CredentialState`]), whether a refusal says the credentials
//! expired ([`credentials_expired`]), and the sources the official SDKs read
//! ([`env_credentials`], [`parse_profile`], the [`metadata`] steps, [`resolve_endpoint`]).
//!
//! Nothing here reads the environment, a file, the network or the clock: the caller passes
//! a lookup function, the text of a file, the answers of the metadata service and the time.
//! The `reqwest` transport (`HttpClient`, feature `reqwest`) and every binding do that I/O
//! around these functions.

mod fetch;
pub mod metadata;
mod sources;

pub use fetch::{read_file, Fetch, Memory, Need, Source};

pub use sources::{
    env_credentials, parse_profile, profile_path, project_id, resolve_endpoint, Lookup, ENV_AK, ENV_CREDENTIALS_FILE,
    ENV_ENDPOINT, ENV_PROJECT_ID, ENV_REGION, ENV_SECURITY_TOKEN, ENV_SK,
};

use crate::client::Client;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::time::SdkDate;
use std::time::Duration;

/// What a provider yields: credentials, with their expiry when they are temporary.
///
/// `Debug` shows no secret (the SK and tokens are [`SecretString`](crate::SecretString)s,
/// zeroized when dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provided {
    /// An access key (with its security token when temporary) or an IAM token.
    pub credentials: Credentials,
    /// When they stop working, if they do.
    pub expires_at: Option<SdkDate>,
    /// The project id the source names with them (`HUAWEICLOUD_SDK_PROJECT_ID`, a
    /// profile's `project_id`), if any.
    pub project_id: Option<String>,
}

impl Provided {
    /// Credentials that do not expire.
    pub fn new(credentials: impl Into<Credentials>) -> Self {
        Provided { credentials: credentials.into(), expires_at: None, project_id: None }
    }

    /// The same credentials, expiring at `at`.
    pub fn expiring(mut self, at: SdkDate) -> Self {
        self.expires_at = Some(at);
        self
    }
}

/// How long before their expiry credentials are refreshed: 40 minutes, as the official
/// SDKs do. Credentials that live less than twice this are refreshed at half their lifetime.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(40 * 60);

/// After a failed refresh while the previous credentials still work, how long they are used
/// before the provider is asked again (at most until they expire): 5 seconds.
pub const FAILED_REFRESH_BACKOFF: Duration = Duration::from_secs(5);

/// When credentials obtained at `obtained_at` and expiring at `expires_at` are to be
/// refreshed: [`REFRESH_MARGIN`] before they expire, or, for a lifetime shorter than twice
/// that, half their lifetime after they were obtained. `None`: never (they do not expire).
///
/// ```
/// use csms_core::provider::refresh_at;
/// use csms_core::SdkDate;
/// let t0 = SdkDate::from_unix(1_000_000);
/// // One hour (3600 s, less than 2 × 40 min): at half the lifetime.
/// assert_eq!(refresh_at(t0, Some(t0.offset(3600))), Some(t0.offset(1800)));
/// // Six hours: 40 minutes before expiry.
/// assert_eq!(refresh_at(t0, Some(t0.offset(6 * 3600))), Some(t0.offset(6 * 3600 - 2400)));
/// assert_eq!(refresh_at(t0, None), None);
/// ```
pub fn refresh_at(obtained_at: SdkDate, expires_at: Option<SdkDate>) -> Option<SdkDate> {
    let expires_at = expires_at?;
    let margin = REFRESH_MARGIN.as_secs() as i64;
    let lifetime = expires_at.unix_seconds().saturating_sub(obtained_at.unix_seconds());
    Some(if lifetime < 2 * margin { obtained_at.offset(lifetime / 2) } else { expires_at.offset(-margin) })
}

/// Whether an error is the service's refusal of credentials that expired (a temporary
/// key's security token, or an IAM token), after which the credentials are refreshed once
/// and the call retried: a 401 with the gateway's `APIGW.0307` (`APIG.0307`) "The token
/// must be updated", or an `APIGW.0301` (`APIG.0301`) whose message says the token
/// expired ("token expires"). A signature refused for its time ("signature expired") is a
/// clock matter, not this.
///
/// ```
/// use csms_core::{provider::credentials_expired, Error};
/// let api = |code: &str, msg: &str| Error::Api { status: 401, error_code: code.into(), error_msg: msg.into(),
///     request_id: String::new(), not_retried: None, retry_after_secs: None, signature: None };
/// assert!(credentials_expired(&api("APIGW.0307", "The token must be updated.")));
/// assert!(credentials_expired(&api("APIG.0301", "Incorrect IAM authentication information: token expires, expires_at: x")));
/// assert!(!credentials_expired(&api("APIGW.0301", "Incorrect IAM authentication information: signature expired")));
/// ```
pub fn credentials_expired(error: &Error) -> bool {
    let Error::Api { status: 401, error_code, error_msg, .. } = error else { return false };
    match error_code.as_str() {
        "APIGW.0307" | "APIG.0307" => true,
        "APIGW.0301" | "APIG.0301" => {
            let msg = error_msg.to_ascii_lowercase();
            ["token expire", "token has expired", "token is expired"].iter().any(|words| holds(msg.as_bytes(), words))
        }
        _ => false,
    }
}

/// Whether `text` holds `words`: a plain byte search, instead of `str::contains`, whose
/// two-way searcher and its panic path (which quotes the text) cost ~6 KB of the npm
/// package's WebAssembly module.
pub(crate) fn holds(text: &[u8], words: &str) -> bool {
    text.windows(words.len()).any(|window| window == words.as_bytes())
}

/// The error of a provider that failed or gave something unusable: [`Error::Credentials`]
/// naming it. `reason` must hold no secret.
pub fn provider_error(provider: &str, reason: impl Into<String>) -> Error {
    Error::Credentials { provider: provider.to_owned(), reason: reason.into() }
}

/// The error of a chain of providers none of which applied: [`Error::Credentials`] with
/// the provider `default chain`, its reason listing each provider's in order.
///
/// ```
/// use csms_core::{provider::chain_error, Error};
/// let err = chain_error(&[
///     ("environment", Error::validation("HUAWEICLOUD_SDK_AK", "is not set")),
///     ("metadata", Error::transport("connection refused", false)),
/// ]);
/// assert!(err.to_string().contains("environment: invalid `HUAWEICLOUD_SDK_AK`: is not set; metadata: transport failure"));
/// ```
pub fn chain_error(failures: &[(&str, Error)]) -> Error {
    let reasons: Vec<String> = failures.iter().map(|(name, e)| format!("{name}: {e}")).collect();
    provider_error("default chain", format!("no provider gave credentials ({})", reasons.join("; ")))
}

/// Credentials in use: what a provider gave, when, and the number of the fetch that gave
/// them (its generation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// What the provider gave.
    pub provided: Provided,
    /// When they were obtained (the local clock).
    pub obtained_at: SdkDate,
    /// The number of the fetch that gave them (1 for the first).
    pub generation: u64,
}

impl Lease {
    /// Whether they still work at `now` (no expiry, or `now` before it).
    pub fn usable(&self, now: SdkDate) -> bool {
        self.provided.expires_at.is_none_or(|at| now.unix_seconds() < at.unix_seconds())
    }
}

/// Where a [`CredentialState`] stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Credentials are there and not yet due for refresh: sign with them.
    Fresh,
    /// A fetch is in flight: sign with the current credentials if they still work
    /// ([`CredentialState::usable`]), else wait for it to finish.
    Refreshing,
    /// A fetch is due and none is in flight: [`CredentialState::begin_refresh`].
    Stale,
}

/// What a caller about to sign does ([`CredentialState::acquire`]).
#[derive(Debug)]
pub enum Acquire {
    /// Sign with these credentials.
    Use(Lease),
    /// Fetch (this caller holds the ticket), then [`CredentialState::finish`].
    Fetch(Ticket),
    /// The fetch of this number is in flight and no credentials work meanwhile: wait for it
    /// to end, then [`CredentialState::waited`] and acquire again.
    Wait(u64),
}

/// The right to fetch credentials, given to one caller at a time
/// ([`CredentialState::begin_refresh`]) and handed back with the result
/// ([`CredentialState::finish`]).
#[derive(Debug, PartialEq, Eq)]
pub struct Ticket(u64);

impl Ticket {
    /// The number of the fetch (the generation its credentials get).
    pub fn number(&self) -> u64 {
        self.0
    }
}

/// The refresh rule of one provider as a state machine with an injected clock: when to
/// fetch, at most one fetch in flight, and what concurrent callers do meanwhile.
///
/// ```
/// use csms_core::provider::{CredentialState, Phase, Provided};
/// use csms_core::{AccessKey, SdkDate};
/// let t0 = SdkDate::from_unix(1_000_000);
/// let mut state = CredentialState::new();
/// assert_eq!(state.phase(t0), Phase::Stale);
/// let ticket = state.begin_refresh(t0).unwrap();
/// assert!(state.begin_refresh(t0).is_none()); // one fetch at a time
/// let key = Provided::new(AccessKey::new("AK", "SK").with_security_token("T")).expiring(t0.offset(4));
/// state.finish(ticket, Ok(key), t0, "metadata").unwrap();
/// assert_eq!(state.phase(t0.offset(1)), Phase::Fresh);
/// assert_eq!(state.phase(t0.offset(2)), Phase::Stale); // half of 4 seconds
/// ```
#[derive(Debug, Default)]
pub struct CredentialState {
    lease: Option<Lease>,
    /// The number of the fetch in flight.
    in_flight: Option<u64>,
    /// The number of the last fetch begun.
    fetches: u64,
    /// The current lease is not to be used again (the service said it expired).
    invalidated: bool,
    /// No fetch before this time (after a failed refresh while the lease still works).
    not_before: Option<SdkDate>,
    /// The last failed fetch: its number and error.
    failure: Option<(u64, Error)>,
}

impl CredentialState {
    /// No credentials yet: the first caller fetches.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where the state stands at `now`.
    pub fn phase(&self, now: SdkDate) -> Phase {
        if self.in_flight.is_some() {
            return Phase::Refreshing;
        }
        let Some(lease) = self.lease.as_ref().filter(|_| !self.invalidated) else { return Phase::Stale };
        if !lease.usable(now) {
            return Phase::Stale;
        }
        if self.not_before.is_some_and(|t| now.unix_seconds() < t.unix_seconds()) {
            return Phase::Fresh;
        }
        match refresh_at(lease.obtained_at, lease.provided.expires_at) {
            Some(at) if now.unix_seconds() >= at.unix_seconds() => Phase::Stale,
            _ => Phase::Fresh,
        }
    }

    /// What a caller about to sign at `now` does: use the current credentials while they
    /// are fresh (or while another caller refreshes them, as long as they work), else fetch
    /// if no fetch is in flight, else wait for it.
    ///
    /// ```
    /// use csms_core::provider::{Acquire, CredentialState, Provided};
    /// use csms_core::{AccessKey, SdkDate};
    /// let t0 = SdkDate::from_unix(1_000_000);
    /// let mut state = CredentialState::new();
    /// let Acquire::Fetch(ticket) = state.acquire(t0) else { panic!() };
    /// let Acquire::Wait(number) = state.acquire(t0) else { panic!() }; // a second caller
    /// state.finish(ticket, Ok(Provided::new(AccessKey::new("AK", "SK"))), t0, "vault").unwrap();
    /// state.waited(number).unwrap();
    /// assert!(matches!(state.acquire(t0), Acquire::Use(_)));
    /// ```
    pub fn acquire(&mut self, now: SdkDate) -> Acquire {
        if self.phase(now) != Phase::Stale {
            if let Some(lease) = self.usable(now) {
                return Acquire::Use(lease.clone());
            }
        }
        match self.begin_refresh(now) {
            Some(ticket) => Acquire::Fetch(ticket),
            None => Acquire::Wait(self.in_flight.unwrap_or(self.fetches)),
        }
    }

    /// After waiting for fetch number `fetch` ([`Acquire::Wait`]): its error if it failed
    /// and left no credentials, else `Ok` (acquire again).
    pub fn waited(&self, fetch: u64) -> Result<()> {
        self.failure_of(fetch).map_or(Ok(()), |e| Err(e.clone()))
    }

    /// The credentials to sign with at `now`, if there are any that still work (also while
    /// a refresh is in flight or due).
    pub fn usable(&self, now: SdkDate) -> Option<&Lease> {
        self.lease.as_ref().filter(|lease| !self.invalidated && lease.usable(now))
    }

    /// The number of the fetch in flight, if any: a caller that waits for it asks
    /// [`CredentialState::failure_of`] that number once it is over.
    pub fn in_flight(&self) -> Option<u64> {
        self.in_flight
    }

    /// Starts a fetch if one is due ([`Phase::Stale`]) and none is in flight: the caller
    /// fetches and hands the result to [`CredentialState::finish`]. `None` otherwise.
    pub fn begin_refresh(&mut self, now: SdkDate) -> Option<Ticket> {
        if self.phase(now) != Phase::Stale {
            return None;
        }
        self.fetches += 1;
        self.in_flight = Some(self.fetches);
        Some(Ticket(self.fetches))
    }

    /// Ends the fetch of `ticket` with what the provider gave, at `now`, and returns the
    /// credentials to sign with.
    ///
    /// New credentials that had expired when they came are refused (an
    /// [`Error::Credentials`] naming `provider`). When the fetch failed but the previous
    /// credentials still work (and were not refused by the service), they are kept and the
    /// provider is asked again after [`FAILED_REFRESH_BACKOFF`]; otherwise the error is
    /// returned, and callers that waited for this fetch get it too
    /// ([`CredentialState::failure_of`]).
    pub fn finish(&mut self, ticket: Ticket, result: Result<Provided>, now: SdkDate, provider: &str) -> Result<Lease> {
        if self.in_flight == Some(ticket.0) {
            self.in_flight = None;
        }
        let result = result.and_then(|provided| match provided.expires_at {
            Some(at) if at.unix_seconds() <= now.unix_seconds() => Err(provider_error(
                provider,
                format!(
                    "the credentials it gave expire at {at}, not after this machine's clock ({now}); \
                     check the clock"
                ),
            )),
            _ => {
                provided.credentials.validate().map(|()| provided).map_err(|e| provider_error(provider, e.to_string()))
            }
        });
        match result {
            Ok(provided) => {
                let lease = Lease { provided, obtained_at: now, generation: ticket.0 };
                self.lease = Some(lease.clone());
                self.invalidated = false;
                self.not_before = None;
                self.failure = None;
                Ok(lease)
            }
            Err(error) => {
                self.failure = Some((ticket.0, error.clone()));
                match self.usable(now).cloned() {
                    Some(lease) => {
                        let backoff = now.offset(FAILED_REFRESH_BACKOFF.as_secs() as i64);
                        self.not_before = Some(match lease.provided.expires_at {
                            Some(at) if at.unix_seconds() < backoff.unix_seconds() => at,
                            _ => backoff,
                        });
                        Ok(lease)
                    }
                    None => Err(error),
                }
            }
        }
    }

    /// The error of fetch number `fetch` if it failed and is the last one that did.
    pub fn failure_of(&self, fetch: u64) -> Option<&Error> {
        self.failure.as_ref().filter(|(n, _)| *n == fetch).map(|(_, e)| e)
    }

    /// The service refused the credentials of `generation` as expired
    /// ([`credentials_expired`]): they are not used again and the next caller fetches,
    /// unless newer ones came meanwhile. Returns whether they were the current ones.
    pub fn invalidate(&mut self, generation: u64) -> bool {
        let current = self.lease.as_ref().is_some_and(|l| l.generation == generation);
        if current {
            self.invalidated = true;
            self.not_before = None;
        }
        current
    }
}

/// The signing client of a client's current credentials, made once per generation (a
/// signer's set-up, a key pair derivation for the asymmetric algorithms, costs more than a
/// signature).
#[derive(Debug, Default)]
pub struct SignerCache(Option<(u64, Client)>);

impl SignerCache {
    /// `base` signing with the credentials of `lease` (sharing its learnt clock offset).
    pub fn signer(&mut self, base: &Client, lease: &Lease) -> Result<Client> {
        if let Some((_, client)) = self.0.as_ref().filter(|(g, _)| *g == lease.generation) {
            return Ok(client.clone());
        }
        let client = base.with_credentials(lease.provided.credentials.clone())?;
        self.0 = Some((lease.generation, client.clone()));
        Ok(client)
    }
}

#[cfg(test)]
mod tests;
