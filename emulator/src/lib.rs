//! # csms-emulator
//!
//! A local emulator of Huawei Cloud CSMS (the secret management service of DEW), as moto
//! is for AWS: an HTTP server on loopback that speaks the CSMS v1 API, checks signatures
//! the way the API gateway does, and keeps secrets, versions, stages, tags and events in
//! memory (or in a JSON file). It is built on `csms-core`: the routes come from the
//! core's operation table, inputs are checked with `csms_core::validate`, signatures with
//! `csms_core::verify`, and responses are shaped with the core's models.
//!
//! ```
//! use csms_core::{AccessKey, Client, Config, HttpRequest, HttpResponse, SdkDate};
//! use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
//! use std::io::{Read, Write};
//!
//! let emulator = Emulator::start(EmulatorConfig::default())?;
//! let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, AccessKey::new(DEFAULT_AK, DEFAULT_SK))?;
//! let client = Client::new(config)?;
//! let request = client.build_request("ListSecrets", &serde_json::json!({}), SdkDate::from(std::time::SystemTime::now()))?;
//!
//! // Any HTTP client will do; here, a bare HTTP/1.1 exchange.
//! let mut stream = std::net::TcpStream::connect(emulator.local_addr())?;
//! let path = &request.url[emulator.endpoint().len()..];
//! let mut head = format!("{} {path} HTTP/1.1\r\nConnection: close\r\n", request.method);
//! for (k, v) in &request.headers { head += &format!("{k}: {v}\r\n"); }
//! head += &format!("Content-Length: {}\r\n\r\n", request.body.len());
//! stream.write_all(head.as_bytes())?;
//! stream.write_all(&request.body)?;
//! let mut raw = String::new();
//! stream.read_to_string(&mut raw)?;
//! let (head, body) = raw.split_once("\r\n\r\n").unwrap();
//! let status: u16 = head[9..12].parse().unwrap();
//!
//! let result = client.parse_response("ListSecrets", &HttpResponse::new(status, vec![], body))?;
//! assert_eq!(result["secrets"], serde_json::json!([]));
//! emulator.stop();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! See `README.md` for the command line, what each operation does and the error shapes.

#![warn(missing_docs)]

mod admin;
mod auth;
mod base64;
pub mod cli;
mod clock;
mod config;
mod emulator;
mod errors;
mod faults;
mod handlers;
mod http;
mod input;
mod metadata;
mod persist;
mod random;
mod routing;
mod server;
mod service;
mod state;
mod web;

pub use config::{
    Credential, EmulatorConfig, Token, DEFAULT_AK, DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES, DEFAULT_PROJECT_ID,
    DEFAULT_REQUEST_TIMEOUT, DEFAULT_SK, DEFAULT_TEMP_CREDENTIAL_TTL, MAX_BODY_LIMIT, MAX_CLOCK_OFFSET_MS,
    MAX_REQUEST_TIMEOUT, MAX_TEMP_CREDENTIAL_TTL,
};
pub use emulator::{Emulator, Error, Result, SecretCounts};
pub use errors::codes;
pub use faults::{Fault, FaultSequence, FaultSpec, FaultSpecError, FaultStats};
pub use state::AppliedCounts;
