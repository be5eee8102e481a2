//! `csms._native`: the native half of the `csms` Python package.
//!
//! A thin layer over `csms-core`'s generic JSON path: Python values become
//! `serde_json::Value`, go through [`csms_core::Client::build_request`] /
//! [`csms_core::Client::parse_response`] (or the signer, or the paginator), and come back as
//! Python values. There is no protocol logic here: what a request looks like, how it is
//! signed and what a response means is all decided by the core.
//!
//! Every entry point runs under `catch_unwind`, so a Rust panic reaches Python as a
//! `csms.CsmsError`, never as pyo3's `PanicException` (a `BaseException`). Errors are
//! instances of the exception classes of `csms/_errors.py`, registered at import by
//! `set_error_classes`.

mod cache;
mod credentials;
mod rotation;

use csms_core::provider::{self, SignerCache};
use csms_core::{
    operation, verify as verify_request, AccessKey, Algorithm, ClientOptions, DerivedScope, Error, HttpRequest,
    HttpResponse, Location, Next, RetryPolicy, SdkDate, Signer,
};
use pyo3::exceptions::{PyOverflowError, PyRuntimeError, PyUnicodeEncodeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyModule, PyString, PyTuple};
use serde_json::{Map, Number, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// The user agent sent by default: `csms-sdk-python/<version>`.
const USER_AGENT: &str = concat!("csms-sdk-python/", env!("CARGO_PKG_VERSION"));

/// Nesting deeper than this in an input is refused (it would only be a cycle or an attack).
const MAX_DEPTH: u32 = 64;

/// The exception classes of `csms._errors`, registered once at import.
struct ErrorClasses {
    base: Py<PyAny>,
    validation: Py<PyAny>,
    api: Py<PyAny>,
    decode: Py<PyAny>,
    transport: Py<PyAny>,
    credentials: Py<PyAny>,
    rotation: Py<PyAny>,
}

static ERRORS: PyOnceLock<ErrorClasses> = PyOnceLock::new();

/// One of the registered exception classes (None before `set_error_classes`).
fn error_class(py: Python<'_>, pick: impl Fn(&ErrorClasses) -> &Py<PyAny>) -> Option<&Py<PyAny>> {
    ERRORS.get(py).map(pick)
}

/// What can go wrong in a native call, before it becomes a Python exception.
enum Fail {
    Core(Error),
    Py(PyErr),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Core(e)
    }
}

impl From<PyErr> for Fail {
    fn from(e: PyErr) -> Self {
        Fail::Py(e)
    }
}

type Res<T> = Result<T, Fail>;

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Fail {
    Fail::Core(Error::validation(field, reason))
}

/// Instantiates one of the registered exception classes; a plain `RuntimeError` when the
/// package did not register them (someone imported `csms._native` on its own).
fn raise(py: Python<'_>, pick: impl Fn(&ErrorClasses) -> &Py<PyAny>, args: Bound<'_, PyTuple>) -> PyErr {
    raise_with(py, pick, args, None)
}

/// [`raise`], with keyword arguments too (the keyword-only ones of a class).
fn raise_with(
    py: Python<'_>,
    pick: impl Fn(&ErrorClasses) -> &Py<PyAny>,
    args: Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyErr {
    let Some(classes) = ERRORS.get(py) else {
        let message = args.get_item(args.len().saturating_sub(1)).map(|m| m.to_string()).unwrap_or_default();
        return PyRuntimeError::new_err(message);
    };
    match pick(classes).bind(py).call(args, kwargs) {
        Ok(exception) => PyErr::from_value(exception),
        Err(e) => e,
    }
}

fn core_error(py: Python<'_>, e: &Error) -> PyErr {
    // The classes take their fields, then the message (the core's Display text).
    let message = e.to_string();
    let made = match e {
        Error::Validation { field, reason } => {
            PyTuple::new(py, [field, reason, &message]).map(|a| raise(py, |c| &c.validation, a))
        }
        Error::Api { status, error_code, error_msg, request_id, not_retried, retry_after_secs, signature } => {
            let retry_after = retry_after_secs.map(f64::from);
            // What was signed, for a refused signature: keyword-only in `ApiError`.
            (*status, error_code, error_msg, request_id, &message, not_retried, retry_after).into_pyobject(py).and_then(
                |args| {
                    let kwargs = PyDict::new(py);
                    if let Some(signed) = signature {
                        kwargs.set_item(intern!(py, "canonical_request"), &signed.canonical_request)?;
                        kwargs.set_item(intern!(py, "string_to_sign"), &signed.string_to_sign)?;
                    }
                    Ok(raise_with(py, |c| &c.api, args, Some(&kwargs)))
                },
            )
        }
        Error::Decode { reason, status, request_id } => {
            (reason, *status, request_id, &message).into_pyobject(py).map(|a| raise(py, |c| &c.decode, a))
        }
        Error::Transport { reason, maybe_sent, timed_out, not_retried } => {
            // `timed_out` is keyword-only in `TransportError(reason, maybe_sent, message,
            // not_retried, *, timed_out)`.
            (reason, *maybe_sent, &message, not_retried).into_pyobject(py).and_then(|args| {
                let kwargs = PyDict::new(py);
                kwargs.set_item(intern!(py, "timed_out"), *timed_out)?;
                Ok(raise_with(py, |c| &c.transport, args, Some(&kwargs)))
            })
        }
        Error::Credentials { provider, reason } => {
            PyTuple::new(py, [provider, reason, &message]).map(|a| raise(py, |c| &c.credentials, a))
        }
        Error::Rotation { step, reason } => {
            PyTuple::new(py, [step, reason, &message]).map(|a| raise(py, |c| &c.rotation, a))
        }
        _ => PyTuple::new(py, [message.as_str()]).map(|a| raise(py, |c| &c.base, a)),
    };
    made.unwrap_or_else(|e| e)
}

/// The core's error for a `csms.CsmsError` raised in Python (by a call the cache or a
/// rotation made through the client, or by a rotation's callback), read from its `kind` and
/// attributes. Any other exception is a transport failure that certainly sent nothing, its
/// reason the exception's class and message (`ValueError: ...`).
fn error_of(exception: &Bound<'_, PyAny>) -> Res<Error> {
    let py = exception.py();
    let text = |name: &str| -> Res<String> {
        Ok(match exception.getattr_opt(name)? {
            Some(v) if !v.is_none() => v.str()?.to_string(),
            _ => String::new(),
        })
    };
    let optional = |name: &str| -> Res<Option<String>> { Ok(Some(text(name)?).filter(|t| !t.is_empty())) };
    let flag = |name: &str| -> Res<bool> {
        Ok(match exception.getattr_opt(name)? {
            Some(v) => v.is_truthy()?,
            None => false,
        })
    };
    let base = ERRORS.get(py).map(|c| c.base.bind(py));
    let csms = match base {
        Some(base) => exception.is_instance(base)?,
        None => false,
    };
    let kind = if csms { text("kind")? } else { String::new() };
    let status = || -> Res<u16> { Ok(exception.getattr(intern!(py, "status"))?.extract().unwrap_or(0)) };
    Ok(match kind.as_str() {
        "validation" => Error::validation(text("field")?, text("reason")?),
        "api" => Error::Api {
            status: status()?,
            error_code: text("error_code")?,
            error_msg: text("error_msg")?,
            request_id: text("request_id")?,
            not_retried: optional("not_retried")?,
            retry_after_secs: exception
                .getattr(intern!(py, "retry_after"))?
                .extract::<Option<f64>>()
                .ok()
                .flatten()
                .map(|s| s.clamp(0.0, f64::from(u32::MAX)) as u32),
            signature: None,
        },
        "decode" => Error::Decode { reason: text("reason")?, status: status()?, request_id: text("request_id")? },
        "transport" => Error::Transport {
            reason: text("reason")?,
            maybe_sent: flag("maybe_sent")?,
            timed_out: flag("timed_out")?,
            not_retried: optional("not_retried")?,
        },
        "credentials" => Error::Credentials { provider: text("provider")?, reason: text("reason")? },
        "rotation" => Error::Rotation { step: text("step")?, reason: text("reason")? },
        _ => {
            let class = type_name(exception);
            let message = exception.str()?.to_string();
            let reason = if message.is_empty() { class } else { format!("{class}: {message}") };
            Error::Transport { reason, maybe_sent: false, timed_out: false, not_retried: None }
        }
    })
}

fn to_pyerr(py: Python<'_>, fail: Fail) -> PyErr {
    match fail {
        Fail::Core(e) => core_error(py, &e),
        Fail::Py(e) => e,
    }
}

/// Runs `f`, turning a core error into its Python exception and a panic into `CsmsError`.
fn guard<T>(py: Python<'_>, f: impl FnOnce() -> Res<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(fail)) => Err(to_pyerr(py, fail)),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            // `CsmsError(reason, message)`: kind `internal`, as in every binding.
            let message = format!("internal error in the csms native module (please report it): {what}");
            Err(PyTuple::new(py, [what, message]).map(|a| raise(py, |c| &c.base, a)).unwrap_or_else(|e| e))
        }
    }
}

