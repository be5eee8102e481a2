//! The `reqwest` transport and the core's retry policy against an emulator that injects
//! faults: 503s, 429s and connections closed before or after the request was applied.
//!
//! - 1,000 mixed calls from 8 tasks with ~20% of the requests faulted: idempotent calls
//!   fail only when every attempt failed (≈ 0.2³ = 0.8% of them), no RotateSecret or
//!   CreateSecretVersion is applied twice for one call, and every failure carries what is
//!   needed to act on it (status and request id, or whether the request may have been sent
//!   and why it was not retried).
//! - One test per fault kind at 100%, where the number of attempts is exact.
//! - A server clock 30 minutes behind, learnt from the first refusal.
#![cfg(feature = "reqwest")]

use csms_core::{AccessKey, Client, Config, Error, HttpClient, RetryPolicy};
use csms_emulator::{Emulator, EmulatorConfig, FaultSpec, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const POLICY: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base: Duration::from_millis(5),
    cap: Duration::from_millis(50),
    max_retry_after: csms_core::MAX_RETRY_AFTER,
};

fn http_client(emulator: &Emulator) -> HttpClient {
    let key = AccessKey::new(DEFAULT_AK, DEFAULT_SK);
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, key).unwrap();
    HttpClient::with_timeouts(Client::new(config).unwrap(), Duration::from_secs(5), Duration::from_secs(10))
        .unwrap()
        .with_retry_policy(POLICY)
}

