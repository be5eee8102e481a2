//! WebAssembly bindings of `csms-core` for the `csms` npm package.
//!
//! The JavaScript entry points in `js/` wrap these exports: they map camelCase options to
//! the core's wire names, turn the plain error objects thrown here into `Error`
//! subclasses, and do the I/O (fetch or a custom transport). Nothing here reads the clock
//! or opens a socket.
//!
//! Errors cross the boundary as plain objects `{kind, message, field?, status?,
//! error_code?, error_msg?, request_id?, retry_after_ms?, maybe_sent?, timed_out?, not_retried?,
//! provider?, step?}`. A Rust panic aborts (traps), and JavaScript throws an `internal` error
//! for it. The release module (built with `panic = immediate-abort`, see `build.sh`) traps at
//! once, without the panic's message; a build with `panic = abort` (stable Rust) keeps the
//! message in a panic hook, which JavaScript fetches with `takePanic()`.

mod allocator;

use csms_core::provider::SignerCache;
use csms_core::{
    json_text, operation_names, push_json_str, AccessKey, Client, ClientOptions, DerivedScope, Error, HttpRequest,
    HttpResponse, Input, OperationSpec, SdkDate, SecretString, Signer, OPERATIONS,
};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

mod attempts;
mod cache;
mod paginate;
mod provider;
mod rotation;

const USER_AGENT: &str = concat!("csms-sdk-js/", env!("CARGO_PKG_VERSION"));

thread_local! {
    #[cfg(not(panic = "immediate-abort"))]
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
    /// The signer of the last `signRequest` call and what it was made from, so that signing
    /// again with the same key skips its set-up (the HMAC pads; the key pair derivation of
    /// the asymmetric algorithms, which costs far more than a signature).
    static LAST_SIGNER: RefCell<Option<(SignerKey, Signer)>> = const { RefCell::new(None) };
}

/// What a `signRequest` signer is made from (secrets zeroized when dropped).
struct SignerKey {
    ak: String,
    sk: SecretString,
    security_token: Option<SecretString>,
    algorithm: String,
    scope: Option<DerivedScope>,
}

impl SignerKey {
    /// Whether a signer made from these arguments would be the same.
    fn is(&self, ak: &str, sk: &str, token: Option<&str>, algorithm: &str, scope: Option<&DerivedScope>) -> bool {
        self.ak == ak
            && self.sk.expose() == sk
            && self.security_token.as_ref().map(SecretString::expose) == token
            && self.algorithm == algorithm
            && self.scope.as_ref() == scope
    }
}

/// Installs the panic hook (called once by the JS loader); returns whether panics keep their
/// message (false with `panic = immediate-abort`: there is no hook, a panic traps at once).
#[wasm_bindgen(js_name = installPanicHook)]
pub fn install_panic_hook() -> bool {
    #[cfg(not(panic = "immediate-abort"))]
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        PANIC.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = Some(message);
            }
        });
    }));
    cfg!(not(panic = "immediate-abort"))
}

/// The message of the last panic, if any (and forgets it); always `None` with
/// `panic = immediate-abort`.
#[wasm_bindgen(js_name = takePanic)]
pub fn take_panic() -> Option<String> {
    last_panic()
}

#[cfg(not(panic = "immediate-abort"))]
fn last_panic() -> Option<String> {
    PANIC.with(|slot| slot.try_borrow_mut().ok().and_then(|mut s| s.take()))
}

#[cfg(panic = "immediate-abort")]
fn last_panic() -> Option<String> {
    None
}