// ----------------------------------------------------------------------------------------
// Python -> JSON

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_owned())
}

/// The text of a Python `str` given as `field`, owned. A lone surrogate (which has no UTF-8
/// form) is a validation error naming `field`.
fn text_of(obj: &Bound<'_, PyString>, field: &str) -> Res<String> {
    Ok(str_in(obj, field)?.to_owned())
}

/// [`str_of`], with a lone surrogate a validation error naming `field` (not a
/// `UnicodeEncodeError`).
fn str_in<'a>(obj: &'a Bound<'_, PyString>, field: &str) -> Res<&'a str> {
    str_of(obj).map_err(|e| {
        if e.is_instance_of::<PyUnicodeEncodeError>(obj.py()) {
            invalid(field, NOT_UNICODE)
        } else {
            Fail::Py(e)
        }
    })
}

const NOT_UNICODE: &str = "is not valid Unicode (it holds a lone surrogate)";

/// The text of a Python `str`, borrowed: CPython keeps a str's UTF-8 form in the object
/// (for an ASCII str, its own characters), so nothing is copied or allocated
/// (`PyUnicode_AsUTF8AndSize`, in the stable ABI from 3.10, the wheel's floor). Fails on a
/// lone surrogate (`UnicodeEncodeError`).
fn str_of<'a>(obj: &'a Bound<'_, PyString>) -> PyResult<&'a str> {
    obj.to_str()
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// A Python value as JSON. `path` names it in errors (`tags[0].key`, as the core does).
fn to_json(obj: &Bound<'_, PyAny>, path: &str, depth: u32) -> Res<Value> {
    let field = || if path.is_empty() { "input".to_owned() } else { path.to_owned() };
    if depth > MAX_DEPTH {
        return Err(invalid(field(), "is nested too deeply"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(text_of(s, &field())?));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(invalid(field(), "is an integer too large for 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| invalid(field(), "must be a finite number"));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::new();
        for (k, v) in dict.iter() {
            let key = match k.cast::<PyString>() {
                Ok(s) => match str_of(s) {
                    Ok(text) => text.to_owned(),
                    Err(_) => return Err(invalid(field(), format!("has a key that {NOT_UNICODE}"))),
                },
                Err(_) => return Err(invalid(field(), format!("has a key that is not a string ({})", type_name(&k)))),
            };
            let value = to_json(&v, &child(path, &key), depth + 1)?;
            map.insert(key, value);
        }
        return Ok(Value::Object(map));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            items.push(to_json(&item?, &format!("{}[{i}]", field()), depth + 1)?);
        }
        return Ok(Value::Array(items));
    }
    // csms models (and anything else with a to_dict()), then other mappings.
    if let Ok(to_dict) = obj.getattr("to_dict") {
        if to_dict.is_callable() {
            return to_json(&to_dict.call0()?, path, depth + 1);
        }
    }
    if obj.hasattr("keys")? && obj.hasattr("__getitem__")? {
        let dict = PyDict::new(obj.py());
        for key in obj.call_method0("keys")?.try_iter()? {
            let key = key?;
            dict.set_item(&key, obj.get_item(&key)?)?;
        }
        return to_json(dict.as_any(), path, depth + 1);
    }
    Err(invalid(
        field(),
        format!("must be a str, int, float, bool, None, list or dict (or a csms model), not {}", type_name(obj)),
    ))
}

/// A header value or body as bytes: `bytes`, `bytearray`, `memoryview` or `str` (UTF-8).
fn bytes_of(obj: &Bound<'_, PyAny>, what: &str) -> Res<Vec<u8>> {
    if obj.is_none() {
        return Ok(Vec::new());
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(text_of(s, what)?.into_bytes());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    if let Ok(v) = obj.call_method0("tobytes") {
        if let Ok(b) = v.cast::<PyBytes>() {
            return Ok(b.as_bytes().to_vec());
        }
    }
    Err(invalid(what, format!("must be bytes or str, not {}", type_name(obj))))
}

fn header_text(obj: &Bound<'_, PyAny>) -> Res<String> {
    if let Ok(s) = obj.cast::<PyString>() {
        return text_of(s, "headers");
    }
    // Header bytes from a socket: ISO-8859-1, as http.client reads them.
    let raw = bytes_of(obj, "headers")?;
    Ok(raw.iter().map(|&b| b as char).collect())
}

/// Headers as pairs, from a dict, a list of pairs, or an object with `multi_items()`
/// (httpx) or `items()` (requests, http.client).
fn headers_of(obj: &Bound<'_, PyAny>) -> Res<Vec<(String, String)>> {
    if obj.is_none() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    if let Ok(dict) = obj.cast::<PyDict>() {
        // Room for the headers signing adds (date, host, token, signature).
        out.reserve(dict.len() + 4);
        for (k, v) in dict.iter() {
            out.push((header_text(&k)?, header_text(&v)?));
        }
        return Ok(out);
    }
    let pairs = if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        obj.clone()
    } else if obj.hasattr("multi_items")? {
        obj.call_method0("multi_items")?
    } else if obj.hasattr("items")? {
        obj.call_method0("items")?
    } else {
        return Err(invalid(
            "headers",
            format!("must be a dict or a list of (name, value) pairs, not {}", type_name(obj)),
        ));
    };
    for pair in pairs.try_iter()? {
        let pair = pair?;
        let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) =
            pair.extract().map_err(|_| invalid("headers", "must hold (name, value) pairs"))?;
        out.push((header_text(&k)?, header_text(&v)?));
    }
    Ok(out)
}

static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

static TRANSPORTS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// A signing time: an `X-Sdk-Date` string (`YYYYMMDDTHHMMSSZ`), Unix seconds (int or float), a
/// `datetime` (naive = UTC), or None for the time of `csms.transports.now()`, the package's
/// one clock (looked up at each call): the native module never reads the clock itself.
fn sdk_date_or_now(py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> Res<SdkDate> {
    match at {
        Some(at) if !at.is_none() => sdk_date(at),
        _ => {
            let transports = TRANSPORTS.get_or_try_init(py, || py.import("csms.transports").map(Bound::unbind))?;
            sdk_date(&transports.bind(py).getattr(intern!(py, "now"))?.call0()?)
        }
    }
}

/// Unix seconds as a signing time, refused outside the years 1 to 9999 (the core's
/// `SdkDate::check_writable`).
fn unix_date(secs: f64) -> Res<SdkDate> {
    if secs.is_nan() {
        return Err(invalid("at", "is out of range"));
    }
    // `as` saturates: a time beyond i64 stays beyond the writable years.
    let date = SdkDate::from_unix(secs.floor() as i64);
    date.check_writable()?;
    Ok(date)
}

/// A signing time: an `X-Sdk-Date` string (`YYYYMMDDTHHMMSSZ`), Unix seconds (int or float) or a
/// `datetime` (naive = UTC), from the year 1 to 9999.
fn sdk_date(at: &Bound<'_, PyAny>) -> Res<SdkDate> {
    if let Ok(f) = at.cast::<PyFloat>() {
        return unix_date(f.value());
    }
    if let Ok(s) = at.cast::<PyString>() {
        return Ok(SdkDate::parse(str_in(s, "at")?)?);
    }
    if at.is_instance_of::<PyBool>() {
        return Err(invalid("at", "must be an X-Sdk-Date string, a datetime or Unix seconds, not bool"));
    }
    if at.is_instance_of::<PyInt>() {
        let secs: i64 = at.extract().map_err(|_| invalid("at", "is out of range"))?;
        let date = SdkDate::from_unix(secs);
        date.check_writable()?;
        return Ok(date);
    }
    if at.hasattr("utcoffset")? && at.hasattr("timestamp")? {
        let py = at.py();
        let aware = if at.call_method0("utcoffset")?.is_none() {
            let utc = UTC.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
                Ok(py.import("datetime")?.getattr("timezone")?.getattr("utc")?.unbind())
            })?;
            let kwargs = PyDict::new(py);
            kwargs.set_item("tzinfo", utc.bind(py))?;
            at.call_method("replace", (), Some(&kwargs))?
        } else {
            at.clone()
        };
        // Near the ends of `datetime`'s range, timestamp() overflows (an offset past year 1)
        // or rounds up past 9999-12-31T23:59:59 (datetime.max).
        let secs: f64 = match aware.call_method0("timestamp") {
            Ok(secs) => secs.extract()?,
            Err(e) if e.is_instance_of::<PyOverflowError>(py) || e.is_instance_of::<PyValueError>(py) => {
                return Err(invalid("at", "is out of range"))
            }
            Err(e) => return Err(e.into()),
        };
        return unix_date(secs);
    }
    Err(invalid("at", format!("must be an X-Sdk-Date string, a datetime or Unix seconds, not {}", type_name(at))))
}

// ----------------------------------------------------------------------------------------
// JSON -> Python

fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(PyString::new(py, k), to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A header name as a Python string; the names the core always sends are interned.
fn header_name<'py>(py: Python<'py>, name: &str) -> Bound<'py, PyString> {
    let interned = match name {
        "Content-Type" => intern!(py, "Content-Type"),
        "User-Agent" => intern!(py, "User-Agent"),
        "X-Project-Id" => intern!(py, "X-Project-Id"),
        "X-Sdk-Date" => intern!(py, "X-Sdk-Date"),
        "Host" => intern!(py, "Host"),
        "Authorization" => intern!(py, "Authorization"),
        "X-Security-Token" => intern!(py, "X-Security-Token"),
        "X-Auth-Token" => intern!(py, "X-Auth-Token"),
        _ => return PyString::new(py, name),
    };
    interned.clone()
}

