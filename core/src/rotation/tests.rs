//! The rotation machine with canned answers: what it asks for, in order, and what it makes.

use super::*;
use serde_json::json;

fn api(status: u16) -> Error {
    Error::Api {
        status,
        error_code: "CSMS.0404".into(),
        error_msg: "not found".into(),
        request_id: "r".into(),
        not_retried: None,
        retry_after_secs: None,
        signature: None,
    }
}

fn call(step: &Step) -> (&'static str, &Value) {
    match step {
        Step::Call { operation, input } => (operation, input),
        other => panic!("expected a call, got {other:?}"),
    }
}

fn version(value: &str) -> Result<Value> {
    Ok(json!({"version": {"secret_string": value, "version_metadata": {"create_time": 1000}}}))
}

/// Answers the probe of a secret on `v1` holding `current` (and `previous` on `v0`).
fn probe(rotation: &mut Rotation, current: &str, previous: Option<&str>) -> Step {
    let step = rotation.start();
    assert_eq!(call(&step).0, "ShowSecret");
    let step = rotation.received(Ok(json!({"secret": {"secret_type": "COMMON"}})));
    assert_eq!(call(&step), ("ShowSecretStage", &json!({"secret_name": "db", "stage_name": "SYSCURRENT"})));
    let step = rotation.received(Ok(json!({"stage": {"version_id": "v1"}})));
    assert_eq!(call(&step).1["stage_name"], "SYSPENDING");
    let step = rotation.received(Err(api(404)));
    assert_eq!(call(&step), ("ShowSecretVersion", &json!({"secret_name": "db", "version_id": "v1"})));
    let mut step = rotation.received(version(current));
    if rotation.options.strategy == Strategy::AlternatingUsers {
        assert_eq!(call(&step).1["stage_name"], "SYSPREVIOUS");
        step = match previous {
            Some(p) => {
                let next = rotation.received(Ok(json!({"stage": {"version_id": "v0"}})));
                assert_eq!(call(&next).1["version_id"], "v0");
                rotation.received(version(p))
            }
            None => rotation.received(Err(api(404))),
        };
    }
    step
}

/// The value the rotation stores, given a password.
fn stored(strategy: Strategy, current: &str, previous: Option<&str>) -> Value {
    let options = RotationOptions { strategy, ..RotationOptions::default() };
    let mut rotation = Rotation::new("db", options).unwrap();
    let step = probe(&mut rotation, current, previous);
    assert_eq!(call(&step), ("GenerateRandomPassword", &json!({})));
    let step = rotation.received(Ok(json!({"password": "NEW"})));
    let (operation, input) = call(&step);
    assert_eq!(operation, "CreateSecretVersion");
    assert_eq!(input["version_stages"], json!(["SYSPENDING"]));
    input["secret_string"].clone()
}

