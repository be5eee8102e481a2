//! Authentication as the API gateway does it: an IAM token (`X-Auth-Token`), or an
//! AK/SK signature checked with the core's verifier, with `X-Sdk-Date` at most 15 minutes
//! away from the server's clock.

use crate::config::{Credential, Token};
use crate::errors::ApiError;
use crate::http::WireRequest;
use csms_core::{parse_authorization, AccessKey, HttpRequest, SdkDate, Verifier, VerifyError};

/// How far `X-Sdk-Date` may be from the server's clock, in seconds.
pub(crate) const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// Who made a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Caller {
    /// The project of the credential.
    pub project_id: String,
}

/// The accepted credentials.
#[derive(Debug, Clone, Default)]
pub(crate) struct Authenticator {
    credentials: Vec<Credential>,
    /// One verifier per credential, in the same order (they keep the keys they derive).
    verifiers: Vec<Verifier>,
    tokens: Vec<Token>,
}

impl Authenticator {
    /// Accepts these keys and tokens.
    pub(crate) fn new(credentials: Vec<Credential>, tokens: Vec<Token>) -> Self {
        let verifiers = credentials.iter().map(|c| Verifier::new(AccessKey::new(c.ak.clone(), c.sk.clone()))).collect();
        Authenticator { credentials, verifiers, tokens }
    }

    /// Checks `request` at the server time `now_ms`. `target` is its path and query (in
    /// origin form); `host` stands in for a missing `Host`.
    pub(crate) fn authenticate(
        &self,
        request: &WireRequest,
        target: &str,
        now_ms: i64,
        host: &str,
    ) -> Result<Caller, ApiError> {
        if let Some(token) = request.header("x-auth-token") {
            return self
                .tokens
                .iter()
                .find(|t| constant_time_eq(t.token.as_bytes(), token.as_bytes()))
                .map(|t| Caller { project_id: t.project_id.clone() })
                .ok_or_else(|| ApiError::unauthorized("the token in X-Auth-Token is invalid or expired"));
        }
        let Some(authorization) = request.header("authorization") else {
            return Err(ApiError::unauthorized("no Authorization header and no X-Auth-Token; sign the request"));
        };
        let parsed = parse_authorization(authorization)
            .map_err(|e| ApiError::unauthorized(format!("cannot read the Authorization header: {e}")))?;
        let index = self.credentials.iter().position(|c| c.ak == parsed.access_key_id).ok_or_else(|| {
            ApiError::unauthorized(format!("the access key id `{}` is unknown", parsed.access_key_id))
        })?;

        let sdk_date = request.header("x-sdk-date").unwrap_or("");
        let signed_at = SdkDate::parse(sdk_date.trim()).map_err(|_| {
            ApiError::unauthorized(format!("X-Sdk-Date `{sdk_date}` is missing or not YYYYMMDDTHHMMSSZ"))
        })?;
        let now = SdkDate::from_unix(now_ms.div_euclid(1000));
        if (signed_at.unix_seconds() - now.unix_seconds()).abs() > MAX_SKEW_SECONDS {
            return Err(ApiError::unauthorized(format!(
                "signature expired, signature time:{signed_at},server time:{now}"
            )));
        }

        let host = request.header("host").unwrap_or(host);
        let mut http = HttpRequest::new(request.method.clone(), format!("http://{host}{target}"));
        http.headers = request.headers.clone();
        http.body = request.body.clone();
        match self.verifiers[index].verify(&http) {
            Ok(_) => Ok(Caller { project_id: self.credentials[index].project_id.clone() }),
            Err(VerifyError::SignatureMismatch { canonical_request, string_to_sign }) => {
                Err(ApiError::unauthorized(format!(
                    "verify aksk signature fail; the server's canonical request was {canonical_request:?} \
                     and its string to sign {string_to_sign:?}"
                )))
            }
            Err(e) => Err(ApiError::unauthorized(e)),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