/// ECDSA and SM2 take ~0.1 ms a signature: those calls let other Python threads run.
fn asymmetric(algorithm: Algorithm) -> bool {
    matches!(algorithm, Algorithm::EcdsaP256Sha256 | Algorithm::Sm2Sm3)
}

fn intern_method<'py>(py: Python<'py>, method: &str) -> Bound<'py, PyString> {
    match method {
        "GET" => intern!(py, "GET").clone(),
        "POST" => intern!(py, "POST").clone(),
        "PUT" => intern!(py, "PUT").clone(),
        "DELETE" => intern!(py, "DELETE").clone(),
        _ => PyString::new(py, method),
    }
}

fn headers_dict<'py>(py: Python<'py>, headers: &[(String, String)]) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (k, v) in headers {
        dict.set_item(header_name(py, k), v)?;
    }
    Ok(dict)
}

/// The `csms.Request` of a request the core built for `operation`.
fn py_request(
    py: Python<'_>,
    built: &HttpRequest,
    operation: &Bound<'_, PyString>,
    idempotent: bool,
) -> PyResult<Request> {
    Ok(Request {
        method: intern_method(py, &built.method).unbind(),
        url: PyString::new(py, &built.url).unbind(),
        headers: headers_dict(py, &built.headers)?.unbind(),
        body: PyBytes::new(py, &built.body).unbind(),
        operation: Some(operation.clone().unbind()),
        idempotent,
    })
}

