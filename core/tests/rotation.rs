//! Rotation against the emulator: a crash at every step boundary then a second run, for
//! both strategies; a failed test; two rotations at once; a secret CSMS rotates itself.
#![cfg(feature = "reqwest")]

use csms_core::rotation::{Rotation, RotationOptions, RotationResult, Step, Strategy};
use csms_core::{AccessKey, Client, Config, Error, HookFuture, HttpClient, RotationHooks, SecretString};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Mutex;

fn http(emulator: &Emulator) -> HttpClient {
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, AccessKey::new(DEFAULT_AK, DEFAULT_SK));
    HttpClient::new(Client::new(config.unwrap()).unwrap()).unwrap()
}

/// A database: the password of each user, and every value it was told to accept.
#[derive(Default)]
struct Database {
    passwords: Mutex<HashMap<String, String>>,
    applied: Mutex<Vec<String>>,
    /// Makes `apply` (or `test`) fail once.
    fail_apply: Mutex<bool>,
    fail_test: Mutex<bool>,
    refuse_test: bool,
}

impl Database {
    fn with(users: &[(&str, &str)]) -> Self {
        let db = Database::default();
        for (user, password) in users {
            db.passwords.lock().unwrap().insert((*user).into(), (*password).into());
        }
        db
    }

    /// Whether the database takes this `{"username", "password"}` value.
    fn accepts(&self, value: &str) -> bool {
        let value: Value = serde_json::from_str(value).unwrap();
        let user = value["username"].as_str().unwrap();
        self.passwords.lock().unwrap().get(user).map(String::as_str) == value["password"].as_str()
    }
}

impl RotationHooks for Database {
    fn apply<'a>(&'a self, new: &'a SecretString, _previous: &'a SecretString) -> HookFuture<'a, ()> {
        Box::pin(async move {
            if std::mem::take(&mut *self.fail_apply.lock().unwrap()) {
                return Err(Error::transport("the database is unreachable", false));
            }
            let value: Value = serde_json::from_str(new.expose()).unwrap();
            let user = value["username"].as_str().unwrap().to_owned();
            self.passwords.lock().unwrap().insert(user, value["password"].as_str().unwrap().into());
            self.applied.lock().unwrap().push(new.expose().to_owned());
            Ok(())
        })
    }

    fn tests(&self) -> bool {
        true
    }

    fn test<'a>(&'a self, new: &'a SecretString) -> HookFuture<'a, bool> {
        Box::pin(async move {
            if std::mem::take(&mut *self.fail_test.lock().unwrap()) {
                return Err(Error::transport("login timed out", false));
            }
            Ok(!self.refuse_test && self.accepts(new.expose()))
        })
    }
}

/// Where a run stops, as if the process died: before the step numbered `at` (counting every
/// step from 0), or once it ran (a call sent, a hook returned) and before its outcome is used.
#[derive(Debug, Clone, Copy)]
enum Crash {
    Before(usize),
    AfterSending(usize),
}

/// Runs a rotation step by step, as the drivers do, stopping at `crash`. `None`: it stopped
/// there; else the rotation's outcome. Also returns the number of steps taken.
async fn run(
    http: &HttpClient,
    name: &str,
    strategy: Strategy,
    db: &Database,
    crash: Option<Crash>,
) -> (Option<Result<RotationResult, Error>>, usize) {
    let options = RotationOptions { strategy, host_tests: true, ..RotationOptions::default() };
    let mut rotation = Rotation::new(name, options).unwrap();
    let mut step = rotation.start();
    let mut n = 0;
    loop {
        if matches!(crash, Some(Crash::Before(at)) if at == n) {
            return (None, n);
        }
        let after_sending = matches!(crash, Some(Crash::AfterSending(at)) if at == n);
        n += 1;
        step = match step {
            Step::Call { operation, input } => {
                let result = http.call(operation, &input).await;
                if after_sending {
                    return (None, n);
                }
                rotation.received(result)
            }
            Step::Apply { new_value, previous_value } => {
                let outcome = db.apply(&new_value, &previous_value).await;
                if after_sending {
                    return (None, n);
                }
                rotation.applied(outcome)
            }
            Step::Test { new_value } => {
                let outcome = db.test(&new_value).await;
                if after_sending {
                    return (None, n);
                }
                rotation.tested(outcome)
            }
            Step::Generate | Step::Sleep(_) => panic!("not in these rotations"),
            Step::Done(result) => return (Some(result), n),
        };
    }
}

