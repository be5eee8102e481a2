//! A secret cache as a sans-IO state machine: which reads are answered from memory, which
//! need a request, which wait for a request already in flight, and what a response or a
//! failure does to the cache. Every language's cache is a thin driver around it, so they
//! all behave the same; the `reqwest` driver is `SecretCache` (feature `reqwest`).
//!
//! ```text
//! loop {
//!     match state.get(name, Target::Stage("SYSCURRENT"), now()) {
//!         Lookup::Hit(version) => return Ok(version),              // nothing sent
//!         Lookup::Failed(error) => return Err(error),              // backing off, or known absent
//!         Lookup::Wait(id) => { wait_for(id); if let Some(r) = state.outcome(id) { return r } }
//!         Lookup::Fetch(mut flight) => loop {                      // this caller sends
//!             let result = client.call(flight.operation(), &flight.input());
//!             match state.receive(flight, result, now()) {
//!                 Progress::Call(next) => flight = next,           // the value, after the stage
//!                 Progress::Done(result) => { wake_waiters(); return result }
//!             }
//!         },
//!     }
//! }
//! ```
//!
//! The rules:
//! - A stage → version pointer lives for the TTL (300 s by default), each expiry drawn in
//!   `[ttl/2, ttl)` so that a fleet does not refresh at once. Refreshing it costs one
//!   `ShowSecretStage`; the value (`ShowSecretVersion`) is fetched only for a version not
//!   cached yet. Versions are immutable: cached until evicted.
//! - One request per entry at a time: concurrent readers of a cold or expired entry wait for
//!   it and get its outcome.
//! - A transient failure (transport, 5xx, 429) serves the last value for at most
//!   `max_stale` past its expiry (24 h by default; `None`: no limit), and backs off: no
//!   request for 1 s, 2 s, 4 s ... up to 5 min (each drawn in `[d/2, d)`), reads meanwhile
//!   served the stale value (or the failure, for an entry with no value).
//! - A 403 drops everything cached for the secret; a 404 drops the stage (the whole secret
//!   for `SYSCURRENT`, which every secret has), and both are raised: a revoked access or a
//!   deleted secret takes effect at the next refresh. A stage found absent (404) is
//!   remembered as absent for the TTL.
//! - At most `max_entries` secrets, least recently used evicted first; at most
//!   [`MAX_VERSIONS`] versions per secret. Values are wiped when the last holder drops them.
//!
//! Time is the host's monotonic clock as a [`Duration`] since any origin; the jitter comes
//! from a generator seeded at construction, so tests are deterministic.

mod small_map;
#[cfg(test)]
mod tests;

use crate::error::{Error, Result};
use crate::util::text_object;
use serde_json::Value;
use small_map::{SmallMap, SortedMap};
use std::sync::Arc;
use std::time::Duration;

/// The stage an application reads.
pub const CURRENT: &str = "SYSCURRENT";
/// The stage of the version before the current one.
pub const PREVIOUS: &str = "SYSPREVIOUS";
/// The stage of a version being rotated in.
pub const PENDING: &str = "SYSPENDING";
/// The stages whose values a verifier accepts during a rotation (a cache's `accepted`).
pub const ACCEPTED_STAGES: [&str; 3] = [CURRENT, PREVIOUS, PENDING];
/// The TTL of a stage pointer by default: 300 s.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The number of secrets cached by default: 1024.
pub const DEFAULT_MAX_ENTRIES: usize = 1024;
/// How long past its expiry a value is served while the service fails, by default: 24 h.
pub const DEFAULT_MAX_STALE: Duration = Duration::from_secs(24 * 3600);
/// The first back-off after a transient failure: 1 s (doubling).
pub const BACKOFF_FIRST: Duration = Duration::from_secs(1);
/// The longest back-off: 5 min.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);
/// The shortest time between two forced refreshes of a secret ([`CacheState::refresh`]): 1 s.
pub const MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(1);
/// The most versions kept per secret (those a cached stage points to are never evicted).
pub const MAX_VERSIONS: usize = 8;
/// The longest TTL accepted: a day.
pub const MAX_TTL: Duration = Duration::from_secs(86400);
/// How many finished flights' outcomes are kept for their waiters.
const OUTCOMES_KEPT: usize = 64;

