//! The single-account rotation flow of the CSMS guide: create a secret, update its
//! metadata, put a new value in a new version, read `latest` back and compare, list the
//! versions, and rotate where rotation applies.
//!
//! ```sh
//! cargo run -p csms-core --features reqwest --example rotate_secret
//! ```
//!
//! Without `HUAWEICLOUD_SDK_AK` in the environment it starts the CSMS emulator in-process
//! and runs against it. With `HUAWEICLOUD_SDK_AK`, `HUAWEICLOUD_SDK_SK`,
//! `HUAWEICLOUD_SDK_PROJECT_ID` and `CSMS_ENDPOINT` (or `HUAWEICLOUD_SDK_REGION`) it runs
//! against the real service, on the secret `CSMS_SECRET_NAME` (default `csms-sdk-demo`).

use csms_core::{
    AccessKey, Client, Config, CreateSecretRequest, CreateSecretVersionRequest, Error, HttpClient,
    ListSecretVersionsRequest, RotateSecretRequest, SecretString, ShowSecretRequest, ShowSecretVersionRequest,
    UpdateSecretRequest,
};
use std::env;
use std::time::{SystemTime, UNIX_EPOCH};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

fn config_from_env() -> AnyResult<Option<Config>> {
    let Ok(ak) = env::var("HUAWEICLOUD_SDK_AK") else { return Ok(None) };
    let sk = env::var("HUAWEICLOUD_SDK_SK").map_err(|_| "HUAWEICLOUD_SDK_SK is not set")?;
    let project_id = env::var("HUAWEICLOUD_SDK_PROJECT_ID").map_err(|_| "HUAWEICLOUD_SDK_PROJECT_ID is not set")?;
    let key = AccessKey::new(ak, sk);
    let key = match env::var("HUAWEICLOUD_SDK_SECURITY_TOKEN") {
        Ok(token) => key.with_security_token(token),
        Err(_) => key,
    };
    let config = match (env::var("CSMS_ENDPOINT"), env::var("HUAWEICLOUD_SDK_REGION")) {
        (Ok(endpoint), _) => Config::for_endpoint(&endpoint, project_id, key)?,
        (Err(_), Ok(region)) => Config::for_region(&region, project_id, key)?,
        _ => return Err("set CSMS_ENDPOINT or HUAWEICLOUD_SDK_REGION".into()),
    };
    Ok(Some(config))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> AnyResult<()> {
    let (config, _emulator) = match config_from_env()? {
        Some(config) => (config, None),
        None => {
            let emulator = csms_emulator::Emulator::start(csms_emulator::EmulatorConfig::default())?;
            println!(
                "no HUAWEICLOUD_SDK_AK in the environment: using the embedded emulator at {}",
                emulator.endpoint()
            );
            let key = AccessKey::new(csms_emulator::DEFAULT_AK, csms_emulator::DEFAULT_SK);
            let config = Config::for_endpoint(&emulator.endpoint(), csms_emulator::DEFAULT_PROJECT_ID, key)?;
            (config, Some(emulator))
        }
    };
    let on_emulator = _emulator.is_some();
    println!("endpoint: {}", config.endpoint);
    let csms = HttpClient::new(Client::new(config)?)?;
    let name = env::var("CSMS_SECRET_NAME").unwrap_or_else(|_| "csms-sdk-demo".to_owned());
    let stamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();

    // 1. The secret exists, or is created with a first value.
    match csms.execute(&ShowSecretRequest { secret_name: name.clone() }).await {
        Ok(found) => println!("1. secret {name} exists (type {:?})", found.secret.and_then(|s| s.secret_type)),
        Err(Error::Api { status: 404, .. }) => {
            let created = csms
                .execute(&CreateSecretRequest {
                    name: name.clone(),
                    secret_string: Some(SecretString::from(format!("first-value-{stamp}"))),
                    description: Some("created by the csms-core example".into()),
                    ..Default::default()
                })
                .await?;
            println!("1. created secret {name} (id {:?})", created.secret.and_then(|s| s.id));
        }
        Err(e) => return Err(e.into()),
    }

    // 2. Metadata update.
    let updated = csms
        .execute(&UpdateSecretRequest {
            secret_name: name.clone(),
            description: Some(format!("rotated by the csms-core example at {stamp}")),
            ..Default::default()
        })
        .await?;
    println!("2. updated description: {:?}", updated.secret.and_then(|s| s.description).unwrap_or_default());

    // 3. The new value goes into a new version, which takes SYSCURRENT.
    let new_value = format!("new-value-{stamp}");
    let version = csms
        .execute(&CreateSecretVersionRequest {
            secret_name: name.clone(),
            secret_string: Some(SecretString::from(new_value.clone())),
            ..Default::default()
        })
        .await?;
    let version_id = version.version_metadata.and_then(|m| m.id).unwrap_or_default();
    println!("3. created version {version_id}");

    // 4. `latest` reads it back.
    let latest = csms
        .execute(&ShowSecretVersionRequest { secret_name: name.clone(), version_id: "latest".into() })
        .await?
        .version;
    let latest = latest.ok_or("ShowSecretVersion returned no version")?;
    let value = latest.secret_string.as_ref().map(SecretString::expose).unwrap_or_default();
    if value != new_value {
        return Err("the latest version does not hold the new value".into());
    }
    let stages = latest.version_metadata.and_then(|m| m.version_stages).unwrap_or_default();
    println!("4. latest version holds the new value, stages {stages:?}");

    // 5. The versions.
    let versions = csms.execute(&ListSecretVersionsRequest { secret_name: name.clone(), ..Default::default() }).await?;
    let ids: Vec<String> = versions.version_metadatas.unwrap_or_default().into_iter().filter_map(|v| v.id).collect();
    println!("5. versions: {ids:?}");

    // 6. RotateSecret applies to database secrets only; a COMMON secret is refused.
    match csms.execute(&RotateSecretRequest { secret_name: name.clone() }).await {
        Ok(rotated) => {
            println!("6. rotated: new version {:?}, task {:?}", rotated.version_id, rotated.rotation_task_id)
        }
        Err(Error::Api { status: 400, error_code, .. }) => {
            println!("6. RotateSecret refused for this secret type, as documented ({error_code})")
        }
        Err(e) => return Err(e.into()),
    }
    if on_emulator {
        let db = format!("{name}-db");
        csms.execute(&CreateSecretRequest {
            name: db.clone(),
            secret_type: Some("RDS-FG".into()),
            secret_string: Some(SecretString::from(r#"{"username":"app","password":"first"}"#)),
            ..Default::default()
        })
        .await?;
        let rotated = csms.execute(&RotateSecretRequest { secret_name: db.clone() }).await?;
        println!(
            "   database secret {db} rotated: new version {:?}, task {:?}",
            rotated.version_id, rotated.rotation_task_id
        );
    }
    println!("done");
    Ok(())
}