fn text_arg(obj: &Bound<'_, PyAny>, what: &str) -> Res<String> {
    match obj.cast::<PyString>() {
        Ok(s) => text_of(s, what),
        Err(_) => Err(invalid(what, format!("must be a str, not {}", type_name(obj)))),
    }
}

/// The core's response for a status, headers (see [`headers_of`]) and body.
fn http_response(status: &Bound<'_, PyAny>, headers: &Bound<'_, PyAny>, body: &Bound<'_, PyAny>) -> Res<HttpResponse> {
    let status: u16 =
        status.extract().map_err(|_| invalid("status", format!("must be an HTTP status code, not {status}")))?;
    Ok(HttpResponse::new(status, headers_of(headers)?, bytes_of(body, "body")?))
}

/// The core's request for a `csms.Request`.
fn http_request(request: &Request, py: Python<'_>) -> Res<HttpRequest> {
    let mut out = HttpRequest::new(text_of(request.method.bind(py), "method")?, text_of(request.url.bind(py), "url")?);
    out.headers = headers_of(request.headers.bind(py).as_any())?;
    out.body = request.body.bind(py).as_bytes().to_vec();
    Ok(out)
}

/// A signed HTTP request, ready to send: `method`, `url` (path and query percent-encoded,
/// exactly as signed), `headers` (a dict, signature included) and `body` (bytes).
///
/// `operation` is the operation it was built for, and `idempotent` whether resending it after
/// an uncertain failure cannot apply the change twice (transports use it to decide whether a
/// request that died on a stale keep-alive connection may be sent again).
#[pyclass(module = "csms", name = "Request")]
pub struct Request {
    /// HTTP method.
    #[pyo3(get, set)]
    method: Py<PyString>,
    /// The URL as it goes on the wire.
    #[pyo3(get, set)]
    url: Py<PyString>,
    /// Header names and values.
    #[pyo3(get, set)]
    headers: Py<PyDict>,
    /// The body bytes (empty without a body).
    #[pyo3(get, set)]
    body: Py<PyBytes>,
    /// The operation the request was built for, if any.
    #[pyo3(get, set)]
    operation: Option<Py<PyString>>,
    /// Whether resending it cannot apply a change twice.
    #[pyo3(get, set)]
    idempotent: bool,
}

#[pymethods]
impl Request {
    #[new]
    #[pyo3(signature = (method, url, headers=None, body=None, operation=None, idempotent=false))]
    fn new(
        py: Python<'_>,
        method: &Bound<'_, PyAny>,
        url: &Bound<'_, PyAny>,
        headers: Option<&Bound<'_, PyAny>>,
        body: Option<&Bound<'_, PyAny>>,
        operation: Option<&Bound<'_, PyAny>>,
        idempotent: bool,
    ) -> PyResult<Self> {
        guard(py, || {
            let method = PyString::new(py, &text_arg(method, "method")?).unbind();
            let url = PyString::new(py, &text_arg(url, "url")?).unbind();
            let pairs = match headers {
                Some(h) => headers_of(h)?,
                None => Vec::new(),
            };
            let dict = PyDict::new(py);
            for (k, v) in &pairs {
                dict.set_item(k, v)?;
            }
            let body = match body {
                Some(b) if b.is_instance_of::<PyBytes>() => b.cast::<PyBytes>().map_err(PyErr::from)?.clone().unbind(),
                Some(b) => PyBytes::new(py, &bytes_of(b, "body")?).unbind(),
                None => PyBytes::new(py, b"").unbind(),
            };
            let operation = opt_text(operation, "operation")?.map(|o| PyString::new(py, &o).unbind());
            Ok(Request { method, url, headers: dict.unbind(), body, operation, idempotent })
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guard(py, || {
            let shown = PyDict::new(py);
            for (k, v) in self.headers.bind(py).iter() {
                let name = k.str()?.to_string().to_ascii_lowercase();
                let hidden = matches!(name.as_str(), "authorization" | "x-auth-token" | "x-security-token");
                shown.set_item(&k, if hidden { intern!(py, "***").clone().into_any() } else { v })?;
            }
            Ok(format!(
                "Request(method={}, url={}, headers={}, body=<{} bytes>)",
                self.method.bind(py).repr()?,
                self.url.bind(py).repr()?,
                shown.repr()?,
                self.body.bind(py).as_bytes().len()
            ))
        })
    }

    fn __eq__(&self, py: Python<'_>, other: &Bound<'_, PyAny>) -> PyResult<bool> {
        guard(py, || {
            let Ok(other) = other.cast::<Request>() else { return Ok(false) };
            let other = other.borrow();
            let same = |a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>| PyAnyMethods::eq(a, b);
            Ok(same(self.method.bind(py).as_any(), other.method.bind(py).as_any())?
                && same(self.url.bind(py).as_any(), other.url.bind(py).as_any())?
                && same(self.headers.bind(py).as_any(), other.headers.bind(py).as_any())?
                && same(self.body.bind(py).as_any(), other.body.bind(py).as_any())?)
        })
    }

    #[classattr]
    const __hash__: Option<Py<PyAny>> = None;
}

fn opt_text(obj: Option<&Bound<'_, PyAny>>, what: &str) -> Res<Option<String>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => match o.cast::<PyString>() {
            Ok(s) => Ok(Some(text_of(s, what)?)),
            Err(_) => Err(invalid(what, format!("must be a str, not {}", type_name(o)))),
        },
    }
}

fn access_key(ak: &Bound<'_, PyAny>, sk: &Bound<'_, PyAny>, token: Option<&Bound<'_, PyAny>>) -> Res<AccessKey> {
    let ak = opt_text(Some(ak), "ak")?.unwrap_or_default();
    let sk = opt_text(Some(sk), "sk")?.unwrap_or_default();
    let key = AccessKey::new(ak, sk);
    Ok(match opt_text(token, "security_token")? {
        Some(t) => key.with_security_token(t),
        None => key,
    })
}