/// The settings of a cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long a stage pointer is used before it is refreshed (each expiry drawn in
    /// `[ttl/2, ttl)`): more than 0, at most a day.
    pub ttl: Duration,
    /// How many secrets are cached at most: 1 or more.
    pub max_entries: usize,
    /// How long past its expiry a value is served while refreshes fail transiently; `None`:
    /// no limit.
    pub max_stale: Option<Duration>,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig { ttl: DEFAULT_TTL, max_entries: DEFAULT_MAX_ENTRIES, max_stale: Some(DEFAULT_MAX_STALE) }
    }
}

impl CacheConfig {
    /// Checks the settings: an [`Error::Validation`] naming `ttl` or `max_entries`.
    pub fn validate(&self) -> Result<()> {
        if self.ttl.is_zero() || self.ttl > MAX_TTL {
            return Err(Error::validation("ttl", "must be more than 0 and at most a day"));
        }
        if self.max_entries == 0 {
            return Err(Error::validation("max_entries", "must be 1 or more"));
        }
        Ok(())
    }
}

/// What is read: the version a stage points to, or a version by its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target<'a> {
    /// The version carrying this stage (`SYSCURRENT`, ...).
    Stage(&'a str),
    /// The version with this id.
    Version(&'a str),
}

/// [`Target`], owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Stage(String),
    Version(String),
}

impl Key {
    fn of(target: Target<'_>) -> Key {
        match target {
            Target::Stage(s) => Key::Stage(s.to_owned()),
            Target::Version(v) => Key::Version(v.to_owned()),
        }
    }
}

/// A cached version: the `ShowSecretVersion` result as the service gave it (its value, and
/// its metadata as of when it was fetched). Shared by every reader; the value is wiped when
/// the last one drops it. `Debug` shows no value.
pub struct CachedVersion {
    id: String,
    result: Value,
}

impl CachedVersion {
    /// The version's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The `ShowSecretVersion` result (`{"version": {"version_metadata": ..., "secret_string": ...}}`).
    pub fn result(&self) -> &Value {
        &self.result
    }

    /// The text value, if the secret holds text.
    pub fn secret_string(&self) -> Option<&str> {
        self.result["version"]["secret_string"].as_str()
    }

    /// The binary value as base64 text, if the secret holds binary data.
    pub fn secret_binary(&self) -> Option<&str> {
        self.result["version"]["secret_binary"].as_str()
    }
}

impl Drop for CachedVersion {
    fn drop(&mut self) {
        crate::secret::zeroize_json(&mut self.result);
        #[cfg(test)]
        tests::wiped(&self.result);
    }
}

impl std::fmt::Debug for CachedVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedVersion").field("id", &self.id).finish_non_exhaustive()
    }
}

/// A stage moved: the listener's event. `None` is "no version carries it".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The secret.
    pub secret_name: String,
    /// The stage.
    pub stage: String,
    /// The version it was on.
    pub from: Option<String>,
    /// The version it is on now.
    pub to: Option<String>,
}

/// What a read does next ([`CacheState::get`]).
#[derive(Debug)]
pub enum Lookup {
    /// Answered from memory: nothing to send.
    Hit(Arc<CachedVersion>),
    /// Answered from memory with an error: the secret's refresh is backing off and there is
    /// no value to serve (or it is older than `max_stale`), or the stage is known absent.
    Failed(Error),
    /// This caller sends the flight's requests ([`Flight::operation`], [`Flight::input`])
    /// and hands each result to [`CacheState::receive`].
    Fetch(Flight),
    /// The flight of this number is in flight: wait for it to end, then take its
    /// [`CacheState::outcome`] (`None`: it was abandoned; read again).
    Wait(u64),
}

/// The requests of one refresh, sent by one caller ([`Lookup::Fetch`]).
#[derive(Debug)]
pub struct Flight {
    id: u64,
    secret_name: String,
    key: Key,
    /// The version to fetch, once the stage named it (or for a version read).
    version: Option<String>,
}

