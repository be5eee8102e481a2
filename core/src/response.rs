//! Turning a response into a result or an error.

use crate::error::{Error, Result};
use crate::http::HttpResponse;
use crate::operations::node::Node;
use crate::operations::OperationSpec;
use crate::util::slice;
use serde_json::{Map, Value};

/// The response body of a successful call as JSON, in the operation's current shape:
/// an empty body is `{}`, and an older shape (`{"rotate": {...}}`) is unwrapped.
/// Any status outside 2xx gives [`Error::Api`].
pub(crate) fn success_body(op: &OperationSpec, response: &HttpResponse) -> Result<Value> {
    if !(200..300).contains(&response.status) {
        return Err(api_error(response));
    }
    let decode_error = |reason: String| decode_error(response, reason);
    if response.body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Map::new()));
    }
    let value = crate::json::parse(&response.body).map_err(|e| decode_error(format!("the body is not JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(decode_error("the body is not a JSON object".to_owned()));
    };
    let Some(key) = op.unwrap.filter(|key| object.contains_key(*key)) else {
        return Ok(Value::Object(object));
    };
    // The member `key` is taken out; when it is an object, it is the result. (Taken apart
    // rather than removed: map removal is large code in the WebAssembly build.)
    let mut rest = Map::new();
    for (k, v) in object {
        match v {
            Value::Object(inner) if k == key => return Ok(Value::Object(inner)),
            _ if k == key => {}
            v => {
                rest.insert(k, v);
            }
        }
    }
    Ok(Value::Object(rest))
}

/// Turns the response of `op` into its result: JSON with wire names and only the fields the
/// operation defines, or an [`Error::Api`] / [`Error::Decode`].
///
/// ```
/// use csms_core::{operation, parse_response, HttpResponse};
/// let rotate = operation("RotateSecret").unwrap();
/// let old_shape = HttpResponse::new(200, vec![], r#"{"rotate": {"version_id": "v2", "secret_name": "db"}}"#);
/// assert_eq!(parse_response(rotate, &old_shape).unwrap()["version_id"], "v2");
/// ```
pub fn parse_response(op: &OperationSpec, response: &HttpResponse) -> Result<Value> {
    let body = success_body(op, response)?;
    op.decode(body).map_err(|reason| decode_error(response, reason))
}

/// [`parse_response`] given to `sink` (see [`DecodeSink`](crate::DecodeSink)) rather than
/// made: the same result, read with no second `Value` tree; the same errors.
pub fn parse_response_into(
    op: &OperationSpec,
    response: &HttpResponse,
    sink: &mut impl crate::DecodeSink,
) -> Result<()> {
    if (200..300).contains(&response.status) {
        // Most bodies are read in place, with no `Value` made and dropped (see
        // `operations::node`); any other, and every error, as `parse_response` reads it.
        if let Some(members) = crate::operations::node::read_object(&response.body) {
            op.decode_members_into(unwrapped(op, members), sink);
            return Ok(());
        }
    }
    let body = success_body(op, response)?;
    op.decode_into(&body, sink).map_err(|reason| decode_error(response, reason))
}

/// The members of a body's object in the operation's current shape, as [`success_body`]
/// gives them: the object under `op.unwrap` when the body has that key and it holds an
/// object, else the members but that key.
fn unwrapped<'a>(op: &OperationSpec, mut members: Vec<(&'a str, Node<'a>)>) -> Vec<(&'a str, Node<'a>)> {
    let Some(key) = op.unwrap else { return members };
    let Some(at) = members.iter().position(|(k, _)| *k == key) else { return members };
    match members.remove(at) {
        (_, Node::Object(inner)) => inner,
        _ => members,
    }
}

/// The [`Error::Decode`] of `response`'s body, for `reason`.
fn decode_error(response: &HttpResponse, reason: String) -> Error {
    Error::Decode { reason, status: response.status, request_id: response.request_id().unwrap_or_default().to_owned() }
}

