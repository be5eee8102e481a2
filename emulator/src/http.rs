//! HTTP/1.1 on the wire: reading requests (with keep-alive, `Content-Length` or chunked
//! bodies, `Expect: 100-continue`) and writing responses. Just enough of RFC 9112 for SDK
//! clients, browsers and test clients.

use std::io::{self, BufRead, Read, Write};

/// Largest request head (request line and headers) read.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bodies over the limit but under this size are read and thrown away, so that the
/// connection stays usable after the 413; larger ones close the connection.
const DISCARD_LIMIT: u64 = 16 * 1024 * 1024;

/// A request as read from the connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct WireRequest {
    /// Method, as sent (`GET`, `POST`, ...).
    pub method: String,
    /// The request target as sent: path and query, percent-encoded.
    pub target: String,
    /// Header names and values, in order, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (empty when there is none, or when it was over the limit).
    pub body: Vec<u8>,
    /// The body's size when it was over the limit (the body itself was dropped).
    pub oversized_body: Option<u64>,
    /// Whether the connection may serve another request after this one.
    pub keep_alive: bool,
    /// Whether the request was HTTP/1.0.
    pub http10: bool,
}

impl WireRequest {
    /// The first header called `name` (any letter case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What reading from a connection gave.
#[derive(Debug)]
pub(crate) enum ReadOutcome {
    /// A complete request.
    Request(WireRequest),
    /// The peer closed the connection between requests.
    Closed,
    /// The bytes are not a request we can read; answer `status` with `message`, then close.
    Malformed {
        /// 400, 413 (oversized head or body that is not drained), 431, 501 or 505.
        status: u16,
        /// What was wrong.
        message: String,
    },
}

fn malformed(status: u16, message: impl Into<String>) -> io::Result<ReadOutcome> {
    Ok(ReadOutcome::Malformed { status, message: message.into() })
}

/// Reads one request. `interim` receives the `100 Continue` answer when the client asks
/// for it. Bodies larger than `max_body` are skipped (`oversized_body` is set).
pub(crate) fn read_request<R: BufRead, W: Write>(
    reader: &mut R,
    interim: &mut W,
    max_body: usize,
) -> io::Result<ReadOutcome> {
    // The request line, skipping empty lines left between requests.
    let mut head_bytes = 0usize;
    let request_line = loop {
        let mut line = Vec::new();
        let n = reader.by_ref().take((MAX_HEAD_BYTES + 1) as u64).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(ReadOutcome::Closed);
        }
        head_bytes += n;
        if head_bytes > MAX_HEAD_BYTES {
            return malformed(431, "the request head is larger than 64 KiB");
        }
        if !line.ends_with(b"\n") {
            return Ok(ReadOutcome::Closed);
        }
        let text = trim_eol(&line);
        if !text.is_empty() {
            match std::str::from_utf8(text) {
                Ok(text) => break text.to_owned(),
                Err(_) => return malformed(400, "the request line is not UTF-8"),
            }
        }
    };
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return malformed(400, "the request line is not `METHOD target HTTP/1.1`");
    };
    if method.is_empty() || !method.bytes().all(is_token_byte) || target.is_empty() {
        return malformed(400, "the request line is not `METHOD target HTTP/1.1`");
    }
    let http10 = match version {
        "HTTP/1.1" => false,
        "HTTP/1.0" => true,
        _ => return malformed(505, format!("HTTP version `{version}` is not supported; use HTTP/1.1")),
    };

    let mut headers = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader.by_ref().take((MAX_HEAD_BYTES + 1) as u64).read_until(b'\n', &mut line)?;
        head_bytes += n;
        if head_bytes > MAX_HEAD_BYTES {
            return malformed(431, "the request head is larger than 64 KiB");
        }
        if n == 0 || !line.ends_with(b"\n") {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a request head"));
        }
        let text = trim_eol(&line);
        if text.is_empty() {
            break;
        }
        if text[0] == b' ' || text[0] == b'\t' {
            return malformed(400, "folded header lines are not accepted");
        }
        let Some(colon) = text.iter().position(|&b| b == b':') else {
            return malformed(400, "a header line has no `:`");
        };
        let name = &text[..colon];
        if name.is_empty() || !name.iter().copied().all(is_token_byte) {
            return malformed(400, "a header name is not a token");
        }
        let Ok(value) = std::str::from_utf8(&text[colon + 1..]) else {
            return malformed(400, "a header value is not UTF-8");
        };
        let name = String::from_utf8_lossy(name).into_owned(); // a token: ASCII
        headers.push((name, value.trim_matches([' ', '\t']).to_owned()));
    }

    let mut request = WireRequest {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: Vec::new(),
        oversized_body: None,
        keep_alive: false,
        http10,
    };
    let connection = request.header("connection").unwrap_or("").to_ascii_lowercase();
    let has_token = |t: &str| connection.split(',').any(|c| c.trim() == t);
    request.keep_alive = if http10 { has_token("keep-alive") } else { !has_token("close") };
    let expects_continue = request.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));

    let transfer_encoding = request.header("transfer-encoding").map(str::to_ascii_lowercase);
    if let Some(te) = transfer_encoding {
        if te.split(',').map(str::trim).next_back() != Some("chunked") {
            return malformed(501, format!("Transfer-Encoding `{te}` is not supported"));
        }
        if request.header("content-length").is_some() {
            // Both framings: read as chunked, then close (RFC 9112 §6.3).
            request.keep_alive = false;
        }
        if expects_continue && !http10 {
            interim.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            interim.flush()?;
        }
        match read_chunked(reader, max_body)? {
            Chunked::Body(body) => request.body = body,
            Chunked::Oversized(n) => request.oversized_body = Some(n),
            Chunked::Malformed(why) => return malformed(400, why),
            Chunked::TooLargeToDrain => {
                return malformed(413, format!("the body is larger than the {max_body} bytes accepted"))
            }
        }
        return Ok(ReadOutcome::Request(request));
    }

    let lengths: Vec<&str> = request
        .headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.as_str())
        .collect();
    let length = match lengths.as_slice() {
        [] => 0u64,
        [first, rest @ ..] => {
            if rest.iter().any(|v| v != first) {
                return malformed(400, "several different Content-Length headers");
            }
            match first.parse::<u64>() {
                Ok(n) if first.bytes().all(|b| b.is_ascii_digit()) => n,
                _ => return malformed(400, format!("Content-Length `{first}` is not a number")),
            }
        }
    };
    if length > max_body as u64 {
        if length > DISCARD_LIMIT || expects_continue {
            return malformed(413, format!("the body is {length} bytes, more than the {max_body} bytes accepted"));
        }
        let skipped = io::copy(&mut reader.by_ref().take(length), &mut io::sink())?;
        if skipped < length {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a body"));
        }
        request.oversized_body = Some(length);
        return Ok(ReadOutcome::Request(request));
    }
    if length > 0 {
        if expects_continue && !http10 {
            interim.write_all(b"HTTP/1.1 100 Continue\r\n\r\n")?;
            interim.flush()?;
        }
        // Grown as bytes arrive, not allocated from the announced length.
        let mut body = Vec::with_capacity(length.min(64 * 1024) as usize);
        reader.by_ref().take(length).read_to_end(&mut body)?;
        if (body.len() as u64) < length {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a body"));
        }
        request.body = body;
    }
    Ok(ReadOutcome::Request(request))
}

