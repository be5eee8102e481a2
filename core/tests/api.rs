//! Behaviour of the public API that the conformance vectors do not cover.

use csms_core::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;

fn at() -> SdkDate {
    SdkDate::parse("20261122T080910Z").unwrap()
}

fn client() -> Client {
    Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK-secret-value")).unwrap()).unwrap()
}

fn field_of(err: Error) -> String {
    match err {
        Error::Validation { field, .. } => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn the_generic_entry_lists_exactly_the_45_operations() {
    let names: Vec<&str> = operation_names().collect();
    assert_eq!(names.len(), 45);
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, names);
    for expected in ["RotateSecret", "UpdateSecret", "ListResourceInstances", "UpdateGrant", "ShowSecretVersion"] {
        assert!(names.contains(&expected), "{expected}");
    }
    let err = operation("updatesecret").unwrap_err();
    assert!(err.to_string().contains("`UpdateSecret`"), "{err}");
    assert_eq!(field_of(operation("ShowSecretVersions").unwrap_err()), "operation");
}

#[test]
fn every_operation_has_three_build_vectors_and_a_parse_vector() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors");
    let mut builds: BTreeMap<String, usize> = BTreeMap::new();
    let mut parses: BTreeMap<String, usize> = BTreeMap::new();
    for file in ["official_build.json", "official_parse.json"] {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(dir.join(file)).unwrap()).unwrap();
        for v in doc["vectors"].as_array().unwrap() {
            let op = v["operation"].as_str().unwrap().to_owned();
            let counts = if v["kind"] == "build" { &mut builds } else { &mut parses };
            *counts.entry(op).or_default() += 1;
        }
    }
    for name in operation_names() {
        assert!(builds.get(name).copied().unwrap_or(0) >= 3, "{name} has fewer than 3 build vectors");
        assert!(parses.get(name).copied().unwrap_or(0) >= 1, "{name} has no parse vector");
    }
}

#[test]
fn one_input_member_fills_query_and_body() {
    let r = client()
        .build_request(
            "UpdateGrant",
            &json!({"resource_id": "sid", "type": "SECRET", "grantee_type": "USER", "grantee_target_id": "u1"}),
            at(),
        )
        .unwrap();
    assert!(r.url.ends_with("/v1/pid/csms/grants?resource_id=sid"), "{}", r.url);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["resource_id"], "sid");
    let r = client().build_request("ListResourceInstances", &json!({"action": "count"}), at()).unwrap();
    assert!(r.url.ends_with("/v1/pid/csms/resource_instances/action"), "{}", r.url);
}

#[test]
fn bad_input_names_the_field_and_builds_nothing() {
    let c = client();
    let cases = [
        ("UpdateSecret", json!({"secret_name": "s", "description": "中".repeat(683)}), "description"),
        ("UpdateSecret", json!({"secret_name": "s", "event_subscriptions": ["a", "b"]}), "event_subscriptions"),
        ("UpdateSecret", json!({"secret_name": "s", "auto_rotation": "yes"}), "auto_rotation"),
        ("UpdateSecret", json!({"secret_name": "s", "colour": "red"}), "colour"),
        ("UpdateSecret", json!({"description": "no name"}), "secret_name"),
        ("UpdateSecret", json!({"secret_name": ".."}), "secret_name"),
        ("CreateSecret", json!({"name": "a b", "secret_string": "x"}), "name"),
        ("CreateSecret", json!({"name": "ok", "secret_binary": "not base64!"}), "secret_binary"),
        ("CreateSecret", json!({"name": "ok", "secret_string": "x".repeat(32 * 1024 + 1)}), "secret_string"),
        ("CreateSecretTag", json!({"secret_id": "sid", "tag": {"value": "v"}}), "tag.key"),
        (
            "BatchCreateOrDeleteTags",
            json!({"secret_id": "sid", "action": "create", "tags": [{"key": true}]}),
            "tags[0].key",
        ),
        (
            "DeleteSecretForSchedule",
            json!({"secret_name": "s", "recovery_window_in_days": 31}),
            "recovery_window_in_days",
        ),
        ("RotateSecret", json!(["secret_name"]), "input"),
    ];
    for (op, input, field) in cases {
        assert_eq!(field_of(c.build_request(op, &input, at()).unwrap_err()), field, "{op} {input}");
    }
}