/// The outcome of an attempt as `receive` takes it: `(status, headers, body)`, or a
/// `TransportError`-like object (`reason`, `maybe_sent`, and when present `timed_out`
/// and `not_retried`).
fn outcome_of(py: Python<'_>, outcome: &Bound<'_, PyAny>) -> Res<csms_core::Result<HttpResponse>> {
    Ok(match outcome.cast::<PyTuple>() {
        Ok(parts) if parts.len() == 3 => {
            Ok(http_response(&parts.get_item(0)?, &parts.get_item(1)?, &parts.get_item(2)?)?)
        }
        _ => {
            let reason = outcome.getattr(intern!(py, "reason"))?.str()?.to_string();
            let maybe_sent = outcome.getattr(intern!(py, "maybe_sent"))?.is_truthy()?;
            let timed_out = match outcome.getattr_opt(intern!(py, "timed_out"))? {
                Some(flag) => flag.is_truthy()?,
                None => false,
            };
            // Set by a transport for a failure resending cannot mend: never retried.
            let not_retried = match outcome.getattr_opt(intern!(py, "not_retried"))? {
                Some(why) if !why.is_none() => Some(why.str()?.to_string()),
                _ => None,
            };
            Err(Error::Transport { reason, maybe_sent, timed_out, not_retried })
        }
    })
}

/// A `max_attempts` option: an int (not a bool); its range is the core's
/// (`RetryPolicy::validate`). One beyond what a `u32` holds is out of that range too.
fn attempts_of(value: &Bound<'_, PyAny>) -> Res<u32> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(invalid("max_attempts", format!("must be an int, not {}", type_name(value))));
    }
    match value.extract::<u32>() {
        Ok(n) => Ok(n),
        Err(_) => {
            let reason = format!("must be from 1 to {}, not {value}", csms_core::MAX_ATTEMPTS_LIMIT);
            Err(invalid("max_attempts", reason))
        }
    }
}

/// A duration option given as float seconds (an int or a float, not a bool), named `field`
/// in errors; its upper bound is the core's.
fn seconds_of(value: &Bound<'_, PyAny>, field: &str) -> Res<Duration> {
    let number = if value.is_instance_of::<PyBool>() {
        None
    } else if value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>() {
        value.extract::<f64>().ok()
    } else {
        None
    };
    let Some(seconds) = number else {
        return Err(invalid(field, format!("must be a number of seconds, not {}", type_name(value))));
    };
    Duration::try_from_secs_f64(seconds)
        .map_err(|_| invalid(field, format!("must be a finite number of seconds from 0, not {seconds}")))
}

/// Locks `m`, going on after a panic of another holder (the state stays consistent: every
/// change is made whole under the lock).
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

// ----------------------------------------------------------------------------------------
// The module

