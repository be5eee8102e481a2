//! The secret cache with I/O (feature `reqwest`): the sans-IO [`CacheState`] driven by an
//! [`HttpClient`], waiting with tokio's sync primitives.

use crate::cache::{
    is_absent, CacheConfig, CacheState, CachedVersion, Change, Flight, Lookup, Progress, Target, ACCEPTED_STAGES,
    CURRENT,
};
use crate::error::Result;
use crate::transport::HttpClient;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// A change listener ([`SecretCache::on_change`]).
type Listener = Arc<dyn Fn(&Change) + Send + Sync>;

/// A cache of secret values in front of an [`HttpClient`]: reads follow a stage
/// (`SYSCURRENT` by default) through a pointer refreshed every TTL (300 s, jittered), values
/// are fetched once per version, concurrent reads of a cold entry make one request, and a
/// service outage serves the last value for up to `max_stale` (24 h). The rules are
/// [`crate::cache`]'s, the same in every language.
///
/// ```no_run
/// # async fn run(http: csms_core::HttpClient) -> csms_core::Result<()> {
/// use csms_core::{cache::CacheConfig, SecretCache};
/// let cache = SecretCache::new(http, CacheConfig::default())?;
/// let password = cache.get("db-password").await?;
/// println!("{} bytes", password.secret_string().unwrap_or_default().len());
/// # Ok(()) }
/// ```
pub struct SecretCache {
    http: HttpClient,
    state: Mutex<CacheState>,
    /// Bumped when a flight ends (waiters wake and take its outcome).
    done: tokio::sync::watch::Sender<u64>,
    /// The origin of the cache's monotonic clock.
    origin: Instant,
    listeners: Mutex<Vec<Listener>>,
}

impl std::fmt::Debug for SecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretCache").field("state", &*lock(&self.state)).finish_non_exhaustive()
    }
}

/// Abandons a flight whose sender was cancelled, so that a waiter sends it again.
struct Sending<'a> {
    cache: &'a SecretCache,
    flight: Option<Flight>,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if let Some(flight) = self.flight.take() {
            lock(&self.cache.state).abandon(flight);
            self.cache.done.send_modify(|n| *n += 1);
        }
    }
}

impl SecretCache {
    /// A cache in front of `http` with these settings (an [`Error::Validation`](crate::Error::Validation)
    /// naming `ttl` or `max_entries` when out of range).
    pub fn new(http: HttpClient, config: CacheConfig) -> Result<Self> {
        use std::hash::{BuildHasher, Hasher};
        // A random seed for the jitter: the standard library's per-map random hash keys.
        let seed = std::collections::hash_map::RandomState::new().build_hasher().finish();
        Ok(SecretCache {
            http,
            state: Mutex::new(CacheState::new(config, seed)?),
            done: tokio::sync::watch::Sender::new(0),
            origin: Instant::now(),
            listeners: Mutex::new(Vec::new()),
        })
    }

    fn now(&self) -> Duration {
        self.origin.elapsed()
    }

    /// The current version of the secret `name` (its `SYSCURRENT` stage).
    pub async fn get(&self, name: &str) -> Result<Arc<CachedVersion>> {
        self.read(name, Target::Stage(CURRENT)).await
    }

    /// The version of `name` carrying `stage`.
    pub async fn get_stage(&self, name: &str, stage: &str) -> Result<Arc<CachedVersion>> {
        self.read(name, Target::Stage(stage)).await
    }

    /// The version `version_id` of `name` (cached until evicted: versions do not change).
    pub async fn get_version(&self, name: &str, version_id: &str) -> Result<Arc<CachedVersion>> {
        self.read(name, Target::Version(version_id)).await
    }

    /// Asks the service now (unless it was asked less than a second ago) and returns the
    /// current version: for the moment the application learns its value stopped working.
    pub async fn refresh(&self, name: &str) -> Result<Arc<CachedVersion>> {
        lock(&self.state).refresh(name, self.now());
        self.get(name).await
    }

    /// The versions a verifier accepts during a rotation: `SYSCURRENT`, then `SYSPREVIOUS`
    /// and `SYSPENDING` when they exist, each once.
    pub async fn accepted(&self, name: &str) -> Result<Vec<Arc<CachedVersion>>> {
        let mut versions: Vec<Arc<CachedVersion>> = Vec::new();
        for stage in ACCEPTED_STAGES {
            match self.read(name, Target::Stage(stage)).await {
                Ok(v) if versions.iter().all(|seen| seen.id() != v.id()) => versions.push(v),
                Ok(_) => {}
                Err(e) if stage != CURRENT && is_absent(&e) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(versions)
    }

    /// Calls `listener` whenever a stage of a cached secret is seen on another version.
    /// A panic in it is caught and ignored.
    pub fn on_change(&self, listener: impl Fn(&Change) + Send + Sync + 'static) {
        lock(&self.listeners).push(Arc::new(listener));
    }

    /// Forgets every cached value.
    pub fn clear(&self) {
        lock(&self.state).clear();
    }

    async fn read(&self, name: &str, target: Target<'_>) -> Result<Arc<CachedVersion>> {
        loop {
            // Subscribed under the lock, and only to wait (not on a hit): a flight that ends
            // after the lock is released is seen as a change.
            let (lookup, woken) = {
                let mut state = lock(&self.state);
                let lookup = state.get(name, target, self.now());
                let woken = matches!(lookup, Lookup::Wait(_)).then(|| self.done.subscribe());
                (lookup, woken)
            };
            match lookup {
                Lookup::Hit(version) => return Ok(version),
                Lookup::Failed(error) => return Err(error),
                Lookup::Wait(id) => {
                    if let Some(mut woken) = woken {
                        while lock(&self.state).is_flying(id) {
                            woken.changed().await.ok();
                        }
                    }
                    if let Some(outcome) = lock(&self.state).outcome(id) {
                        return outcome;
                    }
                }
                Lookup::Fetch(flight) => return self.fly(flight).await,
            }
        }
    }

    /// Sends a flight's requests and hands their results to the state.
    async fn fly(&self, flight: Flight) -> Result<Arc<CachedVersion>> {
        let mut sending = Sending { cache: self, flight: Some(flight) };
        loop {
            let (operation, input) = {
                let flight = sending.flight.as_ref().expect("present until done");
                (flight.operation(), flight.input())
            };
            let result = self.http.call(operation, &input).await;
            let flight = sending.flight.take().expect("present until done");
            let (progress, changes) = {
                let mut state = lock(&self.state);
                let progress = state.receive(flight, result, self.now());
                (progress, state.take_changes())
            };
            match progress {
                Progress::Call(next) => sending.flight = Some(next),
                Progress::Done(outcome) => {
                    self.done.send_modify(|n| *n += 1);
                    self.tell(&changes);
                    return outcome;
                }
            }
        }
    }

    fn tell(&self, changes: &[Change]) {
        if changes.is_empty() {
            return;
        }
        let listeners = lock(&self.listeners).clone();
        for change in changes {
            for listener in &listeners {
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener(change)));
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
