//! The secret cache for Kotlin and Swift: the core's [`CacheState`] driven here, in Rust, as
//! `csms_core::SecretCache` drives it over reqwest, with the client's own call loop
//! ([`CsmsClient::call`]) for the requests and a `tokio::sync::watch` for the readers that
//! wait for another's request (no runtime needed, no spinning).
//!
//! The host gives what Rust does not read here: the monotonic clock (a foreign
//! [`MonotonicClock`]: `System.nanoTime` in Kotlin, `DispatchTime` in Swift) and the change
//! listener. The hand-written `SecretCache` of each language wraps [`NativeSecretCache`]: it
//! asks [`NativeSecretCache::hit`] first (synchronous, a few hundred nanoseconds: a suspend or
//! async call across the FFI costs more than a hit's budget), keeps the typed model of each
//! version it has decoded, and only on a miss calls the async [`NativeSecretCache::get`].

use crate::jni::{Env, JObject, JniEnv};
use crate::{guard, guard_async, lock, CsmsClient, CsmsException};
use csms_core::cache::{
    is_absent, CacheConfig, CacheState, CachedVersion, Change, Flight, Lookup, Progress, Target, ACCEPTED_STAGES,
    CURRENT,
};
use csms_core::Error;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The host's monotonic clock, in nanoseconds since any origin (Kotlin `System.nanoTime()`,
/// Swift `DispatchTime.now().uptimeNanoseconds`). The one clock the cache reads.
#[uniffi::export(with_foreign)]
pub trait MonotonicClock: Send + Sync {
    /// Now, in nanoseconds since the clock's origin; never goes back.
    fn nanos(&self) -> i64;
}

/// A stage of a cached secret moved to another version (the listener's event). Holds no value.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StageChange {
    /// The secret.
    pub secret_name: String,
    /// The stage (`SYSCURRENT`, ...).
    pub stage: String,
    /// The version it was on; null: none (the stage was absent).
    pub from: Option<String>,
    /// The version it is on now; null: none (the stage is gone).
    pub to: Option<String>,
}

/// Called when a stage of a cached secret is seen on another version (Kotlin's
/// `SecretCache.changes` flow is fed by one). What it throws is ignored.
#[uniffi::export(with_foreign)]
pub trait ChangeListener: Send + Sync {
    /// Receives one move.
    fn on_change(&self, change: StageChange) -> Result<(), CsmsException>;
}

/// One cached version: the `ShowSecretVersion` result the service gave. Shared with the
/// cache; the native copy of the value is wiped once the cache and every holder dropped it
/// (Kotlin: `close()` it, or `use { }`). Prints nothing of the value.
#[derive(uniffi::Object)]
pub struct CachedSecret {
    version: Arc<CachedVersion>,
}

impl std::fmt::Debug for CachedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.version.fmt(f)
    }
}

#[uniffi::export]
impl CachedSecret {
    /// The version's id.
    pub fn version_id(&self) -> String {
        self.version.id().to_owned()
    }

    /// The `ShowSecretVersion` result as JSON text (wire names), value included.
    pub fn result_json(&self) -> String {
        self.version.result().to_string()
    }
}

fn wrap(version: Arc<CachedVersion>) -> Arc<CachedSecret> {
    Arc::new(CachedSecret { version })
}

/// The core's state, and the flights a [`NativeSecretCache::hit`] joined as a waiter without
/// waiting: their outcome is taken (and dropped) once they end, so the core keeps nothing
/// for a waiter that never comes.
struct Shared {
    state: CacheState,
    owed: Vec<u64>,
}

impl Shared {
    fn settle(&mut self) {
        let state = &mut self.state;
        self.owed.retain(|&id| {
            if state.is_flying(id) {
                return true;
            }
            state.outcome(id);
            false
        });
    }
}

