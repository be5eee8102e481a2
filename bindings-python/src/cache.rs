//! The secret cache's state in `csms._native` ([`NativeCacheState`]): the core's
//! [`CacheState`] behind a mutex, and one flight's requests ([`NativeFlight`]).
//!
//! The core decides everything (which read is a hit, which one sends, which one waits, what
//! a response or a failure does); the Python driver (`csms/_cache.py`) sends the flights'
//! requests through the client's normal call path, waits (a `threading.Condition`, or the
//! flight's asyncio task) and calls the change listeners. Times are the host's monotonic
//! clock (`time.monotonic()`), in seconds.
//!
//! A hit must stay cheap: the Python object of a cached version (a `csms.Version`, made by
//! the `wrap` function given at construction) is made once per version and kept here,
//! keyed by the address of the core's shared version. The key holds a `Weak`, so the value
//! is still wiped when the core drops the version, and the address cannot be reused while
//! the key exists.

use crate::{error_of, guard, invalid, lock, str_in, to_json, to_py, type_name, Fail, Res};
use csms_core::cache::{self, CacheConfig, CacheState, CachedVersion, Flight, Lookup, Progress, Target, CURRENT};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// What a read that is not a hit returns to the driver: wait for the flight of this
/// number...
const WAIT: u8 = 0;
/// ... or send this flight's requests.
const FETCH: u8 = 1;

/// The smallest size of the memo of Python objects at which it is pruned.
const MEMO_PRUNE_FLOOR: usize = 64;

/// The Python objects of cached versions.
struct Memo {
    objects: HashMap<usize, (Weak<CachedVersion>, Py<PyAny>)>,
    /// Dead entries are dropped when the memo reaches this size.
    prune_at: usize,
}

/// The core's cache state, and the Python object of each cached version.
struct Inner {
    state: CacheState,
    memo: Memo,
}

/// A seconds value as a [`Duration`] (a `ValidationError` naming `field` when negative, NaN
/// or too large).
fn seconds(value: f64, field: &str) -> Res<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| invalid(field, format!("must be a number of seconds of 0 or more, not {value}")))
}

/// The text of a `str` argument, borrowed (a `ValidationError` naming `field` for another
/// type, or an empty one).
fn text<'a>(obj: &'a Bound<'_, PyAny>, field: &str) -> Res<&'a str> {
    match obj.cast::<PyString>() {
        Ok(s) => match str_in(s, field)? {
            "" => Err(invalid(field, "must not be empty")),
            t => Ok(t),
        },
        Err(_) => Err(invalid(field, format!("must be a str, not {}", type_name(obj)))),
    }
}

/// The host's monotonic time in seconds as the core's `now` (a negative or NaN clock reads 0).
fn now_of(now: f64) -> Duration {
    Duration::try_from_secs_f64(now).unwrap_or(Duration::ZERO)
}

/// The cache state of one `csms.SecretCache` or `csms.AsyncSecretCache`. Thread-safe.
#[pyclass(frozen, module = "csms._native", name = "CacheState")]
pub struct NativeCacheState {
    inner: Mutex<Inner>,
    /// Makes the Python object of a version from its `ShowSecretVersion` result dict.
    wrap: Py<PyAny>,
}

/// One flight's requests, sent by the one reader that got it.
#[pyclass(frozen, module = "csms._native", name = "Flight")]
pub struct NativeFlight {
    /// None once the flight ended (its outcome received, or abandoned).
    flight: Mutex<Option<Flight>>,
    /// The flight's number (what its waiters wait for).
    #[pyo3(get)]
    id: u64,
}

#[pymethods]
impl NativeFlight {
    /// The request to send now: `(operation, input)`, or None once the flight ended.
    fn call<'py>(&self, py: Python<'py>) -> PyResult<Option<(&'static str, Bound<'py, PyAny>)>> {
        guard(py, || {
            let flight = lock(&self.flight);
            Ok(match flight.as_ref() {
                Some(f) => Some((f.operation(), to_py(py, &f.input())?)),
                None => None,
            })
        })
    }

    fn __repr__(&self) -> String {
        format!("Flight(id={})", self.id)
    }
}

