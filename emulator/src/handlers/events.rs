//! Events (what secrets subscribe to) and the records of notifications they fired.

use super::{limit, page, to_json, Ctx, Reply};
use crate::errors::{ApiError, ApiResult};
use csms_core::{Event, Notification};
use serde_json::{json, Value};

/// `event_types` without repeats (each item was checked against the enumeration by
/// `csms_core::validate`).
fn event_types(ctx: &Ctx<'_>) -> ApiResult<Option<Vec<String>>> {
    let Some(mut types) = ctx.input.strings("event_types") else { return Ok(None) };
    types.dedup();
    Ok(Some(types))
}

fn notification(ctx: &Ctx<'_>) -> Option<Notification> {
    ctx.input.value("notification").and_then(|v| serde_json::from_value(v.clone()).ok())
}

fn no_event(name: &str) -> ApiError {
    ApiError::not_found(format!("no event named `{name}` exists"))
}

/// CreateSecretEvent: the name must be free (409 otherwise).
pub(crate) fn create(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.input.req("name").to_owned();
    if ctx.project.events.contains_key(&name) {
        return Err(ApiError::conflict(format!("The event name already exists: an event named `{name}` exists")));
    }
    let event = Event {
        name: Some(name.clone()),
        event_id: Some(ctx.rng.uuid()),
        event_types: event_types(ctx)?,
        state: ctx.input.string("state"),
        create_time: Some(ctx.now),
        update_time: Some(ctx.now),
        notification: notification(ctx),
    };
    let body = json!({"event": to_json(&event)});
    ctx.project.events.insert(name, event);
    Reply::changed(body)
}

/// ShowSecretEvent.
pub(crate) fn show(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.input.req("event_name");
    let event = ctx.project.events.get(name).ok_or_else(|| no_event(name))?;
    Reply::read(json!({"event": to_json(event)}))
}

/// UpdateSecretEvent: state, event types and notification target.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let types = event_types(ctx)?;
    let target = notification(ctx);
    let state = ctx.input.string("state");
    let now = ctx.now;
    let name = ctx.input.req("event_name").to_owned();
    let event = ctx.project.events.get_mut(&name).ok_or_else(|| no_event(&name))?;
    if types.is_some() {
        event.event_types = types;
    }
    if target.is_some() {
        event.notification = target;
    }
    if state.is_some() {
        event.state = state;
    }
    event.update_time = Some(now);
    Reply::changed(json!({"event": to_json(event)}))
}

/// DeleteSecretEvent: refused (400) while a secret subscribes to the event.
pub(crate) fn delete(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let name = ctx.input.req("event_name").to_owned();
    if !ctx.project.events.contains_key(&name) {
        return Err(no_event(&name));
    }
    if let Some(secret) = ctx.project.secrets.values().find(|s| s.event_subscriptions.contains(&name)) {
        return Err(ApiError::invalid(format!(
            "The value of parameter is invalid: event `{name}` is subscribed to by secret `{}`; unsubscribe first",
            secret.name
        )));
    }
    ctx.project.events.remove(&name);
    Reply::no_content()
}

/// ListSecretEvents: by name; `marker` is the event name to start after.
pub(crate) fn list(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let limit = limit(&ctx.input, "limit", 50, 1000)?;
    let events: Vec<&Event> = ctx.project.events.values().collect();
    let start = match ctx.input.str("marker") {
        Some(marker) => events.iter().position(|e| e.name.as_deref().unwrap_or("") > marker).unwrap_or(events.len()),
        None => 0,
    };
    let (items, info) = page(&events, start, limit, |e| e.name.clone().unwrap_or_default());
    let events: Vec<Value> = items.into_iter().map(to_json).collect();
    Reply::read(json!({"events": events, "page_info": info}))
}

/// ListNotificationRecords: the notifications fired by subscribed events, newest first
/// (the latest 1000 are kept).
pub(crate) fn records(ctx: &mut Ctx<'_>) -> ApiResult<Reply> {
    let records: Vec<Value> = ctx.project.notification_records.iter().rev().map(to_json).collect();
    let count = records.len();
    Reply::read(json!({"records": records, "page_info": {"current_count": count, "total_count": count}}))
}
