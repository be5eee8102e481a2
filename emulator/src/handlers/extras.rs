//! The operations around secrets that the emulator keeps simple: grants, users, agencies,
//! strength check settings, function templates, rotation tasks and random passwords.

use super::{to_json, Ctx, Reply};
use crate::clock::date_ms;
use crate::errors::{ApiError, ApiResult};
use crate::state::GrantRecord;
use csms_core::{Agency, GrantDTO, GrantData, GrantUserInfo, SecretTask};
use serde_json::{json, Value};

/// The user id the user operations answer with.
pub(crate) const EMULATOR_USER_ID: &str = "emulator-user-0000000000000000000";

fn grant_data(grant: &GrantRecord) -> Value {
    to_json(&GrantData {
        uuid: Some(grant.uuid.clone()),
        resource_id: Some(grant.resource_id.clone()),
        r#type: Some(grant.resource_type.clone()),
        grantee_user: Some(grant.grantee.clone()),
        create_time: Some(grant.create_time),
        update_time: Some(grant.update_time),
        validity_time: grant.validity_time,
        state: Some(1),
        signature: Some(format!("emulator-signature-{}", grant.uuid)),
    })
}

fn validity(ctx: &Ctx<'_>) -> Option<i64> {
    // The grant is valid through the whole day given.
    ctx.input.str("validity_time").and_then(date_ms).map(|ms| ms + 86_399_999)
}

/// CreateGrants: one grant per resource and grantee (409 for a second one).
pub(crate) fn create_grant(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let resource_id = ctx.input.req("resource_id").to_owned();
    let grantee = ctx.input.req("grantee_target_id").to_owned();
    if ctx.project.grants.iter().any(|g| g.resource_id == resource_id && g.grantee == grantee) {
        return Err(ApiError::conflict(format!(
            "The grant already exists: `{resource_id}` is already granted to `{grantee}`"
        )));
    }
    let grant = GrantRecord {
        uuid: ctx.rng.uuid(),
        resource_id,
        resource_type: ctx.input.req("type").to_owned(),
        grantee_type: ctx.input.req("grantee_type").to_owned(),
        grantee,
        create_time: ctx.now,
        update_time: ctx.now,
        validity_time: validity(ctx),
    };
    let body = json!({"data": grant_data(&grant)});
    ctx.project.grants.push(grant);
    Reply::changed(body)
}

/// ListGrants: the grants of one resource, as one record with its users.
pub(crate) fn list_grants(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let resource_id = ctx.input.req("resource_id");
    let grants: Vec<&GrantRecord> = ctx.project.grants.iter().filter(|g| g.resource_id == resource_id).collect();
    let users = grants
        .iter()
        .map(|g| GrantUserInfo {
            user_id: Some(g.grantee.clone()),
            user_name: Some(g.grantee.clone()),
            create_time: Some(g.create_time),
            validity_time: g.validity_time,
        })
        .collect();
    let data = GrantDTO {
        id: grants.first().map(|g| g.uuid.clone()),
        name: Some(resource_id.to_owned()),
        r#type: grants.first().map(|g| g.resource_type.clone()),
        grantee_user: Some(users),
        create_time: grants.iter().map(|g| g.create_time).min(),
        update_time: grants.iter().map(|g| g.update_time).max(),
    };
    Reply::read(json!({"data": to_json(&data)}))
}

/// UpdateGrant: changes the type and validity of the grant of a resource to a grantee.
pub(crate) fn update_grant(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let resource_id = ctx.input.req("resource_id").to_owned();
    let grantee = ctx.input.req("grantee_target_id").to_owned();
    let validity = validity(ctx);
    let resource_type = ctx.input.req("type").to_owned();
    let now = ctx.now;
    let grant = ctx
        .project
        .grants
        .iter_mut()
        .find(|g| g.resource_id == resource_id && g.grantee == grantee)
        .ok_or_else(|| ApiError::not_found(format!("no grant of `{resource_id}` to `{grantee}`")))?;
    grant.resource_type = resource_type;
    grant.validity_time = validity;
    grant.update_time = now;
    Reply::changed(json!({"data": grant_data(grant)}))
}

/// DeleteGrant: removes the grants of a resource (to `grantee_user` only, when given).
pub(crate) fn delete_grant(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let resource_id = ctx.input.req("resource_id").to_owned();
    let grantee = ctx.input.string("grantee_user");
    let before = ctx.project.grants.len();
    ctx.project.grants.retain(|g| !(g.resource_id == resource_id && grantee.as_ref().is_none_or(|u| *u == g.grantee)));
    if ctx.project.grants.len() == before {
        return Err(ApiError::not_found(format!("no grant of `{resource_id}` matches")));
    }
    Reply::no_content()
}

/// ListUsers: the emulator knows no users of the organisation; an empty page.
pub(crate) fn list_users(_ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    Reply::read(json!({"total": 0, "users": []}))
}

/// ShowUserDetail: a plausible user record for any id.
pub(crate) fn show_user(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let id = ctx.input.req("user_id");
    Reply::read(json!({
        "user_id": id,
        "user_name": "emulator-user",
        "name": "emulator-user",
        "domain_id": ctx.project_id,
        "pwd_must_modify": false,
        "disabled": false,
        "user_org_relation_list": [],
    }))
}

/// UpdateUserPassword: accepted without checking anything.
pub(crate) fn update_user_password(_ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    Reply::read(json!({"user_id": EMULATOR_USER_ID}))
}

