//! The CSMS rotation guide's flow, done with one call: an application reads its password
//! through a cache, the secret is rotated (a new value stored as `SYSPENDING`, applied to
//! the target, tested, then made `SYSCURRENT`), and the application reads the new value.
//!
//! ```sh
//! cargo run -p csms-core --features reqwest --example rotate_secret
//! ```
//!
//! Without `HUAWEICLOUD_SDK_AK` in the environment it starts the CSMS emulator in-process
//! and runs against it. With the official SDKs' variables (`HUAWEICLOUD_SDK_AK`,
//! `HUAWEICLOUD_SDK_SK`, `HUAWEICLOUD_SDK_PROJECT_ID`, and `CSMS_ENDPOINT` or
//! `HUAWEICLOUD_SDK_REGION`) it runs against the real service, on the secret
//! `CSMS_SECRET_NAME` (default `csms-sdk-demo`).

use csms_core::cache::CacheConfig;
use csms_core::rotation::Strategy;
use csms_core::{
    AccessKey, Client, Config, CreateSecretRequest, Error, HookFuture, HttpClient, RotationHooks, SecretCache,
    SecretString,
};
use std::sync::Mutex;

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// The target the secret opens: here a stand-in that remembers the password it accepts.
/// A real one runs `ALTER USER ... PASSWORD ...` (idempotent: a second run may apply the
/// same value again) and tests a login.
struct Database {
    password: Mutex<String>,
}

impl RotationHooks for Database {
    fn apply<'a>(&'a self, new: &'a SecretString, _previous: &'a SecretString) -> HookFuture<'a, ()> {
        Box::pin(async move {
            *self.password.lock().unwrap() = new.expose().to_owned();
            Ok(())
        })
    }

    fn tests(&self) -> bool {
        true
    }

    fn test<'a>(&'a self, new: &'a SecretString) -> HookFuture<'a, bool> {
        Box::pin(async move { Ok(*self.password.lock().unwrap() == new.expose()) })
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> AnyResult<()> {
    let mut emulator = None;
    let csms = if std::env::var_os("HUAWEICLOUD_SDK_AK").is_some() {
        HttpClient::from_env().await?
    } else {
        let local = csms_emulator::Emulator::start(csms_emulator::EmulatorConfig::default())?;
        println!("no HUAWEICLOUD_SDK_AK in the environment: using the embedded emulator at {}", local.endpoint());
        let key = AccessKey::new(csms_emulator::DEFAULT_AK, csms_emulator::DEFAULT_SK);
        let config = Config::for_endpoint(&local.endpoint(), csms_emulator::DEFAULT_PROJECT_ID, key)?;
        emulator = Some(local);
        HttpClient::new(Client::new(config)?)?
    };
    println!("endpoint: {}", csms.client().config().endpoint);
    let name = std::env::var("CSMS_SECRET_NAME").unwrap_or_else(|_| "csms-sdk-demo".to_owned());

    // 1. The secret exists, or is made with a first value.
    let first = r#"{"username": "app", "password": "first-password"}"#;
    match csms.call("ShowSecret", &serde_json::json!({"secret_name": name})).await {
        Ok(_) => println!("1. secret {name} exists"),
        Err(Error::Api { status: 404, .. }) => {
            let input = CreateSecretRequest {
                name: name.clone(),
                secret_string: Some(SecretString::from(first)),
                ..Default::default()
            };
            csms.execute(&input).await?;
            println!("1. created secret {name}");
        }
        Err(e) => return Err(e.into()),
    }

    // 2. The application reads its password through a cache (SYSCURRENT, never `latest`).
    let cache = SecretCache::new(csms.clone(), CacheConfig::default())?;
    cache.on_change(|c| println!("   cache: {} {} moved from {:?} to {:?}", c.secret_name, c.stage, c.from, c.to));
    let before = cache.get(&name).await?;
    println!("2. the application reads version {}", before.id());
    let database = Database { password: Mutex::new(before.secret_string().unwrap_or_default().to_owned()) };

    // 3. Rotation, one call: stored as SYSPENDING first, applied, tested, then SYSCURRENT.
    let rotated = csms.rotate(&name, Strategy::SingleUser, &database).await?;
    println!(
        "3. rotated: version {} is current, {:?} previous (steps {:?}, resumed: {})",
        rotated.version_id, rotated.previous_version_id, rotated.steps, rotated.resumed
    );

    // 4. The application learns at once when it asks (its login failed, say), else after the TTL.
    let after = cache.refresh(&name).await?;
    let same = after.secret_string() == Some(database.password.lock().unwrap().as_str());
    println!("4. the application reads version {}: the database accepts it: {same}", after.id());
    if !same {
        return Err("the current value is not what the database accepts".into());
    }
    let accepted: Vec<String> = cache.accepted(&name).await?.iter().map(|v| v.id().to_owned()).collect();
    println!("   versions a verifier accepts during the switch: {accepted:?}");

    // 5. A database secret CSMS rotates itself: the same call runs RotateSecret and waits.
    if emulator.is_some() {
        let db = format!("{name}-rds");
        let input = serde_json::json!({"name": db, "secret_type": "RDS-FG", "secret_string": first,
            "rotation_config": "{\"InstanceId\":\"i1\",\"SecretSubType\":\"SingleUser\"}"});
        csms.call("CreateSecret", &input).await?;
        let rotated = csms.rotate(&db, Strategy::SingleUser, &database).await?;
        println!("5. {db} rotated by CSMS: version {} (steps {:?})", rotated.version_id, rotated.steps);
    }
    println!("done");
    Ok(())
}
