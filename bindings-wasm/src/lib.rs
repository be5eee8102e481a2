//! WebAssembly bindings of `csms-core` for the `csms` npm package.
//!
//! The JavaScript entry points in `js/` wrap these exports: they map camelCase options to
//! the core's wire names, turn the plain error objects thrown here into `Error`
//! subclasses, and do the I/O (fetch or a custom transport). Nothing here reads the clock
//! or opens a socket.
//!
//! Errors cross the boundary as plain objects `{kind, message, field?, status?,
//! error_code?, error_msg?, request_id?, maybe_sent?}`. A Rust panic aborts (traps); the
//! panic hook keeps its message, which JavaScript fetches with `takePanic()` to throw an
//! `Error` instead of a bare `RuntimeError: unreachable`.

use csms_core::{
    operation_names, AccessKey, Algorithm, Client, ClientOptions, DerivedScope, Error, HttpRequest, HttpResponse,
    SdkDate, Signer,
};
use serde::Serialize;
use serde_json::{Map, Value};
use std::cell::RefCell;
use wasm_bindgen::prelude::*;

mod attempts;

const USER_AGENT: &str = concat!("csms-sdk-js/", env!("CARGO_PKG_VERSION"));

thread_local! {
    static PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the panic hook (called once by the JS loader).
#[wasm_bindgen(js_name = installPanicHook)]
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info.to_string();
        PANIC.with(|slot| {
            if let Ok(mut slot) = slot.try_borrow_mut() {
                *slot = Some(message);
            }
        });
    }));
}

/// The message of the last panic, if any (and forgets it).
#[wasm_bindgen(js_name = takePanic)]
pub fn take_panic() -> Option<String> {
    PANIC.with(|slot| slot.try_borrow_mut().ok().and_then(|mut s| s.take()))
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> JsValue {
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    value.serialize(&serializer).unwrap_or(JsValue::NULL)
}

fn from_js(value: JsValue, what: &str) -> Result<Value, JsValue> {
    if value.is_undefined() {
        return Ok(Value::Null);
    }
    serde_wasm_bindgen::from_value(value).map_err(|e| error_js(&Error::validation(what, e.to_string())))
}

/// An error as the plain object the JS side turns into an `Error` subclass.
fn error_js(err: &Error) -> JsValue {
    let mut o = Map::new();
    o.insert("kind".into(), err.kind().into());
    o.insert("message".into(), err.to_string().into());
    match err {
        Error::Validation { field, reason } => {
            o.insert("field".into(), field.as_str().into());
            o.insert("reason".into(), reason.as_str().into());
        }
        Error::Api { status, error_code, error_msg, request_id, .. } => {
            o.insert("status".into(), (*status).into());
            o.insert("error_code".into(), error_code.as_str().into());
            o.insert("error_msg".into(), error_msg.as_str().into());
            o.insert("request_id".into(), request_id.as_str().into());
        }
        Error::Decode { reason, status, request_id } => {
            o.insert("reason".into(), reason.as_str().into());
            o.insert("status".into(), (*status).into());
            o.insert("request_id".into(), request_id.as_str().into());
        }
        Error::Transport { reason, maybe_sent, .. } => {
            o.insert("reason".into(), reason.as_str().into());
            o.insert("maybe_sent".into(), (*maybe_sent).into());
        }
        _ => {}
    }
    if let Some(why) = err.not_retried() {
        o.insert("not_retried".into(), why.into());
    }
    to_js(&Value::Object(o))
}

fn js_err(err: Error) -> JsValue {
    error_js(&err)
}

/// `at`: seconds since the epoch (a number) or an `X-Sdk-Date` string.
fn sdk_date(at: &JsValue) -> Result<SdkDate, JsValue> {
    if let Some(secs) = at.as_f64() {
        if secs.is_finite() {
            return Ok(SdkDate::from_unix(secs.floor() as i64));
        }
    } else if let Some(text) = at.as_string() {
        return SdkDate::parse(&text).map_err(js_err);
    }
    Err(js_err(Error::validation("at", "must be a Date, a number of seconds or a YYYYMMDDTHHMMSSZ string")))
}

/// The JSON text of `{method, url, headers, body}` (`body` null when empty).
fn request_json(request: &HttpRequest) -> String {
    #[derive(Serialize)]
    struct Out<'a> {
        method: &'a str,
        url: &'a str,
        headers: Headers<'a>,
        body: Option<std::borrow::Cow<'a, str>>,
    }
    struct Headers<'a>(&'a [(String, String)]);
    impl Serialize for Headers<'_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = s.serialize_map(Some(self.0.len()))?;
            for (k, v) in self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
    let out = Out {
        method: &request.method,
        url: &request.url,
        headers: Headers(&request.headers),
        body: if request.body.is_empty() { None } else { Some(request.body_text()) },
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// Header pairs from a JS object `{name: value}` (already normalised by the JS side).
fn headers_from(value: &Value) -> Vec<(String, String)> {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())))
            .collect(),
        Value::Array(pairs) => pairs
            .iter()
            .filter_map(|p| Some((p.get(0)?.as_str()?.to_owned(), p.get(1)?.as_str()?.to_owned())))
            .collect(),
        _ => Vec::new(),
    }
}

