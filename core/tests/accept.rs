//! Inputs the official Python SDK takes and sends although they are not of the member's
//! documented JSON type, and responses with a field of an unexpected type.

use csms_core::*;
use serde_json::{json, Value};

fn at() -> SdkDate {
    SdkDate::parse("20261122T080910Z").unwrap()
}

fn client() -> Client {
    Client::new(Config::for_region("cn-north-4", "pid", AccessKey::new("AK", "SK-secret-value")).unwrap()).unwrap()
}

fn build(op: &str, input: Value) -> HttpRequest {
    client().build_request(op, &input, at()).unwrap_or_else(|e| panic!("{op} {input}: {e}"))
}

fn body_text(request: &HttpRequest) -> &str {
    std::str::from_utf8(&request.body).unwrap()
}

#[test]
fn the_resource_instances_path_member_takes_its_one_documented_value() {
    let url = "https://kms.cn-north-4.myhuaweicloud.com/v1/pid/csms/resource_instances/action";
    for input in [
        json!({"action": "count"}),
        json!({"action": "count", "resource_instances": "resource_instances"}),
        json!({"action": "count", "resource_instances": null}),
    ] {
        assert_eq!(build("ListResourceInstances", input).url, url);
    }
    let typed = ListResourceInstancesRequest {
        action: "count".into(),
        resource_instances: Some("resource_instances".into()),
        ..Default::default()
    };
    assert_eq!(client().build(&typed, at()).unwrap().url, url);
    for other in [json!("resource_instance"), json!(""), json!("..")] {
        let err = client()
            .build_request("ListResourceInstances", &json!({"action": "count", "resource_instances": other}), at())
            .unwrap_err();
        assert!(matches!(&err, Error::Validation { field, .. } if field == "resource_instances"), "{err}");
    }
}

#[test]
fn numbers_for_text_and_numeric_strings_for_integers_are_sent_as_given() {
    let r = build("ListResourceInstances", json!({"action": "filter", "limit": 10, "offset": "0"}));
    assert_eq!(body_text(&r), r#"{"limit":10,"offset":"0","action":"filter"}"#);
    let r = build("DeleteSecretForSchedule", json!({"secret_name": "s", "recovery_window_in_days": "7"}));
    assert_eq!(body_text(&r), r#"{"recovery_window_in_days":"7"}"#);
    let r = build("ListUsers", json!({"limit": "20", "offset": "0"}));
    assert!(r.url.ends_with("/v1/csms/users?limit=20&offset=0"), "{}", r.url);
    // The documented range still holds, whichever way the number came.
    for (op, input, field) in [
        (
            "DeleteSecretForSchedule",
            json!({"secret_name": "s", "recovery_window_in_days": "31"}),
            "recovery_window_in_days",
        ),
        (
            "DeleteSecretForSchedule",
            json!({"secret_name": "s", "recovery_window_in_days": "7 days"}),
            "recovery_window_in_days",
        ),
        ("ListResourceInstances", json!({"action": "filter", "limit": 0}), "limit"),
        ("ListResourceInstances", json!({"action": "filter", "limit": 1.5}), "limit"),
    ] {
        let err = client().build_request(op, &input, at()).unwrap_err();
        assert!(matches!(&err, Error::Validation { field: f, .. } if f == field), "{input}: {err}");
    }
}

#[test]
fn null_fields_of_nested_models_are_left_out() {
    let r = build(
        "BatchCreateOrDeleteTags",
        json!({"secret_id": "sid", "action": "create", "tags": [{"key": "env", "value": null}]}),
    );
    assert_eq!(body_text(&r), r#"{"tags":[{"key":"env"}],"action":"create"}"#);
    // A required field given as null is missing.
    let err = client()
        .build_request("CreateSecretTag", &json!({"secret_id": "sid", "tag": {"key": null, "value": "v"}}), at())
        .unwrap_err();
    assert!(matches!(&err, Error::Validation { field, .. } if field == "tag.key"), "{err}");
}

fn response(body: &str) -> HttpResponse {
    HttpResponse::new(200, vec![("X-Request-Id".into(), "r-9".into())], body)
}

#[test]
fn a_field_of_an_unexpected_type_does_not_lose_the_secret_value() {
    let c = client();
    let body = r#"{"version": {"secret_string": "s3cr3t", "version_metadata":
        {"id": "v1", "create_time": "1700000000000", "expire_time": "soon", "version_stages": "SYSCURRENT"}}}"#;
    let version = c.parse::<ShowSecretVersionRequest>(&response(body)).unwrap().version.unwrap();
    assert_eq!(version.secret_string.as_ref().map(|s| s.expose()), Some("s3cr3t"));
    let meta = version.version_metadata.unwrap();
    assert_eq!((meta.id.as_deref(), meta.create_time, meta.expire_time), (Some("v1"), Some(1_700_000_000_000), None));
    assert_eq!(meta.version_stages, Some(vec!["SYSCURRENT".to_owned()]));
    // By name, the same result.
    let by_name = c.parse_response("ShowSecretVersion", &response(body)).unwrap();
    assert_eq!(by_name["version"]["secret_string"], "s3cr3t");
    assert_eq!(by_name["version"]["version_metadata"]["create_time"], 1_700_000_000_000_i64);
    assert!(by_name["version"]["version_metadata"].get("expire_time").is_none());
    // Text for a number, a secret for a model left out, a list item of another type.
    let body = r#"{"version": {"secret_string": 12345678, "version_metadata": "x"}}"#;
    let version = c.parse::<ShowSecretVersionRequest>(&response(body)).unwrap().version.unwrap();
    assert_eq!(version.secret_string.as_ref().map(|s| s.expose()), Some("12345678"));
    assert!(version.version_metadata.is_none());
}

#[test]
fn a_body_that_is_not_a_json_object_stays_a_decode_error_that_quotes_nothing() {
    let c = client();
    for body in [r#"["s3cr3t"]"#, r#""s3cr3t""#, r#"{"version": {"secret_string": "s3cr3t""#, "s3cr3t"] {
        let typed = c.parse::<ShowSecretVersionRequest>(&response(body)).unwrap_err();
        assert_eq!(typed, c.parse_response("ShowSecretVersion", &response(body)).unwrap_err(), "{body}");
        let Error::Decode { status: 200, request_id, .. } = &typed else { panic!("{typed:?}") };
        assert_eq!(request_id, "r-9");
        for text in [typed.to_string(), format!("{typed:?}")] {
            assert!(!text.contains("s3cr3t"), "{text}");
        }
    }
}
