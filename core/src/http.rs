//! Plain HTTP requests and responses: what the core hands to a transport and gets back.

use crate::util::{wipe, wipe_bytes};

/// A request ready to send: every header it needs (signature included) and its body.
///
/// Headers keep their order and spelling; look them up with [`HttpRequest::header`], which
/// ignores letter case. The body and header values are zeroized when the request is dropped,
/// since they may carry secret values and tokens.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, `PUT`, `DELETE`, ...
    pub method: String,
    /// The full URL as it goes on the wire, path and query percent-encoded.
    pub url: String,
    /// Header names and values, in the order they were added.
    pub headers: Vec<(String, String)>,
    /// The body bytes; empty when the request has no body.
    pub body: Vec<u8>,
}

/// A response as a transport received it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct HttpResponse {
    /// HTTP status code.
    pub status: u16,
    /// Header names and values as received.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// The value of the first header called `name`, ignoring letter case.
pub(crate) fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

impl HttpRequest {
    /// A request without headers or body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        HttpRequest { method: method.into(), url: url.into(), headers: Vec::new(), body: Vec::new() }
    }

    /// The value of the header `name` (any letter case).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// Sets the header `name`, replacing any header of that name in any letter case.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.headers.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name.to_owned(), value)),
        }
    }

    /// The body as text (lossy for bytes that are not UTF-8).
    pub fn body_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.body)
    }
}

impl HttpResponse {
    /// The only headers of a response the core reads, in any letter case: a binding that
    /// makes a response only to hand it to the core (to decide on a retry, read a result or
    /// an error) may leave every other header out.
    pub const HEADERS_READ: [&'static str; 3] = ["x-request-id", "retry-after", "date"];

    /// The headers of [`HttpResponse::HEADERS_READ`] that the core reads of a response with
    /// status `status`: of a success (2xx), `x-request-id` alone (a result that cannot be
    /// decoded names it); of any other status, all three. It depends on nothing but whether
    /// the status is a success, so a binding may ask for the two lists once (Kotlin's fast
    /// path does).
    ///
    /// ```
    /// use csms_core::HttpResponse;
    /// assert_eq!(HttpResponse::headers_read(200), ["x-request-id"]);
    /// assert_eq!(HttpResponse::headers_read(401), HttpResponse::HEADERS_READ);
    /// for status in 0..=u16::MAX {
    ///     let success = (200..300).contains(&status);
    ///     assert_eq!(HttpResponse::headers_read(status), HttpResponse::headers_read(if success { 200 } else { 500 }));
    /// }
    /// ```
    pub fn headers_read(status: u16) -> &'static [&'static str] {
        if (200..300).contains(&status) {
            &Self::HEADERS_READ[..1]
        } else {
            &Self::HEADERS_READ
        }
    }

    /// A response with this status, headers and body.
    pub fn new(status: u16, headers: Vec<(String, String)>, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse { status, headers, body: body.into() }
    }

    /// The value of the header `name` (any letter case).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The `X-Request-Id` header, in any letter case.
    pub fn request_id(&self) -> Option<&str> {
        self.header("x-request-id")
    }
}

fn zeroize_parts(headers: &mut [(String, String)], body: &mut Vec<u8>) {
    for (_, value) in headers.iter_mut() {
        wipe(value);
    }
    wipe_bytes(body);
}

impl Drop for HttpRequest {
    fn drop(&mut self) {
        zeroize_parts(&mut self.headers, &mut self.body);
    }
}

impl Drop for HttpResponse {
    fn drop(&mut self) {
        zeroize_parts(&mut self.headers, &mut self.body);
    }
}

/// Headers whose values are credentials; `Debug` hides them.
const SECRET_HEADERS: [&str; 3] = ["authorization", "x-auth-token", "x-security-token"];

fn debug_headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers
        .iter()
        .map(|(k, v)| {
            let hidden = SECRET_HEADERS.iter().any(|s| k.eq_ignore_ascii_case(s));
            (k.as_str(), if hidden { "***" } else { v.as_str() })
        })
        .collect()
}

impl std::fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &debug_headers(&self.headers))
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("headers", &debug_headers(&self.headers))
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}
