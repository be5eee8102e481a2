//! The secret cache through the `reqwest` transport, against the emulator: the scenario
//! every language runs (hits send nothing, concurrent cold reads share a request, a new
//! version after the TTL, the last value through an outage, a deleted secret raised,
//! `refresh`), counted with the emulator's `/_emulator/counts`.
#![cfg(feature = "reqwest")]

use csms_core::cache::{CacheConfig, Change};
use csms_core::{AccessKey, Client, Config, Error, HttpClient, SecretCache};
use csms_emulator::{Emulator, EmulatorConfig, FaultSpec, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn http(emulator: &Emulator) -> HttpClient {
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, AccessKey::new(DEFAULT_AK, DEFAULT_SK));
    HttpClient::new(Client::new(config.unwrap()).unwrap()).unwrap()
}

/// Requests the emulator received for the cache's two operations.
async fn sent(emulator: &Emulator) -> u64 {
    let url = format!("{}/_emulator/counts", emulator.endpoint());
    let counts: Value = serde_json::from_slice(&reqwest::get(url).await.unwrap().bytes().await.unwrap()).unwrap();
    let ops = &counts["operations"];
    ops["ShowSecretStage"].as_u64().unwrap_or(0) + ops["ShowSecretVersion"].as_u64().unwrap_or(0)
}

fn value(version: &csms_core::cache::CachedVersion) -> String {
    version.secret_string().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_scenario() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let csms = http(&emulator);
    csms.call("CreateSecret", &json!({"name": "db", "secret_string": "one"})).await.unwrap();
    let ttl = Duration::from_millis(600);
    let cache = Arc::new(SecretCache::new(csms.clone(), CacheConfig { ttl, ..CacheConfig::default() }).unwrap());
    let changes: Arc<Mutex<Vec<Change>>> = Arc::default();
    let seen = changes.clone();
    cache.on_change(move |change| seen.lock().unwrap().push(change.clone()));

    // 32 concurrent cold reads: one stage request and one value request.
    let reads: Vec<_> = (0..32)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.get("db").await })
        })
        .collect();
    for read in reads {
        assert_eq!(value(&read.await.unwrap().unwrap()), "one");
    }
    assert!(sent(&emulator).await <= 2, "{} requests for 32 cold reads", sent(&emulator).await);
    let before = sent(&emulator).await;
    for _ in 0..100 {
        cache.get("db").await.unwrap();
    }
    assert_eq!(sent(&emulator).await, before, "hits send nothing");

    // A new version: served once the TTL is over.
    csms.call("CreateSecretVersion", &json!({"secret_name": "db", "secret_string": "two"})).await.unwrap();
    tokio::time::sleep(ttl).await;
    assert_eq!(value(&cache.get("db").await.unwrap()), "two");
    assert_eq!(changes.lock().unwrap().len(), 1, "the listener heard of the move");
    assert_eq!(changes.lock().unwrap()[0].stage, "SYSCURRENT");

    // The service down: the last value is served.
    emulator.set_faults(Some("503=100%".parse::<FaultSpec>().unwrap()));
    tokio::time::sleep(ttl).await;
    assert_eq!(value(&cache.get("db").await.unwrap()), "two");
    emulator.set_faults(None);

    // `refresh` makes the next read current, within the TTL.
    csms.call("CreateSecretVersion", &json!({"secret_name": "db", "secret_string": "three"})).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the back-off of the outage
    assert_eq!(value(&cache.refresh("db").await.unwrap()), "three");
    assert_eq!(value(&cache.get("db").await.unwrap()), "three");

    // Both sides of a rotation for a verifier.
    let accepted: Vec<String> = cache.accepted("db").await.unwrap().iter().map(|v| value(v)).collect();
    assert_eq!(accepted, ["three", "two"]);

    // A deleted secret: raised after the TTL, never hidden.
    csms.call("DeleteSecret", &json!({"secret_name": "db"})).await.unwrap();
    tokio::time::sleep(ttl).await;
    let err = cache.get("db").await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 404, .. }), "{err}");
}

#[tokio::test]
async fn a_cancelled_read_does_not_cancel_the_others() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let csms = http(&emulator);
    csms.call("CreateSecret", &json!({"name": "db", "secret_string": "one"})).await.unwrap();
    let cache = Arc::new(SecretCache::new(csms, CacheConfig::default()).unwrap());
    let first = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.get("db").await })
    };
    tokio::task::yield_now().await;
    let second = {
        let cache = cache.clone();
        tokio::spawn(async move { cache.get("db").await })
    };
    first.abort();
    assert_eq!(value(&second.await.unwrap().unwrap()), "one");
}
