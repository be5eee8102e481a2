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

use super::{holds, provider_error, sources::Lookup, Provided};
use crate::credentials::AccessKey;
use crate::error::Result;
use crate::http::{HttpRequest, HttpResponse};
use crate::secret::SecretString;
use crate::time::SdkDate;
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
/// What the service answers a server without an agency.
const NO_AGENCY: &str = "Please configure Cloud Service Agency first";

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
    response.status == 401 && !holds(&response.body, NO_AGENCY)
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
        let hint = if holds(&response.body, NO_AGENCY) { " (the server has no agency: configure one)" } else { "" };
        return Err(provider_error(PROVIDER, format!("the security key request got status {}{hint}", response.status)));
    }
    let nonsense = |what: &str| provider_error(PROVIDER, format!("the security key answer {what}"));
    // Read as a `Value`, not with derived `Deserialize` types: typed deserialization brings
    // serde's type-mismatch messages, whose float formatting alone is ~14 KB of the npm
    // package's WebAssembly module.
    let mut answer = crate::json::parse(&response.body).map_err(|_| nonsense("is not the expected JSON"))?;
    let provided = security_key(&answer, &nonsense);
    crate::secret::zeroize_json(&mut answer);
    provided
}

/// The temporary key of a security key answer.
fn security_key(answer: &serde_json::Value, nonsense: &impl Fn(&str) -> crate::Error) -> Result<Provided> {
    let key = answer.get("credential").filter(|c| c.is_object()).ok_or_else(|| nonsense("has no `credential`"))?;
    let text = |name: &str| key.get(name).and_then(serde_json::Value::as_str);
    let (Some(access), Some(secret), Some(token), Some(expires)) =
        (text("access"), text("secret"), text("securitytoken"), text("expires_at"))
    else {
        return Err(nonsense("lacks one of `access`, `secret`, `securitytoken`, `expires_at`"));
    };
    let at = parse_iso_time(expires).ok_or_else(|| nonsense("has an `expires_at` that is not a UTC time"))?;
    let key = AccessKey::new(access, SecretString::from(secret)).with_security_token(SecretString::from(token));
    Ok(Provided::new(key).expiring(at))
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
    // Byte by byte (a non-ASCII byte makes a character `parse` refuses): slicing the text
    // would bring a panic path that quotes it.
    let mut compact = String::with_capacity(16);
    for i in [0, 1, 2, 3, 5, 6, 8, 9, 10, 11, 12, 14, 15, 17, 18] {
        compact.push(char::from(b[i]));
    }
    compact.push('Z');
    SdkDate::parse(&compact).ok()
}