#[test]
fn temporary_keys_and_tokens() {
    let key = AccessKey::new("AK", "SK").with_security_token("sts-token");
    let c = Client::new(Config::for_endpoint("http://127.0.0.1:9", "pid", key.clone()).unwrap()).unwrap();
    let r = c.build_request("ShowSecret", &json!({"secret_name": "s"}), at()).unwrap();
    assert_eq!(r.header("X-Security-Token"), Some("sts-token"));
    assert!(r.header("Authorization").unwrap().contains("x-security-token"));
    verify(&r, &key).unwrap();

    let config = Config::for_endpoint("http://127.0.0.1:9", "pid", Credentials::Token("iam-token".into())).unwrap();
    let r = Client::new(config).unwrap().build_request("ShowSecret", &json!({"secret_name": "s"}), at()).unwrap();
    assert_eq!(r.header("X-Auth-Token"), Some("iam-token"));
    assert_eq!(r.header("Authorization"), None);
}

#[test]
fn v11_needs_a_region() {
    let config = Config::for_endpoint("http://127.0.0.1:9", "pid", AccessKey::new("AK", "SK")).unwrap();
    assert_eq!(field_of(Client::new(config.clone().with_algorithm(Algorithm::V11HmacSha256)).unwrap_err()), "region");
    let c = Client::new(config.with_algorithm(Algorithm::V11HmacSha256).with_region("cn-north-4").unwrap()).unwrap();
    let r = c.build_request("ShowSecret", &json!({"secret_name": "s"}), at()).unwrap();
    assert!(r.header("Authorization").unwrap().starts_with("V11-HMAC-SHA256 Credential=AK/20261122/cn-north-4/csms, "));
}

#[test]
fn secrets_never_appear_in_debug_output() {
    let c = client();
    let input = CreateSecretRequest {
        name: "db".into(),
        secret_string: Some(SecretString::from("hunter2-value")),
        ..Default::default()
    };
    let request = c.build(&input, at()).unwrap();
    for text in [format!("{c:?}"), format!("{input:?}"), format!("{request:?}")] {
        assert!(!text.contains("SK-secret-value") && !text.contains("hunter2-value"), "{text}");
    }
    assert!(!format!("{request:?}").contains(request.header("Authorization").unwrap()));
    let response = HttpResponse::new(200, vec![], r#"{"version": {"secret_string": "hunter2-value"}}"#);
    let version = c.parse::<ShowSecretVersionRequest>(&response).unwrap().version.unwrap();
    assert!(!format!("{version:?}").contains("hunter2-value"));
    assert_eq!(version.secret_string.unwrap().expose(), "hunter2-value");
}

#[test]
fn rotate_secret_has_one_result_for_both_response_shapes() {
    let c = client();
    for body in [
        r#"{"version_id": "v2", "secret_name": "db", "rotation_task_id": "t1"}"#,
        r#"{"rotate": {"version_id": "v2", "secret_name": "db", "rotation_task_id": "t1"}}"#,
    ] {
        let out = c.parse::<RotateSecretRequest>(&HttpResponse::new(200, vec![], body)).unwrap();
        assert_eq!(
            (out.version_id.as_deref(), out.secret_name.as_deref(), out.rotation_task_id.as_deref()),
            (Some("v2"), Some("db"), Some("t1"))
        );
    }
}

#[test]
fn errors_keep_what_the_server_said() {
    let response = HttpResponse::new(
        429,
        vec![("x-request-id".into(), "req-429".into()), ("Retry-After".into(), "7".into())],
        r#"{"error_code":"CSMS.0429","error_msg":"too many"}"#,
    );
    let err = client().parse_response("ShowSecret", &response).unwrap_err();
    assert_eq!(
        err,
        Error::Api {
            status: 429,
            error_code: "CSMS.0429".into(),
            error_msg: "too many".into(),
            request_id: "req-429".into(),
            not_retried: None,
            retry_after_secs: Some(7),
            signature: None,
        }
    );
    let undecodable = HttpResponse::new(200, vec![("X-Request-Id".into(), "r2".into())], r#"["not an object"]"#);
    match client().parse_response("ShowSecret", &undecodable).unwrap_err() {
        Error::Decode { status: 200, request_id, .. } => assert_eq!(request_id, "r2"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn offset_pagination_stops_at_the_total() {
    let mut pages =
        Paginator::new(operation("ListResourceInstances").unwrap(), json!({"action": "filter", "limit": "2"})).unwrap();
    pages.advance(&json!({"resources": [{}, {}], "total_count": 3}));
    assert_eq!(pages.next_input().unwrap()["offset"], "2");
    pages.advance(&json!({"resources": [{}], "total_count": 3}));
    assert_eq!(pages.next_input(), None);
    assert_eq!(field_of(Paginator::new(operation("ShowSecret").unwrap(), json!({})).unwrap_err()), "operation");
}

#[test]
fn a_sensitive_json_member_is_redacted_in_debug() {
    let input = CheckSecretsRequest { r#type: "strength".into(), data: json!({"secret": "hunter2-value"}) };
    let text = format!("{input:?}");
    assert_eq!(text, r#"CheckSecretsRequest { type: "strength", data: "***" }"#);
}
