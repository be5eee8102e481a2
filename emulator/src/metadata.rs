//! The instance metadata endpoints (`--metadata`), as the metadata service of a cloud
//! server answers them, serving temporary keys for the emulator's project:
//!
//! - `PUT /meta-data/latest/api/token` with `X-Metadata-Token-Ttl-Seconds: 1..=21600`:
//!   a session token (text), valid that many seconds.
//! - `GET /openstack/latest/securitykey`, with `X-Metadata-Token` when the caller has one
//!   (an unknown or expired one gets 401): a new temporary key,
//!   `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`, valid for
//!   `--temp-credential-ttl` seconds; the verifier accepts it until then and answers
//!   401 `APIGW.0307` after.
//!
//! Without `--metadata` both paths get the usual 404.

use crate::errors::{codes, ApiError, ApiResult};
use crate::http::WireRequest;
use crate::service::{lock, Shared};
use serde_json::{json, Value};
use std::sync::Mutex;

/// The path of the session token.
pub(crate) const TOKEN_PATH: &str = "/meta-data/latest/api/token";
/// The path of the temporary keys.
pub(crate) const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
/// The longest session token lifetime accepted, in seconds (6 hours).
const MAX_TOKEN_TTL: i64 = 21_600;
/// The most session tokens kept at once (the oldest are forgotten first).
const MAX_SESSION_TOKENS: usize = 1024;

/// The metadata service's state: its session tokens and when they expire.
#[derive(Debug, Default)]
pub(crate) struct Metadata {
    /// Session tokens and their expiry (server clock, ms).
    tokens: Mutex<Vec<(String, i64)>>,
}

/// What a metadata request answers: a status and a body (JSON, or the token's text).
pub(crate) struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The operation name a metadata path counts as in `/_emulator/counts`, if it is one.
pub(crate) fn operation_of(path: &str) -> Option<&'static str> {
    match path {
        TOKEN_PATH => Some("MetadataToken"),
        SECURITY_KEY_PATH => Some("MetadataSecurityKey"),
        _ => None,
    }
}

impl Metadata {
    /// Answers a request to one of the two paths; `project_id` is the project the keys are for.
    pub(crate) fn answer(
        &self,
        shared: &Shared,
        request: &WireRequest,
        path: &str,
        project_id: &str,
        ttl_secs: u64,
        now: i64,
    ) -> ApiResult<Answer> {
        match (path, request.method.as_str()) {
            (TOKEN_PATH, "PUT") => {
                let ttl = request
                    .header("x-metadata-token-ttl-seconds")
                    .and_then(|v| v.trim().parse::<i64>().ok())
                    .filter(|s| (1..=MAX_TOKEN_TTL).contains(s))
                    .ok_or_else(|| {
                        ApiError::invalid(format!(
                            "X-Metadata-Token-Ttl-Seconds must be a number of seconds from 1 to {MAX_TOKEN_TTL}"
                        ))
                    })?;
                let token = shared.rng.hex32();
                let mut tokens = lock(&self.tokens);
                tokens.retain(|(_, expires)| *expires > now);
                if tokens.len() >= MAX_SESSION_TOKENS {
                    tokens.remove(0);
                }
                tokens.push((token.clone(), now.saturating_add(ttl * 1000)));
                Ok(Answer { status: 200, body: token.into_bytes() })
            }
            (SECURITY_KEY_PATH, "GET") => {
                if let Some(token) = request.header("x-metadata-token") {
                    let known = lock(&self.tokens).iter().any(|(t, expires)| t == token && *expires > now);
                    if !known {
                        return Err(ApiError::new(
                            401,
                            codes::METADATA_TOKEN,
                            "the metadata token is invalid or expired",
                        ));
                    }
                }
                let expires_ms = now.saturating_add((ttl_secs as i64).saturating_mul(1000));
                let key = shared.auth.issue_temporary(project_id, expires_ms, &shared.rng);
                let body: Value = json!({"credential": {
                    "access": key.ak,
                    "secret": key.sk,
                    "securitytoken": key.security_token,
                    "expires_at": iso_time(expires_ms),
                }});
                Ok(Answer { status: 200, body: serde_json::to_vec(&body).unwrap_or_default() })
            }
            (TOKEN_PATH, _) => Err(ApiError::new(405, codes::METHOD_NOT_ALLOWED, format!("{TOKEN_PATH} takes PUT"))),
            _ => Err(ApiError::new(405, codes::METHOD_NOT_ALLOWED, format!("{SECURITY_KEY_PATH} takes GET"))),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS.ffffffZ`, as the metadata service writes `expires_at`.
fn iso_time(ms: i64) -> String {
    let compact = csms_core::SdkDate::from_unix(ms.div_euclid(1000)).to_string();
    format!(
        "{}-{}-{}T{}:{}:{}.{:06}Z",
        &compact[0..4],
        &compact[4..6],
        &compact[6..8],
        &compact[9..11],
        &compact[11..13],
        &compact[13..15],
        ms.rem_euclid(1000) * 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn expiry_is_written_as_the_metadata_service_writes_it() {
        assert_eq!(super::iso_time(1_578_455_407_574), "2020-01-08T03:50:07.574000Z");
    }
}