/// The secret cache's native half (Kotlin and Swift wrap it as `SecretCache`): the core's
/// rules ([`csms_core::cache`]) with the client's call loop for the requests. Reads follow a
/// stage through a pointer refreshed every TTL (jittered), fetch each version's value once,
/// make one request for concurrent reads of a cold entry, and serve the last value through
/// an outage for up to `max_stale`.
#[derive(uniffi::Object)]
pub struct NativeSecretCache {
    client: Arc<CsmsClient>,
    clock: Arc<dyn MonotonicClock>,
    /// The clock's reading at construction: the cache's time is the clock's minus it.
    origin: i64,
    listener: Option<Arc<dyn ChangeListener>>,
    shared: Mutex<Shared>,
    /// Bumped when a flight ends (waiters wake and take its outcome).
    done: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for NativeSecretCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeSecretCache").field("state", &lock(&self.shared).state).finish_non_exhaustive()
    }
}

/// Abandons a flight whose sender was cancelled (its Kotlin coroutine or Swift task, which
/// drops the native future), so that a waiter sends it again.
struct Sending<'a> {
    cache: &'a NativeSecretCache,
    flight: Option<Flight>,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if let Some(flight) = self.flight.take() {
            let mut shared = lock(&self.cache.shared);
            shared.state.abandon(flight);
            shared.settle();
            drop(shared);
            self.cache.done.send_modify(|n| *n += 1);
        }
    }
}

/// Milliseconds from the host as a duration; negative: a validation error naming `field`.
fn millis(field: &str, value: i64) -> Result<Duration, CsmsException> {
    u64::try_from(value)
        .map(Duration::from_millis)
        .map_err(|_| crate::invalid(field, format!("must not be negative, not {value} ms")))
}

#[uniffi::export]
impl NativeSecretCache {
    /// A cache in front of `client` (which needs a transport). `ttl_millis`: how long a stage
    /// pointer is used (each expiry drawn in `[ttl/2, ttl)`; more than 0, at most a day);
    /// `max_entries`: secrets kept, least recently used evicted (1 or more);
    /// `max_stale_millis`: how long past its expiry a value is served while the service fails
    /// (null: no limit). Out of range: `CsmsException.Validation` naming `ttl`,
    /// `max_entries` or `max_stale`. `clock`: the host's monotonic clock, the same one whose
    /// readings are given to [`NativeSecretCache::hit`]. The jitter's seed comes from std's
    /// randomly keyed hasher, as the client's retry jitter.
    #[uniffi::constructor(default(listener = None))]
    pub fn new(
        client: Arc<CsmsClient>,
        clock: Arc<dyn MonotonicClock>,
        ttl_millis: i64,
        max_entries: i32,
        max_stale_millis: Option<i64>,
        listener: Option<Arc<dyn ChangeListener>>,
    ) -> Result<Arc<Self>, CsmsException> {
        guard(|| {
            let config = CacheConfig {
                ttl: millis("ttl", ttl_millis)?,
                max_entries: usize::try_from(max_entries).unwrap_or(0),
                max_stale: max_stale_millis.map(|m| millis("max_stale", m)).transpose()?,
            };
            let seed = (crate::random_unit() * (1u64 << 53) as f64) as u64;
            let state = CacheState::new(config, seed)?;
            let origin = clock.nanos();
            Ok(Arc::new(NativeSecretCache {
                client,
                clock,
                origin,
                listener,
                shared: Mutex::new(Shared { state, owed: Vec::new() }),
                done: tokio::sync::watch::Sender::new(0),
            }))
        })
    }

    /// The id of the version a read of `name` (at `stage`, or `version_id` when given) gets
    /// from memory at `now_nanos` (the clock's reading), null when it needs the service: then
    /// call [`NativeSecretCache::get`]. Sends nothing and never waits; raises what the cache
    /// knows failed (a refresh backing off with no value to serve, a stage known absent).
    #[uniffi::method(default(version_id = None))]
    pub fn hit(
        &self,
        name: String,
        stage: String,
        version_id: Option<String>,
        now_nanos: i64,
    ) -> Result<Option<String>, CsmsException> {
        guard(|| Ok(self.memory(&name, target(&stage, version_id.as_deref()), now_nanos)?.map(|v| v.id().to_owned())))
    }

