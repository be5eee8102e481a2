//! Authentication as the API gateway does it: an IAM token (`X-Auth-Token`), or an
//! AK/SK signature checked with the core's [`Verifier::verify_at`] at the server's clock:
//! `X-Sdk-Date` at most 15 minutes away, `host` and `x-sdk-date` signed, the payload hash
//! the body's unless a signed content-hash header says otherwise as the official SDKs do.

use crate::config::{Credential, Token};
use crate::errors::ApiError;
use crate::http::WireRequest;
use csms_core::{parse_authorization, AccessKey, HttpRequest, SdkDate, Verifier, VerifyError};

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
        let parsed = parse_authorization(authorization).map_err(|e| refusal(e, request))?;
        let Some(index) = self.credentials.iter().position(|c| c.ak == parsed.access_key_id) else {
            return Err(refusal(VerifyError::UnknownAccessKey(parsed.access_key_id), request));
        };
        let host = request.header("host").unwrap_or(host);
        let mut http = HttpRequest::new(request.method.clone(), format!("http://{host}{target}"));
        http.headers = request.headers.clone();
        http.body = request.body.clone();
        let now = SdkDate::from_unix(now_ms.div_euclid(1000));
        match self.verifiers[index].verify_at(&http, now) {
            Ok(_) => Ok(Caller { project_id: self.credentials[index].project_id.clone() }),
            Err(e) => Err(refusal(e, request)),
        }
    }
}

/// The gateway's answer (401 `APIGW.0301`) to a request the verifier refused. Each
/// [`VerifyError`] says why in its own words; an expired date reads as the gateway's
/// `signature expired, signature time:...,server time:...`.
fn refusal(e: VerifyError, request: &WireRequest) -> ApiError {
    match e {
        VerifyError::Malformed(_) => ApiError::unauthorized(format!("cannot read the Authorization header: {e}")),
        VerifyError::BadDate => {
            let sdk_date = request.header("x-sdk-date").unwrap_or("");
            ApiError::unauthorized(format!("X-Sdk-Date `{sdk_date}` is missing or not YYYYMMDDTHHMMSSZ"))
        }
        VerifyError::SignatureMismatch { canonical_request, string_to_sign } => ApiError::unauthorized(format!(
            "verify aksk signature fail; the server's canonical request was {canonical_request:?} \
             and its string to sign {string_to_sign:?}"
        )),
        e => ApiError::unauthorized(e),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