impl Flight {
    /// The flight's number (what waiters wait for).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The operation to call now: `ShowSecretStage`, then `ShowSecretVersion` if the stage
    /// moved to a version not cached.
    pub fn operation(&self) -> &'static str {
        if self.version.is_some() {
            "ShowSecretVersion"
        } else {
            "ShowSecretStage"
        }
    }

    /// The input of [`Flight::operation`].
    pub fn input(&self) -> Value {
        match (&self.version, &self.key) {
            (Some(version), _) | (None, Key::Version(version)) => {
                text_object(&[("secret_name", &self.secret_name), ("version_id", version)])
            }
            (None, Key::Stage(stage)) => text_object(&[("secret_name", &self.secret_name), ("stage_name", stage)]),
        }
    }
}

/// What follows a response ([`CacheState::receive`]).
#[derive(Debug)]
pub enum Progress {
    /// Send the flight's next request.
    Call(Flight),
    /// The flight is over: its outcome, also kept for its waiters ([`CacheState::outcome`]).
    Done(Result<Arc<CachedVersion>>),
}

/// Whether an error is transient for the cache (a stale value may stand in for it): a
/// transport failure, a 5xx or a 429.
pub fn is_transient(error: &Error) -> bool {
    match error {
        Error::Transport { .. } => true,
        Error::Api { status, .. } | Error::Decode { status, .. } => *status >= 500 || *status == 429,
        _ => false,
    }
}

/// Whether an error says the stage or version does not exist (a 404): a cache's `accepted`
/// leaves such a stage out.
pub fn is_absent(error: &Error) -> bool {
    matches!(error, Error::Api { status: 404, .. })
}

/// What a stage pointer knows.
#[derive(Debug)]
enum Known {
    /// The stage is on this version (cached in the entry).
    On(String),
    /// The stage is on no version: this 404.
    Absent(Error),
}

/// A stage → version pointer.
#[derive(Debug)]
struct Pointer {
    /// `None` until the first answer.
    known: Option<Known>,
    /// When it is to be refreshed.
    expires_at: Duration,
    /// When [`CacheState::refresh`] last expired it.
    forced_at: Option<Duration>,
    /// Failed refreshes in a row, the last one's error, and no request before `retry_at`.
    failures: u32,
    last_error: Option<Error>,
    retry_at: Duration,
}

impl Pointer {
    fn cold() -> Self {
        Pointer {
            known: None,
            expires_at: Duration::ZERO,
            forced_at: None,
            failures: 0,
            last_error: None,
            retry_at: Duration::ZERO,
        }
    }

    fn version(&self) -> Option<&str> {
        match &self.known {
            Some(Known::On(v)) => Some(v),
            _ => None,
        }
    }
}

/// Everything cached for one secret.
#[derive(Debug, Default)]
struct Entry {
    stages: SmallMap<String, Pointer>,
    /// Versions and when each was last used.
    versions: SmallMap<String, (Arc<CachedVersion>, u64)>,
    last_used: u64,
}

impl Entry {
    /// Keeps at most [`MAX_VERSIONS`] versions, never one a stage points to.
    fn trim_versions(&mut self) {
        while self.versions.len() > MAX_VERSIONS {
            let pointed: Vec<&str> = self.stages.values().filter_map(Pointer::version).collect();
            let oldest = self
                .versions
                .iter()
                .filter(|(id, _)| !pointed.contains(&id.as_str()))
                .min_by_key(|(_, (_, used))| *used)
                .map(|(id, _)| id.clone());
            match oldest {
                Some(id) => self.versions.remove(&id),
                None => return,
            };
        }
    }
}

/// The cache's state: entries, flights in progress, outcomes for waiters, changes for the
/// listener. See the module's documentation.
pub struct CacheState {
    config: CacheConfig,
    entries: SortedMap<Entry>,
    /// A counter standing for recency (bumped by each use).
    tick: u64,
    /// Flights in progress: their number and how many readers wait for them.
    flights: SmallMap<(String, Key), (u64, u32)>,
    last_flight: u64,
    /// Outcomes of finished flights not yet taken by all their waiters: the number, the
    /// waiters still to take it, the outcome; oldest first (a `Vec`: at most 64, and its code
    /// is shared with the other vectors, where a `VecDeque`'s is its own).
    outcomes: Vec<(u64, u32, Result<Arc<CachedVersion>>)>,
    changes: Vec<Change>,
    random: u64,
}