/// An error as the JSON text of the plain object the JS side turns into an `Error` subclass.
/// Written member by member (a `Map` of `Value`s first cost more code in the module).
fn error_js(err: &Error) -> JsValue {
    fn text(out: &mut String, name: &str, value: &str) {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        push_json_str(out, value);
    }
    fn raw(out: &mut String, name: &str, value: &str) {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":");
        out.push_str(value);
    }
    fn flag(out: &mut String, name: &str, value: bool) {
        raw(out, name, if value { "true" } else { "false" });
    }
    fn number(out: &mut String, name: &str, value: u64) {
        raw(out, name, &json_text(&Value::from(value)));
    }
    let mut out = String::from("{\"kind\":\"");
    out.push_str(err.kind());
    out.push('"');
    text(&mut out, "message", &err.to_string());
    match err {
        Error::Validation { field, reason } => {
            text(&mut out, "field", field);
            text(&mut out, "reason", reason);
        }
        Error::Api { status, error_code, error_msg, request_id, retry_after_secs, signature, .. } => {
            if let Some(signed) = signature {
                text(&mut out, "canonical_request", &signed.canonical_request);
                text(&mut out, "string_to_sign", &signed.string_to_sign);
            }
            number(&mut out, "status", (*status).into());
            text(&mut out, "error_code", error_code);
            text(&mut out, "error_msg", error_msg);
            text(&mut out, "request_id", request_id);
            if let Some(secs) = retry_after_secs {
                number(&mut out, "retry_after_ms", u64::from(*secs) * 1000);
            }
        }
        Error::Decode { reason, status, request_id } => {
            text(&mut out, "reason", reason);
            number(&mut out, "status", (*status).into());
            text(&mut out, "request_id", request_id);
        }
        Error::Transport { reason, maybe_sent, timed_out, .. } => {
            text(&mut out, "reason", reason);
            flag(&mut out, "maybe_sent", *maybe_sent);
            flag(&mut out, "timed_out", *timed_out);
        }
        Error::Credentials { provider, reason } => {
            text(&mut out, "provider", provider);
            text(&mut out, "reason", reason);
        }
        Error::Rotation { step, reason } => {
            text(&mut out, "step", step);
            text(&mut out, "reason", reason);
        }
        _ => {}
    }
    if let Some(why) = err.not_retried() {
        text(&mut out, "not_retried", why);
    }
    out.push('}');
    JsValue::from_str(&out)
}

fn js_err(err: Error) -> JsValue {
    error_js(&err)
}

/// The core's error from the JSON text of an error object as `js/errors.js` writes it (the
/// members `error_js` writes): an error of this package as itself, anything else (`kind`
/// empty) a transport failure with the `reason` given (the class and message of what the
/// application threw).
fn error_from_json(text: &str) -> Error {
    let value = json_value(text).unwrap_or(Value::Null);
    let text = |name: &str| value[name].as_str().unwrap_or_default().to_owned();
    let optional = |name: &str| value[name].as_str().map(str::to_owned);
    let status = value["status"].as_u64().unwrap_or_default().min(u16::MAX.into()) as u16;
    match value["kind"].as_str().unwrap_or_default() {
        "validation" => Error::validation(text("field"), text("reason")),
        "api" => Error::Api {
            status,
            error_code: text("error_code"),
            error_msg: text("error_msg"),
            request_id: text("request_id"),
            not_retried: optional("not_retried"),
            retry_after_secs: value["retry_after_ms"].as_u64().map(|ms| (ms / 1000).min(u32::MAX.into()) as u32),
            signature: None,
        },
        "decode" => Error::Decode { reason: text("reason"), status, request_id: text("request_id") },
        "credentials" => Error::Credentials { provider: text("provider"), reason: text("reason") },
        "rotation" => Error::Rotation { step: text("step"), reason: text("reason") },
        kind => Error::Transport {
            reason: text("reason"),
            maybe_sent: kind == "transport" && value["maybe_sent"].as_bool().unwrap_or(true),
            timed_out: value["timed_out"].as_bool().unwrap_or_default(),
            not_retried: optional("not_retried"),
        },
    }
}

// JSON text as a value, read by the core's reader (the one it reads bodies with: serde_json's
// would be a second JSON reader in the module).
use csms_core::json::parse_str as json_value;