impl NativeCacheState {
    /// The Python object of `version`: the one made before, else made by `wrap` now (outside
    /// the lock: `wrap` is Python code).
    fn object(&self, py: Python<'_>, version: Arc<CachedVersion>) -> Res<Py<PyAny>> {
        let key = Arc::as_ptr(&version) as usize;
        if let Some((_, object)) = lock(&self.inner).memo.objects.get(&key) {
            return Ok(object.clone_ref(py));
        }
        let object = self.wrap.bind(py).call1((to_py(py, version.result())?,))?.unbind();
        let mut inner = lock(&self.inner);
        let memo = &mut inner.memo;
        if memo.objects.len() >= memo.prune_at {
            memo.objects.retain(|_, (weak, _)| weak.strong_count() > 0);
            memo.prune_at = (memo.objects.len() * 2).max(MEMO_PRUNE_FLOOR);
        }
        let kept = memo.objects.entry(key).or_insert_with(|| (Arc::downgrade(&version), object));
        Ok(kept.1.clone_ref(py))
    }

    /// A flight's outcome for Python: the version's object, or the error raised.
    fn outcome_of(&self, py: Python<'_>, outcome: csms_core::Result<Arc<CachedVersion>>) -> Res<Py<PyAny>> {
        self.object(py, outcome?)
    }
}

#[pymethods]
impl NativeCacheState {
    /// A cache state: `ttl` and `max_stale` in seconds (`max_stale` None: no limit),
    /// `max_entries` secrets at most, `seed` for the jitter, `wrap` making a version's object.
    #[new]
    #[pyo3(signature = (ttl, max_entries, max_stale, seed, wrap))]
    fn new(
        py: Python<'_>,
        ttl: f64,
        max_entries: u64,
        max_stale: Option<f64>,
        seed: u64,
        wrap: Py<PyAny>,
    ) -> PyResult<Self> {
        guard(py, || {
            let config = CacheConfig {
                ttl: seconds(ttl, "ttl")?,
                max_entries: usize::try_from(max_entries).map_err(|_| invalid("max_entries", "is too large"))?,
                max_stale: max_stale.map(|s| seconds(s, "max_stale")).transpose()?,
            };
            let state = CacheState::new(config, seed)?;
            let memo = Memo { objects: HashMap::new(), prune_at: MEMO_PRUNE_FLOOR };
            Ok(NativeCacheState { inner: Mutex::new(Inner { state, memo }), wrap })
        })
    }

