//! Where requests go and who signs them.

use crate::credentials::{AccessKey, Credentials};
use crate::error::{Error, Result};
use crate::secret::SecretString;
use crate::signer::Algorithm;
use crate::util::quoted;
use serde_json::Value;
use std::num::NonZeroU64;
use std::time::Duration;

/// The regions the official SDK lists for CSMS. Any other region name is accepted too:
/// the endpoint always follows `https://kms.{region}.myhuaweicloud.com`.
pub const REGIONS: [&str; 30] = [
    "cn-north-4",
    "cn-north-1",
    "cn-north-2",
    "cn-north-9",
    "cn-east-2",
    "cn-east-3",
    "cn-south-1",
    "cn-southwest-2",
    "ap-southeast-1",
    "ap-southeast-3",
    "ap-southeast-4",
    "la-south-2",
    "sa-brazil-1",
    "la-north-2",
    "ap-southeast-2",
    "na-mexico-1",
    "cn-south-2",
    "me-east-1",
    "tr-west-1",
    "ae-ad-1",
    "my-kualalumpur-1",
    "ru-moscow-1",
    "cn-east-5",
    "cn-east-4",
    "ap-southeast-5",
    "cn-north-12",
    "cn-north-11",
    "af-north-1",
    "cn-southwest-3",
    "af-south-1",
];

/// The largest clock offset a client learns from a server by default: 24 hours (see
/// [`Config::max_clock_offset`]).
pub const MAX_CLOCK_OFFSET: Duration = Duration::from_secs(24 * 3600);
/// The default limit on the body of a response that the default transports read: 16 MiB
/// (`max_response_bytes` of [`ClientOptions`], and `HttpClient::with_max_response_bytes` with
/// the feature `reqwest`).
/// A longer body ends the attempt with [`Error::response_too_large`] as soon as it passes
/// the limit.
pub const MAX_RESPONSE_BYTES: u64 = 16 * 1024 * 1024;

/// [`MAX_RESPONSE_BYTES`] as a `NonZeroU64`.
pub(crate) const DEFAULT_LIMIT: NonZeroU64 = match NonZeroU64::new(MAX_RESPONSE_BYTES) {
    Some(limit) => limit,
    None => panic!("MAX_RESPONSE_BYTES is 0"),
};

/// The user agent sent by default (Rust; each binding sets its own).
pub const DEFAULT_USER_AGENT: &str = concat!("csms-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// The endpoint of a region: `https://kms.{region}.myhuaweicloud.com` (CSMS is served on
/// the KMS host).
///
/// ```
/// assert_eq!(csms_core::region_endpoint("cn-north-4").unwrap(), "https://kms.cn-north-4.myhuaweicloud.com");
/// assert!(csms_core::region_endpoint("cn north").is_err());
/// ```
pub fn region_endpoint(region: &str) -> Result<String> {
    let valid = !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-');
    if !valid {
        return Err(Error::validation(
            "region",
            format!("`{region}` is not a region name (lower-case letters, digits and `-`, such as cn-north-4)"),
        ));
    }
    Ok(format!("https://kms.{region}.myhuaweicloud.com"))
}

/// Checks an explicit endpoint (`https://host[:port]` or `http://host[:port]`) and returns
/// it without surrounding spaces or a trailing `/`.
fn check_endpoint(endpoint: &str) -> Result<&str> {
    let trimmed = endpoint.trim().trim_end_matches('/');
    let authority = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://"));
    match authority.map_or(Err("no https:// or http://"), |a| check_authority(a.as_bytes())) {
        Ok(()) => Ok(trimmed),
        Err(why) => Err(Error::validation(
            "endpoint",
            format!("{} is not an endpoint of the form https://host[:port]: {why}", quoted(endpoint, '`')),
        )),
    }
}

/// Checks `host[:port]`: a host name or IPv4 address (see [`check_host`]) or an IPv6
/// address in brackets, then an optional port from 1 to 65535. The error says what is wrong.
/// (Byte loops throughout: string searches are large code in the WebAssembly build.)
fn check_authority(authority: &[u8]) -> Result<(), &'static str> {
    // Where the host ends.
    let mut end = 0;
    if let [b'[', inside @ ..] = authority {
        while end < inside.len() && inside[end] != b']' {
            end += 1;
        }
        if end == inside.len() || !is_ipv6(&inside[..end]) {
            return Err("no IPv6 address between `[` and `]`");
        }
        end += 2;
    } else {
        while end < authority.len() && authority[end] != b':' {
            end += 1;
        }
        check_host(&authority[..end])?;
    }
    match &authority[end..] {
        [] => Ok(()),
        [b':', port @ ..] if is_number_in(port, 1, 65_535) => Ok(()),
        _ => Err("the port must be a number from 1 to 65535"),
    }
}