/// The operation numbered `index` in the order of `operationNames` (the JS side numbers the
/// names it knows: no name to copy in nor to search for), or, when `name` is given, the one
/// called `name` (the core's error, with the close names, when there is none).
fn operation_of(index: u32, name: Option<String>) -> Result<&'static OperationSpec, JsValue> {
    match (name, OPERATIONS.get(index as usize)) {
        (None, Some(op)) => Ok(op),
        (name, _) => csms_core::operation(name.as_deref().unwrap_or_default()).map_err(js_err),
    }
}

fn parse_json(text: &str, what: &str) -> Result<Value, JsValue> {
    json_value(text).map_err(|e| js_err(Error::validation(what, e.to_string())))
}

/// An operation's input as `inputText` in js/index.js writes it: JSON text, or, when every
/// member is a string, each name and value after a NUL (`\0name\0value...`; JSON text
/// never starts with a NUL). The values are wiped with the input once the request is built.
pub(crate) fn input_of(text: &str, op: &OperationSpec) -> Result<Input, JsValue> {
    let Some(pairs) = text.strip_prefix('\0') else {
        return Input::parse_json(text, op.name).map_err(js_err);
    };
    let mut input = Input::new();
    let mut parts = pairs.split('\0');
    while let (Some(name), Some(value)) = (parts.next(), parts.next()) {
        input.push(name.to_owned(), Value::String(value.to_owned()));
    }
    Ok(input)
}

/// The signing time: `text`, an `X-Sdk-Date` string, when given, else `seconds` since the
/// epoch. Two plain arguments rather than one `JsValue`: reading a `JsValue` calls back
/// into JavaScript (a number through a `DataView`, a string copied in), on every call.
fn sdk_date(seconds: f64, text: Option<String>) -> Result<SdkDate, JsValue> {
    match text {
        Some(text) => SdkDate::parse(&text).map_err(js_err),
        None if seconds.is_finite() => Ok(SdkDate::from_unix(seconds.floor() as i64)),
        None => {
            Err(js_err(Error::validation("at", "must be a Date, a number of seconds or a YYYYMMDDTHHMMSSZ string")))
        }
    }
}

/// A request as the JS side reads it: its method, URL, body and headers, borrowed (from a
/// request, or from the call's unsigned request and the core's signed headers).
pub(crate) struct Wire<'a> {
    method: &'a str,
    url: &'a str,
    body: &'a [u8],
    headers: Vec<(&'a str, Cow<'a, str>)>,
}

impl<'a> Wire<'a> {
    /// `request` as it is.
    pub(crate) fn of(request: &'a HttpRequest) -> Self {
        let mut headers = Vec::with_capacity(request.headers.len());
        for (name, value) in &request.headers {
            headers.push((name.as_str(), Cow::Borrowed(value.as_str())));
        }
        Wire::signed(request, headers)
    }

    /// The method, URL and body of `request` with `headers` (its signed headers).
    pub(crate) fn signed(request: &'a HttpRequest, headers: Vec<(&'a str, Cow<'a, str>)>) -> Self {
        Wire { method: &request.method, url: &request.url, body: &request.body, headers }
    }

