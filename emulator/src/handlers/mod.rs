//! The operations: one function per CSMS operation, run on one project's state with the
//! validated flat input.
//!
//! - [`secrets`]: secrets, their deletion and restoration, blobs and batch import.
//! - [`versions`]: versions, stages and rotation.
//! - [`tags`]: tags and the tag-based search.
//! - [`events`]: events and notification records.
//! - [`extras`]: grants, users, agencies, strength check settings, function templates,
//!   rotation tasks and random passwords.

pub(crate) mod events;
pub(crate) mod extras;
pub(crate) mod secrets;
pub(crate) mod tags;
pub(crate) mod versions;

use crate::errors::{codes, ApiError, ApiResult};
use crate::random::Rng;
use crate::state::{Project, SecretRecord, SecretValue};
use serde::Serialize;
use serde_json::{json, Map, Value};

/// What a handler works with.
pub(crate) struct Ctx<'a> {
    /// The caller's project.
    pub project: &'a mut Project,
    /// Its id.
    pub project_id: &'a str,
    /// The server time, in milliseconds.
    pub now: i64,
    /// Random values.
    pub rng: &'a Rng,
    /// The validated input.
    pub input: Input,
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Reply {
    /// HTTP status.
    pub status: u16,
    /// JSON body; `None` for 204.
    pub body: Option<Value>,
    /// Whether the state changed (and must be saved before answering).
    pub changed: bool,
}

impl Reply {
    /// 200 with `body`, nothing changed.
    pub(crate) fn read(body: Value) -> ApiResult<Reply> {
        Ok(Reply { status: 200, body: Some(body), changed: false })
    }

    /// 200 with `body`, after a change.
    pub(crate) fn changed(body: Value) -> ApiResult<Reply> {
        Ok(Reply { status: 200, body: Some(body), changed: true })
    }

    /// 204 without a body, after a change.
    pub(crate) fn no_content() -> ApiResult<Reply> {
        Ok(Reply { status: 204, body: None, changed: true })
    }
}

/// The validated flat input, with typed getters (validation already checked the types).
#[derive(Debug, Clone, Default)]
pub(crate) struct Input(pub Map<String, Value>);

impl Input {
    /// A text member.
    pub(crate) fn str(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(Value::as_str)
    }

    /// A text member, owned.
    pub(crate) fn string(&self, name: &str) -> Option<String> {
        self.str(name).map(str::to_owned)
    }

    /// A required text member (path members always are).
    pub(crate) fn req(&self, name: &str) -> &str {
        self.str(name).unwrap_or_default()
    }

    /// A boolean member.
    pub(crate) fn bool(&self, name: &str) -> Option<bool> {
        self.0.get(name).and_then(Value::as_bool)
    }

    /// An integer member (whole floats accepted, as validation does).
    pub(crate) fn i64(&self, name: &str) -> Option<i64> {
        let v = self.0.get(name)?;
        v.as_i64().or_else(|| v.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
    }

    /// A list of strings.
    pub(crate) fn strings(&self, name: &str) -> Option<Vec<String>> {
        self.0.get(name)?.as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_owned).collect())
    }

    /// Any member.
    pub(crate) fn value(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }
}

/// A serde model as JSON.
pub(crate) fn to_json<T: Serialize>(model: &T) -> Value {
    serde_json::to_value(model).unwrap_or(Value::Null)
}

impl Ctx<'_> {
    /// The secret `name`, or 404.
    pub(crate) fn secret(&self, name: &str) -> ApiResult<&SecretRecord> {
        self.project.secret(name).ok_or_else(|| ApiError::no_secret(name))
    }

    /// The secret `name` for changing, or 404.
    pub(crate) fn secret_mut(&mut self, name: &str) -> ApiResult<&mut SecretRecord> {
        self.project.secrets.get_mut(name).ok_or_else(|| ApiError::no_secret(name))
    }

    /// The secret `name`, which must not be pending deletion (400 `CSMS.0103` if it is).
    pub(crate) fn usable_secret(&self, name: &str) -> ApiResult<&SecretRecord> {
        let secret = self.secret(name)?;
        if secret.pending_delete() {
            return Err(pending(name));
        }
        Ok(secret)
    }

    /// [`Ctx::usable_secret`] for changing.
    pub(crate) fn usable_secret_mut(&mut self, name: &str) -> ApiResult<&mut SecretRecord> {
        let secret = self.secret_mut(name)?;
        if secret.pending_delete() {
            return Err(pending(name));
        }
        Ok(secret)
    }

    /// The name of the secret whose id is `id`, or 404.
    pub(crate) fn name_of_id(&self, id: &str) -> ApiResult<String> {
        self.project.name_of_id(id).ok_or_else(|| {
            ApiError::new(404, codes::SECRET_NOT_FOUND, format!("The secret not found: no secret has the id `{id}`"))
        })
    }
}

fn pending(name: &str) -> ApiError {
    ApiError::new(
        400,
        codes::PENDING_DELETE,
        format!("The secret is in the scheduled deletion state: `{name}` is PENDING_DELETE; restore it first"),
    )
}

/// The value of a new version: exactly one of `secret_string`, `secret_binary`.
pub(crate) fn secret_value(input: &Input) -> ApiResult<SecretValue> {
    match (input.string("secret_string"), input.string("secret_binary")) {
        (Some(text), None) => Ok(SecretValue::Text(text)),
        (None, Some(binary)) => Ok(SecretValue::Binary(binary)),
        _ => Err(ApiError::invalid_field("secret_string", "exactly one of secret_string, secret_binary must be set")),
    }
}

