//! A deterministic simulation of the cache's rules: a fake service answers the flights, the
//! clock and the jitter's seed are the test's.

use super::*;
use crate::error::Error;
use serde_json::json;
use std::collections::HashMap;

thread_local! {
    /// The values of the versions dropped on this thread, as they were left.
    static WIPED: std::cell::RefCell<Vec<Value>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Called by `CachedVersion::drop` after wiping.
pub(super) fn wiped(result: &Value) {
    WIPED.with(|w| w.borrow_mut().push(result.clone()));
}

fn take_wiped() -> Vec<Value> {
    WIPED.with(|w| std::mem::take(&mut *w.borrow_mut()))
}

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// A fake CSMS: stages of one secret, version values, and a failure to answer with.
struct Service {
    stages: HashMap<String, String>,
    values: HashMap<String, String>,
    failing: Option<Error>,
    requests: Vec<&'static str>,
}

impl Service {
    fn new() -> Self {
        let mut service =
            Service { stages: HashMap::new(), values: HashMap::new(), failing: None, requests: Vec::new() };
        service.put("v1", "one", &[CURRENT]);
        service
    }

    fn put(&mut self, version: &str, value: &str, stages: &[&str]) {
        self.values.insert(version.into(), value.into());
        for stage in stages {
            self.stages.insert((*stage).into(), version.into());
        }
    }

    fn answer(&mut self, flight: &Flight) -> crate::Result<Value> {
        self.requests.push(flight.operation());
        if let Some(error) = &self.failing {
            return Err(error.clone());
        }
        let input = flight.input();
        match flight.operation() {
            "ShowSecretStage" => match self.stages.get(input["stage_name"].as_str().unwrap()) {
                Some(v) => Ok(json!({"stage": {"name": input["stage_name"], "version_id": v}})),
                None => Err(api(404)),
            },
            _ => match self.values.get(input["version_id"].as_str().unwrap()) {
                Some(value) => Ok(json!({"version": {"secret_string": value,
                    "version_metadata": {"id": input["version_id"]}}})),
                None => Err(api(404)),
            },
        }
    }

    fn sent(&mut self) -> usize {
        std::mem::take(&mut self.requests).len()
    }
}

fn api(status: u16) -> Error {
    Error::Api {
        status,
        error_code: format!("CSMS.{status}"),
        error_msg: "refused".into(),
        request_id: "r".into(),
        not_retried: None,
        retry_after_secs: None,
        signature: None,
    }
}

fn cache(config: CacheConfig) -> CacheState {
    CacheState::new(config, 7).unwrap()
}

/// One read of `target` driven to its end, as a binding does.
fn read(state: &mut CacheState, service: &mut Service, target: Target<'_>, now: Duration) -> crate::Result<String> {
    let version = match state.get("db", target, now) {
        Lookup::Hit(v) => v,
        Lookup::Failed(e) => return Err(e),
        Lookup::Wait(id) => panic!("nothing is in flight in a sequential test ({id})"),
        Lookup::Fetch(mut flight) => loop {
            let result = service.answer(&flight);
            match state.receive(flight, result, now) {
                Progress::Call(next) => flight = next,
                Progress::Done(result) => break result?,
            }
        },
    };
    Ok(version.secret_string().unwrap().to_owned())
}

fn current(state: &mut CacheState, service: &mut Service, now: Duration) -> crate::Result<String> {
    read(state, service, Target::Stage(CURRENT), now)
}

#[test]
fn a_hit_sends_nothing_and_the_ttl_expires_within_half_to_all_of_it() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    assert_eq!(current(&mut state, &mut service, secs(0.0)).unwrap(), "one");
    assert_eq!(service.requests, ["ShowSecretStage", "ShowSecretVersion"]);
    service.sent();
    assert_eq!(current(&mut state, &mut service, secs(149.9)).unwrap(), "one");
    assert_eq!(service.sent(), 0, "within TTL/2: a hit");
    // Somewhere in [150, 300) the pointer expires: one ShowSecretStage, and the value
    // is not fetched again (the version did not change).
    let mut expired_at = None;
    for tenth in 1500..3000 {
        current(&mut state, &mut service, secs(tenth as f64 / 10.0)).unwrap();
        if !service.requests.is_empty() {
            expired_at = Some(tenth);
            break;
        }
    }
    assert!(expired_at.is_some(), "expired before the TTL");
    assert_eq!(service.requests, ["ShowSecretStage"]);
}