/// Checks a host written without brackets: letters, digits, `-`, `.` and `_`; and, as URL
/// parsers read it, an IPv4 address when its last label is all digits (`10.0.0.1`, not
/// `3scale` or `host-1`).
fn check_host(host: &[u8]) -> Result<(), &'static str> {
    if host.is_empty() {
        return Err("the host is empty");
    }
    for &c in host {
        if !(c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_') {
            return Err("the host may hold only letters, digits, `-`, `.` and `_`");
        }
    }
    let name = match host {
        [name @ .., b'.'] => name,
        _ => host,
    };
    let mut last = name.len();
    while last > 0 && name[last - 1] != b'.' {
        last -= 1;
    }
    let numeric = last < name.len() && name[last..].iter().all(u8::is_ascii_digit);
    if numeric && !is_ipv4(name) {
        return Err("a host ending in a number must be an IPv4 address");
    }
    Ok(())
}

/// Whether `text` is one to five decimal digits (no sign) whose value is in `min..=max`.
fn is_number_in(text: &[u8], min: u32, max: u32) -> bool {
    let mut value = 0;
    for &c in text {
        if !c.is_ascii_digit() {
            return false;
        }
        value = value * 10 + u32::from(c - b'0');
    }
    (1..=5).contains(&text.len()) && (min..=max).contains(&value)
}

/// Whether `text` is an IPv4 address: four numbers from 0 to 255, without leading zeros.
fn is_ipv4(text: &[u8]) -> bool {
    let (mut parts, mut start) = (0, 0);
    for end in 0..=text.len() {
        if end == text.len() || text[end] == b'.' {
            let part = &text[start..end];
            if !is_number_in(part, 0, 255) || (part.len() > 1 && part[0] == b'0') {
                return false;
            }
            parts += 1;
            start = end + 1;
        }
    }
    parts == 4
}

/// Whether `text` is an IPv6 address (RFC 4291): eight groups of one to four hex digits
/// separated by `:`, with `::` once in place of one or more groups, and the last two groups
/// possibly written as an IPv4 address.
fn is_ipv6(text: &[u8]) -> bool {
    let (mut groups, mut compressed, mut i) = (0, false, 0);
    if text.starts_with(b"::") {
        compressed = true;
        i = 2;
    }
    while i < text.len() {
        let start = i;
        while i < text.len() && text[i].is_ascii_hexdigit() {
            i += 1;
        }
        if text.get(i) == Some(&b'.') {
            // An IPv4 address ends the text.
            if !is_ipv4(&text[start..]) {
                return false;
            }
            groups += 2;
            break;
        }
        if !(1..=4).contains(&(i - start)) {
            return false;
        }
        groups += 1;
        match &text[i..] {
            [] => {}
            [b':', b':', ..] if !compressed => {
                compressed = true;
                i += 2;
            }
            [b':', _, ..] => i += 1,
            _ => return false,
        }
    }
    if compressed {
        groups <= 7
    } else {
        groups == 8
    }
}

