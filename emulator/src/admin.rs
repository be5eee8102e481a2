//! Emulator-only endpoints under `/_emulator/`, for harnesses that run the binary in
//! another process (they cannot call the library API). No authentication: the emulator
//! is meant for loopback.
//!
//! - `GET /_emulator/counts`: the applied RotateSecret / CreateSecretVersion calls of every
//!   secret (`secrets`), and how many requests each operation received (`operations`,
//!   metadata fetches as `MetadataSecurityKey`, session tokens as `MetadataToken`).
//! - `GET /_emulator/faults`: the fault spec in force and what it injected so far.
//! - `POST /_emulator/faults` with `{"spec": "503=100%"}` (the `--faults` syntax) or
//!   `{"spec": null}`: replaces the faults injected from now on (counters from 0), so that a
//!   test can take the service down and bring it back.
//! - `GET /_emulator/clock`: the server time and the clock offset.
//! - `POST /_emulator/clock` with `{"offset_ms": N}`: sets the clock offset.

use crate::config::MAX_CLOCK_OFFSET_MS;
use crate::errors::{codes, ApiError, ApiResult};
use crate::handlers::Reply;
use crate::service::{lock, Shared};
use serde_json::{json, Value};

/// The path prefix of the emulator-only endpoints.
pub(crate) const PREFIX: &str = "/_emulator/";

/// Answers an emulator-only request; `rest` is the path after [`PREFIX`].
pub(crate) fn answer(shared: &Shared, method: &str, rest: &str, body: &[u8], now: i64) -> ApiResult<Reply> {
    match (method, rest.trim_end_matches('/')) {
        ("GET", "counts") => {
            let live = lock(&shared.live);
            let secrets: Vec<Value> = live
                .store
                .projects
                .iter()
                .flat_map(|(project_id, project)| {
                    project.secrets.values().map(move |s| {
                        json!({
                            "project_id": project_id,
                            "secret_name": s.name,
                            "rotate_secret": s.applied.rotate_secret,
                            "create_secret_version": s.applied.create_secret_version,
                        })
                    })
                })
                .collect();
            let operations = lock(&shared.operations).clone();
            Reply::read(json!({"secrets": secrets, "operations": operations}))
        }
        ("GET", "faults") => {
            let s = shared.faults.stats();
            Reply::read(json!({
                "spec": shared.faults.spec().map(|spec| spec.to_string()),
                "requests": s.requests,
                "unavailable": s.unavailable,
                "throttled": s.throttled,
                "closed_before": s.closed_before,
                "closed_after": s.closed_after,
            }))
        }
        ("POST", "faults") => {
            let body = serde_json::from_slice::<Value>(body).ok();
            let spec = match body.as_ref().and_then(|v| v.get("spec")) {
                Some(Value::Null) => None,
                Some(Value::String(text)) => Some(
                    text.parse::<crate::faults::FaultSpec>()
                        .map_err(|e| ApiError::invalid_field("spec", format!("is not a fault spec: {e}")))?,
                ),
                _ => return Err(ApiError::invalid_field("spec", "give {\"spec\": \"503=100%\"} or {\"spec\": null}")),
            };
            shared.faults.set(spec);
            Reply::read(json!({"spec": shared.faults.spec().map(|spec| spec.to_string())}))
        }
        ("GET", "clock") => Reply::read(json!({"now_ms": now, "offset_ms": shared.clock.offset_ms()})),
        ("POST", "clock") => {
            let offset = serde_json::from_slice::<Value>(body)
                .ok()
                .and_then(|v| v.get("offset_ms").and_then(Value::as_i64))
                .filter(|ms| ms.unsigned_abs() <= MAX_CLOCK_OFFSET_MS.unsigned_abs())
                .ok_or_else(|| {
                    ApiError::invalid_field(
                        "offset_ms",
                        format!(
                            "give {{\"offset_ms\": <integer from -{MAX_CLOCK_OFFSET_MS} to {MAX_CLOCK_OFFSET_MS}>}}"
                        ),
                    )
                })?;
            shared.clock.set_offset_ms(offset);
            Reply::read(json!({"now_ms": shared.clock.now_ms(), "offset_ms": offset}))
        }
        (_, "counts" | "clock" | "faults") => {
            Err(ApiError::new(405, codes::METHOD_NOT_ALLOWED, "use GET (or POST for the clock and the faults)"))
        }
        _ => Err(ApiError::new(404, codes::NO_SUCH_PATH, format!("no emulator endpoint {PREFIX}{rest}"))),
    }
}
