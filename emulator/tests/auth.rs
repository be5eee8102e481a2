//! The emulator's signature checks against requests an attacker could make from a captured
//! one: over loopback, with requests signed by `csms_core::Client`.

mod common;

use common::{now, Api};
use csms_core::{Algorithm, HttpResponse};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::{json, Value};

fn gateway_refusal(response: &HttpResponse) -> String {
    assert_eq!(response.status, 401, "{}", String::from_utf8_lossy(&response.body));
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["error_code"], "APIGW.0301");
    body["error_msg"].as_str().unwrap().to_owned()
}

#[test]
fn a_captured_create_secret_version_cannot_be_replayed_with_another_body() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    for algorithm in Algorithm::ALL {
        let mut api = Api::signed(&emulator.endpoint(), DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, algorithm);
        let name = format!("replayed-{}", algorithm.name().to_ascii_lowercase());
        api.ok("CreateSecret", json!({"name": name, "secret_string": "first"}));
        let captured = api
            .client
            .build_request("CreateSecretVersion", &json!({"secret_name": name, "secret_string": "second"}), now())
            .unwrap();
        assert_eq!(api.conn.send(&captured).status, 200, "{algorithm}");

        // The same signature, another body, and an unsigned header claiming the first body's hash.
        let header = if algorithm.name().contains("SM3") { "X-Sdk-Content-Sm3" } else { "X-Sdk-Content-Sha256" };
        let mut forged = captured.clone();
        forged.body = br#"{"secret_string": "attacker's"}"#.to_vec();
        forged.headers.push((header.into(), content_hash(algorithm, &captured.body)));
        let message = gateway_refusal(&api.conn.send(&forged));
        assert!(message.contains("verify aksk signature fail"), "{algorithm}: {message}");

        // Claiming UNSIGNED-PAYLOAD without signing it does not help either.
        forged.headers.last_mut().unwrap().1 = "UNSIGNED-PAYLOAD".into();
        gateway_refusal(&api.conn.send(&forged));

        let latest = api.ok("ShowSecretVersion", json!({"secret_name": name, "version_id": "latest"}));
        assert_eq!(latest["version"]["secret_string"], "second", "{algorithm}");
        assert_eq!(latest["version"]["version_metadata"]["id"], "v2", "{algorithm}");
    }
}

#[test]
fn each_refusal_says_why_in_the_gateways_shape() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let mut api = Api::signed(&emulator.endpoint(), DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, Algorithm::HmacSha256);
    let list = |at| api.client.build_request("ListSecrets", &json!({}), at).unwrap();

    // The signature covers host and x-sdk-date: a Host the request was not signed for fails
    // (`localhost:PORT` passes the emulator's Host check; the request was signed for 127.0.0.1).
    let mut moved = list(now());
    let signed_host = moved.header("Host").unwrap().to_owned();
    moved.set_header("Host", signed_host.replace("127.0.0.1", "localhost"));
    let mut undated = list(now());
    undated.set_header("X-Sdk-Date", "yesterday");
    let mut garbled = list(now());
    garbled.set_header("Authorization", "SDK-HMAC-SHA256 Access=AK");
    for (request, why) in [
        (moved, "verify aksk signature fail"),
        (undated, "X-Sdk-Date `yesterday` is missing or not YYYYMMDDTHHMMSSZ"),
        (list(now().offset(16 * 60)), "signature expired, signature time:"),
        (garbled, "cannot read the Authorization header"),
    ] {
        let message = gateway_refusal(&api.conn.send(&request));
        assert!(message.contains(why), "{message}");
    }
}

/// The hex hash of `body` as the content-hash header of `algorithm` carries it.
fn content_hash(algorithm: Algorithm, body: &[u8]) -> String {
    use sha2::Digest;
    let digest: Vec<u8> = match algorithm {
        Algorithm::HmacSm3 | Algorithm::Sm2Sm3 => sm3::Sm3::digest(body).to_vec(),
        _ => sha2::Sha256::digest(body).to_vec(),
    };
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
