//! The errors the emulator answers with, and their two body shapes.
//!
//! Service errors are `{"error": {"error_code": "CSMS.xxxx", "error_msg": "..."}}`, as the
//! CSMS API reference documents. Authentication errors come from the API gateway in front
//! of the service and are flat: `{"error_code": "APIGW.0301", "error_msg": "...",
//! "request_id": "..."}`.

use serde_json::{json, Value};

/// Error codes the emulator uses. The `CSMS.0002`-`CSMS.0108` ones are those of the CSMS
/// error code table; the `CSMS.04xx`/`CSMS.0500` ones are the emulator's own, named after
/// their HTTP status, for cases the table does not cover.
pub mod codes {
    /// 400: a parameter is invalid (validation failures name the member).
    pub const INVALID_PARAMETER: &str = "CSMS.0002";
    /// 400: the request cannot be read as HTTP.
    pub const BAD_REQUEST: &str = "CSMS.0003";
    /// 400: the request body is not a JSON object, or is not what the operation takes.
    pub const BAD_BODY: &str = "CSMS.0004";
    /// 404: a resource other than a secret (version, stage, tag, event, grant) does not exist.
    pub const RESOURCE_NOT_FOUND: &str = "CSMS.0005";
    /// 400: the secret is pending deletion and cannot be used.
    pub const PENDING_DELETE: &str = "CSMS.0103";
    /// 400: SYSCURRENT and SYSPREVIOUS cannot be deleted.
    pub const SYSTEM_STAGE: &str = "CSMS.0105";
    /// 404: no secret of that name (or id) in the project.
    pub const SECRET_NOT_FOUND: &str = "CSMS.0106";
    /// 400: the secret is already pending deletion.
    pub const ALREADY_PENDING_DELETE: &str = "CSMS.0107";
    /// 400: the secret is not pending deletion, so there is nothing to restore.
    pub const NOT_PENDING_DELETE: &str = "CSMS.0108";
    /// 403: the path names another project than the credential's.
    pub const FORBIDDEN: &str = "CSMS.0403";
    /// 404: no operation has this path.
    pub const NO_SUCH_PATH: &str = "CSMS.0404";
    /// 405: the path exists but not with this method.
    pub const METHOD_NOT_ALLOWED: &str = "CSMS.0405";
    /// 408: the request (head and body) did not arrive within the request timeout.
    pub const REQUEST_TIMEOUT: &str = "CSMS.0408";
    /// 409: the name is taken (secret, event, grant).
    pub const CONFLICT: &str = "CSMS.0409";
    /// 413: the body is larger than the emulator accepts.
    pub const BODY_TOO_LARGE: &str = "CSMS.0413";
    /// 421: the `Host` is not one the emulator answers for (DNS rebinding protection).
    pub const MISDIRECTED: &str = "CSMS.0421";
    /// 429: an injected fault (`--faults 429=P%`): throttled, not applied.
    pub const THROTTLED: &str = "CSMS.0429";
    /// 503: an injected fault (`--faults 503=P%`): unavailable, not applied.
    pub const UNAVAILABLE: &str = "CSMS.0503";
    /// 500: the emulator failed (a bug, or the data file could not be written).
    pub const INTERNAL: &str = "CSMS.0500";
    /// 401: the API gateway refused the credentials (flat body).
    pub const GATEWAY_AUTH: &str = "APIGW.0301";
    /// 401: the gateway refused an expired temporary key or token ("The token must be
    /// updated.", flat body).
    pub const TOKEN_EXPIRED: &str = "APIGW.0307";
    /// 401: the metadata endpoints (`--metadata`) got an unknown or expired
    /// `X-Metadata-Token`.
    pub const METADATA_TOKEN: &str = "CSMS.0401";
}

/// An error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// Error code (`CSMS.0106`, `APIGW.0301`).
    pub code: &'static str,
    /// Human-readable message.
    pub message: String,
    /// Whether the gateway's flat shape is used instead of the service's nested one.
    pub gateway: bool,
}

impl ApiError {
    /// A service error (`{"error": {...}}`).
    pub(crate) fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), gateway: false }
    }

    /// 400 `CSMS.0002`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        ApiError::new(400, codes::INVALID_PARAMETER, message)
    }

    /// 400 `CSMS.0002` for a member, written like the core's validation errors.
    pub(crate) fn invalid_field(field: &str, reason: impl std::fmt::Display) -> Self {
        ApiError::invalid(format!("The value of parameter is invalid: invalid `{field}`: {reason}"))
    }

    /// 404 `CSMS.0106` for the secret `name`.
    pub(crate) fn no_secret(name: &str) -> Self {
        ApiError::new(
            404,
            codes::SECRET_NOT_FOUND,
            format!("The secret name not found: no secret named `{name}` exists"),
        )
    }

    /// 404 `CSMS.0005` for a resource described by `what`.
    pub(crate) fn not_found(what: impl std::fmt::Display) -> Self {
        ApiError::new(404, codes::RESOURCE_NOT_FOUND, format!("The resource does not exist: {what}"))
    }

    /// 409 `CSMS.0409`.
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        ApiError::new(409, codes::CONFLICT, message)
    }

    /// 500 `CSMS.0500`.
    pub(crate) fn internal(message: impl Into<String>) -> Self {
        ApiError::new(500, codes::INTERNAL, message)
    }

    /// 401 `APIGW.0301` from the gateway; `detail` follows the fixed prefix.
    pub(crate) fn unauthorized(detail: impl std::fmt::Display) -> Self {
        ApiError {
            status: 401,
            code: codes::GATEWAY_AUTH,
            message: format!("Incorrect IAM authentication information: {detail}"),
            gateway: true,
        }
    }

    /// 401 `APIGW.0307` "The token must be updated." from the gateway: a temporary key
    /// past its expiry.
    pub(crate) fn token_expired() -> Self {
        ApiError {
            status: 401,
            code: codes::TOKEN_EXPIRED,
            message: "The token must be updated.".into(),
            gateway: true,
        }
    }

    /// The response body.
    pub(crate) fn body(&self, request_id: &str) -> Value {
        if self.gateway {
            json!({"error_code": self.code, "error_msg": self.message, "request_id": request_id})
        } else {
            json!({"error": {"error_code": self.code, "error_msg": self.message}})
        }
    }
}

/// A handler's result.
pub(crate) type ApiResult<T> = Result<T, ApiError>;
