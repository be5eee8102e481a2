//! Secrets: create, show, update, list, delete (at once or scheduled), restore, backup
//! blobs and batch import.

use super::{limit, page, to_json, Ctx, Input, Reply};
use crate::base64;
use crate::errors::{codes, ApiError, ApiResult};
use crate::random::Rng;
use crate::state::{AppliedCounts, SecretRecord};
use serde_json::{json, Map, Value};

/// The prefix of the emulator's backup blobs.
const BLOB_PREFIX: &str = "CSMSEMU1.";
const DAY_MS: i64 = 86_400_000;

/// The id of the project's default KMS key (`csms/default`), stable per project.
pub(crate) fn default_kms_key(project_id: &str) -> String {
    let fnv = |seed: u64| {
        project_id
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64 ^ seed, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
    };
    let (a, b) = (fnv(1), fnv(2));
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xFFFF,
        a & 0xFFF,
        b >> 52,
        b & 0xFFFF_FFFF_FFFF
    )
}

/// The length of a rotation period (`30d`, `6h`, `360m`, `21600s`) in milliseconds.
pub(crate) fn period_ms(period: &str) -> Option<i64> {
    let (digits, unit) = period.split_at(period.len().checked_sub(1)?);
    let n: i64 = digits.parse().ok()?;
    let unit_ms = match unit {
        "d" => DAY_MS,
        "h" => 3_600_000,
        "m" => 60_000,
        "s" => 1_000,
        _ => return None,
    };
    n.checked_mul(unit_ms)
}

/// A new secret from CreateSecret members (also the entries of BatchImportSecrets).
fn build_secret(input: &Input, project_id: &str, now: i64, rng: &Rng) -> ApiResult<SecretRecord> {
    let name = input.req("name").to_owned();
    let value = super::secret_value(input)?;
    let auto_rotation = input.bool("auto_rotation").unwrap_or(false);
    let rotation_period = input.string("rotation_period");
    if auto_rotation && rotation_period.is_none() {
        return Err(ApiError::invalid_field("rotation_period", "is required when auto_rotation is true"));
    }
    let mut secret = SecretRecord {
        id: rng.uuid(),
        name,
        state: "ENABLED".to_owned(),
        kms_key_id: input.string("kms_key_id").unwrap_or_else(|| default_kms_key(project_id)),
        description: input.string("description"),
        create_time: now,
        update_time: now,
        secret_type: input.string("secret_type").unwrap_or_else(|| "COMMON".to_owned()),
        auto_rotation,
        next_rotation_time: None,
        rotation_config: input.string("rotation_config"),
        event_subscriptions: input.strings("event_subscriptions").unwrap_or_default(),
        enterprise_project_id: input.string("enterprise_project_id").unwrap_or_else(|| "0".to_owned()),
        rotation_func_urn: input.string("rotation_func_urn"),
        next_version: 1,
        ..SecretRecord::default()
    };
    if auto_rotation {
        secret.next_rotation_time = rotation_period.as_deref().and_then(period_ms).map(|p| now.saturating_add(p));
    }
    secret.rotation_period = rotation_period;
    secret.add_version(value, None, None, now);
    secret.update_time = now;
    Ok(secret)
}

fn name_taken(name: &str) -> ApiError {
    ApiError::conflict(format!("The secret name already exists: a secret named `{name}` exists in this project"))
}

/// CreateSecret: a new secret whose first version `v1` is SYSCURRENT.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.input.req("name");
    if ctx.project.secrets.contains_key(name) {
        return Err(name_taken(name));
    }
    let secret = build_secret(&ctx.input, ctx.project_id, ctx.now, ctx.rng)?;
    let body = json!({"secret": to_json(&secret.to_model())});
    let name = secret.name.clone();
    ctx.project.secrets.insert(name.clone(), secret);
    ctx.project.notify(&name, "SECRET_VERSION_CREATED", ctx.now);
    Reply::changed(body)
}

