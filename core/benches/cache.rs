//! The secret cache: a hit, in the sans-IO state and through the `reqwest` driver, beside a
//! plain `ShowSecretVersion` per read (to the emulator on loopback). Run with
//! `cargo bench -p csms-core --features reqwest --bench cache`.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use csms_core::cache::{CacheConfig, CacheState, Lookup, Progress, Target, CURRENT};
use csms_core::{AccessKey, Client, Config, HttpClient, SecretCache};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::json;
use std::time::{Duration, Instant};

fn benches(c: &mut Criterion) {
    // The state machine alone, a warm entry.
    let mut state = CacheState::new(CacheConfig::default(), 1).unwrap();
    let Lookup::Fetch(flight) = state.get("db-password", Target::Stage(CURRENT), Duration::ZERO) else { panic!() };
    let stage = json!({"stage": {"version_id": "v1"}});
    let Progress::Call(flight) = state.receive(flight, Ok(stage), Duration::ZERO) else { panic!() };
    state.receive(flight, Ok(json!({"version": {"secret_string": "s3cr3t"}})), Duration::ZERO);
    c.bench_function("cache hit (CacheState::get)", |b| {
        b.iter(|| black_box(state.get(black_box("db-password"), Target::Stage(CURRENT), Duration::from_secs(1))))
    });

    // Through the driver, and the uncached read it saves, against the emulator.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, AccessKey::new(DEFAULT_AK, DEFAULT_SK));
    let http = HttpClient::new(Client::new(config.unwrap()).unwrap()).unwrap();
    let input = json!({"name": "db-password", "secret_string": "s3cr3t"});
    runtime.block_on(http.call("CreateSecret", &input)).unwrap();
    let cache = SecretCache::new(http.clone(), CacheConfig::default()).unwrap();
    runtime.block_on(cache.get("db-password")).unwrap();
    c.bench_function("cache hit (SecretCache::get)", |b| {
        b.iter_custom(|iterations| {
            runtime.block_on(async {
                let started = Instant::now();
                for _ in 0..iterations {
                    black_box(cache.get(black_box("db-password")).await.unwrap());
                }
                started.elapsed()
            })
        })
    });
    let read = json!({"secret_name": "db-password", "version_id": "latest"});
    c.bench_function("no cache (ShowSecretVersion per read, loopback)", |b| {
        b.iter(|| runtime.block_on(http.call("ShowSecretVersion", &read)).unwrap())
    });
}

criterion_group!(cache_benches, benches);
criterion_main!(cache_benches);
