//! Authentication as the API gateway does it: an IAM token (`X-Auth-Token`), or an
//! AK/SK signature checked with the core's [`Verifier::verify_at`] at the server's clock:
//! `X-Sdk-Date` at most 15 minutes away, `host` and `x-sdk-date` signed, the payload hash
//! the body's unless a signed content-hash header says otherwise as the official SDKs do.

use crate::config::{Credential, Token};
use crate::errors::ApiError;
use crate::http::WireRequest;
use crate::random::Rng;
use crate::service::lock;
use csms_core::{parse_authorization, AccessKey, HttpRequest, SdkDate, Verifier, VerifyError};
use std::sync::Mutex;

/// The most temporary keys kept at once (the oldest are forgotten first).
const MAX_TEMPORARY_KEYS: usize = 1024;

/// A temporary key issued by the metadata endpoints (`--metadata`).
#[derive(Clone)]
pub(crate) struct TemporaryKey {
    /// The access key id.
    pub ak: String,
    /// The secret access key.
    pub sk: String,
    /// The security token every request made with it must carry, signed.
    pub security_token: String,
    /// The project of its requests.
    pub project_id: String,
    /// When it stops working (server clock, ms since the epoch).
    pub expires_ms: i64,
}

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
    /// Temporary keys issued by the metadata endpoints, each with its verifier.
    temporary: TemporaryKeys,
}

impl std::fmt::Debug for TemporaryKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryKey")
            .field("ak", &self.ak)
            .field("sk", &"***")
            .field("security_token", &"***")
            .field("project_id", &self.project_id)
            .field("expires_ms", &self.expires_ms)
            .finish()
    }
}

/// The temporary keys issued so far (their verifiers keep the keys they derive).
#[derive(Debug, Default)]
struct TemporaryKeys(Mutex<Vec<(TemporaryKey, Verifier)>>);

impl Clone for TemporaryKeys {
    fn clone(&self) -> Self {
        TemporaryKeys(Mutex::new(lock(&self.0).clone()))
    }
}

impl Authenticator {
    /// Accepts these keys and tokens.
    pub(crate) fn new(credentials: Vec<Credential>, tokens: Vec<Token>) -> Self {
        let verifiers = credentials.iter().map(|c| Verifier::new(AccessKey::new(c.ak.clone(), c.sk.clone()))).collect();
        Authenticator { credentials, verifiers, tokens, temporary: TemporaryKeys::default() }
    }

    /// Issues a temporary key (random AK, SK and security token) for `project_id`, valid
    /// until `expires_ms` on the server clock.
    pub(crate) fn issue_temporary(&self, project_id: &str, expires_ms: i64, rng: &Rng) -> TemporaryKey {
        let alphabet: Vec<char> = ('A'..='Z').chain('0'..='9').collect();
        let key = TemporaryKey {
            ak: format!("TMP{}", rng.string_from(&alphabet, 17)),
            sk: rng.string_from(&alphabet, 40),
            security_token: format!("emulator-token-{}{}", rng.hex32(), rng.hex32()),
            project_id: project_id.to_owned(),
            expires_ms,
        };
        let access = AccessKey::new(key.ak.clone(), key.sk.clone()).with_security_token(key.security_token.clone());
        let mut keys = lock(&self.temporary.0);
        if keys.len() >= MAX_TEMPORARY_KEYS {
            keys.sort_by_key(|(k, _)| k.expires_ms);
            keys.remove(0);
        }
        keys.push((key.clone(), Verifier::new(access)));
        key
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
        let host = request.header("host").unwrap_or(host);
        let mut http = HttpRequest::new(request.method.clone(), format!("http://{host}{target}"));
        http.headers = request.headers.clone();
        http.body = request.body.clone();
        let now = SdkDate::from_unix(now_ms.div_euclid(1000));
        let Some(index) = self.credentials.iter().position(|c| c.ak == parsed.access_key_id) else {
            let keys = lock(&self.temporary.0);
            let Some((key, verifier)) = keys.iter().find(|(k, _)| k.ak == parsed.access_key_id) else {
                return Err(refusal(VerifyError::UnknownAccessKey(parsed.access_key_id), request));
            };
            if now_ms >= key.expires_ms {
                return Err(ApiError::token_expired());
            }
            return match verifier.verify_at(&http, now) {
                Ok(_) => Ok(Caller { project_id: key.project_id.clone() }),
                Err(e) => Err(refusal(e, request)),
            };
        };
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
