//! Credential providers through the `reqwest` transport, against the emulator: temporary
//! keys from its metadata endpoints refreshed ahead of expiry, a refresh-and-retry after an
//! expired-token 401, single flight, providers that fail, the environment and the chain.
//! Every metadata provider here points at the emulator (loopback); the process has
//! `CSMS_TEST_NO_METADATA=1` (`.cargo/config.toml`), so a forgotten override fails at once.
#![cfg(feature = "reqwest")]

use csms_core::provider::Provided;
use csms_core::{
    AccessKey, ChainCredentials, Client, Config, CredentialProvider, Error, FnCredentials, HttpClient,
    ListSecretsRequest, MetadataCredentials, ProviderFuture,
};
use csms_emulator::{Emulator, EmulatorConfig, DEFAULT_AK, DEFAULT_PROJECT_ID, DEFAULT_SK};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A transport for the emulator whose credentials come from `provider`.
fn client(emulator: &Emulator, provider: impl CredentialProvider + 'static) -> HttpClient {
    // The client's own key is never used: the provider's signs every attempt.
    let unused = AccessKey::new("UNUSED", "UNUSED");
    let config = Config::for_endpoint(&emulator.endpoint(), DEFAULT_PROJECT_ID, unused).unwrap();
    HttpClient::new(Client::new(config).unwrap()).unwrap().with_provider(provider)
}

async fn operations(emulator: &Emulator) -> Value {
    let url = format!("{}/_emulator/counts", emulator.endpoint());
    let body = reqwest::get(url).await.unwrap().bytes().await.unwrap();
    let counts: Value = serde_json::from_slice(&body).unwrap();
    counts["operations"].clone()
}

fn count(operations: &Value, name: &str) -> u64 {
    operations[name].as_u64().unwrap_or(0)
}