/// Checks a value sent as it is in an HTTP header: not empty, and only visible ASCII
/// (`!` to `~`), plus spaces when `spaces` is set (a user agent). The error never quotes
/// the value, which may be a secret.
pub(crate) fn check_header_value(field: &str, value: &str, spaces: bool) -> Result<()> {
    if value.is_empty() {
        return Err(Error::validation(field, "is empty"));
    }
    for b in value.bytes() {
        let allowed = (b'!'..=b'~').contains(&b) || (spaces && b == b' ');
        if !allowed {
            return Err(Error::validation(
                field,
                "may hold only visible ASCII characters (and spaces in a user agent): it is sent in an HTTP header",
            ));
        }
    }
    Ok(())
}

/// Checks a project id, which is sent as `X-Project-Id` and is a segment of most paths.
/// An empty one is allowed here: the operations whose path needs it refuse to build.
fn check_project_id(project_id: &str) -> Result<()> {
    if project_id.is_empty() {
        return Ok(());
    }
    check_header_value("project_id", project_id, false)?;
    let in_path = project_id.bytes().all(|b| b != b'/' && b != b'?' && b != b'#');
    if !in_path || matches!(project_id, "." | "..") {
        let reason = "must not be `.` or `..` or hold `/`, `?` or `#` (it is part of the path)";
        return Err(Error::validation("project_id", reason));
    }
    Ok(())
}

/// A client's configuration.
///
/// ```
/// use csms_core::{AccessKey, Algorithm, Config};
/// let config = Config::for_region("cn-north-4", "project-id", AccessKey::new("AK", "SK"))
///     .unwrap()
///     .with_algorithm(Algorithm::HmacSm3);
/// assert_eq!(config.endpoint, "https://kms.cn-north-4.myhuaweicloud.com");
///
/// let local = Config::for_endpoint("http://127.0.0.1:8080", "project-id", AccessKey::new("AK", "SK")).unwrap();
/// assert_eq!(local.region, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `https://host[:port]`, no trailing slash.
    pub endpoint: String,
    /// The region, when known (V11-HMAC-SHA256 needs it).
    pub region: Option<String>,
    /// The project id, substituted for `{project_id}` and sent as `X-Project-Id`.
    pub project_id: String,
    /// Access key or IAM token.
    pub credentials: Credentials,
    /// Signing algorithm (ignored with a token).
    pub algorithm: Algorithm,
    /// Service name in V11-HMAC-SHA256 key derivation; `csms` by default.
    pub derived_service: String,
    /// The `User-Agent` header, or `None` to send none (browsers forbid setting it).
    pub user_agent: Option<String>,
    /// The largest offset between the server's clock and the caller's that a client learns
    /// from a signature refused for its time ([`MAX_CLOCK_OFFSET`], 24 h, by default; zero
    /// turns the correction off). A server whose clock is further off is not followed: the
    /// call ends with the refusal, saying why in its `not_retried`.
    pub max_clock_offset: Duration,
}

impl Config {
    /// A configuration for a region's public endpoint.
    pub fn for_region(
        region: &str,
        project_id: impl Into<String>,
        credentials: impl Into<Credentials>,
    ) -> Result<Self> {
        let mut config = Config::for_endpoint(&region_endpoint(region)?, project_id, credentials)?;
        config.region = Some(region.to_owned());
        Ok(config)
    }

    /// A configuration for an explicit endpoint, such as a local emulator's `http://127.0.0.1:PORT`.
    /// The endpoint is checked here; the other members when a client is made of it
    /// ([`Config::validate`]).
    pub fn for_endpoint(
        endpoint: &str,
        project_id: impl Into<String>,
        credentials: impl Into<Credentials>,
    ) -> Result<Self> {
        Ok(Config {
            endpoint: check_endpoint(endpoint)?.to_owned(),
            region: None,
            project_id: project_id.into(),
            credentials: credentials.into(),
            algorithm: Algorithm::HmacSha256,
            derived_service: "csms".to_owned(),
            user_agent: Some(DEFAULT_USER_AGENT.to_owned()),
            max_clock_offset: MAX_CLOCK_OFFSET,
        })
    }