/// CreateAgency: records that the rotation agencies of a secret type exist.
pub(crate) fn create_agency(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let secret_type = ctx.input.req("secret_type").to_owned();
    let suffix = secret_type.to_ascii_lowercase().replace('-', "_");
    let agencies: Vec<Value> = ["csms", "functiongraph"]
        .iter()
        .map(|service| {
            to_json(&Agency {
                agency_name: Some(format!("{service}_rotation_agency_{suffix}")),
                agency_id: Some(ctx.rng.uuid()),
                error_msg: None,
            })
        })
        .collect();
    ctx.project.agencies.insert(secret_type);
    Reply::changed(json!({"agencies": agencies}))
}

/// ShowAgency: `"true"` once CreateAgency ran for the type, else `"false"`.
pub(crate) fn show_agency(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let granted = ctx.project.agencies.contains(ctx.input.req("secret_type"));
    Reply::read(json!({"agency_granted": granted.to_string()}))
}

/// CheckSecrets: echoes the check type with an empty result (no strength check is run).
pub(crate) fn check_secrets(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    Reply::read(json!({"type": ctx.input.req("type"), "data": {}}))
}

/// ShowSecretsConfig.
pub(crate) fn show_config(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    Reply::read(json!({"checking_secret_strength": ctx.project.checking_secret_strength}))
}

/// UpdateSecretsConfig.
pub(crate) fn update_config(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    if let Some(on) = ctx.input.bool("checking_secret_strength") {
        ctx.project.checking_secret_strength = on;
    }
    Reply::changed(json!({"checking_secret_strength": ctx.project.checking_secret_strength}))
}

/// ShowSecretFunctionTemplates: a short placeholder template.
pub(crate) fn function_templates(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let secret_type = ctx.input.req("secret_type");
    let sub_type = ctx.input.req("secret_sub_type");
    let engine = ctx.input.str("engine").unwrap_or("mysql");
    Reply::read(json!({
        "function_templates": format!(
            "# csms-emulator placeholder: FunctionGraph rotation template for {secret_type} ({sub_type}, {engine})\n\
             def handler(event, context):\n    return {{\"status\": \"SUCCESS\"}}\n"
        )
    }))
}

/// ListSecretTask: the tasks RotateSecret created, oldest first, filtered by secret name,
/// status and task id; `marker` is the task id to start after.
pub(crate) fn list_tasks(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let limit = super::limit(&ctx.input, "limit", 50, 1000)?;
    let (name, status, id) = (ctx.input.str("secret_name"), ctx.input.str("status"), ctx.input.str("task_id"));
    let tasks: Vec<&SecretTask> = ctx
        .project
        .tasks
        .iter()
        .filter(|t| name.is_none_or(|n| t.secret_name.as_deref() == Some(n)))
        .filter(|t| status.is_none_or(|s| t.task_status.as_deref() == Some(s)))
        .filter(|t| id.is_none_or(|i| t.task_id.as_deref() == Some(i)))
        .collect();
    let start = match ctx.input.str("marker") {
        Some(marker) => tasks.iter().position(|t| t.task_id.as_deref() == Some(marker)).map_or(tasks.len(), |i| i + 1),
        None => 0,
    };
    let end = start.saturating_add(limit).min(tasks.len());
    let page: Vec<Value> = tasks[start.min(end)..end].iter().map(|t| to_json(*t)).collect();
    let mut body = json!({"total": tasks.len(), "tasks": page});
    if end < tasks.len() {
        if let Some(last) = tasks[end - 1].task_id.clone() {
            body["next_marker"] = Value::String(last);
        }
    }
    Reply::read(body)
}

/// Punctuation characters of generated passwords.
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// GenerateRandomPassword: `length` characters (32 by default, 1 to 4096) from the
/// character classes not excluded, minus `exclude_characters`; with
/// `require_each_included_type` (the default) every class appears at least once.
pub(crate) fn generate_password(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let length = ctx.input.i64("length").unwrap_or(32);
    if !(1..=4096).contains(&length) {
        return Err(ApiError::invalid_field("length", format!("must be between 1 and 4096, not {length}")));
    }
    let length = length as usize;
    let excluded: Vec<char> = ctx.input.str("exclude_characters").unwrap_or("").chars().collect();
    let flag = |name: &str| ctx.input.bool(name).unwrap_or(false);
    let mut classes: Vec<Vec<char>> = Vec::new();
    let mut add = |chars: &str, skip: bool| {
        if !skip {
            let class: Vec<char> = chars.chars().filter(|c| !excluded.contains(c)).collect();
            if !class.is_empty() {
                classes.push(class);
            }
        }
    };
    add("abcdefghijklmnopqrstuvwxyz", flag("exclude_lowercase"));
    add("ABCDEFGHIJKLMNOPQRSTUVWXYZ", flag("exclude_uppercase"));
    add("0123456789", flag("exclude_numbers"));
    add(PUNCTUATION, flag("exclude_punctuation"));
    add(" ", !flag("include_space"));
    if classes.is_empty() {
        return Err(ApiError::invalid_field("exclude_characters", "every character class is excluded"));
    }
    let require_each = ctx.input.bool("require_each_included_type").unwrap_or(true);
    if require_each && length < classes.len() {
        return Err(ApiError::invalid_field(
            "length",
            format!("must be at least {} to include each character type", classes.len()),
        ));
    }
    let all: Vec<char> = classes.concat();
    let mut chars: Vec<char> = Vec::with_capacity(length);
    if require_each {
        chars.extend(classes.iter().map(|c| c[ctx.rng.below(c.len())]));
    }
    while chars.len() < length {
        chars.push(all[ctx.rng.below(all.len())]);
    }
    for i in (1..chars.len()).rev() {
        chars.swap(i, ctx.rng.below(i + 1));
    }
    Reply::read(json!({"password": chars.into_iter().collect::<String>()}))
}
