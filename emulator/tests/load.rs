//! Load: 8 client threads × 500 mixed requests over loopback keep-alive connections, then
//! every acknowledged version must exist, once; and the same with a data file, across a
//! stop and a start.

mod common;

use common::Api;
use csms_core::Algorithm;
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

const THREADS: usize = 8;
const REQUESTS: usize = 500;
const SHARED: &str = "load-shared";

/// Acknowledged version ids, by secret name.
type Acknowledged = BTreeMap<String, BTreeSet<String>>;

fn api(endpoint: &str) -> Api {
    Api::signed(endpoint, DEFAULT_PROJECT_ID, DEFAULT_AK, DEFAULT_SK, Algorithm::HmacSha256)
}

fn run_load(endpoint: &str) -> Acknowledged {
    let mut setup = api(endpoint);
    let mut acknowledged = Acknowledged::new();
    for name in (0..THREADS).map(|t| format!("load-{t}")).chain([SHARED.to_owned()]) {
        setup.ok("CreateSecret", json!({"name": name, "secret_string": "initial"}));
        acknowledged.entry(name).or_default().insert("v1".to_owned());
    }
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let endpoint = endpoint.to_owned();
            std::thread::spawn(move || {
                let mut api = api(&endpoint);
                let own = format!("load-{t}");
                let mut created: Vec<(String, String)> = Vec::new();
                for i in 0..REQUESTS {
                    let name = if i % 2 == 0 { own.as_str() } else { SHARED };
                    match i % 5 {
                        0 => {
                            let value = format!("value {t}/{i}");
                            let out =
                                api.ok("CreateSecretVersion", json!({"secret_name": name, "secret_string": value}));
                            let id = out["version_metadata"]["id"].as_str().expect("a version id").to_owned();
                            created.push((name.to_owned(), id));
                        }
                        1 => {
                            let out = api.ok("ShowSecretVersion", json!({"secret_name": name, "version_id": "latest"}));
                            assert!(out["version"]["secret_string"].is_string());
                        }
                        2 => {
                            let out = api.ok("ListSecretVersions", json!({"secret_name": name, "limit": 5}));
                            assert!(!out["version_metadatas"].as_array().unwrap().is_empty());
                        }
                        3 => {
                            let out = api
                                .ok("UpdateSecret", json!({"secret_name": name, "description": format!("t{t} i{i}")}));
                            assert_eq!(out["secret"]["name"], name);
                        }
                        _ => {
                            let out = api.ok("ShowSecret", json!({"secret_name": name}));
                            assert_eq!(out["secret"]["state"], "ENABLED");
                        }
                    }
                }
                created
            })
        })
        .collect();
    for thread in threads {
        for (name, id) in thread.join().expect("a client thread failed") {
            assert!(acknowledged.entry(name.clone()).or_default().insert(id.clone()), "{name} {id} acknowledged twice");
        }
    }
    acknowledged
}

/// Every acknowledged version is listed by the emulator (paging through), and nothing else.
fn check_versions(endpoint: &str, acknowledged: &Acknowledged) {
    let mut api = api(endpoint);
    for (name, ids) in acknowledged {
        let mut listed = BTreeSet::new();
        let mut marker: Option<String> = None;
        loop {
            let mut input = json!({"secret_name": name, "limit": 100});
            if let Some(m) = &marker {
                input["marker"] = json!(m);
            }
            let page = api.ok("ListSecretVersions", input);
            for v in page["version_metadatas"].as_array().unwrap() {
                assert!(listed.insert(v["id"].as_str().unwrap().to_owned()), "{name}: a version listed twice");
            }
            match page["page_info"]["next_marker"].as_str() {
                Some(next) => marker = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(&listed, ids, "versions of {name}");
        let latest = api.ok("ShowSecretVersion", json!({"secret_name": name, "version_id": "latest"}));
        assert_eq!(latest["version"]["version_metadata"]["version_stages"], json!(["SYSCURRENT"]));
    }
}

fn check_counts(emulator: &Emulator, acknowledged: &Acknowledged) {
    for (name, ids) in acknowledged {
        let counts = emulator.applied_counts(DEFAULT_PROJECT_ID, name).expect("the secret exists");
        assert_eq!(counts.create_secret_version as usize, ids.len() - 1, "CreateSecretVersion applied to {name}");
        assert_eq!(counts.rotate_secret, 0);
    }
}

#[test]
fn concurrent_clients_in_memory() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let started = Instant::now();
    let acknowledged = run_load(&emulator.endpoint());
    eprintln!("in memory: {} requests in {:?}", THREADS * REQUESTS, started.elapsed());
    assert_eq!(acknowledged.values().map(BTreeSet::len).sum::<usize>(), THREADS + 1 + THREADS * REQUESTS / 5);
    check_versions(&emulator.endpoint(), &acknowledged);
    check_counts(&emulator, &acknowledged);
}

#[test]
fn concurrent_clients_with_a_data_file_survive_a_restart() {
    let dir = std::env::temp_dir().join(format!(
        "csms-emulator-load-{}-{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let data = dir.join("state.json");

    let emulator = Emulator::start(EmulatorConfig::default().with_data_file(&data)).unwrap();
    let started = Instant::now();
    let acknowledged = run_load(&emulator.endpoint());
    eprintln!("with --data: {} requests in {:?}", THREADS * REQUESTS, started.elapsed());
    emulator.stop();

    let emulator = Emulator::start(EmulatorConfig::default().with_data_file(&data)).unwrap();
    check_versions(&emulator.endpoint(), &acknowledged);
    check_counts(&emulator, &acknowledged);
    emulator.stop();

    // Only the data file is left: temporary files were renamed into place.
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, [std::ffi::OsString::from("state.json")]);
    std::fs::remove_dir_all(&dir).unwrap();
}
