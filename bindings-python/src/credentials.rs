//! Credential providers in `csms._native`: a provider's refresh state and memory
//! ([`NativeProvider`]), one fetch from it ([`NativeFetch`]), the credentials it gave
//! ([`NativeLease`]) and what an application's function returns ([`NativeCredentials`]).
//!
//! The core decides everything (`CredentialState`: when to fetch, one fetch at a time, who
//! waits; `Fetch`: the steps of a source). This layer reads the environment and the profile
//! file (in Rust, so that the file's secret never becomes a Python `str`) and hands the rest
//! to the Python driver (`csms.transports`): the metadata requests, the application's
//! function, and the waiting.

use crate::{error_class, guard, invalid, lock, opt_text, outcome_of, sdk_date, type_name, Fail, Res};
use csms_core::provider::{
    self, metadata, Acquire, CredentialState, Fetch, Lease, Memory, Need, Provided, Source, Ticket,
};
use csms_core::{AccessKey, Credentials, Error, SdkDate, SecretString};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyInt, PyString};
use std::collections::HashMap;
use std::sync::Mutex;

/// The environment a provider reads: the process's (`os.environ`, which CPython keeps in the
/// process environment), or a copy of a mapping given.
pub enum Env {
    /// The process environment, read at each fetch.
    Process,
    /// A copy of the mapping given (`env=`), its values wiped when dropped (an SK among them).
    Given(HashMap<String, SecretString>),
}

impl Env {
    /// The mapping `env` (None: the process environment), copied.
    pub fn of(env: Option<&Bound<'_, PyAny>>) -> Res<Env> {
        let Some(env) = env.filter(|e| !e.is_none()) else { return Ok(Env::Process) };
        let items = match env.cast::<PyDict>() {
            Ok(dict) => dict.items().into_any(),
            Err(_) if env.hasattr("items")? => env.call_method0("items")?,
            Err(_) => return Err(invalid("env", format!("must be a mapping of str to str, not {}", type_name(env)))),
        };
        let mut map = HashMap::new();
        for item in items.try_iter()? {
            let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item?.extract()?;
            match (name.cast::<PyString>(), value.cast::<PyString>()) {
                (Ok(name), Ok(value)) => {
                    map.insert(crate::text_of(name, "env")?, SecretString::from(crate::text_of(value, "env")?))
                }
                _ => return Err(invalid("env", "must map str to str")),
            };
        }
        Ok(Env::Given(map))
    }

    /// A variable. The test guard `CSMS_TEST_NO_METADATA` is read from the process
    /// environment whatever the mapping says (as the core's own providers do).
    pub fn var(&self, name: &str) -> Option<String> {
        let process = || std::env::var(name).ok();
        match self {
            Env::Process => process(),
            Env::Given(map) if name == metadata::ENV_TEST_GUARD => {
                process().filter(|v| !v.is_empty()).or_else(|| map.get(name).map(|v| v.expose().to_owned()))
            }
            Env::Given(map) => map.get(name).map(|v| v.expose().to_owned()),
        }
    }
}

/// A provider: its source, the environment it reads, its refresh state and what its last
/// fetch learnt. Thread-safe; one provider shared by several clients fetches for them all.
#[pyclass(frozen, module = "csms._native", name = "Provider")]
pub struct NativeProvider {
    source: Source,
    env: Env,
    state: Mutex<(CredentialState, Memory)>,
}

impl NativeProvider {
    /// Ends the fetch of `ticket` with `result`, keeping what `fetch` learnt.
    fn finish(&self, ticket: Ticket, fetch: Fetch, result: csms_core::Result<Provided>, now: SdkDate) -> Res<Lease> {
        let mut state = lock(&self.state);
        state.1 = fetch.into_memory();
        Ok(state.0.finish(ticket, result, now, self.source.name())?)
    }
}

