//! End-to-end: requests built and signed by `csms_core::Client`, sent over loopback to an
//! in-process emulator, parsed by `Client::parse_response`.

mod common;

use common::{now, Api, Conn};
use csms_core::{AccessKey, Algorithm, Client, Config, HttpRequest};
use csms_emulator::{AppliedCounts, Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};

fn start() -> Emulator {
    Emulator::start(EmulatorConfig::default().with_token("test-token", DEFAULT_PROJECT_ID)).unwrap()
}

fn api(emulator: &Emulator) -> Api {
    Api::signed(&emulator.endpoint(), DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, Algorithm::HmacSha256)
}

#[test]
fn rotation_flow_of_a_common_secret() {
    let emulator = start();
    let mut api = api(&emulator);

    let created = api.ok("CreateSecret", json!({"name": "app-db", "secret_string": "first", "description": "d1"}));
    assert_eq!(created["secret"]["name"], "app-db");
    assert_eq!(created["secret"]["state"], "ENABLED");
    assert_eq!(created["secret"]["secret_type"], "COMMON");
    let secret_id = created["secret"]["id"].as_str().unwrap().to_owned();

    let shown = api.ok("ShowSecret", json!({"secret_name": "app-db"}));
    assert_eq!(shown["secret"]["id"], secret_id.as_str());
    assert_eq!(shown["secret"]["description"], "d1");
    assert!(shown["secret"]["create_time"].as_i64().unwrap() > 1_600_000_000_000);

    let updated = api.ok("UpdateSecret", json!({"secret_name": "app-db", "description": "d2"}));
    assert_eq!(updated["secret"]["description"], "d2");

    let version = api.ok("CreateSecretVersion", json!({"secret_name": "app-db", "secret_string": "second"}));
    assert_eq!(version["version_metadata"]["id"], "v2");
    assert_eq!(version["version_metadata"]["version_stages"], json!(["SYSCURRENT"]));

    let latest = api.ok("ShowSecretVersion", json!({"secret_name": "app-db", "version_id": "latest"}));
    assert_eq!(latest["version"]["secret_string"], "second");
    assert_eq!(latest["version"]["version_metadata"]["version_stages"], json!(["SYSCURRENT"]));
    let first = api.ok("ShowSecretVersion", json!({"secret_name": "app-db", "version_id": "v1"}));
    assert_eq!(first["version"]["secret_string"], "first");

    let versions = api.ok("ListSecretVersions", json!({"secret_name": "app-db"}));
    let ids: Vec<&str> =
        versions["version_metadatas"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["v1", "v2"]);
    assert_eq!(versions["version_metadatas"][0]["version_stages"], json!(["SYSPREVIOUS"]));

    let previous = api.ok("ShowSecretStage", json!({"secret_name": "app-db", "stage_name": "SYSPREVIOUS"}));
    assert_eq!(previous["stage"]["version_id"], "v1");
    assert_eq!(previous["stage"]["secret_name"], "app-db");

    let (status, code, msg) = api.err("RotateSecret", json!({"secret_name": "app-db"}));
    assert_eq!((status, code.as_str()), (400, "CSMS.0002"));
    assert!(msg.contains("COMMON"), "{msg}");

    let mut wrong =
        Api::signed(&emulator.endpoint(), DEFAULT_PROJECT_ID, DEFAULT_AK, "wrong-sk", Algorithm::HmacSha256);
    let (status, code, _) = wrong.err("ShowSecret", json!({"secret_name": "app-db"}));
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));

    let (status, code, msg) = api.err("ShowSecret", json!({"secret_name": "no-such-secret"}));
    assert_eq!((status, code.as_str()), (404, "CSMS.0106"));
    assert!(msg.contains("no-such-secret"), "{msg}");

    let deleted = api.raw("DeleteSecret", json!({"secret_name": "app-db"}));
    assert_eq!(deleted.status, 204);
    api.client.parse_response("DeleteSecret", &deleted).unwrap();
    let (status, _, _) = api.err("ShowSecret", json!({"secret_name": "app-db"}));
    assert_eq!(status, 404);
    let (status, _, _) = api.err("ShowSecretVersion", json!({"secret_name": "app-db", "version_id": "latest"}));
    assert_eq!(status, 404);

    // One CreateSecretVersion was applied, and no rotation (the COMMON one was refused).
    api.ok("CreateSecret", json!({"name": "counted", "secret_string": "x"}));
    api.ok("CreateSecretVersion", json!({"secret_name": "counted", "secret_string": "y"}));
    assert_eq!(
        emulator.applied_counts(DEFAULT_PROJECT_ID, "counted"),
        Some(AppliedCounts { rotate_secret: 0, create_secret_version: 1 })
    );
}

