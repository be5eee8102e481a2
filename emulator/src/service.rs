//! One request in, one response out: CORS preflight, body size, routing, authentication, project
//! check, input, validation, the operation, and the headers every response carries.

use crate::admin;
use crate::auth::Authenticator;
use crate::clock::{http_date, Clock};
use crate::errors::{codes, ApiError};
use crate::faults::FaultInjector;
use crate::handlers::{self, Ctx, Input, Reply};
use crate::http::{WireRequest, WireResponse};
use crate::input::{build_input, normalise};
use crate::metadata::{self, Metadata};
use crate::persist;
use crate::random::Rng;
use crate::routing::{route, NoRoute};
use crate::state::Store;
use crate::web::{Cors, HostCheck};
use serde_json::Value;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// The state and its change counter.
#[derive(Debug, Default)]
pub(crate) struct Live {
    /// All projects.
    pub store: Store,
    /// Bumped by every change; the data file holds the state of some generation.
    pub generation: u64,
}

/// Writes the data file.
#[derive(Debug)]
pub(crate) struct Persister {
    /// The data file.
    pub path: PathBuf,
    /// The generation the file holds.
    pub written: Mutex<u64>,
}

/// What every connection thread shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub auth: Authenticator,
    pub clock: Clock,
    pub rng: Rng,
    pub live: Mutex<Live>,
    pub persister: Option<Persister>,
    pub max_body: usize,
    pub log: bool,
    pub faults: FaultInjector,
    /// `127.0.0.1:PORT`, used when a request has no `Host`.
    pub host: String,
    /// The `Host` values answered for.
    pub hosts: HostCheck,
    /// The origins that may call from web pages.
    pub cors: Cors,
    /// How long a request (head and body) may take to arrive.
    pub request_timeout: Duration,
    /// The metadata endpoints (`--metadata`), if served.
    pub metadata: Option<Metadata>,
    /// The project the metadata endpoints issue temporary keys for.
    pub metadata_project: String,
    /// How long those keys live, in seconds.
    pub temp_credential_ttl_secs: u64,
    /// How many requests each operation received (metadata ones as `MetadataToken` and
    /// `MetadataSecurityKey`), counted once routed, before authentication.
    pub operations: Mutex<BTreeMap<String, u64>>,
}

/// Locks a mutex, going on after a panic elsewhere (the handlers leave no half-made state
/// that matters more than staying up).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Counts a request of `operation`.
    pub(crate) fn count(&self, operation: &str) {
        *lock(&self.operations).entry(operation.to_owned()).or_default() += 1;
    }

    /// Makes sure the data file holds generation `generation` or a later one.
    /// Concurrent callers share writes: a caller whose change an earlier write already
    /// covered returns at once.
    pub(crate) fn persist(&self, generation: u64) -> std::io::Result<()> {
        let Some(persister) = &self.persister else { return Ok(()) };
        let mut written = lock(&persister.written);
        if *written >= generation {
            return Ok(());
        }
        let (bytes, snapshot) = {
            let live = lock(&self.live);
            (persist::encode(&live.store)?, live.generation)
        };
        persist::write_atomic(&persister.path, &bytes)?;
        *written = snapshot;
        Ok(())
    }
}

/// Answers one request. Never panics: a panic in an operation becomes a 500.
pub(crate) fn handle(shared: &Shared, request: &WireRequest) -> WireResponse {
    let started = Instant::now();
    let request_id = shared.rng.hex32();
    let now = shared.clock.now_ms();
    let mut response = match catch_unwind(AssertUnwindSafe(|| process(shared, request, now, &request_id))) {
        Ok(response) => response,
        Err(_) => error_response(
            &ApiError::internal("Internal service error: the emulator failed on this request"),
            &request_id,
        ),
    };
    finish(&mut response, &request_id, now);
    shared.cors.decorate(request, &mut response);
    if shared.log {
        let path = request.target.split('?').next().unwrap_or("");
        eprintln!(
            "{} {path} -> {} ({request_id}, {} ms)",
            request.method,
            response.status,
            started.elapsed().as_millis()
        );
    }
    response
}

/// Adds the headers of every response: `Date`, `X-Request-Id` and `Content-Type` (CORS
/// headers are added by [`Cors::decorate`] where the request's origin is allowed).
pub(crate) fn finish(response: &mut WireResponse, request_id: &str, now_ms: i64) {
    response.header("Date", http_date(now_ms));
    response.header("X-Request-Id", request_id);
    response.header("Content-Type", "application/json");
}

/// The response of an error (the gateway shape needs the request id in the body).
pub(crate) fn error_response(error: &ApiError, request_id: &str) -> WireResponse {
    let body = serde_json::to_vec(&error.body(request_id)).unwrap_or_default();
    let mut response = WireResponse { status: error.status, headers: Vec::new(), body };
    if error.status == 401 {
        response.header("WWW-Authenticate", "SDK-HMAC-SHA256");
    }
    response
}

