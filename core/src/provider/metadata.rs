//! Temporary keys from the instance metadata service of a cloud server (ECS with an
//! agency), as sans-IO steps, the way the official SDKs fetch them:
//!
//! 1. [`token_request`]: `PUT {endpoint}/meta-data/latest/api/token` with
//!    `X-Metadata-Token-Ttl-Seconds: 21600` (6 hours); [`parse_token`] reads the answer
//!    (a 404, 405 or 503 means the service has no session tokens: go on without one).
//! 2. [`security_key_request`]: `GET {endpoint}/openstack/latest/securitykey` with
//!    `X-Metadata-Token`; [`parse_security_key`] reads
//!    `{"credential": {"access", "secret", "securitytoken", "expires_at"}}`. A 401 that is
//!    not "configure an agency" ([`token_rejected`]) means the session token expired:
//!    get a new one (step 1) and ask once more.
//!
//! Both requests get short timeouts ([`TIMEOUT`], 3 s to connect and 3 s to answer, as the
//! official SDKs): the address only answers on a cloud server, and elsewhere the default
//! chain should move on quickly.
//!
//! The endpoint is `http://169.254.169.254` unless `CSMS_METADATA_ENDPOINT` names another
//! ([`endpoint`]). Test suites set `CSMS_TEST_NO_METADATA=1`: then the default address is
//! refused, so a test that forgot the override fails at once instead of reaching out.

use super::{provider_error, sources::Lookup, Provided};
use crate::credentials::AccessKey;
use crate::error::Result;
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretString;
use crate::time::SdkDate;
use serde::Deserialize;
use std::time::Duration;

/// The metadata service's address on every cloud server.
pub const DEFAULT_ENDPOINT: &str = "http://169.254.169.254";
/// The variable that names another metadata endpoint (tests point it at the emulator).
pub const ENV_ENDPOINT: &str = "CSMS_METADATA_ENDPOINT";
/// The variable that, set to anything non-empty, forbids the default address (test suites
/// set it).
pub const ENV_TEST_GUARD: &str = "CSMS_TEST_NO_METADATA";
/// The path of the session token.
pub const TOKEN_PATH: &str = "/meta-data/latest/api/token";
/// The path of the temporary keys.
pub const SECURITY_KEY_PATH: &str = "/openstack/latest/securitykey";
/// The header that carries the session token.
pub const TOKEN_HEADER: &str = "X-Metadata-Token";
/// The header that asks for a session token's lifetime.
pub const TOKEN_TTL_HEADER: &str = "X-Metadata-Token-Ttl-Seconds";
/// The session token's lifetime asked for: 6 hours, as the official SDKs.
pub const TOKEN_TTL_SECONDS: u32 = 6 * 3600;
/// The connect timeout, and the timeout of each answer, of both requests: 3 seconds.
pub const TIMEOUT: Duration = Duration::from_secs(3);
/// The provider's name in errors.
pub const PROVIDER: &str = "metadata";

/// The metadata endpoint: `CSMS_METADATA_ENDPOINT`, else [`DEFAULT_ENDPOINT`], which is
/// refused (an [`Error::Credentials`](crate::Error::Credentials)) when `CSMS_TEST_NO_METADATA` is set.
pub fn endpoint(lookup: &impl Lookup) -> Result<String> {
    if let Some(endpoint) = lookup(ENV_ENDPOINT).filter(|e| !e.is_empty()) {
        return Ok(endpoint.trim_end_matches('/').to_owned());
    }
    check_not_guarded(DEFAULT_ENDPOINT, lookup(ENV_TEST_GUARD).is_some_and(|v| !v.is_empty()))?;
    Ok(DEFAULT_ENDPOINT.to_owned())
}

/// Refuses the real metadata address when `guarded` (under tests).
pub fn check_not_guarded(endpoint: &str, guarded: bool) -> Result<()> {
    if guarded && endpoint.trim_end_matches('/') == DEFAULT_ENDPOINT {
        return Err(provider_error(
            PROVIDER,
            format!("{ENV_TEST_GUARD} is set and {ENV_ENDPOINT} is not: refusing to contact {DEFAULT_ENDPOINT}"),
        ));
    }
    Ok(())
}

/// Step 1: the request for a session token.
pub fn token_request(endpoint: &str) -> HttpRequest {
    let mut request = HttpRequest::new("PUT", format!("{}{TOKEN_PATH}", endpoint.trim_end_matches('/')));
    request.set_header(TOKEN_TTL_HEADER, TOKEN_TTL_SECONDS.to_string());
    request
}