impl std::fmt::Debug for CacheState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CacheState")
            .field("config", &self.config)
            .field("entries", &self.entries.len())
            .field("flights", &self.flights.len())
            .finish_non_exhaustive()
    }
}

impl CacheState {
    /// An empty cache with these settings; `seed` seeds the jitter (any number; a test
    /// fixes it, a driver takes one from the host's random source).
    pub fn new(config: CacheConfig, seed: u64) -> Result<Self> {
        config.validate()?;
        Ok(CacheState {
            config,
            entries: SortedMap::default(),
            tick: 0,
            flights: SmallMap::default(),
            last_flight: 0,
            outcomes: Vec::new(),
            changes: Vec::new(),
            random: seed,
        })
    }

    /// The settings.
    pub fn config(&self) -> &CacheConfig {
        &self.config
    }

    /// How many secrets are cached.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A read of `target` of the secret `name` at `now`: a hit, a known failure, a flight
    /// to send, or one to wait for.
    pub fn get(&mut self, name: &str, target: Target<'_>, now: Duration) -> Lookup {
        self.tick += 1;
        let tick = self.tick;
        if let Some(entry) = self.entries.get_mut(name) {
            entry.last_used = tick;
            match target {
                Target::Version(id) => {
                    if let Some((version, used)) = entry.versions.get_mut(id) {
                        *used = tick;
                        return Lookup::Hit(version.clone());
                    }
                }
                Target::Stage(stage) => {
                    if let Some(lookup) = Self::answer(entry, stage, now, self.config.max_stale, tick) {
                        return lookup;
                    }
                }
            }
        }
        let key = (name.to_owned(), Key::of(target));
        if let Some((id, waiters)) = self.flights.get_mut(&key) {
            *waiters += 1;
            return Lookup::Wait(*id);
        }
        self.last_flight += 1;
        let id = self.last_flight;
        self.flights.insert(key, (id, 0));
        let version = match target {
            Target::Version(v) => Some(v.to_owned()),
            Target::Stage(_) => None,
        };
        Lookup::Fetch(Flight { id, secret_name: name.to_owned(), key: Key::of(target), version })
    }

    /// A stage read answered from memory, if it can be: fresh, or backing off.
    fn answer(entry: &mut Entry, stage: &str, now: Duration, max_stale: Option<Duration>, tick: u64) -> Option<Lookup> {
        let pointer = entry.stages.get(stage)?;
        let fresh = pointer.known.is_some() && now < pointer.expires_at;
        let backing_off = pointer.last_error.is_some() && now < pointer.retry_at;
        if !fresh && !backing_off {
            return None;
        }
        let within = |p: &Pointer| max_stale.is_none_or(|m| now <= p.expires_at + m);
        match &pointer.known {
            Some(Known::On(id)) if fresh || within(pointer) => {
                let (version, used) = entry.versions.get_mut(id)?;
                *used = tick;
                Some(Lookup::Hit(version.clone()))
            }
            Some(Known::Absent(error)) if fresh => Some(Lookup::Failed(error.clone())),
            _ => pointer.last_error.clone().map(Lookup::Failed),
        }
    }