#[test]
fn expiries_are_spread_over_half_the_ttl() {
    let mut seen = Vec::new();
    for seed in 0..200 {
        let mut state = CacheState::new(CacheConfig::default(), seed).unwrap();
        let mut service = Service::new();
        current(&mut state, &mut service, secs(0.0)).unwrap();
        let expires = state.entries.get("db").unwrap().stages.get(CURRENT).unwrap().expires_at;
        assert!(expires >= secs(150.0) && expires < secs(300.0), "{expires:?}");
        seen.push(expires.as_secs());
    }
    seen.sort();
    seen.dedup();
    assert!(seen.len() > 50, "not spread: {seen:?}");
}

#[test]
fn a_new_version_is_fetched_once_and_the_listener_told() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    current(&mut state, &mut service, secs(0.0)).unwrap();
    service.sent();
    service.put("v2", "two", &[CURRENT]);
    assert_eq!(current(&mut state, &mut service, secs(100.0)).unwrap(), "one", "still within the TTL");
    assert_eq!(current(&mut state, &mut service, secs(300.0)).unwrap(), "two");
    assert_eq!(service.requests, ["ShowSecretStage", "ShowSecretVersion"]);
    let changes = state.take_changes();
    assert_eq!(
        changes,
        [Change { secret_name: "db".into(), stage: CURRENT.into(), from: Some("v1".into()), to: Some("v2".into()) }]
    );
    assert!(state.take_changes().is_empty());
    // The old version is still cached, by id.
    service.sent();
    assert_eq!(read(&mut state, &mut service, Target::Version("v1"), secs(301.0)).unwrap(), "one");
    assert_eq!(service.sent(), 0);
}

#[test]
fn concurrent_reads_share_one_flight_and_its_outcome() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    let Lookup::Fetch(flight) = state.get("db", Target::Stage(CURRENT), secs(0.0)) else { panic!() };
    let waiters: Vec<u64> = (0..31)
        .map(|_| match state.get("db", Target::Stage(CURRENT), secs(0.0)) {
            Lookup::Wait(id) => id,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(waiters.iter().all(|&id| id == flight.id()));
    let result = service.answer(&flight);
    let Progress::Call(flight) = state.receive(flight, result, secs(0.0)) else { panic!() };
    let result = service.answer(&flight);
    let id = flight.id();
    let Progress::Done(Ok(_)) = state.receive(flight, result, secs(0.0)) else { panic!() };
    assert_eq!(service.sent(), 2, "32 reads, one flight of two requests");
    for _ in &waiters {
        assert_eq!(state.outcome(id).unwrap().unwrap().secret_string(), Some("one"));
    }
    assert!(state.outcomes.is_empty(), "every waiter took the outcome: nothing kept");

    // An abandoned flight has no outcome: a waiter reads again and sends.
    let Lookup::Fetch(flight) = state.get("db", Target::Version("v9"), secs(0.0)) else { panic!() };
    let Lookup::Wait(id) = state.get("db", Target::Version("v9"), secs(0.0)) else { panic!() };
    state.abandon(flight);
    assert!(state.outcome(id).is_none());
    assert!(matches!(state.get("db", Target::Version("v9"), secs(0.0)), Lookup::Fetch(_)));
}

#[test]
fn a_transient_failure_serves_the_last_value_and_backs_off() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    current(&mut state, &mut service, secs(0.0)).unwrap();
    service.sent();
    service.failing = Some(api(503));
    // Expired at 300 at the latest: the refresh fails, the stale value is served.
    assert_eq!(current(&mut state, &mut service, secs(300.0)).unwrap(), "one");
    assert_eq!(service.sent(), 1);
    // Backing off: 1 s at first (drawn in [0.5, 1)), then 2, 4, ... capped at 5 min.
    assert_eq!(current(&mut state, &mut service, secs(300.4)).unwrap(), "one");
    assert_eq!(service.sent(), 0, "within the first back-off");
    let mut now = 300.0;
    let mut gaps = Vec::new();
    let mut last = now;
    while now < 300.0 + 3600.0 {
        now += 0.25;
        current(&mut state, &mut service, secs(now)).unwrap();
        if service.sent() > 0 {
            gaps.push(now - last);
            last = now;
        }
    }
    assert!(gaps[0] >= 0.5 && gaps[0] <= 1.25, "{gaps:?}");
    assert!(gaps[1] >= 1.0 && gaps[1] <= 2.25, "{gaps:?}");
    assert!(gaps[2] >= 2.0 && gaps[2] <= 4.25, "{gaps:?}");
    assert!(gaps.iter().all(|g| *g <= 300.25), "capped at 5 min: {gaps:?}");
    assert!(gaps.iter().rev().take(3).all(|g| *g >= 150.0), "reaches the cap: {gaps:?}");
    // Back up: the next refresh succeeds and the back-off is over.
    service.failing = None;
    service.put("v2", "two", &[CURRENT]);
    let mut value = String::new();
    while value != "two" {
        now += 1.0;
        value = current(&mut state, &mut service, secs(now)).unwrap();
    }
    assert_eq!(state.entries.get("db").unwrap().stages.get(CURRENT).unwrap().failures, 0);
}