/// The answer to step 1: the session token (200), `None` when the service has none
/// (404, 405, 503: ask without one), an error otherwise.
pub fn parse_token(response: &HttpResponse) -> Result<Option<SecretString>> {
    match response.status {
        200 => {
            let token = String::from_utf8_lossy(&response.body).trim().to_owned();
            if token.is_empty() {
                return Err(provider_error(PROVIDER, "the session token answer is empty"));
            }
            Ok(Some(SecretString::from(token)))
        }
        404 | 405 | 503 => Ok(None),
        status => Err(provider_error(PROVIDER, format!("the session token request got status {status}"))),
    }
}

/// Step 2: the request for the temporary keys, with the session token if there is one.
pub fn security_key_request(endpoint: &str, token: Option<&SecretString>) -> HttpRequest {
    let mut request = HttpRequest::new("GET", format!("{}{SECURITY_KEY_PATH}", endpoint.trim_end_matches('/')));
    if let Some(token) = token {
        request.set_header(TOKEN_HEADER, token.expose());
    }
    request
}

/// Whether the answer to step 2 says the session token was refused (a 401 that is not
/// "Please configure Cloud Service Agency first"): get a new one and ask again, once.
pub fn token_rejected(response: &HttpResponse) -> bool {
    response.status == 401
        && !String::from_utf8_lossy(&response.body).contains("Please configure Cloud Service Agency first")
}

#[derive(Deserialize)]
struct Answer {
    credential: Option<Key>,
}

#[derive(Deserialize)]
struct Key {
    access: Option<String>,
    secret: Option<SecretString>,
    securitytoken: Option<SecretString>,
    expires_at: Option<String>,
}

/// The answer to step 2: the temporary key and its expiry. Any status but 200, or a body
/// without `credential.access`, `secret`, `securitytoken` and `expires_at`, is an
/// [`Error::Credentials`](crate::Error::Credentials) naming the provider `metadata` (never quoting the body).
///
/// ```
/// use csms_core::provider::metadata::parse_security_key;
/// use csms_core::HttpResponse;
/// let body = r#"{"credential": {"access": "AK", "secret": "SK", "securitytoken": "T",
///     "expires_at": "2026-01-08T03:50:07.574000Z"}}"#;
/// let provided = parse_security_key(&HttpResponse::new(200, vec![], body)).unwrap();
/// assert_eq!(provided.expires_at.unwrap().to_string(), "20260108T035007Z");
/// ```
pub fn parse_security_key(response: &HttpResponse) -> Result<Provided> {
    if response.status != 200 {
        let hint = if String::from_utf8_lossy(&response.body).contains("Please configure Cloud Service Agency first") {
            " (the server has no agency: configure one)"
        } else {
            ""
        };
        return Err(provider_error(PROVIDER, format!("the security key request got status {}{hint}", response.status)));
    }
    let nonsense = |what: &str| provider_error(PROVIDER, format!("the security key answer {what}"));
    let answer: Answer = serde_json::from_slice(&response.body).map_err(|_| nonsense("is not the expected JSON"))?;
    let key = answer.credential.ok_or_else(|| nonsense("has no `credential`"))?;
    let (Some(access), Some(secret), Some(token), Some(expires)) =
        (key.access, key.secret, key.securitytoken, key.expires_at)
    else {
        return Err(nonsense("lacks one of `access`, `secret`, `securitytoken`, `expires_at`"));
    };
    let at = parse_iso_time(&expires)
        .ok_or_else(|| nonsense(&format!("has an `expires_at` that is not a UTC time: {expires:?}")))?;
    Ok(Provided::new(AccessKey::new(access, secret).with_security_token(token)).expiring(at))
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (the fraction dropped).
fn parse_iso_time(text: &str) -> Option<SdkDate> {
    let b = text.as_bytes();
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b.last() == Some(&b'Z')
        && (b.len() == 20 || (b[19] == b'.' && b.len() > 21 && b[20..b.len() - 1].iter().all(u8::is_ascii_digit)));
    if !shape {
        return None;
    }
    let compact =
        format!("{}{}{}T{}{}{}Z", &text[0..4], &text[5..7], &text[8..10], &text[11..13], &text[14..16], &text[17..19]);
    SdkDate::parse(&compact).ok()
}