async fn stage(http: &HttpClient, name: &str, stage: &str) -> Option<String> {
    match http.call("ShowSecretStage", &json!({"secret_name": name, "stage_name": stage})).await {
        Ok(v) => Some(v["stage"]["version_id"].as_str().unwrap().to_owned()),
        Err(Error::Api { status: 404, .. }) => None,
        Err(e) => panic!("{e}"),
    }
}

async fn value(http: &HttpClient, name: &str, version: &str) -> String {
    let v = http.call("ShowSecretVersion", &json!({"secret_name": name, "version_id": version})).await.unwrap();
    v["version"]["secret_string"].as_str().unwrap().to_owned()
}

async fn versions(http: &HttpClient, name: &str) -> usize {
    let v = http.call("ListSecretVersions", &json!({"secret_name": name})).await.unwrap();
    v["version_metadatas"].as_array().unwrap().len()
}

/// The end state every rotation must reach: one new version current, the target on its
/// value, the old one previous, no pending, no version made twice.
async fn check_rotated(http: &HttpClient, name: &str, db: &Database, strategy: Strategy, what: &str) {
    let current = stage(http, name, "SYSCURRENT").await.unwrap();
    assert_ne!(current, "v1", "{what}: rotated");
    assert_eq!(stage(http, name, "SYSPREVIOUS").await.as_deref(), Some("v1"), "{what}");
    assert_eq!(stage(http, name, "SYSPENDING").await, None, "{what}: no SYSPENDING left");
    assert_eq!(versions(http, name).await, 2, "{what}: no version created twice");
    let new = value(http, name, &current).await;
    assert!(db.accepts(&new), "{what}: the target has the current value");
    let new: Value = serde_json::from_str(&new).unwrap();
    let expected_user = if strategy == Strategy::AlternatingUsers { "app_clone" } else { "app" };
    assert_eq!(new["username"], expected_user, "{what}");
    if strategy == Strategy::AlternatingUsers {
        assert!(db.accepts(&value(http, name, "v1").await), "{what}: the previous user still works");
    }
}

const FIRST: &str = r#"{"username": "app", "password": "p0"}"#;

#[tokio::test]
async fn a_crash_at_any_step_then_a_second_run_converges() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http(&emulator);
    for strategy in [Strategy::SingleUser, Strategy::AlternatingUsers] {
        // A clean run, to count the steps.
        let name = format!("clean-{strategy:?}");
        http.call("CreateSecret", &json!({"name": name, "secret_string": FIRST})).await.unwrap();
        let db = Database::with(&[("app", "p0"), ("app_clone", "c0")]);
        let (result, steps) = run(&http, &name, strategy, &db, None).await;
        let result = result.unwrap().unwrap();
        assert_eq!(result.steps, ["probe", "create", "apply", "test", "finish"]);
        assert_eq!((result.previous_version_id.as_deref(), result.resumed), (Some("v1"), false));
        check_rotated(&http, &name, &db, strategy, "clean").await;

        for at in 0..steps - 1 {
            for crash in [Crash::Before(at), Crash::AfterSending(at)] {
                let name = format!("crash-{strategy:?}-{crash:?}").replace(['(', ')'], "");
                http.call("CreateSecret", &json!({"name": name, "secret_string": FIRST})).await.unwrap();
                let db = Database::with(&[("app", "p0"), ("app_clone", "c0")]);
                let (first, _) = run(&http, &name, strategy, &db, Some(crash)).await;
                assert!(first.is_none(), "{crash:?}: stopped");
                let done = stage(&http, &name, "SYSPENDING").await.is_none()
                    && stage(&http, &name, "SYSCURRENT").await.as_deref() != Some("v1");
                if !done {
                    // Not after the last call: a second run finishes the rotation.
                    let (second, _) = run(&http, &name, strategy, &db, None).await;
                    second.unwrap().unwrap_or_else(|e| panic!("{strategy:?} {crash:?}: {e}"));
                }
                check_rotated(&http, &name, &db, strategy, &format!("{strategy:?} {crash:?}")).await;
                let distinct: std::collections::HashSet<_> = db.applied.lock().unwrap().iter().cloned().collect();
                assert_eq!(distinct.len(), 1, "{strategy:?} {crash:?}: one value applied (maybe twice)");
            }
        }
    }
}