fn lookup(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + Clone + 'static {
    let map: Arc<HashMap<String, String>> =
        Arc::new(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
    move |name: &str| map.get(name).cloned()
}

fn list() -> ListSecretsRequest {
    ListSecretsRequest::default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_that_live_four_seconds_are_refreshed_ahead_and_no_call_fails() {
    let emulator = Emulator::start(EmulatorConfig::default().with_metadata(Duration::from_secs(4))).unwrap();
    let csms = client(&emulator, MetadataCredentials::with_endpoint(emulator.endpoint()));
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(13) {
        if let Err(e) = csms.execute(&list()).await {
            panic!("call {calls} at {:?} failed: {e}", started.elapsed());
        }
        calls += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let ops = operations(&emulator).await;
    let fetches = count(&ops, "MetadataSecurityKey");
    eprintln!("{calls} calls over 13 s, {fetches} key fetches");
    // Refreshed at half of the 4-second lifetime: about 7 fetches for about 60 calls.
    assert!((3..=14).contains(&fetches), "{fetches} fetches for {calls} calls");
    assert!(calls >= 40, "{calls} calls");
    assert_eq!(count(&ops, "ListSecrets"), calls, "no call was refused and retried");
    // The session token is fetched once and kept.
    assert_eq!(count(&ops, "MetadataToken"), 1);
}

#[tokio::test]
async fn an_expired_token_refusal_refreshes_once_and_retries() {
    let emulator = Emulator::start(EmulatorConfig::default().with_metadata(Duration::from_secs(60))).unwrap();
    let csms = client(&emulator, MetadataCredentials::with_endpoint(emulator.endpoint()));
    csms.execute(&list()).await.unwrap();
    // The server's clock jumps past the key's expiry; the client still thinks it fresh.
    emulator.set_clock_offset_ms(61_000);
    csms.execute(&list()).await.unwrap();
    let ops = operations(&emulator).await;
    assert_eq!(count(&ops, "MetadataSecurityKey"), 2);
    assert_eq!(count(&ops, "ListSecrets"), 3, "the refused attempt and its retry");
}

/// A provider that takes a while and counts its fetches.
#[derive(Debug, Default)]
struct Slow {
    fetches: AtomicUsize,
}

impl CredentialProvider for Slow {
    fn name(&self) -> &str {
        "slow"
    }

    fn fetch(&self) -> ProviderFuture<'_> {
        Box::pin(async move {
            self.fetches.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(300)).await;
            Ok(Provided::new(AccessKey::new(DEFAULT_AK, DEFAULT_SK)))
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_wait_for_one_fetch() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let slow = Arc::new(Slow::default());
    #[derive(Debug)]
    struct Shared(Arc<Slow>);
    impl CredentialProvider for Shared {
        fn name(&self) -> &str {
            self.0.name()
        }
        fn fetch(&self) -> ProviderFuture<'_> {
            self.0.fetch()
        }
    }
    let csms = client(&emulator, Shared(slow.clone()));
    let calls: Vec<_> = (0..16)
        .map(|_| {
            let csms = csms.clone();
            tokio::spawn(async move { csms.execute(&list()).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    assert_eq!(slow.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_provider_that_fails_or_gives_nonsense_is_named_and_nothing_is_sent() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let failing = FnCredentials::new("vault", || Err(Error::transport("vault sealed", false)));
    let panicking = FnCredentials::new("vault", || panic!("bug in the application"));
    let nonsense = FnCredentials::new("vault", || Ok(Provided::new(AccessKey::new("A K\nX", "sk-secret-value"))));
    let empty_sk = FnCredentials::new("vault", || Ok(Provided::new(AccessKey::new("AK", ""))));
    for (provider, says) in
        [(failing, "vault sealed"), (panicking, "panicked"), (nonsense, "credentials.ak"), (empty_sk, "credentials.sk")]
    {
        match client(&emulator, provider).execute(&list()).await {
            Err(Error::Credentials { provider, reason }) => {
                assert_eq!(provider, "vault");
                assert!(reason.contains(says) && !reason.contains("sk-secret-value"), "{reason}");
            }
            other => panic!("expected a credentials error, got {other:?}"),
        }
    }
    // The emulator serves no metadata: the provider says what it got.
    let metadata = MetadataCredentials::with_endpoint(emulator.endpoint());
    match client(&emulator, metadata).execute(&list()).await {
        Err(Error::Credentials { provider, reason }) => {
            assert_eq!(provider, "metadata");
            assert!(reason.contains("status 404"), "{reason}");
        }
        other => panic!("expected a credentials error, got {other:?}"),
    }
    let ops = operations(&emulator).await;
    assert_eq!(count(&ops, "ListSecrets"), 0, "{ops}");
}

#[tokio::test]
async fn from_env_reads_the_official_variables() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let endpoint = emulator.endpoint();
    let env = lookup(&[
        ("CSMS_ENDPOINT", &endpoint),
        ("HUAWEICLOUD_SDK_AK", DEFAULT_AK),
        ("HUAWEICLOUD_SDK_SK", DEFAULT_SK),
        ("HUAWEICLOUD_SDK_PROJECT_ID", DEFAULT_PROJECT_ID),
    ]);
    let csms = HttpClient::from_lookup(None, env).await.unwrap();
    csms.execute(&list()).await.unwrap();
    assert_eq!(csms.client().config().project_id, DEFAULT_PROJECT_ID);

    let no_project =
        lookup(&[("CSMS_ENDPOINT", &endpoint), ("HUAWEICLOUD_SDK_AK", DEFAULT_AK), ("HUAWEICLOUD_SDK_SK", DEFAULT_SK)]);
    match HttpClient::from_lookup(None, no_project).await {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "HUAWEICLOUD_SDK_PROJECT_ID"),
        other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
    }
    match HttpClient::from_lookup(None, lookup(&[])).await {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "CSMS_ENDPOINT"),
        other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn the_chains_error_says_why_each_provider_did_not_apply() {
    let emulator = Emulator::start(EmulatorConfig::default()).unwrap();
    let endpoint = emulator.endpoint();
    let env = [
        ("CSMS_ENDPOINT", endpoint.as_str()),
        ("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/csms-test/credentials"),
        ("CSMS_METADATA_ENDPOINT", endpoint.as_str()),
    ];
    // Half an access key in the environment: the missing half named, the chain stops there.
    let half: Vec<_> = env.iter().copied().chain([("HUAWEICLOUD_SDK_AK", DEFAULT_AK)]).collect();
    match HttpClient::from_lookup(None, lookup(&half)).await {
        Err(Error::Validation { field, .. }) => assert_eq!(field, "HUAWEICLOUD_SDK_SK"),
        other => panic!("expected a validation error, got {:?}", other.map(|_| ())),
    }
    let message = match HttpClient::from_lookup(None, lookup(&env)).await {
        Err(e @ Error::Credentials { .. }) => e.to_string(),
        other => panic!("expected a credentials error, got {:?}", other.map(|_| ())),
    };
    for part in [
        "default chain",
        "environment: invalid `HUAWEICLOUD_SDK_AK`: is not set",
        "profile: no credentials from the profile provider: /nonexistent/csms-test/credentials: does not exist",
        "metadata: no credentials from the metadata provider: the security key request got status 404",
    ] {
        assert!(message.contains(part), "{part:?} not in {message}");
    }
}

#[tokio::test]
async fn the_chain_refuses_the_real_metadata_address_under_tests() {
    assert_eq!(
        std::env::var("CSMS_TEST_NO_METADATA").as_deref(),
        Ok("1"),
        "run the tests through cargo: .cargo/config.toml sets CSMS_TEST_NO_METADATA=1"
    );
    // No CSMS_METADATA_ENDPOINT in this lookup: the default address, which is refused.
    let chain = ChainCredentials::with_lookup(lookup(&[("HUAWEICLOUD_SDK_CREDENTIALS_FILE", "/nonexistent/c")]));
    let started = Instant::now();
    let error = chain.fetch().await.unwrap_err().to_string();
    assert!(error.contains("refusing to contact http://169.254.169.254"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1), "it failed fast");
}