    /// The same configuration with another signing algorithm.
    pub fn with_algorithm(mut self, algorithm: Algorithm) -> Self {
        self.algorithm = algorithm;
        self
    }

    /// The same configuration with `suffix` appended to the user agent (`csms-sdk-rust/0.1.0; suffix`).
    /// The result is checked when a client is made of it ([`Config::validate`]).
    pub fn with_user_agent_suffix(mut self, suffix: &str) -> Self {
        let base = self.user_agent.take().unwrap_or_else(|| DEFAULT_USER_AGENT.to_owned());
        self.user_agent = Some(format!("{base}; {suffix}"));
        self
    }

    /// The same configuration with another bound on the clock offset learnt from the server
    /// ([`Config::max_clock_offset`]).
    pub fn with_max_clock_offset(mut self, bound: Duration) -> Self {
        self.max_clock_offset = bound;
        self
    }

    /// The same configuration with the region set (for V11-HMAC-SHA256 with an explicit endpoint).
    pub fn with_region(mut self, region: &str) -> Result<Self> {
        region_endpoint(region)?;
        self.region = Some(region.to_owned());
        Ok(self)
    }

    /// Checks every member that ends up in a request: the endpoint (`endpoint`), the
    /// project id (`project_id`: header-safe, not `.` or `..`), the
    /// user agent (`user_agent`), the V11 service name (`derived_service`) and the
    /// credentials (`credentials.ak`, `credentials.sk`, `credentials.security_token`,
    /// `credentials.auth_token`). [`Client::new`](crate::Client::new) calls it, since the
    /// members can also be set directly. Errors never quote a secret.
    ///
    /// ```
    /// use csms_core::{AccessKey, Config, Error};
    /// let mut config = Config::for_endpoint("http://127.0.0.1:8080", "p", AccessKey::new("AK", "SK")).unwrap();
    /// assert!(config.validate().is_ok());
    /// config.project_id = "..".into();
    /// assert!(matches!(config.validate(), Err(Error::Validation { ref field, .. }) if field == "project_id"));
    /// ```
    pub fn validate(&self) -> Result<()> {
        check_endpoint(&self.endpoint)?;
        check_project_id(&self.project_id)?;
        if let Some(agent) = &self.user_agent {
            check_header_value("user_agent", agent, true)?;
        }
        check_header_value("derived_service", &self.derived_service, false)?;
        self.credentials.validate()
    }
}

/// Client options as every binding receives them from its host language, with wire-style
/// names. Bindings turn their native options into this and call [`ClientOptions::into_config`],
/// so that every language checks them the same way.
///
/// Read from JSON by [`ClientOptions::from_json`] (see its example).
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Region id; the endpoint follows from it unless `endpoint` is given.
    pub region: Option<String>,
    /// Explicit endpoint.
    pub endpoint: Option<String>,
    /// Project id.
    pub project_id: Option<String>,
    /// Access key or token.
    pub credentials: Option<CredentialOptions>,
    /// Algorithm name, `SDK-HMAC-SHA256` by default.
    pub algorithm: Option<String>,
    /// Full user agent (the binding's own), or a suffix appended to it.
    pub user_agent: Option<String>,
    /// Service name for V11-HMAC-SHA256.
    pub derived_service: Option<String>,
    /// [`Config::max_clock_offset`] in milliseconds (JSON: `max_clock_offset_ms`, a whole
    /// number from 0); 24 h when absent.
    pub max_clock_offset_ms: Option<u64>,
    /// The longest response body the binding's default transport reads
    /// ([`ClientOptions::response_limit`]). Not part of the [`Config`]: the limit is the
    /// transport's.
    pub max_response_bytes: Option<NonZeroU64>,
}

