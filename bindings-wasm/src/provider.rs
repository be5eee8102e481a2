//! Credential providers for `js/index.js`: a provider's refresh state ([`WasmProvider`], over
//! the core's `CredentialState`, its `Memory` and `Source`) and one fetch from it
//! ([`WasmFetch`], over the core's `Fetch`). Every decision is the core's; JavaScript does
//! the I/O a fetch names (the metadata requests, reading the profile file, calling the
//! application's function), keeps one Promise per provider for the fetch in flight, and
//! reads the environment through the [`Env`] it passes in.
//!
//! ```text
//! let code = provider.acquire(now);          // -1: credentials ready; 0: fetch; n: wait for fetch n
//! const fetch = provider.fetch();            // (code 0) the caller that fetches
//! for (;;) {
//!   const need = JSON.parse(fetch.next(env)); // {http: request} | {file: path} | {host: true} | {}
//!   ...                                      // fetch.received / failed / read / called
//! }
//! provider.finish(fetch, now);               // throws the fetch's error, if it failed
//! provider.waited(n);                        // (code n) after fetch n ended: its error, if any
//! ```

use crate::attempts::local_time;
use crate::{js_err, json_value, Wire};
use csms_core::provider::{self, Acquire, CredentialState, Fetch, Memory, Need, Provided, Source, Ticket};
use csms_core::{push_json_str, CredentialOptions, Error, HttpResponse, SecretString};
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// The environment as JavaScript reads it: `get(name)` is the variable's value or
    /// undefined, and never throws.
    pub type Env;

    #[wasm_bindgen(method, structural)]
    fn get(this: &Env, name: &str) -> Option<String>;
}

impl Env {
    fn lookup(&self) -> impl Fn(&str) -> Option<String> + '_ {
        move |name: &str| self.get(name)
    }
}

/// A credential provider's refresh state: the credentials in use and when to fetch again
/// (one fetch at a time), and what the last fetch learnt.
#[wasm_bindgen]
pub struct WasmProvider {
    pub(crate) state: CredentialState,
    memory: Memory,
    source: Source,
    /// The ticket of the fetch in flight.
    ticket: Option<Ticket>,
}

#[wasm_bindgen]
impl WasmProvider {
    /// A provider of `kind`: `environment`, `profile` (`arg`: the file, else the one the
    /// environment names), `metadata` (`arg`: the endpoint, else the environment's or the
    /// default address), `function` (`arg`: its name in errors), `chain` (the default chain).
    #[wasm_bindgen(constructor)]
    pub fn new(kind: &str, arg: Option<String>) -> WasmProvider {
        let source = match kind {
            "environment" => Source::Environment,
            "profile" => Source::Profile(arg),
            "metadata" => Source::Metadata(arg),
            "function" => Source::Host(arg.unwrap_or_else(|| kind.to_owned())),
            _ => Source::Chain,
        };
        WasmProvider { state: CredentialState::new(), memory: Memory::default(), source, ticket: None }
    }

    /// What a caller about to sign at `now` (seconds) does: `-1` use the current
    /// credentials, `0` fetch (this caller: [`WasmProvider::fetch`]), `n` wait for fetch
    /// number `n` to end, then [`WasmProvider::waited`] and acquire again.
    pub fn acquire(&mut self, now: f64) -> Result<f64, JsValue> {
        let acquired = self.state.acquire(local_time(now)?);
        Ok(self.acquired(acquired))
    }

    /// The fetch of the caller that got `0` from [`WasmProvider::acquire`].
    pub fn fetch(&mut self) -> WasmFetch {
        let memory = std::mem::take(&mut self.memory);
        WasmFetch { inner: Fetch::new(self.source.clone(), memory), name: self.source.name().to_owned(), done: None }
    }

    /// Ends the fetch in flight with what `fetch` got (a fetch cut short counts as failed),
    /// at `now` (seconds). Throws its error when it left no credentials to sign with.
    pub fn finish(&mut self, fetch: WasmFetch, now: f64) -> Result<(), JsValue> {
        let WasmFetch { inner, done, .. } = fetch;
        self.memory = inner.into_memory();
        let result =
            done.unwrap_or_else(|| Err(provider::provider_error(self.source.name(), "the fetch was cut short")));
        let Some(ticket) = self.ticket.take() else { return Ok(()) };
        self.state.finish(ticket, result, local_time(now)?, self.source.name()).map(drop).map_err(js_err)
    }

    /// After waiting for fetch number `fetch`: throws its error if it failed and left no
    /// credentials.
    pub fn waited(&self, fetch: f64) -> Result<(), JsValue> {
        self.state.waited(fetch as u64).map_err(js_err)
    }

    /// The project id of a client configured from `env`: `HUAWEICLOUD_SDK_PROJECT_ID`, else
    /// the one the current credentials came with (the core's `project_id`).
    #[wasm_bindgen(js_name = projectId)]
    pub fn project_id(&self, env: &Env, now: f64) -> Result<String, JsValue> {
        let lease = self.state.usable(local_time(now)?);
        let named = lease.and_then(|lease| lease.provided.project_id.as_deref());
        provider::project_id(&env.lookup(), named).map_err(js_err)
    }
}