/// The API error of a response whose status is not 2xx.
///
/// The code and message are looked for as `error_code`/`error_msg`, `errorCode`/`errorMsg`
/// or `code`/`message`, at the top of the body and then in nested objects
/// (`{"error": {...}}`). Without them the code is the status and the message the body text,
/// its first 512 bytes at most (an HTML page can be large), then `… (N bytes)`.
/// The request id is the `X-Request-Id` header (any letter case), else the body's `request_id`.
/// `retry_after_secs` is the `Retry-After` header when it gives seconds (a call's
/// [`Attempts`](crate::Attempts) also reads the HTTP-date form, against its clock).
pub fn api_error(response: &HttpResponse) -> Error {
    let text = String::from_utf8_lossy(&response.body);
    let json = crate::json::parse(text.as_bytes()).ok();
    let object = json.as_ref().and_then(Value::as_object);
    let (error_code, error_msg) =
        object.and_then(find_code_and_message).unwrap_or_else(|| (response.status.to_string(), bounded(text.trim())));
    let request_id = response
        .request_id()
        .map(str::to_owned)
        .or_else(|| object.and_then(|o| o.get("request_id")).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_default();
    // Only the seconds form: a date needs the clock, which `Attempts` reads it against.
    let retry_after_secs = crate::retry::retry_after(response, None).map(secs_u32);
    Error::Api {
        status: response.status,
        error_code,
        error_msg,
        request_id,
        not_retried: None,
        retry_after_secs,
        signature: None,
    }
}

/// A `Retry-After` as the whole seconds [`Error::Api`] keeps (at most `u32::MAX`).
pub(crate) fn secs_u32(wait: std::time::Duration) -> u32 {
    u32::try_from(wait.as_secs()).unwrap_or(u32::MAX)
}

/// The longest body text kept whole as an error's message, in bytes.
const MAX_MESSAGE_BYTES: usize = 512;

/// `text` when it is at most [`MAX_MESSAGE_BYTES`] long; else its start, cut at a character
/// boundary, then `… (N bytes)` with the whole length.
fn bounded(text: &str) -> String {
    if text.len() <= MAX_MESSAGE_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_MESSAGE_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end + 24);
    out.push_str(slice(text, 0, end));
    out.push_str("… (");
    // (As `u64`: its formatting is in the WebAssembly build already, `usize`'s would be added.)
    out.push_str(&(text.len() as u64).to_string());
    out.push_str(" bytes)");
    out
}

const CODE_MESSAGE_PAIRS: [(&str, &str); 3] =
    [("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")];

fn find_code_and_message(object: &Map<String, Value>) -> Option<(String, String)> {
    for (code, message) in CODE_MESSAGE_PAIRS {
        if let (Some(c), Some(m)) = (object.get(code), object.get(message)) {
            if !c.is_null() && !c.is_object() && !m.is_object() {
                return Some((text_of(c), text_of(m)));
            }
        }
    }
    object.values().filter_map(Value::as_object).find_map(find_code_and_message)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => crate::util::json_text(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error_of(status: u16, headers: &[(&str, &str)], body: &str) -> Error {
        let headers = headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        api_error(&HttpResponse::new(status, headers, body))
    }

    #[test]
    fn reads_every_documented_error_shape() {
        let cases = [
            (r#"{"error_code":"CSMS.0401","error_msg":"flat"}"#, "CSMS.0401", "flat"),
            (r#"{"error":{"error_code":"CSMS.0404","error_msg":"nested"}}"#, "CSMS.0404", "nested"),
            (r#"{"error":{"code":"APIGW.0301","message":"gw"}}"#, "APIGW.0301", "gw"),
            (r#"{"errorCode":"X1","errorMsg":"camel"}"#, "X1", "camel"),
            ("plain failure", "500", "plain failure"),
            ("", "500", ""),
        ];
        for (body, code, msg) in cases {
            match error_of(500, &[("x-REQUEST-id", "r1")], body) {
                Error::Api { status: 500, error_code, error_msg, request_id, .. } => {
                    assert_eq!(
                        (error_code.as_str(), error_msg.as_str(), request_id.as_str()),
                        (code, msg, "r1"),
                        "{body}"
                    )
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn takes_the_request_id_from_a_gateway_body() {
        let e = error_of(401, &[], r#"{"error_code":"APIG.0303","error_msg":"m","request_id":"gw-1"}"#);
        assert_eq!(e.request_id(), Some("gw-1"));
    }

    #[test]
    fn a_large_body_without_an_error_document_is_cut() {
        for unit in ["<p>x</p>", "é", "中文"] {
            let body = unit.repeat(1_048_576 / unit.len());
            match error_of(502, &[("X-Request-Id", "r2")], &body) {
                Error::Api { status: 502, error_code, error_msg, request_id, .. } => {
                    assert_eq!((error_code.as_str(), request_id.as_str()), ("502", "r2"));
                    let (head, tail) = error_msg.split_once('…').unwrap();
                    assert!(head.len() <= 512 && head.len() > 505 && body.starts_with(head), "{unit}");
                    assert_eq!(tail, format!(" ({} bytes)", body.len()));
                }
                other => panic!("{other:?}"),
            }
        }
        let short = "x".repeat(512);
        assert!(matches!(error_of(500, &[], &short), Error::Api { error_msg, .. } if error_msg == short));
    }
}