/// Credentials as bindings receive them: `ak` + `sk` (+ `security_token`), or `auth_token`.
#[derive(Debug, Clone, Default)]
pub struct CredentialOptions {
    /// Access key id.
    pub ak: Option<String>,
    /// Secret access key.
    pub sk: Option<SecretString>,
    /// Security token of a temporary access key.
    pub security_token: Option<SecretString>,
    /// IAM token, sent as `X-Auth-Token`.
    pub auth_token: Option<SecretString>,
}

impl CredentialOptions {
    /// The credentials, or a validation error naming the member at fault when their shape
    /// is wrong (a member missing, or both a key and a token). Their values are checked by
    /// [`Credentials::validate`], which [`ClientOptions::into_config`] calls.
    pub fn into_credentials(self) -> Result<Credentials> {
        match (self.ak, self.sk, self.auth_token) {
            (None, None, Some(token)) if self.security_token.is_none() => Ok(Credentials::Token(token)),
            (_, _, Some(_)) => {
                Err(Error::validation("credentials.auth_token", "give either ak and sk, or auth_token, not both"))
            }
            (Some(ak), Some(sk), None) => {
                let key = AccessKey::new(ak, sk);
                Ok(Credentials::AccessKey(match self.security_token {
                    Some(t) => key.with_security_token(t),
                    None => key,
                }))
            }
            (None, _, None) => Err(Error::validation("credentials.ak", "is required (or give auth_token)")),
            (Some(_), None, None) => Err(Error::validation("credentials.sk", "is required")),
        }
    }
}

/// A member that must be text: `null` counts as absent.
fn text_member(value: &Value, field: &str) -> Result<Option<String>> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(Error::validation(field, "must be a string")),
    }
}

/// A member that must be a whole number above 0: `null` counts as absent.
fn positive_member(value: &Value, field: &str) -> Result<Option<NonZeroU64>> {
    match value {
        Value::Null => Ok(None),
        _ => value
            .as_u64()
            .and_then(NonZeroU64::new)
            .map(Some)
            .ok_or_else(|| Error::validation(field, "must be a whole number above 0")),
    }
}

/// The members of an object (`null` has none).
fn members_of<'a>(value: &'a Value, field: &str) -> Result<impl Iterator<Item = (&'a String, &'a Value)>> {
    match value {
        Value::Object(map) => Ok(Some(map.iter()).into_iter().flatten()),
        Value::Null => Ok(None.into_iter().flatten()),
        _ => Err(Error::validation(field, "must be an object")),
    }
}

impl ClientOptions {
    /// The options from a JSON object with their wire names (the one way every binding
    /// reads them): `null` counts as absent, and an unknown member or a value that is not
    /// text is refused, naming the member (`credentials.sk`); `max_clock_offset_ms` is a
    /// whole number from 0, `max_response_bytes` one above 0.
    ///
    /// ```
    /// use serde_json::json;
    /// let options = csms_core::ClientOptions::from_json(&json!({
    ///     "endpoint": "http://127.0.0.1:8080", "project_id": "p", "credentials": {"ak": "AK", "sk": "SK"}
    /// })).unwrap();
    /// assert_eq!(options.into_config().unwrap().endpoint, "http://127.0.0.1:8080");
    /// let err = csms_core::ClientOptions::from_json(&json!({"credentials": {"sk": 5}})).unwrap_err();
    /// assert!(matches!(err, csms_core::Error::Validation { ref field, .. } if field == "credentials.sk"));
    /// ```
    pub fn from_json(value: &Value) -> Result<Self> {
        let mut options = ClientOptions::default();
        for (key, v) in members_of(value, "options")? {
            let slot = match key.as_str() {
                "credentials" => {
                    let mut credentials = CredentialOptions::default();
                    for (key, v) in members_of(v, "credentials")? {
                        let field = format!("credentials.{key}");
                        let text = text_member(v, &field)?;
                        match key.as_str() {
                            "ak" => credentials.ak = text,
                            "sk" => credentials.sk = text.map(SecretString::from),
                            "security_token" => credentials.security_token = text.map(SecretString::from),
                            "auth_token" => credentials.auth_token = text.map(SecretString::from),
                            _ => return Err(Error::validation(field, "unknown option")),
                        }
                    }
                    options.credentials = Some(credentials).filter(|_| !v.is_null());
                    continue;
                }
                "max_clock_offset_ms" => {
                    options.max_clock_offset_ms = match v {
                        Value::Null => None,
                        _ => Some(v.as_u64().ok_or_else(|| {
                            Error::validation("max_clock_offset_ms", "must be a whole number of milliseconds from 0")
                        })?),
                    };
                    continue;
                }
                "max_response_bytes" => {
                    options.max_response_bytes = positive_member(v, key)?;
                    continue;
                }
                "region" => &mut options.region,
                "endpoint" => &mut options.endpoint,
                "project_id" => &mut options.project_id,
                "algorithm" => &mut options.algorithm,
                "user_agent" => &mut options.user_agent,
                "derived_service" => &mut options.derived_service,
                _ => return Err(Error::validation(key.as_str(), "unknown option")),
            };
            *slot = text_member(v, key)?;
        }
        Ok(options)
    }