fn text_of(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned()
}

/// The names of every operation (PascalCase), sorted.
#[wasm_bindgen(js_name = operationNames)]
pub fn operation_names_js() -> Vec<String> {
    operation_names().map(str::to_owned).collect()
}

/// A configured client; options use the core's wire names (`project_id`, ...).
#[wasm_bindgen]
pub struct WasmClient {
    inner: Client,
}

#[wasm_bindgen]
impl WasmClient {
    /// Checks the options and makes a client. `user_agent`, when given, is appended to
    /// `csms-sdk-js/<version>`; without it no User-Agent is sent (browsers cannot set it,
    /// and a signed header that is not sent breaks the signature).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<WasmClient, JsValue> {
        let value = from_js(options, "options")?;
        let options: ClientOptions = serde_json::from_value(value).map_err(|e| {
            let text = e.to_string();
            let field =
                text.split('`').nth(1).filter(|_| text.starts_with("unknown field")).unwrap_or("options").to_owned();
            js_err(Error::validation(field, text))
        })?;
        let wants_agent = options.user_agent.is_some();
        let mut config = options.into_config_with_agent(Some(USER_AGENT)).map_err(js_err)?;
        if !wants_agent {
            config.user_agent = None;
        }
        Ok(WasmClient { inner: Client::new(config).map_err(js_err)? })
    }

    /// Validates `input` (JSON text) and builds the signed request, returned as the JSON
    /// text of `{method, url, headers, body}`. JSON text crosses the boundary on this hot
    /// path: one native `JSON.stringify`/`JSON.parse` on the JS side costs far less than
    /// walking the objects property by property.
    pub fn build(&self, operation: &str, input: &str, at: JsValue) -> Result<String, JsValue> {
        let at = sdk_date(&at)?;
        let input: Value =
            serde_json::from_str(input).map_err(|e| js_err(Error::validation("input", e.to_string())))?;
        let request = self.inner.build_request(operation, &input, at).map_err(js_err)?;
        Ok(request_json(&request))
    }

    /// Turns a response into the operation's result (JSON text), or throws an error object.
    /// `headers` is the JSON text of an object `{name: value}`.
    pub fn parse(&self, operation: &str, status: u16, headers: &str, body: &str) -> Result<String, JsValue> {
        let headers: Value = serde_json::from_str(headers).unwrap_or(Value::Null);
        let response = HttpResponse::new(status, headers_from(&headers), body.as_bytes().to_vec());
        let value = self.inner.parse_response(operation, &response).map_err(js_err)?;
        Ok(value.to_string())
    }

    /// The endpoint requests go to.
    #[wasm_bindgen(getter)]
    pub fn endpoint(&self) -> String {
        self.inner.config().endpoint.clone()
    }
}

/// The signer alone (for the conformance vectors of kind `sign`): `spec` is
/// `{credentials: {ak, sk, security_token?}, algorithm, derived?: {region_id, service},
/// at, request: {method, url, headers, body}}` as JSON text; returns the signed request
/// as JSON text.
#[wasm_bindgen(js_name = signRequest)]
pub fn sign_request(spec: &str) -> Result<String, JsValue> {
    let v: Value = serde_json::from_str(spec).map_err(|e| js_err(Error::validation("spec", e.to_string())))?;
    let c = &v["credentials"];
    let mut key = AccessKey::new(text_of(c, "ak"), text_of(c, "sk"));
    if let Some(token) = c.get("security_token").and_then(Value::as_str) {
        key = key.with_security_token(token);
    }
    let algorithm: Algorithm = text_of(&v, "algorithm").parse().map_err(js_err)?;
    let scope = v
        .get("derived")
        .filter(|d| d.is_object())
        .map(|d| DerivedScope { region: text_of(d, "region_id"), service: text_of(d, "service") });
    let signer = Signer::new(key, algorithm, scope).map_err(js_err)?;
    let r = &v["request"];
    let mut request = HttpRequest::new(text_of(r, "method"), text_of(r, "url"));
    request.headers = headers_from(&r["headers"]);
    request.body = text_of(r, "body").into_bytes();
    let at = match &v["at"] {
        Value::Number(n) => SdkDate::from_unix(n.as_f64().unwrap_or(0.0) as i64),
        other => SdkDate::parse(other.as_str().unwrap_or_default()).map_err(js_err)?,
    };
    signer.sign(&mut request, at).map_err(js_err)?;
    Ok(request_json(&request))
}

/// Panics with `message`: lets the tests check that a Rust panic reaches JavaScript as an
/// `Error` (exported as `__panicForTests`; not part of the API).
#[wasm_bindgen(js_name = "__panicForTests")]
pub fn panic_for_tests(message: &str) {
    panic!("{message}");
}
