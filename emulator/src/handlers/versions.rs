//! Versions, stages and rotation.

use super::{limit, page, to_json, Ctx, Reply};
use crate::base64;
use crate::errors::{codes, ApiError, ApiResult};
use crate::handlers::secrets::period_ms;
use crate::state::{SecretRecord, SecretValue, VersionRecord, SYSCURRENT, SYSPREVIOUS};
use csms_core::{SecretString, SecretTask, Stage, Version};
use serde_json::{json, Value};

/// Characters of the values RotateSecret generates.
const ROTATION_ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-=?@^_";

fn no_version(secret: &str, version: &str) -> ApiError {
    ApiError::not_found(format!("secret `{secret}` has no version `{version}`"))
}

fn version_of<'s>(secret: &'s SecretRecord, id: &str) -> ApiResult<&'s VersionRecord> {
    secret.version(id).ok_or_else(|| no_version(&secret.name, id))
}

/// CreateSecretVersion: a new version with SYSCURRENT (the previous SYSCURRENT version
/// gets SYSPREVIOUS), or with the given `version_stages`, which move to it.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let input = ctx.input.clone();
    let value = super::secret_value(&input)?;
    let mut stages = input.strings("version_stages");
    if let Some(list) = &mut stages {
        for (i, stage) in list.iter().enumerate() {
            if stage.is_empty() || stage.len() > 64 {
                return Err(ApiError::invalid_field(&format!("version_stages[{i}]"), "must be 1 to 64 bytes long"));
            }
        }
        list.dedup();
    }
    let now = ctx.now;
    let name = input.req("secret_name").to_owned();
    let secret = ctx.usable_secret_mut(&name)?;
    let id = secret.add_version(value, stages.as_deref(), input.i64("expire_time"), now);
    secret.applied.create_secret_version += 1;
    let metadata = version_of(secret, &id).map(|v| secret.metadata(v))?;
    ctx.project.notify(&name, "SECRET_VERSION_CREATED", now);
    Reply::changed(json!({"version_metadata": to_json(&metadata)}))
}

/// ShowSecretVersion: a version with its value; `latest` is the newest version.
pub(crate) fn show(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let secret = ctx.usable_secret(ctx.input.req("secret_name"))?;
    let version = version_of(secret, ctx.input.req("version_id"))?;
    let model = Version {
        version_metadata: Some(secret.metadata(version)),
        secret_string: version.secret_string.as_deref().map(SecretString::from),
        secret_binary: version.secret_binary.as_deref().map(SecretString::from),
    };
    Reply::read(json!({"version": to_json(&model)}))
}

/// ListSecretVersions: oldest first; `marker` is the version id to start after.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let limit = limit(&ctx.input, "limit", 50, 1000)?;
    let secret = ctx.usable_secret(ctx.input.req("secret_name"))?;
    let start = match ctx.input.str("marker") {
        None => 0,
        Some(marker) => match secret.versions.iter().position(|v| v.id == marker) {
            Some(i) => i + 1,
            None => {
                let n = version_number(marker)
                    .ok_or_else(|| ApiError::invalid_field("marker", format!("`{marker}` is not a version id")))?;
                secret
                    .versions
                    .iter()
                    .position(|v| version_number(&v.id).unwrap_or(0) > n)
                    .unwrap_or(secret.versions.len())
            }
        },
    };
    let (items, info) = page(&secret.versions, start, limit, |v| v.id.clone());
    let metadatas: Vec<Value> = items.iter().map(|v| to_json(&secret.metadata(v))).collect();
    Reply::read(json!({"version_metadatas": metadatas, "page_info": info}))
}

fn version_number(id: &str) -> Option<u64> {
    id.strip_prefix('v')?.parse().ok()
}

/// UpdateVersion: changes a version's expiry time.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let input = ctx.input.clone();
    let secret = ctx.usable_secret_mut(input.req("secret_name"))?;
    let id = version_of(secret, input.req("version_id"))?.id.clone();
    if let Some(version) = secret.versions.iter_mut().find(|v| v.id == id) {
        version.expire_time = input.i64("expire_time");
    }
    let metadata = version_of(secret, &id).map(|v| secret.metadata(v))?;
    Reply::changed(json!({"version_metadata": to_json(&metadata)}))
}

fn stage_json(secret: &SecretRecord, stage: &str) -> Option<Value> {
    secret.stages.get(stage).map(|s| {
        to_json(&Stage {
            name: Some(stage.to_owned()),
            update_time: Some(s.update_time),
            secret_name: Some(secret.name.clone()),
            version_id: Some(s.version_id.clone()),
        })
    })
}