    /// The version of `name` at `stage` (`version_id`: that version instead): from memory
    /// when it can, else asked of the service (one request for every concurrent reader; a
    /// cancelled reader leaves the request to another).
    #[uniffi::method(default(stage = "SYSCURRENT", version_id = None))]
    pub async fn get(
        &self,
        name: String,
        stage: String,
        version_id: Option<String>,
    ) -> Result<Arc<CachedSecret>, CsmsException> {
        guard_async(async { Ok(wrap(self.read(&name, target(&stage, version_id.as_deref())).await?)) }).await
    }

    /// Asks the service now (unless it was asked less than a second ago) and returns the
    /// current version: for the moment the application learns its value stopped working.
    pub async fn refresh(&self, name: String) -> Result<Arc<CachedSecret>, CsmsException> {
        guard_async(async {
            let now = self.now();
            lock(&self.shared).state.refresh(&name, now);
            Ok(wrap(self.read(&name, Target::Stage(CURRENT)).await?))
        })
        .await
    }

    /// The versions a verifier accepts during a rotation: `SYSCURRENT`, then `SYSPREVIOUS`
    /// and `SYSPENDING` when they exist, each once.
    pub async fn accepted(&self, name: String) -> Result<Vec<Arc<CachedSecret>>, CsmsException> {
        guard_async(async {
            let mut versions: Vec<Arc<CachedVersion>> = Vec::new();
            for stage in ACCEPTED_STAGES {
                match self.read(&name, Target::Stage(stage)).await {
                    Ok(v) if versions.iter().all(|seen| seen.id() != v.id()) => versions.push(v),
                    Ok(_) => {}
                    Err(e) if stage != CURRENT && is_absent(&e) => {}
                    Err(e) => return Err(e.into()),
                }
            }
            Ok(versions.into_iter().map(wrap).collect())
        })
        .await
    }

    /// Forgets every cached value (the native copies are wiped once no reader holds them).
    pub fn clear(&self) {
        lock(&self.shared).state.clear();
    }

    /// How many secrets are cached.
    pub fn len(&self) -> i32 {
        i32::try_from(lock(&self.shared).state.len()).unwrap_or(i32::MAX)
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        lock(&self.shared).state.is_empty()
    }
}

fn target<'a>(stage: &'a str, version_id: Option<&'a str>) -> Target<'a> {
    match version_id {
        Some(id) => Target::Version(id),
        None => Target::Stage(stage),
    }
}

impl NativeSecretCache {
    fn since_origin(&self, nanos: i64) -> Duration {
        Duration::from_nanos(u64::try_from(nanos.wrapping_sub(self.origin)).unwrap_or(0))
    }

    /// A read answered from memory, if it can be (see [`NativeSecretCache::hit`]).
    fn memory(&self, name: &str, target: Target<'_>, now_nanos: i64) -> Result<Option<Arc<CachedVersion>>, Error> {
        let now = self.since_origin(now_nanos);
        let mut shared = lock(&self.shared);
        match shared.state.get(name, target, now) {
            Lookup::Hit(version) => Ok(Some(version)),
            Lookup::Failed(error) => Err(error),
            // No reader can have joined it: the lock is still held.
            Lookup::Fetch(flight) => {
                shared.state.abandon(flight);
                Ok(None)
            }
            Lookup::Wait(id) => {
                shared.owed.push(id);
                Ok(None)
            }
        }
    }

    fn now(&self) -> Duration {
        self.since_origin(self.clock.nanos())
    }

    async fn read(&self, name: &str, target: Target<'_>) -> Result<Arc<CachedVersion>, Error> {
        loop {
            let (lookup, woken) = {
                let now = self.now();
                let mut shared = lock(&self.shared);
                shared.settle();
                let lookup = shared.state.get(name, target, now);
                // Only to wait (not on a hit), and before the lock is released: an end since is a change.
                let woken = matches!(lookup, Lookup::Wait(_)).then(|| self.done.subscribe());
                (lookup, woken)
            };
            match lookup {
                Lookup::Hit(version) => return Ok(version),
                Lookup::Failed(error) => return Err(error),
                Lookup::Wait(id) => {
                    if let Some(mut woken) = woken {
                        while lock(&self.shared).state.is_flying(id) {
                            woken.changed().await.ok();
                        }
                    }
                    if let Some(outcome) = lock(&self.shared).state.outcome(id) {
                        return outcome;
                    }
                }
                Lookup::Fetch(flight) => return self.fly(flight).await,
            }
        }
    }

