//! The canonical request shared by every signing algorithm, built exactly as the official
//! Python signer builds it.

use super::hash::{hex_into, HashKind};
use crate::encoding::{encode_into, encode_keeping, percent_decode as decode};
use crate::http::HttpRequest;
use crate::util::slice;
use std::borrow::Cow;

/// The parts of a URL the signature covers.
pub(crate) struct UrlParts<'a> {
    /// `host[:port]`.
    pub authority: &'a str,
    /// The path as sent (percent-encoded), `/` when empty.
    pub path: &'a str,
    /// The query as sent, without `?` (may be empty).
    pub query: &'a str,
}

/// Splits `scheme://authority/path?query#fragment`; `None` when there is no `scheme://`.
pub(crate) fn split_url(url: &str) -> Option<UrlParts<'_>> {
    // Byte searches: the delimiters are ASCII, so every index is a character boundary (and
    // `str::find` with a string pattern is large where size counts).
    // (`slice`: no panic path for indexing either; `find_either`: one search routine.)
    let colon = find_either(url, b':', b':')?;
    let rest = slice(url, colon, url.len()).strip_prefix("://")?;
    // `contains` first: for bytes it is the word-at-a-time `memchr`, several times faster
    // than the byte loop on a URL that has no fragment or no query (the usual case).
    let fragment = if rest.as_bytes().contains(&b'#') { find_either(rest, b'#', b'#') } else { None };
    let rest = fragment.map_or(rest, |end| slice(rest, 0, end));
    let auth_end = find_either(rest, b'/', b'?').unwrap_or(rest.len());
    let (authority, rest) = (slice(rest, 0, auth_end), slice(rest, auth_end, rest.len()));
    let query_at = if rest.as_bytes().contains(&b'?') { find_either(rest, b'?', b'?') } else { None };
    let (path, query) = match query_at {
        Some(i) => (slice(rest, 0, i), slice(rest, i + 1, rest.len())),
        None => (rest, ""),
    };
    Some(UrlParts { authority, path: if path.is_empty() { "/" } else { path }, query })
}

/// The index of the first byte of `text` that is `a` or `b` (a plain loop: `str::find`
/// with a `char` pattern is several times slower in the size-tuned WebAssembly build).
pub(crate) fn find_either(text: &str, a: u8, b: u8) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == a || bytes[i] == b {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// The path decoded, then each segment encoded again, with a `/` at the end.
#[cfg(test)]
pub(crate) fn canonical_uri(path: &str) -> String {
    let mut out = String::new();
    canonical_uri_into(&mut out, path);
    out
}

/// Appends the canonical path (see `canonical_uri`) to `out`.
fn canonical_uri_into(out: &mut String, path: &str) {
    let decoded = if path.bytes().any(|b| b == b'%') { Cow::Owned(decode(path)) } else { Cow::Borrowed(path) };
    // Each segment encoded, joined by `/` (so every byte but `/` encoded), then a `/` unless
    // the last segment was empty.
    encode_keeping(out, &decoded, |b| b == b'/');
    if !decoded.ends_with('/') {
        out.push('/');
    }
}

/// The query's `name=value` pairs decoded, sorted by name then value, and encoded again.
///
/// This is also the query string the core sends, so the wire and the signature agree.
pub(crate) fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for p in query.split('&') {
        if !p.is_empty() {
            pairs.push(match p.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(p), String::new()),
            });
        }
    }
    crate::util::sort(&mut pairs);
    join_pairs(&pairs)
}

