//! The canonical request shared by every signing algorithm, built exactly as the official
//! Python signer builds it.

use super::hash::{hex, HashKind};
use crate::encoding::{encode_into, percent_decode as decode};
use crate::http::HttpRequest;

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
    // Byte searches: the delimiters are ASCII (and a plain loop is cheaper than `str`
    // patterns and iterator adapters where calls are not inlined).
    fn find(text: &str, a: u8, b: u8) -> Option<usize> {
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
    let colon = find(url, b':', b':')?;
    let rest = url[colon..].strip_prefix("://")?;
    let rest = &rest[..find(rest, b'#', b'#').unwrap_or(rest.len())];
    let (authority, rest) = rest.split_at(find(rest, b'/', b'?').unwrap_or(rest.len()));
    let (path, query) = match find(rest, b'?', b'?') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    Some(UrlParts { authority, path: if path.is_empty() { "/" } else { path }, query })
}

/// The path decoded, then each segment encoded again, with a `/` at the end.
pub(crate) fn canonical_uri(path: &str) -> String {
    let decoded = decode(path);
    let mut out = String::with_capacity(decoded.len() + 8);
    for (i, segment) in decoded.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        encode_into(&mut out, segment);
    }
    if !out.ends_with('/') {
        out.push('/');
    }
    out
}

/// The query's `name=value` pairs decoded, sorted by name then value, and encoded again.
///
/// This is also the query string the core sends, so the wire and the signature agree.
pub(crate) fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (decode(k), decode(v)),
            None => (decode(p), String::new()),
        })
        .collect();
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
    let graphic = |b: Option<&u8>| b.is_some_and(|b| (b'!'..=b'~').contains(b));
    if graphic(value.as_bytes().first()) && graphic(value.as_bytes().last()) {
        return value;
    }
    value.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The names of the headers the official signer signs: every header whose name has no `_`,
/// lower-cased and sorted.
pub(crate) fn signed_header_names(req: &HttpRequest) -> Vec<String> {
    let mut names: Vec<String> =
        req.headers.iter().filter(|(k, _)| !k.contains('_')).map(|(k, _)| k.to_ascii_lowercase()).collect();
    crate::util::sort(&mut names);
    names.dedup();
    names
}

/// The hex hash of the payload: of the empty string for an empty body, the value of the
/// unsigned-payload header when present, else of the body bytes.
fn payload_hash(req: &HttpRequest, hash: HashKind) -> String {
    if req.body.is_empty() {
        return hex(&hash.digest(b""));
    }
    if let Some(v) = req.header(hash.content_header()) {
        return v.to_owned();
    }
    hex(&hash.digest(&req.body))
}

/// The canonical request over the headers `signed` (lower-case, sorted). A signed header
/// missing from the request is returned as `Err(name)`.
pub(crate) fn canonical_request(req: &HttpRequest, signed: &[String], hash: HashKind) -> Result<String, String> {
    let url = split_url(&req.url).ok_or_else(|| "url".to_owned())?;
    let mut out = String::with_capacity(256 + req.url.len());
    out.push_str(&req.method);
    out.push('\n');
    out.push_str(&canonical_uri(url.path));
    out.push('\n');
    out.push_str(&canonical_query(url.query));
    out.push('\n');
    for name in signed {
        let value = req.header(name).ok_or_else(|| name.clone())?;
        out.push_str(name);
        out.push(':');
        out.push_str(strip(value));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&signed.join(";"));
    out.push('\n');
    out.push_str(&payload_hash(req, hash));
    Ok(out)
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
    fn strip_matches_python() {
        assert_eq!(strip("\u{1c} a b \t\n"), "a b");
    }
}