    /// Sends a flight's requests through the client and hands their results to the state.
    async fn fly(&self, flight: Flight) -> Result<Arc<CachedVersion>, Error> {
        let mut sending = Sending { cache: self, flight: Some(flight) };
        loop {
            let (operation, input) = {
                let flight = sending.flight.as_ref().expect("present until done");
                (flight.operation(), flight.input())
            };
            let result = self.client.call_value(operation, &input).await.map_err(Error::from);
            let flight = sending.flight.take().expect("present until done");
            let now = self.now();
            let (progress, changes) = {
                let mut shared = lock(&self.shared);
                let progress = shared.state.receive(flight, result, now);
                shared.settle();
                (progress, shared.state.take_changes())
            };
            match progress {
                Progress::Call(next) => sending.flight = Some(next),
                Progress::Done(outcome) => {
                    self.done.send_modify(|n| *n += 1);
                    self.tell(changes);
                    return outcome;
                }
            }
        }
    }

    fn tell(&self, changes: Vec<Change>) {
        let Some(listener) = &self.listener else { return };
        for Change { secret_name, stage, from, to } in changes {
            let change = StageChange { secret_name, stage, from, to };
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener.on_change(change)));
        }
    }
}

/// Kotlin's fast path, [`NativeSecretCache::hit`] without uniffi's marshalling (a uniffi call
/// with its buffers costs microseconds on a busy machine, a cache hit's budget is 5): Kotlin's
/// `DirectNative.cacheHit`, a JNI method. Writes the id of the version a read of `name` at
/// `stage` (or of `version`, when it is not null) gets from memory into `out` and returns its
/// length; -1 when the read needs the service or raises an error (the caller then takes the
/// uniffi path, which says which), when the id does not fit in `out`, or on a panic.
///
/// # Safety
///
/// Called by the JVM: `env` is this thread's; `cache` is a handle of a live
/// `NativeSecretCache` (Kotlin's `uniffiCloneHandle()`, held until
/// [`Java_csms_DirectNative_cacheRelease`]); `name`, `stage` and `out` are `byte[]`s,
/// `version` one or null.
#[no_mangle]
#[allow(clippy::too_many_arguments)] // a JNI method: one argument each
pub unsafe extern "system" fn Java_csms_DirectNative_cacheHit(
    env: JniEnv,
    _class: JObject,
    cache: i64,
    name: JObject,
    stage: JObject,
    version: JObject,
    now_nanos: i64,
    out: JObject,
) -> i32 {
    // SAFETY: as the JVM promises.
    let env = unsafe { Env::new(env) };
    let text = |array: JObject| env.with_bytes(array, -1, |b| String::from_utf8(b.to_vec()).ok()).flatten();
    std::panic::catch_unwind(|| {
        let (Some(name), Some(stage)) = (text(name), text(stage)) else { return -1 };
        let version = if version.is_null() { None } else { text(version) };
        // SAFETY: the caller holds a strong reference to the cache for the call.
        let cache = unsafe { &*(cache as usize as *const NativeSecretCache) };
        let Ok(Some(hit)) = cache.memory(&name, target(&stage, version.as_deref()), now_nanos) else { return -1 };
        let id = hit.id().as_bytes();
        if env.set_bytes(out, id) {
            id.len() as i32
        } else {
            -1
        }
    })
    .unwrap_or(-1)
}

/// Drops the reference Kotlin's fast path held (a handle from `uniffiCloneHandle()`):
/// Kotlin's `DirectNative.cacheRelease`, a JNI method.
///
/// # Safety
///
/// Called by the JVM; `cache` is such a handle, released once.
#[no_mangle]
pub unsafe extern "system" fn Java_csms_DirectNative_cacheRelease(_env: JniEnv, _class: JObject, cache: i64) {
    // SAFETY: a handle is `Arc::into_raw` of the object (uniffi's), and this one is released
    // once; a panic while dropping the cache (none is known) stays here.
    let _ =
        std::panic::catch_unwind(|| unsafe { Arc::decrement_strong_count(cache as usize as *const NativeSecretCache) });
}