/// `k=v&k=v` with names and values percent-encoded, in the given order.
pub(crate) fn join_pairs(pairs: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

/// Python's `str.strip()`: Unicode whitespace plus the ASCII separators 0x1C-0x1F.
pub(crate) fn strip(value: &str) -> &str {
    // Most values start and end with a visible ASCII character: nothing to strip.
    let visible = |b: Option<&u8>| b.is_some_and(|&b| b > b' ' && b < 0x7f);
    if visible(value.as_bytes().first()) && visible(value.as_bytes().last()) {
        return value;
    }
    value.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The headers the official signer signs, as `(name, value)` in signing order: every header
/// whose name has no `_`, sorted by lower-cased name, the first of each name (in any letter
/// case) kept.
pub(crate) fn signed_headers<'a>(all: &'a [(&'a str, Cow<'a, str>)]) -> Vec<(&'a str, &'a str)> {
    // Plain loops: iterator adapters are sizeable where code size counts.
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(all.len());
    for (name, value) in all {
        // A plain loop over a name of a few bytes: `contains` is a call to `memchr` each.
        if !name.bytes().any(|b| b == b'_') {
            headers.push((name, value));
        }
    }
    // A stable sort (among names equal but for case, the first in the request stays first),
    // by insertion: headers are few, and its code is small where size counts.
    for i in 1..headers.len() {
        let mut j = i;
        while j > 0 && lowercase_greater(headers[j - 1].0, headers[j].0) {
            headers.swap(j - 1, j);
            j -= 1;
        }
    }
    // The first of each name kept (equal names are next to each other).
    let mut kept = 0;
    for i in 0..headers.len() {
        if kept == 0 || !headers[i].0.eq_ignore_ascii_case(headers[kept - 1].0) {
            headers[kept] = headers[i];
            kept += 1;
        }
    }
    headers.truncate(kept);
    headers
}

/// Whether `a` sorts after `b` once both are lower-cased (ASCII).
fn lowercase_greater(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for i in 0..a.len().min(b.len()) {
        let (x, y) = (a[i].to_ascii_lowercase(), b[i].to_ascii_lowercase());
        if x != y {
            return x > y;
        }
    }
    a.len() > b.len()
}

/// Appends the hex hash of the payload to `out`: of the empty string for an empty body, the
/// value of the unsigned-payload header (`unsigned`) when present, else of the body bytes.
fn payload_hash_into(out: &mut String, body: &[u8], unsigned: Option<&str>, hash: HashKind) {
    if body.is_empty() {
        return out.push_str(hash.empty_hex());
    }
    if let Some(v) = unsigned {
        return out.push_str(v);
    }
    hex_into(out, &hash.digest(body))
}

/// The `SignedHeaders` list of `headers`: their names lower-cased, joined by `;`.
pub(crate) fn signed_list(headers: &[(&str, &str)]) -> String {
    let mut list = String::with_capacity(headers.iter().map(|(name, _)| name.len() + 1).sum());
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            list.push(';');
        }
        list.push_str(name);
    }
    list.make_ascii_lowercase();
    list
}

/// The canonical request over the headers `signed` (lower-case, sorted), with `claim` as
/// the payload hash of a non-empty body (its hash when `None`; see [`Payload`]). A signed
/// header missing from the request is returned as `Err(name)`.
pub(crate) fn canonical_request(
    req: &HttpRequest,
    signed: &[String],
    claim: Option<&str>,
    hash: HashKind,
) -> Result<String, String> {
    let headers = signed
        .iter()
        .map(|name| Ok((name.as_str(), req.header(name).ok_or_else(|| name.clone())?)))
        .collect::<Result<Vec<_>, String>>()?;
    let url = split_url(&req.url).ok_or_else(|| "url".to_owned())?;
    let body = Payload { body: &req.body, unsigned: claim };
    Ok(canonical_request_of(&req.method, &url, &headers, &signed.join(";"), body, hash))
}

/// What the canonical request says of the body.
pub(crate) struct Payload<'a> {
    /// The body bytes.
    pub body: &'a [u8],
    /// The value of the content-hash header (`X-Sdk-Content-Sha256` or `X-Sdk-Content-Sm3`),
    /// written as the payload hash of a non-empty body instead of its hash. The signer
    /// passes the header it signs; the verifier only a signed one it has checked.
    pub unsigned: Option<&'a str>,
}

