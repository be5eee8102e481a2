//! A tiny blocking HTTP/1.1 client over `TcpStream` (keep-alive), and a CSMS caller that
//! builds requests with `csms_core::Client` and parses what comes back.

#![allow(dead_code)]

use csms_core::{AccessKey, Algorithm, Client, Config, Credentials, HttpRequest, HttpResponse, SdkDate};
use serde_json::Value;
use std::io::{self, BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

/// One keep-alive connection to an endpoint `http://host:port`.
pub struct Conn {
    authority: String,
    stream: Option<BufReader<TcpStream>>,
}

impl Conn {
    pub fn new(endpoint: &str) -> Conn {
        Conn { authority: endpoint.trim_start_matches("http://").to_owned(), stream: None }
    }

    fn connect(&mut self) -> io::Result<&mut BufReader<TcpStream>> {
        if self.stream.is_none() {
            let stream = TcpStream::connect(&self.authority)?;
            stream.set_read_timeout(Some(Duration::from_secs(30)))?;
            stream.set_nodelay(true)?;
            self.stream = Some(BufReader::new(stream));
        }
        Ok(self.stream.as_mut().unwrap())
    }

    /// Sends a request as the core built it. A connection the server closed while idle is
    /// reopened once (nothing was sent on it yet).
    pub fn send(&mut self, request: &HttpRequest) -> HttpResponse {
        let path = match request.url.split_once("://") {
            Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]).to_owned(),
            None => request.url.clone(),
        };
        let mut head = format!("{} {path} HTTP/1.1\r\n", request.method);
        for (k, v) in &request.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if request.header("host").is_none() {
            // As every HTTP client does (the core adds it only when it signs).
            head.push_str(&format!("Host: {}\r\n", self.authority));
        }
        if request.header("content-length").is_none() {
            head.push_str(&format!("Content-Length: {}\r\n", request.body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&request.body);
        self.send_raw(&bytes)
    }

    /// Sends raw bytes and reads one response.
    pub fn send_raw(&mut self, bytes: &[u8]) -> HttpResponse {
        for attempt in 0..2 {
            match self.exchange(bytes) {
                Ok(response) => return response,
                Err(e) if attempt == 0 && self.stream.is_some() => {
                    let _ = e;
                    self.stream = None;
                }
                Err(e) => panic!("HTTP exchange with {} failed: {e}", self.authority),
            }
        }
        unreachable!()
    }

    fn exchange(&mut self, bytes: &[u8]) -> io::Result<HttpResponse> {
        let reader = self.connect()?;
        reader.get_mut().write_all(bytes)?;
        let result = read_response(reader);
        match &result {
            Ok(response) if response.header("connection").is_some_and(|c| c.eq_ignore_ascii_case("close")) => {
                self.stream = None
            }
            Err(_) => self.stream = None,
            _ => {}
        }
        result
    }
}

/// Reads one response (Content-Length framing, or none for 204).
pub fn read_response<R: BufRead>(reader: &mut R) -> io::Result<HttpResponse> {
    let mut line = String::new();
    if reader.read_line(&mut line)? == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "closed before a response"));
    }
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, format!("bad status line {line:?}")))?;
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').unwrap_or((line, ""));
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; if status == 204 || status == 304 { 0 } else { length }];
    reader.read_exact(&mut body)?;
    Ok(HttpResponse::new(status, headers, body))
}

/// The time now, for signing.
pub fn now() -> SdkDate {
    SdkDate::from(std::time::SystemTime::now())
}

/// A CSMS caller: a core client and a connection.
pub struct Api {
    pub client: Client,
    pub conn: Conn,
}

impl Api {
    /// A caller signing with `ak`/`sk` and `algorithm` (V11 uses region cn-north-4).
    pub fn signed(endpoint: &str, project: &str, ak: &str, sk: &str, algorithm: Algorithm) -> Api {
        let mut config =
            Config::for_endpoint(endpoint, project, AccessKey::new(ak, sk)).unwrap().with_algorithm(algorithm);
        if algorithm == Algorithm::V11HmacSha256 {
            config = config.with_region("cn-north-4").unwrap();
        }
        Api { client: Client::new(config).unwrap(), conn: Conn::new(endpoint) }
    }

    /// A caller sending `X-Auth-Token: token`.
    pub fn token(endpoint: &str, project: &str, token: &str) -> Api {
        let config = Config::for_endpoint(endpoint, project, Credentials::Token(token.into())).unwrap();
        Api { client: Client::new(config).unwrap(), conn: Conn::new(endpoint) }
    }

    /// Builds, sends and returns the raw response.
    pub fn raw(&mut self, op: &str, input: Value) -> HttpResponse {
        self.raw_at(op, input, now())
    }

    /// [`Api::raw`] signed at `at`.
    pub fn raw_at(&mut self, op: &str, input: Value, at: SdkDate) -> HttpResponse {
        let request = self.client.build_request(op, &input, at).unwrap_or_else(|e| panic!("{op}: {e}"));
        self.conn.send(&request)
    }

    /// Builds, sends and parses.
    pub fn call(&mut self, op: &str, input: Value) -> Result<Value, csms_core::Error> {
        let response = self.raw(op, input);
        self.client.parse_response(op, &response)
    }

    /// [`Api::call`] that must succeed.
    pub fn ok(&mut self, op: &str, input: Value) -> Value {
        self.call(op, input).unwrap_or_else(|e| panic!("{op} failed: {e}"))
    }

    /// [`Api::call`] that must fail with an API error; returns (status, code, message).
    pub fn err(&mut self, op: &str, input: Value) -> (u16, String, String) {
        match self.call(op, input) {
            Err(csms_core::Error::Api { status, error_code, error_msg, .. }) => (status, error_code, error_msg),
            other => panic!("{op}: expected an API error, got {other:?}"),
        }
    }
}