#[test]
fn stale_values_are_served_up_to_max_stale_and_not_beyond() {
    let mut service = Service::new();
    let config = CacheConfig { max_stale: Some(secs(600.0)), ..CacheConfig::default() };
    let mut state = cache(config);
    current(&mut state, &mut service, secs(0.0)).unwrap();
    let expires = state.entries.get("db").unwrap().stages.get(CURRENT).unwrap().expires_at.as_secs_f64();
    service.failing = Some(Error::transport("connection refused", false));
    assert_eq!(current(&mut state, &mut service, secs(expires + 590.0)).unwrap(), "one");
    let err = current(&mut state, &mut service, secs(expires + 601.0)).unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    // While backing off, the same error without a request.
    service.sent();
    assert!(current(&mut state, &mut service, secs(expires + 601.1)).is_err());
    assert_eq!(service.sent(), 0);

    // No limit: served for ever.
    let mut state = cache(CacheConfig { max_stale: None, ..CacheConfig::default() });
    service.failing = None;
    current(&mut state, &mut service, secs(0.0)).unwrap();
    service.failing = Some(api(500));
    assert_eq!(current(&mut state, &mut service, secs(1e7)).unwrap(), "one");
}

#[test]
fn a_cold_read_that_fails_backs_off_with_its_error() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    service.failing = Some(api(429));
    assert_eq!(current(&mut state, &mut service, secs(0.0)).unwrap_err().status(), Some(429));
    assert_eq!(current(&mut state, &mut service, secs(0.4)).unwrap_err().status(), Some(429));
    assert_eq!(service.sent(), 1, "the second read was answered by the back-off");
    service.failing = None;
    assert_eq!(current(&mut state, &mut service, secs(1.0)).unwrap(), "one");
}

#[test]
fn forbidden_and_not_found_are_never_hidden() {
    for status in [403, 404] {
        let mut service = Service::new();
        let mut state = cache(CacheConfig::default());
        current(&mut state, &mut service, secs(0.0)).unwrap();
        read(&mut state, &mut service, Target::Version("v1"), secs(0.0)).unwrap();
        service.failing = Some(api(status));
        let err = current(&mut state, &mut service, secs(300.0)).unwrap_err();
        assert_eq!(err.status(), Some(status));
        assert!(!state.entries.contains_key("db"), "{status}: the secret is dropped, its versions with it");
        service.sent();
        // Not served from memory any more, by stage or by id.
        assert!(read(&mut state, &mut service, Target::Version("v1"), secs(300.1)).is_err());
        assert_eq!(service.sent(), 1);
    }
}

#[test]
fn an_absent_stage_is_remembered_for_the_ttl() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    let err = read(&mut state, &mut service, Target::Stage(PENDING), secs(0.0)).unwrap_err();
    assert!(is_absent(&err));
    assert!(is_absent(&read(&mut state, &mut service, Target::Stage(PENDING), secs(100.0)).unwrap_err()));
    assert_eq!(service.sent(), 1);
    // It appears: told after the TTL, and the listener hears of it.
    service.put("v2", "two", &[PENDING]);
    assert_eq!(read(&mut state, &mut service, Target::Stage(PENDING), secs(300.0)).unwrap(), "two");
    assert_eq!(state.take_changes()[0].to.as_deref(), Some("v2"));
}