/// The canonical request of a `method` on `url` over `headers`, the `(name, value)` pairs
/// to sign in order (names as they are to be written), `list` being their names joined by
/// `;`.
pub(crate) fn canonical_request_of(
    method: &str,
    url: &UrlParts<'_>,
    headers: &[(&str, &str)],
    list: &str,
    payload: Payload<'_>,
    hash: HashKind,
) -> String {
    let mut out = String::with_capacity(320 + url.path.len() + url.query.len() + 2 * list.len());
    out.push_str(method);
    out.push('\n');
    canonical_uri_into(&mut out, url.path);
    out.push('\n');
    if !url.query.is_empty() {
        out.push_str(&canonical_query(url.query));
    }
    out.push('\n');
    for (name, value) in headers {
        out.push_str(name);
        out.push(':');
        out.push_str(strip(value));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(list);
    out.push('\n');
    payload_hash_into(&mut out, payload.body, payload.unsigned, hash);
    out
}

/// The values of secret headers (a security token, an IAM token) in a canonical request,
/// each shown as `***`: the canonical request as an error or a debug record shows it. Header
/// lines are the only ones that start with a lower-case header name and `:` (a path starts
/// with `/`, a query encodes `:`), and header values hold no line break.
pub(crate) fn masked(canonical: &str) -> String {
    let mut out = String::with_capacity(canonical.len());
    // Plain loops, by line: iterator adapters are sizeable where code size counts.
    let mut rest = canonical;
    loop {
        let end = find_either(rest, b'\n', b'\n').unwrap_or(rest.len());
        let line = slice(rest, 0, end);
        let mut shown = line;
        for name in ["x-security-token:", "x-auth-token:"] {
            if line.starts_with(name) {
                out.push_str(name);
                shown = "***";
            }
        }
        out.push_str(shown);
        if end == rest.len() {
            return out;
        }
        out.push('\n');
        rest = slice(rest, end + 1, rest.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_urls() {
        let u = split_url("http://127.0.0.1:8443/v1/p/secrets?limit=1#frag").unwrap();
        assert_eq!((u.authority, u.path, u.query), ("127.0.0.1:8443", "/v1/p/secrets", "limit=1"));
        let u = split_url("https://kms.x.com?a=b").unwrap();
        assert_eq!((u.authority, u.path, u.query), ("kms.x.com", "/", "a=b"));
        assert!(split_url("kms.x.com/v1").is_none());
    }

    #[test]
    fn canonical_uri_decodes_then_encodes_with_trailing_slash() {
        assert_eq!(canonical_uri("/v1/p/csms/sid/tags/env%2F%E4%B8%AD%20x"), "/v1/p/csms/sid/tags/env/%E4%B8%AD%20x/");
        assert_eq!(canonical_uri("/v1/p/"), "/v1/p/");
        assert_eq!(canonical_uri("/a+b*"), "/a%2Bb%2A/");
    }

    #[test]
    fn canonical_query_sorts_by_name_then_value() {
        assert_eq!(canonical_query("marker=a%20b%2F&limit=10&b=2&b=1&flag"), "b=1&b=2&flag=&limit=10&marker=a%20b%2F");
        assert_eq!(canonical_query(""), "");
    }

    #[test]
    fn signed_headers_sort_by_lower_case_name_and_keep_the_first_of_a_name() {
        let mut req = HttpRequest::new("GET", "https://h/");
        for (k, v) in [("X-B", "2"), ("x-a", "1"), ("X-A", "3"), ("a_b", "unsigned"), ("Host", "h")] {
            req.headers.push((k.into(), v.into()));
        }
        let all: Vec<(&str, Cow<str>)> = req.headers.iter().map(|(k, v)| (k.as_str(), Cow::from(v.as_str()))).collect();
        let headers = signed_headers(&all);
        assert_eq!(headers, [("Host", "h"), ("x-a", "1"), ("X-B", "2")]);
        assert_eq!(signed_list(&headers), "host;x-a;x-b");
        // The list the signer signs is the one a verifier reads back.
        let names: Vec<String> = signed_list(&headers).split(';').map(str::to_owned).collect();
        let url = split_url(&req.url).unwrap();
        let lowered: Vec<(&str, &str)> = vec![("host", "h"), ("x-a", "1"), ("x-b", "2")];
        assert_eq!(
            canonical_request(&req, &names, None, HashKind::Sha256).unwrap(),
            canonical_request_of(
                &req.method,
                &url,
                &lowered,
                "host;x-a;x-b",
                Payload { body: &req.body, unsigned: None },
                HashKind::Sha256
            )
        );
    }

    #[test]
    fn canonical_uri_of_empty_and_slash_only_paths() {
        assert_eq!(canonical_uri("/"), "/");
        assert_eq!(canonical_uri("%2F"), "/");
        assert_eq!(canonical_uri("//"), "//");
        assert_eq!(canonical_uri("/a//b"), "/a//b/");
    }

    #[test]
    fn masked_hides_token_values_only() {
        let canonical = "GET\n/v1/x-auth-token:a/\nq=x-security-token%3A\nhost:h\nx-auth-token:T1\nx-security-token:T2\n\nhost;x-auth-token;x-security-token\nabc";
        assert_eq!(
            masked(canonical),
            "GET\n/v1/x-auth-token:a/\nq=x-security-token%3A\nhost:h\nx-auth-token:***\nx-security-token:***\n\nhost;x-auth-token;x-security-token\nabc"
        );
    }

    #[test]
    fn strip_matches_python() {
        assert_eq!(strip("\u{1c} a b \t\n"), "a b");
        assert_eq!(strip("\u{a0}x\u{2003}"), "x");
        assert_eq!(strip("éx\u{7f}"), "éx\u{7f}");
        assert_eq!(strip("plain"), "plain");
    }
}
