//! A rotation for `js/rotation.js` ([`WasmRotation`]): the core's sans-IO [`Rotation`]. The
//! JS driver sends its calls through the client, runs the application's callbacks and
//! sleeps; every decision is the core's.
//!
//! Each method returns the next step as JSON text: `{"call": operation, "input": {...}}`,
//! `{"generate": true}`, `{"apply": [new_value, previous_value]}`, `{"test": new_value}`,
//! `{"sleep": ms}`, or `{"done": {"versionId", "previousVersionId", "resumed", "steps"}}`; a
//! rotation that ended with an error throws it (kind `rotation` for a step of its own).

use crate::{error_from_json, js_err, json_value};
use csms_core::rotation::{Rotation, RotationOptions, Step, Strategy};
use csms_core::{json_text, push_json_str, zeroize_json, SecretString};
use wasm_bindgen::prelude::*;

/// The JSON text of a step (see the module's documentation). The values it holds are wiped
/// on this side once written.
fn step_json(step: Step) -> Result<String, JsValue> {
    let mut out = String::from("{");
    match step {
        Step::Call { operation, mut input } => {
            out.push_str("\"call\":");
            push_json_str(&mut out, operation);
            out.push_str(",\"input\":");
            out.push_str(&json_text(&input));
            zeroize_json(&mut input);
        }
        Step::Generate => out.push_str("\"generate\":true"),
        Step::Apply { new_value, previous_value } => {
            out.push_str("\"apply\":[");
            push_json_str(&mut out, new_value.expose());
            out.push(',');
            push_json_str(&mut out, previous_value.expose());
            out.push(']');
        }
        Step::Test { new_value } => {
            out.push_str("\"test\":");
            push_json_str(&mut out, new_value.expose());
        }
        Step::Sleep(delay) => {
            out.push_str("\"sleep\":");
            out.push_str(&json_text(&(delay.as_millis() as u64).into()));
        }
        Step::Done(result) => {
            let result = result.map_err(js_err)?;
            out.push_str("\"done\":{\"versionId\":");
            push_json_str(&mut out, &result.version_id);
            out.push_str(",\"previousVersionId\":");
            match &result.previous_version_id {
                Some(id) => push_json_str(&mut out, id),
                None => out.push_str("null"),
            }
            out.push_str(",\"resumed\":");
            out.push_str(if result.resumed { "true" } else { "false" });
            out.push_str(",\"steps\":[");
            for (i, step) in result.steps.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_json_str(&mut out, step);
            }
            out.push_str("]}");
        }
    }
    out.push('}');
    Ok(out)
}

/// One rotation of one secret.
#[wasm_bindgen]
pub struct WasmRotation {
    inner: Rotation,
}

#[wasm_bindgen]
impl WasmRotation {
    /// A rotation of `secret_name` with the strategy named `single-user` or
    /// `alternating-users`; `host_generates` / `host_tests`: whether the application's
    /// `generate` / `test` run. Throws a validation error naming `strategy` or `secret_name`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        secret_name: &str,
        strategy: &str,
        host_generates: bool,
        host_tests: bool,
    ) -> Result<WasmRotation, JsValue> {
        let strategy = Strategy::parse(strategy).map_err(js_err)?;
        let options = RotationOptions { strategy, host_generates, host_tests, ..RotationOptions::default() };
        Ok(WasmRotation { inner: Rotation::new(secret_name, options).map_err(js_err)? })
    }

    /// The first step.
    pub fn start(&mut self) -> Result<String, JsValue> {
        step_json(self.inner.start())
    }

    /// The result of the call last asked for (JSON text), or (`result` undefined) its error
    /// as the JSON text `js/errors.js` writes.
    pub fn received(&mut self, result: Option<String>, error: &str) -> Result<String, JsValue> {
        let result = match result {
            Some(text) => json_value(&text).map_err(|e| csms_core::Error::validation("result", e.to_string())),
            None => Err(error_from_json(error)),
        };
        step_json(self.inner.received(result))
    }

    /// The outcome of the application's callback of the step last asked for: `generate`'s
    /// password, `test`'s verdict (`"true"` / `"false"`), nothing for `apply` (`value`
    /// undefined and `error` empty); or (`error` not empty) the JSON text of what it threw.
    pub fn called(&mut self, step: &str, value: Option<String>, error: &str) -> Result<String, JsValue> {
        let failed = || error_from_json(error);
        let ok = error.is_empty();
        step_json(match step {
            "generate" => self.inner.generated(value.filter(|_| ok).map(SecretString::from).ok_or_else(failed)),
            "test" => self.inner.tested(if ok { Ok(value.as_deref() == Some("true")) } else { Err(failed()) }),
            _ => self.inner.applied(if ok { Ok(()) } else { Err(failed()) }),
        })
    }

    /// After a sleep: `now_ms` is the host's monotonic clock in milliseconds.
    pub fn woke(&mut self, now_ms: f64) -> Result<String, JsValue> {
        step_json(self.inner.woke(crate::cache::at(now_ms)))
    }
}