#[pymodule(name = "_native")]
mod native {
    use super::*;
    #[pymodule_export]
    use crate::cache::{accepted_stages, cache_is_absent, NativeCacheState, NativeFlight};
    #[pymodule_export]
    use crate::credentials::{
        project_id, resolve_endpoint, NativeCredentials, NativeFetch, NativeLease, NativeProvider,
    };
    #[pymodule_export]
    use crate::rotation::NativeRotation;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        m.add("USER_AGENT", USER_AGENT)?;
        m.add("MAX_RESPONSE_BYTES", csms_core::MAX_RESPONSE_BYTES)?;
        m.add_class::<Request>()?;
        Ok(())
    }

    /// The `TransportError` of a response whose body passed `limit` bytes, for the transports
    /// to raise: the core's (may have been sent, not timed out, not retried).
    #[pyfunction]
    fn response_too_large(py: Python<'_>, limit: u64) -> Py<PyAny> {
        core_error(py, &Error::response_too_large(limit)).into_value(py).into_any()
    }

    /// Registers the exception classes raised by the native code (called once by `csms`).
    #[allow(clippy::too_many_arguments)]
    #[pyfunction]
    fn set_error_classes(
        py: Python<'_>,
        base: Py<PyAny>,
        validation: Py<PyAny>,
        api: Py<PyAny>,
        decode: Py<PyAny>,
        transport: Py<PyAny>,
        credentials: Py<PyAny>,
        rotation: Py<PyAny>,
    ) {
        let _ = ERRORS.set(py, ErrorClasses { base, validation, api, decode, transport, credentials, rotation });
    }

    /// Every operation of the core's table: `(name, method, path, idempotent, pagination,
    /// members)` with `pagination` one of `None`, `"marker"`, `"offset"` and each member
    /// `(name, location, required, sensitive)`.
    #[pyfunction]
    fn operations(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
        guard(py, || {
            let list = PyList::empty(py);
            for name in csms_core::operation_names() {
                let op = operation(name)?;
                let members = PyList::empty(py);
                for m in op.members {
                    let location = match m.location {
                        Location::Path => "path",
                        Location::Query => "query",
                        Location::Body => "body",
                        Location::QueryAndBody => "query+body",
                    };
                    members.append((m.name, location, m.required, m.sensitive))?;
                }
                let pagination = op.pagination.map(|p| match p {
                    csms_core::Pagination::Marker { .. } => "marker",
                    csms_core::Pagination::Offset { .. } => "offset",
                });
                list.append((op.name, op.method, op.path, op.idempotent, pagination, members))?;
            }
            Ok(list)
        })
    }

    /// A configured client: options in (the core's `ClientOptions` as a dict), requests
    /// out, responses in. No I/O; times are given (or asked of `csms.transports.now()`).
    #[pyclass(frozen, name = "Client")]
    struct NativeClient {
        client: csms_core::Client,
        /// The limit on response bodies of the client's default transport.
        max_response_bytes: u64,
        /// The client signing with a provider's current credentials (one per generation).
        signers: Arc<Mutex<SignerCache>>,
    }

    #[pymethods]
    impl NativeClient {
        #[new]
        fn new(py: Python<'_>, options: &Bound<'_, PyAny>) -> PyResult<Self> {
            guard(py, || {
                let value = to_json(options, "options", 0)?;
                let options = ClientOptions::from_json(&value)?;
                let max_response_bytes = options.response_limit().get();
                let config = options.into_config_with_agent(Some(USER_AGENT))?;
                Ok(NativeClient {
                    client: csms_core::Client::new(config)?,
                    max_response_bytes,
                    signers: Arc::default(),
                })
            })
        }

        /// The endpoint requests go to (`https://host[:port]`).
        #[getter]
        fn endpoint(&self) -> String {
            self.client.config().endpoint.clone()
        }

        /// The longest response body the client's default transport reads, in bytes.
        #[getter]
        fn max_response_bytes(&self) -> u64 {
            self.max_response_bytes
        }

        /// The `User-Agent` sent, if any.
        #[getter]
        fn user_agent(&self) -> Option<String> {
            self.client.config().user_agent.clone()
        }

        /// Validates `input` and builds the signed `Request` of `operation` for the time `at`
        /// (an `X-Sdk-Date` string, Unix seconds or a datetime; None: `csms.transports.now()`),
        /// signed with the credentials of `lease` (a provider's) when given.
        #[pyo3(signature = (operation, input=None, at=None, lease=None))]
        fn build_request(
            &self,
            py: Python<'_>,
            operation: &Bound<'_, PyString>,
            input: Option<&Bound<'_, PyAny>>,
            at: Option<&Bound<'_, PyAny>>,
            lease: Option<PyRef<'_, NativeLease>>,
        ) -> PyResult<Request> {
            guard(py, || {
                let mut value = match input {
                    Some(i) => to_json(i, "", 0)?,
                    None => Value::Null,
                };
                let at = sdk_date_or_now(py, at)?;
                let op = super::operation(str_in(operation, "operation")?)?;
                let signer = match &lease {
                    Some(lease) => Some(lock(&self.signers).signer(&self.client, &lease.lease)?),
                    None => None,
                };
                let client = signer.as_ref().unwrap_or(&self.client);
                let built = if asymmetric(client.config().algorithm) {
                    // ECDSA and SM2 take ~0.1 ms: let other threads run meanwhile.
                    py.detach(|| client.build_for(op, &value, at))
                } else {
                    client.build_for(op, &value, at)
                };
                csms_core::zeroize_json(&mut value);
                Ok(py_request(py, &built?, operation, op.idempotent)?)
            })
        }

        /// Turns the response of `operation` into its result (a dict under wire names), or
        /// raises `ApiError` / `DecodeError`.
        fn parse<'py>(
            &self,
            py: Python<'py>,
            operation: PyBackedStr,
            status: &Bound<'py, PyAny>,
            headers: &Bound<'py, PyAny>,
            body: &Bound<'py, PyAny>,
        ) -> PyResult<Bound<'py, PyAny>> {
            guard(py, || {
                let result = self.client.parse_response(&operation, &http_response(status, headers, body)?)?;
                Ok(to_py(py, &result)?)
            })
        }

        /// Starts a call of `operation` (validated and built now, signed for each attempt)
        /// under `policy` (a `RetryPolicy`: attempts, backoff, the longest `Retry-After`),
        /// bounded in all by `deadline` seconds when given (the core's
        /// `Attempts::with_deadline`: attempts, backoff and `Retry-After` waits included).
        #[pyo3(signature = (operation, input, policy, deadline=None))]
        fn start(
            &self,
            py: Python<'_>,
            operation: &Bound<'_, PyString>,
            input: Option<&Bound<'_, PyAny>>,
            policy: PyRef<'_, NativePolicy>,
            deadline: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<NativeAttempts> {
            guard(py, || {
                let policy = policy.policy;
                let deadline = match deadline {
                    Some(d) if !d.is_none() => Some(seconds_of(d, "deadline")?),
                    _ => None,
                };
                let mut value = match input {
                    Some(i) => to_json(i, "", 0)?,
                    None => Value::Null,
                };
                let op = super::operation(str_in(operation, "operation")?)?;
                let started = self.client.start(op, &value, policy);
                csms_core::zeroize_json(&mut value);
                Ok(NativeAttempts {
                    base: self.client.clone(),
                    signers: Arc::clone(&self.signers),
                    operation: operation.clone().unbind(),
                    call: Mutex::new(Call {
                        attempts: match deadline {
                            Some(deadline) => started?.with_deadline(deadline),
                            None => started?,
                        },
                        client: self.client.clone(),
                        generation: None,
                        expired: false,
                    }),
                })
            })
        }

        /// Seconds the server's clock is ahead of this client's (negative: behind), learnt from
        /// a response that refused a signature for its time; 0 until then.
        #[getter]
        fn clock_offset(&self) -> i64 {
            self.client.clock_offset()
        }
    }

    /// The retry options of a client or of a view of `with_options` (the core's
    /// `RetryPolicy`), checked by the core's `RetryPolicy::validate`, the one bound of every
    /// binding: `max_attempts` from 1 to 100, `backoff_base`, `backoff_cap` (not below the
    /// base) and `max_retry_after` float seconds from 0 to a day. The core names a field at
    /// fault in snake case, which is the Python keyword itself.
    #[pyclass(frozen, name = "RetryPolicy")]
    struct NativePolicy {
        policy: RetryPolicy,
    }

    #[pymethods]
    impl NativePolicy {
        #[new]
        fn new(
            py: Python<'_>,
            max_attempts: &Bound<'_, PyAny>,
            backoff_base: &Bound<'_, PyAny>,
            backoff_cap: &Bound<'_, PyAny>,
            max_retry_after: &Bound<'_, PyAny>,
        ) -> PyResult<Self> {
            guard(py, || {
                let policy = RetryPolicy {
                    max_attempts: attempts_of(max_attempts)?,
                    base: seconds_of(backoff_base, "backoff_base")?,
                    cap: seconds_of(backoff_cap, "backoff_cap")?,
                    max_retry_after: seconds_of(max_retry_after, "max_retry_after")?,
                };
                policy.validate()?;
                Ok(NativePolicy { policy })
            })
        }

        /// The same policy with another `max_attempts` (checked likewise).
        fn with_max_attempts(&self, py: Python<'_>, max_attempts: &Bound<'_, PyAny>) -> PyResult<Self> {
            guard(py, || {
                let policy = RetryPolicy { max_attempts: attempts_of(max_attempts)?, ..self.policy };
                policy.validate()?;
                Ok(NativePolicy { policy })
            })
        }

        /// The most attempts of a call.
        #[getter]
        fn max_attempts(&self) -> u32 {
            self.policy.max_attempts
        }
    }

    /// The attempts of one call (the core's `Attempts`), driven by the retry loop of
    /// `csms.transports`: `request(now, lease)` gives the next attempt's request, signed anew
    /// for the local time `now` plus the client's learnt clock offset (with the credentials of
    /// a provider's `lease` when given); `receive(outcome, now, random)` takes what happened to
    /// it and says what comes next.
    #[pyclass(frozen, name = "Attempts")]
    struct NativeAttempts {
        /// The client the call was started with (its own credentials).
        base: csms_core::Client,
        /// The client's signers of a provider's credentials.
        signers: Arc<Mutex<SignerCache>>,
        operation: Py<PyString>,
        call: Mutex<Call>,
    }

    /// Where a call stands.
    struct Call {
        attempts: csms_core::Attempts,
        /// The client that signed the last attempt.
        client: csms_core::Client,
        /// The generation of the provider's credentials that signed the last attempt.
        generation: Option<u64>,
        /// The call ended with the service's refusal of expired credentials.
        expired: bool,
    }

    #[pymethods]
    impl NativeAttempts {
        /// The request of the next attempt, signed for `now` (Unix seconds) corrected by the
        /// client's clock offset, with the credentials of `lease` (a provider's) when given.
        #[pyo3(signature = (now, lease=None))]
        fn request(
            &self,
            py: Python<'_>,
            now: &Bound<'_, PyAny>,
            lease: Option<PyRef<'_, NativeLease>>,
        ) -> PyResult<Request> {
            guard(py, || {
                let now = sdk_date(now)?;
                let mut call = lock(&self.call);
                if let Some(lease) = &lease {
                    call.client = lock(&self.signers).signer(&self.base, &lease.lease)?;
                    call.generation = Some(lease.lease.generation);
                }
                let Call { attempts, client, .. } = &mut *call;
                let signed = if asymmetric(client.config().algorithm) {
                    let client = &*client;
                    py.detach(|| attempts.request(client, now))
                } else {
                    attempts.request(client, now)
                }?;
                Ok(py_request(py, &signed, self.operation.bind(py), attempts.operation().idempotent)?)
            })
        }

        /// The timeout of the next attempt in seconds (None: no limit): `per_attempt` (the
        /// client's or the call's `timeout`), cut to what is left of the call's deadline after
        /// `elapsed` seconds (the core's `Attempts::timeout`). Nothing left: raises the
        /// `TransportError` the deadline ends the call with (timed out, not retried).
        fn timeout(&self, py: Python<'_>, elapsed: f64, per_attempt: Option<f64>) -> PyResult<Option<f64>> {
            guard(py, || {
                let per_attempt = per_attempt.map(|t| Duration::try_from_secs_f64(t).unwrap_or(Duration::MAX));
                let mut call = lock(&self.call);
                call.attempts.elapsed(Duration::try_from_secs_f64(elapsed).unwrap_or_default());
                Ok(call.attempts.timeout(per_attempt)?.map(|t| t.as_secs_f64()))
            })
        }

        /// Whether the call ended with the service's refusal of expired credentials (the
        /// core's `credentials_expired`): the provider's are then refetched and the call run
        /// once more.
        #[getter]
        fn credentials_expired(&self) -> bool {
            lock(&self.call).expired
        }

        /// The generation of the provider's credentials that signed the last attempt (None
        /// without a provider).
        #[getter]
        fn generation(&self) -> Option<u64> {
            lock(&self.call).generation
        }

        /// Takes the outcome of the last attempt: its response as `(status, headers, body)`, or
        /// the `TransportError` of an attempt that got none (its `reason`, `maybe_sent`,
        /// `timed_out`, False when it has no such attribute, and `not_retried`: a transport's
        /// reason why resending cannot help, which ends the call).
        /// Returns the seconds to wait before the next attempt (a float), or the call's result
        /// (a dict under wire names) when it succeeded; raises the call's error when it failed
        /// (`ApiError` of the last response or `TransportError`, with `not_retried` when a retry
        /// was withheld). `now` is the local time in Unix seconds, `random` a number in [0, 1),
        /// `elapsed` the seconds since the call began (for its deadline: a retry whose wait
        /// would pass it is not made).
        #[pyo3(signature = (outcome, now, random, elapsed=0.0))]
        fn receive(
            &self,
            py: Python<'_>,
            outcome: &Bound<'_, PyAny>,
            now: &Bound<'_, PyAny>,
            random: f64,
            elapsed: f64,
        ) -> PyResult<Py<PyAny>> {
            guard(py, || {
                let outcome = outcome_of(py, outcome)?;
                let now = sdk_date(now)?;
                let mut call = lock(&self.call);
                let Call { attempts, client, expired, .. } = &mut *call;
                attempts.elapsed(Duration::try_from_secs_f64(elapsed).unwrap_or_default());
                match attempts.receive(client, outcome, now, random) {
                    Next::Wait(after) => Ok(PyFloat::new(py, after.as_secs_f64()).into_any().unbind()),
                    Next::Done(Ok(response)) => {
                        let result = csms_core::parse_response(attempts.operation(), &response)?;
                        Ok(to_py(py, &result)?.unbind())
                    }
                    Next::Done(Err(error)) => {
                        *expired = provider::credentials_expired(&error);
                        Err(Fail::Core(error))
                    }
                }
            })
        }

        /// The debug record of the last attempt, given its `outcome` (as `receive` takes it,
        /// before `receive`) and its `duration` in seconds: `(operation, attempt, method, url,
        /// status or None, the transport error's message or None, request id)`.
        #[allow(clippy::type_complexity)]
        fn record(
            &self,
            py: Python<'_>,
            outcome: &Bound<'_, PyAny>,
        ) -> PyResult<(&'static str, u32, String, String, Option<u16>, Option<String>, String)> {
            guard(py, || {
                let outcome = outcome_of(py, outcome)?;
                let call = lock(&self.call);
                let r = call.attempts.record(&call.client, &outcome, std::time::Duration::ZERO);
                Ok((
                    r.operation,
                    r.attempt,
                    r.method.to_owned(),
                    r.url.to_owned(),
                    r.status,
                    r.error,
                    r.request_id.to_owned(),
                ))
            })
        }

        /// The canonical request the last attempt signed, tokens shown as `***` (None before
        /// the first attempt, or for a client sending an IAM token).
        fn canonical_request(&self) -> Option<String> {
            let call = lock(&self.call);
            call.attempts.canonical_request(&call.client)
        }
    }

    /// Pages through a List operation: `next_input()` gives the input of the next page
    /// (None after the last), `advance(result)` moves past a page given its result dict.
    #[pyclass(name = "Paginator")]
    struct NativePaginator {
        inner: Mutex<csms_core::Paginator>,
    }

    #[pymethods]
    impl NativePaginator {
        #[new]
        fn new(py: Python<'_>, operation: PyBackedStr, input: &Bound<'_, PyAny>) -> PyResult<Self> {
            guard(py, || {
                let op = super::operation(&operation)?;
                let value = to_json(input, "", 0)?;
                Ok(NativePaginator { inner: Mutex::new(csms_core::Paginator::new(op, value)?) })
            })
        }

        fn next_input<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
            guard(py, || {
                let pages = self.inner.lock().unwrap_or_else(|e| e.into_inner());
                Ok(match pages.next_input() {
                    Some(v) => Some(to_py(py, v)?),
                    None => None,
                })
            })
        }

        fn advance(&self, py: Python<'_>, result: &Bound<'_, PyAny>) -> PyResult<()> {
            guard(py, || {
                let value = to_json(result, "result", 0)?;
                self.inner.lock().unwrap_or_else(|e| e.into_inner()).advance(&value);
                Ok(())
            })
        }
    }

    /// The request signer alone: one access key and one algorithm (`SDK-HMAC-SHA256` by
    /// default, `SDK-HMAC-SM3`, `V11-HMAC-SHA256` (needs `region` and `service`),
    /// `SDK-ECDSA-P256-SHA256`, `SDK-SM2-SM3`).
    #[pyclass(frozen, module = "csms", name = "Signer")]
    struct NativeSigner {
        signer: Signer,
    }

    #[pymethods]
    impl NativeSigner {
        #[new]
        #[pyo3(signature = (ak, sk, security_token=None, algorithm=None, region=None, service=None))]
        fn new(
            py: Python<'_>,
            ak: &Bound<'_, PyAny>,
            sk: &Bound<'_, PyAny>,
            security_token: Option<&Bound<'_, PyAny>>,
            algorithm: Option<&Bound<'_, PyAny>>,
            region: Option<&Bound<'_, PyAny>>,
            service: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Self> {
            guard(py, || {
                let key = access_key(ak, sk, security_token)?;
                let algorithm: Algorithm = match opt_text(algorithm, "algorithm")? {
                    Some(name) => name.parse()?,
                    None => Algorithm::HmacSha256,
                };
                let scope = match (opt_text(region, "region")?, opt_text(service, "service")?) {
                    (None, None) => None,
                    (region, service) => {
                        Some(DerivedScope { region: region.unwrap_or_default(), service: service.unwrap_or_default() })
                    }
                };
                Ok(NativeSigner { signer: Signer::new(key, algorithm, scope)? })
            })
        }

        /// A copy of `request` signed for the time `at` (an `X-Sdk-Date` string, Unix seconds or
        /// a datetime; None: now, from `csms.transports.now()`): with `X-Sdk-Date`, `Host`,
        /// `X-Security-Token` for a temporary key, and `Authorization`.
        #[pyo3(signature = (request, at=None))]
        fn sign(
            &self,
            py: Python<'_>,
            request: PyRef<'_, Request>,
            at: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<Request> {
            guard(py, || {
                // The request's text is read in place (nothing copied), from objects held here:
                // they stay alive, and str and bytes do not change, while the GIL is released.
                let (method, url, body) =
                    (request.method.bind(py).clone(), request.url.bind(py).clone(), request.body.bind(py).clone());
                let objects: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = request.headers.bind(py).iter().collect();
                // Names and values given as bytes are decoded into `decoded` first (it does not
                // allocate when there are none, the usual case), so that `view` can borrow them:
                // two allocations a call instead of a third vector of `Cow`s.
                let mut decoded: Vec<String> = Vec::new();
                for (k, v) in &objects {
                    for obj in [k, v] {
                        if obj.cast::<PyString>().is_err() {
                            decoded.push(header_text(obj)?);
                        }
                    }
                }
                let mut view: Vec<(&str, &str)> = Vec::with_capacity(objects.len());
                let mut next_decoded = decoded.iter();
                fn text<'a>(obj: &'a Bound<'_, PyAny>, decoded: &mut std::slice::Iter<'a, String>) -> Res<&'a str> {
                    match obj.cast::<PyString>() {
                        Ok(s) => str_in(s, "headers"),
                        Err(_) => Ok(decoded.next().map_or("", String::as_str)),
                    }
                }
                for (k, v) in &objects {
                    view.push((text(k, &mut next_decoded)?, text(v, &mut next_decoded)?));
                }
                let (method, url, body) = (str_in(&method, "method")?, str_in(&url, "url")?, body.as_bytes());
                let at = sdk_date_or_now(py, at)?;
                let signer = &self.signer;
                let sign = || signer.sign_parts(method, url, &view, body, at);
                let signed = if asymmetric(signer.algorithm()) { py.detach(sign) } else { sign() }?;
                // The headers as signed: the same objects where a header is unchanged.
                let headers = PyDict::new(py);
                for (i, (name, value)) in signed.iter().enumerate() {
                    match (objects.get(i), view.get(i)) {
                        (Some((k, v)), Some((kt, vt))) if kt == name && vt == value => headers.set_item(k, v)?,
                        _ => headers.set_item(header_name(py, name), value.as_ref())?,
                    }
                }
                Ok(Request {
                    method: request.method.clone_ref(py),
                    url: request.url.clone_ref(py),
                    headers: headers.unbind(),
                    body: request.body.clone_ref(py),
                    operation: request.operation.as_ref().map(|o| o.clone_ref(py)),
                    idempotent: request.idempotent,
                })
            })
        }
    }

    /// Checks the signature of `request` with the key `ak`/`sk`, as the service does (not its
    /// age). Returns None when it is valid, else why not.
    #[pyfunction]
    #[pyo3(signature = (request, ak, sk, security_token=None))]
    fn verify(
        py: Python<'_>,
        request: PyRef<'_, Request>,
        ak: &Bound<'_, PyAny>,
        sk: &Bound<'_, PyAny>,
        security_token: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Option<String>> {
        guard(py, || {
            let request = http_request(&request, py)?;
            let key = access_key(ak, sk, security_token)?;
            Ok(verify_request(&request, &key).err().map(|e| e.to_string()))
        })
    }

    /// The `X-Sdk-Date` text (`YYYYMMDDTHHMMSSZ`) of a time: a datetime (naive = UTC), Unix
    /// seconds, or such a text (checked); None: now, from `csms.transports.now()`.
    #[pyfunction]
    #[pyo3(name = "sdk_date", signature = (at=None))]
    fn sdk_date_text(py: Python<'_>, at: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        guard(py, || Ok(sdk_date_or_now(py, at)?.to_string()))
    }

    /// Panics inside a guarded call (for the test that panics become `CsmsError`).
    #[pyfunction]
    fn _panic_for_tests(py: Python<'_>, message: String) -> PyResult<()> {
        guard(py, || -> Res<()> { panic!("{message}") })
    }
}