#[test]
fn the_new_value_keeps_the_shape_of_the_old_one() {
    assert_eq!(stored(Strategy::SingleUser, "plain-old", None), "plain-old".replace("plain-old", "NEW"));
    let single = stored(Strategy::SingleUser, r#"{"username": "app", "password": "old", "host": "h"}"#, None);
    let single: Value = serde_json::from_str(single.as_str().unwrap()).unwrap();
    assert_eq!(single, json!({"username": "app", "password": "NEW", "host": "h"}));

    let first = stored(Strategy::AlternatingUsers, r#"{"username": "app", "password": "old"}"#, None);
    assert_eq!(serde_json::from_str::<Value>(first.as_str().unwrap()).unwrap()["username"], "app_clone");
    let later = stored(
        Strategy::AlternatingUsers,
        r#"{"username": "app_clone", "password": "old"}"#,
        Some(r#"{"username": "app", "password": "older"}"#),
    );
    let later: Value = serde_json::from_str(later.as_str().unwrap()).unwrap();
    assert_eq!((later["username"].as_str(), later["password"].as_str()), (Some("app"), Some("NEW")));
}

#[test]
fn alternating_users_need_a_json_value_and_errors_quote_no_value() {
    let options = RotationOptions { strategy: Strategy::AlternatingUsers, ..RotationOptions::default() };
    let mut rotation = Rotation::new("db", options).unwrap();
    probe(&mut rotation, "s3cr3t-plain", None);
    let Step::Done(Err(err)) = rotation.received(Ok(json!({"password": "NEW-s3cr3t"}))) else { panic!() };
    assert!(matches!(&err, Error::Rotation { step, .. } if step == "create"), "{err}");
    assert!(!err.to_string().contains("s3cr3t"), "{err}");
}

#[test]
fn a_host_generator_apply_and_test() {
    let options = RotationOptions { host_generates: true, host_tests: true, ..RotationOptions::default() };
    let mut rotation = Rotation::new("db", options).unwrap();
    assert!(matches!(probe(&mut rotation, "old", None), Step::Generate));
    let step = rotation.generated(Ok(SecretString::from("")));
    assert!(matches!(step, Step::Done(Err(Error::Rotation { .. }))), "an empty password is refused");

    let mut rotation = Rotation::new("db", options_with_test()).unwrap();
    probe(&mut rotation, "old", None);
    let step = rotation.generated(Ok(SecretString::from("NEW")));
    assert_eq!(call(&step).0, "CreateSecretVersion");
    let step = rotation.received(Ok(json!({"version_metadata": {"id": "v2", "create_time": 2000}})));
    assert_eq!(call(&step), ("ListSecretVersions", &json!({"secret_name": "db", "limit": 100})));
    let page = json!({"version_metadatas": [{"id": "v1", "create_time": 1000}, {"id": "v2", "create_time": 2000}]});
    let Step::Apply { new_value, previous_value } = rotation.received(Ok(page)) else { panic!() };
    assert_eq!((new_value.expose(), previous_value.expose()), ("NEW", "old"));
    let Step::Test { new_value } = rotation.applied(Ok(())) else { panic!() };
    assert_eq!(new_value.expose(), "NEW");
    let step = rotation.tested(Ok(true));
    assert_eq!(
        call(&step),
        ("UpdateSecretStage", &json!({"secret_name": "db", "stage_name": "SYSCURRENT", "version_id": "v2"}))
    );
    let step = rotation.received(Ok(json!({})));
    assert_eq!(call(&step).0, "DeleteSecretStage");
    let Step::Done(Ok(result)) = rotation.received(Err(api(404))) else { panic!("already gone is fine") };
    assert_eq!(result.steps, ["probe", "create", "apply", "test", "finish"]);
    assert_eq!((result.version_id.as_str(), result.previous_version_id.as_deref()), ("v2", Some("v1")));
}

fn options_with_test() -> RotationOptions {
    RotationOptions { host_generates: true, host_tests: true, ..RotationOptions::default() }
}

#[test]
fn an_earlier_rival_wins_and_a_stale_leftover_does_not() {
    let run = |page: Value| {
        let mut rotation = Rotation::new("db", options_with_test()).unwrap();
        probe(&mut rotation, "old", None);
        rotation.generated(Ok(SecretString::from("NEW")));
        rotation.received(Ok(json!({"version_metadata": {"id": "v4", "create_time": 100_000}})));
        rotation.received(Ok(page))
    };
    // v3 stored 1 s before this run's v4: a rotation in progress, which wins.
    let step =
        run(json!({"version_metadatas": [{"id": "v3", "create_time": 99_000}, {"id": "v4", "create_time": 100_000}]}));
    assert_eq!(call(&step).1["stage_name"], "SYSCURRENT", "the loser looks where SYSPENDING goes back");
    // v3 stored 2 minutes before: an old leftover.
    let step =
        run(json!({"version_metadatas": [{"id": "v3", "create_time": 1_000}, {"id": "v4", "create_time": 100_000}]}));
    assert!(matches!(step, Step::Apply { .. }));
}

#[test]
fn a_task_is_polled_with_growing_waits_until_its_deadline() {
    let options = RotationOptions { task_deadline: Duration::from_secs(10), ..RotationOptions::default() };
    let mut rotation = Rotation::new("rds", options).unwrap();
    rotation.start();
    rotation.received(Ok(json!({"secret": {"secret_type": "RDS-FG"}})));
    let step = rotation.received(Ok(json!({"stage": {"version_id": "v1"}})));
    assert_eq!(call(&step), ("RotateSecret", &json!({"secret_name": "rds"})));
    let step = rotation.received(Ok(json!({"rotation_task_id": "t1", "version_id": "v2"})));
    assert_eq!(call(&step).1["task_id"], "t1");
    let running = || Ok(json!({"tasks": [{"task_id": "t1", "task_status": "IN_PROGRESS"}]}));
    let mut waits = Vec::new();
    let mut now = Duration::ZERO;
    let mut step = rotation.received(running());
    loop {
        match step {
            Step::Sleep(delay) => {
                waits.push(delay.as_secs());
                now += delay;
                step = rotation.woke(now);
            }
            Step::Call { .. } => step = rotation.received(running()),
            Step::Done(result) => {
                let err = result.unwrap_err();
                assert!(matches!(&err, Error::Rotation { step, .. } if step == "wait"), "{err}");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(waits, [1, 2, 4, 8]);
}

#[test]
fn strategies_by_name() {
    assert_eq!(Strategy::parse("alternating-users").unwrap(), Strategy::AlternatingUsers);
    assert!(matches!(Strategy::parse("dual").unwrap_err(), Error::Validation { field, .. } if field == "strategy"));
    assert!(Rotation::new("", RotationOptions::default()).is_err());
}
