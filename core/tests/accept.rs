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