#[tokio::test]
async fn a_failing_hook_stops_and_the_next_run_resumes() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http(&emulator);
    for (hook, step) in [("apply", "apply"), ("test", "test")] {
        let name = format!("failing-{hook}");
        http.call("CreateSecret", &json!({"name": name, "secret_string": FIRST})).await.unwrap();
        let db = Database::with(&[("app", "p0")]);
        *(if hook == "apply" { &db.fail_apply } else { &db.fail_test }).lock().unwrap() = true;
        let err = http.rotate(&name, Strategy::SingleUser, &db).await.unwrap_err();
        assert!(matches!(&err, Error::Rotation { step: s, .. } if s == step), "{err}");
        assert!(!err.to_string().contains("\"password\""), "no value in the error: {err}");
        assert_eq!(stage(&http, &name, "SYSCURRENT").await.as_deref(), Some("v1"), "unchanged");
        assert_eq!(stage(&http, &name, "SYSPENDING").await.as_deref(), Some("v2"), "left for the next run");
        let result = http.rotate(&name, Strategy::SingleUser, &db).await.unwrap();
        assert!(result.resumed);
        assert_eq!(result.version_id, "v2");
        check_rotated(&http, &name, &db, Strategy::SingleUser, hook).await;
    }
}

#[tokio::test]
async fn a_refused_test_leaves_syscurrent_unchanged() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http(&emulator);
    http.call("CreateSecret", &json!({"name": "refused", "secret_string": FIRST})).await.unwrap();
    let db = Database { refuse_test: true, ..Database::with(&[("app", "p0")]) };
    let err = http.rotate("refused", Strategy::SingleUser, &db).await.unwrap_err();
    assert!(err.to_string().contains("the target did not accept the new value"), "{err}");
    assert_eq!(stage(&http, "refused", "SYSCURRENT").await.as_deref(), Some("v1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_rotations_at_once_apply_one_value() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http(&emulator);
    for round in 0..10 {
        let name = format!("race-{round}");
        http.call("CreateSecret", &json!({"name": name, "secret_string": FIRST})).await.unwrap();
        let db = std::sync::Arc::new(Database::with(&[("app", "p0")]));
        let runs: Vec<_> = (0..2)
            .map(|_| {
                let (http, db, name) = (http.clone(), db.clone(), name.clone());
                tokio::spawn(async move { http.rotate(&name, Strategy::SingleUser, &*db).await })
            })
            .collect();
        let mut outcomes = Vec::new();
        for run in runs {
            outcomes.push(run.await.unwrap());
        }
        let distinct: std::collections::HashSet<_> = db.applied.lock().unwrap().iter().cloned().collect();
        assert_eq!(distinct.len(), 1, "round {round}: {outcomes:?}");
        assert!(outcomes.iter().any(Result::is_ok), "round {round}: {outcomes:?}");
        for outcome in &outcomes {
            if let Err(e) = outcome {
                assert!(matches!(e, Error::Rotation { step, .. } if step == "create"), "{e}");
            }
        }
        let current = stage(&http, &name, "SYSCURRENT").await.unwrap();
        assert!(db.accepts(&value(&http, &name, &current).await), "round {round}");
        // The loser hands SYSPENDING back to the winner, which may have finished meanwhile:
        // then it is on the current version, which the next run only unlabels.
        let pending = stage(&http, &name, "SYSPENDING").await;
        assert!(pending.is_none() || pending.as_ref() == Some(&current), "round {round}: {pending:?}");
    }
}

#[tokio::test]
async fn a_secret_csms_rotates_itself_waits_for_its_task() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http(&emulator);
    let input = json!({"name": "rds", "secret_string": FIRST, "secret_type": "RDS-FG",
        "rotation_config": "{\"InstanceId\":\"i1\",\"SecretSubType\":\"SingleUser\"}",
        "rotation_func_urn": "urn:fss:cn-north-4:p:function:default:rotate"});
    http.call("CreateSecret", &input).await.unwrap();
    let db = Database::default();
    let result = http.rotate("rds", Strategy::SingleUser, &db).await.unwrap();
    assert_eq!(result.steps, ["probe", "rotate", "wait"]);
    assert_eq!(result.previous_version_id.as_deref(), Some("v1"));
    assert_eq!(stage(&http, "rds", "SYSCURRENT").await, Some(result.version_id));
    assert!(db.applied.lock().unwrap().is_empty(), "CSMS applied it, not the host");
}