    /// Hands the result of the flight's request (the parsed JSON result, or the call's
    /// error) in, at `now`: the next request, or the flight's outcome.
    pub fn receive(&mut self, mut flight: Flight, result: Result<Value>, now: Duration) -> Progress {
        let name = flight.secret_name.clone();
        let outcome = match (result, flight.version.clone()) {
            (Ok(value), None) => {
                // The stage's answer: the version it is on.
                let Key::Stage(stage) = &flight.key else { unreachable!("a version flight starts with its version") };
                let version = value["stage"]["version_id"].as_str().filter(|v| !v.is_empty()).map(str::to_owned);
                match version {
                    None => Err(Error::Decode {
                        status: 200,
                        reason: "the ShowSecretStage answer has no `stage.version_id`".into(),
                        request_id: String::new(),
                    }),
                    Some(version) => {
                        let cached =
                            self.entries.get(&name).and_then(|e| e.versions.get(&version)).map(|v| v.0.clone());
                        match cached {
                            Some(cached) => {
                                let stage = stage.clone();
                                self.point(&name, &stage, Known::On(version), now);
                                Ok(cached)
                            }
                            None => {
                                flight.version = Some(version);
                                return Progress::Call(flight);
                            }
                        }
                    }
                }
            }
            (Ok(value), Some(version)) => {
                let cached = Arc::new(CachedVersion { id: version.clone(), result: value });
                let tick = self.tick;
                self.entry(&name).versions.insert(version.clone(), (cached.clone(), tick));
                if let Key::Stage(stage) = &flight.key {
                    let stage = stage.clone();
                    self.point(&name, &stage, Known::On(version), now);
                }
                if let Some(entry) = self.entries.get_mut(&name) {
                    entry.trim_versions();
                }
                Ok(cached)
            }
            (Err(error), version) => self.failed(&flight, version.as_deref(), error, now),
        };
        self.end(&flight, Some(outcome.clone()));
        Progress::Done(outcome)
    }

    /// A flight's request failed: what the cache does, and the read's outcome.
    fn failed(
        &mut self,
        flight: &Flight,
        version: Option<&str>,
        error: Error,
        now: Duration,
    ) -> Result<Arc<CachedVersion>> {
        let name = flight.secret_name.as_str();
        let status = error.status();
        if status == Some(403) {
            self.entries.remove(name);
            return Err(error);
        }
        match &flight.key {
            Key::Version(id) => {
                if status == Some(404) {
                    if let Some(entry) = self.entries.get_mut(name) {
                        entry.versions.remove(id);
                    }
                }
                Err(error)
            }
            Key::Stage(stage) if status == Some(404) => {
                if stage == CURRENT && version.is_none() {
                    self.entries.remove(name);
                } else if version.is_none() {
                    self.point(name, stage, Known::Absent(error.clone()), now);
                } else if let Some(entry) = self.entries.get_mut(name) {
                    // The stage named a version that is gone: ask the stage again next time.
                    entry.stages.remove(stage);
                }
                Err(error)
            }
            Key::Stage(stage) if is_transient(&error) => {
                let delay = self.backoff_delay(name, stage);
                let max_stale = self.config.max_stale;
                let entry = self.entry(name);
                let pointer = entry.stages.get_or_insert_with(stage.clone(), Pointer::cold);
                pointer.failures = pointer.failures.saturating_add(1);
                pointer.retry_at = now + delay;
                pointer.last_error = Some(error.clone());
                let stale = match pointer.version() {
                    Some(id) if max_stale.is_none_or(|m| now <= pointer.expires_at + m) => {
                        entry.versions.get(id).map(|v| v.0.clone())
                    }
                    _ => None,
                };
                stale.ok_or(error)
            }
            Key::Stage(_) => Err(error),
        }
    }

    /// The back-off after one more failure of `stage` of `name`: 1 s doubling to 5 min,
    /// drawn in `[d/2, d)`.
    fn backoff_delay(&mut self, name: &str, stage: &str) -> Duration {
        let failures = self.entries.get(name).and_then(|e| e.stages.get(stage)).map_or(0, |p| p.failures);
        let full = BACKOFF_FIRST.saturating_mul(1u32 << failures.min(16)).min(BACKOFF_MAX);
        self.jitter(full)
    }

    /// A duration drawn uniformly in `[d/2, d)`.
    fn jitter(&mut self, d: Duration) -> Duration {
        // In whole nanoseconds (no float `Duration` conversions and their panic messages).
        let half = (d.as_nanos() / 2) as u64;
        Duration::from_nanos(half + (half as f64 * self.next_random()) as u64)
    }