/// ShowSecretStage.
pub(crate) fn show_stage(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let secret = ctx.usable_secret(ctx.input.req("secret_name"))?;
    let stage = ctx.input.req("stage_name");
    let body = stage_json(secret, stage)
        .ok_or_else(|| ApiError::not_found(format!("secret `{}` has no stage `{stage}`", secret.name)))?;
    Reply::read(json!({"stage": body}))
}

/// UpdateSecretStage: puts the stage on `version_id` (moving SYSCURRENT pushes the
/// version that had it to SYSPREVIOUS).
pub(crate) fn update_stage(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let input = ctx.input.clone();
    let now = ctx.now;
    let secret = ctx.usable_secret_mut(input.req("secret_name"))?;
    let stage = input.req("stage_name");
    let id = version_of(secret, input.req("version_id"))?.id.clone();
    secret.move_stage(stage, &id, now);
    secret.update_time = now;
    let body = stage_json(secret, stage).unwrap_or(Value::Null);
    Reply::changed(json!({"stage": body}))
}

/// DeleteSecretStage: removes a custom stage; SYSCURRENT and SYSPREVIOUS stay.
pub(crate) fn delete_stage(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let input = ctx.input.clone();
    let now = ctx.now;
    let secret = ctx.usable_secret_mut(input.req("secret_name"))?;
    let stage = input.req("stage_name");
    if stage == SYSCURRENT || stage == SYSPREVIOUS {
        return Err(ApiError::new(
            400,
            codes::SYSTEM_STAGE,
            format!("Can not delete the system internal stage: {stage} cannot be deleted"),
        ));
    }
    if secret.stages.remove(stage).is_none() {
        return Err(ApiError::not_found(format!("secret `{}` has no stage `{stage}`", secret.name)));
    }
    secret.update_time = now;
    Reply::no_content()
}

/// RotateSecret: refused for COMMON secrets (400, as the service does); for database
/// secrets, a new SYSCURRENT version with a new random password, and a rotation task.
pub(crate) fn rotate(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let now = ctx.now;
    let name = ctx.input.req("secret_name").to_owned();
    let rng = ctx.rng;
    let task_id = rng.uuid();
    let secret = ctx.usable_secret_mut(&name)?;
    if secret.secret_type == "COMMON" {
        return Err(ApiError::invalid(format!(
            "The value of parameter is invalid: RotateSecret does not rotate COMMON secrets; `{name}` is COMMON \
             (only RDS, RDS-FG and GaussDB-FG secrets rotate; create a new version instead)"
        )));
    }
    let alphabet: Vec<char> = ROTATION_ALPHABET.chars().collect();
    let current = secret.stages.get(SYSCURRENT).and_then(|s| secret.version(&s.version_id)).cloned();
    let value = match current {
        Some(VersionRecord { secret_binary: Some(_), .. }) => {
            let bytes: Vec<u8> = (0..32).map(|_| rng.next_u64() as u8).collect();
            SecretValue::Binary(base64::encode(&bytes))
        }
        Some(VersionRecord { secret_string: Some(text), .. }) => {
            match serde_json::from_str::<Value>(&text) {
                // Database secrets hold {"username": ..., "password": ...}: change the password.
                Ok(Value::Object(mut fields)) if fields.get("password").is_some_and(Value::is_string) => {
                    fields.insert("password".into(), Value::String(rng.string_from(&alphabet, 16)));
                    SecretValue::Text(Value::Object(fields).to_string())
                }
                _ => SecretValue::Text(rng.string_from(&alphabet, 32)),
            }
        }
        _ => SecretValue::Text(rng.string_from(&alphabet, 32)),
    };
    let version_id = secret.add_version(value, None, None, now);
    secret.rotation_time = Some(now);
    if secret.auto_rotation {
        secret.next_rotation_time =
            secret.rotation_period.as_deref().and_then(period_ms).map(|p| now.saturating_add(p));
    }
    secret.applied.rotate_secret += 1;
    let task = SecretTask {
        task_id: Some(task_id.clone()),
        secret_name: Some(name.clone()),
        rotation_func_urn: secret.rotation_func_urn.clone(),
        task_status: Some("SUCCESS".to_owned()),
        operate_type: Some("MANUAL_ROTATION".to_owned()),
        task_time: Some(now),
        attempt_nums: Some(1),
        task_error_code: None,
        task_error_msg: None,
    };
    ctx.project.add_task(task);
    ctx.project.notify(&name, "SECRET_ROTATED", now);
    Reply::changed(json!({"version_id": version_id, "secret_name": name, "rotation_task_id": task_id}))
}