fn process(shared: &Shared, request: &WireRequest, now: i64, request_id: &str) -> WireResponse {
    if request.method == "OPTIONS" && shared.cors.is_on() {
        return shared.cors.preflight(request).unwrap_or_else(|e| error_response(&e, request_id));
    }
    let path = strip_origin(&request.target).split('?').next().unwrap_or("");
    if let (Some(service), Some(operation)) = (&shared.metadata, metadata::operation_of(path)) {
        shared.count(operation);
        let project = &shared.metadata_project;
        return match service.answer(shared, request, path, project, shared.temp_credential_ttl_secs, now) {
            Ok(answer) => WireResponse { status: answer.status, headers: Vec::new(), body: answer.body },
            Err(e) => error_response(&e, request_id),
        };
    }
    match answer(shared, request, now) {
        Ok(reply) => {
            let body = match &reply.body {
                Some(value) => serde_json::to_vec(value).unwrap_or_default(),
                None => Vec::new(),
            };
            WireResponse { status: reply.status, headers: Vec::new(), body }
        }
        Err((error, allow)) => {
            let mut response = error_response(&error, request_id);
            if let Some(methods) = allow {
                response.header("Allow", methods.join(", "));
            }
            response
        }
    }
}

type Failure = (ApiError, Option<Vec<&'static str>>);

fn answer(shared: &Shared, request: &WireRequest, now: i64) -> Result<Reply, Failure> {
    if let Some(size) = request.oversized_body {
        return Err((
            ApiError::new(
                413,
                codes::BODY_TOO_LARGE,
                format!("The request body is {size} bytes; the emulator accepts at most {} bytes", shared.max_body),
            ),
            None,
        ));
    }
    let target = strip_origin(&request.target);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if let Some(rest) = path.strip_prefix(admin::PREFIX) {
        return admin::answer(shared, &request.method, rest, &request.body, now).map_err(|e| (e, None));
    }
    let matched = route(&request.method, path).map_err(|e| match e {
        NoRoute::NotFound => (
            ApiError::new(
                404,
                codes::NO_SUCH_PATH,
                format!("The request is invalid: no CSMS operation has the path {path}"),
            ),
            None,
        ),
        NoRoute::WrongMethod(methods) => (
            ApiError::new(
                405,
                codes::METHOD_NOT_ALLOWED,
                format!(
                    "The request is invalid: {path} does not take {}; it takes {}",
                    request.method,
                    methods.join(", ")
                ),
            ),
            Some(methods),
        ),
    })?;

    shared.count(matched.op.name);
    let caller = shared.auth.authenticate(request, target, now, &shared.host).map_err(|e| (e, None))?;
    if let Some(project) = &matched.project_id {
        if *project != caller.project_id {
            return Err((
                ApiError::new(
                    403,
                    codes::FORBIDDEN,
                    format!("Authentication failed: the credential is for another project than `{project}`"),
                ),
                None,
            ));
        }
    }

    let op = matched.op;
    let mut input = build_input(op, &matched.members, query, &request.body).map_err(|e| (e, None))?;
    csms_core::validate(op, &input).map_err(|e| {
        let message = match &e {
            csms_core::Error::Validation { field, reason } => {
                format!("The value of parameter is invalid: invalid `{field}`: {reason}")
            }
            other => other.to_string(),
        };
        (ApiError::invalid(message), None)
    })?;
    normalise(op, &mut input);

    let reply = run_operation(shared, op.name, &caller.project_id, input, now).map_err(|e| (e, None))?;
    if cfg!(debug_assertions) {
        if let Some(body) = &reply.body {
            if let Err(why) = op.decode(body.clone()) {
                return Err((
                    ApiError::internal(format!("emulator bug: the {} response does not decode: {why}", op.name)),
                    None,
                ));
            }
        }
    }
    Ok(reply)
}

/// Runs an operation under the state lock, then saves the state if it changed.
fn run_operation(
    shared: &Shared,
    name: &str,
    project_id: &str,
    input: serde_json::Map<String, Value>,
    now: i64,
) -> Result<Reply, ApiError> {
    let (result, generation) = {
        let mut live = lock(&shared.live);
        let live = &mut *live;
        let project = live.store.projects.entry(project_id.to_owned()).or_default();
        let purged = project.purge_expired(now);
        let mut ctx = Ctx { project, project_id, now, rng: &shared.rng, input: Input(input) };
        let result = handlers::run(name, &mut ctx);
        let changed = purged || matches!(&result, Ok(reply) if reply.changed);
        if changed {
            live.generation += 1;
        }
        (result, changed.then_some(live.generation))
    };
    if let Some(generation) = generation {
        shared.persist(generation).map_err(|e| {
            ApiError::internal(format!("Internal service error: the data file could not be written: {e}"))
        })?;
    }
    result
}

/// `http://host/path?q` (absolute form) becomes `/path?q`; fragments are dropped.
pub(crate) fn strip_origin(target: &str) -> &str {
    let target = target.split('#').next().unwrap_or("");
    for scheme in ["http://", "https://"] {
        if let Some(rest) = target.strip_prefix(scheme) {
            return rest.find('/').map_or("/", |i| &rest[i..]);
        }
    }
    target
}