/// ShowSecret.
pub(crate) fn show(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let secret = ctx.secret(ctx.input.req("secret_name"))?;
    Reply::read(json!({"secret": to_json(&secret.to_model())}))
}

/// UpdateSecret: metadata only (key, description, rotation settings, subscriptions).
pub(crate) fn update(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let input = ctx.input.clone();
    let now = ctx.now;
    let secret = ctx.usable_secret_mut(input.req("secret_name"))?;
    let auto_rotation = input.bool("auto_rotation").unwrap_or(secret.auto_rotation);
    let period = input.string("rotation_period").or_else(|| secret.rotation_period.clone());
    if auto_rotation && period.is_none() {
        return Err(ApiError::invalid_field("rotation_period", "is required when auto_rotation is true"));
    }
    if let Some(key) = input.string("kms_key_id") {
        secret.kms_key_id = key;
    }
    if let Some(description) = input.string("description") {
        secret.description = Some(description);
    }
    if let Some(events) = input.strings("event_subscriptions") {
        secret.event_subscriptions = events;
    }
    if let Some(urn) = input.string("rotation_func_urn") {
        secret.rotation_func_urn = Some(urn);
    }
    let rotation_changed = auto_rotation != secret.auto_rotation || period != secret.rotation_period;
    secret.auto_rotation = auto_rotation;
    secret.rotation_period = period;
    if !auto_rotation {
        secret.next_rotation_time = None;
    } else if rotation_changed || secret.next_rotation_time.is_none() {
        let base = secret.rotation_time.unwrap_or(now).max(now);
        secret.next_rotation_time =
            secret.rotation_period.as_deref().and_then(period_ms).map(|p| base.saturating_add(p));
    }
    secret.update_time = now;
    Reply::changed(json!({"secret": to_json(&secret.to_model())}))
}

/// DeleteSecret: removes the secret and all its versions at once.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.input.req("secret_name").to_owned();
    ctx.secret(&name)?;
    ctx.project.notify(&name, "SECRET_DELETED", ctx.now);
    ctx.project.secrets.remove(&name);
    Reply::no_content()
}

/// ListSecrets: by name, `marker` is the name to start after; optional `event_name` filter.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let limit = limit(&ctx.input, "limit", 50, 1000)?;
    let event = ctx.input.str("event_name");
    let secrets: Vec<&SecretRecord> = ctx
        .project
        .secrets
        .values()
        .filter(|s| event.is_none_or(|e| s.event_subscriptions.iter().any(|x| x == e)))
        .collect();
    let start = match ctx.input.str("marker") {
        Some(marker) => secrets.iter().position(|s| s.name.as_str() > marker).unwrap_or(secrets.len()),
        None => 0,
    };
    let (items, info) = page(&secrets, start, limit, |s| s.name.clone());
    let secrets: Vec<Value> = items.iter().map(|s| to_json(&s.to_model())).collect();
    Reply::read(json!({"secrets": secrets, "page_info": info}))
}

/// DeleteSecretForSchedule: PENDING_DELETE until now + `recovery_window_in_days`.
pub(crate) fn schedule_delete(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let days = ctx.input.i64("recovery_window_in_days").unwrap_or(30);
    let now = ctx.now;
    let name = ctx.input.req("secret_name").to_owned();
    let secret = ctx.secret_mut(&name)?;
    if secret.pending_delete() {
        return Err(ApiError::new(
            400,
            codes::ALREADY_PENDING_DELETE,
            format!("The secret is in schedule delete state: `{name}` is already PENDING_DELETE"),
        ));
    }
    secret.state = "PENDING_DELETE".to_owned();
    secret.scheduled_delete_time = Some(now.saturating_add(days.saturating_mul(DAY_MS)));
    secret.update_time = now;
    Reply::changed(json!({"secret": to_json(&secret.to_model())}))
}

