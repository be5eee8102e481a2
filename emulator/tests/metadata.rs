//! The instance metadata endpoints (`--metadata`): session tokens, temporary keys the
//! verifier accepts until they expire, the gateway's expired-token error after, and the
//! per-operation request counts.

mod common;

use common::{Api, Conn};
use csms_core::provider::{credentials_expired, metadata};
use csms_core::{AccessKey, Algorithm, Client, Config, Credentials, HttpRequest};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_PROJECT_ID};
use serde_json::{json, Value};
use std::time::Duration;

fn temporary_key(conn: &mut Conn, endpoint: &str) -> AccessKey {
    let token = metadata::parse_token(&conn.send(&metadata::token_request(endpoint))).unwrap();
    assert!(token.is_some());
    let response = conn.send(&metadata::security_key_request(endpoint, token.as_ref()));
    match metadata::parse_security_key(&response).unwrap().credentials {
        Credentials::AccessKey(key) => key,
        Credentials::Token(_) => panic!("an access key"),
    }
}

fn api_with(endpoint: &str, key: AccessKey) -> Api {
    let config = Config::for_endpoint(endpoint, DEFAULT_PROJECT_ID, key).unwrap().with_algorithm(Algorithm::HmacSha256);
    Api { client: Client::new(config).unwrap(), conn: Conn::new(endpoint) }
}

#[test]
fn temporary_keys_work_until_they_expire_then_get_the_expired_token_error() {
    let emulator = Emulator::start(EmulatorConfig::default().with_metadata(Duration::from_secs(2))).unwrap();
    let endpoint = emulator.endpoint();
    let mut conn = Conn::new(&endpoint);
    let key = temporary_key(&mut conn, &endpoint);
    assert!(key.security_token.is_some());
    let other = temporary_key(&mut conn, &endpoint);
    assert_ne!(key.ak, other.ak, "each fetch issues a new key");

    let mut api = api_with(&endpoint, key.clone());
    api.ok("ListSecrets", json!({}));
    // Without its security token the key is refused.
    let mut tokenless = key.clone();
    tokenless.security_token = None;
    let (status, code, _) = api_with(&endpoint, tokenless).err("ListSecrets", json!({}));
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));

    // Two seconds later (the emulator's clock moved, not the test's) it has expired.
    emulator.set_clock_offset_ms(2_000);
    let error = api.call("ListSecrets", json!({})).unwrap_err();
    assert!(credentials_expired(&error), "{error}");
    assert!(matches!(&error, csms_core::Error::Api { status: 401, error_code, .. } if error_code == "APIGW.0307"));
}

#[test]
fn session_tokens_are_checked() {
    let emulator = Emulator::start(EmulatorConfig::default().with_metadata(Duration::from_secs(60))).unwrap();
    let endpoint = emulator.endpoint();
    let mut conn = Conn::new(&endpoint);
    let forged = metadata::security_key_request(&endpoint, Some(&"forged".into()));
    let refused = conn.send(&forged);
    assert!(metadata::token_rejected(&refused), "{}", refused.status);
    // Without a token at all (the service's first version) keys are given.
    assert_eq!(conn.send(&metadata::security_key_request(&endpoint, None)).status, 200);
    let mut no_ttl = metadata::token_request(&endpoint);
    no_ttl.headers.retain(|(name, _)| !name.eq_ignore_ascii_case(metadata::TOKEN_TTL_HEADER));
    assert_eq!(conn.send(&no_ttl).status, 400);
    let mut wrong_method = metadata::token_request(&endpoint);
    wrong_method.method = "GET".into();
    assert_eq!(conn.send(&wrong_method).status, 405);
}

#[test]
fn counts_say_how_many_requests_each_operation_received() {
    let emulator = Emulator::start(EmulatorConfig::default().with_metadata(Duration::from_secs(60))).unwrap();
    let endpoint = emulator.endpoint();
    let mut conn = Conn::new(&endpoint);
    let key = temporary_key(&mut conn, &endpoint);
    let mut api = api_with(&endpoint, key);
    api.ok("ListSecrets", json!({}));
    api.ok("ListSecrets", json!({}));
    api.err("ShowSecret", json!({"secret_name": "missing"}));
    let counts = conn.send(&HttpRequest::new("GET", format!("{endpoint}/_emulator/counts")));
    let body: Value = serde_json::from_slice(&counts.body).unwrap();
    assert_eq!(
        body["operations"],
        json!({"ListSecrets": 2, "ShowSecret": 1, "MetadataSecurityKey": 1, "MetadataToken": 1})
    );
}

#[test]
fn without_metadata_the_paths_are_not_served() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let endpoint = emulator.endpoint();
    let mut conn = Conn::new(&endpoint);
    assert_eq!(conn.send(&metadata::token_request(&endpoint)).status, 404);
    assert_eq!(conn.send(&metadata::security_key_request(&endpoint, None)).status, 404);
}