#[pymethods]
impl NativeProvider {
    /// A provider of `kind` (`environment`, `profile`, `metadata`, `function`, `chain`) with
    /// its `argument` (the profile's path, the metadata endpoint, the function's name), reading
    /// `env` (a mapping; None: the process environment).
    #[new]
    #[pyo3(signature = (kind, argument=None, env=None))]
    fn new(
        py: Python<'_>,
        kind: &str,
        argument: Option<&Bound<'_, PyAny>>,
        env: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let field = match kind {
                "profile" => "path",
                "metadata" => "endpoint",
                _ => "name",
            };
            let source = match (kind, opt_text(argument, field)?) {
                ("environment", _) => Source::Environment,
                ("profile", path) => Source::Profile(path),
                ("metadata", endpoint) => Source::Metadata(endpoint),
                ("function", Some(name)) if !name.is_empty() => Source::Host(name),
                ("function", _) => return Err(invalid("name", "must be a non-empty str")),
                ("chain", _) => Source::Chain,
                _ => return Err(invalid("kind", format!("`{kind}` is not a provider kind"))),
            };
            Ok(NativeProvider { source, env: Env::of(env)?, state: Mutex::default() })
        })
    }

    /// The provider's name in errors: `environment`, `profile`, `metadata`, `default chain`,
    /// or the function's.
    #[getter]
    fn name(&self) -> &str {
        self.source.name()
    }

    /// What a caller about to sign at `now` does (the core's `CredentialState::acquire`):
    /// sign with a `Lease`, run the `Fetch` given (then `step` it to its end), or wait for
    /// the fetch of this number (an int) to end, then `waited(number)` and acquire again.
    fn acquire(slf: &Bound<'_, Self>, now: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        guard(py, || {
            let now = sdk_date(now)?;
            let this = slf.get();
            let mut state = lock(&this.state);
            Ok(match state.0.acquire(now) {
                Acquire::Use(lease) => Py::new(py, NativeLease { lease })?.into_any(),
                Acquire::Fetch(ticket) => {
                    let fetch = Fetch::new(this.source.clone(), std::mem::take(&mut state.1));
                    let running = Mutex::new(Some(Running { ticket, fetch }));
                    Py::new(py, NativeFetch { provider: slf.clone().unbind(), running })?.into_any()
                }
                Acquire::Wait(number) => PyInt::new(py, number).into_any().unbind(),
            })
        })
    }

    /// Whether the fetch of this number is still in flight (a waiter waits while it is).
    fn in_flight(&self, number: u64) -> bool {
        lock(&self.state).0.in_flight() == Some(number)
    }

    /// After waiting for the fetch of this number: raises its error if it failed and left no
    /// credentials (acquire again otherwise).
    fn waited(&self, py: Python<'_>, number: u64) -> PyResult<()> {
        guard(py, || Ok(lock(&self.state).0.waited(number)?))
    }

    /// The service refused the credentials of `generation` as expired: the next caller
    /// fetches (unless newer ones came meanwhile). Returns whether they were the current ones.
    fn invalidate(&self, generation: u64) -> bool {
        lock(&self.state).0.invalidate(generation)
    }

    fn __repr__(&self) -> String {
        format!("Provider({:?})", self.source)
    }
}

/// A fetch in flight: its ticket and the core's state machine.
struct Running {
    ticket: Ticket,
    fetch: Fetch,
}

/// One fetch from a provider, run by the Python driver: `step(now)` until it gives a
/// `Lease` (or raises the provider's error), sending the metadata requests it asks for
/// (`received`) and calling the application's function when it says `"host"` (`called`).
/// `cancel(now)` ends a fetch that did not get there (the driver's `finally`).
#[pyclass(frozen, module = "csms._native", name = "Fetch")]
pub struct NativeFetch {
    provider: Py<NativeProvider>,
    running: Mutex<Option<Running>>,
}

#[pymethods]
impl NativeFetch {
    /// The next thing the fetch needs: `(method, url, headers)` of a request to the metadata
    /// service (to send with 3-second timeouts, no proxy, no redirect), `"host"` (call the
    /// application's function), or, at its end, the `Lease` to sign with. The profile file
    /// is read here. Raises the provider's error when the fetch failed (and no credentials
    /// still work).
    fn step(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        guard(py, || {
            let now = sdk_date(now)?;
            let provider = self.provider.get();
            let mut running = lock(&self.running);
            let Some(current) = running.as_mut() else { return Err(invalid("fetch", "is over")) };
            let lookup = |name: &str| provider.env.var(name);
            loop {
                match current.fetch.next(&lookup) {
                    Need::File(path) => current.fetch.read(csms_core::provider::read_file(&path)),
                    Need::Http(request) => {
                        let parts = (&request.method, &request.url, &request.headers);
                        return Ok(parts.into_pyobject(py)?.into_any().unbind());
                    }
                    Need::Host => return Ok(PyString::new(py, "host").into_any().unbind()),
                    Need::Done(result) => {
                        let Running { ticket, fetch } = running.take().expect("running");
                        let lease = provider.finish(ticket, fetch, result, now)?;
                        return Ok(Py::new(py, NativeLease { lease })?.into_any());
                    }
                }
            }
        })
    }

