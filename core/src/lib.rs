//! # csms-core
//!
//! A sans-IO client core for Huawei Cloud CSMS (Cloud Secret Management Service, part of
//! DEW). It turns an operation's input into a signed HTTP request for a time you give it,
//! and a response into a typed result or a typed error. It never opens a socket and never
//! reads the clock: you (or the optional `reqwest` transport) do the I/O.
//!
//! ```
//! use csms_core::{AccessKey, Client, Config, HttpResponse, SdkDate, ShowSecretVersionRequest};
//!
//! let config = Config::for_region("cn-north-4", "my-project-id", AccessKey::new("AK", "SK"))?;
//! let client = Client::new(config)?;
//!
//! let input = ShowSecretVersionRequest { secret_name: "db-password".into(), version_id: "latest".into() };
//! let request = client.build(&input, SdkDate::from_unix(1_722_900_000))?;
//! assert_eq!(request.method, "GET");
//! assert!(request.header("Authorization").unwrap().starts_with("SDK-HMAC-SHA256 "));
//!
//! // ... send `request` with any HTTP client, then:
//! let response = HttpResponse::new(200, vec![], r#"{"version": {"secret_string": "s3cr3t",
//!     "version_metadata": {"id": "v2", "version_stages": ["SYSCURRENT"]}}}"#);
//! let output = client.parse::<ShowSecretVersionRequest>(&response)?;
//! let version = output.version.unwrap();
//! assert_eq!(version.secret_string.unwrap().expose(), "s3cr3t");
//! # Ok::<(), csms_core::Error>(())
//! ```
//!
//! Every operation is also reachable by name with JSON in and out
//! ([`Client::build_request`], [`Client::parse_response`]); the bindings for other
//! languages use that path.
//!
//! Credentials can come from a provider instead of the configuration: the [`provider`]
//! module holds the sans-IO part (what a provider yields, when to refresh, the environment,
//! profile and instance metadata sources as pure functions, endpoint resolution), and with
//! the `reqwest` feature `HttpClient::from_env()` and `HttpClient::with_provider` run it.

#![warn(missing_docs)]

mod attempts;
pub mod cache;
mod client;
mod config;
mod credentials;
mod encoding;
mod error;
mod http;
mod input;
pub mod json;
pub mod operations;
mod paginate;
pub mod provider;
#[cfg(feature = "reqwest")]
mod providers;
mod request;
mod response;
mod retry;
#[cfg(feature = "reqwest")]
mod rotate;
pub mod rotation;
mod secret;
#[cfg(feature = "reqwest")]
mod secret_cache;
pub mod signer;
mod time;
#[cfg(feature = "reqwest")]
mod transport;
mod util;
mod validate;

pub use attempts::{AttemptRecord, Attempts, Next, CLOCK_CROSS_CHECK, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
pub use client::Client;
pub use config::{
    region_endpoint, ClientOptions, Config, CredentialOptions, DEFAULT_USER_AGENT, MAX_CLOCK_OFFSET,
    MAX_RESPONSE_BYTES, REGIONS,
};
pub use credentials::{AccessKey, Credentials};
pub use encoding::percent_decode;
pub use error::{Error, RefusedSignature, Result};
pub use http::{HttpRequest, HttpResponse};
pub use input::Input;
pub use operations::*;
pub use operations::{operation, operation_names, Operation, OperationSpec};
pub use paginate::Paginator;
#[cfg(feature = "reqwest")]
pub use providers::{
    ChainCredentials, CredentialProvider, EnvCredentials, FnCredentials, MetadataCredentials, ProfileCredentials,
    ProviderFuture,
};
pub use response::{api_error, parse_response, parse_response_into};
pub use retry::{
    clock_skew, message_server_time, retry_after, Decision, Outcome, RetryPolicy, MAX_ATTEMPTS_LIMIT, MAX_RETRY_AFTER,
    MAX_RETRY_DURATION, RETRYABLE_STATUSES,
};
#[cfg(feature = "reqwest")]
pub use rotate::{HookFuture, RotationHooks};
pub use secret::{zeroize_json, SecretString};
#[cfg(feature = "reqwest")]
pub use secret_cache::SecretCache;
pub use signer::{parse_authorization, verify, Algorithm, Authorization, DerivedScope, Signer, Verifier, VerifyError};
pub use time::SdkDate;
#[cfg(feature = "reqwest")]
pub use transport::HttpClient;
pub use util::{json_text, push_json_str};
pub use validate::validate;