    /// Checks the options and makes a [`Config`]. `default_user_agent` is the binding's
    /// own user agent (`csms-sdk-python/0.1.0`, ...).
    pub fn into_config_with_agent(self, default_user_agent: Option<&str>) -> Result<Config> {
        let credentials =
            self.credentials.ok_or_else(|| Error::validation("credentials", "is required"))?.into_credentials()?;
        let project_id = self.project_id.filter(|id| !id.is_empty());
        let project_id = project_id.ok_or_else(|| Error::validation("project_id", "is required"))?;
        let mut config = match (&self.endpoint, &self.region) {
            (Some(endpoint), region) => {
                let config = Config::for_endpoint(endpoint, project_id, credentials)?;
                match region {
                    Some(r) => config.with_region(r)?,
                    None => config,
                }
            }
            (None, Some(region)) => Config::for_region(region, project_id, credentials)?,
            (None, None) => return Err(Error::validation("region", "give a region or an endpoint")),
        };
        if let Some(name) = self.algorithm {
            config.algorithm = name.parse()?;
        }
        if let Some(service) = self.derived_service {
            config.derived_service = service;
        }
        if let Some(ms) = self.max_clock_offset_ms {
            config.max_clock_offset = Duration::from_millis(ms);
        }
        config.user_agent = default_user_agent.map(str::to_owned);
        if let Some(ua) = self.user_agent {
            config = config.with_user_agent_suffix(&ua);
        }
        config.validate()?;
        Ok(config)
    }

    /// The limit on response bodies the options ask for: `max_response_bytes`, else
    /// [`MAX_RESPONSE_BYTES`].
    pub fn response_limit(&self) -> NonZeroU64 {
        self.max_response_bytes.unwrap_or(DEFAULT_LIMIT)
    }