#[test]
fn database_secrets_rotate() {
    let emulator = start();
    let mut api = api(&emulator);
    let value = r#"{"username":"admin","password":"old-password"}"#;
    api.ok(
        "CreateSecret",
        json!({"name": "rds", "secret_string": value, "secret_type": "RDS-FG",
               "rotation_config": "{\"RDSInstanceId\":\"i-1\",\"SecretSubType\":\"SingleUser\"}"}),
    );
    let rotated = api.ok("RotateSecret", json!({"secret_name": "rds"}));
    assert_eq!(rotated["version_id"], "v2");
    assert_eq!(rotated["secret_name"], "rds");
    let task_id = rotated["rotation_task_id"].as_str().unwrap();
    assert_eq!(task_id.len(), 36, "{task_id}");

    let latest = api.ok("ShowSecretVersion", json!({"secret_name": "rds", "version_id": "latest"}));
    assert_eq!(latest["version"]["version_metadata"]["id"], "v2");
    assert_eq!(latest["version"]["version_metadata"]["version_stages"], json!(["SYSCURRENT"]));
    let new_value: Value = serde_json::from_str(latest["version"]["secret_string"].as_str().unwrap()).unwrap();
    assert_eq!(new_value["username"], "admin");
    assert_ne!(new_value["password"], "old-password");
    let previous = api.ok("ShowSecretStage", json!({"secret_name": "rds", "stage_name": "SYSPREVIOUS"}));
    assert_eq!(previous["stage"]["version_id"], "v1");

    let shown = api.ok("ShowSecret", json!({"secret_name": "rds"}));
    assert!(shown["secret"]["rotation_time"].as_i64().is_some());
    let tasks = api.ok("ListSecretTask", json!({"secret_name": "rds"}));
    assert_eq!(tasks["total"], 1);
    assert_eq!(tasks["tasks"][0]["task_id"], task_id);
    assert_eq!(tasks["tasks"][0]["task_status"], "SUCCESS");
    assert_eq!(emulator.applied_counts(DEFAULT_PROJECT_ID, "rds").unwrap().rotate_secret, 1);
}

#[test]
fn every_algorithm_and_tokens_are_accepted() {
    let emulator = start();
    let endpoint = emulator.endpoint();
    for algorithm in Algorithm::ALL {
        let mut api = Api::signed(&endpoint, DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, algorithm);
        let name = format!("alg-{}", algorithm.name().to_ascii_lowercase());
        api.ok("CreateSecret", json!({"name": name, "secret_string": "v"}));
        let shown = api.ok("ShowSecretVersion", json!({"secret_name": name, "version_id": "v1"}));
        assert_eq!(shown["version"]["secret_string"], "v", "{algorithm}");
        // A wrong key fails with every algorithm.
        let mut wrong = Api::signed(&endpoint, DEFAULT_PROJECT_ID, DEFAULT_AK, "another-sk", algorithm);
        assert_eq!(wrong.err("ListSecrets", json!({})).0, 401, "{algorithm}");
    }
    let mut token = Api::token(&endpoint, DEFAULT_PROJECT_ID, "test-token");
    let listed = token.ok("ListSecrets", json!({}));
    assert_eq!(listed["secrets"].as_array().unwrap().len(), 5);
    let mut bad_token = Api::token(&endpoint, DEFAULT_PROJECT_ID, "not-a-token");
    let (status, code, _) = bad_token.err("ListSecrets", json!({}));
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
}