    /// The JSON text of `{method, url, headers, body}` (`body` null when empty).
    pub(crate) fn json(&self) -> String {
        let mut out = String::with_capacity(128 + self.url.len() + self.body.len() + 64 * self.headers.len());
        out.push_str("{\"method\":");
        push_json_str(&mut out, self.method);
        out.push_str(",\"url\":");
        push_json_str(&mut out, self.url);
        out.push_str(",\"headers\":{");
        for (i, (name, value)) in self.headers.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            push_json_str(&mut out, name);
            out.push(':');
            push_json_str(&mut out, value);
        }
        out.push_str("},\"body\":");
        if self.body.is_empty() {
            out.push_str("null");
        } else {
            push_json_str(&mut out, &String::from_utf8_lossy(self.body));
        }
        out.push('}');
        out
    }

    /// The request as `requestOf` in js/index.js reads it: method, URL, body, then each
    /// header's name and value, separated by NUL. Splitting at NUL costs the JS side less
    /// than parsing JSON, and nothing needs escaping here. When one of them holds a NUL itself
    /// (not so in a request the core builds: its URL is percent-encoded, its JSON body escapes
    /// control characters) or the method starts with `{`, the JSON text of [`Wire::json`]
    /// instead, which starts with `{`.
    pub(crate) fn text(&self) -> String {
        // A body the core builds is UTF-8 (JSON text): `from_utf8` checks it word by word
        // where the lossy decoding goes byte by byte; that only for other bodies.
        let body = match std::str::from_utf8(self.body) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(self.body),
        };
        // Each part checked for a NUL (a word-at-a-time search) and its length summed, then
        // one buffer of the exact length written part by part.
        let mut len = self.method.len() + self.url.len() + body.len() + 2;
        let mut clean = !self.method.starts_with('{') && !has_nul(self.method) && !has_nul(self.url) && !has_nul(&body);
        for (name, value) in &self.headers {
            len += name.len() + value.len() + 2;
            clean &= !has_nul(name) && !has_nul(value);
        }
        if !clean {
            return self.json();
        }
        let mut out = String::with_capacity(len);
        out.push_str(self.method);
        out.push('\0');
        out.push_str(self.url);
        out.push('\0');
        out.push_str(&body);
        for (name, value) in &self.headers {
            out.push('\0');
            out.push_str(name);
            out.push('\0');
            out.push_str(value);
        }
        out
    }
}

/// Whether `text` holds a NUL.
fn has_nul(text: &str) -> bool {
    text.as_bytes().contains(&0)
}

/// Header pairs from a JS object `{name: value}` (already normalised by the JS side).
fn headers_from(value: &Value) -> Vec<(String, String)> {
    // Loops: each `collect` is code of its own in the module.
    let mut headers = Vec::new();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                headers.push((k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| json_text(v))));
            }
        }
        Value::Array(pairs) => {
            for pair in pairs {
                if let (Some(Value::String(k)), Some(Value::String(v))) = (pair.get(0), pair.get(1)) {
                    headers.push((k.clone(), v.clone()));
                }
            }
        }
        _ => {}
    }
    headers
}

/// The names of every operation (PascalCase), sorted, separated by `,`.
#[wasm_bindgen(js_name = operationNames)]
pub fn operation_names_js() -> String {
    // By hand: `join` brings a generic copy routine into the module.
    let mut out = String::new();
    for name in operation_names() {
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(name);
    }
    out
}

/// A configured client; options use the core's wire names (`project_id`, ...).
#[wasm_bindgen]
pub struct WasmClient {
    inner: Client,
    /// The signing client of a credential provider's current credentials.
    signers: RefCell<SignerCache>,
}

#[wasm_bindgen]
impl WasmClient {
    /// Checks the options (JSON text) and makes a client. `user_agent`, when given, is
    /// appended to `csms-sdk-js/<version>`; without it no User-Agent is sent (browsers cannot
    /// set it, and a signed header that is not sent breaks the signature).
    #[wasm_bindgen(constructor)]
    pub fn new(options: &str) -> Result<WasmClient, JsValue> {
        let value = parse_json(options, "options")?;
        let options = ClientOptions::from_json(&value).map_err(js_err)?;
        let wants_agent = options.user_agent.is_some();
        let mut config = options.into_config_with_agent(Some(USER_AGENT)).map_err(js_err)?;
        if !wants_agent {
            config.user_agent = None;
        }
        Ok(WasmClient { inner: Client::new(config).map_err(js_err)?, signers: RefCell::default() })
    }