    /// What happened to the metadata request: `(status, headers, body)`, or the
    /// `TransportError` of a request that got no response.
    fn received(&self, py: Python<'_>, outcome: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let outcome = outcome_of(py, outcome)?;
            if let Some(current) = lock(&self.running).as_mut() {
                current.fetch.received(outcome);
            }
            Ok(())
        })
    }

    /// What the application's function gave: a `csms.Credentials`, or the exception it
    /// raised. Anything else is the provider's error (naming it), as is an exception.
    fn called(&self, py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let outcome = provided_of(value, self.provider.get().source.name())?;
            if let Some(current) = lock(&self.running).as_mut() {
                current.fetch.called(outcome);
            }
            Ok(())
        })
    }

    /// Ends the fetch if it is not over (it was interrupted): waiters then get the provider's
    /// error `the fetch was cancelled`, or keep the credentials that still work.
    fn cancel(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<()> {
        guard(py, || {
            let now = sdk_date(now)?;
            self.end(now);
            Ok(())
        })
    }
}

impl NativeFetch {
    fn end(&self, now: SdkDate) {
        if let Some(Running { ticket, fetch }) = lock(&self.running).take() {
            let provider = self.provider.get();
            let cancelled = provider::provider_error(provider.source.name(), "the fetch was cancelled");
            provider.finish(ticket, fetch, Err(cancelled), now).ok();
        }
    }
}

impl Drop for NativeFetch {
    fn drop(&mut self) {
        // The driver cancels in its `finally`; this is for a fetch dropped half-way without it
        // (only then is the clock read here).
        if lock(&self.running).is_some() {
            self.end(SdkDate::from(std::time::SystemTime::now()));
        }
    }
}

/// What the application's function gave, as the core takes it: its `csms.Credentials`, or
/// the provider's error for an exception it raised (a `CredentialsError` as it is) or a value
/// that is not credentials.
fn provided_of(value: &Bound<'_, PyAny>, name: &str) -> Res<csms_core::Result<Provided>> {
    if let Ok(credentials) = value.cast::<NativeCredentials>() {
        return Ok(Ok(credentials.get().provided.clone()));
    }
    if let Ok(exception) = value.cast::<pyo3::exceptions::PyBaseException>() {
        let py = value.py();
        if error_class(py, |c| &c.credentials)
            .is_some_and(|class| exception.is_instance(class.bind(py)).unwrap_or(false))
        {
            let provider: String = exception.getattr("provider")?.str()?.to_string();
            let reason: String = exception.getattr("reason")?.str()?.to_string();
            return Ok(Err(Error::Credentials { provider, reason }));
        }
        let reason = format!("the function raised {}: {}", type_name(value), exception.str()?);
        return Ok(Err(provider::provider_error(name, reason)));
    }
    let reason = format!("the function returned {}, not csms.Credentials", type_name(value));
    Ok(Err(provider::provider_error(name, reason)))
}

/// Credentials a provider gave, to sign with: the `lease` the client's signer is made from.
/// Nothing secret can be read from it.
#[pyclass(frozen, module = "csms._native", name = "Lease")]
pub struct NativeLease {
    pub(crate) lease: Lease,
}

#[pymethods]
impl NativeLease {
    /// The number of the fetch that gave them (1 for the first).
    #[getter]
    fn generation(&self) -> u64 {
        self.lease.generation
    }

    /// The project id they came with, if any.
    #[getter]
    fn project_id(&self) -> Option<String> {
        self.lease.provided.project_id.clone()
    }

    /// When they expire (Unix seconds), if they do.
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.lease.provided.expires_at.map(|at| at.unix_seconds())
    }

    fn __repr__(&self) -> String {
        format!("Lease(generation={}, expires_at={:?})", self.lease.generation, self.expires_at())
    }
}

/// What an application's function gives a `csms.FunctionCredentials`: an access key (`ak`,
/// `sk`, and `security_token` when temporary) or an IAM token (`auth_token`); `expires_at`
/// (a datetime, naive = UTC, or Unix seconds) when they expire; `project_id` when they name
/// one. The secrets go into the native layer at once and are never shown (`repr` gives
/// `***`); they are checked (visible ASCII, an SK not empty) when the provider takes them.
#[pyclass(frozen, module = "csms", name = "Credentials")]
pub struct NativeCredentials {
    provided: Provided,
}