#[test]
fn gateway_errors_clock_skew_and_projects() {
    let emulator = Emulator::start(EmulatorConfig::default().with_credential("AK2", "SK2", "otherproject")).unwrap();
    let endpoint = emulator.endpoint();
    let mut api = api(&emulator);

    // Signed 20 minutes ago.
    let response = api.raw_at("ListSecrets", json!({}), now().offset(-20 * 60));
    assert_eq!(response.status, 401);
    assert!(response.header("date").is_some());
    let body: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(body["error_code"], "APIGW.0301");
    let msg = body["error_msg"].as_str().unwrap();
    assert!(msg.starts_with("Incorrect IAM authentication information: signature expired, signature time:"), "{msg}");
    assert!(msg.contains(",server time:"), "{msg}");
    assert_eq!(body["request_id"].as_str(), response.request_id());
    // 14 minutes ahead is still fine.
    assert_eq!(api.raw_at("ListSecrets", json!({}), now().offset(14 * 60)).status, 200);
    // The emulator's clock can move too.
    emulator.set_clock_offset_ms(30 * 60 * 1000);
    assert_eq!(api.raw("ListSecrets", json!({})).status, 401);
    emulator.set_clock_offset_ms(0);

    // Unknown access key.
    let mut unknown = Api::signed(&endpoint, DEFAULT_PROJECT_ID, "NOBODY", DEFAULT_SK, Algorithm::HmacSha256);
    let (status, code, msg) = unknown.err("ListSecrets", json!({}));
    assert_eq!((status, code.as_str()), (401, "APIGW.0301"));
    assert!(msg.contains("NOBODY"), "{msg}");

    // Another project's path with this project's key.
    let mut other = Api::signed(&endpoint, "otherproject", DEFAULT_AK, DEFAULT_SK, Algorithm::HmacSha256);
    let (status, code, _) = other.err("ListSecrets", json!({}));
    assert_eq!((status, code.as_str()), (403, "CSMS.0403"));
    // The second credential works on its own project, whose state is separate.
    let mut second = Api::signed(&endpoint, "otherproject", "AK2", "SK2", Algorithm::HmacSha256);
    second.ok("CreateSecret", json!({"name": "mine", "secret_string": "x"}));
    assert_eq!(api.ok("ListSecrets", json!({}))["secrets"], json!([]));
    // Operations without a project id act on the credential's project.
    second.ok("CreateAgency", json!({"secret_type": "RDS-FG"}));
    assert_eq!(second.ok("ShowAgency", json!({"secret_type": "RDS-FG"}))["agency_granted"], "true");
    assert_eq!(api.ok("ShowAgency", json!({"secret_type": "RDS-FG"}))["agency_granted"], "false");

    // Missing credentials altogether.
    let mut conn = Conn::new(&endpoint);
    let response = conn.send(&HttpRequest::new("GET", format!("{endpoint}/v1/{DEFAULT_PROJECT_ID}/secrets")));
    assert_eq!(response.status, 401);
}

/// A signed request with a body of our own.
fn signed_raw(api: &Api, method: &str, path: &str, body: &[u8]) -> HttpRequest {
    let mut request = HttpRequest::new(method, format!("{}{path}", api.client.config().endpoint));
    request.headers.push(("Content-Type".into(), "application/json;charset=utf-8".into()));
    request.body = body.to_vec();
    api.client.authenticate(&mut request, now()).unwrap();
    request
}