    /// A read of `stage` (None: `SYSCURRENT`) or `version_id` of the secret `name` at `now`:
    /// the version's object (a hit), or `(0, flight id)` to wait for a flight, or
    /// `(1, Flight)` to send one; raises the error the core answers with.
    #[pyo3(signature = (name, stage, version_id, now))]
    fn get(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        stage: &Bound<'_, PyAny>,
        version_id: &Bound<'_, PyAny>,
        now: f64,
    ) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let name = text(name, "name")?;
            let target = match (stage.is_none(), version_id.is_none()) {
                (false, false) => return Err(invalid("version_id", "give a stage or a version_id, not both")),
                (true, false) => Target::Version(text(version_id, "version_id")?),
                (false, true) => Target::Stage(text(stage, "stage")?),
                (true, true) => Target::Stage(CURRENT),
            };
            let lookup = lock(&self.inner).state.get(name, target, now_of(now));
            match lookup {
                Lookup::Hit(version) => self.object(py, version),
                Lookup::Failed(error) => Err(Fail::Core(error)),
                Lookup::Wait(id) => Ok((WAIT, id).into_pyobject(py)?.into_any().unbind()),
                Lookup::Fetch(flight) => {
                    let id = flight.id();
                    let flight = NativeFlight { flight: Mutex::new(Some(flight)), id };
                    Ok((FETCH, flight).into_pyobject(py)?.into_any().unbind())
                }
            }
        })
    }

    /// Hands the outcome of the flight's request in at `now`: `result` is the call's result
    /// dict, or the `CsmsError` it raised. Returns None when the flight has a next request
    /// (`flight.call()`), else the flight's outcome: the version's object, or the error raised.
    fn receive(
        &self,
        py: Python<'_>,
        flight: &Bound<'_, NativeFlight>,
        result: &Bound<'_, PyAny>,
        now: f64,
    ) -> PyResult<Option<Py<PyAny>>> {
        guard(py, || {
            let flight = flight.get();
            let mut slot = lock(&flight.flight);
            let Some(taken) = slot.take() else {
                return Err(invalid("flight", "has ended already"));
            };
            let result = if result.is_instance_of::<pyo3::exceptions::PyBaseException>() {
                Err(error_of(result)?)
            } else {
                Ok(to_json(result, "result", 0)?)
            };
            let progress = lock(&self.inner).state.receive(taken, result, now_of(now));
            match progress {
                Progress::Call(next) => {
                    *slot = Some(next);
                    Ok(None)
                }
                Progress::Done(outcome) => {
                    drop(slot);
                    Ok(Some(self.outcome_of(py, outcome)?))
                }
            }
        })
    }

    /// Ends a flight whose sender gave up (cancelled, or a failure that is not a CSMS
    /// error): its waiters read again. Nothing happens for a flight that ended already.
    fn abandon(&self, flight: &Bound<'_, NativeFlight>) {
        if let Some(taken) = lock(&flight.get().flight).take() {
            lock(&self.inner).state.abandon(taken);
        }
    }

    /// Whether flight `id` is still in progress.
    fn is_flying(&self, id: u64) -> bool {
        lock(&self.inner).state.is_flying(id)
    }

    /// The outcome of flight `id` for a reader that waited for it: the version's object, or
    /// the error raised; None when the flight was abandoned (read again).
    fn outcome(&self, py: Python<'_>, id: u64) -> PyResult<Option<Py<PyAny>>> {
        guard(py, || {
            let outcome = lock(&self.inner).state.outcome(id);
            outcome.map(|o| self.outcome_of(py, o)).transpose()
        })
    }

    /// Makes the next read of every stage of `name` ask the service (unless it did less than
    /// a second ago). Returns whether anything was expired.
    fn refresh(&self, py: Python<'_>, name: &Bound<'_, PyAny>, now: f64) -> PyResult<bool> {
        guard(py, || Ok(lock(&self.inner).state.refresh(text(name, "name")?, now_of(now))))
    }

    /// The stage moves seen since the last call, oldest first: `(secret_name, stage,
    /// from_version, to_version)` each (a version None: no version carried the stage).
    fn take_changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let changes = lock(&self.inner).state.take_changes();
        let list = PyList::empty(py);
        for c in changes {
            list.append(PyTuple::new(
                py,
                [
                    c.secret_name.into_pyobject(py)?.into_any(),
                    c.stage.into_pyobject(py)?.into_any(),
                    c.from.into_pyobject(py)?.into_any(),
                    c.to.into_pyobject(py)?.into_any(),
                ],
            )?)?;
        }
        Ok(list)
    }

    /// Forgets everything cached (flights in progress still end normally).
    fn clear(&self) {
        let mut inner = lock(&self.inner);
        inner.state.clear();
        inner.memo.objects.clear();
    }

    /// How many secrets are cached.
    fn __len__(&self) -> usize {
        lock(&self.inner).state.len()
    }

    fn __repr__(&self) -> String {
        let inner = lock(&self.inner);
        format!("CacheState(entries={}, config={:?})", inner.state.len(), inner.state.config())
    }
}

/// Whether a CSMS error says the stage or version does not exist (the core's `is_absent`):
/// `accepted` leaves such a stage out.
#[pyfunction]
pub fn cache_is_absent(py: Python<'_>, error: &Bound<'_, PyAny>) -> PyResult<bool> {
    guard(py, || Ok(cache::is_absent(&error_of(error)?)))
}

/// The stages `accepted` reads, in order: `SYSCURRENT`, `SYSPREVIOUS`, `SYSPENDING`.
#[pyfunction]
pub fn accepted_stages() -> [&'static str; 3] {
    cache::ACCEPTED_STAGES
}