/// RestoreSecret: cancels a scheduled deletion.
pub(crate) fn restore(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let now = ctx.now;
    let name = ctx.input.req("secret_name").to_owned();
    let secret = ctx.secret_mut(&name)?;
    if !secret.pending_delete() {
        return Err(ApiError::new(
            400,
            codes::NOT_PENDING_DELETE,
            format!("The secret is not in schedule delete state: `{name}` is {}", secret.state),
        ));
    }
    secret.state = "ENABLED".to_owned();
    secret.scheduled_delete_time = None;
    secret.update_time = now;
    Reply::changed(json!({"secret": to_json(&secret.to_model())}))
}

/// DownloadSecretBlob: the secret and its versions, encoded (not encrypted) as
/// `CSMSEMU1.<base64 of JSON>`.
pub(crate) fn download_blob(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let secret = ctx.usable_secret(ctx.input.req("secret_name"))?;
    let mut copy = secret.clone();
    copy.applied = AppliedCounts::default();
    let json = serde_json::to_vec(&copy).map_err(|e| ApiError::internal(e.to_string()))?;
    Reply::read(json!({"secret_blob": format!("{BLOB_PREFIX}{}", base64::encode(&json))}))
}

/// UploadSecretBlob: recreates a secret from a blob of DownloadSecretBlob. The name must
/// be free (409 otherwise).
pub(crate) fn upload_blob(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let blob = ctx.input.req("secret_blob");
    let bad = || ApiError::invalid_field("secret_blob", "is not a backup blob made by DownloadSecretBlob");
    let encoded = blob.strip_prefix(BLOB_PREFIX).ok_or_else(bad)?;
    let bytes = base64::decode(encoded).ok_or_else(bad)?;
    let mut secret: SecretRecord = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    if secret.name.is_empty() || secret.versions.is_empty() {
        return Err(bad());
    }
    if ctx.project.secrets.contains_key(&secret.name) {
        return Err(name_taken(&secret.name));
    }
    if ctx.project.name_of_id(&secret.id).is_some() {
        secret.id = ctx.rng.uuid();
    }
    secret.state = "ENABLED".to_owned();
    secret.scheduled_delete_time = None;
    secret.applied = AppliedCounts::default();
    secret.update_time = ctx.now;
    let body = json!({"secret": to_json(&secret.to_model())});
    ctx.project.secrets.insert(secret.name.clone(), secret);
    Reply::changed(body)
}

/// BatchImportSecrets: CreateSecret for each entry; failures are listed, not fatal.
pub(crate) fn batch_import(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let entries: Vec<Map<String, Value>> = ctx
        .input
        .value("secrets")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_object).cloned().collect())
        .unwrap_or_default();
    let total = entries.len();
    let mut errors = Vec::new();
    let mut imported = Vec::new();
    for entry in entries {
        let input = Input(entry);
        let name = input.req("name").to_owned();
        let result = if ctx.project.secrets.contains_key(&name) {
            Err(name_taken(&name))
        } else {
            build_secret(&input, ctx.project_id, ctx.now, ctx.rng)
        };
        match result {
            Ok(secret) => {
                ctx.project.secrets.insert(name.clone(), secret);
                imported.push(name);
            }
            Err(e) => errors.push(json!({"name": name, "error_msg": e.message})),
        }
    }
    for name in &imported {
        ctx.project.notify(name, "SECRET_VERSION_CREATED", ctx.now);
    }
    let body =
        json!({"error_list": errors, "total": total, "success": imported.len(), "failed": total - imported.len()});
    Ok(Reply { status: 200, body: Some(body), changed: !imported.is_empty() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_keys() {
        assert_eq!(period_ms("1d"), Some(DAY_MS));
        assert_eq!(period_ms("6h"), Some(6 * 3_600_000));
        assert_eq!(period_ms("x"), None);
        assert_eq!(period_ms(""), None);
        let key = default_kms_key("p");
        assert_eq!((key.len(), key == default_kms_key("p"), key == default_kms_key("q")), (36, true, false));
    }
}