    /// [`ClientOptions::into_config_with_agent`] with the Rust user agent.
    pub fn into_config(self) -> Result<Config> {
        self.into_config_with_agent(Some(DEFAULT_USER_AGENT))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::Client;
    use serde_json::json;

    fn field_of(result: Result<impl std::fmt::Debug>) -> String {
        match result {
            Err(Error::Validation { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_clock_offset_bound_is_read_from_json_in_milliseconds() {
        let base =
            serde_json::json!({"region": "cn-north-4", "project_id": "p", "credentials": {"ak": "A", "sk": "S"}});
        let config = ClientOptions::from_json(&base).unwrap().into_config().unwrap();
        assert_eq!(config.max_clock_offset, MAX_CLOCK_OFFSET);
        let mut wider = base.clone();
        wider["max_clock_offset_ms"] = 90_000_000.into();
        let config = ClientOptions::from_json(&wider).unwrap().into_config().unwrap();
        assert_eq!(config.max_clock_offset, Duration::from_secs(90_000));
        for bad in [serde_json::json!(-1), serde_json::json!(1.5), serde_json::json!("1000")] {
            let mut options = base.clone();
            options["max_clock_offset_ms"] = bad;
            assert_eq!(field_of(ClientOptions::from_json(&options)), "max_clock_offset_ms");
        }
    }

    #[test]
    fn endpoints_need_a_well_formed_authority() {
        for bad in [
            "http://:",
            "http://127.0.0.1:138639",
            "http://a\u{7}b",
            "http://[::1",
            "http://[::1]x",
            "http://[::1]:",
            "http://[1:2]",
            "http://[]",
            "http://",
            "http://a:",
            "http://a:0",
            "http://a:65536",
            "http://a:+80",
            "http://a:80:80",
            "http://1.2.3",
            "http://256.1.1.1",
            "http://01.1.1.1",
            "http://host.7",
            "http://user@host",
            "http://host/path",
            "http://ho st",
            "http://hö.st",
            "ftp://host",
        ] {
            let result = Config::for_endpoint(bad, "p", AccessKey::new("AK", "SK"));
            assert_eq!(field_of(result), "endpoint", "{bad:?}");
        }
        for (good, kept) in [
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
            (" https://kms.cn-north-4.myhuaweicloud.com/ ", "https://kms.cn-north-4.myhuaweicloud.com"),
            ("http://[::1]:65535", "http://[::1]:65535"),
            ("http://[::ffff:127.0.0.1]", "http://[::ffff:127.0.0.1]"),
            ("http://localhost:1", "http://localhost:1"),
            ("http://my_host.local.", "http://my_host.local."),
            ("http://1.2.3.4.", "http://1.2.3.4."),
            // A last label that only starts with a digit is a name, not an address.
            ("http://3scale:8080", "http://3scale:8080"),
            ("http://svc.10gen", "http://svc.10gen"),
        ] {
            let config = Config::for_endpoint(good, "p", AccessKey::new("AK", "SK")).unwrap();
            assert_eq!(config.endpoint, kept);
            assert!(Client::new(config).is_ok(), "{good:?}");
        }
        // Set directly, it is checked when a client is made.
        let mut config = Config::for_endpoint("http://a", "p", AccessKey::new("AK", "SK")).unwrap();
        config.endpoint = "http://[::1".into();
        assert_eq!(field_of(Client::new(config)), "endpoint");
    }

    #[test]
    fn the_response_limit_is_16_mib_unless_set_to_a_whole_number_above_0() {
        let base = json!({"endpoint": "http://127.0.0.1:1", "project_id": "p", "credentials": {"ak": "A", "sk": "S"}});
        let with = |limit: Value| {
            let mut options = base.clone();
            options["max_response_bytes"] = limit;
            ClientOptions::from_json(&options)
        };
        assert_eq!(with(Value::Null).unwrap().response_limit().get(), 16 * 1024 * 1024);
        assert_eq!(with(json!(1)).unwrap().response_limit().get(), 1);
        assert_eq!(with(json!(1u64 << 40)).unwrap().response_limit().get(), 1 << 40);
        assert!(with(json!(1)).unwrap().into_config().is_ok());
        for bad in [json!(0), json!(-1), json!(1.5), json!("1024"), json!(true), json!({})] {
            let err = with(bad.clone()).unwrap_err();
            assert_eq!(field_of(Err::<(), _>(err.clone())), "max_response_bytes", "{bad}");
            assert!(err.to_string().contains("above 0"), "{err}");
        }
    }

    #[test]
    fn addresses_are_read_as_the_standard_library_reads_them() {
        for text in [
            "::",
            "::1",
            "1::",
            "1::2",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6::7",
            "1:2:3:4:5:6:7::",
            "::1:2:3:4:5:6:7",
            "1::2::3",
            ":::",
            ":1::",
            "1:::2",
            "12345::",
            "g::",
            "::ffff:1.2.3.4",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3.4:1",
            "1.2.3.4::",
            "",
            ":",
            "::1.2.3",
            "fe80::1%eth0",
            "ABCD:ef01::",
        ] {
            assert_eq!(is_ipv6(text.as_bytes()), text.parse::<std::net::Ipv6Addr>().is_ok(), "{text:?}");
        }
        for text in
            ["1.2.3.4", "0.0.0.0", "255.255.255.255", "256.0.0.0", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1..3.4", ""]
        {
            assert_eq!(is_ipv4(text.as_bytes()), text.parse::<std::net::Ipv4Addr>().is_ok(), "{text:?}");
        }
    }

    #[test]
    fn header_bound_values_are_checked_on_every_path_without_quoting_secrets() {
        const SECRET: &str = "SeCrEt";
        let base = || ClientOptions {
            region: Some("cn-north-4".into()),
            project_id: Some("p".into()),
            credentials: Some(CredentialOptions {
                ak: Some("AK".into()),
                sk: Some("SK".into()),
                ..CredentialOptions::default()
            }),
            ..ClientOptions::default()
        };
        let with_credentials =
            |credentials: CredentialOptions| ClientOptions { credentials: Some(credentials), ..base() };
        let cases = [
            (ClientOptions { project_id: Some("..".into()), ..base() }, "project_id"),
            (ClientOptions { project_id: Some(".".into()), ..base() }, "project_id"),
            (ClientOptions { project_id: Some("p\r\nX-Evil: 1".into()), ..base() }, "project_id"),
            (ClientOptions { user_agent: Some("app\n1.0".into()), ..base() }, "user_agent"),
            (ClientOptions { derived_service: Some("csms\u{0}".into()), ..base() }, "derived_service"),
            (
                with_credentials(CredentialOptions {
                    ak: Some(format!("AK {SECRET}")),
                    sk: Some("SK".into()),
                    ..Default::default()
                }),
                "credentials.ak",
            ),
            (
                with_credentials(CredentialOptions {
                    ak: Some(String::new()),
                    sk: Some("SK".into()),
                    ..Default::default()
                }),
                "credentials.ak",
            ),
            (
                with_credentials(CredentialOptions {
                    ak: Some("AK".into()),
                    sk: Some("".into()),
                    ..Default::default()
                }),
                "credentials.sk",
            ),
            (
                with_credentials(CredentialOptions {
                    ak: Some("AK".into()),
                    sk: Some("SK".into()),
                    security_token: Some(format!(" {SECRET} {SECRET}\n").into()),
                    ..Default::default()
                }),
                "credentials.security_token",
            ),
            (
                with_credentials(CredentialOptions {
                    auth_token: Some(format!("{SECRET}ü").into()),
                    ..Default::default()
                }),
                "credentials.auth_token",
            ),
            (
                with_credentials(CredentialOptions { auth_token: Some("".into()), ..Default::default() }),
                "credentials.auth_token",
            ),
        ];
        for (options, field) in cases {
            // The options' own check...
            let err = options.clone().into_config().unwrap_err();
            assert_eq!(field_of(Err::<(), _>(err.clone())), field, "{err}");
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains(SECRET), "{text}");
            }
            // ...and the same configuration made directly, checked by `Client::new`.
            let options = ClientOptions { user_agent: None, derived_service: None, ..options };
            let credentials = options.credentials.clone().unwrap().into_credentials().unwrap();
            let mut config = Config::for_region("cn-north-4", "p", credentials).unwrap();
            config.project_id = options.project_id.unwrap_or_default();
            let direct = match field {
                "user_agent" => config.with_user_agent_suffix("app\n1.0"),
                "derived_service" => Config { derived_service: "csms\u{0}".into(), ..config },
                _ => config,
            };
            assert_eq!(field_of(Client::new(direct)), field);
        }
        // An empty project id is allowed (operations whose path needs one refuse to build),
        // and so is a user agent with spaces.
        let config = Config::for_region("cn-north-4", "", AccessKey::new("AK", "SK")).unwrap();
        assert!(Client::new(config.with_user_agent_suffix("my app/1.0")).is_ok());
    }
}