/// Creates the secrets of the tests (faults must be off).
async fn create_secrets(http: &HttpClient) {
    http.call(
        "CreateSecret",
        &json!({"name": "db", "secret_type": "RDS-FG", "secret_string": r#"{"username":"app","password":"initial"}"#}),
    )
    .await
    .unwrap();
    for name in ["app1", "app2"] {
        http.call("CreateSecret", &json!({"name": name, "secret_string": "v0"})).await.unwrap();
    }
}

fn spec(text: &str) -> FaultSpec {
    text.parse().unwrap()
}

/// One call of the mix: the operation, its secret, its input.
fn call_for(n: u64) -> (&'static str, &'static str, Value) {
    // A cheap hash so that the mix does not follow the task layout.
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40;
    let secret = ["db", "app1", "app2"][(h % 3) as usize];
    match (h / 3) % 8 {
        0 => ("ShowSecret", secret, json!({"secret_name": secret})),
        1 => ("ShowSecretVersion", secret, json!({"secret_name": secret, "version_id": "latest"})),
        2 => ("ListSecretVersions", secret, json!({"secret_name": secret, "limit": 10})),
        3 => ("UpdateSecret", secret, json!({"secret_name": secret, "description": format!("call {n}")})),
        4 => ("CreateSecretVersion", secret, json!({"secret_name": secret, "secret_string": format!("value {n}")})),
        // Rotations: the database secret rotates; COMMON ones are refused with a 400.
        5 | 6 => ("RotateSecret", "db", json!({"secret_name": "db"})),
        _ => ("RotateSecret", secret, json!({"secret_name": secret})),
    }
}

fn idempotent(op: &str) -> bool {
    csms_core::operation(op).unwrap().idempotent
}

#[derive(Debug, Default)]
struct Tally {
    calls: u64,
    succeeded: u64,
    /// Transport failures that say the request may have reached the server.
    maybe_sent: u64,
    /// Failures by kind: `api 503`, `transport`, ...
    failures: BTreeMap<String, u64>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_calls_through_twenty_percent_faults() {
    const TASKS: u64 = 8;
    const PER_TASK: u64 = 125;
    let started = Instant::now();
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http_client(&emulator);
    create_secrets(&http).await;
    let fault_spec = spec("seed=20261123,503=8%,429=4%,retry-after=0,close-before=4%,close-after=4%");
    emulator.set_faults(Some(fault_spec));

    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let http = http.clone();
        tasks.push(tokio::spawn(async move {
            let mut results = Vec::new();
            for i in 0..PER_TASK {
                let (op, secret, input) = call_for(t * PER_TASK + i);
                let result = http.call(op, &input).await;
                results.push((op, secret, result));
            }
            results
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.extend(task.await.unwrap());
    }
    assert_eq!(results.len() as u64, TASKS * PER_TASK);

    // (operation, secret) -> what the client saw.
    let mut tallies: BTreeMap<(&str, &str), Tally> = BTreeMap::new();
    let (mut idempotent_calls, mut idempotent_failures) = (0u64, 0u64);
    for (op, secret, result) in &results {
        let tally = tallies.entry((op, secret)).or_default();
        tally.calls += 1;
        let error = match result {
            Ok(_) => {
                tally.succeeded += 1;
                continue;
            }
            Err(error) => error,
        };
        let kind = match error {
            Error::Api { status, request_id, error_code, not_retried, .. } => {
                assert!(!request_id.is_empty(), "{op} on {secret}: an API error without a request id: {error}");
                // A 429 is retried for every operation; a 503 only for idempotent ones.
                if !idempotent(op) && *status == 503 {
                    assert!(not_retried.as_deref().is_some_and(|w| w.contains("not idempotent")), "{op}: {error}");
                }
                if *status == 429 {
                    assert_eq!(not_retried, &None, "{op}: {error}");
                }
                match status {
                    // Injected faults, retried for idempotent calls, withheld for the others.
                    503 => assert_eq!(error_code, "CSMS.0503", "{error}"),
                    429 => assert_eq!(error_code, "CSMS.0429", "{error}"),
                    // RotateSecret of a COMMON secret: refused, never retried.
                    400 => assert!(*op == "RotateSecret" && *secret != "db", "{op} on {secret}: {error}"),
                    other => panic!("{op} on {secret}: unexpected status {other}: {error}"),
                }
                format!("api {status}")
            }
            Error::Transport { maybe_sent, not_retried, .. } => {
                // Every injected close happens after the whole request was written.
                assert!(maybe_sent, "{op} on {secret}: a closed connection must count as maybe sent: {error}");
                tally.maybe_sent += 1;
                if !idempotent(op) {
                    assert!(not_retried.as_deref().is_some_and(|w| w.contains("not idempotent")), "{op}: {error}");
                }
                "transport".to_owned()
            }
            other => panic!("{op} on {secret}: unexpected error {other:?}"),
        };
        *tally.failures.entry(kind).or_default() += 1;
    }
    for ((op, _), tally) in &tallies {
        if idempotent(op) {
            idempotent_calls += tally.calls;
            idempotent_failures += tally.failures.values().sum::<u64>();
        }
    }

    // Idempotent calls: only a run of max_attempts faults makes one fail (~0.8%).
    assert!(idempotent_calls > 400, "{idempotent_calls}");
    assert!(
        idempotent_failures * 100 <= idempotent_calls * 3,
        "{idempotent_failures} of {idempotent_calls} idempotent calls failed: {tallies:#?}"
    );

    // Non-idempotent calls: applied at most once per call.
    for secret in ["db", "app1", "app2"] {
        let applied = emulator.applied_counts(DEFAULT_PROJECT_ID, secret).unwrap();
        for (op, count) in
            [("RotateSecret", applied.rotate_secret), ("CreateSecretVersion", applied.create_secret_version)]
        {
            let Some(tally) = tallies.get(&(op, secret)) else {
                assert_eq!(count, 0, "{op} on {secret} was never called");
                continue;
            };
            assert!(count >= tally.succeeded, "{op} on {secret}: applied {count} < succeeded {tally:?}");
            assert!(
                count <= tally.succeeded + tally.maybe_sent,
                "{op} on {secret}: applied {count} > succeeded + maybe sent {tally:?}"
            );
        }
    }
    // The COMMON secrets never rotate.
    assert_eq!(emulator.applied_counts(DEFAULT_PROJECT_ID, "app1").unwrap().rotate_secret, 0);

    // The emulator saw every call once, plus the retries: at least two per failed idempotent call.
    let stats = emulator.fault_stats();
    let faults = stats.unavailable + stats.throttled + stats.closed_before + stats.closed_after;
    assert!(stats.requests >= results.len() as u64 + 2 * idempotent_failures, "{stats:?}");
    assert!(faults * 100 >= stats.requests * 15 && faults * 100 <= stats.requests * 25, "{stats:?}");

    let elapsed = started.elapsed();
    eprintln!(
        "{} calls, {} requests ({stats:?}), {idempotent_failures} of {idempotent_calls} idempotent calls failed, in {elapsed:?}",
        results.len(),
        stats.requests
    );
    for ((op, secret), tally) in &tallies {
        eprintln!("  {op:<20} {secret:<5} {tally:?}");
    }
    assert!(elapsed < Duration::from_secs(20), "{elapsed:?}");
}

/// Starts an emulator with the secrets, then turns on `faults`.
async fn faulty(faults: &str) -> (Emulator, HttpClient) {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http_client(&emulator);
    create_secrets(&http).await;
    emulator.set_faults(Some(spec(faults)));
    (emulator, http)
}

#[tokio::test]
async fn idempotent_calls_fail_only_after_every_attempt() {
    for faults in ["503=100%", "429=100%,retry-after=0", "close-before=100%", "close-after=100%"] {
        let (emulator, http) = faulty(faults).await;
        let error = http.call("ShowSecretVersion", &json!({"secret_name": "db", "version_id": "latest"})).await;
        let error = error.expect_err(faults);
        assert_eq!(emulator.fault_stats().requests, u64::from(POLICY.max_attempts), "{faults}: {error}");
        match &error {
            Error::Api { status, request_id, .. } => {
                assert!(faults.starts_with(&status.to_string()), "{faults}: {error}");
                assert!(!request_id.is_empty());
            }
            Error::Transport { maybe_sent, .. } => {
                assert!(faults.starts_with("close-"), "{faults}: {error}");
                assert!(maybe_sent, "{faults}: {error}");
            }
            other => panic!("{faults}: {other:?}"),
        }
        // UpdateSecret (PUT) is idempotent too: close-after applies it three times, harmlessly.
        let error = http.call("UpdateSecret", &json!({"secret_name": "app1", "description": "d"})).await;
        assert!(error.is_err(), "{faults}");
        assert_eq!(emulator.fault_stats().requests, 2 * u64::from(POLICY.max_attempts), "{faults}");
    }
}

#[tokio::test]
async fn non_idempotent_calls_are_not_resent_once_they_may_have_arrived() {
    for (faults, applied) in [("503=100%", 0), ("close-before=100%", 0), ("close-after=100%", 1)] {
        let (emulator, http) = faulty(faults).await;
        let rotated = http.call("RotateSecret", &json!({"secret_name": "db"})).await;
        let created = http.call("CreateSecretVersion", &json!({"secret_name": "app1", "secret_string": "x"})).await;
        assert_eq!(emulator.fault_stats().requests, 2, "{faults}: one attempt each");
        let counts = |name| emulator.applied_counts(DEFAULT_PROJECT_ID, name).unwrap();
        assert_eq!(counts("db").rotate_secret, applied, "{faults}");
        assert_eq!(counts("app1").create_secret_version, applied, "{faults}");
        for (op, result) in [("RotateSecret", rotated), ("CreateSecretVersion", created)] {
            match result {
                Err(error @ Error::Api { .. }) => {
                    let Error::Api { status, request_id, .. } = &error else { unreachable!() };
                    assert!(faults.starts_with(&status.to_string()), "{faults}: {op}: {status}");
                    assert!(!request_id.is_empty());
                    assert!(error.to_string().contains(&format!("not retried: {op} is not idempotent")), "{error}");
                }
                Err(error @ Error::Transport { .. }) => {
                    let Error::Transport { maybe_sent, .. } = &error else { unreachable!() };
                    assert!(faults.starts_with("close-"), "{faults}: {error}");
                    assert!(*maybe_sent, "{faults}: {error}");
                    assert!(error.to_string().contains(&format!("not retried: {op} is not idempotent")), "{error}");
                    assert!(error.to_string().contains("may have reached the server"), "{error}");
                }
                other => panic!("{faults}: {op}: {other:?}"),
            }
        }
    }
}

#[tokio::test]
async fn throttling_is_retried_for_every_operation_and_a_long_retry_after_ends_the_call() {
    let (emulator, http) = faulty("429=100%,retry-after=0").await;
    for (op, input) in [
        ("RotateSecret", json!({"secret_name": "db"})),
        ("CreateSecretVersion", json!({"secret_name": "app1", "secret_string": "x"})),
    ] {
        let before = emulator.fault_stats().requests;
        let error = http.call(op, &input).await.expect_err(op);
        assert_eq!(error.status(), Some(429), "{error}");
        assert_eq!(error.not_retried(), None, "{op}: {error}");
        assert_eq!(emulator.fault_stats().requests - before, u64::from(POLICY.max_attempts), "{op}: every attempt");
    }
    assert_eq!(emulator.applied_counts(DEFAULT_PROJECT_ID, "db").unwrap().rotate_secret, 0);
    assert_eq!(emulator.applied_counts(DEFAULT_PROJECT_ID, "app1").unwrap().create_secret_version, 0);
    // A Retry-After above max_retry_after: one attempt, and the error carries it.
    emulator.set_faults(Some(spec("429=100%,retry-after=120")));
    let error = http.call("ShowSecret", &json!({"secret_name": "db"})).await.unwrap_err();
    assert_eq!(emulator.fault_stats().requests, 1, "{error}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(120)), "{error}");
    assert!(error.not_retried().unwrap().contains("120 s (Retry-After)"), "{error}");
}

#[tokio::test]
async fn a_server_clock_years_ahead_then_back_leaves_the_client_working() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let http = http_client(&emulator);
    create_secrets(&http).await;
    let show = json!({"secret_name": "db"});
    // 20 years ahead: beyond the 24 h bound, so not followed; the call ends with the refusal.
    emulator.set_clock_offset_ms(20 * 365 * 86_400_000);
    let error = http.call("ShowSecret", &show).await.unwrap_err();
    assert_eq!(error.status(), Some(401), "{error}");
    assert!(error.not_retried().unwrap().contains("max_clock_offset"), "{error}");
    assert_eq!(http.client().clock_offset(), 0);
    // Back: the client works at once.
    emulator.set_clock_offset_ms(0);
    http.call("ShowSecret", &show).await.unwrap();
    // A client told to follow any offset follows it there and back.
    let key = AccessKey::new(DEFAULT_AK, DEFAULT_SK);
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, key)
        .unwrap()
        .with_max_clock_offset(Duration::MAX);
    let follower = HttpClient::new(Client::new(config).unwrap()).unwrap().with_retry_policy(POLICY);
    emulator.set_clock_offset_ms(20 * 365 * 86_400_000);
    follower.call("ShowSecret", &show).await.unwrap();
    assert!(follower.client().clock_offset() > 19 * 365 * 86_400, "{}", follower.client().clock_offset());
    emulator.set_clock_offset_ms(0);
    follower.call("ShowSecret", &show).await.unwrap();
    assert!(follower.client().clock_offset().abs() <= 10, "{}", follower.client().clock_offset());
}

#[tokio::test]
async fn a_server_clock_half_an_hour_behind_is_learnt_once() {
    // clock-offset in the spec; no fault rate, so only the clock is off.
    let emulator = Emulator::start(EmulatorConfig::default().with_faults(spec("clock-offset=-1800"))).unwrap();
    let http = http_client(&emulator);
    // A non-idempotent call is safe to resend after a refused signature: applied once.
    http.call(
        "CreateSecret",
        &json!({"name": "db", "secret_type": "RDS-FG", "secret_string": r#"{"username":"app","password":"initial"}"#}),
    )
    .await
    .unwrap();
    let offset = http.client().clock_offset();
    assert!((-1810..=-1790).contains(&offset), "offset {offset}");
    http.call("RotateSecret", &json!({"secret_name": "db"})).await.unwrap();
    assert_eq!(emulator.applied_counts(DEFAULT_PROJECT_ID, "db").unwrap().rotate_secret, 1);
    assert_eq!(http.client().clock_offset(), offset, "learnt once, kept");
}
