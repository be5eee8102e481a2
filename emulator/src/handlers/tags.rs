//! Tags of secrets (addressed by secret id) and the tag-based search.

use super::{to_json, Ctx, Reply};
use crate::errors::{ApiError, ApiResult};
use crate::state::{SecretRecord, TagPair};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// Most tags a secret can carry.
pub(crate) const MAX_TAGS: usize = 20;

fn tag_of(value: &Value) -> TagPair {
    TagPair {
        key: value.get("key").and_then(Value::as_str).unwrap_or_default().to_owned(),
        value: value.get("value").and_then(Value::as_str).unwrap_or_default().to_owned(),
    }
}

fn put_tag(secret: &mut SecretRecord, tag: TagPair) -> ApiResult<()> {
    let count = secret.tags.len();
    match secret.tags.iter_mut().find(|t| t.key == tag.key) {
        Some(existing) => existing.value = tag.value,
        None if count >= MAX_TAGS => {
            return Err(ApiError::invalid_field("tags", format!("a secret can carry at most {MAX_TAGS} tags")))
        }
        None => secret.tags.push(tag),
    }
    Ok(())
}

fn tags_json(secret: &SecretRecord) -> Value {
    Value::Array(secret.tags.iter().map(|t| json!({"key": t.key, "value": t.value})).collect())
}

/// CreateSecretTag: adds a tag, or changes the value of the tag with that key.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.name_of_id(ctx.input.req("secret_id"))?;
    let tag = tag_of(ctx.input.value("tag").unwrap_or(&Value::Null));
    let now = ctx.now;
    let secret = ctx.secret_mut(&name)?;
    put_tag(secret, tag)?;
    secret.update_time = now;
    Reply::no_content()
}

/// DeleteSecretTag: removes the tag with that key (404 if there is none).
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.name_of_id(ctx.input.req("secret_id"))?;
    let key = ctx.input.req("key").to_owned();
    let secret = ctx.secret_mut(&name)?;
    let before = secret.tags.len();
    secret.tags.retain(|t| t.key != key);
    if secret.tags.len() == before {
        return Err(ApiError::not_found(format!("secret `{name}` has no tag `{key}`")));
    }
    Reply::no_content()
}

/// ListSecretTags.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.name_of_id(ctx.input.req("secret_id"))?;
    let secret = ctx.secret(&name)?;
    Reply::read(json!({"tags": tags_json(secret), "sys_tags": []}))
}

/// BatchCreateOrDeleteTags: `create` adds or changes the listed tags, `delete` removes
/// the listed keys (keys that are absent are ignored). All or nothing.
pub(crate) fn batch(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.name_of_id(ctx.input.req("secret_id"))?;
    let tags: Vec<TagPair> =
        ctx.input.value("tags").and_then(Value::as_array).map(|a| a.iter().map(tag_of).collect()).unwrap_or_default();
    let create = ctx.input.str("action") == Some("create");
    let now = ctx.now;
    let secret = ctx.secret_mut(&name)?;
    let mut updated = secret.clone();
    for tag in tags {
        if create {
            put_tag(&mut updated, tag)?;
        } else {
            updated.tags.retain(|t| t.key != tag.key);
        }
    }
    updated.update_time = now;
    *secret = updated;
    Reply::no_content()
}

/// ListProjectSecretsTags: every key in use with its distinct values.
pub(crate) fn project_tags(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let mut keys: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for secret in ctx.project.secrets.values() {
        for tag in &secret.tags {
            keys.entry(&tag.key).or_default().insert(&tag.value);
        }
    }
    let tags: Vec<Value> = keys.into_iter().map(|(k, v)| json!({"key": k, "values": v})).collect();
    Reply::read(json!({"tags": tags}))
}

/// ListResourceInstances: secrets whose tags meet every `tags` condition (the key is
/// present and, when values are listed, its value is one of them) and whose name contains
/// every `matches` value (ignoring case). `filter` gives a page (offset, limit), `count`
/// only the number.
pub(crate) fn resource_instances(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let conditions: Vec<(String, Vec<String>)> = ctx
        .input
        .value("tags")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|t| {
                    let key = t.get("key").and_then(Value::as_str).unwrap_or_default().to_owned();
                    let values = t
                        .get("values")
                        .and_then(Value::as_array)
                        .map(|v| v.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                        .unwrap_or_default();
                    (key, values)
                })
                .collect()
        })
        .unwrap_or_default();
    let name_parts: Vec<String> = ctx
        .input
        .value("matches")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|m| m.get("value").and_then(Value::as_str)).map(str::to_lowercase).collect())
        .unwrap_or_default();
    let matching: Vec<&SecretRecord> = ctx
        .project
        .secrets
        .values()
        .filter(|s| {
            conditions.iter().all(|(key, values)| {
                s.tags.iter().any(|t| &t.key == key && (values.is_empty() || values.contains(&t.value)))
            })
        })
        .filter(|s| name_parts.iter().all(|part| s.name.to_lowercase().contains(part)))
        .collect();
    if ctx.input.str("action") == Some("count") {
        return Reply::read(json!({"total_count": matching.len()}));
    }
    let parse = |name: &str, default: usize| -> ApiResult<usize> {
        match ctx.input.str(name) {
            None => Ok(default),
            Some(text) => text.trim().parse().map_err(|_| ApiError::invalid_field(name, "must be an integer")),
        }
    };
    let offset = parse("offset", 0)?;
    let limit = parse("limit", 10)?;
    let resources: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(limit)
        .map(|s| {
            json!({
                "resource_id": s.id,
                "resource_name": s.name,
                "resource_detail": to_json(&s.to_model()),
                "tags": tags_json(s),
                "sys_tags": [],
            })
        })
        .collect();
    Reply::read(json!({"resources": resources, "total_count": matching.len()}))
}