enum Chunked {
    Body(Vec<u8>),
    Oversized(u64),
    TooLargeToDrain,
    Malformed(String),
}

fn read_chunked<R: BufRead>(reader: &mut R, max_body: usize) -> io::Result<Chunked> {
    let mut body = Vec::new();
    let mut total: u64 = 0;
    loop {
        let mut line = Vec::new();
        reader.by_ref().take(4096).read_until(b'\n', &mut line)?;
        if !line.ends_with(b"\n") {
            return Ok(Chunked::Malformed("a chunk size line is malformed".into()));
        }
        let Ok(text) = std::str::from_utf8(trim_eol(&line)) else {
            return Ok(Chunked::Malformed("a chunk size line is not UTF-8".into()));
        };
        let size_text = text.split(';').next().unwrap_or("").trim();
        let Ok(size) = u64::from_str_radix(size_text, 16) else {
            return Ok(Chunked::Malformed(format!("`{size_text}` is not a chunk size")));
        };
        if size == 0 {
            // Trailers, up to the empty line.
            loop {
                let mut trailer = Vec::new();
                let n = reader.by_ref().take(MAX_HEAD_BYTES as u64).read_until(b'\n', &mut trailer)?;
                if n == 0 || !trailer.ends_with(b"\n") {
                    return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside trailers"));
                }
                if trim_eol(&trailer).is_empty() {
                    break;
                }
            }
            return Ok(if total > max_body as u64 { Chunked::Oversized(total) } else { Chunked::Body(body) });
        }
        total = total.saturating_add(size);
        if total > DISCARD_LIMIT {
            return Ok(Chunked::TooLargeToDrain);
        }
        if total > max_body as u64 {
            body = Vec::new();
            let skipped = io::copy(&mut reader.by_ref().take(size), &mut io::sink())?;
            if skipped < size {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a chunk"));
            }
        } else {
            let start = body.len();
            reader.by_ref().take(size).read_to_end(&mut body)?;
            if ((body.len() - start) as u64) < size {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed inside a chunk"));
            }
        }
        let mut crlf = Vec::new();
        reader.by_ref().take(2).read_until(b'\n', &mut crlf)?;
        if trim_eol(&crlf) != b"" || !crlf.ends_with(b"\n") {
            return Ok(Chunked::Malformed("a chunk is not followed by CRLF".into()));
        }
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// A response to write.
#[derive(Debug, Clone)]
pub(crate) struct WireResponse {
    /// Status code.
    pub status: u16,
    /// Headers (without `Content-Length` and `Connection`, which are added when written).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl WireResponse {
    /// Adds a header.
    pub(crate) fn header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push((name.to_owned(), value.into()));
    }
}

/// Writes `response`; `keep_alive` decides the `Connection` header.
pub(crate) fn write_response<W: Write>(
    out: &mut W,
    response: &WireResponse,
    keep_alive: bool,
    http10: bool,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(256 + response.body.len());
    let version = if http10 { "HTTP/1.0" } else { "HTTP/1.1" };
    write!(buf, "{version} {} {}\r\n", response.status, reason(response.status))?;
    for (name, value) in &response.headers {
        let clean: String = value.chars().map(|c| if c == '\r' || c == '\n' { ' ' } else { c }).collect();
        write!(buf, "{name}: {clean}\r\n")?;
    }
    let no_body = response.status == 204 || response.status == 304 || response.status < 200;
    if !no_body {
        write!(buf, "Content-Length: {}\r\n", response.body.len())?;
    }
    if !keep_alive {
        buf.extend_from_slice(b"Connection: close\r\n");
    } else if http10 {
        buf.extend_from_slice(b"Connection: keep-alive\r\n");
    }
    buf.extend_from_slice(b"\r\n");
    if !no_body {
        buf.extend_from_slice(&response.body);
    }
    out.write_all(&buf)?;
    out.flush()
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        413 => "Content Too Large",
        421 => "Misdirected Request",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8], max: usize) -> (ReadOutcome, Vec<u8>) {
        let mut reader = io::BufReader::new(bytes);
        let mut interim = Vec::new();
        (read_request(&mut reader, &mut interim, max).unwrap(), interim)
    }

    #[test]
    fn reads_content_length_and_chunked_bodies() {
        let (r, _) = read(b"POST /a?b=c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 10);
        let ReadOutcome::Request(r) = r else { panic!() };
        assert_eq!(
            (r.method.as_str(), r.target.as_str(), r.body.as_slice(), r.keep_alive),
            ("POST", "/a?b=c", &b"abc"[..], true)
        );
        let (r, interim) =
            read(b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n2\r\nab\r\n1;x=y\r\nc\r\n0\r\n\r\n", 10);
        let ReadOutcome::Request(r) = r else { panic!() };
        assert_eq!(r.body, b"abc");
        assert!(interim.starts_with(b"HTTP/1.1 100"));
    }

    #[test]
    fn skips_oversized_bodies_and_refuses_garbage() {
        let (r, _) = read(b"POST / HTTP/1.1\r\nContent-Length: 20\r\n\r\n01234567890123456789", 10);
        let ReadOutcome::Request(r) = r else { panic!() };
        assert_eq!(r.oversized_body, Some(20));
        assert!(matches!(read(b"GARBAGE\r\n\r\n", 10).0, ReadOutcome::Malformed { status: 400, .. }));
        assert!(matches!(read(b"GET / HTTP/2.0\r\n\r\n", 10).0, ReadOutcome::Malformed { status: 505, .. }));
        assert!(matches!(read(b"", 10).0, ReadOutcome::Closed));
        // Bytes that are not UTF-8 are refused, never replaced by U+FFFD.
        for bad in [&b"GET /\xff HTTP/1.1\r\n\r\n"[..], b"GET / HTTP/1.1\r\nX-A: \xc3\r\n\r\n"] {
            assert!(matches!(read(bad, 10).0, ReadOutcome::Malformed { status: 400, .. }), "{bad:?}");
        }
        let (r, _) = read(b"GET / HTTP/1.0\r\n\r\n", 10);
        let ReadOutcome::Request(r) = r else { panic!() };
        assert!(!r.keep_alive && r.http10);
    }
}