#[pymethods]
impl NativeCredentials {
    #[new]
    #[pyo3(signature = (*, ak=None, sk=None, security_token=None, auth_token=None, expires_at=None, project_id=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        ak: Option<&Bound<'_, PyAny>>,
        sk: Option<&Bound<'_, PyAny>>,
        security_token: Option<&Bound<'_, PyAny>>,
        auth_token: Option<&Bound<'_, PyAny>>,
        expires_at: Option<&Bound<'_, PyAny>>,
        project_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        guard(py, || {
            let (ak, sk) = (opt_text(ak, "ak")?, opt_text(sk, "sk")?);
            let security_token = opt_text(security_token, "security_token")?;
            let credentials = match (ak, sk, opt_text(auth_token, "auth_token")?) {
                (Some(ak), Some(sk), None) => {
                    let key = AccessKey::new(ak, SecretString::from(sk));
                    Credentials::AccessKey(match security_token {
                        Some(token) => key.with_security_token(token),
                        None => key,
                    })
                }
                (None, None, Some(token)) if security_token.is_none() => Credentials::Token(token.into()),
                (_, _, Some(_)) => {
                    return Err(invalid("auth_token", "give either ak and sk (and security_token) or auth_token"))
                }
                (None, _, None) => return Err(invalid("ak", "is required (or give auth_token)")),
                (Some(_), None, None) => return Err(invalid("sk", "is required")),
            };
            let expires_at = match expires_at.filter(|at| !at.is_none()) {
                Some(at) if at.is_instance_of::<PyString>() => {
                    return Err(invalid("expires_at", "must be a datetime or Unix seconds, not str"))
                }
                Some(at) => Some(sdk_date(at).map_err(|e| rename(e, "expires_at"))?),
                None => None,
            };
            let project_id = opt_text(project_id, "project_id")?;
            Ok(NativeCredentials { provided: Provided { credentials, expires_at, project_id } })
        })
    }

    /// The access key id (None for an IAM token).
    #[getter]
    fn ak(&self) -> Option<&str> {
        match &self.provided.credentials {
            Credentials::AccessKey(key) => Some(&key.ak),
            Credentials::Token(_) => None,
        }
    }

    /// When they expire, in Unix seconds (None: they do not).
    #[getter]
    fn expires_at(&self) -> Option<i64> {
        self.provided.expires_at.map(|at| at.unix_seconds())
    }

    /// The project id they name, if any.
    #[getter]
    fn project_id(&self) -> Option<&str> {
        self.provided.project_id.as_deref()
    }

    fn __repr__(&self) -> String {
        let what = match &self.provided.credentials {
            Credentials::AccessKey(key) => {
                let token = if key.security_token.is_some() { ", security_token=***" } else { "" };
                format!("ak={:?}, sk=***{token}", key.ak)
            }
            Credentials::Token(_) => "auth_token=***".to_owned(),
        };
        let expires = self.expires_at().map(|at| format!(", expires_at={at}")).unwrap_or_default();
        let project = self.provided.project_id.as_ref().map(|p| format!(", project_id={p:?}")).unwrap_or_default();
        format!("Credentials({what}{expires}{project})")
    }
}

/// A validation error of `at` renamed to `field`.
fn rename(fail: Fail, field: &str) -> Fail {
    match fail {
        Fail::Core(Error::Validation { reason, .. }) => invalid(field, reason),
        other => other,
    }
}

/// The CSMS endpoint the environment `env` (a mapping; None: the process's) names for
/// `region` (the core's `resolve_endpoint`): `(endpoint, region)`.
#[pyfunction]
#[pyo3(signature = (region=None, env=None))]
pub fn resolve_endpoint(
    py: Python<'_>,
    region: Option<&Bound<'_, PyAny>>,
    env: Option<&Bound<'_, PyAny>>,
) -> PyResult<(String, Option<String>)> {
    guard(py, || {
        let env = Env::of(env)?;
        let region = opt_text(region, "region")?;
        Ok(provider::resolve_endpoint(region.as_deref(), &|name: &str| env.var(name))?)
    })
}

/// The project id of a client configured from the environment `env` (None: the process's):
/// `HUAWEICLOUD_SDK_PROJECT_ID`, else the one `lease` came with (the core's `project_id`).
#[pyfunction]
#[pyo3(signature = (env=None, lease=None))]
pub fn project_id(
    py: Python<'_>,
    env: Option<&Bound<'_, PyAny>>,
    lease: Option<PyRef<'_, NativeLease>>,
) -> PyResult<String> {
    guard(py, || {
        let env = Env::of(env)?;
        let given = lease.as_ref().and_then(|l| l.lease.provided.project_id.as_deref());
        Ok(provider::project_id(&|name: &str| env.var(name), given)?)
    })
}