#[test]
fn refresh_expires_at_most_once_a_second() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    current(&mut state, &mut service, secs(0.0)).unwrap();
    service.sent();
    service.put("v2", "two", &[CURRENT]);
    // Right after a read: refreshed (the application just learnt its value stopped working).
    assert!(state.refresh("db", secs(0.1)));
    assert_eq!(current(&mut state, &mut service, secs(0.1)).unwrap(), "two");
    assert_eq!(service.sent(), 2);
    // Many threads learning it at once: one refresh a second.
    service.put("v3", "three", &[CURRENT]);
    assert!(!state.refresh("db", secs(0.9)));
    assert_eq!(current(&mut state, &mut service, secs(0.9)).unwrap(), "two");
    assert!(state.refresh("db", secs(1.1)));
    assert_eq!(current(&mut state, &mut service, secs(1.1)).unwrap(), "three");
    assert!(!state.refresh("unknown", secs(9.0)));
}

#[test]
fn the_least_recently_used_secret_is_evicted_and_its_value_wiped() {
    let mut state = cache(CacheConfig { max_entries: 2, ..CacheConfig::default() });
    let mut held = None;
    for (n, name) in ["a", "b", "a", "c"].iter().enumerate() {
        let now = secs(n as f64);
        match state.get(name, Target::Stage(CURRENT), now) {
            Lookup::Hit(_) => {}
            Lookup::Fetch(flight) => {
                let stage = json!({"stage": {"version_id": "v1"}});
                let Progress::Call(flight) = state.receive(flight, Ok(stage), now) else { panic!() };
                let value = json!({"version": {"secret_string": format!("value of {name}")}});
                let Progress::Done(Ok(version)) = state.receive(flight, Ok(value), now) else { panic!() };
                if *name == "b" {
                    held = Some(version);
                }
            }
            other => panic!("{other:?}"),
        }
    }
    let mut names: Vec<&String> = state.entries.iter().map(|(name, _)| name).collect();
    names.sort();
    assert_eq!(names, ["a", "c"], "b was the least recently used");
    // A reader still holding b's value keeps it; when it lets go, the value is wiped.
    assert_eq!(held.as_ref().unwrap().secret_string(), Some("value of b"));
    assert!(!format!("{:?}", held.as_ref().unwrap()).contains("value of b"), "Debug shows no value");
    take_wiped();
    drop(held);
    assert_eq!(take_wiped(), [json!({"version": {"secret_string": ""}})]);
    // Evicted with no reader holding it: wiped at once.
    let Lookup::Fetch(flight) = state.get("d", Target::Version("v1"), secs(9.0)) else { panic!() };
    state.receive(flight, Ok(json!({"version": {"secret_string": "value of d"}})), secs(9.0));
    assert_eq!(take_wiped(), [json!({"version": {"secret_string": ""}})], "a (least recently used) evicted");
}

#[test]
fn versions_per_secret_are_bounded_but_pointed_ones_kept() {
    let mut service = Service::new();
    let mut state = cache(CacheConfig::default());
    current(&mut state, &mut service, secs(0.0)).unwrap();
    for n in 2..=20 {
        let id = format!("v{n}");
        service.put(&id, "x", &[]);
        read(&mut state, &mut service, Target::Version(&id), secs(0.0)).unwrap();
    }
    let entry = state.entries.get("db").unwrap();
    assert_eq!(entry.versions.len(), MAX_VERSIONS);
    assert!(entry.versions.get("v1").is_some(), "SYSCURRENT's version is kept");
}

#[test]
fn settings_are_checked() {
    assert!(CacheState::new(CacheConfig { ttl: Duration::ZERO, ..CacheConfig::default() }, 0).is_err());
    let err = CacheState::new(CacheConfig { max_entries: 0, ..CacheConfig::default() }, 0).unwrap_err();
    assert!(matches!(err, Error::Validation { ref field, .. } if field == "max_entries"));
}