    /// A number in `[0, 1)` (splitmix64).
    fn next_random(&mut self) -> f64 {
        self.random = self.random.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.random;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Sets `stage` of `name` to what the service said, fresh for a TTL from `now`, and
    /// records a change if it moved.
    fn point(&mut self, name: &str, stage: &str, known: Known, now: Duration) {
        let expires_at = now + self.jitter(self.config.ttl);
        let entry = self.entry(name);
        let pointer = entry.stages.get_or_insert_with(stage.to_owned(), Pointer::cold);
        let forced_at = pointer.forced_at;
        let before = pointer.known.as_ref().map(|k| match k {
            Known::On(v) => Some(v.clone()),
            Known::Absent(_) => None,
        });
        let after = match &known {
            Known::On(v) => Some(v.clone()),
            Known::Absent(_) => None,
        };
        *pointer = Pointer { known: Some(known), expires_at, forced_at, failures: 0, last_error: None, retry_at: now };
        if let Some(before) = before.filter(|b| *b != after) {
            self.changes.push(Change {
                secret_name: name.to_owned(),
                stage: stage.to_owned(),
                from: before,
                to: after,
            });
        }
    }

    /// The entry of `name`, made (and the least recently used one evicted) if needed.
    fn entry(&mut self, name: &str) -> &mut Entry {
        if !self.entries.contains_key(name) && self.entries.len() >= self.config.max_entries {
            let oldest = self.entries.iter().min_by_key(|(_, e)| e.last_used).map(|(n, _)| n.clone());
            if let Some(oldest) = oldest {
                self.entries.remove(&oldest);
            }
        }
        let tick = self.tick;
        self.entries.get_or_insert_with(name, || Entry { last_used: tick, ..Entry::default() })
    }

    /// Ends a flight: it is no longer in progress, and its outcome is kept for its waiters.
    fn end(&mut self, flight: &Flight, outcome: Option<Result<Arc<CachedVersion>>>) {
        let waiters = match self.flights.remove(&(flight.secret_name.clone(), flight.key.clone())) {
            Some((id, waiters)) if id == flight.id => waiters,
            _ => 0,
        };
        if let (Some(outcome), true) = (outcome, waiters > 0) {
            if self.outcomes.len() == OUTCOMES_KEPT {
                drop(self.outcomes.remove(0)); // the oldest is forgotten
            }
            self.outcomes.push((flight.id, waiters, outcome));
        }
    }

    /// The caller sending a flight gave up (it was cancelled): the flight ends without an
    /// outcome, and its waiters read again (one of them sends).
    pub fn abandon(&mut self, flight: Flight) {
        self.end(&flight, None);
    }

    /// Whether flight `id` is still in progress (a waiter waits until it is not).
    pub fn is_flying(&self, id: u64) -> bool {
        self.flights.values().any(|(i, _)| *i == id)
    }

    /// The outcome of flight `id` for a caller that waited for it ([`Lookup::Wait`]), to be
    /// taken once by each; `None` when it was abandoned (read again). It is kept until every
    /// waiter took it (at most the last 64 flights' outcomes are kept: a waiter that never
    /// comes back holds nothing for long).
    pub fn outcome(&mut self, id: u64) -> Option<Result<Arc<CachedVersion>>> {
        let index = self.outcomes.iter().position(|(i, _, _)| *i == id)?;
        let (_, waiters, outcome) = &mut self.outcomes[index];
        *waiters -= 1;
        let outcome = outcome.clone();
        if *waiters == 0 {
            drop(self.outcomes.remove(index)); // every waiter took it
        }
        Some(outcome)
    }

    /// Makes the next read of every stage of `name` ask the service (a back-off is cut short
    /// too), unless this was asked less than [`MIN_REFRESH_INTERVAL`] ago: for the moment an
    /// application learns that the value it has stopped working, however many of its
    /// threads learn it at once. Returns whether anything was expired.
    pub fn refresh(&mut self, name: &str, now: Duration) -> bool {
        let Some(entry) = self.entries.get_mut(name) else { return false };
        let mut expired = false;
        for pointer in entry.stages.values_mut() {
            let recent = pointer.forced_at.is_some_and(|at| now < at + MIN_REFRESH_INTERVAL);
            if !recent {
                pointer.expires_at = now;
                pointer.retry_at = now;
                pointer.forced_at = Some(now);
                expired = true;
            }
        }
        expired
    }

    /// The stage moves seen since the last call, oldest first, for the listener.
    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    /// Forgets everything cached (values wiped once no reader holds them). Flights in
    /// progress still end normally.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.outcomes.clear();
    }
}