impl WasmProvider {
    /// An [`Acquire`] as the number JavaScript gets (see [`WasmProvider::acquire`]).
    pub(crate) fn acquired(&mut self, acquired: Acquire) -> f64 {
        match acquired {
            Acquire::Use(_) => -1.0,
            Acquire::Fetch(ticket) => {
                self.ticket = Some(ticket);
                0.0
            }
            Acquire::Wait(fetch) => fetch as f64,
        }
    }
}

/// One fetch from a provider (the core's `Fetch`): `next(env)` says what it needs, and the
/// other methods hand in what happened.
#[wasm_bindgen]
pub struct WasmFetch {
    inner: Fetch,
    /// The provider's name in errors.
    name: String,
    done: Option<csms_core::Result<Provided>>,
}

#[wasm_bindgen]
impl WasmFetch {
    /// What the fetch needs next, as JSON text: `{"http": {method, url, headers, body}}`
    /// (send it within the metadata timeout, following no redirect), `{"file": path}` (read
    /// it as UTF-8 text), `{"host": true}` (call the application's function), or `{}` (over:
    /// [`WasmProvider::finish`]).
    pub fn next(&mut self, env: &Env) -> String {
        let mut out = String::from("{");
        match self.inner.next(&env.lookup()) {
            Need::Http(request) => {
                out.push_str("\"http\":");
                out.push_str(&Wire::of(&request).json());
            }
            Need::File(path) => {
                out.push_str("\"file\":");
                push_json_str(&mut out, &path);
            }
            Need::Host => out.push_str("\"host\":true"),
            Need::Done(result) => self.done = Some(result),
        }
        out.push('}');
        out
    }

    /// The metadata request got a response (any status).
    pub fn received(&mut self, status: u16, body: &str) {
        self.inner.received(Ok(HttpResponse::new(status, vec![], body.as_bytes().to_vec())));
    }

    /// The metadata request got no response: `reason`, and whether its timeout ended it.
    pub fn failed(&mut self, reason: &str, timed_out: bool) {
        let error = Error::Transport { reason: reason.to_owned(), maybe_sent: true, timed_out, not_retried: None };
        self.inner.received(Err(error));
    }

    /// The file's text, or (`text` undefined) why it could not be read.
    pub fn read(&mut self, text: Option<String>, why: &str) {
        self.inner.read(text.ok_or_else(|| why.to_owned()));
    }

    /// The application's function returned: `result` is the JSON text of what it gave
    /// (`{ak, sk, securityToken?, expiresAt?, projectId?}` or `{authToken, ...}`,
    /// `expiresAt` in milliseconds since the epoch), or, undefined, it failed: `why`.
    pub fn called(&mut self, result: Option<String>, why: &str) {
        let outcome = match result {
            Some(text) => host_result(&SecretString::from(text)),
            None => Err(format!("the function failed: {why}")),
        };
        self.inner.called(outcome.map_err(|reason| provider::provider_error(&self.name, reason)));
    }
}

/// What a host function gave, read from the JSON text of its result, or why it is refused
/// (anything else than the members it may give, each of its type; no value is quoted).
fn host_result(text: &SecretString) -> Result<Provided, String> {
    let mut value = json_value(text.expose()).map_err(|_| "its result is not JSON".to_owned())?;
    let read = read_host_result(&value).map_err(|e| format!("it returned {e}"));
    csms_core::zeroize_json(&mut value);
    read
}

fn read_host_result(value: &Value) -> csms_core::Result<Provided> {
    let Value::Object(members) = value else {
        let shape = "{ak, sk, securityToken?, expiresAt?, projectId?} or {authToken, expiresAt?, projectId?}";
        return Err(Error::validation("result", format!("not an object {shape}")));
    };
    let mut credentials = CredentialOptions::default();
    let (mut expires_at, mut project_id) = (None, None);
    for (key, v) in members {
        if key == "expiresAt" && !v.is_null() {
            let ms =
                v.as_f64().ok_or_else(|| Error::validation(key, "must be a Date or milliseconds since the epoch"))?;
            expires_at = Some(csms_core::SdkDate::from_unix((ms / 1000.0).floor() as i64));
            continue;
        }
        let text = match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(Error::validation(key, "must be a string")),
        };
        match key.as_str() {
            "ak" => credentials.ak = text,
            "sk" => credentials.sk = text.map(SecretString::from),
            "securityToken" => credentials.security_token = text.map(SecretString::from),
            "authToken" => credentials.auth_token = text.map(SecretString::from),
            "projectId" => project_id = text,
            "expiresAt" => {}
            _ => return Err(Error::validation(key, "is not a member of credentials")),
        }
    }
    let mut provided = Provided::new(credentials.into_credentials()?);
    provided.expires_at = expires_at;
    provided.project_id = project_id;
    Ok(provided)
}

/// The CSMS endpoint and region of a client configured from `env` (the core's
/// `resolve_endpoint`), as the JSON text of `[endpoint, region]` (`region` null when none).
#[wasm_bindgen(js_name = resolveEndpoint)]
pub fn resolve_endpoint(region: Option<String>, env: &Env) -> Result<String, JsValue> {
    let (endpoint, region) = provider::resolve_endpoint(region.as_deref(), &env.lookup()).map_err(js_err)?;
    let mut out = String::from("[");
    push_json_str(&mut out, &endpoint);
    out.push(',');
    match region {
        Some(region) => push_json_str(&mut out, &region),
        None => out.push_str("null"),
    }
    out.push(']');
    Ok(out)
}