fn error_of(response: &csms_core::HttpResponse) -> (u16, String, String) {
    let body: Value = serde_json::from_slice(&response.body).unwrap_or_else(|_| panic!("{:?}", response.body));
    let error = &body["error"];
    (
        response.status,
        error["error_code"].as_str().unwrap_or_default().to_owned(),
        error["error_msg"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn bad_requests_get_the_error_shape_and_the_server_stays_up() {
    let emulator = start();
    let mut api = api(&emulator);
    let base = format!("/v1/{DEFAULT_PROJECT_ID}");

    // Invalid JSON.
    let request = signed_raw(&api, "POST", &format!("{base}/secrets"), b"{\"name\": ");
    let (status, code, _) = error_of(&api.conn.send(&request));
    assert_eq!((status, code.as_str()), (400, "CSMS.0004"));

    // A wrong type names the member (a number for text is taken, as the official SDK sends it).
    let request = signed_raw(&api, "POST", &format!("{base}/secrets"), br#"{"name": true, "secret_string": "x"}"#);
    let (status, code, msg) = error_of(&api.conn.send(&request));
    assert_eq!((status, code.as_str()), (400, "CSMS.0002"));
    assert!(msg.contains("`name`"), "{msg}");
    // So does a rule of the operation table.
    let body = br#"{"name": "ok", "secret_string": "x", "rotation_period": "1h"}"#;
    let request = signed_raw(&api, "POST", &format!("{base}/secrets"), body);
    let (status, code, msg) = error_of(&api.conn.send(&request));
    assert_eq!((status, code.as_str()), (400, "CSMS.0002"));
    assert!(msg.contains("`rotation_period`"), "{msg}");
    // And an unknown member.
    let request =
        signed_raw(&api, "POST", &format!("{base}/secrets"), br#"{"name": "ok", "secret_string": "x", "colour": 1}"#);
    let (status, _, msg) = error_of(&api.conn.send(&request));
    assert_eq!(status, 400);
    assert!(msg.contains("colour"), "{msg}");

    // A 70 KiB body (on the same keep-alive connection afterwards).
    let big = format!("{{\"name\": \"big\", \"secret_string\": \"{}\"}}", "x".repeat(70 * 1024));
    let request = signed_raw(&api, "POST", &format!("{base}/secrets"), big.as_bytes());
    let (status, code, _) = error_of(&api.conn.send(&request));
    assert_eq!((status, code.as_str()), (413, "CSMS.0413"));

    // Unknown path, wrong method.
    let request = signed_raw(&api, "GET", &format!("{base}/no-such-thing"), b"");
    let (status, code, _) = error_of(&api.conn.send(&request));
    assert_eq!((status, code.as_str()), (404, "CSMS.0404"));
    let request = signed_raw(&api, "PATCH", &format!("{base}/secrets/abc"), b"");
    let response = api.conn.send(&request);
    assert_eq!(response.header("allow"), Some("DELETE, GET, PUT"));
    let (status, code, _) = error_of(&response);
    assert_eq!((status, code.as_str()), (405, "CSMS.0405"));

    // Garbage on a fresh connection gets a 400 and a close; the server goes on.
    let mut raw = Conn::new(&emulator.endpoint());
    let response = raw.send_raw(b"NOT HTTP AT ALL\r\n\r\n");
    assert_eq!(response.status, 400);

    // Still answering, with the headers every response carries (and no CORS header: CORS
    // is off unless asked for).
    let response = api.raw("ListSecrets", json!({}));
    assert_eq!(response.status, 200);
    for header in ["x-request-id", "date", "content-type"] {
        assert!(response.header(header).is_some(), "{header}");
    }
    assert!(!response.headers.iter().any(|(k, _)| k.to_ascii_lowercase().starts_with("access-control-")));
    assert_eq!(response.header("content-type"), Some("application/json"));
    let again = api.raw("ListSecrets", json!({}));
    assert_ne!(response.request_id(), again.request_id());
}

#[test]
fn cors_preflight() {
    let preflight = |origin: &str, port: u16| {
        format!(
            "OPTIONS /v1/p/secrets HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {origin}\r\n\
             Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: authorization, x-sdk-date, content-type\r\n\r\n"
        )
        .into_bytes()
    };
    // Off by default: OPTIONS is no preflight (405, the path takes other methods), no CORS header.
    let emulator = start();
    let port = emulator.local_addr().port();
    let response = Conn::new(&emulator.endpoint()).send_raw(&preflight("http://localhost:3000", port));
    assert_eq!(response.status, 405);
    assert!(!response.headers.iter().any(|(k, _)| k.to_ascii_lowercase().starts_with("access-control-")));

    for (allowed, answered) in [("*", "*"), ("http://localhost:3000", "http://localhost:3000")] {
        let emulator = Emulator::start(EmulatorConfig::default().with_cors_origin(allowed)).unwrap();
        let port = emulator.local_addr().port();
        let mut conn = Conn::new(&emulator.endpoint());
        let response = conn.send_raw(&preflight("http://localhost:3000", port));
        assert_eq!(response.status, 200);
        assert_eq!(response.header("access-control-allow-origin"), Some(answered));
        assert_eq!(response.header("access-control-allow-headers"), Some("authorization, x-sdk-date, content-type"));
        assert!(response.header("access-control-allow-methods").unwrap().contains("DELETE"));
        assert_eq!(response.header("access-control-expose-headers"), Some("X-Request-Id, Date"));
        // An actual request from that origin gets the header too.
        let mut api = api(&emulator);
        let mut request = api.client.build_request("ListSecrets", &json!({}), now()).unwrap();
        request.headers.push(("Origin".into(), "http://localhost:3000".into()));
        let response = api.conn.send(&request);
        assert_eq!((response.status, response.header("access-control-allow-origin")), (200, Some(answered)));
        // Another origin: the preflight is refused unless any origin is allowed.
        let response = conn.send_raw(&preflight("http://evil.example", port));
        if allowed == "*" {
            assert_eq!(response.status, 200);
        } else {
            let (status, code, _) = error_of(&response);
            assert_eq!((status, code.as_str()), (403, "CSMS.0403"));
            assert_eq!(response.header("access-control-allow-origin"), None);
        }
    }
}

#[test]
fn stages_tags_events_and_the_rest() {
    let emulator = start();
    let mut api = api(&emulator);
    let created = api.ok("CreateSecret", json!({"name": "s1", "secret_binary": "AAEC"}));
    let id = created["secret"]["id"].as_str().unwrap().to_owned();

    // Custom stages move to new versions; SYSCURRENT stays where it was.
    let v2 = api
        .ok("CreateSecretVersion", json!({"secret_name": "s1", "secret_string": "two", "version_stages": ["PENDING"]}));
    assert_eq!(v2["version_metadata"]["version_stages"], json!(["PENDING"]));
    assert_eq!(
        api.ok("ShowSecretStage", json!({"secret_name": "s1", "stage_name": "SYSCURRENT"}))["stage"]["version_id"],
        "v1"
    );
    let moved =
        api.ok("UpdateSecretStage", json!({"secret_name": "s1", "stage_name": "SYSCURRENT", "version_id": "v2"}));
    assert_eq!(moved["stage"]["version_id"], "v2");
    assert_eq!(
        api.ok("ShowSecretStage", json!({"secret_name": "s1", "stage_name": "SYSPREVIOUS"}))["stage"]["version_id"],
        "v1"
    );
    assert_eq!(api.err("DeleteSecretStage", json!({"secret_name": "s1", "stage_name": "SYSCURRENT"})).1, "CSMS.0105");
    api.ok("DeleteSecretStage", json!({"secret_name": "s1", "stage_name": "PENDING"}));
    assert_eq!(api.err("ShowSecretStage", json!({"secret_name": "s1", "stage_name": "PENDING"})).0, 404);
    let v1 = api.ok("ShowSecretVersion", json!({"secret_name": "s1", "version_id": "v1"}));
    assert_eq!(v1["version"]["secret_binary"], "AAEC");
    let expired =
        api.ok("UpdateVersion", json!({"secret_name": "s1", "version_id": "v1", "expire_time": 4_102_444_800_000i64}));
    assert_eq!(expired["version_metadata"]["expire_time"], 4_102_444_800_000i64);

    // Version paging.
    for i in 3..=7 {
        api.ok("CreateSecretVersion", json!({"secret_name": "s1", "secret_string": format!("value {i}")}));
    }
    let page = api.ok("ListSecretVersions", json!({"secret_name": "s1", "limit": 3}));
    assert_eq!(page["version_metadatas"].as_array().unwrap().len(), 3);
    assert_eq!(page["page_info"]["next_marker"], "v3");
    let page = api.ok("ListSecretVersions", json!({"secret_name": "s1", "limit": 3, "marker": "v6"}));
    assert_eq!(page["version_metadatas"][0]["id"], "v7");
    assert!(page["page_info"].get("next_marker").is_none());

    // Secret paging.
    for name in ["s2", "s3", "s4"] {
        api.ok("CreateSecret", json!({"name": name, "secret_string": "x"}));
    }
    let page = api.ok("ListSecrets", json!({"limit": "2"}));
    assert_eq!(page["page_info"]["next_marker"], "s2");
    let page = api.ok("ListSecrets", json!({"limit": "2", "marker": "s2"}));
    let names: Vec<&str> = page["secrets"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["s3", "s4"]);
    assert_eq!(api.err("CreateSecret", json!({"name": "s2", "secret_string": "x"})).0, 409);

    // Tags.
    api.ok("CreateSecretTag", json!({"secret_id": id, "tag": {"key": "env", "value": "prod"}}));
    api.ok(
        "BatchCreateOrDeleteTags",
        json!({"secret_id": id, "action": "create", "tags": [{"key": "team", "value": "a b/c"}]}),
    );
    let tags = api.ok("ListSecretTags", json!({"secret_id": id}));
    assert_eq!(tags["tags"], json!([{"key": "env", "value": "prod"}, {"key": "team", "value": "a b/c"}]));
    api.ok("DeleteSecretTag", json!({"secret_id": id, "key": "team"}));
    assert_eq!(api.err("DeleteSecretTag", json!({"secret_id": id, "key": "team"})).0, 404);
    let found = api.ok(
        "ListResourceInstances",
        json!({"action": "filter", "tags": [{"key": "env", "values": ["prod"]}], "matches": [{"key": "resource_name", "value": "S1"}]}),
    );
    assert_eq!(found["total_count"], 1);
    assert_eq!(found["resources"][0]["resource_name"], "s1");
    assert_eq!(api.ok("ListResourceInstances", json!({"action": "count"}))["total_count"], 4);
    assert_eq!(api.ok("ListProjectSecretsTags", json!({}))["tags"], json!([{"key": "env", "values": ["prod"]}]));

    // Events and notification records.
    api.ok(
        "CreateSecretEvent",
        json!({"name": "ev1", "event_types": ["SECRET_VERSION_CREATED"], "state": "ENABLED",
               "notification": {"target_type": "SMN", "target_id": "urn:smn:x", "target_name": "topic"}}),
    );
    // An unknown event type is refused by the validation the client and the emulator share.
    let refused = api.client.build_request(
        "CreateSecretEvent",
        &json!({"name": "ev2", "event_types": ["NOPE"], "state": "ENABLED",
            "notification": {"target_type": "SMN", "target_id": "t", "target_name": "t"}}),
        common::now(),
    );
    assert!(matches!(refused, Err(csms_core::Error::Validation { ref field, .. }) if field == "event_types[0]"));
    api.ok("UpdateSecret", json!({"secret_name": "s2", "event_subscriptions": ["ev1"]}));
    api.ok("CreateSecretVersion", json!({"secret_name": "s2", "secret_string": "y"}));
    let records = api.ok("ListNotificationRecords", json!({}));
    assert_eq!(records["records"][0]["secret_name"], "s2");
    assert_eq!(records["records"][0]["trigger_event_type"], "SECRET_VERSION_CREATED");
    assert_eq!(api.ok("ListSecrets", json!({"event_name": "ev1"}))["secrets"][0]["name"], "s2");
    assert_eq!(api.err("DeleteSecretEvent", json!({"event_name": "ev1"})).0, 400);
    let ev = api.ok("UpdateSecretEvent", json!({"event_name": "ev1", "state": "DISABLED"}));
    assert_eq!(ev["event"]["state"], "DISABLED");
    assert_eq!(api.ok("ListSecretEvents", json!({}))["events"][0]["name"], "ev1");

    // Scheduled deletion and restore.
    let pending = api.ok("DeleteSecretForSchedule", json!({"secret_name": "s3", "recovery_window_in_days": 7}));
    assert_eq!(pending["secret"]["state"], "PENDING_DELETE");
    assert!(pending["secret"]["scheduled_delete_time"].as_i64().unwrap() > emulator.now_ms());
    assert_eq!(api.err("ShowSecretVersion", json!({"secret_name": "s3", "version_id": "latest"})).1, "CSMS.0103");
    assert_eq!(api.ok("RestoreSecret", json!({"secret_name": "s3"}))["secret"]["state"], "ENABLED");
    assert_eq!(api.err("RestoreSecret", json!({"secret_name": "s3"})).1, "CSMS.0108");
    api.ok("DeleteSecretForSchedule", json!({"secret_name": "s3", "recovery_window_in_days": 7}));
    emulator.set_clock_offset_ms(8 * 86_400_000);
    // Requests are signed by the emulator's clock here, so that they are not refused as expired.
    let later = common::now().offset(8 * 86_400);
    let response = api.raw_at("ShowSecret", json!({"secret_name": "s3"}), later);
    assert_eq!(response.status, 404);
    emulator.set_clock_offset_ms(0);

    // Backup and restore through a blob.
    let blob = api.ok("DownloadSecretBlob", json!({"secret_name": "s4"}))["secret_blob"].as_str().unwrap().to_owned();
    assert_eq!(api.err("UploadSecretBlob", json!({"secret_blob": blob})).0, 409);
    api.ok("DeleteSecret", json!({"secret_name": "s4"}));
    assert_eq!(api.ok("UploadSecretBlob", json!({"secret_blob": blob}))["secret"]["name"], "s4");
    assert_eq!(
        api.ok("ShowSecretVersion", json!({"secret_name": "s4", "version_id": "v1"}))["version"]["secret_string"],
        "x"
    );

    // Batch import.
    let imported = api.ok(
        "BatchImportSecrets",
        json!({"secrets": [{"name": "b1", "secret_string": "1"}, {"name": "s4", "secret_string": "dup"}, {"name": "b2"}]}),
    );
    assert_eq!(
        (imported["total"].as_i64(), imported["success"].as_i64(), imported["failed"].as_i64()),
        (Some(3), Some(1), Some(2))
    );

    // Passwords.
    let password = api.ok("GenerateRandomPassword", json!({"length": 24, "exclude_punctuation": true}));
    let password = password["password"].as_str().unwrap();
    assert_eq!(password.chars().count(), 24);
    assert!(password.chars().all(|c| c.is_ascii_alphanumeric()));
    assert!(password.chars().any(|c| c.is_ascii_digit()));

    // The simple ones.
    api.ok("CreateGrants", json!({"resource_id": id, "type": "SECRET", "grantee_type": "0", "grantee_target_id": "u1", "validity_time": "2030-01-02"}));
    assert_eq!(api.ok("ListGrants", json!({"resource_id": id}))["data"]["grantee_user"][0]["user_id"], "u1");
    api.ok("UpdateGrant", json!({"resource_id": id, "type": "SECRET", "grantee_type": "0", "grantee_target_id": "u1"}));
    api.ok("DeleteGrant", json!({"resource_id": id}));
    api.ok("UpdateSecretsConfig", json!({"checking_secret_strength": true}));
    assert_eq!(api.ok("ShowSecretsConfig", json!({}))["checking_secret_strength"], true);
    api.ok("CheckSecrets", json!({"type": "password", "data": {"secret": "x"}}));
    api.ok("ShowSecretFunctionTemplates", json!({"secret_type": "RDS-FG", "secret_sub_type": "SingleUser"}));
    api.ok("ListUsers", json!({"offset": 0, "limit": 10}));
    api.ok("ShowUserDetail", json!({"user_id": "u1"}));
    api.ok("UpdateUserPassword", json!({"password": "a", "old_password": "b"}));
}

#[test]
fn the_binary_prints_its_address_and_serves() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_csms-emulator"))
        .args(["--listen", "127.0.0.1:0", "--ak", "BIN-AK", "--sk", "BIN-SK", "--project-id", "binproject"])
        .args(["--token", "bin-token", "--token-project", "binproject"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let endpoint = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("{line:?}")).to_owned();
    assert!(endpoint.starts_with("http://127.0.0.1:"), "{endpoint}");
    let result = std::panic::catch_unwind(|| {
        let mut api = Api::signed(&endpoint, "binproject", "BIN-AK", "BIN-SK", Algorithm::HmacSha256);
        api.ok("CreateSecret", json!({"name": "from-bin", "secret_string": "x"}));
        let mut token = Api::token(&endpoint, "binproject", "bin-token");
        assert_eq!(token.ok("ListSecrets", json!({}))["secrets"][0]["name"], "from-bin");
        token.ok("CreateSecretVersion", json!({"secret_name": "from-bin", "secret_string": "y"}));

        // The emulator-only endpoints, for harnesses in other processes.
        let mut conn = Conn::new(&endpoint);
        let response = conn.send(&HttpRequest::new("GET", format!("{endpoint}/_emulator/counts")));
        let counts: Value = serde_json::from_slice(&response.body).unwrap();
        assert_eq!(
            counts["secrets"][0],
            json!({"project_id": "binproject", "secret_name": "from-bin", "rotate_secret": 0, "create_secret_version": 1})
        );
        let mut set = HttpRequest::new("POST", format!("{endpoint}/_emulator/clock"));
        set.body = br#"{"offset_ms": 3600000}"#.to_vec();
        assert_eq!(conn.send(&set).status, 200);
        let clock: Value =
            serde_json::from_slice(&conn.send(&HttpRequest::new("GET", format!("{endpoint}/_emulator/clock"))).body)
                .unwrap();
        assert_eq!(clock["offset_ms"], 3_600_000);

        // Faults set and lifted over HTTP: the service down, then back.
        let faults = |conn: &mut Conn, body: &str| {
            let mut set = HttpRequest::new("POST", format!("{endpoint}/_emulator/faults"));
            set.body = body.as_bytes().to_vec();
            conn.send(&set)
        };
        let answer = faults(&mut conn, r#"{"spec": "503=100%"}"#);
        assert_eq!(answer.status, 200);
        assert!(serde_json::from_slice::<Value>(&answer.body).unwrap()["spec"]
            .as_str()
            .unwrap()
            .contains(",503=100%,"));
        assert_eq!(token.raw("ListSecrets", json!({})).status, 503);
        assert_eq!(faults(&mut conn, r#"{"spec": null}"#).status, 200);
        assert_eq!(token.raw("ListSecrets", json!({})).status, 200);
        assert_eq!(faults(&mut conn, r#"{"spec": "503=lots"}"#).status, 400);
        assert_eq!(faults(&mut conn, r#"{}"#).status, 400);
    });
    let _ = child.kill();
    let _ = child.wait();
    result.unwrap();

    let help = std::process::Command::new(env!("CARGO_BIN_EXE_csms-emulator")).arg("--help").output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("--project-id"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_csms-emulator")).arg("--ak").output().unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn pipelining_http10_and_absolute_targets() {
    let emulator = start();
    let api = api(&emulator);
    let endpoint = emulator.endpoint();
    let wire = |request: &HttpRequest, target: &str, version: &str| {
        let mut bytes = format!("{} {target} {version}\r\n", request.method).into_bytes();
        for (k, v) in &request.headers {
            bytes.extend_from_slice(format!("{k}: {v}\r\n").as_bytes());
        }
        bytes.extend_from_slice(format!("Content-Length: {}\r\n\r\n", request.body.len()).as_bytes());
        bytes.extend_from_slice(&request.body);
        bytes
    };
    let list = api.client.build_request("ListSecrets", &json!({"limit": "5"}), now()).unwrap();
    let path = &list.url[endpoint.len()..];

    // Two requests in one write, two answers in order on the same connection.
    let mut stream = std::net::TcpStream::connect(emulator.local_addr()).unwrap();
    let mut both = wire(&list, path, "HTTP/1.1");
    both.extend(wire(&list, path, "HTTP/1.1"));
    std::io::Write::write_all(&mut stream, &both).unwrap();
    let mut reader = BufReader::new(stream);
    let first = common::read_response(&mut reader).unwrap();
    let second = common::read_response(&mut reader).unwrap();
    assert_eq!((first.status, second.status), (200, 200));
    assert_ne!(first.request_id(), second.request_id());

    // HTTP/1.0 without keep-alive: answered, then closed.
    let mut conn = Conn::new(&endpoint);
    let response = conn.send_raw(&wire(&list, path, "HTTP/1.0"));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("connection"), Some("close"));

    // The absolute form of the target verifies like the origin form.
    let response = conn.send_raw(&wire(&list, &list.url, "HTTP/1.1"));
    assert_eq!(response.status, 200);
}

#[test]
fn a_refused_signature_never_echoes_the_security_token() {
    let emulator = start();
    let key = AccessKey::new(DEFAULT_AK, "wrong-sk").with_security_token("Token-SeCrEt");
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, key).unwrap();
    let mut api = Api { client: Client::new(config).unwrap(), conn: Conn::new(&emulator.endpoint()) };
    let response = api.raw("ListSecrets", json!({}));
    assert_eq!(response.status, 401);
    let body = String::from_utf8_lossy(&response.body).into_owned();
    assert!(body.contains("x-security-token:***"), "{body}");
    let error = api.client.parse_response("ListSecrets", &response).unwrap_err();
    for text in [body, error.to_string(), format!("{error:?}")] {
        assert!(!text.contains("SeCrEt"), "{text}");
    }
}