    /// Validates `input` (JSON text) and builds the signed request, returned as one text
    /// (`Wire::text`: its parts separated by NUL). Text crosses the boundary on this hot
    /// path: one native `JSON.stringify` and a few `indexOf`/`slice` on the JS side cost far
    /// less than walking the objects property by property.
    ///
    /// The operation is the one numbered `index` in the order of `operationNames` or, when given, the
    /// one called `name`. The time is `at_text` (an `X-Sdk-Date` string) when given, else `at`
    /// seconds.
    pub fn build(
        &self,
        index: u32,
        name: Option<String>,
        input: &str,
        at: f64,
        at_text: Option<String>,
    ) -> Result<String, JsValue> {
        let at = sdk_date(at, at_text)?;
        let op = operation_of(index, name)?;
        let request = self.inner.prepare_input(op, &input_of(input, op)?).map_err(js_err)?;
        let headers = self.inner.authenticated_headers(&request, at).map_err(js_err)?;
        Ok(Wire::signed(&request, headers).text())
    }

    /// Turns a response into the operation's result (JSON text), or throws an error object.
    /// `headers` is the JSON text of an object `{name: value}`.
    pub fn parse(&self, operation: &str, status: u16, headers: &str, body: &str) -> Result<String, JsValue> {
        let headers = json_value(headers).unwrap_or(Value::Null);
        let response = HttpResponse::new(status, headers_from(&headers), body.as_bytes().to_vec());
        let value = self.inner.parse_response(operation, &response).map_err(js_err)?;
        Ok(json_text(&value))
    }

    /// The endpoint requests go to.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.config().endpoint.clone()
    }
}

/// The signer alone (for the conformance vectors of kind `sign`): the JS side unpacks
/// `{credentials: {ak, sk, security_token?}, algorithm, derived?: {region_id, service}, at,
/// request: {method, url, headers, body}}` into these arguments (`headers` as the JSON text
/// of an object, `derived` as `region`/`service`, absent when there is none; `at` as seconds,
/// or `at_text` when it is an `X-Sdk-Date` string); returns the
/// signed request as one text (`Wire::text`). Plain arguments instead of one JSON document: this is the
/// hot path of `signRequest`, and parsing the document cost more than signing.
#[wasm_bindgen(js_name = signRequest)]
#[allow(clippy::too_many_arguments)]
pub fn sign_request(
    ak: &str,
    sk: &str,
    security_token: Option<String>,
    algorithm: &str,
    region: Option<String>,
    service: Option<String>,
    at: f64,
    at_text: Option<String>,
    method: &str,
    url: &str,
    headers: &str,
    body: &str,
) -> Result<String, JsValue> {
    let scope = region.map(|region| DerivedScope { region, service: service.unwrap_or_default() });
    let mut request = HttpRequest::new(method, url);
    request.headers = headers_from(&json_value(headers).unwrap_or(Value::Null));
    request.body = body.as_bytes().to_vec();
    let at = sdk_date(at, at_text)?;
    LAST_SIGNER.with(|slot| {
        let mut slot = slot.borrow_mut();
        let cached = matches!(&*slot, Some((made_from, _))
            if made_from.is(ak, sk, security_token.as_deref(), algorithm, scope.as_ref()));
        if !cached {
            let mut key = AccessKey::new(ak, sk);
            if let Some(token) = &security_token {
                key = key.with_security_token(token.as_str());
            }
            let signer = Signer::new(key, algorithm.parse().map_err(js_err)?, scope.clone()).map_err(js_err)?;
            let made_from = SignerKey {
                ak: ak.to_owned(),
                sk: sk.into(),
                security_token: security_token.map(SecretString::from),
                algorithm: algorithm.to_owned(),
                scope,
            };
            *slot = Some((made_from, signer));
        }
        let (_, signer) = slot.as_ref().expect("set above");
        let mut given = Vec::with_capacity(request.headers.len());
        for (name, value) in &request.headers {
            given.push((name.as_str(), value.as_str()));
        }
        let headers = signer.sign_parts(&request.method, &request.url, &given, &request.body, at).map_err(js_err)?;
        Ok(Wire::signed(&request, headers).text())
    })
}

/// Panics with `message`: lets the tests check that a Rust panic reaches JavaScript as an
/// `Error` (exported as `__panicForTests` to js/testing.js, outside the package's API).
#[wasm_bindgen(js_name = "__panicForTests")]
pub fn panic_for_tests(message: &str) {
    panic!("{message}");
}