/// A page size from a member: `default` when unset, else between 1 and `max`.
pub(crate) fn limit(input: &Input, name: &str, default: usize, max: usize) -> ApiResult<usize> {
    let n = match input.value(name) {
        None => return Ok(default),
        Some(Value::String(s)) => {
            s.trim().parse::<i64>().map_err(|_| ApiError::invalid_field(name, "must be an integer"))?
        }
        Some(v) => v.as_i64().ok_or_else(|| ApiError::invalid_field(name, "must be an integer"))?,
    };
    if n < 1 || n as u64 > max as u64 {
        return Err(ApiError::invalid_field(name, format!("must be between 1 and {max}, not {n}")));
    }
    Ok(n as usize)
}

/// One page of `items` (already in order) starting at `start`, with the `page_info` of the
/// CSMS list operations: `next_marker` (the key of the last item, when more follow),
/// `previous_marker` (the key of the first item), `current_count` and `total_count`.
pub(crate) fn page<T: Clone>(items: &[T], start: usize, limit: usize, key: impl Fn(&T) -> String) -> (Vec<T>, Value) {
    let start = start.min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    let page = items[start..end].to_vec();
    let mut info = json!({"current_count": page.len(), "total_count": items.len()});
    if let Some(first) = page.first() {
        info["previous_marker"] = Value::String(key(first));
    }
    if end < items.len() {
        if let Some(last) = page.last() {
            info["next_marker"] = Value::String(key(last));
        }
    }
    (page, info)
}

/// Runs operation `name`.
pub(crate) fn run(name: &str, ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    match name {
        "CreateSecret" => secrets::create(ctx),
        "ShowSecret" => secrets::show(ctx),
        "UpdateSecret" => secrets::update(ctx),
        "DeleteSecret" => secrets::delete(ctx),
        "ListSecrets" => secrets::list(ctx),
        "DeleteSecretForSchedule" => secrets::schedule_delete(ctx),
        "RestoreSecret" => secrets::restore(ctx),
        "DownloadSecretBlob" => secrets::download_blob(ctx),
        "UploadSecretBlob" => secrets::upload_blob(ctx),
        "BatchImportSecrets" => secrets::batch_import(ctx),

        "CreateSecretVersion" => versions::create(ctx),
        "ShowSecretVersion" => versions::show(ctx),
        "ListSecretVersions" => versions::list(ctx),
        "UpdateVersion" => versions::update(ctx),
        "ShowSecretStage" => versions::show_stage(ctx),
        "UpdateSecretStage" => versions::update_stage(ctx),
        "DeleteSecretStage" => versions::delete_stage(ctx),
        "RotateSecret" => versions::rotate(ctx),

        "CreateSecretTag" => tags::create(ctx),
        "DeleteSecretTag" => tags::delete(ctx),
        "ListSecretTags" => tags::list(ctx),
        "BatchCreateOrDeleteTags" => tags::batch(ctx),
        "ListProjectSecretsTags" => tags::project_tags(ctx),
        "ListResourceInstances" => tags::resource_instances(ctx),

        "CreateSecretEvent" => events::create(ctx),
        "ShowSecretEvent" => events::show(ctx),
        "UpdateSecretEvent" => events::update(ctx),
        "DeleteSecretEvent" => events::delete(ctx),
        "ListSecretEvents" => events::list(ctx),
        "ListNotificationRecords" => events::records(ctx),

        "CreateGrants" => extras::create_grant(ctx),
        "ListGrants" => extras::list_grants(ctx),
        "UpdateGrant" => extras::update_grant(ctx),
        "DeleteGrant" => extras::delete_grant(ctx),
        "ListUsers" => extras::list_users(ctx),
        "ShowUserDetail" => extras::show_user(ctx),
        "UpdateUserPassword" => extras::update_user_password(ctx),
        "CreateAgency" => extras::create_agency(ctx),
        "ShowAgency" => extras::show_agency(ctx),
        "CheckSecrets" => extras::check_secrets(ctx),
        "ShowSecretsConfig" => extras::show_config(ctx),
        "UpdateSecretsConfig" => extras::update_config(ctx),
        "ShowSecretFunctionTemplates" => extras::function_templates(ctx),
        "ListSecretTask" => extras::list_tasks(ctx),
        "GenerateRandomPassword" => extras::generate_password(ctx),

        other => Err(ApiError::internal(format!("the emulator does not implement {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_has_a_handler() {
        let rng = Rng::from_clock();
        for op in csms_core::OPERATIONS {
            let mut project = Project::default();
            let mut ctx = Ctx { project: &mut project, project_id: "p", now: 0, rng: &rng, input: Input::default() };
            if let Err(e) = run(op.name, &mut ctx) {
                assert!(!e.message.contains("does not implement"), "{}", op.name);
            }
        }
    }

    #[test]
    fn pages_carry_markers() {
        let items: Vec<u32> = (1..=5).collect();
        let (p, info) = page(&items, 0, 2, |i| i.to_string());
        assert_eq!(p, [1, 2]);
        assert_eq!(info, json!({"current_count": 2, "total_count": 5, "previous_marker": "1", "next_marker": "2"}));
        let (p, info) = page(&items, 4, 2, |i| i.to_string());
        assert_eq!(p, [5]);
        assert!(info.get("next_marker").is_none());
    }
}
